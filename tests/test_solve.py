"""kamopt.solve.backend: HiGHS and CBC from a start and with fixed columns; HiGHS in a background thread."""

import itertools

import numpy as np
import pandas as pd
import pytest

from kamopt.model.linear import LinearModel
from kamopt.solve.backend import highs_model, relative_gap, run_highs, solve


def knapsacks(n: int, m: int, seed: int) -> tuple[LinearModel, np.ndarray, np.ndarray, np.ndarray]:
    """max c x, A x <= b, x binary: ``m`` random knapsacks over ``n`` items."""
    rng = np.random.default_rng(seed)
    c = rng.integers(10, 100, n).astype(float)
    A = rng.integers(5, 60, (m, n)).astype(float)
    b = A.sum(axis=1) * 0.37
    lp = LinearModel()
    cols = lp.add_vars("x", pd.DataFrame({"item": range(n)}), obj=c, integer=True)
    rows = lp.add_rows("knapsack", pd.DataFrame({"k": range(m)}), hi=b)
    r, j = np.nonzero(A)
    lp.add_coefs(rows[r], cols[j], A[r, j])
    return lp, c, A, b


def brute_force(c, A, b) -> float:
    best = 0.0
    for x in itertools.product((0.0, 1.0), repeat=len(c)):
        x = np.array(x)
        if np.all(A @ x <= b + 1e-9):
            best = max(best, float(c @ x))
    return best


def greedy(c, A, b) -> np.ndarray:
    x = np.zeros(len(c))
    for i in np.argsort(-c / A.sum(axis=0)):
        x[i] = 1.0
        if np.any(A @ x > b + 1e-9):
            x[i] = 0.0
    return x


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_left_to_run_it_proves_the_brute_force_optimum(seed):
    lp, c, A, b = knapsacks(12, 3, seed)
    sol = run_highs(highs_model(lp), float("inf"), 0.0)  # no clock: left to run
    assert sol.status == "optimal" and sol.stopped_by == "gap"
    assert sol.objective == pytest.approx(brute_force(c, A, b))
    assert sol.bound >= sol.objective - 1e-6


def test_a_node_budget_stops_the_same_way_every_time_with_a_valid_bound():
    """The work budget, not the clock: two runs stop at the same plan and bound."""
    lp, c, A, b = knapsacks(400, 12, 7)
    first, again = (run_highs(highs_model(lp), 600.0, 0.0, node_limit=20) for _ in range(2))
    assert first.stopped_by in ("nodes", "gap")
    assert first.objective == again.objective and first.bound == again.bound
    assert np.array_equal(first.values, again.values)
    assert np.all(A @ first.values <= b + 1e-6)
    assert first.bound >= first.objective - 1e-6


def test_a_cancelled_solve_stops_at_once_and_says_so():
    import threading

    lp, c, A, b = knapsacks(400, 12, 7)
    cancel = threading.Event()
    cancel.set()  # set before it starts: HiGHS stops at its first check, whatever the load
    sol = run_highs(highs_model(lp), 600.0, 0.0, cancel=cancel)
    assert sol.stopped_by == "cancelled" and sol.status != "optimal"


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", [3, 4])
def test_fixed_columns_are_honoured_and_the_rest_solved_exactly(solver, seed):
    lp, c, A, b = knapsacks(10, 2, seed)
    order = np.argsort(-c)
    one, zero = order[0], order[1]  # the two most valuable items: one in, one out
    sol = solve(lp, solver=solver, time_limit=3600, mip_gap=0.0,
                fix=(np.array([one, zero]), np.array([1.0, 0.0])))
    assert sol.status == "optimal"
    assert (sol.values[one], sol.values[zero]) == (1.0, 0.0)
    keep = np.setdiff1d(np.arange(10), [one, zero])
    expected = c[one] + brute_force(c[keep], A[:, keep], b - A[:, one])
    assert sol.objective == pytest.approx(expected)


def test_cbc_starts_from_the_plan_given_and_reports_its_bound():
    # HiGHS proves this instance's optimum in ~2 s; CBC alone reaches less in 0.5 s
    # (6,232 against 6,241). From the optimum as its start it must return it: before
    # kamopt handed CBC a minimisation, CBC 2.10 dropped a maximisation's start.
    lp, c, A, b = knapsacks(200, 10, 7)
    best = solve(lp, solver="highs", time_limit=float("inf"), mip_gap=0.0)  # no clock: proven
    assert best.status == "optimal"
    sol = solve(lp, solver="cbc", time_limit=0.5, mip_gap=0.0, start=best.values)
    assert sol.ok
    assert sol.objective == pytest.approx(best.objective)
    assert np.all(A @ sol.values <= b + 1e-6)
    # with a loose gap CBC stops at the first plan it holds, which must be the start
    # (CBC 2.10 took a maximisation's start for a poor plan and stopped at 5,939)
    loose = solve(lp, solver="cbc", time_limit=5.0, mip_gap=0.5, start=best.values)
    assert loose.objective == pytest.approx(best.objective)


def test_cbc_stopped_at_the_limit_reports_the_bound_from_its_log():
    lp, c, A, b = knapsacks(400, 12, 7)  # CBC does not finish this in 1 s
    start = greedy(c, A, b)
    sol = solve(lp, solver="cbc", time_limit=1.0, mip_gap=0.0, start=start)
    assert sol.status == "feasible"
    assert sol.objective >= c @ start - 1e-6
    assert sol.bound is not None and sol.bound >= sol.objective - 1e-6
    assert sol.gap == pytest.approx(relative_gap(sol.objective, sol.bound))
    # after CBC's cuts the bound is at most the LP bound
    assert sol.bound <= solve(lp, solver="highs", relax=True).objective + 1e-6


@pytest.mark.parametrize("seed", [0, 5])
def test_cbc_bound_is_valid_against_brute_force(seed):
    lp, c, A, b = knapsacks(12, 3, seed)
    sol = solve(lp, solver="cbc", time_limit=3600, mip_gap=0.0)  # a safety net, not the stop
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(brute_force(c, A, b))
    assert sol.gap <= 1e-9
