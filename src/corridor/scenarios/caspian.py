"""The Caspian lever of a scenario: its fleet and sea level as a crossing, and their effect on ferries."""

from __future__ import annotations

import numpy as np

from ..caspian.config import CaspianConfig, baseline_config, effective_capacity, resolve_fleet_changes
from ..network.tables import Network
from .schema import CaspianSpec

CASPIAN_NODES = {"Aktau": "aktau", "Kuryk": "kuryk", "Turkmenbashi": "turkmenbashi", "Alat": "alat"}


def caspian_config(spec: CaspianSpec | None) -> CaspianConfig:
    """The Caspian crossing of a scenario: the 2024 data with its sea level, fleet and port changes."""
    cfg = baseline_config(sea_level=(spec.sea_level_m or 0.0) if spec else 0.0)
    if spec is None:
        return cfg
    if spec.vessels_add:
        cfg = cfg.with_fleet(resolve_fleet_changes(cfg, spec.vessels_add))
    if spec.deepen_m or spec.berths_add:
        cfg = cfg.with_ports(deepen=dict(spec.deepen_m),
                             berths_add={k: dict(v) for k, v in spec.berths_add.items()})
    return cfg


def _service_capacity(cfg: CaspianConfig) -> dict[str, float]:
    """Tonnes a year-round fleet can lift per round trip, by service (count x units x t/unit)."""
    eff = effective_capacity(cfg)
    tpu = {c.name: c.tonnes_per_unit for c in cfg.cargo}
    svc = {s.name: s for s in cfg.services}
    out: dict[str, float] = {s.name: 0.0 for s in cfg.services}
    for v in cfg.vessels:
        s = svc[v.service]
        out[s.name] += v.count * eff[v.name] * tpu[s.cargo] / max(s.sail_hours + s.return_hours, 1e-9)
    return out


def caspian_capacity_factors(cfg: CaspianConfig, net: Network) -> dict[str, float]:
    """Capacity factor per Caspian ferry link: the scenario fleet's lift over the 2024 fleet's.

    For each port pair, services are weighted by their 2024 tonnage (annual units x t/unit);
    a service's lift is vessels x units each can carry at the sea level / round-trip hours.
    """
    base, scn = _service_capacity(baseline_config()), _service_capacity(cfg)
    tpu = {c.name: c.tonnes_per_unit for c in cfg.cargo}
    lk = net.links
    out: dict[str, float] = {}
    pairs: dict[tuple[str, str], list] = {}
    for s in cfg.services:
        pairs.setdefault((s.origin, s.destination), []).append(s)
    for (o, d), svcs in pairs.items():
        a, b = CASPIAN_NODES.get(o), CASPIAN_NODES.get(d)
        m = (lk["mode"] == "ferry") & (((lk["from_node_id"] == a) & (lk["to_node_id"] == b))
                                       | ((lk["from_node_id"] == b) & (lk["to_node_id"] == a)))
        if not m.any():
            continue
        w = np.array([s.annual_units * tpu[s.cargo] for s in svcs], dtype=float)
        r = np.array([scn[s.name] / base[s.name] if base[s.name] > 0 else 1.0 for s in svcs])
        factor = float(np.average(r, weights=w)) if w.sum() > 0 else float(r.mean())
        for lid in lk.loc[m, "link_id"]:
            out[str(lid)] = factor
    return out
