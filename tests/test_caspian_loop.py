"""The Caspian crossing inside the model: sea level, fleet and month move routes and flows the way the
sources say, through the same wait curves everywhere (issue 11's direction tests)."""

from __future__ import annotations

import numpy as np
import pytest

import corridor
from corridor.assignment.choice_sets import choice_set
from corridor.assignment.welfare import demand_classes, od_pairs
from corridor.caspian.config import baseline_config, draft_report
from corridor.caspian.curves import bundled_fit, fit_curves, service_curves
from corridor.queueing import QueueCurves

LEVELS = (-29.35, -29.85, -30.35, -30.85)  # 2025, then half-metre steps down (m, Baltic datum)


@pytest.fixture(scope="module")
def net():
    return corridor.load_network()


@pytest.fixture(scope="module")
def demand():
    return corridor.load_demand()


@pytest.fixture(scope="module")
def routes(net, demand):
    """One choice set for every world compared below, so only the costs differ."""
    classes = demand_classes(demand)
    return choice_set(net, od_pairs(net, demand, classes), world=corridor.World(), commodities=classes)


def _middle(res) -> tuple[float, float]:
    """Middle-corridor boxes (TEU) and TEU-weighted days."""
    by = res.corridors_by_commodity
    teu = sum(v.get("middle", 0.0) for v in by.values())
    row = res.corridor_summary().set_index("corridor").loc["middle"]
    return teu, float(row["mean_days"])


def test_a_lower_sea_never_helps_the_middle_corridor(net, demand, routes):
    out = []
    for level in LEVELS:
        w = corridor.World(caspian=baseline_config().with_level(level))
        res = corridor.assign(net, demand, world=w, routes=routes)
        days_route = corridor.compare(net, "Xian", "Baku", world=w)["middle"].route.days
        out.append((*_middle(res), days_route))
    teu, days, route_days = (np.array(x) for x in zip(*out, strict=True))
    assert np.all(np.diff(teu) <= 1e-6 * teu[0]), teu
    assert np.all(np.diff(route_days) >= -1e-9), route_days
    assert teu[-1] < teu[0]  # and by an amount: 1.5 m lower loses boxes


def test_more_ships_or_deeper_ports_never_hurt(net, demand, routes):
    base = baseline_config()
    worlds = [corridor.World(caspian=c) for c in (
        base, base.with_fleet({"kmtf_feeder": 2}), base.with_fleet({"kmtf_feeder": 4}),
        base.with_fleet({"kmtf_feeder": 4}).with_ports(deepen={"Aktau": 1.0, "Kuryk": 1.0}))]
    waits, teu = [], []
    for w in worlds:
        res = corridor.assign(net, demand, world=w, routes=routes)
        q = res.queues.set_index(["service", "direction"])
        waits.append(q.loc[("aktau_alat_container", "forward"), "wait_hours"])
        teu.append(_middle(res)[0])
    assert np.all(np.diff(waits) <= 1e-9), waits
    assert np.all(np.diff(teu) >= -1e-6 * teu[0]), teu


def test_stormier_months_never_have_shorter_caspian_waits():
    cfg = baseline_config()
    closed = {p.name: np.asarray(p.closure_share) for p in cfg.ports}
    for s in cfg.services:
        cv = service_curves(cfg)[s.name]
        storm = closed[s.origin] + closed[s.destination]
        v = np.array([s.annual_units])
        w = np.array([cv.wait(v, m + 1)[0] for m in range(12)])
        for a in range(12):
            for b in range(12):
                if storm[a] > storm[b] + 1e-9:
                    assert w[a] >= w[b] - 1e-9, (s.name, a + 1, b + 1)


def test_months_reach_routes_and_the_year_is_their_mean(net):
    days = {m: corridor.compare(net, "Aktau", "Baku", world=corridor.World(month=m))["middle"].route.days
            for m in (6, 11)}
    assert days[11] > days[6]  # November's storms: the Aktau feeders wait longer
    year = corridor.compare(net, "Aktau", "Baku")["middle"].route.days
    assert days[6] < year < days[11]


def test_every_vessel_kind_loses_load_as_the_water_falls():
    cfg = baseline_config()
    for kind in ("rail_ferry", "roro", "container"):
        loss = [max(r["capacity_loss"] for r in draft_report(cfg.with_level(lv)) if r["kind"] == kind)
                for lv in (-29.35, -30.35, -31.35)]
        assert loss[0] <= loss[1] <= loss[2] and loss[2] > 0, (kind, loss)
    today = [r for r in draft_report(cfg) if r["vessel_class"] == "asco_rail_ferry_kuryk"]
    assert today[0]["capacity_loss"] == pytest.approx(0.10, abs=0.02)  # Kuryk: wagons -10% (2025)


def test_the_curves_are_a_fit_to_the_simulation():
    """The shipped fit agrees with the simulation it came from, and a quick refit lands close to it."""
    fit = bundled_fit()
    assert all(a["r2"] > 0.85 for a in fit.agreement.values()), fit.agreement
    quick = fit_curves(replications=3, days=120)
    for s, p in fit.services.items():
        q = quick.services[s]
        cap = service_curves(baseline_config(), fit)[s].served()[0]
        cap_q = service_curves(baseline_config(), quick)[s].served()[0]
        assert cap_q == pytest.approx(cap, rel=0.35), s
        assert q.beta0 == pytest.approx(p.beta0, rel=0.6, abs=8.0), s


def test_queue_curves_are_consistent():
    """The area is the integral of the wait and the slope its derivative (the equilibrium's potential)."""
    cap = np.array([[1e5, 4e4]] * 12)
    cap[10:] *= 0.4
    qc = QueueCurves(cap, np.array([56.0, 10.0]), np.full((12, 2), 5.0))
    for month in (None, 1, 11):
        for v in (np.array([1e4, 1e4]), np.array([9e4, 5e4])):
            h = 1.0
            num = (qc.area(v + h, month) - qc.area(v - h, month)) / (2 * h)
            np.testing.assert_allclose(num, qc.wait(v, month), rtol=1e-6)
            num = (qc.wait(v + h, month) - qc.wait(v - h, month)) / (2 * h)
            np.testing.assert_allclose(num, qc.slope(v, month), rtol=1e-5, atol=1e-12)
        assert np.all(qc.backlog(np.array([1e3, 1e3]), month) == 0)
    assert qc.backlog(np.array([2e5, 0.0]))[0] > 0  # above capacity: a backlog, stated
