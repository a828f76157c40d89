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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..assignment.choice_sets import ChoiceSet
from ..assignment.freight import assign
from ..assignment.params import AssignmentParams
from ..assignment.welfare import log_path_sizes, perceived_costs
from ..demand import Demand
from ..network.tables import Network
from ..world import World

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
