"""Reachability and minimum cuts between two regions on the compiled graph.

Which single countries, nodes or links disconnect two regions, and how many (or how much
capacity) must close to cut them, are questions of graph structure, not of flows: they need
no assignment and are exact where the flow-share ranking is not. `closed_edges` gives the
compiled edges an element's closure shuts, `Reachability` which OD pairs still have a path
over an edge mask (a breadth-first search per origin: the single points), and `minimum_cut`
a minimum cut between the regions (`scipy.sparse.csgraph.maximum_flow`) at four levels:
countries, nodes, links and capacity. Used by `corridor.gateways`.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from .errors import CorridorError
from .network import LINK, TRANSIT, TRANSSHIP, Network
from .queues import capacity_teu

CUT_LEVELS = ("countries", "nodes", "links", "capacity")

__all__ = ["CUT_LEVELS", "Reachability", "closed_edges", "minimum_cut"]


def closed_edges(net: Network, kind: str, key) -> np.ndarray:
    """Compiled edges an element's closure shuts: a country's links and node passages, a node's
    passages (transit and transshipment), a link's arcs."""
    g = net.graph
    if kind == "countries":
        country = net.nodes["country"].to_numpy(str)
        return (country[g.from_node] == key) | (country[g.to_node] == key)
    if kind == "nodes":
        i = net.node_index[key]
        return ((g.kind == TRANSIT) | (g.kind == TRANSSHIP)) & (g.node == i)
    return g.link == net.link_index[key]


class Reachability:
    """Which OD pairs have a path over an edge mask (BFS per origin on the compiled graph)."""

    def __init__(self, net: Network, pairs: list[tuple[int, int]]):
        self.g = net.graph
        self.by_origin: dict[int, list[int]] = {}
        for o, d in pairs:
            self.by_origin.setdefault(o, []).append(d)

    def reachable(self, mask: np.ndarray) -> set[tuple[int, int]]:
        g = self.g
        n = g.n_vnodes + 1
        out: set[tuple[int, int]] = set()
        src_m, dst_m = g.src[mask], g.dst[mask]
        for o, dests in self.by_origin.items():
            st = g.starts(o)
            m = csr_matrix((np.ones(len(src_m) + len(st)),
                            (np.r_[src_m, np.full(len(st), n - 1)], np.r_[dst_m, st])), shape=(n, n))
            seen = np.zeros(n, dtype=bool)
            seen[breadth_first_order(m, n - 1, directed=True, return_predecessors=False)] = True
            out |= {(o, d) for d in dests if seen[g.ends(d)].any()}
        return out


def minimum_cut(net: Network, mask: np.ndarray, sources: set[int], sinks: set[int], level: str,
         regions: tuple[frozenset[str], ...] = ()) -> dict:
    """Minimum cut between source and sink nodes on the physical network open under `mask`.

    level: `countries` (unit weight per transit country), `nodes` (per node), `links` (per
    link arc) or `capacity` (TEU a year of links and nodes; an element with no figure is
    unbounded). Region endpoints are never cut, nor (below the country level) nodes in the
    `regions` and links with both ends in one of them: the cut lies between the regions.
    """
    if level not in CUT_LEVELS:
        raise CorridorError(f"unknown cut level '{str(level)[:20]}'; choose one of {', '.join(CUT_LEVELS)}")
    g = net.graph
    n = len(net.nodes)
    on = np.flatnonzero(mask & (g.kind == LINK))
    a_from, a_to, a_link = g.from_node[on], g.to_node[on], g.link[on]
    through = (g.kind == TRANSIT) | (g.kind == TRANSSHIP)
    passable = np.zeros(n, dtype=bool)
    passable[g.node[through & mask]] = True
    endpoint = np.zeros(n, dtype=bool)
    endpoint[list(sources | sinks)] = True
    country = net.nodes["country"].to_numpy(str)
    if level == "countries":
        keys = np.array(sorted(set(country)))
        unit = np.searchsorted(keys, country)  # node -> its country vertex
        n_units = len(keys)
        cut_w = np.ones(n_units)
        fixed = np.zeros(n_units, dtype=bool)
        fixed[np.searchsorted(keys, sorted({country[i] for i in sources | sinks}))] = True
        # a country is passable if any of its nodes is; a unit arc joins countries
        upass = np.zeros(n_units, dtype=bool)
        upass[unit[passable | endpoint]] = True
        arc_ok = unit[a_from] != unit[a_to]
        af, at = unit[a_from][arc_ok], unit[a_to][arc_ok]
        arc_w = np.full(len(af), np.inf)
        arc_key = np.full(len(af), -1)
        src_u, snk_u = {int(unit[i]) for i in sources}, {int(unit[i]) for i in sinks}
    else:
        keys = net.nodes["node_id"].to_numpy()
        n_units, unit = n, np.arange(n)
        fixed, upass = endpoint, passable | endpoint
        if level == "nodes":
            cut_w = np.ones(n)
        elif level == "capacity":
            cut_w = np.where(np.isfinite(capacity_teu(net.nodes)), capacity_teu(net.nodes), np.inf)
        else:
            cut_w = np.full(n, np.inf)
        af, at = a_from, a_to
        link_cap = capacity_teu(net.links)
        if level == "links":
            arc_w = np.ones(len(af))
        elif level == "capacity":
            arc_w = np.where(np.isfinite(link_cap[a_link]), link_cap[a_link], np.inf)
        else:
            arc_w = np.full(len(af), np.inf)
        arc_key = a_link
        src_u, snk_u = set(sources), set(sinks)
    if level != "countries":  # the cut lies between the regions: nothing inside either is cut
        ins = [np.isin(country, list(r)) for r in regions]
        fixed = fixed | np.logical_or.reduce([*ins, np.zeros(n, dtype=bool)])
        within = np.logical_or.reduce([*(r[af] & r[at] for r in ins), np.zeros(len(af), dtype=bool)])
        arc_w = np.where(within, np.inf, arc_w)
    w_unit = np.where(fixed, np.inf, np.where(upass, cut_w, 0.0))
    # vertices: unit in = u, unit out = n_units + u, S = 2 n_units, T = 2 n_units + 1
    s_v, t_v = 2 * n_units, 2 * n_units + 1
    rows = np.r_[np.arange(n_units), n_units + af, np.full(len(src_u), s_v),
                 n_units + np.array(sorted(snk_u))]
    cols = np.r_[n_units + np.arange(n_units), at, np.array(sorted(src_u)), np.full(len(snk_u), t_v)]
    w = np.r_[w_unit, arc_w, np.full(len(src_u) + len(snk_u), np.inf)]
    kind = np.r_[np.zeros(n_units), np.ones(len(af)), np.full(len(src_u) + len(snk_u), 2)].astype(int)
    ref = np.r_[np.arange(n_units), arc_key, np.full(len(src_u) + len(snk_u), -1)]
    keep = w > 0
    rows, cols, w, kind, ref = rows[keep], cols[keep], w[keep], kind[keep], ref[keep]
    nv = 2 * n_units + 2
    inf_only = csr_matrix((np.ones(int(np.isinf(w).sum())), (rows[np.isinf(w)], cols[np.isinf(w)])),
                          shape=(nv, nv))
    reach_inf = np.zeros(nv, dtype=bool)
    reach_inf[breadth_first_order(inf_only, s_v, directed=True, return_predecessors=False)] = True
    base = {"level": level, "value": 0, "elements": [], "names": [], "unbounded": False}
    if reach_inf[t_v]:
        return base | {"unbounded": True, "value": None}
    scale = 1000.0 if level == "capacity" else 1.0  # capacities in thousands of TEU (int32 arithmetic)
    finite = np.isfinite(w)
    wi = np.zeros(len(w), dtype=np.int64)
    wi[finite] = np.ceil(w[finite] / scale).astype(np.int64)
    big = int(wi[finite].sum()) + 1
    wi[~finite] = big
    if big > 2**30:
        raise CorridorError("capacities too large for the cut computation")
    cap = csr_matrix((wi, (rows, cols)), shape=(nv, nv))
    cap.sum_duplicates()
    cap.data = np.minimum(cap.data, big).astype(np.int32)
    res = maximum_flow(cap, s_v, t_v)
    if res.flow_value == 0:
        return base
    resid = cap - res.flow
    resid.data = np.maximum(resid.data, 0)
    resid.eliminate_zeros()
    seen = np.zeros(nv, dtype=bool)
    seen[breadth_first_order(resid, s_v, directed=True, return_predecessors=False)] = True
    crossing = seen[rows] & ~seen[cols] & finite
    elems: list = []
    for k, r in zip(kind[crossing], ref[crossing], strict=True):
        if k == 0:
            elems.append(("node" if level != "countries" else "country", str(keys[r])))
        elif k == 1:
            elems.append(("link", str(net.links["link_id"].iat[r])))
    elems = list(dict.fromkeys(elems))
    names = []
    for k, key in elems:
        if k == "node":
            names.append(str(net.nodes["name"].iat[net.node_index[key]]))
        elif k == "link":
            names.append(str(net.links["name"].iat[net.link_index[key]]) or key)
        else:
            names.append(key)
    out = base | {"elements": [e[1] for e in elems], "names": names}
    if level == "capacity":
        nc, lc = capacity_teu(net.nodes), capacity_teu(net.links)
        detail = [{"kind": k, "id": key, "name": nm,
                   "capacity_teu_yr": float(nc[net.node_index[key]] if k == "node"
                                            else lc[net.link_index[key]])}
                  for (k, key), nm in zip(elems, names, strict=True)]
        out["elements"] = detail
        out["value_teu_yr"] = float(sum(d["capacity_teu_yr"] for d in detail))
        out["value"] = out["value_teu_yr"]
        out["note"] = ("capacities per direction, TEU a year (tonnes at 10 t per TEU); elements without a "
                       "capacity figure count as unlimited")
    else:
        out["value"] = len(elems) if level != "links" else int(res.flow_value)
    return out

