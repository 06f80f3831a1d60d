"""The one solve strategy of the one-year plan: a fast plan, one search, HiGHS's proof.

Every one-year plan (``kamopt plan``, the explorer once refined, the report,
sweeps, the frontier, decision-costs) is solved by :func:`solve_model`:

1. the LP relaxation (its optimum bounds every plan);
2. a fast plan: relax-and-fix on the LP (:func:`kamopt.solve.search.fix_and_solve`),
   or its greedy rounding; within the gap of the LP bound it is proven and
   returned. With a balance band and neither: the MIP over the LP's customers
   and a few more (:func:`kamopt.solve.search.nearby_customers_mip`);
3. HiGHS on the full model, which proves the gap. **The policy for handing
   plans to HiGHS, chosen by measurement:** HiGHS gets the fast plan as its
   start only when that plan is within :data:`START_WITHIN` times the gap of
   the LP bound, and then only for its root (:data:`ROOT_NODES`): at a loose
   gap such as 1% the root then proves it (sample company: 0.6 s in all
   instead of 2.5 s for HiGHS alone). Otherwise HiGHS starts from nothing:
   at the default 0.1% a start changed its path and cost 3x (sample company:
   46 s and 573 nodes from the relax-and-fix plan, 15 s and 89 nodes alone;
   docs/benchmarks.md);
4. when HiGHS stops at its work budget without proving the gap, one
   neighbourhood search (:func:`kamopt.solve.search.improve_by_neighbourhoods`)
   with a budget of :data:`SEARCH_NEIGHBOURHOODS` neighbourhoods improves
   the plan; HiGHS's bound stands.

**Answers that do not depend on the clock.** Every limit is a work budget:
HiGHS's branch-and-bound nodes (the scenario's ``node_limit``, default
:data:`NODE_LIMIT`), nodes of each sub-MIP, and a number of neighbourhoods
with a seeded choice. HiGHS runs with a fixed number of threads
(:data:`kamopt.solve.backend.THREADS`) and nothing is handed to it at a moment that
depends on timing, so the same case, scenario and options give the same plan
on a quiet and on a busy machine. The scenario's ``time_limit`` stays as a
safety net; when it is what stopped a solve, the solution says so
(``stopped_by == "time"``) and the plan's ``kpis["stopped_by"]`` too.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from kamopt.case.scenario import Scenario
from kamopt.model.oneyear import KamModel
from kamopt.solve.backend import (
    Solution,
    highs_model,
    relative_gap,
    run_highs,
    set_options,
    set_start,
    solve,
)
from kamopt.solve.search import (
    fix_and_solve,
    fixed_to,
    greedy_start,
    improve_by_neighbourhoods,
    meets_rows,
    nearby_customers_mip,
)

#: HiGHS's default work budget on the full model, in branch-and-bound nodes. Nodes are
#: dear on this model (~0.3-0.5 s each on the sample company) and the neighbourhood search
#: after them finds the plan within the gap of HiGHS's bound sooner than more nodes do.
#: Measured on the sample at 0.1% (docs/benchmarks.md): with 10 nodes the base scenario,
#: capacity +10%, realisation 0.25, retention 0.07 and a manager away are all proven
#: within 0.1% in 11-24 s; with 40 nodes in 10-28 s; with 400 (and HiGHS alone) a manager
#: away took 48-73 s and realisation 0.25 ran into the 60 s safety net
NODE_LIMIT = 10

#: nodes of each small MIP of the fast plan and of the search (relax-and-fix, neighbourhoods)
SUB_NODE_LIMIT = 200

#: hand HiGHS the fast plan (for its root only) when it is within this many times the gap
#: of the LP bound; see the module docs
START_WITHIN = 2.0
ROOT_NODES = 1

#: a balance band whose relax-and-fix finds no plan: the MIP over the LP's customers and this
#: many more, at this many nodes (sample, hours within 0.2: 4.23 M EUR in 15-26 s, where
#: relax-and-fix and HiGHS found none within the 60 s net; docs/benchmarks.md)
BALANCE_MORE = 10
BALANCE_NODES = 50

#: neighbourhoods the search tries after HiGHS stopped at its budget
SEARCH_NEIGHBOURHOODS = 30

#: HiGHS options of every full-model solve, chosen by measurement (docs/benchmarks.md):
#: without the feasibility-jump heuristic the sample company at 0.1% needs 3 nodes instead
#: of 89 (12 s instead of 13-15 s), a budget cut 7 s instead of 10 s
HIGHS_OPTIONS = {"mip_heuristic_run_feasibility_jump": False}


def node_budget(scenario: Scenario) -> int:
    """The scenario's work budget in nodes (its ``node_limit``, else :data:`NODE_LIMIT`)."""
    return int(scenario.node_limit or NODE_LIMIT)


def solve_model(km: KamModel, scenario: Scenario, *, cancel=None,
                start: np.ndarray | None = None) -> Solution:
    """Solve the one-year model ``km`` under ``scenario``'s gap, budgets and solver.

    Returns the best plan found against the best valid bound, with an honest
    status (``optimal`` when proven within the scenario's ``mip_gap``) and
    ``stopped_by``. ``cancel`` (a ``threading.Event``) stops it early (the
    explorer's background refinement when a control changes); a cancelled
    solve returns the best plan so far with ``stopped_by == "cancelled"``.
    ``start``: a plan known to meet the model's rows (an earlier stage's, in
    :mod:`kamopt.solve.lexicographic`), taken in place of the fast plan when better.
    """
    t0 = time.perf_counter()
    gap, T, solver = scenario.mip_gap, scenario.time_limit, scenario.solver
    left = lambda: max(T - (time.perf_counter() - t0), 0.1)  # noqa: E731
    if km.lp.n_cols == 0:
        return solve(km.lp, solver=solver, time_limit=T, mip_gap=gap)
    lp = solve(km.lp, solver=solver, relax=True, time_limit=T, cancel=cancel)
    if lp.status == "infeasible":  # then so is the MIP: no need to prove it again
        return dataclasses.replace(lp, seconds=time.perf_counter() - t0)
    if not lp.ok or lp.values is None:
        return dataclasses.replace(
            solve(km.lp, solver=solver, time_limit=left(), mip_gap=gap,
                  node_limit=node_budget(scenario), cancel=cancel),
            seconds=time.perf_counter() - t0)
    # CBC improves little on a start (see _finish_cbc): its relax-and-fix gets more time
    best = fast_plan(km, lp.values, gap, left() if solver == "highs" else
                     max(1.0, min(10.0, 0.25 * T)), cancel=cancel, solver=solver)
    if not best.ok and solver == "highs" and "balance" in km.lp.rows \
            and lp.col_duals is not None and not _cancelled(cancel):
        # a balance band: the MIP over the LP's customers and a few more (a node budget)
        near = nearby_customers_mip(km, lp.values, lp.col_duals, left(), gap / 4,
                                    more=BALANCE_MORE, node_limit=BALANCE_NODES, cancel=cancel)
        if near.ok:
            best = dataclasses.replace(near, bound=None, message="the LP's customers and "
                                       f"{BALANCE_MORE} more, for the balance band")
    run = _Run(km, lp.objective, best, gap, t0)
    if start is not None and meets_rows(km.lp, start):  # a plan an earlier stage found
        obj = km.lp.arrays()["obj"]
        run.take(Solution("feasible", float(obj @ start), None, None, 0.0, solver,
                          np.asarray(start, float), message="the earlier stage's plan"),
                 full_model=False)
    if run.proven():
        return run.result("gap", f"relax-and-fix, within {gap:.2%} of the LP bound")
    if solver == "cbc":
        return _finish_cbc(km, run, lp, left)
    if _cancelled(cancel):
        return run.result("cancelled")
    if run.within(START_WITHIN * gap):
        h = _full_model(km)
        set_start(h, run.best.values)
        run.take(run_highs(h, left(), gap, node_limit=ROOT_NODES, cancel=cancel))
        if run.proven():
            return run.result("gap")
    h = _full_model(km)
    sol = run_highs(h, left(), gap, node_limit=node_budget(scenario), cancel=cancel)
    run.take(sol)
    if not run.best.ok or run.proven() or sol.stopped_by in ("time", "cancelled"):
        return run.result(sol.stopped_by or "gap")
    values = improve_by_neighbourhoods(
        km, run.best.values, target=run.bound / (1 + gap), wanted=lp.values,
        max_tries=SEARCH_NEIGHBOURHOODS, node_limit=SUB_NODE_LIMIT, deadline=t0 + T,
        cancel=cancel)
    # the search ends at its budget, at the target, or at the safety net, which is said
    stopped = ("cancelled" if _cancelled(cancel) else
               "time" if time.perf_counter() - t0 >= T - 0.25 else sol.stopped_by or "nodes")
    if float(km.lp.arrays()["obj"] @ values) > run.best.objective + 1e-6 * max(
            1.0, abs(run.best.objective)):
        # the search's plan with exact values and a clean status
        run.take(run_highs(fixed_to(km, values), max(left(), 5.0), 0.0,
                           node_limit=SUB_NODE_LIMIT), full_model=False)
    return run.result(stopped)


def fast_plan(km: KamModel, lp_values: np.ndarray, gap: float, time_limit: float,
              cancel=None, node_limit: int = SUB_NODE_LIMIT, solver: str = "highs") -> Solution:
    """Relax-and-fix on the LP solution (sub-MIP within a quarter of ``gap``, a node
    budget with HiGHS), else the LP's greedy rounding; ``ok`` is False when neither gives
    a plan."""
    best = fix_and_solve(km, lp_values, time_limit, gap / 4, node_limit=node_limit,
                         cancel=cancel, solver=solver)
    if best.ok:
        return dataclasses.replace(best, bound=None)  # its bound holds for the fixed model only
    rounded = greedy_start(km, lp_values)
    if rounded is None or not meets_rows(km.lp, rounded):
        return best
    obj = km.lp.arrays()["obj"]
    return Solution("feasible", float(obj @ rounded), None, None, 0.0, solver, rounded,
                    message="greedy rounding of the LP")


def _full_model(km: KamModel):
    h = highs_model(km.lp)
    set_options(h, **HIGHS_OPTIONS)
    return h


def _cancelled(cancel) -> bool:
    return cancel is not None and cancel.is_set()


class _Run:
    """The best plan and the best bound of one solve, and its honest result."""

    def __init__(self, km: KamModel, bound: float, best: Solution, gap: float, t0: float):
        self.km, self.bound, self.best, self.gap, self.t0 = km, bound, best, gap, t0

    def take(self, sol: Solution, full_model: bool = True) -> None:
        """Keep ``sol``'s plan if better and, from a run on the full model, its bound (also
        from a run that stopped before it found a plan: a balance band's root can)."""
        if full_model and sol.bound is not None and (sol.ok or sol.status == "error"):
            self.bound = min(self.bound, sol.bound)
        if sol.ok and (not self.best.ok or sol.objective > self.best.objective + 1e-9 * max(
                1.0, abs(self.best.objective))):
            self.best = sol if full_model else dataclasses.replace(sol, bound=None)
        elif not self.best.ok and not sol.ok:
            self.best = sol  # no plan yet: keep the solver's status and message

    def within(self, gap: float) -> bool:
        return self.best.ok and relative_gap(self.best.objective, self.bound) <= gap + 1e-9

    def proven(self) -> bool:
        return self.within(self.gap)

    def result(self, stopped_by: str, message: str | None = None) -> Solution:
        seconds = time.perf_counter() - self.t0
        if not self.best.ok:
            return dataclasses.replace(self.best, seconds=seconds, stopped_by=stopped_by)
        g = relative_gap(self.best.objective, self.bound)
        proven = g <= self.gap + 1e-9
        return dataclasses.replace(
            self.best, bound=self.bound, gap=g, seconds=seconds,
            status="optimal" if proven else "feasible",
            stopped_by="gap" if proven else stopped_by,
            message=message or self.best.message)


def _finish_cbc(km: KamModel, run: _Run, lp: Solution, left) -> Solution:
    """CBC (``solver: cbc``) on the full model from the fast plan.

    CBC alone finds no plan for the sample company in 60 s; this way it
    returns one proven within ~1.2% (docs/benchmarks.md). CBC rarely improves
    on the plan it starts from, and has no node budget through PuLP: its stop
    is the time limit, and the result says so.
    """
    # keep time for what CBC's own limit does not count (PuLP's model and files)
    sol = solve(km.lp, solver="cbc", time_limit=max(1.0, left() - lp.seconds),
                mip_gap=run.gap, start=run.best.values if run.best.ok else None)
    run.take(sol)
    if not run.best.ok:
        return dataclasses.replace(sol, seconds=time.perf_counter() - run.t0)
    return run.result("time" if sol.status == "feasible" else "gap")
