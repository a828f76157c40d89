"""Policy as a mask: what a route may use, compiled to one boolean per virtual edge."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .errors import CorridorError
from .io import MODES
from .network import Network

# the sea passages searoute reports; a sea link's `passages` lists the ones it uses
PASSAGES = ("babalmandab", "bosporus", "gibraltar", "suez", "panama", "ormuz", "northwest",
            "malacca", "sunda", "chili", "south_africa", "bering")
YEARS = (2000, 2100)


@dataclass(frozen=True)
class Policy:
    """Countries, modes and sea passages to avoid, and the year whose infrastructure is open.

    Avoiding a country means no land transit and no call at its nodes; a sea lane
    that only passes its straits (a Bosporus transit for Turkey) is governed by
    `avoid_passages`. `year=None` takes each link's status as it is; with a year, a
    planned link opens from its `opening_year` and an open link counts only once opened.
    """

    avoid_countries: frozenset[str] = frozenset()
    avoid_modes: frozenset[str] = frozenset()
    year: int | None = None
    avoid_passages: frozenset[str] = frozenset()

    @classmethod
    def make(
        cls,
        avoid: Iterable[str] | str | None = None,
        avoid_modes: Iterable[str] | str | None = None,
        year: int | None = None,
        avoid_passages: Iterable[str] | str | None = None,
    ) -> Policy:
        return cls(frozenset(_split(avoid, upper=True)), frozenset(_split(avoid_modes)), year,
                   frozenset(_split(avoid_passages)))

    def check(self, net: Network) -> None:
        """Reject codes that match nothing: a typo must not silently allow a country."""
        known = net.countries
        bad = sorted(c for c in self.avoid_countries if c not in known)
        if bad:
            msgs = []
            for c in bad:
                close = difflib.get_close_matches(c, sorted(known), n=3, cutoff=0.3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                msgs.append(f"'{c}'{hint}")
            raise CorridorError(
                "unknown country code " + "; ".join(msgs)
                + f"; countries in the network: {', '.join(sorted(known))}"
            )
        badm = sorted(m for m in self.avoid_modes if m not in MODES)
        if badm:
            raise CorridorError(f"unknown mode {', '.join(badm)}; modes: {', '.join(MODES)}")
        badp = sorted(p for p in self.avoid_passages if p not in PASSAGES)
        if badp:
            raise CorridorError(f"unknown sea passage {', '.join(badp)}; passages: "
                                f"{', '.join(PASSAGES)}")
        if self.year is not None and not YEARS[0] <= self.year <= YEARS[1]:
            raise CorridorError(f"year must be between {YEARS[0]} and {YEARS[1]}, got {self.year}")

    def link_mask(self, net: Network) -> np.ndarray:
        lk = net.links
        status = lk["status"].to_numpy(str)
        opening = lk["opening_year"].to_numpy(float)
        if self.year is None:
            ok = status == "open"
        else:
            opened = np.isnan(opening) | (opening <= self.year)
            ok = ((status == "open") | (status == "planned")) & opened
        ok &= ~lk["mode"].isin(list(self.avoid_modes)).to_numpy()
        if self.avoid_passages:
            used = lk["passages"].str.split(";")
            ok &= ~used.map(lambda p: bool(self.avoid_passages & set(p))).to_numpy(bool)
        if self.avoid_countries:
            av = list(self.avoid_countries)
            ok &= ~lk["from_country"].isin(av).to_numpy() & ~lk["to_country"].isin(av).to_numpy()
        return ok

    def node_mask(self, net: Network) -> np.ndarray:
        return ~net.nodes["country"].isin(list(self.avoid_countries)).to_numpy()

    def edge_mask(self, net: Network) -> np.ndarray:
        g = net.graph
        link_ok = self.link_mask(net)
        node_ok = self.node_mask(net)
        return np.where(g.link >= 0, link_ok[np.maximum(g.link, 0)], node_ok[np.maximum(g.node, 0)])

    def to_dict(self) -> dict:
        return {"avoid_countries": sorted(self.avoid_countries),
                "avoid_modes": sorted(self.avoid_modes),
                "avoid_passages": sorted(self.avoid_passages), "year": self.year}


def _split(v: Iterable[str] | str | None, upper: bool = False) -> list[str]:
    if v is None:
        return []
    items = v.split(",") if isinstance(v, str) else list(v)
    out = [s.strip() for s in items if s and s.strip()]
    return [s.upper() for s in out] if upper else [s.lower() for s in out]
