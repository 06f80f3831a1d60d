"""The scenario explorer without a browser: controls, buttons, KPIs, errors."""

import pytest

from kamopt.plan import plan
from kamopt.session import explorer_scenario
from kamopt.widgets import SOLVING, ScenarioExplorer


@pytest.fixture(scope="module")
def case():
    from kamopt.sample import make_case

    return make_case(customers=60, managers=5, seed=3)


def test_the_explorer_plans_at_once_and_shows_the_kpis(case):
    ex = ScenarioExplorer(case)
    assert ex.plan is not None and ex.error is None
    assert ex.status.value.startswith("optimal")
    assert ex.kpi_values["key_accounts"] == ex.plan.kpis["key_accounts"]
    assert f"{ex.plan.objective:,.0f}" in ex.kpi_widgets["objective"].value
    assert ex.chart.value[:4] == b"\x89PNG"
    assert "Key accounts" in ex.table.value
    ref = plan(case, explorer_scenario())
    assert abs(ex.plan.objective - ref.objective) <= 0.01 * ref.kpis["bound"]


def test_switching_a_manager_off_replans(case):
    ex = ScenarioExplorer(case)
    away = case.managers.index[1]
    before = dict(ex.kpi_values)
    ex.controls["unavailable_managers"].value = (away,)
    assert ex.plan.scenario.unavailable_managers == (away,)
    assert away not in ex.plan.managers.index
    assert ex.kpi_values["hours_available"] == pytest.approx(
        before["hours_available"] - case.managers.loc[away, "capacity_hours"])
    ex.plan.verify()


def test_controls_map_to_the_scenario(case):
    ex = ScenarioExplorer(case, solve=False, auto=False)
    c = case.customers.index
    ex.set(capacity_scale=0.8, realization=0.2, retention=0.07, industry_fit=0.3,
           continuity_bonus=2500.0, use_budget=True, budget=400_000.0, min_key_accounts=3,
           use_max=True, max_key_accounts=30, hires=2, hire_seniority=3, hire_capacity=900.0,
           hire_cost=70.0, must=(c[3],), exclude=(c[4],))
    s = ex.scenario
    assert (s.capacity_scale, s.realization, s.retention, s.industry_fit) == (0.8, 0.2, 0.07, 0.3)
    assert (s.continuity_bonus, s.budget, s.min_key_accounts, s.max_key_accounts) == (
        2500.0, 400_000.0, 3, 30)
    assert (s.hires[0].count, s.hires[0].seniority, s.hires[0].capacity_hours,
            s.hires[0].hourly_cost) == (2, 3, 900.0, 70.0)
    assert (s.must, s.exclude) == ((c[3],), (c[4],))
    assert (s.mip_gap, s.time_limit) == (0.01, 5.0)
    assert ex.plan is None  # auto off: nothing solved until the button
    ex.solve_button.click()
    assert ex.plan is not None
    assert {"NEW1", "NEW2"} <= set(ex.plan.managers.index)
    assert ex.plan.accounts.loc[c[3], "key_account"] == 1
    assert ex.plan.accounts.loc[c[4], "key_account"] == 0
    ex.set(use_budget=False, use_max=False, min_key_accounts=0)
    s = ex.scenario
    assert (s.budget, s.max_key_accounts, s.min_key_accounts) == (None, None, None)


def test_the_kpi_labels_change_with_the_plan(case):
    ex = ScenarioExplorer(case)
    shown = ex.kpi_widgets["hours_available"].value
    ex.controls["capacity_scale"].value = 0.5
    assert ex.kpi_widgets["hours_available"].value != shown
    assert ex.kpi_values["hours_available"] == pytest.approx(
        0.5 * case.managers["capacity_hours"].sum())


def test_an_infeasible_scenario_shows_its_diagnosis_in_the_explorer(case):
    ex = ScenarioExplorer(case)
    last = ex.plan
    ex.controls["min_key_accounts"].value = len(case.customers)  # no exception escapes
    assert ex.status.value.startswith("Infeasible")
    assert "min_key_accounts" in ex.status.value and "short by" in ex.status.value
    assert "min_key_accounts" in ex.message.value
    assert type(ex.error).__name__ == "InfeasibleError"
    assert ex.plan is last  # the last plan stays on show
    ex.controls["min_key_accounts"].value = 0
    assert ex.error is None and ex.message.value == ""


def test_any_error_in_a_callback_is_shown_not_lost(case, monkeypatch):
    ex = ScenarioExplorer(case)

    def boom(scenario):
        raise RuntimeError("the solver fell over")

    monkeypatch.setattr(ex.session, "solve", boom)
    seen = []
    ex.status.observe(lambda ch: seen.append(ch["new"]), names="value")
    ex.controls["realization"].value = 0.2
    assert seen[0] == SOLVING  # the user sees that it is solving
    assert ex.status.value.startswith("Error: RuntimeError: the solver fell over")
    assert "the solver fell over" in ex.message.value
    assert not ex.solve_button.disabled


def test_save_from_the_explorer(case, tmp_path):
    from kamopt.store import load_scenario

    ex = ScenarioExplorer(case)
    folder = ex.save("mine", root=tmp_path)
    assert load_scenario(folder).summary["objective"] == pytest.approx(ex.plan.objective)
