"""Invariants of routing on random small networks (hypothesis)."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import corridor
from corridor.errors import NoRouteError
from corridor.network.tables import Network
from corridor.routing.itineraries import itinerary

COUNTRIES = ["AAA", "BBB", "RUS", "IRN", "CCC"]
CLASSES = [("rail", 1435), ("rail", 1520), ("road", None), ("sea", None), ("ferry", None)]


@st.composite
def networks(draw, max_nodes=7):
    n = draw(st.integers(3, max_nodes))
    nodes = []
    for i in range(n):
        ts = draw(st.one_of(st.none(), st.floats(0, 30)))
        nodes.append({
            "node_id": f"n{i}", "name": f"Node {i}", "kind": "city",
            "country": draw(st.sampled_from(COUNTRIES)),
            "lon": float(i), "lat": float(i % 3),
            "dwell_hours": draw(st.sampled_from([0.0, 0.0, 5.0, 12.0])),
            "dwell_usd": draw(st.sampled_from([0.0, 50.0])),
            "transship_hours": np.nan if ts is None else ts,
            "transship_usd": draw(st.sampled_from([0.0, 100.0])),
        })
    m = draw(st.integers(n - 1, 3 * n))
    links = []
    for j in range(m):
        if j < n - 1:  # a spanning path keeps most instances connected
            a, b = j, j + 1
        else:
            a, b = draw(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)))
            assume(a != b)
        mode, gauge = draw(st.sampled_from(CLASSES))
        km = draw(st.floats(10, 3000))
        links.append({
            "link_id": f"l{j}", "from_node_id": f"n{a}", "to_node_id": f"n{b}",
            "directed": draw(st.booleans()), "mode": mode, "gauge": gauge,
            "length_km": km, "speed_kmh": draw(st.floats(10, 60)),
            "wait_hours": draw(st.sampled_from([0.0, 24.0])),
            "usd_per_teu": km * draw(st.floats(0.1, 2.0)),
            "co2_kg_per_teu": km * 0.1,
            "status": draw(st.sampled_from(["open", "open", "open", "closed"])),
            "sea_area": "caspian" if mode == "ferry" else ("deep" if mode == "sea" else ""),
            "passages": draw(st.sampled_from(["suez", "south_africa", ""])) if mode == "sea" else "",
            "rate_class": "",
        })
    return Network.from_tables(pd.DataFrame(nodes), pd.DataFrame(links), name="random")


def _class(row):
    return f"rail{int(row['gauge'])}" if row["mode"] == "rail" else row["mode"]


def brute_force_time(net: Network, o: int, d: int, avoid: set[str]) -> float:
    """Cheapest time over physically simple paths, with the transfer rules re-stated here."""
    nodes, links = net.raw_nodes, net.raw_links
    g = nx.MultiDiGraph()
    for i, r in links.iterrows():
        if r["status"] != "open":
            continue
        ca = nodes.loc[nodes.node_id == r["from_node_id"], "country"].item()
        cb = nodes.loc[nodes.node_id == r["to_node_id"], "country"].item()
        if ca in avoid or cb in avoid:
            continue
        g.add_edge(r["from_node_id"], r["to_node_id"], key=i)
        if not r["directed"]:
            g.add_edge(r["to_node_id"], r["from_node_id"], key=i)
    src, dst = nodes.node_id[o], nodes.node_id[d]
    if src not in g or dst not in g:
        return np.inf
    best = np.inf
    nrow = nodes.set_index("node_id")
    for path in nx.all_simple_edge_paths(g, src, dst):
        t = 0.0
        ok = True
        for j, (_, v, key) in enumerate(path):
            r = links.loc[key]
            t += r["length_km"] / r["speed_kmh"] + r["wait_hours"]
            if j + 1 < len(path):
                nxt = links.loc[path[j + 1][2]]
                node = nrow.loc[v]
                c1, c2 = _class(r), _class(nxt)
                ts = c1 != c2 or c1 in ("sea", "ferry")
                t += node["dwell_hours"]
                if ts:
                    if pd.isna(node["transship_hours"]):
                        ok = False
                        break
                    t += node["transship_hours"]
        if ok:
            best = min(best, t)
    return best


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SETTINGS
@given(networks(), st.data())
def test_route_is_optimal_and_costs_add_up(net, data):
    n = len(net.nodes)
    o, d = data.draw(st.sampled_from(list(itertools.permutations(range(n), 2))))
    avoid = set(data.draw(st.lists(st.sampled_from(COUNTRIES), max_size=2)))
    present = set(net.nodes["country"])
    avoid &= present
    assume(net.nodes["country"][o] not in avoid and net.nodes["country"][d] not in avoid)
    expected = brute_force_time(net, o, d, avoid)
    try:
        rs = corridor.route(net, f"n{o}", f"n{d}", objective="time", avoid=avoid, k=1)
    except NoRouteError:
        assert expected == np.inf
        return
    r = rs.routes[0]
    assert r.objective_value == pytest.approx(expected, rel=1e-9)
    # the search's own total equals the sum over legs, for every quantity
    assert r.hours == pytest.approx(r.objective_value, rel=1e-9)
    lk = net.raw_links.set_index("link_id")
    assert r.km == pytest.approx(lk.loc[list(r.link_ids), "length_km"].sum())
    assert r.usd_per_teu == pytest.approx(sum(leg.usd for leg in r.legs))
    # a route that avoids a country never enters it
    countries = set(net.nodes.set_index("node_id").loc[list(r.nodes), "country"])
    assert not countries & avoid


@SETTINGS
@given(networks(max_nodes=6), st.data(), st.integers(2, 5))
def test_k_routes_sorted_and_distinct(net, data, k):
    n = len(net.nodes)
    o, d = data.draw(st.sampled_from(list(itertools.permutations(range(n), 2))))
    try:
        rs = corridor.route(net, f"n{o}", f"n{d}", objective="cost", k=k, distinct="paths")
    except NoRouteError:
        return
    vals = [r.objective_value for r in rs.routes]
    assert vals == sorted(vals)
    seqs = [tuple((leg.link_id, leg.from_id) for leg in r.legs if leg.link_id) for r in rs.routes]
    assert len(set(seqs)) == len(seqs)
    for r in rs.routes:
        assert r.usd_per_teu == pytest.approx(r.objective_value)
        assert len(set(r.nodes)) == len(r.nodes)  # loopless


@SETTINGS
@given(networks(), st.data())
def test_compare_families_are_exclusive(net, data):
    n = len(net.nodes)
    o, d = data.draw(st.sampled_from(list(itertools.permutations(range(n), 2))))
    res = corridor.compare(net, f"n{o}", f"n{d}", objective="time")
    assert [r.corridor for r in res.results] == list(corridor.FAMILIES)
    for r in res.results:
        if r.route is None:
            assert r.reason
            continue
        assert r.route.corridor == r.corridor
        lk = net.links.set_index("link_id").loc[list(r.route.link_ids)]
        land = lk["mode"].isin(["rail", "road"])

        def touches(codes, lk=lk):
            return lk["from_country"].isin(codes) | lk["to_country"].isin(codes)

        has = {
            "northern": (land & touches(["RUS", "BLR"])).any(),
            "southern": (land & touches(["IRN"])).any(),
            "middle": (lk["mode"] == "ferry").any(),
            "suez": lk["passages"].str.contains("suez").any(),
            "cape": lk["passages"].str.contains("south_africa").any(),
        }
        assert has[r.corridor]
        assert not any(v for f, v in has.items() if f != r.corridor)


@SETTINGS
@given(networks(max_nodes=7), st.data(), st.integers(2, 5))
def test_gateway_routes_sorted_distinct_and_first_is_optimal(net, data, k):
    n = len(net.nodes)
    o, d = data.draw(st.sampled_from(list(itertools.permutations(range(n), 2))))
    try:
        rs = corridor.route(net, f"n{o}", f"n{d}", objective="time", k=k)
    except NoRouteError:
        assert brute_force_time(net, o, d, set()) == np.inf
        return
    vals = [r.objective_value for r in rs.routes]
    assert vals == sorted(vals)
    assert vals[0] == pytest.approx(brute_force_time(net, o, d, set()))
    sigs = [itinerary(net, r) for r in rs.routes]
    assert len(set(sigs)) == len(sigs)
    for r in rs.routes:
        assert r.hours == pytest.approx(r.objective_value)
