"""What an edge of the compiled graph costs under load: tariffs, corridor constants, queues.

An edge costs its tariff, plus a corridor constant on the family's signature edges, plus a
commodity's value of time × (hours + W Q (V/c)^β), V the load of the queue the edge joins.
A link's capacity is per direction; a node's is one queue shared by its edges (a port's
quay: only its transshipments; a border station: everything crossing it). A capacity in TEU
counts containerised classes (W = 1, others 0); one known only in tonnes counts every class
by its tonnes (W = t per TEU / 10), in TEU-equivalents of 10 t (docs/rates.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .families import FAMILIES, LAND_COUNTRIES, link_signatures
from .network import CONT, LINK, TRANSIT, TRANSSHIP, Network

TONNES_PER_TEU = 10.0


@dataclass(frozen=True)
class EdgeModel:
    """Per compiled edge: what it costs, how long it takes and which queue it joins."""

    hours: np.ndarray
    usd: np.ndarray  # tariff + corridor constant
    cap: np.ndarray  # TEU (or TEU-equivalents of 10 t) a year of the edge's queue (nan: none)
    group: np.ndarray  # queue id: edges sharing one capacity share one id
    in_tonnes: np.ndarray  # the capacity is known in tonnes only: every class counts by weight

    def weights(self, containerised: np.ndarray, t_per_teu: np.ndarray) -> np.ndarray:
        """(classes, edges): what a TEU of each class counts in the edge's queue. A TEU capacity
        counts containerised classes only; a tonnes capacity counts every class by its tonnes."""
        return np.where(self.in_tonnes[None, :], (t_per_teu / TONNES_PER_TEU)[:, None],
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
    link_cap, node_cap = capacity_teu(net.links), capacity_teu(net.nodes)
    link_t, node_t = _capacity_in_tonnes(net.links), _capacity_in_tonnes(net.nodes)
    is_link = (g.kind == LINK) | (g.kind == CONT)
    li, ni = np.maximum(g.link, 0), np.maximum(g.node, 0)
    port = (net.nodes["kind"].to_numpy() == "port")[ni]
    # a port's capacity is its quay (transshipments); a border station's is all it clears
    node_queue = ((g.kind == TRANSSHIP) | ((g.kind == TRANSIT) & ~port)) & np.isfinite(node_cap[ni])
    cap = np.where(is_link, link_cap[li], np.where(node_queue, node_cap[ni], np.nan))
    group = np.arange(g.n_edges, dtype=np.int64)
    group[node_queue] = g.n_edges + ni[node_queue]
    usd = g.usd + _constants(net, consts)
    in_t = np.where(is_link, link_t[li], node_queue & node_t[ni])
    m = EdgeModel(g.hours.astype(float), usd, cap, group, in_t)
    net.cache[key] = m
    return m


def _constants(net: Network, constants: dict[str, float]) -> np.ndarray:
    """USD per TEU on each family's signature edges, charged once per shipment: on entering
    Russia/Belarus or Iran by land, on the Caspian ferry, on the Suez or Cape sea lane."""
    g = net.graph
    out = np.zeros(g.n_edges)
    if not any(constants.values()):
        return out
    on_link = g.kind == LINK
    li = np.maximum(g.link, 0)
    sig = link_signatures(net)
    country = net.nodes["country"].to_numpy()
    from_c, to_c = country[np.maximum(g.from_node, 0)], country[np.maximum(g.to_node, 0)]
    for fam, usd in constants.items():
        if not usd:
            continue
        hit = on_link & sig[fam][li]
        region = list(LAND_COUNTRIES.get(fam, ()))
        if region:
            hit &= np.isin(to_c, region) & ~np.isin(from_c, region)
        out[hit] += usd
    return out


def capacity_teu(df: pd.DataFrame) -> np.ndarray:
    """TEU a year per row: the TEU figure, else the tonnes figure at 10 t per TEU."""
    c = df["capacity_teu_yr"].to_numpy(float) if "capacity_teu_yr" in df else np.full(len(df), np.nan)
    t = df["capacity_t_yr"].to_numpy(float) if "capacity_t_yr" in df else np.full(len(df), np.nan)
    return np.where(np.isfinite(c), c, t / TONNES_PER_TEU)


def _capacity_in_tonnes(df: pd.DataFrame) -> np.ndarray:
    c = df["capacity_teu_yr"].to_numpy(float) if "capacity_teu_yr" in df else np.full(len(df), np.nan)
    t = df["capacity_t_yr"].to_numpy(float) if "capacity_t_yr" in df else np.full(len(df), np.nan)
    return ~np.isfinite(c) & np.isfinite(t)


def queue_load(model: EdgeModel, class_flow: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per edge: the weighted volume of its queue over its capacity (v/c; nan where none)."""
    v = np.bincount(model.group, weights=(weight * class_flow).sum(0),
                    minlength=int(model.group.max()) + 1)[model.group]
    congests = np.isfinite(model.cap) & (model.cap > 0)
    return np.where(congests, np.maximum(v, 0) / np.where(congests, model.cap, 1.0), np.nan)


def delay_hours(model: EdgeModel, class_flow: np.ndarray, weight: np.ndarray, q: float,
                 beta: float) -> np.ndarray:
    """(classes, edges): queue hours W Q (V/c)^β each class feels at `class_flow` (TEU a year)."""
    r = queue_load(model, class_flow, weight)
    return weight * np.where(np.isfinite(r), q * np.power(np.nan_to_num(r), beta), 0.0)
