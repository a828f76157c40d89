"""What-if scenarios: YAML files that state a world, validated, inherited and applied copy-on-write.

    >>> from corridor.scenarios import load_scenario, apply_scenario, run_scenario, diff
    >>> s = load_scenario("sanctions-strict")          # a bundled name or a path to a .yaml file
    >>> applied = apply_scenario(s)                     # new Network, Policy, Demand, Caspian config
    >>> res = run_scenario("sanctions-strict")          # assigns the demand (corridor.assign)
    >>> diff(run_scenario("baseline-2024"), res).to_frame()

A scenario names a `base` to inherit from (maps merge, lists append, values replace),
policies (countries, blocs or regions to avoid, sea passages, border status), changes to
links and nodes (new or upgraded, with capacity, cost, opening year), the Caspian fleet and
sea level, demand growth between groups of countries, tariff and border-time changes, and
the sources of its numbers: every change that sets a number must name a `source` (an id of
the bundled `sources.csv` or of the file's own `sources:` list). Problems are all reported
at once, each with the file, its line, the YAML path (`policies.borders[2].status`) and what
is allowed. See docs/SCENARIOS.md.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError as PydanticError

from .caspian import CaspianConfig, baseline_config, effective_capacity, resolve_fleet_changes
from .demand import Demand, load_demand, read_demand
from .errors import CorridorError, Problem, UnknownPlaceError, ValidationError
from .network import Network, bundled_data_dir, load_network
from .policy import Border, Policy, join_sources, split_avoid
from .scenario_format import (
    LINK_FIELD_COLUMNS,
    BorderSpec,
    BorderTimeChange,
    CaspianSpec,
    DemandSpec,
    Growth,
    Infrastructure,
    LinkChange,
    NodeChange,
    Policies,
    Scenario,
    ScenarioProblem,
    SourceEntry,
    TariffChange,
    _as_list,
    _chain,
    _File,
    _merge,
    _read_file,
    find_scenario,
    list_scenarios,
    scenario_dir,
    scenario_schema,
)
from .yaml_problems import line_at, yaml_path

__all__ = [
    "AppliedScenario", "BorderSpec", "BorderTimeChange", "CaspianSpec", "DemandSpec", "Growth",
    "Infrastructure", "LinkChange", "NodeChange", "Policies", "Scenario", "ScenarioProblem",
    "SourceEntry", "TariffChange", "apply_scenario", "caspian_capacity_factors", "caspian_config",
    "diff", "find_scenario", "list_scenarios", "load_scenario", "run_scenario", "scenario_dir",
    "scenario_schema",
]

# ------------------------------------------------------------------ semantic checks

SOURCE_FIELDS = ("title", "url", "publisher", "date", "grade", "notes")


@dataclass
class _Context:
    """What the files checked so far make known: ids of nodes, links and sources, countries."""

    net: Network
    nodes: set[str]
    links: set[str]
    sources: dict[str, dict]  # source id -> its fields (bundled, then the files' own)
    bundled_sources: set[str]
    countries: set[str]  # of the network and of the nodes the files add
    caspian: dict = field(default_factory=dict)  # the raw `caspian:` sections merged so far

    @classmethod
    def of(cls, net: Network) -> _Context:
        srcs: dict[str, dict] = {}
        if net.sources is not None:
            for r in net.sources.to_dict(orient="records"):
                srcs[str(r["source_id"])] = {k: _text(r.get(k)) for k in SOURCE_FIELDS}
        return cls(net, set(net.nodes["node_id"]), set(net.links["link_id"]), srcs, set(srcs),
                   set(net.countries))


def _text(v) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()


def _part(model, value):
    """`value` as a `model`; if it does not validate, its raw fields (for the existence checks)."""
    if not isinstance(value, dict):
        return None
    try:
        return model.model_validate(value)
    except PydanticError:
        fields = {(fi.alias or n): n for n, fi in model.model_fields.items()}
        vals = {n: None for n, fi in model.model_fields.items() if fi.is_required()}  # every field exists
        vals |= {fields[k]: v for k, v in value.items() if k in fields}
        return model.model_construct(**vals)


def _lenient(raw: dict) -> SimpleNamespace:
    """The parts of a file that can be checked against the network when the whole does not validate,
    so that a file's unknown countries and nodes are reported with its format errors. Values
    keep their raw types: the checks below look at strings (and lists of them) only."""
    def d(v):
        return v if isinstance(v, dict) else {}

    def items(model, v):
        return [_part(model, x) for x in v] if isinstance(v, list) else []

    pol, infra, dem = d(raw.get("policies")), d(raw.get("infrastructure")), d(raw.get("demand"))
    sources = [e for e in items(SourceEntry, raw.get("sources")) if e is not None and isinstance(e.id, str)]
    return SimpleNamespace(
        policies=SimpleNamespace(avoid=pol.get("avoid"), borders=items(BorderSpec, pol.get("borders")),
                                 source=pol.get("source")),
        infrastructure=SimpleNamespace(nodes=items(NodeChange, infra.get("nodes")),
                                       links=items(LinkChange, infra.get("links"))),
        caspian=_part(CaspianSpec, raw.get("caspian")),
        demand=SimpleNamespace(growth=items(Growth, dem.get("growth")), file=dem.get("file")),
        tariffs=items(TariffChange, raw.get("tariffs")),
        border_times=items(BorderTimeChange, raw.get("border_times")), sources=sources)


def _strs(v) -> list[str]:
    """Source ids of a `source` value (`a`, `a;b` or a list); anything else has none."""
    return [x for x in _as_list(v) if isinstance(x, str)] if isinstance(v, str | list) else []


def _seq(v) -> list[tuple[int, str]]:
    """(index, item) of the string items of a list value; a value of another type has none."""
    return [(i, x) for i, x in enumerate(v) if isinstance(x, str)] if isinstance(v, list) else []


def _tokens(v) -> list[tuple[int, str]]:
    """Country tokens of a `from`/`to` value: 'KAZ,AZE' or a list of them."""
    if isinstance(v, str):
        return list(enumerate(t.strip() for t in v.split(",") if t.strip()))
    return _seq(v)


def _caspian_location(column: str, spec: CaspianSpec) -> tuple:
    """The YAML path of a `caspian:` entry behind a problem of the Caspian configuration it makes."""
    parts = column.split(".")
    if parts[0] == "ports" and len(parts) >= 3:
        port = parts[1]
        if parts[2] == "berths" and port in spec.berths_add:
            kind = parts[3] if len(parts) > 3 else None
            return ("caspian", "berths_add", port) + ((kind,) if kind in spec.berths_add[port] else ())
        if parts[2] == "depth_m":
            return ("caspian", "deepen_m", port) if port in spec.deepen_m else ("caspian", "sea_level_m")
    if parts[0] == "vessels":  # a vessel with no berth of its kind: the berths removed, if any
        if parts[-1] == "kind" and spec.berths_add:
            return ("caspian", "berths_add")
        return ("caspian", "vessels_add")
    return ("caspian",)


def _check_semantics(f: _File, ctx: _Context, problems: list[Problem]) -> None:
    """Sources, then the infrastructure (so later rules may name its new nodes and links), then
    countries, nodes, links, rate classes, vessels and source ids the policies and changes name."""
    from .geopolitics import UnknownCountryError, canonical_group, resolve_countries, suggest

    s, fname = f.model if f.model is not None else _lenient(f.raw), str(f.path)
    net = ctx.net

    def bad(loc: tuple, msg: str) -> None:
        problems.append(ScenarioProblem(fname, line_at(f.idx, loc), yaml_path(loc), msg))

    # -------------------------------------------------------------- the file's own sources
    for i, e in enumerate(s.sources):
        mine = {k: _text(getattr(e, k, "")) for k in SOURCE_FIELDS}
        known = ctx.sources.get(e.id)
        if known is not None:
            differ = [k for k in SOURCE_FIELDS if mine[k] != known[k]]
            if differ:
                where = "the bundled sources.csv" if e.id in ctx.bundled_sources else "an earlier entry"
                bad(("sources", i, "id"), f"source id '{e.id[:60]}' is already in {where} with another "
                    f"{', '.join(differ)}: drop this copy and cite the id, or give the source a new id")
                continue
        ctx.sources[e.id] = mine

    def sources(loc: tuple, ids) -> None:
        for sid in _strs(ids):
            if sid not in ctx.sources:
                close = difflib.get_close_matches(sid, sorted(ctx.sources), n=2, cutoff=0.6)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                bad(loc + ("source",), f"unknown source id '{sid}'{hint}: add it to the file's "
                                       "'sources:' list or use an id of 'corridor sources'")

    def countries(loc: tuple, tok: str) -> None:
        """A country, bloc or region; a single country must be one the network has."""
        try:
            codes = resolve_countries(tok, known=ctx.countries)
        except UnknownCountryError as exc:
            bad(loc, exc.brief)
            return
        if canonical_group(tok) is None:
            (code,) = codes
            if code not in ctx.countries:
                bad(loc, f"{_named(tok, code)} is not a country of the network; countries: "
                         f"{', '.join(sorted(ctx.countries))}")

    def country_code(loc: tuple, tok, what: str, *, table_ok: bool = False) -> None:
        """A single ISO3 code the network has (or, with table_ok, one of the country table)."""
        if not isinstance(tok, str):
            return
        code = tok.strip().upper()
        if code in ctx.countries:
            return
        if table_ok and code in _country_codes():
            return
        try:
            codes = resolve_countries(tok, known=ctx.countries)
        except UnknownCountryError:
            codes = frozenset()
        listed = f" (countries of the network: {', '.join(sorted(ctx.countries))})"
        if len(codes) == 1:  # a name, an alias or a one-country region: its code
            (c,) = codes
            if c in ctx.countries or table_ok:
                msg = f"write '{tok[:40]}' as its ISO3 code '{c}'"
            else:
                msg = f"{_named(tok, c)} is not a country of the network{listed}"
        elif codes:
            msg = f"'{tok[:40]}' is a bloc or region; {what} names single countries by ISO3 code"
        else:
            hint = [x.split(" ")[0] for x in suggest(tok, known=ctx.countries)]
            hint = [c for c in hint if c in ctx.countries or (table_ok and c in _country_codes())]
            msg = f"unknown country code '{tok[:40]}'"
            msg += (f"; did you mean: {', '.join(hint)}?" if hint else "") + listed
        bad(loc, msg)

    def node(loc: tuple, nid) -> None:
        if not isinstance(nid, str) or nid in ctx.nodes:
            return
        try:
            net.resolve(nid)
        except UnknownPlaceError as exc:
            ids = [net.nodes["node_id"].iat[net.resolve(n)] for n in exc.suggestions]
            ids += difflib.get_close_matches(nid, sorted(ctx.nodes - set(net.nodes["node_id"])), n=2)
            hint = f"; did you mean: {', '.join(ids)}?" if ids else "; run 'corridor places' to list them"
            bad(loc, f"unknown node '{nid[:60]}'{hint}")

    def link(loc: tuple, lid) -> None:
        if isinstance(lid, str) and lid not in ctx.links:
            close = difflib.get_close_matches(lid, sorted(ctx.links), n=3, cutoff=0.6)
            bad(loc, f"unknown link '{lid[:60]}'" + (f"; did you mean: {', '.join(close)}?" if close else ""))

    rates = set(net.rates["rate_class"]) if net.rates is not None else set()

    def rate(loc: tuple, rc) -> None:
        if isinstance(rc, str) and rates and rc not in rates:
            bad(loc, f"unknown rate class '{rc[:40]}'; known: {', '.join(sorted(rates))}")

    # -------------------------------------------------------------- infrastructure first
    for i, nc in enumerate(s.infrastructure.nodes):
        if nc is None or not isinstance(nc.id, str):
            continue
        loc = ("infrastructure", "nodes", i)
        if nc.id not in ctx.nodes:
            missing = [k for k in ("name", "kind", "country", "lon", "lat") if getattr(nc, k) is None]
            if missing:
                close = difflib.get_close_matches(nc.id, sorted(ctx.nodes), n=3, cutoff=0.7)
                hint = f" (or did you mean the existing node {', '.join(close)}?)" if close else ""
                bad(loc + ("id",), f"'{nc.id}' is a new node: it needs {', '.join(missing)}{hint}")
            ctx.nodes.add(nc.id)
        country_code(loc + ("country",), nc.country, "a node", table_ok=True)
        if isinstance(nc.country, str) and nc.country.strip().upper() in _country_codes():
            ctx.countries.add(nc.country.strip().upper())
        sources(loc, nc.source)
    for i, lc in enumerate(s.infrastructure.links):
        if lc is None or not isinstance(lc.id, str):
            continue
        loc = ("infrastructure", "links", i)
        ends = (("from", lc.from_, "from_node_id"), ("to", lc.to, "to_node_id"))
        if lc.id in ctx.links:
            row = net.links.loc[net.links["link_id"] == lc.id]
            for key, v, col in ends:
                if v is not None and len(row) and v != row[col].iat[0]:
                    bad(loc + (key,), f"link '{lc.id}' exists with {key} '{row[col].iat[0]}'; an upgrade "
                                      "cannot move it (give the new link another id)")
        else:
            missing = lc.missing_for_new()
            if missing:
                close = difflib.get_close_matches(lc.id, sorted(ctx.links), n=3, cutoff=0.7)
                hint = f" (or did you mean the existing link {', '.join(close)}?)" if close else ""
                bad(loc + ("id",), f"'{lc.id}' is a new link: it needs {', '.join(missing)}{hint}")
            ctx.links.add(lc.id)
        for key, v, _ in ends:
            node(loc + (key,), v)
        rate(loc + ("rate_class",), lc.rate_class)
        sources(loc, lc.source)

    # -------------------------------------------------------------- policies
    pol = s.policies
    for i, tok in _seq(pol.avoid):
        countries(("policies", "avoid", i), tok)
    sources(("policies",), pol.source)
    for i, b in enumerate(pol.borders):
        if b is None:
            continue
        loc = ("policies", "borders", i)
        for j, tok in _seq(b.countries):
            country_code(loc + ("countries", j), tok, "a border")
        node(loc + ("node",), b.node)
        sources(loc, b.source)

    # -------------------------------------------------------------- the Caspian crossing
    if isinstance(f.raw.get("caspian"), dict):
        ctx.caspian = _merge(ctx.caspian, f.raw["caspian"])
    if s.caspian is not None:
        loc = ("caspian",)
        ports = {p.name for p in baseline_config().ports}
        ok = True
        for key in ("deepen_m", "berths_add"):
            v = getattr(s.caspian, key)
            for p in v if isinstance(v, dict) else ():
                if p not in ports:
                    ok = False
                    bad(loc + (key, p), f"unknown port '{p}'; ports: {', '.join(sorted(ports))}")
        sources(loc, s.caspian.source)
        try:  # the spec of the file and its bases, as it will be applied
            spec = CaspianSpec.model_validate(ctx.caspian)
        except PydanticError:
            spec = None  # the format problems are reported already
        if spec is not None and ok:
            _check_caspian(spec, lambda sub, msg: bad(sub, msg))

    # -------------------------------------------------------------- demand
    comm = list(net.commodities["commodity"]) if net.commodities is not None else []
    for i, g in enumerate(s.demand.growth):
        if g is None:
            continue
        loc = ("demand", "growth", i)
        for key, v in (("from", g.from_), ("to", g.to)):
            for j, tok in _tokens(v):
                countries(loc + (key, j), tok)
        if isinstance(g.commodity, str) and comm and g.commodity not in comm:
            bad(loc + ("commodity",), f"unknown commodity '{g.commodity[:40]}'; known: {', '.join(comm)}")
        sources(loc, g.source)
    dfile = s.demand.file
    if isinstance(dfile, str) and not (f.path.parent / dfile).is_file() and not Path(dfile).is_file():
        bad(("demand", "file"), f"demand file not found: {dfile}")

    # -------------------------------------------------------------- tariffs and border times
    for i, t in enumerate(s.tariffs):
        if t is None:
            continue
        loc = ("tariffs", i)
        for j, lid in _seq(t.links):
            link(loc + ("links", j), lid)
        for j, rc in _seq(t.rate_classes):
            rate(loc + ("rate_classes", j), rc)
        for j, tok in _seq(t.countries):
            countries(loc + ("countries", j), tok)
        if not (t.links or t.modes or t.rate_classes or t.countries):
            bad(loc, "select links: give links, modes, rate_classes or countries")
        sources(loc, t.source)
    for i, b in enumerate(s.border_times):
        if b is None:
            continue
        loc = ("border_times", i)
        for j, nid in _seq(b.nodes):
            node(loc + ("nodes", j), nid)
        for j, tok in _seq(b.countries):
            countries(loc + ("countries", j), tok)
        for j, lid in _seq(b.links):
            link(loc + ("links", j), lid)
        selects_nodes = b.nodes or b.countries or b.kinds
        selects_links = b.links or b.sea_areas
        if (b.dwell_factor is not None or b.transship_factor is not None) and not selects_nodes:
            bad(loc, "dwell_factor/transship_factor need nodes, countries or kinds to select nodes")
        if b.wait_factor is not None and not selects_links:
            bad(loc, "wait_factor needs links or sea_areas to select links")
        sources(loc, b.source)


def _named(tok: str, code: str) -> str:
    return f"'{code}'" if tok.strip().upper() == code else f"'{tok[:40]}' ({code})"


def _country_codes() -> frozenset[str]:
    from .geopolitics import country_table

    try:
        return frozenset(country_table()["iso3"])
    except CorridorError:  # no country tables: the network's codes only
        return frozenset()


def _check_caspian(spec: CaspianSpec, bad) -> None:
    """Build the crossing the spec makes (`caspian_config`) and report what is wrong with it."""
    base = baseline_config()
    try:
        changes = resolve_fleet_changes(base, spec.vessels_add)
    except CorridorError as exc:
        bad(("caspian", "vessels_add"), str(exc))
        return
    kinds = {v.name: v.kind for v in base.vessels}
    for v in base.vessels:
        n = changes.get(v.name, 0)
        if v.count + n < 0:
            key = v.name if v.name in spec.vessels_add else kinds[v.name]
            bad(("caspian", "vessels_add", key),
                f"removes {-n} {v.name} vessel(s) but the 2024 fleet has {v.count}")
    removed = False
    for p in base.ports:
        for kind, n in spec.berths_add.get(p.name, {}).items():
            if p.berths.get(kind, 0) + n < 0:
                removed = True
                bad(("caspian", "berths_add", p.name, kind),
                    f"removes {-n} {kind} berth(s) at {p.name} but it has {p.berths.get(kind, 0)}")
    if removed:
        return
    try:
        caspian_config(spec)
    except ValidationError as exc:
        for p in exc.problems:
            bad(_caspian_location(p.column or "", spec),
                f"the Caspian crossing this makes is invalid: {p.column}: {p.message}")
    except CorridorError as exc:
        bad(("caspian",), str(exc))


def load_scenario(name_or_path: str | Path, *, network: Network | None = None) -> Scenario:
    """Read a scenario and its bases, check everything, and merge them (base first).

    Raises one ValidationError listing every problem (file, line, YAML path, what is allowed).
    The merged scenario names no `base` (its bases are merged in); `chain` lists the files.
    """
    path = find_scenario(name_or_path)
    problems: list[Problem] = []
    files = _chain(path, problems)
    net = network or load_network()
    ctx = _Context.of(net)
    for f in files:
        if f.raw:  # even when the format is wrong, so every problem is listed at once
            _check_semantics(f, ctx, problems)
    if problems:
        order = {str(f.path): i for i, f in enumerate(files)}
        problems.sort(key=lambda q: (order.get(q.file, -1), q.row or 0))
        raise ValidationError(problems, what=f"scenario {path.name}")
    merged: dict = {}
    for f in files:
        d = dict(f.raw)
        d.pop("base", None)
        # a demand file is relative to the file that names it
        if isinstance(d.get("demand"), dict) and d["demand"].get("file"):
            p = f.path.parent / d["demand"]["file"]
            d["demand"] = {**d["demand"], "file": str(p if p.is_file() else Path(d["demand"]["file"]))}
        merged = _merge(merged, d)
    merged["name"], merged["description"] = files[-1].raw["name"], files[-1].raw.get("description", "")
    scn = Scenario.model_validate(merged)
    scn.chain = [str(f.path) for f in files]
    return scn


# ------------------------------------------------------------------ applying


@dataclass(frozen=True)
class AppliedScenario:
    """What a scenario makes of the base data: all new objects, the inputs untouched."""

    scenario: Scenario
    network: Network
    policy: Policy
    demand: Demand
    caspian: CaspianConfig | None = None
    caspian_capacity: dict[str, float] = field(default_factory=dict)  # ferry link id -> capacity factor
    changes: list[str] = field(default_factory=list)  # what was applied, one line each


SOURCE_COLS = {"length_km": "length_source", "speed_kmh": "speed_source", "wait_hours": "wait_source",
               "usd_per_teu": "cost_source", "capacity_teu_yr": "capacity_source",
               "capacity_t_yr": "capacity_source", "status": "source_id", "opening_year": "source_id",
               "dwell_hours": "dwell_source", "dwell_usd": "dwell_source",
               "transship_hours": "transship_source", "transship_usd": "transship_source"}
# Caspian port (caspian_2024.json) -> network node
CASPIAN_NODES = {"Aktau": "aktau", "Kuryk": "kuryk", "Turkmenbashi": "turkmenbashi", "Alat": "alat"}


def _set(df: pd.DataFrame, i, col: str, value) -> None:
    if col not in df.columns:
        df[col] = np.nan if isinstance(value, int | float) and not isinstance(value, bool) else ""
    if isinstance(value, int | float) and not isinstance(value, bool) and df[col].dtype == object:
        df[col] = pd.to_numeric(df[col].replace("", np.nan), errors="coerce")
    elif isinstance(value, str) and df[col].dtype != object:
        df[col] = df[col].astype(object)
    df.loc[i, col] = value


def _append(df: pd.DataFrame, values: dict) -> tuple[pd.DataFrame, int]:
    """df with one more row (columns it lacks stay empty); the new row's index label."""
    i = int(df.index.max()) + 1 if len(df) else 0
    out = pd.concat([df.astype(object), pd.DataFrame([values], index=[i]).astype(object)])
    for col, dtype in df.dtypes.items():  # keep numeric columns numeric
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            out[col] = pd.to_numeric(out[col], errors="coerce")
    return out, i


def _countries_of(spec) -> frozenset[str]:
    from .geopolitics import resolve_countries

    return resolve_countries(spec)


def _apply_infrastructure(s: Scenario, nodes: pd.DataFrame, links: pd.DataFrame, log: list[str]):
    nodes, links = nodes.copy(), links.copy()
    for nc in s.infrastructure.nodes:
        src = join_sources(nc.source)
        vals = nc.model_dump(exclude={"id", "source"}, exclude_none=True)
        hit = np.flatnonzero(nodes["node_id"].to_numpy() == nc.id)
        if len(hit):
            i = nodes.index[hit[0]]
            log.append(f"node {nc.id}: " + ", ".join(f"{k} {v}" for k, v in vals.items() if k != "notes"))
        else:
            nodes, i = _append(nodes, {"node_id": nc.id, "coord_source": src})
            log.append(f"new node {nc.id} ({nc.name}, {nc.country})")
        for k, v in vals.items():
            _set(nodes, i, k, v)
            if k in SOURCE_COLS:  # old and new sources: a source column may cover two values
                old = nodes.at[i, SOURCE_COLS[k]] if SOURCE_COLS[k] in nodes.columns else ""
                _set(nodes, i, SOURCE_COLS[k], join_sources(old, src))
    for lc in s.infrastructure.links:
        src = join_sources(lc.source)
        vals = {LINK_FIELD_COLUMNS.get(k, k): v
                for k, v in lc.model_dump(exclude={"id", "source"}, exclude_none=True).items()}
        if "passages" in vals:
            vals["passages"] = ";".join(vals["passages"])
        hit = np.flatnonzero(links["link_id"].to_numpy() == lc.id)
        if len(hit):
            i = links.index[hit[0]]
            log.append(f"link {lc.id}: " + ", ".join(f"{k} {v}" for k, v in vals.items() if k != "notes"))
        else:
            links, i = _append(links, {"link_id": lc.id, "directed": False, "source_id": src})
            vals["status"] = lc.status_if_new()
            log.append(f"new link {lc.id} ({lc.from_}-{lc.to}, {lc.mode}, {lc.length_km} km)")
        for k, v in vals.items():
            if k == "status" and v == "open" and len(hit) and "opening_year" not in vals:
                _set(links, i, "opening_year", np.nan)  # reopened: open whatever the year
            _set(links, i, k, v)
            if k in SOURCE_COLS:
                old = links.at[i, SOURCE_COLS[k]] if SOURCE_COLS[k] in links.columns else ""
                _set(links, i, SOURCE_COLS[k], join_sources(old, src))
    if "directed" in links.columns:
        links["directed"] = links["directed"].map(lambda v: str(v).lower() in ("true", "1", "yes"))
    return nodes.reset_index(drop=True), links.reset_index(drop=True)


def _link_selection(t: TariffChange, net: Network) -> np.ndarray:
    lk = net.links
    m = np.ones(len(lk), dtype=bool)
    if t.links:
        m &= lk["link_id"].isin(t.links).to_numpy()
    if t.modes:
        m &= lk["mode"].isin(t.modes).to_numpy()
    if t.rate_classes:
        m &= lk["rate_class"].isin(t.rate_classes).to_numpy()
    if t.countries:
        cs = list(_countries_of(t.countries))
        m &= (lk["from_country"].isin(cs) | lk["to_country"].isin(cs)).to_numpy()
    return m


def _apply_tariffs_and_times(s: Scenario, net: Network, log: list[str]) -> Network:
    if not s.tariffs and not s.border_times:
        return net
    nodes, links, lk = net.raw_nodes.copy(), net.raw_links.copy(), net.links
    for col in ("usd_per_teu", "wait_hours"):
        links[col] = lk[col].astype(float).to_numpy()
    for col in ("cost_source", "wait_source"):
        links[col] = lk[col].to_numpy()
    for t in s.tariffs:
        m = _link_selection(t, net)
        links.loc[m, "usd_per_teu"] = links.loc[m, "usd_per_teu"] * t.factor
        links.loc[m, "cost_source"] = [join_sources(x, t.source) for x in links.loc[m, "cost_source"]]
        log.append(f"tariff x{t.factor:g} on {int(m.sum())} links")
    nd = net.nodes
    for b in s.border_times:
        m = np.zeros(len(nd), dtype=bool)
        if b.nodes or b.countries or b.kinds:
            m[:] = True
            if b.nodes:
                m &= nd.index.isin([net.resolve(x) for x in b.nodes])
            if b.countries:
                m &= nd["country"].isin(list(_countries_of(b.countries))).to_numpy()
            if b.kinds:
                m &= nd["kind"].isin(b.kinds).to_numpy()
        for factor, col, scol in ((b.dwell_factor, "dwell_hours", "dwell_source"),
                                  (b.transship_factor, "transship_hours", "transship_source")):
            if factor is None or not m.any():
                continue
            if col not in nodes.columns:
                nodes[col] = np.nan
            vals = pd.to_numeric(nodes[col], errors="coerce").to_numpy(float)
            nodes[col] = np.where(m & np.isfinite(vals), vals * factor, vals)
            if scol not in nodes.columns:
                nodes[scol] = ""
            nodes[scol] = [join_sources(x, b.source) if mm and np.isfinite(v) else x
                           for x, mm, v in zip(nodes[scol].fillna(""), m, vals, strict=True)]
            log.append(f"{col} x{factor:g} at {int((m & np.isfinite(vals)).sum())} nodes")
        if b.wait_factor is not None:
            lm = np.ones(len(lk), dtype=bool)
            if b.links:
                lm &= lk["link_id"].isin(b.links).to_numpy()
            if b.sea_areas:
                lm &= lk["sea_area"].isin(b.sea_areas).to_numpy()
            links.loc[lm, "wait_hours"] = links.loc[lm, "wait_hours"] * b.wait_factor
            links.loc[lm, "wait_source"] = [join_sources(x, b.source) for x in links.loc[lm, "wait_source"]]
            log.append(f"wait_hours x{b.wait_factor:g} on {int(lm.sum())} links")
    return net.with_tables(nodes=nodes, links=links)


def caspian_config(spec: CaspianSpec | None) -> CaspianConfig:
    """The Caspian crossing of a scenario: the 2024 data with its sea level, fleet and port changes."""
    cfg = baseline_config(sea_level=(spec.sea_level_m or 0.0) if spec else 0.0)
    if spec is None:
        return cfg
    if spec.vessels_add:
        cfg = cfg.with_fleet(resolve_fleet_changes(cfg, spec.vessels_add))
    if spec.deepen_m or spec.berths_add:
        cfg = cfg.with_ports(deepen=dict(spec.deepen_m),
                             berths_add={k: dict(v) for k, v in spec.berths_add.items()})
    return cfg


def _service_capacity(cfg: CaspianConfig) -> dict[str, float]:
    """Tonnes a year-round fleet can lift per round trip, by service (count x units x t/unit)."""
    eff = effective_capacity(cfg)
    tpu = {c.name: c.tonnes_per_unit for c in cfg.cargo}
    svc = {s.name: s for s in cfg.services}
    out: dict[str, float] = {s.name: 0.0 for s in cfg.services}
    for v in cfg.vessels:
        s = svc[v.service]
        out[s.name] += v.count * eff[v.name] * tpu[s.cargo] / max(s.sail_hours + s.return_hours, 1e-9)
    return out


def caspian_capacity_factors(cfg: CaspianConfig, net: Network) -> dict[str, float]:
    """Capacity factor per Caspian ferry link: the scenario fleet's lift over the 2024 fleet's.

    For each port pair, services are weighted by their 2024 tonnage (annual units x t/unit);
    a service's lift is vessels x units each can carry at the sea level / round-trip hours.
    """
    base, scn = _service_capacity(baseline_config()), _service_capacity(cfg)
    tpu = {c.name: c.tonnes_per_unit for c in cfg.cargo}
    lk = net.links
    out: dict[str, float] = {}
    pairs: dict[tuple[str, str], list] = {}
    for s in cfg.services:
        pairs.setdefault((s.origin, s.destination), []).append(s)
    for (o, d), svcs in pairs.items():
        a, b = CASPIAN_NODES.get(o), CASPIAN_NODES.get(d)
        m = (lk["mode"] == "ferry") & (((lk["from_node_id"] == a) & (lk["to_node_id"] == b))
                                       | ((lk["from_node_id"] == b) & (lk["to_node_id"] == a)))
        if not m.any():
            continue
        w = np.array([s.annual_units * tpu[s.cargo] for s in svcs], dtype=float)
        r = np.array([scn[s.name] / base[s.name] if base[s.name] > 0 else 1.0 for s in svcs])
        factor = float(np.average(r, weights=w)) if w.sum() > 0 else float(r.mean())
        for lid in lk.loc[m, "link_id"]:
            out[str(lid)] = factor
    return out


def _apply_caspian(s: Scenario, net: Network, log: list[str]) -> tuple[Network, CaspianConfig | None, dict]:
    if s.caspian is None:
        return net, None, {}
    cfg = caspian_config(s.caspian)
    factors = caspian_capacity_factors(cfg, net)
    links = net.raw_links.copy()
    for col in ("capacity_teu_yr", "capacity_t_yr"):
        if col in links.columns:
            links[col] = pd.to_numeric(links[col], errors="coerce")
    for lid, fct in factors.items():
        if math.isclose(fct, 1.0):
            continue
        i = links.index[links["link_id"] == lid][0]
        for col in ("capacity_teu_yr", "capacity_t_yr"):
            if col in links.columns and np.isfinite(links.at[i, col]):
                links.at[i, col] = links.at[i, col] * fct
        links.at[i, "capacity_source"] = join_sources(links.at[i, "capacity_source"], s.caspian.source)
        log.append(f"{lid}: capacity x{fct:.3f} (Caspian fleet and sea level)")
    return net.with_tables(links=links), cfg, factors


def _apply_demand(s: Scenario, net: Network, log: list[str]) -> Demand:
    d = read_demand(s.demand.file, network=net) if s.demand.file else load_demand(s.demand.year)
    if not s.demand.growth:
        return d
    t = d.table.copy()
    country = net.nodes.set_index("node_id")["country"]
    oc, dc = t["origin"].map(country), t["destination"].map(country)
    for g in s.demand.growth:
        a, b = _countries_of(g.from_), _countries_of(g.to)
        m = oc.isin(a) & dc.isin(b)
        if g.both_directions:
            m |= oc.isin(b) & dc.isin(a)
        if g.commodity is not None:
            m &= t["commodity"] == g.commodity
        for col in ("teu_per_year", "t_per_year"):
            t.loc[m, col] = t.loc[m, col].astype(float) * g.factor
        log.append(f"demand {g.from_} -> {g.to}{' (both ways)' if g.both_directions else ''}"
                   f" x{g.factor:g}: {int(m.sum())} OD cells")
    return Demand(table=t, source=f"{d.source} (scenario {s.name})")


def _csv_lines(text: str) -> list[int]:
    """The line each record of a CSV text starts on (record 0 is the header)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out, start = [], 1
    for _ in reader:
        out.append(start)
        start = reader.line_num + 1
    return out


def _locate(s: Scenario, section: str, index: int) -> tuple[str, int | None, tuple]:
    """File, line and YAML path of item `index` of the merged `infrastructure.<section>` list."""
    loc = ("infrastructure", section)
    for path in s.chain:
        f = _read_file(Path(path), [])
        items = f.raw.get("infrastructure", {}).get(section) if isinstance(f.raw.get("infrastructure"),
                                                                           dict) else None
        n = len(items) if isinstance(items, list) else 0
        if index < n:
            return str(path), line_at(f.idx, loc + (index,)), loc + (index,)
        index -= n
    return f"scenario {s.name}", None, loc + (index,)


def _check_applied_tables(s: Scenario, base: Network, nodes: pd.DataFrame, links: pd.DataFrame,
                          sources: pd.DataFrame | None) -> None:
    """Run the network validator (`corridor.io.read_network_tables`) over the tables the scenario's
    infrastructure makes, and report what it finds at the scenario entries behind each row."""
    from .io import read_network_tables

    texts = {"node.csv": nodes.to_csv(index=False), "link.csv": links.to_csv(index=False)}
    for name, df in (("sources.csv", sources), ("rates.csv", base.rates),
                     ("commodities.csv", base.commodities)):
        if df is not None:
            texts[name] = df.to_csv(index=False)
    with tempfile.TemporaryDirectory(prefix="corridor-scenario-") as tmp:
        for name, text in texts.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        try:
            read_network_tables(tmp, fallback_dir=bundled_data_dir())
            return
        except ValidationError as exc:
            found = exc.problems
    entries = {"node.csv": ("nodes", nodes, "node_id", [c.id for c in s.infrastructure.nodes]),
               "link.csv": ("links", links, "link_id", [c.id for c in s.infrastructure.links])}
    attrs = {v: k for k, v in LINK_FIELD_COLUMNS.items()}  # column -> LinkChange/NodeChange field
    problems: list[Problem] = []
    for p in found:
        name = Path(p.file).name
        section, df, idcol, ids = entries.get(name, (None, None, None, []))
        row = None
        if df is not None and p.row is not None:
            lines = _csv_lines(texts[name])
            row = lines.index(p.row) - 1 if p.row in lines else None
        rid = str(df[idcol].iat[row]) if row is not None and 0 <= row < len(df) else None
        what = f"{name} column '{p.column}'" + (f" of {section[:-1]} '{rid}'" if rid else "")
        msg = f"{p.message} (in the network the scenario makes: {what})"
        hits = [i for i, x in enumerate(ids) if x == rid]
        if hits:
            col = p.column or ""
            attr = "source" if col == "source_id" or col.endswith("_source") else attrs.get(col, col)
            setting = [i for i in hits if getattr(getattr(s.infrastructure, section)[i], attr, None)]
            fname, line, loc = _locate(s, section, (setting or hits)[-1])
            problems.append(ScenarioProblem(fname, line, yaml_path(loc), msg))
        else:
            problems.append(ScenarioProblem(f"scenario {s.name}", None, None, msg))
    raise ValidationError(problems, what=f"scenario {s.name} (the network it makes)")


def apply_scenario(scenario: Scenario | str | Path, *, network: Network | None = None) -> AppliedScenario:
    """The scenario's network, policy, demand and Caspian configuration; `network` is not touched.

    A scenario that changes links or nodes has the tables it makes checked by the network
    validator; a problem there is a ValidationError located at the scenario entry behind it.
    """
    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, network=network)
    base = network or load_network()
    log: list[str] = []
    nodes, links = _apply_infrastructure(s, base.raw_nodes, base.raw_links, log)
    srcs = base.sources
    if s.sources:
        extra = pd.DataFrame([{"source_id": e.id, "title": e.title, "publisher": e.publisher, "url": e.url,
                               "date": e.date, "licence": "cited fact", "grade": e.grade, "notes": e.notes}
                              for e in s.sources]).drop_duplicates("source_id", keep="last")
        # a file may repeat a bundled source only word for word (load_scenario checks): keep the bundled row
        srcs = extra if srcs is None else pd.concat(
            [srcs, extra[~extra["source_id"].isin(srcs["source_id"])]], ignore_index=True)
    if s.infrastructure.nodes or s.infrastructure.links:
        _check_applied_tables(s, base, nodes, links, srcs)
    net = base.with_tables(nodes=nodes, links=links, sources=srcs, name=f"{base.name}+{s.name}")
    net = _apply_tariffs_and_times(s, net, log)
    net, cfg, factors = _apply_caspian(s, net, log)
    pol = s.policies
    codes, groups = split_avoid(pol.avoid)
    borders = tuple(Border(countries=tuple(b.countries) if b.countries else None,
                           node=(str(net.nodes["node_id"].iat[net.resolve(b.node)]) if b.node else None),
                           status=b.status, extra_hours=b.extra_hours, extra_usd=b.extra_usd,
                           modes=frozenset(b.modes), source_id=join_sources(b.source)) for b in pol.borders)
    # members of a bloc or region the network does not have are left out
    policy = Policy(avoid_countries=frozenset(codes) & net.countries,
                    avoid_modes=frozenset(pol.avoid_modes), year=s.year,
                    avoid_passages=frozenset(pol.avoid_passages), avoid_groups=frozenset(groups),
                    borders=borders)
    policy.check(net)
    net = policy.apply_borders(net)
    for b in policy.effective_borders():
        if b.status != "open":
            extra = f" (+{b.extra_hours:g} h, +{b.extra_usd:g} USD/TEU)" if b.status == "restricted" else ""
            log.append(f"border {b.label()} {b.status}{extra}")
    demand = _apply_demand(s, net, log)
    return AppliedScenario(s, net, policy, demand, cfg, factors, log)


def _results():  # run_scenario, diff and friends live in scenario_results (imported lazily)
    from . import scenario_results

    return scenario_results


def run_scenario(name_or_path: Any, **kwargs):
    """See `corridor.scenario_results.run_scenario`."""
    return _results().run_scenario(name_or_path, **kwargs)


def diff(a, b, **kwargs):
    """See `corridor.scenario_results.diff`."""
    return _results().diff(a, b, **kwargs)
