"""Stage 2: build the key-account MIP (spec section 3) from :class:`ModelData`.

The formulation
---------------
Decisions (binary unless said): ``z[i,l]`` account *i* is a key account at
coverage level *l*; ``x[i,j]`` manager *j* leads *i* (eligible pairs only);
``a[i,k]`` activity *k* runs for *i*; and two continuous splits that carry the
hours to the lead manager without a big-M:

* ``g[i,j,l]`` in [0, 1], the share of option (i, l) led by *j*, with
  ``sum_j g[i,j,l] = z[i,l]`` and ``sum_l g[i,j,l] = x[i,j]``. For integer
  ``x`` and ``z`` this forces ``g = x * z``, so the hours *j* spends on *i* at
  its level, ``sum_l H[i,l] g[i,j,l]``, are exact; the LP relaxation is the
  convex hull of the (manager, level) choice per account, which is what
  makes the model solve fast. (The spec's big-M link ``h <= M x`` lets the
  LP put hours on a manager who barely leads the account; its bound is weak.)
* ``b[i,j,k]`` in [0, 1] (column block ``q``), activity *k* of *i* run under
  lead manager *j*: ``sum_j b[i,j,k] = a[i,k]`` and ``b[i,j,k] <= x[i,j]``, so
  *j* carries ``kam_hours_k * b[i,j,k]`` hours, again without a big-M. On the
  sample company this form solves ~10x faster than the compact big-M link
  ``sum_j q[i,j] = sum_k kam_hours_k a[i,k]``, ``q[i,j] <= A_i x[i,j]``, which
  is used only when the tight form would need more than
  :data:`TIGHT_ACTIVITY_LIMIT` columns.

The spec's ``h[i,j] = sum_l H[i,l] g[i,j,l] + q[i,j]`` and ``y_i = sum_l z[i,l]``;
``sum_j x[i,j] = y_i`` (one lead manager per key account) is implied by the
two ``g`` links and is re-checked by :meth:`kamopt.planning.oneyear.Plan.verify`.

The model is kept as sparse matrix blocks with labelled rows and columns
(:class:`LinearModel`), built with numpy and pandas in one pass per rule; it
goes to HiGHS in one call and to PuLP (CBC, LP files) through
:func:`kamopt.solve.backend.to_pulp`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kamopt.model.prepare import ModelData, committed

INF = np.inf


@dataclass
class Block:
    """A labelled block of columns or rows: ``start`` is the first index."""

    name: str
    labels: pd.DataFrame  # one row per column/row, the index columns of its name
    start: int

    @property
    def size(self) -> int:
        return len(self.labels)

    @property
    def slice(self) -> slice:
        return slice(self.start, self.start + self.size)

    def names(self) -> list[str]:
        """Readable names such as ``capacity[M07]`` or ``x[K0001,M03]``."""
        if self.labels.shape[1] == 0:
            return [self.name] * self.size
        parts = self.labels.astype(str)
        joined = parts.iloc[:, 0]
        for col in parts.columns[1:]:
            joined = joined + "," + parts[col]
        return (self.name + "[" + joined + "]").tolist()


@dataclass
class LinearModel:
    """A mixed-integer linear programme (maximise) in labelled sparse blocks."""

    cols: dict[str, Block] = field(default_factory=dict)
    rows: dict[str, Block] = field(default_factory=dict)
    obj: list[np.ndarray] = field(default_factory=list)
    lb: list[np.ndarray] = field(default_factory=list)
    ub: list[np.ndarray] = field(default_factory=list)
    integer: list[np.ndarray] = field(default_factory=list)
    row_lo: list[np.ndarray] = field(default_factory=list)
    row_hi: list[np.ndarray] = field(default_factory=list)
    _i: list[np.ndarray] = field(default_factory=list)
    _j: list[np.ndarray] = field(default_factory=list)
    _v: list[np.ndarray] = field(default_factory=list)
    n_cols: int = 0
    n_rows: int = 0

    # -------------------------------------------------------------- building
    def add_vars(self, name, labels: pd.DataFrame, obj, lb=0.0, ub=1.0, integer=False) -> np.ndarray:
        n = len(labels)
        block = Block(name, labels.reset_index(drop=True), self.n_cols)
        self.cols[name] = block
        self.obj.append(np.broadcast_to(np.asarray(obj, float), n).copy())
        self.lb.append(np.broadcast_to(np.asarray(lb, float), n).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, float), n).copy())
        self.integer.append(np.full(n, bool(integer)))
        self.n_cols += n
        return np.arange(block.start, block.start + n)

    def add_rows(self, name, labels: pd.DataFrame, lo=-INF, hi=INF) -> np.ndarray:
        n = len(labels)
        block = Block(name, labels.reset_index(drop=True), self.n_rows)
        self.rows[name] = block
        self.row_lo.append(np.broadcast_to(np.asarray(lo, float), n).copy())
        self.row_hi.append(np.broadcast_to(np.asarray(hi, float), n).copy())
        self.n_rows += n
        return np.arange(block.start, block.start + n)

    def add_coefs(self, rows, cols, vals) -> None:
        rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
        self._i.append(rows)
        self._j.append(cols)
        self._v.append(np.broadcast_to(np.asarray(vals, float), rows.shape).copy())

    # ------------------------------------------------------------ assembling
    def matrix(self) -> sp.csc_matrix:
        if not self._i:
            return sp.csc_matrix((self.n_rows, self.n_cols))
        i, j, v = (np.concatenate(a) for a in (self._i, self._j, self._v))
        return sp.csc_matrix((v, (i, j)), shape=(self.n_rows, self.n_cols))

    def arrays(self) -> dict[str, np.ndarray]:
        cat = lambda xs, dt=float: np.concatenate(xs) if xs else np.zeros(0, dt)  # noqa: E731
        return {
            "obj": cat(self.obj),
            "lb": cat(self.lb),
            "ub": cat(self.ub),
            "integer": cat(self.integer, bool),
            "row_lo": cat(self.row_lo),
            "row_hi": cat(self.row_hi),
        }

    def col_names(self) -> list[str]:
        return [n for b in self.cols.values() for n in b.names()]

    def row_names(self) -> list[str]:
        return [n for b in self.rows.values() for n in b.names()]

    def row_block(self, r: int) -> Block:
        return next(b for b in self.rows.values() if b.start <= r < b.start + b.size)

    def __repr__(self) -> str:
        ints = int(sum(x.sum() for x in self.integer))
        nnz = sum(len(x) for x in self._i)
        return (
            f"LinearModel({self.n_cols:,} columns ({ints:,} integer), {self.n_rows:,} rows, "
            f"{nnz:,} nonzeros; blocks {', '.join(self.cols)} | {', '.join(self.rows)})"
        )


@dataclass
class KamModel:
    """The built key-account model: the data, the programme and the column ids."""

    data: ModelData
    lp: LinearModel
    z: np.ndarray  # column ids, aligned with data.options
    x: np.ndarray  # aligned with data.pairs
    g: np.ndarray  # aligned with self.gl (pair x option)
    q: np.ndarray  # aligned with self.ql (pairs of customers with activity hours)
    a: np.ndarray  # aligned with data.acts
    gl: pd.DataFrame  # pair index 'p', option index 'o' for each g column
    ql: pd.DataFrame  # pair index 'p' for each q column


# ---------------------------------------------------------------- variables
def activity_hours_columns(d: ModelData, tight: bool) -> pd.DataFrame:
    """The columns that carry activity hours to the lead manager.

    ``tight``: one continuous column per (pair, activity with KAM hours) of the
    same customer, ``b[i,j,k] = x[i,j] * a[i,k]`` in [0, 1], worth
    ``kam_hours_k`` hours each (no big-M). Otherwise one column per pair
    holding all of the account's activity hours, ``q[i,j] <= A_i x[i,j]``.
    Columns: ``p`` (pair row), ``customer_id``, ``hours`` (hours per unit),
    and ``r`` (activity option row) when tight.
    """
    p, a = d.pairs, d.acts
    pp = p[["customer_id"]].reset_index(names="p")
    if tight:
        ah = a.loc[a["kam_hours"] > 0, ["customer_id", "kam_hours"]].reset_index(names="r")
        out = pp.merge(ah, on="customer_id").rename(columns={"kam_hours": "hours"})
        return out[["p", "customer_id", "hours", "r"]]
    act_hours = a[a["kam_hours"] > 0].groupby("customer_id")["kam_hours"].sum()
    out = pp[pp["customer_id"].isin(act_hours.index)].reset_index(drop=True)
    return out.assign(hours=1.0)


#: above this many (pair, activity) columns the activity hours use the compact big-M form
TIGHT_ACTIVITY_LIMIT = 300_000


def add_variables(m: LinearModel, d: ModelData, tight: bool) -> dict:
    o, p, a = d.options, d.pairs, d.acts
    z = m.add_vars("z", o[["customer_id", "level"]], obj=o["value"], integer=True)
    x = m.add_vars("x", p[["customer_id", "manager_id"]], obj=p["value"], integer=True)
    # g: one column per (pair, option of the same customer)
    po = p[["customer_id"]].reset_index(names="p").merge(
        o[["customer_id", "hours"]].reset_index(names="o"), on="customer_id"
    )
    rate = p["hourly_cost"].to_numpy()[po["p"].to_numpy()]
    g = m.add_vars(
        "g",
        pd.DataFrame({"customer_id": po["customer_id"],
                      "manager_id": p["manager_id"].to_numpy()[po["p"].to_numpy()],
                      "level": o["level"].to_numpy()[po["o"].to_numpy()]}),
        obj=-rate * po["hours"].to_numpy(),
    )
    # q: activity hours carried by the lead manager (see activity_hours_columns)
    ql = activity_hours_columns(d, tight)
    q = m.add_vars(
        "q",
        pd.DataFrame({"customer_id": ql["customer_id"],
                      "manager_id": p["manager_id"].to_numpy()[ql["p"].to_numpy()],
                      **({"activity_id": a["activity_id"].to_numpy()[ql["r"].to_numpy()]}
                         if tight else {})}),
        obj=-p["hourly_cost"].to_numpy()[ql["p"].to_numpy()] * ql["hours"].to_numpy(),
        ub=1.0 if tight else INF,
    )
    av = m.add_vars("a", a[["customer_id", "activity_id"]], obj=a["value"] - a["cost"],
                    lb=committed(a, d.scenario).astype(float), integer=True)  # committed: 1
    act_hours = a[a["kam_hours"] > 0].groupby("customer_id")["kam_hours"].sum()
    return {"z": z, "x": x, "g": g, "q": q, "a": av, "gl": po[["p", "o"]], "ql": ql,
            "act_hours": act_hours, "tight": tight}


# ---------------------------------------------------------------- the rules
def add_one_level_per_account(m: LinearModel, d: ModelData, v: dict) -> None:
    """Rule 1: at most one coverage level per account; exactly one for ``must``."""
    cust = d.model_customers
    must = (d.customers.loc[cust, "status"] == "must").to_numpy()
    rows = m.add_rows("key_account", pd.DataFrame({"customer_id": cust}),
                      lo=np.where(must, 1.0, -INF), hi=1.0)
    ci = cust.get_indexer(d.options["customer_id"])
    m.add_coefs(rows[ci], v["z"], 1.0)


def add_lead_manager_links(m: LinearModel, d: ModelData, v: dict) -> None:
    """Rule 2 (and 4 for coverage hours): one lead manager per key account.

    ``sum_j g[i,j,l] = z[i,l]`` per option and ``sum_l g[i,j,l] = x[i,j]`` per
    pair; together they imply ``sum_j x[i,j] = sum_l z[i,l]``.
    """
    gl = v["gl"]
    rows = m.add_rows("level_lead", d.options[["customer_id", "level"]], lo=0.0, hi=0.0)
    m.add_coefs(rows[gl["o"].to_numpy()], v["g"], 1.0)
    m.add_coefs(rows, v["z"], -1.0)
    rows = m.add_rows("lead", d.pairs[["customer_id", "manager_id"]], lo=0.0, hi=0.0)
    m.add_coefs(rows[gl["p"].to_numpy()], v["g"], 1.0)
    m.add_coefs(rows, v["x"], -1.0)


def add_activity_hours(m: LinearModel, d: ModelData, v: dict) -> None:
    """Rules 3 and 4 for activity hours: they go to the lead manager.

    Tight form: ``sum_j b[i,j,k] = a[i,k]`` and ``b[i,j,k] <= x[i,j]``.
    Compact form: ``sum_j q[i,j] = sum_k kam_hours_k a[i,k]`` and
    ``q[i,j] <= A_i x[i,j]``.
    """
    ql, acts = v["ql"], d.acts
    if len(ql) == 0:
        return
    if v["tight"]:
        sel = acts.index[acts["kam_hours"] > 0]
        rows = m.add_rows("activity_lead", acts.loc[sel, ["customer_id", "activity_id"]],
                          lo=0.0, hi=0.0)
        pos = pd.Series(rows, index=sel)
        m.add_coefs(pos[ql["r"]].to_numpy(), v["q"], 1.0)
        m.add_coefs(rows, v["a"][sel.to_numpy()], -1.0)
        link = m.add_rows("activity_with_lead", pd.DataFrame({
            "customer_id": ql["customer_id"],
            "manager_id": d.pairs["manager_id"].to_numpy()[ql["p"].to_numpy()],
            "activity_id": acts["activity_id"].to_numpy()[ql["r"].to_numpy()]}), hi=0.0)
        m.add_coefs(link, v["q"], 1.0)
        m.add_coefs(link, v["x"][ql["p"].to_numpy()], -1.0)
        return
    ah = v["act_hours"]
    cust = pd.Index(ah.index)
    rows = m.add_rows("activity_hours", pd.DataFrame({"customer_id": cust}), lo=0.0, hi=0.0)
    m.add_coefs(rows[cust.get_indexer(ql["customer_id"])], v["q"], 1.0)
    sel = np.flatnonzero(acts["kam_hours"].to_numpy() > 0)
    m.add_coefs(rows[cust.get_indexer(acts["customer_id"].to_numpy()[sel])], v["a"][sel],
                -acts["kam_hours"].to_numpy()[sel])
    link = m.add_rows("activity_lead", d.pairs.loc[ql["p"], ["customer_id", "manager_id"]],
                      lo=-INF, hi=0.0)
    m.add_coefs(link, v["q"], 1.0)
    m.add_coefs(link, v["x"][ql["p"].to_numpy()], -ah.reindex(ql["customer_id"]).to_numpy())


def _manager_hours(d: ModelData, v: dict) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The columns that put hours on a manager: (manager position, columns, hours per unit),
    for the coverage splits ``g`` and the activity hours ``q``."""
    mgr = pd.Index(d.managers.index)
    pj = mgr.get_indexer(d.pairs["manager_id"])
    gl, ql = v["gl"], v["ql"]
    return [(pj[gl["p"].to_numpy()], v["g"], d.options["hours"].to_numpy()[gl["o"].to_numpy()]),
            (pj[ql["p"].to_numpy()], v["q"], ql["hours"].to_numpy())]


def add_manager_capacity(m: LinearModel, d: ModelData, v: dict) -> None:
    """Rule 5: a manager's hours never exceed ``capacity_scale * capacity_hours``."""
    rows = m.add_rows("capacity", pd.DataFrame({"manager_id": d.managers.index}),
                      hi=d.managers["capacity"].to_numpy(float))
    for j, cols, hours in _manager_hours(d, v):
        m.add_coefs(rows[j], cols, hours)


def add_minimum_workload(m: LinearModel, d: ModelData, v: dict) -> None:
    """kamopt's extension: a manager with ``min_hours`` carries at least that many hours.

    A balanced workload (a territory plan's lower band); not scaled by
    ``capacity_scale``. Rows only for managers with a minimum.
    """
    mins = d.managers["min_hours"].to_numpy(float)
    sel = np.flatnonzero(mins > 0)
    if not len(sel):
        return
    rows = np.full(len(mins), -1)
    rows[sel] = m.add_rows("min_workload", pd.DataFrame({"manager_id": d.managers.index[sel]}),
                           lo=mins[sel])
    for j, cols, hours in _manager_hours(d, v):
        on = rows[j] >= 0
        m.add_coefs(rows[j][on], cols[on], hours[on])


def add_activity_needs_key_account(m: LinearModel, d: ModelData, v: dict) -> None:
    """Rule 6: an activity runs only for a key account: ``a[i,k] <= y_i``."""
    acts = d.acts
    if len(acts) == 0:
        return
    rows = m.add_rows("activity_for_key_account", acts[["customer_id", "activity_id"]], hi=0.0)
    m.add_coefs(rows, v["a"], 1.0)
    # - sum_l z[i,l] for each activity row of customer i
    o = d.options.reset_index(names="o")[["customer_id", "o"]]
    ra = acts[["customer_id"]].reset_index(names="r").merge(o, on="customer_id")
    m.add_coefs(rows[ra["r"].to_numpy()], v["z"][ra["o"].to_numpy()], -1.0)


def add_department_capacity(m: LinearModel, d: ModelData, v: dict) -> None:
    """Rule 7: the departments' hours for key-account activities stay within capacity."""
    acts = d.acts
    dep = d.departments
    used = acts[acts["department"].astype(str) != ""]
    if len(dep) == 0 or len(used) == 0:
        return
    deps = pd.Index(dep.index)
    rows = m.add_rows("department", pd.DataFrame({"department": deps}), hi=dep.to_numpy(float))
    m.add_coefs(rows[deps.get_indexer(used["department"])], v["a"][used.index.to_numpy()],
                used["dept_hours"].to_numpy())


def add_budget(m: LinearModel, d: ModelData, v: dict) -> None:
    """Rule 8: manager-hour cost plus activity cost (plus pair costs, if any) within the budget."""
    if d.scenario.budget is None:
        return
    row = m.add_rows("budget", pd.DataFrame(index=[0]), hi=d.scenario.budget)
    gl = v["gl"]
    rate = d.pairs["hourly_cost"].to_numpy()
    m.add_coefs(np.repeat(row, len(v["g"])), v["g"],
                rate[gl["p"].to_numpy()] * d.options["hours"].to_numpy()[gl["o"].to_numpy()])
    m.add_coefs(np.repeat(row, len(v["q"])), v["q"],
                rate[v["ql"]["p"].to_numpy()] * v["ql"]["hours"].to_numpy())
    m.add_coefs(np.repeat(row, len(v["a"])), v["a"], d.acts["cost"].to_numpy())
    pc = d.pairs["pair_cost"].to_numpy(float)
    if (pc > 0).any():
        m.add_coefs(np.repeat(row, int((pc > 0).sum())), v["x"][pc > 0], pc[pc > 0])


def add_key_account_bounds(m: LinearModel, d: ModelData, v: dict) -> None:
    """Rule 9: ``min_key_accounts <= number of key accounts <= max_key_accounts``."""
    s = d.scenario
    if s.min_key_accounts is None and s.max_key_accounts is None:
        return
    lo = -INF if s.min_key_accounts is None else float(s.min_key_accounts)
    hi = INF if s.max_key_accounts is None else float(s.max_key_accounts)
    row = m.add_rows("key_account_count", pd.DataFrame(index=[0]), lo=lo, hi=hi)
    m.add_coefs(np.repeat(row, len(v["z"])), v["z"], 1.0)


RULES = (
    add_one_level_per_account,
    add_lead_manager_links,
    add_activity_hours,
    add_manager_capacity,
    add_minimum_workload,
    add_activity_needs_key_account,
    add_department_capacity,
    add_budget,
    add_key_account_bounds,
)


def build(d: ModelData, tight_activities: bool | None = None) -> KamModel:
    """Build the MIP for the prepared data, one function per business rule.

    ``tight_activities`` chooses the form of the activity-hours link (see
    :func:`activity_hours_columns`); by default the tight form unless it would
    need more than :data:`TIGHT_ACTIVITY_LIMIT` columns.
    """
    if tight_activities is None:
        n = d.pairs["customer_id"].value_counts().reindex(
            d.acts.loc[d.acts["kam_hours"] > 0, "customer_id"]).sum()
        tight_activities = bool(n <= TIGHT_ACTIVITY_LIMIT)
    m = LinearModel()
    v = add_variables(m, d, tight_activities)
    for rule in RULES:
        rule(m, d, v)
    return KamModel(d, m, v["z"], v["x"], v["g"], v["q"], v["a"], v["gl"], v["ql"])
