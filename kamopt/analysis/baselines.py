"""Rules of thumb: the plans a sales board would make without optimisation.

Each rule decides, like the optimised plan, *which* customers become key
accounts, at *what* coverage level, with *which* activities and *who* leads
them, and is then evaluated with the same objective and checked against the
same constraints. Three rules:

``today``      today's coverage: every customer with a ``current_manager``,
               led by that manager when the rules allow (seniority, capacity),
               otherwise by the eligible manager with most free hours;
               largest revenue first when hours run out.
``revenue``    the top N customers by revenue.
``potential``  the top N customers by cross-selling potential.

How a rule is filled (greedy, in the rule's order, ``must`` customers first,
``exclude`` customers never): each account gets the ``standard`` level, or
when that does not fit the heaviest lighter level that does, with the eligible
manager (seniority >= tier, available in the scenario) who has most free hours
(the current manager first for ``today``); an account that fits nowhere is
skipped and the next one tried, until N accounts are placed. The budget, if
any, counts every hour and activity. Then, in the same order, each account
gets the activities that pay for themselves at its manager's hourly rate
(``margin * uplift * potential > cost + kam_hours * rate``), best first,
while the manager's, the department's hours and the budget allow.
N defaults to the number of key accounts of the optimised plan.

Managers with a minimum workload (``min_hours``) are then balanced before the
activities are added, as a board keeping a workload band would: a manager
below the minimum takes over the account of another manager (who stays at or
above its own minimum) that closes the shortfall with the fewest hours, or the
largest that fits; when no account can move, the next customer of the rule's
ranking that the manager may lead becomes a key account (``today`` has no
further customers to add). A minimum the rule still cannot reach makes the
rule fail with :class:`BaselineError`, naming it.

How a rule is evaluated (choice documented here): its decisions are fixed as
bounds on the model's columns (``z``, ``x``, ``a`` fixed to 0 or 1) of the
*unpruned* model of the same case and scenario (a rule may pick a customer that
cannot pay for its hours; the optimiser's pruning would drop it), the LP that
is left (only the hour-carrying splits ``g``, ``q``, which the fixed decisions
determine) is solved, and the result is read with :func:`kamopt.planning.oneyear.read_plan`.
So a rule of thumb is a :class:`~kamopt.planning.oneyear.Plan` with the same tables,
figures and charts as the optimised plan, and :meth:`~kamopt.planning.oneyear.Plan.verify`
re-checks it independently from the case (the tests require no violation).

:func:`value_bridge` splits the difference between a rule and the optimised
plan into steps that add up exactly, computed with :func:`account_economics`,
a pandas evaluation of the spec's formulas that is independent of the model.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kamopt.analysis.greedy import GREEDY, GREEDY_LABEL, greedy_decisions
from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.errors import BaselineError
from kamopt.i18n import N_
from kamopt.model.oneyear import build
from kamopt.model.prepare import (
    ModelData,
    coverage_options,
    effective_managers,
    pair_costs,
    pair_factor,
    pair_hours_factors,
    prepare,
)
from kamopt.planning.oneyear import Plan, read_plan, verify_plan

__all__ = [
    "RULES",
    "account_economics",
    "baselines",
    "best_baseline",
    "comparison",
    "decision_split",
    "greedy_plan",
    "plan_from_decisions",
    "rule_of_thumb",
    "value_bridge",
]

#: rule name -> label used in tables and charts (``{n}`` is filled in)
RULES = {
    "today": N_("today's coverage"),
    "revenue": N_("top {n} by revenue"),
    "potential": N_("top {n} by potential"),
}

_TOL = 1e-9


# ----------------------------------------------------------------- the rules
def rule_of_thumb(case: Case, scenario: Scenario | None = None, rule: str = "revenue",
                  n: int | None = None, *, data: ModelData | None = None) -> Plan:
    """The plan a rule of thumb gives, evaluated like the optimised plan.

    Parameters
    ----------
    case, scenario : the same inputs as :func:`kamopt.planning.oneyear.plan`.
    rule : ``"today"``, ``"revenue"`` or ``"potential"`` (see the module docs).
    n : number of key accounts for the top-N rules (required for them);
        ``today`` takes every customer served today unless ``n`` caps it.
    data : the unpruned :class:`~kamopt.model.prepare.ModelData` of (case, scenario),
        to share it between rules.

    Returns
    -------
    Plan
        ``status`` is ``"rule of thumb"``; ``kpis`` add ``rule`` (the label),
        ``wanted`` (accounts the rule asked for), ``skipped`` (those that fit
        nowhere) and ``reassigned`` (``today``: customers not led by their
        current manager).
    """
    scenario = scenario or Scenario()
    if rule not in RULES:
        raise ValueError(f"The 'rule' parameter of rule_of_thumb must be one of "
                         f"{', '.join(map(repr, RULES))}. Got {rule!r} instead.")
    d = data if data is not None else prepare(case, scenario, prune=False)
    c = case.customers
    if rule == "today":
        served = c.index[c["current_manager"].astype(str) != ""]
        order = _ranked(c.loc[served], "revenue")
        target = len(order) if n is None else int(n)
    else:
        if n is None:
            raise ValueError(f"The 'n' parameter of rule_of_thumb must be given for rule "
                             f"{rule!r} (e.g. the optimised plan's number of key accounts).")
        order = _ranked(c, rule)
        target = int(n)
    if target < 0:
        raise ValueError(f"The 'n' parameter of rule_of_thumb must be >= 0. Got {n!r} instead.")
    decisions, info = _greedy(d, order, target, prefer_current=(rule == "today"))
    label = RULES[rule].format(n=target)
    result = plan_from_decisions(case, scenario, decisions, label=label, data=d)
    result.kpis.update(rule=label, rule_key=rule, rule_target=target, **info)
    return result


def baselines(plan: Plan, n: int | None = None,
              rules: tuple[str, ...] = ("today", "revenue", "potential", "greedy"), *,
              failed: dict | None = None) -> dict[str, Plan]:
    """Every rule of thumb for the case and scenario of ``plan``, by label, and the greedy.

    ``"greedy"`` is the strong baseline of :mod:`kamopt.analysis.greedy`
    (greedy by net value per KAM hour, repaired), labelled
    :data:`~kamopt.analysis.greedy.GREEDY_LABEL`.

    ``n`` defaults to the plan's number of key accounts. A rule that cannot
    be filled raises :class:`BaselineError`; with a dict as ``failed`` it is
    left out instead and recorded there (label -> the error's message), so
    that a report can compare with the rules that can be filled and say why
    the others cannot.
    """
    n = plan.kpis["key_accounts"] if n is None else n
    d = prepare(plan.case, plan.scenario, prune=False)
    out = {}
    for rule in rules:
        try:
            if rule == "greedy":
                p = greedy_plan(plan.case, plan.scenario, data=d)
            else:
                p = rule_of_thumb(plan.case, plan.scenario, rule, None if rule == "today" else n,
                                  data=d)
        except BaselineError as err:
            if failed is None:
                raise
            failed[_label(rule, n)] = str(err)
            continue
        out[p.kpis["rule"]] = p
    return out


def _label(rule: str, n) -> str:
    return GREEDY_LABEL if rule == GREEDY else RULES[rule].format(n=n)


def greedy_plan(case: Case, scenario: Scenario | None = None, *,
                data: ModelData | None = None) -> Plan:
    """The strong baseline (:mod:`kamopt.analysis.greedy`), evaluated like a rule of thumb.

    ``kpis`` add ``rule`` (:data:`~kamopt.analysis.greedy.GREEDY_LABEL`),
    ``rule_key`` (``"greedy"``) and ``moves`` (the repair's improving moves).
    Raises :class:`BaselineError` when a ``must`` customer fits nowhere or the
    result breaks a rule (e.g. a minimum workload no move can reach).
    """
    scenario = scenario or Scenario()
    d = data if data is not None else prepare(case, scenario, prune=False)
    decisions, info = greedy_decisions(d, _balance, _preferred_level(scenario))
    result = plan_from_decisions(case, scenario, decisions, label=GREEDY_LABEL, data=d)
    result.kpis.update(rule=GREEDY_LABEL, rule_key=GREEDY, **info)
    return result


def best_baseline(rules: dict[str, Plan]) -> Plan:
    """The baseline with the highest net contribution (the strongest, to lead with)."""
    return max(rules.values(), key=lambda p: p.objective)


def comparison(plan: Plan, rules: dict[str, Plan]) -> pd.DataFrame:
    """Optimised vs rules of thumb: one row per plan, the optimised first.

    Columns: ``net`` (the objective, EUR a year), ``value``, ``cost``,
    ``key_accounts``, ``hours_used``, ``activities``, ``uplift_eur`` (the
    optimised plan's net minus this row's) and ``uplift_pct`` (as a fraction
    of this row's net, NaN when it is 0), ``violations`` (constraints broken,
    re-checked by :func:`kamopt.planning.oneyear.verify_plan`; 0 for every row).
    """
    rows = []
    for name, p in [("optimised", plan), *rules.items()]:
        v = verify_plan(p.accounts, p.case, p.scenario, p.objective)
        up = plan.objective - p.objective
        rows.append({
            "plan": name,
            "net": p.objective,
            "value": p.kpis["value"],
            "cost": p.kpis["cost"],
            "key_accounts": p.kpis["key_accounts"],
            "hours_used": p.kpis["hours_used"],
            "activities": p.kpis["activities_run"],
            "uplift_eur": up,
            "uplift_pct": up / abs(p.objective) if abs(p.objective) > 1e-9 else math.nan,
            "violations": len(v),
        })
    return pd.DataFrame(rows).set_index("plan")


def _ranked(customers: pd.DataFrame, by: str) -> list:
    """Customer ids by ``by`` descending; ties by id, so the order never depends on file order."""
    t = customers[[by]].assign(_id=customers.index.astype(str))
    return list(t.sort_values([by, "_id"], ascending=[False, True], kind="stable").index)


def _preferred_level(scenario: Scenario) -> str:
    """``standard`` if the scenario has it, else the level with hours factor nearest 1."""
    names = scenario.level_names
    if "standard" in names:
        return "standard"
    return min(scenario.levels, key=lambda lv: abs(lv.hours_factor - 1.0)).name


def _greedy(d: ModelData, order: list, target: int, prefer_current: bool):
    """Fill a rule's ranking greedily; returns (decisions, info)."""
    sc, case = d.scenario, d.case
    mg = d.managers
    free = mg["capacity"].astype(float).to_dict()
    rate = mg["hourly_cost"].astype(float).to_dict()
    dept_free = d.departments.astype(float).to_dict()
    budget_left = math.inf if sc.budget is None else float(sc.budget)
    if sc.max_key_accounts is not None:
        target = min(target, sc.max_key_accounts)
    if sc.min_key_accounts is not None:
        target = max(target, sc.min_key_accounts)

    in_model = set(d.model_customers)
    status = d.customers["status"]
    must = [cid for cid in d.model_customers if status[cid] == "must"]
    order = [cid for cid in order if cid in in_model and status[cid] != "must"]
    wanted = len(must) + min(max(target - len(must), 0), len(order))
    options = {cid: g[["level", "hours"]] for cid, g in d.options.groupby("customer_id", sort=False)}
    eligible = {cid: list(g) for cid, g in d.pairs.groupby("customer_id", sort=False)["manager_id"]}
    pair_cost = dict(zip(zip(d.pairs["customer_id"], d.pairs["manager_id"], strict=True),
                         d.pairs["pair_cost"], strict=True))
    # a level's hours under lead j are its hours times the pair's hours factor (pair_costs.csv)
    factor = dict(zip(zip(d.pairs["customer_id"], d.pairs["manager_id"], strict=True),
                      pair_factor(d.pairs), strict=True))
    current = case.customers["current_manager"].astype(str)
    pref = _preferred_level(sc)

    # activities the scenario commits: they come with their account, whatever they earn
    acts_of = d.acts.set_index(["customer_id", "activity_id"])
    committed = {cid: acts_of.loc[[(cid, k) for k in ks]]
                 for cid, ks in sc.committed_of.items() if cid in in_model}
    chosen: dict = {}  # cid -> [level, manager, hours (with committed activities)]
    skipped = 0
    for cid in must + order:
        is_must = status[cid] == "must"
        if not is_must and len(chosen) >= target:
            break
        com = committed.get(cid)
        com_hours = float(com["kam_hours"].sum()) if com is not None else 0.0
        com_cost = float(com["cost"].sum()) if com is not None else 0.0
        com_dept = (com[com["department"].astype(str) != ""].groupby("department")[
            "dept_hours"].sum().to_dict() if com is not None else {})
        if any(h > dept_free.get(dep, math.inf) + _TOL for dep, h in com_dept.items()):
            raise BaselineError(f"The rule of thumb cannot run the activities committed for "
                                f"{cid}: a department has not the hours left.")
        o = options[cid]
        std = o[o["level"] == pref]
        top = float(std["hours"].iloc[0]) if len(std) else float(o["hours"].median())
        lighter = o[(o["hours"] < top - _TOL) | (o["level"] == pref)].sort_values(
            "hours", ascending=False, kind="stable")
        ladder = list(lighter.itertuples(index=False))
        if is_must:  # a must account takes any level that fits
            ladder += [r for r in o.sort_values("hours", kind="stable").itertuples(index=False)
                       if r not in ladder]
        cur = current.get(cid, "")
        placed = None
        for lv in ladder:
            ms = sorted(eligible[cid], key=lambda j: (-free[j], str(j)))
            if prefer_current and cur in ms:
                ms = [cur] + [j for j in ms if j != cur]
            for j in ms:
                hours = lv.hours * factor[cid, j] + com_hours
                cost = rate[j] * hours + pair_cost[cid, j] + com_cost
                if hours <= free[j] + _TOL and cost <= budget_left + _TOL:
                    placed = (lv.level, j, hours)
                    break
            if placed:
                break
        if placed is None:
            if is_must:
                raise BaselineError(f"The rule of thumb cannot place 'must' customer {cid}: "
                                    "no eligible manager has the hours (or the budget is spent).")
            skipped += 1
            continue
        level, j, hours = placed
        free[j] -= hours
        budget_left -= rate[j] * hours + pair_cost[cid, j] + com_cost
        for dep, h in com_dept.items():
            dept_free[dep] = dept_free.get(dep, math.inf) - h
        chosen[cid] = [level, j, hours]

    lows = mg["min_hours"].astype(float)  # prepare gives every manager one (default 0)
    lows = lows[lows > _TOL].to_dict()
    balanced = added = 0
    if lows:  # managers' minimum workloads: move accounts to them, then add the next ones
        rest = [cid for cid in order if cid not in chosen]
        budget_left, balanced, added = _balance(
            chosen, free, budget_left, lows, mg["capacity"].astype(float).to_dict(),
            eligible, rate, pair_cost, rest, options, pref,
            math.inf if sc.max_key_accounts is None else sc.max_key_accounts, factor)
    reassigned = sum(prefer_current and current.get(cid, "") not in ("", j)
                     for cid, (_, j, _) in chosen.items())

    # activities that pay at the lead manager's rate, best first, within every capacity
    acts = d.acts[d.acts["customer_id"].isin(chosen.keys())]
    by_cust = {cid: g for cid, g in acts.groupby("customer_id", sort=False)}
    run: dict = {cid: list(committed[cid].index.get_level_values("activity_id"))
                 if cid in committed else [] for cid in chosen}
    for cid, (_, j, _) in chosen.items():
        a = by_cust.get(cid)
        if a is None:
            continue
        a = a[~a["activity_id"].isin(run[cid])]
        net = a["value"] - a["cost"] - rate[j] * a["kam_hours"]
        a = a.assign(_net=net)[net > _TOL]
        a = a.sort_values(["_net", "activity_id"], ascending=[False, True], kind="stable")
        for r in a.itertuples(index=False):
            dep = str(r.department)
            spend = r.cost + rate[j] * r.kam_hours
            if r.kam_hours > free[j] + _TOL or spend > budget_left + _TOL:
                continue
            if dep and r.dept_hours > dept_free.get(dep, math.inf) + _TOL:
                continue
            free[j] -= r.kam_hours
            budget_left -= spend
            if dep:
                dept_free[dep] = dept_free.get(dep, math.inf) - r.dept_hours
            run[cid].append(r.activity_id)

    decisions = pd.DataFrame(
        {"level": [v[0] for v in chosen.values()],
         "manager_id": [v[1] for v in chosen.values()],
         "activities": [";".join(run[cid]) for cid in chosen]},
        index=pd.Index(list(chosen), name="customer_id"))
    return decisions, {"wanted": wanted, "skipped": skipped, "reassigned": reassigned,
                       "balanced": balanced, "added_for_minimums": added}


def _balance(chosen: dict, free: dict, budget_left: float, lows: dict, capacity: dict,
             eligible: dict, rate: dict, pair_cost: dict, rest: list, options: dict,
             pref: str, most: float, factor: dict | None = None) -> tuple[float, int, int]:
    """Bring every manager up to its minimum workload, as a board balancing workloads would.

    For a manager below its minimum, in turn: move to it the account of
    another manager (who stays at or above its own minimum) that closes the
    shortfall with the fewest hours, or, if none closes it, the one with most
    hours that fits; when no move is left, make the next customer of the
    rule's ranking (``rest``) that the manager may lead a key account, at the
    preferred level or the heaviest that fits (while there are fewer than
    ``most`` key accounts). Mutates ``chosen`` and ``free``;
    returns (budget left, accounts moved, accounts added). What is still
    below a minimum afterwards is reported when the rule is evaluated.
    """
    moved = added = 0
    load = lambda j: capacity[j] - free[j]  # noqa: E731
    f = (lambda cid, j: factor.get((cid, j), 1.0)) if factor else (lambda cid, j: 1.0)  # noqa: E731

    def on(cid, level, k, h, j):  # the account's hours h on k, when j leads it instead
        if f(cid, j) == f(cid, k):
            return h
        o = options[cid]
        lh = float(o.loc[o["level"] == level, "hours"].iloc[0])
        return h + lh * (f(cid, j) - f(cid, k))

    for j in sorted(lows, key=str):
        while lows[j] - load(j) > _TOL:
            short = lows[j] - load(j)
            best = None
            for cid, (level, k, h) in chosen.items():
                if k == j or j not in eligible[cid]:
                    continue
                hj = on(cid, level, k, h, j)
                if hj > free[j] + _TOL or load(k) - h < lows.get(k, 0.0) - _TOL:
                    continue
                extra = rate[j] * hj - rate[k] * h + pair_cost[cid, j] - pair_cost[cid, k]
                if extra > budget_left + _TOL:
                    continue
                key = (0, hj, str(cid)) if hj >= short - _TOL else (1, -hj, str(cid))
                if best is None or key < best[0]:
                    best = (key, cid, k, h, extra, hj)
            if best is not None:
                _, cid, k, h, extra, hj = best
                chosen[cid][1] = j
                chosen[cid][2] = hj
                free[k] += h
                free[j] -= hj
                budget_left -= extra
                moved += 1
                continue
            new = None
            for cid in rest if len(chosen) < most else ():
                if cid in chosen or j not in eligible[cid]:
                    continue
                o = options[cid]
                o = o.assign(hours=o["hours"] * f(cid, j))  # under j
                fits = o[(o["hours"] <= free[j] + _TOL)
                         & (rate[j] * o["hours"] + pair_cost[cid, j] <= budget_left + _TOL)]
                if len(fits):
                    lv = fits[fits["level"] == pref]
                    lv = (lv if len(lv) else fits.sort_values("hours", ascending=False,
                                                               kind="stable")).iloc[0]
                    new = (cid, str(lv["level"]), float(lv["hours"]))
                    break
            if new is None:
                break  # this minimum cannot be reached by the rule: said when it is evaluated
            cid, level, h = new
            chosen[cid] = [level, j, h]
            free[j] -= h
            budget_left -= rate[j] * h + pair_cost[cid, j]
            added += 1
    return budget_left, moved, added


# ------------------------------------------------------- evaluate decisions
def plan_from_decisions(case: Case, scenario: Scenario, decisions: pd.DataFrame, *,
                        label: str = "fixed decisions", data: ModelData | None = None) -> Plan:
    """A :class:`Plan` from given decisions, by fixing them in the model and solving.

    ``decisions`` has one row per key account (index ``customer_id``) with
    ``level``, ``manager_id`` and ``activities`` (ids joined by ``;``). Every
    other customer is not a key account. The decisions become bounds of the
    binary columns of the unpruned model; the LP left determines the hours,
    and :func:`kamopt.planning.oneyear.read_plan` reads it like any plan.

    Raises
    ------
    ValueError
        A decision the model has no column for (an unknown level, a manager who
        is not eligible or not available, an activity that can never pay).
    BaselineError
        The decisions break a constraint (capacity, budget, ...).
    """
    from kamopt.solve.backend import highs_model, run_highs, set_col_bounds, solve

    d = data if data is not None else prepare(case, scenario, prune=False)
    km = build(d)
    arr = km.lp.arrays()
    lb, ub = arr["lb"].copy(), arr["ub"].copy()
    dec = decisions.copy()
    dec.index = dec.index.astype(str)

    def fix(cols: np.ndarray, keys: pd.MultiIndex, wanted: pd.MultiIndex, what: str) -> None:
        missing = wanted.difference(keys)
        if len(missing):
            shown = ", ".join("/".join(map(str, m)) for m in list(missing)[:5])
            raise ValueError(f"The 'decisions' parameter of plan_from_decisions names {what} "
                             f"the model does not offer: {shown}.")
        on = keys.isin(wanted).astype(float)
        lb[cols] = on
        ub[cols] = on

    out_of_model = dec.index.difference(d.model_customers)
    if len(out_of_model):
        cid = out_of_model[0]
        why = (d.customers.at[cid, "out_reason"] if cid in d.customers.index
               else "not a customer of the case")
        raise ValueError(f"The 'decisions' parameter of plan_from_decisions makes {cid} a key "
                         f"account, which it cannot be: {why or 'not in the model'}.")
    fix(km.z, pd.MultiIndex.from_frame(d.options[["customer_id", "level"]]),
        pd.MultiIndex.from_arrays([dec.index, dec["level"].astype(str)]), "levels")
    fix(km.x, pd.MultiIndex.from_frame(d.pairs[["customer_id", "manager_id"]]),
        pd.MultiIndex.from_arrays([dec.index, dec["manager_id"].astype(str)]), "lead managers")
    acts = dec["activities"].fillna("").astype(str).str.split(";").explode()
    acts = acts[acts != ""]
    fix(km.a, pd.MultiIndex.from_frame(d.acts[["customer_id", "activity_id"]]),
        pd.MultiIndex.from_arrays([acts.index, acts.to_numpy()]), "activities")

    if km.lp.n_cols == 0:  # nobody can be a key account: the empty plan
        sol = solve(km.lp, relax=True)
    else:
        h = highs_model(km.lp, relax=True)
        set_col_bounds(h, None, lb, ub)  # every column
        sol = run_highs(h, time_limit=max(d.scenario.time_limit, 60.0), mip_gap=0.0,
                        is_mip=False)
    if not sol.ok:
        violations = _violations_of(case, scenario, dec)
        raise BaselineError(f"The decisions of '{label}' break the plan's rules: "
                            + ("; ".join(violations[:5]) or sol.message))
    result = read_plan(km, sol)
    result.status = "rule of thumb"
    result.kpis.update(mip_gap=0.0, bound=result.objective, solver_objective=sol.objective)
    return result


def _violations_of(case: Case, scenario: Scenario, dec: pd.DataFrame) -> list[str]:
    econ = account_economics(case, scenario, dec)
    acc = pd.DataFrame(index=case.customers.index)
    acc["key_account"] = acc.index.isin(dec.index).astype(int)
    for col in ("level", "manager_id", "activities"):
        acc[col] = dec[col].astype(str).reindex(acc.index, fill_value="")
    acc["hours"] = econ["hours"].reindex(acc.index).fillna(0.0)
    return verify_plan(acc, case, scenario, float(econ["net"].sum()))


# -------------------------------------------------- economics of decisions
def account_economics(case: Case, scenario: Scenario, decisions: pd.DataFrame) -> pd.DataFrame:
    """Value, cost, net and hours a year of each decided account, from the spec's formulas.

    Independent of the model: coverage hours and realised share come from
    :func:`kamopt.model.prepare.coverage_options` (levels or responses.csv), the
    rest from the case's tables. ``decisions`` as in
    :func:`plan_from_decisions`; capacity is not checked (a step of a value
    bridge need not be a feasible plan).

    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([{"customer_id": "A", "revenue": 1e6, "margin": 0.3,
    ...                    "potential": 1e6, "kam_hours": 100}],
    ...                  [{"manager_id": "M1", "capacity_hours": 500, "hourly_cost": 100}])
    >>> dec = pd.DataFrame({"level": ["standard"], "manager_id": ["M1"], "activities": [""]},
    ...                    index=pd.Index(["A"], name="customer_id"))
    >>> account_economics(case, Scenario(), dec)[["value", "cost", "net"]].round(0)
    ... # doctest: +NORMALIZE_WHITESPACE
                    value     cost      net
    customer_id
    A            105000.0  10000.0  95000.0
    """
    sc = scenario
    dec = decisions
    cols = ["value", "cost", "net", "hours"]
    if len(dec) == 0:
        return pd.DataFrame({k: pd.Series(dtype=float) for k in cols},
                            index=pd.Index([], name="customer_id"))
    ids = pd.Index(dec.index.astype(str).unique())
    opts = coverage_options(case, sc, ids).set_index(["customer_id", "level"])
    key = pd.MultiIndex.from_arrays([dec.index.astype(str), dec["level"].astype(str)])
    unknown = key.difference(opts.index)
    if len(unknown):
        raise ValueError("The 'decisions' parameter of account_economics names levels the "
                         f"customers do not have: {', '.join('/'.join(k) for k in unknown[:5])}.")
    hours = opts["hours"].reindex(key).to_numpy(float)
    real = opts["realization"].reindex(key).to_numpy(float)
    c = case.customers.loc[dec.index]
    m, P, R = (c[k].to_numpy(float) for k in ("margin", "potential", "revenue"))
    mg = effective_managers(case, sc)
    j = dec["manager_id"].astype(str).to_numpy()
    known = np.isin(j, mg.index)
    if not known.all():
        raise ValueError("The 'decisions' parameter of account_economics names managers not "
                         f"available in the scenario: {', '.join(sorted(set(j[~known])))}.")
    ind = c["industry"].astype(str).to_numpy()
    fit = np.array([bool(i) and i in mg.at[jj, "industries"] for i, jj in zip(ind, j, strict=True)])
    cont = c["current_manager"].astype(str).to_numpy() == j
    value = (m * (real * P + sc.retention * R) + fit * m * sc.realization * sc.industry_fit * P
             + cont * sc.continuity_bonus)
    acts = dec["activities"].fillna("").astype(str).str.split(";")
    a = case.activities
    act_val = np.zeros(len(dec))
    act_cost = np.zeros(len(dec))
    act_hours = np.zeros(len(dec))
    for r, ids_ in enumerate(acts):
        ks = [k for k in ids_ if k]
        if ks:
            sel = a.loc[ks]
            act_val[r] = m[r] * P[r] * sel["uplift"].sum()
            act_cost[r] = sel["cost"].sum()
            act_hours[r] = sel["kam_hours"].sum()
    rate = mg["hourly_cost"].reindex(j).to_numpy(float)
    pairs = pd.DataFrame({"customer_id": dec.index.astype(str), "manager_id": j})
    pc = pair_costs(case, pairs, mg)
    total_hours = hours * pair_hours_factors(case, pairs, mg) + act_hours  # the level's, under j
    out = pd.DataFrame(index=pd.Index(dec.index.astype(str), name="customer_id"))
    out["value"] = value + act_val
    out["cost"] = rate * total_hours + act_cost + pc
    out["net"] = out["value"] - out["cost"]
    out["hours"] = total_hours
    return out


def _decisions(p: Plan) -> pd.DataFrame:
    ka = p.accounts[p.accounts["key_account"] == 1]
    return ka[["level", "manager_id", "activities"]].copy()


# ------------------------------------------------------------- value bridge
BRIDGE_STEPS = (
    (N_("customers dropped"), "key accounts of the rule that the optimised plan leaves out"),
    (N_("customers added"), "key accounts of the optimised plan that the rule leaves out"),
    (N_("coverage levels"), "accounts in both plans: the optimised plan's level instead of the rule's"),
    (N_("activities"), "accounts in both plans: the optimised plan's activities instead of the rule's"),
    (N_("manager assignment"), "accounts in both plans: the optimised plan's lead manager"),
)


def value_bridge(baseline: Plan, optimised: Plan) -> pd.DataFrame:
    """From a rule of thumb's net contribution to the optimised plan's, in steps that add up.

    The steps, for the customers that are key accounts in both plans applied
    one after the other (so they telescope exactly):

    1. *customers dropped*: minus the net of the rule's key accounts the
       optimised plan does not have;
    2. *customers added*: plus the net of the optimised plan's key accounts the
       rule does not have;
    3. *coverage levels*: the optimised level, keeping the rule's manager and
       activities;
    4. *activities*: then the optimised activities;
    5. *manager assignment*: then the optimised lead manager.

    Returns a frame with ``step``, ``amount`` (EUR a year; for the two totals
    the level), ``kind`` (``"total"`` or ``"change"``), ``customers`` (how
    many accounts the step touches) and ``meaning``. ``amount`` of the last
    total equals the first total plus the changes.
    """
    if baseline.case is not optimised.case and not baseline.case.customers.index.equals(
            optimised.case.customers.index):
        raise ValueError("The 'baseline' and 'optimised' parameters of value_bridge must be "
                         "plans of the same case.")
    case, sc = optimised.case, optimised.scenario
    b, o = _decisions(baseline), _decisions(optimised)
    nb = account_economics(case, sc, b)["net"]
    no = account_economics(case, sc, o)["net"]
    common = b.index.intersection(o.index)
    dropped = b.index.difference(o.index)
    added = o.index.difference(b.index)
    s0 = b.loc[common]
    s1 = s0.assign(level=o.loc[common, "level"])
    s2 = s1.assign(activities=o.loc[common, "activities"])
    s3 = s2.assign(manager_id=o.loc[common, "manager_id"])
    n0, n1, n2, n3 = (account_economics(case, sc, s)["net"] for s in (s0, s1, s2, s3))

    def changed(a: pd.DataFrame, z: pd.DataFrame, col: str) -> int:
        return int((a[col].astype(str) != z[col].astype(str)).sum())

    start = float(nb.sum())
    changes = [
        -float(nb.loc[dropped].sum()),
        float(no.loc[added].sum()),
        float((n1 - n0).sum()),
        float((n2 - n1).sum()),
        float((n3 - n2).sum()),
    ]
    touched = [len(dropped), len(added), changed(s0, s1, "level"),
               changed(s1, s2, "activities"), changed(s2, s3, "manager_id")]
    rows = [{"step": baseline.kpis.get("rule", "rule of thumb"), "amount": start, "kind": "total",
             "customers": len(b), "meaning": "net contribution of the rule of thumb"}]
    for (name, meaning), amount, k in zip(BRIDGE_STEPS, changes, touched, strict=True):
        rows.append({"step": name, "amount": amount + 0.0, "kind": "change", "customers": k,  # no -0
                     "meaning": meaning})
    rows.append({"step": "optimised plan", "amount": start + sum(changes), "kind": "total",
                 "customers": len(o), "meaning": "net contribution of the optimised plan"})
    out = pd.DataFrame(rows)
    out.attrs["baseline"] = baseline.kpis.get("rule", "rule of thumb")
    out.attrs["baseline_objective"] = baseline.objective
    out.attrs["optimised_objective"] = optimised.objective
    return out


#: the decision kinds of :func:`decision_split`, in the bridge's order: (name, bridge steps)
DECISIONS = (
    (N_("Which customers are key accounts"), ("customers dropped", "customers added")),
    (N_("Coverage levels"), ("coverage levels",)),
    (N_("Activities"), ("activities",)),
    (N_("Who leads them"), ("manager assignment",)),
)


def decision_split(bridge: pd.DataFrame) -> pd.DataFrame:
    """The gain of a :func:`value_bridge` by the board's four decisions; they add up to it.

    The bridge switches the baseline to the optimised plan one decision kind
    at a time in a fixed order (the customers first, then, for the accounts
    both have, the level, the activities and the lead), each step valued with
    the plan's objective terms (:func:`account_economics`); this sums its
    steps by decision. Columns ``decision``, ``gain`` (EUR a year),
    ``customers`` (accounts the decision changes) and ``share`` (of the
    total gain; NaN when it is 0). ``attrs`` keep the bridge's.
    """
    steps = bridge[bridge["kind"] == "change"].set_index("step")
    rows = [{"decision": name, "gain": float(steps.loc[list(keys), "amount"].sum()) + 0.0,
             "customers": int(steps.loc[list(keys), "customers"].sum())}
            for name, keys in DECISIONS]
    out = pd.DataFrame(rows)
    total = float(out["gain"].sum())
    out["share"] = out["gain"] / total if abs(total) > 1e-9 else math.nan
    out.attrs.update(bridge.attrs)
    return out
