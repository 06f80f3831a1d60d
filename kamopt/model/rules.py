"""The business rules of key-account planning, each written once over a year axis.

:class:`RuleBuilder` holds a model's decision columns year by year (``z`` level,
``x`` lead, ``g`` hours of a level under a lead, ``q`` activity hours under a lead,
``a`` activity) and adds one block of rows per rule. The one-year model
(:mod:`kamopt.model.oneyear`) is the rules over one year with a one-year objective;
the mid-term model (:mod:`kamopt.model.midterm`) is the same rules over T years
with a discounted objective and its own rules on top (ramp-up, handover, hiring,
targets), which feed the shared ones through :attr:`RuleBuilder.extra_hours`,
:attr:`~RuleBuilder.extra_costs` and :attr:`~RuleBuilder.capacity_supply`.
docs/ARCHITECTURE.md says where to add a rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamopt.case.balance import HOURS_MEASURES
from kamopt.case.disruption import DISRUPTION_MEASURES
from kamopt.model.linear import INF, LinearModel
from kamopt.model.prepare import ModelData, pair_factor

#: label columns that position a column or row in the data, not shown in its name
INTERNAL = ("t", "o", "p", "r", "i", "hours")


def per_year(frame: pd.DataFrame, years: list[int] | None, name: str = "year") -> pd.DataFrame:
    """``frame`` once per year with ``t`` (0-based) and, for a model over named
    ``years``, a ``year`` column; ``years=None`` is the one-year model (t = 0, no year)."""
    if years is None:
        out = frame.reset_index(drop=True).copy()
        out["t"] = 0
        return out
    n = len(frame)
    out = pd.concat([frame.reset_index(drop=True)] * len(years), ignore_index=True)
    out["t"] = np.repeat(np.arange(len(years)), n)
    out[name] = np.repeat(np.asarray(years), n)
    return out


class RuleBuilder:
    """A model's columns over its years and the rules every plan obeys.

    A subclass creates the decision columns (with its objective) through
    :meth:`var` and the ``*_labels`` methods, sets :attr:`capacity` and
    :attr:`min_hours` (years x managers), and calls the ``add_*`` rules.
    Label frames carry ``t`` and the data positions ``o`` (option), ``p``
    (pair) and ``r`` (activity row); columns of a block are ordered year by year,
    so the column of (position k, year t) is ``ids[k + n * t]``.
    """

    def __init__(self, d: ModelData, years: list[int] | None):
        self.d, self.years = d, years
        self.T = 1 if years is None else len(years)
        self.m = LinearModel()
        self.cols: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
        self.cust = d.model_customers
        # what the model's own rules add to the shared ones: each (labels with 'p' and 't',
        # column ids, hours per unit) on the pair's manager; (year positions, column ids,
        # EUR per unit) in the budget; (capacity row positions j + n_managers * t, column ids,
        # hours per unit) added to a manager's capacity
        self.extra_hours: list[tuple[pd.DataFrame, np.ndarray, float | np.ndarray]] = []
        self.extra_costs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.capacity_supply: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.capacity = np.zeros((self.T, len(d.managers)))
        self.min_hours = np.zeros((self.T, len(d.managers)))
        # the upper workload bands (max_hours, max_share; inf: none), every year
        band = (d.managers["max_load"].to_numpy(float) if "max_load" in d.managers
                else np.full(len(d.managers), INF))
        self.max_hours = np.tile(band, (self.T, 1))

    # ------------------------------------------------------------ columns and rows
    def per_year(self, frame: pd.DataFrame) -> pd.DataFrame:
        return per_year(frame, self.years)

    def var(self, name, labels, obj, lb=0.0, ub=1.0, integer=False) -> np.ndarray:
        pretty = labels.drop(columns=[k for k in labels.columns if k in INTERNAL])
        ids = self.m.add_vars(name, pretty, obj=obj, lb=lb, ub=ub, integer=integer)
        self.cols[name] = (labels.reset_index(drop=True), ids)
        return ids

    def rows(self, name, labels, lo=-INF, hi=INF) -> np.ndarray:
        pretty = labels.drop(columns=[k for k in labels.columns if k in INTERNAL])
        return self.m.add_rows(name, pretty, lo=lo, hi=hi)

    def option_labels(self) -> pd.DataFrame:
        """``z[i,l,t]``: customer_id, level, o, t (year)."""
        return self.per_year(self.d.options[["customer_id", "level"]].reset_index(names="o"))

    def pair_labels(self) -> pd.DataFrame:
        """``x[i,j,t]``: customer_id, manager_id, p, t (year)."""
        return self.per_year(self.d.pairs[["customer_id", "manager_id"]].reset_index(names="p"))

    def split_labels(self) -> pd.DataFrame:
        """``g[i,j,l,t]``, the share of option (i, l) led by j: customer_id, manager_id,
        level, (year), p, o, t, hours (the option's hours under that lead: times the pair's
        ``hours_factor``)."""
        p, o = self.d.pairs, self.d.options
        po = p[["customer_id"]].reset_index(names="p").merge(
            o[["customer_id", "level", "hours"]].reset_index(names="o"), on="customer_id")
        po["manager_id"] = p["manager_id"].to_numpy()[po["p"].to_numpy()]
        gl = self.per_year(po[["customer_id", "manager_id", "level", "p", "o"]])
        # the option's hours under this lead: the level's hours times the pair's hours factor
        gl["hours"] = (o["hours"].to_numpy()[gl["o"].to_numpy()]
                       * pair_factor(p, gl["p"].to_numpy()))
        return gl[[c for c in ("customer_id", "manager_id", "level", "year", "p", "o", "t",
                               "hours") if c in gl.columns]]

    def activity_hours_labels(self, tight: bool) -> pd.DataFrame:
        """The columns that carry activity hours to the lead manager (``q``).

        ``tight``: one column in [0, 1] per (pair, activity with KAM hours) of the same
        customer, ``b[i,j,k] = x[i,j] a[i,k]``, worth ``kam_hours_k`` hours (no big-M);
        otherwise one column per pair holding all of the account's activity hours,
        ``q[i,j] <= A_i x[i,j]``. Columns: customer_id, manager_id, (activity_id), (year),
        p, (r), t, hours (hours per unit).
        """
        p, a = self.d.pairs, self.d.acts
        pp = p[["customer_id", "manager_id"]].reset_index(names="p")
        if tight:
            ah = a.loc[a["kam_hours"] > 0, ["customer_id", "activity_id", "kam_hours"]]
            one = pp.merge(ah.reset_index(names="r"), on="customer_id")
            one = one.rename(columns={"kam_hours": "hours"})
            cols = ["customer_id", "manager_id", "activity_id", "p", "r"]
        else:
            one = pp[pp["customer_id"].isin(self.activity_hours().index)].assign(hours=1.0)
            cols = ["customer_id", "manager_id", "p"]
        ql = self.per_year(one[cols])
        ql["hours"] = np.tile(one["hours"].to_numpy(float), self.T)
        return ql

    def activity_labels(self) -> pd.DataFrame:
        """``a[i,k,t]``: customer_id, activity_id, r, t (year)."""
        return self.per_year(self.d.acts[["customer_id", "activity_id"]].reset_index(names="r"))

    def activity_hours(self) -> pd.Series:
        """Per customer: the KAM hours of all its activities."""
        acts = self.d.acts
        return acts[acts["kam_hours"] > 0].groupby("customer_id")["kam_hours"].sum()

    def _at(self, name: str, pos: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The columns of block ``name`` at data position ``pos`` in year ``t``."""
        n = {"z": len(self.d.options), "x": len(self.d.pairs), "a": len(self.d.acts)}[name]
        return self.cols[name][1][np.asarray(pos) + n * np.asarray(t)]

    def _cust_year_row(self, labels: pd.DataFrame) -> np.ndarray:
        """Position of (customer, t) in a per-year block of the model's customers."""
        return (self.cust.get_indexer(labels["customer_id"]) + len(self.cust)
                * labels["t"].to_numpy())

    # ------------------------------------------------------------ the rules
    def add_one_level_per_account(self) -> None:
        """At most one coverage level per account and year; exactly one for ``must``."""
        lab = self.per_year(pd.DataFrame({"customer_id": self.cust}))
        must = (self.d.customers.loc[lab["customer_id"], "status"] == "must").to_numpy()
        rows = self.rows("key_account", lab, lo=np.where(must, 1.0, -INF), hi=1.0)
        zl, z = self.cols["z"]
        self.m.add_coefs(rows[self._cust_year_row(zl)], z, 1.0)

    def add_lead_manager_links(self) -> None:
        """One lead manager per key account and year, and the hours of its level on that
        manager: ``sum_j g[i,j,l] = z[i,l]`` and ``sum_l g[i,j,l] = x[i,j]``, which
        together imply ``sum_j x[i,j] = sum_l z[i,l]``."""
        (zl, z), (xl, x), (gl, g) = self.cols["z"], self.cols["x"], self.cols["g"]
        m = self.m
        no, npr = len(self.d.options), len(self.d.pairs)
        t = gl["t"].to_numpy()
        rows = self.rows("level_lead", zl.drop(columns="o"), lo=0.0, hi=0.0)
        m.add_coefs(rows[gl["o"].to_numpy() + no * t], g, 1.0)
        m.add_coefs(rows, z, -1.0)
        rows = self.rows("lead", xl.drop(columns="p"), lo=0.0, hi=0.0)
        m.add_coefs(rows[gl["p"].to_numpy() + npr * t], g, 1.0)
        m.add_coefs(rows, x, -1.0)

    def add_activity_hours(self) -> None:
        """Activity hours go to the lead manager.

        Tight form: ``sum_j b[i,j,k] = a[i,k]`` and ``b[i,j,k] <= x[i,j]``.
        Compact form: ``sum_j q[i,j] = sum_k kam_hours_k a[i,k]`` and
        ``q[i,j] <= A_i x[i,j]``.
        """
        ql, q = self.cols["q"]
        if len(ql) == 0:
            return
        m, acts = self.m, self.d.acts
        al, a = self.cols["a"]
        x_of_q = self._at("x", ql["p"].to_numpy(), ql["t"].to_numpy())
        if "r" in ql:  # the tight form: a column per (pair, activity)
            sel = acts.index[acts["kam_hours"] > 0]
            rows = self.rows("activity_lead", self.per_year(
                acts.loc[sel, ["customer_id", "activity_id"]]), lo=0.0, hi=0.0)
            pos = pd.Series(np.arange(len(sel)), index=sel)
            m.add_coefs(rows[pos[ql["r"]].to_numpy() + len(sel) * ql["t"].to_numpy()], q, 1.0)
            on = np.isin(al["r"].to_numpy(), sel.to_numpy())
            m.add_coefs(rows[pos[al["r"][on]].to_numpy() + len(sel) * al["t"].to_numpy()[on]],
                        a[on], -1.0)
            link = self.rows("activity_with_lead", ql.drop(columns=["p", "r", "hours"]), hi=0.0)
            m.add_coefs(link, q, 1.0)
            m.add_coefs(link, x_of_q, -1.0)
            return
        ah = self.activity_hours()
        cust = pd.Index(ah.index)
        rows = self.rows("activity_hours", self.per_year(pd.DataFrame({"customer_id": cust})),
                         lo=0.0, hi=0.0)
        m.add_coefs(rows[cust.get_indexer(ql["customer_id"]) + len(cust) * ql["t"].to_numpy()],
                    q, 1.0)
        kh = acts["kam_hours"].to_numpy()[al["r"].to_numpy()]
        on = kh > 0
        m.add_coefs(rows[cust.get_indexer(al["customer_id"][on]) + len(cust)
                         * al["t"].to_numpy()[on]], a[on], -kh[on])
        link = self.rows("activity_lead", ql.drop(columns=["p", "hours"]), hi=0.0)
        m.add_coefs(link, q, 1.0)
        m.add_coefs(link, x_of_q, -ah.reindex(ql["customer_id"]).to_numpy())

    def _hours_into(self, rows: np.ndarray) -> None:
        """Put every column's hours on its manager's row of (manager, year); -1: no row."""
        mgr = pd.Index(self.d.managers.index)
        pj = mgr.get_indexer(self.d.pairs["manager_id"])
        nm = len(mgr)
        gl, g = self.cols["g"]
        ql, q = self.cols["q"]
        for lab, cols, coef in ((gl, g, gl["hours"].to_numpy()), (ql, q, ql["hours"].to_numpy()),
                                *self.extra_hours):
            r = rows[pj[lab["p"].to_numpy()] + nm * lab["t"].to_numpy()]
            on = r >= 0
            self.m.add_coefs(r[on], cols[on], coef[on] if np.ndim(coef) else coef)

    def add_manager_capacity(self) -> None:
        """A manager's hours in a year within :attr:`capacity` (plus what
        :attr:`capacity_supply` adds), and at least :attr:`min_hours` where that is > 0."""
        mgr = pd.Index(self.d.managers.index)
        lab = self.per_year(pd.DataFrame({"manager_id": mgr}))
        rows = self.rows("capacity", lab, hi=self.capacity.ravel())
        self._hours_into(rows)
        least = self.min_hours.ravel()
        if (least > 0).any():
            sel = np.flatnonzero(least > 0)
            low = np.full(len(lab), -1)
            low[sel] = self.rows("min_workload", lab.iloc[sel].reset_index(drop=True),
                                 lo=least[sel])
            self._hours_into(low)
        for pos, cols, coef in self.capacity_supply:
            self.m.add_coefs(rows[pos], cols, coef)

    def add_activity_needs_key_account(self) -> None:
        """An activity runs in a year only for a key account of that year: ``a <= y``."""
        al, a = self.cols["a"]
        if len(al) == 0:
            return
        rows = self.rows("activity_for_key_account", al.drop(columns="r"), hi=0.0)
        self.m.add_coefs(rows, a, 1.0)
        zl, z = self.cols["z"]
        zc = zl[["customer_id", "t"]].reset_index(names="zc")
        ra = al[["customer_id", "t"]].reset_index(names="ar").merge(zc, on=["customer_id", "t"])
        self.m.add_coefs(rows[ra["ar"].to_numpy()], z[ra["zc"].to_numpy()], -1.0)

    def add_department_capacity(self) -> None:
        """Each department's hours for key-account activities within its capacity, per year."""
        dep, acts = self.d.departments, self.d.acts
        al, a = self.cols["a"]
        dept = acts["department"].astype(str).to_numpy()[al["r"].to_numpy()]
        used = dept != ""
        if len(dep) == 0 or not used.any():
            return
        deps = pd.Index(dep.index)
        rows = self.rows("department", self.per_year(pd.DataFrame({"department": deps})),
                         hi=np.tile(dep.to_numpy(float), self.T))
        dh = acts["dept_hours"].to_numpy()[al["r"].to_numpy()]
        self.m.add_coefs(rows[deps.get_indexer(dept[used]) + len(deps) * al["t"].to_numpy()[used]],
                         a[used], dh[used])

    def add_budget(self) -> None:
        """Per year: manager-hour cost, activity cost and pair costs (and what
        :attr:`extra_costs` adds) within the scenario's budget."""
        budget = self.d.scenario.budget
        if budget is None:
            return
        rows = self.rows("budget", self.per_year(pd.DataFrame(index=[0])), hi=budget)
        rate = self.d.pairs["hourly_cost"].to_numpy()
        m = self.m
        for name in ("g", "q"):
            lab, cols = self.cols[name]
            m.add_coefs(rows[lab["t"].to_numpy()], cols,
                        rate[lab["p"].to_numpy()] * lab["hours"].to_numpy())
        al, a = self.cols["a"]
        m.add_coefs(rows[al["t"].to_numpy()], a, self.d.acts["cost"].to_numpy()[al["r"].to_numpy()])
        xl, x = self.cols["x"]
        pc = self.d.pairs["pair_cost"].to_numpy(float)[xl["p"].to_numpy()]
        m.add_coefs(rows[xl["t"].to_numpy()[pc > 0]], x[pc > 0], pc[pc > 0])
        for t, cols, coef in self.extra_costs:
            m.add_coefs(rows[t], cols, coef)

    def add_key_account_bounds(self) -> None:
        """Per year: ``min_key_accounts <= key accounts <= max_key_accounts``."""
        s = self.d.scenario
        if s.min_key_accounts is None and s.max_key_accounts is None:
            return
        lo = -INF if s.min_key_accounts is None else float(s.min_key_accounts)
        hi = INF if s.max_key_accounts is None else float(s.max_key_accounts)
        rows = self.rows("key_account_count", self.per_year(pd.DataFrame(index=[0])), lo=lo, hi=hi)
        zl, z = self.cols["z"]
        self.m.add_coefs(rows[zl["t"].to_numpy()], z, 1.0)

    def disruption_coefs(self, measure: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Disruption in ``measure`` as (year positions, column ids, coefficients) over the
        ``z`` and ``x`` columns: ``sum_i w_i (sum_l z[i,l] - x[i,cur_i])`` per year
        (:func:`disruption_weights`)."""
        wo, wp = disruption_weights(self.d, measure)
        (zl, z), (xl, x) = self.cols["z"], self.cols["x"]
        co, cp = wo[zl["o"].to_numpy()], wp[xl["p"].to_numpy()]
        on_z, on_x = co != 0, cp != 0
        t = np.concatenate([zl["t"].to_numpy()[on_z], xl["t"].to_numpy()[on_x]])
        return t, np.concatenate([z[on_z], x[on_x]]), np.concatenate([co[on_z], cp[on_x]])

    def add_disruption_cap(self) -> None:
        """Per year and measure of the scenario's ``max_disruption``: what changes hands
        (key accounts led by someone other than their current manager, weighted by 1, revenue
        or ``kam_hours``) within the cap."""
        caps = self.d.scenario.disruption_caps
        for measure in (m for m in DISRUPTION_MEASURES if m in caps):
            rows = self.rows(f"disruption_{measure}", self.per_year(pd.DataFrame(index=[0])),
                             hi=float(caps[measure]))
            t, cols, coef = self.disruption_coefs(measure)
            self.m.add_coefs(rows[t], cols, coef)

    def load_terms(self, measure: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Each manager's load in a year in ``measure`` (kamopt.case.balance) as (positions
        ``j + n_managers * t``, column ids, coefficients): the hours of the accounts and
        activities led (``g``, ``q`` and :attr:`extra_hours`; their coefficients carry the
        pair hours factors), those hours over the manager's :attr:`capacity` of the year
        (``utilisation``; 0 for a manager without capacity, who is not balanced), or the
        revenue or number of the key accounts led (``x``)."""
        mgr = pd.Index(self.d.managers.index)
        pj = mgr.get_indexer(self.d.pairs["manager_id"])
        if measure in HOURS_MEASURES:
            (gl, g), (ql, q) = self.cols["g"], self.cols["q"]
            blocks = [(gl, g, gl["hours"].to_numpy()), (ql, q, ql["hours"].to_numpy()),
                      *self.extra_hours]
        else:
            xl, x = self.cols["x"]
            w = (np.ones(len(xl)) if measure == "accounts" else self.d.case.customers["revenue"]
                 .astype(float).reindex(xl["customer_id"]).fillna(0.0).to_numpy())
            blocks = [(xl, x, w)]
        out = []
        cap = self.capacity.ravel()
        per_hour = np.where(cap > 0, 1.0 / np.where(cap > 0, cap, 1.0), 0.0)
        for lab, cols, coef in blocks:
            pos = pj[lab["p"].to_numpy()] + len(mgr) * lab["t"].to_numpy()
            coef = np.broadcast_to(np.asarray(coef, float), pos.shape)
            if measure == "utilisation":  # capacity is a constant of the manager and year
                coef = coef * per_hour[pos]
            out.append((pos, np.asarray(cols), coef))
        return out

    def _load_into(self, rows: np.ndarray, measure: str, scale: np.ndarray | float = 1.0) -> None:
        """Put each manager's load in ``measure`` (times ``scale`` of its row position) on
        its row of (manager, year): ``rows[j + n_managers * t]``, -1: no row."""
        scale = np.broadcast_to(np.asarray(scale, float), rows.shape)
        for pos, cols, coef in self.load_terms(measure):
            r = rows[pos]
            on = r >= 0
            self.m.add_coefs(r[on], cols[on], coef[on] * scale[pos[on]])

    def add_workload_bands(self) -> None:
        """A manager's hours in a year at most :attr:`max_hours` where that is finite: the
        upper band of ``max_hours`` or ``max_share`` (rows ``max_workload``)."""
        most = self.max_hours.ravel()
        sel = np.flatnonzero(np.isfinite(most))
        if not len(sel):
            return
        lab = self.per_year(pd.DataFrame({"manager_id": self.d.managers.index}))
        rows = np.full(len(lab), -1)
        rows[sel] = self.rows("max_workload", lab.iloc[sel].reset_index(drop=True), hi=most[sel])
        self._hours_into(rows)

    def balanced_managers(self) -> np.ndarray:
        """Which (year, manager) count in the scenario's ``balance``: those with capacity."""
        return self.capacity > 0

    def add_balance(self) -> None:
        """The scenario's ``balance`` (kamopt.case.balance), per year over the managers with
        capacity (n of them):

        * ``within`` w: a column ``load`` per manager with ``load_j = sum of the manager's
          terms`` (rows ``load``; :meth:`load_terms`, for utilisation the hours terms over
          the manager's capacity), a column ``mean_load`` with ``n * mean_load = sum_j
          load_j`` (row ``mean_load``) and ``(1 - w) mean_load <= load_j <= (1 + w)
          mean_load`` (rows ``balance``, side ``high`` then ``low``). The load columns
          keep the rows short: with ``n * mean_load`` equal to every manager's hours in one
          row HiGHS's cuts were slow and weak (docs/benchmarks.md, "Balanced workloads").
          No bounds on these columns beyond the rows': a diagnosis relaxes rows;
        * ``objective: least_largest_workload``: a column ``largest_load`` (0 in the
          objective; :mod:`kamopt.solve.lexicographic` minimises it first) with
          ``load_j / capacity_j <= largest_load`` for hours (utilisation), ``load_j <=
          largest_load`` for utilisation (the same rows: its load is already hours over
          capacity), revenue and accounts (rows ``largest_load``).
        """
        b = self.d.scenario.balance
        if b is None:
            return
        on = self.balanced_managers().ravel()
        sel = np.flatnonzero(on)
        lab = self.per_year(pd.DataFrame({"manager_id": self.d.managers.index}))
        years = self.per_year(pd.DataFrame(index=[0]))
        t_of = lab["t"].to_numpy()[sel]
        load = None  # the columns load_j, when the band made them
        if b.within is not None:
            w = float(b.within)
            mgr = lab.iloc[sel].reset_index(drop=True)
            load = self.var("load", mgr, obj=0.0, ub=INF)
            mean = self.var("mean_load", years, obj=0.0, ub=INF)
            rows = np.full(len(lab), -1)
            rows[sel] = self.rows("load", mgr, lo=0.0, hi=0.0)
            self._load_into(rows, b.measure)
            self.m.add_coefs(rows[sel], load, -1.0)
            n = self.balanced_managers().sum(axis=1).astype(float)
            total = self.rows("mean_load", years, lo=0.0, hi=0.0)
            self.m.add_coefs(total, mean, n)
            self.m.add_coefs(total[t_of], load, -1.0)
            # one block, the high rows then the low ones: the group a diagnosis relaxes
            both = pd.concat([mgr.assign(side=side) for side in ("high", "low")],
                             ignore_index=True)
            k = len(sel)
            block = self.rows("balance", both, lo=np.r_[np.full(k, -INF), np.zeros(k)],
                              hi=np.r_[np.zeros(k), np.full(k, INF)])
            for half, share in ((block[:k], 1 + w), (block[k:], 1 - w)):
                self.m.add_coefs(half, load, 1.0)
                self.m.add_coefs(half, mean[t_of], -share)
        if b.objective is not None:
            cap = self.capacity.ravel()
            scale = (np.where(cap > 0, 1.0 / np.where(cap > 0, cap, 1.0), 0.0)
                     if b.measure == "hours" else np.ones(len(cap)))
            self._add_largest("largest_load", b.measure, scale, load)

    def _add_largest(self, name: str, measure: str, scale: np.ndarray | float = 1.0,
                     load: np.ndarray | None = None) -> None:
        """A column ``name`` per year at least every balanced manager's load in ``measure``
        times ``scale`` (rows ``name``, ``scale * load_j - name <= 0``); ``load``: the columns
        ``load_j`` of a band, used in place of the load's terms when given."""
        sel = np.flatnonzero(self.balanced_managers().ravel())
        lab = self.per_year(pd.DataFrame({"manager_id": self.d.managers.index}))
        years = self.per_year(pd.DataFrame(index=[0]))
        t_of = lab["t"].to_numpy()[sel]
        scale = np.broadcast_to(np.asarray(scale, float), (len(lab),))
        top = self.var(name, years, obj=0.0, ub=INF)
        rows = np.full(len(lab), -1)
        rows[sel] = self.rows(name, lab.iloc[sel].reset_index(drop=True), hi=0.0)
        if load is not None:
            self.m.add_coefs(rows[sel], load, scale[sel])
        else:
            self._load_into(rows, measure, scale)
        self.m.add_coefs(rows[sel], top[t_of], -1.0)

    def add_tie_break_load(self) -> None:
        """For the scenario's ``tie_break: least_largest_workload`` (kamopt.solve.tiebreak
        minimises it in its second stage): a column ``tie_break_load`` per year at least every
        manager's load in the tie-break's measure (rows ``tie_break_load``; utilisation: hours
        over capacity, hours, revenue or accounts as they are), over the managers with
        capacity, no band. 0 in the objective: the usual plan does not see it."""
        tb = self.d.scenario.tie_break
        if tb is None or tb[0] != "least_largest_workload":
            return
        self._add_largest("tie_break_load", tb[1])

    #: the shared rules in the order they add rows
    SHARED = ("add_one_level_per_account", "add_lead_manager_links", "add_activity_hours",
              "add_manager_capacity", "add_activity_needs_key_account",
              "add_department_capacity", "add_budget", "add_key_account_bounds",
              "add_disruption_cap", "add_workload_bands", "add_balance", "add_tie_break_load")


def disruption_weights(d: ModelData, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """What changes hands, in ``measure``, as coefficients of the options (``z``, aligned with
    ``d.options``) and the pairs (``x``, aligned with ``d.pairs``).

    An account *changes hands* when it is a key account led by someone other than its
    ``current_manager`` (the plan's kpi ``accounts_changing_hands``): for a customer with a
    current manager, ``w_i * (sum_l z[i,l] - x[i,cur_i])``, where ``x[i,cur_i]`` is absent
    when today's manager cannot lead it (away, too junior, ruled out). An account that is
    not a key account does not change hands. ``w_i`` is 1 (``accounts``), the customer's
    ``revenue`` (``revenue``) or its ``kam_hours``, its hours at standard coverage
    (``hours``, as the kpi ``hours_changing_hands``).
    """
    if measure not in DISRUPTION_MEASURES:
        raise ValueError(f"The 'measure' parameter of disruption_weights must be one of "
                         f"{', '.join(DISRUPTION_MEASURES)}. Got {measure!r} instead.")
    c = d.case.customers
    has_current = (c["current_manager"].astype(str) != "")
    w = (pd.Series(1.0, index=c.index) if measure == "accounts" else
         c["revenue" if measure == "revenue" else "kam_hours"].astype(float))
    w = w.where(has_current, 0.0)
    wo = w.reindex(d.options["customer_id"]).fillna(0.0).to_numpy(float)
    wp = (-w.reindex(d.pairs["customer_id"]).fillna(0.0).to_numpy(float)
          * d.pairs["continuity"].to_numpy(bool))
    return wo, wp
