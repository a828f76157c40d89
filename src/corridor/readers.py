"""Reading input tables cell by cell as text, so that a bad value is reported with its file, row
and column instead of being coerced or crashing a parser. Row numbers are line numbers in the
file (the header is line 1).

The cell checks below (`to_numbers`, `require_columns`, `check_unique`, ...) work on such text
frames, from a file or from memory (`text_frame`); the network and demand readers share them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Problem

TRUE_WORDS = {"true", "1", "yes", "y", "t"}

FALSE_WORDS = {"false", "0", "no", "n", "f", ""}

# a yes/no cell where empty means yes
YES_NO = {"yes": True, "no": False, "true": True, "false": False, "1": True, "0": False, "": True}


def read_text_csv(path: Path, problems: list[Problem]) -> pd.DataFrame | None:
    """Every cell as stripped text, plus `__line__`: the file line each record starts on.

    Parsed with the csv module so that row numbers stay true across blank lines and
    quoted multi-line fields; blank records are skipped, ragged ones reported.
    """
    if not path.exists():
        problems.append(Problem(str(path), None, None, "file not found"))
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), None, None, f"cannot be read as UTF-8 text: {exc}"))
        return None
    if "\x00" in text:
        problems.append(Problem(str(path), None, None, "is a binary file, not CSV"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows, lines = [], []
    start = 1
    try:
        for rec in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in rec):
                continue
            if header is None:
                header = [c.strip() for c in rec]
                continue
            if len(rec) != len(header):
                problems.append(Problem(str(path), line, None,
                                        f"has {len(rec)} fields, the header has {len(header)}"))
                continue
            rows.append([c.strip() for c in rec])
            lines.append(line)
    except csv.Error as exc:
        problems.append(Problem(str(path), reader.line_num, None, f"cannot be read as CSV: {exc}"))
        return None
    if header is None:
        problems.append(Problem(str(path), None, None, "is empty (no header)"))
        return None
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        problems.append(Problem(str(path), 1, ", ".join(dup), "column appears more than once"))
        return None
    df = pd.DataFrame(rows, columns=header, dtype=object).astype(str) if rows else \
        pd.DataFrame({c: pd.Series(dtype=str) for c in header})
    df["__line__"] = np.array(lines, dtype=np.int64)
    return df


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


def line_of(df: pd.DataFrame, i: int) -> int:
    """The line (row to report) of positional row `i`."""
    return int(df["__line__"].iat[i])


def short(v, n: int = 60) -> str:
    """A value shortened for a message."""
    v = str(v)
    return v if len(v) <= n else v[: n - 1] + "…"


def to_numbers(df: pd.DataFrame, cols: Iterable[str], fname: str, problems: list[Problem]) -> pd.DataFrame:
    """Text columns as floats (a missing column is all NaN), reporting every cell that is not a
    finite number."""
    out = df.copy()
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
    first: dict[str, int] = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
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
