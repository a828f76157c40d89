"""Policy as a mask: what a route may use, compiled to one boolean per virtual edge.

Besides countries, modes, sea passages and the year, a policy may avoid groups of
countries (a bloc such as `EAEU`, `sanctioned`, or a region such as `central-asia`; see
`corridor.geopolitics`) and set the status of borders: `closed` masks the crossing,
`restricted` adds hours and USD per TEU to it (through `apply_borders`, which returns a
new network: costs live in the network, masks in the policy).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..bounds import COUNTRY_CODES
from ..errors import CorridorError
from ..output import clean
from ..vocabulary import MODES, PASSAGES, YEARS
from .graph import TRANSIT, TRANSSHIP
from .tables import Network

BORDER_STATUSES = ("open", "closed", "restricted")

# a border between two countries is crossed by land or ferry; deep-sea lanes between
# far-apart countries are not a 'border' unless a rule names the mode
BORDER_MODES = ("rail", "road", "ferry", "transfer")


@dataclass(frozen=True)
class Border:
    """The status of one border: a crossing node (`node`) or every crossing between two countries.

    `closed` masks it; `restricted` adds `extra_hours` and `extra_usd` (per TEU) each time
    it is crossed; `open` lifts a closure or restriction set earlier (e.g. by a base
    scenario). A country pair covers the links joining the two countries by `modes`
    (default: rail, road, ferry and transfer links, not deep-sea lanes).
    """

    countries: tuple[str, str] | None = None
    node: str | None = None
    status: str = "open"
    extra_hours: float = 0.0
    extra_usd: float = 0.0
    modes: frozenset[str] = frozenset()
    source_id: str = ""

    def __post_init__(self) -> None:
        if (self.countries is None) == (self.node is None):
            raise CorridorError("a border names either a country pair or a node, not both or neither")
        if self.countries is not None:
            a, b = (str(c).strip().upper() for c in self.countries)
            object.__setattr__(self, "countries", tuple(sorted((a, b))))
        if self.status not in BORDER_STATUSES:
            raise CorridorError(f"unknown border status '{str(self.status)[:20]}'; "
                                f"choose one of {', '.join(BORDER_STATUSES)}")
        for name in ("extra_hours", "extra_usd"):
            v = float(getattr(self, name))
            if not np.isfinite(v) or v < 0:
                raise CorridorError(f"border {name} must be a number >= 0, got {v}")
            object.__setattr__(self, name, v)
        object.__setattr__(self, "modes", frozenset(m.lower() for m in self.modes))

    @property
    def key(self) -> tuple:
        return ("pair", self.countries) if self.countries else ("node", self.node)

    def label(self) -> str:
        return "-".join(self.countries) if self.countries else str(self.node)

    def link_mask(self, net: Network) -> np.ndarray:
        """Links this border covers (country pairs only)."""
        lk = net.links
        if self.countries is None:
            return np.zeros(len(lk), dtype=bool)
        a, b = self.countries
        fc, tc = lk["from_country"].to_numpy(object), lk["to_country"].to_numpy(object)
        pair = ((fc == a) & (tc == b)) | ((fc == b) & (tc == a))
        modes = list(self.modes or BORDER_MODES)
        return pair & lk["mode"].isin(modes).to_numpy()

    def node_index(self, net: Network) -> int | None:
        return None if self.node is None else net.resolve(self.node)

    def to_dict(self) -> dict:
        d = {"status": self.status, "extra_hours": self.extra_hours, "extra_usd": self.extra_usd}
        d = ({"countries": list(self.countries)} if self.countries else {"node": self.node}) | d
        if self.modes:
            d["modes"] = sorted(self.modes)
        if self.source_id:
            d["source_id"] = self.source_id
        return d


@dataclass(frozen=True)
class Policy:
    """Countries, modes and sea passages to avoid, and the year whose infrastructure is open.

    Avoiding a country means no land transit and no call at its nodes; a sea lane
    that only passes its straits (a Bosporus transit for Turkey) is governed by
    `avoid_passages`. `year=None` takes each link's status as it is; with a year, a
    planned link opens from its `opening_year` and an open link counts only once opened.

    `avoid_groups` records the blocs, regions or `sanctioned` a policy was made from;
    their member countries are already in `avoid_countries` (members the network does not
    have are harmless). `borders` close or restrict crossings (see `Border`); when two
    rules name the same border, the later one wins.
    """

    avoid_countries: frozenset[str] = frozenset()
    avoid_modes: frozenset[str] = frozenset()
    year: int | None = None
    avoid_passages: frozenset[str] = frozenset()
    avoid_groups: frozenset[str] = frozenset()
    borders: tuple[Border, ...] = field(default=())

    @classmethod
    def make(
        cls,
        avoid: Iterable[str] | str | None = None,
        avoid_modes: Iterable[str] | str | None = None,
        year: int | None = None,
        avoid_passages: Iterable[str] | str | None = None,
        *,
        borders: Iterable[Border] = (),
    ) -> Policy:
        """`avoid` takes ISO3 codes and, mixed in, bloc or region names (`EAEU`, `sanctioned`)."""
        countries, groups = split_avoid(avoid)
        return cls(frozenset(countries), frozenset(_split(avoid_modes)), year,
                   frozenset(_split(avoid_passages)), frozenset(groups), tuple(borders))

    @property
    def group_countries(self) -> frozenset[str]:
        """Countries that entered `avoid_countries` through a group."""
        if not self.avoid_groups:
            return frozenset()
        from .geopolitics import resolve_countries

        return resolve_countries(sorted(self.avoid_groups))

    def check(self, net: Network) -> None:
        """Reject codes that match nothing: a typo must not silently allow a country."""
        self._check_countries(net)
        badm = sorted(m for m in self.avoid_modes if m not in MODES)
        if badm:
            raise CorridorError(f"unknown mode {', '.join(badm)}; modes: {', '.join(MODES)}")
        badp = sorted(p for p in self.avoid_passages if p not in PASSAGES)
        if badp:
            raise CorridorError(f"unknown sea passage {', '.join(badp)}; passages: "
                                f"{', '.join(PASSAGES)}")
        if self.year is not None and not YEARS[0] <= self.year <= YEARS[1]:
            raise CorridorError(f"year must be between {YEARS[0]} and {YEARS[1]}, got {self.year}")
        self._check_borders(net)

    def _check_countries(self, net: Network) -> None:
        """Every avoided code the network has (a group's members need not be there): the error names
        each unknown code with its near misses, the network's countries and the groups one may avoid."""
        known = net.countries
        bad = sorted(c for c in self.avoid_countries - self.group_countries if c not in known)
        if not bad:
            return
        from .geopolitics import group_names

        try:
            groups = group_names()
        except CorridorError:  # no country tables: codes only
            groups = []
        raise CorridorError(
            "unknown country code " + "; ".join(_unknown_country(c, known) for c in bad)
            + f"; countries in the network: {', '.join(sorted(known))}"
            + (f"; or a bloc or region: {', '.join(groups)}" if groups else "")
        )

    def _check_borders(self, net: Network) -> None:
        """Each border rule names a node or countries of the network, and known modes."""
        known = net.countries
        for b in self.borders:
            if b.countries is None:
                b.node_index(net)  # raises UnknownPlaceError with suggestions
            else:
                unknown = [c for c in b.countries if c not in known]
                if unknown:
                    raise CorridorError(f"border {b.label()}: {', '.join(unknown)} not in the network; "
                                        f"countries: {', '.join(sorted(known))}")
            badbm = sorted(b.modes - set(MODES))
            if badbm:
                raise CorridorError(f"border {b.label()}: unknown mode {', '.join(badbm)}")

    def effective_borders(self) -> tuple[Border, ...]:
        """One rule per border, the last given winning."""
        last: dict[tuple, Border] = {}
        for b in self.borders:
            last.pop(b.key, None)
            last[b.key] = b
        return tuple(last.values())

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
        for b in self.effective_borders():
            if b.status == "closed":
                ok &= ~b.link_mask(net)
        return ok

    def node_mask(self, net: Network) -> np.ndarray:
        return ~net.nodes["country"].isin(list(self.avoid_countries)).to_numpy()

    def closed_nodes(self, net: Network) -> np.ndarray:
        """Indices of nodes whose crossing a `closed` border rule shuts (nothing passes through)."""
        return np.array([b.node_index(net) for b in self.effective_borders()
                         if b.status == "closed" and b.node is not None], dtype=np.int64)

    def edge_mask(self, net: Network) -> np.ndarray:
        g = net.graph
        link_ok = self.link_mask(net)
        node_ok = self.node_mask(net)
        mask = np.where(g.link >= 0, link_ok[np.maximum(g.link, 0)], node_ok[np.maximum(g.node, 0)])
        shut = self.closed_nodes(net)
        if len(shut):
            through = (g.kind == TRANSIT) | (g.kind == TRANSSHIP)
            mask &= ~(through & np.isin(g.node, shut))
        return mask

    def apply_borders(self, net: Network) -> Network:
        """A new network with the `restricted` borders' extra hours and USD on their crossings.

        A restricted node adds to its dwell (charged at every pass through it); a
        restricted country pair adds to the wait and tariff of each crossing link. The
        given network is not changed; without restrictions it is returned as is.
        """
        rules = [b for b in self.effective_borders() if b.status == "restricted"
                 and (b.extra_hours > 0 or b.extra_usd > 0)]
        if not rules:
            return net
        nodes, links = _with_cost_columns(net.raw_nodes.copy(), net.raw_links.copy())
        for b in rules:
            tag = b.source_id or f"border:{b.label()}"
            if b.node is not None:
                _restrict_node(nodes, net.resolve(b.node), b, tag)
            else:
                _restrict_links(links, net.links, b.link_mask(net), b, tag)
        return net.with_tables(nodes=nodes, links=links)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"avoid_countries": sorted(self.avoid_countries),
             "avoid_modes": sorted(self.avoid_modes),
             "avoid_passages": sorted(self.avoid_passages), "year": self.year}
        if self.avoid_groups:
            d["avoid_groups"] = sorted(self.avoid_groups)
        if self.borders:
            d["borders"] = [b.to_dict() for b in self.effective_borders()]
        return d


def _unknown_country(c: str, known: Iterable[str]) -> str:
    """An unknown code as the error names it: with the network's codes it is close to, or, for a real
    country the network does not reach, saying so (a code can be right and still match nothing)."""
    from .geopolitics import suggest

    try:
        close = [x.split(" ")[0] for x in suggest(c, known=known)]
    except CorridorError:
        close = []
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    if c in COUNTRY_CODES:
        hint = " (a country this network does not reach" + (f"; or {', '.join(close)}?)" if close
                                                              else ")")
    return f"'{clean(c, 40)}'{hint}"


def _with_cost_columns(nodes: pd.DataFrame, links: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Copies of the raw tables ready to take a restriction: the wait, tariff and dwell columns as
    floats, and with their source columns, where the file left them out."""
    for col in ("wait_hours", "usd_per_teu", "dwell_hours", "dwell_usd"):
        for df in (nodes, links):
            if col in df.columns:
                df[col] = df[col].astype(float)
    for col, src in (("wait_hours", "wait_source"), ("usd_per_teu", "cost_source")):
        if col not in links.columns:
            links[col] = np.nan
        if src not in links.columns:
            links[src] = ""
    for col, src in (("dwell_hours", "dwell_source"), ("dwell_usd", "dwell_source")):
        if col not in nodes.columns:
            nodes[col] = np.nan
        if src not in nodes.columns:
            nodes[src] = ""
    return nodes, links


def _restrict_node(nodes: pd.DataFrame, i: int, b: Border, tag: str) -> None:
    """A restricted crossing node: its dwell (hours and USD, paid at every pass) raised, `tag` cited."""
    nodes.loc[i, "dwell_hours"] = np.nan_to_num(nodes.at[i, "dwell_hours"]) + b.extra_hours
    nodes.loc[i, "dwell_usd"] = np.nan_to_num(nodes.at[i, "dwell_usd"]) + b.extra_usd
    nodes.loc[i, "dwell_source"] = join_sources(nodes.at[i, "dwell_source"], tag)


def _restrict_links(links: pd.DataFrame, filled: pd.DataFrame, m: np.ndarray, b: Border, tag: str) -> None:
    """A restricted country pair: the wait and tariff of its crossing links `m` raised from their filled
    values (a link the file left blank has its mode's default), `tag` cited."""
    links.loc[m, "wait_hours"] = filled.loc[m, "wait_hours"].to_numpy() + b.extra_hours
    links.loc[m, "usd_per_teu"] = filled.loc[m, "usd_per_teu"].to_numpy() + b.extra_usd
    for src in ("wait_source", "cost_source"):
        links.loc[m, src] = [join_sources(s, tag) for s in filled.loc[m, src]]


def split_avoid(v: Iterable[str] | str | None) -> tuple[list[str], list[str]]:
    """ISO3 codes and group names (blocs, regions, 'sanctioned', any case) of an avoid spec.

    Groups are expanded to their member countries, which join the codes.
    """
    items = v.split(",") if isinstance(v, str) else list(v or ())
    tokens = [str(s).strip() for s in items if s and str(s).strip()]
    if not tokens:
        return [], []
    from .geopolitics import UnknownCountryError, canonical_group, resolve_countries

    groups, codes = [], []
    for t in tokens:
        g = canonical_group(t)
        if g is not None:
            groups.append(g)
            continue
        try:  # a country name or alias (Türkiye, Russian Federation) as its code
            codes += sorted(resolve_countries(t))
        except UnknownCountryError:
            codes.append(t.upper())  # Policy.check reports it, with suggestions
    if groups:
        codes += sorted(resolve_countries(groups))
    return list(dict.fromkeys(codes)), list(dict.fromkeys(groups))


def join_sources(*parts: object) -> str:
    """Source ids from cells (`a;b`) and lists, `;`-joined, each once, in order; blanks and NaN dropped."""
    out: list[str] = []
    for p in parts:
        for x in (p if isinstance(p, list | tuple) else str(p if p is not None else "").split(";")):
            x = str(x).strip()
            if x and x != "nan" and x not in out:
                out.append(x)
    return ";".join(out)


def _split(v: Iterable[str] | str | None, upper: bool = False) -> list[str]:
    if v is None:
        return []
    items = v.split(",") if isinstance(v, str) else list(v)
    out = [s.strip() for s in items if s and s.strip()]
    return [s.upper() for s in out] if upper else [s.lower() for s in out]
