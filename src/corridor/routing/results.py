"""Routes as results: legs with their costs, totals that are the sum of the legs.

`build_route` turns the edge sequence of a search on the compiled graph into
legs (links, border dwell, transshipments) and the facts a user asks about:
countries in order, border crossings, gateways and the sources behind the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cache

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
        d = asdict(self)
        d["from"] = d.pop("from_name")
        d["to"] = d.pop("to_name")
        d["co2e_wtw_kg"] = self.co2_kg
        d["co2e_wtw_kg_per_t"] = self.co2_kg / TONNES_PER_TEU
        d["co2e_ttw_kg_per_t"] = self.co2e_ttw_kg / TONNES_PER_TEU
        d["co2e_sources"] = list(self.co2e_sources)
        return d


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

    @property
    def hours(self) -> float:
        return float(sum(leg.hours for leg in self.legs))

    @property
    def days(self) -> float:
        return self.hours / 24.0

    @property
    def usd_per_teu(self) -> float:
        return float(sum(leg.usd for leg in self.legs))

    @property
    def co2_kg_per_teu(self) -> float:
        return float(sum(leg.co2_kg for leg in self.legs))

    @property
    def co2e_ttw_kg_per_teu(self) -> float:
        """Tank-to-wheel kg CO2e (NaN if a leg's figure has no TTW part)."""
        return float(sum(leg.co2e_ttw_kg for leg in self.legs))

    @property
    def km(self) -> float:
        return float(sum(leg.km for leg in self.legs))

    @property
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
        def shapes() -> list:
            return leg_shapes(net, self.legs)

        return [Document("route.json", self.to_dict),
                Table("legs", self.to_frame, geometry=None if net is None else shapes)]


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
        def routes() -> list:
            return [route_shape(net, r) for r in self.routes]

        def legs() -> list:
            return [p for r in self.routes for p in leg_shapes(net, r.legs)]

        return [Document("routes.json", self.to_dict),
                Table("routes", self.to_frame, geometry=None if net is None else routes),
                Table("legs", self.legs_frame, geometry=None if net is None else legs)]


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


def _fmt_class(mode: str, gauge) -> str:
    return f"{mode} {int(gauge)}" if mode == "rail" and pd.notna(gauge) else mode


def build_route(net: Network, edges: Sequence[int], *, objective: str, value: float,
                origin: int, destination: int, hours: np.ndarray | None = None,
                usd: np.ndarray | None = None) -> Route:
    """Turn base-edge ids of a search into legs and totals, priced by `hours` and `usd` per edge (the
    question's world: waits met today, the world's terms; default: the network's own figures)."""
    g: CompiledGraph = net.graph
    hours = g.hours if hours is None else hours
    usd = g.usd if usd is None else usd
    arr = net.arrays
    node_ids, node_names, country = arr["node_id"], arr["node_name"], arr["node_country"]
    modes, gauges = arr["link_mode"], arr["link_gauge"]
    legs: list[Leg] = []
    visited: list[int] = [origin]
    used_links: list[int] = []
    n_ts = 0
    edges = [int(e) for e in edges if e >= 0]
    for j, e in enumerate(edges):
        kind = int(g.kind[e])
        if kind == LINK:
            li = int(g.link[e])
            a, b = int(g.from_node[e]), int(g.to_node[e])
            used_links.append(li)
            visited.append(b)
            legs.append(Leg(
                node_ids[a], node_ids[b], node_names[a], node_names[b], modes[li],
                float(g.km[e]), float(hours[e]), float(usd[e]), float(g.co2[e]), "link",
                str(arr["link_id"][li]), None if np.isnan(gauges[li]) else int(gauges[li]),
                country[a], country[b], str(arr["link_name"][li] or ""),
                float(g.co2_ttw[e]), str(arr["link_co2_factor"][li]), _ids(arr["link_co2_source"][li]),
            ))
        elif kind in (TRANSIT, TRANSSHIP):
            v = int(g.node[e])
            if kind == TRANSSHIP:
                n_ts += 1
            if kind == TRANSIT and hours[e] == 0 and usd[e] == 0:
                continue
            detail = "border/dwell"
            if kind == TRANSSHIP:
                before = _prev_link(g, edges, j)
                after = _next_link(g, edges, j)
                fr = _fmt_class(modes[before], gauges[before])
                to = _fmt_class(modes[after], gauges[after])
                detail = f"transship {fr} -> {to}"
            hub = kind == TRANSSHIP  # a transshipment emits its hub's handling; a dwell nothing
            legs.append(Leg(
                node_ids[v], node_ids[v], node_names[v], node_names[v], "transfer", 0.0,
                float(hours[e]), float(usd[e]), float(g.co2[e]),
                "transship" if kind == TRANSSHIP else "dwell", None, None,
                country[v], country[v], detail, float(g.co2_ttw[e]),
                str(arr["node_hub_factor"][v]) if hub else "", _ids(arr["node_hub_source"][v]) if hub else (),
            ))
    countries = [country[v] for v in visited]
    countries = [c for i, c in enumerate(countries) if i == 0 or c != countries[i - 1]]
    borders = sum(1 for leg in legs if leg.kind == "link" and leg.from_country != leg.to_country)
    srcs = _route_sources(net, used_links, visited)
    gw = _gateway_nodes(net, visited, {int(g.node[e]) for e in edges if g.kind[e] == TRANSSHIP})
    return Route(
        origin=node_names[origin], destination=node_names[destination],
        corridor=classify(net, np.array(used_links, dtype=np.int64)),
        objective=objective, objective_value=value, legs=tuple(legs),
        nodes=tuple(node_ids[v] for v in visited), countries=tuple(countries),
        borders=borders, transshipments=n_ts, sources=srcs,
        gateways=tuple(node_ids[v] for v in gw), gateway_names=tuple(node_names[v] for v in gw),
        edges=tuple(edges), sanctioned=tuple(c for c in countries if c in sanctioned_countries()),
    )


def _ids(cell) -> tuple[str, ...]:
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


def _prev_link(g: CompiledGraph, edges: list[int], j: int) -> int:
    for e in reversed(edges[:j]):
        if g.link[e] >= 0:
            return int(g.link[e])
    raise AssertionError("transshipment without an incoming link")


def _next_link(g: CompiledGraph, edges: list[int], j: int) -> int:
    for e in edges[j + 1:]:
        if g.link[e] >= 0:
            return int(g.link[e])
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


def _gateway_nodes(net: Network, nodes: list[int], ts: set[int]) -> list[int]:
    """Intermediate nodes where the route crosses a border, calls at a port or transships."""
    kinds = net.arrays["node_kind"]
    country = net.arrays["node_country"]
    out = []
    for j in range(1, len(nodes) - 1):
        v = nodes[j]
        if (kinds[v] in ("border_crossing", "port") or v in ts
                or country[v] != country[nodes[j - 1]] or country[v] != country[nodes[j + 1]]):
            out.append(v)
    return out
