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
from scipy.sparse import csr_array, csr_matrix
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from ..costs import edge_costs
from ..errors import CorridorError
from ..network.graph import LINK, TRANSIT, TRANSSHIP
from ..network.tables import Network

CUT_LEVELS = ("countries", "nodes", "links", "capacity")

__all__ = ["CUT_LEVELS", "Reachability", "closed_edges", "minimum_cut"]


def closed_edges(net: Network, kind: str, key: str) -> np.ndarray:
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

    def __init__(self, net: Network, pairs: list[tuple[int, int]]) -> None:
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
    """Minimum cut between source and sink nodes open under `mask`.

    level: `countries` (unit weight per transit country), `nodes` (per node) or `links` (per
    link arc), on the physical network (a node joins all its links); or `capacity` (TEU a
    year), on the compiled graph with the assignment's queues (`corridor.costs.edge_costs`):
    a link's capacity binds its arcs per direction, a port's binds its transshipments only
    (trains passing through a port are not held by its quay), any other node's binds
    everything crossing it; an element with no figure is unbounded. Region endpoints are never
    cut, nor (below the country level) nodes in the `regions` and links with both ends in one
    of them: the cut lies between the regions.
    """
    if level not in CUT_LEVELS:
        raise CorridorError(f"unknown cut level '{str(level)[:20]}'; choose one of {', '.join(CUT_LEVELS)}")
    if level == "capacity":
        return _capacity_cut(net, mask, sources, sinks, regions)
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
        cut_w = np.ones(n) if level == "nodes" else np.full(n, np.inf)
        af, at = a_from, a_to
        arc_w = np.ones(len(af)) if level == "links" else np.full(len(af), np.inf)
        arc_key = a_link
        src_u, snk_u = set(sources), set(sinks)
        # the cut lies between the regions: nothing inside either is cut
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
    base = {"level": level, "value": 0, "elements": [], "names": [], "unbounded": False}
    crossing = _cut_arcs(rows, cols, w, 2 * n_units + 2, s_v, t_v, scale=1.0)
    if crossing is None:
        return base | {"unbounded": True, "value": None}
    elems: list = []
    for k, r in zip(kind[crossing], ref[crossing], strict=True):
        if k == 0:
            elems.append(("node" if level != "countries" else "country", str(keys[r])))
        elif k == 1:
            elems.append(("link", str(net.links["link_id"].iat[r])))
    elems = list(dict.fromkeys(elems))
    out = base | {"elements": [e[1] for e in elems], "names": _names(net, elems)}
    out["value"] = int(w[crossing].sum()) if level == "links" else len(elems)
    return out


def _capacity_cut(net: Network, mask: np.ndarray, sources: set[int], sinks: set[int],
                  regions: tuple[frozenset[str], ...]) -> dict:
    """The capacity level of `minimum_cut`, on the compiled graph with the assignment's queues."""
    g = net.graph
    n = len(net.nodes)
    model = edge_costs(net)
    country = net.nodes["country"].to_numpy(str)
    ins = [np.isin(country, list(r)) for r in regions]
    inside = np.logical_or.reduce([*ins, np.zeros(n, dtype=bool)])
    inside[list(sources | sinks)] = True
    # per link arc: the tightest of its own queues; per node: the tightest of its queues
    q_of = model.member_queue
    link_q = model.owner_link[q_of] >= 0
    edge_cap = np.full(g.n_edges, np.inf)
    cap = model.teu_capacity()
    np.minimum.at(edge_cap, model.member_edge[link_q], cap[q_of[link_q]])
    node_cap = np.full(n, np.inf)
    np.minimum.at(node_cap, model.owner_node[q_of[~link_q]], cap[q_of[~link_q]])
    queued = np.zeros(g.n_edges, dtype=bool)
    queued[model.member_edge[~link_q]] = True  # a node's edges that join its queue (the rule of edge_costs)
    fn, tn = np.maximum(g.from_node, 0), np.maximum(g.to_node, 0)
    within = np.logical_or.reduce([*(r[fn] & r[tn] for r in ins), np.zeros(g.n_edges, dtype=bool)])
    edge_w = np.where((g.kind == LINK) & ~within, edge_cap, np.inf)
    nv0 = g.n_vnodes
    via = mask & queued & ~inside[np.maximum(g.node, 0)]  # through the node's shared capacity vertex
    direct = mask & ~via
    nodes_q = np.unique(g.node[via])
    slot = np.full(n, -1)
    slot[nodes_q] = np.arange(len(nodes_q))
    q_in, q_out = nv0 + 2 * slot, nv0 + 2 * slot + 1
    s_v = nv0 + 2 * len(nodes_q)
    t_v = s_v + 1
    starts = np.unique(np.concatenate([g.starts(o) for o in sorted(sources)] or [np.zeros(0, np.int64)]))
    ends = np.unique(np.concatenate([g.ends(d) for d in sorted(sinks)] or [np.zeros(0, np.int64)]))
    e_direct, e_via = np.flatnonzero(direct), np.flatnonzero(via)
    vn = g.node[e_via]
    rows = np.r_[g.src[e_direct], g.src[e_via], q_out[vn], q_in[nodes_q], np.full(len(starts), s_v), ends]
    cols = np.r_[g.dst[e_direct], q_in[vn], g.dst[e_via], q_out[nodes_q], starts, np.full(len(ends), t_v)]
    w = np.r_[edge_w[e_direct], np.full(2 * len(e_via), np.inf), node_cap[nodes_q],
              np.full(len(starts) + len(ends), np.inf)]
    kind = np.r_[np.ones(len(e_direct)), np.full(2 * len(e_via), 2), np.zeros(len(nodes_q)),
                 np.full(len(starts) + len(ends), 2)].astype(int)
    ref = np.r_[g.link[e_direct], np.full(2 * len(e_via), -1), nodes_q,
                np.full(len(starts) + len(ends), -1)]
    base = {"level": "capacity", "value": 0, "elements": [], "names": [], "unbounded": False}
    crossing = _cut_arcs(rows, cols, w, t_v + 1, s_v, t_v, scale=1000.0)  # thousands of TEU (int32)
    if crossing is None:
        return base | {"unbounded": True, "value": None}
    cap_of: dict[tuple[str, str], float] = {}
    for k, r, c in zip(kind[crossing], ref[crossing], w[crossing], strict=True):
        key = (("node", str(net.nodes["node_id"].iat[r])) if k == 0
               else ("link", str(net.links["link_id"].iat[r])))
        cap_of[key] = max(cap_of.get(key, 0.0), float(c))
    elems = list(cap_of)
    names = _names(net, elems)
    detail = [{"kind": k, "id": key, "name": nm, "capacity_teu_yr": cap_of[(k, key)]}
              for (k, key), nm in zip(elems, names, strict=True)]
    value = float(sum(cap_of.values()))
    return base | {"elements": detail, "names": names, "value": value, "value_teu_yr": value,
                   "note": ("capacities per direction, TEU a year (tonnes at 10 t per TEU; with both, the "
                            "tighter); a port's capacity holds its transshipments only, as in the "
                            "assignment; elements without a capacity figure count as unlimited")}


def _names(net: Network, elems: list[tuple[str, str]]) -> list[str]:
    out = []
    for k, key in elems:
        if k == "node":
            out.append(str(net.nodes["name"].iat[net.node_index[key]]))
        elif k == "link":
            out.append(str(net.links["name"].iat[net.link_index[key]]) or key)
        else:
            out.append(key)
    return out


def _cut_arcs(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, nv: int, s_v: int, t_v: int,
              scale: float) -> np.ndarray | None:
    """Arcs (a mask over `rows`) of a minimum s-t cut of the arcs rows -> cols with weights `w`
    (inf: uncuttable; weights are rounded up to integers of `scale`); None if only infinite arcs
    separate nothing (no finite cut); an all-False mask if s and t are not connected."""
    keep = w > 0
    rows, cols, w = rows[keep], cols[keep], w[keep]
    inf = np.isinf(w)
    inf_only = csr_matrix((np.ones(int(inf.sum())), (rows[inf], cols[inf])), shape=(nv, nv))
    reach_inf = np.zeros(nv, dtype=bool)
    reach_inf[breadth_first_order(inf_only, s_v, directed=True, return_predecessors=False)] = True
    if reach_inf[t_v]:
        return None
    out = np.zeros(len(keep), dtype=bool)
    finite = ~inf
    wi = np.zeros(len(w), dtype=np.int64)
    wi[finite] = np.ceil(w[finite] / scale).astype(np.int64)
    big = int(wi[finite].sum()) + 1
    wi[~finite] = big
    if big > 2**30:
        raise CorridorError("capacities too large for the cut computation")
    cap = csr_array((wi, (rows, cols)), shape=(nv, nv))
    cap.sum_duplicates()
    cap.data = np.minimum(cap.data, big).astype(np.int32)
    res = maximum_flow(cap, s_v, t_v)
    if res.flow_value == 0:
        return out
    resid = csr_array(cap - res.flow)
    resid.data = np.maximum(resid.data, 0)
    resid.eliminate_zeros()
    seen = np.zeros(nv, dtype=bool)
    seen[breadth_first_order(resid, s_v, directed=True, return_predecessors=False)] = True
    out[np.flatnonzero(keep)[seen[rows] & ~seen[cols] & finite]] = True
    return out
