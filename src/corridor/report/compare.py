"""The brief of an OD comparison: the best route of each corridor family between two places, with the
days and prices' ranges under the uncertain inputs, a labelled map, where each route's time goes, and
why a family has no route."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..network.io import load_network
from ..routing.comparison import Comparison, CorridorResult, compare
from ..routing.results import Route
from ..world import World
from .brief import Brief, BriefTable, Chart, KeyFigure, Progress, say
from .provenance import provenance, with_options
from .sources import data_ids, element_ids, sources_table
from .text import COMMON_LIMITS, UNCERTAINTY_DOC, num, ranges_table, span, terms_words, timed, usd, with_range

DEFAULT_DRAWS = 20  # a compare run costs about 0.3 s, so 20 draws keep a brief well under 20 s


def _routes(c: Comparison) -> list[tuple[CorridorResult, Route]]:
    return [(r, r.route) for r in c.results if r.route is not None]


def _time_budget(c: Comparison) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per family: hours moving, at borders (dwell) and transshipping, and the longest stop."""
    rows, shown = [], []
    for r, rt in _routes(c):
        legs = rt.to_frame()
        hours = {k: float(legs.loc[legs["kind"] == k, "hours"].sum()) for k in ("link", "dwell", "transship")}
        stops = legs[legs["kind"] != "link"].sort_values("hours", ascending=False)
        longest = (
            f"{stops['from'].iat[0]}: {stops['hours'].iat[0]:.0f} h ({stops['detail'].iat[0]})"
            if len(stops)
            else "–"
        )
        rows.append(
            {
                "corridor": r.corridor,
                "moving_h": hours["link"],
                "border_h": hours["dwell"],
                "transship_h": hours["transship"],
                "total_days": rt.days,
                "longest_stop": longest,
            }
        )
        total = sum(hours.values()) or 1.0
        shown.append(
            {
                "corridor": r.corridor,
                "moving": f"{hours['link'] / 24:.1f} d",
                "borders, dwell": f"{hours['dwell'] / 24:.1f} d",
                "transshipping": f"{hours['transship'] / 24:.1f} d",
                "stopped": f"{(hours['dwell'] + hours['transship']) / total:.0%}",
                "longest stop": longest,
            }
        )
    return pd.DataFrame(shown), pd.DataFrame(rows)


def _routes_table(c: Comparison, ranges: pd.DataFrame | None) -> BriefTable:
    shown, data = [], []
    for r in c.results:
        rt = r.route
        if rt is None:
            shown.append(
                {
                    "corridor": f"{r.corridor}: no route",
                    "days": "–",
                    "p10–p90 days": "",
                    "USD/TEU": "–",
                    "p10–p90 USD": "",
                    "kg CO2e/TEU": "",
                    "km": "",
                    "borders": "",
                }
            )
            data.append({"corridor": r.corridor, "feasible": False, "reason": r.reason})
            continue
        d_key, u_key = f"days.{r.corridor}", f"usd.{r.corridor}"
        shown.append(
            {
                "corridor": r.corridor + (f" ({r.variant})" if r.variant else ""),
                "days": f"{rt.days:.1f}",
                "p10–p90 days": span(ranges, d_key, 1) or "–",
                "USD/TEU": f"{rt.usd_per_teu:,.0f}",
                "p10–p90 USD": span(ranges, u_key, 0) or "–",
                "kg CO2e/TEU": num(rt.co2_kg_per_teu),
                "km": num(rt.km),
                "borders": str(rt.borders),
            }
        )
        row = {"corridor": r.corridor, "feasible": True, "variant": r.variant, **rt.summary()}
        if ranges is not None:
            for key, name in ((d_key, "days"), (u_key, "usd")):
                has = key in ranges.index
                row[f"{name}_p10"] = ranges.at[key, "p10"] if has else None
                row[f"{name}_p90"] = ranges.at[key, "p90"] if has else None
        data.append(row)
    gone = [f"{r.corridor} ({r.reason})" for r in c.results if r.route is None]
    note = ("No route: " + "; ".join(gone) + ". " if gone else "") + (
        "p10–p90: the range over the draws of the uncertain inputs; the point value uses the data's own "
        "values and can lie outside it when an input's range is lopsided. "
        if ranges is not None
        else ""
    )
    return BriefTable(
        "corridors",
        "The best route of each corridor family: door-to-door days, price per "
        "TEU (USD), well-to-wheel CO2e (kg per TEU), distance (km) and border crossings.",
        pd.DataFrame(shown),
        pd.DataFrame(data),
        note + "kg CO2e per TEU: well-to-wheel (GLEC). The places each route passes are listed under "
        "the map.",
    )


def _summary(c: Comparison, ranges: pd.DataFrame | None, n: int, vot: float) -> tuple[str, list[KeyFigure]]:
    ok = _routes(c)
    if not ok:
        return (f"No corridor family connects {c.origin} and {c.destination} under this policy.", [])
    fast = min(ok, key=lambda x: x[1].days)
    cheap = min(ok, key=lambda x: x[1].usd_per_teu)
    best = min(ok, key=lambda x: x[1].objective_value)

    def days(x: tuple[CorridorResult, Route]) -> str:
        key = f"days.{x[0].corridor}"
        return with_range(f"{x[1].days:.1f} days", span(ranges, key, 1), x[1].days, ranges, key)

    def price(x: tuple[CorridorResult, Route]) -> str:
        key = f"usd.{x[0].corridor}"
        return with_range(
            usd(x[1].usd_per_teu) + " per TEU", span(ranges, key), x[1].usd_per_teu, ranges, key
        )

    words = [
        f"From {c.origin} to {c.destination} the fastest corridor is the {fast[0].corridor} route, "
        f"{days(fast)} door to door at {price(fast)}."
    ]
    if cheap is not fast:
        words.append(
            f"The cheapest is the {cheap[0].corridor} route at {price(cheap)}, but it takes {days(cheap)}."
        )
    if c.objective == "generalized":
        what = (
            "the best balance of the two"
            if best not in (fast, cheap)
            else "the best balance of time and money"
        )
        words.append(f"Valuing time at USD {vot:,.0f} per TEU-hour, the {best[0].corridor} route is {what}.")
    mid = next((x for x in ok if x[0].corridor == "middle"), None)
    if mid is not None and mid not in (fast, cheap, best):
        words.append(
            f"The middle corridor takes {days(mid)} at {price(mid)}, with {mid[1].borders} border crossings."
        )
    missing = [r for r in c.results if r.route is None]
    if missing:
        words.append("No route: " + "; ".join(f"{r.corridor} ({r.reason})" for r in missing) + ".")
    if ranges is not None:
        words.append(f"In brackets: p10 to p90 over {n} draws of the uncertain inputs.")

    def note(key: str, nd: int) -> str:
        rng = span(ranges, key, nd)
        return f"p10–p90 {rng}" if rng else ""

    kf = [
        KeyFigure(
            f"fastest: {fast[0].corridor}", f"{fast[1].days:.1f} days", note(f"days.{fast[0].corridor}", 1)
        ),
        KeyFigure(
            f"cheapest: {cheap[0].corridor}",
            f"USD {cheap[1].usd_per_teu:,.0f}/TEU",
            note(f"usd.{cheap[0].corridor}", 0),
        ),
    ]
    if c.objective == "generalized":
        kf.append(
            KeyFigure(
                "best time and money",
                best[0].corridor,
                f"generalized cost USD {best[1].objective_value:,.0f}/TEU",
            )
        )
    if mid is not None:
        kf.append(
            KeyFigure(
                "middle corridor",
                f"{mid[1].days:.1f} days, USD {mid[1].usd_per_teu:,.0f}/TEU",
                f"{mid[1].borders} border crossings",
            )
        )
    return " ".join(words), kf


def compare_brief(
    origin: str,
    destination: str,
    *,
    objective: str = "generalized",
    commodity: str = "container",
    avoid: str | None = None,
    avoid_modes: str | None = None,
    avoid_passages: str | None = None,
    year: int | None = None,
    month: int | None = None,
    uncertainty: int = DEFAULT_DRAWS,
    seed: int = 0,
    network: str | Path | None = None,
    progress: Progress | None = None,
) -> Brief:
    """The brief of `corridor compare ORIGIN DESTINATION`: the best route of each corridor family, with
    p10–p90 of its days and price over `uncertainty` draws of the uncertain inputs (0: no ranges), a
    labelled map, where the time goes, the sources of every link and node on the routes."""
    from ..viz.maps import routes_figure
    from .render import PRINT_WIDTH, png_bytes

    say(progress, "searching the best route of each corridor family")
    net = load_network(network)
    world = World.make(avoid, avoid_modes, avoid_passages, year, month)
    res, t_model = timed(
        lambda: compare(net, origin, destination, objective=objective, commodity=commodity, world=world)
    )
    table: pd.DataFrame | None = None
    block, t_ranges, runs = None, 0.0, 0
    if uncertainty >= 2:
        from ..analysis.sweep_questions import Compare
        from ..analysis.uncertainty import uncertainty as ask_with_draws

        say(progress, f"ranges: {uncertainty} draws of the uncertain inputs")
        q = Compare(
            origin, destination, objective, commodity, avoid, avoid_modes, avoid_passages, year, month
        )
        r, t_ranges = timed(
            lambda: ask_with_draws(q, uncertainty, seed=seed, scheduler="serial", network=network)
        )
        table, runs = r.table, r.runs
        labels = {
            f"{k}.{x.corridor}": (
                f"{x.corridor}: {'days' if k == 'days' else 'USD per TEU'}",
                1 if k == "days" else 0,
                1.0,
            )
            for x, _ in _routes(res)
            for k in ("days", "usd")
        }
        block = ranges_table(r, labels, "Days and USD per TEU of each family's best route under the draws")
        note = (
            f"Ranges: p10, p50 and p90 over {r.runs} draws (Latin hypercube, seed {seed}) of the uncertain "
            "inputs that reach a route comparison: the Caspian crossing's judgement figures and the rail "
            f"and sea rates with a range in uncertain_inputs.csv ({UNCERTAINTY_DOC}). Each family's route "
            f"is searched again in each draw. {r.failed} draws failed."
        )
    else:
        note = (
            f"Ranges are not shown: this brief was made with --uncertainty 0. With 20 draws they take "
            f"a few seconds more ({UNCERTAINTY_DOC})."
        )
    vot = net.value_of_time(commodity) if objective == "generalized" else float("nan")
    summary, kf = _summary(res, table, runs, vot)
    ok = _routes(res)
    avoided = sorted(res.policy.avoid_countries)
    say(progress, "drawing the map")
    fig, t_fig = timed(
        lambda: png_bytes(
            routes_figure(
                net,
                [rt for _, rt in ok],
                title=f"{res.origin} to {res.destination}: the best route of each corridor family",
                width=PRINT_WIDTH,
                avoided=avoided,
            )
        )
    )
    key = tuple(
        f"{x.corridor}: {rt.origin} › "
        + " › ".join(rt.gateway_names)
        + f" › {rt.destination} ({rt.days:.1f} days, USD {rt.usd_per_teu:,.0f}/TEU)"
        for x, rt in ok
    )
    chart = Chart(
        "map_routes",
        f"The best route of each corridor family from {res.origin} to "
        f"{res.destination}, in its family's colour and named along its line; the border crossings, "
        "ports and transshipments on them are named where they do not crowd (every one is in the "
        "list below). Lines sharing a track are drawn side by side.",
        fig,
        key,
    )
    budget_shown, budget_data = _time_budget(res)
    tables = (
        _routes_table(res, table),
        BriefTable(
            "time_budget",
            "Where the time goes on each route: moving, at borders (dwell and "
            "checks) and transshipping (gauge changes, port handling); d: days.",
            budget_shown,
            budget_data,
        ),
    )
    changes = [f"{r.corridor}: no route – {r.reason}." for r in res.results if r.route is None]
    changes += [
        f"{row['corridor']}: {row['border_h'] / 24 + row['transship_h'] / 24:.1f} of its "
        f"{row['total_days']:.1f} days are stops; the longest is {row['longest_stop']}."
        for row in budget_data.to_dict("records")
    ]
    pol = res.policy.to_dict()
    shut = ", ".join(pol["avoid_countries"] + pol["avoid_modes"] + pol["avoid_passages"]) or "nothing"
    terms = world.terms.to_dict()
    assumptions = (
        f"Objective: {objective}"
        + (
            f" – money plus time at USD {vot:,.0f} per TEU-hour ({commodity} cargo, commodities.csv)."
            if objective == "generalized"
            else "."
        ),
        f"Avoided: {shut}; the network {'as the data has it' if year is None else f'of {year}'}"
        + (f"; month {month}." if month else "; the year as a whole."),
        f"Cost terms of this world on top of the tariffs (transit-risk premiums, risk_premiums.csv): "
        f"{terms_words(terms)}.",
        "Each family's best route is the cheapest in that objective among routes whose signature marks "
        "the family (families.csv); a family whose best route is a detour or goes out and back is "
        "reported as not applicable.",
    )
    ids = [s for _, rt in ok for s in rt.sources]
    ids += element_ids(
        net, links=[i for _, rt in ok for i in rt.link_ids], nodes=[n for _, rt in ok for n in rt.nodes]
    )
    ids += data_ids("commodities.csv", "commodity", [commodity]) + data_ids("risk_premiums.csv")
    if uncertainty >= 2:
        ids += data_ids("uncertain_inputs.csv")
    command: list[object] = with_options(
        ["corridor", "report", "compare", origin, destination, "--out", "DIR"],
        (
            ("--objective", objective, "generalized"),
            ("--commodity", commodity, "container"),
            ("--avoid", avoid, None),
            ("--avoid-mode", avoid_modes, None),
            ("--avoid-passage", avoid_passages, None),
            ("--year", year, None),
            ("--month", month, None),
            ("--uncertainty", uncertainty, DEFAULT_DRAWS),
            ("--seed", seed, 0),
            ("--network", network, None),
        ),
    )
    return Brief(
        kind="compare",
        title=f"{res.origin} to {res.destination}: which corridor?",
        question=f"The best route of each corridor family between {res.origin} and {res.destination}, "
        f"by {objective} cost, with the ranges of its days and price.",
        summary=summary,
        key_figures=tuple(kf),
        charts=(chart,),
        tables=tables,
        changes=tuple(changes),
        ranges=block,
        ranges_note=note,
        assumptions=assumptions,
        limits=COMMON_LIMITS,
        sources=sources_table(net, ids),
        provenance=provenance(command, network=network),
        changes_title="Why the routes differ: where the time goes",
        timings={"model_s": round(t_model, 3), "ranges_s": round(t_ranges, 3), "figures_s": round(t_fig, 3)},
    )
