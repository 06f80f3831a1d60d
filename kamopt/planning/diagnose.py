"""Why a scenario cannot be met, in the user's terms.

:func:`precheck` catches the common causes before the solver runs (``must``
accounts that need more hours, money or places than there are), each with
the amount it is short by. When the solver still proves a scenario
infeasible, :func:`explain_infeasible` finds a minimal set of requirement
groups that conflict (a deletion filter over the groups: manager capacity,
minimum workloads, department capacity, budget, the number of key accounts, the ``must``
accounts) and, where a group is one number (budget, bounds), how far it would
have to move.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.errors import InfeasibleError, Shortfall
from kamopt.model.oneyear import KamModel
from kamopt.model.prepare import (
    coverage_options,
    effective_managers,
    effective_status,
    hours_factor_range,
)
from kamopt.planning.balance import balance_shortfall, band_shortfalls
from kamopt.units import hours as hours_text


def _h(x: float) -> str:
    return f"{hours_text(x)} h"


def precheck(case: Case, scenario: Scenario) -> None:
    """Raise :class:`InfeasibleError` for requirements that clearly cannot be met."""
    managers = effective_managers(case, scenario)
    status = effective_status(case, scenario)
    c = case.customers
    must = c.index[(status == "must").to_numpy()]
    shortfalls: list[Shortfall] = []
    reasons: list[str] = []
    opts = coverage_options(case, scenario, must)
    low_factor = hours_factor_range(case)[0]  # pair hours: the least factor of each account
    opts["hours"] *= low_factor.reindex(opts["customer_id"]).fillna(1.0).to_numpy()
    # the least hours of each must account: its lightest level (or its fixed one) and the
    # KAM hours of the activities the scenario commits
    committed = _committed_activities(case, scenario)
    min_hours = opts.groupby("customer_id")["hours"].min().reindex(must).add(
        committed.groupby("customer_id")["kam_hours"].sum().reindex(must).fillna(0.0))
    tier = c.loc[must, "tier"]
    sen = managers["seniority"].to_numpy()
    cap = managers["capacity"].to_numpy(float)

    # each must account needs an eligible manager with room for it
    lead, excluded = scenario.lead_of, scenario.excluded_lead_of
    for cid in must:
        t = int(tier[cid])
        eligible = sen >= t
        if cid in lead:  # its lead is fixed: that manager or none
            j = lead[cid]
            sj = int(managers.at[j, "seniority"])
            if sj < t:
                reasons.append(
                    f"the scenario fixes {j} as the lead manager of {cid} (tier {t}), but {j}'s "
                    f"seniority is {sj}; a lead manager needs seniority >= {t}")
            continue
        if not eligible.any():
            reasons.append(
                f"'must' account {cid} (tier {t}) needs a lead manager of seniority >= {t}; "
                f"no available manager has it"
            )
            continue
        ruled = [j for j in excluded.get(cid, ()) if j in managers.index]
        eligible &= ~managers.index.isin(ruled)
        if not eligible.any():
            reasons.append(
                f"'must' account {cid} (tier {t}) has no lead manager left: the scenario rules "
                f"out {', '.join(ruled)} (excluded_leads), and no other available manager has "
                f"seniority >= {t}")
        elif min_hours[cid] > cap[eligible].max() + 1e-9:
            shortfalls.append(Shortfall(
                f"'must' account {cid} (tier {t}) alone", "h of one manager's year",
                float(min_hours[cid]), float(cap[eligible].max()),
                f"the largest capacity of an eligible manager is {_h(cap[eligible].max())}",
                singular=True))
    if reasons:
        raise InfeasibleError(shortfalls, reasons=reasons)
    shortfalls += _fixed_lead_shortfalls(scenario, managers, min_hours)

    # hours of the must accounts of tier >= t against managers of seniority >= t
    for t in (3, 2, 1):
        sel = tier >= t
        if not sel.any():
            continue
        need = float(min_hours[sel.to_numpy()].sum())
        have = float(cap[sen >= t].sum())
        if need > have + 1e-6:
            what = f"tier {t}" if t == 3 else f"tier {t} or higher" if t > 1 else "any tier"
            who = f"managers of seniority {t}" + (" or higher" if t < 3 else "")
            if t == 1:
                who = "all available managers"
            shortfalls.append(Shortfall(
                f"{_must(int(sel.sum()))} of {what}", "h at the lightest level",
                need, have, f"{who} have {_h(have)}", singular=int(sel.sum()) == 1))
            break  # the tightest tier says it; the looser ones repeat it

    sc = scenario
    n_must = len(must)
    if sc.max_key_accounts is not None and n_must > sc.max_key_accounts:
        shortfalls.append(Shortfall(_must(n_must), "key-account places",
                                    n_must, sc.max_key_accounts,
                                    f"max_key_accounts allows {sc.max_key_accounts}",
                                    singular=n_must == 1))
    shortfalls += _committed_department_shortfalls(case, committed)
    if sc.budget is not None and n_must:
        # cheapest eligible rate for each must account, times its lightest hours, and the
        # cost of the activities the scenario commits
        cost = managers["hourly_cost"].astype(float)
        rate = np.array([cost[lead[i]] if i in lead  # a fixed lead's own rate
                         else cost.to_numpy()[sen >= int(tier[i])].min() for i in must])
        need = float((rate * min_hours.to_numpy()).sum()) + float(committed["cost"].sum())
        if need > sc.budget + 1e-6:
            unit = "EUR a year of KAM cost" + (" and committed activities" if len(committed)
                                               else "")
            shortfalls.append(Shortfall(_must(n_must), unit, need, sc.budget,
                                        f"the budget is {sc.budget:,.0f} EUR",
                                        singular=n_must == 1))
    if sc.min_key_accounts:
        possible = c.index[(status != "exclude").to_numpy()
                           & (c["tier"].to_numpy() <= (sen.max() if len(sen) else 0))]
        k = sc.min_key_accounts
        if k > len(possible):
            shortfalls.append(Shortfall(
                f"min_key_accounts = {k} key accounts", "customers that can be key accounts",
                k, len(possible),
                f"only {len(possible)} customers are neither excluded nor without an eligible manager"))
        else:
            all_opts = coverage_options(case, sc, possible)
            all_opts["hours"] *= low_factor.reindex(all_opts["customer_id"]).fillna(1.0).to_numpy()
            light = all_opts.groupby("customer_id")["hours"].min()
            need = float(np.sort(light.to_numpy())[:k].sum())
            have = float(cap.sum())
            if need > have + 1e-6:
                shortfalls.append(Shortfall(
                    f"min_key_accounts = {k} key accounts", "h at the lightest level",
                    need, have, f"all available managers have {_h(have)}"))
    shortfalls += _workload_shortfalls(case, sc, managers, status)
    shortfalls += band_shortfalls(managers, tier, min_hours, lead)  # max_hours, max_share
    shortfalls += _disruption_shortfalls(case, sc, managers, status)
    if shortfalls:
        raise InfeasibleError(shortfalls)


#: what a disruption measure counts, in a shortfall
_DISRUPTION_UNITS = {"accounts": "key accounts changing hands",
                     "revenue": "EUR a year of revenue changing hands",
                     "hours": "KAM hours (at standard coverage) changing hands"}


def forced_changes(case: Case, sc: Scenario, managers=None, status=None) -> pd.Series:
    """The 'must' accounts that change hands in every plan, each with why: today's manager
    is not available, too junior for the account, ruled out (``excluded_leads``), or the
    scenario fixes another lead (``leads``)."""
    managers = effective_managers(case, sc) if managers is None else managers
    status = effective_status(case, sc) if status is None else status
    c = case.customers
    lead, ruled = sc.lead_of, sc.excluded_lead_of
    why = {}
    for cid in c.index[(status == "must").to_numpy() & (c["current_manager"] != "").to_numpy()]:
        j = c.at[cid, "current_manager"]
        if cid in lead and lead[cid] != j:
            why[cid] = "the scenario fixes another lead (leads)"
        elif j not in managers.index:
            why[cid] = f"{j} is not available"
        elif int(managers.at[j, "seniority"]) < int(c.at[cid, "tier"]):
            why[cid] = f"{j} is too junior for them"
        elif j in ruled.get(cid, ()):
            why[cid] = f"the scenario rules out {j} (excluded_leads)"
    return pd.Series(why, dtype=object)


def _figure(x: float) -> str:
    """A disruption figure: whole numbers with separators, small ones with their decimals.

    >>> _figure(1e6), _figure(3.0), _figure(0.1696)
    ('1,000,000', '3', '0.1696')
    """
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.4g}"


def _some(ids, limit: int = 3) -> str:
    """``K1, K2 and K3`` or ``K1, K2, K3 and 4 more``.

    >>> _some(["K1"]), _some(["K1", "K2"]), _some([f"K{i}" for i in range(5)])
    ('K1', 'K1 and K2', 'K0, K1, K2 and 2 more')
    """
    ids = [str(i) for i in ids]
    if len(ids) > limit:
        return ", ".join(ids[:limit]) + f" and {len(ids) - limit} more"
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]


def _disruption_shortfalls(case: Case, sc: Scenario, managers, status) -> list[Shortfall]:
    """Caps of ``max_disruption`` below what the 'must' accounts force to change hands."""
    caps = sc.disruption_caps
    if not caps:
        return []
    forced = forced_changes(case, sc, managers, status)
    if forced.empty:
        return []
    c = case.customers.loc[forced.index]
    out = []
    for measure, cap in caps.items():
        need = float(len(forced) if measure == "accounts" else
                     c["revenue" if measure == "revenue" else "kam_hours"].sum())
        if need > cap * (1 + 1e-9) + 1e-9:
            n = len(forced)
            reasons = "; ".join(f"{r}: {_some(forced.index[forced == r])}"
                                for r in dict.fromkeys(forced))
            what = (f"the {n} 'must' accounts whose current manager cannot lead them"
                    if n > 1 else "the 'must' account whose current manager cannot lead it")
            out.append(Shortfall(f"{what} ({reasons})", _DISRUPTION_UNITS[measure], need,
                                 float(cap), f"max_disruption {measure} allows {_figure(cap)}",
                                 singular=n == 1))
    return out


def _must(n: int) -> str:
    """``the 'must' account`` or ``the 3 'must' accounts``.

    >>> _must(1), _must(3)
    ("the 'must' account", "the 3 'must' accounts")
    """
    return "the 'must' account" if n == 1 else f"the {n} 'must' accounts"


def _fixed_lead_shortfalls(sc: Scenario, managers, min_hours) -> list[Shortfall]:
    """Managers given more accounts by ``leads`` than their hours carry at the lightest level."""
    if not sc.leads:
        return []
    lead = pd.Series(sc.lead_of)
    need = min_hours.reindex(lead.index).groupby(lead.to_numpy()).agg(["sum", "size"])
    out = []
    for j, (hours, n) in need.iterrows():
        have = float(managers.at[j, "capacity"])
        if hours > have + 1e-6:
            what = (f"the {int(n)} accounts whose lead the scenario fixes to {j}" if n > 1
                    else f"{lead.index[lead == j][0]}, whose lead the scenario fixes to {j},")
            out.append(Shortfall(what, "h at the lightest level", float(hours), have,
                                 f"{j} has {_h(have)}", singular=n == 1))
    return out


def _committed_activities(case: Case, sc: Scenario) -> pd.DataFrame:
    """The activities the scenario commits, one row each: customer_id, activity_id and the
    activity's columns of activities.csv (unknown ids left out: the model refuses them)."""
    acts = case.activities
    rows = [(cid, k) for cid, k in sc.committed_activities if k in acts.index]
    out = pd.DataFrame(rows, columns=["customer_id", "activity_id"])
    return out.join(acts, on="activity_id") if len(acts) else out.assign(
        kam_hours=0.0, cost=0.0, department="", dept_hours=0.0)


def _committed_department_shortfalls(case: Case, committed: pd.DataFrame) -> list[Shortfall]:
    """Departments given more hours by the committed activities than they have."""
    if committed.empty:
        return []
    deps = case.departments["capacity_hours"].astype(float) if len(case.departments) else {}
    out = []
    on = committed[committed["department"].astype(str) != ""]
    for dname, grp in on.groupby("department", sort=True):
        need, have = float(grp["dept_hours"].sum()), float(deps.get(dname, np.inf))
        if need > have + 1e-6:
            n, m = len(grp), grp["customer_id"].nunique()
            what = (f"the {n} activities the scenario commits for {m} "
                    f"account{'s' if m > 1 else ''} in {dname}" if n > 1
                    else f"activity {grp['activity_id'].iloc[0]}, committed for "
                         f"{grp['customer_id'].iloc[0]},")
            out.append(Shortfall(what, f"h of {dname}", need, have,
                                 f"{dname} has {_h(have)} for key-account projects",
                                 singular=n == 1))
    return out


def _workload_shortfalls(case: Case, sc: Scenario, managers, status) -> list[Shortfall]:
    """Managers' minimum workloads (``min_hours``) that no plan can reach."""
    least = managers["min_hours"].to_numpy(float)
    if not (least > 0).any():
        return []
    c = case.customers
    out: list[Shortfall] = []
    cap = managers["capacity"].to_numpy(float)
    for j, lo, hi in zip(managers.index, least, cap, strict=True):
        if lo > hi + 1e-9:
            out.append(Shortfall(f"manager {j}'s minimum workload (min_hours)", "h a year", lo, hi,
                                 f"capacity_scale {sc.capacity_scale:g} leaves {_h(hi)} of "
                                 "capacity", singular=True))
    # the most hours each account can bring: its heaviest level and every activity
    open_ = c.index[(status != "exclude").to_numpy()]
    heavy = coverage_options(case, sc, open_)
    heavy["hours"] *= hours_factor_range(case)[1].reindex(heavy["customer_id"]).fillna(1.0).to_numpy()
    heaviest = heavy.groupby("customer_id")["hours"].max()
    heaviest = heaviest.reindex(open_).fillna(0.0) + float(case.activities["kam_hours"].sum())
    tier = c.loc[open_, "tier"].to_numpy()
    for j, lo, sen in zip(managers.index, least, managers["seniority"], strict=True):
        offered = float(heaviest[tier <= sen].sum())
        if lo > offered + 1e-9:
            out.append(Shortfall(f"manager {j}'s minimum workload (min_hours)", "h a year", lo,
                                 offered, f"the {int((tier <= sen).sum())} accounts {j} may lead "
                                 f"bring at most {_h(offered)}", singular=True))
    reachable = tier <= (managers["seniority"].max() if len(managers) else 0)
    total, offered = float(least.sum()), float(heaviest[reachable].sum())
    if not out and total > offered + 1e-6:
        out.append(Shortfall(f"the minimum workloads of {int((least > 0).sum())} managers",
                             "h a year", total, offered, f"the {int(reachable.sum())} candidate "
                             f"accounts bring at most {_h(offered)}"))
    return out


# groups of rows that a user can relax, with words for them
GROUPS = {
    "capacity": "manager capacity (capacity[...])",
    "min_workload": "the managers' minimum workloads (min_workload[...])",
    "department": "department capacity (department[...])",
    "budget": "the budget",
    "key_account_count": "the number of key accounts (min/max_key_accounts)",
    "must": "the 'must' accounts",
    "disruption_accounts": "the cap on key accounts changing hands (max_disruption accounts)",
    "disruption_revenue": "the cap on revenue changing hands (max_disruption revenue)",
    "disruption_hours": "the cap on hours changing hands (max_disruption hours)",
    "max_workload": "managers' upper workload bands (max_workload[...]: max_hours, max_share)",
    "balance": "balance of the managers' loads (balance within)",
}


def explain_infeasible(km: KamModel, time_limit: float = 10.0) -> InfeasibleError:
    """A minimal set of conflicting requirement groups, found by re-solving.

    Each group is dropped in turn; a group whose removal still leaves the
    model infeasible is not needed for the conflict and stays dropped. What
    remains is a minimal conflicting set of groups.
    """
    from kamopt.solve.backend import INF, highs_model, run_highs, set_costs, set_row_bounds

    lp = km.lp
    arr = lp.arrays()
    h = highs_model(lp)
    inf = INF
    set_costs(h, np.zeros(lp.n_cols))  # every column

    def rows_of(group: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if group == "must":
            b = lp.rows.get("key_account")
            if b is None:
                return np.zeros(0, np.int32), np.zeros(0), np.zeros(0)
            r = np.arange(b.start, b.start + b.size)
            r = r[arr["row_lo"][r] > 0]
            return r.astype(np.int32), np.full(len(r), -inf), arr["row_hi"][r]
        b = lp.rows.get(group)
        if b is None:
            return np.zeros(0, np.int32), np.zeros(0), np.zeros(0)
        r = np.arange(b.start, b.start + b.size, dtype=np.int32)
        return r, np.full(len(r), -inf), np.full(len(r), inf)

    def set_group(group: str, relaxed: bool) -> None:
        r, lo, hi = rows_of(group)
        if len(r) == 0:
            return
        if relaxed:
            set_row_bounds(h, r, lo, hi)
        else:
            lo0 = np.where(np.isinf(arr["row_lo"][r]), -inf, arr["row_lo"][r])
            hi0 = np.where(np.isinf(arr["row_hi"][r]), inf, arr["row_hi"][r])
            set_row_bounds(h, r, lo0, hi0)

    present = [g for g in GROUPS if len(rows_of(g)[0])]
    needed: list[str] = []
    for g in present:
        set_group(g, True)
        sol = run_highs(h, time_limit, 1.0)
        if sol.status == "infeasible":
            continue  # still infeasible without g: g is not needed for the conflict
        set_group(g, False)
        needed.append(g)
    shortfalls: list[Shortfall] = []
    if "budget" in needed and km.data.scenario.budget is not None:
        need = _min_budget(km)
        if need is not None:
            shortfalls.append(Shortfall("the other requirements", "EUR a year",
                                        need, km.data.scenario.budget,
                                        f"the budget is {km.data.scenario.budget:,.0f} EUR"))
    for g in (g for g in needed if g.startswith("disruption_")):
        measure = g.removeprefix("disruption_")
        least = _min_row(km, g)
        cap = km.data.scenario.disruption_caps.get(measure)
        if least is not None and cap is not None:
            shortfalls.append(Shortfall(
                "the other requirements", _DISRUPTION_UNITS[measure], least, cap,
                f"max_disruption {measure} allows {_figure(cap)}"))
    if "balance" in needed:
        short = balance_shortfall(km, time_limit)
        if short is not None:
            shortfalls.append(short)
    if "must" in needed and len(needed) > 1:
        served, total = _most_must_accounts(km, rows_of("must")[0], time_limit)
        if served is not None and served < total:
            others = ", ".join(GROUPS[g].split(" (")[0] for g in needed if g != "must")
            shortfalls.append(Shortfall(
                f"the {total} 'must' accounts", "lead managers with room", total, served,
                f"at most {served} of them fit within the {others} at once"))
    return InfeasibleError(shortfalls, conflicts=[GROUPS[g] for g in needed])


def _most_must_accounts(km: KamModel, must_rows: np.ndarray,
                        time_limit: float) -> tuple[int | None, int]:
    """How many of the ``must`` accounts the other requirements let the plan take at most."""
    from kamopt.solve.backend import highs_model, run_highs, set_costs, set_row_bounds

    lp = km.lp
    h = highs_model(lp)
    A = lp.matrix().tocsr()
    cols = np.unique(np.concatenate([A.indices[A.indptr[r]:A.indptr[r + 1]] for r in must_rows]))
    set_row_bounds(h, must_rows, np.zeros(len(must_rows)),
                   np.ones(len(must_rows)))  # each 'must' account may now stay out
    cost = np.zeros(lp.n_cols)
    cost[cols] = 1.0  # maximise the 'must' accounts taken (their level columns)
    set_costs(h, cost)  # every column
    sol = run_highs(h, time_limit, 0.0)
    if not sol.ok or sol.status != "optimal":
        return None, len(must_rows)
    return int(round(sol.objective)), len(must_rows)


def _min_row(km: KamModel, name: str) -> float | None:
    """The least value of the one-row block ``name`` with which all other requirements can
    be met (that row relaxed, its expression minimised)."""
    from kamopt.solve.backend import INF, highs_model, run_highs, set_costs, set_row_bounds

    lp = km.lp
    h = highs_model(lp)
    b = lp.rows[name]
    set_row_bounds(h, int(b.start), -INF, INF)
    A = lp.matrix().tocsr()
    s, e = A.indptr[b.start], A.indptr[b.start + 1]
    cost = np.zeros(lp.n_cols)
    cost[A.indices[s:e]] = -A.data[s:e]  # maximise -row = minimise the row
    set_costs(h, cost)
    sol = run_highs(h, 10.0, 0.0)
    if not sol.ok:
        return None
    return float(-sol.objective)


def _min_budget(km: KamModel) -> float | None:
    """The least budget with which all other requirements can be met."""
    from kamopt.solve.backend import INF, highs_model, run_highs, set_costs, set_row_bounds

    lp = km.lp
    h = highs_model(lp)
    b = lp.rows["budget"]
    set_row_bounds(h, int(b.start), -INF, INF)  # the budget row alone: no bound
    A = lp.matrix().tocsr()
    s, e = A.indptr[b.start], A.indptr[b.start + 1]
    cost = np.zeros(lp.n_cols)
    cost[A.indices[s:e]] = -A.data[s:e]  # maximise -cost = minimise cost
    set_costs(h, cost)  # every column
    sol = run_highs(h, 10.0, 1e-4)
    if not sol.ok:
        return None
    return float(-sol.objective)

