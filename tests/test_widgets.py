"""The scenario explorer without a browser: controls, buttons, KPIs, errors."""

import html

import pytest

from kamopt.analysis.session import explorer_scenario
from kamopt.planning.oneyear import plan
from kamopt.present.explorer_view import SOLVING
from kamopt.present.widgets import ScenarioExplorer


@pytest.fixture(scope="module")
def case():
    from kamopt.case.sample import make_case

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
    # who serves them: the accounts of the manager who left are led by someone new
    led = ex.plan.accounts
    moved = ((led["key_account"] == 1) & (led["current_manager"] == away)).sum()
    changing = ex.kpi_values["accounts_changing_hands"]
    assert changing == ex.plan.kpis["accounts_changing_hands"] >= moved > 0
    assert "Led by a new manager</div>" in ex.kpi_widgets["accounts_changing_hands"].value
    assert f">{changing:,d} accounts</div>" in ex.kpi_widgets["accounts_changing_hands"].value


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
    assert (s.mip_gap, s.time_limit) == (0.001, 60.0)  # kamopt plan's: the same plan
    assert ex.plan is None  # auto off: nothing solved until the button
    ex.solve_button.click()
    assert ex.plan is not None
    assert {"NEW1", "NEW2"} <= set(ex.plan.managers.index)
    assert ex.plan.accounts.loc[c[3], "key_account"] == 1
    assert ex.plan.accounts.loc[c[4], "key_account"] == 0
    assert not ex.controls["budget"].disabled and not ex.controls["max_key_accounts"].disabled
    ex.set(use_budget=False, use_max=False, min_key_accounts=0)
    s = ex.scenario
    assert (s.budget, s.max_key_accounts, s.min_key_accounts) == (None, None, None)
    # a cap that is off cannot be edited: its value would do nothing
    assert ex.controls["budget"].disabled and ex.controls["max_key_accounts"].disabled


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
    assert ex.status.value.startswith("Infeasible: Min key accounts = 60 key accounts need")
    assert "short by" in ex.status.value and "cannot be met" not in ex.status.value
    assert "Min key accounts = 60" in ex.message.value
    assert type(ex.error).__name__ == "InfeasibleError"
    assert ex.plan is last  # the last plan stays on show
    ex.controls["min_key_accounts"].value = 0
    assert ex.error is None and ex.message.value == ""


def test_a_plan_stopped_at_its_budget_or_the_time_limit_is_marked_not_proven(case,
                                                                           monkeypatch):
    import dataclasses

    ex = ScenarioExplorer(case)
    assert ex.message.value == "" and "#b36b00" not in ex.kpi_widgets["objective"].value
    proven = ex.plan
    for stop, words in (("time", "stopped at the time limit (60 s, a safety net)"),
                        ("nodes", "stopped at its work budget")):
        stopped = dataclasses.replace(proven, status="feasible", kpis={
            **proven.kpis, "mip_gap": 0.05, "bound": proven.objective + 12_345.0,
            "stopped_by": stop})
        monkeypatch.setattr(ex.session, "solve", lambda scenario, cancel=None, p=stopped: p)
        ex.controls["realization"].value = 0.2 if stop == "time" else 0.25
        assert ex.status.value.startswith(f"feasible · {words}; gap 5.00%"), ex.status.value
        assert f"Not proven: the solver {words} before proving the 0.10% gap" \
            in ex.message.value
        assert "proven within 5.00% of the best plan possible, which earns at most 12,345 " \
            "EUR/yr" in ex.message.value
        assert "#b36b00" in ex.kpi_widgets["objective"].value  # the figures look provisional
    monkeypatch.setattr(ex.session, "solve", lambda scenario, cancel=None: proven)
    ex.controls["realization"].value = 0.3
    assert ex.message.value == "" and "#b36b00" not in ex.kpi_widgets["objective"].value


def test_a_change_shows_a_provisional_plan_at_once_then_the_plan_of_kamopt_plan(case):
    """In the app the refinement runs in a thread: the repaired plan is shown first, marked
    provisional with its gap; then the figures of the plan kamopt plan writes."""
    from kamopt.planning.oneyear import plan

    ex = ScenarioExplorer(case, background=True)
    ex.wait()
    seen = []
    ex.status.observe(lambda ch: seen.append(ch["new"]), names="value")
    ex.controls["unavailable_managers"].value = (case.managers.index[1],)
    final = ex.wait()
    provisional = [v for v in seen if v.startswith("provisional · refining… · within")]
    assert provisional, seen
    assert ex.status.value.startswith("optimal · proven within")
    assert not final.kpis.get("provisional")
    ref = plan(case, ex.scenario)
    assert final.table().equals(ref.table())
    assert ex.kpi_values["objective"] == pytest.approx(ref.objective)


def test_a_new_change_cancels_the_refinement_under_way(case, monkeypatch):
    import threading

    ex = ScenarioExplorer(case, background=True)
    ex.wait()
    started, cancelled = threading.Event(), []
    real = ex.session.solve

    def slow(scenario, cancel=None):
        if scenario.realization == 0.2:  # the first change: waits until cancelled
            started.set()
            cancel.wait(30)
            cancelled.append(cancel.is_set())
        return real(scenario, cancel=cancel)

    monkeypatch.setattr(ex.session, "solve", slow)
    ex.controls["realization"].value = 0.2
    started.wait(30)
    ex.controls["realization"].value = 0.25
    ex.wait()
    assert cancelled == [True]
    assert ex.plan.scenario.realization == 0.25 and not ex.plan.kpis.get("provisional")


def test_the_app_shows_the_notebooks_utilisation_chart(case):
    """One chart function for the explorer (the app) and notebook 2 / the report: same picture."""
    from kamopt.present.explorer_view import _png
    from kamopt.present.plan_charts import manager_utilisation

    ex = ScenarioExplorer(case)
    assert ex.chart.value == _png(manager_utilisation(ex.plan.managers))
    ex.controls["unavailable_managers"].value = (case.managers.index[1],)
    assert ex.chart.value == _png(manager_utilisation(ex.plan.managers))


def test_a_customer_choice_that_overrides_the_case_is_shown_not_silent(case):
    c = case.customers
    assert (c.at["K0015", "status"], c.at["K0022", "status"]) == ("exclude", "must")
    ex = ScenarioExplorer(case)
    assert "overrides" not in ex.status.value and ex.message.value == ""
    ex.controls["must"].value = ("K0015",)
    assert ex.plan.accounts.at["K0015", "key_account"] == 1  # the override stands
    assert ex.status.value.startswith("optimal")
    assert ex.status.value.endswith(" · overrides the case for 1 customer")
    assert ("Scenario 'explorer' overrides the case: K0015 is 'must' in the scenario, "
            "'exclude' in customers.csv") in html.unescape(ex.message.value)
    ex.controls["exclude"].value = ("K0022",)
    assert ex.status.value.endswith(" · overrides the case for 2 customers")
    assert "K0022 is 'exclude' in the scenario" in html.unescape(ex.message.value)
    ex.set(must=(), exclude=())
    assert "overrides" not in ex.status.value and ex.message.value == ""


def test_any_error_in_a_callback_is_shown_not_lost(case, monkeypatch):
    ex = ScenarioExplorer(case)

    def boom(scenario, *args, **kwargs):
        raise RuntimeError("the solver fell over")

    monkeypatch.setattr(ex.session, "quick", boom)
    seen = []
    ex.status.observe(lambda ch: seen.append(ch["new"]), names="value")
    ex.controls["realization"].value = 0.2
    assert seen[0] == SOLVING  # the user sees that it is solving
    assert ex.status.value.startswith("Error: RuntimeError: the solver fell over")
    assert "the solver fell over" in ex.message.value
    assert not ex.solve_button.disabled


def test_save_from_the_explorer(case, tmp_path):
    from kamopt.analysis.store import load_scenario

    ex = ScenarioExplorer(case)
    folder = ex.save("mine", root=tmp_path)
    assert load_scenario(folder).summary["objective"] == pytest.approx(ex.plan.objective)


# ------------------------------------------------------------------ the mid-term tab
@pytest.fixture(scope="module")
def small():
    from kamopt.case.sample import make_case

    return make_case(customers=30, managers=4, seed=1)


def _targets(small, company=(23e6, 25e6, 26e6)):
    import pandas as pd

    region = small.customers["region"].iloc[0]
    return pd.DataFrame({"year": [2027, 2028, 2029, 2028],
                         "scope": ["company"] * 3 + [f"region:{region}"],
                         "order_intake": [*company, 4e6]})


def test_the_midterm_tab_plans_the_horizon_against_the_scaled_targets(small):
    ex = ScenarioExplorer(small, solve=False, auto=False, targets=_targets(small))
    assert ex.midterm_plan is None and "4 for 2027–2029" in ex.midterm_info.value
    away = small.managers.index[0]
    ex.set(unavailable_managers=(away,), capacity_scale=1.2)  # the one-year scenario carries over
    c = ex.midterm_controls
    c["years"].value = 2
    c["target_scale"].value = 90
    c["target_mode"].value = "soft"
    c["shortfall_penalty"].value = 0.8
    assert ex.midterm_plan is None  # nothing solves until the button
    seen = []
    ex.midterm_status.observe(lambda ch: seen.append(ch["new"]), names="value")
    ex.midterm_button.click()
    mp = ex.midterm_plan
    assert seen[0].startswith(SOLVING) and "up to" in seen[0] and ex.midterm_error is None, \
        ex.midterm_status.value
    assert list(mp.years.index) == [2027, 2028]
    assert (mp.assumptions.years, mp.assumptions.target_mode,
            mp.assumptions.shortfall_penalty) == (2, "soft", 0.8)
    assert mp.scenario.unavailable_managers == (away,) and mp.scenario.capacity_scale == 1.2
    assert away not in set(mp.managers["manager_id"])
    assert mp.years["target"].tolist() == pytest.approx([0.9 * 23e6, 0.9 * 25e6])
    assert set(mp.targets["year"]) == {2027, 2028}  # 2029 is beyond the horizon
    table = ex.midterm_table.value
    for year, r in mp.years.iterrows():
        assert f"<td>{year}</td>" in table
        assert f"{r['target']:,.0f}" in table and f"{r['shortfall']:,.0f}" in table
        assert f"{r['intake']:,.0f}" in table
    assert "region:" in table  # the region's target has its own row
    assert ex.midterm_status.value.startswith(("optimal", "feasible"))
    assert "gap" in ex.midterm_status.value and "2 years" in ex.midterm_status.value
    assert "Hiring plan" in ex.midterm_hires.value
    assert ex.midterm_chart.value[:4] == b"\x89PNG" and ex.midterm_chart.layout.display == ""
    assert not ex.midterm_button.disabled
    assert ex.plan is None  # the one-year plan was not touched


def test_hard_targets_out_of_reach_show_their_diagnosis_in_the_tab(small):
    ex = ScenarioExplorer(small, solve=False, auto=False, targets=_targets(small))
    ex.midterm_controls["years"].value = 2
    ex.midterm_button.click()
    last = ex.midterm_plan
    assert last is not None
    ex.midterm_controls["target_mode"].value = "hard"
    assert ex.midterm_controls["shortfall_penalty"].disabled
    ex.midterm_controls["target_scale"].value = 200
    ex.midterm_button.click()  # no exception escapes
    assert type(ex.midterm_error).__name__ == "InfeasibleError"
    status = ex.midterm_status.value
    assert status.startswith("Infeasible") and "cannot be met" in status
    assert "target of 2027" in status and "short by" in status
    assert "best plan reaches" in ex.midterm_message.value
    assert ex.midterm_plan is last  # the last mid-term plan stays on show
    assert not ex.midterm_button.disabled
    ex.midterm_controls["target_scale"].value = 50
    ex.midterm_button.click()
    assert ex.midterm_error is None and ex.midterm_message.value == ""
    assert ex.midterm_plan.kpis["targets_met"]


def test_a_case_without_targets_plans_without_them(small):
    ex = ScenarioExplorer(small, solve=False, auto=False)
    assert "has none" in ex.midterm_info.value
    ex.midterm_controls["years"].value = 1
    ex.midterm_button.click()
    assert list(ex.midterm_plan.years.index) == [2027] and ex.midterm_error is None
    assert ex.midterm_plan.years["target"].isna().all()
    assert "no targets" in ex.midterm_status.value


def test_bad_targets_and_solver_errors_are_shown_not_raised(small, monkeypatch):
    import pandas as pd

    import kamopt.present.midterm_tab as midterm_tab
    from kamopt.errors import SolverError

    bad = pd.DataFrame({"year": [2027], "scope": ["region:Atlantis"], "order_intake": [1.0]})
    ex = ScenarioExplorer(small, solve=False, auto=False, targets=bad)
    assert "region:Atlantis" in ex.midterm_message.value
    ex.midterm_button.click()
    assert ex.midterm_status.value.startswith("Cannot plan") and ex.midterm_plan is None

    ex = ScenarioExplorer(small, solve=False, auto=False, targets=_targets(small))

    def stuck(*args, **kwargs):
        raise SolverError("no plan within the time limit")

    monkeypatch.setattr(midterm_tab, "plan_midterm", stuck)
    ex.midterm_button.click()
    assert ex.midterm_status.value.startswith("Cannot plan: SolverError")
    assert "no plan within the time limit" in ex.midterm_message.value
    assert not ex.midterm_button.disabled


def test_small_hours_read_as_they_are_in_the_tiles():
    """The territory case's workload index: 4.8 h available reads 4.8, not 5."""
    from pathlib import Path

    from kamopt import Scenario, load_case

    folder = Path(__file__).resolve().parents[1] / "data" / "validation" / "pfizer_turkey"
    ex = ScenarioExplorer(load_case(folder / "distance"),
                          scenario=Scenario.from_yaml(folder / "territory.yml"))
    assert ">4.8 h</div>" in ex.kpi_widgets["hours_available"].value
    assert ">4 h</div>" in ex.kpi_widgets["hours_used"].value
    assert ">-155 EUR/yr</div>" in ex.kpi_widgets["objective"].value


def test_the_robustness_tab_plans_the_assumption_lower_and_higher(case):
    ex = ScenarioExplorer(case)
    ex.controls["realization"].value = 0.4
    tab = ex.robustness
    assert tab.values() == [0.3, 0.4, 0.5]
    seen = []
    tab.status.observe(lambda ch: seen.append(ch["new"]), names="value")
    sw = tab.button.click() or tab.sweep
    assert seen[0] == SOLVING and tab.error is None
    # the status line counts the plans as they come
    assert seen[1:4] == [f"{SOLVING} {k} of 3 plans made" for k in (1, 2, 3)]
    assert sw.table["value"].tolist() == [0.3, 0.4, 0.5]
    # every plan at the tab's 1% gap (seconds, not minutes), said in the status line
    for v, p in zip(sw.table["value"], sw.plans, strict=True):
        assert p.scenario == ex.scenario.replace(realization=v, mip_gap=0.01)
    assert tab.status.value.startswith("3 plans in ")
    assert "(each within 1.0% of its optimum)" in tab.status.value
    assert f"{len(sw.core)} key accounts in every plan · {len(sw.swing)} depend on" in (
        tab.status.value)
    assert tab.chart.value[:4] == b"\x89PNG" and tab.chart.layout.display == ""
    names = case.customers["name"]
    for cid in sw.swing.index[:25]:
        assert html.escape(f"{cid} {names[cid]}") in tab.table.value
    # five plans, half lower and higher, of the capacity scale
    tab.controls["parameter"].value = "capacity_scale"
    tab.controls["spread"].value = 0.5
    tab.controls["points"].value = 5
    assert tab.values() == [0.5, 0.75, 1.0, 1.25, 1.5]


def test_the_robustness_tab_shows_what_it_cannot_do(case, monkeypatch):
    ex = ScenarioExplorer(case)
    ex.controls["industry_fit"].value = 0.0
    tab = ex.robustness
    tab.controls["parameter"].value = "industry_fit"
    assert tab.run() is None
    assert tab.status.value.startswith("Cannot tell: Industry fit is 0 in this scenario")
    assert "Assumptions tab" in tab.message.value and not tab.button.disabled

    def boom(*args, **kwargs):
        raise RuntimeError("the solver fell over")

    monkeypatch.setattr("kamopt.analysis.sensitivity.sweep", boom)
    tab.controls["parameter"].value = "retention"
    assert tab.run() is None
    assert "the solver fell over" in tab.status.value and isinstance(tab.error, RuntimeError)


def test_the_robustness_tab_names_a_value_without_a_plan(case):
    ex = ScenarioExplorer(case)
    # the 12 accounts with the most KAM hours are 'must': the 6 of tier 3 need 1,202 h at
    # their lightest level, more than the senior managers have at a capacity scale of 0.375
    # (or anything up to 0.6); at 0.75 and 1.125 they fit
    must = case.customers.sort_values("kam_hours", ascending=False).index[:12]
    ex.controls["must"].value = tuple(must)
    ex.controls["capacity_scale"].value = 0.75
    tab = ex.robustness
    tab.controls["parameter"].value = "capacity_scale"
    tab.controls["spread"].value = 0.5
    sw = tab.run()
    assert sw is not None and tab.error is None
    assert sw.table["value"].tolist() == [0.375, 0.75, 1.125]
    assert sw.table["status"].tolist()[0] == "infeasible"
    assert sw.plans[1] is not None and sw.plans[2] is not None
    assert tab.status.value.startswith("2 of 3 plans in ")
    assert "No plan at 1 of the values." in tab.message.value
    assert "37.5%: The scenario cannot be met" in html.unescape(tab.message.value)
    assert "the 6 &#x27;must&#x27; accounts of tier 3 need" in tab.message.value


def test_fixed_leads_are_picked_in_the_customers_tab_and_kept_by_the_plan(case):
    ex = ScenarioExplorer(case)
    ka = ex.plan.accounts[ex.plan.accounts["key_account"] == 1]
    cid = ka.index[0]
    tier = case.customers.at[cid, "tier"]
    j = next(m for m in case.managers.index
             if m != ka.at[cid, "manager_id"] and case.managers.at[m, "seniority"] >= tier)
    ex.fix_lead(cid, j)  # what the Account / led by / Fix lead controls do
    assert ex.controls["leads"].value == f"{cid}: {j}"
    assert ex.error is None and ex.plan.scenario.leads == ((cid, j),)
    assert ex.plan.accounts.at[cid, "manager_id"] == j
    assert f"fixes the lead manager of 1 account: {cid} with {j}" in ex.message.value
    ex.plan.verify()
    # picking the account again replaces its line; another account adds one
    other = next(m for m in case.managers.index if m != j
                 and case.managers.at[m, "seniority"] >= tier)
    ex.lead_customer.value, ex.lead_manager.value = cid, other
    ex.lead_button.click()
    assert ex.controls["leads"].value == f"{cid}: {other}"
    assert ex.plan.accounts.at[cid, "manager_id"] == other
    ex.controls["leads"].value = ""
    assert ex.plan.scenario.leads == () and "fixes the lead manager" not in ex.message.value


def test_a_fixed_lead_that_does_not_read_or_cannot_be_met_is_shown(case):
    ex = ScenarioExplorer(case)
    ex.controls["leads"].value = "K0001 M01 extra"
    assert ex.error is not None
    assert "Fixed leads, row 1: got 'K0001 M01 extra'; must read 'customer_id: manager_id'" \
        in html.unescape(ex.message.value)
    ex.controls["leads"].value = "K0001: M99"
    assert "'Fixed leads', K0001: got 'M99'; unknown manager" in html.unescape(ex.message.value)
    weak = case.managers.index[case.managers["seniority"] < 3]
    tier3 = case.customers.index[case.customers["tier"] == 3]
    ex.controls["leads"].value = f"{tier3[0]}: {weak[0]}"
    assert ex.status.value.startswith("Infeasible: the scenario fixes " + weak[0])
    ex.controls["leads"].value = ""
    assert ex.error is None and ex.plan is not None


def test_a_manager_is_ruled_out_in_the_customers_tab(case):
    ex = ScenarioExplorer(case)
    ka = ex.plan.accounts[ex.plan.accounts["key_account"] == 1]
    cid, j = ka.index[0], ka.iloc[0]["manager_id"]
    ex.lead_customer.value, ex.lead_manager.value = cid, j
    ex.rule_out_button.click()
    assert ex.controls["excluded_leads"].value == f"{cid}: {j}"
    assert ex.error is None and ex.plan.scenario.excluded_leads == ((cid, j),)
    assert ex.plan.accounts.at[cid, "manager_id"] != j
    assert f"{cid} not by {j}" in ex.message.value
    ex.rule_out_lead(cid, j)  # twice: one line, once
    assert ex.controls["excluded_leads"].value == f"{cid}: {j}"
    # the last choice wins: fixing the pair takes the rule back, and ruling it out the fix
    ex.fix_lead(cid, j)
    assert (ex.controls["leads"].value, ex.controls["excluded_leads"].value) == (f"{cid}: {j}", "")
    assert ex.error is None and ex.plan.accounts.at[cid, "manager_id"] == j
    ex.rule_out_lead(cid, j)
    assert (ex.controls["leads"].value, ex.controls["excluded_leads"].value) == ("", f"{cid}: {j}")
    assert ex.error is None and ex.plan.accounts.at[cid, "manager_id"] != j
    assert not any("error" in h for h in ex.history)  # no error on the way
    ex.controls["excluded_leads"].value = "K0001 M01"
    assert "Not led by, row 1: got 'K0001 M01'; must read" in html.unescape(ex.message.value)
    ex.controls["excluded_leads"].value = ""
    assert ex.error is None and ex.plan.scenario.excluded_leads == ()


def test_levels_and_activities_are_fixed_in_the_customers_tab_and_kept_by_the_plan(case):
    ex = ScenarioExplorer(case)
    acc = ex.plan.accounts
    cid = acc.index[acc["key_account"] == 1][0]
    level = next(lv for lv in ex.base.level_names if lv != acc.at[cid, "level"])
    ex.fix_customer.value, ex.fix_level.value = cid, level
    ex.level_button.click()  # what the Account / at / Fix level controls do
    assert ex.controls["coverage"].value == f"{cid}: {level}"
    assert ex.error is None and ex.plan.scenario.coverage == ((cid, level),)
    assert ex.plan.accounts.at[cid, "level"] == level
    assert f"fixes the coverage of 1 account: {cid} {level}" in ex.message.value
    # an activity the plan does not run for an account outside the plan: committed, it runs
    out = acc.index[acc["key_account"] == 0][0]
    k = case.activities.index[0]
    ex.fix_customer.value, ex.fix_activity.value = out, k
    ex.commit_button.click()
    ex.commit_activity(out, k)  # twice: once
    assert ex.controls["committed_activities"].value == f"{out}: {k}"
    assert ex.error is None and ex.plan.accounts.at[out, "key_account"] == 1
    assert k in ex.plan.accounts.at[out, "activities"].split(";")
    assert f"commits activities for 1 account: {out} {k}" in ex.message.value
    ex.plan.verify()
    ex.controls["committed_activities"].value = f"{out}: {k}, A99"
    assert f"'Committed', {out}: got 'A99'; unknown activity" in html.unescape(ex.message.value)
    ex.controls["coverage"].value = f"{cid} {level} extra"
    assert "Fixed levels, row 1: got" in html.unescape(ex.message.value)
    ex.set(coverage="", committed_activities="")
    assert ex.error is None and ex.plan.scenario.coverage == ()
    assert "decides what is done" not in ex.message.value


# ------------------------------------------- found by a fuzz run of random explorer actions
def test_every_manager_away_shows_the_empty_plan_not_a_stuck_solving(case):
    ex = ScenarioExplorer(case)
    must = tuple(case.customers.index[case.customers["status"] == "must"])
    ex.set(exclude=must, unavailable_managers=tuple(case.managers.index))
    assert ex.error is None and ex.status.value.startswith("optimal")
    assert ex.plan.kpis["key_accounts"] == 0 and ex.chart.layout.display == "none"
    ex.set(exclude=(), unavailable_managers=())
    assert ex.plan.kpis["key_accounts"] > 0 and ex.chart.layout.display == ""


def test_an_error_while_showing_the_plan_is_shown_not_raised(case, monkeypatch):
    ex = ScenarioExplorer(case)
    monkeypatch.setattr("kamopt.present.widgets.plan_table_html", lambda p: 1 / 0)
    ex.controls["realization"].value = 0.25  # must not raise out of the callback
    assert ex.status.value.startswith("Error: ZeroDivisionError") and ex.status.value != SOLVING


def test_a_failed_solve_after_a_rebuild_does_not_break_the_next_ones(case, monkeypatch):
    """The session kept the old model's plan after a rebuilt model failed; the next solve of
    the new model then compared a plan of the wrong size (a matmul error) until it changed."""
    from kamopt.analysis import session as sess
    from kamopt.analysis.session import PlanSession
    from kamopt.solve.backend import Solution

    s = PlanSession(case)
    s.solve(explorer_scenario())
    real = sess.run_highs
    monkeypatch.setattr(sess, "run_highs", lambda *a, **k: Solution(
        "error", None, None, None, 0.0, "highs", message="HiGHS stopped without a plan: Empty"))
    with_hire = explorer_scenario(hires=(__import__("kamopt.case.scenario").case.scenario.Hire(count=1),))
    assert s.quick(with_hire) is None  # a new structure (a hire's columns): rebuilt, no plan
    monkeypatch.setattr(sess, "run_highs", real)
    p = s.quick(with_hire.replace(realization=0.25))  # the same structure: not rebuilt
    assert p is not None and not s.info["rebuilt"]
    p.verify()


def test_save_refuses_a_plan_that_is_not_of_the_controls(case, tmp_path):
    ex = ScenarioExplorer(case)
    ex.controls["leads"].value = "K0001: M99"  # the solve fails: the old plan stays on show
    with pytest.raises(ValueError, match="not the plan of the controls as they are now"):
        ex.save("stale", root=tmp_path)
    ex.auto.value = False
    ex.controls["leads"].value = ""
    ex.controls["capacity_scale"].value = 0.8  # changed, not planned yet
    with pytest.raises(ValueError, match="press Plan, then save"):
        ex.save("stale", root=tmp_path)
    assert not (tmp_path / "stale").exists()


def test_ticking_re_plan_again_plans_the_controls_as_they_are(case):
    ex = ScenarioExplorer(case)
    ex.auto.value = False
    ex.controls["capacity_scale"].value = 0.8
    assert ex.plan.scenario.capacity_scale == 1.0
    ex.auto.value = True
    assert ex.plan.scenario.capacity_scale == 0.8


def test_fixing_a_lead_replaces_its_line_when_the_other_box_does_not_read(case):
    ex = ScenarioExplorer(case, auto=False, solve=False)
    m = list(case.managers.index)
    ex.controls["leads"].value = f"K0001: {m[0]}"
    ex.controls["excluded_leads"].value = "K0002"  # half typed
    ex.fix_lead("K0001", m[1])
    assert ex.controls["leads"].value == f"K0001: {m[1]}"
    assert ex.controls["excluded_leads"].value == "K0002"  # left as the user typed it


def test_number_fields_keep_to_what_a_plan_can_take(case):
    ex = ScenarioExplorer(case, auto=False, solve=False)
    for key, big in (("continuity_bonus", 1e20), ("hire_cost", 1e13), ("hire_capacity", 1e9),
                     ("budget", 1e300)):
        ex.controls[key].value = big
        assert ex.controls[key].value < big, key


def test_a_midterm_plan_with_nothing_to_decide_is_optimal(small):
    ex = ScenarioExplorer(small, auto=False, solve=False)
    ex.set(exclude=tuple(small.customers.index))
    ex.midterm_controls["years"].value = 2
    ex.midterm_targets = lambda: None  # no targets: nothing at all to decide
    ex.plan_midterm()
    assert ex.midterm_status.value.startswith("optimal · gap 0.00%"), ex.midterm_status.value


def test_errors_read_in_the_explorers_words_not_the_scenarios_fields(case):
    ex = ScenarioExplorer(case)
    ex.controls["leads"].value = "K0001: M99"
    assert ex.status.value.startswith("Cannot plan: The explorer's choices do not fit the case")
    assert "'Fixed leads', K0001: got 'M99'; unknown manager" in ex.status.value
    ex.controls["leads"].value = ""
    ex.set(use_max=True, max_key_accounts=1, min_key_accounts=5)
    assert "'Min key accounts': got 5; must not exceed Max key accounts (1)" in ex.status.value


def test_an_error_while_showing_the_robustness_sweep_is_shown_not_raised(case, monkeypatch):
    ex = ScenarioExplorer(case)
    tab = ex.robustness
    monkeypatch.setattr("kamopt.present.robustness_tab.swing_table_html", lambda sw: 1 / 0)
    assert tab.run() is None  # must not raise out of the button's callback
    assert tab.status.value.startswith("Cannot tell: division by zero")
    assert not tab.button.disabled
