"""Start-up stays light: `import corridor` and `corridor --help` load no heavy library, and drawing
a map leaves a user's matplotlib backend alone. Each check runs in a fresh interpreter, since
this test session has long since imported everything. No timings here (they vary by machine)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SERVERS_AND_PLOTS = ("matplotlib", "fastapi", "uvicorn", "duckdb")
NUMERICS = ("pandas", "numpy", "scipy", "pyarrow")


def _fresh(code: str) -> dict:
    """Run `code` in a new interpreter; it prints one JSON object last."""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def _loaded_after(statements: str, watch: tuple[str, ...]) -> list[str]:
    code = (f"import json, sys\n{statements}\n"
            f"print(json.dumps([m for m in {watch!r} if m in sys.modules]))")
    return _fresh(code)  # type: ignore[return-value]


def test_import_corridor_loads_no_server_plot_or_database():
    assert _loaded_after("import corridor", SERVERS_AND_PLOTS) == []


@pytest.mark.parametrize("argv", [
    ["--help"],
    ["route", "--help"],
    ["assign", "--help"],
    ["scenario", "--help"],
    ["scenario", "run", "--help"],
    ["caspian", "simulate", "--help"],
    ["network", "export", "--help"],
    ["appraise", "--help"],
])
def test_cli_help_loads_no_model_dependency(argv):
    run = (f"sys.argv = ['corridor', *{argv!r}]\n"
           "from corridor.cli import main\n"
           "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n")
    assert _loaded_after(run, SERVERS_AND_PLOTS + NUMERICS) == []


def test_cli_choices_come_from_the_library_vocabulary():
    """The options offered are the library's own names, never a hand copy."""
    from corridor import vocabulary
    from corridor.cli.analysis import Pairs, RankBy
    from corridor.cli.assign import Method
    from corridor.cli.network import NetworkFormat
    from corridor.cli.routing import Distinct, Kind, Objective

    for enum, values in ((Objective, vocabulary.OBJECTIVES), (Kind, vocabulary.NODE_KINDS),
                         (Distinct, vocabulary.DISTINCT), (Method, vocabulary.METHODS),
                         (NetworkFormat, vocabulary.NETWORK_FORMATS), (RankBy, vocabulary.RANK_BY),
                         (Pairs, vocabulary.PAIRS)):
        assert [e.value for e in enum] == list(values)


def test_vocabulary_is_what_the_library_checks():
    import inspect

    import corridor
    from corridor import vocabulary
    from corridor.costs import OBJECTIVES
    from corridor.network.policy import PASSAGES, YEARS

    assert OBJECTIVES is vocabulary.OBJECTIVES
    assert PASSAGES is vocabulary.PASSAGES and YEARS is vocabulary.YEARS
    assert inspect.signature(corridor.assign).parameters["method"].default == vocabulary.DEFAULT_METHOD
    assert set(vocabulary.AVOIDABLE_MODES) < set(vocabulary.MODES)


def test_viz_leaves_the_matplotlib_backend_alone(tmp_path):
    """A notebook user's backend survives importing the maps and drawing one; pyplot stays out."""
    png = tmp_path / "map.png"
    code = f"""
import json, sys
import corridor.viz.charts, corridor.viz.maps
lazy = "matplotlib" not in sys.modules
import matplotlib
matplotlib.use("svg")
before = matplotlib.get_backend()
import corridor
from corridor.viz.maps import plot_routes
net = corridor.load_network()
rs = corridor.route(net, "Xian", "Duisburg")
plot_routes(net, rs.routes, {str(png)!r}, title="test")
print(json.dumps({{"lazy": lazy, "before": before, "after": matplotlib.get_backend(),
                   "pyplot": "matplotlib.pyplot" in sys.modules}}))
"""
    r = _fresh(code)
    assert r["lazy"], "importing corridor.viz loaded matplotlib"
    assert r["after"] == r["before"] == "svg"
    assert not r["pyplot"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
