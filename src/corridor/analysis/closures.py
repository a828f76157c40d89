"""What closing a gateway costs: the cargo that used it, against its own next-best option.

Two figures, each with one meaning:

- the users' loss (`users_loss`): the TEU whose routes pass the closed element, each OD and
  commodity moved to what is left of its own choice set *at the same congestion*. Their loss is the
  change of the path-size logit's log-sum (expected perceived generalized cost) of their choice,
  which can only grow when options go: never a gain. Their days are the next-best routes' days
  (weighted by the shares the logit gives them without the closed routes) against their own;
  shorter days there mean a faster option that costs more (northern rail with its risk premium);
- the network's loss (`network_loss`): everything re-assigned with the element closed, the queues
  moving, against the open network assigned without the demand the closure strands.

`Closer` closes one element with a warm start (the choice set less the routes through it, and fresh
routes, `repair_routes`, for OD pairs that lose every route but still have a path); `close_elements`
closes the leading elements of each kind in turn (`corridor.analysis.gateways`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from ..assignment.choice_sets import ChoiceSet, choice_set
from ..assignment.freight import assign
from ..assignment.params import AssignmentParams
from ..assignment.welfare import log_path_sizes, merge_choice_sets, perceived_costs
from ..demand import Demand
from ..errors import CorridorError
from ..network.policy import Border
from ..network.tables import Network
from ..world import World
from .cuts import Reachability, closed_edges

KEY = ["origin", "destination", "commodity"]


def choice_frame(net: Network, paths: pd.DataFrame, rs: ChoiceSet, ridx: np.ndarray,
                 params: AssignmentParams, scale: pd.Series) -> pd.DataFrame:
    """The base assignment's routes with what the logit needs: utility u (at the base loads) and
    each choice's scale and dispersion."""
    com = paths["commodity"].to_numpy()
    mu = np.array([params.dispersion_for(c) for c in com])
    sc = np.asarray(pd.MultiIndex.from_frame(paths[KEY]).map(scale), dtype=float)
    sc = np.where(np.isfinite(sc) & (sc > 0), sc, 1.0)
    u = -mu * paths["generalized_usd"].to_numpy(float) / sc + log_path_sizes(net, rs)[ridx]
    return paths[KEY].assign(route=ridx, teu=paths["teu"].to_numpy(float), days=paths["days"].to_numpy(float),
                             u=u, mu=mu, sc=sc)


def users_loss(frame: pd.DataFrame, closed_routes: np.ndarray, region: np.ndarray) -> dict[str, float]:
    """The cargo of the region's choices whose routes are in `closed_routes` (bool per route of the
    choice set), moved to its choice's other routes at the same congestion: TEU, USD a year and
    per TEU (≥ 0), days per TEU (next-best minus own), and the TEU whose choice has no other route."""
    f = frame[region]
    closed = closed_routes[f["route"].to_numpy()]
    if not closed.any():
        return {"users_teu": 0.0, "unserved_teu": 0.0, "extra_usd_yr": 0.0, "extra_usd_per_teu": np.nan,
                "extra_days": np.nan}
    g = f.assign(closed=closed, e=np.exp(f["u"] - f.groupby(KEY, sort=False)["u"].transform("max")))
    g["e_rest"] = np.where(g["closed"], 0.0, g["e"])
    g["users"] = np.where(g["closed"], g["teu"], 0.0)
    g["user_days"] = g["users"] * g["days"]
    g["rest_days"] = g["e_rest"] * g["days"]
    agg = g.groupby(KEY, sort=False).agg(teu=("teu", "sum"), e=("e", "sum"), e_rest=("e_rest", "sum"),
                                         users=("users", "sum"), user_days=("user_days", "sum"),
                                         rest_days=("rest_days", "sum"), sc=("sc", "first"),
                                         mu=("mu", "first"))
    hit = agg[agg["users"] > 0]
    stranded = hit["e_rest"] <= 0
    ok = hit[~stranded]
    # log-sum change: (s/μ) (log Σ_all − log Σ_rest) per TEU of the choice, ≥ 0
    loss = (ok["sc"] / ok["mu"]) * (np.log(ok["e"]) - np.log(ok["e_rest"])) * ok["teu"]
    users = float(ok["users"].sum())
    days = (ok["rest_days"] / ok["e_rest"]) * ok["users"] - ok["user_days"]
    return {"users_teu": float(hit["users"].sum()), "unserved_teu": float(hit.loc[stranded, "users"].sum()),
            "extra_usd_yr": float(loss.sum()),
            "extra_usd_per_teu": float(loss.sum() / users) if users > 0 else np.nan,
            "extra_days": float(days.sum() / users) if users > 0 else np.nan}


def network_loss(base: pd.DataFrame, after: pd.DataFrame,
                 ref: pd.DataFrame | None = None) -> dict[str, float]:
    """Everything re-assigned with the element closed: the TEU left without a route (from `base`,
    the open network) and the served TEU at their new perceived cost against `ref` (default
    `base`; with TEU stranded, the open network assigned without them, so that the capacity they
    free never makes the figure smaller)."""
    both = base.index.isin(after.index)
    q = base["teu"].to_numpy()
    a = after.reindex(base.index)
    r = base if ref is None else ref.reindex(base.index)
    du = np.where(both, a["usd"].to_numpy() - r["usd"].to_numpy(), 0.0)
    return {"network_unserved_teu": float(q[~both].sum()),
            "network_extra_usd_yr": float((q * du)[both].sum())}


def served_only(net: Network, demand: Demand, world: World, rs: ChoiceSet, params: AssignmentParams,
                base_tab: pd.DataFrame, stranded: frozenset) -> pd.DataFrame:
    """Perceived costs on the open network with the `stranded` choices (origin, destination,
    commodity) taken out of the demand: the baseline a closure's served TEU are compared with,
    so that the queues the stranded TEU no longer join do not count as a gain of the closure."""
    t = demand.table
    key = pd.MultiIndex.from_frame(t[KEY])
    kept = Demand(table=t[~key.isin(list(stranded))].reset_index(drop=True), source=demand.source)
    res = assign(net, kept, method="sue", world=world, routes=rs, unserved="report", params=params)
    return perceived_costs(net, res, rs, params, scale=base_tab["scale"])


# the column naming the elements of each kind (countries, nodes, links)
ELEMENT_KEYS = {"countries": "country", "nodes": "node_id", "links": "link_id"}


@dataclass
class Closer:
    """What closing one element needs (warm starts): the baseline's routes, perceived costs and
    choices, and the open network without each set of stranded choices (kept: closures share them)."""

    net: Network
    demand: Demand
    worlds: tuple[World, World, set[tuple[int, int]]]  # the world, the region pair's, the pair's OD pairs
    classes: list[str]
    pairs: list[tuple[int, int]]
    rs: ChoiceSet
    params: AssignmentParams
    base_tab: pd.DataFrame
    region_rows: np.ndarray  # rows of `base_tab` that are the region pair's
    cframe: pd.DataFrame
    in_region: np.ndarray  # paths of the region pair
    masks: tuple[np.ndarray, np.ndarray]  # open edges of the world and of the region pair's world
    repair: bool
    without: dict[frozenset, pd.DataFrame] = field(default_factory=dict)

    def close(self, kind: str, key: str, closed_routes: np.ndarray) -> dict[str, float]:
        """What closing one element costs its users (`users_loss`), the region pair and the network."""
        net, base_tab = self.net, self.base_tab
        users = users_loss(self.cframe, closed_routes, self.in_region)
        closed = closed_edges(net, kind, key)
        rs2 = self.rs.without(closed)
        if self.repair:
            rs2 = repair_routes(net, self.worlds, self.classes, kind, key, rs2, self.pairs,
                          (self.masks[0] & ~closed, self.masks[1] & ~closed))
        after = self._after(rs2)
        stranded = frozenset(base_tab.index[~base_tab.index.isin(after.index)])
        ref = None
        if stranded and len(after):
            if stranded not in self.without:
                self.without[stranded] = served_only(net, self.demand, self.worlds[0], self.rs, self.params,
                                                     base_tab, stranded)
            ref = self.without[stranded]
        region_after = after[after.index.isin(base_tab.index[self.region_rows])]
        lost_region = float(base_tab.loc[self.region_rows & ~base_tab.index.isin(region_after.index),
                                         "teu"].sum())
        return {**users, "unserved_teu": lost_region, **network_loss(base_tab, after, ref)}

    def _after(self, rs2: ChoiceSet) -> pd.DataFrame:
        """Perceived costs with the routes `rs2` (none when nothing is left to assign)."""
        try:
            r2 = assign(self.net, self.demand, method="sue", world=self.worlds[0], routes=rs2,
                        unserved="report", params=self.params)
            return perceived_costs(self.net, r2, rs2, self.params, scale=self.base_tab["scale"],
                                   log_ps=log_path_sizes(self.net, rs2, master=self.rs))
        except CorridorError:  # nothing left to assign
            return self.base_tab.iloc[0:0]


def close_elements(closer: Closer, frames: dict[str, pd.DataFrame],
              inc: dict[str, tuple[csr_matrix, np.ndarray]], min_share: float, top: int) -> int:
    """Close the `top` elements of each kind with at least `min_share` in turn; their losses as
    `closed_*` columns of `frames`. Returns how many were closed."""
    n_closed = 0
    for kind, df in frames.items():
        cand = df[df["share"] >= min_share].sort_values("share", ascending=False).head(top)
        r_elem, keys = inc[kind]
        col_of = {k: i for i, k in enumerate(keys)}
        results = {}
        for key in cand[ELEMENT_KEYS[kind]]:
            closed_routes = np.asarray(r_elem[:, col_of[key]].todense()).ravel() > 0
            results[key] = closer.close(kind, key, closed_routes)
            n_closed += 1
        for col in ("users_teu", "unserved_teu", "extra_usd_yr", "extra_usd_per_teu", "extra_days",
                    "network_extra_usd_yr", "network_unserved_teu"):
            df[f"closed_{col}"] = df[ELEMENT_KEYS[kind]].map({k: v[col] for k, v in results.items()})
    return n_closed


def repair_routes(net: Network, worlds: tuple[World, World, set[tuple[int, int]]], classes: list[str],
                  kind: str, key: str, rs2: ChoiceSet, pairs: list[tuple[int, int]],
                  open_masks: tuple[np.ndarray, np.ndarray]) -> ChoiceSet:
    """Fresh routes, under the closure, for OD pairs the warm start left with none but that still
    have a path (the region pair in its own world, the other pairs in the world)."""
    have = {(int(o), int(d)) for o, d in rs2.od}
    world, rworld, region = worlds
    for w, m, group in ((world, open_masks[0], [p for p in pairs if p not in region]),
                        (rworld, open_masks[1], [p for p in pairs if p in region])):
        orphans = [p for p in group if p not in have]
        if not orphans:
            continue
        lost = sorted(Reachability(net, orphans).reachable(m))
        if not lost:
            continue
        net_x, pol = net, w.policy
        if kind == "countries":
            pol = replace(pol, avoid_countries=pol.avoid_countries | {key})
        elif kind == "nodes":
            pol = replace(pol, borders=pol.borders + (Border(node=key, status="closed"),))
        else:
            links = net.raw_links.copy()
            links.loc[links["link_id"] == key, "status"] = "closed"
            net_x = net.with_tables(links=links)
            gx, g = net_x.graph, net.graph
            if not (np.array_equal(gx.src, g.src) and np.array_equal(gx.dst, g.dst)):
                continue  # cannot happen with a status change; never mix misaligned edge ids
        fresh = choice_set(net_x, lost, world=replace(w, policy=pol), commodities=classes, missing="skip")
        rs2 = merge_choice_sets(rs2, fresh)
    return rs2
