"""Compare corridor families: the best route of each, or why there is none."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..network.families import FAMILIES, family, family_link_masks
from ..network.graph import CONT, LINK
from ..network.policy import Policy
from ..network.tables import Network
from ..world import World, world_of
from .itineraries import Route, find_itineraries
from .query import prepare
from .results import build_route
from .search import shortest_path
from .variants import DETOUR, variants


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
    policy = world.policy
    base, _ = prepare(net, origin, destination, world=world, objective=objective, commodity=commodity)
    g = net.graph
    link_ok = policy.link_mask(net)
    is_link = (g.kind == LINK) | (g.kind == CONT)
    li = np.maximum(g.link, 0)
    o_name, d_name = net.nodes["name"].iat[base.origin], net.nodes["name"].iat[base.destination]
    results = []
    for fam in families:
        required, forbidden = family_link_masks(net, fam)
        if not (required & link_ok).any():
            results.append(CorridorResult(fam, None, _why_excluded(net, policy, fam, required)))
            continue
        q = replace(base, mask=base.mask & ~(is_link & forbidden[li]),
                    groups=((g.kind == LINK) & required[li],))
        found = find_itineraries(net, q, k=1, objective=objective, allow_revisit=False,
                                 max_pops=12, fill_with_paths=False, branch_on_gateways=False)
        if found:
            results.append(CorridorResult(fam, found[0]))
        elif shortest_path(q.search_graph(g)) is None:
            results.append(CorridorResult(
                fam, None, f"no {fam} route connects {o_name} and {d_name} under this policy"))
        else:
            results.append(CorridorResult(
                fam, None, f"no {fam} route found from {o_name} to {d_name} under this policy "
                "that does not pass a place twice"))
    overall = find_itineraries(net, base, k=1, objective=objective, max_pops=12,
                               fill_with_paths=False, branch_on_gateways=False)
    return Comparison(o_name, d_name, objective, policy, tuple(results),
                      overall[0] if overall else None)


def _why_excluded(net: Network, policy: Policy, fam: str, required: np.ndarray) -> str:
    """Name what rules a family out: the countries avoided, the modes, or link status."""
    if not required.any():
        f = family(fam)
        return f"no {fam} route: the network has no {f.signature_text} ({f.description})"
    lk = net.links[required]
    touched = set(lk["from_country"]) | set(lk["to_country"])
    avoided = sorted(touched & policy.avoid_countries)
    modes = sorted(set(lk["mode"]) & policy.avoid_modes)
    passages = sorted({p for cell in lk["passages"] for p in cell.split(";")} & policy.avoid_passages)
    parts = []
    if passages:
        parts.append("avoids passage " + ", ".join(passages))
    if avoided:
        parts.append("avoids " + ", ".join(avoided))
    if modes:
        parts.append("avoids mode " + ", ".join(modes))
    if not parts:
        parts.append("leaves none of them open (status/opening year)")
    return f"no {fam} route: it needs {family(fam).signature_text}, and the policy " + " and ".join(parts)


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
    world = world or World()
    base, _ = prepare(net, origin, destination, world=world, objective=objective, commodity=commodity)
    g = net.graph
    link_ok = world.policy.link_mask(net)
    is_link = (g.kind == LINK) | (g.kind == CONT)
    li = np.maximum(g.link, 0)
    out: dict[str, list[Route]] = {}
    for fam in families:
        required, forbidden = family_link_masks(net, fam)
        if not (required & link_ok).any():
            out[fam] = []
            continue
        q = replace(base, mask=base.mask & ~(is_link & forbidden[li]))
        found = [(c, e) for c, e in variants(net, q, required, k=k, detour=detour)
                 if required[g.link[np.asarray(e)][g.kind[np.asarray(e)] == LINK]].any()]
        out[fam] = [build_route(net, e, objective=objective, value=c, origin=q.origin,
                                destination=q.destination, hours=q.hours, usd=q.usd) for c, e in found]
    return out
