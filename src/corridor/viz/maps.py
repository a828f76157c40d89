"""Static maps of routes over the bundled Natural Earth countries, coloured by corridor family.

Readable in print: countries are named; the places where a route crosses a border, calls at a port
or transships are named on the map, and each route carries its corridor's name; routes of one family
are told apart by line style and drawn side by side (offset across their direction) rather than on
top of each other. The map frames the land routes (where the choices differ); when a sea route
leaves that frame, an overview beside it shows every route whole.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .basemap import ATTRIBUTION, Extent, draw_basemap, extent_of, halo, label_places
from .figures import new_figure, png_path, save_png
from .palette import corridor_colour

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..network.tables import Network
    from ..routing.results import Route

LineStyle = str | tuple[float, tuple[float, ...]]

# the second, third ... route of one family: dashed, dotted, dash-dot (the first is solid)
STYLES: tuple[LineStyle, ...] = ("-", (0, (6, 2.5)), (0, (1.5, 1.8)), (0, (6, 2, 1.5, 2)), (0, (10, 3)))

WORLD: Extent = (-25.0, 150.0, -45.0, 65.0)


def route_coords(net: Network, route: Route) -> list[tuple[float, float]]:
    """The route's line, following stored link shapes (sea lanes, track) where known."""
    return [p for _, part in route_parts(net, route) for p in part]


def route_parts(net: Network, route: Route) -> list[tuple[bool, list[tuple[float, float]]]]:
    """The route's line leg by leg: (deep sea?, the leg's points in the direction of travel)."""
    idx = net.link_index
    deep = (net.links["mode"] == "sea").to_numpy() & (net.links["sea_area"] == "deep").to_numpy()
    out: list[tuple[bool, list[tuple[float, float]]]] = []
    for leg in route.legs:
        if not leg.link_id:
            continue
        i = idx[leg.link_id]
        coords = net.link_coords(i)
        if net.links["from_node_id"].iat[i] != leg.from_id:
            coords = coords[::-1]
        out.append((bool(deep[i]), list(coords)))
    return out


def offset_line(coords: Sequence[tuple[float, float]], shift: float) -> np.ndarray:
    """`coords` moved `shift` map units to the left of its direction of travel (right if negative):
    routes sharing a track are drawn side by side. Each vertex moves along the mean of the normals
    of its two segments."""
    xy = np.asarray(coords, dtype=float)
    if shift == 0 or len(xy) < 2:
        return xy
    d = np.diff(xy, axis=0)
    norm = np.hypot(d[:, 0], d[:, 1])
    norm[norm == 0] = 1.0
    n = np.column_stack([-d[:, 1], d[:, 0]]) / norm[:, None]
    vn = np.vstack([n[:1], (n[:-1] + n[1:]) / 2, n[-1:]])
    vlen = np.hypot(vn[:, 0], vn[:, 1])
    vlen[vlen < 1e-6] = 1.0
    return xy + shift * vn / vlen[:, None]


def route_styles(routes: Sequence[Route]) -> list[tuple[str, LineStyle]]:
    """(colour, line style) per route: the family's colour, and a style per rank within the family."""
    seen: dict[str, int] = {}
    out: list[tuple[str, LineStyle]] = []
    for r in routes:
        k = seen.get(r.corridor, 0)
        seen[r.corridor] = k + 1
        out.append((corridor_colour(r.corridor), STYLES[k % len(STYLES)]))
    return out


def _inside(xy: np.ndarray, extent: Extent, margin: float = 0.04) -> np.ndarray:
    x0, x1, y0, y1 = extent
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    return (xy[:, 0] > x0 + mx) & (xy[:, 0] < x1 - mx) & (xy[:, 1] > y0 + my) & (xy[:, 1] < y1 - my)


def _name_lines(ax: Axes, lines: Sequence[tuple[str, str, np.ndarray]], extent: Extent,
                placed: list[tuple[float, float]]) -> None:
    """Write each line's name beside it, where it runs farthest from the other lines and the labels
    already placed (in the frame), in the line's colour."""
    x0, x1, y0, y1 = extent
    scale = np.array([1 / (x1 - x0), 1.25 / (y1 - y0)])
    done: set[str] = set()
    for k, (name, colour, xy) in enumerate(lines):
        if name in done or len(xy) < 2:
            continue
        pts = xy[_inside(xy, extent, 0.08)]
        if not len(pts):
            continue
        others = [o for j, (n, _, o) in enumerate(lines) if j != k and n != name and len(o)]
        taken = np.asarray(placed, dtype=float).reshape(-1, 2)
        crowd = np.vstack([*others, taken]) if others or len(taken) else np.empty((0, 2))
        if len(crowd):
            d = np.min(np.linalg.norm((pts[:, None, :] - crowd[None, :, :]) * scale, axis=2), axis=1)
            p = pts[int(np.argmax(d))]
        else:
            p = pts[len(pts) // 2]
        done.add(name)
        placed.append((float(p[0]), float(p[1])))
        ax.annotate(name, (float(p[0]), float(p[1])), xytext=(0, 7), textcoords="offset points",
                    ha="center", fontsize=9.5, weight="bold", style="italic", color=colour, zorder=32,
                    path_effects=halo(3))


def _frames(net: Network, routes: Sequence[Route], parts: list, frame: str) -> tuple[Extent, Extent, bool]:
    """The main map's extent (the land legs and the ends, or everything), the extent of every route,
    and whether an overview is needed (a route leaves the main map)."""
    names = net.nodes.set_index("node_id")
    ends = {n for r in routes for n in (r.nodes[0], r.nodes[-1]) if n in names.index}
    end_pts = [(float(names.at[n, "lon"]), float(names.at[n, "lat"])) for n in ends]
    everything = [p for ps in parts for _, c in ps for p in c]
    land = [p for ps in parts for deep, c in ps if not deep for p in c]
    extent = extent_of(land + end_pts if frame == "land" and land else everything)
    whole = extent_of(everything, default=WORLD)
    inside = (whole[0] >= extent[0] - 1 and whole[1] <= extent[1] + 1 and whole[2] >= extent[2] - 1
              and whole[3] <= extent[3] + 1)
    return extent, whole, frame == "land" and bool(everything) and not inside


def _name_route_places(ax: Axes, net: Network, routes: Sequence[Route], extent: Extent,
                       name_places: bool) -> list[tuple[float, float]]:
    """The routes' ends (always) and their border crossings, ports and transshipments (where they do
    not crowd) named; the points labelled, for the corridor names to keep clear of."""
    names = net.nodes.set_index("node_id")
    ends = list(dict.fromkeys(n for r in routes for n in (r.nodes[0], r.nodes[-1])))
    via = list(dict.fromkeys(g for r in routes for g in r.gateways if g not in ends)) if name_places else []
    placed: list[tuple[float, float]] = []
    label_places(ax, names, ends, major=True, placed=placed)
    label_places(ax, names, via, major=False, extent=extent, placed=placed)
    return placed


def _overview(ax_over: Axes, ax_legend: Axes, handles: list, extent: Extent, whole: Extent,
              avoided: Collection[str], legend_title: str) -> None:
    """Every route whole on a small map with the main map's box, and the legend beside it."""
    draw_basemap(ax_over, whole, hatched=avoided, name_countries=False)
    x0, x1, y0, y1 = extent
    ax_over.plot([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0], color="#333333", linewidth=0.9, zorder=20)
    ax_over.set_title("every route whole (box: the map above)", fontsize=8)
    ax_legend.axis("off")
    if handles:
        ax_legend.legend(handles=handles, loc="center", fontsize=8, frameon=False, title=legend_title,
                         title_fontsize=8)


def routes_figure(
    net: Network,
    routes: Sequence[Route],
    *,
    title: str | None = None,
    labels: Sequence[str] | None = None,
    width: float = 13.0,
    dpi: int = 110,
    name_places: bool = True,
    name_corridors: bool = True,
    avoided: Collection[str] = (),
    frame: str = "land",
) -> Figure:
    """A map of `routes`: each in its family's colour (a second route of one family dashed, a third
    dotted ...), drawn side by side where they share a track, the end points and (`name_places`) the
    border crossings, ports and transshipments on them named, each corridor named along its line
    (`name_corridors`), countries named and the `avoided` ones (ISO3) hatched. `frame="land"` frames
    the land legs and ends, with an overview of every route whole under the map when a sea route
    leaves the frame; `frame="all"` frames every route."""
    parts = [route_parts(net, r) for r in routes]
    extent, whole, overview = _frames(net, routes, parts, frame)
    # the map takes the whole width; with an overview, the legend and the overview sit in a row below it
    x0, x1, y0, y1 = extent
    h_map = width * min(0.62, max(0.36, (y1 - y0) * 1.25 / max(x1 - x0, 1e-9)))
    h_row = 0.17 * width if overview else 0.0
    fig = new_figure(figsize=(width, h_map + h_row + 0.4), dpi=dpi)
    if overview:
        gs = fig.add_gridspec(2, 2, width_ratios=(1.6, 1), height_ratios=(h_map, h_row))
        ax = fig.add_subplot(gs[0, :])
        ax_legend: Axes | None = fig.add_subplot(gs[1, 0])
        ax_over: Axes | None = fig.add_subplot(gs[1, 1])
    else:
        ax, ax_over, ax_legend = fig.add_subplot(), None, None
    draw_basemap(ax, extent, hatched=avoided)
    n = len(routes)
    drawn: list[tuple[str, str, np.ndarray]] = []
    handles = []
    for i, (r, ps, (colour, style)) in enumerate(zip(routes, parts, route_styles(routes), strict=True)):
        coords = [p for _, c in ps for p in c]
        if not coords:
            continue
        xy = offset_line(coords, (i - (n - 1) / 2) * (x1 - x0) * 0.0035)
        label = labels[i] if labels else f"{r.corridor}: {r.days:.1f} d, USD {r.usd_per_teu:,.0f}/TEU"
        line, = ax.plot(xy[:, 0], xy[:, 1], color=colour, linestyle=style, linewidth=2.4, alpha=0.95,
                        label=label, zorder=5 + i, solid_capstyle="round", dash_capstyle="round")
        handles.append(line)
        drawn.append((r.corridor, colour, xy))
        if ax_over is not None:
            ax_over.plot(xy[:, 0], xy[:, 1], color=colour, linestyle=style, linewidth=1.3, zorder=5 + i)
    legend_title = "route" if labels else "route: days, USD per TEU"
    placed = _name_route_places(ax, net, routes, extent, name_places)
    if name_corridors:
        _name_lines(ax, drawn, extent, placed)
    if title:
        fig.suptitle(title, fontsize=13, weight="bold")
    if ax_over is not None and ax_legend is not None:
        _overview(ax_over, ax_legend, handles, extent, whole, avoided, legend_title)
    elif handles:
        ax.legend(handles=handles, loc="lower left", fontsize=9, framealpha=0.92, title=legend_title,
                  title_fontsize=8)
    if avoided:
        ax.text(0.005, 0.995, "hatched: avoided by the policy", transform=ax.transAxes, ha="left", va="top",
                fontsize=7.5, color="#444444", zorder=40, path_effects=halo(2))
    ax.text(0.995, 0.005, ATTRIBUTION, transform=ax.transAxes, ha="right", va="bottom", fontsize=6.5,
            color="#555555", zorder=40)
    fig.tight_layout()
    return fig


def plot_routes(
    net: Network,
    routes: Sequence[Route],
    path: str | Path,
    *,
    title: str | None = None,
    labels: Sequence[str] | None = None,
) -> Path:
    """Write a PNG map of `routes` (`routes_figure`)."""
    path = png_path(path, "map")
    return save_png(routes_figure(net, routes, title=title, labels=labels), path, "map")
