"""The brief of a scenario against another: where the cargo moves (gains and losses both), what it
costs in days and money, and why – the policy and capacity changes behind it, and the queues, waits
and slot prices they set off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.uncertainty import Ranges
from ..scenarios.diff import ScenarioDiff, diff
from ..scenarios.run import ScenarioResult, run_scenario
from .brief import Brief, BriefTable, Chart, KeyFigure, Progress, say
from .provenance import provenance, with_options
from .sources import data_ids, demand_ids, element_ids, ids_in, params_ids, sources_table
from .text import (
    COMMON_LIMITS,
    UNCERTAINTY_DOC,
    num,
    pct,
    ranges_table,
    signed,
    terms_words,
    teu_short,
    timed,
)

SECONDS_PER_DRAW = 6  # a draw assigns both scenarios (measured on a loaded 2-core machine)
LINKS_SHOWN, QUEUES_SHOWN, COUNTRIES_SHOWN = 12, 10, 10


def _corridor_table(d: ScenarioDiff) -> BriefTable:
    c = d.corridors
    shown = pd.DataFrame(
        {
            "corridor": c["corridor"],
            f"TEU/yr {d.a}": c["teu_a"].map(num),
            f"TEU/yr {d.b}": c["teu_b"].map(num),
            "change": c["d_teu"].map(signed),
            "share": [f"{pct(a)} → {pct(b)}" for a, b in zip(c["share_a"], c["share_b"], strict=True)],
            "mean days": [
                f"{num(a, 1)} → {num(b, 1)}" for a, b in zip(c["mean_days_a"], c["mean_days_b"], strict=True)
            ],
            "p90 days": [
                f"{num(a, 1)} → {num(b, 1)}" for a, b in zip(c["p90_days_a"], c["p90_days_b"], strict=True)
            ],
            "USD/TEU": [
                f"{num(a)} → {num(b)}" for a, b in zip(c["usd_per_teu_a"], c["usd_per_teu_b"], strict=True)
            ],
        }
    )
    return BriefTable(
        "corridors",
        f"Cargo, days and price by corridor family: {d.a} → {d.b} (TEU a year; "
        "days door to door, TEU-weighted; USD per TEU paid).",
        shown,
        c.copy(),
        "A family with no TEU has no days or price ('–'). p90 days: the 90th percentile over the "
        "family's cargo.",
    )


def _queues(ra: ScenarioResult, rb: ScenarioResult) -> pd.DataFrame:
    """Each queue (a capacity-limited crossing, port or ferry, per direction) in a and b: load,
    capacity, v/c, wait and slot price, with the element's name."""
    cols = ["kind", "id", "direction", "service", "unit"]
    # ScenarioResult.flows is a FlowResult (typed as object there): its queues, or none
    qa, qb = (getattr(r.flows, "queues", None) for r in (ra, rb))
    qa = qa if qa is not None else pd.DataFrame(columns=cols + ["load"])
    qb = qb if qb is not None else pd.DataFrame(columns=cols + ["load"])
    keep = ["load", "capacity", "v_c", "wait_hours", "slot_price_usd"]
    m = qa[cols + keep].merge(qb[cols + keep], on=cols, how="outer", suffixes=("_a", "_b"))
    net = rb.applied.network
    names = {
        **dict(zip(net.links["link_id"], net.links["name"], strict=True)),
        **dict(zip(net.nodes["node_id"], net.nodes["name"], strict=True)),
    }
    m["name"] = [str(names.get(i) or i) for i in m["id"]]
    # a link's queue is per direction: name the direction by its ends (forward: from → to)
    node_name = dict(zip(net.nodes["node_id"], net.nodes["name"], strict=True))
    ends = {
        lid: (str(node_name.get(f, f)), str(node_name.get(t, t)))
        for lid, f, t in zip(
            net.links["link_id"], net.links["from_node_id"], net.links["to_node_id"], strict=True
        )
    }
    where = []
    for kind, i, direction, name in zip(
        m["kind"], m["id"], m["direction"].fillna(""), m["name"], strict=True
    ):
        a, b = ends.get(i, ("", ""))
        if kind == "link" and direction in ("forward", "backward") and a:
            where.append(f"{name}, {a} → {b}" if direction == "forward" else f"{name}, {b} → {a}")
        else:
            where.append(name)
    m["where"] = where
    for c in ("wait_hours", "slot_price_usd", "load", "v_c"):
        m[[f"{c}_a", f"{c}_b"]] = m[[f"{c}_a", f"{c}_b"]].astype(float).fillna(0.0)
    m["d_wait_hours"] = m["wait_hours_b"] - m["wait_hours_a"]
    return m


def _queue_table(q: pd.DataFrame, d: ScenarioDiff) -> BriefTable:
    moved = q[(q["d_wait_hours"].abs() >= 0.5) | (q["slot_price_usd_b"] > 0) | (q["slot_price_usd_a"] > 0)]
    moved = moved.sort_values(["slot_price_usd_b", "d_wait_hours"], key=np.abs, ascending=False).head(
        QUEUES_SHOWN
    )
    unit = moved["unit"].fillna("")
    shown = pd.DataFrame(
        {
            "where": moved["where"],
            "load/yr": [
                f"{num(a)} → {num(b)} {u}"
                for a, b, u in zip(moved["load_a"], moved["load_b"], unit, strict=True)
            ],
            "capacity/yr": moved["capacity_b"].fillna(moved["capacity_a"]).map(num),
            "v/c": [f"{a:.2f} → {b:.2f}" for a, b in zip(moved["v_c_a"], moved["v_c_b"], strict=True)],
            "wait h": [
                f"{a:.0f} → {b:.0f}"
                for a, b in zip(moved["wait_hours_a"], moved["wait_hours_b"], strict=True)
            ],
            "slot price USD": [
                f"{num(a)} → {num(b)}"
                for a, b in zip(moved["slot_price_usd_a"], moved["slot_price_usd_b"], strict=True)
            ],
        }
    )
    return BriefTable(
        "queues",
        f"Capacity-limited crossings, ports and ferries whose wait moved, or whose "
        f"capacity is rationed by a slot price, {d.a} → {d.b}: load per year (in the queue's "
        "unit), capacity, load over capacity (v/c), the wait for a slot (hours) and the slot "
        "price (USD per unit) that holds the load to the capacity.",
        shown,
        moved.reset_index(drop=True),
        "Per direction where the capacity is per direction. A slot price above zero means the "
        "crossing is full: the model rations it by price, so cargo that would pay less goes "
        "another way.",
    )


def _link_table(d: ScenarioDiff) -> BriefTable:
    lk = d.links.head(LINKS_SHOWN)
    shown = pd.DataFrame(
        {
            "link": lk["label"],
            f"TEU/yr {d.a}": lk["teu_a"].map(num),
            f"TEU/yr {d.b}": lk["teu_b"].map(num),
            "change": lk["d_teu"].map(signed),
            "v/c": [f"{num(a, 2)} → {num(b, 2)}" for a, b in zip(lk["v_c_a"], lk["v_c_b"], strict=True)],
        }
    )
    return BriefTable(
        "links",
        f"The links whose load changes most, {d.a} → {d.b} (TEU a year, both "
        "directions; v/c where the link has a capacity).",
        shown,
        d.links.copy(),
    )


def _country_table(d: ScenarioDiff) -> BriefTable:
    from ..viz.basemap import country_names

    names = country_names()
    c = d.countries[d.countries["d_teu"].abs() >= 0.5].head(COUNTRIES_SHOWN)
    shown = pd.DataFrame(
        {
            "country": [f"{names.get(i, i)} ({i})" for i in c["country"]],
            f"TEU/yr {d.a}": c["teu_a"].map(num),
            f"TEU/yr {d.b}": c["teu_b"].map(num),
            "change": c["d_teu"].map(signed),
        }
    )
    return BriefTable(
        "countries",
        f"TEU a year entering each country (over land or by sea), the largest changes, {d.a} → {d.b}.",
        shown,
        d.countries.copy(),
    )


def _policy_changes(ra: ScenarioResult, rb: ScenarioResult) -> list[str]:
    """What b's world does differently from a's: avoided countries, passages and modes; network and
    capacity changes; the Caspian sea level."""
    pa, pb = ra.applied.policy.to_dict(), rb.applied.policy.to_dict()
    out = []
    for key, what in (
        ("avoid_countries", "countries avoided"),
        ("avoid_passages", "sea passages closed"),
        ("avoid_modes", "modes avoided"),
    ):
        more = sorted(set(pb.get(key, [])) - set(pa.get(key, [])))
        less = sorted(set(pa.get(key, [])) - set(pb.get(key, [])))
        if more:
            out.append(f"{rb.name} adds {what}: {', '.join(more)}.")
        if less:
            out.append(f"{rb.name} lifts {what}: {', '.join(less)}.")
    same = sorted(set(pa.get("avoid_passages", [])) & set(pb.get("avoid_passages", [])))
    if same:
        out.append(f"Both avoid the sea passages {', '.join(same)} (so no route goes that way in either).")
    ca, cb = set(ra.applied.changes), set(rb.applied.changes)
    out += [f"{rb.name} changes the network: {c}." for c in rb.applied.changes if c not in ca]
    out += [f"{rb.name} undoes a change of {ra.name}: {c}." for c in ra.applied.changes if c not in cb]
    return out


def _queue_changes(q: pd.DataFrame, d: ScenarioDiff) -> list[str]:
    out = []
    full = q[q["slot_price_usd_b"] > 0].sort_values("slot_price_usd_b", ascending=False)
    for r in full.head(4).itertuples(index=False):
        unit = r.unit or "unit"
        was = f"(in {d.a}: v/c {r.v_c_a:.2f}, wait {r.wait_hours_a:.0f} h)"
        out.append(
            f"{r.where} is full in {d.b}: {num(r.load_b)} "
            f"{unit} a year on {num(r.capacity_b)} of capacity, a wait of {r.wait_hours_b:.0f} h and a slot "
            f"price of USD {r.slot_price_usd_b:,.0f} per {unit} {was}."
        )
    rest = q[(q["slot_price_usd_b"] <= 0) & (q["d_wait_hours"].abs() >= 2)]
    for r in rest.sort_values("d_wait_hours", key=np.abs, ascending=False).head(3).itertuples(index=False):
        out.append(
            f"The wait at {r.where} goes from "
            f"{r.wait_hours_a:.0f} h to {r.wait_hours_b:.0f} h (v/c {r.v_c_a:.2f} → {r.v_c_b:.2f})."
        )
    return out


def _caspian_changes(ra: ScenarioResult, rb: ScenarioResult) -> list[str]:
    if not (ra.caspian and rb.caspian):
        return []
    out = []
    for port, wb in rb.caspian.get("ports", {}).items():
        wa = ra.caspian.get("ports", {}).get(port)
        if wa and abs(wb["mean_wait_hours"] - wa["mean_wait_hours"]) >= 1:
            out.append(
                f"Caspian port {port}: the simulated mean wait for a sailing goes from "
                f"{wa['mean_wait_hours']:.0f} h to {wb['mean_wait_hours']:.0f} h."
            )
    return out


def _summary(
    d: ScenarioDiff, ra: ScenarioResult, rb: ScenarioResult, ranges: Ranges | None, q: pd.DataFrame
) -> tuple[str, list[KeyFigure]]:
    c = d.corridors.set_index("corridor")
    moved = c[c["d_teu"].abs() >= 1].sort_values("d_teu")
    from ..viz.basemap import country_names

    names = country_names()
    shut = sorted(set(rb.applied.policy.avoid_countries) - set(ra.applied.policy.avoid_countries))
    what = f", which avoids {' and '.join(names.get(c, c) for c in shut)}," if shut else ""
    words = [f"In {rb.name}{what} against {ra.name}:"]

    def rng(fig: str, nd: int = 0) -> str:
        if ranges is None or f"d.{fig}" not in ranges.table.index:
            return ""
        t = ranges.table.loc[f"d.{fig}"]
        if fig.startswith("teu."):  # volumes in words: 681,000, with the change's sign
            lo, hi = (("−" if v < 0 else "+") + teu_short(abs(v)) for v in (t["p10"], t["p90"]))
            return f" (p10–p90 {lo} to {hi})"
        return f" (p10–p90 {signed(t['p10'], nd)} to {signed(t['p90'], nd)})"

    losers = moved[moved["d_teu"] < 0]
    gainers = moved[moved["d_teu"] > 0].iloc[::-1]
    for fam, r in losers.iterrows():
        whole = r["teu_b"] <= 0.5
        words.append(
            f"the {fam} corridor loses {teu_short(-r['d_teu'])} TEU a year{rng(f'teu.{fam}')}"
            + (" – all of its cargo" if whole else f", {-r['d_teu'] / r['teu_a']:.0%} of it")
            + ";"
        )
    gains = [
        f"the {fam} route +{teu_short(r['d_teu'])}{rng(f'teu.{fam}')}"
        + (f" ({r['d_teu'] / r['teu_a']:+.0%})" if r["teu_a"] > 0 else "")
        for fam, r in gainers.iterrows()
    ]
    if gains:
        words.append("the cargo goes instead to " + ", ".join(gains) + ".")
    tot = d.totals
    words.append(
        f"Over all {teu_short(tot['demand_teu']['b'])} TEU a year, the mean trip goes from "
        f"{tot['mean_days']['a']:.1f} to {tot['mean_days']['b']:.1f} days{rng('total.days', 1)} and the "
        f"price from USD {tot['usd_per_teu']['a']:,.0f} to {tot['usd_per_teu']['b']:,.0f} per TEU"
        f"{rng('total.usd')}."
    )
    full = q[q["slot_price_usd_b"] > 0].sort_values("slot_price_usd_b", ascending=False)
    if len(full):
        new = list(dict.fromkeys(full.loc[full["slot_price_usd_a"] <= 0, "name"]))[:3]
        old = [n for n in dict.fromkeys(full["name"]) if n not in new][:3]
        why = []
        if new:
            why.append(f"{' and '.join(new)} {'fills' if len(new) == 1 else 'fill'} up in {rb.name}")
        if old:
            why.append(f"{' and '.join(old)} {'was' if len(old) == 1 else 'were'} full already")
        words.append(
            "What holds the land corridors back: " + "; ".join(why) + " – a full crossing is "
            "rationed by a slot price, so cargo that would pay less goes another way."
        )
    if ranges is not None:
        words.append(f"Ranges: p10 to p90 over {ranges.runs} draws of the uncertain inputs.")
    kf = []
    for fam, r in list(losers.iterrows())[:1] + list(gainers.iterrows())[:2]:
        kf.append(
            KeyFigure(
                f"{fam}: change in TEU a year", signed(r["d_teu"]), f"{num(r['teu_a'])} → {num(r['teu_b'])}"
            )
        )
    kf.append(
        KeyFigure(
            "mean days, all cargo",
            f"{tot['mean_days']['a']:.1f} → {tot['mean_days']['b']:.1f}",
            rng("total.days", 1).strip(" ()") or f"{signed(tot['mean_days']['d'], 1)} days",
        )
    )
    if len(full):
        top = full.iloc[0]
        kf.append(
            KeyFigure(
                f"full: {top['name']}",
                f"USD {top['slot_price_usd_b']:,.0f} slot price",
                f"wait {top['wait_hours_b']:.0f} h, v/c {top['v_c_b']:.2f}",
            )
        )
    return " ".join(words), kf


def scenario_brief(
    scenario: str,
    against: str = "baseline-2024",
    *,
    uncertainty: int = 0,
    seed: int = 0,
    method: str | None = None,
    network: str | Path | None = None,
    progress: Progress | None = None,
) -> Brief:
    """The brief of `scenario` against `against` (bundled names or YAML paths): corridor volumes, days
    and prices in both, a map of every link whose load moves (gains and losses), the policy,
    capacity, queue and wait changes behind it, and with `uncertainty` N ≥ 2 the ranges of the
    changes over N draws (each draw assigns both scenarios)."""
    from ..viz.charts import corridor_change_figure
    from ..viz.flowmaps import flow_change_figure
    from .render import PRINT_WIDTH, png_bytes

    say(progress, f"assigning {against} and {scenario}")
    (ra, rb), t_model = timed(
        lambda: (
            run_scenario(against, method=method, network=network),
            run_scenario(scenario, method=method, network=network),
        )
    )
    d = diff(ra, rb, top=100_000)
    q = _queues(ra, rb)
    ranges, block, t_ranges = None, None, 0.0
    if uncertainty >= 2:
        from ..analysis.sweep_questions import Diff
        from ..analysis.uncertainty import uncertainty as ask_with_draws

        say(progress, f"ranges: {uncertainty} draws, each assigning both scenarios")
        ranges, t_ranges = timed(
            lambda: ask_with_draws(
                Diff(against, scenario), uncertainty, seed=seed, scheduler="serial", network=network
            )
        )
        fams = d.corridors["corridor"].tolist()
        labels: dict[str, tuple[str, int, float]] = {
            f"d.teu.{f}": (f"{f}: change in TEU a year", 0, 1.0) for f in fams
        }
        labels |= {f"d.days.{f}": (f"{f}: change in mean days", 1, 1.0) for f in fams}
        labels |= {
            "d.total.days": ("all cargo: change in mean days", 2, 1.0),
            "d.total.usd": ("all cargo: change in USD per TEU", 1, 1.0),
        }
        block = ranges_table(ranges, labels, f"The changes {d.a} → {d.b} under the draws")
        note = (
            f"Ranges: p10, p50 and p90 over {ranges.runs} draws (Latin hypercube, seed {seed}) of the "
            "uncertain inputs that reach an assignment (rates, the Caspian crossing's judgement figures, "
            "the fitted behaviour's parameters, queue parameters and demand; uncertain_inputs.csv, "
            f"{UNCERTAINTY_DOC}); each draw assigns both scenarios on their route sets. "
            f"{ranges.failed} draws failed."
        )
    else:
        note = (
            "Ranges are not shown: each draw assigns both scenarios (about "
            f"{SECONDS_PER_DRAW} s a draw on a small machine), more than a brief's 20 s allow. Add "
            f"--uncertainty 20 for the p10–p90 of every change ({UNCERTAINTY_DOC})."
        )
    avoided = sorted(set(rb.applied.policy.avoid_countries))

    def figures() -> tuple[bytes, bytes]:
        m = png_bytes(
            flow_change_figure(
                rb.applied.network,
                d.links,
                a=d.a,
                b=d.b,
                avoided=avoided,
                width=PRINT_WIDTH,
                named=5,
                title=f"Where the load moves: {d.a} → {d.b} (TEU a year)",
            )
        )
        c = png_bytes(corridor_change_figure(d, width=PRINT_WIDTH))
        return m, c

    say(progress, "drawing the map and the chart")
    (map_png, bars_png), t_fig = timed(figures)
    gains = d.links[d.links["d_teu"] > 0].head(5)
    losses = d.links[d.links["d_teu"] < 0].head(5)
    key = tuple(
        [f"gain: {r.label} {signed(r.d_teu)} TEU/yr" for r in gains.itertuples(index=False)]
        + [f"loss: {r.label} {signed(r.d_teu)} TEU/yr" for r in losses.itertuples(index=False)]
    )
    charts = (
        Chart(
            "map_changes",
            f"Every link whose load changes by 500 TEU a year or more from {d.a} to {d.b}: "
            "gains blue, losses vermilion, line width by the size of the change; the largest named with "
            "their change"
            + (f"; hatched: countries {d.b} avoids ({', '.join(avoided)})" if avoided else "")
            + ". Listed below: the five largest gains and losses.",
            map_png,
            key,
        ),
        Chart(
            "corridors",
            f"TEU a year on the land corridors and sea routes, and mean days door to door, in "
            f"{d.a} and {d.b}.",
            bars_png,
        ),
    )
    tables = (_corridor_table(d), _queue_table(q, d), _link_table(d), _country_table(d))
    summary, kf = _summary(d, ra, rb, ranges, q)
    changes = _policy_changes(ra, rb) + _queue_changes(q, d) + _caspian_changes(ra, rb)
    if not changes:
        changes = [
            f"{d.b} and {d.a} differ in nothing the model sees as a policy, network or capacity change."
        ]
    inputs = rb.parameters()
    assumptions = (
        f"Both scenarios assigned with the {rb.method} method (a path-size logit with capacity rationed "
        "by queues and slot prices, fitted to the corridor counts of 2019–2025: assignment_params.json).",
        f"Transit-risk premiums on top of the tariffs (risk_premiums.csv): in {d.a} "
        f"{terms_words(ra.applied.world.terms.to_dict())}; in {d.b} "
        f"{terms_words(rb.applied.world.terms.to_dict())}.",
        f"Demand: {teu_short(d.totals['demand_teu']['a'])} TEU a year in {d.a} and "
        f"{teu_short(d.totals['demand_teu']['b'])} in {d.b} ({Path(str(rb.applied.demand.source)).name}).",
        f"{d.a}: " + " ".join((ra.scenario.description or "no description").split()),
        f"{d.b}: " + " ".join((rb.scenario.description or "no description").split()),
        f"Converged: {d.a} rgap {_rgap(ra):.1e}, {d.b} rgap {_rgap(rb):.1e} (relative gap; "
        "below 1e-3 is converged).",
    )
    limits = (
        *COMMON_LIMITS,
        "A scenario is a year's steady state: the cargo is reassigned as if the change had always been "
        "in force; how fast shippers move, contracts and stocks are not modelled.",
        "Capacity is rationed by price at the crossings that have a capacity figure; the others are "
        "assumed to take any load.",
    )
    ids = ids_in(ra.scenario.model_dump(mode="json")) + ids_in(rb.scenario.model_dump(mode="json"))
    ids += element_ids(
        rb.applied.network,
        links=d.links["link_id"].head(40).astype(str),
        nodes=q.loc[q["kind"] == "node", "id"].astype(str),
    )
    ids += element_ids(rb.applied.network, links=q.loc[q["kind"] == "link", "id"].astype(str))
    ids += demand_ids(rb.applied.demand.table)
    ids += params_ids()
    extra = [e.model_dump(mode="json") for e in [*ra.scenario.sources, *rb.scenario.sources]]
    ids += data_ids("commodities.csv") + data_ids("risk_premiums.csv") + data_ids("queue_params.csv")
    if uncertainty >= 2:
        ids += data_ids("uncertain_inputs.csv")
    command: list[object] = with_options(
        ["corridor", "report", "scenario", scenario, "--against", against, "--out", "DIR"],
        (
            ("--uncertainty", uncertainty, 0),
            ("--seed", seed, 0),
            ("--method", method, None),
            ("--network", network, None),
        ),
    )
    prov = provenance(command, network=network)
    prov["inputs"] = {"method": inputs.get("method"), "caspian_simulation": inputs.get("caspian_simulation")}
    return Brief(
        kind="scenario",
        title=f"{d.b} against {d.a}: what moves, and why",
        question=f"What changes for the cargo of the model's demand when {d.b} replaces {d.a}: corridor "
        "volumes, days and prices, the links, crossings and queues behind them.",
        summary=summary,
        key_figures=tuple(kf),
        charts=charts,
        tables=tables,
        changes=tuple(changes),
        ranges=block,
        ranges_note=note,
        assumptions=assumptions,
        limits=limits,
        sources=sources_table(rb.applied.network, ids, extra),
        provenance=prov,
        timings={"model_s": round(t_model, 3), "ranges_s": round(t_ranges, 3), "figures_s": round(t_fig, 3)},
    )


def _rgap(r: ScenarioResult) -> float:
    return float(getattr(r.flows, "rgap", float("nan")))
