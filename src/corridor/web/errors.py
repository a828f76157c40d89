"""Errors as JSON: every 4xx body says what was wrong; nothing leaks a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import CorridorError, NoRouteError, UnknownPlaceError, ValidationError
from .state import dumps

log = logging.getLogger("corridor.web")


class ProblemOut(BaseModel):
    """One thing wrong with the request or the data it names."""

    location: str | None = None
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str
    type: str
    suggestions: list[str] | None = None
    problems: list[ProblemOut] | None = None


ERROR_RESPONSES: dict[int | str, dict] = {
    400: {"model": ErrorBody, "description": "The request names something invalid (country code, "
          "mode, objective, a place equal to the other end, ...)."},
    404: {"model": ErrorBody, "description": "Unknown place (with suggestions), or no route under "
          "this policy."},
    422: {"model": ErrorBody, "description": "A parameter is missing, of the wrong type or out of bounds."},
}


def json_error(status: int, error: str, type_: str, **extra) -> Response:
    body = {"error": error, "type": type_}
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(dumps(body), status_code=status, media_type="application/json")


def _short(v, n: int = 80) -> str:
    s = str(v)
    return s if len(s) <= n else s[: n - 1] + "…"


class UnknownSourceError(CorridorError):
    """A source id that names no source (404 with close ids)."""

    def __init__(self, source_id: str, suggestions: list[str]):
        self.source_id = source_id
        self.suggestions = list(suggestions)
        super().__init__(f"unknown source '{_short(source_id)}'"
                         + (f"; did you mean: {', '.join(suggestions)}?" if suggestions
                            else "; /api/sources lists them"))


def unknown_place_message(exc: UnknownPlaceError) -> str:
    """The library's message, with a hint for web users: the library's own hint names a CLI
    command ('corridor places') that a reader of the page has no terminal to run."""
    msg = f"unknown place '{_short(exc.name)}'"
    if exc.suggestions:
        return msg + "; did you mean: " + ", ".join(exc.suggestions) + "?"
    return msg + ("; type the start of a name in the From or To box to search the places "
                  "(or GET /api/places?q=)")


def corridor_error(exc: CorridorError) -> Response:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, UnknownSourceError):
        return json_error(404, first, "UnknownSourceError", suggestions=exc.suggestions)
    if isinstance(exc, UnknownPlaceError):
        return json_error(404, unknown_place_message(exc), "UnknownPlaceError",
                          suggestions=list(exc.suggestions))
    if isinstance(exc, NoRouteError):
        return json_error(404, first, "NoRouteError")
    if isinstance(exc, ValidationError):
        problems = [{"location": ".".join(str(x) for x in (p.file, p.row, p.column) if x is not None),
                     "message": p.message} for p in exc.problems]
        return json_error(400, first, "ValidationError", problems=problems)
    return json_error(400, first, type(exc).__name__)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CorridorError)
    async def _corridor(request: Request, exc: CorridorError) -> Response:
        return corridor_error(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ())]
            where = ".".join(loc)
            msg = e.get("msg", "invalid")
            if "input" in e and loc and loc[0] != "body":
                msg += f" (got {_short(e['input'])!r})"
            problems.append({"location": where, "message": msg})
        if problems:
            p = problems[0]
            name = p["location"].split(".", 1)[-1] if "." in p["location"] else p["location"]
            summary = f"invalid parameter '{name}': {p['message']}"
        else:
            summary = "invalid request"
        return json_error(422, summary, "RequestValidationError", problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else "HTTP error"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such endpoint: {_short(request.url.path)}; the API is listed at /openapi.json"
        resp = json_error(exc.status_code, detail, "HTTPError")
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:  # pragma: no cover - a bug
        log.exception("internal error on %s", request.url.path)
        return json_error(500, "internal error: this is a bug in corridor, please report it",
                          "InternalError")
