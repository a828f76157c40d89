"""`corridor scenario ...` and `corridor runs ...`: Typer/Rich commands over corridor.scenarios and .store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..errors import CorridorError
from ..output import clean
from ..vocabulary import DEFAULT_METHOD, METHODS
from .common import (
    ForceOpt,
    FormatOpt,
    JsonOpt,
    NetOpt,
    OutOpt,
    emit_json,
    err,
    given_net,
    num,
    out,
    prepare_out,
    print_written,
    refuse_existing,
    signed,
    user_errors,
    working,
    write_out,
)
from .sweep import UncertaintyOpt, answer_with_ranges

if TYPE_CHECKING:  # the scenarios are imported when a command runs
    from ..scenarios.run import ScenarioResult

scenario_app = typer.Typer(no_args_is_help=True,
                           help="What-if scenarios: list, show, run and compare them (YAML files).")

runs_app = typer.Typer(no_args_is_help=True, help="The history of recorded scenario runs.")

MethodOpt = Annotated[str | None, typer.Option(
    "--method", help=f"Assignment method ({', '.join(METHODS)}; default {DEFAULT_METHOD}).")]

HomeOpt = Annotated[Path | None, typer.Option(
    "--home", help="Folder of the run history (default: $CORRIDOR_HOME or the user data folder).")]


@scenario_app.command("list")
@user_errors
def scenario_list(as_json: JsonOpt = False) -> None:
    """The bundled scenarios."""
    from ..scenarios.files import list_scenarios

    df = list_scenarios()
    if as_json:
        emit_json(df.to_dict(orient="records"))
        return
    t = Table(title=f"{len(df)} bundled scenarios (corridor scenario show NAME)", title_justify="left")
    for c in ("name", "year", "base", "description"):
        t.add_column(c, overflow="fold", ratio=4 if c == "description" else None)
    for r in df.itertuples(index=False):
        t.add_row(r.name, str(r.year) if r.year == r.year and r.year else "-",
                  r.base if isinstance(r.base, str) else "-", r.description)
    out.print(t)


@scenario_app.command("show")
@user_errors
def scenario_show(
    name: Annotated[str, typer.Argument(help="A bundled scenario name or a path to a .yaml file.")],
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A scenario as merged with its bases, and what it changes (checks it on the way)."""
    from ..scenarios.apply import apply_scenario
    from ..scenarios.validate import load_scenario

    net = given_net(network)
    s = load_scenario(name, network=net)
    applied = apply_scenario(s, network=net)
    d = {"name": s.name, "description": s.description, "year": s.year, "chain": list(s.chain),
         "scenario": s.model_dump(by_alias=True, exclude_defaults=True, mode="json"),
         "policy": applied.policy.to_dict(), "changes": list(applied.changes),
         "caspian_lines": applied.caspian_lines(),
         "demand_teu": applied.demand.total()["teu"]}
    if as_json:
        emit_json(d)
        return
    out.print(f"[bold]{s.name}[/] (year {s.year or '-'}): {s.description}", highlight=False)
    out.print("files: " + " ← ".join(Path(c).name for c in reversed(s.chain)), highlight=False)
    out.print(s.to_yaml(), highlight=False, markup=False)
    t = Table(title="what it changes", title_justify="left")
    t.add_column("change", overflow="fold")
    pol = applied.policy.to_dict()
    if pol["avoid_countries"]:
        t.add_row("avoid " + ", ".join(pol["avoid_countries"]))
    if pol["avoid_passages"]:
        t.add_row("avoid sea passages " + ", ".join(pol["avoid_passages"]))
    for c in applied.changes:
        t.add_row(c)
    if not t.rows:
        t.add_row("nothing: the bundled data as it is")
    out.print(t)
    out.print(f"demand: {d['demand_teu']:,.0f} TEU a year", highlight=False)


@scenario_app.command("validate")
@user_errors
def scenario_validate(
    path: Annotated[str, typer.Argument(help="A scenario file (or bundled name).")],
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a scenario file and its bases; list every problem (file, line, YAML path, what is allowed)."""
    from ..scenarios.validate import load_scenario

    s = load_scenario(path, network=given_net(network))
    if as_json:
        emit_json({"ok": True, "name": s.name, "chain": list(s.chain), "problems": []})
    else:
        out.print(f"[green]ok[/]: {s.name} ({' ← '.join(Path(c).name for c in reversed(s.chain))})")


@scenario_app.command("schema")
@user_errors
def scenario_schema_cmd(
    out_path: Annotated[Path | None, typer.Option("--out", help="Write the schema to this file.")] = None,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The JSON Schema of scenario files (always JSON)."""
    from ..output import write_text_file
    from ..scenarios.schema import scenario_schema

    schema = scenario_schema()
    if out_path is None:
        emit_json(schema)
        return
    write_text_file(out_path, json.dumps(schema, indent=2, ensure_ascii=False) + "\n", overwrite=force)
    if as_json:
        emit_json({"written": str(out_path)})
    else:
        out.print(f"schema written to {out_path}")


def _corridor_table(title: str, rows: list[dict]) -> Table:
    t = Table(title=title, title_justify="left")
    for c in ("corridor", "TEU/yr", "share", "mean days", "p90 days", "USD/TEU"):
        t.add_column(c, justify="left" if c == "corridor" else "right")
    for r in rows:
        t.add_row(r["corridor"], num(r["teu"]), num(r["share"], pct=True), num(r["mean_days"], 1),
                  num(r["p90_days"], 1), num(r["usd_per_teu"]))
    return t


def _caspian_table(casp: dict, title: str) -> Table:
    t = Table(title=title, title_justify="left")
    assigned = any(v.get("mean_wait_hours_assigned") is not None for v in casp["ports"].values())
    cols = ["port", "mean wait h (2024 crossing)", "mean wait h", "p90 wait h"]
    for c in cols + (["mean wait h (assigned volumes)"] if assigned else []):
        t.add_column(c, justify="left" if c == "port" else "right")
    for p, v in casp["ports"].items():
        row = [p, *(num(v[k], 1) for k in ("mean_wait_hours_2024", "mean_wait_hours", "p90_wait_hours"))]
        if assigned:
            row.append(num(v.get("mean_wait_hours_assigned"), 1))
        t.add_row(*row)
    return t


@scenario_app.command("run")
@user_errors
def scenario_run(
    name: Annotated[str, typer.Argument(help="A bundled scenario name or a path to a .yaml file.")],
    out_dir: Annotated[Path, typer.Option(
        "--out", help="Folder for the results (summary.json, CSVs, Parquet, manifest.json), written whole.")],
    method: MethodOpt = None,
    fmt: FormatOpt = None,
    force: ForceOpt = False,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Keep --out if it already holds this scenario's complete result (its manifest "
                         "checks out); run again if it is missing or incomplete.")] = False,
    record: Annotated[bool, typer.Option(
        "--record/--no-record", help="Keep the run in the run history.")] = True,
    home: HomeOpt = None,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply a scenario and assign its demand; record the run, then write the results.

    If the run history cannot be written (another process holds it past the wait), a warning
    says so on stderr, the results are written without a run id and the command succeeds.
    """
    from ..folders import folder_problems
    from ..scenarios.run import record_run, run_scenario

    if resume and _complete_run(out_dir, name, method, as_json):
        return
    formats = prepare_out(out_dir, force or (resume and out_dir.exists()), fmt)
    with working(f"running scenario {name} ...", quiet=as_json):
        res = run_scenario(name, method=method, network=network)
    if record:
        try:
            res = record_run(res, home=home)
        except CorridorError as exc:
            err.print(f"warning: the run was not recorded: {exc}", markup=False, highlight=False)
    replace = force or (resume and bool(folder_problems(out_dir)))
    paths = write_out(res, out_dir, replace, formats)
    d = res.to_dict()
    if as_json:
        emit_json(d | {"written": [str(p) for p in paths]})
        return
    _print_run(d, res)
    out.print(f"results written to {clean(out_dir)}/ ({', '.join(p.name for p in paths)})", highlight=False)


def _complete_run(out_dir: Path, name: str, method: str | None, as_json: bool) -> bool:
    """--resume: True (and the run printed) when --out holds this scenario's complete result."""
    from ..folders import folder_problems, read_manifest

    if not out_dir.exists() or folder_problems(out_dir):
        return False
    if read_manifest(out_dir).get("kind") != "ScenarioResult":
        raise CorridorError(f"{clean(out_dir)} holds another kind of result; pass --force to replace it")
    d = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    chain = d.get("chain") or [""]
    same = (Path(str(chain[-1])).resolve() == Path(name).resolve() if Path(name).is_file()
            else d.get("scenario") == name)
    if not same or (method is not None and d.get("method") != method):
        raise CorridorError(f"{clean(out_dir)} holds the complete run of scenario {clean(d.get('scenario'))} "
                            f"(method {clean(d.get('method'))}), not this one; pass --force to replace it")
    if as_json:
        emit_json(d | {"resumed": True})
    else:
        out.print(f"{clean(out_dir)} already holds the complete run of {clean(d['scenario'])} "
                  f"(run {d.get('run_id') or '-'}): nothing to do", highlight=False)
    return True


def _print_run(d: dict, res: ScenarioResult) -> None:
    out.print(_corridor_table(f"scenario {res.name} (year {res.scenario.year or '-'}, method {res.method}): "
                              "TEU a year by corridor", d["corridors"]))
    tot = d["totals"]
    out.print(f"demand {tot['demand_teu']:,.0f} TEU a year; mean {num(tot['mean_days'], 1)} days "
              f"(free-flow {num(tot['free_flow_days'], 1)}), {num(tot['usd_per_teu'])} USD/TEU; "
              f"converged {d['converged']} (rgap {d['rgap']:.1e}, {d['iterations']} iterations)",
              highlight=False)
    if res.caspian:
        level = res.caspian["sea_level_m"]
        out.print(_caspian_table(res.caspian, f"Caspian crossing at sea level {level:+.1f} m "
                                 "(simulated: 2024 volumes, and the volumes assigned)"))
    if d["over_90pct"]:
        over = ", ".join(f"{r['name'] or r['id']} {r['v_c']:.0%}" for r in d["over_90pct"][:6])
        out.print(f"[yellow]loaded above 90% of capacity:[/] {over}", highlight=False)
    if res.run_id:
        out.print(f"recorded as run {res.run_id} (corridor runs show {res.run_id})")


@scenario_app.command("diff")
@user_errors
def scenario_diff(
    a: Annotated[str, typer.Argument(help="First scenario (name or .yaml path).")],
    b: Annotated[str, typer.Argument(help="Second scenario, compared with the first.")],
    method: MethodOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="Links listed.")] = 10,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write a PNG chart here.")] = None,
    out_dir: OutOpt = None,
    fmt: FormatOpt = None,
    force: ForceOpt = False,
    uncertainty: UncertaintyOpt = None,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What changes from A to B: corridor shares and volumes, days, cost, countries, busiest link changes."""
    from ..scenarios.diff import diff
    from ..scenarios.run import run_scenario

    if uncertainty:
        from ..analysis.sweep_questions import Diff

        return answer_with_ranges(Diff(a, b), uncertainty, as_json=as_json, title=f"{b} - {a}",
                                  network=network)

    refuse_existing(chart, force)
    formats = prepare_out(out_dir, force, fmt)
    net = network  # a folder: run_scenario loads it once (cached) and records where it came from
    with working(f"running {a} and {b} ...", quiet=as_json):
        ra, rb = run_scenario(a, method=method, network=net), run_scenario(b, method=method, network=net)
    d = diff(ra, rb, top=top)
    if chart is not None:
        from ..viz.charts import plot_diff

        plot_diff(d, chart)
    written = write_out(d, out_dir, force, formats)
    casp = {"a": ra.caspian, "b": rb.caspian} if ra.caspian or rb.caspian else None
    payload = d.to_dict() | {"method": ra.method, "caspian": casp}
    if as_json:
        emit_json(payload | ({"chart": str(chart)} if chart else {})
                  | ({"written": [str(p) for p in written]} if written else {}))
        return
    _print_diff(payload, ra, rb, top)
    if chart is not None:
        out.print(f"chart written to {chart}")
    print_written(written)


def _print_diff(payload: dict, ra: ScenarioResult, rb: ScenarioResult, top: int) -> None:
    """A diff's tables: corridors, all cargo, countries, links, and each side's Caspian crossing."""
    t = Table(title=f"{payload['a']} → {payload['b']} (method {ra.method})", title_justify="left")
    for c in ("corridor", "share a", "share b", "Δ share", "TEU/yr a", "TEU/yr b", "Δ TEU", "days a",
              "days b", "p90 a", "p90 b", "USD/TEU a", "USD/TEU b"):
        t.add_column(c, justify="left" if c == "corridor" else "right")
    for r in payload["corridors"]:
        t.add_row(r["corridor"], num(r["share_a"], pct=True), num(r["share_b"], pct=True),
                  signed(r["d_share"], pct=True), num(r["teu_a"]), num(r["teu_b"]), signed(r["d_teu"]),
                  num(r["mean_days_a"], 1), num(r["mean_days_b"], 1), num(r["p90_days_a"], 1),
                  num(r["p90_days_b"], 1), num(r["usd_per_teu_a"]), num(r["usd_per_teu_b"]))
    out.print(t)
    tot = payload["totals"]
    out.print(f"all cargo: mean days {num(tot['mean_days']['a'], 1)} → {num(tot['mean_days']['b'], 1)} "
              f"(free-flow {num(tot['free_flow_days']['a'], 1)} → {num(tot['free_flow_days']['b'], 1)}); "
              f"USD/TEU {num(tot['usd_per_teu']['a'])} → {num(tot['usd_per_teu']['b'])}; demand "
              f"{num(tot['demand_teu']['a'])} → {num(tot['demand_teu']['b'])} TEU", highlight=False)
    tc = Table(title="TEU a year entering each country (largest changes)", title_justify="left")
    for c in ("country", "a", "b", "Δ"):
        tc.add_column(c, justify="left" if c == "country" else "right")
    for r in payload["countries"][:top]:
        if abs(r["d_teu"]) >= 0.5:
            tc.add_row(r["country"], num(r["teu_a"]), num(r["teu_b"]), signed(r["d_teu"]))
    out.print(tc)
    tl = Table(title="links whose load changes most", title_justify="left")
    for c in ("link", "TEU/yr a", "TEU/yr b", "Δ", "v/c a", "v/c b"):
        tl.add_column(c, justify="left" if c == "link" else "right", overflow="fold")
    for r in payload["links"]:
        tl.add_row(r["label"], num(r["teu_a"]), num(r["teu_b"]), signed(r["d_teu"]),
                   num(r["v_c_a"], 2), num(r["v_c_b"], 2))
    out.print(tl)
    for side, res in (("a", ra), ("b", rb)):
        if res.caspian:
            out.print(_caspian_table(res.caspian, f"{side}: {res.name}, Caspian crossing at "
                                     f"{res.caspian['sea_level_m']:+.1f} m (2024 volumes, simulated)"))


@runs_app.command("list")
@user_errors
def runs_list(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="Most recent runs shown.")] = 20,
    scenario: Annotated[str | None, typer.Option("--scenario", help="Only runs of this scenario.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Recorded runs, most recent first."""
    from ..store import RunStore

    with RunStore(home=home, read_only=True) as store:
        df = store.list(limit=limit, scenario=scenario)
        where = store.path
    if as_json:
        emit_json([{**r, "created": str(r["created"])} for r in df.to_dict(orient="records")])
        return
    if df.empty:
        out.print(f"no runs recorded yet in {where} (corridor scenario run NAME --out DIR records one)")
        return
    t = Table(title=f"{len(df)} run(s) in {where}", title_justify="left")
    for c in ("id", "created (UTC)", "scenario", "method", "code", "s", "shares"):
        t.add_column(c, overflow="fold")
    for r in df.itertuples(index=False):
        shares = " ".join(f"{k} {v:.1%}" for k, v in r.shares.items() if v > 0)
        t.add_row(r.id, str(r.created)[:19], r.scenario, r.method, r.code_version, f"{r.seconds:.1f}", shares)
    out.print(t)


@runs_app.command("show")
@user_errors
def runs_show(
    run_id: Annotated[str, typer.Argument(help="A run id (a unique prefix is enough).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One recorded run: its scenario, parameters, code version and results."""
    from ..store import RunStore

    with RunStore(home=home, read_only=True) as store:
        run = store.get(run_id)
    if as_json:
        emit_json({k: (v.to_dict(orient="records") if hasattr(v, "to_dict") else v) for k, v in run.items()})
        return
    s = run["summary"]
    out.print(f"[bold]run {run['id']}[/]: scenario {run['scenario']}, method {run['method']}, "
              f"{run['created'][:19]} UTC, code {run['code_version']}, {run['seconds']:.1f} s",
              highlight=False)
    out.print(f"files: {' ← '.join(Path(c).name for c in reversed(run['parameters'].get('chain', [])))}",
              highlight=False)
    out.print(_corridor_table("TEU a year by corridor", s["corridors"]))
    tot = s["totals"]
    out.print(f"demand {tot['demand_teu']:,.0f} TEU a year; mean {num(tot['mean_days'], 1)} days "
              f"(free-flow {num(tot['free_flow_days'], 1)})", highlight=False)
    if s.get("caspian"):
        out.print(_caspian_table(s["caspian"], "Caspian crossing (2024 volumes, simulated)"))
    for c in s.get("changes", []):
        out.print(f"  · {c}", highlight=False)
