"""Reading a network in any registered format (`formats.FORMATS`) into checked tables, and the
cached bundled network.

`read_network_tables` recognises the format of a folder or file, lets its reader give the tables
as text and checks them all (`validation.check_network_tables`): a bad value is reported with
its file, row and column instead of being coerced or crashing a parser, and every problem is
listed at once.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..datafiles import bundled_data_dir
from ..errors import CorridorError, Problem, ProblemList, ValidationError
from ..output import clean
from .formats import detect_format, network_format
from .tables import Network
from .validation import check_network_tables, finish_tables


def read_network_tables(path: str | Path, *, fallback_dir: str | Path | None = None,
                        format: str | None = None) -> dict[str, pd.DataFrame]:
    """Read and check a network folder or file; raise ValidationError listing every problem.

    The format is recognised from `path` unless given. Tables it leaves out (rates,
    commodities) are taken from `fallback_dir`. Returns nodes, links, sources (and rates,
    commodities, geometry when there are any).
    """
    path = Path(path)
    fmt = network_format(format) if format is not None else detect_format(path)
    problems: list[Problem] = ProblemList()
    frames = fmt.read(path, problems)
    tables = check_network_tables(frames, problems, fallback_dir=fallback_dir)
    if problems:
        raise ValidationError(problems, what=str(path))
    assert all(k in tables for k in ("nodes", "links", "sources"))
    out: dict = finish_tables(tables)
    if frames.geometry:
        out["geometry"] = frames.geometry
    return out


def read_network(path: str | Path, *, name: str | None = None, format: str | None = None) -> Network:
    """Load and check a network folder (node.csv, link.csv, ...) or file (network.geojson, ...)."""
    path = Path(path)
    # a user network without its own rate or commodity tables borrows the bundled ones
    t = read_network_tables(path, fallback_dir=bundled_data_dir(), format=format)
    return Network.from_tables(
        t["nodes"], t["links"], sources=t.get("sources"), rates=t.get("rates"),
        commodities=t.get("commodities"), geometry=t.get("geometry"),
        name=name or (path.name if path.is_dir() else path.stem),
    )


_CACHE: dict[tuple, Network] = {}


def _stamp(path: Path) -> tuple:
    """What a cached load depends on: each file's name, size and modification time."""
    try:
        files = [p for p in path.iterdir() if p.is_file()] if path.is_dir() else [path]
        return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    except OSError:
        return ()


BUNDLED_NETWORK_NAME = "eurasia"  # the name the bundled network is loaded under


def load_network(path: str | Path | None = None) -> Network:
    """The bundled Eurasia network (cached), or the network folder or file at `path`."""
    target = Path(path) if path is not None else bundled_data_dir()
    try:
        key = (target.resolve(), _stamp(target))
    except (OSError, RuntimeError) as exc:  # a symbolic link loop
        raise CorridorError(f"cannot read the network {clean(target)}: {clean(exc)}") from None
    if key not in _CACHE:
        _CACHE[key] = read_network(target, name=BUNDLED_NETWORK_NAME if path is None else None)
    return _CACHE[key]
