"""Is a decomposition by manager a way to prove the sample's 0.1% gap faster?

An experiment, not part of kamopt: the Dantzig-Wolfe reformulation of the
one-year model with one *pattern* per manager (a set of accounts with their
levels and activities that fits the manager's hours). The master LP keeps one
row per customer (led at most once; exactly once for ``must``), one per
department and one convexity row per manager; each manager's pricing problem
is a small knapsack MIP solved exactly by HiGHS. The master's objective only
rises from round to round and never exceeds the Dantzig-Wolfe bound, so any
value it reaches is a lower limit for that bound; the Lagrangian value of each
round (master + every manager's best reduced cost) is a valid upper bound for
the plan.

    .venv/bin/python benchmarks/dw_bound.py [--rounds 200] [--case data/sample]

Compare the master's value with HiGHS's root bound after cuts on the compact
model (10,118,209 EUR on the sample, see docs/benchmarks.md): if the master
passes it, the decomposition bound is the weaker of the two.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
from scipy import sparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kamopt import load_case  # noqa: E402
from kamopt.case.scenario import Scenario  # noqa: E402
from kamopt.model.prepare import ModelData, prepare  # noqa: E402
from kamopt.solve.backend import new_highs  # noqa: E402

INF = highspy.kHighsInf


def _highs(cost, lo, hi, row_lo, row_hi, A, integer: bool):
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lo, hi
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * A.shape[1]
    h = new_highs()
    h.passModel(lp)
    return h


class Pricer:
    """Manager j's knapsack: accounts (one level each), their activities, j's hours."""

    def __init__(self, d: ModelData, j: str, cust: pd.Index, deps: list[str]):
        p, o, acts = d.pairs, d.options, d.acts
        pj = p[p["manager_id"] == j]
        rate = float(pj["hourly_cost"].iloc[0]) if len(pj) else 0.0
        w = pj[["customer_id", "value"]].rename(columns={"value": "pair_value"}).merge(
            o, on="customer_id")
        a = acts[acts["customer_id"].isin(pj["customer_id"])].reset_index(drop=True)
        self.w_obj = (w["value"] + w["pair_value"] - rate * w["hours"]).to_numpy()
        self.a_obj = (a["value"] - a["cost"] - rate * a["kam_hours"]).to_numpy()
        self.a_dep = np.column_stack([np.where(a["department"] == dep, a["dept_hours"], 0.0)
                                      for dep in deps]) if deps else np.zeros((len(a), 0))
        self.w_cust = cust.get_indexer(w["customer_id"])
        local = pd.Index(pj["customer_id"].unique())
        nw, na, nc = len(w), len(a), len(local)
        wc, ac = local.get_indexer(w["customer_id"]), local.get_indexer(a["customer_id"])
        # rows: one level per account (nc); activity only with the account (na); hours (1)
        link = pd.DataFrame({"r": np.arange(na), "c": ac}).merge(
            pd.DataFrame({"wi": np.arange(nw), "c": wc}), on="c")
        rows = np.concatenate([wc, nc + np.arange(na), nc + link["r"].to_numpy(),
                               np.full(nw + na, nc + na)])
        cols = np.concatenate([np.arange(nw), nw + np.arange(na), link["wi"].to_numpy(),
                               np.arange(nw + na)])
        vals = np.concatenate([np.ones(nw), np.ones(na), -np.ones(len(link)),
                               w["hours"].to_numpy(), a["kam_hours"].to_numpy()])
        A = sparse.csc_matrix((vals, (rows, cols)), shape=(nc + na + 1, nw + na))
        self.n = nw + na
        self.nw = nw
        self.h = _highs(np.concatenate([self.w_obj, self.a_obj]), np.zeros(self.n),
                        np.ones(self.n), np.full(nc + na + 1, -INF),
                        np.concatenate([np.ones(nc), np.zeros(na), [d.managers.at[j, "capacity"]]]),
                        A, integer=True)
        self.h.setOptionValue("mip_rel_gap", 1e-6)

    def price(self, pi: np.ndarray, mu: np.ndarray):
        """Best pattern under the duals: (value, upper bound, column values)."""
        cost = np.concatenate([self.w_obj - pi[self.w_cust], self.a_obj - self.a_dep @ mu])
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), cost)
        self.h.run()
        info = self.h.getInfo()
        return (float(info.objective_function_value), float(info.mip_dual_bound),
                np.asarray(self.h.getSolution().col_value))

    def pattern(self, x: np.ndarray):
        """(value, customers, department hours) of the pattern in ``x``."""
        w, a = x[:self.nw] > 0.5, x[self.nw:] > 0.5
        return (float(self.w_obj[w].sum() + self.a_obj[a].sum()), self.w_cust[w],
                self.a_dep[a].sum(axis=0))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", default=str(ROOT / "data" / "sample"))
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args(argv)
    d = prepare(load_case(args.case), Scenario())
    cust, deps, mgrs = d.model_customers, list(d.departments.index), list(d.managers.index)
    must = (d.customers.loc[cust, "status"] == "must").to_numpy()
    nc, nd, nm = len(cust), len(deps), len(mgrs)
    t0 = time.perf_counter()
    pricers = [Pricer(d, j, cust, deps) for j in mgrs]
    patterns: list[tuple[int, float, np.ndarray, np.ndarray]] = []
    best = np.inf
    master = np.nan
    for it in range(args.rounds):
        # master LP: patterns, plus a penalised slack per must account (feasible from round 0)
        rows, cols, vals, obj = [], [], [], []
        for k, (m, val, cs, dep) in enumerate(patterns):
            nz = np.flatnonzero(dep)
            rows += [*cs, *(nc + nz), nc + nd + m]
            cols += [k] * (len(cs) + len(nz) + 1)
            vals += [1.0] * len(cs) + list(dep[nz]) + [1.0]
            obj.append(val)
        rows += range(nc)
        cols += range(len(patterns), len(patterns) + nc)
        vals += [1.0] * nc
        obj += list(np.where(must, -1e7, 0.0))
        A = sparse.csc_matrix((vals, (rows, cols)), shape=(nc + nd + nm, len(obj)))
        h = _highs(np.asarray(obj), np.zeros(len(obj)), np.full(len(obj), INF),
                   np.concatenate([np.where(must, 1.0, -INF), np.full(nd + nm, -INF)]),
                   np.concatenate([np.ones(nc), d.departments.reindex(deps).to_numpy(float),
                                   np.ones(nm)]), A, integer=False)
        h.run()
        master = float(h.getInfo().objective_function_value)
        dual = np.asarray(h.getSolution().row_dual)
        pi, mu, sigma = dual[:nc], dual[nc:nc + nd], dual[nc + nd:]
        lagrangian, added = master, 0
        for m, pr in enumerate(pricers):
            val, upper, x = pr.price(pi, mu)
            lagrangian += max(0.0, upper - sigma[m])
            if val - sigma[m] > 1e-6:
                patterns.append((m, *pr.pattern(x)))
                added += 1
        best = min(best, lagrangian)
        print(f"round {it:3d}  master {master:14,.2f}  Lagrangian bound {lagrangian:14,.2f}  "
              f"best bound {best:14,.2f}  +{added} patterns  {time.perf_counter() - t0:6.1f} s",
              flush=True)
        if added == 0:
            print(f"converged: Dantzig-Wolfe bound {master:,.2f}")
            return 0
    print(f"stopped after {args.rounds} rounds: Dantzig-Wolfe bound >= {master:,.2f} "
          f"and <= {best:,.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
