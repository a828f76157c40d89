"""THE generalized cost of an edge: tariff, the world's terms, and value of time × (hours + queue wait).

Every search, assignment, logit, welfare and appraisal figure reads edge costs from here, through
`EdgeCosts.generalized`: free-flow weights per objective (`edge_weights`) and costs under load
(`delay_hours`) are two views of one cost.

An edge costs its tariff, plus the terms of the world (`CostTerms`: today a USD term per corridor
family, charged once per shipment on the family's signature edges), plus a commodity's value of
time × (hours + W Q (V/c)^β), V the load of the queue the edge joins. A link's capacity is per
direction; a node's is one queue shared by its edges (a port's quay: only its transshipments; a
border station: everything crossing it). A capacity in TEU counts containerised classes (W = 1,
others 0); one in tonnes counts every class by its tonnes (W = t per TEU / 10), in TEU-equivalents
of 10 t (docs/rates.md). A link or node with both has two queues, and an edge pays each.

Adding a cost term (a carbon price, a risk premium) is a field of `CostTerms`, its USD per edge in
`edge_costs`, and a scenario lever that sets it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .caspian.config import CaspianConfig, Service, baseline_config
from .caspian.curves import config_hash, service_curves
from .datafiles import read_package_csv
from .errors import CorridorError
from .network.families import FAMILIES, entry_links
from .network.graph import LINK, TRANSIT, TRANSSHIP
from .network.tables import Network
from .queueing import QueueCurves

if TYPE_CHECKING:
    from .world import World
from .vocabulary import OBJECTIVES


@dataclass(frozen=True)
class CostTerms:
    """USD per TEU that a world adds to tariffs, each named so a user can read and change it:

    - `entry_usd`: per country (ISO3), charged once per shipment on entering it by land, ferry or a
      port call (the transit-risk premium for a sanctioned country: insurance excluded, bank and
      compliance exposure); a key of countries joined by "+" ("BLR+RUS") is charged on entering
      the group from outside it (moving from Belarus into Russia pays nothing more);
    - `passage_usd`: per sea passage (`babalmandab`, ...), charged on every sea lane through it (war
      risk on the Red Sea);
    - `carbon_usd_per_t`: a price per tonne of CO2e, well-to-wheel, on every edge's emissions;
    - `corridor_usd`: per corridor family, charged once per shipment on its signature edges: the
      calibration's constant, if one remains.

    Terms add up: a scenario's terms on the world's, an assignment's calibrated terms on both."""

    corridor_usd: Mapping[str, float] = field(default_factory=dict)
    entry_usd: Mapping[str, float] = field(default_factory=dict)
    passage_usd: Mapping[str, float] = field(default_factory=dict)
    carbon_usd_per_t: float = 0.0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.corridor_usd) - set(FAMILIES))
        if unknown:
            raise CorridorError(f"unknown corridor {', '.join(unknown)} in cost terms; "
                                f"known: {', '.join(FAMILIES)}")
        for name in ("corridor_usd", "entry_usd", "passage_usd"):
            d = getattr(self, name)
            bad = [k for k, v in d.items() if not np.isfinite(v)]
            if bad:
                raise CorridorError(f"cost term {name} for {', '.join(bad)} must be a finite USD per TEU")
            object.__setattr__(self, name, {str(k): float(v) for k, v in d.items() if v})
        if not (np.isfinite(self.carbon_usd_per_t) and self.carbon_usd_per_t >= 0):
            raise CorridorError(f"carbon price must be a number >= 0 USD per t, got {self.carbon_usd_per_t}")
        object.__setattr__(self, "carbon_usd_per_t", float(self.carbon_usd_per_t))

    def __add__(self, other: CostTerms) -> CostTerms:
        def add(a: Mapping[str, float], b: Mapping[str, float]) -> dict[str, float]:
            return {k: a.get(k, 0.0) + b.get(k, 0.0) for k in set(a) | set(b)}

        return CostTerms(add(self.corridor_usd, other.corridor_usd), add(self.entry_usd, other.entry_usd),
                         add(self.passage_usd, other.passage_usd),
                         self.carbon_usd_per_t + other.carbon_usd_per_t)

    def __bool__(self) -> bool:
        return bool(self.corridor_usd or self.entry_usd or self.passage_usd or self.carbon_usd_per_t)

    def key(self) -> tuple:
        return (tuple(sorted(self.corridor_usd.items())), tuple(sorted(self.entry_usd.items())),
                tuple(sorted(self.passage_usd.items())), self.carbon_usd_per_t)

    def __hash__(self) -> int:
        return hash(self.key())

    def to_dict(self) -> dict:
        return {"corridor_usd": dict(sorted(self.corridor_usd.items())),
                "entry_usd": dict(sorted(self.entry_usd.items())),
                "passage_usd": dict(sorted(self.passage_usd.items())),
                "carbon_usd_per_t": self.carbon_usd_per_t}


def edge_weights(net: Network, objective: str = "generalized", *, commodity: str = "container",
                 world: World | None = None) -> np.ndarray:
    """The weight of every virtual edge for a search in `world`: hours (with the waits a shipper meets
    at today's flows: the Caspian lines at their configured volumes), USD/TEU (tariff and terms),
    kg CO2/TEU, or the generalized cost of `commodity`."""
    g = net.graph
    costs = edge_costs(net, world)
    month = None if world is None else world.month
    if objective == "time":
        w = costs.hours + costs.reference_wait(month)
    elif objective == "cost":
        w = costs.usd
    elif objective == "co2":
        w = g.co2
    elif objective == "generalized":
        w = costs.generalized(net.value_of_time(commodity), costs.reference_wait(month))
    else:
        raise CorridorError(f"unknown objective '{objective[:60]}'; choose one of {', '.join(OBJECTIVES)}")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        # Dijkstra is only right for finite, non-negative weights
        e = int(np.flatnonzero(bad)[0])
        where = (f"link '{net.links['link_id'].iat[g.link[e]]}'" if g.link[e] >= 0
                 else f"node '{net.nodes['node_id'].iat[g.node[e]]}'")
        raise CorridorError(f"{objective} weight of {where} is {w[e]}: weights must be finite and >= 0")
    return w


TONNES_PER_TEU = 10.0
BOX_NET_TONNES = 22.0  # what a 20 ft box carries at most: 24 t gross less 2 t tare (commodities.csv, bulk)


@dataclass(frozen=True, eq=False)
class EdgeCosts:
    """Per compiled edge: what it costs and how long it takes in a world; and the queues edges join.

    A queue is one capacity: a link's per direction, a node's shared by its edges, or a Caspian
    line's (a service of ships, per direction). Each counts what uses it in its own unit: boxes
    (TEU), all cargo by weight (TEU-equivalents of 10 t), or a ship's units (a feeder's TEU, a
    rail ferry's wagons): a TEU of a class counts `box` if containerised, else `bulk_t` per tonne,
    plus `all_t` per tonne whatever it is.
    """

    hours: np.ndarray  # free-flow hours, without queue waits
    usd: np.ndarray  # tariff + the world's terms (USD per TEU)
    member_edge: np.ndarray  # edge of each membership
    member_queue: np.ndarray  # queue of each membership
    curves: QueueCurves  # per queue: capacity by month, delay parameter, the wait at any flow
    unit: np.ndarray  # per queue: what it counts ("TEU", "t", or a ship's unit such as "wagon")
    unit_scale: np.ndarray  # per queue: its volumes × this = the figure in `unit` (10 for tonnes)
    box: np.ndarray  # per queue: count per TEU of a containerised class
    bulk_t: np.ndarray  # per queue: count per tonne of a class that is not containerised
    all_t: np.ndarray  # per queue: count per tonne of any class
    owner_link: np.ndarray  # per queue: its link (-1: a node's)
    owner_node: np.ndarray  # per queue: its node (-1: a link's)
    service: np.ndarray  # per queue: the Caspian service it is ("" for the others)
    reference: np.ndarray  # per queue: the volume the world's data observe (a Caspian service's), else 0

    @property
    def n_queues(self) -> int:
        return self.curves.n

    @property
    def cap(self) -> np.ndarray:
        """Per queue: what it serves in a year, in its own volume (TEU, TEU-equivalents, units)."""
        return self.curves.served()

    def teu_capacity(self, month: int | None = None) -> np.ndarray:
        """Per queue: what it serves in a year in TEU (a ship's units at their boxes each; a tonnes
        queue in TEU-equivalents of 10 t)."""
        served = self.curves.served(month)
        return np.where(self.box > 0, served / np.where(self.box > 0, self.box, 1.0), served)

    def generalized(self, value_of_time: float, wait_hours: np.ndarray | None = None) -> np.ndarray:
        """THE generalized cost, USD per TEU of each edge: tariff and terms, plus the value of time
        (USD per TEU-hour) × (hours + queue wait). Every figure in USD of time and money is this."""
        hours = self.hours if wait_hours is None else self.hours + wait_hours
        return self.usd + value_of_time * hours

    def weights(self, containerised: np.ndarray, t_per_teu: np.ndarray) -> np.ndarray:
        """(classes, memberships): what a TEU of each class counts in each queue it joins."""
        q = self.member_queue
        c = containerised.astype(float)[:, None]
        t = np.asarray(t_per_teu, dtype=float)[:, None]
        return (c * self.box[q][None, :] + (1.0 - c) * t * self.bulk_t[q][None, :]
                + t * self.all_t[q][None, :])

    def reference_wait(self, month: int | None = None) -> np.ndarray:
        """Per edge: the hours a unit waits at the volumes the data observe (a Caspian line's
        configured flow; other queues observe none): what a route meets at today's flows."""
        w = self.curves.wait(self.reference, month)
        return np.bincount(self.member_edge, weights=w[self.member_queue], minlength=len(self.hours))


def edge_costs(net: Network, world: World | None = None, *, non_negative: bool = False) -> EdgeCosts:
    """The network's edges in `world` (default: no terms, the bundled Caspian crossing); cached.

    `non_negative`: shortest-path searches cannot take a negative term, so every family's term is
    raised by the most negative one (the same choice between families)."""
    terms = world.terms if world is not None else CostTerms()
    consts = dict(terms.corridor_usd)
    low = min(0.0, *consts.values()) if consts else 0.0
    if non_negative and low < 0:
        consts = {f: consts.get(f, 0.0) - low for f in FAMILIES}
    caspian = (world.caspian if world is not None else None) or baseline_config()
    key = ("costs.edge_costs", tuple(sorted(consts.items())), terms.key()[1:], config_hash(caspian))
    if key in net.cache:
        return net.cache[key]
    g = net.graph
    q = _queues(net, caspian)
    usd = (g.usd + _corridor_terms(net, consts) + _entry_terms(net, terms.entry_usd)
           + _passage_terms(net, terms.passage_usd) + terms.carbon_usd_per_t * g.co2 / 1000.0)
    m = EdgeCosts(g.hours.astype(float), usd, **q)
    net.cache[key] = m
    return m


@cache
def queue_parameters() -> dict[tuple[str, str], float]:
    """Delay parameter J by (kind of queue, unit) from `queue_params.csv`: link, node, port × TEU, t."""
    df = read_package_csv("queue_params.csv")
    return {(str(r.queue), str(r.unit)): float(r.j) for r in df.itertuples(index=False)}


class _Builder:
    """Queues accumulated kind by kind, then one array per field."""

    def __init__(self) -> None:
        names = ("edge", "queue", "cap", "j", "base", "unit", "unit_scale", "box", "bulk_t", "all_t", "link",
                 "node", "service", "reference")
        self.cols: dict[str, list] = {k: [] for k in names}
        self.n = 0

    def add(self, edges: np.ndarray, queue_of_edge: np.ndarray, n_new: int, cap: np.ndarray,
            j: np.ndarray | float, base: np.ndarray, *, unit: str, unit_scale: float, box: float,
            bulk_t: float | np.ndarray, all_t: float, link: np.ndarray, node: np.ndarray, service: str = "",
            reference: float = 0.0) -> None:
        """`cap` and `base` are (12, n_new): capacity and the wait at any flow, month by month; `j` is one
        delay parameter for all the new queues or one each."""
        c = self.cols
        c["edge"].append(edges)
        c["queue"].append(self.n + queue_of_edge)
        c["cap"].append(cap)
        c["j"].append(np.broadcast_to(j, (n_new,)).astype(float))
        c["base"].append(base)
        for k, v in (("unit", unit), ("unit_scale", unit_scale), ("box", box), ("all_t", all_t),
                     ("service", service), ("reference", reference)):
            c[k].append(np.full(n_new, v, dtype=object if isinstance(v, str) else float))
        c["bulk_t"].append(np.broadcast_to(np.asarray(bulk_t, dtype=float), (n_new,)).copy())
        c["link"].append(np.broadcast_to(link, (n_new,)).astype(np.int64))
        c["node"].append(np.broadcast_to(node, (n_new,)).astype(np.int64))
        self.n += n_new

    def build(self) -> dict:
        c = self.cols
        cat = {k: np.concatenate(v) if v else np.empty(0) for k, v in c.items() if k not in ("cap", "base")}
        cap = np.concatenate(c["cap"], axis=1) if c["cap"] else np.empty((12, 0))
        base = np.concatenate(c["base"], axis=1) if c["base"] else np.empty((12, 0))
        return {"member_edge": cat["edge"].astype(np.int64), "member_queue": cat["queue"].astype(np.int64),
                "curves": QueueCurves(cap, cat["j"].astype(float), base), "unit": cat["unit"].astype(str),
                "unit_scale": cat["unit_scale"].astype(float), "box": cat["box"].astype(float),
                "bulk_t": cat["bulk_t"].astype(float), "all_t": cat["all_t"].astype(float),
                "owner_link": cat["link"].astype(np.int64), "owner_node": cat["node"].astype(np.int64),
                "service": cat["service"].astype(str), "reference": cat["reference"].astype(float)}


def _queues(net: Network, caspian: CaspianConfig) -> dict:
    """Queue memberships of the compiled edges. A link's capacity is a queue per direction; a node's,
    one queue its edges share (a port's quay: its transshipments only; a border station: all it
    clears). A Caspian ferry link between two ports of the crossing is its line's service of ships
    instead: the curve fitted to the simulation, at the world's fleet, sea level and weather."""
    g = net.graph
    params = queue_parameters()
    is_link = g.kind == LINK  # a parallel link's CONT edge is free and joins no queue
    li, ni = np.maximum(g.link, 0), np.maximum(g.node, 0)
    kind = net.nodes["kind"].to_numpy()
    port = (kind == "port")[ni]
    at_node = (g.kind == TRANSSHIP) | ((g.kind == TRANSIT) & ~port)
    lines = _caspian_lines(net, caspian)
    on_line = np.zeros(len(net.links), dtype=bool)
    on_line[list(lines)] = True
    ferry = (net.links["mode"] == "ferry").to_numpy()
    has_t = np.isfinite(_column(net.links, "capacity_t_yr")) & (_column(net.links, "capacity_t_yr") > 0)
    b = _Builder()
    for col, scale, unit in (("capacity_teu_yr", 1.0, "TEU"), ("capacity_t_yr", TONNES_PER_TEU, "t")):
        box, all_t = (1.0, 0.0) if unit == "TEU" else (0.0, 1.0 / TONNES_PER_TEU)
        lc, nc = _column(net.links, col) / scale, _column(net.nodes, col) / scale
        e = np.flatnonzero(is_link & np.isfinite(lc[li]) & (lc[li] > 0) & ~on_line[li])
        # a ferry's deck is shared: where it has a capacity in boxes only, cargo that is not
        # containerised takes a box slot per BOX_NET_TONNES (it would otherwise cross for free)
        deck = ferry[li[e]] & ~has_t[li[e]] if unit == "TEU" else np.zeros(len(e), dtype=bool)
        b.add(e, np.arange(len(e)), len(e), np.tile(lc[li[e]], (12, 1)), params[("link", unit)],
              np.zeros((12, len(e))), unit=unit, unit_scale=scale, box=box,
              bulk_t=np.where(deck, 1.0 / BOX_NET_TONNES, 0.0), all_t=all_t, link=li[e],
              node=np.full(len(e), -1))
        e = np.flatnonzero(at_node & np.isfinite(nc[ni]) & (nc[ni] > 0))
        nodes, qi = np.unique(ni[e], return_inverse=True)
        j = np.array([params[("port" if kind[v] == "port" else "node", unit)] for v in nodes])
        b.add(e, qi, len(nodes), np.tile(nc[nodes], (12, 1)), j, np.zeros((12, len(nodes))), unit=unit,
              unit_scale=scale, box=box, bulk_t=0.0, all_t=all_t, link=np.full(len(nodes), -1), node=nodes)
    curves = service_curves(caspian) if lines else {}
    cargo = {c.name: c for c in caspian.cargo}
    for link, svc in lines.items():
        cv = curves[svc.name]
        c = cargo[svc.cargo]
        # a feeder takes boxes only: cargo that is not containerised boards in boxes, a slot per
        # BOX_NET_TONNES; a rail ferry counts it in wagons by their tonnes
        per_t = BOX_NET_TONNES * c.teu_per_unit if svc.cargo == "container" else c.tonnes_per_unit
        bulk = 1.0 / per_t
        for forward in (True, False):  # a queue per direction, each with the line's curve
            e = np.flatnonzero(is_link & (li == link) & (g.forward == forward))
            if len(e):
                b.add(e, np.zeros(len(e), dtype=np.int64), 1, cv.capacity, cv.j, cv.base, unit=c.unit,
                      unit_scale=1.0, box=1.0 / c.teu_per_unit, bulk_t=bulk, all_t=0.0, link=np.array([link]),
                      node=np.array([-1]), service=svc.name, reference=svc.annual_units)
    return b.build()


def _caspian_lines(net: Network, caspian: CaspianConfig) -> dict[int, Service]:
    """Links (index -> service) that are a line of the Caspian crossing: a ferry link whose two ends are
    the ports of a service. Where several services share a port pair, the one for boxes leads (else
    the rail ferry's); trucks ride their own Ro-Ro line, which no network link carries."""
    node_of = {p.name: p.node_id for p in caspian.ports if p.node_id}
    by_pair: dict[frozenset[str], Service] = {}
    rank = {"container": 0, "wagon": 1}
    for s in caspian.services:
        if s.cargo not in rank or s.origin not in node_of or s.destination not in node_of:
            continue
        pair = frozenset((node_of[s.origin], node_of[s.destination]))
        if pair not in by_pair or rank[s.cargo] < rank[by_pair[pair].cargo]:
            by_pair[pair] = s
    lk = net.links
    out: dict[int, Service] = {}
    ferry = (lk["mode"] == "ferry").to_numpy()
    for i in np.flatnonzero(ferry):
        pair = frozenset((lk["from_node_id"].iat[i], lk["to_node_id"].iat[i]))
        if pair in by_pair:
            out[int(i)] = by_pair[pair]
    return out


def _column(df: pd.DataFrame, col: str) -> np.ndarray:
    return df[col].to_numpy(float) if col in df else np.full(len(df), np.nan)


def _corridor_terms(net: Network, constants: dict[str, float]) -> np.ndarray:
    """USD per TEU on each family's signature edges, charged once per shipment: on entering
    Russia/Belarus or Iran by land, on the Caspian ferry, on the Suez or Cape sea lane."""
    g = net.graph
    out = np.zeros(g.n_edges)
    if not any(constants.values()):
        return out
    on_link = g.kind == LINK
    li = np.maximum(g.link, 0)
    entry = entry_links(net)
    for fam, usd in constants.items():
        if usd:
            fwd, back = entry[fam]
            out[on_link & np.where(g.forward, fwd[li], back[li])] += usd
    return out


def _entry_terms(net: Network, entry: Mapping[str, float]) -> np.ndarray:
    """USD per TEU on the link edges that enter a country from another one (by land, ferry or sea)."""
    g = net.graph
    out = np.zeros(g.n_edges)
    if not entry:
        return out
    country = net.nodes["country"].to_numpy(object)
    on_link = g.kind == LINK
    to_c = country[np.maximum(g.to_node, 0)]
    from_c = country[np.maximum(g.from_node, 0)]
    crossing = on_link & (to_c != from_c)
    for code, usd in entry.items():
        members = code.split("+")
        out[crossing & np.isin(to_c, members) & ~np.isin(from_c, members)] += usd
    return out


def _passage_terms(net: Network, passage: Mapping[str, float]) -> np.ndarray:
    """USD per TEU on the sea-lane edges through each passage."""
    g = net.graph
    out = np.zeros(g.n_edges)
    if not passage:
        return out
    used = net.links["passages"].str.split(";").map(set)
    li = np.maximum(g.link, 0)
    on_link = g.kind == LINK
    for name, usd in passage.items():
        through = used.map(lambda p, name=name: name in p).to_numpy(bool)
        out[on_link & through[li]] += usd
    return out


def capacity_teu(df: pd.DataFrame) -> np.ndarray:
    """TEU a year per row, for reports: the TEU figure, else the tonnes figure at 10 t per TEU."""
    c, t = _column(df, "capacity_teu_yr"), _column(df, "capacity_t_yr")
    return np.where(np.isfinite(c), c, t / TONNES_PER_TEU)


def queue_volumes(model: EdgeCosts, class_flow: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per queue: the weighted flow (in the queue's own volume) of its members, a year."""
    w = (weight * class_flow[:, model.member_edge]).sum(0)
    return np.bincount(model.member_queue, weights=w, minlength=model.n_queues)


def delay_hours(model: EdgeCosts, class_flow: np.ndarray, weight: np.ndarray,
                month: int | None = None) -> np.ndarray:
    """(classes, edges): the hours each class waits on each edge at `class_flow` (TEU a year), in
    `month` or over the year: the wait of each queue it joins, counted by the class's weight there
    (a box on a rail ferry waits as its wagon does)."""
    wait = model.curves.wait(queue_volumes(model, class_flow, weight), month)
    n = len(model.hours)
    member = (weight > 0)
    return np.stack([np.bincount(model.member_edge, weights=m * wait[model.member_queue], minlength=n)
                     for m in member])
