"""Every source a brief rests on, with its URL: the ids found in the routes, links, nodes, scenario
files, demand and parameters behind the numbers, looked up in the network's sources.csv (or in a
scenario's own `sources:` entries)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from ..network.tables import Network

COLUMNS = ["source_id", "title", "publisher", "date", "url"]

SOURCE_KEYS = ("source", "source_id", "sources")

# the sources of every map: the basemap and the shapes of rail lines and sea lanes
MAP_SOURCES = ("naturalearth_admin0", "osm_railways", "searoute")

_LINK_COLS = (
    "source_id",
    "length_source",
    "speed_source",
    "wait_source",
    "cost_source",
    "co2_source",
    "capacity_source",
    "geometry_source",
)

_METHOD_COLS = ("geometry_source",)  # may name a method (straight, lake) rather than a source

_NODE_COLS = ("coord_source", "dwell_source", "transship_source", "capacity_source")


def split_ids(cell: object) -> list[str]:
    """Source ids in a cell: 'a;b', a list, or nothing; derived values ('derived: ...') are not sources."""
    if cell is None or (isinstance(cell, float) and cell != cell):
        return []
    items = cell if isinstance(cell, list | tuple) else str(cell).split(";")
    return [s.strip() for s in map(str, items) if s.strip() and not s.strip().startswith("derived")]


def ids_in(obj: object) -> list[str]:
    """Source ids anywhere in a JSON-like value (under keys named source, source_id or sources)."""
    out: list[str] = []
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            if k in SOURCE_KEYS and not (isinstance(v, list) and v and isinstance(v[0], Mapping)):
                out.extend(split_ids(v))
            else:
                out.extend(ids_in(v))
    elif isinstance(obj, list | tuple):
        for v in obj:
            out.extend(ids_in(v))
    return out


def element_ids(net: Network, *, links: Iterable[str] = (), nodes: Iterable[str] = ()) -> list[str]:
    """The sources behind the numbers of these links and nodes (ids) of `net` (a shape drawn by a method,
    such as a straight line, has no source)."""
    known = set() if net.sources is None else set(net.sources["source_id"].astype(str))
    out: list[str] = []
    for frame, key, cols, wanted in (
        (net.links, "link_id", _LINK_COLS, set(map(str, links))),
        (net.nodes, "node_id", _NODE_COLS, set(map(str, nodes))),
    ):
        rows = frame[frame[key].astype(str).isin(wanted)]
        for c in cols:
            if c in rows.columns:
                for cell in rows[c]:
                    out.extend(i for i in split_ids(cell) if c not in _METHOD_COLS or i in known)
    return out


def data_ids(file: str, column: str | None = None, values: Iterable[str] | None = None) -> list[str]:
    """The sources of a bundled data table (`file`, e.g. risk_premiums.csv), of its rows whose `column`
    is among `values` when given: the parameters behind a brief's numbers have sources too."""
    from ..datafiles import bundled_data_dir

    path = bundled_data_dir() / file
    if not path.exists():
        return []
    t = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "source_id" not in t.columns:
        return []
    if column is not None and values is not None and column in t.columns:
        t = t[t[column].isin(set(values))]
    return [i for cell in t["source_id"] for i in split_ids(cell)]


def params_ids() -> list[str]:
    """The sources of the fitted behaviour (assignment_params.json): what every assignment rests on."""
    import json

    from ..datafiles import bundled_data_dir

    path = bundled_data_dir() / "assignment_params.json"
    return ids_in(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else []


def demand_ids(table: pd.DataFrame) -> list[str]:
    """The sources behind a demand table's cells (each cell may list several, 'a;b')."""
    if "source_id" not in table.columns:
        return []
    return [i for cell in table["source_id"].dropna().unique() for i in split_ids(cell)]


def sources_table(net: Network, ids: Iterable[str], extra: Iterable[Mapping] = ()) -> pd.DataFrame:
    """One row per distinct source id (in first-seen order, map sources included): title, publisher,
    date and URL from `net`'s sources.csv, else from `extra` (a scenario's own entries: id, title,
    url); an id found in neither is listed as such, never dropped."""
    known = {} if net.sources is None else {str(r["source_id"]): r for r in net.sources.to_dict("records")}
    own = {str(e.get("id")): e for e in extra}
    rows = []
    for sid in dict.fromkeys([*ids, *MAP_SOURCES]):
        if sid in known:
            r = known[sid]
            rows.append({c: "" if pd.isna(r.get(c)) else str(r.get(c, "")) for c in COLUMNS})
        elif sid in own:
            e = own[sid]
            rows.append(
                {
                    "source_id": sid,
                    "title": str(e.get("title", "")),
                    "publisher": "scenario file",
                    "date": str(e.get("date", "") or ""),
                    "url": str(e.get("url", "")),
                }
            )
        else:
            rows.append(
                {"source_id": sid, "title": "(not in sources.csv)", "publisher": "", "date": "", "url": ""}
            )
    return pd.DataFrame(rows, columns=COLUMNS)
