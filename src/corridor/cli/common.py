"""What every command shares: the consoles, JSON output, the user-error guard and common options."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from ..errors import CorridorError, UnknownPlaceError, ValidationError
from ..output import json_safe

out = Console()

err = Console(stderr=True)

if not out.is_terminal:  # piped or captured: wide enough that tables do not wrap
    out = Console(width=150)

if not err.is_terminal:  # captured or piped: one message per line, never wrapped mid-sentence
    err = Console(stderr=True, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")]


def emit_json(obj) -> None:
    sys.stdout.write(json.dumps(json_safe(obj), ensure_ascii=False, indent=2) + "\n")


def user_errors(fn: Callable) -> Callable:
    """Turn CorridorError into a clear message and exit 1; never a traceback."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        as_json = kwargs.get("as_json", False)
        try:
            return fn(*args, **kwargs)
        except CorridorError as exc:
            if as_json:
                payload = {"error": str(exc).splitlines()[0], "type": type(exc).__name__}
                if isinstance(exc, ValidationError):
                    payload["problems"] = [p.to_dict() for p in exc.problems]
                if isinstance(exc, UnknownPlaceError):
                    payload["suggestions"] = exc.suggestions
                emit_json(payload)
            else:
                # the message is text, not markup: "[/x]" in a user's input must print as is
                err.print(Text.assemble(("error: ", "bold red"), str(exc)), highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def _fmt(v, nd=0) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.{nd}f}"


def _check_map_target(path: Path | None, force: bool) -> None:
    """Refuse to replace a file the user has, before any work is done."""
    if path is not None and path.exists() and not force:
        raise CorridorError(f"{path} exists; pass --force to overwrite it")
