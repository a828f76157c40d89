"""Transit-risk premiums: what crossing a sanctioned country or a war zone costs a shipper, by year.

No tariff prices the risk of sending a box through Russia after 2022 or through Iran under US
secondary sanctions, yet shippers and their banks avoid both: land cargo cover excludes them,
payments are refused, forwarders stop booking. Each premium in `risk_premiums.csv` is a named
USD-per-TEU term (on entering a country, or on a sea passage) times its *driver*, an item of
`world_years.csv` saying how far the cause was in force that year (the share of 2022 under the EU's
sanctions on Russia, the Red Sea war-risk rate). The levels are judgements with a range, fitted to
the corridor counts of 2019-2025 (scripts/fit_worlds.py); a user reads and changes them here, a
scenario adds to them (`terms:`) or switches them off (`terms: {risk_premiums: false}`).

    >>> risk_terms(2021).entry_usd      # {'IRN': 1000.0}: US sanctions on Iran, none on Russia yet
    >>> risk_terms(2024).entry_usd      # {'BLR+RUS': ..., 'IRN': ...}: Belarus and Russia as one
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import pandas as pd

from .costs import CostTerms
from .datafiles import read_package_csv
from .errors import CorridorError

PREMIUMS_FILE = "risk_premiums.csv"
WORLD_YEARS_FILE = "world_years.csv"


@dataclass(frozen=True)
class RiskPremium:
    """One premium: USD per TEU (`term` entry: on entering each of `keys`, ISO3; passage: on every
    sea lane through each of `keys`) × the value of `driver` in the year."""

    name: str
    term: str  # "entry" or "passage"
    keys: tuple[str, ...]
    usd_per_teu: float
    low: float
    high: float
    driver: str
    source_id: str

    def driver_value(self, year: int | None) -> float:
        """The driver in `year`: that year's value, the nearest year's outside the data (None: the
        latest year, today's world)."""
        series = driver_series().get(self.driver, {})
        if not series:
            return 0.0
        if year is None or year > max(series):
            return series[max(series)]
        if year < min(series):
            return series[min(series)]
        if year in series:
            return series[year]
        earlier = [y for y in series if y < year]  # a gap: the value in force since the last year given
        return series[max(earlier)]

    def usd(self, year: int | None, level: float | None = None) -> float:
        """USD per TEU this premium charges in `year` (at `level` instead of the file's, if given)."""
        return (self.usd_per_teu if level is None else level) * self.driver_value(year)


@cache
def risk_premiums() -> tuple[RiskPremium, ...]:
    """The premiums of the bundled data."""
    df = read_package_csv(PREMIUMS_FILE)
    out = []
    for r in df.itertuples(index=False):
        if r.term not in ("entry", "passage"):
            raise CorridorError(f"{PREMIUMS_FILE}: premium {r.premium}: term must be entry or passage")
        out.append(RiskPremium(str(r.premium), str(r.term), tuple(str(r.keys).split(";")),
                               float(r.usd_per_teu), float(r.low), float(r.high), str(r.driver),
                               str(r.source_id)))
    return tuple(out)


@cache
def driver_series() -> dict[str, dict[int, float]]:
    """Per driver item of world_years.csv: its value by year."""
    df = read_package_csv(WORLD_YEARS_FILE)
    names = {p.driver for p in risk_premiums()}
    df = df[df["item"].isin(names)]
    out: dict[str, dict[int, float]] = {}
    for r in df.itertuples(index=False):
        out.setdefault(str(r.item), {})[int(r.year)] = float(r.value)
    return out


def premium_names() -> tuple[str, ...]:
    return tuple(p.name for p in risk_premiums())


def risk_terms(year: int | None = None, levels: Mapping[str, float] | None = None) -> CostTerms:
    """The cost terms of every risk premium in force in `year` (None: today), at the data's levels
    or at `levels` (premium name -> USD per TEU at full force)."""
    levels = dict(levels or {})
    unknown = sorted(set(levels) - set(premium_names()))
    if unknown:
        raise CorridorError(f"unknown risk premium {', '.join(unknown)}; known: {', '.join(premium_names())}")
    entry: dict[str, float] = {}
    passage: dict[str, float] = {}
    for p in risk_premiums():
        usd = p.usd(year, levels.get(p.name))
        if p.term == "entry":  # one premium for the group: entering it once, wherever
            key = "+".join(sorted(p.keys))
            entry[key] = entry.get(key, 0.0) + usd
        else:
            for k in p.keys:
                passage[k] = passage.get(k, 0.0) + usd
    return CostTerms(entry_usd=entry, passage_usd=passage)


def premium_table(year: int | None = None, levels: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per premium: what it is, where it applies, its level and range, its driver's value in
    `year` and the USD per TEU it charges there."""
    levels = dict(levels or {})
    rows = []
    for p in risk_premiums():
        level = levels.get(p.name, p.usd_per_teu)
        rows.append({"premium": p.name, "term": p.term, "keys": ";".join(p.keys), "level_usd": level,
                     "low": p.low, "high": p.high, "driver": p.driver, "driver_value": p.driver_value(year),
                     "usd_per_teu": p.usd(year, level), "source_id": p.source_id})
    return pd.DataFrame(rows)
