"""`corridor gateways` and `corridor appraise`: the elements between two regions, and projects
valued by re-assignment within a budget."""

from __future__ import annotations

import math
import re
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..bounds import BOUNDS
from ..errors import CorridorError
from ..output import clean
from ..vocabulary import PAIRS, RANK_BY
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
    share,
    usd_m,
    user_errors,
    working,
    world_options,
    write_out,
)
from .sweep import UncertaintyOpt, answer_with_ranges, options_scenario

OutForceOpt = Annotated[bool, force_option("Replace an earlier result in --out (as a whole).")]

ScenarioOpt = Annotated[str | None, typer.Option(
    "--scenario", help="A bundled scenario name or a .yaml file: its network, policies and demand.")]

if TYPE_CHECKING:  # the library's results, imported when a command runs
    import pandas as pd

    from ..analysis.appraisal import Appraisal
    from ..analysis.gateways import GatewayResult

if TYPE_CHECKING:  # a choice made from the library's vocabulary: to a type checker, some StrEnum
    RankBy = StrEnum
    Pairs = StrEnum
else:
    RankBy = choices("RankBy", RANK_BY)
    Pairs = choices("Pairs", PAIRS)

BY_SHARE = RankBy("share")

AUTO_PAIRS = Pairs("auto")


def _gateway_table(res: GatewayResult, kind: str, by: str, top: int) -> Table:
    df = res.ranked(kind, by)
    df = df[(df["share"] > 0) | (df["disconnects_share"] > 0)].head(top)
    label = {"countries": "country", "nodes": "node", "links": "link"}[kind]
    key = {"countries": "country", "nodes": "node_id", "links": "link_id"}[kind]
    t = Table(title=f"{kind} between {res.from_region} and {res.to_region}, by {by}", title_justify="left")
    add_columns(t, (("#", "right"), (label, "left"), ("TEU/yr", "right"), ("share", "right"),
                    ("every route?", "center"), ("if closed: no route, TEU", "right"),
                    ("extra USD m/yr", "right"), ("extra days", "right")))
    closed = "closed_unserved_teu" in df.columns
    for i, r in enumerate(df.to_dict("records"), 1):
        name = r[key] if kind == "countries" else f"{r['name'] or r[key]}"
        if kind == "countries":
            name = f"{r['name']} ({r[key]})"
        elif kind == "nodes":
            name = f"{r['name']} ({r['country']}, {r['kind']})"
        cells = [str(i), name, num(r["teu"]), share(r["share"]),
                 "[bold]yes[/]" if r["single_point"] else (f"{r['disconnects_share']:.0%} cut"
                                                           if r["disconnects_share"] > 0 else "")]
        if closed and r.get("closed_unserved_teu") == r.get("closed_unserved_teu") \
                and r.get("closed_unserved_teu") is not None:
            days = r["closed_extra_days"]
            cells += [num(r["closed_unserved_teu"]), "-" if days != days else usd_m(r["closed_extra_usd_yr"]),
                      "-" if days != days else f"{days:+.1f}"]
        else:
            cells += ["", "", ""]
        t.add_row(*cells)
    return t


def _cut_lines(res: GatewayResult) -> list[str]:
    lines = []
    for level in ("countries", "nodes", "links"):
        c = res.cut[level]
        sp = c.get("single_point_names") or []
        if c.get("unbounded"):
            lines.append(f"minimum {level} cut: none (some route passes no {level} that can close, "
                         "e.g. a direct sea lane or border)")
            continue
        names = c["names"] if len(c["names"]) <= 8 else [*c["names"][:8], f"and {len(c['names']) - 8} more"]
        lines.append(f"minimum {level} cut: {c['value']} ({', '.join(names) or 'none'})"
                     + (f"; alone cutting every route: {', '.join(sp)}" if sp else ""))
    cap = res.cut["capacity"]
    if cap.get("unbounded"):
        lines.append("capacity cut: some route has no capacity figure on any element (unbounded)")
    elif cap["elements"]:
        lines.append(f"capacity cut: {cap['value_teu_yr']:,.0f} TEU/yr through "
                     + ", ".join(f"{e['name']} ({e['capacity_teu_yr']:,.0f})" for e in cap["elements"]))
    return lines


def _diff_table(diff: pd.DataFrame, kind: str, a: str, b: str, top: int) -> Table:
    key = diff.columns[0]
    t = Table(title=f"{kind}: {a} → {b}", title_justify="left")
    add_columns(t, ((kind[:-1] if kind != "countries" else "country", "left"), (f"share {a}", "right"),
                    (f"share {b}", "right"), ("change", "right"), ("every route?", "center")))
    for r in diff.head(top).to_dict("records"):
        sp = {(False, False): "", (True, True): "yes → yes", (True, False): "yes → no",
              (False, True): "no → yes"}[(r["single_point_a"], r["single_point_b"])]
        t.add_row(f"{r['name']} ({r[key]})", share(r["share_a"]), share(r["share_b"]),
                  f"{r['share_change'] * 100:+.1f} pt", sp)
    return t


@user_errors
def gateways_cmd(
    from_region: Annotated[str, typer.Option("--from", help="Region, bloc or ISO3 list, e.g. "
                                                            "central-asia.")],
    to_region: Annotated[str, typer.Option("--to", help="Region, bloc or ISO3 list, e.g. eu.")],
    scenario: ScenarioOpt = None,
    avoid: AvoidOpt = None,
    avoid_mode: AvoidModeOpt = None,
    avoid_passage: AvoidPassageOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    overland: Annotated[bool, typer.Option(
        "--overland", help="The region pair's cargo keeps off deep-sea lanes (every land route; Caspian "
                           "and Black Sea crossings stay).")] = False,
    against: Annotated[str | None, typer.Option(
        "--against", help="Also run this scenario with the same options and show what changes.")] = None,
    by: Annotated[RankBy, typer.Option("--by", help="Rank by flow share or by closure loss.")] = BY_SHARE,
    top: Annotated[int, typer.Option("--top", min=1, max=200, help="Rows per table (and closures run "
                                                                    "per element kind).")] = 10,
    closures: Annotated[bool, typer.Option("--closures/--no-closures", help="Re-assign with each "
                                           "top element closed (slower).")] = True,
    out_dir: OutOpt = None,
    fmt: FormatOpt = None,
    force: OutForceOpt = False,
    uncertainty: UncertaintyOpt = None,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Countries, crossings, ports and links between two regions: flow share, closure loss, minimum cut."""
    from ..analysis.gateways import gateways, gateways_diff

    if uncertainty:
        from ..analysis.sweep_questions import Gateways

        scn = scenario or options_scenario(year, month, avoid, avoid_mode, avoid_passage)
        q = Gateways(from_region, to_region, scn, closures=closures, top=min(top, 12))
        return answer_with_ranges(q, uncertainty, as_json=as_json, title=f"{from_region} to {to_region}",
                                  network=network)
    formats = prepare_out(out_dir, force, fmt)
    net = load_net(network)
    world = world_options(avoid, avoid_mode, avoid_passage, year, month)

    def run(scn: str | None) -> GatewayResult:
        return gateways(net, None, from_region, to_region, scenario=scn, overland=overland,
                        closures=closures, top=top, **world)

    with working(f"assigning and closing the gateways between {from_region} and {to_region} ...",
                 quiet=as_json):
        res = run(scenario)
        other = run(against) if against else None
    written = write_out(res, out_dir, force, formats, net)
    if as_json:
        d = res.to_dict(top=max(top, 25))
        if other is not None:
            d["against"] = other.to_dict(top=max(top, 25))
            d["diff"] = {k: gateways_diff(res, other, k).round(6).to_dict(orient="records")
                         for k in ("countries", "nodes")}
        emit_json(d | ({"written": [str(p) for p in written]} if written else {}))
        return
    _print_gateways(res, by.value, top)
    if other is not None:
        out.print()
        _print_gateways(other, by.value, top)
        a, b = res.scenario or "base", other.scenario or "base"
        out.print()
        for kind in ("countries", "nodes"):
            out.print(_diff_table(gateways_diff(res, other, kind), kind, a, b, top))
    print_written(written)


def _print_gateways(res: GatewayResult, by: str, top: int) -> None:
    s = res.summary
    what = f" (scenario {res.scenario})" if res.scenario else ""
    pol = res.policy
    avoid = ", ".join(pol.get("avoid_countries", [])) or "nothing"
    out.print(f"[bold]{res.from_region} → {res.to_region}[/]{what}: {s['demand_teu']:,.0f} TEU/yr of "
              f"demand, {s['served_teu']:,.0f} served; avoiding {avoid}"
              + ("; overland" if res.overland else ""), highlight=False)
    if not res.connected:
        out.print(res.unconnected_answer(), highlight=False)
        for n in res.notes:
            out.print(f"[dim]note: {n}[/]", highlight=False)
        return
    split = ", ".join(f"{k} {v / s['served_teu']:.0%}" for k, v in sorted(s["corridors_teu"].items(),
                                                                           key=lambda kv: -kv[1]))
    out.print(f"mean {s['mean_days']:.1f} days, USD {s['mean_generalized_usd']:,.0f} generalized per TEU; "
              f"by corridor: {split or '-'}", highlight=False)
    for kind in ("countries", "nodes", "links"):
        out.print(_gateway_table(res, kind, by, top))
    for line in _cut_lines(res):
        out.print(line, highlight=False)
    out.print()
    out.print(res.answer(), highlight=False)
    for n in res.notes:
        out.print(f"[dim]note: {n}[/]", highlight=False)

_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "g": 1e9}


def parse_usd(text: str) -> float:
    """'2e9', '2,000,000,000', '2bn', '750m' or '750 m' as US dollars."""
    s = str(text).strip().lower()
    for ch in (",", "_", "usd", "$"):
        s = s.replace(ch, "")
    s = s.strip()
    m = re.fullmatch(r"([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(k|m|mn|bn|b|g)?", s)
    if not m:
        raise CorridorError(f"cannot read '{clean(text, 30)}' as an amount of USD (e.g. 2e9, 2bn, 750m)")
    v = float(m.group(1)) * _SUFFIX[m.group(2) or ""]
    if not math.isfinite(v):
        raise CorridorError(f"'{clean(text, 30)}' is not a finite amount")
    return BOUNDS["budget_usd"].check(v, "--budget")


@user_errors
def appraise_cmd(
    budget: Annotated[str, typer.Option("--budget", help="Budget in USD: 2e9, 2bn, 750m.")],
    projects: Annotated[Path | None, typer.Option(
        "--projects", help="Projects file (CSV or YAML); default: the bundled list.")] = None,
    horizon: Annotated[int, typer.Option("--horizon", min=2000, max=2100,
                                         help="Last year of benefits.")] = 2040,
    discount: Annotated[float, typer.Option("--discount", min=0.0, max=0.99,
                                            help="Discount rate a year.")] = 0.06,
    growth: Annotated[float, typer.Option("--growth", min=-0.49, max=0.99,
                                          help="Demand growth a year (default from the World Bank's "
                                               "+44% 2021-2030).")] = 0.04,
    base_year: Annotated[int, typer.Option("--base-year", min=2000, max=2100,
                                           help="Year of discounting and of the costs.")] = 2026,
    scenario: ScenarioOpt = None,
    avoid: AvoidOpt = None,
    avoid_mode: AvoidModeOpt = None,
    avoid_passage: AvoidPassageOpt = None,
    demand: Annotated[Path | None, typer.Option(
        "--demand", help="Demand table (CSV/Parquet) instead of the scenario's (its year: 2024).")] = None,
    pairs: Annotated[Pairs, typer.Option("--pairs",
                                         help="Pair interactions valued by re-assignment.")] = AUTO_PAIRS,
    exhaustive_max: Annotated[int, typer.Option(
        "--exhaustive-max", min=0, help="Value every set of projects within the budget (the optimum, "
                                        "whatever the interactions) when there are at most this many; "
                                        "beyond, the programme over pair interactions (a heuristic).")] = 512,
    out_dir: OutOpt = None,
    fmt: FormatOpt = None,
    force: OutForceOpt = False,
    uncertainty: UncertaintyOpt = None,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Value each project (NPV, BCR) by re-assignment and pick the best portfolio within a budget (MILP)."""
    from ..analysis.appraisal import appraise, read_projects
    from ..demand import read_demand

    usd = parse_usd(budget)
    if uncertainty:
        from ..analysis.sweep_questions import Appraise

        q = Appraise(str(projects) if projects is not None else None, scenario, usd)
        return answer_with_ranges(q, uncertainty, as_json=as_json, title="appraisal", network=network)
    formats = prepare_out(out_dir, force, fmt)
    net = load_net(network)
    ps = read_projects(projects, network=net)
    dem = read_demand(demand, network=net) if demand is not None else None
    kw = dict(demand=dem, scenario=scenario, horizon=horizon, discount=discount, growth=growth,
              base_year=base_year, pairs=pairs.value, exhaustive_max=exhaustive_max,
              **world_options(avoid, avoid_mode, avoid_passage))
    if as_json:
        a = appraise(net, ps, budget=usd, **kw)
        written = write_out(a, out_dir, force, formats, net)
        emit_json(a.to_dict() | ({"written": [str(p) for p in written]} if written else {}))
        return
    with working("appraising ...") as status:
        a = appraise(net, ps, budget=usd, progress=lambda msg: status.update(f"appraising: {msg} ..."), **kw)
    written = write_out(a, out_dir, force, formats, net)
    _print_appraisal(a)
    print_written(written)


def _print_appraisal(a: Appraisal) -> None:
    s = a.assumptions
    vot = ", ".join(f"{k} {v:g}" for k, v in s["value_of_time_usd_per_teu_hour"].items())
    out.print(f"[bold]Assumptions[/]: base year {s['base_year']} (discounting and costs), "
              f"horizon {s['horizon']}, "
              f"discount {s['discount_rate']:.1%}/yr, demand {s['demand_teu']:,.0f} TEU/yr in "
              f"{s['demand_year']} growing {s['demand_growth']:.1%}/yr (source {s['demand_growth_source']}), "
              f"value of time USD/TEU-h: {vot}; benefits from re-assignment ({s['method']}) at "
              f"{', '.join(map(str, s['sample_years']))}, interpolated; {s['costs']}."
              + (f" Scenario: {a.scenario}." if a.scenario else ""), highlight=False)
    t = Table(title="projects (USD m; PV to the base year)", title_justify="left")
    last = [c for c in a.projects.columns if c.startswith("benefit_") and c.endswith("_usd")]
    add_columns(t, (("project", "left"), ("opens", "right"), ("cost", "right"), ("PV benefit", "right"),
                    ("NPV", "right"), ("BCR", "right"),
                    (f"benefit {last[0][8:12]}" if last else "benefit", "right"), ("chosen", "center")))
    for r in a.projects.to_dict("records"):
        t.add_row(f"{r['name']} ({r['id']})", str(r["opening_year"]), usd_m(r["cost_usd"]),
                  usd_m(r["pv_benefit_usd"]),
                  usd_m(r["npv_usd"]), f"{r['bcr']:.2f}", usd_m(r[last[0]]) if last else "-",
                  "[bold green]✓[/]" if r["chosen"] else "")
    out.print(t)
    pf = a.portfolio
    inter = [(k, v) for k, v in pf.interactions.items() if abs(v) >= 0.5e6]
    if inter:
        ti = Table(title="pair interactions (PV, USD m): value of the pair less the two alone",
                   title_justify="left")
        ti.add_column("pair", overflow="fold")
        ti.add_column("USD m", justify="right")
        for (x, y), v in sorted(inter, key=lambda kv: -abs(kv[1])):
            ti.add_row(f"{x} + {y}", f"{v / 1e6:+,.1f}")
        out.print(ti)
    chosen = ", ".join(pf.chosen) or "nothing (no affordable set has a positive NPV)"
    out.print(f"[bold]Portfolio[/] within USD {pf.budget_usd / 1e6:,.0f} m: {chosen}; cost USD "
              f"{pf.total_cost_usd / 1e6:,.1f} m, PV benefit USD {pf.pv_benefit_usd / 1e6:,.1f} m, "
              f"NPV USD {pf.npv_usd / 1e6:,.1f} m, BCR "
              f"{'-' if pf.bcr != pf.bcr else f'{pf.bcr:.2f}'} ({pf.rounds} MILP solve(s), "
              f"{pf.evaluated} sets valued by re-assignment); {pf.guarantee}", highlight=False)
    for n in a.notes:
        out.print(f"[dim]note: {n}[/]", highlight=False)
