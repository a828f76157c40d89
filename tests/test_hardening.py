"""Hardening: bounded work on any input, outputs written whole or not at all, no tracebacks.

- the bad-input corpus (tests/bad_input_cases.py, run by tests/bad_inputs.py): every case a clear
  error or a correct result under a per-case memory and time limit;
- kill -9 at random moments during `assign --out` and `scenario run --out`: no folder a later
  command takes as complete unless it is;
- a full disk while writing: one clear error, nothing left behind;
- safe parsing (YAML budgets, special files) and the one table of bounds;
- validating a 10^6-link network in under 1 GB and 60 s.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from corridor.bounds import BOUNDS, COLUMNS, COUNTRY_CODES
from corridor.errors import CorridorError, Problem, ProblemList, ValidationError
from corridor.folders import folder_problems, verify_folder
from corridor.output import MANIFEST
from tests.bad_inputs import PEAK_MB, Case, generate, run_all, run_cli, summary

MINI = Path(__file__).parent / "data" / "mini"

CLI = [sys.executable, "-c", "from corridor.cli import main; main()"]


# ------------------------------------------------------------------ the corpus


@pytest.mark.slow
def test_bad_input_corpus(tmp_path):
    cases = generate(tmp_path / "inputs")
    areas = {c.area for c in cases}
    assert len(cases) >= 150 and areas == {"network", "demand", "scenario", "project", "cli", "api"}
    outcomes = run_all(cases, tmp_path / "home", jobs=2)
    s = summary(outcomes)
    print(json.dumps({k: v for k, v in s.items() if k != "failed"}))
    failed = "\n".join(f"{name}: {why}\n{_output(outcomes, name)}" for name, why in s["failed"])
    assert not s["failed"], failed
    assert s["traceback"] == s["hang"] == s["crash"] == s["server-error"] == 0
    assert s["peak_mb"] < PEAK_MB and s["cases"] == len(cases)


def _output(outcomes, name: str) -> str:
    return next(o.output[-1500:] for o in outcomes if o.case.name == name)


# ------------------------------------------------------------------ kill -9 while writing


def _partial(target: Path) -> bool:
    return any(p.name.startswith(f".{target.name}.") for p in target.parent.iterdir())


def _kill_test(argv: list[str], target: Path, n: int, seed: int) -> dict:
    """Run `argv --out target --force` n times, killed (SIGKILL, the whole process group) at a
    random moment or while it writes; after each kill, `target` is absent or complete."""
    rng = random.Random(seed)
    cmd = [*CLI, *argv, "--out", str(target), "--force"]
    t0 = time.monotonic()
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    length = time.monotonic() - t0
    assert first.returncode == 0 and verify_folder(target), first.stderr
    seen = {"complete": 0, "absent": 0, "while_writing": 0}
    for i in range(n):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        if i % 2:  # somewhere in the run
            time.sleep(rng.uniform(0.2, 1.05) * length)
        else:  # while the result is being written: its temporary sibling is there
            deadline = time.monotonic() + 3 * length
            while not _partial(target) and p.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.03))
        writing = _partial(target)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        seen["while_writing"] += writing and p.returncode == -signal.SIGKILL
        if target.exists():
            assert verify_folder(target), (i, folder_problems(target))  # visible means complete
            seen["complete"] += 1
        else:
            seen["absent"] += 1  # killed between moving the old result aside and renaming the new one
    # a later run cleans what the killed writers left and writes a complete result
    last = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert last.returncode == 0 and verify_folder(target), last.stderr
    assert not _partial(target), sorted(p.name for p in target.parent.iterdir())
    return seen


@pytest.mark.slow
def test_kill_9_never_leaves_a_folder_that_looks_complete(tmp_path):
    runs = {"assign": (["assign", "--method", "aon"], tmp_path / "a" / "flows"),
            "scenario": (["scenario", "run", "baseline-2024", "--method", "aon", "--no-record"],
                         tmp_path / "s" / "run")}
    found: dict[str, dict] = {}
    errors: list[BaseException] = []

    def go(name: str) -> None:
        try:
            argv, target = runs[name]
            target.parent.mkdir(parents=True)
            found[name] = _kill_test(argv, target, 20, seed=len(name))
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(n,)) for n in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    print(json.dumps(found))
    for name, seen in found.items():
        assert seen["complete"] + seen["absent"] == 20, name
        assert seen["while_writing"] >= 5, (name, seen)  # the kills did land while writing
    # a later command takes the folder as complete only when it is: --resume keeps it
    r = subprocess.run([*CLI, "scenario", "run", "baseline-2024", "--method", "aon", "--no-record", "--out",
                        str(runs["scenario"][1]), "--resume"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "nothing to do" in r.stdout


# ------------------------------------------------------------------ a full disk


def _full_disk(limit: int):
    def apply() -> None:
        # a write past the limit fails (EFBIG) as one on a full disk does, instead of killing the process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("argv", [["assign", "--method", "aon", "--out"],
                                  ["network", "export", "--network", str(MINI)]])
def test_a_full_disk_is_one_clear_error_and_leaves_nothing(tmp_path, argv):
    target = tmp_path / "out"
    cmd = [*CLI, *argv, str(target)] if argv[-1] == "--out" else [*CLI, *argv[:2], str(target), *argv[2:]]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, preexec_fn=_full_disk(800))
    assert p.returncode == 1, p.stdout + p.stderr
    assert "Traceback" not in p.stderr and "cannot write" in p.stderr and "nothing was written" in p.stderr
    assert list(tmp_path.iterdir()) == [] or not any(target.iterdir())


def test_force_replaces_a_result_as_a_whole(tmp_path):
    out, od = tmp_path / "flows", tmp_path / "od.csv"
    od.write_text("origin,destination,commodity,teu_per_year,t_per_year\nxian,duisburg,container,500,5000\n")
    assign = [*CLI, "assign", "--method", "aon", "--network", str(MINI), "--demand", str(od), "--out",
              str(out)]
    assert subprocess.run(assign, capture_output=True, timeout=300).returncode == 0
    assert "link_flows.geojson" in {p.name for p in out.iterdir()}
    p = subprocess.run([*assign, "--format", "csv", "--force"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    names = {p.name for p in out.iterdir()}
    assert "link_flows.geojson" not in names and "link_flows.parquet" not in names  # none left from before
    listed = {f["name"] for f in json.loads((out / MANIFEST).read_text())["files"]}
    assert verify_folder(out) and names == listed | {MANIFEST}


# ------------------------------------------------------------------ safe parsing and bounds


def test_yaml_budgets_refuse_before_building():
    import yaml

    from corridor.yamlio import MAX_VALUES, YamlLimitError, check_yaml, line_index, load_yaml

    laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10))
    t0 = time.perf_counter()
    with pytest.raises(YamlLimitError, match=f"more than {MAX_VALUES:,} values") as e:
        check_yaml(laughs)
    assert time.perf_counter() - t0 < 1 and e.value.problem_mark.line + 1 == 6
    assert isinstance(e.value, yaml.YAMLError)  # every reader reports it like a syntax error
    with pytest.raises(YamlLimitError, match="nested more than 64"):
        load_yaml("x: " + "[" * 5000 + "]" * 5000)
    assert line_index(laughs) == {}  # no index past the budget, and no expansion to build one
    small = "base: &b {x: 1, y: [1, 2]}\nother: *b\nthird: *b\n"
    assert load_yaml(small)["third"] == {"x": 1, "y": [1, 2]}
    idx = line_index(small)
    assert idx[("base", "y", 1)] == 1 and idx[("third",)] == 3 and ("third", "y", 1) not in idx


def test_only_regular_files_of_a_sane_size_are_read(tmp_path, monkeypatch):
    from corridor.readers import check_input_file, read_text_csv

    fifo = tmp_path / "p.csv"
    os.mkfifo(fifo)
    (tmp_path / "d").mkdir()
    (tmp_path / "inside.csv").write_text("a\n1\n")
    (tmp_path / "d" / "ok.csv").symlink_to(tmp_path / "inside.csv")  # out of its folder d/
    (tmp_path / "near.csv").symlink_to("inside.csv")  # in the same folder: fine
    for path, why in ((fifo, "FIFO"), (Path("/dev/zero"), "character device"), (tmp_path / "d", "folder"),
                      (tmp_path / "d" / "ok.csv", "outside its folder")):
        problems: list[Problem] = []
        assert read_text_csv(path, problems) is None and why in problems[0].message, path
    assert read_text_csv(tmp_path / "near.csv", []) is not None
    (tmp_path / "big.csv").write_text("a\n" + "1\n" * 2000)
    monkeypatch.setenv("CORRIDOR_MAX_INPUT_MB", "0.001")
    with pytest.raises(OSError, match=r"is 4.0 KB, more than the 1.0 KB an input may be \(raise it with"):
        check_input_file(tmp_path / "big.csv")


def test_problems_past_the_cap_are_counted():
    probs = ProblemList(limit=3)
    probs += [Problem("f.csv", i, "c", "bad") for i in range(10)]
    probs.append(Problem("f.csv", 11, "c", "bad"))
    assert len(probs) == 3 and probs.dropped == 8
    msg = str(ValidationError(probs, "f.csv"))
    assert msg.startswith("11 problems in f.csv:") and "... and 8 more (the first 3 are listed)" in msg


def test_the_bounds_table():
    for b in BOUNDS.values():
        assert b.lo is None or b.hi is None or b.lo <= b.hi, b.name
        assert b.problem(float("nan")) and b.problem(float("inf")), b.name
    for table in COLUMNS.values():
        assert set(table.values()) <= set(BOUNDS), table
    assert BOUNDS["sea_level_m"].problem(-30.35) is None and "Baltic" in BOUNDS["sea_level_m"].problem(-1.0)
    assert BOUNDS["month"].problem(12) is None and BOUNDS["month"].problem(12.5)
    assert len(COUNTRY_CODES) >= 249 and {"KAZ", "KGZ", "XKX"} <= COUNTRY_CODES and "XXX" not in COUNTRY_CODES
    with pytest.raises(CorridorError, match="--seed: -1 is outside the plausible range"):
        BOUNDS["seed"].check(-1, "--seed")


def test_scenario_values_outside_the_table_are_located(tmp_path):
    from corridor.scenarios.validate import load_scenario

    p = tmp_path / "s.yaml"
    p.write_text("name: s\ndescription: d\nsources: [{id: t, title: T, url: 'https://x.org'}]\n"
                 "caspian:\n  vessels_add: {container: 1000000000}\n  source: [t]\n"
                 "demand:\n  growth:\n    - {from: china, to: eu, factor: 1e308, source: [t]}\n")
    with pytest.raises(ValidationError) as e:
        load_scenario(p)
    where = {q.column: q.row for q in e.value.problems}
    assert where["caspian.vessels_add.container"] == 5 and where["demand.growth[0].factor"] == 9


# ------------------------------------------------------------------ a large network


def big_network(folder: Path, n_links: int, seed: int = 0) -> Path:
    """A valid GMNS-like folder with `n_links` links between n_links/5 nodes (the mini tables' columns)."""
    import shutil

    folder.mkdir(parents=True)
    for f in ("sources.csv", "rates.csv", "commodities.csv"):
        shutil.copy(MINI / f, folder / f)
    rng = random.Random(seed)
    n = max(n_links // 5, 10)
    node_head = (MINI / "node.csv").read_text().splitlines()[0]
    link_head = (MINI / "link.csv").read_text().splitlines()[0]
    with (folder / "node.csv").open("w") as fh:
        fh.write(node_head + "\n")
        fh.writelines(f"n{i},Place {i},,city,KAZ,{rng.uniform(40, 120):.4f},{rng.uniform(20, 60):.4f},test"
                      ",,,,,,,,\n" for i in range(n))
    with (folder / "link.csv").open("w") as fh:
        fh.write(link_head + "\n")
        for i in range(n_links):
            a = rng.randrange(n)
            b = (a + 1 + rng.randrange(n - 1)) % n
            km = rng.uniform(1, 500)
            fh.write(f"l{i},n{a},n{b},false,rail,rail_std,{km:.1f},test,,,,,,,,,1435,open,,test,,\n")
    return folder


@pytest.mark.slow
def test_validating_a_million_links_takes_under_1_gb_and_60_s(tmp_path):
    folder = big_network(tmp_path / "big", 1_000_000)
    o = run_cli(Case("bench", "network", ["network", "validate", str(folder), "--json"], expect="ok",
                     timeout=600), tmp_path)
    assert o.status == "ok", o.output[-2000:]
    d = json.loads(o.output[: o.output.rindex("}") + 1])
    assert d["links"] == 1_000_000 and d["ok"]
    print(json.dumps({"links": d["links"], "wall_s": round(o.seconds, 1), "cpu_s": round(o.cpu_s, 1),
                      "peak_mb": round(o.peak_mb)}))
    assert o.peak_mb < 1000 and o.cpu_s < 60  # CPU time: a busy machine stretches only the wall time
