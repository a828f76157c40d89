"""Corridor families, recognised by signature links rather than by name, read from `families.csv`.

A family is a row of the table: its name, the precedence that decides a route carrying several
signatures, its colour on maps, whether it is a deep-sea family, and its signature:

- `land_entry`: land (rail or road) links into one of `members` (ISO3 codes). A shipment is
  counted once, when it enters those countries from outside (northern: RUS, BLR; southern: IRN);
- `ferry_area`: ferry links on the sea area `members` (middle: the Caspian);
- `passage`: sea lanes through the passage `members` (suez; cape: `south_africa`).

Adding a family is a row here plus the links that carry its signature. Comparing families
means finding the best route that carries one family's signature and none of the others'.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from .graph import LAND

if TYPE_CHECKING:
    from .tables import Network

SIGNATURE_KINDS = ("land_entry", "ferry_area", "passage")
OTHER = "other"  # a route that carries no family's signature (Almaty–Tashkent direct)
OTHER_COLOUR = "#7f7f7f"


@dataclass(frozen=True)
class Family:
    """One corridor family: how its routes are recognised, ranked and drawn."""

    name: str
    precedence: int  # when a route carries several signatures, the lowest precedence names it
    colour: str
    sea: bool  # a deep-sea family (the others cross land and the Caspian)
    signature: str  # one of SIGNATURE_KINDS
    members: tuple[str, ...]  # countries, sea areas or passages, by signature kind
    signature_text: str  # "land links into Russia or Belarus": what a route of the family needs
    description: str

    @property
    def entry_countries(self) -> tuple[str, ...]:
        """Countries whose entry over land marks the family (empty for ferry and sea families)."""
        return self.members if self.signature == "land_entry" else ()


@cache
def family_table() -> tuple[Family, ...]:
    """The bundled families, in display order (the order of the file)."""
    text = resources.files("corridor").joinpath("data/families.csv").read_text(encoding="utf-8")
    out = []
    for row in csv.DictReader(text.splitlines()):
        kind = row["signature"].strip()
        if kind not in SIGNATURE_KINDS:  # bundled data: a bug, not a user error
            raise ValueError(f"families.csv: family {row['family']}: unknown signature {kind!r}")
        out.append(Family(
            name=row["family"].strip(), precedence=int(row["precedence"]), colour=row["colour"].strip(),
            sea=row["sea"].strip().lower() in ("yes", "true", "1"), signature=kind,
            members=tuple(m.strip() for m in row["members"].split(";") if m.strip()),
            signature_text=row["signature_text"].strip(), description=row["description"].strip()))
    return tuple(out)


def family(name: str) -> Family:
    for f in family_table():
        if f.name == name:
            return f
    raise KeyError(name)


FAMILIES: tuple[str, ...] = tuple(f.name for f in family_table())
SEA_FAMILIES: tuple[str, ...] = tuple(f.name for f in family_table() if f.sea)


def colour(name: str) -> str:
    """The family's map colour (grey for a route of no family)."""
    return OTHER_COLOUR if name == OTHER else family(name).colour


def link_signatures(net: Network) -> dict[str, np.ndarray]:
    """One boolean per link and family: does this link mark the family? Cached on the network."""
    key = "families.signatures"
    if key not in net.cache:
        net.cache[key] = _signatures(net)
    return net.cache[key]


def _signatures(net: Network) -> dict[str, np.ndarray]:
    lk = net.links
    land = lk["mode"].isin(LAND).to_numpy()
    passages = lk["passages"].str.split(";").map(set)
    out = {}
    for f in family_table():
        members = list(f.members)
        if f.signature == "land_entry":
            m = land & (lk["from_country"].isin(members) | lk["to_country"].isin(members)).to_numpy()
        elif f.signature == "ferry_area":
            m = ((lk["mode"] == "ferry") & lk["sea_area"].isin(members)).to_numpy()
        else:
            m = passages.map(lambda p, ms=frozenset(members): bool(p & ms)).to_numpy(bool)
        out[f.name] = m
    return out


def entry_links(net: Network) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per family, the links (forward, backward direction) on which a shipment is counted once:
    entering a land family's countries from outside, by land or by a port call (a box landed at
    Novorossiysk and railed across Russia is a northern box), or any use of a ferry or sea
    signature link."""
    lk = net.links
    out = {}
    for name, m in link_signatures(net).items():
        region = list(family(name).entry_countries)
        if not region:
            out[name] = (m, m)
            continue
        to_in = lk["to_country"].isin(region).to_numpy()
        from_in = lk["from_country"].isin(region).to_numpy()
        out[name] = (to_in & ~from_in, from_in & ~to_in)
    return out


def classify(net: Network, link_indices: np.ndarray) -> str:
    """The family of a route that uses these links: the one of lowest precedence among its signatures."""
    sig = link_signatures(net)
    for f in sorted(family_table(), key=lambda f: f.precedence):
        if sig[f.name][link_indices].any():
            return f.name
    return OTHER


def family_link_masks(net: Network, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(required, forbidden) link masks for finding the best route of the family `name`.

    Families are exclusive: a link carrying another family's signature is
    forbidden even if it also carries this one's (a Russia–Iran land link is
    neither purely northern nor purely southern).
    """
    sig = link_signatures(net)
    forbidden = np.zeros(len(net.links), dtype=bool)
    for other, mask in sig.items():
        if other != name:
            forbidden |= mask
    return sig[name] & ~forbidden, forbidden
