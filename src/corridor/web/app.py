"""The app factory and server: a JSON API plus the static map page, both offline.

`create_app(network)` builds one FastAPI instance around one network (the bundled
one by default) with its own caches; `serve()` runs it with uvicorn on 127.0.0.1.
The page's map library (MapLibre GL JS) comes from npm at install time (`make`),
copied into `static/vendor/`; nothing is fetched from the internet at run time.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..errors import CorridorError
from . import api, extras, flows
from .assets import maplibre_installed, static_dir
from .errors import install_error_handlers, json_error
from .state import WebState

if TYPE_CHECKING:
    from ..network.tables import Network

log = logging.getLogger("corridor.web")

MAX_BODY = 16 * 1024  # bytes in a request body
MAX_URL = 4096  # bytes in path + query string

# everything the page loads comes from this server; the map's workers are module workers
# created from blob: URLs, and its canvas reads data: images
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; worker-src 'self' blob:; child-src 'self' blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class Guard:
    """ASGI middleware: bounded URLs and bodies, an optional Host allow-list, security headers."""

    def __init__(self, app, *, allowed_hosts: list[str] | None = None,
                 max_body: int = MAX_BODY, max_url: int = MAX_URL):
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.max_body = max_body
        self.max_url = max_url

    async def _reject(self, scope, receive, send, status: int, message: str, type_: str) -> None:
        await json_error(status, message, type_)(scope, receive, send)

    def _refusal(self, scope, headers: dict) -> tuple[int, str, str] | None:
        """Why the request is refused before it reaches the app (status, message, type), or None."""
        if len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") > self.max_url:
            return 414, f"request URL longer than {self.max_url} bytes", "URITooLong"
        if self.allowed_hosts is not None:
            host = headers.get(b"host", b"").decode("latin-1").lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in self.allowed_hosts:
                return (400, "unexpected Host header (the server only answers to "
                        f"{', '.join(self.allowed_hosts)})", "BadHost")
        cl = headers.get(b"content-length")
        if cl is not None:
            try:
                n = int(cl)
            except ValueError:
                return 400, "invalid Content-Length", "BadRequest"
            if n > self.max_body:
                return 413, f"request body larger than {self.max_body} bytes", "PayloadTooLarge"
        if scope.get("method") in ("POST", "PUT", "PATCH"):
            ctype = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
            if ctype != "application/json" and not ctype.endswith("+json"):
                return 415, "send a JSON body (Content-Type: application/json)", "UnsupportedMediaType"
        return None

    async def _buffered(self, receive):
        """A chunked body read here, up to the limit, and a `receive` that replays it (None: too big)."""
        chunks, size, more = [], 0, True
        while more:
            msg = await receive()
            if msg["type"] != "http.request":
                break
            chunks.append(msg.get("body", b""))
            size += len(chunks[-1])
            more = msg.get("more_body", False)
            if size > self.max_body:
                return None
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        refused = self._refusal(scope, headers)
        if refused is not None:
            return await self._reject(scope, receive, send, *refused)
        if scope.get("method") in ("POST", "PUT", "PATCH") and headers.get(b"content-length") is None:
            replay = await self._buffered(receive)
            if replay is None:
                return await self._reject(scope, receive, send, 413,
                                          f"request body larger than {self.max_body} bytes",
                                          "PayloadTooLarge")
            receive = replay

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = dict(message)
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in have]
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def create_app(network: Network | str | Path | None = None, *, cache_size: int = 512,
               allowed_hosts: list[str] | None = None, query_slots: int = 2,
               model_slots: int = 2) -> FastAPI:
    """A FastAPI app answering questions about `network` (default: the bundled one).

    `network` is a loaded `Network` or a network folder. `cache_size` answers are
    kept per app (0 turns the cache off). With `allowed_hosts`, requests naming any
    other Host are refused (DNS-rebinding protection for a loopback server). At most
    `query_slots` uncached route questions and `model_slots` uncached model runs
    (assignment, Caspian, scenarios) are computed at once; the others queue. An uncached
    comparison (a few milliseconds) is computed on the event loop, one at a time, once the
    first (which loads the routing library) has been computed in a query slot.
    """
    from ..network.io import load_network
    from ..network.tables import Network

    net = network if isinstance(network, Network) else load_network(network)
    st = WebState(net, cache_size=cache_size, query_slots=query_slots, model_slots=model_slots)
    _ = net.graph  # compile once, before the first request

    app = FastAPI(
        title="corridor",
        version=__version__,
        summary="Route and compare Eurasian freight corridors on sourced open data.",
        description="The JSON API of the corridor web app. Every answer comes from the corridor "
        "library (compare, route, assign, caspian.simulate) on the app's network; errors are JSON "
        "bodies `{error, type, suggestions?, problems?}` with a 4xx status.",
        docs_url=None, redoc_url=None,  # their pages load scripts from a CDN: the app stays offline
        openapi_url="/openapi.json",
    )
    app.state.corridor = st
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(flows.router)
    app.include_router(extras.geopolitics_router(st))
    app.include_router(extras.scenarios_router(st))

    static = static_dir()

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return FileResponse(static / "index.html", media_type="text/html",
                            headers={"Cache-Control": "no-cache"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return FileResponse(static / "favicon.svg", media_type="image/svg+xml")

    app.mount("/static", StaticFiles(directory=static, check_dir=True), name="static")

    @app.exception_handler(405)
    async def _method(request: Request, exc) -> Response:
        return json_error(405, f"method {request.method} not allowed on {request.url.path[:80]}",
                          "MethodNotAllowed")

    app.add_middleware(Guard, allowed_hosts=allowed_hosts)
    return app


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port), or a CorridorError that says in one line why not."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise CorridorError(f"cannot listen on {host!r}: not an address or name this machine "
                            f"resolves ({getattr(exc, 'strerror', None) or exc})") from None
    family, type_, proto, _, addr = infos[0]
    sock = socket.socket(family, type_, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        where = f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            msg = f"port {port} on {host} is in use; stop the other server or choose another --port"
        elif exc.errno == errno.EACCES:
            msg = f"no permission to listen on {where} (ports below 1024 need privileges)"
        elif exc.errno == errno.EADDRNOTAVAIL:
            msg = f"cannot listen on {where}: {host} is not an address of this machine"
        else:
            msg = f"cannot listen on {where}: {exc.strerror or exc}"
        raise CorridorError(msg) from None
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


# the scenario pair the page offers first: run once the server listens, so that the first
# comparison a reader asks for is already kept (the runs are the app's; nothing is written)
WARM = ("baseline-2024", "sanctions-strict")


def warm_up(app: FastAPI, names: Sequence[str] = WARM) -> threading.Thread | None:
    """Run these bundled scenarios in a background thread, into the app's scenario cache; a
    request for one of them meanwhile waits for that run instead of starting another."""
    st: WebState = app.state.corridor
    run = st.run_scenario
    if run is None or not names:
        return None

    def work() -> None:
        for name in names:
            try:
                run(name)
            except Exception:  # a broken scenario is the request's error to report, not the warm-up's
                log.warning("warm-up: scenario %s did not run", name, exc_info=True)

    th = threading.Thread(target=work, name="corridor-warm-up", daemon=True)
    th.start()
    return th


def serve(host: str = "127.0.0.1", port: int = 8000, *, network: Network | str | Path | None = None,
          log_level: str = "info", on_ready: Callable[[str], None] | None = None,
          warm: Sequence[str] = WARM) -> None:
    """Run the app with uvicorn. Binds to loopback unless told otherwise.

    The network is loaded and the port bound before uvicorn starts, so a bad network folder or
    a port in use is a CorridorError (one line, no uvicorn traceback). `on_ready(url)` is
    called once the server accepts connections (port 0 picks a free port; the URL names it).
    The `warm` scenarios run in the background once it listens (empty: none).
    """
    import uvicorn

    allowed = None
    if _loopback(host):
        allowed = list(dict.fromkeys(["127.0.0.1", "localhost", "[::1]", host.lower()]))
    app = create_app(network, allowed_hosts=allowed)
    if not maplibre_installed():
        log.warning("MapLibre GL JS is not installed in %s/vendor: the API works but the page "
                    "cannot draw its map; run `make` (npm ci) to install it", static_dir())
    sock = listen_socket(host, port)
    url = _url(sock)

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets)
            if self.started:
                warm_up(app, warm)
            if self.started and on_ready is not None:
                on_ready(url)

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                            timeout_graceful_shutdown=2)
    try:
        Server(config).run(sockets=[sock])
    finally:
        sock.close()
