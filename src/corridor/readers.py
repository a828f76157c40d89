"""Reading input tables cell by cell as text, so that a bad value is reported with its file, row
and column instead of being coerced or crashing a parser. Row numbers are line numbers in the
file (the header is line 1).

The cell checks below (`to_numbers`, `require_columns`, `check_unique`, ...) work on such text
frames, from a file or from memory (`text_frame`); the network and demand readers share them.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .bounds import MAX_INPUT_ENV, MAX_INPUT_MB
from .errors import Problem
from .output import clean

TRUE_WORDS = {"true", "1", "yes", "y", "t"}

FALSE_WORDS = {"false", "0", "no", "n", "f", ""}

# a yes/no cell where empty means yes
YES_NO = {"yes": True, "no": False, "true": True, "false": False, "1": True, "0": False, "": True}


# ---------------------------------------------------------------------------- opening files safely

_KINDS = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


class UnreadableFile(OSError):
    """An input that is not a regular file of a sane size (an OSError, so every reader's `except
    OSError` reports it as the file's problem)."""

    def __str__(self) -> str:
        return str(self.strerror)


def max_input_bytes() -> int:
    """The size cap of one input file, in bytes ($CORRIDOR_MAX_INPUT_MB, default `MAX_INPUT_MB`)."""
    try:
        mb = float(os.environ.get(MAX_INPUT_ENV, MAX_INPUT_MB))
    except ValueError:
        mb = MAX_INPUT_MB
    return int(max(mb, 0.001) * 1e6) if mb == mb else int(MAX_INPUT_MB * 1e6)


def check_input_file(path: str | Path, *, max_bytes: int | None = None) -> int:
    """The size of `path` if it is safe to read, else UnreadableFile saying why: it must be a regular
    file (not a FIFO, device or folder), a symbolic link must stay inside the link's folder, and it
    must fit the size cap."""
    p = Path(path)
    try:
        st = os.stat(p)  # follows links; a loop raises ELOOP
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise UnreadableFile(exc.errno, f"cannot be opened: {clean(exc.strerror or exc)}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = _KINDS.get(stat.S_IFMT(st.st_mode), "not a regular file")
        raise UnreadableFile(errno.EINVAL, f"is {kind}, not a regular file")
    if p.is_symlink():
        target, home = p.resolve(), p.absolute().parent.resolve()
        if home not in target.parents:
            raise UnreadableFile(errno.EACCES, f"is a symbolic link to {clean(target)}, outside its folder; "
                                               "give the file's own path")
    cap = max_input_bytes() if max_bytes is None else max_bytes
    if st.st_size > cap:
        raise UnreadableFile(errno.EFBIG, f"is {_size(st.st_size)}, more than the {_size(cap)} an input may "
                                          f"be (raise it with --max-input-mb or ${MAX_INPUT_ENV})")
    return st.st_size


def _size(n: float) -> str:
    for unit, k in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= k:
            return f"{n / k:,.1f} {unit}"
    return f"{n:,.0f} bytes"


def read_input_text(path: str | Path, *, max_bytes: int | None = None, encoding: str = "utf-8") -> str:
    """An input file (YAML, JSON, GeoJSON) as text, after `check_input_file`; raises OSError or
    UnicodeDecodeError like `Path.read_text`."""
    check_input_file(path, max_bytes=max_bytes)
    with open(path, encoding=encoding) as fh:
        return fh.read()


# ---------------------------------------------------------------------------- reading CSV as text

_CHUNK = 8192  # records turned into columns at a time


def read_text_csv(path: Path, problems: list[Problem]) -> pd.DataFrame | None:
    """Every cell as stripped text, plus `__line__`: the file line each record starts on.

    Parsed with the csv module so that row numbers stay true across blank lines and
    quoted multi-line fields; blank records are skipped, ragged ones reported. The file is read
    as a stream and kept as Arrow-backed text columns, so a table of millions of rows takes a
    few hundred MB; only regular files of a sane size are read (`check_input_file`).
    """
    fname = clean(path)
    try:
        size = check_input_file(path)
    except FileNotFoundError:
        problems.append(Problem(fname, None, None, "file not found"))
        return None
    except OSError as exc:
        problems.append(Problem(fname, None, None, clean(exc.strerror or exc)))
        return None
    if size == 0:
        problems.append(Problem(fname, None, None, "is empty (0 bytes)"))
        return None
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return _parse_csv(fh, fname, problems)
    except UnicodeDecodeError as exc:
        problems.append(Problem(fname, None, None, f"cannot be read as UTF-8 text: {clean(exc, 120)}"))
    except OSError as exc:
        problems.append(Problem(fname, None, None, f"cannot be read: {clean(exc.strerror or exc)}"))
    return None


class _Binary(Exception):
    pass


def _lines(fh: io.TextIOBase) -> Iterator[str]:
    for line in fh:
        if "\x00" in line:
            raise _Binary
        yield line


def _parse_csv(fh: io.TextIOBase, fname: str, problems: list[Problem]) -> pd.DataFrame | None:
    """The records of an open CSV file as a text frame; None when the file cannot be a table (binary,
    not CSV, no header, a column named twice), with its problem listed."""
    read = _read_records(fh, fname, problems)
    if read is None:
        return None
    header, chunks, lines = read
    if header is None:
        problems.append(Problem(fname, None, None, "is empty (no header)"))
        return None
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        problems.append(Problem(fname, 1, ", ".join(clean(d, 40) for d in dup),
                                "column appears more than once"))
        return None
    return _chunks_frame(header, chunks, lines)


def _read_records(fh: io.TextIOBase, fname: str, problems: list[Problem]
                  ) -> tuple[list[str] | None, list[list[pa.Array]], array[int]] | None:
    """The header (None: the file has none), the records in chunks of Arrow text columns and the line
    each record starts on; a ragged record is reported and left out. None when the file is binary or
    not CSV at all (reported)."""
    reader = csv.reader(_lines(fh))
    header: list[str] | None = None
    chunks: list[list[pa.Array]] = []
    rows: list[list[str]] = []
    lines = array("q")
    start, width = 1, 0
    try:
        for rec in reader:
            line, start = start, reader.line_num + 1
            if _blank(rec):
                continue
            if header is None:
                header = [c.strip() for c in rec]
                width = len(header)
                continue
            if len(rec) != width:
                problems.append(Problem(fname, line, None, f"has {len(rec)} fields, the header has {width}"))
                continue
            rows.append(rec)
            lines.append(line)
            if len(rows) >= _CHUNK:
                chunks.append(_columns(rows, width))
                rows = []
    except _Binary:
        problems.append(Problem(fname, None, None, "is a binary file, not CSV"))
        return None
    except csv.Error as exc:
        problems.append(Problem(fname, reader.line_num, None, f"cannot be read as CSV: {clean(exc, 120)}"))
        return None
    if rows:
        chunks.append(_columns(rows, width))
    return header, chunks, lines


def _blank(rec: list[str]) -> bool:
    """A record with nothing in it: an empty line, or cells of whitespace only (a line of commas)."""
    return not rec or ((not rec[0] or rec[0].isspace()) and not "".join(rec).strip())


def _chunks_frame(header: list[str], chunks: list[list[pa.Array]], lines: array[int]) -> pd.DataFrame:
    """The chunks as one frame of text columns (Arrow-backed where pandas has Arrow strings), with the
    line of each record in `__line__`."""
    table = pa.table({name: pa.chunked_array([c[j] for c in chunks], type=pa.large_string())
                      for j, name in enumerate(header)})
    if len(lines):
        df = table.to_pandas(self_destruct=True)
        del table
        if not all(str(t) == "str" for t in df.dtypes):  # pandas < 3 or without its Arrow strings
            df = df.astype(str)
    else:
        df = pd.DataFrame({c: pd.Series(dtype=str) for c in header})
    df["__line__"] = np.array(lines, dtype=np.int64)
    return df


# what str.strip() strips: every character Python calls whitespace
_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


def _columns(rows: list[list[str]], width: int) -> list[pa.Array]:
    """A chunk of records as one stripped Arrow text array per column."""
    if not rows:
        return [pa.array([], type=pa.large_string()) for _ in range(width)]
    return [pc.utf8_trim(pa.array(col, type=pa.large_string()), characters=_SPACE)
            for col in zip(*rows, strict=True)]


def _cells(s: pd.Series) -> list[str]:
    """A column's values as CSV cells: str() of each ("" when missing), stripped."""
    v = s.to_numpy()
    if v.dtype.kind == "f":  # numpy writes floats as Python does (shortest repr)
        return np.where(np.isnan(v), "", v.astype(str)).tolist()
    if v.dtype.kind in "iub":
        return v.astype(str).tolist()
    return [x.strip() if isinstance(x, str) else "" if x is None or pd.isna(x) else str(x).strip() for x in v]


def text_frame(df: pd.DataFrame, *, first_line: int = 2) -> pd.DataFrame:
    """A typed table as the all-text frame `read_text_csv` would give for it written as CSV.

    Cells are stripped text ("" for missing values), and `__line__` is the line each row would
    start on in that file (the header is line 1), so in-memory tables are checked and reported
    like files.
    """
    cols = [c for c in df.columns if c != "__line__"]
    out = pd.DataFrame({str(c): _cells(df[c]) for c in cols}, index=range(len(df)), dtype=object).astype(str)
    out["__line__"] = np.arange(first_line, first_line + len(df), dtype=np.int64)
    return out


# ---------------------------------------------------------------------------- cell checks
# Each check takes a text frame (or one converted by `to_numbers`), the file label to report
# and the problem list; it reports every bad cell at its line and column, and never raises.


def line_of(df: pd.DataFrame, i: int | np.integer) -> int:
    """The line (row to report) of positional row `i`."""
    return int(df["__line__"].iat[i])


def short(v: object, n: int = 60) -> str:
    """A value shortened for a message."""
    v = str(v)
    return v if len(v) <= n else v[: n - 1] + "…"


def to_numbers(df: pd.DataFrame, cols: Iterable[str], fname: str, problems: list[Problem]) -> pd.DataFrame:
    """Text columns as floats (a missing column is all NaN), reporting every cell that is not a
    finite number."""
    out = df.copy(deep=False)  # copy-on-write: the new columns never touch `df`
    for col in cols:
        if col not in df.columns:
            out[col] = np.nan
            continue
        text = df[col].to_numpy(dtype=object)
        values = pd.to_numeric(text, errors="coerce").astype(float)
        bad = (text != "") & ~np.isfinite(values)
        for i in np.flatnonzero(bad):
            problems.append(Problem(fname, line_of(df, i), col, f"'{short(text[i])}' is not a finite number"))
        values[bad] = np.nan
        out[col] = values
    return out


def require_columns(df: pd.DataFrame, cols: Iterable[str], fname: str, problems: list[Problem]) -> bool:
    """True when every column is there; each missing one is a problem."""
    missing = [c for c in cols if c not in df.columns]
    for c in missing:
        problems.append(Problem(fname, None, c, "required column is missing"))
    return not missing


def check_required_cells(df: pd.DataFrame, cols: Iterable[str], fname: str, problems: list[Problem]) -> None:
    for col in cols:
        if col not in df.columns:
            continue
        empty = df[col].astype(str) == ""
        for i in np.flatnonzero(empty.to_numpy()):
            problems.append(Problem(fname, line_of(df, i), col, "value is required"))


def check_choice(df: pd.DataFrame, col: str, allowed: Iterable[str], fname: str,
                 problems: list[Problem]) -> None:
    if col not in df.columns:
        return
    allowed = tuple(allowed)
    vals = df[col].astype(str)
    bad = (vals != "") & ~vals.isin(allowed)
    for i in np.flatnonzero(bad.to_numpy()):
        problems.append(Problem(fname, line_of(df, i), col,
                                f"'{short(vals.iat[i])}' is not one of {', '.join(allowed)}"))


def check_unique(df: pd.DataFrame, col: str, fname: str, problems: list[Problem], *,
                 key: Callable[[str], str] | None = None, what: str = "id") -> None:
    """Duplicates, compared after `key` (so ids differing only in case are caught)."""
    if col not in df.columns:
        return
    vals = df[col].astype(str)
    keys = vals.map(key) if key else vals
    dup = keys.duplicated(keep="first") & (vals != "")
    if not dup.any():
        return
    first: dict[str, int] = {}
    for pos, k in enumerate(keys):
        first.setdefault(k, pos)
    for i in np.flatnonzero(dup.to_numpy()):
        j = first[keys.iat[i]]
        problems.append(Problem(fname, line_of(df, i), col,
                                f"duplicate {what} '{short(vals.iat[i])}' (same as line {line_of(df, j)})"))


def check_non_negative(df: pd.DataFrame, cols: Iterable[str], fname: str, problems: list[Problem],
                       strictly_positive: Iterable[str] = ()) -> None:
    """Numeric columns (see `to_numbers`) that must be >= 0, or > 0 for `strictly_positive`."""
    positive = set(strictly_positive)
    for col in cols:
        if col not in df.columns:
            continue
        v = df[col]
        for i in np.flatnonzero((v < 0).to_numpy()):
            problems.append(Problem(fname, line_of(df, i), col, f"{v.iat[i]:g} is negative"))
        if col in positive:
            for i in np.flatnonzero((v == 0).to_numpy()):
                problems.append(Problem(fname, line_of(df, i), col, "must be greater than zero"))


def check_bounds(df: pd.DataFrame, table: str, fname: str, problems: list[Problem], *,
                 signed: Iterable[str] = ()) -> None:
    """Numeric columns (see `to_numbers`) outside their plausible range (`bounds.COLUMNS[table]`).

    `signed`: columns whose negative (or, for a range above zero, zero) values `check_non_negative`
    reports already; they are not reported twice.
    """
    from .bounds import BOUNDS, COLUMNS

    signed = set(signed)
    for col, name in COLUMNS[table].items():
        if col not in df.columns:
            continue
        b = BOUNDS[name]
        v = df[col].to_numpy(dtype=float, na_value=np.nan)
        if col in signed:
            v = np.where((v < 0) | ((v == 0) & (b.lo is not None and b.lo > 0)), np.nan, v)
        bad = np.zeros(len(v), dtype=bool)
        if b.lo is not None:
            bad |= v < b.lo
        if b.hi is not None:
            bad |= v > b.hi
        if b.integer:
            bad |= np.isfinite(v) & (v != np.round(v))
        for i in np.flatnonzero(bad):
            problems.append(Problem(fname, line_of(df, i), col, b.problem(float(v[i])) or "out of range"))


def check_countries(df: pd.DataFrame, col: str, fname: str, problems: list[Problem]) -> None:
    """ISO3-looking codes that are no country (`bounds.COUNTRY_CODES`); malformed ones are left to the
    table's own check."""
    from .bounds import COUNTRY_CODES, country_problem

    if col not in df.columns:
        return
    vals = df[col].astype(str)
    bad = vals.str.fullmatch(r"[A-Z]{3}") & ~vals.isin(COUNTRY_CODES)
    for i in np.flatnonzero(bad.to_numpy(dtype=bool, na_value=False)):
        problems.append(Problem(fname, line_of(df, i), col,
                                country_problem(vals.iat[i]) or "unknown country"))
