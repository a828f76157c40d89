"""Investment appraisal: what each project is worth to the assigned flows, and the best portfolio
under a budget.

    >>> from corridor.appraisal import appraise, read_projects
    >>> projects = read_projects()                     # the bundled list (data/projects.csv)
    >>> a = appraise(projects, budget_usd=2e9, horizon=2040, discount=0.06)
    >>> a.projects[["id", "cost_usd", "pv_benefit_usd", "npv_usd", "bcr"]]
    >>> a.portfolio.chosen, a.portfolio.npv_usd

**Projects.** A project is a cost, an opening year and changes to the network in the scenario
infrastructure format (`corridor.scenarios`: a node's or link's capacity, hours, tariff or
status, or a new link or node), each change with its sources. A file is CSV (one row per
changed field: project_id, name, cost_usd, cost_source, opening_year, element, element_id,
field, value, source_id, notes; the project's own fields on its first row) or YAML (`projects:`
a list with `id`, `name`, `cost_usd`, `cost_source`, `opening_year`, `infrastructure: {nodes,
links}`, and an optional file-level `sources:` list). Every problem is reported at once with
its file, row (or line and YAML path) and field.

**Value.** With a set S of projects built, the network is rebuilt (a link a project opens is
closed in every world that lacks the project, so all worlds share one compiled graph), the
demand grown to year t is assigned (the calibrated path-size logit), and the year's benefit
is the fall in the shippers' expected perceived generalized cost (the logit's log-sum, in USD,
with the path sizes and cost scales of the without-project world held fixed): time, tariff and
queueing at capacity, in one number. It is computed at three years (the base year, the middle
and the horizon) and interpolated between them; a project counts from its opening year; the
benefits to the horizon are discounted to the base year; costs count in full in the base year
(no residual value, no credit for later spending). NPV = PV(benefits) - cost, BCR = PV/cost.

**Portfolio.** A mixed-integer programme (`scipy.optimize.milp`, HiGHS) maximises NPV under
the budget: each project's value alone, plus a pairwise interaction term (value of the pair
less the two alone, by re-assignment) for pairs that could interact (they change a common
node, or change the costs of common OD flows). Interactions beyond pairs are corrected where
it matters: the chosen set is re-assigned as a whole; if its true value differs from the
programme's, that set's exact value enters the programme (a term active only for exactly that
set) and it is solved again, until the chosen set is one whose value is exact. The best set
found is returned; with pairwise interactions only, it is the optimum.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from .demand import Demand
from .errors import CorridorError, Problem, ValidationError
from .flows import AssignmentParams, RouteSet, assign, route_set
from .gateways import _merge_routes, _route_keys, _subset, path_sizes, perceived_costs, route_index
from .io import _read_text_csv
from .network import Network, bundled_data_dir, load_network
from .policy import split_avoid
from .scenario_format import Infrastructure, LinkChange, NodeChange, Scenario, SourceEntry, SourceRef

__all__ = ["Appraisal", "Portfolio", "Project", "ProjectSet", "appraise", "read_projects",
           "select_portfolio"]

BUNDLED = "projects.csv"
CSV_COLUMNS = ("project_id", "name", "cost_usd", "cost_source", "opening_year", "element", "element_id",
               "field", "value", "source_id")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
YEARS = (2000, 2100)
NODE_FIELDS = tuple(n for n in NodeChange.model_fields if n not in ("id", "source"))
LINK_FIELDS = tuple((f.alias or n) for n, f in LinkChange.model_fields.items() if n not in ("id", "source"))
CAPACITY_FIELDS = {"capacity_teu_yr", "capacity_t_yr", "notes", "name"}
DEFAULTS = {"base_year": 2026, "horizon": 2040, "discount": 0.06, "growth": 0.04}
GROWTH_SOURCE = "trend_wb_freight_2030"


# ------------------------------------------------------------------ projects


@dataclass(frozen=True)
class Project:
    """One investment: its cost, opening year and changes to the network (scenario format)."""

    id: str
    name: str
    cost_usd: float
    opening_year: int
    nodes: tuple[NodeChange, ...] = ()
    links: tuple[LinkChange, ...] = ()
    cost_source: tuple[str, ...] = ()
    notes: str = ""

    def footprint(self, net: Network | None = None) -> frozenset[str]:
        """Node ids the project changes, or at the ends of the links it changes."""
        out = {n.id for n in self.nodes}
        ends = {}
        if net is not None:
            lk = net.links
            pairs = zip(lk["from_node_id"], lk["to_node_id"], strict=True)
            ends = dict(zip(lk["link_id"], pairs, strict=True))
        for lc in self.links:
            out |= {x for x in (lc.from_, lc.to, *ends.get(lc.id, ())) if x}
        return frozenset(out)

    def describe(self) -> list[str]:
        out = []
        for nc in self.nodes:
            vals = nc.model_dump(exclude={"id", "source", "notes"}, exclude_none=True)
            out.append(f"node {nc.id}: " + ", ".join(f"{k} {_num(v)}" for k, v in vals.items()))
        for lc in self.links:
            vals = lc.model_dump(exclude={"id", "source", "notes"}, exclude_none=True, by_alias=True)
            out.append(f"link {lc.id}: " + ", ".join(f"{k} {_num(v)}" for k, v in vals.items()))
        return out

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "cost_usd": self.cost_usd,
                "opening_year": self.opening_year,
                "cost_source": list(self.cost_source), "notes": self.notes, "changes": self.describe(),
                "sources": sorted({s for c in (*self.nodes, *self.links) for s in c.source})}


def _num(v) -> str:
    return f"{v:,.0f}" if isinstance(v, float) and v == int(v) and abs(v) >= 1000 else str(v)


@dataclass(frozen=True)
class ProjectSet:
    """The projects of one file, in file order, with the file's own sources (YAML only)."""

    projects: tuple[Project, ...]
    sources: tuple[SourceEntry, ...] = ()
    path: str = ""

    def __len__(self) -> int:
        return len(self.projects)

    def __iter__(self):
        return iter(self.projects)

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.projects]

    def get(self, pid: str) -> Project:
        for p in self.projects:
            if p.id == pid:
                return p
        raise CorridorError(f"unknown project '{pid[:60]}'; projects: {', '.join(self.ids)}")

    def subset(self, ids: Iterable[str]) -> ProjectSet:
        keep = set(ids)
        return replace(self, projects=tuple(p for p in self.projects if p.id in keep))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"id": p.id, "name": p.name, "cost_usd": p.cost_usd,
                              "opening_year": p.opening_year, "changes": "; ".join(p.describe())}
                             for p in self.projects])


class YamlProblem(Problem):
    """A problem in a YAML projects file: `row` is its line, `column` its YAML path."""

    def __str__(self) -> str:
        where = self.file + (f", line {self.row}" if self.row is not None else "")
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class _ProjectSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=60)
    name: str = Field(min_length=1)
    cost_usd: float = Field(gt=0, allow_inf_nan=False)
    cost_source: SourceRef = Field(min_length=1, description="Source ids for the cost")
    opening_year: int = Field(ge=YEARS[0], le=YEARS[1])
    notes: str = ""
    infrastructure: Infrastructure


class _ProjectsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    projects: list[_ProjectSpec] = Field(min_length=1)
    sources: list[SourceEntry] = Field(default_factory=list)


def read_projects(path: str | Path | None = None, *, network: Network | None = None) -> ProjectSet:
    """Read and check a projects file (CSV or YAML); default: the bundled `projects.csv`.

    Raises one ValidationError listing every problem (file, row or line, field, what is wrong).
    """
    p = Path(path) if path is not None else bundled_data_dir() / BUNDLED
    net = network or load_network()
    problems: list[Problem] = []
    if not p.is_file():
        raise CorridorError(f"projects file not found: {p}")
    if p.suffix.lower() in (".yaml", ".yml"):
        projects, sources, where = _read_yaml(p, problems)
    elif p.suffix.lower() == ".csv":
        where: dict = {}
        projects, sources = _read_csv(p, problems, where), []
    else:
        raise CorridorError(f"{p}: a projects file is .csv or .yaml")
    _check_projects(p, projects, sources, net, where, problems)  # the projects that parsed
    if problems:
        raise ValidationError(problems, what=f"projects file {p.name}")
    return ProjectSet(tuple(projects), tuple(sources), str(p))


def _read_csv(path: Path, problems: list[Problem], where: dict) -> list[Project]:
    """The projects of a CSV file; `where` gets each project's rows (for later problems)."""
    fname = str(path)
    df = _read_text_csv(path, problems)
    if df is None:
        return []
    missing = [c for c in CSV_COLUMNS if c not in df.columns]
    if missing:
        problems.append(Problem(fname, 1, None, f"missing column(s) {', '.join(missing)}; "
                                                f"columns are {', '.join(CSV_COLUMNS)}, notes"))
        return []
    if df.empty:
        problems.append(Problem(fname, None, None, "has no projects"))
        return []
    head: dict[str, dict] = {}
    changes: dict[str, dict[tuple[str, str], dict]] = {}
    failed: set[str] = set()  # projects with a problem in a row (no "changes nothing" on top)
    for r in df.to_dict("records"):
        line = int(r["__line__"])

        pid = r["project_id"]

        def bad(col, msg, line=line, pid=pid):
            problems.append(Problem(fname, line, col, msg))
            failed.add(pid)

        if not ID_RE.match(pid or "") or len(pid) > 60:
            bad("project_id", f"'{pid[:60]}' is not a project id (lowercase letters, digits, . _ -)")
            continue
        h = head.setdefault(pid, {"line": line})
        for col in ("name", "cost_usd", "cost_source", "opening_year", "notes"):
            v = r.get(col, "")
            if not v:
                continue
            if col in h and h[col][0] != v:
                bad(col, f"project '{pid}' has {col} '{h[col][0][:40]}' on line {h[col][1]}; "
                         "give it once (or the same each time)")
            else:
                h.setdefault(col, (v, line))
        kind, eid, fld, val, src = r["element"], r["element_id"], r["field"], r["value"], r["source_id"]
        if kind not in ("node", "link"):
            bad("element", f"'{kind[:20]}' is not an element; choose node or link")
            continue
        allowed = NODE_FIELDS if kind == "node" else LINK_FIELDS
        if not eid:
            bad("element_id", "a node or link id is required")
            continue
        if fld not in allowed:
            bad("field", f"'{fld[:30]}' is not a {kind} field; allowed: {', '.join(allowed)}")
            continue
        if val == "":
            bad("value", f"no value for {fld}")
            continue
        if not src and fld != "notes":
            bad("source_id", f"the value of {fld} needs a source id")
            continue
        ch = changes.setdefault(pid, {}).setdefault((kind, eid), {"fields": {}, "lines": {}, "source": []})
        if fld in ch["fields"]:
            bad("field", f"{kind} {eid}: {fld} is set twice (also on line {ch['lines'][fld]})")
            continue
        ch["fields"][fld] = [x.strip() for x in val.split(";") if x.strip()] if fld == "passages" else val
        ch["lines"][fld] = line
        ch["source"] += [s.strip() for s in src.split(";") if s.strip() and s.strip() not in ch["source"]]
    out = []
    for pid, h in head.items():
        ok = True
        for col in ("name", "cost_usd", "cost_source", "opening_year"):
            if col not in h:
                problems.append(Problem(fname, h["line"], col, f"project '{pid}' has no {col}"))
                ok = False
        if not ok:
            continue
        cost = _float(h["cost_usd"][0])
        if cost is None or cost <= 0:
            problems.append(Problem(fname, h["cost_usd"][1], "cost_usd",
                                    f"must be a number > 0 (USD), got '{h['cost_usd'][0][:30]}'"))
            continue
        year = _float(h["opening_year"][0])
        if year is None or year != int(year) or not YEARS[0] <= year <= YEARS[1]:
            problems.append(Problem(fname, h["opening_year"][1], "opening_year",
                                    f"must be a year {YEARS[0]}-{YEARS[1]}, "
                                    f"got '{h['opening_year'][0][:30]}'"))
            continue
        nodes, links = [], []
        where[pid] = {"cost_source": (h["cost_source"][1], "cost_source")}
        for (kind, eid), ch in changes.get(pid, {}).items():
            model = NodeChange if kind == "node" else LinkChange
            try:
                m = model.model_validate({"id": eid, **ch["fields"], "source": ch["source"]})
            except PydanticError as exc:
                for e in exc.errors():
                    fld = str(e["loc"][0]) if e["loc"] else ""
                    line = ch["lines"].get(fld) or next(iter(ch["lines"].values()))
                    msg = e["msg"].removeprefix("Value error, ")
                    problems.append(Problem(fname, line, "value" if fld in ch["lines"] else None,
                                            f"{kind} {eid}, {fld or 'change'}: {msg}"))
                failed.add(pid)
                continue
            bucket = nodes if kind == "node" else links
            where[pid][(kind, len(bucket))] = (min(ch["lines"].values()), "element_id")
            bucket.append(m)
        if not nodes and not links:
            if pid not in failed:
                problems.append(Problem(fname, h["line"], "element", f"project '{pid}' changes nothing"))
            continue
        out.append(Project(pid, h["name"][0], float(cost), int(year), tuple(nodes), tuple(links),
                           tuple(s.strip() for s in h["cost_source"][0].split(";") if s.strip()),
                           h.get("notes", ("", 0))[0]))
    return out


def _float(s: str) -> float | None:
    try:
        v = float(str(s).replace("_", ""))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _line_index(text: str) -> dict[tuple, int]:
    idx: dict[tuple, int] = {}

    def walk(node, path):
        idx.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                idx.setdefault(path + (getattr(k, "value", None),), k.start_mark.line + 1)
                walk(v, path + (getattr(k, "value", None),))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, path + (i,))

    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return idx
    if root is not None:
        walk(root, ())
    return idx


def _yaml_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _at(idx: dict, loc: tuple) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in idx:
            return idx[loc]
        loc = loc[:-1]
    return idx.get(())


def _read_yaml(path: Path, problems: list[Problem]):
    fname = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(YamlProblem(fname, None, None, f"cannot be read: {exc}"))
        return [], [], {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(YamlProblem(fname, mark.line + 1 if mark else None, None,
                                f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return [], [], {}
    idx = _line_index(text)
    if not isinstance(raw, dict):
        problems.append(YamlProblem(fname, 1, None,
                                    "a projects file is a YAML mapping with a 'projects:' list"))
        return [], [], {}
    try:
        spec = _ProjectsFile.model_validate(raw)
    except PydanticError as exc:
        for e in exc.errors():
            loc = tuple(x for x in e["loc"] if not (isinstance(x, str) and x.startswith("function-")))
            msg = e["msg"].removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                msg = f"unknown key '{loc[-1]}'"
            elif e["type"] == "missing":
                msg = "required field missing"
            problems.append(YamlProblem(fname, _at(idx, loc), _yaml_path(loc), msg))
        return [], [], {}
    seen: dict[str, int] = {}
    out, where = [], {}
    for i, ps in enumerate(spec.projects):
        if ps.id in seen:
            problems.append(YamlProblem(fname, _at(idx, ("projects", i, "id")), f"projects[{i}].id",
                                    f"duplicate project id '{ps.id}' (also projects[{seen[ps.id]}])"))
            continue
        seen[ps.id] = i
        if not ps.infrastructure.nodes and not ps.infrastructure.links:
            problems.append(YamlProblem(fname, _at(idx, ("projects", i)), f"projects[{i}].infrastructure",
                                    "the project changes nothing"))
            continue
        out.append(Project(ps.id, ps.name, ps.cost_usd, ps.opening_year, tuple(ps.infrastructure.nodes),
                           tuple(ps.infrastructure.links), tuple(ps.cost_source), ps.notes))
        where[ps.id] = {"cost_source": (_at(idx, ("projects", i, "cost_source")),
                                        f"projects[{i}].cost_source")}
        for kind in ("nodes", "links"):
            for j, _ in enumerate(getattr(ps.infrastructure, kind)):
                loc = ("projects", i, "infrastructure", kind, j)
                where[ps.id][(kind[:-1], j)] = (_at(idx, loc), _yaml_path(loc))
    return out, list(spec.sources), where


def _check_projects(path: Path, projects: list[Project], sources: list[SourceEntry], net: Network,
                    where: dict, problems: list[Problem]) -> None:
    """Ids that must exist (or be complete new elements), known rate classes and source ids."""
    import difflib

    fname = str(path)
    known_src = set(net.sources["source_id"]) if net.sources is not None else set()
    known_src |= {s.id for s in sources}
    nodes, links = set(net.nodes["node_id"]), set(net.links["link_id"])
    rates = set(net.rates["rate_class"]) if net.rates is not None else set()
    new_nodes = {n.id for p in projects for n in p.nodes if n.id not in nodes}
    seen_ids: set[str] = set()

    def loc(p: Project, key, default_col):
        w = where.get(p.id, {}).get(key)
        return (w[0], w[1]) if w else (None, default_col)

    kind = YamlProblem if path.suffix.lower() in (".yaml", ".yml") else Problem

    def bad(p, key, col, msg):
        line, c = loc(p, key, col)
        problems.append(kind(fname, line, c, f"project '{p.id}': {msg}"))

    def check_sources(p, key, ids):
        for s in ids:
            if s not in known_src:
                close = difflib.get_close_matches(s, sorted(known_src), n=2, cutoff=0.6)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                bad(p, key, "source_id", f"unknown source id '{s[:60]}'{hint}; add it to the sources "
                                         "(corridor sources lists them)")

    for p in projects:
        if p.id in seen_ids:
            bad(p, None, "project_id", "the same id is used twice")
        seen_ids.add(p.id)
        check_sources(p, "cost_source", p.cost_source)
        for j, nc in enumerate(p.nodes):
            key = ("node", j)
            if nc.id not in nodes:
                missing = [k for k in ("name", "kind", "country", "lon", "lat") if getattr(nc, k) is None]
                if missing:
                    close = difflib.get_close_matches(nc.id, sorted(nodes), n=3, cutoff=0.7)
                    hint = f"; did you mean {', '.join(close)}?" if close else ""
                    bad(p, key, "element_id", f"unknown node '{nc.id[:60]}' (a new node needs "
                                              f"{', '.join(missing)}){hint}")
            check_sources(p, key, nc.source)
        for j, lc in enumerate(p.links):
            key = ("link", j)
            if lc.id in links:
                row = net.links.loc[net.links["link_id"] == lc.id].iloc[0]
                for name, v, col in (("from", lc.from_, "from_node_id"), ("to", lc.to, "to_node_id")):
                    if v is not None and v != row[col]:
                        bad(p, key, "value", f"link '{lc.id}' runs {row['from_node_id']}-"
                                             f"{row['to_node_id']}; a project cannot move its '{name}' end "
                                             "(give a new link id)")
            else:
                need = {"from": lc.from_, "to": lc.to, "mode": lc.mode, "rate_class": lc.rate_class,
                        "length_km": lc.length_km}
                missing = [k for k, v in need.items() if v is None]
                if lc.mode == "rail" and lc.gauge is None:
                    missing.append("gauge")
                if missing:
                    close = difflib.get_close_matches(lc.id, sorted(links), n=3, cutoff=0.7)
                    hint = f"; did you mean {', '.join(close)}?" if close else ""
                    bad(p, key, "element_id", f"unknown link '{lc.id[:60]}' (a new link needs "
                                              f"{', '.join(missing)}){hint}")
            for v in (lc.from_, lc.to):
                if v is not None and v not in nodes and v not in new_nodes:
                    bad(p, key, "value", f"link '{lc.id}': unknown node '{v[:60]}'")
            if lc.rate_class is not None and rates and lc.rate_class not in rates:
                bad(p, key, "value", f"link '{lc.id}': unknown rate class '{lc.rate_class}'; "
                                     f"known: {', '.join(sorted(rates))}")
            check_sources(p, key, lc.source)


# ------------------------------------------------------------------ portfolio (generic)


@dataclass(frozen=True)
class Portfolio:
    """The chosen set and how it was found."""

    chosen: tuple[str, ...]
    budget_usd: float
    total_cost_usd: float
    pv_benefit_usd: float
    npv_usd: float
    bcr: float
    rounds: int  # MILP solves
    evaluated: int  # sets valued by re-assignment (singles, pairs, corrections)
    interactions: dict[tuple[str, str], float] = field(default_factory=dict)  # PV USD, pair - parts
    corrections: dict[tuple[str, ...], float] = field(default_factory=dict)  # exact - pairwise model
    exact: bool = True  # the chosen set's value is its re-assigned value, not a model's

    def to_dict(self) -> dict:
        return {"chosen": list(self.chosen), "budget_usd": self.budget_usd,
                "total_cost_usd": self.total_cost_usd, "pv_benefit_usd": self.pv_benefit_usd,
                "npv_usd": self.npv_usd, "bcr": self.bcr, "rounds": self.rounds, "evaluated": self.evaluated,
                "interactions": [{"a": a, "b": b, "pv_usd": v} for (a, b), v in self.interactions.items()],
                "corrections": [{"set": list(k), "pv_usd": v} for k, v in self.corrections.items()]}


def select_portfolio(costs: dict[str, float], value: Callable[[frozenset[str]], float], budget: float, *,
                     pairs: Iterable[tuple[str, str]] | None = None, max_rounds: int = 8,
                     tol: float = 1e-6) -> Portfolio:
    """The set of projects with the largest NPV (value - cost) whose cost fits the budget.

    `value(S)` is the present value of the benefits of the set S (exact, e.g. by re-assignment);
    it is called for every single project, for the `pairs` given (default: all pairs) and for
    the sets the programme picks. A mixed-integer programme over singles and pair interactions
    is solved, the chosen set valued exactly, its error added as a term for exactly that set,
    and solved again until the chosen set is exactly valued (or `max_rounds`). The best exactly
    valued set is returned.
    """
    if not (math.isfinite(budget) and budget >= 0):
        raise CorridorError("the budget must be a number >= 0 (USD)")
    ids = list(costs)
    cost = np.array([float(costs[i]) for i in ids])
    if np.any(~np.isfinite(cost)) or np.any(cost <= 0):
        raise CorridorError("every project cost must be a number > 0")
    exact: dict[frozenset, float] = {frozenset(): 0.0}

    def val(s: frozenset) -> float:
        if s not in exact:
            exact[s] = float(value(s))
        return exact[s]

    single = {i: val(frozenset([i])) for i in ids}
    pair_list = list(itertools.combinations(ids, 2)) if pairs is None else \
        [tuple(p) for p in pairs if p[0] != p[1] and p[0] in costs and p[1] in costs]
    pair_list = list(dict.fromkeys(tuple(sorted(p, key=ids.index)) for p in pair_list))
    inter = {}
    for a, b in pair_list:
        if cost[ids.index(a)] + cost[ids.index(b)] > budget * (1 + 1e-12):
            continue  # never affordable together
        inter[(a, b)] = val(frozenset((a, b))) - single[a] - single[b]
    corrections: dict[frozenset, float] = {}

    def model_value(s: frozenset) -> float:
        v = sum(single[i] for i in s) + sum(w for (a, b), w in inter.items() if a in s and b in s)
        return v + sum(d for k, d in corrections.items() if k == s)

    unit = max(1.0, float(np.max(np.abs([*single.values(), *inter.values(), *cost]))))  # HiGHS well scaled
    rounds = 0
    while rounds < max_rounds:
        rounds += 1
        chosen = _solve_milp(ids, cost / unit, {i: v / unit for i, v in single.items()},
                             {k: v / unit for k, v in inter.items()},
                             {k: v / unit for k, v in corrections.items()}, budget / unit)
        if chosen in exact and abs(model_value(chosen) - exact[chosen]) <= tol * max(1.0, abs(exact[chosen])):
            break
        truth, model = val(chosen), model_value(chosen)
        if abs(truth - model) > tol * max(1.0, abs(truth)):
            corrections[chosen] = corrections.get(chosen, 0.0) + truth - model
    affordable = {s: v for s, v in exact.items()
                  if sum(cost[ids.index(i)] for i in s) <= budget * (1 + 1e-12)}
    best = max(affordable, key=lambda s: (affordable[s] - sum(cost[ids.index(i)] for i in s), -len(s)))
    total = float(sum(cost[ids.index(i)] for i in best))
    pv = affordable[best]
    return Portfolio(chosen=tuple(i for i in ids if i in best), budget_usd=float(budget),
                     total_cost_usd=total,
                     pv_benefit_usd=pv, npv_usd=pv - total, bcr=pv / total if total > 0 else float("nan"),
                     rounds=rounds, evaluated=len(exact) - 1, interactions=dict(inter),
                     corrections={tuple(i for i in ids if i in k): v for k, v in corrections.items()},
                     exact=True)


def _solve_milp(ids, cost, single, inter, corrections, budget) -> frozenset:
    from scipy.optimize import Bounds, LinearConstraint, milp  # imported when needed (slow to import)

    n = len(ids)
    pos = {i: k for k, i in enumerate(ids)}
    pk = list(inter)
    ck = list(corrections)
    nv = n + len(pk) + len(ck)
    c = np.zeros(nv)
    c[:n] = -(np.array([single[i] for i in ids]) - cost)
    c[n:n + len(pk)] = -np.array([inter[k] for k in pk]) if pk else []
    c[n + len(pk):] = -np.array([corrections[k] for k in ck]) if ck else []
    rows, lb, ub = [], [], []

    def add(coefs: dict[int, float], lo, hi):
        r = np.zeros(nv)
        for j, v in coefs.items():
            r[j] += v
        rows.append(r)
        lb.append(lo)
        ub.append(hi)

    add({k: cost[k] for k in range(n)}, -np.inf, budget * (1 + 1e-12))
    for j, (a, b) in enumerate(pk):  # y = x_a x_b
        y = n + j
        add({y: 1, pos[a]: -1}, -np.inf, 0)
        add({y: 1, pos[b]: -1}, -np.inf, 0)
        add({y: 1, pos[a]: -1, pos[b]: -1}, -1, np.inf)
    for j, s in enumerate(ck):  # z = 1 exactly when x is the set s
        z = n + len(pk) + j
        inside = [pos[i] for i in s]
        outside = [k for k in range(n) if ids[k] not in s]
        for k in inside:
            add({z: 1, k: -1}, -np.inf, 0)
        for k in outside:
            add({z: 1, k: 1}, -np.inf, 1)
        add({z: 1, **{k: -1 for k in inside}, **{k: 1 for k in outside}}, 1 - len(inside), np.inf)
    integrality = np.r_[np.ones(n), np.zeros(nv - n)]
    res = milp(c, constraints=LinearConstraint(np.array(rows), lb, ub), integrality=integrality,
               bounds=Bounds(0, 1), options={"mip_rel_gap": 1e-9})
    if res.x is None:
        raise CorridorError(f"the portfolio programme failed: {res.message}")
    return frozenset(ids[k] for k in range(n) if res.x[k] > 0.5)


# ------------------------------------------------------------------ valuing projects by re-assignment


@dataclass(frozen=True)
class Appraisal:
    """Projects valued one by one, the chosen portfolio, and every assumption behind them."""

    projects: pd.DataFrame  # id, name, cost_usd, opening_year, pv_benefit_usd, npv_usd, bcr, ...
    portfolio: Portfolio
    assumptions: dict
    annual: pd.DataFrame  # per project and sample year: benefit and its parts (assigned flows)
    scenario: str | None = None
    policy: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        pf = self.portfolio
        chosen = self.projects[self.projects["id"].isin(pf.chosen)]
        return {"chosen": chosen.to_dict(orient="records"), "chosen_ids": list(pf.chosen),
                "total_cost_usd": pf.total_cost_usd, "npv_usd": pf.npv_usd, "bcr": pf.bcr,
                "pv_benefit_usd": pf.pv_benefit_usd, "budget_usd": pf.budget_usd,
                "portfolio": pf.to_dict(), "projects": self.projects.to_dict(orient="records"),
                "annual": self.annual.to_dict(orient="records"), "assumptions": self.assumptions,
                "scenario": self.scenario, "policy": self.policy, "notes": list(self.notes)}


class _Evaluator:
    """Annual benefits of sets of projects, by re-assigning grown demand on the rebuilt network."""

    def __init__(self, projects: ProjectSet, net: Network, scenario, avoid, demand: Demand | None,
                 params: AssignmentParams, growth: float, rgap: float, progress):
        from .scenarios import load_scenario

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
        codes, groups = split_avoid(avoid)
        if codes or groups:
            avoid_all = [*self.base.policies.avoid, *codes, *groups]
            pol = self.base.policies.model_copy(update={"avoid": avoid_all})
            self.base = self.base.model_copy(update={"policies": pol})
        self._worlds: dict[frozenset, object] = {}
        empty = self.world(frozenset())
        self.demand = demand if demand is not None else empty.demand
        self.demand_year = int(self.base.demand.year)
        self.policy = empty.policy
        t = self.demand.table
        self.classes = list(dict.fromkeys(t.loc[t["teu_per_year"] > 0, "commodity"]))
        if not self.classes:
            raise CorridorError("the demand table is empty")
        from .gateways import _pairs

        self.pairs = sorted(_pairs(empty.network, self.demand, self.classes))
        self._routes: RouteSet | None = None
        self._log_ps: np.ndarray | None = None
        self._keep: dict[frozenset, np.ndarray] = {}
        self._cache: dict[tuple, dict] = {}
        self._base_tab: dict[int, pd.DataFrame] = {}
        self.assignments = 0

    # ---- worlds
    def world(self, built: frozenset):
        if built not in self._worlds:
            from .scenarios import apply_scenario

            nodes, links = list(self.base.infrastructure.nodes), list(self.base.infrastructure.links)
            have_nodes, have_links = set(self.net.nodes["node_id"]), set(self.net.links["link_id"])
            for p in self.projects:
                for nc in p.nodes:
                    if p.id in built or nc.id not in have_nodes:
                        nodes.append(nc)
                for lc in p.links:
                    opens = lc.status in ("open", "planned") or lc.id not in have_links
                    if p.id in built:
                        links.append(lc.model_copy(update={"status": "open", "opening_year": None})
                                     if opens else lc)
                    elif opens:
                        links.append(lc.model_copy(update={"status": "closed", "opening_year": None})
                                     if lc.id not in have_links
                                     else LinkChange(id=lc.id, status="closed", source=list(lc.source)))
            s = self.base.model_copy(update={"infrastructure": Infrastructure(nodes=nodes, links=links)})
            self._worlds[built] = apply_scenario(s, network=self.net)
        return self._worlds[built]

    def _aligned(self, net: Network) -> bool:
        g0, g = self.world(frozenset()).network.graph, net.graph
        return g0.n_edges == g.n_edges and np.array_equal(g0.src, g.src) and np.array_equal(g0.dst, g.dst)

    # ---- one route set for every world
    def routes(self) -> RouteSet:
        """Union of the route sets without any project, with all, and with each project that
        changes more than capacities (capacity alone does not change free-flow routes)."""
        if self._routes is None:
            worlds = [frozenset(), frozenset(self.projects.ids)]
            worlds += [frozenset([p.id]) for p in self.projects if _changes_routes(p)]
            rs = None
            for k, w in enumerate(dict.fromkeys(worlds)):
                if self.progress:
                    self.progress(f"route sets ({k + 1}/{len(set(worlds))})")
                ap = self.world(w)
                if not self._aligned(ap.network):
                    raise CorridorError("a project changes the network's structure (a node's transshipment "
                                        "or a link's mode or gauge); the appraisal needs changes that "
                                        "keep it")
                r = route_set(ap.network, self.pairs, policy=ap.policy, commodities=self.classes,
                              missing="skip")
                rs = r if rs is None else _merge_routes(rs, r)
            seen: dict[bytes, int] = {}
            for i, k in enumerate(_route_keys(rs)):
                seen.setdefault(k, i)
            self._routes = _subset(rs, sorted(seen.values()))
            ps = path_sizes(self.world(frozenset()).network, self._routes)
            self._log_ps = np.log(np.clip(ps, 1e-12, None))
        return self._routes

    def _routes_for(self, built: frozenset) -> tuple[RouteSet, np.ndarray]:
        rs = self.routes()
        if built not in self._keep:
            ap = self.world(built)
            closed = (~ap.policy.edge_mask(ap.network)).astype(float)
            self._keep[built] = np.flatnonzero((rs.incidence @ closed) == 0)
        keep = self._keep[built]
        return _subset(rs, keep), self._log_ps[keep]

    # ---- one world in one year
    def demand_in(self, year: int) -> Demand:
        f = (1.0 + self.growth) ** (year - self.demand_year)
        t = self.demand.table.copy()
        for col in ("teu_per_year", "t_per_year"):
            t[col] = t[col].astype(float) * f
        return Demand(table=t, source=f"{self.demand.source} x{f:.3f} ({year})")

    def evaluate(self, built: frozenset, year: int) -> dict:
        key = (built, year)
        if key in self._cache:
            return self._cache[key]
        if built and year not in self._base_tab:
            self.evaluate(frozenset(), year)
        ap = self.world(built)
        rs, lps = self._routes_for(built)
        res = assign(ap.network, self.demand_in(year), method="sue", policy=ap.policy, routes=rs,
                     unserved="report", params=self.params, rgap=self.rgap)
        self.assignments += 1
        ridx = route_index(res, rs, ap.network)
        scale = self._base_tab[year]["scale"] if year in self._base_tab else None
        tab = perceived_costs(ap.network, res, rs, self.params, ridx, scale=scale, log_ps=lps)
        if not built:
            self._base_tab[year] = tab
        p = res.paths
        vot = p["commodity"].map({c: ap.network.value_of_time(c) for c in self.classes}).to_numpy()
        parts = {"tariff_usd": float((p["teu"] * p["usd_per_teu"]).sum()),
                 "time_usd": float((p["teu"] * vot * 24 * p["free_flow_days"]).sum()),
                 "queue_usd": float((p["teu"] * vot * 24 * (p["days"] - p["free_flow_days"])).sum())}
        out = {"table": tab, "parts": parts,
               "unserved_teu": float(res.unserved["teu"].sum()) if res.unserved is not None else 0.0}
        self._cache[key] = out
        return out

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


def _changes_routes(p: Project) -> bool:
    """Whether a project can change which routes are best at free flow (not capacity alone)."""
    if p.links and any(set(lc.model_dump(exclude_none=True, exclude={"id", "source"})) - CAPACITY_FIELDS
                       for lc in p.links):
        return True
    return any(set(nc.model_dump(exclude_none=True, exclude={"id", "source"})) - CAPACITY_FIELDS
               for nc in p.nodes)


def appraise(
    projects: ProjectSet | str | Path | None = None,
    budget_usd: float = float("inf"),
    *,
    net: Network | None = None,
    demand: Demand | None = None,
    scenario=None,
    avoid: Iterable[str] | str | None = None,
    horizon: int = DEFAULTS["horizon"],
    discount: float = DEFAULTS["discount"],
    growth: float = DEFAULTS["growth"],
    base_year: int = DEFAULTS["base_year"],
    pairs: str = "auto",
    max_rounds: int = 8,
    rgap: float = 1e-5,
    params: AssignmentParams | None = None,
    progress: Callable[[str], None] | None = None,
) -> Appraisal:
    """Value each project by re-assignment and choose the best portfolio within `budget_usd`.

    `scenario` (a bundled name or a path) is the world the projects are built into (its
    network, policies and demand); `avoid` adds countries or blocs to avoid. Demand grows by
    `growth` a year from its table's year; benefits from each project's opening year to
    `horizon` are discounted at `discount` to `base_year`. `pairs`: which pair interactions
    are valued by re-assignment: `auto` (pairs that share a node or change the costs of the
    same OD flows), `all` or `none`.
    """
    if not (YEARS[0] <= base_year <= horizon <= YEARS[1]):
        raise CorridorError(f"need {YEARS[0]} <= base year ({base_year}) <= horizon ({horizon}) "
                            f"<= {YEARS[1]}")
    if not (0 <= discount < 1):
        raise CorridorError(f"the discount rate must be in [0, 1), got {discount}")
    if not (-0.5 < growth < 1):
        raise CorridorError(f"the demand growth must be in (-0.5, 1) a year, got {growth}")
    if pairs not in ("auto", "all", "none"):
        raise CorridorError(f"pairs must be auto, all or none, got '{str(pairs)[:20]}'")
    if not (isinstance(budget_usd, int | float) and budget_usd >= 0 and not math.isnan(budget_usd)):
        raise CorridorError("the budget must be a number >= 0 (USD)")
    net = net or load_network()
    ps = projects if isinstance(projects, ProjectSet) else read_projects(projects, network=net)
    if not len(ps):
        raise CorridorError("no projects to appraise")
    params = params or AssignmentParams.load()
    ev = _Evaluator(ps, net, scenario, avoid, demand, params, growth, rgap, progress)
    samples = sorted({base_year, (base_year + horizon) // 2, horizon})
    years = np.arange(base_year, horizon + 1)
    disc = (1.0 + discount) ** -(years - base_year)
    opening = {p.id: p.opening_year for p in ps}
    curve: dict[frozenset, np.ndarray] = {}

    def annual(built: frozenset) -> np.ndarray:
        """Benefit in each year of the horizon of the fixed set `built` (interpolated)."""
        if built not in curve:
            if progress:
                progress(f"valuing {', '.join(sorted(built)) or 'no project'}")
            pts = [ev.benefit(built, y)["benefit_usd"] for y in samples]
            curve[built] = np.interp(years, samples, pts)
        return curve[built]

    def value(s: frozenset) -> float:
        total = 0.0
        for t_i, t in enumerate(years):
            built = frozenset(i for i in s if opening[i] <= t)
            if built:
                total += disc[t_i] * annual(built)[t_i]
        return float(total)

    ids = ps.ids
    pv = {i: value(frozenset([i])) for i in ids}
    # which pairs can interact: a shared node, or OD flows whose cost both change
    if pairs == "none":
        pair_list: list[tuple[str, str]] = []
    elif pairs == "all":
        pair_list = list(itertools.combinations(ids, 2))
    else:
        touched = {}
        for p in ps:
            b = ev.evaluate(frozenset([p.id]), samples[-1])["table"]
            base = ev.evaluate(frozenset(), samples[-1])["table"]
            both = base.index.intersection(b.index)
            d = (base.loc[both, "usd"] - b.loc[both, "usd"]).abs()
            touched[p.id] = set(d.index[d > 0.01])  # a cent per TEU
        pair_list = [(a, b) for a, b in itertools.combinations(ids, 2)
                     if ps.get(a).footprint(net) & ps.get(b).footprint(net) or touched[a] & touched[b]]
    costs = {p.id: p.cost_usd for p in ps}
    pf = select_portfolio(costs, value, budget_usd, pairs=pair_list, max_rounds=max_rounds)

    rows, ann = [], []
    for p in ps:
        b = pv[p.id]
        parts = ev.benefit(frozenset([p.id]), samples[-1])
        rows.append({"id": p.id, "name": p.name, "cost_usd": p.cost_usd, "opening_year": p.opening_year,
                     "pv_benefit_usd": b, "npv_usd": b - p.cost_usd, "bcr": b / p.cost_usd,
                     f"benefit_{samples[-1]}_usd": parts["benefit_usd"],
                     "chosen": p.id in pf.chosen, "changes": "; ".join(p.describe())})
        for y in samples:
            bb = ev.benefit(frozenset([p.id]), y)
            ann.append({"id": p.id, "year": y, **bb})
    table = pd.DataFrame(rows).sort_values("npv_usd", ascending=False, kind="stable").reset_index(drop=True)
    vot = {c: net.value_of_time(c) for c in ev.classes}
    assumptions = {
        "base_year": base_year, "horizon": horizon, "discount_rate": discount,
        "demand_growth": growth, "demand_growth_source": GROWTH_SOURCE, "demand_year": ev.demand_year,
        "demand_teu": float(ev.demand.table["teu_per_year"].sum()), "sample_years": samples,
        "value_of_time_usd_per_teu_hour": vot, "method": "sue (path-size logit), log-sum benefits",
        "pairs": pairs, "pairs_valued": len(pf.interactions), "assignments": ev.assignments,
        "rgap": rgap,
        "costs": "counted in full in the base year; no residual value after the horizon",
        "benefits": ("fall in expected perceived generalized cost (USD a year) of the assigned demand, "
                     "interpolated between the sample years, from each project's opening year"),
    }
    notes = []
    if any(p.opening_year < base_year for p in ps):
        notes.append("projects opening before the base year count from the base year")
    if not pf.exact:
        notes.append("the chosen set's value comes from the pairwise model")
    return Appraisal(projects=table, portfolio=pf, assumptions=assumptions, annual=pd.DataFrame(ann),
                     scenario=getattr(ev.base, "name", None) if scenario is not None else None,
                     policy=ev.policy.to_dict(), notes=notes)
