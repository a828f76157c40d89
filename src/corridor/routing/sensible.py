"""Is a family's best route an answer to the question asked? And what kind of sea route is it?

Every family has a best route between almost any two places, but not every best route is a member
a shipper would call by the family's name: Istanbul to Duisburg "by Suez" via Shanghai, Baku to
Tbilisi "by Suez" via China, Almaty to Tashkent "by the Middle Corridor" across the Caspian and back.
A family is applicable when its best route

- carries its signature once when it is a crossing: one Caspian crossing, one transit of the canal or
  the Cape (twice is out and back; a land family may enter its countries twice, as the line from
  Kazakhstan into Russia crosses the border back and forth, and passes no place twice anyway);
- is not a detour on the best route there is: a land family's at most MAX_DETOUR times its
  objective and MAX_KM times its length; a sea family's at most MAX_SEA_DETOUR times its cost
  (generalized or USD; by time every sea route is slow, which is the answer, not a detour);

otherwise compare reports the family as not applicable, with the reason. A sea family's route is
labelled all-water, or by the land legs longer than LAND_KM that carry it to or from the sea
("sea + rail from Trieste": Shanghai-Hamburg by sea to the Adriatic and rail over the Alps).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..network.families import entry_links, family
from ..network.graph import LINK
from ..network.tables import Network
from .results import Leg, Route

MAX_DETOUR = 2.0  # a land family's best may cost up to twice the best route's objective
MAX_KM = 3.0  # and run up to three times its length
MAX_SEA_DETOUR = 3.0  # a sea family's best may cost up to three times the best route's
LAND_KM = 300.0  # a land leg longer than this to or from the sea makes a sea route "sea + rail"


def signature_count(net: Network, name: str, route: Route) -> int:
    """How many times the route takes the family's signature: crossings of the Caspian, transits of a
    passage, entries into the family's countries."""
    g = net.graph
    fwd, back = _entry_links(net)[name]
    e = np.asarray(route.edges, dtype=np.int64)
    if not len(e):
        return 0
    e = e[g.kind[e] == LINK]
    li = g.link[e]
    return int(np.where(g.forward[e], fwd[li], back[li]).sum())


def _entry_links(net: Network) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """`entry_links` of the network, made once per network (it reads the link table with pandas:
    every comparison asks for it several times)."""
    links = net.cache.get("routing.sensible.entry_links")
    if links is None:
        links = net.cache["routing.sensible.entry_links"] = entry_links(net)
    return links


def not_applicable(net: Network, name: str, route: Route, overall: Route | None) -> str | None:
    """Why `route`, the best of family `name`, is no answer (None: it is one)."""
    fam = family(name)
    n = signature_count(net, name, route) if fam.signature != "land_entry" else 1
    what = fam.signature_text
    if n > 1:
        return f"not applicable: its best route takes the family's signature ({what}) {n} times, out and back"
    if overall is None or overall is route:
        return None
    sea = family(name).sea
    if sea and route.objective not in ("generalized", "cost"):
        return None
    ratio = route.objective_value / overall.objective_value if overall.objective_value > 0 else 1.0
    if ratio > (MAX_SEA_DETOUR if sea else MAX_DETOUR):
        return (f"not applicable: its best route ({route.days:.1f} days, {route.km:,.0f} km) costs "
                f"{ratio:.1f} times the best route's {route.objective} ({overall.days:.1f} days, "
                f"{overall.km:,.0f} km): a detour, not an option")
    km = route.km / overall.km if overall.km > 0 else 1.0
    if not sea and km > MAX_KM:
        return (f"not applicable: its best route runs {route.km:,.0f} km, {km:.1f} times the best "
                f"route's {overall.km:,.0f} km: a detour, not an option")
    return None


def sea_variant(route: Route) -> str:
    """"all-water", or the land legs longer than LAND_KM that join the sea: "sea + rail from
    Trieste", "rail to Shenzhen + sea", "rail to Shenzhen + sea + rail from Genoa"."""
    legs = route.legs
    sea = [i for i, leg in enumerate(legs) if leg.mode == "sea"]
    if not sea:
        return "land"

    def land(part: Sequence[Leg]) -> str | None:
        on_land = [leg for leg in part if leg.kind == "link" and leg.mode in ("rail", "road")]
        if sum(leg.km for leg in on_land) <= LAND_KM:
            return None
        by_mode: dict[str, float] = {}
        for leg in on_land:
            by_mode[leg.mode] = by_mode.get(leg.mode, 0.0) + leg.km
        return max(by_mode, key=lambda m: by_mode[m])

    before, after = land(legs[: sea[0]]), land(legs[sea[-1] + 1:])
    if before is None and after is None:
        return "all-water"
    parts = ([f"{before} to {legs[sea[0]].from_name}"] if before else []) + ["sea"] + (
        [f"{after} from {legs[sea[-1]].to_name}"] if after else [])
    return " + ".join(parts)
