"""The recorded worlds: each year the data describe (2019–2025) as one bundled scenario, `world-YYYY`.

A question about "today" is a question about the latest of them: its demand, sea and rail prices,
Red Sea avoidance, Caspian level, capacities and risk premiums. The plain bundled network alone
has none of that year's prices or avoidance (with it, Suez carries 95% of China–Europe boxes, which
it has not done since 2023), so the commands that answer for a year start from here.
"""

from __future__ import annotations

import re

from ..errors import CorridorError
from ..network.tables import Network
from .apply import AppliedScenario, apply_scenario
from .files import list_scenarios

_RECORDED = re.compile(r"world-(\d{4})")


def recorded_years() -> tuple[int, ...]:
    """The years that have a bundled recorded world (`world-YYYY`), oldest first."""
    names = list_scenarios()["name"]
    return tuple(sorted(int(m.group(1)) for n in names if (m := _RECORDED.fullmatch(str(n)))))


def recorded_world_name(year: int | None = None) -> str:
    """The scenario name of `year`'s recorded world (None: the latest); a clear error for a year
    without one."""
    years = recorded_years()
    if not years:
        raise CorridorError("no recorded world is bundled (scenarios world-YYYY)")
    y = years[-1] if year is None else year
    if y not in years:
        raise CorridorError(f"no recorded world for {str(year)[:10]}; recorded: {years[0]}-{years[-1]} "
                            "(a later year is a scenario: baseline-2030, titr-2030, ...)")
    return f"world-{y}"


def recorded_world(year: int | None = None, *, network: Network | None = None) -> AppliedScenario:
    """`year`'s recorded world (None: the latest) applied to `network` (None: the bundled one)."""
    return apply_scenario(recorded_world_name(year), network=network)
