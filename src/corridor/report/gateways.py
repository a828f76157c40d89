"""The brief of a gateway question: what the cargo between two regions passes (countries, crossings,
ports, links), what closing each of them would cost its users, and what no route can avoid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.gateways import GatewayResult, gateways
from ..network.io import load_network
from ..scenarios.apply import apply_scenario
from ..scenarios.validate import load_scenario
from .brief import Brief, BriefTable, Chart, KeyFigure, Progress, say
from .provenance import provenance, with_options
from .sources import data_ids, demand_ids, element_ids, ids_in, params_ids, sources_table
from .text import COMMON_LIMITS, UNCERTAINTY_DOC, num, ranges_table, signed, terms_words, teu_short, timed

DEFAULT_CLOSURES = 6  # closures run per element kind: about a second each
ROWS = 10
SECONDS_PER_DRAW = 10  # a draw assigns the demand and closes the gateways again


def region_label(region: str) -> str:
    """A region as a reader writes it: 'central-asia' → 'Central Asia', 'eu' → 'EU', a list of codes
    as given."""
    r = str(region).strip()
    if "," in r or len(r) <= 4:
        return r.upper()
    return " ".join(w.capitalize() for w in r.replace("_", "-").split("-"))


def _names(codes: tuple[str, ...]) -> str:
    from ..viz.basemap import country_names

    names = country_names()
    return ", ".join(names.get(c, c) for c in codes)


def _closure_cells(df: pd.DataFrame) -> dict[str, list[str]]:
    has = "closed_extra_usd_per_teu" in df.columns
    out: dict[str, list[str]] = {
        "if closed: USD/TEU": [],
        "days": [],
        "unserved TEU/yr": [],
        "all cargo USD m/yr": [],
    }
    for r in df.to_dict("records"):
        v = r.get("closed_extra_usd_per_teu") if has else np.nan
        if v is None or not np.isfinite(v):
            for k in out:
                out[k].append("–")
            continue
        out["if closed: USD/TEU"].append(signed(v))
        out["days"].append(signed(r["closed_extra_days"], 1))
        out["unserved TEU/yr"].append(num(r["closed_unserved_teu"]))
        out["all cargo USD m/yr"].append(signed(r["closed_network_extra_usd_yr"] / 1e6, 0))
    return out


def _countries_table(g: GatewayResult) -> BriefTable:
    fr, to = region_label(g.from_region), region_label(g.to_region)
    c = g.countries[(g.countries["share"] > 0) | (g.countries["disconnects_share"] > 0)].head(ROWS)
    shown = pd.DataFrame(
        {
            "country": [f"{n} ({i})" for n, i in zip(c["name"], c["country"], strict=True)],
            "TEU/yr": c["teu"].map(num),
            "share": c["share"].map(lambda v: f"{v:.0%}"),
            **_closure_cells(c),
        }
    )
    return BriefTable(
        "countries",
        f"Transit countries of the cargo from {fr} to {to}: TEU a "
        "year passing each and its share of the pair's cargo; if it closed, what its users pay "
        "more per TEU at their next-best option (USD), the change in their days, the TEU left "
        "with no route, and the extra cost to all cargo re-assigned (USD million a year).",
        shown,
        g.countries.copy(),
        "Closures are run for the busiest elements only ('–': not closed). Days can fall when "
        "the next-best option is faster and dearer.",
    )


def _elements_table(g: GatewayResult, kind: str) -> BriefTable:
    fr, to = region_label(g.from_region), region_label(g.to_region)
    df = g.frame(kind)
    df = df[df["share"] > 0].head(ROWS)
    what = "node" if kind == "nodes" else "link"
    label = [
        f"{n} ({k})" for n, k in zip(df["name"], df["kind"] if kind == "nodes" else df["mode"], strict=True)
    ]
    shown = pd.DataFrame(
        {
            what: label,
            "country" if kind == "nodes" else "id": df["country"] if kind == "nodes" else df["link_id"],
            "TEU/yr": df["teu"].map(num),
            "share": df["share"].map(lambda v: f"{v:.0%}"),
            "v/c": df["v_c"].map(lambda v: num(v, 2)),
            **_closure_cells(df),
        }
    )
    caption = ("The crossings, ports and junctions" if kind == "nodes" else "The links") + (
        f" the cargo from {fr} to {to} passes most: TEU a year of the pair's cargo, its "
        "share, the element's load over its capacity (v/c, where it has one) and the loss if it closed."
    )
    return BriefTable(kind, caption, shown, g.frame(kind).copy())


def _cut_lines(g: GatewayResult) -> list[str]:
    out = []
    cc, nc, cap = g.cut["countries"], g.cut["nodes"], g.cut["capacity"]
    if cc["single_points"]:
        out.append(
            f"Every route passes {_names(tuple(cc['single_points']))}: closing it alone cuts the pair."
        )
    elif cc["unbounded"]:
        out.append(
            "No set of transit countries cuts the pair: some route goes straight from one region to the "
            "other."
        )
    else:
        out.append(
            f"No single country carries every route: at least {cc['value']} must close to cut the pair "
            f"(one such set: {_names(tuple(cc['elements']))})."
        )
    if nc["single_points"]:
        out.append(
            "Single crossings or ports every route passes: " + ", ".join(nc["single_point_names"]) + "."
        )
    elif nc.get("value"):
        out.append(
            f"At least {nc['value']} nodes must close to cut the pair (one such set: "
            f"{', '.join(nc['names'])})."
        )
    if cap["unbounded"]:
        out.append(
            "The capacity between the regions is not bounded in the data: some route has no capacity "
            "figure on any of its elements."
        )
    elif cap["elements"]:
        out.append(
            f"The capacity bottleneck between the regions is {cap['value_teu_yr']:,.0f} TEU a year ("
            + ", ".join(e["name"] for e in cap["elements"])
            + ")."
        )
    return out


def _summary(g: GatewayResult) -> tuple[str, list[KeyFigure]]:
    fr, to = region_label(g.from_region), region_label(g.to_region)
    s = g.summary
    pair = f"{fr} ({_names(g.from_countries)}) to {to}"
    if not g.connected:
        return g.unconnected_answer(), [
            KeyFigure("demand", f"{teu_short(s['demand_teu'])} TEU/yr", "none served")
        ]
    served = s["served_teu"]
    split = sorted(s["corridors_teu"].items(), key=lambda kv: -kv[1])
    words = [
        f"Of the {teu_short(s['demand_teu'])} TEU a year of cargo from {pair} (boxes, and bulk in "
        "TEU-equivalents of 22 t), "
        f"{teu_short(served)} are served, taking {s['mean_days']:.1f} days on average at a generalized "
        f"cost of USD {s['mean_generalized_usd']:,.0f} per TEU. By corridor: "
        + ", ".join(f"{k} {v / served:.0%}" for k, v in split)
        + "."
    ]
    c = g.countries[g.countries["share"] > 0]
    kf = [KeyFigure("demand, TEU a year", teu_short(s["demand_teu"]), f"{teu_short(served)} served")]
    if len(c):
        top = c.iloc[0]
        words.append(f"The largest gateway is {top['name']}, passed by {top['share']:.0%} of it.")
        kf.append(
            KeyFigure(
                f"largest gateway: {top['name']}",
                f"{top['share']:.0%} of the TEU",
                f"{num(top['teu'])} TEU a year",
            )
        )
    if "closed_extra_usd_yr" in c.columns and c["closed_extra_usd_yr"].notna().any():
        worst = c.loc[c["closed_extra_usd_yr"].idxmax()]
        lost = worst["closed_unserved_teu"]
        words.append(
            f"Closing {worst['name']} would cost its users most: {num(worst['closed_users_teu'])} TEU a "
            f"year would move to their next-best option at USD {worst['closed_extra_usd_per_teu']:,.0f} "
            f"more per TEU ({signed(worst['closed_extra_days'], 1)} days)"
            + (f", and {num(lost)} TEU would have no route" if lost >= 1 else "")
            + "."
        )
        kf.append(
            KeyFigure(
                f"costliest closure: {worst['name']}",
                f"USD {worst['closed_extra_usd_yr'] / 1e6:,.0f} m a year",
                f"+USD {worst['closed_extra_usd_per_teu']:,.0f} per TEU moved",
            )
        )
    words += _cut_lines(g)[:1]
    cc = g.cut["countries"]
    kf.append(
        KeyFigure(
            "countries that must close to cut the pair",
            "1" if cc["single_points"] else ("none can" if cc["unbounded"] else str(cc["value"])),
            ", ".join(cc["single_points"] or cc["elements"]),
        )
    )
    return " ".join(words), kf


def gateways_brief(
    from_region: str = "central-asia",
    to_region: str = "eu",
    *,
    scenario: str = "baseline-2024",
    closures: int = DEFAULT_CLOSURES,
    uncertainty: int = 0,
    seed: int = 0,
    network: str | Path | None = None,
    progress: Progress | None = None,
) -> Brief:
    """The brief of `corridor gateways --from A --to B`: in `scenario`'s world, each transit country,
    crossing, port and link by its share of the pair's cargo, the loss if it closed (for the
    `closures` busiest of each kind), the cut that no route avoids, and a map; with `uncertainty`
    N ≥ 2 the ranges of the shares and closure losses over N draws."""
    from ..viz.flowmaps import gateways_figure
    from .render import PRINT_WIDTH, png_bytes

    say(progress, f"assigning {scenario} and closing the {closures} busiest gateways of each kind")
    net = load_network(network)
    applied, t_apply = timed(lambda: apply_scenario(load_scenario(scenario, network=net), network=net))
    g, t_model = timed(
        lambda: gateways(
            applied.network,
            None,
            from_region,
            to_region,
            scenario=applied,
            closures=closures > 0,
            top=max(closures, 1),
        )
    )
    fr, to = region_label(g.from_region), region_label(g.to_region)
    block, t_ranges, ranges = None, 0.0, None
    if uncertainty >= 2:
        from ..analysis.sweep_questions import Gateways
        from ..analysis.uncertainty import uncertainty as ask_with_draws

        say(progress, f"ranges: {uncertainty} draws, each assigning and closing again")
        q = Gateways(from_region, to_region, scenario, closures=closures > 0, top=max(closures, 1))
        ranges, t_ranges = timed(
            lambda: ask_with_draws(q, uncertainty, seed=seed, scheduler="serial", network=network)
        )
        top = g.countries[g.countries["share"] > 0].head(ROWS)
        labels: dict[str, tuple[str, int, float]] = {
            f"gateway.{c}": (f"{n}: share of the TEU (%)", 0, 100.0)
            for c, n in zip(top["country"], top["name"], strict=True)
        }
        labels |= {
            f"closure.{c}.extra_usd_per_teu": (f"{n} closed: extra USD per TEU", 0, 1.0)
            for c, n in zip(top["country"], top["name"], strict=True)
        }
        block = ranges_table(ranges, labels, "Gateway shares and closure losses under the draws")
        note = (
            f"Ranges: p10, p50 and p90 over {ranges.runs} draws (Latin hypercube, seed {seed}) of the "
            "uncertain inputs that reach an assignment (rates, the Caspian crossing's judgement figures, the "
            f"fitted behaviour's parameters and demand; {UNCERTAINTY_DOC}). {ranges.failed} draws failed."
        )
    else:
        note = (
            "Ranges are not shown: each draw assigns the demand and closes the gateways again (about "
            f"{SECONDS_PER_DRAW} s a draw on a small machine), more than a brief's 20 s allow. Add "
            f"--uncertainty 20 for the p10–p90 of each share and closure loss ({UNCERTAINTY_DOC})."
        )
    title = f"{fr} to {to}: where the cargo passes ({scenario})"
    say(progress, "drawing the map")
    fig, t_fig = timed(
        lambda: png_bytes(
            gateways_figure(
                applied.network,
                g.countries,
                g.nodes,
                g.links,
                regions=(g.from_countries, g.to_countries),
                title=title,
                width=PRINT_WIDTH,
            )
        )
    )
    busy = g.nodes[g.nodes["share"] > 0].head(12)
    key = tuple(f"{r.name} ({r.country}): {r.share:.0%} of the TEU" for r in busy.itertuples(index=False))
    chart = Chart(
        "map_gateways",
        f"The cargo from {fr} to {to} ({scenario}): the region the cargo "
        "leaves in lilac and the one it goes to in pale green, each transit country shaded by the share "
        "of the pair's TEU that passes it, the "
        "links it uses drawn by TEU a year, and the busiest crossings, ports and junctions named with "
        "their share (listed below).",
        fig,
        key,
    )
    summary, kf = _summary(g)
    tables = (_countries_table(g), _elements_table(g, "nodes"), _elements_table(g, "links"))
    changes = []
    closed = (
        g.countries.dropna(subset=["closed_extra_usd_per_teu"])
        if "closed_extra_usd_per_teu" in g.countries.columns
        else g.countries.iloc[:0]
    )
    for r in closed.head(closures).itertuples(index=False):
        lost = (
            f"; {num(r.closed_unserved_teu)} TEU a year would have no route"
            if r.closed_unserved_teu >= 1
            else ""
        )
        changes.append(
            f"Closing {r.name}: its {num(r.closed_users_teu)} TEU a year move to their next-best option "
            f"at USD {r.closed_extra_usd_per_teu:,.0f} more per TEU, {signed(r.closed_extra_days, 1)} "
            f"days{lost}; all cargo re-assigned pays USD {r.closed_network_extra_usd_yr / 1e6:,.0f} "
            "million a year more."
        )
    full = pd.concat([g.nodes.assign(what="node"), g.links.assign(what="link")], ignore_index=True)
    full = full[(full["share"] > 0) & (pd.to_numeric(full["v_c"], errors="coerce") >= 0.9)]
    for r in full.sort_values("v_c", ascending=False).head(5).itertuples(index=False):
        changes.append(
            f"{r.name} runs at {r.v_c:.0%} of its capacity (the load of its fullest queue, one "
            f"direction and one kind of cargo, over that queue's capacity), and {num(r.teu)} TEU a year "
            "of this pair's cargo pass it: "
            + (
                "a full crossing is rationed by a slot price, which pushes cargo to other gateways."
                if r.v_c >= 0.99
                else "near capacity, its wait grows steeply with more cargo."
            )
        )
    changes += _cut_lines(g)
    changes += list(g.notes)
    assumptions = (
        f"World: the scenario {scenario} ("
        + " ".join((applied.scenario.description or "").split())[:300]
        + f"); avoided: {', '.join(g.policy.get('avoid_countries', [])) or 'nothing'}; transit-risk premiums "
        f"(risk_premiums.csv): {terms_words(applied.world.terms.to_dict())}.",
        f"Regions: {fr} = {_names(g.from_countries)}; {to} = {_names(g.to_countries)}.",
        "Shares: the demand assigned (the calibrated path-size logit with queues) and each route's TEU "
        "traced through the countries, nodes and links it passes; a route counts once per element.",
        f"Closures: each of the {closures} busiest countries, nodes and links closed in turn and the demand "
        "re-assigned (a fresh route search for pairs left with none); the users' loss is measured at their "
        "next-best option at the same congestion.",
    )
    limits = (
        *COMMON_LIMITS,
        "A closure is permanent and total for the year; partial disruptions (a border slowed, not shut) "
        "are `corridor reliability`'s question.",
        "The demand between two regions is the model's OD table (demand_2024.csv and its sources), "
        "not a count of boxes at each border.",
    )
    ids = ids_in(applied.scenario.model_dump(mode="json"))
    ids += element_ids(
        applied.network,
        nodes=g.nodes[g.nodes["share"] > 0]["node_id"].head(40).astype(str),
        links=g.links[g.links["share"] > 0]["link_id"].head(60).astype(str),
    )
    ids += demand_ids(applied.demand.table)
    extra = [e.model_dump(mode="json") for e in applied.scenario.sources]
    ids += data_ids("commodities.csv") + data_ids("risk_premiums.csv") + data_ids("queue_params.csv")
    ids += params_ids()
    if uncertainty >= 2:
        ids += data_ids("uncertain_inputs.csv")
    command: list[object] = with_options(
        [
            "corridor",
            "report",
            "gateways",
            "--from",
            from_region,
            "--to",
            to_region,
            "--out",
            "DIR",
        ],
        (
            ("--scenario", scenario, "baseline-2024"),
            ("--closures", closures, DEFAULT_CLOSURES),
            ("--uncertainty", uncertainty, 0),
            ("--seed", seed, 0),
            ("--network", network, None),
        ),
    )
    return Brief(
        kind="gateways",
        title=f"From {fr} to {to}: the gateways, and what closing each costs",
        question=f"Which countries, crossings, ports and links the cargo from {fr} to "
        f"{to} passes in {scenario}, what closing each would cost, and what no route avoids.",
        summary=summary,
        key_figures=tuple(kf),
        charts=(chart,),
        tables=tables,
        changes=tuple(changes),
        ranges=block,
        ranges_note=note,
        assumptions=assumptions,
        limits=limits,
        sources=sources_table(applied.network, ids, extra),
        provenance=provenance(command, network=network),
        changes_title="What closing each gateway costs, and what holds the cargo back",
        timings={
            "model_s": round(t_apply + t_model, 3),
            "ranges_s": round(t_ranges, 3),
            "figures_s": round(t_fig, 3),
        },
    )
