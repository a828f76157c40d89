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


def chosen_world(spec: str | None, *, bundled: bool, year: int | None = None) -> str | None:
    """The recorded world a question names (`--world`, the web's `world=`): a year, 'latest' or
    'none' (None: the latest on the bundled network asked without a year, else none). The scenario
    name, or None for the network alone. `year` (planned links of a future year) goes with the
    network alone only: a past year as it was and a future year's links are different questions."""
    s = (spec if spec is not None else "latest" if bundled and year is None else "none").strip().lower()
    if s == "none":
        return None
    if year is not None:
        raise CorridorError("a year opens the links planned by a future year on the network alone (world "
                            "none); a recorded world is a past year as it was: give one")
    years = recorded_years()
    if s == "latest" and years:
        return f"world-{years[-1]}"
    if s.isdigit() and int(s) in years:
        return f"world-{int(s)}"
    shown = f"{years[0]}-{years[-1]}" if years else "none bundled"
    what = f"no recorded world for {s[:10]}: " if s.isdigit() else f"got '{s[:20]}': "
    raise CorridorError(f"{what}a world is a recorded year ({shown}), 'latest' or 'none'")
