"""The mid-term model: one year's prepared data with the hire slots as managers,
and the programme over the years (see docs/midterm.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamopt.case.assumptions import (
    HIRE_PREFIX,
    MidtermAssumptions,
)
from kamopt.case.scenario import Hire, Scenario
from kamopt.case.tables import Case
from kamopt.model.linear import INF, LinearModel
from kamopt.model.prepare import (
    ModelData,
    committed,
    prepare,
)
from kamopt.model.rules import RuleBuilder, per_year


# ------------------------------------------------------------------ the model
@dataclass
class MidtermModel:
    """The built multi-year model: one year's data, the programme and its column ids."""

    data: ModelData
    assumptions: MidtermAssumptions
    years: list[int]
    lp: LinearModel
    hires: pd.DataFrame  # index hire manager_id: profile, slot, capacity, cost_per_year, ramp_up
    targets: pd.DataFrame  # year, scope, order_intake, constant (intake not decided), row
    capacity: pd.DataFrame  # managers x years: capacity hours (hires: full capacity)
    cols: dict = field(default_factory=dict)  # block name -> (labels frame with 't', column ids)


def _with_hires(scenario: Scenario, a: MidtermAssumptions, least_cost: bool = False) -> Scenario:
    """``scenario`` with every hire slot of ``a`` as a one-year hire; with ``least_cost`` an
    hour of a slot costs its hourly cost plus its yearly cost spread over all its hours."""
    extra = tuple(Hire(count=h.max_hires, seniority=h.seniority, capacity_hours=h.capacity_hours,
                       hourly_cost=h.hourly_cost + (h.cost_per_year / max(h.capacity_hours, 1e-9)
                                                    if least_cost else 0.0),
                       industries=tuple(h.industries), region=h.region,
                       pair_costs_from=h.pair_costs_from, prefix="_mt_hire_") for h in a.hire_profiles if h.max_hires > 0)
    return scenario.replace(hires=tuple(scenario.hires) + extra)


def prepare_midterm(case: Case, scenario: Scenario, a: MidtermAssumptions):
    """One year's :class:`ModelData` with the hire slots as managers named ``HIRE-<profile>-<n>``."""
    d = prepare(case, _with_hires(scenario, a), prune=False)
    old = [m for m in d.managers.index if str(m).startswith("_mt_hire_")]
    slots = [(h, k) for h in a.hire_profiles for k in range(1, h.max_hires + 1)]
    rename = {o: f"{HIRE_PREFIX}{h.name}-{k}" for o, (h, k) in zip(old, slots, strict=True)}
    managers = d.managers.rename(index=rename)
    pairs = d.pairs.assign(manager_id=d.pairs["manager_id"].replace(rename))
    hires = pd.DataFrame(
        [{"manager_id": rename[o], "profile": h.name, "slot": k,
          "capacity": h.capacity_hours * scenario.capacity_scale, "cost_per_year": h.cost_per_year,
          "ramp_up": h.ramp_up} for o, (h, k) in zip(old, slots, strict=True)],
        columns=["manager_id", "profile", "slot", "capacity", "cost_per_year", "ramp_up"],
    ).set_index("manager_id")
    managers.loc[hires.index, "name"] = [f"New KAM ({p} {k})" for p, k in
                                         zip(hires["profile"], hires["slot"], strict=True)]
    return dataclasses.replace(d, managers=managers, pairs=pairs), hires


class _Builder(RuleBuilder):
    """The mid-term model: the shared rules of :mod:`kamopt.model.rules` over the years,
    valued as a net present value, with the mid-term rules (ramp-up, handover, hiring,
    targets) on top."""

    def __init__(self, d: ModelData, a: MidtermAssumptions, years: list[int], hires: pd.DataFrame,
                 capacity: pd.DataFrame, targets: pd.DataFrame, lapsed: dict | None = None):
        super().__init__(d, years)
        self.a, self.hires = a, hires
        self.lapsed = lapsed or {}  # fixed leads whose manager has no hours in some years
        self.cap, self.targets = capacity, targets
        self.disc = 1.0 / (1.0 + a.discount_rate) ** np.arange(self.T)
        c = d.case.customers
        self.margin = c["margin"].astype(float)
        self.revenue = c["revenue"].astype(float)
        self.potential = c["potential"].astype(float)

    def add_variables(self) -> None:
        d, a, T, yrs = self.d, self.a, self.T, self.years
        o, p, acts = d.options, d.pairs, d.acts
        c0, c1 = a.churn_without_kam, a.churn_with_kam
        # z[i,l,t]: key account at level l in year t. Its retention gain persists:
        # being a key account in year s protects (c0-c1) * rev * (1-c0)^(t-1) in every t >= s.
        zl = self.option_labels()
        rev = self.revenue.reindex(zl["customer_id"]).to_numpy()
        mar = self.margin.reindex(zl["customer_id"]).to_numpy()
        keep_share = np.array([sum(self.disc[u] * (1 - c0) ** u for u in range(t, T))
                               for t in range(T)])
        self.z = self.var("z", zl, obj=mar * (c0 - c1) * rev * keep_share[zl["t"].to_numpy()],
                          integer=True)
        self.zl = zl
        # e[i,l,t,k]: option (i,l) in year t in its k-th year of service (k <= min(t+1, K))
        K = len(a.ramp)
        ramp = np.asarray(a.ramp, float)
        parts = [zl.assign(k=k) for k in range(1, K + 1)]
        el = pd.concat(parts, ignore_index=True)
        el = el[el["k"] <= np.minimum(el["t"] + 1, K)].reset_index(drop=True)
        real = o["realization"].to_numpy()[el["o"].to_numpy()]
        pot = self.potential.reindex(el["customer_id"]).to_numpy()
        mar = self.margin.reindex(el["customer_id"]).to_numpy()
        el["intake"] = real * pot * ramp[el["k"].to_numpy() - 1]
        self.e = self.var("e", el[["customer_id", "level", "year", "k", "o", "t"]],
                          obj=self.disc[el["t"].to_numpy()] * mar * el["intake"].to_numpy())
        self.el = el
        # u[i,t,k]: account i is in its k-th year of service in year t (binary)
        ul = el[["customer_id", "year", "k", "t"]].drop_duplicates(
            ["customer_id", "t", "k"]).reset_index(drop=True)
        self.u = self.var("u", ul, obj=0.0, integer=True)
        self.ul = ul
        # x[i,j,t]: j leads i in year t; fit and continuity as in the one-year model
        xl = self.pair_labels()
        pv = p["value"].to_numpy()[xl["p"].to_numpy()]
        self.x = self.var("x", xl, obj=self.disc[xl["t"].to_numpy()] * pv, integer=True)
        self.xl = xl
        sc = d.scenario
        fitp = p["fit"].to_numpy(float) * sc.realization * sc.industry_fit \
            * self.potential.reindex(p["customer_id"]).to_numpy()
        self.x_intake = fitp[xl["p"].to_numpy()]
        # g[i,j,l,t]: share of option (i,l) led by j in year t (tight lead link, no big-M)
        gl = self.split_labels()
        rate = p["hourly_cost"].to_numpy()[gl["p"].to_numpy()]
        fits = self._fits(gl)
        self.g = self.var("g", gl,
                          obj=-self.disc[gl["t"].to_numpy()] * rate * gl["hours"].to_numpy(),
                          ub=fits.astype(float))
        self.gl = gl
        # a lead manager for whom no level of the account fits: x = 0 (exact, tightens the LP)
        npr = len(p)
        x_fits = np.zeros(len(xl), bool)
        np.logical_or.at(x_fits, gl["p"].to_numpy() + npr * gl["t"].to_numpy(), fits)
        self.m.ub[list(self.m.cols).index("x")][~x_fits] = 0.0
        # a fixed lead whose manager has no hours in some years: fixed in the other years
        lapsed = self.lapsed
        if lapsed:
            lead = pd.Series({cid: j for cid, (j, _) in lapsed.items()})
            want = lead.reindex(xl["customer_id"]).to_numpy()
            gone = {(cid, y) for cid, (_, ys) in lapsed.items() for y in ys}
            holds = np.array([(c, y) not in gone for c, y in zip(xl["customer_id"], xl["year"],
                                                                 strict=True)])
            other = (~pd.isna(want)) & (want != xl["manager_id"].to_numpy()) & holds
            self.m.ub[list(self.m.cols).index("x")][other] = 0.0
        # q[i,j,t]: the account's activity hours, carried by its lead manager (compact form)
        self.act_hours = self.activity_hours()
        ql = self.activity_hours_labels(tight=False)
        rate = p["hourly_cost"].to_numpy()[ql["p"].to_numpy()]
        self.q = self.var("q", ql, obj=-self.disc[ql["t"].to_numpy()] * rate, ub=INF)
        self.ql = ql
        # a[i,k,t]: activity k runs for i in year t
        al = self.activity_labels()
        av = (acts["value"] - acts["cost"]).to_numpy()[al["r"].to_numpy()]
        done = committed(acts, d.scenario)[al["r"].to_numpy()]  # committed: run every year
        self.a_ = self.var("a", al, obj=self.disc[al["t"].to_numpy()] * av,
                           lb=done.astype(float), integer=True)
        self.al = al
        upl = d.case.activities["uplift"].astype(float).reindex(al["activity_id"]).to_numpy()
        self.a_intake = upl * self.potential.reindex(al["customer_id"]).to_numpy()
        # learn[i,j,t]: j starts to lead i in year t and spends handover hours on it
        if a.handover_hours > 0:
            rate = p["hourly_cost"].to_numpy()[xl["p"].to_numpy()]
            self.learn = self.var("learn", xl, obj=-self.disc[xl["t"].to_numpy()] * rate
                                  * a.handover_hours)
        else:
            self.learn = None
        # w[n,t]: hire slot n is hired in year t; paid from then to the horizon's end
        hl = per_year(pd.DataFrame({"manager_id": self.hires.index}), yrs)
        cost = self.hires["cost_per_year"].reindex(hl["manager_id"]).to_numpy()
        tail = np.array([self.disc[t:].sum() for t in range(T)])
        self.w = self.var("hire", hl, obj=-cost * tail[hl["t"].to_numpy()] if len(hl) else 0.0,
                          integer=True)
        self.hl = hl
        # shortfall of each target
        tg = self.targets
        pen = a.shortfall_penalty * self.disc[tg["t"].to_numpy()] if len(tg) else 0.0
        self.s = self.var("shortfall", tg[["scope", "year", "t"]], obj=-pen, lb=0.0,
                          ub=0.0 if a.target_mode == "hard" else INF)
        self._feed_shared_rules()

    def _feed_shared_rules(self) -> None:
        """What the shared rules need from the mid-term model: each manager's capacity and
        minimum workload by year (a hire slot has none of its own: hiring it supplies
        ``ramp_up`` of its hours in the hiring year and all of them afterwards), the
        handover hours and their cost, and the hires' yearly cost."""
        d, T = self.d, self.T
        mgr = pd.Index(d.managers.index)
        nm = len(mgr)
        lab = self.per_year(pd.DataFrame({"manager_id": mgr}))
        cap = self.cap.stack().reindex(pd.MultiIndex.from_frame(lab[["manager_id", "year"]]))
        hi = np.where(lab["manager_id"].isin(self.hires.index), 0.0, cap.to_numpy(float))
        self.capacity = hi.reshape(T, nm)
        least = np.minimum(d.managers["min_hours"].reindex(lab["manager_id"]).to_numpy(float), hi)
        self.min_hours = least.reshape(T, nm)
        rate = d.pairs["hourly_cost"].to_numpy()
        if self.learn is not None:
            xl = self.xl
            self.extra_hours.append((xl, self.learn, self.a.handover_hours))
            self.extra_costs.append((xl["t"].to_numpy(), self.learn,
                                     rate[xl["p"].to_numpy()] * self.a.handover_hours))
        hl = self.hl
        if len(hl):
            h = self.hires.reindex(hl["manager_id"])
            hj = mgr.get_indexer(hl["manager_id"])
            ht = hl["t"].to_numpy()
            for t in range(T):  # hired in year s <= t: capacity and cost in year t
                sel = ht <= t
                share = np.where(ht[sel] == t, h["ramp_up"].to_numpy()[sel], 1.0)
                self.capacity_supply.append((hj[sel] + nm * t, self.w[sel],
                                             -share * h["capacity"].to_numpy()[sel]))
                self.extra_costs.append((np.full(int(sel.sum()), t), self.w[sel],
                                         h["cost_per_year"].to_numpy()[sel]))

    def _fits(self, gl: pd.DataFrame) -> np.ndarray:
        """Whether option (i, l) can be led by j in year t at all.

        Not when its hours, plus the handover hours it must take in year 1
        (j is not the current manager), exceed j's capacity that year (a hire
        slot's full capacity): such a g is fixed at 0. Exact (every plan keeps
        it) and it stops the LP relaxation from giving a manager a share of an
        account that cannot fit.
        """
        cap = self.cap.stack().reindex(pd.MultiIndex.from_arrays(
            [gl["manager_id"].to_numpy(), gl["year"].to_numpy()])).to_numpy(float)
        cont = self.d.pairs["continuity"].to_numpy(bool)[gl["p"].to_numpy()]
        forced = (gl["t"].to_numpy() == 0) & ~cont
        need = gl["hours"].to_numpy() + self.a.handover_hours * forced
        return need <= cap * (1 + 1e-9) + 1e-9

    # ------------------------------------------------------------ the mid-term rules
    def add_ramp_up(self) -> None:
        """Realised potential ramps up with the years of service.

        ``sum_k e[i,l,t,k] = z[i,l,t]``, ``sum_l e[i,l,t,k] = u[i,t,k]`` (so
        ``e = z * u`` for integer z, u) and the service year cannot exceed the
        years served so far: ``sum_k k u[i,t,k] <= sum_{s<=t} y[i,s]``.
        """
        m, el, ul = self.m, self.el, self.ul
        no = len(self.d.options)
        rows = self.rows("ramp_level", self.zl[["customer_id", "level", "year"]], lo=0.0, hi=0.0)
        m.add_coefs(rows[el["o"].to_numpy() + no * el["t"].to_numpy()], self.e, 1.0)
        m.add_coefs(rows, self.z, -1.0)
        key = pd.MultiIndex.from_frame(ul[["customer_id", "t", "k"]])
        rows = self.rows("ramp_year", ul[["customer_id", "year", "k"]], lo=0.0, hi=0.0)
        m.add_coefs(rows[key.get_indexer(pd.MultiIndex.from_frame(el[["customer_id", "t", "k"]]))],
                    self.e, 1.0)
        m.add_coefs(rows, self.u, -1.0)
        lab = per_year(pd.DataFrame({"customer_id": self.cust}), self.years)
        rows = self.rows("service_years", lab, hi=0.0)
        m.add_coefs(rows[self._cust_year_row(ul)], self.u, ul["k"].to_numpy(float))
        zl = self.zl
        n = len(self.cust)
        ci = self.cust.get_indexer(zl["customer_id"])
        for t in range(self.T):  # z of year s counts in every year t >= s
            sel = zl["t"].to_numpy() <= t
            m.add_coefs(rows[ci[sel] + n * t], self.z[sel], -1.0)

    def add_handover(self) -> None:
        """``learn[i,j,t] >= x[i,j,t] - x[i,j,t-1]`` (year 0: the current manager)."""
        if self.learn is None:
            return
        m, xl = self.m, self.xl
        npr = len(self.d.pairs)
        cont = self.d.pairs["continuity"].to_numpy(float)
        t = xl["t"].to_numpy()
        lo = np.where(t == 0, -cont[xl["p"].to_numpy()], 0.0)
        rows = self.rows("handover", xl[["customer_id", "manager_id", "year"]], lo=lo)
        m.add_coefs(rows, self.learn, 1.0)
        m.add_coefs(rows, self.x, -1.0)
        later = np.flatnonzero(t > 0)
        m.add_coefs(rows[later], self.x[later - npr], 1.0)
        if (self.d.managers["min_hours"] > 0).any():
            # a minimum workload would pay for handover hours nobody spends: learn is then
            # exactly x[i,j,t] (1 - x[i,j,t-1]), bounded from above too
            lab = xl[["customer_id", "manager_id", "year"]]
            lead = self.rows("handover_lead", lab, hi=0.0)
            m.add_coefs(lead, self.learn, 1.0)
            m.add_coefs(lead, self.x, -1.0)
            new = self.rows("handover_new", lab, hi=np.where(t == 0, 1.0 + lo, 1.0))
            m.add_coefs(new, self.learn, 1.0)
            m.add_coefs(new[later], self.x[later - npr], 1.0)

    def add_hiring_rules(self) -> None:
        """A slot is hired at most once; slots of a profile are filled in order; a hire
        leads accounts only once hired."""
        hl = self.hl
        if len(hl) == 0:
            return
        m, hires = self.m, self.hires
        idx = pd.Index(hires.index)
        rows = self.rows("hire_once", pd.DataFrame({"manager_id": idx}), hi=1.0)
        m.add_coefs(rows[idx.get_indexer(hl["manager_id"])], self.w, 1.0)
        # symmetry: slot k+1 of a profile hired by year t only if slot k is
        nxt = hires.reset_index()
        nxt["next"] = nxt.groupby("profile")["manager_id"].shift(-1)
        pairs = nxt.dropna(subset=["next"])
        if len(pairs):
            lab = per_year(pairs[["next", "manager_id"]].rename(
                columns={"next": "manager_id", "manager_id": "after"}), self.years)
            rows = self.rows("hire_order", lab, hi=0.0)
            pos = {(mid, t): n for n, (mid, t) in enumerate(zip(hl["manager_id"], hl["t"],
                                                                strict=True))}
            ri, ci, vi = [], [], []
            for r, (mid, after, t) in enumerate(zip(lab["manager_id"], lab["after"], lab["t"],
                                                    strict=True)):
                for s in range(t + 1):
                    ri += [r, r]
                    ci += [pos[(mid, s)], pos[(after, s)]]
                    vi += [1.0, -1.0]
            m.add_coefs(rows[np.array(ri)], self.w[np.array(ci)], np.array(vi))
        # a hire leads an account only once hired: x[i,n,t] <= sum_{s<=t} w[n,s]
        # (one row per pair, not one big-M row per hire: much tighter)
        xl = self.xl
        sel = np.flatnonzero(xl["manager_id"].isin(idx).to_numpy())
        if len(sel) == 0:
            return
        lab = xl.loc[sel, ["customer_id", "manager_id", "year", "t"]].reset_index(drop=True)
        rows = self.rows("hired_before_leading", lab, hi=0.0)
        m.add_coefs(rows, self.x[sel], 1.0)
        hpos = pd.Series(np.arange(len(hl)), index=pd.MultiIndex.from_frame(hl[["manager_id", "t"]]))
        for s_ in range(self.T):
            later = np.flatnonzero(lab["t"].to_numpy() >= s_)
            cols = hpos.reindex(pd.MultiIndex.from_arrays(
                [lab["manager_id"].to_numpy()[later], np.full(len(later), s_)])).to_numpy()
            m.add_coefs(rows[later], self.w[cols.astype(int)], -1.0)

    def add_intake_targets(self) -> None:
        """``intake_target[scope,year]``: expected order intake + shortfall >= target.

        The intake not decided by the plan (every customer's revenue eroding at
        ``churn_without_kam``) is moved to the right-hand side.
        """
        tg = self.targets
        if len(tg) == 0:
            return
        m = self.m
        rows = self.rows("intake_target", tg[["scope", "year", "t"]],
                         lo=(tg["order_intake"] - tg["constant"]).to_numpy())
        m.add_coefs(rows, self.s, 1.0)
        c = self.d.case.customers
        c0, c1 = self.a.churn_without_kam, self.a.churn_with_kam
        for r, (scope, t) in enumerate(zip(tg["scope"], tg["t"], strict=True)):
            inside = _in_scope(c, scope)
            # retention: z of year s <= t
            zl = self.zl
            sel = (zl["t"].to_numpy() <= t) & inside.reindex(zl["customer_id"]).to_numpy()
            coef = (c0 - c1) * self.revenue.reindex(zl["customer_id"][sel]).to_numpy() \
                * (1 - c0) ** t
            m.add_coefs(np.full(sel.sum(), rows[r]), self.z[sel], coef)
            for lab, ids, val in ((self.el, self.e, self.el["intake"].to_numpy()),
                                  (self.xl, self.x, self.x_intake),
                                  (self.al, self.a_, self.a_intake)):
                sel = (lab["t"].to_numpy() == t) & inside.reindex(lab["customer_id"]).to_numpy()
                sel &= val != 0
                m.add_coefs(np.full(sel.sum(), rows[r]), ids[sel], val[sel])

    # ------------------------------------------------------------ a start
    def vector(self, dec: pd.DataFrame, hired: dict) -> np.ndarray:
        """The column values of a plan given as decisions.

        ``dec``: one row per (customer_id, t) that is a key account, with
        ``level``, ``manager_id`` and ``activities`` (a tuple of activity ids);
        ``hired``: {hire manager_id: t}. Used for the warm start.
        """
        v = np.zeros(self.m.n_cols)
        a = self.a
        if len(dec):
            dec = dec.sort_values(["customer_id", "t"]).reset_index(drop=True)
            dec["n"] = dec.groupby("customer_id").cumcount() + 1
            dec["k"] = np.minimum(dec["n"], len(a.ramp))

            def put(lab, ids, keys, frame, value=1.0):
                idx = pd.MultiIndex.from_frame(lab[keys]).get_indexer(
                    pd.MultiIndex.from_frame(frame[keys]))
                ok = idx >= 0
                v[ids[idx[ok]]] = np.asarray(value)[ok] if np.ndim(value) else value

            put(self.zl, self.z, ["customer_id", "level", "t"], dec)
            put(self.xl, self.x, ["customer_id", "manager_id", "t"], dec)
            put(self.gl, self.g, ["customer_id", "manager_id", "level", "t"], dec)
            put(self.el, self.e, ["customer_id", "level", "t", "k"], dec)
            put(self.ul, self.u, ["customer_id", "t", "k"], dec)
            acts = dec[["customer_id", "t", "manager_id", "activities"]].explode("activities")
            acts = acts.dropna(subset=["activities"]).rename(columns={"activities": "activity_id"})
            if len(acts):
                put(self.al, self.a_, ["customer_id", "activity_id", "t"], acts)
                kh = self.d.case.activities["kam_hours"].astype(float)
                acts = acts.assign(h=kh.reindex(acts["activity_id"]).to_numpy())
                hq = acts.groupby(["customer_id", "manager_id", "t"], as_index=False)["h"].sum()
                hq = hq[hq["h"] > 0]
                put(self.ql, self.q, ["customer_id", "manager_id", "t"], hq, hq["h"].to_numpy())
            if self.learn is not None:
                prev = dec.assign(t=dec["t"] + 1)[["customer_id", "t", "manager_id"]]
                cur = self.d.case.customers["current_manager"].astype(str)
                first = pd.DataFrame({"customer_id": cur.index, "t": 0, "manager_id": cur.values})
                prev = pd.concat([prev, first[first["manager_id"] != ""]])
                kept = dec.merge(prev, on=["customer_id", "t", "manager_id"], how="left",
                                 indicator=True)["_merge"].eq("both").to_numpy()
                put(self.xl, self.learn, ["customer_id", "manager_id", "t"], dec[~kept])
        if hired:
            hf = pd.DataFrame({"manager_id": list(hired), "t": list(hired.values())})
            idx = pd.MultiIndex.from_frame(self.hl[["manager_id", "t"]]).get_indexer(
                pd.MultiIndex.from_frame(hf))
            v[self.w[idx[idx >= 0]]] = 1.0
        if "intake_target" in self.m.rows and len(self.s):
            blk = self.m.rows["intake_target"]
            act = self.m.matrix()[blk.slice] @ v
            lo = self.m.arrays()["row_lo"][blk.slice]
            v[self.s] = np.maximum(lo - act, 0.0)
        return v

    def build(self) -> LinearModel:
        self.add_variables()
        # the shared rules (kamopt.model.rules) with the mid-term ones between them
        for rule in (self.add_one_level_per_account, self.add_lead_manager_links,
                     self.add_ramp_up, self.add_activity_hours, self.add_handover,
                     self.add_manager_capacity, self.add_hiring_rules,
                     self.add_activity_needs_key_account, self.add_department_capacity,
                     self.add_budget, self.add_key_account_bounds, self.add_intake_targets):
            rule()
        return self.m


def _in_scope(customers: pd.DataFrame, scope: str) -> pd.Series:
    if scope == "company":
        return pd.Series(True, index=customers.index)
    kind, _, name = scope.partition(":")
    return customers[kind].astype(str) == name


def baseline_intake(case: Case, a: MidtermAssumptions, t: int) -> pd.Series:
    """Each customer's order intake in plan year ``t`` (0-based) without key-account management.

    ``revenue * (1 - churn_without_kam) ** (t + 1)``.
    """
    return case.customers["revenue"].astype(float) * (1 - a.churn_without_kam) ** (t + 1)


def _capacity_table(d: ModelData, hires: pd.DataFrame, capacity_by_year: pd.DataFrame,
                    years: list[int]) -> pd.DataFrame:
    mg = d.managers
    cap = pd.DataFrame({y: mg["capacity"].astype(float) for y in years})
    scale = d.scenario.capacity_scale
    for rec in capacity_by_year.itertuples(index=False):
        if rec.manager_id in cap.index and rec.year in cap.columns:
            cap.at[rec.manager_id, rec.year] = float(rec.capacity_hours) * scale
    if len(hires):
        cap.loc[hires.index] = np.outer(hires["capacity"].to_numpy(), np.ones(len(years)))
    cap.columns.name = "year"
    cap.index.name = "manager_id"
    return cap


def lapsed_leads(case: Case, scenario: Scenario, capacity_by_year: pd.DataFrame,
                 years: list[int]) -> dict[str, tuple[str, list[int]]]:
    """The fixed leads (``leads``) whose manager has no hours in some years of the horizon.

    Returns ``{customer_id: (manager_id, [years without hours])}``. In those years
    the account stays a key account but may be led by anyone; in the others the
    fix holds ("K0051 stays with M08 while M08 is here").

    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([dict(customer_id="K1")], [dict(manager_id="M1", capacity_hours=100)])
    >>> cby = pd.DataFrame({"manager_id": ["M1"], "year": [2028], "capacity_hours": [0.0]})
    >>> lapsed_leads(case, Scenario(leads={"K1": "M1"}), cby, [2027, 2028, 2029])
    {'K1': ('M1', [2028])}
    """
    out = {}
    for cid, j in scenario.leads:
        if j not in case.managers.index:  # a hire of the scenario: the same hours every year
            continue
        base = float(case.managers.at[j, "capacity_hours"])
        rows = capacity_by_year[capacity_by_year["manager_id"] == j]
        by_year = dict(zip(rows["year"], rows["capacity_hours"].astype(float), strict=True))
        gone = [y for y in years if by_year.get(y, base) * scenario.capacity_scale <= 0]
        if gone:
            out[cid] = (j, gone)
    return out


def _model_scenario(scenario: Scenario, lapsed: dict) -> Scenario:
    """``scenario`` with the lapsing fixed leads as ``must`` accounts (every manager a candidate;
    the builder then fixes the lead in the years its manager has hours)."""
    if not lapsed:
        return scenario
    return scenario.replace(leads=tuple(p for p in scenario.leads if p[0] not in lapsed),
                            must=tuple(dict.fromkeys((*scenario.must, *lapsed))))


def build_midterm(case: Case, scenario: Scenario, a: MidtermAssumptions, years: int,
                  targets: pd.DataFrame, capacity_by_year: pd.DataFrame) -> MidtermModel:
    """Build the multi-year model (stage 2 of :func:`plan_midterm`), callable alone."""
    yrs = [a.start_year + t for t in range(years)]
    lapsed = lapsed_leads(case, scenario, capacity_by_year, yrs)
    d, hires = prepare_midterm(case, _model_scenario(scenario, lapsed), a)
    tg = targets[targets["year"].isin(yrs)].reset_index(drop=True).copy()
    tg["t"] = tg["year"] - a.start_year
    tg["constant"] = [float(baseline_intake(case, a, t)[_in_scope(case.customers, s)].sum())
                      for s, t in zip(tg["scope"], tg["t"], strict=True)]
    cap = _capacity_table(d, hires, capacity_by_year, yrs)
    b = _Builder(d, a, yrs, hires, cap, tg, lapsed)
    lp = b.build()
    mm = MidtermModel(d, a, yrs, lp, hires, tg, cap, cols=b.cols)
    mm._builder = b  # the per-block intake coefficients, for reading the plan
    return mm
