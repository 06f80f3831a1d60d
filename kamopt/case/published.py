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

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kamopt.case.records import tiny_case
from kamopt.case.scenario import Level, Scenario
from kamopt.case.tables import Case

__all__ = ["GAP_OPTIMA", "GapInstance", "PFIZER_FIGURES", "disruption_weight", "gap_case",
           "gap_profit", "gap_scenario", "pfizer_turkey", "pfizer_scenario",
           "read_gap", "read_pfizer_turkey"]

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


# ------------------------------------------------ the generalized assignment problem
#: Optimal profits of OR-Library's GAP instances of type c, solved as maximisation problems
#: (Beasley's gapinfo; Osman 1995, Cattrysse, Salomon and Van Wassenhove 1994): the
#: instances kept in data/validation/gap.
GAP_OPTIMA = {"c515-1": 336, "c515-2": 327, "c520-1": 434, "c525-1": 580}


@dataclass(frozen=True)
class GapInstance:
    """One GAP instance: ``profit[i][j]`` and ``resource[i][j]`` of agent i doing job j,
    and each agent's ``capacity``."""

    name: str
    profit: tuple[tuple[float, ...], ...]
    resource: tuple[tuple[float, ...], ...]
    capacity: tuple[float, ...]

    @property
    def agents(self) -> int:
        return len(self.capacity)

    @property
    def jobs(self) -> int:
        return len(self.profit[0]) if self.profit else 0


def read_gap(path: str | Path) -> list[GapInstance]:
    r"""The instances of an OR-Library GAP file (``gap1`` .. ``gap12``; format in
    data/validation/gap/README.md), named ``<stem>`` or ``<stem>-<k>`` when it has several.

    >>> text = "1\n2 3\n1 2 3\n4 5 6\n1 1 1\n2 2 2\n3 4\n"
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = Path(tmp) / "tiny.txt"
    ...     _ = f.write_text(text)
    ...     gap = read_gap(f)[0]
    >>> gap.name, gap.agents, gap.jobs, gap.resource[1], gap.capacity
    ('tiny', 2, 3, (2.0, 2.0, 2.0), (3.0, 4.0))
    """
    path = Path(path)
    t = [float(x) for x in path.read_text().split()]
    count, k, out = int(t[0]), 1, []
    for p in range(count):
        m, n = int(t[k]), int(t[k + 1])
        k += 2
        profit = tuple(tuple(t[k + i * n:k + (i + 1) * n]) for i in range(m))
        k += m * n
        resource = tuple(tuple(t[k + i * n:k + (i + 1) * n]) for i in range(m))
        k += m * n
        capacity = tuple(t[k:k + m])
        k += m
        out.append(GapInstance(path.stem if count == 1 else f"{path.stem}-{p + 1}",
                               profit, resource, capacity))
    if k != len(t):
        raise ValueError(f"{path} is not an OR-Library GAP file: {len(t) - k} numbers left over")
    return out


def gap_case(gap: GapInstance) -> Case:
    """A GAP instance as a kamopt :class:`Case` (the generalized assignment problem).

    ======================  ====================================================
    the GAP                 kamopt
    ======================  ====================================================
    job j                   a customer ``J01`` .., ``must``, ``kam_hours`` 1
    agent i                 a manager ``A1`` .., ``capacity_hours`` = capacity
    resource a_ij           ``pair_costs.csv``'s ``hours`` of the pair (job, agent)
    profit c_ij             ``pair_costs.csv``'s ``cost``: ``max c - c_ij``
    ======================  ====================================================

    Revenue, margin, potential and hourly costs are 0, so the plan's objective is minus the
    total pair cost. Pair costs are not negative, so the profit is shifted by the largest,
    ``C = max c``: with every job assigned (all are ``must``) the total cost is
    ``n C - profit``, a constant minus the profit, and the most profitable assignment is
    the plan; :func:`gap_profit` gives the profit back.
    """
    top = max(max(r) for r in gap.profit)
    width = len(str(gap.jobs))
    jobs = [f"J{j + 1:0{width}d}" for j in range(gap.jobs)]
    agents = [f"A{i + 1}" for i in range(gap.agents)]
    customers = [dict(customer_id=j, revenue=0.0, margin=0.0, potential=0.0, kam_hours=1.0,
                      status="must") for j in jobs]
    managers = [dict(manager_id=a, capacity_hours=float(cap), hourly_cost=0.0)
                for a, cap in zip(agents, gap.capacity, strict=True)]
    pairs = [dict(customer_id=jobs[j], manager_id=agents[i], cost=float(top - gap.profit[i][j]),
                  hours=float(gap.resource[i][j]))
             for j in range(gap.jobs) for i in range(gap.agents)]
    case = tiny_case(customers, managers, pair_costs=pairs)
    return Case(case.customers, case.managers, case.activities, case.departments,
                case.responses, source=f"GAP {gap.name}", pair_costs=case.pair_costs)


def gap_profit(gap: GapInstance, objective: float) -> float:
    """The GAP's profit of a plan of :func:`gap_case` with this objective (``n C + objective``)."""
    return gap.jobs * max(max(r) for r in gap.profit) + objective


def gap_scenario() -> Scenario:
    """One coverage level of factor 1 (the pair's hours as given), solved to optimality
    under a generous node budget (these instances solve in well under a second)."""
    return Scenario(name="gap", levels=(Level("standard", 1.0, 1.0),), mip_gap=0.0,
                    node_limit=100_000, time_limit=600)
