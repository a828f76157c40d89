"""The Flows panel's endpoints: the assigned demand for the map, and its tables as CSV.

A link carries traffic both ways and each way queues on its own (a ferry's capacity is per
direction), so the map's link rows give each direction's load, capacity and v/c beside the
two-way total, and the over-capacity rows name the binding direction with that direction's
load. The CSV files are the tables `corridor assign --out` writes (FlowResult.outputs).
"""

from __future__ import annotations

import math
import time
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..errors import CorridorError
from ..output import Table
from .api import CALIBRATED, Method, YearQ, once, state
from .errors import ERROR_RESPONSES
from .state import Blob, WebState, dumps

if TYPE_CHECKING:
    import pandas as pd

    from ..assignment.results import FlowResult

TABLES = ("link_flows", "node_flows", "corridors", "over_capacity", "route_flows")
FlowTable = StrEnum("FlowTable", {t: t for t in TABLES})  # type: ignore[misc]  # members from data
MethodQ = Annotated[Method, Query(description="Assignment method (aon: all-or-nothing, ue: user "
                                  "equilibrium, sue: stochastic, where the library has it).")]

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)


WorldQ = Annotated[str | None, Query(
    pattern=r"^(latest|none|\d{4})$", description="The recorded world to assign in: a year (2019-2025) or "
    "'latest' (the default on the bundled network): that year's demand, prices, Red Sea avoidance, Caspian "
    "level and premiums (the scenario world-YYYY). 'none': the network alone with the 2024 demand (the "
    "default on another network, and with a year).")]


def _chosen_world(st: WebState, world: str | None, year: int | None) -> str | None:
    from ..scenarios.recorded import chosen_world  # the scenarios room loads with the first assignment

    return chosen_world(world, bundled=st.bundled, year=year)


def flow_result(st: WebState, method: str, year: int | None, world: str | None = None) -> FlowResult:
    """The library's assignment, once per (method, year, world) and app: in the recorded `world`
    (its network changes, demand and world) or on the app's network with the 2024 demand."""
    def compute() -> Any:
        from ..assignment.freight import assign as assign_demand
        from ..demand import load_demand
        from ..scenarios.apply import apply_scenario

        t0 = time.perf_counter()
        if world is not None:
            a = apply_scenario(world, network=st.net)
            fr = assign_demand(a.network, a.demand, method=method, world=a.world)
        else:
            if st.demand is None:
                st.demand = load_demand()
            fr = assign_demand(st.net, st.demand, method=method, year=year)
        st.timings[("assign", method)] = time.perf_counter() - t0
        return fr

    return st.flow_results.get_or_compute((method, year, world), compute)


def _directions(queues: pd.DataFrame | None) -> dict[str, dict[str, dict]]:
    """Each link's queue per direction: load, capacity, v/c, unit, wait, service."""
    out: dict[str, dict[str, dict]] = {}
    if queues is None or not len(queues):
        return out
    q = queues[queues["kind"] == "link"]
    for row in q.to_dict(orient="records"):
        out.setdefault(str(row["id"]), {})[str(row["direction"])] = {
            "load": row["load"], "capacity": row["capacity"], "v_c": row["v_c"], "unit": row["unit"],
            "wait_hours": row["wait_hours"], "service": row.get("service") or None}
    return out


def _number(x: Any) -> float:
    return float(x) if isinstance(x, int | float) and not math.isnan(x) else -1.0


def flows_payload(fr: FlowResult, method: str, year: int | None, world: str | None,
                  seconds: float | None) -> dict:
    """The map's view of an assignment: loaded links and places, each direction apart."""
    dirs = _directions(fr.queues)
    links = fr.links[fr.links["flow_teu"] > 0.5].round(4).to_dict(orient="records")
    for row in links:
        d = dirs.get(row["link_id"], {})
        row["forward"], row["backward"] = d.get("forward"), d.get("backward")
    summary = fr.to_dict()
    for o in summary["over_90pct"]:  # which way binds: the direction whose queue has this v/c
        d = dirs.get(o["id"], {}) if o["kind"] == "link" else {}
        o["direction"] = max(d, key=lambda k: _number(d[k]["v_c"])) if d else None
    nodes = fr.nodes[fr.nodes["flow_teu"] > 0.5].round(4).to_dict(orient="records")
    return {"method": method, "year": year, "world": world,
            "seconds": None if seconds is None else round(seconds, 3),
            "summary": summary, "links": links, "nodes": nodes,
            "tables": [t for t in TABLES if t != "route_flows" or fr.paths is not None]}


@router.get("/assign", summary="Assigned demand (link load against capacity)",
            description="Calls corridor.assign in a recorded world (default: the latest, world-2025, "
            "with its demand) or on the network alone with the 2024 demand (world=none). Computed "
            "once per (method, year, world) and kept by the app. Each loaded link gives its two-way "
            "TEU and, per direction (forward: from_node_id to to_node_id), the load, capacity and v/c "
            "of its queue.")
async def assign(request: Request, method: MethodQ = CALIBRATED, year: YearQ = None,
                 world: WorldQ = None) -> Response:
    st = state(request)
    wname = _chosen_world(st, world, year)

    def compute() -> Blob:
        t0 = time.perf_counter()
        fresh = st.flow_results.get((method.value, year, wname)) is None
        fr = flow_result(st, method.value, year, wname)
        return Blob(dumps(flows_payload(fr, method.value, year, wname, time.perf_counter() - t0 if fresh else
                                        st.timings.get(("assign", method.value)))))

    return await once(request, st.flows, (method.value, year, wname), compute)


@router.get("/assign/table", summary="A table of the assigned demand as CSV",
            description="The tables `corridor assign --out` writes: link_flows (flow each way, "
            "capacity, the binding queue), node_flows, corridors, over_capacity (the binding queue's "
            "load, per direction for a link) and route_flows (sue only). A CSV download.",
            responses={200: {"content": {"text/csv": {}}}})
async def assign_table(request: Request,
                       name: Annotated[FlowTable, Query(description="Which table.")],
                       method: MethodQ = CALIBRATED, year: YearQ = None, world: WorldQ = None) -> Response:
    st = state(request)
    wname = _chosen_world(st, world, year)

    def compute() -> Blob:
        fr = flow_result(st, method.value, year, wname)
        tables = {t.name: t for t in fr.outputs() if isinstance(t, Table)}
        if name.value not in tables:
            raise CorridorError(f"{method.value} has no {name.value} table (route_flows: sue only)")
        return Blob(tables[name.value].data().to_csv(index=False).encode("utf-8"))

    resp = await once(request, st.flows, ("csv", name.value, method.value, year, wname), compute)
    resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    resp.headers["Content-Disposition"] = (f'attachment; filename="corridor-{name.value}-{method.value}-'
                                           f'{wname or year or "network"}.csv"')
    return resp
