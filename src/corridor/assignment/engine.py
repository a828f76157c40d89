"""Static user-equilibrium assignment: bi-conjugate Frank-Wolfe on CSR arrays.

Links carry BPR delays t = t0 (1 + b (v/c)^p). The solver minimises Beckmann's
objective with the bi-conjugate Frank-Wolfe method of Mitradjieva & Lindberg
(2013, Transportation Science 47(2)): each search direction is made conjugate to
the two before it under the Hessian diag(t'(v)), which removes the zig-zag that
stalls plain Frank-Wolfe near equilibrium. The step is an exact line search on the
objective's derivative.

All-or-nothing loading grows one compiled shortest-path tree per origin and loads it as it
goes (`shortest_paths`), on both cores, with memory linear in links. `algorithm="gp"` solves a
single class with the links' own BPR terms by path-based gradient projection (`gradient`), which
reaches tight gaps in a fraction of the iterations.

Nodes listed in `no_through` (TNTP zones below the first through node) may start
or end a path but never be passed through: each such node is split into a source
copy that owns its outgoing links and the original node that keeps only its
incoming ones, so a path that enters it cannot leave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..errors import CorridorError

ALGORITHMS = ("bfw", "cfw", "fw", "gp")  # (bi-)conjugate and plain Frank-Wolfe; gradient projection

_MAX_CONJUGATE = 0.99999  # AequilibraE's cap: a conjugate weight of 1 would freeze the direction


@dataclass(frozen=True)
class AssignmentResult:
    """Equilibrium link flows and how well converged they are; arrays follow the input link order."""

    flow: np.ndarray
    cost: np.ndarray  # fixed cost + BPR time at `flow`
    rgap: float  # (TSTT - SPTT) / TSTT at `flow`
    iterations: int  # all-or-nothing loads, the first included
    converged: bool
    objective: float  # Beckmann objective at `flow`
    tstt: float
    sptt: float
    history: list[tuple[int, float, float]] = field(default_factory=list)  # (iteration, rgap, objective)
    class_flow: np.ndarray | None = None  # (classes, links) when demand came per class


def bpr_cost(v: np.ndarray, t0: np.ndarray, cap: np.ndarray, b: np.ndarray,
             p: np.ndarray) -> np.ndarray:
    """BPR link time t0 (1 + b (v/c)^p)."""
    return t0 * (1.0 + b * _ratio_pow(v, cap, p))


def bpr_derivative(v: np.ndarray, t0: np.ndarray, cap: np.ndarray, b: np.ndarray,
                   p: np.ndarray) -> np.ndarray:
    """dt/dv: the Hessian diagonal of Beckmann's objective, used to make directions conjugate."""
    safe = np.where(cap > 0, cap, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.maximum(v, 0.0) / safe
        d = t0 * b * p * np.where(p > 1, np.power(r, np.maximum(p - 1.0, 0.0)), 1.0) / safe
    return np.where((b > 0) & (p > 0), d, 0.0)


def bpr_integral(v: np.ndarray, t0: np.ndarray, cap: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Integral of the BPR cost from 0 to v: the link's term in Beckmann's objective."""
    safe = np.where(cap > 0, cap, 1.0)
    return t0 * (v + b * safe / (p + 1.0) * _ratio_pow(v, cap, p + 1.0))


def _ratio_pow(v: np.ndarray, cap: np.ndarray, p: np.ndarray) -> np.ndarray:
    safe = np.where(cap > 0, cap, 1.0)
    return np.where(cap > 0, np.power(np.maximum(v, 0.0) / safe, p), 0.0)


@dataclass(frozen=True)
class _Graph:
    """The split graph as CSR arrays; `edge_links` lists the input links of each CSR edge."""

    indptr: np.ndarray  # int64 CSR rows
    indices: np.ndarray  # int64 head of each CSR edge
    tails: np.ndarray  # int64 tail of each CSR edge
    keys: np.ndarray  # tail * n + head of each CSR edge, sorted
    link_edge: np.ndarray  # CSR edge of each input link
    group_start: np.ndarray  # CSR edges whose links are parallel: sorted link positions per edge
    order: np.ndarray  # input links sorted by CSR edge
    parallel: bool
    origins: np.ndarray  # graph node each zone departs from (its source copy when split)
    sinks: np.ndarray  # graph node each zone arrives at
    n: int


def _build_graph(init: np.ndarray, term: np.ndarray, n_nodes: int, zone_nodes: np.ndarray,
                 no_through: np.ndarray) -> _Graph:
    blocked = np.zeros(n_nodes, dtype=bool)
    blocked[no_through] = True
    copy_of = np.full(n_nodes, -1, dtype=np.int64)
    copy_of[blocked] = n_nodes + np.arange(blocked.sum())
    n = n_nodes + int(blocked.sum())
    tail = np.where(blocked[init], copy_of[init], init)  # links leave a blocked node from its source copy
    key = tail * n + term
    order = np.argsort(key, kind="stable")
    ukey, first, edge_of_sorted = np.unique(key[order], return_index=True, return_inverse=True)
    link_edge = np.empty(len(init), dtype=np.int64)
    link_edge[order] = edge_of_sorted
    rows = ukey // n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    origins = np.where(blocked[zone_nodes], copy_of[zone_nodes], zone_nodes)
    return _Graph(indptr, (ukey % n).astype(np.int64), rows.astype(np.int64), ukey, link_edge, first, order,
                  len(ukey) < len(init), origins.astype(np.int64), zone_nodes.astype(np.int64), n)


def _edge_costs(g: _Graph, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cost of each CSR edge and the input link it stands for (the cheapest of parallel links)."""
    if not g.parallel:
        edge_cost = np.empty_like(cost)
        edge_cost[g.link_edge] = cost
        edge_link = np.empty(len(cost), dtype=np.int64)
        edge_link[g.link_edge] = np.arange(len(cost))
        return edge_cost, edge_link
    c = cost[g.order]
    edge_cost = np.minimum.reduceat(c, g.group_start)
    edge = g.link_edge[g.order]
    is_min = c == edge_cost[edge]
    edge_link = np.empty(len(edge_cost), dtype=np.int64)
    edge_link[edge[is_min][::-1]] = g.order[is_min][::-1]  # first cheapest link wins
    return edge_cost, edge_link


def all_or_nothing(g: _Graph, cost: np.ndarray, demand: np.ndarray,
                   active: np.ndarray) -> tuple[np.ndarray, float]:
    """Link flows when every OD pair takes its shortest path at `cost`, and the total shortest-path time.

    `active` are the zone indices with outgoing demand (the tree roots). One compiled tree per
    origin, loaded as it is grown (`shortest_paths`): memory stays linear in links.
    """
    from .shortest_paths import all_or_nothing_flows

    edge_cost, edge_link = _edge_costs(g, cost)
    rows = np.ascontiguousarray(demand[active], dtype=np.float64)
    edge_flow, sptt, lost, (r, z) = all_or_nothing_flows(g.indptr, g.indices, g.tails, edge_cost,
                                                         g.origins[active], rows, g.sinks)
    if lost:
        raise CorridorError(f"no path for {lost} OD pair(s) with demand (zone indices {active[r]}->{z}, "
                            "first of them)")
    flow = np.zeros(len(cost))
    flow[edge_link] = edge_flow
    return flow, sptt


class WaitCurves(Protocol):
    """Increasing wait curves of a set of queues as functions of their volumes (e.g.
    `queueing.QueueCurves.bound(month)`): the wait, its slope and its integral."""

    @property
    def j(self) -> np.ndarray: ...

    def wait(self, volume: np.ndarray) -> np.ndarray: ...

    def slope(self, volume: np.ndarray) -> np.ndarray: ...

    def area(self, volume: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Queues:
    """Queues that links join beside (or instead of) their own BPR term.

    Queue q delays each member link by weight × scale_q (V_q / capacity_q)^power_q, V_q being
    the weighted flow of all its members; or, with `curves`, by weight × curves.wait(V)[q] (any
    increasing wait curve that also gives its `slope` and `area`, e.g. `queueing.QueueCurves`
    for one month). A link may belong to several queues (a ferry bounded both in boxes and in
    tonnes); a queue may span several links (a port's quay).
    """

    edge: np.ndarray  # member link of each membership
    queue: np.ndarray  # its queue, 0..n_queues-1
    scale: np.ndarray  # per queue (power form)
    capacity: np.ndarray  # per queue (power form)
    power: np.ndarray  # per queue (power form)
    weight: np.ndarray | None = None  # (classes, memberships): what a unit of each class counts; default 1
    curves: WaitCurves | None = None  # instead of the power form: wait(v), slope(v), area(v) per queue


@dataclass(frozen=True)
class _Delay:
    """Congestion delay of queues: a (V/c)^p per queue, V the weighted flow of its member links, for
    the links' own BPR terms and power-form queues; queues past `n_power` wait by `curves`.

    A link alone in its queue is BPR's t0 b (v/c)^p. Each class feels `weight` times the delay
    of each queue it adds `weight` to, so the cost stays the gradient of one convex potential
    and Beckmann's objective still holds.
    """

    edge: np.ndarray  # membership -> link
    queue: np.ndarray  # membership -> queue
    weight: np.ndarray  # (classes, memberships)
    a: np.ndarray  # per power-form queue
    cap: np.ndarray
    p: np.ndarray
    n_links: int
    curves: WaitCurves | None = None  # the queues after the power-form ones

    @property
    def n_power(self) -> int:
        return len(self.a)

    def volume(self, x: np.ndarray) -> np.ndarray:
        """Queue volumes of class flows x (classes x links)."""
        n = self.n_power + (0 if self.curves is None else len(self.curves.j))
        return np.bincount(self.queue, weights=(self.weight * x[:, self.edge]).sum(0), minlength=n)

    def _split(self, v: np.ndarray, power, curve) -> np.ndarray:
        out = power(v[: self.n_power])
        return out if self.curves is None else np.concatenate([out, curve(v[self.n_power:])])

    def time(self, v: np.ndarray) -> np.ndarray:
        return self._split(v, lambda u: self.a * _ratio_pow(u, self.cap, self.p), self.curves.wait
                           if self.curves is not None else None)

    def link_delay(self, v: np.ndarray) -> np.ndarray:
        """(classes, links): the delay each class feels on each link at queue volumes v."""
        t = self.time(v)[self.queue]
        return np.stack([np.bincount(self.edge, weights=w * t, minlength=self.n_links) for w in self.weight])

    def integral(self, v: np.ndarray) -> np.ndarray:
        def power(u):
            safe = np.where(self.cap > 0, self.cap, 1.0)
            return self.a * safe / (self.p + 1.0) * _ratio_pow(u, self.cap, self.p + 1.0)

        return self._split(v, power, self.curves.area if self.curves is not None else None)

    def derivative(self, v: np.ndarray) -> np.ndarray:
        return self._split(v, lambda u: bpr_derivative(u, self.a, self.cap, np.ones_like(self.a), self.p),
                           self.curves.slope if self.curves is not None else None)


def _delay_queues(t0, cap, b, p, groups, weight, extra: Queues | None) -> _Delay:
    """The links' own BPR terms as queues (shared by `groups`), plus any `extra` queues."""
    n_cls, n_links = weight.shape
    active = (b > 0) & (p > 0) & (t0 > 0)
    if groups is None:
        groups = np.arange(len(t0))
    groups = np.asarray(groups, dtype=np.int64)
    if groups.shape != t0.shape or (groups.size and groups.min() < 0):
        raise ValueError("groups must hold one non-negative group id per link")
    _, g = np.unique(groups, return_inverse=True)
    n = int(g.max(initial=-1)) + 1
    a, gcap, gp = np.zeros(n), np.ones(n), np.ones(n)
    a[g[active]] = (t0 * b)[active]
    gcap[g[active]] = cap[active]
    gp[g[active]] = p[active]
    # every congesting member of a group must describe the same queue
    for name, mine, per_group in (("t0 * b", (t0 * b), a), ("capacity", cap, gcap), ("power", p, gp)):
        if np.any(active & ~np.isclose(mine, per_group[g], rtol=1e-9, atol=0.0)):
            raise ValueError(f"links in one capacity group must share {name}")
    if np.any(~active & (a[g] > 0)):
        raise ValueError("a capacity group mixes congesting and free-flowing links")
    member = np.flatnonzero(active)
    edge, queue, w = [member], [g[member]], [weight[:, member]]
    if extra is not None:
        qe, qq = np.asarray(extra.edge, dtype=np.int64), np.asarray(extra.queue, dtype=np.int64)
        sc, qc, qp = (np.asarray(x, dtype=float) for x in (extra.scale, extra.capacity, extra.power))
        qw = np.ones((n_cls, len(qe))) if extra.weight is None else np.asarray(extra.weight, dtype=float)
        bad_index = qe.size and (qe.min() < 0 or qe.max() >= n_links or qq.min() < 0 or qq.max() >= len(sc))
        if qe.shape != qq.shape or qw.shape != (n_cls, len(qe)) or len({len(sc), len(qc), len(qp)}) != 1 \
                or bad_index:
            raise ValueError("queues: edge/queue must index links and queues; weight is (classes, members)")
        if np.any(sc < 0) or np.any(qc <= 0) or np.any(qp < 0) or np.any(qw < 0) \
                or not np.all(np.isfinite(qw)):
            raise ValueError("queues need scale >= 0, capacity > 0, power >= 0 and weights >= 0")
        edge.append(qe)
        queue.append(qq + n)
        w.append(qw)
        if extra.curves is None:
            a, gcap, gp = np.r_[a, sc], np.r_[gcap, qc], np.r_[gp, qp]
    return _Delay(np.concatenate(edge), np.concatenate(queue), np.concatenate(w, axis=1), a, gcap, gp,
                  n_links, None if extra is None else extra.curves)


def _line_search(x: np.ndarray, d: np.ndarray, fixed: np.ndarray, delay: _Delay) -> float:
    """Step in [0, 1] minimising Beckmann's objective along x + s d (its derivative is monotone).

    `x`, `d` and `fixed` are (classes x links); the delay sees the summed flow.
    """
    base = float(np.sum(fixed * d))
    v = delay.volume(x)
    dv = delay.volume(d)

    def slope(s: float) -> float:
        return base + float(delay.time(v + s * dv) @ dv)

    if slope(1.0) <= 0.0:
        return 1.0
    if slope(0.0) >= 0.0:
        return 0.0
    from scipy.optimize import brentq  # here: scipy.optimize is 16 MB that gradient projection never needs

    return brentq(slope, 0.0, 1.0, xtol=1e-15, rtol=1e-15, maxiter=200)


def assign(init_node: np.ndarray, term_node: np.ndarray, free_flow_time: np.ndarray, capacity: np.ndarray,
           b: np.ndarray, power: np.ndarray, demand: np.ndarray, *, n_nodes: int | None = None,
           zone_nodes: np.ndarray | None = None, no_through: np.ndarray | None = None, rgap: float = 1e-4,
           max_iter: int = 1000, algorithm: str = "bfw",
           fixed_cost: np.ndarray | None = None, groups: np.ndarray | None = None,
           class_weight: np.ndarray | None = None, queues: Queues | None = None) -> AssignmentResult:
    """User equilibrium by (bi-)conjugate Frank-Wolfe; nodes are 0-based integers.

    A link costs `fixed_cost + t0 (1 + b (v/c)^p)`: freight pays a tariff that does
    not grow with congestion, while its time cost does. `fixed_cost` may be negative
    where `fixed_cost + t0 >= 0` (so a delay can be scaled apart from the free-flow cost).

    Several classes: `demand` of shape (classes, zones, zones) and `fixed_cost` of shape
    (classes, links). Each class sees its own fixed cost plus the delay of the summed flow
    (a class's value of time folded into its fixed cost, in time units), which keeps the
    problem a convex programme. `groups` (one id per link) makes links share one queue:
    their delay grows with the group's summed flow; members must share t0 b, capacity and power.
    `class_weight` (classes x links, default 1) is what a unit of a class counts in a queue; the
    class then feels that multiple of the delay (0: the class does not use the queue at all), so
    the cost stays a gradient: a bulk unit of 22 t in a queue measured in tonnes weighs 22.
    `queues` adds queues beyond the links' own BPR terms; a link may join several (`Queues`).

    `demand[i, j]` is the flow from zone i to zone j, zone i being node `zone_nodes[i]`
    (default: node i). Intrazonal demand (the diagonal) loads no link. Nodes in
    `no_through` may only start or end paths. `algorithm` is "bfw", "cfw" or "fw" (Frank-Wolfe
    family, any problem), or "gp" (path-based gradient projection: one class, the links' own BPR
    terms, optional `fixed_cost`; far fewer shortest-path sweeps to a tight gap).
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}")
    init = np.asarray(init_node, dtype=np.int64)
    term = np.asarray(term_node, dtype=np.int64)
    t0, cap, bb, pp = (np.asarray(a, dtype=np.float64) for a in (free_flow_time, capacity, b, power))
    demand = np.asarray(demand, dtype=np.float64)  # copied below only if its diagonal must be cleared
    single = demand.ndim == 2
    if single:
        demand = demand[None]
    n_cls = demand.shape[0]
    zones = np.arange(demand.shape[-1]) if zone_nodes is None else np.asarray(zone_nodes, dtype=np.int64)
    if n_nodes is None:
        n_nodes = int(max(init.max(initial=-1), term.max(initial=-1), zones.max(initial=-1)) + 1)
    n = int(n_nodes)
    _check_links(init, term, zones, n, t0, cap, bb, pp)
    fixed = _fixed_costs(fixed_cost, n_cls, t0)
    if np.any(t0 < 0) or np.any(bb < 0) or np.any(pp < 0) or np.any((cap <= 0) & (bb > 0)):
        raise ValueError("BPR needs free_flow_time, b, power >= 0 and capacity > 0 where b > 0")
    _check_demand(demand, zones)
    if any(np.diagonal(demand[k]).any() for k in range(n_cls)):
        demand = demand.copy()
        for k in range(n_cls):
            np.fill_diagonal(demand[k], 0.0)
    blocked = np.array([], dtype=np.int64) if no_through is None else np.asarray(no_through)
    if blocked.dtype == bool:
        blocked = np.flatnonzero(blocked)
    g = _build_graph(init, term, n, zones, blocked.astype(np.int64))
    weight = np.ones((n_cls, len(t0))) if class_weight is None else np.asarray(class_weight, dtype=float)
    if weight.shape != (n_cls, len(t0)) or np.any(weight < 0) or not np.all(np.isfinite(weight)):
        raise ValueError("class_weight must be finite, >= 0 and of shape (classes, links)")
    delay = _delay_queues(t0, cap, bb, pp, groups, weight, queues)
    active = [np.flatnonzero(demand[k].sum(axis=1) > 0) for k in range(n_cls)]
    if algorithm == "gp":
        if n_cls != 1 or groups is not None or queues is not None or np.any(weight != 1.0):
            raise ValueError("algorithm 'gp' solves one class on the links' own BPR terms; use 'bfw' for "
                             "classes, capacity groups, class weights or queues")
        return _gradient_projection(g, (t0, cap, bb, pp), fixed[0], demand[0], active[0], rgap, max_iter,
                                    single)
    # the free-flow time is a fixed cost; only the delay congests
    return _frank_wolfe(g, fixed + t0, delay, demand, active, algorithm, rgap, max_iter, single)


def _check_links(init: np.ndarray, term: np.ndarray, zones: np.ndarray, n: int, t0: np.ndarray,
                 cap: np.ndarray, bb: np.ndarray, pp: np.ndarray) -> None:
    if len({len(init), len(term), len(t0), len(cap), len(bb), len(pp)}) != 1:
        raise ValueError("link arrays must all have one entry per link")
    for name, a in (("init_node", init), ("term_node", term), ("zone_nodes", zones)):
        if a.size and (a.min() < 0 or a.max() >= n):
            raise ValueError(f"{name} must hold node indices in 0..{n - 1}")


def _fixed_costs(fixed_cost: np.ndarray | None, n_cls: int, t0: np.ndarray) -> np.ndarray:
    """(classes, links) fixed costs, checked."""
    fixed = np.zeros((n_cls, len(t0))) if fixed_cost is None else np.asarray(fixed_cost, dtype=np.float64)
    fixed = np.broadcast_to(fixed, (n_cls, len(t0))) if fixed.ndim == 1 else fixed
    if fixed.shape != (n_cls, len(t0)) or np.any(fixed + t0 < 0) or not np.all(np.isfinite(fixed)):
        raise ValueError("fixed_cost must be finite, have one entry per link (and class) and keep "
                         "fixed_cost + t0 >= 0")
    return fixed


def _check_demand(demand: np.ndarray, zones: np.ndarray) -> None:
    if demand.ndim != 3 or demand.shape[1] != demand.shape[2] or demand.shape[1] != len(zones):
        raise ValueError("demand must be a square (zones x zones) matrix matching zone_nodes, "
                         "or a stack of them, one per class")
    if np.any(demand < 0) or not np.all(np.isfinite(demand)):
        raise ValueError("demand must be finite and non-negative")


def _frank_wolfe(g: _Graph, fixed: np.ndarray, delay: _Delay, demand: np.ndarray, active: list[np.ndarray],
                 algorithm: str, rgap: float, max_iter: int, single: bool) -> AssignmentResult:
    """(Bi-)conjugate Frank-Wolfe from an all-or-nothing load at free flow: each class's costs are its
    `fixed` costs plus the delay its weight feels in each queue."""
    n_cls, n_links = fixed.shape

    def aon(link_delay: np.ndarray) -> tuple[np.ndarray, float]:
        y = np.zeros((n_cls, n_links))
        sptt = 0.0
        for k in range(n_cls):
            if active[k].size:
                y[k], sp = all_or_nothing(g, fixed[k] + link_delay[k], demand[k], active[k])
                sptt += sp
        return y, sptt

    def objective(x: np.ndarray) -> float:
        return float(delay.integral(delay.volume(x)).sum() + np.sum(fixed * x))

    x, _ = aon(np.zeros((n_cls, n_links)))
    history: list[tuple[int, float, float]] = []
    s_prev = s_prev2 = None  # the last two search directions' targets
    tau_prev = 1.0
    gap = np.inf
    it = 1
    while True:
        v = delay.volume(x)
        link_delay = delay.link_delay(v)
        y, sptt = aon(link_delay)
        tstt = float(np.sum((fixed + link_delay) * x))
        gap = (tstt - sptt) / tstt if tstt > 0 else 0.0
        history.append((it, gap, objective(x)))
        if gap <= rgap or it >= max_iter:
            break
        it += 1
        h = delay.derivative(v)

        def dot(a: np.ndarray, c: np.ndarray, h: np.ndarray = h) -> float:  # a' H c, H the group Hessian
            return float(delay.volume(a) @ (h * delay.volume(c)))

        s = _direction(algorithm, x, y, s_prev, s_prev2, tau_prev, dot)
        tau = _line_search(x, s - x, fixed, delay)
        if tau <= 0.0 and s is not y:  # conjugacy lost (not a descent direction): restart from Frank-Wolfe
            s_prev = s_prev2 = None
            s = y
            tau = _line_search(x, s - x, fixed, delay)
        x = x + tau * (s - x)
        np.maximum(x, 0.0, out=x)
        if tau >= 1.0:  # the target replaced the solution: past directions mean nothing now
            s_prev = s_prev2 = None
        else:
            s_prev2, s_prev = s_prev, s
        tau_prev = tau
    cost = fixed + delay.link_delay(delay.volume(x))
    total = x.sum(0)
    return AssignmentResult(flow=total, cost=cost[0] if single else cost, rgap=float(gap), iterations=it,
                            converged=bool(gap <= rgap), objective=history[-1][2], tstt=tstt, sptt=sptt,
                            history=history, class_flow=x)


def _gradient_projection(g: _Graph, bpr: tuple[np.ndarray, ...], fixed: np.ndarray, demand: np.ndarray,
                         active: np.ndarray, rgap: float, max_iter: int, single: bool) -> AssignmentResult:
    from .gradient import solve

    t0, cap, b, p = bpr
    r = solve(g.indptr, g.indices, g.tails, lambda c: _edge_costs(g, c), t0, cap, b, p, fixed, demand, active,
              g.origins, g.sinks, rgap=rgap, max_iter=max_iter)
    cost = fixed + bpr_cost(r.flow, t0, cap, b, p)
    return AssignmentResult(flow=r.flow, cost=cost if single else cost[None], rgap=r.rgap,
                            iterations=r.iterations, converged=bool(r.rgap <= rgap),
                            objective=r.history[-1][2], tstt=r.tstt, sptt=r.sptt, history=r.history,
                            class_flow=r.flow[None])


def _direction(algorithm: str, x: np.ndarray, y: np.ndarray, s1: np.ndarray | None, s2: np.ndarray | None,
               tau: float, dot) -> np.ndarray:
    """Target point of the next step (Mitradjieva & Lindberg 2013, the conventions of AequilibraE).

    `y` is the all-or-nothing point, `s1`/`s2` the previous two targets, `tau` the last
    step, `dot(a, b)` the product a' H b under the Hessian of Beckmann's objective at x.
    """
    if algorithm == "fw" or s1 is None:
        return y
    if algorithm == "cfw" or s2 is None:
        d1 = s1 - x
        num = dot(d1, y - x)
        den = dot(d1, y - s1)
        alpha = min(max(num / den, 0.0), _MAX_CONJUGATE) if den != 0.0 else 0.0
        return alpha * s1 + (1.0 - alpha) * y
    xb = tau * s1 + (1.0 - tau) * s2 - x
    yx = y - x
    z = s1 - x
    w = s2 - s1
    mu_den = dot(xb, w)
    mu = max(0.0, -dot(xb, yx) / mu_den) if mu_den != 0.0 else 0.0
    nu_den = dot(z, z)
    nu = max(0.0, -dot(z, yx) / nu_den + mu * tau / (1.0 - tau)) if nu_den != 0.0 else 0.0
    beta0 = 1.0 / (1.0 + mu + nu)
    return beta0 * y + nu * beta0 * s1 + mu * beta0 * s2
