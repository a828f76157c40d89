"""Sweeps on Dask: N coupled baseline-variant runs (baseline-2024 under N Latin-hypercube draws of every
uncertain input that reaches the assignment), serial in one process against a LocalCluster of 1 and
2 single-threaded worker processes on this machine. Prints runs/s and parallel efficiency, and
whether a 1,000-run sweep fits in 30 minutes. Targets (issue 16): >= 80% efficiency at 2 workers;
1,000 runs in under 30 min on 2 cores.

Each sweep is timed from its start to its last run (the choice set built once, the network sent to
the workers once, every run's figures back at the client) without starting the cluster, which is
timed apart; the steady rate is the runs after the first over the time from the first to the last.

    python benchmarks/sweep.py [--runs 200] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import os
import time

from rich.console import Console
from rich.table import Table

import corridor
from corridor.analysis.sweeps import SweepSpec, open_client, sweep


def timed(spec: SweepSpec, net, **kw) -> dict:
    marks: list[float] = []

    def progress(e: dict) -> None:
        if e["event"] == "run":
            marks.append(time.perf_counter())

    t0 = time.perf_counter()
    res = sweep(spec, None, network=net, record=False, progress=progress, **kw)
    total = time.perf_counter() - t0
    steady = (len(marks) - 1) / (marks[-1] - marks[0]) if len(marks) > 1 and marks[-1] > marks[0] else 0.0
    return {"runs": len(res.table), "failed": len(res.failed), "total_s": total, "first_s": marks[0] - t0,
            "load": os.getloadavg()[0],
            "steady_rate": steady, "rate": len(res.table) / total,
            "compute_s": float(res.table["seconds"].mean()), "cpu_s": float(res.table["cpu_seconds"].mean())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args()
    net = corridor.load_network()
    spec = SweepSpec(draws=args.runs, seed=0, name="bench")
    rows = {"serial": timed(spec, net, scheduler="serial")}
    print("serial", rows["serial"], flush=True)
    for n in [int(x) for x in args.workers.split(",")]:
        t0 = time.perf_counter()
        client, cluster = open_client(workers=n)
        start = time.perf_counter() - t0
        try:
            label = f"{n} worker{'s' if n > 1 else ''}"
            rows[label] = {**timed(spec, net, client=client), "cluster_s": start}
            print(label, rows[label], flush=True)
        finally:
            client.close()
            cluster.close()
    base = rows["serial"]["steady_rate"]
    one = next((r["steady_rate"] for k, r in rows.items() if k.startswith("1 ")), base)
    t = Table(title=f"{args.runs} coupled baseline-variant runs ({len(spec.chosen_inputs())} uncertain "
                    f"inputs drawn), {os.cpu_count()} cores")
    for c in ("execution", "runs", "failed", "wall s", "first run s", "runs/s (wall)", "runs/s (steady)",
              "compute s/run", "CPU s/run", "speed-up vs serial", "efficiency vs serial",
              "efficiency vs 1 worker",
              "cluster start s", "load avg (1 min, at end)"):
        t.add_column(c, justify="left" if c == "execution" else "right")
    for k, r in rows.items():
        n = int(k.split()[0]) if k[0].isdigit() else 1
        sp = r["steady_rate"] / base if base else float("nan")
        t.add_row(k, str(r["runs"]), str(r["failed"]), f"{r['total_s']:.1f}", f"{r['first_s']:.1f}",
                  f"{r['rate']:.2f}", f"{r['steady_rate']:.2f}", f"{r['compute_s']:.3f}", f"{r['cpu_s']:.3f}",
                  f"{sp:.2f}",
                  f"{sp / n:.0%}", f"{r['steady_rate'] / one / n:.0%}" if one else "-",
                  f"{r.get('cluster_s', 0.0):.1f}", f"{r['load']:.1f}")
    Console(width=220).print(t)
    two = rows.get("2 workers")
    if two:
        est = two["first_s"] + 1000 / two["steady_rate"] + two.get("cluster_s", 0.0)
        Console().print(f"a 1,000-run sweep on 2 workers: about {est / 60:.1f} min "
                        f"({'fits' if est < 1800 else 'does not fit'} in 30 min)")


if __name__ == "__main__":
    main()
