"""Geometry for the bundled network, from the staged data only (../shared/data): OSM track paths,
polylines through named OSM stations, searoute sea lanes that keep out of canals their ships cannot
use, and the Natural Earth basemap (countries with lake holes, lakes).

Used by build_data.py; nothing here is imported by the package.
"""

from __future__ import annotations

import json
import math
import unicodedata
from pathlib import Path

import networkx as nx
import numpy as np
from pyproj import Geod
from shapely.geometry import box, mapping, shape

GEOD = Geod(ellps="WGS84")

# OSM extract boxes (S, W, N, E) from shared/data/README.md: the only railway ways staged
OSM_BOXES = {
    "azerbaijan": (38.39, 44.77, 41.91, 50.63),
    "turkmenistan": (35.14, 52.50, 42.80, 66.68),
}
MAX_SNAP_KM = 5.0

# how far (km) a named via station may lie from the straight line of its link, beyond 35% of its length
VIA_SLACK_KM = 60.0


class BuildError(RuntimeError):
    pass


def fail(msg: str) -> None:
    raise BuildError(msg)


def geodesic_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance (WGS84) between (lon, lat) points, km."""
    return GEOD.inv(a[0], a[1], b[0], b[1])[2] / 1000.0


def line_km(coords) -> float:
    return sum(geodesic_km(p, q) for p, q in zip(coords, coords[1:], strict=False))


def fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s or "")
    return "".join(c for c in s if not unicodedata.combining(c)).replace("’", "'").lower().strip()


# ---------------------------------------------------------------------------- OSM track graph


class TrackGraph:
    """Graph of OSM railway vertices (type=rail) in one extract box; edge weight = geodesic km."""

    def __init__(self, path: Path, bbox: tuple[float, float, float, float]):
        self.bbox = bbox
        g = nx.Graph()
        for w in json.loads(path.read_text()):
            if w["type"] != "rail":
                continue
            pts = [(round(lon, 5), round(lat, 5)) for lat, lon in w["geometry"]]  # file is lat, lon
            for a, b in zip(pts, pts[1:], strict=False):
                if a != b:
                    g.add_edge(a, b, w=geodesic_km(a, b))
        keep = set()  # snap only to vertices of sizeable components (skip isolated yards and stubs)
        for comp in nx.connected_components(g):
            if len(comp) >= 500:
                keep |= comp
        self.g = g
        self.keys = sorted(keep)
        self.arr = np.array(self.keys)

    def contains(self, lon: float, lat: float) -> bool:
        s, w, n, e = self.bbox
        return s <= lat <= n and w <= lon <= e

    def snap(self, lon: float, lat: float) -> tuple[tuple[float, float], float]:
        n = len(self.arr)
        d = GEOD.inv(np.full(n, lon), np.full(n, lat), self.arr[:, 0], self.arr[:, 1])[2] / 1000.0
        i = int(np.argmin(d))
        return self.keys[i], float(d[i])

    def path(self, a: tuple[float, float], b: tuple[float, float]):
        """Track length (km) and vertex list between two (lon, lat) points, or None."""
        ka, da = self.snap(*a)
        kb, db = self.snap(*b)
        if max(da, db) > MAX_SNAP_KM:
            return None
        try:
            verts = nx.shortest_path(self.g, ka, kb, weight="w")
        except nx.NetworkXNoPath:
            return None
        length = sum(self.g[u][v]["w"] for u, v in zip(verts, verts[1:], strict=False))
        return length, verts


def track_graphs(data: Path) -> dict[str, TrackGraph]:
    return {name: TrackGraph(data / "rail" / f"osm_railways_{name}.json", bbox)
            for name, bbox in OSM_BOXES.items()}


def osm_track(graphs, a, b):
    for tg in graphs.values():
        if tg.contains(*a) and tg.contains(*b):
            r = tg.path(a, b)
            if r is not None:
                return r
    return None


# ---------------------------------------------------------------------------- named stations for drawing


class ViaResolver:
    """Turns the `via` cell of a link (place names, or ne:/osm: lookup keys) into points to draw it through.

    A plain name is an OSM station (name or local name, folded) near the link, else a Natural
    Earth place of that name near it: of the candidates within 35% of the link's length plus
    VIA_SLACK_KM of its straight line, the nearest to that line. The OSM stations cover the
    Kazakhstan, Uzbekistan, Turkmenistan, Iran, Türkiye, Azerbaijan and European-Russia boxes;
    elsewhere (China, Europe) the vias are Natural Earth places. `kinds` counts what each via was.
    """

    def __init__(self, gazetteer):
        self.gaz = gazetteer
        self.osm: dict[str, list[tuple[float, float]]] = {}
        for s in gazetteer.osm.values():
            for label in (s.get("name"), s.get("nameLocal")):
                if label:
                    self.osm.setdefault(fold(label), []).append((float(s["lon"]), float(s["lat"])))
        self.ne: dict[str, list[tuple[float, float]]] = {}
        for p in gazetteer.ne:
            for label in {p.get("name"), p.get("nameascii")}:
                if label:
                    self.ne.setdefault(fold(label), []).append((float(p["_xy"][0]), float(p["_xy"][1])))
        self.kinds: dict[str, int] = {"osm": 0, "ne": 0}

    def resolve(self, lid: str, a, b, cell: str) -> list[tuple[float, float]]:
        pts = []
        reach = 0.35 * geodesic_km(a, b) + VIA_SLACK_KM
        for token in filter(None, (t.strip() for t in cell.split(";"))):
            if ":" in token:
                lon, lat, _ = self.gaz.lookup(token)
                pts.append((lon, lat))
                continue
            for kind, index in (("osm", self.osm), ("ne", self.ne)):
                near = sorted((_off_line_km(p, a, b), p) for p in index.get(fold(token), []))
                if near and near[0][0] <= reach:
                    pts.append(near[0][1])
                    self.kinds[kind] += 1
                    break
            else:
                fail(f"link {lid}: via '{token}' is neither an OSM station nor a Natural Earth place "
                     f"within {reach:.0f} km of the line")
        # order along the link, so a via list need not be written in order
        return sorted(pts, key=lambda p: geodesic_km(a, p))


def _off_line_km(p, a, b) -> float:
    """Distance (km, equirectangular about the midpoint) from p to the segment a-b."""
    lat0 = math.radians((a[1] + b[1]) / 2)

    def xy(q):
        return np.array([q[0] * math.cos(lat0), q[1]]) * 111.32

    pa, pb, pp = xy(a), xy(b), xy(p)
    d = pb - pa
    t = 0.0 if not d.any() else float(np.clip(np.dot(pp - pa, d) / np.dot(d, d), 0, 1))
    return float(np.linalg.norm(pp - (pa + t * d)))


# ---------------------------------------------------------------------------- sea lanes

# searoute passages. Passing any restriction list replaces searoute's default (northwest), so every
# list below names northwest and bering explicitly.
ALL_PASSAGES = [
    "babalmandab", "bosporus", "gibraltar", "suez", "panama", "ormuz",
    "northwest", "malacca", "sunda", "chili", "south_africa", "bering",
]
RESTRICTIONS = {
    "suez": ["northwest", "bering", "panama", "south_africa"],
    "cape": ["suez", "northwest", "bering", "panama"],
    "caspian": list(ALL_PASSAGES),
    "black": list(ALL_PASSAGES),
    "black_med": [p for p in ALL_PASSAGES if p != "bosporus"],
    "med": [p for p in ALL_PASSAGES if p != "bosporus"],
    "baltic": list(ALL_PASSAGES),
    "gulf": [p for p in ALL_PASSAGES if p != "ormuz"],
    "coastal": list(ALL_PASSAGES),
}
# lon_min, lat_min, lon_max, lat_max a lane of each kind stays in
BOXES = {
    "caspian": (46.5, 36.5, 55.0, 47.5),
    "black": (27.2, 40.8, 42.0, 47.0),
    "med": (-6.0, 30.0, 37.0, 46.5),
    "baltic": (-5.0, 50.0, 31.0, 66.0),
    "gulf": (50.0, 5.0, 80.0, 30.0),
    "coastal": (105.0, 18.0, 125.0, 42.0),
}
MAX_LAT = 66.0

# canals no ship of these lanes can use: a box inside the cut, and a line across the isthmus
# (lon, lat_min, lat_max) that a lane may not jump over in one segment
CANALS = {
    "corinth": {"inside": (22.94, 37.90, 23.03, 37.97), "across": (22.99, 37.85, 38.02)},
    "kiel": {"inside": (9.20, 53.95, 9.95, 54.35), "across": (9.80, 53.80, 54.60)},
}


def canals_crossed(coords) -> list[str]:
    """The canals (Corinth, Kiel) a lane passes: a point inside the cut, or a segment jumping the
    isthmus at the canal's latitude (a lane round Skagen or the Peloponnese crosses far from it)."""
    out = []
    for name, c in CANALS.items():
        x0, y0, x1, y1 = c["inside"]
        lon, lat_lo, lat_hi = c["across"]
        hit = any(x0 <= x <= x1 and y0 <= y <= y1 for x, y in coords)
        for (xa, ya), (xb, yb) in zip(coords, coords[1:], strict=False):
            if (xa - lon) * (xb - lon) < 0 and lat_lo <= ya <= lat_hi and lat_lo <= yb <= lat_hi:
                hit = True
        if hit:
            out.append(name)
    return out


_MARNET = None


def marnet_without_canals():
    """searoute's maritime network without the edges that run through a canal of CANALS."""
    global _MARNET
    if _MARNET is None:
        from searoute.classes import marnet
        from searoute.data.marnet_dict import edge_list, node_list
        from searoute.utils import from_nodes_edges_set

        kept = {}
        dropped = []
        for u, nbrs in edge_list.items():
            keep = {}
            for v, attrs in nbrs.items():
                if canals_crossed([u, v]):
                    dropped.append((u, v))
                else:
                    keep[v] = attrs
            kept[u] = keep
        if not dropped:
            fail("searoute network has no Corinth or Kiel edge any more: check CANALS")
        _MARNET = from_nodes_edges_set(marnet.Marnet(), node_list, kept), dropped
    return _MARNET


def sea_route(origin, dest, route: str):
    import searoute as sr
    from searoute.classes.passages import Passage

    restr = RESTRICTIONS[route]
    valid = Passage.valid_passages()
    bad = [p for p in restr if p not in valid]
    if bad:
        fail(f"misspelled searoute restriction(s) {bad}")
    if "northwest" not in restr or "bering" not in restr:
        fail("every searoute restriction list must name northwest and bering")
    marnet, _ = marnet_without_canals()
    feat = sr.searoute(list(origin), list(dest), units="km", restrictions=list(restr), M=marnet,
                       return_passages=True, append_orig_dest=True)
    length = float(feat["properties"]["length"])
    if not math.isfinite(length) or length <= 0:
        fail(f"searoute found no route {origin} -> {dest} ({route})")
    passages = sorted(feat["properties"].get("traversed_passages") or [])
    coords = [(float(x), float(y)) for x, y in feat["geometry"]["coordinates"]]
    return length, passages, coords


def check_sea(link_id: str, route: str, passages: list[str], coords) -> None:
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    where = f"sea link {link_id} ({route}, passages {passages})"
    canals = canals_crossed(coords)
    if canals:
        fail(f"{where} passes the {' and '.join(canals)} canal, which its ships cannot use")
    if {"northwest", "bering"} & set(passages) or max(lats) > MAX_LAT:
        fail(f"{where} uses an Arctic passage or goes north of {MAX_LAT}N")
    if route == "suez" and "suez" not in passages:
        fail(f"{where} must traverse suez")
    if route == "cape":
        if {"suez", "panama"} & set(passages):
            fail(f"{where} must not traverse suez or panama")
        if "south_africa" not in passages or min(lats) > -30:
            fail(f"{where} must round the Cape (south_africa, south of 30S)")
    if route in BOXES:
        x0, y0, x1, y1 = BOXES[route]
        allowed = set(ALL_PASSAGES) - set(RESTRICTIONS[route])
        if set(passages) - allowed or not (x0 <= min(lons) and max(lons) <= x1 and y0 <= min(lats)
                                           and max(lats) <= y1):
            fail(f"{where} leaves the {route} box {BOXES[route]} or uses a passage other than "
                 f"{sorted(allowed) or 'none'}")
    if route == "black_med" and passages != ["bosporus"]:
        fail(f"{where} must leave the Black Sea through the bosporus only")
    if route == "gulf" and passages != ["ormuz"]:
        fail(f"{where} must enter the Gulf through the Strait of Hormuz")


# ---------------------------------------------------------------------------- basemap

COUNTRY_BOX = box(-25, -40, 150, 75)
LAKE_BOX = box(-10, 25, 125, 66)
LAKE_MIN_AREA = 0.2  # square degrees: Lake Van (0.36) and the Aral (2.1) and the other large lakes
LAKE_CLASSES = ("Lake", "Alkaline Lake", "Reservoir")


def _rnd(c, nd=3):
    if isinstance(c[0], (int, float)):
        return [round(c[0], nd), round(c[1], nd)]
    return [_rnd(x, nd) for x in c]


def lake_features(data: Path) -> list[dict]:
    """Natural Earth 10m lakes of the study area larger than LAKE_MIN_AREA, simplified (~1 km)."""
    lakes = json.loads((data / "naturalearth" / "ne_10m_lakes.geojson").read_text())
    out = []
    for f in lakes["features"]:
        p = f["properties"]
        if p.get("featurecla") not in LAKE_CLASSES:
            continue
        g = shape(f["geometry"])
        if not g.intersects(LAKE_BOX) or g.area < LAKE_MIN_AREA:
            continue
        g = g.simplify(0.01, preserve_topology=True)
        out.append({"type": "Feature", "properties": {"name": p.get("name"), "kind": p.get("featurecla")},
                    "geometry": {"type": g.geom_type, "coordinates": _rnd(mapping(g)["coordinates"])}})
    out.sort(key=lambda f: f["properties"]["name"] or "")
    return out


def country_features(data: Path, lakes: list[dict]) -> list[dict]:
    """Natural Earth admin-0 polygons inside the study box with the large lakes cut out, rounded,
    sorted by ISO3 (so a map drawing countries shows Lake Van and the Aral as water)."""
    countries = json.loads((data / "naturalearth" / "ne_110m_admin_0_countries.geojson").read_text())
    holes = [shape(f["geometry"]) for f in lakes]
    cfeats = []
    for f in countries["features"]:
        geom = shape(f["geometry"])
        if not geom.intersects(COUNTRY_BOX):
            continue
        p = f["properties"]
        iso = p.get("ISO_A3") if p.get("ISO_A3") not in (None, "", "-99") else p.get("ADM0_A3")
        for lake in holes:
            if geom.intersects(lake):
                geom = geom.difference(lake)
        g = mapping(geom)
        cfeats.append({"type": "Feature", "properties": {"iso3": iso, "name": p.get("NAME")},
                       "geometry": {"type": g["type"], "coordinates": _rnd(g["coordinates"])}})
    cfeats.sort(key=lambda f: f["properties"]["iso3"])
    return cfeats
