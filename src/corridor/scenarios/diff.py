"""Comparing two scenario runs: corridor shares, volumes, days, cost and the links that move."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..folders import Writable
from ..output import Document, Output, Table, json_safe
from .run import ScenarioResult, run_scenario


@dataclass(frozen=True, eq=False)
class ScenarioDiff(Writable):
    """b minus a: per corridor, per country and per link."""

    a: str
    b: str
    corridors: pd.DataFrame
    countries: pd.DataFrame
    links: pd.DataFrame  # the links whose load changes most (by absolute TEU)
    totals: dict

    def to_frame(self) -> pd.DataFrame:
        """One row per corridor family: a's and b's values and the change (corridors.csv)."""
        return self.corridors.copy()

    def outputs(self, net=None) -> list[Output]:
        """What `write` writes: the diff as JSON, and its corridor, country and link tables."""
        return [Document("diff.json", self.to_dict), Table("corridors", self.corridors),
                Table("countries", self.countries), Table("links", self.links)]

    def to_dict(self) -> dict:
        return json_safe({"a": self.a, "b": self.b, "totals": self.totals,
                       "corridors": self.corridors.round(4).to_dict(orient="records"),
                       "countries": self.countries.round(1).to_dict(orient="records"),
                       "links": self.links.round(3).to_dict(orient="records")})


def _as_result(x, method: str | None, network) -> ScenarioResult:
    return x if isinstance(x, ScenarioResult) else run_scenario(x, method=method, network=network)


def diff(a, b, *, top: int = 10, method: str | None = None, network=None) -> ScenarioDiff:
    """Compare two runs (ScenarioResult, or scenario names/paths, which are run first)."""
    ra, rb = _as_result(a, method, network), _as_result(b, method, network)
    ca = ra.corridors.set_index("corridor")
    cb = rb.corridors.set_index("corridor")
    fams = list(dict.fromkeys([*ca.index, *cb.index]))
    rows = []
    for fam in fams:
        row = {"corridor": fam}
        for col in ("teu", "share", "mean_days", "p90_days", "usd_per_teu"):
            va = float(ca[col].get(fam, np.nan)) if fam in ca.index else np.nan
            vb = float(cb[col].get(fam, np.nan)) if fam in cb.index else np.nan
            row[f"{col}_a"], row[f"{col}_b"] = va, vb
            row[f"d_{col}"] = vb - va
        rows.append(row)
    corridors = pd.DataFrame(rows)
    countries = pd.DataFrame({"teu_a": pd.Series(ra.countries, dtype=float),
                              "teu_b": pd.Series(rb.countries, dtype=float)}).fillna(0.0)
    countries["d_teu"] = countries["teu_b"] - countries["teu_a"]
    countries = (countries.rename_axis("country").reset_index()
                 .sort_values("d_teu", key=np.abs, ascending=False, ignore_index=True))
    la = ra.flows.links.set_index("link_id")
    lb = rb.flows.links.set_index("link_id")
    ids = list(dict.fromkeys([*la.index, *lb.index]))
    links = pd.DataFrame({"link_id": ids})
    links["name"] = [lb["name"].get(i, la["name"].get(i, "")) if i in lb.index else la["name"].get(i, "")
                     for i in ids]
    links["teu_a"] = la["flow_teu"].reindex(ids).fillna(0.0).to_numpy()
    links["teu_b"] = lb["flow_teu"].reindex(ids).fillna(0.0).to_numpy()
    links["d_teu"] = links["teu_b"] - links["teu_a"]
    links["v_c_a"] = la["v_c"].reindex(ids).to_numpy()
    links["v_c_b"] = lb["v_c"].reindex(ids).to_numpy()
    links["label"] = [f"{n} ({i})" if n else str(i)
                      for n, i in zip(links["name"], links["link_id"], strict=True)]
    links = (links[links["d_teu"].abs() > 0.5].sort_values("d_teu", key=np.abs, ascending=False)
             .head(top).reset_index(drop=True))
    ta, tb = ra.totals(), rb.totals()
    totals = {k: {"a": ta[k], "b": tb[k], "d": tb[k] - ta[k]} for k in ta}
    return ScenarioDiff(ra.name, rb.name, corridors, countries, links, totals)
