"""Corridor families, recognised by signature links rather than by name.

A route is `northern` if it enters Russia or Belarus over land, `southern` if it
enters Iran over land, `middle` if it crosses the Caspian by ferry, and `suez` or
`cape` if a deep-sea leg passes that way. Comparing families means finding the
best route that carries one family's signature and none of the others'.
"""

from __future__ import annotations

import numpy as np

from .graph import LAND
from .tables import Network

FAMILIES = ("northern", "middle", "southern", "suez", "cape")

DESCRIPTIONS = {
    "northern": "rail via Russia and Belarus (enters RUS or BLR over land)",
    "middle": "Trans-Caspian: Kazakhstan, Caspian ferry, Azerbaijan, Georgia, then Black Sea or Turkey",
    "southern": "via Turkmenistan and Iran to Turkey (enters IRN over land)",
    "suez": "deep sea through the Suez Canal",
    "cape": "deep sea round the Cape of Good Hope",
}

# families marked by entering these countries over land
LAND_COUNTRIES = {"northern": ("RUS", "BLR"), "southern": ("IRN",)}

SIGNATURES = {
    "northern": "land links into Russia or Belarus",
    "middle": "Caspian ferry links",
    "southern": "land links into Iran",
    "suez": "sea lanes through the Suez Canal",
    "cape": "sea lanes round the Cape of Good Hope",
}

# precedence when one route carries several signatures
_ORDER = ("northern", "southern", "middle", "suez", "cape")


def link_signatures(net: Network) -> dict[str, np.ndarray]:
    """One boolean per link and family: does this link mark the family?"""
    lk = net.links
    land = lk["mode"].isin(LAND).to_numpy()

    def touches(codes):
        return (lk["from_country"].isin(codes) | lk["to_country"].isin(codes)).to_numpy()

    passages = lk["passages"].str.split(";")
    return {
        "northern": land & touches(list(LAND_COUNTRIES["northern"])),
        "southern": land & touches(list(LAND_COUNTRIES["southern"])),
        "middle": ((lk["mode"] == "ferry") & (lk["sea_area"] == "caspian")).to_numpy(),
        "suez": passages.map(lambda p: "suez" in p).to_numpy(bool),
        "cape": passages.map(lambda p: "south_africa" in p).to_numpy(bool),
    }


def classify(net: Network, link_indices: np.ndarray) -> str:
    sig = _signatures_cached(net)
    for fam in _ORDER:
        if sig[fam][link_indices].any():
            return fam
    return "other"


def family_link_masks(net: Network, family: str) -> tuple[np.ndarray, np.ndarray]:
    """(required, forbidden) link masks for finding the best route of `family`.

    Families are exclusive: a link carrying another family's signature is
    forbidden even if it also carries this one's (a Russia–Iran land link is
    neither purely northern nor purely southern).
    """
    sig = _signatures_cached(net)
    forbidden = np.zeros(len(net.links), dtype=bool)
    for other, mask in sig.items():
        if other != family:
            forbidden |= mask
    return sig[family] & ~forbidden, forbidden


def _signatures_cached(net: Network) -> dict[str, np.ndarray]:
    if "families.signatures" not in net.cache:
        net.cache["families.signatures"] = link_signatures(net)
    return net.cache["families.signatures"]
