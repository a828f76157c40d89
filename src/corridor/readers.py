"""Reading input tables cell by cell as text, so that a bad value is reported with its file, row
and column instead of being coerced or crashing a parser. Row numbers are line numbers in the
file (the header is line 1).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Problem

TRUE_WORDS = {"true", "1", "yes", "y", "t"}

FALSE_WORDS = {"false", "0", "no", "n", "f", ""}


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

YES_NO = {"yes": True, "no": False, "true": True, "false": False, "1": True, "0": False, "": True}
