"""The run history: every recorded scenario run in one DuckDB file, so any earlier result comes back.

    >>> from corridor.store import RunStore
    >>> with RunStore() as runs:              # $CORRIDOR_HOME/runs.duckdb or the user's data folder
    ...     runs.list()                       # id, created, scenario, method, code version, shares
    ...     runs.get("3f2a")                  # a unique id prefix is enough

Where: `$CORRIDOR_HOME/runs.duckdb` when CORRIDOR_HOME is set, else the platform's user data
folder (`$XDG_DATA_HOME/corridor` or `~/.local/share/corridor` on Linux,
`~/Library/Application Support/corridor` on macOS, `%LOCALAPPDATA%\\corridor` on Windows).
Each run keeps the scenario as merged (its parameters), the method, the code version (`git
describe` when the package runs from a git checkout) and its results: the summary as JSON and
the corridor, country and link tables as rows.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from .errors import CorridorError
from .output import clean, make_folder, process_alive, reason

if TYPE_CHECKING:  # DuckDB is imported when the history is opened
    from duckdb import DuckDBPyConnection

DB_NAME = "runs.duckdb"


class _Flows(Protocol):
    @property
    def links(self) -> pd.DataFrame: ...


class Run(Protocol):
    """What the history keeps of a result (a `ScenarioResult`): named so the store, below the
    scenarios, needs nothing of theirs."""

    @property
    def name(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def seconds(self) -> float: ...
    @property
    def corridors(self) -> pd.DataFrame: ...
    @property
    def countries(self) -> dict[str, float]: ...
    @property
    def flows(self) -> _Flows: ...
    def to_dict(self) -> dict: ...
    def parameters(self) -> dict: ...

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY, created TIMESTAMP, scenario VARCHAR, method VARCHAR,
    code_version VARCHAR, seconds DOUBLE, parameters VARCHAR, summary VARCHAR);
CREATE TABLE IF NOT EXISTS run_corridors (
    run_id VARCHAR, corridor VARCHAR, teu DOUBLE, share DOUBLE, mean_days DOUBLE, p90_days DOUBLE,
    usd_per_teu DOUBLE);
CREATE TABLE IF NOT EXISTS run_countries (run_id VARCHAR, country VARCHAR, teu_entering DOUBLE);
CREATE TABLE IF NOT EXISTS run_links (
    run_id VARCHAR, link_id VARCHAR, name VARCHAR, mode VARCHAR, flow_teu DOUBLE,
    capacity_teu_yr DOUBLE, v_c DOUBLE);
"""

def data_home(home: str | Path | None = None) -> Path:
    """The folder of the run history (see the module docstring)."""
    if home is not None:
        return Path(home)
    env = os.environ.get("CORRIDOR_HOME")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "corridor"

def store_path(home: str | Path | None = None) -> Path:
    return data_home(home) / DB_NAME

def code_version() -> str:
    """`git describe --always --dirty` of the package's checkout, else the package version."""
    from . import __version__

    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], cwd=here,
                             capture_output=True, text=True, timeout=3, check=False)
    except (OSError, subprocess.SubprocessError):
        return __version__
    desc = out.stdout.strip()
    return f"{__version__}+{desc}" if out.returncode == 0 and desc else __version__

def new_run_id() -> str:
    return uuid.uuid4().hex[:12]

# how long a command waits for another process to finish writing the history (seconds)
WAIT_ENV = "CORRIDOR_STORE_WAIT"

DEFAULT_WAIT = 10.0


def _wait_budget() -> float:
    try:
        v = float(os.environ.get(WAIT_ENV, DEFAULT_WAIT))
    except ValueError:
        return DEFAULT_WAIT
    return min(max(v, 0.0), 3600.0) if v == v else DEFAULT_WAIT


def _locked(exc: Exception) -> bool:
    msg = str(exc).lower()
    return "lock" in msg or "conflicting" in msg or "resource temporarily unavailable" in msg


_WANT = ".want-"  # a writer waiting for the history: .want-runs.duckdb-PID-N


def _discard(path: Path) -> None:
    with suppress(OSError):
        path.unlink()


def _first_line(exc: Exception) -> str:
    return clean(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, 300)


class RunStore:
    """A DuckDB file of runs; use as a context manager (or call close()).

    Each call opens the file for as long as it needs it and no longer, so that processes share it:
    a writer waits (up to $CORRIDOR_STORE_WAIT seconds, default 10) while another process writes,
    and so does a reader; a record is one transaction, committed whole or not at all.
    """

    def __init__(self, path: str | Path | None = None, *, home: str | Path | None = None,
                 read_only: bool = False, wait: float | None = None) -> None:
        self.path = Path(path) if path is not None else store_path(home)
        self.read_only = read_only
        self.wait = _wait_budget() if wait is None else float(wait)
        if not read_only:
            make_folder(self.path.parent)

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing stays open between calls; kept for the context-manager protocol."""

    @contextmanager
    def _connect(self, read_only: bool) -> Iterator[DuckDBPyConnection]:
        """A connection, waiting with a bounded retry while another process holds the file."""
        import duckdb

        deadline = time.monotonic() + self.wait
        delay = 0.02
        intent = self.path.parent / f"{_WANT}{self.path.name}-{os.getpid()}-{id(self)}"
        while True:
            if read_only and self._writer_waiting() and time.monotonic() < deadline - 1.0:
                time.sleep(0.02 + 0.03 * random.random())  # a writer is waiting: let it in first
                continue
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.Error as exc:
                if not read_only:
                    with suppress(OSError):
                        intent.touch()  # readers give way while a writer waits
                if not _locked(exc):
                    _discard(intent)
                    raise CorridorError(f"cannot open the run history {clean(self.path)}: "
                                        f"{_first_line(exc)}") from None
                if time.monotonic() >= deadline:
                    _discard(intent)
                    raise CorridorError(
                        f"the run history {clean(self.path)} is held by another process (could not set lock "
                        f"on file for {self.wait:g} s; set {WAIT_ENV} to wait longer): {_first_line(exc)}"
                    ) from None
            except OSError as exc:
                _discard(intent)
                raise CorridorError(f"cannot open the run history {clean(self.path)}: "
                                    f"{reason(exc)}") from None
            time.sleep(min(delay, max(deadline - time.monotonic(), 0.0)) * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)
        _discard(intent)
        try:
            if not read_only:
                con.execute(SCHEMA)
            yield con
        except duckdb.Error as exc:
            raise CorridorError(f"cannot use the run history {clean(self.path)}: "
                                f"{_first_line(exc)}") from None
        finally:
            with suppress(Exception):
                con.close()

    def _writer_waiting(self) -> bool:
        """Whether a live writer waits for the file (stale marks of dead processes are removed)."""
        head = f"{_WANT}{self.path.name}-"
        try:
            marks = [p for p in self.path.parent.iterdir() if p.name.startswith(head)]
        except OSError:
            return False
        for p in marks:
            pid = p.name[len(head):].split("-", 1)[0]
            if pid.isdigit() and process_alive(int(pid)):
                return True
            _discard(p)
        return False

    @contextmanager
    def _reading(self) -> Iterator[DuckDBPyConnection | None]:
        """A read-only connection, or None when nothing has been recorded yet."""
        import duckdb

        if not self.path.exists():
            yield None
            return
        with self._connect(read_only=True) as con:
            try:
                con.execute("SELECT 1 FROM runs LIMIT 0")
            except duckdb.CatalogException:
                yield None  # a writer created the file and has not made its tables yet
                return
            yield con

    # -------------------------------------------------------------- writing
    def record(self, result: Run, *, parameters: dict | None = None, run_id: str | None = None) -> str:
        """Store a ScenarioResult as one transaction; return its id (`run_id`, or a new one)."""
        import duckdb

        if self.read_only:
            raise CorridorError("the run history is open read-only")
        rid = run_id or new_run_id()
        summary = result.to_dict()
        summary["run_id"] = rid
        params = parameters if parameters is not None else result.parameters()
        row = [rid, datetime.now(UTC).replace(tzinfo=None), result.name, result.method, code_version(),
               float(result.seconds), json.dumps(params, default=str), json.dumps(summary, default=str)]
        tables = _run_tables(result, rid)
        with self._connect(read_only=False) as con:
            try:
                con.execute("BEGIN TRANSACTION")
                con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
                for name, frame in tables.items():
                    con.register("frame_df", frame)
                    con.execute(f"INSERT INTO {name} SELECT * FROM frame_df")
                    con.unregister("frame_df")
                con.execute("COMMIT")
            except duckdb.Error as exc:
                with suppress(Exception):  # the failed commit may have ended the transaction already
                    con.execute("ROLLBACK")
                raise CorridorError(f"cannot record the run in {clean(self.path)}: "
                                    f"{_first_line(exc)}") from None
        return rid

    # -------------------------------------------------------------- reading
    def list(self, limit: int = 50, scenario: str | None = None) -> pd.DataFrame:
        """Most recent runs first: id, created, scenario, method, code_version, seconds, shares."""
        cols = ["id", "created", "scenario", "method", "code_version", "seconds"]
        with self._reading() as con:
            if con is None:
                return pd.DataFrame(columns=[*cols, "shares"])
            return self._list(con, cols, limit, scenario)

    def _list(self, con: DuckDBPyConnection, cols: Sequence[str], limit: int,
              scenario: str | None) -> pd.DataFrame:
        q = f"SELECT {', '.join(cols)} FROM runs"
        args: list = []
        if scenario:
            q += " WHERE scenario = ?"
            args.append(scenario)
        q += " ORDER BY created DESC LIMIT ?"
        args.append(int(limit))
        runs = con.execute(q, args).df()
        if runs.empty:
            return runs.assign(shares=[])
        sh = con.execute(
            "SELECT run_id, corridor, share FROM run_corridors WHERE run_id IN (SELECT UNNEST(?))",
            [list(runs["id"])]).df()
        shares = {rid: {r.corridor: round(float(r.share), 4) for r in g.itertuples()}
                  for rid, g in sh.groupby("run_id")}
        runs["shares"] = [shares.get(r, {}) for r in runs["id"]]
        return runs

    def resolve(self, run_id: str) -> str:
        """The full id of a run given a unique prefix."""
        with self._reading() as con:
            return self._resolve(con, run_id)

    def _resolve(self, con: DuckDBPyConnection | None, run_id: str) -> str:
        rid = str(run_id).strip()
        if not rid:
            raise CorridorError("give a run id (a unique prefix is enough; 'corridor runs list' shows them)")
        if con is None:
            raise CorridorError(f"no run '{clean(rid, 40)}': the run history {clean(self.path)} is empty")
        hits = [r[0] for r in con.execute(
            "SELECT id FROM runs WHERE starts_with(id, ?) ORDER BY created DESC", [rid]).fetchall()]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise CorridorError(f"run id '{clean(rid, 40)}' is ambiguous: {', '.join(hits[:5])}")
        recent = [r[0] for r in con.execute(
            "SELECT id FROM runs ORDER BY created DESC LIMIT 5").fetchall()]
        raise CorridorError(f"no run '{clean(rid, 40)}'" + (f"; recent runs: {', '.join(recent)}" if recent
                                                       else "; the history is empty")
                            + " ('corridor runs list' shows them)")

    def get(self, run_id: str) -> dict:
        """One run: its row, parameters, summary, and the corridor, country and link tables."""
        with self._reading() as con:
            return self._get(con, self._resolve(con, run_id))

    def _get(self, con: DuckDBPyConnection | None, rid: str) -> dict:
        row = None if con is None else con.execute(
            "SELECT id, created, scenario, method, code_version, seconds, parameters, summary "
            "FROM runs WHERE id = ?", [rid]).fetchone()
        if con is None or row is None:  # removed since `_resolve` found it
            raise CorridorError(f"no run '{clean(rid, 40)}' in the run history {clean(self.path)}")
        keys = ["id", "created", "scenario", "method", "code_version", "seconds"]
        out = dict(zip(keys, row[:6], strict=True))
        out["created"] = str(out["created"])
        out["parameters"] = json.loads(row[6])
        out["summary"] = json.loads(row[7])
        for name, table in (("corridors", "run_corridors"), ("countries", "run_countries"),
                            ("links", "run_links")):
            out[name] = con.execute(f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = ?", [rid]).df()
        return out


def _run_tables(result: Run, rid: str) -> dict[str, pd.DataFrame]:
    """A run's corridor, country and link rows, in the columns of their tables."""
    corridors = result.corridors.assign(run_id=rid)[["run_id", "corridor", "teu", "share", "mean_days",
                                                     "p90_days", "usd_per_teu"]]
    countries = pd.DataFrame({"run_id": rid, "country": list(result.countries),
                              "teu_entering": [float(v) for v in result.countries.values()]})
    lk = result.flows.links
    links = pd.DataFrame({"run_id": rid, "link_id": lk["link_id"].astype(str),
                          "name": lk["name"].astype(str) if "name" in lk else "",
                          "mode": lk["mode"].astype(str) if "mode" in lk else "",
                          "flow_teu": lk["flow_teu"].astype(float),
                          "capacity_teu_yr": lk["capacity_teu_yr"].astype(float),
                          "v_c": lk["v_c"].astype(float)})
    return {"run_corridors": corridors, "run_countries": countries, "run_links": links}
