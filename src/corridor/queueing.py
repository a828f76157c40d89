"""Waiting time at a capacity, as a function of the flow through it: the queue curves of the cost model.

A queue (a border station, a port's quay, a ferry line, a link's capacity per direction) serves at
most its capacity `c` a year. Over a period of `T` hours (a month), a flow `v` waits on average

    d(x) = T/4 [ (x - 1) + sqrt((x - 1)^2 + 8 J x / (Q T)) ],   x = v / c,  Q = c / 8760 per hour,

Akçelik's time-dependent form (Akçelik 1991, "Travel time functions for transport planning
purposes", Australian Road Research 21(3)). Below capacity it tends to the steady-state queue
J x / (Q (1 - x)) (M/D/1-like for J = half the batch size: a train or a ship's load arriving at
once); above capacity the queue grows through the period and the mean wait grows by T/2 per unit of
excess x, so flow above capacity keeps a finite but steeply rising cost: it diverts when it can,
and what cannot divert is a backlog that the results report. Unlike a power curve, the wait does
not depend on an arbitrary scale at x = 1: J and T are stated, J per kind of element in
`queue_params.csv` (a judgement with a range) or fitted to the Caspian simulation.

A curve may vary by month: capacity (weather closures at a port), the wait a unit meets at any
flow (a ship's sailing interval and weather: `base`), and the month's share of the year's flow.
An annual figure is the flow-weighted mean of the twelve months (`annual`), in closed form, so
an annual assignment is one equilibrium whose costs are the sum of its months.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

HOURS_PER_YEAR = 8760.0
MONTH_HOURS = HOURS_PER_YEAR / 12.0
MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
MONTH_SHARE = MONTH_DAYS / MONTH_DAYS.sum()  # share of a year's flow in each month, flat seasonality


def akcelik(x: np.ndarray, k: np.ndarray, period: float) -> np.ndarray:
    """Mean wait (hours) at volume/capacity `x`, with k = 8 J / (Q T) and T = `period` hours."""
    x = np.maximum(x, 0.0)
    return 0.25 * period * ((x - 1.0) + np.sqrt((x - 1.0) ** 2 + k * x))


def akcelik_slope(x: np.ndarray, k: np.ndarray, period: float) -> np.ndarray:
    """d wait / d x (hours per unit of x)."""
    x = np.maximum(x, 0.0)
    s = np.sqrt((x - 1.0) ** 2 + k * x)
    return 0.25 * period * (1.0 + ((x - 1.0) + 0.5 * k) / np.where(s > 0, s, 1.0))


def akcelik_area(x: np.ndarray, k: np.ndarray, period: float) -> np.ndarray:
    """∫_0^x wait(u) du (hours × units of x), in closed form."""
    x = np.maximum(x, 0.0)
    k = np.minimum(k, 3.999999)  # (u - 1)^2 + k u = (u + a)^2 + b^2 with b^2 = k (1 - k / 4) > 0
    a = 0.5 * k - 1.0
    b2 = k * (1.0 - 0.25 * k)

    def prim(u: np.ndarray) -> np.ndarray:
        s = np.sqrt((u + a) ** 2 + b2)
        return 0.5 * ((u + a) * s + b2 * np.log((u + a) + s))

    return 0.25 * period * (0.5 * x * x - x + prim(x) - prim(np.zeros_like(x)))


@dataclass(frozen=True)
class QueueCurves:
    """The wait curves of a set of queues, month by month.

    `capacity` (12, queues) units a year the queue can serve in each month's conditions; `j` its
    delay parameter; `base` (12, queues) hours every unit waits whatever the flow (a sailing
    interval, weather); `share` (12,) the share of a year's flow in each month; `period` the
    hours over which a month's excess builds up.
    """

    capacity: np.ndarray
    j: np.ndarray
    base: np.ndarray
    share: np.ndarray = field(default_factory=MONTH_SHARE.copy)
    period: float = MONTH_HOURS

    @classmethod
    def constant(cls, capacity: np.ndarray, j: np.ndarray, base: np.ndarray | None = None) -> QueueCurves:
        """Curves that are the same in every month."""
        cap = np.broadcast_to(np.asarray(capacity, dtype=float), (12, len(capacity))).copy()
        b = np.zeros_like(cap) if base is None else np.broadcast_to(np.asarray(base, float), cap.shape).copy()
        return cls(cap, np.asarray(j, dtype=float), b)

    @property
    def n(self) -> int:
        return self.capacity.shape[1]

    def _k(self) -> np.ndarray:
        q = np.maximum(self.capacity, 1e-9) / HOURS_PER_YEAR  # units an hour
        return 8.0 * self.j[None, :] / (q * self.period)

    def month_x(self, volume: np.ndarray, month: int) -> np.ndarray:
        """Volume/capacity in `month` (1-12) of a year's `volume` spread by the monthly shares."""
        m = month - 1
        rate = volume * 12.0 * self.share[m]  # the month's flow, as a yearly rate
        return rate / np.maximum(self.capacity[m], 1e-9)

    def wait(self, volume: np.ndarray, month: int | None = None) -> np.ndarray:
        """Mean wait (hours) of a unit at a year's `volume` per queue, in `month` or over the year."""
        k = self._k()
        if month is not None:
            m = month - 1
            return self.base[m] + akcelik(self.month_x(volume, month), k[m], self.period)
        x = volume[None, :] * 12.0 * self.share[:, None] / np.maximum(self.capacity, 1e-9)
        per_month = self.base + akcelik(x, k, self.period)
        return (self.share[:, None] * per_month).sum(0) / self.share.sum()

    def slope(self, volume: np.ndarray, month: int | None = None) -> np.ndarray:
        """d wait / d volume (hours per unit a year)."""
        k = self._k()
        months = range(12) if month is None else [month - 1]
        out = np.zeros_like(np.asarray(volume, dtype=float))
        tot = 0.0
        for m in months:
            scale = 12.0 * self.share[m] / np.maximum(self.capacity[m], 1e-9)
            w = self.share[m] if month is None else 1.0
            out = out + w * scale * akcelik_slope(volume * scale, k[m], self.period)
            tot += w
        return out / tot

    def area(self, volume: np.ndarray, month: int | None = None) -> np.ndarray:
        """∫_0^volume wait(v) dv (hours × units a year): the Beckmann potential of the queues."""
        k = self._k()
        months = range(12) if month is None else [month - 1]
        out = np.zeros_like(np.asarray(volume, dtype=float))
        tot = 0.0
        for m in months:
            scale = 12.0 * self.share[m] / np.maximum(self.capacity[m], 1e-9)
            w = self.share[m] if month is None else 1.0
            out = out + w * (self.base[m] * volume + akcelik_area(volume * scale, k[m], self.period) / scale)
            tot += w
        return out / tot

    def backlog(self, volume: np.ndarray, month: int | None = None) -> np.ndarray:
        """Units a year that arrive beyond what the queue can serve (a queue left at the end of each
        month's period, summed over the year; or for one month, at its yearly rate)."""
        if month is not None:
            m = month - 1
            rate = volume * 12.0 * self.share[m]
            return np.maximum(rate - self.capacity[m], 0.0)
        rate = volume[None, :] * 12.0 * self.share[:, None]
        return (np.maximum(rate - self.capacity, 0.0) / 12.0).sum(0)

    def served(self, month: int | None = None) -> np.ndarray:
        """Units a year the queue can serve: in `month` at its yearly rate, or over the year."""
        if month is not None:
            return self.capacity[month - 1]
        return self.capacity.mean(axis=0)

    def bound(self, month: int | None = None) -> MonthCurves:
        """These curves in `month` (or over the year) as plain functions of the volume, for solvers."""
        return MonthCurves(self, month)


@dataclass(frozen=True)
class MonthCurves:
    """`QueueCurves` with the month fixed: wait, slope and area as functions of the volumes alone."""

    curves: QueueCurves
    month: int | None

    @property
    def j(self) -> np.ndarray:
        return self.curves.j

    def wait(self, volume: np.ndarray) -> np.ndarray:
        return self.curves.wait(volume, self.month)

    def slope(self, volume: np.ndarray) -> np.ndarray:
        return self.curves.slope(volume, self.month)

    def area(self, volume: np.ndarray) -> np.ndarray:
        return self.curves.area(volume, self.month)
