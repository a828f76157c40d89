"""Library modules the app uses when they exist (built by other issues), and does without otherwise."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType


def _module(name: str) -> ModuleType | None:
    try:
        if importlib.util.find_spec(name) is None:
            return None
        return importlib.import_module(name)
    except ImportError:
        return None


def scenarios() -> ModuleType | None:
    """`corridor.scenarios` (what-if files), if this version of corridor has it."""
    return _module("corridor.scenarios")


def geopolitics() -> ModuleType | None:
    """`corridor.geopolitics` (the country table: blocs and sanctions), if present."""
    return _module("corridor.geopolitics")
