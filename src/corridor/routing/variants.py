"""The k best variants of a route: the best way through each gateway, from two shortest-path trees.

A family's best route answers "which corridor"; shippers also choose the port, the crossing and the
branch within it (Aktau, Kuryk or Turkmenbashi across the Caspian; Poti, Batumi or the Türkiye rail
branch to the west; Dostyk or Khorgos into Kazakhstan). The best route through one edge `e` costs
dist(origin → e's tail) + w(e) + dist(e's head → destination): with a tree from the origin and one
into the destination (two Dijkstra searches), every gateway's best variant is known at once. The
gateways are the family's signature links (its ferries, sea lanes or entries by land) and the
transit or transshipment edges of ports and border crossings. Variants are taken cheapest first,
skipping those that repeat a route already taken or pass a place twice, up to `k` and within
`detour` of the best (a share of its cost: a variant dearer than that is no real option).

What this misses: a variant that differs only between gateways (two rail lines between the same
border crossings), and second-best ways through the same gateway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from ..network.graph import LINK, TRANSIT, TRANSSHIP
from ..network.tables import Network
from .query import Query, WorldView

DETOUR = 0.3  # a variant may cost at most 30% more than the best route (flownet uses 50% of length)


def gateway_edges(net: Network, signature: np.ndarray) -> np.ndarray:
    """Compiled edges that make a variant: links marked in `signature` (one per link), and the
    transit or transshipment edges of ports and border crossings."""
    g = net.graph
    kind = net.nodes["kind"].to_numpy()
    li, ni = np.maximum(g.link, 0), np.maximum(g.node, 0)
    through = (g.kind == TRANSIT) | (g.kind == TRANSSHIP)
    at_gateway = through & np.isin(kind[ni], ("port", "border_crossing"))
    return np.flatnonzero(((g.kind == LINK) & signature[li]) | at_gateway)


def variants(net: Network, q: Query, signature: np.ndarray, *, k: int = 3,
             detour: float = DETOUR, view: WorldView | None = None) -> list[tuple[float, list[int]]]:
    """Up to `k` (cost, compiled edges) of distinct simple routes for `q`, each the best through one
    gateway, cheapest first, none dearer than (1 + detour) × the best. The query's via groups are
    ignored: `q.mask` must already keep the route to its family (other families' links masked).

    With `view` (the world's, which holds `q`'s weights and mask), the family's graph, its reverse and
    its gateway edges are kept there for the next OD pair."""
    g = net.graph
    fam = _family_graph(net, q, signature, view)
    starts, ends = g.starts(q.origin), g.ends(q.destination)
    if not len(starts) or not len(ends):
        return []
    t_from, t_to = fam.tree_from(net, starts), fam.tree_into(net, ends)
    cand = fam.cand
    cost = t_from.dist[g.src[cand]] + q.weights[cand] + t_to.dist[g.dst[cand]]
    ok = np.isfinite(cost)
    cand, cost = cand[ok], cost[ok]
    if not len(cand):
        return []
    order = np.argsort(cost, kind="stable")
    limit = cost[order[0]] * (1.0 + detour) + 1e-9
    order = order[cost[order] <= limit]
    lists = _lists(net)
    found: list[tuple[float, list[int]]] = []
    seen: set[tuple[int, ...]] = set()
    for i in order.tolist():
        if len(found) >= k:
            break
        e = int(cand[i])
        edges = [*t_from.path(lists.src[e]), lists.edge.get((lists.src[e], lists.dst[e]), -1),
                 *t_to.path(lists.dst[e])]
        if -1 in edges:  # a step that is no compiled edge (cannot happen on a tree of the graph)
            continue
        key = tuple(edges)
        if key in seen or not _simple(lists, edges):
            continue
        seen.add(key)
        found.append((float(cost[i]), edges))
    return found


@dataclass(frozen=True)
class _Tree:
    """A shortest-path tree (from an origin's starts, or into a destination's ends): distances,
    predecessors, and per virtual node the compiled edge joining it to its parent (see `_tree_edges`);
    the paths read off it so far, by their node (the next OD pair of its origin or destination asks for
    many of them again)."""

    dist: np.ndarray
    pred: np.ndarray
    edges: np.ndarray
    forward: bool
    paths: dict[int, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    def path(self, v: int) -> tuple[int, ...]:
        """The tree's compiled edges between its root and `v`, in route order."""
        hit = self.paths.get(v)
        if hit is None:
            out = _path_edges(self.pred, self.edges, v)
            hit = tuple(out[::-1]) if self.forward else tuple(out)
            self.paths[v] = hit
        return hit


_INTO = 24  # trees into destinations kept per family graph


class _FamilyGraph:
    """A family's masked graph, its reverse and the gateway edges it keeps, with the tree from the
    origin asked last and those into the last `_INTO` destinations: the OD pairs of one origin (or
    into one destination) share them."""

    def __init__(self, fwd: csr_matrix, rev: csr_matrix, cand: np.ndarray) -> None:
        self.fwd, self.rev, self.cand = fwd, rev, cand
        self._from: tuple[tuple[int, ...], _Tree] | None = None
        self._into: dict[tuple[int, ...], _Tree] = {}

    def tree_from(self, net: Network, starts: np.ndarray) -> _Tree:
        key = tuple(starts.tolist())
        kept = self._from  # read once: another thread may replace it
        if kept is None or kept[0] != key:
            kept = (key, _search(net, self.fwd, starts, forward=True))
            self._from = kept
        return kept[1]

    def tree_into(self, net: Network, ends: np.ndarray) -> _Tree:
        key = tuple(ends.tolist())
        tree = self._into.get(key)
        if tree is None:
            tree = _search(net, self.rev, ends, forward=False)
            if len(self._into) >= _INTO:
                self._into.pop(next(iter(self._into)), None)  # the oldest
            self._into[key] = tree
        return tree


def _search(net: Network, mat: csr_matrix, roots: np.ndarray, *, forward: bool) -> _Tree:
    dist, pred, _ = dijkstra(mat, directed=True, indices=roots, min_only=True, return_predecessors=True)
    return _Tree(dist, pred, _tree_edges(net, pred, forward), forward)


def _family_graph(net: Network, q: Query, signature: np.ndarray, view: WorldView | None) -> _FamilyGraph:
    """The masked graph, its reverse and the gateway edges it keeps; kept on `view` for the same
    weights, mask and signature (the next OD pair's query shares them, and their trees)."""
    def build() -> _FamilyGraph:
        g = net.graph
        keep = q.mask & np.isfinite(q.weights)
        n = g.n_vnodes
        fwd = csr_matrix((q.weights[keep], (g.src[keep], g.dst[keep])), shape=(n, n))
        cand = gateway_edges(net, signature)
        return _FamilyGraph(fwd, fwd.T.tocsr(), cand[keep[cand]])

    if view is None:
        return build()
    return view.memo("routing.variants", (q.weights, q.mask, signature), build)


@dataclass(frozen=True)
class _Lists:
    """The compiled graph as Python lists (a loop over a route's few edges is faster on lists)."""

    src: list[int]
    dst: list[int]
    is_link: list[bool]
    from_node: list[int]
    to_node: list[int]
    edge: dict[tuple[int, int], int]  # (tail, head) virtual nodes -> the first compiled edge joining them


def _lists(net: Network) -> _Lists:
    key = "routing.variants.lists"
    if key not in net.cache:
        g = net.graph
        src, dst = g.src.tolist(), g.dst.tolist()
        edge: dict[tuple[int, int], int] = {}
        for e, pair in enumerate(zip(src, dst, strict=True)):
            edge.setdefault(pair, e)
        net.cache[key] = _Lists(src, dst, (g.kind == LINK).tolist(), g.from_node.tolist(), g.to_node.tolist(),
                                edge)
    return net.cache[key]


def _tree_edges(net: Network, pred: np.ndarray, forward: bool) -> np.ndarray:
    """Per virtual node, the compiled edge joining it to its tree parent (from the parent in a tree
    from the origin, to it in a tree into the destination): the first compiled edge between the two
    virtual nodes; -1 at a root or an unreached node."""
    keys, ids = _edge_index(net)
    n = len(pred)
    v = np.arange(n, dtype=np.int64)
    p = pred.astype(np.int64)
    has = p >= 0
    a = np.where(forward, p * n + v, v * n + p)[has]
    pos = np.minimum(np.searchsorted(keys, a), len(keys) - 1)
    out = np.full(n, -1, dtype=np.int64)
    out[has] = np.where(keys[pos] == a, ids[pos], -1)
    return out


def _path_edges(pred: np.ndarray, tree_edge: np.ndarray, v: int) -> list[int]:
    """The tree's edges from `v` back to its root (the edge at v first)."""
    out = []
    p = pred.item(v)
    while p >= 0:
        out.append(tree_edge.item(v))
        v, p = p, pred.item(p)
    return out


def _edge_index(net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Sorted tail * n + head of every compiled edge, and the edge of each (the first of equal keys)."""
    key = "variants.edge_index"
    if key not in net.cache:
        g = net.graph
        k = g.src.astype(np.int64) * g.n_vnodes + g.dst
        order = np.argsort(k, kind="stable")
        net.cache[key] = (k[order], order)
    return net.cache[key]


def _simple(lists: _Lists, edges: list[int]) -> bool:
    """No place passed twice (an out-and-back to pick up a gateway is no real option)."""
    links = [e for e in edges if lists.is_link[e]]
    visited = [lists.from_node[links[0]]] if links else []
    visited += [lists.to_node[e] for e in links]
    return len(set(visited)) == len(visited)
