"""The scenario explorer: every assumption as a control, the plan re-solved on change.

``ScenarioExplorer(case)`` is an ipywidgets app (``explorer.widget``, or just
show ``explorer`` in a notebook or Voila). Its controls cover every scenario
key the planner changes in a meeting: capacity scale, realisation, retention,
industry fit, continuity bonus, budget, min/max key accounts, which managers
are away ("what if M03 leaves?"), new KAMs to hire (how many, seniority,
capacity, hourly cost), customers fixed in (``must``) or out (``exclude``)
lead managers fixed for some accounts (``leads``: the "Fixed leads" box of
the Customers tab, one ``K0051: M08`` a line, filled by picking an account and
a manager and pressing *Fix lead*; :func:`parse_leads`) and ruled out for
others (``excluded_leads``: the "Not led by" box, ``K0051: M08, M11``, or
*Rule out*; :func:`parse_excluded_leads`). Money fields (continuity bonus, budget, a
hire's EUR/h) are :class:`~kamopt.present.inputs.MoneyInput` (``1.500.000``, ``1,5 Mio``;
what does not read is said under the field); managers away, must and exclude are
searchable :class:`~kamopt.present.inputs.Picker` s (names beside ids). Ticking *Cap the
budget* with the field empty re-plans nothing until an amount is entered.

When it re-solves
-----------------
With "re-plan on every change" ticked (the default for cases up to
:data:`AUTO_LIMIT` customers) each change re-solves at once; sliders and
number fields report a change only when released or confirmed
(``continuous_update=False``), which debounces dragging without timers, so
the explorer behaves the same in a notebook, in Voila and in tests. For big
cases untick it (or pass ``auto=False``) and press *Plan*.

Re-solves go through a :class:`~kamopt.analysis.session.PlanSession`: after a change
the explorer shows at once a provisional plan (the previous plan repaired
for the new scenario, e.g. a leaving manager's accounts moved to managers
with room), marked provisional with its proven gap, and refines it in the
background to the plan of the scenario at its own gap and work budget: the
plan ``kamopt plan`` writes for it. The figures update when it is done; a
new change cancels a refinement under way. The status line shows the status,
the proven gap and the time; a plan not proven within the gap says why the
solver stopped (its work budget, or the time limit as a safety net).

What can be tested without a browser
------------------------------------
``explorer.plan`` (the last :class:`~kamopt.planning.oneyear.Plan`), ``explorer.kpi_values``
(the headline figures shown), ``explorer.status.value`` (``"Solving…"`` while
a solve runs, then the outcome or the diagnosis; it ends "· overrides the case
for 2 customers" when the Customers tab turns round a status of the case),
``explorer.error`` (the last exception, None after a success),
``explorer.message.value`` (the diagnosis as HTML, or notices: a provisional
plan, the customers overridden, :func:`kamopt.model.prepare.override_notes`),
``explorer.chart.value`` (PNG bytes) and ``explorer.table.value`` (HTML).
An exception in a callback never escapes: it is shown in the explorer.

The language
------------
The switch at the top right (``explorer.language``, *English* / *Deutsch*) writes the
explorer in that language: :meth:`ScenarioExplorer.switch_language` sets the language of
the process (:func:`kamopt.i18n.set_language`: the app's kernel), writes every label again
(:class:`~kamopt.present.explorer_view.Texts`) and shows the plan on show, its figures and
chart, and the other tabs' last results again, from what they hold: it plans nothing.
Every label is an English message (``tr``) with its German in ``kamopt/locale/de/app.po``.
It starts in the current language (``KAMOPT_LANG`` in the app, else English).

The other tabs
--------------
The "Mid-term" tab (:class:`~kamopt.present.midterm_tab.MidtermTabMixin`) plans the
scenario over 1 to 5 years against the case's order-intake targets; the "Robustness" tab
(:class:`~kamopt.present.robustness_tab.RobustnessTab`, ``explorer.robustness``) plans it
with one assumption lower and higher; the "Response" tab (:class:`~kamopt.present.
response_tab.ResponseTab`, ``explorer.response``) edits judged responses and plans with them.

Examples
--------
>>> from kamopt.case.sample import make_case
>>> ex = ScenarioExplorer(make_case(customers=30, managers=3, seed=1))
>>> ex.wait().status, ex.status.value.startswith("optimal")
('optimal', True)
>>> before = ex.kpi_values["hours_available"]
>>> ex.controls["capacity_scale"].value = 0.5
>>> ex.kpi_values["hours_available"] == before / 2  # the provisional plan, at once
True
>>> ex.wait().kpis["stopped_by"], ex.kpi_values["provisional"]
('gap', False)
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import time
import traceback
import weakref

import ipywidgets as W
import pandas as pd

from kamopt.analysis.frontier import median_kam
from kamopt.analysis.session import PlanSession, explorer_scenario
from kamopt.case.assumptions import MidtermAssumptions
from kamopt.case.scenario import Hire, Scenario
from kamopt.case.tables import Case
from kamopt.errors import InfeasibleError, KamoptError
from kamopt.i18n import LANGS, N_, check_lang, current, number, percent, set_language, tr
from kamopt.model.prepare import coverage_notes, lead_notes, override_notes, status_overrides
from kamopt.planning.midterm import MidtermPlan
from kamopt.planning.oneyear import Plan
from kamopt.present.explorer_boxes import (
    _box,
    excluded_leads_text,
    leads_text,
    parse_committed,
    parse_coverage,
    parse_excluded_leads,
    parse_leads,
)
from kamopt.present.explorer_view import (  # noqa: F401 - APP_INTRO(_CASE): the app's
    APP_INTRO,
    APP_INTRO_CASE,
    CONTROL_HINTS,
    CONTROL_LABELS,
    EUR_HOUR,
    EUR_YEAR,
    KPI_LABELS,
    PROVISIONAL,
    SOLVING,
    STATUS_WORDS,
    TAB_TITLES,
    Texts,
    _error_box,
    _eur_year,
    _notice_box,
    _png,
    _stop_words,
    limit_controls,
    limit_values,
    plan_table_html,
)
from kamopt.present.inputs import MONEY_HINT, MoneyInput, Picker
from kamopt.present.midterm_tab import MIDTERM_TIME_LIMIT, MidtermTabMixin
from kamopt.present.plan_charts import manager_utilisation
from kamopt.present.response_tab import ResponseTab
from kamopt.present.robustness_tab import RobustnessTab

#: cases with more customers start with "re-plan on every change" off
AUTO_LIMIT = 2000


def app_language() -> str:
    """The app's first language: ``KAMOPT_LANG`` if set (``en`` or ``de``), else English."""
    lang = os.environ.get("KAMOPT_LANG", "").strip()
    return check_lang(lang, "KAMOPT_LANG") if lang else "en"


def _css_name(key: str) -> str:
    return "kamopt-kpi-" + key.replace("_", "-")


class ScenarioExplorer(MidtermTabMixin):
    """Explore scenarios of one case with controls; the plan follows every change.

    Parameters
    ----------
    case : Case
    scenario : Scenario, optional
        The starting assumptions (defaults); the explorer's gap and time limit
        replace its own unless ``keep_solver_settings``.
    auto : bool, optional
        Re-plan on every change (default: True up to :data:`AUTO_LIMIT` customers).
    solve : bool, default True
        Plan the starting scenario at once.
    session : PlanSession, optional
        A session to re-use.
    keep_solver_settings : bool, default False
        Keep the scenario's own ``mip_gap`` and ``time_limit``.
    targets : DataFrame, optional
        Order-intake targets for the "Mid-term" tab (columns ``year``,
        ``scope``, ``order_intake``); default ``targets.csv`` of the case
        folder, if there. An empty frame: no targets.
    midterm_assumptions : MidtermAssumptions, optional
        The mid-term assumptions (ramp-up, churn, hire profiles, ...); default
        the dataclass defaults. The tab's controls replace ``years``,
        ``target_mode`` and ``shortfall_penalty``.
    capacity_by_year : DataFrame, optional
        Per-year capacities for the mid-term plan; default
        ``capacity_by_year.csv`` of the case folder, if there.
    midterm_time_limit : float, default :data:`MIDTERM_TIME_LIMIT`
        Seconds the mid-term solve may take.
    intro : str, optional
        A message (HTML) shown at the top left, beside the language switch (the app's
        :data:`APP_INTRO`), in the explorer's language.
    background : bool, optional
        Refine each provisional plan in a background thread (default in a
        Jupyter kernel: the app, the notebooks); False (default elsewhere:
        scripts, tests) refines before :meth:`solve` returns.
    judgements : DataFrame or path, optional
        The "Response" tab's judgements (judgements.csv's cells, or its path); default the
        ``judgements.csv`` of the case folder, if there.
    """

    def __init__(self, case: Case, scenario: Scenario | None = None, *, auto: bool | None = None,
                 solve: bool = True, session: PlanSession | None = None,
                 keep_solver_settings: bool = False, targets: pd.DataFrame | None = None,
                 midterm_assumptions: MidtermAssumptions | None = None,
                 capacity_by_year: pd.DataFrame | None = None,
                 midterm_time_limit: float = MIDTERM_TIME_LIMIT, background: bool | None = None,
                 intro: str = "", judgements=None):
        self.case = case
        self.texts = Texts()  # every label, written again when the language is switched
        self.on_language: list = []  # what else to write again then (the library)
        self._shown = None  # how to show again what is on show: (method, args)
        self._note: str | None = None  # a money field in use without an amount (its key)
        self.background = _in_kernel() if background is None else background
        self._lock = threading.RLock()
        self._generation = 0
        self._cancel: threading.Event | None = None
        self._thread: threading.Thread | None = None
        base = scenario or Scenario()
        self.base = base if keep_solver_settings else explorer_scenario(base)
        self.session = session or PlanSession(case)
        self.plan: Plan | None = None
        self.error: Exception | None = None
        self.kpi_values: dict = {}
        self.history: list[dict] = []
        self._quiet = False
        self.midterm_assumptions = midterm_assumptions or MidtermAssumptions()
        self.capacity_by_year = capacity_by_year
        self.midterm_time_limit = float(midterm_time_limit)
        self.midterm_plan: MidtermPlan | None = None
        self.midterm_error: Exception | None = None
        self._build_controls(auto if auto is not None else len(case.customers) <= AUTO_LIMIT)
        self._build_outputs()
        self._build_midterm(targets)
        self.robustness = RobustnessTab(self)
        self.response = ResponseTab(self, judgements)
        self.intro = self.texts.html(intro) if intro else W.HTML("")
        self.widget = self._layout()
        if solve:
            self.solve()

    # ------------------------------------------------------------- controls
    def _build_controls(self, auto: bool) -> None:
        b, m, c = self.base, self.case.managers, self.case.customers
        slider = dict(continuous_update=False, style={"description_width": "150px"},
                      layout=W.Layout(width="420px"), readout_format=".2f")
        text = dict(continuous_update=False, style={"description_width": "150px"},
                    layout=W.Layout(width="300px"))
        hire = b.hires[0] if b.hires else median_kam(self.case).__class__(
            **{**median_kam(self.case).__dict__, "count": 0})
        n = len(c)
        money = dict(style={"description_width": "150px"}, layout=W.Layout(width="300px"))
        pick = dict(style={"description_width": "150px"}, layout=W.Layout(width="520px"))
        customers = [(f"{i} {r['name']}", i) for i, r in c.iterrows()]
        self.controls: dict[str, W.Widget] = {
            "capacity_scale": W.FloatSlider(value=b.capacity_scale, min=0.3, max=2.0, step=0.05,
                                            **slider),
            "realization": W.FloatSlider(value=b.realization, min=0.0, max=0.8, step=0.01,
                                         **slider),
            "retention": W.FloatSlider(value=b.retention, min=0.0, max=0.3, step=0.01, **slider),
            "industry_fit": W.FloatSlider(value=b.industry_fit, min=0.0, max=1.0, step=0.01,
                                          **slider),
            "continuity_bonus": MoneyInput(b.continuity_bonus, max=1e6, unit=EUR_YEAR,
                                           **money),
            "use_budget": W.Checkbox(value=b.budget is not None, indent=False),
            # empty until the user gives a budget: ticking the cap plans nothing nobody chose
            "budget": MoneyInput(b.budget, max=1e10, unit=EUR_YEAR, **money),
            "min_key_accounts": W.BoundedIntText(value=b.min_key_accounts or 0, min=0, max=n,
                                                 **text),
            "use_max": W.Checkbox(value=b.max_key_accounts is not None, indent=False),
            "max_key_accounts": W.BoundedIntText(
                value=b.max_key_accounts if b.max_key_accounts is not None else n, min=0, max=n,
                **text),
            **limit_controls(b, n, text),  # handovers allowed, balanced workloads
            "unavailable_managers": Picker(
                [(f"{j} {r['name']}", j) for j, r in m.iterrows()],
                tuple(x for x in b.unavailable_managers if x in m.index), **pick),
            "hires": W.BoundedIntText(value=hire.count if b.hires else 0, min=0, max=20, **text),
            "hire_seniority": W.Dropdown(options=[1, 2, 3], value=int(hire.seniority),
                                         style={"description_width": "150px"}),
            "hire_capacity": W.BoundedFloatText(value=float(hire.capacity_hours), min=0,
                                                max=8760, step=100, **text),
            "hire_cost": MoneyInput(float(hire.hourly_cost), max=10_000, unit=EUR_HOUR, **money),
            "must": Picker(customers, tuple(x for x in b.must if x in c.index), **pick),
            "exclude": Picker(customers, tuple(x for x in b.exclude if x in c.index), **pick),
            "leads": _box(leads_text(b.leads), "", 5, ""),
            "excluded_leads": _box(excluded_leads_text(b.excluded_leads), "", 3, ""),
            "coverage": _box(leads_text(b.coverage), "", 3, ""),
            "committed_activities": _box(excluded_leads_text(b.committed_activities), "", 3, ""),
        }
        for key, w in self.controls.items():
            w.add_class("kamopt-control-" + key.replace("_", "-"))
            self.texts.add(w, CONTROL_LABELS[key])
            if key in CONTROL_HINTS:
                field = w.text if isinstance(w, MoneyInput) else w
                self.texts.add(field, CONTROL_HINTS[key], "placeholder")
            w.observe(self._on_change, names="value")
        # a cap's value can be edited only while the cap is on (else it does nothing)
        for flag, field in (("use_budget", "budget"), ("use_max", "max_key_accounts"),
                            ("use_disruption", "max_disruption"), ("use_balance", "balance")):
            def sync(_=None, flag=flag, field=field):
                self.controls[field].disabled = not self.controls[flag].value
            self.controls[flag].observe(sync, names="value")
            sync()
        # pick an account and a manager to add a line to the fixed leads
        t = self.texts
        self.lead_customer = t.add(W.Dropdown(
            options=[(f"{i} · {r['name']}", i) for i, r in c.iterrows()],
            style={"description_width": "150px"}, layout=W.Layout(width="420px")), N_("Account"))
        self.lead_manager = t.add(W.Dropdown(
            options=[(f"{j} · {r['name']} (sen. {r['seniority']})", j) for j, r in m.iterrows()],
            layout=W.Layout(width="330px")), N_("led by"))
        self.lead_button = t.add(W.Button(icon="thumb-tack"), N_("Fix lead"))
        self.lead_button.add_class("kamopt-fix-lead")
        self.lead_button.on_click(lambda _: self.fix_lead(self.lead_customer.value,
                                                          self.lead_manager.value))
        self.rule_out_button = t.add(W.Button(icon="ban"), N_("Rule out"))
        self.rule_out_button.add_class("kamopt-rule-out")
        self.rule_out_button.on_click(lambda _: self.rule_out_lead(self.lead_customer.value,
                                                                   self.lead_manager.value))
        # pick an account and a level or an activity: what is done for it
        self.fix_customer = t.add(W.Dropdown(options=self.lead_customer.options,
                                             style={"description_width": "150px"},
                                             layout=W.Layout(width="420px")), N_("Account"))
        self.fix_level = t.add(W.Dropdown(options=list(dict.fromkeys(
            [*b.level_names, *self.case.responses.get("level", [])])),
            layout=W.Layout(width="200px")), N_("at"))
        self.level_button = t.add(W.Button(icon="thumb-tack"), N_("Fix level"))
        self.level_button.add_class("kamopt-fix-level")
        self.level_button.on_click(lambda _: self.fix_coverage(self.fix_customer.value,
                                                               self.fix_level.value))
        acts = self.case.activities
        self.fix_activity = t.add(W.Dropdown(
            options=[(f"{k} · {r['name']}", k) for k, r in acts.iterrows()],
            layout=W.Layout(width="330px"), disabled=len(acts) == 0), N_("runs"))
        self.commit_button = t.add(W.Button(icon="handshake-o", disabled=len(acts) == 0),
                                   N_("Commit"))
        self.commit_button.add_class("kamopt-commit")
        self.commit_button.on_click(lambda _: self.commit_activity(self.fix_customer.value,
                                                                   self.fix_activity.value))
        self.auto = t.add(W.Checkbox(value=auto, indent=False), N_("Re-plan on every change"))
        # ticked again: the controls may have changed meanwhile, so the plan on show is re-made
        self.auto.observe(lambda ch: self.solve() if ch["new"] and not self._quiet else None,
                          names="value")
        self.solve_button = t.add(W.Button(button_style="primary", icon="play"), N_("Plan"))
        # the language switch (top right): the labels and what is shown, in that language
        self.language = W.ToggleButtons(options=[(name, k) for k, name in LANGS.items()],
                                        value=current(), style={"button_width": "80px"},
                                        layout=W.Layout(width="auto"))
        self.language.add_class("kamopt-lang")
        self.language.observe(lambda ch: self.switch_language(ch["new"]), names="value")
        self.solve_button.add_class("kamopt-solve")
        self.solve_button.on_click(lambda _: self.solve())

    def _build_outputs(self) -> None:
        self.status = W.Label(value="")
        self.status.add_class("kamopt-status")
        self.message = W.HTML(value="")
        self.message.add_class("kamopt-message")
        self.kpi_widgets = {k: W.HTML(value="") for k in KPI_LABELS}
        for k, w in self.kpi_widgets.items():
            w.add_class(_css_name(k))
        self.chart = W.Image(format="png", layout=W.Layout(width="100%", max_width="900px"))
        self.table = W.HTML(value="")
        self.table.add_class("kamopt-plan-table")

    def _layout(self) -> W.Widget:
        c = self.controls
        assumptions = W.VBox([c["capacity_scale"], c["realization"], c["retention"],
                              c["industry_fit"], c["continuity_bonus"],
                              W.HBox([c["use_budget"], c["budget"]]), c["min_key_accounts"],
                              W.HBox([c["use_max"], c["max_key_accounts"]])])
        t = self.texts
        people = W.VBox([c["unavailable_managers"],
                         W.HBox([c["use_disruption"], c["max_disruption"], c["fewest_moves"]]),
                         W.HBox([c["use_balance"], c["balance"], c["least_largest"]]),
                         t.html(N_("<b>Hire new key account managers</b>")),
                         c["hires"], c["hire_seniority"], c["hire_capacity"], c["hire_cost"]])
        customers = W.VBox([c["must"], c["exclude"],
                            t.html(N_("<b>Lead managers</b>: <i>Fix lead</i> makes the account "
                                      "a key account led by this manager; <i>Rule out</i> keeps "
                                      "this manager from leading it")),
                            W.HBox([self.lead_customer, self.lead_manager, self.lead_button,
                                    self.rule_out_button]),
                            c["leads"], c["excluded_leads"],
                            t.html(N_("<b>What is done</b>: <i>Fix level</i> makes the account "
                                      "a key account at this coverage level; <i>Commit</i> "
                                      "makes it a key account that runs this activity")),
                            W.HBox([self.fix_customer, self.fix_level, self.level_button]),
                            W.HBox([W.Label(layout=W.Layout(width="160px")), self.fix_activity,
                                    self.commit_button]),
                            c["coverage"], c["committed_activities"]])
        self.tabs = tabs = W.Tab(children=[assumptions, people, customers, self.midterm_tab,
                                           self.robustness.widget, self.response.widget])
        tabs.titles = tuple(tr(title) for title in TAB_TITLES)
        kpis = W.GridBox(list(self.kpi_widgets.values()),
                         layout=W.Layout(grid_template_columns="repeat(3, 240px)",
                                         grid_gap="6px 12px"))
        bar = W.HBox([self.solve_button, self.auto, self.status])
        self.intro.layout.flex = "1 1 auto"
        head = W.HBox([self.intro, self.language],
                      layout=W.Layout(justify_content="space-between", align_items="flex-start"))
        return W.VBox([head, tabs, bar, self.message, kpis, self.chart, self.table])

    # ------------------------------------------------------------ language
    def switch_language(self, lang: str) -> None:
        """Write the explorer in ``lang`` (``"en"`` or ``"de"``): the language of this process
        (:func:`kamopt.i18n.set_language`), every label, and what is on show again from the
        plans and results the explorer and its tabs hold; nothing is planned again."""
        lang = check_lang(lang, "language")
        set_language(lang)
        if self.language.value != lang:
            self.language.value = lang  # its observer calls this again: done there
            return
        with self._lock:  # not while a refinement shows its plan
            self.texts.apply()
            self.tabs.titles = tuple(tr(title) for title in TAB_TITLES)
            for w in self.controls.values():
                if isinstance(w, (MoneyInput, Picker)):
                    w.relabel()
            try:
                self._show_again()
                self._midterm_again()
                self.robustness.relabel()
                self.response.relabel()
            except Exception as exc:  # noqa: BLE001 - shown, never raised from a callback
                self.status.value = f"Error: {type(exc).__name__}: {exc}"
        for relabel in list(self.on_language):
            relabel()

    def _show_again(self) -> None:
        """Show again what is on show (the plan, or why there is none), in the current
        language; no plan is made and nothing is added to ``history``."""
        if self._shown is not None:
            method, args = self._shown
            method(*args, again=True)
        elif self._note is not None:
            self._say_missing(self._note)

    def _ipython_display_(self) -> None:  # pragma: no cover - needs a front end
        from IPython.display import display

        display(self.widget)

    # ------------------------------------------------------------ scenario
    @property
    def scenario(self) -> Scenario:
        """The scenario the controls describe."""
        c = self.controls
        hires = ()
        if c["hires"].value > 0:
            hires = (Hire(count=int(c["hires"].value), seniority=int(c["hire_seniority"].value),
                          capacity_hours=float(c["hire_capacity"].value),
                          hourly_cost=self._amount("hire_cost")),)
        return self.base.replace(
            name="explorer",
            capacity_scale=float(c["capacity_scale"].value),
            realization=float(c["realization"].value),
            retention=float(c["retention"].value),
            industry_fit=float(c["industry_fit"].value),
            continuity_bonus=self._amount("continuity_bonus"),
            budget=self._amount("budget") if c["use_budget"].value else None,
            min_key_accounts=int(c["min_key_accounts"].value) or None,
            max_key_accounts=int(c["max_key_accounts"].value) if c["use_max"].value else None,
            **limit_values(c, self.base),
            unavailable_managers=tuple(c["unavailable_managers"].value),
            hires=hires, must=tuple(c["must"].value), exclude=tuple(c["exclude"].value),
            leads=parse_leads(c["leads"].value),
            excluded_leads=parse_excluded_leads(c["excluded_leads"].value),
            coverage=parse_coverage(c["coverage"].value),
            committed_activities=parse_committed(c["committed_activities"].value))

    def _amount(self, key: str) -> float:
        """The amount of a money field; an empty one (or one that does not read) cannot be
        planned: it says what to enter."""
        value = self.controls[key].value
        if value is None:
            raise KamoptError(tr("'{field}': enter an amount ({hint}).",
                                 field=self.controls[key].description, hint=tr(MONEY_HINT)))
        return float(value)

    def missing_amount(self) -> str:
        """The label of a money field in use that has no amount yet ("" if none): until it
        has one, a change does not re-plan (ticking *Cap the budget* plans nothing yet)."""
        key = self._missing_key()
        return self.controls[key].description if key else ""

    def _missing_key(self) -> str | None:
        c = self.controls
        used = {"continuity_bonus": True, "budget": c["use_budget"].value,
                "hire_cost": c["hires"].value > 0}
        return next((k for k, on in used.items() if on and c[k].value is None), None)

    def _replan(self) -> None:
        """Re-plan after a change, unless a money field in use waits for its amount."""
        missing = self._missing_key()
        if missing:
            self._note = missing
            self._say_missing(missing)
            return
        self.solve()

    def _say_missing(self, key: str) -> None:
        self.status.value = tr("Enter an amount in '{field}' ({hint}) to re-plan; the figures "
                               "below are those of the last plan.",
                               field=self.controls[key].description, hint=tr(MONEY_HINT))

    def fix_coverage(self, customer_id: str, level: str) -> None:
        """Fix ``customer_id``'s coverage at ``level`` (replacing a line of that account)."""
        box = self.controls["coverage"]
        try:
            levels = dict(parse_coverage(box.value))
        except KamoptError:  # a line that does not read: keep it, add below
            box.value += f"\n{customer_id}: {level}"
            return
        levels[customer_id] = level
        self.set(coverage=leads_text(tuple(levels.items())))

    def commit_activity(self, customer_id: str, activity_id: str) -> None:
        """Commit ``activity_id`` for ``customer_id`` (added to the account's line)."""
        box = self.controls["committed_activities"]
        try:
            pairs = list(parse_committed(box.value))
        except KamoptError:
            box.value += f"\n{customer_id}: {activity_id}"
            return
        if (customer_id, activity_id) not in pairs:
            pairs.append((customer_id, activity_id))
        self.set(committed_activities=excluded_leads_text(pairs))

    def rule_out_lead(self, customer_id: str, manager_id: str) -> None:
        """Keep ``manager_id`` from leading ``customer_id`` (a line of "Not led by"); if it
        is the account's fixed lead, the fix is taken back (the last choice wins)."""
        self._edit_leads(customer_id, manager_id, fix=False)

    def fix_lead(self, customer_id: str, manager_id: str) -> None:
        """Fix ``manager_id`` as the lead of ``customer_id`` (replacing a line of that account);
        if that manager is ruled out for the account, that is taken back."""
        self._edit_leads(customer_id, manager_id, fix=True)

    def _edit_leads(self, cid: str, j: str, fix: bool) -> None:
        lead_box, out_box = self.controls["leads"], self.controls["excluded_leads"]

        def read(parse, box):
            try:
                return parse(box.value)
            except KamoptError:  # a line that does not read (yet): the box is left as it is
                return None

        leads, ruled = read(parse_leads, lead_box), read(parse_excluded_leads, out_box)
        if (leads if fix else ruled) is None:  # the box to edit does not read: add below
            box = lead_box if fix else out_box
            box.value += f"\n{cid}: {j}"
            return
        changes = {}
        if fix:
            changes["leads"] = leads_text(tuple({**dict(leads), cid: j}.items()))
            if ruled is not None and (cid, j) in ruled:
                changes["excluded_leads"] = excluded_leads_text(
                    [pair for pair in ruled if pair != (cid, j)])
        else:
            changes["excluded_leads"] = excluded_leads_text(
                list(ruled) + ([] if (cid, j) in ruled else [(cid, j)]))
            if leads is not None and dict(leads).get(cid) == j:
                changes["leads"] = leads_text(tuple((c, m) for c, m in leads if c != cid))
        self.set(**changes)

    def set(self, **values) -> None:
        """Set several controls at once and re-plan once (if re-planning on change)."""
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(f"The controls of ScenarioExplorer.set are {', '.join(self.controls)}."
                             f" Got {unknown[0]!r} instead.")
        self._quiet = True
        try:
            for k, v in values.items():
                self.controls[k].value = v
        finally:
            self._quiet = False
        if self.auto.value:
            self._replan()

    def _on_change(self, change) -> None:
        if not self._quiet and self.auto.value:
            self._replan()

    # --------------------------------------------------------------- solve
    def solve(self) -> Plan | None:
        """Plan the scenario of the controls and show it; errors are shown, not raised.

        Shows a provisional plan at once (:meth:`PlanSession.quick
        <kamopt.analysis.session.PlanSession.quick>`: the previous plan repaired, with
        its proven gap), then refines it to the plan of the scenario
        (:meth:`PlanSession.solve <kamopt.analysis.session.PlanSession.solve>`, the
        plan ``kamopt plan`` writes) in the background, updating the figures
        when done. A new change cancels a refinement under way. Returns the
        plan shown (provisional while refining; :meth:`wait` for the last).
        """
        self._cancel_refinement()
        self._note = None
        self.status.value = tr(SOLVING)
        self.solve_button.disabled = True
        t0 = time.perf_counter()
        try:
            scenario = self.scenario
            quick = self.session.quick(scenario)
            self.error = None
            if quick is not None:
                self.plan = quick
                self._show_plan(quick, time.perf_counter() - t0)
            self._start_refinement(scenario, t0)
            return self.plan if quick is not None or not self.background else None
        except Exception as exc:  # a callback must never lose an error
            self._show_exception(exc)
        finally:
            self.solve_button.disabled = False
        return None

    # ---------------------------------------------------------- refinement
    @property
    def refining(self) -> bool:
        """Whether a refinement runs in the background."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> Plan | None:
        """Wait for the refinement under way (if any); the plan then shown."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.plan

    def _cancel_refinement(self) -> None:
        with self._lock:
            self._generation += 1
            if self._cancel is not None:
                self._cancel.set()

    def _start_refinement(self, scenario: Scenario, t0: float) -> None:
        with self._lock:
            generation = self._generation
            self._cancel = cancel = threading.Event()
        if not self.background:
            self._refine(scenario, generation, cancel, t0)
            return
        self._thread = threading.Thread(target=self._refine, name="kamopt-refine",
                                        args=(scenario, generation, cancel, t0), daemon=True)
        _RUNNING.add(self)
        self._thread.start()

    def _refine(self, scenario: Scenario, generation: int, cancel, t0: float) -> None:
        """The plan of ``scenario``, shown if the controls have not changed meanwhile."""
        try:
            final = self.session.solve(scenario, cancel=cancel)
        except Exception as exc:  # shown, unless a newer change made it moot
            with self._lock:
                if generation == self._generation and not cancel.is_set():
                    self._show_exception(exc)
            return
        with self._lock:
            if generation != self._generation or cancel.is_set():
                return
            self.error = None
            self.plan = final
            try:
                self._show_plan(final, time.perf_counter() - t0)
            except Exception as exc:  # noqa: BLE001 - a chart's error is shown, not lost
                self._show_error(exc, "error", detail=traceback.format_exc(limit=3))

    def _show_exception(self, exc: Exception) -> None:
        """Show what a solve raised: a diagnosis, bad input, or an error with its traceback
        (called inside the ``except`` that caught it)."""
        if isinstance(exc, InfeasibleError):
            self._show_error(exc, "infeasible")
        elif isinstance(exc, KamoptError):
            self._show_error(exc, "cannot")
        else:
            self._show_error(exc, "error", detail=traceback.format_exc(limit=3))

    def _show_error(self, exc: Exception, kind: str, detail: str = "", again: bool = False) -> None:
        """Show why there is no plan: ``kind`` is ``"infeasible"``, ``"cannot"`` (bad input)
        or ``"error"`` (with the traceback ``detail``)."""
        self.error = exc
        self._shown = (self._show_error, (exc, kind, detail))
        body = self._in_user_words(str(exc)) if isinstance(exc, KamoptError) else str(exc)
        headline = (tr("Infeasible: the scenario cannot be met.") if kind == "infeasible"
                    else tr("Cannot plan:") if kind == "cannot"
                    else tr("Error: {kind}: {error}", kind=type(exc).__name__, error=exc))
        if isinstance(exc, InfeasibleError):
            reasons = body.removeprefix("The scenario cannot be met:").strip().lstrip("- ")
            self.status.value = tr("Infeasible:") + " " + " ".join(reasons.split())
        else:
            self.status.value = headline + " " + " ".join(body.split())
        self.message.value = _error_box(headline, body + (("\n\n" + detail) if detail else ""))
        if not again:
            self.history.append({"scenario": self.scenario_or_none(), "error": str(exc)})

    def _in_user_words(self, text: str) -> str:
        """A message about the scenario in the explorer's words: the controls' labels, not
        the scenario's field names ("'Fixed leads', K0001: got 'M99'", not "explorer, column
        'leads.K0001': got 'M99'")."""
        labels = {k: w.description for k, w in self.controls.items()
                  if getattr(w, "description", "")}
        text = re.sub(r"The case .*? does not fit scenario 'explorer'",
                      tr("The explorer's choices do not fit the case"), text)
        text = re.sub(r"(?:explorer|scenario), column '(\w+)(?:\.([^']*))?'",
                      lambda m: f"'{labels.get(m[1], m[1])}'" + (f", {m[2]}" if m[2] else ""),
                      text)
        text = text.replace("scenario 'explorer'", tr("the explorer"))
        for key, label in labels.items():  # "max_key_accounts allows 1": the label instead
            text = (re.sub(rf"\b{key}\b", label, text) if "_" in key  # a field's name
                    else text.replace(f"{key} =", f"{label} ="))  # "must" is also a word
        return text

    def scenario_or_none(self) -> Scenario | None:
        try:
            return self.scenario
        except KamoptError:
            return None

    def _show_plan(self, plan: Plan, seconds: float, again: bool = False) -> None:
        """Show ``plan`` (made in ``seconds``); ``again``: the same plan in another language
        (not added to ``history``)."""
        self._shown = (self._show_plan, (plan, seconds))
        k = plan.kpis
        # the notebook's chart (kamopt.present.plan_charts), so the app and the report show the same picture;
        # none when no manager is available (every one away)
        if len(plan.managers):
            self.chart.value = _png(manager_utilisation(plan.managers))  # pictures first
        self.chart.layout.display = "" if len(plan.managers) else "none"
        self.table.value = plan_table_html(plan)
        refining = bool(k.get("provisional"))
        proven = plan.status == "optimal" and not refining
        gap_now = percent(k["mip_gap"], 2)
        provisional = _notice_box(
            tr("Provisional: the previous plan repaired for this scenario; refining…"),
            tr("It is proven within {gap} of the best plan possible. The figures update when "
               "the plan of the scenario (the plan kamopt plan writes) is proven.", gap=gap_now)) \
            if refining else "" if proven else _notice_box(
            tr("Not proven: the solver {why} before proving the {gap} gap.",
               why=_stop_words(k.get("stopped_by", ""), plan.scenario),
               gap=percent(plan.scenario.mip_gap, 2)),
            (tr("The figures are those of the best plan found. It is proven within {gap} of the "
                "best plan possible, which earns at most {more} more.", gap=gap_now,
                more=_eur_year(max(k["bound"] - plan.objective, 0)))
             if k.get("bound") is not None else
             tr("The figures are those of the best plan found. It is proven within {gap} of the "
                "best plan possible.", gap=gap_now)))
        # a must/exclude of the Customers tab that turns round the case's status: never silent
        n_over = len(status_overrides(self.case, plan.scenario))
        customers = tr("1 customer") if n_over == 1 else tr("{n} customers", n=n_over)
        leads = lead_notes(plan.scenario)
        done = coverage_notes(plan.scenario)
        self.message.value = provisional + (_notice_box(
            tr("The scenario overrides the case's status of {customers} (Customers tab).",
               customers=customers),
            override_notes(self.case, plan.scenario)) if n_over else "") + (_notice_box(
            tr("The scenario decides who leads some accounts (Customers tab)."), leads)
            if leads else "") + (_notice_box(
            tr("The scenario decides what is done for some accounts (Customers tab)."), done)
            if done else "")
        self.kpi_values = {key: k[key] for key in KPI_LABELS}
        self.kpi_values.update(status=plan.status, mip_gap=k["mip_gap"], seconds=seconds,
                               provisional=refining)
        for key, (label, show) in KPI_LABELS.items():
            v = k[key]
            shown = show(v)
            self.kpi_widgets[key].value = (
                f'<div style="font-size:12px;color:#555">{tr(label)}</div>'
                f'<div class="kamopt-value" data-value="{v}" style="font-size:20px;'
                f'font-weight:bold;color:{"inherit" if proven else PROVISIONAL}">{shown}</div>')
        status = "provisional" if refining else plan.status
        gap = (tr("refining… · within") if refining else tr("proven within") if proven
               else tr("{why}; gap", why=_stop_words(k.get("stopped_by", ""), plan.scenario)))
        accounts = tr("{n} key accounts", n=number(k["key_accounts"]))
        self.status.value = (f"{tr(STATUS_WORDS.get(status, status))} · {gap} {gap_now} · "
                             f"{number(seconds, 2)} s · {accounts}"
                             + (" · " + tr("overrides the case for {customers}",
                                           customers=customers) if n_over else "")
                             + self.response.note())
        if self._note is not None:  # a money field still waits for its amount: still said
            self._say_missing(self._note)
        if not again:
            self.history.append({"scenario": plan.scenario, "objective": plan.objective,
                                 "key_accounts": k["key_accounts"], "status": plan.status,
                                 "seconds": seconds, "provisional": refining})

    # ---------------------------------------------------------------- save
    def save(self, name: str, root=None):
        """Save the current plan and scenario with :func:`kamopt.analysis.store.save_scenario`."""
        from kamopt.analysis.store import DEFAULT_ROOT, save_scenario

        self.wait()  # a provisional plan is saved once refined: the plan kamopt plan writes
        if self.plan is None:
            raise ValueError(tr("There is no plan to save: the last solve did not give one."))
        if self.error is not None or self.plan.scenario != self.scenario_or_none():
            raise ValueError(tr("The plan on show is not the plan of the controls as they are "
                                "now (the last solve failed, or they changed since): press "
                                "Plan, then save."))
        return save_scenario(self.plan, name, root=root or DEFAULT_ROOT)


# ------------------------------------------------------------ what is shown
def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (where widgets update from a thread)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


#: explorers that may have a refinement running: cancelled and joined at exit, so that no
#: HiGHS runs in a thread while the interpreter shuts down
_RUNNING: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _stop_refinements() -> None:  # pragma: no cover - at interpreter exit
    for explorer in list(_RUNNING):
        explorer._cancel_refinement()
        explorer.wait(10.0)
