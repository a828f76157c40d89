"""Freight flows on the corridor network: demand assigned all-or-nothing or at user equilibrium.

The compiled graph's virtual edges are the assignment's links, so border dwell,
gauge changes and port handling congest like any link: a node's capacity sits on
its transit and transshipment edges. Each demand place gets a zone vertex joined
to the node's departure and arrival sides and closed to through traffic.

A link costs its tariff plus value of time × (hours + Q (v/c)^β): only time grows
with congestion, by a queue of Q hours when the flow reaches capacity, steeply
beyond (a BPR-type delay whose scale does not shrink with a short link's running
time, which matters for border crossings and ports). Capacities are TEU a year; a capacity known only in
tonnes is converted at 10 t per TEU (the loaded-TEU convention of docs/rates.md).
This is the machinery; Q, β, the value of time and route-specific premiums are
still to be calibrated against observed corridor volumes (issue 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .assignment import assign as _solve
from .cost import edge_weights
from .demand import Demand
from .errors import CorridorError
from .families import LAND_COUNTRIES, link_signatures
from .network import CONT, LINK, TRANSIT, TRANSSHIP, Network
from .policy import Policy

TONNES_PER_TEU = 10.0
METHODS = ("aon", "ue")


@dataclass(frozen=True)
class FlowResult:
    """Assigned flows with their convergence record; frames align with the network's tables."""

    method: str
    commodity: str
    rgap: float
    iterations: int
    converged: bool
    links: pd.DataFrame  # one row per network link: flow each way, total, capacity, v/c
    nodes: pd.DataFrame  # one row per node: TEU passing through, of which transshipped
    corridors: dict[str, float]  # TEU a year on each family's signature links
    countries: dict[str, float]  # TEU a year entering each country from another one
    history: list[tuple[int, float, float]] = field(default_factory=list)

    def over_capacity(self, share: float = 0.9) -> pd.DataFrame:
        """Links (and nodes) loaded above `share` of their capacity."""
        lk = self.links[self.links["v_c"] > share].assign(kind="link")
        nd = self.nodes[self.nodes["v_c"] > share].assign(kind="node")
        cols = ["kind", "id", "name", "flow_teu", "capacity_teu_yr", "v_c"]
        return pd.concat([lk.rename(columns={"link_id": "id"})[cols],
                          nd.rename(columns={"node_id": "id"})[cols]], ignore_index=True)

    def to_dict(self) -> dict:
        return {
            "method": self.method, "commodity": self.commodity, "rgap": self.rgap,
            "iterations": self.iterations, "converged": self.converged,
            "corridors_teu": {k: round(v, 1) for k, v in self.corridors.items()},
            "countries_teu": {k: round(v, 1) for k, v in sorted(self.countries.items())},
            "over_90pct": self.over_capacity().round(3).to_dict(orient="records"),
        }


def assign(
    net: Network,
    demand: Demand,
    *,
    method: str = "ue",
    rgap: float = 1e-4,
    max_iter: int = 500,
    commodity: str = "container",
    queue_hours: float = 24.0,
    beta: float = 4.0,
    avoid: Iterable[str] | str | None = None,
    avoid_modes: Iterable[str] | str | None = None,
    year: int | None = None,
    policy: Policy | None = None,
) -> FlowResult:
    """Assign `demand` (TEU a year, all commodities) to the network under a policy.

    `method="aon"` loads every OD pair on its cheapest route at free-flow cost;
    `"ue"` finds the user equilibrium (bi-conjugate Frank-Wolfe) with a queueing delay
    of `queue_hours` × (v/c)^`beta` on every edge that has a capacity (uncalibrated defaults).
    """
    if queue_hours < 0 or beta < 1:
        raise CorridorError("queue_hours must be >= 0 and beta >= 1")
    if method not in METHODS:
        raise CorridorError(f"unknown method '{method}'; choose one of {', '.join(METHODS)}")
    policy = policy or Policy.make(avoid, avoid_modes, year)
    policy.check(net)
    g = net.graph
    od = demand.matrix(net, None, "teu")
    zones = np.flatnonzero((od.sum(0) + od.sum(1)) > 0)
    if not len(zones):
        raise CorridorError("the demand table is empty")
    vot = net.value_of_time(commodity)
    mask = policy.edge_mask(net)
    e = np.flatnonzero(mask)

    # zone vertices after the virtual nodes: zone -> departure sides, arrival sides -> zone
    zv = g.n_vnodes + np.arange(len(zones))
    z_src = [np.full(len(g.starts(v)), zv[i]) for i, v in enumerate(zones)]
    z_dst = [np.full(len(g.ends(v)), zv[i]) for i, v in enumerate(zones)]
    init = np.concatenate([g.src[e], *z_src, *[g.ends(v) for v in zones]])
    term = np.concatenate([g.dst[e], *[g.starts(v) for v in zones], *z_dst])
    n_zone_edges = len(init) - len(e)
    hours = np.concatenate([g.hours[e], np.zeros(n_zone_edges)])
    usd = np.concatenate([edge_weights(net, "cost")[e], np.zeros(n_zone_edges)])
    cap = np.concatenate([_edge_capacity(net)[e], np.full(n_zone_edges, np.nan)])
    congests = np.isfinite(cap) & (cap > 0) & (queue_hours > 0)
    # engine form fixed + t0 (1 + b r^p): t0 = the queue's cost scale, the rest is fixed
    scale = np.where(congests, vot * queue_hours, vot * hours)
    fixed = usd + vot * hours - np.where(congests, scale, vot * hours)
    b = np.where(congests, 1.0, 0.0)
    p = np.where(congests, beta, 0.0)
    cap = np.where(congests, cap, 1.0)

    res = _solve(init, term, scale, cap, b, p, od[np.ix_(zones, zones)],
                 n_nodes=g.n_vnodes + len(zones), zone_nodes=zv, no_through=zv, rgap=rgap,
                 max_iter=1 if method == "aon" else max_iter, fixed_cost=fixed)
    flow = np.zeros(g.n_edges)
    flow[e] = res.flow[: len(e)]
    return _summarise(net, flow, method, commodity, res)


def _capacity_teu(df: pd.DataFrame) -> np.ndarray:
    """TEU a year per row: the TEU figure, else the tonnes figure at 10 t per TEU."""
    c = df["capacity_teu_yr"].to_numpy(float) if "capacity_teu_yr" in df else np.full(len(df), np.nan)
    t = df["capacity_t_yr"].to_numpy(float) if "capacity_t_yr" in df else np.full(len(df), np.nan)
    return np.where(np.isfinite(c), c, t / TONNES_PER_TEU)


def _edge_capacity(net: Network) -> np.ndarray:
    """TEU a year per virtual edge: the link's for link edges, the node's for its node edges."""
    g = net.graph
    link_cap, node_cap = _capacity_teu(net.links), _capacity_teu(net.nodes)
    is_link = (g.kind == LINK) | (g.kind == CONT)
    return np.where(is_link, link_cap[np.maximum(g.link, 0)], node_cap[np.maximum(g.node, 0)])


def _summarise(net: Network, flow: np.ndarray, method: str, commodity: str, res) -> FlowResult:
    g = net.graph
    lk = net.links
    on_link = g.kind == LINK
    li = g.link[on_link]
    forward = g.from_node[on_link] == lk["from_node_id"].map(net.node_index).to_numpy()[li]
    fwd = np.bincount(li[forward], weights=flow[on_link][forward], minlength=len(lk))
    back = np.bincount(li[~forward], weights=flow[on_link][~forward], minlength=len(lk))
    links = pd.DataFrame({
        "link_id": lk["link_id"], "name": lk["name"], "from_node_id": lk["from_node_id"],
        "to_node_id": lk["to_node_id"], "mode": lk["mode"], "flow_forward_teu": fwd,
        "flow_backward_teu": back, "flow_teu": fwd + back, "capacity_teu_yr": _capacity_teu(lk),
    })
    # a capacity is per direction: the busier direction is the one that binds
    links["v_c"] = np.maximum(fwd, back) / links["capacity_teu_yr"]
    node_edge = (g.kind == TRANSIT) | (g.kind == TRANSSHIP)
    through = np.bincount(g.node[node_edge], weights=flow[node_edge], minlength=len(net.nodes))
    ts = g.kind == TRANSSHIP
    shipped = np.bincount(g.node[ts], weights=flow[ts], minlength=len(net.nodes))
    node_cap = _capacity_teu(net.nodes)
    nodes = pd.DataFrame({"node_id": net.nodes["node_id"], "name": net.nodes["name"],
                          "country": net.nodes["country"], "flow_teu": through,
                          "transshipped_teu": shipped, "capacity_teu_yr": node_cap})
    nodes["v_c"] = nodes["flow_teu"] / nodes["capacity_teu_yr"]
    sig = link_signatures(net)
    # a family's volume, counted once per shipment: TEU on its ferries or sea lanes, or
    # entering its land countries (Russia/Belarus, Iran) from outside
    corridors = {}
    for fam, m in sig.items():
        region = list(LAND_COUNTRIES.get(fam, ()))
        if not region:
            corridors[fam] = float(links["flow_teu"][m].sum())
            continue
        to_in = lk["to_country"].isin(region).to_numpy()
        from_in = lk["from_country"].isin(region).to_numpy()
        corridors[fam] = float(fwd[m & to_in & ~from_in].sum() + back[m & from_in & ~to_in].sum())
    cross = lk["from_country"].to_numpy() != lk["to_country"].to_numpy()
    countries: dict[str, float] = {}
    for c, v in ((lk["to_country"].to_numpy()[cross], fwd[cross]),
                 (lk["from_country"].to_numpy()[cross], back[cross])):
        for country, x in zip(c, v, strict=True):
            countries[country] = countries.get(country, 0.0) + float(x)
    return FlowResult(method, commodity, res.rgap, res.iterations, res.converged, links, nodes,
                      corridors, countries, res.history)
