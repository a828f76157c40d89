"""Calibration: targets are checked, the fit moves towards them, and the stored fit is what the data ships."""

from __future__ import annotations

import json

import numpy as np
import pytest

import corridor
from corridor.analysis.calibrate import calibrate, load_targets, measure
from corridor.assignment.freight import assign, tonnes_per_teu
from corridor.assignment.params import AssignmentParams


def test_bundled_targets_are_sourced_and_valid(net):
    tg = load_targets(network=net)
    assert {"northern_rail_teu", "titr_containers_teu", "titr_cargo_t"} <= set(tg["target_id"])
    assert tg["source_id"].str.len().gt(0).all()


def test_bad_targets_list_every_problem_with_its_line(net, tmp_path):
    f = tmp_path / "targets.csv"
    f.write_text("target_id,description,measure,corridor,commodities,value,unit,year,source_id\n"
                 "a,x,corridor_km,middle,container,5,TEU,2024,kmtf_2024\n"
                 "b,x,corridor_teu,westerly,container,-3,TEU,2024,nobody\n"
                 "b,x,corridor_t,middle,containr,5,TEU,20x4,\n")
    with pytest.raises(corridor.ValidationError) as exc:
        load_targets(f, network=net)
    found = {(p.row, p.column) for p in exc.value.problems}
    assert found == {(2, "measure"), (3, "corridor"), (3, "value"), (3, "source_id"), (4, "target_id"),
                     (4, "unit"), (4, "commodities"), (4, "year"), (4, "source_id")}
    f.write_text("target_id,description,measure,corridor,commodities,value,unit,year,source_id\n")
    with pytest.raises(corridor.ValidationError, match="no targets"):
        load_targets(f, network=net)


def test_stored_parameters_are_the_fit_they_report(net):
    """The parameters shipped with the data reproduce the modelled values recorded at fit time."""
    p = AssignmentParams.load()
    assert p.fit and p.corridor_constants_usd
    dem = corridor.load_demand()
    tg = load_targets(network=net)
    got = measure(assign(net, dem, params=p), tg, tonnes_per_teu(dem))
    recorded = np.array([p.fit["targets"][t]["modelled"] for t in tg["target_id"]])
    np.testing.assert_allclose(got, recorded, rtol=1e-3)


def test_fitting_from_uncalibrated_defaults_moves_towards_the_targets(net):
    dem = corridor.load_demand()
    cal = calibrate(net, dem, max_evaluations=12)
    t = cal.table
    before = np.sqrt(np.mean(np.log(t["before"] / t["published"]) ** 2))
    after = np.sqrt(np.mean(np.log(t["after"] / t["published"]) ** 2))
    assert after < 0.5 * before
    json.dumps(cal.to_dict())  # serialisable
