"""Helpers for tests and examples: small cases from plain records, domain asserts.

``tiny_case`` lives in :mod:`kamopt.case.records` (the case layer uses it too).
"""

from __future__ import annotations

from kamopt.case.records import tiny_case
from kamopt.case.tables import Case

__all__ = ["assert_plan_sound", "brute_force", "brute_force_tie_break", "tiny_case"]


def assert_plan_sound(plan, case: Case | None = None) -> None:
    """The invariants every plan must keep (raises AssertionError with the reasons)."""
    from kamopt.errors import VerificationError

    try:
        plan.verify(case)
    except VerificationError as exc:
        raise AssertionError(str(exc)) from None
    acc = plan.accounts
    ka = acc[acc["key_account"] == 1]
    assert (ka["manager_id"] != "").all(), "a key account without a lead manager"
    assert ka.index.is_unique, "a customer planned twice"
    m = plan.managers
    assert (m["hours_used"] <= m["capacity"] * (1 + 1e-9) + 1e-6).all(), "capacity exceeded"


def brute_force(case: Case, scenario=None) -> float | None:
    """The optimum of spec section 3 by enumerating every plan (tiny cases only).

    Independent of :mod:`kamopt.model.oneyear`: every customer's choices (not a key
    account, or a level x eligible manager x subset of activities) are listed
    from the case, all combinations are evaluated with numpy, and the best
    feasible net contribution is returned (None if no plan is feasible).

    The managers' upper bands (``max_hours``, ``max_share``) and the scenario's ``balance``
    band (``within``, in any measure: every manager with capacity within +-within of the
    mean load, utilisation as hours over the scenario's capacity) are kept; the
    ``least_largest_workload`` objective is not (the best net is returned), nor is a
    ``tie_break`` (:func:`brute_force_tie_break`).
    """
    plans = _feasible_plans(case, scenario)
    return None if plans is None else float(plans[0][:, 0].max())


def brute_force_tie_break(case: Case, scenario) -> tuple[float, float] | None:
    """The plan of ``tie_break: least_largest_workload`` by enumeration (tiny cases only):
    among the feasible plans with net at least ``net_floor(best, mip_gap)`` (the best net
    the exact optimum: with ``mip_gap`` 0 the optimal plans only) the least largest load in
    the tie-break's measure over the managers with capacity (utilisation: hours over the
    scenario's capacity), then among those the best net. Returns (net, largest load), None
    if no plan is feasible."""
    import numpy as np

    from kamopt.solve.tiebreak import net_floor

    plans = _feasible_plans(case, scenario)
    if plans is None:
        return None
    total, loads = plans
    measure = scenario.tie_break[1]
    best = float(total[:, 0].max())
    floor = net_floor(best, scenario.mip_gap)
    near = total[:, 0] >= floor - 1e-7 * max(1.0, abs(floor)) - 1e-6
    load = loads(measure)[near]
    top = load.max(axis=1) if load.shape[1] else np.zeros(len(load))
    top = np.maximum(top, 0.0)
    least = float(top.min())
    net = total[near, 0][top <= least + 1e-9 * max(1.0, least)]
    return float(net.max()), least


def _feasible_plans(case: Case, scenario=None):
    """Every feasible plan's totals (rows: [net, cost, key accounts, hours by manager...,
    hours by department..., revenue led by manager..., accounts led by manager...]) and a
    function of a measure giving each plan's loads of the managers with capacity; None if
    no plan is feasible."""
    import itertools

    import numpy as np

    from kamopt.case.scenario import Scenario
    from kamopt.model.prepare import effective_managers, effective_status
    from kamopt.planning.oneyear import _pair_factors, _pair_value

    sc = scenario or Scenario()
    c = case.customers
    mg = effective_managers(case, sc)
    status = effective_status(case, sc)
    acts = case.activities
    deps = list(case.departments.index)
    mids = list(mg.index)
    resp = case.responses
    pc_ = case.pair_costs
    pair_cost = {(i, j): float(x) for i, j, x in zip(pc_["customer_id"], pc_["manager_id"],
                                                     pc_["cost"], strict=True)}
    factors = _pair_factors(case)  # the pair's hours factor (hours_factor or hours)
    least = mg["min_hours"].to_numpy(float)
    cap_m = mg["capacity"].to_numpy(float)
    most = mg["max_load"].to_numpy(float)  # max_hours / max_share; inf: none
    band = sc.balance if sc.balance is not None and sc.balance.within is not None else None
    k = len(mids)
    width = 3 + k + len(deps) + 2 * k  # + revenue, accounts led
    per_customer = []  # list of arrays: rows = options, cols = [net, cost, ka, hours per manager..., dept...]
    for cid, row in c.iterrows():
        opts = []
        if status[cid] != "must":
            opts.append(np.zeros(width))
        if status[cid] != "exclude":
            r = resp[resp["customer_id"] == cid] if len(resp) else resp
            if len(r):
                levels = list(zip(r["level"], r["hours"], r["realization"], strict=True))
            else:
                levels = [(lv.name, lv.hours_factor * row["kam_hours"],
                           sc.realization * lv.realization_factor) for lv in sc.levels]
            must_run = set(sc.committed_of.get(cid, ()))
            for (name, h, real), j in itertools.product(levels, mids):
                if (mg.at[j, "seniority"] < row["tier"] or sc.lead_of.get(cid, j) != j
                        or (cid, j) in sc.excluded_leads or sc.coverage_of.get(cid, name) != name):
                    continue
                base = row["margin"] * (real * row["potential"] + sc.retention * row["revenue"])
                if row["industry"] and row["industry"] in mg.at[j, "industries"]:
                    base += row["margin"] * sc.realization * sc.industry_fit * row["potential"]
                if row["current_manager"] == j:
                    base += sc.continuity_bonus
                # a hire's pair figures: the manager it names, or the average
                pc = _pair_value(pair_cost, case, mg, cid, j, unlisted=0.0)
                hf = _pair_value(factors, case, mg, cid, j, unlisted=1.0)
                for n in range(len(acts) + 1):
                    for subset in itertools.combinations(acts.index, n):
                        if not must_run <= set(subset):
                            continue
                        a = acts.loc[list(subset)]
                        hours = h * hf + a["kam_hours"].sum()
                        cost = mg.at[j, "hourly_cost"] * hours + a["cost"].sum() + pc
                        value = base + (row["margin"] * a["uplift"] * row["potential"]).sum()
                        vec = np.zeros(width)
                        vec[0], vec[1], vec[2] = value - cost, cost, 1
                        vec[3 + mids.index(j)] = hours
                        # revenue and accounts led, by manager
                        vec[3 + k + len(deps) + mids.index(j)] = row["revenue"]
                        vec[3 + 2 * k + len(deps) + mids.index(j)] = 1.0
                        for dname, dh in zip(a["department"], a["dept_hours"], strict=True):
                            if dname:
                                vec[3 + len(mids) + deps.index(dname)] += dh
                        opts.append(vec)
        if not opts:
            return None
        per_customer.append(np.array(opts))
    cap = np.concatenate([mg["capacity"].to_numpy(float),
                          case.departments["capacity_hours"].to_numpy(float)])

    def feasible(total, final: bool):
        ok = (total[:, 3:3 + k + len(deps)] <= cap + 1e-6).all(axis=1)  # (sums only grow)
        ok &= (total[:, 3:3 + k] <= most + 1e-6).all(axis=1)  # upper bands
        if sc.budget is not None:
            ok &= total[:, 1] <= sc.budget + 1e-6
        if sc.max_key_accounts is not None:
            ok &= total[:, 2] <= sc.max_key_accounts
        if final and sc.min_key_accounts is not None:
            ok &= total[:, 2] >= sc.min_key_accounts
        if final:  # managers' minimum workloads
            ok &= (total[:, 3:3 + len(mids)] >= least - 1e-6).all(axis=1)
        if final and band is not None:
            ok &= within_band(total)
        return ok

    def loads(total, measure):
        """Each plan's load of the managers with capacity, in ``measure``."""
        at = {"hours": 3, "utilisation": 3, "revenue": 3 + k + len(deps),
              "accounts": 3 + 2 * k + len(deps)}[measure]
        load = total[:, at:at + k]
        if measure == "utilisation":
            load = load / np.where(cap_m > 0, cap_m, 1.0)
        return load[:, cap_m > 0]

    def within_band(total):
        """Every manager with capacity within +-within of the mean load, in the measure."""
        load = loads(total, band.measure)
        if load.shape[1] == 0:
            return np.ones(len(total), bool)
        mean = load.mean(axis=1, keepdims=True)
        slack = 1e-7 * np.maximum(1.0, np.abs(mean)) + 1e-6
        return ((load <= (1 + band.within) * mean + slack)
                & (load >= (1 - band.within) * mean - slack)).all(axis=1)

    total = per_customer[0]
    for block in per_customer[1:]:
        total = (total[:, None, :] + block[None, :, :]).reshape(-1, total.shape[1])
        total = total[feasible(total, final=False)]
    ok = feasible(total, final=True)
    if not ok.any():
        return None
    total = total[ok]
    return total, lambda measure: loads(total, measure)
