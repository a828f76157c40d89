"""Choice sets for the stochastic assignment: candidate routes per OD pair as a route × edge incidence.

The set holds the best route of every corridor family under time, cost and each commodity's
generalized cost (`choice_set`), and path sizes measure how much the routes of one OD overlap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from scipy.sparse import csr_matrix

from ..errors import CorridorError, NoRouteError
from ..network.tables import Network
from ..routing.candidates import family_candidates, variant_candidates
from ..routing.results import route_outline
from ..world import World

ROUTE_OBJECTIVES = ("generalized", "time", "cost")
VARIANTS = 4  # per family, OD pair and commodity: Aktau, Kuryk, Turkmenbashi and one more
KEPT = 8  # results kept per kind on a route set (`ChoiceSet.kept`)

T = TypeVar("T")

Progress = Callable[[str, int, int, float], None]  # (stage, done, total, gap): "routes" then "iterate"


@dataclass(frozen=True)
class ChoiceSet:
    """Candidate routes per OD pair as a sparse route × edge incidence."""

    od: np.ndarray  # (routes, 2) node indices
    incidence: csr_matrix  # routes x compiled edges, 1 where the route uses the edge
    corridor: np.ndarray  # family of each route
    via: list[str]
    sanctioned: list[str] = field(default_factory=list)  # per route: sanctioned countries it enters, ";"
    # what is worked out from the routes and a few small inputs, kept (`kept`)
    _kept: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.od)

    def __getstate__(self) -> dict:
        """Pickled without what is kept (sent to a sweep's workers: the routes alone)."""
        return {**self.__dict__, "_kept": {}}

    def kept(self, key: tuple, make: Callable[[], T]) -> T:
        """`make()`, kept on this route set under `key` (a kind, then the inputs beside the routes it
        depends on, e.g. the hours of the path sizes): an appraisal assigns one set of routes in
        every sample year, and often in several worlds. The last `KEPT` per kind are kept."""
        held = self._kept.setdefault(key[0], {})
        if key not in held:
            if len(held) >= KEPT:
                del held[next(iter(held))]
            held[key] = make()
        return held[key]

    def rows(self, keep) -> ChoiceSet:
        """The routes at `keep` (indices), in that order."""
        keep = np.asarray(keep, dtype=np.int64)
        sanctioned = [self.sanctioned[i] for i in keep] if self.sanctioned else []
        return ChoiceSet(self.od[keep], self.incidence[keep], self.corridor[keep],
                         [self.via[i] for i in keep], sanctioned)

    def surviving(self, closed: np.ndarray) -> np.ndarray:
        """Indices of the routes that use none of the `closed` compiled edges (a boolean mask)."""
        return np.flatnonzero((self.incidence @ np.asarray(closed, dtype=float)) == 0)

    def without(self, closed: np.ndarray) -> ChoiceSet:
        """The routes that use none of the `closed` compiled edges (a warm start after a closure:
        the survivors keep their shares' logic, and no route search is run again)."""
        return self.rows(self.surviving(closed))


def choice_set(net: Network, pairs: Iterable[tuple[int, int]], *, world: World,
              commodities: Iterable[str], objectives: Iterable[str] = ROUTE_OBJECTIVES,
              progress: Progress | None = None, missing: str = "raise") -> ChoiceSet:
    """The best route of every corridor family for each OD pair (node indices), under each
    objective and each commodity's value of time, and up to `VARIANTS` variants of each family
    through its different gateways (ports, crossings, branches; `routing.variants`) under each
    commodity's generalized cost; duplicates dropped. Cached on the network per
    question. A pair with no route raises NoRouteError, or is left out with `missing="skip"`."""
    pairs = sorted(set(pairs))
    commodities, objectives = tuple(commodities), tuple(objectives)
    memo = ("choice_sets.choice_set", world, tuple(pairs), commodities, objectives, missing)
    if memo in net.cache:
        return net.cache[memo]
    ids = net.nodes["node_id"].to_numpy()
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    od: list[tuple[int, int]] = []
    fam: list[str] = []
    via: list[str] = []
    sanctioned: list[str] = []
    # generalized cost differs per commodity (its value of time); time and cost do not
    questions = [(objective, c) for objective in objectives
                 for c in (commodities if objective == "generalized" else commodities[:1])]
    for n_done, (o, d) in enumerate(pairs):
        if progress is not None:
            progress("routes", n_done, len(pairs), np.nan)
        seen: set[tuple[int, ...]] = set()
        for objective, c in questions:
            try:
                best = family_candidates(net, ids[o], ids[d], objective=objective, commodity=c, world=world)
            except CorridorError as exc:  # an endpoint the policy avoids: no question can be answered
                if missing != "skip":
                    raise NoRouteError(f"no route from {net.nodes['name'].iat[o]} to "
                                       f"{net.nodes['name'].iat[d]}: {exc}") from None
                break
            found: list = [cand for _, cand, _ in best.families if cand is not None]
            if best.overall is not None:
                found.append(best.overall)
            if objective == "generalized":  # the ports, crossings and branches within each family
                by_family = variant_candidates(net, ids[o], ids[d], commodity=c, world=world, k=VARIANTS)
                found += [v for cands in by_family.values() for v in cands]
            for cand in found:  # a route is outlined only the first time its edges are met
                key = cand.key
                if key in seen:
                    continue
                seen.add(key)
                # its corridor, gateways and sanctioned countries as `build_route` gives them, no legs
                edges = np.asarray(key, dtype=np.int64)
                edges = edges[edges >= 0]
                r = route_outline(net, edges, origin=o)
                rows.append(np.full(len(edges), len(od)))
                cols.append(edges)
                od.append((o, d))
                fam.append(r.corridor)
                via.append(" > ".join(r.gateway_names))
                sanctioned.append(";".join(r.sanctioned))
        if not seen and missing != "skip":
            raise NoRouteError(f"no route from {net.nodes['name'].iat[o]} to {net.nodes['name'].iat[d]} "
                               "under this policy, but the demand has flow between them")
    at_row = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    at_col = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    inc = csr_matrix((np.ones(len(at_row)), (at_row, at_col)), shape=(len(od), net.graph.n_edges))
    inc.data[:] = 1.0  # a route passes an edge once
    rs = ChoiceSet(np.array(od, dtype=np.int64).reshape(-1, 2), inc, np.array(fam), via, sanctioned)
    net.cache[memo] = rs
    return rs


def path_sizes(rs: ChoiceSet, hours: np.ndarray, n_nodes: int) -> np.ndarray:
    """Path size of each route: 1 for a route that shares no edge with another route of its OD,
    less the more of its free-flow `hours` (per compiled edge) it shares (Ben-Akiva & Bierlaire).
    Kept on the route set per `hours` (a copy is returned)."""
    h = np.asarray(hours, dtype=float)
    return rs.kept(("path_sizes", n_nodes, h.tobytes()), lambda: _path_sizes(rs, h, n_nodes)).copy()


def _path_sizes(rs: ChoiceSet, hours: np.ndarray, n_nodes: int) -> np.ndarray:
    coo = rs.incidence.tocoo()
    r_nz, e_nz = coo.row, coo.col
    h = np.asarray(hours, dtype=float)
    length = np.bincount(r_nz, weights=h[e_nz], minlength=len(rs))
    od_key = rs.od[:, 0].astype(np.int64) * n_nodes + rs.od[:, 1]
    # how many routes of its OD pair use each (route, edge) entry
    _, od = np.unique(od_key, return_inverse=True)
    key = od.ravel()[r_nz] * len(h) + e_nz
    if int(od.max(initial=0) + 1) * len(h) <= 1 << 24:  # a count per (OD pair, edge) fits: no sort
        per_entry = np.bincount(key)[key]
    else:
        _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
        per_entry = cnt[inv.ravel()]
    share = np.where(length[r_nz] > 0, h[e_nz] / np.where(length[r_nz] > 0, length[r_nz], 1.0), 0.0)
    ps = np.bincount(r_nz, weights=share / per_entry, minlength=len(rs))
    return np.where(length > 0, ps, 1.0)
