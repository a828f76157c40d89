"""The backcast's measures of a modelled year: a family's count needs the routes of a stochastic
assignment, and a result without them says so instead of failing inside pandas."""

from __future__ import annotations

import pandas as pd
import pytest

import corridor
from corridor.analysis.backcast import measure
from corridor.assignment.freight import assign
from corridor.demand import Demand


def _demand() -> Demand:
    return Demand(pd.DataFrame({"origin": ["xian"], "destination": ["duisburg"], "commodity": ["container"],
                                "teu_per_year": [1000.0], "t_per_year": [10000.0]}))


def test_a_family_count_needs_the_paths_of_a_stochastic_assignment(mini):
    demand = _demand()
    aon = assign(mini, demand, method="aon")
    assert aon.paths is None
    for kind in ("family_box_teu", "family_t", "china_europe_family_teu"):
        with pytest.raises(corridor.CorridorError, match=f"measure {kind} counts paths; a aon assignment"):
            measure(aon, demand, mini, kind, "northern")
    with pytest.raises(corridor.CorridorError, match="unknown measure family_km"):
        measure(aon, demand, mini, "family_km", "northern")
    assert measure(aon, demand, mini, "link_teu", "no-such-link") == 0.0
    sue = assign(mini, demand, method="sue")
    assert measure(sue, demand, mini, "family_box_teu", "northern") >= 0.0
