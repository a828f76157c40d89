"""Investment projects and their files: what a project changes, read and checked.

A project is a cost, an opening year and changes to the network in the scenario
infrastructure format (`corridor.scenarios`: a node's or link's capacity, hours, tariff or
status, or a new link or node), each change with its sources. A file is CSV (one row per
changed field: project_id, name, cost_usd, cost_source, opening_year, element, element_id,
field, value, source_id, notes; the project's own fields on its first row) or YAML (`projects:`
a list with `id`, `name`, `cost_usd`, `cost_source`, `opening_year`, `infrastructure: {nodes,
links}`, and an optional file-level `sources:` list). Every problem is reported at once with
its file, row (or line and YAML path) and field. `corridor.appraisal` values the projects.

    >>> from corridor.projects import read_projects
    >>> ps = read_projects()                           # the bundled list (data/projects.csv)
    >>> ps.to_frame()
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from ..bounds import BOUNDS
from ..datafiles import bundled_data_dir
from ..errors import CorridorError, Problem, ValidationError
from ..network.io import load_network
from ..network.tables import Network
from ..readers import read_input_text, read_text_csv
from ..scenarios.schema import CaspianSpec, Infrastructure, LinkChange, NodeChange, SourceEntry, SourceRef
from ..vocabulary import YEARS
from ..yamlio import MAX_YAML_BYTES, YamlProblem, line_at, line_index, load_yaml, yaml_path

_M = TypeVar("_M", bound=BaseModel)
# per project: where each of its parts stands (a field, or an element by kind and position, or a CSV row)
Where = dict[str, dict[Any, tuple[Any, ...]]]

__all__ = ["Project", "ProjectSet", "YamlProblem", "read_projects"]

BUNDLED = "projects.csv"

CSV_COLUMNS = ("project_id", "name", "cost_usd", "cost_source", "opening_year", "element", "element_id",
               "field", "value", "source_id")

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

NODE_FIELDS = tuple(n for n in NodeChange.model_fields if n not in ("id", "source"))

LINK_FIELDS = tuple((f.alias or n) for n, f in LinkChange.model_fields.items() if n not in ("id", "source"))

# ships on a Caspian line (element_id: a vessel class or kind) and works at a Caspian port (its name)
ELEMENT_FIELDS = {"node": NODE_FIELDS, "link": LINK_FIELDS, "vessel": ("count",),
                  "port": ("deepen_m", "berths_container", "berths_rail_ferry", "berths_roro")}
ELEMENTS = tuple(ELEMENT_FIELDS)


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
    caspian: CaspianSpec | None = None  # ships and port works on the Caspian crossing

    def footprint(self, net: Network | None = None) -> frozenset[str]:
        """Node ids the project changes, or at the ends of the links it changes (a Caspian fleet or port
        change: the crossing's ports)."""
        out = {n.id for n in self.nodes}
        if self.caspian is not None:
            out |= _caspian_nodes(self.caspian)
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
        if self.caspian is not None:
            c = self.caspian
            out += [f"vessels {k}: {v:+d}" for k, v in c.vessels_add.items()]
            out += [f"port {k}: {v:+.2f} m deeper" for k, v in c.deepen_m.items()]
            out += [f"port {k}: berths {b}" for k, b in c.berths_add.items()]
        return out

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "cost_usd": self.cost_usd,
                "opening_year": self.opening_year,
                "cost_source": list(self.cost_source), "notes": self.notes, "changes": self.describe(),
                "sources": sorted({s for c in self.nodes for s in c.source}
                                  | {s for c in self.links for s in c.source}
                                  | set(self.caspian.source if self.caspian else ()))}


def _caspian_nodes(spec: CaspianSpec) -> set[str]:
    from ..caspian.config import baseline_config

    cfg = baseline_config()
    ports = {p.name: p.node_id for p in cfg.ports}
    touched = set(spec.deepen_m) | set(spec.berths_add)
    if spec.vessels_add:  # ships serve their lines' ports
        services = {s.name: s for s in cfg.services}
        for v in cfg.vessels:
            if v.name in spec.vessels_add or v.kind in spec.vessels_add:
                touched |= {services[v.service].origin, services[v.service].destination}
    return {ports[p] for p in touched if ports.get(p)}


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


class _ProjectSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=ID_RE.pattern, max_length=60)
    name: str = Field(min_length=1)
    cost_usd: float = Field(gt=0, le=BOUNDS["cost_usd"].hi, allow_inf_nan=False)
    cost_source: SourceRef = Field(min_length=1, description="Source ids for the cost")
    opening_year: int = Field(ge=YEARS[0], le=YEARS[1])
    notes: str = ""
    infrastructure: Infrastructure = Field(default_factory=Infrastructure)
    caspian: CaspianSpec | None = Field(None, description="Ships and port works on the Caspian crossing: "
                                        "vessels_add, deepen_m, berths_add (not the sea level)")


class _FileShape(BaseModel):
    """A projects file's top level (each project and source is checked on its own)."""

    model_config = ConfigDict(extra="forbid")

    projects: list[dict] = Field(min_length=1)
    sources: list = Field(default_factory=list)


def read_projects(path: str | Path | None = None, *, network: Network | None = None) -> ProjectSet:
    """Read and check a projects file (CSV or YAML); default: the bundled `projects.csv`.

    Raises one ValidationError listing every problem (file, row or line, field, what is wrong).
    """
    p = Path(path) if path is not None else bundled_data_dir() / BUNDLED
    net = network or load_network()
    problems: list[Problem] = []
    if not p.is_file():
        raise CorridorError(f"projects file not found: {p}")
    claimed: set[str] = set()
    where: Where = {}
    if p.suffix.lower() in (".yaml", ".yml"):
        projects, sources, where, claimed = _read_yaml(p, problems)
    elif p.suffix.lower() == ".csv":
        projects, sources = _read_csv(p, problems, where), []
    else:
        raise CorridorError(f"{p}: a projects file is .csv or .yaml")
    # every project as far as it parsed: one with a problem already reported is checked too,
    # and never returned (a problem raises below)
    _check_projects(p, projects, sources, net, where, problems, claimed)
    if problems:
        raise ValidationError(problems, what=f"projects file {p.name}")
    return ProjectSet(tuple(projects), tuple(sources), str(p))


def _read_csv(path: Path, problems: list[Problem], where: Where) -> list[Project]:
    """The projects of a CSV file; `where` gets each project's rows (for later problems)."""
    fname = str(path)
    df = read_text_csv(path, problems)
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
    rows = _CsvRows(fname, problems)
    for r in df.to_dict("records"):
        rows.read(r)
    # each of a project's own columns is checked, and its changes, whatever the others hold; a
    # project with a problem is still checked against the network (and never returned)
    return [p for pid, h in rows.head.items() if (p := rows.project(pid, h, where)) is not None]


class _CsvRows:
    """A projects CSV read row by row: each project's own columns (`head`), its element changes, and
    the problems of every column of every row, whatever the others hold."""

    def __init__(self, fname: str, problems: list[Problem]) -> None:
        self.fname, self.problems = fname, problems
        self.head: dict[str, dict] = {}
        self.changes: dict[str, dict[tuple[str, str], dict]] = {}
        self.failed: set[str] = set()  # projects with a problem (no "changes nothing" on top)
        self.row_sources: dict[str, list[tuple[int, list[str]]]] = {}  # sources of rows that made no change

    def bad(self, line: int | None, pid: str, col: str | None, msg: str) -> None:
        self.problems.append(Problem(self.fname, line, col, msg))
        self.failed.add(pid)

    def read(self, r: dict) -> None:
        line = int(r["__line__"])
        pid = r["project_id"]
        if not ID_RE.match(pid or "") or len(pid) > 60:
            self.bad(line, pid, "project_id",
                     f"'{pid[:60]}' is not a project id (lowercase letters, digits, . _ -)")
            return
        self._own_columns(r, line, pid)
        ids = [x.strip() for x in r["source_id"].split(";") if x.strip()]
        if not self._row_ok(r, line, pid, ids):
            self.row_sources.setdefault(pid, []).append((line, ids))  # still checked against the sources
            return
        kind, eid, fld, val = r["element"], r["element_id"], r["field"], r["value"]
        ch = self.changes.setdefault(pid, {}).setdefault((kind, eid),
                                                         {"fields": {}, "lines": {}, "source": []})
        if fld in ch["fields"]:
            self.bad(line, pid, "field",
                     f"{kind} {eid}: {fld} is set twice (also on line {ch['lines'][fld]})")
            self.row_sources.setdefault(pid, []).append((line, ids))
            return
        ch["fields"][fld] = [x.strip() for x in val.split(";") if x.strip()] if fld == "passages" else val
        ch["lines"][fld] = line
        ch["source"] += [x for x in ids if x not in ch["source"]]

    def _own_columns(self, r: dict, line: int, pid: str) -> None:
        h = self.head.setdefault(pid, {"line": line})
        for col in ("name", "cost_usd", "cost_source", "opening_year", "notes"):
            v = r.get(col, "")
            if not v:
                continue
            if col in h and h[col][0] != v:
                self.bad(line, pid, col, f"project '{pid}' has {col} '{h[col][0][:40]}' on line {h[col][1]}; "
                                         "give it once (or the same each time)")
            else:
                h.setdefault(col, (v, line))

    def _row_ok(self, r: dict, line: int, pid: str, ids: list[str]) -> bool:
        """Every column of an element row checked, each problem reported."""
        kind, eid, fld, val = r["element"], r["element_id"], r["field"], r["value"]
        known = kind in ELEMENTS
        allowed = ELEMENT_FIELDS.get(kind, NODE_FIELDS + LINK_FIELDS)
        what = f"a {kind}" if known else "a node or link"
        name = fld[:30] or "the field"
        checks = [
            (known, "element", f"'{kind[:20]}' is not an element; choose {', '.join(ELEMENTS)}"),
            (bool(eid), "element_id", f"a {kind if known else 'node or link'} id is required"),
            (fld in allowed, "field",
             f"'{fld[:30]}' is not {what} field; allowed: {', '.join(dict.fromkeys(allowed))}"),
            (val != "", "value", f"no value for {name}"),
            (bool(ids) or fld == "notes", "source_id", f"the value of {name} needs a source id"),
        ]
        for ok, col, msg in checks:
            if not ok:
                self.bad(line, pid, col, msg)
        return all(ok for ok, _, _ in checks)

    def project(self, pid: str, h: dict, where: Where) -> Project | None:
        """The project of the rows with this id (None: it changes nothing), its problems reported."""
        where[pid] = {}
        for col in ("name", "cost_usd", "cost_source", "opening_year"):
            if col not in h:
                self.bad(h["line"], pid, col, f"project '{pid}' has no {col}")
        cost = self._cost(pid, h)
        year = self._year(pid, h)
        if "cost_source" in h:
            where[pid]["cost_source"] = (h["cost_source"][1], "cost_source")
        caspian = _caspian_rows(self.fname, pid, self.changes.get(pid, {}), self.problems, self.failed)
        nodes, links = self._elements(pid, where)
        for line, ids in self.row_sources.get(pid, []):
            where[pid][("row", line)] = (line, "source_id", tuple(ids))
        if not nodes and not links and caspian is None and pid not in self.failed:
            self.problems.append(Problem(self.fname, h["line"], "element",
                                         f"project '{pid}' changes nothing"))
            return None
        cost_source = h["cost_source"][0] if "cost_source" in h else ""
        return Project(pid, h["name"][0] if "name" in h else "", cost if cost is not None else math.nan,
                       int(year) if year is not None else 0, tuple(nodes), tuple(links),
                       tuple(x.strip() for x in cost_source.split(";") if x.strip()),
                       h.get("notes", ("", 0))[0], caspian)

    def _cost(self, pid: str, h: dict) -> float | None:
        cost = _float(h["cost_usd"][0]) if "cost_usd" in h else math.nan
        most = BOUNDS["cost_usd"].hi
        if "cost_usd" in h and (cost is None or cost <= 0 or (most is not None and cost > most)):
            self.bad(h["cost_usd"][1], pid, "cost_usd", f"must be a number > 0 (USD, at most {most:.0e}), "
                                                         f"got '{h['cost_usd'][0][:30]}'")
        return cost

    def _year(self, pid: str, h: dict) -> float | None:
        year = _float(h["opening_year"][0]) if "opening_year" in h else None
        if "opening_year" in h and (year is None or year != int(year) or not YEARS[0] <= year <= YEARS[1]):
            self.bad(h["opening_year"][1], pid, "opening_year", f"must be a year {YEARS[0]}-{YEARS[1]}, "
                                                                f"got '{h['opening_year'][0][:30]}'")
            return None
        return year

    def _elements(self, pid: str, where: Where) -> tuple[list[NodeChange], list[LinkChange]]:
        """The project's node and link changes that validate; the others' problems reported."""
        nodes: list[NodeChange] = []
        links: list[LinkChange] = []
        for (kind, eid), ch in self.changes.get(pid, {}).items():
            if kind == "node":
                self._element(NodeChange, kind, eid, ch, pid, nodes, where)
            elif kind == "link":
                self._element(LinkChange, kind, eid, ch, pid, links, where)
        return nodes, links

    def _element(self, model: type[_M], kind: str, eid: str, ch: dict, pid: str, bucket: list[_M],
                 where: Where) -> None:
        try:
            m = model.model_validate({"id": eid, **ch["fields"], "source": ch["source"]})
        except PydanticError as exc:
            for e in exc.errors():
                fld = str(e["loc"][0]) if e["loc"] else ""
                line = ch["lines"].get(fld) or next(iter(ch["lines"].values()))
                msg = e["msg"].removeprefix("Value error, ")
                self.problems.append(Problem(self.fname, line, "value" if fld in ch["lines"] else None,
                                             f"{kind} {eid}, {fld or 'change'}: {msg}"))
            self.failed.add(pid)
            self.row_sources.setdefault(pid, []).append((min(ch["lines"].values()), ch["source"]))
            return
        where[pid][(kind, len(bucket))] = (min(ch["lines"].values()), "element_id")
        bucket.append(m)


def _caspian_rows(fname: str, pid: str, changes: dict, problems: list[Problem],
                  failed: set) -> CaspianSpec | None:
    """A CSV project's Caspian changes: vessel rows (element_id a vessel class or kind, field count: ships
    added) and port rows (deepen_m, or berths_<vessel kind>: berths added)."""
    spec: dict = {"vessels_add": {}, "deepen_m": {}, "berths_add": {}, "source": []}
    lines: list[int] = []
    for (kind, eid), ch in changes.items():
        if kind not in ("vessel", "port"):
            continue
        for fld, val in ch["fields"].items():
            line = ch["lines"][fld]
            lines.append(line)
            num = _float(val)
            if num is None or (fld != "deepen_m" and num != int(num)):
                problems.append(Problem(fname, line, "value", f"{kind} {eid}: {fld} must be "
                                        f"{'a number of metres' if fld == 'deepen_m' else 'a whole number'}, "
                                        f"got '{str(val)[:30]}'"))
                failed.add(pid)
                continue
            if kind == "vessel":
                spec["vessels_add"][eid] = int(num)
            elif fld == "deepen_m":
                spec["deepen_m"][eid] = num
            else:
                spec["berths_add"].setdefault(eid, {})[fld.removeprefix("berths_")] = int(num)
        spec["source"] += [s for s in ch["source"] if s not in spec["source"]]
    if not lines:
        return None
    try:
        return CaspianSpec.model_validate(spec)
    except PydanticError as exc:
        for e in exc.errors():
            problems.append(Problem(fname, min(lines), "value", f"Caspian change: {e['msg']}"))
        failed.add(pid)
        return None


def _float(s: str) -> float | None:
    try:
        v = float(str(s).replace("_", ""))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _read_yaml(path: Path, problems: list[Problem]
               ) -> tuple[list[Project], list[SourceEntry], Where, set[str]]:
    """The projects and sources of a YAML file, where each project's parts stand (line, YAML
    path), and the source ids the file claims in entries that did not parse.

    Each project and each source is checked on its own, so a schema problem in one hides no
    other; a project with a schema problem is still checked against the network as far as it
    parsed (its cost sources, and each change that parsed), and never returned."""
    fname = str(path)
    loaded = _load_yaml_file(path, problems)
    if loaded is None:
        return [], [], {}, set()
    text, raw = loaded
    if not isinstance(raw, dict):
        problems.append(YamlProblem(fname, 1, None,
                                    "a projects file is a YAML mapping with a 'projects:' list"))
        return [], [], {}, set()
    f = _YamlProjects(fname, line_index(text), problems)
    try:
        _FileShape.model_validate(raw)
    except PydanticError as exc:
        f.report(exc)
    sources, claimed = f.sources(raw.get("sources"))
    raw_projects = raw.get("projects")
    for i, item in enumerate(raw_projects if isinstance(raw_projects, list) else []):
        if isinstance(item, dict):  # else reported by the file's shape
            f.project(i, item)
    return f.out, sources, f.where, claimed


def _load_yaml_file(path: Path, problems: list[Problem]) -> tuple[str, object] | None:
    """The file's text and what it holds, or None with the problem reported."""
    fname = str(path)
    try:
        text = read_input_text(path, max_bytes=MAX_YAML_BYTES)
        return text, load_yaml(text)
    except OSError as exc:
        problems.append(YamlProblem(fname, None, None, f"cannot be read: {exc.strerror or exc}"))
    except UnicodeDecodeError as exc:
        problems.append(YamlProblem(fname, None, None, f"cannot be read: {exc}"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(YamlProblem(fname, mark.line + 1 if mark else None, None,
                                    f"not valid YAML: {getattr(exc, 'problem', exc)}"))
    return None


class _YamlProjects:
    """A projects YAML file's entries read one by one, their problems at their lines."""

    def __init__(self, fname: str, idx: Any, problems: list[Problem]) -> None:
        self.fname, self.idx, self.problems = fname, idx, problems
        self.seen: dict[str, int] = {}
        self.out: list[Project] = []
        self.where: Where = {}

    def report(self, exc: PydanticError, prefix: tuple = ()) -> None:
        for e in exc.errors():
            loc = prefix + tuple(x for x in e["loc"]
                                 if not (isinstance(x, str) and x.startswith("function-")))
            msg = e["msg"].removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                msg = f"unknown key '{loc[-1]}'"
            elif e["type"] == "missing":
                msg = "required field missing"
            self.problems.append(YamlProblem(self.fname, line_at(self.idx, loc), yaml_path(loc), msg))

    def sources(self, raw_sources: object) -> tuple[list[SourceEntry], set[str]]:
        """The file's sources that parse, and the ids of those that do not."""
        sources: list[SourceEntry] = []
        claimed: set[str] = set()
        for k, item in enumerate(raw_sources if isinstance(raw_sources, list) else []):
            try:
                sources.append(SourceEntry.model_validate(item))
            except PydanticError as exc:
                self.report(exc, ("sources", k))
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    claimed.add(item["id"])  # reported above; not "unknown" where it is cited too
        return sources, claimed

    def project(self, i: int, item: dict) -> None:
        """The i-th project entry: kept (as far as it parsed), or its problem reported."""
        try:
            ps: _ProjectSpec | None = _ProjectSpec.model_validate(item)
        except PydanticError as exc:
            self.report(exc, ("projects", i))
            ps = None
        pid = ps.id if ps is not None else (item["id"] if isinstance(item.get("id"), str)
                                            else f"projects[{i}]")
        if pid in self.seen:
            also = self.seen[pid]
            self.problems.append(YamlProblem(self.fname, line_at(self.idx, ("projects", i, "id")),
                                             f"projects[{i}].id",
                                             f"duplicate project id '{pid}' (also projects[{also}])"))
            return
        self.seen[pid] = i
        node_items, link_items = _changes_of(ps, item)
        if ps is not None and not node_items and not link_items and ps.caspian is None:
            self.problems.append(YamlProblem(self.fname, line_at(self.idx, ("projects", i)),
                                             f"projects[{i}].infrastructure", "the project changes nothing"))
            return
        nodes, links = tuple(c for _, c in node_items), tuple(c for _, c in link_items)
        if ps is not None:
            self.out.append(Project(ps.id, ps.name, ps.cost_usd, ps.opening_year, nodes, links,
                                    tuple(ps.cost_source), ps.notes, ps.caspian))
        else:
            cs = item.get("cost_source")
            cited = [cs] if isinstance(cs, str) else cs if isinstance(cs, list) else []
            self.out.append(Project(pid, "", math.nan, 0, nodes, links,
                                    tuple(x for x in cited if isinstance(x, str))))
        self._place(pid, i, node_items, link_items, ps is not None and ps.caspian is not None)

    def _place(self, pid: str, i: int, node_items: list, link_items: list, caspian: bool) -> None:
        """Where the project's parts stand: its cost sources, each change, its Caspian section."""
        idx = self.idx
        self.where[pid] = {"cost_source": (line_at(idx, ("projects", i, "cost_source")),
                                           f"projects[{i}].cost_source")}
        for kind, items in (("nodes", node_items), ("links", link_items)):
            for pos, (j, _) in enumerate(items):
                loc = ("projects", i, "infrastructure", kind, j)
                self.where[pid][(kind[:-1], pos)] = (line_at(idx, loc), yaml_path(loc))
        if caspian:
            self.where[pid]["caspian"] = (line_at(idx, ("projects", i, "caspian")), f"projects[{i}].caspian")


def _changes_of(ps: _ProjectSpec | None, item: dict
                ) -> tuple[list[tuple[int, NodeChange]], list[tuple[int, LinkChange]]]:
    """A project's node and link changes with their positions: all of them where it parsed, else
    those that parse on their own."""
    if ps is not None:
        return list(enumerate(ps.infrastructure.nodes)), list(enumerate(ps.infrastructure.links))
    infra = item.get("infrastructure")
    infra = infra if isinstance(infra, dict) else {}
    return _salvage(NodeChange, infra.get("nodes")), _salvage(LinkChange, infra.get("links"))


def _salvage(model: type[_M], items: object) -> list[tuple[int, _M]]:
    """The entries of a YAML list that parse as `model`, with their positions; an entry with bad
    fields is parsed without them (so its id and sources are still checked), else left out.
    Its problems are reported by the project's own validation."""
    out: list[tuple[int, _M]] = []
    for j, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        try:
            out.append((j, model.model_validate(item)))
            continue
        except PydanticError as exc:
            bad = {e["loc"][0] for e in exc.errors() if e["loc"] and isinstance(e["loc"][0], str)}
        rest = {k: v for k, v in item.items() if k not in bad}
        if bad and rest != item:
            with contextlib.suppress(PydanticError):
                out.append((j, model.model_validate(rest)))
    return out


def _check_projects(path: Path, projects: list[Project], sources: list[SourceEntry], net: Network,
                    where: Where, problems: list[Problem], claimed: Iterable[str] = ()) -> None:
    """Ids that must exist (or be complete new elements), known rate classes and source ids
    (`claimed`: ids of the file's source entries that did not parse, reported already)."""
    checks = _ProjectChecks(path, projects, sources, net, where, problems, claimed)
    seen_ids: set[str] = set()
    for p in projects:
        if p.id in seen_ids:
            checks.bad(p, None, "project_id", "the same id is used twice")
        seen_ids.add(p.id)
        checks.project(p)


class _ProjectChecks:
    """What a project must agree with in the network: its elements, rate classes and sources."""

    def __init__(self, path: Path, projects: list[Project], sources: list[SourceEntry], net: Network,
                 where: Where, problems: list[Problem], claimed: Iterable[str]) -> None:
        self.fname, self.net, self.where, self.problems = str(path), net, where, problems
        known = set(net.sources["source_id"]) if net.sources is not None else set()
        self.known_src = known | {s.id for s in sources} | set(claimed)
        self.nodes, self.links = set(net.nodes["node_id"]), set(net.links["link_id"])
        self.rates = set(net.rates["rate_class"]) if net.rates is not None else set()
        self.new_nodes = {n.id for p in projects for n in p.nodes if n.id not in self.nodes}
        self.line_links = _caspian_line_links(net)
        self.kind = YamlProblem if path.suffix.lower() in (".yaml", ".yml") else Problem

    def bad(self, p: Project, key: Any, col: str, msg: str) -> None:
        w = self.where.get(p.id, {}).get(key)
        line, c = (w[0], w[1]) if w else (None, col)
        self.problems.append(self.kind(self.fname, line, c, f"project '{p.id}': {msg}"))

    def sources(self, p: Project, key: Any, ids: Iterable[str]) -> None:
        import difflib

        for s in ids:
            if s not in self.known_src:
                close = difflib.get_close_matches(s, sorted(self.known_src), n=2, cutoff=0.6)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                self.bad(p, key, "source_id", f"unknown source id '{s[:60]}'{hint}; add it to the sources "
                                              "(corridor sources lists them)")

    def project(self, p: Project) -> None:
        self.sources(p, "cost_source", p.cost_source)
        for key, w in self.where.get(p.id, {}).items():
            if isinstance(key, tuple) and key[0] == "row":  # a CSV row that made no change
                self.sources(p, key, w[2])
        for j, nc in enumerate(p.nodes):
            self.node(p, ("node", j), nc)
        for j, lc in enumerate(p.links):
            self.link(p, ("link", j), lc)
        if p.caspian is not None:
            _check_caspian_change(p.caspian, lambda msg, p=p: self.bad(p, "caspian", "element_id", msg))
            self.sources(p, "caspian", p.caspian.source)

    def node(self, p: Project, key: tuple, nc: NodeChange) -> None:
        import difflib

        if nc.id not in self.nodes:
            missing = [k for k in ("name", "kind", "country", "lon", "lat") if getattr(nc, k) is None]
            if missing:
                close = difflib.get_close_matches(nc.id, sorted(self.nodes), n=3, cutoff=0.7)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                self.bad(p, key, "element_id", f"unknown node '{nc.id[:60]}' (a new node needs "
                                               f"{', '.join(missing)}){hint}")
        self.sources(p, key, nc.source)

    def link(self, p: Project, key: tuple, lc: LinkChange) -> None:
        if lc.id in self.links:
            self._same_ends(p, key, lc)
        else:
            self._complete(p, key, lc)
        for v in (lc.from_, lc.to):
            if v is not None and v not in self.nodes and v not in self.new_nodes:
                self.bad(p, key, "value", f"link '{lc.id}': unknown node '{v[:60]}'")
        if lc.rate_class is not None and self.rates and lc.rate_class not in self.rates:
            self.bad(p, key, "value", f"link '{lc.id}': unknown rate class '{lc.rate_class}'; "
                                      f"known: {', '.join(sorted(self.rates))}")
        if lc.id in self.line_links and (lc.capacity_teu_yr is not None or lc.capacity_t_yr is not None):
            self.bad(p, key, "value", f"link '{lc.id}' is a line of the Caspian crossing: its capacity is "
                                      "its ships' (change the fleet: element vessel, field count; or in YAML "
                                      "caspian: vessels_add)")
        self.sources(p, key, lc.source)

    def _same_ends(self, p: Project, key: tuple, lc: LinkChange) -> None:
        """A link that exists keeps its ends."""
        lk = self.net.links
        row = lk.loc[lk["link_id"] == lc.id].iloc[0]
        for name, v, col in (("from", lc.from_, "from_node_id"), ("to", lc.to, "to_node_id")):
            if v is not None and v != row[col]:
                self.bad(p, key, "value", f"link '{lc.id}' runs {row['from_node_id']}-"
                                          f"{row['to_node_id']}; a project cannot move its '{name}' end "
                                          "(give a new link id)")

    def _complete(self, p: Project, key: tuple, lc: LinkChange) -> None:
        """A new link says all a link needs."""
        import difflib

        missing = lc.missing_for_new()
        if missing:
            close = difflib.get_close_matches(lc.id, sorted(self.links), n=3, cutoff=0.7)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            self.bad(p, key, "element_id", f"unknown link '{lc.id[:60]}' (a new link needs "
                                           f"{', '.join(missing)}){hint}")


def _caspian_line_links(net: Network) -> set[str]:
    """Ferry links the cost model prices as lines of the Caspian crossing (their ships set capacity)."""
    from ..caspian.config import baseline_config

    nodes = {p.node_id for p in baseline_config().ports if p.node_id}
    lk = net.links
    m = (lk["mode"] == "ferry") & lk["from_node_id"].isin(nodes) & lk["to_node_id"].isin(nodes)
    return set(lk.loc[m, "link_id"])


def _check_caspian_change(spec: CaspianSpec, bad) -> None:
    """Known vessel classes or kinds and ports; a project does not move the sea."""
    from ..caspian.config import baseline_config, resolve_fleet_changes

    cfg = baseline_config()
    if spec.level_m is not None or spec.sea_level_m is not None:
        bad("a project cannot change the sea level (a scenario can)")
    try:
        resolve_fleet_changes(cfg, spec.vessels_add)
    except CorridorError as exc:
        bad(str(exc))
    ports = {p.name for p in cfg.ports}
    for port in (*spec.deepen_m, *spec.berths_add):
        if port not in ports:
            bad(f"unknown Caspian port '{port[:40]}'; ports: {', '.join(sorted(ports))}")
