"""The board brief: everything a board pack says, computed once.

The report (notebook 02, ``kamopt report``), the deck (``kamopt deck``) and the app's summary
write from one :class:`Brief`, so they cannot tell a board different figures: the plan, the
baselines it is compared with (the three rules of thumb and the greedy), the strongest of
them, the bridge and its split by decision, and the plan again at a lower and a higher
realisation estimate (the selection's core and bets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from kamopt.analysis.baselines import (
    baselines,
    best_baseline,
    comparison,
    decision_split,
    value_bridge,
)
from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case

if TYPE_CHECKING:
    from kamopt.analysis.sensitivity import Sweep
    from kamopt.planning.batch import Runner
    from kamopt.planning.oneyear import Plan

#: a manager at this utilisation or more is "full" in the risks
FULL = 0.95


@dataclass
class Brief:
    """The figures of a board pack; see :func:`board_brief`."""

    case: Case
    scenario: Scenario
    plan: Plan
    #: baseline label -> its plan (rules of thumb and the greedy)
    rules: dict[str, Plan]
    #: the table of :func:`kamopt.analysis.baselines.comparison` (index: plan label)
    comparison: pd.DataFrame
    #: baseline label -> why it could not be filled in this case
    failed: dict[str, str] = field(default_factory=dict)
    #: the strongest baseline, and the strongest simple rule of thumb (None without rules)
    best: Plan | None = None
    best_thumb: Plan | None = None
    #: the bridge from ``best`` to the plan, and its split by the board's decisions
    bridge: pd.DataFrame | None = None
    split: pd.DataFrame | None = None
    #: the plan at 0.75, 1 and 1.25 times the realisation (None when no customer has potential)
    sweep: Sweep | None = None

    @property
    def key_accounts(self) -> pd.DataFrame:
        """The plan's key accounts (rows of ``plan.accounts``)."""
        acc = self.plan.accounts
        return acc[acc["key_account"] == 1]

    @property
    def full_managers(self) -> pd.DataFrame:
        """Managers at :data:`FULL` of their capacity or more."""
        mg = self.plan.managers
        return mg[mg["utilisation"] >= FULL]

    def gain(self, baseline: Plan | None = None) -> tuple[float, float]:
        """The plan's gain over ``baseline`` (default: the strongest): EUR a year and share."""
        b = baseline if baseline is not None else self.best
        if b is None:
            return float("nan"), float("nan")
        row = self.comparison.loc[b.kpis["rule"]]
        return float(row["uplift_eur"]), float(row["uplift_pct"])


def board_brief(case: Case, scenario: Scenario | None = None, *, plan: Plan | None = None,
                robustness: bool = True, runner: Runner | None = None) -> Brief:
    """Plan ``case`` (or take ``plan``), compare it with the baselines and test its selection.

    ``robustness``: also re-plan at a quarter lower and higher realisation (two more plans,
    on ``runner``); without potentials there is nothing to vary and ``sweep`` is None.
    """
    from kamopt.analysis.sensitivity import sweep
    from kamopt.planning.oneyear import plan as make_plan

    scenario = scenario or Scenario()
    p = plan if plan is not None else make_plan(case, scenario)
    failed: dict[str, str] = {}
    rules = baselines(p, failed=failed)
    brief = Brief(case=case, scenario=scenario, plan=p, rules=rules,
                  comparison=comparison(p, rules), failed=failed)
    if rules:
        brief.best = best_baseline(rules)
        brief.bridge = value_bridge(brief.best, p)
        brief.split = decision_split(brief.bridge)
        thumbs = {n: r for n, r in rules.items() if r.kpis.get("rule_key") != "greedy"}
        brief.best_thumb = best_baseline(thumbs) if thumbs else None
    if robustness and (case.customers["potential"] > 0).any():
        alpha = scenario.realization
        alphas = sorted({alpha, min(1.0, alpha * 0.75), min(1.0, alpha * 1.25)})
        brief.sweep = sweep(case, scenario, "realization", alphas, known={alpha: p},
                            runner=runner)
    return brief
