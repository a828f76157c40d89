"""A routing question made concrete: endpoints resolved, policy compiled to a mask, weights and via groups."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

import numpy as np

from ..costs import edge_costs, edge_weights
from ..errors import CorridorError
from ..network.geo import distance_km
from ..network.graph import LINK, TRANSIT, TRANSSHIP, CompiledGraph
from ..network.tables import Network
from ..vocabulary import OBJECTIVES
from ..world import World
from .search import SearchGraph, build_search_graph

T = TypeVar("T")


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
    last = net.cache.get("routing.query.last")
    checked = last is not None and last.world is world and last.checked  # the policy was checked then
    if not checked:
        world.policy.check(net)
    o, d = net.resolve(origin), net.resolve(destination)
    if o == d:
        raise CorridorError(f"origin and destination are the same place ({net.nodes['name'].iat[o]})")
    via_ix = [net.resolve(v) for v in via]
    view = world_view(net, world)
    view.checked = True
    for label, ix in (("origin", o), ("destination", d), *(("via", v) for v in via_ix)):
        if not view.node_ok[ix]:
            nm, c = net.nodes["name"].iat[ix], net.nodes["country"].iat[ix]
            raise CorridorError(f"the {label} {nm} is in {c}, which the policy avoids")
    w = view.weights(objective, commodity)
    groups = tuple(via_group(net, v) for v in via_ix if v not in (o, d))
    return Query(o, d, w, view.mask, groups, view.first_limit(w, o, d), view.hours, view.usd), via_ix


class WorldView:
    """What every question in one world shares: the policy's masks, the edges' hours and USD, and the
    weights per objective and commodity, computed once (read-only arrays) and reused by each query."""

    def __init__(self, net: Network, world: World) -> None:
        self.net, self.world = net, world
        policy = world.policy
        self.node_ok = _frozen(policy.node_mask(net))
        self.link_ok = _frozen(policy.link_mask(net))
        self.mask = _frozen(policy.edge_mask(net))
        costs = edge_costs(net, world)
        self.hours = _frozen(costs.hours + costs.reference_wait(world.month))
        self.usd = _frozen(costs.usd)
        self._weights: dict[tuple[str, str], np.ndarray] = {}
        self._rate: dict[int, tuple[float, float]] = {}
        self.extra: dict = {}  # what callers derive from this view (family masks), keyed by their module
        self._memo: OrderedDict[tuple, tuple[tuple, object]] = OrderedDict()
        self.checked = False  # whether `prepare` checked the world's policy against the network

    def weights(self, objective: str, commodity: str) -> np.ndarray:
        key = (objective, commodity if objective == "generalized" else "")
        if key not in self._weights:
            self._weights[key] = _frozen(edge_weights(self.net, objective, commodity=commodity,
                                                      world=self.world))
        return self._weights[key]

    def memo(self, tag: str, arrays: tuple, build: Callable[[], T]) -> T:
        """`build()`, kept for the same `arrays` (by identity: the entry holds them, so an id is never
        reused while it lives); the last `_MEMO` results are kept. A `tag` names one caller, so the
        value kept under it is what that caller's `build` returns."""
        key = (tag, *(id(a) for a in arrays))
        with _LOCK:
            hit = self._memo.get(key)
            if hit is not None:
                self._memo.move_to_end(key)
                return cast(T, hit[1])
        value = build()
        with _LOCK:
            self._memo[key] = (arrays, value)
            while len(self._memo) > _MEMO:
                self._memo.popitem(last=False)
        return value

    def first_limit(self, w: np.ndarray, o: int, d: int) -> float:
        """Straight-line distance times the cheapest weight per km: no route costs less.

        Only worth it on big graphs: on a small one a second Dijkstra costs more than it saves.
        """
        g = self.net.graph
        if g.n_vnodes < 20_000:
            return np.inf
        if id(w) not in self._rate:
            per_km = (g.kind == LINK) & (g.km > 0)
            if not per_km.any():
                self._rate[id(w)] = (np.inf, 1.0)
            else:
                positive = w[per_km][w[per_km] > 0]
                self._rate[id(w)] = (float(np.min(w[per_km] / g.km[per_km])),
                                     float(np.median(positive)) if len(positive) else 1.0)
        rate, floor = self._rate[id(w)]
        if not np.isfinite(rate):
            return np.inf
        a, b = self.net.nodes.iloc[o], self.net.nodes.iloc[d]
        km = distance_km(a["lon"], a["lat"], b["lon"], b["lat"])
        return max(rate * km, floor)


_VIEWS = 16  # worlds kept per network (a web app asks in a handful of worlds)

_MEMO = 256  # graphs kept per world (one per family, objective and commodity)

_LOCK = threading.Lock()


def world_view(net: Network, world: World) -> WorldView:
    """The network's arrays in `world`, cached on the network (the last `_VIEWS` worlds).

    A world with a Caspian crossing hashes by the crossing's contents (milliseconds), so the same
    world object is found by identity first (the view holds it: its id is not reused meanwhile)."""
    with _LOCK:
        views: OrderedDict = net.cache.setdefault("routing.query.views", OrderedDict())
        last = net.cache.get("routing.query.last")
        if last is not None and last.world is world:
            return last
    with _LOCK:
        view = views.get(world)
        if view is not None:
            views.move_to_end(world)
            net.cache["routing.query.last"] = view
            return view
    view = WorldView(net, world)
    with _LOCK:
        views[world] = view
        net.cache["routing.query.last"] = view
        while len(views) > _VIEWS:
            views.popitem(last=False)
    return view


def _frozen(a: np.ndarray) -> np.ndarray:
    """A read-only copy (the original may be another cache's array)."""
    a = np.array(a)
    a.setflags(write=False)
    return a
