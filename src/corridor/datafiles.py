"""Where the bundled data live (package data, read-only)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_data_dir() -> Path:
    return Path(str(resources.files("corridor") / "data"))
