"""Sweeps and ranges (issue 16): uncertain inputs read from data, every judgement value ranged, a
sweep on a 2-worker LocalCluster equal to the same runs done serially, a killed sweep resumed to
exactly the runs of an uninterrupted one, failing draws recorded, ranges and tornado."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from corridor.analysis import sweep_questions
from corridor.analysis import uncertain_inputs as inputs_module
from corridor.analysis.sweep_questions import Compare, Flows
from corridor.analysis.sweeps import JOURNAL, SweepSpec, cell_scenario, lever_overlay, read_journal, sweep
from corridor.analysis.uncertain_inputs import (
    Draw,
    judgement_values,
    sample,
    uncertain_inputs,
    unranged_judgements,
)
from corridor.analysis.uncertainty import first_order_index, summarise, uncertainty
from corridor.caspian.config import load_data
from corridor.cli.app import app
from corridor.datafiles import bundled_data_dir, read_package_csv
from corridor.errors import CorridorError
from corridor.scenarios.apply import apply_scenario
from corridor.scenarios.validate import load_scenario
from corridor.store import RunStore

ROOT = Path(__file__).resolve().parents[1]
# a small sweep: 2 sea levels x 3 draws of a few inputs that reach the assignment
SMALL = dict(levers={"sea_level": (-29.35, -30.35)}, draws=3, seed=7,
             inputs=("aktau_depth_m", "kuryk_rail_ferries", "queue_j_link_teu", "dispersion_container",
                     "rail_kz_cost", "demand_scale"))


def _figures(res) -> pd.DataFrame:
    cols = res.figure_columns()
    return res.table.set_index("index")[cols].sort_index(axis=1)


# ------------------------------------------------------------------ inputs in data


def test_every_judgement_value_has_a_range():
    found = judgement_values()
    assert (found["file"] == "caspian_2024.json").sum() >= 60  # the Caspian data's judgement figures
    assert {"queue_params.csv", "world_years.csv", "trade_by_year.csv", "rates.csv"} <= set(found["file"])
    missing = unranged_judgements()
    assert missing.empty, "judgement values without a range:\n" + missing.to_string()


def test_a_judgement_value_without_a_range_is_caught(monkeypatch):
    data = load_data()
    data["ports"][0]["new_figure_m"] = {"value": 3.0, "source_id": "caspian_model_judgement",
                                        "note": "judgement"}
    monkeypatch.setattr(inputs_module, "load_data", lambda: data)
    missing = unranged_judgements()
    assert list(missing["key"]) == ["ports[Aktau].new_figure_m"]


def test_inputs_are_read_from_data():
    ins = {i.name: i for i in uncertain_inputs()}
    table = read_package_csv("uncertain_inputs.csv")
    params_keys = set(table.loc[table["file"] == "assignment_params.json", "input"])
    assert set(table["input"]) - params_keys <= set(ins)
    data = load_data()
    assert ins["aktau_depth_m"].mode == data["ports"][0]["depth_m"]["value"]
    q = read_package_csv("queue_params.csv").set_index(["queue", "unit"])
    j = ins["queue_j_link_teu"]
    assert (j.low, j.mode, j.high) == tuple(q.loc[("link", "TEU"), ["j_low", "j", "j_high"]].astype(float))
    rates = read_package_csv("rates.csv").set_index("rate_class")
    assert ins["rail_kz_speed"].mode == rates.loc["rail_kz", "speed_kmh"]
    # every range names sources the data know
    known = set(read_package_csv("sources.csv")["source_id"])
    for f in (ROOT / "scripts" / "curated").glob("sources*.csv"):
        known |= set(pd.read_csv(f)["source_id"])
    cited = {s for v in table["source_id"] for s in str(v).split(";")}
    assert cited <= known
    assert (bundled_data_dir() / "uncertain_inputs.csv").exists()


def test_draws_are_seeded_and_within_their_ranges():
    ins = uncertain_inputs("assignment")
    a, b = sample(ins, 16, seed=3), sample(ins, 16, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(sample(ins, 16, seed=4))
    for i in ins:
        assert a[i.name].between(i.low - 1e-12, i.high + 1e-12).all(), i.name
        if i.distribution == "integer":
            assert (a[i.name] == np.round(a[i.name])).all()
    s = sample(ins, 16, method="sobol", seed=3)
    assert s.shape == a.shape
    with pytest.raises(CorridorError):
        sample(ins, 4, method="grid")


def test_a_draw_reaches_the_crossing_and_the_parameters():
    ins = uncertain_inputs(names=["kuryk_rail_ferries", "aktau_closure_share", "dispersion_container"])
    d = Draw.of(ins, {"kuryk_rail_ferries": 6, "aktau_closure_share": 1.2, "dispersion_container": 1.5})
    cfg = d.caspian_config(None)
    assert {v.name: v.count for v in cfg.vessels}["asco_rail_ferry_kuryk"] == 6
    aktau = {p.name: p for p in cfg.ports}["Aktau"]
    assert aktau.closure_share[0] == pytest.approx(0.32 * 1.2)
    low = load_scenario("caspian-low")
    from corridor.scenarios.caspian import caspian_config

    with_lever = d.caspian_config(caspian_config(low.caspian))
    assert with_lever.level_m == pytest.approx(-30.35)
    assert {v.name: v.count for v in with_lever.vessels}["asco_rail_ferry_kuryk"] == 6
    from corridor.assignment.params import AssignmentParams

    p = AssignmentParams.load()
    drawn = d.assignment_params(p).dispersion_for("container")
    assert drawn == pytest.approx(1.5 * p.dispersion_for("container"))


def test_a_draw_reaches_the_risk_premiums_and_they_move_the_northern_share(net):
    """The transit-risk premiums are the largest fitted terms; their ranges (risk_premiums.csv) are
    drawn like any input, replace the level in the worlds that charge them, and a dearer entry into
    Russia/Belarus never raises the northern corridor's volume."""
    from corridor import assign, load_demand
    from corridor.world import World

    ins = uncertain_inputs(names=["premium_russia_belarus_transit", "premium_iran_transit"])
    assert all(i.low <= i.mode <= i.high and i.high > i.low for i in ins)
    w = World.make(year=2024)
    assert w.terms.entry_usd["BLR+RUS"] > 0
    cheap = Draw.of(ins, {"premium_russia_belarus_transit": 0.0, "premium_iran_transit": ins[1].mode})
    dear = Draw.of(ins, {"premium_russia_belarus_transit": 3000.0, "premium_iran_transit": ins[1].mode})
    assert "BLR+RUS" not in cheap.world(w).terms.entry_usd
    assert dear.world(w).terms.entry_usd["BLR+RUS"] == pytest.approx(3000.0)
    assert cheap.world(w).terms.entry_usd["IRN"] == pytest.approx(w.terms.entry_usd["IRN"])
    assert dear.world(World.make(year=2024, risk_premiums=False)).terms.entry_usd == {}  # off stays off
    demand = load_demand(year=2024)
    north = [assign(net, demand, world=d.world(w), rgap=1e-3).corridor_summary().set_index("corridor")
             .loc["northern", "teu"] for d in (cheap, dear)]
    assert north[0] > north[1] * 1.2


def test_a_run_charges_its_draws_premium_levels(net):
    """A sweep run's scenario (`applied_in`) carries the draw's premium levels into its world, which
    the assignment and the gateways read. Found by mypy: the draw's world was passed to `replace()`
    as a field the applied scenario does not have, so every run of a sweep failed."""
    ins = uncertain_inputs(names=["premium_russia_belarus_transit"])
    s = load_scenario("world-2024", network=net)
    dear = sweep_questions.applied_in(net, s, Draw.of(ins, {"premium_russia_belarus_transit": 3000.0}))
    free = sweep_questions.applied_in(net, s, Draw.of(ins, {"premium_russia_belarus_transit": 0.0}))
    assert dear.world.terms.entry_usd["BLR+RUS"] == pytest.approx(3000.0)
    assert free.world.terms.entry_usd.get("BLR+RUS", 0.0) == pytest.approx(0.0)
    plain = sweep_questions.applied_in(net, s, Draw.of([], {}))
    assert plain.world.terms == apply_scenario(s, network=net).world.terms  # no premium drawn: the data's


def test_levers_are_scenario_overlays(net):
    base = load_scenario("baseline-2024", network=net)
    cell = {"sea_level": -30.35, "red_sea": "closed", "sanctions": 500.0, "fleet": "container:2",
            "demand_growth": 1.1}
    s = cell_scenario(base, cell, net.countries)
    assert s.caspian.level_m == -30.35 and s.caspian.vessels_add == {"container": 2}
    assert set(s.policies.avoid_passages) == {"suez", "babalmandab"}
    assert s.terms.entry_usd == {"RUS": 500.0, "BLR": 500.0}
    assert s.demand.growth[0].factor == 1.1
    assert lever_overlay("sanctions", "avoid")["policies"]["avoid"] == ["RUS", "BLR"]
    with pytest.raises(CorridorError):
        lever_overlay("tariff", 1)
    with pytest.raises(CorridorError):
        SweepSpec(levers={"sea_level": ()})


# ------------------------------------------------------------------ sweeps


@pytest.fixture(scope="module")
def serial_small(net, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "sweep"
    return sweep(SweepSpec(**SMALL), out, network=net, scheduler="serial", record=False)


def test_sweep_on_a_local_cluster_equals_serial_runs(net, dask_client, serial_small, tmp_path):
    res = sweep(SweepSpec(**SMALL), tmp_path / "dask", network=net, client=dask_client,
                home=tmp_path / "home")
    assert len(res.table) == 6 and res.failed.empty and serial_small.failed.empty
    assert res.execution["workers"] == 2 and res.table["host"].nunique() == 2  # both workers ran
    pd.testing.assert_frame_equal(_figures(res), _figures(serial_small), rtol=1e-9)
    # the levers and draws are in every row, the draws repeat in every cell (common random numbers)
    t = res.table
    assert set(t["lever.sea_level"]) == {-29.35, -30.35}
    assert (t.loc[t["draw"] == 1, "in.aktau_depth_m"].nunique()) == 1
    # the sea level moves the middle corridor (the lever reached the run)
    assert not np.allclose(t.loc[t["lever.sea_level"] == -29.35, "teu.middle"].to_numpy(),
                           t.loc[t["lever.sea_level"] == -30.35, "teu.middle"].to_numpy())
    # Parquet: one row per run with its inputs; the run history: one run each
    pq = pd.read_parquet(tmp_path / "dask" / "results.parquet")
    assert len(pq) == 6 and "in.queue_j_link_teu" in pq and "lever.sea_level" in pq
    with RunStore(home=tmp_path / "home") as store:
        runs = store.list(limit=100)
    assert len(runs) == 6 and runs["scenario"].str.startswith("sweep:").all()


def test_a_killed_sweep_resumes_to_exactly_the_uninterrupted_runs(net, dask_client, serial_small, tmp_path):
    out = tmp_path / "killed"
    script = textwrap.dedent(f"""
        from corridor.analysis.sweeps import SweepSpec, sweep
        spec = SweepSpec(**{SMALL!r})
        sweep(spec, {str(out)!r}, scheduler="serial", home={str(tmp_path / 'home')!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    journal = out / JOURNAL
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_bytes().count(b"\n") >= 2:
            break
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended before it was killed: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # kill -9, mid-way
    proc.wait()
    with open(journal, "ab") as f:  # and as if it died while writing a line
        f.write(b'{"index": 5, "status": "ok", "teu.mid')
    before = read_journal(out)
    assert 2 <= len(before) < 6
    kept = {i: r["seconds"] for i, r in before.items()}
    res = sweep(SweepSpec(**SMALL), out, network=net, client=dask_client, resume=True,
                home=tmp_path / "home")
    assert res.ran == 6 - len(before)  # finished runs are not run again
    assert len(res.table) == 6 and res.failed.empty
    pd.testing.assert_frame_equal(_figures(res), _figures(serial_small), rtol=1e-9)
    after = read_journal(out)
    assert {i: after[i]["seconds"] for i in kept} == kept  # nor rewritten
    with RunStore(home=tmp_path / "home") as store:
        assert len(store.list(limit=100)) == 6  # every run recorded once
    # resuming a finished sweep runs nothing; another spec in the same folder is refused
    again = sweep(SweepSpec(**SMALL), out, network=net, scheduler="serial", resume=True, record=False)
    assert again.ran == 0 and len(again.table) == 6
    with pytest.raises(CorridorError, match="another sweep"):
        sweep(SweepSpec(**{**SMALL, "seed": 8}), out, network=net, scheduler="serial", resume=True)
    with pytest.raises(CorridorError, match="already holds a sweep"):
        sweep(SweepSpec(**SMALL), out, network=net, scheduler="serial")


def test_a_failing_draw_is_recorded_and_the_others_go_on(net, monkeypatch, tmp_path):
    real = sweep_questions.assign_draw

    def flaky(net_, s, draw, rs, params):
        if draw.params and list(draw.params.values())[0] > 1.0:
            raise RuntimeError("this draw fails")
        return real(net_, s, draw, rs, params)

    monkeypatch.setattr(sweep_questions, "assign_draw", flaky)
    spec = SweepSpec(draws=4, seed=1, inputs=("dispersion_container",))
    res = sweep(spec, tmp_path / "flaky", network=net, scheduler="serial", home=tmp_path / "home")
    assert len(res.table) == 4 and 0 < len(res.failed) < 4
    assert res.failed["error"].str.contains("RuntimeError: this draw fails").all()
    assert res.ok["teu.middle"].notna().all()
    with RunStore(home=tmp_path / "home") as store:
        assert len(store.list(limit=10)) == 4


# ------------------------------------------------------------------ ranges


def test_ranges_and_tornado(serial_small):
    r = summarise(serial_small)
    row = r.table.loc["teu.middle"]
    assert row["p10"] <= row["p50"] <= row["p90"] and row["n"] == 6
    t = r.tornado_for("teu.middle")
    assert len(t) and t["rho"].abs().between(0, 1).all()
    assert set(t["input"]) <= set(SMALL["inputs"])
    d = r.to_dict()
    assert d["runs"] == 6 and any(x["figure"] == "teu.middle" for x in d["ranges"])


def test_first_order_index_finds_the_input_that_matters():
    rng = np.random.default_rng(0)
    x1, x2 = rng.random(400), rng.random(400)
    y = 10 * x1 + 0.1 * x2
    assert first_order_index(x1, y) > 0.9 > 0.05 > first_order_index(x2, y)


def test_compare_with_ranges(net, dask_client):
    r = uncertainty(Compare("Xian", "Duisburg"), 4, seed=2, network=net, client=dask_client)
    assert r.runs == 4 and r.failed == 0
    assert r.table.loc["days.middle", "p10"] <= r.table.loc["days.middle", "p90"]
    assert "dispersion_container" not in {i.name for i in r.inputs}  # does not reach a route search


def test_cli_sweep_inputs_and_show(serial_small):
    runner = CliRunner()
    res = runner.invoke(app, ["sweep", "inputs", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert any(r["input"] == "aktau_depth_m" and r["low"] == 4.72 for r in rows)
    res = runner.invoke(app, ["sweep", "show", str(serial_small.folder), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["runs"] == 6
    res = runner.invoke(app, ["sweep", "run", "--out", str(serial_small.folder), "--scheduler", "serial"])
    assert res.exit_code == 1 and "already holds a sweep" in res.output


def test_flows_question_defaults():
    q = Flows()
    assert q.scenarios == ("baseline-2024",) and "demand" in q.files and "appraisal" not in q.files


def test_commands_answer_with_ranges():
    from corridor.cli.sweep import options_scenario

    d = options_scenario(2030, 11, "RUS,BLR", None, "suez")
    assert d["year"] == 2030 and d["policies"]["avoid"] == ["RUS", "BLR"]
    assert d["policies"]["avoid_passages"] == ["suez"]
    res = CliRunner().invoke(app, ["compare", "Xian", "Duisburg", "--uncertainty", "2", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["runs"] == 2 and d["question"]["kind"] == "compare"
    row = next(r for r in d["ranges"] if r["figure"] == "days.middle")
    assert row["p10"] <= row["p50"] <= row["p90"]
    res = CliRunner().invoke(app, ["assign", "--method", "ue", "--uncertainty", "2"])
    assert res.exit_code == 1 and "calibrated sue" in res.output


def test_ranges_per_cell_of_the_levers(serial_small):
    from corridor.analysis.uncertainty import cell_ranges

    cells = cell_ranges(serial_small.table, "teu.middle")
    assert list(cells["lever.sea_level"]) == [-29.35, -30.35] and (cells["n"] == 3).all()
    assert (cells["p10"] <= cells["p90"]).all()


def test_options_on_a_base_scenario_keep_the_base_and_add_to_it():
    from corridor.analysis.sweeps import scenario_of
    from corridor.network.io import load_network

    s = scenario_of({"name": "options", "base": "world-2025", "policies": {"avoid": ["IRN"]}}, load_network())
    assert s.name == "options" and s.year == 2025 and s.demand.year == 2025
    assert {"suez", "babalmandab"} <= set(s.policies.avoid_passages) and "IRN" in s.policies.avoid
    with pytest.raises(CorridorError, match="unknown scenario"):
        scenario_of({"name": "options", "base": "world-1850"}, load_network())
