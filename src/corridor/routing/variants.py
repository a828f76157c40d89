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

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from ..network.graph import LINK, TRANSIT, TRANSSHIP
from ..network.tables import Network
from .query import Query

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
             detour: float = DETOUR) -> list[tuple[float, list[int]]]:
    """Up to `k` (cost, compiled edges) of distinct simple routes for `q`, each the best through one
    gateway, cheapest first, none dearer than (1 + detour) × the best. The query's via groups are
    ignored: `q.mask` must already keep the route to its family (other families' links masked)."""
    g = net.graph
    keep = q.mask & np.isfinite(q.weights)
    n = g.n_vnodes
    fwd = csr_matrix((q.weights[keep], (g.src[keep], g.dst[keep])), shape=(n, n))
    starts, ends = g.starts(q.origin), g.ends(q.destination)
    if not len(starts) or not len(ends):
        return []
    d_from, p_from, _ = dijkstra(fwd, directed=True, indices=starts, min_only=True, return_predecessors=True)
    d_to, p_to, _ = dijkstra(fwd.T.tocsr(), directed=True, indices=ends, min_only=True,
                             return_predecessors=True)
    cand = gateway_edges(net, signature)
    cand = cand[keep[cand]]
    cost = d_from[g.src[cand]] + q.weights[cand] + d_to[g.dst[cand]]
    ok = np.isfinite(cost)
    cand, cost = cand[ok], cost[ok]
    if not len(cand):
        return []
    order = np.argsort(cost, kind="stable")
    limit = cost[order[0]] * (1.0 + detour) + 1e-9
    found: list[tuple[float, list[int]]] = []
    seen: set[tuple[int, ...]] = set()
    for i in order:
        if cost[i] > limit or len(found) >= k:
            break
        e = int(cand[i])
        path = _back(p_from, int(g.src[e]))[::-1] + _back(p_to, int(g.dst[e]))
        edges = _edges(net, path)
        if edges is None or tuple(edges) in seen or not _simple(net, edges):
            continue
        seen.add(tuple(edges))
        found.append((float(cost[i]), edges))
    return found


def _back(pred: np.ndarray, v: int) -> list[int]:
    """The tree's path from `v` back to its root (v first)."""
    out = [v]
    while pred[out[-1]] >= 0:
        out.append(int(pred[out[-1]]))
    return out


def _edges(net: Network, vnodes: list[int]) -> list[int] | None:
    """The compiled edges joining consecutive virtual nodes (one edge per ordered pair)."""
    keys, ids = _edge_index(net)
    n = net.graph.n_vnodes
    a = np.asarray(vnodes[:-1], dtype=np.int64) * n + np.asarray(vnodes[1:], dtype=np.int64)
    pos = np.searchsorted(keys, a)
    if np.any(pos >= len(keys)) or np.any(keys[np.minimum(pos, len(keys) - 1)] != a):
        return None
    return ids[pos].tolist()


def _edge_index(net: Network) -> tuple[np.ndarray, np.ndarray]:
    key = "variants.edge_index"
    if key not in net.cache:
        g = net.graph
        k = g.src.astype(np.int64) * g.n_vnodes + g.dst
        order = np.argsort(k, kind="stable")
        net.cache[key] = (k[order], order)
    return net.cache[key]


def _simple(net: Network, edges: list[int]) -> bool:
    """No place passed twice (an out-and-back to pick up a gateway is no real option)."""
    g = net.graph
    e = np.asarray(edges, dtype=np.int64)
    links = e[g.kind[e] == LINK]
    visited = np.concatenate([g.from_node[links[:1]], g.to_node[links]])
    return len(np.unique(visited)) == len(visited)
