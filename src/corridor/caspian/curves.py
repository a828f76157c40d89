"""Wait curves of the Caspian lines, fitted to the discrete-event simulation, for the cost model.

The simulation (`caspian.simulate`) is the ground truth of the crossing: ships, berths, weather
and trains of cargo. An equilibrium needs a wait for any flow in a few microseconds, so each
service gets a closed-form curve (`queueing.QueueCurves`, Akçelik's form) whose parameters come
from the configuration and four numbers fitted to the simulation:

- capacity in month m = κ × the fleet's nominal capacity (units a year: vessels × units per
  sailing at the sea level × sailings a year) × A_m^α, A_m the share of days both ports are open
  (ships wait out a closure and sail in the open days, so a closed day costs less than a day's
  capacity: α < 1);
- the delay parameter J (how bunched arrivals and sailings are);
- the wait at any flow in month m = β0 + βw × the month's expected weather hours (closure share ×
  mean closure length at both ends): the sailing interval and weather a unit meets however
  little cargo there is.

The fit runs the simulation in stationary regimes side by side (every month's weather × a grid
of flows, several replications each; about 2 s) and minimises relative error against the
simulated mean time from arrival to departure, made non-decreasing in flow: below the flow at
which a ship fills on schedule the simulation's wait falls with more cargo (ships fill faster);
the curve keeps the lowest wait at that flow or more, so the equilibrium stays well posed (a
falling cost would make it non-unique). `Fit.agreement` tells how close the curve is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache

import numpy as np

from ..datafiles import bundled_data_dir
from ..queueing import HOURS_PER_YEAR, MONTH_HOURS, QueueCurves, akcelik
from .config import CaspianConfig, Service, baseline_config, effective_capacity

CURVES_FILE = "caspian_curves.json"
GRID = (0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0)  # flow as a multiple of the configuration's volumes


@dataclass(frozen=True)
class ServiceFit:
    """The fitted numbers of one service's curve."""

    kappa: float  # share of the nominal capacity the simulation achieves
    j: float  # Akçelik delay parameter
    beta0: float  # hours every unit waits (sailing interval, loading)
    beta_w: float  # hours of wait per expected weather hour
    alpha: float = 1.0  # how much of a month's closed days its capacity loses: availability^alpha


@dataclass(frozen=True)
class Fit:
    """Fitted curves for every service of a configuration, with how well they agree."""

    services: dict[str, ServiceFit]
    config_hash: str
    agreement: dict[str, dict[str, float]] = field(default_factory=dict)  # per service: r2, mean abs error
    grid: tuple[float, ...] = GRID
    days: int = 0
    replications: int = 0

    def to_dict(self) -> dict:
        return {"services": {k: asdict(v) for k, v in self.services.items()}, "config_hash": self.config_hash,
                "agreement": self.agreement, "grid": list(self.grid), "days": self.days,
                "replications": self.replications}

    @classmethod
    def from_dict(cls, d: dict) -> Fit:
        return cls({k: ServiceFit(**v) for k, v in d["services"].items()}, d["config_hash"],
                   d.get("agreement", {}), tuple(d.get("grid", GRID)), d.get("days", 0),
                   d.get("replications", 0))


def config_hash(cfg: CaspianConfig) -> str:
    """What a fit depends on: ports, services and fleet as configured (at the reference sea level)."""
    d = {"ports": [asdict(p) for p in cfg.ports], "cargo": [asdict(c) for c in cfg.cargo],
         "services": [asdict(s) for s in cfg.services], "vessels": [asdict(v) for v in cfg.vessels],
         "level": cfg.sea_level_m, "underkeel": cfg.underkeel_m}
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


# ------------------------------------------------------------------ the closed form


def nominal_capacity(cfg: CaspianConfig) -> dict[str, float]:
    """Units a year each service's fleet can carry in open weather at the configuration's sea level."""
    cap = effective_capacity(cfg)
    ports = {p.name: p for p in cfg.ports}
    out = {s.name: 0.0 for s in cfg.services}
    for v in cfg.vessels:
        s = next(x for x in cfg.services if x.name == v.service)
        units = cap[v.name]
        if units <= 0 or v.count <= 0:
            continue
        o, d = ports[s.origin], ports[s.destination]
        cycle = (o.setup_hours + units / o.handling_units_per_hour[s.cargo] + s.sail_hours
                 + d.setup_hours + units / d.handling_units_per_hour[s.cargo] + s.return_hours)
        out[s.name] += v.count * units * HOURS_PER_YEAR / cycle
    return out


def weather(cfg: CaspianConfig) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per service and month: the share of days both ports are open, and the expected weather hours a
    unit meets (closure share × mean closure length, at either end)."""
    ports = {p.name: p for p in cfg.ports}
    out = {}
    for s in cfg.services:
        o, d = ports[s.origin], ports[s.destination]
        qo, qd = np.asarray(o.closure_share, float), np.asarray(d.closure_share, float)
        avail = (1.0 - qo) * (1.0 - qd)
        hours = 24.0 * (qo * np.asarray(o.closure_days, float) + qd * np.asarray(d.closure_days, float))
        out[s.name] = (avail, hours)
    return out


def service_curves(cfg: CaspianConfig, fit: Fit | None = None, *,
                   period: float = MONTH_HOURS) -> dict[str, QueueCurves]:
    """One single-queue curve per service (units of the service's cargo), at the configuration's fleet,
    sea level and weather. A service whose ships cannot sail (none, or none can berth) has ~0 capacity."""
    fit = fit or bundled_fit()
    nominal = nominal_capacity(cfg)
    wx = weather(cfg)
    out = {}
    for s in cfg.services:
        p = fit.services.get(s.name)
        if p is None:
            raise KeyError(f"no fitted wait curve for Caspian service {s.name!r}: run corridor caspian fit")
        avail, hours = wx[s.name]
        cap = np.maximum(p.kappa * nominal[s.name] * avail ** p.alpha, 1e-6)
        base = p.beta0 + p.beta_w * hours
        out[s.name] = QueueCurves(cap[:, None], np.array([p.j]), base[:, None], period=period)
    return out


# ------------------------------------------------------------------ the fit


def simulate_grid(cfg: CaspianConfig, *, grid: Sequence[float] = GRID, replications: int = 8, days: int = 180,
                  seed: int = 11) -> dict[str, np.ndarray]:
    """Mean hours from arrival to departure per service, (12 months, len(grid)), every month's
    weather held all year and every service's volume scaled by each grid multiple."""
    from .simulate import simulate

    xs = np.asarray(grid, dtype=float)
    scale = np.repeat(np.tile(xs, 12), replications)
    month = np.repeat(np.repeat(np.arange(12), len(xs)), replications)
    r = simulate(cfg, days=days, replications=len(scale), seed=seed, warmup_days=30, tail_days=45,
                 regime=(scale, month))
    return {s: r.rep_mean_delay[s].reshape(12, len(xs), replications).mean(2) for s in r.services}


def _envelope(w: np.ndarray) -> np.ndarray:
    """Non-decreasing along the last axis: the lowest wait at this flow or more."""
    return np.minimum.accumulate(w[..., ::-1], axis=-1)[..., ::-1]


def fit_curves(cfg: CaspianConfig | None = None, *, grid: Sequence[float] = GRID, replications: int = 8,
               days: int = 180, seed: int = 11) -> Fit:
    """Fit every service's curve to the simulation of `cfg` (default: the bundled 2024 crossing)."""
    from scipy.optimize import least_squares

    cfg = cfg or baseline_config()
    sim = simulate_grid(cfg, grid=grid, replications=replications, days=days, seed=seed)
    nominal = nominal_capacity(cfg)
    wx = weather(cfg)
    period = days * 24.0  # the simulated regimes last the whole window
    xs = np.asarray(grid, dtype=float)
    services, agreement = {}, {}
    for s in cfg.services:
        target = _envelope(sim[s.name])  # (12, grid)
        volume = xs * s.annual_units
        avail, hours = wx[s.name]

        def model(theta: np.ndarray, s: Service = s, volume: np.ndarray = volume, avail: np.ndarray = avail,
                  hours: np.ndarray = hours) -> np.ndarray:
            kappa, j, b0, bw, alpha = theta
            cap = np.maximum(kappa * nominal[s.name] * avail ** alpha, 1e-6)[:, None]
            k = 8.0 * j / (cap / HOURS_PER_YEAR * period)
            return (b0 + bw * hours)[:, None] + akcelik(volume[None, :] / cap, k, period)

        def resid(theta: np.ndarray, target: np.ndarray = target,
                  model: Callable[[np.ndarray], np.ndarray] = model) -> np.ndarray:
            return (np.log(model(theta) + 5.0) - np.log(target + 5.0)).ravel()

        res = least_squares(resid, x0=[1.0, 50.0, 20.0, 1.0, 0.5],
                            bounds=([0.2, 0.01, 0.0, 0.0, 0.0], [3.0, 5000, 500, 20, 2.0]))
        kappa, j, b0, bw, alpha = (float(v) for v in res.x)
        services[s.name] = ServiceFit(kappa, j, b0, bw, alpha)
        pred = model(res.x)
        ss_res = float(((pred - target) ** 2).sum())
        ss_tot = float(((target - target.mean()) ** 2).sum())
        agreement[s.name] = {"r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
                             "mean_abs_error_hours": float(np.abs(pred - target).mean()),
                             "mean_simulated_hours": float(target.mean())}
    return Fit(services, config_hash(cfg), agreement, tuple(grid), days, replications)


@cache
def bundled_fit() -> Fit:
    """The fit shipped with the data (`caspian_curves.json`), made by `corridor caspian fit --save`."""
    path = bundled_data_dir() / CURVES_FILE
    return Fit.from_dict(json.loads(path.read_text(encoding="utf-8")))
