"""The judged response editor (kamopt/present/response_editor.py): a key's judgements beside
the curve fitted to them, edited as a user would, refused where they do not read, and handed
to a plan as responses.csv."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

import kamopt
from kamopt.analysis.response_fit import fitted_responses
from kamopt.case.scenario import Scenario
from kamopt.i18n import language
from kamopt.present.response_editor import ResponseEditor

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "data" / "scenarios" / "base.yml"


@pytest.fixture(scope="module")
def case():
    return kamopt.load_case(ROOT / "data" / "sample")


@pytest.fixture(scope="module")
def judgements():
    return pd.read_csv(ROOT / "data" / "judgements" / "judgements.csv")


@pytest.fixture
def editor(case, judgements):
    return ResponseEditor(case, SCENARIO, judgements)


def test_shows_every_judged_key_and_the_first_curve(editor, case):
    labels = [label for label, _ in editor.picker.options]
    assert labels[0] == f"K0051 {case.customers.at['K0051', 'name']}"
    assert labels[-1] == "industry Lebensmittel"
    assert len(labels) == 7
    assert len(editor.inputs) == 5
    assert editor.inputs[0].value == "8,600,000"
    assert bytes(editor.chart.value).startswith(b"\x89PNG")
    assert "RMSE" in editor.quality.value and "R²" in editor.quality.value
    table = editor.levels_table.value
    assert all(level in table for level in ("light", "standard", "intensive"))


def test_names_are_escaped(case, judgements):
    base = Scenario.from_yaml(SCENARIO)
    odd = dataclasses.replace(base.levels[0], name="light <b>&</b>")
    ed = ResponseEditor(case, base.replace(levels=(odd, *base.levels[1:])), judgements)
    ed.select("customer_id", "K0032")  # Zimmermann & Kühn
    label = next(label for label, key in ed.picker.options if key[1] == "K0032")
    assert label == "K0032 Zimmermann & Kühn GmbH & Co. KG"  # a Dropdown's label is text, not HTML
    assert "light &lt;b&gt;&amp;&lt;/b&gt; (50%)" in ed.levels_table.value
    assert "<b>&" not in ed.levels_table.value


def test_an_edit_refits_and_redraws(editor):
    editor.select("customer_id", "K0032")
    before, chart = editor.fit, editor.chart.value
    editor.set_intake(1.0, "1.600.000")  # German writing
    after = editor.fit
    assert (after.c, after.d) != (before.c, before.d)
    assert after.intakes[2] == 1_600_000
    assert editor.chart.value != chart
    assert editor.inputs[2].value == "1,600,000"  # written back in the app's language
    assert editor.error is None and editor.message.value == ""
    editor.inputs[3].value = "2,1 Mio"  # as a user types it in the field
    assert editor.fit.intakes[3] == 2_100_000
    assert "1,600,000" in editor.levels_table.value  # r(1) of the calibrated curve


def test_a_falling_judgement_is_flagged(editor):
    editor.select("customer_id", "K0032")
    assert "not monotone" not in editor.quality.value
    editor.set_intake(1.5, "1200000")  # below today's 1.5 M
    assert "not_monotone" in editor.fit.flags
    assert "judgements not monotone" in editor.quality.value


@pytest.mark.parametrize("typed, shown", [("abc", "got &#x27;abc&#x27;"),
                                          ("-500000", "got &#x27;-500000&#x27;")])
def test_a_bad_value_is_refused_and_the_fit_kept(editor, typed, shown):
    editor.select("customer_id", "K0032")
    fit, chart, table = editor.fit, editor.chart.value, editor.levels_table.value
    editor.set_intake(0.5, typed)
    assert editor.error is not None
    assert "judgements.csv, row 8, column &#x27;order_intake&#x27;" in editor.message.value
    assert shown in editor.message.value and "must be a number &gt;= 0" in editor.message.value
    assert editor.fit is fit and editor.chart.value == chart
    assert editor.levels_table.value == table
    assert editor.button.disabled
    assert editor.apply() is None  # nothing applied while the table has problems
    editor.set_intake(0.5, "950000")  # fixed: fitted again, usable again
    assert editor.error is None and not editor.button.disabled
    assert editor.fit.intakes[1] == 950_000


def test_apply_hands_the_case_with_the_fitted_rows(case, judgements):
    got = []
    ed = ResponseEditor(case, SCENARIO, judgements, on_apply=got.append)
    ed.select("customer_id", "K0032")
    ed.set_intake(1.0, "1.600.000")
    ed.button.click()
    assert len(got) == 1
    new = got[0]
    resp = new.responses
    fitted = fitted_responses(case, SCENARIO, ed.fits)
    assert set(fitted["customer_id"]) <= set(resp["customer_id"])
    k = resp[resp["customer_id"] == "K0032"].set_index("level")
    mine = fitted[fitted["customer_id"] == "K0032"].set_index("level")
    assert k["realization"].to_dict() == mine["realization"].to_dict()
    assert k.loc["standard", "hours"] == case.customers.at["K0032", "kam_hours"]
    pd.testing.assert_frame_equal(resp, ed.responses)
    others = case.responses[~case.responses["customer_id"].isin(fitted["customer_id"])]
    assert len(resp) == len(others) + len(fitted)
    assert new.customers is case.customers
    assert "judged accounts" in ed.status.value


def test_german_labels(case, judgements):
    with language("de"):
        ed = ResponseEditor(case, SCENARIO, judgements)
        ed.select("industry", "Lebensmittel")
        assert ed.button.description == "Diese Reaktionen verwenden"
        assert ed.picker.description == "Eingeschätzt"
        assert ed.picker.options[-1][0] == "Branche Lebensmittel"
        assert "Sättigung" in ed.grid.children[-1].children[0].value
        assert "100 % (heute)" in ed.grid.children[3].children[0].value
        assert ed.inputs[0].value == "36.500.000"
        assert "Realisierung" in ed.levels_table.value
        assert "Für die 28 Kunden der Branche" in ed.levels_table.value
        ed.set_intake(0.5, "x")
        assert "Nicht neu angepasst" in ed.message.value
    ed.relabel()  # back in English
    assert ed.button.description == "Use these responses"
