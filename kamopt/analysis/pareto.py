"""The trade-off between net contribution and disruption: a front by the epsilon-constraint
method (``kamopt pareto``).

:func:`pareto_front` plans the case

1. at the best net contribution with no cap, taking among the plans within the gap of the
   best the one that moves least (``tie_break: least_disruption``): the front's right end;
2. at the least disruption any plan can have (``must`` accounts whose manager is away,
   minimum workloads and every other rule still hold; no net requirement), and with that as
   the cap, the best net: the front's left end;
3. at ``points`` caps evenly between the two (whole numbers for accounts), each an
   independent plan with ``max_disruption`` at the cap and the same tie-break, so that each
   point moves no more than its net needs.

Points dominated by another (no better on the traced figure and no less disruptive) are
removed. Every plan is :func:`kamopt.planning.oneyear.plan`, on a batch runner
(:class:`kamopt.planning.batch.Runner`), stopped by work budgets: the same front on any
machine. The traced figure (``objective``) is the net contribution or the total pair cost
(``cost_pairs``; for a territory case whose net contribution is minus its pair cost, such as
Pfizer Turkey's, the two are one front); the plans maximise the net contribution either way.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamopt.case.disruption import DISRUPTION_MEASURES
from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.errors import InfeasibleError
from kamopt.planning.batch import Runner

#: the figures a front can trace against disruption
OBJECTIVES = ("net", "pair_cost")

#: the plan's kpi of each disruption measure
MEASURE_KPIS = {"accounts": "accounts_changing_hands", "revenue": "revenue_changing_hands",
                "hours": "hours_changing_hands"}

#: the columns of the front (``front.csv``)
COLUMNS = ["disruption", "net_contribution", "pair_cost", "key_accounts", "status", "gap",
           "cap", "point"]


@dataclass
class ParetoFront:
    """A front: ``points`` (every plan made, dominated ones too, one row each, with
    :data:`COLUMNS` and ``dominated``) and ``table`` (the front: the points no other
    dominates, by disruption)."""

    measure: str
    objective: str
    scenario: Scenario
    points: pd.DataFrame

    @property
    def table(self) -> pd.DataFrame:
        on = (self.points["status"] != "infeasible") & ~self.points["dominated"].astype(bool)
        return self.points.loc[on, COLUMNS].sort_values("disruption").reset_index(drop=True)

    @property
    def figure(self) -> str:
        """The traced column: ``net_contribution`` or ``pair_cost``."""
        return "net_contribution" if self.objective == "net" else "pair_cost"

    def summary_text(self) -> str:
        t = self.table
        what = "net contribution" if self.objective == "net" else "total pair cost"
        lines = [f"Front of {what} against disruption ({self.measure}): {len(t)} efficient "
                 f"plans of {len(self.points)} planned"]
        lines.append(f"  {'disruption':>14}  {what:>18}  {'key accounts':>12}  status    gap")
        for r in t.itertuples(index=False):
            lines.append(f"  {r.disruption:>14,.6g}  {getattr(r, self.figure):>18,.2f}  "
                         f"{r.key_accounts:>12}  {r.status:<8}  {r.gap:.2%}")
        return "\n".join(lines)


def _check(points, measure: str, objective: str) -> None:
    if measure not in DISRUPTION_MEASURES:
        raise ValueError("The 'measure' parameter of pareto_front must be one of "
                         f"{', '.join(DISRUPTION_MEASURES)}. Got {measure!r} instead.")
    if objective not in OBJECTIVES:
        raise ValueError("The 'objective' parameter of pareto_front must be one of "
                         f"{', '.join(OBJECTIVES)}. Got {objective!r} instead.")
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 500:
        raise ValueError("The 'points' parameter of pareto_front must be a whole number in "
                         f"[0, 500]. Got {points!r} instead.")


def traced_scenario(scenario: Scenario, measure: str, tie_break: bool = True) -> Scenario:
    """``scenario`` as the front plans it: its cap in ``measure`` (if any) left out (the front
    sets it), its caps in other measures kept, and (``tie_break``) the tie-break least
    disruption in ``measure``; without it, each point is the first plan found within the gap
    for its cap (a stage instead of three: the quick front)."""
    others = tuple((m, v) for m, v in scenario.max_disruption if m != measure)
    return scenario.replace(max_disruption=others,
                            tie_break=("least_disruption", measure) if tie_break else None)


def pareto_front(case: Case, scenario: Scenario | None = None, points: int = 20,
                 measure: str = "accounts", objective: str = "net",
                 runner: Runner | None = None, tie_break: bool = True) -> ParetoFront:
    """The front of ``objective`` against disruption in ``measure`` (see the module docs).

    ``tie_break=False``: each point is the first plan within the gap for its cap, without the
    least-disruption stages (each point one solve instead of three; the max-net end then moves
    as many accounts as that plan happens to).

    Raises :class:`~kamopt.errors.InfeasibleError` when not even the plan without a cap
    exists (with the diagnosis), ``ValueError`` for a bad parameter.
    """
    _check(points, measure, objective)
    base = traced_scenario(scenario or Scenario(), measure, tie_break)
    runner = runner or Runner.from_env()
    shared = (case, base, measure)
    best, least = runner.map(_point, ["best", "least"], shared=shared, desc="pareto ends")
    for r in (best, least):
        if isinstance(r, InfeasibleError):
            raise r
    caps = caps_between(least["disruption"], best["disruption"], points,
                        whole=measure == "accounts")
    done = runner.map(_point, caps, shared=shared, desc="pareto front")
    table = [least, best] + [({"point": "cap", "cap": c, "status": "infeasible"}
                              if isinstance(r, InfeasibleError) else r)
                             for c, r in zip(caps, done, strict=True)]
    t = pd.DataFrame(table)
    for col in COLUMNS:
        if col not in t:
            t[col] = np.nan
    t["dominated"] = dominated(t, "net_contribution" if objective == "net" else "pair_cost",
                               higher_is_better=objective == "net")
    return ParetoFront(measure, objective, base, t)


def caps_between(lo: float, hi: float, points: int, whole: bool = False) -> list[float]:
    """``points`` caps evenly between ``lo`` and ``hi``, the ends left out; whole numbers
    (each once, rounded down) when ``whole``.

    >>> caps_between(0.0, 1.0, 3)
    [0.25, 0.5, 0.75]
    >>> caps_between(2, 7, 20, whole=True)
    [3.0, 4.0, 5.0, 6.0]
    """
    if points <= 0 or not hi > lo:
        return []
    caps = np.linspace(lo, hi, points + 2)[1:-1]
    if whole:
        caps = np.unique(np.floor(caps + 1e-9))
        caps = caps[(caps > lo) & (caps < hi)]
    return [float(c) for c in caps]


def dominated(t: pd.DataFrame, figure: str, higher_is_better: bool = True) -> np.ndarray:
    """Per row of ``t``: whether another plan is no more disruptive and no worse on ``figure``,
    and better in one of them (or the same in both and earlier in ``t``); infeasible rows are
    dominated.

    >>> t = pd.DataFrame({"disruption": [0, 1, 2, 2], "net_contribution": [5, 5, 7, 7],
    ...                   "status": "optimal"})
    >>> dominated(t, "net_contribution").tolist()
    [False, True, False, True]
    """
    ok = (t["status"] != "infeasible").to_numpy()
    d = t["disruption"].to_numpy(float)
    f = t[figure].to_numpy(float) * (1 if higher_is_better else -1)
    out = ~ok
    tol = 1e-9
    for i in np.flatnonzero(ok):
        for k in np.flatnonzero(ok):
            if k == i:
                continue
            no_worse = d[k] <= d[i] + tol * max(1, abs(d[i])) and f[k] >= f[i] - tol * max(
                1, abs(f[i]))
            better = d[k] < d[i] - tol * max(1, abs(d[i])) or f[k] > f[i] + tol * max(
                1, abs(f[i]))
            if no_worse and (better or k < i):
                out[i] = True
                break
    return out


def least_disruption_value(case: Case, scenario: Scenario, measure: str) -> tuple[float, str]:
    """The least disruption in ``measure`` of any plan of ``case`` under ``scenario`` (every
    rule kept, no net requirement) and whether it is proven (``optimal``) or only found
    (``feasible``, stopped at a work budget); :class:`InfeasibleError` if no plan exists."""
    from kamopt.case.validate import check_against_scenario
    from kamopt.errors import SolverError
    from kamopt.model.oneyear import build
    from kamopt.model.prepare import prepare
    from kamopt.planning.diagnose import explain_infeasible, precheck
    from kamopt.solve.tiebreak import disruption_of, least_disruption

    check_against_scenario(case, scenario)
    precheck(case, scenario)
    km = build(prepare(case, scenario))
    sol = least_disruption(km, scenario, measure)
    if sol.status == "infeasible":
        raise explain_infeasible(km)
    if not sol.ok:
        raise SolverError(f"The solver returned no plan for the least disruption: {sol.message}")
    return disruption_of(km, sol.values, measure), str(sol.status)


def _point(shared: tuple, item) -> dict | InfeasibleError:
    """A batch's task: the front's plan of ``item`` (``"best"``: no cap; ``"least"``: the least
    disruption; a number: that cap) as a row, or the InfeasibleError of a cap without one."""
    from kamopt.planning.oneyear import plan

    case, base, measure = shared
    kind, cap, sc = "cap", item, base
    try:
        if item == "best":
            kind, cap = "max net", math.inf
        elif item == "least":
            kind = "least disruption"
            cap, _ = least_disruption_value(case, base.replace(tie_break=None), measure)
        if math.isfinite(cap):
            sc = base.replace(max_disruption=(*base.max_disruption, (measure, float(cap))))
        p = plan(case, sc)
    except InfeasibleError as exc:
        return exc
    k = p.kpis
    return {"point": kind, "cap": cap, "disruption": float(k[MEASURE_KPIS[measure]]),
            "net_contribution": float(p.objective), "pair_cost": float(k["cost_pairs"]),
            "key_accounts": int(k["key_accounts"]), "status": str(p.status),
            "gap": float(k["mip_gap"]),
            "least_disruption_status": k.get("tie_break_status", "")}


def front_of_plans(front: ParetoFront) -> list[Scenario]:
    """The scenarios of the front's plans, in its order (to plan one again, say)."""
    return [dataclasses.replace(front.scenario, max_disruption=(
        *front.scenario.max_disruption, (front.measure, float(c))))
        if math.isfinite(c) else front.scenario for c in front.table["cap"]]
