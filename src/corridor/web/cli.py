"""`corridor serve`: the web app on this machine (registered at the end of corridor/cli.py).

corridor.cli imports this module at its end, so what this module needs from corridor.cli
(err, user_errors) is imported when the command runs, never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind. The default answers only this "
                                      "machine; 0.0.0.0 exposes the app to your network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    network: Annotated[Path | None, typer.Option("--network", help="Network folder (default: bundled).")]
    = None,
) -> None:
    """Serve the interactive corridor map and its JSON API (OpenAPI at /openapi.json)."""
    from ..cli import user_errors

    user_errors(_serve)(host=host, port=port, network=network)


def _serve(host: str, port: int, network: Path | None) -> None:
    from ..cli import err
    from .app import maplibre_installed
    from .app import serve as run

    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]note:[/] binding {host}: anyone who can reach this machine can use the app")
    if not maplibre_installed():
        err.print("[yellow]note:[/] MapLibre GL JS is not installed, so the page cannot draw its map; "
                  "run `make web-assets` (npm). The API works.")
    shown = f"[{host}]" if ":" in host else host
    err.print(f"corridor web app on http://{shown}:{port}/ (Ctrl+C stops it)", highlight=False)
    run(host, port, network=network, log_level="warning")
