"""Cost = arrays per objective over the compiled graph's edges."""

from __future__ import annotations

import numpy as np

from .errors import CorridorError
from .network import Network

OBJECTIVES = ("time", "cost", "co2", "generalized")


def edge_weights(net: Network, objective: str = "generalized", *,
                 commodity: str = "container") -> np.ndarray:
    """Weight of every virtual edge: hours, USD/TEU, kg CO2/TEU, or USD + value of time × hours."""
    g = net.graph
    if objective == "time":
        return g.hours
    if objective == "cost":
        return g.usd
    if objective == "co2":
        return g.co2
    if objective == "generalized":
        return g.usd + net.value_of_time(commodity) * g.hours
    raise CorridorError(f"unknown objective '{objective}'; choose one of {', '.join(OBJECTIVES)}")
