"""THE generalized cost of an edge: tariff, the world's terms, and value of time × (hours + queue wait).

Every search, assignment, logit, welfare and appraisal figure reads edge costs from here, through
`EdgeCosts.generalized`: free-flow weights per objective (`edge_weights`) and costs under load
(`delay_hours`) are two views of one cost.

An edge costs its tariff, plus the terms of the world (`CostTerms`: today a USD term per corridor
family, charged once per shipment on the family's signature edges), plus a commodity's value of
time × (hours + W Q (V/c)^β), V the load of the queue the edge joins. A link's capacity is per
direction; a node's is one queue shared by its edges (a port's quay: only its transshipments; a
border station: everything crossing it). A capacity in TEU counts containerised classes (W = 1,
others 0); one in tonnes counts every class by its tonnes (W = t per TEU / 10), in TEU-equivalents
of 10 t (docs/rates.md). A link or node with both has two queues, and an edge pays each.

Adding a cost term (a carbon price, a risk premium) is a field of `CostTerms`, its USD per edge in
`edge_costs`, and a scenario lever that sets it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import CorridorError
from .network.families import FAMILIES, entry_links
from .network.graph import LINK, TRANSIT, TRANSSHIP
from .network.tables import Network
from .vocabulary import OBJECTIVES


@dataclass(frozen=True)
class CostTerms:
    """USD per TEU that a world adds to tariffs: a term per corridor family (`corridor_usd`, charged
    once per shipment: on entering Russia/Belarus or Iran by land, on the Caspian ferry, on the Suez
    or Cape lane). Terms add up: an assignment's calibrated terms plus a scenario's."""

    corridor_usd: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.corridor_usd) - set(FAMILIES))
        if unknown:
            raise CorridorError(f"unknown corridor {', '.join(unknown)} in cost terms; "
                                f"known: {', '.join(FAMILIES)}")
        bad = [k for k, v in self.corridor_usd.items() if not np.isfinite(v)]
        if bad:
            raise CorridorError(f"cost term for {', '.join(bad)} must be a finite number of USD per TEU")
        object.__setattr__(self, "corridor_usd", {k: float(v) for k, v in self.corridor_usd.items() if v})

    def __add__(self, other: CostTerms) -> CostTerms:
        keys = set(self.corridor_usd) | set(other.corridor_usd)
        return CostTerms({k: self.corridor_usd.get(k, 0.0) + other.corridor_usd.get(k, 0.0) for k in keys})

    def __bool__(self) -> bool:
        return bool(self.corridor_usd)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.corridor_usd.items())))

    def to_dict(self) -> dict:
        return {"corridor_usd": dict(sorted(self.corridor_usd.items()))}


def edge_weights(net: Network, objective: str = "generalized", *, commodity: str = "container",
                 terms: CostTerms | None = None) -> np.ndarray:
    """Free-flow weight of every virtual edge for a search: hours, USD/TEU (tariff and terms),
    kg CO2/TEU, or the generalized cost of `commodity`."""
    g = net.graph
    if objective == "time":
        w = g.hours
    elif objective == "cost":
        w = edge_costs(net, terms).usd
    elif objective == "co2":
        w = g.co2
    elif objective == "generalized":
        w = edge_costs(net, terms).generalized(net.value_of_time(commodity))
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
class EdgeCosts:
    """Per compiled edge: what it costs and how long it takes; and the queues edges join.

    A queue is one capacity: a link's per direction, or a node's shared by its edges. A
    capacity in TEU counts boxes; one in tonnes counts all cargo by weight; a link or node
    with both has both queues, and each binds.
    """

    hours: np.ndarray  # free-flow hours
    usd: np.ndarray  # tariff + the world's terms (USD per TEU)
    member_edge: np.ndarray  # edge of each membership
    member_queue: np.ndarray  # queue of each membership
    cap: np.ndarray  # per queue: TEU, or TEU-equivalents of 10 t, a year
    in_tonnes: np.ndarray  # per queue: counted in tonnes (all cargo) rather than in boxes
    owner_link: np.ndarray  # per queue: its link (-1: a node's)
    owner_node: np.ndarray  # per queue: its node (-1: a link's)

    @property
    def n_queues(self) -> int:
        return len(self.cap)

    def generalized(self, value_of_time: float, wait_hours: np.ndarray | None = None) -> np.ndarray:
        """THE generalized cost, USD per TEU of each edge: tariff and terms, plus the value of time
        (USD per TEU-hour) × (hours + queue wait). Every figure in USD of time and money is this."""
        hours = self.hours if wait_hours is None else self.hours + wait_hours
        return self.usd + value_of_time * hours

    def weights(self, containerised: np.ndarray, t_per_teu: np.ndarray) -> np.ndarray:
        """(classes, memberships): what a TEU of each class counts in each queue it joins. A TEU
        queue counts containerised classes only; a tonnes queue counts every class by its tonnes."""
        t = self.in_tonnes[self.member_queue]
        return np.where(t[None, :], (t_per_teu / TONNES_PER_TEU)[:, None],
                        containerised.astype(float)[:, None])


def edge_costs(net: Network, terms: CostTerms | None = None, *, non_negative: bool = False) -> EdgeCosts:
    """The network's edges under `terms` (default: none); cached on the network.

    `non_negative`: shortest-path searches cannot take a negative term, so every family's term is
    raised by the most negative one (the same choice between families)."""
    terms = terms or CostTerms()
    consts = dict(terms.corridor_usd)
    low = min(0.0, *consts.values()) if consts else 0.0
    if non_negative and low < 0:
        consts = {f: consts.get(f, 0.0) - low for f in FAMILIES}
    key = ("costs.edge_costs", tuple(sorted(consts.items())))
    if key in net.cache:
        return net.cache[key]
    g = net.graph
    q = _queues(net)
    usd = g.usd + _corridor_terms(net, consts)
    m = EdgeCosts(g.hours.astype(float), usd, *q)
    net.cache[key] = m
    return m


def _queues(net: Network) -> tuple[np.ndarray, ...]:
    """Queue memberships of the compiled edges: (member_edge, member_queue, cap, in_tonnes,
    owner_link, owner_node). A link's capacity is a queue per direction; a node's, one queue its
    edges share (a port's quay: its transshipments only; a border station: all it clears)."""
    g = net.graph
    is_link = g.kind == LINK  # a parallel link's CONT edge is free and joins no queue
    li, ni = np.maximum(g.link, 0), np.maximum(g.node, 0)
    port = (net.nodes["kind"].to_numpy() == "port")[ni]
    at_node = (g.kind == TRANSSHIP) | ((g.kind == TRANSIT) & ~port)
    edges, queues, caps, tonnes, o_link, o_node = [], [], [], [], [], []
    n_q = 0
    for col, scale, in_t in (("capacity_teu_yr", 1.0, False), ("capacity_t_yr", TONNES_PER_TEU, True)):
        lc, nc = _column(net.links, col) / scale, _column(net.nodes, col) / scale
        e = np.flatnonzero(is_link & np.isfinite(lc[li]) & (lc[li] > 0))
        edges.append(e)
        queues.append(n_q + np.arange(len(e)))
        caps.append(lc[li[e]])
        o_link.append(li[e])
        o_node.append(np.full(len(e), -1))
        n_q += len(e)
        e = np.flatnonzero(at_node & np.isfinite(nc[ni]) & (nc[ni] > 0))
        nodes, qi = np.unique(ni[e], return_inverse=True)
        edges.append(e)
        queues.append(n_q + qi)
        caps.append(nc[nodes])
        o_link.append(np.full(len(nodes), -1))
        o_node.append(nodes)
        n_q += len(nodes)
        tonnes.append(np.full(len(caps[-2]) + len(nodes), in_t))
    return (np.concatenate(edges), np.concatenate(queues), np.concatenate(caps), np.concatenate(tonnes),
            np.concatenate(o_link), np.concatenate(o_node))


def _column(df: pd.DataFrame, col: str) -> np.ndarray:
    return df[col].to_numpy(float) if col in df else np.full(len(df), np.nan)


def _corridor_terms(net: Network, constants: dict[str, float]) -> np.ndarray:
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


def queue_volumes(model: EdgeCosts, class_flow: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per queue: the weighted flow (TEU or TEU-equivalents a year) of its members."""
    w = (weight * class_flow[:, model.member_edge]).sum(0)
    return np.bincount(model.member_queue, weights=w, minlength=model.n_queues)


def delay_hours(model: EdgeCosts, class_flow: np.ndarray, weight: np.ndarray, q: float,
                beta: float) -> np.ndarray:
    """(classes, edges): queue hours Σ W Q (V/c)^β each class feels at `class_flow` (TEU a year),
    Q the queue at v/c = 1 and β its steepness (the assignment's parameters)."""
    r = queue_volumes(model, class_flow, weight) / model.cap
    t = q * np.power(np.maximum(r, 0.0), beta)
    n = len(model.hours)
    return np.stack([np.bincount(model.member_edge, weights=w * t[model.member_queue], minlength=n)
                     for w in weight])
