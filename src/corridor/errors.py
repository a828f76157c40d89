"""One exception family, so interfaces can tell user errors from bugs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Self


class CorridorError(Exception):
    """Base of every error a user can cause; interfaces print it without a traceback."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}


# problems kept in full per input; past them only a count (a file with a million bad rows stays readable)
MAX_PROBLEMS = 1000


class ProblemList(list[Problem]):
    """A list of problems that keeps the first `limit` and counts the rest (`dropped`)."""

    def __init__(self, items: Iterable[Problem] = (), limit: int = MAX_PROBLEMS) -> None:
        super().__init__()
        self.limit, self.dropped = limit, 0
        self.extend(items)

    def append(self, p: Problem) -> None:
        if len(self) < self.limit:
            super().append(p)
        else:
            self.dropped += 1

    def extend(self, items: Iterable[Problem]) -> None:
        for p in items:
            self.append(p)

    # list's own __iadd__ takes any iterable too; mypy holds a subclass's to list.__add__ (lists only)
    def __iadd__(self, items: Iterable[Problem]) -> Self:  # type: ignore[override, misc]
        self.extend(items)
        return self


class ValidationError(CorridorError):
    """Raised once with every problem found, never on the first (past `MAX_PROBLEMS`, counted)."""

    def __init__(self, problems: list[Problem], what: str = "input"):
        self.problems = list(problems)
        self.dropped = int(getattr(problems, "dropped", 0))
        n = len(self.problems) + self.dropped
        lines = [f"{n:,} problem{'s' if n != 1 else ''} in {what}:"]
        lines += [f"  - {p}" for p in self.problems]
        if self.dropped:
            lines.append(f"  ... and {self.dropped:,} more (the first {len(self.problems):,} are listed)")
        super().__init__("\n".join(lines))


class UnknownPlaceError(CorridorError):
    """A place name that matches no node; carries suggestions for 'did you mean'."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        shown = name if len(name) <= 80 else name[:79] + "…"
        msg = f"unknown place '{shown}'"
        if suggestions:
            msg += "; did you mean: " + ", ".join(suggestions) + "?"
        else:
            msg += "; run 'corridor places' to list the places"
        super().__init__(msg)


class NoRouteError(CorridorError):
    """No route satisfies the policy between two places."""
