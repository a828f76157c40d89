"""Calibration over the worlds by year: targets are checked, the fit moves towards them, the
stored fit is what the data ships, and no corridor constant is left to carry a corridor."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import corridor
from corridor.analysis.backcast import Behaviour, backcast, prepare_years
from corridor.analysis.calibrate import calibrate, load_targets
from corridor.assignment.params import AssignmentParams
from corridor.datafiles import bundled_data_dir

HEADER = "target_id,count_id,years,measure,selector,scale,unit,weight,description\n"


def test_bundled_targets_are_sourced_and_cover_the_years():
    tg = load_targets()
    by = tg.groupby("target_id")["year"].apply(set)
    assert {2021, 2022, 2023, 2024} <= by["northern_transit"] and {2021, 2022, 2023, 2024} <= by["titr_cargo"]
    with open(bundled_data_dir() / "sources.csv", encoding="utf-8") as fh:
        known = {r["source_id"] for r in csv.DictReader(fh)}
    for ids in tg["source_id"]:
        assert set(ids.split(";")) <= known, ids


def test_bad_targets_list_every_problem_with_its_line(tmp_path):
    f = tmp_path / "targets.csv"
    f.write_text(HEADER
                 + "a,titr_cargo,,family_km,middle,1,t,1,x\n"
                 + "b,no_such_count,2024,family_t,middle,-1,t,1,x\n"
                 + "b,titr_cargo,20x4,family_t,middle,1,t,zero,x\n")
    with pytest.raises(corridor.ValidationError) as exc:
        load_targets(f)
    found = {(p.row, p.column) for p in exc.value.problems}
    assert found == {(2, "measure"), (3, "count_id"), (3, "scale"), (4, "target_id"), (4, "years"),
                     (4, "weight")}
    f.write_text(HEADER)
    with pytest.raises(corridor.ValidationError, match="no targets"):
        load_targets(f)


def test_no_corridor_constant_carries_a_corridor():
    """Issue 12: the behaviour is named terms (dispersion, premiums, pool), not constants."""
    p = AssignmentParams.load()
    assert not any(abs(v) > 0 for v in p.corridor_constants_usd.values())
    assert p.fit["behaviour"]["premiums_usd"]["russia_belarus_transit"] > 0


@pytest.mark.slow
def test_stored_parameters_are_the_fit_they_report(net):
    """The parameters and premiums shipped with the data reproduce the backcast recorded at fit time
    (two years: each is one assignment in its own world)."""
    p = AssignmentParams.load()
    recorded = {(r["year"], r["target_id"]): r["modelled"] for r in p.fit["backcast"]}
    years = prepare_years(net, [2021, 2024])
    got = backcast(years).table
    for r in got.itertuples():
        assert r.modelled == pytest.approx(recorded[(r.year, r.target_id)], rel=0.02, abs=50), r


@pytest.mark.slow
def test_fitting_moves_towards_the_targets(net):
    start = Behaviour({"bulk": 8.0, "container": 8.0, "general": 8.0},
                      {"russia_belarus_transit": 100.0, "iran_transit": 100.0, "red_sea_war_risk": 125.0})
    cal = calibrate(net, years=[2021, 2024], start=start, max_evaluations=10)
    t = cal.table
    before = np.sqrt(np.mean(np.log(t["before"].clip(lower=1) / t["published"]) ** 2))
    after = np.sqrt(np.mean(np.log(t["after"].clip(lower=1) / t["published"]) ** 2))
    assert after < before
    assert cal.params.corridor_constants_usd == {}
    json.dumps(cal.to_dict(), default=float)  # serialisable
