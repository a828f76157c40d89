"""A sweep's runs in the run history (`corridor.store`): one run each, with the levers and drawn
inputs that made it as its parameters and its figures as its summary.

Run ids are the sweep's id (its spec's key and a token of its folder) and the run's index
(`<id>-000042`), so recording is idempotent: a resumed sweep records the runs the history lacks
(those finished after, or just before, a kill) and never a run twice.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import CorridorError
from ..network.families import FAMILIES
from ..output import json_safe

if TYPE_CHECKING:  # the store opens DuckDB; sweeps imports this module when it records
    from ..store import RunStore
    from .sweeps import SweepSpec

CORRIDOR_FIGURES = {"teu": "teu", "share": "share", "days": "mean_days", "p90_days": "p90_days",
                    "usd": "usd_per_teu"}
LINK_COLUMNS = ["link_id", "name", "mode", "flow_teu", "capacity_teu_yr", "v_c"]


class _Links:
    """A sweep run keeps no link flows in the history (its figures are in results.parquet)."""

    links = pd.DataFrame({c: pd.Series(dtype=float if c in ("flow_teu", "capacity_teu_yr", "v_c") else str)
                          for c in LINK_COLUMNS})


class StoredRun:
    """One row of a sweep as the run store records a run."""

    def __init__(self, scenario: str, method: str, row: dict) -> None:
        self.name, self.method, self.row = scenario, method, row
        self.seconds = float(row.get("seconds") or 0.0)
        self.flows = _Links()
        self.countries: dict[str, float] = {}
        recs = []
        for fam in FAMILIES:
            if f"teu.{fam}" in row:
                recs.append({"corridor": fam, **{col: float(row.get(f"{fig}.{fam}", np.nan))
                                                 for fig, col in CORRIDOR_FIGURES.items()}})
        self.corridors = pd.DataFrame(recs, columns=["corridor", *CORRIDOR_FIGURES.values()])

    def to_dict(self) -> dict:
        return json_safe({k: v for k, v in self.row.items() if not k.startswith("_")})

    def parameters(self) -> dict:
        return json_safe({k: v for k, v in self.row.items()
                          if k.startswith(("lever.", "in.")) or k == "index"})


def stored_ids(store: RunStore, scenario: str) -> set[str]:
    """Ids of the runs the history holds under `scenario`."""
    return set(store.list(limit=10**9, scenario=scenario)["id"])


def record_sweep(folder: Path, spec: SweepSpec, sweep_id: str, rows: dict[int, dict], *,
                 home: str | Path | None = None) -> int:
    """Record every run of `rows` the history lacks; the number recorded. If the history cannot be
    written (another process holds it), a RuntimeWarning says so: the sweep's folder has it all."""
    from ..store import RunStore

    key = sweep_id
    scenario = f"sweep:{spec.name}:{key}"
    method = f"sweep/{spec.question.kind}"
    n = 0
    try:
        with RunStore(home=home) as store:
            have = stored_ids(store, scenario)
            for i in sorted(rows):
                rid = f"{key}-{i:06d}"
                if rid in have:
                    continue
                run = StoredRun(scenario, method, rows[i])
                store.record(run, parameters={"sweep": spec.name, "id": key, "folder": str(folder),
                                              **run.parameters()}, run_id=rid)
                n += 1
    except CorridorError as exc:
        warnings.warn(f"the sweep's runs were not recorded in the run history: {exc}", RuntimeWarning,
                      stacklevel=2)
    return n
