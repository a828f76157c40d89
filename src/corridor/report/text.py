"""Numbers in words and table cells, and the ranges block every brief shares."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from .brief import BriefTable

UNCERTAINTY_DOC = "docs/UNCERTAINTY.md"

# what every brief's numbers rest on and leave out
COMMON_LIMITS = (
    "Prices are published tariffs, rate cards and averages (rates.csv), not the contract rates a large "
    "shipper negotiates; they are in US dollars of the data's year.",
    "A route's days are averages: running time at the links' commercial speeds plus scheduled waits, "
    "border dwell and transshipment times. Day-to-day spread is in `corridor reliability`.",
    "Transit-risk premiums (sanctions, war risk) enter the generalized cost as the premiums in force in "
    "the year asked (risk_premiums.csv); other compliance costs (insurance refusals, bank screening) "
    "are not modelled.",
    "The network is a corridor-scale model: it has the main lines, ports and crossings, not every "
    "siding, terminal or feeder service.",
)


def missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def num(v: Any, nd: int = 0) -> str:
    """Thousands separated with `nd` decimals; '–' when missing."""
    return "–" if missing(v) else f"{v:,.{nd}f}"


def pct(v: Any, nd: int = 1) -> str:
    return "–" if missing(v) else f"{v * 100:.{nd}f}%"


def signed(v: Any, nd: int = 0, unit: str = "") -> str:
    """A change with its sign (a true minus sign)."""
    if missing(v):
        return "–"
    s = f"{v:+,.{nd}f}".replace("-", "−")
    return f"{s}{unit}"


def usd(v: Any) -> str:
    return "–" if missing(v) else f"USD {v:,.0f}"


def teu_short(v: Any) -> str:
    """TEU in words: 1.2 million, 238,000 (rounded to three figures)."""
    if missing(v):
        return "–"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:,.2f} million"
    if a >= 1e3:
        return f"{round(v, -3):,.0f}"
    return f"{v:,.0f}"


def span(table: pd.DataFrame | None, figure: str, nd: int = 0, scale: float = 1.0) -> str:
    """'p10–p90' of `figure` from a ranges table (index: figure), or '' when it has none."""
    if table is None or figure not in table.index:
        return ""
    lo, hi = table.at[figure, "p10"], table.at[figure, "p90"]
    if missing(lo) or missing(hi):
        return ""
    return f"{lo * scale:,.{nd}f}–{hi * scale:,.{nd}f}"


def with_range(
    value: str, rng: str, point: float | None = None, table: pd.DataFrame | None = None, figure: str = ""
) -> str:
    """'18.6 days (17.3–19.1)': the point value and its p10–p90 when there is one. Given the `point`
    and its ranges `table`, a point outside its own range says so (the data's value sits at the
    edge of an input's range, so most draws fall on one side of it)."""
    if not rng:
        return value
    if point is not None and table is not None and figure in table.index:
        lo, hi = table.at[figure, "p10"], table.at[figure, "p90"]
        if point < lo:
            return f"{value} (draws {rng}: most above it)"
        if point > hi:
            return f"{value} (draws {rng}: most below it)"
    return f"{value} ({rng})"


def ranges_table(r, labels: Mapping[str, tuple[str, int, float]], caption: str) -> BriefTable:
    """The ranges as a brief table: for each figure in `labels` (figure → (words, decimals, scale)),
    its p10, p50, p90 and the input most correlated with it (Spearman's rho over the draws)."""
    rows, shown = [], []
    for fig, (words, nd, scale) in labels.items():
        if fig not in r.table.index:
            continue
        t = r.table.loc[fig]
        top = r.tornado_for(fig, 1)
        driver = f"{top['input'].iat[0]} (ρ {top['rho'].iat[0]:+.2f})" if len(top) else "–"
        rows.append(
            {
                "figure": fig,
                "label": words,
                "p10": t["p10"] * scale,
                "p50": t["p50"] * scale,
                "p90": t["p90"] * scale,
                "n": int(t["n"]),
                "top_input": driver,
            }
        )
        shown.append(
            {
                "figure": words,
                "p10": num(t["p10"] * scale, nd),
                "p50": num(t["p50"] * scale, nd),
                "p90": num(t["p90"] * scale, nd),
                "runs": str(int(t["n"])),
                "moved most by": driver,
            }
        )
    return BriefTable("ranges", caption, pd.DataFrame(shown), pd.DataFrame(rows))


def terms_words(terms: Mapping[str, Any]) -> str:
    """A world's cost terms (`CostTerms.to_dict()`) in words: 'USD 2,017 per TEU entering BLR or RUS;
    USD 88 per TEU through babalmandab'; 'none' when there are none."""
    words = []
    for key, what in (("entry_usd", "entering"), ("passage_usd", "through"), ("corridor_usd", "on the")):
        for k, v in (terms.get(key) or {}).items():
            where = " or ".join(str(k).split("+")) + (" corridor" if key == "corridor_usd" else "")
            words.append(f"USD {float(v):,.0f} per TEU {what} {where}")
    carbon = float(terms.get("carbon_usd_per_t") or 0.0)
    if carbon:
        words.append(f"USD {carbon:,.0f} per tonne of CO2e")
    return "; ".join(words) or "none"


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """`fn()` and the seconds it took."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0
