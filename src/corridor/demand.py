"""Origin-destination freight demand: a long table, one row per OD cell and commodity.

    >>> import corridor
    >>> from corridor.demand import load_demand
    >>> net = corridor.load_network()
    >>> d = load_demand(2024)
    >>> d.total("container")["teu"]
    >>> d.matrix(net, "container").shape        # (n_nodes, n_nodes), node order of net.nodes

Columns: origin, destination (node ids), commodity, teu_per_year, t_per_year (t optional per
cell), source_id and method (optional). `read_demand` checks a CSV or Parquet file and raises
one ValidationError listing every problem (file, row, column, reason); rows are file line
numbers with the header as line 1 (for Parquet, record number + 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .datafiles import bundled_data_dir
from .errors import CorridorError, Problem, ProblemList, ValidationError
from .readers import (
    check_bounds,
    check_input_file,
    check_non_negative,
    check_required_cells,
    line_of,
    read_text_csv,
    require_columns,
    to_numbers,
)

REQUIRED = ("origin", "destination", "commodity", "teu_per_year", "t_per_year")

OPTIONAL = ("source_id", "method")

VALUES = ("teu_per_year", "t_per_year")

DEFAULT_COMMODITIES = ("container", "general", "bulk")

UNITS = {"teu": "teu_per_year", "t": "t_per_year"}


@dataclass(frozen=True, eq=False)
class Demand:
    """A validated demand table (long form)."""

    table: pd.DataFrame
    source: str | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def total(self, commodity: str | None = None) -> dict[str, float]:
        """Sum of `teu` and `t` per year, over all rows or one commodity."""
        df = self.table if commodity is None else self.table[self.table["commodity"] == commodity]
        return {"teu": float(df["teu_per_year"].sum()), "t": float(df["t_per_year"].sum())}

    def matrix(self, network, commodity: str | None = None, unit: str = "teu") -> np.ndarray:
        """Dense (n_nodes x n_nodes) array: [i, j] = demand from node i to node j.

        Aligned with `network.node_index` (the order of `network.nodes`); commodity None sums
        all commodities; unit `teu` or `t` (cells without tonnes count as 0).
        """
        if unit not in UNITS:
            raise CorridorError(f"unknown unit '{str(unit)[:20]}'; use one of: {', '.join(UNITS)}")
        df = self.table
        if commodity is not None:
            known = sorted(set(df["commodity"]))
            if commodity not in known:
                raise CorridorError(f"no demand for commodity '{str(commodity)[:60]}'; "
                                    f"this table has: {', '.join(known)}")
            df = df[df["commodity"] == commodity]
        idx = network.node_index
        missing = sorted((set(df["origin"]) | set(df["destination"])) - set(idx))
        if missing:
            raise CorridorError("demand names nodes that are not in this network: "
                                + ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else ""))
        n = len(idx)
        out = np.zeros((n, n), dtype=float)
        rows = df["origin"].map(idx).to_numpy(dtype=np.int64)
        cols = df["destination"].map(idx).to_numpy(dtype=np.int64)
        vals = np.nan_to_num(df[UNITS[unit]].to_numpy(dtype=float), nan=0.0)
        np.add.at(out, (rows, cols), vals)
        return out

    def __repr__(self) -> str:
        tot = self.total()
        return (f"Demand({len(self.table)} OD cells, {tot['teu']:,.0f} TEU/yr, {tot['t']:,.0f} t/yr"
                + (f", from {self.source}" if self.source else "") + ")")


# ---------------------------------------------------------------------------- reading
def _read_text_parquet(path: Path, problems: list[Problem]) -> pd.DataFrame | None:
    """A Parquet file as the same all-text frame `read_text_csv` gives (row = record + 1)."""
    try:
        check_input_file(path)
        raw = pd.read_parquet(path)
    except OSError as exc:
        problems.append(Problem(str(path), None, None, f"cannot be read: {exc.strerror or exc}"))
        return None
    except Exception as exc:  # pyarrow raises several unrelated types for bad files
        problems.append(Problem(str(path), None, None, f"cannot be read as Parquet: {exc}"))
        return None
    df = pd.DataFrame(index=range(len(raw)))
    for col in raw.columns:
        s = raw[col]
        df[str(col).strip()] = ["" if pd.isna(x) else str(x).strip() for x in s]
    if len(df.columns) != len(raw.columns):
        problems.append(Problem(str(path), 1, None, "column appears more than once"))
        return None
    df["__line__"] = np.arange(2, len(raw) + 2, dtype=np.int64)
    return df


def _looks_wide(df: pd.DataFrame, network) -> bool:
    """An origin x destination matrix: columns named after places, cells numeric."""
    cols = [c for c in df.columns if c != "__line__"]
    if len(cols) < 3:
        return False
    rest = cols[1:]
    if network is not None:
        idx = network.node_index
        named = sum(1 for c in rest if c in idx or _resolves(network, c))
        if named >= max(2, len(rest) // 2):
            return True
    numeric = 0
    for c in rest:
        vals = df[c].astype(str)
        vals = vals[vals != ""]
        if len(vals) and pd.to_numeric(vals, errors="coerce").notna().all():
            numeric += 1
    return "origin" not in df.columns and numeric >= max(2, len(rest) - 1)


def _resolves(network, place: str) -> str | None:
    try:
        i = network.resolve(place)
    except CorridorError:
        return None
    return str(network.nodes["node_id"].iat[i])


def _unknown_node_message(network, value: str) -> str:
    nid = _resolves(network, value)
    if nid is not None:
        return f"'{value[:60]}' is a place name, not a node id; use '{nid}'"
    names = network.suggest(value)
    by_name = dict(zip(network.nodes["name"], network.nodes["node_id"], strict=False))
    ids = [by_name.get(nm, nm) for nm in names]
    msg = f"unknown node '{value[:60]}'"
    if ids:
        msg += "; did you mean: " + ", ".join(ids) + "?"
    else:
        msg += "; run 'corridor places' to list the places"
    return msg


def _validate(txt: pd.DataFrame, fname: str, network, problems: list[Problem]) -> pd.DataFrame | None:
    """The table's numbers, or None when its shape is wrong; every problem listed, in the order a reader
    fixes them: columns, values, places, commodities, duplicate cells."""
    missing = [c for c in REQUIRED if c not in txt.columns]
    if missing and _looks_wide(txt, network):
        cols = [c for c in txt.columns if c != "__line__"]
        problems.append(Problem(
            fname, 1, None,
            f"looks like a wide origin x destination matrix (columns {', '.join(cols[:4])}, ...); "
            f"expected a long table with columns {', '.join(REQUIRED)}: one row per origin, "
            f"destination and commodity (melt the matrix first)"))
        return None
    if not require_columns(txt, REQUIRED, fname, problems):
        return None
    df = _check_values(txt, fname, problems)
    _check_places(txt, fname, network, problems)
    _check_commodities(txt, fname, network, problems)
    _check_duplicate_cells(txt, fname, problems)
    return df


def _check_values(txt: pd.DataFrame, fname: str, problems: list[Problem]) -> pd.DataFrame:
    """The cells every row needs and the amounts as numbers (non-negative, within bounds); a table with
    no demand at all is reported only when nothing else is wrong (a bad cell may be its cause)."""
    check_required_cells(txt, ("origin", "destination", "commodity", "teu_per_year"), fname, problems)
    df = to_numbers(txt, VALUES, fname, problems)
    check_non_negative(df, VALUES, fname, problems)
    check_bounds(df, "demand", fname, problems, signed=VALUES)
    if not len(txt):
        problems.append(Problem(fname, None, None, "has no rows: only a header"))
    elif not (df["teu_per_year"] > 0).any() and not problems:
        problems.append(Problem(fname, None, "teu_per_year", "has no demand: every teu_per_year is 0"))
    return df


def _check_places(txt: pd.DataFrame, fname: str, network, problems: list[Problem]) -> None:
    """Origins and destinations: node ids of `network` (when given; a place name or a near miss is
    named) and never the same node twice in one row."""
    if network is not None:
        idx = network.node_index
        for col in ("origin", "destination"):
            for i, val in enumerate(txt[col].astype(str)):
                if val and val not in idx:
                    problems.append(Problem(fname, line_of(txt, i), col, _unknown_node_message(network, val)))
    same = (txt["origin"] == txt["destination"]) & (txt["origin"] != "")
    for j in np.flatnonzero(same.to_numpy()):
        problems.append(Problem(fname, line_of(txt, j), "destination",
                                f"origin and destination are the same ('{txt['origin'].iat[j][:60]}')"))


def _check_commodities(txt: pd.DataFrame, fname: str, network, problems: list[Problem]) -> None:
    """Commodities: those of the network's commodities table, else the default three."""
    allowed = list(DEFAULT_COMMODITIES)
    comm = getattr(network, "commodities", None) if network is not None else None
    if comm is not None and not comm.empty and "commodity" in comm.columns:
        allowed = [str(c) for c in comm["commodity"]]
    for i, val in enumerate(txt["commodity"].astype(str)):
        if val and val not in allowed:
            problems.append(Problem(fname, line_of(txt, i), "commodity",
                                    f"unknown commodity '{val[:60]}'; known: {', '.join(allowed)}"))


def _check_duplicate_cells(txt: pd.DataFrame, fname: str, problems: list[Problem]) -> None:
    """An OD cell and commodity given twice: which line to keep is the author's call, not ours."""
    keys = list(zip(txt["origin"], txt["destination"], txt["commodity"], strict=True))
    first: dict[tuple[str, str, str], int] = {}
    for i, k in enumerate(keys):
        if k in first:
            problems.append(Problem(
                fname, line_of(txt, i), "origin",
                f"duplicate OD cell (origin '{k[0][:40]}', destination '{k[1][:40]}', commodity "
                f"'{k[2][:40]}'): same as line {line_of(txt, first[k])}"))
        else:
            first[k] = i


def read_demand(path: str | Path, network=None) -> Demand:
    """Read and check a demand table (CSV, or Parquet by extension `.parquet`/`.pq`).

    With `network`, origins and destinations must be its node ids (unknown ones get a
    "did you mean") and commodities those of its commodities table. Raises ValidationError
    listing every problem found.
    """
    path = Path(path)
    fname = str(path)
    problems: list[Problem] = ProblemList()
    if path.suffix.lower() in (".parquet", ".pq"):
        txt = _read_text_parquet(path, problems) if path.exists() else None
        if not path.exists():
            problems.append(Problem(fname, None, None, "file not found"))
    else:
        txt = read_text_csv(path, problems)
    df = _validate(txt, fname, network, problems) if txt is not None else None
    if problems or df is None:
        problems.sort(key=lambda p: p.row or 0)
        raise ValidationError(problems, what=f"demand table {path.name}")
    cols = [*REQUIRED, *[c for c in OPTIONAL if c in df.columns]]
    table = df[cols].reset_index(drop=True)
    for c in OPTIONAL:
        if c not in table.columns:
            table[c] = ""
    return Demand(table=table, source=fname)


def bundled_demand_years() -> list[int]:
    """Years with a bundled demand table (`demand_<year>.csv`)."""
    out = []
    for p in bundled_data_dir().glob("demand_*.csv"):
        tail = p.stem.split("_", 1)[1]
        if tail.isdigit():
            out.append(int(tail))
    return sorted(out)


def load_demand(year: int = 2024) -> Demand:
    """The bundled baseline demand for `year`, checked against the bundled network."""
    from .network.io import load_network

    path = bundled_data_dir() / f"demand_{year}.csv"
    if not path.exists():
        shown = ", ".join(map(str, bundled_demand_years())) or "none"
        raise CorridorError(f"no bundled demand for {str(year)[:10]}; available: {shown}")
    return read_demand(path, network=load_network())
