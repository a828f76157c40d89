"""Freight flows on the corridor network: AON agrees with routing, flows balance, UE reacts to capacity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import corridor
from corridor.assignment.freight import assign
from corridor.demand import Demand


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


@pytest.mark.parametrize("method", ["ue", "sue"])
def test_flows_balance_at_every_node(net, method):
    dem = corridor.load_demand()
    res = assign(net, dem, method=method, rgap=1e-3)
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
    world = corridor.World.make(risk_premiums=False)
    free = assign(net, dem, method="ue", world=world)
    border = ["alashankou-dostyk", "khorgos_cn-altynkol"]
    used = free.links.set_index("link_id").loc[border, "flow_teu"].sum()
    assert used > 0  # the Kazakh crossings carry the free flow
    links = net.raw_links.copy()
    at = links["link_id"].isin(border)
    links.loc[at, ["capacity_t_yr", "capacity_teu_yr"]] = [np.nan, 50_000.0]
    links.loc[at, "capacity_source"] = "test"
    tight_net = corridor.Network.from_tables(net.raw_nodes, links, sources=net.sources, rates=net.rates,
                                             commodities=net.commodities, geometry=net.geometry)
    tight = assign(tight_net, dem, method="ue", world=world)
    assert tight.converged and free.converged
    # the queues push boxes off the two crossings onto other ways out of China (Mongolia, the sea)
    assert tight.links.set_index("link_id").loc[border, "flow_teu"].sum() < 0.8 * used


# ------------------------------------------------ stochastic assignment, classes, capacity units


@pytest.fixture(scope="module")
def baseline(net):
    return assign(net, corridor.load_demand())


def test_sue_routes_carry_the_demand_and_add_up_to_the_links(net, baseline):
    dem = corridor.load_demand().to_frame()
    p = baseline.paths
    by_od = p.groupby(["origin", "destination", "commodity"])["teu"].sum()
    want = dem.set_index(["origin", "destination", "commodity"])["teu_per_year"]
    np.testing.assert_allclose(by_od.reindex(want.index).to_numpy(), want.to_numpy(), rtol=1e-9)
    probs = p.groupby(["origin", "destination", "commodity"])["probability"].sum()
    np.testing.assert_allclose(probs.to_numpy(), 1.0, atol=1e-9)
    # the corridor volumes from routes equal those read off the links' signatures
    from_routes = p.groupby("corridor")["teu"].sum()
    for fam in ("northern", "middle", "suez", "cape"):
        assert from_routes.get(fam, 0.0) == pytest.approx(baseline.corridors[fam], rel=1e-6, abs=1e-3)
    assert baseline.converged and baseline.rgap <= 1e-4


@pytest.fixture(scope="module")
def world_2024(net):
    from corridor.scenarios.apply import apply_scenario

    a = apply_scenario("baseline-2024", network=net)
    return assign(a.network, a.demand, world=a.world, rgap=1e-3), a


def test_the_2024_world_has_the_published_order_of_size(world_2024):
    """The 2024 world (its prices, the Red Sea, its premiums and trade-driven demand) against the
    2024 counts (corridor_counts_by_year.csv): each within a factor of two. Not a fit check: the
    fit's own table is in assignment_params.json; this says the bundled model is that model."""
    res, a = world_2024
    p = res.paths
    boxes = p["commodity"].isin(["container", "general"])
    middle_teu = p.loc[boxes & (p["corridor"] == "middle"), "teu"].sum()
    t = p["teu"] * p["commodity"].map({"container": 10.0, "general": 10.0, "bulk": 22.0})
    middle_t = t[p["corridor"] == "middle"].sum()
    assert 0.5 < middle_teu / 55_000 < 2.0, middle_teu
    assert 0.5 < middle_t / 4_484_000 < 2.0, middle_t
    s = res.corridor_summary().set_index("corridor")
    assert s["share"].sum() == pytest.approx(1.0)
    # a time ranking that matches the published transit times: northern fastest, sea slowest
    assert s.loc["northern", "mean_days"] < s.loc["middle", "mean_days"] < s.loc["cape", "mean_days"]
    assert res.corridors.get("suez", 0.0) == 0.0  # 2024: the Red Sea avoided


def test_sue_never_enters_an_avoided_country(net):
    res = assign(net, corridor.load_demand(), avoid="RUS,BLR", rgap=1e-3)
    assert res.corridors["northern"] == 0.0
    assert res.countries.get("RUS", 0.0) == 0.0 and res.countries.get("BLR", 0.0) == 0.0
    assert not res.paths["via"].str.contains("Brest|Petropavl|Krasnoye").any()


def test_higher_dispersion_concentrates_shippers_on_the_cheapest_route(net):
    dem = _demand([("xian", "duisburg", "container", 1000.0)])
    shares = []
    for mu in (1.0, 5.0, 25.0):
        p = corridor.AssignmentParams(dispersion={"container": mu})
        res = assign(net, dem, params=p)
        shares.append(res.paths["probability"].max())
        assert res.paths["probability"].sum() == pytest.approx(1.0)
    assert shares[0] < shares[1] < shares[2]


def test_bulk_boards_a_container_feeder_in_boxes(net):
    """Container feeders take boxes only: bulk crossing on them boards in boxes, a slot per 22 t
    (24 t gross less the tare), and so counts against their capacity (it crossed for free before,
    and at a low sea crowded onto a full line)."""
    from corridor.costs import BOX_NET_TONNES

    feeder = "ferry-aktau-alat"
    base = net.raw_links.set_index("link_id").loc[feeder]
    assert np.isfinite(base["capacity_teu_yr"])  # a TEU capacity: container feeders
    bulk = _demand([("aktau", "istanbul", "bulk", 200_000.0)])
    t_per_teu = bulk.table["t_per_year"].sum() / bulk.table["teu_per_year"].sum()
    res = assign(net, bulk, method="aon", avoid="RUS,IRN,TKM")
    row = res.links.set_index("link_id").loc[feeder]
    assert row["flow_teu"] > 0 and row["v_c"] > 0
    q = res.queues.set_index(["id", "direction"]).loc[(feeder, "forward")]
    assert q["load"] == pytest.approx(row["flow_forward_teu"] * t_per_teu / BOX_NET_TONNES, rel=1e-6)
    # boxes on the same crossings count one slot each
    boxes = assign(net, _demand([("astana", "istanbul", "container", 200_000.0)]), method="aon")
    lk = boxes.links
    loaded = lk[(lk["flow_teu"] > 0) & (lk["mode"] == "ferry") & lk["capacity_teu_yr"].notna()]
    assert len(loaded) and (loaded["v_c"] > 0).all()


def test_bulk_does_not_count_against_a_rail_line_counted_in_boxes(net):
    """A rail line's capacity in TEU counts container trains; bulk runs in its own trains."""
    links = net.raw_links.set_index("link_id")
    rail = links[(links["mode"] == "rail") & links["capacity_teu_yr"].notna()
                 & links["capacity_t_yr"].isna()]
    assert "brest-malaszewicze" in rail.index
    res = assign(net, _demand([("brest", "malaszewicze", "bulk", 200_000.0)]), method="aon")
    row = res.links.set_index("link_id").loc["brest-malaszewicze"]
    assert row["flow_teu"] > 0 and row["v_c"] == 0.0


def test_a_port_queue_is_its_quay_not_the_trains_passing_by(net):
    # Baku -> Ganja by rail passes the port of Alat (baku-alat, alat-ganja) without touching its quay
    res = assign(net, _demand([("baku", "ganja", "container", 500_000.0)]), method="aon")
    alat = res.nodes.set_index("node_id").loc["alat"]
    assert alat["flow_teu"] == pytest.approx(500_000.0)  # the trains do pass
    assert alat["queue_load"] == 0.0 and alat["v_c"] == 0.0  # five times its 100k TEU, yet no queue
    # while boxes across the Caspian do load its quay
    ship = assign(net, _demand([("aktau", "ganja", "container", 50_000.0)]), method="aon")
    assert ship.nodes.set_index("node_id").loc["alat", "queue_load"] > 0


def test_capacity_reports_name_the_binding_queue_in_its_unit(net, baseline):
    over = baseline.over_capacity(0.0)
    assert set(over["queue_unit"]) <= {"TEU", "t", "wagon"}  # a rail ferry line counts wagon slots
    np.testing.assert_allclose(over["queue_load"] / over["queue_capacity"], over["v_c"], rtol=1e-9)
    lk = baseline.links.set_index("link_id")
    # the Aktau-Alat feeders count boxes, bulk boarded in boxes among them: their queue is in TEU,
    # and its load is the boxes plus the bulk at 22 t a slot, never more than both in TEU-equivalents
    assert lk.loc["ferry-aktau-alat", "queue_unit"] == "TEU"
    boxes = lk.loc["ferry-aktau-alat", "flow_container_teu"] + lk.loc["ferry-aktau-alat", "flow_general_teu"]
    assert boxes < lk.loc["ferry-aktau-alat", "queue_load"] <= lk.loc["ferry-aktau-alat", "flow_teu"] + 1e-6


def test_a_parallel_link_pays_its_queue_once(net):
    # give both parallel Cape lanes Shanghai-Rotterdam a capacity: each edge must join one queue only
    from corridor.costs import edge_costs

    links = net.raw_links.copy()
    par = links["link_id"].str.startswith("sea-shanghai-rotterdam")
    assert par.sum() >= 2
    links.loc[par, ["capacity_teu_yr", "capacity_source"]] = [100_000.0, "test"]
    n2 = corridor.Network.from_tables(net.raw_nodes, links, sources=net.sources, rates=net.rates,
                                      commodities=net.commodities, geometry=net.geometry)
    m = edge_costs(n2)
    on_par = np.isin(n2.graph.link, np.flatnonzero(par.to_numpy()))  # their LINK and CONT edges
    per_edge = np.bincount(m.member_edge, minlength=n2.graph.n_edges)[on_par]
    assert per_edge.max() == 1 and per_edge.sum() == 2 * par.sum()  # one queue per lane and direction


def test_write_refuses_to_overwrite_and_writes_every_table(net, baseline, tmp_path):
    files = baseline.write(tmp_path / "out", net)
    names = {f.name for f in files}
    assert {"link_flows.csv", "link_flows.parquet", "link_flows.geojson", "corridors.csv",
            "over_capacity.csv", "summary.json", "route_flows.csv"} <= names
    links = pd.read_parquet(tmp_path / "out" / "link_flows.parquet")
    assert len(links) == len(net.links) and "v_c" in links
    with pytest.raises(corridor.CorridorError, match="refusing to overwrite"):
        baseline.write(tmp_path / "out", net)


def test_bad_parameters_are_named(tmp_path):
    from corridor.assignment.params import AssignmentParams

    with pytest.raises(corridor.CorridorError,
                       match="dispersion.container must be .*> 0.*unknown corridor 'westerly'"):
        AssignmentParams(dispersion={"container": -1.0}, corridor_constants_usd={"westerly": 1.0})
    f = tmp_path / "p.json"
    f.write_text('{"dispersion": {"container": 3}, "colour": "red"}')
    with pytest.raises(corridor.CorridorError, match="unknown field.*colour"):
        AssignmentParams.load(f)
    f.write_text("{not json")
    with pytest.raises(corridor.CorridorError, match="not valid JSON"):
        AssignmentParams.load(f)
    cases = (('[1, 2]', "JSON object"),
             ('{"dispersion": [1, 2]}', "dispersion must be an object"),
             ('{"dispersion": {"container": "x"}, "note": 3}',
              "dispersion.container must be a number.*note must be text"),
             ('{"dispersion": {"container": 1e400}}', "dispersion.container must be a finite number"))
    for text, says in cases:
        f.write_text(text)
        with pytest.raises(corridor.CorridorError, match=says) as exc:
            AssignmentParams.load(f)
        assert str(f) in str(exc.value)


@pytest.mark.parametrize("method", ["sue", "ue"])
def test_demand_without_a_route_is_reported_when_asked(net, method):
    dem = _demand([("xian", "duisburg", "container", 100.0), ("almaty", "istanbul", "container", 40.0)])
    with pytest.raises(corridor.NoRouteError, match="Almaty"):
        assign(net, dem, method=method, avoid="KAZ")
    res = assign(net, dem, method=method, avoid="KAZ", unserved="report")
    assert res.unserved[["origin", "destination", "teu"]].values.tolist() == [["almaty", "istanbul", 40.0]]
    assert sum(res.corridors.values()) == pytest.approx(100.0)


def test_a_closure_reassigns_over_the_surviving_routes(net):
    from corridor.assignment.choice_sets import choice_set

    dem = _demand([("xian", "duisburg", "container", 1000.0)])
    o, d = net.node_index["xian"], net.node_index["duisburg"]
    full = choice_set(net, [(o, d)], world=corridor.World(), commodities=["container"])
    g = net.graph
    brest = g.link == net.link_index["brest-malaszewicze"]
    rest = full.without(brest)
    assert 0 < len(rest) < len(full)
    res = assign(net, dem, routes=rest)
    assert res.links.set_index("link_id").loc["brest-malaszewicze", "flow_teu"] == 0.0
    assert res.paths["teu"].sum() == pytest.approx(1000.0)
