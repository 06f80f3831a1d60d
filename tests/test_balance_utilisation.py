"""Balanced workloads in utilisation (``balance: {measure: utilisation, within: w}``): each
available manager's KAM hours over his or her capacity in the scenario within +-w of the mean
utilisation. Against brute force on random tiny cases (activities, pair hours factors,
capacity_scale, a hire), by hand where capacities differ, re-checked by ``verify``, explained
when it cannot be met, from the command line, and the same least largest workload as hours.

No assertion depends on the clock: tiny cases at mip_gap 0 under node budgets, the safety net
an hour away."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_balance_bands import must_seven_on_three

import kamopt
from kamopt.case.balance import Balance, parse_balance
from kamopt.case.io import save_case
from kamopt.case.scenario import Hire, Level, Scenario
from kamopt.cli import main
from kamopt.errors import InfeasibleError, ScenarioError
from kamopt.model.prepare import prepare
from kamopt.planning.oneyear import verify_plan
from kamopt.testing import assert_plan_sound, brute_force, tiny_case

ONE_LEVEL = Scenario(levels=(Level("standard", 1.0, 1.0),), mip_gap=0.0, retention=0.0,
                     node_limit=10_000, time_limit=3600)  # the nodes stop it, never the clock


def utilisation_of(plan, capacity: dict[str, float]) -> pd.Series:
    """Each manager's hours over ``capacity`` (computed by the test), from the plan's
    accounts: the hours as the plan states them (level hours under the lead's factor plus
    the activities), summed by lead."""
    acc = plan.accounts[plan.accounts["key_account"] == 1]
    hours = acc.groupby("manager_id")["hours"].sum()
    cap = pd.Series(capacity, dtype=float)
    return hours.reindex(cap.index).fillna(0.0) / cap


# ------------------------------------------------------------ random tiny cases
customer = st.fixed_dictionaries({
    "kam_hours": st.integers(5, 40).map(float),
    "potential": st.integers(0, 60).map(lambda x: x * 10_000.0),
    "revenue": st.integers(1, 9).map(lambda x: x * 100_000.0),
    "must": st.booleans(),
})
manager = st.fixed_dictionaries({
    "capacity_hours": st.sampled_from([20.0, 35.0, 60.0, 90.0]),  # capacities that differ
    "hourly_cost": st.sampled_from([50.0, 80.0, 100.0]),
    "max_share": st.one_of(st.none(), st.sampled_from([0.5, 0.8])),
})
activity = st.fixed_dictionaries({
    "cost": st.integers(0, 20).map(lambda x: x * 1_000.0),
    "kam_hours": st.integers(0, 15).map(float),
    "uplift": st.sampled_from([0.0, 0.02, 0.1]),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(customer, min_size=2, max_size=4), st.lists(manager, min_size=2, max_size=3),
       st.lists(activity, max_size=1), st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=4,
                                                max_size=4),
       st.sampled_from([1.0, 0.8]), st.booleans(), st.sampled_from([0.0, 0.1, 0.3, 1.0]))
def test_the_utilisation_band_is_the_brute_force_optimum(custs, mgrs, acts, factors, scale,
                                                         hire, within):
    customers = [dict(customer_id=f"K{i}", margin=0.2, tier=1, kam_hours=c["kam_hours"],
                      potential=c["potential"], revenue=c["revenue"],
                      status="must" if c["must"] else "") for i, c in enumerate(custs)]
    managers = [dict(manager_id=f"M{j}", capacity_hours=m["capacity_hours"], seniority=3,
                     hourly_cost=m["hourly_cost"], max_share=m["max_share"])
                for j, m in enumerate(mgrs)]
    activities = [dict(activity_id=f"A{k}", name=f"A{k}", kind="service", department="",
                       dept_hours=0.0, **a) for k, a in enumerate(acts)]
    # the lead changes an account's hours (pair_costs.csv's hours_factor): K_i under M0
    pair_costs = [dict(customer_id=f"K{i}", manager_id="M0", hours_factor=f)
                  for i, f in enumerate(factors[:len(custs)]) if f != 1.0]
    case = tiny_case(customers, managers, activities, pair_costs=pair_costs)
    hires = (Hire(count=1, seniority=3, capacity_hours=30.0, hourly_cost=70.0),) if hire else ()
    sc = ONE_LEVEL.replace(balance={"measure": "utilisation", "within": within},
                           capacity_scale=scale, hires=hires)
    best = brute_force(case, sc)
    try:
        p = kamopt.plan(case, sc)
    except InfeasibleError:
        event("no plan")
        assert best is None
        return
    event("band binds" if best < brute_force(case, sc.replace(balance=None)) - 1e-6
          else "band free")
    assert best is not None and p.objective == pytest.approx(best, abs=1e-4)
    assert_plan_sound(p)  # verify re-checks the band from the leads and the case
    capacity = {m["manager_id"]: m["capacity_hours"] * scale for m in managers}
    if hire:
        capacity[p.managers.index[-1]] = 30.0 * scale
    u = utilisation_of(p, capacity)
    mean = u.mean()
    assert (u <= (1 + within) * mean + 1e-6).all() and (u >= (1 - within) * mean - 1e-6).all()
    assert p.kpis["balance_measure"] == "utilisation"
    assert p.kpis["load_max"] == pytest.approx(u.max())
    assert p.kpis["load_min"] == pytest.approx(u.min())
    assert p.kpis["load_mean"] == pytest.approx(mean)
    assert p.kpis["load_max_deviation"] == pytest.approx(
        (u - mean).abs().max() / mean if mean > 0 else 0.0, abs=1e-9)
    # max_share is an upper band in the same unit, per manager
    for m in managers:
        if m["max_share"] is not None:
            assert u[m["manager_id"]] <= m["max_share"] + 1e-6


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(customer, min_size=2, max_size=5), st.lists(manager, min_size=2, max_size=3),
       st.sampled_from(["hours", "revenue", "accounts"]), st.sampled_from([0.0, 0.25, 1.0]))
def test_the_brute_force_keeps_the_other_bands_as_the_model_does(custs, mgrs, measure, within):
    """The brute force's band (kamopt.testing) in the other measures, against the plan."""
    customers = [dict(customer_id=f"K{i}", margin=0.2, kam_hours=c["kam_hours"],
                      potential=c["potential"], revenue=c["revenue"],
                      status="must" if c["must"] else "") for i, c in enumerate(custs)]
    managers = [dict(manager_id=f"M{j}", capacity_hours=m["capacity_hours"],
                     hourly_cost=m["hourly_cost"], max_share=m["max_share"])
                for j, m in enumerate(mgrs)]
    case = tiny_case(customers, managers)
    sc = ONE_LEVEL.replace(balance={"measure": measure, "within": within})
    best = brute_force(case, sc)
    try:
        p = kamopt.plan(case, sc)
    except InfeasibleError:
        assert best is None
        return
    assert best is not None and p.objective == pytest.approx(best, abs=1e-4)


# ------------------------------------------------------------------ by hand
def two_sizes():
    """An executive of 40 h and a KAM of 160 h; four accounts of 10, 30, 40 and 80 h, each
    worth 10,000 EUR, no hourly cost. Unbalanced: all four (160 h of 200)."""
    customers = [dict(customer_id=f"K{h}", margin=0.1, potential=100_000, revenue=0,
                      kam_hours=h) for h in (10, 30, 40, 80)]
    managers = [dict(manager_id="EXE", capacity_hours=40, hourly_cost=0),
                dict(manager_id="KAM", capacity_hours=160, hourly_cost=0)]
    return tiny_case(customers, managers)


def test_utilisation_balances_managers_of_different_capacity_where_hours_cannot():
    """By hand. In hours within 0.2 the KAM carries at most 1.2 times the mean of the two,
    so at most 1.5 times the executive's hours, at most 60 h: 3 accounts at best (K10 + K30 on
    EXE, K40 on KAM). In utilisation within 0.2 all four: K10 + K30 on EXE (100%), K40 + K80
    on KAM (75%), mean 87.5%, 14.3% off; or K30 on EXE (75%), the rest on KAM (81.25%). Within
    0.02 no split of all four is close enough (the best, 75% and 81.25%, is 4% off the mean),
    and three are: K30 on EXE, K40 + K80 on KAM, both 75%."""
    case = two_sizes()
    n_key = lambda p: int(p.accounts["key_account"].sum())  # noqa: E731
    util = kamopt.plan(case, ONE_LEVEL.replace(balance={"measure": "utilisation",
                                                        "within": 0.2}))
    hours = kamopt.plan(case, ONE_LEVEL.replace(balance={"measure": "hours", "within": 0.2}))
    assert n_key(util) == 4 and n_key(hours) == 3
    assert util.objective == pytest.approx(brute_force(case, util.scenario))
    assert hours.objective == pytest.approx(brute_force(case, hours.scenario))
    u = utilisation_of(util, {"EXE": 40.0, "KAM": 160.0})
    assert u.to_dict() in ({"EXE": 1.0, "KAM": 0.75}, {"EXE": 0.75, "KAM": 0.8125})
    assert util.kpis["load_max"] == pytest.approx(u.max())
    assert util.kpis["load_min"] == pytest.approx(u.min())
    assert_plan_sound(util)
    tight = ONE_LEVEL.replace(balance={"measure": "utilisation", "within": 0.02})
    p = kamopt.plan(case, tight)
    assert n_key(p) == 3 and p.objective == pytest.approx(brute_force(case, tight))
    assert utilisation_of(p, {"EXE": 40.0, "KAM": 160.0}).to_dict() == {"EXE": 0.75,
                                                                        "KAM": 0.75}
    assert p.kpis["load_max_deviation"] == pytest.approx(0.0, abs=1e-9)


def test_the_band_uses_the_scenario_s_capacity():
    """capacity_scale 0.5: EXE 20 h, KAM 80 h; the utilisation is of those hours."""
    sc = ONE_LEVEL.replace(balance={"measure": "utilisation", "within": 0.0},
                           capacity_scale=0.5)
    p = kamopt.plan(two_sizes(), sc)
    assert p.objective == pytest.approx(brute_force(two_sizes(), sc))
    u = utilisation_of(p, {"EXE": 20.0, "KAM": 80.0})
    assert u["EXE"] == pytest.approx(u["KAM"])  # within 0: equal utilisation
    assert p.kpis["load_max"] == pytest.approx(u.max())
    assert_plan_sound(p)


def test_verify_names_a_manager_outside_the_utilisation_band():
    case = two_sizes()
    free = kamopt.plan(case, ONE_LEVEL)  # all four: every split is >= 4% off the mean
    assert int(free.accounts["key_account"].sum()) == 4
    sc = ONE_LEVEL.replace(balance={"measure": "utilisation", "within": 0.02})
    u = free.managers["hours_used"] / pd.Series({"EXE": 40.0, "KAM": 160.0})
    mean = u.mean()
    assert (u - mean).abs().max() > 0.02 * mean
    out = verify_plan(free.accounts, case, sc, free.objective)
    for j in ("EXE", "KAM"):  # two managers: both are as far off the mean
        assert (f"balance[{j}]: a load of {u[j]:.2%} of capacity, outside {0.98 * mean:.2%} "
                f"of capacity .. {1.02 * mean:.2%} of capacity (within 0.02 of the mean "
                f"{mean:.2%} of capacity)") in out
    assert verify_plan(free.accounts, case, sc.replace(balance={
        "measure": "utilisation", "within": 1.0}), free.objective) == []
    fair = kamopt.plan(case, sc)
    assert verify_plan(fair.accounts, case, sc, fair.objective) == []


def test_a_utilisation_band_that_cannot_be_met_is_explained_in_shares_of_capacity():
    """Two must accounts of 30 h; managers of 40 h and 100 h. Each manager gets one (one has
    both or the other nothing): 75% and 30%, mean 52.5%, 22.5 points either side; both on the
    KAM: 60% and 0%, 30 points. Within 0.1 allows 5.25 points: short."""
    customers = [dict(customer_id=f"K{i}", margin=0.1, potential=100_000, revenue=0,
                      kam_hours=30, status="must") for i in range(2)]
    managers = [dict(manager_id="EXE", capacity_hours=40), dict(manager_id="KAM",
                                                               capacity_hours=100)]
    case = tiny_case(customers, managers)
    with pytest.raises(InfeasibleError) as err:
        kamopt.plan(case, ONE_LEVEL.replace(balance={"measure": "utilisation", "within": 0.1}))
    text = str(err.value)
    assert "balance of the managers' loads" in text
    assert ("the managers' loads (balance) need at least 22.50 percentage points of capacity "
            "of deviation from the mean utilisation; within 0.1 allows 5.25% of capacity "
            "either side of the mean load of 52.50% of capacity") in text
    assert "(short by 17.25)" in text


def test_least_largest_workload_in_utilisation_is_the_one_in_hours():
    case = tiny_case(*must_seven_on_three())
    plans = {m: kamopt.plan(case, ONE_LEVEL.replace(
        balance={"measure": m, "objective": "least_largest_workload"}))
        for m in ("hours", "utilisation")}
    h, u = plans["hours"], plans["utilisation"]
    assert u.kpis["largest_load"] == pytest.approx(h.kpis["largest_load"])
    assert u.kpis["largest_load_bound"] == pytest.approx(h.kpis["largest_load_bound"])
    assert u.objective == pytest.approx(h.objective)
    assert u.kpis["load_max"] == pytest.approx(u.kpis["largest_load"])  # the same unit
    assert u.kpis["largest_load"] == pytest.approx(u.managers["utilisation"].max())
    assert_plan_sound(u)


def test_a_utilisation_band_keeps_activities_that_do_not_pay_as_hours_does():
    from kamopt.case.sample import make_case

    case = make_case(40, 4, seed=5)
    acts = {m: prepare(case, Scenario(balance={"measure": m, "within": 0.3})).acts
            for m in ("hours", "utilisation", "accounts")}
    key = lambda a: set(zip(a["customer_id"], a["activity_id"], strict=True))  # noqa: E731
    assert key(acts["utilisation"]) == key(acts["hours"]) > key(acts["accounts"])


# ------------------------------------------------------------- reading, CLI
def test_utilization_is_read_as_utilisation_and_a_misspelling_is_named():
    assert parse_balance({"measure": "utilization", "within": 0.1}).measure == "utilisation"
    assert Balance(measure="utilization").measure == "utilisation"
    s = Scenario.from_dict({"balance": {"measure": "utilization", "within": 0.1}})
    assert s.balance == Balance("utilisation", 0.1)
    assert Scenario.from_dict(s.to_dict()) == s
    assert s.to_dict()["balance"]["measure"] == "utilisation"
    with pytest.raises(ScenarioError, match=r"'balance.measure': .*unknown measure; did you "
                       r"mean 'utilisation'\?"):
        Scenario.from_dict({"balance": {"measure": "utilisaton", "within": 0.2}})


def test_a_utilisation_band_plans_from_the_command_line(tmp_path, capsys):
    folder = save_case(two_sizes(), tmp_path / "case")
    (tmp_path / "s.yml").write_text("name: busy alike\nmip_gap: 0\ntime_limit: 3600\n"
                                    "levels:\n  - {name: standard, hours_factor: 1, "
                                    "realization_factor: 1}\nretention: 0\n"
                                    "balance: {measure: utilisation, within: 0.2}\n")
    assert main(["plan", str(folder), "--scenario", str(tmp_path / "s.yml"),
                 "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    plan = pd.read_csv(tmp_path / "out" / "plan.csv")
    assert int(plan["key_account"].sum()) == 4  # as by hand above
    import json
    kpis = json.loads((tmp_path / "out" / "summary.json").read_text())
    flat = json.dumps(kpis)
    assert '"balance_measure": "utilisation"' in flat


def test_an_unknown_measure_is_exit_2_with_did_you_mean(tmp_path, capsys):
    folder = save_case(two_sizes(), tmp_path / "case")
    (tmp_path / "s.yml").write_text("balance: {measure: utilisaton, within: 0.2}\n")
    assert main(["plan", str(folder), "--scenario", str(tmp_path / "s.yml"),
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "s.yml" in err and "balance.measure" in err
    assert "got 'utilisaton'; unknown measure; did you mean 'utilisation'?" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_the_brute_force_counts_a_band_at_all():
    """The brute force is not vacuous for the band: a tight band lowers its optimum."""
    case = two_sizes()
    free = brute_force(case, ONE_LEVEL)
    assert brute_force(case, ONE_LEVEL.replace(
        balance={"measure": "utilisation", "within": 0.02})) == pytest.approx(0.75 * free)
    assert brute_force(case, ONE_LEVEL.replace(
        balance={"measure": "hours", "within": 0.2})) == pytest.approx(0.75 * free)
    assert brute_force(case, ONE_LEVEL.replace(
        balance={"measure": "utilisation", "within": 0.2})) == pytest.approx(free)


# ------------------------------------------------------- the plan without the band first
def test_a_band_the_plan_without_it_meets_is_proven_by_that_plan(monkeypatch):
    """The band only takes plans away: the plan without it, when it meets the band, is proven
    within the gap of the bound without it. On the model with the band, which it meets."""
    import kamopt.planning.oneyear as oneyear
    from kamopt.case.sample import make_case
    from kamopt.solve.search import meets_rows

    case = make_case(40, 4, seed=5)
    sc = Scenario(balance={"measure": "utilisation", "within": 0.3}, time_limit=3600)
    free = kamopt.plan(case, Scenario(time_limit=3600))
    p = kamopt.plan(case, sc)
    assert "the plan without the band meets it" in p.solution.message
    assert p.status == "optimal" and p.kpis["stopped_by"] == "gap"
    assert p.kpis["mip_gap"] <= sc.mip_gap + 1e-9
    assert p.objective == pytest.approx(free.objective, rel=1e-9)
    cols = ["key_account", "level", "manager_id", "activities"]
    assert p.accounts[cols].equals(free.accounts[cols])
    assert "balance" in p.model.lp.rows and meets_rows(p.model.lp, p.solution.values)
    assert p.kpis["load_max_deviation"] <= 0.3 + 1e-9
    p.verify()
    # the model with the band alone: no better plan than that bound
    monkeypatch.setattr(oneyear, "band_free_first", lambda s: False)
    alone = kamopt.plan(case, sc)
    assert "without the band" not in alone.solution.message
    assert alone.objective <= p.solution.bound * (1 + 1e-9)
    assert p.objective >= alone.solution.bound / (1 + sc.mip_gap) - 1e-6


def test_a_band_the_plan_without_it_breaks_is_solved_with_the_band():
    """Without a band all four go to the KAM (EXE idle, KAM full); within 0.02 they cannot."""
    case = two_sizes()
    sc = ONE_LEVEL.replace(balance={"measure": "utilisation", "within": 0.02})
    p = kamopt.plan(case, sc)
    assert "without the band" not in p.solution.message
    assert p.objective == pytest.approx(brute_force(case, sc))
    assert p.status == "optimal" and p.solution.bound >= p.objective - 1e-6
    assert p.solution.bound <= brute_force(case, ONE_LEVEL) + 1e-6  # the smaller bound
    assert_plan_sound(p)
