"""The capacity frontier: what one more key account manager is worth.

:func:`capacity_frontier` plans the case with 0, 1, ..., K additional KAMs of
one profile (by default the median KAM of the case, :func:`median_kam`) and
tabulates the optimal net contribution against the number of hires.

Money, and what "pays" means
----------------------------
The plan's objective is already *net* of every hour worked: a hire's hours
are charged at its ``hourly_cost`` in the objective, like everyone's. So
``marginal_value`` (objective with k hires minus with k-1) is the marginal
*net* gain of the k-th hire's hours. What the objective does not know is the
fixed cost of employing someone beyond the hours charged (recruiting, car,
management overhead): give it as ``fixed_cost`` (EUR a year per hire,
default 0). ``marginal_net = marginal_value - fixed_cost``; the k-th hire
``pays`` when it is > 0, and :func:`worthwhile_hires` is the number of hires
up to the first that no longer pays (beyond it, one more KAM does not pay).

Precision
---------
Each plan is optimal within the scenario's ``mip_gap`` (the table shows the
solver's ``bound``): the true marginal value of the k-th hire lies between
``marginal_min = objective_k - bound_(k-1)`` and
``marginal_max = bound_k - objective_(k-1)``. Each plan is
:func:`kamopt.planning.oneyear.plan` of its number of hires, planned on its own
on a batch runner (:class:`kamopt.planning.batch.Runner`: in this process, on a
local cluster or on a Dask scheduler, with the same table). Use a small gap (the
default here is 0.2%) when the marginal values are small against the objective.

Examples
--------
>>> from kamopt.case.sample import make_case
>>> case = make_case(customers=30, managers=3, seed=1)
>>> table = capacity_frontier(case, max_hires=2)
>>> list(table.index), bool(table["objective"].is_monotonic_increasing)
([0, 1, 2], True)
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from kamopt.case.scenario import Hire, Scenario
from kamopt.case.tables import Case
from kamopt.planning.batch import Runner
from kamopt.units import hours

#: the gap of the frontier's plans unless the scenario is given explicitly
FRONTIER_GAP = 0.002
FRONTIER_TIME_LIMIT = 20.0

COLUMNS = ["hires", "capacity_hours", "objective", "bound", "status", "mip_gap", "key_accounts",
           "hours_used", "marginal_value", "marginal_min", "marginal_max", "fixed_cost",
           "marginal_net", "pays"]


def median_kam(case: Case) -> Hire:
    """One new KAM with the median profile of the case's KAMs: :func:`kamopt.analysis.explain.median_hire`
    (the profile the plan notebook values one more KAM with).

    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([], [dict(manager_id="A", capacity_hours=1000, hourly_cost=80,
    ...                            seniority=1),
    ...                       dict(manager_id="B", capacity_hours=1400, hourly_cost=100,
    ...                            seniority=3)])
    >>> median_kam(case)
    Hire(count=1, seniority=2, capacity_hours=1200.0, hourly_cost=90.0, industries=(), region='', prefix='NEW', pair_costs_from='')
    """
    from kamopt.analysis.explain import median_hire

    return median_hire(case)


def capacity_frontier(case: Case, scenario: Scenario | None = None, max_hires: int = 5,
                      hire: Hire | None = None, fixed_cost: float = 0.0,
                      runner: Runner | None = None) -> pd.DataFrame:
    """The optimal plan's value against 0..``max_hires`` added KAMs of one profile.

    Parameters
    ----------
    case, scenario : the case and the assumptions (hires in ``scenario`` are
        kept; the frontier's hires come on top). Without a scenario the
        defaults with ``mip_gap`` :data:`FRONTIER_GAP` apply.
    max_hires : int, the largest number of hires tried.
    hire : the profile of one hire (its ``count`` is ignored); the median KAM
        of the case if None.
    fixed_cost : EUR a year per hire not charged by the hour (see the module docs).
    runner : where the plans run (``Runner.from_env()`` if None).

    Returns
    -------
    DataFrame indexed by the number of hires with :data:`COLUMNS`.
    """
    if not isinstance(max_hires, int) or isinstance(max_hires, bool) or max_hires < 0:
        raise ValueError("The 'max_hires' parameter of capacity_frontier must be a whole number "
                         f">= 0. Got {max_hires!r} instead.")
    if not np.isfinite(fixed_cost) or fixed_cost < 0:
        raise ValueError("The 'fixed_cost' parameter of capacity_frontier must be a number >= 0 "
                         f"(EUR a year per hire). Got {fixed_cost!r} instead.")
    scenario = scenario or Scenario(mip_gap=FRONTIER_GAP, time_limit=FRONTIER_TIME_LIMIT)
    hire = hire or median_kam(case)
    prefix = hire.prefix
    taken = set(case.managers.index)
    while any(i.startswith(prefix) for i in taken):
        prefix = prefix + "X"
    hire = dataclasses.replace(hire, prefix=prefix)
    runner = runner or Runner.from_env()
    rows = runner.map(_frontier_row, range(max_hires + 1), shared=(case, scenario, hire),
                      desc="capacity frontier")
    t = pd.DataFrame(rows).set_index("hires", drop=False)
    t.index.name = None
    t["marginal_value"] = t["objective"].diff()
    t["marginal_min"] = t["objective"] - t["bound"].shift()
    t["marginal_max"] = t["bound"] - t["objective"].shift()
    t["fixed_cost"] = np.where(t["hires"] > 0, float(fixed_cost), 0.0)
    t["marginal_net"] = t["marginal_value"] - t["fixed_cost"]
    t["pays"] = t["marginal_net"] > 0
    t.loc[0, ["marginal_value", "marginal_min", "marginal_max", "marginal_net"]] = np.nan
    t["pays"] = t["pays"].astype(object)
    t.loc[0, "pays"] = None
    return t[COLUMNS]


def _frontier_row(shared: tuple, k: int) -> dict:
    """A batch's task: the frontier's row of ``k`` hires; ``shared`` is (case, scenario, hire)."""
    from kamopt.planning.oneyear import plan

    case, scenario, hire = shared
    extra = (dataclasses.replace(hire, count=k),) if k else ()
    p = plan(case, scenario.replace(hires=scenario.hires + extra))
    return {"hires": k, "capacity_hours": p.kpis["hours_available"], "objective": p.objective,
            "bound": p.kpis["bound"] if p.kpis["bound"] is not None else p.objective,
            "status": p.status, "mip_gap": p.kpis["mip_gap"],
            "key_accounts": p.kpis["key_accounts"], "hours_used": p.kpis["hours_used"]}


def worthwhile_hires(table: pd.DataFrame) -> int:
    """The number of hires up to the first one that no longer pays.

    Beyond this size one more KAM does not pay (its marginal net gain is <= 0).

    >>> t = pd.DataFrame({"marginal_net": [np.nan, 300.0, 120.0, -5.0, 10.0]})
    >>> worthwhile_hires(t)
    2
    """
    net = table["marginal_net"].to_numpy(float)[1:]
    bad = np.flatnonzero(~(net > 0))
    return int(bad[0]) if len(bad) else len(net)


def format_table(table: pd.DataFrame) -> str:
    """The frontier as text, as ``kamopt frontier`` prints it."""
    show = pd.DataFrame({
        "hires": table["hires"],
        "capacity h": table["capacity_hours"].map(hours),
        "objective EUR": table["objective"].map("{:,.0f}".format),
        "status": table["status"],
        "gap": table["mip_gap"].map(lambda v: f"{v:.2%}" if np.isfinite(v) else "not proven"),
        "key accounts": table["key_accounts"],
        "marginal EUR": table["marginal_value"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}"),
        "fixed cost": table["fixed_cost"].map(lambda v: f"{v:,.0f}"),
        "marginal net": table["marginal_net"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}"),
        "pays": table["pays"].map(lambda v: "" if v is None else ("yes" if v else "no")),
    })
    best = worthwhile_hires(table)
    tried = len(table) - 1
    if best < tried:
        verdict = (f"Hires that pay: {best}. Beyond {best} added KAM{'s' if best != 1 else ''}, "
                   "one more no longer pays (marginal net gain <= 0).")
    else:
        verdict = (f"Hires that pay: all {tried} tried; where one more stops paying lies beyond "
                   "them (allow more with --max-hires).")
    return show.to_string(index=False) + "\n\n" + verdict


