"""The customer portfolio: which customers matter now, and which could matter.

The first KAM question, *for which customers should key-account management be
set up?*, is answered in the source text with the customer portfolio: a
customer is worth key-account status when its current business with us
(*economic importance*) or its cross-selling potential (*economic potential*)
is high. This module measures both on the same scale, EUR of contribution a
year, and sorts the customers into four quadrants:

=========================  ==========  =========  =====================================
quadrant                   importance  potential  what it suggests
=========================  ==========  =========  =====================================
``key-account candidate``  high        high       the natural key accounts
``develop``                low         high       invest: the business is still to come
``maintain``               high        low        protect the current business
``standard``               low         low        served by the regular sales force
=========================  ==========  =========  =====================================

* ``importance = revenue * margin`` (EUR a year of contribution today);
* ``potential_value = potential * margin`` (EUR a year of contribution that
  cross-selling could add, at the customer's margin rate).

Thresholds
----------
A customer is *high* on a measure when its value is **at least** the
threshold (``>=``); a customer exactly on the line counts as high, unless the
value is 0 (when most customers have no potential, the quantile is 0, and
none of them is "high" on it). Thresholds
are given in EUR (``importance_threshold=50_000``) or as a quantile of the
customers' own values (``importance_quantile=0.9``).

The default is the **80th percentile** of each measure (``DEFAULT_QUANTILE``),
so about the top fifth of customers is *high* on each axis. Why not the mean:
revenue is long-tailed, and the mean follows the few largest customers (one
new large customer moves it and reshuffles the quadrants of everybody else);
for a lognormal portfolio it lands anywhere from the 60th to the 90th
percentile depending on the spread. A percentile is robust to the tail, does
not depend on the currency unit, and gives a predictable number of
candidates, which matters because key-account capacity is small. It is also
the usual Pareto line (the top 20 %) that the ABC analysis uses for revenue.
The thresholds used are always returned in ``pf.attrs["thresholds"]``.

ABC classes
-----------
:func:`abc_classes` ranks customers by revenue. A customer's class follows
from the share of revenue of the customers *strictly larger* than it: below
``a`` (80 %) it is A, below ``b`` (95 %) it is B, otherwise C. Walking down the
ranking, the customer that crosses the 80 % line is therefore still A, so the
A class always holds at least 80 % of revenue and the largest customer is
always A. Customers with equal revenue always share a class, whatever their
order in the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from kamopt.case.tables import Case
from kamopt.i18n import N_

__all__ = [
    "DEFAULT_QUANTILE",
    "QUADRANTS",
    "abc_classes",
    "concentration_curve",
    "gini",
    "portfolio",
    "quadrant_summary",
]

KEY_ACCOUNT_CANDIDATE = N_("key-account candidate")
DEVELOP = N_("develop")
MAINTAIN = N_("maintain")
STANDARD = N_("standard")

#: The quadrants in display order (also the order of the categorical column).
QUADRANTS: tuple[str, ...] = (KEY_ACCOUNT_CANDIDATE, DEVELOP, MAINTAIN, STANDARD)

#: ABC classes, A = the largest customers.
ABC = ("A", "B", "C")

#: Default quantile for both thresholds (the 80th percentile), see the module docs.
DEFAULT_QUANTILE = 0.8

#: Columns carried over from the customers table when present.
CARRY_OVER = ("name", "region", "industry", "revenue", "potential", "margin", "kam_hours", "tier")

_REQUIRED = ("revenue", "margin", "potential")

#: Relative tolerance with which a cumulative share "reaches" an ABC line.
_RTOL = 1e-9


def portfolio(
    case_or_customers: Case | pd.DataFrame,
    importance_threshold: float | None = None,
    potential_threshold: float | None = None,
    *,
    importance_quantile: float | None = None,
    potential_quantile: float | None = None,
) -> pd.DataFrame:
    """Place every customer in the portfolio: importance, potential, quadrant, ABC.

    Parameters
    ----------
    case_or_customers : Case or pandas.DataFrame
        A case, or its customers table indexed by ``customer_id`` (a
        ``customer_id`` column is used as the index). Needs ``revenue``,
        ``margin`` and ``potential``.
    importance_threshold, potential_threshold : float, optional
        Thresholds in EUR a year of contribution. A customer is high on a
        measure when its value is ``>=`` the threshold.
    importance_quantile, potential_quantile : float in [0, 1], optional
        Derive the threshold as this quantile of the values of all
        customers in the table (linear interpolation; filter the table first
        to leave customers out). Give either the threshold or the quantile,
        not both. When neither is given the quantile is
        :data:`DEFAULT_QUANTILE` (0.8).

    Returns
    -------
    pandas.DataFrame
        On the customers' index: ``name`` (if present), ``importance`` and
        ``potential_value`` (EUR a year), ``quadrant`` (categorical, in the
        order of :data:`QUADRANTS`), ``abc`` (categorical A/B/C, by revenue)
        and the carried-over columns ``region, industry, revenue, potential,
        margin, kam_hours, tier`` that the input has. ``attrs["thresholds"]``
        holds the thresholds used and how they were set.

    Raises
    ------
    TypeError
        If the input is neither a Case nor a DataFrame.
    ValueError
        If a required column is missing, an id is duplicated, a value is
        missing, negative or a margin is outside [0, 1], or a threshold or
        quantile is invalid.

    Examples
    --------
    >>> customers = pd.DataFrame(
    ...     {"revenue": [1000, 200, 900, 100], "margin": [0.5, 0.5, 0.5, 0.5],
    ...      "potential": [800, 600, 0, 100]},
    ...     index=pd.Index(["C1", "C2", "C3", "C4"], name="customer_id"))
    >>> pf = portfolio(customers, importance_threshold=450, potential_threshold=300)
    >>> pf[["importance", "potential_value", "quadrant", "abc"]]  # doctest: +NORMALIZE_WHITESPACE
                 importance  potential_value               quadrant abc
    customer_id
    C1                500.0            400.0  key-account candidate   A
    C2                100.0            300.0                develop   B
    C3                450.0              0.0               maintain   A
    C4                 50.0             50.0               standard   C
    >>> pf.attrs["thresholds"]["importance"]
    450.0
    >>> portfolio(customers).attrs["thresholds"]["importance_rule"]
    '80th percentile'
    """
    customers = _customers(case_or_customers, "portfolio")
    importance = (customers["revenue"] * customers["margin"]).rename("importance")
    potential_value = (customers["potential"] * customers["margin"]).rename("potential_value")
    t_imp, rule_imp = _threshold(importance, importance_threshold, importance_quantile,
                                 "importance_threshold", "importance_quantile")
    t_pot, rule_pot = _threshold(potential_value, potential_threshold, potential_quantile,
                                 "potential_threshold", "potential_quantile")
    high_imp = ((importance >= t_imp) & (importance > 0)).to_numpy()  # nothing is never high
    high_pot = ((potential_value >= t_pot) & (potential_value > 0)).to_numpy()
    quadrant = np.select(
        [high_imp & high_pot, ~high_imp & high_pot, high_imp & ~high_pot],
        [KEY_ACCOUNT_CANDIDATE, DEVELOP, MAINTAIN],
        default=STANDARD,
    )
    out = pd.DataFrame(index=customers.index)
    if "name" in customers:
        out["name"] = customers["name"]
    out["importance"] = importance.astype(float)
    out["potential_value"] = potential_value.astype(float)
    out["quadrant"] = pd.Categorical(quadrant, categories=QUADRANTS)
    out["abc"] = abc_classes(customers["revenue"])
    for col in CARRY_OVER:
        if col in customers and col != "name":
            out[col] = customers[col]
    out.attrs["thresholds"] = {
        "importance": t_imp,
        "potential_value": t_pot,
        "importance_rule": rule_imp,
        "potential_rule": rule_pot,
    }
    return out


def abc_classes(revenue: pd.Series | Sequence[float], a: float = 0.8, b: float = 0.95) -> pd.Series:
    """ABC class of each customer by revenue.

    A customer's class follows from the share of total revenue made by the
    customers with *strictly larger* revenue: below ``a`` it is A, below ``b``
    it is B, otherwise C. So the customer that crosses the ``a`` line is still
    A, the largest customer is always A, and equal revenues share a class
    (the result does not depend on the row order). A share within a relative
    1e-9 of a line counts as having reached it. If the total is 0, every
    customer is C.

    Parameters
    ----------
    revenue : pandas.Series or sequence of float
        Revenue per customer, >= 0.
    a, b : float
        Cumulative revenue shares that close class A and class B,
        ``0 < a <= b <= 1``.

    Returns
    -------
    pandas.Series
        Ordered categorical ``"A" < "B" < "C"`` named ``abc``, on the index
        of ``revenue``.

    Examples
    --------
    50 and 30 make exactly 80 %, so A ends there; 10 brings B to 90 %, and the
    two tied 5s start at 90 % (< 95 %), so both are B:

    >>> abc_classes([50, 30, 10, 5, 5]).tolist()
    ['A', 'A', 'B', 'B', 'B']
    >>> abc_classes([90, 6, 4]).tolist()
    ['A', 'B', 'C']
    """
    _check_shares(a, b)
    r = _revenue(revenue, "abc_classes")
    values = r.to_numpy()
    ascending = np.sort(values)
    # suffix[k] = sum(ascending[k:]); values strictly larger than x start at
    # searchsorted(ascending, x, side="right").
    suffix = np.concatenate([np.cumsum(ascending[::-1])[::-1], [0.0]])
    total = suffix[0] if len(values) else 0.0
    larger = suffix[np.searchsorted(ascending, values, side="right")]
    tol = _RTOL * total
    cls = np.where(larger < a * total - tol, "A", np.where(larger < b * total - tol, "B", "C"))
    return pd.Series(
        pd.Categorical(cls, categories=ABC, ordered=True), index=r.index, name="abc"
    )


def concentration_curve(revenue: pd.Series | Sequence[float]) -> pd.DataFrame:
    """Revenue concentration (Lorenz-style), from the largest customer down.

    Parameters
    ----------
    revenue : pandas.Series or sequence of float
        Revenue per customer, >= 0; at least one customer.

    Returns
    -------
    pandas.DataFrame
        ``n + 1`` rows indexed by ``rank`` (0 is the origin): ``customer_id``
        (named after the index of ``revenue``; None at the origin), ``revenue``, ``share_of_customers`` and
        ``share_of_revenue``, the cumulative shares of the ``rank`` largest
        customers. Starts at (0, 0), ends at (1, 1), both non-decreasing.
        Ties are ordered by their position in ``revenue``. If the total
        revenue is 0 the curve is the diagonal. ``attrs["gini"]`` holds
        :func:`gini`.

    Examples
    --------
    >>> curve = concentration_curve(pd.Series([10, 30, 60], index=["x", "y", "z"]))
    >>> curve[["customer_id", "share_of_customers", "share_of_revenue"]].round(2)
    ... # doctest: +NORMALIZE_WHITESPACE
         customer_id  share_of_customers  share_of_revenue
    rank
    0           None                0.00               0.0
    1              z                0.33               0.6
    2              y                0.67               0.9
    3              x                1.00               1.0
    """
    r = _revenue(revenue, "concentration_curve", nonempty=True)
    ranked = r.sort_values(ascending=False, kind="stable")
    n = len(ranked)
    cum = np.concatenate([[0.0], np.cumsum(ranked.to_numpy())])
    share_of_customers = np.arange(n + 1) / n
    total = cum[-1]
    share_of_revenue = cum / total if total > 0 else share_of_customers.copy()
    id_name = r.index.name or "customer_id"
    out = pd.DataFrame(
        {
            id_name: pd.Series([None, *ranked.index], dtype=object),
            "revenue": np.concatenate([[0.0], ranked.to_numpy()]),
            "share_of_customers": share_of_customers,
            "share_of_revenue": np.clip(share_of_revenue, 0.0, 1.0),
        },
        index=pd.RangeIndex(n + 1, name="rank"),
    )
    out.attrs["gini"] = gini(r)
    return out


def gini(revenue: pd.Series | Sequence[float]) -> float:
    """Gini coefficient of revenue across customers.

    0 when every customer has the same revenue, ``(n - 1) / n`` when one
    customer has it all. Equals ``2 * area - 1`` under
    :func:`concentration_curve` (trapezoids). 0 if the total is 0.

    Examples
    --------
    >>> gini([5, 5, 5, 5])
    0.0
    >>> gini([0, 0, 0, 100])
    0.75
    """
    r = _revenue(revenue, "gini", nonempty=True)
    x = np.sort(r.to_numpy())
    n, total = len(x), x.sum()
    if total <= 0:
        return 0.0
    weights = 2 * np.arange(1, n + 1) - n - 1  # sums to 0, so subtracting x[0] is exact for ties
    return float(max(0.0, (weights * (x - x[0])).sum() / (n * total)))


def quadrant_summary(pf: pd.DataFrame, by: str | Sequence[str] = "quadrant") -> pd.DataFrame:
    """Customers, revenue and potential per quadrant (or per ABC class, or both).

    Parameters
    ----------
    pf : pandas.DataFrame
        A result of :func:`portfolio`.
    by : {"quadrant", "abc"} or list of both
        Group by quadrant, ABC class, or both (``["quadrant", "abc"]``). Every
        category appears, empty ones with zeros.

    Returns
    -------
    pandas.DataFrame
        ``customers``, ``revenue``, ``importance``, ``potential``,
        ``potential_value``, ``kam_hours`` (if present; EUR a year and hours
        a year) and the shares ``share_of_customers``, ``share_of_revenue``,
        ``share_of_potential`` of the whole portfolio.

    Examples
    --------
    >>> customers = pd.DataFrame(
    ...     {"revenue": [1000, 200, 900, 100], "margin": [0.5, 0.5, 0.5, 0.5],
    ...      "potential": [800, 600, 0, 100], "kam_hours": [100, 50, 80, 20]})
    >>> pf = portfolio(customers, importance_threshold=450, potential_threshold=300)
    >>> quadrant_summary(pf)[["customers", "revenue", "potential", "kam_hours"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                           customers  revenue  potential  kam_hours
    quadrant
    key-account candidate          1     1000        800        100
    develop                        1      200        600         50
    maintain                       1      900          0         80
    standard                       1      100        100         20
    >>> quadrant_summary(pf, by="abc")["customers"].tolist()
    [2, 1, 1]
    """
    keys = [by] if isinstance(by, str) else list(by)
    allowed = ("quadrant", "abc")
    if not keys or any(k not in allowed for k in keys) or len(set(keys)) != len(keys):
        raise ValueError(
            "The 'by' parameter of quadrant_summary must be 'quadrant', 'abc' or a list of "
            f"both. Got {by!r} instead."
        )
    sums = [c for c in ("revenue", "importance", "potential", "potential_value", "kam_hours")
            if c in pf]
    missing = [c for c in (*keys, "revenue", "importance", "potential", "potential_value")
               if c not in pf]
    if missing:
        raise ValueError(
            "The 'pf' parameter of quadrant_summary must be a result of portfolio(). "
            f"Got a DataFrame without {', '.join(map(repr, missing))} instead."
        )
    grouped = pf.groupby(keys, observed=False, sort=True)
    out = grouped[sums].sum()
    out.insert(0, "customers", grouped.size())
    for col, of in (("customers", "share_of_customers"), ("revenue", "share_of_revenue"),
                    ("potential", "share_of_potential")):
        total = out[col].sum()
        out[of] = out[col] / total if total > 0 else 0.0
    return out


# -- input checks -------------------------------------------------------------


def _customers(case_or_customers: object, func: str) -> pd.DataFrame:
    if isinstance(case_or_customers, Case):
        customers = case_or_customers.customers
    elif isinstance(case_or_customers, pd.DataFrame):
        customers = case_or_customers
    else:
        raise TypeError(
            f"The 'case_or_customers' parameter of {func} must be a Case or a customers "
            f"DataFrame. Got {type(case_or_customers).__name__} instead."
        )
    if "customer_id" in customers.columns:
        customers = customers.set_index("customer_id")
    missing = [c for c in _REQUIRED if c not in customers.columns]
    if missing:
        raise ValueError(
            f"The customers table given to {func} must have the columns "
            f"{', '.join(_REQUIRED)}. Got a table without {', '.join(map(repr, missing))} "
            "instead."
        )
    dup = customers.index[customers.index.duplicated()]
    if len(dup):
        raise ValueError(
            f"The customers table given to {func} must have unique customer ids. "
            f"Got duplicates {_ids(dup)} instead."
        )
    for col in _REQUIRED:
        values = pd.to_numeric(customers[col], errors="coerce")
        hi = 1.0 if col == "margin" else np.inf
        bad = customers.index[~values.between(0.0, hi)]  # NaN is never between
        if len(bad):
            expected = "a number in [0, 1]" if col == "margin" else "a number >= 0"
            raise ValueError(
                f"The column '{col}' given to {func} must be {expected} for every customer. "
                f"Got a missing or out-of-range value for {_ids(bad)} instead."
            )
    return customers


def _revenue(revenue: object, func: str, nonempty: bool = False) -> pd.Series:
    r = revenue if isinstance(revenue, pd.Series) else pd.Series(list(revenue))  # type: ignore[call-overload]
    r = pd.to_numeric(r, errors="coerce").astype(float)
    bad = r.index[~r.between(0.0, np.inf)]
    if len(bad):
        raise ValueError(
            f"The 'revenue' parameter of {func} must hold numbers >= 0. "
            f"Got a missing or negative value at {_ids(bad)} instead."
        )
    if nonempty and r.empty:
        raise ValueError(
            f"The 'revenue' parameter of {func} must hold at least one customer. "
            "Got none instead."
        )
    return r


def _check_shares(a: object, b: object) -> None:
    if isinstance(a, bool) or isinstance(b, bool) or not 0.0 < _float(a) <= _float(b) <= 1.0:
        raise ValueError(
            "The 'a' and 'b' parameters of abc_classes must satisfy 0 < a <= b <= 1. "
            f"Got a={a!r}, b={b!r} instead."
        )


def _threshold(
    values: pd.Series, threshold: float | None, quantile: float | None, t_name: str, q_name: str
) -> tuple[float, str]:
    if threshold is not None and quantile is not None:
        raise ValueError(
            f"The '{t_name}' and '{q_name}' parameters of portfolio are alternatives. "
            f"Got both ({threshold!r} and {quantile!r}) instead."
        )
    if threshold is not None:
        if isinstance(threshold, bool) or not np.isfinite(_float(threshold)):
            raise ValueError(
                f"The '{t_name}' parameter of portfolio must be a finite number of EUR. "
                f"Got {threshold!r} instead."
            )
        return float(threshold), "given"
    q = DEFAULT_QUANTILE if quantile is None else quantile
    if isinstance(q, bool) or not 0.0 <= _float(q) <= 1.0:
        raise ValueError(
            f"The '{q_name}' parameter of portfolio must be a number in [0, 1]. "
            f"Got {quantile!r} instead."
        )
    if values.empty:
        raise ValueError(
            f"The '{q_name}' parameter of portfolio needs at least one customer to take a "
            "quantile of. Got an empty customers table instead; give the threshold in EUR."
        )
    return float(values.quantile(float(q))), _percentile_words(float(q))


def _float(x: object) -> float:
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _percentile_words(q: float) -> str:
    """'80th percentile' for 0.8; 'quantile 0.825' where it is not a whole percentile.

    >>> [_percentile_words(q) for q in (0.8, 0.5, 0.01, 0.02, 0.03, 0.11, 0.825)]
    ['80th percentile', '50th percentile', '1st percentile', '2nd percentile', \
'3rd percentile', '11th percentile', 'quantile 0.825']
    """
    pct = q * 100
    if abs(pct - round(pct)) > 1e-9:
        return f"quantile {q:g}"
    p = int(round(pct))
    suffix = "th" if 10 <= p % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(p % 10, "th")
    return f"{p}{suffix} percentile"


def _ids(index: Iterable[object], limit: int = 5) -> str:
    ids = list(index)
    shown = ", ".join(repr(i) for i in ids[:limit])
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return f"{shown}{more}"


def quadrant_table(summary: pd.DataFrame):
    """:func:`quadrant_summary` for a reader: words and units, amounts in M EUR (a Styler).

    >>> t = pd.DataFrame({"customers": [3], "revenue": [2.5e6], "share_of_revenue": [0.25]})
    >>> quadrant_table(t).data.columns.tolist()
    ['customers', 'revenue (M EUR)', 'share of revenue']
    """
    money = {"revenue": "revenue", "importance": "contribution", "potential": "potential",
             "potential_value": "potential contribution"}
    shown = summary.copy()
    names, formats = {}, {}
    for col in shown.columns:
        if col in money:
            shown[col] = shown[col] / 1e6
            names[col] = f"{money[col]} (M EUR)"
            formats[names[col]] = "{:,.1f}"
        elif col.startswith("share_of_"):
            names[col] = col.replace("_", " ")
            formats[names[col]] = "{:.0%}"
        else:
            names[col] = {"kam_hours": "KAM hours"}.get(col, col.replace("_", " "))
            formats[names[col]] = "{:,.0f}"
    return shown.rename(columns=names).style.format(formats)

