"""corridor: an open, reproducible model of the Eurasian trade corridors.

    >>> import corridor
    >>> net = corridor.load_network()
    >>> corridor.compare(net, "Xian", "Duisburg").to_frame()

The public API is this module's names (`__all__`). They load on first use, so `import corridor`
costs almost nothing: a command or notebook pays only for what it asks (the web app's FastAPI,
the maps' matplotlib and the run store's DuckDB load only when used).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_API = {
    "CorridorError": "errors", "NoRouteError": "errors", "Problem": "errors",
    "UnknownPlaceError": "errors", "ValidationError": "errors",
    "Network": "network.tables", "load_network": "network.io", "read_network": "network.io",
    "Policy": "network.policy", "FAMILIES": "network.families",
    "country_table": "network.geopolitics", "resolve_countries": "network.geopolitics",
    "read_tntp": "network.tntp", "solve_tntp": "assignment.tntp",
    "World": "world", "CostTerms": "costs", "risk_terms": "premiums", "premium_table": "premiums",
    "Demand": "demand", "load_demand": "demand", "read_demand": "demand",
    "Leg": "routing.results", "Route": "routing.results", "RouteSet": "routing.results",
    "route": "routing.itineraries",
    "Comparison": "routing.comparison", "CorridorResult": "routing.comparison",
    "compare": "routing.comparison",
    "FlowResult": "assignment.results", "AssignmentParams": "assignment.params",
    "assign": "assignment.freight",
    "Scenario": "scenarios.schema", "load_scenario": "scenarios.validate",
    "apply_scenario": "scenarios.apply", "recorded_world": "scenarios.recorded",
    "recorded_years": "scenarios.recorded",
    "run_scenario": "scenarios.run", "diff": "scenarios.diff",
    "reliability": "analysis.reliability", "gateways": "analysis.gateways",
    "appraise": "analysis.appraisal", "read_projects": "analysis.projects",
    "select_portfolio": "analysis.portfolio",
    "compare_brief": "report", "scenario_brief": "report", "gateways_brief": "report",
}

__all__ = [
    "AssignmentParams", "Comparison", "CorridorError", "CorridorResult", "CostTerms", "Demand",
    "FAMILIES", "FlowResult", "Leg", "Network", "NoRouteError", "Policy", "Problem", "Route",
    "RouteSet", "Scenario", "UnknownPlaceError", "ValidationError", "World", "apply_scenario",
    "appraise", "assign", "compare", "compare_brief", "country_table", "diff", "gateways", "gateways_brief",
    "load_demand",
    "load_network", "load_scenario", "premium_table", "read_demand", "read_network", "read_projects",
    "read_tntp", "recorded_world", "recorded_years", "reliability", "resolve_countries", "risk_terms",
    "route", "run_scenario", "scenario_brief",
    "select_portfolio", "solve_tntp",
]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'corridor' has no attribute '{name}'")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])


if TYPE_CHECKING:  # what type checkers and IDEs see; nothing is imported at run time
    from .analysis.appraisal import appraise
    from .analysis.gateways import gateways
    from .analysis.portfolio import select_portfolio
    from .analysis.projects import read_projects
    from .analysis.reliability import reliability
    from .assignment.freight import assign
    from .assignment.params import AssignmentParams
    from .assignment.results import FlowResult
    from .costs import CostTerms
    from .demand import Demand, load_demand, read_demand
    from .errors import CorridorError, NoRouteError, Problem, UnknownPlaceError, ValidationError
    from .network.families import FAMILIES
    from .network.geopolitics import country_table, resolve_countries
    from .network.io import load_network, read_network
    from .network.policy import Policy
    from .network.tables import Network
    from .network.tntp import read_tntp
    from .report import compare_brief, gateways_brief, scenario_brief
    from .routing.comparison import Comparison, CorridorResult, compare
    from .routing.itineraries import route
    from .routing.results import Leg, Route, RouteSet
    from .scenarios.apply import apply_scenario
    from .scenarios.diff import diff
    from .scenarios.recorded import recorded_world, recorded_years
    from .scenarios.run import run_scenario
    from .scenarios.schema import Scenario
    from .scenarios.validate import load_scenario
    from .world import World
