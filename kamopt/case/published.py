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

Also cast here: OR-Library's generalized assignment problems (:func:`gap_case`) and a
CALLPLAN-style table of sales by hours of effort (:func:`response_table_case`: the
best allocation of a salesperson's hours).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kamopt.case.records import tiny_case
from kamopt.case.scenario import Level, Scenario
from kamopt.case.tables import Case

__all__ = ["CALLPLAN_FIGURES", "GAP_OPTIMA", "GapInstance", "PFIZER_FIGURES",
           "disruption_weight", "gap_case", "gap_profit", "gap_scenario", "pfizer_turkey",
           "pfizer_scenario", "read_gap", "read_pfizer_turkey", "read_response_table",
           "response_table_case", "response_table_sales", "response_table_scenario"]

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


# ------------------------------------------- a CALLPLAN-style table of sales by hours
#: The published figures of the eight-account table of sales by hours of effort
#: (data/validation/callplan_eight_accounts): the hours to allocate and the sales of the
#: present allocation.
CALLPLAN_FIGURES = {"hours": 20, "present_sales": 912}


def _bad_table(file: str, row: int, column: str, value: object, expected: str) -> ValueError:
    return ValueError(f"{file}, row {row}, column {column!r}: got {value!r}; {expected}")


def read_response_table(path: str | Path) -> pd.DataFrame:
    """A table of sales by hours of effort, as in data/validation/callplan_eight_accounts:
    ``account, sales_0h, sales_1h, .., sales_<n>h[, present_hours]``.

    Returns a frame indexed by account with one column a number of hours ``0 .. n`` (the
    sales at that effort) and ``present_hours`` (-1 where the file has no such column).

    Raises
    ------
    ValueError
        Naming file, row (as a spreadsheet shows it), column and what was expected: a
        missing column, a sales figure that is not a number >= 0 or is below the sales at
        0 hours, present hours that are not a whole number within the table, an account
        given twice.
    """
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.columns = [str(c).strip() for c in raw.columns]
    file = path.name
    if "account" not in raw.columns:
        raise _bad_table(file, 1, "account", list(raw.columns), "the header needs a column "
                         "'account' and columns sales_0h, sales_1h, ..")
    hours = []
    while f"sales_{len(hours)}h" in raw.columns:
        hours.append(len(hours))
    if len(hours) < 2:
        raise _bad_table(file, 1, f"sales_{len(hours)}h", list(raw.columns),
                         "the header needs columns sales_0h, sales_1h, .. (one for each whole "
                         "number of hours from 0)")
    accounts = [a.strip() for a in raw["account"]]
    for k, a in enumerate(accounts):
        if not a:
            raise _bad_table(file, k + 2, "account", a, "must name the account")
        if a in accounts[:k]:
            raise _bad_table(file, k + 2, "account", a, f"is given twice (first in row "
                             f"{accounts.index(a) + 2}); one row an account")
    values = np.zeros((len(raw), len(hours)))
    for h in hours:
        col = f"sales_{h}h"
        for k, text in enumerate(raw[col]):
            try:
                v = float(text)
            except ValueError:
                v = math.nan
            if not math.isfinite(v) or v < 0:
                raise _bad_table(file, k + 2, col, text, "must be a number >= 0 (sales)")
            if h and v < values[k, 0]:
                raise _bad_table(file, k + 2, col, text, f"must not be below the sales at 0 h "
                                 f"({raw['sales_0h'].iloc[k]}): effort cannot lose sales here")
            values[k, h] = v
    out = pd.DataFrame(values, index=pd.Index(accounts, name="account"), columns=hours)
    present = np.full(len(raw), -1, dtype=np.int64)
    if "present_hours" in raw.columns:
        for k, text in enumerate(raw["present_hours"]):
            try:
                v = float(text)
            except ValueError:
                v = math.nan
            if not (math.isfinite(v) and v == int(v) and 0 <= v <= hours[-1]):
                raise _bad_table(file, k + 2, "present_hours", text,
                                 f"must be a whole number of hours from 0 to {hours[-1]}")
            present[k] = int(v)
    out["present_hours"] = present
    return out


def _hours_of(table: pd.DataFrame) -> list[int]:
    return [h for h in table.columns if isinstance(h, int | np.integer)]


def response_table_case(table: pd.DataFrame, hours_budget: float = CALLPLAN_FIGURES["hours"]
                        ) -> Case:
    """A table of sales by hours (:func:`read_response_table`) as a kamopt :class:`Case`.

    ============================  ==================================================
    the table                     kamopt
    ============================  ==================================================
    account                       a customer (optional: 0 hours is "not a key
                                  account"), ``kam_hours`` 1, margin 1
    sales at 0 h                  ``revenue``
    the most sales less those     ``potential``
    at 0 h
    h = 1 .. n hours              ``responses.csv``: level ``<h>h`` with ``hours`` h and
                                  ``realization`` (sales(h) - sales(0)) / potential
    the salesperson               one manager ``S1``, ``capacity_hours`` the budget,
                                  no hourly cost
    ============================  ==================================================

    With :func:`response_table_scenario` (retention, industry fit and continuity bonus 0)
    a key account at level ``<h>h`` is worth ``margin * realization * potential`` =
    sales(h) - sales(0) and an account that is not a key account 0, so the plan's objective
    is the total sales less the sales at 0 h of every account, a constant:
    :func:`response_table_sales` adds it back.
    """
    hours = _hours_of(table)
    customers, responses = [], []
    for a, row in table.iterrows():
        base = float(row[0])
        top = max(float(row[h]) for h in hours)
        potential = top - base
        customers.append(dict(customer_id=str(a), name=f"Account {a}", revenue=base, margin=1.0,
                              potential=potential, kam_hours=1.0, current_manager="S1"))
        responses += [dict(customer_id=str(a), level=f"{h}h", hours=float(h),
                           realization=(float(row[h]) - base) / potential if potential > 0
                           else 0.0) for h in hours if h > 0]
    managers = [dict(manager_id="S1", name="Salesperson", capacity_hours=float(hours_budget),
                     hourly_cost=0.0)]
    case = tiny_case(customers, managers, responses=responses)
    return Case(case.customers, case.managers, case.activities, case.departments,
                case.responses, source="sales by hours", pair_costs=case.pair_costs)


def response_table_scenario(table: pd.DataFrame, hours: dict[str, int] | None = None
                            ) -> Scenario:
    """The scenario of :func:`response_table_case`: levels ``1h`` .. ``<n>h`` (the accounts'
    own in responses.csv), nothing valued but the judged sales (retention, industry fit,
    continuity bonus 0), solved to optimality (mip_gap 0) under a node budget, the time
    limit only a safety net.

    ``hours`` (account -> hours) fixes an allocation: each account with hours > 0 at its
    level (the scenario's ``coverage``), each with 0 hours ``exclude``; e.g.
    ``table["present_hours"].to_dict()``, the present allocation.
    """
    levels = tuple(Level(f"{h}h", float(h), 1.0) for h in _hours_of(table) if h > 0)
    coverage, exclude = (), ()
    if hours is not None:
        coverage = tuple((str(a), f"{int(h)}h") for a, h in hours.items() if int(h) > 0)
        exclude = tuple(str(a) for a, h in hours.items() if int(h) == 0)
    return Scenario(name="allocation" if hours is None else "fixed allocation", levels=levels,
                    retention=0.0, industry_fit=0.0, continuity_bonus=0.0, mip_gap=0.0,
                    node_limit=100_000, time_limit=3600, coverage=coverage, exclude=exclude)


def response_table_sales(table: pd.DataFrame, objective: float) -> float:
    """The total sales of a plan of :func:`response_table_case` with this objective: the
    objective plus every account's sales at 0 h."""
    return float(table[0].sum()) + objective
