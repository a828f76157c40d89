"""The run history: record, list, show, prefixes, and where the file lives."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import corridor
from corridor.scenarios.run import RESULT_FILES, run_scenario
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


def test_unknown_empty_and_ambiguous_ids(result, tmp_path):
    with RunStore(home=tmp_path) as store:
        store.record(result, run_id="abc123000001")
        store.record(result, run_id="abc456000002")
        with pytest.raises(corridor.CorridorError, match="no run 'nope'; recent runs: abc"):
            store.get("nope")
        with pytest.raises(corridor.CorridorError, match="'abc' is ambiguous: abc456000002, abc123000001"):
            store.get("abc")
        assert store.get("abc1")["id"] == "abc123000001"
        for blank in ("", "  "):
            with pytest.raises(corridor.CorridorError, match="give a run id"):
                store.get(blank)
    with RunStore(home=tmp_path / "nothing-here", read_only=True) as store:
        assert store.list().empty
        with pytest.raises(corridor.CorridorError, match=r"no run 'abc': the run history .* is empty$"):
            store.get("abc")


def test_cli_runs_show_rejects_an_empty_id(result, tmp_path):
    from typer.testing import CliRunner

    from corridor.cli.app import app

    with RunStore(home=tmp_path) as store:
        store.record(result)
    r = CliRunner().invoke(app, ["runs", "show", "", "--home", str(tmp_path)])
    assert r.exit_code == 1 and "give a run id" in r.output and "empty" not in r.output


def test_where_the_history_lives(tmp_path, monkeypatch):
    monkeypatch.setenv("CORRIDOR_HOME", str(tmp_path / "h"))
    assert store_path() == tmp_path / "h" / "runs.duckdb"
    assert data_home(tmp_path / "given") == tmp_path / "given"  # an explicit folder wins
    monkeypatch.delenv("CORRIDOR_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(sys, "platform", "linux")
    assert data_home() == tmp_path / "xdg" / "corridor"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert data_home() == tmp_path / "home" / ".local" / "share" / "corridor"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert data_home() == tmp_path / "home" / "Library" / "Application Support" / "corridor"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert data_home() == tmp_path / "local" / "corridor"
    assert code_version()


def test_parameters_say_what_the_run_depended_on(result):
    p = result.parameters()
    assert p["method"] == "ue" and p["assignment"]["params"]["dispersion"]["container"] > 0
    assert p["network"]["bundled"] and p["network"]["nodes"] == len(result.applied.network.nodes)
    assert "base" not in p["scenario"]
    r = run_scenario("caspian-low", method="aon", caspian_replications=3, caspian_seed=7, max_iter=3)
    q = r.parameters()
    assert q["caspian_simulation"] == {"replications": 3, "seed": 7}
    assert q["assignment"]["kwargs"] == {"max_iter": 3} and q["network"]["folder"] is None
    json.dumps(q)


def test_a_locked_history_keeps_the_files_and_warns(tmp_path):
    """Another process holds the history: the results are written, the run is not recorded, exit 0."""
    from typer.testing import CliRunner

    from corridor.cli.app import app

    home, out = tmp_path / "home", tmp_path / "res"
    home.mkdir()
    hold = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); sys.stdin.read()"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(home / "runs.duckdb")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = CliRunner().invoke(app, ["scenario", "run", "baseline-2024", "--out", str(out), "--method", "aon",
                                     "--home", str(home), "--json"])
        assert r.exit_code == 0, r.output
        assert "not recorded" in r.stderr and "lock" in r.stderr.lower()
        assert json.loads(r.stdout)["run_id"] is None
        assert {p.name for p in out.iterdir()} == set(RESULT_FILES)
        assert json.loads((out / "summary.json").read_text())["run_id"] is None
        with pytest.warns(RuntimeWarning, match="not recorded"):
            res = run_scenario("baseline-2024", method="aon", record=True, home=home)
        assert res.run_id is None
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    r = CliRunner().invoke(app, ["scenario", "run", "baseline-2024", "--out", str(out), "--method", "aon",
                                 "--home", str(home), "--json", "--force"])
    rid = json.loads(r.stdout)["run_id"]
    assert r.exit_code == 0 and rid and json.loads((out / "summary.json").read_text())["run_id"] == rid
    with RunStore(home=home, read_only=True) as store:
        assert list(store.list()["id"]) == [rid]


_RECORD_AT_ONCE = """
import pathlib, sys, time
from corridor.scenarios.run import record_run, run_scenario
home, me, n = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
res = run_scenario("baseline-2024", method="aon", caspian_replications=0)
(home / f"ready-{me}").touch()
while len(list(home.glob("ready-*"))) < n:  # all record at the same moment
    time.sleep(0.01)
print(record_run(res, home=home).run_id, flush=True)
"""

_READ_WHILE_WRITING = """
import pathlib, sys, time
from corridor.store import RunStore
home, failures, reads = pathlib.Path(sys.argv[1]), 0, 0
while not (home / "stop").exists():
    try:
        with RunStore(home=home, read_only=True) as store:
            store.list()
        reads += 1
    except Exception as exc:
        failures += 1
        print(type(exc).__name__, exc, file=sys.stderr)
    time.sleep(0.005)
print(reads, failures)
"""


def test_eight_simultaneous_recorded_runs_are_all_kept_and_readers_never_fail(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    reader = subprocess.Popen([sys.executable, "-c", _READ_WHILE_WRITING, str(home)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    procs = [subprocess.Popen([sys.executable, "-c", _RECORD_AT_ONCE, str(home), str(i), "8"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(8)]
    outs = [p.communicate(timeout=600) for p in procs]
    (home / "stop").touch()
    reads, failures = map(int, reader.communicate(timeout=60)[0].split())
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    ids = {o.strip() for o, _ in outs}
    assert len(ids) == 8 and all(len(i) == 12 for i in ids)
    from typer.testing import CliRunner

    from corridor.cli.app import app

    r = CliRunner().invoke(app, ["runs", "list", "--json", "--home", str(home)])
    assert r.exit_code == 0 and {x["id"] for x in json.loads(r.stdout)} == ids
    print(json.dumps({"recorded": len(ids), "listed": len(json.loads(r.stdout)), "reads": reads,
                      "read_failures": failures}))
    assert failures == 0 and reads > 0


_FULL_DISK = """
import resource, signal, sys
from corridor.errors import CorridorError
from corridor.scenarios.run import run_scenario
from corridor.store import RunStore
res = run_scenario("baseline-2024", method="aon", caspian_replications=0)
with RunStore(home=sys.argv[1]) as store:
    store.record(res)  # the file and its tables exist
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) as on a full disk
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    with RunStore(home=sys.argv[1]) as store:
        store.record(res)
except CorridorError as exc:
    print("CorridorError:", exc)
"""


def test_a_failed_commit_is_one_clear_error(tmp_path):
    """A full disk while recording: one CorridorError naming the history, no 'cannot rollback'."""
    home = tmp_path / "home"
    p = subprocess.run([sys.executable, "-c", _FULL_DISK, str(home), str(20_000)], capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr and "rollback" not in (p.stdout + p.stderr).lower()
    assert p.stdout.count("CorridorError") == 1 and "cannot record the run in" in p.stdout
    with RunStore(home=home, read_only=True) as store:
        assert len(store.list()) == 1  # the first record whole, nothing of the second
