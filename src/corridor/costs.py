"""THE generalized cost of an edge: tariffs, corridor terms, and value of time × (hours + queue wait).

Every search, assignment, logit, welfare and appraisal figure reads edge costs from here.
Free-flow weights per objective (`edge_weights`) and costs under load (`EdgeModel`,
`delay_hours`) are two views of the same cost.

Under load, an edge costs its tariff, plus a corridor constant on the family's signature edges,
plus a commodity's value of time × (hours + W Q (V/c)^β), V the load of the queue the edge joins.
A link's capacity is per direction; a node's is one queue shared by its edges (a port's quay:
only its transshipments; a border station: everything crossing it). A capacity in TEU counts
containerised classes (W = 1, others 0); one in tonnes counts every class by its tonnes
(W = t per TEU / 10), in TEU-equivalents of 10 t (docs/rates.md). A link or node with both has
two queues, and an edge pays the delay of each queue it joins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import CorridorError
from .network.families import FAMILIES, entry_links
from .network.graph import LINK, TRANSIT, TRANSSHIP
from .network.tables import Network

OBJECTIVES = ("time", "cost", "co2", "generalized")


def edge_weights(net: Network, objective: str = "generalized", *,
                 commodity: str = "container") -> np.ndarray:
    """Weight of every virtual edge: hours, USD/TEU, kg CO2/TEU, or USD + value of time × hours."""
    g = net.graph
    if objective == "time":
        w = g.hours
    elif objective == "cost":
        w = g.usd
    elif objective == "co2":
        w = g.co2
    elif objective == "generalized":
        w = g.usd + net.value_of_time(commodity) * g.hours
    else:
        raise CorridorError(f"unknown objective '{objective[:60]}'; choose one of {', '.join(OBJECTIVES)}")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        # Dijkstra is only right for finite, non-negative weights
        e = int(np.flatnonzero(bad)[0])
        where = (f"link '{net.links['link_id'].iat[g.link[e]]}'" if g.link[e] >= 0
                 else f"node '{net.nodes['node_id'].iat[g.node[e]]}'")
        raise CorridorError(f"{objective} weight of {where} is {w[e]}: weights must be finite and >= 0")
    return w





TONNES_PER_TEU = 10.0


@dataclass(frozen=True)
class EdgeModel:
    """Per compiled edge: what it costs and how long it takes; and the queues edges join.

    A queue is one capacity: a link's per direction, or a node's shared by its edges. A
    capacity in TEU counts boxes; one in tonnes counts all cargo by weight; a link or node
    with both has both queues, and each binds.
    """

    hours: np.ndarray
    usd: np.ndarray  # tariff + corridor constant
    member_edge: np.ndarray  # edge of each membership
    member_queue: np.ndarray  # queue of each membership
    cap: np.ndarray  # per queue: TEU, or TEU-equivalents of 10 t, a year
    in_tonnes: np.ndarray  # per queue: counted in tonnes (all cargo) rather than in boxes
    owner_link: np.ndarray  # per queue: its link (-1: a node's)
    owner_node: np.ndarray  # per queue: its node (-1: a link's)

    @property
    def n_queues(self) -> int:
        return len(self.cap)

    def weights(self, containerised: np.ndarray, t_per_teu: np.ndarray) -> np.ndarray:
        """(classes, memberships): what a TEU of each class counts in each queue it joins. A TEU
        queue counts containerised classes only; a tonnes queue counts every class by its tonnes."""
        t = self.in_tonnes[self.member_queue]
        return np.where(t[None, :], (t_per_teu / TONNES_PER_TEU)[:, None],
                        containerised.astype(float)[:, None])


def edge_model(net: Network, constants: dict[str, float], *, non_negative: bool = False) -> EdgeModel:
    """The network's edges under `constants` (USD/TEU per corridor family); cached on the network.

    `non_negative`: shortest-path searches cannot take a negative constant, so every family's
    constant is raised by the most negative one (the same choice between families)."""
    consts = dict(constants)
    low = min(0.0, *consts.values()) if consts else 0.0
    if non_negative and low < 0:
        consts = {f: consts.get(f, 0.0) - low for f in FAMILIES}
    key = ("flows.edge_model", tuple(sorted(consts.items())))
    if key in net.cache:
        return net.cache[key]
    g = net.graph
    is_link = g.kind == LINK  # a parallel link's CONT edge is free and joins no queue
    li, ni = np.maximum(g.link, 0), np.maximum(g.node, 0)
    port = (net.nodes["kind"].to_numpy() == "port")[ni]
    # a port's capacity is its quay (transshipments); a border station's is all it clears
    at_node = (g.kind == TRANSSHIP) | ((g.kind == TRANSIT) & ~port)
    edges, queues, caps, tonnes, o_link, o_node = [], [], [], [], [], []
    n_q = 0
    for col, scale, in_t in (("capacity_teu_yr", 1.0, False), ("capacity_t_yr", TONNES_PER_TEU, True)):
        lc, nc = _column(net.links, col) / scale, _column(net.nodes, col) / scale
        # a link edge queues alone (a capacity is per direction)
        e = np.flatnonzero(is_link & np.isfinite(lc[li]) & (lc[li] > 0))
        edges.append(e)
        queues.append(n_q + np.arange(len(e)))
        caps.append(lc[li[e]])
        o_link.append(li[e])
        o_node.append(np.full(len(e), -1))
        n_q += len(e)
        # a node's edges share one queue
        e = np.flatnonzero(at_node & np.isfinite(nc[ni]) & (nc[ni] > 0))
        nodes, q = np.unique(ni[e], return_inverse=True)
        edges.append(e)
        queues.append(n_q + q)
        caps.append(nc[nodes])
        o_link.append(np.full(len(nodes), -1))
        o_node.append(nodes)
        n_q += len(nodes)
        tonnes.append(np.full(len(caps[-2]) + len(nodes), in_t))
    usd = g.usd + _constants(net, consts)
    m = EdgeModel(g.hours.astype(float), usd, np.concatenate(edges), np.concatenate(queues),
                  np.concatenate(caps), np.concatenate(tonnes), np.concatenate(o_link),
                  np.concatenate(o_node))
    net.cache[key] = m
    return m


def _column(df: pd.DataFrame, col: str) -> np.ndarray:
    return df[col].to_numpy(float) if col in df else np.full(len(df), np.nan)


def _constants(net: Network, constants: dict[str, float]) -> np.ndarray:
    """USD per TEU on each family's signature edges, charged once per shipment: on entering
    Russia/Belarus or Iran by land, on the Caspian ferry, on the Suez or Cape sea lane."""
    g = net.graph
    out = np.zeros(g.n_edges)
    if not any(constants.values()):
        return out
    on_link = g.kind == LINK
    li = np.maximum(g.link, 0)
    entry = entry_links(net)
    for fam, usd in constants.items():
        if usd:
            fwd, back = entry[fam]
            out[on_link & np.where(g.forward, fwd[li], back[li])] += usd
    return out


def capacity_teu(df: pd.DataFrame) -> np.ndarray:
    """TEU a year per row, for reports: the TEU figure, else the tonnes figure at 10 t per TEU."""
    c, t = _column(df, "capacity_teu_yr"), _column(df, "capacity_t_yr")
    return np.where(np.isfinite(c), c, t / TONNES_PER_TEU)


def queue_volumes(model: EdgeModel, class_flow: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per queue: the weighted flow (TEU or TEU-equivalents a year) of its members."""
    w = (weight * class_flow[:, model.member_edge]).sum(0)
    return np.bincount(model.member_queue, weights=w, minlength=model.n_queues)


def delay_hours(model: EdgeModel, class_flow: np.ndarray, weight: np.ndarray, q: float,
                beta: float) -> np.ndarray:
    """(classes, edges): queue hours Σ W Q (V/c)^β each class feels at `class_flow` (TEU a year)."""
    r = queue_volumes(model, class_flow, weight) / model.cap
    t = q * np.power(np.maximum(r, 0.0), beta)
    n = len(model.hours)
    return np.stack([np.bincount(model.member_edge, weights=w * t[model.member_queue], minlength=n)
                     for w in weight])
