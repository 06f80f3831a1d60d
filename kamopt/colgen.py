"""Large cases: price (customer, manager) pairs in, instead of building them all.

At 5,000 customers x 150 managers the full model has ~2.5 million columns
(every eligible pair times every level); HiGHS cannot even find a plan in
minutes. Most pairs are never worth using: a customer is led by one of the few
managers that fit it and have room. This module

1. starts from a few promising pairs per customer (cheapest rate, industry
   fit, continuity, spread over managers) and *all* pairs of ``must``
   accounts;
2. solves the LP relaxation, prices every left-out pair with the LP's duals
   (vectorised: a pair's best reduced cost over its levels, plus the
   activities it could carry) and adds those that would improve the LP;
   repeats until none would. The LP bound is then the bound of the *full*
   model;
3. builds a plan greedily from the LP solution (a warm start), and solves the
   MIP over the priced-in pairs.

The gap reported is measured against the full model's LP bound, so it is
honest for the full model: ``(LP bound - plan) / plan``. The restricted MIP's
own bound is not used (it holds only for the restricted pair set).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from .model import KamModel, build
from .prepare import ModelData
from .solve import Solution, highs_model, relative_gap, run_highs, solve

#: use pricing when the full model would have more (pair x level) columns than this
PRICING_THRESHOLD = 60_000


def full_size(d: ModelData) -> int:
    """(pair x level) columns the full model would have."""
    n_levels = d.options.groupby("customer_id").size()
    return int(n_levels.reindex(d.pairs["customer_id"]).sum()) if len(d.pairs) else 0


def initial_pairs(d: ModelData, k: int = 6) -> np.ndarray:
    """A boolean mask of promising pairs: the k best per customer, and all of must accounts.

    "Best" is the pair's net value at standard coverage (fit and continuity
    bonus minus hours at the manager's rate) plus a small nudge towards
    managers with more capacity, so that customers do not all start on the
    same cheapest manager.
    """
    p = d.pairs
    hours = d.options.groupby("customer_id")["hours"].median().reindex(p["customer_id"]).to_numpy()
    cap = d.managers["capacity"].reindex(p["manager_id"]).to_numpy(float)
    score = p["value"].to_numpy() - p["hourly_cost"].to_numpy() * hours + 1e-3 * cap
    score = score + p["continuity"].to_numpy() * 1e9  # keep today's manager in the start set
    _, ci, _ = _codes(d)
    order = np.lexsort((-score, ci))
    rank = np.empty(len(p), dtype=np.int64)
    grp = ci[order]
    starts = np.r_[0, np.flatnonzero(grp[1:] != grp[:-1]) + 1]
    pos = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank[order] = pos
    keep = rank < k
    must = d.customers.index[(d.customers["status"] == "must").to_numpy()]
    keep |= p["customer_id"].isin(must).to_numpy()
    return keep


def restrict(d: ModelData, keep: np.ndarray) -> ModelData:
    return dataclasses.replace(d, pairs=d.pairs[keep].reset_index(drop=True))


def _codes(d: ModelData) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Integer codes of the pairs' customers and managers (pricing works on these)."""
    cust = pd.Index(d.customers.index)
    return (cust, cust.get_indexer(d.pairs["customer_id"]),
            pd.Index(d.managers.index).get_indexer(d.pairs["manager_id"]))


def price_pairs(d: ModelData, km: KamModel, duals: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Reduced cost of adding each candidate pair (index into ``d.pairs``), vectorised.

    A new pair (i, j) at level l adds x[i,j] and g[i,j,l] moving together:
    value ``pair value - rate_j H_il`` against the duals of level_lead[i,l],
    capacity[j] and the budget; plus, for each activity of i with KAM hours,
    the best of 0 and its own reduced cost (it can ride on the pair).
    Works on integer codes and dense (customer x level) arrays, so pricing
    millions of pairs takes seconds and little memory.
    """
    lp = km.lp
    cust, ci_all, mj_all = _codes(d)
    ci, mj = ci_all[candidates], mj_all[candidates]
    rate = d.pairs["hourly_cost"].to_numpy()[candidates]
    value = d.pairs["value"].to_numpy()[candidates]
    cap = lp.rows["capacity"]
    cap_dual = np.zeros(len(d.managers))
    cap_dual[pd.Index(d.managers.index).get_indexer(cap.labels["manager_id"])] = duals[cap.slice]
    bud = lp.rows.get("budget")
    budget_dual = float(duals[bud.start]) if bud is not None else 0.0
    # dense (customer x option rank) arrays of hours and level_lead duals
    o = d.options
    oc = cust.get_indexer(o["customer_id"])
    rank = o.groupby("customer_id", sort=False).cumcount().to_numpy()
    n_l = int(rank.max()) + 1 if len(rank) else 1
    hours = np.full((len(cust), n_l), np.nan)
    hours[oc, rank] = o["hours"].to_numpy()
    ll = lp.rows["level_lead"]  # one row per option, in the order of d.options
    o_dual = np.zeros((len(cust), n_l))
    o_dual[oc, rank] = duals[ll.slice]
    H = hours[ci]  # (candidates x levels)
    rc_level = (value[:, None] - rate[:, None] * H - o_dual[ci] - H * cap_dual[mj][:, None]
                - rate[:, None] * H * budget_dual)
    rc = np.nanmax(np.where(np.isnan(H), -np.inf, rc_level), axis=1)
    acts = d.acts[d.acts["kam_hours"] > 0]
    if len(acts) and "r" in km.ql.columns:  # tight form: one b[i,j,k] per activity
        al = lp.rows["activity_lead"]
        a_dual = pd.Series(duals[al.slice], index=pd.MultiIndex.from_frame(
            al.labels[["customer_id", "activity_id"]]))
        ad = a_dual.reindex(pd.MultiIndex.from_frame(acts[["customer_id", "activity_id"]]))
        ac = cust.get_indexer(acts["customer_id"])
        kh = acts["kam_hours"].to_numpy()
        ad = ad.fillna(0.0).to_numpy()
        # candidates x activities of the same customer, through a CSR-like grouping
        order = np.argsort(ac, kind="stable")
        starts = np.searchsorted(ac[order], np.arange(len(cust)))
        ends = np.searchsorted(ac[order], np.arange(len(cust)), side="right")
        n_per = (ends - starts)[ci]
        k2 = np.repeat(np.arange(len(ci)), n_per)
        offs = np.arange(len(k2)) - np.repeat(np.cumsum(n_per) - n_per, n_per)
        r = order[np.repeat(starts[ci], n_per) + offs]
        rc_b = (-rate[k2] * kh[r] - ad[r] - kh[r] * cap_dual[mj[k2]]
                - rate[k2] * kh[r] * budget_dual)
        rc += np.bincount(k2, weights=np.maximum(rc_b, 0), minlength=len(ci))
    elif len(acts):  # compact form: q[i,j] <= A_i x[i,j]
        ah = acts.groupby("customer_id")["kam_hours"].sum()
        hb = lp.rows.get("activity_hours")
        h_dual = np.zeros(len(cust))
        if hb is not None:
            h_dual[cust.get_indexer(hb.labels["customer_id"])] = duals[hb.slice]
        a_hours = np.zeros(len(cust))
        a_hours[cust.get_indexer(ah.index)] = ah.to_numpy()
        rc_q = -rate - h_dual[ci] - cap_dual[mj] - rate * budget_dual
        rc += np.maximum(rc_q, 0) * a_hours[ci]
    return rc


def greedy_start(km: KamModel, lp_values: np.ndarray) -> np.ndarray | None:
    """A feasible plan rounded from the LP solution, as a full column vector.

    Accounts are taken in order of their LP key-account share (must accounts
    first; only those the LP takes at least half), each with its (manager,
    level) of largest LP weight that still fits the manager's capacity and the
    budget; then activities with LP value >= 0.5 that fit their department;
    then the room left is filled with the (account, manager, level) choices
    that earn most per hour. Returns None if a must account does not fit.
    """
    d = km.data
    gl = km.gl
    g = lp_values[km.g]
    cand = pd.DataFrame({"p": gl["p"].to_numpy(), "o": gl["o"].to_numpy(), "w": g,
                         "gi": np.arange(len(gl))})
    cand["customer_id"] = d.pairs["customer_id"].to_numpy()[cand["p"]]
    cand["manager_id"] = d.pairs["manager_id"].to_numpy()[cand["p"]]
    cand["hours"] = d.options["hours"].to_numpy()[cand["o"]]
    cand["rate"] = d.pairs["hourly_cost"].to_numpy()[cand["p"]]
    y = cand.groupby("customer_id")["w"].sum()
    must = set(d.customers.index[(d.customers["status"] == "must").to_numpy()])
    prio = y + pd.Series([2.0 if c in must else 0.0 for c in y.index], index=y.index)
    # value of each (pair, option) as the objective counts it, per hour it needs
    net = (d.options["value"].to_numpy()[cand["o"]] + d.pairs["value"].to_numpy()[cand["p"]]
           - cand["rate"].to_numpy() * cand["hours"].to_numpy())
    cand = cand.assign(prio=prio.reindex(cand["customer_id"]).to_numpy(), net=net,
                       per_hour=net / np.maximum(cand["hours"].to_numpy(), 1e-9))
    first = cand[(cand["w"] > 1e-6) & (cand["prio"] >= 0.5)].sort_values(
        ["prio", "customer_id", "w"], ascending=[False, True, False])
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
            cost = row.rate * row.hours
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
    return x


def _fixed_to(km: KamModel, values: np.ndarray):
    """A HiGHS model with every integer decision fixed to ``values``."""
    ints = np.flatnonzero(km.lp.arrays()["integer"])
    h = highs_model(km.lp)
    v = np.round(values[ints])
    h.changeColsBounds(len(ints), ints.astype(np.int32), v, v)
    return h


def fix_and_solve(km: KamModel, lp_values: np.ndarray, time_limit: float,
                  mip_gap: float, max_free: int = 3000) -> Solution:
    """Relax-and-fix: keep every integer decision the LP already took, solve for the rest.

    In an assignment LP almost every account is integral; only a few (about
    one per binding capacity) are split. Fixing the integral ones leaves a
    small MIP that HiGHS solves in seconds. A heuristic: its bound is not used.
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
        return Solution("error", None, None, None, 0.0, "highs",
                        message=f"more than {max_free} decisions left free; not tried")
    ints = np.flatnonzero(km.lp.arrays()["integer"] & ~free)
    v = lp_values[ints]
    zero = ints[v <= 0.5]
    one = ints[v > 0.5]
    h = highs_model(km.lp)
    for cols, lo, hi in ((zero, 0.0, 0.0), (one, 1.0, 1.0)):
        if len(cols):
            h.changeColsBounds(len(cols), cols.astype(np.int32), np.full(len(cols), lo),
                               np.full(len(cols), hi))
    return run_highs(h, time_limit, mip_gap)


def improve_by_neighbourhoods(km: KamModel, values: np.ndarray, deadline: float,
                              target: float, seed: int = 0, size: int | None = None,
                              wanted: np.ndarray | None = None) -> np.ndarray:
    """Large-neighbourhood search: re-plan the accounts of a few managers at a time.

    All decisions are fixed to the incumbent except those of the customers
    led by ``size`` managers (half picked where the plan leaves hours unused,
    half at random), and of the customers who are
    not key accounts but whom the LP (``wanted``, its column values) put at
    least partly with one of those managers; that small MIP is solved and
    kept when better. Stops at ``deadline`` (perf_counter) or when the
    objective reaches ``target``.
    """
    d = km.data
    obj = km.lp.arrays()["obj"]
    ints = np.flatnonzero(km.lp.arrays()["integer"])
    h = highs_model(km.lp)
    rng = np.random.default_rng(seed)
    mgr = d.managers.index.to_numpy()
    pair_c = d.pairs["customer_id"].to_numpy()
    pair_m = d.pairs["manager_id"].to_numpy()
    best = float(obj @ values)
    stall = 0
    size = size or max(4, len(mgr) // 25)  # measured: 6 of 150 beat 4, 10 and 20
    # (customer, manager) pairs worth trying: those the LP used at least in part
    lp_pair = np.ones(len(pair_c), bool) if wanted is None else wanted[km.x] > 1e-6
    cap_block = km.lp.rows["capacity"]
    cap_rows = km.lp.matrix().tocsr()[cap_block.slice]
    capacity = np.maximum(km.lp.arrays()["row_hi"][cap_block.slice], 1e-9)
    cap_mgr = cap_block.labels["manager_id"].to_numpy()
    while time.perf_counter() < deadline and best < target and stall < 3 * len(mgr):
        # half the managers where the plan leaves hours unused, half at random
        slack = np.clip(1 - (cap_rows @ values) / capacity, 0, 1) + 0.02
        n = min(size, len(mgr))
        guided = rng.choice(cap_mgr, size=max(1, n // 2), replace=False, p=slack / slack.sum())
        rest = np.setdiff1d(mgr, guided)
        pick = list(guided) + list(rng.choice(rest, size=min(n - len(guided), len(rest)),
                                              replace=False))
        led = values[km.x] > 0.5
        inm = np.isin(pair_m, pick)
        key_accounts = set(pair_c[led])
        cust = set(pair_c[inm & led]) | (set(pair_c[inm & lp_pair]) - key_accounts)
        free = np.zeros(km.lp.n_cols, dtype=bool)
        free[km.z[d.options["customer_id"].isin(cust).to_numpy()]] = True
        free[km.x[np.isin(pair_c, list(cust)) & inm]] = True
        free[km.a[d.acts["customer_id"].isin(cust).to_numpy()]] = True
        lo = np.where(free[ints], 0.0, np.round(values[ints]))
        hi = np.where(free[ints], 1.0, np.round(values[ints]))
        h.changeColsBounds(len(ints), ints.astype(np.int32), lo, hi)
        left = deadline - time.perf_counter()
        if left <= 0.2:
            break
        sol = run_highs(h, min(left, 2.0), 1e-4)
        if sol.ok and sol.objective > best + 1e-6 * max(1.0, abs(best)):
            values, best, stall = sol.values, sol.objective, 0
        else:
            stall += 1
    return values


def solve_by_pricing(d: ModelData, time_limit: float, mip_gap: float, k: int = 6,
                     max_rounds: int = 30, add_per_customer: int = 3) -> tuple[KamModel, Solution]:
    """Plan a large case: price pairs in on the LP, then solve the MIP on them."""
    t0 = time.perf_counter()
    keep = initial_pairs(d, k)
    _, pair_ci, _ = _codes(d)
    lp_bound = np.inf
    for _ in range(max_rounds):
        km = build(restrict(d, keep))
        lp = solve(km.lp, relax=True, time_limit=max(1.0, time_limit - (time.perf_counter() - t0)))
        if lp.status == "infeasible" and not keep.all():
            k *= 2  # the restriction itself may be what is infeasible: widen it
            keep |= initial_pairs(d, k)
            continue
        if lp.status == "infeasible":
            return km, lp  # the full model is infeasible: the caller explains it
        if not lp.ok or lp.row_duals is None:
            return km, dataclasses.replace(
                lp, status="error", values=None, seconds=time.perf_counter() - t0,
                message=f"the LP relaxation over {int(keep.sum()):,} (customer, manager) pairs "
                        f"({km.lp.n_cols:,} columns) did not finish within the time limit of "
                        f"{time_limit:g} s; give the scenario a larger time_limit")
        cand = np.flatnonzero(~keep)
        rc = price_pairs(d, km, lp.row_duals, cand) if len(cand) else np.zeros(0)
        # Lagrangian bound of the full LP: each customer takes at most one
        # (manager, level), so no left-out pair can add more than its reduced cost
        best_rc = np.zeros(len(d.customers))
        np.maximum.at(best_rc, pair_ci[cand], np.maximum(rc, 0))
        lp_bound = min(lp_bound, lp.objective + float(best_rc.sum()))
        pos = rc > 1e-9 * max(1.0, abs(lp.objective))
        if not pos.any() or relative_gap(lp.objective, lp_bound) <= mip_gap / 4:
            break
        # the best few per customer
        c = pd.DataFrame({"cand": cand[pos], "rc": rc[pos], "ci": pair_ci[cand[pos]]})
        c = c.sort_values("rc", ascending=False).groupby("ci").head(add_per_customer)
        keep[c["cand"].to_numpy()] = True
    h = highs_model(km.lp)
    obj = km.lp.arrays()["obj"]
    starts = [x for x in (greedy_start(km, lp.values),) if x is not None]
    fixed = fix_and_solve(km, lp.values, min(5.0, 0.1 * time_limit), mip_gap / 4)
    if fixed.ok:
        starts.append(fixed.values)
    start = max(starts, key=lambda x: float(obj @ x)) if starts else None
    if start is not None and np.isfinite(lp_bound):
        target = lp_bound / (1 + mip_gap)
        deadline = t0 + 0.97 * time_limit
        start = improve_by_neighbourhoods(km, start, deadline, target, wanted=lp.values)
        value = float(km.lp.arrays()["obj"] @ start)
        within = relative_gap(value, lp_bound) <= mip_gap
        if within or time_limit - (time.perf_counter() - t0) < 2.0:
            final = run_highs(_fixed_to(km, start), 10.0, 0.0)  # exact values and a clean status
            if final.ok:
                gap = relative_gap(final.objective, lp_bound)
                return km, dataclasses.replace(
                    final, status="optimal" if gap <= mip_gap + 1e-9 else "feasible", gap=gap,
                    bound=lp_bound, seconds=time.perf_counter() - t0,
                    message=(f"within {mip_gap:.2%} of the LP bound" if within else
                             "time limit reached in the neighbourhood search")
                    + f"; priced {int(keep.sum()):,} of {len(keep):,} pairs")
    if start is not None:
        import highspy

        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    left = max(1.0, time_limit - (time.perf_counter() - t0))
    # stop when the plan is within the gap of the full model's LP bound
    if np.isfinite(lp_bound):
        h.setOptionValue("objective_target", float(lp_bound / (1 + mip_gap)))
    mip = run_highs(h, left, mip_gap)
    if not mip.ok:
        return km, mip
    gap = relative_gap(mip.objective, lp_bound) if np.isfinite(lp_bound) else np.inf
    own = mip.gap if mip.gap is not None else np.inf
    status = "optimal" if (gap <= mip_gap + 1e-9 or (mip.status == "optimal" and keep.all())) else "feasible"
    if keep.all():
        gap = min(gap, own)
    bound = lp_bound if np.isfinite(lp_bound) else None
    return km, dataclasses.replace(mip, status=status, gap=gap, bound=bound,
                                   seconds=time.perf_counter() - t0,
                                   message=f"{mip.message}; priced {int(keep.sum()):,} of "
                                           f"{len(keep):,} pairs")
