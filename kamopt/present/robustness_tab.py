"""The explorer's "Robustness" tab: the plan at several values of one assumption.

It plans the explorer's scenario with one assumption (realisation, retention, industry
fit or capacity scale) 10%, 25% or 50% lower and higher, in 3 or 5 plans, when
*How robust?* is pressed (:func:`kamopt.analysis.sensitivity.sweep`), and shows the key
accounts every plan keeps and the customers whose status depends on the value.
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING

import ipywidgets as W
import numpy as np
import pandas as pd

from kamopt.errors import one_line
from kamopt.present.explorer_view import SOLVING, _error_box, _notice_box, _png
from kamopt.present.uncertainty_tab import UncertaintyPanel

if TYPE_CHECKING:
    from kamopt.present.widgets import ScenarioExplorer

#: the gap of the Robustness tab's plans (a comparison of several plans: seconds, not minutes)
ROBUST_GAP = 0.01

#: the assumptions the Robustness tab varies: scenario key -> label
ROBUST_PARAMETERS = {
    "realization": "Realisation α",
    "retention": "Retention β",
    "industry_fit": "Industry fit",
    "capacity_scale": "Capacity scale",
}


class RobustnessTab:
    """The explorer's "Robustness" tab: the plan at several values of one assumption.

    Around the value the Assumptions tab has (``spread`` lower and higher, in
    ``points`` steps) :func:`kamopt.analysis.sensitivity.sweep` plans the explorer's
    scenario at each value; the plan on show is re-used for its own value.
    It shows how many key accounts every plan keeps (the core), the customers
    whose status depends on the value (the swing), and the sweep's chart.
    ``sweep`` is the last :class:`~kamopt.analysis.sensitivity.Sweep`, ``error`` the
    last exception (shown in the tab, never raised), ``status.value`` the
    outcome, ``table.value`` the swing customers (HTML), ``chart.value`` a PNG.

    >>> from kamopt.case.sample import make_case
    >>> from kamopt.present.widgets import ScenarioExplorer
    >>> ex = ScenarioExplorer(make_case(customers=30, managers=3, seed=1))
    >>> tab = ex.robustness
    >>> tab.values()
    [0.225, 0.3, 0.375]
    >>> sw = tab.run()
    >>> sw.table["value"].tolist(), tab.status.value.startswith("3 plans")
    ([0.225, 0.3, 0.375], True)
    """

    def __init__(self, explorer: ScenarioExplorer):
        self.explorer = explorer
        self.sweep = None
        self.error: Exception | None = None
        wide = dict(style={"description_width": "150px"}, layout=W.Layout(width="420px"))
        self.controls = {
            "parameter": W.Dropdown(options=[(v, k) for k, v in ROBUST_PARAMETERS.items()],
                                    value="realization", description="Assumption", **wide),
            "spread": W.SelectionSlider(options=[("±10%", 0.1), ("±25%", 0.25), ("±50%", 0.5)],
                                        value=0.25, description="Lower and higher by",
                                        continuous_update=False, **wide),
            "points": W.ToggleButtons(options=[3, 5], value=3,
                                      style={"button_width": "60px"}),
        }
        for key, w in self.controls.items():
            w.add_class("kamopt-robust-" + key)
        self.button = W.Button(description="How robust?", button_style="primary", icon="play",
                               layout=W.Layout(width="160px"))
        self.button.add_class("kamopt-robust-solve")
        self.button.on_click(lambda _: self.run())
        self.status = W.Label(value="Not run yet: press How robust?")
        self.status.add_class("kamopt-robust-status")
        self.message = W.HTML(value="")
        self.table = W.HTML(value="")
        self.table.add_class("kamopt-robust-table")
        self.chart = W.Image(format="png", layout=W.Layout(width="100%", max_width="900px",
                                                            display="none"))
        info = W.HTML("The plan again with one assumption lower and higher, all else as in the "
                      "other tabs: the <b>core</b> are key accounts in every plan, the "
                      "<b>swing</b> customers key accounts in some only.")
        c = self.controls
        label = W.HTML('<div style="width:142px;text-align:right;padding-right:8px">Plans</div>')
        self.uncertainty = UncertaintyPanel(explorer)  # "Uncertain estimates", below the sweep
        self.widget = W.VBox([info, c["parameter"], c["spread"], W.HBox([label, c["points"]]),
                              W.HBox([self.button, self.status]), self.message, self.table,
                              self.chart, W.HTML("<h4>Uncertain estimates</h4>"),
                              self.uncertainty.widget])

    def values(self) -> list[float]:
        """The values to plan: the current one, and ``spread`` lower and higher around it
        (shares kept within [0, 1]; a capacity scale within (0, 2])."""
        key = self.controls["parameter"].value
        v0 = float(getattr(self.explorer.scenario, key))
        spread = float(self.controls["spread"].value)
        n = int(self.controls["points"].value)
        hi = 2.0 if key == "capacity_scale" else 1.0
        out = {round(min(hi, max(0.0, v0 * (1 + spread * float(f)))), 6)
               for f in np.linspace(-1.0, 1.0, n)}
        if key == "capacity_scale":
            out = {v for v in out if v > 0}
        return sorted(out | {v0})

    def run(self):
        """Plan the values of :meth:`values` and show the outcome (errors shown, not raised).

        The plans run on ``Runner.from_env()`` (:mod:`kamopt.planning.batch`); the status
        line counts them as they come, in place of a progress bar."""
        from kamopt.analysis.sensitivity import sweep
        from kamopt.planning.batch import Runner

        ex = self.explorer
        key = self.controls["parameter"].value
        self.status.value = SOLVING
        self.button.disabled = True
        t0 = time.perf_counter()
        try:
            values = self.values()
            if len(values) < 2:
                raise ValueError(f"{ROBUST_PARAMETERS[key]} is 0 in this scenario, so there is "
                                 "nothing to vary around; set it in the Assumptions tab.")
            # a sweep is a comparison of plans: at a 1% gap (said in the status line), not the
            # 0.1% of the plan on show, so that 3-5 plans take seconds, not minutes
            scenario = ex.scenario.replace(mip_gap=max(ex.scenario.mip_gap, ROBUST_GAP))
            known = ({getattr(scenario, key): ex.plan}
                     if ex.plan is not None and ex.plan.scenario == scenario else None)
            runner = Runner.from_env(quiet=True, on_progress=self._planned)
            sw = sweep(ex.case, scenario, key, values, known=known, runner=runner)
            self.error, self.sweep = None, sw
            self._show(sw, key, t0)  # inside: an error while showing it is shown too
            return sw
        except Exception as exc:  # a callback must never lose an error
            self.error = exc
            self.status.value = f"Cannot tell: {' '.join(str(exc).split())}"
            self.message.value = _error_box("The sweep did not run.", str(exc),
                                            last="robustness check")
            return None
        finally:
            self.button.disabled = False

    def _planned(self, done: int, total: int) -> None:
        """The status line while the sweep runs: how many of its plans are made."""
        self.status.value = f"{SOLVING} {done} of {total} plans made"

    def _show(self, sw, key: str, t0: float) -> None:
        from kamopt.analysis.sensitivity import value_text
        from kamopt.present.sweep_charts import sweep_chart

        failed = sw.table[sw.table["status"] == "infeasible"]
        self.message.value = _notice_box(
            f"No plan at {len(failed)} of the values.",
            [f"{value_text(key, r.value)}: {one_line(r.reason)}" for r in failed.itertuples()]
        ) if len(failed) else ""
        self.table.value = swing_table_html(sw)
        self.chart.value = _png(sweep_chart(sw, top=20))
        self.chart.layout.display = ""
        planned = len(sw.planned)
        of = f" of {len(sw.table)}" if planned < len(sw.table) else ""
        gap = max(self.explorer.scenario.mip_gap, ROBUST_GAP)
        self.status.value = (f"{planned}{of} plans in {time.perf_counter() - t0:.1f} s "
                             f"(each within {gap:.1%} of its optimum) · "
                             f"{len(sw.core)} key accounts in every plan · "
                             f"{len(sw.swing)} depend on {ROBUST_PARAMETERS[key]}")


def swing_table_html(sw, rows: int = 25) -> str:
    """The swing customers of a sweep as an HTML table (name, in how many plans, at which
    values), or a sentence when there are none."""
    from kamopt.analysis.sensitivity import value_text

    swing = sw.swing
    if swing.empty:
        return (f"<p>No customer's status depends on {html.escape(sw.parameter)} within "
                "these values.</p>")
    show = pd.DataFrame({
        "customer": [sw.name(cid) for cid in swing.index],
        "key account in": [f"{r.in_plans} of {r.of} plans" for r in swing.itertuples()],
        "at": swing["in_at"].to_numpy(),
        "note": ["in, out and in again: maybe the solver's tolerance" if f else ""
                 for f in swing["flicker"]],
    }).head(rows)
    if not swing["flicker"].any():
        show = show.drop(columns="note")
    more = len(swing) - len(show)
    values = ", ".join(value_text(sw.parameter, v) for v in sw.table["value"])
    style = ("<style>table.kamopt-swing th, table.kamopt-swing td {text-align:left;"
             "padding:2px 12px 2px 0;vertical-align:top}</style>")
    return (f"<p><b>{len(swing)} customers</b> are key accounts at some of {values} only"
            + (f" (the {rows} most often in shown)" if more else "") + ":</p>" + style
            + show.to_html(classes="kamopt-table kamopt-swing", index=False, escape=True,
                           border=0))
