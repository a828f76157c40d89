"""Answers with ranges: a question asked under N draws of the uncertain inputs, summarised as the
p10, p50 and p90 of each figure, a tornado of the inputs that move it most, and (for an appraisal)
each project's probability of being chosen.

    >>> from corridor.analysis.uncertainty import uncertainty
    >>> from corridor.analysis.sweep_questions import Flows
    >>> r = uncertainty(Flows("baseline-2024"), 100)
    >>> r.table.loc["teu.middle", ["p10", "p50", "p90"]]
    >>> r.tornado_for("teu.middle").head()

The draws are a sweep (`sweeps.sweep`, on Dask or in this process) of the inputs that reach the
question; a finished sweep's folder gives the same summary (`summarise(read_sweep(folder))`).

**Tornado.** For each figure and input: Spearman's rank correlation over the draws (the sign says
the direction), and a first-order sensitivity index estimated from the same draws (the share of the
figure's variance explained by the input alone: the variance of the figure's mean within quantile
bins of the input, over the figure's variance; Plischke, Borgonovo & Smith 2013's given-data
estimator). With a Latin hypercube the inputs are nearly uncorrelated, so each is read on its own;
the indices need some 50 draws or more to mean much (fewer: only the correlations are given).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import CorridorError
from ..network.tables import Network
from ..output import json_safe
from .sweeps import Progress, Question, SweepResult, SweepSpec, read_sweep, sweep
from .uncertain_inputs import UncertainInput

if TYPE_CHECKING:  # Dask is imported when the draws run on it
    from distributed import Client

QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
MIN_FOR_INDEX = 50


def figure_ranges(table: pd.DataFrame, figures: list[str]) -> pd.DataFrame:
    """Per figure: p10, p50, p90, mean, standard deviation and the number of runs that gave it."""
    rows = []
    for f in figures:
        x = pd.to_numeric(table[f], errors="coerce")
        # a volume or share missing from a run is none of it (no route through it); others are unknown
        x = x.fillna(0.0) if f.startswith(("gateway.", "teu.", "share.")) else x.dropna()
        rows.append({"figure": f, **{k: float(x.quantile(q)) if len(x) else np.nan
                                     for k, q in QUANTILES.items()},
                     "mean": float(x.mean()) if len(x) else np.nan,
                     "sd": float(x.std(ddof=1)) if len(x) > 1 else np.nan, "n": int(len(x))})
    return pd.DataFrame(rows).set_index("figure")


def first_order_index(x: np.ndarray, y: np.ndarray, bins: int | None = None) -> float:
    """The share of y's variance explained by x alone, from given data: the variance of y's mean
    within equal-count bins of x over y's variance."""
    n = len(y)
    if n < 4 or np.var(y) <= 0:
        return np.nan
    b = bins or max(2, min(20, int(round(np.sqrt(n)))))
    order = np.argsort(x, kind="stable")
    groups = np.array_split(order, b)
    means = np.array([y[g].mean() for g in groups])
    sizes = np.array([len(g) for g in groups])
    return float(np.clip(np.sum(sizes * (means - y.mean()) ** 2) / n / np.var(y), 0.0, 1.0))


def tornado(table: pd.DataFrame, inputs: list[UncertainInput], figures: list[str]) -> pd.DataFrame:
    """Per figure and drawn input: Spearman's rank correlation and the first-order index (where there
    are enough runs), the inputs ranked by |correlation| within each figure."""
    rows = []
    drawn = [i for i in inputs if not i.fixed and f"in.{i.name}" in table.columns]
    for f in figures:
        y = pd.to_numeric(table[f], errors="coerce")
        ok = y.notna().to_numpy()
        if ok.sum() < 3 or y[ok].nunique() < 2:
            continue
        yr = y[ok].rank().to_numpy()
        for i in drawn:
            x = pd.to_numeric(table[f"in.{i.name}"], errors="coerce").to_numpy()[ok]
            if np.nanstd(x) <= 0:
                continue
            xr = pd.Series(x).rank().to_numpy()
            rho = float(np.corrcoef(xr, yr)[0, 1])
            s1 = first_order_index(x, y[ok].to_numpy()) if ok.sum() >= MIN_FOR_INDEX else np.nan
            rows.append({"figure": f, "input": i.name, "rho": rho, "s1": s1, "low": i.low, "high": i.high,
                         "unit": i.unit, "file": i.file, "key": i.key})
    df = pd.DataFrame(rows, columns=["figure", "input", "rho", "s1", "low", "high", "unit", "file", "key"])
    if df.empty:
        return df
    df["abs_rho"] = df["rho"].abs()
    df = df.sort_values(["figure", "abs_rho"], ascending=[True, False], kind="stable")
    return df.drop(columns="abs_rho").reset_index(drop=True)


def chosen_probability(table: pd.DataFrame) -> pd.DataFrame:
    """Per project: the share of runs whose portfolio chooses it, and its NPV's p10/p50/p90."""
    rows = []
    for c in [c for c in table.columns if c.startswith("chosen.")]:
        pid = c.removeprefix("chosen.")
        x = pd.to_numeric(table[c], errors="coerce").dropna()
        npv = pd.to_numeric(table.get(f"npv.{pid}", pd.Series(dtype=float)), errors="coerce").dropna()
        rows.append({"project": pid, "probability_chosen": float(x.mean()) if len(x) else np.nan,
                     **{f"npv_{k}": float(npv.quantile(q)) if len(npv) else np.nan
                        for k, q in QUANTILES.items()},
                     "npv_positive": float((npv > 0).mean()) if len(npv) else np.nan, "n": int(len(x))})
    df = pd.DataFrame(rows)
    return df.sort_values("probability_chosen", ascending=False).reset_index(drop=True) if len(df) else df


@dataclass(frozen=True, eq=False)
class Ranges:
    """A question's figures under the draws: ranges, tornado and (appraisal) probabilities of choice."""

    question: dict
    table: pd.DataFrame  # per figure (index): p10, p50, p90, mean, sd, n
    tornado: pd.DataFrame  # per figure and input: rho, s1
    chosen: pd.DataFrame  # per project: probability chosen, NPV range (empty unless projects were valued)
    runs: int
    failed: int
    errors: list[str] = field(default_factory=list)  # the distinct errors of failed runs
    inputs: list[UncertainInput] = field(default_factory=list)
    sweep: SweepResult | None = field(default=None, repr=False)

    def tornado_for(self, figure: str, top: int = 10) -> pd.DataFrame:
        t = self.tornado[self.tornado["figure"] == figure]
        return t.head(top).reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        return self.table.reset_index()

    def to_dict(self, top: int = 8) -> dict:
        heads = {f: self.tornado_for(f, top)[["input", "rho", "s1"]].to_dict(orient="records")
                 for f in self.tornado["figure"].unique()} if len(self.tornado) else {}
        return json_safe({"question": self.question, "runs": self.runs, "failed": self.failed,
                          "errors": self.errors, "ranges": self.to_frame().to_dict(orient="records"),
                          "tornado": heads, "chosen": self.chosen.to_dict(orient="records"),
                          "inputs": [i.name for i in self.inputs if not i.fixed]})


def cell_ranges(table: pd.DataFrame, figure: str) -> pd.DataFrame:
    """Per grid cell (each combination of the levers): p10, p50 and p90 of `figure` over its draws
    (a lever is a choice, not an uncertainty: read ranges within a cell)."""
    levers = [c for c in table.columns if c.startswith("lever.")]
    ok = table[table["status"] == "ok"] if "status" in table else table
    if not levers or figure not in ok:
        return pd.DataFrame()
    rows = []
    for key, g in ok.groupby(levers, sort=False, dropna=False):
        x = pd.to_numeric(g[figure], errors="coerce").dropna()
        vals = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(levers, vals, strict=True)),
                     **{k: float(x.quantile(q)) if len(x) else np.nan for k, q in QUANTILES.items()},
                     "n": int(len(x))})
    return pd.DataFrame(rows)


def summarise(res: SweepResult, figures: list[str] | None = None) -> Ranges:
    """The ranges, tornado and probabilities of choice of a sweep's runs (ok runs only)."""
    ok = res.ok
    figs = figures or [f for f in res.figure_columns() if f != "rgap"]
    figs = [f for f in figs if f in ok.columns and pd.to_numeric(ok[f], errors="coerce").notna().any()]
    errors = list(dict.fromkeys(res.failed["error"].astype(str))) if len(res.failed) else []
    return Ranges(json_safe(res.spec.to_dict()["question"]), figure_ranges(ok, figs),
                  tornado(ok, res.inputs, figs), chosen_probability(ok), len(ok), len(res.failed),
                  errors[:10], res.inputs, res)


def uncertainty(question: Question, n: int, *, seed: int = 0, sampler: str = "lhs",
                inputs: list[str] | None = None, network: Network | str | Path | None = None,
                scheduler: str | None = None, workers: int | None = None, client: Client | None = None,
                out: str | Path | None = None, resume: bool = False, overwrite: bool = False,
                record: bool = False, progress: Progress | None = None) -> Ranges:
    """Ask `question` (a `sweep_questions` question) under `n` draws of the inputs that reach it, and
    summarise: p10/p50/p90 of every figure, a tornado, probabilities of choice. Runs on Dask like a
    sweep (`scheduler="serial"`: in this process); with `out` the runs are kept (and resumable)."""
    if n < 2:
        raise CorridorError("ranges need at least 2 draws (--uncertainty N, N >= 2)")
    spec = SweepSpec(question, draws=n, seed=seed, sampler=sampler,
                     inputs=tuple(inputs) if inputs is not None else None,
                     name=f"uncertainty-{question.kind}")
    res = sweep(spec, out, network=network, scheduler=scheduler, workers=workers, client=client,
                resume=resume, overwrite=overwrite, record=record, progress=progress)
    return summarise(res)


def ranges_of(folder: str | Path, figures: list[str] | None = None) -> Ranges:
    """The summary of a finished (or partly finished) sweep in `folder`."""
    return summarise(read_sweep(folder), figures)
