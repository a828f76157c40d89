"""Benchmark: close every link of the bundled network in turn and re-assign the 2024 demand.

    .venv/bin/python benchmarks/criticality.py [--cold 5] [--seed 0] [--top 10]

Warm start: the baseline route set (built once, before the clock starts) minus the routes
that use the closed link (`ChoiceSet.without`), then `corridor.assign(..., routes=...,
unserved="report")`: no route search per closure. Each closure records the TEU left without
a route and the change in the total generalized cost of the assigned demand.

Cold comparison, for a random sample of links: the link's status set to closed in a new
network, a route set searched from scratch under it, and the same assignment; the script
prints both times and how far the warm answer is from the cold one. Target: all links in
under 60 s on this project's 2-core machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import corridor
from corridor.assignment.choice_sets import choice_set
from corridor.assignment.welfare import demand_classes, od_pairs
from corridor.network.policy import Policy


def _summary(res) -> tuple[float, float]:
    """(TEU left without a route, total generalized USD a year of the assigned demand)."""
    lost = float(res.unserved["teu"].sum()) if res.unserved is not None and len(res.unserved) else 0.0
    p = res.paths
    return lost, float((p["teu"] * p["generalized_usd"]).sum())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cold", type=int, default=5, help="links re-assigned cold for comparison")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--top", type=int, default=10, help="most critical links to print")
    a = ap.parse_args()

    net = corridor.load_network()
    demand = corridor.load_demand()
    policy = Policy()
    classes = demand_classes(demand)
    pairs = od_pairs(net, demand, classes)
    t0 = time.perf_counter()
    rs = choice_set(net, pairs, policy=policy, commodities=classes, missing="skip")
    t_routes = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = corridor.assign(net, demand, policy=policy, routes=rs, unserved="report")
    t_base = time.perf_counter() - t0
    base_lost, base_cost = _summary(base)
    print(f"bundled network: {len(net.links)} links, {net.graph.n_edges} compiled edges; "
          f"{len(pairs)} OD pairs, {len(rs)} routes")
    print(f"set-up (not timed below): route set {t_routes:.2f} s, baseline assignment {t_base:.3f} s "
          f"({base.iterations} iterations)")

    g = net.graph
    n = len(net.links)
    times = np.zeros(n)
    lost = np.zeros(n)
    extra = np.zeros(n)
    iters = np.zeros(n, dtype=int)
    clock = time.perf_counter()
    for li in range(n):
        t0 = time.perf_counter()
        rs2 = rs.without(g.link == li)
        res = corridor.assign(net, demand, policy=policy, routes=rs2, unserved="report")
        times[li] = time.perf_counter() - t0
        lo, cost = _summary(res)
        lost[li], extra[li], iters[li] = lo - base_lost, cost - base_cost, res.iterations
    total = time.perf_counter() - clock
    verdict = "meets" if total < 60 else "misses"
    print(f"\nwarm start: {n} closures in {total:.1f} s ({verdict} the 60 s target); per closure "
          f"mean {times.mean() * 1000:.0f} ms, median {np.median(times) * 1000:.0f} ms, "
          f"max {times.max() * 1000:.0f} ms; mean {iters.mean():.1f} iterations")

    ids = net.links["link_id"].to_numpy()
    names = net.links["name"].to_numpy()
    order = np.lexsort((-extra, -lost))[: a.top]
    print("\nmost critical links (TEU/yr left without a route, then extra generalized USD m/yr):")
    for li in order:
        print(f"  {ids[li]:32s} {names[li][:40]:40s} {lost[li]:>12,.0f} TEU {extra[li] / 1e6:>10,.1f} USD m")

    rng = np.random.default_rng(a.seed)
    sample = rng.choice(n, size=min(a.cold, n), replace=False)
    print(f"\ncold re-assignment (fresh route search under the closure) for {len(sample)} sampled links:")
    print(f"  {'link':32s} {'warm ms':>8s} {'cold ms':>9s} {'speed-up':>9s} {'warm-cold lost TEU':>19s} "
          f"{'warm-cold cost %':>17s}")
    cold_times = []
    for li in sample:
        links = net.raw_links.copy()
        links.loc[links["link_id"] == ids[li], "status"] = "closed"
        t0 = time.perf_counter()
        net_x = net.with_tables(links=links)
        rs_x = choice_set(net_x, pairs, policy=policy, commodities=classes, missing="skip")
        res = corridor.assign(net_x, demand, policy=policy, routes=rs_x, unserved="report")
        tc = time.perf_counter() - t0
        cold_times.append(tc)
        lo, cost = _summary(res)
        d_lost = lost[li] - (lo - base_lost)
        d_cost = (extra[li] - (cost - base_cost)) / base_cost * 100
        print(f"  {ids[li]:32s} {times[li] * 1000:8.0f} {tc * 1000:9.0f} {tc / times[li]:8.0f}x "
              f"{d_lost:19,.0f} {d_cost:16.3f}%")
    ct = float(np.mean(cold_times))
    print(f"\ncold: {ct:.2f} s per closure on average, so all {n} links would take about "
          f"{ct * n / 60:.0f} min; warm: {times.mean():.3f} s ({ct / times.mean():.0f}x faster)")


if __name__ == "__main__":
    main()
