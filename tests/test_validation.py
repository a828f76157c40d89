"""Bad network folders are rejected with every problem named (file, row, column)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import corridor
from corridor.datafiles import bundled_data_dir
from corridor.errors import ValidationError
from corridor.network.export import write_network
from corridor.network.formats import FORMATS, detect_format
from corridor.network.io import read_network_tables
from corridor.network.validation import validate_network_tables
from corridor.vocabulary import NETWORK_FORMATS

from .conftest import MINI


def _edit(folder, fname, fn):
    p = folder / fname
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    df = fn(df)
    df.to_csv(p, index=False)


def test_valid_folder_loads(mini_copy):
    net = corridor.read_network(mini_copy)
    assert len(net.nodes) > 10 and len(net.links) > 10


def test_all_problems_reported_at_once(mini_copy):
    def links(df):
        df.loc[0, "capacity_teu_yr"] = "-5"
        df.loc[0, "capacity_source"] = "test"
        df.loc[1, "to_node_id"] = "atlantis"
        df.loc[2, "length_km"] = "far"
        df.loc[3, "mode"] = "zeppelin"
        return df

    _edit(mini_copy, "link.csv", links)
    _edit(mini_copy, "node.csv", lambda df: df.drop(columns=["lat"]))
    with pytest.raises(ValidationError) as ei:
        corridor.read_network(mini_copy)
    probs = ei.value.problems
    msgs = [str(p) for p in probs]
    text = "\n".join(msgs)
    assert any(p.file.endswith("link.csv") and p.row == 2 and p.column == "capacity_teu_yr"
               and "negative" in p.message for p in probs), text
    assert any(p.row == 3 and p.column == "to_node_id" and "atlantis" in p.message
               for p in probs), text
    assert any(p.row == 4 and p.column == "length_km" and "'far' is not a finite number" in p.message
               for p in probs), text
    assert any(p.row == 5 and p.column == "mode" and "zeppelin" in p.message for p in probs), text
    assert any(p.file.endswith("node.csv") and p.column == "lat" and "missing" in p.message
               for p in probs), text


def test_value_without_source_is_a_problem(mini_copy):
    def links(df):
        df.loc[0, "speed_kmh"] = "55"
        df.loc[0, "speed_source"] = ""
        df.loc[0, "source_id"] = ""
        df.loc[1, "cost_source"] = "nowhere_2020"
        df.loc[1, "usd_per_teu"] = "10"
        return df

    _edit(mini_copy, "link.csv", links)
    with pytest.raises(ValidationError) as ei:
        corridor.read_network(mini_copy)
    text = str(ei.value)
    assert "row 2, column 'speed_source'" in text
    assert "source 'nowhere_2020' is not in sources.csv" in text
    # the empty source_id on row 2 is also reported (required)
    assert "row 2, column 'source_id'" in text or "value is required" in text


def test_rail_needs_gauge_and_duplicate_ids(mini_copy):
    def links(df):
        df.loc[0, "gauge"] = "1000"
        df.loc[2, "link_id"] = df.loc[1, "link_id"]
        return df

    _edit(mini_copy, "link.csv", links)
    with pytest.raises(ValidationError) as ei:
        corridor.read_network(mini_copy)
    text = str(ei.value)
    assert "gauge 1435 or 1520" in text and "duplicate id" in text


def test_missing_file(tmp_path):
    (tmp_path / "node.csv").write_text("node_id,name,kind,country,lon,lat\n")
    with pytest.raises(ValidationError) as ei:
        corridor.read_network(tmp_path)
    assert "link.csv: file not found" in str(ei.value)


def test_padding_is_stripped_not_silently_kept(mini_copy):
    p = mini_copy / "link.csv"
    text = p.read_text().replace(",open,", ", open ,", 1)
    p.write_text(text)
    net = corridor.read_network(mini_copy)
    assert (net.links["status"] == "open").sum() == (net.raw_links["status"] == "open").sum()
    assert not net.links["status"].str.contains(" ").any()


def test_row_numbers_survive_blank_lines_and_multiline_cells(mini_copy):
    p = mini_copy / "link.csv"
    lines = p.read_text().splitlines()
    # a blank line after the header, and a quoted multi-line note on the first link
    lines.insert(1, "")
    header = lines[0].split(",")
    first = lines[2].split(",")
    first[header.index("sea_area")] = '"two\nlines"'
    lines[2] = ",".join(first)
    bad = lines[4].split(",")
    bad[header.index("length_km")] = "far"
    lines[4] = ",".join(bad)
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValidationError) as ei:
        corridor.read_network(mini_copy)
    # header line 1, blank line 2, first record lines 3-4, second 5, third (bad) 6
    assert any(pr.row == 6 and pr.column == "length_km" for pr in ei.value.problems), str(ei.value)


def test_commodities_and_rates_are_validated(mini_copy):
    _edit(mini_copy, "commodities.csv",
          lambda df: df.assign(value_of_time_usd_per_teu_hour=["-50", "x"]))
    _edit(mini_copy, "rates.csv", lambda df: pd.concat([df, df.iloc[[0]]]).assign(
        speed_kmh=lambda d: d["speed_kmh"].where(d.index != 1, "")))
    with pytest.raises(ValidationError) as ei:
        corridor.read_network(mini_copy)
    text = str(ei.value)
    assert "commodities.csv, row 2, column 'value_of_time_usd_per_teu_hour': -50 is negative" in text
    assert "'x' is not a finite number" in text
    assert "duplicate rate class 'rail_std'" in text
    assert "rates.csv, row 3, column 'speed_kmh': value is required" in text


def test_case_twins_planned_without_year_and_gauge_off_rail(mini_copy):
    p = mini_copy / "node.csv"
    p.write_text(p.read_text() + "XIAN,Xian too,,city,CHN,108,34,test,,,,,,,,\n")
    def links(df):
        df.loc[df["link_id"] == "r17", "opening_year"] = ""
        df.loc[df["link_id"] == "s1", "gauge"] = "1520"
        return df
    _edit(mini_copy, "link.csv", links)
    with pytest.raises(ValidationError) as ei:
        corridor.read_network(mini_copy)
    text = str(ei.value)
    assert "duplicate id 'XIAN' (same as line 2)" in text
    assert "a planned link needs the year it is due to open" in text
    assert "gauge applies to rail only" in text


def test_broken_geometry_and_missing_sources(mini_copy):
    (mini_copy / "link_geometry.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"properties": null}, '
        '{"properties": {"link_id": "r1"}, "geometry": {"type": "LineString", "coordinates": [[1]]}}]}')
    (mini_copy / "sources.csv").unlink()
    with pytest.raises(ValidationError) as ei:
        corridor.read_network(mini_copy)
    text = str(ei.value)
    assert "features[0]" in text and "features[1]" in text
    assert "sources.csv: file not found" in text


def test_load_network_sees_edits(mini_copy):
    import os

    before = corridor.load_network(mini_copy)
    assert corridor.route(before, "Xian", "Duisburg").routes[0].corridor == "northern"
    _edit(mini_copy, "link.csv", lambda df: df.assign(
        status=df["status"].where(df["link_id"] != "r8", "closed")))
    os.utime(mini_copy / "link.csv", ns=(1, 10**18))
    after = corridor.load_network(mini_copy)
    assert corridor.route(after, "Xian", "Duisburg").routes[0].corridor != "northern"


# ------------------------------------------------------------------ formats: write, read back, check
TABLES = ("raw_nodes", "raw_links", "sources", "rates", "commodities", "nodes", "links")


def _same_network(a, b):
    for t in TABLES:
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t), obj=t)
    assert a.geometry == b.geometry


@pytest.mark.parametrize("fmt", NETWORK_FORMATS)
@pytest.mark.parametrize("which", ["mini", "net"])
def test_every_format_reads_back_the_same_tables(fmt, which, request, tmp_path):
    """Export -> read -> identical tables, link shapes included (the bundled network has them)."""
    net = request.getfixturevalue(which)
    written = write_network(net, tmp_path / "out", format=fmt)
    assert all(p.exists() for p in written)
    _same_network(net, corridor.read_network(tmp_path / "out"))
    with pytest.raises(corridor.CorridorError, match="refusing to overwrite"):
        write_network(net, tmp_path / "out", format=fmt)


def test_a_geojson_export_is_a_network_folder_and_file(mini, tmp_path):
    """What `corridor network validate` reads: the folder the export wrote, or the file itself."""
    (path,) = write_network(mini, tmp_path, format="geojson")
    assert path == tmp_path / "network.geojson"
    t = read_network_tables(tmp_path, fallback_dir=bundled_data_dir())
    assert len(t["nodes"]) == len(mini.nodes) and len(t["links"]) == len(mini.links)
    net = corridor.load_network(path)
    assert net.name == "network"
    _same_network(mini, net)
    fc = json.loads(path.read_text())  # still plain GeoJSON: a Point per node, a LineString per link
    kinds = [(f["properties"]["feature"], f["geometry"]["type"]) for f in fc["features"]]
    assert kinds.count(("node", "Point")) == len(mini.nodes)
    assert kinds.count(("link", "LineString")) == len(mini.links)


def test_formats_are_registered_once_and_recognised(mini, tmp_path):
    assert tuple(FORMATS) == NETWORK_FORMATS  # the CLI offers the vocabulary's names
    assert detect_format(MINI).name == "gmns"
    write_network(mini, tmp_path / "g", format="geojson")
    assert detect_format(tmp_path / "g").name == "geojson"
    assert detect_format(tmp_path / "g" / "network.geojson").name == "geojson"
    with pytest.raises(corridor.CorridorError, match="unknown network format 'parquet'"):
        write_network(mini, tmp_path / "x", format="parquet")
    with pytest.raises(corridor.CorridorError, match="not found"):
        corridor.read_network(tmp_path / "nowhere")


def test_geojson_problems_are_at_their_line(mini, tmp_path):
    (path,) = write_network(mini, tmp_path, format="geojson")
    lines = path.read_text().split("\n")
    n = next(i for i, ln in enumerate(lines) if '"feature": "link"' in ln)
    feat = json.loads(lines[n].rstrip(","))
    feat["properties"]["length"] = "far"  # files name columns as GMNS does (length in km)
    feat["properties"]["to_node_id"] = "atlantis"
    lines[n] = json.dumps(feat) + ","
    path.write_text("\n".join(lines))
    with pytest.raises(ValidationError) as ei:
        corridor.read_network(path)
    got = {(p.row, p.column) for p in ei.value.problems}
    assert got == {(n + 1, "length"), (n + 1, "to_node_id")}, str(ei.value)
    path.write_text("\n".join(lines[:n + 1]))  # cut short
    with pytest.raises(ValidationError, match="not valid JSON"):
        corridor.read_network(path)


def test_in_memory_tables_are_checked_like_files(mini, mini_copy):
    """validate_network_tables finds in DataFrames what reading the files finds, at the same rows."""
    def links(df):
        df.loc[0, "capacity_teu_yr"] = "-5"
        df.loc[1, "to_node_id"] = "atlantis"
        df.loc[2, "cost_source"] = "nowhere_2020"
        df.loc[2, "usd_per_teu"] = "10"
        df.loc[3, "gauge"] = "1000"
        return df

    _edit(mini_copy, "link.csv", links)
    _edit(mini_copy, "node.csv", lambda df: df.assign(name=df["name"].where(df.index != 1, df["name"][0])))
    with pytest.raises(ValidationError) as on_disk:
        corridor.read_network(mini_copy)
    frames = {name: pd.read_csv(mini_copy / f, dtype=str, keep_default_na=False)
              for name, f in (("nodes", "node.csv"), ("links", "link.csv"), ("sources", "sources.csv"),
                              ("rates", "rates.csv"), ("commodities", "commodities.csv"))}
    with pytest.raises(ValidationError) as in_memory:
        validate_network_tables(frames)

    def found(e):
        return sorted((Path(p.file).name, p.row or 0, p.column or "", p.message) for p in e.value.problems)

    assert found(in_memory) == found(on_disk) and len(found(on_disk)) == 5
    # a network's own (typed) tables are checked as the CSV files they would be, and come back the same
    tables = {"nodes": mini.raw_nodes, "links": mini.raw_links, "sources": mini.sources, "rates": mini.rates,
              "commodities": mini.commodities}
    checked = validate_network_tables(tables)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(checked[name], frame, obj=name)
