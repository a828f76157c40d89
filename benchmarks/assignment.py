"""Equilibrium assignment speed: corridor's bi-conjugate Frank-Wolfe against AequilibraE's.

Runs Sioux Falls and Anaheim (TNTP, from ../shared/data/tntp) to a relative gap of
1e-4 and prints one table: wall time (best of --repeat, graph build and all
iterations included, file reading excluded), iterations, reached gap, Beckmann
objective and its relative error against the best-known flows, and the largest
link-flow deviation from them and how many links are off by more than 1 %.
AequilibraE runs the same networks with its BFW in the same process when it is
importable; it is not a corridor dependency, so install it in a throwaway venv that
can also import corridor, e.g.

    python3 -m venv /tmp/aeq && /tmp/aeq/bin/pip install aequilibrae -e .
    /tmp/aeq/bin/python benchmarks/assignment.py

    .venv/bin/python benchmarks/assignment.py     # corridor only ("not installed")
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from corridor.assignment.engine import assign, bpr_integral
from corridor.network.tntp import TntpNetwork, read_tntp

DATA = Path(__file__).resolve().parents[2] / "shared/data/tntp"
NETWORKS = ("SiouxFalls", "Anaheim")

try:  # optional peer; see the module docstring
    from aequilibrae.matrix import AequilibraeMatrix
    from aequilibrae.paths import Graph, TrafficAssignment, TrafficClass
except ImportError:  # pragma: no cover - depends on the environment
    AequilibraeMatrix = None


def run_corridor(net: TntpNetwork, rgap: float) -> tuple[np.ndarray, int, float]:
    links = net.links
    r = assign(links.init_node - 1, links.term_node - 1, links.free_flow_time, links.capacity, links.b,
               links.power, net.demand, n_nodes=net.n_nodes, no_through=np.arange(net.first_thru_node - 1),
               rgap=rgap, max_iter=10_000)
    return r.flow, r.iterations, r.rgap


def run_aequilibrae(net: TntpNetwork, rgap: float) -> tuple[np.ndarray, int, float]:
    links = net.links
    df = pd.DataFrame({
        "link_id": np.arange(1, len(links) + 1), "a_node": links.init_node, "b_node": links.term_node,
        "direction": 1, "free_flow_time": links.free_flow_time, "capacity": links.capacity,
        "b": links.b, "power": links.power,
    })
    g = Graph()
    g.network = df
    g.prepare_graph(np.arange(1, net.n_zones + 1), remove_dead_ends=False)
    g.set_graph("free_flow_time")
    g.set_skimming([])
    g.set_blocked_centroid_flows(net.first_thru_node > 1)
    mat = AequilibraeMatrix()
    mat.create_empty(zones=net.n_zones, matrix_names=["demand"], memory_only=True)
    mat.index[:] = np.arange(1, net.n_zones + 1)
    mat.matrices[:, :, 0] = net.demand
    mat.computational_view(["demand"])
    ta = TrafficAssignment()
    ta.set_classes([TrafficClass("car", g, mat)])
    ta.set_vdf("BPR")
    ta.set_vdf_parameters({"alpha": "b", "beta": "power"})
    ta.set_capacity_field("capacity")
    ta.set_time_field("free_flow_time")
    ta.set_algorithm("bfw")
    ta.set_cores(os.cpu_count() or 1)
    ta.max_iter = 10_000
    ta.rgap_target = rgap
    with contextlib.redirect_stderr(io.StringIO()):  # its progress bars would flood the table
        ta.execute()
    res = ta.results().sort_index()
    flow = res.loc[np.arange(1, len(links) + 1), "PCE_tot"].to_numpy()
    report = ta.assignment.convergence_report
    return flow, int(report["iteration"][-1]), float(report["rgap"][-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rgap", type=float, default=1e-4)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    solvers = {"corridor bfw": run_corridor}
    if AequilibraeMatrix is not None:
        solvers["aequilibrae bfw"] = run_aequilibrae
    rows = []
    for name in NETWORKS:
        if not (DATA / f"{name}_net.tntp").exists():
            print(f"{name}: not found in {DATA}, skipped")
            continue
        net = read_tntp(DATA / f"{name}_net.tntp", DATA / f"{name}_trips.tntp", DATA / f"{name}_flow.tntp")
        best = net.flow["volume"].to_numpy()
        lk = net.links
        par = (lk.free_flow_time.to_numpy(), lk.capacity.to_numpy(), lk.b.to_numpy(), lk.power.to_numpy())
        best_obj = float(bpr_integral(best, *par).sum())
        for solver, fn in solvers.items():
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                flow, iters, gap = fn(net, args.rgap)
                times.append(time.perf_counter() - t)
            obj = float(bpr_integral(flow, *par).sum())
            dev = np.abs(flow - best)
            rows.append({"network": name, "solver": solver, "seconds": f"{min(times):.3f}",
                         "iterations": str(iters), "rgap": f"{gap:.2e}", "objective": f"{obj:.1f}",
                         "obj_rel_err": f"{(obj - best_obj) / best_obj:.1e}",
                         "max_dev_veh": f"{dev.max():.1f}",
                         "links_off_1pct": f"{int((dev > 0.01 * best).sum())}/{len(best)}"})
        if AequilibraeMatrix is None:
            rows.append({"network": name, "solver": "aequilibrae bfw", "seconds": "not installed"})
    print(f"target rgap {args.rgap:g}; seconds = best of {args.repeat}; deviations against *_flow.tntp")
    print(pd.DataFrame(rows).fillna("").to_string(index=False))
    print()
    print(corridor_network_table(args.repeat))


def corridor_network_table(repeat: int) -> pd.DataFrame:
    """The bundled network and 2024 demand, each method: cold (route set built) and warm calls.

    No peer runs freight classes, shared queues and path-size logit on this network, so the
    table is corridor's own; it is here to show where the time goes.
    """
    import corridor

    net, dem = corridor.load_network(), corridor.load_demand()
    rows = []
    for method in ("aon", "ue", "sue"):
        net.cache.clear()
        t = time.perf_counter()
        res = corridor.assign(net, dem, method=method)
        cold = time.perf_counter() - t
        warm = []
        for _ in range(repeat):
            t = time.perf_counter()
            corridor.assign(net, dem, method=method)
            warm.append(time.perf_counter() - t)
        rows.append({"bundled 2024": method, "cold s": f"{cold:.2f}", "warm s": f"{min(warm):.3f}",
                     "iterations": res.iterations, "rgap": f"{res.rgap:.1e}",
                     "routes": "" if res.paths is None else len(res.paths)})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    main()
