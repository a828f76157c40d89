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
        w = g.hours
    elif objective == "cost":
        w = g.usd
    elif objective == "co2":
        w = g.co2
    elif objective == "generalized":
        w = g.usd + net.value_of_time(commodity) * g.hours
    else:
        raise CorridorError(f"unknown objective '{objective[:60]}'; choose one of {', '.join(OBJECTIVES)}")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        # Dijkstra is only right for finite, non-negative weights
        e = int(np.flatnonzero(bad)[0])
        where = (f"link '{net.links['link_id'].iat[g.link[e]]}'" if g.link[e] >= 0
                 else f"node '{net.nodes['node_id'].iat[g.node[e]]}'")
        raise CorridorError(f"{objective} weight of {where} is {w[e]}: weights must be finite and >= 0")
    return w
