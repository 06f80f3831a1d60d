"""The mid-term plan: key accounts, coverage, lead managers, programmes and hires over T years.

``plan_midterm(case, scenario, years=3)`` extends the one-year plan
(:func:`kamopt.planning.oneyear`) to a horizon of several years. It reuses
:func:`kamopt.model.prepare.prepare` (``prune=False``) for the index sets and
coefficients of one year and builds one :class:`~kamopt.model.oneyear.LinearModel`
with a copy of the one-year rules per year, tied together by

* the **ramp-up** of realised potential over the years an account is served
  (``ramp``, e.g. 40% / 75% / 100%),
* **churn**: current revenue erodes by ``churn_without_kam`` a year, by
  ``churn_with_kam`` in the years an account is a key account (first-order
  linearisation, see docs/midterm.md),
* **order-intake targets** per year (company, region or industry), hard or
  soft with a shortfall penalty,
* **capacity over time**: per-year manager capacity (leavers, part-time),
  **hires** of a profile in a year (yearly cost, part productive in the
  hiring year), and **handover hours** a new lead manager spends learning an
  account,
* **discounting** to a net present value.

With ``years=1`` and :meth:`MidtermAssumptions.neutral` the model is the
one-year model (same optimum), which the tests check.

The multi-year assumptions live in their own YAML file
(``data/scenarios/midterm_base.yml``), read by :meth:`MidtermAssumptions.from_yaml`:

>>> a = MidtermAssumptions.from_dict({"years": 2, "ramp": [0.5, 1.0]})
>>> a.years, a.ramp, a.target_mode
(2, (0.5, 1.0), 'soft')
>>> MidtermAssumptions.from_dict({"discount": 0.08})
Traceback (most recent call last):
kamopt.errors.ScenarioError: The mid-term assumptions have problems (1 problem):
  - midterm, column 'discount': unknown key; did you mean 'discount_rate'?
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamopt.case.assumptions import (  # noqa: F401
    _NAME_LOST,
    _YEAR,
    CAPACITY_BY_YEAR,
    CAPACITY_COLUMNS,
    HIRE_PREFIX,
    TARGET_COLUMNS,
    TARGET_MODES,
    TARGETS,
    HireProfile,
    MidtermAssumptions,
    _capacity_from_raw,
    _is_int,
    _is_num,
    _raw_from_frame,
    _read_from_folder,
    _read_from_workbook,
    _read_optional_table,
    _targets_from_raw,
    _typed,
    load_capacity_by_year,
    load_targets,
    parse_capacity_by_year,
    parse_targets,
)
from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.errors import InfeasibleError, Problem, ScenarioError, Shortfall, SolverError
from kamopt.model.midterm import (  # noqa: F401
    MidtermModel,
    _Builder,
    _capacity_table,
    _in_scope,
    _model_scenario,
    _per_year,
    _with_hires,
    baseline_intake,
    build_midterm,
    lapsed_leads,
    prepare_midterm,
)
from kamopt.model.oneyear import INF
from kamopt.model.prepare import (
    effective_managers,
    effective_status,
    scenario_notes,
)
from kamopt.solve.backend import Solution, empty_model_solution, relative_gap, set_start, solve

TOL = 1e-6


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
        raises :class:`~kamopt.planning.oneyear.VerificationError` listing every violation."""
        from kamopt.planning.oneyear import VerificationError

        violations = verify_midterm(self)
        if violations:
            raise VerificationError(violations)

    def to_excel(self, path) -> None:
        """One sheet per table: Summary, Years, Targets, Accounts, Relationships, Changes,
        Hires, Managers, Assumptions."""
        from kamopt.planning.outputs import write_workbook

        sheets = {
            "Summary": pd.DataFrame([(k, v) for k, v in self.kpis.items()],
                                    columns=["figure", "value"]),
            "Years": self.years.reset_index(),
            "Targets": self.targets,
            "Accounts": self.accounts,
            "Relationships": self.relationships().reset_index(),
            "Changes": self.changes,
            "Hires": self.hires,
            "Managers": self.managers,
            "Assumptions": pd.DataFrame([(k, str(v)) for k, v in self.assumptions.to_dict().items()],
                                        columns=["key", "value"]),
        }
        write_workbook(sheets, path)

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
        whole horizon; its ``time_limit`` is a safety net, see :func:`_solve`).
    years : horizon T; default ``assumptions.years``.
    targets : order-intake targets (year, scope, order_intake); None reads
        ``targets.csv`` of the case folder or the ``targets`` sheet of the case
        workbook if there (:func:`load_targets`; an empty frame: no targets).
    assumptions : :class:`MidtermAssumptions`; default the dataclass defaults.
    capacity_by_year : per-year capacities (manager_id, year, capacity_hours);
        None reads ``capacity_by_year.csv`` or the sheet of that name if there.
    warm_start : True: start HiGHS from the one-year plan repeated over the
        horizon (see :func:`_start_from_one_year`); a :class:`MidtermPlan` of
        the same case and horizon: start from its decisions (so that a re-solve
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


LNS_MIN_INTEGERS = 2000  # below this HiGHS alone is fast; the search only adds overhead

#: HiGHS's default work budget on the full mid-term model, in branch-and-bound nodes (the
#: scenario's ``node_limit`` overrides it). Small cases are proven in far fewer (the
#: brute-force tests: a few dozen); a 3-year case of 40 customers and 6 managers (5,575
#: columns) takes 6 s for its root and ~25 nodes a second after it, and stands at 0.20%
#: after 400 nodes (0.20% after 2,000 too), so 400 stop it in ~25 s
MIDTERM_NODE_LIMIT = 400

#: on large models (more than ``LNS_MIN_INTEGERS`` integer columns) HiGHS's root on the
#: full model stops after this many of its limit checks (it checks after its LP solves,
#: separation rounds and heuristics: HiGHS's own work, never the clock, so the stop is the
#: same on every machine); 0: HiGHS is not run on a large model and the LP bound stands.
#: The node budget does not bound a root, and HiGHS's root cut loop on the sample company
#: runs for minutes (its bound 30.90 -> 30.71 M EUR in 100 s and 44 checks; once 330 s
#: without a check, past its time limit, when it had no start). Measured on the sample
#: (3 years, quiet machine, 2 cores): its first checks only solve the LP again (~7 s), and
#: 6 checks took 17 s to bring the bound from 30.90 to 30.79 M EUR (-0.39% of gap) where
#: 4 more neighbourhoods of the search (9 s) gain 0.14 M EUR (-0.45%): within the time
#: the default budgets aim at (~35 s), the search pays more, so the default is 0
MIDTERM_ROOT_CHECKS = 0

#: neighbourhoods the search tries on a large model at the default node budget (a work
#: budget: the scenario's ``node_limit`` scales it, see :func:`neighbourhood_budget`).
#: Measured on the sample (3 years, 2 cores): ~3.3 s a neighbourhood after the LP's 9-10 s;
#: 6 give 29.81, 7 give 29.88, 8 give 29.93, 10 give 29.95 M EUR (LP bound 30.90). With 7
#: ``kamopt plan data/sample --years 3 --assumptions data/scenarios/midterm_base.yml``
#: takes 35 s quiet and 54 s beside two CPU-burning processes (by its budget, the same
#: plan); with 8, 35 s quiet but 63 s busy, stopped by the 60 s safety net
MIDTERM_NEIGHBOURHOODS = 7

#: nodes of the one-year model's MIP that gives the fallback start
START_NODE_LIMIT = 200


def node_budget(scenario: Scenario) -> int:
    """The scenario's work budget in nodes (its ``node_limit``, else :data:`MIDTERM_NODE_LIMIT`)."""
    return int(scenario.node_limit or MIDTERM_NODE_LIMIT)


def neighbourhood_budget(scenario: Scenario) -> int:
    """Neighbourhoods of the search: :data:`MIDTERM_NEIGHBOURHOODS`, scaled by the scenario's
    node budget against the default (``node_limit: 800`` doubles both, one knob for more work).

    >>> neighbourhood_budget(Scenario()) == MIDTERM_NEIGHBOURHOODS
    True
    >>> neighbourhood_budget(Scenario(node_limit=2 * MIDTERM_NODE_LIMIT)) == 2 * MIDTERM_NEIGHBOURHOODS
    True
    """
    return max(1, round(MIDTERM_NEIGHBOURHOODS * node_budget(scenario) / MIDTERM_NODE_LIMIT))


def _solve(mm: MidtermModel, scenario: Scenario, start: np.ndarray | None,
           fallback=None) -> Solution:
    """Solve with HiGHS (from ``start``, if any), or with the scenario's solver (CBC).

    With HiGHS and more than one year, one step after the other:

    1. the LP relaxation (its optimum bounds the plan's value);
    2. a plan rounded from the LP and repaired to fit the capacities
       (:func:`kamopt.solve.midterm_search.round_lp`); the better of it and
       ``start`` (if ``start`` is None and the rounded plan breaks a
       constraint, ``fallback(seconds)`` gives one: the one-year start);
    3. on large models (more than ``LNS_MIN_INTEGERS`` integer columns) a
       neighbourhood search (:func:`kamopt.solve.midterm_search.improve_by_neighbourhoods`)
       of at most ``neighbourhood_budget(scenario)`` neighbourhoods, until the
       plan is within ``mip_gap`` of the LP bound;
    4. HiGHS on the full MIP from the best plan so far, with a budget of
       ``node_budget(scenario)`` nodes; on large models also of
       ``MIDTERM_ROOT_CHECKS`` limit checks in its root (0, the default: not
       run, the LP bound stands; measured, see the constant). It gives the
       bound, status and gap reported. It is skipped when the plan is already
       within ``mip_gap`` of the LP bound.

    **The same answer on every machine.** Every step stops at a work budget
    (nodes, root checks, neighbourhoods picked by a seeded generator), never
    at a moment the clock decides, and HiGHS runs with a fixed number of
    threads; so the same case, scenario, assumptions and options give the
    same plan on a quiet and on a busy machine. The scenario's ``time_limit``
    is only a safety net for all steps together: when it is what stopped a
    step, the solution says so (``stopped_by == "time"``, in the message and
    in ``kpis["stopped_by"]``), since the plan then depends on the machine.

    **HiGHS gets the plan of the search as its start**, chosen by measurement:
    from it HiGHS prunes with the plan's value from the first node, and on
    the sample company its root then tightens the bound steadily (30.90 to
    30.73 M EUR in 30 s); without a start it once spent 330 s in one root
    round (past a 150 s time limit: no limit check in between) and found no
    plan better than no key accounts at all, so on a large model without any
    plan it is not run. On a case of 40 customers the start changes nothing
    (0.211% against 0.206% after 400 nodes, the same plan). Starting from a
    plan never changes the optimum.

    The gap is against the better of HiGHS's bound and the LP bound, both
    valid for the full model; the heuristics never change it.
    """
    if mm.lp.n_cols == 0:  # nothing to decide (no customer can be a key account, no target)
        return empty_model_solution(mm.lp, scenario.solver)
    if scenario.solver != "highs":
        return solve(mm.lp, solver=scenario.solver, time_limit=scenario.time_limit,
                     mip_gap=scenario.mip_gap)
    if start is None and fallback is None and len(mm.years) == 1:
        return _full_mip(mm, None, scenario, scenario.time_limit)
    from kamopt.solve.backend import highs_model, run_highs
    from kamopt.solve.midterm_search import improve_by_neighbourhoods

    t0 = time.perf_counter()
    deadline = t0 + scenario.time_limit
    arr = mm.lp.arrays()
    obj = arr["obj"]
    left = lambda: max(deadline - time.perf_counter(), 0.1)  # noqa: E731
    search = int(arr["integer"].sum()) > LNS_MIN_INTEGERS
    clock: list[str] = []  # the steps the safety net stopped
    relaxed = run_highs(highs_model(mm.lp, relax=True), left(), scenario.mip_gap, is_mip=False)
    if relaxed.status == "infeasible":
        return dataclasses.replace(relaxed, seconds=time.perf_counter() - t0)
    if relaxed.stopped_by == "time":
        clock.append("the LP relaxation")
    starts = _starts(mm, start, relaxed, fallback, left)
    best = _best_start(mm, starts)
    bound = relaxed.objective if relaxed.ok else np.inf
    notes = [f"LP bound {bound:,.0f} in {relaxed.seconds:.1f} s"] if relaxed.ok else []
    closest = None
    if (best is None and relaxed.ok and search and mm.assumptions.target_mode == "hard"
            and len(mm.targets)):
        # every start falls short of a target: search for a plan that meets them all
        report: dict = {}
        best, closest = _reach_hard_targets(mm, starts, relaxed.values,
                                            neighbourhood_budget(scenario), deadline=deadline,
                                            report=report)
        if report.get("stopped_by") == "time":
            clock.append("the search for a plan meeting the targets")
        if best is not None:
            notes.append(f"a plan meeting every target after {report.get('tries', 0)} "
                         "neighbourhoods")
    if best is not None:
        notes.append(f"start {float(obj @ best):,.0f}")
    if (best is not None and relaxed.ok and search and not clock
            and relative_gap(float(obj @ best), bound) > scenario.mip_gap):
        report = {}
        t_search = time.perf_counter()
        best = improve_by_neighbourhoods(mm, best, neighbourhood_budget(scenario),
                                         bound / (1 + scenario.mip_gap), wanted=relaxed.values,
                                         deadline=deadline, report=report)
        notes.append(f"neighbourhood search {float(obj @ best):,.0f} after "
                     f"{report['tries']} neighbourhoods in {time.perf_counter() - t_search:.1f} s")
        if report["stopped_by"] == "time":
            clock.append("the neighbourhood search")
    if best is not None and relaxed.ok and relative_gap(float(obj @ best), bound) \
            <= scenario.mip_gap + 1e-9:
        # within the gap of the LP bound: proven, HiGHS has nothing to add
        return Solution("optimal", float(obj @ best), bound, relative_gap(float(obj @ best), bound),
                        time.perf_counter() - t0, "highs", best, message="; ".join(notes),
                        stopped_by="gap")
    if clock:  # the safety net has struck: no time left for HiGHS's proof
        sol = Solution("error", None, None, None, 0.0, "highs", message="not run: no time left",
                       stopped_by="time")
    elif search and not MIDTERM_ROOT_CHECKS:
        sol = Solution("error", None, None, None, 0.0, "highs", stopped_by="nodes",
                       message="HiGHS not run on the full model (MIDTERM_ROOT_CHECKS = 0): "
                               "the LP bound stands")
    elif search and best is None:
        # measured on the sample company: HiGHS without a start spent 330 s in one round of
        # its root (no limit check, past its time limit) and found no plan in 720 s
        sol = Solution("error", None, None, None, 0.0, "highs", stopped_by="nodes",
                       message="HiGHS not run on the full model: no plan to start from")
    elif search:
        sol = _full_mip(mm, best, scenario, left(), root_checks=MIDTERM_ROOT_CHECKS)
    else:  # a small model: HiGHS's root is short, the node budget bounds its work
        sol = _full_mip(mm, best, scenario, left())
    if not sol.ok and best is None:
        if closest is not None and sol.status != "infeasible":
            raise _not_found(mm, scenario, closest, sol.stopped_by == "time" or bool(clock))
        return dataclasses.replace(sol, seconds=time.perf_counter() - t0)
    if sol.stopped_by == "time":
        clock.append("HiGHS on the full model")
    sol = _settle(sol, best, obj, bound, scenario.mip_gap, notes)
    stopped = ("gap" if sol.status == "optimal" else "time" if clock
               else sol.stopped_by or "nodes")
    if clock:
        notes.append(f"{', '.join(clock)} stopped at the time limit of {scenario.time_limit:g} s "
                     "(a safety net: this plan depends on the machine's speed and load)")
    return dataclasses.replace(sol, seconds=time.perf_counter() - t0, message="; ".join(notes),
                               stopped_by=stopped)


def _full_mip(mm: MidtermModel, start: np.ndarray | None, scenario: Scenario,
              time_limit: float, root_checks: int | None = None) -> Solution:
    """HiGHS on the full model from ``start``: ``node_budget(scenario)`` nodes and at most
    ``root_checks`` limit checks in its root (None: no root budget), ``time_limit`` as the
    safety net (:func:`kamopt.solve.midterm_search.run_budgeted`)."""
    from kamopt.solve.backend import highs_model
    from kamopt.solve.midterm_search import run_budgeted

    h = highs_model(mm.lp)
    if start is not None:
        set_start(h, start)
    return run_budgeted(h, time_limit, scenario.mip_gap, node_budget(scenario), root_checks)


def _starts(mm: MidtermModel, start: np.ndarray | None, relaxed: Solution, fallback,
            left) -> list:
    """The candidate starts: ``start``, the LP's rounding and, if neither fits, the fallback's."""
    from kamopt.solve.midterm_search import round_lp

    starts = [start]
    if relaxed.ok:
        try:
            starts.append(round_lp(mm, relaxed.values))
        except Exception:  # noqa: BLE001 - a start is optional
            pass
    if _best_start(mm, starts) is None and fallback is not None:
        starts.append(fallback(max(left(), 1.0)))
    return starts


def _settle(sol: Solution, best: np.ndarray | None, obj: np.ndarray, lp_bound: float,
            mip_gap: float, notes: list) -> Solution:
    """The full MIP's result against the plan found and the LP bound: value, bound, gap, status.

    The better plan of the two stands (HiGHS can drop a plan handed to it on
    tolerances, or be stopped before it takes it); the bound is the lower of
    HiGHS's and the LP's, both valid for the full model. Appends to ``notes``.
    """
    notes.append(f"full MIP {sol.objective:,.0f}, HiGHS bound "
                 f"{sol.bound if sol.bound is not None else float('nan'):,.0f} ({sol.message})"
                 if sol.ok else f"full MIP: {sol.message}")
    if best is not None and sol.status != "infeasible" and (
            not sol.ok or sol.objective < float(obj @ best) - 1e-6 * abs(sol.objective)):
        value = float(obj @ best)
        own = sol.bound if sol.ok and sol.bound is not None else np.inf
        sol = Solution("feasible", value, min(own, lp_bound),
                       relative_gap(value, min(own, lp_bound)), sol.seconds, "highs", best,
                       message="the plan of the neighbourhood search",
                       stopped_by=sol.stopped_by)
        notes.append(f"plan kept: {value:,.0f} (rounding and search)")
    if not sol.ok:
        return sol
    bound = min(lp_bound, sol.bound if sol.bound is not None else np.inf)
    gap = relative_gap(sol.objective, bound)
    return dataclasses.replace(sol, bound=bound if np.isfinite(bound) else None, gap=gap,
                               status="optimal" if gap <= mip_gap + 1e-9 else "feasible")


HARD_SEARCH_PENALTY = 100.0  # EUR per EUR short while searching for a plan meeting hard targets


def _soft_twin(mm: MidtermModel) -> MidtermModel:
    """The same model with its (hard) targets soft at ``HARD_SEARCH_PENALTY`` EUR per EUR.

    Same columns and rows; only the shortfall columns' bounds and costs
    differ, so a plan of the twin without shortfall is a plan of ``mm``.
    """
    lp = copy.copy(mm.lp)
    k = list(lp.cols).index("shortfall")
    lab, _ = mm._builder.cols["shortfall"]
    lp.ub, lp.obj = list(lp.ub), list(lp.obj)
    lp.ub[k] = np.full(len(lab), INF)
    lp.obj[k] = -HARD_SEARCH_PENALTY * mm._builder.disc[lab["t"].to_numpy()]
    twin = copy.copy(mm)
    twin.lp = lp
    return twin


def _reach_hard_targets(mm: MidtermModel, starts: list, wanted: np.ndarray,
                        max_tries: int | None = None, deadline: float | None = None,
                        report: dict | None = None
                        ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A plan meeting every hard target, searched from plans that fall short of them.

    The neighbourhood search runs on :func:`_soft_twin` (a shortfall costs
    ``HARD_SEARCH_PENALTY`` EUR per EUR, far more than any account earns), from
    the best start, until no target is short or after ``max_tries``
    neighbourhoods (default :data:`MIDTERM_NEIGHBOURHOODS`; ``deadline`` is the
    safety net, ``report`` as for the search). Returns the plan (checked
    against ``mm``) or None, and the closest plan of the twin (its shortfall
    columns say by how much each target is missed) or None.
    """
    from kamopt.solve.midterm_search import improve_by_neighbourhoods

    twin = _soft_twin(mm)
    start = _best_start(twin, starts)
    if start is None:
        return None, None
    s_ids = mm._builder.s
    found: list[np.ndarray] = []

    def check(values: np.ndarray) -> None:
        if values[s_ids].max() <= 1.0:  # EUR: within the row tolerance once set to 0
            plan = values.copy()
            plan[s_ids] = 0.0
            plan = _best_start(mm, [plan])
            if plan is not None:
                found.append(plan)

    check(start)
    closest = start
    if not found:
        closest = improve_by_neighbourhoods(
            twin, start, MIDTERM_NEIGHBOURHOODS if max_tries is None else max_tries,
            lambda: -np.inf if found else np.inf, wanted=wanted, on_improve=check,
            deadline=deadline, report=report)
    return (found[-1] if found else None), closest


def _closest_lines(mm: MidtermModel, values: np.ndarray, seconds: float | None) -> list[str]:
    """Per target that ``values`` misses: "the order-intake target of 2029 (310.0 M EUR)
    was not met by the closest plan found: it reaches 309.5 M EUR (short by 0.5 M EUR)"
    ("found in 60 s" when ``seconds``, the time limit, is what stopped the search)."""
    lab, ids = mm._builder.cols["shortfall"]
    goal = mm.targets.set_index(["scope", "year"])["order_intake"]
    lines = []
    for scope, year, short in zip(lab["scope"], lab["year"], values[ids], strict=True):
        need = float(goal.loc[(scope, year)])
        if short > 1e-6 * need:
            lines.append(_not_met_line(_target_name(scope, year, need), "closest", seconds,
                                       need - short, short))
    return lines


def _not_met_line(target: str, which: str, seconds: float | None, reached: float,
                  short: float) -> str:
    """A target missed by a plan found within a budget: not proven out of reach. ``seconds``:
    the time limit, when it is what stopped the search (None: its work budget did)."""
    within = f" in {seconds:.0f} s" if seconds is not None else ""
    return (f"{target} was not met by the {which} plan found{within}: it reaches "
            f"{_meur(reached)} (short by {_meur(short)})")


_LONGER = ("A larger work budget (the scenario's node_limit) or a longer time limit may find "
           "a plan that meets them all; soft targets (target_mode: soft) always give a plan "
           "and its shortfalls.")


def _within(scenario: Scenario, by_time: bool) -> str:
    """What a search stopped at: "the time limit (60 s" or "the work budget (400 nodes,
    7 neighbourhoods"."""
    if by_time:
        return f"the time limit ({scenario.time_limit:.0f} s"
    return (f"the work budget ({node_budget(scenario):,} nodes, "
            f"{neighbourhood_budget(scenario)} neighbourhoods")


def _not_found(mm: MidtermModel, scenario: Scenario, closest: np.ndarray,
               by_time: bool = False) -> SolverError:
    lines = _closest_lines(mm, closest, scenario.time_limit if by_time else None)
    return SolverError(
        f"No plan that meets every order-intake target was found within "
        f"{_within(scenario, by_time)}; not proven impossible: the LP relaxation meets them). "
        + ("; ".join(lines)[:1].upper() + "; ".join(lines)[1:] + ". " if lines else "")
        + _LONGER)


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


def _best_start(mm: MidtermModel, starts: list) -> np.ndarray | None:
    """The start that keeps every constraint and bound and has the highest objective.

    Column bounds count too: with hard targets a plan's shortfall column is
    bounded at 0, and a start that falls short of a target is no plan.
    """
    arr = mm.lp.arrays()
    A = mm.lp.matrix()
    ints = arr["integer"]
    best, best_obj = None, -np.inf
    for x in starts:
        if x is None:
            continue
        act = A @ x
        tol = 1e-6 * (1 + np.abs(act))
        if np.any(act < arr["row_lo"] - tol) or np.any(act > arr["row_hi"] + tol):
            continue
        ctol = 1e-6 * (1 + np.abs(x))
        if (np.any(x < arr["lb"] - ctol) or np.any(x > arr["ub"] + ctol)
                or np.any(np.abs(x[ints] - np.round(x[ints])) > 1e-6)):
            continue
        obj = float(arr["obj"] @ x)
        if obj > best_obj:
            best, best_obj = x, obj
    return best


def _start_from_plan(mm: MidtermModel, mp: MidtermPlan) -> np.ndarray:
    """The column values of ``mp``'s decisions in the model ``mm`` (a warm start)."""
    acc = mp.accounts[mp.accounts["key_account"] == 1]
    dec = pd.DataFrame({
        "customer_id": acc["customer_id"].to_numpy(),
        "t": acc["year"].to_numpy() - mm.assumptions.start_year,
        "level": acc["level"].to_numpy(),
        "manager_id": acc["manager_id"].to_numpy(),
        "activities": [tuple(k for k in s_.split(";") if k) for s_ in acc["activities"]],
    })
    dec = dec[(dec["t"] >= 0) & (dec["t"] < len(mm.years))]
    hired = {m: int(y) - mm.assumptions.start_year for m, y in
             zip(mp.hires["manager_id"], mp.hires["year"], strict=True)}
    return mm._builder.vector(dec, hired)


def _start_from_one_year(case, scenario, a, targets, capacity_by_year, mm) -> np.ndarray | None:
    """A warm start: the one-year plan of the first year, kept over the horizon.

    The one-year model is solved with the horizon's mean ramp factor (so that
    accounts that pay off over the horizon are taken on) within 1% and
    ``START_NODE_LIMIT`` nodes (the time limit only as a safety net); its key accounts, levels, lead managers, activities and hires
    are repeated in every year. Where a manager's capacity falls in a later
    year (capacity_by_year), the accounts he or she cannot carry are dropped
    that year, the least valuable first. HiGHS checks the start and ignores it
    if it breaks a constraint; it never changes the optimum, only the time to it.
    """
    T = len(mm.years)
    ramp = np.asarray(a.ramp, float)
    mean = float(ramp[np.minimum(np.arange(T), len(ramp) - 1)].mean())
    # handover hours spread over the horizon (they fall in one year only) and
    # hires at their mean productive share: the repeated plan then fills the
    # later years; the first year is trimmed to fit below
    hp = tuple(dataclasses.replace(h, ramp_up=(h.ramp_up + T - 1) / T) for h in a.hire_profiles)
    a1 = a.replace(ramp=(mean,), years=1, handover_hours=a.handover_hours / T, hire_profiles=hp)
    sc1 = scenario.replace(time_limit=max(scenario.time_limit, 1.0))  # the safety net
    # every manager at his or her lowest capacity over the horizon, so that the
    # one-year plan fits every year
    scale = scenario.capacity_scale or 1.0
    low = (mm.capacity.drop(index=mm.hires.index).min(axis=1) / scale).rename("capacity_hours")
    low = low.reset_index().assign(year=a.start_year)[["manager_id", "year", "capacity_hours"]]
    try:
        m1 = build_midterm(case, sc1, a1, 1, targets, low)
        s1 = solve(m1.lp, time_limit=sc1.time_limit, mip_gap=max(scenario.mip_gap, 0.01),
                   node_limit=START_NODE_LIMIT)
    except Exception:  # noqa: BLE001 - a start is optional
        return None
    if not s1.ok or s1.stopped_by == "time":  # no start rather than one the clock chose
        return None
    b1, v = m1._builder, s1.values
    zl = b1.zl[v[b1.z] > 0.5][["customer_id", "level"]]
    xl = b1.xl[v[b1.x] > 0.5][["customer_id", "manager_id"]]
    al = b1.al[v[b1.a_] > 0.5]
    acts = al.groupby("customer_id")["activity_id"].agg(tuple)
    dec0 = zl.merge(xl, on="customer_id")
    dec0["activities"] = [acts.get(cid, ()) for cid in dec0["customer_id"]]
    hours = m1.data.options.set_index(["customer_id", "level"])["hours"]
    dec0["hours"] = hours.reindex(pd.MultiIndex.from_frame(dec0[["customer_id", "level"]])).to_numpy()
    kh = case.activities["kam_hours"].astype(float) if len(case.activities) else pd.Series(dtype=float)
    dec0["hours"] += [float(kh.reindex(list(t)).sum()) for t in dec0["activities"]]
    must = set(m1.data.customers.index[m1.data.customers["status"] == "must"])
    val = dict(zip(m1.data.options["customer_id"], m1.data.options["value"], strict=False))
    hl = b1.hl[v[b1.w] > 0.5] if len(b1.hl) else b1.hl
    hired = {mid: 0 for mid in hl["manager_id"]}
    cur = case.customers["current_manager"].astype(str)
    hire_cap = {m: mm.hires.at[m, "capacity"] * mm.hires.at[m, "ramp_up"] for m in hired}
    parts = []
    prev = dict(zip(cur.index, cur, strict=True))  # lead of the year before
    lapsed = mm._builder.lapsed
    for t, y in enumerate(mm.years):  # each year: the plan, trimmed to that year's capacity
        d = dec0.assign(t=t)
        cap = mm.capacity[y].copy()
        for m in hired:
            cap[m] = hire_cap[m] if t == 0 else mm.hires.at[m, "capacity"]
        pinned = {cid: j for cid, (j, gone) in lapsed.items() if y not in gone}
        for cid, j in pinned.items():  # a fixed lead holds while its manager has hours
            d.loc[d["customer_id"] == cid, "manager_id"] = j
            room = cap.get(j, 0.0) - (0.0 if prev.get(cid, "") == j else a.handover_hours)
            d = _fit_level(d, cid, room, m1.data, kh)
        new = np.array([prev.get(cid, "") != j for cid, j in
                        zip(d["customer_id"], d["manager_id"], strict=True)])
        d["hours"] = d["hours"] + np.where(new, a.handover_hours, 0.0)
        d["handover"] = np.where(new, a.handover_hours, 0.0)
        for j, grp in d.groupby("manager_id"):
            over = grp["hours"].sum() - cap.get(j, 0.0)
            if over <= 1e-9:
                continue
            drop = grp[~grp["customer_id"].isin(must)].assign(
                v=lambda g: g["customer_id"].map(val)).sort_values("v")
            cut = drop["customer_id"][drop["hours"].cumsum().shift(fill_value=0) < over]
            d = d[~((d["manager_id"] == j) & d["customer_id"].isin(cut))]
            over -= float(drop.loc[drop["customer_id"].isin(cut), "hours"].sum())
            if over > 1e-9:  # must accounts left over: hand them to whoever has room
                d = _move_must_accounts(d, j, over, cap, mm, a.handover_hours, set(pinned))
            stay = d[d["manager_id"] == j].sort_values("hours", ascending=False)
            over = float(stay["hours"].sum()) - cap.get(j, 0.0)
            for cid, hours, hand in zip(stay["customer_id"], stay["hours"], stay["handover"],
                                        strict=True):  # or else at a lighter level
                if over <= 1e-9:
                    break
                d = _fit_level(d, cid, hours - over, m1.data, kh, extra=hand)
                over -= hours - float(d.loc[d["customer_id"] == cid, "hours"].iloc[0])
        parts.append(d)
        prev = dict(zip(d["customer_id"], d["manager_id"], strict=True))
    dec = pd.concat(parts, ignore_index=True)
    return mm._builder.vector(dec, hired)


def _fit_level(d: pd.DataFrame, cid: str, room: float, data, kam_hours,
               extra: float = 0.0) -> pd.DataFrame:
    """The start's decisions ``d`` with account ``cid`` in at most ``room`` hours.

    The account keeps its level and activities when they fit; otherwise it
    gets the heaviest level that fits with them, or with only those the
    scenario commits, or else the lightest level with those (a start that then
    does not fit is dropped by the start check). ``extra``: hours the account
    carries besides its level and activities (a handover).
    """
    row = d.index[d["customer_id"] == cid]
    if not len(row) or float(d.at[row[0], "hours"]) <= room + 1e-9:
        return d
    opts = data.options[data.options["customer_id"] == cid].sort_values("hours", ascending=False)
    acts = tuple(d.at[row[0], "activities"])
    must_run = tuple(data.scenario.committed_of.get(cid, ()))

    def hours_of(ids) -> float:
        return float(kam_hours.reindex(list(ids)).sum()) if ids else 0.0

    level, hours = opts["level"].iloc[-1], float(opts["hours"].iloc[-1]) + hours_of(must_run)
    keep = must_run
    for kept, more in ((acts, hours_of(acts)), (must_run, hours_of(must_run))):
        fit = opts[opts["hours"] + more + extra <= room + 1e-9]
        if len(fit):
            level, hours, keep = fit["level"].iloc[0], float(fit["hours"].iloc[0]) + more, kept
            break
    d = d.copy()
    d.at[row[0], "level"] = level
    d.at[row[0], "hours"] = hours + extra
    d.at[row[0], "activities"] = keep
    return d


def _move_must_accounts(d, j, over, cap, mm, handover, pinned=frozenset()) -> pd.DataFrame:
    """Move ``must`` accounts of ``j`` to eligible managers with spare hours (for the start).

    Accounts in ``pinned`` (a fixed lead that holds this year) stay.
    """
    pairs = mm.data.pairs
    d = d.copy()
    for cid in d.loc[d["manager_id"] == j].sort_values("hours", ascending=False)["customer_id"]:
        if over <= 1e-9:
            break
        if cid in pinned:
            continue
        need = float(d.loc[d["customer_id"] == cid, "hours"].iloc[0]) + handover
        used = d.groupby("manager_id")["hours"].sum()
        cands = pairs.loc[(pairs["customer_id"] == cid) & (pairs["manager_id"] != j)
                          & ~pairs["manager_id"].isin(mm.hires.index), "manager_id"]
        spare = cap.reindex(cands).fillna(0.0) - used.reindex(cands).fillna(0.0).to_numpy()
        spare = spare[spare >= need]
        if len(spare) == 0:
            continue
        d.loc[d["customer_id"] == cid, ["manager_id", "hours"]] = [spare.idxmax(), need]
        if "handover" in d:
            d.loc[d["customer_id"] == cid, "handover"] = handover
        over -= need - handover
    return d


def _meur(x: float) -> str:
    """``310.0 M EUR``; below 0.1 M EUR (a small case, a small shortfall) in EUR, not ``0.0 M``.

    >>> _meur(17.6e6), _meur(4217), _meur(-0.0)
    ('17.6 M EUR', '4,217 EUR', '0 EUR')
    """
    return f"{x / 1e6:,.1f} M EUR" if abs(x) >= 0.05e6 else f"{x + 0.0:,.0f} EUR"


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


def _target_name(scope: str, year: int, order_intake: float) -> str:
    """"the order-intake target for region Süd of 2029 (115.0 M EUR)"."""
    where = "" if scope == "company" else f" for {str(scope).replace(':', ' ')}"
    return f"the order-intake target{where} of {year} ({_meur(order_intake)})"


def shortfall_messages(err: InfeasibleError) -> list[str]:
    """One line per target: "the order-intake target of 2028 (41.0 M EUR) cannot be met: ...".

    Other shortfalls (a year's pre-checks) and reasons keep their own words.

    For an :class:`InfeasibleError` only: its targets are proven out of reach
    (a time limit that stops the solver without a plan is a :class:`SolverError`
    whose message says that the plan found falls short, see :func:`_not_met`).
    """
    return [f"{s.requirement} cannot be met: {s.detail} (short by {_meur(s.short_by)})"
            if s.unit == "EUR" else str(s) for s in err.shortfalls] + list(err.reasons)


# ------------------------------------------------------------ tables for a reader
def by_year(mp: MidtermPlan) -> pd.DataFrame:
    """The plan by year in M EUR and counts: intake vs target, and what it takes.

    Columns: intake, target, shortfall (M EUR), met (the three target columns
    only in a plan with targets), key_accounts (and by level), activities,
    hires, hours_used, hours_available, cost_kam, hire_cost, net (M EUR).
    """
    y = mp.years
    acc = mp.accounts[mp.accounts["key_account"] == 1]
    levels = acc.groupby(["year", "level"]).size().unstack(fill_value=0)
    out = pd.DataFrame(index=y.index)
    targets = y["target"].notna().any()
    for col in ("intake", "target", "shortfall") if targets else ("intake",):
        out[f"{col} (M EUR)"] = y[col] / 1e6
    if targets:
        out["met"] = y["target_met"]
    out["key accounts"] = y["key_accounts"]
    for lv in levels.columns:
        out[f"  {lv}"] = levels[lv].reindex(y.index).fillna(0).astype(int)
    out["activities"] = y["activities_run"]
    out["new hires"] = y["hires"]
    out["manager changes"] = y["changes"]
    out["hours used"] = y["hours_used"]
    out["hours available"] = y["hours_available"]
    out["KAM cost (M EUR)"] = y["cost_kam"] / 1e6
    out["hire cost (M EUR)"] = y["hire_cost"] / 1e6
    out["net (M EUR)"] = y["net"] / 1e6
    return out


def target_table(mp: MidtermPlan) -> pd.DataFrame:
    """Every order-intake target of the plan, for reading: year, scope, target, intake and
    shortfall (M EUR), met (yes/no); the company's first, then the regions and industries."""
    t = mp.targets
    return pd.DataFrame({
        "year": t["year"].to_numpy(),
        "scope": t["scope"].str.replace(":", " ", regex=False).to_numpy(),
        "target (M EUR)": (t["order_intake"] / 1e6).to_numpy(),
        "intake (M EUR)": (t["intake"] / 1e6).to_numpy(),
        "shortfall (M EUR)": (t["shortfall"] / 1e6).to_numpy(),
        "met": np.where(t["met"].to_numpy(bool), "yes", "no"),
    })


def compare(plans: dict[str, MidtermPlan]) -> pd.DataFrame:
    """Headline figures of several plans side by side (one column a plan)."""
    rows = {}
    for name, mp in plans.items():
        y = mp.years
        r = {"status": mp.status, "gap": f"{mp.kpis['mip_gap']:.1%}",
             "NPV (M EUR)": mp.kpis["npv"] / 1e6,
             "hires": mp.kpis["hires"],
             "manager changes": mp.kpis["changes"]}
        for yr in y.index:
            r[f"intake {yr} (M EUR)"] = y.at[yr, "intake"] / 1e6
        for yr in y.index:
            r[f"key accounts {yr}"] = int(y.at[yr, "key_accounts"])
        rows[name] = r
    return pd.DataFrame(rows)


def price_of_targets(mp: MidtermPlan, reference: MidtermPlan) -> pd.DataFrame:
    """What the targets secure and what they cost, year by year (M EUR).

    ``mp`` is planned with the targets, ``reference`` without them (best
    started from ``mp``, so that it is never worse in net present value).
    Columns: the order intake the targets secure (``mp`` minus
    ``reference``) and the net contribution they cost (``reference`` minus
    ``mp``); a last row ``NPV`` holds the cost in net present value (its
    intake cell is empty: intake is not discounted).
    """
    out = pd.DataFrame({
        "order intake secured (M EUR)": (mp.years["intake"] - reference.years["intake"]) / 1e6,
        "net contribution it costs (M EUR)": (reference.years["net"] - mp.years["net"]) / 1e6,
    })
    out.index = out.index.astype(object)
    out.loc["NPV"] = [np.nan, (reference.kpis["npv"] - mp.kpis["npv"]) / 1e6]
    return out


def explain_targets(mp: MidtermPlan, reference: MidtermPlan | None) -> str:
    """The result in words, written from the two plans' figures (Markdown bullets).

    Says which targets are met and by how much the others are missed, what
    the plan hires, and what relaxing the targets gains (``reference``: the
    plan without them; None for a case without targets); where the plans'
    gaps are too wide to tell the price of the targets apart from the
    solver's tolerance, it says so instead of reading noise as a price.
    """
    lines = []
    tg = mp.targets
    if len(tg):
        met = tg[tg["met"]]
        missed = tg[~tg["met"]]
        name = lambda r: (f"{r['year']}" if r["scope"] == "company"  # noqa: E731
                          else f"{r['year']} ({r['scope'].replace(':', ' ')})")
        said = []
        if len(met):
            said.append(("the targets of " if len(met) > 1 else "the target of ")
                        + ", ".join(name(r) for _, r in met.iterrows())
                        + (" are met" if len(met) > 1 else " is met"))
        if len(missed):
            said.append("; ".join(
                f"{name(r)} is missed by {_meur(r['shortfall'])} "
                f"({r['shortfall'] / r['order_intake']:.1%} of its {_meur(r['order_intake'])})"
                for _, r in missed.iterrows()))
        text = "; ".join(said)
        lines.append(f"**Targets.** {text[0].upper()}{text[1:]}.")
    hires = mp.hires
    if len(hires):
        per_year = [" and ".join(f"{n} {profile}" for profile, n in g.groupby("profile").size().items())
                    + f" in {year}" for year, g in hires.groupby("year")]
        lines.append(f"**Hires.** {len(hires)} key account manager{'s' if len(hires) > 1 else ''} "
                     f"({'; '.join(per_year)}), {_meur(hires['cost_per_year'].sum())} a year "
                     "from the hiring year on.")
    else:
        lines.append("**Hires.** None: the current team carries the plan.")
    if reference is None:
        lines.append("**Targets.** None in this case (targets.csv): the plan maximises the net "
                     "present value alone.")
        return "\n".join(f"* {line}" for line in lines)
    npv_cost = reference.kpis["npv"] - mp.kpis["npv"]
    secured = mp.years["intake"] - reference.years["intake"]
    gaps = [mp.kpis["mip_gap"], reference.kpis["mip_gap"]]
    # each plan's value is known only to within its gap: a price below that may be noise
    noise = max(g * abs(p.kpis["npv"]) for g, p in zip(gaps, (mp, reference), strict=True))
    proven = ", ".join(f"the plan {which} is proven within {g:.1%} of the best plan {which}"
                       if math.isfinite(g) else f"the plan {which} has no proven gap"
                       for which, g in zip(("with targets", "without"), gaps, strict=True))
    gained = [y for y in secured.index if secured[y] > 0]
    if npv_cost > noise and gained:
        lines.append(
            f"**Relaxing the targets** gains {_meur(npv_cost)} of net present value and gives up "
            + ", ".join(f"{_meur(secured[y])} of order intake in {y}" for y in gained)
            + f": that is the price of the targets ({proven}).")
    else:
        lines.append(
            f"**Relaxing the targets** gains {_meur(max(npv_cost, 0.0))} of net present value"
            + ("" if gained else " and gives up no order intake in any year")
            + f", but {proven}: at this time limit the price of the targets cannot be told "
            "apart from the solver's tolerance. A longer time limit tightens both plans.")
    return "\n".join(f"* {line}" for line in lines)


# ------------------------------------------------------------------ the chart
def intake_chart(mp: MidtermPlan, ax=None):
    """Expected order intake by year (retained revenue + realised potential) against targets."""
    from kamopt.present.charts import PALETTE, _eur_axis, _figure, _legend_outside, _style, _titles

    y = mp.years
    with _style():
        fig, ax = _figure(ax, figsize=(12, 6.5))
        xs = np.arange(len(y))
        ax.bar(xs, y["intake_retained"], width=0.6, color=PALETTE["sky"],
               label="retained revenue")
        ax.bar(xs, y["intake_potential"], width=0.6, bottom=y["intake_retained"],
               color=PALETTE["blue"], label="realised potential")
        has_target = y["target"].notna().to_numpy()
        if has_target.any():
            ax.hlines(y["target"][has_target], xs[has_target] - 0.38, xs[has_target] + 0.38,
                      colors=PALETTE["vermillion"], linewidths=3.5, zorder=3, label="target")
        for xi, (_, r) in zip(xs, y.iterrows(), strict=True):
            top = r["intake"] if pd.isna(r["target"]) else max(r["target"], r["intake"])
            short = r["shortfall"] if pd.notna(r["shortfall"]) else 0.0
            text = f"{r['intake'] / 1e6:,.1f} M€"
            if pd.notna(r["target"]):
                text += (f"\ntarget {r['target'] / 1e6:,.0f} M€ met" if short <= 0
                         else f"\nshort by {short / 1e6:,.1f} M€")
            ax.annotate(text, (xi, top), xytext=(0, 8), textcoords="offset points",
                        ha="center", va="bottom", fontsize=13,
                        color=PALETTE["vermillion"] if short > 0 else PALETTE["black"])
        ax.set_xticks(xs, [str(v) for v in y.index])
        top = np.nanmax(np.r_[y["intake"].to_numpy(), y["target"].to_numpy(float)])
        if top > 0:  # a case without revenue (a territory case) has no intake to scale to
            ax.set_ylim(0, top * 1.18)
        _eur_axis(ax.yaxis)
        _titles(ax, "Expected order intake against target",
                f"EUR a year, {mp.scenario.name} scenario; plan {mp.status}, "
                f"gap {mp.kpis['mip_gap']:.1%}")
        handles, labels = ax.get_legend_handles_labels()
        _legend_outside(ax, [("", handles, labels)])
        scoped = mp.targets[mp.targets["scope"] != "company"] if len(mp.targets) else []
        if len(scoped):  # targets of a region or industry: below the chart, in words
            lines = [f"{r.scope.replace(':', ' ')} {r.year}: {r.intake / 1e6:,.1f} M€ against "
                     f"{r.order_intake / 1e6:,.1f} M€, "
                     + ("met" if r.met else f"short by {r.shortfall / 1e6:,.1f} M€")
                     for r in scoped.itertuples()]
            ax.text(0, -0.09, "Other targets: " + "; ".join(lines), transform=ax.transAxes,
                    ha="left", va="top", fontsize=12, wrap=True,
                    color=PALETTE["vermillion"] if (~scoped["met"]).any() else PALETTE["black"])
    return fig


# ------------------------------------------------------------ command line
def write_midterm_outputs(mp: MidtermPlan, out, excel: bool = False) -> Path:
    """Write plan_by_year.csv, intake.csv, hires.csv, changes.csv, summary.json atomically.

    ``summary.json`` has the KPIs of the horizon and, under the one-year
    plan's names (``key_accounts``, ``hours_used``, ``hours_available``,
    ``cost``), those of the first plan year (``first_year``); every year's
    figures are in ``intake.csv``.
    """
    from kamopt.case.io import staged_folder

    out = Path(out)
    with staged_folder(out) as tmp:
        cols = ["year", "customer_id", "key_account", "level", "manager_id", "hours",
                "activities", "service_year", "intake", "value", "cost", "net"]
        mp.accounts[cols].to_csv(tmp / "plan_by_year.csv", index=False, float_format="%.2f")
        mp.years.reset_index().to_csv(tmp / "intake.csv", index=False, float_format="%.2f")
        mp.hires.to_csv(tmp / "hires.csv", index=False, float_format="%.2f")
        mp.changes.to_csv(tmp / "changes.csv", index=False)
        mp.targets.to_csv(tmp / "targets.csv", index=False, float_format="%.2f")
        summary = {k: _plain(v) for k, v in mp.kpis.items()}
        # the one-year plan's keys (spec section 4), for the first plan year: what is decided now
        first = mp.years.iloc[0]
        now = {"first_year": int(mp.years.index[0]),
               "key_accounts": int(first["key_accounts"]),
               "hours_used": _plain(first["hours_used"]),
               "hours_available": _plain(first["hours_available"]),
               "cost": _plain(first["cost"])}
        summary = {"status": mp.status, **summary, **now,
                   "assumptions": mp.assumptions.to_dict(),
                   "scenario": mp.scenario.to_dict(), "case": mp.case.source}
        notes = midterm_notes(mp)
        if notes:
            summary["notes"] = notes
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False),
                                          encoding="utf-8")
        if excel:
            mp.to_excel(tmp / "midterm.xlsx")
    return out


def headline(mp: MidtermPlan) -> str:
    """The figures printed after ``kamopt midterm``."""
    k = mp.kpis
    gap = f"{k['mip_gap']:.2%}" if math.isfinite(k["mip_gap"]) else "unknown"
    lines = [f"Mid-term plan ({mp.scenario.name}, {k['years']} year{'s' if k['years'] != 1 else ''}): "
             f"{mp.status}, gap {gap}, solved in {k['solve_seconds']:.1f} s"]
    yrs = mp.years
    big = float(np.nanmax(np.abs(yrs[["intake", "target", "net"]].to_numpy(float)),
                          initial=0.0)) >= 1e7  # below 10 M EUR a year: EUR

    def eur(v: float, decimals: int = 1) -> str:  # M EUR for a company, EUR for a small case
        if pd.isna(v):
            return "-"
        if big and 0 < abs(v) < 0.5 * 10 ** (6 - decimals):  # would read 0.0 M: a shortfall
            return f"{v:,.0f}"  # of 4,217 EUR is not "0.0 M"
        return f"{round(v / 1e6, decimals) + 0.0:,.{decimals}f} M" if big else f"{v:,.0f}"

    rows = [["year", "intake", "target", "short", "KAs", "hires", "net"]]
    rows += [[str(y), eur(r["intake"]), eur(r["target"]), eur(r["shortfall"]),
              str(int(r["key_accounts"])), str(int(r["hires"])), eur(r["net"], 2)]
             for y, r in yrs.iterrows()]
    width = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    for row in rows:  # columns as wide as their widest figure, two spaces apart
        lines.append("  " + row[0].ljust(width[0]) + "".join(
            "  " + cell.rjust(w) for cell, w in zip(row[1:], width[1:], strict=True)))
    lines.append(f"  net present value {k['npv']:,.0f} EUR; {k['hires']} hires; "
                 f"{k['changes']} lead-manager changes")
    if k.get("stopped_by") == "time":
        lines.append(f"  stopped by the time limit ({mp.scenario.time_limit:g} s), a safety net: "
                     "this plan depends on the machine's speed and load (its work budget, "
                     "node_limit, gives the same plan on every machine)")
    lines += [f"  {note}" for note in midterm_notes(mp)]
    return "\n".join(lines)


def midterm_notes(mp: MidtermPlan) -> list[str]:
    """:func:`kamopt.model.prepare.scenario_notes`, and what the hire profiles' pair costs are."""
    out = scenario_notes(mp.case, mp.scenario)
    lapsed = mp.model._builder.lapsed if mp.model is not None else {}  # as the model has them
    for cid, (j, gone) in lapsed.items():
        out.append(f"{cid}'s fixed lead {j} has no hours in {', '.join(map(str, gone))}: there "
                   f"{cid} stays a key account, led by whom the plan picks")
    if len(mp.case.pair_costs):
        for h in mp.assumptions.hire_profiles:
            if h.max_hires <= 0:
                continue
            out.append(f"Hire profile '{h.name}' has the pair costs of {h.pair_costs_from}"
                       if h.pair_costs_from else
                       f"Hire profile '{h.name}': each account costs a hire its average pair "
                       f"cost over the case's {len(mp.case.managers)} managers (set "
                       "'pair_costs_from' to a manager whose costs it should have)")
    return out


