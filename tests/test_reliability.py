"""Reliability: sampled door-to-door transit times per corridor family."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridor
from corridor.analysis.reliability import (
    EMPIRICAL,
    load_parameters,
    make_leg_table,
    reliability,
    route_leg_table,
    sample_transit_times,
)

ROOT = Path(__file__).resolve().parents[1]
PLACES = ["Xian", "Duisburg", "Almaty", "Istanbul", "Chongqing", "Tashkent", "Baku", "Warsaw",
          "Rotterdam", "Shanghai", "Aktau", "Tbilisi"]


@pytest.fixture(scope="module")
def xd(net):
    return reliability(net, "Xian", "Duisburg", samples=100_000, seed=7)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), pair=st.permutations(PLACES).map(lambda p: p[:2]))
def test_quantiles_ordered(net, seed, pair):
    r = reliability(net, pair[0], pair[1], samples=3_000, seed=seed)
    for c in r.corridors:
        if not c.feasible:
            assert c.reason
            continue
        assert 0 < c.p50_days <= c.p90_days <= c.p95_days
        assert 0.0 <= c.on_time_probability <= 1.0


def test_reproducible(net):
    a = reliability(net, "Xian", "Duisburg", samples=20_000, seed=3).to_dict()
    b = reliability(net, "Xian", "Duisburg", samples=20_000, seed=3).to_dict()
    c = reliability(net, "Xian", "Duisburg", samples=20_000, seed=4).to_dict()
    assert a == b
    assert a != c


def test_middle_spread_wider_than_northern(xd):
    north, middle = xd["northern"], xd["middle"]
    assert north.feasible and middle.feasible
    assert middle.p90_days - middle.p50_days > north.p90_days - north.p50_days
    # and the sampled medians stay near the calibrated deterministic days (right-skewed dwell: above)
    for c in xd.corridors:
        assert c.deterministic_days * 0.97 <= c.p50_days <= c.deterministic_days * 1.10


def test_on_time_monotone_in_promise(net):
    promises = [15, 20, 25, 30, 35, 40, 50, 60]
    probs = {c: [] for c in (*corridor.FAMILIES, "best")}
    for p in promises:
        r = reliability(net, "Xian", "Duisburg", samples=20_000, seed=11, promise_days=p)
        for c in r.corridors:
            probs[c.corridor].append(c.on_time_probability)
    for fam, ps in probs.items():
        assert all(x <= y for x, y in zip(ps, ps[1:], strict=False)), fam
    default = reliability(net, "Xian", "Duisburg", samples=20_000, seed=11)
    for c in default.corridors:
        assert c.promise_days == pytest.approx(c.deterministic_days * 1.1)


def test_symmetric_variability_median_is_deterministic():
    rows = [{"hours": h, "dist": "normal", "sigma": s, "group": g}
            for h, s, g in [(300, 0.06, "rail"), (120, 0.06, "rail"), (40, 0.15, "road"),
                            (600, 0.08, "sea"), (24, 0.1, None), (12, 0.2, None)]]
    t = make_leg_table(rows)
    assert t.hours.size == 5  # the two rail legs share one draw: merged
    x = sample_transit_times(t, 400_000, np.random.default_rng(0))
    assert np.median(x) == pytest.approx(t.deterministic_hours, rel=0.003)
    assert x.mean() == pytest.approx(t.deterministic_hours, rel=0.003)


def test_real_route_symmetric_part(net):
    """The normally-varying legs of a real route (rail, road, sea running time) keep their median."""
    route = corridor.compare(net, "Xian", "Duisburg", objective="time")["suez"].route
    t = route_leg_table(net, route)
    keep = t.dist == 1
    sym = make_leg_table([{"hours": h, "dist": "normal", "sigma": s, "group": f"g{g}"}
                          for h, s, g in zip(t.hours[keep], t.sigma[keep], t.group[keep], strict=True)])
    x = sample_transit_times(sym, 200_000, np.random.default_rng(1))
    assert np.median(x) == pytest.approx(t.hours[keep].sum(), rel=0.005)


def test_caspian_wait_from_simulation(net):
    route = corridor.compare(net, "Xian", "Duisburg", objective="time")["middle"].route
    t = route_leg_table(net, route)
    emp = np.flatnonzero(t.dist == EMPIRICAL)
    assert emp.size == 1 and len(t.pools) == 1 and t.pools[0].size > 1000
    # level kept: offset + simulated mean wait = the wait the cost model gives the line today
    from corridor.analysis.reliability import caspian_line_waits

    ferry = next(leg.link_id for leg in route.legs if leg.mode == "ferry")
    level = caspian_line_waits(net, corridor.World())[ferry]
    assert 1.0 < level < 400.0
    assert t.offset[emp[0]] + t.pools[0].mean() == pytest.approx(level, rel=1e-6)
    assert t.deterministic_hours == pytest.approx(route.hours, rel=1e-6)
    fallback = route_leg_table(net, route, caspian=False)
    assert not (fallback.dist == EMPIRICAL).any()
    assert fallback.hours.sum() + fallback.offset.sum() == pytest.approx(route.hours, rel=1e-6)


def test_infeasible_family_has_reason(net):
    r = reliability(net, "Xian", "Duisburg", samples=2_000, avoid="RUS,BLR")
    north = r["northern"]
    assert not north.feasible and "RUS" in north.reason
    frame = r.to_frame()
    assert set(frame["corridor"]) == {*corridor.FAMILIES, "best"}
    assert frame.loc[frame["corridor"] == "northern", "reason"].iloc[0] == north.reason


def test_reliability_covers_the_best_route_of_any_family(net):
    """Issue 12: Baku-Tbilisi has no family route worth the name; the best route there is still
    gets its distribution (row "best")."""
    r = reliability(net, "Baku", "Tbilisi", samples=2_000)
    best = r["best"]
    assert best.feasible and best.p50_days < 5
    assert not r["suez"].feasible and "not applicable" in r["suez"].reason


def test_every_parameter_row_sourced():
    curated = ROOT / "scripts" / "curated" / "reliability.csv"
    bundled = ROOT / "src" / "corridor" / "data" / "reliability.csv"
    assert curated.read_bytes() == bundled.read_bytes()
    known = set()
    for f in (ROOT / "src" / "corridor" / "data" / "sources.csv",
              ROOT / "scripts" / "curated" / "sources_reliability.csv"):
        with open(f, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert all(len(r) == 8 and None not in r for r in rows), f
        known |= {r["source_id"] for r in rows}
    df = load_parameters()
    assert not df.duplicated(["leg_type", "node_id"]).any()
    for r in df.itertuples():
        assert r.source_id in known, r
        assert len(r.notes) > 30, r
        assert r.sigma > 0
        assert (r.tail_prob == 0) == (r.tail_median_hours == 0)
    for t in ("rail", "road", "sea", "ferry", "ferry_caspian", "ferry_wait", "dwell", "transship"):
        assert ((df["leg_type"] == t) & (df["node_id"] == "")).any(), t
