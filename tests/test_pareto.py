"""The front of net contribution (or pair cost) against disruption (kamopt.analysis.pareto,
``kamopt pareto``), checked against the Pfizer Turkey case's published figures and against
an epsilon-constraint model written here, independent of kamopt's model.

Every plan is exact (``mip_gap`` 0) under work budgets only: no assertion depends on the clock.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pulp
import pytest

from kamopt.analysis.pareto import caps_between, dominated, pareto_front
from kamopt.case.published import PFIZER_FIGURES, pfizer_scenario, pfizer_turkey, read_pfizer_turkey
from kamopt.case.scenario import Level, Scenario
from kamopt.cli import main
from kamopt.planning.batch import Runner
from kamopt.testing import tiny_case

FOLDER = Path(__file__).resolve().parents[1] / "data" / "validation" / "pfizer_turkey"
EXACT = dict(mip_gap=0.0, node_limit=100_000, time_limit=600.0)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return read_pfizer_turkey(FOLDER / "pfizer_turkey_22x4.csv")


@pytest.fixture(scope="module")
def front(table):
    case = pfizer_turkey(table, "distance")  # no weight: the distance alone
    return pareto_front(case, pfizer_scenario().replace(**EXACT), points=20, measure="hours",
                        objective="pair_cost", runner=Runner(workers=0))


class Territory:
    """The case as its authors state it, a model of its own (PuLP, CBC): assign each brick to
    one representative, workloads within [0.8, 1.2], disruption (the index of the bricks
    that change representative) at most ``cap``; minimise the total distance (or, with
    ``least_disruption``, the disruption, the distance at most ``max_distance``)."""

    def __init__(self, table: pd.DataFrame):
        self.reps = [c for c in table.columns if c.startswith("d_SR")]
        self.rows = table.reset_index(drop=True)

    def solve(self, cap: float | None = None, max_distance: float | None = None,
              least_disruption: bool = False) -> tuple[float, float]:
        t, reps = self.rows, self.reps
        prob = pulp.LpProblem("territory", pulp.LpMinimize)
        x = {(b, r): pulp.LpVariable(f"x_{b}_{r}", cat="Binary")
             for b in t.index for r in range(len(reps))}
        dist = pulp.lpSum(t.at[b, reps[r]] * x[b, r] for b, r in x)
        moved = pulp.lpSum(t.at[b, "index_value"] * (1 - x[b, int(t.at[b, "current_SR"]) - 1])
                           for b in t.index)
        prob += moved if least_disruption else dist
        for b in t.index:
            prob += pulp.lpSum(x[b, r] for r in range(len(reps))) == 1
        for r in range(len(reps)):
            load = pulp.lpSum(t.at[b, "index_value"] * x[b, r] for b in t.index)
            prob += load >= 0.8
            prob += load <= 1.2
        if cap is not None:
            prob += moved <= cap + 1e-9
        if max_distance is not None:
            prob += dist <= max_distance + 1e-6
        assert prob.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=0)) == pulp.LpStatusOptimal
        return pulp.value(dist), pulp.value(moved)


def test_the_ends_of_the_front_are_the_published_figures(front):
    t = front.table
    assert t["pair_cost"].iloc[-1] == pytest.approx(PFIZER_FIGURES["min_distance"], abs=5e-3)
    assert t["disruption"].iloc[0] == pytest.approx(PFIZER_FIGURES["min_disruption"], abs=5e-5)
    assert t["pair_cost"].iloc[0] == pytest.approx(PFIZER_FIGURES["distance_at_min_disruption"],
                                                   abs=5e-3)
    assert (t["status"] == "optimal").all() and (t["key_accounts"] == 22).all()
    # net contribution is minus the distance: the two figures trace one front
    assert (t["net_contribution"] == -t["pair_cost"]).all()


def test_the_front_is_monotone_and_has_no_dominated_point(front):
    t = front.table
    assert t["disruption"].is_monotonic_increasing and t["disruption"].is_unique
    assert t["pair_cost"].diff().dropna().lt(0).all()  # each step of disruption buys distance
    assert len(t) >= 12
    assert front.points["dominated"].sum() == len(front.points) - len(t)


def test_every_point_is_optimal_for_its_cap_and_efficient(front, table):
    model = Territory(table)
    for r in front.table.itertuples(index=False):
        best, _ = model.solve(cap=None if r.cap == float("inf") else r.cap)
        assert r.pair_cost == pytest.approx(best, abs=1e-6), r
        # and no plan as short moves less: the point's disruption is the least for its distance
        _, least = model.solve(max_distance=r.pair_cost, least_disruption=True)
        assert r.disruption == pytest.approx(least, abs=1e-9), r


def test_the_independent_front_by_steps_of_the_index_holds_kamopts_points(front, table):
    """The whole front, by the epsilon-constraint method with the smallest step of the index
    (0.0001): kamopt's points are points of it."""
    model = Territory(table)
    full, cap = [], None
    while True:
        dist, moved = model.solve(cap=cap)
        _, moved = model.solve(max_distance=dist, least_disruption=True)
        full.append((round(moved, 4), round(dist, 2)))
        if moved <= PFIZER_FIGURES["min_disruption"] + 1e-9:
            break
        cap = moved - 1e-4
    ours = {(round(d, 4), round(c, 2)) for d, c in zip(front.table["disruption"],
                                                      front.table["pair_cost"], strict=True)}
    assert ours <= set(full)
    assert full[0] == (1.2055, PFIZER_FIGURES["min_distance"])
    assert full[-1] == (PFIZER_FIGURES["min_disruption"],
                        PFIZER_FIGURES["distance_at_min_disruption"])


def _small_case():
    customers = [dict(customer_id=f"K{i}", revenue=r, margin=0.3, potential=p, kam_hours=h,
                      current_manager=cur, status=st)
                 for i, (r, p, h, cur, st) in enumerate([
                     (1e6, 2e6, 80, "M1", "must"), (5e5, 1e6, 60, "M1", ""),
                     (2e6, 3e6, 120, "M2", ""), (4e5, 8e5, 40, "M2", "must"),
                     (1e6, 1e6, 90, "M1", "")])]
    managers = [dict(manager_id="M1", capacity_hours=150, hourly_cost=90),
                dict(manager_id="M2", capacity_hours=200, hourly_cost=120)]
    pair_costs = [dict(customer_id="K2", manager_id="M1", cost=1_000),
                  dict(customer_id="K4", manager_id="M2", cost=20_000)]
    return tiny_case(customers, managers, pair_costs=pair_costs)


def test_the_front_of_a_small_case_is_the_enumerated_one():
    """Every assignment enumerated: the non-dominated (accounts changing hands, net) pairs."""
    case = _small_case()
    sc = Scenario(**EXACT, levels=(Level("standard", 1.0, 1.0),))
    c, m = case.customers, case.managers
    pc = {(i, j): x for i, j, x in zip(case.pair_costs["customer_id"],
                                       case.pair_costs["manager_id"], case.pair_costs["cost"],
                                       strict=True)}
    found = []
    for leads in itertools.product(*[([] if row["status"] == "must" else [None])
                                     + list(m.index) for _, row in c.iterrows()]):
        hours, net, moved = dict.fromkeys(m.index, 0.0), 0.0, 0
        for (cid, row), j in zip(c.iterrows(), leads, strict=True):
            if j is None:
                continue
            hours[j] += row["kam_hours"]
            net += row["margin"] * (sc.realization * row["potential"]
                                    + sc.retention * row["revenue"])
            net -= m.at[j, "hourly_cost"] * row["kam_hours"] + pc.get((cid, j), 0.0)
            moved += row["current_manager"] != j
        if all(hours[j] <= m.at[j, "capacity_hours"] for j in m.index):
            found.append((moved, net))
    t = pd.DataFrame(found, columns=["disruption", "net_contribution"]).assign(status="optimal")
    t = t.drop_duplicates().reset_index(drop=True)
    expected = t[~dominated(t, "net_contribution")].sort_values("disruption")
    f = pareto_front(case, sc, points=10, measure="accounts", runner=Runner(workers=0))
    assert f.table["disruption"].tolist() == expected["disruption"].tolist()
    assert f.table["net_contribution"].to_numpy() == pytest.approx(
        expected["net_contribution"].to_numpy(), abs=1e-6)


def test_caps_between_the_ends():
    assert caps_between(0.0, 1.0, 3) == [0.25, 0.5, 0.75]
    assert caps_between(2, 7, 20, whole=True) == [3.0, 4.0, 5.0, 6.0]
    assert caps_between(1.0, 1.0, 5) == []


def test_the_command_writes_the_front_and_its_chart(tmp_path, capsys):
    out = tmp_path / "front"
    assert main(["pareto", str(FOLDER / "distance"), "--scenario",
                 str(FOLDER / "territory.yml"), "--points", "4", "--measure", "hours",
                 "--objective", "pair_cost", "--out", str(out), "--workers", "0"]) == 0
    written = pd.read_csv(out / "front.csv")
    assert list(written.columns[:6]) == ["disruption", "net_contribution", "pair_cost",
                                         "key_accounts", "status", "gap"]
    assert written["disruption"].iloc[0] == pytest.approx(0.1696)
    assert written["pair_cost"].iloc[-1] == pytest.approx(154.60)
    assert (out / "front.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "front.csv and front.png written to" in capsys.readouterr().out


def test_the_chart_speaks_german(front):
    from kamopt.i18n import language
    from kamopt.present.pareto_chart import pareto_chart

    with language("de"):
        fig = pareto_chart(front)
    ax = fig.axes[0]
    assert ax.get_title() == "Paarkosten gegenüber Managerwechseln"
    assert ax.get_xlabel() == "KAM-Stunden mit Managerwechsel (bei Standardbetreuung)"


@pytest.mark.parametrize("extra, words", [
    (["--measure", "hour"], "invalid choice"),
    (["--points", "-1"], "--points"),
    (["--objective", "distance"], "invalid choice"),
])
def test_bad_arguments_exit_2(tmp_path, capsys, extra, words):
    with pytest.raises(SystemExit) as exc:
        main(["pareto", str(FOLDER / "distance"), "--out", str(tmp_path / "f"), *extra])
    assert exc.value.code == 2
    assert words in capsys.readouterr().err


def test_a_bad_scenario_exits_2_without_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text("max_disruption: {acounts: 3}\n")
    assert main(["pareto", str(FOLDER / "distance"), "--scenario", str(bad), "--out",
                 str(tmp_path / "f"), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert "max_disruption.acounts" in err and "did you mean 'accounts'" in err
    assert "Traceback" not in err and not (tmp_path / "f").exists()
    # a case folder is no place for the front
    assert main(["pareto", str(FOLDER / "distance"), "--out", str(FOLDER / "distance"),
                 "--workers", "0"]) == 2


def test_the_quick_front_without_the_tie_break_keeps_the_published_least_distance(table, front):
    """``tie_break=False`` (notebook 03, ``--no-tie-break``): one solve a point. The least
    distance is the same; its disruption is whatever that plan moves, never less than the
    tie-broken front's (which moves least among the plans of least distance)."""
    case = pfizer_turkey(table, "distance")
    quick = pareto_front(case, pfizer_scenario().replace(**EXACT), points=4, measure="hours",
                         objective="pair_cost", runner=Runner(workers=0), tie_break=False)
    best = quick.points.set_index("point").loc["max net"]
    assert best["pair_cost"] == pytest.approx(PFIZER_FIGURES["min_distance"], abs=5e-3)
    assert best["disruption"] >= front.table["disruption"].iloc[-1] - 1e-9
    assert quick.scenario.tie_break is None and front.scenario.tie_break is not None
