"""`corridor report ...`: one question answered as a brief a reader can be handed, an HTML page and the
same page as PDF, with its figures (PNG) and tables (CSV) beside them. The library makes the brief
(`corridor.report`); this module asks for it, shows what it is doing, and says what it wrote."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..output import clean, refuse_overwrite
from .common import (
    AvoidModeOpt,
    AvoidOpt,
    AvoidPassageOpt,
    JsonOpt,
    MonthOpt,
    NetOpt,
    YearOpt,
    emit_json,
    err,
    out,
    user_errors,
)
from .routing import GENERALIZED, CommodityOpt, ObjOpt

if TYPE_CHECKING:
    from ..report.brief import Brief

report_app = typer.Typer(no_args_is_help=True,
                         help="Briefs: a question answered as an HTML page and a PDF a reader can be handed.")

ReportOutOpt = Annotated[Path, typer.Option(
    "--out", help="The brief's folder: brief.html (self-contained), brief.pdf, brief.json, the figures "
                  "as PNG, the tables as CSV and a manifest.json; written whole or not at all.")]
ReportForceOpt = Annotated[bool, typer.Option(
    "--force", help="Replace an earlier brief (or other corridor result) in --out as a whole.")]
NoPdfOpt = Annotated[bool, typer.Option(
    "--no-pdf", help="Write the HTML brief without the PDF (no WeasyPrint or Pango needed).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the draws (the same seed, the same draws).")]


def _uncertainty_opt(default: int, cost: str) -> Any:
    return typer.Option("--uncertainty", min=0, max=1000,
                        help=f"Ranges: N draws of the uncertain inputs (0: none; default {default}; {cost}).")


class _Steps(AbstractContextManager["_Steps"]):
    """A spinner on stderr naming the step a brief is at, and each step's time when it ends."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.t0 = self.t_step = time.perf_counter()
        self.step = ""
        self.status: Any = None

    def __enter__(self) -> _Steps:
        if not self.quiet:
            self.status = err.status("starting ...")
            self.status.__enter__()
        return self

    def __call__(self, what: str) -> None:
        self._close_step()
        self.step, self.t_step = what, time.perf_counter()
        if self.status is not None:
            self.status.update(f"{what} ...")

    def _close_step(self) -> None:
        if self.step and not self.quiet:
            took = time.perf_counter() - self.t_step
            err.print(f"  {self.step}: {took:.1f} s", highlight=False, markup=False)

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(None, None, None)
        if exc[0] is None:
            self._close_step()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.t0


def _make(out_dir: Path, force: bool, pdf: bool, as_json: bool, build: Callable[..., Brief]) -> None:
    """Refuse an existing --out before any work, make the brief, write it, say what was written."""
    refuse_overwrite(out_dir, force, folder=True, expected=None)
    if pdf:  # a missing PDF library is said before the model runs, not after
        from ..report.render import weasyprint_module

        weasyprint_module()
    with _Steps(as_json) as steps:
        brief = build(progress=steps)
        written = brief.write(out_dir, overwrite=force, pdf=pdf, progress=steps)
    seconds = steps.seconds
    if as_json:
        emit_json({"title": brief.title, "summary": brief.summary, "written": [str(p) for p in written],
                   "seconds": round(seconds, 2), "timings": brief.timings, "provenance": brief.provenance})
        return
    out.print(f"[bold]{clean(brief.title)}[/]", highlight=False)
    out.print(clean(brief.summary, 4000), highlight=False, markup=False)
    for p in written:
        if p.name in ("brief.html", "brief.pdf"):
            out.print(f"wrote {clean(p)}", highlight=False, markup=False)
    out.print(f"and {len(written) - sum(p.name in ('brief.html', 'brief.pdf') for p in written)} more files "
              f"(figures, tables, sources, manifest) in {clean(out_dir)}; {seconds:.1f} s", highlight=False,
              markup=False)


@report_app.command("compare")
@user_errors
def report_compare(
    origin: Annotated[str, typer.Argument(help="Origin place (name or id).")],
    dest: Annotated[str, typer.Argument(help="Destination place (name or id).")],
    out_dir: ReportOutOpt,
    objective: ObjOpt = GENERALIZED,
    commodity: CommodityOpt = "container",
    avoid: AvoidOpt = None,
    avoid_mode: AvoidModeOpt = None,
    avoid_passage: AvoidPassageOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    uncertainty: Annotated[int, _uncertainty_opt(20, "about 0.3 s a draw")] = 20,
    seed: SeedOpt = 0,
    no_pdf: NoPdfOpt = False,
    force: ReportForceOpt = False,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The best route of each corridor family between two places, as a brief."""
    from ..report import compare_brief

    def build(progress: Any) -> Brief:
        return compare_brief(origin, dest, objective=str(objective), commodity=commodity, avoid=avoid,
                             avoid_modes=avoid_mode, avoid_passages=avoid_passage, year=year, month=month,
                             uncertainty=uncertainty, seed=seed, network=network, progress=progress)

    _make(out_dir, force, not no_pdf, as_json, build)


@report_app.command("scenario")
@user_errors
def report_scenario(
    scenario: Annotated[str, typer.Argument(help="The scenario (bundled name or .yaml path).")],
    out_dir: ReportOutOpt,
    against: Annotated[str, typer.Option("--against", help="The scenario it is compared with.")
                       ] = "baseline-2024",
    uncertainty: Annotated[int, _uncertainty_opt(0, "about 6 s a draw: both scenarios are assigned")] = 0,
    seed: SeedOpt = 0,
    no_pdf: NoPdfOpt = False,
    force: ReportForceOpt = False,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What a scenario changes against another, and why, as a brief."""
    from ..report import scenario_brief

    def build(progress: Any) -> Brief:
        return scenario_brief(scenario, against, uncertainty=uncertainty, seed=seed, network=network,
                              progress=progress)

    _make(out_dir, force, not no_pdf, as_json, build)


@report_app.command("gateways")
@user_errors
def report_gateways(
    out_dir: ReportOutOpt,
    from_region: Annotated[str, typer.Option("--from", help="Region, bloc or ISO3 list the cargo leaves.")
                           ] = "central-asia",
    to_region: Annotated[str, typer.Option("--to", help="Region, bloc or ISO3 list it goes to.")] = "eu",
    scenario: Annotated[str, typer.Option("--scenario", help="The world it is asked in.")] = "baseline-2024",
    closures: Annotated[int, typer.Option(
        "--closures", min=0, max=50,
        help="Close each of the N busiest countries, nodes and links in turn (0: none; about 1 s each)."
    )] = 6,
    uncertainty: Annotated[int, _uncertainty_opt(0, "about 10 s a draw: each assigns and closes again")] = 0,
    seed: SeedOpt = 0,
    no_pdf: NoPdfOpt = False,
    force: ReportForceOpt = False,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Where the cargo between two regions passes, and what closing each gateway costs, as a brief."""
    from ..report import gateways_brief

    def build(progress: Any) -> Brief:
        return gateways_brief(from_region, to_region, scenario=scenario, closures=closures,
                              uncertainty=uncertainty, seed=seed, network=network, progress=progress)

    _make(out_dir, force, not no_pdf, as_json, build)
