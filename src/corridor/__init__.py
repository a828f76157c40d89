"""corridor: an open, reproducible model of the Eurasian trade corridors.

    >>> import corridor
    >>> net = corridor.load_network()
    >>> corridor.compare(net, "Xian", "Duisburg").to_frame()
"""

from .compare import Comparison, CorridorResult, compare
from .demand import Demand, load_demand, read_demand
from .errors import CorridorError, NoRouteError, Problem, UnknownPlaceError, ValidationError
from .families import FAMILIES
from .flows import FlowResult, assign
from .geopolitics import country_table, resolve_countries
from .network import Network, load_network, read_network
from .policy import Policy
from .routes import Leg, Route, RouteSet
from .routing import route
from .scenarios import Scenario, apply_scenario, load_scenario, run_scenario

__version__ = "0.1.0"

__all__ = [
    "FAMILIES",
    "Comparison",
    "FlowResult",
    "CorridorError",
    "CorridorResult",
    "Demand",
    "Leg",
    "Network",
    "NoRouteError",
    "Policy",
    "Problem",
    "Route",
    "RouteSet",
    "UnknownPlaceError",
    "ValidationError",
    "assign",
    "compare",
    "load_demand",
    "load_network",
    "read_demand",
    "read_network",
    "route",
    "Scenario",
    "apply_scenario",
    "country_table",
    "load_scenario",
    "resolve_countries",
    "run_scenario",
]

from .appraisal import appraise, read_projects, select_portfolio  # noqa: E402
from .gateways import gateways  # noqa: E402

__all__ += ["appraise", "gateways", "read_projects", "select_portfolio"]
