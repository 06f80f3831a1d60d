"""The mid-term plan's chart: expected order intake by year against the targets, in the
current language (:mod:`kamopt.i18n`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kamopt.i18n import number, percent, tr
from kamopt.planning.midterm_outputs import scope_name
from kamopt.present.style import PALETTE, _eur_axis, _figure, _legend_outside, _style, _titles

if TYPE_CHECKING:
    from kamopt.planning.midterm import MidtermPlan


def _meur(v: float, digits: int = 1) -> str:
    """Millions of euros on the chart: ``17.6 M€``, ``17,6 Mio. €`` in German."""
    return tr("{amount} M€", amount=number(v / 1e6, digits))


def intake_chart(mp: MidtermPlan, ax=None):
    """Expected order intake by year (retained revenue + realised potential) against targets."""
    y = mp.years
    with _style():
        fig, ax = _figure(ax, figsize=(12, 6.5))
        xs = np.arange(len(y))
        ax.bar(xs, y["intake_retained"], width=0.6, color=PALETTE["sky"],
               label=tr("retained revenue"))
        ax.bar(xs, y["intake_potential"], width=0.6, bottom=y["intake_retained"],
               color=PALETTE["blue"], label=tr("realised potential"))
        has_target = y["target"].notna().to_numpy()
        if has_target.any():
            ax.hlines(y["target"][has_target], xs[has_target] - 0.38, xs[has_target] + 0.38,
                      colors=PALETTE["vermillion"], linewidths=3.5, zorder=3, label=tr("target"))
        for xi, (_, r) in zip(xs, y.iterrows(), strict=True):
            top = r["intake"] if pd.isna(r["target"]) else max(r["target"], r["intake"])
            short = r["shortfall"] if pd.notna(r["shortfall"]) else 0.0
            text = _meur(r["intake"])
            if pd.notna(r["target"]):
                text += "\n" + (tr("target {amount} met", amount=_meur(r["target"], 0))
                                if short <= 0 else tr("short by {amount}", amount=_meur(short)))
            ax.annotate(text, (xi, top), xytext=(0, 8), textcoords="offset points",
                        ha="center", va="bottom", fontsize=13,
                        color=PALETTE["vermillion"] if short > 0 else PALETTE["black"])
        ax.set_xticks(xs, [str(v) for v in y.index])
        top = np.nanmax(np.r_[y["intake"].to_numpy(), y["target"].to_numpy(float)])
        if top > 0:  # a case without revenue (a territory case) has no intake to scale to
            ax.set_ylim(0, top * 1.18)
        _eur_axis(ax.yaxis)
        _titles(ax, tr("Expected order intake against target"),
                tr("EUR a year, {scenario} scenario; plan {status}, gap {gap}",
                   scenario=mp.scenario.name, status=tr(mp.status),
                   gap=percent(mp.kpis["mip_gap"], 1)))
        handles, labels = ax.get_legend_handles_labels()
        _legend_outside(ax, [("", handles, labels)])
        scoped = mp.targets[mp.targets["scope"] != "company"] if len(mp.targets) else []
        if len(scoped):  # targets of a region or industry: below the chart, in words
            lines = [tr("{scope} {year}: {intake} against {target}, {result}",
                        scope=scope_name(r.scope), year=r.year, intake=_meur(r.intake),
                        target=_meur(r.order_intake),
                        result=tr("met") if r.met else tr("short by {amount}",
                                                          amount=_meur(r.shortfall)))
                     for r in scoped.itertuples()]
            ax.text(0, -0.09, tr("Other targets: {targets}", targets="; ".join(lines)),
                    transform=ax.transAxes,
                    ha="left", va="top", fontsize=12, wrap=True,
                    color=PALETTE["vermillion"] if (~scoped["met"]).any() else PALETTE["black"])
    return fig
