"""Benchmark: door-to-door transit-time sampling for the five Xi'an → Duisburg corridors.

    .venv/bin/python benchmarks/reliability.py [--samples 1000000] [--seed 0]

Samples N shipments on each of the five family routes (N × 5 door-to-door shipments in all)
with `sample_transit_times` and prints shipments per second. Route finding, leg tables and
the one-off Caspian simulation are built before the clock starts.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import corridor
from corridor.analysis.reliability import caspian_wait_samples, route_leg_table, sample_transit_times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    net = corridor.load_network()
    caspian_wait_samples()
    c = corridor.compare(net, "Xian", "Duisburg", objective="time")
    tables = {r.corridor: route_leg_table(net, r.route) for r in c.results if r.route is not None}
    rng = np.random.default_rng(a.seed)
    sample_transit_times(next(iter(tables.values())), 1000, rng)  # warm-up
    best = float("inf")
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        p50 = {}
        for fam, tab in tables.items():
            x = sample_transit_times(tab, a.samples, rng)
            p50[fam] = float(np.median(x)) / 24
        best = min(best, time.perf_counter() - t0)
    n = a.samples * len(tables)
    print(f"{len(tables)} corridors x {a.samples:,} shipments = {n:,} door-to-door shipments "
          f"in {best:.3f} s (best of {a.repeat})")
    print(f"{n / best:,.0f} shipments/s (sampling plus a median per corridor)")
    for fam, tab in tables.items():
        print(f"  {fam:9s} {tab.hours.size:2d} sampled columns, p50 {p50[fam]:.1f} d")


if __name__ == "__main__":
    main()
