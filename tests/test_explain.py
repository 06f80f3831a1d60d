"""Explanations and marginal values: hand-checkable cases and the sample."""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kamopt.analysis.explain import (
    explain,
    lp_duals,
    marginal_table,
    marginal_values,
    median_hire,
    value_of_hire,
)
from kamopt.case.io import load_case
from kamopt.case.scenario import Hire, Level, Scenario
from kamopt.planning.oneyear import plan
from kamopt.testing import tiny_case

ROOT = Path(__file__).resolve().parents[1]

# value = margin * realization * potential = 0.5 * 0.5 * P = P / 4; no retention, no fit bonus
SIMPLE = Scenario(levels=(Level("standard", 1.0, 1.0),), realization=0.5, retention=0.0,
                  industry_fit=0.0, mip_gap=0.0)


def cust(cid, hours, per_hour, **kw):
    """A customer that earns ``per_hour`` EUR per KAM hour at a free manager."""
    return dict(customer_id=cid, revenue=1_000, margin=0.5, potential=4 * per_hour * hours,
                kam_hours=hours, **kw)


@pytest.fixture(scope="module")
def one_manager():
    """One manager, 100 h, free: A (60 h, 100/h) and B (40 h, 50/h) fill him.

    M (60 h, 50/h) ties with B at the margin; X (40 h, 30/h) earns less. The MIP
    takes A + B (8,000 EUR); the LP relaxation prices an hour at 50 EUR.
    """
    case = tiny_case([cust("A", 60, 100), cust("B", 40, 50), cust("M", 60, 50),
                      cust("X", 40, 30)],
                     [dict(manager_id="M1", capacity_hours=100, hourly_cost=0)])
    return case, plan(case, SIMPLE)


def test_the_plan_of_the_hand_case(one_manager):
    _, p = one_manager
    assert sorted(p.key_accounts) == ["A", "B"]
    assert p.objective == pytest.approx(8_000)


def test_the_capacity_dual_is_the_net_per_hour_of_the_marginal_account(one_manager):
    _, p = one_manager
    relaxed = lp_duals(p)
    assert relaxed["capacity"]["M1"] == pytest.approx(50.0)  # B and M earn 50 EUR an hour
    assert relaxed["objective"] == pytest.approx(8_000)
    fixed = lp_duals(p, fixed=True)
    assert fixed["capacity"]["M1"] == 0.0  # every decision fixed: an extra hour has no use
    assert fixed["objective"] == pytest.approx(p.objective)


def test_below_the_margin_is_not_a_key_account_and_says_why(one_manager):
    _, p = one_manager
    ex = explain(p)
    assert list(ex.index) == list(p.case.customers.index)
    x = ex.loc["X"]
    assert x["key_account"] == 0 and x["reason"] == "below the margin"
    assert x["net_per_hour"] == pytest.approx(30) and x["margin_per_hour"] == pytest.approx(50)
    assert x["net_per_hour"] < x["margin_per_hour"]
    # break-even: 50 EUR/h * 40 h = 2,000 EUR = P / 4, so P = 8,000 (today 4,800)
    assert x["break_even_potential"] == pytest.approx(8_000)
    assert x["potential_change"] == pytest.approx(3_200)
    assert x["break_even_hours"] == pytest.approx(24)  # 1,200 EUR / 50 EUR per hour
    assert x["why"] == ("Not a key account: earns 30 EUR per KAM hour, below the 50 EUR an hour "
                        "earns at the margin; would need 3.2 k EUR more potential")
    a = ex.loc["A"]
    assert a["reason"] == "key account" and a["times_margin"] == pytest.approx(2.0)
    assert a["why"].startswith("Key account: earns 100 EUR per KAM hour, 2.0x the 50 EUR an hour "
                               "earns at the margin; led by M1 (")
    # every key account earns at least the margin, every other customer at most
    ka = ex["key_account"] == 1
    assert (ex.loc[ka, "net_per_hour"] >= ex.loc[ka, "margin_per_hour"] - 1e-9).all()
    assert (ex.loc[~ka, "net_per_hour"] <= ex.loc[~ka, "margin_per_hour"] + 1e-9).all()


@pytest.mark.parametrize("factor, flips", [(1.01, True), (0.99, False)])
def test_the_break_even_potential_flips_the_decision(one_manager, factor, flips):
    case, p = one_manager
    target = explain(p).loc["X", "break_even_potential"]
    customers = case.customers.copy()
    customers.loc["X", "potential"] = target * factor
    q = plan(dataclasses.replace(case, customers=customers), SIMPLE)
    assert bool(q.accounts.loc["X", "key_account"] == 1) is flips
    if flips:
        assert sorted(q.key_accounts) == ["A", "X"]  # X pushes B out


def test_a_customer_that_cannot_pay_for_its_hours_flips_at_its_break_even():
    # 100 h at 100 EUR/h = 10,000 EUR; it earns P / 4 = 5,000 EUR: break-even P = 40,000
    base = dict(customer_id="C", revenue=1_000, margin=0.5, potential=20_000, kam_hours=100)
    managers = [dict(manager_id="M1", capacity_hours=1_000, hourly_cost=100)]
    p = plan(tiny_case([base], managers), SIMPLE)
    c = explain(p).loc["C"]
    assert c["reason"] == "cannot pay" and c["margin_per_hour"] == 0
    assert c["break_even_potential"] == pytest.approx(40_000)
    assert c["why"].startswith("Not a key account: cannot pay for its KAM hours (its best option "
                               "loses 5 k EUR a year); would need 20 k EUR more potential")
    q = plan(tiny_case([{**base, "potential": 40_000 * 1.01}], managers), SIMPLE)
    assert q.accounts.loc["C", "key_account"] == 1


def test_why_this_manager_and_the_other_reasons():
    case = tiny_case(
        [cust("A", 50, 100, industry="Bau", current_manager="M2", tier=2),
         cust("E", 50, 100, status="exclude"), cust("T", 50, 100, tier=3),
         cust("S", 50, 20, status="must")],
        [dict(manager_id="M1", capacity_hours=500, hourly_cost=0, seniority=2),
         dict(manager_id="M2", capacity_hours=500, hourly_cost=10, seniority=2,
              industries="Bau")])
    ex = explain(plan(case, SIMPLE.replace(industry_fit=0.5)))
    assert ex.loc["A", "manager_id"] == "M2"
    assert ex.loc["A", "manager_reasons"] == ("industry fit Bau, current manager, tier 2 needs "
                                              "seniority 2, 10 EUR/h")
    assert ex.loc["E", "why"] == "Not a key account: excluded by the user"
    assert ex.loc["T", "reason"] == "no eligible manager"
    assert "seniority 3" in ex.loc["T", "why"]
    assert ex.loc["S", "reason"] == "must"
    assert ex.loc["S", "why"].startswith("Key account, set as 'must' by the user")


def test_the_budget_dual_is_the_return_of_the_marginal_euro():
    # 10 h at 100 EUR/h each: A earns 6,000 for 1,000 EUR, B 3,000 for 1,000 EUR.
    # With 1,500 EUR the LP takes A and half of B: one more EUR is worth (3,000 - 1,000) / 1,000 = 2
    case = tiny_case([cust("A", 10, 600), cust("B", 10, 300)],
                     [dict(manager_id="M1", capacity_hours=1_000, hourly_cost=100)])
    p = plan(case, SIMPLE.replace(budget=1_500))
    assert list(p.key_accounts) == ["A"]
    d = lp_duals(p)
    assert d["budget"] == pytest.approx(2.0) and d["capacity"]["M1"] == 0
    mv = marginal_values(p, hire=False)
    row = mv.set_index("kind").loc["budget EUR"]
    assert row["lp_relaxation"] == pytest.approx(2.0) and row["unit"] == "EUR per EUR"


def test_marginal_values_and_the_re_solved_hire(one_manager):
    _, p = one_manager
    hire = median_hire(p.case)
    assert (hire.seniority, hire.capacity_hours, hire.hourly_cost) == (1, 100, 0)
    mv = marginal_values(p)
    assert list(mv["kind"]) == ["manager hour", "new KAM"]
    m1 = mv.iloc[0]
    assert m1["what"] == "EUR a year per extra hour of M1 " and m1["lp_relaxation"] == 50
    assert m1["decisions_fixed"] == 0 and np.isnan(m1["re_solved"])
    new = mv.iloc[1]
    # 100 more hours: M and X join, 3,000 + 1,200 = 4,200 EUR a year
    assert new["re_solved"] == pytest.approx(4_200)
    assert new["re_solved_low"] <= new["re_solved"] <= new["re_solved_high"]
    assert new["re_solved_per_hour"] == pytest.approx(42)
    assert np.isnan(new["lp_relaxation"])  # no dual is made up for a re-solve
    shown = marginal_table(mv)  # for a reader: the resources only, in units
    assert list(shown.index) == ["M1"] and shown.loc["M1", "per"] == "hour"
    assert shown.loc["M1", "one more is worth (EUR a year)"] == 50
    assert shown.loc["M1", "unused"] == f"{m1['capacity'] - m1['used']:,.0f} h"
    v = value_of_hire(p, Hire(capacity_hours=40, hourly_cost=0, prefix="H"))
    assert v["re_solved"] == pytest.approx(1_200)  # only X fits into 40 h
    assert "H1" in v["plan"].managers.index


def test_nobody_can_be_a_key_account():
    case = tiny_case([cust("A", 50, 100, status="exclude")],
                     [dict(manager_id="M1", capacity_hours=100)])
    p = plan(case, SIMPLE)
    assert lp_duals(p)["capacity"]["M1"] == 0
    assert explain(p).loc["A", "reason"] == "excluded"


# -------------------------------------------------------------------- sample
@pytest.fixture(scope="module")
def sample():
    case = load_case(ROOT / "data" / "sample")
    sc = Scenario.from_yaml(ROOT / "data" / "scenarios" / "base.yml").replace(mip_gap=0.01)
    return plan(case, sc)


def test_the_sample_is_explained_consistently(sample):
    p = sample
    ex = explain(p)
    assert len(ex) == len(p.case.customers) and (ex["why"] != "").all()
    assert (ex["key_account"] == p.accounts["key_account"]).all()
    ka = ex[ex["key_account"] == 1]
    assert (ka["manager_id"] == p.accounts.loc[ka.index, "manager_id"]).all()
    assert ka["why"].str.startswith("Key account").all()
    assert ex.loc[ex["key_account"] == 0, "why"].str.startswith("Not a key account").all()
    # the LP-relaxation price supports the integer plan almost everywhere
    below = ka[(ka["net_per_hour"] < ka["margin_per_hour"] - 1e-6) & (ka["status"] != "must")]
    assert len(below) <= 0.05 * len(ka)
    out = ex[ex["reason"].isin(["below the margin", "cannot pay"])]
    assert (out["potential_change"] > 0).all()


def test_the_sample_marginal_values_make_sense(sample):
    mv = marginal_values(sample, hire=False)
    hours = mv[mv["kind"] == "manager hour"]
    assert len(hours) == len(sample.managers)
    assert (hours["lp_relaxation"] > 0).all()  # every manager is nearly full
    assert (mv["decisions_fixed"].abs() < 1e-9).all()
    # the relaxation bounds the plan from above, less tightly than branch and bound's bound
    assert mv.attrs["lp_relaxation_objective"] >= sample.kpis["bound"] - 1e-6 >= sample.objective
    assert mv.attrs["decisions_fixed_objective"] == pytest.approx(sample.objective)


def test_the_marginal_table_of_a_large_case_shows_the_most_valuable_and_sums_up_the_rest():
    mv = pd.DataFrame({
        "kind": ["manager hour"] * 4 + ["budget EUR"],
        "id": ["M1", "M2", "M3", "M4", "budget"], "name": ["a", "b", "c", "d", ""],
        "capacity": [1.2, 1_600.0, 1_000.0, 900.0, 50_000.0],
        "used": [1.0, 1_600.0, 1_000.0, 900.0, 20_000.0],
        "slack": [0.2, 0.0, 0.0, 0.0, 30_000.0], "lp_relaxation": [10.0, 50.5, 40.0, 30.0, 0.0]})
    full = marginal_table(mv)
    assert list(full.index) == ["M2 b", "M3 c", "M4 d", "M1 a", "budget"]
    assert (full.loc["M1 a", "capacity"], full.loc["M1 a", "unused"]) == ("1.2 h", "0.2 h")
    top = marginal_table(mv, top=2)
    assert list(top.index) == ["M2 b", "M3 c", "... 3 more"]
    assert top.loc["M2 b", "one more is worth (EUR a year)"] == "50"  # 50.5, shown whole
    assert top.loc["... 3 more", "one more is worth (EUR a year)"] == "0 to 30"
    assert top.loc["... 3 more", "per"] == "hour / EUR"
    assert marginal_table(mv, top=5).equals(full)  # nothing to sum up


def test_an_account_whose_potential_earns_nothing_has_no_break_even_potential():
    """Margin 0: no potential makes it pay. The table said +inf; now NaN (shown as a dash)."""
    from kamopt.case.sample import make_case

    case = make_case(customers=12, managers=2, seed=5)
    case.customers["margin"] = 0.0
    why = explain(plan(case, Scenario(mip_gap=0.0)))
    out = why[why["key_account"] == 0]
    assert len(out) and not np.isinf(out["potential_change"]).any()
    assert not np.isinf(out["break_even_potential"]).any()
    assert out["why"].str.contains("more potential would not help").any()
