"""The uncertain inputs of the model, read from data: what each judgement value or disputed figure
may be, how to draw it, and how a draw reaches a run.

`uncertain_inputs.csv` gives every judgement value of the Caspian data (keyed by its path in
`caspian_2024.json`, e.g. `ports[Aktau].depth_m`), the judgement rail and sea rates
(`rates.csv`, `rail_kz.speed_kmh`), the calibration's fitted parameters (`assignment_params.json`,
as factors on the fitted value), the demand (a factor on every OD cell) and the appraisal's growth
and discount rates a range (low, high), a distribution (triangular with its mode at the data's
value, uniform, or integer) and the sources behind the range. The queues' delay parameters carry
their range in `queue_params.csv` itself (j_low, j_high) and are read from there.

`reaches` says where a draw acts: `assignment` (the cost model, so flows, routes, gateways and
appraisal benefits), `simulation` (only the Caspian discrete-event simulation: the wait curves
were fitted at the data's value, so the equilibrium does not see it), `appraisal` (growth and
discount), `none` (a value built into another table by scripts/build_data.py). Sweeps draw the
inputs that reach their question; the others keep their range for the record.

`judgement_values()` lists every value the data mark as judgement (the Caspian notes and source
ids, the rows graded judgement in the tables by year, `queue_params.csv`, judgement rates and
rail energy shares) with the range it has, so a test can insist each one has one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np
import pandas as pd

from ..assignment.params import AssignmentParams
from ..assignment.results import FlowResult
from ..caspian.config import CaspianConfig, config_from_dict, load_data
from ..costs import CostTerms, EdgeCosts, edge_costs
from ..datafiles import read_package_csv
from ..errors import CorridorError
from ..network.tables import Network
from ..premiums import PREMIUMS_FILE, risk_premiums, risk_terms
from ..world import World

INPUTS_FILE = "uncertain_inputs.csv"
KINDS = ("value", "factor")
DISTRIBUTIONS = ("triangular", "uniform", "integer")
REACHES = ("assignment", "simulation", "appraisal", "none")
SAMPLERS = ("lhs", "sobol", "random")
# tables whose rows carry low/high columns and mark judgement in their grade or source ids
RANGED_TABLES = ("world_years.csv", "trade_by_year.csv", "corridor_counts_by_year.csv")


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input: where it lives, its range and how it is drawn."""

    name: str
    file: str  # caspian_2024.json, rates.csv, assignment_params.json, queue_params.csv, demand, appraisal
    key: str
    kind: str  # value: low/high are values; factor: they multiply the data's value (1 = as given)
    distribution: str
    low: float
    high: float
    mode: float  # the data's value (a factor's: 1)
    unit: str = ""
    reaches: str = "assignment"
    source_id: str = ""
    notes: str = ""

    @property
    def fixed(self) -> bool:
        """A range of zero width (e.g. a definition): nothing to draw."""
        return self.high <= self.low

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at probabilities `u` in [0, 1) (the inverse of the distribution function)."""
        u = np.asarray(u, dtype=float)
        lo, hi = self.low, self.high
        if self.fixed:
            return np.full(u.shape, lo)
        if self.distribution == "uniform":
            return lo + u * (hi - lo)
        if self.distribution == "integer":
            return np.clip(np.floor(lo + u * (hi - lo + 1.0)), lo, hi)
        c = (self.mode - lo) / (hi - lo)  # triangular, mode at the data's value
        return np.where(u < c, lo + np.sqrt(u * (hi - lo) * (self.mode - lo)),
                        hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - self.mode)))

    def to_dict(self) -> dict:
        return {"input": self.name, "file": self.file, "key": self.key, "kind": self.kind,
                "distribution": self.distribution, "low": self.low, "mode": self.mode, "high": self.high,
                "unit": self.unit, "reaches": self.reaches, "source_id": self.source_id, "notes": self.notes}


# ------------------------------------------------------------------ reading

_STEP = re.compile(r"^([A-Za-z0-9_]+)(?:\[([^\]]+)\])?$")


def json_leaf(data: dict, path: str) -> dict:
    """The sourced number {value, source_id, note} at `path` in the Caspian data (`ports[Aktau].depth_m`:
    a list item is picked by its name)."""
    cur = data
    for step in path.split("."):
        m = _STEP.match(step)
        if m is None or not isinstance(cur, dict) or m.group(1) not in cur:
            raise CorridorError(f"no '{path}' in the Caspian data (at '{step}')")
        cur = cur[m.group(1)]
        if m.group(2) is not None:
            hit = [x for x in cur if isinstance(x, dict) and str(x.get("name")) == m.group(2)] \
                if isinstance(cur, list) else []
            if not hit:
                raise CorridorError(f"no '{path}' in the Caspian data (no item named '{m.group(2)}')")
            cur = hit[0]
    if not (isinstance(cur, dict) and "value" in cur and "source_id" in cur):
        raise CorridorError(f"'{path}' in the Caspian data is not a sourced number")
    return cur


def _params_value(params: AssignmentParams, key: str) -> float | None:
    group, _, name = key.partition(".")
    d = getattr(params, group, None)
    return float(d[name]) if isinstance(d, dict) and name in d else None


def _mode(name: str, kind: str, file: str, key: str, caspian: dict, rates: pd.DataFrame,
          energy: pd.DataFrame) -> float:
    """The data's value of an input (a factor's mode is 1)."""
    if kind == "factor":
        return 1.0
    if file == "caspian_2024.json":
        v = json_leaf(caspian, key)["value"]
        if isinstance(v, list):
            raise CorridorError(f"{INPUTS_FILE}: '{key}' is a monthly profile: give it as a factor")
        return float(v)
    if file in ("rates.csv", "rail_energy.csv"):
        table, idcol = (rates, "rate_class") if file == "rates.csv" else (energy, "country")
        rid, _, col = key.partition(".")
        hit = table.loc[table[idcol] == rid, col] if col in table.columns else pd.Series(dtype=float)
        if hit.empty:
            raise CorridorError(f"{INPUTS_FILE}: no '{key}' in {file}")
        return float(hit.iloc[0])
    if file == "appraisal":
        from .appraisal import DEFAULTS

        return float(DEFAULTS[key])
    raise CorridorError(f"{INPUTS_FILE}: input '{name}' of unknown file '{file}'")


@cache
def _table_inputs() -> tuple[UncertainInput, ...]:
    df = read_package_csv(INPUTS_FILE).rename(columns={"input": "name"})
    caspian, rates = load_data(), read_package_csv("rates.csv")
    energy = read_package_csv("rail_energy.csv")
    problems, out = [], []
    for row in df.itertuples(index=False):
        where = f"{INPUTS_FILE} input '{row.name}'"
        if row.kind not in KINDS or row.distribution not in DISTRIBUTIONS or row.reaches not in REACHES:
            problems.append(f"{where}: kind, distribution or reaches not one of {KINDS}, {DISTRIBUTIONS}, "
                            f"{REACHES}")
            continue
        try:
            mode = _mode(row.name, row.kind, row.file, row.key, caspian, rates, energy)
        except CorridorError as exc:
            problems.append(str(exc))
            continue
        lo, hi = float(row.low), float(row.high)
        if not (lo <= mode <= hi):
            problems.append(f"{where}: the data's value {mode:g} is outside its range {lo:g}-{hi:g}")
        out.append(UncertainInput(str(row.name), str(row.file), str(row.key), str(row.kind),
                                  str(row.distribution), lo, hi, mode, str(row.unit), str(row.reaches),
                                  str(row.source_id), str(row.notes)))
    if problems:
        raise CorridorError("bad uncertain inputs: " + "; ".join(problems))
    return tuple(out)


def _queue_inputs() -> tuple[UncertainInput, ...]:
    """The delay parameter J of each kind of queue, with its range from `queue_params.csv`."""
    df = read_package_csv("queue_params.csv")
    return tuple(UncertainInput(f"queue_j_{r.queue}_{r.unit}".lower(), "queue_params.csv",
                                f"{r.queue}/{r.unit}",
                                "value", "triangular", float(r.j_low), float(r.j_high), float(r.j),
                                "TEU" if r.unit == "TEU" else "TEU-equivalents of 10 t", "assignment",
                                str(r.source_id), str(r.note))
                 for r in df.itertuples(index=False))


def _premium_inputs() -> tuple[UncertainInput, ...]:
    """The level of each transit-risk premium (USD per TEU at full force), with its range from
    `risk_premiums.csv`: the fitted level is the mode, the file's low and high the range."""
    why = "its level: fitted to the corridor counts within the range the file gives (no source prices it)"
    return tuple(UncertainInput(f"premium_{p.name}", PREMIUMS_FILE, p.name, "value", "triangular",
                                float(p.low), float(p.high), float(p.usd_per_teu),
                                "USD per TEU at full force", "assignment", p.source_id,
                                f"The {p.name.replace('_', ' ')} premium, {why}.")
                 for p in risk_premiums())


def uncertain_inputs(reaches: str | tuple[str, ...] | None = None,
                     names: list[str] | None = None) -> list[UncertainInput]:
    """Every uncertain input with its range (`uncertain_inputs.csv` and the queues' J), or those that
    reach `reaches` (one of REACHES or several), or those `names`; fitted parameters the bundled
    calibration does not have are left out."""
    params = AssignmentParams.load()
    items = [i for i in (*_table_inputs(), *_queue_inputs(), *_premium_inputs())
             if i.file != "assignment_params.json" or _params_value(params, i.key) is not None]
    if reaches is not None:
        want = (reaches,) if isinstance(reaches, str) else tuple(reaches)
        items = [i for i in items if i.reaches in want]
    if names is not None:
        known = {i.name: i for i in items}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise CorridorError(f"unknown uncertain input(s) {', '.join(unknown[:5])}; see {INPUTS_FILE} "
                                "(corridor sweep inputs lists them)")
        items = [known[n] for n in names]
    return items


def inputs_frame(inputs: list[UncertainInput] | None = None) -> pd.DataFrame:
    """The inputs as a table (one row each)."""
    return pd.DataFrame([i.to_dict() for i in (inputs if inputs is not None else uncertain_inputs())])


# ------------------------------------------------------------------ judgement values in the data


def _caspian_judgements() -> list[dict]:
    out: list[dict] = []

    def walk(x: object, path: str) -> None:
        if isinstance(x, dict) and "value" in x and "source_id" in x:
            note = str(x.get("note", ""))
            if "judgement" in str(x["source_id"]).lower() or "judgement" in note.lower():
                out.append({"file": "caspian_2024.json", "key": path, "value": x["value"],
                            "source_id": x["source_id"], "note": note})
            return
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, f"{path}[{v['name'] if isinstance(v, dict) and 'name' in v else i}]")

    walk(load_data(), "")
    return out


def judgement_values() -> pd.DataFrame:
    """Every value the bundled data mark as judgement, with the range it has (NaN where none): the
    Caspian figures whose source or note says judgement, the rows graded judgement in the tables by
    year, the queues' J, and the judgement rates and rail energy shares."""
    ranges = {(i.file, i.key): i for i in (*_table_inputs(), *_queue_inputs())}
    rows = []
    for j in _caspian_judgements():
        r = ranges.get(("caspian_2024.json", j["key"]))
        rows.append({**j, "low": r.low if r else np.nan, "high": r.high if r else np.nan,
                     "range_source": r.source_id if r else "", "kind": r.kind if r else ""})
    for name in RANGED_TABLES:
        df = read_package_csv(name)
        marked = (df["grade"].astype(str).str.contains("judgement", case=False)
                  | df["source_id"].astype(str).str.contains("judgement", case=False))
        idcol = next(c for c in ("item", "flow", "count_id") if c in df.columns)
        for r in df[marked].itertuples(index=False):
            rows.append({"file": name, "key": f"{r.year}.{getattr(r, idcol)}", "value": r.value,
                         "source_id": r.source_id, "note": str(getattr(r, "notes", "")),
                         "low": r.low, "high": r.high, "range_source": r.source_id, "kind": "value"})
    for i in _queue_inputs():
        rows.append({"file": i.file, "key": i.key, "value": i.mode, "source_id": i.source_id, "note": i.notes,
                     "low": i.low, "high": i.high, "range_source": i.source_id, "kind": "value"})
    for name, idcol in (("rates.csv", "rate_class"), ("rail_energy.csv", "country")):
        df = read_package_csv(name)
        for r in df[df["notes"].astype(str).str.contains("judgement", case=False)].itertuples(index=False):
            rid = getattr(r, idcol)
            mine = [i for (f, k), i in ranges.items() if f == name and k.startswith(f"{rid}.")]
            rows.append({"file": name, "key": f"{rid}.*", "value": np.nan, "source_id": "",
                         "note": str(r.notes), "low": min((i.low for i in mine), default=np.nan),
                         "high": max((i.high for i in mine), default=np.nan),
                         "range_source": ";".join(i.source_id for i in mine), "kind": "value"})
    return pd.DataFrame(rows)


def unranged_judgements() -> pd.DataFrame:
    """The judgement values that have no range (low or high missing, or not around the value)."""
    df = judgement_values()
    v = pd.to_numeric(df["value"], errors="coerce")
    lo, hi = pd.to_numeric(df["low"], errors="coerce"), pd.to_numeric(df["high"], errors="coerce")
    scalar = v.notna() & (df["kind"] == "value")
    bad = lo.isna() | hi.isna() | (lo > hi) | (scalar & ((v < lo - 1e-9) | (v > hi + 1e-9)))
    return df[bad].reset_index(drop=True)


# ------------------------------------------------------------------ drawing


def sample(inputs: list[UncertainInput], n: int, *, method: str = "lhs", seed: int = 0) -> pd.DataFrame:
    """`n` draws of the inputs (one column each): a Latin hypercube, a scrambled Sobol sequence
    (`scipy.stats.qmc`) or plain random numbers, from `seed`; the same call gives the same draws."""
    from scipy.stats import qmc

    if method not in SAMPLERS:
        raise CorridorError(f"sampler must be one of {', '.join(SAMPLERS)}, got '{str(method)[:20]}'")
    if n < 0:
        raise CorridorError("the number of draws must be >= 0")
    varied = [i for i in inputs if not i.fixed]
    if n == 0:
        return pd.DataFrame(columns=[i.name for i in inputs])
    if not varied:
        u = np.zeros((n, 0))
    elif method == "lhs":
        u = qmc.LatinHypercube(d=len(varied), seed=seed).random(n)
    elif method == "sobol":
        u = qmc.Sobol(d=len(varied), scramble=True, seed=seed).random(n)
    else:
        u = np.random.default_rng(seed).random((n, len(varied)))
    cols = {i.name: i.ppf(u[:, k]) for k, i in enumerate(varied)}
    return pd.DataFrame({i.name: cols[i.name] if i.name in cols else np.full(n, i.low) for i in inputs})


# ------------------------------------------------------------------ what a draw does to a run


@dataclass(frozen=True)
class Draw:
    """One draw's values, by where they act."""

    caspian: dict[str, float] = field(default_factory=dict)  # JSON path -> value (or factor)
    rates: dict[str, float] = field(default_factory=dict)  # rate_class.column -> value
    params: dict[str, float] = field(default_factory=dict)  # group.name -> factor
    queue_j: dict[str, float] = field(default_factory=dict)  # queue/unit -> J
    premiums: dict[str, float] = field(default_factory=dict)  # premium name -> USD per TEU at full force
    demand_scale: float = 1.0
    appraisal: dict[str, float] = field(default_factory=dict)  # growth, discount

    @classmethod
    def of(cls, inputs: list[UncertainInput], values: dict[str, float]) -> Draw:
        parts: dict[str, dict] = {"caspian": {}, "rates": {}, "params": {}, "queue_j": {}, "appraisal": {},
                                  "premiums": {}}
        where = {"caspian_2024.json": "caspian", "rates.csv": "rates", "assignment_params.json": "params",
                 "queue_params.csv": "queue_j", "appraisal": "appraisal", PREMIUMS_FILE: "premiums"}
        scale = 1.0
        for i in inputs:
            if i.name not in values:
                continue
            v = float(values[i.name])
            if i.file == "demand":
                scale *= v
            elif i.file in where:
                parts[where[i.file]][i.key] = v
        return cls(demand_scale=scale, **parts)

    def caspian_config(self, base: CaspianConfig | None) -> CaspianConfig | None:
        """The crossing with this draw's values, carrying the changes `base` (a scenario's crossing,
        None: the bundled one) makes to the bundled data: its sea level, fleet, depths and berths."""
        if not self.caspian:
            return base
        data = json.loads(json.dumps(load_data()))
        for path, v in self.caspian.items():
            leaf = json_leaf(data, path)
            if isinstance(leaf["value"], list):
                leaf["value"] = [float(x) * v for x in leaf["value"]]
            else:
                leaf["value"] = int(round(v)) if isinstance(leaf["value"], int) else v
        drawn = config_from_dict(data)
        if base is None:
            return drawn
        bundled = config_from_dict(load_data())
        fleet = {v.name: v.count - b.count for v, b in zip(base.vessels, bundled.vessels, strict=True)}
        deepen = {p.name: p.depth_m - b.depth_m for p, b in zip(base.ports, bundled.ports, strict=True)}
        berths = {p.name: {k: n - b.berths.get(k, 0) for k, n in p.berths.items()}
                  for p, b in zip(base.ports, bundled.ports, strict=True)}
        drawn = replace(drawn, sea_level_m=base.sea_level_m).with_fleet({k: v for k, v in fleet.items() if v})
        added = {k: {kk: n for kk, n in v.items() if n} for k, v in berths.items()}
        return drawn.with_ports(deepen={k: v for k, v in deepen.items() if v}, berths_add=added)

    def premium_terms(self, world: World) -> CostTerms | None:
        """The terms that, added to `world`'s, put this draw's premium levels in place of the data's,
        for the premiums it charges (a scenario that switched the premiums off keeps them off); None
        when the draw has no premiums."""
        if not self.premiums:
            return None
        now, drawn = risk_terms(world.year), risk_terms(world.year, self.premiums)
        entry = {k: drawn.entry_usd.get(k, 0.0) - v for k, v in now.entry_usd.items()
                 if k in world.terms.entry_usd}
        passage = {k: drawn.passage_usd.get(k, 0.0) - v for k, v in now.passage_usd.items()
                   if k in world.terms.passage_usd}
        return CostTerms(entry_usd=entry, passage_usd=passage)

    def world(self, world: World) -> World:
        """`world` with this draw's premium levels in place of the data's (`premium_terms`)."""
        terms = self.premium_terms(world)
        return world if terms is None else world.with_terms(terms)

    def assignment_params(self, params: AssignmentParams) -> AssignmentParams:
        """The calibration's parameters with this draw's factors."""
        if not self.params:
            return params
        d = params.to_dict()
        for key, f in self.params.items():
            group, _, name = key.partition(".")
            if name in d.get(group, {}):
                d[group] = {**d[group], name: d[group][name] * f}
        return AssignmentParams.from_dict(d, where="drawn assignment parameters")

    def network(self, net: Network) -> Network:
        """`net` with this draw's rates (a new network; `net` untouched)."""
        if not self.rates or net.rates is None:
            return net
        rates = net.rates.copy()
        for key, v in self.rates.items():
            rid, _, col = key.partition(".")
            if col not in rates.columns or not (rates["rate_class"] == rid).any():
                raise CorridorError(f"the network's rates have no '{key}'")
            rates.loc[rates["rate_class"] == rid, col] = v
        return Network.from_tables(net.raw_nodes, net.raw_links, sources=net.sources, rates=rates,
                                   commodities=net.commodities, geometry=net.geometry, name=net.name)


def run_copy(net: Network) -> Network:
    """A copy of `net` sharing its tables and compiled graph, with its own cache (seeded with the
    entries `net` has, except edge costs): what one run adds to the cache dies with the run."""
    import copy

    out = copy.copy(net)
    object.__setattr__(out, "cache", {k: v for k, v in net.cache.items() if not isinstance(v, EdgeCosts)})
    return out


def queue_kind(net: Network, costs: EdgeCosts) -> np.ndarray:
    """Per queue of `costs`: its kind and unit as queue_params.csv names them (`link/TEU`, `port/t`, ...),
    '' for a Caspian line (its J is fitted to the simulation)."""
    kind = net.nodes["kind"].to_numpy(object)
    is_link = costs.owner_link >= 0
    node_kind = np.where(kind[np.maximum(costs.owner_node, 0)] == "port", "port", "node")
    q = np.where(is_link, "link", node_kind)
    unit = np.where(costs.unit == "t", "t", "TEU")
    return np.where(costs.service != "", "", np.char.add(np.char.add(q.astype(str), "/"), unit.astype(str)))


def with_queue_j(net: Network, world: World, params: AssignmentParams, j: dict[str, float]) -> Network:
    """`net` (a run's own copy, `run_copy`) whose edge costs in `world` under `params` carry the drawn
    delay parameters J per kind of queue.

    The cost model reads J from queue_params.csv and caches the edge costs of a world on the network
    (`costs.edge_costs`); the run's copy gets those costs with the drawn J in place, under the key the
    cost model itself chose, so the assignment meets them. `check_queue_j` confirms it did."""
    if not j:
        return net
    w = world.with_terms(params.terms)
    before = dict(net.cache)
    costs = edge_costs(net, w)
    keys = [k for k, v in net.cache.items() if v is costs and k not in before]
    if len(keys) != 1:
        raise CorridorError("cannot set the queues' J for this run: the cost model no longer caches a "
                            "world's edge costs on the network")
    kinds = queue_kind(net, costs)
    new_j = costs.curves.j.copy()
    for name, value in j.items():
        new_j[kinds == name] = value
    net.cache[keys[0]] = replace(costs, curves=replace(costs.curves, j=new_j))
    return net


def check_queue_j(flows: FlowResult, j: dict[str, float], net: Network) -> None:
    """Raise if an assignment did not meet the drawn J (its queue table reports each queue's J)."""
    if not j or flows.queues is None or flows.queues.empty:
        return
    q = flows.queues
    kind = np.where(q["kind"] == "link", "link",
                    np.where(q["id"].map(dict(zip(net.nodes["node_id"], net.nodes["kind"], strict=True)))
                             == "port", "port", "node"))
    unit = np.where(q["unit"] == "t", "t", "TEU")
    key = pd.Series(kind).str.cat(pd.Series(unit), sep="/").to_numpy()
    for name, value in j.items():
        m = (key == name) & (q["service"].to_numpy() == "")
        if m.any() and not np.allclose(q["j"].to_numpy()[m], value):
            raise CorridorError(f"the assignment did not use the drawn J of {name} ({value:g})")
