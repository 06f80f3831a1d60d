"""``tie_break: least_largest_workload``: among the plans within the gap of the best, the one
with the least largest load (kamopt.solve.tiebreak), against brute force on tiny cases, on a
sample-like case, and its scenario errors.

No assertion depends on the clock: exact plans (``mip_gap`` 0 unless a gap is the point)
under node budgets, the time limit a safety net never reached."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kamopt
from kamopt.case.sample import make_case
from kamopt.case.scenario import Level, Scenario
from kamopt.errors import ScenarioError
from kamopt.planning.balance import manager_loads
from kamopt.solve.backend import relative_gap
from kamopt.solve.tiebreak import net_floor
from kamopt.testing import assert_plan_sound, brute_force, brute_force_tie_break, tiny_case

EXACT = Scenario(levels=(Level("standard", 1.0, 1.0),), mip_gap=0.0, node_limit=100_000,
                 time_limit=3600)
MEASURES = ("utilisation", "hours", "revenue", "accounts")
ROOT = Path(__file__).resolve().parents[1]


def largest(plan, measure: str) -> float:
    """The plan's largest load in ``measure``, from its tables (not the solver's figures)."""
    load = manager_loads(plan.accounts, plan.case, plan.managers, measure)
    return float(max(load.max(), 0.0)) if len(load) else 0.0


@st.composite
def tied_cases(draw):
    """Tiny cases with few distinct figures and mostly one hourly rate, so that equally good
    plans are common (in about one case in five the usual plan is not the most even)."""
    n, k = draw(st.integers(2, 5)), draw(st.integers(2, 3))
    customers = [dict(customer_id=f"K{i}", margin=0.2,
                      kam_hours=draw(st.sampled_from([10.0, 20.0, 30.0])),
                      potential=draw(st.sampled_from([0.0, 50_000.0, 200_000.0])),
                      revenue=draw(st.sampled_from([100_000.0, 300_000.0])),
                      status=draw(st.sampled_from(["", "", "must"])))
                 for i in range(n)]
    managers = [dict(manager_id=f"M{j}", capacity_hours=draw(st.sampled_from([30.0, 40.0, 60.0])),
                     hourly_cost=draw(st.sampled_from([50.0, 50.0, 50.0, 80.0])))
                for j in range(k)]
    return tiny_case(customers, managers)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tied_cases(), st.sampled_from(MEASURES))
def test_the_tie_break_is_the_brute_force_least_largest_load_among_the_optimal_plans(case, measure):
    sc = EXACT.replace(tie_break={"least_largest_workload": measure})
    expected = brute_force_tie_break(case, sc)
    if expected is None:
        with pytest.raises(kamopt.errors.InfeasibleError):
            kamopt.plan(case, sc)
        return
    net, least = expected
    assert net == pytest.approx(brute_force(case, sc), abs=1e-6)  # mip_gap 0: optimal plans only
    p = kamopt.plan(case, sc)
    assert p.objective == pytest.approx(net, abs=1e-4)
    assert largest(p, measure) == pytest.approx(least, abs=1e-7)
    k = p.kpis
    assert k["tie_break"] == f"least_largest_workload ({measure})"
    assert k["tie_break_largest_load"] == pytest.approx(least, abs=1e-7)
    # proven to TIE_BREAK_GAP (1e-6, relative to max(least, 1))
    bound = k["tie_break_largest_load_bound"]
    assert least - 2e-6 * max(1.0, least) <= bound <= least + 1e-7 * max(1.0, least)
    assert k["tie_break_net_floor"] == pytest.approx(net, abs=1e-4)
    assert k["tie_break_stage1_largest_load"] >= least - 1e-7
    assert k["tie_break_status"] == "optimal" and p.status == "optimal"
    assert_plan_sound(p)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tied_cases(), st.sampled_from(MEASURES), st.sampled_from([0.02, 0.1, 0.3]))
def test_within_a_gap_the_tie_break_keeps_the_promise_and_is_the_brute_force_answer(
        case, measure, gap):
    """With a gap the floor comes from the solver's proven bound; when stage 1 proved the
    optimum (its bound the best net) the answer is the brute force's for that floor."""
    sc = EXACT.replace(mip_gap=gap, tie_break={"least_largest_workload": measure})
    expected = brute_force_tie_break(case, sc)
    if expected is None:
        return
    best = brute_force(case, sc)
    p = kamopt.plan(case, sc)
    k = p.kpis
    assert p.objective >= k["tie_break_net_floor"] - 1e-6 * max(1.0, abs(k["tie_break_net_floor"]))
    assert relative_gap(p.objective, best) <= gap + 1e-7  # within the gap of the true best
    assert largest(p, measure) <= k["tie_break_stage1_largest_load"] + 1e-9
    if k["tie_break_stage1_bound"] == pytest.approx(best, abs=1e-6):
        assert k["tie_break_net_floor"] == pytest.approx(net_floor(best, gap))
        assert largest(p, measure) == pytest.approx(expected[1], abs=1e-7)
        # stage 3 (the best net with that largest load) is proven to the scenario's gap
        assert relative_gap(p.objective, expected[0]) <= gap + 1e-7
    assert_plan_sound(p)


def test_on_a_sample_like_case_the_tie_break_lowers_the_largest_utilisation_within_the_gap():
    case = make_case(customers=40, managers=4, seed=1)
    sc = Scenario(time_limit=3600)
    usual = kamopt.plan(case, sc)
    p = kamopt.plan(case, sc.replace(tie_break="least_largest_workload"))
    k = p.kpis
    assert k["tie_break_stage1_largest_load"] == pytest.approx(usual.managers["utilisation"].max())
    assert p.managers["utilisation"].max() == pytest.approx(k["tie_break_largest_load"])
    assert k["tie_break_largest_load"] < k["tie_break_stage1_largest_load"] - 0.01
    assert p.objective >= k["tie_break_net_floor"] - 1e-6 * abs(k["tie_break_net_floor"])
    assert relative_gap(p.objective, k["tie_break_stage1_bound"]) <= sc.mip_gap + 1e-7
    assert p.status == "optimal"
    assert_plan_sound(p, case)
    from kamopt.planning.outputs import headline

    assert "tie-break         least_largest_workload (utilisation): largest load" in headline(p)


def test_of_equally_good_plans_the_tie_break_takes_the_most_even():
    """Three equal accounts, two managers: one manager may lead all three at the same net;
    the tie-break spreads them 2-1 at the same net, and no more."""
    customers = [dict(customer_id=f"K{i}", margin=0.2, kam_hours=20.0, potential=100_000.0,
                      revenue=100_000.0) for i in range(3)]
    managers = [dict(manager_id="M0", capacity_hours=60.0, hourly_cost=50.0),
                dict(manager_id="M1", capacity_hours=60.0, hourly_cost=50.0)]
    case = tiny_case(customers, managers)
    best = brute_force(case, EXACT)
    p = kamopt.plan(case, EXACT.replace(tie_break={"least_largest_workload": "accounts"}))
    assert p.objective == pytest.approx(best)
    assert largest(p, "accounts") == 2
    assert p.kpis["tie_break_largest_load"] == 2


@pytest.mark.parametrize("data, key, words", [
    ({"tie_break": "least_largest_workloads"}, "tie_break",
     "did you mean 'least_largest_workload'"),
    ({"tie_break": {"least_largest_workload": "utilisaton"}}, "tie_break.least_largest_workload",
     "did you mean 'utilisation'"),
    ({"tie_break": {"least_largest_workload": "hour"}}, "tie_break.least_largest_workload",
     "did you mean 'hours'"),
])
def test_bad_keys_are_named(data, key, words):
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(data)
    assert f"column '{key}'" in str(err.value) and words in str(err.value)


def test_the_keys_read_and_write_back():
    s = Scenario.from_dict({"tie_break": "least_largest_workload"})
    assert s.tie_break == ("least_largest_workload", "utilisation")
    assert s.to_dict()["tie_break"] == "least_largest_workload"
    assert Scenario.from_dict(s.to_dict()) == s
    h = Scenario.from_dict({"tie_break": {"least_largest_workload": "hours"}})
    assert h.tie_break == ("least_largest_workload", "hours")
    assert h.to_dict()["tie_break"] == {"least_largest_workload": "hours"}
    assert Scenario(tie_break={"least_largest_workload": "utilization"}).tie_break == \
        ("least_largest_workload", "utilisation")
    # least_disruption as it was
    assert Scenario(tie_break="least_disruption").tie_break == ("least_disruption", "accounts")
    with pytest.raises(ScenarioError, match="did you mean 'hours'"):
        Scenario.from_dict({"tie_break": {"least_disruption": "hour"}})
    with pytest.raises(ScenarioError, match="unknown measure"):
        Scenario.from_dict({"tie_break": {"least_disruption": "utilisation"}})


def test_kamopt_plan_names_a_bad_tie_break_and_exits_2(tmp_path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("tie_break: {least_largest_workload: utilisaton}\n")
    exe = Path(sys.executable).with_name("kamopt")
    out = subprocess.run([str(exe), "plan", str(ROOT / "data" / "sample"), "--scenario",
                          str(scenario), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr
    text = out.stdout + out.stderr
    assert "Traceback" not in text
    assert "scenario.yaml" in text and "tie_break.least_largest_workload" in text
    assert "utilisaton" in text and "did you mean 'utilisation'" in text
    assert not (tmp_path / "out").exists()
