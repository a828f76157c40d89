"""Writing a network out: a GMNS-style folder that `read_network` loads back, or one GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import CorridorError
from ..output import json_safe, refuse_overwrite
from ..vocabulary import NETWORK_FORMATS


def write_gmns(net, folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write node.csv, link.csv (+ sources, rates, geometry) so read_network can load them back."""
    folder = Path(folder)
    targets = [folder / n for n in ("node.csv", "link.csv", "sources.csv", "rates.csv",
                                    "commodities.csv", "link_geometry.geojson")]
    refuse_overwrite(targets, overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    net.raw_nodes.to_csv(targets[0], index=False)
    links = net.raw_links.copy()
    links["directed"] = links["directed"].map({True: "true", False: "false"})
    links.to_csv(targets[1], index=False)
    written = targets[:2]
    for frame, path in ((net.sources, targets[2]), (net.rates, targets[3]),
                        (net.commodities, targets[4])):
        if frame is not None and len(frame):
            frame.to_csv(path, index=False)
            written.append(path)
    if net.geometry:
        feats = [
            {"type": "Feature", "properties": {"link_id": lid},
             "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]}}
            for lid, coords in net.geometry.items()
        ]
        targets[5].write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
        written.append(targets[5])
    return written


def network_to_geojson(net) -> dict:
    """Nodes as Points and links as LineStrings, with their attributes and sources."""
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


def write_geojson(net, folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    folder = Path(folder)
    target = folder / "network.geojson"
    refuse_overwrite([target], overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(network_to_geojson(net), ensure_ascii=False))
    return [target]


_WRITERS = {"gmns": write_gmns, "geojson": write_geojson}


def write_network(net, folder: str | Path, *, format: str = "gmns", overwrite: bool = False) -> list[Path]:
    """Write `net` into `folder` in one of `vocabulary.NETWORK_FORMATS`; the paths written."""
    writer = _WRITERS.get(format)
    if writer is None:
        raise CorridorError(f"unknown network format '{str(format)[:20]}'; choose one of "
                            f"{', '.join(NETWORK_FORMATS)}")
    return writer(net, folder, overwrite=overwrite)
