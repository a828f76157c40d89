"""`corridor assign` and `corridor calibrate`: the OD demand on the network, and the parameters
fitted to published corridor volumes."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..errors import CorridorError
from ..vocabulary import DEFAULT_METHOD, METHODS
from .common import (
    AvoidModeOpt,
    AvoidOpt,
    AvoidPassageOpt,
    FormatOpt,
    JsonOpt,
    MonthOpt,
    NetOpt,
    YearOpt,
    choices,
    emit_json,
    err,
    force_option,
    given_net,
    load_net,
    num,
    out,
    prepare_out,
    print_written,
    refuse_existing,
    user_errors,
    working,
    world_options,
    write_out,
)
from .sweep import UncertaintyOpt, answer_with_ranges, options_scenario

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from rich.progress import TaskID

    from ..assignment.choice_sets import Progress
    from ..demand import Demand
    from ..network.tables import Network

if TYPE_CHECKING:  # a choice made from the library's vocabulary: to a type checker, some StrEnum
    Method = StrEnum
else:
    Method = choices("Method", METHODS)

DEFAULT = Method(DEFAULT_METHOD)

DemandOpt = Annotated[Path | None, typer.Option(
    "--demand", help="OD demand CSV or Parquet (default: the recorded world's year's demand; with "
                     "--world none, the bundled 2024 baseline).")]

WorldOpt = Annotated[str | None, typer.Option(
    "--world", help="Assign in a recorded world: a year (2019-2025) or 'latest' (the default on the "
                    "bundled network), with that year's demand, sea and rail prices, Red Sea avoidance, "
                    "Caspian level, capacities and premiums (the scenario world-YYYY). 'none': the network's "
                    "own prices, no avoidance, today's premiums (the default with --network or --year).")]

ParamsOpt = Annotated[Path | None, typer.Option(
    "--params", help="Assignment parameters JSON (default: the calibrated ones bundled with the data).")]


TntpOpt = Annotated[Path | None, typer.Option(
    "--tntp", help="Solve a TNTP benchmark network instead: DIR/NAME names NAME_net.tntp and "
                   "NAME_trips.tntp in DIR (and NAME_flow.tntp, the best-known flows, when there).",
    metavar="DIR/NAME")]

AlgorithmOpt = Annotated[str | None, typer.Option(
    "--algorithm", help="--tntp: gp (gradient projection, default), bfw (bi-conjugate Frank-Wolfe), "
                        "cfw (conjugate) or fw.")]


def _freight_options_refused(options: dict[str, object]) -> None:
    """--tntp takes none of the freight assignment's options: name every one given."""
    given = [k for k, v in options.items() if v not in (None, False)]
    if given:
        verb = "belongs" if len(given) == 1 else "belong"
        raise CorridorError(f"--tntp solves the TNTP network with its own trips; {', '.join(given)} "
                            f"{verb} to the freight assignment")


def _assign_tntp(source: Path, algorithm: str, rgap: float, max_iter: int, toll_factor: float | None,
                 distance_factor: float | None, out_dir: Path | None, fmt: str | None, force: bool,
                 as_json: bool) -> None:
    """`corridor assign --tntp`: the equilibrium, its gap, objective and distance from the best-known."""
    from ..assignment.tntp import solve_tntp

    formats = prepare_out(out_dir, force, fmt)
    with working(f"solving {source.name} ({algorithm}) to gap {rgap:g}...", quiet=as_json):
        sol = solve_tntp(source, rgap=rgap, max_iter=max_iter, algorithm=algorithm,
                         toll_factor=toll_factor, distance_factor=distance_factor)
    d = sol.summary()
    written = write_out(sol, out_dir, force, formats)
    if as_json:
        emit_json(d | {"written": [str(w) for w in written]})
        return
    t = Table(title=f"{d['network']}: {d['zones']:,} zones, {d['nodes']:,} nodes, {d['links']:,} links",
              title_justify="left")
    t.add_column("measure")
    t.add_column("value", justify="right")
    rows = [("algorithm", d["algorithm"]), ("relative gap", f"{d['rgap']:.2e}"),
            ("converged", "yes" if d["converged"] else "no"), ("iterations", str(d["iterations"])),
            ("objective (Beckmann)", f"{d['objective']:,.6g}"), ("seconds (solving)", f"{d['seconds']:.2f}")]
    if "best_known_objective" in d:
        rows += [("best-known objective", f"{d['best_known_objective']:,.6g}"),
                 ("objective vs best-known", f"{d['objective_rel_diff']:+.2e}"),
                 ("largest link flow difference", num(d["max_flow_diff"], 2)),
                 ("links more than 1% off", f"{d['links_off_1pct']:,} of {d['links']:,}")]
    for k, v in rows:
        t.add_row(k, v)
    out.print(t)
    print_written(written)


def _inputs(world: str | None, network: Path | None, demand: Path | None, year: int | None,
            month: int | None, avoid: str | None, avoid_mode: str | None, avoid_passage: str | None,
            ) -> tuple[Network, Demand, dict, str | None]:
    """The network, demand and world options of an assignment, and the recorded world's name."""
    from ..demand import load_demand, read_demand
    from ..scenarios.apply import apply_scenario
    from ..scenarios.recorded import chosen_world

    rec = chosen_world(world, bundled=network is None, year=year)
    if rec is None:
        net = load_net(network)
        dem = load_demand() if demand is None else read_demand(demand, network=net)
        return net, dem, world_options(avoid, avoid_mode, avoid_passage, year, month), None
    applied = apply_scenario(rec, network=given_net(network))
    net = applied.network
    dem = applied.demand if demand is None else read_demand(demand, network=net)
    w = applied.world.avoiding(avoid, avoid_mode, avoid_passage).in_month(month)
    return net, dem, {"world": w}, rec


def _progress_bar(enabled: bool) -> tuple[AbstractContextManager, Progress | None]:
    """A Rich progress bar on stderr, and the callback the library calls."""
    from contextlib import nullcontext

    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    if not enabled:
        return nullcontext(), None
    bar = Bar(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"),
              TimeElapsedColumn(), console=err, transient=True)
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int, gap: float) -> None:
        if stage not in tasks:
            label = "building route sets" if stage == "routes" else "iterating"
            tasks[stage] = bar.add_task(label, total=total, info="")
        info = "" if math.isnan(gap) else f"gap {gap:.1e}"
        bar.update(tasks[stage], completed=done + (stage == "routes"), info=info)

    return bar, update


@user_errors
def assign(
    method: Annotated[Method, typer.Option("--method", help="sue: path-size logit (calibrated); ue: "
                                           "deterministic equilibrium; aon: all-or-nothing.")]
    = DEFAULT,
    demand: DemandOpt = None,
    world: WorldOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    avoid: AvoidOpt = None,
    avoid_mode: AvoidModeOpt = None,
    avoid_passage: AvoidPassageOpt = None,
    params: ParamsOpt = None,
    rgap: Annotated[float, typer.Option("--rgap", min=1e-10, max=0.5, help="Stop at this gap.")] = 1e-4,
    max_iter: Annotated[int | None, typer.Option(
        "--max-iter", min=1, max=100_000, help="Iterations at most (default 500; --tntp 10,000).")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write link flows (CSV, Parquet, GeoJSON), node flows, corridor shares, overloads "
                      "and a summary into this folder (written whole, with a manifest.json).")] = None,
    fmt: FormatOpt = None,
    force: Annotated[bool, force_option("Replace an earlier result in --out (as a whole).")] = False,
    unserved: Annotated[bool, typer.Option(
        "--unserved-report/--unserved-error",
        help="Leave out and list OD pairs with no route under the policy, or stop with an error.")] = False,
    uncertainty: UncertaintyOpt = None,
    network: NetOpt = None,
    tntp: TntpOpt = None,
    algorithm: AlgorithmOpt = None,
    toll_factor: Annotated[float | None, typer.Option(
        "--toll-factor", min=0, max=1e6, help="--tntp: cost units per toll unit (default: the network's "
                                               "documented generalized cost, or 0).")] = None,
    distance_factor: Annotated[float | None, typer.Option(
        "--distance-factor", min=0, max=1e6, help="--tntp: cost units per length unit (default: as for "
                                                   "--toll-factor).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Assign the OD demand to the network: volumes per corridor and country, loads against capacity
    (or, with --tntp, the user equilibrium of a TNTP benchmark network)."""
    from ..assignment.freight import assign as assign_demand
    from ..assignment.params import AssignmentParams

    if tntp is not None:
        _freight_options_refused({"--method": method != DEFAULT, "--demand": demand, "--world": world,
                                  "--year": year, "--month": month, "--avoid": avoid,
                                  "--avoid-mode": avoid_mode, "--avoid-passage": avoid_passage,
                                  "--params": params, "--uncertainty": uncertainty, "--network": network,
                                  "--unserved-report": unserved})
        return _assign_tntp(tntp, algorithm or "gp", rgap, max_iter or 10_000, toll_factor, distance_factor,
                            out_dir, fmt, force, as_json)
    if algorithm is not None or toll_factor is not None or distance_factor is not None:
        raise CorridorError("--algorithm, --toll-factor and --distance-factor go with --tntp")
    if uncertainty:
        from ..analysis.sweep_questions import Flows

        if method.value != "sue" or params is not None:
            raise CorridorError("--uncertainty assigns with the calibrated sue (no --method, no --params)")
        from ..scenarios.recorded import chosen_world

        q = Flows(options_scenario(year, month, avoid, avoid_mode, avoid_passage, demand,
                                   base=chosen_world(world, bundled=network is None, year=year)))
        return answer_with_ranges(q, uncertainty, as_json=as_json, title="assignment", network=network)

    formats = prepare_out(out_dir, force, fmt)  # fail before the work, not after it
    net, dem, world_kw, world_name = _inputs(world, network, demand, year, month, avoid, avoid_mode,
                                             avoid_passage)
    p = AssignmentParams.load(params)
    bar, update = _progress_bar(not as_json)
    with bar:
        res = assign_demand(net, dem, method=method.value, rgap=rgap, max_iter=max_iter or 500, params=p,
                            progress=update, unserved="report" if unserved else "raise", **world_kw)
    written = write_out(res, out_dir, force, formats, net)
    d = res.to_dict()
    d["world"] = world_name
    d["written"] = [str(w) for w in written]
    lost = res.unserved
    d["unserved"] = [] if lost is None else lost.to_dict(orient="records")
    if as_json:
        emit_json(d)
        return
    state = ("one load, no iterations" if method.value == "aon"
             else "converged" if res.converged else "[yellow]not converged[/]")
    where = f"in {world_name}" if world_name else "on the network's own prices"
    t = Table(title=f"{method.value} {where}: {res.iterations} iterations, gap {res.rgap:.1e} ({state}); "
              f"{sum(dem.total(c)['teu'] for c in res.commodities):,.0f} TEU a year", title_justify="left")
    cols = ["corridor", "TEU/yr", "share", *[f"{c} TEU" for c in res.commodities],
            "mean days", "p90 days", "USD/TEU"]
    for c in cols:
        t.add_column(c, justify="left" if c == "corridor" else "right")
    for row in res.corridor_summary().to_dict(orient="records"):
        t.add_row(row["corridor"], num(row["teu"]), f"{row['share']:.1%}",
                  *[num(res.corridors_by_commodity[c].get(row["corridor"], 0.0)) for c in res.commodities],
                  num(row["mean_days"], 1), num(row["p90_days"], 1), num(row["usd_per_teu"]))
    out.print(t)
    over = res.over_capacity()
    if len(over):
        t2 = Table(title="loaded above 90% of capacity", title_justify="left")
        for c in ("kind", "id", "name", "load/yr", "capacity/yr", "unit", "v/c"):
            t2.add_column(c, justify="left" if c in ("kind", "id", "name", "unit") else "right")
        for r in over.itertuples():  # the binding queue: per direction for a link; boxes or tonnes
            t2.add_row(r.kind, r.id, str(r.name), num(r.queue_load), num(r.queue_capacity), r.queue_unit,
                       f"{r.v_c:.2f}")
        out.print(t2)
    else:
        out.print("no link or node above 90% of capacity")
    top = sorted(res.countries.items(), key=lambda kv: -kv[1])[:8]
    out.print("entering by land or sea, TEU/yr: " + ", ".join(f"{c} {num(v)}" for c, v in top))
    if lost is not None and len(lost):
        out.print(f"[yellow]no route under this policy for {len(lost)} OD cell(s), "
                  f"{lost['teu'].sum():,.0f} TEU a year:[/] "
                  + ", ".join(f"{r.origin}→{r.destination} ({r.commodity})"
                              for r in lost.head(8).itertuples()))
    print_written(written)


@user_errors
def calibrate(
    targets: Annotated[Path | None, typer.Option(
        "--targets", help="Targets CSV (default: the bundled year_targets.csv).")] = None,
    years: Annotated[str, typer.Option(
        "--years", help="Worlds to fit on, comma-separated (default: 2019-2025).")] = "",
    save: Annotated[Path | None, typer.Option(
        "--save", help="Write the fitted parameters to this JSON file (use with --params later).")] = None,
    force: Annotated[bool, force_option("Replace the --save file.")] = False,
    refit: Annotated[bool, typer.Option("--refit/--report", help="Fit the behaviour again (minutes), or "
                                        "only report the bundled one against every year's counts.")] = False,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every year's published counts beside the model in that year's world; refit the shared behaviour."""
    from ..analysis.backcast import YEARS
    from ..analysis.calibrate import calibrate as fit_behaviour
    from ..analysis.calibrate import load_targets, target_report

    if save is not None and not refit:
        raise CorridorError("--save writes refitted parameters: use it with --refit, not --report")
    try:
        ys = [int(y) for y in years.split(",") if y.strip()] or list(YEARS)
    except ValueError:
        raise CorridorError(f"--years takes years joined by commas, e.g. 2021,2024; got '{years[:40]}'") \
            from None
    bad = [y for y in ys if y not in YEARS]
    if bad:
        raise CorridorError(f"no world for {', '.join(map(str, bad))}; worlds: {YEARS[0]}-{YEARS[-1]}")
    net = load_net(network)
    tg = load_targets(targets)
    refuse_existing(save, force)
    fitted = None
    if refit:
        with working("fitting (one assignment per year per evaluation)...", quiet=as_json):
            cal = fit_behaviour(net, years=ys, targets=tg)
        table, fitted = cal.table, cal
    else:
        with working("assigning every year in its world...", quiet=as_json):
            table = target_report(net, years=ys, targets=tg)
    if save is not None and fitted is not None:
        fitted.params.save(save, overwrite=force)
    if as_json:
        emit_json({"targets": table.to_dict(orient="records"),
                   "fitted": None if fitted is None else fitted.to_dict(),
                   "saved": None if save is None or fitted is None else str(save)})
        return
    t = Table(title="counts by year: published vs modelled (sue, each year in its world)",
              title_justify="left")
    last = "after" if fitted is not None else "modelled"
    cols = ["year", "target", "unit", "published", *(["before", "after"] if fitted else ["modelled"]),
            "error"]
    for c in cols:
        t.add_column(c, justify="left" if c in ("target", "unit") else "right")
    for r in table.to_dict(orient="records"):
        cells = [str(r["year"]), r["target_id"], r["unit"], num(r["published"])]
        cells += [num(r["before"]), num(r["after"])] if fitted else [num(r["modelled"])]
        t.add_row(*cells, f"{100 * (r[last] / r['published'] - 1):+.1f}%")
    out.print(t)
    if fitted is not None:
        out.print(f"fitted: {fitted.behaviour.to_dict()}")
    if save is not None and fitted is not None:
        out.print(f"wrote {save}")
