"""The explorer's plans: a provisional plan at once, then *the* plan of the scenario.

A :class:`PlanSession` keeps one built model of a case in HiGHS. For a new
scenario, :meth:`PlanSession.quick`

1. builds the *structural* model (:func:`structural_scenario`: every manager
   available, every customer a candidate, budget and key-account-count rows
   always present) and lays the scenario's decisions on it as bounds
   (:func:`scenario_bounds`); when the index sets are those of the model in
   HiGHS (unless hires or coverage levels change) only costs and bounds are
   handed over;
2. solves its LP relaxation (warm, from the previous basis) for the bound;
3. repairs the previous plan for the scenario and fills it greedily
   (:func:`warm_start`), or takes relax-and-fix when that is better, and
   returns it as a provisional :class:`~kamopt.planning.oneyear.Plan` with its proven gap.

:meth:`PlanSession.solve` is :func:`kamopt.planning.oneyear.plan`, the one strategy of
every command: the explorer's plan, once refined, is the plan ``kamopt plan``
writes, whatever the session saw before.

Examples
--------
>>> from kamopt.case.sample import make_case
>>> session = PlanSession(make_case(customers=30, managers=3, seed=1))
>>> p = session.solve(explorer_scenario())
>>> p.status, p.kpis["stopped_by"]
('optimal', 'gap')
>>> q = session.quick(explorer_scenario(capacity_scale=0.5))
>>> q.kpis["provisional"], session.info["rebuilt"]
(True, True)
>>> q.kpis["hours_available"] == p.kpis["hours_available"] / 2
True
>>> r = session.quick(explorer_scenario(capacity_scale=0.6))
>>> session.info["rebuilt"], r.kpis["mip_gap"] < 0.05
(False, True)
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.case.validate import check_against_scenario
from kamopt.model.linear import LinearModel
from kamopt.model.oneyear import KamModel, build
from kamopt.model.prepare import (
    committed,
    effective_managers,
    effective_status,
    pair_factor,
    prepare,
    ruled_out_levels,
    ruled_out_pairs,
)
from kamopt.planning.diagnose import explain_infeasible, precheck
from kamopt.planning.oneyear import Plan, plan, read_plan
from kamopt.solve.backend import (
    Solution,
    highs_model,
    relative_gap,
    run_highs,
    set_col_bounds,
    set_costs,
    set_row_bounds,
)
from kamopt.solve.strategy import fast_plan

#: a repaired plan further than this from the LP bound is compared with relax-and-fix
#: before it is shown (bench_resolve: the first plan shown within 2% of the bound)
QUICK_GAP = 0.015
#: node budget of that relax-and-fix (a provisional plan: quick, not the last word)
QUICK_NODES = 1

_BIG_BUDGET = 1e15  # a budget row that never binds, in the structural model


def explorer_scenario(scenario: Scenario | None = None, **changes) -> Scenario:
    """``scenario`` (defaults if None) with ``changes``. The explorer plans at the
    scenario's own gap and budgets, so that its refined plan is ``kamopt plan``'s.

    >>> s = explorer_scenario(capacity_scale=0.9)
    >>> s.mip_gap, s.capacity_scale
    (0.001, 0.9)
    """
    return (scenario or Scenario()).replace(**changes)


def structural_scenario(case: Case, scenario: Scenario) -> Scenario:
    """The scenario whose model has the columns and rows of every variant of ``scenario``.

    Same economics, levels and hires; every manager available; every customer
    a candidate (the case's excluded customers are made ``must`` here only so
    that :func:`~kamopt.model.prepare.prepare` keeps them; their rows are reset by
    :func:`scenario_bounds`); every coverage level; a budget and key-account
    bounds that never bind, so their rows exist. Committed activities are
    kept: one that does not pay needs a column that the model otherwise leaves
    out (their bounds, too, are reset by :func:`scenario_bounds`).
    """
    c = case.customers
    excluded = tuple(c.index[(c["status"] == "exclude").to_numpy()])
    return scenario.replace(unavailable_managers=(), must=excluded, exclude=(), leads=(),
                            excluded_leads=(), coverage=(),
                            budget=_BIG_BUDGET, min_key_accounts=0, max_key_accounts=len(c))


def scenario_bounds(km: KamModel, case: Case, scenario: Scenario) -> dict[str, np.ndarray]:
    """The column and row bounds of ``scenario`` on its structural model ``km``.

    Returns the arrays of :meth:`~kamopt.model.oneyear.LinearModel.arrays` (``obj``,
    ``lb``, ``ub``, ``integer``, ``row_lo``, ``row_hi``) with the scenario's
    decisions applied. Raises :class:`~kamopt.errors.ScenarioError` for an
    unknown manager or customer id (through ``effective_*``).
    """
    d, lp = km.data, km.lp
    arr = {k: v.copy() for k, v in lp.arrays().items()}
    status = effective_status(case, scenario)
    effective_managers(case, scenario)  # checks the ids of unavailable managers
    gone = (d.pairs["manager_id"].isin(scenario.unavailable_managers).to_numpy()
            | ruled_out_pairs(d.pairs, scenario))  # leads and excluded_leads
    arr["ub"][km.x[gone]] = 0.0
    arr["ub"][km.g[gone[km.gl["p"].to_numpy()]]] = 0.0
    arr["ub"][km.q[gone[km.ql["p"].to_numpy()]]] = 0.0
    cap = lp.rows["capacity"]
    off = cap.labels["manager_id"].isin(scenario.unavailable_managers).to_numpy()
    arr["row_hi"][cap.start + np.flatnonzero(off)] = 0.0
    low = lp.rows.get("min_workload")  # a manager who is away owes no minimum
    if low is not None:
        away = low.labels["manager_id"].isin(scenario.unavailable_managers).to_numpy()
        arr["row_lo"][low.start + np.flatnonzero(away)] = -np.inf
    excl = status.reindex(d.options["customer_id"]).eq("exclude").to_numpy()
    arr["ub"][km.z[excl | ruled_out_levels(d.options, scenario)]] = 0.0  # and fixed levels
    arr["lb"][km.a] = committed(d.acts, scenario).astype(float)
    ka = lp.rows["key_account"]
    must = status.reindex(ka.labels["customer_id"]).eq("must").to_numpy()
    arr["row_lo"][ka.slice] = np.where(must, 1.0, -np.inf)
    arr["row_hi"][lp.rows["budget"].start] = np.inf if scenario.budget is None else scenario.budget
    n = lp.rows["key_account_count"].start
    lo, hi = scenario.min_key_accounts, scenario.max_key_accounts
    arr["row_lo"][n] = -np.inf if lo is None else float(lo)
    arr["row_hi"][n] = np.inf if hi is None else float(hi)
    return arr


def with_arrays(lp: LinearModel, arr: dict[str, np.ndarray]) -> LinearModel:
    """A copy of ``lp`` (sharing its matrix) whose costs and bounds are ``arr``."""

    def split(values: np.ndarray, blocks) -> list[np.ndarray]:
        return [values[b.slice].copy() for b in blocks.values()]

    return dataclasses.replace(
        lp, obj=split(arr["obj"], lp.cols), lb=split(arr["lb"], lp.cols),
        ub=split(arr["ub"], lp.cols), integer=split(arr["integer"], lp.cols),
        row_lo=split(arr["row_lo"], lp.rows), row_hi=split(arr["row_hi"], lp.rows))


def same_structure(a: LinearModel, b: LinearModel) -> bool:
    """Whether two models have the same columns and rows, label by label."""
    if (a.n_cols, a.n_rows) != (b.n_cols, b.n_rows):
        return False
    for mine, theirs in ((a.cols, b.cols), (a.rows, b.rows)):
        if list(mine) != list(theirs):
            return False
        if any(not mine[k].labels.equals(theirs[k].labels) for k in mine):
            return False
    return True


class PlanSession:
    """Plans one case under many scenarios: a provisional plan at once, the plan on demand.

    :meth:`quick` gives a provisional plan of a scenario in a fraction of a
    second: the previous plan repaired for the new scenario and filled
    greedily (:func:`warm_start`; e.g. a leaving manager's accounts moved to
    managers with room), or relax-and-fix when that is better, with its gap
    proven against the LP bound of the scenario (one model kept in HiGHS,
    only its costs and bounds changed). :meth:`solve` gives *the* plan of the
    scenario: :func:`kamopt.planning.oneyear.plan`, the one solve strategy of every
    command (:mod:`kamopt.solve.strategy`), so that the explorer's refined plan is
    the plan ``kamopt plan`` writes, whatever the scenarios seen before.

    Parameters
    ----------
    case : Case
        The case; it must not change during the session.

    Attributes
    ----------
    plan : Plan or None
        The last plan (provisional or not).
    info : dict
        About the last call: ``rebuilt`` (the model was passed to HiGHS
        anew, :meth:`quick` only), ``warm_start`` (objective of the repaired
        plan, or None), ``seconds`` (wall time).
    """

    def __init__(self, case: Case, **_ignored):
        self.case = case
        self.plan: Plan | None = None
        self.info: dict = {}
        self._km: KamModel | None = None
        self._h = None
        self._sketch: _Sketch | None = None
        self._values: np.ndarray | None = None
        self._matrix = None

    def solve(self, scenario: Scenario, cancel=None) -> Plan:
        """The plan of ``scenario``: :func:`kamopt.planning.oneyear.plan` (the same plan as ``kamopt plan``).

        ``cancel`` (a ``threading.Event``) stops the solve early; the plan
        then says ``stopped_by == "cancelled"``. Raises as :func:`kamopt.planning.oneyear.plan`.
        """
        t0 = time.perf_counter()
        result = plan(self.case, scenario, cancel=cancel)
        self.adopt(result)
        self.info = {"rebuilt": False, "warm_start": None, "seconds": time.perf_counter() - t0}
        return result

    def adopt(self, result: Plan) -> None:
        """Take ``result`` as the plan the next :meth:`quick` repairs."""
        if result.model is not None and result.solution is not None \
                and result.solution.values is not None:
            self._sketch = _Sketch.from_values(result.model, result.solution.values)
            self._values = None  # values of another model: the repair starts from the sketch
        self.plan = result

    def quick(self, scenario: Scenario) -> Plan | None:
        """A provisional plan of ``scenario`` at once, with its proven gap; None if the
        repair finds no plan that meets every requirement (:meth:`solve` then decides).

        The plan's ``kpis["provisional"]`` is True and ``kpis["stopped_by"]``
        is ``"provisional"``; its gap is against the LP bound of the scenario.

        Raises
        ------
        InfeasibleError
            With the diagnosis of :func:`kamopt.planning.diagnose.precheck` or, when
            the LP relaxation is infeasible, :func:`kamopt.planning.diagnose.explain_infeasible`.
        ScenarioError, CaseError
            For ids the case does not have.
        """
        t0 = time.perf_counter()
        check_against_scenario(self.case, scenario)
        precheck(self.case, scenario)
        if scenario.balance is not None and scenario.balance.within is not None \
                and scenario.unavailable_managers:
            # the structural model's mean counts every manager, the one away too (with no
            # load): no provisional plan rather than a band that is not the scenario's
            self.info = {"rebuilt": False, "warm_start": None,
                         "seconds": time.perf_counter() - t0}
            return None
        km = build(prepare(self.case, structural_scenario(self.case, scenario), prune=False))
        arr = scenario_bounds(km, self.case, scenario)
        own = prepare(self.case, scenario, prune=True)  # the scenario's managers and reasons
        data = dataclasses.replace(km.data, scenario=scenario, managers=own.managers,
                                   customers=own.customers)
        km = dataclasses.replace(km, data=data, lp=with_arrays(km.lp, arr))
        if km.lp.n_cols == 0:
            return None
        rebuilt = self._h is None or not same_structure(self._km.lp, km.lp)
        if rebuilt:
            self._h = highs_model(km.lp, relax=True)
            self._matrix = km.lp.matrix()
            self._values = None  # a plan of the old model: wrong size for this one
        else:
            _push(self._h, arr)
        self._km = km
        lp = run_highs(self._h, scenario.time_limit, 0.0, is_mip=False)
        self.info = {"rebuilt": rebuilt, "warm_start": None}
        if lp.status == "infeasible":
            self.info["seconds"] = time.perf_counter() - t0
            raise explain_infeasible(km)
        if not lp.ok:
            return None
        obj = arr["obj"]
        if not rebuilt and _meets(self._matrix, arr, self._values):
            # the previous plan still meets every requirement: only fill what it leaves free
            filled = warm_start(km, arr, self._sketch, improve=False)
            start = self._values if filled is None or obj @ filled <= obj @ self._values \
                else filled
        else:
            start = warm_start(km, arr, self._sketch or _Sketch.empty())
        if start is not None and not _meets(self._matrix, arr, start):
            start = None  # the greedy moves know most rules, the matrix knows them all
        value = -np.inf if start is None else float(obj @ start)
        self.info["warm_start"] = None if start is None else value
        how = "the previous plan repaired"
        if start is None or relative_gap(value, lp.objective) > QUICK_GAP:
            # the repair is far from the bound: relax-and-fix, and the LP's rounding, each
            # polished by the same greedy moves (measured on bench_resolve's 20 changes)
            fast = fast_plan(km, lp.values, QUICK_GAP / 2, scenario.time_limit,
                             node_limit=QUICK_NODES)
            for values, what in ([(fast.values, "relax-and-fix")] if fast.ok else []) + [
                    (lp.values, "the LP rounded")]:
                polished = _Builder(km, arr).polish(_Sketch.from_values(km, values))
                if polished is not None and float(obj @ polished) > value and _meets(
                        self._matrix, arr, polished):
                    start, value, how = polished, float(obj @ polished), f"{what}, polished"
        if start is None:
            self.info["seconds"] = time.perf_counter() - t0
            return None
        gap = relative_gap(value, lp.objective)
        proven = gap <= scenario.mip_gap + 1e-9
        sol = Solution("optimal" if proven else "feasible", value, lp.objective, gap,
                       time.perf_counter() - t0, "highs", start,
                       message=f"provisional: {how}", stopped_by="provisional")
        self._values = start
        self._sketch = _Sketch.from_values(km, start)
        result = read_plan(km, sol)
        result.kpis["provisional"] = True
        result.kpis["total_seconds"] = time.perf_counter() - t0
        self.info["seconds"] = result.kpis["total_seconds"]
        self.plan = result
        return result


# ----------------------------------------------------------------- HiGHS I/O
def _push(h, arr: dict[str, np.ndarray]) -> None:
    """Hand all costs and bounds to a HiGHS object holding a model of the same structure."""
    set_costs(h, arr["obj"])  # no indices given: every column / every row
    set_col_bounds(h, None, arr["lb"], arr["ub"])
    set_row_bounds(h, None, arr["row_lo"], arr["row_hi"])


def _meets(A, arr: dict[str, np.ndarray], values: np.ndarray | None, tol: float = 1e-6) -> bool:
    """Whether ``values`` meet the column bounds and row bounds of ``arr``."""
    if values is None:
        return False
    act = A @ values
    return bool(np.all(values >= arr["lb"] - tol) and np.all(values <= arr["ub"] + tol)
                and np.all(act >= arr["row_lo"] - tol) and np.all(act <= arr["row_hi"] + tol))


# ------------------------------------------------------------ the warm start
@dataclasses.dataclass
class _Sketch:
    """A plan by its labels: (customer, level, manager) per key account, (customer, activity)."""

    accounts: pd.DataFrame  # customer_id, level, manager_id
    activities: pd.DataFrame  # customer_id, activity_id

    @classmethod
    def empty(cls) -> _Sketch:
        return cls(pd.DataFrame(columns=["customer_id", "level", "manager_id"]),
                   pd.DataFrame(columns=["customer_id", "activity_id"]))

    @classmethod
    def from_values(cls, km: KamModel, values: np.ndarray) -> _Sketch:
        """The plan in ``values``; of a fractional (LP) solution, its rounding.

        A customer is a key account when ``sum_l z[i,l] > 0.5``, at the level
        and with the manager of its largest ``g[i,j,l]``; an activity runs
        when ``a[i,k] > 0.5``. For an integer solution this is the solution.
        """
        d = km.data
        codes, customers = pd.factorize(d.options["customer_id"])
        y = np.bincount(codes, values[km.z], minlength=len(customers))
        g = km.gl.assign(v=values[km.g], customer_id=d.options["customer_id"].to_numpy()[
            km.gl["o"].to_numpy()])
        g = g[g["customer_id"].isin(customers[y > 0.5])]
        best = g.sort_values("v", ascending=False, kind="stable").drop_duplicates("customer_id")
        acc = pd.DataFrame({"customer_id": best["customer_id"].to_numpy(),
                            "level": d.options["level"].to_numpy()[best["o"].to_numpy()],
                            "manager_id": d.pairs["manager_id"].to_numpy()[best["p"].to_numpy()]})
        a = d.acts.loc[values[km.a] > 0.5, ["customer_id", "activity_id"]]
        return cls(acc, a[a["customer_id"].isin(acc["customer_id"])].reset_index(drop=True))


def _lookup(frame: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
    """Row positions of ``keys`` in ``frame`` (matched on the columns of ``keys``), -1 if absent."""
    if len(keys) == 0:
        return np.zeros(0, np.int64)
    return pd.MultiIndex.from_frame(frame[list(keys.columns)]).get_indexer(
        pd.MultiIndex.from_frame(keys))


def warm_start(km: KamModel, arr: dict[str, np.ndarray], sketch: _Sketch,
               improve: bool = True) -> np.ndarray | None:
    """A plan for ``km`` under the bounds ``arr``, made from the previous plan ``sketch``.

    The previous accounts that are still allowed are kept; accounts are then
    dropped (least net contribution per hour first) until every manager's
    capacity, every department's capacity, the budget and ``max_key_accounts``
    hold; ``must`` accounts are added where a manager has room; finally free
    capacity is filled greedily with the accounts, and then the activities,
    that pay most per hour. Returns the column values, or None when the result
    does not meet every requirement (HiGHS then starts without it).
    ``improve=False`` skips the (slower) step that displaces accounts.
    """
    return _Builder(km, arr).run(sketch, improve=improve)


class _Builder:
    """Greedy repair and fill of a plan on the columns of one model (see :func:`warm_start`).

    A *candidate* is a ``g`` column: a customer at a level led by a manager.
    The state is each customer's candidate (``cur``, -1 for none) and the
    activity rows run for it (``runs``), with the hours, department hours and
    money they use. Moves change one customer's candidate (its activities are
    then dropped and may come back) or add one activity.
    """

    def __init__(self, km: KamModel, arr: dict[str, np.ndarray]):
        d, lp = km.data, km.lp
        self.km, self.arr = km, arr
        obj, ub = arr["obj"], arr["ub"]
        cap = lp.rows["capacity"]
        self.cap = arr["row_hi"][cap.slice]
        pair_mgr = pd.Index(cap.labels["manager_id"]).get_indexer(d.pairs["manager_id"])
        self.rate = d.pairs["hourly_cost"].to_numpy(float)
        gp, go = km.gl["p"].to_numpy(), km.gl["o"].to_numpy()
        self.cp, self.co, self.cmgr = gp, go, pair_mgr[gp]
        self.ccode, customers = pd.factorize(d.options["customer_id"].to_numpy()[go])
        self.customers = pd.Index(customers)
        self.chours = d.options["hours"].to_numpy(float)[go] * pair_factor(d.pairs, gp)  # under j
        self.ccost = self.rate[gp] * self.chours
        self.cnet = obj[km.z[go]] + obj[km.x[gp]] + obj[km.g]
        self.cok = (ub[km.z[go]] > 0.5) & (ub[km.x[gp]] > 0.5) & (ub[km.g] > 0)
        self.g_index = pd.MultiIndex.from_arrays([gp, go])
        n = len(self.customers)
        self.cands_of = _group(self.ccode, np.flatnonzero(self.cok), n)
        acts = d.acts
        self.act_code = self.customers.get_indexer(acts["customer_id"])
        self.act_hours = acts["kam_hours"].to_numpy(float)
        self.act_cost = acts["cost"].to_numpy(float)
        self.act_net0 = obj[km.a]  # value - cost, before the lead manager's hours
        ok = (ub[km.a] > 0.5) & (self.act_code >= 0)
        self.acts_of = _group(self.act_code, np.flatnonzero(ok), n)
        self.act_dep_hours = acts["dept_hours"].to_numpy(float)
        dep = lp.rows.get("department")
        if dep is not None:
            self.dep_cap = arr["row_hi"][dep.slice]
            self.act_dep = pd.Index(dep.labels["department"]).get_indexer(acts["department"])
        else:
            self.dep_cap = np.zeros(0)
            self.act_dep = np.full(len(acts), -1)
        self.tight = "activity_id" in lp.cols["q"].labels.columns
        ka = lp.rows["key_account"]
        must = ka.labels["customer_id"][arr["row_lo"][ka.slice] > 0.5]
        self.must = np.zeros(n, bool)
        self.must[self.customers.get_indexer(must)[self.customers.get_indexer(must) >= 0]] = True
        self.budget = arr["row_hi"][lp.rows["budget"].start]
        kc = lp.rows["key_account_count"].start
        self.min_n, self.max_n = arr["row_lo"][kc], arr["row_hi"][kc]

    # -- the state ----------------------------------------------------------
    def load(self, sketch: _Sketch) -> None:
        d = self.km.data
        acc = sketch.accounts
        o = _lookup(d.options, acc[["customer_id", "level"]])
        p = _lookup(d.pairs, acc[["customer_id", "manager_id"]])
        keep = (o >= 0) & (p >= 0)
        k = self.g_index.get_indexer(pd.MultiIndex.from_arrays([p[keep], o[keep]]))
        k = k[k >= 0]
        k = k[self.cok[k]]
        self.cur = np.full(len(self.customers), -1)
        self.cur[self.ccode[k]] = k
        self.runs: dict[int, set[int]] = {}
        r = _lookup(d.acts, sketch.activities[["customer_id", "activity_id"]])
        for x in r[r >= 0]:
            code = self.act_code[x]
            if code >= 0 and self.cur[code] >= 0 and x in set(self.acts_of[code]):
                self.runs.setdefault(int(code), set()).add(int(x))
        self._recount()

    def _recount(self) -> None:
        on = np.flatnonzero(self.cur >= 0)
        c = self.cur[on]
        self.used = np.bincount(self.cmgr[c], self.chours[c], minlength=len(self.cap)).astype(float)
        self.spent = float(self.ccost[c].sum())
        self.count = len(on)
        self.dep_used = np.zeros(len(self.dep_cap))
        for code, rs in self.runs.items():
            for r in rs:
                self._act_usage(code, r, +1)

    def _act_usage(self, code: int, r: int, sign: int) -> None:
        c = self.cur[code]
        self.used[self.cmgr[c]] += sign * self.act_hours[r]
        self.spent += sign * (self.act_cost[r] + self.rate[self.cp[c]] * self.act_hours[r])
        if self.act_dep[r] >= 0:
            self.dep_used[self.act_dep[r]] += sign * self.act_dep_hours[r]

    def _act_net(self, code: int, r: int) -> float:
        return self.act_net0[r] - self.rate[self.cp[self.cur[code]]] * self.act_hours[r]

    def _account(self, code: int) -> tuple[float, float, float]:
        """(hours, cost, net) of a key account, its activities included."""
        c = self.cur[code]
        h, cost, net = self.chours[c], self.ccost[c], self.cnet[c]
        for r in self.runs.get(code, ()):
            h += self.act_hours[r]
            cost += self.act_cost[r] + self.rate[self.cp[c]] * self.act_hours[r]
            net += self._act_net(code, r)
        return h, cost, net

    def _set(self, code: int, c: int) -> None:
        """Give customer ``code`` candidate ``c`` (-1: not a key account).

        Its activities move with it to the new lead manager, or are dropped
        with the account.
        """
        old = self.cur[code]
        runs = self.runs.pop(code, set())
        if old >= 0:
            for r in runs:
                self._act_usage(code, r, -1)
            self.used[self.cmgr[old]] -= self.chours[old]
            self.spent -= self.ccost[old]
            self.count -= 1
        self.cur[code] = c
        if c >= 0:
            self.used[self.cmgr[c]] += self.chours[c]
            self.spent += self.ccost[c]
            self.count += 1
            if runs:
                self.runs[code] = runs
                for r in runs:
                    self._act_usage(code, r, +1)

    def _acts_total(self, code: int) -> tuple[float, float, float]:
        """(KAM hours, cost without the manager's hours, value - cost) of the activities run."""
        rs = list(self.runs.get(code, ()))
        if not rs:
            return 0.0, 0.0, 0.0
        return (float(self.act_hours[rs].sum()), float(self.act_cost[rs].sum()),
                float(self.act_net0[rs].sum()))

    def _switch(self, code: int, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For moving ``code`` to each candidate in ``c``: (hours added on c's manager,
        change of cost, change of net), its activities moving along."""
        ah, acost, anet = self._acts_total(code)
        rate = self.rate[self.cp[c]]
        h_new = self.chours[c] + ah
        cost_new = self.ccost[c] + acost + rate * ah
        net_new = self.cnet[c] + anet - rate * ah
        base = self.cur[code]
        if base < 0:
            return h_new, cost_new, net_new
        h0, cost0, net0 = self._account(code)
        same = self.cmgr[c] == self.cmgr[base]
        return h_new - np.where(same, h0, 0.0), cost_new - cost0, net_new - net0

    def _snapshot(self) -> tuple:
        return (self.cur.copy(), {k: set(v) for k, v in self.runs.items()}, self.used.copy(),
                self.dep_used.copy(), self.spent, self.count)

    def _restore(self, snap: tuple) -> None:
        cur, runs, used, dep_used, spent, count = snap
        self.cur, self.runs, self.used = cur.copy(), {k: set(v) for k, v in runs.items()}, used.copy()
        self.dep_used, self.spent, self.count = dep_used.copy(), spent, count

    def objective(self) -> float:
        on = np.flatnonzero(self.cur >= 0)
        return float(self.cnet[self.cur[on]].sum()
                     + sum(self._act_net(code, r) for code, rs in self.runs.items() for r in rs))

    def feasible(self) -> bool:
        return (bool(np.all(self.cur[self.must] >= 0))
                and self.min_n <= self.count <= self.max_n
                and bool(np.all(self.used <= self.cap + 1e-6))
                and bool(np.all(self.dep_used <= self.dep_cap + 1e-6))
                and self.spent <= self.budget + 1e-6)

    # -- repair: the cheapest way back into the new requirements ------------
    def _relief(self, codes: np.ndarray, saving: str, j: int = -1):
        """The best move of one of ``codes``: another candidate or none, by loss per unit saved.

        ``saving`` is ``"hours"`` (on manager ``j``) or ``"cost"``. Moves
        must fit the capacity of the manager they go to. Returns (code,
        candidate) or None.
        """
        best, best_key = None, np.inf
        for code in codes:
            h0, cost0, net0 = self._account(code)
            c = self.cands_of[code]
            dh, dcost, dnet = self._switch(code, c)
            room = self.used[self.cmgr[c]] + dh <= self.cap[self.cmgr[c]] + 1e-6
            loss = -dnet
            if saving == "hours":  # hours freed on manager j
                freed = np.where(self.cmgr[c] == j, -dh, h0)
            else:
                freed = -dcost
            ok = room & (freed > 1e-9) & (c != self.cur[code])
            keys = np.where(ok, loss / np.maximum(freed, 1e-9), np.inf)
            if not self.must[code]:
                keys = np.append(keys, net0 / max(h0 if saving == "hours" else cost0, 1e-9))
                c = np.append(c, -1)
            if len(keys) and keys.min() < best_key:
                k = int(np.argmin(keys))
                best, best_key = (int(code), int(c[k])), keys[k]
        return best

    def repair(self) -> None:
        for _ in range(10 * len(self.customers) + 10):
            over = self.used - self.cap
            if over.max(initial=0) <= 1e-6:
                break
            j = int(np.argmax(over))
            on = np.flatnonzero((self.cur >= 0) & (self.cmgr[np.maximum(self.cur, 0)] == j))
            move = self._relief(on, "hours", j)
            if move is None:
                return
            self._set(*move)
        for dep in np.flatnonzero(self.dep_used > self.dep_cap + 1e-6):  # least net first
            runs = sorted(((self._act_net(code, r), code, r) for code, rs in self.runs.items()
                           for r in rs if self.act_dep[r] == dep))
            for _, code, r in runs:
                if self.dep_used[dep] <= self.dep_cap[dep] + 1e-6:
                    break
                self.runs[code].discard(r)
                self._act_usage(code, r, -1)
        for _ in range(10 * len(self.customers) + 10):
            if self.spent <= self.budget + 1e-6:
                break
            move = self._relief(np.flatnonzero(self.cur >= 0), "cost")
            if move is None:
                return
            self._set(*move)
        while self.count > self.max_n:
            on = np.flatnonzero((self.cur >= 0) & ~self.must)
            if len(on) == 0:
                return
            nets = [self._account(code)[2] for code in on]
            self._set(int(on[int(np.argmin(nets))]), -1)

    # -- fill: what pays most for what it uses, first -----------------------
    def _moves(self, code: int, key: str) -> list[tuple]:
        c = self.cands_of[code]
        base = self.cur[code]
        dh, dcost, dnet = self._switch(code, c)
        sel = (dnet > 1e-9) & (c != base)
        out = [(-_key(key, n, h, k, base < 0), 0, int(code), int(cc))
               for n, h, k, cc in zip(dnet[sel], dh[sel], dcost[sel], c[sel], strict=True)]
        if base >= 0:
            for r in self.acts_of[code]:
                if r in self.runs.get(code, ()):
                    continue
                n = self._act_net(code, r)
                if n > 1e-9:
                    cost = self.act_cost[r] + self.rate[self.cp[base]] * self.act_hours[r]
                    out.append((-_key(key, n, self.act_hours[r], cost, False), 1, int(code), int(r)))
        return out

    def fill(self, key: str, allow_loss: bool = False) -> None:
        import heapq

        version = np.zeros(len(self.customers), np.int64)
        heap = [(k, v, kind, code, x) for code in range(len(self.customers))
                for (k, kind, code, x), v in ((m, 0) for m in self._moves(code, key))]
        heapq.heapify(heap)
        while heap:
            _, v, kind, code, x = heapq.heappop(heap)
            if v != version[code]:
                continue
            if kind == 0:
                j = self.cmgr[x]
                dh, dcost, _ = (a[0] for a in self._switch(code, np.array([x])))
                if (self.used[j] + dh > self.cap[j] + 1e-6
                        or self.spent + dcost > self.budget + 1e-6
                        or (self.cur[code] < 0 and self.count >= self.max_n)):
                    continue
                self._set(code, x)
            else:
                c = self.cur[code]
                j, dep = self.cmgr[c], self.act_dep[x]
                cost = self.act_cost[x] + self.rate[self.cp[c]] * self.act_hours[x]
                if (self.used[j] + self.act_hours[x] > self.cap[j] + 1e-6
                        or self.spent + cost > self.budget + 1e-6
                        or (dep >= 0 and self.dep_used[dep] + self.act_dep_hours[x]
                            > self.dep_cap[dep] + 1e-6)):
                    continue
                self.runs.setdefault(code, set()).add(x)
                self._act_usage(code, x, +1)
            version[code] += 1
            for k, kind2, code2, x2 in self._moves(code, key):
                heapq.heappush(heap, (k, int(version[code]), kind2, code2, x2))

    def _eject(self, c: int, force: bool = False) -> bool:
        """Place candidate ``c``, making room on its manager by dropping the accounts
        that earn least per hour there; only if that gains (or ``force``)."""
        code, j = self.ccode[c], self.cmgr[c]
        if self.cur[code] >= 0:
            return False
        need = self.used[j] + self.chours[c] - self.cap[j]
        if self.spent + self.ccost[c] > self.budget + 1e-6 or self.count >= self.max_n:
            return False
        out: list[int] = []
        if need > 1e-6:
            on = np.flatnonzero((self.cur >= 0) & ~self.must)
            on = on[self.cmgr[self.cur[on]] == j]
            acc = np.array([self._account(k) for k in on]).reshape(-1, 3)
            order = np.argsort(acc[:, 2] / np.maximum(acc[:, 0], 1e-9), kind="stable")
            n = int(np.searchsorted(np.cumsum(acc[order, 0]), need - 1e-6)) + 1
            if n > len(on):
                return False
            out = [int(k) for k in on[order[:n]]]
            if not force and acc[order[:n], 2].sum() >= self.cnet[c] - 1e-9:
                return False
        for k in out:
            self._set(k, -1)
        self._set(int(code), int(c))
        return True

    def add_must(self) -> None:
        for code in np.flatnonzero(self.must & (self.cur < 0)):
            c = self.cands_of[code]
            for cc in c[np.argsort(self.chours[c], kind="stable")]:
                if self._eject(int(cc), force=True):
                    break

    def improve(self, rounds: int = 2) -> None:
        """Place free customers on a full manager instead of accounts that earn less there."""
        for _ in range(rounds):
            free = np.flatnonzero(self.cok & (self.cur[self.ccode] < 0) & (self.cnet > 0))
            moved = False
            for c in free[np.argsort(-self.cnet[free], kind="stable")]:
                moved |= self._eject(int(c))
            if not moved:
                break

    def reach_minimum(self) -> None:
        """Add the least loss-making accounts until ``min_key_accounts`` is reached."""
        if self.count >= self.min_n:
            return
        free = np.flatnonzero(self.cok & (self.cur[self.ccode] < 0))
        for c in free[np.argsort(-self.cnet[free], kind="stable")]:
            if self.count >= self.min_n:
                break
            code, j = self.ccode[c], self.cmgr[c]
            if (self.cur[code] < 0 and self.used[j] + self.chours[c] <= self.cap[j] + 1e-6
                    and self.spent + self.ccost[c] <= self.budget + 1e-6):
                self._set(int(code), int(c))

    def run(self, sketch: _Sketch, improve: bool = True) -> np.ndarray | None:
        self.load(sketch)
        self.repair()
        self.add_must()
        self.reach_minimum()
        keys = ["hour"] + (["eur"] if np.isfinite(self.budget) else [])
        start, best, best_obj = self._snapshot(), None, -np.inf
        for key in keys:
            self._restore(start)
            self.fill(key)
            if improve:
                self.improve(rounds=1)
                self.fill(key)
            if self.feasible() and self.objective() > best_obj:
                best, best_obj = self._snapshot(), self.objective()
        if best is None:
            return None
        self._restore(best)
        return self.values()

    def polish(self, sketch: _Sketch, rounds: int = 3) -> np.ndarray | None:
        """``sketch`` repaired, completed and improved by moves that displace accounts;
        None when the result does not meet every requirement."""
        self.load(sketch)
        self.repair()
        self.add_must()
        self.reach_minimum()
        self.improve(rounds=rounds)
        self.fill("hour")
        return self.values() if self.feasible() else None

    def values(self) -> np.ndarray:
        km = self.km
        v = np.zeros(len(self.arr["obj"]))
        c = self.cur[self.cur >= 0]
        v[km.z[self.co[c]]] = 1.0
        v[km.x[self.cp[c]]] = 1.0
        v[km.g[c]] = 1.0
        pairs = [(self.cp[self.cur[code]], r) for code, rs in self.runs.items() for r in rs]
        if not pairs:
            return v
        lead_p, runs = (np.array(x, np.int64) for x in zip(*pairs, strict=True))
        v[km.a[runs]] = 1.0
        with_hours = self.act_hours[runs] > 0
        lead_p, runs = lead_p[with_hours], runs[with_hours]
        if self.tight:  # b[i,j,k] = 1 for the lead manager j
            qi = pd.MultiIndex.from_frame(km.ql[["p", "r"]]).get_indexer(
                pd.MultiIndex.from_arrays([lead_p, runs]))
            v[km.q[qi[qi >= 0]]] = 1.0
        else:  # q[i,j] = all activity hours of i, on its lead manager j
            hours = pd.Series(self.act_hours[runs]).groupby(lead_p).sum()
            qi = pd.Index(km.ql["p"]).get_indexer(hours.index)
            v[km.q[qi[qi >= 0]]] = hours.to_numpy()[qi >= 0]
        return v


def _group(codes: np.ndarray, rows: np.ndarray, n: int) -> list[np.ndarray]:
    """``rows`` split by ``codes[rows]`` into ``n`` arrays (one per code)."""
    rows = rows[np.argsort(codes[rows], kind="stable")]
    bounds = np.searchsorted(codes[rows], np.arange(n + 1))
    return [rows[bounds[i]:bounds[i + 1]] for i in range(n)]


def _key(key: str, dnet: float, dhours: float, dcost: float, new: bool) -> float:
    """How much a move pays for what it uses: per hour, per EUR, or per account place."""
    if key == "hour":
        return dnet / dhours if dhours > 1e-9 else np.inf
    if key == "eur":
        return dnet / dcost if dcost > 1e-9 else np.inf
    return dnet if new else np.inf
