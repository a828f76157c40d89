"""Shortest and k-shortest routes on the compiled graph, under a policy.

Constraints that a route must *use* something (a via place, a corridor family's
signature link) are solved exactly with a layered graph: one copy of the graph
per subset of constraints met, with the constraint's edges leading to the next
layer. Searches run on CSR arrays with scipy's Dijkstra; Yen's algorithm gives
the k best loopless alternatives, filtered so that no two routes overlap more
than `max_overlap` of their length.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, dijkstra

from .cost import OBJECTIVES, edge_weights
from .errors import CorridorError, NoRouteError
from .families import classify
from .network import _GEOD, LINK, TRANSIT, TRANSSHIP, CompiledGraph, Network
from .policy import Policy

# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class Leg:
    """One step of a route: a link, or a stop at a node (border dwell or transshipment)."""

    from_id: str
    to_id: str
    from_name: str
    to_name: str
    mode: str  # rail, road, ferry, sea, transfer (dwell/transship at a node)
    km: float
    hours: float
    usd: float
    co2_kg: float
    kind: str  # link, dwell, transship
    link_id: str | None = None
    gauge: int | None = None
    from_country: str = ""
    to_country: str = ""
    detail: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["from"] = d.pop("from_name")
        d["to"] = d.pop("to_name")
        return d


@dataclass(frozen=True)
class Route:
    """A route with its totals; every total is the sum of its legs."""

    origin: str
    destination: str
    corridor: str
    objective: str
    objective_value: float
    legs: tuple[Leg, ...]
    nodes: tuple[str, ...]
    countries: tuple[str, ...]
    borders: int
    transshipments: int
    sources: tuple[str, ...] = ()
    gateways: tuple[str, ...] = ()  # node ids of border crossings, ports and transshipments
    gateway_names: tuple[str, ...] = ()

    @property
    def hours(self) -> float:
        return float(sum(leg.hours for leg in self.legs))

    @property
    def days(self) -> float:
        return self.hours / 24.0

    @property
    def usd_per_teu(self) -> float:
        return float(sum(leg.usd for leg in self.legs))

    @property
    def co2_kg_per_teu(self) -> float:
        return float(sum(leg.co2_kg for leg in self.legs))

    @property
    def km(self) -> float:
        return float(sum(leg.km for leg in self.legs))

    @property
    def link_ids(self) -> tuple[str, ...]:
        return tuple(leg.link_id for leg in self.legs if leg.link_id)

    def summary(self) -> dict:
        return {
            "corridor": self.corridor,
            "origin": self.origin,
            "destination": self.destination,
            "days": round(self.days, 2),
            "hours": round(self.hours, 1),
            "usd_per_teu": round(self.usd_per_teu, 0),
            "co2_kg_per_teu": round(self.co2_kg_per_teu, 1),
            "km": round(self.km, 0),
            "borders": self.borders,
            "transshipments": self.transshipments,
            "countries": list(self.countries),
            "via": list(self.gateway_names),
            "objective": self.objective,
            "objective_value": round(self.objective_value, 2),
        }

    def to_dict(self) -> dict:
        d = self.summary()
        d["legs"] = [leg.to_dict() for leg in self.legs]
        d["nodes"] = list(self.nodes)
        d["sources"] = list(self.sources)
        return d

    def to_frame(self) -> pd.DataFrame:
        """One row per leg."""
        return pd.DataFrame([leg.to_dict() for leg in self.legs])


@dataclass(frozen=True)
class RouteSet:
    """The k best routes between two places under one policy."""

    origin: str
    destination: str
    objective: str
    policy: Policy
    routes: tuple[Route, ...]
    via: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "origin": self.origin,
            "destination": self.destination,
            "objective": self.objective,
            "policy": self.policy.to_dict(),
            "via": list(self.via),
            "routes": [r.to_dict() for r in self.routes],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per route."""
        rows = []
        for rank, r in enumerate(self.routes, 1):
            s = r.summary()
            s["countries"] = "-".join(s["countries"])
            s["via"] = " > ".join(s["via"])
            rows.append({"rank": rank, **s})
        return pd.DataFrame(rows)


# ------------------------------------------------------------------ search machinery


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

    def matrix(self, data: np.ndarray | None = None) -> csr_matrix:
        m = csr_matrix((self.n, self.n))
        m.data, m.indices, m.indptr = (self.data if data is None else data), self.indices, self.indptr
        return m

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
    starts = np.asarray(starts if starts is not None else [], dtype=np.int64)
    ends = np.asarray(ends if ends is not None else [], dtype=np.int64)
    s = np.concatenate([s, np.full(len(starts), total - 1)])
    d = np.concatenate([d, starts])
    w = np.concatenate([w, np.zeros(len(starts))])
    e = np.concatenate([e, np.full(len(starts), -1)])
    indptr = np.zeros(total + 1, dtype=np.int32)
    np.cumsum(np.bincount(s, minlength=total), out=indptr[1:])
    return SearchGraph(indptr, d.astype(np.int32), np.ascontiguousarray(w, dtype=float), e,
                       total, total - 1, ends + (n_layers - 1) * n, first_limit)


def _path(pred: np.ndarray, source: int, target: int) -> list[int]:
    nodes = [target]
    while nodes[-1] != source:
        nodes.append(int(pred[nodes[-1]]))
    return nodes[::-1]


def shortest_path(sg: SearchGraph, source: int | None = None, data: np.ndarray | None = None,
                  *, limit: float = np.inf) -> tuple[float, list[int]] | None:
    """(cost, CSR positions) of the cheapest path from `source` to any target, or None.

    Dijkstra stops at `limit`; with no limit given it starts from the graph's
    first guess and doubles it, which explores only the ball the answer needs.
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
        dist, pred = dijkstra(mat, directed=True, indices=source, return_predecessors=True,
                              limit=tried)
        dt = dist[sg.targets]
        j = int(np.argmin(dt)) if len(dt) else -1
        if j >= 0 and np.isfinite(dt[j]):
            break
        if tried >= limit or not np.isfinite(tried):
            return None
        tried = tried * 4 if tried * 4 < unbounded else np.inf
    target = int(sg.targets[j])
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
    heap: list[tuple[float, int, tuple[int, ...]]] = []
    seen = {tuple(first[1])}
    counter = 0
    source = sg.source
    while len(found) < max_paths:
        prev = found[-1]
        prev_nodes = [source] + [int(sg.indices[p]) for p in prev]
        need = None if k is None else k - len(found)
        bound = np.inf
        if need is not None and need > 0 and len(heap) >= need:
            bound = heapq.nsmallest(need, heap)[-1][0]
        root_cost = 0.0
        for i in range(len(prev)):
            if i:
                root_cost += sg.data[prev[i - 1]]
            if root_cost >= bound:
                break
            spur = prev_nodes[i]
            root = prev[:i]
            data = sg.data.copy()
            for p in found:
                if len(p) > i and p[:i] == root:
                    data[p[i]] = np.inf
            for node in prev_nodes[:i]:
                data[sg.indptr[node]:sg.indptr[node + 1]] = np.inf
            hit = shortest_path(sg, spur, data, limit=bound - root_cost)
            if hit is None:
                continue
            cand = tuple(root + hit[1])
            if cand in seen:
                continue
            seen.add(cand)
            cost = float(sg.data[list(cand)].sum())
            counter += 1
            heapq.heappush(heap, (cost, counter, cand))
            if need is not None and need > 0 and len(heap) >= need:
                bound = min(bound, heapq.nsmallest(need, heap)[-1][0])
        if not heap or (k is not None and len(found) >= k):
            return
        cost, _, cand = heapq.heappop(heap)
        found.append(list(cand))
        yield cost, list(cand)


# ------------------------------------------------------------------ route assembly


def _fmt_class(mode: str, gauge) -> str:
    return f"{mode} {int(gauge)}" if mode == "rail" and pd.notna(gauge) else mode


def build_route(net: Network, edges: Sequence[int], *, objective: str, value: float,
                origin: int, destination: int) -> Route:
    """Turn base-edge ids of a search into legs and totals."""
    g: CompiledGraph = net.graph
    arr = net.arrays
    node_ids, node_names, country = arr["node_id"], arr["node_name"], arr["node_country"]
    modes, gauges = arr["link_mode"], arr["link_gauge"]
    legs: list[Leg] = []
    visited: list[int] = [origin]
    used_links: list[int] = []
    n_ts = 0
    edges = [int(e) for e in edges if e >= 0]
    for j, e in enumerate(edges):
        kind = int(g.kind[e])
        if kind == LINK:
            li = int(g.link[e])
            a, b = int(g.from_node[e]), int(g.to_node[e])
            used_links.append(li)
            visited.append(b)
            legs.append(Leg(
                node_ids[a], node_ids[b], node_names[a], node_names[b], modes[li],
                float(g.km[e]), float(g.hours[e]), float(g.usd[e]), float(g.co2[e]), "link",
                str(arr["link_id"][li]), None if np.isnan(gauges[li]) else int(gauges[li]),
                country[a], country[b], str(arr["link_name"][li] or ""),
            ))
        elif kind in (TRANSIT, TRANSSHIP):
            v = int(g.node[e])
            if kind == TRANSSHIP:
                n_ts += 1
            if kind == TRANSIT and g.hours[e] == 0 and g.usd[e] == 0:
                continue
            detail = "border/dwell"
            if kind == TRANSSHIP:
                before = _prev_link(g, edges, j)
                after = _next_link(g, edges, j)
                fr = _fmt_class(modes[before], gauges[before])
                to = _fmt_class(modes[after], gauges[after])
                detail = f"transship {fr} -> {to}"
            legs.append(Leg(
                node_ids[v], node_ids[v], node_names[v], node_names[v], "transfer", 0.0,
                float(g.hours[e]), float(g.usd[e]), 0.0,
                "transship" if kind == TRANSSHIP else "dwell", None, None,
                country[v], country[v], detail,
            ))
    countries = [country[v] for v in visited]
    countries = [c for i, c in enumerate(countries) if i == 0 or c != countries[i - 1]]
    borders = sum(1 for leg in legs if leg.kind == "link" and leg.from_country != leg.to_country)
    srcs = _route_sources(net, used_links, visited)
    gw = _gateway_nodes(net, visited, {int(g.node[e]) for e in edges if g.kind[e] == TRANSSHIP})
    return Route(
        origin=node_names[origin], destination=node_names[destination],
        corridor=classify(net, np.array(used_links, dtype=np.int64)),
        objective=objective, objective_value=value, legs=tuple(legs),
        nodes=tuple(node_ids[v] for v in visited), countries=tuple(countries),
        borders=borders, transshipments=n_ts, sources=srcs,
        gateways=tuple(node_ids[v] for v in gw), gateway_names=tuple(node_names[v] for v in gw),
    )


def _prev_link(g: CompiledGraph, edges: list[int], j: int) -> int:
    for e in reversed(edges[:j]):
        if g.link[e] >= 0:
            return int(g.link[e])
    raise AssertionError("transshipment without an incoming link")


def _next_link(g: CompiledGraph, edges: list[int], j: int) -> int:
    for e in edges[j + 1:]:
        if g.link[e] >= 0:
            return int(g.link[e])
    raise AssertionError("transshipment without an outgoing link")


_LINK_SRC = ("source_id", "length_source", "speed_source", "wait_source", "cost_source",
             "co2_source", "capacity_source")
_NODE_SRC = ("coord_source", "dwell_source", "transship_source", "capacity_source")


def _route_sources(net: Network, links: list[int], nodes: list[int]) -> tuple[str, ...]:
    """Every source behind the numbers of the links and nodes a route uses."""
    cache = net.__dict__.setdefault("_source_cache", {})
    if not cache:
        for key, frame, cols in (("link", net.links, _LINK_SRC), ("node", net.nodes, _NODE_SRC)):
            present = [c for c in cols if c in frame.columns]
            joined = frame[present].fillna("").astype(str).agg(";".join, axis=1) if present \
                else pd.Series("", index=frame.index)
            cache[key] = [frozenset(x.strip() for x in cell.split(";")
                                    if x.strip() and not x.strip().startswith("derived"))
                          for cell in joined]
    ids: set[str] = set()
    for key, rows in (("link", links), ("node", nodes)):
        ids.update(*(cache[key][i] for i in rows))
    return tuple(sorted(ids))


# ------------------------------------------------------------------ public API

MAX_VIA = 8  # each via adds a copy of the graph to the search


@dataclass(frozen=True)
class Query:
    """A resolved routing question: endpoints, policy, weights and required edge groups."""

    origin: int
    destination: int
    weights: np.ndarray
    mask: np.ndarray
    groups: tuple[np.ndarray, ...] = ()
    first_limit: float = np.inf  # a lower-bound guess of the answer, to stop Dijkstra early

    def search_graph(self, g: CompiledGraph) -> SearchGraph:
        return build_search_graph(g.src, g.dst, self.weights, self.mask, g.n_vnodes, self.groups,
                                  g.starts(self.origin), g.ends(self.destination), self.first_limit)


def via_group(net: Network, node: int) -> np.ndarray:
    """Edges that pass through `node`: using one of them means the route went via it."""
    g = net.graph
    return ((g.kind == TRANSIT) | (g.kind == TRANSSHIP)) & (g.node == node)


def prepare(net: Network, origin: str, destination: str, *, policy: Policy,
            objective: str, commodity: str, via: Sequence[str] = ()) -> tuple[Query, list[int]]:
    if objective not in OBJECTIVES:
        raise CorridorError(f"unknown objective '{objective}'; choose one of {', '.join(OBJECTIVES)}")
    policy.check(net)
    o, d = net.resolve(origin), net.resolve(destination)
    if o == d:
        raise CorridorError(f"origin and destination are the same place ({net.nodes['name'].iat[o]})")
    via_ix = [net.resolve(v) for v in via]
    node_ok = policy.node_mask(net)
    for label, ix in (("origin", o), ("destination", d), *(("via", v) for v in via_ix)):
        if not node_ok[ix]:
            nm, c = net.nodes["name"].iat[ix], net.nodes["country"].iat[ix]
            raise CorridorError(f"the {label} {nm} is in {c}, which the policy avoids")
    w = edge_weights(net, objective, commodity=commodity)
    mask = policy.edge_mask(net)
    groups = tuple(via_group(net, v) for v in via_ix if v not in (o, d))
    return Query(o, d, w, mask, groups, _first_limit(net, w, o, d)), via_ix


def _first_limit(net: Network, w: np.ndarray, o: int, d: int) -> float:
    """Straight-line distance times the cheapest weight per km: no route costs less.

    Only worth it on big graphs: on a small one a second Dijkstra costs more than it saves.
    """
    g = net.graph
    if g.n_vnodes < 20_000:
        return np.inf
    per_km = (g.kind == LINK) & (g.km > 0)
    if not per_km.any():
        return np.inf
    rate = float(np.min(w[per_km] / g.km[per_km]))
    a, b = net.nodes.iloc[o], net.nodes.iloc[d]
    km = _GEOD.inv(a["lon"], a["lat"], b["lon"], b["lat"])[2] / 1000.0
    positive = w[per_km][w[per_km] > 0]
    floor = float(np.median(positive)) if len(positive) else 1.0
    return max(rate * km, floor)


def route(
    net: Network,
    origin: str,
    destination: str,
    *,
    avoid: Iterable[str] | str | None = None,
    avoid_modes: Iterable[str] | str | None = None,
    avoid_passages: Iterable[str] | str | None = None,
    via: Sequence[str] | str | None = None,
    k: int = 1,
    objective: str = "generalized",
    commodity: str = "container",
    year: int | None = None,
    distinct: str = "gateways",
    max_overlap: float = 1.0,
    policy: Policy | None = None,
) -> RouteSet:
    """The k best distinct routes from `origin` to `destination` under a policy, best first.

    `distinct="gateways"` (default) returns routes that differ in the places that
    matter to a shipper: the sequence of border crossings, ports and transshipment
    points, and of modes. `distinct="paths"` returns Yen's k shortest loopless paths,
    skipping any that shares more than `max_overlap` of its length with a better one.
    """
    if not 1 <= k <= 50:
        raise CorridorError(f"k must be between 1 and 50, got {k}")
    if not 0.0 <= max_overlap <= 1.0:
        raise CorridorError(f"max_overlap must be between 0 and 1, got {max_overlap}")
    if distinct not in ("gateways", "paths"):
        raise CorridorError(f"distinct must be 'gateways' or 'paths', got '{distinct[:60]}'")
    via_list = [via] if isinstance(via, str) else list(via or [])
    if len(via_list) > MAX_VIA:
        raise CorridorError(f"at most {MAX_VIA} via places, got {len(via_list)}")
    policy = policy or Policy.make(avoid, avoid_modes, year, avoid_passages)
    q, _ = prepare(net, origin, destination, policy=policy, objective=objective,
                   commodity=commodity, via=via_list)
    if distinct == "gateways":
        routes = find_itineraries(net, q, k=k, objective=objective, allow_revisit=bool(via_list),
                                  max_overlap=max_overlap)
    else:
        routes = find_routes(net, q, k=k, objective=objective, max_overlap=max_overlap,
                             allow_revisit=bool(via_list))
    if not routes:
        raise NoRouteError(
            f"no route from {net.nodes['name'].iat[q.origin]} to "
            f"{net.nodes['name'].iat[q.destination]} under this policy"
            + (f" ({_describe(policy, via_list)})" if _describe(policy, via_list) else "")
        )
    return RouteSet(net.nodes["name"].iat[q.origin], net.nodes["name"].iat[q.destination],
                    objective, policy, tuple(routes), tuple(via_list))


def _describe(policy: Policy, via: list[str]) -> str:
    parts = []
    if policy.avoid_countries:
        parts.append("avoiding " + ", ".join(sorted(policy.avoid_countries)))
    if policy.avoid_modes:
        parts.append("no " + ", ".join(sorted(policy.avoid_modes)))
    if policy.avoid_passages:
        parts.append("not through " + ", ".join(sorted(policy.avoid_passages)))
    if via:
        parts.append("via " + ", ".join(via))
    if policy.year is not None:
        parts.append(f"network of {policy.year}")
    return "; ".join(parts)


def gateways(net: Network, r: Route) -> list[int]:
    """Node indices of the route's gateways (see `_gateway_nodes`)."""
    return [net.node_index[n] for n in r.gateways]


def _gateway_nodes(net: Network, nodes: list[int], ts: set[int]) -> list[int]:
    """Intermediate nodes where the route crosses a border, calls at a port or transships."""
    kinds = net.arrays["node_kind"]
    country = net.arrays["node_country"]
    out = []
    for j in range(1, len(nodes) - 1):
        v = nodes[j]
        if (kinds[v] in ("border_crossing", "port") or v in ts
                or country[v] != country[nodes[j - 1]] or country[v] != country[nodes[j + 1]]):
            out.append(v)
    return out


def itinerary(net: Network, r: Route) -> tuple:
    """What makes two routes different to a shipper: gateways and the sequence of modes."""
    modes = [leg.mode for leg in r.legs if leg.kind == "link"]
    modes = [m for i, m in enumerate(modes) if i == 0 or m != modes[i - 1]]
    return tuple(gateways(net, r)), tuple(modes)


def find_itineraries(net: Network, q: Query, *, k: int, objective: str,
                     allow_revisit: bool = False, max_pops: int | None = None,
                     max_overlap: float = 1.0, fill_with_paths: bool = True,
                     branch_on_gateways: bool = True) -> list[Route]:
    """Best-first search over sets of forbidden gateways (a Lawler-style partition).

    Each candidate is the best route that avoids one more gateway (or a place it
    passed twice) of its parent, so costs never decrease along the heap; a candidate
    whose itinerary was already returned is skipped but still branched from. With
    `branch_on_gateways=False` only places passed twice are forbidden, which is the
    cheap way to turn a best route with an out-and-back loop into a simple one. If that
    leaves fewer than k, Yen's paths fill in itineraries that differ only in mode
    (rail or road between the same places); the result is sorted by the objective.
    """
    link_km = net.arrays["link_km"]
    accepted: list[tuple[Route, set[int]]] = []
    seen: set[tuple] = set()

    def offer(r: Route) -> None:
        sig = itinerary(net, r)
        if sig in seen or (not allow_revisit and len(set(r.nodes)) < len(r.nodes)):
            return
        links = {net.link_index[x] for x in r.link_ids}
        km = sum(link_km[i] for i in links) or 1.0
        if any(sum(link_km[i] for i in links & other) / km > max_overlap for _, other in accepted):
            return
        seen.add(sig)
        accepted.append((r, links))
    g = net.graph
    node_edge = (g.kind == TRANSIT) | (g.kind == TRANSSHIP)

    def solve(forbidden: frozenset[int], floor: float = 0.0) -> Route | None:
        """Best route avoiding `forbidden`; `floor` (the parent's cost) bounds it from below."""
        mask = q.mask
        if forbidden:
            mask = mask & ~(node_edge & np.isin(g.node, list(forbidden)))
        guess = max(q.first_limit, floor * 1.25) if np.isfinite(q.first_limit) else np.inf
        sub = Query(q.origin, q.destination, q.weights, mask, q.groups, guess)
        sg = sub.search_graph(g)
        hit = shortest_path(sg)
        if hit is None:
            return None
        cost, pos = hit
        return build_route(net, sg.eid[pos], objective=objective, value=cost,
                           origin=q.origin, destination=q.destination)

    first = solve(frozenset())
    if first is None:
        return []
    counter = 0
    heap: list[tuple[float, int, frozenset[int], Route]] = [
        (first.objective_value, 0, frozenset(), first)]
    tried = {frozenset()}
    pops = 0
    limit = max_pops or (k * 10 + 10)
    while heap and len(accepted) < k and pops < limit:
        _, _, forbidden, r = heapq.heappop(heap)
        pops += 1
        offer(r)
        if len(accepted) >= k:
            break
        idx = [net.node_index[x] for x in r.nodes]
        twice = [v for v in dict.fromkeys(idx) if idx.count(v) > 1]
        branch = gateways(net, r) + twice if branch_on_gateways else twice
        for v in dict.fromkeys(branch):
            child = forbidden | {v}
            if child in tried:
                continue
            tried.add(child)
            alt = solve(child, r.objective_value)
            if alt is not None:
                counter += 1
                heapq.heappush(heap, (alt.objective_value, counter, child, alt))
    if len(accepted) < k and fill_with_paths:
        sg = q.search_graph(g)
        for cost, pos in k_shortest_paths(sg, max_paths=k * 10 + 10):
            offer(build_route(net, sg.eid[pos], objective=objective, value=cost,
                              origin=q.origin, destination=q.destination))
            if len(accepted) >= k:
                break
    return sorted((r for r, _ in accepted), key=lambda r: r.objective_value)[:k]


def find_routes(net: Network, q: Query, *, k: int, objective: str, max_overlap: float = 1.0,
                allow_revisit: bool = False, max_candidates: int | None = None) -> list[Route]:
    g = net.graph
    sg = q.search_graph(g)
    link_km = net.arrays["link_km"]
    accepted: list[tuple[Route, set[int]]] = []
    budget = max_candidates or (k * 10 + 10)
    exact = max_overlap >= 1.0 and allow_revisit
    for cost, pos in k_shortest_paths(sg, max_paths=budget, k=k if exact else None):
        base = sg.eid[pos]
        r = build_route(net, base, objective=objective, value=cost,
                        origin=q.origin, destination=q.destination)
        if not allow_revisit and len(set(r.nodes)) < len(r.nodes):
            continue
        links = {int(g.link[e]) for e in base if e >= 0 and g.kind[e] == LINK}
        km = sum(link_km[i] for i in links) or 1.0
        if any(sum(link_km[i] for i in links & other) / km > max_overlap for _, other in accepted):
            continue
        accepted.append((r, links))
        if len(accepted) == k:
            break
    return [r for r, _ in accepted]


__all__ = ["Leg", "Route", "RouteSet", "route", "find_routes", "find_itineraries", "prepare", "Query",
           "build_search_graph", "shortest_path", "k_shortest_paths"]
