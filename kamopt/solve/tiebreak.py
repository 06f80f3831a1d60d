"""The scenario's ``tie_break``: among the plans within the gap of the best, the one that
moves least (``least_disruption``) or the one with the most even workload
(``least_largest_workload``). Lexicographic and exact, not a weight folded into the
objective.

Solves on the one strategy (:func:`kamopt.solve.strategy.solve_model`), each under its
work budgets, so the answer does not depend on the clock:

1. the usual plan: net contribution ``f1`` against the proven bound ``B1`` (the best
   plan's net lies in ``[f1, B1]``);
2. least disruption: the same rules plus one row, ``net >= floor``, and the objective
   "minimise disruption" in the tie-break's measure (accounts, revenue or hours,
   :func:`kamopt.model.rules.disruption_weights`), proven to :data:`TIE_BREAK_GAP`;
   then, with disruption held at what stage 2 found, the best net again (a plan of the
   usual objective with one more row), so that among the least disruptive plans the
   one with the most net is taken.

``least_largest_workload`` is the same three stages with stage 2 minimising the largest
load (the column ``tie_break_load`` of
:meth:`kamopt.model.rules.RuleBuilder.add_tie_break_load`, at least every manager's load)
and stage 3 holding it (``tie_break_load <= t2``). Its measure: ``utilisation`` (the
default; KAM hours over the manager's capacity in the scenario), ``hours`` (KAM hours, pair
hours factors included), ``revenue`` (of the key accounts led) or ``accounts`` (their
number), over the managers with capacity. Unlike ``balance: {objective:
least_largest_workload}`` (kamopt.solve.lexicographic), which minimises the largest load
first and gives up net for it without limit, the tie-break never goes below the floor:
it is what a planner means by "the most even of the equally good plans".

**"Within the gap of the best"** is the promise every plan makes: its net is within the
scenario's ``mip_gap`` of the proven bound ``B1`` (so within it of the unknown best,
which is at most ``B1``). ``floor`` (:func:`net_floor`) is the least net that keeps this
promise: ``relative_gap(floor, B1) == mip_gap``. With ``mip_gap: 0`` and a proven
stage 1, ``floor`` is the optimum itself: the tie-break then picks among the optimal
plans only. When stage 1 stopped unproven, ``floor`` is at most its plan's net, so the
stage-1 plan always qualifies and stage 2 cannot do worse than it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from kamopt.case.scenario import Scenario
from kamopt.model.linear import INF, LinearModel
from kamopt.model.oneyear import KamModel
from kamopt.model.rules import disruption_weights
from kamopt.solve.backend import Solution, relative_gap
from kamopt.solve.strategy import solve_model

#: the relative gap to which stage 2 proves the least disruption: exact for counts of
#: accounts and for the four decimals of the Pfizer case's hours (the gap is taken
#: against max(|disruption|, 1))
TIE_BREAK_GAP = 1e-6

#: slack of the rows that hold a figure found by an earlier stage, relative
STAGE_SLACK = 1e-7


def net_floor(bound: float, gap: float) -> float:
    """The least net contribution ``f`` with ``relative_gap(f, bound) <= gap``
    (:func:`kamopt.solve.backend.relative_gap`: ``(bound - f) / max(|f|, 1)``).

    >>> round(net_floor(1000.0, 0.01), 4), net_floor(-154.6, 0.0), round(net_floor(-154.6, 0.01), 4)
    (990.099, -154.6, -156.1616)
    >>> net_floor(0.5, 0.01)
    0.49
    """
    if gap <= 0:
        return float(bound)
    candidates = []
    if bound / (1 + gap) >= 1:  # f >= 1: bound - f <= gap f
        candidates.append(bound / (1 + gap))
    if -1 <= bound - gap <= 1:  # |f| <= 1: bound - f <= gap
        candidates.append(bound - gap)
    if gap < 1 and bound / (1 - gap) <= -1:  # f <= -1: bound - f <= -gap f
        candidates.append(bound / (1 - gap))
    return float(min(candidates)) if candidates else float(bound)


def disruption_vector(km: KamModel, measure: str) -> np.ndarray:
    """Disruption in ``measure`` as one coefficient per column of ``km`` (``z`` and ``x``)."""
    wo, wp = disruption_weights(km.data, measure)
    out = np.zeros(km.lp.n_cols)
    out[km.z] = wo
    out[km.x] += wp
    return out


def disruption_of(km: KamModel, values: np.ndarray, measure: str) -> float:
    """What changes hands in ``measure`` in the plan ``values`` of ``km``."""
    v = np.where(np.asarray(values, float) > 0.5, 1.0, 0.0)
    return float(disruption_vector(km, measure) @ v)


def copy_model(lp: LinearModel) -> LinearModel:
    """A copy of ``lp`` to which rows can be added and whose objective can be set, sharing
    the original's arrays (which neither changes)."""
    return dataclasses.replace(
        lp, cols=dict(lp.cols), rows=dict(lp.rows), obj=list(lp.obj), lb=list(lp.lb),
        ub=list(lp.ub), integer=list(lp.integer), row_lo=list(lp.row_lo),
        row_hi=list(lp.row_hi), _i=list(lp._i), _j=list(lp._j), _v=list(lp._v))


def with_row(km: KamModel, name: str, coef: np.ndarray, lo: float = -INF, hi: float = INF,
              objective: np.ndarray | None = None) -> KamModel:
    """``km`` with the row ``lo <= coef @ v <= hi`` and, if given, a new objective."""
    lp = copy_model(km.lp)
    on = np.flatnonzero(coef)
    row = lp.add_rows(name, pd.DataFrame(index=[0]), lo=lo, hi=hi)
    lp.add_coefs(np.full(len(on), row[0]), on, coef[on])
    if objective is not None:
        lp.obj = [np.asarray(objective, float).copy()]
    return dataclasses.replace(km, lp=lp)


def least_of(km: KamModel, scenario: Scenario, coef: np.ndarray, floor: float | None = None,
             *, cancel=None, start: np.ndarray | None = None) -> Solution:
    """Stage 2: the plan of ``km`` with the least ``coef @ v`` whose net is at least ``floor``
    (no such row when None), proven to :data:`TIE_BREAK_GAP` within the scenario's work
    budgets. The solution's ``objective`` and ``bound`` are minus the least (the strategy
    maximises). ``start``: a plan known to meet the rows (stage 1's)."""
    net = km.lp.arrays()["obj"]
    if floor is None:
        km2 = dataclasses.replace(km, lp=copy_model(km.lp))
        km2.lp.obj = [-coef]
    else:
        slack = STAGE_SLACK * max(1.0, abs(floor))
        km2 = with_row(km, "net_floor", net, lo=floor - slack, objective=-coef)
    return solve_model(km2, scenario.replace(mip_gap=TIE_BREAK_GAP), cancel=cancel, start=start)


def least_disruption(km: KamModel, scenario: Scenario, measure: str,
                     floor: float | None = None, *, cancel=None) -> Solution:
    """Stage 2: the plan of ``km`` with the least disruption in ``measure`` whose net is at
    least ``floor`` (no such row when None), proven to :data:`TIE_BREAK_GAP` within the
    scenario's work budgets. The solution's ``objective`` and ``bound`` are minus the
    disruption (the strategy maximises)."""
    return least_of(km, scenario, disruption_vector(km, measure), floor, cancel=cancel)


def best_net_within(km: KamModel, scenario: Scenario, measure: str, limit: float, *,
                    cancel=None) -> Solution:
    """The usual plan of ``km`` with disruption in ``measure`` at most ``limit``."""
    return best_net_held(km, scenario, disruption_vector(km, measure),
                         f"disruption_{measure}_held", limit, cancel=cancel)


def best_net_held(km: KamModel, scenario: Scenario, coef: np.ndarray, name: str, limit: float,
                  *, cancel=None, start: np.ndarray | None = None) -> Solution:
    """Stage 3: the usual plan of ``km`` with ``coef @ v`` at most ``limit`` (row ``name``)."""
    slack = STAGE_SLACK * max(1.0, abs(limit))
    km3 = with_row(km, name, coef, hi=limit + slack)
    return solve_model(km3, scenario, cancel=cancel, start=start)


def largest_load_vector(km: KamModel) -> np.ndarray:
    """The tie-break's largest load (the column ``tie_break_load``) as one coefficient per
    column of ``km``."""
    out = np.zeros(km.lp.n_cols)
    out[km.lp.cols["tie_break_load"].slice] = 1.0
    return out


def largest_load_of(km: KamModel, values: np.ndarray) -> float:
    """The largest load of the plan ``values`` of ``km`` in the tie-break's measure, from the
    rows ``tie_break_load`` (each manager's load, the column ``tie_break_load`` left out:
    its value may lie above the largest load where nothing pressed it down)."""
    rows = km.lp.rows["tie_break_load"]
    if not rows.size:
        return 0.0
    v = snapped(values).copy()
    v[km.lp.cols["tie_break_load"].slice] = 0.0
    loads = km.lp.matrix().tocsr()[rows.slice] @ v
    return float(max(loads.max(), 0.0))


def snapped(values: np.ndarray) -> np.ndarray:
    """``values`` with what is within 1e-6 of a whole number made whole (a solver's 0.9999999
    for a decision that is 1), so that the net is the plan's."""
    v = np.asarray(values, float)
    r = np.round(v)
    return np.where(np.abs(v - r) <= 1e-6, r, v)


def solve_tie_break(km: KamModel, scenario: Scenario, first: Solution, *,
                    cancel=None) -> tuple[Solution, dict]:
    """Stage 2 after the usual plan ``first`` (see the module docs): the solution to read the
    plan from (its ``objective`` the net, its ``bound`` stage 1's, its ``gap`` against it) and
    the stages' figures for the plan's kpis."""
    goal, measure = scenario.tie_break
    if goal == "least_largest_workload":
        return solve_workload_tie_break(km, scenario, first, cancel=cancel)
    net = km.lp.arrays()["obj"]
    f1, b1, floor = stage_one(first, scenario)
    d1 = disruption_of(km, first.values, measure)
    second = least_disruption(km, scenario, measure, floor, cancel=cancel)
    values, d2 = first.values, d1
    if second.ok and disruption_of(km, second.values, measure) < d1 - 1e-9:
        values, d2 = second.values, disruption_of(km, second.values, measure)
    d_bound = -float(second.bound) if second.ok and second.bound is not None else None
    proven = second.ok and second.status == "optimal"
    # among the plans that move no more than that, the best net (never below the floor)
    third = best_net_within(km, scenario, measure, d2, cancel=cancel)
    if third.ok and float(net @ third.values) > float(net @ values) + 1e-9 * max(
            1.0, abs(float(net @ values))) and disruption_of(km, third.values, measure) <= d2 + 1e-9:
        values = third.values
    values = snapped(values)
    sol = _final(first, scenario, net, values, b1, proven, second, third,
                 f"tie-break least_disruption ({measure})")
    figures = {
        "tie_break": f"least_disruption ({measure})",
        "tie_break_stage1_objective": f1,
        "tie_break_stage1_bound": b1,
        "tie_break_stage1_disruption": d1,
        "tie_break_net_floor": floor,
        "tie_break_disruption": disruption_of(km, values, measure),
        "tie_break_disruption_bound": d_bound,
        "tie_break_status": _status(proven, second),
    }
    return sol, figures


def stage_one(first: Solution, scenario: Scenario) -> tuple[float, float, float]:
    """Stage 1's net ``f1``, its proven bound ``B1`` (``f1`` where there is none) and the
    floor of stages 2 and 3: the least net that keeps the scenario's gap to ``B1``, never
    above ``f1`` (so that stage 1's plan always qualifies)."""
    f1 = float(first.objective)
    b1 = float(first.bound) if first.bound is not None and np.isfinite(first.bound) else f1
    return f1, b1, min(net_floor(b1, scenario.mip_gap), f1)


def _status(proven: bool, second: Solution) -> str:
    """What the tie-break's kpi ``tie_break_status`` says of stage 2."""
    return "optimal" if proven else "feasible" if second.ok else "not solved"


def _final(first: Solution, scenario: Scenario, net: np.ndarray, values: np.ndarray, b1: float,
           proven: bool, second: Solution, third: Solution, message: str) -> Solution:
    """The solution to read the plan ``values`` from: its net against stage 1's bound."""
    f2 = float(net @ values)
    gap = relative_gap(f2, b1)
    within = gap <= scenario.mip_gap + 1e-7  # the solver's tolerances on the stages' rows
    stopped = ("gap" if within and proven else first.stopped_by if not within
               else second.stopped_by or "nodes")
    return dataclasses.replace(
        first, objective=f2, bound=b1, gap=gap, values=values,
        status="optimal" if within else "feasible", stopped_by=stopped,
        seconds=first.seconds + second.seconds + third.seconds, message=message)


def solve_workload_tie_break(km: KamModel, scenario: Scenario, first: Solution, *,
                             cancel=None) -> tuple[Solution, dict]:
    """``tie_break: least_largest_workload`` after the usual plan ``first``: stage 2 minimises
    the largest load (``tie_break_load``) with ``net >= floor``, proven to
    :data:`TIE_BREAK_GAP` (relative to ``max(largest load, 1)``: for utilisation an absolute
    gap in shares of capacity); stage 3 the best net with the largest load held at stage 2's.
    Stage 1's plan meets stage 2's rows and stage 2's plan stage 3's, so neither does worse.
    The figures: the largest load of stage 1's plan and of the plan taken, stage 2's bound on
    it, the floor."""
    _, measure = scenario.tie_break
    net = km.lp.arrays()["obj"]
    top = largest_load_vector(km)
    f1, b1, floor = stage_one(first, scenario)
    v1 = snapped(first.values)
    t1 = largest_load_of(km, v1)
    start1 = v1.copy()
    start1[top > 0] = t1  # stage 1's plan with the column at its largest load
    second = least_of(km, scenario, top, floor, cancel=cancel, start=start1)
    values, t2 = v1, t1
    if second.ok and largest_load_of(km, second.values) < t1 - 1e-9:
        values, t2 = snapped(second.values), largest_load_of(km, second.values)
    t_bound = -float(second.bound) if second.ok and second.bound is not None else None
    proven = second.ok and second.status == "optimal"
    # among the plans whose largest load is no more than that, the best net
    start2 = values.copy()
    start2[top > 0] = t2
    third = best_net_held(km, scenario, top, "tie_break_load_held", t2, cancel=cancel,
                          start=start2)
    if third.ok and float(net @ third.values) > float(net @ values) + 1e-9 * max(
            1.0, abs(float(net @ values))) and largest_load_of(km, third.values) <= t2 + 1e-7 * max(
            1.0, abs(t2)):
        values = third.values
    values = snapped(values)
    sol = _final(first, scenario, net, values, b1, proven, second, third,
                 f"tie-break least_largest_workload ({measure})")
    figures = {
        "tie_break": f"least_largest_workload ({measure})",
        "tie_break_stage1_objective": f1,
        "tie_break_stage1_bound": b1,
        "tie_break_net_floor": floor,
        "tie_break_stage1_largest_load": t1,
        "tie_break_largest_load": largest_load_of(km, values),
        "tie_break_largest_load_bound": t_bound,
        "tie_break_status": _status(proven, second),
    }
    return sol, figures
