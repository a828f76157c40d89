"""Investment appraisal: what each project is worth to the assigned flows, and the best portfolio
under a budget.

    >>> from corridor.appraisal import appraise, read_projects
    >>> projects = read_projects()                     # the bundled list (data/projects.csv)
    >>> a = appraise(projects, budget_usd=2e9, horizon=2040, discount=0.06)
    >>> a.projects[["id", "cost_usd", "pv_benefit_usd", "npv_usd", "bcr"]]
    >>> a.portfolio.chosen, a.portfolio.npv_usd

**Projects** (`corridor.projects`). A project is a cost, an opening year and changes to the
network in the scenario infrastructure format, read from a CSV or YAML file with every problem
reported at once.

**Value.** With a set S of projects built, the network is rebuilt (a link a project opens is
closed in every world that lacks the project, so all worlds share one compiled graph), the
demand grown to year t is assigned (the calibrated path-size logit), and the year's benefit
is the fall in the shippers' expected perceived generalized cost (the logit's log-sum, in USD,
with the path sizes and cost scales of the without-project world held fixed): time, tariff and
queueing at capacity, in one number. It is computed at three years (the base year, the middle
and the horizon) and interpolated between them; a project counts from its opening year; the
benefits to the horizon are discounted to the base year; costs count in full in the base year
(no residual value, no credit for later spending). NPV = PV(benefits) - cost, BCR = PV/cost.

**Portfolio** (`corridor.portfolio`). A mixed-integer programme (`scipy.optimize.milp`, HiGHS)
maximises NPV under the budget: each project's value alone, plus a pairwise interaction term
(value of the pair less the two alone, by re-assignment) for pairs that could interact (they
change a common node, or change the costs of common OD flows). Interactions beyond pairs are
corrected where it matters: the chosen set is re-assigned as a whole and, if its value differs
from the programme's, enters the programme exactly. When few sets fit the budget (at most
`exhaustive_max`), every one of them is then valued by re-assignment and the best returned:
the optimum whatever the interactions; beyond that the answer is a heuristic (optimal only if
no interaction beyond pairs matters), and says so (`portfolio.optimal`).

`Project`, `ProjectSet`, `read_projects`, `Portfolio` and `select_portfolio` are importable
from here as well.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..assignment.params import AssignmentParams
from ..demand import Demand
from ..errors import CorridorError
from ..folders import Writable
from ..network.tables import Network
from ..output import Document, Output, Table
from ..vocabulary import PAIRS, YEARS
from .portfolio import Portfolio, affordable_sets, select_portfolio
from .project_values import ProjectValues
from .projects import Project, ProjectSet, YamlProblem, read_projects

__all__ = ["Appraisal", "Portfolio", "Project", "ProjectSet", "YamlProblem", "appraise", "read_projects",
           "select_portfolio"]

BASE_YEAR, HORIZON, DISCOUNT, GROWTH = 2026, 2040, 0.06, 0.04
DEFAULTS = {"base_year": BASE_YEAR, "horizon": HORIZON, "discount": DISCOUNT, "growth": GROWTH}

GROWTH_SOURCE = "trend_wb_freight_2030"


@dataclass(frozen=True)
class Appraisal(Writable):
    """Projects valued one by one, the chosen portfolio, and every assumption behind them."""

    projects: pd.DataFrame  # id, name, cost_usd, opening_year, pv_benefit_usd, npv_usd, bcr, ...
    portfolio: Portfolio
    assumptions: dict
    annual: pd.DataFrame  # per project and sample year: benefit and its parts (assigned flows)
    scenario: str | None = None
    policy: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        pf = self.portfolio
        chosen = self.projects[self.projects["id"].isin(pf.chosen)]
        return {"chosen": chosen.to_dict(orient="records"), "chosen_ids": list(pf.chosen),
                "total_cost_usd": pf.total_cost_usd, "npv_usd": pf.npv_usd, "bcr": pf.bcr,
                "pv_benefit_usd": pf.pv_benefit_usd, "budget_usd": pf.budget_usd,
                "portfolio": pf.to_dict(), "projects": self.projects.to_dict(orient="records"),
                "annual": self.annual.to_dict(orient="records"), "assumptions": self.assumptions,
                "scenario": self.scenario, "policy": self.policy, "notes": list(self.notes)}

    def to_frame(self) -> pd.DataFrame:
        """One row per project: cost, opening year, PV benefit, NPV, BCR, chosen (projects.csv)."""
        return self.projects.copy()

    def outputs(self, net: Network | None = None) -> list[Output]:
        """What `write` writes: the appraisal as JSON, the projects and their benefit per sample year."""
        return [Document("appraisal.json", self.to_dict), Table("projects", self.projects),
                Table("annual", self.annual)]


def appraise(
    net: Network,
    projects: ProjectSet | str | Path | None = None,
    *,
    budget: float = float("inf"),
    demand: Demand | None = None,
    scenario=None,
    avoid: Iterable[str] | str | None = None,
    avoid_modes: Iterable[str] | str | None = None,
    avoid_passages: Iterable[str] | str | None = None,
    horizon: int = HORIZON,
    discount: float = DISCOUNT,
    growth: float = GROWTH,
    base_year: int = BASE_YEAR,
    pairs: str = "auto",
    max_rounds: int = 8,
    exhaustive_max: int = 512,
    rgap: float = 1e-5,
    params: AssignmentParams | None = None,
    progress: Callable[[str], None] | None = None,
) -> Appraisal:
    """Value each project by re-assignment and choose the best portfolio within `budget` (USD).

    `scenario` (a bundled name or a path) is the world the projects are built into (its
    network changes on `net`, policies and demand); `avoid`, `avoid_modes` and `avoid_passages`
    add to its policies (the appraisal's world is a scenario: its year is the scenario's). Demand grows by
    `growth` a year from its table's year; benefits from each project's opening year to
    `horizon` are discounted at `discount` to `base_year`. `pairs`: which pair interactions
    are valued by re-assignment: `auto` (pairs that share a node or change the costs of the
    same OD flows), `all` or `none`. If at most `exhaustive_max` sets of projects fit the
    budget, every one is valued by re-assignment and the portfolio is the optimum whatever the
    interactions (`portfolio.optimal`); otherwise it is the programme's answer over single values
    and pair interactions, corrected for the sets it picks (optimal only if no interaction beyond
    pairs matters).
    """
    _check_settings(budget, horizon, discount, growth, base_year, pairs)
    ps = projects if isinstance(projects, ProjectSet) else read_projects(projects, network=net)
    if not len(ps):
        raise CorridorError("no projects to appraise")
    params = params or AssignmentParams.load()
    ev = ProjectValues(ps, net, scenario, (avoid, avoid_modes, avoid_passages), demand, params, growth, rgap,
                       progress)
    pv = _PresentValues(ev, ps, base_year, horizon, discount, progress)
    # the sets the portfolio will value, assigned up front (two processes where safe): each project
    # alone, and every affordable set when the search is exhaustive
    sets = affordable_sets({p.id: p.cost_usd for p in ps}, budget, limit=exhaustive_max) \
        if math.isfinite(budget) else None
    pv.assign_ahead([frozenset([i]) for i in ps.ids] + (sets or []))
    pv_single = {i: pv.value(frozenset([i])) for i in ps.ids}
    pf = select_portfolio({p.id: p.cost_usd for p in ps}, pv.value, budget,
                          pairs=_pairs_to_value(ev, ps, net, pairs, pv.samples[-1]), max_rounds=max_rounds,
                          exhaustive_max=exhaustive_max)
    table, annual = _project_tables(ev, ps, pv_single, pf, pv.samples)
    vot = {c: net.value_of_time(c) for c in ev.classes}
    assumptions = {
        "base_year": base_year, "horizon": horizon, "discount_rate": discount,
        "demand_growth": growth, "demand_growth_source": GROWTH_SOURCE, "demand_year": ev.demand_year,
        "demand_teu": float(ev.demand.table["teu_per_year"].sum()), "sample_years": pv.samples,
        "value_of_time_usd_per_teu_hour": vot, "method": "sue (path-size logit), log-sum benefits",
        "pairs": pairs, "pairs_valued": len(pf.interactions), "assignments": ev.assignments,
        "rgap": rgap, "portfolio": pf.guarantee, "exhaustive_max": exhaustive_max,
        "costs": "counted in full in the base year; no residual value after the horizon",
        "benefits": ("fall in expected perceived generalized cost (USD a year) of the assigned demand, "
                     "interpolated between the sample years, from each project's opening year"),
    }
    return Appraisal(projects=table, portfolio=pf, assumptions=assumptions, annual=annual,
                     scenario=getattr(ev.base, "name", None) if scenario is not None else None,
                     policy=ev.policy.to_dict(), notes=_notes(ev, ps, pf, base_year))


def _check_settings(budget: float, horizon: int, discount: float, growth: float, base_year: int,
                    pairs: str) -> None:
    if not (YEARS[0] <= base_year <= horizon <= YEARS[1]):
        raise CorridorError(f"need {YEARS[0]} <= base year ({base_year}) <= horizon ({horizon}) "
                            f"<= {YEARS[1]}")
    if not (0 <= discount < 1):
        raise CorridorError(f"the discount rate must be in [0, 1), got {discount}")
    if not (-0.5 < growth < 1):
        raise CorridorError(f"the demand growth must be in (-0.5, 1) a year, got {growth}")
    if pairs not in PAIRS:
        raise CorridorError(f"pairs must be auto, all or none, got '{str(pairs)[:20]}'")
    if not (isinstance(budget, int | float) and budget >= 0 and not math.isnan(budget)):
        raise CorridorError("the budget must be a number >= 0 (USD)")


class _PresentValues:
    """The present value of a set of projects' benefits: each project counts from its opening year,
    a fixed set's benefit is assigned at the sample years (the base year, the middle and the
    horizon) and interpolated between them, and discounted to the base year."""

    def __init__(self, ev: ProjectValues, ps: ProjectSet, base_year: int, horizon: int, discount: float,
                 progress: Callable[[str], None] | None) -> None:
        self.ev, self.progress = ev, progress
        self.samples = sorted({base_year, (base_year + horizon) // 2, horizon})
        self.years = np.arange(base_year, horizon + 1)
        self.disc = (1.0 + discount) ** -(self.years - base_year)
        self.opening = {p.id: p.opening_year for p in ps}
        self.curve: dict[frozenset, np.ndarray] = {}

    def annual(self, built: frozenset) -> np.ndarray:
        """Benefit in each year of the horizon of the fixed set `built` (interpolated)."""
        if built not in self.curve:
            if self.progress:
                self.progress(f"valuing {', '.join(sorted(built)) or 'no project'}")
            pts = [self.ev.benefit(built, y)["benefit_usd"] for y in self.samples]
            self.curve[built] = np.interp(self.years, self.samples, pts)
        return self.curve[built]

    def assign_ahead(self, sets: list[frozenset]) -> None:
        """Assign at once what valuing `sets` will ask (`ProjectValues.evaluate_all`): each set as
        built in each year, at every sample year."""
        built = dict.fromkeys(frozenset(i for i in s if self.opening[i] <= t)
                              for s in sets for t in self.years)
        if self.progress:
            self.progress(f"assigning {len(built)} sets of projects")
        self.ev.evaluate_all((b, y) for b in built if b for y in self.samples)

    def value(self, s: frozenset) -> float:
        total = 0.0
        for t_i, t in enumerate(self.years):
            built = frozenset(i for i in s if self.opening[i] <= t)
            if built:
                total += self.disc[t_i] * self.annual(built)[t_i]
        return float(total)


def _pairs_to_value(ev: ProjectValues, ps: ProjectSet, net: Network, pairs: str,
                    year: int) -> list[tuple[str, str]]:
    """Which pairs can interact: all, none, or (auto) those that share a node or whose projects both
    change the cost of some OD flow (by a cent per TEU) in `year`."""
    ids = ps.ids
    if pairs == "none":
        return []
    if pairs == "all":
        return list(itertools.combinations(ids, 2))
    touched = {}
    for p in ps:
        b = ev.evaluate(frozenset([p.id]), year)["table"]
        base = ev.evaluate(frozenset(), year)["table"]
        both = base.index.intersection(b.index)
        d = (base.loc[both, "usd"] - b.loc[both, "usd"]).abs()
        touched[p.id] = set(d.index[d > 0.01])  # a cent per TEU
    return [(a, b) for a, b in itertools.combinations(ids, 2)
            if ps.get(a).footprint(net) & ps.get(b).footprint(net) or touched[a] & touched[b]]


def _project_tables(ev: ProjectValues, ps: ProjectSet, pv: dict[str, float], pf: Portfolio,
                    samples: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per project (best NPV first), and its benefit and parts at each sample year."""
    rows, ann = [], []
    for p in ps:
        b = pv[p.id]
        parts = ev.benefit(frozenset([p.id]), samples[-1])
        rows.append({"id": p.id, "name": p.name, "cost_usd": p.cost_usd, "opening_year": p.opening_year,
                     "pv_benefit_usd": b, "npv_usd": b - p.cost_usd, "bcr": b / p.cost_usd,
                     f"benefit_{samples[-1]}_usd": parts["benefit_usd"],
                     "chosen": p.id in pf.chosen, "changes": "; ".join(p.describe())})
        for y in samples:
            bb = ev.benefit(frozenset([p.id]), y)
            ann.append({"id": p.id, "year": y, **bb})
    table = pd.DataFrame(rows).sort_values("npv_usd", ascending=False, kind="stable").reset_index(drop=True)
    return table, pd.DataFrame(ann)


def _notes(ev: ProjectValues, ps: ProjectSet, pf: Portfolio, base_year: int) -> list[str]:
    notes = []
    for p in ps:
        same = ev.unchanged(p)
        if same and len(same) == len(p.nodes) + len(p.links):
            notes.append(f"project '{p.id}' changes nothing in this world: it restates "
                         f"{'; '.join(same)}; it is worth nothing")
        elif same:
            notes.append(f"project '{p.id}': its change to {'; '.join(same)} restates the world as it is "
                         "(no change)")
    if any(p.opening_year < base_year for p in ps):
        notes.append("projects opening before the base year count from the base year")
    if not pf.exact:
        notes.append("the chosen set's value comes from the pairwise model")
    if not pf.optimal:
        notes.append(f"portfolio {pf.guarantee} (raise --exhaustive-max / exhaustive_max to value every "
                     "affordable set)")
    return notes
