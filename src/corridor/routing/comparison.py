"""Compare corridor families: the best route of each, or why there is none."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from ..network.families import FAMILIES
from ..network.policy import Policy
from ..network.tables import Network
from ..world import World, world_of
from .candidates import family_candidates, variant_candidates
from .itineraries import Route
from .variants import DETOUR


@dataclass(frozen=True)
class CorridorResult:
    corridor: str
    route: Route | None
    reason: str | None = None

    @property
    def feasible(self) -> bool:
        return self.route is not None

    def to_dict(self) -> dict:
        if self.route is None:
            return {"corridor": self.corridor, "feasible": False, "reason": self.reason}
        d = self.route.to_dict()
        d["corridor"] = self.corridor
        return {"feasible": True, **d}


@dataclass(frozen=True)
class Comparison:
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
        ok = [r for r in self.results if r.route is not None]
        return min(ok, key=lambda r: r.route.objective_value) if ok else None

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
        rows = []
        for r in self.results:
            if r.route is None:
                rows.append({"corridor": r.corridor, "feasible": False, "reason": r.reason})
                continue
            s = r.route.summary()
            s["countries"] = "-".join(s["countries"])
            s["via"] = " > ".join(s["via"])
            rows.append({"feasible": True, **s, "reason": None})
        return pd.DataFrame(rows)


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
    """Best route of each corridor family; a family with no feasible route says why.

    A family's route may not pass a place twice: an out-and-back detour to pick up
    a family's signature (a ferry to Turkmenbashi and back) is no real option.
    `overall` is the best route of any family (or none, e.g. Almaty–Tashkent direct),
    the yardstick for how far each family's best is from the best there is.
    """
    world = world_of(world, avoid=avoid, avoid_modes=avoid_modes, avoid_passages=avoid_passages, year=year,
                     month=month)
    best = family_candidates(net, origin, destination, world=world, objective=objective, commodity=commodity,
                             families=families)
    results = [CorridorResult(fam, None if cand is None else cand.route(), reason)
               for fam, cand, reason in best.families]
    return Comparison(best.origin, best.destination, objective, world.policy, tuple(results),
                      None if best.overall is None else best.overall.route())


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
