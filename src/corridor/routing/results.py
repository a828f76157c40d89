"""Routes as results: legs with their costs, totals that are the sum of the legs.

`build_route` turns the edge sequence of a search on the compiled graph into
legs (links, border dwell, transshipments) and the facts a user asks about:
countries in order, border crossings, gateways and the sources behind the numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, partial

import numpy as np
import pandas as pd

from ..errors import CorridorError
from ..folders import Writable
from ..network.emissions import TONNES_PER_TEU
from ..network.families import classify
from ..network.graph import LINK, TRANSIT, TRANSSHIP, CompiledGraph
from ..network.policy import Policy
from ..network.tables import Network
from ..output import Document, Output, Table


@dataclass(frozen=True)
class Leg:
    """One step of a route: a link, or a stop at a node (border dwell or transshipment)."""

    from_id: str
    to_id: str
    from_name: str
    to_name: str
    mode: str  # rail, road, ferry, sea, transfer (dwell/transship at a node)
    km: float
    hours: float
    usd: float
    co2_kg: float
    kind: str  # link, dwell, transship
    link_id: str | None = None
    gauge: int | None = None
    from_country: str = ""
    to_country: str = ""
    detail: str = ""
    # ISO 14083: co2_kg is well-to-wheel; its tank-to-wheel part (NaN when the figure has none),
    # the emission factor and the sources behind it
    co2e_ttw_kg: float = float("nan")
    co2e_factor: str = ""
    co2e_sources: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """The fields in their order, the names as `from` and `to` after them, then the per-tonne
        figures. Spelled out, not `dataclasses.asdict`: that deep-copies every field and cost most
        of a web comparison's time (a comparison has some 200 legs)."""
        return {
            "from_id": self.from_id, "to_id": self.to_id, "mode": self.mode, "km": self.km,
            "hours": self.hours, "usd": self.usd, "co2_kg": self.co2_kg, "kind": self.kind,
            "link_id": self.link_id, "gauge": self.gauge, "from_country": self.from_country,
            "to_country": self.to_country, "detail": self.detail, "co2e_ttw_kg": self.co2e_ttw_kg,
            "co2e_factor": self.co2e_factor, "co2e_sources": list(self.co2e_sources),
            "from": self.from_name, "to": self.to_name, "co2e_wtw_kg": self.co2_kg,
            "co2e_wtw_kg_per_t": self.co2_kg / TONNES_PER_TEU,
            "co2e_ttw_kg_per_t": self.co2e_ttw_kg / TONNES_PER_TEU,
        }


@dataclass(frozen=True)
class Route(Writable):
    """A route with its totals; every total is the sum of its legs."""

    origin: str
    destination: str
    corridor: str
    objective: str
    objective_value: float
    legs: tuple[Leg, ...]
    nodes: tuple[str, ...]
    countries: tuple[str, ...]
    borders: int
    transshipments: int
    sources: tuple[str, ...] = ()
    gateways: tuple[str, ...] = ()  # node ids of border crossings, ports and transshipments
    gateway_names: tuple[str, ...] = ()
    # compiled-graph edges in order: what an assignment loads (not part of equality)
    edges: tuple[int, ...] = field(default=(), compare=False, repr=False)
    # sanctioned countries the route enters (transit or a call), in order: the exposure a shipper,
    # its bank and insurer weigh (country.csv's sanctions status)
    sanctioned: tuple[str, ...] = ()

    # the totals are summed once per route (the legs are a tuple of frozen legs): a comparison reads
    # each several times (its summary, twice for the best route, and whether it is a detour)

    @cached_property
    def hours(self) -> float:
        return float(sum(leg.hours for leg in self.legs))

    @property
    def days(self) -> float:
        return self.hours / 24.0

    @cached_property
    def usd_per_teu(self) -> float:
        return float(sum(leg.usd for leg in self.legs))

    @cached_property
    def co2_kg_per_teu(self) -> float:
        return float(sum(leg.co2_kg for leg in self.legs))

    @cached_property
    def co2e_ttw_kg_per_teu(self) -> float:
        """Tank-to-wheel kg CO2e (NaN if a leg's figure has no TTW part)."""
        return float(sum(leg.co2e_ttw_kg for leg in self.legs))

    @cached_property
    def km(self) -> float:
        return float(sum(leg.km for leg in self.legs))

    @cached_property
    def link_ids(self) -> tuple[str, ...]:
        return tuple(leg.link_id for leg in self.legs if leg.link_id)

    def summary(self) -> dict:
        return {
            "corridor": self.corridor,
            "origin": self.origin,
            "destination": self.destination,
            "days": round(self.days, 2),
            "hours": round(self.hours, 1),
            "usd_per_teu": round(self.usd_per_teu, 0),
            "co2_kg_per_teu": round(self.co2_kg_per_teu, 1),
            "co2e_wtw_kg_per_teu": round(self.co2_kg_per_teu, 1),
            "co2e_ttw_kg_per_teu": round(self.co2e_ttw_kg_per_teu, 1),
            "co2e_wtw_kg_per_t": round(self.co2_kg_per_teu / TONNES_PER_TEU, 2),
            "km": round(self.km, 0),
            "borders": self.borders,
            "transshipments": self.transshipments,
            "countries": list(self.countries),
            "sanctioned": list(self.sanctioned),
            "via": list(self.gateway_names),
            "objective": self.objective,
            "objective_value": round(self.objective_value, 2),
        }

    def to_dict(self) -> dict:
        d = self.summary()
        d["legs"] = [leg.to_dict() for leg in self.legs]
        d["nodes"] = list(self.nodes)
        d["sources"] = list(self.sources)
        return d

    def to_frame(self) -> pd.DataFrame:
        """One row per leg."""
        return pd.DataFrame([leg.to_dict() for leg in self.legs])

    def geo_frame(self, net: Network) -> pd.DataFrame:
        """The legs (`to_frame`) with a shapely `geometry`: a link's LineString in the direction
        travelled, a stop's Point (lon/lat, EPSG:4326). For GIS work without a server:
        `geopandas.GeoDataFrame(route.geo_frame(net), crs="EPSG:4326")`."""
        import shapely

        df = self.to_frame()
        df["geometry"] = [shapely.linestrings(p) if len(p) > 1 else shapely.points(p[0]) if p else None
                          for p in leg_shapes(net, self.legs)]
        return df

    def outputs(self, net: Network | None = None) -> list[Output]:
        """What `write` writes: the route as JSON and its legs (with their shapes when `net` is given)."""
        shapes = None if net is None else partial(leg_shapes, net, self.legs)
        return [Document("route.json", self.to_dict), Table("legs", self.to_frame, geometry=shapes)]


@dataclass(frozen=True)
class RouteSet(Writable):
    """The k best routes between two places under one policy."""

    origin: str
    destination: str
    objective: str
    policy: Policy
    routes: tuple[Route, ...]
    via: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "origin": self.origin,
            "destination": self.destination,
            "objective": self.objective,
            "policy": self.policy.to_dict(),
            "via": list(self.via),
            "routes": [r.to_dict() for r in self.routes],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per route."""
        return pd.DataFrame([{"rank": rank, **flat_summary(r)} for rank, r in enumerate(self.routes, 1)])

    def legs_frame(self) -> pd.DataFrame:
        """One row per leg of every route, with the route's rank."""
        return routes_legs_frame([("rank", i, r) for i, r in enumerate(self.routes, 1)])

    def outputs(self, net: Network | None = None) -> list[Output]:
        """What `write` writes: the routes as JSON, one row per route and one per leg (with their
        shapes when `net` is given)."""
        routes = legs = None
        if net is not None:
            routes = partial(routes_shapes, net, self.routes)
            legs = partial(routes_leg_shapes, net, self.routes)
        return [Document("routes.json", self.to_dict),
                Table("routes", self.to_frame, geometry=routes),
                Table("legs", self.legs_frame, geometry=legs)]


def flat_summary(route: Route) -> dict:
    """A route's summary as one table row: the lists joined (countries with '-', gateways with ' > ')."""
    s = route.summary()
    for k, v in s.items():
        if isinstance(v, list):
            s[k] = {"countries": "-", "via": " > "}.get(k, ";").join(map(str, v))
    return s


def routes_legs_frame(routes: Sequence[tuple[str, object, Route]]) -> pd.DataFrame:
    """The legs of several routes, each row led by its route's key (a rank, a corridor)."""
    rows = [{key: value, "leg": j, **leg.to_dict()}
            for key, value, r in routes for j, leg in enumerate(r.legs, 1)]
    return pd.DataFrame(rows)


def leg_shapes(net: Network, legs: Sequence[Leg]) -> list[list[tuple[float, float]]]:
    """Each leg's points in the direction it is travelled: a link's shape, a stop's node."""
    out = []
    for leg in legs:
        if leg.link_id is not None and leg.link_id in net.link_index:
            i = net.link_index[leg.link_id]
            pts = net.link_coords(i)
            out.append(pts[::-1] if net.links["from_node_id"].iat[i] != leg.from_id else pts)
        elif leg.from_id in net.node_index:
            node = net.nodes.iloc[net.node_index[leg.from_id]]
            out.append([(float(node["lon"]), float(node["lat"]))])
        else:
            out.append([])
    return out


def route_shape(net: Network, route: Route) -> list[tuple[float, float]]:
    """A route's points from origin to destination (its link legs' shapes joined)."""
    pts: list[tuple[float, float]] = []
    for leg, shape in zip(route.legs, leg_shapes(net, route.legs), strict=True):
        if leg.kind == "link":
            pts += shape[1:] if pts and shape and tuple(pts[-1]) == tuple(shape[0]) else shape
    return pts


def routes_shapes(net: Network, routes: Iterable[Route | None]) -> list[list[tuple[float, float]]]:
    """Each route's points (`route_shape`); none for a missing route."""
    return [[] if r is None else route_shape(net, r) for r in routes]


def routes_leg_shapes(net: Network, routes: Iterable[Route | None]) -> list[list[tuple[float, float]]]:
    """The points of every leg of the routes given (`leg_shapes`), route after route."""
    return [p for r in routes if r is not None for p in leg_shapes(net, r.legs)]


def _fmt_class(mode: str, gauge: float) -> str:
    return f"{mode} {int(gauge)}" if mode == "rail" and pd.notna(gauge) else mode


# A leg's fields in `Leg`'s order, around the question's hours and USD: from and to (ids, names), mode, km;
# then a link's CO2, kind, link id, gauge, countries, name, tank-to-wheel CO2, factor and sources; or a
# stop's CO2, kind, no link or gauge, countries, then (after its detail) its tank-to-wheel CO2, factor and
# sources.
_Ends = tuple[str, str, str, str, str, float]
_LinkTail = tuple[float, str, str, int | None, str, str, str, float, str, tuple[str, ...]]
_StopMid = tuple[float, str, None, None, str, str]
_StopTail = tuple[float, str, tuple[str, ...]]


class _Columns:
    """A network's per-edge, per-link and per-node columns as Python lists, and each edge's fixed leg
    fields (all but its hours and USD, which are the question's), made once per network: a route is
    built from them without a NumPy scalar or a source string parsed per leg."""

    def __init__(self, net: Network) -> None:
        g: CompiledGraph = net.graph
        arr = net.arrays
        self.kind: list[int] = g.kind.tolist()
        self.link: list[int] = g.link.tolist()
        self.node: list[int] = g.node.tolist()
        self.to_node: list[int] = g.to_node.tolist()
        self.node_id, self.node_name = list(arr["node_id"]), list(arr["node_name"])
        self.country, self.node_kind = list(arr["node_country"]), list(arr["node_kind"])
        self.mode, self.gauge = list(arr["link_mode"]), list(arr["link_gauge"])
        self._arr, self._g = arr, g
        self._link_leg: dict[int, tuple[_Ends, _LinkTail]] = {}
        self._stop_leg: dict[int, tuple[_Ends, _StopMid, _StopTail]] = {}

    def link_leg(self, e: int) -> tuple[_Ends, _LinkTail]:
        """A link edge's leg fields before its hours and after its USD."""
        if e not in self._link_leg:
            g, arr, ids, names, country = self._g, self._arr, self.node_id, self.node_name, self.country
            li = self.link[e]
            a, b = int(g.from_node[e]), int(g.to_node[e])
            gauge = self.gauge[li]
            self._link_leg[e] = (
                (ids[a], ids[b], names[a], names[b], self.mode[li], float(g.km[e])),
                (float(g.co2[e]), "link", str(arr["link_id"][li]), None if np.isnan(gauge) else int(gauge),
                 country[a], country[b], str(arr["link_name"][li] or ""), float(g.co2_ttw[e]),
                 str(arr["link_co2_factor"][li]), _ids(arr["link_co2_source"][li])))
        return self._link_leg[e]

    def stop_leg(self, e: int) -> tuple[_Ends, _StopMid, _StopTail]:
        """A dwell or transshipment edge's leg fields: before its hours, between its USD and its
        detail, and after the detail."""
        if e not in self._stop_leg:
            g, arr = self._g, self._arr
            v = self.node[e]
            hub = self.kind[e] == TRANSSHIP  # a transshipment emits its hub's handling; a dwell nothing
            nid, name, c = self.node_id[v], self.node_name[v], self.country[v]
            self._stop_leg[e] = (
                (nid, nid, name, name, "transfer", 0.0),
                (float(g.co2[e]), "transship" if hub else "dwell", None, None, c, c),
                (float(g.co2_ttw[e]), str(arr["node_hub_factor"][v]) if hub else "",
                 _ids(arr["node_hub_source"][v]) if hub else ()))
        return self._stop_leg[e]


def _columns(net: Network) -> _Columns:
    cols = net.cache.get("routing.results.columns")
    if cols is None:
        cols = net.cache["routing.results.columns"] = _Columns(net)
    return cols


@dataclass(frozen=True)
class RouteOutline:
    """What a choice set keeps of a route (`route_outline`): the facts `build_route` gives it,
    without its legs and sources."""

    corridor: str
    countries: tuple[str, ...]
    gateways: tuple[str, ...]
    gateway_names: tuple[str, ...]
    sanctioned: tuple[str, ...]


def _walk(cols: _Columns, edges: list[int], origin: int) -> tuple[list[int], list[int], set[int]]:
    """The places a route passes (the origin, then each link's far end), its links and the places
    where it transships."""
    kind, link, to_node, node = cols.kind, cols.link, cols.to_node, cols.node
    visited, used, ts = [origin], [], set()
    for e in edges:
        k = kind[e]
        if k == LINK:
            used.append(link[e])
            visited.append(to_node[e])
        elif k == TRANSSHIP:
            ts.add(node[e])
    return visited, used, ts


def _places(net: Network, cols: _Columns, visited: list[int], used: list[int],
            ts: set[int]) -> RouteOutline:
    country = cols.country
    countries = [country[v] for v in visited]
    countries = [c for i, c in enumerate(countries) if i == 0 or c != countries[i - 1]]
    gw = _gateway_nodes(cols, visited, ts)
    bad = sanctioned_countries()
    return RouteOutline(classify(net, np.array(used, dtype=np.int64)), tuple(countries),
                        tuple(cols.node_id[v] for v in gw), tuple(cols.node_name[v] for v in gw),
                        tuple(c for c in countries if c in bad))


def route_outline(net: Network, edges: Sequence[int] | np.ndarray, *, origin: int) -> RouteOutline:
    """The corridor, countries, gateways and sanctioned countries `build_route` gives the route of
    these compiled edges from `origin` (the same values), without building its legs."""
    cols = _columns(net)
    visited, used, ts = _walk(cols, [int(e) for e in edges if e >= 0], origin)
    return _places(net, cols, visited, used, ts)


def build_route(net: Network, edges: Sequence[int] | np.ndarray, *, objective: str, value: float,
                origin: int, destination: int, hours: np.ndarray | None = None,
                usd: np.ndarray | None = None) -> Route:
    """Turn base-edge ids of a search into legs and totals, priced by `hours` and `usd` per edge (the
    question's world: waits met today, the world's terms; default: the network's own figures)."""
    g: CompiledGraph = net.graph
    hours = g.hours if hours is None else hours
    usd = g.usd if usd is None else usd
    cols = _columns(net)
    kind, link = cols.kind, cols.link
    edges = [int(e) for e in edges if e >= 0]
    at = np.asarray(edges, dtype=np.int64)
    h, u = np.asarray(hours)[at].tolist(), np.asarray(usd)[at].tolist()
    legs: list[Leg] = []
    for j, e in enumerate(edges):
        k = kind[e]
        if k == LINK:
            ends, tail = cols.link_leg(e)
            legs.append(Leg(*(ends + (h[j], u[j]) + tail)))
        elif k in (TRANSIT, TRANSSHIP):
            if k == TRANSIT and h[j] == 0 and u[j] == 0:
                continue
            at_stop, mid, rest = cols.stop_leg(e)
            detail = "border/dwell"
            if k == TRANSSHIP:
                before = _prev_link(link, edges, j)
                after = _next_link(link, edges, j)
                fr = _fmt_class(cols.mode[before], cols.gauge[before])
                to = _fmt_class(cols.mode[after], cols.gauge[after])
                detail = f"transship {fr} -> {to}"
            legs.append(Leg(*(at_stop + (h[j], u[j]) + mid + (detail,) + rest)))
    visited, used_links, ts = _walk(cols, edges, origin)
    outline = _places(net, cols, visited, used_links, ts)
    borders = sum(1 for leg in legs if leg.kind == "link" and leg.from_country != leg.to_country)
    return Route(
        origin=cols.node_name[origin], destination=cols.node_name[destination],
        corridor=outline.corridor,
        objective=objective, objective_value=value, legs=tuple(legs),
        nodes=tuple(cols.node_id[v] for v in visited), countries=outline.countries,
        borders=borders, transshipments=sum(1 for e in edges if kind[e] == TRANSSHIP),
        sources=_route_sources(net, used_links, visited),
        gateways=outline.gateways, gateway_names=outline.gateway_names,
        edges=tuple(edges), sanctioned=outline.sanctioned,
    )


def _ids(cell: object) -> tuple[str, ...]:
    ids = (x.strip() for x in str(cell or "").split(";"))
    return tuple(s for s in ids if s and not s.startswith("derived"))


@cache
def sanctioned_countries() -> frozenset[str]:
    """Countries under sanctions (country.csv: any status but 'none'); none without the country table."""
    from ..network.geopolitics import SANCTIONED, resolve_countries

    try:
        return frozenset(resolve_countries(SANCTIONED))
    except CorridorError:
        return frozenset()


def _prev_link(link: list[int], edges: list[int], j: int) -> int:
    for e in reversed(edges[:j]):
        if link[e] >= 0:
            return link[e]
    raise AssertionError("transshipment without an incoming link")


def _next_link(link: list[int], edges: list[int], j: int) -> int:
    for e in edges[j + 1:]:
        if link[e] >= 0:
            return link[e]
    raise AssertionError("transshipment without an outgoing link")

_LINK_SRC = ("source_id", "length_source", "speed_source", "wait_source", "cost_source",
             "co2_source", "capacity_source")

_NODE_SRC = ("coord_source", "dwell_source", "transship_source", "capacity_source")


def _route_sources(net: Network, links: list[int], nodes: list[int]) -> tuple[str, ...]:
    """Every source behind the numbers of the links and nodes a route uses."""
    cache = net.cache.setdefault("routes.sources", {})
    if not cache:
        for key, frame, cols in (("link", net.links, _LINK_SRC), ("node", net.nodes, _NODE_SRC)):
            present = [c for c in cols if c in frame.columns]
            joined = frame[present].fillna("").astype(str).agg(";".join, axis=1) if present \
                else pd.Series("", index=frame.index)
            cache[key] = [frozenset(x.strip() for x in cell.split(";")
                                    if x.strip() and not x.strip().startswith("derived"))
                          for cell in joined]
    ids: set[str] = set()
    for key, rows in (("link", links), ("node", nodes)):
        ids.update(*(cache[key][i] for i in rows))
    return tuple(sorted(ids))


def _gateway_nodes(cols: _Columns, nodes: list[int], ts: set[int]) -> list[int]:
    """Intermediate nodes where the route crosses a border, calls at a port or transships."""
    kinds, country = cols.node_kind, cols.country
    out = []
    for j in range(1, len(nodes) - 1):
        v = nodes[j]
        if (kinds[v] in ("border_crossing", "port") or v in ts
                or country[v] != country[nodes[j - 1]] or country[v] != country[nodes[j + 1]]):
            out.append(v)
    return out
