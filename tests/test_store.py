"""The run history: record, list, show, prefixes, and where the file lives."""

from __future__ import annotations

import pytest

import corridor
from corridor.scenarios import run_scenario
from corridor.store import RunStore, code_version, data_home, store_path


@pytest.fixture(scope="module")
def result():
    return run_scenario("sanctions-strict", method="ue")


def test_round_trip(result, tmp_path):
    with RunStore(home=tmp_path) as store:
        rid = store.record(result)
        rid2 = store.record(result)
    assert rid != rid2 and (tmp_path / "runs.duckdb").exists()
    with RunStore(home=tmp_path, read_only=True) as store:
        runs = store.list()
        assert set(runs["id"]) == {rid, rid2}
        got = store.get(rid[:6])
    assert got["id"] == rid and got["scenario"] == "sanctions-strict" and got["method"] == "ue"
    assert got["code_version"].startswith(corridor.__version__)
    assert got["summary"]["run_id"] == rid
    assert got["summary"]["corridors"] == result.to_dict()["corridors"]
    assert got["parameters"]["scenario"]["policies"]["avoid"] == ["RUS", "BLR"]
    c = got["corridors"].set_index("corridor")
    assert c.loc["northern", "teu"] == pytest.approx(0.0, abs=1e-6)
    expected = result.corridors.set_index("corridor").loc["middle", "teu"]
    assert c.loc["middle", "teu"] == pytest.approx(expected)
    assert len(got["links"]) == len(result.flows.links)


def test_run_scenario_records_when_asked(tmp_path):
    r = run_scenario("baseline-2024", method="aon", record=True, home=tmp_path, caspian_replications=0)
    assert r.run_id
    with RunStore(home=tmp_path, read_only=True) as store:
        assert store.get(r.run_id)["scenario"] == "baseline-2024"


def test_unknown_and_ambiguous_ids(result, tmp_path):
    with RunStore(home=tmp_path) as store:
        store.record(result)
        with pytest.raises(corridor.CorridorError, match="no run 'nope'"):
            store.get("nope")
        with pytest.raises(corridor.CorridorError, match="ambiguous"):
            store.record(result)
            store.record(result)
            store.get("")  # every id starts with ''
    empty = tmp_path / "empty"
    with RunStore(home=empty, read_only=True) as store:
        assert store.list().empty
        with pytest.raises(corridor.CorridorError, match="empty"):
            store.get("abc")


def test_where_the_history_lives(tmp_path, monkeypatch):
    monkeypatch.setenv("CORRIDOR_HOME", str(tmp_path / "h"))
    assert store_path() == tmp_path / "h" / "runs.duckdb"
    monkeypatch.delenv("CORRIDOR_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_home() in (tmp_path / "xdg" / "corridor",
                           data_home())  # macOS/Windows use their own folder
    assert code_version()
