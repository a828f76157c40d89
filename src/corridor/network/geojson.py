"""The network as one GeoJSON file: nodes as Points, links as LineStrings, the tables without a
geometry (sources, rates, commodities) in the collection's `corridor` member.

Properties hold the network's own values (its raw tables, as node.csv and link.csv do), so the
file loads back into the same tables and is checked like a GMNS folder. A link without a stored
shape is drawn as a great circle between its ends and marked `"drawn": true`. The writer puts one
feature or record on a line, and the reader finds the line each starts on, so a problem is
reported at its line like a CSV cell.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from json.decoder import scanstring  # type: ignore[attr-defined]  # in json.decoder, not in its stub
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import Problem
from ..output import json_safe, refuse_overwrite
from ..readers import read_input_text, short
from .validation import GMNS_NAMES, TABLE_FILES, NetworkFrames

if TYPE_CHECKING:
    from .tables import Network

NETWORK_FILE = "network.geojson"

SUFFIXES = (".geojson", ".json")

# the tables without a geometry, kept in the FeatureCollection's `corridor` member
PLAIN_TABLES = ("sources", "rates", "commodities")

# properties that say what a feature is, not values of its table
RESERVED = ("feature", "drawn")

_KIND_OF_GEOMETRY = {"Point": "nodes", "LineString": "links", "MultiLineString": "links"}

_FEATURE_KINDS = {"node": "nodes", "link": "links"}

_DECODER = json.JSONDecoder()

_WS = re.compile(r"[ \t\n\r]*")


# ------------------------------------------------------------------ JSON with the line of each value
def _skip(text: str, pos: int) -> int:
    """The position of the first character from `pos` that is not JSON whitespace."""
    m = _WS.match(text, pos)
    return m.end() if m else pos


def _decode(text: str, pos: int, path: tuple, depth: int, lines: dict[tuple, int],
            nl: list[int]) -> tuple[Any, int]:
    """The JSON value at `pos` and where it ends, noting the line of each value down to `depth`."""
    pos = _skip(text, pos)
    lines[path] = bisect_left(nl, pos) + 1
    opener = text[pos:pos + 1]
    if depth == 0 or opener not in ("[", "{"):
        return _DECODER.raw_decode(text, pos)
    out: list[Any] | dict[str, Any] = [] if opener == "[" else {}
    closer = "]" if opener == "[" else "}"
    pos = _skip(text, pos + 1)
    if text[pos:pos + 1] == closer:
        return out, pos + 1
    while True:
        if isinstance(out, list):
            value, pos = _decode(text, pos, path + (len(out),), depth - 1, lines, nl)
            out.append(value)
        else:
            if text[pos:pos + 1] != '"':
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
            key, pos = scanstring(text, pos + 1)
            pos = _skip(text, pos)
            if text[pos:pos + 1] != ":":
                raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
            out[key], pos = _decode(text, pos + 1, path + (key,), depth - 1, lines, nl)
        pos = _skip(text, pos)
        sep = text[pos:pos + 1]
        if sep == closer:
            return out, pos + 1
        if sep != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
        pos = _skip(text, pos + 1)


def decode_with_lines(text: str, depth: int = 3) -> tuple[object, dict[tuple, int]]:
    """A JSON document, and the line (1-based) each value down to `depth` starts on, by path
    (`("features", 3)`); raises json.JSONDecodeError."""
    nl = [m.start() for m in re.finditer("\n", text)]
    lines: dict[tuple, int] = {}
    doc, end = _decode(text, 0, (), depth, lines, nl)
    if text[_skip(text, end):]:
        raise json.JSONDecodeError("Extra data", text, end)
    return doc, lines


# ------------------------------------------------------------------ reading
def line_points(geom: object) -> list[tuple[float, float]] | None:
    """The [lon, lat] points of a LineString or MultiLineString; None unless there are at least two
    and all are in range."""
    gtype = geom.get("type") if isinstance(geom, dict) else None
    coords = geom.get("coordinates") if isinstance(geom, dict) else None
    parts = [coords] if gtype == "LineString" else coords if gtype == "MultiLineString" else None
    try:  # `parts` may be None or hold anything: what fails is caught, a bad geometry is None
        pts = [(float(c[0]), float(c[1])) for part in parts for c in part]  # type: ignore[union-attr]
    except (TypeError, ValueError, IndexError):
        return None
    if len(pts) < 2 or not all(abs(x) <= 180 and abs(y) <= 90 for x, y in pts):
        return None
    return pts


def _cell(v: object) -> str:
    """A JSON value as the text a CSV cell would hold."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, int | str):
        return str(v).strip()
    return json.dumps(v)  # a list or an object: reported where its column is checked


def _point(geom: object) -> tuple[str, str] | None:
    coords = geom.get("coordinates") if isinstance(geom, dict) and geom.get("type") == "Point" else None
    if not isinstance(coords, list) or len(coords) < 2:
        return None
    lon, lat = coords[:2]
    ok = all(isinstance(c, int | float) and not isinstance(c, bool) for c in (lon, lat))
    return (_cell(lon), _cell(lat)) if ok else None


def _frame(rows: list[dict[str, str]], lines: list[int], order: object) -> pd.DataFrame:
    """Rows of text cells as a text frame; columns in `order` (the writer's list), then as first seen."""
    first = [str(c) for c in order] if isinstance(order, list) else []
    seen = list(dict.fromkeys([*first, *(c for r in rows for c in r)]))
    cols = [c for c in seen if any(c in r for r in rows)] if rows else seen
    df = pd.DataFrame([[r.get(c, "") for c in cols] for r in rows], columns=cols, dtype=object).astype(str) \
        if rows else pd.DataFrame({c: pd.Series(dtype=str) for c in cols})
    df["__line__"] = np.array(lines, dtype=np.int64)
    return df


def _features(feats: list, lines: dict[tuple, int], f: str, problems: list[Problem]
              ) -> tuple[dict[str, list[tuple[dict[str, str], int]]], dict[str, list[tuple[float, float]]]]:
    """Node and link rows (text cells, line) and link shapes of the features."""
    rows: dict[str, list[tuple[dict[str, str], int]]] = {"nodes": [], "links": []}
    shapes: dict[str, list[tuple[float, float]]] = {}
    for n, feat in enumerate(feats):
        line = lines.get(("features", n))
        props = feat.get("properties") if isinstance(feat, dict) else None
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        gtype = geom.get("type") if isinstance(geom, dict) else None
        said = props.get("feature") if isinstance(props, dict) and "feature" in props else gtype
        kinds = _FEATURE_KINDS if isinstance(props, dict) and "feature" in props else _KIND_OF_GEOMETRY
        kind = kinds.get(said) if isinstance(said, str) else None  # a list or object names no kind
        if not isinstance(props, dict) or kind is None:
            problems.append(Problem(f, line, f"features[{n}]", "a feature is a node (a Point with "
                                    "properties) or a link (a LineString with properties)"))
            continue
        cells = {str(k).strip(): _cell(v) for k, v in props.items() if k not in RESERVED}
        if kind == "nodes":
            point = _point(geom)
            if point is None:
                problems.append(Problem(f, line, "geometry", "a node's geometry must be a Point [lon, lat]"))
            cells["x_coord"], cells["y_coord"] = point or (cells.get("x_coord", ""), cells.get("y_coord", ""))
        elif geom is not None and props.get("drawn") is not True:
            pts = line_points(geom)
            if pts is None:
                problems.append(Problem(f, line, "geometry", f"link '{short(cells.get('link_id', ''))}': "
                                        "geometry must be a LineString of at least two [lon, lat] points"))
            elif cells.get("link_id"):
                shapes[cells["link_id"]] = pts
        rows[kind].append((cells, line or 0))
    return rows, shapes


def _plain_tables(meta: dict, lines: dict[tuple, int], f: str, problems: list[Problem]
                  ) -> dict[str, pd.DataFrame | None]:
    """Sources, rates and commodities from the `corridor` member, as text frames."""
    out: dict[str, pd.DataFrame | None] = {}
    for name in PLAIN_TABLES:
        records = meta.get(name)
        if records is None:
            if name == "sources":
                problems.append(Problem(f, None, "corridor.sources",
                                        "no sources table: every number must name a source listed here"))
                out[name] = None
            continue
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            problems.append(Problem(f, lines.get(("corridor", name)), f"corridor.{name}",
                                    "must be a list of records (objects)"))
            out[name] = None
            continue
        rows = [{str(k).strip(): _cell(v) for k, v in r.items()} for r in records]
        out[name] = _frame(rows, [lines.get(("corridor", name, i), 0) for i in range(len(rows))],
                           list(records[0]) if records else None)
    return out


def read_geojson(path: Path, problems: list[Problem]) -> NetworkFrames:
    """The tables of a network GeoJSON file (or of `network.geojson` in a folder), as text."""
    path = Path(path)
    file = path / NETWORK_FILE if path.is_dir() else path
    f = str(file)
    empty = NetworkFrames({"nodes": None, "links": None, "sources": None}, dict.fromkeys(TABLE_FILES, f))
    try:
        doc, lines = decode_with_lines(read_input_text(file, encoding="utf-8-sig"))
    except FileNotFoundError:
        problems.append(Problem(f, None, None, "file not found"))
        return empty
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(f, None, None, f"cannot be read as UTF-8 text: {exc}"))
        return empty
    except RecursionError:
        problems.append(Problem(f, None, None, "not valid GeoJSON: nested too deeply"))
        return empty
    except json.JSONDecodeError as exc:
        problems.append(Problem(f, exc.lineno, None, f"not valid JSON: {exc.msg}"))
        return empty
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        problems.append(Problem(f, None, None, "not a GeoJSON FeatureCollection"))
        return empty
    feats = doc["features"]
    meta = doc["corridor"] if isinstance(doc.get("corridor"), dict) else {}
    declared = meta.get("columns")
    columns = declared if isinstance(declared, dict) else {}
    rows, shapes = _features(feats, lines, f, problems)
    tables = {kind: _frame([r for r, _ in rows[kind]], [ln for _, ln in rows[kind]], columns.get(kind))
              for kind in ("nodes", "links")}
    return NetworkFrames({**tables, **_plain_tables(meta, lines, f, problems)}, dict.fromkeys(TABLE_FILES, f),
                         shapes)


# ------------------------------------------------------------------ writing
def _records(df: pd.DataFrame | None) -> list[dict[str, Any]]:
    return [] if df is None else json_safe(df.to_dict(orient="records"))


def _dumps(x: object) -> str:
    return json.dumps(x, ensure_ascii=False, allow_nan=False)


def _array(items: list[str]) -> str:
    return "[\n" + ",\n".join(items) + "\n]" if items else "[]"


def network_geojson_text(net: Network) -> str:
    """The network as the GeoJSON text `read_geojson` reads back (one feature or record a line);
    properties carry GMNS names (`length` in km; a node's x_coord and y_coord are its Point)."""
    nodes = net.raw_nodes.rename(columns=GMNS_NAMES["nodes"])
    links = net.raw_links.rename(columns=GMNS_NAMES["links"])
    node_cols = [c for c in nodes.columns if c not in ("x_coord", "y_coord")]
    feats = []
    for rec in _records(nodes):
        props = {"feature": "node", **{c: rec[c] for c in node_cols}}
        feats.append(_dumps({"type": "Feature", "properties": props,
                             "geometry": {"type": "Point", "coordinates": [rec["x_coord"], rec["y_coord"]]}}))
    for i, rec in enumerate(_records(links)):
        shape = net.geometry.get(str(rec["link_id"]))
        props = {"feature": "link", **rec, **({} if shape else {"drawn": True})}
        coords = [list(c) for c in (shape or net.link_coords(i))]
        feats.append(_dumps({"type": "Feature", "properties": props,
                             "geometry": {"type": "LineString", "coordinates": json_safe(coords)}}))
    columns = {"nodes": list(nodes.columns), "links": list(links.columns)}
    meta = [f'"columns": {_dumps(columns)}']
    for name in PLAIN_TABLES:
        table = getattr(net, name)
        if table is not None:
            meta.append(f'"{name}": ' + _array([_dumps(r) for r in _records(table)]))
    return ('{"type": "FeatureCollection",\n"corridor": {"format": "corridor network", "version": 1,\n'
            + ",\n".join(meta) + '},\n"features": ' + _array(feats) + "}\n")


def write_geojson(net: Network, dest: str | Path, *, overwrite: bool = False) -> list[Path]:
    """The network as one GeoJSON file: `dest` if it ends in .geojson/.json, else dest/network.geojson."""
    dest = Path(dest)
    target = dest if dest.suffix.lower() in SUFFIXES else dest / NETWORK_FILE
    refuse_overwrite([target], overwrite)
    target.write_text(network_geojson_text(net), encoding="utf-8")
    return [target]

