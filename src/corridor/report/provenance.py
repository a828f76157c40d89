"""What makes a brief reproducible: the model's version, a hash of the data it read, and the command
that asks the same question again."""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..datafiles import bundled_data_dir


def data_hash(folders: Iterable[str | Path] = ()) -> str:
    """SHA-256 (first 16 hex digits) over every file of the bundled data and of `folders` (a network
    folder given instead of the bundled one), by relative path and contents: the same hash means the
    same inputs."""
    h = hashlib.sha256()
    for root in [bundled_data_dir(), *map(Path, folders)]:
        files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for p in files:
            h.update(str(p.relative_to(root)).encode())
            h.update(b"\0")
            h.update(p.read_bytes())
            h.update(b"\0")
    return h.hexdigest()[:16]


def command_line(words: Sequence[object]) -> str:
    """The command as a shell would read it (each word quoted where it needs it)."""
    return " ".join(shlex.quote(str(w)) for w in words if w is not None and str(w) != "")


def with_options(command: Sequence[object], options: Iterable[tuple[str, object, object]]) -> list[object]:
    """`command` and each (flag, value, default) whose value is not its default: the command line
    that asks the same question, without the options left as they are."""
    out = list(command)
    for flag, value, default in options:
        if value != default:
            out += [flag, value]
    return out


def provenance(command: Sequence[object], *, network: str | Path | None = None) -> dict:
    """Model version (`code_version`: the package version and its git checkout), data hash, the
    command and when the brief was made (UTC)."""
    from .. import __version__
    from ..store import code_version

    return {
        "model": __version__,
        "code": code_version(),
        "data_hash": data_hash([network] if network else []),
        "network": str(network) if network else "bundled",
        "command": command_line(command),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
