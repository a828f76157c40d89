"""A routing question made concrete: endpoints resolved, policy compiled to a mask, weights and via groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..costs import edge_costs, edge_weights
from ..errors import CorridorError
from ..network.geo import distance_km
from ..network.graph import LINK, TRANSIT, TRANSSHIP, CompiledGraph
from ..network.tables import Network
from ..vocabulary import OBJECTIVES
from ..world import World
from .search import SearchGraph, build_search_graph


@dataclass(frozen=True)
class Query:
    """A resolved routing question: endpoints, policy, weights and required edge groups."""

    origin: int
    destination: int
    weights: np.ndarray
    mask: np.ndarray
    groups: tuple[np.ndarray, ...] = ()
    first_limit: float = np.inf  # a lower-bound guess of the answer, to stop Dijkstra early
    hours: np.ndarray | None = None  # per edge in the question's world: hours incl. the waits met today
    usd: np.ndarray | None = None  # per edge: tariff and the world's terms

    def search_graph(self, g: CompiledGraph) -> SearchGraph:
        return build_search_graph(g.src, g.dst, self.weights, self.mask, g.n_vnodes, self.groups,
                                  g.starts(self.origin), g.ends(self.destination), self.first_limit)


def via_group(net: Network, node: int) -> np.ndarray:
    """Edges that pass through `node`: using one of them means the route went via it."""
    g = net.graph
    return ((g.kind == TRANSIT) | (g.kind == TRANSSHIP)) & (g.node == node)


def prepare(net: Network, origin: str, destination: str, *, world: World,
            objective: str, commodity: str, via: Sequence[str] = ()) -> tuple[Query, list[int]]:
    """The question as arrays: endpoints and vias resolved, the world's mask and weights."""
    if objective not in OBJECTIVES:
        raise CorridorError(f"unknown objective '{objective}'; choose one of {', '.join(OBJECTIVES)}")
    policy = world.policy
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
    w = edge_weights(net, objective, commodity=commodity, world=world)
    costs = edge_costs(net, world)
    mask = policy.edge_mask(net)
    groups = tuple(via_group(net, v) for v in via_ix if v not in (o, d))
    return Query(o, d, w, mask, groups, _first_limit(net, w, o, d),
                 costs.hours + costs.reference_wait(world.month), costs.usd), via_ix


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
    km = distance_km(a["lon"], a["lat"], b["lon"], b["lat"])
    positive = w[per_km][w[per_km] > 0]
    floor = float(np.median(positive)) if len(positive) else 1.0
    return max(rate * km, floor)
