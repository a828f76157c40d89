"""Compare corridor families: the best route of each, or why there is none."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import pandas as pd

from ..folders import Writable
from ..network.families import FAMILIES, family
from ..network.policy import Policy
from ..network.tables import Network
from ..output import Document, Output, Table
from ..world import World, world_of
from .candidates import family_candidates, variant_candidates
from .itineraries import Route
from .results import flat_summary, routes_leg_shapes, routes_legs_frame, routes_shapes
from .sensible import not_applicable, sea_variant
from .variants import DETOUR


@dataclass(frozen=True)
class CorridorResult:
    """A family's best route, or why there is none (no route; or not applicable: a detour or an out
    and back); `variant` says what kind of route a sea family's is (all-water, sea + rail via ...)."""

    corridor: str
    route: Route | None
    reason: str | None = None
    variant: str | None = None

    @property
    def feasible(self) -> bool:
        return self.route is not None

    def to_dict(self) -> dict:
        if self.route is None:
            return {"corridor": self.corridor, "feasible": False, "reason": self.reason}
        d = self.route.to_dict()
        d["corridor"] = self.corridor
        return {"feasible": True, "variant": self.variant, **d}

    def row(self) -> dict:
        """The family as one table row: feasible, the route's summary (lists joined) or the reason."""
        if self.route is None:
            return {"corridor": self.corridor, "feasible": False, "reason": self.reason}
        return {"feasible": True, "variant": self.variant, **flat_summary(self.route), "reason": None}

    def to_frame(self) -> pd.DataFrame:
        """One row per leg of the family's route (empty when there is none)."""
        return pd.DataFrame() if self.route is None else self.route.to_frame()


@dataclass(frozen=True)
class Comparison(Writable):
    """The best route of every corridor family between two places."""

    origin: str
    destination: str
    objective: str
    policy: Policy
    results: tuple[CorridorResult, ...]
    overall: Route | None = None  # the best route under the policy, whatever its family

    def __getitem__(self, corridor: str) -> CorridorResult:
        for r in self.results:
            if r.corridor == corridor:
                return r
        raise KeyError(corridor)

    def best(self) -> CorridorResult | None:
        ok = [(r.route.objective_value, r) for r in self.results if r.route is not None]
        return min(ok, key=lambda x: x[0])[1] if ok else None

    def to_dict(self) -> dict:
        return {
            "origin": self.origin,
            "destination": self.destination,
            "objective": self.objective,
            "policy": self.policy.to_dict(),
            "corridors": [r.to_dict() for r in self.results],
            "overall": None if self.overall is None else self.overall.summary(),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per corridor family."""
        return pd.DataFrame([r.row() for r in self.results])

    def legs_frame(self) -> pd.DataFrame:
        """One row per leg of each family's best route, with its corridor."""
        return routes_legs_frame([("corridor", r.corridor, r.route) for r in self.results
                                  if r.route is not None])

    def outputs(self, net: Network | None = None) -> list[Output]:
        """What `write` writes: the comparison as JSON, one row per corridor family and one per leg
        of their routes (with their shapes when `net` is given; a family without a route has none)."""
        routes = legs = None
        if net is not None:
            found = [r.route for r in self.results]
            routes = partial(routes_shapes, net, found)
            legs = partial(routes_leg_shapes, net, found)
        return [Document("comparison.json", self.to_dict),
                Table("corridors", self.to_frame, geometry=routes),
                Table("legs", self.legs_frame, geometry=legs)]


def compare(
    net: Network,
    origin: str,
    destination: str,
    *,
    objective: str = "generalized",
    commodity: str = "container",
    avoid: Iterable[str] | str | None = None,
    avoid_modes: Iterable[str] | str | None = None,
    avoid_passages: Iterable[str] | str | None = None,
    year: int | None = None,
    month: int | None = None,
    families: Sequence[str] = FAMILIES,
    world: World | None = None,
) -> Comparison:
    """Best route of each corridor family; a family with no route, or whose best route is no answer
    to the question, says why.

    A family's route may not pass a place twice, nor take its signature twice (across the Caspian
    and back), nor be a detour on the best route there is (`routing.sensible`): Istanbul-Duisburg
    has no Suez row. `overall` is the best route of any family (or none, e.g. Almaty–Tashkent
    direct), the yardstick for how far each family's best is from the best there is. A sea
    family's route is labelled all-water or sea + rail via its port.
    """
    world = world_of(world, avoid=avoid, avoid_modes=avoid_modes, avoid_passages=avoid_passages, year=year,
                     month=month)
    best = family_candidates(net, origin, destination, world=world, objective=objective, commodity=commodity,
                             families=families)
    overall = None if best.overall is None else best.overall.route()
    results = []
    for fam, cand, reason in best.families:
        route = None if cand is None else cand.route()
        if route is not None:
            why = not_applicable(net, fam, route, overall)
            if why is not None:
                route, reason = None, why
        variant = sea_variant(route) if route is not None and family(fam).sea else None
        results.append(CorridorResult(fam, route, reason, variant))
    return Comparison(best.origin, best.destination, objective, world.policy, tuple(results), overall)


def family_variants(
    net: Network,
    origin: str,
    destination: str,
    *,
    objective: str = "generalized",
    commodity: str = "container",
    world: World | None = None,
    families: Sequence[str] = FAMILIES,
    k: int = 3,
    detour: float = DETOUR,
) -> dict[str, list[Route]]:
    """Up to `k` variants of each family's route, each the best through one of its gateways (a
    signature link, a port, a border crossing), cheapest first, within `detour` of the family's
    best: the alternatives shippers weigh inside a corridor (see `routing.variants`)."""
    found = variant_candidates(net, origin, destination, objective=objective, commodity=commodity,
                               world=world, families=families, k=k, detour=detour)
    return {fam: [c.route() for c in cands] for fam, cands in found.items()}
