"""Where a problem in a YAML file is: its line and its YAML path.

A YAML file's problems are reported like a CSV file's (`Problem(file, row, column, message)`),
with the line as the row and the YAML path (`projects[0].infrastructure.nodes[0].capacity_teu_yr`)
as the column. `line_index` maps every mapping key and sequence item to its line, `line_at`
finds the line of a path (or of its nearest parent) and `yaml_path` writes a path.
"""

from __future__ import annotations

import yaml

from .errors import Problem

__all__ = ["YamlProblem", "line_at", "line_index", "yaml_path"]


class YamlProblem(Problem):
    """A problem in a YAML file: `row` is its line, `column` its YAML path."""

    def __str__(self) -> str:
        where = self.file + (f", line {self.row}" if self.row is not None else "")
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


def line_index(text: str) -> dict[tuple, int]:
    """Line (1-based) of every mapping key and sequence item, by YAML path (empty if unparsable)."""
    idx: dict[tuple, int] = {}

    def walk(node, path):
        idx.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                idx.setdefault(path + (getattr(k, "value", None),), k.start_mark.line + 1)
                walk(v, path + (getattr(k, "value", None),))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, path + (i,))

    try:
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
