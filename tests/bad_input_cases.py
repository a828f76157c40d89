"""The cases of the bad-input corpus (`tests/bad_inputs.py` runs them): malformed networks, demand
tables, scenarios and projects written under a folder, hostile command lines and API requests."""

from __future__ import annotations

import json
import os
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "data" / "mini"

TIMEOUT = 90.0  # seconds of wall time per case before it counts as a hang


@dataclass
class Case:
    """One bad (or borderline) input: a `corridor` command line or an API request."""

    name: str
    area: str  # network, demand, scenario, project, cli, api
    argv: list[str] | None = None
    request: tuple | None = None  # (method, url, json body or raw text, headers)
    expect: str = "error"  # error, ok or any (either is right)
    match: str | None = None  # a regex the message (or body) must contain
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = TIMEOUT


# ------------------------------------------------------------------ building the inputs


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _net(root: Path, name: str, edit: Callable[[Path], None] | None = None) -> str:
    """A copy of the mini network, changed by `edit`; its folder as a string."""
    d = root / "networks" / name
    shutil.copytree(MINI, d)
    if edit is not None:
        edit(d)
    return str(d)


def _cell(table: str, row: int, col: str, value: str) -> Callable[[Path], None]:
    """An edit setting one cell (row 0 = first data row) of node.csv or link.csv."""

    def edit(d: Path) -> None:
        p = d / table
        lines = p.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        cells = lines[row + 1].split(",")
        cells[header.index(col)] = value
        lines[row + 1] = ",".join(cells)
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return edit


def _header_only(table: str) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        p = d / table
        p.write_text(p.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")

    return edit


def _replace(table: str, content: str | bytes) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        _write(d / table, content)

    return edit


def _fifo(table: str) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        (d / table).unlink()
        os.mkfifo(d / table)

    return edit


def _symlink(table: str, target: str) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        (d / table).unlink()
        (d / table).symlink_to(target)

    return edit


def _append_rows(table: str, rows: list[str]) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        with (d / table).open("a", encoding="utf-8") as fh:
            fh.write("\n".join(rows) + "\n")

    return edit


def _many_bad_links(n: int) -> Callable[[Path], None]:
    """`n` extra links, each with an unknown node and a negative length: problems far past the cap."""

    def edit(d: Path) -> None:
        p = d / "link.csv"
        header = p.read_text(encoding="utf-8").splitlines()[0]
        with p.open("a", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(f"x{i},nowhere{i},xian,false,rail,rail_std,-1,test,,,,,,,,,1435,open,,test,,\n")
        assert header.startswith("link_id")

    return edit


def network_cases(root: Path) -> list[Case]:
    def validate(name: str, edit=None, expect="error", match=None) -> Case:
        return Case(
            f"network/{name}",
            "network",
            ["network", "validate", _net(root, name, edit)],
            expect=expect,
            match=match,
        )

    loop = root / "networks" / "loop"
    loop.parent.mkdir(parents=True, exist_ok=True)
    loop.symlink_to(loop)
    outside = _write(root / "secret" / "link.csv", (MINI / "link.csv").read_text(encoding="utf-8"))
    cases = [
        validate("link-header-only", _header_only("link.csv"), match="no links"),
        validate("node-header-only", _header_only("node.csv"), match="no nodes"),
        validate("node-empty", _replace("node.csv", ""), match="empty"),
        validate("link-empty", _replace("link.csv", ""), match="empty"),
        validate("node-missing", lambda d: (d / "node.csv").unlink()),
        validate("link-fifo", _fifo("link.csv"), match="FIFO|pipe"),
        validate("link-symlink-outside", _symlink("link.csv", str(outside)), match="outside"),
        validate("link-symlink-loop", _symlink("link.csv", "link.csv")),
        validate("link-is-folder", lambda d: ((d / "link.csv").unlink(), (d / "link.csv").mkdir())),
        validate("link-dev-zero", _symlink("link.csv", "/dev/zero")),
        validate("link-binary", _replace("link.csv", b"link_id,x\n\x00\x01\x02\x00" * 50), match="binary"),
        validate("link-bad-utf8", _replace("link.csv", b"link_id,from\n\xff\xfe\xfa,x\n"), match="UTF-8"),
        validate("length-1e300", _cell("link.csv", 0, "length_km", "1e300"), match="plausible"),
        validate("length-negative", _cell("link.csv", 0, "length_km", "-5"), match="negative"),
        validate("length-nan", _cell("link.csv", 0, "length_km", "nan"), match="finite"),
        validate("length-inf", _cell("link.csv", 0, "length_km", "inf"), match="finite"),
        validate("speed-1e-300", _cell("link.csv", 0, "speed_kmh", "1e-300"), match="plausible"),
        validate("speed-zero", _cell("link.csv", 0, "speed_kmh", "0"), match="greater than zero"),
        validate("opening-year-99999", _cell("link.csv", 0, "opening_year", "99999"), match="plausible"),
        validate("opening-year-fraction", _cell("link.csv", 0, "opening_year", "2030.5")),
        validate("country-XXX", _cell("node.csv", 0, "country", "XXX"), match="ISO 3166"),
        validate("country-lowercase", _cell("node.csv", 0, "country", "chn"), match="ISO3"),
        validate("lon-500", _cell("node.csv", 0, "lon", "500"), match="out of range"),
        validate("capacity-1e300", _cell("link.csv", 0, "capacity_teu_yr", "1e300"), match="plausible"),
        validate("usd-1e308", _cell("link.csv", 0, "usd_per_teu", "1e308"), match="plausible"),
        validate("wait-1e9", _cell("link.csv", 0, "wait_hours", "1e9"), match="plausible"),
        validate("dwell-negative", _cell("node.csv", 1, "dwell_hours", "-3"), match="negative"),
        validate("duplicate-link-id", _cell("link.csv", 1, "link_id", "r1"), match="duplicate"),
        validate("unknown-node", _cell("link.csv", 0, "to_node_id", "atlantis"), match="unknown node"),
        validate("ragged-row", _append_rows("link.csv", ["r99,xian,dostyk"]), match="fields"),
        validate(
            "duplicate-column",
            lambda d: _write(d / "node.csv", (d / "node.csv").read_text().replace("aliases", "name", 1)),
            match="more than once",
        ),
        validate("gauge-1000", _cell("link.csv", 0, "gauge", "1000"), match="gauge"),
        validate("status-maybe", _cell("link.csv", 0, "status", "maybe"), match="one of"),
        validate("mode-teleport", _cell("link.csv", 0, "mode", "teleport"), match="one of"),
        validate("self-loop", _cell("link.csv", 0, "to_node_id", "xian"), match="same node"),
        validate(
            "unterminated-quote",
            _append_rows("link.csv", ['r98,"xian,dostyk,false,rail']),
        ),
        validate(
            "bom-crlf",
            lambda d: _write(
                d / "link.csv", b"\xef\xbb\xbf" + (d / "link.csv").read_bytes().replace(b"\n", b"\r\n")
            ),
            expect="ok",
        ),
        validate("name-ansi", _cell("node.csv", 1, "name", "Xian\x1b[31mRED\x1b[0m"), expect="any"),
        validate("name-1mb", _cell("node.csv", 0, "name", "A" * 1_000_000), match="field limit"),
        validate("rates-speed-zero", _cell("rates.csv", 0, "speed_kmh", "0"), match="greater than zero"),
        validate(
            "value-of-time-1e300",
            _cell("commodities.csv", 0, "value_of_time_usd_per_teu_hour", "1e300"),
            match="plausible",
        ),
        validate("sources-missing", lambda d: (d / "sources.csv").unlink()),
        validate("20k-bad-rows", _many_bad_links(20_000), match="more"),
        Case("network/folder-symlink-loop", "network", ["network", "validate", str(loop)]),
        Case("network/not-there", "network", ["network", "validate", str(root / "nowhere")]),
        Case(
            "network/size-cap",
            "network",
            ["--max-input-mb", "0.001", "network", "validate", str(MINI)],
            match="more than",
        ),
        Case(
            "network/geojson-bad-json",
            "network",
            ["network", "validate", str(_write(root / "n1.geojson", '{"type": "FeatureCollection", '))],
        ),
        Case(
            "network/geojson-deep",
            "network",
            ["network", "validate", str(_write(root / "n2.geojson", "[" * 100_000 + "]" * 100_000))],
        ),
        Case(
            "network/geojson-not-collection",
            "network",
            ["network", "validate", str(_write(root / "n3.geojson", '{"type": "Point"}'))],
        ),
        Case(
            "network/compare-on-bad",
            "network",
            ["compare", "Xian", "Duisburg", "--network", _net(root, "cmp-bad", _header_only("link.csv"))],
        ),
        Case(
            "network/serve-bad",
            "network",
            [
                "serve",
                "--port",
                "18765",
                "--network",
                _net(root, "serve-bad", _cell("link.csv", 0, "to_node_id", "atlantis")),
            ],
            match="atlantis",
        ),
        Case(
            "network/export-to-file",
            "network",
            ["network", "export", str(_write(root / "afile", "x")), "--network", str(MINI)],
        ),
        Case(
            "network/export-unwritable",
            "network",
            ["network", "export", "/proc/corridor-export", "--network", str(MINI)],
            match="cannot",
        ),
        Case(
            "network/export-ok",
            "network",
            ["network", "export", str(root / "exported"), "--network", str(MINI)],
            expect="ok",
        ),
    ]
    return cases


def demand_cases(root: Path) -> list[Case]:
    head = "origin,destination,commodity,teu_per_year,t_per_year\n"

    def assign(name: str, content, expect="error", match=None) -> Case:
        path = (
            content
            if isinstance(content, str) and content.startswith("/")
            else str(_write(root / "demand" / f"{name}.csv", content))
        )
        return Case(
            f"demand/{name}",
            "demand",
            ["assign", "--method", "aon", "--network", str(MINI), "--demand", path],
            expect=expect,
            match=match,
        )

    fifo = root / "demand" / "fifo.csv"
    fifo.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(fifo)
    pq = root / "demand" / "garbage.parquet"
    _write(pq, "not parquet at all")
    return [
        assign("dev-zero", "/dev/zero", match="device"),
        assign("fifo", str(fifo), match="FIFO|pipe"),
        assign("empty", "", match="empty"),
        assign("header-only", head, match="no rows"),
        assign("all-zero", head + "xian,duisburg,container,0,0\n", match="no demand"),
        assign("teu-1e300", head + "xian,duisburg,container,1e300,1\n", match="plausible"),
        assign("teu-negative", head + "xian,duisburg,container,-5,1\n", match="negative"),
        assign("teu-nan", head + "xian,duisburg,container,nan,1\n", match="finite"),
        assign("unknown-node", head + "xian,atlantis,container,5,1\n", match="unknown node"),
        assign("same-od", head + "xian,xian,container,5,1\n", match="same"),
        assign("unknown-commodity", head + "xian,duisburg,plutonium,5,1\n", match="commodity"),
        assign(
            "duplicate-od",
            head + "xian,duisburg,container,5,1\nxian,duisburg,container,6,1\n",
            match="duplicate",
        ),
        assign("wide-matrix", "origin,duisburg,moscow\nxian,5,6\n", match="wide"),
        assign("binary", b"\x00\x01\x02" * 100, match="binary"),
        assign("ansi-origin", head + "\x1b[2Jxian,duisburg,container,5,1\n", match="unknown node"),
        assign("teu-over-bound", head + "xian,duisburg,container,100000001,1\n", match="plausible"),
        assign("ok", head + "xian,duisburg,container,500,5000\n", expect="ok"),
        Case(
            "demand/garbage-parquet",
            "demand",
            ["assign", "--method", "aon", "--network", str(MINI), "--demand", str(pq)],
            match="Parquet",
        ),
        Case(
            "demand/is-folder",
            "demand",
            ["assign", "--method", "aon", "--network", str(MINI), "--demand", str(root)],
        ),
        Case(
            "demand/not-there",
            "demand",
            ["assign", "--method", "aon", "--network", str(MINI), "--demand", str(root / "no.csv")],
            match="not found",
        ),
    ]


_SCENARIO = "name: {name}\ndescription: a test\n"


def scenario_cases(root: Path) -> list[Case]:
    def validate(name: str, body: str | bytes, expect="error", match=None, head=True) -> Case:
        text = body if isinstance(body, bytes) or not head else _SCENARIO.format(name=name) + body
        path = _write(root / "scenarios" / f"{name}.yaml", text)
        return Case(
            f"scenario/{name}", "scenario", ["scenario", "validate", str(path)], expect=expect, match=match
        )

    laughs = "".join(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10))
    bomb = "sources: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + laughs
    fifo = root / "scenarios" / "fifo.yaml"
    fifo.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(fifo)
    src = "sources: [{id: t, title: T, url: 'https://example.org'}]\n"
    cases = [
        validate("billion-laughs", bomb, match="expands"),
        validate(
            "bomb-under-policies",
            "policies:\n  avoid: &a [RUS, RUS, RUS, RUS, RUS, RUS, RUS, RUS]\n"
            + "".join(
                f"  x{i}: &a{i} [" + ",".join([f"*a{i - 1}" if i > 1 else "*a"] * 9) + "]\n"
                for i in range(1, 9)
            ),
            match="expands",
        ),
        validate(
            "nested-lists-1000", "policies:\n  avoid: " + "[" * 1000 + "]" * 1000 + "\n", match="nested"
        ),
        validate("nested-maps-1000", "x: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n", match="nested"),
        validate(
            "vessels-1e9",
            src + "caspian:\n  vessels_add: {container: 1000000000}\n  source: [t]\n",
            match="less than or equal",
        ),
        validate(
            "growth-1e308",
            src + "demand:\n  growth:\n    - {from: china, to: eu, factor: 1e308, source: [t]}\n",
            match="less than or equal",
        ),
        validate("level-minus-1e308", src + "caspian:\n  level_m: -1e308\n  source: [t]\n"),
        validate("sea-level-nan", src + "caspian:\n  sea_level_m: .nan\n  source: [t]\n"),
        validate("month-13", "month: 13\n", match="month"),
        validate("year-99999", "year: 99999\n", match="year"),
        validate("base-itself", "base: base-itself.yaml\n", match="cycle"),
        validate("base-missing", "base: nowhere-at-all\n"),
        validate("duplicate-keys", "year: 2030\nyear: 2031\n", match="duplicate"),
        validate("not-a-mapping", "- a\n- b\n", head=False, match="mapping"),
        validate("empty", "", head=False),
        validate("binary", b"\x00\x01name: x\x00", match="binary|read|valid"),
        validate("bad-syntax", "policies: [avoid: {\n", match="YAML"),
        validate("python-tag", "x: !!python/object/apply:os.system ['echo hi']\n", match="YAML"),
        validate("too-big", "description2: '" + "x" * 5_000_000 + "'\n", match="more than"),
        validate("unknown-key", "polices: {}\n", match="unknown key"),
        validate("ansi-name", "x\x1b[31m: 1\n", match="special characters"),
        validate("tariff-factor-1e9", src + "tariffs:\n  - {modes: [rail], factor: 1e9, source: [t]}\n"),
        validate(
            "wait-factor-negative",
            src + "border_times:\n  - {countries: [KAZ], dwell_factor: -1, source: [t]}\n",
        ),
        validate(
            "border-XXX", src + "policies:\n  borders:\n    - {countries: [XXX, KAZ], status: closed}\n"
        ),
        validate("avoid-XXX", "policies:\n  avoid: [XXX]\n", match="XXX"),
        validate(
            "link-length-1e300",
            src + "infrastructure:\n  links:\n    - {id: r1, length_km: 1e300, source: [t]}\n",
        ),
        validate(
            "node-lon-999", src + "infrastructure:\n  nodes:\n    - {id: xian, lon: 999, source: [t]}\n"
        ),
        validate(
            "new-link-incomplete", src + "infrastructure:\n  links:\n    - {id: brand-new, source: [t]}\n"
        ),
        validate("demand-file-dev-zero", "demand:\n  file: /dev/zero\n"),
        validate("demand-file-fifo", f"demand:\n  file: {fifo}\n"),
        validate("deepen-1e9", src + "caspian:\n  deepen_m: {Aktau: 1e9}\n  source: [t]\n"),
        validate(
            "berths-1e9", src + "caspian:\n  berths_add: {Aktau: {container: 1000000000}}\n  source: [t]\n"
        ),
        validate("carbon-1e9", src + "terms:\n  carbon_usd_per_t: 1e9\n  source: [t]\n"),
        validate("anchors-within-budget", "policies:\n  avoid: &a [RUS]\n  avoid_modes: []\n", expect="any"),
        Case("scenario/fifo", "scenario", ["scenario", "validate", str(fifo)], match="FIFO|pipe"),
        Case(
            "scenario/run-ok",
            "scenario",
            [
                "scenario",
                "run",
                "baseline-2024",
                "--method",
                "aon",
                "--no-record",
                "--out",
                str(root / "scn-out"),
            ],
            expect="ok",
            timeout=180,
        ),
        Case(
            "scenario/run-out-is-file",
            "scenario",
            [
                "scenario",
                "run",
                "baseline-2024",
                "--method",
                "aon",
                "--no-record",
                "--out",
                str(_write(root / "f.txt", "x")),
            ],
        ),
        Case(
            "scenario/show-unknown",
            "scenario",
            ["scenario", "show", "sanctions-strikt"],
            match="did you mean",
        ),
    ]
    sym = root / "scenarios" / "sym.yaml"
    sym.symlink_to(_write(root / "elsewhere" / "s.yaml", _SCENARIO.format(name="s")))
    cases.append(
        Case("scenario/symlink-outside", "scenario", ["scenario", "validate", str(sym)], match="outside")
    )
    return cases


def project_cases(root: Path) -> list[Case]:
    head = (
        "project_id,name,cost_usd,cost_source,opening_year,element,element_id,field,value,source_id,notes\n"
    )
    ok_row = (
        "p1,Test,1000000,lada_aktau_ebrd_2025,2027,node,aktau,capacity_teu_yr,{cap},lada_aktau_ebrd_2025,\n"
    )

    def appraise(name: str, body: str | bytes, suffix: str = ".csv", match=None) -> Case:
        path = _write(root / "projects" / f"{name}{suffix}", body)
        return Case(
            f"project/{name}",
            "project",
            ["appraise", "--budget", "1bn", "--projects", str(path)],
            match=match,
        )

    laughs = "".join(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10))
    fifo = root / "projects" / "fifo.csv"
    fifo.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(fifo)
    return [
        appraise(
            "billion-laughs",
            "projects: []\nl0: &l0 [a, a, a, a, a, a, a, a, a]\n" + laughs,
            ".yaml",
            match="expands",
        ),
        appraise("cost-1e300", head + ok_row.format(cap=1000).replace("1000000", "1e300"), match="cost_usd"),
        appraise("cost-negative", head + ok_row.format(cap=1000).replace("1000000", "-1"), match="cost_usd"),
        appraise("year-99999", head + ok_row.format(cap=1000).replace("2027", "99999"), match="opening_year"),
        appraise("capacity-1e300", head + ok_row.format(cap="1e300")),
        appraise("unknown-element", head + ok_row.format(cap=1000).replace("aktau", "atlantis")),
        appraise("empty", ""),
        appraise("header-only", head),
        appraise("nested-deep", "projects: " + "[" * 1000 + "]" * 1000 + "\n", ".yaml", match="nested"),
        appraise(
            "unknown-source",
            head + ok_row.format(cap=1000).replace("lada_aktau_ebrd_2025,2027", "nobody_9999,2027"),
        ),
        appraise(
            "duplicate-ids",
            "projects:\n" + "  - {id: p, name: P, cost_usd: 1e6, cost_source: "
            "[lada_aktau_ebrd_2025], opening_year: 2030}\n" * 2,
            ".yaml",
            match="duplicate|twice|more than once",
        ),
        appraise("binary", b"\x00" * 300),
        appraise(
            "caspian-vessels-1e9",
            "projects:\n  - {id: p, name: P, cost_usd: 1e6, cost_source: [x], "
            "opening_year: 2030, caspian: {vessels_add: {container: 1000000000}, source: [x]}}\n",
            ".yaml",
        ),
        Case("project/fifo", "project", ["appraise", "--budget", "1bn", "--projects", str(fifo)]),
        Case("project/budget-1e400", "project", ["appraise", "--budget", "1e400"], match="finite"),
        Case("project/budget-text", "project", ["appraise", "--budget", "lots"], match="USD"),
        Case("project/budget-1e20", "project", ["appraise", "--budget", "1e20"], match="plausible"),
    ]


# name, expect, message regex (- for none), then the command line; {mini}, {root} and {mini_od} (the
# mini network and a demand table for it) are filled in
_CLI_TABLE = r"""
reliability-seed-negative error - reliability Xian Duisburg --seed -1
reliability-samples-10 error - reliability Xian Duisburg --samples 10
reliability-samples-1e9 error - reliability Xian Duisburg --samples 1000000000
reliability-promise-negative error promise reliability Xian Duisburg --promise -1
reliability-promise-nan error - reliability Xian Duisburg --promise nan
reliability-ok ok - reliability Xian Duisburg --samples 1000 --network {mini}
caspian-sea-level-nan error finite caspian simulate --sea-level nan
caspian-sea-level-huge error plausible caspian simulate --sea-level -1e308
caspian-sea-level-as-change error Baltic caspian simulate --sea-level -1
caspian-sea-level-change-100 error - caspian simulate --sea-level-change 100
caspian-both-levels error not.both caspian simulate --sea-level -30 --sea-level-change -1
caspian-vessels-1e8 error plausible caspian simulate --vessels-add container=100000000
caspian-vessels-minus-100 error removes caspian simulate --vessels-add container=-100
caspian-vessels-word error - caspian simulate --vessels-add container=lots
caspian-budget error fewer caspian simulate --replications 10000 --days 3650
caspian-days-0 error - caspian simulate --days 0
caspian-deepen-nan error - caspian simulate --deepen Aktau=nan
caspian-deepen-1e9 error - caspian simulate --deepen Aktau=1e9
caspian-berths-1000 error - caspian simulate --berths-add Aktau:container=1000
caspian-unknown-port error port caspian simulate --deepen Atlantis=1
caspian-ok ok - caspian simulate --replications 3 --days 60 --sea-level -30.35 --json
caspian-drafts-ok ok - caspian drafts --sea-level -31 --json
caspian-drafts-out-of-range error plausible caspian drafts --sea-level -10
compare-month-13 error - compare Xian Duisburg --month 13
compare-year-99999 error - compare Xian Duisburg --year 99999
compare-unknown-place error unknown compare Xian Atlantis
compare-avoid-KGZ-mini error KGZ compare Xian Duisburg --network {mini} --avoid KGZ
compare-ok-month ok - compare Xian Duisburg --network {mini} --month 2 --json
route-k-0 error - route Xian Duisburg --k 0
route-k-1000 error - route Xian Duisburg --k 1000
route-overlap-2 error - route Xian Duisburg --max-overlap 2
route-via-unknown error unknown route Xian Duisburg --via Atlantis
assign-rgap-0 error - assign --rgap 0
assign-max-iter-0 error - assign --max-iter 0
assign-out-is-file error folder assign --method aon {mini_od} --out {root}/out-file
assign-out-not-empty error refusing assign --method aon {mini_od} --out {root}/full
assign-out-not-empty-force error not.write assign --method aon {mini_od} --out {root}/full --force
assign-out-unwritable error cannot assign --method aon {mini_od} --out /proc/corridor-out
assign-format-bogus error format assign --method aon --out {root}/fb --format xls
assign-format-without-out error --out assign --method aon --format csv
assign-ok-geojson ok - assign --method aon {mini_od} --out {root}/a-ok --format csv,geojson
network-symlink-loop error loop compare Xian Duisburg --network {root}/networks/loop
places-kind-bogus error - places --kind bogus
runs-show-empty error run.id runs show "" --home {root}/home
runs-list-limit-0 error - runs list --limit 0
runs-list-ok ok - runs list --home {root}/home
gateways-unknown-region error - gateways --from atlantis --to eu --no-closures
export-format-bogus error - network export {root}/ex --format shp
calibrate-save-report error --refit calibrate --save {root}/p.json --report
params-dev-zero error device assign --method aon --params /dev/zero
params-deep-json error deeply assign --method aon --params {root}/deep.json
max-input-mb-0 error - --max-input-mb 0 places
schema-out-unwritable error cannot scenario schema --out /proc/corridor-schema.json
scenario-resume-other any - scenario run red-sea-closed --method aon --no-record --resume --out {root}/scn-out
json-usage-error error --k route Xian Duisburg --k abc --json
"""


def cli_cases(root: Path) -> list[Case]:
    _write(root / "full" / "keep.txt", "mine")
    _write(root / "od.csv", "origin,destination,commodity,teu_per_year,t_per_year\n"
                            "xian,duisburg,container,500,5000\n")
    _write(root / "out-file", "x")
    _write(root / "p.json", "{}")
    _write(root / "deep.json", "[" * 100_000 + "]" * 100_000)
    cases, mini_od = [], f"--network {MINI} --demand {root}/od.csv"
    for line in filter(None, (x.strip() for x in _CLI_TABLE.splitlines())):
        name, expect, match, rest = line.split(None, 3)
        argv = shlex.split(rest.format(mini=MINI, root=root, mini_od=mini_od))
        cases.append(Case(f"cli/{name}", "cli", argv, expect=expect, match=None if match == "-" else match))
    # arguments a table cannot hold: control characters
    cases += [Case("cli/compare-ansi-place", "cli", ["compare", "Xian", "Dui\x1b[2Jsburg"], match="did you"),
              Case("cli/places-ansi", "cli", ["places", "\x1b]0;pwned\x07Xi"])]
    return cases + _tntp_cases(root)


def _tntp_cases(root: Path) -> list[Case]:
    """`corridor assign --tntp` on broken copies of the Sioux Falls files."""
    src = REPO / "tests" / "data" / "tntp"
    net = (src / "SiouxFalls_net.tntp").read_text(encoding="utf-8")
    trips = (src / "SiouxFalls_trips.tntp").read_text(encoding="utf-8")
    broken = {
        "short-net": ("\n".join(net.splitlines()[:14]) + "\n", trips, "link"),
        "text-capacity": (net.replace("25900.20064", "lots", 1), trips, "capacity"),
        "binary-net": (b"\x00\xff" * 500, trips, None),
        "negative-trips": (net, trips.replace("100.0;", "-100.0;", 1), "negative|trips|demand"),
        "zone-999": (net, trips.replace("Origin \t1", "Origin \t999", 1), "999|zone|origin"),
        "no-trips": (net, None, "trips"),
    }
    cases = []
    for name, (n, t, match) in broken.items():
        d = root / "tntp" / name
        _write(d / "X_net.tntp", n)
        if t is not None:
            _write(d / "X_trips.tntp", t)
        cases.append(Case(f"cli/tntp-{name}", "cli", ["assign", "--tntp", str(d / "X")], match=match))
    return cases


# name, expect, method, URL (then an optional JSON body)
_API_TABLE = r"""
compare-ansi error GET /api/compare?origin=Xian&destination=Dui%1B%5B2Jsburg
compare-unknown error GET /api/compare?origin=Xian&destination=Atlantis
compare-ok ok GET /api/compare?origin=Xian&destination=Duisburg
compare-year-99999 error GET /api/compare?origin=Xian&destination=Duisburg&year=99999
compare-avoid-XXX error GET /api/compare?origin=Xian&destination=Duisburg&avoid=XXX
route-k-1000 error GET /api/route?origin=Xian&destination=Duisburg&k=1000
route-overlap-nan error GET /api/route?origin=Xian&destination=Duisburg&max_overlap=nan
places-limit-0 error GET /api/places?limit=0
source-control error GET /api/sources/%1B%5B31m
assign-method-bogus error GET /api/assign?method=bogus
unknown-endpoint error GET /api/nothing-here
wrong-method error DELETE /api/compare
scenario-run-traversal error GET /api/scenarios/run?name=..%2F..%2Fetc%2Fpasswd
caspian-sea-1e308 error POST /api/caspian/simulate {"sea_level": 1e308}
caspian-level-minus-1e308 error POST /api/caspian/simulate {"level_m": -1e308}
caspian-vessels-1e9 error POST /api/caspian/simulate {"vessels_add": {"container": 1000000000}}
caspian-replications-1e5 error POST /api/caspian/simulate {"replications": 100000}
caspian-days-negative error POST /api/caspian/simulate {"days": -1}
caspian-ok-level ok POST /api/caspian/simulate {"level_m": -30.35, "replications": 2, "days": 30}
"""


def api_cases(root: Path) -> list[Case]:
    raw = {"content-type": "application/json"}
    cases = []
    for line in filter(None, (x.strip() for x in _API_TABLE.splitlines())):
        name, expect, method, url, *body = line.split(None, 4)
        req = (method, url, json.loads(body[0]) if body else None, None)
        cases.append(Case(f"api/{name}", "api", request=req, expect=expect))
    via = "&".join(["via=Aktau"] * 60)
    cases += [
        Case("api/route-many-via", "api",
             request=("GET", f"/api/route?origin=Xian&destination=Duisburg&{via}", None, None)),
        Case("api/caspian-nan-text", "api",
             request=("POST", "/api/caspian/simulate", '{"sea_level": NaN}', raw)),
        Case("api/caspian-deep-json", "api", request=("POST", "/api/caspian/simulate",
                                                      "[" * 100_000 + "]" * 100_000, raw)),
        Case("api/caspian-big-body", "api", request=("POST", "/api/caspian/simulate",
                                                     '{"x": "' + "a" * 2_000_000 + '"}', raw)),
        Case("api/caspian-invalid-json", "api", request=("POST", "/api/caspian/simulate", "{", raw)),
    ]
    return cases


def generate(root: Path) -> list[Case]:
    """Write every input under `root` and return the cases (at least 150)."""
    root.mkdir(parents=True, exist_ok=True)
    cases = [
        *network_cases(root),
        *demand_cases(root),
        *scenario_cases(root),
        *project_cases(root),
        *cli_cases(root),
        *api_cases(root),
    ]
    names = [c.name for c in cases]
    assert len(set(names)) == len(names), "case names must be unique"
    return cases


