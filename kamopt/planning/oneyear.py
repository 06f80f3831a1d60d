"""Stage 4: the key-account plan, read from a successful solve.

``plan(case, scenario)`` is the pipeline: check -> prepare -> build -> solve ->
read. Its stages stay callable alone (:func:`kamopt.model.prepare.prepare`,
:func:`kamopt.model.oneyear.build`, :func:`kamopt.solve.backend.solve`, :func:`read_plan`).

A :class:`Plan` is only ever made from a solve that returned a plan
(status ``optimal`` or ``feasible``); an infeasible scenario raises
:class:`~kamopt.errors.InfeasibleError` with its diagnosis and a solver failure
raises :class:`~kamopt.errors.SolverError`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.errors import SolverError, VerificationError
from kamopt.model.oneyear import KamModel, build
from kamopt.model.prepare import effective_managers, effective_status, prepare
from kamopt.planning.balance import (
    balance_kpis,
    band_free_first,
    band_violations,
    solve_band_free_first,
)
from kamopt.solve.backend import Solution
from kamopt.solve.pricing import PRICING_THRESHOLD, full_size, solve_by_pricing
from kamopt.solve.strategy import solve_model
from kamopt.units import hours as hours_text

TOL = 1e-6


@dataclass
class Plan:
    """A key-account plan and its figures.

    Attributes
    ----------
    accounts : per customer (index ``customer_id``): ``key_account``, ``level``,
        ``manager_id``, ``hours``, ``activities``, ``value``, ``cost``, ``net``
        and the parts they are made of.
    managers : per manager: ``hours_used``, ``capacity``, ``utilisation``,
        ``accounts`` (number of key accounts led), ``key_accounts`` (their ids).
    departments : per department: ``hours_used``, ``capacity``, ``utilisation``.
    kpis : headline figures (``objective``, ``key_accounts``, ``hours_used``, ...).
    """

    case: Case
    scenario: Scenario
    status: str
    accounts: pd.DataFrame
    managers: pd.DataFrame
    departments: pd.DataFrame
    kpis: dict
    model: KamModel | None = field(default=None, repr=False, compare=False)
    solution: Solution | None = field(default=None, repr=False, compare=False)

    @property
    def objective(self) -> float:
        return self.kpis["objective"]

    @property
    def key_accounts(self) -> pd.Index:
        return self.accounts.index[self.accounts["key_account"] == 1]

    def table(self) -> pd.DataFrame:
        """``plan.csv``: one row per customer with the columns of spec section 4."""
        cols = ["key_account", "level", "manager_id", "hours", "activities", "value", "cost", "net"]
        return self.accounts[cols].reset_index()

    def summary(self) -> dict:
        """``summary.json``: status, objective, gap, timings and totals."""
        return {"status": self.status, **self.kpis}

    def verify(self, case: Case | None = None) -> None:
        """Re-check every constraint and recompute the objective from the case.

        Independent of the solver and of the model's coefficient arrays: it
        reads the plan's decisions (level, lead manager, activities per
        account) and recomputes hours, capacities, budget and value from the
        case's tables and the scenario. Raises :class:`VerificationError`
        listing every violation; returns None when the plan is sound.
        """
        violations = verify_plan(self.accounts, case if case is not None else self.case,
                                 self.scenario, self.kpis["objective"])
        if violations:
            raise VerificationError(violations)

    def to_excel(self, path) -> None:
        """Write the plan as a workbook a consultant can hand on (one sheet per table)."""
        from kamopt.planning.outputs import plan_to_excel

        plan_to_excel(self, path)

    def __repr__(self) -> str:
        k = self.kpis
        return (
            f"Plan({self.status}, objective {k['objective']:,.0f} EUR/yr, "
            f"{k['key_accounts']} key accounts, {hours_text(k['hours_used'])} of "
            f"{hours_text(k['hours_available'])} h, gap {k['mip_gap']:.2%})"
        )


# ----------------------------------------------------------------- pipeline
def plan(case: Case | str | Path, scenario: Scenario | dict | str | Path | None = None, *,
         prune: bool = True, cancel=None) -> Plan:
    """Plan the key accounts of ``case`` under ``scenario`` (defaults if None).

    ``case`` may be the path of a case (folder or .xlsx) and ``scenario`` a
    dict of scenario keys or the path of a YAML file
    (:meth:`Scenario.coerce <kamopt.case.scenario.Scenario.coerce>`).

    Raises :class:`~kamopt.errors.InfeasibleError` (with what cannot be met
    and by how much) or :class:`~kamopt.errors.SolverError`.
    """
    from kamopt.case.io import as_case
    from kamopt.case.validate import check_against_scenario
    from kamopt.planning.diagnose import explain_infeasible, precheck

    case = as_case(case)
    scenario = Scenario.coerce(scenario)
    t0 = time.perf_counter()
    check_against_scenario(case, scenario)
    precheck(case, scenario)
    data = prepare(case, scenario, prune=prune)
    size = full_size(data)
    if scenario.solver == "cbc" and size > PRICING_THRESHOLD:
        # measured at 1,000 x 40 (90,123 options): CBC ran 74 s on a 32 s limit and
        # ended 7.9% from the bound; the priced path for large cases needs HiGHS
        raise SolverError(
            f"The case is too large for CBC: {size:,} (customer, manager, level) "
            f"options, CBC is used up to {PRICING_THRESHOLD:,}. Use HiGHS, the default solver "
            "(leave out --solver cbc or the scenario's 'solver: cbc'): it prices the "
            "(customer, manager) pairs in for large cases.")
    # the least largest workload first, then net (kamopt.solve.lexicographic): on the full model
    first_goal = scenario.balance is not None and scenario.balance.objective is not None
    first_figures: dict = {}
    if scenario.solver == "highs" and size > PRICING_THRESHOLD and not first_goal:
        # large case: price (customer, manager) pairs in on the LP (kamopt.solve.pricing)
        t_build = time.perf_counter() - t0
        km, sol = solve_by_pricing(data, scenario.time_limit, scenario.mip_gap)
    elif first_goal:
        from kamopt.solve.lexicographic import solve_least_largest

        km = build(data)
        t_build = time.perf_counter() - t0
        sol, km, first_figures = solve_least_largest(km, scenario, cancel=cancel)
    else:
        km = build(data)
        t_build = time.perf_counter() - t0
        # a utilisation band: the plan without it first (kamopt.planning.balance)
        sol = (solve_band_free_first(km, case, scenario, prune=prune, cancel=cancel)
               if band_free_first(scenario) else solve_model(km, scenario, cancel=cancel))
    tie_break = {}
    if scenario.tie_break is not None and sol.ok:  # among plans within the gap: least moves
        from kamopt.solve.tiebreak import solve_tie_break

        sol, tie_break = solve_tie_break(km, scenario, sol, cancel=cancel)
    if sol.status == "infeasible":
        raise explain_infeasible(km)
    if not sol.ok:
        hint = (f" (time limit {scenario.time_limit:g} s: allow more with the scenario's "
                "time_limit or --time-limit)" if sol.stopped_by == "time"
                or "time limit" in (sol.message or "").lower() else "")
        raise SolverError(f"The solver ({sol.solver}) returned no plan: {sol.message}{hint}")
    result = read_plan(km, sol)
    result.kpis.update(first_figures)
    result.kpis.update(tie_break)
    result.kpis["build_seconds"] = t_build
    result.kpis["total_seconds"] = time.perf_counter() - t0
    return result


def read_plan(km: KamModel, sol: Solution) -> Plan:
    """Turn the solver's values into the plan's tables (only from a plan-bearing solve)."""
    if not sol.ok or sol.values is None:
        raise SolverError(f"No plan to read: the solve ended '{sol.status}'. {sol.message}")
    d, v = km.data, sol.values
    case, sc = d.case, d.scenario
    c = case.customers

    opt = d.options.assign(on=v[km.z] > 0.5)
    chosen = opt[opt["on"]].drop_duplicates("customer_id").set_index("customer_id")
    pairs = d.pairs.assign(on=v[km.x] > 0.5)
    lead = pairs[pairs["on"]].drop_duplicates("customer_id").set_index("customer_id")
    acts = d.acts.assign(on=v[km.a] > 0.5)
    acts = acts[acts["on"] & acts["customer_id"].isin(chosen.index)]

    acc = pd.DataFrame(index=c.index)
    acc["name"] = c["name"]
    acc["key_account"] = c.index.isin(chosen.index).astype(int)
    acc["level"] = chosen["level"].reindex(c.index).fillna("").astype(str)
    acc["manager_id"] = lead["manager_id"].reindex(c.index).fillna("").astype(str)
    act_list = acts.groupby("customer_id", sort=False)["activity_id"].agg(lambda s: ";".join(s))
    acc["activities"] = act_list.reindex(c.index).fillna("").astype(str)
    # the level's hours under the lead (pair_costs.csv's hours_factor or hours)
    factor = (lead["hours_factor"] if "hours_factor" in lead else pd.Series(1.0, index=lead.index))
    level_hours = (chosen["hours"].reindex(c.index).fillna(0.0)
                   * factor.reindex(c.index).fillna(1.0))
    act_hours = acts.groupby("customer_id")["kam_hours"].sum().reindex(c.index).fillna(0.0)
    acc["hours"] = level_hours + act_hours
    rate = d.managers["hourly_cost"].reindex(acc["manager_id"]).fillna(0.0).to_numpy()
    real = chosen["realization"].reindex(c.index).fillna(0.0)
    ka = acc["key_account"].to_numpy()
    acc["value_potential"] = c["margin"] * real * c["potential"]
    acc["value_retention"] = ka * c["margin"] * sc.retention * c["revenue"]
    acc["value_fit"] = (lead["fit"].reindex(c.index).fillna(False).astype(float)
                        * c["margin"] * sc.realization * sc.industry_fit * c["potential"])
    acc["value_continuity"] = lead["continuity"].reindex(c.index).fillna(False).astype(float) * sc.continuity_bonus
    acc["value_activities"] = acts.groupby("customer_id")["value"].sum().reindex(c.index).fillna(0.0)
    acc["cost_hours"] = rate * acc["hours"].to_numpy()
    acc["cost_activities"] = acts.groupby("customer_id")["cost"].sum().reindex(c.index).fillna(0.0)
    acc["cost_pair"] = lead["pair_cost"].reindex(c.index).fillna(0.0)
    acc["value"] = acc[["value_potential", "value_retention", "value_fit", "value_continuity",
                        "value_activities"]].sum(axis=1)
    acc["cost"] = acc["cost_hours"] + acc["cost_activities"] + acc["cost_pair"]
    acc["net"] = acc["value"] - acc["cost"]
    for col in ("revenue", "margin", "potential", "kam_hours", "tier", "industry", "region",
                "current_manager"):
        acc[col] = c[col]
    acc["status"] = d.customers["status"]
    acc["out_reason"] = d.customers["out_reason"]

    mg = d.managers
    mtab = pd.DataFrame(index=mg.index)
    mtab["name"] = mg["name"]
    mtab["role"] = mg["role"]
    mtab["seniority"] = mg["seniority"]
    mtab["capacity"] = mg["capacity"]
    mtab["min_hours"] = mg["min_hours"]
    ka_acc = acc[acc["key_account"] == 1]
    mtab["hours_used"] = ka_acc.groupby("manager_id")["hours"].sum().reindex(mg.index).fillna(0.0)
    mtab["utilisation"] = np.where(mtab["capacity"] > 0, mtab["hours_used"] / mtab["capacity"].where(mtab["capacity"] > 0, 1), 0.0)
    mtab["accounts"] = ka_acc.groupby("manager_id").size().reindex(mg.index).fillna(0).astype(int)
    mtab["key_accounts"] = (ka_acc.reset_index().groupby("manager_id")["customer_id"]
                            .agg(lambda s: ";".join(s)).reindex(mg.index).fillna("").astype(str))
    mtab["cost"] = mtab["hours_used"] * mg["hourly_cost"]

    dep = d.departments
    dtab = pd.DataFrame(index=pd.Index(dep.index, name="department"))
    dtab["capacity"] = dep.astype(float)
    dtab["hours_used"] = acts.groupby("department")["dept_hours"].sum().reindex(dtab.index).fillna(0.0)
    dtab["utilisation"] = np.where(dtab["capacity"] > 0, dtab["hours_used"] / dtab["capacity"].where(dtab["capacity"] > 0, 1), 0.0)
    dtab["activities"] = acts.groupby("department").size().reindex(dtab.index).fillna(0).astype(int)

    # key accounts led by someone other than the manager who serves them today
    changing = ((acc["key_account"] == 1) & (acc["current_manager"] != "")
                & (acc["manager_id"] != acc["current_manager"]))
    kpis = {
        "objective": float(acc["net"].sum()),
        "solver_objective": sol.objective,
        "bound": sol.bound,
        "mip_gap": 0.0 if sol.gap is None else float(sol.gap),
        "solver": sol.solver,
        "solve_seconds": sol.seconds,
        "stopped_by": sol.stopped_by or "gap",
        "key_accounts": int(acc["key_account"].sum()),
        "executive_accounts": int(mtab.loc[mtab["role"] == "executive", "accounts"].sum()),
        "hours_used": float(acc["hours"].sum()),
        "hours_available": float(mg["capacity"].sum()),
        "cost": float(acc["cost"].sum()),
        "value": float(acc["value"].sum()),
        "value_from_potential": float((acc["value_potential"] + acc["value_fit"]
                                       + acc["value_activities"]).sum()),
        "value_from_retention": float(acc["value_retention"].sum()),
        "value_from_continuity": float(acc["value_continuity"].sum()),
        "cost_pairs": float(acc["cost_pair"].sum()),
        "accounts_changing_hands": int(changing.sum()),
        "hours_changing_hands": float(acc.loc[changing, "kam_hours"].sum()),
        "revenue_changing_hands": float(acc.loc[changing, "revenue"].sum()),
        "activities_run": int(len(acts)),
        "customers": int(len(c)),
        "customers_in_model": int(d.customers["in_model"].sum()),
        "columns": km.lp.n_cols,
        "rows": km.lp.n_rows,
        **balance_kpis(acc, case, mg, sc),  # the spread of the loads (a scenario's balance)
    }
    return Plan(case, sc, sol.status, acc, mtab, dtab, kpis, model=km, solution=sol)


# ------------------------------------------------------------- verification
def _h(x: float) -> str:
    return f"{hours_text(x, ',.1f')} h"


def _pair_value(listed: dict, case: Case, managers: pd.DataFrame, cid: str, j: str,
                unlisted: float) -> float:
    """A pair's figure in ``listed`` (its yearly cost, its hours factor), ``unlisted`` if not
    there; a hire's from the manager its ``pair_costs_as`` names, or the average over the
    case's managers."""
    if j not in case.managers.index:  # a hire
        of = managers.at[j, "pair_costs_as"] if "pair_costs_as" in managers else ""
        if not of:
            return (sum(listed.get((cid, m), unlisted) for m in case.managers.index)
                    / len(case.managers))
        j = of
    return listed.get((cid, j), unlisted)


def _pair_factors(case: Case) -> dict:
    """Each listed pair's hours factor, read from ``pair_costs`` itself: its ``hours_factor``,
    or ``hours / kam_hours`` (pairs without either: factor 1, not listed)."""
    pc, c = case.pair_costs, case.customers
    out = {}
    for k, (i, j) in enumerate(zip(pc["customer_id"], pc["manager_id"], strict=True)):
        f = float(pc["hours_factor"].iat[k]) if "hours_factor" in pc else float("nan")
        h = float(pc["hours"].iat[k]) if "hours" in pc else float("nan")
        if f == f:
            out[(i, j)] = f
        elif h == h:
            kam = float(c.at[i, "kam_hours"])
            out[(i, j)] = h / kam if kam > 0 else 1.0
    return out


def changing_hands(acc: pd.DataFrame, case: Case) -> pd.Series:
    """Per customer, whether it changes hands in the plan ``acc``: a key account led by
    someone other than its ``current_manager`` of the case (read from the case, not the plan)."""
    cur = case.customers["current_manager"].reindex(acc.index).fillna("").astype(str)
    return ((acc["key_account"].astype(int) == 1) & (cur != "")
            & (acc["manager_id"].astype(str) != cur))


def disruption_of_plan(acc: pd.DataFrame, case: Case) -> dict[str, float]:
    """What changes hands in the plan ``acc``, in each measure of ``max_disruption``:
    ``{"accounts": n, "revenue": EUR a year, "hours": kam_hours}``."""
    on = changing_hands(acc, case)
    c = case.customers.reindex(acc.index)
    return {"accounts": float(on.sum()), "revenue": float(c.loc[on, "revenue"].sum()),
            "hours": float(c.loc[on, "kam_hours"].sum())}


def _figure(x: float) -> str:
    """A disruption figure: whole numbers with separators, small ones with their decimals.

    >>> _figure(1e6), _figure(3.0), _figure(0.1696)
    ('1,000,000', '3', '0.1696')
    """
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.4g}"


def disruption_violations(acc: pd.DataFrame, case: Case, scenario: Scenario) -> list[str]:
    """The scenario's ``max_disruption`` re-checked from the plan's leads and the case."""
    caps = scenario.disruption_caps
    if not caps:
        return []
    found = disruption_of_plan(acc, case)
    out = []
    for measure, cap in caps.items():
        if found[measure] > cap * (1 + 1e-9) + TOL:
            out.append(f"max_disruption.{measure}: {_figure(found[measure])} changing hands, "
                       f"at most {_figure(cap)} allowed")
    return out


def verify_plan(acc: pd.DataFrame, case: Case, scenario: Scenario, objective: float) -> list[str]:
    """Every constraint of spec section 3, re-checked from the plan's decisions."""
    out: list[str] = []
    c = case.customers
    sc = scenario
    managers = effective_managers(case, sc)
    status = effective_status(case, sc)
    if not acc.index.equals(c.index):
        return ["the plan does not have one row per customer of the case"]
    ka = acc["key_account"].astype(int) == 1
    mgr = acc["manager_id"].astype(str)
    lvl = acc["level"].astype(str)

    for cid in acc.index[(status == "must") & ~ka]:
        out.append(f"{cid} is 'must' but not a key account")
    for cid in acc.index[(status == "exclude") & ka]:
        out.append(f"{cid} is 'exclude' but a key account")
    for cid in acc.index[ka & (mgr == "")]:
        out.append(f"{cid} is a key account without a lead manager")
    for cid in acc.index[~ka & ((mgr != "") | (lvl != "") | (acc["activities"].astype(str) != ""))]:
        out.append(f"{cid} is not a key account but has a manager, level or activities")
    unknown = ka & ~mgr.isin(managers.index)
    for cid in acc.index[unknown & (mgr != "")]:
        out.append(f"{cid} is led by {mgr[cid]}, who is not available in this scenario")
    for cid, j in sc.leads:
        if cid in acc.index and ka[cid] and mgr[cid] != j:
            out.append(f"{cid} is led by {mgr[cid]}, but the scenario fixes its lead to {j}")
    for cid, j in sc.excluded_leads:
        if cid in acc.index and ka[cid] and mgr[cid] == j:
            out.append(f"{cid} is led by {j}, whom the scenario rules out as its lead")
    for cid, level in sc.coverage:
        if cid in acc.index and ka[cid] and lvl[cid] != level:
            out.append(f"{cid} has level '{lvl[cid]}', but the scenario fixes its coverage "
                       f"to '{level}'")
    for cid, k in sc.committed_activities:
        if cid in acc.index and ka[cid] and k not in str(acc.at[cid, "activities"]).split(";"):
            out.append(f"{cid} does not run {k}, which the scenario commits")
    led = ka & ~unknown
    sen = managers["seniority"].reindex(mgr[led]).to_numpy()
    for cid in acc.index[led][sen < c.loc[led, "tier"].to_numpy()]:
        out.append(f"{cid} (tier {c.at[cid, 'tier']}) is led by {mgr[cid]} of lower seniority")

    # hours and realised share per (customer, level) from the case, independently
    levels = {lv.name: lv for lv in sc.levels}
    resp = case.responses.set_index(["customer_id", "level"]) if len(case.responses) else None
    resp_ids = set(case.responses["customer_id"]) if len(case.responses) else set()
    acts = case.activities
    pair_cost = {(i, j): float(x) for i, j, x in zip(case.pair_costs["customer_id"],
                                                     case.pair_costs["manager_id"],
                                                     case.pair_costs["cost"], strict=True)}
    factors = _pair_factors(case)
    hours = pd.Series(0.0, index=c.index)
    value = pd.Series(0.0, index=c.index)
    cost = pd.Series(0.0, index=c.index)
    dept_use: dict[str, float] = {}
    total_act_cost = 0.0
    for cid in acc.index[ka]:
        row = c.loc[cid]
        level = lvl[cid]
        if cid in resp_ids:
            if (cid, level) not in resp.index:
                out.append(f"{cid} has level '{level}', which responses.csv does not give for it")
                continue
            r = resp.loc[(cid, level)]
            h, real = float(r["hours"]), float(r["realization"])
        elif level in levels:
            h = levels[level].hours_factor * row["kam_hours"]
            real = sc.realization * levels[level].realization_factor
        else:
            out.append(f"{cid} has unknown level '{level}'")
            continue
        v = row["margin"] * (real * row["potential"] + sc.retention * row["revenue"])
        j = mgr[cid]
        if j in managers.index:  # the level's hours under this lead
            h *= _pair_value(factors, case, managers, cid, j, unlisted=1.0)
        if j in managers.index:
            if row["industry"] and row["industry"] in managers.at[j, "industries"]:
                v += row["margin"] * sc.realization * sc.industry_fit * row["potential"]
            if row["current_manager"] == j:
                v += sc.continuity_bonus
        ids = [k for k in str(acc.at[cid, "activities"]).split(";") if k]
        if len(set(ids)) != len(ids):
            out.append(f"{cid} runs an activity twice")
        for k in ids:
            if k not in acts.index:
                out.append(f"{cid} runs unknown activity {k}")
                continue
            a = acts.loc[k]
            h += a["kam_hours"]
            v += row["margin"] * a["uplift"] * row["potential"]
            cost[cid] += a["cost"]
            total_act_cost += a["cost"]
            if a["department"]:
                dept_use[a["department"]] = dept_use.get(a["department"], 0.0) + a["dept_hours"]
        hours[cid] = h
        value[cid] = v
        if j in managers.index:
            cost[cid] += managers.at[j, "hourly_cost"] * h + _pair_value(
                pair_cost, case, managers, cid, j, unlisted=0.0)
    if not np.allclose(hours.to_numpy(), acc["hours"].to_numpy(float), rtol=1e-7, atol=1e-6):
        bad = acc.index[~np.isclose(hours.to_numpy(), acc["hours"].to_numpy(float), rtol=1e-7, atol=1e-6)]
        out.append(f"hours differ from the case's for {', '.join(map(str, bad[:5]))}")
    used = hours[ka].groupby(mgr[ka]).sum()
    for j, u in used.items():
        if j in managers.index and u > managers.at[j, "capacity"] * (1 + 1e-9) + TOL:
            out.append(f"capacity[{j}]: {_h(u)} planned, {_h(managers.at[j, 'capacity'])} available")
    for j, least in managers["min_hours"].items():
        u = float(used.get(j, 0.0))
        if least > 0 and u < least * (1 - 1e-9) - TOL:
            out.append(f"min_workload[{j}]: {_h(u)} planned, at least {_h(least)} required")
    deps = case.departments["capacity_hours"] if len(case.departments) else pd.Series(dtype=float)
    for dname, u in dept_use.items():
        cap = float(deps.get(dname, np.inf))
        if u > cap * (1 + 1e-9) + TOL:
            out.append(f"department[{dname}]: {_h(u)} planned, {_h(cap)} available")
    total_cost = float(cost.sum())
    if sc.budget is not None and total_cost > sc.budget * (1 + 1e-9) + TOL:
        out.append(f"budget: {total_cost:,.0f} EUR planned, {sc.budget:,.0f} EUR allowed")
    n = int(ka.sum())
    if sc.min_key_accounts is not None and n < sc.min_key_accounts:
        out.append(f"key_account_count: {n} < min_key_accounts {sc.min_key_accounts}")
    if sc.max_key_accounts is not None and n > sc.max_key_accounts:
        out.append(f"key_account_count: {n} > max_key_accounts {sc.max_key_accounts}")
    out += disruption_violations(acc, case, sc)
    out += band_violations(acc, case, managers, sc, used)  # max_hours/max_share, balance
    recomputed = float((value - cost).sum())
    if abs(recomputed - objective) > 1e-6 * max(1.0, abs(recomputed)) + 1e-4:
        out.append(f"objective: plan states {objective:,.2f}, the case gives {recomputed:,.2f}")
    return out

