"""Charts (kamopt.present.portfolio_charts, .plan_charts, .style): structure, labels and
legends; no pixel comparison."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from kamopt.analysis.portfolio import concentration_curve, portfolio  # noqa: E402
from kamopt.present.portfolio_charts import concentration_chart, portfolio_matrix  # noqa: E402
from kamopt.present.style import _fmt_eur, _style  # noqa: E402


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


def label_geometry(fig: Figure):
    """The drawn bubbles (pixel centres, radii), and each name label's box and leader line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    filled = [c for c in ax.collections if len(c.get_facecolors())]  # not the key-account rings
    centres = np.vstack([ax.transData.transform(c.get_offsets()) for c in filled])
    radii = np.concatenate([np.sqrt(np.broadcast_to(c.get_sizes(), len(c.get_offsets())) / np.pi)
                            for c in filled]) * fig.dpi / 72
    labels = []
    for t in ax.texts:
        if getattr(t, "arrow_patch", None) is None:
            continue  # quadrant names, thresholds
        own = int(np.argmin(np.hypot(*(centres - ax.transData.transform(t.xy)).T)))
        path = t.arrow_patch.get_transform().transform_path(t.arrow_patch.get_path())
        labels.append((t.get_text(), own, Text.get_window_extent(t, renderer),
                       path.vertices[[0, -1]]))
    return ax.get_window_extent(renderer), centres, radii, labels


def distance_to_segment(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = b - a
    t = np.clip(((points - a) @ d) / max(float(d @ d), 1e-12), 0, 1)
    return np.hypot(*(a + t[:, None] * d - points).T)


def assert_labels_clear_of_the_cluster(fig: Figure) -> None:
    """No leader line runs through another customer's bubble; labels in the axes, apart."""
    frame, centres, radii, labels = label_geometry(fig)
    assert labels
    for name, own, box, (a, b) in labels:
        near = distance_to_segment(centres, a, b) < 0.8 * radii
        near[own] = False
        assert not near.any(), f"the leader of {name!r} runs through {near.sum()} other bubbles"
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
    boxes = [box for _, _, box, _ in labels]
    for i, one in enumerate(boxes):
        assert not any(one.overlaps(other) for other in boxes[i + 1:]), labels[i][0]


def test_portfolio_labels_keep_their_leaders_off_the_cluster(pf):
    """The sample company's chart (notebook 01, the report) and a long-tailed one: each label's
    leader line goes to the free side, not across other customers' bubbles."""
    from kamopt.case.io import load_case

    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    assert_labels_clear_of_the_cluster(portfolio_matrix(portfolio(load_case(root / "data" / "sample"))))
    assert_labels_clear_of_the_cluster(portfolio_matrix(pf))


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


# -- plan charts ------------------------------------------------------------------

from kamopt.present.plan_charts import (  # noqa: E402
    _fmt_eur1,
    bridge_chart,
    comparison_chart,
    department_load,
    manager_utilisation,
)


def plan_managers() -> pd.DataFrame:
    return pd.DataFrame(
        {"name": ["Dr. Anna Chef", "Bernd Kam", "Carla Kam"],
         "role": ["executive", "kam", "kam"],
         "capacity": [200.0, 1_400.0, 1_000.0], "hours_used": [150.0, 1_400.0, 500.0]},
        index=pd.Index(["M01", "M02", "M03"], name="manager_id"))


def bars(ax) -> list:
    return [p for p in ax.patches if abs(p.get_width()) > 0 and abs(p.get_height()) > 0]


def subtitle(ax) -> str:
    return next(t.get_text() for t in ax.texts if t.get_gid() == "subtitle")


def test_manager_utilisation_draws_a_bar_per_manager_with_capacity_and_executives():
    fig = manager_utilisation(plan_managers())
    ax = fig.axes[0]
    assert ax.get_title() == "Manager utilisation"
    assert [round(b.get_width()) for b in bars(ax)] == [150, 1_400, 500]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "M01  Dr. Anna Chef  (exec.)" and labels[1] == "M02  Bernd Kam"
    assert [t.get_text() for t in ax.texts if t.get_text().endswith("%")] == ["75%", "100%", "50%"]
    assert subtitle(ax) == "hours used by the plan vs capacity: 2,050 of 2,600 h (79%)"
    assert {"executive", "capacity"} <= set(legend_texts(fig))
    assert bars(ax)[0].get_facecolor() != bars(ax)[1].get_facecolor()
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_manager_utilisation_shows_the_busiest_of_many():
    m = pd.concat([plan_managers()] * 20)
    m.index = [f"M{i:03d}" for i in range(len(m))]
    ax = manager_utilisation(m, top=10).axes[0]
    assert len(ax.get_yticklabels()) == 10
    assert "the 10 busiest of 60 managers" in subtitle(ax)


@pytest.mark.parametrize("n", [3, 40, 120])
def test_the_subtitle_sits_under_the_title_whatever_the_chart_height(n):
    """40 managers (a report of 1,000 x 40) made the chart tall, and a subtitle placed at a
    fraction of the axes' height rose into the title."""
    m = pd.concat([plan_managers()] * (n // 3))
    m.index = [f"M{i:03d}" for i in range(len(m))]
    fig = manager_utilisation(m, top=n)
    ax = fig.axes[0]
    fig.canvas.draw()
    sub = next(t for t in ax.texts if t.get_gid() == "subtitle").get_window_extent()
    title = ax.title.get_window_extent()
    plot = ax.get_window_extent()
    assert plot.y1 <= sub.y0 and sub.y1 <= title.y0, (plot, sub, title)


def test_department_load_compares_used_with_capacity():
    d = pd.DataFrame({"capacity": [920.0, 390.0], "hours_used": [460.0, 390.0]},
                     index=pd.Index(["Logistik", "Schulung"], name="department"))
    fig = department_load(d)
    ax = fig.axes[0]
    assert ax.get_title() == "Department load"
    assert "460 of 920 h (50%)" in [t.get_text() for t in ax.texts]
    assert sorted(round(b.get_width()) for b in bars(ax)) == [390, 390, 460, 920]
    fig.draw_without_rendering()  # every label inside the axes, the axis no wider than needed
    frame = ax.get_window_extent()
    ends = [t.get_window_extent().x1 for t in ax.texts if t.get_text().endswith("%)")]
    assert len(ends) == 2 and max(ends) <= frame.x1 and max(ends) >= frame.x1 - 0.1 * frame.width
    with pytest.raises(ValueError, match="plan.departments"):
        department_load(d.iloc[:0])


def test_bridge_chart_steps_add_up_to_the_end():
    br = pd.DataFrame({"step": ["rule", "dropped", "added", "levels", "optimised plan"],
                       "amount": [5e6, -0.5e6, 2e6, 0.7e6, 7.2e6],
                       "kind": ["total", "change", "change", "change", "total"]})
    ax = bridge_chart(br).axes[0]
    bs = bars(ax)
    assert len(bs) == 5
    # each change bar starts where the running total stands
    assert [round(b.get_y() + (b.get_height() if b.get_height() < 0 else 0)) for b in bs[1:4]] == [
        4_500_000, 4_500_000, 6_500_000]
    assert round(bs[-1].get_height()) == 7_200_000
    texts = [t.get_text() for t in ax.texts]
    assert {"5.0 M€", "−500 k€", "+2.0 M€", "+700 k€", "7.2 M€"} <= set(texts)
    assert "5.0 M€ → 7.2 M€, +2.2 M€ (+44%)" in subtitle(ax)
    with pytest.raises(ValueError, match="start and end with a 'total'"):
        bridge_chart(br.iloc[:-1])


def test_comparison_chart_highlights_the_optimised_plan():
    t = pd.DataFrame({"net": [10e6, 4e6], "key_accounts": [120, 70],
                      "uplift_pct": [0.0, 1.5]}, index=pd.Index(["optimised", "today"], name="plan"))
    ax = comparison_chart(t).axes[0]
    texts = [x.get_text() for x in ax.texts]
    assert "10.0 M€ · 120 key accounts" in texts and "4.0 M€ · 70 key accounts · optimised +150%" in texts
    b = bars(ax)
    assert b[0].get_facecolor() != b[1].get_facecolor()


@pytest.mark.parametrize("net, uplift", [
    ([10.0e6, 3.9e6, 3.4e6, 5.8e6], [0.0, 1.55, 1.98, 0.73]),  # the sample's plan and rules
    ([10.0e6, 9.9e6, 2.0e6], [0.0, 0.01, 4.0]),  # a rule of thumb nearly as good: a long label
    ([2.0e6, -0.3e6], [0.0, float("inf")]),  # a rule that loses money
])
def test_comparison_chart_fits_the_bars_and_their_labels(net, uplift):
    """The x axis ends just after the furthest label: no label outside, no empty third."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    t = pd.DataFrame({"net": net, "key_accounts": [120] * len(net), "uplift_pct": uplift},
                     index=pd.Index(["optimised", *(f"rule {i}" for i in range(1, len(net)))],
                                    name="plan"))
    fig = comparison_chart(t)
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    frame = ax.get_window_extent()
    ends = [x.get_window_extent().x1 for x in ax.texts if "key accounts" in x.get_text()]
    assert len(ends) == len(net)
    assert max(ends) <= frame.x1  # every label inside the axes
    assert frame.x1 - max(ends) < 0.04 * frame.width  # and the axis no longer than they need
    assert ax.get_xlim()[1] >= max(net)


def test_fmt_eur1_is_precise_enough_for_totals():
    assert _fmt_eur1(10_106_857) == "10.1 M€" and _fmt_eur1(-44_398) == "−44 k€"



def test_manager_utilisation_marks_minimum_workloads_and_small_hours():
    from pathlib import Path

    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb

    import kamopt
    from kamopt.case.published import pfizer_scenario, pfizer_turkey, read_pfizer_turkey
    from kamopt.present.style import PALETTE

    folder = Path(__file__).resolve().parents[1] / "data" / "validation" / "pfizer_turkey"
    p = kamopt.plan(pfizer_turkey(read_pfizer_turkey(folder / "pfizer_turkey_22x4.csv")),
                    pfizer_scenario())

    def minimum_ticks(ax) -> list:
        return [c for c in ax.collections
                if np.allclose(c.get_facecolor()[0][:3], to_rgb(PALETTE["vermillion"]))]

    fig = manager_utilisation(p.managers)
    ax = fig.axes[0]
    assert subtitle(ax) == "hours used by the plan vs capacity: 4 of 4.8 h (83%)"
    (ticks,) = minimum_ticks(ax)
    assert np.allclose(ticks.get_offsets()[:, 0], 0.8)
    assert "minimum workload" in legend_texts(fig)
    plt.close(fig)
    fig = manager_utilisation(plan_managers())  # no minimums: no ticks, no legend entry
    assert not minimum_ticks(fig.axes[0]) and "minimum workload" not in legend_texts(fig)
    plt.close(fig)


def test_a_bridge_of_nothing_draws_without_a_warning():
    """No key accounts and no rule: every step 0 (the identical y limits warned in the report)."""
    import warnings

    br = pd.DataFrame({"step": ["rule", "dropped", "optimised plan"], "amount": [0.0, 0.0, 0.0],
                       "kind": ["total", "change", "total"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = bridge_chart(br).axes[0]
    lo, hi = ax.get_ylim()
    assert hi > lo
