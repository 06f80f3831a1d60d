"""The scenario's keys on disruption: ``max_disruption`` (caps on what changes hands) and
``tie_break`` (among the plans within the gap of the best, the one that moves least,
``least_disruption``, or the one with the most even workload, ``least_largest_workload``),
read and checked (:class:`kamopt.case.scenario.Scenario` holds them).

>>> parse_caps({"accounts": 12, "revenue": "5e6"})
(('accounts', 12.0), ('revenue', 5000000.0))
>>> normal_tie_break("least_disruption"), normal_tie_break({"least_disruption": "hours"})
(('least_disruption', 'accounts'), ('least_disruption', 'hours'))
>>> normal_tie_break("least_largest_workload"), normal_tie_break({"least_largest_workload": "utilization"})
(('least_largest_workload', 'utilisation'), ('least_largest_workload', 'utilisation'))
"""

from __future__ import annotations

import difflib
import math

from kamopt.case.balance import BALANCE_MEASURES, MEASURE_ALIASES
from kamopt.case.numbers import yaml_number
from kamopt.errors import Problem

#: how disruption (key accounts changing hands) is measured: their number, their revenue
#: (EUR a year), their KAM hours at standard coverage (``kam_hours``)
DISRUPTION_MEASURES = ("accounts", "revenue", "hours")

#: the second objectives of ``tie_break`` (kamopt.solve.tiebreak)
TIE_BREAKS = ("least_disruption", "least_largest_workload")

#: each tie-break's measures, the first its default (``tie_break: least_disruption`` is by
#: accounts; ``least_largest_workload`` by utilisation, hours over capacity, else the largest
#: KAM hours, revenue or number of accounts a manager leads, kamopt.case.balance)
TIE_BREAK_MEASURES = {"least_disruption": DISRUPTION_MEASURES,
                      "least_largest_workload": ("utilisation", *(m for m in BALANCE_MEASURES
                                                                 if m != "utilisation"))}

#: the unit of each measure, in messages
MEASURE_UNITS = {"accounts": "key accounts", "revenue": "EUR a year of revenue",
                 "hours": "KAM hours at standard coverage"}

_SHAPE = "must map accounts, revenue or hours to a number, e.g. 'max_disruption: {accounts: 12}'"
_TIE_SHAPE = ("must be 'least_disruption', '{least_disruption: hours}', 'least_largest_workload' "
              "or '{least_largest_workload: hours}' (one tie-break and its measure)")


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def parse_caps(value: object) -> tuple:
    """``max_disruption`` as read from YAML: (measure, limit) pairs in the order given."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ValueError(_SHAPE)
    out = []
    for measure, limit in value.items():
        limit = yaml_number(limit)
        out.append((str(measure), float(limit) if _is_num(limit) else limit))
    return tuple(out)


def normal_caps(value: object) -> object:
    """``max_disruption`` given from Python: a dict becomes (measure, limit) pairs."""
    if isinstance(value, dict):
        return tuple((str(k), float(v) if _is_num(v) else v) for k, v in value.items())
    return value


def default_measure(goal: str) -> str:
    """The measure of ``tie_break: goal`` given without one (accounts for an unknown goal)."""
    return TIE_BREAK_MEASURES.get(goal, DISRUPTION_MEASURES)[0]


def normal_tie_break(value: object, strict: bool = False) -> object:
    """``tie_break`` as (goal, measure): ``least_disruption`` is by accounts,
    ``{least_disruption: hours}`` by hours, ``least_largest_workload`` by utilisation
    (``utilization`` read as it); what has neither shape stays as it is for
    :func:`disruption_problems` to name (``ValueError`` with ``strict``)."""
    if isinstance(value, str):
        return (value.strip(), default_measure(value.strip()))
    if isinstance(value, dict) and len(value) == 1:
        (goal, measure), = value.items()
        goal = str(goal).strip()
        if measure is None:
            return (goal, default_measure(goal))
        measure = str(measure).strip()
        return (goal, MEASURE_ALIASES.get(measure, measure) if goal == "least_largest_workload"
                else measure)
    if strict and value is not None:
        raise ValueError(_TIE_SHAPE)
    return value


def _did_you_mean(word: object, known) -> str:
    close = difflib.get_close_matches(str(word), list(known), n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else f"; one of {', '.join(known)}"


def disruption_problems(caps, tie_break, file: str) -> list[Problem]:
    """Known measures, limits >= 0, a known tie-break; each problem names its key
    (``max_disruption.hours``)."""
    p: list[Problem] = []
    for item in caps if isinstance(caps, tuple) else [caps]:
        if not (isinstance(item, tuple) and len(item) == 2):
            p.append(Problem(file, _SHAPE, column="max_disruption", value=item))
            continue
        measure, limit = item
        if measure not in DISRUPTION_MEASURES:
            p.append(Problem(file, "unknown measure" + _did_you_mean(measure, DISRUPTION_MEASURES),
                             column=f"max_disruption.{measure}", value=measure))
        elif not _is_num(limit) or limit < 0:
            p.append(Problem(file, f"must be a number >= 0 ({MEASURE_UNITS[measure]})",
                             column=f"max_disruption.{measure}", value=limit))
    tb = tie_break
    if tb is None:
        return p
    if not (isinstance(tb, tuple) and len(tb) == 2):
        p.append(Problem(file, _TIE_SHAPE, column="tie_break", value=tb))
    elif tb[0] not in TIE_BREAKS:
        p.append(Problem(file, "unknown tie-break" + _did_you_mean(tb[0], TIE_BREAKS),
                         column="tie_break", value=tb[0]))
    elif tb[1] not in TIE_BREAK_MEASURES[tb[0]]:
        p.append(Problem(file, "unknown measure" + _did_you_mean(tb[1], TIE_BREAK_MEASURES[tb[0]]),
                         column=f"tie_break.{tb[0]}", value=tb[1]))
    return p
