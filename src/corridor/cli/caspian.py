"""`corridor caspian simulate` and `corridor caspian drafts`: ferry and feeder queues at the Caspian
ports, and the capacity each vessel class loses at a sea level."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..bounds import BOUNDS, simulation_work
from ..errors import CorridorError
from ..output import clean
from .common import (
    FormatOpt,
    JsonOpt,
    OutOpt,
    emit_json,
    force_option,
    num,
    out,
    prepare_out,
    print_written,
    refuse_existing,
    user_errors,
    working,
    write_out,
)

if TYPE_CHECKING:
    from ..caspian.config import CaspianConfig

LEVEL, CHANGE = BOUNDS["sea_level_m"], BOUNDS["sea_level_change_m"]

SeaLevelOpt = Annotated[float | None, typer.Option(
    "--sea-level", help=f"Sea level in m on the Baltic datum, e.g. -30.35 ({LEVEL.text()}; default: the "
                        "data's 2025 reference level).")]

SeaChangeOpt = Annotated[float | None, typer.Option(
    "--sea-level-change",
    help=f"Or: metres relative to the 2025 reference level, e.g. -1.0 ({CHANGE.text()}).")]

caspian_app = typer.Typer(no_args_is_help=True, help="The Caspian crossing: ferry and feeder queues.")


def _parse_changes(spec: str | None, option: str = "--vessels-add",
                   kind: Callable[[str], float] = int, bound: str = "vessels_change") -> dict:
    """`rail_ferry=4,kmtf_feeder=-1` -> {"rail_ferry": 4, "kmtf_feeder": -1}; each total within `bound`."""
    changes: dict = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        name, _, n = part.partition("=")
        try:
            changes[name.strip()] = changes.get(name.strip(), 0) + kind(n.strip())
        except ValueError:
            raise CorridorError(f"{option} wants NAME=NUMBER pairs, got '{clean(part, 60)}'") from None
    for name, n in changes.items():
        BOUNDS[bound].check(n, f"{option} {clean(name, 40)}")
    return changes


def _parse_berths(spec: str | None) -> dict[str, dict[str, int]]:
    """`Aktau:container=1` -> {"Aktau": {"container": 1}}."""
    berths: dict[str, dict[str, int]] = {}
    for key, n in _parse_changes(spec, "--berths-add", bound="berths_change").items():
        port, _, kind = key.partition(":")
        if not kind:
            raise CorridorError(f"--berths-add wants PORT:KIND=N, got '{clean(key, 60)}'")
        berths.setdefault(port, {})[kind] = n
    return berths


def _crossing(sea_level: float | None, change: float | None,
              vessels_add: dict | None = None) -> CaspianConfig:
    """The 2024 crossing at an absolute sea level or a change from the reference level (not both)."""
    from ..caspian.config import baseline_config, resolve_fleet_changes

    if sea_level is not None and change is not None:
        raise CorridorError("give --sea-level (m on the Baltic datum) or --sea-level-change (m), not both")
    if change is not None:
        CHANGE.check(change, "--sea-level-change")
    base = baseline_config()
    for v in base.vessels:  # removing more ships than a class has is a mistake, not zero ships
        n = resolve_fleet_changes(base, vessels_add or {}).get(v.name, 0)
        if v.count + n < 0:
            raise CorridorError(f"--vessels-add removes {-n} {v.name} vessel(s), and it has {v.count}")
    cfg = baseline_config(sea_level=change or 0.0, vessels_add=vessels_add or None)
    if sea_level is not None:
        LEVEL.check(sea_level, "--sea-level")
        cfg = cfg.with_level(sea_level)
    fleet = BOUNDS["fleet"]
    for v in cfg.vessels:
        fleet.check(v.count, f"--vessels-add: the {v.name} fleet")
    return cfg


@caspian_app.command("simulate")
@user_errors
def caspian_simulate(
    vessels_add: Annotated[str | None, typer.Option(
        "--vessels-add", help="Fleet change by kind or class, e.g. rail_ferry=4,container=2.")] = None,
    sea_level: SeaLevelOpt = None,
    sea_level_change: SeaChangeOpt = None,
    deepen: Annotated[str | None, typer.Option(
        "--deepen", help="Dredging in metres per port, e.g. Aktau=1.0,Kuryk=0.5.")] = None,
    berths_add: Annotated[str | None, typer.Option(
        "--berths-add", help="Extra berths per port and vessel kind, e.g. Aktau:container=1.")] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=3650, help="Simulated days.")] = 365,
    replications: Annotated[int, typer.Option(
        "--replications", min=1, max=10_000, help="Independent simulated years.")] = 200,
    seed: Annotated[int, typer.Option("--seed", min=int(BOUNDS["seed"].lo), max=int(BOUNDS["seed"].hi),
                                      help="Random seed (same seed, same answer).")] = 0,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write a PNG of waits and backlog.")] = None,
    out_dir: OutOpt = None,
    fmt: FormatOpt = None,
    force: Annotated[bool, force_option("Overwrite the chart or an earlier result in --out.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Simulate ferry and feeder queues at Aktau, Kuryk, Turkmenbashi and Alat."""
    from ..caspian.simulate import simulate

    refuse_existing(chart, force)
    formats = prepare_out(out_dir, force, fmt)
    simulation_work(replications, days)
    fleet = _parse_changes(vessels_add)
    dredging = _parse_changes(deepen, "--deepen", float, "deepen_m")
    cfg = _crossing(sea_level, sea_level_change, fleet)
    if deepen or berths_add:
        cfg = cfg.with_ports(deepen=dredging, berths_add=_parse_berths(berths_add))
    with working(f"simulating {replications} × {days} days ...", quiet=as_json):
        res = simulate(cfg, days=days, replications=replications, seed=seed)
    written = write_out(res, out_dir, force, formats)
    level = (f"sea level {cfg.level_m:.2f} m (Baltic datum, {cfg.sea_level_m:+.2f} m from "
             f"{cfg.reference_year})")
    if chart is not None:
        from ..viz.charts import plot_caspian

        plot_caspian(res, chart, title=f"Caspian crossing, {level}, {replications} simulated years")
    summary = {"level_m": round(cfg.level_m, 3), "sea_level_m": round(cfg.sea_level_m, 3),
               "vessels_add": fleet, "deepen_m": dredging, "days": days,
               "replications": replications, "seed": seed, **res.summary()}
    if as_json:
        emit_json(summary | ({"written": [str(p) for p in written]} if written else {}))
        return
    t = Table(title=f"Caspian crossing: {replications} simulated years of {days} days, {level}",
              title_justify="left")
    for c in ("port", "mean wait h", "p90 wait h", "throughput (units/yr)", "max mean backlog"):
        t.add_column(c, justify="left" if c == "port" else "right")
    for p, v in summary["ports"].items():
        t.add_row(p, num(v["mean_wait_hours"], 1), num(v["p90_wait_hours"], 1), num(v["throughput"]),
                  num(v["max_mean_backlog"]))
    out.print(t)
    t2 = Table(title="vessels", title_justify="left")
    for c in ("kind", "utilisation", "load factor"):
        t2.add_column(c, justify="left" if c == "kind" else "right")
    for k, v in summary["vessel_types"].items():
        t2.add_row(k, f"{v['utilisation']:.0%}", f"{v['load_factor']:.0%}")
    out.print(t2)
    if summary["excluded_vessels"]:
        out.print(f"[yellow]cannot berth at this sea level:[/] {', '.join(summary['excluded_vessels'])}")
    if chart is not None:
        out.print(f"chart written to {chart}")
    print_written(written)


@caspian_app.command("drafts")
@user_errors
def caspian_drafts(
    sea_level: SeaLevelOpt = None,
    sea_level_change: SeaChangeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Capacity each vessel class loses at a sea level, at each port it calls (draft needed vs allowed)."""
    from ..caspian.config import draft_report

    cfg = _crossing(sea_level, sea_level_change)
    rows = draft_report(cfg)
    if as_json:
        emit_json({"level_m": round(cfg.level_m, 3), "sea_level_m": round(cfg.sea_level_m, 3), "rows": rows})
        return
    t = Table(title=f"Caspian drafts at {cfg.level_m:.2f} m on the Baltic datum ({cfg.sea_level_m:+.2f} m "
              f"from {cfg.reference_year}): capacity lost per vessel class and port", title_justify="left")
    for c in ("vessel class", "kind", "port", "loaded draft m", "allowed m", "units", "of", "lost", "binds"):
        t.add_column(c, justify="left" if c in ("vessel class", "kind", "port") else "right")
    for r in rows:
        t.add_row(r["vessel_class"], r["kind"], r["port"], f"{r['loaded_draft_m']:.2f}",
                  f"{r['allowed_draft_m']:.2f}", num(r["units"]), num(r["design_units"]),
                  f"{r['capacity_loss']:.0%}", "[yellow]yes[/]" if r["limited_here"] else "")
    out.print(t)
