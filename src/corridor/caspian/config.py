"""The Caspian crossing as data: ports, cargo, services and vessels, read from `caspian_2024.json`.

Sea level is a scenario value in metres relative to the data's reference level; it moves every
port's controlling depth. A vessel whose loaded draft no longer fits sheds tonnes through its
tonnes-per-cm immersion (`effective_capacity`); one whose light draft does not fit cannot call.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import CorridorError, Problem, ValidationError

VESSEL_KINDS = ("rail_ferry", "roro", "container")

HANDLING = ("deterministic", "exponential")


@dataclass(frozen=True)
class CargoType:
    """A unit of cargo on the crossing: a wagon, a truck or a TEU."""

    name: str
    unit: str
    tonnes_per_unit: float
    teu_per_unit: float = 1.0  # boxes a unit carries (a flatcar 2 TEU, a truck one 40')


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
    node_id: str = ""  # the port's node in the network
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

    def __post_init__(self) -> None:
        problems = _check(self)
        if problems:
            raise ValidationError(problems, "Caspian configuration")

    @property
    def level_m(self) -> float:
        """The sea level of this configuration, metres on the Baltic datum (as hydromet services give it)."""
        return self.reference_level_m + self.sea_level_m

    def with_level(self, level_m: float) -> CaspianConfig:
        """This crossing at an absolute sea level (metres on the Baltic datum, e.g. -30.2)."""
        return replace(self, sea_level_m=float(level_m) - self.reference_level_m)

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

    def with_volumes(self, units: Mapping[str, float]) -> CaspianConfig:
        """The crossing with these services' yearly volumes (their units, the simulated westbound
        direction) in place of the data's: e.g. what an assignment sent across each line; the
        services not named keep theirs."""
        return replace(self, services=tuple(replace(s, annual_units=float(units[s.name])) if s.name in units
                                            else s for s in self.services))


# reports one problem: its field (dotted) and what is wrong
_Bad = Callable[[str, str], None]


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
        _check_port(p, bad)
    for s in cfg.services:
        _check_service(s, ports, cargo, bad)
    deepest = max((p.depth_m for p in cfg.ports), default=0.0) - cfg.underkeel_m
    for v in cfg.vessels:
        _check_vessel(v, cfg.underkeel_m, deepest, ports, services, bad)
    return out


def _check_port(p: Port, bad: _Bad) -> None:
    """Berths of known vessel kinds, positive handling rates and depth, 12 months of closures."""
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


def _check_service(s: Service, ports: dict[str, Port], cargo: dict[str, CargoType], bad: _Bad) -> None:
    """Known ports that handle its cargo, a known cargo, non-negative times and volume, lots, loads and
    12 monthly factors."""
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


def _check_vessel(v: VesselClass, underkeel_m: float, deepest: float, ports: dict[str, Port],
                  services: dict[str, Service], bad: _Bad) -> None:
    """A known kind, a non-negative count, positive sizes, a light draft some port can take (`deepest`:
    the deepest port's depth less the underkeel clearance), a known service whose ports have its berth."""
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
                f"({deepest:.2f} m after {underkeel_m} m underkeel clearance): it can never berth")
    if v.service not in services:
        bad(f"{col}.service", f"unknown service {v.service!r}")
    elif v.kind in VESSEL_KINDS:
        s = services[v.service]
        for name in (s.origin, s.destination):
            if name in ports and ports[name].berths.get(v.kind, 0) < 1:
                bad(f"{col}.kind", f"port {name!r} has no {v.kind} berth")


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


def draft_report(cfg: CaspianConfig) -> list[dict]:
    """What the sea level costs each vessel class, at each port it calls: the draft its full load
    needs, the draft the port allows (controlling depth at the configuration's level, less underkeel
    clearance), and the share of its units it can still carry on the service (the shallower port
    binds). Levels are absolute, metres on the Baltic datum."""
    ports = {p.name: p for p in cfg.ports}
    services = {s.name: s for s in cfg.services}
    cargo = {c.name: c for c in cfg.cargo}
    units = effective_capacity(cfg)
    rows = []
    for v in cfg.vessels:
        s = services[v.service]
        full = min(v.capacity_units * cargo[s.cargo].tonnes_per_unit, v.capacity_tonnes)
        needed = v.light_draft_m + full / (100.0 * v.tonnes_per_cm)
        for name in (s.origin, s.destination):
            allowed = ports[name].depth_m + cfg.sea_level_m - cfg.underkeel_m
            rows.append({
                "vessel_class": v.name, "kind": v.kind, "service": s.name, "port": name,
                "sea_level_m": round(cfg.level_m, 3), "design_draft_m": v.design_draft_m,
                "loaded_draft_m": round(needed, 2), "allowed_draft_m": round(allowed, 2),
                "units": units[v.name], "design_units": v.capacity_units,
                "capacity_loss": round(1.0 - units[v.name] / max(v.capacity_units, 1), 4),
                "limited_here": allowed < needed})
    return rows


def _unwrap(x: Any) -> Any:
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
        Port(name=p["name"], node_id=str(p.get("node_id", "")), berths=dict(p["berths"]),
             handling_units_per_hour=dict(p["handling_units_per_hour"]),
             setup_hours=float(p["setup_hours"]), depth_m=float(p["depth_m"]),
             closure_share=tuple(p["closure_share"]), closure_days=tuple(p["closure_days"]))
        for p in raw["ports"])
    cargo = tuple(CargoType(c["name"], c["unit"], float(c["tonnes_per_unit"]),
                            float(c.get("teu_per_unit", 1.0))) for c in raw["cargo"])
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
