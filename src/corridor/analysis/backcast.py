"""Worlds by year, backcast and fitted: the same parameters for 2019-2025 against each year's counts.

Each year is a bundled scenario (`world-<year>`: that year's prices, policies, network state and
demand, built from sourced data by scripts/build_worlds.py and scripts/build_demand.py). The
behaviour that turns those worlds into flows is shared by every year: the logit dispersion per
commodity, the transit-risk premiums (Russia and Belarus from 2022, Iran throughout; premiums.py)
and the size of the Central Asian cargo pool that no series publishes. `fit_years` fits them at once
to the counts of corridor_counts_by_year.csv named in year_targets.csv (least squares on log
values); `leave_one_year_out` refits without each year and predicts it; `backcast` runs any
parameters over the years.

The counts are never inputs: demand comes from trade (build_demand.py), so a fitted flow that
matches a count is the model choosing routes, not a count copied back.

    >>> from corridor.analysis.backcast import prepare_years, backcast
    >>> years = prepare_years(net)                 # each year's world, demand and choice set
    >>> backcast(years).table                      # year, target, published, modelled, error
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..assignment.choice_sets import ChoiceSet, choice_set
from ..assignment.freight import assign, tonnes_per_teu
from ..assignment.params import AssignmentParams
from ..assignment.results import FlowResult
from ..datafiles import bundled_data_dir, read_package_csv
from ..demand import Demand
from ..errors import CorridorError, Problem, ValidationError
from ..network.tables import Network
from ..premiums import premium_names, risk_premiums, risk_terms
from ..readers import read_text_csv
from ..world import World

YEARS = tuple(range(2019, 2026))
TARGETS_FILE = "year_targets.csv"
COUNTS_FILE = "corridor_counts_by_year.csv"
POOL_TAG = "[ca_eu_"  # demand rows of the Central Asian pool (build_demand.py)
TC_TAG, SEA_TAG = "[cn_eu_tc_", "[cn_eu_sea_"  # China-Europe boxes: time-critical, and the rest
TC_SHARE_BOUNDS = (0.02, 0.20)
BOXES = ("container", "general")
MU_BOUNDS = (np.log(0.5), np.log(60.0))
POOL_BOUNDS = (0.3, 3.0)  # the pool's scale against build_demand.py's judgement (8-25 Mt around 15)
PRIOR_MU = 8.0
PRIOR_WEIGHT = 0.05  # a weak pull of each ln μ towards the prior, so that the fit is unique


@dataclass(frozen=True)
class Behaviour:
    """What every year shares: the logit dispersion per commodity, the premiums' levels (USD per TEU at
    full force, by premium name) and the scale of the Central Asian cargo pool."""

    dispersion: Mapping[str, float]
    premiums: Mapping[str, float]
    pool_scale: float = 1.0
    time_critical_share: float | None = None  # of China-Europe boxes; None: as the bundled demand

    @classmethod
    def bundled(cls) -> Behaviour:
        """The bundled behaviour: the calibrated dispersion, the premiums' levels in the data, and the
        pool as the bundled demand holds it (a fitted scale is written into the demand tables)."""
        p = AssignmentParams.load()
        return cls(dict(p.dispersion), {r.name: r.usd_per_teu for r in risk_premiums()}, 1.0, None)

    def to_dict(self) -> dict:
        tc = None if self.time_critical_share is None else round(self.time_critical_share, 4)
        return {"dispersion": {k: round(v, 4) for k, v in self.dispersion.items()},
                "premiums_usd": {k: round(v, 1) for k, v in self.premiums.items()},
                "pool_scale": round(self.pool_scale, 4), "time_critical_share": tc}


@dataclass
class Year:
    """One year's world, demand and choice set (built once, in the world at the data's premiums)."""

    year: int
    network: Network
    world: World  # without premiums: each run adds the behaviour's
    demand: Demand
    routes: ChoiceSet


def prepare_years(net: Network, years: Iterable[int] = YEARS, progress: Callable | None = None) -> list[Year]:
    """Each year's scenario applied to `net`, and its choice set."""
    from ..scenarios.apply import apply_scenario  # scenarios sit above analysis's inputs

    out = []
    for y in years:
        a = apply_scenario(f"world-{y}", network=net)
        w = a.world
        bare = replace(w, terms=w.terms + _negate(risk_terms(y)))  # the scenario's own terms only
        classes = sorted(set(a.demand.table["commodity"]))
        ods = {(o, d) for o, d in zip(a.demand.table["origin"], a.demand.table["destination"], strict=True)}
        idx = a.network.node_index
        pairs = {(idx[o], idx[d]) for o, d in ods}
        rs = choice_set(a.network, pairs, world=w, commodities=classes, missing="skip")
        out.append(Year(y, a.network, bare, a.demand, rs))
        if progress is not None:
            progress(y)
    return out


def _negate(t):
    from ..costs import CostTerms

    return CostTerms({k: -v for k, v in t.corridor_usd.items()}, {k: -v for k, v in t.entry_usd.items()},
                     {k: -v for k, v in t.passage_usd.items()}, 0.0)


def bundled_time_critical_share(demand: Demand) -> float:
    """The share of China-Europe boxes the demand table holds as time-critical."""
    m = demand.table["method"].astype(str)
    tc = demand.table.loc[m.str.startswith(TC_TAG), "teu_per_year"].sum()
    sea = demand.table.loc[m.str.startswith(SEA_TAG), "teu_per_year"].sum()
    return float(tc / (tc + sea)) if tc + sea > 0 else 0.0


def scaled_demand(demand: Demand, pool_scale: float, time_critical_share: float | None = None) -> Demand:
    """`demand` with the Central Asian pool's rows scaled, and China-Europe boxes split anew between
    the time-critical rows and the rest (their total unchanged)."""
    if pool_scale == 1.0 and time_critical_share is None:
        return demand
    df = demand.table.copy()
    m = df["method"].astype(str)
    cols = ["teu_per_year", "t_per_year"]
    df.loc[m.str.startswith(POOL_TAG), cols] *= pool_scale
    if time_critical_share is not None:
        s0 = bundled_time_critical_share(demand)
        if 0 < s0 < 1:
            df.loc[m.str.startswith(TC_TAG), cols] *= time_critical_share / s0
            df.loc[m.str.startswith(SEA_TAG), cols] *= (1 - time_critical_share) / (1 - s0)
    return Demand(df, source=demand.source)


def run_year(y: Year, b: Behaviour, *, rgap: float = 1e-3, max_iter: int = 200) -> FlowResult:
    """The year's stochastic assignment with behaviour `b`."""
    params = AssignmentParams(dispersion=dict(b.dispersion), note="backcast")
    world = y.world.with_terms(risk_terms(y.year, b.premiums))
    return assign(y.network, scaled_demand(y.demand, b.pool_scale, b.time_critical_share), params=params,
                  world=world,
                  routes=y.routes, rgap=rgap, max_iter=max_iter, unserved="report")


MEASURES = ("china_europe_family_teu", "family_box_teu", "family_t", "link_teu", "port_teu", "transship_teu",
            "service_units")
TARGET_COLUMNS = ("target_id", "count_id", "years", "measure", "selector", "scale", "unit", "weight",
                  "description")


def load_year_targets(path: str | Path | None = None, network: Network | None = None) -> pd.DataFrame:
    """The counts the fit answers to: a targets file (default the bundled year_targets.csv: which
    counts, measured how), checked with every problem at once at its line, joined to the values of
    corridor_counts_by_year.csv; one row per (target, year)."""
    p = Path(path) if path is not None else bundled_data_dir() / TARGETS_FILE
    txt = _read_targets(p)
    fname = p.name
    counts = read_package_csv(COUNTS_FILE)
    known = set(counts["count_id"])
    problems: list[Problem] = []
    if len(txt) == 0:
        problems.append(Problem(fname, 2, None, "no targets: the file has a header and no rows"))
    seen: dict[str, int] = {}
    rows = []
    for i in range(len(txt)):
        r = txt.iloc[i]
        line = int(txt["__line__"].iat[i])
        _check_target_names(r, line, fname, seen, known, problems)
        nums = _positive_numbers(r, line, fname, problems)
        years = _target_years(r, line, fname, problems)
        if len(nums) == 2 and r["count_id"] in known:
            rows += _target_counts(r, nums, years, counts)
    if problems:
        raise ValidationError(problems)
    return pd.DataFrame(rows)


def _read_targets(p: Path) -> pd.DataFrame:
    """The targets file as text, or a ValidationError: the rows are only worth checking once the
    file reads and has every column."""
    problems: list[Problem] = []
    txt = read_text_csv(p, problems)
    if txt is not None:
        problems += [Problem(p.name, 1, c, "missing column") for c in TARGET_COLUMNS if c not in txt.columns]
    if problems or txt is None:  # an unread file has its problem listed
        raise ValidationError(problems)
    return txt


def _check_target_names(r: pd.Series, line: int, fname: str, seen: dict[str, int], known: set[str],
                        problems: list[Problem]) -> None:
    """A target's names: its id given once in the file, a count of the counts file, a known measure
    (`seen` records the line of each id so far)."""
    tid = r["target_id"]
    if not tid:
        problems.append(Problem(fname, line, "target_id", "empty"))
    elif tid in seen:
        problems.append(Problem(fname, line, "target_id",
                                f"duplicate '{tid[:40]}': also on line {seen[tid]}"))
    else:
        seen[tid] = line
    if r["count_id"] not in known:
        problems.append(Problem(fname, line, "count_id", f"'{r['count_id'][:40]}' is not a count of "
                                f"{COUNTS_FILE}"))
    if r["measure"] not in MEASURES:
        problems.append(Problem(fname, line, "measure", f"unknown measure '{r['measure'][:40]}'; use one "
                                f"of {', '.join(MEASURES)}"))


def _positive_numbers(r: pd.Series, line: int, fname: str, problems: list[Problem]) -> dict[str, float]:
    """A target's scale and weight, those that are numbers > 0 (the row is used only with both)."""
    nums = {}
    for col in ("scale", "weight"):
        try:
            nums[col] = float(r[col])
            if not (np.isfinite(nums[col]) and nums[col] > 0):
                raise ValueError
        except ValueError:
            problems.append(Problem(fname, line, col, f"'{r[col][:40]}' is not a number > 0"))
    return nums


def _target_years(r: pd.Series, line: int, fname: str, problems: list[Problem]) -> set[int] | None:
    """The years a target is fitted in (None: every year of its count, also when the list is bad)."""
    if not r["years"]:
        return None
    try:
        return {int(y) for y in r["years"].split(";")}
    except ValueError:
        problems.append(Problem(fname, line, "years", f"'{r['years'][:40]}' is not a list of years "
                                "joined by ';'"))
        return None


def _target_counts(r: pd.Series, nums: dict[str, float], years: set[int] | None,
                   counts: pd.DataFrame) -> list[dict[str, object]]:
    """A checked target joined to its count's values: one row per year it is fitted in."""
    rows: list[dict[str, object]] = []
    for h in counts[counts["count_id"] == r["count_id"]].itertuples(index=False):
        if years is not None and int(h.year) not in years:
            continue
        rows.append({"target_id": r["target_id"], "year": int(h.year), "measure": r["measure"],
                     "selector": r["selector"], "published": float(h.value) * nums["scale"],
                     "unit": r["unit"], "weight": nums["weight"], "source_id": h.source_id,
                     "description": r["description"]})
    return rows


def measure(result: FlowResult, demand: Demand, net: Network, kind: str, selector: str) -> float:
    """A modelled count: paths of a family (TEU of boxes, tonnes of all), a link's or a node's flow."""
    if kind == "link_teu":
        links = result.links.set_index("link_id")
        return float(links.loc[selector, "flow_teu"]) if selector in links.index else 0.0
    if kind in ("port_teu", "transship_teu"):  # boxes between ship and land at a port; a dry port's lifts
        nodes = result.nodes.set_index("node_id")
        if selector not in nodes.index:
            return 0.0
        # a box moving between modes at a node is one transshipment edge, so counted once (a port
        # counts a box discharged from a ship onto a train once)
        lifted = float(nodes.loc[selector, "transshipped_teu"])
        return lifted * _box_share(result, selector, by_water=kind == "port_teu")
    if kind not in MEASURES:
        raise CorridorError(f"unknown measure {kind}")
    if kind == "service_units":
        q = result.queues
        if q is None:
            raise CorridorError(f"measure {kind} counts queues; this {result.method} result has no "
                                "queue table")
        return float(q.loc[q["service"] == selector, "load"].sum())
    return _path_measure(result, demand, net, kind, selector)


def _box_share(result: FlowResult, node: str, *, by_water: bool) -> float:
    """The share of boxes (containerised classes) in what a node lifts: the published counts are
    containers, and bulk is lifted there too. Read from the class flows of its links (a port's by
    water: its ferry and sea links, which every lift at the port meets)."""
    lk = result.links
    touch = (lk["from_node_id"] == node) | (lk["to_node_id"] == node)
    if by_water:
        touch &= lk["mode"].isin(["ferry", "sea"])
    cols = [f"flow_{c}_teu" for c in result.commodities if f"flow_{c}_teu" in lk.columns]
    total = float(lk.loc[touch, cols].to_numpy().sum()) if cols else 0.0
    if total <= 0:
        return 1.0
    boxes = [f"flow_{c}_teu" for c in result.commodities if c in BOXES and f"flow_{c}_teu" in lk.columns]
    return float(lk.loc[touch, boxes].to_numpy().sum()) / total


def _path_measure(result: FlowResult, demand: Demand, net: Network, kind: str, selector: str) -> float:
    """A count of a family's paths: only a stochastic assignment keeps its paths (a UE or AON result
    has flows by link, not by route, so a family's share of them is not known)."""
    p = result.paths
    if p is None:
        raise CorridorError(f"measure {kind} counts paths; a {result.method} assignment keeps none "
                            "(method 'sue' does)")
    fam = p["corridor"] == selector.split(":")[0]
    if kind == "family_box_teu":
        return float(p.loc[fam & p["commodity"].isin(BOXES), "teu"].sum())
    if kind == "family_t":
        ratio = tonnes_per_teu(demand)
        return float((p.loc[fam, "teu"] * p.loc[fam, "commodity"].map(ratio)).sum())
    if kind == "china_europe_family_teu":
        country = dict(zip(net.nodes["node_id"], net.nodes["country"], strict=True))
        o, d = p["origin"].map(country), p["destination"].map(country)
        ca = {"KAZ", "UZB", "KGZ", "TKM", "TJK"}
        cn_eu = ((o == "CHN") & ~d.isin(ca | {"CHN"})) | ((d == "CHN") & ~o.isin(ca | {"CHN"}))
        return float(p.loc[fam & cn_eu & p["commodity"].isin(BOXES), "teu"].sum())
    raise CorridorError(f"unknown measure {kind}")


@dataclass(frozen=True)
class Backcast:
    behaviour: Behaviour
    table: pd.DataFrame  # year, target_id, published, modelled, error_pct, unit, source_id
    results: dict[int, FlowResult] = field(default_factory=dict, repr=False)


def backcast(years: list[Year], b: Behaviour | None = None, targets: pd.DataFrame | None = None,
             *, keep_results: bool = False) -> Backcast:
    """Run behaviour `b` (default: the bundled) over the years and set each count beside its model."""
    b = b or Behaviour.bundled()
    targets = load_year_targets() if targets is None else targets
    rows, results = [], {}
    for y in years:
        res = run_year(y, b)
        if keep_results:
            results[y.year] = res
        for t in targets[targets["year"] == y.year].itertuples(index=False):
            m = measure(res, scaled_demand(y.demand, b.pool_scale, b.time_critical_share), y.network,
                        t.measure, t.selector)
            rows.append({"year": y.year, "target_id": t.target_id, "unit": t.unit, "published": t.published,
                         "modelled": m, "error_pct": 100.0 * (m / t.published - 1.0),
                         "source_id": t.source_id})
    return Backcast(b, pd.DataFrame(rows), results)


@dataclass(frozen=True)
class YearFit:
    behaviour: Behaviour
    start: Behaviour
    table: pd.DataFrame  # the backcast at the fitted behaviour
    evaluations: int
    seconds: float
    rms_log_error: float


def _unpack(x: np.ndarray, classes: list[str], names: list[str]) -> Behaviour:
    n = len(classes)
    return Behaviour({c: float(np.exp(v)) for c, v in zip(classes, x[:n], strict=True)},
                     {p: float(v) * 1000.0 for p, v in zip(names, x[n: n + len(names)], strict=True)},
                     float(x[-2]), float(x[-1]))


def fit_years(years: list[Year], targets: pd.DataFrame | None = None, start: Behaviour | None = None, *,
              fitted_premiums: Iterable[str] = ("russia_belarus_transit", "iran_transit"),
              max_evaluations: int = 120, progress: Callable | None = None) -> YearFit:
    """Fit the dispersion per commodity, the premiums in `fitted_premiums` (within their ranges) and
    the pool's scale to every year's counts at once."""
    from scipy.optimize import least_squares

    t0 = time.perf_counter()
    targets = load_year_targets() if targets is None else targets
    targets = targets[targets["year"].isin([y.year for y in years])].reset_index(drop=True)
    start = start or Behaviour.bundled()
    classes = sorted({c for y in years for c in y.demand.table["commodity"]})
    names = [n for n in premium_names() if n in set(fitted_premiums)]
    ranges = {r.name: (r.low, r.high) for r in risk_premiums()}
    fixed = {k: v for k, v in start.premiums.items() if k not in names}
    published = targets["published"].to_numpy(float)
    weight = np.sqrt(targets["weight"].to_numpy(float))
    evaluations = 0

    def modelled(b: Behaviour) -> np.ndarray:
        nonlocal evaluations
        evaluations += 1
        bt = backcast(years, b, targets)
        if progress is not None:
            progress(evaluations, b)
        got = bt.table.set_index(["year", "target_id"])["modelled"]
        return np.array([got[(y, t)] for y, t in zip(targets["year"], targets["target_id"], strict=True)])

    def full(x: np.ndarray) -> Behaviour:
        b = _unpack(x, classes, names)
        return replace(b, premiums={**fixed, **b.premiums})

    def residual(x: np.ndarray) -> np.ndarray:
        err = weight * np.log(np.maximum(modelled(full(x)), 1.0) / published)
        return np.concatenate([err, PRIOR_WEIGHT * (x[: len(classes)] - np.log(PRIOR_MU))])

    tc0 = start.time_critical_share or bundled_time_critical_share(years[0].demand)
    x0 = np.array([np.log(start.dispersion.get(c, PRIOR_MU)) for c in classes]
                  + [start.premiums.get(n, 0.0) / 1000.0 for n in names] + [start.pool_scale, tc0])
    lo = np.array([MU_BOUNDS[0]] * len(classes) + [ranges[n][0] / 1000.0 for n in names]
                  + [POOL_BOUNDS[0], TC_SHARE_BOUNDS[0]])
    hi = np.array([MU_BOUNDS[1]] * len(classes) + [ranges[n][1] / 1000.0 for n in names]
                  + [POOL_BOUNDS[1], TC_SHARE_BOUNDS[1]])
    x0 = np.clip(x0, lo + 1e-6, hi - 1e-6)
    sol = least_squares(residual, x0, bounds=(lo, hi), diff_step=np.full(len(x0), 2e-2),
                        max_nfev=max_evaluations, xtol=1e-4, ftol=1e-4,
                        x_scale=np.r_[np.full(len(classes), 0.5), np.ones(len(names)), 0.3, 0.03])
    b = full(sol.x)
    table = backcast(years, b, targets).table
    rms = float(np.sqrt(np.mean(np.log(np.maximum(table["modelled"], 1.0) / table["published"]) ** 2)))
    return YearFit(b, start, table, evaluations, time.perf_counter() - t0, rms)


def leave_one_year_out(years: list[Year], start: Behaviour, held: Iterable[int],
                       targets: pd.DataFrame | None = None, **fit_options) -> pd.DataFrame:
    """For each year in `held`: fit on the other years, predict it; one row per (held year, target)."""
    targets = load_year_targets() if targets is None else targets
    rows = []
    for h in held:
        others = [y for y in years if y.year != h]
        fit = fit_years(others, targets, start, **fit_options)
        pred = backcast([y for y in years if y.year == h], fit.behaviour, targets).table
        pred.insert(0, "held_out", h)
        rows.append(pred)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
