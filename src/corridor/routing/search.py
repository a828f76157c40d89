"""Search machinery on CSR arrays: layered graphs, early-stopping Dijkstra, Yen's k paths.

Constraints that a route must *use* something (a via place, a corridor family's
signature link) are solved exactly with a layered graph: the constraint's edges
lead to the next layer. Searches run on CSR arrays with scipy's Dijkstra.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, dijkstra


@dataclass
class SearchGraph:
    """A (possibly layered) CSR graph with one super-source and a set of targets.

    `eid` maps each CSR entry back to its base edge (-1 for the source's edges).
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    eid: np.ndarray
    n: int
    source: int
    targets: np.ndarray
    first_limit: float = np.inf  # a guess at the answer's cost, to stop Dijkstra early
    _rows: np.ndarray | None = field(default=None, init=False, repr=False)  # CSR row of each entry

    def matrix(self, data: np.ndarray | None = None) -> csr_matrix:
        return csr_matrix((self.data if data is None else data, self.indices, self.indptr),
                          shape=(self.n, self.n), copy=False)

    def without(self, drop: np.ndarray, first_limit: float | None = None) -> SearchGraph:
        """The same graph less the CSR entries `drop` (indices): exactly what building it with those
        edges masked gives (entries keep their order), at the cost of one compress, not a rebuild."""
        keep = np.ones(len(self.indices), dtype=bool)
        keep[drop] = False
        if self._rows is None:
            self._rows = np.repeat(np.arange(self.n, dtype=np.int32), np.diff(self.indptr))
        rows = self._rows
        indptr = np.zeros(self.n + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows[keep], minlength=self.n), out=indptr[1:])
        return SearchGraph(indptr, self.indices[keep], self.data[keep], self.eid[keep], self.n, self.source,
                           self.targets, self.first_limit if first_limit is None else first_limit)

    def positions(self, nodes: Sequence[int]) -> np.ndarray:
        """CSR positions of the edges joining consecutive `nodes` (vectorised row scan)."""
        u = np.asarray(nodes[:-1], dtype=np.int64)
        v = np.asarray(nodes[1:], dtype=np.int64)
        start, length = self.indptr[u].astype(np.int64), np.diff(self.indptr)[u].astype(np.int64)
        row = np.repeat(np.arange(len(u)), length)
        flat = np.repeat(start - np.cumsum(length) + length, length) + np.arange(length.sum())
        hit = self.indices[flat] == v[row]
        first = np.full(len(u), -1, dtype=np.int64)
        rows_hit = row[hit][::-1]
        first[rows_hit] = flat[hit][::-1]  # reversed so the first match wins
        return first


def build_search_graph(
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    mask: np.ndarray,
    n: int,
    groups: Sequence[np.ndarray] = (),
    starts: np.ndarray | None = None,
    ends: np.ndarray | None = None,
    first_limit: float = np.inf,
) -> SearchGraph:
    """CSR of the masked graph, with one layer more than there are `groups`.

    A path in layer i moves to layer i+1 only over an edge of groups[i], so a path
    from the first layer to the last uses the groups in order (via A, then via B).
    `src` must be sorted (the compiled graph is), so no sort is needed here: each
    layer's block stays sorted. The super-source (last node) leads to `starts` in
    the first layer; the targets are `ends` in the last layer.
    """
    return layered(src, dst, weight, mask, n, groups).search_graph(starts, ends, first_limit)


@dataclass(frozen=True)
class Layered:
    """The layered graph without its endpoints: the super-source's row (the last) is empty, so a
    question's endpoints are appended, not built in (one body serves every OD pair of a world)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    eid: np.ndarray
    n: int  # nodes per layer
    n_layers: int

    def search_graph(self, starts: np.ndarray | None = None, ends: np.ndarray | None = None,
                     first_limit: float = np.inf) -> SearchGraph:
        starts = np.asarray(starts if starts is not None else [], dtype=np.int64)
        ends = np.asarray(ends if ends is not None else [], dtype=np.int64)
        total = len(self.indptr) - 1
        indptr = self.indptr.copy()
        indptr[-1] += len(starts)
        return SearchGraph(indptr, np.concatenate([self.indices, starts.astype(np.int32)]),
                           np.concatenate([self.data, np.zeros(len(starts))]),
                           np.concatenate([self.eid, np.full(len(starts), -1, dtype=self.eid.dtype)]),
                           total, total - 1, ends + (self.n_layers - 1) * self.n, first_limit)


def layered(src: np.ndarray, dst: np.ndarray, weight: np.ndarray, mask: np.ndarray, n: int,
            groups: Sequence[np.ndarray] = ()) -> Layered:
    """The body of `build_search_graph`: its layers, and an empty row for the super-source."""
    keep = np.flatnonzero(mask & np.isfinite(weight))
    m = len(groups)
    n_layers = m + 1
    src_k, dst_k = src[keep], dst[keep]
    s_parts, d_parts = [], []
    for layer in range(n_layers):
        step = groups[layer][keep].astype(np.int64) if layer < m else 0
        s_parts.append(src_k + layer * n)
        d_parts.append(dst_k + (layer + step) * n)
    s = np.concatenate(s_parts)
    d = np.concatenate(d_parts)
    w = np.tile(weight[keep], n_layers)
    e = np.tile(keep, n_layers)
    total = n * n_layers + 1
    indptr = np.zeros(total + 1, dtype=np.int32)
    np.cumsum(np.bincount(s, minlength=total), out=indptr[1:])
    return Layered(indptr, d.astype(np.int32), np.ascontiguousarray(w, dtype=float), e, n, n_layers)


def _path(pred: np.ndarray, source: int, target: int) -> list[int]:
    p = pred.tolist()
    nodes = [target]
    while nodes[-1] != source:
        nodes.append(p[nodes[-1]])
    return nodes[::-1]


# reads CSR positions off a predecessor array: (indptr, indices, pred, source, target) -> positions
Trace = Callable[[np.ndarray, np.ndarray, np.ndarray, int, int], np.ndarray]


def shortest_path(sg: SearchGraph, source: int | None = None, data: np.ndarray | None = None,
                  *, limit: float = np.inf, trace: Trace | None = None) -> tuple[float, list[int]] | None:
    """(cost, CSR positions) of the cheapest path from `source` to any target, or None.

    Dijkstra stops at `limit`; with no limit given it starts from the graph's
    first guess and doubles it, which explores only the ball the answer needs.
    `trace(indptr, indices, pred, source, target)` may read the positions off the predecessors
    instead of `_path` and `SearchGraph.positions` (the same: the first entry joining each pair).
    """
    source = sg.source if source is None else source
    mat = sg.matrix(data)
    tried = limit if np.isfinite(limit) else min(sg.first_limit, np.inf)
    unbounded = np.inf
    if np.isfinite(tried) and not np.isfinite(limit):
        # a growing limit never ends well if no target is reachable: check that first
        if data is None and not np.isin(sg.targets, breadth_first_order(
                mat, source, directed=True, return_predecessors=False)).any():
            return None
        unbounded = _unbounded(sg)
    while True:
        dist, pred = _dijkstra(mat, source, tried)
        hit = nearest(sg, dist, pred, source, trace)
        if hit is not None:
            return hit
        if tried >= limit or not np.isfinite(tried):
            return None
        tried = tried * 4 if tried * 4 < unbounded else np.inf


def tree(sg: SearchGraph, source: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(distances, predecessors) of the whole shortest-path tree from `source` (the graph's own by
    default): what `shortest_path` with no limit and no first guess searches, for every target at once
    (the graph's targets do not enter the search, so one tree answers each destination)."""
    return _dijkstra(sg.matrix(), sg.source if source is None else source, np.inf)


def _dijkstra(mat: csr_matrix, source: int, limit: float) -> tuple[np.ndarray, np.ndarray]:
    # scipy-stubs take `indices` as an array only; scipy takes one int (and gives 1-D rows)
    return dijkstra(mat, directed=True, indices=source,  # type: ignore[call-overload]
                    return_predecessors=True, limit=limit)


def nearest(sg: SearchGraph, dist: np.ndarray, pred: np.ndarray, source: int | None = None,
            trace: Trace | None = None) -> tuple[float, list[int]] | None:
    """(cost, CSR positions) of the path in a search tree (`dist`, `pred` from `source`) to the
    cheapest of the graph's targets (the first of equal ones), or None when none was reached."""
    source = sg.source if source is None else source
    dt = dist[sg.targets]
    j = int(np.argmin(dt)) if len(dt) else -1
    if j < 0 or not np.isfinite(dt[j]):
        return None
    target = int(sg.targets[j])
    if trace is not None:
        return float(dt[j]), trace(sg.indptr, sg.indices, pred, source, target).tolist()
    nodes = _path(pred, source, target)
    return float(dt[j]), sg.positions(nodes).tolist()


def _unbounded(sg: SearchGraph) -> float:
    """Past this cost bound a limited search is no cheaper than an unlimited one."""
    return float(sg.data[np.isfinite(sg.data)].sum()) + 1.0


def k_shortest_paths(sg: SearchGraph, *, max_paths: int = 100,
                     k: int | None = None) -> Iterable[tuple[float, list[int]]]:
    """Yen's loopless k-shortest paths, lazily, cheapest first (positions in CSR).

    With `k`, spur searches are cut at the cost of the k-th best candidate so far,
    since no costlier path can make the top k.
    """
    first = shortest_path(sg)
    if first is None:
        return
    found: list[list[int]] = [first[1]]
    yield first
    yen = _Yen(sg, k, {tuple(first[1])})
    while len(found) < max_paths:
        yen.spur(found)
        if not yen.heap or (k is not None and len(found) >= k):
            return
        cost, _, cand = heapq.heappop(yen.heap)
        found.append(list(cand))
        yield cost, list(cand)


@dataclass
class _Yen:
    """Yen's candidates: each path found so far spurs from each of its nodes; cheapest first."""

    sg: SearchGraph
    k: int | None
    seen: set[tuple[int, ...]]
    heap: list[tuple[float, int, tuple[int, ...]]] = field(default_factory=list)
    counter: int = 0

    def _bound(self, need: int | None) -> float:
        """The cost of the `need`-th best candidate (inf while there are fewer): no dearer path is
        among the k best."""
        if need is not None and need > 0 and len(self.heap) >= need:
            return float(heapq.nsmallest(need, self.heap)[-1][0])
        return np.inf

    def spur(self, found: list[list[int]]) -> None:
        """The candidates that leave the last path found at each of its nodes."""
        sg = self.sg
        prev = found[-1]
        prev_nodes = [sg.source] + [int(sg.indices[p]) for p in prev]
        need = None if self.k is None else self.k - len(found)
        bound = self._bound(need)
        root_cost = 0.0
        for i in range(len(prev)):
            if i:
                root_cost += sg.data[prev[i - 1]]
            if root_cost >= bound:
                break
            root = prev[:i]
            data = sg.data.copy()
            for p in found:
                if len(p) > i and p[:i] == root:
                    data[p[i]] = np.inf
            for node in prev_nodes[:i]:
                data[sg.indptr[node]:sg.indptr[node + 1]] = np.inf
            hit = shortest_path(sg, prev_nodes[i], data, limit=bound - root_cost)
            if hit is None:
                continue
            cand = tuple(root + hit[1])
            if cand in self.seen:
                continue
            self.seen.add(cand)
            self.counter += 1
            heapq.heappush(self.heap, (float(sg.data[list(cand)].sum()), self.counter, cand))
            bound = min(bound, self._bound(need))
