"""Saved scenarios: save, list, load, delete, compare, and `kamopt compare`."""

import argparse
import json

import pytest

from kamopt.analysis.session import PlanSession, explorer_scenario
from kamopt.analysis.store import (
    compare,
    delete_scenario,
    list_scenarios,
    load_scenario,
    save_scenario,
)
from kamopt.cli.compare import add_compare_command
from kamopt.errors import NotASavedScenario


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from kamopt.case.sample import make_case

    case = make_case(customers=60, managers=5, seed=3)
    root = tmp_path_factory.mktemp("scenarios")
    session = PlanSession(case)
    base = session.solve(explorer_scenario())
    away = case.managers.index[2]
    leaves = session.solve(explorer_scenario(unavailable_managers=(away,)))
    save_scenario(base, "base", root=root)
    save_scenario(leaves, "manager-leaves", root=root)
    return root, base, leaves, away


def test_a_saved_scenario_reads_back_as_it_was_saved(saved):
    root, base, _, _ = saved
    folder = root / "base"
    assert {"scenario.yml", "plan.csv", "summary.json", "managers.csv"} <= {
        p.name for p in folder.iterdir()}
    back = load_scenario("base", root=root)  # by name, as after a kernel restart
    assert back.scenario == base.scenario.replace(name="base")
    assert back.summary["objective"] == pytest.approx(base.objective)
    assert back.plan["key_account"].sum() == base.kpis["key_accounts"]
    assert list(back.plan.index) == list(base.accounts.index)


def test_list_and_delete(saved, tmp_path):
    root, base, _, _ = saved
    listed = list_scenarios(root)
    assert list(listed.index) == ["base", "manager-leaves"]
    assert listed.loc["base", "objective"] == pytest.approx(base.objective)
    save_scenario(base, "scratch", root=tmp_path)
    assert list(list_scenarios(tmp_path).index) == ["scratch"]
    delete_scenario("scratch", root=tmp_path)
    assert list(list_scenarios(tmp_path).index) == []
    assert list(list_scenarios(tmp_path / "nothing-here").index) == []


def test_names_must_be_safe_folder_names(saved, tmp_path):
    _, base, _, _ = saved
    with pytest.raises(ValueError, match="The 'name' parameter of save_scenario"):
        save_scenario(base, "../escape", root=tmp_path)


def test_compare_shows_kpis_entries_exits_manager_changes_and_utilisation(saved):
    root, base, leaves, away = saved
    cmp = compare([root / "base", root / "manager-leaves"])
    assert list(cmp.kpis.columns) == ["base", "manager-leaves"]
    assert cmp.kpis.loc["objective", "base"] == pytest.approx(base.objective)
    assert cmp.kpis.loc["objective_change", "manager-leaves"] == pytest.approx(
        leaves.objective - base.objective)
    assert cmp.kpis.loc["accounts_changing_hands", "manager-leaves"] == \
        leaves.kpis["accounts_changing_hands"]
    today = base.case.customers["current_manager"]
    ka = leaves.accounts[leaves.accounts["key_account"] == 1]
    assert leaves.kpis["accounts_changing_hands"] == int(
        ((today[ka.index] != "") & (ka["manager_id"] != today[ka.index])).sum())
    was = set(base.key_accounts)
    now = set(leaves.key_accounts)
    ch = cmp.key_account_changes
    assert set(ch.loc[ch["change"] == "enters", "customer_id"]) == now - was
    assert set(ch.loc[ch["change"] == "leaves", "customer_id"]) == was - now
    led_by_away = set(base.accounts.index[base.accounts["manager_id"] == away]) & now
    moved = set(cmp.manager_changes["customer_id"])
    assert led_by_away <= moved  # every account the leaver kept has a new manager
    assert (cmp.manager_changes["manager_before"] != cmp.manager_changes["manager_after"]).all()
    assert cmp.utilisation.loc[away, "base"] == pytest.approx(base.managers.loc[away, "utilisation"],
                                                              abs=1e-2)
    assert cmp.utilisation[["manager-leaves"]].loc[away].isna().all()
    assert set(cmp.to_dict()) == {"kpis", "key_account_changes", "manager_changes", "utilisation"}


def _cli(argv):
    from kamopt.errors import KamoptError

    parser = argparse.ArgumentParser(prog="kamopt")
    sub = parser.add_subparsers(dest="command", required=True)
    add_compare_command(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args), None
    except KamoptError as exc:
        return exc.exit_code, str(exc)


def test_the_compare_command_prints_the_table(saved, capsys):
    root, base, _, _ = saved
    code, _ = _cli(["compare", str(root / "base"), str(root / "manager-leaves")])
    out = capsys.readouterr().out
    assert code == 0
    assert "manager-leaves" in out and "objective" in out
    assert f"{base.objective:,.0f}" in out
    assert "enter key-account status" in out and "Utilisation per manager" in out


def test_a_folder_that_is_not_a_saved_scenario_exits_2_with_a_clear_message(saved, tmp_path):
    root, _, _, _ = saved
    (tmp_path / "plan.csv").write_text("customer_id\n")
    code, msg = _cli(["compare", str(root / "base"), str(tmp_path)])
    assert code == 2
    assert "is not a saved scenario" in msg and "scenario.yml" in msg
    code, msg = _cli(["compare", str(tmp_path / "missing")])
    assert code == 2 and "no such folder" in msg
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in ("scenario.yml", "plan.csv"):
        (bad / f).write_text("x: [\n")
    (bad / "summary.json").write_text(json.dumps({}))
    with pytest.raises(NotASavedScenario, match="is not a saved scenario"):
        load_scenario(bad)
    # a mid-term plan's output folder is named as such, with where to compare it instead
    midterm = tmp_path / "midterm"
    midterm.mkdir()
    for f in ("plan_by_year.csv", "summary.json"):
        (midterm / f).write_text("x\n")
    code, msg = _cli(["compare", str(root / "base"), str(midterm)])
    assert code == 2
    assert f"{midterm} is the output of a mid-term plan (plan_by_year.csv) and " in msg
    assert "compare plans of one kind" in msg
    with pytest.raises(NotASavedScenario, match="compare it with other mid-term plans"):
        load_scenario(midterm)
    code, msg = _cli(["compare", str(midterm)])  # a mid-term folder without its other files
    assert code == 2
    assert "is not a mid-term plan's output: intake.csv, hires.csv missing" in msg


@pytest.fixture(scope="module")
def midterm_plans(tmp_path_factory):
    """Two 2-year plans of a small case, as `kamopt plan --years 2 --out` writes them: the
    second loses a manager, so it earns less and its key accounts differ."""
    from kamopt.case.assumptions import HireProfile, MidtermAssumptions
    from kamopt.case.sample import make_case
    from kamopt.case.scenario import Scenario
    from kamopt.planning.midterm import plan_midterm
    from kamopt.planning.midterm_outputs import write_midterm_outputs

    case = make_case(customers=24, managers=3, seed=2)
    root = tmp_path_factory.mktemp("midterm")
    a = MidtermAssumptions(years=2, hire_profiles=(HireProfile(name="kam", max_hires=1,
                                                               cost_per_year=1.0),))
    away = case.managers.index[0]
    plans = {}
    for name, sc in (("base", Scenario(name="base", mip_gap=0.0)),
                     ("leaves", Scenario(name="leaves", mip_gap=0.0,
                                         unavailable_managers=(away,)))):
        plans[name] = plan_midterm(case, sc, 2, assumptions=a)
        write_midterm_outputs(plans[name], root / name)
    return root, plans


def test_mid_term_plans_are_compared_by_year(midterm_plans, capsys):
    root, plans = midterm_plans
    base, leaves = plans["base"], plans["leaves"]
    cmp = compare([root / "base", root / "leaves"])
    assert cmp.names == ["base", "leaves"]
    k = cmp.kpis
    assert k.loc["npv", "base"] == pytest.approx(base.kpis["npv"])
    assert k.loc["npv_change", "leaves"] == pytest.approx(leaves.kpis["npv"] - base.kpis["npv"])
    for y in base.years.index:
        assert k.loc[f"intake {y}", "leaves"] == pytest.approx(leaves.years.at[y, "intake"],
                                                              abs=0.01)
        assert k.loc[f"key accounts {y}", "base"] == base.years.at[y, "key_accounts"]
        # the changes are the two plans' key accounts, year by year
        ka = {n: set(p.accounts.loc[(p.accounts["year"] == y) & (p.accounts["key_account"] == 1),
                                    "customer_id"]) for n, p in plans.items()}
        ch = cmp.key_account_changes[cmp.key_account_changes["year"] == y]
        assert set(ch.loc[ch["change"] == "enters", "customer_id"]) == ka["leaves"] - ka["base"]
        assert set(ch.loc[ch["change"] == "leaves", "customer_id"]) == ka["base"] - ka["leaves"]
    assert cmp.hires["count"].sum() == base.kpis["hires"] + leaves.kpis["hires"]
    code, _ = _cli(["compare", str(root / "base"), str(root / "leaves")])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Mid-term plans compared (changes are against 'base'):")
    assert f"{base.kpis['npv'] / 1e6:,.2f}" in out and "NPV change (M EUR)" in out
    assert "hires, base: " in out and "leaves, key accounts against 'base':" in out
    assert "is not proven" not in out  # both optimal: the sign of the change is proven


def test_a_difference_within_the_solvers_gaps_is_not_read_as_a_result(midterm_plans, tmp_path,
                                                                      capsys):
    import shutil

    root, plans = midterm_plans
    wide = tmp_path / "wide"
    shutil.copytree(root / "leaves", wide)
    s = json.loads((wide / "summary.json").read_text())
    base = plans["base"].kpis
    s.update(status="feasible", bound=base["objective"] + 0.05 * abs(base["objective"]))
    (wide / "summary.json").write_text(json.dumps(s))
    code, _ = _cli(["compare", str(root / "base"), str(wide)])
    out = capsys.readouterr().out
    assert code == 0
    assert "wide: with the plans' proven gaps the best objectives of the two scenarios differ" in out
    assert "which is better is not proven" in out



def test_compare_writes_a_workbook_a_consultant_can_hand_on(saved, midterm_plans, tmp_path,
                                                             capsys):
    import openpyxl
    import pandas as pd

    root, base, leaves, _ = saved
    book = tmp_path / "compare.xlsx"
    code, _ = _cli(["compare", str(root / "base"), str(root / "manager-leaves"),
                    "--excel", str(book)])
    assert code == 0 and f"written to {book}" in capsys.readouterr().out
    sheets = pd.read_excel(book, sheet_name=None)
    assert list(sheets) == ["KPIs", "Key accounts", "Manager changes", "Utilisation", "Technical"]
    kpis = sheets["KPIs"].set_index("Scenario")
    assert kpis.loc["manager-leaves", "Net contribution (EUR a year)"] == pytest.approx(
        leaves.objective)
    assert kpis.loc["manager-leaves", "Change against base (EUR a year)"] == pytest.approx(
        leaves.objective - base.objective)
    wb = openpyxl.load_workbook(book)
    ws = wb["Utilisation"]
    assert ws["C1"].value == "Utilisation in base (%)" and ws["B1"].value == "Manager name"
    assert ws["C2"].number_format == "0.0%" and ws["C2"].value == pytest.approx(
        base.managers["utilisation"].iloc[0], abs=0.005)  # managers.csv keeps 2 digits
    assert ws["B2"].value == base.managers["name"].iloc[0]  # the name beside the id
    assert wb["Technical"]["C1"].value == "Proven MIP gap (%)"
    assert wb["Technical"]["C2"].number_format == "0.00%"
    mroot, plans = midterm_plans
    code, _ = _cli(["compare", str(mroot / "base"), str(mroot / "leaves"), "--excel",
                    str(tmp_path / "midterm.xlsx")])
    assert code == 0
    sheets = pd.read_excel(tmp_path / "midterm.xlsx", sheet_name=None)
    assert list(sheets) == ["KPIs", "Key accounts", "Hires", "Technical"]
    year = plans["base"].years.index[-1]
    assert sheets["KPIs"].set_index("Scenario").loc[
        "leaves", f"Order intake {year} (EUR)"] == pytest.approx(
        plans["leaves"].years.at[year, "intake"], abs=0.01)
    # a name that is not a workbook's is refused before anything is compared or written
    code, msg = _cli(["compare", str(root / "base"), "--excel", str(tmp_path / "c.csv")])
    assert code == 2 and "expected the name of a file ending in .xlsx" in msg
    assert not (tmp_path / "c.csv").exists()
    # so is a place that cannot take the file, before the comparison is printed
    (tmp_path / "folder.xlsx").mkdir()
    code, msg = _cli(["compare", str(root / "base"), "--excel", str(tmp_path / "folder.xlsx")])
    assert code == 2 and "folder.xlsx: is a folder" in msg


def test_with_the_case_the_changes_name_the_customers(saved, midterm_plans, tmp_path, capsys):
    from kamopt.case.io import save_case

    root, base, _, _ = saved
    case = base.case
    cmp = compare([root / "base", root / "manager-leaves"], case=case)
    for frame in (cmp.key_account_changes, cmp.manager_changes):
        assert list(frame.columns[:3]) == ["scenario", "customer_id", "name"]
        assert (frame["name"] == case.customers["name"].reindex(frame["customer_id"]).to_numpy()
                ).all()
    assert len(cmp.manager_changes) > 0
    folder = save_case(case, tmp_path / "case")
    code, _ = _cli(["compare", str(root / "base"), str(root / "manager-leaves"),
                    "--case", str(folder)])
    out = capsys.readouterr().out
    assert code == 0
    r = cmp.manager_changes.iloc[0]
    assert f"\n    {r.customer_id} {r['name']} {r.manager_before}->{r.manager_after}\n" in out
    mroot, plans = midterm_plans
    mcmp = compare([mroot / "base", mroot / "leaves"], case=plans["base"].case)
    ch = mcmp.key_account_changes
    assert len(ch) and (ch["name"] == plans["base"].case.customers["name"].reindex(
        ch["customer_id"]).to_numpy()).all()
    r = ch.iloc[0]
    assert f"    {r.change}: {r.customer_id} {r['name']}" in mcmp.summary_text()
    code, msg = _cli(["compare", str(root / "base"), "--case", str(tmp_path / "nope")])
    assert code == 2 and "nope" in msg


# ------------------------------------------- damaged or mismatched folders (found by fuzzing)
def _copy(src, tmp_path, name="bad"):
    import shutil

    return shutil.copytree(src, tmp_path / name)


def _edit(folder, file, edit):
    """Rewrite ``folder/file`` (a CSV) as ``edit`` returns its table (every cell text)."""
    import pandas as pd

    f = folder / file
    edit(pd.read_csv(f, dtype=str, keep_default_na=False)).to_csv(f, index=False)


def _summary(folder, **figures):
    s = json.loads((folder / "summary.json").read_text())
    s.update(figures)
    (folder / "summary.json").write_text(json.dumps(s))


def _refused(first, folder, *expected):
    """`kamopt compare first folder` exits 2, naming ``folder`` and saying ``expected``."""
    code, msg = _cli(["compare", str(first), str(folder)])
    assert code == 2, msg
    assert f"{folder} is not a" in msg
    for text in expected:
        assert text in msg
    return msg


def test_a_summary_that_is_not_an_object_of_figures_exits_2_naming_it(saved, midterm_plans,
                                                                       tmp_path):
    root, mroot = saved[0], midterm_plans[0]
    for src in (root / "base", mroot / "base"):
        for k, raw in enumerate(("[]", "null", "42", '"x"', "[" * 100_000 + "]" * 100_000)):
            bad = _copy(src, tmp_path, f"{src.parent.name}-{k}")
            (bad / "summary.json").write_text(raw)
            _refused(src, bad, f"{bad}/summary.json: expected a JSON object of the plan's figures")
    figures = {"key_accounts": [1, 2], "hours_used": [1], "mip_gap": [0.1], "cost": {"x": 1}}
    for key, value in (*figures.items(), ("key_accounts", {"a": 1})):
        bad = _copy(root / "base", tmp_path, f"{key}-{type(value).__name__}")
        _summary(bad, **{key: value})
        _refused(root / "base", bad, f"{bad}/summary.json, key '{key}': got {value}; must be a "
                 "number, or null where the figure is missing")
    bad = _copy(mroot / "base", tmp_path, "hires")
    _summary(bad, hires=[1])
    _refused(mroot / "base", bad, f"{bad}/summary.json, key 'hires': got [1]; must be a number")


def test_a_damaged_plan_table_exits_2_naming_file_row_column_and_value(saved, midterm_plans,
                                                                        tmp_path):
    import pandas as pd

    base = saved[0] / "base"
    for col in ("customer_id", "key_account", "manager_id", "net"):
        bad = _copy(base, tmp_path, f"no-{col}")
        _edit(bad, "plan.csv", lambda t, c=col: t.drop(columns=c))
        _refused(base, bad, f"{bad}/plan.csv: no column '{col}'; kamopt compare needs the "
                 "columns customer_id, key_account, manager_id, net")
    for value in ("yes", "", "2"):  # the third customer is row 4, as a spreadsheet counts
        bad = _copy(base, tmp_path, f"ka-{value}")
        _edit(bad, "plan.csv", lambda t, v=value: t.assign(key_account=[*t["key_account"][:2], v,
                                                                        *t["key_account"][3:]]))
        shown = repr(value) if value != "2" else value
        _refused(base, bad, f"{bad}/plan.csv, row 4, column 'key_account': got {shown}; must be "
                 "0 or 1")
    bad = _copy(base, tmp_path, "twice")
    _edit(bad, "plan.csv", lambda t: pd.concat([t, t.iloc[[1]]]))
    cid = pd.read_csv(base / "plan.csv", dtype=str)["customer_id"][1]
    _refused(base, bad, f"{bad}/plan.csv, row {len(saved[1].accounts) + 2}, column "
             f"'customer_id': got '{cid}'; must appear once; row 3 has it already")
    # mid-term: plan_by_year.csv, hires.csv, intake.csv
    mbase = midterm_plans[0] / "base"
    for file, edit, said in (
            ("plan_by_year.csv", lambda t: t.drop(columns="year"),
             "plan_by_year.csv: no column 'year'"),
            ("plan_by_year.csv", lambda t: t.assign(key_account="no"),
             "plan_by_year.csv, row 2, column 'key_account': got 'no'; must be 0 or 1"),
            ("hires.csv", lambda t: pd.DataFrame({"manager_id": ["H1"], "year": ["2027"]}),
             "hires.csv: has hires but not the columns 'year' and 'profile'"),
            ("hires.csv", lambda t: pd.DataFrame({"manager_id": ["H1"], "profile": ["kam"],
                                                  "year": ["soon"]}),
             "hires.csv, row 2, column 'year': got 'soon'; must be a year, a whole number"),
            ("intake.csv", lambda t: pd.concat([t, t.iloc[[0]]]),
             f"intake.csv, row {len(midterm_plans[1]['base'].years) + 2}, column 'year': "
             f"got {midterm_plans[1]['base'].years.index[0]}; must appear once; row 2 has it"),
            ("intake.csv", lambda t: t.assign(year=["abc", *t["year"][1:]]),
             "intake.csv, row 2, column 'year': got 'abc'; must be a year")):
        bad = _copy(mbase, tmp_path, f"m-{len(list(tmp_path.iterdir()))}")
        _edit(bad, file, edit)
        _refused(mbase, bad, f"{bad}/{said}")


def test_a_damaged_managers_table_exits_2_naming_it(saved, tmp_path):
    import pandas as pd

    base = saved[0] / "base"
    bad = _copy(base, tmp_path, "abc")
    _edit(bad, "managers.csv", lambda t: t.assign(utilisation=["abc", *t["utilisation"][1:]]))
    _refused(base, bad, f"{bad}/managers.csv, row 2, column 'utilisation': got 'abc'; must be a "
             "number, or empty")
    bad = _copy(base, tmp_path, "twice")
    _edit(bad, "managers.csv", lambda t: pd.concat([t, t.iloc[[0]]]))
    _refused(base, bad, f"{bad}/managers.csv, row {len(saved[1].managers) + 2}, column "
             f"'manager_id': got '{saved[1].managers.index[0]}'; must appear once; row 2 has it")


def test_a_plan_table_that_is_not_its_summarys_exits_2_saying_both_numbers(saved, midterm_plans,
                                                                            tmp_path):
    root, base = saved[0], saved[1]
    n, ka = len(base.accounts), base.kpis["key_accounts"]
    bad = _copy(root / "base", tmp_path, "header-only")
    _edit(bad, "plan.csv", lambda t: t.iloc[:0])
    _refused(root / "base", bad, f"{bad}/plan.csv: has 0 customers, but summary.json records "
             f"{n}", f"has 0 key accounts, but summary.json records {ka}", "not of one plan")
    bad = _copy(root / "base", tmp_path, "half")
    _edit(bad, "plan.csv", lambda t: t.iloc[: n // 2])
    _refused(root / "base", bad, f"has {n // 2} customers, but summary.json records {n}")
    mbase = midterm_plans[0] / "base"  # mid-term: a year cut off plan_by_year.csv
    year = midterm_plans[1]["base"].years.index[-1]
    bad = _copy(mbase, tmp_path, "mid-term")
    _edit(bad, "plan_by_year.csv", lambda t: t[t["year"] != str(year)])
    _refused(mbase, bad, f"{bad}/plan_by_year.csv: has 0 key accounts in {year}, but intake.csv "
             f"records {midterm_plans[1]['base'].years.at[year, 'key_accounts']}")


def test_plans_of_different_customers_or_cases_are_refused_or_noted(saved, midterm_plans,
                                                                     tmp_path, capsys):
    from kamopt.case.sample import make_case

    root, base = saved[0], saved[1]
    ids = list(base.accounts.index)
    fewer = _copy(root / "base", tmp_path, "fewer")  # the plan of a case of fewer customers
    _edit(fewer, "plan.csv", lambda t: t[~t["customer_id"].isin(ids[-2:])])
    kept = base.accounts.drop(ids[-2:])
    _summary(fewer, customers=len(kept), key_accounts=int(kept["key_account"].sum()))
    code, msg = _cli(["compare", str(root / "base"), str(fewer)])
    assert code == 2
    assert msg == (f"{root / 'base'} and {fewer} plan different customers, so they are not "
                   f"scenarios of one case (only in base: {ids[-2]}, {ids[-1]}). Compare plans "
                   "of one case.")
    other = _copy(root / "manager-leaves", tmp_path, "other")  # same ids, another case
    _summary(other, case="cases/other.xlsx")
    code, _ = _cli(["compare", str(root / "base"), str(other)])
    out = capsys.readouterr().out
    assert code == 0
    assert (f"Note: the plans are of different cases, '{base.case.source}' and "
            "'cases/other.xlsx' (as their summary.json records).") in out
    cmp = compare([root / "base", other], case=base.case)
    assert "the plans of 'cases/other.xlsx' may have other customers under these ids" in \
        cmp.summary_text()
    with pytest.raises(NotASavedScenario, match=f"does not have the plans' customers {ids[-1]}"):
        compare([root / "base", root / "manager-leaves"],
                case=make_case(customers=len(ids) - 1, managers=3, seed=1))
    mroot = midterm_plans[0]
    mother = _copy(mroot / "leaves", tmp_path, "mother")
    _summary(mother, case="elsewhere")
    assert "Note: the plans are of different cases" in compare([mroot / "base", mother]
                                                               ).summary_text()


def test_a_plan_compared_with_itself_is_not_said_to_differ_within_the_gaps(saved, midterm_plans,
                                                                           tmp_path):
    for src, label in ((saved[0] / "base", "one-year"), (midterm_plans[0] / "base", "mid-term")):
        wide = _copy(src, tmp_path, label)  # a plan stopped at the time limit, with a gap
        s = json.loads((wide / "summary.json").read_text())
        _summary(wide, status="feasible", bound=s["objective"] + 0.05 * abs(s["objective"]))
        text = compare([wide, wide]).summary_text()
        assert "is not proven" not in text and f"{label}-2" in text


def test_mid_term_plans_of_different_horizons_are_compared_in_the_years_both_have(
        midterm_plans, tmp_path):
    mroot, plans = midterm_plans
    first, last = plans["base"].years.index[0], plans["base"].years.index[-1]
    short = _copy(mroot / "leaves", tmp_path, "short")  # a plan of one year fewer
    for file in ("plan_by_year.csv", "intake.csv"):
        _edit(short, file, lambda t: t[t["year"] != str(last)])
    text = compare([mroot / "base", short]).summary_text()
    assert (f"Note: the plans cover different years (base: {first}-{last}, short: {first}): "
            "key accounts are compared only in the years both have, and the NPV of short is "
            "over other years than base's, so the NPV change does not say which plan is "
            "better.") in text
    section = text.split("short, key accounts against 'base':")[1]
    assert f"  {first}: " in section and f"  {last}: " not in section
    assert "NPV change" in text


def test_a_provisional_plan_is_never_compared_with_proven_ones_unsaid(saved, tmp_path):
    """A provisional plan (the explorer's repair, before its refinement) saved beside a
    proven one: the comparison's status row says so in the table itself."""
    root, base, _, away = saved
    session = PlanSession(base.case)
    session.solve(explorer_scenario())
    quick = session.quick(explorer_scenario(capacity_scale=0.8))
    assert quick.kpis["provisional"]
    save_scenario(base, "proven", root=tmp_path)
    save_scenario(quick, "quick", root=tmp_path)
    c = compare([tmp_path / "proven", tmp_path / "quick"])
    assert c.kpis.at["status", "proven"] == "optimal"
    assert c.kpis.at["status", "quick"].startswith("provisional (")
