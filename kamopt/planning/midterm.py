"""The mid-term plan: key accounts, coverage, lead managers, programmes and hires over T years.

``plan_midterm(case, scenario, years=3)`` builds the multi-year model
(:func:`kamopt.model.midterm.build_midterm`), solves it
(:func:`kamopt.solve.midterm._solve`) and reads it into a :class:`MidtermPlan`;
it explains targets and requirements that cannot be met. See docs/midterm.md.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamopt.case.assumptions import (
    HIRE_PREFIX,
    TARGET_COLUMNS,
    MidtermAssumptions,
    _is_int,
    load_capacity_by_year,
    load_targets,
    parse_targets,
)
from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.errors import (
    CaseError,
    InfeasibleError,
    Problem,
    ScenarioError,
    Shortfall,
    SolverError,
)
from kamopt.model.midterm import (
    MidtermModel,
    _in_scope,
    _model_scenario,
    _with_hires,
    build_midterm,
    lapsed_leads,
)
from kamopt.model.prepare import effective_managers, effective_status, has_pair_hours
from kamopt.planning.midterm_starts import _start_from_one_year, _start_from_plan
from kamopt.solve.backend import Solution, relative_gap
from kamopt.solve.midterm import (
    _LONGER,
    _meur,
    _not_met_line,
    _solve,
    _target_name,
    _within,
    node_budget,
)


# ------------------------------------------------------------------ the plan
@dataclass
class MidtermPlan:
    """A multi-year plan and its figures.

    Attributes
    ----------
    accounts : one row per (year, customer_id): ``key_account``, ``level``,
        ``manager_id``, ``hours`` (coverage + activities + handover),
        ``handover_hours``, ``activities``, ``service_year``, ``ramp``,
        ``intake`` (expected order intake, EUR), ``intake_retained``,
        ``intake_potential``, ``value``, ``cost``, ``net`` (EUR of that year).
    years : one row per year: ``intake``, ``target``, ``shortfall``,
        ``target_met``, ``key_accounts``, ``hires``, ``value``, ``cost``,
        ``hire_cost``, ``net``, ``discount``, ``net_present``.
    targets : every target (year, scope) with ``intake``, ``shortfall``, ``met``.
    hires : the hiring plan: ``manager_id``, ``profile``, ``year``, ``capacity``,
        ``cost_per_year``.
    changes : lead-manager changes: ``customer_id``, ``year``, ``from_manager``,
        ``to_manager`` (year 1 against the case's current manager).
    managers : one row per (year, manager_id): ``capacity``, ``hours_used``,
        ``utilisation``, ``accounts``.
    kpis : ``npv`` (net present value of the plan's contribution), ``objective``
        (npv minus shortfall penalties), ``mip_gap``, ``solve_seconds``, ...
    """

    case: Case
    scenario: Scenario
    assumptions: MidtermAssumptions
    status: str
    accounts: pd.DataFrame
    years: pd.DataFrame
    targets: pd.DataFrame
    hires: pd.DataFrame
    changes: pd.DataFrame
    managers: pd.DataFrame
    kpis: dict
    model: MidtermModel | None = field(default=None, repr=False, compare=False)
    solution: Solution | None = field(default=None, repr=False, compare=False)

    @property
    def objective(self) -> float:
        return self.kpis["objective"]

    def relationships(self) -> pd.DataFrame:
        """Lead manager per key account (rows) and year (columns); '' where not a key account."""
        acc = self.accounts
        return (acc.pivot(index="customer_id", columns="year", values="manager_id")
                .loc[lambda df: (df != "").any(axis=1)])

    def summary(self) -> dict:
        return {"status": self.status, **self.kpis,
                "years": _records(self.years), "hires": _records(self.hires)}

    def verify(self) -> None:
        """Re-check the plan's rules year by year from its decisions (:func:`verify_midterm`);
        raises :class:`~kamopt.errors.VerificationError` listing every violation."""
        from kamopt.errors import VerificationError

        violations = verify_midterm(self)
        if violations:
            raise VerificationError(violations)

    def to_excel(self, path) -> None:
        """The plan as a workbook in the current language: Summary, Years (a chart), Targets,
        Accounts, Lead manager by year, Changes, Hires, Managers, Assumptions, Technical."""
        from kamopt.planning.midterm_workbook import midterm_workbook

        midterm_workbook(self, path)

    def __repr__(self) -> str:
        k = self.kpis
        met = int(self.years["target_met"].sum()) if len(self.years) else 0
        return (f"MidtermPlan({self.status}, {len(self.years)} years, NPV {k['npv']:,.0f} EUR, "
                f"targets met in {met} of {int(self.years['target'].notna().sum())} years, "
                f"{len(self.hires)} hires, gap {k['mip_gap']:.2%})")


def verify_midterm(mp: MidtermPlan) -> list[str]:
    """The rules of the mid-term plan, re-checked year by year from its decisions.

    Independent of the solver: from each year's key accounts, levels, lead
    managers and activities (``mp.accounts``) and the hiring plan, with the
    case's tables and the scenario, it checks status (``must``, ``exclude``
    and the scenario's fixed decisions), one lead manager of sufficient
    seniority per key account, fixed and ruled-out leads (a fixed lead in the
    years its manager has hours), fixed levels, committed activities, hires
    leading only from the year they are hired, the hours (level, activities
    and the handover when an account changes hands, recomputed), each
    manager's capacity of the year (``mp.managers``), each department's
    capacity and the number of key accounts. The economics (intake, value,
    NPV) are checked against enumeration in the tests, not here.
    """
    case, sc, a = mp.case, mp.scenario, mp.assumptions
    c = case.customers
    status = effective_status(case, sc)
    managers = effective_managers(case, sc)
    seniority = {**managers["seniority"].to_dict(),
                 **{f"{HIRE_PREFIX}{h.name}-{k}": h.seniority for h in a.hire_profiles
                    for k in range(1, h.max_hires + 1)}}
    hired = dict(zip(mp.hires["manager_id"], mp.hires["year"], strict=True))
    lapsed = (mp.model._builder.lapsed if mp.model is not None else {})
    levels = {lv.name: lv.hours_factor for lv in sc.levels}
    resp = ({(r.customer_id, r.level): float(r.hours) for r in case.responses.itertuples()}
            if len(case.responses) else {})
    has_resp = set(case.responses["customer_id"]) if len(case.responses) else set()
    acts = case.activities
    deps = case.departments["capacity_hours"].astype(float) if len(case.departments) else {}
    capacity = mp.managers.set_index(["manager_id", "year"])["capacity"]
    lead, ruled = sc.lead_of, set(sc.excluded_leads)
    fixed_level, committed_of = sc.coverage_of, sc.committed_of
    prev = {cid: (m or None) for cid, m in c["current_manager"].astype(str).items()}
    out: list[str] = []
    for year, ay in mp.accounts.sort_values("year").groupby("year", sort=True):
        ay = ay.set_index("customer_id")
        if not ay.index.equals(c.index):
            out.append(f"in {year}, the plan does not have one row per customer of the case")
            continue
        ka = ay["key_account"].astype(int) == 1
        mgr, lvl = ay["manager_id"].astype(str), ay["level"].astype(str)
        hours, dept_use = {}, {}
        for cid in c.index[(status == "must").to_numpy() & ~ka.to_numpy()]:
            out.append(f"in {year}, {cid} is 'must' but not a key account")
        for cid in c.index[(status == "exclude").to_numpy() & ka.to_numpy()]:
            out.append(f"in {year}, {cid} is 'exclude' but a key account")
        for cid in ay.index[~ka & ((mgr != "") | (lvl != ""))]:
            out.append(f"in {year}, {cid} is not a key account but has a manager or level")
        now = {}
        for cid in ay.index[ka]:
            j, level = mgr[cid], lvl[cid]
            now[cid] = j
            if j not in seniority:
                out.append(f"in {year}, {cid} is led by {j}, who is not available")
                continue
            if seniority[j] < c.at[cid, "tier"]:
                out.append(f"in {year}, {cid} (tier {c.at[cid, 'tier']}) is led by {j} of lower "
                           "seniority")
            if j.startswith(HIRE_PREFIX) and (j not in hired or hired[j] > year):
                out.append(f"in {year}, {cid} is led by {j}, who is not hired yet")
            if cid in lead and lead[cid] != j and year not in lapsed.get(cid, (None, []))[1]:
                out.append(f"in {year}, {cid} is led by {j}, but the scenario fixes its lead to "
                           f"{lead[cid]}")
            if (cid, j) in ruled:
                out.append(f"in {year}, {cid} is led by {j}, whom the scenario rules out")
            if cid in fixed_level and level != fixed_level[cid]:
                out.append(f"in {year}, {cid} has level '{level}', but the scenario fixes "
                           f"'{fixed_level[cid]}'")
            ids = [k for k in str(ay.at[cid, "activities"]).split(";") if k]
            for k in committed_of.get(cid, ()):
                if k not in ids:
                    out.append(f"in {year}, {cid} does not run {k}, which the scenario commits")
            h = (resp.get((cid, level), np.nan) if cid in has_resp
                 else levels.get(level, np.nan) * float(c.at[cid, "kam_hours"]))
            if np.isnan(h):
                out.append(f"in {year}, {cid} has level '{level}', which it does not have")
                continue
            for k in ids:
                h += float(acts.at[k, "kam_hours"])
                dep = str(acts.at[k, "department"])
                if dep:
                    dept_use[dep] = dept_use.get(dep, 0.0) + float(acts.at[k, "dept_hours"])
            if prev.get(cid) != j:
                h += a.handover_hours
            hours[cid] = h
            if not np.isclose(h, float(ay.at[cid, "hours"]), rtol=1e-7, atol=1e-6):
                out.append(f"in {year}, {cid}'s hours are {ay.at[cid, 'hours']:,.1f}; its "
                           f"level, activities and handover give {h:,.1f}")
        used = pd.Series(hours, dtype=float).groupby(pd.Series(now)).sum()
        for j, u in used.items():
            cap = float(capacity.get((j, year), 0.0))
            if u > cap * (1 + 1e-9) + 1e-6:
                out.append(f"capacity[{j},{year}]: {u:,.0f} h planned, {cap:,.0f} h available")
        for dep, u in dept_use.items():
            if u > float(deps.get(dep, np.inf)) * (1 + 1e-9) + 1e-6:
                out.append(f"department[{dep},{year}]: {u:,.0f} h planned, "
                           f"{float(deps[dep]):,.0f} h available")
        n = int(ka.sum())
        if sc.max_key_accounts is not None and n > sc.max_key_accounts:
            out.append(f"in {year}, {n} key accounts > max_key_accounts {sc.max_key_accounts}")
        if sc.min_key_accounts is not None and n < sc.min_key_accounts:
            out.append(f"in {year}, {n} key accounts < min_key_accounts {sc.min_key_accounts}")
        prev = {cid: now.get(cid) for cid in c.index}
    return out


def _records(df: pd.DataFrame) -> list[dict]:
    out = df.reset_index() if df.index.name else df
    recs = out.to_dict("records")
    return [{k: _plain(v) for k, v in r.items()} for r in recs]


def _plain(v):
    if isinstance(v, float | np.floating):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, np.integer | np.bool_):
        return v.item()
    if v is pd.NA or v is None:
        return None
    return v


def read_midterm(mm: MidtermModel, sol: Solution, case: Case, scenario: Scenario) -> MidtermPlan:
    """Turn a plan-bearing solve into the tables of a :class:`MidtermPlan`."""
    if not sol.ok or sol.values is None:
        raise SolverError(f"No plan to read: the solve ended '{sol.status}'. {sol.message}")
    b, v, a, d = mm._builder, sol.values, mm.assumptions, mm.data
    c = case.customers
    yrs, T = mm.years, len(mm.years)
    on = lambda ids: v[ids] > 0.5  # noqa: E731

    base = pd.DataFrame({"year": np.repeat(yrs, len(c)), "customer_id": np.tile(c.index, T)})
    key = pd.MultiIndex.from_frame(base[["year", "customer_id"]])

    def per(lab, mask, col, how="first"):
        s = lab.loc[mask].groupby(["year", "customer_id"])[col]
        s = s.first() if how == "first" else s.sum()
        return s.reindex(key)

    z_on = on(b.z)
    base["level"] = per(b.zl, z_on, "level").fillna("").astype(str).to_numpy()
    base["key_account"] = (base["level"] != "").astype(int)
    x_on = on(b.x)
    base["manager_id"] = per(b.xl, x_on, "manager_id").fillna("").astype(str).to_numpy()
    al = b.al.assign(on=on(b.a_))
    base["activities"] = (al[al["on"]].groupby(["year", "customer_id"])["activity_id"]
                          .agg(";".join).reindex(key).fillna("").astype(str).to_numpy())
    u_on = on(b.u)
    base["service_year"] = per(b.ul, u_on, "k").fillna(0).astype(int).to_numpy()
    ramp = np.asarray(a.ramp)
    base["ramp"] = np.where(base["service_year"] > 0,
                            ramp[np.clip(base["service_year"].to_numpy() - 1, 0, len(ramp) - 1)],
                            0.0)
    # hours: level hours + activity hours + handover hours
    zl = b.zl.assign(hours=d.options["hours"].to_numpy()[b.zl["o"].to_numpy()])
    lvl_hours = per(zl, z_on, "hours").fillna(0.0).to_numpy()
    acts = d.acts
    al["kam_hours"] = acts["kam_hours"].to_numpy()[al["r"].to_numpy()]
    al["cost"] = acts["cost"].to_numpy()[al["r"].to_numpy()]
    al["value"] = acts["value"].to_numpy()[al["r"].to_numpy()]
    al["intake"] = b.a_intake
    act_on = al["on"].to_numpy()
    act_hours = per(al, act_on, "kam_hours", "sum").fillna(0.0).to_numpy()
    if b.learn is not None:
        learn_on = v[b.learn] > 0.5
        xlh = b.xl.assign(h=a.handover_hours)
        handover = per(xlh, learn_on, "h", "sum").fillna(0.0).to_numpy()
    else:
        handover = np.zeros(len(base))
    base["handover_hours"] = handover
    base["hours"] = lvl_hours + act_hours + handover
    # intake
    c0, c1 = a.churn_without_kam, a.churn_with_kam
    t_idx = base["year"].to_numpy() - a.start_year
    rev = c["revenue"].to_numpy(float)[np.tile(np.arange(len(c)), T)]
    served = base.groupby("customer_id", sort=False)["key_account"].cumsum().to_numpy()
    base["intake_retained"] = rev * (1 - c0) ** (t_idx + 1) + (c0 - c1) * rev * (1 - c0) ** t_idx \
        * served
    el = b.el.assign(on=on(b.e))
    pot_level = per(el, el["on"].to_numpy(), "intake", "sum").fillna(0.0).to_numpy()
    xp = b.xl["p"].to_numpy()
    xl = b.xl.assign(intake=b.x_intake, pair_cost=d.pairs["pair_cost"].to_numpy()[xp],
                     value=(d.pairs["value"] + d.pairs["pair_cost"]).to_numpy()[xp],
                     rate=d.pairs["hourly_cost"].to_numpy()[xp])
    pot_fit = per(xl, x_on, "intake", "sum").fillna(0.0).to_numpy()
    pot_act = per(al, act_on, "intake", "sum").fillna(0.0).to_numpy()
    base["intake_potential"] = pot_level + pot_fit + pot_act
    base["intake"] = base["intake_retained"] + base["intake_potential"]
    # value and cost of the year (EUR of that year, undiscounted)
    mar = c["margin"].to_numpy(float)[np.tile(np.arange(len(c)), T)]
    cont = per(xl, x_on, "value", "sum").fillna(0.0).to_numpy() - mar * pot_fit
    base["value"] = mar * ((c0 - c1) * rev * (1 - c0) ** t_idx * served + base["intake_potential"]
                           ) + cont
    rate = per(xl, x_on, "rate").fillna(0.0).to_numpy()
    base["cost"] = rate * base["hours"].to_numpy() + per(al, act_on, "cost", "sum").fillna(0.0)\
        .to_numpy() + per(xl, x_on, "pair_cost", "sum").fillna(0.0).to_numpy()
    base["net"] = base["value"] - base["cost"]
    for col in ("region", "industry", "tier", "current_manager"):
        base[col] = c[col].to_numpy()[np.tile(np.arange(len(c)), T)]

    # hires
    hl = b.hl.assign(on=on(b.w) if len(b.hl) else np.zeros(0, bool))
    hired = hl[hl["on"]]
    hires = pd.DataFrame({
        "manager_id": hired["manager_id"].to_numpy(),
        "profile": mm.hires["profile"].reindex(hired["manager_id"]).to_numpy(),
        "year": hired["year"].to_numpy(),
        "capacity": mm.hires["capacity"].reindex(hired["manager_id"]).to_numpy(float),
        "ramp_up": mm.hires["ramp_up"].reindex(hired["manager_id"]).to_numpy(float),
        "cost_per_year": mm.hires["cost_per_year"].reindex(hired["manager_id"]).to_numpy(float),
    })
    hire_year = dict(zip(hires["manager_id"], hires["year"], strict=True))

    # managers by year
    cap = mm.capacity.copy()
    for mid in mm.hires.index:
        y0 = hire_year.get(mid)
        cap.loc[mid] = [0.0 if y0 is None or y < y0 else
                        cap.at[mid, y] * (mm.hires.at[mid, "ramp_up"] if y == y0 else 1.0)
                        for y in yrs]
    mlab = cap.stack().rename("capacity").reset_index()
    ka_rows = base[base["key_account"] == 1]
    used = ka_rows.groupby(["manager_id", "year"])["hours"].sum()
    cnt = ka_rows.groupby(["manager_id", "year"]).size()
    mk = pd.MultiIndex.from_frame(mlab[["manager_id", "year"]])
    mlab["hours_used"] = used.reindex(mk).fillna(0.0).to_numpy()
    mlab["utilisation"] = np.where(mlab["capacity"] > 0,
                                   mlab["hours_used"] / mlab["capacity"].where(mlab["capacity"] > 0, 1),
                                   0.0)
    mlab["accounts"] = cnt.reindex(mk).fillna(0).astype(int).to_numpy()
    mlab["hired"] = mlab["manager_id"].isin(mm.hires.index)
    mlab = mlab[~mlab["hired"] | mlab["manager_id"].isin(hires["manager_id"])].drop(columns="hired")
    mlab = mlab.sort_values(["year", "manager_id"]).reset_index(drop=True)

    # lead-manager changes (year 1 against the case's current manager)
    rel = base.pivot(index="customer_id", columns="year", values="manager_id").reindex(c.index)
    prev = c["current_manager"].astype(str).fillna("")
    ch = []
    for y in yrs:
        now = rel[y]
        moved = (now != "") & (prev != "") & (now != prev)
        for cid in c.index[moved.to_numpy()]:
            ch.append((cid, y, prev[cid], now[cid]))
        prev = now.where(now != "", prev)  # an account that pauses keeps its last manager
    changes = pd.DataFrame(ch, columns=["customer_id", "year", "from_manager", "to_manager"])

    # targets and years
    tg = mm.targets.copy()
    if len(tg):
        tg["intake"] = [float(base.loc[(base["year"] == y).to_numpy()
                                       & _in_scope(c, s).reindex(base["customer_id"]).to_numpy(),
                                       "intake"].sum())
                        for s, y in zip(tg["scope"], tg["year"], strict=True)]
        tg["shortfall"] = np.maximum(tg["order_intake"] - tg["intake"], 0.0)
        tg["shortfall"] = tg["shortfall"].where(tg["shortfall"] > 1e-6 * tg["order_intake"], 0.0)
        tg["met"] = tg["shortfall"] <= 0
    else:
        tg = tg.assign(intake=pd.Series(dtype=float), shortfall=pd.Series(dtype=float),
                       met=pd.Series(dtype=bool))
    tg = tg[["year", "scope", "order_intake", "intake", "shortfall", "met"]]

    disc = 1.0 / (1.0 + a.discount_rate) ** np.arange(T)
    by = base.groupby("year")
    yt = pd.DataFrame(index=pd.Index(yrs, name="year"))
    yt["intake"] = by["intake"].sum()
    yt["intake_retained"] = by["intake_retained"].sum()
    yt["intake_potential"] = by["intake_potential"].sum()
    comp = tg[tg["scope"] == "company"].set_index("year")
    yt["target"] = comp["order_intake"].reindex(yt.index)
    yt["shortfall"] = comp["shortfall"].reindex(yt.index)
    yt["target_met"] = comp["met"].reindex(yt.index).astype("boolean")
    yt["targets_met"] = [bool(tg.loc[tg["year"] == y, "met"].all()) for y in yrs]
    yt["key_accounts"] = by["key_account"].sum()
    yt["changes"] = changes.groupby("year").size().reindex(yt.index).fillna(0).astype(int)
    yt["hires"] = hires.groupby("year").size().reindex(yt.index).fillna(0).astype(int)
    yt["hours_used"] = by["hours"].sum()
    yt["hours_available"] = mlab.groupby("year")["capacity"].sum().reindex(yt.index)
    yt["activities_run"] = [int(sum(len([k for k in s.split(";") if k])
                                    for s in base.loc[base["year"] == y, "activities"]))
                            for y in yrs]
    yt["value"] = by["value"].sum()
    yt["cost_kam"] = by["cost"].sum()
    yt["hire_cost"] = [float(hires.loc[hires["year"] <= y, "cost_per_year"].sum()) for y in yrs]
    yt["cost"] = yt["cost_kam"] + yt["hire_cost"]
    yt["net"] = yt["value"] - yt["cost"]
    yt["discount"] = disc
    yt["net_present"] = yt["net"] * yt["discount"]
    penalty = float((tg.groupby("year")["shortfall"].sum().reindex(yt.index).fillna(0.0)
                     * a.shortfall_penalty * disc).sum()) if a.target_mode == "soft" else 0.0
    npv = float(yt["net_present"].sum())
    kpis = {
        "npv": npv,
        "objective": npv - penalty,
        "shortfall_penalty": penalty,
        "solver_objective": sol.objective,
        "bound": sol.bound,
        "mip_gap": 0.0 if sol.gap is None else float(sol.gap),
        "solver": sol.solver,
        "solve_seconds": sol.seconds,
        # why the solve stopped: "gap" (proven), "nodes" (its work budget), "time" (the
        # wall-clock safety net: the plan then depends on the machine), see kamopt.solve.backend
        "stopped_by": sol.stopped_by or ("gap" if sol.status == "optimal" else ""),
        "years": T,
        "start_year": a.start_year,
        "hires": int(len(hires)),
        "changes": int(len(changes)),
        "targets_met": bool(tg["met"].all()) if len(tg) else True,
        "total_shortfall": float(tg["shortfall"].sum()) if len(tg) else 0.0,
        "columns": mm.lp.n_cols,
        "rows": mm.lp.n_rows,
    }
    return MidtermPlan(case, scenario, a, sol.status, base, yt, tg.reset_index(drop=True), hires,
                       changes, mlab, kpis, model=mm, solution=sol)


def check_horizon(years) -> int:
    """The horizon T: a whole number in [1, 10], else :class:`ScenarioError`."""
    if not _is_int(years) or not 1 <= years <= 10:
        raise ScenarioError(Problem("midterm", "must be a whole number in [1, 10]",
                                    column="years", value=years))
    return int(years)


def plan_midterm(case: Case, scenario: Scenario | None = None, years: int | None = None,
                 targets: pd.DataFrame | None = None, *,
                 assumptions: MidtermAssumptions | None = None,
                 capacity_by_year: pd.DataFrame | None = None,
                 warm_start: bool | MidtermPlan = True) -> MidtermPlan:
    """Plan key accounts, coverage, lead managers, programmes and hires over ``years`` years.

    Parameters
    ----------
    case, scenario : as for :func:`kamopt.planning.oneyear` (the scenario's ``mip_gap`` and
        ``node_limit``, the work budget that also scales the search, apply to the
        whole horizon; its ``time_limit`` is a safety net, see
        :func:`kamopt.solve.midterm._solve`).
    years : horizon T; default ``assumptions.years``.
    targets : order-intake targets (year, scope, order_intake); None reads
        ``targets.csv`` of the case folder or the ``targets`` sheet of the case
        workbook if there (:func:`load_targets`; an empty frame: no targets).
    assumptions : :class:`MidtermAssumptions`; default the dataclass defaults.
    capacity_by_year : per-year capacities (manager_id, year, capacity_hours);
        None reads ``capacity_by_year.csv`` or the sheet of that name if there.
    warm_start : True: start HiGHS from the one-year plan repeated over the
        horizon (see :func:`kamopt.planning.midterm_starts._start_from_one_year`); a
        :class:`MidtermPlan` of the same case and horizon: start from its decisions (so that a re-solve
        with a relaxed target is never worse than the plan it relaxes, even
        when both stop at their budgets); False: no start. The optimum does
        not depend on it.

    Raises
    ------
    InfeasibleError
        Hard targets that cannot be met, with each year's shortfall (found by
        re-solving with the targets soft), or other requirements that cannot be met.
    """
    from kamopt.case.validate import check_against_scenario

    scenario = scenario or Scenario()
    a = assumptions or MidtermAssumptions()
    years = check_horizon(a.years if years is None else years)
    a = a.replace(years=years)
    if targets is None:
        targets = load_targets(case)
    elif not isinstance(targets, pd.DataFrame) or not set(TARGET_COLUMNS) <= set(targets.columns):
        raise ScenarioError(Problem("targets", "must be a DataFrame with columns year, scope, "
                                    "order_intake", value=type(targets).__name__))
    else:
        targets = parse_targets(targets[list(TARGET_COLUMNS)].astype(str), case, file="targets")
    if capacity_by_year is None:
        capacity_by_year = load_capacity_by_year(case)
    t0 = time.perf_counter()
    check_against_scenario(case, scenario)
    if has_pair_hours(case):  # its reading, verifying and searches take the level's hours
        raise CaseError(Problem(
            "pair_costs", "gives hours by lead manager (hours_factor or hours), which the "
            "mid-term plan does not take yet; plan the year with 'kamopt plan', or leave "
            "those columns empty for the mid-term plan", column="hours_factor"))
    for key in ("max_disruption", "tie_break"):  # one-year keys (kamopt.solve.tiebreak)
        if getattr(scenario, key):
            raise ScenarioError(Problem(
                scenario.name or "scenario", "applies to the one-year plan only; the mid-term "
                "plan counts a change of hands by its handover hours (handover_hours)",
                column=key))
    if scenario.balance is not None:  # a one-year key (kamopt.case.balance)
        raise ScenarioError(Problem(
            scenario.name or "scenario", "applies to the one-year plan only; plan the year with "
            "'kamopt plan' (the managers' max_hours and max_share hold every year)",
            column="balance"))
    for i, h in enumerate(a.hire_profiles):
        if h.pair_costs_from and h.pair_costs_from not in case.managers.index:
            raise ScenarioError(Problem(
                "midterm", "is not a manager of the case (a hire takes the pair costs of a "
                "manager of managers.csv)", column=f"hire_profiles[{h.name or i}].pair_costs_from",
                value=h.pair_costs_from))
    # what clearly cannot be met is said before solving, as for the one-year plan: a 'must'
    # account without an eligible manager would otherwise be left out of the model unsaid
    err = _precheck_by_year(case, scenario, a, years, capacity_by_year)
    if err is not None:
        raise err
    mm = build_midterm(case, scenario, a, years, targets, capacity_by_year)
    t_build = time.perf_counter() - t0
    start, fallback = None, None
    if isinstance(warm_start, MidtermPlan) and scenario.solver == "highs":
        start = _start_from_plan(mm, warm_start)
    elif warm_start is True and years > 1 and scenario.solver == "highs":
        def fallback(time_limit):
            sc = scenario.replace(time_limit=time_limit)
            return _start_from_one_year(case, sc, a, targets, capacity_by_year, mm)
    if start is not None:
        scenario = scenario.replace(time_limit=max(
            scenario.time_limit - (time.perf_counter() - t0 - t_build), 1.0))
    t_start = time.perf_counter() - t0 - t_build
    sol = _tidy_handover(mm, _solve(mm, scenario, start, fallback), scenario.mip_gap)
    if sol.status == "infeasible":
        raise _explain_infeasible(case, scenario, a, years, targets, capacity_by_year)
    if not sol.ok and a.target_mode == "hard" and len(mm.targets):
        # not proven impossible: say how close a plan with soft targets gets
        err = _explain_infeasible(case, scenario, a, years, targets, capacity_by_year)
        if getattr(err, "midterm_plan", None) is None:
            raise err  # no plan even with the targets soft: proven
        raise _not_met(scenario, sol, err)
    if not sol.ok:
        msg = (sol.message or "").lower()
        if sol.stopped_by == "time" or "time limit" in msg:
            raise SolverError(
                f"No plan was found within the time limit ({scenario.time_limit:g} s; the LP "
                f"relaxation of this {years}-year model alone may take longer): allow more with "
                "the scenario's time_limit or --time-limit.")
        if sol.stopped_by == "nodes":
            raise SolverError(
                f"No plan was found within the solver's work budget ({node_budget(scenario):,} "
                "nodes): allow more with the scenario's node_limit.")
        raise SolverError(f"The solver ({sol.solver}) returned no plan: {sol.message}")
    mp = read_midterm(mm, sol, case, scenario)
    mp.kpis["build_seconds"] = t_build
    mp.kpis["start_seconds"] = t_start
    mp.kpis["total_seconds"] = time.perf_counter() - t0
    return mp


def _tidy_handover(mm: MidtermModel, sol: Solution, mip_gap: float) -> Solution:
    """``sol`` with every handover at the least its changes of hands need.

    ``learn[i,j,t]`` is only bounded from below (``x[i,j,t] - x[i,j,t-1]``), so a
    plan stopped at the time limit or the gap can pay handover hours where an
    account keeps its manager (found by :func:`verify_midterm` on the sample: a
    hire's account paid 40 h in each year). Lowering them to the least frees
    hours and cost and keeps every rule, so the plan only gains; with minimum
    workloads the handover is exact already and nothing changes.
    """
    b = mm._builder
    if not sol.ok or b.learn is None or (mm.data.managers["min_hours"] > 0).any():
        return sol
    v = sol.values.copy()
    x = v[b.x]
    npr = len(mm.data.pairs)
    t = b.xl["t"].to_numpy()
    before = np.where(t == 0, mm.data.pairs["continuity"].to_numpy(float)[b.xl["p"].to_numpy()],
                      0.0)
    later = np.flatnonzero(t > 0)
    before[later] = x[later - npr]
    least = np.clip(np.round(x) - np.round(before), 0.0, 1.0)
    if np.all(v[b.learn] <= least + 1e-9):
        return sol
    v[b.learn] = np.minimum(v[b.learn], least)
    value = float(mm.lp.arrays()["obj"] @ v)
    if value < sol.objective - 1e-9 * max(1.0, abs(sol.objective)):
        return sol
    gap = relative_gap(value, sol.bound) if sol.bound is not None else sol.gap
    status = sol.status if gap is None else ("optimal" if gap <= mip_gap + 1e-9 else sol.status)
    return dataclasses.replace(sol, objective=value, values=v, gap=gap, status=status)



def _not_met(scenario: Scenario, sol: Solution, err: InfeasibleError) -> SolverError:
    """No plan with hard targets within the budget, nothing proven: how close the plan
    found with the targets soft (``err``, from :func:`_explain_infeasible`) gets."""
    by_time = sol.stopped_by == "time"
    soft_plan = getattr(err, "midterm_plan", None)
    soft_time = (scenario.time_limit if soft_plan is not None
                 and soft_plan.kpis.get("stopped_by") == "time" else None)
    lines = [_not_met_line(s.requirement, "best", soft_time, s.available, s.short_by)
             for s in err.shortfalls]
    found = "the best plan found" + (f" in {soft_time:.0f} s" if soft_time is not None else "")
    soft = "; ".join(lines) if lines else f"{found} meets every target"
    return SolverError(
        f"No plan that meets every order-intake target was found within "
        f"{_within(scenario, by_time)}; not proven impossible: {sol.message}). With the "
        f"targets soft, {soft}. " + _LONGER)



def _explain_infeasible(case, scenario, a, years, targets, capacity_by_year) -> InfeasibleError:
    """Re-solve with soft targets: each year's best reachable intake and shortfall.

    The re-solve's plan is kept as ``midterm_plan``; an error without it is
    proven (the requirements cannot be met even with the targets soft). How
    close a plan gets is "the best plan" when the re-solve is proven optimal,
    else "the best plan found" ("found in <time limit>" when the time limit stopped it).
    """
    if a.target_mode != "hard" or len(targets) == 0:
        return _precheck_by_year(case, scenario, a, years, capacity_by_year) or InfeasibleError(
            reasons=["no plan meets the scenario's requirements in every year ("
                     + ", ".join(_requirements(case, scenario, a)) + ")"])
    try:
        soft = plan_midterm(case, scenario, years, targets,
                            assumptions=a.replace(target_mode="soft", shortfall_penalty=1e3),
                            capacity_by_year=capacity_by_year)
    except InfeasibleError as exc:
        return exc
    best = ("the best plan" if soft.status == "optimal"
            else f"the best plan found in {scenario.time_limit:.0f} s"
            if soft.kpis.get("stopped_by") == "time" else "the best plan found")
    short = []
    for r in soft.targets.itertuples():
        if r.shortfall > 0:
            short.append(Shortfall(
                _target_name(r.scope, r.year, r.order_intake), "EUR", r.order_intake, r.intake,
                f"{best} reaches {_meur(r.intake)}", singular=True))
    err = InfeasibleError(shortfalls=short)
    err.midterm_plan = soft
    return err


def _requirements(case: Case, scenario: Scenario, a: MidtermAssumptions) -> list[str]:
    """The requirements of the mid-term plan that can make it infeasible, in words.

    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([dict(customer_id="A", revenue=0, margin=0.1, potential=0, kam_hours=1,
    ...                        status="must")], [dict(manager_id="M", capacity_hours=2, min_hours=1)])
    >>> _requirements(case, Scenario(budget=1e5), MidtermAssumptions())
    ['manager capacity (with 40 h of handover when an account changes hands)', 'must accounts', 'budget', "managers' minimum workloads"]
    """
    from kamopt.model.prepare import effective_status

    out = ["manager capacity" + (f" (with {a.handover_hours:g} h of handover when an account "
                                 "changes hands)" if a.handover_hours > 0 else "")]
    if (effective_status(case, scenario) == "must").any():
        out.append("must accounts")
    if scenario.budget is not None:
        out.append("budget")
    if scenario.min_key_accounts is not None or scenario.max_key_accounts is not None:
        out.append("key-account bounds")
    if (case.managers.get("min_hours", pd.Series(dtype=float)) > 0).any():
        out.append("managers' minimum workloads")
    return out


def _precheck_by_year(case, scenario, a, years, capacity_by_year) -> InfeasibleError | None:
    """The one-year plan's pre-checks in each year, with that year's capacities.

    Every hire slot counts as hired at full capacity from the first year, at
    the least it can cost an hour (its hourly cost plus its yearly cost spread
    over all its hours): more than any plan can have, for less, so a
    shortfall found here is real. The first year with one is returned, its
    figures marked with the year; None if no year fails them.
    """
    from kamopt.planning.diagnose import precheck

    sc = _with_hires(scenario, a, least_cost=True)
    lapsed = lapsed_leads(case, scenario, capacity_by_year,
                          list(range(a.start_year, a.start_year + years)))
    for year in range(a.start_year, a.start_year + years):
        managers = case.managers.copy()
        for r in capacity_by_year[capacity_by_year["year"] == year].itertuples(index=False):
            if r.manager_id in managers.index:
                managers.at[r.manager_id, "capacity_hours"] = float(r.capacity_hours)
        if "min_hours" in managers:  # a minimum holds up to the year's capacity (a leaver: 0)
            managers["min_hours"] = np.minimum(managers["min_hours"],
                                               managers["capacity_hours"] * scenario.capacity_scale)
        gone = [cid for cid, (_, ys) in lapsed.items() if year in ys]
        sc_year = _model_scenario(sc, {cid: lapsed[cid] for cid in gone})
        try:
            precheck(dataclasses.replace(case, managers=managers), sc_year)
        except InfeasibleError as exc:
            return InfeasibleError(
                shortfalls=[dataclasses.replace(f, requirement=f"in {year}, {f.requirement}")
                            for f in exc.shortfalls],
                reasons=[f"in {year}, {r}" for r in exc.reasons])
    return None



def shortfall_messages(err: InfeasibleError) -> list[str]:
    """One line per target: "the order-intake target of 2028 (41.0 M EUR) cannot be met: ...".

    Other shortfalls (a year's pre-checks) and reasons keep their own words.

    For an :class:`InfeasibleError` only: its targets are proven out of reach
    (a time limit that stops the solver without a plan is a :class:`SolverError`
    whose message says that the plan found falls short, see :func:`_not_met`).
    """
    return [f"{s.requirement} cannot be met: {s.detail} (short by {_meur(s.short_by)})"
            if s.unit == "EUR" else str(s) for s in err.shortfalls] + list(err.reasons)
