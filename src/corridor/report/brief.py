"""A brief: the answer to one question as a document a reader can be handed (HTML and PDF), with the
figures and tables it shows also written as PNG and CSV beside it.

A brief holds content only (sentences, numbers, figures as PNG bytes, tables); `render` turns it into
HTML and PDF. `write` puts everything into a folder whole or not at all, with a manifest, like every
other result (`corridor.folders`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..folders import write_manifest
from ..output import atomic_folder, json_safe, refuse_overwrite

HTML_NAME, PDF_NAME, JSON_NAME = "brief.html", "brief.pdf", "brief.json"

Progress = Callable[[str], None]  # told what a brief is doing now, in a few words


def say(progress: Progress | None, what: str) -> None:
    if progress is not None:
        progress(what)


@dataclass(frozen=True)
class Chart:
    """A figure of the brief: `name` (its PNG file stem), a caption saying what it shows and in what
    units, the PNG, and `key`: lines of text that say in words what the figure draws (a map's lines
    and places), printed under it so that the figure's content can also be read and searched."""

    name: str
    caption: str
    png: bytes
    key: tuple[str, ...] = ()


@dataclass(frozen=True)
class BriefTable:
    """A table of the brief: `shown` (formatted cells, as printed) and `data` (the numbers, written as
    `name`.csv); `note` says what the table leaves out or how to read it."""

    name: str
    caption: str
    shown: pd.DataFrame
    data: pd.DataFrame
    note: str = ""


@dataclass(frozen=True)
class KeyFigure:
    """One headline number: what it is, its value (with unit) and its range or a note."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True, eq=False)
class Brief:
    """One question answered for a reader: summary, key figures, figures, tables, what changed and why,
    the ranges (or why there are none), assumptions, known limits, sources and provenance."""

    kind: str  # compare, scenario, gateways
    title: str
    question: str
    summary: str
    key_figures: tuple[KeyFigure, ...]
    charts: tuple[Chart, ...]
    tables: tuple[BriefTable, ...]
    changes: tuple[str, ...]  # what changed and why: waits, capacities, closures, prices
    ranges: BriefTable | None
    ranges_note: str
    assumptions: tuple[str, ...]
    limits: tuple[str, ...]
    sources: pd.DataFrame
    provenance: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)  # seconds: model, ranges, figures, render
    changes_title: str = "What changed and why"  # the heading of `changes` (a comparison: why routes differ)

    def to_dict(self) -> dict[str, Any]:
        """The brief's words and numbers as JSON (the figures by file name)."""
        return json_safe(
            {
                "kind": self.kind,
                "title": self.title,
                "question": self.question,
                "summary": self.summary,
                "key_figures": [vars(k) for k in self.key_figures],
                "charts": [
                    {"file": f"{c.name}.png", "caption": c.caption, "key": list(c.key)} for c in self.charts
                ],
                "tables": [
                    {"file": f"{t.name}.csv", "caption": t.caption, "note": t.note} for t in self.tables
                ],
                "changes_title": self.changes_title,
            "changes": list(self.changes),
                "ranges_note": self.ranges_note,
                "ranges": None if self.ranges is None else self.ranges.data.to_dict(orient="records"),
                "assumptions": list(self.assumptions),
                "limits": list(self.limits),
                "sources": self.sources.to_dict(orient="records"),
                "provenance": self.provenance,
                "timings": self.timings,
            }
        )

    def html(self) -> str:
        """The brief as one self-contained HTML page (styles and figures inside it)."""
        from .render import render_html

        return render_html(self)

    def pdf(self, html: str | None = None) -> bytes:
        """The brief as PDF (WeasyPrint, offline: the page's print styles), from `html` when it is
        already rendered."""
        from .render import render_pdf

        return render_pdf(html if html is not None else self.html())

    def files(self, *, pdf: bool = True) -> list[str]:
        """The names of the files `write` writes, the manifest last."""
        names = [
            HTML_NAME,
            *([PDF_NAME] if pdf else []),
            JSON_NAME,
            *(f"{c.name}.png" for c in self.charts),
            *(f"{t.name}.csv" for t in self.tables),
            "sources.csv",
        ]
        if self.ranges is not None:
            names.append(f"{self.ranges.name}.csv")
        return [*names, "manifest.json"]

    def write(
        self,
        folder: str | Path,
        *,
        overwrite: bool = False,
        pdf: bool = True,
        progress: Progress | None = None,
    ) -> list[Path]:
        """Write brief.html, brief.pdf (unless `pdf` is False), brief.json, each figure's PNG, each
        table's CSV and sources.csv into `folder`, whole or not at all, with a manifest; refuses an
        existing folder unless `overwrite`. Everything is rendered before the folder is touched, so
        a missing PDF library leaves nothing behind. Returns the files written, the manifest last."""
        folder = Path(folder)
        names = self.files(pdf=pdf)
        refuse_overwrite(folder, overwrite, folder=True, expected=names)
        t0 = time.perf_counter()
        say(progress, "rendering the HTML")
        html = self.html()
        t1 = time.perf_counter()
        self.timings["html_s"] = round(t1 - t0, 3)
        document = None
        if pdf:
            say(progress, "laying out the PDF")
            document = self.pdf(html)
            self.timings["pdf_s"] = round(time.perf_counter() - t1, 3)
        say(progress, "writing the files")
        with atomic_folder(folder, overwrite=overwrite, expected=names) as tmp:
            rows: dict[str, int | None] = {}
            (tmp / HTML_NAME).write_text(html, encoding="utf-8")
            rows[HTML_NAME] = None
            if document is not None:
                (tmp / PDF_NAME).write_bytes(document)
                rows[PDF_NAME] = None
            (tmp / JSON_NAME).write_text(
                json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            rows[JSON_NAME] = None
            for c in self.charts:
                (tmp / f"{c.name}.png").write_bytes(c.png)
                rows[f"{c.name}.png"] = None
            tables = [*self.tables, *([self.ranges] if self.ranges is not None else [])]
            for t in tables:
                t.data.to_csv(tmp / f"{t.name}.csv", index=False)
                rows[f"{t.name}.csv"] = len(t.data)
            self.sources.to_csv(tmp / "sources.csv", index=False)
            rows["sources.csv"] = len(self.sources)
            write_manifest(tmp, "Brief", rows)
        return [folder / n for n in names]
