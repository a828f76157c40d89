"""Applying a scenario: a new network, policy, Caspian crossing and demand, copy-on-write (nothing
bundled is ever modified)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..caspian.config import CaspianConfig
from ..costs import CostTerms
from ..datafiles import bundled_data_dir
from ..demand import Demand, load_demand, read_demand
from ..errors import Problem, ValidationError
from ..network.io import load_network
from ..network.policy import Border, Policy, join_sources, split_avoid
from ..network.tables import Network
from ..network.validation import validate_network_tables
from ..premiums import risk_terms
from ..world import World
from ..yamlio import line_at, yaml_path
from .caspian import caspian_config, line_summary
from .files import (
    ScenarioProblem,
    read_scenario_file,
)
from .schema import (
    LINK_FIELD_COLUMNS,
    BorderTimeChange,
    Scenario,
    TariffChange,
)
from .validate import load_scenario


@dataclass(frozen=True)
class AppliedScenario:
    """What a scenario makes of the base data: all new objects, the inputs untouched."""

    scenario: Scenario
    network: Network
    policy: Policy
    demand: Demand
    caspian: CaspianConfig | None = None
    changes: list[str] = field(default_factory=list)  # what was applied, one line each
    # added to the scenario's own terms: a sweep draw's premium levels in place of the data's
    extra_terms: CostTerms | None = None

    @property
    def world(self) -> World:
        """The world the scenario states: its policy, cost terms, month and Caspian crossing (and the
        `extra_terms`, when a draw gives them)."""
        t = self.scenario.terms
        terms = CostTerms(entry_usd=t.entry_usd, passage_usd=t.passage_usd,
                          carbon_usd_per_t=t.carbon_usd_per_t) if t is not None else CostTerms()
        if t is None or t.risk_premiums:
            terms = risk_terms(self.scenario.year) + terms  # the premiums in force in its year
        if self.extra_terms is not None:
            terms = terms + self.extra_terms
        return World(self.policy, terms, month=self.scenario.month, caspian=self.caspian)

    def caspian_lines(self) -> dict[str, dict]:
        """Per Caspian service: capacity and the wait at its 2024 volume in this scenario's world."""
        return line_summary(self.caspian, self.scenario.month)

SOURCE_COLS = {"length_km": "length_source", "speed_kmh": "speed_source", "wait_hours": "wait_source",
               "usd_per_teu": "cost_source", "capacity_teu_yr": "capacity_source",
               "capacity_t_yr": "capacity_source", "status": "source_id", "opening_year": "source_id",
               "dwell_hours": "dwell_source", "dwell_usd": "dwell_source",
               "transship_hours": "transship_source", "transship_usd": "transship_source"}

# Caspian port (caspian_2024.json) -> network node


def _set(df: pd.DataFrame, i: Hashable, col: str, value: object) -> None:
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


def _countries_of(spec: str | list[str]) -> frozenset[str]:
    from ..network.geopolitics import resolve_countries

    return resolve_countries(spec)


def _apply_infrastructure(s: Scenario, nodes: pd.DataFrame, links: pd.DataFrame,
                          log: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
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


def _apply_tariffs(s: Scenario, net: Network, links: pd.DataFrame, log: list[str]) -> None:
    """USD per TEU of the selected links scaled, in `links` (a copy of the raw table)."""
    for t in s.tariffs:
        m = _link_selection(t, net)
        links.loc[m, "usd_per_teu"] = links.loc[m, "usd_per_teu"] * t.factor
        links.loc[m, "cost_source"] = [join_sources(x, t.source) for x in links.loc[m, "cost_source"]]
        log.append(f"tariff x{t.factor:g} on {int(m.sum())} links")


def _node_selection(b: BorderTimeChange, net: Network) -> np.ndarray:
    nd = net.nodes
    m = np.zeros(len(nd), dtype=bool)
    if b.nodes or b.countries or b.kinds:
        m[:] = True
        if b.nodes:
            m &= nd.index.isin([net.resolve(x) for x in b.nodes])
        if b.countries:
            m &= nd["country"].isin(list(_countries_of(b.countries))).to_numpy()
        if b.kinds:
            m &= nd["kind"].isin(b.kinds).to_numpy()
    return m


def _apply_border_times(s: Scenario, net: Network, nodes: pd.DataFrame, links: pd.DataFrame,
                        log: list[str]) -> None:
    """Dwell and transshipment hours of the selected nodes and waits of the selected links scaled, in
    `nodes` and `links` (copies of the raw tables)."""
    lk = net.links
    for b in s.border_times:
        m = _node_selection(b, net)
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


def _apply_tariffs_and_times(s: Scenario, net: Network, log: list[str]) -> Network:
    if not s.tariffs and not s.border_times:
        return net
    nodes, links, lk = net.raw_nodes.copy(), net.raw_links.copy(), net.links
    for col in ("usd_per_teu", "wait_hours"):  # as filled from the rate classes
        links[col] = lk[col].astype(float).to_numpy()
    for col in ("cost_source", "wait_source"):
        links[col] = lk[col].to_numpy()
    _apply_tariffs(s, net, links, log)
    _apply_border_times(s, net, nodes, links, log)
    return net.with_tables(nodes=nodes, links=links)


def _apply_caspian(s: Scenario, log: list[str]) -> CaspianConfig | None:
    """The crossing the scenario makes (None: the bundled one); what changed, for the log."""
    if s.caspian is None:
        return None
    cfg = caspian_config(s.caspian)
    base = caspian_config(None)
    if cfg.level_m != base.level_m:
        log.append(f"Caspian sea level {cfg.level_m:.2f} m BS ({cfg.level_m - base.level_m:+.2f} m on "
                   f"the data's {base.reference_year})")
    for v, b in zip(cfg.vessels, base.vessels, strict=True):
        if v.count != b.count:
            log.append(f"Caspian fleet: {v.name} {b.count} -> {v.count}")
    for p, bp in zip(cfg.ports, base.ports, strict=True):
        if p.depth_m != bp.depth_m:
            log.append(f"Caspian port {p.name}: controlling depth {bp.depth_m:.2f} -> {p.depth_m:.2f} m")
        if p.berths != bp.berths:
            log.append(f"Caspian port {p.name}: berths {bp.berths} -> {p.berths}")
    return cfg


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


def _locate(s: Scenario, section: str, index: int) -> tuple[str, int | None, tuple]:
    """File, line and YAML path of item `index` of the merged `infrastructure.<section>` list."""
    loc = ("infrastructure", section)
    for path in s.chain:
        f = read_scenario_file(Path(path), [])
        items = f.raw.get("infrastructure", {}).get(section) if isinstance(f.raw.get("infrastructure"),
                                                                           dict) else None
        n = len(items) if isinstance(items, list) else 0
        if index < n:
            return str(path), line_at(f.idx, loc + (index,)), loc + (index,)
        index -= n
    return f"scenario {s.name}", None, loc + (index,)


# the tables a scenario's infrastructure changes: GMNS file -> (section of `infrastructure`, id column)
_ENTRIES = {"node.csv": ("nodes", "node_id"), "link.csv": ("links", "link_id")}

_FIELD_OF_COLUMN = {v: k for k, v in LINK_FIELD_COLUMNS.items()}  # column -> LinkChange/NodeChange field


def _at_entry(s: Scenario, p: Problem, tables: dict[str, pd.DataFrame]) -> Problem:
    """A problem of the network the scenario makes, at the scenario entry that sets the value behind it."""
    name = Path(p.file).name
    section, idcol = _ENTRIES.get(name, ("", ""))
    df = tables.get(section)
    # in-memory tables are checked as the CSV files they would be: row i on line i + 2
    row = p.row - 2 if df is not None and p.row is not None else None
    rid = str(df[idcol].iat[row]) if df is not None and row is not None and 0 <= row < len(df) else None
    what = f"{name} column '{p.column}'" + (f" of {section[:-1]} '{rid}'" if rid else "")
    msg = f"{p.message} (in the network the scenario makes: {what})"
    changes = getattr(s.infrastructure, section) if section else []
    hits = [i for i, c in enumerate(changes) if c.id == rid]
    if not hits:
        return ScenarioProblem(f"scenario {s.name}", None, None, msg)
    col = p.column or ""
    attr = "source" if col == "source_id" or col.endswith("_source") else _FIELD_OF_COLUMN.get(col, col)
    setting = [i for i in hits if getattr(changes[i], attr, None)]
    fname, line, loc = _locate(s, section, (setting or hits)[-1])
    return ScenarioProblem(fname, line, yaml_path(loc), msg)


def _check_applied_tables(s: Scenario, base: Network, nodes: pd.DataFrame, links: pd.DataFrame,
                          sources: pd.DataFrame | None) -> None:
    """Check the tables the scenario's infrastructure makes with the network's own checks (in memory,
    `validate_network_tables`), and report what they find at the scenario entries behind each row."""
    tables = {"nodes": nodes, "links": links, "sources": sources, "rates": base.rates,
              "commodities": base.commodities}
    try:
        validate_network_tables(tables, fallback_dir=bundled_data_dir())
        return
    except ValidationError as exc:
        found = exc.problems
    raise ValidationError([_at_entry(s, p, tables) for p in found],
                          what=f"scenario {s.name} (the network it makes)")


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
    cfg = _apply_caspian(s, log)
    pol = s.policies
    codes, groups = split_avoid(pol.avoid)
    borders = tuple(Border(countries=(b.countries[0], b.countries[1]) if b.countries else None,
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
    return AppliedScenario(s, net, policy, demand, cfg, log)
