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

Capacity binds. Where the routes' shares would put more through a queue than it serves in a
year, the scarce slots get a price (USD per unit the queue counts: a TEU, a 10-t TEU-equivalent,
a ferry's wagon) that every class pays, found by dual ascent beside the averaging: the price of
an over-full queue rises with its excess, that of a queue with room falls back towards nought.
This is the side-constrained equilibrium of Larsson & Patriksson (1995, Transportation Science
29(1)) with the multipliers in money rather than in hours: the market rations a full line by
price (China-Europe rail rates doubled in 2021), so a low-value class cannot crowd out a
time-critical one by waiting longer. The physical waits stay the queues' curves at the loads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..costs import EdgeCosts, delay_hours, queue_volumes
from ..network.tables import Network
from .choice_sets import ChoiceSet, path_sizes


@dataclass(frozen=True)
class LogitSolution:
    flow: np.ndarray  # (classes, edges) TEU a year
    paths: pd.DataFrame  # one row per (class, route) with its load, days and costs
    gap: float
    iterations: int
    history: list
    slot_price: np.ndarray  # per queue: USD per unit it counts that rations it to its capacity (0: room)


PRICE_STEP = 0.5  # of the mean route cost through the queue, per unit of relative excess, per iteration
CAPACITY_TOL = 0.01  # a queue binds when its load is within 1% of what it serves


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

    capacity = model.curves.served(month) if model.n_queues else np.zeros(0)
    price = np.zeros(model.n_queues)

    def slot_usd(prices: np.ndarray) -> np.ndarray:
        """(classes, edges): USD per TEU each class pays for the slots of each edge at `prices`."""
        n = net.graph.n_edges
        if not prices.any():
            return np.zeros((len(classes), n))
        return np.stack([np.bincount(model.member_edge, weights=weight[k] * prices[model.member_queue],
                                     minlength=n) for k in range(len(classes))])

    def route_costs(class_flow: np.ndarray, prices: np.ndarray | None = None) -> np.ndarray:
        """Generalized USD per TEU of each (class, route) instance at edge flows per class."""
        wait = delay_hours(model, class_flow, weight, month)
        slots = slot_usd(price if prices is None else prices)
        by_class = np.stack([inc @ (model.generalized(v, wait[k]) + slots[k])  # classes x routes
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

    free = route_costs(np.zeros((len(classes), net.graph.n_edges)), np.zeros(model.n_queues))
    scale = np.minimum.reduceat(free, first)[choice]  # each choice's cheapest free-flow route
    scale = np.where(scale > 0, scale, 1.0)
    f = logit(free, scale) * qd[choice]
    history: list[tuple[int, float, float]] = []
    gap, it = np.inf, 0
    eta, last = 1.0, np.inf  # self-regulated averaging (Liu, Ban & Mirchandani 2009)
    congested = model.n_queues > 0
    finite = capacity > 0
    while True:
        it += 1
        class_flow = load(f)
        over = 0.0
        if congested:
            vol = queue_volumes(model, class_flow, weight)
            x = np.where(finite, vol / np.where(finite, capacity, 1.0), 0.0)
            over = float(np.max(np.where(price > 0, np.abs(x - 1.0), np.maximum(x - 1.0, 0.0)), initial=0.0))
            price = _price_step(price, x, finite, model, class_flow, weight, vots, it)
        cost = route_costs(class_flow)
        target = logit(cost, scale) * qd[choice]
        gap = float(np.abs(target - f).sum() / max(f.sum(), 1e-12))
        history.append((it, gap, float(cost @ f)))
        if progress is not None:
            progress("iterate", it, max_iter, gap)
        if (gap <= rgap and over <= CAPACITY_TOL) or it >= max_iter or not congested:
            if not congested:
                gap = 0.0
            break
        # the step shrinks fast (Γ = 1.5) when the gap grew, slowly (γ = 0.2) when it fell
        eta += 1.5 if gap >= last else 0.2
        last = gap
        f = f + (target - f) / max(eta, 1.0)
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
        "slot_usd": np.stack([inc @ sl for sl in slot_usd(price)])[cls, route_of],
        "co2_kg_per_teu": (inc @ net.graph.co2)[route_of],
    })
    return LogitSolution(flow, paths, gap, it, history, price)


def _price_step(price: np.ndarray, x: np.ndarray, finite: np.ndarray, model: EdgeCosts,
                class_flow: np.ndarray, weight: np.ndarray, vots: np.ndarray, it: int) -> np.ndarray:
    """One dual-ascent step of the slot prices: up where a queue's load `x` (load / capacity) is over
    one, down towards nought where it is under, by PRICE_STEP × the relative gap × a typical cost of
    the edges it serves (so a Caspian wagon's slot and a rail link's move alike), shrinking as the
    iterations go (1/√it)."""
    if not (finite & ((x > 1.0) | (price > 0))).any():
        return price
    typical = _typical_cost(model, class_flow, vots)
    step = PRICE_STEP * typical / np.sqrt(it)
    new = price + step * (x - 1.0)
    return np.where(finite, np.maximum(new, 0.0), 0.0)


def _typical_cost(model: EdgeCosts, class_flow: np.ndarray, vots: np.ndarray) -> float:
    """A scale for the prices: the flow-weighted generalized USD per TEU of an edge, times 20 (a
    route's length in edges, roughly): what the price of a full queue must be able to reach."""
    total = class_flow.sum()
    if total <= 0:
        return 1000.0
    per_edge = sum(class_flow[k] @ model.generalized(v) for k, v in enumerate(vots)) / total
    return float(max(per_edge * 20.0, 100.0))
