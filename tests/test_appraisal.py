"""Investment appraisal: project files, values by re-assignment, and the portfolio programme."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import corridor
from corridor.analysis.appraisal import appraise, read_projects, select_portfolio
from corridor.cli.analysis import parse_usd
from corridor.cli.app import app
from corridor.demand import Demand
from corridor.errors import CorridorError, ValidationError

# a small world: Central Asia's demand and three China-Duisburg container flows, Russia avoided
ORIGINS = ("almaty", "tashkent", "astana")
TRAINS = ("xian", "chengdu", "zhengzhou")

PROJECTS_YAML = """\
projects:
  - id: alat-cranes
    name: More container cranes at Alat
    cost_usd: 2.0e6
    cost_source: [test_cost]
    opening_year: 2026
    infrastructure:
      nodes:
        - id: alat
          capacity_teu_yr: 300000
          source: [trend_alat_phase2]
  - id: ferry
    name: One more Kuryk-Alat ferry
    cost_usd: 1.5e6
    cost_source: [test_cost]
    opening_year: 2027
    caspian:
      vessels_add: {asco_rail_ferry_kuryk: 1}
      source: [russhipping_asco_lines]
  - id: poti-yard
    name: A bigger yard at Poti (Poti is not congested)
    cost_usd: 3.0e6
    cost_source: [test_cost]
    opening_year: 2026
    infrastructure:
      nodes:
        - id: poti
          capacity_teu_yr: 2000000
          source: [poti_2025_record]
sources:
  - id: test_cost
    title: A made-up cost for the tests
    url: https://example.org/test
"""


@pytest.fixture(scope="module")
def net():
    return corridor.load_network()


@pytest.fixture(scope="module")
def small_demand(net):
    t = corridor.load_demand().table
    keep = t[t["origin"].isin(ORIGINS) | (t["origin"].isin(TRAINS) & (t["destination"] == "duisburg"))]
    return Demand(table=keep.reset_index(drop=True), source="tests: a small part of the 2024 demand")


@pytest.fixture(scope="module")
def projects_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("projects") / "projects.yaml"
    p.write_text(PROJECTS_YAML, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def small(net, small_demand, projects_file):
    ps = read_projects(projects_file, network=net)
    return appraise(net, ps, budget=4.0e6, demand=small_demand, avoid="RUS,BLR", horizon=2035)


def test_bundled_projects_are_complete_and_sourced(net):
    ps = read_projects(network=net)
    assert {"aktau-container-hub", "kuryk-port-complex", "alat-phase-2", "poti-deepwater-terminal",
            "anaklia-phase-1", "btk-15mt", "asco-ropax-3", "zangezur-tripp",
            "kars-igdir-nakhchivan"} <= set(ps.ids)
    known = set(net.sources["source_id"])
    for p in ps:
        assert p.cost_usd > 0 and 2000 <= p.opening_year <= 2100
        assert p.cost_source and set(p.cost_source) <= known
        for change in (*p.nodes, *p.links):
            assert change.source and set(change.source) <= known
    assert len(read_projects(network=net).get("btk-15mt").links) == 3


def test_small_appraisal_respects_budget_and_values(small):
    pf = small.portfolio
    df = small.projects.set_index("id")
    assert pf.total_cost_usd <= pf.budget_usd == 4.0e6
    assert df.loc["alat-cranes", "pv_benefit_usd"] > 0 and df.loc["ferry", "pv_benefit_usd"] > 0
    # a yard at a port the flows barely use gains next to nothing (within the equilibrium's tolerance)
    scale = max(df.loc["alat-cranes", "pv_benefit_usd"], df.loc["ferry", "pv_benefit_usd"])
    assert abs(df.loc["poti-yard", "pv_benefit_usd"]) < 0.02 * scale
    assert set(pf.chosen) <= {"alat-cranes", "ferry"}
    assert pf.chosen  # something positive fits
    assert pf.npv_usd == pytest.approx(pf.pv_benefit_usd - pf.total_cost_usd)
    assert pf.bcr == pytest.approx(pf.pv_benefit_usd / pf.total_cost_usd)
    for r in df.itertuples():
        assert r.npv_usd == pytest.approx(r.pv_benefit_usd - r.cost_usd)
    a = small.assumptions
    assert a["horizon"] == 2035 and a["discount_rate"] == 0.06 and a["demand_growth"] == 0.04
    assert a["value_of_time_usd_per_teu_hour"]["container"] > 0
    d = small.to_dict()
    assert {"chosen", "total_cost_usd", "npv_usd", "bcr"} <= set(d)
    json.dumps(d, default=str)


def test_exact_value_of_the_chosen_set(small):
    """The reported portfolio value is the chosen set's own re-assigned value, and it beats every
    other affordable set by their re-assigned values (the pair by its value as a whole)."""
    pf = small.portfolio
    pv = small.projects.set_index("id")["pv_benefit_usd"]
    w = pf.interactions[("alat-cranes", "ferry")]  # the pair valued as a whole, less the two alone
    assert abs(w) > 1e3  # the port and the ferry serving it interact
    npv = {("alat-cranes",): pv["alat-cranes"] - 2.0e6, ("ferry",): pv["ferry"] - 1.5e6,
           ("alat-cranes", "ferry"): pv["alat-cranes"] + pv["ferry"] + w - 3.5e6, (): 0.0}
    best = max(npv, key=npv.get)  # every set within USD 4 m (poti-yard's USD 3 m only alone: worth 0)
    assert pf.chosen == best
    assert pf.npv_usd == pytest.approx(npv[best], rel=1e-9)
    assert pf.pv_benefit_usd == pytest.approx(npv[best] + pf.total_cost_usd, rel=1e-9)
    assert pf.optimal and pf.affordable_sets == 5 and small.to_dict()["portfolio"]["optimal"] is True


def test_the_same_appraisal_in_one_process(small, net, small_demand, projects_file, monkeypatch):
    """The route searches and assignments the appraisal may split over forked workers give, in one
    process, the same answer to the bit."""
    from corridor.analysis import project_values

    def serial(fn, n, meanwhile=None):
        out = [fn(k) for k in range(n)]
        if meanwhile is not None:
            meanwhile()
        return out

    monkeypatch.setattr(project_values, "forked_map", serial)
    ps = read_projects(projects_file, network=net)
    one = appraise(net, ps, budget=4.0e6, demand=small_demand, avoid="RUS,BLR", horizon=2035)
    assert json.dumps(one.to_dict(), default=str) == json.dumps(small.to_dict(), default=str)


RESTATE_YAML = """\
projects:
  - id: btk-paint
    name: Repaint BTK signals (the link is open already)
    cost_usd: 1.0e6
    cost_source: [messenger_btk_2015]
    opening_year: 2026
    infrastructure:
      links:
        - {id: alat-ganja, status: open, source: [messenger_btk_2015]}
"""


def test_restating_an_open_link_opens_nothing(tmp_path, net, small_demand):
    """`status: open` on a link open in the base world is no project: it was worth the whole link
    (the link was closed in the world without it), now nothing, with a note saying why."""
    p = tmp_path / "restate.yaml"
    p.write_text(RESTATE_YAML, encoding="utf-8")
    a = appraise(net, read_projects(p, network=net), budget=10e6, demand=small_demand, avoid="RUS,BLR",
                 horizon=2030, pairs="none")
    row = a.projects.set_index("id").loc["btk-paint"]
    assert abs(row["pv_benefit_usd"]) < 1e3 and not row["chosen"] and a.portfolio.chosen == ()
    assert [n for n in a.notes if "'btk-paint' changes nothing" in n and "alat-ganja, already open" in n]


def test_budget_too_small_chooses_nothing(net, small_demand, projects_file):
    ps = read_projects(projects_file, network=net).subset(["poti-yard"])
    a = appraise(net, ps, budget=1.0e6, demand=small_demand, avoid="RUS,BLR", horizon=2030)
    assert a.portfolio.chosen == () and a.portfolio.total_cost_usd == 0


# ------------------------------------------------------------------ the programme, on synthetic values


@st.composite
def portfolios(draw, n_max=5):
    """Costs, single values, pair interactions and some three- and four-way ones, and a budget."""
    n = draw(st.integers(1, n_max))
    ids = [f"p{i}" for i in range(n)]
    costs = {i: float(draw(st.integers(1, 10))) for i in ids}
    single = {i: float(draw(st.integers(0, 20))) for i in ids}
    inter = {p: float(draw(st.integers(-6, 6))) for p in itertools.combinations(ids, 2)}
    higher = {frozenset(s): float(draw(st.integers(-10, 10)))
              for k in (3, 4) for s in itertools.combinations(ids, k) if draw(st.booleans())}
    budget = float(draw(st.integers(0, 30)))
    return ids, costs, single, inter, higher, budget


def _oracle(single, inter, higher=None):
    def value(s):
        return (sum(single[i] for i in s) + sum(w for (a, b), w in inter.items() if a in s and b in s)
                + sum(w for k, w in (higher or {}).items() if k <= s))
    return value


def _brute(ids, costs, value, budget):
    best = 0.0
    for k in range(len(ids) + 1):
        for s in itertools.combinations(ids, k):
            if sum(costs[i] for i in s) <= budget:
                best = max(best, value(frozenset(s)) - sum(costs[i] for i in s))
    return best


@settings(max_examples=60, deadline=None)
@given(portfolios(), st.data())
def test_portfolio_is_optimal_and_adding_a_project_never_hurts(case, data):
    """With interactions of any order (pairs, three- and four-way terms): within budget, equal to
    the brute-force optimum, and one more project never lowers the best achievable NPV."""
    ids, costs, single, inter, higher, budget = case
    value = _oracle(single, inter, higher)
    pf = select_portfolio(costs, value, budget)
    assert pf.total_cost_usd <= budget + 1e-9
    assert set(pf.chosen) <= set(ids)
    assert pf.npv_usd == pytest.approx(value(frozenset(pf.chosen)) - pf.total_cost_usd)
    assert pf.npv_usd == pytest.approx(_brute(ids, costs, value, budget), abs=1e-6)
    assert pf.optimal
    # one more project, with any cost, value and interactions of any order: the best cannot fall
    new = "extra"
    costs2 = {**costs, new: float(data.draw(st.integers(1, 10)))}
    single2 = {**single, new: float(data.draw(st.integers(0, 20)))}
    inter2 = {**inter, **{(i, new): float(data.draw(st.integers(-6, 6))) for i in ids}}
    higher2 = {**higher, **{frozenset((*s, new)): float(data.draw(st.integers(-10, 10)))
                            for k in (2, 3) for s in itertools.combinations(ids, k)
                            if data.draw(st.booleans())}}
    pf2 = select_portfolio(costs2, _oracle(single2, inter2, higher2), budget)
    assert pf2.npv_usd >= pf.npv_usd - 1e-6
    assert pf2.total_cost_usd <= budget + 1e-9


def test_a_three_way_complementarity_the_pairwise_programme_misses():
    """Costs 3, 2, 4; values alone 6, 0, 1; pairs +4, +1, +1; all three +3; budget 9: the pairwise
    programme stops at {a, b} (NPV 5); valuing every affordable set finds {a, b, c} (NPV 7)."""
    costs = {"a": 3.0, "b": 2.0, "c": 4.0}
    value = _oracle({"a": 6.0, "b": 0.0, "c": 1.0}, {("a", "b"): 4.0, ("a", "c"): 1.0, ("b", "c"): 1.0},
                    {frozenset("abc"): 3.0})
    pf = select_portfolio(costs, value, 9.0)
    assert pf.chosen == ("a", "b", "c") and pf.npv_usd == pytest.approx(7.0) and pf.pv_benefit_usd == 16.0
    assert pf.optimal and pf.affordable_sets == 8 and pf.guarantee.startswith("optimal")
    heuristic = select_portfolio(costs, value, 9.0, exhaustive_max=4)  # 8 sets fit: too many
    assert heuristic.chosen == ("a", "b") and heuristic.npv_usd == pytest.approx(5.0)
    assert not heuristic.optimal and heuristic.affordable_sets is None
    assert heuristic.guarantee.startswith("not proven optimal")
    assert heuristic.to_dict()["optimal"] is False


def test_select_portfolio_rejects_bad_input():
    with pytest.raises(CorridorError):
        select_portfolio({"a": 0.0}, lambda s: 1.0, 5.0)
    with pytest.raises(CorridorError):
        select_portfolio({"a": 1.0}, lambda s: 1.0, float("nan"))


# ------------------------------------------------------------------ files and the command line


def test_csv_problems_are_located(tmp_path, net):
    p = tmp_path / "bad.csv"
    p.write_text(
        "project_id,name,cost_usd,cost_source,opening_year,element,element_id,field,value,source_id,notes\n"
        "ok,Fine,1e6,worldbank_2023,2030,node,alat,capacity_teu_yr,200000,trend_alat_phase2,\n"
        "neg,Negative,-5,worldbank_2023,2030,node,alat,capacity_teu_yr,1,worldbank_2023,\n"
        "typo,Typo,1e6,worldbank_2023,2030,link,ferry-kuryk-alatt,capacity_teu_yr,1,worldbank_2023,\n"
        "field,Field,1e6,worldbank_2023,2030,node,alat,capacity_teuu,1,worldbank_2023,\n"
        "src,Source,1e6,worldbank_2023,2030,node,alat,capacity_teu_yr,1,no_such_source,\n"
        "year,Year,1e6,worldbank_2023,1850,node,alat,capacity_teu_yr,1,worldbank_2023,\n"
        "val,Value,1e6,worldbank_2023,2030,node,alat,capacity_teu_yr,-3,worldbank_2023,\n",
        encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        read_projects(p, network=net)
    probs = {(q.row, q.column): q.message for q in exc.value.problems}
    assert any(r == 3 and c == "cost_usd" for r, c in probs)
    typo = [m for (r, c), m in probs.items() if r == 4]
    assert typo and "ferry-kuryk-alat" in typo[0]  # did you mean
    assert any(r == 5 and c == "field" for r, c in probs)
    assert any(r == 6 and "no_such_source" in m for (r, c), m in probs.items())
    assert any(r == 7 and c == "opening_year" for r, c in probs)
    assert any(r == 8 and c == "value" for r, c in probs)
    assert not any(r == 2 for r, c in probs)
    assert len(exc.value.problems) == 6


def test_yaml_problems_give_line_and_path(tmp_path, net):
    p = tmp_path / "bad.yaml"
    p.write_text("projects:\n  - id: x\n    name: X\n    cost_usd: 0\n    opening_year: 2030\n"
                 "    cost_source: [worldbank_2023]\n    infrastructure:\n      nodes:\n"
                 "        - id: alat\n          capacity_teu_yrr: 5\n          source: [worldbank_2023]\n",
                 encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        read_projects(p, network=net)
    where = {(q.row, q.column) for q in exc.value.problems}
    assert (4, "projects[0].cost_usd") in where
    assert (10, "projects[0].infrastructure.nodes[0].capacity_teu_yrr") in where
    assert "line 4" in str(exc.value)


def test_csv_reports_every_problem_of_a_project_at_once(tmp_path, net):
    """A bad cost no longer hides the opening year and the changes, nor a failed change the cost's
    source: each column and change is checked whatever the others hold."""
    p = tmp_path / "all.csv"
    p.write_text(
        "project_id,name,cost_usd,cost_source,opening_year,element,element_id,field,value,source_id,notes\n"
        "p1,P one,abc,kmtf_2024,20x0,node,alatt,capacity_teu_yr,5,kmtf_2024,\n"
        "p2,P two,1e6,nosrc,2030,link,ferry-aktau-alat,capacity_teu_yr,-5,kmtf_2024,\n"
        "p3,P three,1e6,kmtf_2024,2030,widget,,y,,,\n",
        encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        read_projects(p, network=net)
    probs = {(q.row, q.column) for q in exc.value.problems}
    text = str(exc.value)
    assert {(2, "cost_usd"), (2, "opening_year"), (2, "element_id")} <= probs  # all of p1's
    assert "unknown node 'alatt'" in text
    assert {(3, "value"), (3, "cost_source")} <= probs and "unknown source id 'nosrc'" in text  # p2's
    assert {(4, "element"), (4, "element_id"), (4, "field"), (4, "value"), (4, "source_id")} <= probs


def test_yaml_schema_error_hides_no_network_problem(tmp_path, net):
    """A schema error in one project no longer hides unknown nodes and sources, in it or in others."""
    p = tmp_path / "all.yaml"
    p.write_text("projects:\n"
                 "  - id: alat-cranes\n    name: More cranes\n    cost_usd: abc\n    cost_source: [nosuch]\n"
                 "    opening_year: 2027\n    infrastructure:\n"
                 "      nodes: [{id: alatt, capacity_teu_yrr: 300000, source: [trend_alat_phase2]}]\n"
                 "  - id: good-one\n    name: Good\n    cost_usd: 1e6\n    cost_source: [nosuch2]\n"
                 "    opening_year: 2027\n    infrastructure:\n"
                 "      links: [{id: ferry-kuryk-alatt, capacity_teu_yr: 9.0e4, source: [nosrc]}]\n"
                 "sources:\n  - {id: my_quote, title: A quote}\n",
                 encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        read_projects(p, network=net)
    where: dict[tuple, str] = {}
    for q in exc.value.problems:
        where[(q.row, q.column)] = where.get((q.row, q.column), "") + q.message + "\n"
    assert (4, "projects[0].cost_usd") in where
    assert (8, "projects[0].infrastructure.nodes[0].capacity_teu_yrr") in where
    assert "unknown source id 'nosuch'" in where[(5, "projects[0].cost_source")]
    assert "unknown node 'alatt'" in where[(8, "projects[0].infrastructure.nodes[0]")]
    assert "unknown source id 'nosuch2'" in where[(12, "projects[1].cost_source")]
    assert "unknown link 'ferry-kuryk-alatt'" in where[(15, "projects[1].infrastructure.links[0]")]
    assert "did you mean ferry-kuryk-alat" in where[(15, "projects[1].infrastructure.links[0]")]
    assert any(c.startswith("sources[0]") for _, c in where)  # the source entry lacks its url


def test_parse_usd():
    assert parse_usd("2e9") == 2e9 and parse_usd("2bn") == 2e9 and parse_usd("750m") == 750e6
    assert parse_usd("1,500,000") == 1.5e6 and parse_usd("USD 3 m") == 3e6
    for bad in ("", "two", "1e999", "-5"):
        with pytest.raises(CorridorError):
            parse_usd(bad)


runner = CliRunner()


def test_cli(tmp_path, projects_file, small_demand):
    dem = tmp_path / "demand.csv"
    small_demand.table.to_csv(dem, index=False)
    r = runner.invoke(app, ["appraise", "--projects", str(projects_file), "--demand", str(dem),
                            "--budget", "4m", "--avoid", "RUS,BLR", "--horizon", "2035", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["total_cost_usd"] <= 4e6 and d["budget_usd"] == 4e6
    assert {"npv_usd", "bcr", "chosen", "assumptions"} <= set(d)
    assert all(c["id"] in ("alat-cranes", "ferry") for c in d["chosen"])
    r = runner.invoke(app, ["appraise", "--budget", "lots"])
    assert r.exit_code == 1 and "Traceback" not in r.output and "USD" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("projects: []\n", encoding="utf-8")
    r = runner.invoke(app, ["appraise", "--projects", str(bad), "--budget", "1m", "--json"])
    assert r.exit_code == 1 and json.loads(r.stdout)["problems"]
