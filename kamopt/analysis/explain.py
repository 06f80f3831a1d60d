"""Why each customer is or is not a key account, and what capacity is worth.

Marginal values
---------------
A MIP has no duals, so every number here comes from a linear programme,
and each one says which LP it came from:

``lp_relaxation``
    Duals of the plain LP relaxation of the plan's model (every decision may
    be fractional, an account can be "half a key account"). This is the price
    of one more hour when accounts are divisible: what the best use of an
    extra hour would earn, net of the manager's own hourly cost. The model's
    LP relaxation is tight (per account it is the convex hull of the level and
    manager choice), so these prices almost support the integer plan; they
    are the "value an hour earns at the margin" of :func:`explain`.
``decisions_fixed``
    Duals of the LP with the plan's key-account decisions fixed (the binary
    columns ``z``, ``x``, ``a`` fixed to the plan's values by bounds; only the
    hour splits are left). With every decision fixed an extra hour has nowhere
    to go, so its value is 0, and one hour less makes the plan infeasible:
    the duals of binding capacity rows are degenerate (any value >= 0 is
    optimal) and HiGHS reports 0. They are reported because they are what
    "the dual of the MIP at its solution" amounts to; they are not a price.
``re_solved``
    Finite differences by re-planning: one more full-time key account manager
    with the median KAM profile (:func:`median_hire`) is added to the scenario,
    the MIP is solved again, and the difference in net contribution is the
    value of the hire. Both solves stop within the scenario's MIP gap, so the
    true difference lies in ``[re_solved_low, re_solved_high]`` (from the two
    solves' proven bounds).

No MIP dual is ever read: :func:`kamopt.solve.backend.solve` returns duals only for
LP solves (``relax=True``).

Explanations
------------
For each customer, :func:`explain` compares what the account earns per KAM
hour (its net contribution, value minus the cost of hours and activities,
divided by the KAM hours it needs) with the value an hour earns at the margin
(the LP-relaxation dual of the capacity of its lead manager, or for a customer
that is not a key account of its best eligible manager). The break-even
potential is the potential at which the account would earn exactly that value
per hour at its best option: above it a non-key account would pay for the
hours it takes from others, below it a key account would not. It is a price
argument (exact when hours are not scarce, and close when accounts are small
against a manager's capacity), not a re-solve; a flip can need more when whole
accounts must make room.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd

from kamopt.case.scenario import Hire
from kamopt.case.tables import Case
from kamopt.i18n import N_, localise, number, tr
from kamopt.model.oneyear import KamModel, build
from kamopt.model.prepare import and_list, effective_managers, pair_factor, prepare
from kamopt.planning.oneyear import Plan
from kamopt.planning.oneyear import plan as make_plan
from kamopt.units import eur
from kamopt.units import hours as hours_text

__all__ = ["explain", "lp_duals", "marginal_values", "median_hire", "value_of_hire"]


# ------------------------------------------------------------------- duals
def _model(p: Plan) -> KamModel:
    return p.model if p.model is not None else build(prepare(p.case, p.scenario))


def _duals_by_name(km: KamModel, row_duals: np.ndarray) -> dict:
    lp = km.lp
    out: dict = {}
    cap = lp.rows.get("capacity")
    out["capacity"] = (pd.Series(row_duals[cap.slice], index=pd.Index(cap.labels["manager_id"]))
                       if cap is not None else pd.Series(dtype=float))
    dep = lp.rows.get("department")
    out["department"] = (pd.Series(row_duals[dep.slice], index=pd.Index(dep.labels["department"]))
                         if dep is not None else pd.Series(dtype=float))
    bud = lp.rows.get("budget")
    out["budget"] = float(row_duals[bud.slice][0]) if bud is not None else None
    for key in ("capacity", "department"):
        s = out[key]
        out[key] = s.where(s.abs() > 1e-9, 0.0)  # a -0.0 or 1e-12 is 0
    if out["budget"] is not None and abs(out["budget"]) <= 1e-12:
        out["budget"] = 0.0
    # capacity rows are <= rows of a maximisation: their duals are >= 0
    out["capacity"].index.name = "manager_id"
    out["department"].index.name = "department"
    return out


def lp_duals(p: Plan, *, fixed: bool = False) -> dict:
    """Row duals of an LP of ``p``'s model, by business name.

    ``fixed=False``: the plain LP relaxation. ``fixed=True``: the LP with the
    plan's binary decisions (``z``, ``x``, ``a``) fixed to their values by
    bounds. Returns ``{"capacity": Series by manager, "department": Series by
    department, "budget": float or None, "objective": float, "lp": label}`` in
    EUR a year per hour (per EUR for the budget).
    """
    from kamopt.solve.backend import highs_model, run_highs, set_col_bounds

    km = _model(p)
    lp = km.lp
    if lp.n_cols == 0:  # nobody can be a key account: nothing uses any capacity
        out = _duals_by_name(km, np.zeros(lp.n_rows))
        out["objective"] = 0.0
        out["lp"] = "decisions fixed" if fixed else "LP relaxation"
        return out
    h = highs_model(lp, relax=True)
    if fixed:
        if p.solution is None or p.solution.values is None or p.model is None:
            raise ValueError("The 'p' parameter of lp_duals must carry its model and solution "
                             "(a Plan from kamopt.planning.oneyear.plan) to fix its decisions.")
        arr = lp.arrays()
        lb, ub = arr["lb"].copy(), arr["ub"].copy()
        ints = np.flatnonzero(arr["integer"])
        vals = np.round(p.solution.values[ints])
        lb[ints] = vals
        ub[ints] = vals
        set_col_bounds(h, None, lb, ub)  # every column
    sol = run_highs(h, time_limit=max(p.scenario.time_limit, 60.0), mip_gap=0.0, is_mip=False)
    if not sol.ok or sol.row_duals is None:
        raise RuntimeError(f"The LP for the marginal values did not solve: {sol.message}")
    out = _duals_by_name(km, sol.row_duals)
    out["objective"] = float(sol.objective)
    out["lp"] = "decisions fixed" if fixed else "LP relaxation"
    return out


# --------------------------------------------------------------- the hire
def median_hire(case: Case) -> Hire:
    """One new full-time KAM with the median profile of the case's KAMs.

    Median seniority (rounded), capacity and hourly cost of the managers whose
    role is ``kam`` (all managers if none is); no industries (so no fit bonus:
    a conservative profile). The capacity is the median of those with hours
    (a manager away all year says nothing of what a new one works); with none
    at all, a full-time KAM's 1,400 hours. Its id does not clash with the
    case's managers.

    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([], [dict(manager_id="A", capacity_hours=1000, hourly_cost=80,
    ...                            seniority=1),
    ...                       dict(manager_id="B", capacity_hours=0, hourly_cost=100,
    ...                            seniority=3)])
    >>> median_hire(case).capacity_hours  # B has no hours this year
    1000.0
    """
    m = case.managers
    k = m[m["role"] == "kam"] if (m["role"] == "kam").any() else m
    prefix = "NEW"
    while any(str(j).startswith(prefix) for j in m.index):
        prefix += "X"
    working = k["capacity_hours"][k["capacity_hours"] > 0]
    return Hire(
        count=1,
        seniority=int(min(3, max(1, math.floor(statistics.median(k["seniority"]) + 0.5)))),
        capacity_hours=(float(statistics.median(working)) if len(working)
                        else Hire().capacity_hours),
        hourly_cost=float(statistics.median(k["hourly_cost"])),
        industries=(),
        prefix=prefix,
    )


def value_of_hire(p: Plan, hire: Hire | None = None) -> dict:
    """Net contribution of one more KAM, by re-planning with the hire added.

    Returns ``hire``, ``hours`` (its capacity after ``capacity_scale``),
    ``re_solved`` (EUR a year: the new plan's net minus ``p``'s),
    ``re_solved_low`` / ``re_solved_high`` (the interval the two solves' MIP
    gaps allow), ``per_hour`` and ``plan`` (the re-solved :class:`Plan`).
    """
    hire = hire or median_hire(p.case)
    sc = p.scenario.replace(hires=(*p.scenario.hires, hire))
    q = make_plan(p.case, sc)
    hours = hire.capacity_hours * hire.count * p.scenario.capacity_scale
    bound_p = p.kpis.get("bound") if p.kpis.get("bound") is not None else p.objective
    bound_q = q.kpis.get("bound") if q.kpis.get("bound") is not None else q.objective
    delta = q.objective - p.objective
    return {
        "hire": hire,
        "hours": hours,
        "re_solved": delta,
        "re_solved_low": q.objective - max(bound_p, p.objective),
        "re_solved_high": max(bound_q, q.objective) - p.objective,
        "per_hour": delta / hours if hours > 0 else math.nan,
        "plan": q,
    }


# ----------------------------------------------------------- marginal values
def marginal_values(p: Plan, *, hire: bool | Hire = True) -> pd.DataFrame:
    """What one more unit of each scarce resource is worth, in EUR a year.

    One row per manager (``kind`` "manager hour"), per department
    ("department hour"), the budget if the scenario has one ("budget EUR"),
    and, unless ``hire=False``, one more full-time KAM ("new KAM",
    re-solved; pass a :class:`~kamopt.case.scenario.Hire` for another profile).

    Columns: ``id``, ``name``, ``what`` (the row in words), ``capacity``,
    ``used``, ``slack``, ``lp_relaxation`` (dual of the LP relaxation),
    ``decisions_fixed`` (dual with the key-account decisions fixed),
    ``re_solved`` / ``re_solved_low`` / ``re_solved_high`` (the hire, EUR a
    year) and ``unit``. See the module docs for what each column means.
    """
    relaxed = lp_duals(p)
    fixed = lp_duals(p, fixed=True)
    rows = []
    m = p.managers
    for j, r in m.iterrows():
        rows.append({
            "kind": N_("manager hour"), "id": j, "name": r["name"],
            "what": (tr("EUR a year per extra hour of {manager} {name} (executive)", manager=j,
                        name=r["name"]) if r.get("role") == "executive" else
                     tr("EUR a year per extra hour of {manager} {name}", manager=j,
                        name=r["name"])),
            "capacity": r["capacity"], "used": r["hours_used"],
            "lp_relaxation": relaxed["capacity"].get(j, 0.0),
            "decisions_fixed": fixed["capacity"].get(j, 0.0),
            "unit": "EUR per hour"})
    for dname, r in p.departments.iterrows():
        rows.append({
            "kind": N_("department hour"), "id": dname, "name": dname,
            "what": tr("EUR a year per extra hour of department {department}", department=dname),
            "capacity": r["capacity"], "used": r["hours_used"],
            "lp_relaxation": relaxed["department"].get(dname, 0.0),
            "decisions_fixed": fixed["department"].get(dname, 0.0),
            "unit": "EUR per hour"})
    if relaxed["budget"] is not None:
        rows.append({
            "kind": N_("budget EUR"), "id": "budget", "name": tr("budget"),
            "what": tr("EUR a year per extra EUR of budget"),
            "capacity": p.scenario.budget, "used": p.kpis["cost"],
            "lp_relaxation": relaxed["budget"], "decisions_fixed": fixed["budget"],
            "unit": "EUR per EUR"})
    if hire:
        v = value_of_hire(p, hire if isinstance(hire, Hire) else None)
        hh: Hire = v["hire"]
        rows.append({
            "kind": N_("new KAM"), "id": f"{hh.prefix}1", "name": tr("one more full-time KAM"),
            "what": tr("EUR a year from one more full-time KAM (seniority {seniority}, {hours} h "
                       "at {rate} EUR/h), re-solved", seniority=hh.seniority,
                       hours=number(v["hours"]), rate=number(hh.hourly_cost)),
            "capacity": v["hours"], "used": v["plan"].managers.loc[f"{hh.prefix}1", "hours_used"],
            "re_solved": v["re_solved"], "re_solved_low": v["re_solved_low"],
            "re_solved_high": v["re_solved_high"],
            "re_solved_per_hour": v["per_hour"], "unit": "EUR a year"})
    out = pd.DataFrame(rows)
    for col in ("re_solved", "re_solved_low", "re_solved_high", "re_solved_per_hour"):
        if col not in out:
            out[col] = math.nan
    out["slack"] = out["capacity"] - out["used"]
    cols = ["kind", "id", "name", "what", "capacity", "used", "slack", "lp_relaxation",
            "decisions_fixed", "re_solved", "re_solved_low", "re_solved_high",
            "re_solved_per_hour", "unit"]
    out = out[cols]
    out.attrs["lp_relaxation_objective"] = relaxed["objective"]
    out.attrs["decisions_fixed_objective"] = fixed["objective"]
    return out


def marginal_table(mv: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """:func:`marginal_values` for a reader: one row per scarce resource, in words and units.

    Managers, departments and the budget (the new KAM is a sentence of its
    own, not a row): capacity, used, unused, and what one more unit is worth
    at the margin (the LP relaxation's price, EUR a year), most valuable first.
    With ``top`` (and more rows than that), only the ``top`` most valuable rows, their
    worth as text, and a last row that says how many more there are and what one
    more hour of them is worth (the budget, worth most or nothing, is rarely among them).

    >>> mv = pd.DataFrame({"kind": ["manager hour", "department hour", "new KAM"],
    ...     "id": ["M01", "Logistik", "NEW1"], "name": ["Anna", "Logistik", "x"],
    ...     "capacity": [1600.0, 900.0, 1600.0], "used": [1600.0, 450.0, 1000.0],
    ...     "slack": [0.0, 450.0, 600.0], "lp_relaxation": [112.4, 0.0, None]})
    >>> marginal_table(mv).iloc[:, [2, 3]].to_dict("index")
    {'M01 Anna': {'unused': '0 h', 'one more is worth (EUR a year)': 112.4}, 'department Logistik': {'unused': '450 h', 'one more is worth (EUR a year)': 0.0}}
    """
    rows = mv[mv["kind"] != "new KAM"]
    unit = np.where(rows["kind"] == "budget EUR", "EUR", "h")

    def amount(values, units):  # hours as people read them: a workload index of 1.2 reads 1.2
        return [f"{number(v)} EUR" if u == "EUR" else f"{hours_text(v)} h"
                for v, u in zip(values, units, strict=True)]

    names = np.where(rows["kind"] == "manager hour",
                     (rows["id"] + " " + rows["name"].fillna("").astype(str)).str.strip(),
                     np.where(rows["kind"] == "department hour",
                              [tr("department {department}", department=d) for d in rows["id"]],
                              tr("budget")))
    out = pd.DataFrame({
        "capacity": amount(rows["capacity"], unit),
        "used": amount(rows["used"], unit),
        "unused": amount(rows["slack"].clip(lower=0), unit),
        "one more is worth (EUR a year)": rows["lp_relaxation"].astype(float).round(1).to_numpy(),
        "per": np.where(unit == "h", tr("hour"), "EUR"),
    }, index=pd.Index(names, name="resource"))
    out = out.sort_values("one more is worth (EUR a year)", ascending=False, kind="stable")
    if top is None or len(out) <= top:
        return out
    worth = out["one more is worth (EUR a year)"]
    rest = worth.iloc[top:]
    head = out.iloc[:top].assign(**{worth.name: worth.iloc[:top].map(number)})
    more = pd.DataFrame({"capacity": [""], "used": [""], "unused": [""],
                         worth.name: [tr("{low} to {high}", low=number(rest.min()),
                                         high=number(rest.max()))],
                         "per": [" / ".join(out["per"].iloc[top:].unique())]},
                        index=pd.Index([tr("... {n} more", n=len(rest))], name="resource"))
    return pd.concat([head, more])


# ------------------------------------------------------------ explanations
def _eur(x: float) -> str:
    """Amounts in words: '412 EUR', '85 k EUR', '1.2 M EUR'.

    >>> _eur(412.4), _eur(85_300), _eur(1_234_000), _eur(-2_500)
    ('412 EUR', '85 k EUR', '1.2 M EUR', '-2.5 k EUR')
    """
    if not math.isfinite(x):  # a 0-hour account earns no amount per hour
        return "–"
    return eur(x, minus="-")


def _best_options(p: Plan, pi: pd.Series, mu: float) -> tuple[pd.DataFrame, pd.Series]:
    """Each candidate's best coverage option at the margin's prices, and its first break-even.

    An option is (level, eligible manager), without activities. Its reduced
    profit is ``value - (1 + mu) * cost - pi_j * hours``; the best option has the
    largest. The break-even potential of an option is the potential at which
    its reduced profit is 0; the customer's is the smallest over its options.
    Computed one level at a time, keeping one row per customer (the options of
    a large case are customers x levels x managers).
    """
    d = prepare(p.case, p.scenario, prune=False)
    sc = p.scenario
    c = p.case.customers
    pairs = d.pairs
    pc = pairs["customer_id"].to_numpy()
    m = c["margin"].reindex(pc).to_numpy(float)
    R = c["revenue"].reindex(pc).to_numpy(float)
    rate = pairs["hourly_cost"].to_numpy(float)
    pij = pi.reindex(pairs["manager_id"]).fillna(0.0).to_numpy(float)
    fit = pairs["fit"].to_numpy(bool)
    cont = pairs["continuity"].to_numpy(bool)
    best_parts, flip_parts = [], []
    for level, opt in d.options.groupby("level", sort=False):
        o = opt.set_index("customer_id")
        sel = np.isin(pc, o.index)
        if not sel.any():
            continue
        cid = pc[sel]
        hours = o["hours"].reindex(cid).to_numpy(float) * pair_factor(pairs)[sel]  # under j
        real = o["realization"].reindex(cid).to_numpy(float)
        value = o["value"].reindex(cid).to_numpy(float) + pairs["value"].to_numpy(float)[sel]
        cost = rate[sel] * hours
        price = (1 + mu) * rate[sel] + pij[sel]
        rp = value - (1 + mu) * cost - pij[sel] * hours
        slope = m[sel] * (real + fit[sel] * sc.realization * sc.industry_fit)
        const = m[sel] * sc.retention * R[sel] + cont[sel] * sc.continuity_bonus - price * hours
        with np.errstate(divide="ignore", invalid="ignore"):
            bep = np.where(slope > 0, -const / slope, np.inf)
            beh = np.where(price > 0, value / price, np.inf)
        part = pd.DataFrame({
            "customer_id": cid, "level": level,
            "manager_id": pairs["manager_id"].to_numpy()[sel], "hours": hours,
            "value_all": value, "cost": cost, "net": value - cost, "rp": rp,
            "break_even_hours": beh})
        part = part.sort_values(["rp", "manager_id"], ascending=[False, True], kind="stable")
        best_parts.append(part.drop_duplicates("customer_id"))
        flip_parts.append(pd.Series(bep).groupby(cid).min())
    if not best_parts:
        empty = pd.DataFrame(columns=["level", "manager_id", "hours", "value_all", "cost", "net",
                                      "rp", "break_even_hours"], index=pd.Index([], name="customer_id"))
        return empty, pd.Series(dtype=float)
    best = pd.concat(best_parts).sort_values(["rp", "manager_id"], ascending=[False, True],
                                             kind="stable")
    best = best.drop_duplicates("customer_id").set_index("customer_id")
    flip = pd.concat(flip_parts).groupby(level=0).min()
    return best, flip


def explain(p: Plan, duals: dict | None = None) -> pd.DataFrame:
    """One row per customer: why it is or is not a key account, in the user's terms.

    Columns
    -------
    name, status, key_account, level, manager_id
        the plan's decision (``manager_id`` is the lead manager, or for a
        customer that is not a key account its best eligible manager).
    net, hours, net_per_hour
        EUR a year, KAM hours a year and EUR per KAM hour: the plan's figures
        for a key account; for the others those of their best option (level x
        eligible manager, without activities). When the budget binds, cost is
        weighed with its marginal value (see :func:`marginal_values`).
    margin_per_hour
        the value an hour earns at the margin: the LP-relaxation dual of the
        capacity of ``manager_id`` (see the module docs).
    times_margin
        ``net_per_hour / margin_per_hour``.
    break_even_potential, potential_change
        the potential (EUR a year) at which the account earns exactly the
        margin per hour (0 when it pays its way even without potential), and
        how far that is from today's potential (> 0: more needed to become a
        key account; < 0: how much it may lose and stay); NaN where no potential
        would make it pay (its potential earns nothing: no margin).
    break_even_hours
        the KAM hours a year at which the account, at its value, earns the
        margin per hour (a non-key account would have to need at most this).
    reason
        a short code: ``key account``, ``must``, ``below the margin``,
        ``at the margin``, ``cannot pay``, ``excluded``, ``no eligible manager``
        (English in every language: code filters on it; ``tr(reason)`` shows it).
    manager_reasons
        for key accounts, why this manager: industry fit, continuity with the
        current manager, the seniority the tier requires, hourly cost.
    why
        one sentence that says it all.

    ``manager_reasons`` and ``why`` are written in the current language
    (:func:`kamopt.i18n.language`), with the same figures in each.
    """
    sc = p.scenario
    duals = duals or lp_duals(p)
    pi = duals["capacity"]
    mu = duals["budget"] or 0.0
    acc = p.accounts
    c = p.case.customers
    best, first_flip = _best_options(p, pi, mu)
    out = pd.DataFrame(index=c.index)
    out["name"] = c["name"]
    out["status"] = acc["status"]
    out["key_account"] = acc["key_account"].astype(int)
    out["level"] = acc["level"]
    out["manager_id"] = acc["manager_id"]
    ka = out["key_account"] == 1

    hours = pd.Series(np.nan, index=c.index)
    net = pd.Series(np.nan, index=c.index)
    eff = pd.Series(np.nan, index=c.index)
    bep = pd.Series(np.nan, index=c.index)
    beh = pd.Series(np.nan, index=c.index)
    nk = ~ka & c.index.isin(best.index)
    ids = c.index[nk]
    b = best.reindex(ids)
    out.loc[ids, "level"] = b["level"].to_numpy()
    out.loc[ids, "manager_id"] = b["manager_id"].to_numpy()
    hours.loc[ids] = b["hours"].to_numpy(float)
    net.loc[ids] = b["net"].to_numpy(float)
    eff.loc[ids] = (b["value_all"] - (1 + mu) * b["cost"]).to_numpy(float)
    bep.loc[ids] = first_flip.reindex(ids).to_numpy(float)
    beh.loc[ids] = b["break_even_hours"].to_numpy(float)

    # key accounts: the plan's own figures (activities included)
    k = acc.index[ka]
    a = acc.loc[k]
    rate = effective_managers(p.case, sc)["hourly_cost"].reindex(a["manager_id"]).to_numpy(float)
    hours.loc[k] = a["hours"].to_numpy(float)
    net.loc[k] = a["net"].to_numpy(float)
    eff.loc[k] = (a["value"] - (1 + mu) * a["cost"]).to_numpy(float)
    pik = pi.reindex(a["manager_id"]).fillna(0.0).to_numpy()
    m_, P_ = c.loc[k, "margin"].to_numpy(float), c.loc[k, "potential"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # value = slope * potential + rest; slope from the value parts that scale with potential
        scaled = (a["value_potential"] + a["value_fit"] + a["value_activities"]).to_numpy(float)
        slope = np.where(P_ > 0, scaled / np.where(P_ > 0, P_, 1), m_ * 0)
        rest = a["value"].to_numpy(float) - scaled
        need = (1 + mu) * a["cost"].to_numpy(float) + pik * a["hours"].to_numpy(float)
        bep.loc[k] = np.where(slope > 0, (need - rest) / slope, np.nan)
        act_cost = a["cost_activities"].to_numpy(float)
        denom = (1 + mu) * rate + pik
        beh.loc[k] = np.where(denom > 0, (a["value"].to_numpy(float) - (1 + mu) * act_cost) / denom,
                          np.inf)

    out["net"] = net
    out["hours"] = hours
    with np.errstate(divide="ignore", invalid="ignore"):
        out["net_per_hour"] = np.where(hours > 0, eff / hours, np.nan)
    out["margin_per_hour"] = pi.reindex(out["manager_id"]).to_numpy()
    out.loc[out["manager_id"] == "", "margin_per_hour"] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        out["times_margin"] = np.where(out["margin_per_hour"] > 1e-9,
                                       out["net_per_hour"] / out["margin_per_hour"], np.nan)
    # 0: pays its way even without potential; NaN: no potential would make it pay
    out["break_even_potential"] = bep.clip(lower=0.0).where(np.isfinite(bep))
    out["potential_change"] = out["break_even_potential"] - c["potential"]
    out["break_even_hours"] = beh
    out["reason"] = ""
    out["manager_reasons"] = ""
    out["why"] = ""

    out_reason = acc["out_reason"].astype(str)
    # when the budget binds, cost is weighed with its marginal value: say so where it matters
    per = (tr("per KAM hour (cost weighed {factor}x, as the budget binds)", factor=localise(f"{1 + mu:.2f}"))
           if mu > 1e-9 else tr("per KAM hour"))
    left = tr("the budget left") if mu > 1e-9 else tr("the hours left")
    fixed = p.scenario.lead_of  # accounts whose lead manager the scenario fixes
    ruled = p.scenario.excluded_lead_of  # and the managers it rules out
    level, committed = p.scenario.coverage_of, p.scenario.committed_of  # levels, activities
    for cid in out.index:
        r = out.loc[cid]
        status = r["status"]
        nph, mph = r["net_per_hour"], r["margin_per_hour"]
        j = r["manager_id"]
        if r["key_account"] == 1:
            mr = _manager_reasons(p, cid, j)
            out.at[cid, "manager_reasons"] = mr
            led = (tr("led by {manager} ({reasons})", manager=j, reasons=mr) if mr
                   else tr("led by {manager}", manager=j))
            if cid in fixed:
                led = tr("led by {manager} (fixed by the scenario)", manager=j)
            earn = tr("earns {amount} {per}", amount=_eur(nph), per=per)
            if mph > 1e-9 and math.isfinite(nph):  # NaN: an account of 0 hours
                rel = (tr("{times}x the {margin} an hour earns at the margin",
                          times=localise(f"{nph / mph:.1f}"), margin=_eur(mph)) if nph >= mph else
                       tr("below the {margin} an hour earns at the margin", margin=_eur(mph)))
            else:
                rel = tr("and {manager} has hours to spare", manager=j)
            if status == "must":
                out.at[cid, "reason"] = N_("must")
                what = [w for w, on in ((tr("its lead manager"), cid in fixed),
                                        (tr("its coverage level"), cid in level),
                                        (tr("its activities"), cid in committed)) if on]
                did = ""
                if cid in level:
                    did += "; " + tr("at {level} (fixed by the scenario)", level=r["level"])
                if cid in committed:
                    did += "; " + tr("runs {activities} (committed by the scenario)",
                                     activities=and_list(committed[cid]))
                fields = dict(earn=earn, rel=rel, led=led, did=did)
                out.at[cid, "why"] = (
                    tr("Key account, with {what} fixed by the user: {earn}, {rel}; {led}{did}",
                       what=and_list(what), **fields) if what else
                    tr("Key account, set as 'must' by the user: {earn}, {rel}; {led}{did}",
                       **fields))
            elif nph < (mph or 0) - 1e-6:
                out.at[cid, "reason"] = N_("key account")
                out.at[cid, "why"] = tr("Key account: {earn}, {rel}, but the better uses of these "
                                        "hours do not fit in whole accounts; {led}",
                                        earn=earn, rel=rel, led=led)
            else:
                out.at[cid, "reason"] = N_("key account")
                out.at[cid, "why"] = tr("Key account: {earn}, {rel}; {led}", earn=earn, rel=rel,
                                        led=led)
            continue
        if status == "exclude":
            out.at[cid, "reason"] = N_("excluded")
            out.at[cid, "why"] = tr("Not a key account: excluded by the user")
            continue
        if cid not in best.index or out_reason.get(cid) == "no eligible manager":
            out.at[cid, "reason"] = N_("no eligible manager")
            seniority = int(c.at[cid, "tier"])
            out.at[cid, "why"] = (
                tr("Not a key account: no available manager has the seniority {seniority} its "
                   "tier needs and is not ruled out by the scenario (excluded_leads: {managers})",
                   seniority=seniority, managers=", ".join(ruled[cid])) if cid in ruled else
                tr("Not a key account: no available manager has the seniority {seniority} its "
                   "tier needs", seniority=seniority))
            continue
        change = out.at[cid, "potential_change"]
        more = (tr("would need {amount} more potential", amount=_eur(change))
                if np.isfinite(change) else tr("more potential would not help"))
        if r["net"] <= 1e-9:
            out.at[cid, "reason"] = N_("cannot pay")
            need = (tr("would need {amount} more potential to pay for its KAM hours at the margin",
                       amount=_eur(change))
                    if np.isfinite(change) else tr("more potential would not help"))
            out.at[cid, "why"] = tr("Not a key account: cannot pay for its KAM hours (its best "
                                    "option loses {loss} a year); {need}",
                                    loss=_eur(-r["net"]), need=need)
        elif nph < (mph if np.isfinite(mph) else 0.0) - 1e-6:
            out.at[cid, "reason"] = N_("below the margin")
            out.at[cid, "why"] = tr("Not a key account: earns {amount} {per}, below the {margin} "
                                    "an hour earns at the margin; {more}",
                                    amount=_eur(nph), per=per, margin=_eur(mph), more=more)
        else:
            out.at[cid, "reason"] = N_("at the margin")
            out.at[cid, "why"] = tr("Not a key account, at the margin: earns {amount} {per}, "
                                    "about the {margin} an hour earns at the margin, but its "
                                    "{hours} h do not fit whole into {left}",
                                    amount=_eur(nph), per=per, margin=_eur(mph),
                                    hours=hours_text(r["hours"]), left=left)
    return out


def _manager_reasons(p: Plan, cid: str, j: str) -> str:
    """Why ``j`` leads ``cid``: fit, continuity, seniority for the tier, hourly cost."""
    c = p.case.customers.loc[cid]
    mg = effective_managers(p.case, p.scenario)
    if j not in mg.index:
        return ""
    parts = []
    ind = str(c["industry"])
    if ind and ind in mg.at[j, "industries"]:
        parts.append(tr("industry fit {industry}", industry=ind))
    if str(c["current_manager"]) == j:
        parts.append(tr("current manager"))
    tier = int(c["tier"])
    if tier > 1:
        parts.append(tr("tier {tier} needs seniority {seniority}", tier=tier, seniority=tier))
    if mg.at[j, "role"] == "executive":
        parts.append(tr("executive"))
    eligible = mg[mg["seniority"] >= tier]
    rate = float(mg.at[j, "hourly_cost"])
    cheapest = rate <= float(eligible["hourly_cost"].min()) + 1e-9
    parts.append(tr("{rate} EUR/h, the cheapest eligible", rate=number(rate)) if cheapest
                 else tr("{rate} EUR/h", rate=number(rate)))
    return ", ".join(parts)
