"""The compiled graph: node and link tables turned into flat arrays of virtual edges, once.

Transfers are links (the NODUS idea): every node is expanded into virtual nodes per service


class (mode + gauge), joined by transit and transshipment edges that carry the node's dwell
and handling, so border delays, gauge changes and port handling are plain edge costs to every
algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from .tables import Network

# edge kinds in the compiled graph
LINK, TRANSIT, TRANSSHIP, CONT = range(4)

WATERBORNE = ("sea", "ferry")

LAND = ("rail", "road")


@dataclass(frozen=True)
class CompiledGraph:
    """Virtual graph as flat arrays (one entry per directed virtual edge)."""

    n_vnodes: int
    src: np.ndarray  # int64
    dst: np.ndarray
    kind: np.ndarray  # int8: LINK, TRANSIT, TRANSSHIP or CONT
    link: np.ndarray  # index into Network.links, -1 for node edges
    node: np.ndarray  # physical node of transit/transship edges, -1 for links
    from_node: np.ndarray  # physical endpoints (for links: from/to; for node edges: node, node)
    to_node: np.ndarray
    forward: np.ndarray  # bool: a link edge runs from the link's from-node to its to-node (node edges: True)
    hours: np.ndarray
    usd: np.ndarray
    co2: np.ndarray  # kg CO2e per TEU, well-to-wheel (ISO 14083): links and transshipment hubs
    co2_ttw: np.ndarray  # the tank-to-wheel part (NaN where a link's figure has no TTW)
    km: np.ndarray
    out_ptr: np.ndarray  # OUT virtual nodes of physical node i: out_v[out_ptr[i]:out_ptr[i+1]]
    out_v: np.ndarray
    in_ptr: np.ndarray
    in_v: np.ndarray

    @property
    def n_edges(self) -> int:
        return len(self.src)

    def starts(self, node: int) -> np.ndarray:
        """Virtual nodes a route leaving `node` can start from (one per outgoing class)."""
        return self.out_v[self.out_ptr[node]:self.out_ptr[node + 1]]

    def ends(self, node: int) -> np.ndarray:
        return self.in_v[self.in_ptr[node]:self.in_ptr[node + 1]]


def service_class(mode: pd.Series, gauge: pd.Series) -> pd.Series:
    """Links of one class run through a node without transshipment."""
    g = gauge.fillna(0).astype(int).astype(str)
    return mode.where(mode != "rail", "rail" + g)


def compile_graph(net: Network) -> CompiledGraph:
    nodes, links = net.nodes, net.links
    n_nodes = len(nodes)
    idx = net.node_index
    lf = links["from_node_id"].map(idx).to_numpy(np.int64)
    lt = links["to_node_id"].map(idx).to_numpy(np.int64)
    cls = service_class(links["mode"], links["gauge"])
    class_names, cls_code = np.unique(cls.to_numpy(dtype=str), return_inverse=True)
    n_cls = len(class_names)

    # directed arcs: forward for every link, backward for undirected ones
    back = ~links["directed"].to_numpy(bool)
    link_ix = np.concatenate([np.arange(len(links)), np.flatnonzero(back)])
    a_from = np.concatenate([lf, lt[back]])
    a_to = np.concatenate([lt, lf[back]])
    a_cls = cls_code[link_ix]

    # virtual nodes: IN/OUT per (node, class) used; a query adds its own source and sink
    nxt = 0
    in_key = np.unique(a_to * n_cls + a_cls)
    out_key = np.unique(a_from * n_cls + a_cls)
    in_v = dict(zip(in_key.tolist(), range(nxt, nxt + len(in_key)), strict=True))
    nxt += len(in_key)
    out_v = dict(zip(out_key.tolist(), range(nxt, nxt + len(out_key)), strict=True))
    nxt += len(out_key)

    hours_l = links["hours"].to_numpy(float)
    usd_l = links["usd_per_teu"].to_numpy(float)
    co2_l = links["co2_kg_per_teu"].to_numpy(float)
    km_l = links["length_km"].to_numpy(float)
    dwell_h = nodes["dwell_hours"].to_numpy(float)
    dwell_u = nodes["dwell_usd"].to_numpy(float)
    ts_h = nodes["transship_hours"].to_numpy(float)
    ts_u = nodes["transship_usd"].to_numpy(float)

    def column(frame: pd.DataFrame, name: str, default: float) -> np.ndarray:
        return frame[name].to_numpy(float) if name in frame else np.full(len(frame), default)

    ttw_l = column(links, "co2e_ttw_kg_per_teu", np.nan)
    hub_w, hub_t = column(nodes, "hub_wtw_kg_per_teu", 0.0), column(nodes, "hub_ttw_kg_per_teu", 0.0)

    cols: dict[str, list] = {k: [] for k in ("src", "dst", "kind", "link", "node", "fn", "tn", "fwd",
                                              "hours", "usd", "co2", "ttw", "km")}

    def add(src: ArrayLike, dst: ArrayLike, kind: ArrayLike, link: ArrayLike, node: ArrayLike,
            fn: ArrayLike, tn: ArrayLike, fwd: ArrayLike, hours: ArrayLike, usd: ArrayLike,
            co2: ArrayLike, ttw: ArrayLike, km: ArrayLike) -> None:
        for k, v in zip(cols, (src, dst, kind, link, node, fn, tn, fwd, hours, usd, co2, ttw, km),
                        strict=True):
            cols[k].append(np.broadcast_to(np.asarray(v), np.shape(src)).copy())

    # link arcs; parallel arcs between the same virtual pair get a midpoint node so
    # the CSR stays exact (one entry per ordered pair)
    s = np.array([out_v[k] for k in (a_from * n_cls + a_cls).tolist()], dtype=np.int64)
    d = np.array([in_v[k] for k in (a_to * n_cls + a_cls).tolist()], dtype=np.int64)
    dup = pd.DataFrame({"s": s, "d": d}).duplicated().to_numpy()
    mid = np.full(len(s), -1, dtype=np.int64)
    mid[dup] = nxt + np.arange(dup.sum())
    nxt += int(dup.sum())
    first_dst = np.where(dup, mid, d)
    li = link_ix
    fwd = np.arange(len(li)) < len(links)  # the backward arcs of undirected links come last
    add(s, first_dst, LINK, li, -1, a_from, a_to, fwd, hours_l[li], usd_l[li], co2_l[li], ttw_l[li], km_l[li])
    if dup.any():
        add(mid[dup], d[dup], CONT, li[dup], -1, a_from[dup], a_to[dup], fwd[dup], 0.0, 0.0, 0.0, 0.0, 0.0)

    # through edges at each node: IN(node, c) -> OUT(node, c')
    in_arr = np.array(list(in_v.keys()), dtype=np.int64)
    out_arr = np.array(list(out_v.keys()), dtype=np.int64)
    ins = pd.DataFrame({"node": in_arr // n_cls, "ci": in_arr % n_cls,
                        "vi": np.fromiter(in_v.values(), np.int64, len(in_v))})
    outs = pd.DataFrame({"node": out_arr // n_cls, "co": out_arr % n_cls,
                         "vo": np.fromiter(out_v.values(), np.int64, len(out_v))})
    pairs = ins.merge(outs, on="node")
    v = pairs["node"].to_numpy()
    ci, co = pairs["ci"].to_numpy(), pairs["co"].to_numpy()
    names = class_names
    water = np.isin(names, WATERBORNE)
    transfer = names == "transfer"
    same = ci == co
    # a change of class, or a ship-to-ship call at a port, is a transshipment;
    # 'transfer' connectors join any class without one (they price the handling themselves)
    is_ts = (~same | water[ci]) & ~transfer[ci] & ~transfer[co]
    allowed = ~is_ts | ~np.isnan(ts_h[v])
    pairs, v, is_ts = pairs[allowed], v[allowed], is_ts[allowed]
    h = dwell_h[v] + np.where(is_ts, np.nan_to_num(ts_h[v]), 0.0)
    u = dwell_u[v] + np.where(is_ts, ts_u[v], 0.0)
    add(pairs["vi"].to_numpy(), pairs["vo"].to_numpy(), np.where(is_ts, TRANSSHIP, TRANSIT),
        -1, v, v, v, True, h, u, np.where(is_ts, hub_w[v], 0.0), np.where(is_ts, hub_t[v], 0.0), 0.0)

    def by_node(frame: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray]:
        frame = frame.sort_values("node", kind="stable")
        ptr = np.zeros(n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(frame["node"].to_numpy(), minlength=n_nodes), out=ptr[1:])
        return ptr, frame[col].to_numpy(np.int64)

    out_ptr, out_vs = by_node(outs, "vo")
    in_ptr, in_vs = by_node(ins, "vi")
    cat = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.argsort(cat["src"], kind="stable")  # sorted by source: searches build CSR without sorting
    cat = {k: v[order] for k, v in cat.items()}
    return CompiledGraph(
        n_vnodes=nxt,
        src=cat["src"].astype(np.int64),
        dst=cat["dst"].astype(np.int64),
        kind=cat["kind"].astype(np.int8),
        link=cat["link"].astype(np.int64),
        node=cat["node"].astype(np.int64),
        from_node=cat["fn"].astype(np.int64),
        to_node=cat["tn"].astype(np.int64),
        forward=cat["fwd"].astype(bool),
        hours=cat["hours"].astype(float),
        usd=cat["usd"].astype(float),
        co2=cat["co2"].astype(float),
        co2_ttw=cat["ttw"].astype(float),
        km=cat["km"].astype(float),
        out_ptr=out_ptr,
        out_v=out_vs,
        in_ptr=in_ptr,
        in_v=in_vs,
    )
