"""Path-based gradient projection for single-class user equilibrium with separable BPR costs.

Frank-Wolfe methods move all OD pairs along one direction per shortest-path sweep, so each digit of
gap costs more sweeps than the last. Gradient projection (Jayakrishnan, Tsai, Prashker &
Rajadhyaksha 1994, Transportation Research Record 1443) keeps each OD pair's used paths and moves
flow between them directly: from every costlier path to the cheapest, by a Newton step
(c_p − c_min) / Σ t'(x) over the links the two paths do not share, updating link costs at once
(Gauss-Seidel over OD pairs). Each outer iteration grows one shortest-path tree per origin on both
cores (`shortest_paths.path_columns`): its total gives the exact relative gap of the current flows,
and every OD pair whose shortest path is new gains it as a column. Then sweeps over the stored paths
(no searches) equilibrate the restricted problem before the next trees are grown, so a tight gap
costs a few more sweeps rather than many more trees.

Memory: the paths in use (a few per OD pair), one flat int32 array of their links, plus scratch of
the graph's size per thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..errors import CorridorError
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
def _link_flows(links, start, flow, n_links):
    x = np.zeros(n_links)
    for pid in range(len(flow)):
        f = flow[pid]
        if f != 0.0:
            for i in range(start[pid], start[pid + 1]):
                x[links[i]] += f
    return x


@njit(cache=True)
def _merge(links, start, keep, new_start, new_links):
    """The kept paths' links and starts, then the new paths': one array each, no temporaries."""
    n_keep = 0
    size = 0
    for pid in range(len(keep)):
        if keep[pid]:
            n_keep += 1
            size += start[pid + 1] - start[pid]
    n_new = len(new_start) - 1
    out_links = np.empty(size + len(new_links), dtype=np.int32)
    out_start = np.empty(n_keep + n_new + 1, dtype=np.int64)
    out_start[0] = 0
    k = 0
    pos = 0
    for pid in range(len(keep)):
        if keep[pid]:
            for i in range(start[pid], start[pid + 1]):
                out_links[pos] = links[i]
                pos += 1
            k += 1
            out_start[k] = pos
    for j in range(n_new):
        for i in range(new_start[j], new_start[j + 1]):
            out_links[pos] = new_links[i]
            pos += 1
        k += 1
        out_start[k] = pos
    return out_links, out_start


@njit(cache=True)
def _path_cost(links, lo, hi, t):
    c = 0.0
    for i in range(lo, hi):
        c += t[links[i]]
    return c


@njit(cache=True)
def _sweep(p_links, p_start, od_ptr, od_paths, flow, x, t0, cap, b, pw, fixed, t, dt, mark, stamp):
    """One Gauss-Seidel pass of Newton shifts over every OD pair's stored paths.

    Returns (Σ f_p (c_p − c_min), Σ f_p c_p) measured before each pair's shifts, and the last stamp."""
    excess = 0.0
    total = 0.0
    n_od = len(od_ptr) - 1
    cost = np.empty(64)
    for od in range(n_od):
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


def solve(indptr: np.ndarray, indices: np.ndarray, tails: np.ndarray,
          edge_costs: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], t0: np.ndarray, cap: np.ndarray,
          b: np.ndarray, power: np.ndarray, fixed: np.ndarray, demand: np.ndarray, active: np.ndarray,
          origins: np.ndarray, sinks: np.ndarray, *, rgap: float, max_iter: int) -> GPResult:
    """Equilibrium link flows by path-based gradient projection.

    `edge_costs(link_cost)` gives the cost of each CSR edge and the link it stands for; `demand` is
    (zones x zones) with a zero diagonal, `active` the zones with outgoing demand, `origins`/`sinks`
    the graph node each zone departs from and arrives at; `fixed` is the cost that does not congest
    (the free-flow time is added to it by the BPR term)."""
    n_links = len(t0)
    sub = demand[active]
    o_row, dest = np.nonzero(sub)  # ODs sorted by origin row, then destination
    od_q = sub[o_row, dest].astype(np.float64)
    od_sink = sinks[dest].astype(np.int64)
    counts = np.bincount(o_row, minlength=len(active))
    od_hi = np.cumsum(counts).astype(np.int64)
    od_lo = od_hi - counts
    sources = origins[active].astype(np.int64)
    n_od = len(od_q)
    args = (t0, cap, b, power, fixed)
    if n_od == 0:
        return GPResult(flow=np.zeros(n_links), rgap=0.0, iterations=1, tstt=0.0, sptt=0.0,
                        history=[(1, 0.0, 0.0)], paths=0)
    x = np.zeros(n_links)
    t, dt = np.empty(n_links), np.empty(n_links)
    mark = np.zeros(n_links, dtype=np.int64)
    stamp = 0
    links = np.empty(0, dtype=np.int32)
    start = np.zeros(1, dtype=np.int64)
    p_od = np.empty(0, dtype=np.int64)
    flow = np.empty(0)
    od_ptr = np.zeros(n_od + 1, dtype=np.int64)
    od_paths = np.empty(0, dtype=np.int64)
    history: list[tuple[int, float, float]] = []
    gap, tstt, sptt, it = np.inf, 0.0, 0.0, 0
    while True:
        _all_costs(x, *args, t, dt)
        edge_cost, edge_link = edge_costs(t)
        sptt, lost, best, new_od, new_start, new_links = path_columns(
            indptr, indices, tails, edge_cost, edge_link, sources, od_lo, od_hi, od_sink, od_q,
            (links, start, od_ptr, od_paths))
        if lost:
            raise CorridorError(f"no path for {lost} OD pair(s) with demand")
        if len(flow):  # the flows of the last sweep: their gap at these trees
            tstt = float(t @ x)
            gap = (tstt - sptt) / tstt if tstt > 0 else 0.0
            history.append((it, gap, _objective(x, *args)))
            if gap <= rgap or it >= max_iter:
                break
        it += 1
        # keep the paths in use and each pair's shortest; add the new shortest paths
        keep = flow > 0.0
        keep[best[best >= 0]] = True
        new_flow = od_q[new_od] if not len(flow) else np.zeros(len(new_od))
        links, start = _merge(links, start, keep, new_start, new_links.astype(np.int32, copy=False))
        del new_links
        flow = np.concatenate([flow[keep], new_flow])
        p_od = np.concatenate([p_od[keep], new_od])
        od_paths = np.argsort(p_od, kind="stable").astype(np.int64)
        od_ptr = np.concatenate([[0], np.cumsum(np.bincount(p_od, minlength=n_od))]).astype(np.int64)
        # link flows from the path flows (the first time: all-or-nothing at free flow), so that
        # sweeps' rounding never accumulates
        x = _link_flows(links, start, flow, n_links)
        _all_costs(x, *args, t, dt)
        target = max(rgap, 0.1 * gap if np.isfinite(gap) else 0.0) * 0.1
        for _ in range(_INNER):
            excess, total, stamp = _sweep(links, start, od_ptr, od_paths, flow, x, *args, t, dt, mark, stamp)
            if total <= 0 or excess / total <= target:
                break
    return GPResult(flow=x, rgap=float(gap), iterations=it, tstt=tstt, sptt=sptt, history=history,
                    paths=len(flow))


def _objective(x: np.ndarray, t0, cap, b, power, fixed) -> float:
    """Beckmann's objective plus the fixed costs: Σ fixed x + t0 (x + b c/(p+1) (x/c)^(p+1))."""
    safe = np.where(cap > 0, cap, 1.0)
    ratio = np.where(cap > 0, np.power(np.maximum(x, 0.0) / safe, power + 1.0), 0.0)
    return float(np.sum(fixed * x + t0 * (x + b * safe / (power + 1.0) * ratio)))
