"""Routing speed: corridor (CSR; scipy's and compiled Dijkstra) against NetworkX on the same searches.

Prints one table: for the bundled network and for a synthetic grid of about
100,000 links, the time per `compare` query (5 family searches) and per k=5
route query, with NetworkX running the identical search (same expanded and
layered graph, same weights) in the same run.

`corridor_ms` is the whole public call (policy mask, layered CSR per family,
Dijkstra, route assembly); `search_only_ms` is just the searches on prebuilt
graphs, which is what `networkx_ms` measures. `speedup` = networkx / corridor
(whole call), so it understates our search speed.

    .venv/bin/python benchmarks/routing.py [--side 224] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from itertools import islice

import networkx as nx
import numpy as np
import pandas as pd

import corridor
from corridor.network.families import FAMILIES, family_link_masks
from corridor.network.graph import CONT, LINK
from corridor.network.tables import Network
from corridor.routing import itineraries
from corridor.routing.distances import Distances
from corridor.routing.query import Query, prepare
from corridor.routing.search import k_shortest_paths, shortest_path
from corridor.world import World


def grid_network(side: int) -> Network:
    """A side x side grid (4-neighbour, undirected links) with every corridor family on it.

    Left half is 1520 mm, right half 1435 mm (gauge change along the middle column),
    the top-left block is RUS and the bottom-left IRN, a band of Caspian ferries
    crosses the middle, and two long sea links (Suez, Cape) join the far corners.
    """
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    node_id = np.char.add("n", np.arange(side * side).astype(str))
    country = np.where(jj < side // 2, "KAZ", "DEU").astype(object)
    country[(jj < side // 3) & (ii < side // 3)] = "RUS"
    country[(jj < side // 3) & (ii > 2 * side // 3)] = "IRN"
    mid = side // 2
    nodes = pd.DataFrame({
        "node_id": node_id, "name": node_id, "kind": "junction", "country": country,
        "lon": jj * 0.1, "lat": ii * 0.1,
        "transship_hours": np.where((jj == mid) | (jj == mid - 1), 12.0, np.nan),
        "transship_usd": np.where((jj == mid) | (jj == mid - 1), 100.0, 0.0),
        "dwell_hours": 0.0,
    })
    rng = np.random.default_rng(7)
    a_h = (ii * side + jj)[jj < side - 1]
    a_v = (ii * side + jj)[ii < side - 1]
    frm = np.concatenate([a_h, a_v])
    to = np.concatenate([a_h + 1, a_v + side])
    left = (frm % side) < mid
    gauge = np.where(left & ((to % side) < mid), 1520, 1435)
    # links that straddle the gauge line are 1435 (the change happens at the node)
    mode = np.full(len(frm), "rail", dtype=object)
    ferry_band = ((frm % side) == mid - 5) & ((to % side) == mid - 4) & \
        ((frm // side) > side // 3) & ((frm // side) < 2 * side // 3)
    mode[ferry_band] = "ferry"
    km = rng.uniform(8.0, 14.0, len(frm))
    links = pd.DataFrame({
        "link_id": np.char.add("l", np.arange(len(frm)).astype(str)),
        "from_node_id": node_id[frm], "to_node_id": node_id[to], "directed": False,
        "mode": mode, "gauge": np.where(mode == "rail", gauge, np.nan),
        "length_km": km, "speed_kmh": np.where(mode == "ferry", 18.0, 40.0),
        "usd_per_teu": km * np.where(mode == "ferry", 1.5, 0.4), "co2_kg_per_teu": km * 0.02,
        "status": "open", "sea_area": np.where(mode == "ferry", "caspian", ""), "passages": "",
        "rate_class": "",
    })
    # ferry ends need transshipment
    ferry_nodes = np.unique(np.concatenate([frm[ferry_band], to[ferry_band]]))
    nodes.loc[ferry_nodes, "transship_hours"] = 24.0
    corners = [0, side - 1, side * (side - 1), side * side - 1]
    sea = pd.DataFrame({
        "link_id": ["suez", "cape"], "from_node_id": node_id[[corners[2], corners[2]]],
        "to_node_id": node_id[[corners[1], corners[1]]], "directed": False, "mode": "sea",
        "gauge": np.nan, "length_km": [19580.0, 25730.0], "speed_kmh": 23.0,
        "usd_per_teu": [1500.0, 1800.0], "co2_kg_per_teu": [1200.0, 1500.0], "status": "open",
        "sea_area": "deep", "passages": ["suez", "south_africa"], "rate_class": "",
    })
    nodes.loc[[corners[2], corners[1]], "transship_hours"] = 24.0
    commodities = pd.DataFrame({"commodity": ["container"], "value_of_time_usd_per_teu_hour": [5.0]})
    return Network.from_tables(nodes, pd.concat([links, sea], ignore_index=True),
                               commodities=commodities, name="grid")


def to_networkx(sg, positions: bool = False) -> nx.DiGraph:
    """The identical search graph for NetworkX, with a sink "T" behind the targets; with `positions`,
    each edge keeps its CSR entry as "pos" (of parallel entries, the cheapest)."""
    g = nx.DiGraph()
    rows = np.repeat(np.arange(sg.n), np.diff(sg.indptr))
    if positions:
        order = np.argsort(sg.data, kind="stable")[::-1]  # the cheapest entry is added last and stays
        g.add_edges_from((int(rows[j]), int(sg.indices[j]), {"weight": float(sg.data[j]), "pos": int(j)})
                         for j in order)
    else:
        g.add_weighted_edges_from(zip(rows.tolist(), sg.indices.tolist(), sg.data.tolist(),
                                      strict=True))
    g.add_weighted_edges_from((int(t), "T", 0.0) for t in sg.targets)
    return g


def family_queries(net: Network, origin: str, dest: str) -> list[Query]:
    base, _ = prepare(net, origin, dest, world=World(), objective="generalized",
                      commodity="container")
    g = net.graph
    is_link = (g.kind == LINK) | (g.kind == CONT)
    li = np.maximum(g.link, 0)
    out = []
    for fam in FAMILIES:
        req, forb = family_link_masks(net, fam)
        out.append(Query(base.origin, base.destination, base.weights,
                         base.mask & ~(is_link & forb[li]), ((g.kind == LINK) & req[li],),
                         base.first_limit))
    return out


def timed(fn, repeat: int) -> tuple[float, object]:
    times, res = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), res


def record_searches(net: Network, o: str, d: str) -> list[tuple]:
    """The searches one `compare` runs, in order: (search graph, dropped CSR entries, limit, kind), kind
    "path" (a route: scipy) or "cost" (a candidate's cost only: the compiled search)."""
    log: list[tuple] = []
    solve, least = itineraries._Searcher._solve, itineraries._Searcher.least

    def rec_solve(self, forbidden, floor, limit=np.inf):
        if not any(dead <= forbidden for dead in self._dead):
            drop = self._entries(forbidden) if forbidden else np.empty(0, dtype=np.int64)
            log.append((self.sg, drop, limit, "path"))
        return solve(self, forbidden, floor, limit)

    def rec_least(self, forbidden, limit=np.inf):
        if not any(dead <= forbidden for dead in self._dead):
            log.append((self.sg, self._entries(forbidden), limit, "cost"))
        return least(self, forbidden, limit)

    twice = itineraries._Searcher.always_twice

    def rec_twice(self, found):  # its searches drop one place's edges in one layer: costs only
        plain = Distances.least

        def rec(dist, drop, limit=np.inf):
            log.append((self.sg, drop, limit, "cost"))
            return plain(dist, drop, limit)

        Distances.least = rec
        try:
            return twice(self, found)
        finally:
            Distances.least = plain

    itineraries._Searcher._solve, itineraries._Searcher.least = rec_solve, rec_least
    itineraries._Searcher.always_twice = rec_twice
    try:
        corridor.compare(net, o, d)
    finally:
        itineraries._Searcher._solve, itineraries._Searcher.least = solve, least
        itineraries._Searcher.always_twice = twice
    return log


def networkx_replay(log: list[tuple]) -> tuple[float, list]:
    """The same searches with NetworkX's Dijkstra on the same graphs (built beforehand, not timed): a
    dropped entry is hidden by the weight function, a limit is its cutoff. Returns (seconds, costs)."""
    graphs = {}
    for sg, *_ in log:
        if id(sg) not in graphs:
            graphs[id(sg)] = to_networkx(sg, positions=True)
    out = []
    t0 = time.perf_counter()
    for sg, drop, limit, _kind in log:
        G, hidden = graphs[id(sg)], set(drop.tolist())

        def weight(u, v, e, hidden=hidden):
            return None if e.get("pos") in hidden else e["weight"]

        try:
            cost, _ = nx.single_source_dijkstra(G, sg.source, "T", cutoff=None if not np.isfinite(limit)
                                                else limit, weight=weight)
            out.append(cost)
        except nx.NetworkXNoPath:
            out.append(None)
    return time.perf_counter() - t0, out


def bench(net: Network, label: str, pairs_compare, pair_k, repeat: int, k: int = 5) -> list[dict]:
    rows = []
    g = net.graph
    # compare: the corridor API end to end against NetworkX running the same searches (every family's,
    # the overall one and the repair searches that keep a route from passing a place twice)
    for o, d in pairs_compare:
        corridor.compare(net, o, d)  # warm caches (compiled graph, signatures, compiled kernels)
        t_ours, res = timed(lambda o=o, d=d: corridor.compare(net, o, d), repeat)
        log = record_searches(net, o, d)
        t_nx, nx_costs = networkx_replay(log)
        first = [(sg, drop, limit) for sg, drop, limit, kind in log if kind == "path" and not len(drop)]
        t_search, raw = timed(lambda first=first: [shortest_path(sg, limit=limit) for sg, _, limit in first],
                              repeat)
        ours = []
        for sg, drop, limit, _kind in log:  # each search's cost on our side, for the agreement check
            sub = sg.without(drop) if len(drop) else sg
            hit = shortest_path(sub, limit=limit)
            ours.append(None if hit is None else hit[0])
        agree = all((a is None and b is None) or (a is not None and b is not None
                    and abs(a - b) < 1e-6 * max(1, abs(a))) for a, b in zip(ours, nx_costs, strict=True))
        rows.append({"network": label, "query": f"compare {o}->{d} ({len(log)} searches)",
                     "corridor_ms": t_ours * 1e3, "search_only_ms": t_search * 1e3, "networkx_ms": t_nx * 1e3,
                     "speedup": t_nx / t_ours, "same_answer": agree})
    # k shortest: Yen's on CSR vs networkx.shortest_simple_paths, same graph and weights
    o, d = pair_k
    q, _ = prepare(net, o, d, world=World(), objective="generalized", commodity="container")
    sg = q.search_graph(g)
    t_ours, ours = timed(lambda: [c for c, _ in k_shortest_paths(sg, k=k)], repeat)
    G = to_networkx(sg)
    s = sg.source
    t_nx, theirs = timed(lambda: [nx.path_weight(G, p, "weight") for p in
                                  islice(nx.shortest_simple_paths(G, s, "T", weight="weight"), k)],
                         max(1, repeat // 2))
    agree = np.allclose(ours, theirs)
    rows.append({"network": label, "query": f"k={k} paths {o}->{d}", "corridor_ms": t_ours * 1e3,
                 "search_only_ms": t_ours * 1e3, "networkx_ms": t_nx * 1e3,
                 "speedup": t_nx / t_ours, "same_answer": agree})
    for distinct in ("gateways", "paths"):
        t_api, _ = timed(lambda distinct=distinct: corridor.route(net, o, d, k=k, distinct=distinct),
                         repeat)
        rows.append({"network": label, "query": f"route(k={k}, distinct={distinct}) API",
                     "corridor_ms": t_api * 1e3, "networkx_ms": float("nan"),
                     "speedup": float("nan"), "same_answer": None})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--side", type=int, default=224, help="grid side (224 -> ~100k links)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    rows = []
    net = corridor.load_network()
    t0 = time.perf_counter()
    _ = net.graph
    print(f"bundled network: {len(net.nodes)} nodes, {len(net.links)} links, compiled to "
          f"{net.graph.n_vnodes} virtual nodes / {net.graph.n_edges} edges "
          f"in {1e3 * (time.perf_counter() - t0):.1f} ms")
    rows += bench(net, "bundled", [("Xian", "Duisburg"), ("Almaty", "Istanbul")],
                  ("Xian", "Duisburg"), args.repeat)

    t0 = time.perf_counter()
    grid = grid_network(args.side)
    _ = grid.graph
    print(f"grid {args.side}x{args.side}: {len(grid.nodes)} nodes, {len(grid.links)} links, "
          f"compiled to {grid.graph.n_vnodes} virtual nodes / {grid.graph.n_edges} edges in "
          f"{time.perf_counter() - t0:.1f} s")
    s = args.side
    far = (f"n{(s - 1) * s + 2}", f"n{s - 3}")  # bottom-left (IRN) to top-right
    mid_a, mid_b = f"n{(s // 2) * s + s // 4}", f"n{(s // 2) * s + 3 * s // 4}"
    near = (f"n{(s // 2) * s + s // 2 - 20}", f"n{(s // 2 + 10) * s + s // 2 + 20}")
    rows += bench(grid, "grid", [far, (mid_a, mid_b)], near, max(1, args.repeat // 2))

    df = pd.DataFrame(rows)
    with pd.option_context("display.width", 160, "display.max_colwidth", 60):
        print(df.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))


if __name__ == "__main__":
    main()
