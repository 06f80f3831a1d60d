"""Stage 3: solve a :class:`~kamopt.model.LinearModel` with HiGHS (default) or CBC.

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
import threading
import time
from dataclasses import dataclass

import numpy as np

from .model import LinearModel

STATUSES = ("optimal", "feasible", "infeasible", "error")


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

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")


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
) -> Solution:
    """Solve ``lp`` (maximise). ``relax=True`` drops integrality (an LP, with duals).

    ``start`` is a plan (one value per column) the solver starts from;
    ``fix`` = (columns, values) fixes those columns to those values.
    """
    if solver == "highs":
        return _solve_highs(lp, time_limit, mip_gap, relax, threads, start, fix)
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


def run_highs(h, time_limit: float, mip_gap: float, threads: int | None = None,
              is_mip: bool = True) -> Solution:
    """Run a prepared ``highspy.Highs`` and read its outcome honestly."""
    import highspy

    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("random_seed", 0)
    if threads:
        h.setOptionValue("threads", int(threads))
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
    S = highspy.HighsModelStatus
    if ms in (S.kInfeasible, S.kUnboundedOrInfeasible):
        return Solution("infeasible", None, None, None, seconds, "highs",
                        message=h.modelStatusToString(ms))
    if not has_primal:
        return Solution("error", None, None, None, seconds, "highs",
                        message=f"HiGHS stopped without a plan: {h.modelStatusToString(ms)}")
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
                    message=h.modelStatusToString(ms), row_duals=row_duals, col_duals=col_duals)


def fix_columns(h, cols: np.ndarray, values: np.ndarray) -> None:
    """Fix columns ``cols`` of a prepared ``highspy.Highs`` to ``values`` (both bounds)."""
    cols = np.asarray(cols, dtype=np.int32)
    if len(cols):
        v = np.asarray(values, dtype=float)
        h.changeColsBounds(len(cols), cols, v, v)


def two_cores() -> bool:
    """Whether this process may run on two cores or more (HiGHS in a second thread then pays)."""
    return (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else (os.cpu_count() or 1)) >= 2


class BackgroundMip:
    """HiGHS on a MIP in a second thread, for its bound, while the caller searches for plans.

    highspy releases the GIL while HiGHS runs, so with two cores the caller's
    search and HiGHS's bound make progress at the same time. ``bound`` is
    HiGHS's latest dual bound (valid for the model; ``inf`` until known);
    :meth:`offer` hands HiGHS a better plan found meanwhile (it prunes with
    it); :meth:`stop` asks HiGHS to end at its next check; :meth:`result`
    waits for it and returns its :class:`Solution`.
    """

    def __init__(self, h, time_limit: float, mip_gap: float) -> None:
        self.h = h
        self.bound = math.inf
        self._stop = False
        self._offer: np.ndarray | None = None
        self._result: Solution | None = None
        h.cbMipInterrupt.subscribe(self._check_mip)
        h.cbSimplexInterrupt.subscribe(self._check)  # HiGHS's LP solves check this one
        h.cbIpmInterrupt.subscribe(self._check)
        h.cbMipUserSolution.subscribe(self._give)
        self._thread = threading.Thread(target=self._run, args=(time_limit, mip_gap),
                                        daemon=True)
        self._thread.start()

    def _run(self, time_limit: float, mip_gap: float) -> None:
        try:
            self._result = run_highs(self.h, time_limit, mip_gap)
        except Exception as exc:  # noqa: BLE001 - reported through result()
            self._result = Solution("error", None, None, None, 0.0, "highs",
                                    message=f"HiGHS in the background: {exc}")

    def _check_mip(self, e) -> None:
        if math.isfinite(e.data_out.mip_dual_bound):
            self.bound = min(self.bound, e.data_out.mip_dual_bound)
        self._check(e)

    def _check(self, e) -> None:
        if self._stop:
            e.interrupt()

    def _give(self, e) -> None:
        values, self._offer = self._offer, None
        if values is not None:
            e.data_in.setSolution(np.asarray(values, dtype=float))
            e.data_in.user_has_solution = True

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def offer(self, values: np.ndarray) -> None:
        self._offer = np.array(values, dtype=float)

    def stop(self) -> None:
        self._stop = True

    def result(self) -> Solution:
        self._thread.join()
        return self._result


def _solve_highs(lp: LinearModel, time_limit, mip_gap, relax, threads, start=None,
                 fix=None) -> Solution:
    if lp.n_cols == 0:
        return empty_model_solution(lp, "highs")
    h = highs_model(lp, relax=relax)
    if fix is not None:
        fix_columns(h, *fix)
    if start is not None:
        set_start(h, start)
    is_mip = not relax and bool(lp.arrays()["integer"].any())
    return run_highs(h, time_limit, mip_gap, threads, is_mip=is_mip)


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
