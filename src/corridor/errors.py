"""One exception family, so interfaces can tell user errors from bugs."""

from __future__ import annotations

from dataclasses import dataclass


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


class ValidationError(CorridorError):
    """Raised once with every problem found, never on the first."""

    def __init__(self, problems: list[Problem], what: str = "input"):
        self.problems = list(problems)
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} in {what}:"]
        lines += [f"  - {p}" for p in self.problems]
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
