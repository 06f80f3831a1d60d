"""Helpers for tests and examples: small cases from plain records, domain asserts.

>>> case = tiny_case(
...     customers=[{"customer_id": "A", "revenue": 1e6, "margin": 0.3, "potential": 5e5,
...                 "kam_hours": 100}],
...     managers=[{"manager_id": "M1", "capacity_hours": 150, "hourly_cost": 100}])
>>> case.customers.loc["A", "tier"], case.managers.loc["M1", "role"]
(np.int64(1), 'kam')
"""

from __future__ import annotations

import pandas as pd

from kamopt.case.schema import TABLES_BY_NAME
from kamopt.case.tables import Case


def _frame(name: str, records: list[dict] | None) -> pd.DataFrame:
    table = TABLES_BY_NAME[name]
    df = pd.DataFrame(records or [])
    for col in table.columns:
        if col.name not in df.columns:
            df[col.name] = [col.default] * len(df) if col.kind == "list" else col.default
        elif col.default is not None:
            df[col.name] = df[col.name].where(df[col.name].notna(), col.default)
    df = df[[c.name for c in table.columns] + [c for c in df.columns
                                               if c not in {x.name for x in table.columns}]]
    for col in table.columns:
        if col.kind == "number":
            df[col.name] = df[col.name].astype(float)
        elif col.kind == "integer":
            df[col.name] = df[col.name].astype("int64")
        elif col.kind == "list":
            df[col.name] = df[col.name].map(
                lambda v: tuple(v) if not isinstance(v, str) else tuple(x for x in v.split(";") if x))
        else:
            df[col.name] = df[col.name].fillna("").astype(str)
    if table.id:
        df = df.set_index(table.id)
    return df


def tiny_case(customers, managers, activities=None, departments=None, responses=None,
              pair_costs=None) -> Case:
    """A :class:`Case` from lists of dicts, with the format's defaults filled."""
    return Case(
        customers=_frame("customers", customers),
        managers=_frame("managers", managers),
        activities=_frame("activities", activities),
        departments=_frame("departments", departments),
        responses=_frame("responses", responses),
        pair_costs=_frame("pair_costs", pair_costs),
        source="(tiny case)",
    )


def assert_plan_sound(plan, case: Case | None = None) -> None:
    """The invariants every plan must keep (raises AssertionError with the reasons)."""
    from kamopt.planning.oneyear import VerificationError

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
    """
    import itertools

    import numpy as np

    from kamopt.case.scenario import Scenario
    from kamopt.model.prepare import effective_managers, effective_status
    from kamopt.planning.oneyear import _pair_cost

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
    least = mg["min_hours"].to_numpy(float)
    per_customer = []  # list of arrays: rows = options, cols = [net, cost, ka, hours per manager..., dept...]
    for cid, row in c.iterrows():
        opts = []
        if status[cid] != "must":
            opts.append(np.zeros(3 + len(mids) + len(deps)))
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
                pc = _pair_cost(pair_cost, case, mg, cid, j)  # a hire's: named or average
                for n in range(len(acts) + 1):
                    for subset in itertools.combinations(acts.index, n):
                        if not must_run <= set(subset):
                            continue
                        a = acts.loc[list(subset)]
                        hours = h + a["kam_hours"].sum()
                        cost = mg.at[j, "hourly_cost"] * hours + a["cost"].sum() + pc
                        value = base + (row["margin"] * a["uplift"] * row["potential"]).sum()
                        vec = np.zeros(3 + len(mids) + len(deps))
                        vec[0], vec[1], vec[2] = value - cost, cost, 1
                        vec[3 + mids.index(j)] = hours
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
        ok = (total[:, 3:] <= cap + 1e-6).all(axis=1)  # capacities (sums only grow)
        if sc.budget is not None:
            ok &= total[:, 1] <= sc.budget + 1e-6
        if sc.max_key_accounts is not None:
            ok &= total[:, 2] <= sc.max_key_accounts
        if final and sc.min_key_accounts is not None:
            ok &= total[:, 2] >= sc.min_key_accounts
        if final:  # managers' minimum workloads
            ok &= (total[:, 3:3 + len(mids)] >= least - 1e-6).all(axis=1)
        return ok

    total = per_customer[0]
    for block in per_customer[1:]:
        total = (total[:, None, :] + block[None, :, :]).reshape(-1, total.shape[1])
        total = total[feasible(total, final=False)]
    ok = feasible(total, final=True)
    if not ok.any():
        return None
    return float(total[ok, 0].max())
