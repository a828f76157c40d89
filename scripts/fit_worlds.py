"""Fit the shared behaviour to every year's counts, and validate by leaving years out.

    .venv/bin/python scripts/fit_worlds.py [--loyo 2021,2022,2023,2024] [--write]

Prepares the worlds 2019-2025 (scenarios world-<year>, their demand and choice sets), fits the logit
dispersion per commodity, the Russia/Belarus and Iran transit-risk premiums (within their ranges)
and the Central Asian pool's scale to the counts of year_targets.csv (corridor.analysis.backcast),
prints the backcast table and, with --loyo, the leave-one-year-out table. --write stores the fit:
the dispersion and the fit's report in assignment_params.json, the premiums' levels in
risk_premiums.csv (curated and package copies), the pool and the time-critical share in
scripts/curated/demand_fit.json
(then rebuild the demand with scripts/build_demand.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import corridor  # noqa: E402
from corridor.analysis.backcast import (  # noqa: E402
    Behaviour,
    YearFit,
    backcast,
    fit_years,
    leave_one_year_out,
    prepare_years,
)
from corridor.assignment.params import AssignmentParams  # noqa: E402

pd.set_option("display.width", 200)
DATA = ROOT / "src" / "corridor" / "data"


def write(fit, loyo: pd.DataFrame | None) -> None:
    b = fit.behaviour
    params = AssignmentParams(
        dispersion={k: round(v, 4) for k, v in b.dispersion.items()},
        corridor_constants_usd={},
        note=(
            "Fitted by scripts/fit_worlds.py (corridor.analysis.backcast.fit_years): one logit dispersion "
            "per commodity for every year 2019-2025, with the transit-risk premiums (risk_premiums.csv) and "
            "the Central Asian pool, to the counts of year_targets.csv; no corridor constant."
        ),
        fit={
            "date": date.today().isoformat(),
            "evaluations": fit.evaluations,
            "seconds": round(fit.seconds),
            "rms_log_error": round(fit.rms_log_error, 4),
            "behaviour": b.to_dict(),
            "pool_scale": round(b.pool_scale, 4),
            "backcast": fit.table.round(1).to_dict(orient="records"),
            "leave_one_year_out": [] if loyo is None else loyo.round(1).to_dict(orient="records"),
        },
    )
    params.save(DATA / "assignment_params.json", overwrite=True)
    for path in (ROOT / "scripts" / "curated" / "risk_premiums.csv", DATA / "risk_premiums.csv"):
        df = pd.read_csv(path, dtype=str)
        for name, level in b.premiums.items():
            df.loc[df["premium"] == name, "usd_per_teu"] = f"{level:.0f}"
        df.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    fitted = ROOT / "scripts" / "curated" / "demand_fit.json"
    old = (
        json.loads(fitted.read_text())
        if fitted.exists()
        else {"ca_pool_t": 15e6, "time_critical_share": 0.10}
    )
    tc = b.time_critical_share if b.time_critical_share is not None else old["time_critical_share"]
    doc = {
        "ca_pool_t": round(old["ca_pool_t"] * b.pool_scale, -4),
        "time_critical_share": round(tc, 4),
        "fitted": date.today().isoformat(),
        "by": "scripts/fit_worlds.py (corridor.analysis.backcast)",
    }
    fitted.write_text(json.dumps(doc, indent=2) + "\n")
    print("wrote assignment_params.json, risk_premiums.csv, demand_fit.json; now run scripts/build_demand.py")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loyo", default="")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--max-evaluations", type=int, default=150)
    ap.add_argument("--start", default="", help="a behaviour as JSON (Behaviour.to_dict) to start from")
    ap.add_argument(
        "--no-fit", action="store_true", help="backcast --start as it is (with --write: store it)"
    )
    a = ap.parse_args()
    net = corridor.load_network()
    t = time.time()
    years = prepare_years(
        net, progress=lambda y: print(f"prepared {y} ({time.time() - t:.0f} s)", flush=True)
    )
    start = Behaviour.bundled()
    if a.start:
        d = json.loads(a.start)
        start = Behaviour(
            d["dispersion"], d["premiums_usd"], d.get("pool_scale", 1.0), d.get("time_critical_share")
        )
    print("start", start.to_dict(), flush=True)
    print(backcast(years, start).table.round(1).to_string(), flush=True)

    def progress(n, b):
        print(f"  evaluation {n}: {b.to_dict()} ({time.time() - t:.0f} s)", flush=True)

    if a.no_fit:
        table = backcast(years, start).table
        rms = float((table["modelled"].clip(lower=1) / table["published"]).map(math.log).pow(2).mean() ** 0.5)
        fit = YearFit(start, start, table, 1, time.time() - t, rms)
    else:
        fit = fit_years(years, start=start, max_evaluations=a.max_evaluations, progress=progress)
    print("fitted", fit.behaviour.to_dict(), f"rms log error {fit.rms_log_error:.3f}", flush=True)
    print(fit.table.round(1).to_string(), flush=True)
    loyo = None
    if a.loyo:
        held = [int(y) for y in a.loyo.split(",")]
        loyo = leave_one_year_out(years, fit.behaviour, held, max_evaluations=a.max_evaluations)
        print(loyo.round(1).to_string(), flush=True)
    if a.write:
        write(fit, loyo)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
