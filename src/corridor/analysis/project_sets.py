"""A set of projects as the base world with each project's own changes put in, without rebuilding
the network.

An appraisal values many sets of the same few projects. Each set's world could be made by applying
the scenario (`scenarios.apply_scenario`: rebuild, validate and compile the network, a tenth of a
second each), but what the assignment reads of it is only the edge costs (hours, USD, the queues'
curves) and which edges are open. Those are found once per project, by building it alone and
comparing with the world without projects; a set's are the base world's with each built project's
changes put in. That is exactly the world the scenario makes when the projects change different
edges and queues (checked once against the world with every project, which the appraisal builds
anyway); a set whose projects overlap, or a project that changes more than costs and open edges
(the compiled graph's own figures), is still built by the scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np

from ..costs import EdgeCosts
from ..queueing import QueueCurves

# per queue, the figures a project may change (the layout of the queues must stay the same)
_QUEUE_FIELDS = ("unit_scale", "box", "bulk_t", "all_t", "reference")
_LAYOUT = ("member_edge", "member_queue", "unit", "owner_link", "owner_node", "service")


@dataclass(frozen=True)
class SetWorld:
    """What the assignment reads of one world: the edge costs, the open edges, and the compiled
    graph's own figures a route's tariff, CO2 and hours are read from."""

    costs: EdgeCosts
    mask: np.ndarray  # per compiled edge: open in this world
    figures: tuple[np.ndarray, ...]  # the compiled graph's usd, co2 and hours


@dataclass(frozen=True)
class _Change:
    """One project's changes to the base world: edges whose hours, USD or openness differ, and queues
    whose curves or weights differ (the edges that join them counted as touched)."""

    edges: np.ndarray
    hours: np.ndarray
    usd: np.ndarray
    queues: np.ndarray
    capacity: np.ndarray  # (12, changed queues)
    j: np.ndarray
    base: np.ndarray  # (12, changed queues)
    fields: dict[str, np.ndarray]  # per `_QUEUE_FIELDS`: the changed queues' values
    mask_edges: np.ndarray
    mask: np.ndarray
    touched: frozenset[int]  # every edge and (as -1 - q) queue it changes


def _differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise: not equal (NaN equal to NaN)."""
    same = (a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else a == b
    return ~same


def _same_figures(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> bool:
    if len(a) != len(b):
        return False
    return all(x.shape == y.shape and not _differ(x, y).any() for x, y in zip(a, b, strict=True))


def _change(base: SetWorld, mine: SetWorld) -> _Change | None:
    """What `mine` changes in `base`, or None where it changes the queues' layout or the compiled
    graph's figures (a set's routes read those from the base world's graph)."""
    b, m = base.costs, mine.costs
    if b.n_queues != m.n_queues or len(b.hours) != len(m.hours) or any(
            not np.array_equal(getattr(b, f), getattr(m, f)) for f in _LAYOUT):
        return None
    if not _same_figures(base.figures, mine.figures):
        return None
    edges = np.flatnonzero(_differ(b.hours, m.hours) | _differ(b.usd, m.usd))
    cb, cm = b.curves, m.curves
    if not (np.array_equal(cb.share, cm.share) and cb.period == cm.period):
        return None
    q = _differ(cb.capacity, cm.capacity).any(0) | _differ(cb.j, cm.j) | _differ(cb.base, cm.base).any(0)
    for f in _QUEUE_FIELDS:
        q |= _differ(getattr(b, f), getattr(m, f))
    queues = np.flatnonzero(q)
    mask_edges = np.flatnonzero(base.mask != mine.mask)
    members = b.member_edge[np.isin(b.member_queue, queues)]
    touched = frozenset([*edges.tolist(), *mask_edges.tolist(), *members.tolist(),
                         *(-1 - queues).tolist()])
    return _Change(edges, m.hours[edges], m.usd[edges], queues, cm.capacity[:, queues], cm.j[queues],
                   cm.base[:, queues], {f: getattr(m, f)[queues] for f in _QUEUE_FIELDS}, mask_edges,
                   mine.mask[mask_edges], touched)


class ProjectWorlds:
    """The worlds of sets of projects, each from the base world and the projects' own changes.

    `build(ids)` makes a set's world the slow way (the scenario applied); it is asked once for the
    base world (no project) and once per project, and for a set only where composing is not exact.
    """

    def __init__(self, ids: Iterable[str], build: Callable[[frozenset[str]], SetWorld]) -> None:
        self._build = build
        self.base = build(frozenset())
        self._changes: dict[str, _Change | None] = {}
        for i in ids:
            self._changes[i] = _change(self.base, build(frozenset([i])))
        self._sets: dict[frozenset[str], SetWorld] = {}
        self.composed = 0  # sets made by composing, not built

    def composable(self, built: frozenset[str]) -> bool:
        """Whether the set's world is the base world with each project's changes put in: every project
        changes only costs and open edges, and no two of them the same edge or queue."""
        seen: set[int] = set()
        for i in built:
            c = self._changes.get(i)
            if c is None or seen & c.touched:
                return False
            seen |= c.touched
        return True

    def inert(self, built: frozenset[str], used: np.ndarray) -> frozenset[str]:
        """The projects of `built` that change nothing an assignment of the set reads: no queue, no
        edge closed, and no edge that a route of the set passes (`used`, per edge). Assigned
        without them, the set's routes, costs and queues are the same to the bit (a link that
        leads only to routes needing another project's link)."""
        out = []
        for i in built:
            c = self._changes.get(i)
            if (c is not None and not len(c.queues) and c.mask.all() and not used[c.edges].any()
                    and not used[c.mask_edges].any()):
                out.append(i)
        return frozenset(out)

    def check(self, built: frozenset[str], actual: SetWorld) -> bool:
        """Whether composing `built` (the largest set, every project) gives `actual`, the world the
        scenario makes, to the last bit; if not, or if `built` cannot be composed, every set is
        built from now on."""
        same = _change(actual, self._compose(built)) if self.composable(built) else None
        if same is None or same.touched:
            self._changes = dict.fromkeys(self._changes)
            return False
        return True

    def world(self, built: frozenset[str]) -> SetWorld:
        """The set's world: composed where exact, else built."""
        if built not in self._sets:
            if not built:
                self._sets[built] = self.base
            elif self.composable(built):
                self._sets[built] = self._compose(built)
                self.composed += 1
            else:
                self._sets[built] = self._build(built)
        return self._sets[built]

    def _compose(self, built: frozenset[str]) -> SetWorld:
        b = self.base.costs
        hours, usd, mask = b.hours.copy(), b.usd.copy(), self.base.mask.copy()
        cap, j, base = b.curves.capacity.copy(), b.curves.j.copy(), b.curves.base.copy()
        fields = {f: getattr(b, f).copy() for f in _QUEUE_FIELDS}
        for i in sorted(built):
            c = self._changes[i]
            assert c is not None  # composable() said so
            hours[c.edges], usd[c.edges] = c.hours, c.usd
            cap[:, c.queues], j[c.queues], base[:, c.queues] = c.capacity, c.j, c.base
            for f in _QUEUE_FIELDS:
                fields[f][c.queues] = c.fields[f]
            mask[c.mask_edges] = c.mask
        curves = QueueCurves(cap, j, base, b.curves.share, b.curves.period)
        return SetWorld(replace(b, hours=hours, usd=usd, curves=curves, **fields), mask, self.base.figures)
