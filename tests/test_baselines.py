"""Rules of thumb: same objective, same constraints; the optimised plan is never worse."""

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamopt.analysis.baselines import (
    BaselineError,
    account_economics,
    baselines,
    best_baseline,
    comparison,
    decision_split,
    greedy_plan,
    plan_from_decisions,
    rule_of_thumb,
    value_bridge,
)
from kamopt.analysis.greedy import GREEDY_LABEL
from kamopt.case.io import load_case
from kamopt.case.sample import make_case
from kamopt.case.scenario import Level, Scenario
from kamopt.planning.oneyear import plan, verify_plan
from kamopt.testing import tiny_case

ROOT = Path(__file__).resolve().parents[1]
ONE_LEVEL = (Level("standard", 1.0, 1.0),)


def cust(cid, **kw):
    base = dict(customer_id=cid, revenue=1_000_000, margin=0.3, potential=1_000_000, kam_hours=100)
    return {**base, **kw}


def mgr(mid, **kw):
    return {**dict(manager_id=mid, capacity_hours=1_000, hourly_cost=100), **kw}


def assert_sound(p):
    assert verify_plan(p.accounts, p.case, p.scenario, p.objective) == []
    p.verify()


# ------------------------------------------------------------------ the sample
@pytest.fixture(scope="module")
def sample():
    case = load_case(ROOT / "data" / "sample")
    sc = Scenario.from_yaml(ROOT / "data" / "scenarios" / "base.yml").replace(mip_gap=0.01)
    p = plan(case, sc)
    return p, baselines(p)


def test_every_rule_of_thumb_keeps_every_constraint_on_the_sample(sample):
    p, rules = sample
    assert list(rules) == ["today's coverage", f"top {p.kpis['key_accounts']} by revenue",
                           f"top {p.kpis['key_accounts']} by potential", GREEDY_LABEL]
    for b in rules.values():
        assert_sound(b)
        assert b.status == "rule of thumb"
        assert p.objective >= b.objective
        assert 0 < b.kpis["key_accounts"] <= b.kpis.get("wanted", b.kpis["key_accounts"])


def test_comparison_table_shows_value_cost_and_uplift(sample):
    p, rules = sample
    t = comparison(p, rules)
    assert list(t.index) == ["optimised", *rules]
    assert (t["violations"] == 0).all()
    assert t.at["optimised", "net"] == pytest.approx(p.objective)
    for name, b in rules.items():
        assert t.at[name, "uplift_eur"] == pytest.approx(p.objective - b.objective)
        assert t.at[name, "uplift_pct"] == pytest.approx((p.objective - b.objective) / b.objective)
        assert t.at[name, "net"] == pytest.approx(t.at[name, "value"] - t.at[name, "cost"])


def test_todays_coverage_keeps_current_managers_where_it_can(sample):
    p, rules = sample
    today = rules["today's coverage"]
    acc = today.accounts[today.accounts["key_account"] == 1]
    assert ((acc["current_manager"] != "") | (acc["status"] == "must")).all()  # served today
    moved = ((acc["manager_id"] != acc["current_manager"]) & (acc["current_manager"] != "")).sum()
    assert moved == today.kpis["reassigned"]
    assert moved < len(acc) / 2


def test_account_economics_reproduces_every_plan(sample):
    p, rules = sample
    for q in (p, *rules.values()):
        ka = q.accounts[q.accounts["key_account"] == 1]
        econ = account_economics(q.case, q.scenario, ka[["level", "manager_id", "activities"]])
        pd.testing.assert_series_equal(econ["net"], ka["net"], check_names=False, rtol=1e-9)
        pd.testing.assert_series_equal(econ["hours"], ka["hours"], check_names=False)


def test_the_value_bridge_adds_up_on_the_sample(sample):
    p, rules = sample
    best = best_baseline(rules)
    assert best.objective == max(b.objective for b in rules.values())
    br = value_bridge(best, p)
    assert list(br["kind"]) == ["total"] + ["change"] * 5 + ["total"]
    assert br["amount"].iloc[0] == pytest.approx(best.objective, rel=1e-12)
    assert br["amount"].iloc[-1] == pytest.approx(p.objective, rel=1e-12)
    assert br["amount"].iloc[0] + br["amount"].iloc[1:-1].sum() == pytest.approx(
        br["amount"].iloc[-1], rel=1e-12, abs=1e-6)
    assert br["customers"].iloc[-1] == p.kpis["key_accounts"]


# ------------------------------------------------------------ hand-checkable
def test_top_n_by_revenue_and_by_potential_pick_different_customers():
    case = tiny_case([cust("A", revenue=3e6, potential=1e5), cust("B", revenue=2e6, potential=2e5),
                      cust("C", revenue=1e6, potential=3e6)], [mgr("M1")])
    sc = Scenario(levels=ONE_LEVEL)
    by_rev = rule_of_thumb(case, sc, "revenue", 2)
    by_pot = rule_of_thumb(case, sc, "potential", 2)
    assert list(by_rev.key_accounts) == ["A", "B"]
    assert list(by_pot.key_accounts) == ["B", "C"]
    assert by_rev.kpis["rule"] == "top 2 by revenue"
    for b in (by_rev, by_pot):
        assert_sound(b)


def test_a_lighter_level_when_standard_does_not_fit_and_skip_when_nothing_fits():
    case = tiny_case([cust("A"), cust("B")], [mgr("M1", capacity_hours=160)])
    light = rule_of_thumb(case, Scenario(), "revenue", 2)
    assert light.accounts.loc["A", "level"] == "standard"  # 100 h of 160
    assert light.accounts.loc["B", "level"] == "light"  # standard 100 h does not fit, light 50 h does
    one = rule_of_thumb(case, Scenario(levels=ONE_LEVEL), "revenue", 2)
    assert list(one.key_accounts) == ["A"] and one.kpis["skipped"] == 1
    for b in (light, one):
        assert_sound(b)


def test_the_manager_with_most_free_hours_and_the_seniority_rule():
    case = tiny_case([cust("A", tier=2), cust("B"), cust("C")],
                     [mgr("M1", capacity_hours=500, seniority=1),
                      mgr("M2", capacity_hours=400, seniority=2)])
    b = rule_of_thumb(case, Scenario(levels=ONE_LEVEL), "revenue", 3)
    # A (tier 2) can only go to M2; then B to M1 (500 free vs 300), C to M1 (400 vs 300)
    assert b.accounts.loc[["A", "B", "C"], "manager_id"].tolist() == ["M2", "M1", "M1"]
    assert_sound(b)


def test_must_first_exclude_never_and_budget_respected():
    case = tiny_case([cust("A", status="exclude", revenue=9e6), cust("B"),
                      cust("C", revenue=1e4, potential=1e4, status="must")], [mgr("M1")])
    b = rule_of_thumb(case, Scenario(levels=ONE_LEVEL), "revenue", 1)
    assert list(b.key_accounts) == ["C"]  # the must account fills N = 1; A is excluded
    assert_sound(b)
    # budget 25,000 EUR: 100 h at 100 EUR/h each; C (must) and one more account
    b = rule_of_thumb(case, Scenario(levels=ONE_LEVEL, budget=25_000), "revenue", 3)
    assert sorted(b.key_accounts) == ["B", "C"] and b.kpis["cost"] <= 25_000
    assert_sound(b)


def test_a_must_account_that_fits_nowhere_is_reported():
    case = tiny_case([cust("A"), cust("B", status="must")], [mgr("M1", capacity_hours=50)])
    with pytest.raises(BaselineError, match="must' customer B"):
        rule_of_thumb(case, Scenario(levels=ONE_LEVEL), "revenue", 1)


def test_activities_that_pay_run_within_department_hours():
    # uplift 0.05 * 0.3 * 1e6 = 15,000 EUR against 2,000 EUR + 10 h * 100 EUR: pays
    acts = [dict(activity_id="X1", kind="logistics", cost=2_000, kam_hours=10, uplift=0.05,
                 department="Log", dept_hours=60),
            dict(activity_id="X2", kind="logistics", cost=2_000, kam_hours=10, uplift=0.04,
                 department="Log", dept_hours=60)]
    case = tiny_case([cust("A")], [mgr("M1")], activities=acts,
                     departments=[dict(department="Log", capacity_hours=100)])
    b = rule_of_thumb(case, Scenario(levels=ONE_LEVEL), "revenue", 1)
    assert b.accounts.loc["A", "activities"] == "X1"  # the better one; both need 120 h of 100
    assert b.departments.loc["Log", "hours_used"] == 60
    assert_sound(b)


def test_today_is_led_by_the_current_manager_unless_the_rules_forbid():
    case = tiny_case([cust("A", current_manager="M1"), cust("B", current_manager="M1", tier=2),
                      cust("C")],
                     [mgr("M1", capacity_hours=300), mgr("M2", capacity_hours=900, seniority=2)])
    b = rule_of_thumb(case, Scenario(levels=ONE_LEVEL), "today")
    assert b.kpis["rule"] == "today's coverage"
    assert dict(b.accounts.loc[list(b.key_accounts), "manager_id"]) == {"A": "M1", "B": "M2"}
    assert b.kpis["reassigned"] == 1
    assert_sound(b)


def test_plan_from_decisions_rejects_what_the_model_does_not_offer():
    case = tiny_case([cust("A", tier=2)], [mgr("M1", seniority=1), mgr("M2", seniority=2)])
    dec = pd.DataFrame({"level": ["standard"], "manager_id": ["M1"], "activities": [""]},
                       index=pd.Index(["A"], name="customer_id"))
    with pytest.raises(ValueError, match="lead managers the model does not offer: A/M1"):
        plan_from_decisions(case, Scenario(), dec)
    with pytest.raises(ValueError, match="A a key account, which it cannot be: no eligible"):
        plan_from_decisions(tiny_case([cust("A", tier=2)], [mgr("M1")]), Scenario(), dec)
    case = tiny_case([cust("A"), cust("B")], [mgr("M1", capacity_hours=150)])
    dec = pd.DataFrame({"level": ["standard"] * 2, "manager_id": ["M1"] * 2, "activities": [""] * 2},
                       index=pd.Index(["A", "B"], name="customer_id"))
    with pytest.raises(BaselineError, match=r"capacity\[M1\]"):
        plan_from_decisions(case, Scenario(), dec)


def test_the_bridge_of_a_plan_with_itself_is_flat():
    case = tiny_case([cust("A"), cust("B", potential=2e6)], [mgr("M1", capacity_hours=150)])
    p = plan(case, Scenario())
    br = value_bridge(p, p)
    assert (br.loc[br["kind"] == "change", "amount"].abs() < 1e-9).all()
    assert br["amount"].iloc[0] == pytest.approx(br["amount"].iloc[-1])


# --------------------------------------------------------- random tiny cases
@st.composite
def small_cases(draw):
    n = draw(st.integers(1, 4))
    customers = [
        cust(f"C{i}", revenue=draw(st.sampled_from([5e4, 4e5, 2e6])),
             margin=draw(st.sampled_from([0.15, 0.3, 0.45])),
             potential=draw(st.sampled_from([0.0, 5e4, 3e5, 2e6])),
             kam_hours=draw(st.sampled_from([40.0, 100.0, 250.0])),
             tier=draw(st.integers(1, 3)),
             current_manager=draw(st.sampled_from(["", "M1", "M2"])),
             status=draw(st.sampled_from(["", "", "", "exclude"])))
        for i in range(n)
    ]
    managers = [mgr("M1", capacity_hours=draw(st.sampled_from([80.0, 200.0, 400.0])),
                    hourly_cost=draw(st.sampled_from([60.0, 120.0])), seniority=draw(st.integers(1, 3)),
                    industries=draw(st.sampled_from(["", "Bau"]))),
                mgr("M2", capacity_hours=draw(st.sampled_from([0.0, 150.0, 300.0])),
                    hourly_cost=draw(st.sampled_from([90.0, 200.0])), seniority=3)]
    for c in customers:
        c["industry"] = draw(st.sampled_from(["", "Bau"]))
    acts = [dict(activity_id="X1", kind="logistics", cost=draw(st.sampled_from([1e3, 2e4])),
                 kam_hours=draw(st.sampled_from([0.0, 20.0])), uplift=0.05, department="Log",
                 dept_hours=draw(st.sampled_from([30.0, 80.0])))]
    deps = [dict(department="Log", capacity_hours=draw(st.sampled_from([50.0, 200.0])))]
    budget = draw(st.sampled_from([None, None, 3e4]))
    return tiny_case(customers, managers, activities=acts, departments=deps), budget


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases(), st.integers(1, 4))
def test_the_optimised_plan_is_never_worse_than_a_rule_of_thumb(data, n):
    case, budget = data
    sc = Scenario(budget=budget, mip_gap=0.0)
    p = plan(case, sc)
    for rule in ("today", "revenue", "potential"):
        b = rule_of_thumb(case, sc, rule, None if rule == "today" else n)
        assert verify_plan(b.accounts, case, sc, b.objective) == []
        assert p.objective >= b.objective - 1e-6 * max(1.0, abs(b.objective))
        br = value_bridge(b, p)
        assert br["amount"].iloc[0] + br["amount"].iloc[1:-1].sum() == pytest.approx(
            p.objective, rel=1e-9, abs=1e-6)


# ------------------------------------------------------ minimum workloads
def test_a_manager_below_its_minimum_takes_over_an_account_that_closes_the_gap():
    # the greedy fill gives A, B, C to M1 (most free hours); M2 must carry 100 h
    case = tiny_case([cust("A", revenue=3e6, kam_hours=60), cust("B", revenue=2e6, kam_hours=120),
                      cust("C", revenue=1e6, kam_hours=150)],
                     [mgr("M1", capacity_hours=1_000), mgr("M2", capacity_hours=400, min_hours=100)])
    b = rule_of_thumb(case, Scenario(levels=ONE_LEVEL), "revenue", 3)
    # B (120 h) is the smallest account that closes the 100 h shortfall; A (60 h) would not
    assert dict(b.accounts.loc[["A", "B", "C"], "manager_id"]) == {"A": "M1", "B": "M2", "C": "M1"}
    assert b.kpis["balanced"] == 1 and b.kpis["added_for_minimums"] == 0
    assert b.managers.loc["M2", "hours_used"] >= 100
    assert_sound(b)


def test_a_minimum_no_move_can_fill_takes_the_next_customer_of_the_ranking():
    # M2 may lead only tier-1 customers... all the rule's N = 1 account needs seniority 2
    case = tiny_case([cust("A", revenue=3e6, tier=2), cust("B", revenue=2e6),
                      cust("C", revenue=1e6)],
                     [mgr("M1", seniority=2), mgr("M2", seniority=1, min_hours=150)])
    b = rule_of_thumb(case, Scenario(levels=ONE_LEVEL), "revenue", 1)
    assert dict(b.accounts.loc[list(b.key_accounts), "manager_id"]) == {
        "A": "M1", "B": "M2", "C": "M2"}  # 100 h of B, then C for the last 50 h
    assert b.kpis["added_for_minimums"] == 2 and b.kpis["key_accounts"] == 3
    assert_sound(b)


def test_a_minimum_the_rule_cannot_reach_fails_the_rule_and_baselines_can_leave_it_out():
    # today's coverage has one account; M2's minimum needs another that today does not serve
    case = tiny_case([cust("A", current_manager="M1"), cust("B"), cust("C")],
                     [mgr("M1"), mgr("M2", min_hours=150)])
    sc = Scenario(levels=ONE_LEVEL)
    with pytest.raises(BaselineError, match=r"today's coverage' break the plan's rules: "
                                            r"min_workload\[M2\]"):
        rule_of_thumb(case, sc, "today")
    p = plan(case, sc)
    with pytest.raises(BaselineError):
        baselines(p)
    failed: dict = {}
    rules = baselines(p, failed=failed)
    assert list(failed) == ["today's coverage"] and "min_workload[M2]" in failed["today's coverage"]
    assert list(rules) == [f"top {p.kpis['key_accounts']} by revenue",
                           f"top {p.kpis['key_accounts']} by potential", GREEDY_LABEL]
    for b in rules.values():
        assert_sound(b)
        assert b.managers.loc["M2", "hours_used"] >= 150


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases(), st.integers(1, 4), st.sampled_from([0.0, 40.0, 120.0]),
       st.sampled_from([0.0, 60.0, 150.0]))
def test_a_rule_of_thumb_keeps_the_minimums_or_says_which_it_breaks(data, n, low1, low2):
    case, budget = data
    m = case.managers.copy()
    m["min_hours"] = [min(low1, m.iloc[0]["capacity_hours"]), min(low2, m.iloc[1]["capacity_hours"])]
    case = dataclasses.replace(case, managers=m)
    sc = Scenario(budget=budget)
    for rule in ("today", "revenue", "potential"):
        try:
            b = rule_of_thumb(case, sc, rule, None if rule == "today" else n)
        except BaselineError as err:
            assert "min_workload[" in str(err) or "'must' customer" in str(err)
            continue
        assert verify_plan(b.accounts, case, sc, b.objective) == []
        used = b.managers["hours_used"].reindex(m.index)
        assert (used >= m["min_hours"] - 1e-6).all()


# ------------------------------------------- the strong baseline: the greedy
def test_the_greedy_is_the_strongest_baseline_on_the_sample_and_below_the_bound(sample):
    p, rules = sample
    g = rules[GREEDY_LABEL]
    assert best_baseline(rules) is g  # it beats or equals every rule of thumb
    assert all(g.objective >= b.objective for b in rules.values())
    assert g.objective <= p.kpis["bound"] + 1e-6 * abs(p.kpis["bound"])
    assert g.kpis["rule"] == GREEDY_LABEL and g.kpis["rule_key"] == "greedy"
    # the same plan again: deterministic, no clock
    again = greedy_plan(p.case, p.scenario)
    assert again.objective == g.objective
    assert again.accounts[["level", "manager_id", "activities"]].equals(
        g.accounts[["level", "manager_id", "activities"]])


@pytest.mark.parametrize("customers,managers,seed,budget", [
    (30, 3, 1, None), (60, 5, 2, 150_000.0), (90, None, 3, None), (40, 4, 11, 60_000.0)])
def test_the_greedy_keeps_every_rule_on_generated_cases(customers, managers, seed, budget):
    case = make_case(customers=customers, managers=managers, seed=seed)
    sc = Scenario(budget=budget, mip_gap=0.01, max_key_accounts=customers // 3)
    g = greedy_plan(case, sc)
    assert_sound(g)  # the same independent verifier as the rules of thumb
    assert g.kpis["key_accounts"] <= customers // 3
    assert (g.managers["hours_used"] <= g.managers["capacity"] + 1e-6).all()
    p = plan(case, sc)
    assert g.objective <= p.kpis["bound"] + 1e-6 * max(1.0, abs(p.kpis["bound"]))


def test_the_greedy_keeps_must_exclude_and_fixed_decisions():
    case = make_case(customers=40, managers=4, seed=5)
    ids = list(case.customers.index)
    sc = Scenario(mip_gap=0.01, must=(ids[0], ids[1]), exclude=(ids[2],))
    g = greedy_plan(case, sc)
    assert_sound(g)
    acc = g.accounts
    assert acc.loc[[ids[0], ids[1]], "key_account"].eq(1).all()
    assert acc.at[ids[2], "key_account"] == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases())
def test_the_greedy_never_exceeds_a_capacity_and_has_one_lead_per_key_account(data):
    case, budget = data
    sc = Scenario(budget=budget, mip_gap=0.0)
    g = greedy_plan(case, sc)  # no must customers are drawn: it always finds a plan
    assert_sound(g)
    ka = g.accounts[g.accounts["key_account"] == 1]
    assert ka["manager_id"].astype(str).ne("").all() and ka.index.is_unique
    assert (g.managers["hours_used"] <= g.managers["capacity"] + 1e-6).all()
    p = plan(case, sc)
    assert p.objective >= g.objective - 1e-6 * max(1.0, abs(g.objective))


def test_the_gain_over_the_greedy_splits_by_decision_and_adds_up(sample):
    p, rules = sample
    g = rules[GREEDY_LABEL]
    split = decision_split(value_bridge(g, p))
    assert list(split["decision"]) == ["Which customers are key accounts", "Coverage levels",
                                       "Activities", "Who leads them"]
    assert split["gain"].sum() == pytest.approx(p.objective - g.objective, rel=1e-9, abs=1e-6)
    assert split["share"].sum() == pytest.approx(1.0)
