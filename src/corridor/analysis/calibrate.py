"""Calibration: the behaviour every year shares, fitted to the counts of 2019-2025 at once.

The network's times and tariffs are sourced; what no source gives is how shippers weigh them
against everything the network does not price. That is named, not hidden in per-corridor
constants: a logit dispersion per commodity, transit-risk premiums for Russia/Belarus (from 2022)
and Iran (premiums.py), the size of the Central Asian cargo pool and the time-critical share of
China-Europe boxes (build_demand.py). They are fitted by least squares on log values to the counts
in `year_targets.csv` (each a row of corridor_counts_by_year.csv with its source), every year in its
own world (`world-<year>`: prices, policies, network state and trade-driven demand of that year).
No corridor constant remains. See `analysis.backcast` for the machinery, scripts/fit_worlds.py for
the run that wrote the bundled parameters, and the leave-one-year-out validation.

    >>> from corridor.analysis.calibrate import calibrate, target_report
    >>> target_report(net)          # year, target, published, modelled, error (bundled behaviour)
    >>> cal = calibrate(net)        # refit (minutes: one assignment per year per evaluation)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ..assignment.params import AssignmentParams
from ..network.tables import Network
from .backcast import YEARS, Behaviour, backcast, fit_years, load_year_targets, prepare_years

__all__ = ["Calibration", "calibrate", "load_targets", "target_report"]


def load_targets(path: str | Path | None = None, network: Network | None = None) -> pd.DataFrame:
    """The calibration targets, one row per (target, year), checked: every problem at once, with
    file and line."""
    return load_year_targets(path, network)


@dataclass(frozen=True)
class Calibration:
    """The fitted behaviour, as assignment parameters, and the side-by-side report."""

    params: AssignmentParams
    behaviour: Behaviour
    before: Behaviour
    table: pd.DataFrame  # year, target_id, unit, published, before, after, error_pct, source_id
    evaluations: int
    seconds: float
    rms_log_error: float

    def to_dict(self) -> dict:
        return {"behaviour": self.behaviour.to_dict(), "before": self.before.to_dict(),
                "evaluations": self.evaluations, "seconds": round(self.seconds, 1),
                "rms_log_error": round(self.rms_log_error, 4),
                "targets": self.table.to_dict(orient="records")}


def target_report(net: Network, behaviour: Behaviour | None = None, *, years: Iterable[int] = YEARS,
                  targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each year's counts beside what `behaviour` (default: the bundled) models in that year's world."""
    return backcast(prepare_years(net, years), behaviour, targets).table


def calibrate(net: Network, *, years: Iterable[int] = YEARS, targets: pd.DataFrame | None = None,
              start: Behaviour | None = None, max_evaluations: int = 120,
              progress: Callable | None = None) -> Calibration:
    """Fit the shared behaviour to every year's counts at once (see the module's docstring)."""
    t0 = time.perf_counter()
    targets = load_targets() if targets is None else targets
    ys = prepare_years(net, years)
    start = start or Behaviour.bundled()
    before = backcast(ys, start, targets).table
    fit = fit_years(ys, targets, start, max_evaluations=max_evaluations, progress=progress)
    table = before.rename(columns={"modelled": "before"}).drop(columns="error_pct")
    table["after"] = fit.table["modelled"].to_numpy()
    table["error_pct"] = 100.0 * (table["after"] / table["published"] - 1.0)
    b = fit.behaviour
    params = AssignmentParams(
        dispersion={k: float(v) for k, v in b.dispersion.items()}, corridor_constants_usd={},
        note="Fitted by corridor.analysis.calibrate to year_targets.csv over the worlds "
             f"{min(t for t in targets['year'])}-{max(t for t in targets['year'])}; no corridor constant.",
        fit={"date": date.today().isoformat(), "evaluations": fit.evaluations,
             "rms_log_error": round(fit.rms_log_error, 4), "behaviour": b.to_dict()})
    rms = float(np.sqrt(np.mean(np.log(np.maximum(table["after"], 1.0) / table["published"]) ** 2)))
    return Calibration(params, b, start, table, fit.evaluations, time.perf_counter() - t0, rms)
