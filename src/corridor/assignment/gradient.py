"""Path-based gradient projection for single-class user equilibrium with separable BPR costs.

Frank-Wolfe methods move all OD pairs along one direction per shortest-path sweep, so each digit of
gap costs more sweeps than the last. Gradient projection (Jayakrishnan, Tsai, Prashker &
Rajadhyaksha 1994, Transportation Research Record 1443) keeps each OD pair's used paths and moves
flow between them directly: from every costlier path to the cheapest, by a Newton step
(c_p − c_min) / Σ t'(x) over the links the two paths do not share, updating link costs at once
(Gauss-Seidel over OD pairs).

Shortest-path trees (`shortest_paths.path_columns`, one per origin, on both cores) are grown in
two kinds of pass. A block pass takes the origins in blocks: each block's trees see the costs the
blocks before it left, its OD pairs gain their new shortest paths as columns and are swept at
once, so one pass does the work of several at frozen costs (the first pass loads each block's
demand this way instead of loading all of it at free flow). A clean pass grows every tree at the
costs of the current flows: its total gives the exact relative gap of the flows it returns with,
and it adds columns too. Sweeps over the stored paths (no searches) equilibrate the restricted
problem between passes, so a tight gap costs a few more sweeps rather than many more trees. If a
clean pass finds the gap not even halved, conjugate Frank-Wolfe steps on the stored paths follow
each round of sweeps (`_conjugate_steps`: sweeps alone crawl where OD pairs share stiff links).

Memory: the paths in use (a few per OD pair), one flat int32 array of their links, plus scratch of
the graph's size per thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..errors import CorridorError
from .path_store import PathStore, add_flows, link_flows
from .shortest_paths import path_columns

_INNER = 25  # at most this many sweeps over the stored paths between two tree sweeps


@dataclass(frozen=True)
class GPResult:
    flow: np.ndarray
    rgap: float
    iterations: int
    tstt: float
    sptt: float
    history: list[tuple[int, float, float]]
    paths: int  # paths stored at the end


@njit(cache=True)
def _link_cost(a, x, t0, cap, b, pw, fixed, t, dt):
    """BPR cost and its derivative of link a at flow x[a], into t[a] and dt[a]."""
    if b[a] > 0.0 and cap[a] > 0.0:
        r = max(x[a], 0.0) / cap[a]
        p = pw[a]
        if p == 4.0:
            r2 = r * r
            rp = r2 * r2
            rp1 = r2 * r
        else:
            rp = r ** p
            rp1 = r ** (p - 1.0) if p >= 1.0 else (r ** (p - 1.0) if r > 0.0 else 0.0)
        t[a] = fixed[a] + t0[a] * (1.0 + b[a] * rp)
        dt[a] = t0[a] * b[a] * p * rp1 / cap[a]
    else:
        t[a] = fixed[a] + t0[a]
        dt[a] = 0.0


@njit(cache=True)
def _all_costs(x, t0, cap, b, pw, fixed, t, dt):
    for a in range(len(x)):
        _link_cost(a, x, t0, cap, b, pw, fixed, t, dt)


@njit(cache=True)
def _path_cost(links, lo, hi, t):
    c = 0.0
    for i in range(lo, hi):
        c += t[links[i]]
    return c


@njit(cache=True)
def _sweep(p_links, p_start, od_ptr, od_paths, flow, x, t0, cap, b, pw, fixed, t, dt, mark, stamp, od_first,
           od_last):
    """One Gauss-Seidel pass of Newton shifts over the stored paths of OD pairs od_first..od_last-1.

    Returns (Σ f_p (c_p − c_min), Σ f_p c_p) measured before each pair's shifts, and the last stamp."""
    excess = 0.0
    total = 0.0
    cost = np.empty(64)
    for od in range(od_first, od_last):
        k0, k1 = od_ptr[od], od_ptr[od + 1]
        m = k1 - k0
        if m == 1:
            pid = od_paths[k0]
            total += flow[pid] * _path_cost(p_links, p_start[pid], p_start[pid + 1], t)
            continue
        if m > len(cost):
            cost = np.empty(2 * m)
        best, cmin, total = _od_costs(p_links, p_start, od_paths, k0, m, flow, t, cost, total)
        for k in range(m):
            excess += flow[od_paths[k0 + k]] * (cost[k] - cmin)
        stamp += 1
        b0, b1 = p_start[best], p_start[best + 1]
        for i in range(b0, b1):
            mark[p_links[i]] = stamp
        for k in range(m):
            pid = od_paths[k0 + k]
            if pid != best and flow[pid] > 0.0:
                _shift(p_links, p_start, pid, best, flow, x, t0, cap, b, pw, fixed, t, dt, mark, stamp)
    return excess, total, stamp


@njit(cache=True)
def _od_costs(p_links, p_start, od_paths, k0, m, flow, t, cost, total):
    """The costs of an OD pair's m paths (into `cost`), its cheapest path and cost, and `total` plus
    each path's flow × cost."""
    best = -1
    cmin = np.inf
    for k in range(m):
        pid = od_paths[k0 + k]
        c = _path_cost(p_links, p_start[pid], p_start[pid + 1], t)
        cost[k] = c
        total += flow[pid] * c
        if c < cmin:
            cmin = c
            best = pid
    return best, cmin, total


@njit(cache=True)
def _shift(p_links, p_start, pid, best, flow, x, t0, cap, b, pw, fixed, t, dt, mark, stamp):
    """Path `pid`'s Newton shift of flow to the cheapest path `best` (whose links are marked `stamp`),
    the links' costs updated."""
    b0, b1 = p_start[best], p_start[best + 1]
    c_best = _path_cost(p_links, b0, b1, t)
    s_best = 0.0
    for i in range(b0, b1):
        s_best += dt[p_links[i]]
    c_p = 0.0
    common = 0.0
    own = 0.0
    for i in range(p_start[pid], p_start[pid + 1]):
        a = p_links[i]
        c_p += t[a]
        if mark[a] == stamp:
            common += dt[a]
        else:
            own += dt[a]
    gain = c_p - c_best
    if gain <= 0.0:
        return
    den = own + s_best - common
    shift = flow[pid] if den <= 0.0 else min(flow[pid], gain / den)
    if shift <= 0.0:
        return
    flow[pid] -= shift
    flow[best] += shift
    for i in range(p_start[pid], p_start[pid + 1]):
        a = p_links[i]
        if mark[a] != stamp:  # a shared link keeps its flow
            x[a] = max(x[a] - shift, 0.0)
            _link_cost(a, x, t0, cap, b, pw, fixed, t, dt)
    for i in range(b0, b1):
        a = p_links[i]
        x[a] += shift
        _link_cost(a, x, t0, cap, b, pw, fixed, t, dt)
    # the shared links got +shift above: take it back
    for i in range(p_start[pid], p_start[pid + 1]):
        a = p_links[i]
        if mark[a] == stamp:
            x[a] -= shift
            _link_cost(a, x, t0, cap, b, pw, fixed, t, dt)


@dataclass(frozen=True)
class _Columns:
    """What a tree pass needs besides the costs: the graph, and the OD pairs numbered by origin
    (source i owns ODs od_lo[i]..od_hi[i]-1)."""

    indptr: np.ndarray
    indices: np.ndarray
    tails: np.ndarray
    edge_costs: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
    sources: np.ndarray
    od_lo: np.ndarray
    od_hi: np.ndarray
    od_sink: np.ndarray
    od_q: np.ndarray

    def grow(self, t: np.ndarray, block: slice, store: PathStore):
        """Trees of the block's origins at link costs `t`: (shortest-path total, per OD its path's
        id in the store or -1, and the new paths' OD pairs, starts and links)."""
        edge_cost, edge_link = self.edge_costs(t)
        sptt, lost, best, new_od, new_start, new_links = path_columns(
            self.indptr, self.indices, self.tails, edge_cost, edge_link, self.sources[block],
            self.od_lo[block], self.od_hi[block], self.od_sink, self.od_q, store.view())
        if lost:
            raise CorridorError(f"no path for {lost} OD pair(s) with demand")
        return sptt, best, new_od, new_start, new_links.astype(np.int32, copy=False)


def solve(indptr: np.ndarray, indices: np.ndarray, tails: np.ndarray,
          edge_costs: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], t0: np.ndarray, cap: np.ndarray,
          b: np.ndarray, power: np.ndarray, fixed: np.ndarray, demand: np.ndarray, active: np.ndarray,
          origins: np.ndarray, sinks: np.ndarray, *, rgap: float, max_iter: int) -> GPResult:
    """Equilibrium link flows by path-based gradient projection.

    `edge_costs(link_cost)` gives the cost of each CSR edge and the link it stands for; `demand` is
    (zones x zones) with a zero diagonal, `active` the zones with outgoing demand, `origins`/`sinks`
    the graph node each zone departs from and arrives at; `fixed` is the cost that does not congest
    (the free-flow time is added to it by the BPR term). `iterations` counts tree passes (the first
    loads the demand, the last measures the gap): at least two whatever `max_iter`."""
    n_links = len(t0)
    row_of = np.full(len(demand), -1, dtype=np.int64)
    row_of[active] = np.arange(len(active))
    o_zone, dest = np.nonzero(demand)  # ODs sorted by origin, then destination; no dense copy
    od_q = demand[o_zone, dest].astype(np.float64)
    counts = np.bincount(row_of[o_zone], minlength=len(active))
    od_hi = np.cumsum(counts).astype(np.int64)
    cols = _Columns(indptr, indices, tails, edge_costs, origins[active].astype(np.int64), od_hi - counts,
                    od_hi, sinks[dest].astype(np.int64), od_q)
    del o_zone, dest
    n_od = len(od_q)
    args = (t0, cap, b, power, fixed)
    if n_od == 0:
        return GPResult(flow=np.zeros(n_links), rgap=0.0, iterations=1, tstt=0.0, sptt=0.0,
                        history=[(1, 0.0, 0.0)], paths=0)
    x = np.zeros(n_links)
    t, dt = np.empty(n_links), np.empty(n_links)
    work = (x, t, dt, np.zeros(n_links, dtype=np.int64))  # flows, costs, derivatives, link marks
    store = PathStore(n_od)
    blocks = _blocks(len(cols.sources))
    _load(cols, blocks, store, args, work)
    history: list[tuple[int, float, float]] = []
    gap, tstt, sptt, it, stamp = np.inf, 0.0, 0.0, 1, 0
    stalled = False
    while True:
        if it + 2 <= max_iter:  # a block pass, then the restricted problem's sweeps
            stamp = _block_pass(cols, blocks, store, args, work, stamp)
            stamp = _equilibrate(store, args, work, stamp, _target(rgap, gap))
            it += 1
        _all_costs(x, *args, t, dt)
        sptt, best, new_od, new_start, new_links = cols.grow(t, slice(None), store)
        it += 1
        tstt = float(t @ x)
        gap = (tstt - sptt) / tstt if tstt > 0 else 0.0
        history.append((it, gap, _objective(x, *args)))
        if gap <= rgap or it >= max_iter:
            break
        stalled = stalled or (len(history) > 1 and gap > 0.5 * history[-2][1])
        # keep the paths in use and each pair's shortest; add the new shortest paths
        keep = store.flow > 0.0
        keep[best[best >= 0]] = True
        store.compact(keep)
        store.append(new_od, new_start, new_links, np.zeros(len(new_od)))
        del new_links
        store.reindex()
        # link flows from the path flows, so that sweeps' rounding never accumulates
        x[:] = link_flows(store.links, store.start, store.flow, n_links)
        _all_costs(x, *args, t, dt)
        stamp = _equilibrate(store, args, work, stamp, _target(rgap, gap))
        if stalled:
            _conjugate_steps(store, args, work, cols.od_q, _CONJUGATE_STEPS)
    return GPResult(flow=x, rgap=float(gap), iterations=it, tstt=tstt, sptt=sptt, history=history,
                    paths=store.n)


_Bpr = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # t0, capacity, b, power, fixed
_Work = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # link flows, costs, derivatives, marks

_BLOCKS = 16  # origin blocks of a block pass
_BLOCK_SWEEPS = 2  # sweeps over a block's OD pairs once its columns are in


def _blocks(n: int) -> list[slice]:
    edges = np.linspace(0, n, min(_BLOCKS, n) + 1).astype(int)
    return [slice(int(a), int(c)) for a, c in zip(edges[:-1], edges[1:], strict=True) if c > a]


def _target(rgap: float, gap: float) -> float:
    """How far the sweeps equilibrate the restricted problem: to a tenth of the gap the next pass
    should find, which is taken as 3 % of the last (Berlin-Center: 6e-5 -> 1e-7 in one block and one
    clean pass at 3 %, -> 1.3e-6 at 10 %)."""
    return max(rgap, 0.03 * gap if np.isfinite(gap) else 0.0) * 0.1


_CONJUGATE_STEPS = 50  # per outer iteration once progress stalls


@njit(cache=True)
def _restricted_aon(p_links, p_start, od_ptr, od_paths, od_q, t, n_paths):
    """Each OD pair's demand on its cheapest stored path: path flows."""
    y = np.zeros(n_paths)
    for od in range(len(od_ptr) - 1):
        best = -1
        cmin = np.inf
        for k in range(od_ptr[od], od_ptr[od + 1]):
            pid = od_paths[k]
            c = _path_cost(p_links, p_start[pid], p_start[pid + 1], t)
            if c < cmin:
                cmin = c
                best = pid
        if best >= 0:
            y[best] = od_q[od]
    return y


def _conjugate_steps(store: PathStore, args: _Bpr, work: _Work, od_q: np.ndarray, n: int) -> None:
    """Conjugate Frank-Wolfe steps on the restricted problem (the stored paths), once sweeps stall.

    Sweeps move one OD pair at a time. Where two pairs share two nearly saturated links (t' 1e5
    against 0.1 elsewhere) one pair's Newton shift is undone by the other's and the gap crawls;
    a Frank-Wolfe direction moves every pair at once, and conjugacy under diag(t') (as in the
    engine's CFW) finds the move of both together in a few steps."""
    x, t, dt, _ = work
    f = store.flow
    s_prev: np.ndarray | None = None
    big_prev = np.empty(0)
    for _ in range(n):
        _all_costs(x, *args, t, dt)
        y = _restricted_aon(store.links, store.start, store.od_ptr, store.od_paths, od_q, t, store.n)
        big_y = link_flows(store.links, store.start, y, len(x))
        s, big_s = y, big_y
        if s_prev is not None:
            d1 = big_prev - x
            num = float(d1 @ (dt * (big_y - x)))
            den = float(d1 @ (dt * (big_y - big_prev)))
            alpha = min(max(num / den, 0.0), 0.99999) if den != 0.0 else 0.0
            s, big_s = alpha * s_prev + (1 - alpha) * y, alpha * big_prev + (1 - alpha) * big_y
        tau = _step(x, big_s - x, args)
        if tau <= 0.0:
            if s_prev is None:
                break
            s_prev = None
            continue
        f += tau * (s - f)
        x += tau * (big_s - x)
        np.maximum(x, 0.0, out=x)
        s_prev, big_prev = (None, big_prev) if tau >= 1.0 else (s, big_s)
    _all_costs(x, *args, t, dt)


def _step(x: np.ndarray, d: np.ndarray, args: _Bpr) -> float:
    """The step in [0, 1] that minimises Beckmann's objective along x + s d (bisection on its
    derivative, which is monotone)."""
    t, dt = np.empty(len(x)), np.empty(len(x))

    def slope(step: float) -> float:
        _all_costs(x + step * d, *args, t, dt)
        return float(t @ d)

    if slope(0.0) >= 0.0:
        return 0.0
    if slope(1.0) <= 0.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if slope(mid) < 0.0:
            lo = mid
        else:
            hi = mid
    return lo


def _load(cols: _Columns, blocks: list[slice], store: PathStore, args: _Bpr, work: _Work) -> None:
    """The first pass: each block's demand on its shortest paths at the costs the blocks before it
    left (a better start than all of it at free flow)."""
    x, t, dt, _ = work
    _all_costs(x, *args, t, dt)
    for blk in blocks:
        _, _, new_od, new_start, new_links = cols.grow(t, blk, store)
        lo = store.n
        store.append(new_od, new_start, new_links, cols.od_q[new_od])
        add_flows(store.links, store.start, store.flow, lo, store.n, x)
        _all_costs(x, *args, t, dt)
    store.reindex()


def _block_pass(cols: _Columns, blocks: list[slice], store: PathStore, args: _Bpr, work: _Work,
                stamp: int) -> int:
    """Trees block by block at the current costs; each block's OD pairs take their new columns and
    are swept at once, so that the next block's trees see the shifted flows."""
    t = work[1]
    for blk in blocks:
        _, _, new_od, new_start, new_links = cols.grow(t, blk, store)
        if len(new_od):
            store.append(new_od, new_start, new_links, np.zeros(len(new_od)))
            store.reindex()
        lo, hi = int(cols.od_lo[blk][0]), int(cols.od_hi[blk][-1])
        for _ in range(_BLOCK_SWEEPS):
            _, _, stamp = _sweep_store(store, args, work, stamp, lo, hi)
    return stamp


def _equilibrate(store: PathStore, args: _Bpr, work: _Work, stamp: int, target: float) -> int:
    """Sweeps over every stored path until the restricted problem's gap is below `target`."""
    for _ in range(_INNER):
        excess, total, stamp = _sweep_store(store, args, work, stamp, 0, store.n_od)
        if total <= 0 or excess / total <= target:
            break
    return stamp


def _sweep_store(store: PathStore, args: _Bpr, work: _Work, stamp: int, lo: int, hi: int):
    x, t, dt, mark = work
    return _sweep(store.links, store.start, store.od_ptr, store.od_paths, store.flow, x, *args, t, dt, mark,
                  stamp, lo, hi)


def _objective(x: np.ndarray, t0, cap, b, power, fixed) -> float:
    """Beckmann's objective plus the fixed costs: Σ fixed x + t0 (x + b c/(p+1) (x/c)^(p+1))."""
    safe = np.where(cap > 0, cap, 1.0)
    ratio = np.where(cap > 0, np.power(np.maximum(x, 0.0) / safe, power + 1.0), 0.0)
    return float(np.sum(fixed * x + t0 * (x + b * safe / (power + 1.0) * ratio)))
