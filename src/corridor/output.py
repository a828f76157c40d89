"""Writing results: plain JSON values, the file formats (registered once), the one overwrite guard,
and files and folders written whole or not at all.

A result says what it writes as a list of outputs: `Table`s (a frame, the formats it is written in
by default, and optionally each row's geometry), `Document`s (JSON) and `TextFile`s; `plan_writes`
turns them into files in the formats asked for. `atomic_folder` gives a temporary sibling of a
folder and renames it into place when the block succeeds (an earlier folder is replaced as a
whole; an interrupted write leaves only a hidden `.NAME.partial-*` sibling, removed by the next
write); `atomic_files` and `staged_files` do the same for single files. A write error (full disk,
read-only folder, no permission) is one `CorridorError` and leaves nothing behind. Result folders
and their manifests: `corridor.folders`.

Adding an output format is one `register_format(Format(...))` below: every result's `write` and
the CLI's `--format` offer it from then on (`OUTPUT_FORMATS` lists the names).

Light on purpose: importing this module loads no pandas (the CLI's --help imports it).
"""

from __future__ import annotations

import errno
import json
import math
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CorridorError

if TYPE_CHECKING:
    import pandas as pd

MANIFEST = "manifest.json"

MANIFEST_FORMAT = "corridor result folder"

MANIFEST_VERSION = 1

_PARTIAL = ".partial-"  # a folder or file being written: .NAME.partial-PID-TOKEN

_OLD = ".replaced-"  # an earlier result moved aside while the new one takes its place


def json_safe(x: Any) -> Any:
    """Plain JSON values, recursively: NaN and infinities become null, NumPy scalars Python ones."""
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_safe(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, str | bytes):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


# ------------------------------------------------------------------ what a result writes

Coords = Sequence[Sequence[float]]


@dataclass(frozen=True)
class Table:
    """A table of a result: written as `name` + each format's suffix.

    `frame` is the DataFrame or a function giving it (called once, when written). `formats` are
    the formats it is written in when the caller names none. `geometry`, when given, is a function
    giving each row's (lon, lat) points in order: a table with one can be written in a format
    that needs geometry (GeoJSON), one point a Point, several a LineString, none no geometry.
    """

    name: str
    frame: pd.DataFrame | Callable[[], pd.DataFrame]
    formats: tuple[str, ...] = ("csv",)
    geometry: Callable[[], Sequence[Coords]] | None = None

    def data(self) -> pd.DataFrame:
        return self.frame() if callable(self.frame) else self.frame


@dataclass(frozen=True)
class Document:
    """A JSON document of a result (`name` is the file name, e.g. summary.json)."""

    name: str
    content: dict | list | Callable[[], dict | list]

    def data(self) -> dict | list:
        return self.content() if callable(self.content) else self.content


@dataclass(frozen=True)
class TextFile:
    """A text file of a result, as it is (`name` is the file name, e.g. scenario.yaml)."""

    name: str
    content: str | Callable[[], str]

    def data(self) -> str:
        return self.content() if callable(self.content) else self.content


Output = Table | Document | TextFile


# ------------------------------------------------------------------ formats


@dataclass(frozen=True)
class Format:
    """A file format for tables: its name (`--format`), suffix, and writer.

    `write(frame, path, geometry)` writes the table and returns its row count; `geometry` is
    the rows' points, or None. A format with `needs_geometry` is written only for tables that
    have a geometry.
    """

    name: str
    suffix: str
    write: Callable[[Any, Path, Sequence[Coords] | None], int]
    needs_geometry: bool = False
    description: str = ""


FORMATS: dict[str, Format] = {}


def register_format(fmt: Format) -> Format:
    """Make `fmt` available to every result's `write` and to the CLI's `--format`."""
    FORMATS[fmt.name] = fmt
    return fmt


def _write_csv(frame: pd.DataFrame, path: Path, geometry: Sequence[Coords] | None = None) -> int:
    frame.to_csv(path, index=False)
    return len(frame)


def _write_parquet(frame: pd.DataFrame, path: Path, geometry: Sequence[Coords] | None = None) -> int:
    frame.to_parquet(path, index=False)
    return len(frame)


def _geometry(points: Coords) -> dict | None:
    pts = [[float(x), float(y)] for x, y in points]
    if not pts:
        return None
    return {"type": "Point", "coordinates": pts[0]} if len(pts) == 1 else \
        {"type": "LineString", "coordinates": pts}


def _write_geojson(frame: pd.DataFrame, path: Path, geometry: Sequence[Coords] | None = None) -> int:
    """A FeatureCollection, one Feature per row, written feature by feature (never one big string)."""
    if geometry is None:
        raise CorridorError("GeoJSON needs each row's geometry")
    records = frame.to_dict(orient="records")
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"type": "FeatureCollection", "features": [')
        for i, (row, pts) in enumerate(zip(records, geometry, strict=True)):
            feat = {"type": "Feature", "properties": {k: json_safe(v) for k, v in row.items()},
                    "geometry": _geometry(pts)}
            fh.write(("," if i else "") + "\n" + json.dumps(feat, ensure_ascii=False, allow_nan=False))
        fh.write("\n]}\n")
    return len(records)


register_format(Format("csv", ".csv", _write_csv, description="comma-separated text, one file per table"))
register_format(Format("parquet", ".parquet", _write_parquet, description="Apache Parquet, typed columns"))
register_format(Format("geojson", ".geojson", _write_geojson, needs_geometry=True,
                       description="GeoJSON features (tables with geometry only)"))

OUTPUT_FORMATS = tuple(FORMATS)


def parse_formats(formats: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """`"csv,parquet"` or a list of names as registered format names (None: each table's own)."""
    if formats is None:
        return None
    names = [f.strip().lower() for f in (formats.split(",") if isinstance(formats, str) else formats)]
    names = list(dict.fromkeys(n for n in names if n))
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        shown = ", ".join(repr(n[:20]) for n in unknown) or "nothing"
        raise CorridorError(f"unknown output format {shown}; choose from {', '.join(FORMATS)}")
    return tuple(names)


def plan_files(outputs: Sequence[Output], formats: str | Iterable[str] | None = None) -> list[str]:
    """The file names `outputs` are written as (in order, the manifest last)."""
    return [name for name, _ in plan_writes(outputs, parse_formats(formats))] + [MANIFEST]


def plan_writes(outputs: Sequence[Output], formats: tuple[str, ...] | None) -> list[tuple[str, Callable]]:
    """(file name, writer of that file returning its rows or None) for every file `outputs` make in
    `formats` (None: each table's own), checked up front."""
    plan: list[tuple[str, Callable]] = []
    geo_tables = [o for o in outputs if isinstance(o, Table) and o.geometry is not None]
    if formats is not None and not geo_tables:
        geo = [f for f in formats if FORMATS[f].needs_geometry]
        if geo:
            plain = ", ".join(n for n, f in FORMATS.items() if not f.needs_geometry)
            raise CorridorError(f"{', '.join(geo)} needs a table with geometry, and this result has none; "
                                f"choose from {plain}")
    for o in outputs:
        if isinstance(o, Table):
            for name in formats if formats is not None else o.formats:
                fmt = FORMATS[name]
                if fmt.needs_geometry and o.geometry is None:
                    continue
                plan.append((o.name + fmt.suffix, _table_writer(o, fmt)))
        elif isinstance(o, Document):
            plan.append((o.name, _document_writer(o)))
        else:
            plan.append((o.name, _text_writer(o)))
    names = [n for n, _ in plan]
    dup = sorted({n for n in names if names.count(n) > 1} | ({MANIFEST} & set(names)))
    if dup:
        raise AssertionError(f"a result writes {', '.join(dup)} twice")
    return plan


def _table_writer(t: Table, fmt: Format) -> Callable[[Path], int]:
    def write(path: Path) -> int:
        return fmt.write(t.data(), path, t.geometry() if fmt.needs_geometry and t.geometry else None)
    return write


def _document_writer(d: Document) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        text = json.dumps(json_safe(d.data()), indent=2, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
    return write


def _text_writer(t: TextFile) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(t.data(), encoding="utf-8")
    return write


# ------------------------------------------------------------------ the overwrite guard


def refuse_overwrite(targets: Path | Iterable[Path], overwrite: bool, *, folder: bool = False,
                     expected: Iterable[str] | None = ()) -> None:
    """Check a target before anything is written or computed: nothing the user has is lost.

    Files (`folder=False`): refuse any that exists unless `overwrite`. A result folder
    (`folder=True`, one path): refuse a non-empty folder unless `overwrite`; even then, replace
    only a folder corridor wrote (a manifest, or only files in `expected`), never one holding
    other things (`expected=None`: not known yet, checked when the result is written). Creates
    the parent folder.
    """
    paths = [Path(targets)] if isinstance(targets, str | Path) else [Path(p) for p in targets]
    if not paths:
        return
    if folder:
        _refuse_folder(paths[0], overwrite, None if expected is None else set(expected))
        parent = paths[0].parent
    else:
        parent = paths[0].parent
        if parent.exists() and not parent.is_dir():
            raise CorridorError(f"{clean(parent)} exists and is not a folder")
        for p in paths:
            if p.is_dir():
                raise CorridorError(f"{clean(p)} is a folder; give a file name")
        existing = [clean(p) for p in paths if p.exists() or p.is_symlink()]
        if existing and not overwrite:
            raise CorridorError("refusing to overwrite existing files (pass --force, or overwrite=True): "
                                + ", ".join(existing))
    make_folder(parent)


def _refuse_folder(folder: Path, overwrite: bool, expected: set[str] | None) -> None:
    if not (folder.exists() or folder.is_symlink()):
        return
    if not folder.is_dir():
        raise CorridorError(f"{clean(folder)} exists and is not a folder")
    try:
        entries = sorted(p.name for p in _first(folder.iterdir(), 1000))
    except OSError as exc:
        raise CorridorError(f"cannot read {clean(folder)}: {reason(exc)}") from None
    if not entries:
        return
    shown = ", ".join(clean(e) for e in entries[:8]) + (" ..." if len(entries) > 8 else "")
    if not overwrite:
        raise CorridorError(f"refusing to overwrite {clean(folder)}: it already holds {shown} "
                            "(pass --force, or overwrite=True, to replace the folder as a whole)")
    if MANIFEST in entries or expected is None:
        return
    foreign = [e for e in entries if e not in expected]
    if foreign:
        raise CorridorError(f"refusing to replace {clean(folder)} even with --force: it holds files corridor "
                            f"did not write ({', '.join(clean(e) for e in foreign[:8])}); choose another "
                            "folder or remove them")


def _first(it: Iterator, n: int) -> list:
    out = []
    for x in it:
        out.append(x)
        if len(out) >= n:
            break
    return out


# ------------------------------------------------------------------ clear write errors

_REASONS = {errno.ENOSPC: "the disk is full", errno.EROFS: "the file system is read-only",
            errno.EACCES: "permission denied", errno.EPERM: "permission denied",
            errno.EDQUOT: "the disk quota is exceeded", errno.ENAMETOOLONG: "the name is too long",
            errno.ENOTDIR: "a part of the path is not a folder", errno.EISDIR: "it is a folder",
            errno.EFBIG: "the file is too large"}


def reason(exc: OSError) -> str:
    """An OS error in a few words (no traceback, no errno numbers)."""
    return _REASONS.get(exc.errno or -1) or clean(exc.strerror or str(exc))


def clean(text: object, n: int = 200) -> str:
    """Text from a user or a file, safe to print: control characters (ANSI escapes, newlines) shown
    as escapes, and at most `n` characters."""
    s = str(text)
    if any(ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029\u202e" for c in s):
        s = "".join(c if not (ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029\u202e")
                    else c.encode("unicode_escape").decode("ascii") for c in s)
    return s if len(s) <= n else s[: n - 1] + "…"


def make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CorridorError(f"cannot create {clean(folder)}: a file of that name is in the way") from None
    except OSError as exc:
        raise CorridorError(f"cannot create {clean(folder)}: {reason(exc)}") from None


# ------------------------------------------------------------------ atomic folders and files


def _token() -> str:
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (one of ours, or another user's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _remove(path: Path) -> None:
    with suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()


def clean_stale(parent: Path, name: str) -> list[Path]:
    """Remove what interrupted writes of `name` left in `parent` (their writer is gone)."""
    removed = []
    prefixes = [f".{name}{marker}" for marker in (_PARTIAL, _OLD)]
    with suppress(OSError):
        for p in parent.iterdir():
            head = next((x for x in prefixes if p.name.startswith(x)), None)
            if head is None:
                continue
            pid = p.name[len(head):].split("-", 1)[0]
            if pid.isdigit() and not process_alive(int(pid)):
                _remove(p)
                removed.append(p)
    return removed


@contextmanager
def atomic_folder(folder: str | Path, *, overwrite: bool = False,
                  expected: Iterable[str] = ()) -> Iterator[Path]:
    """Yield an empty temporary sibling of `folder` to write into; on success it replaces `folder`
    as a whole (renamed into place), on any error it is removed and nothing is left behind.

    Refuses an existing non-empty `folder` unless `overwrite` (see `refuse_overwrite`).
    An OSError while writing becomes one CorridorError saying what went wrong.
    """
    folder = Path(folder)
    refuse_overwrite(folder, overwrite, folder=True, expected=expected)
    clean_stale(folder.parent, folder.name)
    tmp = folder.parent / f".{folder.name}{_PARTIAL}{_token()}"
    try:
        tmp.mkdir()
    except OSError as exc:
        raise CorridorError(f"cannot write {clean(folder)}: {reason(exc)}") from None
    try:
        yield tmp
        _swap_in(tmp, folder, overwrite, set(expected))
    except OSError as exc:
        _remove(tmp)
        raise CorridorError(f"cannot write {clean(folder)}: {reason(exc)}; nothing was written") from None
    except BaseException:
        _remove(tmp)
        raise


def _swap_in(tmp: Path, folder: Path, overwrite: bool, expected: set[str]) -> None:
    """Rename `tmp` to `folder`; an earlier folder is moved aside first and removed after."""
    if folder.exists() or folder.is_symlink():
        _refuse_folder(folder, overwrite, expected)  # it may have appeared while we worked
        old = folder.parent / f".{folder.name}{_OLD}{_token()}"
        if folder.is_symlink():
            folder.unlink()
        else:
            os.replace(folder, old)
        try:
            os.replace(tmp, folder)
        except OSError:
            if old.exists():
                os.replace(old, folder)
            raise
        _remove(old)
    else:
        os.replace(tmp, folder)


@contextmanager
def atomic_files(paths: Sequence[str | Path], *, overwrite: bool = False) -> Iterator[list[Path]]:
    """Yield a temporary name beside each of `paths`; when the block succeeds each is renamed onto
    its path (so no reader ever sees a half-written file), on any error all are removed.

    Refuses existing files unless `overwrite`. An OSError is one CorridorError.
    """
    targets = [Path(p) for p in paths]
    refuse_overwrite(targets, overwrite)
    for t in targets:
        clean_stale(t.parent, t.name)
    tmps = [t.parent / f".{t.name}{_PARTIAL}{_token()}" for t in targets]
    try:
        yield tmps
        for tmp, t in zip(tmps, targets, strict=True):
            if not tmp.exists():
                raise CorridorError(f"{clean(t)} was not written")
        for tmp, t in zip(tmps, targets, strict=True):
            os.replace(tmp, t)
    except OSError as exc:
        for tmp in tmps:
            _remove(tmp)
        where = clean(targets[0]) if len(targets) == 1 else clean(targets[0].parent)
        raise CorridorError(f"cannot write {where}: {reason(exc)}; nothing was written") from None
    except BaseException:
        for tmp in tmps:
            _remove(tmp)
        raise


@contextmanager
def staged_files(root: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder beside `root`; when the block succeeds, what was written there
    moves into `root` file by file (each an atomic rename, after the existing-files guard), so no
    reader sees a half-written file; on any error nothing is left behind. For writers that decide
    their own file names (the network formats)."""
    root = Path(root)
    make_folder(root.parent)
    clean_stale(root.parent, root.name)
    stage = root.parent / f".{root.name}{_PARTIAL}{_token()}"
    try:
        stage.mkdir()
        yield stage
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        finals = [root / p.relative_to(stage) for p in files]
        refuse_overwrite(finals, overwrite)
        for p, final in zip(files, finals, strict=True):
            make_folder(final.parent)
            os.replace(p, final)
    except OSError as exc:
        raise CorridorError(f"cannot write {clean(root)}: {reason(exc)}; nothing was written") from None
    finally:
        _remove(stage)


def write_text_file(path: str | Path, text: str, *, overwrite: bool = False) -> Path:
    """One text file written whole or not at all (see `atomic_files`)."""
    p = Path(path)
    with atomic_files([p], overwrite=overwrite) as (tmp,):
        tmp.write_text(text, encoding="utf-8")
    return p
