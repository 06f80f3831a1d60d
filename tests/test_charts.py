"""Portfolio charts (kamopt.charts): structure, labels and legends; no pixel comparison."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from kamopt.charts import (  # noqa: E402
    _fmt_eur,
    _style,
    concentration_chart,
    portfolio_matrix,
)
from kamopt.portfolio import concentration_curve, portfolio  # noqa: E402


def synthetic_customers(n: int = 60, seed: int = 3) -> pd.DataFrame:
    """A long-tailed portfolio: lognormal revenue, potential loosely tied to it."""
    rng = np.random.default_rng(seed)
    revenue = np.round(rng.lognormal(np.log(400_000), 1.1, n), -3)
    potential = np.round(revenue * rng.lognormal(np.log(0.25), 1.0, n), -3)
    potential[:3] = 0.0  # some customers have nothing more to buy
    return pd.DataFrame(
        {
            "name": [f"Kunde {i:02d} Maschinenbau GmbH" for i in range(n)],
            "revenue": revenue,
            "margin": rng.uniform(0.15, 0.45, n).round(3),
            "potential": potential,
            "kam_hours": np.clip(40 + revenue / 8_000, 40, 600).round(),
            "tier": rng.integers(1, 4, n),
        },
        index=pd.Index([f"K{i:04d}" for i in range(n)], name="customer_id"),
    )


@pytest.fixture(scope="module")
def pf() -> pd.DataFrame:
    return portfolio(synthetic_customers())


def legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def test_portfolio_matrix_draws_one_axes_with_title_labels_and_thresholds(pf):
    fig = portfolio_matrix(pf, label_top=5)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == "Customer portfolio"
    assert "EUR a year" in ax.get_xlabel() and "EUR a year" in ax.get_ylabel()
    texts = [t.get_text() for t in ax.texts]
    for q in ("KEY-ACCOUNT CANDIDATE", "DEVELOP", "MAINTAIN", "STANDARD"):
        assert q in texts
    t = pf.attrs["thresholds"]
    assert f"threshold {_fmt_eur(t['importance'])}" in texts
    top = (pf["importance"] + pf["potential_value"]).nlargest(5).index
    assert {f"Kunde {cid[-2:]} Maschinenbau" for cid in top} <= set(texts)  # legal form dropped
    legend = legend_texts(fig)
    assert any(s.startswith("key-account candidate (") for s in legend)
    assert not any(s.startswith("key account") for s in legend)
    fig.savefig(__import__("io").BytesIO(), format="png")  # renders without error


def test_portfolio_matrix_marks_key_accounts_in_the_legend(pf):
    kas = list(pf.index[[0, 5, 9]])
    fig = portfolio_matrix(pf, key_accounts=kas, label_top=0)
    assert "key account (3)" in legend_texts(fig)
    rings = [c for c in fig.axes[0].collections if len(c.get_offsets()) == 3]
    assert len(rings) == 1


def test_portfolio_matrix_rejects_unknown_key_accounts(pf):
    with pytest.raises(ValueError, match="unknown ids 'NOPE'"):
        portfolio_matrix(pf, key_accounts=["K0001", "NOPE"])


def test_portfolio_matrix_scales_long_tails_logarithmically(pf):
    fig = portfolio_matrix(pf, label_top=0)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_yscale() == "symlog"  # three customers with no potential are drawn at 0
    assert ax.get_ylim()[0] < 0 < ax.get_ylim()[1]
    linear = portfolio_matrix(pf, label_top=0, scale="linear").axes[0]
    assert (linear.get_xscale(), linear.get_yscale()) == ("linear", "linear")


def test_portfolio_matrix_draws_on_a_given_axes_and_by_revenue(pf):
    fig = Figure(figsize=(14, 6))
    left, right = fig.subplots(1, 2)
    assert portfolio_matrix(pf, ax=right, size="revenue", label_top=2) is fig
    assert len(fig.axes) == 2 and right.get_title() == "Customer portfolio"
    assert not left.collections


def test_portfolio_matrix_needs_a_portfolio(pf):
    bare = pf.copy()
    bare.attrs = {}
    with pytest.raises(ValueError, match="attrs\\['thresholds'\\]"):
        portfolio_matrix(bare)
    with pytest.raises(ValueError, match="without 'quadrant'"):
        portfolio_matrix(pf.drop(columns="quadrant"))


def test_concentration_chart_marks_the_customers_that_make_80_percent():
    revenue = pd.Series([50, 30, 10, 5, 5], index=list("vwxyz"))
    fig = concentration_chart(concentration_curve(revenue))
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == "Revenue concentration"
    texts = [t.get_text() for t in ax.texts]
    assert "2 of 5 customers (40%)\nmake 80% of revenue" in texts
    assert any("Gini coefficient 0.4" in t for t in texts)  # gini([50, 30, 10, 5, 5]) = 0.42
    assert "every customer the same revenue" in legend_texts(fig)


def test_concentration_chart_on_a_given_axes(pf):
    fig = Figure()
    ax = fig.add_subplot()
    assert concentration_chart(concentration_curve(pf["revenue"]), ax=ax, line=0.5) is fig
    assert any("make 50% of revenue" in t.get_text() for t in ax.texts)
    with pytest.raises(ValueError, match="result of concentration_curve"):
        concentration_chart(pd.DataFrame({"x": [0, 1]}))


def test_style_is_scoped_to_the_chart():
    before = matplotlib.rcParams["font.size"]
    with _style():
        assert matplotlib.rcParams["font.size"] == 14
    assert matplotlib.rcParams["font.size"] == before
