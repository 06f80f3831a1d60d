"""Large cases: price (customer, manager) pairs in on the LP instead of building them all.

:func:`solve_by_pricing` starts from a few promising pairs per customer (all
pairs of ``must`` accounts), prices the left-out pairs with the LP's duals and
adds those that would improve the LP until none would, then builds and improves
a plan on the priced-in pairs (:mod:`kamopt.solve.search`). Its gap is measured
against a bound of the *full* model (the last LP plus the left-out pairs'
reduced costs, or a Lagrangian bound), so it is honest; see docs/benchmarks.md.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
import pandas as pd

from kamopt.model.oneyear import KamModel, build
from kamopt.model.prepare import ModelData, pair_factor
from kamopt.solve.backend import (
    Solution,
    get_basis,
    highs_model,
    relative_gap,
    run_highs,
    set_basis,
    set_options,
    set_start,
)
from kamopt.solve.search import (
    fix_and_solve,
    fixed_to,
    greedy_start,
    improve_by_neighbourhoods,
    meets_rows,
    support_mip,
)

log = logging.getLogger(__name__)

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
    hours = (d.options.groupby("customer_id")["hours"].median().reindex(p["customer_id"]).to_numpy()
             * pair_factor(p))
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
    # a manager with a minimum workload keeps all his or her pairs, so that the
    # restricted model can always reach the minimum if the full one can
    keep |= p["manager_id"].isin(d.managers.index[d.managers["min_hours"] > 0]).to_numpy()
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
    pair_cost = d.pairs["pair_cost"].to_numpy()[candidates]
    cap_dual = np.zeros(len(d.managers))  # of a manager's hours: capacity and minimum workload
    for name in ("capacity", "min_workload"):
        rows = lp.rows.get(name)
        if rows is not None:
            cap_dual[pd.Index(d.managers.index).get_indexer(rows.labels["manager_id"])] += \
                duals[rows.slice]
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
    H = hours[ci] * pair_factor(d.pairs, candidates)[:, None]  # (candidates x levels), this lead's
    rc_level = (value[:, None] - rate[:, None] * H - o_dual[ci] - H * cap_dual[mj][:, None]
                - (rate[:, None] * H + pair_cost[:, None]) * budget_dual)
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


# ------------------------------------------------------------ Lagrangian bound
@dataclasses.dataclass
class Lagrangian:
    """A bound of the *full* model from prices on the shared resources.

    Manager hours (``capacity_price``, EUR per hour, in the order of
    ``d.managers``), department hours (``department_price``, in the order of
    ``d.departments``) and the budget (``budget_price``, EUR per EUR) are
    priced instead of limited; every customer then picks its best (manager,
    level, activities) alone. For any non-negative prices,
    ``prices x capacities + sum of the customers' best values`` is at least
    the best plan's value (weak duality), so ``bound`` is valid whatever the
    prices; the subgradient search only makes it tighter. Limits on the
    number of key accounts are left out, which can only raise the bound.
    """

    bound: float
    capacity_price: np.ndarray
    department_price: np.ndarray
    budget_price: float
    pair_score: np.ndarray  # per pair of d.pairs: the customer's best value with that manager
    chosen: np.ndarray  # per pair: the pair a customer picks at these prices
    level: np.ndarray  # per pair: the rank (in d.options) of its best level at these prices
    iterations: int
    seconds: float
    #: "budget" (its steps), "converged", or "time" (the safety net)
    stopped_by: str = ""


class _PairTable:
    """Integer-coded arrays of every pair, option and activity, for fast pricing."""

    def __init__(self, d: ModelData):
        cust, ci, mj = _codes(d)
        self.n_cust, self.n_mgr, self.n_pairs = len(cust), len(d.managers), len(d.pairs)
        self.ci, self.mj = ci, mj
        self.order = np.argsort(ci, kind="stable")
        cs = ci[self.order]
        self.starts = np.r_[0, np.flatnonzero(cs[1:] != cs[:-1]) + 1] if len(cs) else np.zeros(0, int)
        self.group_cust = cs[self.starts] if len(cs) else np.zeros(0, int)
        self.counts = np.diff(np.r_[self.starts, len(cs)])
        self.vx = d.pairs["value"].to_numpy(float)
        self.pc = d.pairs["pair_cost"].to_numpy(float)  # in the budget too
        self.rate = d.pairs["hourly_cost"].to_numpy(float)
        o = d.options
        oc = cust.get_indexer(o["customer_id"])
        rank = o.groupby("customer_id", sort=False).cumcount().to_numpy()
        self.n_l = int(rank.max()) + 1 if len(rank) else 1
        self.V = np.full((self.n_cust, self.n_l), -np.inf)
        self.H = np.zeros((self.n_cust, self.n_l))
        self.V[oc, rank] = o["value"].to_numpy(float)
        self.H[oc, rank] = o["hours"].to_numpy(float)
        # per pair (gathered once: the hot loop); the hours under that lead (its hours factor)
        self.Vp, self.Hp = self.V[ci], self.H[ci] * pair_factor(d.pairs)[:, None]
        self.must = (d.customers["status"] == "must").to_numpy()
        a = d.acts
        deps = pd.Index(d.departments.index)
        self.a_c = cust.get_indexer(a["customer_id"])
        self.a_w = (a["value"] - a["cost"]).to_numpy(float)
        self.a_cost = a["cost"].to_numpy(float)
        self.a_kh = a["kam_hours"].to_numpy(float)
        self.a_dep = deps.get_indexer(a["department"].astype(str))  # -1: no department
        self.a_dh = np.where(self.a_dep >= 0, a["dept_hours"].to_numpy(float), 0.0)
        # (pair, activity with KAM hours of the same customer): the activity rides on the pair
        ride = np.flatnonzero(self.a_kh > 0)
        by_c = ride[np.argsort(self.a_c[ride], kind="stable")]
        first = np.searchsorted(self.a_c[by_c], np.arange(self.n_cust))
        last = np.searchsorted(self.a_c[by_c], np.arange(self.n_cust), side="right")
        n_per = (last - first)[ci]
        self.e_p = np.repeat(np.arange(self.n_pairs), n_per)
        offs = np.arange(len(self.e_p)) - np.repeat(np.cumsum(n_per) - n_per, n_per)
        self.e_r = by_c[np.repeat(first[ci], n_per) + offs]
        self.free = np.flatnonzero(self.a_kh <= 0)  # activities without KAM hours
        self.C = d.managers["capacity"].to_numpy(float)
        self.D = d.departments.to_numpy(float) if len(d.departments) else np.zeros(0)
        self.B = float(d.scenario.budget) if d.scenario.budget is not None else None

    def evaluate(self, lam: np.ndarray, mu: np.ndarray, beta: float):
        """The Lagrangian value at these prices, a subgradient, and each pair's score."""
        c = self.rate * (1 + beta) + lam[self.mj]  # EUR per hour of the pair's manager
        lv = self.Vp - c[:, None] * self.Hp
        lvl = np.argmax(lv, axis=1)
        score = self.vx - beta * self.pc + np.take_along_axis(lv, lvl[:, None], axis=1)[:, 0]
        mu_a = np.where(self.a_dep >= 0, mu[np.maximum(self.a_dep, 0)] if len(mu) else 0.0, 0.0)
        a_fix = self.a_w - mu_a * self.a_dh - beta * self.a_cost
        ride = a_fix[self.e_r] - c[self.e_p] * self.a_kh[self.e_r]
        on = ride > 0
        score += np.bincount(self.e_p, weights=np.where(on, ride, 0.0), minlength=self.n_pairs)
        free_val = np.bincount(self.a_c[self.free], weights=np.maximum(a_fix[self.free], 0.0),
                               minlength=self.n_cust)
        score += free_val[self.ci]
        # each customer's best pair (or none, unless it is a must account)
        s = score[self.order]
        gmax = np.maximum.reduceat(s, self.starts) if len(s) else np.zeros(0)
        is_max = s >= np.repeat(gmax, self.counts)
        pos = np.flatnonzero(is_max)
        grp = np.repeat(np.arange(len(self.starts)), self.counts)[pos]
        best_pos = pos[np.r_[True, grp[1:] != grp[:-1]]] if len(pos) else pos
        take = (gmax > 0) | self.must[self.group_cust]
        value = float(np.where(take, gmax, 0.0).sum())
        p_star = self.order[best_pos[take]]
        chosen = np.zeros(self.n_pairs, bool)
        chosen[p_star] = True
        # resources the customers' choices use
        i_star, l_star = self.ci[p_star], lvl[p_star]
        hours = self.Hp[p_star, l_star]
        e_on = on & chosen[self.e_p]
        ride_h = np.bincount(self.e_p[e_on], weights=self.a_kh[self.e_r[e_on]], minlength=self.n_pairs)
        used = np.bincount(self.mj[p_star], weights=hours + ride_h[p_star], minlength=self.n_mgr)
        free_on = self.free[(a_fix[self.free] > 0) & np.isin(self.a_c[self.free], i_star)]
        acts_on = np.r_[self.e_r[e_on], free_on].astype(np.int64)
        dep_used = np.bincount(self.a_dep[acts_on][self.a_dep[acts_on] >= 0],
                               weights=self.a_dh[acts_on][self.a_dep[acts_on] >= 0],
                               minlength=len(self.D))
        spend = float((self.rate[p_star] * (hours + ride_h[p_star]) + self.pc[p_star]).sum()
                      + self.a_cost[acts_on].sum())
        L = value + float(lam @ self.C) + float(mu @ self.D) + (beta * self.B if self.B is not None else 0.0)
        g_lam, g_mu = self.C - used, self.D - dep_used
        g_beta = (self.B - spend) if self.B is not None else 0.0
        # a rough plan value (accounts by value per hour while capacity lasts): the step's target
        tv = self.vx[p_star] + self.V[i_star, l_star] - self.rate[p_star] * hours
        o = np.lexsort((-tv / np.maximum(hours, 1e-9), self.mj[p_star]))
        m_o = self.mj[p_star][o]
        cum = np.cumsum(hours[o])
        st = np.r_[0, np.flatnonzero(m_o[1:] != m_o[:-1]) + 1] if len(o) else np.zeros(0, int)
        cum -= np.repeat(np.r_[0.0, cum[st[1:] - 1]] if len(st) else np.zeros(0), np.diff(np.r_[st, len(o)]))
        fits = cum <= self.C[m_o] + 1e-9
        rough = float(np.maximum(tv[o][fits], 0).sum())
        return L, g_lam, g_mu, g_beta, score, chosen, lvl, rough


def lagrangian_bound(d: ModelData, time_limit: float, max_iter: int = 300,
                     start: tuple[np.ndarray, np.ndarray, float] | None = None,
                     table: _PairTable | None = None, target: float = -np.inf,
                     tol: float = 1e-3) -> Lagrangian:
    """Price manager hours, department hours and the budget by a subgradient search.

    Polyak steps towards ``target`` or a rough plan value, whichever is
    higher; the step shrinks when the bound stops improving. Every iterate
    gives a valid bound; the best is kept. ``start``: prices to start from
    (capacity, department, budget), e.g. an LP's duals; the first step is
    then small. Vectorised over all pairs (~0.3 s a step at 6 M pairs).
    ``max_iter`` steps are the work budget; ``time_limit`` is a safety net
    (a stop there says ``stopped_by == "time"``).
    """
    t0 = time.perf_counter()
    t = table or _PairTable(d)
    if start is None:
        lam, mu, beta, theta = np.zeros(t.n_mgr), np.zeros(len(t.D)), 0.0, 1.0
    else:
        lam, mu = (np.maximum(np.asarray(x, float), 0.0) for x in start[:2])
        beta, theta = max(float(start[2]), 0.0), 0.1
    best = None
    stall, lower = 0, target
    it, stopped = 0, "budget"
    for it in range(1, max_iter + 1):
        L, g_lam, g_mu, g_beta, score, chosen, lvl, rough = t.evaluate(lam, mu, beta)
        lower = max(lower, rough)
        if best is None or L < best.bound - 1e-9 * max(1.0, abs(L)):
            best = Lagrangian(L, lam.copy(), mu.copy(), beta, score, chosen, lvl, it, 0.0)
            stall = 0
        else:
            stall += 1
            if stall >= 5:
                theta, stall = theta / 2, 0
        norm = float(g_lam @ g_lam + g_mu @ g_mu + g_beta * g_beta)
        if norm <= 1e-12 or theta < 1e-4 or relative_gap(lower, best.bound) <= tol:
            stopped = "converged"
            break
        if time.perf_counter() - t0 > time_limit:
            stopped = "time"
            break
        step = theta * max(L - lower, 1e-6 * max(1.0, abs(L))) / norm
        lam = np.maximum(0.0, lam - step * g_lam)
        mu = np.maximum(0.0, mu - step * g_mu)
        if t.B is not None:
            beta = max(0.0, beta - step * g_beta)
    best = dataclasses.replace(best, iterations=it, seconds=time.perf_counter() - t0,
                               stopped_by=stopped)
    log.info("Lagrangian bound %.6g after %d steps, %.1f s (%s)", best.bound, it, best.seconds,
             stopped)
    return best


# ------------------------------------------------------------ warm-started LP rounds
def _keys(km: KamModel, kept: np.ndarray) -> dict[str, np.ndarray]:
    """Keys, stable across rounds, of the pair-indexed column and row blocks of ``km``.

    ``kept`` is the mask of the full data's pairs that ``km`` was built on.
    A pair's key is its index in the full data; a (pair, option) or (pair,
    activity) column, and the row that goes with it, adds the option's or
    activity's row number.
    """
    gp = np.flatnonzero(kept)  # full pair id of each of km's pairs
    d = km.data
    n_o, n_a = len(d.options) + 1, len(d.acts) + 1
    g = gp[km.gl["p"].to_numpy()] * n_o + km.gl["o"].to_numpy()
    ql = km.ql
    q = gp[ql["p"].to_numpy()] * n_a + (ql["r"].to_numpy() if "r" in ql.columns else 0)
    keys = {"col:x": gp, "col:g": g, "col:q": q, "row:lead": gp}
    if "r" in ql.columns:
        keys["row:activity_with_lead"] = q
    else:
        keys["row:activity_lead"] = q
    return keys


def warm_basis(old: KamModel, old_kept: np.ndarray, status: tuple[np.ndarray, np.ndarray],
               new: KamModel, new_kept: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The old round's simplex basis carried over to the new round's model.

    Columns and rows that were there keep their status; new pairs' columns
    start non-basic at 0 and their rows basic, so the basis stays primal
    feasible and the simplex goes on from where it stopped instead of from
    scratch. None if the two models differ in form (the activity link).
    """
    if ("r" in old.ql.columns) != ("r" in new.ql.columns):
        return None
    ok, nk = _keys(old, old_kept), _keys(new, new_kept)
    out = []
    for kind, blocks_old, blocks_new, st, n, fill in (
            ("col", old.lp.cols, new.lp.cols, status[0], new.lp.n_cols, 0),  # kLower
            ("row", old.lp.rows, new.lp.rows, status[1], new.lp.n_rows, 1)):  # kBasic
        s = np.full(n, fill, dtype=np.int8)
        for name, b in blocks_new.items():
            ob = blocks_old.get(name)
            if ob is None:
                continue
            key = f"{kind}:{name}"
            if key in nk:
                pos = pd.Index(ok[key]).get_indexer(nk[key])
                hit = pos >= 0
                s[b.start + np.flatnonzero(hit)] = st[ob.start + pos[hit]]
            elif ob.size == b.size:
                s[b.slice] = st[ob.slice]
            else:
                return None
        out.append(s)
    return out[0], out[1]


def solve_lp(km: KamModel, time_limit: float, basis: tuple[np.ndarray, np.ndarray] | None = None,
             iterations: int | None = None
             ) -> tuple[Solution, tuple[np.ndarray, np.ndarray] | None]:
    """The LP relaxation of ``km`` (from ``basis`` when given) and its final basis.

    ``iterations``: the work budget in simplex iterations (a stop there is not
    ``optimal`` and says ``stopped_by == "nodes"``); ``time_limit`` a safety net.
    """
    h = highs_model(km.lp, relax=True)
    if basis is not None:
        set_basis(h, *basis)
    if iterations is not None:
        set_options(h, simplex_iteration_limit=int(iterations))
    sol = run_highs(h, time_limit, 0.0, is_mip=False)
    if sol.status != "optimal":
        return sol, None
    return sol, get_basis(h)


def _values_from_prices(km: KamModel, kept: np.ndarray, lag: Lagrangian) -> np.ndarray:
    """A column vector for ``km`` (built on pairs ``kept`` of the full data) that
    takes, for every customer, the (manager, level) it picks at the Lagrangian
    prices, with all its activities: the guide for the greedy start and the
    search when no LP relaxation finished. Not a plan (capacities may not hold).
    """
    d = km.data
    v = np.zeros(km.lp.n_cols)
    on = lag.chosen[kept]
    rank = d.options.groupby("customer_id", sort=False).cumcount().to_numpy()
    p, o = km.gl["p"].to_numpy(), km.gl["o"].to_numpy()
    g_on = on[p] & (rank[o] == lag.level[kept][p])
    # weights in (0.5, 1] rising with the net value per hour, so that the
    # greedy start takes the accounts that earn most per hour first
    hours = d.options["hours"].to_numpy()[o[g_on]] * pair_factor(d.pairs, p[g_on])
    net = (d.options["value"].to_numpy()[o[g_on]] + d.pairs["value"].to_numpy()[p[g_on]]
           - d.pairs["hourly_cost"].to_numpy()[p[g_on]] * hours)
    per_hour = pd.Series(net / np.maximum(hours, 1e-9)).rank(pct=True).to_numpy()
    v[km.g[g_on]] = 0.5 + 0.5 * per_hour
    v[km.x[on]] = 1.0
    v[km.z[np.unique(o[g_on])]] = 1.0
    v[km.a[d.acts["customer_id"].isin(d.pairs["customer_id"][on]).to_numpy()]] = 1.0
    return v


#: from this many (customer, manager) pairs on, a Lagrangian bound comes first
LAGRANGIAN_PAIRS = 1_000_000
#: above this many columns the plan found by the search is final (no HiGHS MIP after it)
FINISH_COLUMNS = 500_000

# The work budgets that decide the plan (the same on every machine; docs/benchmarks.md):
#: pricing rounds at most (each an LP relaxation over the pairs priced in so far)
MAX_ROUNDS = 4
#: simplex iterations of one LP round; a round not finished within them is not used
LP_ITERATIONS = 400_000
#: subgradient steps of a Lagrangian bound
LAGRANGIAN_STEPS = 300
#: neighbourhoods of the search on the priced-in pairs: NEIGHBOURHOOD_COLUMNS / the restricted
#: model's columns (a neighbourhood re-solves the whole restricted model, whose presolve is
#: most of its work), at least NEIGHBOURHOODS and at most MAX_NEIGHBOURHOODS
NEIGHBOURHOOD_COLUMNS = 4_000_000
NEIGHBOURHOODS = 60
MAX_NEIGHBOURHOODS = 300
#: branch-and-bound nodes of the support MIP and of relax-and-fix
SUB_NODES = 200
#: branch-and-bound nodes of each neighbourhood's MIP
SEARCH_NODES = 30

# The safety nets (shares of the time limit; a stop there says ``stopped_by == "time"``):
#: the LP rounds stop at this share of the time limit, the first Lagrangian bound at
#: LAGRANGIAN_SHARE, so that a plan is still built and searched when the clock runs out
LP_SHARE = 0.6
LAGRANGIAN_SHARE = 0.15


def solve_by_pricing(d: ModelData, time_limit: float, mip_gap: float, k: int = 6,
                     max_rounds: int | None = None, add_per_customer: int = 3,
                     lp_share: float = LP_SHARE, warm: bool = False, *,
                     lp_iterations: int | None = None, neighbourhoods: int | None = None,
                     lagrangian_steps: int | None = None) -> tuple[KamModel, Solution]:
    """Plan a large case: price pairs in on the LP, then search for a plan on them.

    **Work budgets, not the clock**: at most ``max_rounds`` pricing rounds of
    at most ``lp_iterations`` simplex iterations each, ``lagrangian_steps``
    subgradient steps, :data:`SUB_NODES` nodes for the support MIP or
    relax-and-fix, ``neighbourhoods`` neighbourhoods of :data:`SEARCH_NODES`
    nodes each and the scenario's node budget for HiGHS on the restricted
    model (None: the module's :data:`MAX_ROUNDS`, :data:`LP_ITERATIONS`,
    :data:`LAGRANGIAN_STEPS`; neighbourhoods by the restricted model's size,
    see :data:`NEIGHBOURHOOD_COLUMNS`), so the same case gives the same plan
    on a quiet and on a busy machine. The time limit is a safety net: the LP
    rounds stop at ``lp_share`` of it, the rest at the limit, and a plan so
    stopped says ``stopped_by == "time"``.

    The plan is built from the last LP relaxation that finished (or, if none
    did, from the customers' choices at Lagrangian prices), so a plan comes
    back whenever one is found, ``feasible`` with its gap against the best
    valid bound of the full model: the Lagrangian bound, or the last finished
    LP plus its left-out pairs' reduced costs, whichever is lower. With
    ``warm``, each LP round starts from the previous round's basis: faster
    rounds (5,000 x 150: 8 s instead of 12 s for three), but another LP
    vertex, from which the search reached 1.3-2.2% in 60 s where the cold
    rounds' vertex reaches 0.99%; hence off by default.
    """
    from kamopt.solve.strategy import node_budget

    max_rounds = MAX_ROUNDS if max_rounds is None else max_rounds
    lp_iterations = LP_ITERATIONS if lp_iterations is None else lp_iterations
    lagrangian_steps = LAGRANGIAN_STEPS if lagrangian_steps is None else lagrangian_steps
    t0 = time.perf_counter()
    deadline = t0 + time_limit

    def elapsed() -> float:
        return time.perf_counter() - t0

    def left() -> float:
        return max(deadline - time.perf_counter(), 0.1)

    clock: list[str] = []  # the steps the safety net stopped
    _, pair_ci, _ = _codes(d)
    lag = table = None
    lp_bound = np.inf
    if len(d.pairs) >= LAGRANGIAN_PAIRS:
        # the LP rounds will not converge in time (their bound stays weak):
        # price all pairs for a bound first
        table = _PairTable(d)
        lag = lagrangian_bound(d, LAGRANGIAN_SHARE * time_limit, max_iter=lagrangian_steps,
                               table=table)
        if lag.stopped_by == "time":
            clock.append("the Lagrangian bound")
        lp_bound = lag.bound
    keep = initial_pairs(d, k)
    km = lp = kept = basis = None  # the last LP relaxation that finished
    note = ""
    for _ in range(max_rounds):
        km_r = build(restrict(d, keep))
        share_left = lp_share * time_limit - elapsed()
        if share_left < 1.0:
            clock.append("the LP rounds")
            note = "; LP rounds stopped at their share of the time limit"
            km, kept = (km, kept) if km is not None else (km_r, keep.copy())
            break
        start_basis = (warm_basis(km, kept, basis, km_r, keep)
                       if warm and basis is not None else None)
        lp_r, basis_r = solve_lp(km_r, share_left, start_basis, iterations=lp_iterations)
        if lp_r.status == "infeasible" and not keep.all():
            # the restriction itself may be what is infeasible: widen it
            log.info("LP over %d pairs infeasible: widening", keep.sum())
            k *= 2
            keep |= initial_pairs(d, k)
            continue
        if lp_r.status == "infeasible":
            return km_r, lp_r  # the full model is infeasible: the caller explains it
        if lp_r.status != "optimal" or lp_r.row_duals is None:
            by_time = lp_r.stopped_by == "time"
            if by_time:
                clock.append("the LP rounds")
            note = (f"; the LP over {int(keep.sum()):,} pairs ({km_r.lp.n_cols:,} columns) "
                    + (f"did not finish in {share_left:.0f} s" if by_time else
                       f"did not finish within {lp_iterations:,} simplex iterations"))
            km, kept = (km, kept) if km is not None else (km_r, keep.copy())
            break
        km, lp, kept, basis = km_r, lp_r, keep.copy(), basis_r
        log.info("LP over %d pairs (%d columns, %s): %.6g in %.1f s (at %.1f s)", keep.sum(),
                 km.lp.n_cols, "warm" if start_basis is not None else "cold", lp.objective,
                 lp.seconds, elapsed())
        cand = np.flatnonzero(~keep)
        rc = price_pairs(d, km, lp.row_duals, cand) if len(cand) else np.zeros(0)
        # Lagrangian bound of the full LP: each customer takes at most one
        # (manager, level), so no left-out pair can add more than its reduced cost
        best_rc = np.zeros(len(d.customers))
        np.maximum.at(best_rc, pair_ci[cand], np.maximum(rc, 0))
        lp_bound = min(lp_bound, lp.objective + float(best_rc.sum()))
        log.info("bound %.6g; %d pairs with positive reduced cost", lp_bound, int((rc > 0).sum()))
        pos = rc > 1e-9 * max(1.0, abs(lp.objective))
        if not pos.any() or relative_gap(lp.objective, lp_bound) <= mip_gap / 4:
            break
        # the best few per customer
        c = pd.DataFrame({"cand": cand[pos], "rc": rc[pos], "ci": pair_ci[cand[pos]]})
        c = c.sort_values("rc", ascending=False).groupby("ci").head(add_per_customer)
        keep[c["cand"].to_numpy()] = True
    if km is None:  # every round was cut short by widening; nothing to plan on
        km, kept = build(restrict(d, keep)), keep.copy()
    if lp is None and lag is None:  # no LP finished: a bound from prices on all pairs
        lag = lagrangian_bound(d, max(1.0, 0.1 * time_limit), max_iter=lagrangian_steps)
        if lag.stopped_by == "time":
            clock.append("the Lagrangian bound")
        lp_bound = lag.bound
    guide = lp.values if lp is not None else _values_from_prices(km, kept, lag)
    n_priced = f"; priced {int(kept.sum()):,} of {len(kept):,} pairs{note}"
    obj = km.lp.arrays()["obj"]
    starts = [x for x in (greedy_start(km, guide),) if x is not None and meets_rows(km.lp, x)]
    if lp is not None:
        # the MIP on the LP's support first; relax-and-fix only if it fails (at 1,000 x 40
        # relax-and-fix took its full 5 s for 33.54 M EUR, the support MIP 0.2 s for 33.90 M)
        rounded = support_mip(km, lp.values, left(), mip_gap / 10, node_limit=SUB_NODES)
        by_time = rounded.stopped_by == "time"
        if not rounded.ok:
            rounded = fix_and_solve(km, lp.values, left(), mip_gap / 4, node_limit=SUB_NODES)
            by_time = by_time or rounded.stopped_by == "time"
        if by_time:
            clock.append("the start")
        if rounded.ok:
            starts.append(rounded.values)
    start = max(starts, key=lambda x: float(obj @ x)) if starts else None
    log.info("start %s at %.1f s%s", None if start is None else f"{float(obj @ start):.6g}",
             elapsed(), note)
    if start is not None and np.isfinite(lp_bound):
        target = lp_bound / (1 + mip_gap)
        # keep time to read the plan back exactly (a few seconds on a large model)
        search_deadline = t0 + 0.97 * time_limit - 2e-6 * km.lp.n_cols
        if neighbourhoods is None:
            neighbourhoods = max(NEIGHBOURHOODS, min(MAX_NEIGHBOURHOODS,
                                                     NEIGHBOURHOOD_COLUMNS // km.lp.n_cols))
        report: dict = {}
        start = improve_by_neighbourhoods(km, start, search_deadline, target, wanted=guide,
                                          max_tries=neighbourhoods, node_limit=SEARCH_NODES,
                                          report=report)
        if report["stopped_by"] == "time":
            clock.append("the neighbourhood search")
        value = float(obj @ start)
        within = relative_gap(value, lp_bound) <= mip_gap
        # HiGHS on the restricted model only when the search is stuck on a model of a size
        # it can work on; otherwise the search's plan is final
        if within or report["stopped_by"] != "stall" or km.lp.n_cols > FINISH_COLUMNS:
            final = run_highs(fixed_to(km, start), max(left(), 10.0), 0.0,
                              node_limit=SUB_NODES)  # exact values and a clean status
            if final.ok:
                gap = relative_gap(final.objective, lp_bound)
                proven = gap <= mip_gap + 1e-9
                return km, dataclasses.replace(
                    final, status="optimal" if proven else "feasible", gap=gap,
                    bound=lp_bound, seconds=elapsed(),
                    stopped_by="gap" if proven else "time" if clock else "nodes",
                    message=(f"within {mip_gap:.2%} of the LP bound" if within else
                             f"the neighbourhood search's plan after {report['tries']} "
                             "neighbourhoods") + n_priced + _clock_note(clock, time_limit))
    h = highs_model(km.lp)
    if start is not None:
        set_start(h, start)
    # stop when the plan is within the gap of the full model's bound
    if np.isfinite(lp_bound):
        set_options(h, objective_target=float(lp_bound / (1 + mip_gap)))
    mip = run_highs(h, left(), mip_gap, node_limit=node_budget(d.scenario))
    if mip.stopped_by == "time":
        clock.append("HiGHS on the priced-in pairs")
    if not mip.ok:
        return km, dataclasses.replace(mip, message=mip.message + n_priced
                                       + _clock_note(clock, time_limit),
                                       stopped_by="time" if clock else mip.stopped_by)
    everything = bool(kept.all())
    gap = relative_gap(mip.objective, lp_bound) if np.isfinite(lp_bound) else np.inf
    own = mip.gap if mip.gap is not None else np.inf
    status = "optimal" if (gap <= mip_gap + 1e-9 or (mip.status == "optimal" and everything)) else "feasible"
    bound = lp_bound if np.isfinite(lp_bound) else None
    if everything and own < gap:  # every pair is in: the MIP's own bound holds for the full model
        gap, bound = own, mip.bound
    # HiGHS's own stop on the restricted model is no proof for the full one: the route's work
    # is done, at its budgets
    stopped = "gap" if status == "optimal" else "time" if clock else "nodes"
    return km, dataclasses.replace(mip, status=status, gap=gap, bound=bound, seconds=elapsed(),
                                   stopped_by=stopped,
                                   message=mip.message + n_priced + _clock_note(clock, time_limit))


def _clock_note(clock: list[str], time_limit: float) -> str:
    """"; the LP rounds stopped at the time limit of 60 s (a safety net: ...)" or ""."""
    if not clock:
        return ""
    return (f"; {', '.join(clock)} stopped at the time limit of {time_limit:g} s (a safety "
            "net: this plan depends on the machine's speed and load)")
