"""Balanced workloads in a plan: each manager's load, the spread the kpis report, and the
re-check of the upper bands and of the scenario's ``balance`` (kamopt.case.balance) from
the plan's decisions and the case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamopt.case.balance import HOURS_MEASURES
from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.units import hours as hours_text

TOL = 1e-6


def manager_loads(acc: pd.DataFrame, case: Case, managers: pd.DataFrame, measure: str,
                  hours_used: pd.Series | None = None) -> pd.Series:
    """Each manager's load in ``measure`` in the plan ``acc``, over the managers with
    capacity (those the ``balance`` counts): the hours ``hours_used`` (by manager; the plan's
    ``hours`` when None), those hours over the manager's ``capacity`` in the scenario
    (utilisation), the revenue of the key accounts led (from the case) or their number.
    """
    cap = managers["capacity"].astype(float)
    on = managers.index[cap.to_numpy() > 0]
    ka = acc["key_account"].astype(int) == 1
    lead = acc.loc[ka, "manager_id"].astype(str)
    if measure in HOURS_MEASURES:
        used = hours_used if hours_used is not None else acc.loc[ka, "hours"].groupby(lead).sum()
    elif measure == "revenue":
        used = case.customers["revenue"].reindex(lead.index).astype(float).groupby(lead).sum()
    else:
        used = lead.groupby(lead).size().astype(float)
    used = used.reindex(on).fillna(0.0).astype(float)
    return used / cap.reindex(on) if measure == "utilisation" else used


def balance_kpis(acc: pd.DataFrame, case: Case, managers: pd.DataFrame,
                 scenario: Scenario) -> dict:
    """The spread of the loads in the ``balance``'s measure (none without one): the largest,
    the least and the mean load, the largest deviation from the mean as a share of it, and
    for ``least_largest_workload`` the largest load as it minimises it (utilisation for
    hours)."""
    b = scenario.balance
    if b is None:
        return {}
    load = manager_loads(acc, case, managers, b.measure)
    mean = float(load.mean()) if len(load) else 0.0
    dev = float((load - mean).abs().max()) if len(load) else 0.0
    out = {"balance_measure": b.measure,
           "load_max": float(load.max()) if len(load) else 0.0,
           "load_min": float(load.min()) if len(load) else 0.0,
           "load_mean": mean,
           "load_max_deviation": dev / mean if mean > 0 else 0.0}
    if b.within is not None:
        out["balance_within"] = float(b.within)
    if b.objective is not None:
        out["largest_load"] = largest_load(load, managers, b.measure)
    return out


def largest_load(load: pd.Series, managers: pd.DataFrame, measure: str) -> float:
    """The largest load as ``least_largest_workload`` counts it: utilisation (hours over
    capacity) for hours, else the load itself (for utilisation the same figure as for
    hours)."""
    if not len(load):
        return 0.0
    if measure == "hours":
        return float((load / managers["capacity"].reindex(load.index).astype(float)).max())
    return float(load.max())


def _amount(x: float, measure: str) -> str:
    """A load as the messages write it.

    >>> _amount(0.9512, "utilisation"), _amount(42.0, "hours"), _amount(2.0, "accounts")
    ('95.12% of capacity', '42 h', '2 accounts')
    """
    if measure == "hours":
        return f"{hours_text(x)} h"
    if measure == "utilisation":
        return f"{x:.2%} of capacity"
    if measure == "revenue":
        return f"{x:,.0f} EUR"
    return f"{x:g} accounts"


def band_violations(acc: pd.DataFrame, case: Case, managers: pd.DataFrame, scenario: Scenario,
                    hours_used: pd.Series) -> list[str]:
    """The upper bands (``max_hours``, ``max_share``) and the scenario's ``balance`` band,
    re-checked; ``hours_used``: each manager's hours as recomputed from the case."""
    out = []
    band = managers["max_load"] if "max_load" in managers else pd.Series(dtype=float)
    for j, most in band.items():
        u = float(hours_used.get(j, 0.0))
        if np.isfinite(most) and u > most * (1 + 1e-9) + TOL:
            out.append(f"max_workload[{j}]: {hours_text(u, ',.1f')} h planned, at most "
                       f"{hours_text(most, ',.1f')} h allowed (max_hours / max_share)")
    b = scenario.balance
    if b is None or b.within is None:
        return out
    load = manager_loads(acc, case, managers, b.measure, hours_used)
    if not len(load):
        return out
    mean = float(load.mean())
    hi, lo = (1 + b.within) * mean, (1 - b.within) * mean
    slack = 1e-7 * max(1.0, abs(mean)) + TOL
    for j, u in load.items():
        if u > hi + slack or u < lo - slack:
            out.append(f"balance[{j}]: a load of {_amount(u, b.measure)}, outside "
                       f"{_amount(lo, b.measure)} .. {_amount(hi, b.measure)} (within "
                       f"{b.within:g} of the mean {_amount(mean, b.measure)})")
    return out


# ------------------------------------------------------------------------ diagnosis
def band_shortfalls(managers: pd.DataFrame, tier: pd.Series, least: pd.Series,
                    lead: dict[str, str]) -> list:
    """The upper bands (``max_hours``, ``max_share``) that no plan can keep, before solving:
    a band below the manager's ``min_hours`` (``max_share`` of a scaled capacity), a ``must``
    account heavier than every eligible manager's band, the accounts whose lead the scenario
    fixes beyond that manager's band, and the ``must`` accounts of tier >= t beyond the bands
    of the managers of seniority >= t. Only where the band, not the capacity, is short (the
    capacity's own shortfalls are said already). ``tier`` and ``least`` (the least hours of
    each ``must`` account) are indexed by the must accounts; ``lead``: the fixed leads."""
    from kamopt.errors import Shortfall

    if "max_load" not in managers or not np.isfinite(managers["max_load"]).any():
        return []
    cap = managers["capacity"].astype(float)
    room = np.minimum(cap, managers["max_load"].astype(float))
    sen = managers["seniority"].astype(int)
    out = []
    lows = managers["min_hours"].astype(float) if "min_hours" in managers else cap * 0
    for j in managers.index[(lows > room + 1e-9) & (lows <= cap + 1e-9)]:
        out.append(Shortfall(f"manager {j}'s minimum workload (min_hours)", "h a year",
                             float(lows[j]), float(room[j]), f"{j}'s upper band (max_hours / "
                             f"max_share) allows {hours_text(room[j])} h", singular=True))
    for cid in least.index:
        if cid in lead:
            continue
        ok = (sen >= int(tier[cid])).to_numpy()
        if ok.any() and room[ok].max() + 1e-9 < least[cid] <= cap[ok].max() + 1e-9:
            out.append(Shortfall(f"'must' account {cid} alone", "h of one manager's year",
                                 float(least[cid]), float(room[ok].max()), "the largest upper "
                                 f"band of an eligible manager (max_hours / max_share) is "
                                 f"{hours_text(room[ok].max())} h", singular=True))
    fixed = pd.Series({cid: j for cid, j in lead.items() if cid in least.index}, dtype=object)
    for j, ids in fixed.groupby(fixed).groups.items() if len(fixed) else ():
        need = float(least.reindex(ids).sum())
        if j in room.index and room[j] + 1e-9 < need <= cap[j] + 1e-9:
            out.append(Shortfall(f"the {len(ids)} accounts whose lead the scenario fixes to {j}",
                                 "h at the lightest level", need, float(room[j]),
                                 f"{j}'s upper band (max_hours / max_share) allows "
                                 f"{hours_text(room[j])} h"))
    for t in (3, 2, 1):
        sel = (tier >= t).to_numpy()
        if not sel.any():
            continue
        need = float(least[sel].sum())
        have, full = float(room[sen >= t].sum()), float(cap[sen >= t].sum())
        if have + 1e-6 < need <= full + 1e-6:
            who = "all available managers" if t == 1 else f"managers of seniority >= {t}"
            out.append(Shortfall(f"the {int(sel.sum())} 'must' accounts of tier >= {t}",
                                 "h at the lightest level", need, have,
                                 f"{who} may carry {hours_text(have)} h within their upper "
                                 f"bands (max_hours / max_share; {hours_text(full)} h of "
                                 "capacity)"))
            break
    return out


def balance_shortfall(km, time_limit: float = 10.0):
    """How close to the mean the other requirements let the loads come, when the scenario's
    ``balance`` band (``within``) is part of a conflict: the band's rows relaxed, one column
    ``u`` with ``|load_j - mean| <= u`` for every manager, ``u`` minimised. A
    :class:`~kamopt.errors.Shortfall` in the measure's unit (the least ``u`` against ``within``
    times the mean of that plan), or None when it cannot be said."""
    from kamopt.errors import Shortfall
    from kamopt.solve.backend import highs_model, run_highs
    from kamopt.solve.tiebreak import copy_model

    b = km.data.scenario.balance
    lp = km.lp
    if b is None or b.within is None or "balance" not in lp.rows:
        return None
    lp2 = copy_model(lp)
    k = list(lp.rows).index("balance")
    block = lp.rows["balance"]
    n = block.size // 2
    lp2.row_lo[k] = np.full(block.size, -np.inf)
    lp2.row_hi[k] = np.full(block.size, np.inf)
    lp2.obj = [np.zeros(lp.n_cols)]
    u = lp2.add_vars("deviation", pd.DataFrame(index=[0]), obj=-1.0, ub=np.inf)[0]
    mean = lp.cols["mean_load"].start
    A = lp.matrix().tocsr()
    rows = lp2.add_rows("deviation", block.labels,
                        lo=np.r_[np.full(n, -np.inf), np.zeros(n)],
                        hi=np.r_[np.zeros(n), np.full(n, np.inf)])
    for r_new, r_old, shift, du in ((rows[:n], block.start + np.arange(n), b.within, -1.0),
                                    (rows[n:], block.start + n + np.arange(n), -b.within, 1.0)):
        sub = A[r_old].tocoo()
        lp2.add_coefs(r_new[sub.row], sub.col, sub.data)  # load_j - (1 +- w) mean
        lp2.add_coefs(r_new, np.full(n, mean), shift)    # ... - mean
        lp2.add_coefs(r_new, np.full(n, u), du)          # -+ u
    sol = run_highs(highs_model(lp2), time_limit, 1e-4)
    if not sol.ok or sol.values is None:
        return None
    dev, m = float(sol.values[u]), float(sol.values[mean])
    unit = LOAD_WORDS[b.measure]
    # a share of capacity in percentage points (0.075: 7.50), at the Shortfall's precision
    scale = 100.0 if b.measure == "utilisation" else 1.0
    return Shortfall("the managers' loads (balance)", unit, scale * dev, scale * b.within * m,
                     f"within {b.within:g} allows {_amount(b.within * m, b.measure)} either side "
                     f"of the mean load of {_amount(m, b.measure)} (the least possible is "
                     f"{dev / m:.1%} of the mean)" if m > 0 else "")


#: what a deviation from the mean load is counted in, in a shortfall
LOAD_WORDS = {"hours": "h of deviation from the mean load",
              "utilisation": "percentage points of capacity of deviation from the mean "
                             "utilisation",
              "revenue": "EUR of deviation from the mean load (revenue led)",
              "accounts": "key accounts of deviation from the mean load"}


# ------------------------------------------------------- the plan without the band first
def band_free_first(scenario: Scenario) -> bool:
    """Whether :func:`solve_band_free_first` is tried: a band in ``utilisation``, with the
    net contribution alone as the objective (no ``least_largest_workload``), on HiGHS. The
    plan without a band already fills every manager about equally where capacity is what
    binds (the sample: 92-100% of every manager; docs/benchmarks.md, "Balanced
    workloads"), so it often meets a utilisation band; in hours, revenue or accounts,
    between managers of different capacities, it seldom does, and the try would cost a
    solve."""
    b = scenario.balance
    return (b is not None and b.within is not None and b.objective is None
            and b.measure == "utilisation" and scenario.solver == "highs")


def solve_band_free_first(km, case: Case, scenario: Scenario, *, prune: bool = True,
                          cancel=None):
    """Solve ``km`` (the model with the scenario's band) by way of the plan without the band.

    Exact: the band only takes plans away, so the proven bound of the plan without it
    (whose pruning of accounts and activities that do not pay is exact there) bounds every
    plan with it. That plan's decisions (levels, leads, activities) are carried to ``km`` by
    their labels and the rest solved with them fixed, which is feasible exactly when the
    plan meets the band (and ``km``'s other rows). When it is, and within the scenario's gap
    of the bound without the band, it is the answer, proven. Else ``km`` is solved by the one
    strategy with what is left of the safety net, and its bound is the smaller of its own and
    the one without the band. Both solves run on the one strategy with the scenario's work
    budgets."""
    import dataclasses
    import time

    from kamopt.model.oneyear import build
    from kamopt.model.prepare import prepare
    from kamopt.solve.backend import relative_gap, run_highs
    from kamopt.solve.search import fixed_to
    from kamopt.solve.strategy import solve_model

    t0 = time.perf_counter()
    free_sc = scenario.replace(balance=None)
    km0 = build(prepare(case, free_sc, prune=prune))
    free = solve_model(km0, free_sc, cancel=cancel) if km0.lp.n_cols else None
    bound = free.bound if free is not None and free.ok and free.bound is not None else None
    values = carried_over(km0, free.values, km) if bound is not None else None
    if values is not None:
        left = max(scenario.time_limit - (time.perf_counter() - t0), 1.0)
        fixed = run_highs(fixed_to(km, values), left, 0.0)
        if fixed.ok and fixed.values is not None:  # the plan meets the band
            gap = relative_gap(fixed.objective, bound)
            if gap <= scenario.mip_gap + 1e-9:
                return dataclasses.replace(
                    fixed, status="optimal", bound=bound, gap=gap, stopped_by="gap",
                    seconds=time.perf_counter() - t0, message="the plan without the band "
                    "meets it, within the gap of the bound without it")
    spent = time.perf_counter() - t0  # the safety net counts the try
    sol = solve_model(km, scenario.replace(time_limit=max(scenario.time_limit - spent, 1.0)),
                      cancel=cancel)
    sol = dataclasses.replace(sol, seconds=sol.seconds + spent)
    if not sol.ok or bound is None or sol.bound is None or sol.bound <= bound:
        return sol
    gap = relative_gap(sol.objective, bound)  # the bound without the band is the tighter
    proven = gap <= scenario.mip_gap + 1e-9
    return dataclasses.replace(sol, bound=bound, gap=gap,
                               status="optimal" if proven else sol.status,
                               stopped_by="gap" if proven else sol.stopped_by)


def carried_over(km0, values0: np.ndarray, km) -> np.ndarray | None:
    """The integer decisions of ``values0`` (on ``km0``) on ``km``'s columns, matched by their
    labels: levels (customer, level), leads (customer, manager), activities (customer,
    activity); 0 elsewhere. None when a decision taken has no column in ``km``."""
    out = np.zeros(km.lp.n_cols)
    for frame, cols, keys in (("options", "z", ["customer_id", "level"]),
                              ("pairs", "x", ["customer_id", "manager_id"]),
                              ("acts", "a", ["customer_id", "activity_id"])):
        f0, f1 = getattr(km0.data, frame), getattr(km.data, frame)
        on = np.round(values0[getattr(km0, cols)]) > 0.5
        if not on.any():
            continue
        where = pd.MultiIndex.from_frame(f1[keys]).get_indexer(
            pd.MultiIndex.from_frame(f0.loc[on, keys]))
        if (where < 0).any():
            return None
        out[getattr(km, cols)[where]] = 1.0
    return out
