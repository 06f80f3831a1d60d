"""Two objectives, one after the other: a first goal, then the net contribution among the
plans that reach it. Lexicographic and exact, not weights folded into one objective.

:func:`solve_first_then_net` is the shared mechanism (the model and a first objective);
the scenario's ``balance: {objective: least_largest_workload}`` (kamopt.case.balance) is
its use here, :func:`solve_least_largest`:

1. stage 1: the same rules with the objective "minimise the largest load" (the column
   ``largest_load`` of :meth:`kamopt.model.rules.RuleBuilder.add_balance`; for ``hours``
   and ``utilisation`` alike the largest share of a manager's capacity in use, the same
   rows, so the two measures give the same plan), proven to the
   scenario's ``mip_gap`` (relative to ``max(|largest load|, 1)``: with utilisation, an
   absolute gap in shares of capacity) under its work budgets;
2. stage 2: the usual objective, net contribution, with one more row that holds the first
   objective at what stage 1's plan reached (``largest_load <= t1``). Stage 1's plan meets
   it, so stage 2 never does worse than that plan.

Both stages run on the one strategy (:func:`kamopt.solve.strategy.solve_model`) with its
work budgets, so the answer does not depend on the clock. The rows and the copies of the
model are those of the tie-break's second stage (:mod:`kamopt.solve.tiebreak`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kamopt.case.scenario import Scenario
from kamopt.model.oneyear import KamModel
from kamopt.solve.backend import Solution
from kamopt.solve.strategy import solve_model
from kamopt.solve.tiebreak import STAGE_SLACK, copy_model, snapped, with_row


def solve_first_then_net(km: KamModel, scenario: Scenario, first: np.ndarray, name: str, *,
                         cancel=None) -> tuple[Solution, Solution, KamModel]:
    """Maximise ``first`` (one coefficient per column of ``km``) under ``scenario``'s gap and
    budgets, then the model's own objective with ``first @ v >= f1`` (the row ``name``), f1
    what stage 1's plan reached.

    Returns stage 1's solution (its ``objective`` and ``bound`` in ``first``), the solution
    to read the plan from (in the model's objective; stage 1's plan when stage 2 found none)
    and the model with the row, on which further stages (a tie-break) go on. When stage 1
    finds no plan, its solution is returned twice with ``km`` as it was.
    """
    first = np.asarray(first, float)
    km1 = dataclasses.replace(km, lp=copy_model(km.lp))
    km1.lp.obj = [first.copy()]
    one = solve_model(km1, scenario, cancel=cancel)
    if not one.ok:
        return one, one, km
    v1 = snapped(one.values)
    f1 = float(first @ v1)
    km2 = with_row(km, name, first, lo=f1 - STAGE_SLACK * max(1.0, abs(f1)))
    two = solve_model(km2, scenario, cancel=cancel, start=v1)  # stage 1's plan meets it
    net = km.lp.arrays()["obj"]
    if not two.ok:  # stage 1's plan is stage 2's too; valued by the usual objective
        two = dataclasses.replace(one, objective=float(net @ v1), bound=None, gap=None,
                                  status="feasible", values=v1, stopped_by=two.stopped_by
                                  or "nodes", message="stage 1's plan (stage 2 found none)")
    return one, dataclasses.replace(two, seconds=one.seconds + two.seconds), km2


def least_largest_objective(km: KamModel) -> np.ndarray:
    """Minus the ``largest_load`` column (the strategy maximises)."""
    block = km.lp.cols["largest_load"]
    out = np.zeros(km.lp.n_cols)
    out[block.slice] = -1.0
    return out


def solve_least_largest(km: KamModel, scenario: Scenario, *,
                        cancel=None) -> tuple[Solution, KamModel, dict]:
    """``least_largest_workload`` (see the module docs): the solution to read the plan from,
    the model with the largest load held, and stage 1's figures for the plan's kpis
    (``largest_load_bound``: the least largest load proven possible; ``largest_load_status``:
    ``optimal`` when stage 1 proved its plan within the gap)."""
    one, two, km2 = solve_first_then_net(km, scenario, least_largest_objective(km),
                                         "largest_load_held", cancel=cancel)
    if not one.ok:
        return one, km, {}
    figures = {
        "objective_first": "least_largest_workload",
        "largest_load_stage1": float(-one.objective),
        "largest_load_bound": None if one.bound is None else float(-one.bound),
        "largest_load_status": str(one.status),
    }
    return two, km2, figures
