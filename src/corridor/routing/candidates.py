"""The searches behind `compare` and `family_variants`, their answers kept as candidates.

A candidate is a route's cost and compiled edges; it becomes a `Route` (legs, countries, gateways,
sources) only when asked, so a choice set that already holds a route under another objective never
builds it again. The family masks (the world's mask less the other families' signature links) are
computed once per world and family and kept on the world's view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..network.families import FAMILIES, family, family_link_masks
from ..network.graph import CONT, LINK
from ..network.policy import Policy
from ..network.tables import Network
from ..world import World
from .itineraries import Candidate, best_simple_route
from .query import Query, WorldView, prepare, world_view
from .results import Route, build_route
from .variants import DETOUR, variants


@dataclass(frozen=True)
class FamilyCandidates:
    """What `compare` finds, before its answers are made Routes: per family (name, candidate or None,
    reason when None), and the best route of any family."""

    origin: str
    destination: str
    families: list[tuple[str, Candidate | None, str | None]]
    overall: Candidate | None


def family_candidates(net: Network, origin: str, destination: str, *, world: World, objective: str,
                      commodity: str, families: Sequence[str] = FAMILIES) -> FamilyCandidates:
    """`compare`'s searches, each family's answer a `Candidate` (a Route only when asked for): what a
    choice set needs to drop the routes it already holds without building them."""
    base, _ = prepare(net, origin, destination, world=world, objective=objective, commodity=commodity)
    view = world_view(net, world)
    o_name, d_name = net.nodes["name"].iat[base.origin], net.nodes["name"].iat[base.destination]
    out: list[tuple[str, Candidate | None, str | None]] = []
    for fam in families:
        fm = _family_masks(net, view, fam)
        if fm.excluded:
            why = ("routing.candidates.why_excluded", fam)  # the same in every question of the world
            if why not in view.extra:
                required, _ = family_link_masks(net, fam)
                view.extra[why] = why_excluded(net, world.policy, fam, required)
            out.append((fam, None, view.extra[why]))
            continue
        q = replace(base, mask=fm.mask, groups=(fm.group,))
        cand, reachable = best_simple_route(net, q, objective=objective, max_pops=12, view=view)
        if cand is not None:
            out.append((fam, cand, None))
        elif not reachable:
            out.append((fam, None, f"no {fam} route connects {o_name} and {d_name} under this policy"))
        else:
            out.append((fam, None, f"no {fam} route found from {o_name} to {d_name} under this policy "
                        "that does not pass a place twice"))
    overall, _ = best_simple_route(net, base, objective=objective, max_pops=12, view=view)
    return FamilyCandidates(o_name, d_name, out, overall)


@dataclass(frozen=True)
class _FamilyMasks:
    """A family in a world: the edges its routes may use, the links that carry its signature, and
    whether the world leaves any of them open."""

    mask: np.ndarray  # the world's mask less the links of other families
    group: np.ndarray  # its signature links (a route must use one)
    signature: np.ndarray  # per link: its signature and no other family's
    excluded: bool


def _family_masks(net: Network, view: WorldView, fam: str) -> _FamilyMasks:
    key = ("routing.comparison", fam)
    if key not in view.extra:
        g = net.graph
        required, forbidden = family_link_masks(net, fam)
        is_link = (g.kind == LINK) | (g.kind == CONT)
        li = np.maximum(g.link, 0)
        view.extra[key] = _FamilyMasks(view.mask & ~(is_link & forbidden[li]),
                                       (g.kind == LINK) & required[li], required,
                                       not (required & view.link_ok).any())
    return view.extra[key]


def why_excluded(net: Network, policy: Policy, fam: str, required: np.ndarray) -> str:
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


def variant_candidates(
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
) -> dict[str, list[VariantCandidate]]:
    """`family_variants` before its answers are made Routes (`VariantCandidate.route()`)."""
    world = world or World()
    base, _ = prepare(net, origin, destination, world=world, objective=objective, commodity=commodity)
    view = world_view(net, world)
    g = net.graph
    out: dict[str, list[VariantCandidate]] = {}
    for fam in families:
        fm = _family_masks(net, view, fam)
        if fm.excluded:
            out[fam] = []
            continue
        q = replace(base, mask=fm.mask)
        found = [(c, e) for c, e in variants(net, q, fm.signature, k=k, detour=detour, view=view)
                 if fm.signature[g.link[np.asarray(e)][g.kind[np.asarray(e)] == LINK]].any()]
        out[fam] = [VariantCandidate(net, q, objective, c, e) for c, e in found]
    return out


@dataclass(eq=False)
class VariantCandidate:
    """One variant's cost and compiled edges; `route()` makes (once) its Route."""

    net: Network
    q: Query
    objective: str
    cost: float
    edges: list[int]
    _route: Route | None = None

    @property
    def key(self) -> tuple[int, ...]:
        return tuple(self.edges)

    def route(self) -> Route:
        if self._route is None:
            q = self.q
            self._route = build_route(self.net, self.edges, objective=self.objective, value=self.cost,
                                      origin=q.origin, destination=q.destination, hours=q.hours, usd=q.usd)
        return self._route
