"""Routes as dictionaries: `Leg.to_dict` is spelled out for speed; it must stay what the dataclass
gives (every field, in order, the names renamed to from/to, then the per-tonne figures)."""

from __future__ import annotations

import dataclasses
import json

from corridor.network.emissions import TONNES_PER_TEU
from corridor.routing.comparison import compare
from corridor.routing.results import Leg


def _reference(leg: Leg) -> dict:
    d = dataclasses.asdict(leg)
    d["from"] = d.pop("from_name")
    d["to"] = d.pop("to_name")
    d["co2e_wtw_kg"] = leg.co2_kg
    d["co2e_wtw_kg_per_t"] = leg.co2_kg / TONNES_PER_TEU
    d["co2e_ttw_kg_per_t"] = leg.co2e_ttw_kg / TONNES_PER_TEU
    d["co2e_sources"] = list(leg.co2e_sources)
    return d


def test_leg_to_dict_is_the_dataclass_fields_in_order(net):
    res = compare(net, "Xian", "Duisburg")
    legs = [leg for r in res.results if r.route is not None for leg in r.route.legs]
    assert {leg.kind for leg in legs} >= {"link", "dwell", "transship"}
    for leg in legs:
        got, want = leg.to_dict(), _reference(leg)
        assert list(got) == list(want)
        assert json.dumps(got) == json.dumps(want)  # NaN equal to NaN
        assert type(got["co2e_sources"]) is list
