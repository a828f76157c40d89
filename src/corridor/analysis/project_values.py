"""What sets of projects are worth to the assigned flows, year by year: the worlds with and without
them, one route set for all of them, and each world's assignment and log-sum welfare.

`ProjectValues` is what `appraisal.appraise` asks: the benefit of a set of projects in a year
(`benefit`), against the world without any. Each set's world is the base world with each
project's costs and open edges put in where that is exact (`project_sets`), else the scenario
applied; every world is assigned over one route set (the union of the route sets without any
project, with all, and with each that changes more than capacities) from its free-flow shares.

The route searches of those worlds, and the assignments of the sets the portfolio will value
(`evaluate_all`), are independent of one another: they run on two worker processes forked from
this one where that is safe (`corridor.forking.forked_map`), with the same answers as one after the
other.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..assignment.choice_sets import ChoiceSet, choice_set
from ..assignment.freight import assign_routes
from ..assignment.params import AssignmentParams
from ..assignment.welfare import (
    demand_classes,
    log_path_sizes,
    merge_choice_sets,
    od_pairs,
    perceived_costs,
    route_index,
    route_keys,
    route_subset,
)
from ..costs import edge_costs
from ..demand import Demand
from ..errors import CorridorError
from ..forking import forked_map
from ..network.policy import Policy, split_avoid
from ..network.tables import Network
from ..scenarios.schema import CaspianSpec, Infrastructure, LinkChange, Scenario
from .project_sets import ProjectWorlds, SetWorld
from .projects import Project, ProjectSet

CAPACITY_FIELDS = {"capacity_teu_yr", "capacity_t_yr", "notes", "name"}


class ProjectValues:
    """Annual benefits of sets of projects, by re-assigning grown demand on the rebuilt network."""

    def __init__(self, projects: ProjectSet, net: Network, scenario, avoid, demand: Demand | None,
                 params: AssignmentParams, growth: float, rgap: float, progress):
        from ..scenarios.validate import load_scenario

        self.projects = projects
        self.net = net
        self.params = params
        self.growth = growth
        self.rgap = rgap
        self.progress = progress
        self.base = (load_scenario(scenario, network=net) if scenario is not None
                     else Scenario(name="projects"))
        if projects.sources:
            self.base = self.base.model_copy(update={"sources": [*self.base.sources, *projects.sources]})
        avoid, avoid_modes, avoid_passages = avoid
        codes, groups = split_avoid(avoid)
        modes, passages = _listed(avoid_modes), _listed(avoid_passages)
        if codes or groups or modes or passages:
            have = self.base.policies
            pol = have.model_copy(update={"avoid": [*have.avoid, *codes, *groups],
                                          "avoid_modes": [*have.avoid_modes, *modes],
                                          "avoid_passages": [*have.avoid_passages, *passages]})
            self.base = self.base.model_copy(update={"policies": pol})
        self._applied: dict[frozenset, object] = {}
        from ..scenarios.apply import apply_scenario

        # the base world as it is, before any project: which elements exist, which links are open
        self.base_world = apply_scenario(self.base, network=net).network
        self._have_nodes = set(self.base_world.nodes["node_id"])
        self._have_links = set(self.base_world.links["link_id"])
        self.year = self.base.year
        self._base_open = dict(zip(self.base_world.links["link_id"], _open_links(self.base_world, self.year),
                                   strict=True))
        empty = self.applied(frozenset())
        self.demand = demand if demand is not None else empty.demand
        self.demand_year = int(self.base.demand.year)
        self.policy = empty.policy
        self.classes = demand_classes(self.demand)
        if not self.classes:
            raise CorridorError("the demand table is empty")
        self.pairs = od_pairs(empty.network, self.demand, self.classes)
        self._routes: ChoiceSet | None = None
        self._log_ps: np.ndarray | None = None
        self._keep: dict[frozenset, np.ndarray] = {}
        self._subsets: dict[bytes, tuple[ChoiceSet, np.ndarray]] = {}
        self._leaner: dict[frozenset, frozenset] = {}
        self._cache: dict[tuple, dict] = {}
        self._base_tab: dict[int, pd.DataFrame] = {}
        self._demand: dict[int, Demand] = {}
        self._worlds: ProjectWorlds | None = None
        self.assignments = 0

    # ---- worlds
    def applied(self, built: frozenset):
        if built not in self._applied:
            from ..scenarios.apply import apply_scenario

            nodes, links = list(self.base.infrastructure.nodes), list(self.base.infrastructure.links)
            have_nodes, have_links = self._have_nodes, self._have_links
            for p in self.projects:
                for nc in p.nodes:
                    if p.id in built or nc.id not in have_nodes:
                        nodes.append(nc)
                for lc in p.links:
                    opens = self.opens(lc)
                    if p.id in built:
                        links.append(lc.model_copy(update={"status": "open", "opening_year": None})
                                     if opens else lc)
                    elif opens:
                        links.append(lc.model_copy(update={"status": "closed", "opening_year": None})
                                     if lc.id not in have_links
                                     else LinkChange(id=lc.id, status="closed", source=list(lc.source)))
            update: dict[str, Infrastructure | CaspianSpec] = {
                "infrastructure": Infrastructure(nodes=nodes, links=links)}
            caspian = _merged_caspian(self.base.caspian, [p.caspian for p in self.projects if p.id in built])
            if caspian is not None:
                update["caspian"] = caspian
            s = self.base.model_copy(update=update)
            self._applied[built] = apply_scenario(s, network=self.net)
        return self._applied[built]

    def opens(self, lc: LinkChange) -> bool:
        """Whether a project's link change opens a link: a new link, or one the project says is
        open (or planned) that is closed or not yet open in the base world. A link that opens
        is closed in every world that lacks the project; restating `status: open` on a link
        that is already open opens nothing."""
        if lc.id not in self._have_links:
            return True
        return lc.status in ("open", "planned") and not self._base_open[lc.id]

    def unchanged(self, p: Project) -> list[str]:
        """The project's changes that leave the base world as it is (they restate it): each as
        'node ID' or 'link ID'. A new node or link is never one."""
        base, mine = self.base_world, self.applied(frozenset([p.id])).network
        open_mine = _open_links(mine, self.year)
        out = []
        for nc in p.nodes:
            if nc.id in self._have_nodes and _same_row(base.nodes.iloc[base.node_index[nc.id]],
                                                       mine.nodes.iloc[mine.node_index[nc.id]]):
                out.append(f"node {nc.id}")
        for lc in p.links:
            if lc.id not in self._have_links:
                continue
            j = mine.link_index[lc.id]
            if (self._base_open[lc.id] == bool(open_mine[j])
                    and _same_row(base.links.iloc[base.link_index[lc.id]], mine.links.iloc[j])):
                out.append(f"link {lc.id}" + (", already open" if lc.status in ("open", "planned")
                                              and self._base_open[lc.id] else ""))
        return list(dict.fromkeys(out))

    def _aligned(self, net: Network) -> bool:
        g0, g = self.applied(frozenset()).network.graph, net.graph
        return g0.n_edges == g.n_edges and np.array_equal(g0.src, g.src) and np.array_equal(g0.dst, g.dst)

    # ---- one route set for every world
    def routes(self) -> ChoiceSet:
        """Union of the route sets without any project, with all, and with each project that
        changes more than capacities (capacity alone does not change free-flow routes)."""
        if self._routes is None:
            worlds = [frozenset(), frozenset(self.projects.ids)]
            worlds += [frozenset([p.id]) for p in self.projects if _changes_routes(p)]
            applied = [self.applied(w) for w in dict.fromkeys(worlds)]
            for ap in applied:
                if not self._aligned(ap.network):
                    raise CorridorError("a project changes the network's structure (a node's transshipment "
                                        "or a link's mode or gauge); the appraisal needs changes that "
                                        "keep it")

            if self.progress:
                self.progress(f"route sets ({len(applied)} worlds)")

            # each world's OD pairs in two halves (a pair's routes do not depend on the others asked:
            # the halves' route sets, one after the other, are the world's), so two workers share
            # five worlds evenly
            half = len(self.pairs) // 2
            parts = [(ap, pairs) for ap in applied for pairs in (self.pairs[:half], self.pairs[half:])]

            def search(k: int) -> ChoiceSet:
                ap, pairs = parts[k]
                return choice_set(ap.network, pairs, world=ap.world, commodities=self.classes, missing="skip")

            rs = None
            # the searches share nothing; meanwhile this process makes each project's world
            for r in forked_map(search, len(parts), meanwhile=lambda: self.worlds):
                rs = r if rs is None else merge_choice_sets(rs, r)
            assert rs is not None  # the world without projects at least
            seen: dict[bytes, int] = {}
            for i, rk in enumerate(route_keys(rs)):
                seen.setdefault(rk, i)
            self._routes = route_subset(rs, sorted(seen.values()))
            self._log_ps = log_path_sizes(self.applied(frozenset()).network, self._routes)
            # a set's world is the base world with each project's changes put in, where that is the
            # world the scenario makes (checked on the world with every project, built above)
            everything = frozenset(self.projects.ids)
            self.worlds.check(everything, self._set_world(everything))
        return self._routes

    def _set_world(self, built: frozenset) -> SetWorld:
        """The set's world as the scenario makes it: what the assignment reads of it."""
        ap = self.applied(built)
        net = ap.network
        return SetWorld(edge_costs(net, ap.world.with_terms(self.params.terms)), ap.policy.edge_mask(net),
                        (net.graph.usd, net.graph.co2, net.graph.hours))

    @property
    def worlds(self) -> ProjectWorlds:
        if self._worlds is None:
            self._worlds = ProjectWorlds(self.projects.ids, self._set_world)
        return self._worlds

    def _kept(self, built: frozenset, mask: np.ndarray) -> np.ndarray:
        """The routes of the union that the set's open edges (`mask`) leave."""
        if built not in self._keep:
            self._keep[built] = np.flatnonzero((self.routes().incidence @ (~mask).astype(float)) == 0)
        return self._keep[built]

    def _routes_for(self, built: frozenset, mask: np.ndarray) -> tuple[ChoiceSet, np.ndarray]:
        """The set's routes, one object for the sets that keep the same routes (the last few): what
        the assignment works out from its routes is kept on it for the next year and set."""
        keep = self._kept(built, mask)
        key = keep.tobytes()
        if key not in self._subsets:
            rs, log_ps = self.routes(), self._log_ps
            assert log_ps is not None  # made with the routes
            if len(self._subsets) >= 4:
                del self._subsets[next(iter(self._subsets))]
            self._subsets[key] = (route_subset(rs, keep), log_ps[keep])
        return self._subsets[key]

    def _lean(self, built: frozenset) -> frozenset:
        """`built` less the projects that change nothing its assignment reads (`ProjectWorlds.inert`):
        the same assignment, done once. Kept per set (asked again by each year and by `evaluate_all`)."""
        routes = self.routes()  # made first: its check decides which sets are composed
        if built not in self._leaner:
            if not built or not self.worlds.composable(built):
                self._leaner[built] = built
            else:
                keep = self._kept(built, self.worlds.world(built).mask)
                used = np.asarray(routes.incidence[keep].sum(axis=0)).ravel() > 0
                self._leaner[built] = built - self.worlds.inert(built, used)
        return self._leaner[built]

    def _leanest(self, built: frozenset) -> frozenset:
        """The set `evaluate(built)` assigns: `_lean` until it changes nothing."""
        while (lean := self._lean(built)) != built:
            built = lean
        return built

    # ---- one world in one year
    def demand_in(self, year: int) -> Demand:
        """The demand grown to `year` (one table per year: every world of that year assigns it)."""
        if year not in self._demand:
            f = (1.0 + self.growth) ** (year - self.demand_year)
            t = self.demand.table.copy()
            for col in ("teu_per_year", "t_per_year"):
                t[col] = t[col].astype(float) * f
            self._demand[year] = Demand(table=t, source=f"{self.demand.source} x{f:.3f} ({year})")
        return self._demand[year]

    def evaluate_all(self, keys: Iterable[tuple[frozenset, int]]) -> None:
        """Assign every (set, year) of `keys` not yet assigned, on two forked processes where that is
        safe (`forked_map`): the same assignments `evaluate` makes one by one, each once, with the
        same answers (each is a function of its set and year alone, given the route set and each
        year's world without projects, made here first)."""
        keys = list(keys)
        for year in dict.fromkeys(y for _, y in keys):
            self.evaluate(frozenset(), year)
        todo = [k for k in dict.fromkeys((self._leanest(b), y) for b, y in keys) if k not in self._cache]
        if len(todo) < 2:
            return
        # runs of keys (a set's years, and neighbouring sets, share what is kept on their routes),
        # several per worker so that one that finishes early takes more
        n = min(8, len(todo))
        chunks = [todo[i * len(todo) // n:(i + 1) * len(todo) // n] for i in range(n)]

        def run(k: int) -> list[tuple[tuple[frozenset, int], dict]]:
            return [(key, self.evaluate(*key)) for key in chunks[k]]

        for done in forked_map(run, len(chunks)):
            for key, out in done:
                if key not in self._cache:
                    self._cache[key] = out
                    self.assignments += 1

    def evaluate(self, built: frozenset, year: int) -> dict:
        key = (built, year)
        if key in self._cache:
            return self._cache[key]
        if built and year not in self._base_tab:
            self.evaluate(frozenset(), year)
        self.routes()
        lean = self._lean(built)
        if lean != built:
            self._cache[key] = self.evaluate(lean, year)
            return self._cache[key]
        world = self.worlds.world(built)
        # a composed world is assigned on the base network (the same compiled graph) with its own costs
        ap = self.applied(built if built in self._applied else frozenset())
        net = ap.network
        rs, lps = self._routes_for(built, world.mask)
        # every world starts from its free-flow shares: a start from another world's loads converges
        # too, but its error no longer cancels in the difference of two worlds (a small project's
        # benefit moved by up to 13%)
        res = assign_routes(net, self.demand_in(year), rs, world=ap.world, params=self.params,
                            costs=world.costs, rgap=self.rgap)
        self.assignments += 1
        ridx = route_index(res, rs, net)
        scale = self._base_tab[year]["scale"] if year in self._base_tab else None
        tab = perceived_costs(net, res, rs, self.params, ridx, scale=scale, log_ps=lps)
        if not built:
            self._base_tab[year] = tab
        p = res.paths
        vot = p["commodity"].map(self._values_of_time(net)).to_numpy()
        parts = {"tariff_usd": float((p["teu"] * p["usd_per_teu"]).sum()),
                 "time_usd": float((p["teu"] * vot * 24 * p["free_flow_days"]).sum()),
                 "queue_usd": float((p["teu"] * vot * 24 * (p["days"] - p["free_flow_days"])).sum())}
        out = {"table": tab, "parts": parts, "unserved_teu": float(res.unserved["teu"].sum())}
        self._cache[key] = out
        return out

    def _values_of_time(self, net: Network) -> dict[str, float]:
        """USD per TEU-hour of each class, kept per network (its commodities table)."""
        key = ("project_values.vot", tuple(self.classes))
        if key not in net.cache:
            net.cache[key] = {c: net.value_of_time(c) for c in self.classes}
        return net.cache[key]

    def benefit(self, built: frozenset, year: int) -> dict:
        """The year's benefit of the set `built` against no project: USD and its parts."""
        base = self.evaluate(frozenset(), year)
        if not built:
            return {"benefit_usd": 0.0, "tariff_usd": 0.0, "time_usd": 0.0, "queue_usd": 0.0,
                    "newly_served_teu": 0.0}
        cur = self.evaluate(built, year)
        b, c = base["table"], cur["table"]
        both = b.index.intersection(c.index)
        q = b.loc[both, "teu"]
        gain = float((q * (b.loc[both, "usd"] - c.loc[both, "usd"])).sum())
        out = {"benefit_usd": gain,
               **{k: base["parts"][k] - cur["parts"][k] for k in ("tariff_usd", "time_usd", "queue_usd")},
               "newly_served_teu": max(0.0, base["unserved_teu"] - cur["unserved_teu"])}
        return out


def _merged_caspian(base: CaspianSpec | None, changes: list[CaspianSpec | None]) -> CaspianSpec | None:
    """The scenario's Caspian crossing with the built projects' ships and port works added."""
    built = [c for c in changes if c is not None]
    if not built:
        return base
    d = base.model_dump(by_alias=True) if base is not None else {"source": []}
    for key in ("vessels_add", "deepen_m"):
        d[key] = dict(d.get(key) or {})
        for c in built:
            for k, v in getattr(c, key).items():
                d[key][k] = d[key].get(k, 0) + v
    berths = {k: dict(v) for k, v in (d.get("berths_add") or {}).items()}
    for c in built:
        for port, kinds in c.berths_add.items():
            for kind, n in kinds.items():
                berths.setdefault(port, {})[kind] = berths.get(port, {}).get(kind, 0) + n
    d["berths_add"] = berths
    d["source"] = list(dict.fromkeys([*d.get("source", []), *(s for c in built for s in c.source)]))
    return CaspianSpec.model_validate(d)


def _listed(v: Iterable[str] | str | None) -> list[str]:
    items = v.split(",") if isinstance(v, str) else list(v or ())
    return [s.strip().lower() for s in items if s and s.strip()]


def _open_links(net: Network, year: int | None) -> np.ndarray:
    """Per link: open in `net` in `year` by its status and opening year (the policy's rule,
    nothing avoided)."""
    return Policy(year=year).link_mask(net)

_NOT_COMPARED = ("name", "notes", "status", "opening_year", "source_id")


def _same_row(a: pd.Series, b: pd.Series) -> bool:
    """Whether two rows of a nodes or links table agree on everything that matters to the model
    (names, notes, sources and a link's status and opening year left out)."""
    for col in a.index:
        if col in _NOT_COMPARED or col.endswith("_source") or col not in b.index:
            continue
        x, y = a[col], b[col]
        x_na, y_na = bool(np.isscalar(x) and pd.isna(x)), bool(np.isscalar(y) and pd.isna(y))
        if x_na or y_na:
            if x_na != y_na:
                return False
            continue
        if isinstance(x, int | float | np.number) and isinstance(y, int | float | np.number):
            if not np.isclose(float(x), float(y), rtol=1e-9, atol=0.0):
                return False
        elif x != y:
            return False
    return True


def _changes_routes(p: Project) -> bool:
    """Whether a project can change which routes are best at free flow (not capacity alone)."""
    if p.links and any(set(lc.model_dump(exclude_none=True, exclude={"id", "source"})) - CAPACITY_FIELDS
                       for lc in p.links):
        return True
    return any(set(nc.model_dump(exclude_none=True, exclude={"id", "source"})) - CAPACITY_FIELDS
               for nc in p.nodes)
