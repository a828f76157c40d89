"""`corridor report`: each brief is written whole (HTML and PDF, figures, tables, sources, manifest), the
PDF carries the map, the tables and the source list, and the numbers say what the model says.

The three briefs are made once (module fixtures) through the CLI, as a user would; the checks read
what they wrote. No model output is hard-coded: the checks are directions, orders and consistency.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from corridor.cli.app import app
from corridor.errors import CorridorError
from corridor.folders import verify_folder

runner = CliRunner()

ARGS = {
    "compare": ["compare", "Xian", "Duisburg", "--uncertainty", "6"],
    "scenario": ["scenario", "sanctions-strict", "--against", "baseline-2024"],
    "gateways": ["gateways", "--from", "central-asia", "--to", "eu", "--closures", "3"],
}


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def pdf_library() -> None:
    """Skip when WeasyPrint or Pango is missing (a developer's machine), unless CI insists
    (CORRIDOR_REQUIRE_PDF=1: .ci/run installs libpango-1.0-0 and libpangoft2-1.0-0)."""
    from corridor.report.render import weasyprint_module

    try:
        weasyprint_module()
    except CorridorError as exc:
        if os.environ.get("CORRIDOR_REQUIRE_PDF"):
            raise
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def briefs(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    pdf_library()
    root = tmp_path_factory.mktemp("briefs")
    out = {}
    for name, args in ARGS.items():
        r = run("report", *args, "--out", root / name, "--json")
        assert r.exit_code == 0, r.output
        out[name] = (root / name, json.loads(r.stdout))
    return out


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdf_images(path: Path) -> int:
    if shutil.which("pdfimages") is None:
        pytest.skip("pdfimages (poppler-utils) is not installed")
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    return len([line for line in listing[2:] if line.strip()])


@pytest.mark.parametrize("name", list(ARGS))
def test_each_brief_is_written_whole(briefs, name):
    folder, d = briefs[name]
    names = {Path(p).name for p in d["written"]}
    assert {"brief.html", "brief.pdf", "brief.json", "sources.csv", "manifest.json"} <= names
    assert any(n.startswith("map_") and n.endswith(".png") for n in names)
    assert verify_folder(folder)
    assert (folder / "brief.pdf").read_bytes()[:5] == b"%PDF-"
    # the HTML is one self-contained page: its figures inside it, nothing fetched
    html = (folder / "brief.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == len([n for n in names if n.endswith(".png")])
    assert not re.search(r'(src|href)="(?!data:|https?://|#)[^"]*"', html)
    assert "<link" not in html and "<script" not in html


@pytest.mark.parametrize("name", list(ARGS))
def test_the_pdf_has_the_map_the_tables_and_the_sources(briefs, name):
    folder, d = briefs[name]
    text = pdf_text(folder / "brief.pdf")
    flat = re.sub(r"\s+", "", text)
    assert pdf_images(folder / "brief.pdf") >= 1  # the map, an image
    assert "Map 1." in text and "Table 1." in text
    brief = json.loads((folder / "brief.json").read_text(encoding="utf-8"))
    for heading in ("Summary", brief["changes_title"], "Tables", "Ranges", "Assumptions", "Known limits",
                    "Sources", "Reproduce"):
        assert heading in text, heading
    for t in brief["tables"]:  # each table's caption is printed
        assert re.sub(r"\s+", "", t["caption"])[:40] in flat
    sources = pd.read_csv(folder / "sources.csv", keep_default_na=False)
    assert len(sources) >= 5 and sources["source_id"].is_unique
    assert not sources["source_id"].str.contains(r"[;\s]").any()  # one source a row, lists split
    missing = [s for s in sources["source_id"] if s not in flat]
    assert not missing, missing[:5]
    urls = [u for u in sources["url"] if u]
    assert len(urls) >= 0.8 * len(sources)
    assert sum(re.sub(r"\s+", "", u)[:30] in flat for u in urls) >= 0.9 * len(urls)
    prov = brief["provenance"]
    assert prov["data_hash"] in text and f"corridor {prov['model']}" in text
    assert re.sub(r"\s+", "", prov["command"]) in flat and f"corridor report {name}" in prov["command"]


def test_compare_brief_says_what_the_comparison_says(briefs):
    folder, d = briefs["compare"]
    c = pd.read_csv(folder / "corridors.csv")
    ok = c[c["feasible"]]
    fastest = ok.loc[ok["days"].idxmin(), "corridor"]
    cheapest = ok.loc[ok["usd_per_teu"].idxmin(), "corridor"]
    assert f"the fastest corridor is the {fastest} route" in d["summary"]
    if cheapest != fastest:
        assert f"The cheapest is the {cheapest} route" in d["summary"]
    r = pd.read_csv(folder / "ranges.csv")
    assert len(r) and (r["p10"] <= r["p50"]).all() and (r["p50"] <= r["p90"]).all()
    assert set(r["figure"]) <= {f"{k}.{f}" for f in ok["corridor"] for k in ("days", "usd")}
    assert "p10 to p90 over 6 draws" in d["summary"]


def test_scenario_brief_shows_the_losses_and_the_gains_and_why(briefs):
    folder, d = briefs["scenario"]
    c = pd.read_csv(folder / "corridors.csv").set_index("corridor")
    assert c.at["northern", "teu_a"] > 0 and c.at["northern", "teu_b"] == 0  # Russia and Belarus avoided
    assert (c["d_teu"] > 0).any()  # the cargo goes somewhere: gains are shown with the losses
    assert "northern corridor loses" in d["summary"] and "goes instead to" in d["summary"]
    brief = json.loads((folder / "brief.json").read_text(encoding="utf-8"))
    assert any("BLR" in line and "RUS" in line for line in brief["changes"])
    links = pd.read_csv(folder / "links.csv")
    assert (links["d_teu"] > 0).any() and (links["d_teu"] < 0).any()
    assert {"map_changes.png", "corridors.png"} <= {Path(p).name for p in d["written"]}
    q = pd.read_csv(folder / "queues.csv")
    assert {"wait_hours_a", "wait_hours_b", "slot_price_usd_b", "v_c_b"} <= set(q.columns)
    assert "Ranges are not shown" in brief["ranges_note"] and "--uncertainty" in brief["ranges_note"]


def test_gateways_brief_ranks_the_gateways(briefs):
    folder, d = briefs["gateways"]
    c = pd.read_csv(folder / "countries.csv", keep_default_na=False)
    shares = c["share"].astype(float).to_numpy()
    assert ((shares >= 0) & (shares <= 1)).all() and (np.diff(shares) <= 1e-12).all()
    assert f"The largest gateway is {c['name'].iat[0]}" in d["summary"]
    closed = pd.to_numeric(c.get("closed_extra_usd_per_teu"), errors="coerce").notna().sum()
    assert 1 <= closed <= 3  # --closures 3


def test_an_existing_brief_is_kept_unless_forced(briefs, tmp_path):
    folder, _ = briefs["compare"]
    before = (folder / "manifest.json").read_bytes()
    r = run("report", *ARGS["compare"], "--out", folder)
    assert r.exit_code == 1 and "--force" in r.output and "Traceback" not in r.output
    assert (folder / "manifest.json").read_bytes() == before
    out = tmp_path / "html-only"
    r = run("report", "compare", "Xian", "Istanbul", "--uncertainty", "0", "--no-pdf", "--out", out)
    assert r.exit_code == 0, r.output
    assert (out / "brief.html").exists() and not (out / "brief.pdf").exists() and verify_folder(out)
    r = run("report", "compare", "Xian", "Istanbul", "--uncertainty", "0", "--no-pdf", "--out", out,
            "--force")
    assert r.exit_code == 0, r.output
    assert verify_folder(out)


def test_missing_pango_is_a_clear_error_and_writes_nothing(monkeypatch, tmp_path):
    real = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': cannot open shared object file")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    from corridor.report.render import render_pdf

    with pytest.raises(CorridorError, match="apt-get install libpango-1.0-0 libpangoft2-1.0-0"):
        render_pdf("<p>x</p>")
    out = tmp_path / "brief"
    r = run("report", "compare", "Xian", "Istanbul", "--uncertainty", "0", "--out", out)
    assert r.exit_code == 1 and "libpango-1.0-0" in r.output and "Traceback" not in r.output
    assert not out.exists() and not list(tmp_path.iterdir())


def test_corridor_colours_are_told_apart_by_colour_blind_readers():
    from corridor.viz.palette import (
        BACKGROUNDS,
        CORRIDOR_COLOURS,
        FLOW_LINE,
        GAIN,
        LOSS,
        SHARE_FILLS,
        separation,
    )

    for vision, d in separation(CORRIDOR_COLOURS.values(), BACKGROUNDS).items():
        assert d >= 15, vision  # every pair of lines, and every line on every fill
    assert min(separation([GAIN, LOSS], BACKGROUNDS).values()) >= 30
    assert min(separation([FLOW_LINE], SHARE_FILLS).values()) >= 40
    # the colours the data gives (tab10) fail this for red-green readers: the palette is not them
    assert min(separation(["#d62728", "#2ca02c"]).values()) < 15


def test_alternatives_of_one_family_are_styled_apart_and_drawn_side_by_side():
    from corridor.viz.maps import offset_line, route_styles

    routes = [SimpleNamespace(corridor=c) for c in ("middle", "middle", "northern", "middle")]
    styles = route_styles(routes)  # type: ignore[arg-type]
    assert len({s for c, s in styles if c == styles[0][0]}) == 3  # three middle routes, three styles
    assert styles[0][0] == styles[1][0] != styles[2][0]
    line = [(0.0, 0.0), (10.0, 0.0)]
    assert np.allclose(offset_line(line, 1.0)[:, 1], 1.0) and np.allclose(offset_line(line, -1.0)[:, 1], -1.0)
