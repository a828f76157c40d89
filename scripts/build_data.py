#!/usr/bin/env python
"""Build the bundled corridor network in src/corridor/data/ from scripts/curated/ and ../shared/data.

Run from the repository root:

    .venv/bin/python scripts/build_data.py [--shared ../shared]

Inputs
  scripts/curated/nodes.csv     hand-curated nodes; coordinates as a lookup key
                                (ne:<name>|<ISO3>[@lon,lat], osm:<station id>, wpi:<UN/LOCODE or name>)
                                or as "lat,lon" with a coord_source
  scripts/curated/links.csv     hand-curated links; length_method says how length_km is obtained
                                (published, split, osm, geodesic, searoute, lake); `via` names the OSM
                                stations or Natural Earth places a rail or road link is drawn through
  scripts/curated/sources*.csv  source tables (merged, de-duplicated by source_id)
  scripts/curated/rates.csv, commodities.csv, projects.csv, families.csv, queue_params.csv (copied)
  scripts/curated/emission_factors.csv, rail_energy.csv
                                ISO 14083 / GLEC factors per emission class and hub, rail electric
                                share and grid intensity per country ('EU' expanded to the members)
  scripts/curated/country.csv, bloc.csv, region.csv
                                countries with bloc memberships and sanctions status, the blocs, and
                                named regions (validated, then copied)
  <shared>/data/naturalearth, rail, ports   (see <shared>/data/README.md)

Outputs (src/corridor/data/), GMNS where GMNS defines the file
  node.csv (node_id, name, x_coord, y_coord, ...), link.csv (link_id, from_node_id, to_node_id,
  directed, length [km], allowed_uses, ..., geometry as WKT), config.csv, use_definition.csv,
  sources.csv, countries.geojson (lakes cut out), lakes.geojson, rates.csv, commodities.csv,
  emission_factors.csv, rail_energy.csv, country.csv, bloc.csv, region.csv, ...

The build is deterministic: same inputs, same bytes out.  It fails loudly on a missing lookup, a
missing source id, or a sea lane that breaks the routing assertions (passages, canals, boxes).
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
from collections import Counter
from pathlib import Path

import pandas as pd
from network_geometry import (
    RESTRICTIONS,
    BuildError,
    ViaResolver,
    canals_crossed,
    check_sea,
    country_features,
    fail,
    fold,
    geodesic_km,
    lake_features,
    marnet_without_canals,
    osm_track,
    sea_route,
    track_graphs,
)
from shapely.geometry import LineString

REPO = Path(__file__).resolve().parents[1]
CURATED = REPO / "scripts" / "curated"
OUT = REPO / "src" / "corridor" / "data"
sys.path.insert(0, str(REPO / "src"))
from corridor.network.gmns import CONFIG, USE_COLUMNS, USE_TEXT, wkt_line  # noqa: E402
from corridor.vocabulary import MODES  # noqa: E402

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

NODE_OUT = [
    "node_id", "name", "x_coord", "y_coord", "aliases", "kind", "country", "coord_source",
    "dwell_hours", "dwell_usd", "dwell_source", "transship_hours", "transship_usd", "transship_source",
    "capacity_teu_yr", "capacity_t_yr", "capacity_source", "notes",
]
LINK_OUT = [
    "link_id", "from_node_id", "to_node_id", "directed", "length", "allowed_uses", "mode", "name",
    "rate_class", "emission_class", "length_source", "speed_kmh", "speed_source", "wait_hours", "wait_source",
    "usd_per_teu", "cost_source", "capacity_teu_yr", "capacity_t_yr", "capacity_source",
    "gauge", "status", "opening_year", "source_id", "sea_area", "passages", "geometry_source", "notes",
    "geometry",
]
SOURCE_COLS = ["source_id", "title", "publisher", "url", "date", "licence", "grade", "notes"]
EMISSION_COLS = ["factor_id", "applies_to", "description", "wtw_kg_per_tkm", "ttw_kg_per_tkm", "kwh_per_tkm",
                 "wtw_kg_per_teu", "ttw_kg_per_teu", "source_id", "notes"]
RAIL_ENERGY_COLS = ["country", "electric_share", "grid_g_co2e_per_kwh", "source_id", "notes"]
HUB_FACTORS = ("hub_port", "hub_rail")

# geometry_source values, and what counts as "on OSM track" in the report
GEOMETRY_KINDS = ("osm_track", "via_places", "searoute", "lake", "straight")


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


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
        """Return (lon, lat, coord_source) for a lookup key; raise if missing or ambiguous.

        ne:<name>|<ISO3> takes the most populous match; ne:<name>|<ISO3>@<lon>,<lat> the match
        nearest that hint (within 50 km), for names two places share (Jining, Suzhou).
        """
        kind, _, ref = key.partition(":")
        if kind == "ne":
            ref, _, hint = ref.partition("@")
            name, _, iso = ref.partition("|")
            hits = [
                p for p in self.ne
                if p["adm0_a3"] == iso
                and fold(name) in {fold(p["name"] or ""), fold(p.get("nameascii") or "")}
            ]
            if not hits:
                fail(f"Natural Earth place not found: {key}")
            if hint:
                hx, hy = (float(v) for v in hint.split(","))
                hits.sort(key=lambda p: geodesic_km((hx, hy), tuple(p["_xy"])))
                if geodesic_km((hx, hy), tuple(hits[0]["_xy"])) > 50:
                    fail(f"Natural Earth place {key}: no match within 50 km of the hint")
            else:
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
            if len(hits) != 1:
                hits = w[w["Main Port Name"].fillna("").str.lower() == ref.lower()]
            if len(hits) != 1:
                fail(f"World Port Index lookup {key}: {len(hits)} matches")
            r = hits.iloc[0]
            return float(r["Longitude"]), float(r["Latitude"]), "wpi"
        fail(f"unknown coordinate lookup '{key}'")
        raise AssertionError


# ---------------------------------------------------------------------------- countries and geopolitics


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
    tables = read_geo_tables()
    blocs = set(tables["bloc.csv"]["bloc"])
    countries = tables["country.csv"]
    seen = set(countries["iso3"])
    problems = geo_source_problems(tables, sources)
    problems += country_problems(countries, blocs)
    problems += missing_country_problems(seen, node_countries, map_countries)
    problems += region_problems(tables["region.csv"], seen, blocs)
    if problems:
        fail("geopolitics tables:\n  " + "\n  ".join(problems))
    return {name: len(df) for name, df in tables.items()}


def read_geo_tables() -> dict[str, pd.DataFrame]:
    """The three tables by file name; a wrong header stops the build before any row is judged."""
    tables = {}
    for name, cols in GEO_COLUMNS.items():
        df = read_csv(CURATED / name)
        if list(df.columns) != cols:
            fail(f"scripts/curated/{name}: columns must be {cols}, got {list(df.columns)}")
        tables[name] = df
    return tables


def geo_source_problems(tables: dict[str, pd.DataFrame], sources: set[str]) -> list[str]:
    """Every row of the three tables names at least one source, and only known ones."""
    problems: list[str] = []
    for name, df in tables.items():
        for i, cell in enumerate(df["source_id"], start=2):
            ids = [s.strip() for s in cell.split(";") if s.strip()]
            if not ids:
                problems.append(f"{name} line {i}: source_id is empty")
            problems += [f"{name} line {i}: unknown source id '{s}'" for s in ids if s not in sources]
    return problems


def country_problems(countries: pd.DataFrame, blocs: set[str]) -> list[str]:
    """country.csv row by row: a unique ISO3 code, a name, known blocs and a known sanctions status."""
    problems: list[str] = []
    seen: set[str] = set()
    for i, r in enumerate(countries.to_dict("records"), start=2):
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
    return problems


def missing_country_problems(seen: set[str], node_countries: set[str], map_countries: set[str]) -> list[str]:
    """The network's and the map's countries all have a row (else their names and blocs are unknown)."""
    problems: list[str] = []
    for what, need in (("network node", node_countries), ("map (countries.geojson)", map_countries)):
        missing = sorted(need - seen)
        if missing:
            problems.append(f"country.csv lacks {what} countries: {missing}")
    return problems


def region_problems(regions: pd.DataFrame, countries: set[str], blocs: set[str]) -> list[str]:
    """region.csv: unique names, members that are countries or blocs, and the regions the model asks for."""
    problems: list[str] = []
    if regions["region"].duplicated().any():
        dup = sorted(regions.loc[regions["region"].duplicated(), "region"])
        problems.append(f"region.csv: duplicate regions {dup}")
    for i, r in enumerate(regions.to_dict("records"), start=2):
        members = [m for m in r["members"].split(";") if m]
        if not members:
            problems.append(f"region.csv line {i}: region '{r['region']}' has no members")
        for m in members:
            if m not in countries and m not in blocs:
                problems.append(f"region.csv line {i}: member '{m}' is neither a country of country.csv "
                                f"nor a bloc of bloc.csv")
    missing_regions = [r for r in REQUIRED_REGIONS if r not in set(regions["region"])]
    if missing_regions:
        problems.append(f"region.csv lacks the regions {missing_regions}")
    return problems


# ---------------------------------------------------------------------------- nodes


def build_nodes(gaz: Gazetteer) -> tuple[list[dict], dict[str, tuple[float, float]]]:
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
        row.update(x_coord=f"{lon:.5f}", y_coord=f"{lat:.5f}", coord_source=src)
        for col in ("dwell_hours", "dwell_usd", "transship_hours", "transship_usd",
                    "capacity_teu_yr", "capacity_t_yr"):
            row[col] = fmt(num(r[col]))
        if r["kind"] == "border_crossing" and r["country"] in CAREC and not row["dwell_usd"]:
            # what clearing a rail border costs where no crossing's own figure is known: the CAREC
            # average per border crossing point, 2022 (USD 178 in 2021)
            row["dwell_usd"] = fmt(CAREC_RAIL_BCP_USD)
            row["dwell_source"] = ";".join(filter(None, [row.get("dwell_source", ""), "cpmm_2022_bcp"]))
        node_rows.append(row)
    return node_rows, xy


CAREC = {"AFG", "AZE", "CHN", "GEO", "KAZ", "KGZ", "MNG", "PAK", "TJK", "TKM", "UZB"}  # member countries
CAREC_RAIL_BCP_USD = 215.0  # cpmm_2022_bcp: rail border crossing cost, CAREC average 2022


# ---------------------------------------------------------------------------- links


class LinkBuilder:
    """Lengths and shapes of the curated links (see the module docstring for the methods)."""

    def __init__(self, links: pd.DataFrame, xy, graphs, vias: ViaResolver):
        self.links, self.xy, self.graphs, self.vias = links, xy, graphs, vias
        self.length: dict[str, float] = {}
        self.lsrc: dict[str, str] = {}
        self.geometry: dict[str, tuple[list, str]] = {}
        self.passages: dict[str, str] = {}
        self.sea_summary: list[tuple[str, float, list[str]]] = []
        ratios = []
        for a, b in CIRCUITY_PAIRS:
            r = osm_track(graphs, xy[a], xy[b])
            if r is None:
                fail(f"circuity pair {a}-{b}: no OSM track path")
            geo = geodesic_km(xy[a], xy[b])
            ratios.append((a, b, r[0], geo, r[0] / geo))
        self.ratios = ratios
        self.circuity = round(statistics.median(x[4] for x in ratios), 3)

    def derived_length(self, r) -> float:
        return geodesic_km(self.xy[r["from_node_id"]], self.xy[r["to_node_id"]]) * self.circuity

    def build(self) -> None:
        """Every link's length and shape; a split group's total is shared once all its members are seen."""
        split_weights: dict[str, dict[str, float]] = {}
        for r in self.links.to_dict("records"):
            lid, method = r["link_id"], r["length_method"].strip()
            a, b = self.xy[r["from_node_id"]], self.xy[r["to_node_id"]]
            tr = osm_track(self.graphs, a, b) if r["mode"] == "rail" else None
            self.draw_land(lid, r, a, b, tr)
            if method == "split":
                grp = r["split_group"].strip()
                if not grp or num(r["split_total_km"]) is None or not r["length_source"].strip():
                    fail(f"link {lid}: split needs split_group, split_total_km and length_source")
                split_weights.setdefault(grp, {})[lid] = tr[0] if tr is not None else self.derived_length(r)
            else:
                self.measure(lid, method, r, a, b, tr)
        self.share_split_totals(split_weights)

    def draw_land(self, lid: str, r: dict, a, b, tr) -> None:
        """A rail or road link's shape: its OSM track where the extracts hold one, else the via places."""
        if tr is not None:
            self.geometry[lid] = (tr[1], "osm_track")
        elif r["mode"] in ("rail", "road") and r.get("via", "").strip():
            self.geometry[lid] = ([a, *self.vias.resolve(lid, a, b, r["via"]), b], "via_places")

    def measure(self, lid: str, method: str, r: dict, a, b, tr) -> None:
        """The length of a link that is not part of a split group, by its length_method."""
        if method == "published":
            if num(r["length_km"]) is None or not r["length_source"].strip():
                fail(f"link {lid}: published length needs length_km and length_source")
            self.length[lid], self.lsrc[lid] = num(r["length_km"]), r["length_source"].strip()
        elif method == "osm":
            if tr is None:
                fail(f"link {lid}: no OSM track path between its nodes")
            self.length[lid], self.lsrc[lid] = tr[0], "derived:osm"
        elif method == "geodesic":
            self.length[lid], self.lsrc[lid] = self.derived_length(r), "derived:geodesic"
        elif method == "lake":  # lake ferry (not in searoute): published length or geodesic
            if num(r["length_km"]) is not None and r["length_source"].strip():
                self.length[lid], self.lsrc[lid] = num(r["length_km"]), r["length_source"].strip()
            else:
                self.length[lid], self.lsrc[lid] = geodesic_km(a, b), "derived:geodesic"
            self.geometry[lid] = ([a, b], "lake")
        elif method == "searoute":
            self.sea_lane(lid, r, a, b)
        else:
            fail(f"link {lid}: unknown length_method '{method}'")

    def sea_lane(self, lid: str, r: dict, a, b) -> None:
        """A sea or ferry lane along searoute's network, checked against its route's passages."""
        route = r["sea_route"].strip()
        if route not in RESTRICTIONS:
            fail(f"link {lid}: unknown sea_route '{route}'")
        km, pas, coords = sea_route(a, b, route)
        check_sea(lid, route, pas, coords)
        self.length[lid], self.lsrc[lid] = km, "derived:searoute"
        self.passages[lid] = ";".join(pas)
        self.geometry[lid] = (coords, "searoute")
        self.sea_summary.append((lid, km, pas))

    def share_split_totals(self, split_weights: dict[str, dict[str, float]]) -> None:
        """Split groups: a published total shared in proportion to track length (or geodesic x circuity)."""
        for grp, weights in split_weights.items():
            rows = self.links[self.links["split_group"] == grp]
            totals = {num(t) for t in rows["split_total_km"]}
            srcs = set(rows["length_source"])
            if len(totals) != 1 or len(srcs) != 1:
                fail(f"split group {grp}: members disagree on split_total_km or length_source")
            total, src = totals.pop(), srcs.pop()
            wsum = sum(weights.values())
            for lid, w in weights.items():
                self.length[lid], self.lsrc[lid] = total * w / wsum, src

    def shape(self, lid: str) -> tuple[list[tuple[float, float]] | None, str]:
        """The simplified, rounded shape to store and where it comes from (None: a straight link)."""
        if lid not in self.geometry:
            return None, "straight"
        coords, origin = self.geometry[lid]
        line = LineString(coords)
        if origin == "osm_track":
            line = line.simplify(0.001, preserve_topology=False)
        return [(round(x, 4), round(y, 4)) for x, y in line.coords], origin


def link_rows(links: pd.DataFrame, lb: LinkBuilder) -> list[dict]:
    rows = []
    for r in links.to_dict("records"):
        lid = r["link_id"]
        row = {k: r.get(k, "") for k in LINK_OUT}
        row["directed"] = "false"
        row["length"] = fmt(lb.length[lid])
        row["length_source"] = lb.lsrc[lid]
        row["allowed_uses"] = r["mode"]
        row["passages"] = lb.passages.get(lid, "")
        for col in ("wait_hours", "speed_kmh", "usd_per_teu", "capacity_teu_yr", "capacity_t_yr"):
            row[col] = fmt(num(r[col]))
        row["gauge"] = r["gauge"].strip()
        row["opening_year"] = r["opening_year"].strip()
        coords, origin = lb.shape(lid)
        row["geometry_source"] = origin
        row["geometry"] = wkt_line(coords) if coords else ""
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------- sources and checks


def merge_sources(ratios, circuity) -> dict[str, dict]:
    merged: dict[str, dict] = {}
    for path in sorted(CURATED.glob("sources*.csv")):
        df = read_csv(path)
        missing = [c for c in SOURCE_COLS if c not in df.columns]
        if missing:
            fail(f"{path.name} lacks columns {missing}")
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
    return merged


def emission_tables(known: set[str], countries: pd.DataFrame, rates: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """emission_factors.csv checked; rail_energy.csv with the 'EU' row expanded to each member."""
    ef = read_emission_factors()
    unknown = sorted(set(rates["emission_class"]) - set(ef["factor_id"]) - {"", "rail"})
    if unknown:
        fail(f"rates.csv names unknown emission classes {unknown}")
    out = rail_energy(countries)
    for df, name in ((ef, "emission_factors.csv"), (out, "rail_energy.csv")):
        for cell in df["source_id"]:
            for sid in filter(None, cell.split(";")):
                if sid not in known:
                    fail(f"{name}: unknown source id '{sid}'")
    return {"emission_factors.csv": ef, "rail_energy.csv": out}


def read_emission_factors() -> pd.DataFrame:
    """emission_factors.csv, each factor with the values its use needs, and the two hub factors present."""
    ef = read_csv(CURATED / "emission_factors.csv")
    if list(ef.columns) != EMISSION_COLS:
        fail(f"emission_factors.csv: columns must be {EMISSION_COLS}")
    if ef["factor_id"].duplicated().any():
        fail("emission_factors.csv: duplicate factor ids")
    for r in ef.to_dict("records"):
        per = ("wtw_kg_per_teu", "ttw_kg_per_teu") if r["applies_to"] == "hub" else ("ttw_kg_per_tkm",)
        if r["applies_to"] not in ("link", "hub") or any(num(r[c]) is None for c in per):
            fail(f"emission factor {r['factor_id']}: applies_to link/hub with its values")
        if r["applies_to"] == "link" and num(r["wtw_kg_per_tkm"]) is None and num(r["kwh_per_tkm"]) is None:
            fail(f"emission factor {r['factor_id']}: needs wtw_kg_per_tkm or kwh_per_tkm")
    missing_hubs = [h for h in HUB_FACTORS if h not in set(ef["factor_id"])]
    if missing_hubs:
        fail(f"emission_factors.csv lacks the hub factors {missing_hubs}")
    return ef


def rail_energy(countries: pd.DataFrame) -> pd.DataFrame:
    """rail_energy.csv by country: the 'EU' row stands for every EU member without a row of its own."""
    re_ = read_csv(CURATED / "rail_energy.csv")
    if list(re_.columns) != RAIL_ENERGY_COLS:
        fail(f"rail_energy.csv: columns must be {RAIL_ENERGY_COLS}")
    rows = []
    members = {iso for iso, blocs in zip(countries["iso3"], countries["blocs"], strict=True)
               if "EU" in blocs.split(";")}
    explicit = set(re_["country"]) - {"EU"}
    for r in re_.to_dict("records"):
        if r["country"] == "EU":
            for iso in sorted(members - explicit):
                rows.append(r | {"country": iso, "notes": f"EU default: {r['notes']}"})
        else:
            rows.append(r)
    return pd.DataFrame(rows, columns=RAIL_ENERGY_COLS).sort_values("country").reset_index(drop=True)


# A value of a node or link row and the column that must name its source.
NODE_SOURCED = (("dwell_hours", "dwell_source"), ("dwell_usd", "dwell_source"),
                ("transship_hours", "transship_source"), ("transship_usd", "transship_source"),
                ("capacity_teu_yr", "capacity_source"), ("capacity_t_yr", "capacity_source"))
LINK_SOURCED = (("speed_kmh", "speed_source"), ("wait_hours", "wait_source"),
                ("usd_per_teu", "cost_source"), ("capacity_teu_yr", "capacity_source"),
                ("capacity_t_yr", "capacity_source"))


def check_sources(node_rows, link_rows_, extra, known) -> None:
    """Every source id named anywhere is in sources*.csv, and every sourced value names one."""
    missing = sorted({f"{where}: '{s.strip()}'" for where, s in source_refs(node_rows, link_rows_, extra)
                      if s.strip() and not s.strip().startswith("derived") and s.strip() not in known})
    if missing:
        fail("source ids missing from sources*.csv:\n  " + "\n  ".join(missing))
    for row in node_rows:
        for val, src in NODE_SOURCED:
            if row[val] and not row[src]:
                fail(f"node {row['node_id']}: {val} has no {src}")
    for row in link_rows_:
        check_link_row(row)


def source_refs(node_rows, link_rows_, extra) -> list[tuple[str, str]]:
    """(where, source id) for every id in the nodes', links' and copied tables' source columns."""
    refs: list[tuple[str, str]] = []
    for row in node_rows:
        for c in ("coord_source", "dwell_source", "transship_source", "capacity_source"):
            refs += [(f"node {row['node_id']}.{c}", s) for s in row[c].split(";")]
    for row in link_rows_:
        for c in ("length_source", "speed_source", "wait_source", "cost_source", "capacity_source",
                  "source_id"):
            refs += [(f"link {row['link_id']}.{c}", s) for s in row[c].split(";")]
    for name, df in extra.items():
        for c in [c for c in df.columns if c.endswith("_source") or c == "source_id"]:
            for i, cell in enumerate(df[c]):
                refs += [(f"{name} row {i + 2}.{c}", s) for s in cell.split(";")]
    return refs


def check_link_row(row: dict) -> None:
    """A link's sourced values name their source; a rail link has a gauge, a planned one its year."""
    for val, src in LINK_SOURCED:
        if row[val] and not row[src]:
            fail(f"link {row['link_id']}: {val} has no {src}")
    if row["mode"] == "rail" and row["gauge"] not in ("1435", "1520"):
        fail(f"link {row['link_id']}: rail link needs gauge 1435 or 1520")
    if row["status"] == "planned" and not row["opening_year"]:
        fail(f"link {row['link_id']}: a planned link needs its opening year")


# ---------------------------------------------------------------------------- report


def report(node_rows, link_rows_, lb: LinkBuilder, merged, cfeats, lakes, geo) -> None:
    nodes, links = pd.DataFrame(node_rows), pd.DataFrame(link_rows_)
    print(f"places: {len(nodes)}  countries: {nodes['country'].nunique()}  links: {len(links)}  "
          f"sources: {len(merged)}")
    print("places by kind:", nodes["kind"].value_counts().to_dict())
    print("links by mode/status:")
    print(links.groupby(["mode", "status"]).size().to_string())
    print("capacities (with a capacity / all):")
    for kind in ("border_crossing", "port", "rail_terminal"):
        sel = nodes[nodes["kind"] == kind]
        has = (sel["capacity_teu_yr"] != "") | (sel["capacity_t_yr"] != "")
        print(f"  nodes {kind:16s} {int(has.sum()):3d} / {len(sel)}")
    cross = links[links["from_node_id"].map(nodes.set_index("node_id")["country"])
                  != links["to_node_id"].map(nodes.set_index("node_id")["country"])]
    for label, sel in (("border-crossing links", cross[cross["mode"].isin(["rail", "road"])]),
                       ("ferry lines", links[links["mode"] == "ferry"]),
                       ("sea lanes", links[links["mode"] == "sea"]),
                       ("all links", links)):
        has = (sel["capacity_teu_yr"] != "") | (sel["capacity_t_yr"] != "")
        print(f"  {label:26s} {int(has.sum()):3d} / {len(sel)}")
    rail = links[links["mode"] == "rail"].copy()
    rail["km"] = rail["length"].astype(float)
    by = rail.groupby("geometry_source")["km"].sum()
    total = rail["km"].sum()
    print(f"rail km by geometry (of {total:,.0f} km):")
    for k in GEOMETRY_KINDS:
        if k in by:
            print(f"  {k:13s} {by[k]:9,.0f} km  {100 * by[k] / total:5.1f}%")
    print(f"rail km on OSM track: {100 * by.get('osm_track', 0) / total:.1f}% (only the Azerbaijan and "
          f"Turkmenistan boxes of ../shared/data/rail hold railway ways)")
    print(f"rail circuity (median of {len(lb.ratios)} OSM pairs) = {lb.circuity:.3f}")
    _, dropped = marnet_without_canals()
    print(f"searoute edges removed as canals (Corinth, Kiel): {len(dropped)}")
    lanes = Counter(p for _, _, pas in lb.sea_summary for p in pas)
    print(f"sea/ferry lanes: {len(lb.sea_summary)}; passages used: {dict(sorted(lanes.items()))}")
    bad = [lid for lid, (coords, origin) in lb.geometry.items()
           if origin == "searoute" and canals_crossed(coords)]
    assert not bad, bad
    named = [f["properties"]["name"] for f in lakes]
    print(f"basemap: {len(cfeats)} countries, {len(lakes)} lakes "
          f"(incl. {', '.join(sorted(n for n in named if n in ('Lake Van', 'Aral Sea')))})")
    print(f"country table: {geo['country.csv']} countries, {geo['bloc.csv']} blocs, "
          f"{geo['region.csv']} regions")


# ---------------------------------------------------------------------------- main build


def write_csv(path: Path, cols, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})


def write_geojson(path: Path, feats: list[dict]) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False,
                               separators=(",", ":")) + "\n", encoding="utf-8")


def read_links(node_ids: set[str]) -> pd.DataFrame:
    """links.csv, each link id once and every end a curated node."""
    links = read_csv(CURATED / "links.csv")
    if links["link_id"].duplicated().any():
        fail(f"duplicate link ids: {sorted(links.loc[links['link_id'].duplicated(), 'link_id'])}")
    for col in ("from_node_id", "to_node_id"):
        unknown = sorted(set(links[col]) - node_ids)
        if unknown:
            fail(f"links reference unknown nodes: {unknown}")
    return links


def read_copied_tables() -> dict[str, pd.DataFrame]:
    """The curated tables copied as they are, read so that their source ids can be checked."""
    extra = {}
    for name in ("rates.csv", "commodities.csv", "projects.csv", "families.csv", "queue_params.csv"):
        p = CURATED / name
        if p.exists():
            extra[name] = read_csv(p)
        else:
            print(f"warning: scripts/curated/{name} not found; not copied", file=sys.stderr)
    return extra


def build(shared: Path) -> None:
    data = shared / "data"
    if not data.is_dir():
        fail(f"shared data folder not found: {data}")
    OUT.mkdir(parents=True, exist_ok=True)

    gaz = Gazetteer(data)
    node_rows, xy = build_nodes(gaz)

    links = read_links(set(xy))
    lb = LinkBuilder(links, xy, track_graphs(data), ViaResolver(gaz))
    lb.build()
    rows = link_rows(links, lb)

    merged = merge_sources(lb.ratios, lb.circuity)
    extra = read_copied_tables()
    known = set(merged)
    emissions = emission_tables(known, read_csv(CURATED / "country.csv"), extra["rates.csv"])
    check_sources(node_rows, rows, extra, known)
    unknown_classes = sorted(set(links.get("emission_class", pd.Series(dtype=str))) - {""}
                             - set(emissions["emission_factors.csv"]["factor_id"]) - {"rail"})
    if unknown_classes:
        fail(f"links.csv names unknown emission classes {unknown_classes}")

    lakes = lake_features(data)
    cfeats = country_features(data, lakes)
    geo = check_geopolitics(known, {r["country"] for r in node_rows},
                            {f["properties"]["iso3"] for f in cfeats})

    write_csv(OUT / "node.csv", NODE_OUT, node_rows)
    write_csv(OUT / "link.csv", LINK_OUT, rows)
    write_csv(OUT / "config.csv", list(CONFIG), [CONFIG | {"dataset_name": "eurasia"}])
    used = [m for m in MODES if m in set(links["mode"])]
    write_csv(OUT / "use_definition.csv", USE_COLUMNS,
              [{"use": m, "persons_per_vehicle": 0, "pce": 1, "special_conditions": "",
                "description": USE_TEXT[m]} for m in used])
    write_csv(OUT / "sources.csv", SOURCE_COLS, [merged[k] for k in merged])
    for name in extra:
        shutil.copyfile(CURATED / name, OUT / name)
    for name, df in emissions.items():
        df.to_csv(OUT / name, index=False, lineterminator="\n")
    for name in geo:
        shutil.copyfile(CURATED / name, OUT / name)
    old_shapes = OUT / "link_geometry.geojson"  # shapes now sit in link.csv (WKT)
    if old_shapes.exists():
        old_shapes.unlink()
    write_geojson(OUT / "countries.geojson", cfeats)
    write_geojson(OUT / "lakes.geojson", lakes)

    report(node_rows, rows, lb, merged, cfeats, lakes, geo)
    for name in ("node.csv", "link.csv", "config.csv", "use_definition.csv", "sources.csv",
                 "emission_factors.csv", "rail_energy.csv", "countries.geojson", "lakes.geojson", *geo):
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
