"""The cost of the best path to any target, compiled (Numba): what a repair search needs of a candidate
it may never pop.

`compare`'s repair search (`itineraries.best_simple_route`) orders candidates by cost and follows
only the few it pops. A candidate's cost does not depend on how a search breaks ties: every
Dijkstra computes the same distances (each is the least of its in-neighbours' distance plus the
edge, and floating-point addition is monotone), so this search, which drops CSR entries by a mask
instead of building a graph and stops at the first target it settles, gives the very number
scipy's would. The route itself (which of equal-cost paths) is still found by scipy, and only for
the candidates that are popped.

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
    out = np.empty(n, dtype=np.int64)
    v = target
    k = n - 1
    while v != source:
        u = pred[v]
        pos = -1
        for j in range(indptr[u], indptr[u + 1]):
            if indices[j] == v:
                pos = j
                break
        out[k] = pos
        k -= 1
        v = u
    return out


class Distances:
    """Repeated least-cost queries on one CSR graph (a search graph's arrays), each dropping some
    entries; scratch arrays are kept between queries."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, source: int,
                 targets: np.ndarray) -> None:
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

    def least(self, drop: np.ndarray, limit: float = np.inf) -> float:
        """The least cost to a target without the entries `drop` (indices), or inf past `limit`."""
        self.dropped[drop] = True
        try:
            return float(_distance(self.indptr, self.indices, self.data, self.dropped, self.source,
                                   self.is_target, limit, self._dist, self._done, self._touched, self._hk,
                                   self._hv))
        finally:
            self.dropped[drop] = False
