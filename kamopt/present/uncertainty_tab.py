"""The Robustness tab's section "Uncertain estimates": how safe are the key accounts?

The plan on show rests on point estimates: each customer's cross-selling
potential, the share of it a key account realises (α) and the revenue
key-account status keeps (β). :class:`UncertaintyPanel` draws them from
triangular ranges around the explorer's values (:mod:`kamopt.case.uncertainty`)
and plans each draw (:func:`kamopt.analysis.uncertainty.analyse`): the *core* are
key accounts in (nearly) every draw, the *bets* in some only; the plan on show
(its key accounts and lead managers) is valued under every draw, and, with
"two-stage plan", a plan decided on other draws that holds up.

What can be tested without a browser: ``panel.result`` (the last
:class:`~kamopt.analysis.uncertainty.UncertaintyResult`), ``panel.error`` (the last
exception: shown in the panel, never raised), ``panel.status.value``,
``panel.progress.value`` / ``.max`` (plans made / to make) and
``panel.progress_label.value``, ``panel.findings.value`` and ``panel.table.value``
(HTML, names escaped), ``panel.selection_chart.value`` and
``panel.value_chart.value`` (PNG), ``panel.reused`` (whether the plan on show was the
deterministic plan).

>>> from kamopt.case.sample import make_case
>>> from kamopt.present.widgets import ScenarioExplorer
>>> panel = ScenarioExplorer(make_case(customers=30, managers=3, seed=1)).robustness.uncertainty
>>> panel.controls["draws"].value, panel.controls["potential_spread"].value
(20, 0.25)
>>> panel.uncertainty()
Uncertainty(potential_spread=0.25, by_industry=(), by_region=(), realization=None, retention=None)
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING

import ipywidgets as W
import pandas as pd

from kamopt.case.uncertainty import Range, Uncertainty
from kamopt.i18n import N_, number, percent, tr
from kamopt.present.explorer_view import (
    SOLVING,
    _notice_box,
    _png,
    set_options,
    show_panel_error,
)

if TYPE_CHECKING:
    from kamopt.analysis.uncertainty import UncertaintyResult
    from kamopt.planning.oneyear import Plan
    from kamopt.present.widgets import ScenarioExplorer

#: the gap of the panel's plans (many plans: seconds each, not minutes), unless the
#: explorer's is wider
UNCERTAINTY_GAP = 0.01
#: how far realisation and retention may lie from the explorer's values (share of the value)
RANGE_OPTIONS = [(N_("as estimated"), 0.0), ("±10%", 0.1), ("±25%", 0.25), ("±33%", 1 / 3),
                 ("±50%", 0.5)]
#: what the figures of an analysis that did not run are
LAST_ANALYSIS = N_("The figures below are those of the last analysis.")
#: the button's words, also in the status line before it is pressed
HOW_SAFE = N_("How safe are the key accounts?")


def _ranges() -> list[tuple[str, float]]:
    return [(tr(label), v) for label, v in RANGE_OPTIONS]
#: bets listed in the panel's table
TABLE_ROWS = 25


class UncertaintyPanel:
    """How safe the key accounts are when the estimates are wrong (module docs).

    The controls: the number of draws, the spread of each customer's potential, how far
    realisation and retention may lie from the explorer's values, and whether to decide a
    two-stage plan. :meth:`run` (the button) plans the draws at a 1% gap on
    ``Runner.from_env()``, re-using the plan on show when it is the plan of the scenario
    at that gap, and shows the findings in words, the bets, and two charts.
    """

    def __init__(self, explorer: ScenarioExplorer):
        self.explorer = explorer
        self.result: UncertaintyResult | None = None
        self.error: Exception | None = None
        self.reused = False
        self._t0 = self._batch_t0 = 0.0
        self._per_draw = 2  # plans a draw: its own, the deterministic plan's (the two-stage's)
        self._shown = None  # how to show the last outcome again: (method, args)
        self._gap_of_show = None  # the gap of the plan on show when the analysis ran
        t = explorer.texts
        wide = dict(style={"description_width": "150px"}, layout=W.Layout(width="420px"))
        self.controls = {
            "draws": t.add(W.IntSlider(value=20, min=5, max=200, step=5,
                                       continuous_update=False, **wide), N_("Draws")),
            "potential_spread": t.add(W.FloatSlider(value=0.25, min=0.0, max=1.0, step=0.05,
                                                    readout_format=".0%",
                                                    continuous_update=False, **wide),
                                      N_("Potential ±")),
            "realization": t.add(W.SelectionSlider(options=_ranges(), value=0.0,
                                                   continuous_update=False, **wide),
                                 N_("Realisation α ±")),
            "retention": t.add(W.SelectionSlider(options=_ranges(), value=0.0,
                                                 continuous_update=False, **wide),
                               N_("Retention β ±")),
            "two_stage": t.add(W.Checkbox(value=False, indent=False,
                                          layout=W.Layout(width="420px")),
                               N_("two-stage plan (decided on 10 other draws; slower)")),
        }
        for key, w in self.controls.items():
            w.add_class("kamopt-uncertainty-" + key.replace("_", "-"))
        self.button = t.add(W.Button(button_style="primary", icon="play",
                                     layout=W.Layout(width="260px")), HOW_SAFE)
        self.button.add_class("kamopt-uncertainty-solve")
        self.button.on_click(lambda _: self.run())
        self.status = W.Label(value=self._not_run())
        self.status.add_class("kamopt-uncertainty-status")
        self.progress = W.IntProgress(value=0, min=0, max=1, bar_style="info",
                                      layout=W.Layout(width="260px"))
        self.progress_label = W.Label(value="")
        self.progress_box = W.HBox([self.progress, self.progress_label],
                                   layout=W.Layout(display="none"))
        self.message = W.HTML(value="")
        self.findings = W.HTML(value="")
        self.findings.add_class("kamopt-uncertainty-findings")
        self.table = W.HTML(value="")
        self.table.add_class("kamopt-uncertainty-table")
        chart = dict(width="100%", max_width="900px", display="none")
        self.selection_chart = W.Image(format="png", layout=W.Layout(**chart))
        self.value_chart = W.Image(format="png", layout=W.Layout(**chart))
        info = t.html(N_(
            '<div style="line-height:1.4">Each customer\'s potential, and if you like '
            "realisation and retention, drawn from a triangular range around the estimate; "
            "a plan for each draw. The <b>core</b> are key accounts in at least 90% of the "
            "draws, the <b>bets</b> in some only. The plan on the estimates (the "
            "deterministic plan) is valued under every draw.</div>"))
        c = self.controls
        self.widget = W.VBox([info, c["draws"], c["potential_spread"], c["realization"],
                              c["retention"], c["two_stage"],
                              W.HBox([self.button, self.status]), self.progress_box,
                              self.message, self.findings, self.selection_chart, self.table,
                              self.value_chart])

    @staticmethod
    def _not_run() -> str:
        return tr("Not run yet: press {button}", button=tr(HOW_SAFE))

    def relabel(self) -> None:
        """The panel in the current language: its choices and its last outcome (nothing is
        planned again)."""
        for key in ("realization", "retention"):
            set_options(self.controls[key], _ranges())
        if self._shown is None:
            self.status.value = self._not_run()
        else:
            method, args = self._shown
            method(*args, again=True)

    # ------------------------------------------------------------ the question
    def uncertainty(self) -> Uncertainty:
        """The controls as a scenario's ``uncertainty``: realisation and retention within
        their share of the explorer's values (kept within [0, 1]), or as estimated."""
        sc = self.explorer.scenario
        c = self.controls

        def around(value: float, share: float) -> Range | None:
            if share <= 0:
                return None
            return Range(round(max(0.0, value * (1 - share)), 6),
                         round(min(1.0, value * (1 + share)), 6))

        return Uncertainty(potential_spread=float(c["potential_spread"].value),
                           realization=around(sc.realization, float(c["realization"].value)),
                           retention=around(sc.retention, float(c["retention"].value)))

    def scenario(self):
        """The explorer's scenario with the panel's uncertainty, at the panel's gap (1%, or
        the explorer's when wider)."""
        sc = self.explorer.scenario
        return sc.replace(mip_gap=max(sc.mip_gap, UNCERTAINTY_GAP),
                          uncertainty=self.uncertainty())

    def run(self):
        """Plan the draws and show what they say (errors shown in the panel, not raised);
        the result, or None."""
        from kamopt.analysis.uncertainty import DECISION_DRAWS, analyse, point_scenario
        from kamopt.planning.batch import Runner
        from kamopt.planning.oneyear import plan as make_plan

        ex = self.explorer
        self.button.disabled = True
        self.status.value = tr(SOLVING)
        self._t0 = time.perf_counter()
        self._start_progress(tr("Planning on the point estimates…"))
        try:
            draws = int(self.controls["draws"].value)
            two_stage = bool(self.controls["two_stage"].value)
            self._per_draw = 3 if two_stage else 2
            scenario = self.scenario()
            point = point_scenario(scenario)
            self.reused = _plan_of(ex.plan, point)
            det = ex.plan if self.reused else make_plan(ex.case, point)
            if two_stage:
                self.progress_label.value = tr("Deciding the two-stage plan on {n} other draws…",
                                               n=DECISION_DRAWS)
            self._batch_t0 = time.perf_counter()
            runner = Runner.from_env(quiet=True, on_progress=self._two_stage_done)
            result = analyse(ex.case, scenario, draws=draws, seed=0, two_stage=two_stage,
                             decision_draws=DECISION_DRAWS, runner=runner, quiet=True,
                             plan=det, on_progress=self._planned)
            self.error, self.result = None, result
            self._show(result, time.perf_counter() - self._t0)  # its errors are shown too
            return result
        except Exception as exc:  # a callback must never lose an error
            self._show_error(exc)
            return None
        finally:
            self.button.disabled = False

    def _show_error(self, exc: Exception, again: bool = False) -> None:
        show_panel_error(self, exc, tr("The analysis did not run."), LAST_ANALYSIS)
        self.progress.bar_style = "danger"
        self.progress_label.value = tr("stopped")

    # ------------------------------------------------------------ progress
    def _start_progress(self, text: str) -> None:
        self.progress.value, self.progress.max = 0, 1
        self.progress.bar_style = "info"
        self.progress_label.value = text
        self.progress_box.layout.display = ""

    def _two_stage_done(self, done: int, total: int) -> None:
        """The runner's own batches (the two-stage plan): the plans of the draws start now."""
        self._batch_t0 = time.perf_counter()
        self.progress_label.value = tr("Two-stage plan decided; planning the draws…")

    def _planned(self, done: int, total: int) -> None:
        """The bar while the draws are planned: how many plans, and about how long to go."""
        self.progress.max = max(1, total)
        self.progress.value = done
        self.progress_label.value = progress_text(done, total,
                                                  time.perf_counter() - self._batch_t0,
                                                  self._per_draw)

    # ------------------------------------------------------------ the outcome
    def _show(self, result: UncertaintyResult, seconds: float, again: bool = False) -> None:
        from kamopt.present.uncertainty_charts import selection_chart, value_chart

        if not again:  # the plan on show when the analysis ran
            self._gap_of_show = (self.explorer.plan.scenario.mip_gap if self.explorer.plan
                                 else None)
        self._shown = (self._show, (result, seconds))
        s = result.summary
        gap = result.scenario.mip_gap
        notes = []
        if s.get("worst_gap") and s["worst_gap"] > gap + 1e-9:
            notes.append(tr("Some plans stopped before their {gap} gap (the worst at {worst}): "
                            "their figures are less sure.", gap=percent(gap, 1),
                            worst=percent(s["worst_gap"], 1)))
        if result.two_stage is not None and result.two_stage == result.deterministic:
            notes.append(tr("The two-stage plan is the deterministic plan (VSS 0): within the "
                            "{gap} gap, the plan on the estimates already holds up.",
                            gap=percent(gap)))
        self.message.value = _notice_box(tr("Notes on the figures."), notes) if notes else ""
        gap_of_show = self._gap_of_show
        shown = (tr("The deterministic plan is the plan on show.") if self.reused else
                 tr("The deterministic plan is made anew at {gap} (the plan on show is at "
                    "{shown}).", gap=percent(gap), shown=percent(gap_of_show, 1))
                 if gap_of_show else
                 tr("The deterministic plan is made anew at {gap}.", gap=percent(gap)))
        self.findings.value = "".join(
            f"<p style='margin:2px 0;line-height:1.4'>{html.escape(line)}</p>"
            for line in [*result.text().splitlines(), shown])
        self.table.value = bets_table_html(result)
        # every bet (up to 30 bars), then the core accounts nearest to being one
        limit = min(30, max(10, len(s["bets"]) + 5))
        self.selection_chart.value = _png(selection_chart(result, limit=limit))
        self.value_chart.value = _png(value_chart(result))
        self.selection_chart.layout.display = self.value_chart.layout.display = ""
        self.progress.value = self.progress.max
        self.progress.bar_style = "success"
        plans = len(result.draws) * (3 if s["vss"] is not None else 2)
        self.progress_label.value = tr("{done} of {total} plans", done=plans, total=plans)
        self.status.value = tr(
            "{draws} draws · {plans} plans in {seconds} s, each within {gap} · {core} core key "
            "accounts · {bets}", draws=s["draws"], plans=plans, seconds=number(seconds, 1),
            gap=percent(gap, 1), core=len(s["core"]),
            bets=tr("1 bet") if len(s["bets"]) == 1 else tr("{n} bets", n=len(s["bets"])))


def _plan_of(plan: Plan | None, scenario) -> bool:
    """Whether ``plan`` is the finished plan of ``scenario`` (not provisional, not cut short)."""
    if plan is None or plan.scenario != scenario:
        return False
    k = plan.kpis
    return not k.get("provisional") and k.get("stopped_by") not in ("cancelled", "provisional")


def progress_text(done: int, total: int, seconds: float, per_draw: int = 1) -> str:
    """``"12 of 40 plans, about 30 s left"``: the time left at the rate so far.

    A draw has ``per_draw`` plans, its own (slow) and the plans valued under it (fast), so
    the rate is taken per draw begun, not per plan: it does not jump between the two.

    >>> progress_text(12, 40, 13.0), progress_text(1, 40, 9.0), progress_text(40, 40, 50.0)
    ('12 of 40 plans, about 30 s left', '1 of 40 plans, about 6 min left', '40 of 40 plans')
    >>> progress_text(1, 12, 5.0, per_draw=2), progress_text(2, 12, 5.3, per_draw=2)
    ('1 of 12 plans, about 25 s left', '2 of 12 plans, about 25 s left')
    """
    text = tr("{done} of {total} plans", done=done, total=total)
    if done <= 0 or done >= total:
        return text
    per_draw = max(1, per_draw)
    begun, draws = -(-done // per_draw), -(-total // per_draw)
    left = seconds / begun * (draws - begun)
    if left < 90:
        return tr("{text}, about {n} s left", text=text, n=max(5, round(left / 5) * 5))
    return tr("{text}, about {n} min left", text=text, n=round(left / 60))


def bets_table(result: UncertaintyResult) -> pd.DataFrame:
    """The bets of ``result``, most often a key account first: the customer, its name, the
    share of draws in which it is a key account, the manager who leads it most often (and
    in which share of the draws), whether the deterministic (and the two-stage) plan has it.
    Data from the case: show it with :func:`kamopt.present.tables.styled` or ``to_html``."""
    sel = result.selection.set_index("customer_id")
    bets = sel.loc[[c for c in result.bets if c in sel.index]]
    managers = result.case.managers
    mname = managers["name"].astype(str) if "name" in managers else pd.Series(dtype=str)
    out = pd.DataFrame({
        "customer": bets.index.astype(str),
        "name": bets["name"].fillna("").astype(str).to_numpy(),
        "key account in": bets["p_key_account"].to_numpy(float),
        "lead manager": [f"{j} {mname.get(j, '')}".strip() if j else ""
                         for j in bets["lead_manager"]],
        "led by them in": bets["p_lead_manager"].to_numpy(float),
        "in the deterministic plan": ["yes" if v else "no"
                                      for v in bets["in_deterministic_plan"]],
    })
    if result.two_stage is not None:
        out["in the two-stage plan"] = ["yes" if v else "no" for v in bets["in_two_stage_plan"]]
    return out


#: the bets table's headers (messages)
BET_COLUMNS = {"customer": N_("customer"), "key account in": N_("key account in"),
               "lead manager": N_("lead manager"), "led by them in": N_("led by them in"),
               "in the deterministic plan": N_("in the deterministic plan"),
               "in the two-stage plan": N_("in the two-stage plan")}


def bets_table_html(result: UncertaintyResult, rows: int = TABLE_ROWS) -> str:
    """The bets of ``result`` (:func:`bets_table`) as an HTML table, names escaped; a
    sentence when there are none."""
    n = result.summary["draws"]
    bets = bets_table(result)
    if bets.empty:
        return "<p>" + html.escape(tr("No bets: each customer is a key account in at least 90% "
                                      "or at most 10% of the {n} draws.", n=n)) + "</p>"
    show = bets.assign(
        customer=[f"{c} {name}".strip() for c, name in zip(bets["customer"], bets["name"],
                                                            strict=True)],
        **{"key account in": [tr("{share} of draws", share=percent(p))
                              for p in bets["key account in"]],
           "led by them in": [tr("{share} of draws", share=percent(p))
                              for p in bets["led by them in"]]},
    ).drop(columns="name")
    for col in ("in the deterministic plan", "in the two-stage plan"):
        if col in show:
            show[col] = show[col].map(lambda v: tr("yes") if v == "yes" else tr("no"))
    show.columns = [tr(BET_COLUMNS.get(c, c)) for c in show.columns]
    more = len(show) - rows
    style = ("<style>table.kamopt-bets th, table.kamopt-bets td {text-align:left;"
             "padding:2px 12px 2px 0;vertical-align:top}</style>")
    bets_n = (tr("<b>1 bet</b>: key accounts in some of the {n} draws only", n=n)
              if len(bets) == 1 else
              tr("<b>{k} bets</b>: key accounts in some of the {n} draws only", k=len(bets), n=n))
    return ("<p>" + bets_n + (tr(" (the {n} most often in shown)", n=rows) if more > 0 else "")
            + ":</p>" + style
            + show.head(rows).to_html(classes="kamopt-table kamopt-bets", index=False,
                                      escape=True, border=0))
