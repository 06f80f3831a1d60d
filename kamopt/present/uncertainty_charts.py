"""Charts of a plan under uncertain estimates (:mod:`kamopt.analysis.uncertainty`):
the core and the bets, and what each plan is worth over the draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kamopt.analysis.uncertainty import BET_LOW, CORE, UncertaintyResult
from kamopt.present.style import PALETTE, _eur_axis, _short_name, _style, _titles
from kamopt.units import eur

#: what each plan is called on the charts
PLAN_NAMES = {"deterministic_plan": "deterministic plan (point estimates)",
              "two_stage_plan": "two-stage plan (holds up)",
              "perfect_information": "perfect information (hindsight)"}


def selection_chart(result: UncertaintyResult, limit: int = 30, ax=None) -> Figure:
    """The share of draws in which each customer is a key account: the bets all, then
    the core accounts nearest to being bets, up to ``limit`` bars, with names."""
    sel = result.selection
    bets = sel[(sel["p_key_account"] > BET_LOW) & (sel["p_key_account"] < CORE)]
    core = sel[sel["p_key_account"] >= CORE]
    shown = bets.head(limit)
    if len(shown) < limit:
        shown = pd.concat([core.tail(limit - len(shown)), shown]) if len(core) else shown
    shown = shown.sort_values("p_key_account", kind="stable")
    with _style():
        if ax is None:
            fig = Figure(figsize=(12, max(4.5, 0.34 * len(shown) + 2)), layout="constrained")
            ax = fig.subplots()
        else:
            fig = ax.get_figure(root=True)
        p = shown["p_key_account"].to_numpy(float)
        colors = [PALETTE["green"] if v >= CORE else PALETTE["orange"] for v in p]
        labels = [f"{_short_name(n)} ({c})" if n else c
                  for c, n in zip(shown["customer_id"], shown["name"], strict=True)]
        y = np.arange(len(shown))
        ax.barh(y, p * 100, color=colors, height=0.7)
        ax.set_yticks(y, labels, fontsize=11)
        for yy, v, det in zip(y, p, shown["in_deterministic_plan"], strict=True):
            ax.annotate(f"{v:.0%}" + (" *" if det else ""), (v * 100, yy), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize=11)
        ax.axvline(CORE * 100, color=PALETTE["grey"], ls="--", lw=1.2)
        ax.set_xlim(0, 112)
        ax.set_xlabel("share of draws in which the customer is a key account (%)")
        n = result.summary["draws"]
        _titles(ax, f"The core and the bets: {len(result.core)} core key accounts, "
                    f"{len(result.bets)} bets",
                f"green: a key account in >= {CORE:.0%} of {n} draws; orange: a bet; "
                "* in the deterministic plan")
    return fig


def value_chart(result: UncertaintyResult, ax=None) -> Figure:
    """What each plan earns over the draws: a box per plan, the means marked."""
    d = result.draws
    cols = [c for c in ("deterministic_plan", "two_stage_plan", "perfect_information")
            if c in d and d[c].notna().any()]
    with _style():
        if ax is None:
            fig = Figure(figsize=(12, 5.5), layout="constrained")
            ax = fig.subplots()
        else:
            fig = ax.get_figure(root=True)
        data = [d[c].to_numpy(float) for c in cols]
        style = {"patch_artist": True, "widths": 0.55, "medianprops": {"color": PALETTE["black"]}}
        try:  # matplotlib >= 3.10 says orientation; vert= is deprecated there
            box = ax.boxplot(data, orientation="horizontal", **style)
        except TypeError:
            box = ax.boxplot(data, vert=False, **style)
        colors = {"deterministic_plan": PALETTE["blue"], "two_stage_plan": PALETTE["green"],
                  "perfect_information": PALETTE["grey"]}
        for patch, color in zip(box["boxes"], [colors[c] for c in cols], strict=True):
            patch.set_facecolor(color)
            patch.set_alpha(0.55)
        means = [float(np.mean(v)) for v in data]
        ax.scatter(means, np.arange(1, len(cols) + 1), color=PALETTE["vermillion"], zorder=3,
                   s=60, label="mean")
        for k, m in enumerate(means, start=1):
            ax.annotate(eur(m, digits=2), (m, k), xytext=(0, 14), textcoords="offset points",
                        ha="center", fontsize=11,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
        ax.set_yticks(np.arange(1, len(cols) + 1), [PLAN_NAMES[c] for c in cols])
        _eur_axis(ax.xaxis)
        ax.legend(loc="lower right")
        s = result.summary
        sub = f"net contribution a year under {s['draws']} draws of the estimates"
        if s["vss"] is not None:
            sub += f"; value of the stochastic solution {eur(s['vss']['mean'])}"
        _titles(ax, "What each plan earns when the estimates are wrong", sub)
    return fig


def uncertainty_chart(result: UncertaintyResult) -> Figure:
    """Both charts in one figure (what ``kamopt uncertainty`` writes)."""
    n = min(30, max(1, len(result.bets) + 5))
    with _style():
        fig = Figure(figsize=(12, 0.34 * n + 9), layout="constrained")
        top, bottom = fig.subplots(2, 1, height_ratios=[max(3, 0.34 * n), 4.5])
    selection_chart(result, limit=n, ax=top)
    value_chart(result, ax=bottom)
    return fig
