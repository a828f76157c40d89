"""The geopolitics and scenario endpoints (the panels beside the corridor map).

Scenario names are checked against the bundled list before the library sees them:
`load_scenario` also takes a file path, and no request may name a path on the server.
"""

# no `from __future__ import annotations`: FastAPI reads the endpoints' annotations, and the
# scenario names' enum is local to the router that uses it

import time
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from .api import once, send
from .errors import ERROR_RESPONSES
from .state import Blob, OnceCache, WebState, dumps

# ------------------------------------------------------------------ geopolitics


def geopolitics_payload() -> dict:
    from ..network import geopolitics as geo

    countries = geo.country_table()
    blocs = geo.bloc_table()
    return {
        "blocs": blocs.to_dict(orient="records"),
        "countries": countries.to_dict(orient="records"),
        "sanctions": list(geo.SANCTIONS),
        "regions": {k: list(v) for k, v in geo.regions().items()},
        "groups": list(geo.group_names()),
    }


def geopolitics_router(st: WebState) -> APIRouter:
    router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)

    @router.get("/geopolitics", summary="Countries by bloc and sanctions status",
                description="The library's country table (corridor.geopolitics): bloc memberships "
                "(EU, EAEU, CSTO, OTS, SCO, TITR), observer seats, sanctions status and sources; the "
                "blocs with their members; the named regions. Any of these names works in `avoid`.")
    def geopolitics(request: Request) -> Response:
        return send(request, st.blob("geopolitics", geopolitics_payload))

    return router


# ------------------------------------------------------------------ scenarios


def _strip_paths(d: dict) -> dict:
    """A run's `chain` lists the scenario files it inherits from: names, not server paths."""
    if "chain" in d:
        d["chain"] = [str(p).replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".yaml") for p in d["chain"]]
    return d


def scenarios_router(st: WebState) -> APIRouter:
    """The bundled scenarios, run and compared on the app's network (the names are the bundled
    list's; no request may name a file)."""
    from ..scenarios.files import list_scenarios

    table = list_scenarios()
    names = [str(n) for n in table["name"]]
    Name = StrEnum("ScenarioName", {n: n for n in names})  # type: ignore[misc]  # members from data
    runs = OnceCache(len(names) + 2)
    diffs = OnceCache(32)
    listing = [{"name": str(r["name"]), "year": None if r["year"] != r["year"] else r["year"],
                "base": r["base"] if isinstance(r["base"], str) else None,
                "description": str(r["description"])} for r in table.to_dict(orient="records")]

    def run(name: str):  # in a model slot (the endpoints below)
        def compute():
            from ..scenarios.run import run_scenario

            t0 = time.perf_counter()
            res = run_scenario(name, network=st.net)
            st.timings[("scenario", name)] = time.perf_counter() - t0
            return res

        return runs.get_or_compute(name, compute)

    st.run_scenario = run  # the status endpoint and the warm-up share the runs kept here

    router = APIRouter(prefix="/api/scenarios", responses=ERROR_RESPONSES)

    @router.get("", summary="The bundled scenarios",
                description="Name, year, base and description of each bundled what-if scenario.")
    def scenarios(request: Request) -> Response:
        return send(request, st.blob("scenarios", lambda: listing))

    @router.get("/run", summary="Run one scenario",
                description="corridor.scenarios.run_scenario on the app's network: the scenario's demand "
                "assigned under its policy and infrastructure (seconds the first time; kept by the app).")
    async def scenario_run(request: Request,
                           name: Annotated[Name, Query(description="A bundled scenario.")]) -> Response:
        return await once(request, diffs, ("run", name.value),
                          lambda: Blob(dumps(_strip_paths(run(name.value).to_dict()))))

    @router.get("/diff", summary="Compare two scenarios",
                description="corridor.scenarios.diff(a, b): corridor shares, volumes, days and cost per TEU, "
                "country volumes and every link whose load changes, largest change first (b minus a).")
    async def scenario_diff(request: Request,
                      a: Annotated[Name, Query(description="The reference scenario.")],
                      b: Annotated[Name, Query(description="The scenario compared with it.")]) -> Response:
        def compute() -> Blob:
            from ..scenarios.diff import diff as diff_scenarios

            ra, rb = run(a.value), run(b.value)
            # every link whose load changes, for the map (gains and losses both); the page's
            # tables name the largest of each
            d = diff_scenarios(ra, rb, top=len(st.net.links)).to_dict()
            d["scenario_a"] = {k: v for k, v in _strip_paths(ra.to_dict()).items()
                               if k in ("scenario", "description", "year", "chain", "method", "totals",
                                        "changes", "caspian")}
            d["scenario_b"] = {k: v for k, v in _strip_paths(rb.to_dict()).items()
                               if k in ("scenario", "description", "year", "chain", "method", "totals",
                                        "changes", "caspian")}
            return Blob(dumps(d))

        return await once(request, diffs, ("diff", a.value, b.value), compute)

    return router
