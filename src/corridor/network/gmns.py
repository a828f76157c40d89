"""The GMNS-style folder: node.csv and link.csv (GMNS column names where GMNS has one), with
sources.csv, optional rates.csv and commodities.csv, and link shapes in link_geometry.geojson.

The bundled network is such a folder; `read_gmns` gives its tables as text (row = file line),
`write_gmns` writes a network so that `read_gmns` reads the same tables back.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import CorridorError, Problem
from ..output import refuse_overwrite
from ..readers import read_text_csv, short
from .geojson import line_points
from .validation import TABLE_FILES, NetworkFrames

GEOMETRY_FILE = "link_geometry.geojson"

OPTIONAL_TABLES = ("rates", "commodities")


def read_gmns(folder: Path, problems: list[Problem]) -> NetworkFrames:
    """Every table of a GMNS folder as text, and its link shapes; what cannot be read is a problem."""
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
    geo = folder / GEOMETRY_FILE
    return NetworkFrames(tables, where, read_link_geometry(geo, problems) if geo.exists() else {})


def read_link_geometry(path: Path, problems: list[Problem]) -> dict[str, list[tuple[float, float]]]:
    """LineStrings by link_id; malformed features are reported, not guessed at."""
    f = str(path)
    try:
        fc = json.loads(Path(path).read_text(encoding="utf-8"))
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


def write_gmns(net, folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """node.csv, link.csv (+ sources, rates, commodities, link shapes) that `read_gmns` reads back."""
    folder = Path(folder)
    targets = [folder / n for n in (*TABLE_FILES.values(), GEOMETRY_FILE)]
    refuse_overwrite(targets, overwrite)
    links = net.raw_links.copy()
    links["directed"] = links["directed"].map({True: "true", False: "false"})
    tables = {"nodes": net.raw_nodes, "links": links, "sources": net.sources, "rates": net.rates,
              "commodities": net.commodities}
    written = []
    for name, fname in TABLE_FILES.items():
        frame = tables[name]
        if frame is not None and (len(frame) or name in ("nodes", "links")):
            frame.to_csv(folder / fname, index=False)
            written.append(folder / fname)
    if net.geometry:
        feats = [{"type": "Feature", "properties": {"link_id": lid},
                  "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]}}
                 for lid, coords in net.geometry.items()]
        targets[-1].write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
        written.append(targets[-1])
    return written
