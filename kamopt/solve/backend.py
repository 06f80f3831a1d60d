"""Stage 3: solve a :class:`~kamopt.model.oneyear.LinearModel` with HiGHS (default) or CBC.

HiGHS gets the whole matrix in one ``passModel`` call (PuLP's own HiGHS
interface adds one column and row at a time, which is 40x slower at scale).
CBC, bundled with PuLP, is the fallback, through :func:`to_pulp`, which also
writes LP files whose names read like the business (``capacity[M07]``).

Every solver outcome is mapped to one of four statuses, decided from the
solver's own model status, primal solution and bounds (never from PuLP's
summary, which calls a time-limited HiGHS run "Optimal"):

``optimal``     proven optimal within ``mip_gap``;
``feasible``    stopped at the time limit with a plan and a proven gap;
``infeasible``  no plan meets all requirements;
``error``       anything else (no plan).
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from kamopt.model.linear import LinearModel


class Status(StrEnum):
    """A solve's outcome. A ``str`` too: ``Status.OPTIMAL == "optimal"``, and it is written
    as its value in JSON, CSV and messages.

    >>> Status("feasible"), Status.OPTIMAL == "optimal", f"{Status.INFEASIBLE}"
    ('feasible', True, 'infeasible')
    """

    OPTIMAL = "optimal"  # proven within the gap
    FEASIBLE = "feasible"  # a plan, stopped before the gap was proven (its gap is said)
    INFEASIBLE = "infeasible"  # no plan meets every requirement
    ERROR = "error"  # anything else: no plan

    def __repr__(self) -> str:
        return repr(self.value)


@dataclass(frozen=True)
class Solution:
    """A solver outcome. ``values`` is None unless ``status`` is optimal/feasible."""

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    solver: str
    values: np.ndarray | None = None
    message: str = ""
    row_duals: np.ndarray | None = None
    col_duals: np.ndarray | None = None
    #: why the solver stopped: "gap" (proven), "nodes" (work budget), "time" (the
    #: wall-clock safety net), "cancelled", or "" (not said)
    stopped_by: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))

    @property
    def ok(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)


def relative_gap(objective: float, bound: float) -> float:
    """Relative gap ``|bound - objective| / max(|objective|, 1)``.

    >>> relative_gap(100.0, 101.0)
    0.01
    >>> relative_gap(0.0, 0.0)
    0.0
    """
    if objective is None or bound is None or not math.isfinite(bound):
        return math.inf
    return abs(bound - objective) / max(abs(objective), 1.0)


def solve(
    lp: LinearModel,
    solver: str = "highs",
    time_limit: float = 60.0,
    mip_gap: float = 1e-3,
    relax: bool = False,
    threads: int | None = None,
    start: np.ndarray | None = None,
    fix: tuple[np.ndarray, np.ndarray] | None = None,
    node_limit: int | None = None,
    cancel=None,
) -> Solution:
    """Solve ``lp`` (maximise). ``relax=True`` drops integrality (an LP, with duals).

    ``start`` is a plan (one value per column) the solver starts from;
    ``fix`` = (columns, values) fixes those columns to those values;
    ``node_limit`` is HiGHS's work budget (see :func:`run_highs`), ``cancel``
    a ``threading.Event`` that stops HiGHS when set.
    """
    if solver == "highs":
        return _solve_highs(lp, time_limit, mip_gap, relax, threads, start, fix, node_limit,
                            cancel)
    if solver == "cbc":
        return _solve_cbc(lp, time_limit, mip_gap, relax, start, fix)
    raise ValueError(f"The 'solver' parameter of solve must be 'highs' or 'cbc'. Got {solver!r} instead.")


# -------------------------------------------------------------------- HiGHS
_BANNER_SHOWN = False


def new_highs():
    """A silent ``highspy.Highs`` (HiGHS prints a banner on the C level once a process)."""
    import highspy

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


def highs_model(lp: LinearModel, relax: bool = False):
    """A ``highspy.Highs`` instance holding ``lp`` (one ``passModel`` call)."""
    import highspy

    arr = lp.arrays()
    A = lp.matrix()
    h = new_highs()
    model = highspy.HighsLp()
    model.num_col_ = lp.n_cols
    model.num_row_ = lp.n_rows
    model.sense_ = highspy.ObjSense.kMaximize
    model.col_cost_ = arr["obj"]
    model.col_lower_ = arr["lb"]
    model.col_upper_ = np.where(np.isinf(arr["ub"]), highspy.kHighsInf, arr["ub"])
    model.row_lower_ = np.where(np.isinf(arr["row_lo"]), -highspy.kHighsInf, arr["row_lo"])
    model.row_upper_ = np.where(np.isinf(arr["row_hi"]), highspy.kHighsInf, arr["row_hi"])
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = A.indptr
    model.a_matrix_.index_ = A.indices
    model.a_matrix_.value_ = A.data
    if not relax and arr["integer"].any():
        model.integrality_ = [
            highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
            for b in arr["integer"]
        ]
    h.passModel(model)
    return h


def set_start(h, values: np.ndarray) -> None:
    """Give a prepared ``highspy.Highs`` a starting plan (HiGHS checks it and ignores it if
    it breaks a constraint or a bound)."""
    import highspy

    start = highspy.HighsSolution()
    start.col_value = np.asarray(values, dtype=float).tolist()
    start.value_valid = True
    h.setSolution(start)


#: HiGHS's threads, the same on every machine: HiGHS's search depends on its number of
#: threads (the sample company at 0.1%: 89 nodes with two, 147 with one), so a fixed
#: number gives the same plan on a laptop, a 2-core CI runner and a 64-core server
THREADS = 2

#: why a solve stopped, as :attr:`Solution.stopped_by` says it
STOPPED_BY = {
    "gap": "proven within the gap",
    "nodes": "stopped at its work budget (branch-and-bound nodes)",
    "time": "stopped at the wall-clock time limit (a safety net: the plan depends on the "
            "machine's speed and load)",
    "cancelled": "cancelled",
}


def run_highs(h, time_limit: float, mip_gap: float, threads: int | None = None,
              is_mip: bool = True, node_limit: int | None = None, cancel=None) -> Solution:
    """Run a prepared ``highspy.Highs`` and read its outcome honestly.

    ``node_limit`` is the work budget (branch-and-bound nodes): a stop there is
    the same on every machine. ``time_limit`` is a safety net; a stop there
    says so (``stopped_by == "time"``). ``cancel`` (a ``threading.Event``)
    stops HiGHS at its next check when set.
    """
    import highspy

    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", int(threads or THREADS))
    h.setOptionValue("mip_max_nodes", int(node_limit) if node_limit else 2147483647)
    events = (h.cbMipInterrupt, h.cbSimplexInterrupt, h.cbIpmInterrupt) if cancel else ()

    def check(e) -> None:
        if cancel.is_set():
            e.interrupt()

    for event in events:
        event.subscribe(check)
    t0 = time.perf_counter()
    try:
        h.run()
    finally:
        for event in events:
            event.unsubscribe(check)
    seconds = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
    S = highspy.HighsModelStatus
    stopped = ("time" if ms == S.kTimeLimit else
               "cancelled" if ms in (S.kInterrupt, S.kHighsInterrupt) else
               "nodes" if ms in (S.kSolutionLimit, S.kIterationLimit) else "gap")
    if ms in (S.kInfeasible, S.kUnboundedOrInfeasible):
        return Solution("infeasible", None, None, None, seconds, "highs",
                        message=h.modelStatusToString(ms))
    if not has_primal:  # the bound HiGHS proved before it stopped still holds
        dual = float(info.mip_dual_bound) if is_mip else np.nan
        return Solution("error", None, dual if np.isfinite(dual) else None, None, seconds,
                        "highs", message=f"HiGHS stopped without a plan: "
                        f"{h.modelStatusToString(ms)}", stopped_by=stopped)
    obj = float(info.objective_function_value)
    sol = h.getSolution()
    values = np.asarray(sol.col_value, dtype=float)
    if is_mip:
        bound = float(info.mip_dual_bound)
        gap = relative_gap(obj, bound)
        row_duals = col_duals = None
    else:
        bound, gap = obj, 0.0
        row_duals = np.asarray(sol.row_dual, dtype=float) if sol.dual_valid else None
        col_duals = np.asarray(sol.col_dual, dtype=float) if sol.dual_valid else None
    if ms == S.kOptimal and gap <= mip_gap + 1e-9:
        status = "optimal"
    elif ms in (S.kOptimal, S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit, S.kInterrupt,
                S.kObjectiveBound, S.kObjectiveTarget, S.kHighsInterrupt, S.kMemoryLimit):
        status = "feasible"
    else:
        return Solution("error", None, None, None, seconds, "highs",
                        message=f"HiGHS: {h.modelStatusToString(ms)}")
    return Solution(status, obj, bound, gap, seconds, "highs", values,
                    message=h.modelStatusToString(ms), row_duals=row_duals, col_duals=col_duals,
                    stopped_by=stopped)


def fix_columns(h, cols: np.ndarray, values: np.ndarray) -> None:
    """Fix columns ``cols`` of a prepared ``highspy.Highs`` to ``values`` (both bounds)."""
    cols = np.asarray(cols, dtype=np.int32)
    if len(cols):
        v = np.asarray(values, dtype=float)
        h.changeColsBounds(len(cols), cols, v, v)


# ------------------------------------------------- changes to a HiGHS model
# The rest of the package changes a ``highspy.Highs`` (from :func:`highs_model`)
# only through these functions: this module is the one that knows highspy's API.

#: HiGHS's infinity: a bound at +-INF is no bound (``highspy.kHighsInf``, IEEE infinity)
INF = math.inf


def to_highs_inf(values) -> np.ndarray:
    """``values`` as floats with +-inf written as HiGHS's +-:data:`INF`.

    >>> to_highs_inf([1.0, -math.inf, math.inf]).tolist() == [1.0, -INF, INF]
    True
    >>> import highspy
    >>> INF == highspy.kHighsInf
    True
    """
    v = np.asarray(values, dtype=float)
    return np.where(np.isposinf(v), INF, np.where(np.isneginf(v), -INF, v))


def _indices(idx, n: int) -> np.ndarray:
    """Column or row indices as HiGHS takes them; all ``n`` when ``idx`` is None."""
    return np.arange(n, dtype=np.int32) if idx is None else np.asarray(idx, dtype=np.int32)


def set_costs(h, cost, cols=None) -> None:
    """Set the objective coefficients of columns ``cols`` (every column, in order,
    when None) to ``cost`` (one a column)."""
    cost = np.asarray(cost, dtype=float)
    cols = _indices(cols, len(cost))
    h.changeColsCost(len(cols), cols, cost)


def set_col_bounds(h, cols, lb, ub) -> None:
    """Set the bounds of columns ``cols`` (every column, in order, when None) to
    ``lb`` / ``ub`` (one a column; +-inf means no bound)."""
    lb, ub = to_highs_inf(lb), to_highs_inf(ub)
    cols = _indices(cols, len(lb))
    h.changeColsBounds(len(cols), cols, lb, ub)


def set_row_bounds(h, rows, lo, hi) -> None:
    """Set the bounds of rows ``rows`` (every row, in order, when None) to ``lo`` /
    ``hi`` (+-inf means no bound). A single row (an int, with float bounds) is
    changed on its own (HiGHS's ``changeRowBounds``)."""
    if rows is not None and np.ndim(rows) == 0:
        h.changeRowBounds(int(rows), float(to_highs_inf(lo)), float(to_highs_inf(hi)))
        return
    lo, hi = to_highs_inf(lo), to_highs_inf(hi)
    rows = _indices(rows, len(lo))
    h.changeRowsBounds(len(rows), rows, lo, hi)


def set_options(h, **options) -> None:
    """Set HiGHS options by name, in the order given (``set_options(h, threads=2)``)."""
    for key, value in options.items():
        h.setOptionValue(key, value)


def mip_node_count(h) -> int:
    """Branch-and-bound nodes HiGHS explored in its last run."""
    return h.getInfo().mip_node_count


@contextmanager
def mip_interrupt(h, stop: Callable[[int], bool]) -> Iterator[None]:
    """While in the block, HiGHS asks ``stop(nodes)`` at each of its MIP limit checks
    (``nodes``: branch-and-bound nodes so far) and stops when it says True (a run
    stopped so reads as ``stopped_by == "cancelled"``)."""

    def check(e) -> None:
        # set at every check, either way: HiGHS keeps the flag of an earlier interrupt
        e.interrupt(stop(e.data_out.mip_node_count))

    h.cbMipInterrupt.subscribe(check)
    try:
        yield
    finally:
        h.cbMipInterrupt.unsubscribe(check)


def get_basis(h) -> tuple[np.ndarray, np.ndarray] | None:
    """The simplex basis after a run, as (column status, row status) arrays of int8
    (HiGHS's codes: 0 at lower, 1 basic, 2 at upper, 3 zero, 4 non-basic);
    None when HiGHS holds no valid basis."""
    b = h.getBasis()
    if not b.valid:
        return None
    return (np.fromiter((s.value for s in b.col_status), np.int8, len(b.col_status)),
            np.fromiter((s.value for s in b.row_status), np.int8, len(b.row_status)))


def set_basis(h, col_status, row_status) -> None:
    """Start the next run's simplex from a basis (status codes as :func:`get_basis` gives)."""
    import highspy

    lut = [highspy.HighsBasisStatus(v) for v in range(5)]
    b = highspy.HighsBasis()
    b.col_status = [lut[v] for v in np.asarray(col_status).tolist()]
    b.row_status = [lut[v] for v in np.asarray(row_status).tolist()]
    b.valid = True
    h.setBasis(b)


def _solve_highs(lp: LinearModel, time_limit, mip_gap, relax, threads, start=None,
                 fix=None, node_limit=None, cancel=None) -> Solution:
    if lp.n_cols == 0:
        return empty_model_solution(lp, "highs")
    h = highs_model(lp, relax=relax)
    if fix is not None:
        fix_columns(h, *fix)
    if start is not None:
        set_start(h, start)
    is_mip = not relax and bool(lp.arrays()["integer"].any())
    return run_highs(h, time_limit, mip_gap, threads, is_mip=is_mip, node_limit=node_limit,
                     cancel=cancel)


def empty_model_solution(lp: LinearModel, solver: str) -> Solution:
    """A model with no columns: feasible iff every row admits 0."""
    arr = lp.arrays()
    ok = bool(np.all(arr["row_lo"] <= 1e-9) and np.all(arr["row_hi"] >= -1e-9))
    if not ok:
        return Solution("infeasible", None, None, None, 0.0, solver)
    return Solution("optimal", 0.0, 0.0, 0.0, 0.0, solver, np.zeros(0))


# --------------------------------------------------------------- PuLP / CBC
def to_pulp(lp: LinearModel, relax: bool = False, name: str = "kam_plan",
            fix: tuple[np.ndarray, np.ndarray] | None = None):
    """The model as a ``pulp.LpProblem`` with readable names (for CBC and LP files);
    ``fix`` = (columns, values) fixes those columns to those values."""
    import pulp

    arr = lp.arrays()
    if fix is not None and len(fix[0]):
        arr = dict(arr, lb=arr["lb"].copy(), ub=arr["ub"].copy())
        arr["lb"][np.asarray(fix[0])] = fix[1]
        arr["ub"][np.asarray(fix[0])] = fix[1]
    names = [_pulp_name(n) for n in lp.col_names()]
    prob = pulp.LpProblem(name, pulp.LpMaximize)
    cat = lambda k: pulp.LpInteger if (k and not relax) else pulp.LpContinuous  # noqa: E731
    variables = [
        pulp.LpVariable(n, lowBound=lo, upBound=None if math.isinf(up) else up, cat=cat(k))
        for n, lo, up, k in zip(names, arr["lb"], arr["ub"], arr["integer"], strict=True)
    ]
    prob.setObjective(pulp.LpAffineExpression(
        [(variables[j], c) for j, c in enumerate(arr["obj"]) if c != 0]))
    A = lp.matrix().tocsr()
    for r, rname in enumerate(lp.row_names()):
        lo_r, hi_r = arr["row_lo"][r], arr["row_hi"][r]
        s, e = A.indptr[r], A.indptr[r + 1]
        expr = pulp.LpAffineExpression(
            [(variables[j], v) for j, v in zip(A.indices[s:e], A.data[s:e], strict=True)])
        rn = _pulp_name(rname)
        if lo_r == hi_r:
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintEQ, rhs=hi_r), rn)
            continue
        if math.isfinite(hi_r):
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, rhs=hi_r), rn)
        if math.isfinite(lo_r):
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintGE, rhs=lo_r), rn + "_min")
    return prob, variables


def _pulp_name(name: str) -> str:
    # PuLP replaces characters like '-' and ' ' in names; keep brackets readable
    return name.replace(" ", "_").replace("-", "_")


def write_lp(lp: LinearModel, path) -> None:
    """Write the model as an LP file with business names (``capacity[M07]``)."""
    prob, _ = to_pulp(lp)
    prob.writeLP(str(path))


def _solve_cbc(lp: LinearModel, time_limit, mip_gap, relax, start=None, fix=None) -> Solution:
    """CBC through PuLP, from ``start`` if given (CBC's MIP start); its bound is read
    from CBC's log, which PuLP does not pass on.

    CBC gets the model as a minimisation of the negated objective: CBC 2.10
    compares a MIP start of a maximisation in the wrong sense and drops it
    for the first plan its heuristics find (measured: a start of 12,749
    left for a plan of 12,740).

    The seconds reported are the whole call's: building the PuLP model and
    PuLP's files take as long as CBC's own work on mid-size models (1,000 x
    40: ~5 s a call besides CBC's limit), and callers budget with them.
    """
    import tempfile

    import pulp

    if lp.n_cols == 0:
        return empty_model_solution(lp, "cbc")
    t0 = time.perf_counter()
    prob, variables = to_pulp(lp, relax=relax, fix=fix)
    prob.sense = pulp.LpMinimize
    prob.setObjective(-prob.objective)
    if start is not None and not relax:
        for v, x in zip(variables, np.asarray(start, dtype=float), strict=True):
            v.setInitialValue(round(x) if v.cat == pulp.LpInteger else x)
    with tempfile.TemporaryDirectory(prefix="kamopt-cbc-") as tmp:
        log = os.path.join(tmp, "cbc.log")
        cmd = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=mip_gap, logPath=log,
                                warmStart=start is not None and not relax)
        try:
            prob.solve(cmd)
        except pulp.PulpSolverError as exc:
            return Solution("error", None, None, None, time.perf_counter() - t0, "cbc",
                            message=str(exc))
        seconds = time.perf_counter() - t0
        low = cbc_bound(open(log, encoding="utf-8", errors="replace").read())
        bound = -low if low is not None else None
    st, sst = prob.status, prob.sol_status
    if st == pulp.LpStatusInfeasible or sst == pulp.LpSolutionInfeasible:
        return Solution("infeasible", None, None, None, seconds, "cbc")
    if sst not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return Solution("error", None, None, None, seconds, "cbc",
                        message=f"CBC: {pulp.LpStatus.get(st, st)}")
    values = np.array([v.varValue or 0.0 for v in variables])
    obj = -float(pulp.value(prob.objective) or 0.0)
    if relax:
        return Solution("optimal", obj, obj, 0.0, seconds, "cbc", values, message="Optimal")
    if sst == pulp.LpSolutionOptimal:
        # proven within gapRel; the log's bound, when there, gives the gap itself
        bound = bound if bound is not None and bound >= obj - 1e-6 * max(1.0, abs(obj)) else None
        gap = relative_gap(obj, bound) if bound is not None else float(mip_gap)
        return Solution("optimal", obj, bound, min(gap, float(mip_gap)), seconds, "cbc", values,
                        message="Optimal")
    gap = relative_gap(obj, bound) if bound is not None else None
    return Solution("feasible", obj, bound, gap, seconds, "cbc", values,
                    message="stopped at the time limit with a plan" + (
                        "" if bound is not None else "; gap unknown"))


def cbc_bound(log: str) -> float | None:
    """The best bound in a CBC log, in CBC's sense ("Lower bound" when it minimises).

    >>> cbc_bound("Result - Stopped on time limit\\n\\nObjective value:  -12749.0\\n"
    ...           "Lower bound:                    -12776.135\\n")
    -12776.135
    >>> cbc_bound("Result - Optimal solution found\\n") is None
    True
    """
    import re

    m = re.search(r"^(?:Upper|Lower) bound:\s+(\S+)", log, re.M)
    try:
        return float(m.group(1)) if m else None
    except ValueError:
        return None
