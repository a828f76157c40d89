"""The k best distinct routes between two places under a policy (`route`).

`find_itineraries` returns routes that differ in what a shipper cares about (gateways and
modes); `find_routes` Yen's k shortest loopless paths, filtered for overlap.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..errors import CorridorError, NoRouteError
from ..network.graph import LINK, TRANSIT, TRANSSHIP
from ..network.policy import Policy
from ..network.tables import Network
from ..vocabulary import DISTINCT, MAX_VIA
from ..world import World, world_of
from .query import Query, WorldView, prepare
from .results import Leg, Route, RouteSet, build_route
from .search import (
    Layered,
    Trace,
    build_search_graph,
    k_shortest_paths,
    layered,
    nearest,
    shortest_path,
    tree,
)

if TYPE_CHECKING:  # imported when first needed: it loads Numba
    from .distances import Distances, Reversed



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
    month: int | None = None,
    distinct: str = "gateways",
    max_overlap: float = 1.0,
    world: World | None = None,
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
    if distinct not in DISTINCT:
        raise CorridorError(f"distinct must be 'gateways' or 'paths', got '{distinct[:60]}'")
    via_list = [via] if isinstance(via, str) else list(via or [])
    if len(via_list) > MAX_VIA:
        raise CorridorError(f"at most {MAX_VIA} via places, got {len(via_list)}")
    world = world_of(world, avoid=avoid, avoid_modes=avoid_modes, avoid_passages=avoid_passages, year=year,
                     month=month)
    policy = world.policy
    q, _ = prepare(net, origin, destination, world=world, objective=objective,
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

    The query's layered graph is built once; each candidate's search drops the entries of the
    places it avoids, and a candidate becomes a `Route` only when it may be returned or its
    gateways are needed.
    """
    accepted = _Selection(net, allow_revisit=allow_revisit, max_overlap=max_overlap,
                          by_itinerary=True)
    searcher = _Searcher(net, q, objective)
    first = searcher.solve(frozenset())
    if first is None:
        return []
    counter = 0
    heap: list[tuple[float, int, frozenset[int], Candidate]] = [(first.cost, 0, frozenset(), first)]
    tried: set[frozenset[int]] = {frozenset()}
    pops = 0
    limit = max_pops or (k * 10 + 10)
    while heap and len(accepted) < k and pops < limit:
        _, _, forbidden, found = heapq.heappop(heap)
        pops += 1
        accepted.offer_found(found, searcher.route)
        if len(accepted) >= k:
            break
        idx = found.visited
        twice = [v for v in dict.fromkeys(idx) if idx.count(v) > 1]
        branch = gateways(net, searcher.route(found)) + twice if branch_on_gateways else twice
        for v in dict.fromkeys(branch):
            child = forbidden | {v}
            if child in tried:
                continue
            tried.add(child)
            alt = searcher.solve(child, found.cost)
            if alt is not None:
                counter += 1
                heapq.heappush(heap, (alt.cost, counter, child, alt))
    if len(accepted) < k and fill_with_paths:
        sg = searcher.sg
        for cost, pos in k_shortest_paths(sg, max_paths=k * 10 + 10):
            accepted.offer_found(searcher.found(cost, sg.eid[pos]), searcher.route)
            if len(accepted) >= k:
                break
    return sorted(accepted.routes, key=lambda r: r.objective_value)[:k]


def find_routes(net: Network, q: Query, *, k: int, objective: str, max_overlap: float = 1.0,
                allow_revisit: bool = False, max_candidates: int | None = None) -> list[Route]:
    searcher = _Searcher(net, q, objective)
    sg = searcher.sg
    accepted = _Selection(net, allow_revisit=allow_revisit, max_overlap=max_overlap,
                          by_itinerary=False)
    budget = max_candidates or (k * 10 + 10)
    exact = max_overlap >= 1.0 and allow_revisit
    for cost, pos in k_shortest_paths(sg, max_paths=budget, k=k if exact else None):
        accepted.offer_found(searcher.found(cost, sg.eid[pos]), searcher.route)
        if len(accepted) == k:
            break
    return accepted.routes


@dataclass(eq=False)
class Candidate:
    """A search's answer before it is a `Route`: its cost, its compiled edges and the places it passes.
    `route()` makes (once) the Route, priced in the query's world."""

    cost: float
    edges: np.ndarray  # compiled edges in order (the super-source's -1 dropped)
    visited: list[int]  # node indices, the origin first, then each link's far end
    searcher: _Searcher
    _route: Route | None = None

    @property
    def simple(self) -> bool:
        """No place passed twice."""
        return len(set(self.visited)) == len(self.visited)

    @property
    def key(self) -> tuple[int, ...]:
        """The edges as a tuple (what `Route.edges` holds)."""
        return tuple(self.edges.tolist())

    def route(self) -> Route:
        if self._route is None:
            s, q = self.searcher, self.searcher.q
            self._route = build_route(s.net, self.edges, objective=s.objective, value=self.cost,
                                      origin=q.origin, destination=q.destination, hours=q.hours, usd=q.usd)
        return self._route


def best_simple_route(net: Network, q: Query, *, objective: str, max_pops: int = 12,
                      view: WorldView | None = None) -> tuple[Candidate | None, bool]:
    """The best route for `q` that passes no place twice, found as `find_itineraries(k=1,
    branch_on_gateways=False, fill_with_paths=False)` finds it (the same answer), and whether any
    route at all exists (the first search: one reachability test, before any repair). With `view`
    (the world's, holding `q`'s weights and mask), the layered graph is kept for the next OD pair."""
    searcher = _Searcher(net, q, objective, view)
    first = searcher.solve(frozenset())
    if first is None:
        return None, False
    if not first.simple and searcher.always_twice(first):
        return None, True  # every route passes some place twice: what the repairs would end with
    counter = 0
    # a waiting candidate is its cost and, until it is popped, only the cost of its parent: its route
    # (which of equal-cost paths scipy's search returns) is found when it is popped
    heap: list[tuple[float, int, frozenset[int], Candidate | float]] = [(first.cost, 0, frozenset(), first)]
    tried: set[frozenset[int]] = {frozenset()}
    for done in range(max_pops):
        if not heap:
            break
        cost, _, forbidden, waiting = heapq.heappop(heap)
        found = waiting if isinstance(waiting, Candidate) else searcher.solve(forbidden, waiting)
        if found is None:  # cannot happen: its cost was found over the same graph
            continue
        if found.simple:
            return found, True
        later = max_pops - done - 1  # pops still to come: no child is popped after the last
        if later == 0:
            break
        idx = found.visited
        for v in dict.fromkeys(v for v in idx if idx.count(v) > 1):
            child = forbidden | {v}
            if child in tried:
                continue
            tried.add(child)
            # a child dearer than the `later`-th waiting candidate is never popped: its cost is
            # sought only that far
            bound = heapq.nsmallest(later, heap)[-1][0] if len(heap) >= later else np.inf
            c = searcher.least(child, limit=bound)
            if np.isfinite(c):
                counter += 1
                heapq.heappush(heap, (c, counter, child, found.cost))
    return None, True


_TREES = 32  # search trees kept per body and origin (one per set of places avoided)

_ENTRIES = 4096  # sets of places avoided whose CSR entries are kept per body

Tree = tuple[np.ndarray, np.ndarray]  # scipy's distances and predecessors from the super-source

_NONE = np.empty(0, dtype=np.int64)  # no entries dropped

_TRACE: list[Trace] = []  # the compiled path reader, once a repair loaded it (a faster `_path`, same path)


class _Body:
    """A layered body kept for every question of a world, family and objective; the entries of each
    place's transit and transshipment edges; the trees from the origin asked last."""

    def __init__(self, body: Layered, order: np.ndarray, at: np.ndarray) -> None:
        self.body, self.order, self.at = body, order, at
        self._slot: tuple[tuple[int, ...], dict[frozenset[int], Tree]] | None = None
        self.entries: dict[frozenset[int], np.ndarray] = {}  # by the places avoided (`_Searcher._entries`)
        self._reversed: Reversed | None = None

    def reversed_graph(self) -> Reversed:
        """The body reversed (`distances.reverse`), made on its first repair: every question's repairs
        are guided by their costs to the destination over it (the origin's row is not in it)."""
        if self._reversed is None:
            from .distances import reverse

            b = self.body
            self._reversed = reverse(b.indptr, b.indices, b.data)
        return self._reversed

    def trees(self, starts: np.ndarray) -> dict[frozenset[int], Tree]:
        """The trees kept for the origin with these `starts`, by the places avoided (none kept yet when
        the origin changed): the questions of the origin's other destinations search the very same
        graph (only the targets differ)."""
        key = tuple(starts.tolist())
        slot = self._slot  # read once: another thread may replace it (a race only loses the trees)
        if slot is None or slot[0] != key:
            slot = (key, {})
            self._slot = slot
        return slot[1]


class _Searcher:
    """A query's layered search graph, built once; a search avoiding some places drops the CSR entries
    of their transit and transshipment edges (the same graph a rebuild with those edges masked gives).
    A search with no bound is one whole tree from the origin, kept for the origin's other questions
    in the same body (with `view`)."""

    def __init__(self, net: Network, q: Query, objective: str, view: WorldView | None = None) -> None:
        self.net, self.q, self.objective = net, q, objective
        g = net.graph

        def build() -> _Body:
            body = layered(g.src, g.dst, q.weights, q.mask, g.n_vnodes, q.groups)
            e = body.eid
            safe = np.maximum(e, 0)
            through = (g.kind[safe] == TRANSIT) | (g.kind[safe] == TRANSSHIP)
            at = np.where(through, g.node[safe], -1)
            order = np.argsort(at, kind="stable")
            return _Body(body, order, at[order])

        # the body is the same for every OD pair of a world, family and objective (the endpoints are
        # appended after it, so the entry positions of a place's edges hold in every question)
        kept = build() if view is None else view.memo("routing.itineraries", (q.weights, q.mask, *q.groups),
                                                      build)
        self._order, self._at, self._kept = kept.order, kept.at, kept
        starts = g.starts(q.origin)
        self._trees = kept.trees(starts)
        self.sg = kept.body.search_graph(starts, g.ends(q.destination), q.first_limit)
        self._dead: list[frozenset[int]] = []  # sets of places whose avoidance leaves no route
        self._distances: Distances | None = None  # the compiled distance search, made on the first repair
        self._trace: Trace | None = _TRACE[0] if _TRACE else None  # and its path reader, once loaded

    def least(self, forbidden: frozenset[int], limit: float = np.inf) -> float:
        """The cost of `solve(forbidden)`'s route (inf if there is none within `limit`), by the compiled
        distance search (`routing.distances`): the same number, without the route (or read off the
        whole tree kept for the origin, when one avoiding the same places was searched)."""
        if any(dead <= forbidden for dead in self._dead):
            return np.inf
        kept = self._trees.get(forbidden)
        if kept is not None:  # scipy's distances: the same numbers (every Dijkstra finds them)
            dt = kept[0][self.sg.targets]
            c = float(dt.min()) if len(dt) else np.inf
            c = c if c <= limit else np.inf  # the compiled search stops at `limit`
        else:
            c = self._compiled().least(self._entries(forbidden), limit)
        if not np.isfinite(c) and not np.isfinite(limit):
            self._dead.append(forbidden)
        return c

    def always_twice(self, found: Candidate) -> bool:
        """Whether a place `found` passes twice is passed twice by every route (so no repair can find a
        simple one). A route through a place other than its ends arrives there by a link, so one that
        must pass through it both before and after the signature link (in both layers of a family's
        search: no route is left when either layer's edges through it are dropped) arrives there twice;
        the origin twice when it must be passed through after, the destination when before."""
        body = self._kept.body
        if body.n_layers != 2:
            return False
        idx = found.visited
        o, d = self.q.origin, self.q.destination
        for v in dict.fromkeys(v for v in idx if idx.count(v) > 1):
            entries = self._entries(frozenset((v,)))
            layer = (np.searchsorted(body.indptr, entries, side="right") - 1) // body.n
            layers = (1,) if v == o else (0,) if v == d else (0, 1)
            if all(np.isinf(self._compiled().least(entries[layer == k])) for k in layers):
                return True
        return False

    def _compiled(self) -> Distances:
        if self._distances is None:
            from .distances import Distances, trace

            self._trace = trace
            _TRACE[:] = [trace]
            sg = self.sg
            self._distances = Distances(sg.indptr, sg.indices, sg.data, sg.source, sg.targets,
                                        self._kept.reversed_graph())
        return self._distances

    def _entries(self, forbidden: frozenset[int]) -> np.ndarray:
        """CSR entries of the transit and transshipment edges of the places `forbidden` (kept on the body:
        the same sets come back in its other questions)."""
        kept = self._kept.entries
        hit = kept.get(forbidden)
        if hit is None:
            nodes = np.fromiter(forbidden, dtype=np.int64, count=len(forbidden))
            lo = np.searchsorted(self._at, nodes, side="left")
            hi = np.searchsorted(self._at, nodes, side="right")
            hit = np.concatenate([self._order[a:b] for a, b in zip(lo, hi, strict=True)])
            hit.setflags(write=False)
            if len(kept) >= _ENTRIES:
                kept.clear()
            kept[forbidden] = hit
        return hit

    def solve(self, forbidden: frozenset[int], floor: float = 0.0, limit: float = np.inf) -> Candidate | None:
        """Best route avoiding `forbidden` and costing at most `limit` (None if there is none); `floor`
        (the parent's cost) bounds it from below.

        A set that contains one already found to leave no route leaves none either: no search."""
        if any(dead <= forbidden for dead in self._dead):
            return None
        found = self._solve(forbidden, floor, limit)
        if found is None and not np.isfinite(limit):
            self._dead.append(forbidden)
        return found

    def _solve(self, forbidden: frozenset[int], floor: float, limit: float = np.inf) -> Candidate | None:
        q = self.q
        guess = max(q.first_limit, floor * 1.25) if np.isfinite(q.first_limit) else np.inf
        found = None
        if not (np.isfinite(guess) or np.isfinite(limit)):
            # the whole tree's answer: kept for the origin, or (once a repair has loaded the compiled
            # searches: a question that needs none never loads Numba) searched only as far as the
            # destination (the same path, unless a tie on it leaves the choice to scipy's search)
            found = self._trees.get(forbidden)
            if found is None and _TRACE:
                got = self._compiled().route(self._entries(forbidden) if forbidden else _NONE)
                if got is None:
                    return None
                if got[1] is not None:
                    return self.found(got[0], self.sg.eid[got[1]])
        if forbidden:
            sg = self.sg.without(self._entries(forbidden), guess)
        else:
            sg = replace(self.sg, first_limit=guess)
        if np.isfinite(guess) or np.isfinite(limit):
            hit = shortest_path(sg, limit=limit, trace=self._trace)
        else:  # `shortest_path` would search the whole tree: kept for the origin's other destinations
            trees = self._trees
            if found is None:
                found = tree(sg)
                for a in found:
                    a.setflags(write=False)
                if len(trees) >= _TREES:
                    trees.pop(next(iter(trees)), None)  # the oldest
                trees[forbidden] = found
            hit = nearest(sg, *found, trace=self._trace)
        if hit is None:
            return None
        cost, pos = hit
        return self.found(cost, sg.eid[pos])

    def found(self, cost: float, eid: np.ndarray) -> Candidate:
        g = self.net.graph
        e = eid[eid >= 0]
        links = e[g.kind[e] == LINK]
        return Candidate(cost, e, [self.q.origin, *g.to_node[links].tolist()], self)

    @staticmethod
    def route(f: Candidate) -> Route:
        return f.route()


class _Selection:
    """Routes accepted so far, and the test for one more: simple, new, not a near-copy."""

    def __init__(self, net: Network, *, allow_revisit: bool, max_overlap: float, by_itinerary: bool) -> None:
        self.net, self.allow_revisit, self.max_overlap = net, allow_revisit, max_overlap
        self.by_itinerary = by_itinerary
        self.accepted: list[tuple[Route, set[int]]] = []
        self.seen: set[tuple] = set()

    def __len__(self) -> int:
        return len(self.accepted)

    @property
    def routes(self) -> list[Route]:
        return [r for r, _ in self.accepted]

    def offer_found(self, f: Candidate, make: Callable[[Candidate], Route]) -> bool:
        """`offer` for a search's answer, made a Route (by `make`) only if it passes a place at most once
        or may pass one twice: the test `offer` would fail it on first."""
        if not self.allow_revisit and len(set(f.visited)) < len(f.visited):
            return False
        return self.offer(make(f))

    def offer(self, r: Route) -> bool:
        sig = itinerary(self.net, r) if self.by_itinerary else None
        if sig in self.seen or (not self.allow_revisit and len(set(r.nodes)) < len(r.nodes)):
            return False
        km_of = self.net.arrays["link_km"]
        links = {self.net.link_index[x] for x in r.link_ids}
        km = sum(km_of[i] for i in links) or 1.0
        if any(sum(km_of[i] for i in links & other) / km > self.max_overlap
               for _, other in self.accepted):
            return False
        if sig is not None:
            self.seen.add(sig)
        self.accepted.append((r, links))
        return True

__all__ = ["Leg", "Route", "RouteSet", "route", "find_routes", "find_itineraries", "prepare", "Query",
           "build_search_graph", "shortest_path", "k_shortest_paths"]
