"""The Caspian in the loop: time to the fixed point (assignment with the crossing's wait curves) for the
baseline and for caspian-low-2m, cold (the choice set built first) and warm, with the equilibrium's
iterations and the agreement with the simulation at the assigned flows; and `scenario diff` of two
bundled scenarios. Targets (issue 11): a coupled baseline under 5 s, a diff under 10 s.

    python benchmarks/coupled.py
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.table import Table

import corridor
from corridor.analysis.crossing import crossing_agreement
from corridor.scenarios.apply import apply_scenario
from corridor.scenarios.diff import diff
from corridor.scenarios.run import run_scenario


def main() -> None:
    net = corridor.load_network()
    t = Table(title="coupled assignment (SUE with the Caspian wait curves), this machine")
    for c in ("scenario", "cold s", "warm s", "iterations", "rgap", "max |curve - simulation| h"):
        t.add_column(c, justify="left" if c == "scenario" else "right")
    for name in ("baseline-2024", "caspian-low-2m"):
        a = apply_scenario(name, network=net)
        t0 = time.perf_counter()
        r = corridor.assign(a.network, a.demand, world=a.world)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        r = corridor.assign(a.network, a.demand, world=a.world)
        warm = time.perf_counter() - t0
        agree = crossing_agreement(r, a.caspian)
        t.add_row(name, f"{cold:.2f}", f"{warm:.3f}", str(r.iterations), f"{r.rgap:.1e}",
                  f"{agree['difference_hours'].abs().max():.0f}")
    Console().print(t)
    t0 = time.perf_counter()
    d = diff(run_scenario("baseline-2024", caspian_replications=0),
             run_scenario("caspian-low", caspian_replications=0))
    Console().print(f"scenario diff baseline-2024 vs caspian-low (two runs from cold caches): "
                    f"{time.perf_counter() - t0:.1f} s; middle corridor change "
                    f"{d.corridors.set_index('corridor').loc['middle', 'd_teu']:+,.0f} TEU")


if __name__ == "__main__":
    main()
