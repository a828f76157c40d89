"""The Caspian lever of a scenario: the crossing its sea level, fleet and ports make.

The crossing goes into the scenario's world (`World.caspian`): the cost model takes each line's
capacity and waits from it (`caspian.curves`), so a falling sea or new ships move every answer in
that world, not a capacity figure on a link.
"""

from __future__ import annotations

import numpy as np

from ..caspian.config import CaspianConfig, baseline_config, resolve_fleet_changes
from ..caspian.curves import service_curves
from .schema import CaspianSpec


def caspian_config(spec: CaspianSpec | None) -> CaspianConfig:
    """The Caspian crossing of a scenario: the 2024 data at its sea level, with its fleet and port changes."""
    cfg = baseline_config()
    if spec is None:
        return cfg
    if spec.level_m is not None:
        cfg = cfg.with_level(spec.level_m)
    elif spec.sea_level_m:
        cfg = cfg.with_level(cfg.reference_level_m + spec.sea_level_m)
    if spec.vessels_add:
        cfg = cfg.with_fleet(resolve_fleet_changes(cfg, spec.vessels_add))
    if spec.deepen_m or spec.berths_add:
        cfg = cfg.with_ports(deepen=dict(spec.deepen_m),
                             berths_add={k: dict(v) for k, v in spec.berths_add.items()})
    return cfg


def line_summary(cfg: CaspianConfig | None = None, month: int | None = None) -> dict[str, dict]:
    """Per Caspian service: what it can carry in a year (its units) and the wait at its 2024 volume,
    in `month` or over the year: what a crossing's sea level, fleet and ports do to each line."""
    cfg = cfg or baseline_config()
    out = {}
    for s in cfg.services:
        cv = service_curves(cfg)[s.name]
        v = np.array([s.annual_units])
        out[s.name] = {"unit": next(c.unit for c in cfg.cargo if c.name == s.cargo),
                       "capacity_units_yr": round(float(cv.served(month)[0]), 1),
                       "volume_2024_units": s.annual_units,
                       "wait_hours_at_2024_volume": round(float(cv.wait(v, month)[0]), 1),
                       "sea_level_m": round(cfg.level_m, 3)}
    return out
