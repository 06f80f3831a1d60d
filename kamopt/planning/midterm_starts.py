"""Warm starts of the mid-term plan: from a plan's decisions, or the one-year plan repeated.

Handed to :func:`kamopt.solve.midterm._solve` by :func:`kamopt.planning.midterm.plan_midterm`
(a start, or the one-year start as its fallback).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kamopt.model.midterm import MidtermModel, build_midterm
from kamopt.solve.backend import solve

if TYPE_CHECKING:
    from kamopt.planning.midterm import MidtermPlan

#: nodes of the one-year model's MIP that gives the fallback start
START_NODE_LIMIT = 200


def _start_from_plan(mm: MidtermModel, mp: MidtermPlan) -> np.ndarray:
    """The column values of ``mp``'s decisions in the model ``mm`` (a warm start)."""
    acc = mp.accounts[mp.accounts["key_account"] == 1]
    dec = pd.DataFrame({
        "customer_id": acc["customer_id"].to_numpy(),
        "t": acc["year"].to_numpy() - mm.assumptions.start_year,
        "level": acc["level"].to_numpy(),
        "manager_id": acc["manager_id"].to_numpy(),
        "activities": [tuple(k for k in s_.split(";") if k) for s_ in acc["activities"]],
    })
    dec = dec[(dec["t"] >= 0) & (dec["t"] < len(mm.years))]
    hired = {m: int(y) - mm.assumptions.start_year for m, y in
             zip(mp.hires["manager_id"], mp.hires["year"], strict=True)}
    return mm._builder.vector(dec, hired)


def _start_from_one_year(case, scenario, a, targets, capacity_by_year, mm) -> np.ndarray | None:
    """A warm start: the one-year plan of the first year, kept over the horizon.

    The one-year model is solved with the horizon's mean ramp factor (so that
    accounts that pay off over the horizon are taken on) within 1% and
    ``START_NODE_LIMIT`` nodes (the time limit only as a safety net); its key accounts, levels, lead managers, activities and hires
    are repeated in every year. Where a manager's capacity falls in a later
    year (capacity_by_year), the accounts he or she cannot carry are dropped
    that year, the least valuable first. HiGHS checks the start and ignores it
    if it breaks a constraint; it never changes the optimum, only the time to it.
    """
    T = len(mm.years)
    ramp = np.asarray(a.ramp, float)
    mean = float(ramp[np.minimum(np.arange(T), len(ramp) - 1)].mean())
    # handover hours spread over the horizon (they fall in one year only) and
    # hires at their mean productive share: the repeated plan then fills the
    # later years; the first year is trimmed to fit below
    hp = tuple(dataclasses.replace(h, ramp_up=(h.ramp_up + T - 1) / T) for h in a.hire_profiles)
    a1 = a.replace(ramp=(mean,), years=1, handover_hours=a.handover_hours / T, hire_profiles=hp)
    sc1 = scenario.replace(time_limit=max(scenario.time_limit, 1.0))  # the safety net
    # every manager at his or her lowest capacity over the horizon, so that the
    # one-year plan fits every year
    scale = scenario.capacity_scale or 1.0
    low = (mm.capacity.drop(index=mm.hires.index).min(axis=1) / scale).rename("capacity_hours")
    low = low.reset_index().assign(year=a.start_year)[["manager_id", "year", "capacity_hours"]]
    try:
        m1 = build_midterm(case, sc1, a1, 1, targets, low)
        s1 = solve(m1.lp, time_limit=sc1.time_limit, mip_gap=max(scenario.mip_gap, 0.01),
                   node_limit=START_NODE_LIMIT)
    except Exception:  # noqa: BLE001 - a start is optional
        return None
    if not s1.ok or s1.stopped_by == "time":  # no start rather than one the clock chose
        return None
    b1, v = m1._builder, s1.values
    zl = b1.zl[v[b1.z] > 0.5][["customer_id", "level"]]
    xl = b1.xl[v[b1.x] > 0.5][["customer_id", "manager_id"]]
    al = b1.al[v[b1.a_] > 0.5]
    acts = al.groupby("customer_id")["activity_id"].agg(tuple)
    dec0 = zl.merge(xl, on="customer_id")
    dec0["activities"] = [acts.get(cid, ()) for cid in dec0["customer_id"]]
    hours = m1.data.options.set_index(["customer_id", "level"])["hours"]
    dec0["hours"] = hours.reindex(pd.MultiIndex.from_frame(dec0[["customer_id", "level"]])).to_numpy()
    kh = case.activities["kam_hours"].astype(float) if len(case.activities) else pd.Series(dtype=float)
    dec0["hours"] += [float(kh.reindex(list(t)).sum()) for t in dec0["activities"]]
    must = set(m1.data.customers.index[m1.data.customers["status"] == "must"])
    val = dict(zip(m1.data.options["customer_id"], m1.data.options["value"], strict=False))
    hl = b1.hl[v[b1.w] > 0.5] if len(b1.hl) else b1.hl
    hired = {mid: 0 for mid in hl["manager_id"]}
    cur = case.customers["current_manager"].astype(str)
    hire_cap = {m: mm.hires.at[m, "capacity"] * mm.hires.at[m, "ramp_up"] for m in hired}
    parts = []
    prev = dict(zip(cur.index, cur, strict=True))  # lead of the year before
    lapsed = mm._builder.lapsed
    for t, y in enumerate(mm.years):  # each year: the plan, trimmed to that year's capacity
        d = dec0.assign(t=t)
        cap = mm.capacity[y].copy()
        for m in hired:
            cap[m] = hire_cap[m] if t == 0 else mm.hires.at[m, "capacity"]
        pinned = {cid: j for cid, (j, gone) in lapsed.items() if y not in gone}
        for cid, j in pinned.items():  # a fixed lead holds while its manager has hours
            d.loc[d["customer_id"] == cid, "manager_id"] = j
            room = cap.get(j, 0.0) - (0.0 if prev.get(cid, "") == j else a.handover_hours)
            d = _fit_level(d, cid, room, m1.data, kh)
        new = np.array([prev.get(cid, "") != j for cid, j in
                        zip(d["customer_id"], d["manager_id"], strict=True)])
        d["hours"] = d["hours"] + np.where(new, a.handover_hours, 0.0)
        d["handover"] = np.where(new, a.handover_hours, 0.0)
        for j, grp in d.groupby("manager_id"):
            over = grp["hours"].sum() - cap.get(j, 0.0)
            if over <= 1e-9:
                continue
            drop = grp[~grp["customer_id"].isin(must)].assign(
                v=lambda g: g["customer_id"].map(val)).sort_values("v")
            cut = drop["customer_id"][drop["hours"].cumsum().shift(fill_value=0) < over]
            d = d[~((d["manager_id"] == j) & d["customer_id"].isin(cut))]
            over -= float(drop.loc[drop["customer_id"].isin(cut), "hours"].sum())
            if over > 1e-9:  # must accounts left over: hand them to whoever has room
                d = _move_must_accounts(d, j, over, cap, mm, a.handover_hours, set(pinned))
            stay = d[d["manager_id"] == j].sort_values("hours", ascending=False)
            over = float(stay["hours"].sum()) - cap.get(j, 0.0)
            for cid, hours, hand in zip(stay["customer_id"], stay["hours"], stay["handover"],
                                        strict=True):  # or else at a lighter level
                if over <= 1e-9:
                    break
                d = _fit_level(d, cid, hours - over, m1.data, kh, extra=hand)
                over -= hours - float(d.loc[d["customer_id"] == cid, "hours"].iloc[0])
        parts.append(d)
        prev = dict(zip(d["customer_id"], d["manager_id"], strict=True))
    dec = pd.concat(parts, ignore_index=True)
    return mm._builder.vector(dec, hired)


def _fit_level(d: pd.DataFrame, cid: str, room: float, data, kam_hours,
               extra: float = 0.0) -> pd.DataFrame:
    """The start's decisions ``d`` with account ``cid`` in at most ``room`` hours.

    The account keeps its level and activities when they fit; otherwise it
    gets the heaviest level that fits with them, or with only those the
    scenario commits, or else the lightest level with those (a start that then
    does not fit is dropped by the start check). ``extra``: hours the account
    carries besides its level and activities (a handover).
    """
    row = d.index[d["customer_id"] == cid]
    if not len(row) or float(d.at[row[0], "hours"]) <= room + 1e-9:
        return d
    opts = data.options[data.options["customer_id"] == cid].sort_values("hours", ascending=False)
    acts = tuple(d.at[row[0], "activities"])
    must_run = tuple(data.scenario.committed_of.get(cid, ()))

    def hours_of(ids) -> float:
        return float(kam_hours.reindex(list(ids)).sum()) if ids else 0.0

    level, hours = opts["level"].iloc[-1], float(opts["hours"].iloc[-1]) + hours_of(must_run)
    keep = must_run
    for kept, more in ((acts, hours_of(acts)), (must_run, hours_of(must_run))):
        fit = opts[opts["hours"] + more + extra <= room + 1e-9]
        if len(fit):
            level, hours, keep = fit["level"].iloc[0], float(fit["hours"].iloc[0]) + more, kept
            break
    d = d.copy()
    d.at[row[0], "level"] = level
    d.at[row[0], "hours"] = hours + extra
    d.at[row[0], "activities"] = keep
    return d


def _move_must_accounts(d, j, over, cap, mm, handover, pinned=frozenset()) -> pd.DataFrame:
    """Move ``must`` accounts of ``j`` to eligible managers with spare hours (for the start).

    Accounts in ``pinned`` (a fixed lead that holds this year) stay.
    """
    pairs = mm.data.pairs
    d = d.copy()
    for cid in d.loc[d["manager_id"] == j].sort_values("hours", ascending=False)["customer_id"]:
        if over <= 1e-9:
            break
        if cid in pinned:
            continue
        need = float(d.loc[d["customer_id"] == cid, "hours"].iloc[0]) + handover
        used = d.groupby("manager_id")["hours"].sum()
        cands = pairs.loc[(pairs["customer_id"] == cid) & (pairs["manager_id"] != j)
                          & ~pairs["manager_id"].isin(mm.hires.index), "manager_id"]
        spare = cap.reindex(cands).fillna(0.0) - used.reindex(cands).fillna(0.0).to_numpy()
        spare = spare[spare >= need]
        if len(spare) == 0:
            continue
        d.loc[d["customer_id"] == cid, ["manager_id", "hours"]] = [spare.idxmax(), need]
        if "handover" in d:
            d.loc[d["customer_id"] == cid, "handover"] = handover
        over -= need - handover
    return d
