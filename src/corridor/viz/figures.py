"""Figures that touch no global state: a `matplotlib.figure.Figure` on its own Agg canvas.

Neither `pyplot` nor `matplotlib.use` is called, so drawing a map or chart never switches a
notebook user's backend and leaves no figure open in pyplot's registry. matplotlib loads when
the first figure is made, not when this module is imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CorridorError

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def new_figure(**kwargs: Any) -> Figure:
    """A Figure with its own Agg canvas (`figsize`, `dpi`, `layout`, ... as for `Figure`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def png_path(path: str | Path, what: str = "figure") -> Path:
    """`path` as a Path, refused unless it names a PNG file."""
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise CorridorError(f"{what} path must end in .png: {p}")
    return p


def save_png(fig: Figure, path: str | Path, what: str = "figure") -> Path:
    """Write `fig` as a PNG, whole or not at all (a temporary file renamed into place); a path that
    cannot be written is the user's error, not a crash. The caller has refused an existing file."""
    from ..output import atomic_files

    p = png_path(path, what)
    with atomic_files([p], overwrite=True) as (tmp,):
        fig.savefig(tmp, format="png")
    return p
