"""Static charts of model results (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..caspian.simulate import CaspianResult  # noqa: E402
from ..errors import CorridorError  # noqa: E402
from .maps import save_png  # noqa: E402

matplotlib.use("Agg")


def plot_caspian(result: CaspianResult, path: str | Path, *, title: str | None = None) -> Path:
    """Two panels: how long cargo waits for a sailing (per service), and the backlog over the year."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise CorridorError(f"chart path must end in .png: {path}")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5), dpi=110)
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
