"""First-time answers: how long a question takes the first time it is asked (issue 14's targets).

- `compare` over N random distinct place pairs of the bundled network, in one process after one
  warm-up question (each pair asked once: nothing is cached for it): p50, p90, p99 and max, wall
  and CPU milliseconds;
- the first SUE assignment of the bundled demand, the first scenario diff (baseline-2024 against
  titr-2030) and, with --appraise, `appraise(budget=2e9)`: each in a fresh process, imports and
  network loading done before the clock starts (what a web app that is already up pays).

    .venv/bin/python benchmarks/latency.py [--pairs 500] [--appraise]

Wall time on a shared machine stretches with its load; CPU time (all the process's threads)
does less, so both are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
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
diff(run_scenario("baseline-2024"), run_scenario("titr-2030"))
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
import json, time
t, c = time.perf_counter(), time.process_time()
"""

_REPORT = """
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c}))
"""


def first_time(code: str) -> dict:
    """Run `code` in a fresh interpreter, timing what follows its START line."""
    before, after = code.split("START")
    done = subprocess.run([sys.executable, "-c", before + _CLOCK + after + _REPORT], capture_output=True,
                          text=True)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:100]}
    return json.loads(done.stdout.strip().splitlines()[-1])


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
    w, c = np.array(wall) * 1e3, np.array(cpu) * 1e3
    return {"pairs": len(order), **{f"wall p{q}": float(np.percentile(w, q)) for q in (50, 90, 99)},
            "wall max": float(w.max()), **{f"cpu p{q}": float(np.percentile(c, q)) for q in (50, 90, 99)},
            "cpu max": float(c.max())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=500)
    ap.add_argument("--appraise", action="store_true", help="also time appraise(budget=2e9) (minutes)")
    args = ap.parse_args()
    lat = compare_latency(args.pairs)
    print(f"compare over {lat.pop('pairs')} random distinct place pairs, first time each (ms):")
    print("  " + "  ".join(f"{k} {v:.1f}" for k, v in lat.items()))
    for name, code in FIRST.items():
        if name == "appraise 2bn" and not args.appraise:
            continue
        r = first_time(code)
        print(f"{name}: " + (r["error"] if "error" in r else f"wall {r['wall']:.2f} s, CPU {r['cpu']:.2f} s"))


if __name__ == "__main__":
    main()
