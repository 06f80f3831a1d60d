"""The strongest baseline: a greedy by net value per KAM hour, then repaired by local moves.

The rules of thumb (:mod:`kamopt.analysis.baselines`) are what a board does
without a model; this is what a careful analyst does with a spreadsheet, and
so the baseline a sceptical board should hold the optimised plan against.

**Greedy.** Every option is valued with the plan's own objective terms
(:class:`~kamopt.model.prepare.ModelData`: a level's value, the lead's
industry fit and continuity, the manager's hourly cost and pair cost, an
activity's value and cost at its lead's hourly rate):

* an *account option* (customer, coverage level, lead manager), with the
  scenario's committed activities of the customer included;
* a *heavier level* of an account already taken, same lead, valued by what it
  adds per extra hour (so a light level taken first can grow);
* an *activity* of an account already taken, at its lead's hourly rate.

``must`` customers (and customers with committed activities) are placed
first, each at its option with the best net value per KAM hour that fits.
Then, repeatedly, the option with the highest net contribution per KAM hour
that is positive and still fits every capacity (the lead's free hours, the
departments' hours, the budget, the most key accounts) is taken; ties go to
the first in customer, level and manager order. The scenario's fixed
decisions (leads, coverage, excluded leads, excluded customers) are already
in the options (:func:`kamopt.model.prepare.prepare`), so the greedy cannot
break them.

**Repair.** Then, until no move improves the net contribution, the best of
these moves is made (and the greedy fills what it frees):

* *re-lead or re-level*: an account to another eligible manager and/or
  another coverage level, its activities moving with it;
* *swap*: a key account (not ``must``) out, a customer at any option in;
* *drop*: a key account (not ``must``) or an activity (not committed) that
  costs more than it earns.

Every move keeps every capacity; no move takes a manager below its minimum
workload, and :func:`~kamopt.analysis.baselines._balance` (the rules'
balancing) brings managers up to theirs at the end. Everything is in a fixed
order: the same case and scenario give the same plan.

:func:`kamopt.analysis.baselines.greedy_plan` then evaluates the decisions
exactly as a rule of thumb is
(:func:`~kamopt.analysis.baselines.plan_from_decisions`: fixed in the
unpruned model, the hours split by an LP, read as a :class:`Plan`), and
:meth:`Plan.verify` re-checks them from the case.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kamopt.errors import BaselineError
from kamopt.i18n import N_
from kamopt.model.prepare import ModelData, pair_factor

__all__ = ["GREEDY", "GREEDY_LABEL", "greedy_decisions"]

#: the key of the greedy among the baselines, and its name in tables and sentences
GREEDY = "greedy"
GREEDY_LABEL = N_("Greedy by value per KAM hour, repaired")

_TOL = 1e-7
_MAX_MOVES = 20_000  # a safety net: every move improves, so the repair ends long before


class _State:
    """The greedy's options as arrays and the decisions taken so far."""

    def __init__(self, d: ModelData):
        sc = d.scenario
        mg = d.managers
        self.mids = [str(m) for m in mg.index]
        jx = {m: k for k, m in enumerate(self.mids)}
        self.rate = mg["hourly_cost"].to_numpy(float)
        self.cap = mg["capacity"].to_numpy(float)
        self.low = mg["min_hours"].to_numpy(float)
        self.free = self.cap.copy()
        self.deps = [str(x) for x in d.departments.index]
        dx = {x: k for k, x in enumerate(self.deps)}
        self.dept_free = d.departments.to_numpy(float).copy()
        self.budget = math.inf if sc.budget is None else float(sc.budget)
        self.most = math.inf if sc.max_key_accounts is None else sc.max_key_accounts
        self.least = 0 if sc.min_key_accounts is None else sc.min_key_accounts

        status = d.customers["status"]
        committed = {c: set(ks) for c, ks in sc.committed_of.items()}
        cands = sorted(str(c) for c in d.model_customers if status[c] != "exclude")
        self.cids = cands
        cx = {c: k for k, c in enumerate(cands)}
        self.must = np.array([status[c] == "must" or c in committed for c in cands], bool)

        # activities: committed ones come with their account (in its option), others are moves
        a = d.acts[d.acts["customer_id"].astype(str).isin(cx)].copy()
        a["cid"] = a["customer_id"].astype(str)
        a["aid"] = a["activity_id"].astype(str)
        a = a.sort_values(["cid", "aid"], kind="stable")
        is_com = np.array([k in committed.get(c, ()) for c, k in zip(a["cid"], a["aid"],
                                                                     strict=True)], bool)
        dep = np.array([dx.get(str(x), -1) if str(x) else -1 for x in a["department"]], int)
        com = a[is_com]
        n, nd = len(cands), len(self.deps)
        self.com_h, self.com_val, self.com_cost = np.zeros(n), np.zeros(n), np.zeros(n)
        self.com_dept = np.zeros((n, nd))
        self.com_ids: dict[int, list[str]] = {}
        for r, dd in zip(com.itertuples(index=False), dep[is_com], strict=True):
            ci = cx[r.cid]
            self.com_h[ci] += r.kam_hours
            self.com_val[ci] += r.value
            self.com_cost[ci] += r.cost
            if dd >= 0:
                self.com_dept[ci, dd] += r.dept_hours
            self.com_ids.setdefault(ci, []).append(r.aid)
        a, dep = a[~is_com], dep[~is_com]
        self.A_ci = np.array([cx[c] for c in a["cid"]], int)
        self.A_id = a["aid"].to_numpy(str)
        self.A_val = a["value"].to_numpy(float) - a["cost"].to_numpy(float)
        self.A_cost = a["cost"].to_numpy(float)
        self.A_h = a["kam_hours"].to_numpy(float)
        self.A_dep = dep
        self.A_dh = a["dept_hours"].to_numpy(float)
        self.on = np.zeros(len(a), bool)
        self.acts_of = {ci: np.flatnonzero(self.A_ci == ci) for ci in range(n)}

        # account options: (customer, level, lead) with the committed activities in them
        o = d.options.assign(cid=d.options["customer_id"].astype(str))
        p = d.pairs.assign(cid=d.pairs["customer_id"].astype(str),
                           mid=d.pairs["manager_id"].astype(str))
        t = o[o["cid"].isin(cx)].merge(p, on="cid", suffixes=("", "_pair"))
        if "hours_factor" in t:  # the level's hours under this lead (pair_costs.csv)
            t["hours"] = t["hours"].to_numpy(float) * t["hours_factor"].to_numpy(float)
        t = t.sort_values(["cid", "hours", "level", "mid"], kind="stable")
        self.R_ci = np.array([cx[c] for c in t["cid"]], int)
        self.R_level = t["level"].to_numpy(str)
        self.R_j = np.array([jx[m] for m in t["mid"]], int)
        r = self.rate[self.R_j]
        self.R_h = t["hours"].to_numpy(float) + self.com_h[self.R_ci]
        pc = t["pair_cost"].to_numpy(float)
        self.R_spend = r * self.R_h + pc + self.com_cost[self.R_ci]
        self.R_net = (t["value"].to_numpy(float) + t["value_pair"].to_numpy(float)
                      + self.com_val[self.R_ci] - self.R_spend)
        self.rows_of = {ci: np.flatnonzero(self.R_ci == ci) for ci in range(n)}
        self.row = np.full(n, -1)  # the option taken for each customer, -1: not a key account

    # ------------------------------------------------------------ bookkeeping
    def acts_on(self, ci: int) -> np.ndarray:
        ix = self.acts_of[ci]
        return ix[self.on[ix]]

    def account(self, ci: int, r: int | None = None) -> tuple[float, float, float, np.ndarray]:
        """(net, hours, spend, department hours) of account ``ci`` at option ``r``
        (default its own) with the activities it runs."""
        r = self.row[ci] if r is None else r
        on = self.acts_on(ci)
        rate = self.rate[self.R_j[r]]
        net = self.R_net[r] + float((self.A_val[on] - rate * self.A_h[on]).sum())
        h = self.R_h[r] + float(self.A_h[on].sum())
        spend = self.R_spend[r] + float((self.A_cost[on] + rate * self.A_h[on]).sum())
        dept = self.com_dept[self.R_ci[r]].copy()
        for k in on:
            if self.A_dep[k] >= 0:
                dept[self.A_dep[k]] += self.A_dh[k]
        return net, h, spend, dept

    def take(self, r: int) -> None:
        ci = self.R_ci[r]
        self.row[ci] = r
        self.free[self.R_j[r]] -= self.R_h[r]
        self.budget -= self.R_spend[r]
        self.dept_free -= self.com_dept[ci]

    def drop(self, ci: int) -> None:
        for k in self.acts_on(ci):
            self.switch(k, False)
        r = self.row[ci]
        self.free[self.R_j[r]] += self.R_h[r]
        self.budget += self.R_spend[r]
        self.dept_free += self.com_dept[ci]
        self.row[ci] = -1

    def move(self, ci: int, r: int) -> None:
        """Account ``ci`` to option ``r``, its activities with it."""
        on = self.acts_on(ci)
        self.drop(ci)
        self.take(r)
        for k in on:
            self.switch(k, True)

    def switch(self, k: int, on: bool) -> None:
        j = self.R_j[self.row[self.A_ci[k]]]
        s = 1.0 if on else -1.0
        self.on[k] = on
        self.free[j] -= s * self.A_h[k]
        self.budget -= s * (self.A_cost[k] + self.rate[j] * self.A_h[k])
        if self.A_dep[k] >= 0:
            self.dept_free[self.A_dep[k]] -= s * self.A_dh[k]

    def keeps_minimum(self, j: int, hours_out: float) -> bool:
        """Whether manager ``j`` may lose ``hours_out``: it stays at its minimum, or has none."""
        return self.low[j] <= _TOL or self.cap[j] - self.free[j] - hours_out >= self.low[j] - _TOL

    @property
    def n_chosen(self) -> int:
        return int((self.row >= 0).sum())

    # ---------------------------------------------------------------- greedy
    def fits(self, rows: np.ndarray) -> np.ndarray:
        return ((self.R_h[rows] <= self.free[self.R_j[rows]] + _TOL)
                & (self.R_spend[rows] <= self.budget + _TOL)
                & (self.com_dept[self.R_ci[rows]] <= self.dept_free + _TOL).all(axis=1))

    def place_must(self) -> None:
        for ci in np.flatnonzero(self.must):
            rows = self.rows_of[ci]
            ok = rows[self.fits(rows)]
            if not len(ok):
                raise BaselineError(f"The greedy baseline cannot place 'must' customer "
                                    f"{self.cids[ci]}: no eligible manager has the hours "
                                    "(or a department or the budget has not).")
            self.take(int(ok[np.argmax(self.R_net[ok] / np.maximum(self.R_h[ok], _TOL))]))

    def fill(self, least: int = 0) -> None:
        """Take the best option per KAM hour that pays and fits, until none is left.

        With ``least``: take options that do not pay too, until there are that many key accounts.
        """
        allr = np.arange(len(self.R_ci))
        while True:
            best_ratio, pick = -math.inf, None
            if self.n_chosen < self.most:
                ok = (self.row[self.R_ci] < 0) & self.fits(allr)
                if self.n_chosen >= least:
                    ok &= self.R_net > _TOL
                if ok.any():
                    ratio = np.where(ok, self.R_net / np.maximum(self.R_h, _TOL), -np.inf)
                    r = int(np.argmax(ratio))
                    best_ratio, pick = ratio[r], ("account", r)
            if self.n_chosen >= least:  # a heavier level for an account taken, same lead
                cur = self.row[self.R_ci]
                c0 = np.maximum(cur, 0)
                dh = self.R_h - self.R_h[c0]
                dnet = self.R_net - self.R_net[c0]
                ok = ((cur >= 0) & (self.R_j == self.R_j[c0]) & (dh > _TOL) & (dnet > _TOL)
                      & (dh <= self.free[self.R_j] + _TOL)
                      & (self.R_spend - self.R_spend[c0] <= self.budget + _TOL))
                if ok.any():
                    ratio = np.where(ok, dnet / np.maximum(dh, _TOL), -np.inf)
                    r = int(np.argmax(ratio))
                    if ratio[r] > best_ratio:
                        best_ratio, pick = ratio[r], ("upgrade", r)
            if self.n_chosen < least:
                if pick is None:
                    raise BaselineError(f"The greedy baseline cannot make {least} key accounts: "
                                        f"only {self.n_chosen} fit.")
            elif len(self.on):
                lead = self.row[self.A_ci]
                j = self.R_j[np.maximum(lead, 0)]
                net = self.A_val - self.rate[j] * self.A_h
                dept_ok = np.where(self.A_dep >= 0,
                                   self.A_dh <= self.dept_free[np.maximum(self.A_dep, 0)] + _TOL,
                                   True)
                ok = ((lead >= 0) & ~self.on & (net > _TOL) & (self.A_h <= self.free[j] + _TOL)
                      & (self.A_cost + self.rate[j] * self.A_h <= self.budget + _TOL) & dept_ok)
                if ok.any():
                    ratio = np.where(ok, net / np.maximum(self.A_h, _TOL), -np.inf)
                    k = int(np.argmax(ratio))
                    if ratio[k] > best_ratio:
                        pick = ("activity", k)
            if pick is None:
                return
            if pick[0] == "account":
                self.take(pick[1])
            elif pick[0] == "upgrade":
                self.move(int(self.R_ci[pick[1]]), pick[1])
            else:
                self.switch(pick[1], True)

    # ---------------------------------------------------------------- repair
    def best_move(self):
        """The move that adds most to the net contribution: (gain, kind, args) or None."""
        best = (_TOL * 10, None, None)
        for ci in np.flatnonzero(self.row >= 0):
            r0 = self.row[ci]
            j0 = self.R_j[r0]
            net0, h0, spend0, dept0 = self.account(ci)
            # re-lead and/or re-level
            for r in self.rows_of[ci]:
                if r == r0:
                    continue
                net, h, spend, _ = self.account(ci, r)
                j = self.R_j[r]
                room = self.free[j] + (h0 if j == j0 else 0.0)
                if (net - net0 > best[0] and h <= room + _TOL
                        and spend <= self.budget + spend0 + _TOL
                        and (j == j0 or self.keeps_minimum(j0, h0))
                        and (j != j0 or self.keeps_minimum(j0, h0 - h))):
                    best = (net - net0, "move", (ci, r))
            if self.must[ci]:
                continue
            if net0 < -best[0] and self.n_chosen > self.least and self.keeps_minimum(j0, h0):
                best = (-net0, "drop", (ci,))
            # swap: this account out, another customer in
            if not self.keeps_minimum(j0, h0):
                continue
            rows = np.flatnonzero((self.row[self.R_ci] < 0) & (self.R_net - net0 > best[0]))
            if not len(rows):
                continue
            room = self.free[self.R_j[rows]] + np.where(self.R_j[rows] == j0, h0, 0.0)
            ok = ((self.R_h[rows] <= room + _TOL)
                  & (self.R_spend[rows] <= self.budget + spend0 + _TOL)
                  & (self.com_dept[self.R_ci[rows]] <= self.dept_free + dept0 + _TOL).all(axis=1))
            if ok.any():
                rows = rows[ok]
                r = int(rows[np.argmax(self.R_net[rows])])
                if self.R_net[r] - net0 > best[0]:
                    best = (self.R_net[r] - net0, "swap", (ci, r))
        for k in np.flatnonzero(self.on):
            j = self.R_j[self.row[self.A_ci[k]]]
            net = self.A_val[k] - self.rate[j] * self.A_h[k]
            if -net > best[0] and self.keeps_minimum(j, self.A_h[k]):
                best = (-net, "drop activity", (k,))
        return None if best[1] is None else best

    def repair(self) -> int:
        moves = 0
        while moves < _MAX_MOVES:
            found = self.best_move()
            if found is None:
                return moves
            _, kind, args = found
            if kind == "move":
                self.move(*args)
            elif kind == "drop":
                self.drop(*args)
            elif kind == "swap":
                self.drop(args[0])
                self.take(args[1])
            else:
                self.switch(args[0], False)
            moves += 1
            self.fill()
        return moves


def greedy_decisions(d: ModelData, balance=None, preferred: str = "standard"
                     ) -> tuple[pd.DataFrame, dict]:
    """The greedy's and the repair's decisions on prepared (unpruned) data: (decisions, info).

    ``decisions`` as :func:`kamopt.analysis.baselines.plan_from_decisions`
    takes them; ``info`` holds ``moves`` (the repair's improving moves) and
    ``balanced``/``added_for_minimums`` (the minimum workloads' moves, made by
    ``balance``, the rules' :func:`kamopt.analysis.baselines._balance`, with
    ``preferred`` its level, when a manager is left below its minimum).
    """
    s = _State(d)
    s.place_must()
    s.fill(least=s.least)
    moves = s.repair()
    chosen = {}
    for ci in np.flatnonzero(s.row >= 0):
        r = s.row[ci]
        _, h, _, _ = s.account(ci)
        acts = sorted(s.com_ids.get(ci, []) + list(s.A_id[s.acts_on(ci)]))
        chosen[s.cids[ci]] = [str(s.R_level[r]), s.mids[s.R_j[r]], h, ";".join(acts)]
    balanced = added = 0
    lows = {m: float(lo) for m, lo in zip(s.mids, s.low, strict=True) if lo > _TOL}
    if balance is not None and lows and any(s.cap[s.mids.index(m)] - s.free[s.mids.index(m)] < lo - _TOL
                    for m, lo in lows.items()):
        d_ = d
        eligible = {str(c): [str(m) for m in g]
                    for c, g in d_.pairs.groupby("customer_id", sort=False)["manager_id"]}
        pair_cost = {(str(c), str(m)): float(v) for c, m, v in
                     zip(d_.pairs["customer_id"], d_.pairs["manager_id"], d_.pairs["pair_cost"],
                         strict=True)}
        options = {str(c): g[["level", "hours"]]
                   for c, g in d_.options.groupby("customer_id", sort=False)}
        rest = [s.cids[ci] for ci in np.argsort(-s.R_net[[s.rows_of[ci][0] for ci in
                                                           range(len(s.cids))]], kind="stable")
                if s.row[ci] < 0] if len(s.cids) else []
        free = dict(zip(s.mids, s.free, strict=True))
        core = {c: v[:3] for c, v in chosen.items()}
        _, balanced, added = balance(
            core, free, s.budget, lows, dict(zip(s.mids, s.cap, strict=True)), eligible,
            dict(zip(s.mids, s.rate, strict=True)), pair_cost, rest, options,
            preferred, s.most, factor={(str(c), str(m)): float(f) for c, m, f in zip(
                d_.pairs["customer_id"], d_.pairs["manager_id"], pair_factor(d_.pairs),
                strict=True)})
        for c, v in core.items():
            chosen[c] = v + [chosen[c][3] if c in chosen else ""]
    decisions = pd.DataFrame(
        {"level": [v[0] for v in chosen.values()],
         "manager_id": [v[1] for v in chosen.values()],
         "activities": [v[3] for v in chosen.values()]},
        index=pd.Index(list(chosen), name="customer_id"))
    return decisions, {"moves": moves, "balanced": balanced, "added_for_minimums": added}
