"""Stochastic assignment: a path-size logit over a generated route set per OD pair.

Shippers of one OD do not all take its cheapest route: each route's share is
PS · exp(−μ c / c_min) over the OD's routes, with c the generalized cost at the current
loads, c_min the OD's cheapest free-flow route (so one μ means the same for a short and a
long trip) and PS the path size (Ben-Akiva & Bierlaire): each edge's free-flow hours counted
once over the routes that share it, so near-identical variants do not multiply a corridor's
share. The route set is the best route of every corridor family under time, cost and each
commodity's generalized cost. Loads feed back through the queues (`queues.py`) and the
method of successive averages, with self-regulated step sizes (Liu, Ban & Mirchandani 2009,
Transportation Research B 43(2)), finds the fixed point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..costs import EdgeCosts, delay_hours
from ..network.tables import Network
from .choice_sets import ChoiceSet, path_sizes


@dataclass(frozen=True)
class LogitSolution:
    flow: np.ndarray  # (classes, edges) TEU a year
    paths: pd.DataFrame  # one row per (class, route) with its load, days and costs
    gap: float
    iterations: int
    history: list


def solve(net: Network, rs: ChoiceSet, classes: list[str], vots: np.ndarray, ods: np.ndarray,
          model: EdgeCosts, weight: np.ndarray, mu: np.ndarray, *, month: int | None,
          rgap: float, max_iter: int, progress=None) -> LogitSolution:
    """Path-size logit SUE by self-regulated successive averages over the fixed route set `rs`.

    Every OD pair with demand in `ods` (classes x nodes x nodes, TEU a year) must have routes.
    """
    inc = rs.incidence
    n_routes = inc.shape[0]
    od_key = rs.od[:, 0] * len(net.nodes) + rs.od[:, 1]
    # one "choice" per (commodity, OD): the routes of that OD, with that class's demand
    inst_route, inst_class, inst_choice, q_choice = [], [], [], []
    order = np.argsort(od_key, kind="stable")
    uniq, start = np.unique(od_key[order], return_index=True)
    bounds = np.append(start, len(order))
    for k in range(len(classes)):
        for j, u in enumerate(uniq):
            o, d = divmod(int(u), len(net.nodes))
            q = ods[k, o, d]
            if q <= 0:
                continue
            members = order[bounds[j]: bounds[j + 1]]
            inst_route.append(members)
            inst_class.append(np.full(len(members), k))
            inst_choice.append(np.full(len(members), len(q_choice)))
            q_choice.append(q)
    route_of = np.concatenate(inst_route)
    cls = np.concatenate(inst_class)
    choice = np.concatenate(inst_choice)  # sorted, contiguous
    qd = np.array(q_choice)
    first = np.flatnonzero(np.r_[True, choice[1:] != choice[:-1]])
    ps = path_sizes(rs, model.hours, len(net.nodes))
    log_ps = np.log(np.clip(ps, 1e-12, None))

    def route_costs(class_flow: np.ndarray) -> np.ndarray:
        """Generalized USD per TEU of each (class, route) instance at edge flows per class."""
        wait = delay_hours(model, class_flow, weight, month)
        by_class = np.stack([inc @ model.generalized(v, wait[k])  # classes x routes
                             for k, v in enumerate(vots)])
        return by_class[cls, route_of]

    def logit(cost: np.ndarray, scale: np.ndarray) -> np.ndarray:
        u = -mu[cls] * cost / scale + log_ps[route_of]
        u -= np.maximum.reduceat(u, first)[choice]
        w = np.exp(u)
        return w / np.add.reduceat(w, first)[choice]

    def load(f: np.ndarray) -> np.ndarray:
        """Edge flows per class."""
        out = np.zeros((len(classes), net.graph.n_edges))
        for k in range(len(classes)):
            m = cls == k
            out[k] = inc.T @ np.bincount(route_of[m], weights=f[m], minlength=n_routes)
        return out

    free = route_costs(np.zeros((len(classes), net.graph.n_edges)))
    scale = np.minimum.reduceat(free, first)[choice]  # each choice's cheapest free-flow route
    scale = np.where(scale > 0, scale, 1.0)
    f = logit(free, scale) * qd[choice]
    history: list[tuple[int, float, float]] = []
    gap, it = np.inf, 0
    eta, last = 1.0, np.inf  # self-regulated averaging (Liu, Ban & Mirchandani 2009)
    congested = model.n_queues > 0
    while True:
        it += 1
        cost = route_costs(load(f))
        target = logit(cost, scale) * qd[choice]
        gap = float(np.abs(target - f).sum() / max(f.sum(), 1e-12))
        history.append((it, gap, float(cost @ f)))
        if progress is not None:
            progress("iterate", it, max_iter, gap)
        if gap <= rgap or it >= max_iter or not congested:
            if not congested:
                gap = 0.0
            break
        # the step shrinks fast (Γ = 1.5) when the gap grew, slowly (γ = 0.2) when it fell
        eta += 1.5 if gap >= last else 0.2
        last = gap
        f = f + (target - f) / eta
    flow = load(f)
    t = model.hours[None, :] + delay_hours(model, flow, weight, month)
    route_days = np.stack([inc @ t[k] for k in range(len(classes))])[cls, route_of] / 24.0
    ids = net.nodes["node_id"].to_numpy()
    paths = pd.DataFrame({
        "route": route_of,  # row of the route set
        "origin": ids[rs.od[route_of, 0]], "destination": ids[rs.od[route_of, 1]],
        "commodity": np.array(classes)[cls], "corridor": rs.corridor[route_of],
        "via": np.array(rs.via, dtype=object)[route_of],
        "sanctioned": (np.array(rs.sanctioned, dtype=object)[route_of] if rs.sanctioned
                       else np.full(len(route_of), "", dtype=object)),
        "teu": f,
        "probability": f / qd[choice], "days": route_days,
        "free_flow_days": (inc @ model.hours)[route_of] / 24.0,
        "usd_per_teu": (inc @ net.graph.usd)[route_of], "generalized_usd": cost,
        "free_flow_generalized_usd": free,
        "co2_kg_per_teu": (inc @ net.graph.co2)[route_of],
    })
    return LogitSolution(flow, paths, gap, it, history)
