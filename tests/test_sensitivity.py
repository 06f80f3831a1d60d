"""Sensitivity sweeps: each plan is its value's optimum, the core and swing sets follow from
the plans, the optimum moves the way economics says, and bad input is refused clearly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_plan import small_cases

import kamopt
from kamopt.analysis.sensitivity import Grid, Sweep, grid, sweep
from kamopt.case.io import save_case
from kamopt.case.sample import make_case
from kamopt.case.scenario import Scenario
from kamopt.cli import main
from kamopt.errors import ScenarioError
from kamopt.present.sweep_charts import grid_chart, sweep_chart
from kamopt.testing import brute_force, tiny_case


@pytest.fixture(scope="module")
def case():
    return make_case(customers=40, managers=3, seed=4)


def test_each_plan_is_the_optimum_of_its_value_and_core_and_swing_follow(case):
    sc = Scenario(name="s", mip_gap=0.0)
    values = [0.1, 0.3, 0.6]
    sw = sweep(case, sc, "realization", values)
    kas = []
    for v, row in zip(values, sw.table.itertuples(), strict=True):
        p = kamopt.plan(case, sc.replace(realization=v))
        assert row.objective == pytest.approx(p.objective, rel=1e-9)
        assert row.key_accounts == p.kpis["key_accounts"]
        kas.append(set(p.accounts.index[p.accounts["key_account"] == 1]))
    for p in sw.plans:
        p.verify()
    assert set(sw.core) == set.intersection(*kas)
    assert set(sw.swing.index) == set.union(*kas) - set.intersection(*kas)
    assert set(sw.selection.index) == set.union(*kas)
    assert len(sw.swing) > 0  # the values are far enough apart for the selection to move
    for cid, r in sw.swing.iterrows():
        assert r.in_plans == sum(cid in k for k in kas) and r.of == 3
    # the selection shows each plan's level, "" where not a key account
    for v, p in zip(values, sw.plans, strict=True):
        acc = p.accounts.reindex(sw.selection.index)
        expect = acc["level"].where(acc["key_account"] == 1, "")
        assert (sw.selection[v] == expect).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases(), st.sampled_from(["realization", "retention", "capacity_scale"]))
def test_more_realised_retained_or_available_never_earns_less(drawn, parameter):
    """Each of these parameters only raises objective coefficients or loosens rows, so the
    optimum cannot fall as it rises; at gap 0 every value agrees with brute force."""
    case, sc = drawn
    values = [0.2, 0.5, 1.0]
    try:
        sw = sweep(case, sc, parameter, values)
    except kamopt.errors.InfeasibleError:
        return
    planned = sw.table[sw.table["status"] != "infeasible"]
    if parameter == "capacity_scale":  # less capacity may make a scenario infeasible, not more
        st_ = sw.table["status"].tolist()
        assert "infeasible" not in st_[st_.index("optimal"):] if "optimal" in st_ else True
    obj = planned["objective"].to_numpy(float)
    assert (np.diff(obj) >= -1e-6 * np.maximum(1.0, np.abs(obj[:-1]))).all(), sw.table
    for v, p in zip(sw.table["value"], sw.plans, strict=True):
        best = brute_force(case, sc.replace(**{parameter: v}))
        if p is None:
            assert best is None
        else:
            assert p.objective == pytest.approx(best, rel=1e-6, abs=1e-6)


def test_a_value_that_cannot_be_met_is_explained_and_the_others_are_planned():
    customers = [dict(customer_id="A", revenue=0, margin=0.1, potential=300_000, kam_hours=70,
                      status="must"),
                 dict(customer_id="B", revenue=0, margin=0.1, potential=300_000, kam_hours=70)]
    managers = [dict(manager_id="M1", capacity_hours=200, hourly_cost=100)]
    case = tiny_case(customers, managers)
    sc = Scenario(mip_gap=0.0)
    sw = sweep(case, sc, "budget", [1_000.0, 5_000.0, 20_000.0])
    assert sw.table["status"].tolist()[0] == "infeasible"
    assert "budget" in sw.table["reason"].iloc[0]
    assert sw.plans[0] is None and sw.planned == [5_000.0, 20_000.0]
    assert sw.table["key_accounts"].tolist()[1:] == [1, 2]
    assert list(sw.core) == ["A"] and list(sw.swing.index) == ["B"]
    text = sw.summary_text()
    assert "\n1 k€: no plan.\n  The scenario cannot be met" in text
    one = sweep(case, sc, "budget", [1_000.0, 5_000.0]).summary_text()
    assert "One value has a plan (1 key account): nothing to compare it with." in one
    assert "depends on" not in one and "in every plan" not in one
    assert "Key accounts in every plan (2 of 3 values planned): 1. This selection holds" in text
    assert "  B: in 1 of 2, at 20 k€" in text


def test_in_out_and_in_again_is_flagged_as_possibly_the_solvers_tolerance():
    values = [0.1, 0.2, 0.3, 0.4]
    sel = pd.DataFrame({0.1: ["standard", "", "light"], 0.2: ["", "light", "light"],
                        0.3: ["standard", "light", "light"], 0.4: ["", "", "light"]},
                       index=pd.Index(["K1", "K2", "K3"], name="customer_id"))
    table = pd.DataFrame({"value": values, "status": "optimal", "mip_gap": 0.0,
                          "objective": 1.0, "bound": 1.0, "key_accounts": 2, "hours_used": 1.0,
                          "hours_available": 1.0, "cost": 1.0, "value_from_potential": 1.0,
                          "value_from_retention": 0.0, "reason": ""})
    sw = Sweep("realization", Scenario(), table, sel, [object()] * 4)
    assert list(sw.core) == ["K3"]
    assert sw.swing["flicker"].to_dict() == {"K1": True, "K2": False}
    assert sw.swing.loc["K1", "in_at"] == "10%, 30%"
    assert "1 of them goes in, out and in again as realization rises" in sw.summary_text()


@pytest.mark.parametrize("parameter, values, message", [
    ("margin", [0.1], "cannot be varied; one of realization"),
    ("realization", [], "give at least one value"),
    ("realization", [0.2, 0.2], "got 0.2; is given twice"),
    ("realization", [0.2, -0.1], "column 'realization': got -0.1"),
    ("max_key_accounts", [3.5], "must be a whole number"),
])
def test_bad_input_is_refused_with_what_was_expected(case, parameter, values, message):
    with pytest.raises(ScenarioError, match=message):
        sweep(case, Scenario(), parameter, values)


def test_the_command_line_prints_the_sweep_and_writes_chart_and_workbook(case, tmp_path, capsys):
    folder = save_case(case, tmp_path / "case")
    png, book = tmp_path / "s.png", tmp_path / "s.xlsx"
    code = main(["sensitivity", str(folder), "--param", "realization", "--values", "0.1", "0.3",
                 "0.6", "--mip-gap", "0", "--chart", str(png), "--excel", str(book)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Sensitivity to realization (share of a key account's potential")
    assert "Key accounts in every plan (3 of 3 values planned):" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    sheets = pd.read_excel(book, sheet_name=None)
    assert list(sheets) == ["Plans", "Selection", "Swing"]
    assert sheets["Plans"]["Share of potential realised (%)"].tolist() == [0.1, 0.3, 0.6]
    assert list(sheets["Selection"].columns) == [
        "Customer ID", "Customer name", "Coverage level at 10%", "Coverage level at 30%",
        "Coverage level at 60%"]
    # bad input: exit 2 and nothing written
    for args, said in ((["--param", "realization", "--values", "0.2", "0.2"], "is given twice"),
                       (["--param", "realization", "--values", "0.2", "--chart",
                         str(tmp_path / "x.jpg")], "expected the name of a file ending in .png")):
        assert main(["sensitivity", str(folder), *args]) == 2
        assert said in capsys.readouterr().err
    assert not (tmp_path / "x.jpg").exists()


def test_the_chart_shows_the_swing_customers(case):
    sw = sweep(case, Scenario(mip_gap=0.0), "realization", [0.1, 0.3, 0.6])
    fig = sweep_chart(sw)
    top, bottom = fig.axes[:2]
    assert [t.get_text() for t in top.get_xticklabels()] == ["10%", "30%", "60%"]
    names = case.customers["name"]
    labels = [t.get_text() for t in bottom.get_yticklabels()]
    assert len(labels) == min(30, len(sw.swing))
    for label, cid in zip(labels, sw.swing.index, strict=False):  # id and name, cut at 28
        full = f"{cid} {names[cid]}"
        assert label == full if len(full) <= 28 else label == full[:27] + "…"
    assert f"{len(sw.core)} key accounts are in every plan" in "".join(
        t.get_text() for t in top.texts + fig.texts + [top.title])
    # a level has the same colour in every chart: light pale, standard mid, intensive dark
    from matplotlib.colors import to_hex

    from kamopt.present.sweep_charts import _LEVEL_COLORS

    legend = bottom.get_legend()
    shown = {t.get_text(): to_hex(h.get_facecolor()) for t, h in
             zip(legend.get_texts(), legend.legend_handles, strict=True)}
    levels = [lv.name for lv in sw.scenario.levels]
    assert {k for k in shown if k in levels}, shown
    for name, color in shown.items():
        if name in levels:
            assert color == to_hex(_LEVEL_COLORS[levels.index(name)]), (name, color)


def test_a_plan_already_made_is_used_as_it_is_and_must_be_the_sweeps(case):
    sc = Scenario(name="s", mip_gap=0.0)
    p = kamopt.plan(case, sc.replace(realization=0.3))
    sw = sweep(case, sc, "realization", [0.2, 0.3], known={0.3: p})
    assert sw.plans[1] is p
    assert sw.table["objective"].iloc[1] == p.objective
    with pytest.raises(ValueError, match="plan for realization = 0.4 whose scenario is not"):
        sweep(case, sc, "realization", [0.2, 0.4], known={0.4: p})
    with pytest.raises(ValueError, match="whose scenario is not the sweep's at that value"):
        sweep(case, sc.replace(retention=0.1), "realization", [0.3], known={0.3: p})


# --------------------------------------------------------------- two at once
def test_each_cell_of_a_grid_is_the_optimum_of_its_combination(case):
    sc = Scenario(name="g", mip_gap=0.0)
    g = grid(case, sc, "realization", [0.1, 0.4], "capacity_scale", [0.5, 1.0, 1.5])
    assert list(g.table.columns[:3]) == ["realization", "capacity_scale", "status"]
    assert len(g.table) == 6 and g.pivot().shape == (2, 3)
    kas = []
    for r in g.table.itertuples(index=False):
        p = kamopt.plan(case, sc.replace(realization=r.realization, capacity_scale=r.capacity_scale))
        assert r.objective == pytest.approx(p.objective, rel=1e-9)
        assert g.pivot("key_accounts").at[r.realization, r.capacity_scale] == p.kpis["key_accounts"]
        kas.append(set(p.accounts.index[p.accounts["key_account"] == 1]))
    assert set(g.core) == set.intersection(*kas)
    assert set(g.swing.index) == set.union(*kas) - set.intersection(*kas)
    assert all(r.in_plans == sum(cid in k for k in kas) for cid, r in g.swing.iterrows())
    # more hours never earn less; more realised never earns less
    obj = g.pivot()
    assert (obj.diff(axis=1).iloc[:, 1:] >= -1e-6).all().all()
    assert (obj.diff(axis=0).iloc[1:] >= -1e-6).all().all()


def test_a_combination_that_cannot_be_met_is_explained_and_the_others_are_planned():
    customers = [dict(customer_id="A", revenue=0, margin=0.1, potential=300_000, kam_hours=70,
                      status="must"),
                 dict(customer_id="B", revenue=0, margin=0.1, potential=300_000, kam_hours=70)]
    case = tiny_case(customers, [dict(manager_id="M1", capacity_hours=200, hourly_cost=100)])
    g = grid(case, Scenario(mip_gap=0.0), "budget", [1_000.0, 20_000.0],
             "capacity_scale", [0.3, 1.0])
    st_ = g.pivot("status")
    assert (st_.loc[1_000.0] == "infeasible").all() and (st_.loc[20_000.0] != "infeasible").all()
    assert g.planned == [(20_000.0, 0.3), (20_000.0, 1.0)]
    text = g.summary_text()
    assert "budget 1 k€, capacity_scale 30%: no plan.\n  The scenario cannot be met" in text
    assert text.split("Key accounts:")[1].split("\n")[3].split() == ["1", "k€", "no", "plan",
                                                                     "no", "plan"]
    # capacity 30% (60 h) carries A's 35 h light level only; 100% carries B too
    assert list(g.core) == ["A"]
    assert g.swing.loc["B"].tolist() == [1, 2, "at capacity_scale 100%"]  # of the plans made
    assert "  B: in 1 of 2, at capacity_scale 100%" in text


def test_the_grid_says_where_a_customer_is_in_in_the_shorter_words():
    keys = [(a, b) for a in (0.2, 0.3) for b in (0.9, 1.0, 1.1)]
    g = Grid(("realization", "capacity_scale"), Scenario(), pd.DataFrame(), pd.DataFrame(),
             dict.fromkeys(keys, object()))

    def where(*cells):
        return g._where(np.array([k in cells for k in keys]))

    assert where((0.2, 1.1), (0.3, 1.1)) == "at capacity_scale 110%"  # a whole column
    assert where((0.3, 0.9), (0.3, 1.0), (0.3, 1.1)) == "at realization 30%"  # a whole row
    assert where(*[k for k in keys if k != (0.2, 0.9)]) == "not at 20% / 90%"
    assert where((0.2, 0.9)) == "at 20% / 90%"
    assert where((0.2, 0.9), (0.3, 1.0), (0.2, 1.1)) == "at 20% / 90%, 20% / 110%, 30% / 100%"


def test_the_command_line_plans_a_grid_and_draws_it(case, tmp_path, capsys):
    folder = save_case(case, tmp_path / "case")
    png, book = tmp_path / "g.png", tmp_path / "g.xlsx"
    code = main(["sensitivity", str(folder), "--param", "realization", "--values", "0.1", "0.4",
                 "--param2", "capacity_scale", "--values2", "0.5", "1", "--mip-gap", "0",
                 "--chart", str(png), "--excel", str(book)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Sensitivity to realization (share of a key account's potential")
    assert "and capacity_scale (share of every manager's hours" in out and ": 4 plans." in out
    assert "Net contribution, EUR a year:" in out and "realization \\ capacity_scale" in out
    assert "Key accounts in every plan (4 of 4 combinations planned):" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    sheets = pd.read_excel(book, sheet_name=None)
    assert list(sheets) == ["Plans", "Net contribution", "Key accounts", "Selection", "Swing"]
    hours = "Share of the managers' hours available (%)"
    assert list(sheets["Net contribution"].columns) == [
        "Share of potential realised (%)", f"{hours}: 50%", f"{hours}: 100%"]
    assert sheets["Net contribution"]["Share of potential realised (%)"].tolist() == ["10%",
                                                                                      "40%"]
    assert list(sheets["Selection"].columns)[2:] == [
        f"Coverage level at {c}" for c in ("10% / 50%", "10% / 100%", "40% / 50%", "40% / 100%")]
    for args, said in ((["--param2", "realization", "--values2", "0.2"], "must differ"),
                       (["--param2", "budget"], "--param2 and --values2 go together"),
                       (["--values2", "0.3"], "--param2 and --values2 go together")):
        assert main(["sensitivity", str(folder), "--param", "realization", "--values", "0.3",
                     "--chart", str(tmp_path / "bad.png"), *args]) == 2
        assert said in capsys.readouterr().err
    assert not (tmp_path / "bad.png").exists()


def test_the_grid_chart_writes_every_cell(case):
    g = grid(case, Scenario(mip_gap=0.0), "realization", [0.1, 0.4], "capacity_scale", [0.5, 1.0])
    fig = grid_chart(g)
    texts = [t.get_text() for t in fig.axes[0].texts if "\n" in t.get_text()]  # not the subtitle
    assert len(texts) == 4 and all(t.endswith(" key accounts") for t in texts)
    assert f"{int(g.pivot('key_accounts').iat[0, 0])} key accounts" in texts[0]


def test_a_grid_of_equal_plans_is_drawn_light_with_dark_text(case):
    """Every cell equal (no plan has a key account): the darkest blue under dark text before."""
    from matplotlib.colors import to_rgb

    c = case.customers.assign(status="exclude")
    nobody = kamopt.case.tables.Case(customers=c, managers=case.managers, activities=case.activities,
                              departments=case.departments, responses=case.responses)
    g = grid(nobody, Scenario(mip_gap=0.01), "realization", [0.1, 0.4], "capacity_scale",
             [0.5, 1.0])
    assert (g.table["objective"] == 0).all()
    fig = grid_chart(g)
    mesh = fig.axes[0].collections[0]
    face = mesh.to_rgba(mesh.get_array()).reshape(-1, 4)[0][:3]  # the first cell's colour
    assert sum(face) / 3 > 0.6  # light
    texts = [t for t in fig.axes[0].texts if "\n" in t.get_text()]
    assert all(sum(to_rgb(t.get_color())) / 3 < 0.5 for t in texts)  # dark text on it


def test_decisions_that_pay_are_said_to_gain_not_to_cost_nothing(tmp_path):
    """A fixed lead of an excluded customer: without it the plan earns less."""
    from kamopt.analysis.sensitivity import lead_costs

    case = make_case(customers=12, managers=3, seed=4)
    c = case.customers.copy()
    c["status"] = "exclude"
    case = kamopt.case.tables.Case(customers=c, managers=case.managers, activities=case.activities,
                            departments=case.departments, responses=case.responses)
    m = case.managers.index[case.managers["seniority"] >= c["tier"].iloc[0]][0]
    sc = Scenario(mip_gap=0.0, leads=((c.index[0], m),))
    text = lead_costs(case, sc).summary_text()
    assert "gains " in text and "costs nothing" not in text, text
