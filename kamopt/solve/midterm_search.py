"""Good multi-year plans fast: LP rounding and a neighbourhood search over managers.

The mid-term model's LP relaxation is nearly integral on the sample company
(of 465 key-account years, 24 are split; 40 of 250 customers have a split lead
manager), so a plan close to the LP bound exists; HiGHS alone spends the
whole time limit in its root cuts and finds none. Two heuristics, both
working on the full model with integer columns fixed by bounds (so every
plan they return keeps every constraint, and the bound is never touched):

* :func:`round_lp`: round the LP plan and repair it year by year to fit the
  capacities.
* :func:`improve_by_neighbourhoods`: re-plan, over all years, the customers of
  a few managers at a time (half picked where the plan leaves hours unused,
  half at random; a hire slot's hiring decision is free when the slot is
  picked), keeping a neighbourhood's plan when it is better: the one-year
  plan's loop (:func:`kamopt.solve.search.neighbourhood_search`) with the
  mid-term model's neighbourhoods.

They only change how fast a good plan is found, never the optimum or the
bound (the caller reports the gap against the LP or HiGHS bound).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import nullcontext

import numpy as np
import pandas as pd

from kamopt.solve.backend import (
    Solution,
    mip_interrupt,
    run_highs,
)
from kamopt.solve.search import neighbourhood_search

INTEGER_BLOCKS = ("z", "u", "x", "a")  # per customer; "hire" per manager
#: branch-and-bound nodes of a neighbourhood's MIP at first (a work budget, the same on
#: every machine); doubled each time the neighbourhoods stall, up to MAX_STEP_NODES
STEP_NODES = 30
MAX_STEP_NODES = 240

#: HiGHS options of the neighbourhood MIPs, chosen by measurement (sample company, 3 years,
#: 15 neighbourhoods from the rounded LP plan, load ~2.5): HiGHS's defaults spend most of a
#: small neighbourhood's time in strong branching and in sub-MIPs of their own (7.6 s for
#: 838 rows, 15 nodes); without its heuristics, strong branching and cuts below the root
#: the same 15 neighbourhoods took 89 s instead of 111-124 s and reached 30.21 M EUR
#: instead of 30.07-30.16 M EUR. 30 nodes a neighbourhood found the same plans as 100
#: (the first 12 neighbourhoods alike) in 37 s instead of 42 s
SEARCH_OPTIONS = {
    "mip_heuristic_effort": 0.0,
    "mip_pscost_minreliable": 0,
    "mip_allow_cut_separation_at_nodes": False,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_root_reduced_cost": False,
}


def _customer_columns(mm) -> tuple[np.ndarray, np.ndarray]:
    """Integer columns that belong to a customer, and that customer's position."""
    b = mm._builder
    cols, cust = [], []
    for name in INTEGER_BLOCKS:
        lab, ids = b.cols.get(name, (None, np.zeros(0, int)))
        if lab is None or len(ids) == 0:
            continue
        cols.append(ids)
        cust.append(b.cust.get_indexer(lab["customer_id"]))
    return np.concatenate(cols), np.concatenate(cust)


def run_budgeted(h, time_limit: float, mip_gap: float, node_limit: int | None,
                 root_checks: int | None = None) -> Solution:
    """:func:`kamopt.solve.backend.run_highs` with a second work budget: at most ``root_checks``
    of HiGHS's limit checks in its root (None: no such budget).

    HiGHS's node limit does not bound its root, whose cut loop on a large model
    can run for minutes. HiGHS checks its limits after its root's LP solves,
    separation rounds and heuristics, at points of its own work, never of the
    clock, so a stop after so many checks is the same on every machine. A stop
    at either budget says ``stopped_by == "nodes"``.
    """
    checks = [0, False]

    def root_budget(nodes: int) -> bool:
        if nodes == 0:
            checks[0] += 1
        checks[1] = checks[0] > root_checks
        return checks[1]

    with mip_interrupt(h, root_budget) if root_checks is not None else nullcontext():
        sol = run_highs(h, time_limit, mip_gap, node_limit=node_limit)
    if checks[1] and sol.stopped_by == "cancelled":
        sol = dataclasses.replace(sol, stopped_by="nodes",
                                  message=f"stopped at its root's budget ({root_checks} checks)")
    return sol


def improve_by_neighbourhoods(mm, values: np.ndarray, max_tries: int,
                              target: float | Callable[[], float],
                              wanted: np.ndarray | None = None, seed: int = 0,
                              size: int = 2, node_limit: int = STEP_NODES,
                              options: dict | None = None,
                              on_improve: Callable[[np.ndarray], None] | None = None,
                              deadline: float | None = None, report: dict | None = None
                              ) -> np.ndarray:
    """The mid-term neighbourhood search (:func:`kamopt.solve.search.neighbourhood_search`):
    re-plan the customers of ``size`` managers over all years.

    Free in a neighbourhood: for every customer led by a picked manager in
    any year of the plan, or put (partly) with one by the LP (``wanted``, its
    column values), the key-account level, service year and activities of
    every year and the lead manager among the picked managers and the ones
    leading it in the plan; the hiring decision of a picked hire slot.
    Everything else keeps the plan's value, which is each sub-MIP's start
    (HiGHS with ``options``, default :data:`SEARCH_OPTIONS`). Managers are
    drawn by the hours the plan leaves them unused over the years (a hire
    slot's rows count its hired hours). ``on_improve(values)`` is told every
    better plan.

    **A work budget, not a clock.** The search tries at most ``max_tries``
    neighbourhoods, picked by a generator seeded with ``seed``, and each
    neighbourhood's MIP stops at ``node_limit`` branch-and-bound nodes; every
    choice it makes (which managers, how many, how many nodes) follows from
    the plans and the solver's counts, never from the time taken, so the same
    model and start give the same plan on a quiet and on a busy machine. It
    stops earlier when the objective reaches ``target`` (a number, or a
    function giving it), or when ``3 x managers`` neighbourhoods in a row find
    nothing better even at ``MAX_STEP_NODES`` nodes: each time that many find
    nothing, the next get twice the nodes and one manager more. A
    neighbourhood proven within ``node_limit / 2`` nodes makes the next one
    manager larger (up to half the managers), one not proven one smaller.
    ``deadline`` (perf_counter) is only a safety net: reached, the search
    stops and ``report["stopped_by"]`` says ``"time"``.

    ``report`` (a dict, if given) receives ``tries`` (neighbourhoods tried),
    ``improved`` (how many gave a better plan) and ``stopped_by``
    (``"target"``, ``"budget"``, ``"stall"`` or ``"time"``).
    """
    b = mm._builder
    mgr = np.asarray(mm.data.managers.index)
    xl = b.xl
    x_c = b.cust.get_indexer(xl["customer_id"])
    x_m = xl["manager_id"].to_numpy()
    cols, cust = _customer_columns(mm)
    not_x = ~np.isin(cols, b.x)
    hire_m = b.hl["manager_id"].to_numpy()
    lp_pair = np.ones(len(xl), bool) if wanted is None else wanted[b.x] > 1e-6
    cap_block = mm.lp.rows["capacity"]
    cap_rows = mm.lp.matrix().tocsr()[cap_block.slice]
    cap_hi = mm.lp.arrays()["row_hi"][cap_block.slice]
    cap_mgr = cap_block.labels["manager_id"].to_numpy()
    pos = pd.Index(mgr).get_indexer(cap_mgr)

    def weights(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # unused hours per manager over the years (a hire slot's rows count its hired hours)
        slack = np.zeros(len(mgr))
        np.add.at(slack, pos, np.clip(cap_hi - cap_rows @ values, 0, None))
        p = slack / max(slack.sum(), 1.0) + 0.02
        return mgr, p / p.sum()

    def free(values: np.ndarray, pick: np.ndarray) -> np.ndarray:
        led = values[b.x] > 0.5
        inm = np.isin(x_m, pick)
        chosen = np.zeros(len(b.cust), bool)
        chosen[x_c[inm & (led | lp_pair)]] = True
        leaders = set(zip(x_c[led], x_m[led], strict=True))
        out = np.zeros(mm.lp.n_cols, bool)
        out[cols[not_x & chosen[cust]]] = True
        xfree = chosen[x_c] & (inm | np.array([(c, m) in leaders for c, m in
                                               zip(x_c, x_m, strict=True)]))
        out[b.x[xfree]] = True
        out[b.w[np.isin(hire_m, pick)]] = True
        return out

    def solve_step(h, time_limit: float, nodes: int) -> Solution:
        return run_highs(h, time_limit, 1e-4, node_limit=nodes)

    return neighbourhood_search(
        mm.lp, values, managers=mgr, weights=weights, free=free, solve_step=solve_step,
        max_tries=max_tries, target=target, size=size, node_limit=node_limit,
        better_by=1e-7, seed=seed, max_nodes=MAX_STEP_NODES, adapt=True, start_each=True,
        options=SEARCH_OPTIONS if options is None else options, deadline=deadline,
        on_improve=on_improve, report=report)


def round_lp(mm, lp_values: np.ndarray) -> np.ndarray | None:
    """A plan rounded from the LP solution, repaired year by year to fit capacities.

    Each (customer, year) the LP makes at least half a key account gets its
    level and lead manager of largest LP weight and the activities the LP runs
    at least half; hires as the LP rounds them. Then, year by year (handover
    hours depend on the year before), a manager over capacity drops accounts,
    the least valuable per hour first (``must`` accounts move to a manager
    with room), and a department over capacity drops activities the same way.
    Returns the column vector (checked by the caller) or None.
    """
    b, d, a = mm._builder, mm.data, mm.assumptions
    v = lp_values
    zl = b.zl.assign(w=v[b.z])
    y = zl.groupby(["customer_id", "t"])["w"].sum()
    lvl = zl.loc[zl.groupby(["customer_id", "t"])["w"].idxmax(), ["customer_id", "t", "level"]]
    dec = lvl.merge(y[y >= 0.5].reset_index()[["customer_id", "t"]], on=["customer_id", "t"])
    xl = b.xl.assign(w=v[b.x])
    mgr = xl.loc[xl.groupby(["customer_id", "t"])["w"].idxmax(), ["customer_id", "t", "manager_id"]]
    dec = dec.merge(mgr, on=["customer_id", "t"])
    al = b.al.assign(w=v[b.a_])
    al = al[al["w"] >= 0.5]
    acts = al.groupby(["customer_id", "t"])["activity_id"].agg(tuple)
    dec["activities"] = [acts.get((c, t), ()) for c, t in zip(dec["customer_id"], dec["t"],
                                                               strict=True)]
    hl = b.hl.assign(w=v[b.w]) if len(b.hl) else b.hl.assign(w=0.0)
    hl = hl[hl["w"] >= 0.5]
    hired = dict(zip(hl["manager_id"], hl["t"], strict=True))
    opts = d.options.set_index(["customer_id", "level"])
    kh = d.acts.set_index(["customer_id", "activity_id"])
    must = set(d.customers.index[d.customers["status"] == "must"])
    dep_cap = d.departments
    cur = d.case.customers["current_manager"].astype(str)
    prev = {c: m for c, m in cur.items() if m}
    # who may lead whom in each year: the lead columns the model leaves open (a fixed lead
    # holds in the years its manager has hours; an option too large for a manager is shut)
    open_ = b.xl[mm.lp.arrays()["ub"][b.x] > 0.5]
    eligible_by_t = {t: g.groupby("customer_id")["manager_id"].agg(list)
                     for t, g in open_.groupby("t")}
    # each account's lightest coverage: a must account that cannot move is shrunk to it
    light = d.options.loc[d.options.groupby("customer_id")["hours"].idxmin()]
    lightest = dict(zip(light["customer_id"], zip(light["level"], light["hours"], strict=True),
                        strict=True))
    kept = {c: {k: float(kh.at[(c, k), "kam_hours"]) for k in ks}  # committed activities
            for c, ks in d.scenario.committed_of.items()}
    parts = []
    for t, year in enumerate(mm.years):
        eligible = eligible_by_t.get(t, pd.Series(dtype=object))
        dt = dec[dec["t"] == t].copy()
        if len(dt) == 0:
            parts.append(dt)
            prev = {}
            continue
        key = pd.MultiIndex.from_frame(dt[["customer_id", "level"]])
        dt["hours"] = opts["hours"].reindex(key).to_numpy()
        dt["value"] = opts["value"].reindex(key).to_numpy()
        dt["act_hours"] = [float(kh["kam_hours"].reindex(
            pd.MultiIndex.from_product([[c], list(ks)])).sum()) if ks else 0.0
            for c, ks in zip(dt["customer_id"], dt["activities"], strict=True)]
        dt["hand"] = [0.0 if prev.get(c) == m else a.handover_hours
                      for c, m in zip(dt["customer_id"], dt["manager_id"], strict=True)]
        dt["need"] = dt["hours"] + dt["act_hours"] + dt["hand"]
        cap = mm.capacity[year].copy()
        for n in mm.hires.index:
            s = hired.get(n)
            cap[n] = 0.0 if s is None or s > t else cap[n] * (
                mm.hires.at[n, "ramp_up"] if s == t else 1.0)
        dt = _fit_capacity(dt, cap, must, eligible, a.handover_hours, prev, lightest, kept)
        if dt is None:
            return None
        # departments: drop the activities worth least per department hour
        if len(dep_cap):
            dt = _fit_departments(dt, d, dep_cap, kept)
        parts.append(dt)
        prev = dict(zip(dt["customer_id"], dt["manager_id"], strict=True))
    out = pd.concat(parts, ignore_index=True)
    return b.vector(out[["customer_id", "t", "level", "manager_id", "activities"]], hired)


def _fit_capacity(dt, cap, must, eligible, handover, prev, lightest=None, kept=None):
    """Move accounts of managers over capacity, least valuable per hour first, to an eligible
    manager with room, or drop them where none has; a ``must`` account that cannot move is
    shrunk to its lightest coverage with only the activities in ``kept`` ({customer: {activity: KAM
    hours}}, those the scenario commits). None if a manager stays over."""
    lightest, kept = lightest or {}, kept or {}
    used = dt.groupby("manager_id")["need"].sum()
    for j in used.index[used > cap.reindex(used.index).fillna(0.0) + 1e-6]:
        over = float(dt.loc[dt["manager_id"] == j, "need"].sum() - cap.get(j, 0.0))
        grp = dt[dt["manager_id"] == j].assign(r=lambda g: g["value"] / g["need"])
        stuck = []
        for idx in grp.sort_values("r").index:
            if over <= 1e-6:
                break
            c = dt.at[idx, "customer_id"]
            load = dt.groupby("manager_id")["need"].sum()
            for m in eligible.get(c, []):
                need = dt.at[idx, "hours"] + dt.at[idx, "act_hours"] + (
                    0.0 if prev.get(c) == m else handover)
                if m != j and cap.get(m, 0.0) - load.get(m, 0.0) >= need:
                    over -= dt.at[idx, "need"]
                    dt.loc[idx, ["manager_id", "need", "hand"]] = [m, need, need
                                                                  - dt.at[idx, "hours"]
                                                                  - dt.at[idx, "act_hours"]]
                    break
            else:
                if c in must:
                    stuck.append(idx)
                    continue
                over -= dt.at[idx, "need"]
                dt = dt.drop(index=idx)
        for idx in stuck:  # must accounts that cannot move: the lightest coverage, no activities
            if over <= 1e-6:
                break
            c = dt.at[idx, "customer_id"]
            if c not in lightest:
                continue
            level, hours = lightest[c]
            keep = kept.get(c, {})
            need = hours + sum(keep.values()) + dt.at[idx, "hand"]
            over -= dt.at[idx, "need"] - need
            dt.loc[idx, ["level", "hours", "act_hours", "need"]] = [level, hours,
                                                                    sum(keep.values()), need]
            dt.at[idx, "activities"] = tuple(keep)
        if over > 1e-6:
            return None
    return dt


def _fit_departments(dt, d, dep_cap, kept=None):
    """Drop activities from departments over capacity, those worth least per department hour
    first; never one in ``kept`` (committed by the scenario)."""
    kept = kept or {}
    acts = d.acts.set_index(["customer_id", "activity_id"])
    rows = [(i, c, k) for i, (c, ks) in zip(dt.index, zip(dt["customer_id"], dt["activities"],
                                                           strict=True), strict=True) for k in ks]
    if not rows:
        return dt
    r = pd.DataFrame(rows, columns=["i", "customer_id", "activity_id"])
    info = acts.reindex(pd.MultiIndex.from_frame(r[["customer_id", "activity_id"]]))
    r["dept"] = info["department"].astype(str).to_numpy()
    r["dh"] = info["dept_hours"].to_numpy(float)
    r["gain"] = (info["value"] - info["cost"]).to_numpy(float) / np.maximum(r["dh"], 1e-9)
    drop = set()
    for dep, grp in r[r["dept"] != ""].groupby("dept"):
        over = grp["dh"].sum() - float(dep_cap.get(dep, np.inf))
        for _, row in grp.sort_values("gain").iterrows():
            if over <= 1e-6:
                break
            if row["activity_id"] in kept.get(row["customer_id"], ()):
                continue
            drop.add((row["i"], row["activity_id"]))
            over -= row["dh"]
    if drop:
        dt = dt.copy()
        dt["activities"] = [tuple(k for k in ks if (i, k) not in drop)
                            for i, ks in zip(dt.index, dt["activities"], strict=True)]
        dt["need"] = dt["need"]  # activity hours only shrink: capacity still kept
    return dt
