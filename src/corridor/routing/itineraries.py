"""The k best distinct routes between two places under a policy (`route`).

`find_itineraries` returns routes that differ in what a shipper cares about (gateways and
modes); `find_routes` Yen's k shortest loopless paths, filtered for overlap.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from ..errors import CorridorError, NoRouteError
from ..network.graph import TRANSIT, TRANSSHIP
from ..network.policy import Policy
from ..network.tables import Network
from ..vocabulary import DISTINCT, MAX_VIA
from ..world import World, world_of
from .query import Query, prepare
from .results import Leg, Route, RouteSet, build_route
from .search import build_search_graph, k_shortest_paths, shortest_path


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
    """
    accepted = _Selection(net, allow_revisit=allow_revisit, max_overlap=max_overlap,
                          by_itinerary=True)
    offer = accepted.offer
    g = net.graph
    node_edge = (g.kind == TRANSIT) | (g.kind == TRANSSHIP)

    def solve(forbidden: frozenset[int], floor: float = 0.0) -> Route | None:
        """Best route avoiding `forbidden`; `floor` (the parent's cost) bounds it from below."""
        mask = q.mask
        if forbidden:
            mask = mask & ~(node_edge & np.isin(g.node, list(forbidden)))
        guess = max(q.first_limit, floor * 1.25) if np.isfinite(q.first_limit) else np.inf
        sub = replace(q, mask=mask, first_limit=guess)
        sg = sub.search_graph(g)
        hit = shortest_path(sg)
        if hit is None:
            return None
        cost, pos = hit
        return build_route(net, sg.eid[pos], objective=objective, value=cost,
                           origin=q.origin, destination=q.destination, hours=q.hours, usd=q.usd)

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
                              origin=q.origin, destination=q.destination, hours=q.hours, usd=q.usd))
            if len(accepted) >= k:
                break
    return sorted(accepted.routes, key=lambda r: r.objective_value)[:k]


def find_routes(net: Network, q: Query, *, k: int, objective: str, max_overlap: float = 1.0,
                allow_revisit: bool = False, max_candidates: int | None = None) -> list[Route]:
    sg = q.search_graph(net.graph)
    accepted = _Selection(net, allow_revisit=allow_revisit, max_overlap=max_overlap,
                          by_itinerary=False)
    budget = max_candidates or (k * 10 + 10)
    exact = max_overlap >= 1.0 and allow_revisit
    for cost, pos in k_shortest_paths(sg, max_paths=budget, k=k if exact else None):
        accepted.offer(build_route(net, sg.eid[pos], objective=objective, value=cost,
                                   origin=q.origin, destination=q.destination, hours=q.hours, usd=q.usd))
        if len(accepted) == k:
            break
    return accepted.routes


class _Selection:
    """Routes accepted so far, and the test for one more: simple, new, not a near-copy."""

    def __init__(self, net: Network, *, allow_revisit: bool, max_overlap: float, by_itinerary: bool):
        self.net, self.allow_revisit, self.max_overlap = net, allow_revisit, max_overlap
        self.by_itinerary = by_itinerary
        self.accepted: list[tuple[Route, set[int]]] = []
        self.seen: set[tuple] = set()

    def __len__(self) -> int:
        return len(self.accepted)

    @property
    def routes(self) -> list[Route]:
        return [r for r, _ in self.accepted]

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
