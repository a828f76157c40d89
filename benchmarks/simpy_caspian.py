"""The Caspian crossing model of `corridor.caspian`, written as SimPy processes.

One replication at a time, one process per vessel and per service's lot source,
berth pools as `simpy.Resource`s. It reads everything from a `CaspianConfig`
(services, vessel classes and counts, berth pools, handling rates and setup,
sailing and return times, lots, sailing rule, weather, sea-level capacity) and
follows the vectorised model's rules:

* a vessel arriving at its origin queues FIFO for a berth of its kind; once it
  has one it waits for the port to open (`s0`), then loads the service's cargo
  FIFO. Vessels of a service take cargo in the order they arrived at the port (a
  one-slot "cargo front" per service, requested on arrival), so a second ferry at
  a second berth only gets the lots after the first one is ready; lots are split
  across vessels when they do not fit;
* it is ready when full, or from `s0 + max_wait_hours` on as soon as it holds
  `min_load_share` of its effective capacity; boarding starts at
  `max(s0, arrival of its first unit)`, handling takes `setup + units / rate` from
  there and overlaps with waiting for cargo; it sails at the first open moment
  after both, freeing the berth;
* at the destination it waits at anchor while the port is closed and queues FIFO
  for a berth, unloads (`setup + units / rate`), frees the berth and returns;
* a lot's wait runs from its arrival to the boarding start of the sailing that
  takes its last unit; lots never boarded count until the end of the run.

Inputs are corridor's own random processes (`_arrivals` and `_weather` with the
same seed), so replication r here sees exactly the lots and storms of
replication r of `corridor.caspian.simulate`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import simpy

from corridor.caspian.config import CaspianConfig, effective_capacity
from corridor.caspian.engine import HOURS_PER_DAY, _arrivals, _next_open, _weather


@dataclass
class Inputs:
    """Lot arrival times and weather for `reps` replications, as corridor draws them."""

    arrivals: list[np.ndarray]  # per service: (reps, K) hours, +inf padded
    n_lots: list[np.ndarray]  # per service: (reps,)
    closed: np.ndarray  # (reps, ports, days) bool
    next_open: np.ndarray  # (reps, ports, days): first open day on or after each day
    n_days: int
    window: tuple[float, float]


def draw_inputs(cfg: CaspianConfig, days: int, reps: int, seed: int, tail_days: int = 30) -> Inputs:
    """The arrival and weather draws of `simulate(cfg, days, reps, seed)` (warm-up 0, start day 0)."""
    n_days = days + tail_days
    arr, n = [], []
    for i, s in enumerate(cfg.services):
        a, k, _ = _arrivals(s, reps, n_days, 0, seed, i)
        arr.append(a)
        n.append(k)
    closed = _weather(cfg, n_days, reps, seed, 0)
    return Inputs(arr, n, closed, _next_open(closed), n_days, (0.0, days * HOURS_PER_DAY))


def run_replication(cfg: CaspianConfig, inp: Inputs, r: int) -> list[np.ndarray]:
    """One replication; per service, the waits (hours) of the lots arriving inside the window."""
    rep = _Replication(cfg, inp, r)
    rep.run()
    w0, w1 = inp.window
    out = []
    for t, w in zip(rep.times, rep.waits, strict=True):
        t = np.asarray(t)
        out.append(w[(t >= w0) & (t < w1)])
    return out


class _Replication:
    """The crossing as SimPy processes: a source of lots per service, a process per ship."""

    def __init__(self, cfg: CaspianConfig, inp: Inputs, r: int) -> None:
        self.cfg, self.inp = cfg, inp
        self.env = env = simpy.Environment()
        self.t_stop = inp.n_days * HOURS_PER_DAY
        self.pidx = {p.name: i for i, p in enumerate(cfg.ports)}
        self.ports, self.svcs = cfg.ports, cfg.services
        self.cap = effective_capacity(cfg)
        self.closed = [inp.closed[r, p].tolist() for p in range(len(self.ports))]
        self.nxt = [(inp.next_open[r, p] * HOURS_PER_DAY).tolist() for p in range(len(self.ports))]
        self.pile: list[deque] = [deque() for _ in self.svcs]  # per service: [arrival, units left, lot index]
        self.signal = [env.event() for _ in self.svcs]  # succeeds when the next lot arrives
        self.front = [simpy.Resource(env, 1) for _ in self.svcs]  # who takes the next cargo
        self.times = [inp.arrivals[i][r, : inp.n_lots[i][r]].tolist() for i in range(len(self.svcs))]
        # never boarded: counted to the end of the run
        self.waits = [self.t_stop - np.asarray(t) for t in self.times]
        self.pools: dict[tuple[str, str], simpy.Resource] = {}

    def open_after(self, p: int, t: float) -> float:
        d = int(t // HOURS_PER_DAY)
        return self.nxt[p][d] if 0 <= d < self.inp.n_days and self.closed[p][d] else t

    def pool(self, port: str, kind: str) -> simpy.Resource:
        if (port, kind) not in self.pools:
            self.pools[port, kind] = simpy.Resource(self.env, self.cfg.port(port).berths[kind])
        return self.pools[port, kind]

    def source(self, i: int):
        env = self.env
        lot = self.svcs[i].lot_units
        for k, a in enumerate(self.times[i]):
            yield env.timeout(a - env.now)
            self.pile[i].append([a, lot, k])
            ev, self.signal[i] = self.signal[i], env.event()
            ev.succeed()

    def board(self, i: int, units: int, v_min: int, deadline: float, boarded: list):
        """Lots taken from the service's pile until the ship is full, or holds its minimum load at the
        deadline; the boarded lots appended to `boarded`; returns (load, the first lot's arrival)."""
        env, q = self.env, self.pile[i]
        load, first = 0, None
        while True:
            while q and load < units:
                lot = q[0]
                if first is None:
                    first = lot[0]
                n = min(units - load, lot[1])
                load += n
                lot[1] -= n
                if lot[1] == 0:
                    boarded.append(q.popleft())
            if load >= units or (load >= v_min and env.now >= deadline):
                return load, first
            if env.now < deadline:
                yield self.signal[i] | env.timeout(deadline - env.now)
            else:
                yield self.signal[i]

    def vessel(self, i: int, units: int, kind: str, offset: float):
        env, s, ports = self.env, self.svcs[i], self.ports
        o, d = self.pidx[s.origin], self.pidx[s.destination]
        berth_o, berth_d = self.pool(s.origin, kind), self.pool(s.destination, kind)
        rate_o = ports[o].handling_units_per_hour[s.cargo]
        rate_d = ports[d].handling_units_per_hour[s.cargo]
        v_min = max(1, math.ceil(s.min_load_share * units - 1e-9))
        w = self.waits[i]
        yield env.timeout(offset)
        while env.now < self.t_stop:
            # origin: FIFO place in the cargo queue and at the berths, taken on arrival
            take = self.front[i].request()
            berth = berth_o.request()
            yield berth
            s0 = self.open_after(o, env.now)
            if s0 > env.now:
                yield env.timeout(s0 - env.now)
            yield take
            boarded: list = []
            load, first = yield from self.board(i, units, v_min, s0 + s.max_wait_hours, boarded)
            self.front[i].release(take)
            start = max(s0, first)
            for a, _, k in boarded:
                w[k] = max(start - a, 0.0)
            done = start + ports[o].setup_hours + load / rate_o
            if done > env.now:
                yield env.timeout(done - env.now)
            dep = self.open_after(o, env.now)
            if dep > env.now:
                yield env.timeout(dep - env.now)
            berth_o.release(berth)
            yield env.timeout(s.sail_hours)
            # destination: at anchor while closed, FIFO for a berth, unload
            a0 = self.open_after(d, env.now)
            with berth_d.request() as berth:
                yield berth
                yield env.timeout(max(a0, env.now) - env.now + ports[d].setup_hours + load / rate_d)
            yield env.timeout(s.return_hours)

    def run(self) -> None:
        cfg, env, svcs, cap = self.cfg, self.env, self.svcs, self.cap
        for i in range(len(svcs)):
            env.process(self.source(i))
        sidx = {s.name: i for i, s in enumerate(svcs)}
        members: dict[int, list] = {}
        for vc in cfg.vessels:
            if cap[vc.name] > 0:
                members.setdefault(sidx[vc.service], []).extend([vc] * vc.count)
        for i, fleet in members.items():
            s = svcs[i]
            for j, vc in enumerate(fleet):
                o, d = cfg.port(s.origin), cfg.port(s.destination)
                cycle = (s.sail_hours + s.return_hours + o.setup_hours + d.setup_hours
                         + cap[vc.name] / o.handling_units_per_hour[s.cargo])
                env.process(self.vessel(i, cap[vc.name], vc.kind, j / len(fleet) * cycle))
        env.run()
