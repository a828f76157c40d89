"""The JSON API: each endpoint parses and bounds its parameters, calls the public library, and
serialises the result (with route lines for the map). No model logic lives here.

The choices offered (objectives, modes, methods, ...) are the library's vocabulary; the models
an endpoint calls are imported when it is first asked, not when the app starts.
"""

from __future__ import annotations

import json
import time
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .. import __version__
from ..bounds import BOUNDS
from ..datafiles import bundled_data_dir
from ..errors import CorridorError
from ..network.names import normalize_name
from ..vocabulary import (
    AVOIDABLE_MODES,
    DEFAULT_METHOD,
    DISTINCT,
    MAX_VIA,
    METHODS,
    NODE_KINDS,
    OBJECTIVES,
    PASSAGES,
    YEARS,
)
from . import palette
from .assets import label_fonts
from .errors import ERROR_RESPONSES, UnknownSourceError
from .state import Blob, OnceCache, Slots, WebState, dumps

MAX_K = 10  # k=10 costs about a second of CPU, k=20 three or four (uncached)
MAX_NAME = 100  # characters in a place name, source id or commodity
MAX_LIST = 200  # characters in a comma list (countries, modes, passages)

Objective = StrEnum("Objective", {o: o for o in OBJECTIVES})  # type: ignore[misc]  # members from data
Kind = StrEnum("Kind", {k: k for k in NODE_KINDS})  # type: ignore[misc]  # members from data
Method = StrEnum("Method", {m: m for m in METHODS})  # type: ignore[misc]  # members from data
Distinct = StrEnum("Distinct", {d: d for d in DISTINCT})  # type: ignore[misc]  # members from data

GENERALIZED = Objective("generalized")
BY_GATEWAYS = Distinct("gateways")
CALIBRATED = Method(DEFAULT_METHOD)


PlaceQ = Annotated[str, Query(min_length=1, max_length=MAX_NAME,
                              description="Place name, alias or node id (e.g. Xian, Duisburg).")]
AvoidQ = Annotated[str | None, Query(max_length=MAX_LIST, description="Countries to avoid, comma-separated "
                                     "ISO3 codes, e.g. RUS,BLR: no land transit and no call there. Where "
                                     "the library knows them, blocs (EAEU), 'sanctioned' and regions too.")]
AvoidModeQ = Annotated[str | None, Query(max_length=MAX_LIST, description="Modes to avoid, e.g. road.")]
AvoidPassageQ = Annotated[str | None, Query(max_length=MAX_LIST, description="Sea passages to avoid, "
                                            "e.g. suez,babalmandab.")]
YearQ = Annotated[int | None, Query(ge=YEARS[0], le=YEARS[1], description="Open planned links due by "
                                    "this year (default: today's network).")]
CommodityQ = Annotated[str, Query(min_length=1, max_length=40, description="Value-of-time class for "
                                  "the generalized objective (container, general, bulk).")]
ObjectiveQ = Annotated[Objective, Query(description="What 'best' means.")]
ViaItem = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)]

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)


def state(request: Request) -> WebState:
    return request.app.state.corridor


def send(request: Request, blob: Blob, media_type: str = "application/json") -> Response:
    """The cached body, gzipped when it is big and the client takes gzip."""
    if blob.gz is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(blob.gz, media_type=media_type,
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(blob.raw, media_type=media_type)


async def cached(request: Request, key: tuple, compute, slots: Slots | None = None, *,
                 on_loop: bool = False) -> Response:
    """Answer from the app's LRU, else compute and remember it: off the event loop, in one of
    `slots` when given (a cached answer never waits for them), or with `on_loop` on the loop itself.

    On the loop is for a question of a few milliseconds of Python (a comparison). In a worker thread it
    holds the GIL all the same, and the thread and the loop then hand the GIL to each other at every
    step: at 20 concurrent first-time comparisons that cost 3.5 ms of server CPU a request against
    2.6 on the loop, and answers came back out of turn (p99 261 ms against 135; medians of seven
    alternating runs of benchmarks/web.py's cache-off phase on one loaded machine). Meanwhile a
    cached answer waits for at most the one comparison being computed."""
    st = state(request)
    hit: Blob | None = st.results.get(key)
    if hit is not None:
        return send(request, hit)

    def work() -> Blob:
        return Blob(dumps(compute(st)), compress=False)

    if on_loop:
        blob = work()
    else:
        blob = await (slots.run(work) if slots is not None else run_in_threadpool(work))
    st.results.put(key, blob)
    return send(request, blob)


async def once(request: Request, cache: OnceCache, key, compute) -> Response:
    """A slow model run (assignment, Caspian, scenario), kept in `cache`; computed in one of
    the app's model slots, once however many requests ask for it at the same time."""
    st = state(request)
    blob = cache.get(key)
    if blob is None:
        blob = await st.models.run(lambda: cache.get_or_compute(key, compute))
    return send(request, blob)


# ------------------------------------------------------------------ reference data


def _country_names() -> dict[str, str]:
    path = bundled_data_dir() / "countries.geojson"
    feats = json.loads(path.read_text(encoding="utf-8"))["features"] if path.exists() else []
    return {f["properties"].get("iso3"): f["properties"].get("name") for f in feats}


# the page's panels; every one is always there (kept in /api/meta for pages that ask)
FEATURES = {"assign": True, "caspian": True, "scenarios": True, "geopolitics": True}


def _distinct_groups(geo, names: list[str], countries) -> tuple[list[str], dict[str, str]]:
    """The groups worth a checkbox of their own, and what each left-out group means instead.

    A group with the same members as an earlier one (the region 'eu' and the bloc 'EU') or as
    one country of the network (the region 'iran' and IRN) would be a second box for the same
    thing, and ticking one would not tick the other. The left-out names map to the kept value,
    so an old link naming them still ticks the right box.
    """
    kept: list[str] = []
    seen: dict[frozenset, str] = {frozenset([c]): c for c in countries}
    aliases: dict[str, str] = {}
    for g in names:
        members = frozenset(geo.resolve_countries(g))
        if members in seen:
            aliases[g] = seen[members]
        else:
            seen[members] = g
            kept.append(g)
    return kept, aliases


def _meta(st: WebState) -> dict:
    from ..caspian.config import baseline_config
    from ..network import geopolitics as geo
    from ..network.families import OTHER, family_table
    from ..scenarios.recorded import recorded_years

    net = st.net
    names = _country_names()
    groups: list[str] = []
    aliases: dict[str, str] = {}
    try:
        names.update(dict(zip(geo.country_table()["iso3"], geo.country_table()["name"], strict=True)))
        groups, aliases = _distinct_groups(geo, list(geo.group_names()), net.countries)
    except CorridorError:  # a network without the country tables: codes only
        pass
    comm = [] if net.commodities is None else [str(c) for c in net.commodities["commodity"]]
    cfg = baseline_config()
    colours = palette.corridor_colours([*(f.name for f in family_table()), OTHER])
    return {
        "name": net.name, "version": __version__,
        "nodes": len(net.nodes), "links": len(net.links),
        "families": [{"id": f.name, "color": colours[f.name], "description": f.description}
                     for f in family_table()] + [{"id": OTHER, "color": colours[OTHER],
                                            "description": "none of the five families (e.g. a direct "
                                            "regional route)"}],
        "objectives": list(OBJECTIVES),
        "modes": list(AVOIDABLE_MODES),
        "passages": list(PASSAGES),
        "countries": sorted(({"iso3": c, "name": names.get(c) or c} for c in net.countries),
                            key=lambda c: c["name"]),
        "avoid_groups": groups,
        "avoid_aliases": aliases,
        "commodities": comm,
        "years": list(YEARS),
        "recorded_years": list(recorded_years()),
        "default_world": "latest" if st.bundled else "none",
        "methods": list(METHODS), "default_method": DEFAULT_METHOD,
        "limits": {"k_max": MAX_K, "via_max": MAX_VIA, "name_chars": MAX_NAME, "list_chars": MAX_LIST},
        "caspian": {"ports": [p.name for p in cfg.ports],
                    "vessel_classes": [{"name": v.name, "kind": v.kind, "service": v.service,
                                        "count": v.count} for v in cfg.vessels],
                    "vessel_kinds": sorted({v.kind for v in cfg.vessels})},
        "features": FEATURES,
        "fonts": label_fonts(),
        "palette": palette.payload(),
    }


@router.get("/meta", summary="What the app offers",
            description="Families with their colours, objectives, modes, passages, the network's "
            "countries, limits, and which optional panels (scenarios, geopolitics) exist.")
def meta(request: Request) -> Response:
    return send(request, state(request).blob("meta", lambda: _meta(state(request))))


@router.get("/status", summary="What the app has computed so far",
            description="The assignments (method, year, world) and scenario runs the app keeps, and how "
            "long the last first run of each took in seconds: what the page's loading notes say.")
def status(request: Request) -> Response:
    st = state(request)
    timings = dict(st.timings)
    scen = [(k[1], v) for k, v in timings.items() if isinstance(k, tuple) and k[0] == "scenario"]
    kept = [list(k) for k in st.flows.cached_keys() if isinstance(k, tuple) and len(k) == 3]
    body = {
        "assign": {"computed": kept,
                   "seconds": {k[1]: round(v, 1) for k, v in timings.items()
                               if isinstance(k, tuple) and k[0] == "assign"}},
        "scenarios": {"computed": [n for n, _ in scen], "seconds": round(scen[-1][1], 1) if scen else None},
    }
    return Response(dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/places", summary="Search places by prefix",
            description="Places you can name as origin, destination or via. Names starting with the "
            "query come first, then names or aliases containing it. An empty result carries "
            "'did you mean' suggestions.")
async def places(
    request: Request,
    q: Annotated[str | None, Query(max_length=MAX_NAME, description="Start of a name or alias.")] = None,
    kind: Annotated[Kind | None, Query(description="Only places of this kind.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many places.")] = 20,
) -> Response:
    if q and not normalize_name(q):
        # names match without punctuation, so such a query would match every place
        raise RequestValidationError([{
            "type": "value_error", "loc": ("query", "q"), "input": q,
            "msg": "has no Latin letter or digit to search for (place names are matched in Latin letters, "
            "ignoring punctuation)"}])

    def compute(st: WebState) -> dict:
        df = st.net.places(q, kind=None if kind is None else kind.value)
        key = normalize_name(q or "")
        if key:
            later = ~df["name"].map(normalize_name).str.startswith(key)
            df = df.assign(_later=later).sort_values(["_later", "name"], kind="stable").drop(columns="_later")
        rows = df.head(limit).to_dict(orient="records")
        return {"query": q, "count": int(len(df)), "places": rows,
                "suggestions": st.net.suggest(q) if q and df.empty else []}

    return await cached(request, ("places", q, kind, limit), compute)


# ------------------------------------------------------------------ questions


def _avoid_modes(spec: str | None) -> str | None:
    """Reject a mode /api/meta does not offer (unknown, or 'transfer', which the library
    would take but which only makes every transshipment impossible)."""
    if spec is None:
        return None
    bad = [m for m in (x.strip().lower() for x in spec.split(",")) if m and m not in AVOIDABLE_MODES]
    if bad:
        raise CorridorError(f"unknown mode {', '.join(dict.fromkeys(bad))} in avoid_mode; the modes "
                            f"that can be avoided: {', '.join(AVOIDABLE_MODES)}")
    return spec


def _with_lines(st: WebState, d: dict, routes) -> dict:
    for r in routes:
        r["geometry"] = st.lines.route(r)
    return d


@router.get("/compare", summary="Best route of each corridor family",
            description="Calls corridor.compare: the best northern, middle, southern, suez and cape "
            "route under the policy (a family with none says why), plus the best of all. Each route "
            "carries its legs, sources and a GeoJSON line.")
async def compare(
    request: Request,
    origin: PlaceQ,
    destination: PlaceQ,
    objective: ObjectiveQ = GENERALIZED,
    avoid: AvoidQ = None,
    avoid_mode: AvoidModeQ = None,
    avoid_passage: AvoidPassageQ = None,
    year: YearQ = None,
    commodity: CommodityQ = "container",
) -> Response:
    _avoid_modes(avoid_mode)

    def compute(st: WebState) -> dict:
        from ..routing.comparison import compare as compare_routes

        res = compare_routes(st.net, origin, destination, objective=objective.value, commodity=commodity,
                             world=st.world(avoid, avoid_mode, avoid_passage, year))
        d = res.to_dict()
        ok = [c for c in d["corridors"] if c.get("feasible")]
        if res.overall is not None:
            d["overall"] = res.overall.to_dict()
            ok.append(d["overall"])
        d["feasible"] = sum(1 for c in d["corridors"] if c.get("feasible"))
        st.compared = True
        return _with_lines(st, d, ok)

    # the app's first comparison imports the routing library and builds the world's arrays (about a
    # second): in a query slot, so the loop keeps serving meanwhile; later ones on the loop
    st = state(request)
    key = ("compare", origin, destination, objective, avoid, avoid_mode, avoid_passage, year, commodity)
    return await cached(request, key, compute, st.queries, on_loop=st.compared)


@router.get("/route", summary="The k best distinct routes",
            description="Calls corridor.route: up to k routes under the policy, best first, through the "
            "via places in order. 404 NoRouteError when none exists.")
async def route(
    request: Request,
    origin: PlaceQ,
    destination: PlaceQ,
    avoid: AvoidQ = None,
    avoid_mode: AvoidModeQ = None,
    avoid_passage: AvoidPassageQ = None,
    via: Annotated[list[ViaItem] | None, Query(max_length=MAX_VIA, description="Pass through these "
                                               f"places, in order (at most {MAX_VIA}).")] = None,
    k: Annotated[int, Query(ge=1, le=MAX_K, description=f"Number of routes (1-{MAX_K}).")] = 3,
    objective: ObjectiveQ = GENERALIZED,
    year: YearQ = None,
    commodity: CommodityQ = "container",
    distinct: Annotated[Distinct, Query(description="gateways: routes differ in border crossings, ports, "
                                        "transshipments or modes; paths: Yen's k shortest paths.")]
    = BY_GATEWAYS,
    max_overlap: Annotated[float, Query(ge=0.0, le=1.0, allow_inf_nan=False, description="Skip routes "
                                        "sharing more than this share of their length with a better one.")]
    = 1.0,
) -> Response:
    via_t = tuple(via or ())
    _avoid_modes(avoid_mode)

    def compute(st: WebState) -> dict:
        from ..routing.itineraries import route as best_routes

        rs = best_routes(st.net, origin, destination, via=list(via_t), k=k, objective=objective.value,
                         commodity=commodity, distinct=distinct.value, max_overlap=max_overlap,
                         world=st.world(avoid, avoid_mode, avoid_passage, year))
        d = rs.to_dict()
        d["requested_k"] = k
        if len(rs.routes) < k:
            d["notice"] = f"only {len(rs.routes)} distinct route(s) found"
        return _with_lines(st, d, d["routes"])

    key = ("route", origin, destination, avoid, avoid_mode, avoid_passage, via_t, k, objective, year,
           commodity, distinct, max_overlap)
    return await cached(request, key, compute, state(request).queries)


# ------------------------------------------------------------------ the network and its sources


@router.get("/network", summary="The network as GeoJSON",
            description="Nodes (Points) and links (LineStrings) with every attribute: mode, status, "
            "opening year, capacity, costs and the source ids behind each number.",
            responses={200: {"content": {"application/geo+json": {}}}})
def network(request: Request) -> Response:
    from ..network.export import network_to_geojson

    st = state(request)
    return send(request, st.blob("network", lambda: network_to_geojson(st.net)), "application/geo+json")


@router.get("/basemap", summary="Country outlines for the offline basemap",
            description="The bundled Natural Earth 1:110m admin-0 countries (public domain).",
            responses={200: {"content": {"application/geo+json": {}}}})
def basemap(request: Request) -> Response:
    def build() -> dict:
        path = bundled_data_dir() / "countries.geojson"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else \
            {"type": "FeatureCollection", "features": []}

    return send(request, state(request).blob("basemap", build), "application/geo+json")


@router.get("/sources", summary="Sources behind the numbers",
            description="Title, publisher, URL and date of each source; filter by part of an id or title.")
async def sources(
    request: Request,
    q: Annotated[str | None, Query(max_length=MAX_NAME, description="Part of a source id or title.")] = None,
) -> Response:
    def compute(st: WebState) -> list:
        return st.net.find_sources(q).to_dict(orient="records")

    return await cached(request, ("sources", q), compute)


@router.get("/sources/{source_id}", summary="One source",
            description="The source with this id (404 with close ids when there is none).")
async def source(
    request: Request,
    source_id: Annotated[str, Path(min_length=1, max_length=MAX_NAME)],
) -> Response:
    def compute(st: WebState) -> dict:
        ids = st.net.find_sources()["source_id"].tolist()  # no sources.csv: the error /api/sources gives
        hit = st.net.source(source_id)
        if hit is None:
            import difflib

            close = difflib.get_close_matches(source_id, ids, n=5, cutoff=0.5)
            raise UnknownSourceError(source_id, close)
        return hit

    return await cached(request, ("source", source_id), compute)


# ------------------------------------------------------------------ Caspian

Name = Annotated[str, StringConstraints(min_length=1, max_length=40)]

WEB_DAYS, WEB_REPLICATIONS = 730, 200  # what one request may simulate (the CLI may ask for more)


class CaspianRequest(BaseModel):
    """A Caspian crossing scenario: sea level, fleet and port changes, run length.

    The values take their ranges from `corridor.bounds` (as the CLI and scenario files do); days and
    replications are held to what one web request may cost (`WEB_DAYS`, `WEB_REPLICATIONS`), less
    than the command line's budget.
    """

    # strict: `true` is not a number of replications, nor "3" or 3.0 a number of days
    model_config = ConfigDict(extra="forbid", strict=True)

    sea_level: float = Field(0.0, **BOUNDS["sea_level_change_m"].field(),
                             description="Metres relative to the data's 2025 reference level, e.g. -1.0.")
    level_m: float | None = Field(None, **BOUNDS["sea_level_m"].field(),
                                  description="Or: the sea level in metres on the Baltic datum, e.g. -30.35.")
    vessels_add: dict[Name, Annotated[int, Field(**BOUNDS["vessels_change"].field())]] = Field(
        default_factory=dict, max_length=12,
        description="Vessels added (or removed) per class or kind, e.g. {\"rail_ferry\": 4}.")
    deepen: dict[Name, Annotated[float, Field(**BOUNDS["deepen_m"].field())]] = Field(
        default_factory=dict, max_length=8, description="Dredging in metres per port, e.g. {\"Kuryk\": 1}.")
    berths_add: dict[Name, dict[Name, Annotated[int, Field(**BOUNDS["berths_change"].field())]]] = Field(
        default_factory=dict, max_length=8,
        description="Extra berths per port and vessel kind, e.g. {\"Aktau\": {\"container\": 1}}.")
    days: int = Field(365, ge=30, le=WEB_DAYS, description="Simulated days.")
    replications: int = Field(50, ge=1, le=WEB_REPLICATIONS, description="Independent simulated years.")
    seed: int = Field(0, **BOUNDS["seed"].field(), description="Random seed (same seed, same answer).")


@router.post("/caspian/simulate", summary="Simulate the Caspian ferry and feeder queues",
             description="Calls corridor.caspian.simulate on the 2024 baseline with the given sea level, "
             "fleet and port changes: mean and p90 waits and throughput per port, vessel use.")
async def caspian_simulate(request: Request, body: CaspianRequest) -> Response:
    st = state(request)
    if sum(len(v) for v in body.berths_add.values()) > 24:
        raise CorridorError("at most 24 berth changes")

    def compute() -> Blob:
        from ..caspian.config import baseline_config
        from ..caspian.simulate import simulate

        if body.level_m is not None and body.sea_level:
            raise CorridorError("give the sea level once: level_m (Baltic datum) or sea_level (a change)")
        cfg = baseline_config(sea_level=body.sea_level, vessels_add=dict(body.vessels_add))
        if body.level_m is not None:
            cfg = cfg.with_level(body.level_m)
        if body.deepen or body.berths_add:
            cfg = cfg.with_ports(deepen=dict(body.deepen),
                                 berths_add={p: dict(k) for p, k in body.berths_add.items()})
        t0 = time.perf_counter()
        res = simulate(cfg, days=body.days, replications=body.replications, seed=body.seed)
        return Blob(dumps({**body.model_dump(), "seconds": round(time.perf_counter() - t0, 3),
                           **res.summary()}))

    return await once(request, st.caspian, body.model_dump_json(), compute)
