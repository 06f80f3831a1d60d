"""Solving the two-stage plan's extensive form (:mod:`kamopt.model.twostage`).

The strategy, chosen by measurement on the sample company (docs/benchmarks.md):

1. each candidate first stage (the deterministic plan's key accounts and leads, the
   plan on the estimates' means) is valued exactly on the draws: with ``x`` fixed the
   extensive form falls apart into one small recourse problem a draw (10 draws: 2.6 s);
2. HiGHS on the whole extensive form, started from the best candidate, within the
   gap and a work budget of :data:`TWO_STAGE_NODES` branch-and-bound nodes. On the
   sample at a 1% gap its root proves the best candidate within the gap (10 draws:
   47 s; 5 draws: 12 s from the start, 106 s from nothing). Its bound is tighter than
   the LP relaxation's (which alone took 19 s at 10 draws), so that is not solved apart.

The plan is the best of these; its proven gap is measured against HiGHS's bound. Every limit is a work budget, HiGHS's threads are fixed,
so the same draws give the same plan on a quiet and on a busy machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from kamopt.model.twostage import TwoStageModel
from kamopt.solve.backend import Solution, relative_gap, solve

#: HiGHS's work budget on the extensive form, in branch-and-bound nodes
TWO_STAGE_NODES = 20
#: the gap at which a candidate's recourse problems are solved (they are small)
RECOURSE_GAP = 1e-4
#: a safety net only (seconds); the plan does not depend on it unless it is reached
SAFETY_NET = 3600.0


@dataclass(frozen=True)
class TwoStageSolution:
    """The two-stage plan: its first stage and what it is worth on the decision draws."""

    x: np.ndarray  # 0/1 per pair of the model's data (the first stage)
    objective: float  # the extensive form's objective (in-sample)
    bound: float
    gap: float
    candidates: dict  # name -> in-sample objective of that candidate first stage
    chosen: str  # "search" or the name of the candidate kept
    seconds: float
    stopped_by: str


def value_first_stage(tm: TwoStageModel, x: np.ndarray) -> Solution:
    """The extensive form with the first stage fixed to ``x``: the candidate's in-sample
    value with the best coverage levels and activities in every draw."""
    return solve(tm.lp, mip_gap=RECOURSE_GAP, time_limit=SAFETY_NET,
                 fix=(tm.x_all, np.tile(np.asarray(x, float), tm.draws)))


def solve_two_stage(tm: TwoStageModel, candidates: dict[str, np.ndarray], mip_gap: float,
                    node_limit: int = TWO_STAGE_NODES) -> TwoStageSolution:
    """Solve the extensive form from the best of ``candidates`` (name -> first stage)."""
    t0 = time.perf_counter()
    valued: dict[str, Solution] = {}
    for name, x in candidates.items():
        sol = value_first_stage(tm, x)
        if sol.ok:
            valued[name] = sol
    best_name = max(valued, key=lambda k: valued[k].objective) if valued else None
    start = valued[best_name].values if best_name else None
    full = solve(tm.lp, mip_gap=mip_gap, time_limit=SAFETY_NET, start=start,
                 node_limit=node_limit)
    options = [(s.objective, name, s.values) for name, s in valued.items()]
    if full.ok:
        options.append((full.objective, "search", full.values))
    if not options:
        raise RuntimeError(f"The two-stage plan found no plan: {full.message}")
    # the best; a tie keeps the candidate (the deterministic plan when it is as good)
    obj, chosen, values = max(options, key=lambda o: (round(o[0], 6), o[1] != "search"))
    bound = full.bound if full.ok and full.bound is not None else np.inf
    x = np.rint(values[tm.x]).astype(int)
    return TwoStageSolution(x, float(obj), float(bound), relative_gap(obj, bound),
                            {k: float(s.objective) for k, s in valued.items()}, chosen,
                            time.perf_counter() - t0, full.stopped_by)
