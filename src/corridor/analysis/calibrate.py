"""Calibration: fit the assignment's free parameters to published corridor volumes.

The network's times and tariffs are sourced; what no source gives is how shippers weigh
them against everything the network does not price: the sanctions and insurance risk of
crossing Russia, the political support and unreliability of the Trans-Caspian route.
Those enter as corridor constants (USD per TEU on a family's signature edges), beside
the logit dispersion μ of each commodity (weakly pulled towards a prior of 8, so that the
fit is unique when the targets do not pin every μ down). They are fitted by least squares
on log volumes to the targets in `calibration_targets.csv` (each with its source), and
written to `assignment_params.json`.

    >>> from corridor.calibrate import calibrate
    >>> cal = calibrate(net, demand)
    >>> cal.table          # target, published, before, after, error
    >>> cal.params.save("assignment_params.json")
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from ..assignment.freight import assign, tonnes_per_teu
from ..assignment.params import AssignmentParams
from ..assignment.results import FlowResult
from ..datafiles import bundled_data_dir
from ..demand import Demand
from ..errors import CorridorError, Problem, ValidationError
from ..network.families import FAMILIES
from ..network.tables import Network
from ..readers import read_text_csv
from ..world import World

TARGETS_FILE = "calibration_targets.csv"

MEASURES = ("corridor_teu", "corridor_t")

TARGET_COLUMNS = ("target_id", "description", "measure", "corridor", "commodities", "value", "unit",
                  "year", "source_id")

# the fitted parameters: corridor constants in thousand USD per TEU, then ln μ per commodity
CONSTANTS = (("northern", -5.0, 20.0), ("middle", -20.0, 5.0))

MU_BOUNDS = (np.log(0.5), np.log(60.0))

PRIOR_MU = 8.0  # a route 10% dearer than the cheapest is e^0.8 = 2.2 times less likely

PRIOR_WEIGHT = 0.05  # a weak pull of each ln μ towards the prior, so that the fit is unique


@dataclass(frozen=True)
class Calibration:
    """The fitted parameters and the side-by-side report."""

    params: AssignmentParams
    before: AssignmentParams
    table: pd.DataFrame  # target_id, description, published, before, after, error_pct, source_id
    evaluations: int
    seconds: float
    converged: bool

    def to_dict(self) -> dict:
        return {"params": self.params.to_dict(), "evaluations": self.evaluations,
                "seconds": round(self.seconds, 2), "converged": self.converged,
                "targets": self.table.to_dict(orient="records")}


def load_targets(path: str | Path | None = None, network: Network | None = None) -> pd.DataFrame:
    """The calibration targets, checked: every problem at once, with file and line."""
    p = Path(path) if path is not None else bundled_data_dir() / TARGETS_FILE
    problems: list[Problem] = []
    txt = read_text_csv(p, problems)
    fname = p.name
    if txt is not None:
        problems += [Problem(fname, 1, c, "missing column") for c in TARGET_COLUMNS if c not in txt.columns]
    if problems:
        raise ValidationError(problems)
    has_sources = network is not None and network.sources is not None
    sources = set(network.sources["source_id"]) if has_sources else None
    com = getattr(network, "commodities", None)
    commodities = set(com["commodity"]) if com is not None and not com.empty else None
    units = {"corridor_teu": "TEU", "corridor_t": "t"}
    seen: dict[str, int] = {}
    if txt is not None and len(txt) == 0:
        problems.append(Problem(fname, 2, None, "no targets: the file has a header and no rows"))
    for i in range(len(txt)):
        line = int(txt["__line__"].iat[i])
        row = txt.iloc[i]
        tid = row["target_id"]
        if not tid:
            problems.append(Problem(fname, line, "target_id", "empty"))
        elif tid in seen:
            problems.append(Problem(fname, line, "target_id",
                                    f"duplicate '{tid[:40]}': also on line {seen[tid]}"))
        else:
            seen[tid] = line
        if row["measure"] not in MEASURES:
            problems.append(Problem(fname, line, "measure", f"unknown measure '{row['measure'][:40]}'; "
                                    f"use one of {', '.join(MEASURES)}"))
        elif row["unit"] != units[row["measure"]]:
            problems.append(Problem(fname, line, "unit", f"'{row['unit'][:20]}' does not fit "
                                    f"{row['measure']}; use {units[row['measure']]}"))
        for fam in str(row["corridor"]).split(";"):
            if fam not in FAMILIES:
                problems.append(Problem(fname, line, "corridor",
                                        f"unknown corridor '{fam[:40]}'; known: {', '.join(FAMILIES)}"))
        for c in str(row["commodities"]).split(";"):
            if commodities is not None and c not in commodities:
                problems.append(Problem(fname, line, "commodities", f"unknown commodity '{c[:40]}'; known: "
                                        f"{', '.join(sorted(commodities))}"))
        try:
            v = float(row["value"])
            if not (np.isfinite(v) and v > 0):
                raise ValueError
        except ValueError:
            problems.append(Problem(fname, line, "value", f"'{row['value'][:40]}' is not a number > 0"))
        if not (row["year"].isdigit() and 1900 <= int(row["year"]) <= 2100):
            problems.append(Problem(fname, line, "year", f"'{row['year'][:20]}' is not a year"))
        if not row["source_id"]:
            problems.append(Problem(fname, line, "source_id", "every target needs a source"))
        elif sources is not None:
            for src in filter(None, str(row["source_id"]).split(";")):
                if src not in sources:
                    problems.append(Problem(fname, line, "source_id", f"unknown source '{src[:60]}'"))
    if problems:
        raise ValidationError(problems)
    out = txt.drop(columns="__line__").copy()
    out["value"] = out["value"].astype(float)
    return out


def measure(result: FlowResult, targets: pd.DataFrame, t_per_teu: dict[str, float]) -> np.ndarray:
    """The modelled value of each target from an assignment."""
    vals = []
    for _, row in targets.iterrows():
        total = 0.0
        for c in str(row["commodities"]).split(";"):
            vol = result.corridors_by_commodity.get(c, {})
            teu = sum(vol.get(f, 0.0) for f in str(row["corridor"]).split(";"))
            total += teu * (t_per_teu.get(c, 0.0) if row["measure"] == "corridor_t" else 1.0)
        vals.append(total)
    return np.array(vals)


def target_report(net: Network, demand: Demand, params: AssignmentParams | None = None, *,
                  targets: pd.DataFrame | None = None, world: World | None = None) -> pd.DataFrame:
    """Each target beside what `params` (default: the bundled calibrated ones) model with the
    path-size logit assignment: published, modelled and the error in percent, with its source."""
    targets = load_targets(network=net) if targets is None else targets
    params = AssignmentParams.load() if params is None else params
    modelled = measure(assign(net, demand, method="sue", params=params, world=world), targets,
                       tonnes_per_teu(demand))
    published = targets["value"].to_numpy(float)
    return pd.DataFrame({
        "target_id": targets["target_id"], "description": targets["description"],
        "unit": targets["unit"], "published": published, "modelled": modelled,
        "error_pct": 100.0 * (modelled / published - 1.0), "source_id": targets["source_id"],
    })


def _with(base: AssignmentParams, x: np.ndarray, commodities) -> AssignmentParams:
    consts = dict(base.corridor_constants_usd)
    for i, (fam, _, _) in enumerate(CONSTANTS):
        consts[fam] = float(x[i]) * 1000.0
    mus = np.exp(x[len(CONSTANTS):])
    return replace(base, corridor_constants_usd=consts,
                   dispersion={c: float(m) for c, m in zip(commodities, mus, strict=True)})


def calibrate(net: Network, demand: Demand, *, targets: pd.DataFrame | None = None,
              start: AssignmentParams | None = None, world: World | None = None,
              max_evaluations: int = 200, progress=None) -> Calibration:
    """Fit the northern and middle corridor constants and the logit dispersion to `targets`.

    Starts from `start` (default: uncalibrated defaults); the route set is generated once and
    reused, so each evaluation is one path-size logit equilibrium.
    """
    t0 = time.perf_counter()
    targets = load_targets(network=net) if targets is None else targets
    if len(targets) < len(CONSTANTS):
        raise CorridorError(f"calibration needs at least {len(CONSTANTS)} targets")
    before = start or AssignmentParams()
    ratio = tonnes_per_teu(demand)
    commodities = sorted(ratio)
    published = targets["value"].to_numpy(float)
    evaluations = 0

    def run(p: AssignmentParams) -> np.ndarray:
        nonlocal evaluations
        evaluations += 1
        res = assign(net, demand, method="sue", params=p, world=world, rgap=1e-4)
        if progress is not None:
            progress(evaluations)
        return measure(res, targets, ratio)

    def residual(x: np.ndarray) -> np.ndarray:
        fit_err = np.log(np.maximum(run(_with(before, x, commodities)), 1.0) / published)
        return np.concatenate([fit_err, PRIOR_WEIGHT * (x[len(CONSTANTS):] - np.log(PRIOR_MU))])

    n_c = len(CONSTANTS)
    x0 = np.array([before.corridor_constants_usd.get(f, 0.0) / 1000.0 for f, _, _ in CONSTANTS]
                  + [np.log(before.dispersion_for(c)) for c in commodities])
    lo = np.array([b[1] for b in CONSTANTS] + [MU_BOUNDS[0]] * len(commodities))
    hi = np.array([b[2] for b in CONSTANTS] + [MU_BOUNDS[1]] * len(commodities))
    x0 = np.clip(x0, lo + 1e-9, hi - 1e-9)
    before_vals = run(before)
    scale = np.r_[np.ones(n_c), np.full(len(commodities), 0.5)]
    fit = least_squares(residual, x0, bounds=(lo, hi), x_scale=scale, diff_step=1e-3,
                        max_nfev=max_evaluations, xtol=1e-6, ftol=1e-8)
    params = _with(before, fit.x, commodities)
    after_vals = run(params)
    table = pd.DataFrame({
        "target_id": targets["target_id"], "description": targets["description"],
        "unit": targets["unit"], "published": published, "before": before_vals, "after": after_vals,
        "error_pct": 100.0 * (after_vals / published - 1.0), "source_id": targets["source_id"],
    })
    params = replace(params, note=(
        "Fitted by corridor.calibrate (least squares on log volumes) to calibration_targets.csv: "
        "corridor constants for northern and middle (USD/TEU on their signature edges) and a logit "
        f"dispersion per commodity, weakly pulled towards {PRIOR_MU:g}; the queues' curves are data "
        "(queue_params.csv, caspian_curves.json), not fitted here."),
        fit={"date": date.today().isoformat(), "evaluations": evaluations,
             "rms_log_error": float(np.sqrt(np.mean(fit.fun[: len(published)] ** 2))),
             "targets": {r.target_id: {"published": r.published, "modelled": round(float(r.after), 1),
                                       "error_pct": round(float(r.error_pct), 2)}
                         for r in table.itertuples()}})
    return Calibration(params, before, table, evaluations, time.perf_counter() - t0, bool(fit.success))
