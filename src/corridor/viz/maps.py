"""Static maps of routes over the bundled Natural Earth countries, coloured by corridor family."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..datafiles import bundled_data_dir
from ..network.families import colour as family_colour
from .figures import new_figure, png_path, save_png

if TYPE_CHECKING:
    from ..network.tables import Network
    from ..routing.results import Route


@lru_cache(maxsize=1)
def _countries() -> list[dict]:
    path = bundled_data_dir() / "countries.geojson"
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def route_coords(net: Network, route: Route) -> list[tuple[float, float]]:
    """The route's line, following stored link shapes (sea lanes, track) where known."""
    idx = net.link_index
    pts: list[tuple[float, float]] = []
    for leg in route.legs:
        if not leg.link_id:
            continue
        i = idx[leg.link_id]
        coords = net.link_coords(i)
        if net.links["from_node_id"].iat[i] != leg.from_id:
            coords = coords[::-1]
        pts.extend(coords)
    return pts


def _basemap(ax) -> None:
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Polygon

    patches = []
    for feat in _countries():
        geom = feat["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        patches.extend(Polygon(poly[0], closed=True) for poly in polys)
    ax.add_collection(PatchCollection(patches, facecolor="#f7f4ec", edgecolor="#9a9a9a",
                                      linewidth=0.4, zorder=1))


def plot_routes(
    net: Network,
    routes: Sequence[Route],
    path: str | Path,
    *,
    title: str | None = None,
    labels: Sequence[str] | None = None,
) -> Path:
    """Write a PNG map of `routes`, coloured by corridor family."""
    path = png_path(path, "map")
    fig = new_figure(figsize=(13, 7.5), dpi=110)
    ax = fig.add_subplot()
    ax.set_facecolor("#dfeaf3")
    lines = [(r, route_coords(net, r)) for r in routes]
    xs = [x for _, c in lines for x, _ in c] or [0.0, 130.0]
    ys = [y for _, c in lines for _, y in c] or [0.0, 60.0]
    pad_x, pad_y = 4 + (max(xs) - min(xs)) * 0.04, 3 + (max(ys) - min(ys)) * 0.06
    _basemap(ax)
    names = net.nodes.set_index("node_id")
    for i, (r, coords) in enumerate(lines):
        if not coords:
            continue
        x, y = zip(*coords, strict=True)
        label = labels[i] if labels else f"{r.corridor}: {r.days:.1f} d, ${r.usd_per_teu:,.0f}/TEU"
        ax.plot(x, y, color=family_colour(r.corridor), linewidth=2.4 - 0.2 * i,
                alpha=0.9, label=label, zorder=3 + i, solid_capstyle="round")
    shown: set[str] = set()
    for r in routes:
        for nid in (r.nodes[0], r.nodes[-1]):
            if nid in shown:
                continue
            shown.add(nid)
            n = names.loc[nid]
            ax.plot(n["lon"], n["lat"], "o", color="black", markersize=5, zorder=20)
            ax.annotate(n["name"], (n["lon"], n["lat"]), xytext=(4, 4),
                        textcoords="offset points", fontsize=9, weight="bold", zorder=21)
    ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x)
    ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
    ax.set_aspect(1.25)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    if title:
        ax.set_title(title)
    if lines:
        ax.legend(loc="lower left", fontsize=9, framealpha=0.9)
    ax.text(0.995, 0.005, "Countries: Natural Earth. Rail shapes © OpenStreetMap contributors "
            "(ODbL). Sea lanes: searoute/Eurostat.", transform=ax.transAxes, ha="right",
            va="bottom", fontsize=6.5, color="#555555")
    fig.tight_layout()
    return save_png(fig, path, "map")
