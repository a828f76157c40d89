"""Running a scenario: its demand assigned in its world, summarised per corridor, country and link,
and recorded in the run store."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..assignment.results import FlowResult
from ..caspian.config import CaspianConfig
from ..errors import CorridorError
from ..folders import Writable
from ..output import Document, Output, Table, TextFile, json_safe
from ..vocabulary import METHODS
from .apply import AppliedScenario, apply_scenario
from .validate import Scenario, load_scenario

CORRIDOR_COLUMNS = ("corridor", "teu", "share", "mean_days", "p90_days", "usd_per_teu")

# what `ScenarioResult.write` writes by default, the manifest (written last) included
RESULT_FILES = ("summary.json", "corridors.csv", "countries.csv", "links.csv", "links.parquet",
                "nodes.csv", "scenario.yaml", "manifest.json")


def default_method() -> str:
    """`sue` (route-based: gives days and cost per corridor) when the assignment has it, else `ue`."""
    return "sue" if "sue" in METHODS else "ue"


def corridor_table(flows) -> pd.DataFrame:
    """Per corridor family: TEU, share and, where the method gives them, mean/p90 days and USD/TEU."""
    if hasattr(flows, "corridor_summary"):
        df = flows.corridor_summary().copy()
    else:
        total = sum(flows.corridors.values())
        df = pd.DataFrame([{"corridor": k, "teu": v, "share": v / total if total else 0.0}
                           for k, v in flows.corridors.items()])
    for c in CORRIDOR_COLUMNS:
        if c not in df.columns:
            df[c] = np.nan
    return df[list(CORRIDOR_COLUMNS)].reset_index(drop=True)


def free_flow_days(flows, net, demand_teu: float) -> float:
    """Free-flow hours of the loaded network, weighted by the assigned flows, per TEU of demand, in days.

    Links' running time and scheduled waits (`hours`), nodes' border dwell and transshipment
    handling, at their fixed values: the assignment's queue delay is not in it.
    """
    if demand_teu <= 0:
        return math.nan
    lk = flows.links.set_index("link_id")["flow_teu"].reindex(net.links["link_id"]).fillna(0.0)
    hours = float((lk.to_numpy() * net.links["hours"].to_numpy(float)).sum())
    nd = flows.nodes.set_index("node_id").reindex(net.nodes["node_id"])
    if "flow_teu" in nd:
        dwell = net.nodes["dwell_hours"].to_numpy(float)
        hours += float((nd["flow_teu"].fillna(0.0).to_numpy() * dwell).sum())
    if "transshipped_teu" in nd:
        ts = np.nan_to_num(net.nodes["transship_hours"].to_numpy(float))
        hours += float((nd["transshipped_teu"].fillna(0.0).to_numpy() * ts).sum())
    return hours / demand_teu / 24.0


def _weighted(df: pd.DataFrame, col: str) -> float:
    ok = df[col].notna() & (df["teu"] > 0)
    return float(np.average(df.loc[ok, col], weights=df.loc[ok, "teu"])) if ok.any() else math.nan


@dataclass(frozen=True, eq=False)
class ScenarioResult(Writable):
    """One assigned scenario: its inputs (applied), the flows, and a summary per corridor."""

    name: str
    scenario: Scenario
    applied: AppliedScenario
    flows: FlowResult
    method: str
    seconds: float
    corridors: pd.DataFrame = field(repr=False)
    run_id: str | None = None
    caspian: dict | None = None  # simulated waits per port at the demand of the Caspian data
    inputs: dict = field(default_factory=dict, repr=False)  # network, assignment and simulation settings

    @property
    def countries(self) -> dict[str, float]:
        return dict(self.flows.countries)

    def totals(self) -> dict:
        """Demand, corridor TEU, mean days and USD/TEU over all cargo.

        `mean_days` and `usd_per_teu` come from the routes (TEU-weighted over corridors; NaN
        for methods without routes); `free_flow_days` works for every method: the free-flow
        hours (running, scheduled waits, border dwell, handling; no queue delay) of the loaded
        links and nodes, weighted by their flows, per TEU of demand (see `free_flow_days`).
        """
        tot = self.applied.demand.total()
        return {"demand_teu": tot["teu"], "demand_t": tot["t"],
                "corridor_teu": float(self.corridors["teu"].sum()),
                "mean_days": _weighted(self.corridors, "mean_days"),
                "usd_per_teu": _weighted(self.corridors, "usd_per_teu"),
                "free_flow_days": free_flow_days(self.flows, self.applied.network, tot["teu"])}

    def to_dict(self) -> dict:
        f = self.flows
        over = f.over_capacity() if hasattr(f, "over_capacity") else pd.DataFrame()
        return json_safe({
            "scenario": self.name, "description": self.scenario.description, "year": self.scenario.year,
            "chain": list(self.scenario.chain), "method": self.method, "seconds": round(self.seconds, 3),
            "run_id": self.run_id,
            "policy": self.applied.policy.to_dict(), "changes": list(self.applied.changes),
            "month": self.scenario.month,
            "caspian_lines": self.applied.caspian_lines(),
            "caspian": self.caspian,
            "rgap": f.rgap, "iterations": f.iterations, "converged": f.converged,
            "totals": self.totals(),
            "corridors": self.corridors.round(4).to_dict(orient="records"),
            "countries_teu": {k: round(v, 1) for k, v in sorted(self.countries.items())},
            "over_90pct": over.round(3).to_dict(orient="records"),
        })

    def parameters(self) -> dict:
        """What the run depended on: the merged scenario, the network, the method with its
        parameters and keyword arguments, and the Caspian simulation's replications and seed."""
        from dataclasses import asdict

        params = self.flows.params
        return json_safe({
            "method": self.method,
            "scenario": self.scenario.model_dump(by_alias=True, mode="json", exclude={"base"}),
            "chain": list(self.scenario.chain),
            "network": self.inputs.get("network"),
            "assignment": {"method": self.method, "kwargs": self.inputs.get("assign_kwargs", {}),
                           "params": asdict(params) if params is not None else None},
            "caspian_simulation": self.inputs.get("caspian_simulation"),
        })

    def to_frame(self) -> pd.DataFrame:
        """One row per corridor family: TEU, share, mean and p90 days, USD/TEU (corridors.csv)."""
        return self.corridors.copy()

    def outputs(self, net=None) -> list[Output]:
        """What `write` writes (`RESULT_FILES`): the summary JSON (`to_dict()`), the corridor, country,
        link (CSV and Parquet; GeoJSON when asked, with the links' shapes) and node tables, and
        the scenario as merged. The links' shapes are the scenario's network's (`net` is ignored)."""
        net = self.applied.network

        def countries() -> pd.DataFrame:
            return pd.DataFrame(sorted(self.countries.items()), columns=["country", "teu_entering"])

        def shapes() -> list:
            return [net.link_coords(i) for i in range(len(self.flows.links))]

        same = net is not None and len(net.links) == len(self.flows.links)
        return [Document(RESULT_FILES[0], self.to_dict), Table("corridors", self.corridors),
                Table("countries", countries),
                Table("links", self.flows.links, ("csv", "parquet"), shapes if same else None),
                Table("nodes", self.flows.nodes), TextFile("scenario.yaml", self.scenario.to_yaml)]


_SIMULATED: list[tuple[object, int, int, object]] = []  # (config, replications, seed, result), newest last


def _simulated(config, replications: int, seed: int):
    """A year of the crossing simulated once per configuration (fleet, ports, sea level, handling:
    equal configurations, one run), replications and seed: two scenarios on one crossing, or a
    scenario on the 2024 crossing, share it."""
    from ..caspian.simulate import simulate

    for cfg, r, s, res in reversed(_SIMULATED):
        if r == replications and s == seed and cfg == config:
            return res
    res = simulate(config, days=365, replications=replications, seed=seed)
    _SIMULATED.append((config, replications, seed, res))
    del _SIMULATED[:-8]
    return res


@lru_cache(maxsize=8)
def baseline_waits(replications: int, seed: int) -> dict[str, float]:
    """Mean wait per port of the 2024 crossing (simulated once per replications and seed)."""
    from ..caspian.config import baseline_config

    return dict(_simulated(baseline_config(), replications, seed).mean_wait_hours)


def _at_assigned(config: CaspianConfig, flows: FlowResult | None) -> CaspianConfig | None:
    """The crossing with each line's assigned westbound volume in place of the data's, or None when
    the assignment kept no queue table or no Caspian line."""
    q = None if flows is None else flows.queues
    if q is None:
        return None
    lines = q[(q["service"] != "") & (q["direction"] == "forward")].set_index("service")["load"]
    return None if lines.empty else config.with_volumes(lines.to_dict())


def caspian_waits(applied: AppliedScenario, *, replications: int = 20, seed: int = 0,
                  flows: FlowResult | None = None) -> dict | None:
    """Simulated Caspian waits for a scenario with a `caspian:` section, next to the 2024 crossing.

    The simulation (corridor.caspian) runs the Caspian data's own 2024 volumes through the
    scenario's fleet and ports at its sea level: how the crossing copes with today's cargo. With
    `flows`, it also runs the volumes the assignment sent across each line (what the scenario's
    shippers chose at the curves' waits and the slot prices): the loop closed the other way (lines
    the network does not carry, the trucks' Ro-Ro, keep the data's volumes). The 2024 crossing's
    waits are simulated once per (replications, seed) and kept.
    """
    if applied.caspian is None or replications <= 0:
        return None
    base = baseline_waits(int(replications), int(seed))
    scn = _simulated(applied.caspian, int(replications), int(seed))
    assigned_cfg = _at_assigned(applied.caspian, flows)
    assigned = None if assigned_cfg is None else _simulated(assigned_cfg, int(replications), int(seed))
    ports = {p: {"mean_wait_hours_2024": round(base[p], 2),
                 "mean_wait_hours": round(scn.mean_wait_hours[p], 2),
                 "p90_wait_hours": round(scn.p90_wait_hours[p], 2),
                 "mean_wait_hours_assigned": (round(assigned.mean_wait_hours[p], 2) if assigned is not None
                                              else None)}
             for p in scn.mean_wait_hours}
    return {"sea_level_m": applied.caspian.sea_level_m, "replications": replications, "seed": seed,
            "ports": ports, "excluded_vessels": list(scn.excluded_vessels),
            "still_waiting_share": {k: round(v, 3) for k, v in scn.censored_share.items()}}


def _network_inputs(network) -> tuple[object, dict]:
    """The network to use (loaded if a folder is given) and how to name it in a run's parameters."""
    from ..network.io import load_network
    from ..network.tables import Network

    if network is None:
        net = load_network()
        return None, {"folder": None, "bundled": True, "name": net.name,
                      "nodes": len(net.nodes), "links": len(net.links)}
    if isinstance(network, Network):
        return network, {"folder": None, "bundled": network is load_network(), "name": network.name,
                         "nodes": len(network.nodes), "links": len(network.links)}
    net = load_network(network)
    return net, {"folder": str(Path(network).resolve()), "bundled": False, "name": net.name,
                 "nodes": len(net.nodes), "links": len(net.links)}


def record_run(result: ScenarioResult, *, home: str | Path | None = None) -> ScenarioResult:
    """Store a run in the run history (`corridor.store`); the result with its run id.

    Raises CorridorError when the history cannot be written (e.g. another process holds it).
    """
    from ..store import RunStore

    with RunStore(home=home) as store:
        rid = store.record(result)
    return replace(result, run_id=rid)


def run_scenario(name_or_path, *, method: str | None = None, network=None, record: bool = False,
                 home: str | Path | None = None, caspian_replications: int = 20, caspian_seed: int = 0,
                 **assign_kwargs) -> ScenarioResult:
    """Load, apply and assign a scenario (`corridor.assign` with its network, demand and policy).

    `network` is a Network, a network folder, or None for the bundled one. `method` defaults
    to `sue` where available (it gives days and USD per corridor), else `ue`. A scenario with
    a `caspian:` section also simulates the crossing (`caspian_replications` years from
    `caspian_seed`; 0 skips it). With `record=True` the run is stored in the run history
    (`corridor.store`, under `home`); if the history cannot be written, a RuntimeWarning says
    so and the result comes back without a run id.
    """
    from ..assignment.freight import assign

    t0 = time.perf_counter()
    network, net_info = _network_inputs(network)
    scn = name_or_path if isinstance(name_or_path, Scenario) else load_scenario(name_or_path, network=network)
    applied = apply_scenario(scn, network=network)
    method = method or default_method()
    flows = assign(applied.network, applied.demand, method=method, world=applied.world, **assign_kwargs)
    casp = caspian_waits(applied, replications=caspian_replications, seed=caspian_seed, flows=flows)
    inputs = {"network": net_info, "assign_kwargs": dict(assign_kwargs),
              "caspian_simulation": ({"replications": caspian_replications, "seed": caspian_seed}
                                     if casp is not None else None)}
    res = ScenarioResult(scn.name, scn, applied, flows, method, time.perf_counter() - t0,
                         corridor_table(flows), None, casp, inputs)
    if record:
        try:
            res = record_run(res, home=home)
        except CorridorError as exc:
            warnings.warn(f"the run was not recorded: {exc}", RuntimeWarning, stacklevel=2)
    return res
