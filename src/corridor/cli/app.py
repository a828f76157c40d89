"""The `corridor` Typer application: it builds the app and registers each command group.

The commands live one group per module; each imports the library when it runs, so that
`corridor --help` loads Typer, Rich and the vocabulary, and nothing of the model.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from ..bounds import MAX_INPUT_ENV, MAX_INPUT_MB
from ..output import clean
from .analysis import appraise_cmd, gateways_cmd
from .assign import assign, calibrate
from .caspian import caspian_app
from .common import emit_json, err
from .network import network_app
from .reliability import reliability
from .report import report_app
from .routing import compare, places, route, sources
from .scenarios import runs_app, scenario_app
from .serve import serve
from .sweep import sweep_app

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Route and compare Eurasian freight corridors on sourced open data.")


@app.callback()
def options(
    max_input_mb: Annotated[float | None, typer.Option(
        "--max-input-mb", min=0.001, max=1e6,
        help=f"Read input files up to this size in MB (default {MAX_INPUT_MB}; or ${MAX_INPUT_ENV}).",
    )] = None,
) -> None:
    """Route and compare Eurasian freight corridors on sourced open data."""
    if max_input_mb is not None:
        os.environ[MAX_INPUT_ENV] = repr(float(max_input_mb))

# in the order `corridor --help` lists them
app.command()(compare)
app.command()(route)
app.command()(places)
app.command()(sources)
app.add_typer(network_app, name="network")
app.command()(reliability)
app.add_typer(caspian_app, name="caspian")
app.command()(assign)
app.command()(calibrate)
app.command("serve")(serve)
app.add_typer(scenario_app, name="scenario")
app.add_typer(runs_app, name="runs")
app.command("gateways")(gateways_cmd)
app.command("appraise")(appraise_cmd)
app.add_typer(sweep_app, name="sweep")
app.add_typer(report_app, name="report")


def main() -> None:
    """Entry point; usage errors are JSON too when --json was asked for."""
    from typer.exceptions import TyperException

    command = typer.main.get_command(app)
    try:
        rc = command.main(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except TyperException as exc:
        message = clean(exc.format_message(), 2000)  # never echo control characters from the input
        if "--json" in sys.argv[1:]:
            emit_json({"error": message, "type": "UsageError"})
        else:
            ctx = getattr(exc, "ctx", None)
            if ctx is not None:
                err.print(ctx.get_usage(), markup=False, highlight=False)
                if ctx.command.get_help_option(ctx) is not None:
                    err.print(f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.",
                              markup=False, highlight=False)
            err.print(f"Error: {message}", markup=False, highlight=False)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        err.print("interrupted")
        sys.exit(130)
    sys.exit(rc if isinstance(rc, int) else 0)
