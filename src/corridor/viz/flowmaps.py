"""Static maps of loads on the network: the change in load between two scenarios (gains and losses
both, every link that moves), and where the cargo between two regions passes (gateways).

Colours are read by colour-blind readers too: gains blue and losses vermilion (Okabe & Ito), widths
carry the size, and the largest changes are named on the map with their numbers.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import numpy as np

from .basemap import ATTRIBUTION, draw_basemap, extent_of, figure_size, halo, label_places, label_room
from .figures import new_figure
from .palette import FLOW_LINE, GAIN, LOSS, REGION_FILL, REGION_TO_FILL, SHARE_FILLS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from ..network.tables import Network


def _width(x: np.ndarray, top: float, lo: float = 0.6, hi: float = 7.0) -> np.ndarray:
    """Line widths in points, by the square root of size (areas read as amounts)."""
    return lo + (hi - lo) * np.sqrt(np.clip(np.abs(x) / top, 0, 1)) if top > 0 else np.full(len(x), lo)


def _thousands(v: float) -> str:
    return f"{v / 1e6:+.2f}m" if abs(v) >= 1e6 else f"{v / 1e3:+,.0f}k"


def flow_change_figure(net: Network, links: pd.DataFrame, *, a: str, b: str, title: str | None = None,
                       min_teu: float = 500.0, named: int = 5, width: float = 13.0, dpi: int = 110,
                       avoided: Collection[str] = ()) -> Figure:
    """Map of the change in load, b − a, on every link that moves by at least `min_teu` TEU a year
    (`links`: link_id, d_teu, and name): gains blue, losses vermilion, width by size; the `named`
    largest gains and losses labelled with their change; the countries `b` avoids (ISO3) hatched.
    The map frames the land corridors (sea lanes are drawn but may leave the frame): that is where
    a policy's changes show."""
    idx = net.link_index
    rows = links[links["d_teu"].abs() >= min_teu]
    rows = rows[rows["link_id"].astype(str).isin(idx)]
    coords = {str(i): net.link_coords(idx[str(i)]) for i in rows["link_id"]}
    modes = net.links.set_index("link_id")["mode"]
    land = [p for i, c in coords.items() if modes.get(i) != "sea" for p in c]
    extent = extent_of(land or [p for c in coords.values() for p in c], default=(-12.0, 125.0, 5.0, 62.0))
    fig = new_figure(figsize=figure_size(extent, width), dpi=dpi)
    ax = fig.add_subplot()
    draw_basemap(ax, extent, hatched=avoided)
    d = rows["d_teu"].to_numpy(float)
    top = float(np.abs(d).max()) if len(d) else 0.0
    order = np.argsort(np.abs(d))  # the largest drawn last, on top
    w = _width(d, top)
    for j in order:
        xy = np.asarray(coords[str(rows["link_id"].iat[j])])
        ax.plot(xy[:, 0], xy[:, 1], color=GAIN if d[j] > 0 else LOSS, linewidth=w[j], alpha=0.85,
                solid_capstyle="round", zorder=5)
    x0, x1, y0, y1 = extent
    room = label_room(ax, extent)
    placed: list[tuple[float, float]] = []
    for sign in (1, -1):
        pick = rows[np.sign(d) == sign].sort_values("d_teu", key=np.abs, ascending=False).head(named)
        for r in pick.itertuples(index=False):
            xy = np.asarray(coords[str(r.link_id)])
            mx, my = xy[len(xy) // 2]
            near = any(abs(mx - px) < room[0] * 1.4 and abs(my - py) < room[1] * 2.2 for px, py in placed)
            if near or not (x0 < mx < x1 and y0 < my < y1):
                continue
            placed.append((mx, my))
            name = str(r.name or r.link_id)
            ax.annotate(f"{name[:34]}\n{_thousands(float(r.d_teu))} TEU/yr", (mx, my), xytext=(6, -4),
                        textcoords="offset points", fontsize=7, color=GAIN if sign > 0 else LOSS,
                        weight="bold", zorder=30, path_effects=halo(2.4))
    from matplotlib.lines import Line2D

    ref = [top, top / 4] if top else []
    handles = [Line2D([], [], color=GAIN, linewidth=w_, label=f"gain {_thousands(v)} TEU/yr")
               for v, w_ in zip(ref, _width(np.array(ref), top), strict=True)]
    handles += [Line2D([], [], color=LOSS, linewidth=w_, label=f"loss {_thousands(-v)} TEU/yr")
                for v, w_ in zip(ref, _width(np.array(ref), top), strict=True)]
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=4, fontsize=8,
                  frameon=False, title=f"change in load, {b} − {a}, TEU a year", title_fontsize=8)
    ax.set_title(title or f"Where the load moves: {a} → {b} (links changing by {min_teu:,.0f}+ TEU a year)",
                 fontsize=12, weight="bold")
    ax.text(0.995, 0.005, ATTRIBUTION, transform=ax.transAxes, ha="right", va="bottom", fontsize=6.5,
            color="#555555", zorder=40)
    fig.tight_layout()
    return fig


def share_fill(share: float) -> str:
    """The fill of a transit country by the share of the region pair's cargo passing it."""
    edges = (0.05, 0.15, 0.3, 0.5)
    return SHARE_FILLS[int(np.searchsorted(edges, share, side="right"))]


def gateways_figure(net: Network, countries: pd.DataFrame, nodes: pd.DataFrame, links: pd.DataFrame, *,
                    regions: tuple[tuple[str, ...], tuple[str, ...]], title: str, named: int = 10,
                    width: float = 13.0, dpi: int = 110) -> Figure:
    """Map of a gateway question: the two regions shaded, each transit country filled by the share of
    the pair's cargo passing it, the links it uses drawn by TEU, and the `named` busiest nodes
    (crossings, ports, junctions) named with their share. `countries`, `nodes` and `links` are the
    `GatewayResult` frames (country/node_id/link_id, teu, share)."""
    idx = net.link_index
    lk = links[(links["teu"] > 0) & links["link_id"].astype(str).isin(idx)]
    coords = {str(i): net.link_coords(idx[str(i)]) for i in lk["link_id"]}
    modes = net.links.set_index("link_id")["mode"]
    # frame the land links that carry a fair share of the pair's cargo: where its gateways are
    main = set(lk.loc[lk["share"] >= 0.05, "link_id"].astype(str)) if "share" in lk else set(coords)
    land = [p for i, c in coords.items() if modes.get(i) != "sea" and i in main for p in c]
    extent = extent_of(land or [p for c in coords.values() for p in c])
    fills = {c: REGION_FILL for c in regions[0]} | {c: REGION_TO_FILL for c in regions[1]}
    for r in countries.itertuples(index=False):
        if r.share > 0 and r.country not in fills:
            fills[str(r.country)] = share_fill(float(r.share))
    fig = new_figure(figsize=figure_size(extent, width), dpi=dpi)
    ax = fig.add_subplot()
    draw_basemap(ax, extent, fills=fills)
    teu = lk["teu"].to_numpy(float)
    top = float(teu.max()) if len(teu) else 0.0
    w = _width(teu, top, 0.5, 6.0)
    for j in np.argsort(teu):
        xy = np.asarray(coords[str(lk["link_id"].iat[j])])
        ax.plot(xy[:, 0], xy[:, 1], color=FLOW_LINE, linewidth=w[j], alpha=0.75, solid_capstyle="round",
                zorder=5)
    busy = nodes[nodes["share"] > 0].sort_values("share", ascending=False).head(named)
    nd = net.nodes.set_index("node_id")
    placed: list[tuple[float, float]] = []
    for r in busy.itertuples(index=False):
        if r.node_id not in nd.index:
            continue
        n = nd.loc[r.node_id]
        before = len(placed)
        label_places(ax, nd, [r.node_id], major=False, extent=extent, placed=placed)
        if len(placed) > before:  # named: add its share beneath
            ax.annotate(f"{r.share:.0%}", (float(n["lon"]), float(n["lat"])), xytext=(4, -9),
                        textcoords="offset points", fontsize=7, weight="bold", color="#222222", zorder=29,
                        path_effects=halo(2.2))
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=REGION_FILL, edgecolor="#a5a5a5", label="the region the cargo leaves"),
               Patch(facecolor=REGION_TO_FILL, edgecolor="#a5a5a5", label="the region it goes to")]
    handles += [Patch(facecolor=c, edgecolor="#a5a5a5", label=lab) for c, lab in
                zip(SHARE_FILLS, ("under 5%", "5-15%", "15-30%", "30-50%", "50% or more"), strict=True)]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=4, fontsize=8,
              frameon=False, title="the regions, and the share of the pair's TEU passing each country",
              title_fontsize=8)
    ax.set_title(title, fontsize=12, weight="bold")
    ax.text(0.995, 0.005, ATTRIBUTION + " Line width: TEU a year.", transform=ax.transAxes, ha="right",
            va="bottom", fontsize=6.5, color="#555555", zorder=40)
    fig.tight_layout()
    return fig
