"""Comparing two scenario runs: corridor shares, volumes, days, cost and the links that move."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CorridorError
from ..network.families import SEA_FAMILIES
from ..output import json_safe
from .run import ScenarioResult, run_scenario


@dataclass(frozen=True, eq=False)
class ScenarioDiff:
    """b minus a: per corridor, per country and per link."""

    a: str
    b: str
    corridors: pd.DataFrame
    countries: pd.DataFrame
    links: pd.DataFrame  # the links whose load changes most (by absolute TEU)
    totals: dict

    def to_frame(self) -> pd.DataFrame:
        return self.corridors.copy()

    def to_dict(self) -> dict:
        return json_safe({"a": self.a, "b": self.b, "totals": self.totals,
                       "corridors": self.corridors.round(4).to_dict(orient="records"),
                       "countries": self.countries.round(1).to_dict(orient="records"),
                       "links": self.links.round(3).to_dict(orient="records")})

    def figure(self, *, title: str | None = None):
        """A matplotlib Figure: land corridors and sea routes (TEU, with shares) in their own panels
        (the land corridors would not show next to a 90% Suez share), mean days per corridor, and
        the links whose load moved most (labelled with their ids). The caller closes it."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        c = self.corridors
        fig = plt.figure(figsize=(16, 9), dpi=110, layout="constrained")
        gs = fig.add_gridspec(2, 3, width_ratios=[1, 1, 1.5])
        ax_land, ax_sea = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[0, 1])
        ax_days, ax_links = fig.add_subplot(gs[1, 0:2]), fig.add_subplot(gs[:, 2])
        sea = c["corridor"].isin(SEA_FAMILIES).to_numpy()
        for ax, rows, unit, scale, what in ((ax_land, c[~sea], "thousand", 1e3, "land corridors"),
                                             (ax_sea, c[sea], "million", 1e6, "sea routes")):
            x = np.arange(len(rows))
            for dx, side, color in ((-0.2, "a", "#8da0cb"), (0.2, "b", "#fc8d62")):
                bars = ax.bar(x + dx, rows[f"teu_{side}"].fillna(0) / scale, 0.4, color=color,
                              label=getattr(self, side))
                ax.bar_label(bars, labels=[f"{v:.1%}" if v == v else "" for v in rows[f"share_{side}"]],
                             fontsize=7, padding=1)
            ax.set_xticks(x, rows["corridor"])
            ax.set_ylabel(f"{unit} TEU a year")
            ax.set_title(f"{what} (share of all corridor TEU on the bars)", fontsize=9)
            ax.margins(y=0.15)
            ax.legend(fontsize=8)
        x = np.arange(len(c))
        ax_days.bar(x - 0.2, c["mean_days_a"].fillna(0), 0.4, label=self.a, color="#8da0cb")
        ax_days.bar(x + 0.2, c["mean_days_b"].fillna(0), 0.4, label=self.b, color="#fc8d62")
        ax_days.set_xticks(x, c["corridor"])
        ax_days.set_ylabel("mean days (TEU-weighted)")
        ax_days.set_title("days per corridor", fontsize=9)
        ax_days.legend(fontsize=8)
        if c[["mean_days_a", "mean_days_b"]].isna().all().all():
            ax_days.set_yticks([])
            ax_days.text(0.5, 0.5, "no days per corridor: route-based methods (sue) give them",
                         transform=ax_days.transAxes, ha="center", va="center", color="#555555")
        lk = self.links.iloc[::-1]
        colors = ["#1b9e77" if v >= 0 else "#d95f02" for v in lk["d_teu"]]
        ax_links.barh(np.arange(len(lk)), lk["d_teu"] / 1000, color=colors)
        labels = [f"{str(n)[:30]} ({i})" if n else str(i)  # the id is never cut off
                  for n, i in zip(lk["name"], lk["link_id"], strict=True)]
        ax_links.set_yticks(np.arange(len(lk)), labels, fontsize=7)
        ax_links.axvline(0, color="#555555", linewidth=0.8)
        ax_links.set_xlabel(f"change in load, thousand TEU a year\n({self.b} − {self.a})")
        ax_links.set_title("links whose load changes most", fontsize=9)
        fig.suptitle(title or f"{self.a} → {self.b}")
        return fig

    def plot(self, path: str | Path, *, title: str | None = None) -> Path:
        """PNG of `figure()`."""
        from ..viz.maps import save_png

        path = Path(path)
        if path.suffix.lower() != ".png":
            raise CorridorError(f"chart path must end in .png: {path}")
        return save_png(self.figure(title=title), path, "chart")


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
