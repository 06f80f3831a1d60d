"""A small case from plain records: lists of dicts, with the case format's defaults filled.

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
