"""Build the origin-destination demand of every year 2019-2025 from trade drivers.

    .venv/bin/python scripts/build_demand.py

writes scripts/curated/demand_<year>.csv and identical src/corridor/data/demand_<year>.csv.

The demand is what shippers want to move, not what a corridor carried: no cell is derived from a
corridor count (rail transit, Trans-Caspian boxes or tonnes); those are what the model must
reproduce by choosing routes (scripts/fit_worlds.py). Every cell is a published trade total of its
year (trade_by_year.csv, each with sources) times stated shares; the `method` column spells out the
arithmetic. docs/demand.md explains the rules and what is weakest.

Flows:
  cn_eu_*   China <-> Europe boxes: CTS China->Europe (2022, 2023), other years Asia->Europe x the
            China share of 2022-23 (2020-21 interpolated log-linearly 2019-2022; 2025 = 2024 x the
            change in EU imports from China by value); Europe->China = westbound x the CTS ratio.
            Split: a time-critical share (TIME_CRITICAL, commodity `container`) from the inland
            rail hubs to the rail terminals and Middle Corridor destinations; the rest (`general`)
            from Shanghai to the sea ranges' ports. Either may take any route.
  ca_eu_*   Central Asia -> Europe and Turkey, cargo the Caspian, Russian and Iranian routes
            compete for: a pool of CA_POOL_T tonnes a year (judgement, no published series),
            bulk from Astana, containers from Almaty and Tashkent, and a return flow.
"""

from __future__ import annotations

import csv
import math
import shutil
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CURATED = ROOT / "scripts" / "curated"
PACKAGE = ROOT / "src" / "corridor" / "data"
COLUMNS = ("origin", "destination", "commodity", "teu_per_year", "t_per_year", "source_id", "method")
YEARS = range(2019, 2026)

T_PER_TEU_BOX = 10.0  # searoutes_default_10t
T_PER_TEU_BULK = 22.0  # as commodities.csv: 24 t gross - 2 t tare per 20 ft
BOX_T_SOURCE = "searoutes_default_10t"
BULK_T_SOURCE = "astanatimes_wheat_2023;interrail_2020"

JUDGEMENT = "demand_rules_judgement"
# Share of China<->Europe boxes that are time-critical (high value, the commodity `container`):
# judgement, range 0.05-0.20; rail carried 4% of EU-China trade by value in 2024 and 2% of the
# boxes in 2018 (corridor_counts_by_year.csv), so the time-critical pool is several times that.
TIME_CRITICAL = 0.10
# Central Asia -> Europe/Turkey cargo that may cross the Caspian, Russia or Iran (no pipeline oil):
# judgement, range 8-25 Mt; Aktau + Kuryk handle up to 21 Mt a year (facts.md), Kazakh exports are
# 70 of the 90 Mt the TITR freight base is expected to add by 2030.
CA_POOL_T = 15e6
_FIT = CURATED / "demand_fit.json"  # the pool's level and the time-critical share once fitted
if _FIT.exists():  # (scripts/fit_worlds.py --write)
    import json

    _fitted = json.loads(_FIT.read_text())
    CA_POOL_T = float(_fitted["ca_pool_t"])
    TIME_CRITICAL = float(_fitted["time_critical_share"])
CA_BOX_SHARE = 0.05  # of the pool's tonnes in containers (judgement)
CA_RETURN = 0.25  # Europe -> Central Asia boxes per westbound box (judgement)

# China origin hubs: China-Europe trains on the European route by city, 2025, minus the Central
# Asian route trains; Chengdu+Chongqing published only combined (> 5,000) and split equally.
EUROPE_ROUTE_TRAINS = {
    "xian": (4_912, 998),
    "zhengzhou": (3_417, 1_039),
    "chengdu": (2_500, 129),
    "chongqing": (2_500, 261),
}
HUB_SOURCES = "yicai_trains_2025;ichongqing_chengyu_2025"
# Destinations of time-critical boxes: Duisburg ~30% of China-Europe rail trade (duisport); the rest
# equally over the network's other inland terminals and the Middle Corridor's destinations.
DUISBURG_SHARE = 0.30
TC_OTHER_DESTS = ("lodz", "malaszewicze", "hamburg", "budapest", "milan", "constanta", "istanbul")
DEST_SOURCES = "duisport_30pct_2020;navisgroup_2025"
# Sea: Asia->Europe 2023 by destination range, Europe->Asia by origin range (CTS via JIFFA)
SEA_WB_RANGE_TEU = {"north_europe": 10_220_000, "west_med": 3_010_000, "east_med": 3_350_000}
SEA_EB_RANGE_TEU = {"north_europe": 4_530_000, "west_med": 1_020_000, "east_med": 916_708}
RANGE_PORTS = {
    "north_europe": ("rotterdam", "hamburg"),
    "west_med": ("genoa",),
    "east_med": ("piraeus", "istanbul", "constanta"),
}
SEA_CHINA_PORT = "shanghai"
# China <-> Central Asia: the trade that shares the Kazakh border crossings with the transit. Trade by
# value (GACC; 2020 from the national series scaled to GACC's level, 2019 held at 2020) x the share
# not by road (2020 and 2024 published, linear between, held outside) x the share that is
# containerisable non-energy goods (judgement) / the value of a TEU of general cargo.
CN_CA_BOXED = 0.5  # judgement, range 0.3-0.7: pipeline gas and oil and bulk ores are the rest
CN_CA_WEST = 2 / 3  # of the boxes China -> Central Asia (judgement: China's exports are ~2/3 of the trade)
USD_PER_TEU = 54_000.0  # porteconomics_value_teu, as commodities.csv (general)
CN_CA_CN = ("xian", "urumqi")  # China's side: the inland hub and Xinjiang (judgement, equal)
CN_CA_CA = {"almaty": 0.4, "astana": 0.2, "tashkent": 0.3, "bishkek": 0.1}  # judgement
CA_BULK_ORIGIN = "astana"
CA_BULK_DESTS = ("istanbul", "constanta")
CA_BOX_ORIGINS = ("almaty", "tashkent")
CA_BOX_DESTS = ("constanta", "budapest", "duisburg", "milan", "istanbul")


class Trade:
    """trade_by_year.csv: a flow's value in a year and its sources."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df

    def get(self, flow: str, year: int, measure: str | None = None) -> tuple[float, str] | None:
        d = self.df[(self.df["flow"] == flow) & (self.df["year"] == year)]
        if measure is not None:
            d = d[d["measure"] == measure]
        return None if d.empty else (float(d["value"].iloc[0]), str(d["source_id"].iloc[0]))


def china_europe(trade: Trade) -> dict[int, tuple[float, float, list[str], str]]:
    """Per year: (westbound TEU, eastbound TEU, sources, how)."""
    cts = {y: trade.get("china_to_europe_containers", y) for y in YEARS}
    asia = {y: trade.get("asia_to_europe_containers", y) for y in YEARS}
    back = {y: trade.get("europe_to_china_containers", y) for y in YEARS}
    both = [y for y in YEARS if cts[y] and asia[y]]
    share = sum(cts[y][0] / asia[y][0] for y in both) / len(both)
    ratio_years = [y for y in YEARS if cts[y] and back[y]]
    ratio = sum(back[y][0] / cts[y][0] for y in ratio_years) / len(ratio_years)
    out = {}
    for y in YEARS:
        src = []
        if cts[y]:
            w, how = cts[y][0], f"CTS China->Europe {y} {cts[y][0]:,.0f} TEU"
            src.append(cts[y][1])
        elif asia[y]:
            w = asia[y][0] * share
            how = f"CTS Asia->Europe {y} {asia[y][0]:,.0f} TEU x China share {share:.3f} (mean 2022-23)"
            src += [asia[y][1], cts[2023][1]]
        elif 2019 < y < 2022:
            a0, a1 = asia[2019][0], asia[2022][0]
            a = math.exp(math.log(a0) + (math.log(a1) - math.log(a0)) * (y - 2019) / 3)
            w = a * share
            how = f"Asia->Europe interpolated log-linearly 2019-2022 = {a:,.0f} TEU x China share {share:.3f}"
            src += [asia[2019][1], asia[2022][1], cts[2023][1]]
        else:  # after the last CTS year: the change in EU imports from China by value
            prev = out[y - 1][0]
            v1, s1 = trade.get("eu_imports_from_china", y)  # type: ignore[misc]
            v0, s0 = trade.get("eu_imports_from_china", y - 1)  # type: ignore[misc]
            w = prev * v1 / v0
            how = (
                f"{y - 1} westbound {prev:,.0f} TEU x EU imports from China {v1 / v0:.3f} "
                f"({y} / {y - 1}, EUR)"
            )
            src += [s1, s0]
        if back[y]:
            e, ehow = back[y][0], f"CTS Europe->China {y} {back[y][0]:,.0f} TEU"
            src.append(back[y][1])
        else:
            e, ehow = w * ratio, f"westbound x {ratio:.3f} (CTS Europe->China / China->Europe, mean 2022-23)"
        out[y] = (w, e, sorted({s for x in src for s in x.split(";")}), f"{how}; eastbound {ehow}")
    return out


def china_central_asia(trade: Trade) -> dict[int, tuple[float, list[str], str]]:
    """Per year: China <-> Central Asia rail-borne boxes (both directions), sources, how."""
    out = {}
    nat20, nat24 = (
        trade.get("central_asia_china_trade_national", 2020),
        trade.get("central_asia_china_trade_national", 2024),
    )
    road = {y: trade.get("china_central_asia_road_share", y) for y in (2020, 2024)}
    for y in YEARS:
        g = trade.get("china_central_asia_trade_gacc", y)
        if g:
            value, src, how = g[0], [g[1]], f"China-Central Asia trade {y} USD {g[0] / 1e9:.1f} bn (GACC)"
        else:
            g24 = trade.get("china_central_asia_trade_gacc", 2024)
            value = nat20[0] * g24[0] / nat24[0]  # type: ignore[index]
            src = [nat20[1], nat24[1], g24[1]]  # type: ignore[index]
            how = (
                f"China-Central Asia trade 2020 USD {nat20[0] / 1e9:.1f} bn (national series) "  # type: ignore[index]
                f"x GACC/national 2024 = USD {value / 1e9:.1f} bn{' (2019 held at 2020)' if y < 2020 else ''}"
            )
        t = min(max((y - 2020) / 4, 0.0), 1.0)
        r = road[2020][0] + (road[2024][0] - road[2020][0]) * t  # type: ignore[index]
        src += [road[2020][1], road[2024][1], JUDGEMENT, "porteconomics_value_teu"]  # type: ignore[index]
        teu = value * (1 - r) * CN_CA_BOXED / USD_PER_TEU
        how += (
            f" x (1 - road share {r:.3f}) x containerisable share {CN_CA_BOXED} / USD {USD_PER_TEU:,.0f} "
            f"per TEU = {teu:,.0f} TEU"
        )
        out[y] = (teu, sorted({x for v in src for x in v.split(";")}), how)
    return out


def hub_shares() -> dict[str, float]:
    europe = {h: a - c for h, (a, c) in EUROPE_ROUTE_TRAINS.items()}
    n = sum(europe.values())
    return {h: k / n for h, k in europe.items()}


def tc_dest_shares() -> dict[str, float]:
    other = (1 - DUISBURG_SHARE) / len(TC_OTHER_DESTS)
    return {"duisburg": DUISBURG_SHARE, **{d: other for d in TC_OTHER_DESTS}}


def components(year: int, ce: dict, cc: dict) -> list[dict]:
    """Every part of the year's demand before cells sharing an OD are summed."""
    w, e, srcs, how = ce[year]
    base_src = ";".join([*srcs, BOX_T_SOURCE])
    teu, srcs_cc, how_cc = cc[year]
    return [
        *china_europe_time_critical(w, e, how, base_src),
        *china_europe_sea(w, e, how, base_src),
        *china_central_asia_parts(teu, srcs_cc, how_cc),
        *central_asia_bulk(),
        *central_asia_boxes(),
    ]


def part(flow: str, o: str, d: str, commodity: str, teu: float, t: float, sources: str, method: str) -> dict:
    """One part of a cell: a flow's share of an origin-destination pair, with how it was reckoned."""
    return dict(
        flow=flow,
        origin=o,
        destination=d,
        commodity=commodity,
        teu=teu,
        t=t,
        sources=sources,
        method=method,
    )


def china_europe_time_critical(w: float, e: float, how: str, base_src: str) -> list[dict]:
    """China <-> Europe time-critical boxes (`container`): the inland rail hubs to the rail terminals."""
    out: list[dict] = []
    for flow, total, west in (("cn_eu_tc_wb", w, True), ("cn_eu_tc_eb", e, False)):
        tc = total * TIME_CRITICAL
        for h, hs in hub_shares().items():
            for d, ds in tc_dest_shares().items():
                teu = tc * hs * ds
                o, dd = (h, d) if west else (d, h)
                m = (
                    f"[{flow}] {how} -> {'westbound' if west else 'eastbound'} {total:,.0f} TEU x "
                    "time-critical "
                    f"share {TIME_CRITICAL} x hub share {hs:.4f} ({h}) x destination share {ds:.3f} ({d}) "
                    f"= {teu:,.0f} TEU"
                )
                out.append(
                    part(
                        flow,
                        o,
                        dd,
                        "container",
                        teu,
                        teu * T_PER_TEU_BOX,
                        ";".join([base_src, JUDGEMENT, HUB_SOURCES, DEST_SOURCES]),
                        m,
                    )
                )
    return out


def china_europe_sea(w: float, e: float, how: str, base_src: str) -> list[dict]:
    """China <-> Europe other boxes (`general`): Shanghai to the sea ranges' ports by CTS range share."""
    out: list[dict] = []
    for flow, total, ranges, west in (
        ("cn_eu_sea_wb", w, SEA_WB_RANGE_TEU, True),
        ("cn_eu_sea_eb", e, SEA_EB_RANGE_TEU, False),
    ):
        rsum = sum(ranges.values())
        for rng, rteu in ranges.items():
            ports = RANGE_PORTS[rng]
            for p in ports:
                teu = total * (1 - TIME_CRITICAL) * rteu / rsum / len(ports)
                o, dd = (SEA_CHINA_PORT, p) if west else (p, SEA_CHINA_PORT)
                m = (
                    f"[{flow}] {how} -> {total:,.0f} TEU x (1 - {TIME_CRITICAL}) x range share "
                    f"{rteu / rsum:.4f} ({rng}, CTS 2023) x 1/{len(ports)} ({p}) = {teu:,.0f} TEU; "
                    f"Chinese ports at {SEA_CHINA_PORT}"
                )
                out.append(
                    part(flow, o, dd, "general", teu, teu * T_PER_TEU_BOX, ";".join([base_src, JUDGEMENT]), m)
                )
    return out


def china_central_asia_parts(teu: float, srcs_cc: list[str], how_cc: str) -> list[dict]:
    """China <-> Central Asia boxes, both Chinese hubs equally, over the Central Asian cities by share."""
    out: list[dict] = []
    for flow, share, west in (("cn_ca_wb", CN_CA_WEST, True), ("cn_ca_eb", 1 - CN_CA_WEST, False)):
        for c in CN_CA_CN:
            for a, ashare in CN_CA_CA.items():
                x = teu * share * ashare / len(CN_CA_CN)
                o, d = (c, a) if west else (a, c)
                m = (
                    f"[{flow}] {how_cc} x {'westbound' if west else 'eastbound'} {share:.3f} "
                    f"x 1/{len(CN_CA_CN)} ({c}) x {ashare} ({a}) = {x:,.0f} TEU"
                )
                out.append(
                    part(flow, o, d, "general", x, x * T_PER_TEU_BOX, ";".join([*srcs_cc, BOX_T_SOURCE]), m)
                )
    return out


def central_asia_bulk() -> list[dict]:
    """The Central Asian pool's bulk share, from Astana to the Black Sea and Turkey in equal parts."""
    out: list[dict] = []
    bulk_t = CA_POOL_T * (1 - CA_BOX_SHARE)
    for d in CA_BULK_DESTS:
        t = bulk_t / len(CA_BULK_DESTS)
        m = (
            f"[ca_eu_bulk] Central Asian pool {CA_POOL_T:,.0f} t (judgement, constant 2019-2025) x bulk "
            f"share {1 - CA_BOX_SHARE} x 1/{len(CA_BULK_DESTS)} ({d}) = {t:,.0f} t; TEU-equivalent t / "
            f"{T_PER_TEU_BULK:g}"
        )
        out.append(
            part(
                "ca_eu_bulk",
                CA_BULK_ORIGIN,
                d,
                "bulk",
                t / T_PER_TEU_BULK,
                t,
                ";".join([JUDGEMENT, BULK_T_SOURCE]),
                m,
            )
        )
    return out


def central_asia_boxes() -> list[dict]:
    """The Central Asian pool's box share westbound, and the return flow, over origins and destinations."""
    out: list[dict] = []
    box_teu = CA_POOL_T * CA_BOX_SHARE / T_PER_TEU_BOX
    for flow, total, west in (("ca_eu_box_wb", box_teu, True), ("ca_eu_box_eb", box_teu * CA_RETURN, False)):
        for o in CA_BOX_ORIGINS:
            for d in CA_BOX_DESTS:
                teu = total / len(CA_BOX_ORIGINS) / len(CA_BOX_DESTS)
                a, b = (o, d) if west else (d, o)
                m = (
                    f"[{flow}] Central Asian pool {CA_POOL_T:,.0f} t x box share {CA_BOX_SHARE} / "
                    f"{T_PER_TEU_BOX:g} t/TEU = {box_teu:,.0f} TEU"
                    f"{'' if west else f' x return {CA_RETURN}'} x 1/{len(CA_BOX_ORIGINS)} ({o}) x "
                    f"1/{len(CA_BOX_DESTS)} ({d}) = {teu:,.0f} TEU"
                )
                out.append(
                    part(
                        flow,
                        a,
                        b,
                        "container",
                        teu,
                        teu * T_PER_TEU_BOX,
                        ";".join([JUDGEMENT, BOX_T_SOURCE, "navisgroup_2025"]),
                        m,
                    )
                )
    return out


def rows(parts: list[dict]) -> list[dict]:
    """One row per (origin, destination, commodity): parts sharing a cell are summed."""
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for p in parts:
        cells[(p["origin"], p["destination"], p["commodity"])].append(p)
    out = []
    for (o, d, c), ps in sorted(cells.items()):
        srcs = list(dict.fromkeys(s for p in ps for s in p["sources"].split(";")))
        method = (
            ps[0]["method"]
            if len(ps) == 1
            else f"sum of {len(ps)} parts: " + " PLUS ".join(p["method"] for p in ps)
        )
        out.append(
            {
                "origin": o,
                "destination": d,
                "commodity": c,
                "teu_per_year": round(sum(p["teu"] for p in ps)),
                "t_per_year": round(sum(p["t"] for p in ps)),
                "source_id": ";".join(srcs),
                "method": method,
            }
        )
    return out


def flow_totals(parts: list[dict]) -> dict[str, dict[str, float]]:
    acc: dict[str, dict[str, float]] = defaultdict(lambda: {"teu": 0.0, "t": 0.0})
    for p in parts:
        acc[p["flow"]]["teu"] += p["teu"]
        acc[p["flow"]]["t"] += p["t"]
    return dict(acc)


def build(trade: Trade | None = None) -> dict[int, list[dict]]:
    """Per year: the demand table's rows."""
    trade = trade or Trade(pd.read_csv(PACKAGE / "trade_by_year.csv", dtype={"source_id": str}))
    ce, cc = china_europe(trade), china_central_asia(trade)
    return {y: rows(components(y, ce, cc)) for y in YEARS}


def main() -> int:
    trade = Trade(pd.read_csv(PACKAGE / "trade_by_year.csv", dtype={"source_id": str}))
    ce, cc = china_europe(trade), china_central_asia(trade)
    for y in YEARS:
        parts = components(y, ce, cc)
        table = rows(parts)
        out = CURATED / f"demand_{y}.csv"
        with open(out, "w", newline="", encoding="utf-8") as f:
            wr = csv.DictWriter(f, COLUMNS, lineterminator="\n")
            wr.writeheader()
            wr.writerows(table)
        shutil.copyfile(out, PACKAGE / out.name)
        tot = flow_totals(parts)
        print(f"{y}: {len(table)} rows; " + ", ".join(f"{k} {v['teu']:,.0f} TEU" for k, v in tot.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
