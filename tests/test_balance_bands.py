"""Balanced workloads (kamopt.case.balance): upper bands per manager (managers.csv's
max_hours and max_share), the scenario's band around the mean load (balance within), and the
least largest workload first (balance objective), each against brute force on tiny cases,
with their messages, and the Pfizer Turkey territories re-balanced.

No assertion depends on the clock: small cases at mip_gap 0 under node budgets."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kamopt
from kamopt.case.io import load_case
from kamopt.case.published import pfizer_scenario, pfizer_turkey, read_pfizer_turkey
from kamopt.case.scenario import Level, Scenario
from kamopt.case.schema import PAIR_COSTS
from kamopt.case.tables import Case, empty_table
from kamopt.errors import CaseError, InfeasibleError, ScenarioError, VerificationError
from kamopt.planning.oneyear import verify_plan
from kamopt.testing import assert_plan_sound, tiny_case

ROOT = Path(__file__).resolve().parents[1]
PFIZER = ROOT / "data" / "validation" / "pfizer_turkey"
ONE_LEVEL = Scenario(levels=(Level("standard", 1.0, 1.0),), mip_gap=0.0, retention=0.0,
                     node_limit=10_000, time_limit=3600)  # the nodes stop it, never the clock
TOL = 1e-6


# ------------------------------------------------------------------ brute force
def enumerate_plans(customers: list[dict], managers: list[dict], sc: Scenario):
    """Every plan of a case with one coverage level (factor 1), no activities, no pair costs
    and one tier: each customer out (unless must) or led by one manager. Yields (net, hours by
    manager, revenue by manager, accounts by manager) of the plans within capacity."""
    mids = [m["manager_id"] for m in managers]
    cap = np.array([m["capacity_hours"] for m in managers], float)
    rate = np.array([m.get("hourly_cost", 0.0) for m in managers], float)
    choices = [([] if c.get("status") == "must" else [None]) + list(range(len(mids)))
               for c in customers]
    for pick in itertools.product(*choices):
        hours, rev, n = np.zeros(len(mids)), np.zeros(len(mids)), np.zeros(len(mids))
        net = 0.0
        for c, j in zip(customers, pick, strict=True):
            if j is None:
                continue
            hours[j] += c["kam_hours"]
            rev[j] += c["revenue"]
            n[j] += 1
            net += (c["margin"] * (sc.realization * c["potential"] + sc.retention * c["revenue"])
                    - rate[j] * c["kam_hours"])
        if (hours <= cap + TOL).all():
            yield net, hours, rev, n


def band_of(m: dict) -> float:
    """A manager's upper band as the test reads it from the record."""
    out = np.inf
    if m.get("max_hours") is not None:
        out = min(out, m["max_hours"])
    if m.get("max_share") is not None:
        out = min(out, m["max_share"] * m["capacity_hours"])
    return out


def loads_of(plan, measure: str) -> pd.Series:
    """Each manager's load in the plan, from its accounts table and the case."""
    acc = plan.accounts[plan.accounts["key_account"] == 1]
    if measure == "hours":
        s = acc.groupby("manager_id")["hours"].sum()
    elif measure == "revenue":
        s = plan.case.customers["revenue"].reindex(acc.index).groupby(acc["manager_id"]).sum()
    else:
        s = acc.groupby("manager_id").size().astype(float)
    return s.reindex(plan.managers.index).fillna(0.0)


# ------------------------------------------------------------ random tiny cases
customer = st.fixed_dictionaries({
    "kam_hours": st.integers(5, 40).map(float),
    "potential": st.integers(0, 60).map(lambda x: x * 10_000.0),
    "revenue": st.integers(1, 9).map(lambda x: x * 100_000.0),
    "must": st.booleans(),
})
manager = st.fixed_dictionaries({
    "capacity_hours": st.integers(20, 80).map(float),
    "hourly_cost": st.sampled_from([50.0, 80.0, 100.0]),
    "band": st.one_of(st.none(), st.tuples(st.sampled_from(["max_hours", "max_share"]),
                                           st.floats(0.2, 1.0))),
})


def build(custs, mgrs):
    customers = [dict(customer_id=f"K{i}", margin=0.2, kam_hours=c["kam_hours"],
                      potential=c["potential"], revenue=c["revenue"],
                      status="must" if c["must"] else "") for i, c in enumerate(custs)]
    managers = []
    for j, m in enumerate(mgrs):
        rec = dict(manager_id=f"M{j}", capacity_hours=m["capacity_hours"],
                   hourly_cost=m["hourly_cost"])
        if m["band"] is not None:
            kind, x = m["band"]
            rec[kind] = round(x * m["capacity_hours"], 1) if kind == "max_hours" else round(x, 2)
        managers.append(rec)
    return customers, managers


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(customer, min_size=1, max_size=5), st.lists(manager, min_size=1, max_size=3))
def test_upper_bands_hold_and_the_plan_is_the_brute_force_optimum(custs, mgrs):
    customers, managers = build(custs, mgrs)
    case = tiny_case(customers, managers)
    band = np.array([band_of(m) for m in managers])
    best = max((net for net, h, _, _ in enumerate_plans(customers, managers, ONE_LEVEL)
                if (h <= band + TOL).all()), default=None)
    try:
        p = kamopt.plan(case, ONE_LEVEL)
    except InfeasibleError:
        assert best is None
        return
    assert best is not None and p.objective == pytest.approx(best, abs=1e-4)
    assert (p.managers["hours_used"].to_numpy() <= band + TOL).all()
    assert_plan_sound(p)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(customer, min_size=2, max_size=5), st.lists(manager, min_size=2, max_size=3),
       st.sampled_from(["hours", "revenue", "accounts"]), st.sampled_from([0.0, 0.25, 0.5, 1.0]))
def test_every_load_within_the_band_of_the_mean(custs, mgrs, measure, within):
    customers, managers = build(custs, mgrs)
    case = tiny_case(customers, managers)
    sc = ONE_LEVEL.replace(balance={"measure": measure, "within": within})
    band = np.array([band_of(m) for m in managers])
    k = {"hours": 1, "revenue": 2, "accounts": 3}[measure]
    best = None
    for plan_ in enumerate_plans(customers, managers, sc):
        load, mean = plan_[k], plan_[k].mean()
        if ((plan_[1] <= band + TOL).all() and (load <= (1 + within) * mean + TOL).all()
                and (load >= (1 - within) * mean - TOL).all()):
            best = plan_[0] if best is None else max(best, plan_[0])
    try:
        p = kamopt.plan(case, sc)
    except InfeasibleError:
        assert best is None
        return
    assert best is not None and p.objective == pytest.approx(best, abs=1e-4)
    load = loads_of(p, measure)
    mean = load.mean()
    assert (load <= (1 + within) * mean + 1e-6 * max(1, mean)).all()
    assert (load >= (1 - within) * mean - 1e-6 * max(1, mean)).all()
    assert p.kpis["load_max"] == pytest.approx(load.max())
    assert p.kpis["load_min"] == pytest.approx(load.min())
    assert p.kpis["load_max_deviation"] <= within + 1e-6
    assert_plan_sound(p)


# ------------------------------------------------------- least largest workload
def must_seven_on_three() -> tuple[list[dict], list[dict]]:
    """Seven accounts that must be key accounts and three managers of 60, 50 and 40 h (the
    rows of tiny_case): the largest workload is decided by how the accounts are packed."""
    customers = [dict(customer_id=f"K{i}", revenue=100_000.0 * i, margin=0.2,
                      potential=50_000.0 * (7 - i), kam_hours=h, status="must")
                 for i, h in enumerate([30, 25, 20, 18, 12, 9, 7], start=1)]
    managers = [dict(manager_id="M1", capacity_hours=60, hourly_cost=50),
                dict(manager_id="M2", capacity_hours=50, hourly_cost=90),
                dict(manager_id="M3", capacity_hours=40, hourly_cost=70)]
    return customers, managers


def test_least_largest_workload_is_the_brute_force_min_max_then_the_best_net():
    customers, managers = must_seven_on_three()
    case = tiny_case(customers, managers)
    cap = np.array([60, 50, 40], float)
    for measure in ("hours", "revenue", "accounts"):
        sc = ONE_LEVEL.replace(balance={"measure": measure,
                                        "objective": "least_largest_workload"})
        k = {"hours": 1, "revenue": 2, "accounts": 3}[measure]
        plans = list(enumerate_plans(customers, managers, sc))
        top = [(pl[k] / cap).max() if measure == "hours" else pl[k].max() for pl in plans]
        least = min(top)
        best_net = max(pl[0] for pl, t in zip(plans, top, strict=True) if t <= least + 1e-9)
        p = kamopt.plan(case, sc)
        assert p.kpis["largest_load"] == pytest.approx(least), measure
        assert p.kpis["largest_load_bound"] == pytest.approx(least), measure
        assert p.kpis["largest_load_status"] == "optimal"
        assert p.objective == pytest.approx(best_net, abs=1e-4), measure
        assert p.status == "optimal"
        assert_plan_sound(p)
    # the usual plan loads one manager more
    usual = kamopt.plan(case, ONE_LEVEL)
    assert (usual.managers["utilisation"].max()
            > kamopt.plan(case, ONE_LEVEL.replace(balance="least_largest_workload")
                          ).managers["utilisation"].max())


def _exact_partition(units: list[int], parts: int, size: int) -> bool:
    """Whether ``units`` split into ``parts`` groups of exactly ``size`` each (independent of
    kamopt: every subset summing to ``size`` listed by its bit mask, then disjoint covers)."""
    n = len(units)
    masks = np.arange(1 << n, dtype=np.int64)
    sums = np.zeros(1 << n, dtype=np.int64)
    for i, u in enumerate(units):
        sums += ((masks >> i) & 1) * u
    exact = set(masks[sums == size].tolist())

    def split(rest: int, k: int) -> bool:
        if k == 1:
            return rest in exact
        low = rest & -rest  # the first item left goes somewhere: into the next group
        return any(m & low and m & rest == m and split(rest & ~m, k - 1) for m in exact)

    return split((1 << n) - 1, parts)


def test_pfizer_territories_rebalanced_to_the_least_largest_workload():
    """Pure re-balancing (the distances left out): every brick must, four representatives of
    capacity 1.2 and minimum 0.8; the least largest workload is 1.0001 (0.8334 of capacity),
    and no split reaches 1.0000 (an exact partition of the index into four quarters)."""
    df = read_pfizer_turkey(PFIZER / "pfizer_turkey_22x4.csv")
    c = pfizer_turkey(df)
    case = Case(c.customers, c.managers, c.activities, c.departments, c.responses,
                source="Pfizer Turkey, workloads only", pair_costs=empty_table(PAIR_COSTS))
    sc = pfizer_scenario().replace(balance={"objective": "least_largest_workload"},
                                   node_limit=100_000, time_limit=3600)
    p = kamopt.plan(case, sc)
    assert_plan_sound(p)
    load = loads_of(p, "hours")
    assert p.kpis["largest_load"] == pytest.approx(load.max() / 1.2)
    assert p.kpis["largest_load_status"] == "optimal"
    units = [round(x * 10_000) for x in df["index_value"]]
    assert sum(units) == 40_000
    top = round(load.max() * 10_000)
    assert top == 10_001
    # independently: a largest workload of 1.0000 means all four exactly 1.0000: impossible
    assert not _exact_partition(units, 4, 10_000)
    assert (load >= 0.8 - TOL).all()


# ------------------------------------------------------------- infeasible, explained
def test_an_upper_band_too_tight_is_explained_with_numbers():
    customers = [dict(customer_id=f"K{i}", revenue=1000, margin=0.1, potential=100_000,
                      kam_hours=10, status="must") for i in range(5)]
    managers = [dict(manager_id=f"M{j}", capacity_hours=100, max_hours=12) for j in range(4)]
    with pytest.raises(InfeasibleError, match=r"need at least 50 h at the lightest level; all "
                       r"available managers may carry 48 h within their upper bands .*short by 2"):
        kamopt.plan(tiny_case(customers, managers), ONE_LEVEL)
    managers = [dict(manager_id=f"M{j}", capacity_hours=100, max_share=0.05) for j in range(4)]
    with pytest.raises(InfeasibleError, match=r"'must' account K0 alone needs at least 10 h of "
                       r"one manager's year; the largest upper band .* is 5 h \(short by 5\)"):
        kamopt.plan(tiny_case(customers, managers), ONE_LEVEL)


def test_a_balance_that_cannot_be_met_is_explained_with_numbers():
    customers = [dict(customer_id=f"K{i}", revenue=1000, margin=0.1, potential=100_000,
                      kam_hours=10, status="must") for i in range(5)]
    managers = [dict(manager_id=f"M{j}", capacity_hours=100) for j in range(4)]
    case = tiny_case(customers, managers)
    with pytest.raises(InfeasibleError) as err:
        kamopt.plan(case, ONE_LEVEL.replace(balance={"measure": "accounts", "within": 0.1}))
    text = str(err.value)
    # 5 accounts on 4 managers: 2, 1, 1, 1 at best, 0.75 from the mean of 1.25
    assert "need at least 0.75 key accounts of deviation from the mean load" in text
    assert "allows 0.125 accounts either side of the mean load of 1.25 accounts" in text
    assert "balance of the managers' loads" in text
    with pytest.raises(InfeasibleError, match=r"need at least 7.50 h of deviation .* mean "
                       r"load of 12.5 h"):
        kamopt.plan(case, ONE_LEVEL.replace(balance={"measure": "hours", "within": 0.1}))


# ---------------------------------------------------------- verify and validation
def test_verify_names_a_manager_above_the_band_and_a_load_outside_the_balance():
    customers = [dict(customer_id=f"K{i}", revenue=1000.0 * i, margin=0.1, potential=100_000,
                      kam_hours=4.0 * i, status="must") for i in range(1, 7)]
    managers = [dict(manager_id="M1", capacity_hours=100, hourly_cost=10),
                dict(manager_id="M2", capacity_hours=100, hourly_cost=50)]
    free = kamopt.plan(tiny_case(customers, managers), ONE_LEVEL)  # all on M1: 84 h
    assert free.managers.loc["M1", "hours_used"] == pytest.approx(84)
    banded = tiny_case(customers, [dict(managers[0], max_share=0.5), managers[1]])
    with pytest.raises(VerificationError, match=r"max_workload\[M1\]: 84 h planned, at "
                       r"most 50 h allowed"):
        free.verify(banded)
    sc = ONE_LEVEL.replace(balance={"within": 0.2})
    out = verify_plan(free.accounts, free.case, sc, free.objective)
    assert any(v.startswith("balance[M2]: a load of 0 h, outside 33.6 h .. 50.4 h") for v in out)
    fair = kamopt.plan(banded, sc)
    assert_plan_sound(fair)
    assert fair.managers["hours_used"].max() <= 50 + TOL


def _write_managers(tmp_path: Path, rows: str) -> Path:
    case = tmp_path / "case"
    case.mkdir(parents=True)
    (case / "customers.csv").write_text(
        "customer_id,revenue,margin,potential,kam_hours\nK1,1000,0.1,10000,10\n")
    (case / "managers.csv").write_text(rows)
    return case


def test_bands_in_managers_csv_are_checked_with_file_row_and_column(tmp_path):
    case = _write_managers(tmp_path, "manager_id,capacity_hours,min_hours,max_hours,max_share\n"
                           "M1,100,20,120,\n"    # above capacity
                           "M2,100,20,10,\n"     # below the minimum
                           "M3,100,0,50,0.5\n"   # both
                           "M4,100,30,,0.2\n"    # 20 h: below the minimum
                           "M5,100,0,,1.5\n")    # a share above 1
    with pytest.raises(CaseError) as err:
        load_case(case)
    text = str(err.value)
    assert "managers.csv, row 2, column 'max_hours'" in text and "capacity_hours (100)" in text
    assert "row 3, column 'max_hours'" in text and "less than the manager's min_hours (20)" in text
    assert "row 4, column 'max_hours'" in text and "given with max_share" in text
    assert "row 5, column 'max_share'" in text and "less than min_hours (30)" in text
    assert "row 6, column 'max_share'" in text
    ok = _write_managers(tmp_path / "ok", "manager_id,capacity_hours,max_hours,max_share\n"
                         "M1,100,80,\nM2,100,,0.9\n")
    m = load_case(ok).managers
    assert m.loc["M1", "max_hours"] == 80 and m.loc["M2", "max_share"] == 0.9


def test_the_balance_block_is_checked_with_did_you_mean():
    with pytest.raises(ScenarioError, match=r"'balance': .*unknown key 'withn'; did you mean "
                       r"'within'\?"):
        Scenario.from_dict({"balance": {"withn": 0.2}})
    with pytest.raises(ScenarioError, match=r"'balance.measure': .*did you mean 'revenue'\?"):
        Scenario.from_dict({"balance": {"measure": "revenu", "within": 0.2}})
    with pytest.raises(ScenarioError, match=r"'balance.within': .*must be a number in \[0, 1\]"):
        Scenario.from_dict({"balance": {"within": 1.5}})
    with pytest.raises(ScenarioError, match=r"did you mean 'least_largest_workload'"):
        Scenario.from_dict({"balance": {"objective": "least_largest"}})
    with pytest.raises(ScenarioError, match=r"needs 'within'"):
        Scenario.from_dict({"balance": {"measure": "hours"}})
    s = Scenario.from_dict({"balance": {"measure": "revenue", "within": 0.2,
                                        "objective": "least_largest_workload"}})
    assert Scenario.from_dict(s.to_dict()) == s
    assert Scenario(balance="least_largest_workload").balance.measure == "hours"
