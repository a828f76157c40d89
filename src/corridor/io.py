"""Reading and writing network folders (GMNS-style CSV + GeoJSON geometry).

Validation reads every cell as text first, so that a bad value is reported
with its file, row and column instead of being coerced or crashing a parser.
Row numbers are line numbers in the file (the header is line 1).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CorridorError, Problem, ValidationError

NODE_KINDS = ("city", "rail_terminal", "port", "border_crossing", "junction")
MODES = ("rail", "road", "ferry", "sea", "transfer")
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
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def _read_text_csv(path: Path, problems: list[Problem]) -> pd.DataFrame | None:
    if not path.exists():
        problems.append(Problem(str(path), None, None, "file not found"))
        return None
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        problems.append(Problem(str(path), None, None, f"cannot be read as CSV: {exc}"))
        return None


def _line(i: int) -> int:
    return i + 2  # header is line 1, first record line 2


def _numeric(
    df: pd.DataFrame, cols: Iterable[str], fname: str, problems: list[Problem]
) -> pd.DataFrame:
    """Convert text columns to float, reporting every cell that is not a number."""
    out = df.copy()
    for col in cols:
        if col not in df.columns:
            out[col] = np.nan
            continue
        text = df[col].str.strip()
        values = pd.to_numeric(text, errors="coerce")
        bad = (text != "") & values.isna()
        bad |= values.isin([np.inf, -np.inf])
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(fname, _line(i), col, f"'{df[col].iat[i]}' is not a number"))
        out[col] = values.where(~bad).astype(float)
    return out


def _require_columns(df: pd.DataFrame, cols: Iterable[str], fname: str, problems: list[Problem]):
    missing = [c for c in cols if c not in df.columns]
    for c in missing:
        problems.append(Problem(fname, None, c, "required column is missing"))
    return not missing


def _check_required_cells(df: pd.DataFrame, cols, fname, problems):
    for col in cols:
        if col not in df.columns:
            continue
        empty = df[col].astype(str).str.strip() == ""
        empty |= df[col].isna()
        for i in np.flatnonzero(empty.to_numpy()):
            problems.append(Problem(fname, _line(i), col, "value is required"))


def _check_choice(df, col, allowed, fname, problems):
    if col not in df.columns:
        return
    vals = df[col].astype(str).str.strip()
    bad = (vals != "") & ~vals.isin(allowed)
    for i in np.flatnonzero(bad.to_numpy()):
        problems.append(
            Problem(fname, _line(i), col, f"'{vals.iat[i]}' is not one of {', '.join(allowed)}")
        )


def _check_unique(df, col, fname, problems):
    if col not in df.columns:
        return
    dup = df[col].duplicated(keep="first") & (df[col] != "")
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(Problem(fname, _line(i), col, f"duplicate id '{df[col].iat[i]}'"))


def _check_non_negative(df, cols, fname, problems, strictly_positive=()):
    for col in cols:
        if col not in df.columns:
            continue
        v = df[col]
        neg = v < 0
        for i in np.flatnonzero(neg.to_numpy()):
            problems.append(Problem(fname, _line(i), col, f"{v.iat[i]:g} is negative"))
        if col in strictly_positive:
            zero = v == 0
            for i in np.flatnonzero(zero.to_numpy()):
                problems.append(Problem(fname, _line(i), col, "must be greater than zero"))


def _check_sources(df, sourced: dict[str, str], fname, known: set[str] | None, problems):
    """A value with no source is a bug: every set number names a source row."""
    row_source = df["source_id"] if "source_id" in df.columns else pd.Series("", index=df.index)
    for col, src_col in sourced.items():
        if col not in df.columns:
            continue
        has_value = df[col].notna()
        src = df[src_col] if src_col in df.columns else pd.Series("", index=df.index)
        src = src.astype(str).str.strip()
        eff = src.where(src != "", row_source.astype(str).str.strip())
        missing = has_value & (eff == "")
        for i in np.flatnonzero(missing.to_numpy()):
            problems.append(
                Problem(fname, _line(i), src_col, f"'{col}' has a value but no source")
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
                    Problem(fname, _line(i), col, f"source '{sid}' is not in sources.csv")
                )


def read_network_tables(
    folder: str | Path, *, fallback_dir: str | Path | None = None
) -> dict[str, pd.DataFrame]:
    """Read and validate a network folder; raise ValidationError listing every problem.

    Tables a user folder leaves out (rates, commodities) are taken from `fallback_dir`.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CorridorError(f"{folder}: not a directory")
    problems: list[Problem] = []
    node_f, link_f = folder / "node.csv", folder / "link.csv"
    nodes_txt = _read_text_csv(node_f, problems)
    links_txt = _read_text_csv(link_f, problems)

    sources = None
    if (folder / "sources.csv").exists():
        sources = _read_text_csv(folder / "sources.csv", problems)
    known = set(sources["source_id"]) if sources is not None and "source_id" in sources else None

    def optional(name: str) -> Path | None:
        for base in (folder, Path(fallback_dir) if fallback_dir else None):
            if base is not None and (base / name).exists():
                return base / name
        return None

    rates = None
    rates_f = optional("rates.csv")
    if rates_f is not None:
        rates_txt = _read_text_csv(rates_f, problems)
        if rates_txt is not None and _require_columns(
            rates_txt, ("rate_class", "mode", *RATE_NUMERIC), str(rates_f), problems
        ):
            rates = _numeric(rates_txt, RATE_NUMERIC, str(rates_f), problems)
            _check_non_negative(rates, RATE_NUMERIC, str(rates_f), problems, ("speed_kmh",))
            _check_sources(
                rates,
                {"speed_kmh": "speed_source", "usd_per_teu_km": "cost_source",
                 "co2_kg_per_teu_km": "co2_source"},
                str(rates_f),
                known if rates_f.parent == folder else None,
                problems,
            )

    nodes = links = None
    if nodes_txt is not None and _require_columns(nodes_txt, NODE_REQUIRED, str(node_f), problems):
        f = str(node_f)
        _check_required_cells(nodes_txt, NODE_REQUIRED, f, problems)
        _check_unique(nodes_txt, "node_id", f, problems)
        _check_choice(nodes_txt, "kind", NODE_KINDS, f, problems)
        bad_iso = ~nodes_txt["country"].str.strip().str.match(_ISO3) & (nodes_txt["country"] != "")
        for i in np.flatnonzero(bad_iso.to_numpy()):
            problems.append(
                Problem(f, _line(i), "country", f"'{nodes_txt['country'].iat[i]}' is not an ISO3 code")
            )
        nodes = _numeric(nodes_txt, NODE_NUMERIC, f, problems)
        for col, lim in (("lon", 180.0), ("lat", 90.0)):
            out = nodes[col].abs() > lim
            for i in np.flatnonzero(out.to_numpy()):
                problems.append(Problem(f, _line(i), col, f"{nodes[col].iat[i]:g} is out of range"))
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
        bad_gauge = rail & ~links["gauge"].isin(GAUGES)
        for i in np.flatnonzero(bad_gauge.to_numpy()):
            g = links_txt["gauge"].iat[i] if "gauge" in links_txt else ""
            problems.append(
                Problem(f, _line(i), "gauge", f"rail link needs gauge 1435 or 1520, got '{g}'")
            )
        if "directed" in links_txt.columns:
            d = links_txt["directed"].str.strip().str.lower()
            bad = ~d.isin(_TRUE | _FALSE)
            for i in np.flatnonzero(bad.to_numpy()):
                problems.append(Problem(f, _line(i), "directed", f"'{d.iat[i]}' is not true/false"))
            links["directed"] = d.isin(_TRUE)
        else:
            links["directed"] = False
        if nodes_txt is not None and "node_id" in nodes_txt.columns:
            ids = set(nodes_txt["node_id"])
            for col in ("from_node_id", "to_node_id"):
                unknown = ~links[col].isin(ids) & (links[col] != "")
                for i in np.flatnonzero(unknown.to_numpy()):
                    problems.append(
                        Problem(f, _line(i), col, f"unknown node '{links[col].iat[i]}'")
                    )
            loop = (links["from_node_id"] == links["to_node_id"]) & (links["from_node_id"] != "")
            for i in np.flatnonzero(loop.to_numpy()):
                problems.append(Problem(f, _line(i), "to_node_id", "link starts and ends at the same node"))
        # a value the library must fill needs a rate class that provides it
        need_rate = links["speed_kmh"].isna() | links["usd_per_teu"].isna()
        rc = links["rate_class"] if "rate_class" in links.columns else pd.Series("", index=links.index)
        known_rates = set(rates["rate_class"]) if rates is not None else set()
        for i in np.flatnonzero(need_rate.to_numpy()):
            if rc.iat[i] not in known_rates:
                why = (
                    f"rate class '{rc.iat[i]}' is not in rates.csv"
                    if rc.iat[i]
                    else "no speed/tariff given and no rate_class to take them from"
                )
                problems.append(Problem(f, _line(i), "rate_class", why))
        _check_sources(links, LINK_SOURCED, f, known, problems)

    if problems:
        raise ValidationError(problems, what=str(folder))
    assert nodes is not None and links is not None
    out = {"nodes": nodes, "links": links}
    if sources is not None:
        out["sources"] = sources
    if rates is not None:
        out["rates"] = rates
    commodities_f = optional("commodities.csv")
    if commodities_f is not None:
        out["commodities"] = pd.read_csv(commodities_f, encoding="utf-8-sig")
    geo = folder / "link_geometry.geojson"
    if geo.exists():
        out["geometry"] = read_link_geometry(geo)
    return out


def read_link_geometry(path: Path) -> dict[str, list[tuple[float, float]]]:
    try:
        fc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError([Problem(str(path), None, None, f"not valid GeoJSON: {exc}")]) from exc
    out: dict[str, list[tuple[float, float]]] = {}
    for feat in fc.get("features", []):
        lid = str(feat.get("properties", {}).get("link_id", ""))
        geom = feat.get("geometry") or {}
        if lid and geom.get("type") == "LineString":
            out[lid] = [tuple(c[:2]) for c in geom["coordinates"]]
        elif lid and geom.get("type") == "MultiLineString":
            out[lid] = [tuple(c[:2]) for part in geom["coordinates"] for c in part]
    return out


# ---------------------------------------------------------------- writing


def _clean(v):
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def write_gmns(net, folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write node.csv, link.csv (+ sources, rates, geometry) so read_network can load them back."""
    folder = Path(folder)
    targets = [folder / n for n in ("node.csv", "link.csv", "sources.csv", "rates.csv",
                                    "commodities.csv", "link_geometry.geojson")]
    _refuse_overwrite(targets, overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    net.raw_nodes.to_csv(targets[0], index=False)
    links = net.raw_links.copy()
    links["directed"] = links["directed"].map({True: "true", False: "false"})
    links.to_csv(targets[1], index=False)
    written = targets[:2]
    for frame, path in ((net.sources, targets[2]), (net.rates, targets[3]),
                        (net.commodities, targets[4])):
        if frame is not None and len(frame):
            frame.to_csv(path, index=False)
            written.append(path)
    if net.geometry:
        feats = [
            {"type": "Feature", "properties": {"link_id": lid},
             "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]}}
            for lid, coords in net.geometry.items()
        ]
        targets[5].write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
        written.append(targets[5])
    return written


def network_to_geojson(net) -> dict:
    """Nodes as Points and links as LineStrings, with their attributes and sources."""
    feats = []
    for row in net.nodes.itertuples(index=False):
        props = {k: _clean(v) for k, v in row._asdict().items() if k not in ("lon", "lat")}
        feats.append({"type": "Feature", "properties": {"feature": "node", **props},
                      "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]}})
    for i, row in enumerate(net.links.itertuples(index=False)):
        props = {k: _clean(v) for k, v in row._asdict().items()}
        feats.append({"type": "Feature", "properties": {"feature": "link", **props},
                      "geometry": {"type": "LineString",
                                   "coordinates": [list(c) for c in net.link_coords(i)]}})
    return {"type": "FeatureCollection", "features": feats}


def write_geojson(net, folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    folder = Path(folder)
    target = folder / "network.geojson"
    _refuse_overwrite([target], overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(network_to_geojson(net), ensure_ascii=False))
    return [target]


def _refuse_overwrite(paths: list[Path], overwrite: bool) -> None:
    existing = [str(p) for p in paths if p.exists()]
    if existing and not overwrite:
        raise CorridorError(
            "refusing to overwrite existing files (pass overwrite/--force): " + ", ".join(existing)
        )
