"""The CLI: JSON on stdout, clear errors, exit codes, no tracebacks for user errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

import corridor
from corridor.cli.app import app

from .conftest import MINI

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_compare_json_mini():
    r = run("compare", "Xian", "Duisburg", "--network", MINI, "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert [c["corridor"] for c in d["corridors"]] == list(corridor.FAMILIES)
    for c in d["corridors"]:
        if c["feasible"]:
            for key in ("days", "usd_per_teu", "co2_kg_per_teu", "km", "borders",
                        "transshipments", "countries", "legs"):
                assert key in c
            assert {"from", "to", "mode", "km", "hours", "usd"} <= set(c["legs"][0])


def test_unknown_place_suggests_and_fails():
    r = run("route", "Duisbrug", "Xian", "--network", MINI)
    assert r.exit_code == 1
    assert "did you mean" in r.output and "Duisburg" in r.output
    assert "Traceback" not in r.output
    r = run("route", "Duisbrug", "Xian", "--network", MINI, "--json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["suggestions"][0] == "Duisburg"


def test_bad_options_are_user_errors():
    for args in (["--k", "0"], ["--avoid", "XX1"], ["--avoid-mode", "zeppelin"]):
        r = run("route", "Xian", "Duisburg", "--network", MINI, *args)
        assert r.exit_code != 0, args
        assert "Traceback" not in r.output


def test_route_avoid_and_via(tmp_path):
    r = run("route", "Xian", "Istanbul", "--network", MINI, "--avoid", "RUS,BLR,IRN", "--json",
            "--map", tmp_path / "m.png")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    for rt in d["routes"]:
        assert not {"RUS", "BLR", "IRN"} & set(rt["countries"])
    assert (tmp_path / "m.png").stat().st_size > 10_000
    r = run("route", "Xian", "Duisburg", "--network", MINI, "--via", "Tehran", "--json")
    assert r.exit_code == 0, r.output
    assert "tehran" in json.loads(r.stdout)["routes"][0]["nodes"]


def test_places_and_sources():
    r = run("places", "ista", "--network", MINI, "--json")
    assert r.exit_code == 0
    assert [p["name"] for p in json.loads(r.stdout)] == ["Istanbul"]
    r = run("sources", "--network", MINI, "--json")
    assert json.loads(r.stdout)[0]["source_id"] == "test"


def test_validate_lists_problems(mini_copy):
    r = run("network", "validate", mini_copy)
    assert r.exit_code == 0 and "no problems" in r.output
    p = mini_copy / "link.csv"
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    df.loc[0, "capacity_teu_yr"] = "-1"
    df.loc[0, "capacity_source"] = "test"
    df.loc[1, "from_node_id"] = "nowhere"
    df.loc[2, "speed_kmh"] = "fast"
    df.loc[2, "speed_source"] = "test"
    df.to_csv(p, index=False)
    r = run("network", "validate", mini_copy)
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    for frag in ("row 2, column 'capacity_teu_yr'", "row 3, column 'from_node_id'",
                 "row 4, column 'speed_kmh'"):
        assert frag in r.output
    r = run("network", "validate", mini_copy, "--json")
    assert r.exit_code == 1
    assert len(json.loads(r.stdout)["problems"]) == 3


def test_export_roundtrip_and_no_overwrite(tmp_path):
    out = tmp_path / "exp"
    r = run("network", "export", out, "--format", "gmns", "--network", MINI)
    assert r.exit_code == 0, r.output
    again = corridor.read_network(out)
    a = corridor.compare(corridor.read_network(MINI), "Xian", "Duisburg").to_frame()
    b = corridor.compare(again, "Xian", "Duisburg").to_frame()
    pd.testing.assert_frame_equal(a, b)
    before = (out / "node.csv").read_text()
    r = run("network", "export", out, "--format", "gmns", "--network", MINI)
    assert r.exit_code == 1 and "refusing to overwrite" in r.output
    assert (out / "node.csv").read_text() == before
    r = run("network", "export", out, "--format", "geojson", "--network", MINI)
    assert r.exit_code == 0
    fc = json.loads((out / "network.geojson").read_text())
    kinds = {f["properties"]["feature"] for f in fc["features"]}
    assert kinds == {"node", "link"}


def test_usage_errors_are_json_with_json():
    import subprocess
    import sys

    exe = [sys.executable, "-c", "from corridor.cli import main; main()"]
    p = subprocess.run(exe + ["route", "Xian", "Duisburg", "--k", "abc", "--json"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert "--k" in json.loads(p.stdout)["error"]
    p = subprocess.run(exe + ["places", "--kind", "bogus"], capture_output=True, text=True)
    assert p.returncode == 2 and "Traceback" not in p.stderr


def test_map_is_not_overwritten_without_force(tmp_path):
    target = tmp_path / "keep.png"
    target.write_bytes(b"mine")
    r = run("compare", "Xian", "Duisburg", "--network", MINI, "--map", target)
    assert r.exit_code == 1 and "--force" in r.output
    assert target.read_bytes() == b"mine"
    r = run("compare", "Xian", "Duisburg", "--network", MINI, "--map", target, "--force")
    assert r.exit_code == 0 and target.read_bytes() != b"mine"


def test_caspian_simulate_json_chart_and_errors(tmp_path):
    r = run("caspian", "simulate", "--replications", "20", "--json")
    assert r.exit_code == 0, r.output
    base = json.loads(r.stdout)
    for port in ("Aktau", "Kuryk", "Turkmenbashi"):
        p = base["ports"][port]
        assert p["p90_wait_hours"] >= p["mean_wait_hours"] >= 0 and p["throughput"] > 0
    assert set(base["vessel_types"]) == {"rail_ferry", "roro", "container"}
    more = json.loads(run("caspian", "simulate", "--replications", "20", "--vessels-add", "rail_ferry=4",
                          "--json").stdout)
    assert more["ports"]["Kuryk"]["mean_wait_hours"] <= base["ports"]["Kuryk"]["mean_wait_hours"]
    r = run("caspian", "simulate", "--replications", "5", "--chart", tmp_path / "c.png")
    assert r.exit_code == 0 and (tmp_path / "c.png").stat().st_size > 10_000
    for bad in (["--vessels-add", "zeppelin=1"], ["--vessels-add", "rail_ferry=many"]):
        r = run("caspian", "simulate", "--replications", "2", *bad)
        assert r.exit_code == 1 and "Traceback" not in r.output, bad


def test_reliability_command():
    r = run("reliability", "Xian", "Duisburg", "--samples", "2000", "--seed", "3", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert [c["corridor"] for c in d["corridors"]] == [*corridor.FAMILIES, "best"]
    for c in d["corridors"]:
        assert c["p50_days"] <= c["p90_days"] <= c["p95_days"]
        assert 0 <= c["on_time_probability"] <= 1
    again = json.loads(run("reliability", "Xian", "Duisburg", "--samples", "2000", "--seed", "3",
                           "--json").stdout)
    assert again == d
    r = run("reliability", "Xian", "Duisburg", "--promise", "-1")
    assert r.exit_code == 1 and "promise" in r.output


def test_caspian_dredging_offsets_a_falling_sea():
    low = json.loads(run("caspian", "simulate", "--replications", "10", "--sea-level-change", "-1",
                         "--json").stdout)
    dredged = json.loads(run("caspian", "simulate", "--replications", "10", "--sea-level-change", "-1",
                             "--deepen", "Kuryk=1,Alat=1", "--json").stdout)
    cap = "asco_rail_ferry_kuryk"
    assert dredged["effective_capacity"][cap] > low["effective_capacity"][cap]
    assert dredged["ports"]["Kuryk"]["mean_wait_hours"] < low["ports"]["Kuryk"]["mean_wait_hours"]
    r = run("caspian", "simulate", "--deepen", "Atlantis=1")
    assert r.exit_code == 1 and "unknown port" in r.output


def test_assign_writes_results_and_keeps_what_exists(tmp_path):
    out_dir = tmp_path / "flows"
    r = run("assign", "--out", out_dir, "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["method"] == "sue" and d["converged"]
    assert {c["corridor"] for c in d["corridors"]} == set(corridor.FAMILIES)
    assert (out_dir / "link_flows.geojson").exists() and (out_dir / "corridors.csv").exists()
    before = (out_dir / "summary.json").read_text()
    r = run("assign", "--out", out_dir, "--method", "aon")
    assert r.exit_code == 1 and "refusing to overwrite" in r.output and "Traceback" not in r.output
    assert (out_dir / "summary.json").read_text() == before
    r = run("assign", "--out", out_dir, "--method", "aon", "--force")
    assert r.exit_code == 0, r.output
    assert "aon" in r.output and "northern" in r.output


def test_assign_is_in_the_latest_recorded_world_unless_told_otherwise():
    from corridor.scenarios.recorded import recorded_years

    latest = recorded_years()[-1]
    r = run("assign", "--method", "aon", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["world"] == f"world-{latest}"
    # the recorded world avoids the Red Sea; the network alone sends most boxes through Suez
    assert d["corridors_teu"]["suez"] < d["corridors_teu"]["cape"]
    plain = json.loads(run("assign", "--method", "aon", "--world", "none", "--json").stdout)
    assert plain["world"] is None and plain["corridors_teu"]["suez"] > plain["corridors_teu"]["cape"]
    early = json.loads(run("assign", "--method", "aon", "--world", "2019", "--json").stdout)
    assert early["world"] == "world-2019"
    bad = ((["--world", "1999"], "recorded year"), (["--world", "2022", "--year", "2030"], "give one"))
    for argv, says in bad:
        r = run("assign", "--method", "aon", *argv)
        assert r.exit_code == 1 and says in r.output and "Traceback" not in r.output


def test_assign_rejects_bad_demand_naming_row_and_value(tmp_path):
    f = tmp_path / "od.csv"
    f.write_text("origin,destination,commodity,teu_per_year,t_per_year\n"
                 "xian,duisbrug,container,100,1000\nxian,hamburg,container,-5,10\n")
    r = run("assign", "--demand", f, "--json")
    assert r.exit_code == 1
    d = json.loads(r.stdout)
    rows = {(p["row"], p["column"]) for p in d["problems"]}
    assert (2, "destination") in rows and (3, "teu_per_year") in rows


def test_calibrate_report_side_by_side():
    r = run("calibrate", "--report", "--years", "2024", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    t = {row["target_id"]: row for row in d["targets"]}
    assert {"northern_transit", "titr_cargo", "titr_containers"} <= set(t)
    assert all(row["year"] == 2024 and row["modelled"] > 0 for row in d["targets"])
    assert d["fitted"] is None
    r = run("calibrate", "--report", "--years", "1999")
    assert r.exit_code == 1 and "no world for 1999" in r.output


def test_error_text_is_printed_as_is_not_as_markup(tmp_path):
    # a place name with Rich markup characters must not be swallowed or crash the printer
    r = run("route", "[/b]Xian", "Duisburg", "--network", MINI)
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "[/b]Xian" in r.output


def test_assign_reports_unserved_demand_when_asked():
    r = run("assign", "--method", "ue", "--avoid", "KAZ", "--json")
    assert r.exit_code == 1 and "no route" in json.loads(r.stdout)["error"]
    r = run("assign", "--method", "ue", "--avoid", "KAZ", "--unserved-report", "--json")
    assert r.exit_code == 0, r.output
    lost = json.loads(r.stdout)["unserved"]
    assert lost and all(x["origin"] in ("almaty", "astana", "tashkent") or x["destination"] in
                        ("almaty", "astana", "tashkent") for x in lost)


def test_month_reaches_every_question():
    for cmd in (["compare", "Xian", "Duisburg"], ["route", "Xian", "Duisburg"],
                ["reliability", "Xian", "Duisburg", "--samples", "500"]):
        r = run(*cmd, "--network", MINI, "--month", "1", "--json")
        assert r.exit_code == 0, (cmd, r.output)
        r = run(*cmd, "--network", MINI, "--month", "13")
        assert r.exit_code == 2 and "--month" in r.output, cmd


def test_caspian_sea_level_is_on_the_baltic_datum():
    """--sea-level is absolute (m on the Baltic datum); --sea-level-change keeps the relative meaning."""
    a = json.loads(run("caspian", "simulate", "--replications", "2", "--days", "30", "--sea-level", "-30.35",
                       "--json").stdout)
    b = json.loads(run("caspian", "simulate", "--replications", "2", "--days", "30", "--sea-level-change",
                       "-1", "--json").stdout)
    assert a["level_m"] == b["level_m"] == -30.35 and a["sea_level_m"] == b["sea_level_m"] == -1.0
    assert a["effective_capacity"] == b["effective_capacity"]
    r = run("caspian", "simulate", "--sea-level", "-1")
    assert r.exit_code == 1 and "Baltic datum" in r.output and "-40 to -20" in r.output


def test_caspian_drafts():
    low = json.loads(run("caspian", "drafts", "--sea-level", "-31", "--json").stdout)
    now = json.loads(run("caspian", "drafts", "--json").stdout)
    assert low["level_m"] == -31 and now["level_m"] == -29.35
    loss = {(r["vessel_class"], r["port"]): r["capacity_loss"] for r in low["rows"]}
    assert all(loss[k] >= r["capacity_loss"] for r in now["rows"] for k in [(r["vessel_class"], r["port"])])
    assert any(r["limited_here"] for r in low["rows"])
    r = run("caspian", "drafts", "--sea-level", "-31")
    assert r.exit_code == 0 and "capacity lost per vessel class and port" in r.output


def test_out_and_format_on_every_result_command(tmp_path):
    for name, cmd in (("c", ["compare", "Xian", "Duisburg", "--network", MINI]),
                      ("r", ["route", "Xian", "Duisburg", "--network", MINI, "--k", "2"]),
                      ("rel", ["reliability", "Xian", "Duisburg", "--network", MINI, "--samples", "500"]),
                      ("casp", ["caspian", "simulate", "--replications", "2", "--days", "30"])):
        r = run(*cmd, "--out", tmp_path / name, "--format", "csv", "--json")
        assert r.exit_code == 0, (name, r.output)
        written = json.loads(r.stdout)["written"]
        assert written[-1].endswith("manifest.json") and all(w.endswith((".csv", ".json")) for w in written)
        r = run(*cmd, "--out", tmp_path / name)
        assert r.exit_code == 1 and "--force" in r.output, name


def test_assign_solves_a_tntp_network_and_compares_with_the_best_known(tmp_path):
    sioux = Path(__file__).parent / "data" / "tntp" / "SiouxFalls"
    r = run("assign", "--tntp", sioux, "--rgap", "1e-5", "--out", tmp_path / "sf", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["converged"] and d["rgap"] <= 1e-5 and d["algorithm"] == "gp"
    # the objective against the published best-known flows' (nobody here wrote those)
    assert abs(d["objective_rel_diff"]) < 1e-4 and d["links_off_1pct"] <= 2
    flows = pd.read_csv(tmp_path / "sf" / "link_flows.csv")
    assert len(flows) == d["links"] == 76 and {"flow", "best_known_flow"} <= set(flows.columns)
    r = run("assign", "--tntp", sioux, "--algorithm", "bfw", "--rgap", "1e-3")
    assert r.exit_code == 0 and "bfw" in r.output and "best-known objective" in r.output
    for argv, says in ((["--tntp", sioux, "--avoid", "RUS"], "--avoid belongs to the freight"),
                       (["--tntp", tmp_path / "Nowhere"], "no Nowhere_net.tntp"),
                       (["--tntp", sioux, "--algorithm", "magic"], "unknown algorithm"),
                       (["--algorithm", "gp"], "go with --tntp")):
        r = run("assign", *argv)
        assert r.exit_code == 1 and says in r.output and "Traceback" not in r.output, r.output
