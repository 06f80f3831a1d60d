"""Uncertain estimates: the scenario's `uncertainty:`, the draws, the Monte Carlo over the
plan, the two-stage plan and `kamopt uncertainty` (kamopt.analysis.uncertainty)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kamopt.analysis.uncertainty as unc
from kamopt.analysis.uncertainty import (
    CORE,
    Shared,
    analyse,
    drawn,
    leads_of,
    plan_draw,
    point_scenario,
    with_first_stage,
)
from kamopt.case.io import save_case
from kamopt.case.sample import make_case
from kamopt.case.scenario import Scenario
from kamopt.case.uncertainty import (
    DECISION_SAMPLE,
    MONTE_CARLO,
    Range,
    Uncertainty,
    draw,
    potential_range,
)
from kamopt.errors import ScenarioError
from kamopt.model.prepare import prepare
from kamopt.model.twostage import build_two_stage, draw_values, union_data
from kamopt.planning.batch import Runner
from kamopt.planning.oneyear import plan, verify_plan
from kamopt.solve.backend import solve

ROOT = Path(__file__).resolve().parent.parent
INLINE = Runner(workers=0, quiet=True)
KAMOPT = str(Path(sys.executable).with_name("kamopt"))  # the console command
UNCERTAIN = Uncertainty(potential_spread=0.4, realization=Range(0.2, 0.4),
                        retention=Range(0.03, 0.07))


@pytest.fixture(scope="module")
def small():
    return make_case(customers=24, managers=3, seed=5)


def scenario(**kw) -> Scenario:
    kw.setdefault("mip_gap", 0.0)
    return Scenario(uncertainty=kw.pop("uncertainty", UNCERTAIN), **kw)


# ------------------------------------------------------------ the scenario and the case
@pytest.mark.parametrize("data, column, words", [
    ({"realization": {"low": 0.35, "high": 0.4}}, "uncertainty.realization", "low <= 0.3"),
    ({"potential_spread": 1.5}, "uncertainty.potential_spread", "[0, 1]"),
    ({"retention": {"low": 0.01}}, "uncertainty", "{low: ..., high: ...}"),
    ({"potential_spread": {"industry": {"Chemie": -0.1}}},
     "uncertainty.potential_spread.industry.Chemie", "[0, 1]"),
    ({"spread": 0.2}, "uncertainty", "unknown key 'spread'"),
])
def test_a_bad_uncertainty_is_named(data, column, words):
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict({"uncertainty": data}, file="s.yml")
    text = str(err.value)
    assert f"s.yml, column '{column}'" in text and words in text


def test_risk_is_checked_and_round_trips():
    with pytest.raises(ScenarioError, match="risk.weight"):
        Scenario.from_dict({"risk": {"cvar": 0.1, "weight": 2}})
    s = Scenario.from_dict({"uncertainty": {"potential_spread": {"default": 0.2,
                                                                  "industry": {"Chemie": 0.5}}},
                            "risk": {"cvar": 0.2, "weight": 0.3}})
    assert Scenario.from_dict(s.to_dict()) == s
    assert s.uncertainty.by_industry == (("Chemie", 0.5),)


def test_potential_low_and_high_are_validated_with_row_and_column(tmp_path, small):
    folder = save_case(small, tmp_path / "case")
    c = pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False)
    c["potential_low"] = ""
    c["potential_high"] = ""
    c.loc[2, "potential_low"] = str(float(c.loc[2, "potential"]) + 1)
    c.loc[4, "potential_high"] = "abc"
    c.to_csv(folder / "customers.csv", index=False)
    r = subprocess.run([KAMOPT, "check", str(folder)],
                       capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert "row 4, column 'potential_low'" in r.stderr and "low <= potential <= high" in r.stderr
    assert "row 6, column 'potential_high'" in r.stderr
    assert "Traceback" not in r.stderr


# ------------------------------------------------------------------------ the draws
def test_a_draw_is_a_pure_function_of_case_scenario_seed_and_number(small):
    c = small.customers
    a = draw(c, 0.3, 0.05, UNCERTAIN, seed=3, number=7)
    b = draw(c.iloc[::-1], 0.3, 0.05, UNCERTAIN, seed=3, number=7)  # rows in another order
    assert (a.potential.sort_index() == b.potential.sort_index()).all()
    assert (a.realization, a.retention) == (b.realization, b.retention)
    other = draw(c, 0.3, 0.05, UNCERTAIN, seed=4, number=7)
    assert not np.allclose(other.potential, a.potential)
    assert not np.allclose(draw(c, 0.3, 0.05, UNCERTAIN, 3, 7, DECISION_SAMPLE).potential,
                           a.potential)  # the decision sample is another stream


def test_draws_stay_in_their_ranges_and_have_the_triangular_mean(small):
    c = small.customers.assign(potential_low=np.nan, potential_high=np.nan)
    c.iloc[0, c.columns.get_loc("potential_low")] = 0.0  # a skewed range given in the case
    c.iloc[0, c.columns.get_loc("potential_high")] = c.iloc[0]["potential"] * 3
    low, high = potential_range(c, UNCERTAIN)
    pots = np.array([draw(c, 0.3, 0.05, UNCERTAIN, 1, k).potential.to_numpy()
                     for k in range(2000)])
    assert (pots >= low - 1e-9).all() and (pots <= high + 1e-9).all()
    mean = (low + c["potential"].to_numpy() + high) / 3
    sd = np.sqrt((low**2 + c["potential"].to_numpy()**2 + high**2 - low * high
                  - low * c["potential"].to_numpy() - high * c["potential"].to_numpy()) / 18)
    # the sample mean within 4 standard errors of the triangular's mean (seeded: exact)
    assert (np.abs(pots.mean(axis=0) - mean) <= 4 * sd / np.sqrt(2000) + 1e-9).all()
    reals = [draw(c, 0.3, 0.05, UNCERTAIN, 1, k).realization for k in range(1000)]
    assert 0.2 <= min(reals) and max(reals) <= 0.4
    assert abs(np.mean(reals) - 0.3) < 4 * np.sqrt((0.04 + 0.09 + 0.16 - 0.08 - 0.06 - 0.12) / 18
                                                   / 1000)


def test_zero_spread_draws_are_the_point_estimates(small):
    d = draw(small.customers, 0.3, 0.05, Uncertainty(potential_spread=0.0), 1, 5)
    assert (d.potential == small.customers["potential"]).all()
    assert (d.realization, d.retention) == (0.3, 0.05)


# ---------------------------------------------------------------- the two-stage model
def test_the_extensive_form_over_one_draw_is_the_one_year_model(small):
    """One draw at the point estimates: the two-stage optimum is the one-year optimum."""
    sc = scenario(uncertainty=Uncertainty(0.0))
    d = union_data(small, sc)
    tm = build_two_stage(d, [draw_values(d, small, point_scenario(sc))])
    sol = solve(tm.lp, mip_gap=0.0)
    assert sol.objective == pytest.approx(plan(small, point_scenario(sc)).objective, rel=1e-7)


def test_the_extensive_form_values_a_first_stage_as_the_plans_of_its_draws(small):
    """x fixed to a plan's leads: the extensive form's value is the mean of the one-year
    plans of each draw with those leads fixed (two routes, one answer)."""
    sc = scenario()
    shared = Shared(small, sc, 2)
    det = plan(small, point_scenario(sc))
    leads = leads_of(det)
    d = union_data(small, sc)
    values, direct = [], []
    for k in range(3):
        cs, ss = drawn(shared, k, MONTE_CARLO)
        values.append(draw_values(d, cs, ss))
        direct.append(plan(cs, with_first_stage(cs, ss, leads)).objective)
    tm = build_two_stage(d, values)
    x = np.array([1.0 if leads.get(c) == j else 0.0
                  for c, j in zip(d.pairs["customer_id"], d.pairs["manager_id"], strict=True)])
    sol = solve(tm.lp, mip_gap=0.0, fix=(tm.x_all, np.tile(x, 3)))
    assert sol.objective == pytest.approx(np.mean(direct), rel=1e-6)


def test_the_union_holds_every_draws_customers(small):
    sc = scenario()
    d = union_data(small, sc)
    shared = Shared(small, sc, 0)
    for k in range(20):
        cs, ss = drawn(shared, k)
        kept = prepare(cs, ss).model_customers
        assert set(kept) <= set(d.model_customers)


def test_a_first_stage_plan_meets_every_rule_in_every_draw(small):
    sc = scenario()
    shared = Shared(small, sc, 1)
    leads = leads_of(plan(small, point_scenario(sc)))
    for k in range(3):
        cs, ss = drawn(shared, k)
        fixed = with_first_stage(cs, ss, leads)
        p = plan(cs, fixed)
        assert verify_plan(p.accounts, cs, fixed, p.objective) == []
        assert leads_of(p) == leads  # the first stage stays


# ------------------------------------------------------------------------ the analysis
def test_zero_spread_gives_the_deterministic_plan_in_every_draw(small):
    sc = scenario(uncertainty=Uncertainty(potential_spread=0.0))
    r = analyse(small, sc, draws=4, seed=1, two_stage=True, decision_draws=2, runner=INLINE)
    assert set(r.selection["p_key_account"]) <= {0.0, 1.0}
    assert r.summary["vss"] == {"mean": 0.0, "low": 0.0, "high": 0.0}
    assert r.summary["evpi"]["mean"] == pytest.approx(0.0, abs=1e-6)
    ka = set(r.selection.loc[r.selection["p_key_account"] == 1, "customer_id"])
    assert ka == set(r.deterministic) == set(r.two_stage)
    assert r.bets == [] and sorted(r.core) == sorted(ka)


def test_the_analysis_is_reproducible_and_consistent(small):
    sc = scenario(mip_gap=0.01, risk=None)
    a = analyse(small, sc, draws=5, seed=3, two_stage=True, decision_draws=3, runner=INLINE)
    b = analyse(small, sc, draws=5, seed=3, two_stage=True, decision_draws=3, runner=INLINE)
    pd.testing.assert_frame_equal(a.selection, b.selection)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    s = a.summary
    # in sample, the two-stage plan is never worse than the deterministic plan
    ins = s["two_stage"]["in_sample"]
    assert ins["two_stage_plan"] >= ins["deterministic_plan"] - 1e-6
    # perfect information is at least every plan in every draw
    t = a.draws
    assert (t["perfect_information"] >= t["deterministic_plan"] - 1e-6).all()
    assert (t["perfect_information"] >= t["two_stage_plan"] - 1e-6).all()
    assert s["evpi"]["mean"] >= 0
    assert s["vss"]["low"] <= s["vss"]["mean"] <= s["vss"]["high"]
    sel = a.selection
    assert sel["p_key_account"].between(0, 1).all()
    assert (sel["p_lead_manager"] <= sel["p_key_account"] + 1e-12).all()
    assert set(s["core"]) == set(sel.loc[sel["p_key_account"] >= CORE, "customer_id"])
    assert list(sel.columns[:6]) == ["customer_id", "p_key_account", "lead_manager",
                                     "p_lead_manager", "in_deterministic_plan",
                                     "in_two_stage_plan"]


def test_a_risk_averse_two_stage_plan_is_never_worse_in_its_own_measure(small):
    sc = scenario(mip_gap=0.01).replace(
        risk=Scenario.from_dict({"risk": {"cvar": 0.25, "weight": 0.7}}).risk)
    r = analyse(small, sc, draws=2, seed=2, two_stage=True, decision_draws=4, runner=INLINE)
    ins = r.summary["two_stage"]["in_sample"]
    assert ins["two_stage_plan"] >= ins["deterministic_plan"] - 1e-6
    assert r.summary["risk"] == {"cvar": 0.25, "weight": 0.7}


def test_an_interrupted_analysis_resumes_from_its_files(small, tmp_path, monkeypatch):
    sc = scenario(mip_gap=0.01)
    first = analyse(small, sc, draws=3, seed=1, runner=INLINE, resume_dir=tmp_path)
    files = list(tmp_path.rglob("*.json"))
    assert len(files) == 6  # a plan of each draw and the deterministic plan under each

    def broken(shared, item):
        raise AssertionError("ran again")

    monkeypatch.setattr(unc, "plan_draw", broken)
    again = analyse(small, sc, draws=3, seed=1, runner=INLINE, resume_dir=tmp_path)
    pd.testing.assert_frame_equal(first.draws, again.draws)
    # another seed is another batch: its results are not taken from the first one's files
    with pytest.raises(AssertionError, match="ran again"):
        analyse(small, sc, draws=3, seed=2, runner=INLINE, resume_dir=tmp_path)


def test_a_task_is_json_in_and_out(small):
    shared = Shared(small, scenario(mip_gap=0.01), 0)
    out = plan_draw(shared, {"kind": "perfect", "draw": 0})
    assert json.loads(json.dumps(out)) == out and set(out) >= {"objective", "leads"}


# ----------------------------------------------------------------------- the command
def run_cli(*args, env=None) -> subprocess.CompletedProcess:
    e = {**os.environ, "KAMOPT_WORKERS": "0", **(env or {})}
    return subprocess.run([KAMOPT, "uncertainty", *args],
                          capture_output=True, text=True, env=e, timeout=600)


@pytest.fixture(scope="module")
def case_folder(tmp_path_factory, small):
    return save_case(small, tmp_path_factory.mktemp("unc") / "case")


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("unc_sc") / "uncertain.yml"
    path.write_text("mip_gap: 0.01\nuncertainty:\n  potential_spread: 0.3\n"
                    "  realization: {low: 0.2, high: 0.4}\n", encoding="utf-8")
    return path


def _files(folder: Path) -> dict[str, bytes]:
    return {n: (folder / n).read_bytes() for n in ("selection.csv", "draws.csv")}


@pytest.mark.slow
def test_the_command_writes_its_files_and_gives_the_same_through_a_scheduler(
        tmp_path, case_folder, scenario_file, dask_scheduler_address):
    args = [str(case_folder), "--scenario", str(scenario_file), "--draws", "3", "--seed", "4",
            "--two-stage", "--decision-draws", "2", "--quiet"]
    r = run_cli(*args, "--out", str(tmp_path / "one"))
    assert r.returncode == 0, r.stderr
    assert "core key accounts" in r.stdout and "Traceback" not in r.stderr
    out = tmp_path / "one"
    assert sorted(p.name for p in out.iterdir()) == ["draws.csv", "selection.csv",
                                                    "summary.json", "uncertainty.png"]
    s = json.loads((out / "summary.json").read_text())
    assert s["draws"] == 3 and s["seed"] == 4 and s["vss"] is not None
    assert set(s["evpi"]) == {"mean", "low", "high"}
    d = pd.read_csv(out / "draws.csv")
    assert list(d.columns) == ["draw", "perfect_information", "deterministic_plan",
                               "two_stage_plan"]
    remote = run_cli(*args, "--out", str(tmp_path / "remote"), "--scheduler",
                     dask_scheduler_address, env={"KAMOPT_WORKERS": ""})
    assert remote.returncode == 0, remote.stderr
    assert _files(tmp_path / "remote") == _files(out)


@pytest.mark.parametrize("args, code, words", [
    (["--draws", "0"], 2, "--draws"),
    (["--draws", "2", "--seed", "-1"], 2, "--seed"),
])
def test_the_command_refuses_bad_arguments(tmp_path, case_folder, args, code, words):
    r = run_cli(str(case_folder), *args, "--out", str(tmp_path / "o"))
    assert r.returncode == code and words in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


def test_the_command_refuses_a_bad_scenario_and_a_case_folder_as_output(tmp_path, case_folder):
    bad = tmp_path / "bad.yml"
    bad.write_text("uncertainty: {realization: {low: 0.5, high: 0.6}}\n", encoding="utf-8")
    r = run_cli(str(case_folder), "--scenario", str(bad), "--draws", "2", "--out",
                str(tmp_path / "o"))
    assert r.returncode == 2 and "uncertainty.realization" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "o").exists()
    r = run_cli(str(case_folder), "--draws", "2", "--out", str(case_folder))
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_a_two_stage_programme_too_large_is_refused_before_it_is_built(small, monkeypatch):
    monkeypatch.setattr(unc, "MAX_TWO_STAGE_COLUMNS", 1000)
    with pytest.raises(ScenarioError, match="fewer decision draws") as err:
        analyse(small, scenario(mip_gap=0.01), draws=1, two_stage=True, decision_draws=5,
                runner=INLINE)
    assert "decision_draws" in str(err.value)
