"""Hours that depend on the lead manager: ``pair_costs.csv``'s ``hours_factor`` and ``hours``.

A pair (account, manager) has an hours factor: the account's level hours are multiplied
by it when that manager leads it (1 where ``pair_costs.csv`` gives neither column).
``hours`` is read as the factor ``hours / kam_hours``, so every level scales with it.
docs/model.md, "Hours by lead manager". :mod:`kamopt.model.prepare` puts each eligible
pair's factor in ``ModelData.pairs["hours_factor"]``; every consumer of a (level, lead)
hours takes it from there with :func:`pair_factor`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamopt.case.tables import Case


def pair_factor(pairs: pd.DataFrame, p=None) -> np.ndarray:
    """The hours factor of ``pairs`` (at positions ``p``): what the account's level hours are
    multiplied by when that manager leads it; 1 where the frame has no ``hours_factor``."""
    f = (pairs["hours_factor"].to_numpy(float) if "hours_factor" in pairs
         else np.ones(len(pairs)))
    return f if p is None else f[np.asarray(p, dtype=int)]


def listed_hours_factors(case: Case) -> pd.Series:
    """Each pair of ``pair_costs.csv`` with an hours factor, indexed by (customer_id,
    manager_id): its ``hours_factor``, or ``hours / kam_hours`` where it gives ``hours``
    (1 for an account of 0 hours). Pairs without either are left out (factor 1).

    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([dict(customer_id="C1", kam_hours=50)],
    ...                  [dict(manager_id="A"), dict(manager_id="B"), dict(manager_id="D")],
    ...                  pair_costs=[dict(customer_id="C1", manager_id="A", hours_factor=1.5),
    ...                              dict(customer_id="C1", manager_id="B", hours=20.0),
    ...                              dict(customer_id="C1", manager_id="D", cost=5.0)])
    >>> listed_hours_factors(case).to_dict()
    {('C1', 'A'): 1.5, ('C1', 'B'): 0.4}
    """
    pc = case.pair_costs
    nan = np.full(len(pc), np.nan)
    factor = pc["hours_factor"].to_numpy(float) if "hours_factor" in pc else nan
    hours = pc["hours"].to_numpy(float) if "hours" in pc else nan
    kam = case.customers["kam_hours"].reindex(pc["customer_id"]).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        from_hours = np.where(kam > 0, hours / np.where(kam > 0, kam, 1.0), 1.0)
    out = np.where(np.isnan(factor), np.where(np.isnan(hours), np.nan, from_hours), factor)
    keep = ~np.isnan(out)
    return pd.Series(out[keep], index=pd.MultiIndex.from_arrays(
        [pc["customer_id"].to_numpy()[keep], pc["manager_id"].to_numpy()[keep]],
        names=["customer_id", "manager_id"]), dtype=float)


def has_pair_hours(case: Case) -> bool:
    """Whether ``pair_costs.csv`` gives any pair hours other than the account's own."""
    f = listed_hours_factors(case)
    return bool(len(f) and (np.abs(f.to_numpy() - 1.0) > 1e-12).any())


def hours_factor_range(case: Case) -> tuple[pd.Series, pd.Series]:
    """Per customer of ``pair_costs.csv``'s pair hours, the least and the most hours factor
    any manager can have (1 for the managers not listed): bounds for the checks before
    solving. Customers without listed factors are not in the series (factor 1)."""
    f = listed_hours_factors(case)
    if len(f) == 0:
        return pd.Series(dtype=float), pd.Series(dtype=float)
    by = f.groupby(level="customer_id")
    return by.min().clip(upper=1.0), by.max().clip(lower=1.0)


def listed_pair_keys(pairs: pd.DataFrame, managers: pd.DataFrame | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (customer_id, manager_id) under which ``pair_costs.csv`` lists each row of
    ``pairs``, and which rows take the average over the case's managers: a hire is listed as
    the manager its ``pair_costs_as`` names, or (``""``) as the average."""
    cid = pairs["customer_id"].to_numpy()
    mid = pairs["manager_id"].to_numpy()
    average = np.zeros(len(pairs), dtype=bool)
    if managers is not None and "pair_costs_as" in managers:
        as_ = managers["pair_costs_as"].reindex(mid)
        known = as_.notna().to_numpy()
        mid = np.where(known, as_.to_numpy(dtype=object), mid)
        average = known & (mid == "")
    return cid, mid, average


def pair_hours_factors(case: Case, pairs: pd.DataFrame,
                       managers: pd.DataFrame | None = None) -> np.ndarray:
    """The hours factor of each (customer_id, manager_id) row of ``pairs`` (1 where not listed).

    A hire, whom ``pair_costs.csv`` cannot list, has the factors of the manager its
    ``pair_costs_as`` names, or each account's average over the case's managers
    (as :func:`pair_costs`).
    """
    listed = listed_hours_factors(case)
    if len(listed) == 0 or len(pairs) == 0:
        return np.ones(len(pairs))
    cid, mid, average = listed_pair_keys(pairs, managers)
    out = listed.reindex(pd.MultiIndex.from_arrays([cid, mid])).fillna(1.0).to_numpy(
        dtype=float, copy=True)
    if average.any():
        n = max(len(case.managers), 1)
        extra = (listed - 1.0).groupby(level="customer_id").sum() / n
        out[average] = 1.0 + extra.reindex(cid[average]).fillna(0.0).to_numpy()
    return out
