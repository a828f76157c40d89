"""The base of every static map: the bundled Natural Earth countries, named, and place labels that
stay legible in print (a white halo) and do not pile up (a label too close to one already placed
is left out, never the route's ends)."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from ..datafiles import bundled_data_dir
from .palette import AVOIDED_EDGE, AVOIDED_HATCH, BORDER, LAND, SEA

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

ATTRIBUTION = ("Countries: Natural Earth. Rail shapes © OpenStreetMap contributors (ODbL). "
               "Sea lanes: searoute/Eurostat.")

Extent = tuple[float, float, float, float]  # lon min, lon max, lat min, lat max


@lru_cache(maxsize=1)
def countries() -> list[dict]:
    """The bundled country outlines (GeoJSON features with iso3 and name); none if not bundled."""
    path = bundled_data_dir() / "countries.geojson"
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def country_names() -> dict[str, str]:
    """Country names by ISO3 code, as the base map has them."""
    return {str(f["properties"].get("iso3")): str(f["properties"].get("name", "")) for f in countries()}


def polygons(feature: dict) -> list[list]:
    """The outer rings of a country's polygons."""
    geom = feature["geometry"]
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return [p[0] for p in polys]


@lru_cache(maxsize=1)
def country_label_points() -> dict[str, tuple[float, float, float]]:
    """Per ISO3 code: a point inside its largest polygon (lon, lat) and that polygon's area (deg²)."""
    import shapely

    out = {}
    for f in countries():
        rings = polygons(f)
        if not rings:
            continue
        shapes = [shapely.Polygon(r) for r in rings]
        big = max(shapes, key=lambda s: s.area)
        p = big.representative_point()
        out[str(f["properties"].get("iso3"))] = (float(p.x), float(p.y), float(big.area))
    return out


def extent_of(points: Sequence[tuple[float, float]], *, default: Extent = (0.0, 130.0, 0.0, 60.0)) -> Extent:
    """The map's extent around `points` with a margin (the default when there are none)."""
    if not points:
        return default
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    pad_x, pad_y = 4 + (max(xs) - min(xs)) * 0.04, 3 + (max(ys) - min(ys)) * 0.06
    return (min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y)


def figure_size(extent: Extent, width: float = 13.0, *, extra: float = 0.9) -> tuple[float, float]:
    """A figure size whose map fills it: the extent's shape at the maps' 1.25 aspect, the height held
    between a third and three quarters of the width (`extra` inches for the title and axis labels)."""
    x0, x1, y0, y1 = extent
    h = width * min(0.75, max(0.33, (y1 - y0) * 1.25 / max(x1 - x0, 1e-9)))
    return width, h + extra


def draw_basemap(ax: Axes, extent: Extent, *, fills: dict[str, str] | None = None,
                 hatched: Collection[str] = (), name_countries: bool = True,
                 axis_labels: bool = False) -> None:
    """Countries over the sea, the axes set to `extent`; `fills` colours some countries (ISO3 →
    colour), `hatched` marks some (avoided or sanctioned: a hatch, never a colour a line could
    have); countries large enough on this map are named in grey capitals; `axis_labels` adds the
    longitude and latitude ticks (a map that names its countries seldom needs them)."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Polygon

    ax.set_facecolor(SEA)
    patches, colours, marked = [], [], []
    for feat in countries():
        iso = str(feat["properties"].get("iso3"))
        for ring in polygons(feat):
            patches.append(Polygon(ring, closed=True))
            colours.append((fills or {}).get(iso, LAND))
            if iso in hatched:
                marked.append(Polygon(ring, closed=True))
    ax.add_collection(PatchCollection(patches, facecolor=colours, edgecolor=BORDER, linewidth=0.4, zorder=1))
    if marked:
        ax.add_collection(PatchCollection(marked, facecolor="none", edgecolor=AVOIDED_EDGE,
                                          hatch=AVOIDED_HATCH, linewidth=0.0, zorder=1.5))
    x0, x1, y0, y1 = extent
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    _quiet_aspect()
    ax.set_aspect(1.25, adjustable="datalim")  # the map fills its box: more map, no white margins
    if axis_labels:
        ax.set_xlabel("longitude (°E)", fontsize=8)
        ax.set_ylabel("latitude (°N)", fontsize=8)
        ax.tick_params(labelsize=7)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    if name_countries:
        _name_countries(ax, extent)


def _name_countries(ax: Axes, extent: Extent) -> None:
    x0, x1, y0, y1 = extent
    view = (x1 - x0) * (y1 - y0)
    names = country_names()
    for iso, (x, y, area) in country_label_points().items():
        if not (x0 < x < x1 and y0 < y < y1) or area < view * 0.0025:
            continue
        size = 6.5 if area < view * 0.02 else 8
        ax.text(x, y, names.get(iso, iso).upper(), fontsize=size, color="#8a8a8a", ha="center",
                va="center", zorder=2, clip_on=True, fontstretch="condensed")


class _FixedLimits(logging.Filter):
    """A map's limits are widened on purpose to fill its box: matplotlib's notice of it is not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Ignoring fixed")


@lru_cache(maxsize=1)
def _quiet_aspect() -> None:
    logging.getLogger("matplotlib.axes._base").addFilter(_FixedLimits())


def halo(width: float = 2.5) -> list:
    """A white outline behind text, so a label reads over lines and fills."""
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=width, foreground="white")]


def label_room(ax: Axes, extent: Extent, width_in: float = 0.6,
               height_in: float = 0.17) -> tuple[float, float]:
    """The room a short label takes on this map, in map units (lon, lat): about 0.6 by 0.17 inches,
    whatever the figure's size, so that a small map names fewer places rather than piling them up."""
    dpi = ax.figure.dpi
    w_in = max(ax.bbox.width / dpi, 1.0)  # the axes' box on the canvas, in inches
    h_in = max(ax.bbox.height / dpi, 0.5)
    x0, x1, y0, y1 = extent
    # the axes keep the map's aspect (1.25): the drawn map is the smaller of the two fits
    scale = min(w_in / (x1 - x0), h_in / ((y1 - y0) * 1.25))
    return width_in / scale, height_in / scale / 1.25


def label_places(ax: Axes, nodes: pd.DataFrame, ids: Sequence[str], *, major: bool,
                 extent: Extent | None = None, placed: list[tuple[float, float]] | None = None) -> list[str]:
    """Mark and name the nodes `ids` (`nodes` indexed by node id). `major` (the route's ends): a black
    dot and bold name, always. Otherwise a small ring and name, left out when it would touch a label
    already placed (within 5% of the map's width and 3% of its height; `placed`, the points labelled
    so far, is shared between calls and grows). Returns the names placed."""
    placed = [] if placed is None else placed
    x0, x1, y0, y1 = extent or (*ax.get_xlim(), *ax.get_ylim())
    dx, dy = label_room(ax, (x0, x1, y0, y1))
    shown = []
    for nid in ids:
        if nid not in nodes.index:
            continue
        n = nodes.loc[nid]
        x, y = float(n["lon"]), float(n["lat"])
        if not major and (not (x0 < x < x1 and y0 < y < y1)
                          or any(abs(x - px) < dx and abs(y - py) < dy for px, py in placed)):
            continue
        placed.append((x, y))
        shown.append(str(n["name"]))
        if major:
            ax.plot(x, y, "o", color="black", markersize=5.5, zorder=30)
            ax.annotate(str(n["name"]), (x, y), xytext=(5, 4), textcoords="offset points", fontsize=9.5,
                        weight="bold", zorder=31, path_effects=halo(3))
        else:
            ax.plot(x, y, "o", markerfacecolor="white", markeredgecolor="#333333", markersize=3.8,
                    markeredgewidth=0.9, zorder=28)
            ax.annotate(str(n["name"]), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=7,
                        color="#222222", zorder=29, path_effects=halo(2.2))
    return shown
