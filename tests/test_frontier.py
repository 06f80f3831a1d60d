"""The capacity frontier: table, break-even, chart, command."""

import argparse

import numpy as np
import pandas as pd
import pytest

from kamopt.analysis.frontier import (
    capacity_frontier,
    median_kam,
    worthwhile_hires,
)
from kamopt.case.scenario import Hire, Level, Scenario
from kamopt.cli.frontier import add_frontier_command
from kamopt.planning.oneyear import plan
from kamopt.present.sweep_charts import frontier_chart
from kamopt.testing import tiny_case

ONE = (Level("standard", 1.0, 1.0),)


def hand_case():
    # three customers needing 100 h each; one manager with 100 h. A hire adds 100 h at
    # 100 EUR/h. Net per account: 0.3 * (0.3 * P + 0.05 * 1e6) - 100 * 100
    customers = [dict(customer_id=k, revenue=1e6, margin=0.3, potential=p, kam_hours=100)
                 for k, p in (("A", 1e6), ("B", 5e5), ("C", 1e5))]
    return tiny_case(customers, [dict(manager_id="M1", capacity_hours=100, hourly_cost=100)])


def test_frontier_by_hand():
    # nets: A 95,000, B 50,000, C 14,000 (0.3*(30,000+50,000) - 10,000)
    case = hand_case()
    t = capacity_frontier(case, Scenario(levels=ONE, mip_gap=1e-6), max_hires=3,
                          hire=Hire(capacity_hours=100, hourly_cost=100, seniority=1),
                          fixed_cost=20_000)
    assert list(t["objective"].round()) == [95_000, 145_000, 159_000, 159_000]
    assert list(t["marginal_value"].round().iloc[1:]) == [50_000, 14_000, 0]
    assert list(t["marginal_net"].round().iloc[1:]) == [30_000, -6_000, -20_000]
    assert list(t["pays"].iloc[1:]) == [True, False, False]
    assert worthwhile_hires(t) == 1
    assert list(t["capacity_hours"]) == [100, 200, 300, 400]


def test_median_kam_ignores_executives():
    case = tiny_case([], [dict(manager_id="E", capacity_hours=100, hourly_cost=300, seniority=3,
                               role="executive"),
                          dict(manager_id="A", capacity_hours=1000, hourly_cost=80, seniority=1),
                          dict(manager_id="B", capacity_hours=1400, hourly_cost=100, seniority=3)])
    h = median_kam(case)
    assert (h.capacity_hours, h.hourly_cost, h.seniority) == (1200.0, 90.0, 2)


def test_frontier_on_a_sample_agrees_with_plan_and_never_falls():
    from kamopt.case.sample import make_case

    case = make_case(customers=60, managers=5, seed=3)
    sc = Scenario(mip_gap=0.005, time_limit=20)
    t = capacity_frontier(case, sc, max_hires=2)
    assert t["objective"].is_monotonic_increasing
    assert (t["status"] == "optimal").all()
    h = median_kam(case)
    prefix = "NEW"
    ref = plan(case, sc.replace(hires=(Hire(2, h.seniority, h.capacity_hours, h.hourly_cost,
                                            prefix=prefix),)))
    assert abs(t.loc[2, "objective"] - ref.objective) <= 0.005 * ref.kpis["bound"] + 1e-6
    assert (t["marginal_min"].iloc[1:] <= t["marginal_value"].iloc[1:] + 1e-6).all()
    assert (t["marginal_value"].iloc[1:] <= t["marginal_max"].iloc[1:] + 1e-6).all()


def test_bad_parameters_are_rejected():
    with pytest.raises(ValueError, match="The 'max_hires' parameter of capacity_frontier"):
        capacity_frontier(hand_case(), max_hires=-1)
    with pytest.raises(ValueError, match="The 'fixed_cost' parameter of capacity_frontier"):
        capacity_frontier(hand_case(), fixed_cost=-5)


def test_worthwhile_hires_when_every_hire_pays():
    assert worthwhile_hires(pd.DataFrame({"marginal_net": [np.nan, 5.0, 1.0]})) == 2


def test_frontier_chart_draws_both_panels(tmp_path):
    t = capacity_frontier(hand_case(), Scenario(levels=ONE, mip_gap=1e-6), max_hires=3,
                          hire=Hire(capacity_hours=100, hourly_cost=100, seniority=1),
                          fixed_cost=20_000)
    fig = frontier_chart(t)
    top, bottom = fig.axes
    assert top.get_title().startswith("Capacity frontier")
    assert len(bottom.patches) == 3
    fig.savefig(tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 10_000


def test_the_frontier_command_prints_the_table(tmp_path, capsys):
    from kamopt.case.io import save_case

    save_case(hand_case(), tmp_path / "case")
    (tmp_path / "s.yml").write_text("levels:\n  - {name: standard, hours_factor: 1.0, "
                                    "realization_factor: 1.0}\nmip_gap: 0.000001\n")
    parser = argparse.ArgumentParser(prog="kamopt")
    add_frontier_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["frontier", str(tmp_path / "case"), "--scenario",
                              str(tmp_path / "s.yml"), "--max-hires", "2"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "145,000" in out and "Hires that pay" in out


@pytest.mark.parametrize("marginal, expected", [
    ([300.0, -5.0], "Hires that pay: 1. Beyond 1 added KAM, one more no longer pays"),
    ([300.0, 120.0], "Hires that pay: all 2 tried; where one more stops paying lies beyond them"),
])
def test_the_printed_verdict_never_contradicts_itself(marginal, expected):
    from kamopt.analysis.frontier import format_table

    n = len(marginal) + 1
    table = pd.DataFrame({
        "hires": range(n), "capacity_hours": [1000.0 * (i + 1) for i in range(n)],
        "objective": [1e6 + 100 * i for i in range(n)], "status": "optimal", "mip_gap": 0.001,
        "key_accounts": 10, "marginal_value": [np.nan, *marginal], "fixed_cost": 0.0,
        "marginal_net": [np.nan, *marginal], "pays": [None, *(m > 0 for m in marginal)]})
    text = format_table(table)
    assert expected in text and "not reached" not in text
