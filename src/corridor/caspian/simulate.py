"""Discrete-event simulation of the Caspian crossing, vectorised across replications.

Vessels cycle load → sail → unload → return between an eastern and a western port. Cargo
(wagons, trucks, TEU) arrives in lots as a Poisson process with daily rates and queues FIFO per
service; ports have berth pools per vessel kind and close by weather for whole days. `simulate`
drives `engine.Engine` and summarises waits, throughput and utilisation per service and port.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..errors import CorridorError
from ..folders import Writable
from ..output import Document, Output, Table
from .config import VESSEL_KINDS, CaspianConfig, effective_capacity
from .engine import HOURS_PER_DAY, Engine, weighted_quantile

if TYPE_CHECKING:  # pandas is imported when a frame is asked for
    import pandas as pd


@dataclass
class CaspianResult(Writable):
    """Summary of `replications` simulated years; statistics pool all replications.

    Waits are hours from a lot's arrival at the origin port until the sailing
    carrying its last unit starts boarding (per service = origin port × cargo).
    """

    days: int
    replications: int
    services: list[str]
    service_port: list[str]
    service_cargo: list[str]
    mean_wait_hours: dict[str, float]  # per origin port
    p90_wait_hours: dict[str, float]
    service_mean_wait_hours: dict[str, float]
    service_p90_wait_hours: dict[str, float]
    service_mean_wait_se: dict[str, float]  # standard error across replications
    throughput: dict[str, float]  # units boarded in the window per service, mean over replications
    backlog: np.ndarray  # (services, days): units waiting at each day's end, mean over replications
    backlog_p90: np.ndarray  # (services, days): 90th percentile over replications
    utilisation: dict[str, float]  # per vessel kind: share of time handling or sailing
    load_factor: dict[str, float]  # per vessel kind: units carried / nominal capacity
    effective_capacity: dict[str, int]
    excluded_vessels: list[str]
    censored_share: dict[str, float]  # lots still waiting at the end (their wait is a lower bound)
    wait_samples: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    rep_mean_wait: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    # per service and replication: mean hours from arrival to the departure of the ship it boards
    rep_mean_delay: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    delay_samples: dict[str, np.ndarray] = field(repr=False, default_factory=dict)  # arrival to departure

    @property
    def throughput_per_port(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for s, p in zip(self.services, self.service_port, strict=True):
            out[p] = out.get(p, 0.0) + self.throughput[s]
        return out

    def port_summary(self) -> dict[str, dict[str, float]]:
        """Per origin port: mean and p90 wait, units carried a year, worst mean backlog."""
        out = {}
        for port in self.mean_wait_hours:
            rows = [i for i, p in enumerate(self.service_port) if p == port]
            out[port] = {"mean_wait_hours": self.mean_wait_hours[port],
                         "p90_wait_hours": self.p90_wait_hours[port],
                         "throughput": self.throughput_per_port.get(port, 0.0),
                         "max_mean_backlog": float(max((self.backlog[i].max() for i in rows
                                                        if self.backlog.size), default=0.0))}
        return out

    def vessel_summary(self) -> dict[str, dict[str, float]]:
        """Per vessel kind: share of time busy, and cargo carried over nominal capacity."""
        return {k: {"utilisation": self.utilisation[k], "load_factor": self.load_factor[k]}
                for k in self.utilisation}

    def summary(self) -> dict:
        """What a reader asks first: waits and throughput per port, vessel use, capacity at this
        sea level, and the services (the CLI's and the web app's answer)."""
        d = self.to_dict()
        return {"ports": self.port_summary(), "vessel_types": self.vessel_summary(),
                "effective_capacity": d["effective_capacity"], "excluded_vessels": d["excluded_vessels"],
                "services": d["services"]}

    def to_frame(self) -> pd.DataFrame:
        """One row per service (origin port x cargo): waits, their standard error, throughput,
        worst mean backlog and the share of lots still waiting at the end."""
        import pandas as pd

        rows = [{"service": s, **v} for s, v in self.to_dict()["services"].items()]
        return pd.DataFrame(rows)

    def backlog_frame(self) -> pd.DataFrame:
        """Units waiting at each day's end per service: the mean and the 90th percentile over replications."""
        import pandas as pd

        days = np.arange(1, self.backlog.shape[1] + 1) if self.backlog.size else np.array([], dtype=int)
        parts = [pd.DataFrame({"service": s, "day": days, "mean_backlog": self.backlog[i],
                               "p90_backlog": self.backlog_p90[i]}) for i, s in enumerate(self.services)]
        return pd.concat(parts, ignore_index=True) if parts else \
            pd.DataFrame(columns=["service", "day", "mean_backlog", "p90_backlog"])

    def outputs(self, net: object = None) -> list[Output]:
        """What `write` writes: the summary as JSON, one row per service, one per port, the backlog by day
        (`net` is not needed: the crossing has no shapes of its own)."""
        import pandas as pd

        def ports() -> pd.DataFrame:
            return pd.DataFrame([{"port": p, **v} for p, v in self.port_summary().items()])

        return [Document("caspian.json", self.to_dict), Table("services", self.to_frame),
                Table("ports", ports), Table("backlog", self.backlog_frame)]

    def to_dict(self) -> dict:
        return {
            "days": self.days, "replications": self.replications,
            "mean_wait_hours": self.mean_wait_hours, "p90_wait_hours": self.p90_wait_hours,
            "services": {
                s: {"port": p, "cargo": c, "mean_wait_hours": self.service_mean_wait_hours[s],
                    "p90_wait_hours": self.service_p90_wait_hours[s],
                    "mean_wait_se": self.service_mean_wait_se[s], "throughput": self.throughput[s],
                    "max_mean_backlog": float(self.backlog[i].max()) if self.backlog.size else 0.0,
                    "censored_share": self.censored_share[s]}
                for i, (s, p, c) in enumerate(zip(self.services, self.service_port, self.service_cargo,
                                                  strict=True))},
            "backlog": {s: self.backlog[i].round(2).tolist() for i, s in enumerate(self.services)},
            "utilisation": self.utilisation, "load_factor": self.load_factor,
            "effective_capacity": self.effective_capacity, "excluded_vessels": self.excluded_vessels,
        }


def simulate(config: CaspianConfig, days: int = 365, replications: int = 1, seed: int = 0,
             warmup_days: int = 0, tail_days: int = 30, start_day: int = 0,
             regime: tuple[np.ndarray, np.ndarray] | None = None) -> CaspianResult:
    """Simulate `replications` independent runs of `days` days (after `warmup_days`).

    Arrivals continue `tail_days` beyond the window so that lots arriving near
    its end can board; waits count only lots arriving inside the window. Random
    streams are keyed by (seed, purpose, index), so runs differing only in fleet
    share their arrivals and weather (common random numbers). `regime` (arrival-rate scale and
    month per replication) runs stationary regimes side by side (see `caspian.curves`).
    """
    if days < 1 or replications < 1 or warmup_days < 0 or tail_days < 0:
        raise CorridorError("days and replications must be >= 1; warmup_days and tail_days >= 0")
    cfg = config
    n_days = warmup_days + days + tail_days
    eng = Engine(cfg, effective_capacity(cfg), replications, n_days, (start_day - warmup_days) % 365, seed,
                 regime)
    w0, w1 = warmup_days * HOURS_PER_DAY, (warmup_days + days) * HOURS_PER_DAY
    eng.window = (w0, w1)
    eng.run()
    R, S = replications, len(cfg.services)
    names = [s.name for s in cfg.services]
    sport = [s.origin for s in cfg.services]
    scargo = [s.cargo for s in cfg.services]
    # FIFO waits: lot k boards the first sailing whose cumulative load reaches its last unit
    Jn = eng.rec_D.shape[2]
    recD = np.maximum.accumulate(np.where(np.isfinite(eng.rec_D), eng.rec_D, 1e18), axis=2)
    smw, sp90, sse, thr, cens, samples, repm, repd, delays = {}, {}, {}, {}, {}, {}, {}, {}, {}
    backlog = np.zeros((S, days))
    backlog90 = np.zeros((S, days))
    day_ends = w0 + HOURS_PER_DAY * np.arange(1, days + 1)
    port_w: dict[str, list] = {}
    for i in range(S):
        lot = eng.s_lot[i]
        K = eng.K
        last_unit = (np.arange(1, K + 1) * lot)[None, :].repeat(R, 0)  # (R, K)
        rows = recD[:, i, :]
        # row-wise searchsorted via offsets (values are integers below 1e18 / R)
        big = float(np.nanmax(np.where(rows < 1e18, rows, 0)) + lot * K + 10)
        flat = (np.minimum(rows, big - 1) + np.arange(R)[:, None] * big).ravel()
        j = np.searchsorted(flat, (last_unit + np.arange(R)[:, None] * big).ravel(), side="left")
        j = j.reshape(R, K) - np.arange(R)[:, None] * Jn
        found = (j < eng.rec_n[:, i, None])
        jc = np.clip(j, 0, Jn - 1)
        board = np.where(found, eng.rec_start[np.arange(R)[:, None], i, jc], eng.t_stop)
        leave = np.where(found, eng.rec_dep[np.arange(R)[:, None], i, jc], eng.t_stop)
        arr = eng.arr[:, i, :K]
        valid = np.arange(K)[None, :] < eng.n_lots[:, i, None]
        inwin = valid & (arr >= w0) & (arr < w1)
        wait = np.maximum(board - arr, 0.0)
        # arrival to departure: the queue for a ship, plus loading and waiting for the ship to fill
        delay = np.maximum(leave - arr, 0.0)
        repd[names[i]] = np.where(inwin, delay, 0).sum(1) / np.maximum(inwin.sum(1), 1)
        delays[names[i]] = delay[inwin]
        x = wait[inwin]
        samples[names[i]] = x
        smw[names[i]] = float(x.mean()) if x.size else float("nan")
        sp90[names[i]] = float(np.quantile(x, 0.9)) if x.size else float("nan")
        per_rep = np.where(inwin, wait, 0).sum(1) / np.maximum(inwin.sum(1), 1)
        repm[names[i]] = per_rep
        sse[names[i]] = float(per_rep.std(ddof=1) / math.sqrt(R)) if R > 1 else float("nan")
        cens[names[i]] = float((inwin & ~found).sum() / max(inwin.sum(), 1))
        port_w.setdefault(sport[i], []).append((x, np.full(x.size, lot)))
        # throughput and backlog from the cumulative curves
        st = np.where(np.isfinite(eng.rec_start[:, i]), eng.rec_start[:, i], np.inf)
        st = np.maximum.accumulate(np.where(np.isfinite(st), st, 1e15), axis=1)
        cnt = np.arange(Jn)[None, :] < eng.rec_n[:, i, None]
        dD = np.diff(np.concatenate([np.zeros((R, 1)), np.where(cnt, recD[:, i], 0)], 1), axis=1)
        dD = np.where(cnt, dD, 0.0)
        thr[names[i]] = float((dD * ((st >= w0) & (st < w1))).sum(1).mean())
        rr = np.arange(R)[:, None]
        A = np.cumsum(eng.daily[:, i], 1)[:, warmup_days: warmup_days + days] * lot
        cumD = np.concatenate([np.zeros((R, 1)), np.cumsum(dD, 1)], 1)
        off = np.arange(R)[:, None] * (eng.t_stop + 100.0)
        flat_st = (np.minimum(st, eng.t_stop + 50.0) + off).ravel()
        k = np.searchsorted(flat_st, (day_ends[None, :] + off).ravel(), side="right").reshape(R, days)
        k = k - np.arange(R)[:, None] * Jn
        Dt = cumD[rr, k]
        # sailings are booked at boarding start, so units still arriving during loading
        # would count as gone before they came: a queue is never negative
        bl = np.maximum(A - Dt, 0.0)
        backlog[i] = bl.mean(0)
        backlog90[i] = np.quantile(bl, 0.9, axis=0)
    mw = {p: float(np.average(np.concatenate([x for x, _ in v]), weights=np.concatenate([w for _, w in v])))
          if sum(x.size for x, _ in v) else float("nan") for p, v in port_w.items()}
    p90 = {p: weighted_quantile(np.concatenate([x for x, _ in v]), np.concatenate([w for _, w in v]), 0.9)
           for p, v in port_w.items()}
    util, lf = {}, {}
    span_h = days * HOURS_PER_DAY
    nominal = np.array([vc.capacity_units for vc in eng.vclass], dtype=float)
    for kind in VESSEL_KINDS:
        m = np.array([vc.kind == kind for vc in eng.vclass], dtype=bool)
        if eng.V and m.any():
            util[kind] = float(np.minimum(eng.busy[:, m] / span_h, 1.0).mean())
            offered = (eng.win_sailings[:, m] * nominal[m]).sum(1)
            lf[kind] = float((eng.carried[:, m].sum(1) / np.maximum(offered, 1e-9)).mean())
    return CaspianResult(
        days=days, replications=R, services=names, service_port=sport, service_cargo=scargo,
        mean_wait_hours=mw, p90_wait_hours=p90, service_mean_wait_hours=smw, service_p90_wait_hours=sp90,
        service_mean_wait_se=sse, throughput=thr, backlog=backlog, backlog_p90=backlog90,
        utilisation=util, load_factor=lf, effective_capacity=dict(eng.cap_by_class),
        excluded_vessels=eng.excluded, censored_share=cens, wait_samples=samples, rep_mean_wait=repm,
        rep_mean_delay=repd, delay_samples=delays)


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C)."""
    a = lam / mu
    rho = a / c
    if rho >= 1:
        return math.inf
    s = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - rho)
    pc = top / (s + top)
    return pc / (c * mu - lam)


def mdc_wait(lam: float, service: float, c: int) -> float:
    """Mean wait of M/D/c by the Cosmetatos approximation (accurate to ~1-2% for c <= 10)."""
    mu = 1.0 / service
    wq_mmc = erlang_c_wait(lam, mu, c)
    rho = lam * service / c
    corr = 1 + (1 - rho) * (c - 1) * (math.sqrt(4 + 5 * c) - 2) / (16 * rho * c)
    return 0.5 * corr * wq_mmc
