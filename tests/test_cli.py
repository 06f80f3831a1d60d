"""Every path of `kamopt plan`: outputs, exit status, messages, no half-written output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kamopt.case.io import save_case
from kamopt.case.sample import make_case
from kamopt.cli import main

SPEC_SUMMARY_KEYS = {"status", "objective", "mip_gap", "solve_seconds", "key_accounts",
                     "hours_used", "hours_available", "cost"}
SPEC_PLAN_COLUMNS = ["customer_id", "key_account", "level", "manager_id", "hours", "activities",
                     "value", "cost", "net"]


@pytest.fixture(scope="module")
def small_case(tmp_path_factory) -> Path:
    return save_case(make_case(customers=40, managers=5, seed=3),
                     tmp_path_factory.mktemp("case") / "small")


def run(*args: str) -> subprocess.CompletedProcess:
    """The installed console command, as a user runs it."""
    exe = Path(sys.executable).with_name("kamopt")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300)


def test_plan_writes_the_spec_outputs_and_exits_0(small_case, tmp_path):
    out = tmp_path / "out"
    r = run("plan", str(small_case), "--out", str(out), "--excel")
    assert r.returncode == 0, r.stderr
    assert "key accounts" in r.stdout and "net contribution" in r.stdout
    table = pd.read_csv(out / "plan.csv", keep_default_na=False)
    assert list(table.columns) == SPEC_PLAN_COLUMNS
    assert len(table) == 40
    summary = json.loads((out / "summary.json").read_text())
    assert SPEC_SUMMARY_KEYS <= set(summary)
    assert summary["status"] in ("optimal", "feasible")
    assert summary["key_accounts"] == int(table["key_account"].sum())
    assert summary["objective"] == pytest.approx(table["net"].sum(), abs=0.01 * 40)
    assert (out / "plan.xlsx").exists()
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temp folder left
    import openpyxl

    scenario = {key: value for _meaning, key, value in openpyxl.load_workbook(
        out / "plan.xlsx")["Scenario"].iter_rows(min_row=2, values_only=True)}
    assert scenario["realization"] == 0.3 and scenario["budget"] == "none"  # numbers as numbers


def test_plan_with_a_scenario_file(small_case, tmp_path):
    sc = tmp_path / "cut.yml"
    sc.write_text("name: cut\ncapacity_scale: 0.5\nmip_gap: 0.01\n")
    r = run("plan", str(small_case), "--out", str(tmp_path / "o"), "--scenario", str(sc))
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["scenario"]["capacity_scale"] == 0.5
    assert summary["hours_used"] <= summary["hours_available"] + 1e-6


def test_bad_input_exits_2_names_file_row_column_and_writes_nothing(small_case, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in small_case.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    text = (broken / "customers.csv").read_text().splitlines()
    header = text[0].split(",")
    row = text[3].split(",")
    row[header.index("margin")] = "1.7"
    text[3] = ",".join(row)
    (broken / "customers.csv").write_text("\n".join(text) + "\n")
    before = (broken / "customers.csv").read_bytes()
    out = tmp_path / "out"
    r = run("plan", str(broken), "--out", str(out))
    assert r.returncode == 2
    assert "customers.csv, row 4, column 'margin'" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert not out.exists()
    assert (broken / "customers.csv").read_bytes() == before


def test_missing_case_and_bad_scenario_exit_2(small_case, tmp_path):
    r = run("plan", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    sc = tmp_path / "typo.yml"
    sc.write_text("capacity_scal: 0.5\n")
    r = run("plan", str(small_case), "--out", str(tmp_path / "o"), "--scenario", str(sc))
    assert r.returncode == 2
    assert "did you mean 'capacity_scale'" in r.stderr
    assert not (tmp_path / "o").exists()


def test_an_impossible_scenario_exits_3_with_the_shortfall(small_case, tmp_path):
    sc = tmp_path / "many.yml"
    sc.write_text("min_key_accounts: 39\ncapacity_scale: 0.1\n")
    r = run("plan", str(small_case), "--out", str(tmp_path / "o"), "--scenario", str(sc))
    assert r.returncode == 3, r.stderr
    assert "cannot be met" in r.stderr and "short by" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


def test_unknown_manager_in_scenario_exits_2(small_case, tmp_path):
    sc = tmp_path / "leave.yml"
    sc.write_text("unavailable_managers: [M99]\n")
    r = run("plan", str(small_case), "--out", str(tmp_path / "o"), "--scenario", str(sc))
    assert r.returncode == 2
    assert "M99" in r.stderr


def test_the_case_folder_is_refused_as_output_and_left_unchanged(small_case, tmp_path, capsys,
                                                                monkeypatch):
    def must_not_plan(*a, **k):
        raise AssertionError("planned although the output folder is refused")

    monkeypatch.setattr(sys.modules["kamopt.planning.oneyear"], "plan", must_not_plan)
    case = tmp_path / "case"
    case.mkdir()
    for f in small_case.iterdir():
        (case / f.name).write_bytes(f.read_bytes())
    before = {f.name: f.read_bytes() for f in case.iterdir()}
    # the refusal comes before any solve
    assert main(["plan", str(case), "--out", str(case)]) == 2
    err = capsys.readouterr().err
    assert str(case) in err and "holds a case" in err
    assert {f.name: f.read_bytes() for f in case.iterdir()} == before  # nothing changed or added
    # and the writer refuses it too, whoever calls it
    from kamopt.case.staging import staged_folder
    from kamopt.errors import InputError

    with pytest.raises(InputError, match="holds a case"), staged_folder(case):
        pass
    assert {f.name: f.read_bytes() for f in case.iterdir()} == before


def test_an_output_path_that_is_a_file_exits_2(small_case, tmp_path):
    target = tmp_path / "plan.csv"
    target.write_text("mine")
    r = run("plan", str(small_case), "--out", str(target))
    assert r.returncode == 2 and "is a file" in r.stderr and "Traceback" not in r.stderr
    assert target.read_text() == "mine"


def test_an_internal_error_is_reported_without_a_traceback(monkeypatch, capsys, small_case, tmp_path):
    # `kamopt.planning.oneyear` is the function (the public name); the module is in sys.modules
    planner = sys.modules["kamopt.planning.oneyear"]

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(planner, "plan", boom)
    code = main(["plan", str(small_case), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and "internal error" in err and "Traceback" not in err


def test_sample_command_writes_a_loadable_case(tmp_path):
    r = run("sample", str(tmp_path / "s"), "--customers", "20", "--managers", "3", "--seed", "1")
    assert r.returncode == 0, r.stderr
    r = run("check", str(tmp_path / "s"))
    assert r.returncode == 0 and "valid" in r.stdout


def test_check_validates_the_midterm_inputs_too(small_case, tmp_path):
    case = tmp_path / "case"
    case.mkdir()
    for f in small_case.iterdir():
        (case / f.name).write_bytes(f.read_bytes())
    (case / "targets.csv").write_text("year,scope,order_intake\n2027,company,lots\n")
    r = run("check", str(case))
    assert r.returncode == 2
    assert "targets.csv" in r.stderr and "row 2" in r.stderr and "order_intake" in r.stderr
    assert "Traceback" not in r.stderr
    (case / "targets.csv").write_text("year,scope,order_intake\n2027,company,1000000\n")
    r = run("check", str(case))
    assert r.returncode == 0 and "order-intake targets" in r.stdout


def test_a_folder_of_earlier_outputs_can_be_written_again(small_case, tmp_path):
    out = tmp_path / "o"
    for _ in range(2):
        r = run("plan", str(small_case), "--out", str(out), "--mip-gap", "0.05")
        assert r.returncode == 0, r.stderr
    assert {"plan.csv", "summary.json", "managers.csv"} <= {p.name for p in out.iterdir()}


def test_a_rerun_replaces_the_earlier_outputs_as_a_set_and_keeps_other_files(
        small_case, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["plan", str(small_case), "--out", str(out), "--mip-gap", "0.05", "--excel"]) == 0
    (out / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert main(["plan", str(small_case), "--out", str(out), "--mip-gap", "0.05"]) == 0
    assert not (out / "plan.xlsx").exists()  # the earlier run's workbook would contradict
    assert (out / "notes.txt").read_text() == "mine"
    shown = capsys.readouterr().out.splitlines()[-1]
    assert shown == f"  written to {out}: plan.csv, summary.json, departments.csv, managers.csv"


@pytest.mark.parametrize("where", ["file_above", "folder_in_the_way"])
def test_an_output_place_that_cannot_take_the_files_exits_2_before_solving(
        where, small_case, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.modules["kamopt.planning.oneyear"], "solve_model",
                        lambda *a, **k: pytest.fail("solved"))
    if where == "file_above":
        (tmp_path / "afile").write_text("x")
        out, expected = tmp_path / "afile" / "o", "afile: is a file, so no folder can be made"
    else:
        out = tmp_path / "o"
        (out / "summary.json").mkdir(parents=True)
        expected = "summary.json: is a folder where kamopt writes a file"
    assert main(["plan", str(small_case), "--out", str(out)]) == 2
    assert expected in capsys.readouterr().err


def test_a_customer_name_that_looks_like_a_formula_stays_text_in_excel(tmp_path):
    import openpyxl

    case = make_case(customers=12, managers=2, seed=1)
    first = case.customers.index[0]
    case.customers.loc[first, "name"] = '=HYPERLINK("http://example.com","klick")'
    folder = save_case(case, tmp_path / "c")
    assert main(["plan", str(folder), "--out", str(tmp_path / "o"), "--excel"]) == 0
    ws = openpyxl.load_workbook(tmp_path / "o" / "plan.xlsx")["Accounts"]
    cells = [c for row in ws.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK")]
    assert cells and all(c.data_type == "s" for c in cells)
    save_case(case, tmp_path / "c.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "c.xlsx")["customers"]
    assert [c.data_type for row in ws.iter_rows() for c in row
            if str(c.value).startswith("=HYPERLINK")] == ["s"]


def test_the_headline_adds_up_with_a_continuity_bonus(small_case, tmp_path, capsys):
    sc = tmp_path / "c.yml"
    sc.write_text("continuity_bonus: 5000\nmip_gap: 0.01\n")
    assert main(["plan", str(small_case), "--out", str(tmp_path / "o"), "--scenario", str(sc)]) == 0
    import re

    text = capsys.readouterr().out
    shown = {k: float(re.search(rf"{k} +(-?[\d,]+) EUR a year", text)[1].replace(",", ""))
             for k in ("from potential", "from retention", "from continuity", "cost")}
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert shown["from continuity"] == pytest.approx(summary["value_from_continuity"], abs=1)
    assert (shown["from potential"] + shown["from retention"] + shown["from continuity"]
            - shown["cost"]) == pytest.approx(summary["objective"], abs=3)


def test_check_with_a_scenario_that_cannot_be_met_exits_3_and_says_nothing_is_valid(
        small_case, tmp_path, capsys):
    sc = tmp_path / "b.yml"
    sc.write_text("budget: 0\nmin_key_accounts: 3\n")
    assert main(["check", str(small_case), "--scenario", str(sc)]) == 3
    out, err = capsys.readouterr()
    assert out == "" and "short by" in err


def test_the_report_gives_kamopts_message_not_a_notebook_traceback(small_case, tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text("budjet: 1\n")
    assert main(["report", str(small_case), "--scenario", str(bad), "--out",
                 str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'budget'" in err and "Traceback" not in err
    impossible = tmp_path / "b.yml"
    impossible.write_text("budget: 0\nmin_key_accounts: 3\n")
    assert main(["report", str(small_case), "--scenario", str(impossible), "--out",
                 str(tmp_path / "r.html")]) == 3
    assert "short by" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_the_outputs_of_two_plan_runs_can_be_compared(small_case, tmp_path, capsys):
    cut = tmp_path / "cut.yml"
    cut.write_text("name: cut\ncapacity_scale: 0.6\nmip_gap: 0.01\n")
    assert main(["plan", str(small_case), "--out", str(tmp_path / "base"), "--mip-gap", "0.01"]) == 0
    assert main(["plan", str(small_case), "--out", str(tmp_path / "cut"), "--scenario", str(cut)]) == 0
    assert not (tmp_path / "cut" / "scenario.yml").exists()  # the scenario is in summary.json
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "base"), str(tmp_path / "cut")]) == 0
    shown = capsys.readouterr().out
    cut_summary = json.loads((tmp_path / "cut" / "summary.json").read_text())
    assert "against 'base'" in shown and f"{cut_summary['objective']:,.0f}" in shown


def test_no_plan_within_the_time_limit_exits_4_and_says_how_to_allow_more(
        small_case, tmp_path, capsys, monkeypatch):
    from kamopt.solve.backend import Solution

    def stopped(*a, **k):
        return Solution("error", None, None, None, 0.01, "highs",
                        message="HiGHS stopped without a plan: Time limit reached",
                        stopped_by="time")

    monkeypatch.setattr(sys.modules["kamopt.planning.oneyear"], "solve_model", stopped)
    out = tmp_path / "o"
    assert main(["plan", str(small_case), "--out", str(out), "--time-limit", "0.01"]) == 4
    err = capsys.readouterr().err
    assert "no plan" in err and "time limit 0.01 s" in err and "--time-limit" in err
    assert not out.exists()


@pytest.mark.parametrize("argv, expected", [
    (["sample", "{tmp}/s", "--customers", "0"], "--customers: got '0'; expected a whole number from 1 to 100000"),
    (["sample", "{tmp}/s", "--seed", "-1"], "--seed: got '-1'; expected a whole number >= 0"),
    (["plan", "{case}", "--out", "{tmp}/o", "--years", "0"], "--years: got '0'; expected a whole "
                                                             "number from 1 to 10"),
    (["frontier", "{case}", "--max-hires", "-1"], "--max-hires: got '-1'"),
    (["frontier", "{case}", "--fixed-cost", "-5"], "--fixed-cost: got '-5'; expected a number >= 0"),
    (["frontier", "{case}", "--max-hires", "0"], "--max-hires: got '0'; expected a whole number "
                                                 "from 1 to 50"),
    # an empty path would write into the folder the command runs in
    (["sample", ""], "got ''; expected a path"),
    (["sample", "{tmp}/s", "--customers", "1000000000"], "--customers: got '1000000000'; "
                                                         "expected a whole number from 1 to 100000"),
    (["plan", "{case}", "--out", ""], "--out: got ''; expected a path"),
    (["plan", "{case}", "--out", "{tmp}/o", "--mip-gap", "nan"], "--mip-gap: got 'nan'; "
                                                                 "expected a number from 0 to 1"),
    (["midterm", "{case}", "--out", "{tmp}/o", "--time-limit", "inf"],
     "--time-limit: got 'inf'; expected a number of seconds > 0"),
    (["midterm", "{case}", "--out", "{tmp}/o", "--years", "11"], "--years: got '11'"),
    (["report", "{case}", "--out", "{tmp}/r.html", "--mip-gap", "inf"], "--mip-gap: got 'inf'"),
    (["report", "{case}", "--out", "{tmp}/r.html", "--years", "2", "--time-limit", "nan"],
     "--time-limit: got 'nan'"),
    (["sensitivity", "{case}", "--param", "realization", "--values", "0.2", "--mip-gap", "-1"],
     "--mip-gap: got '-1'"),
    (["decision-costs", "{case}", "--scenario", "x.yml", "--time-limit", "0"],
     "--time-limit: got '0'; expected a number of seconds > 0"),
])
def test_out_of_range_options_exit_2_with_usage(argv, expected, small_case, tmp_path, capsys,
                                                monkeypatch):
    monkeypatch.chdir(tmp_path)  # an empty path is this folder: were it taken, it writes here
    argv = [a.format(tmp=tmp_path, case=small_case) for a in argv]
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and expected in err and "usage: kamopt" in err
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("target", ["", "plan.csv"])
def test_the_report_refuses_a_folder_or_a_non_html_file_before_running(target, small_case,
                                                                       tmp_path, capsys):
    out = tmp_path / target if target else tmp_path
    assert main(["report", str(small_case), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "The report cannot be written there" in err and str(out) in err
    assert not list(tmp_path.iterdir())


def test_plan_with_assumptions_but_no_years_is_the_midterm_plan(small_case, tmp_path, capsys):
    bad = tmp_path / "mid.yml"
    bad.write_text("years: 3\nramp: [0.5, 0.2]\n")
    out = tmp_path / "o"
    # the assumptions are read (and here rejected), not silently ignored
    assert main(["plan", str(small_case), "--out", str(out), "--assumptions", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "mid.yml" in err and "'ramp'" in err and not out.exists()
    # with --years 1 too
    assert main(["plan", str(small_case), "--out", str(out), "--assumptions", str(bad),
                 "--years", "1"]) == 2
    assert "'ramp'" in capsys.readouterr().err and not out.exists()


def test_midterm_refuses_the_case_folder_as_output_before_solving(small_case, tmp_path, capsys,
                                                                  monkeypatch):
    def must_not_plan(*a, **k):
        raise AssertionError("planned although the output folder is refused")

    monkeypatch.setattr("kamopt.cli.midterm.plan_midterm", must_not_plan)
    assert main(["midterm", str(small_case), "--out", str(small_case)]) == 2
    assert "holds a case" in capsys.readouterr().err


def test_a_scenario_that_overrides_the_case_says_so_in_check_plan_and_summary(
        small_case, tmp_path, capsys):
    """The scenario's must/exclude wins over the case's status, and says so (not silently)."""
    case = pd.read_csv(small_case / "customers.csv", keep_default_na=False).set_index("customer_id")
    assert (case.at["K0018", "status"], case.at["K0036", "status"]) == ("must", "exclude")
    sc = tmp_path / "what_if.yml"
    sc.write_text("must: [K0036]\nexclude: [K0018]\nmip_gap: 0.01\n")
    notes = ["Scenario 'what_if' overrides the case: K0018 is 'exclude' in the scenario, "
             "'must' in customers.csv",
             "Scenario 'what_if' overrides the case: K0036 is 'must' in the scenario, "
             "'exclude' in customers.csv"]
    assert main(["check", str(small_case), "--scenario", str(sc)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-2:] == [f"  {n}" for n in notes]
    out_dir = tmp_path / "o"
    assert main(["plan", str(small_case), "--out", str(out_dir), "--scenario", str(sc),
                 "--excel"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {n}\n" in out for n in notes)
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["notes"] == notes
    import openpyxl

    sheet = dict(openpyxl.load_workbook(out_dir / "plan.xlsx")["Summary"].iter_rows(
        min_row=2, values_only=True))
    assert sheet["Notes"] == "\n".join(notes)
    table = pd.read_csv(out_dir / "plan.csv", keep_default_na=False).set_index("customer_id")
    assert (table.at["K0036", "key_account"], table.at["K0018", "key_account"]) == (1, 0)
    # the mid-term plan too
    assert main(["plan", str(small_case), "--out", str(tmp_path / "m"), "--scenario", str(sc),
                 "--years", "2"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {n}\n" in out for n in notes)
    assert json.loads((tmp_path / "m" / "summary.json").read_text())["notes"] == notes
    # a scenario that overrides nothing adds no note
    plain = tmp_path / "plain.yml"
    plain.write_text("must: [K0018]\nmip_gap: 0.01\n")
    assert main(["check", str(small_case), "--scenario", str(plain)]) == 0
    assert main(["plan", str(small_case), "--out", str(tmp_path / "p"), "--scenario",
                 str(plain)]) == 0
    assert "overrides the case" not in capsys.readouterr().out
    assert "notes" not in json.loads((tmp_path / "p" / "summary.json").read_text())


# ------------------------------------------------- outputs and inputs of the other commands
def _no_planning(monkeypatch):
    def must_not_plan(*a, **k):
        raise AssertionError("planned although an output or input is refused")

    monkeypatch.setattr("kamopt.analysis.sensitivity.sweep", must_not_plan)


@pytest.mark.parametrize("chart, excel, expected", [
    ("ok.png", "afile/s.xlsx", "--excel {tmp}/afile/s.xlsx: cannot be written: {tmp}/afile is a "
                               "file, not a folder"),
    ("ok.png", "", "--excel: got ''; expected the name of a file ending in .xlsx"),
    ("ok.png", "adir.xlsx", "--excel {tmp}/adir.xlsx: is a folder"),
    ("ok.jpg", "s.xlsx", "--chart {tmp}/ok.jpg: expected the name of a file ending in .png"),
])
def test_sweep_outputs_are_checked_before_any_plan_and_none_is_half_written(
        chart, excel, expected, small_case, tmp_path, capsys, monkeypatch):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir.xlsx").mkdir()
    _no_planning(monkeypatch)
    before = sorted(p.name for p in tmp_path.iterdir())
    argv = ["sensitivity", str(small_case), "--param", "realization", "--values", "0.2", "0.4",
            "--chart", str(tmp_path / chart), "--excel", str(tmp_path / excel) if excel else ""]
    assert main(argv) == 2
    assert expected.format(tmp=tmp_path) in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no chart without its workbook


def test_a_place_where_nothing_can_be_written_is_refused_even_for_root(tmp_path, monkeypatch):
    """os.access says yes to root for /sys; writing a probe file tells the truth."""
    import errno

    from kamopt.case import staging
    from kamopt.errors import InputError

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(staging.tempfile, "mkstemp", read_only)
    with pytest.raises(InputError, match="not writable for this user .Read-only file system.") as e:
        staging.check_writable(tmp_path / "out")
    assert e.value.exit_code == 2


def test_a_sweep_without_any_plan_exits_3_with_each_values_reason(small_case, tmp_path, capsys):
    chart = tmp_path / "s.png"
    assert main(["sensitivity", str(small_case), "--param", "min_key_accounts", "--values", "100",
                 "200", "--mip-gap", "0.01", "--chart", str(chart)]) == 3
    err = capsys.readouterr().err
    assert "at min_key_accounts = 100: " in err and "at min_key_accounts = 200: " in err
    assert "short by 61" in err and not chart.exists()  # 39 customers can be key accounts


def test_bad_sweep_values_are_named_by_the_option_that_gave_them(small_case, capsys):
    assert main(["sensitivity", str(small_case), "--param", "realization", "--values", "0.2",
                 "--param2", "capacity_scale", "--values2", "1", "1.0"]) == 2
    err = capsys.readouterr().err
    assert "--values2: got 1.0; is given twice (a value of capacity_scale)" in err


@pytest.mark.parametrize("text, expected", [
    ("hire_profiles: 5\n", "column 'hire_profiles': got 5; must be a list of hire profiles"),
    ("hire_profiles: [{name: x, industries: 5}]\n",
     "column 'hire_profiles[0].industries': got 5; must be a list of industries"),
    ("hire_profiles: [{name: x, seniority: abc}]\n", "column 'hire_profiles[x].seniority'"),
    ("years: 2\nyears: 3\n", "row 2: is not valid YAML (the key 'years' is given twice "
                              "(first on line 1))"),
    (b"\x00\xff", "cannot be read as UTF-8 text"),
])
def test_bad_midterm_assumptions_exit_2_naming_the_key(text, expected, small_case, tmp_path,
                                                       capsys):
    a = tmp_path / "a.yml"
    a.write_bytes(text if isinstance(text, bytes) else text.encode())
    out = tmp_path / "o"
    assert main(["midterm", str(small_case), "--years", "2", "--assumptions", str(a),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "The mid-term assumptions have problems" in err and expected in err
    assert not out.exists()


def test_a_scenario_key_given_twice_is_refused_not_silently_dropped(small_case, tmp_path, capsys):
    sc = tmp_path / "dup.yml"
    sc.write_text("leads:\n  K0002: M04\n  K0002: M05\n")
    assert main(["check", str(small_case), "--scenario", str(sc)]) == 2
    assert "row 3: is not valid YAML (the key 'K0002' is given twice (first on line 2))" in \
        capsys.readouterr().err


def test_a_midterm_plan_stopped_at_its_time_limit_says_so_not_interrupted_by_user(
        small_case, tmp_path, capsys, monkeypatch):
    from kamopt.solve.backend import Solution

    def stopped(*a, **k):  # what kamopt's own stop of HiGHS at the limit reads like
        return Solution("error", None, None, None, 5.0, "highs",
                        message="HiGHS stopped without a plan: Interrupted by user",
                        stopped_by="time")

    monkeypatch.setattr("kamopt.planning.midterm._solve", stopped)
    out = tmp_path / "o"
    assert main(["midterm", str(small_case), "--years", "2", "--out", str(out),
                 "--time-limit", "5"]) == 4
    err = capsys.readouterr().err
    assert "No plan was found within the time limit (5 s" in err and "--time-limit" in err
    assert "by user" not in err and not out.exists()
