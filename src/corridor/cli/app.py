"""The `corridor` Typer application: routing, network, assignment and Caspian commands, and the
registration of the command groups that live in their own modules."""

from __future__ import annotations

import math
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .. import compare as _compare
from .. import route as _route
from ..errors import CorridorError, UnknownPlaceError
from ..network.export import write_geojson, write_gmns
from ..network.io import NODE_KINDS, load_network, read_network_tables
from ..viz.maps import plot_routes
from .analysis import appraise_cmd, gateways_cmd
from .common import JsonOpt, _check_map_target, _fmt, emit_json, err, out, user_errors
from .scenarios import runs_app, scenario_app
from .serve import serve as _serve_command

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Route and compare Eurasian freight corridors on sourced open data.")

network_app = typer.Typer(no_args_is_help=True, help="Check and export network folders.")

app.add_typer(network_app, name="network")

caspian_app = typer.Typer(no_args_is_help=True, help="The Caspian crossing: ferry and feeder queues.")

app.add_typer(caspian_app, name="caspian")


class Objective(StrEnum):
    time = "time"
    cost = "cost"
    co2 = "co2"
    generalized = "generalized"

Kind = StrEnum("Kind", {k: k for k in NODE_KINDS})


class Distinct(StrEnum):
    gateways = "gateways"
    paths = "paths"


class ExportFormat(StrEnum):
    gmns = "gmns"
    geojson = "geojson"

NetOpt = Annotated[Path | None, typer.Option("--network", help="Network folder (default: bundled).")]

AvoidOpt = Annotated[str | None, typer.Option("--avoid", help="Countries to avoid, ISO3, e.g. RUS,BLR.")]

AvoidModeOpt = Annotated[str | None, typer.Option("--avoid-mode", help="Modes to avoid, e.g. road.")]

AvoidPassageOpt = Annotated[str | None, typer.Option(
    "--avoid-passage", help="Sea passages to avoid, e.g. suez,babalmandab,bosporus.")]

ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite an existing map file.")]

YearOpt = Annotated[int | None, typer.Option("--year", help="Open planned links due by this year.")]

ObjOpt = Annotated[Objective, typer.Option("--objective", help="What 'best' means.")]

CommodityOpt = Annotated[str, typer.Option("--commodity", help="Value-of-time class for 'generalized'.")]

MapOpt = Annotated[Path | None, typer.Option("--map", help="Write a PNG map of the routes here.")]


def _summary_table(title: str, rows: list[dict], rank: bool = False) -> Table:
    """Route rows; ranked lists show the gateways, since their routes often share countries."""
    t = Table(title=title, title_justify="left")
    if rank:
        t.add_column("#", justify="right")
    last = "via (border crossings, ports, transshipments)" if rank else "countries"
    for col, just in (("corridor", "left"), ("days", "right"), ("USD/TEU", "right"),
                      ("kg CO2/TEU", "right"), ("km", "right"), ("borders", "right"),
                      ("transship", "right"), (last, "left")):
        t.add_column(col, justify=just, overflow="fold")
    for i, r in enumerate(rows, 1):
        cells = [str(i)] if rank else []
        if not r.get("feasible", True):
            cells += [r["corridor"], "[dim]no route[/]", "", "", "", "", "",
                      f"[dim]{r['reason']}[/]"]
        else:
            cells += [r["corridor"], _fmt(r["days"], 1), _fmt(r["usd_per_teu"]),
                      _fmt(r["co2_kg_per_teu"]), _fmt(r["km"]), str(r["borders"]),
                      str(r["transshipments"]),
                      " › ".join(r["via"]) if rank else "-".join(r["countries"])]
        t.add_row(*cells)
    return t


def _legs_table(route: dict) -> Table:
    t = Table(title=f"legs of the {route['corridor']} route", title_justify="left")
    for col in ("from", "to", "mode", "km", "hours", "USD", "note"):
        t.add_column(col, justify="right" if col in ("km", "hours", "USD") else "left")
    for leg in route["legs"]:
        mode = leg["mode"] + (f" {leg['gauge']}" if leg.get("gauge") else "")
        note = leg["detail"] if leg["kind"] != "link" else (leg["detail"] or "")
        t.add_row(leg["from"], leg["to"] if leg["kind"] == "link" else "", mode,
                  _fmt(leg["km"]), _fmt(leg["hours"], 1), _fmt(leg["usd"]), note)
    return t


@app.command()
@user_errors
def compare(
    origin: Annotated[str, typer.Argument(help="Origin place, e.g. Xian")],
    dest: Annotated[str, typer.Argument(help="Destination place, e.g. Duisburg")],
    objective: ObjOpt = Objective.generalized,
    avoid: AvoidOpt = None,
    avoid_mode: AvoidModeOpt = None,
    avoid_passage: AvoidPassageOpt = None,
    year: YearOpt = None,
    commodity: CommodityOpt = "container",
    legs: Annotated[bool, typer.Option("--legs", help="Also print every leg.")] = False,
    map_path: MapOpt = None,
    force: ForceOpt = False,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The best route of each corridor family (northern, middle, southern, suez, cape)."""
    _check_map_target(map_path, force)
    net = load_network(network)
    res = _compare(net, origin, dest, objective=objective.value, avoid=avoid,
                   avoid_modes=avoid_mode, avoid_passages=avoid_passage, year=year,
                   commodity=commodity)
    if map_path is not None:
        ok = [r.route for r in res.results if r.route is not None]
        plot_routes(net, ok, map_path, title=f"{res.origin} to {res.destination}: best route "
                    f"per corridor ({res.objective})")
    d = res.to_dict()
    if as_json:
        emit_json(d)
        return
    out.print(_summary_table(f"{res.origin} → {res.destination}, best per corridor "
                             f"(objective: {res.objective})", d["corridors"]))
    if res.overall is not None:
        o = res.overall
        out.print(f"best of all: [bold]{o.corridor}[/], {o.days:.1f} days, "
                  f"${o.usd_per_teu:,.0f}/TEU, via {' › '.join(o.gateway_names) or 'no border or port'}",
                  highlight=False)
    if legs:
        for r in d["corridors"]:
            if r["feasible"]:
                out.print(_legs_table(r))
    if map_path is not None:
        out.print(f"map written to {map_path}")


@app.command()
@user_errors
def route(
    origin: Annotated[str, typer.Argument(help="Origin place")],
    dest: Annotated[str, typer.Argument(help="Destination place")],
    avoid: AvoidOpt = None,
    avoid_mode: AvoidModeOpt = None,
    avoid_passage: AvoidPassageOpt = None,
    via: Annotated[list[str] | None, typer.Option(
        "--via", help="Pass through this place (repeat for several, in order).")] = None,
    k: Annotated[int, typer.Option("--k", help="Number of distinct routes (1-50).")] = 1,
    objective: ObjOpt = Objective.generalized,
    year: YearOpt = None,
    commodity: CommodityOpt = "container",
    distinct: Annotated[Distinct, typer.Option(
        "--distinct", help="gateways: routes differ in border crossings, ports, transshipments or "
        "modes; paths: Yen's k shortest paths.")] = Distinct.gateways,
    max_overlap: Annotated[float, typer.Option(
        "--max-overlap", help="Skip routes sharing more than this share of their length "
        "with a better one (0-1).")] = 1.0,
    legs: Annotated[bool, typer.Option("--legs/--no-legs", help="Print every leg.")] = True,
    map_path: MapOpt = None,
    force: ForceOpt = False,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The k best distinct routes under a policy (avoid countries or modes, via a place)."""
    _check_map_target(map_path, force)
    net = load_network(network)
    rs = _route(net, origin, dest, avoid=avoid, avoid_modes=avoid_mode,
                avoid_passages=avoid_passage, via=via or [], k=k,
                objective=objective.value, year=year, commodity=commodity,
                distinct=distinct.value, max_overlap=max_overlap)
    if map_path is not None:
        plot_routes(net, rs.routes, map_path, title=f"{rs.origin} to {rs.destination}",
                    labels=[f"#{i} {r.corridor}: {r.days:.1f} d" for i, r in enumerate(rs.routes, 1)])
    d = rs.to_dict()
    if as_json:
        emit_json(d)
        return
    out.print(_summary_table(f"{rs.origin} → {rs.destination}: {len(rs.routes)} route(s) "
                             f"(objective: {rs.objective})", d["routes"], rank=True))
    if legs:
        for r in d["routes"]:
            out.print(_legs_table(r))
    if len(rs.routes) < k:
        out.print(f"[yellow]only {len(rs.routes)} distinct route(s) found[/]")
    if map_path is not None:
        out.print(f"map written to {map_path}")


@app.command()
@user_errors
def places(
    query: Annotated[str | None, typer.Argument(help="Filter by part of a name.")] = None,
    kind: Annotated[Kind | None, typer.Option("--kind", help="Only places of this kind.")] = None,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The places you can name as origin, destination or via."""
    net = load_network(network)
    df = net.places(query)
    if df.empty and query:
        raise UnknownPlaceError(query, net.suggest(query))
    if kind:
        df = df[df["kind"] == kind.value]
        if df.empty:
            raise CorridorError(f"no place{' matching ' + repr(query) if query else ''} "
                                f"is of kind {kind.value}")
    if as_json:
        emit_json(df.to_dict(orient="records"))
        return
    t = Table(title=f"{len(df)} places", title_justify="left")
    for c in ("name", "country", "kind", "node_id", "aliases"):
        t.add_column(c)
    for r in df.itertuples(index=False):
        t.add_row(r.name, r.country, r.kind, r.node_id, r.aliases)
    out.print(t)


@app.command()
@user_errors
def sources(
    query: Annotated[str | None, typer.Argument(help="Source id or part of a title.")] = None,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The sources behind the bundled numbers (id, title, publisher, URL, date)."""
    net = load_network(network)
    df = net.sources
    if df is None:
        raise CorridorError("this network has no sources.csv")
    if query:
        q = query.lower()
        df = df[df["source_id"].str.lower().str.contains(q, regex=False)
                | df["title"].str.lower().str.contains(q, regex=False)]
    if as_json:
        emit_json(df.to_dict(orient="records"))
        return
    t = Table(title=f"{len(df)} sources", title_justify="left")
    for c in ("source_id", "title", "publisher", "date", "url"):
        t.add_column(c, overflow="fold")
    for r in df.itertuples(index=False):
        t.add_row(r.source_id, r.title, str(r.publisher), str(r.date), r.url)
    out.print(t)


@network_app.command("validate")
@user_errors
def network_validate(
    folder: Annotated[Path, typer.Argument(help="Folder with node.csv and link.csv.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a network folder; list every problem (file, row, column, reason)."""
    from ..datafiles import bundled_data_dir

    t = read_network_tables(folder, fallback_dir=bundled_data_dir())
    summary = {"folder": str(folder), "ok": True, "nodes": len(t["nodes"]),
               "links": len(t["links"]), "problems": []}
    if as_json:
        emit_json(summary)
    else:
        out.print(f"[green]ok[/]: {folder} — {summary['nodes']} nodes, {summary['links']} links, "
                  "no problems")


@network_app.command("export")
@user_errors
def network_export(
    folder: Annotated[Path, typer.Argument(help="Where to write.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="gmns or geojson")] = ExportFormat.gmns,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the network out as GMNS CSV (+ GeoJSON geometry) or one GeoJSON file."""
    net = load_network(network)
    writer = write_gmns if fmt == ExportFormat.gmns else write_geojson
    paths = writer(net, folder, overwrite=force)
    if as_json:
        emit_json({"written": [str(p) for p in paths]})
    else:
        for p in paths:
            out.print(f"wrote {p}")


@app.command()
@user_errors
def reliability(
    origin: Annotated[str, typer.Argument(help="Origin place")],
    dest: Annotated[str, typer.Argument(help="Destination place")],
    samples: Annotated[int, typer.Option("--samples", min=100, max=5_000_000,
                                         help="Sampled shipments per corridor.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same answer).")] = 0,
    promise: Annotated[float | None, typer.Option(
        "--promise", help="Promised days for the on-time probability (default: each route's "
        "own planned days + 10%).")] = None,
    avoid: AvoidOpt = None,
    avoid_mode: AvoidModeOpt = None,
    year: YearOpt = None,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Door-to-door transit-time distribution per corridor: p50, p90, p95 days and on-time odds."""
    from ..analysis.reliability import reliability as _reliability

    net = load_network(network)
    if promise is not None and not 0 < promise <= 365:
        raise CorridorError(f"--promise must be between 0 and 365 days, got {promise}")
    res = _reliability(net, origin, dest, samples=samples, seed=seed, promise_days=promise,
                       avoid=avoid, avoid_modes=avoid_mode, year=year)
    d = res.to_dict()
    if as_json:
        emit_json(d)
        return
    t = Table(title=f"{res.origin} → {res.destination}: door-to-door days, {samples:,} sampled "
              f"shipments per corridor (seed {seed})", title_justify="left")
    for c in ("corridor", "planned", "p50", "p90", "p95", "p90-p50", "promise", "on time"):
        t.add_column(c, justify="left" if c == "corridor" else "right")
    for c in d["corridors"]:
        if not c["feasible"]:
            t.add_row(c["corridor"], "[dim]no route[/]", "", "", "", "", "", "")
            continue
        t.add_row(c["corridor"], _fmt(c["deterministic_days"], 1), _fmt(c["p50_days"], 1),
                  _fmt(c["p90_days"], 1), _fmt(c["p95_days"], 1), _fmt(c["spread_p90_p50_days"], 1),
                  _fmt(c["promise_days"], 1), f"{c['on_time_probability']:.0%}")
    out.print(t)


def _parse_changes(spec: str | None, option: str = "--vessels-add", kind=int) -> dict:
    """`rail_ferry=4,kmtf_feeder=-1` -> {"rail_ferry": 4, "kmtf_feeder": -1}."""
    out: dict = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        name, _, n = part.partition("=")
        try:
            out[name.strip()] = out.get(name.strip(), 0) + kind(n)
        except ValueError:
            raise CorridorError(f"{option} wants NAME=NUMBER pairs, got '{part[:60]}'") from None
    return out


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
    from ..viz.charts import plot_caspian

    _check_map_target(chart, force)
    cfg = baseline_config(sea_level=sea_level, vessels_add=_parse_changes(vessels_add))
    if deepen or berths_add:
        berths: dict[str, dict[str, int]] = {}
        for key, n in _parse_changes(berths_add, "--berths-add").items():
            port, _, kind = key.partition(":")
            if not kind:
                raise CorridorError(f"--berths-add wants PORT:KIND=N, got '{key[:60]}'")
            berths.setdefault(port, {})[kind] = n
        cfg = cfg.with_ports(deepen=_parse_changes(deepen, "--deepen", float), berths_add=berths)
    if as_json:
        res = simulate(cfg, days=days, replications=replications, seed=seed)
    else:
        with err.status(f"simulating {replications} × {days} days ..."):
            res = simulate(cfg, days=days, replications=replications, seed=seed)
    if chart is not None:
        plot_caspian(res, chart, title=f"Caspian crossing, sea level {sea_level:+.1f} m, "
                     f"{replications} simulated years")
    d = res.to_dict()
    ports = res.port_summary()
    summary = {"sea_level_m": sea_level, "vessels_add": _parse_changes(vessels_add),
               "deepen_m": _parse_changes(deepen, "--deepen", float), "days": days,
               "replications": replications, "seed": seed, "ports": ports,
               "vessel_types": res.vessel_summary(),
               "effective_capacity": d["effective_capacity"], "excluded_vessels": d["excluded_vessels"],
               "services": d["services"]}
    if as_json:
        emit_json(summary)
        return
    t = Table(title=f"Caspian crossing: {replications} simulated years of {days} days, sea level "
              f"{sea_level:+.2f} m", title_justify="left")
    for c in ("port", "mean wait h", "p90 wait h", "throughput (units/yr)", "max mean backlog"):
        t.add_column(c, justify="left" if c == "port" else "right")
    for p, v in ports.items():
        t.add_row(p, _fmt(v["mean_wait_hours"], 1), _fmt(v["p90_wait_hours"], 1), _fmt(v["throughput"]),
                  _fmt(v["max_mean_backlog"]))
    out.print(t)
    t2 = Table(title="vessels", title_justify="left")
    for c in ("kind", "utilisation", "load factor"):
        t2.add_column(c, justify="left" if c == "kind" else "right")
    for k, v in summary["vessel_types"].items():
        t2.add_row(k, f"{v['utilisation']:.0%}", f"{v['load_factor']:.0%}")
    out.print(t2)
    if d["excluded_vessels"]:
        out.print(f"[yellow]cannot berth at this sea level:[/] {', '.join(d['excluded_vessels'])}")
    if chart is not None:
        out.print(f"chart written to {chart}")


class Method(StrEnum):
    sue = "sue"
    ue = "ue"
    aon = "aon"

DemandOpt = Annotated[Path | None, typer.Option(
    "--demand", help="OD demand CSV or Parquet (default: the bundled 2024 baseline).")]

ParamsOpt = Annotated[Path | None, typer.Option(
    "--params", help="Assignment parameters JSON (default: the calibrated ones bundled with the data).")]


def _demand(net, path: Path | None):
    from ..demand import load_demand, read_demand

    return load_demand() if path is None else read_demand(path, network=net)


def _progress_bar(enabled: bool):
    """A Rich progress bar on stderr, and the callback the library calls."""
    from contextlib import nullcontext

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if not enabled:
        return nullcontext(), None
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"),
                   TimeElapsedColumn(), console=err, transient=True)
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int, gap: float) -> None:
        if stage not in tasks:
            label = "building route sets" if stage == "routes" else "iterating"
            tasks[stage] = bar.add_task(label, total=total, info="")
        info = "" if math.isnan(gap) else f"gap {gap:.1e}"
        bar.update(tasks[stage], completed=done + (stage == "routes"), info=info)

    return bar, update


@app.command()
@user_errors
def assign(
    method: Annotated[Method, typer.Option("--method", help="sue: path-size logit (calibrated); ue: "
                                           "deterministic equilibrium; aon: all-or-nothing.")] = Method.sue,
    demand: DemandOpt = None,
    year: YearOpt = None,
    avoid: AvoidOpt = None,
    avoid_mode: AvoidModeOpt = None,
    params: ParamsOpt = None,
    rgap: Annotated[float, typer.Option("--rgap", min=1e-10, max=0.5, help="Stop at this gap.")] = 1e-4,
    max_iter: Annotated[int, typer.Option("--max-iter", min=1, max=100_000)] = 500,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write link flows (CSV, Parquet, GeoJSON), "
                                                 "corridor shares and overloads here.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace files already in --out.")] = False,
    unserved: Annotated[bool, typer.Option(
        "--unserved-report/--unserved-error",
        help="Leave out and list OD pairs with no route under the policy, or stop with an error.")] = False,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Assign the OD demand to the network: volumes per corridor and country, loads against capacity."""
    from ..assignment.freight import assign as _assign
    from ..assignment.params import AssignmentParams

    net = load_network(network)
    dem = _demand(net, demand)
    p = AssignmentParams.load(params)
    if out_dir is not None and not force:  # fail before the work, not after it
        from ..output import refuse_overwrite

        refuse_overwrite([out_dir / n for n in ("link_flows.csv", "summary.json")], False)
    bar, update = _progress_bar(not as_json)
    with bar:
        res = _assign(net, dem, method=method.value, rgap=rgap, max_iter=max_iter, params=p, avoid=avoid,
                      avoid_modes=avoid_mode, year=year, progress=update,
                      unserved="report" if unserved else "raise")
    written = res.write(out_dir, net, force=force) if out_dir is not None else []
    d = res.to_dict()
    d["written"] = [str(w) for w in written]
    lost = res.unserved if res.unserved is not None else None
    d["unserved"] = [] if lost is None else lost.to_dict(orient="records")
    if as_json:
        emit_json(d)
        return
    state = ("one load, no iterations" if method.value == "aon"
             else "converged" if res.converged else "[yellow]not converged[/]")
    t = Table(title=f"{method.value}: {res.iterations} iterations, gap {res.rgap:.1e} ({state}); "
              f"{sum(dem.total(c)['teu'] for c in res.commodities):,.0f} TEU a year", title_justify="left")
    cols = ["corridor", "TEU/yr", "share", *[f"{c} TEU" for c in res.commodities],
            "mean days", "p90 days", "USD/TEU"]
    for c in cols:
        t.add_column(c, justify="left" if c == "corridor" else "right")
    for row in res.corridor_summary().to_dict(orient="records"):
        t.add_row(row["corridor"], _fmt(row["teu"]), f"{row['share']:.1%}",
                  *[_fmt(res.corridors_by_commodity[c].get(row["corridor"], 0.0)) for c in res.commodities],
                  _fmt(row["mean_days"], 1), _fmt(row["p90_days"], 1), _fmt(row["usd_per_teu"]))
    out.print(t)
    over = res.over_capacity()
    if len(over):
        t2 = Table(title="loaded above 90% of capacity", title_justify="left")
        for c in ("kind", "id", "name", "load/yr", "capacity/yr", "unit", "v/c"):
            t2.add_column(c, justify="left" if c in ("kind", "id", "name", "unit") else "right")
        for r in over.itertuples():  # the binding queue: per direction for a link; boxes or tonnes
            t2.add_row(r.kind, r.id, str(r.name), _fmt(r.queue_load), _fmt(r.queue_capacity), r.queue_unit,
                       f"{r.v_c:.2f}")
        out.print(t2)
    else:
        out.print("no link or node above 90% of capacity")
    top = sorted(res.countries.items(), key=lambda kv: -kv[1])[:8]
    out.print("entering by land or sea, TEU/yr: " + ", ".join(f"{c} {_fmt(v)}" for c, v in top))
    if lost is not None and len(lost):
        out.print(f"[yellow]no route under this policy for {len(lost)} OD cell(s), "
                  f"{lost['teu'].sum():,.0f} TEU a year:[/] "
                  + ", ".join(f"{r.origin}→{r.destination} ({r.commodity})"
                              for r in lost.head(8).itertuples()))
    for w in written:
        out.print(f"wrote {w}")


@app.command()
@user_errors
def calibrate(
    demand: DemandOpt = None,
    targets: Annotated[Path | None, typer.Option(
        "--targets", help="Targets CSV (default: the bundled calibration_targets.csv).")] = None,
    params: ParamsOpt = None,
    save: Annotated[Path | None, typer.Option(
        "--save", help="Write the fitted parameters to this JSON file (use with --params later).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the --save file.")] = False,
    refit: Annotated[bool, typer.Option("--refit/--report", help="Fit the parameters again, or only "
                                        "report the current ones against the targets.")] = True,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Modelled against published corridor volumes, side by side; refit the free parameters to them."""
    from ..analysis.calibrate import calibrate as _calibrate
    from ..analysis.calibrate import load_targets, measure, tonnes_per_teu
    from ..assignment.freight import assign as _assign
    from ..assignment.params import AssignmentParams

    net = load_network(network)
    dem = _demand(net, demand)
    tg = load_targets(targets, network=net)
    current = AssignmentParams.load(params)
    if save is not None and not refit:
        raise CorridorError("--save writes refitted parameters: use it with --refit, not --report")
    if save is not None and save.exists() and not force:
        raise CorridorError(f"{save} exists; pass --force to overwrite it")
    if refit:
        from contextlib import nullcontext

        fitting = err.status("fitting (one path-size logit equilibrium per evaluation)...")
        with nullcontext() if as_json else fitting:
            cal = _calibrate(net, dem, targets=tg, start=AssignmentParams(
                queue_hours=current.queue_hours, beta=current.beta))
        table, fitted = cal.table.copy(), cal.params
        table["current"] = measure(_assign(net, dem, params=current), tg, tonnes_per_teu(dem))
    else:
        fitted = None
        table = tg[["target_id", "description", "unit", "value", "source_id"]].rename(
            columns={"value": "published"})
        table["current"] = measure(_assign(net, dem, params=current), tg, tonnes_per_teu(dem))
    if save is not None and fitted is not None:
        fitted.save(save, force=force)
    if as_json:
        emit_json({"targets": table.to_dict(orient="records"),
                   "current_params": current.to_dict(),
                   "fitted_params": None if fitted is None else fitted.to_dict(),
                   "saved": None if save is None or fitted is None else str(save)})
        return
    t = Table(title="calibration targets: published vs modelled (sue)", title_justify="left")
    cols = ["target", "unit", "published", "current", "error"]
    if fitted is not None:
        cols[4:4] = ["uncalibrated", "refitted"]
    for c in cols:
        t.add_column(c, justify="left" if c in ("target", "unit") else "right")
    for r in table.to_dict(orient="records"):
        # the error of what is shown last: the refit when there is one, else the current parameters
        err_pct = 100 * ((r["after"] if fitted is not None else r["current"]) / r["published"] - 1)
        cells = [r["target_id"], r["unit"], _fmt(r["published"]), _fmt(r["current"])]
        if fitted is not None:
            cells += [_fmt(r["before"]), _fmt(r["after"])]
        t.add_row(*cells, f"{err_pct:+.1f}%")
    out.print(t)
    shown = fitted or current
    consts = ", ".join(f"{k} {v:,.0f}" for k, v in shown.corridor_constants_usd.items()) or "none"
    out.print(f"corridor constants (USD/TEU): {consts}; "
              f"dispersion: {', '.join(f'{k} {v:.2f}' for k, v in shown.dispersion.items())}; "
              f"queue {shown.queue_hours:g} h at capacity, beta {shown.beta:g}")
    if save is not None and fitted is not None:
        out.print(f"wrote {save}")


def main() -> None:
    """Entry point; usage errors are JSON too when --json was asked for."""
    from typer.exceptions import TyperException

    command = typer.main.get_command(app)
    try:
        rc = command.main(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except TyperException as exc:
        if "--json" in sys.argv[1:]:
            emit_json({"error": exc.format_message(), "type": "UsageError"})
        elif hasattr(exc, "show"):
            exc.show()
        else:
            err.print(f"error: {exc.format_message()}")
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        err.print("interrupted")
        sys.exit(130)
    sys.exit(rc if isinstance(rc, int) else 0)

app.command("serve")(_serve_command)

app.add_typer(scenario_app, name="scenario")

app.add_typer(runs_app, name="runs")

app.command("gateways")(gateways_cmd)

app.command("appraise")(appraise_cmd)
