"""Coverage levels fixed and activities committed by a scenario (``coverage``,
``committed_activities``): what is done for an account, decided by the user."""

from __future__ import annotations

import pandas as pd
import pytest

from kamopt.analysis.explain import explain
from kamopt.case.io import save_case
from kamopt.case.sample import make_case
from kamopt.case.scenario import Level, Scenario
from kamopt.cli import main
from kamopt.errors import InfeasibleError, ScenarioError
from kamopt.model.prepare import scenario_notes
from kamopt.planning.oneyear import plan, verify_plan
from kamopt.testing import assert_plan_sound, brute_force, tiny_case

LEVELS = (Level("light", 0.5, 0.6), Level("standard", 1.0, 1.0))


@pytest.fixture(scope="module")
def case():
    return make_case(customers=40, managers=5, seed=3)


@pytest.fixture(scope="module")
def free(case):
    return plan(case, Scenario(mip_gap=0.0))


def _tiny():
    """One customer, one manager and an activity that never pays (value 300, cost 5,000)."""
    customers = [dict(customer_id="A", revenue=1e5, margin=0.3, potential=1e5, kam_hours=100,
                      industry="Auto"),
                 dict(customer_id="B", revenue=1e4, margin=0.1, potential=1e3, kam_hours=100)]
    managers = [dict(manager_id="M1", capacity_hours=400, hourly_cost=20, industries="Auto")]
    activities = [dict(activity_id="X", kind="development", cost=5000, kam_hours=10,
                       uplift=0.01, department="RD", dept_hours=50)]
    return tiny_case(customers, managers, activities, [dict(department="RD", capacity_hours=60)])


# ------------------------------------------------------------------ reading
def test_coverage_and_commitments_are_read_from_yaml_and_written_back(tmp_path):
    f = tmp_path / "deal.yml"
    f.write_text("coverage:\n  K0051: intensive\n  7: light\n"
                 "committed_activities:\n  K0051: [A05, A02]\n  K0002: A03\n")
    sc = Scenario.from_yaml(f)
    assert sc.coverage == (("K0051", "intensive"), ("7", "light"))
    assert sc.committed_of == {"K0051": ("A05", "A02"), "K0002": ("A03",)}
    assert sc.fixed_accounts == ("K0051", "7", "K0002")
    assert Scenario.from_dict(sc.to_dict()) == sc
    assert Scenario(coverage={"K1": "light"}, committed_activities={"K1": "X"}).committed_of \
        == {"K1": ("X",)}


@pytest.mark.parametrize("data, message", [
    ({"coverage": ["K0051", "light"]}, r"column 'coverage': .*must map customer ids to level"),
    ({"coverage": {"K0051": None}}, r"column 'coverage': .*is not a pair of ids"),
    ({"committed_activities": {"K0051": [{"A05": 1}]}}, r"column 'committed_activities': .*"
                                                        r"not an id and a list of ids"),
    ({"coverage": {"K1": "light"}, "exclude": ["K1"]}, r"coverage.K1.*cannot be 'exclude' too"),
    ({"committed_activities": {"K1": ["X"]}, "exclude": ["K1"]},
     r"committed_activities.K1.*cannot be 'exclude' too"),
])
def test_malformed_coverage_or_commitments_are_refused_with_the_key(data, message):
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_dict(data)


# --------------------------------------------------------------- the plan
def test_a_committed_activity_runs_though_it_does_not_pay_and_brute_force_agrees():
    case = _tiny()
    free = plan(case, Scenario(levels=LEVELS, mip_gap=0.0))
    assert free.accounts.at["A", "activities"] == ""  # X costs more than it earns
    sc = Scenario(levels=LEVELS, mip_gap=0.0, coverage={"A": "light"},
                  committed_activities={"B": ["X"]})
    p = plan(case, sc)
    assert p.accounts.loc["A", ["key_account", "level"]].tolist() == [1, "light"]
    assert p.accounts.loc["B", ["key_account", "activities"]].tolist() == [1, "X"]
    assert p.objective == pytest.approx(brute_force(case, sc))
    # by hand: A light: 0.3 x (0.3 x 0.6 x 1e5 + 0.05 x 1e5 + 0.1 x 0.3 x 1e5) - 20 x 50
    a = 0.3 * (0.3 * 0.6 * 1e5 + 0.05 * 1e5 + 0.1 * 0.3 * 1e5) - 20 * 50
    # B at its best level, and X: 0.1 x 0.01 x 1e3 - 5,000 - 20 x 10
    b = max(0.1 * (0.3 * rho * 1e3 + 0.05 * 1e4) - 20 * 100 * phi for phi, rho in
            ((0.5, 0.6), (1.0, 1.0))) + 0.1 * 0.01 * 1e3 - 5000 - 20 * 10
    assert p.objective == pytest.approx(a + b)
    assert_plan_sound(p)


def test_fixing_a_level_and_committing_activities_keeps_them_at_a_price(case, free):
    acc = free.accounts
    cid = acc.index[(acc["key_account"] == 1) & (acc["level"] != "intensive")][0]
    out = acc.index[acc["key_account"] == 0][0]
    k = next(a for a in case.activities.index if a not in acc.at[cid, "activities"].split(";"))
    sc = Scenario(mip_gap=0.0, coverage={cid: "intensive"}, committed_activities={cid: [k],
                                                                               out: [k]})
    p = plan(case, sc)
    assert p.accounts.at[cid, "level"] == "intensive"
    for c in (cid, out):
        assert p.accounts.at[c, "key_account"] == 1
        assert k in p.accounts.at[c, "activities"].split(";")
    assert p.objective <= free.objective + 1e-6
    notes = " ".join(scenario_notes(case, sc))
    assert f"fixes the coverage of 1 account: {cid} intensive" in notes
    assert f"commits activities for 2 accounts: {cid} {k}, {out} {k}" in notes
    why = explain(p)
    assert "its coverage level and its activities fixed by the user" in why.at[cid, "why"]
    assert f"at intensive (fixed by the scenario); runs {k} (committed by the scenario)" \
        in why.at[cid, "why"]


def test_verify_refuses_a_plan_that_changes_a_fixed_level_or_drops_a_commitment(case, free):
    acc = free.accounts
    cid = acc.index[acc["key_account"] == 1][0]
    level = acc.at[cid, "level"]
    other = next(lv for lv in Scenario().level_names if lv != level)
    problems = verify_plan(acc, case, Scenario(mip_gap=0.0, coverage={cid: other}),
                           free.objective)
    assert f"{cid} has level '{level}', but the scenario fixes its coverage to '{other}'" \
        in problems
    k = next(a for a in case.activities.index if a not in acc.at[cid, "activities"].split(";"))
    problems = verify_plan(acc, case, Scenario(committed_activities={cid: [k]}), free.objective)
    assert problems == [f"{cid} does not run {k}, which the scenario commits"]


# ------------------------------------------------------ what cannot be met
def test_committed_activities_beyond_a_department_are_explained_with_the_shortfall():
    case = _tiny()
    with pytest.raises(InfeasibleError, match=r"the 2 activities the scenario commits for 2 "
                       r"accounts in RD need at least 100 h of RD; RD has 60 h for key-account "
                       r"projects \(short by 40\)"):
        plan(case, Scenario(levels=LEVELS, committed_activities={"A": ["X"], "B": ["X"]}))
    # A at the lightest level (50 h) and X (10 h) at 20 EUR/h, and X's 5,000 EUR
    with pytest.raises(InfeasibleError, match=r"the 'must' account needs at least 6,200 EUR a "
                       r"year of KAM cost and committed activities; the budget is 5,000 EUR"):
        plan(case, Scenario(levels=LEVELS, committed_activities={"A": ["X"]}, budget=5000))


def test_a_fixed_level_beyond_the_fixed_lead_is_explained():
    case = _tiny()
    case.managers.loc["M1", "capacity_hours"] = 80.0
    with pytest.raises(InfeasibleError, match=r"'must' account A \(tier 1\) alone needs at least "
                       r"100 h of one manager's year"):
        plan(case, Scenario(levels=LEVELS, coverage={"A": "standard"}))
    assert plan(case, Scenario(levels=LEVELS, coverage={"A": "light"})).accounts.at[
        "A", "level"] == "light"


# ----------------------------------------------------- session, mid-term, CLI
def test_the_explorer_session_keeps_levels_and_commitments_like_plan(case, free):
    from kamopt.analysis.session import PlanSession, explorer_scenario

    acc = free.accounts
    cid = acc.index[acc["key_account"] == 1][1]
    out = acc.index[acc["key_account"] == 0][1]
    session = PlanSession(case)
    session.solve(explorer_scenario(mip_gap=0.0))
    for sc in (explorer_scenario(mip_gap=0.0, coverage={cid: "light"}),
               explorer_scenario(mip_gap=0.0, committed_activities={out: [case.activities.index[-1]]}),
               explorer_scenario(mip_gap=0.0)):
        p = session.solve(sc)
        assert p.objective == pytest.approx(plan(case, sc).objective, rel=1e-9)
        p.verify()


def test_the_midterm_plan_keeps_levels_and_commitments_in_every_year(case, free):
    from kamopt.case.assumptions import MidtermAssumptions
    from kamopt.planning.midterm import plan_midterm
    from kamopt.planning.midterm_outputs import midterm_notes

    acc = free.accounts
    cid = acc.index[acc["key_account"] == 1][0]
    k = case.activities.index[0]
    sc = Scenario(mip_gap=0.01, time_limit=30, coverage={cid: "light"},
                  committed_activities={cid: [k]})
    mp = plan_midterm(case, sc, assumptions=MidtermAssumptions(years=2, start_year=2027),
                      targets=None)
    rows = mp.accounts[mp.accounts["customer_id"] == cid]
    assert rows["level"].tolist() == ["light", "light"]
    assert all(k in a.split(";") for a in rows["activities"])
    assert f"fixes the coverage of 1 account: {cid} light" in " ".join(midterm_notes(mp))
    mp.verify()


def test_the_command_line_plans_with_commitments_and_refuses_bad_ones(case, free, tmp_path,
                                                                      capsys):
    folder = save_case(case, tmp_path / "case")
    acc = free.accounts
    out = acc.index[acc["key_account"] == 0][0]
    k = case.activities.index[0]
    sc = tmp_path / "deal.yml"
    sc.write_text(f"name: deal\nmip_gap: 0.0\ncoverage:\n  {out}: light\n"
                  f"committed_activities:\n  {out}: [{k}]\n")
    assert main(["plan", str(folder), "--scenario", str(sc), "--out", str(tmp_path / "r"),
                 "--excel"]) == 0
    printed = capsys.readouterr().out
    assert f"commits activities for 1 account: {out} {k}" in printed
    import openpyxl

    sheet = {key: value for _meaning, key, value in openpyxl.load_workbook(
        tmp_path / "r" / "plan.xlsx")["Scenario"].iter_rows(min_row=2, values_only=True)}
    assert (sheet["coverage"], sheet["committed_activities"]) == (f"{out}: light", f"{out}: {k}")
    assert sheet["leads"] == "none"
    rows = pd.read_csv(tmp_path / "r" / "plan.csv", dtype=str).set_index("customer_id")
    assert rows.loc[out, ["key_account", "level", "activities"]].tolist() == ["1", "light", k]
    sc.write_text(f"name: bad\ncoverage:\n  {out}: intensiv\n"
                  f"committed_activities:\n  {out}: [{k}, X99]\n  K9999: [{k}]\n")
    assert main(["plan", str(folder), "--scenario", str(sc), "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert f"column 'coverage.{out}': got 'intensiv'; unknown coverage level; must be one of " \
        "'light', 'standard', 'intensive'" in err and "did you mean 'intensive'?" in err
    assert f"column 'committed_activities.{out}': got 'X99'; unknown activity" in err
    assert "column 'committed_activities.K9999': got 'K9999'; unknown customer" in err
    assert not (tmp_path / "b").exists() and "Traceback" not in err


def test_what_each_accounts_decisions_cost_agrees_with_brute_force(tmp_path, capsys):
    from kamopt.analysis.sensitivity import lead_costs

    case = _tiny()
    sc = Scenario(name="deal", levels=LEVELS, mip_gap=0.0, coverage={"A": "standard"},
                  committed_activities={"B": ["X"]}, leads={"A": "M1"})
    lc = lead_costs(case, sc)
    with_all = brute_force(case, sc)
    assert lc.plan.objective == pytest.approx(with_all)
    expect = {"all": brute_force(case, Scenario(levels=LEVELS)),
              "A": brute_force(case, sc.replace(leads=(), coverage=())),
              "B": brute_force(case, sc.replace(committed_activities=()))}
    table = lc.table.set_index("without")
    for key, best in expect.items():
        assert table.at[key, "cost"] == pytest.approx(best - with_all, abs=1e-6)
    assert table.at["A", "decisions"] == "led by M1, at standard"
    assert table.at["B", "decisions"] == "running X" and table.at["B", "proven"]
    text = lc.summary_text()
    assert text.startswith("What the fixed decisions of scenario 'deal' cost")
    assert "without B running X:" in text and "with the fixed decisions on both accounts" in text
    folder = save_case(case, tmp_path / "case")
    f = tmp_path / "deal.yml"
    f.write_text("name: deal\nmip_gap: 0\ncommitted_activities:\n  B: [X]\n")
    assert main(["decision-costs", str(folder), "--scenario", str(f)]) == 0
    assert "without any of them:" in capsys.readouterr().out


def test_the_rules_of_thumb_run_the_committed_activities_too():
    from kamopt.analysis.baselines import baselines

    case = _tiny()
    sc = Scenario(levels=LEVELS, mip_gap=0.0, committed_activities={"B": ["X"]})
    rules = baselines(plan(case, sc))
    assert rules
    for rule in rules.values():
        rule.verify()  # the plan's own rules, the commitment among them
        assert rule.accounts.at["B", "activities"] == "X"
