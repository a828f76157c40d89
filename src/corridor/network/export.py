"""Writing a network out in any registered format, and the GeoJSON view the web app draws."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..output import json_safe, staged_files
from .formats import network_format

if TYPE_CHECKING:
    from .tables import Network


def write_network(net: Network, dest: str | Path, *, format: str = "gmns",
                  overwrite: bool = False) -> list[Path]:
    """Write `net` to `dest` (a folder, or a file for single-file formats) in a registered format
    (`corridor.vocabulary.NETWORK_FORMATS`); what it writes, `read_network` reads back into the
    same tables. Existing files are kept unless `overwrite`. Returns the files written.

    The files are written beside `dest` first and renamed into place once all are complete, so an
    interrupted or failed write (a full disk, a read-only folder) leaves no partial file."""
    fmt, dest = network_format(format), Path(dest)
    single = bool(dest.suffix) and dest.suffix.lower() in fmt.suffixes
    root = dest.parent if single else dest
    with staged_files(root, overwrite=overwrite) as stage:
        written = fmt.write(net, stage / dest.name if single else stage, overwrite=True)
    return [root / Path(p).relative_to(stage) for p in written]


def network_to_geojson(net: Network) -> dict[str, Any]:
    """Nodes as Points and links as LineStrings with every attribute as the model uses it (rate
    classes filled in, hours, countries) and its sources: a view to draw, not a file to reload
    (`write_network(..., format="geojson")` writes that)."""
    feats = []
    for row in net.nodes.itertuples(index=False):
        props = {k: json_safe(v) for k, v in row._asdict().items() if k not in ("lon", "lat")}
        feats.append({"type": "Feature", "properties": {"feature": "node", **props},
                      "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]}})
    for i, row in enumerate(net.links.itertuples(index=False)):
        props = {k: json_safe(v) for k, v in row._asdict().items()}
        feats.append({"type": "Feature", "properties": {"feature": "link", **props},
                      "geometry": {"type": "LineString",
                                   "coordinates": [list(c) for c in net.link_coords(i)]}})
    return {"type": "FeatureCollection", "features": feats}
