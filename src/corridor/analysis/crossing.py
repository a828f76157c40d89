"""Does the Caspian simulation agree with the cost model's wait curves at the assigned flows?

The equilibrium prices each Caspian line by its curve (`caspian.curves`), fitted to the simulation
in stationary regimes. This check closes the loop the other way: it runs the simulation with each
line's assigned volume (westbound, the simulated direction) in the world's crossing and compares its
mean time from arrival to departure with the wait the curve gave in the assignment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..assignment.results import FlowResult
from ..caspian.config import CaspianConfig, baseline_config
from ..caspian.simulate import simulate
from ..errors import CorridorError


def crossing_agreement(flows: FlowResult, caspian: CaspianConfig | None = None, *, replications: int = 8,
                       seed: int = 0) -> pd.DataFrame:
    """Per Caspian line in `flows`: the assigned westbound volume (the line's units a year), the curve's
    wait and the simulated mean wait at that volume, for the month assigned or over the year."""
    q = flows.queues
    if q is None:
        raise CorridorError("this flow result has no queue table (assign it again)")
    cfg = caspian or baseline_config()
    lines = q[(q["service"] != "") & (q["direction"] == "forward")].set_index("service")
    if lines.empty:
        return pd.DataFrame(columns=["service", "unit", "volume", "curve_wait_hours", "simulated_wait_hours"])
    run = cfg.with_volumes(lines["load"].to_dict())
    if flows.month is None:
        r = simulate(run, days=365, replications=replications, seed=seed, warmup_days=30)
    else:
        regime = np.ones(replications), np.full(replications, flows.month - 1)
        r = simulate(run, days=120, replications=replications, seed=seed, warmup_days=30, regime=regime)
    rows = []
    for name, row in lines.iterrows():
        sim = float(np.mean(r.rep_mean_delay[name])) if name in r.rep_mean_delay else np.nan
        rows.append({"service": name, "unit": row["unit"], "volume": float(row["load"]),
                     "capacity": float(row["capacity"]), "curve_wait_hours": float(row["wait_hours"]),
                     "simulated_wait_hours": sim,
                     "difference_hours": float(row["wait_hours"]) - sim})
    return pd.DataFrame(rows)
