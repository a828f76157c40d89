"""The writer registry: every result writes its tables in every registered format through one path,
whole or not at all, with a manifest; one overwrite guard; a format added once reaches every result."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

import corridor
from corridor import output
from corridor.errors import CorridorError
from corridor.folders import folder_problems, read_manifest, verify_folder, write_outputs
from corridor.output import FORMATS, MANIFEST, Document, Format, Table, TextFile

MINI = Path(__file__).parent / "data" / "mini"


@pytest.fixture(scope="module")
def net():
    return corridor.read_network(MINI)


@pytest.fixture(scope="module")
def results(net):
    """One of each result kind, small and quick."""
    from corridor.caspian.config import baseline_config
    from corridor.caspian.simulate import simulate
    from corridor.demand import Demand
    from corridor.scenarios.diff import diff
    from corridor.scenarios.run import run_scenario

    dem = Demand(pd.DataFrame({"origin": ["xian"], "destination": ["duisburg"], "commodity": ["container"],
                               "teu_per_year": [1000.0], "t_per_year": [10000.0], "source_id": [""],
                               "method": [""]}))
    a = run_scenario("baseline-2024", method="aon", caspian_replications=0)
    b = run_scenario("red-sea-closed", method="aon", caspian_replications=0)
    return {
        "Comparison": corridor.compare(net, "Xian", "Duisburg"),
        "RouteSet": corridor.route(net, "Xian", "Duisburg", k=2),
        "Route": corridor.route(net, "Xian", "Duisburg").routes[0],
        "FlowResult": corridor.assign(net, dem, method="aon"),
        "ReliabilityResult": corridor.reliability(net, "Xian", "Duisburg", samples=500),
        "CaspianResult": simulate(baseline_config(), days=30, replications=2),
        "ScenarioResult": a,
        "ScenarioDiff": diff(a, b),
    }


def test_every_result_has_dict_frame_and_writes_every_format(results, net, tmp_path):
    for kind, res in results.items():
        assert isinstance(res.to_dict(), dict) and isinstance(res.to_frame(), pd.DataFrame), kind
        json.dumps(output.json_safe(res.to_dict()))
        shaped = any(isinstance(o, Table) and o.geometry for o in res.outputs(net))
        formats = [n for n, f in FORMATS.items() if not f.needs_geometry or shaped]
        folder = tmp_path / kind
        paths = res.write(folder, net, formats=formats)
        assert [p.name for p in paths] == res.files(formats, net) and paths[-1].name == MANIFEST, kind
        assert {p.name for p in folder.iterdir()} == {p.name for p in paths}, kind
        assert verify_folder(folder), (kind, folder_problems(folder))
        m = read_manifest(folder)
        assert m["kind"] == kind and [f["name"] for f in m["files"]] == [p.name for p in paths[:-1]]
        for f in m["files"]:  # row counts as written
            if f["name"].endswith(".csv"):
                assert f["rows"] == len(pd.read_csv(folder / f["name"])), (kind, f["name"])
            if f["name"].endswith(".geojson"):
                assert f["rows"] == len(json.loads((folder / f["name"]).read_text())["features"])


def test_default_file_names_are_kept(results, net):
    """The names tests, docs and users rely on: link_flows.*, summary.json, RESULT_FILES."""
    from corridor.scenarios.run import RESULT_FILES

    assert results["ScenarioResult"].files() == list(RESULT_FILES)
    flows = results["FlowResult"].files(net=net)
    assert flows[:7] == ["link_flows.csv", "link_flows.parquet", "link_flows.geojson", "node_flows.csv",
                         "corridors.csv", "over_capacity.csv", "summary.json"]
    assert "link_flows.geojson" not in results["FlowResult"].files()  # no network, no shapes


def test_geojson_rows_carry_their_shapes(results, net, tmp_path):
    res = results["Comparison"]
    res.write(tmp_path / "c", net, formats="geojson")
    fc = json.loads((tmp_path / "c" / "corridors.geojson").read_text())
    feasible = [f for f in fc["features"] if f["properties"]["feasible"]]
    assert feasible and all(f["geometry"]["type"] == "LineString" for f in feasible)
    first = feasible[0]["geometry"]["coordinates"][0]
    xian = net.nodes.set_index("node_id").loc["xian"]
    assert first == pytest.approx([xian["lon"], xian["lat"]])
    with pytest.raises(CorridorError, match="geometry"):
        results["CaspianResult"].write(tmp_path / "x", formats="geojson")


def test_a_format_added_once_reaches_every_result(results, net, tmp_path, monkeypatch):
    """Adding an output format is one registration: no result and no CLI code changes."""
    def write_tsv(frame, path, geometry=None):
        frame.to_csv(path, sep="\t", index=False)
        return len(frame)

    monkeypatch.setitem(FORMATS, "tsv", Format("tsv", ".tsv", write_tsv))
    for kind, res in results.items():
        paths = res.write(tmp_path / kind, net, formats="tsv")
        tables = [o.name for o in res.outputs(net) if isinstance(o, Table)]
        assert {p.name for p in paths if p.suffix == ".tsv"} == {f"{t}.tsv" for t in tables}, kind
    from typer.testing import CliRunner

    from corridor.cli.app import app

    r = CliRunner().invoke(app, ["compare", "Xian", "Duisburg", "--network", str(MINI), "--out",
                                 str(tmp_path / "cli"), "--format", "tsv,csv"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "cli" / "corridors.tsv").exists() and (tmp_path / "cli" / "legs.csv").exists()


def test_unknown_format_is_named_with_the_choices():
    with pytest.raises(CorridorError, match="unknown output format 'xls'; choose from csv, parquet, geojson"):
        output.parse_formats("csv,xls")


def test_one_guard_refuses_replaces_whole_and_never_foreign(tmp_path):
    outs = [Table("t", pd.DataFrame({"a": [1, 2]}), ("csv", "parquet")), Document("s.json", {"x": 1})]
    folder = tmp_path / "r"
    write_outputs(folder, outs)
    (folder / "extra.csv").write_text("from an old run")
    with pytest.raises(CorridorError, match=r"refusing to overwrite .*--force"):
        write_outputs(folder, outs)
    # --force replaces the folder as a whole: no stale file from an earlier run stays
    write_outputs(folder, [outs[0]], formats="csv", overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "t.csv"]
    # a folder corridor did not write is never replaced, even with overwrite
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    with pytest.raises(CorridorError, match="did not write"):
        write_outputs(mine, outs, overwrite=True)
    assert (mine / "thesis.docx").read_text() == "years of work"
    # an older result folder (no manifest, only the files this result writes) may be replaced
    old = tmp_path / "old"
    old.mkdir()
    (old / "t.csv").write_text("a\n1\n")
    write_outputs(old, outs, overwrite=True)
    assert verify_folder(old)
    with pytest.raises(CorridorError, match="not a folder"):
        write_outputs(tmp_path / "r" / "t.csv", outs, overwrite=True)


def test_a_failed_write_leaves_nothing(tmp_path):
    def broken():
        raise OSError(28, "No space left on device")

    outs = [Table("a", pd.DataFrame({"x": [1]})), Document("b.json", broken)]
    with pytest.raises(CorridorError, match="cannot write .*: the disk is full; nothing was written"):
        write_outputs(tmp_path / "r", outs)
    assert list(tmp_path.iterdir()) == []
    # an earlier complete result stays as it was when its replacement fails
    write_outputs(tmp_path / "r", [outs[0]])
    before = (tmp_path / "r" / "a.csv").read_bytes()
    with pytest.raises(CorridorError):
        write_outputs(tmp_path / "r", outs, overwrite=True)
    assert (tmp_path / "r" / "a.csv").read_bytes() == before and verify_folder(tmp_path / "r")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_the_manifest_finds_truncated_missing_and_changed_files(tmp_path):
    outs = [Table("t", pd.DataFrame({"a": range(100)})), TextFile("n.txt", "hello\n")]
    write_outputs(tmp_path / "r", outs)
    assert verify_folder(tmp_path / "r")
    (tmp_path / "r" / "n.txt").write_text("hellO\n")
    assert "n.txt is not the file the manifest lists" in folder_problems(tmp_path / "r")[0]
    assert verify_folder(tmp_path / "r", hashes=False)  # same size: only the hash tells
    with (tmp_path / "r" / "t.csv").open("r+") as fh:
        fh.truncate(10)
    assert not verify_folder(tmp_path / "r", hashes=False)
    os.unlink(tmp_path / "r" / MANIFEST)
    assert folder_problems(tmp_path / "r") == [
        "no manifest.json (an interrupted write, or not a corridor result folder)"]
    with pytest.raises(CorridorError, match="not a complete result"):
        read_manifest(tmp_path / "r")


def test_stale_partial_folders_of_dead_writers_are_removed(tmp_path):
    dead = tmp_path / ".r.partial-999999-abcd"  # no such process
    dead.mkdir()
    (dead / "half.csv").write_text("a\n")
    alive = tmp_path / f".r.partial-{os.getpid()}-abcd"
    alive.mkdir()
    write_outputs(tmp_path / "r", [Table("t", pd.DataFrame({"a": [1]}))])
    assert not dead.exists() and alive.exists()


def test_scenario_run_resume_keeps_a_complete_result(tmp_path):
    from typer.testing import CliRunner

    from corridor.cli.app import app

    run = CliRunner().invoke
    out = tmp_path / "res"
    args = ["scenario", "run", "baseline-2024", "--method", "aon", "--no-record", "--out", str(out)]
    assert run(app, args).exit_code == 0
    stamp = (out / MANIFEST).stat().st_mtime_ns
    r = run(app, [*args, "--resume", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["resumed"]
    assert (out / MANIFEST).stat().st_mtime_ns == stamp
    (out / "links.csv").write_text("truncated")  # no longer what the manifest lists: run again
    r = run(app, [*args, "--resume"])
    assert r.exit_code == 0 and verify_folder(out) and (out / "links.csv").stat().st_size > 100
    r = run(app, ["scenario", "run", "red-sea-closed", "--method", "aon", "--no-record", "--out", str(out),
                  "--resume"])
    assert r.exit_code == 1 and "holds the complete run of scenario baseline-2024" in r.output
