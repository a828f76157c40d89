"""The static checks issue 10 puts in `make test`: mypy on the package with the repository's
configuration (pyproject.toml [tool.mypy]: strict on the typed rooms, pydantic's plugin) and ruff with
its complexity limit (C901). Any error fails, with the tool's own report and the errors counted per file.

mypy keeps its cache in .mypy_cache, so a second run takes a second; the first, on a fresh machine,
takes a minute (the test is marked slow).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "corridor"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
MYPY_ERROR = r"^(src/[^:]+):\d+: error"  # file of each error in mypy's report
RUFF_ERROR = r"^([^:]+):\d+:\d+: "  # and in ruff's (concise)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """A tool of this environment, run from the repository's root (so it reads pyproject.toml)."""
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)


def _per_file(report: str, pattern: str) -> str:
    """Errors counted per file, most first: what is left, and where."""
    counts = Counter(re.findall(pattern, report, flags=re.M))
    return "\n".join(f"{n:5d}  {f}" for f, n in counts.most_common())


def test_the_checks_are_configured():
    """The limits are in the configuration, where every run of the tools reads them: mypy checks
    the whole package with pydantic's plugin and codes on every ignore; ruff limits complexity."""
    mypy = CONFIG["tool"]["mypy"]
    assert mypy["files"] == ["src/corridor"]
    assert "pydantic.mypy" in mypy["plugins"] and "ignore-without-code" in mypy["enable_error_code"]
    strict = [o for o in mypy["overrides"] if o.get("disallow_untyped_defs")]
    typed = {"corridor.network.*", "corridor.routing.*", "corridor.costs"}
    assert strict and typed <= set(strict[0]["module"])
    lint = CONFIG["tool"]["ruff"]["lint"]
    assert "C901" in lint["select"] and lint["mccabe"]["max-complexity"] <= 15


@pytest.mark.slow
def test_mypy_finds_no_error():
    r = _run("mypy")  # the files and the strictness come from pyproject.toml
    report = r.stdout + r.stderr
    assert r.returncode == 0, (f"mypy: {report.strip().splitlines()[-1]}\n{_per_file(report, MYPY_ERROR)}"
                               f"\n\n{report[-12000:]}")


def test_ruff_finds_no_error_and_no_function_too_complex():
    r = _run("ruff", "check", "src", "tests", "--output-format", "concise")
    report = r.stdout + r.stderr
    limit = CONFIG["tool"]["ruff"]["lint"]["mccabe"]["max-complexity"]
    assert r.returncode == 0, (f"ruff (C901: more than {limit} branches)\n{_per_file(report, RUFF_ERROR)}"
                               f"\n\n{report[-12000:]}")


def test_every_type_ignore_says_why():
    """An ignore names its error code (mypy checks that) and says why, on its line or the line above:
    a reader must see what the checker cannot know."""
    bare = []
    for path in sorted(PKG.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            m = re.search(r"#\s*type:\s*ignore\[[^\]]*\](.*)$", line)
            if m is None:
                continue
            said = re.match(r"\s*#\s*\S", m.group(1)) is not None
            prev = re.sub(r"#\s*type:\s*ignore\[[^\]]*\]", "", lines[i - 1]) if i else ""
            above = re.search(r"#\s*\S", prev) is not None  # a comment, not another ignore
            if not (said or above):
                bare.append(f"{path.relative_to(ROOT)}:{i + 1}: {line.strip()}")
    assert not bare, "type: ignore without a reason:\n" + "\n".join(bare)
