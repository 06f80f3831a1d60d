"""Saved scenarios: save, list, load, delete, compare, and `kamopt compare`."""

import argparse
import json

import pytest

from kamopt.session import PlanSession, explorer_scenario
from kamopt.store import (
    NotASavedScenario,
    add_compare_command,
    compare,
    delete_scenario,
    list_scenarios,
    load_scenario,
    save_scenario,
)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from kamopt.sample import make_case

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
    from kamopt.midterm import HireProfile, MidtermAssumptions, plan_midterm, write_midterm_outputs
    from kamopt.sample import make_case
    from kamopt.scenario import Scenario

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
    assert list(sheets) == ["KPIs", "Key accounts", "Manager changes", "Utilisation"]
    kpis = sheets["KPIs"].set_index("scenario")
    assert kpis.loc["manager-leaves", "objective"] == pytest.approx(leaves.objective)
    assert kpis.loc["manager-leaves", "objective_change"] == pytest.approx(
        leaves.objective - base.objective)
    ws = openpyxl.load_workbook(book)["Utilisation"]
    assert ws["B2"].number_format == "0.0%" and ws["B2"].value == pytest.approx(
        base.managers["utilisation"].iloc[0], abs=0.005)  # managers.csv keeps 2 digits
    assert openpyxl.load_workbook(book)["KPIs"]["D2"].number_format == "0.00%"  # mip_gap
    mroot, plans = midterm_plans
    code, _ = _cli(["compare", str(mroot / "base"), str(mroot / "leaves"), "--excel",
                    str(tmp_path / "midterm.xlsx")])
    assert code == 0
    sheets = pd.read_excel(tmp_path / "midterm.xlsx", sheet_name=None)
    assert list(sheets) == ["KPIs", "Key accounts", "Hires"]
    year = plans["base"].years.index[-1]
    assert sheets["KPIs"].set_index("scenario").loc["leaves", f"intake {year}"] == pytest.approx(
        plans["leaves"].years.at[year, "intake"], abs=0.01)
    # a name that is not a workbook's is refused before anything is compared or written
    code, msg = _cli(["compare", str(root / "base"), "--excel", str(tmp_path / "c.csv")])
    assert code == 2 and "must end in .xlsx" in msg
    assert not (tmp_path / "c.csv").exists()


def test_with_the_case_the_changes_name_the_customers(saved, midterm_plans, tmp_path, capsys):
    from kamopt.io import save_case

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
