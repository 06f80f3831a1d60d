"""The typed case: the input tables, indexed by their ids.

A :class:`Case` is what :func:`kamopt.load_case` returns. Its tables are pandas
DataFrames indexed by their id columns (``customer_id``, ``manager_id``,
``activity_id``, ``department``); ``responses`` keeps a plain index with the
columns ``customer_id, level, hours, realization``, and ``pair_costs`` one
with ``customer_id, manager_id, cost`` (kamopt's extension: empty when the
case has none). Text columns are ``str``
with ``""`` for empty; a manager's ``industries`` is a tuple of names.
Columns not in the format are kept, after the known ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from kamopt.case.schema import PAIR_COSTS, Table
from kamopt.units import hours

#: the dtype of each kind of column (:mod:`kamopt.case.schema`), as :mod:`kamopt.case.validate` parses it
_DTYPES: dict[str, object] = {"number": "float64", "integer": "int64", "list": object}


def empty_table(table: Table) -> pd.DataFrame:
    """The table with no rows: the right columns, dtypes and index name.

    The same frame as :mod:`kamopt.case.validate` parses from a file with a header only.

    >>> from kamopt.case.schema import DEPARTMENTS
    >>> empty_table(DEPARTMENTS).index.name
    'department'
    """
    frame = pd.DataFrame(
        {c.name: pd.Series([], dtype=_DTYPES.get(c.kind, str)) for c in table.columns},
        index=pd.RangeIndex(0),
    )
    return frame.set_index(table.id) if table.id else frame


@dataclass(frozen=True)
class Case:
    customers: pd.DataFrame
    managers: pd.DataFrame
    activities: pd.DataFrame
    departments: pd.DataFrame
    responses: pd.DataFrame
    source: str = field(default="", compare=False)
    pair_costs: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.pair_costs is None:  # optional: a case built without it has none
            object.__setattr__(self, "pair_costs", empty_table(PAIR_COSTS))
        missing = [c for c in PAIR_COSTS.columns if not c.required
                   and c.name not in self.pair_costs.columns]
        if missing:  # optional columns (cost, hours_factor, hours) as a loaded case has them
            pc = self.pair_costs.copy()
            for c in missing:
                pc[c.name] = pd.Series(c.default, index=pc.index, dtype=float)
            order = [c.name for c in PAIR_COSTS.columns if c.name in pc.columns]
            pc = pc[order + [c for c in pc.columns if c not in order]]
            pc.attrs.update(self.pair_costs.attrs)
            object.__setattr__(self, "pair_costs", pc)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Case):
            return NotImplemented
        return all(
            getattr(self, name).equals(getattr(other, name))
            for name in self.tables
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in the order of the case format."""
        return {
            "customers": self.customers,
            "managers": self.managers,
            "activities": self.activities,
            "departments": self.departments,
            "responses": self.responses,
            "pair_costs": self.pair_costs,
        }

    def summary(self) -> dict[str, float | int]:
        """Counts and totals a user checks first.

        ``hours_needed`` is the KAM hours a year if every candidate (every
        customer not excluded) became a key account at standard coverage; ``hours_available`` is the managers'
        capacity.
        """
        c, m = self.customers, self.managers
        return {
            "customers": len(c),
            "managers": len(m),
            "executives": int((m["role"] == "executive").sum()),
            "activities": len(self.activities),
            "departments": len(self.departments),
            "responses": len(self.responses),
            "must": int((c["status"] == "must").sum()),
            "exclude": int((c["status"] == "exclude").sum()),
            "revenue": float(c["revenue"].sum()),
            "contribution": float((c["revenue"] * c["margin"]).sum()),
            "potential": float(c["potential"].sum()),
            "hours_needed": float(c.loc[c["status"] != "exclude", "kam_hours"].sum()),
            "hours_available": float(m["capacity_hours"].sum()),
            "department_hours": float(self.departments["capacity_hours"].sum())
            if len(self.departments)
            else 0.0,
            "pair_costs": len(self.pair_costs),
            "min_hours": float(m["min_hours"].sum()) if "min_hours" in m else 0.0,
            "managers_with_min_hours": int((m["min_hours"] > 0).sum()) if "min_hours" in m else 0,
        }

    def describe(self) -> str:
        """A short human summary of the case, as ``kamopt check`` prints it."""
        s = self.summary()
        lines = [
            f"Case {self.source or '(in memory)'}: valid",
            f"  customers        {s['customers']:>10,}   ({s['must']} must, {s['exclude']} exclude)",
            f"  managers         {s['managers']:>10,}   ({s['executives']} from top management)",
            f"  activities       {s['activities']:>10,}",
            f"  departments      {s['departments']:>10,}",
            f"  revenue          {s['revenue']:>14,.0f} EUR a year",
            f"  contribution     {s['contribution']:>14,.0f} EUR a year (revenue x margin)",
            f"  potential        {s['potential']:>14,.0f} EUR a year (cross-selling)",
            f"  KAM hours needed {hours(s['hours_needed']):>14} h at standard coverage, all candidates",
            f"  KAM hours avail. {hours(s['hours_available']):>14} h ({s['hours_available'] / max(s['hours_needed'], 1e-9):.0%} of needed)",
        ]
        if s["managers_with_min_hours"]:
            lines.append(f"  KAM hours min.   {hours(s['min_hours']):>14} h at least (min_hours of "
                         f"{s['managers_with_min_hours']} managers)")
        if s["pair_costs"]:
            lines.append(f"  pair costs       {s['pair_costs']:>10,}   (customer, manager) pairs "
                         "with a cost (pair_costs.csv)")
        return "\n".join(lines)


def flat_table(case: Case, name: str) -> pd.DataFrame:
    """A case table as a flat frame with the id as first column."""
    df = case.tables[name]
    from kamopt.case.schema import TABLES_BY_NAME

    table = TABLES_BY_NAME[name]
    out = df.reset_index() if table.id else df.copy()
    if "industries" in out.columns:
        out["industries"] = out["industries"].map(lambda v: ";".join(v))
    # optional number columns whose default is "not given" (NaN) are written only when a
    # row gives them, and empty where a row does not
    unset = [c.name for c in table.columns if c.kind == "number" and c.default is not None
             and c.name in out and math.isnan(c.default)]
    for col in unset:
        if out[col].isna().all():
            out = out.drop(columns=col)
        else:
            out[col] = out[col].astype(object).where(out[col].notna(), "")
    return out
