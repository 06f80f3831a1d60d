"""The customer portfolio: quadrants, ABC classes, concentration (kamopt.analysis.portfolio)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamopt.analysis.portfolio import (
    QUADRANTS,
    abc_classes,
    concentration_curve,
    gini,
    portfolio,
    quadrant_summary,
)
from kamopt.case.tables import Case


def customers(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {"margin": [0.5] * n, "potential": [0.0] * n, "kam_hours": [100.0] * n}
    base.update(cols)
    index = pd.Index([f"C{i + 1}" for i in range(n)], name="customer_id")
    return pd.DataFrame(base, index=index)


def empty_case(cust: pd.DataFrame) -> Case:
    none = pd.DataFrame()
    return Case(customers=cust, managers=none, activities=none, departments=none,
                responses=none)


# -- portfolio: measures and quadrants ---------------------------------------------


def test_importance_and_potential_value_are_contribution_in_eur():
    pf = portfolio(customers(revenue=[1000.0, 200.0], margin=[0.25, 0.4], potential=[400, 50]))
    assert pf["importance"].tolist() == [250.0, 80.0]
    assert pf["potential_value"].tolist() == [100.0, 20.0]


def test_quadrants_by_hand_with_explicit_thresholds():
    # importance = revenue / 2, potential_value = potential / 2; thresholds 100 and 50
    cust = customers(revenue=[400, 100, 400, 100], potential=[200, 200, 20, 20])
    pf = portfolio(cust, importance_threshold=100, potential_threshold=50)
    assert pf["quadrant"].tolist() == ["key-account candidate", "develop", "maintain", "standard"]
    assert list(pf["quadrant"].cat.categories) == list(QUADRANTS)
    assert pf.attrs["thresholds"] == {
        "importance": 100.0, "potential_value": 50.0,
        "importance_rule": "given", "potential_rule": "given",
    }


def test_a_customer_exactly_on_a_threshold_counts_as_high():
    # importance exactly 100 and potential_value exactly 50: ">=" makes both high
    cust = customers(revenue=[200, 199.98], potential=[100, 99.98])
    pf = portfolio(cust, importance_threshold=100, potential_threshold=50)
    assert pf.loc["C1", "quadrant"] == "key-account candidate"
    assert pf.loc["C2", "quadrant"] == "standard"


def test_default_thresholds_are_the_80th_percentile():
    cust = customers(revenue=[2, 4, 6, 8, 10], potential=[10, 8, 6, 4, 2])
    pf = portfolio(cust)
    # importance 1..5: linear 80th percentile = 4.2, so only C5 (5.0) is high
    t = pf.attrs["thresholds"]
    assert t["importance"] == pytest.approx(4.2)
    assert t["potential_value"] == pytest.approx(4.2)
    assert t["importance_rule"] == t["potential_rule"] == "80th percentile"
    assert pf["quadrant"].tolist() == ["develop", "standard", "standard", "standard", "maintain"]


def test_quantile_parameters_and_mixed_rules():
    cust = customers(revenue=[2, 4, 6, 8, 10], potential=[10, 8, 6, 4, 2])
    pf = portfolio(cust, importance_quantile=0.5, potential_threshold=3.0)
    t = pf.attrs["thresholds"]
    assert t["importance"] == 3.0 and t["importance_rule"] == "50th percentile"
    assert t["potential_value"] == 3.0 and t["potential_rule"] == "given"
    assert pf["quadrant"].tolist() == ["develop", "develop", "key-account candidate",
                                       "maintain", "maintain"]


def test_accepts_a_case_and_a_customer_id_column_and_carries_columns_over():
    cust = customers(revenue=[100.0, 300.0], potential=[10, 20])
    cust["name"] = ["Müller GmbH", "Schmidt AG"]
    cust["region"] = ["Süd", "Nord"]
    cust["tier"] = [1, 3]
    from_case = portfolio(empty_case(cust), 100, 5)
    from_column = portfolio(cust.reset_index(), 100, 5)
    pd.testing.assert_frame_equal(from_case, from_column)
    assert from_case.index.name == "customer_id"
    assert {"name", "region", "revenue", "potential", "margin", "kam_hours", "tier"} <= set(
        from_case.columns)
    assert from_case.loc["C1", "name"] == "Müller GmbH"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"importance_threshold": 1, "importance_quantile": 0.5}, "alternatives"),
        ({"potential_quantile": 1.5}, r"must be a number in \[0, 1\]"),
        ({"importance_threshold": float("nan")}, "finite number of EUR"),
    ],
)
def test_bad_thresholds_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        portfolio(customers(revenue=[1.0, 2.0]), **kwargs)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda c: c.drop(columns="margin"), "without 'margin'"),
        (lambda c: c.set_axis(["C1", "C1", "C3"]), "duplicates 'C1'"),
        (lambda c: c.assign(revenue=[1.0, np.nan, 3.0]), r"'revenue'.*missing or out-of-range.*'C2'"),
        (lambda c: c.assign(margin=[0.5, 0.5, 1.2]), r"'margin'.*\[0, 1\].*'C3'"),
        (lambda c: c.assign(potential=[-1.0, 0.0, 0.0]), r"'potential'.*'C1'"),
    ],
)
def test_bad_customers_raise(change, match):
    with pytest.raises(ValueError, match=match):
        portfolio(change(customers(revenue=[1.0, 2.0, 3.0])))


def test_wrong_type_raises():
    with pytest.raises(TypeError, match="must be a Case or a customers DataFrame. Got list"):
        portfolio([1, 2, 3])


# -- ABC -------------------------------------------------------------------------


def test_abc_by_hand_with_a_tie_on_the_b_line():
    # 50 + 30 = 80 %: A ends there. 10 starts at 80 % -> B. Both 5s start at 90 % -> B.
    r = pd.Series([50, 30, 10, 5, 5], index=list("vwxyz"))
    got = abc_classes(r)
    assert got.tolist() == ["A", "A", "B", "B", "B"]
    assert got.index.tolist() == list("vwxyz") and got.name == "abc"
    assert got.cat.ordered and list(got.cat.categories) == ["A", "B", "C"]


def test_abc_by_hand():
    assert abc_classes([50, 30, 10, 6, 4]).tolist() == ["A", "A", "B", "B", "C"]
    # the customer that crosses the 80 % line is A; the largest is always A
    assert abc_classes([70, 20, 6, 4]).tolist() == ["A", "A", "B", "C"]
    assert abc_classes([99, 1]).tolist() == ["A", "C"]
    assert abc_classes([10, 10, 10, 10]).tolist() == ["A"] * 4
    assert abc_classes([0, 0]).tolist() == ["C", "C"]
    assert abc_classes([5, 0]).tolist() == ["A", "C"]
    assert abc_classes([]).tolist() == []


def test_abc_does_not_depend_on_row_order():
    r = pd.Series([5, 50, 5, 10, 30], index=list("yvzxw"))
    assert abc_classes(r).sort_index().tolist() == ["A", "A", "B", "B", "B"]


def test_abc_lines_are_parameters():
    assert abc_classes([50, 30, 10, 5, 5], a=0.5, b=0.8).tolist() == ["A", "B", "C", "C", "C"]
    with pytest.raises(ValueError, match="0 < a <= b <= 1"):
        abc_classes([1, 2], a=0.9, b=0.8)


def test_abc_rejects_negative_revenue():
    with pytest.raises(ValueError, match="missing or negative value at 1"):
        abc_classes([3, -1])


revenues = st.lists(
    st.one_of(st.integers(0, 1000).map(float), st.floats(0, 1e7, allow_subnormal=False)),
    min_size=1, max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(revenues, st.floats(0.05, 1.0), st.floats(0.0, 1.0))
def test_abc_classes_are_monotone_in_revenue(values, a, gap):
    b = a + (1 - a) * gap
    r = pd.Series(values)
    code = abc_classes(r, a=a, b=b).cat.codes.to_numpy()
    x = r.to_numpy()
    larger = x[:, None] > x[None, :]
    assert (code[:, None] <= code[None, :])[larger].all()  # more revenue, never a worse class
    assert (code[:, None] == code[None, :])[x[:, None] == x[None, :]].all()  # ties share one
    if x.sum() > 0:
        assert code[np.argmax(x)] == 0  # the largest is A
        assert x[code == 0].sum() >= a * x.sum() * (1 - 1e-9)  # A holds at least a


# -- concentration and Gini ------------------------------------------------------------


def test_concentration_curve_by_hand():
    curve = concentration_curve(pd.Series([10, 30, 60], index=["x", "y", "z"], name="revenue"))
    assert curve["customer_id"].tolist() == [None, "z", "y", "x"]
    assert curve["share_of_customers"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert curve["share_of_revenue"].tolist() == pytest.approx([0, 0.6, 0.9, 1])
    assert curve.attrs["gini"] == pytest.approx(gini([10, 30, 60]))


def test_concentration_curve_of_no_revenue_is_the_diagonal():
    curve = concentration_curve([0, 0, 0, 0])
    assert curve["share_of_revenue"].tolist() == curve["share_of_customers"].tolist()


def test_concentration_curve_and_gini_need_a_customer():
    with pytest.raises(ValueError, match="at least one customer"):
        concentration_curve([])
    with pytest.raises(ValueError, match="at least one customer"):
        gini(pd.Series([], dtype=float))


@settings(max_examples=150, deadline=None)
@given(revenues)
def test_concentration_curve_is_monotone_from_origin_to_one_one(values):
    curve = concentration_curve(values)
    xs, ys = curve["share_of_customers"].to_numpy(), curve["share_of_revenue"].to_numpy()
    assert len(curve) == len(values) + 1
    assert (xs[0], ys[0]) == (0.0, 0.0) and (xs[-1], ys[-1]) == (1.0, 1.0)
    assert (np.diff(xs) > 0).all() and (np.diff(ys) >= 0).all()
    assert (ys >= xs - 1e-12).all()  # largest first: never below the diagonal
    g = gini(values)
    assert 0.0 <= g < 1.0
    assert g == pytest.approx(2 * np.trapezoid(ys, xs) - 1, abs=1e-9)


def test_gini_by_hand():
    assert gini([7.3, 7.3, 7.3]) == 0.0
    assert gini([0.1] * 10) == 0.0
    assert gini([0, 0, 0, 100]) == pytest.approx(0.75)
    assert gini([1, 3]) == pytest.approx(0.25)  # |1 - 3| * 2 / (2 * 2**2 * 2)
    assert gini([0, 0]) == 0.0


# -- summary -----------------------------------------------------------------------


def test_quadrant_summary_adds_up_and_keeps_empty_quadrants():
    cust = customers(revenue=[400, 100, 300, 100], potential=[200, 200, 20, 20],
                     kam_hours=[100, 50, 80, 20])
    pf = portfolio(cust, importance_threshold=150, potential_threshold=500)  # nobody high on potential
    s = quadrant_summary(pf)
    assert s.index.tolist() == list(QUADRANTS)
    assert s["customers"].tolist() == [0, 0, 2, 2]
    assert s["revenue"].tolist() == [0, 0, 700, 200]
    assert s["kam_hours"].tolist() == [0, 0, 180, 70]
    assert s["share_of_revenue"].sum() == pytest.approx(1.0)
    assert s["share_of_customers"].tolist() == [0, 0, 0.5, 0.5]


def test_quadrant_summary_by_abc_and_by_both():
    cust = customers(revenue=[50, 30, 10, 5, 5], potential=[0, 0, 100, 0, 0])
    pf = portfolio(cust, importance_threshold=20, potential_threshold=10)
    by_abc = quadrant_summary(pf, by="abc")
    assert by_abc.index.tolist() == ["A", "B", "C"]
    assert by_abc["customers"].tolist() == [2, 3, 0]
    assert by_abc["potential"].tolist() == [0, 100, 0]
    both = quadrant_summary(pf, by=["quadrant", "abc"])
    assert len(both) == 12 and both["customers"].sum() == 5
    assert both.loc[("develop", "B"), "customers"] == 1
    with pytest.raises(ValueError, match="must be 'quadrant', 'abc'"):
        quadrant_summary(pf, by="region")
    with pytest.raises(ValueError, match="result of portfolio"):
        quadrant_summary(pf.drop(columns="importance"))


def test_no_potential_is_never_high_potential():
    """With most potentials 0 the 80th percentile is 0: '>= 0' made everyone 'high'."""
    pf = portfolio(customers(revenue=[100.0, 200.0, 300.0, 400.0, 500.0], potential=[0.0] * 5))
    assert not pf["quadrant"].isin(["key-account candidate", "develop"]).any()
    assert pf["quadrant"].isin(["maintain", "standard"]).all()
