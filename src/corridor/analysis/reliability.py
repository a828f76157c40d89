"""Transit-time reliability: door-to-door time distributions per corridor family.

Each leg of a family's best route (from `compare`) gets a random time:

* link legs (rail, road, sea): running hours × a variability factor; one draw per
  shipment is shared by all links of the same mode (the same train or ship runs the
  whole way), so the factor does not average out over many links;
* dwell and transshipment legs: hours × a lognormal factor with median 1 (the network's
  calibrated value is the median), plus, at some nodes, a disruption tail: with
  probability `tail_prob` an extra lognormal delay ("often 5 days, sometimes weeks");
* Caspian ferry links: running part × a normal factor, and the waiting part from the
  Caspian simulation of the question's world (its fleet, sea level and month; run once per
  crossing and month): the wait the cost model gives the line (its curve at today's
  volumes) is the level, a resampled simulated time from arrival to departure for the
  matching port and cargo the shape (shifted so its mean is that level). Ports the
  simulation does not cover fall back to the `ferry_wait` data row.

Parameters live in `data/reliability.csv`, each row with a source and its derivation
(docs/reliability.md). `sample_transit_times` is pure NumPy over (samples × columns).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import CorridorError
from ..folders import Writable
from ..network.tables import Network
from ..output import Document, Output, Table
from ..routing.comparison import compare
from ..routing.results import Route
from ..world import World, world_of

if TYPE_CHECKING:  # the Caspian crossing is loaded when its waits are drawn
    from ..caspian.config import CaspianConfig

FIXED, NORMAL, LOGNORMAL, EMPIRICAL = 0, 1, 2, 3

_DIST = {"fixed": FIXED, "normal": NORMAL, "lognormal": LOGNORMAL}

_Z90 = 1.2815515655446004

_CHUNK = 1 << 18

PROMISE_FACTOR = 1.1  # default promise: the route's deterministic days × 1.1
BEST = "best"  # the row of the best route there is


def load_parameters(path: str | Path | None = None) -> pd.DataFrame:
    """The distribution parameters by leg type and node (`data/reliability.csv`)."""
    p = Path(path) if path is not None else Path(str(resources.files("corridor") / "data")) / \
        "reliability.csv"
    df = pd.read_csv(p, dtype={"node_id": str, "group": str}, keep_default_na=False,
                     na_values={"sigma": [""], "tail_prob": [""], "tail_median_hours": [""],
                                "tail_sigma": [""]})
    for c in ("tail_prob", "tail_median_hours", "tail_sigma"):
        df[c] = df[c].fillna(0.0).astype(float)
    bad = sorted(set(df["dist"]) - set(_DIST))
    if bad:
        raise CorridorError(f"reliability parameters: unknown dist {bad}")
    return df


@functools.lru_cache(maxsize=4)
def _params_cached(path: str | None) -> dict[tuple[str, str], dict]:
    df = load_parameters(path)
    return {(r.leg_type, r.node_id): r._asdict() for r in df.itertuples(index=False)}


def _row(params: dict, leg_type: str, node_id: str = "") -> dict:
    r = params.get((leg_type, node_id)) or params.get((leg_type, ""))
    if r is None:
        raise CorridorError(f"reliability parameters: no row for leg type {leg_type!r}")
    return r


def caspian_wait_samples(caspian: CaspianConfig | None = None, month: int | None = None, *,
                         replications: int = 8, seed: int = 0) -> dict[tuple[str, str], np.ndarray]:
    """Simulated Caspian times from arrival to departure (hours) per (origin port node, cargo), for the
    crossing `caspian` (default: the bundled one) in `month` (its weather all along) or over a year."""
    from ..caspian.config import baseline_config
    from ..caspian.curves import config_hash

    cfg = caspian or baseline_config()
    key = (config_hash(cfg), month, replications, seed)
    if key not in _SAMPLES:
        if len(_SAMPLES) >= 16:
            _SAMPLES.pop(next(iter(_SAMPLES)))
        _SAMPLES[key] = _wait_samples(cfg, month, replications, seed)
    return _SAMPLES[key]


_SAMPLES: dict[tuple, dict[tuple[str, str], np.ndarray]] = {}  # per crossing, month, replications, seed


def _wait_samples(cfg: CaspianConfig, month: int | None, replications: int,
                  seed: int) -> dict[tuple[str, str], np.ndarray]:
    from ..caspian.simulate import simulate

    if month is None:
        r = simulate(cfg, replications=replications, seed=seed)
    else:
        reps = np.full(replications, 1.0), np.full(replications, month - 1)
        r = simulate(cfg, days=120, replications=replications, seed=seed, warmup_days=30, regime=reps)
    node = {p.name: (p.node_id or p.name.lower()) for p in cfg.ports}
    out: dict[tuple[str, str], np.ndarray] = {}
    for s, port, cargo in zip(r.services, r.service_port, r.service_cargo, strict=True):
        x = np.asarray(r.delay_samples.get(s, ()), dtype=np.float64)
        if x.size:
            out[(node[port], cargo)] = x
    return out


def caspian_line_waits(net: Network, world: World) -> dict[str, float]:
    """Per Caspian line link: the hours its curve gives at today's volumes in the world's month."""
    from ..costs import edge_costs

    costs = edge_costs(net, world)
    wait = costs.reference_wait(world.month)
    g = net.graph
    on = costs.member_edge[costs.service[costs.member_queue] != ""]
    out: dict[str, float] = {}
    for e in np.unique(on):
        lid = str(net.links["link_id"].iat[int(g.link[e])])
        out[lid] = max(out.get(lid, 0.0), float(wait[e]))
    return out


@dataclass(frozen=True)
class LegTable:
    """A route as arrays, one entry per sampled column (legs merged where they share a draw).

    time of column j = offset[j] + hours[j] × factor[j] (+ tail), where factor is
    1 + sigma·z (NORMAL, floored at 0.05), exp(sigma·z) (LOGNORMAL) or 1 (FIXED),
    z = Z[:, group[j]] (columns with the same group share a standard-normal draw);
    EMPIRICAL columns add a resample of `pools[pool[j]]` instead of a factor.
    """

    hours: np.ndarray  # float64 (m,)
    dist: np.ndarray  # int8 (m,)
    sigma: np.ndarray  # float64 (m,)
    group: np.ndarray  # int64 (m,), 0..n_groups-1
    offset: np.ndarray  # float64 (m,) hours added as is
    tail_prob: np.ndarray  # float64 (m,)
    tail_median: np.ndarray  # float64 (m,) hours
    tail_sigma: np.ndarray  # float64 (m,)
    pool: np.ndarray  # int64 (m,), -1 unless EMPIRICAL
    pools: tuple[np.ndarray, ...] = ()
    labels: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=())

    @property
    def deterministic_hours(self) -> float:
        return float(self.hours.sum() + self.offset.sum()
                     + sum(float(self.pools[p].mean()) for p in self.pool[self.pool >= 0]))

    def to_frame(self) -> pd.DataFrame:
        inv = {v: k for k, v in _DIST.items()} | {EMPIRICAL: "empirical"}
        return pd.DataFrame({"label": self.labels, "hours": self.hours, "offset": self.offset,
                             "dist": [inv[int(d)] for d in self.dist], "sigma": self.sigma,
                             "group": self.group, "tail_prob": self.tail_prob,
                             "tail_median_hours": self.tail_median, "tail_sigma": self.tail_sigma,
                             "pool": self.pool})


def make_leg_table(rows: Iterable[dict], pools: Iterable[np.ndarray] = ()) -> LegTable:
    """Build a LegTable from dicts with keys hours, dist ('normal', 'lognormal', 'fixed',
    'empirical'), sigma, group (str or None: shared draw key), offset, tail_prob,
    tail_median_hours, tail_sigma, pool, label, source_id. Columns sharing a group and a
    distribution are merged (their hours add up: the factor is the same)."""
    merged: dict[tuple, dict] = {}
    order: list[tuple] = []
    for i, r in enumerate(rows):
        d = r.get("dist", "fixed")
        code = EMPIRICAL if d == "empirical" else _DIST[d]
        grp = r.get("group") or None
        tail = float(r.get("tail_prob", 0.0) or 0.0)
        key = (grp, code, float(r.get("sigma", 0.0) or 0.0)) if grp and tail == 0 and code != EMPIRICAL \
            else ("_", i)
        if key in merged:
            m = merged[key]
            m["hours"] += float(r["hours"])
            m["offset"] += float(r.get("offset", 0.0) or 0.0)
            m["labels"].append(r.get("label", ""))
            continue
        merged[key] = {"hours": float(r["hours"]), "dist": code, "sigma": float(r.get("sigma", 0.0) or 0.0),
                       "gkey": grp if grp else ("_", i), "offset": float(r.get("offset", 0.0) or 0.0),
                       "tail_prob": tail, "tail_median": float(r.get("tail_median_hours", 0.0) or 0.0),
                       "tail_sigma": float(r.get("tail_sigma", 0.0) or 0.0),
                       "pool": int(r.get("pool", -1)) if code == EMPIRICAL else -1,
                       "labels": [r.get("label", "")], "source": r.get("source_id", "")}
        order.append(key)
    cols = [merged[k] for k in order]
    gids: dict = {}
    group = np.array([gids.setdefault(c["gkey"], len(gids)) for c in cols], dtype=np.int64)
    f = np.array
    return LegTable(
        hours=f([c["hours"] for c in cols], dtype=np.float64),
        dist=f([c["dist"] for c in cols], dtype=np.int8),
        sigma=f([c["sigma"] for c in cols], dtype=np.float64), group=group,
        offset=f([c["offset"] for c in cols], dtype=np.float64),
        tail_prob=f([c["tail_prob"] for c in cols], dtype=np.float64),
        tail_median=f([c["tail_median"] for c in cols], dtype=np.float64),
        tail_sigma=f([c["tail_sigma"] for c in cols], dtype=np.float64),
        pool=f([c["pool"] for c in cols], dtype=np.int64),
        pools=tuple(np.asarray(p, dtype=np.float64) for p in pools),
        labels=tuple("+".join(x for x in c["labels"] if x) for c in cols),
        sources=tuple(sorted({c["source"] for c in cols if c["source"]})),
    )


def route_leg_table(net: Network, route: Route, *, params_path: str | Path | None = None,
                    caspian: bool = True, world: World | None = None) -> LegTable:
    """The sampling table of a route found in `world`: one entry per leg, parameters from the data
    table; the Caspian waits from the world's crossing (`caspian=False`: the data table's row)."""
    world = world or World()
    params = _params_cached(None if params_path is None else str(params_path))
    links = net.links.set_index("link_id")
    waits = caspian_wait_samples(world.caspian, world.month) if caspian else {}
    line_wait = caspian_line_waits(net, world)
    rows: list[dict] = []
    pools: list[np.ndarray] = []
    prev_mode = ""
    for leg in route.legs:
        lab = f"{leg.kind}:{leg.from_id}" if leg.kind != "link" else f"{leg.mode}:{leg.link_id}"
        if leg.kind in ("dwell", "transship"):
            p = _row(params, leg.kind, leg.from_id)
            rows.append(_param_row(p, leg.hours, lab))
            continue
        lk = links.loc[leg.link_id] if leg.link_id in links.index else None
        sea_area = "" if lk is None else str(lk.get("sea_area", "") or "")
        if leg.mode == "ferry" and sea_area == "caspian":
            wait = line_wait.get(str(leg.link_id), float(lk["wait_hours"]) if lk is not None else 0.0)
            wait = min(max(wait, 0.0), leg.hours)
            run = leg.hours - wait
            rows.append(_param_row(_row(params, "ferry_caspian"), run, lab + ":run"))
            cargo = "container" if leg.from_id == "aktau" else ("truck" if prev_mode == "road" else "wagon")
            pool = waits.get((leg.from_id, cargo))
            if pool is None:
                pool = next((v for (port, _), v in waits.items() if port == leg.from_id), None)
            if pool is not None and wait > 0:
                # the simulation's shape at the cost model's level: shifted up to it, or scaled down
                mean = float(pool.mean())
                shift = max(wait - mean, 0.0)
                rows.append({"hours": 0.0, "dist": "empirical", "offset": shift, "pool": len(pools),
                             "label": lab + f":wait[{cargo}]", "source_id": "caspian_model_judgement"})
                pools.append(pool if shift > 0 or mean <= 0 else pool * (wait / mean))
            else:
                rows.append(_param_row(_row(params, "ferry_wait"), wait, lab + ":wait"))
        else:
            leg_type = leg.mode if (leg.mode, "") in params else "rail"
            rows.append(_param_row(_row(params, leg_type), leg.hours, lab))
        prev_mode = leg.mode
    return make_leg_table(rows, pools)


def _param_row(p: dict, hours: float, label: str) -> dict:
    return {"hours": hours, "dist": p["dist"], "sigma": p["sigma"], "group": p["group"] or None,
            "tail_prob": p["tail_prob"], "tail_median_hours": p["tail_median_hours"],
            "tail_sigma": p["tail_sigma"], "label": label, "source_id": p["source_id"]}


def sample_transit_times(route_leg_table: LegTable, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` door-to-door times in hours (float64, shape (n,)) of one route; pure NumPy.

    Works in chunks of 2^18 shipments over a (chunk × columns) float32 matrix."""
    t = route_leg_table
    n = int(n)
    out = np.empty(n, dtype=np.float64)
    m = t.hours.size
    if m == 0:
        out.fill(0.0)
        return out
    base = float(t.offset.sum())
    ng = int(t.group.max()) + 1
    drawn = np.zeros(ng, dtype=bool)
    drawn[t.group[(t.dist == NORMAL) | (t.dist == LOGNORMAL)]] = True
    gmap = np.cumsum(drawn) - 1  # group -> column of Z
    nz = int(drawn.sum())
    h32 = t.hours.astype(np.float32)
    s32 = t.sigma.astype(np.float32)
    norm = np.flatnonzero(t.dist == NORMAL)
    logn = np.flatnonzero(t.dist == LOGNORMAL)
    fixed_h = float(t.hours[t.dist == FIXED].sum())
    emp = np.flatnonzero(t.dist == EMPIRICAL)
    tails = np.flatnonzero(t.tail_prob > 0)
    for a in range(0, n, _CHUNK):
        k = min(_CHUNK, n - a)
        acc = np.full(k, base + fixed_h, dtype=np.float64)
        if nz:
            z = rng.standard_normal((k, nz), dtype=np.float32)
            if norm.size:
                f = z[:, gmap[t.group[norm]]] * s32[norm] + np.float32(1.0)
                np.maximum(f, np.float32(0.05), out=f)
                acc += f @ h32[norm]
            if logn.size:
                f = z[:, gmap[t.group[logn]]] * s32[logn]
                np.exp(f, out=f)
                acc += f @ h32[logn]
        for j in emp:
            pool = t.pools[int(t.pool[j])]
            acc += pool[rng.integers(0, pool.size, k)]
        for j in tails:
            hit = np.flatnonzero(rng.random(k) < t.tail_prob[j])
            if hit.size:
                acc[hit] += t.tail_median[j] * np.exp(t.tail_sigma[j] * rng.standard_normal(hit.size))
        out[a:a + k] = acc
    return out


@dataclass(frozen=True)
class CorridorReliability:
    corridor: str  # a family, or BEST: the best route there is, whatever its family
    feasible: bool
    p50_days: float = float("nan")
    p90_days: float = float("nan")
    p95_days: float = float("nan")
    mean_days: float = float("nan")
    on_time_probability: float = float("nan")
    promise_days: float = float("nan")
    deterministic_days: float = float("nan")
    reason: str | None = None

    @property
    def spread_days(self) -> float:
        """p90 − p50: how much buffer a 90%-reliable promise needs over the median."""
        return self.p90_days - self.p50_days

    def to_dict(self) -> dict:
        d = {"corridor": self.corridor, "feasible": self.feasible}
        if not self.feasible:
            d["reason"] = self.reason
            return d
        for k in ("p50_days", "p90_days", "p95_days", "mean_days", "on_time_probability",
                  "promise_days", "deterministic_days"):
            d[k] = round(float(getattr(self, k)), 4)
        d["spread_p90_p50_days"] = round(self.spread_days, 4)
        return d


@dataclass(frozen=True)
class ReliabilityResult(Writable):
    origin: str
    destination: str
    objective: str
    samples: int
    seed: int
    promise_rule: str
    corridors: tuple[CorridorReliability, ...]

    def __getitem__(self, corridor: str) -> CorridorReliability:
        for c in self.corridors:
            if c.corridor == corridor:
                return c
        raise KeyError(corridor)

    def to_dict(self) -> dict:
        return {"origin": self.origin, "destination": self.destination, "objective": self.objective,
                "samples": self.samples, "seed": self.seed, "promise_rule": self.promise_rule,
                "corridors": [c.to_dict() for c in self.corridors]}

    def to_frame(self) -> pd.DataFrame:
        """One row per corridor family: planned, p50, p90, p95 and mean days, on-time odds."""
        rows = []
        for c in self.corridors:
            d = c.to_dict()
            d.setdefault("reason", None)
            rows.append(d)
        return pd.DataFrame(rows)

    def outputs(self, net: Network | None = None) -> list[Output]:
        """What `write` writes: the distributions as JSON and one row per corridor family."""
        return [Document("reliability.json", self.to_dict), Table("corridors", self.to_frame)]


def reliability(net: Network, origin: str, destination: str, *, samples: int = 100_000, seed: int = 0,
                promise_days: float | None = None, objective: str = "time",
                avoid: Iterable[str] | str | None = None, avoid_modes: Iterable[str] | str | None = None,
                avoid_passages: Iterable[str] | str | None = None, year: int | None = None,
                month: int | None = None, world: World | None = None) -> ReliabilityResult:
    """Sample door-to-door transit times of each corridor family's best route, and of the best route
    there is (row "best": for Baku-Tbilisi the road, which belongs to no family).

    `promise_days` is the delivery promise for the on-time probability; default: each
    route's own deterministic days × 1.1. Families with no feasible route carry the
    reason from `compare`. Reproducible: one `np.random.default_rng(seed)` stream per
    family (spawned from `seed`), so a family's numbers do not depend on the others."""
    if samples < 1:
        raise CorridorError("samples must be >= 1")
    world_used = world_of(world, avoid=avoid, avoid_modes=avoid_modes, avoid_passages=avoid_passages,
                          year=year, month=month)
    c = compare(net, origin, destination, objective=objective, world=world_used)
    rows = [(r.corridor, r.route, r.reason) for r in c.results]
    rows.append((BEST, c.overall, None if c.overall is not None else "no route under this policy"))
    rngs = np.random.SeedSequence(seed).spawn(len(rows))
    out = []
    for (name, route, reason), ss in zip(rows, rngs, strict=True):
        if route is None:
            out.append(CorridorReliability(name, False, reason=reason))
            continue
        table = route_leg_table(net, route, world=world_used)
        x = sample_transit_times(table, samples, np.random.default_rng(ss)) / 24.0
        det = route.days
        promise = det * PROMISE_FACTOR if promise_days is None else float(promise_days)
        q = np.quantile(x, [0.5, 0.9, 0.95])
        out.append(CorridorReliability(
            name, True, float(q[0]), float(q[1]), float(q[2]), float(x.mean()),
            float(np.count_nonzero(x <= promise) / x.size), promise, det))
    rule = f"{float(promise_days):g} days" if promise_days is not None else \
        f"each route's deterministic days x {PROMISE_FACTOR}"
    return ReliabilityResult(c.origin, c.destination, objective, int(samples), int(seed), rule, tuple(out))
