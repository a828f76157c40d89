"""Build the 2024 baseline origin-destination demand from published totals.

    .venv/bin/python scripts/build_demand.py

writes scripts/curated/demand_2024.csv and an identical src/corridor/data/demand_2024.csv.

Every cell is a *derivation*, not an observation: a published total (TOTALS below, each with
its source id) times published or stated shares (SHARES below). No cell value is typed by
hand; the `method` column of each row spells out the arithmetic. docs/demand.md explains the
choices and what is weakest.

Flows (all 2024 unless said):
  rail_wb   China -> Europe rail, 1520 mm transit (UTLC ERA): 412k TEU
  rail_eb   Europe -> China rail: 412k x 15/100 (about 15 boxes back per 100 sent west)
  titr_c_*  Trans-Caspian containers: ~55k TEU, split west/east by the 2025 plan (88k of 96k
            TEU Aktau->Alat); westbound China-origin part = 358 trains x 112.5 TEU/train
  titr_b_*  Trans-Caspian non-container cargo: 4.484 Mt - 55k TEU x 10 t/TEU
  sea_wb    China -> Europe sea: 12.5M TEU (2023, CTS) x 1.119 (Asia->Europe growth 2024)
  sea_eb    Europe -> China sea: 3.2M TEU (2023, CTS; no 2024 figure used)
"""

from __future__ import annotations

import csv
import shutil
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_CURATED = ROOT / "scripts" / "curated" / "demand_2024.csv"
OUT_PACKAGE = ROOT / "src" / "corridor" / "data" / "demand_2024.csv"
COLUMNS = ("origin", "destination", "commodity", "teu_per_year", "t_per_year", "source_id", "method")

# ----------------------------------------------------------------------------- published totals
# name: (value, unit, source ids, what it is)
TOTALS: dict[str, tuple[float, str, str, str]] = {
    "rail_wb_teu": (412_000, "TEU", "maritime_network_412k",
                    "China->Europe rail transit 2024 (UTLC ERA CEO)"),
    "rail_eb_per_100_wb": (15, "boxes per 100 westbound", "maritime_network_412k",
                           "Europe->China boxes per 100 China->Europe boxes, 2024 (same article)"),
    "titr_teu": (55_000, "TEU", "kmtf_2024",
                 "Trans-Caspian container leg 2024 (KMTF 51.4k = 94% of about 55k)"),
    "titr_t": (4_484_000, "t", "reportaz_titr_2024",
               "TITR cargo 2024, all kinds (KZ Ministry of Transport series)"),
    "titr_plan_teu_2025": (96_000, "TEU", "astanatimes_titr_2025",
                           "TITR Association container plan 2025"),
    "titr_plan_wb_teu_2025": (88_000, "TEU", "astanatimes_titr_2025;sia_feeders_2025",
                              "of which Aktau->Alat (westbound)"),
    "titr_china_trains": (358, "trains", "ktze_trains_2024",
                          "container trains from China via the route, 2024"),
    "feeder_teu": (225, "TEU per feeder", "uic_feeder_2019",
                   "Aktau-Baku feeder carrying 2 block trains"),
    "sea_wb_teu_2023": (12_500_000, "TEU", "jiffa_cts_2023",
                        "container exports from China to Europe (incl. Mediterranean), 2023, CTS"),
    "sea_growth_2024": (1.119, "ratio", "atfl_cts_2024",
                        "Asia->Europe container volume 2024 vs 2023 (+11.9%, CTS)"),
    "sea_eb_teu_2023": (3_200_000, "TEU", "jiffa_cts_2023",
                        "container imports to China from Europe, 2023, CTS"),
    "t_per_teu_container": (10, "t/TEU", "searoutes_default_10t",
                            "average cargo weight per loaded TEU"),
    "t_per_teu_bulk": (22, "t/TEU", "astanatimes_wheat_2023;interrail_2020",
                       "bulk TEU-equivalent, as in commodities.csv (24 t gross - 2 t tare per 20ft)"),
}

# ------------------------------------------------------------------------------ published shares
# China origin hubs: China-Europe trains on the *European* route by city, 2025 (the nearest year
# published by city), minus the Central Asian route trains; Chengdu+Chongqing published only
# combined (> 5,000) and split equally. Trains of cities without a node (Yiwu, Wuhan, ...) are
# spread pro rata over the four hubs.
EUROPE_ROUTE_TRAINS = {  # (all trains, Central Asian route trains)
    "xian": (4_912, 998),
    "zhengzhou": (3_417, 1_039),
    "chengdu": (5_000 / 2, 129),
    "chongqing": (5_000 / 2, 261),
}
EUROPE_ROUTE_TOTAL = 20_022
HUB_SOURCES = "yicai_trains_2025;ichongqing_chengyu_2025"

# Rail destinations: Duisburg ~30% of China-Europe rail trade (duisport); the other 70% spread
# equally over the other rail terminals of the network in the EU (no published split).
DUISBURG_SHARE = 0.30
RAIL_OTHER_DESTS = ("lodz", "malaszewicze", "hamburg", "budapest", "milan")

# Middle Corridor destinations: the four named in the official TITR guidance (navisgroup_2025)
# plus Istanbul (Turkey via Baku-Tbilisi-Kars), equal shares (no published split).
MC_DESTS = ("constanta", "budapest", "duisburg", "milan", "istanbul")
MC_CA_ORIGINS = ("almaty", "tashkent")  # Central Asian origin of the non-China remainder, equal

# Trans-Caspian non-container cargo: Kazakh exports; origin Astana (grain belt) as a single
# proxy zone, destinations Istanbul and Constanta equally (no published split).
TITR_BULK_ORIGIN = "astana"
TITR_BULK_DESTS = ("istanbul", "constanta")

# Sea: Asia->Europe 2023 by destination range, Europe->Asia 2023 by origin range (CTS via JIFFA)
SEA_WB_RANGE_TEU = {"north_europe": 10_220_000, "west_med": 3_010_000, "east_med": 3_350_000}
SEA_EB_RANGE_TEU = {"north_europe": 4_530_000, "west_med": 1_020_000, "east_med": 916_708}
RANGE_PORTS = {
    "north_europe": ("rotterdam", "hamburg"),
    "west_med": ("genoa",),
    "east_med": ("piraeus", "istanbul", "constanta"),
}
SEA_CHINA_PORT = "shanghai"  # the network's Chinese deep-sea port stands for all of them


def v(name: str) -> float:
    return TOTALS[name][0]


def src(name: str) -> str:
    return TOTALS[name][2]


def hub_shares() -> dict[str, float]:
    europe = {h: a - c for h, (a, c) in EUROPE_ROUTE_TRAINS.items()}
    named = sum(europe.values())
    return {h: n / named for h, n in europe.items()}


def hub_note() -> str:
    europe = {h: a - c for h, (a, c) in EUROPE_ROUTE_TRAINS.items()}
    named = sum(europe.values())
    return (f"origin share = hub's Europe-route trains / {named:,.0f} trains of the 4 hubs "
            f"({named / EUROPE_ROUTE_TOTAL:.1%} of {EUROPE_ROUTE_TOTAL:,} Europe-route trains, 2025; "
            f"other cities pro rata)")


def rail_dest_shares() -> dict[str, float]:
    other = (1 - DUISBURG_SHARE) / len(RAIL_OTHER_DESTS)
    return {"duisburg": DUISBURG_SHARE, **{d: other for d in RAIL_OTHER_DESTS}}


# ----------------------------------------------------------------------------------- components
def components() -> list[dict]:
    """Every (flow, origin, destination, commodity) part before cells sharing an OD are summed."""
    out: list[dict] = []
    tc = v("t_per_teu_container")
    tb = v("t_per_teu_bulk")

    def add(flow, o, d, commodity, teu, t, sources, method):
        out.append(dict(flow=flow, origin=o, destination=d, commodity=commodity, teu=teu, t=t,
                        sources=sources, method=method))

    hubs = hub_shares()
    dests = rail_dest_shares()
    # rail, 1520 mm transit
    rail_wb = v("rail_wb_teu")
    rail_eb = rail_wb * v("rail_eb_per_100_wb") / 100
    for flow, total, west in (("rail_wb", rail_wb, True), ("rail_eb", rail_eb, False)):
        for h, hs in hubs.items():
            for d, ds in dests.items():
                teu = total * hs * ds
                o, dd = (h, d) if west else (d, h)
                base = ("412,000 TEU westbound China-EU rail 2024" if west else
                        "Europe->China rail 2024 = 412,000 x 15/100 = 61,800 TEU")
                method = (f"[{flow}] {base} x origin-hub share {hs:.4f} ({h}; {hub_note()}) x "
                          f"destination share {ds:.2f} ({d}; Duisburg 30% per duisport, other 70% "
                          f"equally over {len(RAIL_OTHER_DESTS)} EU terminals) = {teu:,.0f} TEU; "
                          f"t = TEU x {tc:g} t/TEU")
                srcs = ";".join([src("rail_wb_teu"), HUB_SOURCES, "duisport_30pct_2020",
                                 src("t_per_teu_container")])
                add(flow, o, dd, "container", teu, teu * tc, srcs, method)

    # Trans-Caspian containers
    titr = v("titr_teu")
    wb_share = v("titr_plan_wb_teu_2025") / v("titr_plan_teu_2025")
    titr_wb = titr * wb_share
    titr_eb = titr - titr_wb
    china_wb = v("titr_china_trains") * v("feeder_teu") / 2
    china_share = china_wb / titr_wb
    for flow, total, west in (("titr_c_wb", titr_wb, True), ("titr_c_eb", titr_eb, False)):
        base = (f"Trans-Caspian containers 2024 55,000 TEU x westbound share 88/96 (2025 plan) = "
                f"{titr_wb:,.0f} TEU" if west else
                f"Trans-Caspian containers 2024 55,000 TEU x eastbound share 8/96 (2025 plan) = "
                f"{titr_eb:,.0f} TEU")
        china_txt = (f"China-origin share {china_share:.4f} = 358 trains x 112.5 TEU/train "
                     f"(225-TEU feeder = 2 block trains) = {china_wb:,.0f} TEU / {titr_wb:,.0f}")
        for d in MC_DESTS:
            ds = 1 / len(MC_DESTS)
            for h, hs in hubs.items():
                teu = total * china_share * hs * ds
                o, dd = (h, d) if west else (d, h)
                method = (f"[{flow}] {base} x {china_txt} x origin-hub share {hs:.4f} ({h}; "
                          f"{hub_note()}) x destination share 1/{len(MC_DESTS)} ({d}; equal over the "
                          f"TITR-guidance destinations and Istanbul) = {teu:,.0f} TEU; "
                          f"t = TEU x {tc:g} t/TEU")
                srcs = ";".join([src("titr_teu"), src("titr_plan_wb_teu_2025"),
                                 src("titr_china_trains"), src("feeder_teu"), HUB_SOURCES,
                                 "navisgroup_2025", src("t_per_teu_container")])
                add(flow, o, dd, "container", teu, teu * tc, srcs, method)
            for ca in MC_CA_ORIGINS:
                cs = 1 / len(MC_CA_ORIGINS)
                teu = total * (1 - china_share) * cs * ds
                o, dd = (ca, d) if west else (d, ca)
                method = (f"[{flow}] {base} x Central Asian share {1 - china_share:.4f} (remainder "
                          f"after {china_txt}) x 1/{len(MC_CA_ORIGINS)} ({ca}; equal) x destination "
                          f"share 1/{len(MC_DESTS)} ({d}) = {teu:,.0f} TEU; t = TEU x {tc:g} t/TEU")
                srcs = ";".join([src("titr_teu"), src("titr_plan_wb_teu_2025"),
                                 src("titr_china_trains"), src("feeder_teu"), "navisgroup_2025",
                                 src("t_per_teu_container")])
                add(flow, o, dd, "container", teu, teu * tc, srcs, method)

    # Trans-Caspian non-container cargo
    bulk_t = v("titr_t") - titr * tc
    for flow, share, west in (("titr_b_wb", wb_share, True), ("titr_b_eb", 1 - wb_share, False)):
        for d in TITR_BULK_DESTS:
            ds = 1 / len(TITR_BULK_DESTS)
            t = bulk_t * share * ds
            o, dd = (TITR_BULK_ORIGIN, d) if west else (d, TITR_BULK_ORIGIN)
            method = (f"[{flow}] TITR cargo 2024 4,484,000 t - containers 55,000 TEU x {tc:g} t/TEU "
                      f"= {bulk_t:,.0f} t non-container x {'westbound 88/96' if west else 'eastbound 8/96'}"
                      f" (container split of the 2025 plan, assumed for bulk) x 1/{len(TITR_BULK_DESTS)}"
                      f" ({d}; equal) = {t:,.0f} t; origin {TITR_BULK_ORIGIN} as the single Kazakh zone; "
                      f"TEU-equivalent = t / {tb:g}")
            srcs = ";".join([src("titr_t"), src("titr_teu"), src("titr_plan_wb_teu_2025"),
                             src("t_per_teu_container"), src("t_per_teu_bulk")])
            add(flow, o, dd, "bulk", t / tb, t, srcs, method)

    # Sea, China <-> Europe
    sea_wb = v("sea_wb_teu_2023") * v("sea_growth_2024")
    sea_eb = v("sea_eb_teu_2023")
    for flow, total, ranges, west in (("sea_wb", sea_wb, SEA_WB_RANGE_TEU, True),
                                      ("sea_eb", sea_eb, SEA_EB_RANGE_TEU, False)):
        rsum = sum(ranges.values())
        base = ("China->Europe sea 12,500,000 TEU (2023) x 1.119 (Asia-Europe 2024 growth) = "
                f"{sea_wb:,.0f} TEU" if west else "Europe->China sea 3,200,000 TEU (2023 level)")
        for rng, rteu in ranges.items():
            ports = RANGE_PORTS[rng]
            for p in ports:
                teu = total * rteu / rsum / len(ports)
                o, dd = (SEA_CHINA_PORT, p) if west else (p, SEA_CHINA_PORT)
                method = (f"[{flow}] {base} x range share {rteu / rsum:.4f} ({rng}: "
                          f"{rteu:,} of {rsum:,} TEU Asia{'->' if west else '<-'}Europe 2023) x "
                          f"1/{len(ports)} ({p}; equal over the range's ports in the network) = "
                          f"{teu:,.0f} TEU; t = TEU x {tc:g} t/TEU; all Chinese ports at {SEA_CHINA_PORT}")
                srcs = ";".join([src("sea_wb_teu_2023"),
                                 *([src("sea_growth_2024")] if west else []),
                                 src("t_per_teu_container")])
                # sea-borne boxes are general cargo: the class that revealed a low value of time
                add(flow, o, dd, "general", teu, teu * tc, srcs, method)
    return out


def flow_totals(parts: list[dict] | None = None) -> dict[str, dict[str, float]]:
    """TEU and t per flow, the numbers docs/demand.md and the tests check."""
    acc: dict[str, dict[str, float]] = defaultdict(lambda: {"teu": 0.0, "t": 0.0})
    for p in parts if parts is not None else components():
        acc[p["flow"]]["teu"] += p["teu"]
        acc[p["flow"]]["t"] += p["t"]
    return dict(acc)


def expected_totals() -> dict[str, float]:
    """The published totals each flow must add back up to (before rounding)."""
    tc = v("t_per_teu_container")
    wb = v("titr_plan_wb_teu_2025") / v("titr_plan_teu_2025")
    return {
        "rail_wb_teu": v("rail_wb_teu"),
        "rail_eb_teu": v("rail_wb_teu") * v("rail_eb_per_100_wb") / 100,
        "titr_c_teu": v("titr_teu"),
        "titr_t": v("titr_t"),
        "titr_c_wb_teu": v("titr_teu") * wb,
        "titr_china_wb_teu": v("titr_china_trains") * v("feeder_teu") / 2,
        "titr_b_t": v("titr_t") - v("titr_teu") * tc,
        "sea_wb_teu": v("sea_wb_teu_2023") * v("sea_growth_2024"),
        "sea_eb_teu": v("sea_eb_teu_2023"),
    }


def rows(parts: list[dict] | None = None) -> list[dict]:
    """One row per (origin, destination, commodity): parts sharing a cell are summed."""
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for p in parts if parts is not None else components():
        cells[(p["origin"], p["destination"], p["commodity"])].append(p)
    out = []
    for (o, d, c), ps in sorted(cells.items()):
        srcs = list(dict.fromkeys(s for p in ps for s in p["sources"].split(";")))
        method = ps[0]["method"] if len(ps) == 1 else (
            f"sum of {len(ps)} parts: " + " PLUS ".join(p["method"] for p in ps))
        out.append({
            "origin": o, "destination": d, "commodity": c,
            "teu_per_year": round(sum(p["teu"] for p in ps)),
            "t_per_year": round(sum(p["t"] for p in ps)),
            "source_id": ";".join(srcs),
            "method": method,
        })
    return out


def main() -> int:
    parts = components()
    table = rows(parts)
    OUT_CURATED.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT_CURATED, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(table)
    shutil.copyfile(OUT_CURATED, OUT_PACKAGE)
    print(f"{len(table)} rows -> {OUT_CURATED.relative_to(ROOT)} and {OUT_PACKAGE.relative_to(ROOT)}")
    for flow, tot in flow_totals(parts).items():
        print(f"  {flow:10s} {tot['teu']:>14,.0f} TEU {tot['t']:>16,.0f} t")
    return 0


if __name__ == "__main__":
    sys.exit(main())
