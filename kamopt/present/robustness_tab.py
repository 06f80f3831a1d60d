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
from kamopt.i18n import N_, current, number, percent, tr
from kamopt.present.explorer_view import (
    SOLVING,
    _notice_box,
    _png,
    set_options,
    show_panel_error,
)
from kamopt.present.uncertainty_tab import UncertaintyPanel

if TYPE_CHECKING:
    from kamopt.present.widgets import ScenarioExplorer

#: the gap of the Robustness tab's plans (a comparison of several plans: seconds, not minutes)
ROBUST_GAP = 0.01

#: the assumptions the Robustness tab varies: scenario key -> label
ROBUST_PARAMETERS = {
    "realization": N_("Realisation α"),
    "retention": N_("Retention β"),
    "industry_fit": N_("Industry fit"),
    "capacity_scale": N_("Capacity scale"),
}

#: what the figures of a robustness check that did not run are
LAST_CHECK = N_("The figures below are those of the last robustness check.")


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
        self._shown = None  # how to show the last outcome again: (method, args)
        t = explorer.texts
        wide = dict(style={"description_width": "150px"}, layout=W.Layout(width="420px"))
        self.controls = {
            "parameter": t.add(W.Dropdown(options=self._parameters(), value="realization",
                                          **wide), N_("Assumption")),
            "spread": t.add(W.SelectionSlider(
                options=[("±10%", 0.1), ("±25%", 0.25), ("±50%", 0.5)], value=0.25,
                continuous_update=False, **wide), N_("Lower and higher by")),
            "points": W.ToggleButtons(options=[3, 5], value=3,
                                      style={"button_width": "60px"}),
        }
        for key, w in self.controls.items():
            w.add_class("kamopt-robust-" + key)
        self.button = t.add(W.Button(button_style="primary", icon="play",
                                     layout=W.Layout(width="160px")), N_("How robust?"))
        self.button.add_class("kamopt-robust-solve")
        self.button.on_click(lambda _: self.run())
        self.status = W.Label(value=tr("Not run yet: press How robust?"))
        self.status.add_class("kamopt-robust-status")
        self.message = W.HTML(value="")
        self.table = W.HTML(value="")
        self.table.add_class("kamopt-robust-table")
        self.chart = W.Image(format="png", layout=W.Layout(width="100%", max_width="900px",
                                                            display="none"))
        info = t.html(N_("The plan again with one assumption lower and higher, all else as in "
                         "the other tabs: the <b>core</b> are key accounts in every plan, the "
                         "<b>swing</b> customers key accounts in some only."))
        c = self.controls
        label = t.html(N_('<div style="width:142px;text-align:right;padding-right:8px">Plans'
                          '</div>'))
        self.uncertainty = UncertaintyPanel(explorer)  # "Uncertain estimates", below the sweep
        self.widget = W.VBox([info, c["parameter"], c["spread"], W.HBox([label, c["points"]]),
                              W.HBox([self.button, self.status]), self.message, self.table,
                              self.chart, t.html(N_("<h4>Uncertain estimates</h4>")),
                              self.uncertainty.widget])

    @staticmethod
    def _parameters() -> list[tuple[str, str]]:
        return [(tr(v), k) for k, v in ROBUST_PARAMETERS.items()]

    def relabel(self) -> None:
        """The tab in the current language: its choices and its last outcome (nothing is
        planned again)."""
        set_options(self.controls["parameter"], self._parameters())
        if self._shown is None:
            self.status.value = tr("Not run yet: press How robust?")
        else:
            method, args = self._shown
            method(*args, again=True)
        self.uncertainty.relabel()

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
        self.status.value = tr(SOLVING)
        self.button.disabled = True
        t0 = time.perf_counter()
        try:
            values = self.values()
            if len(values) < 2:
                raise ValueError(tr("{assumption} is 0 in this scenario, so there is nothing to "
                                    "vary around; set it in the Assumptions tab.",
                                    assumption=tr(ROBUST_PARAMETERS[key])))
            # a sweep is a comparison of plans: at a 1% gap (said in the status line), not the
            # 0.1% of the plan on show, so that 3-5 plans take seconds, not minutes
            scenario = ex.scenario.replace(mip_gap=max(ex.scenario.mip_gap, ROBUST_GAP))
            known = ({getattr(scenario, key): ex.plan}
                     if ex.plan is not None and ex.plan.scenario == scenario else None)
            runner = Runner.from_env(quiet=True, on_progress=self._planned)
            sw = sweep(ex.case, scenario, key, values, known=known, runner=runner)
            self.error, self.sweep = None, sw
            self._show(sw, key, time.perf_counter() - t0)  # its errors are shown too
            return sw
        except Exception as exc:  # a callback must never lose an error
            self._show_error(exc)
            return None
        finally:
            self.button.disabled = False

    def _show_error(self, exc: Exception, again: bool = False) -> None:
        show_panel_error(self, exc, tr("The sweep did not run."), LAST_CHECK)

    def _planned(self, done: int, total: int) -> None:
        """The status line while the sweep runs: how many of its plans are made."""
        self.status.value = tr("{solving} {done} of {total} plans made", solving=tr(SOLVING),
                               done=done, total=total)

    def _show(self, sw, key: str, seconds: float, again: bool = False) -> None:
        from kamopt.analysis.sensitivity import value_text
        from kamopt.present.sweep_charts import sweep_chart

        self._shown = (self._show, (sw, key, seconds))
        failed = sw.table[sw.table["status"] == "infeasible"]
        self.message.value = _notice_box(
            tr("No plan at {n} of the values.", n=len(failed)),
            [f"{value_text(key, r.value)}: {one_line(r.reason)}" for r in failed.itertuples()]
        ) if len(failed) else ""
        self.table.value = swing_table_html(sw)
        self.chart.value = _png(sweep_chart(sw, top=20))
        self.chart.layout.display = ""
        planned = len(sw.planned)
        of = f" of {len(sw.table)}" if planned < len(sw.table) else ""
        gap = max(sw.scenario.mip_gap if getattr(sw, "scenario", None) is not None
                  else self.explorer.scenario.mip_gap, ROBUST_GAP)
        self.status.value = tr(
            "{planned}{of} plans in {seconds} s (each within {gap} of its optimum) · {core} key "
            "accounts in every plan · {swing} depend on {assumption}", planned=planned,
            of=tr(" of {n}", n=len(sw.table)) if of else "", seconds=number(seconds, 1),
            gap=percent(gap, 1), core=len(sw.core), swing=len(sw.swing),
            assumption=tr(ROBUST_PARAMETERS[key]))


def swing_table_html(sw, rows: int = 25) -> str:
    """The swing customers of a sweep as an HTML table (name, in how many plans, at which
    values), or a sentence when there are none."""
    from kamopt.analysis.sensitivity import value_text

    swing = sw.swing
    if swing.empty:
        return "<p>" + html.escape(tr("No customer's status depends on {p} within these values.",
                                      p=tr(ROBUST_PARAMETERS.get(sw.parameter, sw.parameter))
                                      if current() != "en" else sw.parameter)) + "</p>"
    show = pd.DataFrame({
        tr("customer"): [sw.name(cid) for cid in swing.index],
        tr("key account in"): [tr("{k} of {n} plans", k=r.in_plans, n=r.of)
                               for r in swing.itertuples()],
        tr("at"): swing["in_at"].to_numpy(),
        tr("note"): [tr("in, out and in again: maybe the solver's tolerance") if f else ""
                     for f in swing["flicker"]],
    }).head(rows)
    if not swing["flicker"].any():
        show = show.drop(columns=tr("note"))
    more = len(swing) - len(show)
    values = ", ".join(value_text(sw.parameter, v) for v in sw.table["value"])
    style = ("<style>table.kamopt-swing th, table.kamopt-swing td {text-align:left;"
             "padding:2px 12px 2px 0;vertical-align:top}</style>")
    return ("<p>" + tr("<b>{n} customers</b> are key accounts at some of {values} only",
                       n=len(swing), values=values)
            + (tr(" (the {n} most often in shown)", n=rows) if more else "") + ":</p>" + style
            + show.to_html(classes="kamopt-table kamopt-swing", index=False, escape=True,
                           border=0))
