"""Writing results: plain JSON values and the one overwrite guard."""

from __future__ import annotations

import math
from pathlib import Path

from .errors import CorridorError


def json_safe(x):
    """Plain JSON values, recursively: NaN and infinities become null, NumPy scalars Python ones."""
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_safe(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, str | bytes):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def refuse_overwrite(paths: list[Path], overwrite: bool) -> None:
    """Check the target before writing anything: nothing the user has is lost."""
    folder = paths[0].parent
    if folder.exists() and not folder.is_dir():
        raise CorridorError(f"{folder} exists and is not a folder")
    existing = [str(p) for p in paths if p.exists()]
    if existing and not overwrite:
        raise CorridorError(
            "refusing to overwrite existing files (pass overwrite/--force): " + ", ".join(existing)
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CorridorError(f"cannot create {folder}: {exc}") from exc
