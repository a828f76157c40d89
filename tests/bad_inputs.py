"""The bad-input corpus: malformed networks, demand tables, scenarios and projects, hostile command-line
arguments and API requests, each run in its own process under a memory and time limit.

Every case must end with a clear error (exit 1 or 2 with a message, a 4xx JSON body) or a correct
result (exit 0, 2xx), as its `expect` says: no traceback, no hang, no 5xx, and a peak resident
memory under `PEAK_MB`. `tests/test_hardening.py` runs it in CI; by hand:

    python -m tests.bad_inputs [--out DIR] [--only SUBSTRING] [--jobs 2]

prints one line per case and a summary (cases, errors, results, tracebacks, hangs, peak memory).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.bad_input_cases import Case, generate

PEAK_MB = 1000  # the acceptance limit per case (resident memory)
AS_LIMIT = 4 * 1024**3  # address space: a runaway allocation fails here instead of taking the machine

# runs `corridor ARGS` and reports its peak resident memory in the file $CORPUS_PEAK
_CLI = """
import atexit, os, resource, sys
def _peak():
    r = resource.getrusage(resource.RUSAGE_SELF)
    with open(os.environ["CORPUS_PEAK"], "w") as f:
        f.write(f"{r.ru_maxrss} {r.ru_utime + r.ru_stime}")
atexit.register(_peak)
from corridor.cli import main
sys.argv = ["corridor", *sys.argv[1:]]
main()
"""

# runs API requests one by one against the app on the bundled network; one JSON line per request
_API = """
import json, os, resource, sys, time, warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
import corridor
from corridor.web import create_app
client = TestClient(create_app(corridor.load_network()), raise_server_exceptions=False)
for line in sys.stdin:
    case = json.loads(line)
    print(json.dumps({"start": case["name"]}), flush=True)
    t0 = time.perf_counter()
    method, url, body, headers = case["request"]
    kw = {"headers": headers or {}}
    if isinstance(body, str):
        kw["content"] = body.encode("utf-8", "surrogatepass")
    elif body is not None:
        kw["json"] = body
    r = client.request(method, url, **kw)
    print(json.dumps({"name": case["name"], "status": r.status_code, "body": r.text[:400],
                      "seconds": time.perf_counter() - t0,
                      "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
"""


@dataclass
class Outcome:
    case: Case
    status: str  # ok, error, traceback, crash, hang, server-error
    seconds: float
    peak_mb: float
    output: str
    rc: int | None = None
    cpu_s: float = 0.0  # CPU seconds of the case's process (a loaded machine stretches only the wall time)

    @property
    def problem(self) -> str | None:
        """Why this outcome fails the corpus (None when it passes)."""
        if self.status in ("traceback", "crash", "hang", "server-error"):
            return self.status
        if self.peak_mb > PEAK_MB:
            return f"peak memory {self.peak_mb:.0f} MB"
        if self.case.expect == "error" and self.status != "error":
            return "accepted silently"
        if self.case.expect == "ok" and self.status != "ok":
            return "refused"
        if self.case.match and not re.search(self.case.match, self.output, re.IGNORECASE | re.DOTALL):
            return f"message lacks /{self.case.match}/"
        if (
            re.search(r"\x1b\[[0-9;]*[A-Za-z]|\x1b\]", self.output.replace("\x1b[0m", ""))
            and "ansi" in self.case.name
        ):
            return "echoed a control sequence"
        return None


# ------------------------------------------------------------------ running them


def _limits(timeout: float) -> Callable[[], None]:
    def apply() -> None:
        os.setsid()  # its own process group: a hang is killed with everything it started
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
        cpu = int(timeout) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))

    return apply


def _env(case: Case, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CORRIDOR_HOME": str(home),
            "PYTHONWARNINGS": "ignore",
            "COLUMNS": "150",
            "PYTHONIOENCODING": "utf-8",
        },
        **case.env,
    )
    return env


def run_cli(case: Case, home: Path) -> Outcome:
    """Run one command-line case in a child process under the limits."""
    fd, peak_file = tempfile.mkstemp(prefix="corpus-peak-")
    os.close(fd)
    env = _env(case, home) | {"CORPUS_PEAK": peak_file}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLI, *case.argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        preexec_fn=_limits(case.timeout),
        cwd=str(home),
    )
    try:
        out, err = proc.communicate(timeout=case.timeout)
        status = None
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        status = "hang"
    seconds = time.perf_counter() - t0
    text = out.decode("utf-8", "replace") + err.decode("utf-8", "replace")
    try:
        kb, cpu = Path(peak_file).read_text().split()
        peak_mb, cpu_s = int(kb) / 1024, float(cpu)
    except (OSError, ValueError):
        peak_mb, cpu_s = 0.0, 0.0
    finally:
        Path(peak_file).unlink(missing_ok=True)
    rc = proc.returncode
    if status is None:
        if "Traceback (most recent call last)" in text:
            status = "traceback"
        elif rc == 0:
            status = "ok"
        elif rc in (1, 2) and re.search(r"^(error|Error)[: ]|\"error\"", text, re.MULTILINE):
            status = "error"
        else:
            status = "crash"
    return Outcome(case, status, seconds, peak_mb, text, rc, cpu_s)


def run_api(cases: list[Case], home: Path, timeout: float = 300.0) -> list[Outcome]:
    """Run the API cases in one child process (each request timed; the batch under the limits)."""
    if not cases:
        return []
    lines = "".join(json.dumps({"name": c.name, "request": list(c.request)}) + "\n" for c in cases)
    proc = subprocess.Popen(
        [sys.executable, "-c", _API],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(cases[0], home),
        preexec_fn=_limits(timeout),
    )
    try:
        out, err = proc.communicate(lines.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    got, started = {}, None
    for line in out.decode().splitlines():
        d = json.loads(line)
        if "start" in d:
            started = d["start"]
        else:
            got[d["name"]] = d
            started = None
    by_name = {c.name: c for c in cases}
    outcomes = []
    for c in cases:
        d = got.get(c.name)
        if d is None:
            status = "hang" if c.name == started else "crash"
            outcomes.append(Outcome(c, status, 0.0, 0.0, err.decode("utf-8", "replace")[-2000:]))
            continue
        code = d["status"]
        status = "ok" if code < 400 else "error" if code < 500 else "server-error"
        if status == "error" and not re.search(r'"(error|detail)"', d["body"]):
            status = "crash"
        outcomes.append(
            Outcome(by_name[c.name], status, d["seconds"], d["peak_kb"] / 1024, f"{code} {d['body']}")
        )
    return outcomes


def run_all(
    cases: list[Case], home: Path, jobs: int = 2, report: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Every case: the command-line ones `jobs` at a time, the API ones in one batch beside them."""
    home.mkdir(parents=True, exist_ok=True)
    cli = [c for c in cases if c.argv is not None]
    api = [c for c in cases if c.request is not None]
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        api_future = pool.submit(run_api, api, home)
        for o in pool.map(lambda c: run_cli(c, home), cli):
            outcomes.append(o)
            if report:
                report(o)
        for o in api_future.result():
            outcomes.append(o)
            if report:
                report(o)
    return outcomes


def summary(outcomes: list[Outcome]) -> dict:
    count = {
        s: sum(o.status == s for o in outcomes)
        for s in ("ok", "error", "traceback", "crash", "hang", "server-error")
    }
    by_area: dict[str, int] = {}
    for o in outcomes:
        by_area[o.case.area] = by_area.get(o.case.area, 0) + 1
    failed = [o for o in outcomes if o.problem]
    return {
        "cases": len(outcomes),
        "by_area": by_area,
        **count,
        "peak_mb": round(max((o.peak_mb for o in outcomes), default=0.0), 1),
        "slowest_s": round(max((o.seconds for o in outcomes), default=0.0), 1),
        "failed": [(o.case.name, o.problem) for o in failed],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="Where to write the inputs (default: a temp dir).")
    ap.add_argument("--only", default=None, help="Run only cases whose name contains this.")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="corridor-corpus-"))
    cases = generate(root / "inputs")
    if args.only:
        cases = [c for c in cases if args.only in c.name]

    def show(o: Outcome) -> None:
        flag = "FAIL " + str(o.problem) if o.problem else "pass"
        print(f"{o.case.name:55s} {o.status:12s} {o.seconds:6.1f}s {o.peak_mb:7.0f}MB  {flag}", flush=True)

    outcomes = run_all(cases, root / "home", jobs=args.jobs, report=show)
    print(json.dumps(summary(outcomes), indent=1))


if __name__ == "__main__":
    main()
