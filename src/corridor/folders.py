"""Result folders: a result's files written whole, with `manifest.json` last, and what makes a
folder complete.

`write_outputs` writes a result's outputs (`corridor.output`) into a temporary sibling of the
target folder, adds the manifest (every file with its bytes, rows and SHA-256) and renames the
folder into place (`output.atomic_folder`). A folder is complete exactly when its manifest is
there and every file matches it (`verify_folder`, `folder_problems`): readers and `--resume` take
nothing else as a result. `Writable` gives every result class `files` and `write`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import CorridorError
from .output import (
    MANIFEST,
    MANIFEST_FORMAT,
    MANIFEST_VERSION,
    Output,
    atomic_folder,
    clean,
    parse_formats,
    plan_files,
    plan_writes,
    write_text_file,
)


def write_outputs(folder: str | Path, outputs: Sequence[Output], *,
                  formats: str | Iterable[str] | None = None, overwrite: bool = False,
                  kind: str = "result") -> list[Path]:
    """Write a result's outputs into `folder`, whole or not at all, with its manifest last.

    `formats` (names in `FORMATS`) replaces each table's own formats; geometry formats go to the
    tables that have a geometry. Returns the files written, the manifest last.
    """
    folder = Path(folder)
    plan = plan_writes(outputs, parse_formats(formats))
    names = [n for n, _ in plan]
    with atomic_folder(folder, overwrite=overwrite, expected=[*names, MANIFEST]) as tmp:
        rows = {}
        for name, write in plan:
            rows[name] = write(tmp / name)
        write_manifest(tmp, kind, rows)
    return [folder / n for n in names] + [folder / MANIFEST]


def _digest(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def write_manifest(folder: Path, kind: str, rows: dict[str, int | None]) -> Path:
    """manifest.json: what the folder holds (each file's bytes, rows and SHA-256), written last."""
    from . import __version__

    files = []
    for name, n in rows.items():
        size, sha = _digest(folder / name)
        files.append({"name": name, "bytes": size, "rows": n, "sha256": sha})
    doc = {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "kind": kind,
           "corridor": __version__, "created": datetime.now(UTC).isoformat(timespec="seconds"),
           "files": files}
    return write_text_file(folder / MANIFEST, json.dumps(doc, indent=2) + "\n", overwrite=True)


def read_manifest(folder: str | Path) -> dict:
    """The manifest of a complete result folder; CorridorError saying why when it is not complete."""
    problems = folder_problems(folder)
    if problems:
        raise CorridorError(f"{clean(folder)} is not a complete result: {problems[0]}")
    return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))


def verify_folder(folder: str | Path, *, hashes: bool = True) -> bool:
    """Whether `folder` is a complete result: its manifest is there and every file matches it."""
    return not folder_problems(folder, hashes=hashes)


def folder_problems(folder: str | Path, *, hashes: bool = True) -> list[str]:
    """Why `folder` is not a complete result (empty when it is): no folder, no manifest (an
    interrupted write or not a result folder), a file missing or not as the manifest says."""
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{clean(folder)} {'is not a folder' if folder.exists() else 'does not exist'}"]
    path = folder / MANIFEST
    if not path.is_file():
        return [f"no {MANIFEST} (an interrupted write, or not a corridor result folder)"]
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        files = doc["files"]
        if doc.get("format") != MANIFEST_FORMAT or not isinstance(files, list):
            raise ValueError("not a corridor manifest")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{MANIFEST} cannot be read ({clean(exc, 80)})"]
    out = []
    for f in files:
        try:
            p = folder / str(f["name"])
            if "/" in str(f["name"]) or not p.is_file():
                out.append(f"{clean(f['name'])} is missing")
                continue
            if hashes:
                size, sha = _digest(p)
                if size != f["bytes"] or sha != f["sha256"]:
                    out.append(f"{clean(f['name'])} is not the file the manifest lists "
                               "(changed or truncated)")
            elif p.stat().st_size != f["bytes"]:
                out.append(f"{clean(f['name'])} has {p.stat().st_size} bytes, the manifest says {f['bytes']}")
        except (OSError, KeyError, TypeError) as exc:
            out.append(f"{MANIFEST} lists a file that cannot be checked ({clean(exc, 80)})")
    return out


class Writable:
    """Mixin for results: `files` and `write` from the result's `outputs(net)`.

    `net`, where a result takes it, gives its tables' geometry (the links' shapes) for the formats
    that need one; a result that carries its network (a scenario run) or has no geometry ignores it.
    (`net` is typed Any here: the core sits below the network layer and may not name `Network`.)
    """

    def outputs(self, net: Any = None) -> list[Output]:
        raise NotImplementedError

    def files(self, formats: str | Iterable[str] | None = None, net: Any = None) -> list[str]:
        """The names of the files `write` writes with these formats, the manifest last."""
        return plan_files(self.outputs(net), formats)

    def write(self, folder: str | Path, net: Any = None, *, formats: str | Iterable[str] | None = None,
              overwrite: bool = False) -> list[Path]:
        """Write the result's tables (in `formats`, default each table's own) and documents into
        `folder`, whole or not at all, with a manifest; refuses an existing folder unless `overwrite`.
        Returns the files written, the manifest last."""
        return write_outputs(folder, self.outputs(net), formats=formats, overwrite=overwrite,
                             kind=type(self).__name__)
