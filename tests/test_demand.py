"""The bundled demand by year (from trade drivers) and read_demand's validation."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import corridor
from corridor.datafiles import bundled_data_dir
from corridor.demand import Demand, load_demand, read_demand

ROOT = Path(__file__).resolve().parents[1]
HEADER = "origin,destination,commodity,teu_per_year,t_per_year\n"


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("build_demand", ROOT / "scripts" / "build_demand.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def demand() -> Demand:
    return load_demand(2024)


def test_bundled_loads_against_network(net, demand):
    df = demand.to_frame()
    assert len(df) > 50
    assert set(df["commodity"]) == {"container", "general", "bulk"}
    assert set(df["origin"]) | set(df["destination"]) <= set(net.node_index)
    m = demand.matrix(net, "container")
    assert m.shape == (len(net.nodes), len(net.nodes))
    assert m.sum() == pytest.approx(demand.total("container")["teu"])
    i, j = net.node_index["xian"], net.node_index["duisburg"]
    cell = df[(df.origin == "xian") & (df.destination == "duisburg") & (df.commodity == "container")]
    assert m[i, j] == cell["teu_per_year"].iloc[0] > 0
    assert np.all(np.diag(m) == 0)
    assert demand.matrix(net, unit="t").sum() == pytest.approx(demand.total()["t"])


YEARS = range(2019, 2026)


def test_copies_identical():
    for y in YEARS:
        a = (ROOT / "scripts" / "curated" / f"demand_{y}.csv").read_bytes()
        assert a == (bundled_data_dir() / f"demand_{y}.csv").read_bytes(), y


def test_every_row_has_known_sources():
    known = set()
    for f in (bundled_data_dir() / "sources.csv", ROOT / "scripts" / "curated" / "sources_demand.csv"):
        with open(f, encoding="utf-8") as fh:
            known |= {r["source_id"] for r in csv.DictReader(fh)}
    for y in YEARS:
        for r in load_demand(y).to_frame().itertuples():
            ids = [s for s in r.source_id.split(";") if s]
            assert ids, f"{y} {r.origin}->{r.destination} has no source"
            assert set(ids) <= known, set(ids) - known
            assert r.method


def test_script_reproduces_csv(build):
    tables = build.build()
    for y in YEARS:
        expect = pd.DataFrame(tables[y])
        got = load_demand(y).to_frame()
        assert list(got["origin"]) == list(expect["origin"])
        assert np.allclose(got["teu_per_year"], expect["teu_per_year"])
        assert np.allclose(got["t_per_year"], expect["t_per_year"])


def test_demand_comes_from_trade_not_from_the_counts_it_is_fitted_to(build):
    """No cell cites a corridor count (rail transit, Trans-Caspian boxes or tonnes): those are what the
    model must reproduce by choosing routes. China->Europe boxes add up to the CTS totals."""
    counts = {"maritime_network_412k", "kmtf_2024", "reportaz_titr_2024", "astanatimes_titr_2025",
              "ktze_trains_2024", "sia_feeders_2025"}
    for y in YEARS:
        df = load_demand(y).to_frame()
        cited = {s for ids in df["source_id"] for s in ids.split(";")}
        assert not cited & counts, (y, cited & counts)
    cn = {"xian", "zhengzhou", "chengdu", "chongqing", "shanghai"}
    ca = {"almaty", "astana", "tashkent", "bishkek"}
    for y, cts in ((2022, 11_420_000), (2023, 12_500_000)):
        df = load_demand(y).to_frame()
        west = df[df.origin.isin(cn) & ~df.destination.isin(ca | cn)]["teu_per_year"].sum()
        assert west == pytest.approx(cts, rel=1e-4)
    # trade grew from 2023 to 2024 (CTS Asia->Europe +10%) and the tables follow
    d23, d24 = load_demand(2023).total()["teu"], load_demand(2024).total()["teu"]
    assert 1.02 < d24 / d23 < 1.2


def _problems(path, net):
    with pytest.raises(corridor.ValidationError) as exc:
        read_demand(path, net)
    return exc.value.problems, str(exc.value)


def test_unknown_zone_with_suggestion(tmp_path, net):
    p = tmp_path / "d.csv"
    p.write_text(HEADER + "xian,duisbrug,container,100,1000\n")
    probs, text = _problems(p, net)
    assert (probs[0].file, probs[0].row, probs[0].column) == (str(p), 2, "destination")
    assert "duisbrug" in text and "did you mean: duisburg" in text


def test_negative_and_non_numeric(tmp_path, net):
    p = tmp_path / "d.csv"
    p.write_text(HEADER + "xian,hamburg,container,-5,10\n\nxian,lodz,container,12x,10\n")
    probs, text = _problems(p, net)
    by_row = {(q.row, q.column): q.message for q in probs}
    assert "-5 is negative" in by_row[(2, "teu_per_year")]
    assert "'12x' is not a finite number" in by_row[(4, "teu_per_year")]
    assert str(p) in text


def test_duplicate_same_od_and_commodity(tmp_path, net):
    p = tmp_path / "d.csv"
    rows = "xian,hamburg,container,1,10\nxian,hamburg,bulk,1,10\nxian,hamburg,container,2,20\n"
    p.write_text(HEADER + rows)
    probs, text = _problems(p, net)
    assert len(probs) == 1 and probs[0].row == 4
    assert "duplicate" in text and "'hamburg'" in text and "same as line 2" in text


def test_wide_matrix_is_named(tmp_path, net):
    p = tmp_path / "wide.csv"
    p.write_text(",xian,duisburg\nxian,0,5\nduisburg,3,0\n")
    for network in (net, None):
        probs, text = _problems(p, network)
        assert len(probs) == 1 and probs[0].row == 1
        assert "wide origin x destination matrix" in text and "long table" in text


def test_every_problem_at_once(tmp_path, net):
    p = tmp_path / "d.csv"
    p.write_text(HEADER + "Xian,lodz,grain,1,1\nxian,xian,bulk,1,1\nnowhere,lodz,bulk,,\n")
    probs, text = _problems(p, net)
    assert "use 'xian'" in text
    assert "unknown commodity 'grain'" in text
    assert "origin and destination are the same" in text
    assert "unknown node 'nowhere'" in text
    assert any(q.row == 4 and q.column == "teu_per_year" and "required" in q.message for q in probs)


def test_missing_columns(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("origin,destination,teu_per_year\nxian,lodz,3\n")
    probs, _ = _problems(p, None)
    assert {q.column for q in probs} == {"commodity", "t_per_year"}


def test_parquet_roundtrip_and_errors(tmp_path, net, demand):
    p = tmp_path / "d.parquet"
    demand.to_frame().to_parquet(p)
    d2 = read_demand(p, net)
    assert d2.total() == demand.total()
    bad = demand.to_frame().head(3).copy()
    bad.loc[1, "destination"] = "hambrug"
    bad.to_parquet(p)
    probs, text = _problems(p, net)
    assert probs[0].row == 3 and "did you mean: hamburg" in text


def test_matrix_and_load_errors(demand, net):
    with pytest.raises(corridor.CorridorError, match="unit"):
        demand.matrix(net, "container", unit="kg")
    with pytest.raises(corridor.CorridorError, match="commodity"):
        demand.matrix(net, "oil")
    with pytest.raises(corridor.CorridorError, match="available: 2019, .*2024, 2025"):
        load_demand(1999)
