"""Scenario files: validation (file, line, YAML path), inheritance, copy-on-write, effects, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import corridor
from corridor.cli.app import app
from corridor.scenarios.apply import apply_scenario
from corridor.scenarios.diff import diff
from corridor.scenarios.files import list_scenarios, scenario_dir
from corridor.scenarios.run import run_scenario
from corridor.scenarios.schema import scenario_schema
from corridor.scenarios.validate import load_scenario
from corridor.viz.charts import diff_figure, plot_diff

# 'ue' keeps these runs to a fraction of a second each; the direction of the effects is the
# same with 'sue' (which also gives days per corridor)
METHOD = "ue"
runner = CliRunner()


@pytest.fixture(scope="module")
def baseline():
    return run_scenario("baseline-2024", method=METHOD)


@pytest.fixture(scope="module")
def strict():
    return run_scenario("sanctions-strict", method=METHOD)


@pytest.fixture(scope="module")
def red_sea():
    return run_scenario("red-sea-closed", method=METHOD)


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


# ------------------------------------------------------------------ validation


def test_schema_errors_name_file_line_path_and_allowed_values(tmp_path):
    p = write(tmp_path, "bad.yaml", """\
name: bad
policies:
  borders:
    - countries: [ARM, TUR]
      status: open
    - node: dostyk
      status: closed
    - countries: [AZE, GEO]
      status: half-open
  avoid_passages: [suez, panamaa]
  avoid: [RSU]
infrastructure:
  links:
    - id: kars-gyumri
      status: open
tarifs: []
""")
    with pytest.raises(corridor.ValidationError) as e:
        load_scenario(p)
    probs = {p.column: p for p in e.value.problems}
    status = probs["policies.borders[2].status"]
    assert status.file == str(p) and status.row == 9
    assert all(v in status.message for v in ("'open'", "'closed'", "'restricted'"))
    assert "half-open" in status.message
    assert "policies.avoid_passages[1]" in probs
    assert "required" in probs["infrastructure.links[0].source"].message  # a change needs a source
    unknown = probs["tarifs"]
    assert "did you mean tariffs" in unknown.message and unknown.row == 16
    assert "RUS" in probs["policies.avoid[0]"].message  # format and network problems together
    text = str(e.value)
    assert f"{p}, line 9, policies.borders[2].status" in text
    assert len(e.value.problems) >= 4  # all at once


def test_unknown_country_and_node_get_suggestions(tmp_path):
    p = write(tmp_path, "typo.yaml", """\
name: typo
policies:
  avoid: [RSU, EAUE]
  borders:
    - node: Dostykk
      status: restricted
      extra_hours: 12
      source: [index1520_dostyk]
demand:
  growth:
    - {from: centrl-asia, to: eu, factor: 1.1, source: [no_such_source]}
""")
    with pytest.raises(corridor.ValidationError) as e:
        load_scenario(p)
    probs = {p.column: p.message for p in e.value.problems}
    assert "RUS" in probs["policies.avoid[0]"]
    assert "EAEU" in probs["policies.avoid[1]"]
    assert "dostyk" in probs["policies.borders[0].node"]
    assert "central-asia" in probs["demand.growth[0].from[0]"]
    assert "no_such_source" in probs["demand.growth[0].source"]


def test_values_of_the_wrong_type_are_problems_not_crashes(tmp_path):
    """The checks look at what they can of a file that does not validate; a bug there must show."""
    p = write(tmp_path, "types.yaml", """\
name: types
policies:
  avoid: RUS
  borders:
    - {countries: KAZ, node: 5, status: 1, source: 7}
    - {countries: [1, [KAZ]], status: closed}
infrastructure:
  nodes:
    - {id: 5, country: [1]}
    - {id: new, country: 7, lon: x}
  links:
    - {id: [x], from: 3}
    - {id: y, from: [almaty], to: {a: 1}, mode: 2, status: 5, rate_class: [r]}
caspian: {vessels_add: [1], berths_add: 5, deepen_m: {Aktau: x}}
demand: {file: 5, growth: [{from: 5, to: [KAZ, 1], factor: x}]}
tariffs:
  - {links: x, countries: 5, rate_classes: [1], factor: -1}
border_times:
  - {nodes: dostyk, links: [1], dwell_factor: x}
sources:
  - {id: 5}
  - {id: s, title: [t], url: 1}
""")
    with pytest.raises(corridor.ValidationError) as e:
        load_scenario(p)
    assert len(e.value.problems) >= 15 and all(q.row for q in e.value.problems)


def test_restricted_border_without_source_is_refused(tmp_path):
    p = write(tmp_path, "nosrc.yaml", """\
name: nosrc
policies:
  borders:
    - {countries: [KAZ, CHN], status: restricted, extra_hours: 24}
""")
    with pytest.raises(corridor.ValidationError, match="every number needs a 'source'"):
        load_scenario(p)


def test_inheritance_cycle_is_caught(tmp_path):
    write(tmp_path, "a.yaml", "name: a\nbase: b\n")
    write(tmp_path, "b.yaml", "name: b\nbase: c.yaml\n")
    write(tmp_path, "c.yaml", "name: c\nbase: a\n")
    cycle = "inheritance cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml"
    with pytest.raises(corridor.ValidationError, match=cycle):
        load_scenario(tmp_path / "a.yaml")


def test_inheritance_merges_maps_and_appends_lists(tmp_path):
    p = write(tmp_path, "child.yaml", """\
name: child
base: sanctions-strict
year: 2030
policies:
  avoid: [IRN]
""")
    s = load_scenario(p)
    assert s.year == 2030
    assert s.policies.avoid == ["RUS", "BLR", "IRN"]
    assert [Path(c).name for c in s.chain] == ["world-2024.yaml", "baseline-2024.yaml",
                                               "sanctions-strict.yaml", "child.yaml"]
    a = apply_scenario(s)
    assert {"RUS", "BLR", "IRN"} <= a.policy.avoid_countries


def test_blocs_in_a_scenario(tmp_path):
    p = write(tmp_path, "blocs.yaml", "name: blocs\npolicies:\n  avoid: [sanctioned]\n")
    a = apply_scenario(load_scenario(p))
    assert a.policy.avoid_countries == {"RUS", "BLR", "IRN"}  # PRK is not in the network
    assert a.policy.avoid_groups == {"sanctioned"}


def test_schema_is_published():
    s = scenario_schema()
    assert {"name", "base", "policies", "infrastructure", "caspian", "demand", "tariffs",
            "border_times", "sources"} <= set(s["properties"])
    border = s["$defs"]["BorderSpec"]["properties"]["status"]
    assert set(border["enum"]) == {"open", "closed", "restricted"}


# ------------------------------------------------------------------ the library


def test_every_bundled_scenario_loads_applies_and_is_sourced(net):
    names = set(list_scenarios()["name"])
    assert {"baseline-2024", "sanctions-strict", "red-sea-closed", "titr-2030", "caspian-low",
            "caspian-low-2m", "peace-dividend", "eu-global-gateway"} <= names
    for name in names:
        a = apply_scenario(name)
        known = set(a.network.sources["source_id"])
        tables = ((a.network.links, ("length_source", "cost_source", "wait_source", "capacity_source",
                                     "source_id")),
                  (a.network.nodes, ("coord_source", "dwell_source", "transship_source", "capacity_source")))
        for table, cols in tables:
            for col in cols:
                for cell in table[col].fillna(""):
                    ids = [s for s in str(cell).split(";") if s]
                    assert all(s in known or s.startswith("derived") for s in ids), (name, col, cell)
        for b in a.policy.borders:
            assert all(s in known for s in b.source_id.split(";") if s)


def test_the_library_has_no_decorative_entries():
    """A border 'open' rule lifts an earlier closure or restriction; a policy source explains a policy."""
    for name in list_scenarios()["name"]:
        s = load_scenario(name)
        seen: dict = {}
        for b in s.policies.borders:
            key = ("node", b.node) if b.node else ("pair", tuple(sorted(b.countries)))
            if b.status == "open":
                assert seen.get(key, "open") != "open", (name, "an 'open' rule that lifts nothing", key)
            seen[key] = b.status
        p = s.policies
        if p.source:
            assert p.avoid or p.avoid_modes or p.avoid_passages or p.borders, (name, "source of no policy")


def test_library_facts_match_their_sources():
    from corridor.caspian.config import CaspianConfig
    from corridor.network.geopolitics import resolve_countries

    ref = CaspianConfig.__dataclass_fields__["reference_level_m"].default
    for name in ("caspian-low", "caspian-low-2m"):
        s = load_scenario(name)
        level = s.caspian.level_m
        assert f"{ref:.2f} m" in s.description and f"{level:.2f} m" in s.description, name
    # the World Bank's +28% is the EU trade of Azerbaijan, Georgia and Kazakhstan (civil_ge_wb_2023)
    (g,) = load_scenario("titr-2030").demand.growth
    assert resolve_countries(g.from_) == {"AZE", "GEO", "KAZ"}
    assert resolve_countries(g.to) == resolve_countries("EU")
    assert g.factor == 1.28 and g.both_directions


def test_apply_is_copy_on_write(net):
    before_nodes, before_links = net.raw_nodes.copy(), net.raw_links.copy()
    a = apply_scenario("titr-2030")
    assert a.network is not net
    pd.testing.assert_frame_equal(net.raw_nodes, before_nodes)
    pd.testing.assert_frame_equal(net.raw_links, before_links)
    assert corridor.load_network() is net  # the cached bundled network is the same, untouched
    aktau = a.network.nodes.set_index("node_id").loc["aktau"]
    assert aktau["capacity_teu_yr"] == 240_000
    assert net.nodes.set_index("node_id").loc["aktau", "capacity_teu_yr"] == 140_000
    # more feeders: the Aktau line carries more in the scenario's world (the link table is not edited)
    feeders = a.caspian_lines()["aktau_alat_container"]["capacity_units_yr"]
    base = apply_scenario("baseline-2024").caspian_lines()
    assert feeders > base["aktau_alat_container"]["capacity_units_yr"]
    assert a.demand.total()["teu"] > corridor.load_demand(2024).total()["teu"]


def test_the_2024_caspian_simulation_is_kept():
    from corridor.scenarios.run import baseline_waits, caspian_waits

    a = apply_scenario("caspian-low")
    baseline_waits.cache_clear()
    w1 = caspian_waits(a, replications=2, seed=3)
    w2 = caspian_waits(a, replications=2, seed=3)
    info = baseline_waits.cache_info()
    assert (info.misses, info.hits) == (1, 1) and w1 == w2
    caspian_waits(a, replications=2, seed=4)  # another seed: simulated anew
    assert baseline_waits.cache_info().misses == 2


def test_peace_dividend_opens_kars_gyumri_and_tripp():
    a = apply_scenario("peace-dividend")
    ok = pd.Series(a.policy.link_mask(a.network), index=a.network.links["link_id"])
    assert ok["kars-gyumri"] and ok["agbend-meghri"] and ok["meghri-ordubad"]
    b = apply_scenario("baseline-2030")
    ok_b = pd.Series(b.policy.link_mask(b.network), index=b.network.links["link_id"])
    assert not ok_b["kars-gyumri"] and not ok_b["agbend-meghri"]


def test_caspian_low_cuts_ferry_capacity():
    base = apply_scenario("baseline-2024").caspian_lines()
    one, two = apply_scenario("caspian-low"), apply_scenario("caspian-low-2m")
    lines_one, lines_two = one.caspian_lines(), two.caspian_lines()
    for s in ("aktau_alat_container", "kuryk_alat_wagon"):
        cap = [x[s]["capacity_units_yr"] for x in (base, lines_one, lines_two)]
        assert 0 <= cap[2] < cap[1] < cap[0]  # at -2 m Kuryk's rail ferries cannot berth at all
        wait = [x[s]["wait_hours_at_2024_volume"] for x in (base, lines_one, lines_two)]
        assert wait[0] < wait[1] < wait[2]
    assert two.caspian.level_m == pytest.approx(-31.35)
    assert two.world.caspian is two.caspian


def test_new_link_and_border_restriction(tmp_path, net):
    p = write(tmp_path, "new.yaml", """\
name: new-link
year: 2030
policies:
  borders:
    - node: dostyk
      status: restricted
      extra_hours: 48
      extra_usd: 100
      source: [daryo_dostyk_2024]
    - countries: [KAZ, UZB]
      status: closed
    - node: test_yard             # a node this file adds
      status: restricted
      extra_hours: 5
      source: [corridor_regions]
infrastructure:
  nodes:
    - {id: test_yard, name: Test Yard, kind: rail_terminal, country: KAZ, lon: 70.0, lat: 45.0,
       source: [corridor_regions]}
  links:
    - {id: test-link, from: almaty, to: test_yard, mode: rail, gauge: 1520, rate_class: rail_kz,
       length_km: 500, capacity_teu_yr: 1000, source: [corridor_regions]}
    - {id: test-later, from: test_yard, to: arys, mode: rail, gauge: 1520, rate_class: rail_kz,
       length_km: 400, opening_year: 2028, source: [corridor_regions]}
""")
    a = apply_scenario(load_scenario(p))
    assert "test-link" in set(a.network.links["link_id"]) and "test-link" not in set(net.links["link_id"])
    lk = a.network.links.set_index("link_id")
    # GMNS columns, not the file's keys; no status: open, unless an opening year makes it planned
    assert (lk.loc["test-link", "from_node_id"], lk.loc["test-link", "to_node_id"]) == ("almaty", "test_yard")
    assert lk.loc["test-link", "status"] == "open" and lk.loc["test-later", "status"] == "planned"
    assert "to" not in a.network.raw_links.columns and "from_" not in a.network.raw_links.columns
    r = corridor.route(a.network, "Almaty", "Test Yard", world=a.world).routes[0]
    assert r.link_ids == ("test-link",)
    r = corridor.route(a.network, "Test Yard", "Arys", world=a.world).routes[0]
    assert r.link_ids == ("test-later",)  # planned 2028, open in the scenario's 2030
    yard = a.network.nodes.set_index("node_id").loc["test_yard"]
    assert yard["dwell_hours"] == pytest.approx(5)  # the border rule on the new node
    d = a.network.nodes.set_index("node_id").loc["dostyk"]
    base = net.nodes.set_index("node_id").loc["dostyk"]
    assert d["dwell_hours"] == pytest.approx(base["dwell_hours"] + 48)
    assert d["dwell_usd"] == pytest.approx(base["dwell_usd"] + 100)
    lk = a.network.links
    kz_uz = ((lk["from_country"] == "KAZ") & (lk["to_country"] == "UZB")) | (
        (lk["from_country"] == "UZB") & (lk["to_country"] == "KAZ"))
    assert kz_uz.any() and not a.policy.link_mask(a.network)[kz_uz.to_numpy()].any()
    flows = corridor.assign(a.network, a.demand, method="aon", world=a.world)
    assert "test-link" in set(flows.links["link_id"])


def test_planned_new_link_needs_its_opening_year(tmp_path):
    p = write(tmp_path, "planned.yaml", """\
name: planned
infrastructure:
  links:
    - {id: x-link, from: almaty, to: arys, mode: road, rate_class: road, length_km: 700,
       status: planned, source: [corridor_regions]}
""")
    with pytest.raises(corridor.ValidationError) as e:
        load_scenario(p)
    (prob,) = e.value.problems
    assert prob.column == "infrastructure.links[0].id" and "opening_year" in prob.message


def test_the_network_a_scenario_makes_is_validated_with_locations(tmp_path):
    p = write(tmp_path, "broken.yaml", """\
name: broken
infrastructure:
  nodes:
    - {id: aktau2, name: Aktau, kind: port, country: KAZ, lon: 51.2, lat: 43.6, source: [corridor_regions]}
  links:
    - {id: loop, from: almaty, to: almaty, mode: road, rate_class: road, length_km: 10,
       source: [corridor_regions]}
    - {id: kars-gyumri, status: planned, source: [kars_gyumri_closed]}
""")
    s = load_scenario(p)  # each entry is fine on its own; the network they make is not
    with pytest.raises(corridor.ValidationError) as e:
        apply_scenario(s)
    probs = {q.column: q for q in e.value.problems}
    assert set(probs) == {"infrastructure.nodes[0]", "infrastructure.links[0]", "infrastructure.links[1]"}
    assert all(q.file == str(p) for q in probs.values())
    node, loop = probs["infrastructure.nodes[0]"], probs["infrastructure.links[0]"]
    assert node.row == 4 and "place name" in node.message
    assert loop.row == 6 and "same node" in loop.message
    assert "needs the year" in probs["infrastructure.links[1]"].message
    r = cli("scenario", "run", p, "--out", tmp_path / "o", "--method", "aon", "--no-record")
    assert r.exit_code == 1 and "same node" in r.output and "Traceback" not in r.output


def test_the_network_a_scenario_makes_is_checked_in_memory(monkeypatch):
    """No temporary folder of CSV files: the applied tables are checked as DataFrames."""
    import tempfile

    def no_disk(*a, **k):
        raise AssertionError("apply_scenario wrote a temporary folder")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", no_disk)
    monkeypatch.setattr(tempfile, "mkdtemp", no_disk)
    a = apply_scenario("titr-2030")  # changes links and nodes: its tables are checked
    assert a.scenario.infrastructure.links and a.scenario.infrastructure.nodes


def test_a_file_source_is_located_past_entries_that_do_not_validate(tmp_path):
    p = write(tmp_path, "srcs.yaml", """\
name: srcs
sources:
  - 5
  - {id: corridor_regions, title: Another title, url: https://example.org}
""")
    with pytest.raises(corridor.ValidationError) as e:
        load_scenario(p)
    probs = {q.column: q for q in e.value.problems}
    assert probs["sources[1].id"].row == 4
    assert "already in the bundled sources.csv" in probs["sources[1].id"].message
    assert "sources[0]" in probs  # the entry that is not a mapping


def test_merged_scenario_file_reloads_to_the_same_world(tmp_path):
    for name in ("titr-2030", "peace-dividend"):
        s = load_scenario(name)
        text = s.to_yaml()
        assert "base" not in yaml.safe_load(text) and s.base is None
        assert "baseline-2030.yaml" in text.splitlines()[0]  # the chain, as a comment
        again = load_scenario(write(tmp_path, f"{name}-merged.yaml", text))
        a, b = apply_scenario(s), apply_scenario(again)
        pd.testing.assert_frame_equal(a.network.raw_nodes, b.network.raw_nodes)
        pd.testing.assert_frame_equal(a.network.raw_links, b.network.raw_links)
        pd.testing.assert_frame_equal(a.demand.table, b.demand.table)
        assert a.policy == b.policy and a.caspian == b.caspian


def test_borders_and_new_nodes_name_single_countries_of_the_network(tmp_path):
    p = write(tmp_path, "codes.yaml", """\
name: codes
policies:
  borders:
    - {countries: [EU, BLR], status: closed}
    - {countries: [PAK, KAZ], status: closed}
    - {countries: [Turkey, GEO], status: closed}
    - {countries: [KAZZ, CHN], status: closed}
  avoid: [PAK]
infrastructure:
  nodes:
    - {id: newport, name: New Port, kind: port, country: central-asia, lon: 51.0, lat: 43.0,
       source: [corridor_regions]}
""")
    with pytest.raises(corridor.ValidationError) as e:
        load_scenario(p)
    probs = {q.column: q for q in e.value.problems}
    assert "bloc or region" in probs["policies.borders[0].countries[0]"].message
    assert probs["policies.borders[0].countries[0]"].row == 4
    assert "'PAK' is not a country of the network" in probs["policies.borders[1].countries[0]"].message
    assert "'TUR'" in probs["policies.borders[2].countries[0]"].message
    assert "KAZ" in probs["policies.borders[3].countries[0]"].message  # did you mean
    assert "not a country of the network" in probs["policies.avoid[0]"].message
    assert "bloc or region" in probs["infrastructure.nodes[0].country"].message


def test_caspian_changes_are_checked_by_building_the_crossing(tmp_path):
    p = write(tmp_path, "neg.yaml", """\
name: neg
caspian:
  vessels_add: {kmtf_feeder: -10, rail_ferry: 2}
  berths_add: {Aktau: {container: -5}}
  source: [worldbank_2023]
""")
    with pytest.raises(corridor.ValidationError) as e:
        load_scenario(p)
    probs = {q.column: q for q in e.value.problems}
    assert set(probs) == {"caspian.vessels_add.kmtf_feeder", "caspian.berths_add.Aktau.container"}
    assert "fleet has 4" in probs["caspian.vessels_add.kmtf_feeder"].message
    assert probs["caspian.berths_add.Aktau.container"].row == 4
    write(tmp_path, "noberth.yaml", """\
name: noberth
caspian:
  berths_add: {Aktau: {container: -2}}
  source: [worldbank_2023]
""")
    with pytest.raises(corridor.ValidationError, match=r"caspian.berths_add: .*no container berth"):
        load_scenario(tmp_path / "noberth.yaml")


def test_duplicate_keys_are_reported(tmp_path):
    p = write(tmp_path, "dup.yaml", """\
name: dup
policies:
  avoid: [RUS]
  avoid: [BLR]
policies:
  avoid_passages: [suez]
""")
    with pytest.raises(corridor.ValidationError) as e:
        load_scenario(p)
    probs = sorted(e.value.problems, key=lambda q: q.row)
    assert [(q.row, q.column) for q in probs] == [(4, "policies.avoid"), (5, "policies")]
    assert "first on line 3" in probs[0].message and "first on line 2" in probs[1].message


def test_a_local_file_named_like_its_bundled_base(tmp_path):
    p = write(tmp_path, "titr-2030.yaml", "name: titr-2030\nbase: titr-2030\nyear: 2035\n")
    s = load_scenario(p)
    assert [Path(c).name for c in s.chain] == ["world-2025.yaml", "baseline-2030.yaml",
                                               "titr-2030.yaml", "titr-2030.yaml"]
    assert Path(s.chain[-2]).parent == scenario_dir() and s.year == 2035
    write(tmp_path, "self.yaml", "name: self\nbase: ./self.yaml\n")  # a path to itself is a cycle
    with pytest.raises(corridor.ValidationError, match="inheritance cycle"):
        load_scenario(tmp_path / "self.yaml")


def test_a_file_source_may_not_redefine_a_bundled_one(tmp_path):
    entry = """\
sources:
  - id: apmt_poti_expansion
    title: {title}
    publisher: APM Terminals (via containtest-lwslv.projectbeta.co.uk)
    url: https://containtest-lwslv.projectbeta.co.uk/apm-terminals-poti-presents-expansion-project-to-georgia-government
    date: n.d.
    grade: B
    notes: "New deep-water terminal at Poti by 2027: 400k TEU/yr, 13.5 m depth, ships up to 300 m. \\
      facts.md 3.2."
"""
    same = write(tmp_path, "same.yaml", "name: same\n" + entry.format(
        title="APM Terminals Poti presents expansion project to Georgia's government"))
    load_scenario(same)  # word for word: harmless
    other = write(tmp_path, "other.yaml", "name: other\n" + entry.format(title="Poti grows"))
    with pytest.raises(corridor.ValidationError) as e:
        load_scenario(other)
    (prob,) = e.value.problems
    assert prob.column == "sources[0].id" and prob.row == 3 and "another title" in prob.message


# ------------------------------------------------------------------ direction of effects


def test_sanctions_strict_moves_the_northern_share_to_the_others(baseline, strict):
    a = baseline.corridors.set_index("corridor")
    b = strict.corridors.set_index("corridor")
    assert a.loc["northern", "teu"] > 0
    assert b.loc["northern", "teu"] == pytest.approx(0.0, abs=1e-6)
    others = ["middle", "southern", "suez", "cape"]
    assert b.loc[others, "share"].sum() > a.loc[others, "share"].sum()
    # the land alternatives take part of the Northern cargo
    assert b.loc["middle", "teu"] > a.loc["middle", "teu"]
    land = ["middle", "southern"]
    assert b.loc[land, "teu"].sum() > a.loc[land, "teu"].sum()
    assert strict.countries.get("RUS", 0.0) == pytest.approx(0.0, abs=1e-6)


@pytest.fixture(scope="module")
def world_2023():
    return run_scenario("world-2023", method=METHOD)


def test_red_sea_closed_moves_sea_traffic_to_the_cape_with_longer_days(world_2023, red_sea):
    baseline = world_2023  # red-sea-closed is a lever on the last world with the Red Sea open
    a = baseline.corridors.set_index("corridor")
    b = red_sea.corridors.set_index("corridor")
    assert a.loc["suez", "teu"] > 0
    assert b.loc["suez", "teu"] == pytest.approx(0.0, abs=1e-6)
    assert b.loc["cape", "teu"] > a.loc["cape", "teu"] + 0.5 * a.loc["suez", "teu"]
    assert red_sea.totals()["free_flow_days"] > baseline.totals()["free_flow_days"] + 5


def test_diff_reports_and_draws(world_2023, red_sea, tmp_path):
    d = diff(world_2023, red_sea, top=5)
    c = d.corridors.set_index("corridor")
    assert c.loc["cape", "d_share"] > 0 > c.loc["suez", "d_share"]
    assert len(d.links) == 5 and (d.links["d_teu"].abs().diff().dropna() <= 1e-6).all()
    assert {"country", "teu_a", "teu_b", "d_teu"} <= set(d.countries.columns)
    assert d.totals["free_flow_days"]["d"] > 0
    json.dumps(d.to_dict())
    png = plot_diff(d, tmp_path / "diff.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_diff_chart_shows_the_land_corridors_and_link_ids(baseline, strict):
    import matplotlib.pyplot as plt

    d = diff(baseline, strict, top=6)
    fig = diff_figure(d)
    try:
        renderer = fig.canvas.get_renderer()
        fig.canvas.draw()
        panels = {ax.get_title().split(" (")[0]: ax for ax in fig.axes}
        land = panels["land corridors"]  # not drawn next to Suez's ~91%, where they would vanish
        assert [t.get_text() for t in land.get_xticklabels()] == ["northern", "middle", "southern"]
        assert max(b.get_height() for b in land.patches) > 0.5 * land.get_ylim()[1]
        links = panels["links whose load changes most"]
        labels = [t.get_text() for t in links.get_yticklabels()]
        assert all(any(lab.endswith(f"({i})") or lab == i for lab in labels) for i in d.links["link_id"])
        box = fig.bbox
        for text in (links.xaxis.label, *links.get_yticklabels()):
            e = text.get_window_extent(renderer)
            assert box.x0 <= e.x0 and e.x1 <= box.x1 and box.y0 <= e.y0 and e.y1 <= box.y1, text.get_text()
    finally:
        plt.close(fig)


def test_result_files_and_no_overwrite(baseline, tmp_path):
    paths = baseline.write(tmp_path / "out")
    assert {p.name for p in paths} >= {"summary.json", "corridors.csv", "links.parquet"}
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["scenario"] == "baseline-2024" and len(s["corridors"]) == 5
    assert np.isclose(sum(c["share"] for c in s["corridors"]), 1.0)
    with pytest.raises(corridor.CorridorError, match="--force"):
        baseline.write(tmp_path / "out")
    baseline.write(tmp_path / "out", overwrite=True)


# ------------------------------------------------------------------ CLI


def cli(*args, home: Path | None = None):
    env = {"CORRIDOR_HOME": str(home)} if home else None
    return runner.invoke(app, [str(a) for a in args], env=env)


def test_cli_list_show_schema():
    r = cli("scenario", "list", "--json")
    assert r.exit_code == 0 and "titr-2030" in {s["name"] for s in json.loads(r.stdout)}
    r = cli("scenario", "show", "peace-dividend", "--json")
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert any("kars-gyumri" in c for c in d["changes"])
    r = cli("scenario", "schema")
    assert r.exit_code == 0 and json.loads(r.stdout)["title"] == "corridor scenario"


def test_cli_user_errors_exit_1_without_traceback(tmp_path):
    r = cli("scenario", "show", "sanctions-strikt")
    assert r.exit_code == 1 and "did you mean: sanctions-strict" in r.output
    assert "Traceback" not in r.output
    bad = write(tmp_path, "bad.yaml",
                "name: bad\npolicies:\n  borders:\n    - {node: dostyk, status: shut}\n")
    r = cli("scenario", "validate", bad, "--json")
    assert r.exit_code == 1
    d = json.loads(r.stdout)
    assert d["problems"][0]["column"] == "policies.borders[0].status"


def test_cli_run_records_and_refuses_to_overwrite(tmp_path):
    home, out = tmp_path / "home", tmp_path / "res"
    r = cli("scenario", "run", "sanctions-strict", "--out", out, "--method", METHOD, "--json", home=home)
    assert r.exit_code == 0, r.output
    rid = json.loads(r.stdout)["run_id"]
    assert (out / "links.csv").exists() and (home / "runs.duckdb").exists()
    r = cli("scenario", "run", "sanctions-strict", "--out", out, "--method", METHOD, home=home)
    assert r.exit_code == 1 and "--force" in r.output and "Traceback" not in r.output
    r = cli("runs", "list", "--json", home=home)
    assert [x["id"] for x in json.loads(r.stdout)] == [rid]
    r = cli("runs", "show", rid[:5], "--json", home=home)
    assert r.exit_code == 0 and json.loads(r.stdout)["scenario"] == "sanctions-strict"
    r = cli("runs", "show", "zzzz", home=home)
    assert r.exit_code == 1 and "no run" in r.output


def test_cli_diff_json_and_chart(tmp_path):
    chart = tmp_path / "d.png"
    r = cli("scenario", "diff", "world-2023", "red-sea-closed", "--method", METHOD, "--chart", chart,
            "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert {c["corridor"] for c in d["corridors"]} == set(corridor.FAMILIES) and chart.exists()
    r = cli("scenario", "diff", "world-2023", "red-sea-closed", "--method", METHOD, "--chart", chart)
    assert r.exit_code == 1 and "--force" in r.output


def test_a_caspian_scenario_simulates_the_volumes_it_assigned():
    """The crossing is simulated at the data's 2024 volumes (how it copes with today's cargo) and at
    the volumes the assignment sent across each line: with the sea 2 m lower, the shippers' choice
    (fewer boxes, at the slot price) waits far less at Aktau than today's cargo would."""
    res = run_scenario("caspian-low-2m", method="sue", caspian_replications=4)  # slot prices ration it
    ports = res.caspian["ports"]
    assert all(v["mean_wait_hours_assigned"] is not None for v in ports.values())
    assert ports["Aktau"]["mean_wait_hours_assigned"] < ports["Aktau"]["mean_wait_hours"]
