"""The HTTP API (FastAPI TestClient): answers, bounded inputs, JSON errors, and a bounded
schemathesis run against the published OpenAPI schema that must find no 5xx."""

from __future__ import annotations

import inspect
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

with warnings.catch_warnings():  # starlette's note that its TestClient will move to httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import corridor
from corridor.web import create_app, serve

APP = create_app(corridor.load_network())


@pytest.fixture(scope="module")
def client():
    return TestClient(APP)


def _err(r, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["error"] and body["type"]
    return body


# ------------------------------------------------------------------ answers


def test_meta_lists_families_limits_and_features(client):
    m = client.get("/api/meta").json()
    assert [f["id"] for f in m["families"]][:5] == list(corridor.FAMILIES)
    assert m["limits"]["k_max"] == 10
    assert {"RUS", "BLR", "IRN", "KAZ", "AZE"} <= {c["iso3"] for c in m["countries"]}
    assert m["features"]["assign"] and m["features"]["caspian"]
    assert "Kuryk" in m["caspian"]["ports"]


def test_places_prefix_first_and_suggestions(client):
    r = client.get("/api/places", params={"q": "Dui"}).json()
    assert r["places"][0]["name"] == "Duisburg"
    r = client.get("/api/places", params={"q": "ba", "limit": 50}).json()
    names = [p["name"] for p in r["places"]]
    starts = [n.lower().startswith("ba") for n in names]
    assert starts == sorted(starts, reverse=True)  # prefix matches come first
    assert "Baku" in names[: sum(starts)] or "Batumi" in names[: sum(starts)]
    r = client.get("/api/places", params={"q": "Duisbrug"}).json()
    assert r["places"] == [] and "Duisburg" in r["suggestions"]
    ports = client.get("/api/places", params={"kind": "port", "limit": 500}).json()["places"]
    assert ports and all(p["kind"] == "port" for p in ports)


def test_compare_is_the_library_answer_with_lines(client, net):
    r = client.get("/api/compare", params={"origin": "Xian", "destination": "Duisburg"})
    assert r.status_code == 200
    d = r.json()
    lib = corridor.compare(net, "Xian", "Duisburg").to_dict()
    assert [c["corridor"] for c in d["corridors"]] == [c["corridor"] for c in lib["corridors"]]
    for mine, theirs in zip(d["corridors"], lib["corridors"], strict=True):
        assert mine["feasible"] == theirs["feasible"]
        if mine["feasible"]:
            assert mine["days"] == theirs["days"] and mine["usd_per_teu"] == theirs["usd_per_teu"]
            coords = mine["geometry"]["coordinates"]
            assert mine["geometry"]["type"] == "LineString" and len(coords) >= 2
            # the line runs from origin to destination
            o = net.nodes.set_index("node_id").loc["xian"]
            assert abs(coords[0][0] - o.lon) < 0.01 and abs(coords[0][1] - o.lat) < 0.01
    assert d["feasible"] >= 4
    assert d["overall"]["geometry"]["coordinates"]


def test_compare_avoiding_russia_and_belarus_says_why(client):
    d = client.get("/api/compare", params={"origin": "Xian", "destination": "Duisburg",
                                           "avoid": "RUS,BLR"}).json()
    north = next(c for c in d["corridors"] if c["corridor"] == "northern")
    assert not north["feasible"] and "BLR, RUS" in north["reason"]
    assert d["policy"]["avoid_countries"] == ["BLR", "RUS"]


def test_route_k_via_and_year(client):
    d = client.get("/api/route", params={"origin": "Almaty", "destination": "Istanbul",
                                         "avoid": "RUS,BLR,IRN", "k": 3}).json()
    assert 1 <= len(d["routes"]) <= 3
    vals = [r["objective_value"] for r in d["routes"]]
    assert vals == sorted(vals)
    assert all(r["geometry"]["coordinates"] for r in d["routes"])
    d = client.get("/api/route", params=[("origin", "Baku"), ("destination", "Kars"), ("via", "Nakhchivan"),
                                         ("year", 2030), ("k", 1)]).json()
    assert "Nakhchivan" in d["via"]


def test_network_geojson_has_mode_status_capacity_and_sources(client, net):
    r = client.get("/api/network")
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    links = [f for f in fc["features"] if f["properties"]["feature"] == "link"]
    nodes = [f for f in fc["features"] if f["properties"]["feature"] == "node"]
    assert len(links) == len(net.links) and len(nodes) == len(net.nodes)
    for key in ("mode", "status", "capacity_teu_yr", "source_id", "opening_year"):
        assert key in links[0]["properties"]
    assert {"kind", "country", "capacity_teu_yr"} <= set(nodes[0]["properties"])
    assert {f["properties"]["status"] for f in links} >= {"open", "planned"}
    # big static bodies go gzipped to clients that take gzip
    raw = client.get("/api/network", headers={"Accept-Encoding": "gzip"})
    assert raw.headers.get("content-encoding") == "gzip"


def test_basemap_is_the_bundled_natural_earth(client):
    fc = client.get("/api/basemap").json()
    assert {"RUS", "KAZ", "AZE", "TUR", "DEU"} <= {f["properties"]["iso3"] for f in fc["features"]}


def test_sources_lookup(client):
    s = client.get("/api/sources/osm_network").json()
    assert s["source_id"] == "osm_network" and s["url"].startswith("http")
    found = client.get("/api/sources", params={"q": "osm"}).json()
    assert any(x["source_id"] == "osm_network" for x in found)
    body = _err(client.get("/api/sources/osm_netwrk"), 404)
    assert "osm_network" in body["suggestions"]
    assert body["type"] == "UnknownSourceError"  # a source is not a place
    assert _err(client.get("/api/sources/zzz"), 404)["type"] == "UnknownSourceError"


def test_assign_is_computed_once_per_method_and_year(client):
    st = APP.state.corridor
    r1 = client.get("/api/assign", params={"method": "aon"})
    assert r1.status_code == 200
    d = r1.json()
    assert d["method"] == "aon" and d["links"]
    assert {"link_id", "flow_teu", "v_c"} <= set(d["links"][0])
    assert "corridors_teu" in d["summary"]
    latest = f"world-{corridor.recorded_years()[-1]}"
    assert d["world"] == latest  # the bundled network's flows are today's: the latest recorded world
    cached = st.flows.get(("aon", None, latest))
    r2 = client.get("/api/assign", params={"method": "aon"})
    assert r2.content == r1.content and st.flows.get(("aon", None, latest)) is cached


def test_assign_in_a_recorded_world_or_on_the_network_alone(client):
    latest = client.get("/api/assign", params={"method": "aon"}).json()
    alone = client.get("/api/assign", params={"method": "aon", "world": "none"}).json()
    early = client.get("/api/assign", params={"method": "aon", "world": "2019"}).json()
    assert alone["world"] is None and early["world"] == "world-2019"
    runs = (("latest", latest), ("alone", alone), ("2019", early))
    teu = {k: d["summary"]["corridors_teu"] for k, d in runs}
    # the Red Sea is avoided in the latest world; the network alone and 2019 send boxes through Suez
    assert teu["latest"]["suez"] < teu["latest"]["cape"]
    assert teu["alone"]["suez"] > teu["alone"]["cape"] and teu["2019"]["suez"] > teu["2019"]["cape"]
    bad = _err(client.get("/api/assign", params={"method": "aon", "world": "1999"}), 400)
    assert bad["error"].startswith("no recorded world for 1999")
    both = _err(client.get("/api/assign", params={"method": "aon", "world": "2024", "year": 2030}), 400)
    assert "give one" in both["error"]
    _err(client.get("/api/assign", params={"method": "aon", "world": "../x"}), 422)
    meta = client.get("/api/meta").json()
    assert meta["default_world"] == "latest" and 2019 in meta["recorded_years"]


def test_assign_gives_each_direction_and_the_binding_one(client):
    """A link's two directions queue apart: the map rows carry both, and an over-capacity row
    names the direction that binds with that direction's load (never both ways' TEU)."""
    d = client.get("/api/assign", params={"method": "aon"}).json()
    both = [r for r in d["links"] if r["forward"] and r["backward"]]
    assert both, "some loaded link queues both ways"
    for r in both[:20]:
        for way in ("forward", "backward"):
            assert {"load", "capacity", "v_c", "unit"} <= set(r[way])
    rows = {r["link_id"]: r for r in d["links"]}
    for o in d["summary"]["over_90pct"]:
        if o["kind"] != "link":
            continue
        way = rows[o["id"]][o["direction"]]
        assert abs(way["load"] - o["queue_load"]) < 1e-3 * max(1.0, o["queue_load"]), (o, way)
        assert abs(way["v_c"] - o["v_c"]) < 0.01
        if o["queue_unit"] == "TEU":  # one direction's load, at most the two-way total
            assert o["queue_load"] <= o["flow_teu"] + 1


def test_flow_tables_download_as_csv(client, net):
    r = client.get("/api/assign/table", params={"name": "link_flows", "method": "aon"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    latest = f"world-{corridor.recorded_years()[-1]}"
    assert r.headers["content-disposition"] == f'attachment; filename="corridor-link_flows-aon-{latest}.csv"'
    lines = r.text.splitlines()
    assert lines[0].startswith("link_id,") and len(lines) == len(net.links) + 1
    over = client.get("/api/assign/table", params={"name": "over_capacity", "method": "aon"}).text
    assert {"kind", "id", "queue_load", "queue_capacity", "v_c"} <= set(over.splitlines()[0].split(","))
    assert _err(client.get("/api/assign/table", params={"name": "route_flows", "method": "aon"}),
                400)["error"].startswith("aon has no route_flows")
    _err(client.get("/api/assign/table", params={"name": "../etc/passwd"}), 422)


def test_status_says_what_is_kept(client):
    client.get("/api/assign", params={"method": "aon"})
    st = client.get("/api/status")
    assert st.headers["cache-control"] == "no-store"
    body = st.json()
    assert ["aon", None, f"world-{corridor.recorded_years()[-1]}"] in body["assign"]["computed"]
    assert body["assign"]["seconds"]["aon"] >= 0
    assert isinstance(body["scenarios"]["computed"], list)


def test_label_fonts_are_served_from_this_server(client):
    fonts = client.get("/api/meta").json()["fonts"]
    if not fonts:
        pytest.skip("the label font is not installed (make web-assets)")
    assert set(fonts) == {"Noto Sans Regular", "Noto Sans SemiBold"}
    for faces in fonts.values():
        for face in faces:
            assert face["url"].startswith("/static/vendor/fonts/") and face["unicode-range"]
            r = client.get(face["url"])
            assert r.status_code == 200 and r.content[:4] == b"wOF2"
    latin = fonts["Noto Sans Regular"][0]["unicode-range"]
    assert latin[0] == "U+0000-00FF"


def test_layer_colours_stay_apart_from_every_corridor_colour(client):
    """The corridors are drawn in the static maps' colours; bloc fills and sanctions marks differ
    from each of them by a CIE76 distance of 20 or more, for normal vision and for protan, deutan
    and tritan readers."""
    from corridor.viz.palette import corridor_colour
    from corridor.web import palette

    served = client.get("/api/meta").json()["families"]
    fams = {f["id"]: f["color"] for f in served if f["id"] in corridor.FAMILIES}
    assert fams == {f: corridor_colour(f) for f in corridor.FAMILIES}
    rows = palette.closest_pairs(fams)
    assert [r["vision"] for r in rows] == list(palette.VISIONS)
    assert all(r["difference"] >= 20 for r in rows), rows
    assert palette.difference("#000000", "#ffffff") == pytest.approx(100, abs=0.5)
    assert palette.difference("#d62728", "#2ca02c", "deutan") < palette.difference("#d62728", "#2ca02c")
    assert min(r["corridor_difference"] for r in rows) >= 15  # the corridors apart from each other too


def test_warm_up_runs_the_named_scenarios_in_the_background(monkeypatch):
    from corridor.web.app import WARM, warm_up

    app = create_app(corridor.load_network())
    st = app.state.corridor
    seen: list[str] = []
    monkeypatch.setattr(st, "run_scenario", seen.append)
    assert warm_up(app, ()) is None
    th = warm_up(app, WARM)
    th.join(10)
    assert seen == list(WARM) == ["baseline-2024", "sanctions-strict"]


def test_caspian_simulation(client):
    r = client.post("/api/caspian/simulate", json={"sea_level": -1.0, "replications": 4, "days": 120,
                                                   "vessels_add": {"rail_ferry": 2}, "deepen": {"Kuryk": 1}})
    assert r.status_code == 200, r.text
    d = r.json()
    assert set(d["ports"]) >= {"Aktau", "Kuryk"}
    assert d["ports"]["Kuryk"]["mean_wait_hours"] >= 0


def test_uncached_questions_queue_for_two_slots(monkeypatch):
    """Eight distinct slow questions at once: at most two are computed at the same time, the
    rest queue (none fails); a cached answer does not wait behind them."""
    import asyncio
    import threading
    import time

    import httpx

    from corridor.routing import itineraries

    app = create_app(APP.state.corridor.net)
    real, lock = itineraries.route, threading.Lock()
    now = {"running": 0, "peak": 0}

    def slow_route(*a, **kw):
        with lock:
            now["running"] += 1
            now["peak"] = max(now["peak"], now["running"])
        try:
            time.sleep(0.25)
            return real(*a, **kw)
        finally:
            with lock:
                now["running"] -= 1

    monkeypatch.setattr(itineraries, "route", slow_route)

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            q = {"origin": "Xian", "destination": "Duisburg"}
            assert (await c.get("/api/compare", params=q)).status_code == 200  # now cached
            t0 = time.perf_counter()
            slow = [asyncio.create_task(c.get("/api/route", params={**q, "k": k})) for k in range(1, 9)]
            while app.state.corridor.queries.running < 2:  # both slots busy, six waiting
                await asyncio.sleep(0.005)
            r = await c.get("/api/compare", params=q)
            cached_s = time.perf_counter() - t0
            done = await asyncio.gather(*slow)
            return r, cached_s, done, time.perf_counter() - t0

    r, cached_s, done, total = asyncio.run(go())
    assert [x.status_code for x in done] == [200] * 8
    assert now["peak"] == 2, now  # two at a time: not one, not eight
    assert app.state.corridor.queries.peak == 2
    assert total > 4 * 0.25  # four rounds of two
    assert r.status_code == 200 and cached_s < 0.25  # answered while the slow ones queue


# ------------------------------------------------------------------ malformed queries get 4xx JSON


def test_unknown_place_gets_suggestions(client):
    b = _err(client.get("/api/route", params={"origin": "Xian", "destination": "Duisbrug"}), 404)
    assert b["type"] == "UnknownPlaceError" and "Duisburg" in b["suggestions"]
    assert "Duisbrug" in b["error"]


def test_unknown_place_hint_is_for_web_users(client):
    # the library's hint names a CLI command; the page has a place search instead
    b = _err(client.get("/api/compare", params={"origin": "Xian", "destination": "Nowhere"}), 404)
    assert b["type"] == "UnknownPlaceError" and b["suggestions"] == []
    assert "'Nowhere'" in b["error"] and "corridor places" not in b["error"]
    assert "search" in b["error"]
    b = _err(client.get("/api/route", params=[("origin", "Xian"), ("destination", "Duisburg"),
                                              ("via", "Nowhere")]), 404)
    assert "corridor places" not in b["error"]


@pytest.mark.parametrize("q", ["%", "'", " ", "-_-", "%%%"])
def test_places_query_without_letters_is_refused(client, q):
    # such a query normalises to nothing, which would match every place
    b = _err(client.get("/api/places", params={"q": q}), 422)
    assert "'q'" in b["error"] and "letter or digit" in b["error"]


@pytest.mark.parametrize("modes", ["transfer", "rail,TRANSFER", "hovercraft"])
def test_avoid_mode_only_the_modes_meta_offers(client, modes):
    offered = client.get("/api/meta").json()["modes"]
    assert "transfer" not in offered
    for path in ("/api/compare", "/api/route"):
        b = _err(client.get(path, params={"origin": "Xian", "destination": "Duisburg",
                                          "avoid_mode": modes}), 400)
        assert "mode" in b["error"] and ", ".join(offered) in b["error"]


@pytest.mark.parametrize("avoid", ["RUSSLAND", "XX", "rus,zzz"])
def test_bad_iso_code(client, avoid):
    b = _err(client.get("/api/compare", params={"origin": "Xian", "destination": "Duisburg",
                                                "avoid": avoid}), 400)
    assert "unknown country code" in b["error"]


@pytest.mark.parametrize("k", [0, -1, 11, 21, 10000, "three"])
def test_k_is_bounded(client, k):
    b = _err(client.get("/api/route", params={"origin": "Xian", "destination": "Duisburg", "k": k}), 422)
    assert "'k'" in b["error"]
    assert b["problems"][0]["location"] == "query.k"


def test_huge_strings(client):
    b = _err(client.get("/api/compare", params={"origin": "x" * 101, "destination": "Duisburg"}), 422)
    assert "origin" in b["error"] and "100" in b["error"]
    b = _err(client.get("/api/compare", params={"origin": "x" * 6000, "destination": "Duisburg"}), 414)
    b = _err(client.get("/api/compare", params={"origin": "Xian", "destination": "Duisburg",
                                                "avoid": ",".join(["RUS"] * 80)}), 422)
    assert "avoid" in b["error"]
    b = _err(client.get("/api/route", params=[("origin", "Xian"), ("destination", "Duisburg")]
                        + [("via", "Baku")] * 9), 422)
    assert "via" in b["error"]
    b = _err(client.post("/api/caspian/simulate", content=b"{" + b" " * 20_000 + b"}",
                         headers={"content-type": "application/json"}), 413)


@pytest.mark.parametrize(("params", "status", "word"), [
    ({"origin": "Xian", "destination": "Duisburg", "objective": "fastest"}, 422, "objective"),
    ({"origin": "Xian", "destination": "Duisburg", "year": 1800}, 422, "year"),
    ({"origin": "Xian", "destination": "Duisburg", "avoid_mode": "hovercraft"}, 400, "mode"),
    ({"origin": "Xian", "destination": "Duisburg", "avoid_passage": "panama canal"}, 400, "passage"),
    ({"origin": "Xian", "destination": "Xi'an"}, 400, "same place"),
    ({"origin": "Xian", "destination": "Duisburg", "commodity": "gold"}, 400, "commodity"),
    ({"origin": "Xian"}, 422, "destination"),
    ({"origin": "", "destination": "Duisburg"}, 422, "origin"),
])
def test_malformed_compare(client, params, status, word):
    b = _err(client.get("/api/compare", params=params), status)
    assert word in b["error"]


def test_no_route_is_a_clear_404(client):
    b = _err(client.get("/api/route", params={"origin": "Xian", "destination": "Duisburg",
                                              "avoid_mode": "rail,sea"}), 404)
    assert b["type"] == "NoRouteError" and "no route" in b["error"]


def test_caspian_bad_bodies(client):
    _err(client.post("/api/caspian/simulate", json={"replications": 100_000}), 422)
    _err(client.post("/api/caspian/simulate", json={"sea_level": "low"}), 422)
    _err(client.post("/api/caspian/simulate", json={"surprise": 1}), 422)
    b = _err(client.post("/api/caspian/simulate", json={"vessels_add": {"submarine": 1}}), 400)
    assert "submarine" in b["error"]
    b = _err(client.post("/api/caspian/simulate", json={"deepen": {"Atlantis": 1}}), 400)
    assert "Atlantis" in b["error"]
    _err(client.post("/api/caspian/simulate", content=b"not json",
                     headers={"content-type": "application/json"}), 422)
    # strict numbers: a boolean, a string or a float is not a count
    for bad in ({"replications": True}, {"days": 30.0}, {"days": "60"}, {"seed": False},
                {"vessels_add": {"rail_ferry": 1.0}}, {"sea_level": True}):
        b = _err(client.post("/api/caspian/simulate", json=bad), 422)
        assert next(iter(bad)) in b["error"], (bad, b)


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_post_needs_a_json_content_type(client, ctype):
    headers = {"content-type": ctype} if ctype else {}
    r = client.post("/api/caspian/simulate", content=b'{"replications": 2, "days": 30}', headers=headers)
    b = _err(r, 415)
    assert b["error"] == "send a JSON body (Content-Type: application/json)"
    ok = client.post("/api/caspian/simulate", content=b'{"replications": 2, "days": 30}',
                     headers={"content-type": "application/json; charset=utf-8"})
    assert ok.status_code == 200


def test_unknown_endpoint_and_method_are_json(client):
    _err(client.get("/api/nothing"), 404)
    _err(client.delete("/api/compare"), 405)


# ------------------------------------------------------------------ safety


@pytest.fixture(scope="module")
def live():
    """The app under uvicorn on a free loopback port (for requests no HTTP client would send)."""
    import uvicorn

    srv = uvicorn.Server(uvicorn.Config(create_app(APP.state.corridor.net), host="127.0.0.1",
                                        port=_free_port(), log_level="warning", access_log=False))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.time() + 20
    while not srv.started:
        assert th.is_alive() and time.time() < deadline, "the app did not start"
        time.sleep(0.02)
    yield srv.config.port
    srv.should_exit = True
    th.join(10)


def _raw_get(port: int, target: str) -> tuple[int, bytes]:
    """GET `target` exactly as written: no client normalises the dots away."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data[9:12]), data


# each is sent byte for byte; uvicorn percent-decodes the path, so '%2e%2e' arrives as '..'.
# From static/: '..' is corridor/web/ (app.py), '../..' is corridor/ (__init__.py)
UP = "../" * 12
TRAVERSALS = ["/static/../app.py", "/static/../../__init__.py", "/static/%2e%2e/app.py",
              "/static/..%2fapp.py", "/static/%2e%2e%2f%2e%2e%2f__init__.py", f"/static/{UP}etc/passwd",
              "/static/" + "%2e%2e/" * 12 + "etc/passwd", "/static/..%5capp.py", "/static//etc/passwd",
              "/static/%2fetc/passwd", f"/{UP}etc/passwd", "/api/sources/..%2F..%2F__init__.py",
              f"/api/scenarios/run?name={UP}etc/passwd"]
SECRETS = (b"root:x:", b"def create_app", b"an open, reproducible model", b"[project]")


@pytest.mark.parametrize("target", TRAVERSALS)
def test_no_endpoint_reads_arbitrary_paths(live, target):
    status, data = _raw_get(live, target)
    assert status in (400, 404, 422), (target, data[:300])
    assert not any(x in data for x in SECRETS), (target, data[:300])


def test_raw_requests_do_reach_the_files(live):
    """The raw client is not fooling itself: the dots reach the app as sent (its 404 names the
    path it saw), and a file that may be served is served."""
    status, data = _raw_get(live, "/api/../nothing")
    assert status == 404 and b"no such endpoint: /api/../nothing" in data
    status, data = _raw_get(live, "/static/app.css")
    assert status == 200 and b"--accent" in data
    status, data = _raw_get(live, "/static/js/../app.css")  # stays inside static/: allowed
    assert status == 200 and b"--accent" in data


def test_no_path_parameter_in_the_api(client):
    spec = client.get("/openapi.json").json()
    names = {p["name"] for op in spec["paths"].values() for m in op.values() for p in m.get("parameters", [])}
    assert not names & {"path", "file", "folder", "network", "dir"}


def test_security_headers_and_offline_docs(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/docs").status_code == 404  # Swagger UI would load scripts from a CDN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _corridor_cli() -> str:
    exe = Path(sys.executable).with_name("corridor")
    if not exe.exists():
        pytest.skip("the corridor console script is not installed next to this python")
    return str(exe)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on `port` (Linux /proc/net/tcp{,6})."""
    out = set()
    for name in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            addr, p = f[1].split(":")
            if f[3] == "0A" and int(p, 16) == port:  # 0A: LISTEN
                out.add(addr)
    return out


def _outside_address() -> str | None:
    """An address of this machine that is not loopback (UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ipaddress.ip_address(ip).is_loopback or ip == "0.0.0.0" else ip


def test_serve_announces_once_listening_and_only_on_loopback():
    """`corridor serve` as a user runs it: the URL is printed only when the server answers, and
    it listens on 127.0.0.1 alone (no other address of this machine reaches it)."""
    port = _free_port()
    proc = subprocess.Popen([_corridor_cli(), "serve", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
        reader.start()
        deadline = time.time() + 60
        while not any("corridor web app on" in ln for ln in lines):
            assert proc.poll() is None and time.time() < deadline, (proc.returncode, lines)
            time.sleep(0.02)
        assert f"http://127.0.0.1:{port}/" in lines[-1]
        # announced means answering: no retry, no wait
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/meta", timeout=10) as r:
            assert r.status == 200
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else
        outside = _outside_address()
        if outside is not None:
            with pytest.raises(ConnectionRefusedError), socket.create_connection((outside, port), timeout=5):
                pass
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_serve_on_a_port_in_use_is_one_clear_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run([_corridor_cli(), "serve", "--port", str(port)], capture_output=True,
                           text=True, timeout=120)
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "in use" in lines[0], r.stderr
    assert f"port {port}" in lines[0] and "--port" in lines[0]
    assert "corridor web app on" not in r.stderr + r.stdout  # never announced
    assert "Traceback" not in r.stderr and "Errno" not in r.stderr


def test_serve_from_python_reports_its_url_when_ready():
    """serve() binds before uvicorn starts: port 0 picks a free port, on_ready gets its URL
    once the server answers; binding errors are CorridorErrors."""
    from corridor.web.app import listen_socket

    code = ("from corridor.web import serve\n"
            "serve(port=0, log_level='warning', on_ready=lambda url: print(url, flush=True), warm=())")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0/"), url
        with urllib.request.urlopen(url + "api/meta", timeout=10) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(corridor.CorridorError, match="in use"):
            listen_socket("127.0.0.1", busy.getsockname()[1])
    with pytest.raises(corridor.CorridorError, match="not an address"):
        listen_socket("nonexistent.invalid", 0)


def test_binds_loopback_by_default_and_checks_host():
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    from corridor.cli.serve import serve as serve_cmd

    assert inspect.signature(serve_cmd).parameters["host"].default == "127.0.0.1"
    guarded = TestClient(create_app(APP.state.corridor.net, allowed_hosts=["127.0.0.1", "localhost"]),
                         base_url="http://127.0.0.1:8000")
    assert guarded.get("/api/meta").status_code == 200
    b = _err(guarded.get("/api/meta", headers={"Host": "evil.example"}), 400)
    assert b["type"] == "BadHost"


_NO_PLAYWRIGHT = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "playwright":
            raise ImportError("no playwright here")
sys.meta_path.insert(0, Block())
import pytest
sys.exit(pytest.main(["-p", "no:cacheprovider", "--collect-only", "-rs", sys.argv[1]]))
"""


@pytest.mark.parametrize("required", [True, False])
def test_browser_tests_fail_without_playwright_when_required(required):
    """CI sets CORRIDOR_REQUIRE_BROWSER=1: then a missing playwright is a failure, not a skip."""
    e2e = Path(__file__).with_name("test_web_e2e.py")
    env = {k: v for k, v in os.environ.items() if k != "CORRIDOR_REQUIRE_BROWSER"}
    env["CORRIDOR_CHROMIUM"] = shutil.which("true") or "/bin/true"  # a browser "is" there
    if required:
        env["CORRIDOR_REQUIRE_BROWSER"] = "1"
    r = subprocess.run([sys.executable, "-c", _NO_PLAYWRIGHT, str(e2e)], capture_output=True, text=True,
                       env=env, timeout=120, cwd=e2e.parent.parent)
    out = r.stdout + r.stderr
    assert "playwright is not installed" in out, out[-2000:]
    if required:
        assert r.returncode not in (0, 5) and "CORRIDOR_REQUIRE_BROWSER=1 but" in out, out[-2000:]
    else:
        assert r.returncode in (0, 5) and "SKIPPED" in out, out[-2000:]


def test_chunked_body_is_bounded(client):
    def chunks():
        for _ in range(40):
            yield b" " * 1024

    r = client.post("/api/caspian/simulate", content=chunks(), headers={"content-type": "application/json"})
    _err(r, 413)


def test_json_never_has_nan(client):
    txt = client.get("/api/network").text
    assert "NaN" not in txt and "Infinity" not in txt
    json.loads(txt)
    gz = client.get("/api/basemap", headers={"Accept-Encoding": "gzip"})
    assert gz.headers.get("content-encoding") == "gzip"
    assert json.loads(gz.content)["features"]  # the client decoded it


# ------------------------------------------------------------------ optional panels


def test_geopolitics_endpoint(client):
    if not client.get("/api/meta").json()["features"]["geopolitics"]:
        pytest.skip("corridor.geopolitics is not in this version")
    g = client.get("/api/geopolitics").json()
    by = {c["iso3"]: c for c in g["countries"]}
    assert by["RUS"]["sanctions"] != "none" and "EAEU" in by["KAZ"]["blocs"]
    assert {"EU", "EAEU", "CSTO", "OTS", "SCO", "TITR"} <= {b["bloc"] for b in g["blocs"]}
    # blocs work as 'avoid' in compare
    d = client.get("/api/compare", params={"origin": "Xian", "destination": "Duisburg",
                                           "avoid": "EAEU"}).json()
    assert "KAZ" in d["policy"]["avoid_countries"]


def test_avoid_groups_offer_each_set_of_countries_once(client, net):
    m = client.get("/api/meta").json()
    if not m["features"]["geopolitics"]:
        pytest.skip("corridor.geopolitics is not in this version")
    from corridor.network import geopolitics

    groups = m["avoid_groups"]
    members = [frozenset(geopolitics.resolve_countries(g)) for g in groups]
    assert len(set(members)) == len(members), groups  # e.g. not both the bloc EU and the region eu
    assert not [g for g, ms in zip(groups, members, strict=True) if len(ms) == 1 and ms <= set(net.countries)]
    assert "EU" in groups and "eu" not in groups and m["avoid_aliases"]["eu"] == "EU"
    for name, kept in m["avoid_aliases"].items():  # what was left out means the same
        assert geopolitics.resolve_countries(name) == geopolitics.resolve_countries(kept)


def test_scenarios_only_by_bundled_name(client):
    if not client.get("/api/meta").json()["features"]["scenarios"]:
        pytest.skip("corridor.scenarios is not in this version")
    names = [s["name"] for s in client.get("/api/scenarios").json()]
    assert "baseline-2024" in names
    for bad in ("../../etc/passwd", "/etc/passwd", "baseline-2024.yaml", "x" * 300):
        b = _err(client.get("/api/scenarios/run", params={"name": bad}), 422)
        assert "baseline-2024" in b["error"]  # the allowed names are listed
    _err(client.get("/api/scenarios/diff", params={"a": "baseline-2024"}), 422)


# ------------------------------------------------------------------ schemathesis: no 5xx

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402

SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
FAST = SCHEMA.exclude(path_regex="assign|caspian|scenarios/")  # scenario runs: seconds each, tested above
SLOW = SCHEMA.include(path_regex="assign|caspian")
_SETTINGS = dict(deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))


@FAST.parametrize()
@settings(max_examples=25, **_SETTINGS)
def test_schemathesis_no_server_errors(case):
    case.call_and_validate(checks=[not_a_server_error])


@SLOW.parametrize()
@settings(max_examples=4, **_SETTINGS)
def test_schemathesis_no_server_errors_slow_endpoints(case):
    case.call_and_validate(checks=[not_a_server_error])
