"""The cost of the best path to any target, compiled (Numba): what a repair search needs of a candidate
it may never pop.

`compare`'s repair search (`itineraries.best_simple_route`) orders candidates by cost and follows
only the few it pops. A candidate's cost does not depend on how a search breaks ties: every
Dijkstra computes the same distances (each is the least of its in-neighbours' distance plus the
edge, and floating-point addition is monotone), so this search, which drops CSR entries by a mask
instead of building a graph and stops at the first target it settles, gives the very number
scipy's would. Once a question's repairs have a bound on each node's cost to the destination (one
reverse Dijkstra), the searches are guided by it (`_guided`): the same number, far fewer nodes.

The route itself (which of equal-cost paths) is the one scipy's whole tree gives: `Distances.route`
searches only as far as the destination and keeps its path where each node on it has one cheapest
in-neighbour (then every Dijkstra picks it); on a tie it says so and scipy's tree decides.

Numba is imported with this module, so a question that needs no repair never loads it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..heap import heap_pop, heap_push


@njit(cache=True, nogil=True)
def _distance(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, dropped: np.ndarray, source: int,
              is_target: np.ndarray, limit: float, dist: np.ndarray, done: np.ndarray, touched: np.ndarray,
              hk: np.ndarray, hv: np.ndarray) -> float:
    """Least distance from `source` to a node marked in `is_target` over entries not `dropped`,
    or inf when none is within `limit`. Scratch `dist` (inf) and `done` (False) are restored."""
    n_touched = 0
    dist[source] = 0.0
    touched[n_touched] = source
    n_touched += 1
    size = heap_push(hk, hv, 0, 0.0, source)
    best = np.inf
    while size > 0:
        d = hk[0]
        v = hv[0]
        size = heap_pop(hk, hv, size)
        if done[v]:
            continue
        done[v] = True
        if is_target[v]:
            best = d
            break
        for j in range(indptr[v], indptr[v + 1]):
            if dropped[j]:
                continue
            w = indices[j]
            nd = d + data[j]
            if nd <= limit and nd < dist[w]:
                if dist[w] == np.inf:
                    touched[n_touched] = w
                    n_touched += 1
                dist[w] = nd
                size = heap_push(hk, hv, size, nd, w)
    for i in range(n_touched):
        dist[touched[i]] = np.inf
        done[touched[i]] = False
    return best


@njit(cache=True, nogil=True)
def trace(indptr: np.ndarray, indices: np.ndarray, pred: np.ndarray, source: int, target: int) -> np.ndarray:
    """CSR positions of the path from `source` to `target` in a predecessor array: in each row, the
    first entry that leads to the next node (what `SearchGraph.positions` takes)."""
    n = 0
    v = target
    while v != source:
        n += 1
        v = pred[v]
    return _positions(indptr, indices, np.empty(0, dtype=np.bool_), pred, source, target, n)


@njit(cache=True, nogil=True)
def _positions(indptr: np.ndarray, indices: np.ndarray, dropped: np.ndarray, pred: np.ndarray, source: int,
               target: int, n: int) -> np.ndarray:
    """The `n` CSR positions of the path from `source` to `target` in `pred`: in each row, the first
    entry to the next node that is not `dropped` (an empty `dropped`: none is)."""
    check = len(dropped) > 0
    out = np.empty(n, dtype=np.int64)
    v = target
    k = n - 1
    while v != source:
        u = pred[v]
        pos = -1
        for j in range(indptr[u], indptr[u + 1]):
            if indices[j] == v and not (check and dropped[j]):
                pos = j
                break
        out[k] = pos
        k -= 1
        v = u
    return out


@njit(cache=True, nogil=True)
def _lower_bounds(rindptr: np.ndarray, rtail: np.ndarray, rdata: np.ndarray, targets: np.ndarray,
                  hk: np.ndarray, hv: np.ndarray) -> np.ndarray:
    """Least cost from every node to the nearest target (inf: none reachable), by one Dijkstra over
    the reversed graph (`rindptr`: per head, `rtail` and `rdata` its entries' tails and weights)."""
    n = len(rindptr) - 1
    h = np.full(n, np.inf)
    done = np.zeros(n, dtype=np.bool_)
    size = 0
    for t in targets:
        if h[t] > 0.0:
            h[t] = 0.0
            size = heap_push(hk, hv, size, 0.0, t)
    while size > 0:
        d = hk[0]
        v = hv[0]
        size = heap_pop(hk, hv, size)
        if done[v]:
            continue
        done[v] = True
        for j in range(rindptr[v], rindptr[v + 1]):
            u = rtail[j]
            nd = d + rdata[j]
            if nd < h[u]:
                h[u] = nd
                size = heap_push(hk, hv, size, nd, u)
    return h


@njit(cache=True, nogil=True)
def _relax(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, dropped: np.ndarray, v: int, d: float,
           h: np.ndarray, top: float, dist: np.ndarray, touched: np.ndarray, n_touched: int, hk: np.ndarray,
           hv: np.ndarray, size: int) -> tuple[int, int]:
    """`_guided`'s step from `v` (at cost `d`): (heap size, touched count); size -1 when the heap
    arrays ran out."""
    for j in range(indptr[v], indptr[v + 1]):
        if dropped[j]:
            continue
        w = indices[j]
        hw = h[w]
        if hw == np.inf:
            continue
        nd = d + data[j]
        if nd < dist[w] and nd + hw <= top:
            if size >= len(hk):
                return -1, n_touched
            if dist[w] == np.inf:
                touched[n_touched] = w
                n_touched += 1
            dist[w] = nd
            size = heap_push(hk, hv, size, nd + hw, w)
    return size, n_touched


@njit(cache=True, nogil=True)
def _guided(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, dropped: np.ndarray, source: int,
            is_target: np.ndarray, h: np.ndarray, limit: float, dist: np.ndarray, touched: np.ndarray,
            hk: np.ndarray, hv: np.ndarray) -> float:
    """`_distance`'s number by a search guided by `h`, a lower bound on every node's cost to a target
    (inf: none reachable): a node is met only if its cost plus its bound is within `limit` and the
    best target found, give or take 1e-12 of them, which leaves room for rounding, and a node whose
    cost falls is searched again, so the least is found exactly (the least over the graph's paths,
    each summed from the source, as in every Dijkstra). -1 when the heap arrays ran out (then ask
    `_distance`). Scratch `dist` (inf) is restored."""
    top = limit + limit * 1e-12
    dist[source] = 0.0
    touched[0] = source
    n_touched = 1
    size = heap_push(hk, hv, 0, h[source], source)
    best = np.inf
    while size > 0:
        f = hk[0]
        v = hv[0]
        size = heap_pop(hk, hv, size)
        if f > best + best * 1e-12:
            break
        d = dist[v]
        if d + h[v] < f:  # a stale entry: v was reached more cheaply since
            continue
        if is_target[v]:
            best = min(best, d)
            continue
        size, n_touched = _relax(indptr, indices, data, dropped, v, d, h, top, dist, touched, n_touched,
                                 hk, hv, size)
    for i in range(n_touched):
        dist[touched[i]] = np.inf
    if size < 0:
        return -1.0
    return best if best <= limit else np.inf


Reversed = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # rindptr, tails, weights, entries


def reverse(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> Reversed:
    """The reversed CSR graph: per head, its entries' tails, weights and positions, in their CSR order
    (so a tail's entries into one head are adjacent)."""
    n = len(indptr) - 1
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    order = np.argsort(indices, kind="stable")
    rindptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(indices, minlength=n), out=rindptr[1:])
    return rindptr, rows[order], np.ascontiguousarray(data[order], dtype=np.float64), order.astype(np.int64)


@njit(cache=True, nogil=True)
def _settle(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, dropped: np.ndarray, source: int,
            is_target: np.ndarray, dist: np.ndarray, done: np.ndarray, pred: np.ndarray, touched: np.ndarray,
            hk: np.ndarray, hv: np.ndarray) -> tuple[float, int]:
    """Dijkstra from `source` over entries not `dropped` until every node no dearer than the nearest
    target is settled (their `dist` final, `pred` one of their cheapest in-neighbours): (that cost or
    inf, nodes touched, listed in `touched`). The caller restores `dist` and `done`."""
    n_touched = 1
    dist[source] = 0.0
    touched[0] = source
    size = heap_push(hk, hv, 0, 0.0, source)
    best = np.inf
    while size > 0:
        d = hk[0]
        if d > best:
            break
        v = hv[0]
        size = heap_pop(hk, hv, size)
        if done[v]:
            continue
        done[v] = True
        if is_target[v] and d < best:
            best = d
        for j in range(indptr[v], indptr[v + 1]):
            if dropped[j]:
                continue
            w = indices[j]
            nd = d + data[j]
            if nd < dist[w]:
                if dist[w] == np.inf:
                    touched[n_touched] = w
                    n_touched += 1
                dist[w] = nd
                pred[w] = v
                size = heap_push(hk, hv, size, nd, w)
    return best, n_touched


@njit(cache=True, nogil=True)
def _settle_guided(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, dropped: np.ndarray,
                   source: int, is_target: np.ndarray, h: np.ndarray, dist: np.ndarray, pred: np.ndarray,
                   touched: np.ndarray, hk: np.ndarray, hv: np.ndarray) -> tuple[float, int]:
    """`_settle` guided by `h` (as `_guided` is): every node on a cheapest path to a target, and every
    node that ties with one on it, ends with its least cost (they are within the bound plus 1e-12 of
    the answer, and a node whose cost falls is searched again), the others with their cost or more
    (so no tie is made up). (the least cost to a target or inf, nodes touched); nodes touched -1 when
    the heap arrays ran out. The caller restores `dist`."""
    cap = len(hk)
    n_touched = 1
    dist[source] = 0.0
    touched[0] = source
    size = heap_push(hk, hv, 0, h[source], source)
    best = np.inf
    while size > 0:
        f = hk[0]
        if f > best + best * 1e-12:
            break
        v = hv[0]
        size = heap_pop(hk, hv, size)
        d = dist[v]
        if d + h[v] < f:  # stale
            continue
        if is_target[v] and d < best:
            best = d
        for j in range(indptr[v], indptr[v + 1]):
            if dropped[j]:
                continue
            w = indices[j]
            hw = h[w]
            nd = d + data[j]
            if hw == np.inf or not nd < dist[w]:
                continue
            if size >= cap:
                return best, -n_touched
            if dist[w] == np.inf:
                touched[n_touched] = w
                n_touched += 1
            dist[w] = nd
            pred[w] = v
            size = heap_push(hk, hv, size, nd + hw, w)
    return best, n_touched


@njit(cache=True, nogil=True)
def _one_way(v: int, source: int, dist: np.ndarray, dropped: np.ndarray, is_start: np.ndarray,
             rindptr: np.ndarray, rtail: np.ndarray, rdata: np.ndarray, rentry: np.ndarray) -> int:
    """The one node that leads to `v` at its cost (the super-source, by a zero-cost entry, to the
    origin's starts; the body's entries not `dropped` to every node), or -1 when none or several do."""
    d = dist[v]
    one = source if is_start[v] and d == 0.0 else -1
    for k in range(rindptr[v], rindptr[v + 1]):
        u = rtail[k]
        if u != one and not dropped[rentry[k]] and dist[u] + rdata[k] == d:
            if one >= 0:
                return -1
            one = u
    return one


@njit(cache=True, nogil=True)
def _trace_kept(indptr: np.ndarray, indices: np.ndarray, dropped: np.ndarray, pred: np.ndarray, source: int,
                target: int, dist: np.ndarray, is_start: np.ndarray, rindptr: np.ndarray, rtail: np.ndarray,
                rdata: np.ndarray, rentry: np.ndarray) -> np.ndarray:
    """`trace` over the entries not `dropped` (each step the first such entry joining the two nodes),
    or an empty array when a node on the path has two cheapest in-neighbours (a tie some other search
    may break the other way), or its predecessor is not the one."""
    n = 0
    v = target
    while v != source:
        if _one_way(v, source, dist, dropped, is_start, rindptr, rtail, rdata, rentry) != pred[v]:
            return np.empty(0, dtype=np.int64)
        n += 1
        v = pred[v]
    return _positions(indptr, indices, dropped, pred, source, target, n)


class Distances:
    """Repeated least-cost queries on one CSR graph (a search graph's arrays), each dropping some
    entries; scratch arrays are kept between queries."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, source: int,
                 targets: np.ndarray, reversed_graph: Reversed | None = None) -> None:
        n = len(indptr) - 1
        self.indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(indices, dtype=np.int64)
        self.data = np.ascontiguousarray(data, dtype=np.float64)
        self.source = int(source)
        self.is_target = np.zeros(n, dtype=np.bool_)
        self.is_target[np.asarray(targets, dtype=np.int64)] = True
        self.dropped = np.zeros(len(indices), dtype=np.bool_)
        self._dist = np.full(n, np.inf)
        self._done = np.zeros(n, dtype=np.bool_)
        self._touched = np.empty(n, dtype=np.int64)
        self._hk = np.empty(len(indices) + 1)
        self._hv = np.empty(len(indices) + 1, dtype=np.int64)
        self._reversed = reversed_graph  # the graph reversed (`reverse`), less the source's row: or no guide
        self._targets = np.asarray(targets, dtype=np.int64)
        self._h: np.ndarray | None = None
        self._pred = np.empty(n, dtype=np.int64)
        self._is_start = np.zeros(n, dtype=np.bool_)
        self._is_start[self.indices[self.indptr[self.source]:self.indptr[self.source + 1]]] = True

    def route(self, drop: np.ndarray) -> tuple[float, np.ndarray | None] | None:
        """The cheapest path to a target without the entries `drop`, as scipy's whole tree gives it
        (`search.nearest`: the first of the targets at the least cost, and the path its predecessors
        trace): (cost, CSR positions); None when no target is reached; (cost, None) when a node on the
        path has two cheapest in-neighbours, where scipy's search may keep the other (then ask it).
        Needs the reversed graph (`reverse`)."""
        assert self._reversed is not None
        rindptr, rtail, rdata, rentry = self._reversed
        self.dropped[drop] = True
        dist, done, touched = self._dist, self._done, self._touched
        n_touched = 0
        try:
            best = np.inf
            if self._h is not None:  # repairs met: each node's bound to the destination is known
                best, n_touched = _settle_guided(self.indptr, self.indices, self.data, self.dropped,
                                                 self.source, self.is_target, self._h, dist, self._pred,
                                                 touched, self._ghk, self._ghv)
                if n_touched < 0:  # the heap arrays ran out: the plain search
                    dist[touched[:-n_touched]] = np.inf
                    n_touched = 0
            if self._h is None or n_touched == 0:
                best, n_touched = _settle(self.indptr, self.indices, self.data, self.dropped, self.source,
                                          self.is_target, dist, done, self._pred, touched, self._hk, self._hv)
            if best == np.inf:
                return None
            target = int(self._targets[np.flatnonzero(dist[self._targets] == best)[0]])
            pos = _trace_kept(self.indptr, self.indices, self.dropped, self._pred, self.source, target, dist,
                              self._is_start, rindptr, rtail, rdata, rentry)
            return float(best), (pos if len(pos) else None)
        finally:
            self.dropped[drop] = False
            t = touched[:n_touched]
            dist[t] = np.inf
            done[t] = False

    def _guide(self) -> np.ndarray | None:
        """Each node's least cost to a target in the whole graph, shaved by 1e-9 of it (so rounding
        never lifts it above a path's cost): no search that drops entries finds less."""
        if self._h is None and self._reversed is not None:
            rindptr, rtail, rdata, _ = self._reversed
            hk = np.empty(len(rtail) + len(self._targets) + 1)
            hv = np.empty(len(hk), dtype=np.int64)
            h = _lower_bounds(rindptr, rtail, rdata, self._targets, hk, hv)
            h = h * (1.0 - 1e-9)
            h[self.source] = 0.0  # the super-source's row is not in the reversed graph
            self._h = h
            self._ghk = np.empty(4 * (len(self.indices) + 1))
            self._ghv = np.empty(len(self._ghk), dtype=np.int64)
        return self._h

    def least(self, drop: np.ndarray, limit: float = np.inf) -> float:
        """The least cost to a target without the entries `drop` (indices), or inf past `limit`."""
        self.dropped[drop] = True
        try:
            h = self._guide()
            if h is not None:
                c = float(_guided(self.indptr, self.indices, self.data, self.dropped, self.source,
                                  self.is_target, h, limit, self._dist, self._touched, self._ghk, self._ghv))
                if c >= 0.0:
                    return c
            return float(_distance(self.indptr, self.indices, self.data, self.dropped, self.source,
                                   self.is_target, limit, self._dist, self._done, self._touched, self._hk,
                                   self._hv))
        finally:
            self.dropped[drop] = False
