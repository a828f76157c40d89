#!/usr/bin/env python
"""Build the bundled corridor network in src/corridor/data/ from scripts/curated/ and ../shared/data.

Run from the repository root:

    .venv/bin/python scripts/build_data.py [--shared ../shared]

Inputs
  scripts/curated/nodes.csv     hand-curated nodes; coordinates as a lookup key
                                (ne:<name>|<ISO3>, osm:<station id>, wpi:<UN/LOCODE or name>)
                                or as "lat,lon" with a coord_source
  scripts/curated/links.csv     hand-curated links; length_method says how length_km is obtained
                                (published, split, osm, geodesic, searoute, lake)
  scripts/curated/sources*.csv  source tables (merged, de-duplicated by source_id)
  scripts/curated/rates.csv, commodities.csv (copied when present)
  scripts/curated/country.csv, bloc.csv, region.csv
                                countries with bloc memberships and sanctions status, the blocs, and
                                named regions (validated, then copied)
  <shared>/data/naturalearth, rail, ports   (see <shared>/data/README.md)

Outputs (src/corridor/data/)
  node.csv, link.csv, link_geometry.geojson, sources.csv, countries.geojson, rates.csv, commodities.csv,
  country.csv, bloc.csv, region.csv

The build is deterministic: same inputs, same bytes out.  It fails loudly on a missing lookup, a
missing source id, or a sea route that breaks the routing assertions below.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import math
import shutil
import statistics
import sys
import unicodedata
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from pyproj import Geod
from shapely.geometry import LineString, box, shape

REPO = Path(__file__).resolve().parents[1]
CURATED = REPO / "scripts" / "curated"
OUT = REPO / "src" / "corridor" / "data"
GEOD = Geod(ellps="WGS84")

# ---------------------------------------------------------------------------- settings

# Station pairs (node ids) whose OSM track length is compared with the geodesic to derive the
# rail circuity factor.  Long-distance main lines only (>= ~100 km geodesic), both boxes.
CIRCUITY_PAIRS = [
    ("baku", "ganja"),
    ("baku", "beyuk_kesik"),
    ("alat", "horadiz"),
    ("ashgabat", "turkmenbashi"),
    ("turkmenabat", "mary"),
    ("tejen", "ashgabat"),
    ("serhetyaka", "bereket"),
    ("bereket", "etrek"),
    ("bukhara", "farap"),
    ("sarakhs", "mashhad"),
]
# OSM extract boxes (S, W, N, E) from shared/data/README.md
OSM_BOXES = {
    "azerbaijan": (38.39, 44.77, 41.91, 50.63),
    "turkmenistan": (35.14, 52.50, 42.80, 66.68),
}
MAX_SNAP_KM = 5.0

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
}
CASPIAN_BOX = (46.5, 36.5, 55.0, 47.5)  # lon_min, lat_min, lon_max, lat_max
BLACK_SEA_BOX = (27.2, 40.8, 42.0, 47.0)
MAX_LAT = 66.0

COUNTRY_BOX = box(-25, -40, 150, 75)

NODE_OUT = [
    "node_id", "name", "aliases", "kind", "country", "lon", "lat", "coord_source",
    "dwell_hours", "dwell_usd", "dwell_source", "transship_hours", "transship_usd", "transship_source",
    "capacity_teu_yr", "capacity_t_yr", "capacity_source", "notes",
]
LINK_OUT = [
    "link_id", "from_node_id", "to_node_id", "directed", "mode", "name", "rate_class",
    "length_km", "length_source", "speed_kmh", "speed_source", "wait_hours", "wait_source",
    "usd_per_teu", "cost_source", "capacity_teu_yr", "capacity_t_yr", "capacity_source",
    "gauge", "status", "opening_year", "source_id", "sea_area", "passages", "notes",
]
SOURCE_COLS = ["source_id", "title", "publisher", "url", "date", "licence", "grade", "notes"]


class BuildError(RuntimeError):
    pass


def fail(msg: str) -> None:
    raise BuildError(msg)


# ---------------------------------------------------------------------------- helpers


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def geodesic_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance (WGS84) between (lon, lat) points, km."""
    return GEOD.inv(a[0], a[1], b[0], b[1])[2] / 1000.0


def fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).replace("’", "'").lower().strip()


def num(s: str) -> float | None:
    s = (s or "").strip()
    return float(s) if s else None


def fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        r = round(v, 1)
        return str(int(r)) if r.is_integer() else f"{r:.1f}"
    return str(v)


# ---------------------------------------------------------------------------- coordinate lookups


class Gazetteer:
    def __init__(self, data: Path):
        self.data = data
        ne = json.loads((data / "naturalearth" / "ne_10m_populated_places_simple.geojson").read_text())
        self.ne = [f["properties"] | {"_xy": f["geometry"]["coordinates"]} for f in ne["features"]]
        self.osm: dict[int, dict] = {}
        for f in sorted(glob.glob(str(data / "rail" / "osm_stations_*.json"))):
            for s in json.loads(Path(f).read_text()):
                self.osm.setdefault(int(s["id"]), s)
        wpi = pd.read_csv(data / "ports" / "world_port_index_pub150.csv", dtype=str, encoding="utf-8-sig")
        self.wpi = wpi.apply(lambda c: c.str.strip())

    def lookup(self, key: str) -> tuple[float, float, str]:
        """Return (lon, lat, coord_source) for a lookup key; raise if missing or ambiguous."""
        kind, _, ref = key.partition(":")
        if kind == "ne":
            name, _, iso = ref.partition("|")
            hits = [
                p for p in self.ne
                if p["adm0_a3"] == iso
                and fold(name) in {fold(p["name"] or ""), fold(p.get("nameascii") or "")}
            ]
            if not hits:
                fail(f"Natural Earth place not found: {key}")
            hits.sort(key=lambda p: -(p.get("pop_max") or 0))
            lon, lat = hits[0]["_xy"]
            return float(lon), float(lat), "naturalearth_places"
        if kind == "osm":
            s = self.osm.get(int(ref))
            if s is None:
                fail(f"OSM station not found: {key}")
            return float(s["lon"]), float(s["lat"]), "osm_stations"
        if kind == "wpi":
            code = ref.replace(" ", "").upper()
            w = self.wpi
            hits = w[w["UN/LOCODE"].fillna("").str.replace(" ", "").str.upper() == code]
            if hits.empty:
                hits = w[w["Main Port Name"].fillna("").str.lower() == ref.lower()]
            if len(hits) != 1:
                fail(f"World Port Index lookup {key}: {len(hits)} matches")
            r = hits.iloc[0]
            return float(r["Longitude"]), float(r["Latitude"]), "wpi"
        fail(f"unknown coordinate lookup '{key}'")
        raise AssertionError


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
        # snap only to vertices of sizeable components (skip isolated yards and stubs)
        keep = set()
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


def osm_track(graphs, a, b):
    for tg in graphs.values():
        if tg.contains(*a) and tg.contains(*b):
            r = tg.path(a, b)
            if r is not None:
                return r
    return None


# ---------------------------------------------------------------------------- sea routes


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
    feat = sr.searoute(list(origin), list(dest), units="km", restrictions=list(restr),
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
    if {"northwest", "bering"} & set(passages) or max(lats) > MAX_LAT:
        fail(f"{where} uses an Arctic passage or goes north of {MAX_LAT}N")
    if route == "suez" and "suez" not in passages:
        fail(f"{where} must traverse suez")
    if route == "cape":
        if {"suez", "panama"} & set(passages):
            fail(f"{where} must not traverse suez or panama")
        if "south_africa" not in passages or min(lats) > -30:
            fail(f"{where} must round the Cape (south_africa, south of 30S)")
    if route == "caspian":
        x0, y0, x1, y1 = CASPIAN_BOX
        if passages or not (x0 <= min(lons) and max(lons) <= x1 and y0 <= min(lats) and max(lats) <= y1):
            fail(f"{where} leaves the Caspian box {CASPIAN_BOX}")
    if route == "black":
        x0, y0, x1, y1 = BLACK_SEA_BOX
        if passages or not (x0 <= min(lons) and max(lons) <= x1 and y0 <= min(lats) and max(lats) <= y1):
            fail(f"{where} leaves the Black Sea box {BLACK_SEA_BOX}")
    if route == "black_med" and passages != ["bosporus"]:
        fail(f"{where} must leave the Black Sea through the bosporus only")


# ---------------------------------------------------------------------------- countries and geopolitics


def country_features(data: Path) -> list[dict]:
    """Natural Earth admin-0 polygons inside the study box, rounded, sorted by ISO3."""
    countries = json.loads((data / "naturalearth" / "ne_110m_admin_0_countries.geojson").read_text())
    cfeats = []
    for f in countries["features"]:
        geom = shape(f["geometry"])
        if not geom.intersects(COUNTRY_BOX):
            continue
        p = f["properties"]
        iso = p.get("ISO_A3") if p.get("ISO_A3") not in (None, "", "-99") else p.get("ADM0_A3")

        def rnd(c):
            if isinstance(c[0], (int, float)):
                return [round(c[0], 3), round(c[1], 3)]
            return [rnd(x) for x in c]

        g = f["geometry"]
        cfeats.append({"type": "Feature", "properties": {"iso3": iso, "name": p.get("NAME")},
                       "geometry": {"type": g["type"], "coordinates": rnd(g["coordinates"])}})
    cfeats.sort(key=lambda f: f["properties"]["iso3"])
    return cfeats


SANCTIONS = ("none", "eu_us_sectoral", "un_comprehensive")
REQUIRED_REGIONS = ("china", "central-asia", "caucasus", "turkey", "eu")
GEO_COLUMNS = {
    "country.csv": ["iso3", "name", "blocs", "observer", "sanctions", "source_id", "notes"],
    "bloc.csv": ["bloc", "name", "kind", "source_id", "notes"],
    "region.csv": ["region", "name", "members", "source_id", "notes"],
}


def check_geopolitics(sources: set[str], node_countries: set[str], map_countries: set[str]) -> dict[str, int]:
    """Validate country.csv, bloc.csv and region.csv together; return rows per file.

    Every country of the network and of the map must have a row; blocs, observers and
    sanctions take known values only; region members are ISO3 codes of the table or bloc
    names; every source id exists.  All problems are reported at once.
    """
    problems: list[str] = []
    tables = {}
    for name, cols in GEO_COLUMNS.items():
        df = read_csv(CURATED / name)
        if list(df.columns) != cols:
            fail(f"scripts/curated/{name}: columns must be {cols}, got {list(df.columns)}")
        tables[name] = df
        for i, cell in enumerate(df["source_id"], start=2):
            ids = [s.strip() for s in cell.split(";") if s.strip()]
            if not ids:
                problems.append(f"{name} line {i}: source_id is empty")
            problems += [f"{name} line {i}: unknown source id '{s}'" for s in ids if s not in sources]
    blocs = set(tables["bloc.csv"]["bloc"])
    ct = tables["country.csv"]
    seen: set[str] = set()
    for i, r in enumerate(ct.to_dict("records"), start=2):
        iso = r["iso3"]
        if len(iso) != 3 or not iso.isalpha() or not iso.isupper():
            problems.append(f"country.csv line {i}: iso3 '{iso}' is not three capital letters")
        if iso in seen:
            problems.append(f"country.csv line {i}: iso3 '{iso}' appears twice")
        seen.add(iso)
        if not r["name"].strip():
            problems.append(f"country.csv line {i}: name is empty")
        for col in ("blocs", "observer"):
            for b in filter(None, r[col].split(";")):
                if b not in blocs:
                    problems.append(f"country.csv line {i}: {col} '{b}' is not in bloc.csv ({sorted(blocs)})")
        if r["sanctions"] not in SANCTIONS:
            problems.append(f"country.csv line {i}: sanctions '{r['sanctions']}' is not one of {SANCTIONS}")
    for what, need in (("network node", node_countries), ("map (countries.geojson)", map_countries)):
        missing = sorted(need - seen)
        if missing:
            problems.append(f"country.csv lacks {what} countries: {missing}")
    regions = tables["region.csv"]
    if regions["region"].duplicated().any():
        dup = sorted(regions.loc[regions["region"].duplicated(), "region"])
        problems.append(f"region.csv: duplicate regions {dup}")
    for i, r in enumerate(regions.to_dict("records"), start=2):
        members = [m for m in r["members"].split(";") if m]
        if not members:
            problems.append(f"region.csv line {i}: region '{r['region']}' has no members")
        for m in members:
            if m not in seen and m not in blocs:
                problems.append(f"region.csv line {i}: member '{m}' is neither a country of country.csv "
                                f"nor a bloc of bloc.csv")
    missing_regions = [r for r in REQUIRED_REGIONS if r not in set(regions["region"])]
    if missing_regions:
        problems.append(f"region.csv lacks the regions {missing_regions}")
    if problems:
        fail("geopolitics tables:\n  " + "\n  ".join(problems))
    return {name: len(df) for name, df in tables.items()}


# ---------------------------------------------------------------------------- main build


def build(shared: Path) -> None:
    data = shared / "data"
    if not data.is_dir():
        fail(f"shared data folder not found: {data}")
    OUT.mkdir(parents=True, exist_ok=True)

    # -------------------------------------------------- nodes
    gaz = Gazetteer(data)
    nodes = read_csv(CURATED / "nodes.csv")
    if nodes["node_id"].duplicated().any():
        fail(f"duplicate node ids: {sorted(nodes.loc[nodes['node_id'].duplicated(), 'node_id'])}")
    xy: dict[str, tuple[float, float]] = {}
    node_rows = []
    for r in nodes.to_dict("records"):
        key = r["coord"].strip()
        if not key:
            fail(f"node {r['node_id']}: no coordinates")
        if ":" in key:
            lon, lat, src = gaz.lookup(key)
            if r["coord_source"].strip():
                fail(f"node {r['node_id']}: coord_source is set by the lookup, leave it empty")
        else:
            lat, lon = (float(v) for v in key.split(","))
            src = r["coord_source"].strip()
            if not src:
                fail(f"node {r['node_id']}: explicit coordinates need a coord_source")
        xy[r["node_id"]] = (lon, lat)
        row = {k: r.get(k, "") for k in NODE_OUT}
        row.update(lon=f"{lon:.5f}", lat=f"{lat:.5f}", coord_source=src)
        for col in ("dwell_hours", "dwell_usd", "transship_hours", "transship_usd",
                    "capacity_teu_yr", "capacity_t_yr"):
            row[col] = fmt(num(r[col]))
        node_rows.append(row)

    # -------------------------------------------------- OSM track graphs and circuity
    graphs = {
        name: TrackGraph(data / "rail" / f"osm_railways_{name}.json", bbox)
        for name, bbox in OSM_BOXES.items()
    }
    ratios = []
    for a, b in CIRCUITY_PAIRS:
        r = osm_track(graphs, xy[a], xy[b])
        if r is None:
            fail(f"circuity pair {a}-{b}: no OSM track path")
        geo = geodesic_km(xy[a], xy[b])
        ratios.append((a, b, r[0], geo, r[0] / geo))
    circuity = round(statistics.median(x[4] for x in ratios), 3)

    # -------------------------------------------------- links
    links = read_csv(CURATED / "links.csv")
    if links["link_id"].duplicated().any():
        fail(f"duplicate link ids: {sorted(links.loc[links['link_id'].duplicated(), 'link_id'])}")
    for col in ("from_node_id", "to_node_id"):
        unknown = sorted(set(links[col]) - set(xy))
        if unknown:
            fail(f"links reference unknown nodes: {unknown}")

    length: dict[str, float] = {}
    lsrc: dict[str, str] = {}
    geometry: dict[str, tuple[list, str]] = {}
    passages: dict[str, str] = {}
    sea_summary = []

    def derived_length(r) -> float:
        a, b = xy[r["from_node_id"]], xy[r["to_node_id"]]
        return geodesic_km(a, b) * circuity

    split_weights: dict[str, dict[str, float]] = {}
    for r in links.to_dict("records"):
        lid, method = r["link_id"], r["length_method"].strip()
        a, b = xy[r["from_node_id"]], xy[r["to_node_id"]]
        if method == "published":
            if num(r["length_km"]) is None or not r["length_source"].strip():
                fail(f"link {lid}: published length needs length_km and length_source")
            length[lid], lsrc[lid] = num(r["length_km"]), r["length_source"].strip()
        elif method in ("osm", "split"):
            tr = osm_track(graphs, a, b) if r["mode"] == "rail" else None
            if method == "osm":
                if tr is None:
                    fail(f"link {lid}: no OSM track path between its nodes")
                length[lid], lsrc[lid] = tr[0], "derived:osm"
            if tr is not None:
                geometry[lid] = (tr[1], "osm_railways")
            if method == "split":
                grp = r["split_group"].strip()
                if not grp or num(r["split_total_km"]) is None or not r["length_source"].strip():
                    fail(f"link {lid}: split needs split_group, split_total_km and length_source")
                split_weights.setdefault(grp, {})[lid] = tr[0] if tr is not None else derived_length(r)
        elif method == "geodesic":
            length[lid], lsrc[lid] = derived_length(r), "derived:geodesic"
        elif method == "lake":  # lake ferry (not in searoute): published length or geodesic
            if num(r["length_km"]) is not None and r["length_source"].strip():
                length[lid], lsrc[lid] = num(r["length_km"]), r["length_source"].strip()
            else:
                length[lid], lsrc[lid] = geodesic_km(a, b), "derived:geodesic"
            geometry[lid] = ([a, b], "geodesic")
        elif method == "searoute":
            route = r["sea_route"].strip()
            if route not in RESTRICTIONS:
                fail(f"link {lid}: unknown sea_route '{route}'")
            km, pas, coords = sea_route(a, b, route)
            check_sea(lid, route, pas, coords)
            length[lid], lsrc[lid] = km, "derived:searoute"
            passages[lid] = ";".join(pas)
            geometry[lid] = (coords, "searoute")
            sea_summary.append((lid, km, pas))
        else:
            fail(f"link {lid}: unknown length_method '{method}'")
    # split groups: a published total shared in proportion to track length (or geodesic x circuity)
    for grp, weights in split_weights.items():
        rows = links[links["split_group"] == grp]
        totals = {num(t) for t in rows["split_total_km"]}
        srcs = set(rows["length_source"])
        if len(totals) != 1 or len(srcs) != 1:
            fail(f"split group {grp}: members disagree on split_total_km or length_source")
        total, src = totals.pop(), srcs.pop()
        wsum = sum(weights.values())
        for lid, w in weights.items():
            length[lid], lsrc[lid] = total * w / wsum, src

    link_rows = []
    for r in links.to_dict("records"):
        lid = r["link_id"]
        row = {k: r.get(k, "") for k in LINK_OUT}
        row["directed"] = "false"
        row["length_km"] = fmt(length[lid])
        row["length_source"] = lsrc[lid]
        row["passages"] = passages.get(lid, "")
        for col in ("wait_hours", "speed_kmh", "usd_per_teu", "capacity_teu_yr", "capacity_t_yr"):
            row[col] = fmt(num(r[col]))
        row["gauge"] = r["gauge"].strip()
        row["opening_year"] = r["opening_year"].strip()
        link_rows.append(row)

    # -------------------------------------------------- sources (merge all curated sources*.csv)
    frames = [read_csv(p) for p in sorted(CURATED.glob("sources*.csv"))]
    merged: dict[str, dict] = {}
    for df in frames:
        missing = [c for c in SOURCE_COLS if c not in df.columns]
        if missing:
            fail(f"a sources file lacks columns {missing}")
        for r in df.to_dict("records"):
            sid = r["source_id"].strip()
            if sid in merged:
                if merged[sid]["url"] != r["url"]:
                    print(f"warning: source {sid} defined twice with different urls; first kept",
                          file=sys.stderr)
                continue
            merged[sid] = {c: r[c] for c in SOURCE_COLS}
    if "derived_circuity" in merged:
        pairs_txt = "; ".join(f"{a}-{b} {t:.0f}/{g:.0f} km = {x:.3f}" for a, b, t, g, x in ratios)
        merged["derived_circuity"]["notes"] = (
            f"Rail circuity factor {circuity:.3f} = median of track/geodesic ratios over "
            f"{len(ratios)} station pairs in the OSM railway extracts (Azerbaijan and Turkmenistan "
            f"boxes): shortest path over way vertices (type=rail, vertices snapped at shared "
            f"coordinates, weights = WGS84 geodesic) vs WGS84 geodesic between the stations. "
            f"Pairs: {pairs_txt}. Applied to rail and road links without a published or OSM "
            f"length (length_source derived:geodesic)."
        )

    # rates / commodities (the other helper's files) and the appraisal's projects are copied when present
    extra = {}
    for name in ("rates.csv", "commodities.csv", "projects.csv", "families.csv", "queue_params.csv"):
        p = CURATED / name
        if p.exists():
            extra[name] = read_csv(p)
        else:
            print(f"warning: scripts/curated/{name} not found; not copied", file=sys.stderr)

    # every referenced source id must exist
    known = set(merged)
    refs: list[tuple[str, str]] = []
    for row in node_rows:
        for c in ("coord_source", "dwell_source", "transship_source", "capacity_source"):
            refs += [(f"node {row['node_id']}.{c}", s) for s in row[c].split(";")]
    for row in link_rows:
        for c in ("length_source", "speed_source", "wait_source", "cost_source", "capacity_source",
                  "source_id"):
            refs += [(f"link {row['link_id']}.{c}", s) for s in row[c].split(";")]
    for name, df in extra.items():
        for c in [c for c in df.columns if c.endswith("_source") or c == "source_id"]:
            for i, cell in enumerate(df[c]):
                refs += [(f"{name} row {i + 2}.{c}", s) for s in cell.split(";")]
    missing = sorted({f"{where}: '{s.strip()}'" for where, s in refs
                      if s.strip() and not s.strip().startswith("derived") and s.strip() not in known})
    if missing:
        fail("source ids missing from sources*.csv:\n  " + "\n  ".join(missing))
    # every set value needs a source
    for row in node_rows:
        for val, src in (("dwell_hours", "dwell_source"), ("dwell_usd", "dwell_source"),
                         ("transship_hours", "transship_source"), ("transship_usd", "transship_source"),
                         ("capacity_teu_yr", "capacity_source"), ("capacity_t_yr", "capacity_source")):
            if row[val] and not row[src]:
                fail(f"node {row['node_id']}: {val} has no {src}")
    for row in link_rows:
        for val, src in (("speed_kmh", "speed_source"), ("wait_hours", "wait_source"),
                         ("usd_per_teu", "cost_source"), ("capacity_teu_yr", "capacity_source"),
                         ("capacity_t_yr", "capacity_source")):
            if row[val] and not row[src]:
                fail(f"link {row['link_id']}: {val} has no {src}")
        if row["mode"] == "rail" and row["gauge"] not in ("1435", "1520"):
            fail(f"link {row['link_id']}: rail link needs gauge 1435 or 1520")

    # -------------------------------------------------- geopolitics (country, bloc, region tables)
    cfeats = country_features(data)
    geo = check_geopolitics(known, {r["country"] for r in node_rows},
                            {f["properties"]["iso3"] for f in cfeats})

    # -------------------------------------------------- write
    def write_csv(path: Path, cols, rows):
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, cols, lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({c: r.get(c, "") for c in cols})

    write_csv(OUT / "node.csv", NODE_OUT, node_rows)
    write_csv(OUT / "link.csv", LINK_OUT, link_rows)
    write_csv(OUT / "sources.csv", SOURCE_COLS, [merged[k] for k in merged])
    for name in extra:
        shutil.copyfile(CURATED / name, OUT / name)
    for name in geo:
        shutil.copyfile(CURATED / name, OUT / name)

    feats = []
    for r in link_rows:
        lid = r["link_id"]
        if lid not in geometry:
            continue
        coords, origin = geometry[lid]
        line = LineString(coords)
        if origin == "osm_railways":
            line = line.simplify(0.001, preserve_topology=False)
        pts = [[round(x, 4), round(y, 4)] for x, y in line.coords]
        props = {"link_id": lid, "source": origin}
        if origin == "osm_railways":
            props["attribution"] = "© OpenStreetMap contributors (ODbL-1.0)"
        elif origin == "searoute":
            props["attribution"] = "searoute-py (Apache-2.0), network derived from Eurostat SeaRoute"
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "LineString", "coordinates": pts}})
    (OUT / "link_geometry.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False,
                   separators=(",", ":")) + "\n", encoding="utf-8")

    (OUT / "countries.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": cfeats}, ensure_ascii=False,
                   separators=(",", ":")) + "\n", encoding="utf-8")

    # -------------------------------------------------- summary
    ldf = pd.DataFrame(link_rows)
    print(f"nodes: {len(node_rows)}  links: {len(link_rows)}  sources: {len(merged)}")
    print("links by mode/status:")
    print(ldf.groupby(["mode", "status"]).size().to_string())
    print("length sources:", ldf["length_source"].map(
        lambda s: s if s.startswith("derived") else "published").value_counts().to_dict())
    print(f"rail circuity (median of {len(ratios)} OSM pairs) = {circuity:.3f}")
    for a, b, t, g, x in ratios:
        print(f"  {a:>12s}-{b:<13s} track {t:7.1f} km  geodesic {g:7.1f} km  ratio {x:.3f}")
    print("sea / ferry links (km, passages):")
    for lid, km, pas in sea_summary:
        print(f"  {lid:40s} {km:9.1f}  {';'.join(pas) or '-'}")
    print(f"geometry features: {len(feats)}  countries: {len(cfeats)}")
    print(f"country table: {geo['country.csv']} countries, {geo['bloc.csv']} blocs, "
          f"{geo['region.csv']} regions")
    for name in ("node.csv", "link.csv", "sources.csv", "link_geometry.geojson", "countries.geojson",
                 *geo):
        print(f"  wrote {OUT.relative_to(REPO) / name} ({(OUT / name).stat().st_size / 1024:.0f} KiB)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(REPO.parent / "shared"),
                    help="path to the shared folder holding data/ (default: ../shared from the repo root)")
    args = ap.parse_args(argv)
    try:
        build(Path(args.shared).resolve())
    except BuildError as exc:
        print(f"build_data: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
