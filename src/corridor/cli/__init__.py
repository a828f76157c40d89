"""The `corridor` command: a thin Typer/Rich layer over the public API (`import corridor`).

One module per command group; `common` holds what they share (consoles, JSON output, the
user-error guard, options). No model logic lives here: every command calls the library.
"""

from __future__ import annotations


def main() -> None:
    """Entry point of the `corridor` script."""
    from .app import main as run

    run()
