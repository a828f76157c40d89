"""Gateways and criticality: flow shares, single points, closures and minimum cuts between regions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import corridor
from corridor.analysis.cuts import Reachability, closed_edges, minimum_cut
from corridor.analysis.gateways import gateways, gateways_diff, ocean_passages
from corridor.cli.analysis import _print_gateways
from corridor.cli.app import app
from corridor.cli.common import out as cli_out
from corridor.errors import CorridorError, NoRouteError
from corridor.network.geopolitics import resolve_countries
from corridor.network.policy import Policy
from corridor.network.tables import Network

AVOID = "RUS,IRN"


@pytest.fixture(scope="module")
def net():
    return corridor.load_network()


@pytest.fixture(scope="module")
def demand():
    return corridor.load_demand()


@pytest.fixture(scope="module")
def land(net, demand):
    """KAZ/UZB -> EU with Russia and Iran avoided, land routes only (closures for the top 3)."""
    return gateways(net, demand, "KAZ,UZB", "eu", avoid=AVOID, overland=True, top=3)


@pytest.fixture(scope="module")
def by_sea(net, demand):
    """The same with the deep sea allowed (China's ports are then another way out)."""
    return gateways(net, demand, "central-asia", "eu", avoid=AVOID, top=4)


@pytest.fixture(scope="module")
def peace_pair(net):
    kw = dict(avoid=AVOID, overland=True, closures=False)
    return (gateways(net, None, "central-asia", "eu", scenario="baseline-2030", **kw),
            gateways(net, None, "central-asia", "eu", scenario="peace-dividend", **kw))


def test_every_land_route_from_kaz_uzb_to_the_eu_passes_aze_and_geo(land):
    c = land.countries
    assert list(c["country"].head(2)) in (["AZE", "GEO"], ["GEO", "AZE"])  # ranked first
    top = c.head(2)
    assert np.allclose(top["share"], 1.0) and top["single_point"].all()
    assert np.allclose(top["disconnects_share"], 1.0)
    others = c.iloc[2:]
    assert (others["share"] < 1.0).all() and not others["single_point"].any()
    assert set(land.cut["countries"]["single_points"]) == {"AZE", "GEO"}
    assert land.cut["countries"]["value"] == 1
    assert "Every route passes AZE and GEO" in land.answer()
    # closing Azerbaijan leaves all of the pair's demand without a route
    aze = c.set_index("country").loc["AZE"]
    assert aze["closed_unserved_teu"] == pytest.approx(land.summary["demand_teu"])


def test_land_claim_holds_for_every_origin_and_destination(net, demand, land):
    """Independent check with the router: with AZE or GEO avoided too, no KAZ/UZB place reaches an
    EU place without a deep-sea lane; with both open, every pair has a route."""
    ocean = ",".join(sorted(ocean_passages(net)))
    country = net.nodes.set_index("node_id")["country"]
    eu = resolve_countries("eu")
    t = demand.table
    pairs = t[t["origin"].map(country).isin(["KAZ", "UZB"]) & t["destination"].map(country).isin(eu)]
    pairs = sorted(set(zip(pairs["origin"], pairs["destination"], strict=True)))
    assert pairs
    for o, d in pairs:
        assert corridor.route(net, o, d, avoid=AVOID, avoid_passages=ocean).routes
        for extra in ("AZE", "GEO"):
            with pytest.raises(NoRouteError):
                corridor.route(net, o, d, avoid=f"{AVOID},{extra}", avoid_passages=ocean)


def test_minimum_cuts_are_true_cuts(net, land):
    nodes = land.cut["nodes"]
    assert nodes["value"] == 1 and nodes["elements"] == ["alat"]  # Alat, the only open Caspian port of AZE
    cap = land.cut["capacity"]
    alat = net.nodes.set_index("node_id").loc["alat"]
    assert cap["value_teu_yr"] == pytest.approx(float(alat["capacity_teu_yr"]))
    pol = Policy.make(AVOID, avoid_passages=sorted(ocean_passages(net)))
    mask = pol.edge_mask(net)
    country = net.nodes["country"].to_numpy()
    eu = resolve_countries("eu")
    ids = net.node_index
    pairs = [(ids[o], ids[d]) for o in ("almaty", "tashkent", "astana") for d in ("duisburg", "constanta")]
    assert {p for p in pairs if country[p[0]] in ("KAZ", "UZB") and country[p[1]] in eu}
    reach = Reachability(net, pairs)
    assert reach.reachable(mask) == set(pairs)
    for level, kind in (("nodes", "nodes"), ("links", "links")):
        closed = np.zeros(net.graph.n_edges, dtype=bool)
        for key in land.cut[level]["elements"]:
            closed |= closed_edges(net, kind, key)
        assert reach.reachable(mask & ~closed) == set(), level


def _port_between(onward_mode: str) -> Network:
    """a (KAZ) -rail- p (AZE, a port of 10k TEU/yr) -onward_mode, 50k TEU/yr- b (GEO)."""
    nodes = pd.DataFrame([
        {"node_id": "a", "name": "A", "kind": "city", "country": "KAZ", "lon": 0.0, "lat": 0.0},
        {"node_id": "p", "name": "P", "kind": "port", "country": "AZE", "lon": 1.0, "lat": 0.0,
         "transship_hours": 12.0, "transship_usd": 100.0, "capacity_teu_yr": 10_000.0},
        {"node_id": "b", "name": "B", "kind": "city", "country": "GEO", "lon": 2.0, "lat": 0.0,
         "transship_hours": 12.0, "transship_usd": 100.0},
    ])

    def link(i, a, b, mode, cap):
        return {"link_id": i, "from_node_id": a, "to_node_id": b, "directed": False, "mode": mode,
                "gauge": 1520 if mode == "rail" else None, "length_km": 100.0, "speed_kmh": 40.0,
                "usd_per_teu": 100.0, "status": "open", "capacity_teu_yr": cap,
                "sea_area": "caspian" if mode == "ferry" else "", "passages": "", "rate_class": ""}

    links = [link("ap", "a", "p", "rail", np.nan), link("pb", "p", "b", onward_mode, 50_000.0)]
    return Network.from_tables(nodes, pd.DataFrame(links), name="port between")


def test_capacity_cut_holds_a_port_to_its_transshipments_as_the_assignment_does():
    """A port's capacity is its quay: it holds cargo moving between modes there, not trains passing
    through (corridor.queues.edge_model); the capacity cut follows the same rule."""
    regions = (frozenset({"KAZ"}), frozenset({"GEO"}))
    through = _port_between("rail")  # rail in, rail out: the port's quay is not used
    cut = minimum_cut(through, Policy().edge_mask(through), {0}, {2}, "capacity", regions)
    assert cut["value_teu_yr"] == 50_000 and [e["id"] for e in cut["elements"]] == ["pb"]
    ferry = _port_between("ferry")  # rail in, ferry out: a transshipment at the port
    cut = minimum_cut(ferry, Policy().edge_mask(ferry), {0}, {2}, "capacity", regions)
    assert cut["value_teu_yr"] == 10_000 and [e["id"] for e in cut["elements"]] == ["p"]


def test_with_the_sea_azerbaijan_is_a_main_gateway_but_not_the_only_one(by_sea):
    """With Russia and Iran avoided and the deep sea allowed, Central Asia's cargo to the EU leaves by
    the Caspian (Azerbaijan) or by rail to China's ports and the sea: both carry a large share (the
    Chinese ports take most of the bulk, which pays little for time), neither is a single point."""
    c = by_sea.countries.set_index("country")
    assert set(by_sea.countries["country"].iloc[:2]) == {"AZE", "CHN"} or \
        set(by_sea.countries["country"].iloc[:3]) >= {"AZE", "GEO", "CHN"}
    assert c.loc["AZE", "share"] > 0.1 and c.loc["CHN", "share"] > 0.2
    assert c.loc["AZE", "share"] + c.loc["CHN", "share"] > 0.9  # the two ways out
    assert not c.loc["AZE", "single_point"]
    assert c.loc["AZE", "closed_unserved_teu"] == 0
    assert c.loc["AZE", "closed_extra_usd_yr"] > 0 and c.loc["AZE", "closed_extra_days"] > 0
    assert by_sea.cut["countries"]["single_points"] == []
    assert set(by_sea.cut["countries"]["elements"]) >= {"CHN"}


def test_stranded_teu_never_lower_the_cost_of_a_closure(by_sea):
    """Closing China strands China's own demand; the capacity those TEU no longer use is not a gain
    of the closure: the TEU still served are compared with the open network assigned without the
    stranded ones, so the cost figures stay positive (they were negative: -4.5 m and -9.6 m a year)."""
    c = by_sea.countries.set_index("country")
    chn = c.loc["CHN"]
    assert chn["closed_network_unserved_teu"] > 1e6  # China's own demand has no route left
    assert chn["closed_extra_usd_yr"] > 0 and chn["closed_network_extra_usd_yr"] > 0
    for df in (by_sea.countries, by_sea.nodes, by_sea.links):
        strands = df[df["closed_network_unserved_teu"] > 0]
        # zero when the cargo still served is untouched (a dollar a year is rounding), never a gain
        assert (strands["closed_network_extra_usd_yr"] > -1.0).all()


def test_peace_dividend_opens_a_way_round_georgia(peace_pair):
    base, peace = peace_pair
    assert set(base.cut["countries"]["single_points"]) == {"AZE", "GEO"}
    assert peace.cut["countries"]["single_points"] == ["AZE"]  # TRIPP: Alat-Meghri-Nakhchivan-Kars
    cb, cp = base.countries.set_index("country"), peace.countries.set_index("country")
    assert cp.loc["GEO", "share"] < cb.loc["GEO", "share"]
    assert cp.loc["ARM", "share"] > 0
    nb, npc = base.nodes.set_index("node_id"), peace.nodes.set_index("node_id")
    assert npc.loc["kars", "teu"] > nb.loc["kars", "teu"]
    assert npc.loc["akhalkalaki", "teu"] < nb.loc["akhalkalaki", "teu"]
    diff = gateways_diff(base, peace).set_index("country")
    assert diff.loc["GEO", "share_change"] < 0 and diff.loc["ARM", "share_change"] > 0
    assert diff.loc["GEO", "single_point_a"] and not diff.loc["GEO", "single_point_b"]


def test_shares_add_up(land):
    s = land.summary
    assert s["served_teu"] == pytest.approx(s["demand_teu"])
    assert sum(s["corridors_teu"].values()) == pytest.approx(s["served_teu"])
    for df in (land.countries, land.nodes, land.links):
        assert (df["share"] >= -1e-12).all() and (df["share"] <= 1 + 1e-9).all()


def test_user_errors(net, demand):
    with pytest.raises(CorridorError, match="did you mean"):
        gateways(net, demand, "central-asai", "eu", closures=False)
    with pytest.raises(CorridorError, match="overlap"):
        gateways(net, demand, "central-asia", "KAZ", closures=False)
    with pytest.raises(CorridorError, match="part of the 'from' region"):
        gateways(net, demand, "central-asia", "eu", avoid="KAZ", closures=False)
    with pytest.raises(CorridorError, match="no flow"):
        gateways(net, demand, "caucasus", "china", closures=False)


runner = CliRunner()


def test_regions_no_route_connects_are_said_so_plainly(net, demand):
    """Avoiding Azerbaijan too leaves KAZ/UZB with no land route to the EU: the answer says that,
    not 'mean nan days' or 'at least 0 must close'."""
    country = net.nodes.set_index("node_id")["country"]
    t = demand.table
    pair = corridor.Demand(table=t[t["origin"].map(country).isin(["KAZ", "UZB"])].reset_index(drop=True))
    g = gateways(net, pair, "KAZ,UZB", "eu", avoid=f"{AVOID},AZE", overland=True, closures=False)
    assert not g.connected and g.summary["served_teu"] == 0
    assert g.answer().startswith("No route connects KAZ,UZB and eu under this world")
    assert g.to_dict()["connected"] is False
    with cli_out.capture() as printed:
        _print_gateways(g, "share", 3)
    text = printed.get()
    assert "No route connects" in text
    assert "nan" not in text and "at least 0" not in text


def test_cli_json_and_errors(land):
    r = runner.invoke(app, ["gateways", "--from", "KAZ,UZB", "--to", "eu", "--avoid", AVOID, "--overland",
                            "--no-closures", "--top", "3", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert set(d["cut"]["countries"]["single_points"]) == {"AZE", "GEO"}
    assert [c["country"] for c in d["countries"][:2]] in (["AZE", "GEO"], ["GEO", "AZE"])
    assert "Every route passes" in d["answer"]
    r = runner.invoke(app, ["gateways", "--from", "central-asai", "--to", "eu"])
    assert r.exit_code == 1 and "did you mean" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["gateways", "--from", "central-asia", "--to", "eu", "--scenario", "nope",
                            "--json"])
    assert r.exit_code == 1 and "unknown scenario" in json.loads(r.stdout)["error"]


@pytest.fixture(scope="module")
def open_world(net, demand):
    """Central Asia -> EU with nothing avoided: Russia is open (at its risk premium) and faster."""
    return gateways(net, demand, "central-asia", "eu", top=5)  # AZE is fourth, behind CHN, TUR, GEO


def test_a_closure_is_never_a_gain_for_the_cargo_that_used_it(open_world):
    """Issue 12: closing Azerbaijan read as -14.7 days per TEU, the displaced cargo going to faster
    northern rail. Its users now move to their own next-best option at the same congestion: they
    pay more, always; fewer days are reported as what they are, a faster and dearer option."""
    for df in (open_world.countries, open_world.nodes, open_world.links):
        done = df[df["closed_users_teu"].notna() & (df["closed_users_teu"] > 0)]
        assert len(done)
        assert (done["closed_extra_usd_per_teu"].fillna(0) >= 0).all()
        assert (done["closed_extra_usd_yr"] >= 0).all()
        assert (done["closed_users_teu"] <= done["teu"] + 1e-6).all()  # its users: the TEU through it
    aze = open_world.countries.set_index("country").loc["AZE"]
    assert aze["closed_users_teu"] == pytest.approx(aze["teu"], rel=1e-6)
    assert aze["closed_extra_usd_per_teu"] > 0
    answer = open_world.answer()
    assert "next-best option" in answer and "-" not in answer.split("next-best option")[1].split(".")[0]
