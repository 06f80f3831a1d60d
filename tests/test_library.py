"""The scenario library in the app: save by name, compare side by side, errors shown."""

import pytest

from kamopt.case.sample import make_case
from kamopt.present.library import ScenarioLibrary
from kamopt.present.widgets import ScenarioExplorer


@pytest.fixture
def explorer():
    return ScenarioExplorer(make_case(customers=40, managers=4, seed=2))


def test_save_two_plans_and_compare_them(explorer, tmp_path):
    lib = ScenarioLibrary(explorer, root=tmp_path)
    lib.name.value = "base"
    lib.save_button.click()
    base_objective = explorer.plan.objective
    away = explorer.plan.managers.sort_values("hours_used").index[-1]
    plan_away = explorer.session.solve(explorer.scenario.replace(unavailable_managers=(away,)))
    explorer.plan = plan_away
    lib.name.value = "away"
    lib.save_button.click()
    assert lib.names == ("away", "base")
    assert set(lib.choose.value) == {"away", "base"}
    lib.compare_button.click()
    c = lib.comparison
    assert c is not None and c.names == ["base", "away"]  # the base (the first chosen) first
    assert c.kpis.loc["objective", "base"] == pytest.approx(base_objective, abs=0.01)
    assert c.kpis.loc["objective", "away"] == pytest.approx(plan_away.objective, abs=0.01)
    assert "Side by side" in lib.result.value and "away" in lib.result.value
    # it survives a restart: a new library on the same folder lists both
    assert ScenarioLibrary(explorer, root=tmp_path).names == ("away", "base")


def test_errors_are_shown_in_the_library(explorer, tmp_path):
    lib = ScenarioLibrary(explorer, root=tmp_path)
    lib.name.value = "no spaces allowed"
    lib.save_button.click()
    assert "ValueError" in lib.message.value and "name" in lib.message.value
    lib.compare_button.click()
    assert "at least two" in lib.message.value
    assert lib.comparison is None
