"""The house's rules, checked on the code itself: imports point down the layers, no import cycles,
no module takes another's private names, and `import corridor` stays light.

Every import counts (module level or inside a function), except those under `if TYPE_CHECKING:`,
which exist only for type checkers.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "corridor"

# bottom to top; a module may import its own layer and those below it
LAYERS = [
    ("core", ["errors", "bounds", "readers", "output", "folders", "datafiles", "yamlio", "vocabulary",
              "queueing", "heap", "forking"]),
    ("network", ["network"]),
    ("caspian", ["caspian"]),  # the crossing's wait curves are part of the cost model
    ("world", ["costs", "premiums", "world", "demand", "store"]),
    ("models", ["routing"]),
    ("assignment", ["assignment"]),
    ("scenarios", ["scenarios"]),
    ("analysis", ["analysis"]),
    ("presentation", ["viz", "report"]),
    ("interfaces", ["cli", "web"]),
]
RANK = {top: i for i, (_, tops) in enumerate(LAYERS) for top in tops}


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = p.relative_to(PKG).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    return lines


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken, line) for every import of a corridor module in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    pkg = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif (node.module or "").startswith("corridor"):
                target = node.module[len("corridor"):].lstrip(".")
            else:
                continue
            out.append((target, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("corridor."):
                    out.append((a.name[len("corridor."):], [], node.lineno))
    return out


def _resolve(target: str, names: list[str], modules: dict[str, Path]) -> list[str]:
    """The modules an import reaches: `from pkg import module` names a module, else the target."""
    hits = [f"{target}.{n}" if target else n for n in names]
    found = [h for h in hits if h in modules]
    return found or [target]


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for m, p in modules.items():
        for target, names, _ in _imports(m, p):
            for t in _resolve(target, names, modules):
                if t != m and t in modules:
                    graph[m].add(t)
    return graph


def _rank(module: str) -> int | None:
    return RANK.get(module.split(".")[0]) if module else None


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in _modules() if m and _rank(m) is None)
    assert not unplaced, f"modules with no layer in LAYERS: {unplaced}"


def test_imports_point_down():
    upward = []
    for m, deps in _graph().items():
        if not m:  # corridor/__init__: the public API, loaded lazily, may name any module
            continue
        for d in deps:
            if d and _rank(d) > _rank(m):
                upward.append(f"{m} -> {d}")
    assert not upward, "imports that point up the layers:\n" + "\n".join(sorted(upward))


def test_no_import_cycles():
    graph = _graph()
    graph.pop("", None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_no_private_names_across_modules():
    modules = _modules()
    taken = []
    for m, p in modules.items():
        for target, names, line in _imports(m, p):
            if target == m:
                continue
            for n in names:
                if n.startswith("_") and not n.startswith("__") and f"{target}.{n}" not in modules:
                    taken.append(f"{m}:{line} takes {target}.{n}")
    assert not taken, "private names imported from another module:\n" + "\n".join(taken)


@pytest.mark.parametrize("code, heavy", [
    ("import corridor", ("matplotlib", "fastapi", "uvicorn", "duckdb")),
    ("import corridor; corridor.load_network()", ("matplotlib", "fastapi", "uvicorn", "duckdb")),
])
def test_importing_corridor_is_light(code, heavy):
    probe = f"import sys; {code}; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{code!r} loaded {out.stdout.strip()}"
