"""Fit the assignment's free parameters and store them with the bundled data.

    python scripts/calibrate.py [--force]

Copies scripts/curated/calibration_targets.csv into src/corridor/data, fits the corridor
constants and logit dispersion (corridor.calibrate) to those targets on the bundled network
and 2024 demand, and writes src/corridor/data/assignment_params.json (refusing to replace
an existing one without --force). Prints the side-by-side table.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import corridor  # noqa: E402
from corridor.analysis.calibrate import TARGETS_FILE, calibrate, load_targets  # noqa: E402
from corridor.assignment.params import PARAMS_FILE, AssignmentParams  # noqa: E402

DATA = ROOT / "src" / "corridor" / "data"


def main(argv: list[str]) -> int:
    force = "--force" in argv
    out = DATA / PARAMS_FILE
    if out.exists() and not force:
        print(f"{out} exists; pass --force to refit and replace it", file=sys.stderr)
        return 1
    shutil.copyfile(ROOT / "scripts" / "curated" / TARGETS_FILE, DATA / TARGETS_FILE)
    net = corridor.load_network()
    demand = corridor.load_demand()
    cal = calibrate(net, demand, targets=load_targets(network=net), start=AssignmentParams())
    cal.params.save(out, overwrite=True)
    print(cal.table.drop(columns=["description"]).to_string(index=False))
    print(f"\n{cal.evaluations} assignments, {cal.seconds:.1f} s; "
          f"constants {cal.params.corridor_constants_usd}, dispersion {cal.params.dispersion}")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
