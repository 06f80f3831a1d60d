"""Pricing pairs in for large cases: the bound holds for the full model, the plan is sound."""

import numpy as np
import pytest

from kamopt.case.sample import make_case
from kamopt.case.scenario import Scenario
from kamopt.model.oneyear import build
from kamopt.model.prepare import prepare
from kamopt.planning.oneyear import read_plan
from kamopt.solve.backend import run_highs, solve
from kamopt.solve.pricing import full_size, initial_pairs, solve_by_pricing
from kamopt.solve.search import fix_and_solve, fixed_to, support_mip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_priced_plan_is_within_the_gap_of_the_full_optimum_and_its_bound_holds(seed):
    case = make_case(customers=70, managers=7, seed=seed)
    scenario = Scenario(mip_gap=0.01)
    d = prepare(case, scenario)
    full_km = build(d)
    full = solve(full_km.lp, time_limit=60, mip_gap=1e-6)
    full_lp = solve(full_km.lp, relax=True)
    assert full.status == "optimal"
    km, sol = solve_by_pricing(d, time_limit=30, mip_gap=0.01, k=2)
    assert sol.ok
    assert sol.objective <= full.objective * (1 + 1e-7) + 1e-6
    # the bound it reports is a bound of the *full* LP, hence of the full MIP
    assert sol.bound >= full_lp.objective * (1 - 1e-7) - 1e-6
    assert sol.bound >= full.objective
    if sol.status == "optimal":
        assert sol.objective >= full.objective / (1 + 0.01) - 1e-6
    p = read_plan(km, sol)
    p.verify()


def test_the_start_set_keeps_every_pair_of_must_accounts_and_k_per_customer():
    case = make_case(customers=40, managers=8, seed=4)
    d = prepare(case, Scenario())
    keep = initial_pairs(d, 2)
    per = d.pairs[keep].groupby("customer_id").size()
    must = case.customers.index[case.customers["status"] == "must"]
    for cid, n in per.items():
        total = int((d.pairs["customer_id"] == cid).sum())
        assert n == (total if cid in must else min(2, total))
    assert full_size(d) == len(build(d).g)


def test_plan_uses_pricing_for_large_cases_and_stays_sound(monkeypatch):
    import sys

    planner = sys.modules["kamopt.planning.oneyear"]
    monkeypatch.setattr(planner, "PRICING_THRESHOLD", 100)
    case = make_case(customers=60, managers=6, seed=5)
    p = planner.plan(case, Scenario(mip_gap=0.01, time_limit=30))
    assert "priced" in p.solution.message
    p.verify()
    assert np.isfinite(p.kpis["bound"]) and p.kpis["bound"] >= p.objective


def test_an_infeasible_large_case_is_still_explained(monkeypatch):
    import sys

    from kamopt.case.scenario import Level
    from kamopt.errors import InfeasibleError
    from kamopt.testing import tiny_case

    planner = sys.modules["kamopt.planning.oneyear"]
    monkeypatch.setattr(planner, "PRICING_THRESHOLD", 0)
    must = dict(revenue=1e6, margin=0.3, potential=1e6, kam_hours=200, status="must")
    case = tiny_case([dict(customer_id=c, **must) for c in "ABC"],
                     [dict(manager_id="M1", capacity_hours=150),
                      dict(manager_id="M2", capacity_hours=160)])
    with pytest.raises(InfeasibleError, match="manager capacity"):
        planner.plan(case, Scenario(levels=(Level("light", 0.5, 0.6),)))


def _small(seed, customers=60, managers=6):
    d = prepare(make_case(customers=customers, managers=managers, seed=seed), Scenario(mip_gap=0.01))
    km = build(d)
    return d, solve(km.lp, time_limit=60, mip_gap=1e-6), solve(km.lp, relax=True)


@pytest.mark.parametrize("seed", [1, 6])
def test_the_lagrangian_bound_holds_for_any_prices_and_the_search_tightens_it(seed):
    from kamopt.solve.pricing import _PairTable, lagrangian_bound

    d, full, full_lp = _small(seed)
    table = _PairTable(d)
    rng = np.random.default_rng(seed)
    for lam in (np.zeros(table.n_mgr), rng.uniform(0, 300, table.n_mgr)):
        bound = table.evaluate(lam, np.zeros(len(table.D)), 0.0)[0]
        assert bound >= full.objective - 1e-6
    lag = lagrangian_bound(d, time_limit=10)
    assert lag.bound >= full.objective - 1e-6
    assert lag.bound <= table.evaluate(np.zeros(table.n_mgr), np.zeros(len(table.D)), 0.0)[0]
    assert lag.bound <= full_lp.objective * 1.01  # close to the LP bound


def test_with_no_time_for_lp_rounds_a_verified_plan_comes_back_with_a_valid_gap():
    d, full, _ = _small(2)
    km, sol = solve_by_pricing(d, time_limit=4, mip_gap=0.001, lp_share=0.0)
    assert sol.ok and "LP rounds stopped" in sol.message
    assert sol.bound >= full.objective - 1e-6  # against a bound of the full model
    assert sol.gap == pytest.approx((sol.bound - sol.objective) / sol.objective)
    assert sol.objective <= full.objective + 1e-6
    read_plan(km, sol).verify()


def test_large_cases_also_try_the_lps_prices_on_every_pair_and_stay_sound(monkeypatch):
    import kamopt.solve.pricing as pricing

    monkeypatch.setattr(pricing, "LAGRANGIAN_PAIRS", 0)
    d, full, _ = _small(3)
    km, sol = solve_by_pricing(d, time_limit=20, mip_gap=0.01, k=2)
    assert sol.ok and sol.bound >= full.objective - 1e-6
    assert len(km.data.pairs) < len(d.pairs)  # priced, not everything
    if sol.status == "optimal":
        assert sol.gap <= 0.01 + 1e-9
    read_plan(km, sol).verify()


def test_an_lp_round_warm_started_from_the_last_basis_reaches_the_same_lp_optimum():
    from kamopt.solve.pricing import restrict, solve_lp, warm_basis

    d = prepare(make_case(customers=60, managers=6, seed=4), Scenario())
    first = initial_pairs(d, 1)
    km1 = build(restrict(d, first))
    lp1, basis = solve_lp(km1, 30)
    second = first | initial_pairs(d, 3)
    km2 = build(restrict(d, second))
    start = warm_basis(km1, first, basis, km2, second)
    assert start is not None and (start[1] == 1).sum() == km2.lp.n_rows - (start[0] == 1).sum()
    warm, _ = solve_lp(km2, 30, start)
    cold = solve(km2.lp, relax=True)
    assert warm.status == cold.status == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.objective >= lp1.objective - 1e-6


@pytest.mark.parametrize("seed", [1, 4])
def test_the_lps_support_gives_a_sound_plan_that_uses_only_what_the_lp_used(seed):
    d = prepare(make_case(customers=120, managers=8, seed=seed), Scenario())
    km = build(d)
    lp = solve(km.lp, relax=True)
    best = solve(km.lp, time_limit=60, mip_gap=1e-6)
    sol = support_mip(km, lp.values, time_limit=30, mip_gap=1e-6)
    assert sol.ok
    ints = km.lp.arrays()["integer"]
    # every integer decision the LP left at 0 stays 0
    assert np.all(sol.values[ints & (lp.values <= 1e-6)] < 0.5)
    # a plan of the full model: the same value with its decisions fixed, and no better
    # than the full optimum; the support keeps most of it (split accounts go whole somewhere)
    check = run_highs(fixed_to(km, sol.values), 10, 0)
    assert check.status == "optimal" and check.objective == pytest.approx(sol.objective)
    assert sol.objective <= best.objective * (1 + 1e-7) + 1e-6
    assert sol.objective >= 0.98 * best.objective  # measured: 0.990 and 0.995
    read_plan(km, sol).verify()


def test_without_the_support_start_relax_and_fix_still_gives_a_sound_priced_plan(monkeypatch):
    import kamopt.solve.pricing as pricing
    from kamopt.solve.backend import Solution

    tried = []

    def relax_and_fix(*args, **kwargs):
        tried.append(True)
        return fix_and_solve(*args, **kwargs)

    monkeypatch.setattr(pricing, "support_mip", lambda *a, **k: Solution(
        "error", None, None, None, 0.0, "highs", message="stub: no plan"))
    monkeypatch.setattr(pricing, "fix_and_solve", relax_and_fix)
    d = prepare(make_case(customers=70, managers=7, seed=2), Scenario(mip_gap=0.01))
    km, sol = solve_by_pricing(d, time_limit=30, mip_gap=0.01, k=2)
    assert tried and sol.ok
    read_plan(km, sol).verify()
