"""Published cases, cast in kamopt's terms, to check the model against figures others found.

The Pfizer Turkey sales-territory case (Köksalan and Batun, *INFORMS
Transactions on Education*, 2009; a teaching case) assigns 22 bricks (sales
areas) to 4 sales representatives. Each brick has a workload index (they sum
to 4.0), a distance to each representative's office and a current
representative. Workloads must lie within [0.8, 1.2]. Cast in kamopt's terms:

============================  ==============================================
the case                      kamopt
============================  ==============================================
brick                         a customer, ``must`` (every brick is served)
workload index                ``kam_hours`` (one coverage level, factor 1)
sales representative          a manager: ``capacity_hours`` 1.2,
                              ``min_hours`` 0.8 (the workload band)
current representative        ``current_manager``
distance brick - office       ``pair_costs.csv``: the pair's cost
disruption (index of the      a change of hands: ``W * kam_hours`` added to
bricks that change hands)     the pair cost of every pair but the current one
============================  ==============================================

Revenue, margin and potential are 0, so the plan's objective is minus the
total pair cost: the least total distance, or (``objective="disruption"``)
the least disruption and, among plans with it, the least distance. For the
second, ``W`` is chosen so that the smallest step of disruption (0.0001, the
index has four decimals) outweighs any difference in total distance
(:func:`disruption_weight`), so the one objective is lexicographic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kamopt.case.records import tiny_case
from kamopt.case.scenario import Level, Scenario
from kamopt.case.tables import Case

__all__ = ["PFIZER_FIGURES", "disruption_weight", "pfizer_turkey", "pfizer_scenario",
           "read_pfizer_turkey"]

#: The published (and re-computed) figures of the case, workload band [0.8, 1.2].
PFIZER_FIGURES = {
    "current_distance": 187.41,
    "current_workloads": (0.9507, 1.3377, 0.7048, 1.0068),
    "min_distance": 154.60,
    "min_disruption": 0.1696,
    "distance_at_min_disruption": 188.95,
}

#: The workload band of the case, as a share of the average workload (1.0).
BAND = (0.8, 1.2)


def read_pfizer_turkey(path: str | Path) -> pd.DataFrame:
    """The case's table: ``brick, index_value, d_SR1_… .. d_SR4_…, current_SR``."""
    return pd.read_csv(path)


def _distances(df: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in df.columns if c.startswith("d_SR")]
    out = df[cols].copy()
    out.columns = [c.split("_")[1] for c in cols]  # SR1 .. SR4
    out.index = [f"B{b:02d}" for b in df["brick"]]
    return out


def disruption_weight(df: pd.DataFrame, step: float = 1e-4) -> float:
    """A weight of disruption that makes disruption first, distance second.

    Any plan's total distance differs from any other's by less than the sum of
    the bricks' distance ranges; a weight above that sum divided by the
    smallest step of disruption puts any less disruptive plan first.
    """
    d = _distances(df)
    return float(10 ** np.ceil(np.log10((d.max(axis=1) - d.min(axis=1)).sum() / step)))


def pfizer_turkey(df: pd.DataFrame, objective: str = "distance") -> Case:
    """The case as a kamopt :class:`Case` (see the module's table).

    ``objective`` ``"distance"``: the pair cost is the distance;
    ``"disruption"``: the distance plus ``disruption_weight * index`` for every
    pair but the brick's current representative.
    """
    if objective not in ("distance", "disruption"):
        raise ValueError("The 'objective' parameter of pfizer_turkey must be 'distance' or "
                         f"'disruption'. Got {objective!r} instead.")
    d = _distances(df)
    reps = list(d.columns)
    current = {f"B{b:02d}": f"SR{int(r)}" for b, r in zip(df["brick"], df["current_SR"],
                                                        strict=True)}
    index = dict(zip(d.index, df["index_value"].astype(float), strict=True))
    customers = [dict(customer_id=b, name=f"Brick {b[1:]}", revenue=0.0, margin=0.0,
                      potential=0.0, kam_hours=index[b], current_manager=current[b],
                      status="must") for b in d.index]
    managers = [dict(manager_id=r, name=f"Sales representative {r[2:]}",
                     capacity_hours=BAND[1], min_hours=BAND[0]) for r in reps]
    w = disruption_weight(df) if objective == "disruption" else 0.0
    pair_costs = [dict(customer_id=b, manager_id=r,
                       cost=round(float(d.at[b, r]) + (w * index[b] if r != current[b] else 0.0),
                                  6))
                  for b in d.index for r in reps]
    case = tiny_case(customers, managers, pair_costs=pair_costs)
    return Case(case.customers, case.managers, case.activities, case.departments,
                case.responses, source=f"Pfizer Turkey ({objective})", pair_costs=case.pair_costs)


def pfizer_scenario() -> Scenario:
    """One coverage level (hours = the workload index), solved to optimality."""
    return Scenario(name="territory", levels=(Level("standard", 1.0, 1.0),), mip_gap=0.0,
                    time_limit=60)
