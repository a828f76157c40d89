"""Scenario files: finding and listing them, reading YAML with line numbers and duplicate keys, and
inheritance by `base` (cycles caught)."""

from __future__ import annotations

import difflib
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import pandas as pd
import yaml
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from ..datafiles import bundled_data_dir
from ..errors import CorridorError, Problem
from ..readers import read_input_text
from ..yamlio import MAX_YAML_BYTES, YamlProblem, check_yaml, line_at, line_index, yaml_path
from .schema import SCENARIO_DIR_NAME, Scenario, model_in


def scenario_dir() -> Path:
    return bundled_data_dir() / SCENARIO_DIR_NAME


def _bundled() -> dict[str, Path]:
    d = scenario_dir()
    return {p.stem: p for p in sorted(d.glob("*.yaml"))} if d.is_dir() else {}


def find_scenario(name_or_path: str | Path, *, relative_to: Path | None = None) -> Path:
    """The file meant by a bundled scenario name or a path (relative to `relative_to`'s folder)."""
    s = str(name_or_path)
    p = Path(s)
    if s.endswith((".yaml", ".yml")) or "/" in s or "\\" in s:
        near = [relative_to.parent / p] if relative_to is not None and not p.is_absolute() else []
        for cand in [*near, p]:
            if cand.is_file():
                return cand
        raise CorridorError(f"scenario file not found: {s}")
    bundled = _bundled()
    if relative_to is not None:  # a base next to the file comes before a bundled one
        for ext in (".yaml", ".yml"):
            cand = relative_to.parent / f"{s}{ext}"
            # ... but not the naming file itself: my titr-2030.yaml with `base: titr-2030` means
            # the bundled one
            if cand.is_file() and cand.resolve() != relative_to.resolve():
                return cand
    if s in bundled:
        return bundled[s]
    close = difflib.get_close_matches(s, list(bundled), n=3, cutoff=0.5)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise CorridorError(f"unknown scenario '{s[:60]}'{hint} (bundled: {', '.join(bundled) or 'none'}; "
                        "or give a path to a .yaml file)")


def list_scenarios() -> pd.DataFrame:
    """The bundled scenarios: name, year (inherited if the file has none), base, description, file."""
    rows = []
    for name, path in _bundled().items():
        files = scenario_chain(path, [])  # base first; problems are for `load_scenario` to report
        raw = files[-1].raw
        year = next((f.raw["year"] for f in reversed(files) if f.raw.get("year") is not None), None)
        rows.append({"name": name, "year": year, "base": raw.get("base"),
                     "description": " ".join(str(raw.get("description", "")).split()), "file": str(path)})
    return pd.DataFrame(rows, columns=["name", "year", "base", "description", "file"]).astype(object)

# a scenario file's problems are located like any YAML file's (line, YAML path)
ScenarioProblem = YamlProblem


def _model_at(loc: tuple) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        fields = {(f.alias or n): f for n, f in model.model_fields.items()}
        f = fields.get(part)
        if f is None:
            return model if part in ("", None) else None
        model = model_in(f.annotation)
    return model


def _pydantic_problems(exc: PydanticError, fname: str, idx: dict) -> list[Problem]:
    out: list[Problem] = []
    for e in exc.errors():
        loc = tuple(x for x in e["loc"] if not (isinstance(x, str) and x.startswith("function-")))
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            model = _model_at(loc[:-1])
            allowed = sorted((f.alias or n) for n, f in model.model_fields.items()
                             if n != "chain") if model else []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=2, cutoff=0.6)
            msg = f"unknown key '{loc[-1]}'" + (f" (did you mean {', '.join(close)}?)" if close else "")
            if allowed:
                msg += f"; allowed: {', '.join(allowed)}"
        elif e["type"] == "missing":
            msg = "required field missing"
        elif "input" in e and (e["type"] in ("literal_error", "enum") or e["type"].endswith("_parsing")):
            shown = repr(e["input"]) if not isinstance(e["input"], dict | list) else type(e["input"]).__name__
            msg = f"{msg}; got {shown[:60]}"
        out.append(ScenarioProblem(fname, line_at(idx, loc), yaml_path(loc), msg))
    return out


class _Loader(yaml.SafeLoader):
    """A SafeLoader that notes duplicate mapping keys (YAML would keep the last one silently)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []  # key, its line, the line of its first use

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for k, _ in node.value:
                if not isinstance(k, yaml.ScalarNode) or k.tag == "tag:yaml.org,2002:merge":
                    continue  # '<<' merge keys may override on purpose
                line = k.start_mark.line + 1
                if k.value in first:
                    self.duplicates.append((k.value, line, first[k.value]))
                else:
                    first[k.value] = line
        return super().construct_mapping(node, deep=deep)


def _load_yaml(text: str) -> tuple[object, list[tuple[str, int, int]]]:
    """The YAML document and its duplicate keys (key, line, first line); raises yaml.YAMLError (also
    for a document past the nesting or alias budget, `yamlio.check_yaml`)."""
    check_yaml(text)
    loader = _Loader(text)
    try:
        return loader.get_single_data(), loader.duplicates
    finally:
        loader.dispose()


def _duplicate_problems(fname: str, idx: dict, dups: list[tuple[str, int, int]]) -> list[Problem]:
    out: list[Problem] = []
    for key, line, first in dups:
        path = next((p for p, ln in idx.items() if ln == first and p and p[-1] == key), None)
        out.append(ScenarioProblem(fname, line, yaml_path(path) if path else str(key),
                                   f"duplicate key '{str(key)[:40]}' (first on line {first}): YAML would "
                                   "keep only this one and drop the first; merge them into one"))
    return out


@dataclass
class ScenarioFile:
    """One file of a scenario chain: its mapping as read, the line of each YAML path, and its model
    (None when the file does not validate: its problems are reported already)."""

    path: Path
    raw: dict
    idx: dict
    model: Scenario | None


def read_scenario_file(path: Path, problems: list[Problem]) -> ScenarioFile:
    fname = str(path)
    try:
        text = read_input_text(path, max_bytes=MAX_YAML_BYTES)
    except OSError as exc:
        problems.append(ScenarioProblem(fname, None, None, f"cannot be read: {exc.strerror or exc}"))
        return ScenarioFile(path, {}, {}, None)
    except UnicodeDecodeError as exc:
        problems.append(ScenarioProblem(fname, None, None, f"cannot be read: {exc}"))
        return ScenarioFile(path, {}, {}, None)
    try:
        raw, dups = _load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(ScenarioProblem(fname, mark.line + 1 if mark else None, None,
                                        f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return ScenarioFile(path, {}, {}, None)
    idx = line_index(text)
    problems += _duplicate_problems(fname, idx, dups)
    if not isinstance(raw, dict):
        problems.append(ScenarioProblem(fname, 1, None, "a scenario file is a YAML mapping (name: ..., ...)"))
        return ScenarioFile(path, {}, idx, None)
    if "chain" in raw:  # filled by load_scenario, not a key of the format
        problems.append(ScenarioProblem(fname, line_at(idx, ("chain",)), "chain",
                                        "unknown key 'chain' (it is filled in when the file is loaded)"))
        raw = {k: v for k, v in raw.items() if k != "chain"}
    try:
        model = Scenario.model_validate(raw)
    except PydanticError as exc:
        problems += _pydantic_problems(exc, fname, idx)
        model = None
    return ScenarioFile(path, raw, idx, model)


def scenario_chain(path: Path, problems: list[Problem]) -> list[ScenarioFile]:
    """The file and its bases, base first; a cycle is a problem, not a hang."""
    files: list[ScenarioFile] = []
    seen: list[Path] = []
    cur: Path | None = path
    while cur is not None:
        key = cur.resolve()
        if key in seen:
            names = [p.name for p in seen] + [cur.name]
            problems.append(ScenarioProblem(str(files[-1].path), line_at(files[-1].idx, ("base",)), "base",
                                            "inheritance cycle: " + " -> ".join(names)))
            break
        seen.append(key)
        f = read_scenario_file(cur, problems)
        files.append(f)
        base = f.raw.get("base") if isinstance(f.raw, dict) else None
        if base is None:
            break
        try:
            cur = find_scenario(str(base), relative_to=cur)
        except CorridorError as exc:
            problems.append(ScenarioProblem(str(cur), line_at(f.idx, ("base",)), "base", str(exc)))
            break
    return files[::-1]


@overload
def merge_raw(a: dict, b: dict) -> dict: ...
@overload
def merge_raw(a: object, b: object) -> object: ...
def merge_raw(a: object, b: object) -> object:
    """Maps merge, lists append, values replace."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge_raw(a[k], v) if k in a else v
        return out
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    return b
