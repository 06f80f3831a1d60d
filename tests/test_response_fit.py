"""Judged response (kamopt.analysis.response_fit, kamopt fit-response): ADBUDG curves through a
manager's judgements, the file's checks, the rows of responses.csv a plan accepts, and the
examples of docs/response.md."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kamopt
from kamopt.analysis.response_fit import (
    adbudg,
    fit_adbudg,
    fit_judgements,
    fitted_responses,
    merged_responses,
    parse_judgements,
    read_judgements,
    response_details,
)
from kamopt.case.scenario import Scenario
from kamopt.cli import main
from kamopt.errors import CaseError
from kamopt.testing import tiny_case

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
JUDGEMENTS = ROOT / "data" / "judgements"
CLASSIC = [0.0, 0.5, 1.0, 1.5, math.inf]

params = st.tuples(
    st.floats(1e3, 1e7),    # a - b
    st.floats(0, 1e6),      # b
    st.floats(0.3, 5.0),    # c
    st.floats(0.1, 10.0),   # d
)


@pytest.fixture(scope="module")
def sample():
    return kamopt.load_case(SAMPLE)


# ------------------------------------------------------------------ the curve
def test_adbudg_at_zero_one_and_saturation():
    assert adbudg(0.0, 10, 2, 2, 1) == 2.0
    assert adbudg(1.0, 10, 2, 2, 1) == 6.0  # b + (a - b) / (d + 1)
    assert adbudg(math.inf, 10, 2, 2, 1) == 10.0
    assert adbudg(1e300, 10, 2, 3, 1) == 10.0  # x^c overflows: saturation, no NaN


@settings(max_examples=60, deadline=None)
@given(params)
def test_the_classic_judgements_of_an_adbudg_curve_give_its_parameters_back(p):
    span, b, c, d = p
    a = b + span
    y = adbudg(np.array(CLASSIC), a, b, c, d)
    for method in ("auto", "least_squares"):
        f = fit_adbudg(CLASSIC, y, method)
        assert f.a == pytest.approx(a, rel=1e-6) and f.b == pytest.approx(b, rel=1e-6, abs=1e-6 * span)
        assert f.c == pytest.approx(c, rel=1e-5) and f.d == pytest.approx(d, rel=1e-5)
        assert f.rmse <= 1e-6 * span and f.flags == ()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params)
def test_least_squares_alone_recovers_a_curve_from_other_efforts(p):
    """No judgement at today's effort, so no calibration to start from: the bounded least
    squares from the judgements' own start values finds the curve."""
    span, b, c, d = p
    a = b + span
    x = [0.0, 0.3, 0.7, 1.3, 2.0, 3.0, math.inf]
    y = adbudg(np.array(x), a, b, c, d)
    f = fit_adbudg(x, y)
    assert f.method == "least_squares"
    assert f.rmse <= 1e-5 * span
    grid = np.linspace(0, 4, 41)
    assert np.allclose(f(grid), adbudg(grid, a, b, c, d), rtol=0, atol=1e-4 * span)
    assert f.c == pytest.approx(c, rel=1e-3) and f.d == pytest.approx(d, rel=1e-3)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1e6), st.lists(st.floats(1.0, 1e6), min_size=3, max_size=3))
def test_four_point_calibration_passes_through_its_points(b, steps):
    """Little's four questions (0, today, +50%, saturation): the curve through all four."""
    x = [0.0, 1.0, 1.5, math.inf]
    y = np.cumsum([b, *steps])
    f = fit_adbudg(x, y, "calibrate")
    assert f.method == "calibrate"
    assert np.allclose(f(np.array(x)), y, rtol=1e-9, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1e6), st.lists(st.floats(0.0, 1e6), min_size=4, max_size=4),
       st.sampled_from(["auto", "least_squares"]))
def test_monotone_judgements_give_a_monotone_curve(b, steps, method):
    y = np.cumsum([b, *steps])
    f = fit_adbudg(CLASSIC, y, method)
    grid = np.concatenate([np.linspace(0, 5, 201), [math.inf]])
    assert np.all(np.diff(f(grid)) >= -1e-9 * max(1.0, y.max()))
    assert f.monotone and "not_monotone" not in f.flags
    assert f.a >= f.b >= 0 and f.c > 0 and f.d > 0


def test_judgements_that_fall_are_flagged_and_a_poor_fit_is_said():
    f = fit_adbudg(CLASSIC, [100, 140, 150, 145, 180])
    assert not f.monotone and "not_monotone" in f.flags
    g = fit_adbudg(CLASSIC, [100, 200, 110, 190, 120])
    assert "poor_fit" in g.flags and g.r2 < 0.9


def test_too_few_efforts_and_an_impossible_calibration_are_refused():
    with pytest.raises(ValueError, match="4 or more"):
        fit_adbudg([0, 1, math.inf], [1, 2, 3])
    with pytest.raises(ValueError, match="calibration"):
        fit_adbudg([0, 0.5, 1.5, 2], [1, 2, 3, 4], "calibrate")
    assert fit_adbudg([0, 0.5, 1.5, 2], [1, 2, 3, 4]).method == "least_squares"


# ---------------------------------------------------------------- the file
def _write(tmp_path, text: str, name: str = "judgements.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


GOOD = ("customer_id,effort,order_intake\n"
        + "".join(f"K0032,{e},{v}\n" for e, v in
                  zip(["0", "0.5", "1", "1.5", "saturation"],
                      [450000, 900000, 1500000, 1900000, 2600000], strict=True)))


def test_the_sample_judgements_read_and_fit(sample):
    j = read_judgements(JUDGEMENTS / "judgements.csv", sample)
    assert set(j["kind"]) == {"customer_id", "industry"}
    assert np.isinf(j["effort"]).sum() == 7
    fits = fit_judgements(j)
    assert len(fits) == 7 and all(f.r2 > 0.99 and not f.flags for f in fits)


@pytest.mark.parametrize("text, row, column, words", [
    ("customer_id,effort\nK0032,0\n", 1, "order_intake", "required column is missing"),
    ("effort,order_intake\n0,1\n", 1, "customer_id", "needs a column 'customer_id'"),
    (GOOD.replace("K0032,0.5,", "K0032,-0.5,"), 3, "effort", "must be a number >= 0"),
    (GOOD.replace("K0032,1.5,", "K0032,viel,"), 5, "effort", "or 'saturation'"),
    (GOOD.replace(",900000", ",neunhundert"), 3, "order_intake", "must be a number >= 0"),
    (GOOD.replace(",900000", ",-900000"), 3, "order_intake", "must be a number >= 0"),
    (GOOD.replace("K0032,1,", "K9999,1,"), 4, "customer_id", "unknown customer"),
    (GOOD.replace("K0032,1,", "k0032,1,"), 4, "customer_id", "did you mean 'K0032'"),
    (GOOD.replace("K0032,1.5,", "K0032,1,"), 5, "effort", "a second judgement"),
    ("customer_id,effort,order_intake\nK0032,0,1\nK0032,1,2\nK0032,saturation,3\n", 2,
     "customer_id", "needs 4 or more"),
    ("customer_id,industry,effort,order_intake\nK0032,Bau,0,1\n", 2, "customer_id",
     "both filled"),
    ("customer_id,industry,effort,order_intake\n,,0,1\n", 2, "customer_id", "is empty"),
    ("industry,effort,order_intake\nBäckerei,0,1\n", 2, "industry", "unknown industry"),
])
def test_bad_files_name_file_row_and_column(tmp_path, sample, text, row, column, words):
    path = _write(tmp_path, text)
    with pytest.raises(CaseError) as err:
        read_judgements(path, sample)
    hits = [p for p in err.value.problems if words in p.expected]
    assert hits, str(err.value)
    assert hits[0].file == "judgements.csv" and hits[0].row == row and hits[0].column == column
    assert f"judgements.csv, row {row}, column '{column}'" in str(err.value)


def test_a_german_excel_file_reads(tmp_path, sample):
    text = GOOD.replace(",", ";").replace("0.5;", "0,5;").replace("1.5;", "1,5;")
    text = text.replace("1500000", "1.500.000")
    j = read_judgements(_write(tmp_path, text), sample)
    assert j["effort"].tolist()[:4] == [0, 0.5, 1, 1.5]
    assert j["order_intake"].iloc[2] == 1_500_000


def test_a_missing_file_and_an_oversized_one_are_refused(tmp_path, sample, monkeypatch):
    with pytest.raises(CaseError, match="is not a file"):
        read_judgements(tmp_path / "nothing.csv", sample)
    import kamopt.case.io as io

    monkeypatch.setattr(io, "MAX_CSV_BYTES", 50)
    with pytest.raises(CaseError, match="more than the 50 bytes"):
        read_judgements(_write(tmp_path, GOOD), sample)


def test_parse_judgements_reads_what_an_editor_holds(sample):
    df = pd.DataFrame({"customer_id": ["K0032"] * 4, "effort": [0, 1, 1.5, "saturation"],
                       "order_intake": [450000, 1500000, 1900000, 2600000]})
    fit = fit_judgements(parse_judgements(df, sample))[0]
    assert fit.method == "calibrate" and fit(1.0) == pytest.approx(1_500_000)


# ------------------------------------------------------- to responses.csv
def test_realization_is_the_judged_uplift_beyond_retention_as_a_share_of_potential(sample):
    j = read_judgements(JUDGEMENTS / "judgements.csv", sample)
    fits = fit_judgements(j)
    scenario = Scenario.from_yaml(ROOT / "data" / "scenarios" / "base.yml")
    d = response_details(sample, scenario, fits)
    c = sample.customers
    k = d[(d["customer_id"] == "K0032") & (d["level"] == "standard")].iloc[0]
    expected = (1_500_000 - 450_000 - 0.05 * c.at["K0032", "revenue"]) / c.at["K0032", "potential"]
    assert k["realization"] == pytest.approx(expected, abs=5e-5)
    assert k["hours"] == c.at["K0032", "kam_hours"]
    # a segment: the industry's revenue and potential summed, one share for each member
    food = c[c["industry"] == "Lebensmittel"]
    seg = d[d["source"] == "industry Lebensmittel"]
    assert set(seg["customer_id"]) == set(food.index)
    std = seg[seg["level"] == "standard"]["realization"].unique()
    assert len(std) == 1 and std[0] == pytest.approx(
        (39_600_000 - 36_500_000 - 0.05 * food["revenue"].sum()) / food["potential"].sum(),
        abs=5e-5)
    # levels grow with effort, each within [0, 1]
    for _, g in d.groupby("customer_id"):
        assert g["realization"].is_monotonic_increasing and g["realization"].between(0, 1).all()


def test_an_uplift_below_retention_or_beyond_potential_is_clipped_and_said():
    case = tiny_case([{"customer_id": "A", "revenue": 1e6, "margin": 0.3, "potential": 1e4,
                       "kam_hours": 50}], [{"manager_id": "M1", "capacity_hours": 100}])
    fit = fit_adbudg(CLASSIC, [1e6, 1.01e6, 1.2e6, 1.3e6, 1.4e6], key="A")
    d = response_details(case, Scenario(), [fit])
    assert d["realization"].tolist() == [0.0, 1.0, 1.0]
    assert d["note"].tolist()[0].startswith("uplift below") and "beyond" in d["note"].iloc[1]


def test_fitted_rows_replace_the_cases_own_for_the_judged_accounts(sample):
    j = read_judgements(JUDGEMENTS / "judgements.csv", sample)
    rows = fitted_responses(sample, Scenario(), j)
    assert list(rows.columns) == ["customer_id", "level", "hours", "realization"]
    merged = merged_responses(sample, rows)
    own = set(sample.responses["customer_id"])
    assert set(merged["customer_id"]) == own | set(rows["customer_id"])
    assert not merged.duplicated(["customer_id", "level"]).any()


# ------------------------------------------------------------------ the CLI
def test_the_cli_writes_responses_a_plan_accepts(tmp_path, capsys):
    out = tmp_path / "out" / "responses.csv"
    chart = tmp_path / "out" / "fit.png"
    code = main(["fit-response", str(SAMPLE), "--judgements", str(JUDGEMENTS / "judgements.csv"),
                 "--out", str(out), "--scenario", str(ROOT / "data/scenarios/base.yml"),
                 "--chart", str(chart), "--fits", str(tmp_path / "out" / "fits.csv")])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "industry Lebensmittel" in text and "calibrate" in text
    assert chart.stat().st_size > 10_000
    case_dir = tmp_path / "case"
    shutil.copytree(SAMPLE, case_dir)
    shutil.copy(out, case_dir / "responses.csv")
    case = kamopt.load_case(case_dir)
    assert case.responses["customer_id"].nunique() == 12 + 34
    scenario = Scenario.from_yaml(ROOT / "data/scenarios/base.yml").replace(
        mip_gap=0.02, node_limit=200)
    plan = kamopt.plan(case, scenario)
    assert plan.status in ("optimal", "feasible")
    plan.verify()
    from kamopt.model.prepare import response_notes

    assert response_notes(case, scenario) == []  # the scenario's own level names


def test_the_cli_refuses_bad_input_with_exit_2_and_no_traceback(tmp_path, capsys):
    bad = _write(tmp_path, GOOD.replace("K0032,1,", "K9999,1,"))
    code = main(["fit-response", str(SAMPLE), "--judgements", str(bad),
                 "--out", str(tmp_path / "r.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "judgements.csv, row 4, column 'customer_id': got 'K9999'" in err
    assert not (tmp_path / "r.csv").exists()
    code = main(["fit-response", str(SAMPLE), "--judgements", str(JUDGEMENTS / "judgements.csv"),
                 "--out", str(SAMPLE / "responses.csv")])
    assert code == 2 and "case folder" in capsys.readouterr().err
    code = main(["fit-response", str(SAMPLE), "--judgements", str(JUDGEMENTS / "judgements.csv"),
                 "--out", str(tmp_path / "r.txt")])
    assert code == 2 and "ending in .csv" in capsys.readouterr().err
    four = _write(tmp_path, GOOD.replace("K0032,1,1500000\n", "K0032,2,2200000\n"), "four.csv")
    code = main(["fit-response", str(SAMPLE), "--judgements", str(four), "--method",
                 "calibrate", "--out", str(tmp_path / "r.csv")])
    assert code == 2 and "Traceback" not in capsys.readouterr().err


# ------------------------------------------------------------ the examples
def _efforts(col: pd.Series) -> np.ndarray:
    return col.astype(str).str.strip().str.lower().replace("saturation", "inf").astype(float)


def test_the_callplan_example_reproduces_its_judgements():
    """docs/response.md: each account's curve within 2% of its judged saturation at every
    point, exactly through 0, today and saturation (Little's calibration)."""
    t = pd.read_csv(JUDGEMENTS / "callplan_two_areas.csv")
    assert set(t["area"]) == {"North", "South"}
    for _, g in t.groupby("account"):
        x, y = _efforts(g["effort"]).to_numpy(), g["sales"].to_numpy(float)
        f = fit_adbudg(x, y)
        assert f.method == "calibrate" and f.r2 > 0.999
        assert np.max(np.abs(f(x) - y)) <= 0.02 * y.max()
        exact = np.isin(x, [0, 1, np.inf])
        assert np.allclose(f(x[exact]), y[exact], rtol=1e-12)


def test_the_brand_table_calibrates_as_little_s_formulas_say():
    """Four questions: d = (a - b) / (r(1) - b) - 1 = 0.75, c = ln(d (r(1.5) - b) /
    (a - r(1.5))) / ln 1.5 = 1.5503; the fifth judgement (half the rate) is then read off
    the curve, 2.04% against 2.1% judged."""
    t = pd.read_csv(JUDGEMENTS / "adbudg_brand.csv")
    x, y = _efforts(t["effort"]).to_numpy(), t["share"].to_numpy(float)
    four = x != 0.5
    f = fit_adbudg(x[four], y[four], "calibrate")
    assert (f.a, f.b) == (0.030, 0.016)
    assert round(f.d, 4) == 0.75 and round(f.c, 4) == 1.5503
    assert round(float(f(0.5)), 4) == 0.0204
    g = fit_adbudg(x, y)  # all five: through 0, 1, saturation; c by least squares
    assert round(g.c, 3) == 1.328 and round(g.d, 4) == 0.75 and g.r2 > 0.999


def test_the_chart_draws_one_curve_and_several_in_both_languages(sample):
    from matplotlib.figure import Figure

    from kamopt.i18n import language
    from kamopt.present.response_chart import response_chart

    j = read_judgements(JUDGEMENTS / "judgements.csv", sample)
    fits = fit_judgements(j)
    one = response_chart(fits[1], j, levels=[("standard", 1.0)])
    assert isinstance(one, Figure) and "K0032" in one.axes[0].get_title()
    with language("de"):
        many = response_chart(fits, j)
        assert "Reaktionskurven" in many.get_suptitle()
        assert many.axes[0].get_ylabel() == "" and "Branche Lebensmittel" in [
            a.get_title(loc="left") for a in many.axes]
