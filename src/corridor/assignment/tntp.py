"""User equilibrium on a TNTP benchmark network: the engine on the network's own BPR links and
generalized cost, checked against the best-known flows when the folder has them.

    >>> sol = solve_tntp("../shared/data/tntp/SiouxFalls")        # DIR/NAME: NAME_net.tntp, ...
    >>> sol.summary()                                            # gap, iterations, objective, vs best

`corridor assign --tntp DIR/NAME` prints `summary()`; `to_frame()` gives the link flows and
`write(folder)` both, whole or not at all (`--out`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CorridorError
from ..folders import Writable
from ..network.tntp import TntpNetwork, read_tntp
from ..output import Document, Output, Table
from .engine import ALGORITHMS, AssignmentResult, assign, bpr_integral


@dataclass(frozen=True)
class TntpSolution(Writable):
    """An equilibrium of a TNTP network, and how it compares with the best-known flows."""

    network: TntpNetwork
    result: AssignmentResult
    algorithm: str
    seconds: float  # solving, reading excluded

    @property
    def objective(self) -> float:
        """Beckmann's objective with the generalized cost's fixed part (Σ fixed·x + ∫ BPR)."""
        return _objective(self.network, self.result.flow)

    def best_known_objective(self) -> float | None:
        f = self.network.flow
        return None if f is None else _objective(self.network, f["volume"].to_numpy(dtype=float))

    def summary(self) -> dict:
        r, net = self.result, self.network
        out = {"network": net.name, "zones": net.n_zones, "nodes": net.n_nodes, "links": len(net.links),
               "algorithm": self.algorithm, "rgap": r.rgap, "converged": r.converged,
               "iterations": r.iterations, "objective": self.objective, "seconds": self.seconds,
               "toll_factor": net.toll_factor, "distance_factor": net.distance_factor}
        best, known = self.best_known_objective(), net.flow
        if best is not None and known is not None:
            v = known["volume"].to_numpy(dtype=float)
            dev = np.abs(r.flow - v)
            out.update({"best_known_objective": best,
                        "objective_rel_diff": (self.objective - best) / best if best else float("nan"),
                        "max_flow_diff": float(dev.max()) if len(dev) else 0.0,
                        "links_off_1pct": int((dev > 0.01 * np.maximum(v, 1.0)).sum())})
        return out

    def outputs(self, net: object = None) -> list[Output]:
        """What `write` puts in a folder: the link flows (CSV) and `summary()` as summary.json."""
        return [Table("link_flows", self.to_frame, ("csv",)), Document("summary.json", self.summary)]

    def to_frame(self) -> pd.DataFrame:
        """One row per link, in file order: its nodes, flow and generalized cost at that flow."""
        lk = self.network.links
        df = pd.DataFrame({"init_node": lk["init_node"], "term_node": lk["term_node"],
                           "flow": self.result.flow, "cost": np.asarray(self.result.cost)})
        if self.network.flow is not None:
            df["best_known_flow"] = self.network.flow["volume"].to_numpy(dtype=float)
        return df


def solve_tntp(source: TntpNetwork | str | Path, *, rgap: float = 1e-4, max_iter: int = 10_000,
               algorithm: str = "gp", toll_factor: float | None = None,
               distance_factor: float | None = None) -> TntpSolution:
    """User equilibrium of a TNTP network: a `TntpNetwork`, or `DIR/NAME` naming the files
    NAME_net.tntp and NAME_trips.tntp (NAME_flow.tntp, the best-known flows, when present).

    The cost is the network's generalized cost (`read_tntp`: its documented toll and distance
    weights unless given). `algorithm` "gp" (gradient projection, the default) or any of the
    engine's Frank-Wolfe variants ("bfw", "cfw", "fw")."""
    if algorithm not in ALGORITHMS:
        raise CorridorError(f"unknown algorithm '{algorithm}'; choose one of {', '.join(ALGORITHMS)}")
    if not (rgap > 0 and max_iter >= 1):
        raise CorridorError("rgap must be > 0 and max_iter >= 1")
    net = source if isinstance(source, TntpNetwork) else read_tntp_folder(
        source, toll_factor=toll_factor, distance_factor=distance_factor)
    if not net.demand.any():
        raise CorridorError(f"TNTP network {net.name or ''} has no trips to assign")
    lk = net.links
    t = time.perf_counter()
    res = assign(lk["init_node"].to_numpy() - 1, lk["term_node"].to_numpy() - 1, lk["free_flow_time"],
                 lk["capacity"], lk["b"], lk["power"], net.demand, n_nodes=net.n_nodes,
                 no_through=np.arange(net.first_thru_node - 1), rgap=rgap, max_iter=max_iter,
                 algorithm=algorithm, fixed_cost=net.fixed_cost)
    return TntpSolution(net, res, algorithm, time.perf_counter() - t)


def read_tntp_folder(source: str | Path, *, toll_factor: float | None = None,
                     distance_factor: float | None = None) -> TntpNetwork:
    """`DIR/NAME` as a TNTP network: NAME_net.tntp and NAME_trips.tntp (required), NAME_flow.tntp
    (best-known flows) when present. File names match NAME in any case (berlin-center, SiouxFalls)."""
    p = Path(source)
    folder, name = p.parent, p.name
    if not folder.is_dir():
        raise CorridorError(f"no folder {folder}")
    files = {f.name.lower(): f for f in folder.iterdir()}

    def find(kind: str) -> Path | None:
        return files.get(f"{name}_{kind}.tntp".lower())

    net_file, trips = find("net"), find("trips")
    if net_file is None or trips is None:
        have = sorted({f.name[: -len("_net.tntp")] for f in folder.iterdir() if f.name.endswith("_net.tntp")})
        raise CorridorError(f"no {name}_net.tntp and {name}_trips.tntp in {folder}"
                            + (f"; networks there: {', '.join(have)}" if have else ""))
    return read_tntp(net_file, trips, find("flow"), toll_factor=toll_factor, distance_factor=distance_factor)


def _objective(net: TntpNetwork, flow: np.ndarray) -> float:
    lk = net.links
    par = (lk["free_flow_time"].to_numpy(float), lk["capacity"].to_numpy(float), lk["b"].to_numpy(float),
           lk["power"].to_numpy(float))
    return float(bpr_integral(flow, *par).sum() + net.fixed_cost @ flow)
