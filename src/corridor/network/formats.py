"""The network formats, each registered once: its name, how to recognise it, its reader and writer.

A reader gives the tables as text (`NetworkFrames`) and never checks them: every format is
checked by the same `validation.check_network_tables`, so a problem reads the same whatever the
format. A writer writes what its reader reads back into the same tables.

Adding a format (say GeoParquet): a module with `read_x(path, problems) -> NetworkFrames` and
`write_x(net, dest, *, overwrite) -> list[Path]`, one `NetworkFormat` in `FORMATS` below, and
its name in `corridor.vocabulary.NETWORK_FORMATS` (which the CLI offers without loading pandas;
a test keeps the two equal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorridorError, Problem
from ..readers import short
from .geojson import NETWORK_FILE, SUFFIXES, read_geojson, write_geojson
from .gmns import read_gmns, write_gmns
from .gpkg import NETWORK_FILE as GPKG_FILE
from .gpkg import SUFFIXES as GPKG_SUFFIXES
from .gpkg import read_gpkg, write_gpkg
from .validation import TABLE_FILES, NetworkFrames


@dataclass(frozen=True)
class NetworkFormat:
    """One way to store a network: a folder holding `marker_files`, or a file ending in `suffixes`."""

    name: str
    description: str
    read: Callable[[Path, list[Problem]], NetworkFrames]
    write: Callable[..., list[Path]]  # (net, dest, *, overwrite) -> the files written
    suffixes: tuple[str, ...] = ()
    marker_files: tuple[str, ...] = ()

    def recognises(self, path: Path) -> bool:
        if path.is_dir():
            return any((path / m).exists() for m in self.marker_files)
        return path.suffix.lower() in self.suffixes


# in order of precedence: a folder holding several formats is read as the first that matches
FORMATS: dict[str, NetworkFormat] = {f.name: f for f in (
    NetworkFormat("gmns", "GMNS CSV folder: node.csv, link.csv (geometry as WKT), config.csv, "
                  "use_definition.csv, sources.csv (+ rates.csv, commodities.csv)", read_gmns, write_gmns,
                  marker_files=(TABLE_FILES["nodes"], TABLE_FILES["links"])),
    NetworkFormat("geojson", f"one GeoJSON file ({NETWORK_FILE} in a folder): nodes as Points, links as "
                  "LineStrings, sources, rates and commodities in its 'corridor' member",
                  read_geojson, write_geojson, suffixes=SUFFIXES, marker_files=(NETWORK_FILE,)),
    NetworkFormat("gpkg", f"one GeoPackage ({GPKG_FILE} in a folder): layers node (Points), link "
                  "(LineStrings), sources, rates, commodities, config, use_definition",
                  read_gpkg, write_gpkg, suffixes=GPKG_SUFFIXES, marker_files=(GPKG_FILE,)),
)}


def network_format(name: str) -> NetworkFormat:
    """The registered format called `name`."""
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(FORMATS)
        raise CorridorError(f"unknown network format '{short(name)}'; formats: {known}") from None


def detect_format(path: str | Path) -> NetworkFormat:
    """The format of a network file or folder (a folder with none of the known files is read as
    GMNS, whose reader names the files it lacks)."""
    path = Path(path)
    if not path.exists():
        raise CorridorError(f"{path}: not found (give a network folder or file)")
    hit = next((f for f in FORMATS.values() if f.recognises(path)), None)
    if hit is not None:
        return hit
    if path.is_dir():
        return FORMATS["gmns"]
    suffixes = sorted({s for f in FORMATS.values() for s in f.suffixes})
    raise CorridorError(f"{path}: not a network file (known: a folder, or a file ending in "
                        f"{', '.join(suffixes)})")
