"""The Robustness tab's "Uncertain estimates" panel without a browser: a run, the plan on
show re-used, errors shown in the panel, names from the case escaped."""

import html
from dataclasses import replace

import pytest

from kamopt import Scenario
from kamopt.analysis.uncertainty import leads_of
from kamopt.case.uncertainty import Range, Uncertainty
from kamopt.present.explorer_view import SOLVING
from kamopt.present.uncertainty_tab import UncertaintyPanel
from kamopt.present.widgets import ScenarioExplorer

HOSTILE = "<script>alert(1)</script> "


@pytest.fixture(scope="module")
def case():
    from kamopt.case.sample import make_case

    return make_case(customers=30, managers=3, seed=1)


def test_the_panel_plans_the_draws_and_shows_what_they_say(case):
    ex = ScenarioExplorer(case)
    panel = ex.robustness.uncertainty
    assert isinstance(panel, UncertaintyPanel) and panel.widget in ex.robustness.widget.children
    panel.controls["draws"].value = 3  # the slider's least is 5 draws
    assert panel.controls["draws"].value == 5
    seen, bar = [], []
    panel.status.observe(lambda ch: seen.append(ch["new"]), names="value")
    panel.progress_label.observe(lambda ch: bar.append(ch["new"]), names="value")
    result = panel.button.click() or panel.result
    assert result is not None and panel.error is None and seen[0] == SOLVING
    # the explorer's scenario at the panel's 1% gap, with its uncertainty; the explorer's
    # plan is at 0.1%, so the deterministic plan was made anew
    assert result.scenario == ex.scenario.replace(
        mip_gap=0.01, uncertainty=Uncertainty(potential_spread=0.25))
    assert not panel.reused
    s = result.summary
    assert s["draws"] == 5 and s["vss"] is None and len(result.draws) == 5
    p = result.selection["p_key_account"]
    assert p.between(0, 1).all() and len(result.selection) == len(case.customers)
    assert (result.selection.set_index("customer_id").loc[result.core, "p_key_account"]
            >= 0.9).all()
    # the bar: 2 plans a draw (the draw's own plan, the deterministic plan valued under it)
    assert panel.progress.max == 10 and panel.progress.value == 10
    assert bar[0] == "Planning on the point estimates…" and bar[-1] == "10 of 10 plans"
    assert any(t.startswith("1 of 10 plans, about ") and t.endswith(" s left") for t in bar)
    assert panel.status.value.startswith("5 draws · 10 plans in ")
    assert ", each within 1.0% · " in panel.status.value
    assert "made anew at 1% (the plan on show is at 0.1%)." in panel.findings.value
    assert f"{len(result.core)} core key accounts" in panel.status.value
    assert panel.selection_chart.value[:4] == b"\x89PNG"
    assert panel.value_chart.value[:4] == b"\x89PNG"
    assert panel.selection_chart.layout.display == "" == panel.value_chart.layout.display
    for line in result.text().splitlines():
        assert html.escape(line) in panel.findings.value
    assert not panel.button.disabled


def test_the_panel_reuses_the_plan_on_show_and_decides_a_two_stage_plan(case):
    ex = ScenarioExplorer(case, scenario=Scenario(mip_gap=0.01), keep_solver_settings=True)
    panel = ex.robustness.uncertainty
    panel.controls["draws"].value = 5
    panel.controls["realization"].value = 1 / 3
    panel.controls["two_stage"].value = True
    assert panel.uncertainty().realization == Range(0.2, 0.4)  # α 0.3 ± a third
    assert panel.uncertainty().retention is None
    result = panel.run()
    assert result is not None and panel.error is None
    assert panel.reused and result.deterministic == leads_of(ex.plan)
    assert panel.progress.max == panel.progress.value == 15  # 3 plans a draw
    s = result.summary
    assert s["vss"] is not None
    assert s["two_stage"]["in_sample"]["two_stage_plan"] >= (
        s["two_stage"]["in_sample"]["deterministic_plan"] - 1e-6)
    assert "in the two-stage plan" in panel.table.value or "No bets" in panel.table.value
    # a two-stage plan that is the deterministic plan is said to be so, not hidden in a 0
    same = result.two_stage == result.deterministic
    assert same == ("The two-stage plan is the deterministic plan (VSS 0)" in panel.message.value)
    assert "The deterministic plan is the plan on show." in panel.findings.value


def test_the_panel_shows_an_error_and_raises_nothing(case, monkeypatch):
    ex = ScenarioExplorer(case)
    panel = ex.robustness.uncertainty
    # a realisation range that does not hold the explorer's α (0.3): the scenario says so
    monkeypatch.setattr(panel, "uncertainty",
                        lambda: Uncertainty(potential_spread=0.25, realization=Range(0.5, 0.6)))
    assert panel.run() is None and panel.result is None
    assert panel.status.value.startswith("Cannot tell: ")
    assert "must hold the scenario's realization (0.3)" in panel.status.value
    assert "The analysis did not run." in panel.message.value
    assert panel.progress_label.value == "stopped" and not panel.button.disabled
    monkeypatch.undo()

    def boom(*args, **kwargs):
        raise RuntimeError("the <solver> fell over")

    monkeypatch.setattr("kamopt.analysis.uncertainty.analyse", boom)
    panel.controls["draws"].value = 5
    panel.button.click()
    assert isinstance(panel.error, RuntimeError) and panel.result is None
    assert "the <solver> fell over" in panel.status.value  # a Label shows text, not HTML
    assert "the &lt;solver&gt; fell over" in panel.message.value
    assert "<solver>" not in panel.message.value


def test_names_from_the_case_are_shown_as_text(case):
    hostile = replace(case, customers=case.customers.assign(
        name=HOSTILE + case.customers["name"]))
    ex = ScenarioExplorer(hostile)
    panel = ex.robustness.uncertainty
    panel.controls["draws"].value = 5
    result = panel.run()
    assert result is not None and panel.error is None and result.bets
    shown = panel.findings.value + panel.table.value + panel.message.value
    assert "<script>" not in shown
    bet = result.bets[0]
    name = hostile.customers.loc[bet, "name"]
    assert html.escape(f"{bet} {name}") in panel.table.value
