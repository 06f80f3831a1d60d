"""The front of net contribution (or total pair cost) against disruption
(:mod:`kamopt.analysis.pareto`) as a step chart."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from kamopt.analysis.pareto import ParetoFront
from kamopt.i18n import N_, tr
from kamopt.present.style import PALETTE, _eur_axis, _figure, _hours_axis, _style, _titles

#: the x axis of each disruption measure
MEASURE_LABELS = {
    "accounts": N_("key accounts changing hands"),
    "revenue": N_("revenue of the key accounts changing hands, EUR a year"),
    "hours": N_("KAM hours changing hands (at standard coverage)"),
}


def pareto_chart(front: ParetoFront, ax=None) -> Figure:
    """The front as steps: each efficient plan a point, the best figure for a cap on
    disruption a step (a cap between two points allows the left one's plan)."""
    t = front.table
    net = front.objective == "net"
    x = t["disruption"].to_numpy(float)
    y = t[front.figure].to_numpy(float)
    with _style():
        fig, ax = _figure(ax)
        if len(x):
            right = x[-1] + max(0.08 * (x[-1] - x[0]), 1e-9 if x[-1] == x[0] else 0.0)
            ax.step(np.append(x, right), np.append(y, y[-1]), where="post",
                    color=PALETTE["blue"], lw=2.5, label=tr("best plan for a cap on disruption"))
            ax.plot(x, y, "o", color=PALETTE["orange"], ms=9, zorder=3,
                    label=tr("efficient plans"))
            ends = [(0, tr("least disruption")), (len(x) - 1, tr("best net contribution")
                                                   if net else tr("least total pair cost"))]
            for i, text in ends[: 1 if len(x) == 1 else 2]:
                last = i == len(x) - 1 and i > 0
                ax.annotate(text, (x[i], y[i]), xytext=(-8 if last else 8,
                                                        -22 if net and not last else 10),
                            ha="right" if last else "left", textcoords="offset points",
                            color=PALETTE["black"])
        if net:
            _eur_axis(ax.yaxis)
        ax.set_xlabel(tr(MEASURE_LABELS[front.measure]))
        if front.measure == "revenue":
            _eur_axis(ax.xaxis)
        elif front.measure == "hours" and len(x) and x.max() >= 10:
            _hours_axis(ax.xaxis)
        ax.set_ylabel(tr("net contribution a year") if net else tr("total pair cost a year"))
        ax.legend(loc="lower right" if net else "upper right")
        _titles(ax, tr("Net contribution against disruption") if net
                else tr("Total pair cost against disruption"),
                tr("each point the best plan that changes no more hands "
                   "(epsilon-constraint); {n} of {m} plans are efficient",
                   n=len(t), m=len(front.points)))
    return fig
