"""The mid-term solve strategy: LP, rounding, neighbourhood search and HiGHS under work budgets.

:func:`_solve` solves a :class:`~kamopt.model.midterm.MidtermModel` step by step,
each step stopped by a work budget (``MIDTERM_NODE_LIMIT``, ``MIDTERM_NEIGHBOURHOODS``,
``MIDTERM_ROOT_CHECKS``), the time limit only a safety net; hard targets are searched
on a soft twin (:func:`_reach_hard_targets`). See docs/midterm.md.
"""

from __future__ import annotations

import copy
import dataclasses
import time

import numpy as np

from kamopt.case.scenario import Scenario
from kamopt.errors import SolverError
from kamopt.model.linear import INF
from kamopt.model.midterm import MidtermModel
from kamopt.solve.backend import Solution, empty_model_solution, relative_gap, set_start, solve
from kamopt.units import eur

LNS_MIN_INTEGERS = 2000  # below this HiGHS alone is fast; the search only adds overhead

#: HiGHS's default work budget on the full mid-term model, in branch-and-bound nodes (the
#: scenario's ``node_limit`` overrides it). Small cases are proven in far fewer (the
#: brute-force tests: a few dozen); a 3-year case of 40 customers and 6 managers (5,575
#: columns) takes 6 s for its root and ~25 nodes a second after it, and stands at 0.20%
#: after 400 nodes (0.20% after 2,000 too), so 400 stop it in ~25 s
MIDTERM_NODE_LIMIT = 400

#: on large models (more than ``LNS_MIN_INTEGERS`` integer columns) HiGHS's root on the
#: full model stops after this many of its limit checks (it checks after its LP solves,
#: separation rounds and heuristics: HiGHS's own work, never the clock, so the stop is the
#: same on every machine); 0: HiGHS is not run on a large model and the LP bound stands.
#: The node budget does not bound a root, and HiGHS's root cut loop on the sample company
#: runs for minutes (its bound 30.90 -> 30.71 M EUR in 100 s and 44 checks; once 330 s
#: without a check, past its time limit, when it had no start). Measured on the sample
#: (3 years, quiet machine, 2 cores): its first checks only solve the LP again (~7 s), and
#: 6 checks took 17 s to bring the bound from 30.90 to 30.79 M EUR (-0.39% of gap) where
#: 4 more neighbourhoods of the search (9 s) gain 0.14 M EUR (-0.45%): within the time
#: the default budgets aim at (~35 s), the search pays more, so the default is 0
MIDTERM_ROOT_CHECKS = 0

#: neighbourhoods the search tries on a large model at the default node budget (a work
#: budget: the scenario's ``node_limit`` scales it, see :func:`neighbourhood_budget`).
#: Measured on the sample (3 years, 2 cores): ~3.3 s a neighbourhood after the LP's 9-10 s;
#: 6 give 29.81, 7 give 29.88, 8 give 29.93, 10 give 29.95 M EUR (LP bound 30.90). With 7
#: ``kamopt plan data/sample --years 3 --assumptions data/scenarios/midterm_base.yml``
#: takes 35 s quiet and 54 s beside two CPU-burning processes (by its budget, the same
#: plan); with 8, 35 s quiet but 63 s busy, stopped by the 60 s safety net
MIDTERM_NEIGHBOURHOODS = 7


def node_budget(scenario: Scenario) -> int:
    """The scenario's work budget in nodes (its ``node_limit``, else :data:`MIDTERM_NODE_LIMIT`)."""
    return int(scenario.node_limit or MIDTERM_NODE_LIMIT)


def neighbourhood_budget(scenario: Scenario) -> int:
    """Neighbourhoods of the search: :data:`MIDTERM_NEIGHBOURHOODS`, scaled by the scenario's
    node budget against the default (``node_limit: 800`` doubles both, one knob for more work).

    >>> neighbourhood_budget(Scenario()) == MIDTERM_NEIGHBOURHOODS
    True
    >>> neighbourhood_budget(Scenario(node_limit=2 * MIDTERM_NODE_LIMIT)) == 2 * MIDTERM_NEIGHBOURHOODS
    True
    """
    return max(1, round(MIDTERM_NEIGHBOURHOODS * node_budget(scenario) / MIDTERM_NODE_LIMIT))


def _solve(mm: MidtermModel, scenario: Scenario, start: np.ndarray | None,
           fallback=None) -> Solution:
    """Solve with HiGHS (from ``start``, if any), or with the scenario's solver (CBC).

    With HiGHS and more than one year, one step after the other:

    1. the LP relaxation (its optimum bounds the plan's value);
    2. a plan rounded from the LP and repaired to fit the capacities
       (:func:`kamopt.solve.midterm_search.round_lp`); the better of it and
       ``start`` (if ``start`` is None and the rounded plan breaks a
       constraint, ``fallback(seconds)`` gives one: the one-year start);
    3. on large models (more than ``LNS_MIN_INTEGERS`` integer columns) a
       neighbourhood search (:func:`kamopt.solve.midterm_search.improve_by_neighbourhoods`)
       of at most ``neighbourhood_budget(scenario)`` neighbourhoods, until the
       plan is within ``mip_gap`` of the LP bound;
    4. HiGHS on the full MIP from the best plan so far, with a budget of
       ``node_budget(scenario)`` nodes; on large models also of
       ``MIDTERM_ROOT_CHECKS`` limit checks in its root (0, the default: not
       run, the LP bound stands; measured, see the constant). It gives the
       bound, status and gap reported. It is skipped when the plan is already
       within ``mip_gap`` of the LP bound.

    **The same answer on every machine.** Every step stops at a work budget
    (nodes, root checks, neighbourhoods picked by a seeded generator), never
    at a moment the clock decides, and HiGHS runs with a fixed number of
    threads; so the same case, scenario, assumptions and options give the
    same plan on a quiet and on a busy machine. The scenario's ``time_limit``
    is only a safety net for all steps together: when it is what stopped a
    step, the solution says so (``stopped_by == "time"``, in the message and
    in ``kpis["stopped_by"]``), since the plan then depends on the machine.

    **HiGHS gets the plan of the search as its start**, chosen by measurement:
    from it HiGHS prunes with the plan's value from the first node, and on
    the sample company its root then tightens the bound steadily (30.90 to
    30.73 M EUR in 30 s); without a start it once spent 330 s in one root
    round (past a 150 s time limit: no limit check in between) and found no
    plan better than no key accounts at all, so on a large model without any
    plan it is not run. On a case of 40 customers the start changes nothing
    (0.211% against 0.206% after 400 nodes, the same plan). Starting from a
    plan never changes the optimum.

    The gap is against the better of HiGHS's bound and the LP bound, both
    valid for the full model; the heuristics never change it.
    """
    if mm.lp.n_cols == 0:  # nothing to decide (no customer can be a key account, no target)
        return empty_model_solution(mm.lp, scenario.solver)
    if scenario.solver != "highs":
        return solve(mm.lp, solver=scenario.solver, time_limit=scenario.time_limit,
                     mip_gap=scenario.mip_gap)
    if start is None and fallback is None and len(mm.years) == 1:
        return _full_mip(mm, None, scenario, scenario.time_limit)
    from kamopt.solve.backend import highs_model, run_highs
    from kamopt.solve.midterm_search import improve_by_neighbourhoods

    t0 = time.perf_counter()
    deadline = t0 + scenario.time_limit
    arr = mm.lp.arrays()
    obj = arr["obj"]
    left = lambda: max(deadline - time.perf_counter(), 0.1)  # noqa: E731
    search = int(arr["integer"].sum()) > LNS_MIN_INTEGERS
    clock: list[str] = []  # the steps the safety net stopped
    relaxed = run_highs(highs_model(mm.lp, relax=True), left(), scenario.mip_gap, is_mip=False)
    if relaxed.status == "infeasible":
        return dataclasses.replace(relaxed, seconds=time.perf_counter() - t0)
    if relaxed.stopped_by == "time":
        clock.append("the LP relaxation")
    starts = _starts(mm, start, relaxed, fallback, left)
    best = _best_start(mm, starts)
    bound = relaxed.objective if relaxed.ok else np.inf
    notes = [f"LP bound {bound:,.0f} in {relaxed.seconds:.1f} s"] if relaxed.ok else []
    closest = None
    if (best is None and relaxed.ok and search and mm.assumptions.target_mode == "hard"
            and len(mm.targets)):
        # every start falls short of a target: search for a plan that meets them all
        report: dict = {}
        best, closest = _reach_hard_targets(mm, starts, relaxed.values,
                                            neighbourhood_budget(scenario), deadline=deadline,
                                            report=report)
        if report.get("stopped_by") == "time":
            clock.append("the search for a plan meeting the targets")
        if best is not None:
            notes.append(f"a plan meeting every target after {report.get('tries', 0)} "
                         "neighbourhoods")
    if best is not None:
        notes.append(f"start {float(obj @ best):,.0f}")
    if (best is not None and relaxed.ok and search and not clock
            and relative_gap(float(obj @ best), bound) > scenario.mip_gap):
        report = {}
        t_search = time.perf_counter()
        best = improve_by_neighbourhoods(mm, best, neighbourhood_budget(scenario),
                                         bound / (1 + scenario.mip_gap), wanted=relaxed.values,
                                         deadline=deadline, report=report)
        notes.append(f"neighbourhood search {float(obj @ best):,.0f} after "
                     f"{report['tries']} neighbourhoods in {time.perf_counter() - t_search:.1f} s")
        if report["stopped_by"] == "time":
            clock.append("the neighbourhood search")
    if best is not None and relaxed.ok and relative_gap(float(obj @ best), bound) \
            <= scenario.mip_gap + 1e-9:
        # within the gap of the LP bound: proven, HiGHS has nothing to add
        return Solution("optimal", float(obj @ best), bound, relative_gap(float(obj @ best), bound),
                        time.perf_counter() - t0, "highs", best, message="; ".join(notes),
                        stopped_by="gap")
    if clock:  # the safety net has struck: no time left for HiGHS's proof
        sol = Solution("error", None, None, None, 0.0, "highs", message="not run: no time left",
                       stopped_by="time")
    elif search and not MIDTERM_ROOT_CHECKS:
        sol = Solution("error", None, None, None, 0.0, "highs", stopped_by="nodes",
                       message="HiGHS not run on the full model (MIDTERM_ROOT_CHECKS = 0): "
                               "the LP bound stands")
    elif search and best is None:
        # measured on the sample company: HiGHS without a start spent 330 s in one round of
        # its root (no limit check, past its time limit) and found no plan in 720 s
        sol = Solution("error", None, None, None, 0.0, "highs", stopped_by="nodes",
                       message="HiGHS not run on the full model: no plan to start from")
    elif search:
        sol = _full_mip(mm, best, scenario, left(), root_checks=MIDTERM_ROOT_CHECKS)
    else:  # a small model: HiGHS's root is short, the node budget bounds its work
        sol = _full_mip(mm, best, scenario, left())
    if not sol.ok and best is None:
        if closest is not None and sol.status != "infeasible":
            raise _not_found(mm, scenario, closest, sol.stopped_by == "time" or bool(clock))
        return dataclasses.replace(sol, seconds=time.perf_counter() - t0)
    if sol.stopped_by == "time":
        clock.append("HiGHS on the full model")
    sol = _settle(sol, best, obj, bound, scenario.mip_gap, notes)
    stopped = ("gap" if sol.status == "optimal" else "time" if clock
               else sol.stopped_by or "nodes")
    if clock:
        notes.append(f"{', '.join(clock)} stopped at the time limit of {scenario.time_limit:g} s "
                     "(a safety net: this plan depends on the machine's speed and load)")
    return dataclasses.replace(sol, seconds=time.perf_counter() - t0, message="; ".join(notes),
                               stopped_by=stopped)


def _full_mip(mm: MidtermModel, start: np.ndarray | None, scenario: Scenario,
              time_limit: float, root_checks: int | None = None) -> Solution:
    """HiGHS on the full model from ``start``: ``node_budget(scenario)`` nodes and at most
    ``root_checks`` limit checks in its root (None: no root budget), ``time_limit`` as the
    safety net (:func:`kamopt.solve.midterm_search.run_budgeted`)."""
    from kamopt.solve.backend import highs_model
    from kamopt.solve.midterm_search import run_budgeted

    h = highs_model(mm.lp)
    if start is not None:
        set_start(h, start)
    return run_budgeted(h, time_limit, scenario.mip_gap, node_budget(scenario), root_checks)


def _starts(mm: MidtermModel, start: np.ndarray | None, relaxed: Solution, fallback,
            left) -> list:
    """The candidate starts: ``start``, the LP's rounding and, if neither fits, the fallback's."""
    from kamopt.solve.midterm_search import round_lp

    starts = [start]
    if relaxed.ok:
        try:
            starts.append(round_lp(mm, relaxed.values))
        except Exception:  # noqa: BLE001 - a start is optional
            pass
    if _best_start(mm, starts) is None and fallback is not None:
        starts.append(fallback(max(left(), 1.0)))
    return starts


def _settle(sol: Solution, best: np.ndarray | None, obj: np.ndarray, lp_bound: float,
            mip_gap: float, notes: list) -> Solution:
    """The full MIP's result against the plan found and the LP bound: value, bound, gap, status.

    The better plan of the two stands (HiGHS can drop a plan handed to it on
    tolerances, or be stopped before it takes it); the bound is the lower of
    HiGHS's and the LP's, both valid for the full model. Appends to ``notes``.
    """
    notes.append(f"full MIP {sol.objective:,.0f}, HiGHS bound "
                 f"{sol.bound if sol.bound is not None else float('nan'):,.0f} ({sol.message})"
                 if sol.ok else f"full MIP: {sol.message}")
    if best is not None and sol.status != "infeasible" and (
            not sol.ok or sol.objective < float(obj @ best) - 1e-6 * abs(sol.objective)):
        value = float(obj @ best)
        own = sol.bound if sol.ok and sol.bound is not None else np.inf
        sol = Solution("feasible", value, min(own, lp_bound),
                       relative_gap(value, min(own, lp_bound)), sol.seconds, "highs", best,
                       message="the plan of the neighbourhood search",
                       stopped_by=sol.stopped_by)
        notes.append(f"plan kept: {value:,.0f} (rounding and search)")
    if not sol.ok:
        return sol
    bound = min(lp_bound, sol.bound if sol.bound is not None else np.inf)
    gap = relative_gap(sol.objective, bound)
    return dataclasses.replace(sol, bound=bound if np.isfinite(bound) else None, gap=gap,
                               status="optimal" if gap <= mip_gap + 1e-9 else "feasible")


HARD_SEARCH_PENALTY = 100.0  # EUR per EUR short while searching for a plan meeting hard targets


def _soft_twin(mm: MidtermModel) -> MidtermModel:
    """The same model with its (hard) targets soft at ``HARD_SEARCH_PENALTY`` EUR per EUR.

    Same columns and rows; only the shortfall columns' bounds and costs
    differ, so a plan of the twin without shortfall is a plan of ``mm``.
    """
    lp = copy.copy(mm.lp)
    k = list(lp.cols).index("shortfall")
    lab, _ = mm._builder.cols["shortfall"]
    lp.ub, lp.obj = list(lp.ub), list(lp.obj)
    lp.ub[k] = np.full(len(lab), INF)
    lp.obj[k] = -HARD_SEARCH_PENALTY * mm._builder.disc[lab["t"].to_numpy()]
    twin = copy.copy(mm)
    twin.lp = lp
    return twin


def _reach_hard_targets(mm: MidtermModel, starts: list, wanted: np.ndarray,
                        max_tries: int | None = None, deadline: float | None = None,
                        report: dict | None = None
                        ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A plan meeting every hard target, searched from plans that fall short of them.

    The neighbourhood search runs on :func:`_soft_twin` (a shortfall costs
    ``HARD_SEARCH_PENALTY`` EUR per EUR, far more than any account earns), from
    the best start, until no target is short or after ``max_tries``
    neighbourhoods (default :data:`MIDTERM_NEIGHBOURHOODS`; ``deadline`` is the
    safety net, ``report`` as for the search). Returns the plan (checked
    against ``mm``) or None, and the closest plan of the twin (its shortfall
    columns say by how much each target is missed) or None.
    """
    from kamopt.solve.midterm_search import improve_by_neighbourhoods

    twin = _soft_twin(mm)
    start = _best_start(twin, starts)
    if start is None:
        return None, None
    s_ids = mm._builder.s
    found: list[np.ndarray] = []

    def check(values: np.ndarray) -> None:
        if values[s_ids].max() <= 1.0:  # EUR: within the row tolerance once set to 0
            plan = values.copy()
            plan[s_ids] = 0.0
            plan = _best_start(mm, [plan])
            if plan is not None:
                found.append(plan)

    check(start)
    closest = start
    if not found:
        closest = improve_by_neighbourhoods(
            twin, start, MIDTERM_NEIGHBOURHOODS if max_tries is None else max_tries,
            lambda: -np.inf if found else np.inf, wanted=wanted, on_improve=check,
            deadline=deadline, report=report)
    return (found[-1] if found else None), closest


def _closest_lines(mm: MidtermModel, values: np.ndarray, seconds: float | None) -> list[str]:
    """Per target that ``values`` misses: "the order-intake target of 2029 (310.0 M EUR)
    was not met by the closest plan found: it reaches 309.5 M EUR (short by 0.5 M EUR)"
    ("found in 60 s" when ``seconds``, the time limit, is what stopped the search)."""
    lab, ids = mm._builder.cols["shortfall"]
    goal = mm.targets.set_index(["scope", "year"])["order_intake"]
    lines = []
    for scope, year, short in zip(lab["scope"], lab["year"], values[ids], strict=True):
        need = float(goal.loc[(scope, year)])
        if short > 1e-6 * need:
            lines.append(_not_met_line(_target_name(scope, year, need), "closest", seconds,
                                       need - short, short))
    return lines


def _not_met_line(target: str, which: str, seconds: float | None, reached: float,
                  short: float) -> str:
    """A target missed by a plan found within a budget: not proven out of reach. ``seconds``:
    the time limit, when it is what stopped the search (None: its work budget did)."""
    within = f" in {seconds:.0f} s" if seconds is not None else ""
    return (f"{target} was not met by the {which} plan found{within}: it reaches "
            f"{_meur(reached)} (short by {_meur(short)})")


_LONGER = ("A larger work budget (the scenario's node_limit) or a longer time limit may find "
           "a plan that meets them all; soft targets (target_mode: soft) always give a plan "
           "and its shortfalls.")


def _within(scenario: Scenario, by_time: bool) -> str:
    """What a search stopped at: "the time limit (60 s" or "the work budget (400 nodes,
    7 neighbourhoods"."""
    if by_time:
        return f"the time limit ({scenario.time_limit:.0f} s"
    return (f"the work budget ({node_budget(scenario):,} nodes, "
            f"{neighbourhood_budget(scenario)} neighbourhoods")


def _not_found(mm: MidtermModel, scenario: Scenario, closest: np.ndarray,
               by_time: bool = False) -> SolverError:
    lines = _closest_lines(mm, closest, scenario.time_limit if by_time else None)
    return SolverError(
        f"No plan that meets every order-intake target was found within "
        f"{_within(scenario, by_time)}; not proven impossible: the LP relaxation meets them). "
        + ("; ".join(lines)[:1].upper() + "; ".join(lines)[1:] + ". " if lines else "")
        + _LONGER)




def _best_start(mm: MidtermModel, starts: list) -> np.ndarray | None:
    """The start that keeps every constraint and bound and has the highest objective.

    Column bounds count too: with hard targets a plan's shortfall column is
    bounded at 0, and a start that falls short of a target is no plan.
    """
    arr = mm.lp.arrays()
    A = mm.lp.matrix()
    ints = arr["integer"]
    best, best_obj = None, -np.inf
    for x in starts:
        if x is None:
            continue
        act = A @ x
        tol = 1e-6 * (1 + np.abs(act))
        if np.any(act < arr["row_lo"] - tol) or np.any(act > arr["row_hi"] + tol):
            continue
        ctol = 1e-6 * (1 + np.abs(x))
        if (np.any(x < arr["lb"] - ctol) or np.any(x > arr["ub"] + ctol)
                or np.any(np.abs(x[ints] - np.round(x[ints])) > 1e-6)):
            continue
        obj = float(arr["obj"] @ x)
        if obj > best_obj:
            best, best_obj = x, obj
    return best



def _meur(x: float) -> str:
    """``310.0 M EUR``; below 0.1 M EUR (a small case, a small shortfall) in EUR, not ``0.0 M``.

    >>> _meur(17.6e6), _meur(4217), _meur(-0.0)
    ('17.6 M EUR', '4,217 EUR', '0 EUR')
    """
    return eur(x, digits=1, k=False)



def _target_name(scope: str, year: int, order_intake: float) -> str:
    """"the order-intake target for region Süd of 2029 (115.0 M EUR)"."""
    where = "" if scope == "company" else f" for {str(scope).replace(':', ' ')}"
    return f"the order-intake target{where} of {year} ({_meur(order_intake)})"
