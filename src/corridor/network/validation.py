"""Checking a network's tables: nodes, links, sources, rates and commodities, as text.

Every format's reader turns what it reads into text frames (every cell as text, plus `__line__`:
the row to report, a line of the file); `check_network_tables` checks them all and collects
every problem (file, row, column, reason) before anything is raised, so a bad value is
reported where it is written instead of being coerced or crashing a parser. In-memory tables
(a scenario's, a user's DataFrames) go through the same checks: `validate_network_tables`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Problem, ProblemList, ValidationError
from ..readers import (
    FALSE_WORDS,
    TRUE_WORDS,
    YES_NO,
    check_bounds,
    check_choice,
    check_countries,
    check_non_negative,
    check_required_cells,
    check_unique,
    line_of,
    read_text_csv,
    require_columns,
    short,
    text_frame,
    to_numbers,
)
from ..vocabulary import MODES, NODE_KINDS

STATUSES = ("open", "closed", "planned")

GAUGES = (1435, 1520)

# the tables of a network, and the file each has in a GMNS folder (the label of in-memory tables)
TABLE_FILES = {"nodes": "node.csv", "links": "link.csv", "sources": "sources.csv",
               "rates": "rates.csv", "commodities": "commodities.csv"}

REQUIRED_TABLES = ("nodes", "links", "sources")

# Files are GMNS: the columns GMNS names are read under the names the library keeps (a file in the
# older lon/lat/length_km naming reads as well). Internal name -> GMNS name, per table.
GMNS_NAMES = {"nodes": {"lon": "x_coord", "lat": "y_coord"}, "links": {"length_km": "length"}}

# GMNS config `long_length` units a file may state, in km (what the library keeps)
LENGTH_UNITS_KM = {"km": 1.0, "kilometer": 1.0, "kilometers": 1.0, "m": 0.001, "meter": 0.001,
                   "meters": 0.001, "mi": 1.609344, "mile": 1.609344, "miles": 1.609344}

# a GMNS `crs` the library reads: WGS84 longitude/latitude
WGS84 = ("epsg:4326", "wgs84", "wgs 84", "ogc:crs84", "urn:ogc:def:crs:ogc:1.3:crs84")

NODE_REQUIRED = ("node_id", "name", "kind", "country", "lon", "lat")

NODE_NUMERIC = ("lon", "lat", "dwell_hours", "dwell_usd", "transship_hours", "transship_usd",
                "capacity_teu_yr", "capacity_t_yr")

LINK_REQUIRED = ("link_id", "from_node_id", "to_node_id", "mode", "length_km", "status", "source_id")

LINK_NUMERIC = ("length_km", "speed_kmh", "wait_hours", "usd_per_teu", "co2_kg_per_teu",
                "capacity_teu_yr", "capacity_t_yr", "gauge", "opening_year")

LINK_NON_NEGATIVE = ("length_km", "speed_kmh", "wait_hours", "usd_per_teu", "co2_kg_per_teu",
                     "capacity_teu_yr", "capacity_t_yr")

RATE_NUMERIC = ("speed_kmh", "usd_per_teu_km", "co2_kg_per_teu_km")

# value column -> the column that must name its source (row-level source_id is the fallback)
NODE_SOURCED = {
    "lon": "coord_source", "lat": "coord_source",
    "dwell_hours": "dwell_source", "dwell_usd": "dwell_source",
    "transship_hours": "transship_source", "transship_usd": "transship_source",
    "capacity_teu_yr": "capacity_source", "capacity_t_yr": "capacity_source",
}

LINK_SOURCED = {
    "length_km": "length_source", "speed_kmh": "speed_source", "wait_hours": "wait_source",
    "usd_per_teu": "cost_source", "co2_kg_per_teu": "co2_source",
    "capacity_teu_yr": "capacity_source", "capacity_t_yr": "capacity_source",
}

RATE_SOURCED = {"speed_kmh": "speed_source", "usd_per_teu_km": "cost_source",
                "co2_kg_per_teu_km": "co2_source"}

_ISO3 = re.compile(r"^[A-Z]{3}$")


@dataclass
class NetworkFrames:
    """What a format's reader found, before it is checked.

    `tables`: text frames by table name (`TABLE_FILES`); a table the input lacks is absent, one
    that could not be read is None (its problem is reported already). `where`: the file to name
    in a table's problems. `geometry`: link shapes by link id, already checked. `config` and
    `uses`: the GMNS config row and the uses of its use_definition table, when given.
    """

    tables: dict[str, pd.DataFrame | None]
    where: dict[str, str]
    geometry: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    # the GMNS config row (units, crs), if the input has one; `uses`: its use_definition's uses
    config: dict[str, str] | None = None
    uses: set[str] | None = None
    config_where: str = "config.csv"


def _check_sources(df: pd.DataFrame, sourced: Mapping[str, str], fname: str, known: set[str] | None,
                   problems: list[Problem]) -> None:
    """A value with no source is a bug: every set number names a source row (one `known`, if given)."""
    def empty(col: str) -> np.ndarray:  # compared as text columns, never turned into Python objects
        return (df[col] == "").to_numpy(dtype=bool) if col in df.columns else np.ones(len(df), dtype=bool)

    no_row_source = empty("source_id")
    for col, src_col in sourced.items():
        if col not in df.columns:
            continue
        missing = pd.notna(df[col].to_numpy()) & empty(src_col) & no_row_source
        for i in np.flatnonzero(missing):
            problems.append(Problem(fname, line_of(df, i), src_col, f"'{col}' has a value but no source"))
    if known is None:
        return
    for col in sorted(set(sourced.values()) | {"source_id"}):
        if col not in df.columns:
            continue
        unknown = {cell: [sid for sid in filter(None, (s.strip() for s in str(cell).split(";")))
                          if not (sid.startswith("derived") or sid in known)] for cell in df[col].unique()}
        bad = [cell for cell, sids in unknown.items() if sids]
        if not bad:
            continue
        cells = df[col]
        for i in np.flatnonzero(cells.isin(bad).to_numpy(dtype=bool)):
            for sid in unknown[cells.iat[i]]:
                problems.append(Problem(fname, line_of(df, i), col,
                                        f"source '{short(sid)}' is not in sources.csv"))


def _validate_sources(txt: pd.DataFrame, fname: str, problems: list[Problem]) -> set[str] | None:
    """The source ids a network's numbers may name."""
    if not require_columns(txt, ("source_id", "title", "url"), fname, problems):
        return None
    check_required_cells(txt, ("source_id", "title", "url"), fname, problems)
    check_unique(txt, "source_id", fname, problems, what="source id")
    return set(txt["source_id"])


def _validate_rates(txt: pd.DataFrame, fname: str, known: set[str] | None,
                    problems: list[Problem]) -> pd.DataFrame | None:
    """Speed, tariff and CO2 per km by rate class: what a link leaves out, its class gives."""
    cols = ("rate_class", "mode", *RATE_NUMERIC)
    if not require_columns(txt, cols, fname, problems):
        return None
    check_required_cells(txt, cols, fname, problems)
    check_unique(txt, "rate_class", fname, problems, what="rate class")
    check_choice(txt, "mode", MODES, fname, problems)
    rates = to_numbers(txt, RATE_NUMERIC, fname, problems)
    check_non_negative(rates, RATE_NUMERIC, fname, problems, ("speed_kmh",))
    check_bounds(rates, "rates", fname, problems, signed=RATE_NUMERIC)
    _check_sources(rates, RATE_SOURCED, fname, known, problems)
    return rates


def _validate_commodities(txt: pd.DataFrame, fname: str, known: set[str] | None,
                          problems: list[Problem]) -> pd.DataFrame | None:
    """Values of time (and of cargo) per commodity class."""
    cols = ("commodity", "value_of_time_usd_per_teu_hour")
    if not require_columns(txt, cols, fname, problems):
        return None
    check_required_cells(txt, cols, fname, problems)
    check_unique(txt, "commodity", fname, problems, what="commodity")
    num = [c for c in ("value_of_time_usd_per_teu_hour", "value_usd_per_teu") if c in txt.columns]
    out = to_numbers(txt, num, fname, problems)
    check_non_negative(out, num, fname, problems)
    check_bounds(out, "commodities", fname, problems, signed=num)
    _check_sources(out, {c: "source_id" for c in num}, fname, known, problems)
    if "containerised" in txt.columns:  # optional: does a TEU capacity count this class?
        for i, v in enumerate(txt["containerised"]):
            if v.lower() not in YES_NO:
                problems.append(Problem(fname, line_of(txt, i), "containerised",
                                        f"'{v[:20]}' is not one of {', '.join(sorted(YES_NO))}"))
    return out


def _validate_nodes(txt: pd.DataFrame, fname: str, known: set[str] | None,
                    problems: list[Problem]) -> pd.DataFrame | None:
    from .names import normalize_name

    if not require_columns(txt, NODE_REQUIRED, fname, problems):
        return None
    check_required_cells(txt, NODE_REQUIRED, fname, problems)
    check_unique(txt, "node_id", fname, problems, key=str.lower)
    check_unique(txt, "name", fname, problems, key=normalize_name, what="place name")
    check_choice(txt, "kind", NODE_KINDS, fname, problems)
    bad_iso = ~txt["country"].str.match(_ISO3) & (txt["country"] != "")
    for i in np.flatnonzero(bad_iso.to_numpy()):
        problems.append(Problem(fname, line_of(txt, i), "country",
                                f"'{short(txt['country'].iat[i])}' is not an ISO3 code"))
    check_countries(txt, "country", fname, problems)
    nodes = to_numbers(txt, NODE_NUMERIC, fname, problems)
    for col, lim in (("lon", 180.0), ("lat", 90.0)):
        for i in np.flatnonzero((nodes[col].abs() > lim).to_numpy()):
            problems.append(Problem(fname, line_of(nodes, i), col, f"{nodes[col].iat[i]:g} is out of range"))
    check_non_negative(nodes, NODE_NUMERIC[2:], fname, problems)
    check_bounds(nodes, "nodes", fname, problems, signed=NODE_NUMERIC[2:])
    _check_sources(nodes, NODE_SOURCED, fname, known, problems)
    return nodes


def _check_link_values(txt: pd.DataFrame, links: pd.DataFrame, fname: str, problems: list[Problem]) -> None:
    """Gauge on rail only (and a known one there), whole opening years, a year for planned links."""
    rail = links["mode"] == "rail"
    for i in np.flatnonzero((rail & ~links["gauge"].isin(GAUGES)).to_numpy()):
        g = txt["gauge"].iat[i] if "gauge" in txt else ""
        problems.append(Problem(fname, line_of(links, i), "gauge",
                                f"rail link needs gauge 1435 or 1520, got '{short(g)}'"))
    for i in np.flatnonzero((~rail & links["gauge"].notna()).to_numpy()):
        problems.append(Problem(fname, line_of(links, i), "gauge",
                                f"gauge applies to rail only, not '{links['mode'].iat[i]}'"))
    yr = links["opening_year"]
    for i in np.flatnonzero((yr.notna() & (yr != yr.round())).to_numpy()):
        problems.append(Problem(fname, line_of(links, i), "opening_year", f"{yr.iat[i]:g} is not a year"))
    for i in np.flatnonzero(((links["status"] == "planned") & yr.isna()).to_numpy()):
        problems.append(Problem(fname, line_of(links, i), "opening_year",
                                "a planned link needs the year it is due to open"))


def _directed(txt: pd.DataFrame, fname: str, problems: list[Problem]) -> pd.Series:
    """The `directed` column as booleans (absent: every link runs both ways)."""
    if "directed" not in txt.columns:
        return pd.Series(False, index=txt.index)
    d = txt["directed"].str.lower()
    for i in np.flatnonzero((~d.isin(TRUE_WORDS | FALSE_WORDS)).to_numpy()):
        problems.append(Problem(fname, line_of(txt, i), "directed", f"'{short(d.iat[i])}' is not true/false"))
    return d.isin(TRUE_WORDS)


def _check_link_ends(links: pd.DataFrame, node_ids: set[str], fname: str, problems: list[Problem]) -> None:
    for col in ("from_node_id", "to_node_id"):
        unknown = ~links[col].isin(node_ids) & (links[col] != "")
        for i in np.flatnonzero(unknown.to_numpy()):
            problems.append(Problem(fname, line_of(links, i), col,
                                    f"unknown node '{short(links[col].iat[i])}'"))
    loop = (links["from_node_id"] == links["to_node_id"]) & (links["from_node_id"] != "")
    for i in np.flatnonzero(loop.to_numpy()):
        problems.append(Problem(fname, line_of(links, i), "to_node_id",
                                "link starts and ends at the same node"))


def _check_rate_classes(links: pd.DataFrame, rates: pd.DataFrame | None, fname: str,
                        problems: list[Problem]) -> None:
    """A value the library must fill needs a rate class that provides it."""
    need_rate = links["speed_kmh"].isna() | links["usd_per_teu"].isna() | links["co2_kg_per_teu"].isna()
    rc = links["rate_class"] if "rate_class" in links.columns else pd.Series("", index=links.index)
    known_rates = set(rates["rate_class"]) if rates is not None else set()
    for i in np.flatnonzero((need_rate & ~rc.isin(known_rates)).to_numpy(dtype=bool)):
        why = (f"rate class '{short(rc.iat[i])}' is not in rates.csv" if rc.iat[i]
               else "speed, tariff or CO2 missing and no rate_class to take them from")
        problems.append(Problem(fname, line_of(links, i), "rate_class", why))


def _validate_links(txt: pd.DataFrame, fname: str, known: set[str] | None, node_ids: set[str] | None,
                    rates: pd.DataFrame | None, problems: list[Problem]) -> pd.DataFrame | None:
    if not require_columns(txt, LINK_REQUIRED, fname, problems):
        return None
    check_required_cells(txt, LINK_REQUIRED, fname, problems)
    check_unique(txt, "link_id", fname, problems)
    check_choice(txt, "mode", MODES, fname, problems)
    check_choice(txt, "status", STATUSES, fname, problems)
    links = to_numbers(txt, LINK_NUMERIC, fname, problems)
    check_non_negative(links, LINK_NON_NEGATIVE, fname, problems, strictly_positive=("speed_kmh",))
    check_bounds(links, "links", fname, problems, signed=LINK_NON_NEGATIVE)
    _check_link_values(txt, links, fname, problems)
    links["directed"] = _directed(txt, fname, problems)
    if node_ids is not None:
        _check_link_ends(links, node_ids, fname, problems)
    _check_rate_classes(links, rates, fname, problems)
    _check_sources(links, LINK_SOURCED, fname, known, problems)
    return links


def _config_units(config: Mapping[str, str] | None, where: str, problems: list[Problem]) -> float:
    """The km in one `long_length` unit of a GMNS config (1 without a config); a crs other than WGS84
    lon/lat, a unit or a geometry format the library cannot read is a problem."""
    if not config:
        return 1.0
    crs = config.get("crs", "").strip()
    if crs and crs.lower() not in WGS84:
        problems.append(Problem(where, 2, "crs", f"'{short(crs)}': coordinates must be WGS84 longitude and "
                                                 "latitude (EPSG:4326)"))
    fmt = config.get("geometry_field_format", "").strip()
    if fmt and fmt.upper() != "WKT":
        problems.append(Problem(where, 2, "geometry_field_format", f"'{short(fmt)}': link geometry is read "
                                                                   "as WKT"))
    unit = config.get("long_length", "").strip()
    if not unit:
        return 1.0
    if unit.lower() not in LENGTH_UNITS_KM:
        problems.append(Problem(where, 2, "long_length", f"'{short(unit)}' is not a length unit "
                                                         f"({', '.join(('km', 'm', 'mi'))})"))
        return 1.0
    return LENGTH_UNITS_KM[unit.lower()]


def _gmns_columns(txt: pd.DataFrame, name: str, fname: str, km_per_unit: float, uses: set[str] | None,
                  problems: list[Problem]) -> tuple[pd.DataFrame, dict[str, str]]:
    """A table's GMNS columns under the library's names (x_coord -> lon, length -> length_km in km,
    allowed_uses -> mode), and the file's name of each renamed column, to report problems by.

    A file in the older naming (lon, lat, length_km) is read as it is.
    """
    names = GMNS_NAMES.get(name, {})
    legacy = not any(g in txt.columns for g in names.values()) and any(i in txt.columns for i in names)
    out, alias = txt, ({} if legacy else dict(names))
    for internal, gmns in names.items():
        if gmns in txt.columns and internal in txt.columns:
            problems.append(Problem(fname, None, gmns, f"give '{gmns}' or '{internal}', not both"))
            out = out.drop(columns=gmns)
        elif gmns in txt.columns:
            out = out.rename(columns={gmns: internal})
    if name != "links":
        return out, alias
    if km_per_unit != 1.0 and "length_km" in out.columns:
        v = pd.to_numeric(out["length_km"], errors="coerce").to_numpy(float) * km_per_unit
        ok = np.isfinite(v)
        out = out.assign(length_km=np.where(ok, [repr(float(x)) for x in v], out["length_km"]))
    if "allowed_uses" in out.columns:
        au = out["allowed_uses"]
        if uses is not None:
            for i in np.flatnonzero(((au != "") & ~au.isin(uses)).to_numpy()):
                problems.append(Problem(fname, line_of(out, i), "allowed_uses",
                                        f"'{short(au.iat[i])}' is not a use of use_definition.csv"))
        if "mode" in out.columns:
            clash = (au != "") & (out["mode"] != "") & (au != out["mode"])
            for i in np.flatnonzero(clash.to_numpy()):
                problems.append(Problem(fname, line_of(out, i), "allowed_uses",
                                        f"'{short(au.iat[i])}' differs from the link's mode "
                                        f"'{short(out['mode'].iat[i])}'"))
            out = out.drop(columns="allowed_uses")
        else:
            out = out.rename(columns={"allowed_uses": "mode"})
            alias["mode"] = "allowed_uses"
    return out, alias


def _file_names(problems: list[Problem], start: int, fname: str, alias: Mapping[str, str]) -> None:
    """Problems from `start` on name the file's columns (x_coord, length), not the library's."""
    for k in range(start, len(problems)):
        p = problems[k]
        if p.file == fname and p.column is not None and p.column in alias:
            problems[k] = Problem(p.file, p.row, alias[p.column], p.message)


def _borrow(tables: dict[str, pd.DataFrame | None], where: dict[str, str], fallback_dir: str | Path | None,
            problems: list[Problem]) -> set[str]:
    """Optional tables the input leaves out (rates, commodities), read from `fallback_dir`'s CSV files.

    Their source ids name the fallback's sources, not this network's: they are not checked
    against them. Returns the names of the tables borrowed.
    """
    borrowed: set[str] = set()
    for name in ("rates", "commodities"):
        path = Path(fallback_dir) / TABLE_FILES[name] if fallback_dir is not None else None
        if name in tables or path is None or not path.exists():
            continue
        tables[name], where[name] = read_text_csv(path, problems), str(path)
        borrowed.add(name)
    return borrowed


def check_network_tables(frames: NetworkFrames, problems: list[Problem], *,
                         fallback_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Check a network's text frames, appending every problem; the typed tables that parsed.

    Tables `frames` lacks (rates, commodities) are taken from `fallback_dir` (a GMNS folder).
    Numbers become floats, `directed` booleans; the frames keep their `__line__` column.
    """
    tables, where = dict(frames.tables), dict(frames.where)
    borrowed = _borrow(tables, where, fallback_dir, problems)

    def label(name: str) -> str:
        return where.get(name, TABLE_FILES[name])

    for name in REQUIRED_TABLES:
        if name not in tables:
            problems.append(Problem(label(name), None, None, "table not given"))
    sources = tables.get("sources")
    known = _validate_sources(sources, label("sources"), problems) if sources is not None else None
    out: dict[str, pd.DataFrame | None] = {"sources": sources}
    for name, check in (("rates", _validate_rates), ("commodities", _validate_commodities)):
        txt = tables.get(name)
        if txt is not None:
            out[name] = check(txt, label(name), None if name in borrowed else known, problems)
    unit, uses = _config_units(frames.config, frames.config_where, problems), frames.uses
    nodes_txt, links_txt = tables.get("nodes"), tables.get("links")
    for name, txt in (("nodes", nodes_txt), ("links", links_txt)):
        if txt is not None and not len(txt):  # one problem naming the file, not one per link end
            problems.append(Problem(label(name), None, None, f"has no {name}: only a header, no rows"))
    if nodes_txt is not None:
        start = len(problems)
        nodes_txt, alias = _gmns_columns(nodes_txt, "nodes", label("nodes"), unit, uses, problems)
        out["nodes"] = _validate_nodes(nodes_txt, label("nodes"), known, problems)
        _file_names(problems, start, label("nodes"), alias)
    if links_txt is not None:
        start = len(problems)
        links_txt, alias = _gmns_columns(links_txt, "links", label("links"), unit, uses, problems)
        node_ids = (set(nodes_txt["node_id"]) if nodes_txt is not None and "node_id" in nodes_txt
                    and len(nodes_txt) else None)
        out["links"] = _validate_links(links_txt, label("links"), known, node_ids, out.get("rates"), problems)
        _file_names(problems, start, label("links"), alias)
    return {k: v for k, v in out.items() if v is not None}


def finish_tables(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Checked tables without their `__line__` column, indexed 0..n-1, in `TABLE_FILES` order."""
    return {k: tables[k].drop(columns="__line__").reset_index(drop=True) for k in TABLE_FILES if k in tables}


def validate_network_tables(tables: Mapping[str, pd.DataFrame | None], *,
                            where: Mapping[str, str] | None = None, fallback_dir: str | Path | None = None,
                            what: str = "network tables") -> dict[str, pd.DataFrame]:
    """Check in-memory tables (nodes, links, sources, rates, commodities) as if they were files.

    Typed DataFrames are checked as the CSV files they would be written to (row = the line
    in that file); text frames with a `__line__` column as they are. `where` names the file
    of each table in problems (default: its GMNS file, `node.csv`, ...). A table given as None
    is left out. Raises one ValidationError listing every problem; returns the typed tables.
    """
    given = {k: v for k, v in tables.items() if v is not None}
    frames = NetworkFrames({k: v if "__line__" in v.columns else text_frame(v) for k, v in given.items()},
                           dict(where or {}))
    problems: list[Problem] = ProblemList()
    out = check_network_tables(frames, problems, fallback_dir=fallback_dir)
    if problems:
        raise ValidationError(problems, what=what)
    return finish_tables(out)

