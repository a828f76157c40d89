"""The network as one GeoPackage (OGC, SQLite): GMNS tables as layers, written and read with
pyogrio (GDAL), so QGIS or any GDAL tool opens it.

Layers: `node` (Points, EPSG:4326), `link` (LineStrings: the stored shape, else a great circle
marked `drawn`), and the tables without a geometry: `sources`, `rates`, `commodities`, `config`,
`use_definition`. Every field is text, as the cell a CSV would hold, so the file loads back into
the same tables and is checked like a GMNS folder; a problem names the layer and the feature id.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import CorridorError, Problem
from ..output import refuse_overwrite
from ..readers import short, text_frame
from .gmns import config_row, gmns_links, use_definition
from .validation import GMNS_NAMES, NetworkFrames

if TYPE_CHECKING:
    from .tables import Network

NETWORK_FILE = "network.gpkg"

SUFFIXES = (".gpkg",)

# table -> layer; config and use_definition are GMNS tables the network does not keep
LAYERS = {"nodes": "node", "links": "link", "sources": "sources", "rates": "rates",
          "commodities": "commodities"}

CONFIG_LAYER, USE_LAYER = "config", "use_definition"

DRAWN = "drawn"  # a link field: "true" when its geometry is a great circle drawn for GIS, not a shape


def _pyogrio() -> ModuleType:
    try:
        import pyogrio.raw
    except ImportError as exc:  # pragma: no cover - a dependency; kept for a broken install
        raise CorridorError("GeoPackage files need pyogrio (pip install pyogrio)") from exc
    return pyogrio


def _target(path: Path) -> Path:
    return path if path.suffix.lower() in SUFFIXES else path / NETWORK_FILE


# ------------------------------------------------------------------ reading
def _layer_frame(fields: Sequence[Any], data: Sequence[Any], fids: Sequence[int]) -> pd.DataFrame:
    """A layer's fields as a text frame; `__line__` is the feature id (the row a problem names)."""
    cols = {str(f): ["" if v is None else str(v).strip() for v in col]
            for f, col in zip(fields, data, strict=True)}
    df = pd.DataFrame(cols, dtype=object).astype(str) if cols else pd.DataFrame(index=range(len(fids)))
    df["__line__"] = np.asarray(fids, dtype=np.int64)
    return df


def _link_shapes(df: pd.DataFrame, geoms: Sequence[Any], where: str, problems: list[Problem]
                 ) -> dict[str, list[tuple[float, float]]]:
    import shapely

    out: dict[str, list[tuple[float, float]]] = {}
    drawn = (df[DRAWN].str.lower().isin(("true", "1", "yes")).to_numpy() if DRAWN in df
             else np.zeros(len(df), bool))
    for i, (lid, g) in enumerate(zip(df["link_id"], geoms, strict=True)):
        if g is None or drawn[i] or not lid:
            continue
        geom = shapely.from_wkb(g)
        parts = list(geom.geoms) if geom.geom_type == "MultiLineString" else [geom]
        pts = [(float(x), float(y)) for part in parts if part.geom_type == "LineString"
               for x, y in part.coords]
        if len(pts) < 2 or not all(abs(x) <= 180 and abs(y) <= 90 for x, y in pts):
            problems.append(Problem(where, int(df["__line__"].iat[i]), "geometry",
                                    f"link '{short(lid)}': not a LineString of at least two lon/lat points"))
            continue
        out[lid] = pts
    return out


def read_gpkg(path: Path, problems: list[Problem]) -> NetworkFrames:
    """The tables of a network GeoPackage (or of `network.gpkg` in a folder), as text."""
    pyogrio = _pyogrio()
    file = _target(Path(path))
    f = str(file)
    where = {name: f"{f} (layer {layer})" for name, layer in LAYERS.items()}
    if not file.exists():
        problems.append(Problem(f, None, None, "file not found"))
        return NetworkFrames({"nodes": None, "links": None, "sources": None}, where)
    try:
        present = {str(row[0]) for row in pyogrio.list_layers(file)}
    except Exception as exc:  # GDAL says what is wrong with the file
        problems.append(Problem(f, None, None, f"cannot be read as a GeoPackage: {exc}"))
        return NetworkFrames({"nodes": None, "links": None, "sources": None}, where)
    tables, shapes = _read_tables(pyogrio, file, present, where, problems)
    config = _read_config(pyogrio, file, problems) if CONFIG_LAYER in present else None
    uses = _read_uses(pyogrio, file) if USE_LAYER in present else None
    return NetworkFrames(tables, where, shapes, config=config, uses=uses, config_where=f"{f} (layer config)")


def _read_tables(pyogrio: ModuleType, file: Path, present: set[str], where: dict[str, str],
                 problems: list[Problem]) -> tuple[dict[str, pd.DataFrame | None],
                                                   dict[str, list[tuple[float, float]]]]:
    """The network's layers as text frames, and the links' shapes. A missing layer the network needs
    is a problem (None); an optional one is left out, as a folder leaves out its file."""
    tables: dict[str, pd.DataFrame | None] = {}
    shapes: dict[str, list[tuple[float, float]]] = {}
    for name, layer in LAYERS.items():
        if layer not in present:
            if name in ("nodes", "links", "sources"):
                problems.append(Problem(str(file), None, None, f"has no layer '{layer}'"))
                tables[name] = None
            continue
        meta, fids, geoms, data = pyogrio.raw.read(file, layer=layer, return_fids=True)
        df = _layer_frame(meta["fields"], data, fids)
        if name == "nodes" and geoms is not None:
            _point_coordinates(df, geoms)
        if name == "links" and geoms is not None:
            shapes = _link_shapes(df, geoms, where[name], problems)
        tables[name] = df.drop(columns=[DRAWN], errors="ignore")
    return tables, shapes


def _point_coordinates(df: pd.DataFrame, geoms: Sequence[Any]) -> None:
    """Node coordinates from the Points, for the coordinates the fields leave out (a GIS user may
    keep only the geometry)."""
    import shapely

    pts = shapely.from_wkb(geoms)
    for col, fn in (("x_coord", shapely.get_x), ("y_coord", shapely.get_y)):
        if col not in df.columns:
            df[col] = [repr(float(v)) for v in fn(pts)]


def _read_config(pyogrio: ModuleType, file: Path, problems: list[Problem]) -> dict[str, str] | None:
    """The GMNS config layer's one row (units, crs) as text; more or fewer rows is a problem."""
    meta, fids, _, data = pyogrio.raw.read(file, layer=CONFIG_LAYER, return_fids=True)
    cfg = _layer_frame(meta["fields"], data, fids)
    if len(cfg) != 1:
        problems.append(Problem(f"{file} (layer config)", None, None, f"must hold one row, not {len(cfg)}"))
        return None
    return {c: str(cfg[c].iat[0]) for c in cfg.columns if c != "__line__"}


def _read_uses(pyogrio: ModuleType, file: Path) -> set[str] | None:
    """The uses the use_definition layer defines (None when it has no `use` field)."""
    meta, fids, _, data = pyogrio.raw.read(file, layer=USE_LAYER, return_fids=True)
    use = _layer_frame(meta["fields"], data, fids)
    return set(use["use"]) if "use" in use.columns else None


# ------------------------------------------------------------------ writing
def _text(df: pd.DataFrame) -> pd.DataFrame:
    return text_frame(df).drop(columns="__line__")


def _write_layer(pyogrio: ModuleType, file: Path, layer: str, df: pd.DataFrame,
                 geoms: np.ndarray | None = None, geometry_type: str | None = None) -> None:
    fields = [str(c) for c in df.columns]
    data = [df[c].to_numpy(dtype=object) for c in df.columns]
    kw = ({"crs": "EPSG:4326", "geometry_type": geometry_type} if geoms is not None
          else {"geometry_type": None})
    pyogrio.raw.write(file, geoms, data, fields, layer=layer, driver="GPKG", **kw)


def write_gpkg(net: Network, dest: str | Path, *, overwrite: bool = False) -> list[Path]:
    """The network as one GeoPackage: `dest` if it ends in .gpkg, else dest/network.gpkg."""
    import shapely

    pyogrio = _pyogrio()
    file = _target(Path(dest))
    refuse_overwrite([file], overwrite)
    file.parent.mkdir(parents=True, exist_ok=True)
    if file.exists():
        file.unlink()
    nodes = _text(net.raw_nodes.rename(columns=GMNS_NAMES["nodes"]))
    pts = shapely.points(net.raw_nodes["lon"].to_numpy(float), net.raw_nodes["lat"].to_numpy(float))
    _write_layer(pyogrio, file, LAYERS["nodes"], nodes, shapely.to_wkb(pts), "Point")
    links = _text(gmns_links(net.raw_links))
    ids = links["link_id"].tolist()
    lines = [shapely.linestrings(net.geometry.get(lid) or net.link_coords(i)) for i, lid in enumerate(ids)]
    links[DRAWN] = ["" if lid in net.geometry else "true" for lid in ids]
    wkb = shapely.to_wkb(np.array(lines, dtype=object))
    _write_layer(pyogrio, file, LAYERS["links"], links, wkb, "LineString")
    for name in ("sources", "rates", "commodities"):
        table = getattr(net, name)
        if table is not None and len(table):
            _write_layer(pyogrio, file, LAYERS[name], _text(table))
    _write_layer(pyogrio, file, CONFIG_LAYER, _text(config_row(net.name)))
    _write_layer(pyogrio, file, USE_LAYER, _text(use_definition(net.raw_links["mode"])))
    return [file]

