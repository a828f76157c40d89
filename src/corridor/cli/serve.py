"""`corridor serve`: the web app on this machine.

The URL is printed only once the server listens; a port in use or a bad network folder is a
one-line error (exit 1). FastAPI and uvicorn load when the command runs.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from ..errors import CorridorError
from ..output import clean
from .common import NetOpt, err, user_errors


def _say(*parts) -> None:
    """One line each, however narrow the terminal (or none)."""
    err.print(Text.assemble(*parts), soft_wrap=True, highlight=False)


@user_errors
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind. The default answers only this "
                                      "machine; 0.0.0.0 exposes the app to your network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    network: NetOpt = None,
    warm: Annotated[bool, typer.Option("--warm/--no-warm", help="Run the page's first scenario pair "
                                       "(baseline-2024, sanctions-strict) in the background once the "
                                       "server listens, so that its first comparison is quick.")] = True,
) -> None:
    """Serve the interactive corridor map and its JSON API (OpenAPI at /openapi.json)."""
    from ..web.app import WARM, maplibre_installed
    from ..web.app import serve as run

    if host not in ("127.0.0.1", "localhost", "::1"):
        _say(("note: ", "yellow"), f"binding {host}: anyone who can reach this machine can use the app")
    if not maplibre_installed():
        _say(("note: ", "yellow"), "MapLibre GL JS is not installed, so the page cannot draw its map; "
             "run `make web-assets` (npm). The API works.")

    def ready(url: str) -> None:  # only once the network is loaded and the port is listening
        _say(f"corridor web app on {url} (Ctrl+C stops it)")

    try:
        run(host, port, network=network, log_level="warning", on_ready=ready, warm=WARM if warm else ())
    except CorridorError as exc:  # a port in use, a bad --network (with its problems): exit 1
        lines = str(exc).splitlines() or [type(exc).__name__]
        _say(("error: ", "bold red"), clean(lines[0], 500))
        for line in lines[1:]:
            _say(clean(line, 500))
        raise typer.Exit(1) from None
