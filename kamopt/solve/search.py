"""One-year plans from an LP: rounding, relax-and-fix, and a neighbourhood search.

:func:`greedy_start` rounds an LP solution to a plan, :func:`fix_and_solve`
(relax-and-fix) and :func:`support_mip` solve small MIPs around it, and
:func:`improve_by_neighbourhoods` re-plans the accounts of a few managers at a
time on :func:`neighbourhood_search`, the one neighbourhood search loop (the
mid-term plan's search, :mod:`kamopt.solve.midterm_search`, runs on it too).
Heuristics: they find and improve plans; the bound comes from elsewhere.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from kamopt.model.oneyear import KamModel
from kamopt.model.prepare import pair_factor
from kamopt.solve.backend import (
    Solution,
    fix_columns,
    highs_model,
    mip_node_count,
    run_highs,
    set_col_bounds,
    set_options,
    set_start,
    solve,
)

log = logging.getLogger(__name__)


def greedy_start(km: KamModel, lp_values: np.ndarray) -> np.ndarray | None:
    """A feasible plan rounded from the LP solution, as a full column vector.

    Accounts are taken in order of their LP key-account share (must accounts
    first, with any of their managers if need be; others only if the LP takes
    them at least half), each with its (manager, level) of largest LP weight
    that still fits the manager's capacity and the budget; then activities
    with LP value >= 0.5 that fit their department; then the room left is
    filled with the (account, manager, level) choices that earn most per
    hour. Returns None if a must account does not fit.
    """
    d = km.data
    gl = km.gl
    g = lp_values[km.g]
    cand = pd.DataFrame({"p": gl["p"].to_numpy(), "o": gl["o"].to_numpy(), "w": g,
                         "gi": np.arange(len(gl))})
    cand["customer_id"] = d.pairs["customer_id"].to_numpy()[cand["p"]]
    cand["manager_id"] = d.pairs["manager_id"].to_numpy()[cand["p"]]
    cand["hours"] = d.options["hours"].to_numpy()[cand["o"]] * pair_factor(d.pairs, cand["p"])
    cand["rate"] = d.pairs["hourly_cost"].to_numpy()[cand["p"]]
    cand["pair_cost"] = d.pairs["pair_cost"].to_numpy()[cand["p"]]
    y = cand.groupby("customer_id")["w"].sum()
    must = set(d.customers.index[(d.customers["status"] == "must").to_numpy()])
    prio = y + pd.Series([2.0 if c in must else 0.0 for c in y.index], index=y.index)
    # value of each (pair, option) as the objective counts it, per hour it needs
    net = (d.options["value"].to_numpy()[cand["o"]] + d.pairs["value"].to_numpy()[cand["p"]]
           - cand["rate"].to_numpy() * cand["hours"].to_numpy())
    cand = cand.assign(prio=prio.reindex(cand["customer_id"]).to_numpy(), net=net,
                       per_hour=net / np.maximum(cand["hours"].to_numpy(), 1e-9))
    # must accounts may go to any of their managers (the LP's first), at the lightest level first
    is_must = cand["customer_id"].isin(must).to_numpy()
    first = cand[((cand["w"] > 1e-6) & (cand["prio"] >= 0.5)) | is_must].sort_values(
        ["prio", "customer_id", "w", "hours"], ascending=[False, True, False, True])
    # then fill the room left with what earns most per hour
    fill = cand[cand["net"] > 0].sort_values("per_hour", ascending=False)
    cap = d.managers["capacity"].astype(float).to_dict()
    budget = d.scenario.budget if d.scenario.budget is not None else np.inf
    max_ka = d.scenario.max_key_accounts if d.scenario.max_key_accounts is not None else np.inf
    x = np.zeros(len(lp_values))
    done: set[str] = set()
    spent = 0.0

    def take(table: pd.DataFrame) -> None:
        nonlocal spent
        for row in table.itertuples(index=False):
            if row.customer_id in done or len(done) >= max_ka:
                continue
            cost = row.rate * row.hours + row.pair_cost
            if cap[row.manager_id] + 1e-9 >= row.hours and spent + cost <= budget + 1e-9:
                cap[row.manager_id] -= row.hours
                spent += cost
                done.add(row.customer_id)
                x[km.z[row.o]] = 1
                x[km.x[row.p]] = 1
                x[km.g[row.gi]] = 1

    take(first)
    if not must <= done:
        return None
    # activities with LP weight >= 0.5 for chosen accounts, within departments/capacity/budget
    acts = d.acts.assign(w=lp_values[km.a]).reset_index(names="r")
    acts = acts[(acts["w"] >= 0.5) & acts["customer_id"].isin(done)]
    dep_left = d.departments.astype(float).to_dict()
    lead = {c: (p, m) for p, c, m in zip(np.flatnonzero(x[km.x] > 0.5),
                                           d.pairs["customer_id"].to_numpy()[x[km.x] > 0.5],
                                           d.pairs["manager_id"].to_numpy()[x[km.x] > 0.5],
                                           strict=True)}
    ql = km.ql
    tight = "r" in ql.columns
    qpos = (pd.Series(np.arange(len(ql)), index=pd.MultiIndex.from_frame(ql[["p", "r"]]))
            if tight else pd.Series(np.arange(len(ql)), index=ql["p"].to_numpy()))
    for a in acts.sort_values("w", ascending=False).itertuples(index=False):
        p_idx, m = lead[a.customer_id]
        rate = d.pairs["hourly_cost"].to_numpy()[p_idx]
        cost = a.cost + rate * a.kam_hours
        if a.department and dep_left.get(a.department, np.inf) < a.dept_hours - 1e-9:
            continue
        if cap[m] < a.kam_hours - 1e-9 or spent + cost > budget + 1e-9:
            continue
        if a.department:
            dep_left[a.department] -= a.dept_hours
        cap[m] -= a.kam_hours
        spent += cost
        x[km.a[a.r]] = 1
        if a.kam_hours > 0:
            if tight:
                x[km.q[qpos[(p_idx, a.r)]]] = 1
            else:
                x[km.q[qpos[p_idx]]] += a.kam_hours
    take(fill)  # after the activities, which earn more per hour than a marginal account
    n = int(x[km.z].sum())
    s = d.scenario
    if s.min_key_accounts is not None and n < s.min_key_accounts:
        return None
    left = pd.Series(cap)[d.managers.index].to_numpy()
    if (d.managers["capacity"].to_numpy() - left < d.managers["min_hours"].to_numpy() - 1e-9).any():
        return None  # a manager's minimum workload is not reached
    return x


def fixed_to(km: KamModel, values: np.ndarray):
    """A HiGHS model with every integer decision fixed to ``values``."""
    ints = np.flatnonzero(km.lp.arrays()["integer"])
    h = highs_model(km.lp)
    fix_columns(h, ints, np.round(values[ints]))
    return h


def fix_and_solve(km: KamModel, lp_values: np.ndarray, time_limit: float,
                  mip_gap: float, max_free: int = 3000, solver: str = "highs",
                  node_limit: int | None = None, cancel=None) -> Solution:
    """Relax-and-fix: keep every integer decision the LP already took, solve for the rest.

    In an assignment LP almost every account is integral; only a few (about
    one per binding capacity) are split. Fixing the integral ones leaves a
    small MIP that HiGHS (or CBC) solves in seconds. A heuristic: its bound
    is not used.
    """
    d = km.data
    frac = lambda v: (v > 1e-6) & (v < 1 - 1e-6)  # noqa: E731
    split = set(d.options["customer_id"].to_numpy()[frac(lp_values[km.z])])
    split |= set(d.pairs["customer_id"].to_numpy()[frac(lp_values[km.x])])
    free = np.zeros(km.lp.n_cols, dtype=bool)
    free[km.z[d.options["customer_id"].isin(split).to_numpy()]] = True
    free[km.x[d.pairs["customer_id"].isin(split).to_numpy()]] = True
    free[km.a[d.acts["customer_id"].isin(split).to_numpy() | frac(lp_values[km.a])]] = True
    if (km.lp.arrays()["integer"] & free).sum() > max_free:
        return Solution("error", None, None, None, 0.0, solver,
                        message=f"more than {max_free} decisions left free; not tried")
    ints = np.flatnonzero(km.lp.arrays()["integer"] & ~free)
    extra = {"node_limit": node_limit, "cancel": cancel} if solver == "highs" else {}
    return solve(km.lp, solver=solver, time_limit=time_limit, mip_gap=mip_gap,
                 fix=(ints, (lp_values[ints] > 0.5).astype(float)), **extra)


def support_mip(km: KamModel, lp_values: np.ndarray, time_limit: float,
                mip_gap: float, node_limit: int | None = None) -> Solution:
    """The MIP on the LP's support: every integer decision the LP leaves at 0 stays 0.

    What is left is, per manager, which of the LP's accounts (at the LP's
    levels) and activities to keep, with the split accounts placed whole at
    one of the managers the LP split them between: a small MIP that HiGHS
    solves in seconds. At 5,000 x 150 it gave a plan 1.5% below the LP bound
    in 1.8 s, where the greedy rounding gives 9% below, and the
    neighbourhood search started from it reached 1% in 27 s instead of
    ~48 s. A heuristic: its bound holds for the restricted model only.
    """
    ints = np.flatnonzero(km.lp.arrays()["integer"])
    off = ints[lp_values[ints] <= 1e-6]
    return solve(km.lp, time_limit=time_limit, mip_gap=mip_gap, fix=(off, np.zeros(len(off))),
                 node_limit=node_limit)


def nearby_customers_mip(km: KamModel, lp_values: np.ndarray, reduced_costs: np.ndarray,
                         time_limit: float, mip_gap: float, more: int = 10,
                         node_limit: int | None = None, cancel=None) -> Solution:
    """The MIP over a few customers: those the LP makes key accounts at least in part, the
    ``must`` accounts and the ``more`` others whose best level is nearest to entering the LP
    (largest reduced cost of ``z``); every other customer is left out (``z = 0``).

    For a balance band (rows ``balance``), where relax-and-fix, which keeps the LP's
    integral decisions, finds no plan: the band needs the managers' loads packed into
    narrow windows with whole accounts, which the LP's split accounts alone cannot do
    (docs/benchmarks.md, "Balanced workloads"). A heuristic: its bound holds for the
    restricted model only.
    """
    d = km.data
    cust = d.options["customer_id"].to_numpy()
    share = pd.Series(lp_values[km.z]).groupby(cust).sum()
    keep = set(share.index[(share > 1e-6).to_numpy()])
    keep |= set(d.customers.index[(d.customers["status"] == "must").to_numpy()]) & set(cust)
    nearest = pd.Series(reduced_costs[km.z]).groupby(cust).max()
    nearest = nearest.drop(list(keep), errors="ignore")
    # ties in file order: the same customers on every machine
    order = np.lexsort((np.arange(len(nearest)), -nearest.to_numpy()))
    keep |= set(nearest.index[order[:more]])
    off = km.z[~np.isin(cust, list(keep))]
    return solve(km.lp, time_limit=time_limit, mip_gap=mip_gap, node_limit=node_limit,
                 fix=(off, np.zeros(len(off))), cancel=cancel)


def neighbourhood_search(lp, values: np.ndarray, *, managers: np.ndarray,
                         weights: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
                         free: Callable[[np.ndarray, np.ndarray], np.ndarray],
                         solve_step: Callable[..., Solution], max_tries: int | None,
                         target: float | Callable[[], float], size: int,
                         node_limit: int | None, better_by: float, seed: int = 0,
                         max_nodes: int | None = None, adapt: bool = False,
                         start_each: bool = False, options: dict | None = None,
                         deadline: float | None = None, cancel=None,
                         on_improve: Callable[[np.ndarray], None] | None = None,
                         report: dict | None = None) -> np.ndarray:
    """The neighbourhood search of the one-year and the mid-term plan: re-plan what a few
    managers decide, one neighbourhood at a time, on the whole model ``lp``.

    A neighbourhood is ``size`` managers, half drawn (seeded by ``seed``) with
    the probabilities ``weights(values)`` gives for its candidates (where the
    plan leaves hours unused), half at random among the rest of ``managers``.
    The integer columns ``free(values, pick)`` marks keep their own bounds,
    every other integer column is fixed to the plan (and, with ``start_each``,
    the plan is HiGHS's start); ``solve_step(h, time_limit, node_limit)``
    solves that sub-MIP, whose plan is kept when it is better by ``better_by``
    (relative). What the two plans differ in is these arguments; the loop and
    its budgets are one:

    **A work budget, not a clock.** At most ``max_tries`` neighbourhoods (None:
    no limit), each sub-MIP at ``node_limit`` nodes; it stops earlier when the
    objective reaches ``target`` (a number, or a function giving it), when
    ``cancel`` is set, or when ``3 x managers`` neighbourhoods in a row find
    nothing better: then, if ``max_nodes`` allows, the next neighbourhoods get
    twice the nodes and one manager more, else the search stops. With
    ``adapt``, a neighbourhood proven within ``node_limit / 2`` nodes makes
    the next one manager larger (up to half the managers), one not proven one
    smaller. ``deadline`` (perf_counter) is only a safety net. Every choice
    follows from the plans and the solver's counts, never from the time taken,
    so the same model and start give the same plan on a quiet and on a busy
    machine. ``on_improve(values)`` is told every better plan.

    ``report`` (a dict, if given) receives ``tries``, ``improved`` and
    ``stopped_by``: ``"target"``, ``"cancelled"``, ``"budget"``, ``"time"`` or
    ``"stall"``.
    """
    arr = lp.arrays()
    obj = arr["obj"]
    ints = np.flatnonzero(arr["integer"])
    h = highs_model(lp)
    set_options(h, **(options or {}))
    rng = np.random.default_rng(seed)
    mgr = managers
    best = float(obj @ values)
    stall = tries = improved = 0
    size = min(size, len(mgr))
    max_size = max(size, len(mgr) // 2)
    goal = target if callable(target) else (lambda: target)
    while True:
        if best >= goal():
            stopped = "target"
            break
        if cancel is not None and cancel.is_set():
            stopped = "cancelled"
            break
        if max_tries is not None and tries >= max_tries:
            stopped = "budget"
            break
        if deadline is not None and time.perf_counter() >= deadline:
            stopped = "time"
            break
        if stall >= 3 * len(mgr):
            # the small neighbourhoods are used up: larger ones, with more nodes each
            if max_nodes is None or node_limit is None or node_limit >= max_nodes:
                stopped = "stall"
                break
            node_limit, size, stall = 2 * node_limit, min(size + 1, max_size), 0
        candidates, p = weights(values)
        guided = rng.choice(candidates, size=max(1, size // 2), replace=False, p=p)
        rest = np.setdiff1d(mgr, guided)
        pick = np.r_[guided, rng.choice(rest, size=min(size - len(guided), len(rest)),
                                        replace=False)]
        f = free(values, pick)
        lo = np.where(f[ints], arr["lb"][ints], np.round(values[ints]))  # a freed column:
        hi = np.where(f[ints], arr["ub"][ints], np.round(values[ints]))  # its own bounds
        set_col_bounds(h, ints, lo, hi)
        if start_each:
            set_start(h, values)
        left = 1e6 if deadline is None else deadline - time.perf_counter()
        if left <= 0.2:
            stopped = "time"
            break
        sol = solve_step(h, min(left, 1e6), node_limit)
        tries += 1
        if sol.ok and sol.objective > best + better_by * max(1.0, abs(best)):
            values, best, stall = sol.values, sol.objective, 0
            improved += 1
            if on_improve is not None:
                on_improve(values)
        else:
            stall += 1
        if sol.stopped_by == "time":  # the safety net: what follows would depend on the clock
            stopped = "time"
            break
        if adapt:  # neighbourhoods grow while HiGHS proves them in few nodes, shrink when not
            if sol.status == "optimal" and mip_node_count(h) <= node_limit // 2:
                size = min(size + 1, max_size)
            elif sol.status != "optimal":
                size = max(size - 1, 2)
    if report is not None:
        report.update(tries=tries, improved=improved, stopped_by=stopped)
    return values


def improve_by_neighbourhoods(km: KamModel, values: np.ndarray, deadline: float | None = None,
                              target: float = np.inf, seed: int = 0, size: int | None = None,
                              wanted: np.ndarray | None = None, *, max_tries: int | None = None,
                              node_limit: int | None = None, cancel=None,
                              report: dict | None = None) -> np.ndarray:
    """The one-year neighbourhood search (:func:`neighbourhood_search`): re-plan the
    accounts of a few managers at a time.

    All decisions are fixed to the incumbent except those of the customers
    led by ``size`` managers (half picked where the plan leaves hours unused,
    half at random), and of the customers who are
    not key accounts but whom the LP (``wanted``, its column values) put at
    least partly with one of those managers; that small MIP is solved and
    kept when better. Stops after ``max_tries`` neighbourhoods (a work budget:
    with ``node_limit`` on each small MIP the search is the same on every
    machine), at ``deadline`` (perf_counter; a safety net), when the objective
    reaches ``target``, when ``3 x managers`` neighbourhoods in a row find
    nothing better, or when ``cancel`` is set. ``report`` as for
    :func:`neighbourhood_search`.
    """
    d = km.data
    mgr = d.managers.index.to_numpy()
    pair_c = d.pairs["customer_id"].to_numpy()
    pair_m = d.pairs["manager_id"].to_numpy()
    # (customer, manager) pairs worth trying: those the LP used at least in part
    lp_pair = np.ones(len(pair_c), bool) if wanted is None else wanted[km.x] > 1e-6
    cap_block = km.lp.rows["capacity"]
    cap_rows = km.lp.matrix().tocsr()[cap_block.slice]
    capacity = np.maximum(km.lp.arrays()["row_hi"][cap_block.slice], 1e-9)
    cap_mgr = cap_block.labels["manager_id"].to_numpy()
    opt_c = d.options["customer_id"]
    act_c = d.acts["customer_id"]

    def weights(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # a manager's share of hours the plan leaves unused
        slack = np.clip(1 - (cap_rows @ values) / capacity, 0, 1) + 0.02
        return cap_mgr, slack / slack.sum()

    def free(values: np.ndarray, pick: np.ndarray) -> np.ndarray:
        led = values[km.x] > 0.5
        inm = np.isin(pair_m, pick)
        key_accounts = set(pair_c[led])
        cust = set(pair_c[inm & led]) | (set(pair_c[inm & lp_pair]) - key_accounts)
        out = np.zeros(km.lp.n_cols, dtype=bool)
        out[km.z[opt_c.isin(cust).to_numpy()]] = True
        out[km.x[np.isin(pair_c, list(cust)) & inm]] = True
        out[km.a[act_c.isin(cust).to_numpy()]] = True
        return out

    def solve_step(h, time_limit: float, nodes: int | None) -> Solution:
        return run_highs(h, time_limit, 1e-4, node_limit=nodes, cancel=cancel)

    report = {} if report is None else report
    values = neighbourhood_search(
        km.lp, values, managers=mgr, weights=weights, free=free, solve_step=solve_step,
        max_tries=max_tries, target=target, size=size or max(4, len(mgr) // 25),  # measured:
        node_limit=node_limit, better_by=1e-6, seed=seed,  # 6 of 150 beat 4, 10 and 20
        deadline=deadline, cancel=cancel, report=report)
    log.info("neighbourhood search: %d neighbourhoods, plan %.6g (%s)", report["tries"],
             float(km.lp.arrays()["obj"] @ values), report["stopped_by"])
    return values


def meets_rows(lp, values: np.ndarray, tol: float = 1e-6) -> bool:
    """Whether the plan ``values`` keeps every row and every bound of ``lp`` (relative
    tolerance ``tol``) and is whole where it must be: a check for plans made by rules of
    thumb (:func:`greedy_start` knows capacity, budget and the number of key accounts, not
    every rule, e.g. a cap on disruption, or an activity the scenario commits, which is a
    lower bound of 1)."""
    arr = lp.arrays()
    v = np.asarray(values, float)
    act = lp.matrix() @ v
    slack = tol * (1 + np.abs(act))
    rows = np.all(act >= arr["row_lo"] - slack) and np.all(act <= arr["row_hi"] + slack)
    bounds = np.all(v >= arr["lb"] - tol) and np.all(v <= arr["ub"] + tol)
    ints = arr["integer"]
    whole = np.all(np.abs(v[ints] - np.round(v[ints])) <= tol)
    return bool(rows and bounds and whole)
