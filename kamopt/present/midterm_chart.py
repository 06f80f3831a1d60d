"""The mid-term plan's chart: expected order intake by year against the targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kamopt.present.style import PALETTE, _eur_axis, _figure, _legend_outside, _style, _titles

if TYPE_CHECKING:
    from kamopt.planning.midterm import MidtermPlan


def intake_chart(mp: MidtermPlan, ax=None):
    """Expected order intake by year (retained revenue + realised potential) against targets."""
    y = mp.years
    with _style():
        fig, ax = _figure(ax, figsize=(12, 6.5))
        xs = np.arange(len(y))
        ax.bar(xs, y["intake_retained"], width=0.6, color=PALETTE["sky"],
               label="retained revenue")
        ax.bar(xs, y["intake_potential"], width=0.6, bottom=y["intake_retained"],
               color=PALETTE["blue"], label="realised potential")
        has_target = y["target"].notna().to_numpy()
        if has_target.any():
            ax.hlines(y["target"][has_target], xs[has_target] - 0.38, xs[has_target] + 0.38,
                      colors=PALETTE["vermillion"], linewidths=3.5, zorder=3, label="target")
        for xi, (_, r) in zip(xs, y.iterrows(), strict=True):
            top = r["intake"] if pd.isna(r["target"]) else max(r["target"], r["intake"])
            short = r["shortfall"] if pd.notna(r["shortfall"]) else 0.0
            text = f"{r['intake'] / 1e6:,.1f} M€"
            if pd.notna(r["target"]):
                text += (f"\ntarget {r['target'] / 1e6:,.0f} M€ met" if short <= 0
                         else f"\nshort by {short / 1e6:,.1f} M€")
            ax.annotate(text, (xi, top), xytext=(0, 8), textcoords="offset points",
                        ha="center", va="bottom", fontsize=13,
                        color=PALETTE["vermillion"] if short > 0 else PALETTE["black"])
        ax.set_xticks(xs, [str(v) for v in y.index])
        top = np.nanmax(np.r_[y["intake"].to_numpy(), y["target"].to_numpy(float)])
        if top > 0:  # a case without revenue (a territory case) has no intake to scale to
            ax.set_ylim(0, top * 1.18)
        _eur_axis(ax.yaxis)
        _titles(ax, "Expected order intake against target",
                f"EUR a year, {mp.scenario.name} scenario; plan {mp.status}, "
                f"gap {mp.kpis['mip_gap']:.1%}")
        handles, labels = ax.get_legend_handles_labels()
        _legend_outside(ax, [("", handles, labels)])
        scoped = mp.targets[mp.targets["scope"] != "company"] if len(mp.targets) else []
        if len(scoped):  # targets of a region or industry: below the chart, in words
            lines = [f"{r.scope.replace(':', ' ')} {r.year}: {r.intake / 1e6:,.1f} M€ against "
                     f"{r.order_intake / 1e6:,.1f} M€, "
                     + ("met" if r.met else f"short by {r.shortfall / 1e6:,.1f} M€")
                     for r in scoped.itertuples()]
            ax.text(0, -0.09, "Other targets: " + "; ".join(lines), transform=ax.transAxes,
                    ha="left", va="top", fontsize=12, wrap=True,
                    color=PALETTE["vermillion"] if (~scoped["met"]).any() else PALETTE["black"])
    return fig
