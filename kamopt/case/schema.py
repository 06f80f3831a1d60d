"""The case format: tables, columns, types, defaults and ranges (spec section 1).

This module is data only. The loader (:mod:`kamopt.case.io`) reads files against it,
the validator checks values against it, and the sample generator writes
files that satisfy it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Activity kinds: the *what* (logistics, product, development) and the *how*
#: (information, training, integration) of key-account work.
ACTIVITY_KINDS = ("logistics", "product", "development", "information", "training", "integration")
MANAGER_ROLES = ("kam", "executive")
CUSTOMER_STATUSES = ("", "must", "exclude")


@dataclass(frozen=True)
class Column:
    """One column of a case table.

    ``kind`` is one of ``text``, ``number``, ``integer``, ``choice``, ``list``.
    ``lo``/``hi`` bound numbers (``lo_open``: strictly greater than ``lo``).
    ``ref`` names the table (and its id column) a value must exist in.
    """

    name: str
    kind: str = "text"
    required: bool = False
    default: object = None
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None
    unique: bool = False

    def expectation(self) -> str:
        """The expected value in words, for error messages.

        >>> Column("margin", "number", lo=0, hi=1).expectation()
        'a number in [0, 1]'
        >>> Column("kam_hours", "number", lo=0, lo_open=True).expectation()
        'a number > 0'
        """
        if self.kind in ("number", "integer"):
            noun = "a whole number" if self.kind == "integer" else "a number"
            if self.lo is not None and self.hi is not None:
                return f"{noun} in [{_g(self.lo)}, {_g(self.hi)}]"
            if self.lo is not None:
                return f"{noun} {'>' if self.lo_open else '>='} {_g(self.lo)}"
            return noun
        if self.kind == "choice":
            shown = [repr(c) if c else "empty" for c in self.choices]
            return "one of " + ", ".join(shown)
        if self.kind == "list":
            return "names separated by ';' or '|'"
        return "text"


def _g(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Table:
    """One table of a case: its file stem, id column and columns."""

    name: str
    columns: tuple[Column, ...]
    id: str | None = None
    required: bool = False
    extra_ids: tuple[str, ...] = field(default=())
    #: a column the table does not have is refused (not kept as text): for tables whose
    #: misspelt column would change the plan without a word (``pair_costs``)
    closed: bool = False

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


CUSTOMERS = Table(
    "customers",
    id="customer_id",
    required=True,
    columns=(
        Column("customer_id", required=True, unique=True),
        Column("name", default=""),
        Column("region", default=""),
        Column("industry", default=""),
        Column("revenue", "number", required=True, lo=0),
        Column("margin", "number", required=True, lo=0, hi=1),
        Column("potential", "number", required=True, lo=0),
        Column("kam_hours", "number", required=True, lo=0),  # 0: a key account needing no hours
        Column("tier", "integer", default=1, lo=1, hi=3),
        Column("current_manager", default="", ref="managers"),
        Column("status", "choice", default="", choices=CUSTOMER_STATUSES),
        # optional ends of a triangular distribution around potential (kamopt.case.uncertainty);
        # empty: the scenario's uncertainty.potential_spread applies
        Column("potential_low", "number", default=float("nan"), lo=0),
        Column("potential_high", "number", default=float("nan"), lo=0),
    ),
)

MANAGERS = Table(
    "managers",
    id="manager_id",
    required=True,
    columns=(
        Column("manager_id", required=True, unique=True),
        Column("name", default=""),
        Column("region", default=""),
        Column("industries", "list", default=()),
        Column("seniority", "integer", default=1, lo=1, hi=3),
        Column("capacity_hours", "number", required=True, lo=0),
        Column("hourly_cost", "number", default=0.0, lo=0),
        Column("role", "choice", default="kam", choices=MANAGER_ROLES),
        Column("min_hours", "number", default=0.0, lo=0),
        # an upper workload band below capacity (kamopt.case.balance): hours, or a share of
        # the capacity; empty: none
        Column("max_hours", "number", default=float("nan"), lo=0),
        Column("max_share", "number", default=float("nan"), lo=0, hi=1),
    ),
)

ACTIVITIES = Table(
    "activities",
    id="activity_id",
    columns=(
        Column("activity_id", required=True, unique=True),
        Column("name", default=""),
        Column("kind", "choice", required=True, choices=ACTIVITY_KINDS),
        Column("cost", "number", default=0.0, lo=0),
        Column("kam_hours", "number", default=0.0, lo=0),
        Column("uplift", "number", default=0.0, lo=0, hi=1),
        Column("department", default="", ref="departments"),
        Column("dept_hours", "number", default=0.0, lo=0),
    ),
)

DEPARTMENTS = Table(
    "departments",
    id="department",
    columns=(
        Column("department", required=True, unique=True),
        Column("capacity_hours", "number", required=True, lo=0),
    ),
)

RESPONSES = Table(
    "responses",
    columns=(
        Column("customer_id", required=True, ref="customers"),
        Column("level", required=True),
        Column("hours", "number", required=True, lo=0),
        Column("realization", "number", required=True, lo=0, hi=1),
    ),
)

#: kamopt's extension of the format (not in spec section 1): a yearly cost of
#: one manager leading one account, such as travel; pairs not listed cost 0.
#: ``hours_factor`` multiplies the account's KAM hours when that manager leads it
#: (travel, language, familiarity); ``hours`` gives the pair's hours at a level of
#: hours_factor 1 outright (read as the factor ``hours / kam_hours``): at most one of
#: them a row, empty for neither (factor 1). docs/model.md, "Hours by lead manager".
PAIR_COSTS = Table(
    "pair_costs",
    closed=True,
    columns=(
        Column("customer_id", required=True, ref="customers"),
        Column("manager_id", required=True, ref="managers"),
        Column("cost", "number", default=0.0, lo=0),
        Column("hours_factor", "number", default=float("nan"), lo=0),
        Column("hours", "number", default=float("nan"), lo=0),
    ),
)

#: All tables in the order they are loaded and checked.
TABLES: tuple[Table, ...] = (CUSTOMERS, MANAGERS, ACTIVITIES, DEPARTMENTS, RESPONSES, PAIR_COSTS)
TABLES_BY_NAME = {t.name: t for t in TABLES}
#: optional tables of a case, read by kamopt.case.assumptions (``TARGETS``, ``CAPACITY_BY_YEAR``)
OTHER_TABLES: tuple[str, ...] = ("targets", "capacity_by_year")
