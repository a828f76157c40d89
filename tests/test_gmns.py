"""Network files as GMNS defines them (zephyr-data-specs/GMNS), and every format's round trip:
export -> validate -> load gives the same answers, for CSV, GeoJSON and GeoPackage."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pyogrio
import pytest
import shapely

import corridor
from corridor.datafiles import bundled_data_dir
from corridor.errors import ValidationError
from corridor.network.export import write_network
from corridor.network.gmns import parse_wkt_line, wkt_line
from corridor.network.io import read_network_tables

# The fields GMNS requires (spec/*.schema.json, "required": true), and config's single row
GMNS_REQUIRED = {
    "node.csv": ("node_id", "x_coord", "y_coord"),
    "link.csv": ("link_id", "from_node_id", "to_node_id", "directed"),
    "use_definition.csv": ("use", "persons_per_vehicle", "pce"),
}


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def check_gmns_folder(folder) -> list[str]:
    """What a GMNS validator checks: required fields present and filled, ids unique, links' ends
    known nodes, config one row with units and a WGS84 crs, every allowed use defined, WKT geometry."""
    errors = []
    tables = {name: _rows(folder / name) for name in (*GMNS_REQUIRED, "config.csv")}
    for name, fields in GMNS_REQUIRED.items():
        rows = tables[name]
        missing = [f for f in fields if f not in rows[0]]
        errors += [f"{name}: no {f}" for f in missing]
        errors += [f"{name} row {i}: empty {f}" for i, r in enumerate(rows, 2) for f in fields
                   if f not in missing and r[f] == ""]
    for name, key in (("node.csv", "node_id"), ("link.csv", "link_id"), ("use_definition.csv", "use")):
        ids = [r[key] for r in tables[name]]
        if len(ids) != len(set(ids)):
            errors.append(f"{name}: {key} not unique")
    nodes = {r["node_id"] for r in tables["node.csv"]}
    uses = {r["use"] for r in tables["use_definition.csv"]}
    for r in tables["link.csv"]:
        if r["from_node_id"] not in nodes or r["to_node_id"] not in nodes:
            errors.append(f"link {r['link_id']}: unknown end")
        if r["directed"] not in ("true", "false"):
            errors.append(f"link {r['link_id']}: directed is not boolean")
        if float(r["length"]) < 0:
            errors.append(f"link {r['link_id']}: negative length")
        if not set(r["allowed_uses"].split(",")) <= uses:
            errors.append(f"link {r['link_id']}: allowed_uses not in use_definition")
        if r.get("geometry") and parse_wkt_line(r["geometry"]) is None:
            errors.append(f"link {r['link_id']}: geometry is not WKT")
    for r in tables["node.csv"]:
        if not (-180 <= float(r["x_coord"]) <= 180 and -90 <= float(r["y_coord"]) <= 90):
            errors.append(f"node {r['node_id']}: coordinates out of WGS84 range")
    config = tables["config.csv"]
    if len(config) != 1:
        errors.append("config.csv: must hold one row")
    elif config[0]["long_length"] != "km" or config[0]["crs"] != "EPSG:4326":
        errors.append("config.csv: long_length km and crs EPSG:4326 expected")
    return errors


def test_bundled_network_is_gmns():
    folder = bundled_data_dir()
    assert check_gmns_folder(folder) == []
    with open(folder / "node.csv", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header[:4] == ["node_id", "name", "x_coord", "y_coord"] and "lon" not in header
    with open(folder / "link.csv", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header[:6] == ["link_id", "from_node_id", "to_node_id", "directed", "length", "allowed_uses"]
    assert "length_km" not in header and header[-1] == "geometry"
    assert not (folder / "link_geometry.geojson").exists()  # shapes sit in link.csv as WKT


def _answers(net) -> list:
    out = []
    for o, d in (("Xian", "Duisburg"), ("Shenzhen", "Warsaw"), ("Almaty", "Istanbul")):
        for r in corridor.compare(net, o, d).results:
            s = r.route
            out.append(None if s is None else (s.corridor, s.nodes, round(s.hours, 6),
                                               round(s.usd_per_teu, 6), round(s.co2_kg_per_teu, 6),
                                               round(s.co2e_ttw_kg_per_teu, 6)))
    return out


@pytest.mark.parametrize("fmt", ["gmns", "geojson", "gpkg"])
def test_export_validate_load_gives_the_same_answers(net, fmt, tmp_path):
    written = write_network(net, tmp_path / "out", format=fmt)
    target = tmp_path / "out"
    t = read_network_tables(target, fallback_dir=bundled_data_dir())  # what `network validate` runs
    assert len(t["nodes"]) == len(net.nodes) and len(t["links"]) == len(net.links)
    back = corridor.read_network(target)
    pd.testing.assert_frame_equal(back.raw_links, net.raw_links)
    pd.testing.assert_frame_equal(back.nodes, net.nodes)
    assert back.geometry == net.geometry
    assert _answers(back) == _answers(net)
    if fmt == "gmns":
        assert check_gmns_folder(target) == []
        assert {p.name for p in written} >= {"node.csv", "link.csv", "config.csv", "use_definition.csv"}


def test_geopackage_opens_in_gdal(net, tmp_path):
    (path,) = write_network(net, tmp_path / "net.gpkg", format="gpkg")
    layers = {name: kind for name, kind in pyogrio.list_layers(path)}
    assert layers["node"] == "Point" and layers["link"] == "LineString"
    assert {"sources", "rates", "commodities", "config", "use_definition"} <= set(layers)
    info = pyogrio.read_info(path, layer="link")
    assert info["features"] == len(net.links) and info["crs"] == "EPSG:4326"
    gmns = {"link_id", "from_node_id", "to_node_id", "directed", "length", "allowed_uses"}
    assert gmns <= set(info["fields"])
    _, _, geoms, fields = pyogrio.raw.read(path, layer="node")
    pts = shapely.from_wkb(geoms)
    xi = list(pyogrio.read_info(path, layer="node")["fields"]).index("x_coord")
    assert [float(x) for x in fields[xi]] == pytest.approx(shapely.get_x(pts).tolist())
    assert len(pts) == len(net.nodes)


def test_problems_name_the_files_gmns_columns(mini, tmp_path):
    write_network(mini, tmp_path, format="gmns")
    nodes = pd.read_csv(tmp_path / "node.csv", dtype=str, keep_default_na=False).drop(columns="y_coord")
    nodes.to_csv(tmp_path / "node.csv", index=False)
    links = pd.read_csv(tmp_path / "link.csv", dtype=str, keep_default_na=False)
    links.loc[0, "length"] = "far"
    links.loc[1, "geometry"] = "LINESTRING (1 2)"
    links.to_csv(tmp_path / "link.csv", index=False)
    with pytest.raises(ValidationError) as e:
        corridor.read_network(tmp_path)
    got = {(p.file.rsplit("/", 1)[-1], p.column) for p in e.value.problems}
    assert {("node.csv", "y_coord"), ("link.csv", "length"), ("link.csv", "geometry")} <= got, got


def test_units_and_uses_from_config_and_use_definition(mini, tmp_path):
    """A GMNS folder in miles whose links name their mode only in allowed_uses reads as the same network."""
    write_network(mini, tmp_path, format="gmns")
    cfg = pd.read_csv(tmp_path / "config.csv", dtype=str, keep_default_na=False).assign(long_length="mi")
    cfg.to_csv(tmp_path / "config.csv", index=False)
    links = pd.read_csv(tmp_path / "link.csv", dtype=str, keep_default_na=False)
    links["length"] = [repr(float(x) / 1.609344) for x in links["length"]]
    links.drop(columns="mode").to_csv(tmp_path / "link.csv", index=False)
    back = corridor.read_network(tmp_path)
    assert back.links["length_km"].tolist() == pytest.approx(mini.links["length_km"].tolist())
    assert back.links["mode"].tolist() == mini.links["mode"].tolist()
    uses = pd.read_csv(tmp_path / "use_definition.csv").iloc[:1]  # a use the links name goes missing
    uses.to_csv(tmp_path / "use_definition.csv", index=False)
    with pytest.raises(ValidationError, match="is not a use of use_definition.csv"):
        corridor.read_network(tmp_path)


def test_wkt_reads_back_the_same_floats():
    coords = [(108.9, 34.3), (0.1 + 0.2, -33.33333333333333), (-179.999999, 89.5)]
    assert parse_wkt_line(wkt_line(coords)) == coords
    assert parse_wkt_line("MULTILINESTRING ((1 2, 3 4), (3 4, 5 6))") == [(1, 2), (3, 4), (3, 4), (5, 6)]
    assert parse_wkt_line("POINT (1 2)") is None and parse_wkt_line("LINESTRING (200 0, 1 1)") is None


def test_geojson_export_names_gmns_properties(mini, tmp_path):
    (path,) = write_network(mini, tmp_path, format="geojson")
    doc = json.loads(path.read_text())
    link = next(f for f in doc["features"] if f["properties"]["feature"] == "link")
    assert "length" in link["properties"] and "length_km" not in link["properties"]


@pytest.mark.parametrize("feature", [
    {"type": "Feature", "properties": {"feature": ["node"]}, "geometry": None},
    {"type": "Feature", "properties": {"node_id": "a"}, "geometry": {"type": ["Point"]}},
])
def test_geojson_feature_kind_that_is_not_text_is_a_problem(feature, tmp_path):
    """A list where a kind is named ("feature" or a geometry "type") is reported, not a crash."""
    from corridor.network.geojson import read_geojson

    path = tmp_path / "n.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    problems = []
    read_geojson(path, problems)
    assert any(p.column == "features[0]" for p in problems)
