"""Large cases (the priced route, kamopt.solve.pricing) are planned by work budgets: the same
case gives the same plan.csv on a quiet and on a busy machine; the clock is only a safety
net, and a plan it stopped says so."""

import subprocess
import sys

import pytest

from kamopt.case.sample import make_case
from kamopt.case.scenario import Scenario
from kamopt.model.prepare import prepare
from kamopt.planning.oneyear import read_plan
from kamopt.planning.outputs import write_plan_outputs


@pytest.fixture
def priced(monkeypatch):
    """kamopt.plan with the priced route for every case, and small budgets (a quick test)."""
    import kamopt.solve.pricing as pricing

    planner = sys.modules["kamopt.planning.oneyear"]
    monkeypatch.setattr(planner, "PRICING_THRESHOLD", 100)
    monkeypatch.setattr(pricing, "NEIGHBOURHOODS", 8)
    monkeypatch.setattr(pricing, "NEIGHBOURHOOD_COLUMNS", 0)
    return planner


def _plan_csv(p, folder) -> bytes:
    write_plan_outputs(p, folder)
    return (folder / "plan.csv").read_bytes()


def test_a_priced_plan_is_the_same_on_a_busy_machine(priced, tmp_path):
    """Pricing rounds, the support MIP and the neighbourhood search, all at work budgets:
    with two processes burning both cores beside it, plan.csv is the same, byte for byte."""
    case = make_case(120, 8, seed=1)
    # the safety net: ~6 times the work's time on a quiet machine (~5 s), so the busy run stays
    # within it; the route as it was (shares of the clock) gave another plan.csv beside the
    # two burning processes with this limit
    scenario = Scenario(time_limit=30)
    quiet = priced.plan(case, scenario)
    assert "priced 636 of 756 pairs" in quiet.solution.message  # not every pair is in
    assert quiet.kpis["stopped_by"] in ("gap", "nodes")
    quiet.verify()
    burn = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        busy = priced.plan(case, scenario)
    finally:
        for b in burn:
            b.kill()
            b.wait()
    assert _plan_csv(busy, tmp_path / "busy") == _plan_csv(quiet, tmp_path / "quiet")
    assert (busy.objective, busy.kpis["bound"], busy.kpis["stopped_by"]) == (
        quiet.objective, quiet.kpis["bound"], quiet.kpis["stopped_by"])


def test_an_lp_round_over_its_iteration_budget_is_not_used_and_the_stop_is_work():
    """A round not finished within its simplex iterations: the plan comes from the customers'
    choices at Lagrangian prices, with a valid gap; the same plan twice, and no clock in it."""
    from kamopt.solve.pricing import solve_by_pricing

    d = prepare(make_case(customers=60, managers=6, seed=2), Scenario(mip_gap=0.001))
    runs = [solve_by_pricing(d, time_limit=600, mip_gap=0.001, lp_iterations=5,
                             neighbourhoods=5) for _ in range(2)]
    (km, sol), (_, again) = runs
    assert sol.ok and "did not finish within 5 simplex iterations" in sol.message
    assert sol.stopped_by in ("gap", "nodes") and "time limit" not in sol.message
    assert (again.values == sol.values).all() and again.bound == sol.bound
    read_plan(km, sol).verify()


def test_a_plan_the_safety_net_stopped_says_so():
    from kamopt.solve.pricing import solve_by_pricing

    d = prepare(make_case(customers=120, managers=8, seed=1), Scenario(mip_gap=0.0))
    km, sol = solve_by_pricing(d, time_limit=4, mip_gap=0.0, lp_share=0.0, neighbourhoods=2)
    assert sol.ok and sol.stopped_by == "time"
    assert "LP rounds stopped" in sol.message and "safety net" in sol.message
    read_plan(km, sol).verify()
