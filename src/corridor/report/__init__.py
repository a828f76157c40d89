"""Briefs: one question answered as a document a reader can be handed (HTML and PDF, with the figures
as PNG and the tables as CSV beside them).

    >>> from corridor.report import compare_brief
    >>> compare_brief("Xian", "Duisburg").write("out/brief")   # brief.html, brief.pdf, ...

Three kinds: `compare_brief` (the best route of each corridor family between two places),
`scenario_brief` (one scenario against another: what moves, where and why) and `gateways_brief`
(what the cargo between two regions passes, and what closing each gateway costs). Each carries a
plain-words summary with its key numbers (and their ranges where the draws are affordable), a
labelled map, tables, what changed and why, assumptions and known limits, every source used with
its URL, and the model version, data hash and command that reproduce it.

The presentation layer (beside `corridor.viz`): may import analysis, scenarios, the models, the
network and the core. Jinja2, WeasyPrint and matplotlib load when a brief is made or rendered.
"""

from __future__ import annotations

from .brief import Brief, BriefTable, Chart, KeyFigure
from .compare import compare_brief
from .gateways import gateways_brief
from .scenario import scenario_brief

__all__ = ["Brief", "BriefTable", "Chart", "KeyFigure", "compare_brief", "gateways_brief", "scenario_brief"]
