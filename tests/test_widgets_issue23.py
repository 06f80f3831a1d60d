"""Issue 23 in the explorer, without a browser: the "Response" tab (the judged-response editor,
the explorer planned with the fitted responses and back), the "least largest workload"
control, and the app on a case and scenario of KAMOPT_CASE / KAMOPT_SCENARIO.

Every plan here runs with ``time_limit: 3600``: the gap or the node budget decides, never
the clock, so the plans compared are the same on a busy machine."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kamopt
from kamopt.analysis.response_fit import (
    fit_judgements,
    fitted_responses,
    merged_responses,
    parse_judgements,
)
from kamopt.case.scenario import Scenario
from kamopt.i18n import language
from kamopt.present.widgets import ScenarioExplorer

ROOT = Path(__file__).resolve().parents[1]
SAFE = Scenario(time_limit=3600)  # a safety net no solve here reaches


@pytest.fixture(scope="module")
def case():
    from kamopt.case.sample import make_case

    return make_case(customers=40, managers=4, seed=5)


def _judged(case, n: int = 3) -> list[str]:
    """The ``n`` customers with the largest potential: the ones judgements are written for."""
    return case.customers.sort_values("potential", ascending=False).index[:n].tolist()


@pytest.fixture(scope="module")
def judgements(case):
    """judgements.csv's cells for three accounts: today's revenue at no effort, rising with
    effort to well above what the scenario's realisation gives (so the plan changes)."""
    rows = []
    for cid in _judged(case):
        r, p = case.customers.at[cid, "revenue"], case.customers.at[cid, "potential"]
        for effort, share in (("0", 0.0), ("0.5", 0.45), ("1", 0.7), ("1.5", 0.8),
                              ("saturation", 0.9)):
            rows.append({"customer_id": cid, "industry": "", "effort": effort,
                         "order_intake": round(r + share * p)})
    return pd.DataFrame(rows)


def _expected_case(case, scenario, cells):
    """The case with the fitted responses, made from the cells without the editor."""
    fits = fit_judgements(parse_judgements(cells, case))
    return dataclasses.replace(case, responses=merged_responses(
        case, fitted_responses(case, scenario, fits)))


# ------------------------------------------------------------------ Response tab
def test_the_response_tab_is_there_and_follows_the_language(case, judgements):
    ex = ScenarioExplorer(case, SAFE, judgements=judgements, solve=False)
    tab = ex.response
    assert ex.tabs.titles[-1] == "Response" and ex.tabs.children[-1] is tab.widget
    assert tab.editor is not None and tab.editor in tab.widget.children
    assert tab.error is None and "the table given to the explorer" in tab.info.value
    assert tab.editor.picker.options[0][1] == ("customer_id", _judged(case)[0])
    fields = list(tab.editor.inputs)
    amount = float(judgements["order_intake"].iloc[2])
    assert fields[2].value == f"{amount:,.0f}"
    try:
        ex.switch_language("de")
        assert ex.tabs.titles[-1] == "Reaktion"
        # the same fields, written in German (none made anew: a browser keeps its fields)
        assert tab.editor.inputs == fields and fields[2].value == f"{amount:,.0f}".replace(
            ",", ".")
        assert "Sättigung" in tab.editor.grid.children[-1].children[0].value
        assert tab.editor.button.description == "Diese Reaktionen verwenden"
        assert tab.back_button.description == "Zurück zu den Reaktionen des Falls"
        assert "Einschätzungen aus" in tab.info.value
        assert "Eingeschätzte Reaktion" in tab.editor.title.value
    finally:
        ex.switch_language("en")
    assert ex.tabs.titles[-1] == "Response" and "Judged response" in tab.editor.title.value


def test_editing_a_judgement_fits_the_curve_again(case, judgements):
    ex = ScenarioExplorer(case, SAFE, judgements=judgements, solve=False)
    ed = ex.response.editor
    cid = _judged(case)[1]
    ed.select("customer_id", cid)
    before = ed.fit, ed.chart.value, ed.quality.value, ed.levels_table.value
    new = 1.3 * float(judgements.query("customer_id == @cid and effort == '1'")["order_intake"]
                      .iloc[0])
    ed.set_intake(1.0, f"{new:.0f}")
    assert ed.error is None
    after = ed.fit
    assert after.intakes != before[0].intakes and new in after.intakes
    assert (after.a, after.b, after.c, after.d) != (before[0].a, before[0].b, before[0].c,
                                                    before[0].d)
    assert ed.chart.value != before[1] and ed.chart.value[:4] == b"\x89PNG"
    assert ed.quality.value != before[2] and ed.levels_table.value != before[3]
    # the fit is the one the module fits to the same table, typed in a file
    cells = judgements.copy()
    cells.loc[(cells["customer_id"] == cid) & (cells["effort"] == "1"), "order_intake"] = new
    independent = next(f for f in fit_judgements(parse_judgements(cells, case)) if f.key == cid)
    assert (after.a, after.b, after.c, after.d) == pytest.approx(
        (independent.a, independent.b, independent.c, independent.d))


def test_using_the_responses_plans_with_them_and_back_restores(case, judgements):
    ex = ScenarioExplorer(case, SAFE, judgements=judgements)
    own = ex.wait()
    tab, ed = ex.response, ex.response.editor
    assert own.status == "optimal" and "judged" not in ex.status.value
    cid = _judged(case)[0]
    ed.select("customer_id", cid)
    ed.set_intake(1.5, str(case.customers.at[cid, "revenue"] + 0.85 * case.customers.at[
        cid, "potential"]))
    ed.button.click()  # "Use these responses"
    judged = ex.wait()

    cells = judgements.copy()
    cells.loc[(cells["customer_id"] == cid) & (cells["effort"] == "1.5"), "order_intake"] = (
        case.customers.at[cid, "revenue"] + 0.85 * case.customers.at[cid, "potential"])
    expected_case = _expected_case(case, ex.scenario, cells)
    expected = kamopt.plan(expected_case, ex.scenario)
    # the explorer plans on the case with the judged responses: kamopt.plan's plan of it
    pd.testing.assert_frame_equal(ex.case.responses.reset_index(drop=True),
                                  expected_case.responses.reset_index(drop=True))
    assert judged.status == "optimal" and judged.case is ex.case
    assert judged.objective == pytest.approx(expected.objective, abs=0.5)
    acc, exp = judged.accounts, expected.accounts
    for k in _judged(case):
        assert acc.at[k, "key_account"] == exp.at[k, "key_account"]
        assert acc.at[k, "level"] == exp.at[k, "level"]
        assert acc.at[k, "value"] == pytest.approx(exp.at[k, "value"], abs=0.5)
        if acc.at[k, "key_account"]:  # its value from potential: the fitted realisation
            r = expected_case.responses
            row = r[(r["customer_id"] == k) & (r["level"] == acc.at[k, "level"])]
            assert acc.at[k, "value_potential"] == pytest.approx(
                float(row["realization"].iloc[0]) * acc.at[k, "potential"] * acc.at[k, "margin"],
                abs=0.01)
    assert any(acc.at[k, "key_account"] for k in _judged(case))  # the check above ran
    # the judged responses changed what the plan earns from the judged accounts
    assert any(acc.at[k, "value"] != pytest.approx(own.accounts.at[k, "value"], abs=1)
               for k in _judged(case))
    judged.verify()
    assert ex.status.value.startswith("optimal")
    assert ex.status.value.endswith("judged responses of 3 accounts (Response tab)")
    assert tab.status.value == "The explorer plans with the judged responses of 3 accounts."
    assert not tab.back_button.disabled

    tab.back_button.click()  # back to the case's own responses
    back = ex.wait()
    assert ex.case is case and back.case is case and tab.in_use is None
    assert back.objective == pytest.approx(own.objective, abs=0.5)
    assert "judged" not in ex.status.value and tab.back_button.disabled
    assert tab.status.value == "The explorer plans with the case's own responses."


def test_without_judgements_the_tab_says_how_to_give_them(case):
    ex = ScenarioExplorer(case, SAFE, solve=False)
    tab = ex.response
    assert tab.editor is None and tab.error is None
    assert "No judgements to edit" in tab.info.value and "judgements.csv" in tab.info.value
    assert tab.note() == ""
    with language("de"):
        tab.relabel()
        assert "Keine Einschätzungen" in tab.info.value
    tab.relabel()


def test_the_case_folders_judgements_and_their_problems(case, judgements, tmp_path):
    folder = tmp_path / "case"
    kamopt.save_case(case, folder)
    judgements.to_csv(folder / "Judgements.CSV", index=False, sep=";")
    ex = ScenarioExplorer(kamopt.load_case(folder), SAFE, solve=False)
    tab = ex.response
    assert tab.error is None and tab.source.endswith("Judgements.CSV")
    assert [k for _, (_, k) in tab.editor.picker.options] == _judged(case)
    assert tab.editor.judgements["order_intake"].tolist() == pytest.approx(
        judgements["order_intake"].astype(float).tolist())
    # an explicit table comes first (as the mid-term tab's targets=)
    assert ScenarioExplorer(kamopt.load_case(folder), SAFE, solve=False,
                            judgements=judgements.head(5)).response.editor.picker.options[0][1] \
        == ("customer_id", _judged(case)[0])
    # a file with a problem: said with file, row and column; the explorer still plans
    bad = judgements.copy()
    bad.loc[3, "customer_id"] = "K9999"
    bad.to_csv(folder / "Judgements.CSV", index=False)
    ex = ScenarioExplorer(kamopt.load_case(folder), SAFE, solve=False)
    tab = ex.response
    assert tab.editor is None and tab.error is not None
    assert "row 5, column &#x27;customer_id&#x27;: got &#x27;K9999&#x27;" in tab.info.value
    assert "Traceback" not in tab.info.value
    assert ex.solve() is not None and ex.error is None


# ------------------------------------------------------------ least largest workload
def test_the_least_largest_workload_control(case):
    """Issue 23: "Least largest workload first" in the People tab is the scenario's
    ``balance: {objective: least_largest_workload}``; the plan on show is kamopt.plan's for
    it and loads its busiest manager no more than the usual plan does."""
    ex = ScenarioExplorer(case, SAFE)
    usual = ex.wait()
    assert ex.scenario.balance is None and not ex.controls["least_largest"].value
    ex.controls["least_largest"].value = True
    assert ex.scenario.balance.objective == "least_largest_workload"
    assert ex.scenario.balance.within is None and ex.scenario.balance.measure == "hours"
    p = ex.wait()
    expected = kamopt.plan(case, ex.scenario)
    assert p.scenario.balance == ex.scenario.balance and p.status == "optimal"
    assert p.kpis["largest_load"] == pytest.approx(expected.kpis["largest_load"], abs=1e-6)
    assert p.objective == pytest.approx(expected.objective, abs=0.5)
    p.verify()
    available = usual.managers[usual.managers["capacity"] > 0]
    # here the least largest load is well below the usual plan's, which earns more
    assert p.kpis["largest_load"] < available["utilisation"].max() - 0.1
    assert p.objective < usual.objective
    # with the band as well: both in one balance block
    ex.set(balance=0.9, use_balance=True)
    assert ex.scenario.balance.within == 0.9
    assert ex.scenario.balance.objective == "least_largest_workload"
    ex.set(least_largest=False, use_balance=False)
    assert ex.scenario.balance is None
    # a scenario with the objective starts with the box ticked
    started = ScenarioExplorer(case, SAFE.replace(balance="least_largest_workload"),
                               solve=False)
    assert started.controls["least_largest"].value
    assert started.scenario.balance == SAFE.replace(balance="least_largest_workload").balance


# ------------------------------------------------------------------ fewest handovers
def test_the_fewest_handovers_control_is_the_tie_break():
    """Issue 23: "Fewest handovers among equally good plans" beside the handover cap is the
    scenario's ``tie_break: least_disruption``; the plan on show is kamopt.plan's for it, moves
    fewer accounts than the usual plan (3 -> 1 on this case) and stays within the gap of the
    usual plan's bound; no plan within that gap moves fewer."""
    from kamopt.case.sample import make_case

    case = make_case(customers=40, managers=4, seed=6)
    ex = ScenarioExplorer(case, SAFE)
    usual = ex.wait()
    assert ex.scenario.tie_break is None and not ex.controls["fewest_moves"].value
    ex.controls["fewest_moves"].value = True
    assert ex.scenario.tie_break == ("least_disruption", "accounts")
    p = ex.wait()
    expected = kamopt.plan(case, ex.scenario)
    assert p.scenario.tie_break == ("least_disruption", "accounts")
    assert p.kpis["accounts_changing_hands"] == expected.kpis["accounts_changing_hands"]
    assert p.objective == pytest.approx(expected.objective, abs=0.5)
    moved = p.kpis["accounts_changing_hands"]
    assert moved < usual.kpis["accounts_changing_hands"]
    floor = (1 - ex.scenario.mip_gap) * usual.kpis["bound"]
    assert p.objective >= floor - 0.5
    p.verify()
    fewer = kamopt.plan(case, SAFE.replace(max_disruption={"accounts": moved - 1}, mip_gap=0.0))
    assert fewer.kpis["bound"] < floor  # proven: one handover fewer cannot earn the floor
    ex.controls["fewest_moves"].value = False
    assert ex.scenario.tie_break is None
    # a scenario's own tie-break (in hours) starts the box ticked and keeps its measure
    started = ScenarioExplorer(case, SAFE.replace(tie_break=("least_disruption", "hours")),
                               solve=False)
    assert started.controls["fewest_moves"].value
    assert started.scenario.tie_break == ("least_disruption", "hours")


# ------------------------------------------------------------------ the app's inputs
def test_the_app_plans_the_case_and_scenario_of_the_environment(case, tmp_path):
    from kamopt.present.app import app_setup

    inputs, problem = app_setup(ROOT, {})
    assert problem is None and inputs.sample and inputs.scenario is None
    assert inputs.judgements == ROOT / "data" / "judgements" / "judgements.csv"
    assert len(inputs.case.customers) == 250

    folder = tmp_path / "mine"
    kamopt.save_case(case, folder)
    (tmp_path / "s.yml").write_text("time_limit: 3600\ncapacity_scale: 0.8\n")
    inputs, problem = app_setup(ROOT, {"KAMOPT_CASE": str(folder),
                                       "KAMOPT_SCENARIO": str(tmp_path / "s.yml")})
    assert problem is None and not inputs.sample and inputs.judgements is None
    assert inputs.scenario.capacity_scale == 0.8 and inputs.scenario.time_limit == 3600
    assert inputs.case.customers.index.tolist() == case.customers.index.tolist()
    # relative paths: from the project folder (the app's kernel runs in notebooks/)
    inputs, problem = app_setup(ROOT, {"KAMOPT_CASE": "data/sample",
                                       "KAMOPT_SCENARIO": "data/scenarios/budget_cut.yml"})
    assert problem is None and inputs.sample and inputs.scenario.name == "budget_cut"


@pytest.mark.parametrize("env, says", [
    ({"KAMOPT_CASE": "no/such/folder"}, ["KAMOPT_CASE cannot be used", "does not exist"]),
    ({"KAMOPT_SCENARIO": "README.md"}, ["KAMOPT_SCENARIO cannot be used", "row 3",
                                        "is not valid YAML"]),
    ({"KAMOPT_SCENARIO": "{tmp}/must.yml"}, ["KAMOPT_SCENARIO cannot be used", "K9999"]),
])
def test_the_app_says_which_setting_it_cannot_use(env, says, tmp_path):
    from kamopt.present.app import app_setup

    (tmp_path / "must.yml").write_text("must: [K9999]\n")
    env = {k: v.format(tmp=tmp_path) for k, v in env.items()}
    inputs, problem = app_setup(ROOT, env)
    assert inputs is None
    for text in says:
        assert text in problem.value, problem.value
    assert "Traceback" not in problem.value and "make app CASE=" in problem.value


def _run_app_notebook(monkeypatch, tmp_path, **env) -> tuple[dict, list]:
    """The app notebook's code as Voila runs it (in notebooks/), with ``env`` set: its names
    and what it displayed."""
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **_: shown.extend(objs))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("KAMOPT_SCENARIOS", str(tmp_path / "store"))
    monkeypatch.chdir(ROOT / "notebooks")
    nb = json.loads((ROOT / "notebooks" / "app.ipynb").read_text())
    ns: dict = {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), "app.ipynb", "exec"), ns)  # noqa: S102
    return ns, shown


def test_the_apps_notebook_on_a_case_and_scenario_of_ones_own(case, monkeypatch, tmp_path):
    from kamopt.present.explorer_view import APP_INTRO_CASE
    from kamopt.present.widgets import ScenarioExplorer as Explorer

    kamopt.save_case(case, tmp_path / "mine")
    (tmp_path / "s.yml").write_text("time_limit: 3600\nunavailable_managers: [M02]\n")
    ns, shown = _run_app_notebook(monkeypatch, tmp_path, KAMOPT_CASE=str(tmp_path / "mine"),
                                  KAMOPT_SCENARIO=str(tmp_path / "s.yml"))
    ex = ns["explorer"]
    assert isinstance(ex, Explorer) and ns["problem"] is None
    assert len(ex.case.customers) == 40 and ex.scenario.unavailable_managers == ("M02",)
    assert ex.controls["unavailable_managers"].value == ("M02",)
    assert ex.base.time_limit == 3600 and ex.wait() is not None and ex.error is None
    assert ex.plan.objective == pytest.approx(kamopt.plan(case, ex.scenario).objective, abs=0.5)
    assert ex.intro.value == APP_INTRO_CASE and "sample company" not in ex.intro.value
    assert ex.response.editor is None and "No judgements" in ex.response.info.value
    assert "Loading the case" in shown[0].value


def test_the_apps_notebook_shows_the_problem_and_plans_nothing(monkeypatch, tmp_path):
    """With a KAMOPT_CASE that does not exist: a box that says so, no exception, no
    explorer."""
    ns, shown = _run_app_notebook(monkeypatch, tmp_path, KAMOPT_CASE=str(tmp_path / "nothing"))
    assert ns["explorer"] is None and ns["inputs"] is None
    boxes = [w for w in shown if "kamopt-app-error" in getattr(w, "_dom_classes", ())]
    assert len(boxes) == 1 and "KAMOPT_CASE cannot be used" in boxes[0].value
    assert "does not exist" in boxes[0].value
    assert ns["loading"].layout.display == "none"
    assert not (tmp_path / "store").exists()  # nothing written


def test_make_app_passes_case_and_scenario():
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    run = subprocess.run(["make", "-n", "app", "CASE=data/x", "SCENARIO=s.yml"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    line = next(x for x in run.stdout.splitlines() if "voila notebooks/app.ipynb" in x)
    assert line.startswith("KAMOPT_CASE='data/x' KAMOPT_SCENARIO='s.yml' ")
    plain = subprocess.run(["make", "-n", "app"], cwd=ROOT, capture_output=True, text=True,
                           check=True, env={k: v for k, v in __import__("os").environ.items()
                                            if k not in ("CASE", "SCENARIO")})
    assert "KAMOPT_CASE" not in plain.stdout and "KAMOPT_SCENARIO" not in plain.stdout


def test_the_judgement_cells_read_from_a_file_are_the_files(case, judgements, tmp_path):
    from kamopt.present.response_tab import judgement_cells

    path = tmp_path / "j.csv"
    judgements.to_csv(path, index=False)
    cells, source = judgement_cells(case, path)
    assert source == f"{tmp_path.name}/j.csv"  # no full path on screen
    assert cells["customer_id"].tolist() == judgements["customer_id"].tolist()
    assert cells["effort"].tolist() == ["0.0", "0.5", "1.0", "1.5", "saturation"] * 3
    assert np.allclose(cells["order_intake"], judgements["order_intake"])
