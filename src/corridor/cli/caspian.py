"""`corridor caspian simulate`: ferry and feeder queues at the Caspian ports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..errors import CorridorError
from .common import ForceOpt, JsonOpt, emit_json, num, out, refuse_existing, user_errors, working

caspian_app = typer.Typer(no_args_is_help=True, help="The Caspian crossing: ferry and feeder queues.")


def _parse_changes(spec: str | None, option: str = "--vessels-add",
                   kind: Callable[[str], float] = int) -> dict:
    """`rail_ferry=4,kmtf_feeder=-1` -> {"rail_ferry": 4, "kmtf_feeder": -1}."""
    changes: dict = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        name, _, n = part.partition("=")
        try:
            changes[name.strip()] = changes.get(name.strip(), 0) + kind(n)
        except ValueError:
            raise CorridorError(f"{option} wants NAME=NUMBER pairs, got '{part[:60]}'") from None
    return changes


def _parse_berths(spec: str | None) -> dict[str, dict[str, int]]:
    """`Aktau:container=1` -> {"Aktau": {"container": 1}}."""
    berths: dict[str, dict[str, int]] = {}
    for key, n in _parse_changes(spec, "--berths-add").items():
        port, _, kind = key.partition(":")
        if not kind:
            raise CorridorError(f"--berths-add wants PORT:KIND=N, got '{key[:60]}'")
        berths.setdefault(port, {})[kind] = n
    return berths


@caspian_app.command("simulate")
@user_errors
def caspian_simulate(
    vessels_add: Annotated[str | None, typer.Option(
        "--vessels-add", help="Fleet change by kind or class, e.g. rail_ferry=4,container=2.")] = None,
    sea_level: Annotated[float, typer.Option(
        "--sea-level", help="Metres relative to the data's reference level, e.g. -1.0.")] = 0.0,
    deepen: Annotated[str | None, typer.Option(
        "--deepen", help="Dredging in metres per port, e.g. Aktau=1.0,Kuryk=0.5.")] = None,
    berths_add: Annotated[str | None, typer.Option(
        "--berths-add", help="Extra berths per port and vessel kind, e.g. Aktau:container=1.")] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=3650, help="Simulated days.")] = 365,
    replications: Annotated[int, typer.Option(
        "--replications", min=1, max=10_000, help="Independent simulated years.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same answer).")] = 0,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write a PNG of waits and backlog.")] = None,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Simulate ferry and feeder queues at Aktau, Kuryk, Turkmenbashi and Alat."""
    from ..caspian.config import baseline_config
    from ..caspian.simulate import simulate

    refuse_existing(chart, force)
    fleet = _parse_changes(vessels_add)
    dredging = _parse_changes(deepen, "--deepen", float)
    cfg = baseline_config(sea_level=sea_level, vessels_add=fleet)
    if deepen or berths_add:
        cfg = cfg.with_ports(deepen=dredging, berths_add=_parse_berths(berths_add))
    with working(f"simulating {replications} × {days} days ...", quiet=as_json):
        res = simulate(cfg, days=days, replications=replications, seed=seed)
    if chart is not None:
        from ..viz.charts import plot_caspian

        plot_caspian(res, chart, title=f"Caspian crossing, sea level {sea_level:+.1f} m, "
                     f"{replications} simulated years")
    summary = {"sea_level_m": sea_level, "vessels_add": fleet, "deepen_m": dredging, "days": days,
               "replications": replications, "seed": seed, **res.summary()}
    if as_json:
        emit_json(summary)
        return
    t = Table(title=f"Caspian crossing: {replications} simulated years of {days} days, sea level "
              f"{sea_level:+.2f} m", title_justify="left")
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
