"""The world a question is asked in: what is open and avoided, and what every edge costs on top of
its tariff.

A `World` is the policy (countries, blocs, modes and sea passages avoided; border rules; the year
whose infrastructure is open) and the cost terms of that world (`costs.CostTerms`). The network
is not part of it: every question takes the network as its first argument and a world (or the
same options spelled out) beside it, so one network serves many worlds and one world many
networks (a scenario's network is the base network with its changes applied).

    >>> w = World.make(avoid="RUS,BLR", year=2030)
    >>> corridor.compare(net, "Xian", "Duisburg", world=w)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .costs import CostTerms
from .errors import CorridorError
from .network.policy import Border, Policy

AvoidSpec = Iterable[str] | str | None


@dataclass(frozen=True)
class World:
    """Policy and cost terms: everything a question's answer depends on besides the network."""

    policy: Policy = field(default_factory=Policy)
    terms: CostTerms = field(default_factory=CostTerms)

    @classmethod
    def make(cls, avoid: AvoidSpec = None, avoid_modes: AvoidSpec = None, avoid_passages: AvoidSpec = None,
             year: int | None = None, *, borders: Iterable[Border] = (),
             terms: CostTerms | None = None) -> World:
        """A world from the options every question takes (`avoid` takes ISO3 codes, blocs, regions)."""
        return cls(Policy.make(avoid, avoid_modes, year, avoid_passages, borders=borders),
                   terms or CostTerms())

    @property
    def year(self) -> int | None:
        return self.policy.year

    def avoiding(self, avoid: AvoidSpec = None, avoid_modes: AvoidSpec = None,
                 avoid_passages: AvoidSpec = None) -> World:
        """This world avoiding more: countries, blocs or regions, modes and sea passages added to its own."""
        extra = Policy.make(avoid, avoid_modes, None, avoid_passages)
        p = self.policy
        policy = replace(p, avoid_countries=p.avoid_countries | extra.avoid_countries,
                         avoid_groups=p.avoid_groups | extra.avoid_groups,
                         avoid_modes=p.avoid_modes | extra.avoid_modes,
                         avoid_passages=p.avoid_passages | extra.avoid_passages)
        return replace(self, policy=policy)

    def with_terms(self, terms: CostTerms) -> World:
        """This world with `terms` added to its own."""
        return replace(self, terms=self.terms + terms)

    def to_dict(self) -> dict:
        return {"policy": self.policy.to_dict(), "terms": self.terms.to_dict()}


def world_of(world: World | None = None, *, avoid: AvoidSpec = None, avoid_modes: AvoidSpec = None,
             avoid_passages: AvoidSpec = None, year: int | None = None) -> World:
    """The world of a question: `world` as given, or one made from the options (not both)."""
    options = {"avoid": avoid, "avoid_modes": avoid_modes, "avoid_passages": avoid_passages, "year": year}
    given = [k for k, v in options.items() if v not in (None, "", (), [])]
    if world is None:
        return World.make(**options)
    if given:
        raise CorridorError(f"give either world= or {', '.join(given)}, not both: a world already "
                            "states what is avoided and which year's network is open")
    if not isinstance(world, World):
        raise CorridorError(f"world must be a corridor.World, got {type(world).__name__}")
    return world
