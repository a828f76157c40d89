"""Shippers' welfare over a route set, shared by the analyses that close or build things.

`gateways` measures what a closure costs and `appraisal` what a project is worth by the same
yardstick: the expected perceived generalized cost of each choice (origin, destination,
commodity) under the path-size logit, its log-sum in USD (`perceived_costs`). Two assignments
are comparable only on one route set with the path sizes and cost scales of the first held
fixed, so this module also keeps the route-set bookkeeping that makes that so: the choices the
demand asks for, merging and subsetting route sets, each route's identity (`route_keys`) and
the route behind each row of an assignment's path table (`route_index`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.sparse import vstack as sparse_vstack

from ..demand import Demand
from ..errors import CorridorError
from ..network.tables import Network
from .choice_sets import ChoiceSet
from .choice_sets import path_sizes as _logit_path_sizes
from .params import AssignmentParams
from .results import FlowResult, RouteFlows

__all__ = ["demand_classes", "log_path_sizes", "merge_choice_sets", "od_pairs", "path_sizes",
           "perceived_costs", "route_index", "route_keys", "route_subset"]


def demand_classes(demand: Demand) -> list[str]:
    """The commodities with any TEU in the demand, in table order."""
    t = demand.table
    return list(dict.fromkeys(t.loc[t["teu_per_year"] > 0, "commodity"]))


def od_pairs(net: Network, demand: Demand, classes: Iterable[str]) -> list[tuple[int, int]]:
    """The OD pairs (node indices, sorted) with TEU of any of `classes`."""
    out: set[tuple[int, int]] = set()
    for c in classes:
        m = demand.matrix(net, c, "teu")
        out |= {(int(o), int(d)) for o, d in zip(*np.nonzero(m), strict=True)}
    return sorted(out)


def route_index(res: FlowResult | RouteFlows, rs: ChoiceSet, net: Network) -> np.ndarray:
    """The route (row of `rs`) behind each row of `res.paths`, checked against the routes' corridors."""
    paths = res.paths
    if paths is None:
        raise CorridorError("route loads need a 'sue' assignment (it keeps the routes)")
    out = paths["route"].to_numpy(np.int64)
    same = len(out) == 0 or (out.max() < len(rs)
                             and np.array_equal(rs.corridor[out], paths["corridor"].to_numpy()))
    if not same:
        raise CorridorError("internal: the assignment's routes do not match the route set")
    return out


def merge_choice_sets(a: ChoiceSet, b: ChoiceSet) -> ChoiceSet:
    """The routes of `a`, then those of `b` (duplicates kept; see `route_keys`)."""
    if len(b) == 0:
        return a
    if len(a) == 0:
        return b
    sanctioned = (list(a.sanctioned) + list(b.sanctioned)) if a.sanctioned and b.sanctioned else []
    return ChoiceSet(np.vstack([a.od, b.od]), sparse_vstack([a.incidence, b.incidence]).tocsr(),
                     np.concatenate([a.corridor, b.corridor]), list(a.via) + list(b.via), sanctioned)


def route_keys(rs: ChoiceSet) -> list[bytes]:
    """An identity per route (its OD pair and compiled edges): equal keys, the same route."""
    inc = rs.incidence.tocsr()
    inc.sort_indices()
    return [rs.od[i].astype(np.int64).tobytes() + inc.indices[inc.indptr[i]:inc.indptr[i + 1]].tobytes()
            for i in range(len(rs))]


def route_subset(rs: ChoiceSet, rows) -> ChoiceSet:
    """The routes at `rows` of `rs`, in that order."""
    rows = np.asarray(rows, dtype=np.int64)
    return rs.rows(rows)


def path_sizes(net: Network, rs: ChoiceSet) -> np.ndarray:
    """Path size of each route, exactly as the assignment computes it."""
    return _logit_path_sizes(rs, net.graph.hours, len(net.nodes))


def log_path_sizes(net: Network, rs: ChoiceSet, master: ChoiceSet | None = None) -> np.ndarray:
    """Log path size of each route of `rs`, computed within `master` (default: `rs` itself) plus
    any route of `rs` that `master` lacks. Holding the master's path sizes fixed makes the
    log-sum a consistent welfare measure: at fixed costs, removing a route can then only lower it
    (with congestion the other routes' costs move too)."""
    if master is None:
        return np.log(np.clip(path_sizes(net, rs), 1e-12, None))
    keys = route_keys(master)
    where = {k: i for i, k in enumerate(keys)}
    mine = route_keys(rs)
    missing = [i for i, k in enumerate(mine) if k not in where]
    if missing:
        master = merge_choice_sets(master, route_subset(rs, missing))
        where = {k: i for i, k in enumerate(route_keys(master))}
    lps = np.log(np.clip(path_sizes(net, master), 1e-12, None))
    return lps[[where[k] for k in mine]]


def perceived_costs(net: Network, res: FlowResult | RouteFlows, rs: ChoiceSet, params: AssignmentParams,
                    ridx: np.ndarray | None = None, scale: pd.Series | None = None,
                    log_ps: np.ndarray | None = None) -> pd.DataFrame:
    """Per choice (origin, destination, commodity): TEU, the expected perceived generalized cost
    per TEU of the path-size logit (its log-sum in USD: what shippers of that OD lose when an
    alternative goes, and gain when one comes, counted once however its flow moves), the
    TEU-weighted days and the choice's USD scale.

    The assignment scales each choice's costs by its cheapest free-flow route; to compare two
    assignments, pass the first one's `scale` so both are measured in the same units, and
    `log_ps` from `log_path_sizes(net, rs, master=first_route_set)` so a route's overlap
    correction stays what it was.
    """
    p = res.paths
    if p is None:
        raise CorridorError("perceived costs need a 'sue' assignment (it keeps the routes)")
    ridx = route_index(res, rs, net) if ridx is None else ridx
    log_ps = (log_path_sizes(net, rs) if log_ps is None else log_ps)[ridx]
    key = ["origin", "destination", "commodity"]
    g, first = _choices(p, key)  # each row's choice, and each choice's first row (in order of appearance)
    n = len(first)
    com = p["commodity"].to_numpy()
    mu_of = {c: params.dispersion_for(c) for c in set(com)}
    mu = np.array([mu_of[c] for c in com[first]], dtype=float)  # per choice
    cost = p["generalized_usd"].to_numpy(float)
    free = p["free_flow_generalized_usd"].to_numpy(float)
    teu = p["teu"].to_numpy(float)
    index = pd.MultiIndex.from_arrays([p[c].iloc[first] for c in key], names=key)  # as from_frame, no frame
    sc = np.full(n, np.inf)
    np.minimum.at(sc, g, free)
    sc = np.where(sc > 0, sc, 1.0)
    if scale is not None:
        given = np.asarray(scale.reindex(index), dtype=float)
        sc = np.where(np.isnan(given), sc, given)
    u = -mu[g] * cost / sc[g] + log_ps
    umax = np.full(n, -np.inf)
    np.maximum.at(umax, g, u)
    e = np.bincount(g, weights=np.exp(u - umax[g]), minlength=n)
    tot = np.bincount(g, weights=teu, minlength=n)
    wd = np.bincount(g, weights=teu * p["days"].to_numpy(float), minlength=n)
    ls = umax + np.log(e)
    with np.errstate(invalid="ignore", divide="ignore"):
        days = np.where(tot > 0, wd / np.where(tot > 0, tot, 1.0), np.nan)
    return pd.DataFrame({"teu": tot, "usd": -(sc / mu) * ls, "days": days, "scale": sc}, index=index)


def _choices(p: pd.DataFrame, key: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The choice (its number, in order of first appearance) of each row of a path table, and the
    first row of each choice: the groups `groupby(key, sort=False)` makes, without pandas'
    per-group work."""
    combo = np.zeros(len(p), dtype=np.int64)
    for col in key:
        codes, uniques = pd.factorize(p[col], sort=False)
        combo = combo * (len(uniques) + 1) + codes
    _, first, inv = np.unique(combo, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inv.ravel()], first[order]
