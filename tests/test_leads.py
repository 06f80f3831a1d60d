"""Lead managers fixed by a scenario (``leads: {K0051: M08}``): "this account stays with M08"."""

from __future__ import annotations

import pytest

from kamopt.analysis.explain import explain
from kamopt.case.io import save_case
from kamopt.case.sample import make_case
from kamopt.case.scenario import Hire, Scenario
from kamopt.cli import main
from kamopt.errors import CaseError, InfeasibleError, ScenarioError, VerificationError
from kamopt.model.prepare import override_notes, scenario_notes
from kamopt.planning.oneyear import plan, verify_plan
from kamopt.testing import assert_plan_sound, brute_force, tiny_case


@pytest.fixture(scope="module")
def case():
    return make_case(customers=40, managers=5, seed=3)


@pytest.fixture(scope="module")
def free(case):
    return plan(case, Scenario(mip_gap=0.0))


def _moved(case, free):
    """A key account of the free plan, and another eligible manager to fix it to."""
    ka = free.accounts[free.accounts["key_account"] == 1]
    for cid, row in ka.iterrows():
        tier = case.customers.at[cid, "tier"]
        others = [j for j in case.managers.index
                  if j != row["manager_id"] and case.managers.at[j, "seniority"] >= tier]
        if others:
            return cid, others[0]
    raise AssertionError("no key account with a second eligible manager")


# ------------------------------------------------------------------ the scenario
def test_leads_are_read_from_yaml_data_and_written_back():
    s = Scenario.from_dict({"leads": {"K0051": "M08", 7: 12}})
    assert s.leads == (("K0051", "M08"), ("7", "12"))  # ids YAML reads as numbers are ids
    assert s.lead_of == {"K0051": "M08", "7": "12"}
    assert Scenario.from_dict(s.to_dict()) == s
    assert Scenario(leads={"K1": "M1"}).leads == (("K1", "M1"),)  # a dict from Python
    assert Scenario.from_dict({"leads": None}).leads == ()


@pytest.mark.parametrize("data, message", [
    ({"leads": ["K0051", "M08"]}, r"column 'leads': .*must map customer ids to manager ids"),
    ({"leads": {"K0051": None}}, r"'K0051': None is not a pair of ids"),
    ({"leads": {"K0051": ["M08"]}}, r"is not a pair of ids"),
    ({"leads": {"K0051": "M08"}, "exclude": ["K0051"]},
     r"column 'leads.K0051'.*cannot be 'exclude' too"),
])
def test_malformed_leads_are_refused_with_the_key(data, message):
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_dict(data)


def test_unknown_or_unavailable_ids_name_the_key_and_what_was_expected(case):
    from kamopt.case.validate import check_against_scenario

    sc = Scenario(leads={"K0001": "M99", "K9999": "M01", "K0002": "M02"},
                  unavailable_managers=("M02",))
    with pytest.raises(CaseError) as err:
        check_against_scenario(case, sc)
    text = str(err.value)
    assert "column 'leads.K0001': got 'M99'; unknown manager; must be a manager_id" in text
    assert "column 'leads.K9999': got 'K9999'; unknown customer" in text
    assert "column 'leads.K0002': got 'M02'; is unavailable in this scenario" in text
    # a hire of the scenario may be a fixed lead
    check_against_scenario(case, Scenario(hires=(Hire(count=1, seniority=3),),
                                          leads={"K0001": "NEW1"}))


# --------------------------------------------------------------------- the plan
def test_a_fixed_lead_is_kept_and_costs_what_the_free_plan_gains(case, free):
    cid, j = _moved(case, free)
    p = plan(case, Scenario(name="keep", mip_gap=0.0, leads={cid: j}))
    assert p.accounts.at[cid, "key_account"] == 1
    assert p.accounts.at[cid, "manager_id"] == j
    assert_plan_sound(p)
    assert p.objective <= free.objective + 1e-6  # a restriction never earns more
    why = explain(p).at[cid, "why"]
    assert "with its lead manager fixed by the user" in why and f"led by {j} (fixed" in why
    assert scenario_notes(case, p.scenario) == [
        f"Scenario 'keep' fixes the lead manager of 1 account: {cid} with {j}"]


def test_fixing_a_lead_makes_the_account_a_key_account_and_overrides_an_exclude():
    case = tiny_case([dict(customer_id="A", revenue=1000, margin=0.2, potential=0, kam_hours=100,
                           status="exclude"),
                      dict(customer_id="B", revenue=0, margin=0.3, potential=2e6, kam_hours=100)],
                     [dict(manager_id="M1", capacity_hours=400, hourly_cost=100),
                      dict(manager_id="M2", capacity_hours=400, hourly_cost=100)])
    sc = Scenario(name="keep", mip_gap=0.0, leads={"A": "M2"})
    p = plan(case, sc)
    assert p.accounts.loc["A", ["key_account", "manager_id"]].tolist() == [1, "M2"]
    assert p.objective == pytest.approx(brute_force(case, sc))
    assert override_notes(case, sc) == [
        "Scenario 'keep' overrides the case: A is 'must' (led by M2, fixed) in the scenario, "
        "'exclude' in customers.csv"]


def test_verify_refuses_a_plan_that_moves_a_fixed_lead(case, free):
    cid, j = _moved(case, free)
    sc = Scenario(mip_gap=0.0, leads={cid: j})
    p = plan(case, sc)
    acc = p.accounts.copy()
    acc.at[cid, "manager_id"] = free.accounts.at[cid, "manager_id"]
    problems = verify_plan(acc, case, sc, p.objective)
    assert f"{cid} is led by {acc.at[cid, 'manager_id']}, but the scenario fixes its lead to {j}" \
        in problems
    p.accounts = acc
    with pytest.raises(VerificationError):
        p.verify()


def test_a_fixed_lead_of_too_little_seniority_is_explained():
    case = tiny_case([dict(customer_id="A", revenue=1e6, margin=0.2, potential=0, kam_hours=100,
                           tier=3)],
                     [dict(manager_id="M1", seniority=3, capacity_hours=400),
                      dict(manager_id="M2", seniority=1, capacity_hours=400)])
    with pytest.raises(InfeasibleError, match=r"the scenario fixes M2 as the lead manager of A "
                       r"\(tier 3\), but M2's seniority is 1; a lead manager needs seniority >= 3"):
        plan(case, Scenario(leads={"A": "M2"}))


def test_fixed_leads_beyond_a_managers_hours_are_explained_with_the_shortfall():
    case = tiny_case([dict(customer_id=c, revenue=1e6, margin=0.2, potential=0, kam_hours=100)
                      for c in "ABC"],
                     [dict(manager_id="M1", capacity_hours=120),
                      dict(manager_id="M2", capacity_hours=400)])
    # the lightest level is half the standard hours: 50 h each
    with pytest.raises(InfeasibleError, match=r"the 3 accounts whose lead the scenario fixes to M1 "
                       r"need at least 150 h at the lightest level; M1 has 120 h \(short by 30\)"):
        plan(case, Scenario(leads={c: "M1" for c in "ABC"}))
    with pytest.raises(InfeasibleError, match=r"A, whose lead the scenario fixes to M1, needs at "
                       r"least 50 h"):
        plan(case, Scenario(capacity_scale=0.25, leads={"A": "M1"}))
    assert plan(case, Scenario(leads={"A": "M1", "B": "M1"})).status == "optimal"


def test_the_scenario_explorer_session_keeps_fixed_leads_like_plan(case, free):
    from kamopt.analysis.session import PlanSession, explorer_scenario

    session = PlanSession(case)
    session.solve(explorer_scenario(mip_gap=0.0))
    cid, j = _moved(case, free)
    sc = explorer_scenario(mip_gap=0.0, leads={cid: j})
    p = session.solve(sc)
    assert not session.info["rebuilt"]  # bounds on the model in the solver, not a new model
    assert p.accounts.at[cid, "manager_id"] == j
    assert p.objective == pytest.approx(plan(case, sc).objective, rel=1e-9)
    assert_plan_sound(p)


def test_the_midterm_plan_keeps_a_fixed_lead_in_every_year(case, free):
    from kamopt.case.assumptions import MidtermAssumptions
    from kamopt.planning.midterm import plan_midterm

    cid, j = _moved(case, free)
    mp = plan_midterm(case, Scenario(mip_gap=0.0, time_limit=60, leads={cid: j}),
                      assumptions=MidtermAssumptions(years=2, handover_hours=20), targets=None)
    rows = mp.accounts[mp.accounts["customer_id"] == cid]
    assert len(rows) == 2
    assert rows["key_account"].tolist() == [1, 1] and rows["manager_id"].tolist() == [j, j]


# ------------------------------------------------------------- the command line
def test_the_command_line_plans_with_fixed_leads_and_refuses_bad_ones(case, free, tmp_path, capsys):
    folder = save_case(case, tmp_path / "case")
    cid, j = _moved(case, free)
    good = tmp_path / "keep.yml"
    good.write_text(f"name: keep\nmip_gap: 0.01\nleads:\n  {cid}: {j}\n")
    assert main(["plan", str(folder), "--scenario", str(good), "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert f"Scenario 'keep' fixes the lead manager of 1 account: {cid} with {j}" in out
    bad = tmp_path / "bad.yml"
    bad.write_text(f"leads:\n  {cid}: M77\n")
    assert main(["plan", str(folder), "--scenario", str(bad), "--out", str(tmp_path / "b")]) == 2
    assert "column 'leads." + cid + "': got 'M77'; unknown manager" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()
    weak = case.managers.index[case.managers["seniority"] == 1]
    tier3 = case.customers.index[case.customers["tier"] == 3]
    if len(weak) and len(tier3):
        bad.write_text(f"leads:\n  {tier3[0]}: {weak[0]}\n")
        assert main(["plan", str(folder), "--scenario", str(bad), "--out", str(tmp_path / "c")]) == 3
        assert "a lead manager needs seniority >= 3" in capsys.readouterr().err
        assert not (tmp_path / "c").exists()



# ------------------------------------------------------ lead managers ruled out
def test_excluded_leads_are_read_from_yaml_data_and_written_back():
    s = Scenario.from_dict({"excluded_leads": {"K1": ["M1", "M2"], "K2": "M1", 7: 12}})
    assert s.excluded_leads == (("K1", "M1"), ("K1", "M2"), ("K2", "M1"), ("7", "12"))
    assert s.excluded_lead_of == {"K1": ("M1", "M2"), "K2": ("M1",), "7": ("12",)}
    assert Scenario.from_dict(s.to_dict()) == s
    assert Scenario(excluded_leads={"K1": ["M1"]}).excluded_leads == (("K1", "M1"),)
    with pytest.raises(ScenarioError, match=r"column 'excluded_leads': .*must map customer ids"):
        Scenario.from_dict({"excluded_leads": ["K1", "M1"]})
    with pytest.raises(ScenarioError, match=r"column 'excluded_leads.K1': got 'M1'; is the "
                       r"account's fixed lead \(leads:\); a manager cannot be both"):
        Scenario.from_dict({"leads": {"K1": "M1"}, "excluded_leads": {"K1": "M1"}})


def test_a_ruled_out_manager_never_leads_the_account(case, free):
    ka = free.accounts[free.accounts["key_account"] == 1]
    ruled = {cid: [ka.at[cid, "manager_id"]] for cid in ka.index[:3]}
    sc = Scenario(name="new_contact", mip_gap=0.0, excluded_leads=ruled)
    p = plan(case, sc)
    assert_plan_sound(p)
    for cid, (j,) in ruled.items():
        assert p.accounts.at[cid, "manager_id"] != j
    assert p.objective <= free.objective + 1e-6
    line = scenario_notes(case, sc)[0]
    assert line.startswith("Scenario 'new_contact' rules out lead managers of 3 accounts: ")
    # verify refuses a plan that uses a ruled-out pair
    acc = p.accounts.copy()
    cid = next(iter(ruled))
    acc.at[cid, "key_account"], acc.at[cid, "manager_id"] = 1, ruled[cid][0]
    assert (f"{cid} is led by {ruled[cid][0]}, whom the scenario rules out as its lead"
            in verify_plan(acc, case, sc, p.objective))


def test_ruling_out_every_eligible_manager_of_a_must_account_is_explained():
    case = tiny_case([dict(customer_id="A", revenue=1e6, margin=0.2, potential=0, kam_hours=100,
                           tier=2, status="must")],
                     [dict(manager_id="M1", seniority=3, capacity_hours=400),
                      dict(manager_id="M2", seniority=2, capacity_hours=400),
                      dict(manager_id="M3", seniority=1, capacity_hours=400)])
    with pytest.raises(InfeasibleError, match=r"'must' account A \(tier 2\) has no lead manager "
                       r"left: the scenario rules out M1, M2 \(excluded_leads\), and no other "
                       r"available manager has seniority >= 2"):
        plan(case, Scenario(excluded_leads={"A": ["M1", "M2"]}))
    p = plan(case, Scenario(mip_gap=0.0, excluded_leads={"A": ["M1"]}))
    assert p.accounts.at["A", "manager_id"] == "M2"


def test_an_account_without_a_manager_left_says_why(case, free):
    from kamopt.analysis.explain import explain

    ka = free.accounts[free.accounts["key_account"] == 1]
    cid = ka.index[0]
    tier = case.customers.at[cid, "tier"]
    eligible = list(case.managers.index[case.managers["seniority"] >= tier])
    p = plan(case, Scenario(mip_gap=0.0, excluded_leads={cid: eligible}))
    assert p.accounts.at[cid, "key_account"] == 0
    assert explain(p).at[cid, "why"].endswith(
        f"and is not ruled out by the scenario (excluded_leads: {', '.join(eligible)})")


def test_the_session_and_the_command_line_rule_out_leads(case, free, tmp_path, capsys):
    from kamopt.analysis.session import PlanSession, explorer_scenario

    ka = free.accounts[free.accounts["key_account"] == 1]
    cid, j = ka.index[1], ka.iloc[1]["manager_id"]
    session = PlanSession(case)
    session.solve(explorer_scenario(mip_gap=0.0))
    sc = explorer_scenario(mip_gap=0.0, excluded_leads={cid: [j]})
    p = session.solve(sc)
    assert not session.info["rebuilt"] and p.accounts.at[cid, "manager_id"] != j
    assert p.objective == pytest.approx(plan(case, sc).objective, rel=1e-9)
    folder = save_case(case, tmp_path / "case")
    bad = tmp_path / "bad.yml"
    bad.write_text(f"excluded_leads:\n  {cid}: [{j}, M77]\n")
    assert main(["plan", str(folder), "--scenario", str(bad), "--out", str(tmp_path / "b")]) == 2
    assert f"column 'excluded_leads.{cid}': got 'M77'; unknown manager" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("search", [False, True])
def test_a_fixed_lead_holds_while_its_manager_has_hours(case, free, search, monkeypatch):
    """M leaves after the first year (capacity_by_year 0): the account is led by M in 2027 and
    stays a key account, led by whoever the plan picks, in 2028; the neighbourhood search
    (forced on) keeps the fix too, and the plan's notes say when it lapses."""
    import pandas as pd

    import kamopt.solve.midterm as strategy
    from kamopt.case.assumptions import MidtermAssumptions
    from kamopt.model.midterm import lapsed_leads
    from kamopt.planning.midterm import plan_midterm
    from kamopt.planning.midterm_outputs import midterm_notes

    if search:
        monkeypatch.setattr(strategy, "LNS_MIN_INTEGERS", 0)
    cid, j = _moved(case, free)
    leaves = pd.DataFrame({"manager_id": [j], "year": [2028], "capacity_hours": [0.0]})
    sc = Scenario(name="keep", mip_gap=0.0, time_limit=60, leads={cid: j})
    a = MidtermAssumptions(years=2, start_year=2027, handover_hours=20)
    assert lapsed_leads(case, sc, leaves, [2027, 2028]) == {cid: (j, [2028])}
    mp = plan_midterm(case, sc, assumptions=a, targets=None, capacity_by_year=leaves)
    rows = mp.accounts[mp.accounts["customer_id"] == cid].set_index("year")
    assert rows["key_account"].tolist() == [1, 1]
    assert rows.at[2027, "manager_id"] == j and rows.at[2028, "manager_id"] not in ("", j)
    assert f"{cid}'s fixed lead {j} has no hours in 2028: there {cid} stays a key account" \
        in " ".join(midterm_notes(mp))
    mp.verify()  # the fixed lead in 2027, free in 2028, every other rule
    # every column of the plan within its bounds (the search frees columns to their own bounds)
    arr, v = mp.model.lp.arrays(), mp.solution.values
    assert (v <= arr["ub"] + 1e-9).all() and (v >= arr["lb"] - 1e-9).all()


# ------------------------------------------------------- what fixed leads cost
def test_what_each_fixed_lead_costs_agrees_with_brute_force():
    from kamopt.analysis.sensitivity import lead_costs

    customers = [dict(customer_id=c, revenue=1e5, margin=0.3, potential=p, kam_hours=100,
                      industry=ind) for c, p, ind in (("A", 1e6, "Auto"), ("B", 8e5, "Chemie"),
                                                       ("C", 3e5, "Auto"))]
    managers = [dict(manager_id="M1", capacity_hours=150, hourly_cost=50, industries="Auto"),
                dict(manager_id="M2", capacity_hours=150, hourly_cost=80, industries="Chemie")]
    case = tiny_case(customers, managers)
    sc = Scenario(name="keep", mip_gap=0.0, leads={"A": "M2", "B": "M1"})
    lc = lead_costs(case, sc)
    with_all = brute_force(case, sc)
    assert lc.plan.objective == pytest.approx(with_all)
    expect = {"all": brute_force(case, sc.replace(leads=())),
              "A": brute_force(case, sc.replace(leads={"B": "M1"})),
              "B": brute_force(case, sc.replace(leads={"A": "M2"}))}
    for r in lc.table.itertuples(index=False):
        assert r.cost == pytest.approx(expect[r.without] - with_all, abs=1e-6)
        assert r.cost_low <= r.cost + 1e-6 <= r.cost_high + 2e-6
    assert lc.table.set_index("without").loc["all", "proven"]  # the wrong industries cost
    text = lc.summary_text()
    assert text.startswith("What the fixed lead managers of scenario 'keep' cost")
    assert "without any of them:" in text and "without A with M2:" in text


def test_lead_costs_from_the_command_line(case, free, tmp_path, capsys):
    folder = save_case(case, tmp_path / "case")
    cid, j = _moved(case, free)
    sc = tmp_path / "keep.yml"
    sc.write_text(f"name: keep\nleads:\n  {cid}: {j}\n")
    assert main(["lead-costs", str(folder), "--scenario", str(sc), "--mip-gap", "0"]) == 0
    out = capsys.readouterr().out
    assert "with the fixed lead:" in out and "without any of them:" in out
    sc.write_text("name: none\n")
    assert main(["lead-costs", str(folder), "--scenario", str(sc)]) == 2
    assert "fixes no lead manager" in capsys.readouterr().err


@pytest.mark.parametrize("commit", [False, True])
def test_the_one_year_start_keeps_a_fixed_lead_that_lapses(case, free, commit):
    """The mid-term plan's first start (the one-year plan repeated) puts a lapsing fixed lead's
    account with its manager while the manager has hours, at a level that fits a part-time
    year, with the activities the scenario commits, and the start keeps every constraint (it
    was dropped as invalid before)."""
    import pandas as pd

    from kamopt.case.assumptions import MidtermAssumptions, load_capacity_by_year, load_targets
    from kamopt.model.midterm import build_midterm
    from kamopt.planning.midterm_starts import _start_from_one_year
    from kamopt.solve.midterm import _best_start

    ka = free.accounts[(free.accounts["key_account"] == 1) & (free.accounts["level"] != "light")]
    cid = ka.index[0]
    fits = case.managers["seniority"] >= case.customers.at[cid, "tier"]
    j = case.managers.index[fits & (case.managers.index != ka.at[cid, "manager_id"])][0]
    k = case.activities["kam_hours"].idxmax()
    sc = Scenario(name="keep", mip_gap=0.01, time_limit=20, leads={cid: j},
                  committed_activities={cid: [k]} if commit else {})
    a = MidtermAssumptions(years=3, start_year=2027, handover_hours=20)
    none = load_targets(case)  # the generated case has no targets
    opts = build_midterm(case, sc, a, 1, none, load_capacity_by_year(case)).data.options
    hours = opts.loc[opts["customer_id"] == cid, "hours"].sort_values()
    # the lightest level, the committed activity and a handover fit, no heavier level
    part_time = float(hours.iloc[0]) + 21.0 + (case.activities.at[k, "kam_hours"] if commit
                                               else 0.0)
    cby = pd.DataFrame({"manager_id": [j, j], "year": [2028, 2029],
                        "capacity_hours": [part_time, 0.0]})
    mm = build_midterm(case, sc, a, 3, none, cby)
    assert mm._builder.lapsed == {cid: (j, [2029])}
    x = _start_from_one_year(case, sc, a, none, cby, mm)
    assert _best_start(mm, [x]) is not None
    b = mm._builder
    lead = b.xl[x[b.x] > 0.5].set_index(["customer_id", "year"])["manager_id"]
    assert lead[(cid, 2027)] == j and lead[(cid, 2028)] == j and lead[(cid, 2029)] != j
    if commit:
        runs = b.al[x[b.a_] > 0.5]
        assert set(runs.loc[runs["customer_id"] == cid, "year"]) == {2027, 2028, 2029}
