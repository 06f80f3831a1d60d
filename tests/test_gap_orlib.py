"""The model against published optima: OR-Library's generalized assignment problems.

With hours by lead manager (``pair_costs.csv``'s ``hours``) kamopt expresses the
generalized assignment problem: jobs are ``must`` accounts, agents managers, a job's
resource on an agent the pair's hours and its profit the pair's (shifted) cost
(:func:`kamopt.case.published.gap_case`). Instances and optima:
data/validation/gap/README.md. No test depends on the clock: mip_gap 0 and a node budget.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kamopt
from kamopt.case.published import (
    GAP_OPTIMA,
    GapInstance,
    gap_case,
    gap_profit,
    gap_scenario,
    read_gap,
)
from kamopt.testing import assert_plan_sound, brute_force

FOLDER = Path(__file__).resolve().parents[1] / "data" / "validation" / "gap"


def assignment(gap: GapInstance, p: kamopt.Plan) -> dict[int, int]:
    """job -> agent (0-based) of a plan of :func:`gap_case`."""
    lead = p.accounts["manager_id"]
    return {int(c[1:]) - 1: int(lead[c][1:]) - 1 for c in p.accounts.index}


def check_assignment(gap: GapInstance, p: kamopt.Plan) -> float:
    """Each job has one agent, no agent is over capacity (from the instance itself);
    returns the profit."""
    a = assignment(gap, p)
    assert sorted(a) == list(range(gap.jobs))
    assert (p.accounts["key_account"] == 1).all()
    load = np.zeros(gap.agents)
    for j, i in a.items():
        load[i] += gap.resource[i][j]
    assert (load <= np.asarray(gap.capacity) + 1e-9).all()
    used = p.managers["hours_used"].to_numpy()
    assert used == pytest.approx(load)
    return float(sum(gap.profit[i][j] for j, i in a.items()))


@pytest.mark.parametrize("name", sorted(GAP_OPTIMA))
def test_kamopt_reaches_the_published_optimum(name):
    (gap,) = read_gap(FOLDER / f"{name}.txt")
    assert (gap.agents, gap.jobs) == (int(name[1]), int(name[2:4]))
    p = kamopt.plan(gap_case(gap), gap_scenario())
    assert p.status == "optimal"
    assert p.kpis["mip_gap"] <= 1e-9
    assert p.kpis["stopped_by"] == "gap"
    assert_plan_sound(p)  # verify_plan: every rule re-checked from the case
    profit = check_assignment(gap, p)
    assert profit == GAP_OPTIMA[name]
    assert gap_profit(gap, p.objective) == pytest.approx(GAP_OPTIMA[name], abs=1e-6)


def test_the_instances_are_those_of_or_library():
    # the first numbers of c515-1 (gap1, problem 1), as OR-Library has them
    (gap,) = read_gap(FOLDER / "c515-1.txt")
    assert gap.profit[0][:5] == (17, 21, 22, 18, 24)
    assert gap.resource[0][:5] == (8, 15, 14, 23, 8)
    assert gap.capacity == (36, 34, 38, 27, 33)
    assert sorted(p.stem for p in FOLDER.glob("*.txt")) == sorted(GAP_OPTIMA)


def random_gap(rng: np.random.Generator, m: int, n: int, slack: float = 1.0) -> GapInstance:
    """A type-c-like GAP: profits 15..25, resources 5..25, capacity slack x the average load."""
    profit = rng.integers(15, 26, size=(m, n))
    resource = rng.integers(5, 26, size=(m, n))
    capacity = np.floor(slack * resource.sum(axis=1) / m)
    return GapInstance("random", tuple(map(tuple, profit.astype(float))),
                       tuple(map(tuple, resource.astype(float))), tuple(capacity.astype(float)))


def enumerate_gap(gap: GapInstance) -> float | None:
    """The best profit over every assignment of jobs to agents (None: none fits)."""
    best = None
    cap = np.asarray(gap.capacity)
    for agents in itertools.product(range(gap.agents), repeat=gap.jobs):
        load = np.zeros(gap.agents)
        for j, i in enumerate(agents):
            load[i] += gap.resource[i][j]
        if (load <= cap + 1e-9).all():
            profit = sum(gap.profit[i][j] for j, i in enumerate(agents))
            best = profit if best is None or profit > best else best
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_tiny_gap_has_the_optimum_of_every_assignment(seed):
    gap = random_gap(np.random.default_rng(seed), 3, 5)
    best = enumerate_gap(gap)
    assert best is not None
    case = gap_case(gap)
    p = kamopt.plan(case, gap_scenario())
    assert_plan_sound(p)
    assert check_assignment(gap, p) == best
    # and kamopt's own brute force over the case agrees
    assert brute_force(case, gap_scenario()) == pytest.approx(p.objective)


@st.composite
def gaps(draw):
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 6))
    profit = [[float(draw(st.integers(0, 30))) for _ in range(n)] for _ in range(m)]
    resource = [[float(draw(st.integers(0, 20))) for _ in range(n)] for _ in range(m)]
    capacity = [float(draw(st.integers(0, 40))) for _ in range(m)]
    return GapInstance("drawn", tuple(map(tuple, profit)), tuple(map(tuple, resource)),
                       tuple(capacity))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gaps())
def test_a_plan_of_a_gap_gives_each_job_one_agent_within_capacity(gap):
    best = enumerate_gap(gap)
    if best is None:
        with pytest.raises(kamopt.InfeasibleError):
            kamopt.plan(gap_case(gap), gap_scenario())
        return
    p = kamopt.plan(gap_case(gap), gap_scenario())
    assert_plan_sound(p)
    assert check_assignment(gap, p) == best
