"""Freight flows on the corridor network: AON agrees with routing, flows balance, UE reacts to capacity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import corridor
from corridor.demand import Demand
from corridor.flows import assign


def _demand(rows):
    df = pd.DataFrame(rows, columns=["origin", "destination", "commodity", "teu_per_year"])
    df["t_per_year"] = df["teu_per_year"] * 10.0
    return Demand(df)


def test_all_or_nothing_follows_the_best_route(net):
    res = assign(net, _demand([("xian", "duisburg", "container", 1000.0)]), method="aon")
    best = corridor.route(net, "Xian", "Duisburg", objective="generalized").routes[0]
    used = set(best.link_ids)
    loaded = res.links[res.links["flow_teu"] > 0]
    assert set(loaded["link_id"]) == used
    assert np.allclose(loaded["flow_teu"], 1000.0)
    assert res.corridors["northern"] == pytest.approx(1000.0)


def test_flows_balance_at_every_node(net):
    dem = corridor.load_demand()
    res = assign(net, dem, method="ue", rgap=1e-3)
    od = dem.matrix(net, None, "teu")
    lk = res.links
    idx = net.node_index
    net_out = np.zeros(len(net.nodes))
    out_minus_in = lk["flow_forward_teu"] - lk["flow_backward_teu"]
    np.add.at(net_out, lk["from_node_id"].map(idx).to_numpy(), out_minus_in)
    np.add.at(net_out, lk["to_node_id"].map(idx).to_numpy(), -out_minus_in)
    expected = od.sum(1) - od.sum(0)
    assert np.allclose(net_out, expected, atol=1e-6 * od.sum())


def test_equilibrium_moves_traffic_off_a_congested_crossing(net):
    dem = _demand([("xian", "duisburg", "container", 400_000.0)])
    free = assign(net, dem, method="ue")
    links = net.raw_links.copy()
    border = links["link_id"].isin(["alashankou-dostyk", "khorgos_cn-altynkol"])
    links.loc[border, ["capacity_t_yr", "capacity_teu_yr"]] = [np.nan, 50_000.0]
    links.loc[border, "capacity_source"] = "test"
    tight_net = corridor.Network.from_tables(net.raw_nodes, links, sources=net.sources, rates=net.rates,
                                             commodities=net.commodities, geometry=net.geometry)
    tight = assign(tight_net, dem, method="ue")
    assert tight.converged and free.converged
    assert tight.corridors["northern"] < free.corridors["northern"]
    others = sum(v for k, v in tight.corridors.items() if k != "northern")
    assert others > sum(v for k, v in free.corridors.items() if k != "northern")
