"""`corridor compare`, `route`, `places` and `sources`: single questions about routes and the data.

The library (routing, the network tables, the maps) is imported when a command runs, not when
`corridor --help` lists it.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..errors import CorridorError, UnknownPlaceError
from ..vocabulary import DISTINCT, NODE_KINDS, OBJECTIVES
from .common import (
    AvoidModeOpt,
    AvoidOpt,
    AvoidPassageOpt,
    FormatOpt,
    JsonOpt,
    MonthOpt,
    NetOpt,
    OutOpt,
    YearOpt,
    add_columns,
    choices,
    emit_json,
    force_option,
    load_net,
    num,
    out,
    prepare_out,
    print_written,
    refuse_existing,
    user_errors,
    world_options,
    write_out,
)
from .sweep import UncertaintyOpt, answer_with_ranges

if TYPE_CHECKING:  # a choice made from the library's vocabulary: to a type checker, some StrEnum
    Objective = StrEnum
    Kind = StrEnum
    Distinct = StrEnum
else:
    Objective = choices("Objective", OBJECTIVES)
    Kind = choices("Kind", NODE_KINDS)
    Distinct = choices("Distinct", DISTINCT)

GENERALIZED = Objective("generalized")
BY_GATEWAYS = Distinct("gateways")

ObjOpt = Annotated[Objective, typer.Option("--objective", help="What 'best' means.")]

CommodityOpt = Annotated[str, typer.Option("--commodity", help="Value-of-time class for 'generalized'.")]

MapOpt = Annotated[Path | None, typer.Option("--map", help="Write a PNG map of the routes here.")]

MapForceOpt = Annotated[bool, force_option("Overwrite an existing map file or --out folder.")]


def _summary_table(title: str, rows: list[dict], rank: bool = False) -> Table:
    """Route rows; ranked lists show the gateways, since their routes often share countries."""
    t = Table(title=title, title_justify="left")
    if rank:
        t.add_column("#", justify="right")
    last = "via (border crossings, ports, transshipments)" if rank else "countries"
    add_columns(t, (("corridor", "left"), ("days", "right"), ("USD/TEU", "right"),
                    ("kg CO2/TEU", "right"), ("km", "right"), ("borders", "right"),
                    ("transship", "right"), (last, "left")))
    for i, r in enumerate(rows, 1):
        cells = [str(i)] if rank else []
        if not r.get("feasible", True):
            cells += [r["corridor"], "[dim]no route[/]", "", "", "", "", "",
                      f"[dim]{r['reason']}[/]"]
        else:
            cells += [r["corridor"], num(r["days"], 1), num(r["usd_per_teu"]),
                      num(r["co2_kg_per_teu"]), num(r["km"]), str(r["borders"]),
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
                  num(leg["km"]), num(leg["hours"], 1), num(leg["usd"]), note)
    return t


@user_errors
def compare(
    origin: Annotated[str, typer.Argument(help="Origin place, e.g. Xian")],
    dest: Annotated[str, typer.Argument(help="Destination place, e.g. Duisburg")],
    objective: ObjOpt = GENERALIZED,
    avoid: AvoidOpt = None,
    avoid_mode: AvoidModeOpt = None,
    avoid_passage: AvoidPassageOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    commodity: CommodityOpt = "container",
    legs: Annotated[bool, typer.Option("--legs", help="Also print every leg.")] = False,
    map_path: MapOpt = None,
    out_dir: OutOpt = None,
    fmt: FormatOpt = None,
    force: MapForceOpt = False,
    uncertainty: UncertaintyOpt = None,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The best route of each corridor family (northern, middle, southern, suez, cape)."""
    from ..routing.comparison import compare as compare_routes

    if uncertainty:
        from ..analysis.sweep_questions import Compare

        q = Compare(origin, dest, objective.value, commodity, avoid, avoid_mode, avoid_passage, year, month)
        return answer_with_ranges(q, uncertainty, as_json=as_json, title=f"{origin} to {dest}",
                                  network=network)

    refuse_existing(map_path, force)
    formats = prepare_out(out_dir, force, fmt)
    net = load_net(network)
    res = compare_routes(net, origin, dest, objective=objective.value, commodity=commodity,
                         **world_options(avoid, avoid_mode, avoid_passage, year, month))
    written = write_out(res, out_dir, force, formats, net)
    if map_path is not None:
        from ..viz.maps import plot_routes

        ok = [r.route for r in res.results if r.route is not None]
        plot_routes(net, ok, map_path, title=f"{res.origin} to {res.destination}: best route "
                    f"per corridor ({res.objective})")
    d = res.to_dict()
    if as_json:
        emit_json(d | ({"written": [str(p) for p in written]} if written else {}))
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
    print_written(written)


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
    objective: ObjOpt = GENERALIZED,
    year: YearOpt = None,
    month: MonthOpt = None,
    commodity: CommodityOpt = "container",
    distinct: Annotated[Distinct, typer.Option(
        "--distinct", help="gateways: routes differ in border crossings, ports, transshipments or "
        "modes; paths: Yen's k shortest paths.")] = BY_GATEWAYS,
    max_overlap: Annotated[float, typer.Option(
        "--max-overlap", help="Skip routes sharing more than this share of their length "
        "with a better one (0-1).")] = 1.0,
    legs: Annotated[bool, typer.Option("--legs/--no-legs", help="Print every leg.")] = True,
    map_path: MapOpt = None,
    out_dir: OutOpt = None,
    fmt: FormatOpt = None,
    force: MapForceOpt = False,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The k best distinct routes under a policy (avoid countries or modes, via a place)."""
    from ..routing.itineraries import route as best_routes

    refuse_existing(map_path, force)
    formats = prepare_out(out_dir, force, fmt)
    net = load_net(network)
    rs = best_routes(net, origin, dest, via=via or [], k=k, objective=objective.value,
                     commodity=commodity, distinct=distinct.value, max_overlap=max_overlap,
                     **world_options(avoid, avoid_mode, avoid_passage, year, month))
    written = write_out(rs, out_dir, force, formats, net)
    if map_path is not None:
        from ..viz.maps import plot_routes

        plot_routes(net, rs.routes, map_path, title=f"{rs.origin} to {rs.destination}",
                    labels=[f"#{i} {r.corridor}: {r.days:.1f} d" for i, r in enumerate(rs.routes, 1)])
    d = rs.to_dict()
    if as_json:
        emit_json(d | ({"written": [str(p) for p in written]} if written else {}))
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
    print_written(written)


@user_errors
def places(
    query: Annotated[str | None, typer.Argument(help="Filter by part of a name.")] = None,
    kind: Annotated[Kind | None, typer.Option("--kind", help="Only places of this kind.")] = None,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The places you can name as origin, destination or via."""
    net = load_net(network)
    df = net.places(query, kind=kind.value if kind else None)
    if df.empty and query and net.places(query).empty:
        raise UnknownPlaceError(query, net.suggest(query))
    if df.empty and kind:
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


@user_errors
def sources(
    query: Annotated[str | None, typer.Argument(help="Source id or part of a title.")] = None,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The sources behind the bundled numbers (id, title, publisher, URL, date)."""
    df = load_net(network).find_sources(query)
    if as_json:
        emit_json(df.to_dict(orient="records"))
        return
    t = Table(title=f"{len(df)} sources", title_justify="left")
    for c in ("source_id", "title", "publisher", "date", "url"):
        t.add_column(c, overflow="fold")
    for r in df.itertuples(index=False):
        t.add_row(r.source_id, r.title, str(r.publisher), str(r.date), r.url)
    out.print(t)
