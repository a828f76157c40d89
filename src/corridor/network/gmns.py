"""The GMNS folder: node.csv (`node_id, x_coord, y_coord`, ...), link.csv (`link_id, from_node_id,
to_node_id, directed, length, allowed_uses`, ..., `geometry` as WKT), config.csv stating the units
and use_definition.csv defining the uses (modes), with sources.csv and optional rates.csv and
commodities.csv beside them (General Modeling Network Specification, zephyr-data-specs/GMNS).

Fields GMNS does not define (kind, country, dwell and transshipment hours, capacities, sources, ...)
are extra fields, as GMNS allows. The library keeps lon/lat/length_km internally; the columns are
renamed when read (`validation.GMNS_NAMES`), so problems name the file's columns. A folder in the
older naming (lon, lat, length_km, shapes in link_geometry.geojson) still reads.

`read_gmns` gives the tables as text (row = file line); `write_gmns` writes a network so that
`read_gmns` reads the same tables back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import CorridorError, Problem
from ..output import refuse_overwrite
from ..readers import line_of, read_input_text, read_text_csv, require_columns, short
from ..vocabulary import MODES
from .geojson import line_points
from .validation import GMNS_NAMES, TABLE_FILES, NetworkFrames

if TYPE_CHECKING:
    from .tables import Network

GEOMETRY_FILE = "link_geometry.geojson"  # shapes of a folder in the older naming (read only)

CONFIG_FILE = "config.csv"

USE_FILE = "use_definition.csv"

OPTIONAL_TABLES = ("rates", "commodities")

# the GMNS version the files follow, and the config row the writer states
GMNS_VERSION = "0.97"

CONFIG = {"dataset_name": "", "short_length": "m", "long_length": "km", "speed": "kph", "crs": "EPSG:4326",
          "geometry_field_format": "WKT", "currency": "USD", "version_number": GMNS_VERSION,
          "id_type": "string"}

# the uses (GMNS use_definition): one per mode; freight, so no persons and a pce of one unit
USE_TEXT = {"rail": "container and wagon freight by rail (TEU)",
            "road": "trucks (one FEU or two TEU a truck)",
            "ferry": "rail and truck ferries, Ro-Ro and Ro-Pax (TEU)", "sea": "container ships (TEU)",
            "transfer": "terminal connectors within one place (TEU)"}

USE_COLUMNS = ("use", "persons_per_vehicle", "pce", "special_conditions", "description")


# ------------------------------------------------------------------ WKT
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_POINT = re.compile(rf"\s*({_NUM})\s+({_NUM})(?:\s+{_NUM})?\s*")
_WKT = re.compile(r"^\s*(MULTI)?LINESTRING\s*(?:Z\s*|M\s*|ZM\s*)?\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)


def parse_wkt_line(text: str) -> list[tuple[float, float]] | None:
    """The (lon, lat) points of a WKT LINESTRING or MULTILINESTRING (parts joined); None if it is not
    one with at least two points in range."""
    m = _WKT.match(text)
    if m is None:
        return None
    body = m.group(2)
    parts = re.findall(r"\(([^()]*)\)", body) if m.group(1) else [body]
    pts: list[tuple[float, float]] = []
    for part in parts:
        for token in part.split(","):
            p = _POINT.fullmatch(token)
            if p is None:
                return None
            pts.append((float(p.group(1)), float(p.group(2))))
    if len(pts) < 2 or not all(abs(x) <= 180 and abs(y) <= 90 for x, y in pts):
        return None
    return pts


def wkt_line(coords: Iterable[Sequence[float]]) -> str:
    """A WKT LINESTRING whose numbers read back as the same floats."""
    return "LINESTRING (" + ", ".join(f"{float(x)!r} {float(y)!r}" for x, y in coords) + ")"


# ------------------------------------------------------------------ reading
def _geometry_column(links: pd.DataFrame, fname: str, problems: list[Problem]) -> dict:
    """Link shapes from link.csv's WKT `geometry` column."""
    out: dict[str, list[tuple[float, float]]] = {}
    for i, (lid, text) in enumerate(zip(links["link_id"], links["geometry"], strict=True)):
        if not text:
            continue
        pts = parse_wkt_line(text)
        if pts is None:
            problems.append(Problem(fname, line_of(links, i), "geometry",
                                    f"link '{short(lid)}': not a WKT LINESTRING of at least two "
                                    "lon/lat points"))
        elif lid:
            out[lid] = pts
    return out


def _read_config(path: Path, problems: list[Problem]) -> dict[str, str] | None:
    """The one row of a GMNS config.csv (None if there is no file)."""
    if not path.exists():
        return None
    df = read_text_csv(path, problems)
    if df is None:
        return None
    if len(df) != 1:
        problems.append(Problem(str(path), None, None, f"must hold one row, not {len(df)}"))
        return None
    return {c: str(df[c].iat[0]) for c in df.columns if c != "__line__"}


def _read_uses(path: Path, problems: list[Problem]) -> set[str] | None:
    """The uses a GMNS use_definition.csv defines (None if there is no file)."""
    if not path.exists():
        return None
    df = read_text_csv(path, problems)
    if df is None or not require_columns(df, ("use", "persons_per_vehicle", "pce"), str(path), problems):
        return None
    for col in ("persons_per_vehicle", "pce"):
        vals = pd.to_numeric(df[col], errors="coerce")
        for i in (~(vals >= 0)).to_numpy().nonzero()[0]:
            problems.append(Problem(str(path), line_of(df, i), col, "needs a number >= 0"))
    return set(df["use"])


def read_link_geometry(path: Path, problems: list[Problem]) -> dict[str, list[tuple[float, float]]]:
    """LineStrings by link_id from a link_geometry.geojson (the older naming); malformed features
    are reported, not guessed at."""
    f = str(path)
    try:
        fc = json.loads(read_input_text(path))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(Problem(f, None, None, f"not valid GeoJSON: {exc}"))
        return {}
    feats = fc.get("features") if isinstance(fc, dict) else None
    if not isinstance(feats, list):
        problems.append(Problem(f, None, None, "not a GeoJSON FeatureCollection"))
        return {}
    out: dict[str, list[tuple[float, float]]] = {}
    for n, feat in enumerate(feats):
        where = f"features[{n}]"
        props = feat.get("properties") if isinstance(feat, dict) else None
        lid = str(props.get("link_id", "")) if isinstance(props, dict) else ""
        if not lid:
            problems.append(Problem(f, None, where, "feature has no properties.link_id"))
            continue
        pts = line_points(feat.get("geometry"))
        if pts is None:
            problems.append(Problem(f, None, where, f"link '{short(lid)}': geometry must be a LineString of "
                                                    "at least two [lon, lat] points"))
            continue
        out[lid] = pts
    return out


def read_gmns(folder: Path, problems: list[Problem]) -> NetworkFrames:
    """Every table of a GMNS folder as text, its link shapes, config and uses; what cannot be read is
    a problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CorridorError(f"{folder}: not a directory")
    tables, where = {}, {}
    for name, fname in TABLE_FILES.items():
        path = folder / fname
        where[name] = str(path)
        if name in OPTIONAL_TABLES and not path.exists():
            continue
        tables[name] = read_text_csv(path, problems)
        if name == "sources" and tables[name] is None and not path.exists():
            problems[-1] = Problem(str(path), None, None,
                                   "file not found: every number must name a source listed here")
    legacy = folder / GEOMETRY_FILE
    shapes = read_link_geometry(legacy, problems) if legacy.exists() else {}
    links = tables.get("links")
    if links is not None and "geometry" in links.columns:
        shapes.update(_geometry_column(links, where["links"], problems))
        tables["links"] = links.drop(columns="geometry")
    return NetworkFrames(tables, where, shapes, config=_read_config(folder / CONFIG_FILE, problems),
                         uses=_read_uses(folder / USE_FILE, problems), config_where=str(folder / CONFIG_FILE))


# ------------------------------------------------------------------ writing
def gmns_nodes(raw_nodes: pd.DataFrame) -> pd.DataFrame:
    """A node table with GMNS column names, in the network's column order (GMNS fixes none)."""
    return raw_nodes.rename(columns=GMNS_NAMES["nodes"])


def gmns_links(raw_links: pd.DataFrame, geometry: dict | None = None) -> pd.DataFrame:
    """A link table with GMNS column names (`length` in km, `allowed_uses` = the mode after it,
    `directed` as true/false, `geometry` as WKT where the link has a shape, last)."""
    df = raw_links.rename(columns=GMNS_NAMES["links"])
    if df["directed"].dtype == bool:
        df["directed"] = df["directed"].map({True: "true", False: "false"})
    if "mode" in df.columns:
        df.insert(df.columns.get_loc("mode") + 1, "allowed_uses", df["mode"])
    if geometry:
        df = df.assign(geometry=[wkt_line(geometry[lid]) if lid in geometry else "" for lid in df["link_id"]])
    return df


def use_definition(modes: Iterable[str]) -> pd.DataFrame:
    """GMNS use_definition rows for the modes a network uses."""
    used = [m for m in MODES if m in set(modes)]
    return pd.DataFrame([{"use": m, "persons_per_vehicle": 0, "pce": 1, "special_conditions": "",
                          "description": USE_TEXT.get(m, m)} for m in used], columns=list(USE_COLUMNS))


def config_row(name: str = "") -> pd.DataFrame:
    """The GMNS config row: units (km, kph, USD), WGS84 coordinates, WKT geometry."""
    return pd.DataFrame([CONFIG | {"dataset_name": name}])


def write_gmns(net: Network, folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """node.csv, link.csv (geometry as WKT), config.csv, use_definition.csv, sources.csv (+ rates,
    commodities) that `read_gmns` reads back into the same tables."""
    folder = Path(folder)
    targets = [folder / n for n in (*TABLE_FILES.values(), CONFIG_FILE, USE_FILE)]
    refuse_overwrite(targets, overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {"nodes": gmns_nodes(net.raw_nodes), "links": gmns_links(net.raw_links, net.geometry),
              "sources": net.sources, "rates": net.rates, "commodities": net.commodities}
    written = []
    for name, fname in TABLE_FILES.items():
        frame = tables[name]
        if frame is not None and (len(frame) or name in ("nodes", "links")):
            frame.to_csv(folder / fname, index=False)
            written.append(folder / fname)
    config_row(net.name).to_csv(folder / CONFIG_FILE, index=False)
    use_definition(net.raw_links["mode"]).to_csv(folder / USE_FILE, index=False)
    return [*written, folder / CONFIG_FILE, folder / USE_FILE]
