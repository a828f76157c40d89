"""Loading a scenario: every problem of the file and its bases reported at once, located by file, line
and YAML path, with the allowed values and suggestions.

The format is checked by the pydantic models (`files.read_scenario_file`); the checks here look at
what a file names (sources, countries, nodes, links, rate classes, ports, commodities), one function
per lever, also in a file whose format is wrong (`schema.partial_model`), so that all its problems
are listed together.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError as PydanticError

from ..caspian.config import baseline_config, resolve_fleet_changes
from ..demand import bundled_demand_years
from ..errors import CorridorError, Problem, UnknownPlaceError, ValidationError
from ..network.geopolitics import (
    UnknownCountryError,
    canonical_group,
    country_table,
    resolve_countries,
    suggest,
)
from ..network.io import load_network
from ..network.tables import Network
from ..yamlio import line_at, yaml_path
from .caspian import caspian_config
from .files import ScenarioFile, ScenarioProblem, find_scenario, merge_raw, scenario_chain
from .schema import CaspianSpec, Scenario, partial_model, split_sources

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
    rates: set[str]  # rate classes of the network
    caspian: dict = field(default_factory=dict)  # the raw `caspian:` sections merged so far

    @classmethod
    def of(cls, net: Network) -> _Context:
        srcs: dict[str, dict] = {}
        if net.sources is not None:
            for r in net.sources.to_dict(orient="records"):
                srcs[str(r["source_id"])] = {k: _text(r.get(k)) for k in SOURCE_FIELDS}
        rates = set(net.rates["rate_class"]) if net.rates is not None else set()
        return cls(net, set(net.nodes["node_id"]), set(net.links["link_id"]), srcs, set(srcs),
                   set(net.countries), rates)


def _text(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()


def _strs(v: object) -> list[str]:
    """Source ids of a `source` value (`a`, `a;b` or a list); anything else has none."""
    if isinstance(v, str):
        return split_sources(v)
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def _seq(v: object) -> list[tuple[int, str]]:
    """(index, item) of the string items of a list value; a value of another type has none."""
    return [(i, x) for i, x in enumerate(v) if isinstance(x, str)] if isinstance(v, list) else []


def _tokens(v: object) -> list[tuple[int, str]]:
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


@dataclass
class _Checker:
    """Reports a file's problems at their line and YAML path, and checks what the file names
    against what the network and the files before it know (`_Context`)."""

    f: ScenarioFile
    ctx: _Context
    problems: list[Problem]

    def bad(self, loc: tuple, msg: str) -> None:
        self.problems.append(ScenarioProblem(str(self.f.path), line_at(self.f.idx, loc), yaml_path(loc), msg))

    def sources(self, loc: tuple, ids: object) -> None:
        for sid in _strs(ids):
            if sid not in self.ctx.sources:
                close = difflib.get_close_matches(sid, sorted(self.ctx.sources), n=2, cutoff=0.6)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                self.bad(loc + ("source",), f"unknown source id '{sid}'{hint}: add it to the file's "
                                            "'sources:' list or use an id of 'corridor sources'")

    def countries(self, loc: tuple, tok: str) -> None:
        """A country, bloc or region; a single country must be one the network has."""
        known = self.ctx.countries
        try:
            codes = resolve_countries(tok, known=known)
        except UnknownCountryError as exc:
            self.bad(loc, exc.brief)
            return
        if canonical_group(tok) is None:
            (code,) = codes
            if code not in known:
                self.bad(loc, f"{_named(tok, code)} is not a country of the network; countries: "
                              f"{', '.join(sorted(known))}")

    def country_code(self, loc: tuple, tok: object, what: str, *, table_ok: bool = False) -> None:
        """A single ISO3 code the network has (or, with table_ok, one of the country table)."""
        known = self.ctx.countries
        if not isinstance(tok, str) or tok.strip().upper() in known:
            return
        if table_ok and tok.strip().upper() in _country_codes():
            return
        try:
            codes = resolve_countries(tok, known=known)
        except UnknownCountryError:
            codes = frozenset()
        listed = f" (countries of the network: {', '.join(sorted(known))})"
        if len(codes) == 1:  # a name, an alias or a one-country region: its code
            (code,) = codes
            msg = (f"write '{tok[:40]}' as its ISO3 code '{code}'" if code in known or table_ok
                   else f"{_named(tok, code)} is not a country of the network{listed}")
        elif codes:
            msg = f"'{tok[:40]}' is a bloc or region; {what} names single countries by ISO3 code"
        else:
            hint = [x.split(" ")[0] for x in suggest(tok, known=known)]
            hint = [h for h in hint if h in known or (table_ok and h in _country_codes())]
            msg = f"unknown country code '{tok[:40]}'"
            msg += (f"; did you mean: {', '.join(hint)}?" if hint else "") + listed
        self.bad(loc, msg)

    def node(self, loc: tuple, nid: object) -> None:
        net, known = self.ctx.net, self.ctx.nodes
        if not isinstance(nid, str) or nid in known:
            return
        try:
            net.resolve(nid)
        except UnknownPlaceError as exc:
            ids = [net.nodes["node_id"].iat[net.resolve(n)] for n in exc.suggestions]
            ids += difflib.get_close_matches(nid, sorted(known - set(net.nodes["node_id"])), n=2)
            hint = f"; did you mean: {', '.join(ids)}?" if ids else "; run 'corridor places' to list them"
            self.bad(loc, f"unknown node '{nid[:60]}'{hint}")

    def link(self, loc: tuple, lid: object) -> None:
        if isinstance(lid, str) and lid not in self.ctx.links:
            close = difflib.get_close_matches(lid, sorted(self.ctx.links), n=3, cutoff=0.6)
            hint = f"; did you mean: {', '.join(close)}?" if close else ""
            self.bad(loc, f"unknown link '{lid[:60]}'{hint}")

    def rate(self, loc: tuple, rc: object) -> None:
        rates = self.ctx.rates
        if isinstance(rc, str) and rates and rc not in rates:
            self.bad(loc, f"unknown rate class '{rc[:40]}'; known: {', '.join(sorted(rates))}")


# ------------------------------------------------------------------ one check per lever
def _check_file_sources(s: Scenario, c: _Checker) -> None:
    """The file's own sources: new ids, or word-for-word copies of known ones."""
    for i, e in enumerate(s.sources):
        if e is None or not isinstance(e.id, str):
            continue
        mine = {k: _text(getattr(e, k, "")) for k in SOURCE_FIELDS}
        known = c.ctx.sources.get(e.id)
        differ = [k for k in SOURCE_FIELDS if known is not None and mine[k] != known[k]]
        if differ:
            where = "the bundled sources.csv" if e.id in c.ctx.bundled_sources else "an earlier entry"
            c.bad(("sources", i, "id"), f"source id '{e.id[:60]}' is already in {where} with another "
                  f"{', '.join(differ)}: drop this copy and cite the id, or give the source a new id")
            continue
        c.ctx.sources[e.id] = mine


def _check_node_changes(s: Scenario, c: _Checker) -> None:
    """New nodes have what a node needs; countries are ISO3 codes (a new node may add one)."""
    for i, nc in enumerate(s.infrastructure.nodes):
        if nc is None or not isinstance(nc.id, str):
            continue
        loc = ("infrastructure", "nodes", i)
        if nc.id not in c.ctx.nodes:
            missing = [k for k in ("name", "kind", "country", "lon", "lat") if getattr(nc, k) is None]
            if missing:
                close = difflib.get_close_matches(nc.id, sorted(c.ctx.nodes), n=3, cutoff=0.7)
                hint = f" (or did you mean the existing node {', '.join(close)}?)" if close else ""
                c.bad(loc + ("id",), f"'{nc.id}' is a new node: it needs {', '.join(missing)}{hint}")
            c.ctx.nodes.add(nc.id)
        c.country_code(loc + ("country",), nc.country, "a node", table_ok=True)
        if isinstance(nc.country, str) and nc.country.strip().upper() in _country_codes():
            c.ctx.countries.add(nc.country.strip().upper())
        c.sources(loc, nc.source)


def _check_link_changes(s: Scenario, c: _Checker) -> None:
    """New links have what a link needs; an upgrade keeps its ends; ends and rate classes exist."""
    links = c.ctx.net.links
    for i, lc in enumerate(s.infrastructure.links):
        if lc is None or not isinstance(lc.id, str):
            continue
        loc = ("infrastructure", "links", i)
        ends = (("from", lc.from_, "from_node_id"), ("to", lc.to, "to_node_id"))
        if lc.id in c.ctx.links:
            row = links.loc[links["link_id"] == lc.id]
            for key, v, col in ends:
                if v is not None and len(row) and v != row[col].iat[0]:
                    c.bad(loc + (key,), f"link '{lc.id}' exists with {key} '{row[col].iat[0]}'; an upgrade "
                                        "cannot move it (give the new link another id)")
        else:
            missing = lc.missing_for_new()
            if missing:
                close = difflib.get_close_matches(lc.id, sorted(c.ctx.links), n=3, cutoff=0.7)
                hint = f" (or did you mean the existing link {', '.join(close)}?)" if close else ""
                c.bad(loc + ("id",), f"'{lc.id}' is a new link: it needs {', '.join(missing)}{hint}")
            c.ctx.links.add(lc.id)
        for key, v, _ in ends:
            c.node(loc + (key,), v)
        c.rate(loc + ("rate_class",), lc.rate_class)
        c.sources(loc, lc.source)


def _check_policies(s: Scenario, c: _Checker) -> None:
    """Countries, blocs and regions to avoid; borders between two countries or at a node."""
    pol = s.policies
    for i, tok in _seq(pol.avoid):
        c.countries(("policies", "avoid", i), tok)
    c.sources(("policies",), pol.source)
    for i, b in enumerate(pol.borders):
        if b is None:
            continue
        loc = ("policies", "borders", i)
        for j, tok in _seq(b.countries):
            c.country_code(loc + ("countries", j), tok, "a border")
        c.node(loc + ("node",), b.node)
        c.sources(loc, b.source)


def _check_terms(s: Scenario, c: _Checker) -> None:
    """Countries a term charges on entry exist; its sources are known."""
    if s.terms is None:
        return
    for code in s.terms.entry_usd:
        c.country_code(("terms", "entry_usd", code), code, "an entry term")
    c.sources(("terms",), s.terms.source)


def _check_caspian_section(f: ScenarioFile, s: Scenario, c: _Checker) -> None:
    """Known ports, and the crossing the file and its bases make together (`_check_caspian`)."""
    if isinstance(f.raw.get("caspian"), dict):
        c.ctx.caspian = merge_raw(c.ctx.caspian, f.raw["caspian"])
    if s.caspian is None:
        return
    ports = {p.name for p in baseline_config().ports}
    ok = True
    for key in ("deepen_m", "berths_add"):
        v = getattr(s.caspian, key)
        for p in v if isinstance(v, dict) else ():
            if p not in ports:
                ok = False
                c.bad(("caspian", key, p), f"unknown port '{p}'; ports: {', '.join(sorted(ports))}")
    c.sources(("caspian",), s.caspian.source)
    try:  # the spec of the file and its bases, as it will be applied
        spec = CaspianSpec.model_validate(c.ctx.caspian)
    except PydanticError:
        return  # the format problems are reported already
    if ok:
        _check_caspian(spec, c.bad)


def _check_demand(f: ScenarioFile, s: Scenario, c: _Checker) -> None:
    """Growth between countries, blocs or regions, of known commodities; a demand file that exists."""
    net = c.ctx.net
    comm = list(net.commodities["commodity"]) if net.commodities is not None else []
    for i, g in enumerate(s.demand.growth):
        if g is None:
            continue
        loc = ("demand", "growth", i)
        for key, v in (("from", g.from_), ("to", g.to)):
            for j, tok in _tokens(v):
                c.countries(loc + (key, j), tok)
        if isinstance(g.commodity, str) and comm and g.commodity not in comm:
            c.bad(loc + ("commodity",), f"unknown commodity '{g.commodity[:40]}'; known: {', '.join(comm)}")
        c.sources(loc, g.source)
    dfile = s.demand.file
    if isinstance(dfile, str) and not (f.path.parent / dfile).is_file() and not Path(dfile).is_file():
        c.bad(("demand", "file"), f"demand file not found: {dfile}")
    if dfile is None and isinstance(s.demand.year, int) and s.demand.year not in bundled_demand_years():
        years = ", ".join(map(str, bundled_demand_years())) or "none"
        c.bad(("demand", "year"), f"no bundled demand for {s.demand.year}; years with demand: {years} "
                                  "(or give demand: file:)")


def _check_tariffs(s: Scenario, c: _Checker) -> None:
    """Each tariff change selects links by links, modes, rate classes or countries that exist."""
    for i, t in enumerate(s.tariffs):
        if t is None:
            continue
        loc = ("tariffs", i)
        for j, lid in _seq(t.links):
            c.link(loc + ("links", j), lid)
        for j, rc in _seq(t.rate_classes):
            c.rate(loc + ("rate_classes", j), rc)
        for j, tok in _seq(t.countries):
            c.countries(loc + ("countries", j), tok)
        if not (t.links or t.modes or t.rate_classes or t.countries):
            c.bad(loc, "select links: give links, modes, rate_classes or countries")
        c.sources(loc, t.source)


def _check_border_times(s: Scenario, c: _Checker) -> None:
    """Node factors select nodes, wait factors links, by what exists."""
    for i, b in enumerate(s.border_times):
        if b is None:
            continue
        loc = ("border_times", i)
        for j, nid in _seq(b.nodes):
            c.node(loc + ("nodes", j), nid)
        for j, tok in _seq(b.countries):
            c.countries(loc + ("countries", j), tok)
        for j, lid in _seq(b.links):
            c.link(loc + ("links", j), lid)
        selects_nodes = b.nodes or b.countries or b.kinds
        if (b.dwell_factor is not None or b.transship_factor is not None) and not selects_nodes:
            c.bad(loc, "dwell_factor/transship_factor need nodes, countries or kinds to select nodes")
        if b.wait_factor is not None and not (b.links or b.sea_areas):
            c.bad(loc, "wait_factor needs links or sea_areas to select links")
        c.sources(loc, b.source)


def _check_semantics(f: ScenarioFile, ctx: _Context, problems: list[Problem]) -> None:
    """Sources, then the infrastructure (so later rules may name its new nodes and links), then
    countries, nodes, links, rate classes, vessels and source ids the policies and changes name."""
    s = f.model if f.model is not None else partial_model(Scenario, f.raw)
    if s is None:  # not a mapping: nothing to look up
        return
    c = _Checker(f, ctx, problems)
    _check_file_sources(s, c)
    _check_node_changes(s, c)
    _check_link_changes(s, c)
    _check_policies(s, c)
    _check_caspian_section(f, s, c)
    _check_terms(s, c)
    _check_demand(f, s, c)
    _check_tariffs(s, c)
    _check_border_times(s, c)


def _named(tok: str, code: str) -> str:
    return f"'{code}'" if tok.strip().upper() == code else f"'{tok[:40]}' ({code})"


def _country_codes() -> frozenset[str]:
    try:
        return frozenset(country_table()["iso3"])
    except CorridorError:  # no country tables: the network's codes only
        return frozenset()


def _check_caspian(spec: CaspianSpec, bad: Callable[[tuple, str], None]) -> None:
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
        for q in exc.problems:
            bad(_caspian_location(q.column or "", spec),
                f"the Caspian crossing this makes is invalid: {q.column}: {q.message}")
    except CorridorError as exc:
        bad(("caspian",), str(exc))


def load_scenario(name_or_path: str | Path, *, network: Network | None = None) -> Scenario:
    """Read a scenario and its bases, check everything, and merge them (base first).

    Raises one ValidationError listing every problem (file, line, YAML path, what is allowed).
    The merged scenario names no `base` (its bases are merged in); `chain` lists the files.
    """
    path = find_scenario(name_or_path)
    problems: list[Problem] = []
    files = scenario_chain(path, problems)
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
        merged = merge_raw(merged, d)
    merged["name"], merged["description"] = files[-1].raw["name"], files[-1].raw.get("description", "")
    scn = Scenario.model_validate(merged)
    scn.chain = [str(f.path) for f in files]
    return scn
