"""Equilibrium assignment speed and memory: corridor against AequilibraE on the TNTP networks.

Runs Sioux Falls, Anaheim and Berlin-Center (read from ../shared/data/tntp; a network whose files
are absent is skipped and says so) to relative gaps 1e-4 and 1e-6 with

- corridor's gradient projection (`solve_tntp`, algorithm "gp", the default for TNTP networks),
- corridor's bi-conjugate Frank-Wolfe (`--bfw`; slow to tight gaps, as BFW is),
- AequilibraE's bi-conjugate Frank-Wolfe on both cores (when it is importable: `pip install -e '.[bench]'`),

each run in a fresh process, and prints one table: seconds and CPU seconds of all the process's
threads (best of --repeat solves in that
process, graph building included, file reading excluded, after one warm-up solve of Sioux Falls
so that neither tool's first-call costs count), iterations, the gap the tool reports, the gap
recomputed here from the flows it returned (this script's own Dijkstra, scipy's, on the same
split graph), Beckmann's objective of those flows and its difference from the best-known
flows' (when the folder has them), peak resident memory of the process (MB) and how much of it the
solves added over the process before them (data loaded, libraries imported). Ratios are taken
between rows of the same run.

    .venv/bin/python benchmarks/assignment.py                       # corridor only if no AequilibraE
    .venv/bin/python benchmarks/assignment.py --networks SiouxFalls,Anaheim --gaps 1e-4 --repeat 3
    .venv/bin/python benchmarks/assignment.py --bundled             # also the freight model's own runs

AequilibraE's reported gap uses the previous iterate's costs with the new flows, so it can
understate the true gap of its returned flows; the recomputed column is the one to compare.
Iterations are shortest-path sweeps over all origins: AequilibraE's all-or-nothing loads, corridor
gp's tree passes (block and clean passes, `assignment.gradient`). Peak memory is the whole
process's: corridor's includes numba's runtime (its import and JIT start, about 100 MB, whatever
the network), AequilibraE's its own imports; the added column is the solves' share.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from corridor.network.tntp import TntpNetwork, read_tntp

DATA = Path(__file__).resolve().parents[2] / "shared/data/tntp"
NETWORKS = ("SiouxFalls", "Anaheim", "berlin-center")


# ------------------------------------------------------------------ solvers (run in a worker process)


def run_corridor(net: TntpNetwork, rgap: float, algorithm: str) -> tuple[np.ndarray, int, float]:
    from corridor.assignment.tntp import solve_tntp

    sol = solve_tntp(net, rgap=rgap, algorithm=algorithm, max_iter=100_000)
    return sol.result.flow, sol.result.iterations, sol.result.rgap


def run_aequilibrae(net: TntpNetwork, rgap: float) -> tuple[np.ndarray, int, float]:
    from aequilibrae.matrix import AequilibraeMatrix
    from aequilibrae.paths import Graph, TrafficAssignment, TrafficClass

    links = net.links
    if net.fixed_cost.any():
        raise SystemExit("the AequilibraE run here takes time-only networks (no toll or distance weights)")
    df = pd.DataFrame({
        "link_id": np.arange(1, len(links) + 1), "a_node": links.init_node, "b_node": links.term_node,
        # it refuses links with a zero free-flow time (Berlin-Center has some): a millionth of a minute
        "direction": 1, "free_flow_time": np.maximum(links.free_flow_time, 1e-6), "capacity": links.capacity,
        "b": links.b,
        # it needs beta >= 1 where alpha is 0
        "power": np.where(links.b > 0, links.power, np.maximum(links.power, 1.0)),
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
    ta.max_iter = 100_000
    ta.rgap_target = rgap
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        ta.execute()  # its progress bars would flood the table
    res = ta.results().sort_index()
    flow = res.loc[np.arange(1, len(links) + 1), "PCE_tot"].to_numpy()
    report = ta.assignment.convergence_report
    return flow, int(report["iteration"][-1]), float(report["rgap"][-1])


SOLVERS = {"corridor gp": lambda net, gap: run_corridor(net, gap, "gp"),
           "corridor bfw": lambda net, gap: run_corridor(net, gap, "bfw"),
           "aequilibrae bfw": run_aequilibrae}


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def worker(solver: str, name: str, rgap: float, repeat: int, out: Path) -> None:
    """One tool, one network, one gap, in this (fresh) process: timings, flows and memory to `out`."""
    warm = _read(DATA, "SiouxFalls")
    net = _read(DATA, name)
    fn = SOLVERS[solver]
    fn(warm, 1e-3)  # first-call costs (imports, compiled code) are not the solve's
    before = _rss_mb()
    times, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        flow, iters, gap = fn(net, rgap)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    np.save(out.with_suffix(".npy"), flow)
    out.write_text(json.dumps({"seconds": min(times), "cpu_seconds": min(cpu), "iterations": iters,
                               "reported_gap": gap, "peak_mb": peak, "added_mb": peak - before}))


# ------------------------------------------------------------------ independent checks (parent process)


def _read(folder: Path, name: str) -> TntpNetwork:
    flow = folder / f"{name}_flow.tntp"
    return read_tntp(folder / f"{name}_net.tntp", folder / f"{name}_trips.tntp",
                     flow if flow.exists() else None)


def link_cost(net: TntpNetwork, x: np.ndarray) -> np.ndarray:
    lk = net.links
    cap = lk.capacity.to_numpy(float)
    ratio = np.where(cap > 0, np.maximum(x, 0) / np.where(cap > 0, cap, 1), 0.0)
    return net.fixed_cost + lk.free_flow_time.to_numpy(float) * (1 + lk.b.to_numpy(float)
                                                                  * ratio ** lk.power.to_numpy(float))


def beckmann(net: TntpNetwork, x: np.ndarray) -> float:
    lk = net.links
    t0, cap, b, p = (lk[c].to_numpy(float) for c in ("free_flow_time", "capacity", "b", "power"))
    safe = np.where(cap > 0, cap, 1.0)
    integral = t0 * (x + b * safe / (p + 1) * np.where(cap > 0, (np.maximum(x, 0) / safe) ** (p + 1), 0))
    return float(integral.sum() + net.fixed_cost @ x)


def relative_gap(net: TntpNetwork, x: np.ndarray, batch: int = 64) -> float:
    """(TSTT − SPTT) / TSTT of flows `x`, with scipy's Dijkstra on this script's own split graph (zones
    below the first through node get a source copy that owns their outgoing links)."""
    lk = net.links
    u, v = lk.init_node.to_numpy() - 1, lk.term_node.to_numpy() - 1
    n, z = net.n_nodes, net.n_zones
    blocked = np.arange(net.first_thru_node - 1)
    copy = np.full(n, -1)
    copy[blocked] = n + np.arange(len(blocked))
    tail = np.where(copy[u] >= 0, copy[u], u)
    c = link_cost(net, x)
    order = np.lexsort((c, v, tail))  # the cheapest of parallel links first: keep it
    first = np.r_[True, (tail[order][1:] != tail[order][:-1]) | (v[order][1:] != v[order][:-1])]
    keep = order[first]
    size = n + len(blocked)
    w = np.maximum(c[keep], 1e-300)  # scipy drops explicit zeros; a zero-cost link still is one
    mat = csr_matrix((w, (tail[keep], v[keep])), shape=(size, size))
    origins = np.where(copy[:z] >= 0, copy[:z], np.arange(z))
    demand = net.demand.copy()
    np.fill_diagonal(demand, 0)
    sptt = 0.0
    for s in range(0, z, batch):
        dist = dijkstra(mat, indices=origins[s:s + batch])[:, :z]
        q = demand[s:s + batch]
        sptt += float((q[q > 0] * dist[q > 0]).sum())
    tstt = float(c @ x)
    return (tstt - sptt) / tstt


# ------------------------------------------------------------------ the table


def aequilibrae_installed() -> bool:
    probe = "import aequilibrae.paths"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--networks", default=",".join(NETWORKS))
    ap.add_argument("--gaps", default="1e-4,1e-6")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--bfw", action="store_true", help="also corridor's bi-conjugate Frank-Wolfe")
    ap.add_argument("--bundled", action="store_true", help="also the bundled freight model's own runs")
    ap.add_argument("--worker", nargs=5, metavar=("SOLVER", "NETWORK", "GAP", "REPEAT", "OUT"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        s, name, gap, repeat, out = args.worker
        worker(s, name, float(gap), int(repeat), Path(out))
        return
    solvers = ["corridor gp"] + (["corridor bfw"] if args.bfw else [])
    if aequilibrae_installed():
        solvers.append("aequilibrae bfw")
    else:
        print("AequilibraE is not installed (pip install -e '.[bench]'): corridor rows only")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.networks.split(","):
            if not (DATA / f"{name}_net.tntp").exists() or not (DATA / f"{name}_trips.tntp").exists():
                print(f"{name}: skipped, {name}_net.tntp and {name}_trips.tntp are not in {DATA}")
                continue
            net = _read(DATA, name)
            best = None if net.flow is None else beckmann(net, net.flow["volume"].to_numpy(float))
            for gap in (float(g) for g in args.gaps.split(",")):
                for s in solvers:
                    out = Path(tmp) / f"{name}-{gap:g}-{s.replace(' ', '_')}.json"
                    cmd = [sys.executable, __file__, "--worker", s, name, str(gap), str(args.repeat),
                           str(out)]
                    done = subprocess.run(cmd, capture_output=True, text=True)
                    if done.returncode != 0:
                        rows.append({"network": name, "gap": gap, "solver": s,
                                     "error": (done.stderr.strip().splitlines() or ["failed"])[-1][:80]})
                        continue
                    r = json.loads(out.read_text())
                    flow = np.load(out.with_suffix(".npy"))
                    obj = beckmann(net, flow)
                    rows.append({"network": name, "gap": gap, "solver": s, "seconds": r["seconds"],
                                 "cpu_seconds": r["cpu_seconds"], "iterations": r["iterations"],
                                 "reported_gap": r["reported_gap"],
                                 "recomputed_gap": relative_gap(net, flow), "objective": obj,
                                 "vs_best_known": None if best is None else (obj - best) / best,
                                 "peak_mb": r["peak_mb"], "added_mb": r["added_mb"]})
    df = pd.DataFrame(rows)
    print(f"best of {args.repeat} solves per fresh process; gap recomputed from the returned flows")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(df.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if {"corridor gp", "aequilibrae bfw"} <= set(df.get("solver", [])) and "seconds" in df:
        print()
        print(ratios(df).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if args.bundled:
        print()
        print(corridor_network_table(args.repeat))


def ratios(df: pd.DataFrame) -> pd.DataFrame:
    """AequilibraE's time and memory over corridor's (gp), per network and gap, from the same run."""
    ok = df.dropna(subset=["seconds"])
    a = ok[ok.solver == "aequilibrae bfw"].set_index(["network", "gap"])
    c = ok[ok.solver == "corridor gp"].set_index(["network", "gap"])
    both = a.index.intersection(c.index)
    return pd.DataFrame({
        "network": [i[0] for i in both], "gap": [f"{i[1]:.0e}" for i in both],
        "speedup (aeq s / corridor s)": (a.loc[both, "seconds"] / c.loc[both, "seconds"]).to_numpy(),
        "cpu ratio (aeq / corridor)": (a.loc[both, "cpu_seconds"] / c.loc[both, "cpu_seconds"]).to_numpy(),
        "peak MB ratio (corridor / aeq)": (c.loc[both, "peak_mb"] / a.loc[both, "peak_mb"]).to_numpy(),
        "added MB ratio (corridor / aeq)": (c.loc[both, "added_mb"] / a.loc[both, "added_mb"]).to_numpy(),
    })


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
