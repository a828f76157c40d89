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
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .errors import CorridorError

DB_NAME = "runs.duckdb"

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

class RunStore:
    """A DuckDB file of runs; use as a context manager (or call close())."""

    def __init__(self, path: str | Path | None = None, *, home: str | Path | None = None,
                 read_only: bool = False):
        import duckdb

        self.path = Path(path) if path is not None else store_path(home)
        self._con = None
        if read_only and not self.path.exists():
            return  # nothing recorded yet: an empty history
        try:
            if not read_only:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con = duckdb.connect(str(self.path), read_only=read_only)
            if not read_only:
                self._con.execute(SCHEMA)
        except (OSError, duckdb.Error) as exc:
            raise CorridorError(f"cannot open the run history {self.path}: {exc}") from exc

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    # -------------------------------------------------------------- writing
    def record(self, result, *, parameters: dict | None = None, run_id: str | None = None) -> str:
        """Store a ScenarioResult; return its id (`run_id`, or a new one)."""
        if self._con is None:
            raise CorridorError("the run history is open read-only")
        rid = run_id or new_run_id()
        summary = result.to_dict()
        summary["run_id"] = rid
        params = parameters if parameters is not None else result.parameters()
        con = self._con
        import duckdb

        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [rid, datetime.now(UTC).replace(tzinfo=None), result.name, result.method,
                         code_version(), float(result.seconds), json.dumps(params, default=str),
                         json.dumps(summary, default=str)])
            c = result.corridors.assign(run_id=rid)[["run_id", "corridor", "teu", "share", "mean_days",
                                                     "p90_days", "usd_per_teu"]]
            con.register("c_df", c)
            con.execute("INSERT INTO run_corridors SELECT * FROM c_df")
            con.unregister("c_df")
            k = pd.DataFrame({"run_id": rid, "country": list(result.countries),
                              "teu_entering": [float(v) for v in result.countries.values()]})
            con.register("k_df", k)
            con.execute("INSERT INTO run_countries SELECT run_id, country, teu_entering FROM k_df")
            con.unregister("k_df")
            lk = result.flows.links
            links = pd.DataFrame({"run_id": rid, "link_id": lk["link_id"].astype(str),
                                  "name": lk["name"].astype(str) if "name" in lk else "",
                                  "mode": lk["mode"].astype(str) if "mode" in lk else "",
                                  "flow_teu": lk["flow_teu"].astype(float),
                                  "capacity_teu_yr": lk["capacity_teu_yr"].astype(float),
                                  "v_c": lk["v_c"].astype(float)})
            con.register("l_df", links)
            con.execute("INSERT INTO run_links SELECT * FROM l_df")
            con.unregister("l_df")
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise CorridorError(f"cannot record the run in {self.path}: {exc}") from exc
        except Exception:
            con.execute("ROLLBACK")
            raise
        return rid

    # -------------------------------------------------------------- reading
    def list(self, limit: int = 50, scenario: str | None = None) -> pd.DataFrame:
        """Most recent runs first: id, created, scenario, method, code_version, seconds, shares."""
        cols = ["id", "created", "scenario", "method", "code_version", "seconds"]
        if self._con is None:
            return pd.DataFrame(columns=[*cols, "shares"])
        q = f"SELECT {', '.join(cols)} FROM runs"
        args: list = []
        if scenario:
            q += " WHERE scenario = ?"
            args.append(scenario)
        q += " ORDER BY created DESC LIMIT ?"
        args.append(int(limit))
        runs = self._con.execute(q, args).df()
        if runs.empty:
            return runs.assign(shares=[])
        sh = self._con.execute(
            "SELECT run_id, corridor, share FROM run_corridors WHERE run_id IN (SELECT UNNEST(?))",
            [list(runs["id"])]).df()
        shares = {rid: {r.corridor: round(float(r.share), 4) for r in g.itertuples()}
                  for rid, g in sh.groupby("run_id")}
        runs["shares"] = [shares.get(r, {}) for r in runs["id"]]
        return runs

    def resolve(self, run_id: str) -> str:
        """The full id of a run given a unique prefix."""
        rid = str(run_id).strip()
        if not rid:
            raise CorridorError("give a run id (a unique prefix is enough; 'corridor runs list' shows them)")
        if self._con is None:
            raise CorridorError(f"no run '{rid[:40]}': the run history {self.path} is empty")
        hits = [r[0] for r in self._con.execute(
            "SELECT id FROM runs WHERE starts_with(id, ?) ORDER BY created DESC", [rid]).fetchall()]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise CorridorError(f"run id '{rid}' is ambiguous: {', '.join(hits[:5])}")
        recent = [r[0] for r in self._con.execute(
            "SELECT id FROM runs ORDER BY created DESC LIMIT 5").fetchall()]
        raise CorridorError(f"no run '{rid[:40]}'" + (f"; recent runs: {', '.join(recent)}" if recent
                                                       else "; the history is empty")
                            + " ('corridor runs list' shows them)")

    def get(self, run_id: str) -> dict:
        """One run: its row, parameters, summary, and the corridor, country and link tables."""
        rid = self.resolve(run_id)
        con = self._con
        row = con.execute("SELECT id, created, scenario, method, code_version, seconds, parameters, summary "
                          "FROM runs WHERE id = ?", [rid]).fetchone()
        keys = ["id", "created", "scenario", "method", "code_version", "seconds"]
        out = dict(zip(keys, row[:6], strict=True))
        out["created"] = str(out["created"])
        out["parameters"] = json.loads(row[6])
        out["summary"] = json.loads(row[7])
        for name, table in (("corridors", "run_corridors"), ("countries", "run_countries"),
                            ("links", "run_links")):
            out[name] = con.execute(f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = ?", [rid]).df()
        return out
