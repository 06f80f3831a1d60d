"""The mid-term plan (kamopt.planning.midterm): brute force on tiny cases, T = 1 against the one-year
plan, invariants, inputs and their errors, outputs and the command line."""

from __future__ import annotations

import itertools
import json
import math
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import kamopt
from kamopt.case.assumptions import (
    HireProfile,
    MidtermAssumptions,
    load_capacity_by_year,
    load_targets,
    parse_capacity_by_year,
    parse_targets,
)
from kamopt.case.sample import make_case
from kamopt.case.scenario import Level, Scenario
from kamopt.errors import CaseError, InfeasibleError, ScenarioError
from kamopt.planning.midterm import plan_midterm
from kamopt.planning.midterm_outputs import (
    by_year,
    compare,
    explain_targets,
    price_of_targets,
    target_table,
)
from kamopt.present.midterm_chart import intake_chart
from kamopt.testing import tiny_case

NO_TARGETS = pd.DataFrame({"year": [], "scope": [], "order_intake": []})
NO_CAPACITY = pd.DataFrame({"manager_id": [], "year": [], "capacity_hours": []})
EXACT = Scenario(mip_gap=0.0, time_limit=60)


# ------------------------------------------------------------------ tiny cases
def random_case(rng, n_customers=2, n_managers=2, activity=True):
    customers = []
    for k in range(n_customers):
        customers.append({
            "customer_id": f"K{k + 1}", "name": f"Kunde {k + 1}",
            "region": ["Süd", "Nord"][k % 2], "industry": ["Chemie", "Bau"][int(rng.integers(2))],
            "revenue": float(rng.integers(2, 30)) * 1e5, "margin": float(rng.uniform(0.15, 0.4)),
            "potential": float(rng.integers(1, 20)) * 1e5,
            "kam_hours": float(rng.integers(4, 16)) * 10, "tier": int(rng.integers(1, 3)),
            "current_manager": "" if rng.random() < 0.5 else f"M{int(rng.integers(n_managers)) + 1}",
        })
    managers = [{"manager_id": f"M{j + 1}", "industries": "Chemie" if j == 0 else "Bau",
                 "seniority": int(rng.integers(1, 3)),
                 "capacity_hours": float(rng.integers(6, 25)) * 10,
                 "hourly_cost": float(rng.integers(60, 140))} for j in range(n_managers)]
    acts = deps = None
    if activity:
        acts = [{"activity_id": "A1", "name": "EDI", "kind": "integration", "cost": 2000.0,
                 "kam_hours": 10.0, "uplift": 0.08, "department": "IT", "dept_hours": 30.0}]
        deps = [{"department": "IT", "capacity_hours": 40.0}]
    return tiny_case(customers, managers, activities=acts, departments=deps)


TWO_LEVELS = Scenario(levels=(Level("light", 0.5, 0.6), Level("standard", 1.0, 1.0)),
                      mip_gap=0.0, time_limit=60)


def brute_force(case, scenario, a, years, targets=NO_TARGETS, capacity=NO_CAPACITY):
    """The best plan by enumeration, from the documented economics (not from the model)."""
    c, m = case.customers, case.managers
    acts = case.activities
    hires = [(f"HIRE-{h.name}-{k}", h) for h in a.hire_profiles for k in range(1, h.max_hires + 1)]
    mgr = {j: dict(seniority=r.seniority, rate=r.hourly_cost, industries=r.industries,
                   cap=r.capacity_hours) for j, r in m.iterrows()}
    for j, h in hires:
        mgr[j] = dict(seniority=h.seniority, rate=h.hourly_cost, industries=h.industries,
                      cap=h.capacity_hours)
    c0, c1 = a.churn_without_kam, a.churn_with_kam
    alpha, delta = scenario.realization, scenario.industry_fit
    levels = scenario.levels
    act_ids = list(acts.index)
    capt = {(r.manager_id, int(r.year)): float(r.capacity_hours) for r in capacity.itertuples()}

    fixed_level, committed = scenario.coverage_of, scenario.committed_of

    def options(cid):
        out = [] if cid in scenario.fixed_accounts else [None]
        for lv in levels:
            if fixed_level.get(cid, lv.name) != lv.name:
                continue
            for j in mgr:
                if mgr[j]["seniority"] < c.at[cid, "tier"]:
                    continue
                for n in range(len(act_ids) + 1):
                    for sub in itertools.combinations(act_ids, n):
                        if set(committed.get(cid, ())) <= set(sub):
                            out.append((lv, j, sub))
        return out

    per_year = list(itertools.product(*[options(cid) for cid in c.index]))
    cust = c.to_dict("index")
    actd = acts.to_dict("index")
    depd = deps_capacity = {d: r["capacity_hours"] for d, r in case.departments.iterrows()}
    tg = [(int(r.year), r.scope, r.order_intake) for r in targets.itertuples()]
    del deps_capacity
    hire_plans = list(itertools.product(*[[None, *range(years)] for _ in hires]))
    best = -math.inf
    for hp in hire_plans:
        hired = {j: t for (j, _), t in zip(hires, hp, strict=True) if t is not None}
        for plan in itertools.product(per_year, repeat=years):
            obj = evaluate(plan, hired, cust, mgr, actd, a, scenario, years, tg, capt,
                           depd, dict(hires), c0, c1, alpha, delta)
            if obj is not None and obj > best:
                best = obj
    return best


def evaluate(plan, hired, cust, mgr, acts, a, sc, years, targets, capt, deps, hires, c0, c1,
             alpha, delta):
    """The objective of one plan (None if it breaks a requirement)."""
    ids = list(cust)
    served = dict.fromkeys(ids, 0)
    prev = {cid: (cust[cid]["current_manager"] or None) for cid in ids}
    total = 0.0
    for t in range(years):
        y = a.start_year + t
        disc = 1 / (1 + a.discount_rate) ** t
        hours = dict.fromkeys(mgr, 0.0)
        dep = dict.fromkeys(deps, 0.0)
        net = 0.0
        intake = {}
        for cid, choice in zip(ids, plan[t], strict=True):
            row = cust[cid]
            if row["status"] == "must" and choice is None:
                return None
            now = None
            pot = 0.0
            if choice is not None:
                served[cid] += 1
                lv, j, sub = choice
                now = j
                k = min(served[cid], len(a.ramp))
                h = lv.hours_factor * row["kam_hours"] + (a.handover_hours if prev[cid] != j else 0)
                pot = alpha * lv.realization_factor * row["potential"] * a.ramp[k - 1]
                if row["industry"] in mgr[j]["industries"]:
                    pot += alpha * delta * row["potential"]
                cost = 0.0
                for act in sub:
                    ad = acts[act]
                    h += ad["kam_hours"]
                    pot += ad["uplift"] * row["potential"]
                    cost += ad["cost"]
                    dep[ad["department"]] += ad["dept_hours"]
                hours[j] += h
                net -= cost + mgr[j]["rate"] * h
                if row["current_manager"] == j:
                    net += sc.continuity_bonus
            keep = (c0 - c1) * row["revenue"] * (1 - c0) ** t * served[cid]
            net += row["margin"] * (keep + pot)
            intake[cid] = row["revenue"] * (1 - c0) ** (t + 1) + keep + pot
            prev[cid] = now
        for j, used in hours.items():
            if j in hires:
                cap = (0.0 if j not in hired or hired[j] > t else
                       mgr[j]["cap"] * (hires[j].ramp_up if hired[j] == t else 1.0))
            else:
                cap = capt.get((j, y), mgr[j]["cap"])
            if used > cap + 1e-6:
                return None
        for d, used in dep.items():
            if used > deps[d] + 1e-6:
                return None
        net -= sum(hires[j].cost_per_year for j, th in hired.items() if th <= t)
        for year, scope, amount in targets:
            if year != y:
                continue
            kind, _, name = scope.partition(":")
            got = sum(intake[cid] for cid in ids if scope == "company" or cust[cid][kind] == name)
            short = max(amount - got, 0.0)
            if a.target_mode == "hard" and short > 1e-6:
                return None
            net -= a.shortfall_penalty * short
        total += disc * net
    return total


HIRE = HireProfile(name="jr", seniority=2, capacity_hours=150, cost_per_year=9000, hourly_cost=40,
                   ramp_up=0.5, industries=("Bau",), max_hires=1)


@pytest.mark.parametrize("seed", range(6))
def test_brute_force_two_years(seed):
    rng = np.random.default_rng(seed)
    case = random_case(rng, n_customers=2, n_managers=1, activity=seed % 2 == 0)
    a = MidtermAssumptions(ramp=(0.4, 1.0), churn_without_kam=0.1, churn_with_kam=0.02,
                           discount_rate=0.1, handover_hours=float(rng.integers(0, 3)) * 20,
                           hire_profiles=(HIRE,) if seed % 3 != 2 else (), target_mode="soft",
                           shortfall_penalty=0.4, start_year=2027)
    total = case.customers["revenue"].sum()
    targets = pd.DataFrame({"year": [2027, 2028], "scope": ["company", "region:Süd"],
                            "order_intake": [total * 0.95, total * 0.6]})
    mp = plan_midterm(case, TWO_LEVELS, 2, targets, assumptions=a, capacity_by_year=NO_CAPACITY)
    best = brute_force(case, TWO_LEVELS, a.replace(years=2), 2, targets)
    mp.verify()
    assert mp.status == "optimal"
    assert mp.objective == pytest.approx(best, rel=1e-6, abs=1e-3)
    assert mp.kpis["solver_objective"] == pytest.approx(mp.objective, rel=1e-6, abs=1e-3)


@pytest.mark.parametrize("seed", range(4))
def test_brute_force_with_a_fixed_level_and_a_committed_activity(seed):
    """coverage and committed_activities hold in every year: the optimum equals enumeration."""
    rng = np.random.default_rng(200 + seed)
    case = random_case(rng, n_customers=2, n_managers=1, activity=True)
    a = MidtermAssumptions(ramp=(0.5, 1.0), handover_hours=20, start_year=2027)
    sc = TWO_LEVELS.replace(coverage={"K1": ["light", "standard"][seed % 2]},
                            committed_activities={"K2": ["A1"]} if seed < 2 else {})
    best = brute_force(case, sc, a.replace(years=2), 2)
    if best == -math.inf:
        with pytest.raises(InfeasibleError):
            plan_midterm(case, sc, 2, NO_TARGETS, assumptions=a, capacity_by_year=NO_CAPACITY)
        return
    mp = plan_midterm(case, sc, 2, NO_TARGETS, assumptions=a, capacity_by_year=NO_CAPACITY)
    assert mp.objective == pytest.approx(best, rel=1e-6, abs=1e-3)
    k1 = mp.accounts[mp.accounts["customer_id"] == "K1"]
    assert (k1["level"] == sc.coverage_of["K1"]).all()
    mp.verify()


@pytest.mark.parametrize("seed", range(3))
def test_brute_force_three_years_with_a_leaver_and_hard_target(seed):
    rng = np.random.default_rng(100 + seed)
    case = random_case(rng, n_customers=2, n_managers=1, activity=False)
    a = MidtermAssumptions(ramp=(0.4, 0.75, 1.0), handover_hours=20, hire_profiles=(HIRE,),
                           target_mode="hard", start_year=2030)
    cap = pd.DataFrame({"manager_id": ["M1"], "year": [2032], "capacity_hours": [0.0]})
    base = (case.customers["revenue"] * 0.92 ** 3).sum()
    targets = pd.DataFrame({"year": [2032], "scope": ["company"], "order_intake": [base * 1.001]})
    best = brute_force(case, TWO_LEVELS, a, 3, targets, cap)
    if best == -math.inf:
        with pytest.raises(InfeasibleError):
            plan_midterm(case, TWO_LEVELS, 3, targets, assumptions=a, capacity_by_year=cap)
        return
    mp = plan_midterm(case, TWO_LEVELS, 3, targets, assumptions=a, capacity_by_year=cap)
    assert mp.objective == pytest.approx(best, rel=1e-6, abs=1e-3)
    assert bool(mp.targets["met"].all())
    # M1 leaves in 2032: leads nothing that year
    assert not (mp.accounts.query("year == 2032")["manager_id"] == "M1").any()


# ------------------------------------------------------- T = 1 is the one-year plan
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_year_equals_the_one_year_plan(seed):
    case = make_case(customers=25, managers=4, seed=seed)
    sc = Scenario(mip_gap=0.0, time_limit=60, continuity_bonus=500.0)
    one = kamopt.plan(case, sc)
    mp = plan_midterm(case, sc, 1, NO_TARGETS, assumptions=MidtermAssumptions.neutral(sc),
                      capacity_by_year=NO_CAPACITY)
    assert mp.status == "optimal"
    assert mp.objective == pytest.approx(one.objective, rel=1e-6)
    assert mp.years.loc[2027, "key_accounts"] == one.kpis["key_accounts"]


# ------------------------------------------------------------------ invariants
@pytest.fixture(scope="module")
def small_plan():
    case = make_case(customers=16, managers=4, seed=11)
    a = MidtermAssumptions(hire_profiles=(HireProfile(name="sr", seniority=3, capacity_hours=800,
                                                      cost_per_year=30000, max_hires=2),),
                           target_mode="hard")
    first = case.managers.index[2]
    cap = pd.DataFrame({"manager_id": [first, first], "year": [2028, 2029],
                        "capacity_hours": [100.0, 0.0]})
    total = (case.customers["revenue"] * 0.92 ** 3).sum()
    targets = pd.DataFrame({"year": [2029], "scope": ["company"], "order_intake": [total * 1.02]})
    sc = Scenario(mip_gap=0.002, time_limit=20)
    return plan_midterm(case, sc, 3, targets, assumptions=a, capacity_by_year=cap), cap


def test_invariants(small_plan):
    mp, cap = small_plan
    acc = mp.accounts
    ka = acc[acc["key_account"] == 1]
    # one lead manager per key account and year, none for the others
    assert (ka["manager_id"] != "").all()
    assert (acc.loc[acc["key_account"] == 0, "manager_id"] == "").all()
    assert not acc.duplicated(["year", "customer_id"]).any()
    # capacity per manager and year never exceeded (hours recomputed from the accounts)
    used = ka.groupby(["manager_id", "year"])["hours"].sum()
    capacity = mp.managers.set_index(["manager_id", "year"])["capacity"]
    assert (used <= capacity.reindex(used.index) + 1e-6).all()
    for r in cap.itertuples():
        assert used.get((r.manager_id, r.year), 0.0) <= r.capacity_hours + 1e-6
    # hires lead accounts only from the year they are hired
    hired = dict(zip(mp.hires["manager_id"], mp.hires["year"], strict=True))
    by_hire = ka[ka["manager_id"].str.startswith("HIRE-")]
    for r in by_hire.itertuples():
        assert r.manager_id in hired and r.year >= hired[r.manager_id]
    # hard targets are met
    assert bool(mp.targets["met"].all())
    assert (mp.years["intake"] >= mp.years["target"].fillna(0) - 1e-6).all()
    # ramp: service years count up while an account stays a key account
    k = ka.sort_values("year").groupby("customer_id")["service_year"]
    assert (k.diff().dropna() >= 1).all()
    # changes agree with the relationships
    rel = mp.relationships()
    for r in mp.changes.itertuples():
        assert rel.at[r.customer_id, r.year] == r.to_manager
    # the per-year figures add up to the NPV
    assert mp.kpis["npv"] == pytest.approx((mp.years["net"] * mp.years["discount"]).sum())
    mp.verify()  # and every rule, re-checked from the decisions


def test_verify_finds_a_plan_that_breaks_a_rule(small_plan):
    import dataclasses

    from kamopt.errors import VerificationError
    from kamopt.planning.midterm import verify_midterm

    mp, _ = small_plan
    acc = mp.accounts.copy()
    ka = acc.index[acc["key_account"] == 1]
    acc.loc[ka[0], "hours"] += 25.0  # hours the decisions do not give
    acc.loc[ka[1], ["key_account", "level", "manager_id", "activities"]] = [0, "", "", ""]
    bad = dataclasses.replace(mp, accounts=acc, scenario=mp.scenario.replace(
        must=(acc.at[ka[1], "customer_id"],)))
    problems = verify_midterm(bad)
    year, cid = acc.at[ka[1], "year"], acc.at[ka[1], "customer_id"]
    assert f"in {year}, {cid} is 'must' but not a key account" in problems
    assert any(f"{acc.at[ka[0], 'customer_id']}'s hours are" in p for p in problems)
    with pytest.raises(VerificationError):
        bad.verify()


def test_a_plan_pays_no_handover_where_an_account_keeps_its_manager(mid_model):
    """learn is only bounded from below: a plan stopped early could pay handover hours every
    year (seen on the sample); they are lowered to what the changes of hands need."""
    import dataclasses

    from kamopt.planning.midterm import _tidy_handover
    from kamopt.solve.backend import Solution
    from kamopt.solve.midterm_search import round_lp

    mm, lp = mid_model
    start = round_lp(mm, lp.values)
    b = mm._builder
    padded = start.copy()
    padded[b.learn] = np.maximum(padded[b.learn], padded[b.x])  # a handover in every year led
    obj = mm.lp.arrays()["obj"]
    sol = Solution("feasible", float(obj @ padded), lp.objective, None, 1.0, "highs", padded)
    tidy = _tidy_handover(mm, sol, 0.01)
    assert tidy.objective > sol.objective
    assert tidy.objective == pytest.approx(float(obj @ start))
    assert np.allclose(tidy.values[b.learn], start[b.learn])
    same = _tidy_handover(mm, dataclasses.replace(sol, values=start,
                                                  objective=float(obj @ start)), 0.01)
    assert same.objective == pytest.approx(float(obj @ start))


def test_excel_and_chart(small_plan, tmp_path):
    mp, _ = small_plan
    mp.to_excel(tmp_path / "m.xlsx")
    sheets = pd.read_excel(tmp_path / "m.xlsx", sheet_name=None)
    assert {"Summary", "Years", "Targets", "Hires", "Changes", "Lead manager by year",
            "Accounts", "Technical"} <= set(sheets)
    assert len(sheets["Accounts"]) == len(mp.accounts)
    fig = intake_chart(mp)
    assert fig.axes[0].get_title().startswith("Expected order intake")
    assert not any(t.get_text().startswith("Other targets") for t in fig.axes[0].texts)
    # a regional target is not on the company's bars: it is said below them
    regional = SimpleNamespace(**{k: getattr(mp, k) for k in ("years", "scenario", "kpis", "status")})
    regional.targets = pd.concat([mp.targets, pd.DataFrame([{
        "year": 2029, "scope": "region:Süd", "order_intake": 50e6, "intake": 48.5e6,
        "shortfall": 1.5e6, "met": False}])], ignore_index=True)
    texts = [t.get_text() for t in intake_chart(regional).axes[0].texts]
    assert "Other targets: region Süd 2029: 48.5 M€ against 50.0 M€, short by 1.5 M€" in texts


def test_reader_tables(small_plan):
    mp, _ = small_plan
    t = by_year(mp)
    assert list(t.index) == [2027, 2028, 2029]
    assert (t["key accounts"] == mp.years["key_accounts"]).all()
    assert t["intake (M EUR)"].to_numpy() * 1e6 == pytest.approx(mp.years["intake"].to_numpy())
    c = compare({"a": mp, "b": mp})
    assert c.loc["NPV (M EUR)", "a"] == pytest.approx(mp.kpis["npv"] / 1e6)
    assert c.loc["hires", "b"] == len(mp.hires)
    tt = target_table(mp)
    assert list(tt.columns) == ["year", "scope", "target (M EUR)", "intake (M EUR)",
                                "shortfall (M EUR)", "met"]
    assert len(tt) == len(mp.targets)
    assert tt["target (M EUR)"].to_numpy() * 1e6 == pytest.approx(
        mp.targets["order_intake"].to_numpy())
    assert list(tt["met"]) == ["yes" if m else "no" for m in mp.targets["met"]]


def test_relaxing_the_target_never_lowers_the_npv(small_plan):
    """Re-planned without the target's penalty from the hard plan: never worse, and the
    hard plan secures at least the target's intake."""
    mp, cap = small_plan
    soft = plan_midterm(mp.case, mp.scenario, 3, mp.targets[["year", "scope", "order_intake"]],
                        assumptions=mp.assumptions.replace(target_mode="soft",
                                                           shortfall_penalty=0.0),
                        capacity_by_year=cap, warm_start=mp)
    assert soft.kpis["npv"] >= mp.kpis["npv"] - 1e-6 * abs(mp.kpis["npv"])
    assert mp.years.loc[2029, "intake"] >= mp.years.loc[2029, "target"] - 1e-6
    price = price_of_targets(mp, soft)
    assert list(price.index) == [2027, 2028, 2029, "NPV"]
    assert price.loc["NPV", "net contribution it costs (M EUR)"] == pytest.approx(
        (soft.kpis["npv"] - mp.kpis["npv"]) / 1e6)
    assert price.loc[2029, "order intake secured (M EUR)"] == pytest.approx(
        (mp.years.loc[2029, "intake"] - soft.years.loc[2029, "intake"]) / 1e6)
    text = explain_targets(mp, soft)
    assert "The target of 2029 is met" in text
    assert (f"{len(mp.hires)} key account manager" in text) == (len(mp.hires) > 0)


def _story_plans(npv_with, npv_without, gap_with, gap_without, intake_with, intake_without):
    """Two plans as explain_targets reads them: 2029's company target 310 M EUR."""
    years = pd.Index([2028, 2029], name="year")
    plan = lambda npv, gap, intake: SimpleNamespace(  # noqa: E731
        kpis={"npv": npv, "mip_gap": gap},
        years=pd.DataFrame({"intake": intake, "net": [npv / 2, npv / 2]}, index=years))
    mp = plan(npv_with, gap_with, intake_with)
    mp.targets = pd.DataFrame({"year": [2029], "scope": ["company"], "order_intake": [310e6],
                               "intake": [intake_with[1]],
                               "shortfall": [max(310e6 - intake_with[1], 0.0)],
                               "met": [intake_with[1] >= 310e6]})
    mp.hires = pd.DataFrame({"year": [2027, 2027], "profile": ["senior", "kam"],
                             "cost_per_year": [175e3, 130e3]})
    return mp, plan(npv_without, gap_without, intake_without)


def test_the_story_tells_the_price_of_the_targets_only_beyond_the_solvers_tolerance():
    # proven within 1%: 0.6 M EUR of NPV for 4 M EUR of 2029 intake is a price
    mp, ref = _story_plans(30.0e6, 30.6e6, 0.01, 0.01, [305e6, 309e6], [305e6, 305e6])
    text = explain_targets(mp, ref)
    assert "2029 is missed by 1.0 M EUR (0.3% of its 310.0 M EUR)" in text
    assert "2 key account managers (1 kam and 1 senior in 2027), 0.3 M EUR a year" in text
    assert "gains 0.6 M EUR of net present value and gives up 4.0 M EUR of order intake " \
           "in 2029: that is the price of the targets" in text
    # the same figures from plans proven only within 4%: 0.6 M EUR is within 1.2 M EUR of noise
    mp, ref = _story_plans(30.0e6, 30.6e6, 0.04, 0.01, [305e6, 309e6], [305e6, 305e6])
    assert "cannot be told apart from the solver's tolerance" in explain_targets(mp, ref)
    # without targets more intake and more NPV: the plan with targets is simply not good enough
    mp, ref = _story_plans(30.0e6, 30.6e6, 0.01, 0.01, [305e6, 309e6], [306e6, 310e6])
    text = explain_targets(mp, ref)
    assert "gives up no order intake in any year" in text and "that is the price" not in text


# ------------------------------------------------ the search (kamopt.solve.midterm_search)
@pytest.mark.parametrize("seed", [0, 1])
def test_brute_force_through_the_neighbourhood_search(seed, monkeypatch):
    """With the search forced on tiny cases, the optimum is still found and proven."""
    import kamopt.solve.midterm as mt

    monkeypatch.setattr(mt, "LNS_MIN_INTEGERS", 0)
    monkeypatch.setattr(mt, "MIDTERM_ROOT_CHECKS", 10**6)  # HiGHS's proof, its root unbounded
    rng = np.random.default_rng(seed)
    case = random_case(rng, n_customers=2, n_managers=2, activity=True)
    a = MidtermAssumptions(ramp=(0.4, 1.0), handover_hours=20, hire_profiles=(HIRE,),
                           shortfall_penalty=0.4, start_year=2027)
    total = case.customers["revenue"].sum()
    targets = pd.DataFrame({"year": [2028], "scope": ["company"], "order_intake": [total]})
    mp = plan_midterm(case, TWO_LEVELS, 2, targets, assumptions=a, capacity_by_year=NO_CAPACITY)
    best = brute_force(case, TWO_LEVELS, a.replace(years=2), 2, targets)
    mp.verify()
    assert mp.status == "optimal"
    assert mp.objective == pytest.approx(best, rel=1e-6, abs=1e-3)


@pytest.fixture(scope="module")
def mid_model():
    from kamopt.model.midterm import build_midterm
    from kamopt.solve.backend import solve

    case = make_case(customers=40, managers=6, seed=3)
    a = MidtermAssumptions(handover_hours=30, hire_profiles=(
        HireProfile(name="kam", seniority=2, capacity_hours=600, cost_per_year=40000,
                    max_hires=2),))
    total = (case.customers["revenue"] * 0.92 ** 3).sum()
    targets = pd.DataFrame({"year": [2029], "scope": ["company"], "order_intake": [total * 1.03]})
    mm = build_midterm(case, Scenario(), a, 3, parse_targets(targets.astype(str), case),
                       NO_CAPACITY)
    lp = solve(mm.lp, relax=True)
    assert lp.status == "optimal"
    return mm, lp


def _keeps_every_constraint(mm, x):
    arr = mm.lp.arrays()
    act = mm.lp.matrix() @ x
    tol = 1e-6 * (1 + np.abs(act))
    ints = arr["integer"]
    return (np.all(act >= arr["row_lo"] - tol) and np.all(act <= arr["row_hi"] + tol)
            and np.all(x >= arr["lb"] - 1e-9) and np.all(x <= arr["ub"] + 1e-9)
            and np.allclose(x[ints], np.round(x[ints]), atol=1e-6))


def _searched_plan(monkeypatch, node_limit=60):
    """A 3-year plan of 30 customers through every step of the solve (the search forced on,
    four neighbourhoods): LP, rounding, search, HiGHS stopped at its root's budget."""
    import kamopt.solve.midterm as mt

    monkeypatch.setattr(mt, "LNS_MIN_INTEGERS", 0)
    monkeypatch.setattr(mt, "neighbourhood_budget", lambda scenario: 4)
    monkeypatch.setattr(mt, "MIDTERM_ROOT_CHECKS", 12)
    case = make_case(customers=30, managers=5, seed=3)
    a = MidtermAssumptions(handover_hours=30, hire_profiles=(
        HireProfile(name="kam", seniority=2, capacity_hours=600, cost_per_year=40000,
                    max_hires=2),))
    total = (case.customers["revenue"] * 0.92 ** 3).sum()
    targets = pd.DataFrame({"year": [2029], "scope": ["company"], "order_intake": [total * 1.03]})
    return plan_midterm(case, Scenario(mip_gap=0.001, node_limit=node_limit), 3, targets,
                        assumptions=a, capacity_by_year=NO_CAPACITY)


def _same_plan(a, b) -> None:
    for table in ("accounts", "years", "targets", "hires", "changes", "managers"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))
    figures = lambda mp: {k: v for k, v in mp.kpis.items() if not k.endswith("_seconds")}  # noqa: E731
    assert figures(a) == figures(b)
    assert a.status == b.status


def test_the_same_question_gets_the_same_plan_on_a_quiet_and_on_a_busy_machine(monkeypatch):
    """Every step stops at a work budget, never at the clock: the same case, scenario and
    assumptions give the same plan (every table, every figure but the seconds), also with
    a CPU-burning process on each core beside the second solve."""
    import os
    import subprocess
    import sys

    quiet = _searched_plan(monkeypatch)
    assert quiet.kpis["stopped_by"] == "nodes"  # a work budget decided, not the gap
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(os.cpu_count() or 2)]
    try:
        busy = _searched_plan(monkeypatch)
    finally:
        for p in burners:
            p.kill()
            p.wait()
    _same_plan(quiet, busy)


def test_a_stop_by_the_time_limit_is_said(monkeypatch):
    """The time limit is only a safety net; when it is what stopped HiGHS, the plan says so
    (its status is then feasible, with the gap against the LP bound)."""
    import kamopt.solve.midterm as mt
    from kamopt.planning.midterm_outputs import headline

    real = mt._full_mip
    monkeypatch.setattr(mt, "_full_mip", lambda mm, start, sc, t, **k: real(mm, start, sc, 1e-3,
                                                                              **k))
    mp = _searched_plan(monkeypatch)
    assert mp.kpis["stopped_by"] == "time"
    assert mp.status == "feasible" and 0 < mp.kpis["mip_gap"] < 1
    assert "stopped at the time limit" in mp.solution.message
    assert "depends on the machine" in mp.solution.message
    assert "stopped by the time limit (60 s), a safety net" in headline(mp)


def test_rounded_lp_plan_and_the_search_keep_every_constraint(mid_model):
    from kamopt.solve.midterm_search import improve_by_neighbourhoods, round_lp

    mm, lp = mid_model
    obj = mm.lp.arrays()["obj"]
    start = round_lp(mm, lp.values)
    assert start is not None and _keeps_every_constraint(mm, start)
    assert obj @ start <= lp.objective + 1e-6 * abs(lp.objective)
    report = {}
    better = improve_by_neighbourhoods(mm, start, 6, lp.objective, wanted=lp.values, size=2,
                                       node_limit=20, report=report)
    assert _keeps_every_constraint(mm, better)
    assert report["tries"] <= 6 and report["stopped_by"] in ("budget", "target")
    # never worse than where it started, never above the LP bound
    assert obj @ start - 1e-6 <= obj @ better <= lp.objective + 1e-6 * abs(lp.objective)


def test_when_small_neighbourhoods_find_nothing_the_steps_grow_then_the_search_stops(
        mid_model, monkeypatch):
    """The steps grow in nodes (a work budget, not seconds) and the search stops by itself."""
    import kamopt.solve.midterm_search as ms
    from kamopt.solve.backend import Solution

    mm, lp = mid_model
    limits, time_limits = [], []

    def nothing_better(h, time_limit, mip_gap, *a, node_limit=None, **k):
        limits.append(node_limit)
        time_limits.append(time_limit)
        return Solution("feasible", -1e18, None, None, 0.0, "highs", stopped_by="nodes")

    monkeypatch.setattr(ms, "run_highs", nothing_better)
    monkeypatch.setattr(ms, "MAX_STEP_NODES", 4 * ms.STEP_NODES)
    start = ms.round_lp(mm, lp.values)
    report = {}
    out = ms.improve_by_neighbourhoods(mm, start, 10**6, np.inf, wanted=lp.values,
                                       report=report)
    assert report["stopped_by"] == "stall" and report["improved"] == 0
    assert np.array_equal(out, start)
    per_level = 3 * len(mm.data.managers)
    n = ms.STEP_NODES
    assert limits == [n] * per_level + [2 * n] * per_level + [4 * n] * per_level
    assert report["tries"] == len(limits)
    assert set(time_limits) == {1e6}  # no deadline given: no clock at all


def test_a_start_short_of_a_hard_target_is_no_plan():
    """With hard targets the shortfall column is bounded at 0: a start that falls short of
    a target breaks that bound and must not be used (nor returned) as a plan."""
    from kamopt.model.midterm import build_midterm
    from kamopt.solve.midterm import _best_start

    case = make_case(customers=8, managers=2, seed=2)
    total = case.customers["revenue"].sum()
    targets = parse_targets(pd.DataFrame({"year": ["2027"], "scope": ["company"],
                                          "order_intake": [str(total)]}), case)
    mm = build_midterm(case, Scenario(), MidtermAssumptions(target_mode="hard"), 1, targets,
                       NO_CAPACITY)
    nothing = mm._builder.vector(nothing_frame(), {})
    assert nothing[mm._builder.s].max() > 0  # the rows hold only through the shortfall
    assert _best_start(mm, [nothing]) is None
    # the same start with the target met through its shortfall column at 0 is checked by rows
    lifted = nothing.copy()
    lifted[mm._builder.s] = 0.0
    assert _best_start(mm, [lifted]) is None


def nothing_frame():
    return pd.DataFrame(columns=["customer_id", "t", "level", "manager_id", "activities"])


@pytest.mark.parametrize("root_checks", [0, 3, 10**6])
def test_the_reported_gap_is_against_a_valid_bound(mid_model, monkeypatch, root_checks):
    """Through the search path, with HiGHS not run (0: the LP bound stands), stopped early in
    its root (a small root budget) or not: the bound is at least the plan and at most the LP
    bound, and the result says which budget stopped it."""
    import kamopt.solve.midterm as mt

    monkeypatch.setattr(mt, "LNS_MIN_INTEGERS", 0)
    monkeypatch.setattr(mt, "MIDTERM_ROOT_CHECKS", root_checks)
    monkeypatch.setattr(mt, "MIDTERM_NEIGHBOURHOODS", 4)
    mm, lp = mid_model
    # the clock far away: this is about the work budgets, on a machine as busy as it may be
    sol = mt._solve(mm, Scenario(mip_gap=0.001, node_limit=100, time_limit=3600), None)
    assert sol.ok and _keeps_every_constraint(mm, sol.values)
    assert sol.stopped_by in ("gap", "nodes")
    assert (sol.stopped_by == "gap") == (sol.status == "optimal")
    assert sol.objective == pytest.approx(mm.lp.arrays()["obj"] @ sol.values, rel=1e-6)
    assert sol.objective - 1e-6 <= sol.bound <= lp.objective * (1 + 1e-6)
    assert sol.gap == pytest.approx((sol.bound - sol.objective) / abs(sol.objective), abs=1e-9)
    assert (sol.status == "optimal") == (sol.gap <= 0.001 + 1e-9)


# ------------------------------------------------ hard targets: searching for a plan
def _hard_model(target_share: float, seed: int = 3):
    """A 3-year model of 40 customers whose 2029 company target is hard."""
    from kamopt.model.midterm import build_midterm

    case = make_case(customers=40, managers=6, seed=seed)
    must = case.customers["status"] == "must"
    case.customers.loc[must, "status"] = ""  # so that a plan without key accounts is a plan
    a = MidtermAssumptions(handover_hours=30, target_mode="hard")
    total = (case.customers["revenue"] * 0.92 ** 3).sum()
    targets = pd.DataFrame({"year": [2029], "scope": ["company"],
                            "order_intake": [total * target_share]})
    return build_midterm(case, Scenario(), a, 3, parse_targets(targets.astype(str), case),
                         NO_CAPACITY)


def test_from_a_plan_short_of_a_hard_target_the_search_reaches_one_that_meets_it():
    from kamopt.solve.backend import solve
    from kamopt.solve.midterm import _best_start, _reach_hard_targets

    mm = _hard_model(1.03)
    lp = solve(mm.lp, relax=True)
    assert lp.status == "optimal"
    nobody = mm._builder.vector(nothing_frame(), {})  # no key accounts: far short of the target
    assert _best_start(mm, [nobody]) is None
    plan, closest = _reach_hard_targets(mm, [nobody], lp.values, max_tries=40)
    assert plan is not None and _keeps_every_constraint(mm, plan)
    assert plan[mm._builder.s].max() == 0.0
    assert mm.lp.arrays()["obj"] @ plan <= lp.objective + 1e-6 * abs(lp.objective)


@pytest.mark.parametrize("stopped_by", ["budget", "time"])
def test_a_hard_target_not_reached_names_the_closest_plan(monkeypatch, stopped_by):
    """The LP meets the target, no plan is found within the budget: exit 4's message says by
    how much the closest plan found misses each target, and what stopped the search (its
    work budget, or the time limit as a safety net)."""
    import kamopt.solve.midterm as mt
    from kamopt.errors import SolverError

    monkeypatch.setattr(mt, "LNS_MIN_INTEGERS", 0)

    def no_closer(mm, values, *a, report=None, **k):  # a search that never gets closer
        if report is not None:
            report.update(tries=3, improved=0, stopped_by=stopped_by)
        return values

    # a start far short of the target, and a search that stops at its budget (or at the
    # time limit) without a plan: HiGHS, without a plan to start from, is not run
    monkeypatch.setattr("kamopt.solve.midterm_search.round_lp",
                        lambda mm, values: mm._builder.vector(nothing_frame(), {}))
    monkeypatch.setattr("kamopt.solve.midterm_search.improve_by_neighbourhoods", no_closer)
    mm = _hard_model(1.03)
    sc = Scenario(time_limit=5, mip_gap=0.001, node_limit=1000)
    within = (f"the work budget (1,000 nodes, {mt.neighbourhood_budget(sc)} neighbourhoods; "
              if stopped_by == "budget" else "the time limit (5 s; ")
    found = "found" if stopped_by == "budget" else "found in 5 s"
    with pytest.raises(SolverError) as info:
        mt._solve(mm, sc, None)
    text = str(info.value)
    assert ("No plan that meets every order-intake target was found within " + within
            + "not proven impossible: the LP relaxation meets them)") in text, text
    assert re.search(r"The order-intake target of 2029 \(.* M EUR\) was not met by the "
                     rf"closest plan {found}: it reaches .* M EUR \(short by", text), text
    assert "cannot be met" not in text


# ---------------------------------------------------------------- infeasible
def test_hard_target_out_of_reach_says_by_how_much():
    case = make_case(customers=12, managers=3, seed=5)
    total = case.customers["revenue"].sum()
    targets = pd.DataFrame({"year": [2028], "scope": ["company"], "order_intake": [total * 2]})
    a = MidtermAssumptions(target_mode="hard")
    with pytest.raises(InfeasibleError, match=r"order-intake target of 2028 .* the best plan "
                       r"reaches .* M EUR \(short by") as info:
        plan_midterm(case, EXACT, 2, targets, assumptions=a, capacity_by_year=NO_CAPACITY)
    (s,) = info.value.shortfalls
    assert s.needed == pytest.approx(total * 2)
    assert 0 < s.available < s.needed


@pytest.mark.parametrize("leaves", [False, True])
def test_requirements_no_year_can_meet_are_named_with_their_year_and_shortfall(leaves):
    case = make_case(customers=16, managers=4, seed=11)
    must = case.customers.index[:2]
    case.customers.loc[must, "status"] = "must"
    case.customers.loc[must, "tier"] = 3
    if leaves:  # every senior manager is away in the second year, and no senior can be hired
        seniors = case.managers.index[case.managers["seniority"] == 3]
        cap = pd.DataFrame({"manager_id": seniors, "year": 2028, "capacity_hours": 0.0})
        sc, expected = EXACT, (r"in 2028, the 2 'must' accounts of tier 3 need at least [\d,.]+ h "
                               r"at the lightest level; managers of seniority 3 have 0 h")
    else:  # no budget for them in any year, even if every hire slot were filled cheaply
        cap = NO_CAPACITY
        sc, expected = EXACT.replace(budget=0.0), (r"in 2027, the \d 'must' accounts need at least "
                                                   r"[\d,.]+ EUR a year of KAM cost; the budget is 0")
    a = MidtermAssumptions(hire_profiles=(HireProfile(name="jr", seniority=1, capacity_hours=800,
                                                      cost_per_year=30000, max_hires=2),))
    with pytest.raises(InfeasibleError, match=expected):
        plan_midterm(case, sc, 2, NO_TARGETS, assumptions=a, capacity_by_year=cap)


def _out_of_reach(monkeypatch, hard, soft=None):
    """Plan a target of twice the revenue with hard targets, the solves replaced:
    ``hard(sol)`` gives the result of the solve with hard targets, ``soft(sol)`` that of the
    re-solve with soft targets (from the real solve's ``sol``)."""
    import kamopt.planning.midterm as mt

    real = mt._solve

    def solve(mm, scenario, start, fallback=None):
        if mm.assumptions.target_mode == "hard":
            return hard(None)
        sol = real(mm, scenario, start, fallback)
        return soft(sol) if soft else sol

    monkeypatch.setattr(mt, "_solve", solve)
    case = make_case(customers=12, managers=3, seed=5)
    targets = pd.DataFrame({"year": [2028], "scope": ["company"],
                            "order_intake": [case.customers["revenue"].sum() * 2]})
    plan_midterm(case, Scenario(mip_gap=0.0, time_limit=7, node_limit=1000), 2, targets,
                 assumptions=MidtermAssumptions(target_mode="hard"), capacity_by_year=NO_CAPACITY)


@pytest.mark.parametrize("stopped_by", ["time", "nodes"])
def test_a_hard_target_not_met_within_the_budget_is_not_called_impossible(monkeypatch,
                                                                          stopped_by):
    """HiGHS stops without a plan (at the time limit, a safety net, or at its work budget),
    nothing proven: the message says what stopped it and that the best plan found with the
    targets soft falls short, not that the target cannot be met."""
    from kamopt.errors import SolverError
    from kamopt.solve.backend import Solution

    why = "Time limit reached" if stopped_by == "time" else "Solution limit reached"
    stopped = Solution("error", None, None, None, 7.0, "highs",
                       message=f"HiGHS stopped without a plan: {why}", stopped_by=stopped_by)
    with pytest.raises(SolverError) as info:
        _out_of_reach(monkeypatch, lambda _: stopped)
    text = str(info.value)
    assert "cannot be met" not in text and "proved" not in text
    import kamopt.solve.midterm as mt

    n = mt.neighbourhood_budget(Scenario(node_limit=1000))
    within = ("the time limit (7 s" if stopped_by == "time"
              else f"the work budget (1,000 nodes, {n} neighbourhoods")
    assert (f"found within {within}; not proven impossible: HiGHS stopped without a plan: "
            f"{why})") in text, text
    # the soft re-solve stopped at its own budget: "found", with no seconds
    assert re.search(r"With the targets soft, the order-intake target of 2028 \(.* M EUR\) was "
                     r"not met by the best plan found: it reaches .* M EUR \(short by "
                     r".* M EUR\)\. A larger work budget", text), text


def test_requirements_proven_out_of_reach_even_with_soft_targets_are_infeasible(monkeypatch):
    """No plan within the time limit with hard targets, and none at all with them soft: that is
    proven (exit 3), not a time-limit message."""
    from kamopt.solve.backend import Solution

    stopped = Solution("error", None, None, None, 7.0, "highs", message="Time limit reached",
                       stopped_by="time")
    proven = Solution("infeasible", None, None, None, 1.0, "highs", message="infeasible")
    with pytest.raises(InfeasibleError, match="no plan meets the scenario's requirements"):
        _out_of_reach(monkeypatch, lambda _: stopped, lambda _: proven)


@pytest.mark.parametrize("stopped_by", ["time", "nodes"])
def test_a_proven_shortfall_found_by_a_soft_plan_not_proven_best_says_found(monkeypatch,
                                                                            stopped_by):
    """Hard targets proven out of reach: "cannot be met" stands; how close a plan gets is
    the best plan *found* when the soft re-solve is not proven optimal ("found in 7 s" when
    the time limit, the safety net, stopped it)."""
    import dataclasses

    from kamopt.planning.midterm import shortfall_messages
    from kamopt.solve.backend import Solution

    proven = Solution("infeasible", None, None, None, 1.0, "highs", message="infeasible")
    with pytest.raises(InfeasibleError) as info:
        _out_of_reach(monkeypatch, lambda _: proven,
                      lambda sol: dataclasses.replace(sol, status="feasible",
                                                      stopped_by=stopped_by))
    (line,) = shortfall_messages(info.value)
    found = "found in 7 s" if stopped_by == "time" else "found"
    assert re.fullmatch(r"the order-intake target of 2028 \(.* M EUR\) cannot be met: the best "
                        rf"plan {found} reaches .* M EUR \(short by .* M EUR\)", line), line


# --------------------------------------------------------------------- inputs
def test_targets_validation_names_file_row_column():
    case = random_case(np.random.default_rng(0))
    df = pd.DataFrame({"year": ["2027", "zwei", "2028", "2028"],
                       "scope": ["company", "company", "industry:Textil", "company"],
                       "order_intake": ["1e6", "5", "-3", "2e6"]})
    with pytest.raises(CaseError) as info:
        parse_targets(df, case)
    text = str(info.value)
    assert "targets.csv, row 3, column 'year': got 'zwei'" in text
    assert "row 4, column 'scope': got 'industry:Textil'" in text
    assert "industries: Bau" in text or "industries: Chemie" in text
    assert "row 4, column 'order_intake': got '-3'" in text


def test_duplicate_target_is_an_error():
    case = random_case(np.random.default_rng(0))
    df = pd.DataFrame({"year": ["2027", "2027"], "scope": ["company", "company"],
                       "order_intake": ["1", "2"]})
    with pytest.raises(CaseError, match=r"row 3, column 'scope'.*second target"):
        parse_targets(df, case)


def test_capacity_by_year_validation():
    case = random_case(np.random.default_rng(0))
    df = pd.DataFrame({"manager_id": ["M1", "M9"], "year": ["2027", "2028"],
                       "capacity_hours": ["viel", "10"]})
    with pytest.raises(CaseError) as info:
        parse_capacity_by_year(df, case)
    text = str(info.value)
    assert "capacity_by_year.csv, row 2, column 'capacity_hours': got 'viel'" in text
    assert "row 3, column 'manager_id': got 'M9'; is not a manager" in text


def test_sample_company_inputs_load():
    case = kamopt.load_case("data/sample")
    tg = load_targets(case)
    assert set(tg["scope"]) >= {"company"}
    assert list(tg.loc[tg["scope"] == "company", "year"]) == [2027, 2028, 2029]
    cap = load_capacity_by_year(case)
    assert set(cap["manager_id"]) <= set(case.managers.index)
    a = MidtermAssumptions.from_yaml("data/scenarios/midterm_base.yml")
    assert a.years == 3 and len(a.hire_profiles) >= 1


def test_assumptions_unknown_key_and_ranges(tmp_path):
    p = tmp_path / "mt.yml"
    p.write_text("yeras: 3\nramp: [0.8, 0.5]\nchurn_with_kam: 0.2\nchurn_without_kam: 0.1\n"
                 "hire_profiles:\n  - {name: x, ramp_upp: 0.5}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        MidtermAssumptions.from_yaml(p)
    text = str(info.value)
    assert "mt.yml, column 'yeras': unknown key; did you mean 'years'?" in text
    assert "column 'hire_profiles[0].ramp_upp': unknown key; did you mean 'ramp_up'?" in text
    assert "column 'ramp'" in text and "non-decreasing" in text
    assert "column 'churn_with_kam'" in text


def test_years_argument_is_checked():
    case = random_case(np.random.default_rng(0))
    with pytest.raises(ScenarioError, match="column 'years': got 0"):
        plan_midterm(case, EXACT, 0, NO_TARGETS, capacity_by_year=NO_CAPACITY)


# --------------------------------------------------------------- command line
def _cli(argv):
    import argparse

    from kamopt.cli.midterm import add_midterm_command

    parser = argparse.ArgumentParser(prog="kamopt")
    sub = parser.add_subparsers(dest="command", required=True)
    add_midterm_command(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except kamopt.KamoptError as exc:
        import sys

        print(str(exc), file=sys.stderr)
        return exc.exit_code


def _small_case_folder(tmp_path, target_factor):
    case = make_case(customers=12, managers=3, seed=5)
    folder = tmp_path / "case"
    kamopt.save_case(case, folder)
    total = case.customers["revenue"].sum()
    (folder / "targets.csv").write_text(
        f"year,scope,order_intake\n2027,company,{total * 0.9:.0f}\n"
        f"2028,company,{total * target_factor:.0f}\n", encoding="utf-8")
    (tmp_path / "sc.yml").write_text("mip_gap: 0\ntime_limit: 30\n", encoding="utf-8")
    return folder


def test_cli_writes_the_plan(tmp_path, capsys):
    folder = _small_case_folder(tmp_path, 0.8)
    out = tmp_path / "out"
    rc = _cli(["midterm", str(folder), "--years", "2", "--out", str(out),
               "--scenario", str(tmp_path / "sc.yml"), "--assumptions",
               "data/scenarios/midterm_base.yml", "--excel"])
    assert rc == 0
    for f in ("plan_by_year.csv", "intake.csv", "hires.csv", "summary.json", "midterm.xlsx"):
        assert (out / f).is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["years"] == 2
    assert len(pd.read_csv(out / "plan_by_year.csv")) == 24
    # the one-year plan's summary keys, for the first plan year
    intake = pd.read_csv(out / "intake.csv").set_index("year")
    first = intake.loc[summary["first_year"]]
    assert summary["key_accounts"] == first["key_accounts"]
    assert summary["hours_used"] == pytest.approx(first["hours_used"], abs=0.01)
    assert summary["cost"] == pytest.approx(first["cost"], abs=0.01)
    assert "Mid-term plan" in capsys.readouterr().out


def test_cli_infeasible_hard_target_exit_3(tmp_path, capsys):
    folder = _small_case_folder(tmp_path, 3.0)
    out = tmp_path / "out"
    rc = _cli(["midterm", str(folder), "--years", "2", "--out", str(out),
               "--scenario", str(tmp_path / "sc.yml"), "--target-mode", "hard"])
    assert rc == 3
    err = capsys.readouterr().err
    assert "the order-intake target of 2028" in err and "cannot be met: the best plan reaches" in err
    assert "(short by" in err and "Traceback" not in err
    assert not out.exists()


def test_cli_bad_input_exit_2(tmp_path, capsys):
    folder = _small_case_folder(tmp_path, 0.8)
    (folder / "targets.csv").write_text("year,scope,order_intake\n2027,region:Mars,5\n",
                                        encoding="utf-8")
    rc = _cli(["midterm", str(folder), "--years", "2", "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "targets.csv, row 2, column 'scope'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_second_row_for_the_same_key_is_named_by_row_and_column():
    case = kamopt.load_case("data/sample")
    targets = pd.DataFrame({"year": ["2027", "2028", "2027"], "scope": ["company"] * 3,
                            "order_intake": ["1", "2", "3"]})
    with pytest.raises(CaseError) as err:
        parse_targets(targets, case)
    (p,) = err.value.problems
    assert (p.file, p.row, p.column, p.value) == ("targets.csv", 4, "scope", "company")
    assert "a second target for the same year and scope" in str(p)
    cap = pd.DataFrame({"manager_id": ["M01", "M01"], "year": ["2028", "2028"],
                        "capacity_hours": ["10", "20"]})
    with pytest.raises(CaseError) as err:
        parse_capacity_by_year(cap, case)
    (p,) = err.value.problems
    assert (p.file, p.row, p.column, p.value) == ("capacity_by_year.csv", 3, "manager_id", "M01")


def test_a_must_account_no_manager_may_lead_is_explained_not_dropped():
    """A 'must' account without an eligible manager (or with a fixed lead of too little
    seniority) was left out of the mid-term model unsaid; it is said before solving now."""
    customers = [{"customer_id": "K1", "revenue": 1e6, "margin": 0.3, "potential": 1e6,
                  "kam_hours": 100.0, "tier": 3, "status": "must"},
                 {"customer_id": "K2", "revenue": 1e6, "margin": 0.3, "potential": 1e6,
                  "kam_hours": 100.0, "tier": 1}]
    managers = [{"manager_id": "M1", "seniority": 2, "capacity_hours": 500.0}]
    case = tiny_case(customers, managers)
    a = MidtermAssumptions(years=2, start_year=2027)
    with pytest.raises(InfeasibleError, match=r"in 2027, 'must' account K1 \(tier 3\) needs a "
                       r"lead manager of seniority >= 3; no available manager has it"):
        plan_midterm(case, EXACT, assumptions=a, targets=NO_TARGETS,
                     capacity_by_year=NO_CAPACITY)
    case.customers.loc["K1", "tier"] = 1
    case.customers.loc["K2", "tier"] = 3
    sc = EXACT.replace(leads={"K2": "M1"})
    with pytest.raises(InfeasibleError, match=r"the scenario fixes M1 as the lead manager of K2 "
                       r"\(tier 3\), but M1's seniority is 2"):
        plan_midterm(case, sc, assumptions=a, targets=NO_TARGETS, capacity_by_year=NO_CAPACITY)
