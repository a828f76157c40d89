"""Discrete-event model of the Caspian crossing, vectorised across replications.

Vessels cycle load → sail → unload → return between an eastern and a western
port. Cargo (wagons, trucks, TEU) arrives in lots (trains, truck groups) as a
Poisson process with daily rates, and queues FIFO per service. Ports have berth
pools per vessel kind and close by weather for whole days.

Every replication is an independent sample path, and the state of all of them
lives in NumPy arrays with a leading replication axis. The Python loop runs over
events: each pass takes, in every replication at once, the vessel whose next
event comes first and processes it. Waiting times come from cumulative curves:
the lot that arrived k-th boards the first sailing whose cumulative load reaches
its last unit (a row-wise searchsorted), so no per-unit objects exist.

Sea level is a scenario value in metres relative to the data's reference level;
it moves every port's controlling depth. A vessel whose loaded draft no longer
fits sheds tonnes through its tonnes-per-cm immersion; one whose light draft does
not fit cannot call and is left out of the fleet.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np

from .caspian_engine import HOURS_PER_DAY, _Engine, _wquantile
from .errors import CorridorError, Problem, ValidationError

VESSEL_KINDS = ("rail_ferry", "roro", "container")
HANDLING = ("deterministic", "exponential")

# ------------------------------------------------------------------ configuration


@dataclass(frozen=True)
class CargoType:
    """A unit of cargo on the crossing: a wagon, a truck or a TEU."""

    name: str
    unit: str
    tonnes_per_unit: float


@dataclass(frozen=True)
class Port:
    """A Caspian port: berths per vessel kind, handling, depth and weather.

    `depth_m` is the controlling depth (channel or berth, whichever is less) for
    the crossing's vessels at the reference sea level. `closure_share[m]` is the
    share of days of month m the port is shut by weather; closures last on
    average `closure_days[m]` days.
    """

    name: str
    berths: dict[str, int]
    handling_units_per_hour: dict[str, float]
    setup_hours: float
    depth_m: float
    closure_share: tuple[float, ...] = (0.0,) * 12
    closure_days: tuple[float, ...] = (1.0,) * 12


@dataclass(frozen=True)
class Service:
    """A line from an origin port to a destination port carrying one cargo type.

    A vessel at berth leaves when full, or after `max_wait_hours` once it holds
    at least `min_load_share` of its capacity. Demand is `annual_units` a year in
    lots of `lot_units`, shaped by monthly `seasonality` factors.
    """

    name: str
    origin: str
    destination: str
    cargo: str
    sail_hours: float
    return_hours: float
    annual_units: float
    lot_units: int = 1
    min_load_share: float = 1.0
    max_wait_hours: float = math.inf
    seasonality: tuple[float, ...] = (1.0,) * 12


@dataclass(frozen=True)
class VesselClass:
    """`count` identical vessels assigned to one service."""

    name: str
    kind: str
    service: str
    count: int
    capacity_units: int
    capacity_tonnes: float
    design_draft_m: float
    tonnes_per_cm: float

    @property
    def light_draft_m(self) -> float:
        """Draft with no cargo aboard (design draft less the cargo's immersion)."""
        return self.design_draft_m - self.capacity_tonnes / (self.tonnes_per_cm * 100.0)


@dataclass(frozen=True)
class CaspianConfig:
    """Everything the simulation needs; fleet and port changes are plain edits of these fields."""

    ports: tuple[Port, ...]
    cargo: tuple[CargoType, ...]
    services: tuple[Service, ...]
    vessels: tuple[VesselClass, ...]
    reference_year: int = 2025
    reference_level_m: float = -29.35
    sea_level_m: float = 0.0  # scenario, metres relative to the reference level
    underkeel_m: float = 0.5
    handling: str = "deterministic"  # or "exponential": handling time multiplied by Exp(1)
    sources: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        problems = _check(self)
        if problems:
            raise ValidationError(problems, "Caspian configuration")

    def port(self, name: str) -> Port:
        return {p.name: p for p in self.ports}[name]

    def with_ports(self, *, deepen: dict[str, float] | None = None,
                   berths_add: dict[str, dict[str, int]] | None = None) -> CaspianConfig:
        """Dredge ports (metres added to the controlling depth) or add berths per vessel kind."""
        deepen, berths_add = deepen or {}, berths_add or {}
        unknown = sorted((set(deepen) | set(berths_add)) - {p.name for p in self.ports})
        if unknown:
            raise CorridorError(f"unknown port(s): {', '.join(unknown)}; ports: "
                                f"{', '.join(p.name for p in self.ports)}")
        ports = []
        for p in self.ports:
            berths = dict(p.berths)
            for kind, n in berths_add.get(p.name, {}).items():
                berths[kind] = berths.get(kind, 0) + int(n)
            ports.append(replace(p, depth_m=p.depth_m + float(deepen.get(p.name, 0.0)), berths=berths))
        return replace(self, ports=tuple(ports))

    def with_fleet(self, changes: dict[str, int]) -> CaspianConfig:
        """Add (or with negative numbers remove) vessels per class name."""
        unknown = sorted(set(changes) - {v.name for v in self.vessels})
        if unknown:
            raise CorridorError(f"unknown vessel class(es): {', '.join(unknown)}")
        vessels = tuple(replace(v, count=max(0, v.count + int(changes.get(v.name, 0)))) for v in self.vessels)
        return replace(self, vessels=vessels)


def _check(cfg: CaspianConfig) -> list[Problem]:
    """Every problem in a configuration at once, each located by field."""
    out: list[Problem] = []

    def bad(column: str, message: str) -> None:
        out.append(Problem("Caspian configuration", None, column, message))

    ports = {p.name: p for p in cfg.ports}
    cargo = {c.name: c for c in cfg.cargo}
    services = {s.name: s for s in cfg.services}
    if len(ports) != len(cfg.ports):
        bad("ports", "duplicate port names")
    if cfg.handling not in HANDLING:
        bad("handling", f"must be one of {HANDLING}, not {cfg.handling!r}")
    if not cfg.underkeel_m >= 0:
        bad("underkeel_m", "must be >= 0")
    for c in cfg.cargo:
        if not c.tonnes_per_unit > 0:
            bad(f"cargo.{c.name}.tonnes_per_unit", f"must be > 0, got {c.tonnes_per_unit}")
    for p in cfg.ports:
        for kind, n in p.berths.items():
            if kind not in VESSEL_KINDS:
                bad(f"ports.{p.name}.berths", f"unknown vessel kind {kind!r}")
            if n < 0:
                bad(f"ports.{p.name}.berths.{kind}", f"must be >= 0, got {n}")
        for cname, rate in p.handling_units_per_hour.items():
            if not rate > 0:
                bad(f"ports.{p.name}.handling_units_per_hour.{cname}", f"must be > 0, got {rate}")
        if not p.depth_m > 0:
            bad(f"ports.{p.name}.depth_m", f"must be > 0, got {p.depth_m}")
        if not p.setup_hours >= 0:
            bad(f"ports.{p.name}.setup_hours", f"must be >= 0, got {p.setup_hours}")
        if len(p.closure_share) != 12 or len(p.closure_days) != 12:
            bad(f"ports.{p.name}.closure_share", "closure_share and closure_days need 12 monthly values")
        if any(not 0 <= q < 1 for q in p.closure_share):
            bad(f"ports.{p.name}.closure_share", "every month must be in [0, 1)")
        if any(not d >= 1 for d in p.closure_days):
            bad(f"ports.{p.name}.closure_days", "every month must be >= 1 day")
    for s in cfg.services:
        for end in ("origin", "destination"):
            name = getattr(s, end)
            if name not in ports:
                bad(f"services.{s.name}.{end}", f"unknown port {name!r}; known: {', '.join(sorted(ports))}")
            elif s.cargo in cargo and s.cargo not in ports[name].handling_units_per_hour:
                bad(f"services.{s.name}.{end}", f"port {name!r} has no handling rate for {s.cargo!r}")
        if s.cargo not in cargo:
            bad(f"services.{s.name}.cargo", f"unknown cargo type {s.cargo!r}")
        for fname in ("sail_hours", "return_hours", "annual_units"):
            if not getattr(s, fname) >= 0:
                bad(f"services.{s.name}.{fname}", f"must be >= 0, got {getattr(s, fname)}")
        if s.lot_units < 1:
            bad(f"services.{s.name}.lot_units", f"must be >= 1, got {s.lot_units}")
        if not 0 < s.min_load_share <= 1:
            bad(f"services.{s.name}.min_load_share", f"must be in (0, 1], got {s.min_load_share}")
        if not s.max_wait_hours >= 0:
            bad(f"services.{s.name}.max_wait_hours", f"must be >= 0, got {s.max_wait_hours}")
        if len(s.seasonality) != 12 or any(not f >= 0 for f in s.seasonality) or sum(s.seasonality) <= 0:
            bad(f"services.{s.name}.seasonality", "needs 12 non-negative monthly factors, not all zero")
    deepest = max((p.depth_m for p in cfg.ports), default=0.0) - cfg.underkeel_m
    for v in cfg.vessels:
        col = f"vessels.{v.name}"
        if v.kind not in VESSEL_KINDS:
            bad(f"{col}.kind", f"unknown vessel kind {v.kind!r}; known: {', '.join(VESSEL_KINDS)}")
        if v.count < 0:
            bad(f"{col}.count", f"must be >= 0, got {v.count}")
        for fname in ("capacity_units", "capacity_tonnes", "design_draft_m", "tonnes_per_cm"):
            if not getattr(v, fname) > 0:
                bad(f"{col}.{fname}", f"must be > 0, got {getattr(v, fname)}")
        if v.tonnes_per_cm > 0 and v.design_draft_m > 0 and v.capacity_tonnes > 0:
            if v.light_draft_m <= 0:
                bad(f"{col}.capacity_tonnes", "cargo immersion exceeds the design draft (light draft <= 0)")
            elif v.light_draft_m > deepest:
                bad(f"{col}.design_draft_m", f"light draft {v.light_draft_m:.2f} m exceeds the deepest port "
                    f"({deepest:.2f} m after {cfg.underkeel_m} m underkeel clearance): it can never berth")
        if v.service not in services:
            bad(f"{col}.service", f"unknown service {v.service!r}")
        elif v.kind in VESSEL_KINDS:
            s = services[v.service]
            for name in (s.origin, s.destination):
                if name in ports and ports[name].berths.get(v.kind, 0) < 1:
                    bad(f"{col}.kind", f"port {name!r} has no {v.kind} berth")
    return out


# ------------------------------------------------------------------ sea level


def effective_capacity(cfg: CaspianConfig, sea_level_m: float | None = None) -> dict[str, int]:
    """Units each vessel of a class can carry at a sea level (default: the config's scenario).

    The controlling depth of a service is the shallower of its two ports, since a
    loaded vessel leaves one and enters the other. Draft lost beyond the design
    draft costs `tonnes_per_cm` per centimetre; 0 means the vessel cannot call.
    """
    level = cfg.sea_level_m if sea_level_m is None else sea_level_m
    ports = {p.name: p for p in cfg.ports}
    services = {s.name: s for s in cfg.services}
    tpu = {c.name: c.tonnes_per_unit for c in cfg.cargo}
    out = {}
    for v in cfg.vessels:
        s = services[v.service]
        allowed = min(ports[s.origin].depth_m, ports[s.destination].depth_m) + level - cfg.underkeel_m
        draft = min(allowed, v.design_draft_m)
        tonnes = (draft - v.light_draft_m) * 100.0 * v.tonnes_per_cm
        units = 0 if tonnes <= 0 else min(v.capacity_units, int(math.floor(tonnes / tpu[s.cargo] + 1e-9)))
        out[v.name] = units
    return out


# ------------------------------------------------------------------ data file


def _unwrap(x):
    """Numbers in the data file are {value, source_id, note}; the model wants the value."""
    if isinstance(x, dict) and "value" in x and "source_id" in x:
        return _unwrap(x["value"])
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_unwrap(v) for v in x]
    return x


def config_from_dict(d: dict, sea_level: float = 0.0) -> CaspianConfig:
    """Build a configuration from the data file's structure (sourced numbers are unwrapped)."""
    raw = _unwrap(d)
    meta = raw.get("meta", {})
    ports = tuple(
        Port(name=p["name"], berths=dict(p["berths"]),
             handling_units_per_hour=dict(p["handling_units_per_hour"]),
             setup_hours=float(p["setup_hours"]), depth_m=float(p["depth_m"]),
             closure_share=tuple(p["closure_share"]), closure_days=tuple(p["closure_days"]))
        for p in raw["ports"])
    cargo = tuple(CargoType(c["name"], c["unit"], float(c["tonnes_per_unit"])) for c in raw["cargo"])
    services = tuple(
        Service(name=s["name"], origin=s["origin"], destination=s["destination"], cargo=s["cargo"],
                sail_hours=float(s["sail_hours"]), return_hours=float(s["return_hours"]),
                annual_units=float(s["annual_units"]), lot_units=int(s["lot_units"]),
                min_load_share=float(s["min_load_share"]),
                max_wait_hours=float(s.get("max_wait_hours", math.inf)),
                seasonality=tuple(s.get("seasonality", [1.0] * 12)))
        for s in raw["services"])
    vessels = tuple(
        VesselClass(name=v["name"], kind=v["kind"], service=v["service"], count=int(v["count"]),
                    capacity_units=int(v["capacity_units"]), capacity_tonnes=float(v["capacity_tonnes"]),
                    design_draft_m=float(v["design_draft_m"]), tonnes_per_cm=float(v["tonnes_per_cm"]))
        for v in raw["vessels"])
    return CaspianConfig(ports=ports, cargo=cargo, services=services, vessels=vessels,
                         reference_year=int(meta.get("reference_year", 2025)),
                         reference_level_m=float(meta.get("reference_level_m", -29.35)),
                         underkeel_m=float(meta.get("underkeel_m", 0.5)), sea_level_m=float(sea_level),
                         sources={"file": d.get("meta", {}).get("file", "")})


def load_data(path: str | Path | None = None) -> dict:
    """The bundled caspian_2024.json (or another file of the same structure)."""
    if path is None:
        text = resources.files("corridor").joinpath("data/caspian_2024.json").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return json.loads(text)


def baseline_config(sea_level: float = 0.0, vessels_add: dict[str, int] | None = None) -> CaspianConfig:
    """The 2024 Caspian crossing from the bundled data, at a sea-level scenario and fleet change.

    `vessels_add` keys are vessel class names or kinds (`rail_ferry`, `roro`, `container`).
    """
    cfg = config_from_dict(load_data(), sea_level=sea_level)
    return cfg.with_fleet(resolve_fleet_changes(cfg, vessels_add)) if vessels_add else cfg


def resolve_fleet_changes(cfg: CaspianConfig, spec: dict[str, int]) -> dict[str, int]:
    """Changes per vessel class; a kind (`rail_ferry=4`) is spread over its classes in turn.

    Spreading one at a time, largest class first, keeps a kind-level order such
    as "four more rail ferries" meaningful when the kind serves several lines.
    """
    classes = {v.name for v in cfg.vessels}
    kinds: dict[str, list[VesselClass]] = {}
    for v in sorted(cfg.vessels, key=lambda v: -v.count):
        kinds.setdefault(v.kind, []).append(v)
    out: dict[str, int] = {}
    unknown = []
    for key, n in spec.items():
        if key in classes:
            out[key] = out.get(key, 0) + int(n)
        elif key in kinds:
            step = 1 if n > 0 else -1
            for i in range(abs(int(n))):
                name = kinds[key][i % len(kinds[key])].name
                out[name] = out.get(name, 0) + step
        else:
            unknown.append(key)
    if unknown:
        raise CorridorError(f"unknown vessel class or kind: {', '.join(unknown)}; classes: "
                            f"{', '.join(sorted(classes))}; kinds: {', '.join(sorted(kinds))}")
    return out


# ------------------------------------------------------------------ results


@dataclass
class CaspianResult:
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
             warmup_days: int = 0, tail_days: int = 30, start_day: int = 0) -> CaspianResult:
    """Simulate `replications` independent runs of `days` days (after `warmup_days`).

    Arrivals continue `tail_days` beyond the window so that lots arriving near
    its end can board; waits count only lots arriving inside the window. Random
    streams are keyed by (seed, purpose, index), so runs differing only in fleet
    share their arrivals and weather (common random numbers).
    """
    if days < 1 or replications < 1 or warmup_days < 0 or tail_days < 0:
        raise CorridorError("days and replications must be >= 1; warmup_days and tail_days >= 0")
    cfg = config
    n_days = warmup_days + days + tail_days
    eng = _Engine(cfg, effective_capacity(cfg), replications, n_days, (start_day - warmup_days) % 365, seed)
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
    smw, sp90, sse, thr, cens, samples, repm = {}, {}, {}, {}, {}, {}, {}
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
        arr = eng.arr[:, i, :K]
        valid = np.arange(K)[None, :] < eng.n_lots[:, i, None]
        inwin = valid & (arr >= w0) & (arr < w1)
        wait = np.maximum(board - arr, 0.0)
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
    p90 = {p: _wquantile(np.concatenate([x for x, _ in v]), np.concatenate([w for _, w in v]), 0.9)
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
        excluded_vessels=eng.excluded, censored_share=cens, wait_samples=samples, rep_mean_wait=repm)


# ------------------------------------------------------------------ queueing references


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
