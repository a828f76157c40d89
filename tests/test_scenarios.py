"""Scenario files: validation (file, line, YAML path), inheritance, copy-on-write, effects, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import corridor
from corridor.cli import app
from corridor.scenarios import (
    apply_scenario,
    diff,
    list_scenarios,
    load_scenario,
    run_scenario,
    scenario_schema,
)

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
    - {from: centralasia, to: eu, factor: 1.1, source: [no_such_source]}
""")
    with pytest.raises(corridor.ValidationError) as e:
        load_scenario(p)
    probs = {p.column: p.message for p in e.value.problems}
    assert "RUS" in probs["policies.avoid[0]"]
    assert "EAEU" in probs["policies.avoid[1]"]
    assert "dostyk" in probs["policies.borders[0].node"]
    assert "central-asia" in probs["demand.growth[0].from[0]"]
    assert "no_such_source" in probs["demand.growth[0].source"]


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
    assert [Path(c).name for c in s.chain] == ["baseline-2024.yaml", "sanctions-strict.yaml", "child.yaml"]
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
        for col in ("length_source", "cost_source", "wait_source", "capacity_source", "source_id"):
            for cell in a.network.links[col]:
                ids = [s for s in str(cell).split(";") if s]
                assert all(s in known or s.startswith("derived") for s in ids), (name, cell)
        for b in a.policy.borders:
            assert all(s in known for s in b.source_id.split(";") if s)


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
    ferry = a.network.links.set_index("link_id").loc["ferry-aktau-alat"]
    base_ferry = net.links.set_index("link_id").loc["ferry-aktau-alat"]
    assert ferry["capacity_teu_yr"] > base_ferry["capacity_teu_yr"]
    assert a.demand.total()["teu"] > corridor.load_demand(2024).total()["teu"]


def test_peace_dividend_opens_kars_gyumri_and_tripp():
    a = apply_scenario("peace-dividend")
    ok = pd.Series(a.policy.link_mask(a.network), index=a.network.links["link_id"])
    assert ok["kars-gyumri"] and ok["agbend-meghri"] and ok["meghri-ordubad"]
    b = apply_scenario("baseline-2030")
    ok_b = pd.Series(b.policy.link_mask(b.network), index=b.network.links["link_id"])
    assert not ok_b["kars-gyumri"] and not ok_b["agbend-meghri"]


def test_caspian_low_cuts_ferry_capacity():
    one, two = apply_scenario("caspian-low"), apply_scenario("caspian-low-2m")
    for lid in ("ferry-aktau-alat", "ferry-kuryk-alat"):
        assert 0 < two.caspian_capacity[lid] < one.caspian_capacity[lid] < 1
    assert two.caspian.sea_level_m == -2.0


def test_new_link_and_border_restriction(tmp_path, net):
    p = write(tmp_path, "new.yaml", """\
name: new-link
policies:
  borders:
    - node: dostyk
      status: restricted
      extra_hours: 48
      extra_usd: 100
      source: [daryo_dostyk_2024]
    - countries: [KAZ, UZB]
      status: closed
infrastructure:
  nodes:
    - {id: test_yard, name: Test Yard, kind: rail_terminal, country: KAZ, lon: 70.0, lat: 45.0,
       source: [corridor_regions]}
  links:
    - {id: test-link, from: almaty, to: test_yard, mode: rail, gauge: 1520, rate_class: rail_kz,
       length_km: 500, status: open, capacity_teu_yr: 1000, source: [corridor_regions]}
""")
    a = apply_scenario(load_scenario(p))
    assert "test-link" in set(a.network.links["link_id"]) and "test-link" not in set(net.links["link_id"])
    d = a.network.nodes.set_index("node_id").loc["dostyk"]
    base = net.nodes.set_index("node_id").loc["dostyk"]
    assert d["dwell_hours"] == pytest.approx(base["dwell_hours"] + 48)
    assert d["dwell_usd"] == pytest.approx(base["dwell_usd"] + 100)
    lk = a.network.links
    kz_uz = ((lk["from_country"] == "KAZ") & (lk["to_country"] == "UZB")) | (
        (lk["from_country"] == "UZB") & (lk["to_country"] == "KAZ"))
    assert kz_uz.any() and not a.policy.link_mask(a.network)[kz_uz.to_numpy()].any()


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


def test_red_sea_closed_moves_sea_traffic_to_the_cape_with_longer_days(baseline, red_sea):
    a = baseline.corridors.set_index("corridor")
    b = red_sea.corridors.set_index("corridor")
    assert a.loc["suez", "teu"] > 0
    assert b.loc["suez", "teu"] == pytest.approx(0.0, abs=1e-6)
    assert b.loc["cape", "teu"] > a.loc["cape", "teu"] + 0.5 * a.loc["suez", "teu"]
    assert red_sea.totals()["free_flow_days"] > baseline.totals()["free_flow_days"] + 5


def test_diff_reports_and_draws(baseline, red_sea, tmp_path):
    d = diff(baseline, red_sea, top=5)
    c = d.corridors.set_index("corridor")
    assert c.loc["cape", "d_share"] > 0 > c.loc["suez", "d_share"]
    assert len(d.links) == 5 and (d.links["d_teu"].abs().diff().dropna() <= 1e-6).all()
    assert {"country", "teu_a", "teu_b", "d_teu"} <= set(d.countries.columns)
    assert d.totals["free_flow_days"]["d"] > 0
    json.dumps(d.to_dict())
    png = d.plot(tmp_path / "diff.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_result_files_and_no_overwrite(baseline, tmp_path):
    paths = baseline.write(tmp_path / "out")
    assert {p.name for p in paths} >= {"summary.json", "corridors.csv", "links.parquet"}
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["scenario"] == "baseline-2024" and len(s["corridors"]) == 5
    assert np.isclose(sum(c["share"] for c in s["corridors"]), 1.0)
    with pytest.raises(corridor.CorridorError, match="--force"):
        baseline.write(tmp_path / "out")
    baseline.write(tmp_path / "out", force=True)


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
    r = cli("scenario", "diff", "baseline-2024", "red-sea-closed", "--method", METHOD, "--chart", chart,
            "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert {c["corridor"] for c in d["corridors"]} == set(corridor.FAMILIES) and chart.exists()
    r = cli("scenario", "diff", "baseline-2024", "red-sea-closed", "--method", METHOD, "--chart", chart)
    assert r.exit_code == 1 and "--force" in r.output
