"""Sweeps: many runs of one question, over a grid of levers and draws of the uncertain inputs, on Dask.

    >>> from corridor.analysis.sweeps import SweepSpec, sweep
    >>> spec = SweepSpec(levers={"sea_level": [-29.35, -30.35], "red_sea": ["open", "closed"]}, draws=50)
    >>> res = sweep(spec, "out/sea-x-redsea")          # a LocalCluster with a worker per core
    >>> res.table[["lever.sea_level", "lever.red_sea", "teu.middle"]]

A sweep is the product of named **levers** (each a scenario overlay on the question's scenario:
`sea_level` in m on the Baltic datum, `fleet` vessels added, `sanctions` off/avoid/a USD premium on
entering Russia and Belarus, `red_sea` open/closed/a USD war-risk premium, `demand_growth` a factor
on every OD cell) and **draws** of the uncertain inputs (`uncertain_inputs`: a Latin hypercube or
Sobol sequence from `seed`). Every run is one full answer of the question (`sweep_questions`:
a coupled assignment with its figures, by default) and one row of the results, with the levers
and drawn values that made it.

**Where it runs.** On Dask distributed: a `LocalCluster` with one single-threaded worker process
per core by default, `scheduler="tcp://host:port"` for a cluster (the workers need corridor
installed), or `scheduler="serial"` in this process. The network and the choice sets are sent to
each worker once (scattered, and computed there), not with every task.

**Safety.** Each finished run is appended to `runs.jsonl` in the sweep's folder (flushed and
synced) before anything else; a sweep killed at any moment resumes with `resume=True` and loses
only the runs that were in flight: finished runs are never run again. A run that fails is
recorded with its error and the others go on. At the end `results.parquet` (one row per run) is
written whole, and each run is recorded in the run history (`corridor.store`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import pandas as pd

from ..assignment.choice_sets import ChoiceSet
from ..assignment.params import AssignmentParams
from ..errors import CorridorError
from ..network.io import load_network
from ..network.tables import Network
from ..output import atomic_files, write_text_file
from ..scenarios.files import merge_raw
from ..scenarios.schema import Scenario
from ..scenarios.validate import load_scenario
from .sweep_questions import QUESTIONS, Flows, route_key, route_set
from .uncertain_inputs import Draw, UncertainInput, inputs_frame, sample, uncertain_inputs

if TYPE_CHECKING:  # Dask is imported when a sweep runs on it
    from distributed import Client, LocalCluster

JOURNAL, MANIFEST, RESULTS = "runs.jsonl", "sweep.json", "results.parquet"
LEVER_SOURCE = ["corridor_sweep_lever"]  # a lever value is the question asked, not a sourced fact
Progress = Callable[[dict], None]
LeverValue = str | float  # a number, or a word the lever knows (`closed`, `avoid`, `container:6`)


class Question(Protocol):
    """What a sweep asks of a question (`sweep_questions`): a dataclass (its fields are its options,
    written in the spec), the scenarios it runs in, the input files that reach it, whether it needs
    choice sets, and its figures for one run."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def kind(self) -> str: ...
    @property
    def files(self) -> tuple[str, ...]: ...
    @property
    def scenarios(self) -> tuple[str | dict, ...]: ...
    @property
    def needs_routes(self) -> bool: ...

    def run(self, net: Network, scenarios: tuple[Scenario, ...], routes: dict[str, ChoiceSet], draw: Draw,
            params: AssignmentParams) -> dict: ...


# ------------------------------------------------------------------ levers


def _fleet(value: LeverValue) -> dict[str, int]:
    """`6` (container feeders) or `container:6,rail_ferry:2`."""
    if isinstance(value, int | float):
        return {"container": int(value)}
    out = {}
    for part in str(value).replace(";", ",").split(","):
        if part.strip():
            k, _, n = part.partition(":")
            out[k.strip()] = int(n) if n.strip() else 0
    return out


def _premium_or(value: LeverValue, words: dict[str, dict]) -> dict | float:
    v = str(value).strip().lower()
    if v in words:
        return words[v]
    try:
        return float(v)
    except ValueError:
        raise CorridorError(f"lever value '{str(value)[:30]}': one of {', '.join(words)} or a number "
                            "(USD per TEU)") from None


def lever_overlay(name: str, value: LeverValue, countries: frozenset[str] = frozenset()) -> dict:
    """A lever's value as a fragment of a scenario file (merged onto the question's scenario)."""
    src = {"source": LEVER_SOURCE}
    if name == "sea_level":
        return {"caspian": {"level_m": float(value), **src}}
    if name == "fleet":
        return {"caspian": {"vessels_add": _fleet(value), **src}}
    if name == "sanctions":
        v = _premium_or(value, {"off": {}, "none": {}, "avoid": {"policies": {"avoid": ["RUS", "BLR"]}}})
        return v if isinstance(v, dict) else {"terms": {"entry_usd": {"RUS": v, "BLR": v}, **src}}
    if name == "red_sea":
        closed = {"policies": {"avoid_passages": ["suez", "babalmandab"]}}
        v = _premium_or(value, {"open": {}, "closed": closed})
        return v if isinstance(v, dict) else {"terms": {"passage_usd": {"babalmandab": v}, **src}}
    if name == "demand_growth":
        every = ",".join(sorted(countries))
        return {"demand": {"growth": [{"from": every, "to": every, "factor": float(value), **src}]}}
    raise CorridorError(f"unknown lever '{str(name)[:30]}'; levers: {', '.join(LEVERS)}")


LEVERS = ("sea_level", "fleet", "sanctions", "red_sea", "demand_growth")


def cell_scenario(base: Scenario, cell: dict, countries: frozenset[str]) -> Scenario:
    """The question's scenario with a grid cell's levers applied (a new scenario, validated)."""
    if not cell:
        return base
    raw = base.model_dump(by_alias=True, exclude_defaults=True, exclude={"chain"})
    for name, value in cell.items():
        raw = merge_raw(raw, lever_overlay(name, value, countries))
    label = ",".join(f"{k}={v}" for k, v in cell.items())
    raw["name"] = base.name
    raw["description"] = f"{base.description} [sweep: {label}]".strip()
    try:
        return Scenario.model_validate(raw)
    except Exception as exc:  # pydantic: a lever value out of its range
        raise CorridorError(f"levers {label}: {str(exc).splitlines()[0]} ({exc})"[:600]) from None


# ------------------------------------------------------------------ the plan


@dataclass(frozen=True)
class SweepSpec:
    """A sweep: the question, the levers' grid, the draws (how many, sampler, seed) and which inputs
    are drawn (default: every input that reaches the question)."""

    question: Question = field(default_factory=Flows)
    levers: dict[str, tuple[LeverValue, ...]] = field(default_factory=dict)
    draws: int = 0
    sampler: str = "lhs"
    seed: int = 0
    inputs: tuple[str, ...] | None = None
    name: str = "sweep"

    def __post_init__(self) -> None:
        object.__setattr__(self, "levers", {str(k): tuple(v) for k, v in dict(self.levers).items()})
        if self.inputs is not None:
            object.__setattr__(self, "inputs", tuple(self.inputs))
        unknown = [k for k in self.levers if k not in LEVERS]
        if unknown:
            raise CorridorError(f"unknown lever(s) {', '.join(unknown)}; levers: {', '.join(LEVERS)}")
        if any(len(v) == 0 for v in self.levers.values()):
            raise CorridorError("every lever needs at least one value")
        if self.levers and not isinstance(self.question, Flows):
            raise CorridorError("levers apply to a flows sweep (one scenario); other questions take draws")
        if self.draws < 0:
            raise CorridorError("the number of draws must be >= 0")

    def chosen_inputs(self) -> list[UncertainInput]:
        if self.inputs is not None:
            return uncertain_inputs(names=list(self.inputs))
        files = set(self.question.files)
        return [i for i in uncertain_inputs(("assignment", "appraisal")) if i.file in files]

    def cells(self) -> list[dict]:
        names = list(self.levers)
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*self.levers.values())]

    def to_dict(self) -> dict:
        q = asdict(self.question)
        return {"question": q, "levers": {k: list(v) for k, v in self.levers.items()}, "draws": self.draws,
                "sampler": self.sampler, "seed": self.seed,
                "inputs": list(self.inputs) if self.inputs is not None else None, "name": self.name}

    @classmethod
    def from_dict(cls, d: dict) -> SweepSpec:
        q = dict(d["question"])
        kind = q.pop("kind", "flows")
        return cls(QUESTIONS[kind](**q), {k: tuple(v) for k, v in d.get("levers", {}).items()},
                   int(d.get("draws", 0)), d.get("sampler", "lhs"), int(d.get("seed", 0)),
                   tuple(d["inputs"]) if d.get("inputs") is not None else None, d.get("name", "sweep"))

    def key(self) -> str:
        """A short hash of the spec: what makes two sweeps the same."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class _Plan:
    """What every worker needs besides the network: sent once."""

    question: Question
    inputs: list[UncertainInput]
    scenarios: dict[int, tuple[Scenario, ...]]  # per cell
    params: AssignmentParams


def _runs(spec: SweepSpec, inputs: list[UncertainInput]) -> list[dict]:
    """Every run: its index, cell, draw number and drawn values (the same for the same spec)."""
    n = max(spec.draws, 1)
    draws = (sample(inputs, spec.draws, method=spec.sampler, seed=spec.seed) if spec.draws
             else pd.DataFrame([{i.name: i.mode for i in inputs}]))
    values = draws.to_dict(orient="records")
    return [{"index": c * n + k, "cell": ci, "cell_index": c, "draw": k if spec.draws else -1,
             "values": values[k]} for c, ci in enumerate(spec.cells()) for k in range(n)]


def scenario_of(s: str | dict, net: Network) -> Scenario:
    """A question's scenario: a bundled name or a path (read and checked), or a scenario's fields as a
    dict (a command's options: year, month, policies, demand), merged onto the scenario its `base`
    names if it names one (as a file's base is)."""
    if isinstance(s, dict):
        raw = dict(s)
        if raw.get("base") is not None:
            base = load_scenario(str(raw.pop("base")), network=net)
            raw = merge_raw(base.model_dump(by_alias=True, exclude_defaults=True, exclude={"chain"}), raw)
        try:
            return Scenario.model_validate(raw)
        except Exception as exc:  # pydantic
            raise CorridorError(f"bad scenario options: {str(exc).splitlines()[0]}") from None
    return load_scenario(s, network=net)


def _plan(spec: SweepSpec, net: Network) -> tuple[_Plan, list[dict]]:
    inputs = spec.chosen_inputs()
    base = [scenario_of(s, net) for s in spec.question.scenarios]
    scenarios = {c: tuple(cell_scenario(s, cell, net.countries) for s in base)
                 for c, cell in enumerate(spec.cells())}
    return _Plan(spec.question, inputs, scenarios, AssignmentParams.load()), _runs(spec, inputs)


# ------------------------------------------------------------------ one run (on a worker)


def run_one(net: Network, plan: _Plan, routes: dict, run: dict) -> dict:
    """One run: the question answered under the run's levers and draw; its row (never raises)."""
    t0, c0 = time.perf_counter(), time.process_time()
    row = {"index": run["index"], "draw": run["draw"], **{f"lever.{k}": v for k, v in run["cell"].items()},
           **{f"in.{k}": v for k, v in run["values"].items()}}
    try:
        draw = Draw.of(plan.inputs, run["values"])
        figures = plan.question.run(net, plan.scenarios[run["cell_index"]], routes, draw, plan.params)
        row.update(status="ok", error="", **figures)
    except Exception as exc:  # a failing draw is recorded with its error; the sweep goes on
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}{where}"[:800])
    row["seconds"] = time.perf_counter() - t0
    row["cpu_seconds"] = time.process_time() - c0  # this process's CPU: the run's cost whatever else runs
    row["host"] = f"{socket.gethostname()}:{os.getpid()}"
    return row


def _route_keys(plan: _Plan, run: dict) -> list[str]:
    if not plan.question.needs_routes:
        return []
    return [route_key(s) for s in plan.scenarios[run["cell_index"]]]


# ------------------------------------------------------------------ the journal


def read_journal(folder: Path) -> dict[int, dict]:
    """Finished runs by index. A last line cut short by a kill is dropped (and cut from the file)."""
    path = folder / JOURNAL
    if not path.exists():
        return {}
    data = path.read_bytes()
    good = data.rfind(b"\n") + 1
    if good < len(data):  # a line cut short: the run it held was in flight
        with open(path, "r+b") as f:
            f.truncate(good)
    out = {}
    for line in data[:good].splitlines():
        if line.strip():
            row = json.loads(line)
            out[int(row["index"])] = row
    return out


class _Journal:
    def __init__(self, folder: Path | None) -> None:
        self.f = open(folder / JOURNAL, "ab") if folder is not None else None  # noqa: SIM115

    def add(self, row: dict) -> None:
        if self.f is not None:
            self.f.write(json.dumps(row, default=str).encode() + b"\n")
            self.f.flush()
            os.fsync(self.f.fileno())

    def close(self) -> None:
        if self.f is not None:
            self.f.close()


# ------------------------------------------------------------------ executing


def _execute_serial(net: Network, plan: _Plan, todo: list[dict], done: Callable[[dict], None]) -> dict:
    routes: dict[str, ChoiceSet] = {}
    for run in todo:
        for s in plan.scenarios[run["cell_index"]] if plan.question.needs_routes else ():
            k = route_key(s)
            if k not in routes:
                routes[k] = route_set(net, s)
        done(run_one(net, plan, {k: routes[k] for k in _route_keys(plan, run)}, run))
    return {"scheduler": "serial", "workers": 1, "dashboard": None}


def open_client(scheduler: str | None = None,
                workers: int | None = None) -> tuple[Client, LocalCluster | None]:
    """A Dask client: to `scheduler` (tcp://host:port), else on a new LocalCluster with `workers`
    single-threaded worker processes (default: one per core). Returns (client, cluster or None)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":8787",
                           silence_logs=40)
    return Client(cluster), cluster


def _execute_dask(net: Network, plan: _Plan, todo: list[dict], done: Callable[[dict], None], client: Client,
                  info: Callable[[dict], None]) -> dict:
    from distributed import as_completed

    workers = len(client.scheduler_info().get("workers", {}))
    sched = client.scheduler  # None only for a client never connected
    meta = {"scheduler": None if sched is None else sched.address, "workers": workers,
            "dashboard": client.dashboard_link}
    info({"event": "cluster", **meta})
    net_f = client.scatter(net, broadcast=True, hash=False)
    plan_f = client.scatter(plan, broadcast=True, hash=False)
    needed = {route_key(s): s for run in todo for s in plan.scenarios[run["cell_index"]]
              } if plan.question.needs_routes else {}
    route_f = {k: client.submit(route_set, net_f, s, pure=False) for k, s in needed.items()}
    futures = {}
    for run in todo:
        f = client.submit(run_one, net_f, plan_f, {k: route_f[k] for k in _route_keys(plan, run)}, run,
                          pure=False)
        futures[f] = run
    try:
        for f in as_completed(futures):
            run = futures.pop(f)
            try:
                row = f.result()
            except Exception as exc:  # a worker lost, a choice set that failed
                row = _failed(run, exc)
            done(row)
    finally:
        for f in futures:
            f.cancel()
    return meta


def _failed(run: dict, exc: BaseException) -> dict:
    return {"index": run["index"], "draw": run["draw"], **{f"lever.{k}": v for k, v in run["cell"].items()},
            **{f"in.{k}": v for k, v in run["values"].items()}, "status": "failed",
            "error": f"{type(exc).__name__}: {exc}"[:800], "seconds": float("nan"),
            "cpu_seconds": float("nan"), "host": ""}


# ------------------------------------------------------------------ the sweep


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The runs of a sweep (one row each: index, levers, drawn inputs `in.*`, status, error, figures)."""

    spec: SweepSpec
    table: pd.DataFrame
    inputs: list[UncertainInput]
    folder: Path | None
    seconds: float
    ran: int  # runs computed by this call (the rest came from the journal)
    execution: dict = field(default_factory=dict)  # scheduler, workers, dashboard

    @property
    def ok(self) -> pd.DataFrame:
        return self.table[self.table["status"] == "ok"]

    @property
    def failed(self) -> pd.DataFrame:
        return self.table[self.table["status"] != "ok"]

    def figure_columns(self) -> list[str]:
        skip = ("index", "draw", "status", "error", "seconds", "cpu_seconds", "host")
        return [c for c in self.table.columns if c not in skip and not c.startswith(("lever.", "in.", "_"))]

    def to_dict(self) -> dict:
        return {"name": self.spec.name, "key": self.spec.key(), "runs": len(self.table),
                "failed": len(self.failed), "ran": self.ran, "seconds": round(self.seconds, 2),
                "folder": str(self.folder) if self.folder else None, **self.execution,
                "spec": self.spec.to_dict()}


def _prepare_folder(folder: Path, spec: SweepSpec, resume: bool,
                    overwrite: bool) -> tuple[dict[int, dict], str]:
    """The runs the folder already holds and the sweep's id (kept across resumes)."""
    manifest = folder / MANIFEST
    if manifest.exists():
        old = json.loads(manifest.read_text(encoding="utf-8"))
        if resume:
            if old.get("key") != spec.key():
                raise CorridorError(f"{folder} holds another sweep ({old.get('name')}, key "
                                    f"{old.get('key')}); resume it with the same options, or choose "
                                    "another folder")
            return read_journal(folder), str(old.get("id") or spec.key())
        if not overwrite:
            raise CorridorError(f"{folder} already holds a sweep: --resume to finish it, --overwrite to "
                                "start again")
        for name in (JOURNAL, MANIFEST, RESULTS):
            (folder / name).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    return {}, f"{spec.key()}-{os.urandom(3).hex()}"


def _write_manifest(folder: Path, spec: SweepSpec, sweep_id: str, inputs: list[UncertainInput],
                    n_runs: int) -> None:
    from ..store import code_version

    doc = {"name": spec.name, "id": sweep_id, "key": spec.key(), "spec": spec.to_dict(), "runs": n_runs,
           "code_version": code_version(), "inputs": inputs_frame(inputs).to_dict(orient="records")}
    write_text_file(folder / MANIFEST, json.dumps(doc, indent=1, default=str) + "\n", overwrite=True)


def results_table(rows: dict[int, dict]) -> pd.DataFrame:
    """The runs as one table, ordered by index (store-only fields left out)."""
    table = pd.DataFrame([{k: v for k, v in rows[i].items() if not k.startswith("_")} for i in sorted(rows)])
    return table.reset_index(drop=True)


def read_sweep(folder: str | Path) -> SweepResult:
    """A sweep from its folder (finished or not): the spec, the inputs and every finished run."""
    folder = Path(folder)
    if not (folder / MANIFEST).exists():
        raise CorridorError(f"{folder}: no sweep here ({MANIFEST} missing)")
    doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    spec = SweepSpec.from_dict(doc["spec"])
    path = folder / RESULTS
    table = pd.read_parquet(path) if path.exists() else results_table(read_journal(folder))
    return SweepResult(spec, table, spec.chosen_inputs(), folder, 0.0, 0)


def sweep(spec: SweepSpec, out: str | Path | None = None, *, network: Network | str | Path | None = None,
          scheduler: str | None = None, workers: int | None = None, client: Client | None = None,
          resume: bool = False,
          overwrite: bool = False, record: bool = True, home: str | Path | None = None,
          progress: Progress | None = None) -> SweepResult:
    """Run every run of `spec` (see the module docstring); results in `out` (none: kept in memory only,
    nothing recorded). `client`: a Dask client to use; else `scheduler` ("serial", or a
    tcp://host:port address), else a LocalCluster of `workers` processes, closed at the end.
    `progress(event)` hears {"event": "start" | "cluster" | "run" | "end", ...}."""
    t0 = time.perf_counter()
    net = network if isinstance(network, Network) else load_network(network)
    plan, runs = _plan(spec, net)
    folder = Path(out) if out is not None else None
    done_rows, sweep_id = (_prepare_folder(folder, spec, resume, overwrite) if folder is not None
                           else ({}, spec.key()))
    if folder is not None:
        _write_manifest(folder, spec, sweep_id, plan.inputs, len(runs))
    todo = [r for r in runs if r["index"] not in done_rows]
    info = progress or (lambda e: None)
    counts = {"done": len(done_rows), "failed": sum(r.get("status") != "ok" for r in done_rows.values())}
    info({"event": "start", "total": len(runs), **counts, "todo": len(todo)})
    journal = _Journal(folder)
    rows = dict(done_rows)

    def done(row: dict) -> None:
        journal.add(row)
        rows[int(row["index"])] = row
        counts["done"] += 1
        counts["failed"] += row.get("status") != "ok"
        info({"event": "run", "total": len(runs), **counts, "row": row})

    execution: dict = {"scheduler": None, "workers": 0, "dashboard": None}
    try:
        if todo and scheduler == "serial" and client is None:
            execution = _execute_serial(net, plan, todo, done)
        elif todo and client is not None:
            execution = _execute_dask(net, plan, todo, done, client, info)
        elif todo:  # a client of our own, closed at the end
            own, cluster = open_client(scheduler, workers)
            try:
                execution = _execute_dask(net, plan, todo, done, own, info)
            finally:
                own.close()
                if cluster is not None:
                    cluster.close()
    finally:
        journal.close()
    table = results_table(rows)
    if folder is not None:
        with atomic_files([folder / RESULTS], overwrite=True) as (tmp,):
            table.to_parquet(tmp, index=False)
        if record:
            from .sweep_store import record_sweep

            record_sweep(folder, spec, sweep_id, rows, home=home)
    res = SweepResult(spec, table, plan.inputs, folder, time.perf_counter() - t0, len(todo),
                      {**execution, "id": sweep_id})
    info({"event": "end", "total": len(runs), **counts, "seconds": res.seconds})
    return res
