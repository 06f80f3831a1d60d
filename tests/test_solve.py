"""kamopt.solve: HiGHS in a background thread (BackgroundMip)."""

import itertools
import time

import numpy as np
import pandas as pd
import pytest

from kamopt.model import LinearModel
from kamopt.solve import BackgroundMip, highs_model


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
    bg = BackgroundMip(highs_model(lp), time_limit=30.0, mip_gap=0.0)
    bg.offer(greedy(c, A, b))
    sol = bg.result()
    assert bg.done
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(brute_force(c, A, b))
    assert sol.bound >= sol.objective - 1e-6


def test_stop_ends_a_long_solve_promptly_with_a_valid_bound():
    lp, c, A, b = knapsacks(400, 12, 7)
    start = greedy(c, A, b)
    bg = BackgroundMip(highs_model(lp), time_limit=120.0, mip_gap=0.0)
    bg.offer(start)
    time.sleep(1.0)
    assert not bg.done  # a hard instance: still running after 1 s
    t = time.perf_counter()
    bg.stop()
    sol = bg.result()
    assert time.perf_counter() - t < 5.0
    assert bg.done
    # whatever HiGHS returned, its bounds are valid: at least every feasible plan
    assert bg.bound >= c @ start - 1e-6
    if sol.ok:
        assert np.all(A @ sol.values <= b + 1e-6)
        assert sol.bound >= max(sol.objective, c @ start) - 1e-6
