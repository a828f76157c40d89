"""Stochastic assignment: a path-size logit over a generated route set per OD pair.

Shippers of one OD do not all take its cheapest route: each route's share is
PS · exp(−μ c / c_min) over the OD's routes, with c the generalized cost at the current
loads, c_min the OD's cheapest free-flow route (so one μ means the same for a short and a
long trip) and PS the path size (Ben-Akiva & Bierlaire): each edge's free-flow hours counted
once over the routes that share it, so near-identical variants do not multiply a corridor's
share. The route set is the best route of every corridor family under time, cost and each
commodity's generalized cost. Loads feed back through the queues (`corridor.costs`) and the
method of successive averages, with self-regulated step sizes (Liu, Ban & Mirchandani 2009,
Transportation Research B 43(2)), finds the fixed point.

Capacity binds. Where the routes' shares would put more through a queue than it serves in a
year, the scarce slots get a price (USD per unit the queue counts: a TEU, a 10-t TEU-equivalent,
a ferry's wagon) that every class pays: at each step of the averaging, the prices at which the
logit shares fit every capacity, by the convex dual (L-BFGS-B from the last prices). A price is
paid only where its queue is full.
This is the side-constrained equilibrium of Larsson & Patriksson (1995, Transportation Science
29(1)) with the multipliers in money rather than in hours: the market rations a full line by
price (China-Europe rail rates doubled in 2021), so a low-value class cannot crowd out a
time-critical one by waiting longer. The physical waits stay the queues' curves at the loads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

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
    slot_price: np.ndarray  # per queue: USD per unit it counts that rations it to its capacity (0: room)


CAPACITY_TOL = 0.002  # a queue binds when its load is within 0.2% of what it serves
# The highest slot price, USD per unit a queue counts (TEU, wagon, 10 t): about twice a whole
# China-Europe rail freight bill. Where the demand with no other route exceeds a capacity, no price
# clears it; at this one the excess stays over capacity and is reported as the queue's backlog
# (cargo waiting for next year's slots) instead of a price that grows without bound (judgement).
MAX_SLOT_PRICE_USD = 10_000.0


def solve(net: Network, rs: ChoiceSet, classes: list[str], vots: np.ndarray, ods: np.ndarray,
          model: EdgeCosts, weight: np.ndarray, mu: np.ndarray, *, month: int | None,
          rgap: float, max_iter: int, progress=None) -> LogitSolution:
    """Path-size logit SUE by self-regulated successive averages over the fixed route set `rs`.

    Every OD pair with demand in `ods` (classes x nodes x nodes, TEU a year) must have routes.
    """
    inc = rs.incidence
    route_of, cls, choice, qd = _instances(rs, ods, len(net.nodes))
    first = np.flatnonzero(np.r_[True, choice[1:] != choice[:-1]])
    ps = path_sizes(rs, model.hours, len(net.nodes))
    log_ps = np.log(np.clip(ps, 1e-12, None))
    # per (class, route) instance and per choice, read once (the same numbers every call)
    neg_mu, lps_i = -mu[cls], log_ps[route_of]
    mu_first, qd_i = mu[cls[first]], qd[choice]
    routes = rs.kept(("class_routes", len(classes), route_of.tobytes(), cls.tobytes()),
                     lambda: _ClassRoutes(inc, route_of, cls, len(classes)))
    per_instance = routes.per_instance

    capacity = model.curves.served(month) if model.n_queues else np.zeros(0)
    price = np.zeros(model.n_queues)

    def route_costs(class_flow: np.ndarray) -> np.ndarray:
        """Generalized USD per TEU of each (class, route) instance at edge flows per class (the
        queues' waits; the slots' prices are added by the market)."""
        wait = delay_hours(model, class_flow, weight, month)
        return per_instance(np.stack([model.generalized(v, wait[k]) for k, v in enumerate(vots)]))

    def logit(cost: np.ndarray, scale: np.ndarray) -> np.ndarray:
        u = neg_mu * cost / scale + lps_i
        u -= np.maximum.reduceat(u, first)[choice]
        w = np.exp(u)
        return w / np.add.reduceat(w, first)[choice]

    def expected(cost: np.ndarray, scale: np.ndarray) -> tuple[float, np.ndarray]:
        """Σ demand × expected cost of each choice (the logsum), and the logit flows, at `cost`."""
        u = neg_mu * cost / scale + lps_i
        top = np.maximum.reduceat(u, first)
        w = np.exp(u - top[choice])
        tot = np.add.reduceat(w, first)
        lse = top + np.log(tot)
        s0 = scale[first]
        return float(qd @ (-(s0 / mu_first) * lse)), w / tot[choice] * qd_i

    def load(f: np.ndarray) -> np.ndarray:
        """Edge flows per class."""
        return routes.load(f, net.graph.n_edges)

    free = route_costs(np.zeros((len(classes), net.graph.n_edges)))
    scale = np.minimum.reduceat(free, first)[choice]  # each choice's cheapest free-flow route
    scale = np.where(scale > 0, scale, 1.0)
    f = logit(free, scale) * qd_i
    history: list[tuple[int, float, float]] = []
    gap, it = np.inf, 0
    eta, last = 1.0, np.inf  # self-regulated averaging (Liu, Ban & Mirchandani 2009)
    congested = model.n_queues > 0
    slots = _market(rs, routes, cls, classes, model, weight, capacity) if congested else None
    while True:
        it += 1
        class_flow = load(f)
        cost = route_costs(class_flow)
        over = 0.0
        if slots is not None:  # the prices at which the routes' shares fit the capacities
            over = slots.excess(f, price)
            price = slots.clear(cost, lambda c: expected(c, scale), price, tol=max(gap, rgap))
            cost = cost + slots.usd(price)
        target = logit(cost, scale) * qd_i
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
        f = f + (target - f) / eta
    flow = load(f)
    t = model.hours[None, :] + delay_hours(model, flow, weight, month)
    route_days = per_instance(t) / 24.0
    paths = _path_table(net, rs, routes, classes, cls, {
        "teu": f, "probability": f / qd[choice], "days": route_days,
        "free_flow_days": per_instance(model.hours) / 24.0,
        "usd_per_teu": per_instance(net.graph.usd), "generalized_usd": cost,
        "free_flow_generalized_usd": free,
        "slot_usd": slots.usd(price) if slots is not None else np.zeros(len(route_of)),
        "co2_kg_per_teu": per_instance(net.graph.co2),
    })
    return LogitSolution(flow, paths, gap, it, history, price)


class _ClassRoutes:
    """Each class's routes: its instances, their rows of the incidence (a route's cost per instance),
    and the same rows in route order, transposed (the class's edge loads: the sums of the whole
    incidence's products less the routes the class does not take, in the same order: the same
    numbers, a fraction of the work)."""

    def __init__(self, inc, route_of: np.ndarray, cls: np.ndarray, n_classes: int) -> None:
        self.route_of = route_of
        self.by_class = [np.flatnonzero(cls == k) for k in range(n_classes)]
        self.rows_of = [inc[route_of[m]] for m in self.by_class]
        self.in_route_order = [np.argsort(route_of[m], kind="stable") for m in self.by_class]
        self.cols_of = [inc[route_of[m][o]].T.tocsr() for m, o in zip(self.by_class, self.in_route_order,
                                                                      strict=True)]

    def per_instance(self, v: np.ndarray) -> np.ndarray:
        """`(inc @ v[k])[route_of]` for the class k of each instance (`v`: per class, or one for all)."""
        out = np.empty(len(self.route_of))
        for k, m in enumerate(self.by_class):
            out[m] = self.rows_of[k] @ (v[k] if v.ndim == 2 else v)
        return out

    def load(self, f: np.ndarray, n_edges: int) -> np.ndarray:
        """Edge flows per class of the instances' flows `f`."""
        out = np.zeros((len(self.by_class), n_edges))
        for k, m in enumerate(self.by_class):
            out[k] = self.cols_of[k] @ f[m][self.in_route_order[k]]
        return out


def _market(rs: ChoiceSet, routes: _ClassRoutes, cls: np.ndarray, classes: list[str], model: EdgeCosts,
            weight: np.ndarray, capacity: np.ndarray) -> _SlotMarket:
    """The slot market of these instances, kept on the route set for the same weights and capacities."""
    key = ("slots", routes.route_of.tobytes(), cls.tobytes(), weight.tobytes(), capacity.tobytes(),
           model.member_edge.tobytes(), model.member_queue.tobytes(), len(model.hours))
    return rs.kept(key, lambda: _SlotMarket(routes.rows_of, cls, classes, model, weight, capacity))


def _path_table(net: Network, rs: ChoiceSet, routes: _ClassRoutes, classes: list[str], cls: np.ndarray,
                figures: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per (class, route) instance: its route, OD, commodity, corridor, gateways and sanctioned
    countries, then `figures`."""
    route_of = routes.route_of
    text = _route_text(net, rs)
    return pd.DataFrame({
        "route": route_of,  # row of the route set
        "origin": text["origin"].take(route_of), "destination": text["destination"].take(route_of),
        "commodity": rs.kept(("commodity", tuple(classes), cls.tobytes()),
                             lambda: pd.Series(np.array(classes)[cls]).array),
        "corridor": text["corridor"].take(route_of),
        "via": text["via"].take(route_of), "sanctioned": text["sanctioned"].take(route_of), **figures})


def _route_text(net: Network, rs: ChoiceSet) -> dict[str, pd.Series]:
    """Per route of `rs`: its origin and destination ids, corridor, gateways and sanctioned countries,
    as the path table's columns (made once per route set and node list; each assignment takes its
    rows)."""
    ids = net.nodes["node_id"].to_numpy()
    return rs.kept(("text", ids.tobytes() if ids.dtype != object else tuple(ids)), lambda: {
        "origin": pd.Series(ids[rs.od[:, 0]]).array, "destination": pd.Series(ids[rs.od[:, 1]]).array,
        "corridor": pd.Series(rs.corridor).array, "via": pd.Series(np.array(rs.via, dtype=object)).array,
        "sanctioned": pd.Series(np.array(rs.sanctioned, dtype=object) if rs.sanctioned
                                else np.full(len(rs), "", dtype=object)).array})


def _instances(rs: ChoiceSet, ods: np.ndarray, n_nodes: int) -> tuple[np.ndarray, ...]:
    """One "choice" per (class, OD pair with its demand), class by class and OD by OD: the route of
    each (class, route) instance, its class and its choice (sorted, contiguous), and each
    choice's demand."""
    od_key = rs.od[:, 0] * n_nodes + rs.od[:, 1]
    order = np.argsort(od_key, kind="stable")
    uniq, start = np.unique(od_key[order], return_index=True)
    bounds = np.append(start, len(order))
    q = ods[:, uniq // n_nodes, uniq % n_nodes]  # (classes, OD pairs of the set)
    k, j = np.nonzero(q > 0)  # class by class, then OD by OD
    size = bounds[j + 1] - bounds[j]
    at = np.repeat(bounds[j] - np.cumsum(size) + size, size) + np.arange(int(size.sum()))
    return order[at], np.repeat(k, size), np.repeat(np.arange(len(k)), size), q[k, j]


class _SlotMarket:
    """The slots of the capacitated queues and their prices.

    For route costs `c` (waits included), the prices λ ≥ 0 that clear every queue minimise the dual
    D(λ) = Σ_choices q·(s/μ)·log Σ_routes PS·exp(−μ (c + Bλ)/s) + λ·capacity, whose gradient is
    capacity − load(λ) (B: what a TEU of the instance's class counts in each queue along its route).
    D is convex and smooth, so L-BFGS-B (bounds λ ≥ 0) solves it from the last prices in a few
    dozen logit evaluations; at the optimum no queue is over capacity and a price is paid only
    where its queue is full, unless the demand that has no other route exceeds it: the price then
    stops at MAX_SLOT_PRICE_USD and the excess is the queue's backlog."""

    def __init__(self, rows_of: list, cls: np.ndarray, classes: list[str], model: EdgeCosts,
                 weight: np.ndarray, capacity: np.ndarray) -> None:
        """`rows_of[k]`: the incidence rows of class k's instances, in their order."""
        from scipy.sparse import csr_matrix, vstack

        self.q = np.flatnonzero(capacity > 0)
        self.capacity = capacity[self.q]
        col = np.full(model.n_queues, -1)
        col[self.q] = np.arange(len(self.q))
        keep = col[model.member_queue] >= 0
        n_edges = len(model.hours)
        per_class = []
        for k in range(len(classes)):
            m = csr_matrix((weight[k][keep], (model.member_edge[keep], col[model.member_queue[keep]])),
                           shape=(n_edges, len(self.q)))
            per_class.append((rows_of[k] @ m).tocsr())  # the class's instances x capacitated queues
        order = np.concatenate([np.flatnonzero(cls == k) for k in range(len(classes))])
        b = vstack(per_class).tocsr()
        inv = np.empty_like(order)
        inv[order] = np.arange(len(order))
        self.b = b[inv]  # instances x capacitated queues
        self.bt = self.b.T.tocsr()
        self.n = model.n_queues

    def usd(self, price: np.ndarray) -> np.ndarray:
        """USD per TEU each instance pays for its slots."""
        return self.b @ price[self.q]

    def excess(self, f: np.ndarray, price: np.ndarray) -> float:
        """The largest departure from capacity where it matters: over it where no price or a price
        below the highest is paid (at the highest, the excess is the queue's backlog), under it
        where a price is paid (relative)."""
        x = (self.bt @ f) / self.capacity
        p = price[self.q]
        over = np.where(p >= MAX_SLOT_PRICE_USD * (1 - 1e-9), 0.0, np.maximum(x - 1.0, 0.0))
        return float(np.max(np.where(p > 0, np.maximum(over, 1.0 - x), over), initial=0.0))

    def clear(self, cost: np.ndarray, expected, price: np.ndarray, tol: float = CAPACITY_TOL) -> np.ndarray:
        """The prices that clear the queues at route costs `cost` (`expected(c)`: Σ demand × the
        expected cost of each choice, and the logit flows, at costs c)."""
        if not len(self.q):
            return price
        fits = self.bt @ expected(cost)[1] <= self.capacity * (1 + CAPACITY_TOL / 2)
        if not price[self.q].any() and fits.all():
            return price
        # variables z = λ × capacity / (unit × mean capacity): each queue's gradient is then its relative
        # excess, so a ferry of 35k TEU and a border of 2M clear alike (unit: a mean route cost)
        unit = float(np.mean(cost)) or 1.0
        w = self.capacity / float(self.capacity.mean())
        norm = float(self.capacity.sum())

        def dual(z: np.ndarray) -> tuple[float, np.ndarray]:
            lam = z * unit / w
            value, f = expected(cost + self.b @ lam)
            load = self.bt @ f
            return (lam @ self.capacity - value) / (unit * norm), (self.capacity - load) / (w * norm)

        # stop at a relative excess of `tol` (loose while the flows are far from their fixed point)
        gtol = max(CAPACITY_TOL / 5, min(tol, 0.05)) / len(self.q)
        with one_blas_thread():
            x = lbfgsb(dual, price[self.q] * w / unit, np.zeros(len(self.q)), MAX_SLOT_PRICE_USD * w / unit,
                       gtol=gtol, ftol=1e-13, maxiter=1000)
        z = np.maximum(x, 0.0)
        out = price.copy()
        out[self.q] = np.minimum(z * unit / w, MAX_SLOT_PRICE_USD)
        return out


def lbfgsb(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, lower: np.ndarray,
           upper: np.ndarray, *, gtol: float, ftol: float, maxiter: int) -> np.ndarray:
    """The minimiser `minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=(lower, upper),
    options={"gtol": gtol, "ftol": ftol, "maxiter": maxiter})` returns, driving scipy's compiled
    routine directly: the same calls with the same arguments, so the same steps and answer to the
    bit, without the wrapper's work per call (about 0.2 ms, as much as the dual's own evaluations
    over an appraisal's thousands of price solves). Where scipy's routine is not the one this
    follows (before scipy 1.15), `minimize` itself is called."""
    setulb = _setulb()
    if setulb is None:
        from scipy.optimize import Bounds, minimize

        return minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=Bounds(lower, upper),
                        options={"maxiter": maxiter, "gtol": gtol, "ftol": ftol}).x
    m, maxls, maxfun = 10, 20, 15000  # scipy's defaults
    n = len(x0)
    lower, upper = np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
    x = np.array(np.clip(np.asarray(x0, dtype=np.float64).ravel(), lower, upper), dtype=np.float64)
    has_l, has_u = ~np.isinf(lower), ~np.isinf(upper)
    nbd = np.where(has_l, np.where(has_u, 2, 1), np.where(has_u, 3, 0)).astype(np.int32)
    low_bnd, upper_bnd = np.where(has_l, lower, 0.0), np.where(has_u, upper, 0.0)
    # as scipy's ScalarFunction: evaluated at the start, and again only at a point not the last one
    at = x.copy()
    f_at, g_at = fun(at.copy())
    g_at = np.atleast_1d(np.asarray(g_at)).astype(np.float64)
    nfev = 1
    f: float | np.ndarray = np.array(0.0, dtype=np.float64)
    g = np.zeros(n, dtype=np.float64)
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m, np.float64)
    iwa = np.zeros(3 * n, dtype=np.int32)
    task, ln_task = np.zeros(2, dtype=np.int32), np.zeros(2, dtype=np.int32)
    lsave, isave, dsave = np.zeros(4, dtype=np.int32), np.zeros(44, dtype=np.int32), np.zeros(29, np.float64)
    factr = ftol / np.finfo(float).eps
    iterations = 0
    while True:
        g = g.astype(np.float64)
        setulb(m, x, low_bnd, upper_bnd, nbd, f, g, factr, gtol, wa, iwa, task, lsave, isave, dsave, maxls,
               ln_task)
        if task[0] == 3:  # f and g wanted at x
            if not np.array_equal(x, at):
                at = x.copy()
                f_at, g_at = fun(at.copy())
                g_at = np.atleast_1d(np.asarray(g_at)).astype(np.float64)
                nfev += 1
            f, g = float(f_at), g_at.copy()
        elif task[0] == 1:  # a new iteration
            iterations += 1
            if iterations >= maxiter:
                task[0], task[1] = 5, 504
            elif nfev > maxfun:
                task[0], task[1] = 5, 502
        else:
            return x


@cache
def _setulb() -> Callable[..., None] | None:
    """scipy's compiled L-BFGS-B step with the argument list of scipy 1.15 and later (its C port)."""
    import scipy

    try:
        from scipy.optimize import _lbfgsb
    except ImportError:
        return None
    major, minor = (int(v) for v in scipy.__version__.split(".")[:2])
    return getattr(_lbfgsb, "setulb", None) if (major, minor) >= (1, 15) else None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """scipy's OpenBLAS on one thread (the calling thread's setting only) while the block runs.

    L-BFGS-B's steps are small dense products (a few dozen prices); OpenBLAS runs them on every
    core and its workers then spin between calls: on a 2-core machine that doubled the CPU time of
    an appraisal's assignments for no gain. Where the library or its per-thread setting is not
    found (another BLAS, another platform), nothing changes."""
    set_local = _blas_threads_local()
    if set_local is None:
        yield
        return
    before = set_local(1)
    try:
        yield
    finally:
        set_local(before)


@cache
def _blas_threads_local() -> Callable[[int], int] | None:
    """OpenBLAS's `openblas_set_num_threads_local` in the library scipy's wheels bundle (0.3.27+)."""
    import ctypes
    import glob
    import os

    import scipy

    for path in sorted(glob.glob(os.path.join(os.path.dirname(scipy.__file__), os.pardir, "scipy.libs",
                                              "*openblas*"))):
        try:
            fn = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
        return fn
    return None
