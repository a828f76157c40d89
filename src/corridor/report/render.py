"""Briefs as HTML (Jinja2) and PDF (WeasyPrint), both offline: the page carries its styles and its
figures (PNG as data URIs), so the HTML is one file that opens anywhere and the PDF is laid out from
the same page with its print styles. Jinja2 and WeasyPrint load when a brief is rendered."""

from __future__ import annotations

import base64
import io
import logging
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CorridorError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .brief import Brief

TEMPLATES = Path(__file__).resolve().parent / "templates"

PRINT_DPI = 200  # figures are drawn for print: sharp at A4 width
PRINT_WIDTH = 8.0  # inches: an A4 page's text is 7.2 in wide, so a figure's fonts print at 90% of their size


def png_bytes(fig: Figure, dpi: int = PRINT_DPI) -> bytes:
    """A figure as PNG bytes at print resolution."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


@lru_cache(maxsize=1)
def _environment() -> Any:
    try:
        import jinja2
    except ImportError:
        raise CorridorError(
            "briefs need Jinja2 (pip install jinja2, or pip install -e . in the project)"
        ) from None
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["data_uri"] = lambda png: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return env


def render_html(brief: Brief) -> str:
    """The brief as one self-contained HTML page."""
    env = _environment()
    css = (TEMPLATES / "brief.css").read_text(encoding="utf-8")
    tables = [
        {"t": t, "columns": list(t.shown.columns), "rows": t.shown.astype(str).values.tolist()}
        for t in brief.tables
    ]
    ranges = None
    if brief.ranges is not None:
        r = brief.ranges
        ranges = {"t": r, "columns": list(r.shown.columns), "rows": r.shown.astype(str).values.tolist()}
    return env.get_template("brief.html.j2").render(
        b=brief,
        css=css,
        tables=tables,
        ranges=ranges,
        sources=brief.sources.fillna("").astype(str).to_dict(orient="records"),
    )


PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0"


def weasyprint_module() -> Any:
    """WeasyPrint, or a CorridorError saying what to install: the Python package, or the Pango library
    it lays text out with (a system library pip cannot install)."""
    try:
        import weasyprint  # type: ignore[import-untyped]  # WeasyPrint ships no type information
    except ImportError:
        raise CorridorError(
            "a PDF brief needs WeasyPrint: pip install weasyprint (or pip install -e . in the "
            "project); --no-pdf writes the HTML brief alone"
        ) from None
    except OSError as exc:  # the Pango library is missing: WeasyPrint cannot load it
        raise CorridorError(
            f"a PDF brief needs the Pango library, which WeasyPrint could not load ({exc}). "
            f"On Debian or Ubuntu: sudo apt-get install {PANGO_PACKAGES}; on macOS: brew install "
            "pango; --no-pdf writes the HTML brief alone"
        ) from None
    return weasyprint


def render_pdf(html: str) -> bytes:
    """The page laid out as PDF by WeasyPrint (A4, the page's print styles; nothing fetched)."""
    weasyprint = weasyprint_module()
    for name in ("weasyprint", "fontTools"):  # its warnings about CSS it ignores are not the user's
        logging.getLogger(name).setLevel(logging.ERROR)
    fonts = _bundled_fonts()
    fetcher = _offline_fetcher(weasyprint, set(fonts.values()))
    faces = "".join(
        f'@font-face {{ font-family: "Brief Sans"; font-weight: {w}; src: url("{u}"); }}'
        for w, u in fonts.items()
    )
    pdf = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[weasyprint.CSS(string=faces, url_fetcher=fetcher)]
    )
    return bytes(pdf)


def _offline_fetcher(weasyprint: Any, allowed: set[str]) -> Any:
    """A URL fetcher that fetches only data: URIs and the bundled fonts: a brief never goes online."""

    def refuse(url: str) -> None:
        if not (url.startswith("data:") or url in allowed):
            raise ValueError(f"a brief fetches nothing: {url[:80]}")

    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint 66+

        class Offline(weasyprint.URLFetcher):
            def fetch(self, url: str, headers: Any = None) -> Any:
                refuse(url)
                return super().fetch(url, headers)

        return Offline()

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # older WeasyPrint: a function
        refuse(url)
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


def _bundled_fonts() -> dict[str, str]:
    """DejaVu Sans as matplotlib ships it (file URLs by weight): the PDF needs no system font."""
    import matplotlib

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    out = {
        w: (ttf / f).as_uri()
        for w, f in (("normal", "DejaVuSans.ttf"), ("bold", "DejaVuSans-Bold.ttf"))
        if (ttf / f).is_file()
    }
    return out
