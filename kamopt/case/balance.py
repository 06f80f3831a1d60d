"""Balanced workloads: upper bands per manager and the scenario's ``balance`` block.

Two inputs bound what a manager carries from above (docs/model.md, "Balanced workloads"):

* ``managers.csv`` may give a manager ``max_hours`` (KAM hours a year) or ``max_share``
  (a share of the scenario's capacity, ``capacity_hours * capacity_scale``, in [0, 1]):
  an upper workload band below capacity, the counterpart of ``min_hours``. One of them a
  row; empty: no band.
* a scenario's ``balance`` block keeps every manager's load near the mean and may make
  the largest load the objective::

      balance:
        measure: utilisation  # utilisation, hours (the default), revenue or accounts
        within: 0.2           # every load within +-20% of the mean load
        objective: least_largest_workload   # minimise the largest load first

  The *load* of a manager is the KAM hours of the key accounts he or she leads, pair hours
  factors included (``hours``), those hours as a share of the manager's capacity in the
  scenario, ``capacity_hours * capacity_scale`` (``utilisation``, also spelt
  ``utilization``; a hire's own capacity), the revenue of those accounts (``revenue``) or
  their number (``accounts``). The mean is over the managers available in the scenario
  with capacity (hires included, leavers and managers with ``capacity_hours`` 0 not),
  whether or not they lead an account: a manager with nothing to do is the imbalance a
  planner means. Where capacities differ (executives with a few hundred hours beside KAMs
  with a thousand), a band in ``hours`` holds every KAM near the executives' hours; a band
  in ``utilisation`` keeps everyone about equally busy. ``max_share`` of managers.csv is an
  upper band in the same unit (a share of the same capacity), per manager and absolute
  rather than around the mean.

  ``least_largest_workload`` minimises the largest load, in hours as a share of the
  manager's capacity (utilisation: ``hours`` and ``utilisation`` are the same objective),
  in revenue or accounts as they are; then, among the plans with that largest load, the
  net contribution is maximised (:mod:`kamopt.solve.lexicographic`). It gives up net
  without limit (3.1 M EUR instead of 10.1 M on the sample); for the most even of the plans
  within the gap of the best use the scenario's ``tie_break: least_largest_workload``
  (``{least_largest_workload: hours}``, ``revenue``, ``accounts``; utilisation by default,
  :mod:`kamopt.solve.tiebreak`), which needs no ``balance`` block.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamopt.case.numbers import yaml_number
from kamopt.case.raw import ProblemLog, RawTable, column_key
from kamopt.case.schema import _g

#: what a manager's load is counted in: KAM hours, KAM hours over capacity, revenue of the
#: accounts led, accounts led
BALANCE_MEASURES = ("hours", "utilisation", "revenue", "accounts")

#: other spellings of a measure, read as it
MEASURE_ALIASES = {"utilization": "utilisation"}

#: the measures counted in KAM hours (activity hours and pair hours factors included)
HOURS_MEASURES = ("hours", "utilisation")

#: the objectives a ``balance`` block may set (the net contribution comes second)
BALANCE_OBJECTIVES = ("least_largest_workload",)

#: the keys of a ``balance`` block
BALANCE_KEYS = ("measure", "within", "objective")

#: each measure's unit, in messages and kpis
LOAD_UNITS = {"hours": "h a year", "utilisation": "share of capacity",
              "revenue": "EUR a year of revenue", "accounts": "key accounts"}


@dataclass(frozen=True)
class Balance:
    """A scenario's ``balance`` block.

    >>> b = parse_balance({"within": 0.2})
    >>> b.measure, b.within, b.objective, b.to_dict()
    ('hours', 0.2, None, {'measure': 'hours', 'within': 0.2})
    """

    measure: str = "hours"
    #: every available manager's load within +-within of the mean load; None: no band
    within: float | None = None
    #: ``least_largest_workload`` or None (the net contribution alone)
    objective: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.measure, str):  # utilization: utilisation
            object.__setattr__(self, "measure", MEASURE_ALIASES.get(self.measure, self.measure))

    def to_dict(self) -> dict:
        out: dict = {"measure": self.measure}
        if self.within is not None:
            out["within"] = self.within
        if self.objective is not None:
            out["objective"] = self.objective
        return out


def _did_you_mean(word: object, known) -> str:
    close = difflib.get_close_matches(str(word), list(known), n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else f"; one of {', '.join(known)}"


def parse_balance(value: object) -> Balance | None:
    """The ``balance`` block read from YAML (checked by :func:`balance_problems`).

    >>> parse_balance({"measure": "accounts", "within": 0.1})
    Balance(measure='accounts', within=0.1, objective=None)
    >>> parse_balance({"measure": "utilization", "within": 0.1}).measure
    'utilisation'
    >>> parse_balance({"measure": "hours", "withn": 0.1})
    Traceback (most recent call last):
    ...
    ValueError: unknown key 'withn'; did you mean 'within'?
    """
    if value is None:
        return None
    if isinstance(value, str):  # balance: least_largest_workload
        return Balance(objective=value.strip())
    if not isinstance(value, dict):
        raise ValueError("must be a mapping such as '{measure: utilisation, within: 0.2}' (measure, "
                         "within, objective)")
    for key in value:
        if key not in BALANCE_KEYS:
            raise ValueError(f"unknown key '{key}'" + _did_you_mean(key, BALANCE_KEYS))
    measure = value.get("measure", "hours")
    within = yaml_number(value.get("within"))
    if isinstance(within, int) and not isinstance(within, bool):
        within = float(within)
    objective = value.get("objective")
    return Balance("hours" if measure is None else str(measure).strip(), within,
                   None if objective is None else str(objective).strip())


def normal_balance(value: object) -> object:
    """A :class:`Balance` from a dict or text given in Python (``Scenario(balance={...})``);
    anything else, or what does not parse, unchanged (:func:`balance_problems` names it)."""
    if isinstance(value, dict | str):
        try:
            return parse_balance(value)
        except ValueError:
            return value
    return value


def balance_problems(b: Balance | None) -> list[tuple[str, object, str]]:
    """(key, value, what is expected) for each problem of a ``balance`` block."""
    if b is None:
        return []
    if not isinstance(b, Balance):
        return [("balance", b, "must be a mapping such as '{measure: utilisation, within: 0.2}'")]
    out = []
    if b.measure not in BALANCE_MEASURES:
        out.append(("balance.measure", b.measure,
                    "unknown measure" + _did_you_mean(b.measure, BALANCE_MEASURES)))
    w = b.within
    if w is not None and (isinstance(w, bool) or not isinstance(w, int | float)
                          or not math.isfinite(w) or not 0 <= w <= 1):
        out.append(("balance.within", w, "must be a number in [0, 1] (0.2: every load within "
                    "+-20% of the mean load)"))
    if b.objective is not None and b.objective not in BALANCE_OBJECTIVES:
        out.append(("balance.objective", b.objective,
                    "unknown objective" + _did_you_mean(b.objective, BALANCE_OBJECTIVES)))
    if w is None and b.objective is None:
        out.append(("balance", b.to_dict(), "needs 'within' (a band around the mean load) or "
                    "'objective: least_largest_workload', or both"))
    return out


# ------------------------------------------------------------ upper bands per manager
def upper_band(managers: pd.DataFrame) -> pd.Series:
    """Each manager's upper workload band in hours: ``max_hours``, or ``max_share`` times the
    scenario's ``capacity`` (the smaller where both are given); ``inf``: none.

    >>> m = pd.DataFrame({"capacity": [100.0, 100.0, 50.0], "max_hours": [80, None, None],
    ...                   "max_share": [None, 0.9, None]}, index=["A", "B", "C"])
    >>> upper_band(m).tolist()
    [80.0, 90.0, inf]
    """
    out = pd.Series(np.inf, index=managers.index)
    if "max_hours" in managers:
        out = np.fmin(out, pd.to_numeric(managers["max_hours"], errors="coerce").astype(float))
    if "max_share" in managers:
        share = pd.to_numeric(managers["max_share"], errors="coerce").astype(float)
        out = np.fmin(out, share * managers["capacity"].astype(float))
    return out.fillna(np.inf).astype(float)


def check_workload_bands(frames: Mapping[str, pd.DataFrame | None],
                         raws: Mapping[str, RawTable], log: ProblemLog) -> None:
    """``max_hours`` within ``[min_hours, capacity_hours]``, ``max_share * capacity_hours``
    at least ``min_hours``, and not both in one row (``max_share``'s [0, 1] is the schema's)."""
    managers, raw = frames.get("managers"), raws.get("managers")
    if managers is None or raw is None or "capacity_hours" not in managers:
        return
    heads = [column_key(h) for h in raw.header]
    num = lambda col: (pd.to_numeric(managers[col], errors="coerce").to_numpy(float)  # noqa: E731
                       if col in managers else np.full(len(managers), np.nan))
    cap, least = num("capacity_hours"), np.nan_to_num(num("min_hours"))
    most, share = num("max_hours"), num("max_share")
    if "max_hours" in heads:
        cells = np.asarray(raw.columns[heads.index("max_hours")])
        both = np.flatnonzero(~np.isnan(most) & ~np.isnan(share))
        if len(both):
            log.cells(raw.file, "max_hours", raw.rows[both], cells[both],
                      "is given with max_share in the same row; expected one of them (max_hours: "
                      "hours a year, max_share: a share of capacity_hours)")
        # NaN (empty or a bad cell, reported already) compares False
        above = np.flatnonzero((most > cap + 1e-9) & (cap >= 0))
        if len(above):
            log.cells(raw.file, "max_hours", raw.rows[above], cells[above],
                      [f"is more than the manager's capacity_hours ({_g(cap[i])}); expected a "
                       f"number in [{_g(least[i])}, {_g(cap[i])}] (an upper band below capacity)"
                       for i in above])
        below = np.flatnonzero((most < least - 1e-9) & ~(most > cap + 1e-9))
        if len(below):
            log.cells(raw.file, "max_hours", raw.rows[below], cells[below],
                      [f"is less than the manager's min_hours ({_g(least[i])}); expected a "
                       f"number in [{_g(least[i])}, {_g(cap[i])}]" for i in below])
    if "max_share" in heads:
        cells = np.asarray(raw.columns[heads.index("max_share")])
        low = np.flatnonzero((share * cap < least - 1e-9) & (share >= 0) & (share <= 1))
        if len(low):
            log.cells(raw.file, "max_share", raw.rows[low], cells[low],
                      [f"leaves {_g(share[i] * cap[i])} h of the manager's capacity_hours "
                       f"({_g(cap[i])}), less than min_hours ({_g(least[i])}); expected a share "
                       f"in [{_g(least[i] / cap[i])}, 1]" for i in low])
