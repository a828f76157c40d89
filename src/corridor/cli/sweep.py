"""`corridor sweep ...`: many runs on Dask (a grid of levers x draws of the uncertain inputs), and the
ranges (`--uncertainty N`) that other commands print with their answer."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ..errors import CorridorError
from ..output import clean
from .common import JsonOpt, NetOpt, emit_json, err, num, out, user_errors

if TYPE_CHECKING:  # the library and Rich's progress bar are imported when a sweep runs
    import pandas as pd
    from rich.progress import Progress, TaskID

    from ..analysis.sweeps import Question
    from ..analysis.uncertainty import Ranges

sweep_app = typer.Typer(no_args_is_help=True,
                        help="Sweeps: a grid of levers x draws of the uncertain inputs, on Dask; ranges.")

LEVER_HELP = {
    "sea_level": "Caspian level(s), m on the Baltic datum, comma-separated (2025: -29.35).",
    "fleet": "Vessels added: 6 (container feeders) or container:6;rail_ferry:2, comma-separated values "
             "separated by '|'.",
    "sanctions": "off, avoid (no transit of Russia and Belarus) or a USD/TEU premium on entering them.",
    "red_sea": "open, closed (no Suez, no Bab-el-Mandeb) or a USD/TEU war-risk premium.",
    "demand_growth": "Factor(s) on every OD cell, e.g. 0.8,1,1.2.",
}

SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="A Dask scheduler (tcp://host:port) whose workers have corridor installed, or "
                        "'serial' (this process); default: a LocalCluster on this machine.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, help="LocalCluster worker processes (default: one per core).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the draws (the same seed, the same draws).")]
SamplerOpt = Annotated[str, typer.Option("--sampler", help="lhs (Latin hypercube), sobol or random.")]
UncertaintyOpt = Annotated[int | None, typer.Option(
    "--uncertainty", min=2, help="Answer with ranges: N draws of the uncertain inputs (on a Dask "
                                 "LocalCluster), p10/p50/p90 of each headline figure and the inputs that "
                                 "move it most, instead of the point answer.")]


def _values(text: str | None, name: str) -> tuple:
    if text is None:
        return ()
    sep = "|" if name == "fleet" else ","
    vals = []
    for part in text.split(sep):
        p = part.strip()
        if not p:
            continue
        try:
            vals.append(float(p) if name in ("sea_level", "demand_growth") else p)
        except ValueError:
            raise CorridorError(f"--{name.replace('_', '-')}: '{clean(p, 30)}' is not a number") from None
    return tuple(vals)


class _Bar:
    """A progress bar on stderr: done, failed, ETA; the Dask dashboard's address when a cluster starts."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, e: dict) -> None:
        if self.quiet:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        if e["event"] == "start":
            if e.get("done"):
                err.print(f"resuming: {e['done']} of {e['total']} runs already done", highlight=False)
            bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("failed {task.fields[failed]}"), TextColumn("ETA"),
                           TimeRemainingColumn(), console=err, transient=False)
            bar.start()
            self.task = bar.add_task("runs", total=e["total"], completed=e["done"], failed=e["failed"])
            self.bar = bar
        elif e["event"] == "cluster":
            dash = f", dashboard {e['dashboard']}" if e.get("dashboard") else ""
            err.print(f"Dask: {e['workers']} workers at {e['scheduler']}{dash}", highlight=False,
                      markup=False)
        elif e["event"] == "run" and self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=e["done"], failed=e["failed"])
        elif e["event"] == "end" and self.bar is not None:
            self.bar.stop()


HEADLINE = ("teu.", "share.", "days.", "usd.", "gateway.", "caspian.", "closure.", "npv.", "d.teu.",
            "d.days.", "d.share.", "portfolio.", "total.")


def _fmt(figure: str, v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if figure.startswith(("share.", "gateway.", "d.share.")) or figure.endswith("sanctioned_share"):
        return f"{v:.1%}"
    if "days" in figure or figure.endswith("wait_h"):
        return num(v, 1)
    if figure.startswith(("npv.", "portfolio.")) or "usd_yr" in figure:
        return f"{v / 1e6:,.0f} m"
    return num(v, 0)


def print_ranges(r: Ranges, *, title: str, as_json: bool, tornado_for: str | None = None) -> None:
    """The ranges of a question's figures, its tornado and probabilities of choice (or JSON)."""
    if as_json:
        emit_json(r.to_dict())
        return
    figs = [f for f in r.table.index if f.startswith(HEADLINE) and not f.startswith(("a.", "b."))]
    figs = [f for f in figs if not (f.startswith("gateway.") and r.table.loc[f, "p90"] < 0.01)]
    t = Table(title=f"{title}: {r.runs} draws" + (f", {r.failed} failed" if r.failed else ""),
              title_justify="left")
    for c in ("figure", "p10", "p50", "p90", "most sensitive to (rank corr.)"):
        t.add_column(c, justify="left" if c[0] in "fm" else "right")
    for f in figs:
        row = r.table.loc[f]
        top = r.tornado_for(f, 2)
        why = ", ".join(f"{x.input} {x.rho:+.2f}" for x in top.itertuples()) if len(top) else ""
        t.add_row(f, _fmt(f, row["p10"]), _fmt(f, row["p50"]), _fmt(f, row["p90"]), why)
    out.print(t)
    focus = tornado_for or next((f for f in ("teu.middle", "d.teu.middle", "portfolio.npv", "days.middle")
                                 if f in r.table.index), None)
    if focus is not None and len(r.tornado_for(focus)):
        tt = Table(title=f"tornado of {focus}: rank correlation and first-order index", title_justify="left")
        for c in ("input", "rho", "S1", "range"):
            tt.add_column(c, justify="left" if c in ("input", "range") else "right")
        for x in r.tornado_for(focus, 10).itertuples():
            tt.add_row(x.input, f"{x.rho:+.2f}", "-" if not math.isfinite(x.s1) else f"{x.s1:.2f}",
                       f"{x.low:g}-{x.high:g} {x.unit}")
        out.print(tt)
    if len(r.chosen):
        tc = Table(title="portfolio: probability of each project being chosen", title_justify="left")
        for c in ("project", "P(chosen)", "NPV p10", "NPV p50", "NPV p90", "P(NPV>0)"):
            tc.add_column(c, justify="left" if c == "project" else "right")
        for x in r.chosen.itertuples():
            tc.add_row(x.project, f"{x.probability_chosen:.0%}", _fmt("npv.", x.npv_p10),
                       _fmt("npv.", x.npv_p50), _fmt("npv.", x.npv_p90), f"{x.npv_positive:.0%}")
        out.print(tc)
    for e in r.errors[:3]:
        err.print(f"a failed draw: {clean(e, 300)}", highlight=False, markup=False)


def options_scenario(year: int | None = None, month: int | None = None, avoid: str | None = None,
                     avoid_modes: str | None = None, avoid_passages: str | None = None,
                     demand: Path | None = None, base: str | None = None) -> dict:
    """A command's world options as a scenario's fields (what its --uncertainty runs are asked in),
    on top of scenario `base` if given (its avoidances are kept: lists append)."""
    def listed(v: str | None) -> list[str]:
        return [x.strip() for x in v.split(",") if x.strip()] if v else []

    d: dict = {"name": "options", "policies": {"avoid": listed(avoid), "avoid_modes": listed(avoid_modes),
                                              "avoid_passages": listed(avoid_passages)}}
    if base is not None:
        d["base"] = base
    if year is not None:
        d["year"] = year
    if month is not None:
        d["month"] = month
    if demand is not None:
        d["demand"] = {"file": str(Path(demand).resolve())}
    return d


def answer_with_ranges(question: Question, n: int, *, as_json: bool, title: str, network: Path | None = None,
                       seed: int = 0, scheduler: str | None = None, workers: int | None = None) -> None:
    """What a command's `--uncertainty N` does: the question under N draws, its ranges printed."""
    from ..analysis.uncertainty import uncertainty

    r = uncertainty(question, n, seed=seed, network=network, scheduler=scheduler, workers=workers,
                    progress=_Bar(as_json))
    print_ranges(r, title=title, as_json=as_json)


@sweep_app.command("run")
@user_errors
def sweep_run(
    out_dir: Annotated[Path, typer.Option(
        "--out", help="The sweep's folder: sweep.json, runs.jsonl (each run as it finishes), "
                      "results.parquet.")],
    scenario: Annotated[str, typer.Option("--scenario", help="Scenario the levers apply to.")
                        ] = "baseline-2024",
    sea_level: Annotated[str | None, typer.Option("--sea-level", help=LEVER_HELP["sea_level"])] = None,
    fleet: Annotated[str | None, typer.Option("--fleet", help=LEVER_HELP["fleet"])] = None,
    sanctions: Annotated[str | None, typer.Option("--sanctions", help=LEVER_HELP["sanctions"])] = None,
    red_sea: Annotated[str | None, typer.Option("--red-sea", help=LEVER_HELP["red_sea"])] = None,
    demand_growth: Annotated[str | None, typer.Option("--demand-growth", help=LEVER_HELP["demand_growth"])
                             ] = None,
    draws: Annotated[int, typer.Option("--draws", min=0, help="Draws of the uncertain inputs per grid cell "
                                                              "(0: the data's values only).")] = 0,
    sampler: SamplerOpt = "lhs",
    seed: SeedOpt = 0,
    inputs: Annotated[str | None, typer.Option("--inputs", help="Only these inputs (comma-separated names; "
                                                                "corridor sweep inputs lists them).")] = None,
    from_region: Annotated[str, typer.Option("--from", help="Gateway shares of this region's cargo...")
                           ] = "central-asia",
    to_region: Annotated[str, typer.Option("--to", help="...to this one.")] = "eu",
    closures: Annotated[bool, typer.Option("--closures", help="Also each transit country's closure loss "
                                                              "(slow: a route search per run).")] = False,
    projects: Annotated[str | None, typer.Option("--projects", help="Also value projects per run: a projects "
                                                                    "file, or 'bundled' (slow).")] = None,
    budget: Annotated[float, typer.Option("--budget", help="Portfolio budget, USD (with --projects).")
                      ] = float("inf"),
    name: Annotated[str, typer.Option("--name", help="The sweep's name in the run history.")] = "sweep",
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    resume: Annotated[bool, typer.Option("--resume", help="Finish the sweep in --out (its own options): runs "
                                                          "already done are kept.")] = False,
    overwrite: Annotated[bool, typer.Option("--force", help="Start again in a folder holding a sweep.")
                         ] = False,
    record: Annotated[bool, typer.Option("--record/--no-record", help="Record each run in the run history.")
                      ] = True,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a sweep: every combination of the levers given, each under --draws draws of the uncertain
    inputs, each a full coupled assignment with its figures. Kill it at any time and --resume."""
    import json

    from ..analysis.sweep_questions import Flows
    from ..analysis.sweeps import MANIFEST, SweepSpec, sweep
    from ..analysis.uncertainty import summarise

    if resume and (out_dir / MANIFEST).exists():
        spec = SweepSpec.from_dict(json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))["spec"])
    else:
        levers = {k: _values(v, k) for k, v in (("sea_level", sea_level), ("fleet", fleet),
                                                ("sanctions", sanctions), ("red_sea", red_sea),
                                                ("demand_growth", demand_growth)) if v is not None}
        q = Flows(scenario, from_region, to_region, closures=closures, projects=projects, budget=budget)
        spec = SweepSpec(q, levers, draws, sampler, seed,
                         tuple(s.strip() for s in inputs.split(",") if s.strip()) if inputs else None, name)
    res = sweep(spec, out_dir, network=network, scheduler=scheduler, workers=workers, resume=resume,
                overwrite=overwrite, record=record, progress=_Bar(as_json))
    r = summarise(res)
    if as_json:
        emit_json({**res.to_dict(), **r.to_dict()})
        return
    rate = res.ran / res.seconds if res.seconds > 0 else math.nan
    out.print(f"{len(res.table)} runs ({res.ran} now, {rate:.2f} runs/s), {len(res.failed)} failed; "
              f"{clean(out_dir)}/results.parquet", highlight=False, markup=False)
    if len(res.table) > 1:
        print_ranges(r, title="ranges over the sweep (all cells)", as_json=False)
        print_cells(res.table, "teu.middle")


def print_cells(table: pd.DataFrame, figure: str) -> None:
    """p10/p50/p90 of `figure` in each grid cell of a lever sweep."""
    from ..analysis.uncertainty import cell_ranges

    cells = cell_ranges(table, figure)
    if cells.empty:
        return
    t = Table(title=f"{figure} per cell of the levers", title_justify="left")
    for c in cells.columns:
        t.add_column(c.removeprefix("lever."), justify="right")
    for row in cells.itertuples(index=False):
        t.add_row(*[_fmt(figure, v) if k in ("p10", "p50", "p90") else str(v)
                    for k, v in zip(cells.columns, row, strict=True)])
    out.print(t)


@sweep_app.command("show")
@user_errors
def sweep_show(
    folder: Annotated[Path, typer.Argument(help="A sweep's folder (finished or not).")],
    figure: Annotated[str | None, typer.Option("--tornado", help="The figure whose tornado to show.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The ranges (p10/p50/p90) and tornado of a sweep's runs."""
    from ..analysis.uncertainty import ranges_of

    r = ranges_of(folder)
    print_ranges(r, title=f"sweep {clean(folder)}", as_json=as_json, tornado_for=figure)
    if not as_json and r.sweep is not None:
        print_cells(r.sweep.table, figure or "teu.middle")


@sweep_app.command("inputs")
@user_errors
def sweep_inputs(
    reaches: Annotated[str | None, typer.Option("--reaches", help="Only inputs that reach: assignment, "
                                                                  "simulation, appraisal or none.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The uncertain inputs: each judgement value's range, distribution and sources (from data)."""
    from ..analysis.uncertain_inputs import inputs_frame, uncertain_inputs

    df = inputs_frame(uncertain_inputs(reaches))
    if as_json:
        emit_json(df.to_dict(orient="records"))
        return
    t = Table(title=f"{len(df)} uncertain inputs (data/uncertain_inputs.csv, queue_params.csv)",
              title_justify="left")
    for c in ("input", "key", "low", "mode", "high", "unit", "reaches", "source_id"):
        t.add_column(c, overflow="fold")
    for x in df.itertuples(index=False):
        t.add_row(x.input, x.key, f"{x.low:g}", f"{x.mode:g}", f"{x.high:g}", x.unit, x.reaches, x.source_id)
    out.print(t)
