"""`corridor reliability`: door-to-door transit-time distributions per corridor."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ..bounds import BOUNDS
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
    emit_json,
    force_option,
    load_net,
    num,
    out,
    prepare_out,
    print_written,
    user_errors,
    world_options,
    write_out,
)

SAMPLES, SEED = BOUNDS["samples"], BOUNDS["seed"]


@user_errors
def reliability(
    origin: Annotated[str, typer.Argument(help="Origin place")],
    dest: Annotated[str, typer.Argument(help="Destination place")],
    samples: Annotated[int, typer.Option("--samples", min=int(SAMPLES.lo), max=int(SAMPLES.hi),
                                         help="Sampled shipments per corridor.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", min=int(SEED.lo), max=int(SEED.hi),
                                      help="Random seed (same seed, same answer).")] = 0,
    promise: Annotated[float | None, typer.Option(
        "--promise", help="Promised days for the on-time probability (default: each route's "
        "own planned days + 10%).")] = None,
    avoid: AvoidOpt = None,
    avoid_mode: AvoidModeOpt = None,
    avoid_passage: AvoidPassageOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    out_dir: OutOpt = None,
    fmt: FormatOpt = None,
    force: Annotated[bool, force_option("Replace an earlier result in --out (as a whole).")] = False,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Door-to-door transit-time distribution per corridor: p50, p90, p95 days and on-time odds."""
    from ..analysis.reliability import reliability as transit_times

    if promise is not None:
        BOUNDS["promise_days"].check(promise, "--promise")
    formats = prepare_out(out_dir, force, fmt)
    net = load_net(network)
    res = transit_times(net, origin, dest, samples=samples, seed=seed, promise_days=promise,
                        **world_options(avoid, avoid_mode, avoid_passage, year, month))
    written = write_out(res, out_dir, force, formats, net)
    d = res.to_dict()
    if as_json:
        emit_json(d | ({"written": [str(p) for p in written]} if written else {}))
        return
    t = Table(title=f"{res.origin} → {res.destination}: door-to-door days, {samples:,} sampled "
              f"shipments per corridor (seed {seed})", title_justify="left")
    for c in ("corridor", "planned", "p50", "p90", "p95", "p90-p50", "promise", "on time"):
        t.add_column(c, justify="left" if c == "corridor" else "right")
    for c in d["corridors"]:
        if not c["feasible"]:
            t.add_row(c["corridor"], "[dim]no route[/]", "", "", "", "", "", "")
            continue
        t.add_row(c["corridor"], num(c["deterministic_days"], 1), num(c["p50_days"], 1),
                  num(c["p90_days"], 1), num(c["p95_days"], 1), num(c["spread_p90_p50_days"], 1),
                  num(c["promise_days"], 1), f"{c['on_time_probability']:.0%}")
    out.print(t)
    print_written(written)
