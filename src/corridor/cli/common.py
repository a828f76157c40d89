"""What every command shares: the consoles, JSON output, the user-error guard, the options that
mean the same thing everywhere, the overwrite guard and number formatting.

Light on purpose: `corridor --help` imports this module, so it loads Typer and Rich and the
library's vocabulary, never pandas or a model.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console, JustifyMethod
from rich.text import Text

from ..bounds import BOUNDS
from ..errors import CorridorError, UnknownPlaceError, ValidationError
from ..output import OUTPUT_FORMATS, clean, json_safe, parse_formats, refuse_overwrite
from ..vocabulary import AVOIDABLE_MODES, PASSAGES

if TYPE_CHECKING:
    from rich.table import Table

    from ..folders import Writable
    from ..network.tables import Network

P = ParamSpec("P")
R = TypeVar("R")

out = Console()

err = Console(stderr=True)

if not out.is_terminal:  # piped or captured: wide enough that tables do not wrap
    out = Console(width=150)

if not err.is_terminal:  # captured or piped: one message per line, never wrapped mid-sentence
    err = Console(stderr=True, soft_wrap=True)


# ------------------------------------------------------------------ options


def choices(name: str, values: Iterable[str]) -> type[StrEnum]:
    """A Typer choice built from one of the library's vocabularies (never a hand copy)."""
    # the functional API makes a class; typeshed types the call as making a member
    return StrEnum(name, {v: v for v in values})  # type: ignore[return-value]


JsonOpt = Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")]

NetOpt = Annotated[Path | None, typer.Option("--network", help="Network folder (default: bundled).")]

ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite existing files.")]

AvoidOpt = Annotated[str | None, typer.Option(
    "--avoid", help="Countries, blocs or regions to avoid: ISO3 codes (RUS,BLR), a bloc (EAEU), "
                    "'sanctioned' or a region.")]

AvoidModeOpt = Annotated[str | None, typer.Option(
    "--avoid-mode", help=f"Modes to avoid, comma-separated ({', '.join(AVOIDABLE_MODES)}).")]

AvoidPassageOpt = Annotated[str | None, typer.Option(
    "--avoid-passage", help=f"Sea passages to avoid, comma-separated ({', '.join(PASSAGES)}).")]

YearOpt = Annotated[int | None, typer.Option("--year", min=int(BOUNDS["year"].lo), max=int(BOUNDS["year"].hi),
                                             help="Open planned links due by this year.")]

MonthOpt = Annotated[int | None, typer.Option(
    "--month", min=1, max=12, help="Ask about one month (1-12): its weather and seasonal waits; "
                                   "default: the whole year.")]

OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="Write the result's tables and a JSON summary into this folder (written whole, with a "
                  "manifest.json; --force replaces an earlier result as a whole).")]

FormatOpt = Annotated[str | None, typer.Option(
    "--format", help=f"Table formats for --out, comma-separated ({', '.join(OUTPUT_FORMATS)}; GeoJSON for "
                     "tables with geometry); default: each table's own.")]


def force_option(help: str) -> Any:
    """`--force` with a help text naming what it overwrites."""
    return typer.Option("--force", help=help)


def world_options(avoid: str | None = None, avoid_mode: str | None = None,
                  avoid_passage: str | None = None, year: int | None = None,
                  month: int | None = None) -> dict[str, Any]:
    """The world options as the library's keyword arguments (the flags' names are singular)."""
    given = {"avoid": avoid, "avoid_modes": avoid_mode, "avoid_passages": avoid_passage, "year": year,
             "month": month}
    return {k: v for k, v in given.items() if v is not None}


# ------------------------------------------------------------------ the network


def load_net(network: Path | None) -> Network:
    """The network folder given with --network, else the bundled one."""
    from ..network.io import load_network

    return load_network(network)


def given_net(network: Path | None) -> Network | None:
    """The network folder given with --network, else None: the library then picks its own
    (a scenario's network is the bundled one with the scenario's changes)."""
    return load_net(network) if network is not None else None


# ------------------------------------------------------------------ output


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(json_safe(obj), ensure_ascii=False, indent=2) + "\n")


def refuse_existing(paths: Path | Iterable[Path] | None, force: bool) -> None:
    """Refuse to replace files the user has, before any work is done (the library's one guard)."""
    if paths is None:
        return
    targets = [paths] if isinstance(paths, Path) else list(paths)
    if targets:
        refuse_overwrite(targets, force)


def prepare_out(out_dir: Path | None, force: bool, formats: str | None) -> tuple[str, ...] | None:
    """Before any work: the --format names checked, and an existing --out folder refused unless
    --force (the library's one guard; the result checks the folder again when it writes)."""
    fmts = parse_formats(formats)
    if out_dir is None:
        if formats is not None:
            raise CorridorError("--format says how to write --out; give --out too")
        return fmts
    refuse_overwrite(out_dir, force, folder=True, expected=None)
    return fmts


def write_out(result: Writable, out_dir: Path | None, force: bool, formats: tuple[str, ...] | None,
              net: Network | None = None) -> list[Path]:
    """Write a result into --out (whole or not at all); the files written, the manifest last."""
    if out_dir is None:
        return []
    return result.write(out_dir, net, formats=formats, overwrite=force)


def print_written(paths: Iterable[Path]) -> None:
    for p in paths:
        out.print(f"wrote {clean(p)}", highlight=False, markup=False)


def add_columns(table: Table, columns: Iterable[tuple[str, JustifyMethod]]) -> None:
    """A table's columns, each with its justification; long cells fold."""
    for name, justify in columns:
        table.add_column(name, justify=justify, overflow="fold")


def working(message: str, quiet: bool = False) -> AbstractContextManager:
    """A spinner on stderr while a slow call runs; nothing when only JSON is wanted."""
    return nullcontext() if quiet else err.status(message)


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn CorridorError into a clear message and exit 1; never a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        as_json = kwargs.get("as_json", False)
        try:
            return fn(*args, **kwargs)
        except CorridorError as exc:
            if as_json:
                payload: dict[str, object] = {"error": str(exc).splitlines()[0], "type": type(exc).__name__}
                if isinstance(exc, ValidationError):
                    payload["problems"] = [p.to_dict() for p in exc.problems]
                if isinstance(exc, UnknownPlaceError):
                    payload["suggestions"] = exc.suggestions
                emit_json(payload)
            else:
                # the message is text, not markup: "[/x]" in a user's input must print as is; control
                # characters (ANSI escapes) from an input are shown escaped, never sent to the terminal
                text = "\n".join(clean(line, 2000) for line in str(exc).splitlines())
                err.print(Text.assemble(("error: ", "bold red"), text), highlight=False)
            raise typer.Exit(1) from None

    return wrapper


# ------------------------------------------------------------------ numbers in tables


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def num(v: Any, nd: int = 0, pct: bool = False) -> str:
    """A table cell: thousands separated, `nd` decimals (or a percentage); '-' when missing."""
    if _missing(v):
        return "-"
    return f"{v:.1%}" if pct else f"{v:,.{nd}f}"


def signed(v: Any, nd: int = 0, pct: bool = False) -> str:
    """A change: with its sign, green when up, red when down (percentages in points)."""
    if _missing(v):
        return "-"
    s = f"{v * 100:+.1f} pt" if pct else f"{v:+,.{nd}f}"
    return f"[green]{s}[/]" if v > 0 else f"[red]{s}[/]" if v < 0 else s


def share(v: Any) -> str:
    """A share: whole percent near 0 and 100, one decimal between."""
    if _missing(v):
        return "-"
    return f"{v:.0%}" if v >= 0.995 or v == 0 else f"{v:.1%}"


def usd_m(v: Any, nd: int = 1) -> str:
    """USD in millions."""
    return "-" if _missing(v) else f"{v / 1e6:,.{nd}f}"
