"""Bad network folders are rejected with every problem named (file, row, column)."""

from __future__ import annotations

import pandas as pd
import pytest

import corridor
from corridor.errors import ValidationError


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
    assert any(p.row == 4 and p.column == "length_km" and "'far' is not a number" in p.message
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
