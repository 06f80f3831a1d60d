"""One rule, one place: change a rule's data and every consumer follows.

The rules are written once (kamopt.model.rules) over a year axis; the one-year and
the mid-term model, the rules of thumb, the explorer's provisional plan and the
pre-checks all read the same prepared capacities. Each test tightens one capacity
in the case so that it binds (the plan made without the change breaks it), then
checks every consumer's plan against the changed case with the independent
verifiers (kamopt.planning.oneyear.verify_plan, kamopt.planning.midterm.verify_midterm).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from kamopt.case.sample import make_case
from kamopt.case.scenario import Scenario
from kamopt.errors import InfeasibleError
from kamopt.model.oneyear import build
from kamopt.model.prepare import prepare
from kamopt.model.rules import RuleBuilder, per_year
from kamopt.planning.oneyear import plan, verify_plan

SCENARIO = Scenario(mip_gap=0.0)


@pytest.fixture(scope="module")
def case():
    return make_case(customers=40, managers=4, seed=2)


def _department_use(p) -> pd.Series:
    acts = p.case.activities
    ids = [k for cell in p.accounts["activities"].astype(str) for k in cell.split(";") if k]
    return acts.loc[ids].groupby("department")["dept_hours"].sum() if ids else pd.Series(
        dtype=float)


def _tighter_department(case, base):
    """The case with the department the base plan uses most cut to half its use."""
    use = _department_use(base)
    dep = use.idxmax()
    deps = case.departments.copy()
    deps.loc[dep, "capacity_hours"] = float(use[dep]) / 2
    return dataclasses.replace(case, departments=deps), dep


def _tighter_manager(case, base):
    """The case with the busiest manager's hours cut to half what the base plan gives him."""
    used = base.managers["hours_used"]
    j = used.idxmax()
    mg = case.managers.copy()
    mg.loc[j, "capacity_hours"] = float(used[j]) / 2
    return dataclasses.replace(case, managers=mg), j


def _consumers(case2):
    """Every consumer's plan of the changed case: (name, plan)."""
    from kamopt.analysis.baselines import rule_of_thumb
    from kamopt.analysis.session import PlanSession

    best = plan(case2, SCENARIO)
    out = [("kamopt.plan", best)]
    for rule in ("revenue", "potential", "today"):  # as many accounts as the plan, or more
        n = None if rule == "today" else int(best.kpis["key_accounts"]) + 5
        out.append((f"rule of thumb by {rule}", rule_of_thumb(case2, SCENARIO, rule, n)))
    session = PlanSession(case2)
    quick = session.quick(SCENARIO)
    if quick is not None:
        out.append(("the explorer's provisional plan", quick))
    out.append(("the explorer's refined plan", session.solve(SCENARIO)))
    return out


@pytest.mark.parametrize("tighten", [_tighter_department, _tighter_manager],
                         ids=["department capacity", "manager capacity"])
def test_every_consumer_follows_a_changed_capacity(case, tighten):
    base = plan(case, SCENARIO)
    case2, what = tighten(case, base)
    # the change binds: the plan made without it breaks it
    assert verify_plan(base.accounts, case2, SCENARIO, base.objective), what
    for name, p in _consumers(case2):
        assert not verify_plan(p.accounts, case2, SCENARIO, p.objective), name
    # the mid-term plan over two years, each year within the changed capacity
    from kamopt.case.assumptions import MidtermAssumptions
    from kamopt.planning.midterm import plan_midterm, verify_midterm

    mp = plan_midterm(case2, SCENARIO.replace(mip_gap=0.01),
                      assumptions=MidtermAssumptions.neutral(SCENARIO).replace(years=2))
    assert verify_midterm(mp) == []


def test_the_precheck_follows_a_changed_department_capacity(case):
    """A committed activity needing more of a department than it has is diagnosed before
    any model is built, from the same capacity the model uses."""
    from kamopt.planning.diagnose import precheck

    acts = case.activities[case.activities["department"].astype(str) != ""]
    k = acts.index[0]
    dep = acts.at[k, "department"]
    cid = case.customers.index[0]
    sc = SCENARIO.replace(committed_activities=((cid, k),), must=(cid,))
    precheck(case, sc)  # fits as it is
    deps = case.departments.copy()
    deps.loc[dep, "capacity_hours"] = float(acts.at[k, "dept_hours"]) / 2
    with pytest.raises(InfeasibleError, match=dep):
        precheck(dataclasses.replace(case, departments=deps), sc)


def test_the_one_year_model_is_the_rules_over_one_year(case):
    """Every row block of the one-year model is a shared rule; over T years the same
    rule has T times the rows, with the same bounds per year."""
    d = prepare(case, SCENARIO.replace(budget=5e6, max_key_accounts=30))
    one = build(d).lp
    assert set(one.rows) <= {"key_account", "level_lead", "lead", "activity_lead",
                             "activity_with_lead", "activity_hours", "capacity", "min_workload",
                             "activity_for_key_account", "department", "budget",
                             "key_account_count"}
    from kamopt.case.assumptions import MidtermAssumptions
    from kamopt.model.midterm import build_midterm

    empty = pd.DataFrame({"manager_id": pd.Series(dtype=str), "year": pd.Series(dtype=int),
                          "capacity_hours": pd.Series(dtype=float)})
    targets = pd.DataFrame({"year": pd.Series(dtype=int), "scope": pd.Series(dtype=str),
                            "order_intake": pd.Series(dtype=float)})
    a = MidtermAssumptions.neutral(d.scenario).replace(years=3)
    mm = build_midterm(case, d.scenario, a, 3, targets, empty)
    arr1, arr3 = one.arrays(), mm.lp.arrays()
    for name in ("department", "budget", "key_account_count"):
        b1, b3 = one.rows[name], mm.lp.rows[name]
        assert b3.size == 3 * b1.size, name
        np.testing.assert_array_equal(np.tile(arr1["row_hi"][b1.slice], 3),
                                      arr3["row_hi"][b3.slice], err_msg=name)


def test_per_year_labels():
    frame = pd.DataFrame({"manager_id": ["M1", "M2"]})
    assert per_year(frame, None).to_dict("list") == {"manager_id": ["M1", "M2"], "t": [0, 0]}
    two = per_year(frame, [2027, 2028])
    assert two["t"].tolist() == [0, 0, 1, 1] and two["year"].tolist() == [2027, 2027, 2028, 2028]
    assert all(callable(getattr(RuleBuilder, rule)) for rule in RuleBuilder.SHARED)
