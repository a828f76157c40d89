"""The network: two tables (nodes, links) and one compiled graph.

Transfers are links (the NODUS idea): `compile()` expands every node into
virtual nodes per service class (mode + gauge) and joins them with transit and
transshipment links that carry the node's dwell and handling, so border delays,
gauge changes and port handling are plain edge costs to every algorithm.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_data_dir() -> Path:
    return Path(str(resources.files("corridor") / "data"))
