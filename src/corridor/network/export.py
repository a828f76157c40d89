"""Writing a network out in any registered format, and the GeoJSON view the web app draws."""

from __future__ import annotations

from pathlib import Path

from ..output import json_safe
from .formats import network_format


def write_network(net, dest: str | Path, *, format: str = "gmns", overwrite: bool = False) -> list[Path]:
    """Write `net` to `dest` (a folder, or a file for single-file formats) in a registered format
    (`corridor.vocabulary.NETWORK_FORMATS`); what it writes, `read_network` reads back into the
    same tables. Existing files are kept unless `overwrite`. Returns the files written."""
    return network_format(format).write(net, Path(dest), overwrite=overwrite)


def network_to_geojson(net) -> dict:
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
