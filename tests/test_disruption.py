"""Disruption as a limit (``max_disruption``) and as a goal (``tie_break: least_disruption``).

Each plan here is exact (``mip_gap`` 0) and stops at work budgets only (a node budget far
above what these cases need, the time limit a safety net never reached), so no assertion
depends on the clock. The references are enumerated in the test, from the case's tables,
independently of kamopt's model.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamopt.case.scenario import Level, Scenario
from kamopt.errors import InfeasibleError, ScenarioError
from kamopt.planning.oneyear import plan, verify_plan
from kamopt.solve.tiebreak import net_floor
from kamopt.testing import assert_plan_sound, tiny_case

EXACT = dict(mip_gap=0.0, node_limit=100_000, time_limit=600.0,
             levels=(Level("standard", 1.0, 1.0),))
MEASURES = ("accounts", "revenue", "hours")


def _case(customers, managers, pair_costs=None):
    return tiny_case(customers, managers, pair_costs=pair_costs)


def enumerate_plans(case, sc: Scenario):
    """Every assignment (not a key account, or led by an eligible manager) of a case with one
    coverage level and no activities: (net, {measure: disruption}, leads), feasible only."""
    c, m = case.customers, case.managers
    pcost = {(i, j): float(x) for i, j, x in zip(case.pair_costs["customer_id"],
                                                  case.pair_costs["manager_id"],
                                                  case.pair_costs["cost"], strict=True)}
    lv = sc.levels[0]
    choices = []
    for _cid, row in c.iterrows():
        opts = [] if row["status"] == "must" else [None]
        opts += [j for j in m.index if m.at[j, "seniority"] >= row["tier"]
                 and row["status"] != "exclude"]
        choices.append(opts)
    for leads in itertools.product(*choices):
        hours = dict.fromkeys(m.index, 0.0)
        net, dis = 0.0, dict.fromkeys(MEASURES, 0.0)
        for (cid, row), j in zip(c.iterrows(), leads, strict=True):
            if j is None:
                continue
            h = lv.hours_factor * row["kam_hours"]
            hours[j] += h
            net += row["margin"] * (sc.realization * lv.realization_factor * row["potential"]
                                    + sc.retention * row["revenue"])
            net += sc.continuity_bonus if row["current_manager"] == j else 0.0
            net -= m.at[j, "hourly_cost"] * h + pcost.get((cid, j), 0.0)
            if row["current_manager"] and row["current_manager"] != j:
                dis["accounts"] += 1
                dis["revenue"] += row["revenue"]
                dis["hours"] += row["kam_hours"]
        if all(hours[j] <= m.at[j, "capacity_hours"] + 1e-9
               and hours[j] >= m.at[j, "min_hours"] - 1e-9 for j in m.index):
            yield net, dis, leads


def best_under(case, sc: Scenario):
    caps = sc.disruption_caps
    ok = [net for net, dis, _ in enumerate_plans(case, sc)
          if all(dis[k] <= v + 1e-9 for k, v in caps.items())]
    return max(ok) if ok else None


@st.composite
def small_cases(draw):
    n, k = draw(st.integers(2, 5)), draw(st.integers(2, 3))
    customers = [dict(customer_id=f"K{i}", revenue=draw(st.sampled_from([1e5, 4e5, 2e6])),
                      margin=0.3, potential=draw(st.sampled_from([2e5, 1e6, 3e6])),
                      kam_hours=draw(st.sampled_from([40, 80, 150])),
                      tier=draw(st.integers(1, 2)),
                      current_manager=draw(st.sampled_from(["", *[f"M{j}" for j in range(k)]])),
                      status=draw(st.sampled_from(["", "", "must"])))
                 for i in range(n)]
    managers = [dict(manager_id=f"M{j}", capacity_hours=draw(st.sampled_from([100, 200, 400])),
                     hourly_cost=90, seniority=draw(st.integers(1, 2))) for j in range(k)]
    pair_costs = [dict(customer_id=f"K{i}", manager_id=f"M{j}", cost=c)
                  for i in range(n) for j in range(k)
                  if (c := draw(st.sampled_from([None, 0, 5_000, 40_000]))) is not None]
    return _case(customers, managers, pair_costs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases(), st.sampled_from(MEASURES), st.integers(0, 4), st.data())
def test_the_cap_holds_and_the_plan_is_the_best_under_it(case, measure, k, data):
    sc = Scenario(**EXACT, continuity_bonus=data.draw(st.sampled_from([0, 20_000])))
    dis = sorted({round(d[measure], 6) for _, d, _ in enumerate_plans(case, sc)})
    if not dis:
        return
    cap = dis[min(k, len(dis) - 1)] if measure != "accounts" else float(k)
    capped = sc.replace(max_disruption={measure: cap})
    best = best_under(case, capped)
    if best is None:
        with pytest.raises(InfeasibleError):
            plan(case, capped)
        return
    p = plan(case, capped)
    assert p.status == "optimal"
    assert_plan_sound(p)
    found = {"accounts": p.kpis["accounts_changing_hands"],
             "revenue": p.kpis["revenue_changing_hands"], "hours": p.kpis["hours_changing_hands"]}
    assert found[measure] <= cap + 1e-6
    assert p.objective == pytest.approx(best, rel=1e-9, abs=1e-3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases(), st.sampled_from(MEASURES))
def test_the_net_is_monotone_as_the_cap_tightens(case, measure):
    sc = Scenario(**EXACT)
    dis = sorted({round(d[measure], 6) for _, d, _ in enumerate_plans(case, sc)}, reverse=True)
    last = float("inf")
    for cap in dis:
        try:
            p = plan(case, sc.replace(max_disruption={measure: cap}))
        except InfeasibleError:
            last = -float("inf")  # tighter caps stay infeasible
            continue
        assert last > -float("inf"), "a tighter cap became feasible again"
        assert p.objective <= last + 1e-6
        last = p.objective


def _two_way_case():
    """Two accounts, two managers with room for one account each at most... and ties."""
    customers = [dict(customer_id="A", revenue=1e6, margin=0.2, potential=1e6, kam_hours=100,
                      current_manager="M1", status="must"),
                 dict(customer_id="B", revenue=3e6, margin=0.2, potential=1e6, kam_hours=50,
                      current_manager="M1", status="must"),
                 dict(customer_id="C", revenue=2e5, margin=0.2, potential=1e6, kam_hours=60,
                      current_manager="M2")]
    managers = [dict(manager_id="M1", capacity_hours=120, hourly_cost=100),
                dict(manager_id="M2", capacity_hours=200, hourly_cost=100)]
    return _case(customers, managers)


def test_each_measure_is_counted_as_the_kpis_count_it():
    case = _two_way_case()
    p = plan(case, Scenario(**EXACT))
    k = p.kpis
    moved = p.accounts.index[(p.accounts["key_account"] == 1)
                             & (p.accounts["manager_id"] != p.accounts["current_manager"])
                             & (p.accounts["current_manager"] != "")]
    assert k["accounts_changing_hands"] == len(moved) >= 1
    assert k["revenue_changing_hands"] == case.customers.loc[moved, "revenue"].sum()
    assert k["hours_changing_hands"] == case.customers.loc[moved, "kam_hours"].sum()
    # M1 can keep A (100 h) or B (50 h), not both: one must move; the cap picks which
    low_revenue = plan(case, Scenario(**EXACT, max_disruption={"revenue": 1e6}))
    assert list(low_revenue.accounts.query("manager_id == 'M2'").index) == ["A", "C"]
    low_hours = plan(case, Scenario(**EXACT, max_disruption={"hours": 50}))
    assert low_hours.kpis["hours_changing_hands"] == 50
    assert low_hours.accounts.at["B", "manager_id"] == "M2"
    both = Scenario(**EXACT, max_disruption={"hours": 50, "revenue": 1e6})
    with pytest.raises(InfeasibleError, match="max_disruption"):
        plan(case, both)


def test_verify_plan_rechecks_the_cap():
    case = _two_way_case()
    p = plan(case, Scenario(**EXACT))
    tight = p.scenario.replace(max_disruption={"accounts": 0})
    problems = verify_plan(p.accounts, case, tight, p.objective)
    assert any(v.startswith("max_disruption.accounts: 1 changing hands, at most 0") for v in
               problems)


def test_an_impossible_cap_is_explained_before_solving():
    case = _two_way_case()
    away = Scenario(**EXACT, unavailable_managers=("M1",), max_disruption={"accounts": 1})
    with pytest.raises(InfeasibleError) as err:
        plan(case, away)
    text = str(err.value)
    assert ("the 2 'must' accounts whose current manager cannot lead them (M1 is not "
            "available: A and B) need at least 2 key accounts changing hands; "
            "max_disruption accounts allows 1 (short by 1)") in text


def test_a_cap_the_other_rules_cannot_meet_is_explained_by_the_solver():
    case = _two_way_case()  # M1 keeps at most one of its 'must' accounts
    with pytest.raises(InfeasibleError) as err:
        plan(case, Scenario(**EXACT, max_disruption={"accounts": 0}))
    text = str(err.value)
    assert ("the other requirements need at least 1 key accounts changing hands; "
            "max_disruption accounts allows 0 (short by 1)") in text
    assert "the cap on key accounts changing hands (max_disruption accounts)" in text


@pytest.mark.parametrize("data, key, words", [
    ({"max_disruption": {"acounts": 3}}, "max_disruption.acounts", "did you mean 'accounts'"),
    ({"max_disruption": {"hours": -1}}, "max_disruption.hours", "must be a number >= 0"),
    ({"max_disruption": {"revenue": "viel"}}, "max_disruption.revenue", "must be a number"),
    ({"max_disruption": 12}, "max_disruption", "must map accounts, revenue or hours"),
    ({"tie_break": "least_disruptin"}, "tie_break", "did you mean 'least_disruption'"),
    ({"tie_break": {"least_disruption": "hour"}}, "tie_break.least_disruption",
     "did you mean 'hours'"),
])
def test_bad_keys_are_named(data, key, words):
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(data)
    assert f"column '{key}'" in str(err.value) and words in str(err.value)


def test_the_keys_read_and_write_back():
    s = Scenario.from_dict({"max_disruption": {"accounts": 12, "revenue": "5e6", "hours": 900},
                            "tie_break": {"least_disruption": "hours"}})
    assert s.disruption_caps == {"accounts": 12.0, "revenue": 5e6, "hours": 900.0}
    assert s.tie_break == ("least_disruption", "hours")
    assert Scenario.from_dict(s.to_dict()) == s
    plain = Scenario.from_dict({"tie_break": "least_disruption"})
    assert plain.tie_break == ("least_disruption", "accounts")
    assert plain.to_dict()["tie_break"] == "least_disruption"
    assert Scenario(tie_break="least_disruption", max_disruption={"hours": 3}) == \
        Scenario.from_dict({"tie_break": "least_disruption", "max_disruption": {"hours": 3}})


def _tied_case():
    """Four accounts today with M1; M1 has room for two. Which two stay is a tie in net
    (same economics everywhere), but K3 and K4 belong to M2's office... no: all pairs cost
    the same, so every plan that keeps two accounts with M1 is equally good, and the one
    that moves least keeps two with M1 and the one of M2 with M2."""
    customers = [dict(customer_id=f"K{i}", revenue=1e6, margin=0.2, potential=1e6,
                      kam_hours=100, current_manager="M1" if i <= 3 else "M2")
                 for i in range(1, 6)]
    managers = [dict(manager_id="M1", capacity_hours=200, hourly_cost=100),
                dict(manager_id="M2", capacity_hours=300, hourly_cost=100)]
    return _case(customers, managers)


def test_the_tie_break_takes_the_least_disruptive_of_equally_good_plans():
    case = _tied_case()  # 5 accounts, 500 h: all key accounts; M1 can keep 2 of its 3
    sc = Scenario(**EXACT)
    plans = list(enumerate_plans(case, sc))
    best = max(net for net, _, _ in plans)
    tied = [d["accounts"] for net, d, _ in plans if abs(net - best) < 1e-6]
    assert min(tied) == 1 and max(tied) >= 3  # the tie is real: 1 to 3 moves, same net
    p = plan(case, sc.replace(tie_break="least_disruption"))
    assert p.status == "optimal"
    assert p.objective == pytest.approx(best)
    assert p.kpis["accounts_changing_hands"] == 1
    k = p.kpis
    assert k["tie_break"] == "least_disruption (accounts)"
    assert k["tie_break_stage1_objective"] == pytest.approx(best)
    assert k["tie_break_net_floor"] == pytest.approx(best)  # mip_gap 0: among the optimal plans
    assert k["tie_break_disruption"] == 1 and k["tie_break_disruption_bound"] == pytest.approx(1)
    assert k["tie_break_status"] == "optimal"
    assert_plan_sound(p)


def test_within_the_gap_the_tie_break_may_give_up_net_for_fewer_moves():
    """A 1% gap: a plan 0.5% below the best that moves nothing beats the best that moves."""
    customers = [dict(customer_id="A", revenue=0, margin=1.0, potential=0, kam_hours=100,
                      current_manager="M1", status="must")]
    managers = [dict(manager_id="M1", capacity_hours=200, hourly_cost=100),
                dict(manager_id="M2", capacity_hours=200, hourly_cost=99.5)]
    case = _case(customers, managers)
    sc = Scenario(**{**EXACT, "mip_gap": 0.01})
    plain = plan(case, sc.replace(mip_gap=0.0))
    assert plain.accounts.at["A", "manager_id"] == "M2"  # -9,950 beats -10,000
    p = plan(case, sc.replace(tie_break="least_disruption"))
    assert p.accounts.at["A", "manager_id"] == "M1"
    assert p.kpis["tie_break_net_floor"] == pytest.approx(net_floor(-9950.0, 0.01))
    assert p.objective == pytest.approx(-10_000) and p.status == "optimal"
    assert p.kpis["mip_gap"] <= 0.01
    # at gap 0 the best plan stands: the tie-break only chooses among equally good plans
    assert plan(case, sc.replace(mip_gap=0.0, tie_break="least_disruption")
                ).accounts.at["A", "manager_id"] == "M2"


@pytest.mark.parametrize("bound, gap", [(1000.0, 0.01), (0.5, 0.01), (-154.6, 0.01),
                                        (-0.3, 0.05), (2.0, 0.5), (-5e6, 0.001)])
def test_the_net_floor_is_the_least_net_within_the_gap(bound, gap):
    from kamopt.solve.backend import relative_gap

    f = net_floor(bound, gap)
    assert relative_gap(f, bound) == pytest.approx(gap, rel=1e-9, abs=1e-12)
    assert relative_gap(f - 1e-6 * max(1, abs(f)), bound) > gap


def test_the_mid_term_plan_refuses_the_one_year_keys():
    import pandas as pd

    from kamopt.planning.midterm import plan_midterm

    none = pd.DataFrame({"year": [], "scope": [], "order_intake": []})
    with pytest.raises(ScenarioError, match="max_disruption"):
        plan_midterm(_two_way_case(), Scenario(max_disruption={"accounts": 1}), 2, none)
