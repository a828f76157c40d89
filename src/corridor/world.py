"""The world a question is asked in: what is open and avoided, what every edge costs on top of its
tariff, the month, and the Caspian crossing's fleet and sea level.

A `World` is the policy (countries, blocs, modes and sea passages avoided; border rules; the year
whose infrastructure is open), the cost terms of that world (`costs.CostTerms`), the month the
question is about (weather and seasonal waits; None: the year as a whole) and the Caspian
crossing (its fleet, ports and sea level; None: the bundled crossing). The network is not part of
it: every question takes the network as its first argument and a world (or the
same options spelled out) beside it, so one network serves many worlds and one world many
networks (a scenario's network is the base network with its changes applied).

    >>> w = World.make(avoid="RUS,BLR", year=2030)
    >>> corridor.compare(net, "Xian", "Duisburg", world=w)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .caspian.config import CaspianConfig
from .caspian.curves import config_hash
from .costs import CostTerms
from .errors import CorridorError
from .network.policy import Border, Policy
from .premiums import risk_terms

AvoidSpec = Iterable[str] | str | None


@dataclass(frozen=True)
class World:
    """Policy, cost terms, month and Caspian crossing: all a question's answer depends on besides the
    network."""

    policy: Policy = field(default_factory=Policy)
    terms: CostTerms = field(default_factory=CostTerms)
    month: int | None = None  # 1-12; None: the year (its months weighted by their flows)
    caspian: CaspianConfig | None = None  # None: the bundled crossing at its data's sea level

    def __post_init__(self) -> None:
        if self.month is not None and (isinstance(self.month, bool) or self.month not in range(1, 13)):
            raise CorridorError(f"month must be 1-12 (or none for the whole year), got {self.month!r}")

    def __hash__(self) -> int:  # worlds key caches (choice sets); a crossing hashes by its contents
        crossing = None if self.caspian is None else config_hash(self.caspian)
        return hash((self.policy, self.terms, self.month, crossing))

    @classmethod
    def make(cls, avoid: AvoidSpec = None, avoid_modes: AvoidSpec = None, avoid_passages: AvoidSpec = None,
             year: int | None = None, month: int | None = None, *, borders: Iterable[Border] = (),
             terms: CostTerms | None = None, caspian: CaspianConfig | None = None,
             risk_premiums: bool = True) -> World:
        """A world from the options every question takes (`avoid` takes ISO3 codes, blocs, regions).

        Its terms are the transit-risk premiums in force in `year` (None: today; see
        `corridor.premiums`) plus `terms`; `risk_premiums=False` leaves the premiums out."""
        base = risk_terms(year) if risk_premiums else CostTerms()
        return cls(Policy.make(avoid, avoid_modes, year, avoid_passages, borders=borders),
                   base + terms if terms is not None else base, month, caspian)

    def in_month(self, month: int | None) -> World:
        """This world in another month (None: the whole year)."""
        return replace(self, month=month)

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

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"policy": self.policy.to_dict(), "terms": self.terms.to_dict(),
                                "month": self.month}
        if self.caspian is not None:
            d["caspian_sea_level_m"] = round(self.caspian.level_m, 3)
        return d


def world_of(world: World | None = None, *, avoid: AvoidSpec = None, avoid_modes: AvoidSpec = None,
             avoid_passages: AvoidSpec = None, year: int | None = None, month: int | None = None) -> World:
    """The world of a question: `world` as given, or one made from the options (not both), with the
    transit-risk premiums of its year."""
    options = {"avoid": avoid, "avoid_modes": avoid_modes, "avoid_passages": avoid_passages, "year": year,
               "month": month}
    given = [k for k, v in options.items() if v not in (None, "", (), [])]
    if world is None:
        return World.make(avoid, avoid_modes, avoid_passages, year, month)
    if given:
        raise CorridorError(f"give either world= or {', '.join(given)}, not both: a world already "
                            "states what is avoided and which year's network is open")
    if not isinstance(world, World):
        raise CorridorError(f"world must be a corridor.World, got {type(world).__name__}")
    return world
