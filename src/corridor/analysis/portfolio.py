"""The best portfolio of projects under a budget: a mixed-integer programme over exact values.

Generic: it knows projects only by id, cost and a function that values a set of them (the
appraisal passes one that re-assigns the demand). A mixed-integer programme
(`scipy.optimize.milp`, HiGHS) maximises NPV under the budget: each project's value alone,
plus a pairwise interaction term (value of the pair less the two alone) for the pairs given.
The chosen set is valued as a whole; if its true value differs from the programme's, that
set's exact value enters the programme (a term active only for exactly that set) and it is
solved again, until the chosen set is one whose value is exact.

That loop alone is a heuristic once projects interact beyond pairs: a set it never picks is
never valued, and a three-way complementarity can hide the optimum (costs 3, 2, 4; values
alone 6, 0, 1; pairs +4, +1, +1; all three +3; budget 9: the loop stops at the first two,
NPV 5, while all three give 7), and adding a project can then lower the answer. So when the
affordable sets are few (`exhaustive_max`, default 4096: every set of 12 projects), every
one of them is valued exactly and the best is returned: the optimum, whatever the
interactions (`optimal=True`). Beyond that the programme's answer is returned with
`optimal=False`: the best of the sets valued, the optimum only if no interaction beyond
pairs changes the ranking.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from ..errors import CorridorError

__all__ = ["Portfolio", "affordable_sets", "select_portfolio"]


@dataclass(frozen=True)
class Portfolio:
    """The chosen set and how it was found."""

    chosen: tuple[str, ...]
    budget_usd: float
    total_cost_usd: float
    pv_benefit_usd: float
    npv_usd: float
    bcr: float
    rounds: int  # MILP solves
    evaluated: int  # sets valued by re-assignment (singles, pairs, corrections)
    interactions: dict[tuple[str, str], float] = field(default_factory=dict)  # PV USD, pair - parts
    corrections: dict[tuple[str, ...], float] = field(default_factory=dict)  # exact - pairwise model
    exact: bool = True  # the chosen set's value is its re-assigned value, not a model's
    optimal: bool = False  # proven: every affordable set was valued exactly
    affordable_sets: int | None = None  # sets within the budget (None: more than exhaustive_max)
    guarantee: str = ""  # what is guaranteed, in words

    def to_dict(self) -> dict:
        return {"chosen": list(self.chosen), "budget_usd": self.budget_usd,
                "total_cost_usd": self.total_cost_usd, "pv_benefit_usd": self.pv_benefit_usd,
                "npv_usd": self.npv_usd, "bcr": self.bcr, "optimal": self.optimal,
                "affordable_sets": self.affordable_sets, "guarantee": self.guarantee,
                "rounds": self.rounds, "evaluated": self.evaluated,
                "interactions": [{"a": a, "b": b, "pv_usd": v} for (a, b), v in self.interactions.items()],
                "corrections": [{"set": list(k), "pv_usd": v} for k, v in self.corrections.items()]}


def select_portfolio(costs: dict[str, float], value: Callable[[frozenset[str]], float], budget: float, *,
                     pairs: Iterable[tuple[str, str]] | None = None, max_rounds: int = 8,
                     tol: float = 1e-6, exhaustive_max: int = 4096) -> Portfolio:
    """The set of projects with the largest NPV (value - cost) whose cost fits the budget.

    `value(S)` is the present value of the benefits of the set S (exact, e.g. by re-assignment);
    it is called for every single project, for the `pairs` given (default: all pairs) and for
    the sets the programme picks. A mixed-integer programme over singles and pair interactions
    is solved, the chosen set valued exactly, its error added as a term for exactly that set,
    and solved again until the chosen set is exactly valued (or `max_rounds`). Then, if at most
    `exhaustive_max` sets fit the budget, every one of them is valued and the best returned
    (`optimal=True`, whatever the interactions); otherwise the best exactly valued set is
    returned (`optimal=False`: optimal only if no interaction beyond pairs matters).
    """
    if not (math.isfinite(budget) and budget >= 0):
        raise CorridorError("the budget must be a number >= 0 (USD)")
    ids = list(costs)
    cost = np.array([float(costs[i]) for i in ids])
    if np.any(~np.isfinite(cost)) or np.any(cost <= 0):
        raise CorridorError("every project cost must be a number > 0")
    exact: dict[frozenset, float] = {frozenset(): 0.0}

    def val(s: frozenset) -> float:
        if s not in exact:
            exact[s] = float(value(s))
        return exact[s]

    single = {i: val(frozenset([i])) for i in ids}
    pair_list = list(itertools.combinations(ids, 2)) if pairs is None else \
        [tuple(p) for p in pairs if p[0] != p[1] and p[0] in costs and p[1] in costs]
    pair_list = list(dict.fromkeys(tuple(sorted(p, key=ids.index)) for p in pair_list))
    inter = {}
    for a, b in pair_list:
        if cost[ids.index(a)] + cost[ids.index(b)] > budget * (1 + 1e-12):
            continue  # never affordable together
        inter[(a, b)] = val(frozenset((a, b))) - single[a] - single[b]
    corrections: dict[frozenset, float] = {}
    rounds = _programme(ids, cost, single, inter, corrections, budget, val, exact, max_rounds, tol)
    sets = affordable_sets(dict(zip(ids, cost, strict=True)), budget, limit=exhaustive_max)
    if sets is not None:  # few enough: value every affordable set, so the best is the optimum
        for s in sorted(sets, key=lambda s: (len(s), sorted(ids.index(i) for i in s))):
            val(s)
    affordable = {s: v for s, v in exact.items()
                  if sum(cost[ids.index(i)] for i in s) <= budget * (1 + 1e-12)}
    best = max(affordable, key=lambda s: (affordable[s] - sum(cost[ids.index(i)] for i in s), -len(s)))
    total = float(sum(cost[ids.index(i)] for i in best))
    pv = affordable[best]
    return Portfolio(chosen=tuple(i for i in ids if i in best), budget_usd=float(budget),
                     total_cost_usd=total,
                     pv_benefit_usd=pv, npv_usd=pv - total, bcr=pv / total if total > 0 else float("nan"),
                     rounds=rounds, evaluated=len(exact) - 1, interactions=dict(inter),
                     corrections={tuple(i for i in ids if i in k): v for k, v in corrections.items()},
                     exact=True, optimal=sets is not None,
                     affordable_sets=len(sets) if sets is not None else None,
                     guarantee=_guarantee(sets, exhaustive_max, len(affordable) - 1))


def _programme(ids: list[str], cost: np.ndarray, single: dict[str, float], inter: dict, corrections: dict,
               budget: float, val: Callable[[frozenset], float], exact: dict[frozenset, float],
               max_rounds: int, tol: float) -> int:
    """The programme over singles and pairs solved, its chosen set valued exactly and its error added
    for exactly that set (`corrections`, in place), until the chosen set is exactly valued or
    `max_rounds`; the number of solves."""

    def model_value(s: frozenset) -> float:
        v = sum(single[i] for i in s) + sum(w for (a, b), w in inter.items() if a in s and b in s)
        return v + sum(d for k, d in corrections.items() if k == s)

    unit = max(1.0, float(np.max(np.abs([*single.values(), *inter.values(), *cost]))))  # HiGHS well scaled
    rounds = 0
    while rounds < max_rounds:
        rounds += 1
        chosen = _solve_milp(ids, cost / unit, {i: v / unit for i, v in single.items()},
                             {k: v / unit for k, v in inter.items()},
                             {k: v / unit for k, v in corrections.items()}, budget / unit)
        if chosen in exact and abs(model_value(chosen) - exact[chosen]) <= tol * max(1.0, abs(exact[chosen])):
            break
        truth, model = val(chosen), model_value(chosen)
        if abs(truth - model) > tol * max(1.0, abs(truth)):
            corrections[chosen] = corrections.get(chosen, 0.0) + truth - model
    return rounds


def _guarantee(sets: list[frozenset] | None, exhaustive_max: int, valued: int) -> str:
    if sets is not None:
        return (f"optimal: all {len(sets)} sets of projects within the budget were valued as a whole "
                "(interactions of any order included)")
    why = (f"more than {exhaustive_max} sets fit the budget" if exhaustive_max > 0
           else "the check of every affordable set is off")
    return (f"not proven optimal: {why}; the best of the {valued} affordable sets "
            "valued as a whole, picked by a programme over single values and pair interactions; "
            "the optimum only if no interaction beyond pairs changes the ranking")


def affordable_sets(costs: dict[str, float], budget: float,
                    limit: int | None = None) -> list[frozenset] | None:
    """Every set of projects (the empty one included) whose cost fits `budget`; None if there
    are more than `limit`."""
    items = sorted(costs.items(), key=lambda kv: kv[1])
    cap = budget * (1 + 1e-12)
    out: list[frozenset] = []

    def walk(k: int, chosen: tuple, spent: float) -> bool:
        out.append(frozenset(chosen))
        if limit is not None and len(out) > limit:
            return False
        for j in range(k, len(items)):
            if spent + items[j][1] > cap:
                break  # sorted by cost: nothing further fits either
            if not walk(j + 1, (*chosen, items[j][0]), spent + items[j][1]):
                return False
        return True

    return out if walk(0, (), 0.0) else None


def _solve_milp(ids, cost, single, inter, corrections, budget) -> frozenset:
    from scipy.optimize import Bounds, LinearConstraint, milp  # imported when needed (slow to import)

    n = len(ids)
    pos = {i: k for k, i in enumerate(ids)}
    pk = list(inter)
    ck = list(corrections)
    nv = n + len(pk) + len(ck)
    c = np.zeros(nv)
    c[:n] = -(np.array([single[i] for i in ids]) - cost)
    c[n:n + len(pk)] = -np.array([inter[k] for k in pk]) if pk else []
    c[n + len(pk):] = -np.array([corrections[k] for k in ck]) if ck else []
    rows, lb, ub = [], [], []

    def add(coefs: dict[int, float], lo, hi):
        r = np.zeros(nv)
        for j, v in coefs.items():
            r[j] += v
        rows.append(r)
        lb.append(lo)
        ub.append(hi)

    add({k: cost[k] for k in range(n)}, -np.inf, budget * (1 + 1e-12))
    for j, (a, b) in enumerate(pk):  # y = x_a x_b
        y = n + j
        add({y: 1, pos[a]: -1}, -np.inf, 0)
        add({y: 1, pos[b]: -1}, -np.inf, 0)
        add({y: 1, pos[a]: -1, pos[b]: -1}, -1, np.inf)
    for j, s in enumerate(ck):  # z = 1 exactly when x is the set s
        z = n + len(pk) + j
        inside = [pos[i] for i in s]
        outside = [k for k in range(n) if ids[k] not in s]
        for k in inside:
            add({z: 1, k: -1}, -np.inf, 0)
        for k in outside:
            add({z: 1, k: 1}, -np.inf, 1)
        add({z: 1, **{k: -1 for k in inside}, **{k: 1 for k in outside}}, 1 - len(inside), np.inf)
    integrality = np.r_[np.ones(n), np.zeros(nv - n)]
    res = milp(c, constraints=LinearConstraint(np.array(rows), lb, ub), integrality=integrality,
               bounds=Bounds(0, 1), options={"mip_rel_gap": 1e-9})
    if res.x is None:
        raise CorridorError(f"the portfolio programme failed: {res.message}")
    return frozenset(ids[k] for k in range(n) if res.x[k] > 0.5)
