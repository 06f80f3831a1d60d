"""Hours that depend on the lead manager (``pair_costs.csv``'s ``hours_factor`` and ``hours``)
and accounts that need 0 hours (issue 23)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kamopt
from kamopt.analysis.baselines import account_economics, greedy_plan, rule_of_thumb
from kamopt.analysis.explain import explain
from kamopt.case.io import load_case
from kamopt.case.scenario import Hire, Level, Scenario
from kamopt.cli import main
from kamopt.errors import CaseError
from kamopt.model.oneyear import build
from kamopt.model.prepare import prepare
from kamopt.planning.diagnose import precheck
from kamopt.planning.midterm import plan_midterm
from kamopt.planning.oneyear import read_plan
from kamopt.solve.pricing import solve_by_pricing
from kamopt.testing import assert_plan_sound, brute_force, tiny_case

EXACT = Scenario(mip_gap=0.0, node_limit=100_000, time_limit=3600)  # nodes stop it, not the clock

CUSTOMERS = """\
customer_id,revenue,margin,potential,kam_hours,tier
C1,100000,0.3,400000,100,1
C2,200000,0.3,300000,80,1
C3,50000,0.3,200000,0,1
"""
MANAGERS = """\
manager_id,capacity_hours,hourly_cost
M1,150,50
M2,120,50
"""


def case_dir(tmp_path: Path, pair_costs: str | None, customers: str = CUSTOMERS) -> Path:
    folder = tmp_path / "case"
    folder.mkdir(exist_ok=True)
    (folder / "customers.csv").write_text(customers)
    (folder / "managers.csv").write_text(MANAGERS)
    if pair_costs is not None:
        (folder / "pair_costs.csv").write_text(pair_costs)
    return folder


def messages(folder: Path) -> str:
    with pytest.raises(CaseError) as info:
        load_case(folder)
    return "\n".join(map(str, info.value.problems))


# ------------------------------------------------------------------ reading
def test_a_pair_s_hours_factor_and_hours_are_read_and_cost_may_be_left_out(tmp_path):
    case = load_case(case_dir(tmp_path, "customer_id,manager_id,hours_factor,hours\n"
                                        "C1,M1,0.5,\nC2,M2,,40\n"))
    pc = case.pair_costs.set_index(["customer_id", "manager_id"])
    assert pc.loc[("C1", "M1"), "hours_factor"] == 0.5
    assert pc.loc[("C2", "M2"), "hours"] == 40
    assert pc["cost"].tolist() == [0.0, 0.0]  # cost defaults to 0


def test_an_unknown_column_of_pair_costs_is_refused_with_what_was_meant(tmp_path, capsys):
    folder = case_dir(tmp_path, "customer_id,manager_id,cost,hours_factor,hour_factor\n"
                                "C1,M1,0,,0.5\n")
    text = messages(folder)
    assert "pair_costs.csv, row 1, column 'hour_factor'" in text
    assert "unknown column 'hour_factor'; did you mean 'hours_factor'?" in text
    assert main(["check", str(folder)]) == 2
    assert "did you mean 'hours_factor'" in capsys.readouterr().err


def test_any_other_column_of_pair_costs_is_refused_too(tmp_path):
    text = messages(case_dir(tmp_path, "customer_id,manager_id,cost,travel_note\nC1,M1,3,far\n"))
    assert "unknown column 'travel_note'" in text
    assert "has only the columns customer_id, manager_id, cost, hours_factor, hours" in text


def test_extra_columns_of_other_tables_are_still_kept(tmp_path):
    folder = case_dir(tmp_path, None, customers=CUSTOMERS.replace("tier\n", "tier,note\n")
                      .replace(",1\n", ",1,x\n"))
    assert load_case(folder).customers["note"].tolist() == ["x", "x", "x"]


@pytest.mark.parametrize(("row", "expected"), [
    ("C1,M1,,-0.5,", "pair_costs.csv, row 2, column 'hours_factor': got '-0.5'; must be a "
                     "number >= 0"),
    ("C1,M1,,,-3", "pair_costs.csv, row 2, column 'hours': got '-3'; must be a number >= 0"),
    ("C1,M1,,abc,", "pair_costs.csv, row 2, column 'hours_factor': got 'abc'; must be a number"),
    ("C1,M1,,0.5,50", "pair_costs.csv, row 2, column 'hours': got '50'; is given with "
                      "hours_factor in the same row"),
    ("C3,M1,,,20", "pair_costs.csv, row 2, column 'hours': got '20'; is given for an account "
                   "whose kam_hours is 0"),
])
def test_bad_pair_hours_name_file_row_column_and_expectation(tmp_path, row, expected):
    text = messages(case_dir(tmp_path, f"customer_id,manager_id,cost,hours_factor,hours\n{row}\n"))
    assert expected in text


def test_hours_are_read_as_a_factor_of_the_account_s_hours(tmp_path):
    case = load_case(case_dir(tmp_path, "customer_id,manager_id,hours\nC1,M1,40\nC3,M1,0\n"))
    pairs = prepare(case, Scenario(), prune=False).pairs.set_index(["customer_id", "manager_id"])
    assert pairs.at[("C1", "M1"), "hours_factor"] == pytest.approx(0.4)
    assert pairs.at[("C1", "M2"), "hours_factor"] == 1.0
    assert pairs.at[("C3", "M1"), "hours_factor"] == 1.0  # 0 hours of an account of 0 hours


# ------------------------------------------------------------------ the plan
def two_managers(**pairs) -> kamopt.Case:
    customers = [dict(customer_id="C1", revenue=1e5, margin=0.3, potential=4e5, kam_hours=100),
                 dict(customer_id="C2", revenue=2e5, margin=0.3, potential=3e5, kam_hours=80)]
    managers = [dict(manager_id="M1", capacity_hours=100, hourly_cost=50),
                dict(manager_id="M2", capacity_hours=100, hourly_cost=50)]
    return tiny_case(customers, managers, pair_costs=pairs.get("pair_costs"))


def test_the_pair_s_hours_reach_capacity_plan_and_verification():
    # C1 needs 100 h at standard, C2 80 h: only one fits each manager; with M1 leading C1 at
    # half the hours (hours_factor 0.5) both fit on M1 (50 + 80 <= 100? no: 130), so the
    # plan puts C1 on M1 (50 h) and C2 on M2 (80 h), at any level that fits
    case = two_managers(pair_costs=[dict(customer_id="C1", manager_id="M1", hours_factor=0.5),
                                    dict(customer_id="C2", manager_id="M1", hours=160.0)])
    p = kamopt.plan(case, EXACT)
    assert_plan_sound(p)
    acc = p.accounts
    lv = {lv.name: lv.hours_factor for lv in EXACT.levels}
    for cid, factor in (("C1", {"M1": 0.5, "M2": 1.0}), ("C2", {"M1": 2.0, "M2": 1.0})):
        if acc.at[cid, "key_account"]:
            j = acc.at[cid, "manager_id"]
            own = case.customers.at[cid, "kam_hours"]
            assert acc.at[cid, "hours"] == pytest.approx(lv[acc.at[cid, "level"]] * own * factor[j])
    used = acc[acc["key_account"] == 1].groupby("manager_id")["hours"].sum()
    assert (p.managers["hours_used"].reindex(used.index) == used).all()
    assert (p.managers["hours_used"] <= p.managers["capacity"] + 1e-6).all()
    assert p.objective == pytest.approx(brute_force(case, EXACT), abs=1e-6)


def test_verification_catches_hours_that_ignore_the_pair():
    case = two_managers(pair_costs=[dict(customer_id="C1", manager_id="M1", hours_factor=0.5)])
    p = kamopt.plan(case, EXACT)
    acc = p.accounts.copy()
    assert acc.at["C1", "manager_id"] == "M1"
    acc.loc["C1", "hours"] = acc.at["C1", "hours"] / 0.5  # the account's own hours
    from kamopt.planning.oneyear import verify_plan
    assert any("hours differ" in v for v in verify_plan(acc, case, EXACT, p.objective))


def test_a_hire_has_the_factors_of_the_manager_it_names_or_the_average():
    case = two_managers(pair_costs=[dict(customer_id="C1", manager_id="M1", hours_factor=0.5),
                                    dict(customer_id="C1", manager_id="M2", hours_factor=2.0)])
    for hire, expected in ((Hire(pair_costs_from="M1"), 0.5), (Hire(), 1.25)):
        sc = Scenario(hires=(hire,), unavailable_managers=("M1", "M2"), must=("C1",),
                      mip_gap=0.0)
        pairs = prepare(case, sc, prune=False).pairs.set_index("customer_id")
        assert pairs.at["C1", "hours_factor"] == pytest.approx(expected)
        p = kamopt.plan(case, sc)
        assert_plan_sound(p)
        assert p.accounts.at["C1", "hours"] == pytest.approx(
            expected * 100 * {lv.name: lv.hours_factor for lv in sc.levels}[
                p.accounts.at["C1", "level"]])


def test_the_checks_before_solving_count_the_lightest_pair():
    # a must account of 300 h fits M1 only at a factor of 0.25 (75 h at standard)
    customers = [dict(customer_id="C1", revenue=0, margin=0.1, potential=1e5, kam_hours=300,
                      status="must")]
    managers = [dict(manager_id="M1", capacity_hours=100, hourly_cost=0)]
    case = tiny_case(customers, managers,
                     pair_costs=[dict(customer_id="C1", manager_id="M1", hours_factor=0.25)])
    precheck(case, Scenario())  # no shortfall
    p = kamopt.plan(case, EXACT)
    assert_plan_sound(p)
    assert p.accounts.at["C1", "key_account"] == 1
    assert p.managers.at["M1", "hours_used"] <= 100


def test_the_mid_term_plan_refuses_pair_hours_in_words():
    case = two_managers(pair_costs=[dict(customer_id="C1", manager_id="M1", hours_factor=0.5)])
    with pytest.raises(CaseError, match="does not take yet"):
        plan_midterm(case, Scenario(), years=2)


def test_the_mid_term_plan_takes_pair_costs_without_hours():
    case = two_managers(pair_costs=[dict(customer_id="C1", manager_id="M1", cost=10.0),
                                    dict(customer_id="C2", manager_id="M1", hours_factor=1.0)])
    assert plan_midterm(case, Scenario(), years=1).status in ("optimal", "feasible")


def tight_case(seed: int) -> kamopt.Case:
    rng = np.random.default_rng(seed)
    n, m = 8, 3
    customers = [dict(customer_id=f"C{i}", revenue=float(rng.integers(1, 5)) * 1e5, margin=0.3,
                      potential=float(rng.integers(1, 8)) * 1e5,
                      kam_hours=float(rng.choice([0, 40, 80, 120])),
                      current_manager=f"M{rng.integers(1, m + 1)}") for i in range(n)]
    managers = [dict(manager_id=f"M{j}", capacity_hours=150.0, hourly_cost=40.0,
                     min_hours=0.0) for j in range(1, m + 1)]
    pairs = [dict(customer_id=f"C{i}", manager_id=f"M{j}",
                  hours_factor=float(rng.choice([0.25, 0.5, 1.0, 2.0, 3.0])))
             for i in range(n) for j in range(1, m + 1)]
    return tiny_case(customers, managers, pair_costs=pairs)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rules_of_thumb_and_the_greedy_fill_capacity_by_the_pair_s_hours(seed):
    case = tight_case(seed)
    p = kamopt.plan(case, EXACT)
    assert_plan_sound(p)
    for rule in [greedy_plan(case, EXACT), rule_of_thumb(case, EXACT, "revenue", n=6),
                 rule_of_thumb(case, EXACT, "today")]:
        assert_plan_sound(rule)  # plan_from_decisions verifies them against the case
        assert rule.objective <= p.objective + 1e-6
        dec = rule.accounts[rule.accounts["key_account"] == 1][
            ["level", "manager_id", "activities"]]
        econ = account_economics(case, EXACT, dec)
        assert econ["hours"].to_numpy() == pytest.approx(
            rule.accounts.loc[dec.index, "hours"].to_numpy())


@pytest.mark.parametrize("seed", [1, 2])
def test_pricing_takes_the_pair_s_hours(seed):
    case = tight_case(seed)
    d = prepare(case, EXACT)
    km, sol = solve_by_pricing(d, 60.0, 0.0)
    p = read_plan(km, sol)
    assert_plan_sound(p)
    assert p.objective == pytest.approx(kamopt.plan(case, EXACT).objective, rel=1e-6)


def test_the_explorer_s_quick_plan_keeps_the_pair_s_hours():
    from kamopt.analysis.session import PlanSession

    case = tight_case(4)
    session = PlanSession(case)
    assert_plan_sound(session.solve(EXACT))
    for scale in (0.6, 1.3):  # a repair of the plan before, moves checked by the pair's hours
        q = session.quick(EXACT.replace(capacity_scale=scale))
        if q is not None:
            assert_plan_sound(q)


# ------------------------------------------------------------------ 0 hours
def test_accounts_of_0_hours_are_planned_without_capacity_and_explained(tmp_path):
    case = load_case(case_dir(tmp_path, None))
    p = kamopt.plan(case, EXACT)
    assert_plan_sound(p)
    assert p.accounts.at["C3", "key_account"] == 1
    assert p.accounts.at["C3", "hours"] == 0.0
    assert p.accounts.at["C3", "cost_hours"] == 0.0
    why = explain(p)
    assert np.isnan(why.at["C3", "net_per_hour"])
    assert "nan" not in why.at["C3", "why"].lower()
    assert "inf" not in why.at["C3", "why"].lower()
    assert "–" in why.at["C3", "why"]


def test_a_case_of_only_0_hour_accounts_plans_them_all():
    customers = [dict(customer_id=f"C{i}", revenue=1e5, margin=0.2, potential=1e5, kam_hours=0)
                 for i in range(3)]
    case = tiny_case(customers, [dict(manager_id="M1", capacity_hours=0, hourly_cost=10)])
    p = kamopt.plan(case, EXACT)
    assert_plan_sound(p)
    assert p.kpis["key_accounts"] == 3
    assert p.kpis["hours_used"] == 0.0
    assert p.managers.at["M1", "utilisation"] == 0.0
    assert greedy_plan(case, EXACT).kpis["key_accounts"] == 3


# ------------------------------------------------------------------ properties
@st.composite
def factor_cases(draw):
    n = draw(st.integers(1, 4))
    m = draw(st.integers(1, 3))
    customers = [dict(customer_id=f"C{i}", revenue=draw(st.sampled_from([0.0, 1e5, 3e5])),
                      margin=0.3, potential=draw(st.sampled_from([1e5, 4e5])),
                      kam_hours=draw(st.sampled_from([0.0, 50.0, 100.0])),
                      tier=draw(st.integers(1, 2)),
                      status=draw(st.sampled_from(["", "", "must"]))) for i in range(n)]
    managers = [dict(manager_id=f"M{j}", capacity_hours=draw(st.sampled_from([60.0, 150.0])),
                     hourly_cost=draw(st.sampled_from([0.0, 60.0])), seniority=2)
                for j in range(m)]
    pairs = []
    for i in range(n):
        for j in range(m):
            kind = draw(st.sampled_from(["none", "factor", "hours"]))
            if kind == "factor":
                pairs.append(dict(customer_id=f"C{i}", manager_id=f"M{j}",
                                  hours_factor=draw(st.sampled_from([0.0, 0.5, 2.0]))))
            elif kind == "hours" and customers[i]["kam_hours"] > 0:
                pairs.append(dict(customer_id=f"C{i}", manager_id=f"M{j}",
                                  hours=draw(st.sampled_from([10.0, 200.0])),
                                  cost=draw(st.sampled_from([0.0, 5000.0]))))
    return tiny_case(customers, managers, pair_costs=pairs or None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(factor_cases())
def test_the_optimum_with_pair_hours_is_the_brute_force_optimum(case):
    sc = Scenario(levels=(Level("light", 0.5, 0.6), Level("standard", 1.0, 1.0)), mip_gap=0.0,
                  node_limit=100_000, time_limit=3600)
    best = brute_force(case, sc)
    if best is None:
        with pytest.raises(kamopt.InfeasibleError):
            kamopt.plan(case, sc)
        return
    p = kamopt.plan(case, sc)
    assert_plan_sound(p)
    assert p.objective == pytest.approx(best, rel=1e-7, abs=1e-4)
    # the model's own capacity rows hold the pair's hours
    km = build(prepare(case, sc))
    assert km.lp.n_rows > 0
    hours = p.accounts.loc[p.key_accounts, "hours"]
    assert hours.groupby(p.accounts.loc[p.key_accounts, "manager_id"]).sum().reindex(
        p.managers.index).fillna(0).to_numpy() == pytest.approx(
        p.managers["hours_used"].to_numpy())

