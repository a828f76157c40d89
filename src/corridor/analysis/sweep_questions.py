"""What one run of a sweep answers: a question asked in a scenario under one draw of the uncertain
inputs, returned as named figures (one number each).

- `Flows`: a scenario assigned (the coupled SUE with its queues): TEU, share, mean and p90 days and
  USD per TEU of every corridor family, the totals, the share of a region pair's TEU through each
  transit country (gateway shares), each Caspian line's load and wait, unserved TEU; and when asked,
  each transit country's closure loss (`gateways`) and each project's NPV and whether the portfolio
  chooses it (`appraise`).
- `Diff`: two scenarios under the same draw, a's and b's flows and b - a.
- `Compare`: the best route of each family between two places (days, USD per TEU).
- `Gateways`: a region pair's gateway shares and closure losses (`gateways`, its own route search).
- `Appraise`: each project's NPV and the chosen portfolio (`appraise`).

A run of `Flows` or `Diff` reuses the choice set of its scenario (`routes`): draws change costs,
waits and capacities, not which routes exist (see docs/UNCERTAINTY.md).
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix

from ..assignment.choice_sets import ChoiceSet, choice_set
from ..assignment.freight import assign
from ..assignment.params import AssignmentParams
from ..assignment.results import FlowResult
from ..assignment.welfare import demand_classes, od_pairs
from ..demand import Demand
from ..errors import CorridorError
from ..network.geopolitics import resolve_countries
from ..network.graph import LINK
from ..network.tables import Network
from ..premiums import PREMIUMS_FILE
from ..scenarios.apply import AppliedScenario, apply_scenario
from ..scenarios.run import corridor_table
from ..scenarios.schema import Scenario
from .uncertain_inputs import Draw, check_queue_j, run_copy, with_queue_j

# which input files reach each kind of question (uncertain_inputs.csv `file`)
ASSIGNMENT_FILES = ("caspian_2024.json", "rates.csv", "assignment_params.json", "queue_params.csv", "demand",
                    PREMIUMS_FILE)


def route_key(s: Scenario) -> str:
    """What decides which routes exist in a scenario's world: everything but its Caspian crossing
    (sea level, fleet, ports) and its demand, which change costs and volumes only."""
    return s.model_copy(update={"caspian": None, "name": "routes", "description": "",
                                "sources": []}).model_dump_json(exclude={"demand", "chain"})


def route_set(net: Network, s: Scenario) -> ChoiceSet:
    """The choice set of a scenario's world (without its Caspian changes: `route_key`), for its demand."""
    applied = apply_scenario(s.model_copy(update={"caspian": None}), network=net)
    classes = demand_classes(applied.demand)
    pairs = od_pairs(applied.network, applied.demand, classes)
    return choice_set(applied.network, pairs, world=applied.world, commodities=classes, missing="skip")


def applied_in(net: Network, s: Scenario, draw: Draw) -> AppliedScenario:
    """The scenario applied to `net` with the draw's rates, crossing and demand (the applied scenario
    without the draw is kept on the network's cache, so each cell is applied once per worker)."""
    base = draw.network(net)
    key = ("analysis.sweep_questions.applied", s.model_dump_json())
    applied: AppliedScenario
    if base is net and key in net.cache:
        applied = net.cache[key]
    else:
        applied = apply_scenario(s, network=base)
        if base is net:
            net.cache[key] = applied
    demand = applied.demand
    if draw.demand_scale != 1.0:
        t = demand.table.copy()
        for col in ("teu_per_year", "t_per_year"):
            t[col] = t[col].astype(float) * draw.demand_scale
        demand = Demand(table=t, source=f"{demand.source} x{draw.demand_scale:.4f}")
    return replace(applied, network=run_copy(applied.network), demand=demand,
                   caspian=draw.caspian_config(applied.caspian),
                   extra_terms=draw.premium_terms(applied.world))


def _aligned(net: Network, rs: ChoiceSet) -> None:
    if rs.incidence.shape[1] != net.graph.n_edges:
        raise CorridorError("the scenario's network does not match the sweep's choice set (a lever or a "
                            "draw changed the network's structure)")


def assign_draw(net: Network, s: Scenario, draw: Draw, rs: ChoiceSet,
                params: AssignmentParams) -> tuple[FlowResult, AppliedScenario, AssignmentParams]:
    """One coupled assignment of scenario `s` under `draw`, on the choice set `rs`: (flows, applied)."""
    applied = applied_in(net, s, draw)
    _aligned(applied.network, rs)
    p = draw.assignment_params(params)
    run_net = with_queue_j(applied.network, applied.world, p, draw.queue_j)
    flows = assign(run_net, applied.demand, method="sue", world=applied.world, params=p, routes=rs,
                   unserved="report")
    check_queue_j(flows, draw.queue_j, run_net)
    return flows, applied, p


def gateway_shares(net: Network, flows: FlowResult, rs: ChoiceSet, a: frozenset[str],
                   b: frozenset[str]) -> dict:
    """Share of the TEU from countries `a` to countries `b` that passes each other country."""
    g = net.graph
    coo = rs.incidence.tocoo()
    link = g.kind[coo.col] == LINK
    country = net.nodes["country"].to_numpy(object)
    ends = np.concatenate([country[g.from_node[coo.col[link]]], country[g.to_node[coo.col[link]]]])
    codes, inv = np.unique(ends.astype(str), return_inverse=True)
    rows = np.concatenate([coo.row[link], coo.row[link]])
    m = csr_matrix((np.ones(len(rows)), (rows, inv)), shape=(len(rs), len(codes)))
    m.data[:] = 1.0
    p = flows.paths
    if p is None:  # an assignment on a choice set keeps its paths
        raise CorridorError("the assignment kept no paths: gateway shares need them")
    node_country = dict(zip(net.nodes["node_id"], country, strict=True))
    mine = (p["origin"].map(node_country).isin(a) & p["destination"].map(node_country).isin(b)).to_numpy()
    w = np.bincount(p["route"].to_numpy()[mine], weights=p["teu"].to_numpy()[mine], minlength=len(rs))
    served = float(w.sum())
    teu = (m.T @ w) if served else np.zeros(len(codes))
    return {f"gateway.{c}": float(t / served) if served else math.nan
            for c, t in zip(codes, np.asarray(teu).ravel(), strict=True) if c not in a | b and t > 0}


def flow_figures(net: Network, flows: FlowResult, rs: ChoiceSet, a: frozenset[str],
                 b: frozenset[str]) -> dict:
    """The headline figures of an assignment, one number each."""
    out: dict[str, float] = {}
    ct = corridor_table(flows)
    for r in ct.itertuples(index=False):
        for name, v in (("teu", r.teu), ("share", r.share), ("days", r.mean_days), ("p90_days", r.p90_days),
                        ("usd", r.usd_per_teu)):
            out[f"{name}.{r.corridor}"] = float(v)
    ok = ct["teu"] > 0
    tot = float(ct["teu"].sum())
    out["total.teu"] = tot
    for name, col in (("days", "mean_days"), ("usd", "usd_per_teu")):
        m = ok & ct[col].notna()
        out[f"total.{name}"] = (float(np.average(ct.loc[m, col], weights=ct.loc[m, "teu"])) if m.any()
                                else math.nan)
    out.update(gateway_shares(net, flows, rs, a, b))
    q = flows.queues
    if q is not None and not q.empty:
        lines = q[q["service"] != ""]
        for svc, grp in lines.groupby("service"):
            top = grp.sort_values("load").iloc[-1]
            out[f"caspian.{svc}.load"] = float(top["load"])
            out[f"caspian.{svc}.wait_h"] = float(top["wait_hours"])
    out["unserved_teu"] = float(flows.unserved["teu"].sum()) if flows.unserved is not None else 0.0
    out["sanctioned_share"] = float(flows.sanctions_exposure()["share"])
    out["rgap"] = float(flows.rgap)
    return out


def closure_figures(applied: AppliedScenario, params: AssignmentParams, from_region: str,
                    to_region: str, top: int) -> dict:
    """Each transit country's closure loss for the region pair (`gateways`), in this run's world."""
    from .gateways import gateways

    res = gateways(applied.network, applied.demand, from_region, to_region, scenario=applied, params=params,
                   top=top)
    out = {}
    for r in res.countries.itertuples(index=False):
        v = getattr(r, "closed_extra_usd_per_teu", np.nan)
        if v is not None and np.isfinite(v):
            out[f"closure.{r.country}.extra_usd_per_teu"] = float(r.closed_extra_usd_per_teu)
            out[f"closure.{r.country}.extra_days"] = float(r.closed_extra_days)
            out[f"closure.{r.country}.unserved_teu"] = float(r.closed_unserved_teu)
    return out


def project_figures(net: Network, s: Scenario | None, draw: Draw, params: AssignmentParams,
                    projects: str | None, budget: float, demand: Demand | None = None) -> dict:
    """Each project's NPV and whether the portfolio within `budget` chooses it (`appraise`), with the
    draw's rates, parameters, demand, growth and discount. The scenario reaches the appraisal as a
    file (its sea level, fleet and policies; the drawn Caspian judgement values do not)."""
    from .appraisal import DEFAULTS, appraise

    with tempfile.TemporaryDirectory() as tmp:
        path = None
        if s is not None:
            path = Path(tmp) / f"{s.name}.yaml"
            path.write_text(s.to_yaml(), encoding="utf-8")
        a = appraise(draw.network(net), projects, budget=budget, scenario=path and str(path), params=params,
                     demand=demand, growth=draw.appraisal.get("growth", DEFAULTS["growth"]),
                     discount=draw.appraisal.get("discount", DEFAULTS["discount"]))
    out = {}
    for r in a.projects.itertuples(index=False):
        out[f"npv.{r.id}"] = float(r.npv_usd)
        out[f"chosen.{r.id}"] = 1.0 if r.chosen else 0.0
    out["portfolio.npv"] = float(a.portfolio.npv_usd)
    return out


# ------------------------------------------------------------------ the questions


@dataclass(frozen=True)
class Flows:
    """A scenario assigned: corridor figures, gateway shares, Caspian lines; closures and project NPVs
    when asked."""

    scenario: str | dict = "baseline-2024"  # a name or path, or a scenario's fields
    from_region: str = "central-asia"
    to_region: str = "eu"
    closures: bool = False
    closure_top: int = 6
    projects: str | None = None  # a projects file, or "bundled"
    budget: float = float("inf")
    kind: str = "flows"

    @property
    def files(self) -> tuple[str, ...]:
        return ASSIGNMENT_FILES + (("appraisal",) if self.projects else ())

    @property
    def scenarios(self) -> tuple[str | dict, ...]:
        return (self.scenario,)

    needs_routes = True

    def run(self, net: Network, scenarios: tuple[Scenario, ...], routes: dict[str, ChoiceSet], draw: Draw,
            params: AssignmentParams) -> dict:
        s = scenarios[0]
        rs = routes[route_key(s)]
        flows, applied, p = assign_draw(net, s, draw, rs, params)
        a, b = resolve_countries(self.from_region), resolve_countries(self.to_region)
        out = flow_figures(applied.network, flows, rs, a, b)
        if self.closures:
            out.update(closure_figures(applied, p, self.from_region, self.to_region, self.closure_top))
        if self.projects:
            projects = None if self.projects == "bundled" else self.projects
            out.update(project_figures(net, s, draw, p, projects, self.budget, applied.demand))
        return out


@dataclass(frozen=True)
class Diff:
    """Two scenarios under the same draw: a's and b's flows and their difference (b - a)."""

    a: str
    b: str
    kind: str = "diff"
    files = ASSIGNMENT_FILES
    needs_routes = True

    @property
    def scenarios(self) -> tuple[str, ...]:
        return (self.a, self.b)

    def run(self, net: Network, scenarios: tuple[Scenario, ...], routes: dict[str, ChoiceSet], draw: Draw,
            params: AssignmentParams) -> dict:
        figs = []
        none: frozenset[str] = frozenset()
        for s in scenarios:
            rs = routes[route_key(s)]
            flows, applied, _ = assign_draw(net, s, draw, rs, params)
            f = flow_figures(applied.network, flows, rs, none, none)
            figs.append({k: v for k, v in f.items() if not k.startswith("gateway.")})
        fa, fb = figs
        out = {f"a.{k}": v for k, v in fa.items()} | {f"b.{k}": v for k, v in fb.items()}
        for k in dict.fromkeys([*fa, *fb]):
            out[f"d.{k}"] = fb.get(k, 0.0 if k.startswith("teu.") else math.nan) - fa.get(
                k, 0.0 if k.startswith("teu.") else math.nan)
        return out


@dataclass(frozen=True)
class Compare:
    """The best route of each corridor family between two places, in a world (a scenario's, or the one
    the options make, as `compare` takes them)."""

    origin: str
    destination: str
    objective: str = "generalized"
    commodity: str = "container"
    avoid: str | None = None
    avoid_modes: str | None = None
    avoid_passages: str | None = None
    year: int | None = None
    month: int | None = None
    scenario: str | dict | None = None
    kind: str = "compare"
    files = ("caspian_2024.json", "rates.csv")
    needs_routes = False

    @property
    def scenarios(self) -> tuple[str | dict, ...]:
        return (self.scenario,) if self.scenario is not None else ()

    def run(self, net: Network, scenarios: tuple[Scenario, ...], routes: dict[str, ChoiceSet], draw: Draw,
            params: AssignmentParams) -> dict:
        from ..routing.comparison import compare
        from ..world import world_of

        if scenarios:
            applied = applied_in(net, scenarios[0], draw)
            run_net, world = applied.network, applied.world
        else:
            run_net = draw.network(net)
            world = world_of(avoid=self.avoid, avoid_modes=self.avoid_modes,
                             avoid_passages=self.avoid_passages, year=self.year, month=self.month)
            world = replace(world, caspian=draw.caspian_config(None))
        c = compare(run_net, self.origin, self.destination, objective=self.objective,
                    commodity=self.commodity, world=world)
        out = {}
        for r in c.to_frame().itertuples(index=False):
            if r.feasible:
                out[f"days.{r.corridor}"] = float(r.days)
                out[f"usd.{r.corridor}"] = float(r.usd_per_teu)
        return out


@dataclass(frozen=True)
class Gateways:
    """A region pair's gateway shares and closure losses (`gateways`), in a scenario's world."""

    from_region: str = "central-asia"
    to_region: str = "eu"
    scenario: str | dict = "baseline-2024"
    closures: bool = True
    top: int = 6
    kind: str = "gateways"
    files = ("caspian_2024.json", "rates.csv", "assignment_params.json", "demand", PREMIUMS_FILE)
    needs_routes = False

    @property
    def scenarios(self) -> tuple[str | dict, ...]:
        return (self.scenario,)

    def run(self, net: Network, scenarios: tuple[Scenario, ...], routes: dict[str, ChoiceSet], draw: Draw,
            params: AssignmentParams) -> dict:
        from .gateways import gateways

        applied = applied_in(net, scenarios[0], draw)
        res = gateways(applied.network, applied.demand, self.from_region, self.to_region, scenario=applied,
                       params=draw.assignment_params(params), closures=self.closures, top=self.top)
        out = {}
        for r in res.countries.itertuples(index=False):
            out[f"gateway.{r.country}"] = float(r.share)
            v = getattr(r, "closed_extra_usd_per_teu", np.nan)
            if self.closures and v is not None and np.isfinite(v):
                out[f"closure.{r.country}.extra_usd_per_teu"] = float(v)
                out[f"closure.{r.country}.extra_days"] = float(r.closed_extra_days)
                out[f"closure.{r.country}.unserved_teu"] = float(r.closed_unserved_teu)
        return out


@dataclass(frozen=True)
class Appraise:
    """Each project's NPV and the portfolio chosen within a budget (`appraise`)."""

    projects: str | None = None  # a projects file; None: the bundled list
    scenario: str | dict | None = None
    budget: float = float("inf")
    kind: str = "appraise"
    files = ("rates.csv", "assignment_params.json", "demand", "appraisal")  # premiums: not through a file
    needs_routes = False

    @property
    def scenarios(self) -> tuple[str | dict, ...]:
        return (self.scenario,) if self.scenario else ()

    def run(self, net: Network, scenarios: tuple[Scenario, ...], routes: dict[str, ChoiceSet], draw: Draw,
            params: AssignmentParams) -> dict:
        s = scenarios[0] if scenarios else None
        demand = None
        if draw.demand_scale != 1.0:
            demand = applied_in(net, s or Scenario(name="projects"), draw).demand
        return project_figures(net, s, draw, draw.assignment_params(params), self.projects, self.budget,
                               demand)


QUESTIONS = {"flows": Flows, "diff": Diff, "compare": Compare, "gateways": Gateways, "appraise": Appraise}
