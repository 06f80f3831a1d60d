"""Golden result: the sample company under the base scenario.

The reference objective was found with HiGHS at mip_gap 1e-3 and its dual bound
(tests/golden/sample_base.json). Any correct solve at the scenario's gap lies
within that gap of the true optimum, so two correct solves differ by at most
twice the gap; a change to the model or the data that moves the optimum
further fails here.
"""

import json
from pathlib import Path

import pytest

from kamopt import Scenario, load_case, plan

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = json.loads((ROOT / "tests" / "golden" / "sample_base.json").read_text())


@pytest.fixture(scope="module")
def base_plan():
    case = load_case(ROOT / "data" / "sample")
    return case, plan(case, Scenario.from_yaml(ROOT / "data" / "scenarios" / "base.yml"))


def test_sample_base_plan_matches_the_golden_optimum(base_plan):
    case, p = base_plan
    gap = p.scenario.mip_gap
    assert p.status == "optimal"
    assert p.objective == pytest.approx(GOLDEN["objective"], rel=2 * gap)
    # the true optimum lies between the best plan and the proven bound
    assert p.objective <= GOLDEN["bound"] * (1 + 1e-9)
    assert GOLDEN["objective"] <= p.kpis["bound"] * (1 + 1e-9)
    assert abs(p.kpis["key_accounts"] - GOLDEN["key_accounts"]) <= 5
    p.verify()


def test_sample_base_plan_keeps_the_business_rules(base_plan):
    case, p = base_plan
    acc = p.accounts
    must = case.customers.index[case.customers["status"] == "must"]
    excl = case.customers.index[case.customers["status"] == "exclude"]
    assert set(must) <= set(p.key_accounts)
    assert not set(excl) & set(p.key_accounts)
    assert (p.managers["utilisation"] <= 1 + 1e-9).all()
    assert (p.departments["utilisation"] <= 1 + 1e-9).all()
    ka = acc[acc["key_account"] == 1]
    assert ka["manager_id"].ne("").all()
    # executives lead some accounts: top management serves key accounts too
    assert p.kpis["executive_accounts"] >= 1
