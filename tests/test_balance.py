"""kamopt's extension of the case format: pair costs (pair_costs.csv) and minimum
workloads (managers.min_hours): hand-checkable cases, messages, the mid-term plan,
the large-case route."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kamopt
from kamopt.case.assumptions import MidtermAssumptions
from kamopt.case.io import load_case, save_case
from kamopt.case.sample import make_case
from kamopt.case.scenario import Level, Scenario
from kamopt.cli import main
from kamopt.errors import CaseError, InfeasibleError, VerificationError
from kamopt.planning.midterm import plan_midterm
from kamopt.planning.oneyear import verify_plan
from kamopt.testing import assert_plan_sound, brute_force, tiny_case

ONE_LEVEL = Scenario(levels=(Level("standard", 1.0, 1.0),), mip_gap=0.0, retention=0.0)
NO_TARGETS = pd.DataFrame({"year": [], "scope": [], "order_intake": []})
NO_CAPACITY = pd.DataFrame({"manager_id": [], "year": [], "capacity_hours": []})


def two_accounts(min_hours=0.0, **manager):
    """A pays for its hours (net 2,000 EUR), B does not (net -1,000 EUR).

    A: 0.3 * 0.1 * 300,000 = 9,000 EUR for 70 h at 100 EUR/h; B: 0.3 * 0.1 *
    100,000 = 3,000 EUR for 40 h.
    """
    customers = [dict(customer_id="A", revenue=0, margin=0.1, potential=300_000, kam_hours=70),
                 dict(customer_id="B", revenue=0, margin=0.1, potential=100_000, kam_hours=40)]
    managers = [dict(manager_id="M1", capacity_hours=200, hourly_cost=100, min_hours=min_hours,
                     **manager)]
    return tiny_case(customers, managers)


def test_a_minimum_workload_takes_an_account_that_does_not_pay():
    alone = kamopt.plan(two_accounts(), ONE_LEVEL)
    assert alone.objective == pytest.approx(2_000)
    assert alone.accounts["key_account"].to_dict() == {"A": 1, "B": 0}
    busy = kamopt.plan(two_accounts(min_hours=100), ONE_LEVEL)  # A alone is 70 h
    assert busy.objective == pytest.approx(1_000)
    assert busy.accounts["key_account"].to_dict() == {"A": 1, "B": 1}
    assert busy.managers.loc["M1", "min_hours"] == 100
    assert busy.managers.loc["M1", "hours_used"] == pytest.approx(110)
    assert_plan_sound(busy)


def test_verify_names_a_manager_below_the_minimum():
    case = two_accounts(min_hours=100)
    p = kamopt.plan(two_accounts(), ONE_LEVEL)  # planned without the minimum
    with pytest.raises(VerificationError, match=r"min_workload\[M1\]: 70 h planned, at least 100.0 h required"):
        p.verify(case)


def test_pair_costs_choose_the_lead_count_in_cost_and_budget():
    customers = [dict(customer_id="A", revenue=0, margin=0.1, potential=300_000, kam_hours=70,
                      current_manager="M1")]
    managers = [dict(manager_id="M1", capacity_hours=200, hourly_cost=100),
                dict(manager_id="M2", capacity_hours=200, hourly_cost=100)]
    travel = [dict(customer_id="A", manager_id="M1", cost=1_500),
              dict(customer_id="A", manager_id="M2", cost=500)]
    case = tiny_case(customers, managers, pair_costs=travel)
    p = kamopt.plan(case, ONE_LEVEL)
    a = p.accounts.loc["A"]
    assert a["manager_id"] == "M2"
    assert a["cost_pair"] == 500 and a["cost"] == pytest.approx(7_000 + 500)
    assert p.objective == pytest.approx(9_000 - 7_500)
    assert p.kpis["cost_pairs"] == 500
    assert p.kpis["accounts_changing_hands"] == 1 and p.kpis["hours_changing_hands"] == 70
    # a continuity bonus of 1,500 EUR outweighs the 1,000 EUR of extra travel
    stay = kamopt.plan(case, ONE_LEVEL.replace(continuity_bonus=1_500))
    assert stay.accounts.loc["A", "manager_id"] == "M1"
    assert stay.kpis["accounts_changing_hands"] == 0
    # the budget counts the pair cost: 7,400 EUR cannot pay 7,000 EUR of hours plus 500 of travel
    with pytest.raises(InfeasibleError):
        kamopt.plan(case, ONE_LEVEL.replace(budget=7_400, min_key_accounts=1))
    assert kamopt.plan(case, ONE_LEVEL.replace(budget=7_400)).kpis["key_accounts"] == 0
    assert brute_force(case, ONE_LEVEL) == pytest.approx(p.objective)


def test_the_case_format_reads_and_checks_both(tmp_path):
    case = make_case(customers=12, managers=3, seed=2)
    folder = save_case(case, tmp_path / "case")
    k1, k2 = case.customers.index[:2]
    (folder / "pair_costs.csv").write_text(
        f"Customer_ID ; Manager_ID ; Cost\n{k1};M01;1.234,5\n{k2};M02;0\n", encoding="cp1252")
    m = pd.read_csv(folder / "managers.csv")
    m["min_hours"] = [10.0, 0.0, 0.0]
    m.to_csv(folder / "managers.csv", index=False)
    loaded = load_case(folder)
    assert loaded.pair_costs["cost"].tolist() == [1234.5, 0.0]
    assert loaded.managers["min_hours"].tolist() == [10.0, 0.0, 0.0]
    kamopt.plan(loaded, Scenario(mip_gap=0.0)).verify()
    # and back: save_case writes the table, load_case reads the same case
    assert load_case(save_case(loaded, tmp_path / "again")) == loaded


def test_bad_pair_costs_and_minimums_name_file_row_and_column(tmp_path, capsys):
    folder = save_case(make_case(customers=12, managers=3, seed=2), tmp_path / "case")
    k1 = load_case(folder).customers.index[0]
    (folder / "pair_costs.csv").write_text(
        f"customer_id,manager_id,cost\n{k1},M01,5\n{k1},M01,7\n{k1},M09,1\n{k1},M02,-1\n")
    m = pd.read_csv(folder / "managers.csv")
    m.loc[0, "min_hours"] = m.loc[0, "capacity_hours"] + 1
    m.to_csv(folder / "managers.csv", index=False)
    with pytest.raises(CaseError) as err:
        load_case(folder)
    text = str(err.value)
    assert ("pair_costs.csv, row 3, column 'manager_id': got 'M01'; each (customer_id, "
            "manager_id) pair must appear once; duplicate of row 2") in text
    assert "pair_costs.csv, row 4, column 'manager_id': got 'M09'; unknown manager" in text
    assert "pair_costs.csv, row 5, column 'cost': got '-1'; must be a number >= 0" in text
    assert "managers.csv, row 2, column 'min_hours'" in text and "is more than the manager's " \
        "capacity_hours" in text
    out = tmp_path / "out"
    assert main(["plan", str(folder), "--out", str(out)]) == 2
    assert "min_hours" in capsys.readouterr().err and not out.exists()


def test_a_minimum_no_plan_can_reach_is_explained_before_solving(tmp_path, capsys):
    case = two_accounts(min_hours=150)  # A and B bring 110 h at most
    with pytest.raises(InfeasibleError) as err:
        kamopt.plan(case, ONE_LEVEL)
    assert str(err.value).count("short by 40") == 1
    assert "manager M1's minimum workload (min_hours) needs at least 150 h a year; the 2 " \
        "accounts M1 may lead bring at most 110 h" in str(err.value)
    # the default levels go up to 1.5 x kam_hours: 165 h at most
    folder = save_case(two_accounts(min_hours=170), tmp_path / "case")
    assert main(["plan", str(folder), "--out", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert "needs at least 170 h a year; the 2 accounts M1 may lead bring at most 165 h (short " \
        "by 5)" in err and "Traceback" not in err
    # capacity_scale can push the capacity below the minimum
    with pytest.raises(InfeasibleError, match="capacity_scale 0.5 leaves 100 h of capacity"):
        kamopt.plan(two_accounts(min_hours=105), ONE_LEVEL.replace(capacity_scale=0.5))


def test_a_minimum_in_conflict_with_another_rule_is_named_by_the_solver():
    # 100 h need both accounts; max_key_accounts allows one
    with pytest.raises(InfeasibleError) as err:
        kamopt.plan(two_accounts(min_hours=100), ONE_LEVEL.replace(max_key_accounts=1))
    assert "the managers' minimum workloads" in str(err.value)
    assert "the number of key accounts" in str(err.value)


def with_pair_costs_and_minimums(case, seed):
    """Random travel costs for half the pairs, and each manager busy to 60% at least."""
    rng = np.random.default_rng(seed)
    pairs = [(i, j) for i in case.customers.index for j in case.managers.index]
    pick = rng.random(len(pairs)) < 0.5
    pc = pd.DataFrame([dict(customer_id=i, manager_id=j, cost=float(rng.integers(0, 40)) * 250)
                       for (i, j), on in zip(pairs, pick, strict=True) if on])
    m = case.managers.copy()
    m["min_hours"] = (0.6 * m["capacity_hours"]).round()
    return kamopt.Case(case.customers, m, case.activities, case.departments, case.responses,
                       source=case.source, pair_costs=pc)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_one_year_mid_term_plan_keeps_them_as_the_one_year_plan_does(seed):
    case = with_pair_costs_and_minimums(make_case(customers=25, managers=4, seed=seed), seed)
    sc = Scenario(mip_gap=0.0, time_limit=3600, continuity_bonus=500.0)  # the clock far away
    one = kamopt.plan(case, sc)
    one.verify()
    assert (one.managers["hours_used"] >= one.managers["min_hours"] - 1e-6).all()
    assert one.kpis["cost_pairs"] > 0
    mp = plan_midterm(case, sc, 1, NO_TARGETS, assumptions=MidtermAssumptions.neutral(sc),
                      capacity_by_year=NO_CAPACITY)
    assert mp.status == "optimal"
    assert mp.objective == pytest.approx(one.objective, rel=1e-6)
    first = mp.accounts[mp.accounts["year"] == 2027].set_index("customer_id")
    assert first["cost"].sum() == pytest.approx(one.kpis["cost"], rel=1e-6)


def test_a_two_year_plan_keeps_each_years_minimum_but_not_beyond_a_leavers_capacity():
    case = with_pair_costs_and_minimums(make_case(customers=20, managers=4, seed=3), 3)
    leaver = case.managers.index[1]
    capacity = pd.DataFrame({"manager_id": [leaver], "year": [2028], "capacity_hours": [0.0]})
    sc = Scenario(mip_gap=0.01, time_limit=60)
    mp = plan_midterm(case, sc, 2, NO_TARGETS, assumptions=MidtermAssumptions(years=2),
                      capacity_by_year=capacity)
    acc = mp.accounts[mp.accounts["key_account"] == 1]
    used = acc.groupby(["manager_id", "year"])["hours"].sum()
    for j, least in case.managers["min_hours"].items():
        for year in (2027, 2028):
            cap = 0.0 if (j, year) == (leaver, 2028) else case.managers.at[j, "capacity_hours"]
            assert used.get((j, year), 0.0) >= min(least, cap) - 1e-6
    assert used.get((leaver, 2028), 0.0) == 0.0


def test_the_large_case_route_keeps_them(monkeypatch):
    planner = sys.modules["kamopt.planning.oneyear"]
    case = with_pair_costs_and_minimums(make_case(customers=60, managers=6, seed=5), 5)
    sc = Scenario(mip_gap=0.0, time_limit=3600)  # the clock far away: exact is proven
    exact = kamopt.plan(case, sc)
    monkeypatch.setattr(planner, "PRICING_THRESHOLD", 100)
    priced = planner.plan(case, sc.replace(mip_gap=0.01))
    assert "priced" in priced.solution.message
    priced.verify()
    assert priced.objective <= exact.objective + 1e-6
    assert priced.objective >= exact.objective - 0.01 * abs(exact.objective) - 1e-6
    assert priced.kpis["bound"] >= exact.objective - 1e-6


def test_check_lists_minimums_and_pair_costs(tmp_path, capsys):
    folder = save_case(with_pair_costs_and_minimums(make_case(customers=12, managers=3, seed=2),
                                                    2), tmp_path / "case")
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    least = load_case(folder).managers["min_hours"].sum()
    assert f"KAM hours min.   {least:>14,.4g} h at least (min_hours of 3 managers)" in out
    assert "(customer, manager) pairs with a cost (pair_costs.csv)" in out
    assert main(["check", str(Path(__file__).resolve().parents[1] / "data" / "sample")]) == 0
    assert "min_hours" not in capsys.readouterr().out


@pytest.mark.parametrize("where, dialect", [("case.xlsx", "plain"), ("de", "excel-de")])
def test_a_workbook_and_german_csv_carry_both(tmp_path, where, dialect):
    case = with_pair_costs_and_minimums(make_case(customers=12, managers=3, seed=4), 4)
    back = load_case(save_case(case, tmp_path / where, dialect=dialect))
    assert back == case
    assert len(back.pair_costs) == len(case.pair_costs) > 0


def test_the_explorers_session_agrees_with_plan_and_frees_a_leavers_minimum():
    from kamopt.analysis.session import PlanSession, explorer_scenario

    case = with_pair_costs_and_minimums(make_case(customers=40, managers=5, seed=6), 6)
    session = PlanSession(case)
    for changes in ({}, {"capacity_scale": 0.9}, {"unavailable_managers": ("M02",)},
                    {"budget": 4e5}):
        sc = explorer_scenario(mip_gap=0.0, **changes)
        fast = session.solve(sc)
        fast.verify()
        assert fast.objective == pytest.approx(kamopt.plan(case, sc).objective, rel=1e-9), changes


def test_a_mid_term_plan_that_cannot_be_met_does_not_blame_a_leavers_minimum():
    case = with_pair_costs_and_minimums(make_case(customers=20, managers=4, seed=3), 3)
    leaver = case.managers.index[1]
    capacity = pd.DataFrame({"manager_id": [leaver], "year": [2028], "capacity_hours": [0.0]})
    sc = Scenario(mip_gap=0.01, time_limit=30, max_key_accounts=2)  # too few for the minimums
    with pytest.raises(InfeasibleError) as err:
        plan_midterm(case, sc, 2, NO_TARGETS, assumptions=MidtermAssumptions(years=2),
                     capacity_by_year=capacity)
    text = str(err.value)
    assert "leaves 0 h of capacity" not in text
    assert "managers' minimum workloads" in text


def hires_case():
    """Two accounts, two managers with full diaries and travel costs: A near M1, B near M2."""
    customers = [dict(customer_id="A", revenue=0, margin=0.1, potential=300_000, kam_hours=70),
                 dict(customer_id="B", revenue=0, margin=0.1, potential=300_000, kam_hours=70)]
    managers = [dict(manager_id="M1", capacity_hours=70, hourly_cost=100),
                dict(manager_id="M2", capacity_hours=10, hourly_cost=100)]
    travel = [dict(customer_id="A", manager_id="M1", cost=200),
              dict(customer_id="A", manager_id="M2", cost=1_800),
              dict(customer_id="B", manager_id="M1", cost=2_000),
              dict(customer_id="B", manager_id="M2", cost=400)]
    return tiny_case(customers, managers, pair_costs=travel)


def test_a_hire_costs_each_account_its_average_pair_cost_or_a_named_managers():
    from kamopt.case.scenario import Hire

    case = hires_case()  # M1 leads A; B (net 9,000 - 7,000 EUR) waits for a hire
    alone = kamopt.plan(case, ONE_LEVEL)
    assert alone.accounts["manager_id"].to_dict() == {"A": "M1", "B": ""}
    hire = Hire(count=1, seniority=1, capacity_hours=100, hourly_cost=100)
    p = kamopt.plan(case, ONE_LEVEL.replace(hires=(hire,)))
    assert p.accounts.loc["B", "manager_id"] == "NEW1"
    # B's pair costs 2,000 EUR with M1 and 400 with M2: a hire pays their average, not 0
    assert p.accounts.loc["B", "cost_pair"] == pytest.approx(1_200)
    assert p.objective == pytest.approx(alone.objective + 9_000 - 7_000 - 1_200)
    p.verify()
    assert brute_force(case, ONE_LEVEL.replace(hires=(hire,))) == pytest.approx(p.objective)
    # a hire in M2's office has M2's costs
    near = kamopt.plan(case, ONE_LEVEL.replace(hires=(replace(hire, pair_costs_from="M2"),)))
    assert near.accounts.loc["B", "cost_pair"] == pytest.approx(400)
    near.verify()
    # one in M1's office does not pay for B (2,000 EUR of travel exceed its 2,000 EUR net)
    far = kamopt.plan(case, ONE_LEVEL.replace(hires=(replace(hire, pair_costs_from="M1"),)))
    assert far.accounts.loc["B", "key_account"] == 0
    # verify recomputes the hire's pair cost: a plan claiming B's travel for free is refused
    assert any("objective" in m for m in verify_plan(p.accounts, case, p.scenario,
                                                    p.objective + 1_200))
    assert verify_plan(p.accounts, case, p.scenario, p.objective) == []


def test_a_hire_named_after_no_manager_is_refused(tmp_path, capsys):
    from kamopt.case.scenario import Hire

    sc = ONE_LEVEL.replace(name="office", hires=(Hire(pair_costs_from="M9"),))
    with pytest.raises(kamopt.errors.ScenarioError, match=r"hires.pair_costs_from.*'M9'.*not a manager"):
        kamopt.plan(hires_case(), sc)
    folder = save_case(hires_case(), tmp_path / "case")
    (tmp_path / "s.yml").write_text("name: office\nhires:\n  - {count: 1, pair_costs_from: M9}\n")
    assert main(["plan", str(folder), "--scenario", str(tmp_path / "s.yml"),
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "column 'hires.pair_costs_from': got 'M9'; is not a manager of the case" in err
    assert not (tmp_path / "out").exists()


def test_the_plan_and_the_frontier_say_what_a_hires_pair_costs_are(tmp_path, capsys):
    folder = save_case(hires_case(), tmp_path / "case")
    (tmp_path / "s.yml").write_text("name: office\nhires:\n  - {count: 2, seniority: 1}\n"
                                    "  - {count: 1, seniority: 1, pair_costs_from: M2}\n")
    assert main(["plan", str(folder), "--scenario", str(tmp_path / "s.yml"),
                 "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert ("Hires NEW1, NEW2: pair_costs.csv cannot list them, so each account costs them its "
            "average over the case's 2 managers") in out
    assert "Hire NEW3 has the pair costs of M2" in out
    import json
    notes = json.loads((tmp_path / "out" / "summary.json").read_text())["notes"]
    assert any("NEW3 has the pair costs of M2" in n for n in notes)
    assert main(["frontier", str(folder), "--max-hires", "1"]) == 0
    assert "costs the account's average over the case's 2 managers" in capsys.readouterr().out
    assert main(["frontier", str(folder), "--max-hires", "1", "--pair-costs-from", "M2"]) == 0
    assert "Hires have the pair costs of M2" in capsys.readouterr().out


@pytest.mark.parametrize("office, travel", [("", 1_200), ("M2", 400)])
def test_a_mid_term_hire_profile_has_the_average_or_a_named_managers_pair_costs(office, travel):
    from kamopt.case.assumptions import HireProfile
    from kamopt.planning.midterm_outputs import midterm_notes

    profile = HireProfile(name="kam", seniority=1, capacity_hours=100, cost_per_year=0,
                          hourly_cost=100, ramp_up=1.0, max_hires=1, pair_costs_from=office)
    a = MidtermAssumptions.neutral(ONE_LEVEL, years=2, hire_profiles=(profile,))
    mp = plan_midterm(hires_case(), ONE_LEVEL, 2, NO_TARGETS, assumptions=a,
                      capacity_by_year=NO_CAPACITY)
    b = mp.accounts[mp.accounts["customer_id"] == "B"]
    assert (b["manager_id"] == "HIRE-kam-1").all()
    assert b["cost"].tolist() == pytest.approx([7_000 + travel] * 2)
    note = midterm_notes(mp)[-1]
    assert note == ("Hire profile 'kam' has the pair costs of M2" if office else
                    "Hire profile 'kam': each account costs a hire its average pair cost over the "
                    "case's 2 managers (set 'pair_costs_from' to a manager whose costs it should "
                    "have)")
    with pytest.raises(kamopt.errors.ScenarioError, match=r"hire_profiles\[kam\].pair_costs_from"):
        plan_midterm(hires_case(), ONE_LEVEL, 2, NO_TARGETS, capacity_by_year=NO_CAPACITY,
                     assumptions=a.replace(hire_profiles=(replace(profile, pair_costs_from="X"),)))


def test_a_hire_named_by_a_numeric_id_in_yaml_is_read_as_that_id(tmp_path):
    from kamopt.case.assumptions import MidtermAssumptions as MA

    (tmp_path / "s.yml").write_text("hires:\n  - {count: 1, pair_costs_from: 7}\n")
    assert Scenario.from_yaml(tmp_path / "s.yml").hires[0].pair_costs_from == "7"
    (tmp_path / "m.yml").write_text("hire_profiles:\n  - {name: kam, pair_costs_from: 7}\n")
    assert MA.from_yaml(tmp_path / "m.yml").hire_profiles[0].pair_costs_from == "7"
    (tmp_path / "b.yml").write_text("hires:\n  - {count: 1, pair_costs_from: [M1]}\n")
    with pytest.raises(kamopt.errors.ScenarioError, match="must be a manager_id of the case"):
        Scenario.from_yaml(tmp_path / "b.yml")
