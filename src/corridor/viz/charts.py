"""Static charts of model results: the Caspian queues, and what changes between two scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..network.families import SEA_FAMILIES
from .figures import new_figure, png_path, save_png

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..caspian.simulate import CaspianResult
    from ..scenarios.diff import ScenarioDiff

A_COLOUR, B_COLOUR = "#8da0cb", "#fc8d62"  # the two scenarios of a diff


def plot_caspian(result: CaspianResult, path: str | Path, *, title: str | None = None) -> Path:
    """Two panels: how long cargo waits for a sailing (per service), and the backlog over the year."""
    path = png_path(path, "chart")
    fig = new_figure(figsize=(13, 5), dpi=110)
    ax1, ax2 = fig.subplots(1, 2)
    for name in result.services:
        w = np.asarray(result.wait_samples.get(name, []), dtype=float)
        if w.size == 0:
            continue
        x = np.sort(w)
        y = np.arange(1, len(x) + 1) / len(x)
        ax1.plot(x, y, label=f"{name}: mean {w.mean():.0f} h, p90 {np.quantile(w, 0.9):.0f} h")
    ax1.axhline(0.9, color="#999999", linewidth=0.8, linestyle="--")
    ax1.set_xscale("symlog", linthresh=1.0)
    ax1.set_xlim(left=0)
    ax1.set_xlabel("hours waiting for a sailing")
    ax1.set_ylabel("share of cargo lots waiting at most this long")
    ax1.set_title("waiting time distribution")
    ax1.legend(fontsize=7, loc="lower right")
    days = np.arange(result.backlog.shape[1]) if result.backlog.size else np.array([])
    for i, name in enumerate(result.services):
        if result.backlog.size:
            line, = ax2.plot(days, result.backlog[i], label=name)
            ax2.fill_between(days, result.backlog[i], result.backlog_p90[i], color=line.get_color(),
                             alpha=0.15, linewidth=0)
    ax2.set_xlabel("day of the year")
    ax2.set_ylabel("units waiting at day's end (mean; band to p90)")
    ax2.set_title("backlog over the year")
    ax2.legend(fontsize=7, loc="upper right")
    fig.suptitle(title or f"Caspian crossing: {result.replications} simulated years")
    fig.tight_layout()
    return save_png(fig, path, "chart")


def diff_figure(diff: ScenarioDiff, *, title: str | None = None) -> Figure:
    """Land corridors and sea routes (TEU, with shares) in their own panels (the land corridors
    would not show next to a 90% Suez share), mean days per corridor, and the links whose load
    moved most (labelled with their ids)."""
    c = diff.corridors
    fig = new_figure(figsize=(16, 9), dpi=110, layout="constrained")
    gs = fig.add_gridspec(2, 3, width_ratios=[1, 1, 1.5])
    ax_land, ax_sea = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[0, 1])
    ax_days, ax_links = fig.add_subplot(gs[1, 0:2]), fig.add_subplot(gs[:, 2])
    sea = c["corridor"].isin(SEA_FAMILIES).to_numpy()
    for ax, rows, unit, scale, what in ((ax_land, c[~sea], "thousand", 1e3, "land corridors"),
                                         (ax_sea, c[sea], "million", 1e6, "sea routes")):
        x = np.arange(len(rows))
        for dx, side, colour in ((-0.2, "a", A_COLOUR), (0.2, "b", B_COLOUR)):
            bars = ax.bar(x + dx, rows[f"teu_{side}"].fillna(0) / scale, 0.4, color=colour,
                          label=getattr(diff, side))
            ax.bar_label(bars, labels=[f"{v:.1%}" if v == v else "" for v in rows[f"share_{side}"]],
                         fontsize=7, padding=1)
        ax.set_xticks(x, rows["corridor"])
        ax.set_ylabel(f"{unit} TEU a year")
        ax.set_title(f"{what} (share of all corridor TEU on the bars)", fontsize=9)
        ax.margins(y=0.15)
        ax.legend(fontsize=8)
    x = np.arange(len(c))
    ax_days.bar(x - 0.2, c["mean_days_a"].fillna(0), 0.4, label=diff.a, color=A_COLOUR)
    ax_days.bar(x + 0.2, c["mean_days_b"].fillna(0), 0.4, label=diff.b, color=B_COLOUR)
    ax_days.set_xticks(x, c["corridor"])
    ax_days.set_ylabel("mean days (TEU-weighted)")
    ax_days.set_title("days per corridor", fontsize=9)
    ax_days.legend(fontsize=8)
    if c[["mean_days_a", "mean_days_b"]].isna().all().all():
        ax_days.set_yticks([])
        ax_days.text(0.5, 0.5, "no days per corridor: route-based methods (sue) give them",
                     transform=ax_days.transAxes, ha="center", va="center", color="#555555")
    lk = diff.links.iloc[::-1]
    colours = ["#1b9e77" if v >= 0 else "#d95f02" for v in lk["d_teu"]]
    ax_links.barh(np.arange(len(lk)), lk["d_teu"] / 1000, color=colours)
    labels = [f"{str(n)[:30]} ({i})" if n else str(i)  # the id is never cut off
              for n, i in zip(lk["name"], lk["link_id"], strict=True)]
    ax_links.set_yticks(np.arange(len(lk)), labels, fontsize=7)
    ax_links.axvline(0, color="#555555", linewidth=0.8)
    ax_links.set_xlabel(f"change in load, thousand TEU a year\n({diff.b} − {diff.a})")
    ax_links.set_title("links whose load changes most", fontsize=9)
    fig.suptitle(title or f"{diff.a} → {diff.b}")
    return fig


def plot_diff(diff: ScenarioDiff, path: str | Path, *, title: str | None = None) -> Path:
    """PNG of `diff_figure`."""
    path = png_path(path, "chart")
    return save_png(diff_figure(diff, title=title), path, "chart")


def corridor_change_figure(diff: ScenarioDiff, *, title: str | None = None, width: float = 11.5,
                           dpi: int = 110) -> Figure:
    """For print: TEU a year on each land corridor and each sea route (their own panels: the land
    corridors would not show next to the sea routes' millions) and the mean days per corridor, in
    scenario a and b side by side, each bar labelled with its value."""
    c = diff.corridors
    fig = new_figure(figsize=(width, 3.7), dpi=dpi, layout="constrained")
    ax_land, ax_sea, ax_days = fig.subplots(1, 3, width_ratios=[1.5, 1, 1.6])
    sea = c["corridor"].isin(SEA_FAMILIES).to_numpy()
    for ax, rows, unit, scale, what in ((ax_land, c[~sea], "thousand", 1e3, "land corridors"),
                                         (ax_sea, c[sea], "million", 1e6, "sea routes")):
        x = np.arange(len(rows))
        for dx, side, colour in ((-0.2, "a", A_COLOUR), (0.2, "b", B_COLOUR)):
            v = rows[f"teu_{side}"].fillna(0).to_numpy(float) / scale
            bars = ax.bar(x + dx, v, 0.4, color=colour, label=getattr(diff, side))
            ax.bar_label(bars, labels=[f"{t:,.0f}" if scale == 1e3 else f"{t:,.1f}" for t in v], fontsize=7,
                         padding=1)
        ax.set_xticks(x, rows["corridor"], fontsize=8)
        ax.set_ylabel(f"{unit} TEU a year", fontsize=8)
        ax.set_title(f"TEU a year, {what}", fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
        ax.margins(y=0.18)
    x = np.arange(len(c))
    for dx, side, colour in ((-0.2, "a", A_COLOUR), (0.2, "b", B_COLOUR)):
        v = c[f"mean_days_{side}"].to_numpy(float)
        bars = ax_days.bar(x + dx, np.nan_to_num(v), 0.4, color=colour, label=getattr(diff, side))
        ax_days.bar_label(bars, labels=[f"{t:.1f}" if t == t else "–" for t in v], fontsize=7, padding=1)
    ax_days.set_xticks(x, c["corridor"], fontsize=8)
    ax_days.set_ylabel("days, door to door (TEU-weighted mean)", fontsize=8)
    ax_days.set_title("mean days per corridor", fontsize=9)
    ax_days.tick_params(axis="y", labelsize=7)
    ax_days.margins(y=0.18)
    ax_days.legend(fontsize=8, loc="upper left")
    fig.suptitle(title or f"{diff.a} → {diff.b}: cargo and days by corridor", fontsize=11, weight="bold")
    return fig
