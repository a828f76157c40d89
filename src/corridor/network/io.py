"""Reading network folders (GMNS-style CSV + GeoJSON geometry) into validated tables.

Validation reads every cell as text first, so that a bad value is reported
with its file, row and column instead of being coerced or crashing a parser.
Row numbers are line numbers in the file (the header is line 1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..datafiles import bundled_data_dir
from ..errors import CorridorError, Problem, ValidationError
from ..readers import FALSE_WORDS, TRUE_WORDS, YES_NO, read_text_csv
from ..vocabulary import MODES, NODE_KINDS
from .tables import Network

STATUSES = ("open", "closed", "planned")

GAUGES = (1435, 1520)

NODE_REQUIRED = ("node_id", "name", "kind", "country", "lon", "lat")

NODE_NUMERIC = (
    "lon",
    "lat",
    "dwell_hours",
    "dwell_usd",
    "transship_hours",
    "transship_usd",
    "capacity_teu_yr",
    "capacity_t_yr",
)

LINK_REQUIRED = ("link_id", "from_node_id", "to_node_id", "mode", "length_km", "status",
                 "source_id")

LINK_NUMERIC = (
    "length_km",
    "speed_kmh",
    "wait_hours",
    "usd_per_teu",
    "co2_kg_per_teu",
    "capacity_teu_yr",
    "capacity_t_yr",
    "gauge",
    "opening_year",
)

RATE_NUMERIC = ("speed_kmh", "usd_per_teu_km", "co2_kg_per_teu_km")

# value column -> the column that must name its source (row-level source_id is the fallback)
NODE_SOURCED = {
    "lon": "coord_source",
    "lat": "coord_source",
    "dwell_hours": "dwell_source",
    "dwell_usd": "dwell_source",
    "transship_hours": "transship_source",
    "transship_usd": "transship_source",
    "capacity_teu_yr": "capacity_source",
    "capacity_t_yr": "capacity_source",
}

LINK_SOURCED = {
    "length_km": "length_source",
    "speed_kmh": "speed_source",
    "wait_hours": "wait_source",
    "usd_per_teu": "cost_source",
    "co2_kg_per_teu": "co2_source",
    "capacity_teu_yr": "capacity_source",
    "capacity_t_yr": "capacity_source",
}

_ISO3 = re.compile(r"^[A-Z]{3}$")


def _line(df: pd.DataFrame, i: int) -> int:
    return int(df["__line__"].iat[i])


def _numeric(
    df: pd.DataFrame, cols: Iterable[str], fname: str, problems: list[Problem]
) -> pd.DataFrame:
    """Convert text columns to float, reporting every cell that is not a finite number."""
    out = df.copy()
    for col in cols:
        if col not in df.columns:
            out[col] = np.nan
            continue
        text = df[col].astype(str)
        values = pd.to_numeric(text, errors="coerce")
        bad = (text != "") & (values.isna() | values.isin([np.inf, -np.inf]))
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(fname, _line(df, i), col,
                                    f"'{_short(df[col].iat[i])}' is not a finite number"))
        out[col] = values.where(~bad).astype(float)
    return out


def _short(v, n: int = 60) -> str:
    v = str(v)
    return v if len(v) <= n else v[: n - 1] + "…"


def _require_columns(df: pd.DataFrame, cols: Iterable[str], fname: str, problems: list[Problem]):
    missing = [c for c in cols if c not in df.columns]
    for c in missing:
        problems.append(Problem(fname, None, c, "required column is missing"))
    return not missing


def _check_required_cells(df: pd.DataFrame, cols, fname, problems):
    for col in cols:
        if col not in df.columns:
            continue
        empty = df[col].astype(str) == ""
        for i in np.flatnonzero(empty.to_numpy()):
            problems.append(Problem(fname, _line(df, i), col, "value is required"))


def _check_choice(df, col, allowed, fname, problems):
    if col not in df.columns:
        return
    vals = df[col].astype(str)
    bad = (vals != "") & ~vals.isin(allowed)
    for i in np.flatnonzero(bad.to_numpy()):
        problems.append(Problem(fname, _line(df, i), col,
                                f"'{_short(vals.iat[i])}' is not one of {', '.join(allowed)}"))


def _check_unique(df, col, fname, problems, *, key=None, what="id"):
    """Duplicates, compared after `key` (so ids differing only in case are caught)."""
    if col not in df.columns:
        return
    vals = df[col].astype(str)
    keys = vals.map(key) if key else vals
    dup = keys.duplicated(keep="first") & (vals != "")
    first = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    for i in np.flatnonzero(dup.to_numpy()):
        j = first[keys.iat[i]]
        problems.append(Problem(fname, _line(df, i), col,
                                f"duplicate {what} '{_short(vals.iat[i])}' (same as line {_line(df, j)})"))


def _check_non_negative(df, cols, fname, problems, strictly_positive=()):
    for col in cols:
        if col not in df.columns:
            continue
        v = df[col]
        for i in np.flatnonzero((v < 0).to_numpy()):
            problems.append(Problem(fname, _line(df, i), col, f"{v.iat[i]:g} is negative"))
        if col in strictly_positive:
            for i in np.flatnonzero((v == 0).to_numpy()):
                problems.append(Problem(fname, _line(df, i), col, "must be greater than zero"))


def _check_sources(df, sourced: dict[str, str], fname, known: set[str] | None, problems):
    """A value with no source is a bug: every set number names a source row."""
    row_source = df["source_id"] if "source_id" in df.columns else pd.Series("", index=df.index)
    for col, src_col in sourced.items():
        if col not in df.columns:
            continue
        has_value = df[col].notna()
        src = df[src_col] if src_col in df.columns else pd.Series("", index=df.index)
        src = src.astype(str)
        eff = src.where(src != "", row_source.astype(str))
        missing = has_value & (eff == "")
        for i in np.flatnonzero(missing.to_numpy()):
            problems.append(
                Problem(fname, _line(df, i), src_col, f"'{col}' has a value but no source")
            )
    if known is None:
        return
    src_cols = sorted(set(sourced.values()) | {"source_id"})
    for col in src_cols:
        if col not in df.columns:
            continue
        for i, cell in enumerate(df[col].astype(str)):
            for sid in filter(None, (s.strip() for s in cell.split(";"))):
                if sid.startswith("derived") or sid in known:
                    continue
                problems.append(
                    Problem(fname, _line(df, i), col, f"source '{_short(sid)}' is not in sources.csv")
                )


def _validate_rates(rates_txt, fname, known, problems) -> pd.DataFrame | None:
    if not _require_columns(rates_txt, ("rate_class", "mode", *RATE_NUMERIC), fname, problems):
        return None
    _check_required_cells(rates_txt, ("rate_class", "mode", *RATE_NUMERIC), fname, problems)
    _check_unique(rates_txt, "rate_class", fname, problems, what="rate class")
    _check_choice(rates_txt, "mode", MODES, fname, problems)
    rates = _numeric(rates_txt, RATE_NUMERIC, fname, problems)
    _check_non_negative(rates, RATE_NUMERIC, fname, problems, ("speed_kmh",))
    _check_sources(rates, {"speed_kmh": "speed_source", "usd_per_teu_km": "cost_source",
                           "co2_kg_per_teu_km": "co2_source"}, fname, known, problems)
    return rates


def _validate_commodities(txt, fname, known, problems) -> pd.DataFrame | None:
    cols = ("commodity", "value_of_time_usd_per_teu_hour")
    if not _require_columns(txt, cols, fname, problems):
        return None
    _check_required_cells(txt, cols, fname, problems)
    _check_unique(txt, "commodity", fname, problems, what="commodity")
    num = [c for c in ("value_of_time_usd_per_teu_hour", "value_usd_per_teu") if c in txt.columns]
    out = _numeric(txt, num, fname, problems)
    _check_non_negative(out, num, fname, problems)
    _check_sources(out, {c: "source_id" for c in num}, fname, known, problems)
    if "containerised" in txt.columns:  # optional: does a TEU capacity count this class?
        for i, v in enumerate(txt["containerised"]):
            if v.lower() not in YES_NO:
                problems.append(Problem(fname, _line(txt, i), "containerised",
                                        f"'{v[:20]}' is not one of {', '.join(sorted(YES_NO))}"))
    return out


def _validate_sources(txt, fname, problems) -> set[str] | None:
    if not _require_columns(txt, ("source_id", "title", "url"), fname, problems):
        return None
    _check_required_cells(txt, ("source_id", "title", "url"), fname, problems)
    _check_unique(txt, "source_id", fname, problems, what="source id")
    return set(txt["source_id"])


def read_network_tables(
    folder: str | Path, *, fallback_dir: str | Path | None = None
) -> dict[str, pd.DataFrame]:
    """Read and validate a network folder; raise ValidationError listing every problem.

    Tables a user folder leaves out (rates, commodities) are taken from `fallback_dir`.
    """
    from .names import normalize_name

    folder = Path(folder)
    if not folder.is_dir():
        raise CorridorError(f"{folder}: not a directory")
    problems: list[Problem] = []
    node_f, link_f, src_f = folder / "node.csv", folder / "link.csv", folder / "sources.csv"
    nodes_txt = read_text_csv(node_f, problems)
    links_txt = read_text_csv(link_f, problems)
    sources = read_text_csv(src_f, problems)
    if sources is None and not src_f.exists():
        problems[-1] = Problem(str(src_f), None, None,
                               "file not found: every number must name a source listed here")
    known = _validate_sources(sources, str(src_f), problems) if sources is not None else None

    def optional(name: str) -> Path | None:
        for base in (folder, Path(fallback_dir) if fallback_dir else None):
            if base is not None and (base / name).exists():
                return base / name
        return None

    rates = commodities = None
    rates_f = optional("rates.csv")
    if rates_f is not None:
        txt = read_text_csv(rates_f, problems)
        if txt is not None:
            rates = _validate_rates(txt, str(rates_f), known if rates_f.parent == folder else None,
                                    problems)
    commodities_f = optional("commodities.csv")
    if commodities_f is not None:
        txt = read_text_csv(commodities_f, problems)
        if txt is not None:
            commodities = _validate_commodities(
                txt, str(commodities_f), known if commodities_f.parent == folder else None, problems)

    nodes = links = None
    if nodes_txt is not None and _require_columns(nodes_txt, NODE_REQUIRED, str(node_f), problems):
        f = str(node_f)
        _check_required_cells(nodes_txt, NODE_REQUIRED, f, problems)
        _check_unique(nodes_txt, "node_id", f, problems, key=str.lower)
        _check_unique(nodes_txt, "name", f, problems, key=normalize_name, what="place name")
        _check_choice(nodes_txt, "kind", NODE_KINDS, f, problems)
        bad_iso = ~nodes_txt["country"].str.match(_ISO3) & (nodes_txt["country"] != "")
        for i in np.flatnonzero(bad_iso.to_numpy()):
            problems.append(Problem(f, _line(nodes_txt, i), "country",
                                    f"'{_short(nodes_txt['country'].iat[i])}' is not an ISO3 code"))
        nodes = _numeric(nodes_txt, NODE_NUMERIC, f, problems)
        for col, lim in (("lon", 180.0), ("lat", 90.0)):
            out = nodes[col].abs() > lim
            for i in np.flatnonzero(out.to_numpy()):
                problems.append(Problem(f, _line(nodes, i), col, f"{nodes[col].iat[i]:g} is out of range"))
        _check_non_negative(nodes, NODE_NUMERIC[2:], f, problems)
        _check_sources(nodes, NODE_SOURCED, f, known, problems)

    if links_txt is not None and _require_columns(links_txt, LINK_REQUIRED, str(link_f), problems):
        f = str(link_f)
        _check_required_cells(links_txt, LINK_REQUIRED, f, problems)
        _check_unique(links_txt, "link_id", f, problems)
        _check_choice(links_txt, "mode", MODES, f, problems)
        _check_choice(links_txt, "status", STATUSES, f, problems)
        links = _numeric(links_txt, LINK_NUMERIC, f, problems)
        _check_non_negative(
            links,
            ("length_km", "speed_kmh", "wait_hours", "usd_per_teu", "co2_kg_per_teu",
             "capacity_teu_yr", "capacity_t_yr"),
            f,
            problems,
            strictly_positive=("speed_kmh",),
        )
        rail = links["mode"] == "rail"
        for i in np.flatnonzero((rail & ~links["gauge"].isin(GAUGES)).to_numpy()):
            g = links_txt["gauge"].iat[i] if "gauge" in links_txt else ""
            problems.append(Problem(f, _line(links, i), "gauge",
                                    f"rail link needs gauge 1435 or 1520, got '{_short(g)}'"))
        for i in np.flatnonzero((~rail & links["gauge"].notna()).to_numpy()):
            problems.append(Problem(f, _line(links, i), "gauge",
                                    f"gauge applies to rail only, not '{links['mode'].iat[i]}'"))
        yr = links["opening_year"]
        for i in np.flatnonzero((yr.notna() & (yr != yr.round())).to_numpy()):
            problems.append(Problem(f, _line(links, i), "opening_year", f"{yr.iat[i]:g} is not a year"))
        planned = (links["status"] == "planned") & yr.isna()
        for i in np.flatnonzero(planned.to_numpy()):
            problems.append(Problem(f, _line(links, i), "opening_year",
                                    "a planned link needs the year it is due to open"))
        if "directed" in links_txt.columns:
            d = links_txt["directed"].str.lower()
            for i in np.flatnonzero((~d.isin(TRUE_WORDS | FALSE_WORDS)).to_numpy()):
                problems.append(Problem(f, _line(links, i), "directed",
                                        f"'{_short(d.iat[i])}' is not true/false"))
            links["directed"] = d.isin(TRUE_WORDS)
        else:
            links["directed"] = False
        if nodes_txt is not None and "node_id" in nodes_txt.columns:
            ids = set(nodes_txt["node_id"])
            for col in ("from_node_id", "to_node_id"):
                unknown = ~links[col].isin(ids) & (links[col] != "")
                for i in np.flatnonzero(unknown.to_numpy()):
                    problems.append(Problem(f, _line(links, i), col,
                                            f"unknown node '{_short(links[col].iat[i])}'"))
            loop = (links["from_node_id"] == links["to_node_id"]) & (links["from_node_id"] != "")
            for i in np.flatnonzero(loop.to_numpy()):
                problems.append(Problem(f, _line(links, i), "to_node_id",
                                        "link starts and ends at the same node"))
        # a value the library must fill needs a rate class that provides it
        need_rate = links["speed_kmh"].isna() | links["usd_per_teu"].isna()
        if "co2_kg_per_teu" in links.columns:
            need_rate |= links["co2_kg_per_teu"].isna()
        rc = links["rate_class"] if "rate_class" in links.columns else pd.Series("", index=links.index)
        known_rates = set(rates["rate_class"]) if rates is not None else set()
        for i in np.flatnonzero(need_rate.to_numpy()):
            if rc.iat[i] not in known_rates:
                why = (f"rate class '{_short(rc.iat[i])}' is not in rates.csv" if rc.iat[i]
                       else "speed, tariff or CO2 missing and no rate_class to take them from")
                problems.append(Problem(f, _line(links, i), "rate_class", why))
        _check_sources(links, LINK_SOURCED, f, known, problems)

    geometry = None
    geo = folder / "link_geometry.geojson"
    if geo.exists():
        geometry = read_link_geometry(geo, problems)

    if problems:
        raise ValidationError(problems, what=str(folder))
    assert nodes is not None and links is not None and sources is not None
    out = {"nodes": nodes, "links": links, "sources": sources}
    if rates is not None:
        out["rates"] = rates
    if commodities is not None:
        out["commodities"] = commodities
    for k in ("nodes", "links", "sources", "rates", "commodities"):
        if k in out:
            out[k] = out[k].drop(columns="__line__").reset_index(drop=True)
    if geometry:
        out["geometry"] = geometry
    return out


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
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        lid = str(props.get("link_id", "")) if isinstance(props, dict) else ""
        if not lid:
            problems.append(Problem(f, None, where, "feature has no properties.link_id"))
            continue
        gtype = geom.get("type") if isinstance(geom, dict) else None
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        parts = [coords] if gtype == "LineString" else coords if gtype == "MultiLineString" else None
        try:
            pts = [(float(c[0]), float(c[1])) for part in parts for c in part]  # type: ignore[union-attr]
        except (TypeError, ValueError, IndexError):
            pts = []
        if len(pts) < 2 or not all(abs(x) <= 180 and abs(y) <= 90 for x, y in pts):
            problems.append(Problem(f, None, where,
                                    f"link '{_short(lid)}': geometry must be a LineString of "
                                    "at least two [lon, lat] points"))
            continue
        out[lid] = pts
    return out


_CACHE: dict[tuple, Network] = {}


def _folder_stamp(folder: Path) -> tuple:
    """What a cached load depends on: each file's name, size and modification time."""
    try:
        return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                            for p in folder.iterdir() if p.is_file()))
    except OSError:
        return ()


def read_network(folder: str | Path, *, name: str | None = None) -> Network:
    """Load and validate a network folder (node.csv, link.csv, ...)."""
    folder = Path(folder)
    # a user network without its own rate or commodity tables borrows the bundled ones
    t = read_network_tables(folder, fallback_dir=bundled_data_dir())
    return Network.from_tables(
        t["nodes"], t["links"], sources=t.get("sources"), rates=t.get("rates"),
        commodities=t.get("commodities"), geometry=t.get("geometry"), name=name or folder.name,
    )


def load_network(path: str | Path | None = None) -> Network:
    """The bundled Eurasia network (cached), or the network folder at `path`."""
    folder = Path(path) if path is not None else bundled_data_dir()
    key = (folder.resolve(), _folder_stamp(folder) if folder.is_dir() else ())
    if key not in _CACHE:
        _CACHE[key] = read_network(folder, name="eurasia" if path is None else None)
    return _CACHE[key]
