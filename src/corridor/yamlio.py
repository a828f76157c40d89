"""Reading YAML safely, and where a problem in a YAML file is: its line and its YAML path.

`check_yaml` bounds what a small file can ask for before anything is built: nesting at most
`MAX_DEPTH` deep and at most `MAX_VALUES` values once every alias is expanded (a 1 KB "billion
laughs" file would otherwise expand to billions), counted from the parser's events without
expanding anything; `load_yaml` checks, then loads with PyYAML's safe loader. A refusal is a
`yaml.MarkedYAMLError` at its line, so every reader reports it like a syntax error.

A YAML file's problems are reported like a CSV file's (`Problem(file, row, column, message)`),
with the line as the row and the YAML path (`projects[0].infrastructure.nodes[0].capacity_teu_yr`)
as the column. `line_index` maps every mapping key and sequence item to its line (an alias's
target is walked once, where it is defined), `line_at` finds the line of a path (or of its
nearest parent) and `yaml_path` writes a path.
"""

from __future__ import annotations

from typing import Any, cast

import yaml

from .errors import Problem

__all__ = ["MAX_DEPTH", "MAX_VALUES", "MAX_YAML_BYTES", "YamlLimitError", "YamlProblem", "check_yaml",
           "line_at", "line_index", "load_yaml", "yaml_path"]

MAX_DEPTH = 64  # nested mappings and sequences

MAX_YAML_BYTES = 4_000_000  # a scenario or projects file (the bundled ones are a few KB)

MAX_VALUES = 200_000  # values of the document with every alias expanded


class YamlLimitError(yaml.MarkedYAMLError):
    """A YAML document past `MAX_DEPTH` or `MAX_VALUES`, at the line where it went past."""


def _start(ev: yaml.Event) -> yaml.Mark | None:
    # yaml.parse runs the pure-Python parser, whose events carry yaml.Mark (the stubs also allow
    # the C parser's mark, which MarkedYAMLError's stub does not take)
    return cast("yaml.Mark | None", ev.start_mark)


def check_yaml(text: str) -> None:
    """Refuse a document nested deeper than `MAX_DEPTH` or holding more than `MAX_VALUES` values
    once its aliases are expanded, before building it; raises YamlLimitError (a YAMLError) at the
    line where the limit is passed, or the parser's own YAMLError."""
    sizes: dict[str | None, int] = {}  # anchor -> values it expands to
    stack: list[list[Any]] = [[0, None]]  # open collections: [values so far, anchor]
    for ev in yaml.parse(text):
        if isinstance(ev, yaml.CollectionStartEvent):
            if len(stack) > MAX_DEPTH:
                raise YamlLimitError(None, None, f"nested more than {MAX_DEPTH} levels deep", _start(ev))
            stack.append([0, ev.anchor])
            continue
        if isinstance(ev, yaml.CollectionEndEvent):
            count, anchor = stack.pop()
            n = count + 1
        elif isinstance(ev, yaml.ScalarEvent):
            n, anchor = 1, ev.anchor
        elif isinstance(ev, yaml.AliasEvent):
            n, anchor = sizes.get(ev.anchor, 1), None
        else:
            continue
        if anchor is not None:
            sizes[anchor] = n
        stack[-1][0] += n
        if sum(c for c, _ in stack) > MAX_VALUES:
            raise YamlLimitError(None, None, f"expands to more than {MAX_VALUES:,} values (aliases repeat "
                                 "what they name: write the values out, or split the file)", _start(ev))


def load_yaml(text: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> Any:
    """The document of `text`, built by `loader` (a SafeLoader) after `check_yaml`."""
    check_yaml(text)
    ld = loader(text)
    try:
        return ld.get_single_data()
    finally:
        ld.dispose()


class YamlProblem(Problem):
    """A problem in a YAML file: `row` is its line, `column` its YAML path."""

    def __str__(self) -> str:
        where = self.file + (f", line {self.row}" if self.row is not None else "")
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


def line_index(text: str) -> dict[tuple, int]:
    """Line (1-based) of every mapping key and sequence item, by YAML path (empty if unparsable or
    past the limits of `check_yaml`). A node an alias repeats is walked once, where it is defined:
    paths through an alias find the alias's own line (`line_at` takes the nearest parent)."""
    idx: dict[tuple, int] = {}
    seen: set[int] = set()

    def walk(node: yaml.Node, path: tuple) -> None:
        idx.setdefault(path, node.start_mark.line + 1)
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                idx.setdefault(path + (getattr(k, "value", None),), k.start_mark.line + 1)
                walk(v, path + (getattr(k, "value", None),))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, path + (i,))

    try:
        check_yaml(text)
        root = yaml.compose(text)
    except yaml.YAMLError:
        return idx
    if root is not None:
        walk(root, ())
    return idx


def yaml_path(loc: tuple) -> str:
    """A YAML path as text: `projects[0].infrastructure`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def line_at(idx: dict[tuple, int], loc: tuple) -> int | None:
    """The line of `loc`, or of its nearest parent in the index."""
    loc = tuple(loc)
    while loc:
        if loc in idx:
            return idx[loc]
        loc = loc[:-1]
    return idx.get(())
