"""Freight flows on the corridor network: demand assigned by commodity, with capacity.

Three methods share one cost model:

- `aon`: every OD pair on its cheapest route at free-flow cost;
- `ue`: deterministic user equilibrium (bi-conjugate Frank-Wolfe, one class per commodity);
- `sue`: stochastic user equilibrium, a path-size logit over a generated route set per OD
  (the best route of each corridor family under several objectives), so shippers with
  the same OD do not all take one route. This is the calibrated default.

The compiled graph's virtual edges are the assignment's links, so border dwell, gauge
changes and port handling congest like any link; what an edge costs under load (tariffs,
corridor constants, shared queues, TEU or tonnes capacities) is `queues.py`, the logit and
its route sets `logit.py`, the Frank-Wolfe engine `assignment.py`. This module holds the
public call, the parameters and the results.

Q, β, the logit dispersion per commodity and the corridor constants are read from
`assignment_params.json` in the data folder, written by `corridor calibrate`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from weakref import WeakKeyDictionary

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from ..costs import TONNES_PER_TEU, EdgeCosts, capacity_teu, edge_costs, queue_volumes
from ..demand import Demand
from ..errors import CorridorError, NoRouteError
from ..network.families import entry_links
from ..network.graph import LINK, TRANSIT, TRANSSHIP
from ..network.tables import Network
from ..readers import YES_NO
from ..vocabulary import DEFAULT_METHOD, METHODS
from ..world import World, world_of
from .choice_sets import ChoiceSet, Progress, choice_set
from .engine import Queues
from .engine import assign as _solve
from .logit import LogitSolution
from .logit import solve as solve_logit
from .params import AssignmentParams
from .results import FlowResult, RouteFlows


@dataclass(frozen=True, eq=False)
class _Problem:
    """One assignment: demand per class on a network in a world, and the edge costs of that world."""

    net: Network
    world: World  # its terms: the calibration's plus the world's own
    classes: list[str]
    vots: np.ndarray  # USD per TEU-hour of each class
    ods: np.ndarray  # (classes, nodes, nodes) TEU a year
    costs: EdgeCosts
    weight: np.ndarray  # (classes, queue memberships): what a TEU counts in each queue it joins
    params: AssignmentParams


def assign(
    net: Network,
    demand: Demand,
    *,
    method: str = DEFAULT_METHOD,
    rgap: float = 1e-4,
    max_iter: int = 500,
    params: AssignmentParams | None = None,
    commodities: Iterable[str] | None = None,
    avoid: Iterable[str] | str | None = None,
    avoid_modes: Iterable[str] | str | None = None,
    avoid_passages: Iterable[str] | str | None = None,
    year: int | None = None,
    month: int | None = None,
    world: World | None = None,
    progress: Progress | None = None,
    routes: ChoiceSet | None = None,
    unserved: str = "raise",
) -> FlowResult:
    """Assign `demand` (TEU a year per commodity) to the network in a world.

    The world is `world` or the one the options make (`avoid`, `avoid_modes`, `avoid_passages`,
    `year`, `month`: the flows of one month at their yearly rate, in that month's weather; none:
    the year, each queue's wait the flow-weighted mean of its months). `params` default to the
    calibrated ones bundled with the data (`AssignmentParams.load()`); their cost terms add to the
    world's. Each commodity is a class with its own value of time (the network's
    commodities table). `progress(stage, done, total, gap)` is called while the choice set is
    built (stage "routes") and at each iteration ("iterate").

    `routes` (sue only) replaces the generated choice set, e.g. `choice_set(...).without(closed)`
    to re-assign after a closure without searching again. `unserved="report"` leaves out OD
    pairs that have no route (listed in `FlowResult.unserved`) instead of raising NoRouteError.
    """
    if not isinstance(net, Network):  # a TntpNetwork has BPR links, not corridor links and commodities
        raise CorridorError(f"assign takes a corridor network, not a {type(net).__name__}; solve a "
                            "TNTP network with corridor.assignment.tntp.solve_tntp")
    if unserved not in ("raise", "report"):
        raise CorridorError("unserved must be 'raise' or 'report'")
    if method not in METHODS:
        raise CorridorError(f"unknown method '{str(method)[:20]}'; choose one of {', '.join(METHODS)}")
    if not (rgap > 0 and max_iter >= 1):
        raise CorridorError("rgap must be > 0 and max_iter >= 1")
    if routes is not None and method != "sue":
        raise CorridorError("a route set only applies to method='sue'")
    params = params or AssignmentParams.load()
    world = world_of(world, avoid=avoid, avoid_modes=avoid_modes, avoid_passages=avoid_passages, year=year,
                     month=month)
    world.policy.check(net)
    prob = _problem(net, demand, world, params, commodities, non_negative=method != "sue")
    if method == "sue":
        return _sue(prob, routes_world=world, rgap=rgap, max_iter=max_iter, progress=progress, routes=routes,
                    unserved=unserved)
    return _ue(prob, method=method, rgap=rgap, max_iter=max_iter, unserved=unserved)


def _problem(net: Network, demand: Demand, world: World, params: AssignmentParams,
             commodities: Iterable[str] | None, *, non_negative: bool,
             costs: EdgeCosts | None = None) -> _Problem:
    table = demand.table
    present = list(dict.fromkeys(table.loc[table["teu_per_year"] > 0, "commodity"]))
    classes = list(commodities) if commodities is not None else present
    unknown = [c for c in classes if c not in present]
    if unknown:
        raise CorridorError(f"no demand for commodity {', '.join(map(str, unknown))}; "
                            f"this table has: {', '.join(present)}")
    if not classes:
        raise CorridorError("the demand table is empty")
    vots, containerised = _class_figures(net, tuple(classes))
    if np.any(vots <= 0):
        raise CorridorError("every assigned commodity needs a value of time > 0")
    ods = _od_matrices(net, demand, classes)
    world = world.with_terms(params.terms)
    costs = costs if costs is not None else edge_costs(net, world, non_negative=non_negative)
    ratio = _tonnes_per_teu(demand)
    weight = costs.weights(containerised, np.array([ratio.get(c) or TONNES_PER_TEU for c in classes]))
    return _Problem(net, world, classes, vots, ods, costs, weight, params)


def _class_figures(net: Network, classes: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Each class's value of time and whether it is containerised, kept per network (an appraisal
    assigns one network hundreds of times). Copies: callers may edit them."""
    key = ("freight.class_figures", classes)
    if key not in net.cache:
        net.cache[key] = (np.array([net.value_of_time(c) for c in classes]),
                          np.array([_containerised(net, c) for c in classes]))
    vots, containerised = net.cache[key]
    return vots.copy(), containerised.copy()


_TONNES: WeakKeyDictionary[Demand, dict[str, float]] = WeakKeyDictionary()


def _tonnes_per_teu(demand: Demand) -> dict[str, float]:
    """`tonnes_per_teu`, kept per demand table (as its OD matrices)."""
    if demand not in _TONNES:
        _TONNES[demand] = tonnes_per_teu(demand)
    return _TONNES[demand]


_ODS: WeakKeyDictionary[Demand, dict[tuple, np.ndarray]] = WeakKeyDictionary()


def _od_matrices(net: Network, demand: Demand, classes: list[str]) -> np.ndarray:
    """(classes, nodes, nodes) TEU a year; kept per demand table and node order (a table assigned
    again, e.g. an appraisal's year in every world, is not read again). A copy: callers edit it."""
    key = (tuple(net.nodes["node_id"]), tuple(classes))
    held = _ODS.setdefault(demand, {})
    if key not in held:
        held[key] = np.stack([demand.matrix(net, c, "teu") for c in classes])
    return held[key].copy()


def tonnes_per_teu(demand: Demand) -> dict[str, float]:
    """Tonnes per TEU of each commodity, as the demand table states them (0 where it gives no tonnes)."""
    g = demand.table.groupby("commodity")[["teu_per_year", "t_per_year"]].sum()
    return {str(c): float(r.t_per_year / r.teu_per_year) if r.teu_per_year > 0 else 0.0
            for c, r in g.iterrows()}


def _containerised(net: Network, commodity: str) -> bool:
    com = net.commodities
    if com is None or "containerised" not in com.columns:
        return True
    v = com.loc[com["commodity"] == commodity, "containerised"]
    return True if v.empty else YES_NO.get(str(v.iloc[0]).strip().lower(), True)


def _ue(prob: _Problem, *, method: str, rgap: float, max_iter: int, unserved: str) -> FlowResult:
    net, model, ods = prob.net, prob.costs, prob.ods
    g = net.graph
    mask = prob.world.policy.edge_mask(net)
    e = np.flatnonzero(mask)
    lost = _unreachable(net, mask, ods)
    dropped = _drop_unserved(net, prob.classes, ods, lost, unserved)
    zones = np.flatnonzero((ods.sum((0, 1)) + ods.sum((0, 2))) > 0)
    # zone vertices after the virtual nodes: zone -> departure sides, arrival sides -> zone
    zv = g.n_vnodes + np.arange(len(zones))
    zone_list = [int(v) for v in zones]
    z_src = [np.full(len(g.starts(v)), zv[i]) for i, v in enumerate(zone_list)]
    z_dst = [np.full(len(g.ends(v)), zv[i]) for i, v in enumerate(zone_list)]
    init = np.concatenate([g.src[e], *z_src, *[g.ends(v) for v in zone_list]])
    term = np.concatenate([g.dst[e], *[g.starts(v) for v in zone_list], *z_dst])
    nz = len(init) - len(e)
    # the engine works in hours: class k pays its generalized cost / vot_k, plus its weight × the wait
    # of each queue the edge joins (so the costs stay the gradient of Beckmann's potential)
    fixed = np.stack([np.concatenate([model.generalized(v)[e] / v, np.zeros(nz)]) for v in prob.vots])
    pos = np.full(g.n_edges, -1)
    pos[e] = np.arange(len(e))
    keep = pos[model.member_edge] >= 0  # memberships of the edges the policy leaves open
    ones = np.ones(model.n_queues)
    queues = Queues(edge=pos[model.member_edge[keep]], queue=model.member_queue[keep], scale=ones,
                    capacity=ones, power=ones, weight=prob.weight[:, keep],
                    curves=model.curves.bound(prob.world.month)) if model.n_queues else None
    zero = np.zeros(len(init))
    res = _solve(init, term, zero, np.ones(len(init)), zero, zero, ods[:, zones][:, :, zones],
                 n_nodes=g.n_vnodes + len(zones), zone_nodes=zv, no_through=zv, rgap=rgap,
                 max_iter=1 if method == "aon" else max_iter, fixed_cost=fixed, queues=queues)
    assert res.class_flow is not None  # the demand came per class
    flow = np.zeros((len(prob.classes), g.n_edges))
    flow[:, e] = res.class_flow[:, : len(e)]
    out = _summarise(prob, flow, method, res.rgap, res.iterations, res.converged, res.history)
    return replace(out, unserved=dropped)


def _unreachable(net: Network, mask: np.ndarray, ods: np.ndarray) -> list[tuple[int, int]]:
    """OD pairs with demand and no path over the edges the policy leaves open."""
    from scipy.sparse.csgraph import breadth_first_order

    g = net.graph
    n = g.n_vnodes
    m = csr_matrix((np.ones(int(mask.sum())), (g.src[mask], g.dst[mask])), shape=(n, n))  # built once
    total = ods.sum(0)
    lost = []
    for o in np.flatnonzero(total.sum(1) > 0).tolist():
        seen = np.zeros(n, dtype=bool)
        for v in g.starts(o):
            if not seen[v]:
                seen[breadth_first_order(m, int(v), directed=True, return_predecessors=False)] = True
        for d in np.flatnonzero(total[o] > 0).tolist():
            if not seen[g.ends(d)].any():
                lost.append((o, d))
    return lost


def _sue(prob: _Problem, *, routes_world: World, rgap: float, max_iter: int, progress: Progress | None,
         routes: ChoiceSet | None, unserved: str) -> FlowResult:
    """The path-size logit SUE over a choice set generated in `routes_world` (the world without the
    calibration's terms: the terms shift choices among routes, not which routes exist)."""
    net, classes, ods = prob.net, prob.classes, prob.ods
    rs = routes if routes is not None else choice_set(
        net, _pairs(ods), world=routes_world, commodities=classes, progress=progress,
        missing="skip" if unserved == "report" else "raise")
    sol, dropped = _solve_routes(prob, rs, rgap=rgap, max_iter=max_iter, progress=progress, unserved=unserved)
    out = _summarise(prob, sol.flow, "sue", sol.gap, sol.iterations, sol.gap <= rgap, sol.history,
                     slot_price=sol.slot_price)
    return replace(out, paths=sol.paths, unserved=dropped)


def _pairs(ods: np.ndarray) -> set[tuple[int, int]]:
    return {(int(o), int(d)) for k in range(len(ods)) for o, d in zip(*np.nonzero(ods[k]), strict=True)}


def _solve_routes(prob: _Problem, rs: ChoiceSet, *, rgap: float, max_iter: int, progress: Progress | None,
                  unserved: str) -> tuple[LogitSolution, pd.DataFrame]:
    """The logit over `rs`, the OD pairs it has no route for left out (or raised)."""
    classes, ods = prob.classes, prob.ods
    uncovered = np.array(ods.any(axis=0), dtype=bool)  # the OD pairs with demand and no route
    uncovered[rs.od[:, 0], rs.od[:, 1]] = False
    lost = [(int(o), int(d)) for o, d in np.argwhere(uncovered)]
    dropped = _drop_unserved(prob.net, classes, ods, lost, unserved)
    mu = np.array([prob.params.dispersion_for(c) for c in classes])
    sol = solve_logit(prob.net, rs, classes, prob.vots, ods, prob.costs, prob.weight, mu,
                      month=prob.world.month, rgap=rgap, max_iter=max_iter, progress=progress)
    return sol, dropped


def assign_routes(net: Network, demand: Demand, routes: ChoiceSet, *, world: World,
                  params: AssignmentParams | None = None, costs: EdgeCosts | None = None,
                  rgap: float = 1e-4, max_iter: int = 500) -> RouteFlows:
    """`assign(net, demand, method="sue", world=world, routes=routes, unserved="report")`'s routes and
    loads (the same numbers), without building the link, node and corridor tables.

    `costs` replaces the world's edge costs (`costs.edge_costs(net, world with the params' terms)`)
    where the caller has them for this network and world (an appraisal's set of projects is the
    base world with each project's costs put in)."""
    params = params or AssignmentParams.load()
    world.policy.check(net)
    prob = _problem(net, demand, world, params, None, non_negative=False, costs=costs)
    sol, dropped = _solve_routes(prob, routes, rgap=rgap, max_iter=max_iter, progress=None, unserved="report")
    return RouteFlows(sol.paths, dropped, sol.gap, sol.iterations, sol.gap <= rgap)


def _drop_unserved(net: Network, classes: list[str], ods: np.ndarray, lost: list[tuple[int, int]],
                   unserved: str) -> pd.DataFrame:
    """Raise for OD pairs with demand and no route, or (unserved="report") take them out of
    `ods` in place and list them."""
    if lost and unserved != "report":
        o, d = lost[0]
        raise NoRouteError(f"no route from {net.nodes['name'].iat[o]} to {net.nodes['name'].iat[d]} "
                           f"(and {len(lost) - 1} more OD pair(s)) under this policy, but the demand has "
                           "flow between them")
    ids = net.nodes["node_id"].to_numpy()
    rows = [{"origin": ids[o], "destination": ids[d], "commodity": c, "teu": float(ods[k, o, d])}
            for o, d in lost for k, c in enumerate(classes) if ods[k, o, d] > 0]
    for o, d in lost:
        ods[:, o, d] = 0.0
    if not ods.any():
        raise NoRouteError("no OD pair with demand has a route under this policy")
    return pd.DataFrame(rows, columns=["origin", "destination", "commodity", "teu"])


def _summarise(prob: _Problem, class_flow: np.ndarray, method: str, gap: float, iterations: int,
               converged: bool, history, slot_price: np.ndarray | None = None) -> FlowResult:
    net, classes, model, weight, params = prob.net, prob.classes, prob.costs, prob.weight, prob.params
    g = net.graph
    lk = net.links
    flow = class_flow.sum(0)
    on_link = g.kind == LINK
    li = g.link[on_link]
    forward = g.forward[on_link]
    fwd = np.bincount(li[forward], weights=flow[on_link][forward], minlength=len(lk))
    back = np.bincount(li[~forward], weights=flow[on_link][~forward], minlength=len(lk))
    links = pd.DataFrame({
        "link_id": lk["link_id"], "name": lk["name"], "from_node_id": lk["from_node_id"],
        "to_node_id": lk["to_node_id"], "mode": lk["mode"], "flow_forward_teu": fwd,
        "flow_backward_teu": back, "flow_teu": fwd + back, "capacity_teu_yr": capacity_teu(lk),
    })
    for k, c in enumerate(classes):
        links[f"flow_{c}_teu"] = np.bincount(li, weights=class_flow[k][on_link], minlength=len(lk))
    # v/c counts what the capacity counts (boxes for a TEU capacity, all cargo by weight for a
    # tonnes one, a ship's units on a Caspian line); a link's capacity is per direction, so the
    # busier direction binds, and where a link or node has several queues the fullest is reported
    month = prob.world.month
    vol = queue_volumes(model, class_flow, weight)
    served = model.curves.served(month)
    vc = vol / np.maximum(served, 1e-9)
    backlog = model.curves.backlog(vol, month)
    wait = model.curves.wait(vol, month)
    by_link, by_node = model.owner_link >= 0, model.owner_node >= 0
    for col, val in _binding(model, by_link, model.owner_link, vc, vol, served, backlog, wait,
                             len(lk)).items():
        links[col] = val
    teu_cap = np.where(model.box > 0, served / np.where(model.box > 0, model.box, 1.0), np.nan)
    line_cap = np.full(len(lk), np.nan)
    np.fmax.at(line_cap, model.owner_link[by_link], teu_cap[by_link])
    links["capacity_teu_yr"] = np.where(np.isfinite(line_cap), line_cap, links["capacity_teu_yr"])
    node_edge = (g.kind == TRANSIT) | (g.kind == TRANSSHIP)
    ni = g.node[node_edge]
    through = np.bincount(ni, weights=flow[node_edge], minlength=len(net.nodes))
    ts = g.kind == TRANSSHIP
    shipped = np.bincount(g.node[ts], weights=flow[ts], minlength=len(net.nodes))
    nodes = pd.DataFrame({"node_id": net.nodes["node_id"], "name": net.nodes["name"],
                          "country": net.nodes["country"], "kind": net.nodes["kind"], "flow_teu": through,
                          "transshipped_teu": shipped, "capacity_teu_yr": capacity_teu(net.nodes)})
    for col, val in _binding(model, by_node, model.owner_node, vc, vol, served, backlog, wait,
                             len(net.nodes)).items():
        nodes[col] = val
    corridors = _corridor_volumes(net, fwd, back)
    by_class = {}
    for k, c in enumerate(classes):
        f = class_flow[k][on_link]
        by_class[c] = _corridor_volumes(
            net, np.bincount(li[forward], weights=f[forward], minlength=len(lk)),
            np.bincount(li[~forward], weights=f[~forward], minlength=len(lk)))
    cross = lk["from_country"].to_numpy() != lk["to_country"].to_numpy()
    countries: dict[str, float] = {}
    for c, v in ((lk["to_country"].to_numpy()[cross], fwd[cross]),
                 (lk["from_country"].to_numpy()[cross], back[cross])):
        for country, x in zip(c, v, strict=True):
            countries[country] = countries.get(country, 0.0) + float(x)
    queues = _queue_table(net, model, vol, served, vc, wait, backlog)
    price = np.zeros(model.n_queues) if slot_price is None else slot_price
    queues["slot_price_usd"] = price / model.unit_scale  # USD per unit of the queue's own `unit`
    return FlowResult(method, tuple(classes), float(gap), int(iterations), bool(converged), links, nodes,
                      corridors, countries, list(history), params=params, corridors_by_commodity=by_class,
                      queues=queues, month=month)


def _queue_table(net: Network, model: EdgeCosts, vol: np.ndarray, served: np.ndarray, vc: np.ndarray,
                 wait: np.ndarray, backlog: np.ndarray) -> pd.DataFrame:
    """One row per queue, in its own unit (a tonnes queue's figures in tonnes)."""
    g = net.graph
    first = np.full(model.n_queues, -1)
    first[model.member_queue[::-1]] = model.member_edge[::-1]
    is_link = model.owner_link >= 0
    lk, nd = net.links, net.nodes
    owner = np.where(is_link, lk["link_id"].to_numpy(object)[np.maximum(model.owner_link, 0)],
                     nd["node_id"].to_numpy(object)[np.maximum(model.owner_node, 0)])
    direction = np.where(~is_link, "", np.where(g.forward[np.maximum(first, 0)], "forward", "backward"))
    s = model.unit_scale
    return pd.DataFrame({"kind": np.where(is_link, "link", "node"), "id": owner, "direction": direction,
                         "service": model.service, "unit": model.unit, "load": vol * s,
                         "capacity": served * s, "v_c": vc, "wait_hours": wait, "backlog": backlog * s,
                         "j": model.curves.j})


def _binding(model: EdgeCosts, mine: np.ndarray, owner: np.ndarray, vc: np.ndarray, vol: np.ndarray,
             served: np.ndarray, backlog: np.ndarray, wait: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Per link or node, its fullest queue: v/c, that queue's load, capacity and backlog (what arrives
    beyond what it can serve, a year) in its own unit (TEU, tonnes, or a ship's units), and its wait."""
    q = np.flatnonzero(mine)
    out_vc = np.full(n, np.nan)
    np.fmax.at(out_vc, owner[q], vc[q])
    cols = {k: np.full(n, np.nan)
            for k in ("queue_load", "queue_capacity", "queue_backlog", "queue_wait_hours")}
    unit = np.full(n, "", dtype=object)
    order = q[np.argsort(vc[q], kind="stable")]  # the fullest queue written last wins
    scale = model.unit_scale[order]
    at = owner[order]
    cols["queue_load"][at] = vol[order] * scale
    cols["queue_capacity"][at] = served[order] * scale
    cols["queue_backlog"][at] = backlog[order] * scale
    cols["queue_wait_hours"][at] = wait[order]
    unit[at] = model.unit[order]
    return {"v_c": out_vc, **cols, "queue_unit": unit}


def _corridor_volumes(net: Network, fwd: np.ndarray, back: np.ndarray) -> dict[str, float]:
    """A family's volume, counted once per shipment: TEU on its ferries or sea lanes, or
    entering its land countries (Russia/Belarus, Iran) from outside."""
    return {fam: float(fwd[f].sum() + back[b].sum()) for fam, (f, b) in entry_links(net).items()}
