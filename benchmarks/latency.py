"""First-time answers: how long a question takes the first time it is asked (issue 14's targets).

- `compare` over N random distinct place pairs of the bundled network, in one process after one
  warm-up question (each pair asked once: nothing is cached for it): p50, p90, p99 and max, wall
  and CPU milliseconds;
- the first SUE assignment of the bundled demand, the first scenario diff (baseline-2024 against
  `--diff`, sanctions-strict by default) and, with --appraise, `appraise(budget=2e9)`: each in a
  fresh process, imports and network loading done before the clock starts (what a web app that is
  already up pays), `--runs` times: min and median of wall and CPU seconds.

With `--against SRC` (another checkout's `src` folder, e.g. from `git worktree add /tmp/old REV`)
the same first-time questions run with that code too, alternately with this one's (A B A B ...),
and the ratios this/that are printed from the same run: a before/after on a shared machine.

    .venv/bin/python benchmarks/latency.py [--pairs 500] [--runs 3] [--appraise] [--against /tmp/old/src]

Wall time on a shared machine stretches with its load; CPU time (all the process's threads, and
the worker processes it forked and waited for: the appraisal's) does less, so both are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time

import numpy as np

FIRST = {
    "first SUE": """
import corridor
from corridor.assignment import freight
net, dem = corridor.load_network(), corridor.load_demand()
net.graph
START
corridor.assign(net, dem, method="sue")
""",
    "first scenario diff": """
import corridor
from corridor.scenarios.diff import diff
from corridor.scenarios.run import run_scenario
corridor.load_network().graph
START
diff(run_scenario("baseline-2024"), run_scenario("DIFF_B"))
""",
    "appraise 2bn": """
import corridor
from corridor.analysis.appraisal import appraise
from corridor.analysis.projects import read_projects
net = corridor.load_network()
net.graph
projects = read_projects()
START
appraise(net, projects, budget=2e9)
""",
}

_CLOCK = """
import json, resource, time
t, c = time.perf_counter(), time.process_time()
k = resource.getrusage(resource.RUSAGE_CHILDREN)
"""

_REPORT = """
k2 = resource.getrusage(resource.RUSAGE_CHILDREN)
kids = k2.ru_utime + k2.ru_stime - k.ru_utime - k.ru_stime
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c + kids}))
"""


def first_time(code: str, src: str | None = None) -> dict:
    """Run `code` in a fresh interpreter (with `src` first on its path), timing what follows its
    START line."""
    before, after = code.split("START")
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run([sys.executable, "-c", before + _CLOCK + after + _REPORT], capture_output=True,
                          text=True, env=env)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:100]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def first_times(code: str, runs: int, against: str | None) -> tuple[list[dict], list[dict]]:
    """`runs` fresh-process timings of `code` with this checkout's code and, given `against`, with
    that code too, alternately (so a drift in the machine's load touches both)."""
    mine, theirs = [], []
    for _ in range(runs):
        mine.append(first_time(code))
        if against is not None:
            theirs.append(first_time(code, against))
    return mine, theirs


def _summary(rows: list[dict]) -> str:
    bad = [r["error"] for r in rows if "error" in r]
    if bad:
        return bad[0]
    w, c = np.array([r["wall"] for r in rows]), np.array([r["cpu"] for r in rows])
    return (f"wall min {w.min():6.2f} median {np.median(w):6.2f} s   "
            f"CPU min {c.min():6.2f} median {np.median(c):6.2f} s")


def compare_latency(n: int, seed: int = 14) -> dict:
    import corridor

    net = corridor.load_network()
    ids = net.places()["node_id"].to_numpy()
    rng = np.random.default_rng(seed)
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < min(n, len(ids) * (len(ids) - 1)):
        a, b = rng.choice(len(ids), 2, replace=False)
        pairs.add((ids[a], ids[b]))
    order = sorted(pairs)
    rng.shuffle(order)
    corridor.compare(net, "Xian", "Duisburg")  # warm-up: compiled graph, signatures, world view
    wall, cpu = [], []
    for o, d in order:
        t, c = time.perf_counter(), time.process_time()
        with contextlib.suppress(corridor.CorridorError):
            corridor.compare(net, o, d)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    wm, cm = np.array(wall) * 1e3, np.array(cpu) * 1e3
    return {"pairs": len(order), **{f"wall p{q}": float(np.percentile(wm, q)) for q in (50, 90, 99)},
            "wall max": float(wm.max()), **{f"cpu p{q}": float(np.percentile(cm, q)) for q in (50, 90, 99)},
            "cpu max": float(cm.max())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=500, help="compare: random place pairs (0: skip)")
    ap.add_argument("--runs", type=int, default=3, help="fresh processes per first-time question")
    ap.add_argument("--diff", default="sanctions-strict", help="the scenario diffed against baseline-2024")
    ap.add_argument("--appraise", action="store_true", help="also time appraise(budget=2e9)")
    ap.add_argument("--against", help="another checkout's src folder, timed alternately with this one")
    args = ap.parse_args()
    if args.pairs > 0:
        lat = compare_latency(args.pairs)
        print(f"compare over {lat.pop('pairs')} random distinct place pairs, first time each (ms):")
        print("  " + "  ".join(f"{k} {v:.1f}" for k, v in lat.items()))
    print(f"first-time questions, {args.runs} fresh processes each"
          + (f"; 'before': {args.against}" if args.against else ""))
    for name, code in FIRST.items():
        if name == "appraise 2bn" and not args.appraise:
            continue
        mine, theirs = first_times(code.replace("DIFF_B", args.diff), args.runs, args.against)
        label = f"{name} (baseline-2024 vs {args.diff})" if name == "first scenario diff" else name
        print(f"{label}:")
        if theirs:
            print(f"  before  {_summary(theirs)}")
        print(f"  {'after ' if theirs else 'this  '}  {_summary(mine)}")
        if theirs and not any("error" in r for r in mine + theirs):
            pairs = list(zip(mine, theirs, strict=True))
            ratio = {k: np.median([t[k] / m[k] for m, t in pairs]) for k in ("wall", "cpu")}
            print(f"  before/after, median of the pairs: wall {ratio['wall']:.2f}x, CPU {ratio['cpu']:.2f}x")


if __name__ == "__main__":
    main()
