"""Gateways and criticality: what the flow between two regions passes through, what closing
each element costs, and the minimum cut between the regions.

    >>> import corridor
    >>> from corridor.gateways import gateways
    >>> g = gateways(corridor.load_network(), corridor.load_demand(), "central-asia", "eu",
    ...              avoid="RUS,IRN", overland=True)
    >>> g.countries.head()            # transit countries by share of the region-to-region TEU
    >>> g.cut["countries"]            # {'value': 1, 'elements': ['AZE'], 'single_points': ['AZE', 'GEO']}
    >>> print(g.answer())

Three views of one question ("is Azerbaijan the gateway from Central Asia to the EU?"):

- **Flow share.** The demand is assigned (the calibrated path-size logit, `corridor.assign`)
  and each route's load is traced through the countries, nodes and links it uses: the share
  of the region-to-region TEU that passes each element.
- **Closure loss.** Each element carrying a share is closed in turn and the demand re-assigned
  with a warm start (the route set minus the routes using it, `ChoiceSet.without`); an OD pair
  left with no route gets a fresh route search under the closure, so an alternative the
  first search never needed is still found. Reported: TEU that can no longer be served (no
  route at all, reported apart), extra generalized cost (USD a year, the served TEU at their
  new perceived cost against their old one: `corridor.welfare.perceived_costs`; when TEU are
  stranded, against the open network assigned without them, so the capacity they free is
  never counted as a gain) and extra days, for the region pair and for the whole demand.
  The extra cost can still be negative: a closure that diverts other cargo off the pair's
  congested links lowers the pair's cost (only at fixed congestion can losing an alternative
  only cost).
- **Structure** (`corridor.cuts`). Which single elements disconnect the regions outright (a
  breadth-first search per origin on the compiled graph under the policy: exact), and a
  minimum cut from `scipy.sparse.csgraph.maximum_flow` at four levels: countries, nodes, links
  (unit weights: how many must close) and capacity (TEU a year: the bottleneck). The unit
  cut graphs are the physical network (a node joins all its links), a relaxation of the
  compiled graph, so a cut they give is a true cut, and the single elements come from the
  exact search; the capacity cut holds each element to the assignment's queues (a port's
  capacity binds its transshipments only).

`overland=True` drops deep-sea lanes (the ocean passages: Suez, Cape, Malacca, ...), keeping
the Caspian ferries and the Black Sea and Bosporus short-sea legs: "every land route".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from ..assignment.choice_sets import ChoiceSet, choice_set
from ..assignment.freight import assign
from ..assignment.params import AssignmentParams
from ..assignment.results import FlowResult
from ..assignment.welfare import (
    demand_classes,
    log_path_sizes,
    merge_choice_sets,
    od_pairs,
    path_sizes,
    perceived_costs,
    route_index,
)
from ..demand import Demand, load_demand
from ..errors import CorridorError
from ..folders import Writable
from ..network.graph import LINK
from ..network.tables import Network
from ..output import Document, Output, Table
from ..world import World, world_of
from .closures import ELEMENT_KEYS, Closer, choice_frame, close_elements
from .cuts import CUT_LEVELS, Reachability, closed_edges, minimum_cut

if TYPE_CHECKING:  # the scenarios are imported when one is given
    from ..scenarios.apply import AppliedScenario

KINDS = ("countries", "nodes", "links")

# log_path_sizes, path_sizes, perceived_costs and route_index live in corridor.welfare (shared with
# the appraisal) and are still exported from here
__all__ = ["GatewayResult", "gateways", "gateways_diff", "log_path_sizes", "ocean_passages", "path_sizes",
           "perceived_costs", "route_index"]


@dataclass(frozen=True)
class GatewayResult(Writable):
    """Countries, nodes and links between two regions, by flow share and by closure loss.

    Each frame has one row per element (countries and nodes inside the two regions' OD
    endpoints are left out), ranked by `share`, with:
    `teu` and `share` of the region-to-region flow through it; `disconnects_share`, the share
    of the region demand left with no route at all if it closed (1.0: every route passes it,
    `single_point`); and, for the closed elements (`analysis.closures`): `closed_users_teu`, the
    region's TEU whose routes pass it; `closed_unserved_teu`, the region's TEU left without a route
    (after searching new ones); `closed_extra_usd_yr`, `closed_extra_usd_per_teu` and
    `closed_extra_days`, what its users lose moving to their own next-best option at the same
    congestion (USD ≥ 0; days: next-best minus own, shorter when the next best is faster and
    dearer); and `closed_network_extra_usd_yr`, `closed_network_unserved_teu`, all demand
    re-assigned with it closed.
    """

    from_region: str
    to_region: str
    from_countries: tuple[str, ...]
    to_countries: tuple[str, ...]
    scenario: str | None
    policy: dict
    overland: bool
    summary: dict  # the region pair at baseline: demand, served, days, cost, corridor split
    countries: pd.DataFrame
    nodes: pd.DataFrame
    links: pd.DataFrame
    cut: dict  # per level (countries, nodes, links, capacity): value, elements, single points
    assignment: dict = field(default_factory=dict)  # method, rgap, iterations, closures run, seconds
    notes: list[str] = field(default_factory=list)

    def frame(self, kind: str) -> pd.DataFrame:
        if kind not in KINDS:
            raise CorridorError(f"unknown element kind '{kind}'; choose one of {', '.join(KINDS)}")
        return getattr(self, kind)

    def to_frame(self, kind: str = "countries") -> pd.DataFrame:
        """One row per element of `kind` (countries, nodes or links)."""
        return self.frame(kind).copy()

    def outputs(self, net: Network | None = None) -> list[Output]:
        """What `write` writes: the answer as JSON (every element with a share) and the countries,
        nodes and links tables ranked by share, links with their shapes when `net` is given."""
        points = shapes = None
        if net is not None and "node_id" in self.nodes:
            points = partial(node_points, net, self.nodes["node_id"])
        if net is not None and "link_id" in self.links:
            shapes = partial(link_shapes, net, self.links["link_id"])
        return [Document("gateways.json", self.to_dict),
                Table("countries", self.countries),
                Table("nodes", self.nodes, geometry=points),
                Table("links", self.links, geometry=shapes)]

    def ranked(self, kind: str, by: str = "share") -> pd.DataFrame:
        """The elements sorted by `share`, or by `loss` (unserved TEU, then extra cost if closed)."""
        df = self.frame(kind)
        if by == "share":
            return df.sort_values(["share", "disconnects_share"], ascending=False, kind="stable")
        if by == "loss":
            cols = [c for c in ("disconnects_share", "closed_unserved_teu", "closed_extra_usd_yr", "share")
                    if c in df.columns]
            return df.sort_values(cols, ascending=False, kind="stable", na_position="last")
        raise CorridorError(f"unknown ranking '{by}'; choose share or loss")

    @property
    def connected(self) -> bool:
        """Whether any route connects the two regions under this world (policy and network)."""
        return self.summary.get("reachable_share", 1.0) > 0 and self.summary["served_teu"] > 0

    def unconnected_answer(self) -> str:
        """What to say when no route connects the regions: plainly that, and what it leaves."""
        s = self.summary
        avoid = ", ".join(self.policy.get("avoid_countries", []))
        world = ((f"scenario {self.scenario}" if self.scenario else "this world")
                 + (f", avoiding {avoid}" if avoid else "") + ("; overland" if self.overland else ""))
        return (f"No route connects {self.from_region} and {self.to_region} under {world}: all "
                f"{s['demand_teu']:,.0f} TEU a year of their demand are left unserved, so there is "
                "nothing to rank and no cut to make.")

    def answer(self) -> str:
        """A few plain sentences: the top gateway, the single points and the cuts, with numbers."""
        s = self.summary
        pair = f"{self.from_region} → {self.to_region}"
        if not self.connected:
            return self.unconnected_answer()
        lines = [f"{pair}: {s['demand_teu']:,.0f} TEU a year of demand, {s['served_teu']:,.0f} served "
                 f"under this policy (mean {s['mean_days']:.1f} days, USD {s['mean_generalized_usd']:,.0f} "
                 "generalized per TEU)."]
        c = self.countries
        if len(c) and c["share"].iloc[0] > 0:
            top = c.iloc[0]
            line = f"Top gateway: {top['name']} ({top['country']}), {top['share']:.0%} of the flow"
            if "closed_unserved_teu" in c.columns and pd.notna(top.get("closed_unserved_teu")):
                lost = top["closed_unserved_teu"]
                if lost >= s["served_teu"] - 0.5:
                    line += f"; closing it leaves all {lost:,.0f} TEU/yr without a route"
                else:
                    days = top["closed_extra_days"]
                    when = ("" if not np.isfinite(days) else
                            f", {abs(days):.1f} days {'longer' if days >= 0 else 'shorter but dearer'}")
                    line += (f"; closing it leaves {lost:,.0f} TEU/yr without a route and moves the "
                             f"{top['closed_users_teu'] - lost:,.0f} TEU/yr that used it to their next-best "
                             f"option at USD {top['closed_extra_usd_per_teu']:,.0f} more per TEU"
                             f"{when} (USD {top['closed_extra_usd_yr']:,.0f}/yr)")
            lines.append(line + ".")
        cc = self.cut["countries"]
        if cc["single_points"]:
            sp = cc["single_points"]
            lines.append("Every route passes " + " and ".join(sp)
                         + f" (closing {'it' if len(sp) == 1 else 'any one of them'} disconnects the "
                         f"{pair} demand).")
        elif cc["unbounded"]:
            lines.append(f"No set of transit countries cuts {pair}: some route goes straight from one region "
                         "to the other (a sea lane or a common border).")
        else:
            lines.append(f"No single country carries every route; at least {cc['value']} must close "
                         f"to cut {pair} (e.g. {', '.join(cc['elements']) or '-'}).")
        nc = self.cut["nodes"]
        if nc["single_points"]:
            lines.append("Single nodes every route passes: " + ", ".join(nc["single_point_names"]) + ".")
        cap = self.cut["capacity"]
        if cap["unbounded"]:
            lines.append("Capacity cut: some route has no capacity figure on any of its elements.")
        elif cap["elements"]:
            names = ", ".join(e["name"] for e in cap["elements"])
            lines.append(f"Capacity bottleneck between the regions: {cap['value_teu_yr']:,.0f} TEU a year "
                         f"({names}).")
        return "\n".join(lines)

    def to_dict(self, top: int | None = None) -> dict:
        def rows(kind: str) -> list[dict]:
            df = self.ranked(kind)
            df = df[(df["share"] > 0) | (df["disconnects_share"] > 0)]
            if top is not None:
                df = df.head(top)
            return df.round(6).to_dict(orient="records")

        return {
            "from": self.from_region, "to": self.to_region,
            "from_countries": list(self.from_countries), "to_countries": list(self.to_countries),
            "scenario": self.scenario, "policy": self.policy, "overland": self.overland,
            "summary": self.summary, "connected": self.connected, "countries": rows("countries"),
            "nodes": rows("nodes"), "links": rows("links"), "cut": self.cut, "assignment": self.assignment,
            "answer": self.answer(), "notes": list(self.notes),
        }


def node_points(net: Network, ids: Iterable[object]) -> list[list[tuple[float, float]]]:
    """Each node's point (lon, lat); none for an id the network lacks."""
    idx, nodes = net.node_index, net.nodes
    return [[(float(nodes["lon"].iat[idx[str(i)]]), float(nodes["lat"].iat[idx[str(i)]]))]
            if str(i) in idx else [] for i in ids]


def link_shapes(net: Network, ids: Iterable[object]) -> list[list[tuple[float, float]]]:
    """Each link's shape; none for an id the network lacks."""
    idx = net.link_index
    return [net.link_coords(idx[str(i)]) if str(i) in idx else [] for i in ids]


def ocean_passages(net: Network) -> frozenset[str]:
    """Sea passages only deep-sea lanes use: avoiding them leaves no deep-sea lane open.

    Passages a short-sea or ferry link also uses (the Bosporus for Black Sea feeders) are kept.
    """
    lk = net.links
    deep = (lk["mode"] == "sea").to_numpy() & (lk["sea_area"] == "deep").to_numpy()

    def used(m: np.ndarray) -> set[str]:
        return {p for cell in lk.loc[m, "passages"] for p in str(cell).split(";") if p}

    return frozenset(used(deep) - used(~deep))


def _setting(net: Network, demand: Demand | None, scenario: str | Path | AppliedScenario | None,
             world: World | None, year: int | None, month: int | None, avoid: Iterable[str] | str | None,
             avoid_modes: Iterable[str] | str | None, avoid_passages: Iterable[str] | str | None,
             overland: bool) -> tuple[Network, World, World, Demand, str | None, list[str]]:
    """The network, the world, the region pair's own world (the world, overland if asked), the
    demand, the scenario's name and notes."""
    notes: list[str] = []
    name = None
    if scenario is not None:
        from ..scenarios.apply import AppliedScenario, apply_scenario

        applied = scenario if isinstance(scenario, AppliedScenario) else apply_scenario(scenario, network=net)
        if world is not None or year is not None:
            raise CorridorError("give a scenario or a world (or year), not both "
                                "(add --avoid to the scenario's policy)")
        net, world, name = applied.network, applied.world, applied.scenario.name
        if month is not None:
            world = world.in_month(month)
        demand = demand if demand is not None else applied.demand
    else:
        world = world_of(world, year=year, month=month)
    world = world.avoiding(avoid, avoid_modes, avoid_passages)
    demand = demand if demand is not None else load_demand()
    policy = world.policy
    policy.check(net)
    if scenario is None:  # a scenario's network already carries its restricted borders
        net = policy.apply_borders(net)
    region_world = world
    if overland:
        ocean = ocean_passages(net)
        region_world = world.avoiding(avoid_passages=sorted(ocean))
        notes.append("overland: the region pair's cargo keeps off deep-sea lanes (passages avoided: "
                     + ", ".join(sorted(ocean)) + "); all other cargo goes as the policy allows")
        lk = net.links
        deep = ((lk["mode"] == "sea") & (lk["sea_area"] == "deep")).to_numpy()
        if (deep & region_world.policy.link_mask(net)).any():
            notes.append("overland: some deep-sea lanes name no ocean passage and stay open")
    return net, world, region_world, demand, name, notes


def _regions(net: Network, from_region: str, to_region: str) -> tuple[frozenset[str], frozenset[str]]:
    from ..network.geopolitics import resolve_countries

    a = resolve_countries(from_region, known=net.countries)
    b = resolve_countries(to_region, known=net.countries)
    for label, spec, codes in (("--from", from_region, a), ("--to", to_region, b)):
        if not codes & net.countries:
            raise CorridorError(f"{label} '{str(spec)[:40]}' names no country of the network "
                                f"({', '.join(sorted(codes)) or 'none'})")
    both = a & b & net.countries
    if both:
        raise CorridorError(f"the two regions overlap ({', '.join(sorted(both))}); give disjoint regions")
    return a & net.countries, b & net.countries


def _element_incidence(net: Network, rs: ChoiceSet) -> dict[str, tuple[csr_matrix, np.ndarray]]:
    """Per element kind: routes x elements (1 where the route passes it) and the element keys."""
    g = net.graph
    on = np.flatnonzero(g.kind == LINK)
    n_e, n_n, n_l = g.n_edges, len(net.nodes), len(net.links)
    e_link = csr_matrix((np.ones(len(on)), (on, g.link[on])), shape=(n_e, n_l))
    e_node = csr_matrix((np.ones(2 * len(on)), (np.r_[on, on], np.r_[g.from_node[on], g.to_node[on]])),
                        shape=(n_e, n_n))
    countries = np.array(sorted(net.countries))
    ci = np.searchsorted(countries, net.nodes["country"].to_numpy(str))
    n_c = csr_matrix((np.ones(n_n), (np.arange(n_n), ci)), shape=(n_n, len(countries)))
    inc = rs.incidence
    r_node = (inc @ e_node)
    r_node.data[:] = 1.0
    r_country = r_node @ n_c
    r_country.data[:] = 1.0
    r_link = inc @ e_link
    r_link.data[:] = 1.0
    return {"countries": (r_country.tocsr(), countries),
            "nodes": (r_node.tocsr(), net.nodes["node_id"].to_numpy()),
            "links": (r_link.tocsr(), net.links["link_id"].to_numpy())}


def gateways(
    net: Network,
    demand: Demand | None = None,
    from_region: str = "central-asia",
    to_region: str = "eu",
    *,
    scenario: str | Path | AppliedScenario | None = None,
    world: World | None = None,
    avoid: Iterable[str] | str | None = None,
    avoid_modes: Iterable[str] | str | None = None,
    avoid_passages: Iterable[str] | str | None = None,
    year: int | None = None,
    month: int | None = None,
    overland: bool = False,
    closures: bool = True,
    top: int = 12,
    min_share: float = 0.01,
    repair: bool = True,
    params: AssignmentParams | None = None,
) -> GatewayResult:
    """Rank the countries, nodes and links between two regions by flow share and closure loss.

    `from_region`/`to_region`: a region, bloc or comma list of ISO3 codes (`central-asia`,
    `eu`, `KAZ,UZB`). `scenario` (a bundled name, a path or an applied scenario, applied to `net`)
    gives the network, world and demand; otherwise `world` or `year` (default: everything open as
    the data has it). `avoid`, `avoid_modes` and `avoid_passages` add to either; `overland` drops
    the deep-sea lanes.
    Closures are run for at most `top` elements of each kind with at least `min_share` of the
    flow (`closures=False`: none). `repair` searches new routes for OD pairs a closure leaves
    without any (otherwise they count as unserved even when another way exists).
    """
    import time

    t0 = time.perf_counter()
    net, world, rworld, demand, scn_name, notes = _setting(net, demand, scenario, world, year, month, avoid,
                                                           avoid_modes, avoid_passages, overland)
    policy = world.policy
    a, b = _regions(net, from_region, to_region)
    for label, codes in (("from", a), ("to", b)):
        hit = codes & policy.avoid_countries
        if hit:
            raise CorridorError(f"the policy avoids {', '.join(sorted(hit))}, part of the '{label}' region")
    classes = demand_classes(demand)
    if not classes:
        raise CorridorError("the demand table is empty")
    pairs = od_pairs(net, demand, classes)
    country = net.nodes["country"].to_numpy(str)
    region_pairs = [(o, d) for o, d in pairs if country[o] in a and country[d] in b]
    if not region_pairs:
        raise CorridorError(f"the demand has no flow from {from_region} ({', '.join(sorted(a))}) to "
                            f"{to_region} ({', '.join(sorted(b))})")
    params = params or AssignmentParams.load()
    other_pairs = [p for p in pairs if p not in set(region_pairs)]
    rs = choice_set(net, other_pairs, world=world, commodities=classes, missing="skip")
    rs = merge_choice_sets(rs, choice_set(net, region_pairs, world=rworld, commodities=classes,
                                        missing="skip"))
    res = assign(net, demand, method="sue", world=world, routes=rs, unserved="report", params=params)
    ridx = route_index(res, rs, net)
    paths = res.paths
    if paths is None:  # route_index has refused a result without paths already
        raise CorridorError("the assignment kept no routes")
    node_country = dict(zip(net.nodes["node_id"].to_numpy(), country, strict=True))
    in_region = (paths["origin"].map(node_country).isin(a)
                 & paths["destination"].map(node_country).isin(b)).to_numpy()
    w = np.bincount(ridx[in_region], weights=paths["teu"].to_numpy()[in_region], minlength=len(rs))
    dem = demand.table
    dem_region = dem[dem["origin"].map(node_country).isin(a) & dem["destination"].map(node_country).isin(b)]

    inc = _element_incidence(net, rs)
    frames = _share_frames(net, res, inc, w, a | b, {i for p in region_pairs for i in p})
    mask = rworld.policy.edge_mask(net)
    q_base, cut = _structure(net, frames, mask, dem_region, region_pairs, (a, b))
    n_closed = 0
    if closures:
        base_tab = perceived_costs(net, res, rs, params, ridx)
        o_c = base_tab.index.get_level_values(0).map(node_country)
        d_c = base_tab.index.get_level_values(1).map(node_country)
        closer = Closer(net, demand, (world, rworld, set(region_pairs)), classes, pairs, rs, params,
                        base_tab, np.asarray(o_c.isin(a) & d_c.isin(b), dtype=bool),
                        choice_frame(net, paths, rs, ridx, params, base_tab["scale"]), in_region,
                        (policy.edge_mask(net), mask), repair)
        n_closed = close_elements(closer, frames, inc, min_share, top)
    for kind, df in frames.items():
        df = df.sort_values(["share", "disconnects_share"], ascending=False,
                            kind="stable").reset_index(drop=True)
        df.insert(0, "rank", np.arange(1, len(df) + 1))
        frames[kind] = df
    summary = _summary(paths[in_region], float(dem_region["teu_per_year"].sum()), float(w.sum()), q_base,
                       len(region_pairs))
    return GatewayResult(
        from_region=str(from_region), to_region=str(to_region), from_countries=tuple(sorted(a)),
        to_countries=tuple(sorted(b)), scenario=scn_name, policy=policy.to_dict(), overland=overland,
        summary=summary, countries=frames["countries"], nodes=frames["nodes"], links=frames["links"],
        cut=cut, notes=notes,
        assignment={"method": "sue", "rgap": res.rgap, "iterations": res.iterations, "routes": len(rs),
                    "closures": n_closed, "seconds": round(time.perf_counter() - t0, 2)},
    )


def _share_frames(net: Network, res: FlowResult, inc: dict[str, tuple[csr_matrix, np.ndarray]], w: np.ndarray,
                  regions: frozenset[str], endpoints: set[int]) -> dict[str, pd.DataFrame]:
    """Per kind, each element's TEU of the region pair (`w`: per route) and its share of what is
    served; countries of the regions and the pair's endpoints are left out."""
    served = float(w.sum())
    frames: dict[str, pd.DataFrame] = {}
    for kind, (m, keys) in inc.items():
        teu = m.T @ w
        frames[kind] = pd.DataFrame({"key": keys, "teu": teu, "share": teu / served if served else 0.0})
    cdf = frames["countries"].rename(columns={"key": "country"})
    cdf = cdf[~cdf["country"].isin(regions)]
    cdf.insert(1, "name", cdf["country"].map(_country_names()).fillna(cdf["country"]))
    ndf = frames["nodes"].rename(columns={"key": "node_id"})
    ndf.insert(1, "name", net.nodes["name"].to_numpy())
    ndf.insert(2, "country", net.nodes["country"].to_numpy(str))
    ndf.insert(3, "kind", net.nodes["kind"].to_numpy())
    ndf["flow_teu"] = res.nodes["flow_teu"].to_numpy()  # all the demand through it, not only the pair's
    ndf["v_c"] = res.nodes["v_c"].to_numpy()
    ndf = ndf[~ndf.index.isin(list(endpoints))]
    lk = net.links
    ldf = frames["links"].rename(columns={"key": "link_id"})
    ldf.insert(1, "name", lk["name"].to_numpy())
    ldf.insert(2, "mode", lk["mode"].to_numpy())
    ldf.insert(3, "from_node_id", lk["from_node_id"].to_numpy())
    ldf.insert(4, "to_node_id", lk["to_node_id"].to_numpy())
    ldf["flow_teu"] = res.links["flow_teu"].to_numpy()
    ldf["capacity_teu_yr"] = res.links["capacity_teu_yr"].to_numpy()
    ldf["v_c"] = res.links["v_c"].to_numpy()
    return {"countries": cdf, "nodes": ndf, "links": ldf}


def _structure(net: Network, frames: dict[str, pd.DataFrame], mask: np.ndarray, dem_region: pd.DataFrame,
               region_pairs: list[tuple[int, int]],
               regions: tuple[frozenset[str], frozenset[str]]) -> tuple[float, dict]:
    """The region demand reachable at all, each element's `disconnects_share` and `single_point`
    (added to `frames`), and the minimum cut at each level with its single points."""
    region_q = dem_region.groupby(["origin", "destination"])["teu_per_year"].sum()
    q_of = {(net.node_index[o], net.node_index[d]): float(v) for (o, d), v in region_q.items()}
    reach = Reachability(net, region_pairs)
    base_reach = reach.reachable(mask)
    q_base = sum(q_of.get(p, 0.0) for p in base_reach)
    for kind, df in frames.items():
        cand = df[(df["share"] > 0)] if kind != "countries" else df
        disc = {}
        for key in cand[ELEMENT_KEYS[kind]]:
            closed = closed_edges(net, kind, key)
            if not (closed & mask).any():
                continue
            lost = base_reach - reach.reachable(mask & ~closed)
            disc[key] = sum(q_of.get(p, 0.0) for p in lost) / q_base if q_base > 0 else 0.0
        df["disconnects_share"] = df[ELEMENT_KEYS[kind]].map(disc).fillna(0.0).to_numpy()
        df["single_point"] = df["disconnects_share"] >= 1.0 - 1e-9
    sources = {o for o, _ in region_pairs}
    sinks = {d for _, d in region_pairs}
    cut = {}
    for level in CUT_LEVELS:
        cut[level] = minimum_cut(net, mask, sources, sinks, level, regions)
    for kind in KINDS:  # the unit levels are named as the kinds
        df = frames[kind]
        cut[kind]["single_points"] = df.loc[df["single_point"], ELEMENT_KEYS[kind]].tolist()
        cut[kind]["single_point_names"] = df.loc[df["single_point"], "name"].tolist()
    cut["countries"]["note"] = ("countries whose closure alone disconnects the regions are exact (search on "
                                "the compiled graph); the minimum cut treats each country as one vertex")
    return q_base, cut


def _summary(reg_paths: pd.DataFrame, demand_teu: float, served: float, q_base: float, n_pairs: int) -> dict:
    """The region pair at baseline: demand, served, reachable share, days, cost, corridor split."""
    tw = reg_paths["teu"].to_numpy()
    corridors = reg_paths.groupby("corridor")["teu"].sum()
    return {
        "demand_teu": demand_teu, "served_teu": served,
        "unserved_teu": float(max(demand_teu - served, 0.0)),
        "reachable_share": q_base / demand_teu if demand_teu else 0.0,
        "mean_days": float(np.average(reg_paths["days"], weights=tw)) if tw.sum() > 0 else np.nan,
        "mean_generalized_usd": float(np.average(reg_paths["generalized_usd"], weights=tw))
        if tw.sum() > 0 else np.nan,
        "corridors_teu": {k: float(v) for k, v in corridors.items() if v > 0},
        "od_pairs": n_pairs,
    }


def _country_names() -> dict[str, str]:
    try:
        from ..network.geopolitics import country_table

        ct = country_table()
        return dict(zip(ct["iso3"], ct["name"], strict=True))
    except CorridorError:
        return {}


def gateways_diff(a: GatewayResult, b: GatewayResult, kind: str = "countries") -> pd.DataFrame:
    """Share, single-point status and closure loss of each element in `a` and `b`, and the change."""
    key = ELEMENT_KEYS[kind]
    cols = [key, "name", "share", "single_point", "teu"]
    fa, fb = a.frame(kind)[cols], b.frame(kind)[cols]
    m = fa.merge(fb, on=[key], how="outer", suffixes=("_a", "_b"))
    m["name"] = m["name_a"].fillna(m["name_b"])
    for c in ("share", "teu"):
        m[f"{c}_a"] = m[f"{c}_a"].fillna(0.0)
        m[f"{c}_b"] = m[f"{c}_b"].fillna(0.0)
    for c in ("single_point_a", "single_point_b"):
        m[c] = m[c].fillna(False).astype(bool)
    m["share_change"] = m["share_b"] - m["share_a"]
    m["teu_change"] = m["teu_b"] - m["teu_a"]
    m = m[(m["share_a"] > 0) | (m["share_b"] > 0) | m["single_point_a"] | m["single_point_b"]]
    out = m[[key, "name", "share_a", "share_b", "share_change", "teu_a", "teu_b", "teu_change",
             "single_point_a", "single_point_b"]]
    return out.sort_values("share_change", key=np.abs, ascending=False, kind="stable").reset_index(drop=True)
