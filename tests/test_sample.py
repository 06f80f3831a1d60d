"""The sample company (kamopt.case.sample) and the shipped data/sample and data/scenarios."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kamopt.case import io as kio
from kamopt.case.sample import make_case, write_sample
from kamopt.case.scenario import Scenario
from kamopt.case.schema import ACTIVITY_KINDS, TABLES
from kamopt.case.tables import Case

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SCENARIOS = ROOT / "data" / "scenarios"
LEVELS = {"light": (0.5, 0.6), "standard": (1.0, 1.0), "intensive": (1.5, 1.2)}


@pytest.fixture(scope="module")
def default() -> Case:
    return make_case()


def assert_valid(case: Case) -> None:
    """Every column in range per the schema, ids unique, references valid."""
    for table in TABLES:
        df = case.tables[table.name]
        cols = [c.name for c in table.columns if c.name != table.id]
        assert list(df.columns) == cols, table.name
        if table.id:
            assert df.index.name == table.id
            assert df.index.is_unique, table.name
            assert (df.index.astype(str).str.len() > 0).all()
        for col in table.columns:
            s = df.index.to_series() if col.name == table.id else df[col.name]
            if col.kind in ("number", "integer"):
                if isinstance(col.default, float) and np.isnan(col.default):
                    s = s.dropna()  # an optional number that is not given (potential_low)
                assert s.notna().all(), (table.name, col.name)
                if col.kind == "integer":
                    assert s.dtype == "int64", (table.name, col.name)
                if col.lo is not None:
                    assert ((s > col.lo) if col.lo_open else (s >= col.lo)).all(), col.name
                if col.hi is not None:
                    assert (s <= col.hi).all(), (table.name, col.name)
            elif col.kind == "choice":
                assert s.isin(col.choices).all(), (table.name, col.name)
            elif col.kind == "list":
                assert s.map(lambda v: isinstance(v, tuple) and all(v)).all()
            else:
                assert s.map(lambda v: isinstance(v, str)).all(), (table.name, col.name)
    c, m = case.customers, case.managers
    assert c["current_manager"].isin([*m.index, ""]).all()
    assert case.activities["department"].isin([*case.departments.index, ""]).all()
    assert case.responses["customer_id"].isin(c.index).all()
    assert case.responses["level"].isin(list(LEVELS)).all()
    assert not case.responses.duplicated(["customer_id", "level"]).any()
    # every account has an eligible manager; today's manager is senior enough
    assert (c["tier"] <= m["seniority"].max()).all()
    served = c[c["current_manager"] != ""]
    assert (m.loc[served["current_manager"], "seniority"].to_numpy() >= served["tier"]).all()
    assert not (set(c.index[c["status"] == "must"]) & set(case.responses["customer_id"]))
    assert_must_feasible(c, m)


def assert_must_feasible(c: pd.DataFrame, m: pd.DataFrame) -> None:
    """The ``must`` accounts fit at standard hours: first fit, tier 3 first."""
    must = c[c["status"] == "must"].sort_values(["tier", "kam_hours"], ascending=False)
    left = m["capacity_hours"].to_numpy(float).copy()
    sen = m["seniority"].to_numpy()
    for tier, hours in zip(must["tier"], must["kam_hours"], strict=True):
        ok = np.flatnonzero((sen >= tier) & (left >= hours))
        assert len(ok), f"a must account of tier {tier} ({hours} h) does not fit"
        left[ok[np.argmax(left[ok])]] -= hours


def net_by_level(case: Case) -> pd.DataFrame:
    """Per customer and level: value minus cost under the default scenario."""
    c, m = case.customers, case.managers
    rate = np.average(m["hourly_cost"], weights=m["capacity_hours"])
    return pd.DataFrame(
        {
            name: c["margin"] * (0.3 * rho * c["potential"] + 0.05 * c["revenue"])
            - rate * phi * c["kam_hours"]
            for name, (phi, rho) in LEVELS.items()
        }
    )


# ------------------------------------------------------------------- generator
def test_same_seed_same_case_other_seed_other_case(default):
    assert make_case() == default
    assert make_case(seed=8) != default
    assert not make_case(seed=8).customers["revenue"].equals(default.customers["revenue"])


@pytest.mark.parametrize(
    "customers, managers",
    [(5, 2), (6, 1), (20, 3), (37, 4), (120, 8), (250, 14), (1000, 55), (3000, 170)],
)
@pytest.mark.parametrize("seed", [0, 3])
def test_any_size_is_valid_and_sizes_are_honoured(customers, managers, seed):
    case = make_case(customers=customers, managers=managers, seed=seed)
    assert len(case.customers) == customers and len(case.managers) == managers
    w = max(4, len(str(customers)))
    assert case.customers.index[0] == "K" + "1".zfill(w)
    assert case.customers.index[-1] == f"K{customers:0{w}d}"
    assert case.managers.index[0] == "M" + "1".zfill(max(2, len(str(managers))))
    assert_valid(case)
    s = case.summary()
    assert s["must"] <= max(1, 0.03 * customers) and s["exclude"] <= max(1, 0.03 * customers)


def test_default_case_is_valid_with_the_documented_shape(default):
    assert_valid(default)
    s = default.summary()
    assert (s["customers"], s["managers"], s["executives"]) == (250, 14, 2)
    assert 12 <= s["managers"] - s["executives"] <= 16
    assert 3 <= s["must"] <= 8 and 1 <= s["exclude"] <= 6
    assert 8 <= s["activities"] <= 10 and 4 <= s["departments"] <= 5
    assert set(default.activities["kind"]) == set(ACTIVITY_KINDS)
    assert 8 <= default.responses["customer_id"].nunique() <= 16
    assert default.responses.groupby("customer_id").size().between(2, 3).all()
    ex = default.managers[default.managers["role"] == "executive"]
    assert (ex["seniority"] == 3).all() and ex["capacity_hours"].between(150, 300).all()
    assert ex["hourly_cost"].between(200, 250).all()
    kam = default.managers[default.managers["role"] == "kam"]
    assert kam["capacity_hours"].between(1000, 1600).all()
    assert kam["hourly_cost"].between(70, 140).all()
    assert set(kam["seniority"]) == {1, 2, 3}
    assert kam["industries"].map(len).between(1, 3).all()
    # cost rises with seniority
    assert kam.groupby("seniority")["hourly_cost"].mean().is_monotonic_increasing
    c = default.customers
    assert 0.25 <= (c["current_manager"] != "").mean() <= 0.40
    assert c["kam_hours"].between(60, 600).all() and c["margin"].between(0.15, 0.45).all()
    assert c["revenue"].between(50_000, 40_000_000).all()
    assert c["name"].str.contains("ä|ö|ü|ß|Ä|Ö|Ü").any()


def test_revenue_has_a_long_tail(default):
    r = default.customers["revenue"].sort_values(ascending=False)
    assert r.iloc[: len(r) // 5].sum() > 0.6 * r.sum()


def test_potential_is_only_loosely_tied_to_revenue(default):
    c = default.customers
    rho = c["revenue"].rank().corr(c["potential"].rank())
    assert 0.1 < rho < 0.7
    small_big = (c["revenue"] < c["revenue"].median()) & (c["potential"] > c["revenue"])
    assert small_big.sum() >= 10  # the "develop" quadrant


def test_manager_capacity_binds(default):
    s = default.summary()
    assert 0.35 <= s["hours_available"] / s["hours_needed"] <= 0.55
    # also for the accounts that would pay at standard coverage
    net = net_by_level(default)
    assert s["hours_available"] < 0.6 * default.customers["kam_hours"][net.max(axis=1) > 0].sum()


def test_departments_bind(default):
    c = default.customers[default.customers["status"] != "exclude"]
    a, m = default.activities, default.managers
    rate = np.average(m["hourly_cost"], weights=m["capacity_hours"])
    pays = (
        np.outer(c["margin"] * c["potential"], a["uplift"])
        > (a["cost"] + rate * a["kam_hours"]).to_numpy()
    )
    demand = (
        pd.Series(pays.sum(axis=0) * a["dept_hours"].to_numpy())
        .groupby(a["department"].to_numpy())
        .sum()
    )
    cap = default.departments["capacity_hours"]
    assert (cap < 0.6 * demand.reindex(cap.index)).all()
    every = len(c) * a.groupby("department")["dept_hours"].sum()
    assert (cap < 0.2 * every.reindex(cap.index)).all()


def test_economics_make_the_choice_matter(default):
    net = net_by_level(default)
    best = net.max(axis=1)
    assert (best > 0).mean() > 0.5  # many pay as key accounts
    assert (best < 0).mean() > 0.15  # a good number clearly do not
    level = net.idxmax(axis=1)[best > 0].value_counts()
    assert len(level) == 3 and level.min() >= 0.05 * (best > 0).sum()


def test_without_activities_and_tiny_case():
    case = make_case(customers=5, managers=2, seed=1, activities=False)
    assert len(case.activities) == 0 and len(case.departments) == 0
    assert_valid(case)


def test_generation_is_fast_at_20000_by_400():
    t = time.perf_counter()
    case = make_case(customers=20_000, managers=400, seed=11)
    assert time.perf_counter() - t < 2.0
    assert len(case.customers) == 20_000 and case.customers.index[-1] == "K20000"
    assert case.customers.index.is_unique and case.managers.index[-1] == "M400"


def test_write_sample_replaces_only_the_case_tables(tmp_path):
    out = tmp_path / "case"
    out.mkdir()
    (out / "README.md").write_text("keep me", encoding="utf-8")
    (out / "targets.csv").write_text("year,scope,order_intake\n2027,company,1\n", encoding="utf-8")
    (out / "my notes.csv").write_text("x\n1\n", encoding="utf-8")
    (out / "sub").mkdir()
    (out / "customers.csv").write_text("old", encoding="utf-8")
    path = write_sample(out, customers=30, managers=3, seed=5)
    assert path == out
    assert (out / "README.md").read_text(encoding="utf-8") == "keep me"
    assert (out / "targets.csv").read_text(encoding="utf-8").endswith("2027,company,1\n")
    assert (out / "my notes.csv").is_file() and (out / "sub").is_dir()  # never a user's file
    c = pd.read_csv(out / "customers.csv", keep_default_na=False)
    assert c["customer_id"].tolist() == make_case(30, 3, 5).customers.index.tolist()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_write_sample_refuses_a_file_and_a_folder_in_the_way(tmp_path):
    from kamopt.errors import InputError

    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="is a file"):
        write_sample(afile, customers=10, managers=2)
    with pytest.raises(InputError, match="is a file, so no folder can be made in it"):
        write_sample(afile / "sub", customers=10, managers=2)
    out = tmp_path / "case"
    (out / "managers.csv").mkdir(parents=True)
    with pytest.raises(InputError, match="is a folder where the case has a table"):
        write_sample(out, customers=10, managers=2)
    assert [p.name for p in out.iterdir()] == ["managers.csv"]  # nothing half-written


# ------------------------------------------------------------- shipped files
def _load_sample() -> Case | None:
    try:
        return kio.load_case(SAMPLE)
    except NotImplementedError:
        return None


def test_data_sample_is_make_case_with_the_defaults(default):
    assert (SAMPLE / "README.md").is_file()
    loaded = _load_sample()
    if loaded is not None:
        assert loaded == default
        return
    # until kamopt.case.io.load_case exists: compare the CSVs column by column
    for name in default.tables:
        disk = pd.read_csv(SAMPLE / f"{name}.csv", keep_default_na=False, encoding="utf-8")
        flat = kio._to_frame(default, name)
        assert list(disk.columns) == list(flat.columns), name
        for col in flat.columns:
            if pd.api.types.is_numeric_dtype(flat[col]):
                np.testing.assert_array_equal(disk[col].to_numpy(float), flat[col].to_numpy(float))
            else:
                assert disk[col].astype(str).tolist() == flat[col].astype(str).tolist(), col


EXPECTED_SCENARIOS = {
    "base",
    "budget_cut",
    "two_more_kams",
    "manager_leaves",
    "cautious_potential",
    "intensive_push",
    "key_relationships",
    "customer_commitments",
    "uncertain",
    "board_de",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_SCENARIOS))
def test_scenarios_load(name, default):
    s = Scenario.from_yaml(SCENARIOS / f"{name}.yml")
    assert s.name == name and s.description
    if name == "base":
        assert s.replace(description="") == Scenario()
    if name == "board_de":  # the base plan, in German, with the board pack's title block
        assert s.lang == "de" and dict(s.report)["client"] == "Rheinwerk Antriebstechnik GmbH"
        assert s.replace(description="", name="base", lang=None, report=()) == Scenario()
    if name == "budget_cut":
        assert s.budget is not None and 0 < s.budget
    if name == "two_more_kams":
        assert sum(h.count for h in s.hires) == 2
    if name == "manager_leaves":
        (leaver,) = s.unavailable_managers
        m = default.managers
        assert m.loc[leaver, "seniority"] == 3 and m.loc[leaver, "role"] == "kam"
        assert_must_feasible(default.customers, m.drop(index=leaver))
    if name == "cautious_potential":
        assert s.realization == 0.15
    if name == "intensive_push":
        assert (s.industry_fit, s.continuity_bonus) == (0.2, 5000.0)
    if name == "key_relationships":  # three accounts keep today's manager, who may lead them
        c, m = default.customers, default.managers
        assert len(s.leads) == 3
        for cid, j in s.leads:
            assert c.at[cid, "current_manager"] == j
            assert m.at[j, "seniority"] >= c.at[cid, "tier"]
    if name == "uncertain":  # ranges around the point estimates of the base scenario
        u = s.uncertainty
        assert u.potential_spread == 0.25 and (s.realization, s.retention) == (0.3, 0.05)
        assert u.realization.low < s.realization < u.realization.high
    if name == "customer_commitments":  # a contract signed and a promise made: ids that exist
        c, a = default.customers, default.activities
        assert s.coverage == (("K0037", "intensive"),)
        assert all(cid in c.index and k in a.index for cid, k in s.committed_activities)


def test_no_other_scenario_files():
    # midterm_*.yml hold the mid-term assumptions (kamopt.case.assumptions), not one-year scenarios
    one_year = {p.stem for p in SCENARIOS.glob("*.yml") if not p.stem.startswith("midterm_")}
    assert one_year == EXPECTED_SCENARIOS


def test_midterm_assumption_files_load():
    from kamopt.case.assumptions import MidtermAssumptions

    files = list(SCENARIOS.glob("midterm_*.yml"))
    assert files
    for path in files:
        MidtermAssumptions.from_yaml(path)
