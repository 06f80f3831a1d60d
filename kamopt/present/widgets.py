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

The other tabs
--------------
The "Mid-term" tab (:class:`~kamopt.present.midterm_tab.MidtermTabMixin`) plans the
scenario over 1 to 5 years against the case's order-intake targets; the "Robustness" tab
(:class:`~kamopt.present.robustness_tab.RobustnessTab`, ``explorer.robustness``) plans it
with one assumption lower and higher.

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
from kamopt.present.explorer_view import PROVISIONAL, SOLVING, _error_box, _notice_box, _png
from kamopt.present.inputs import MONEY_HINT, MoneyInput, Picker
from kamopt.present.midterm_tab import MIDTERM_TIME_LIMIT, MidtermTabMixin
from kamopt.present.plan_charts import manager_utilisation
from kamopt.present.robustness_tab import RobustnessTab
from kamopt.units import eur, hours

#: cases with more customers start with "re-plan on every change" off
AUTO_LIMIT = 2000


def _eur_year(v: float) -> str:
    return eur(v, "EUR/yr", whole=True, minus="-")


def _hours(v: float) -> str:  # a workload index of 4.8 reads 4.8, not 5
    return f"{hours(v)} h"


#: KPI key -> (label, how its value is shown); three tiles a row: money, accounts, hours
KPI_LABELS = {
    "objective": ("Net contribution", _eur_year),
    "value_from_potential": ("from potential", _eur_year),
    "value_from_retention": ("from retention", _eur_year),
    "key_accounts": ("Key accounts", lambda v: f"{int(v):,d}"),
    "accounts_changing_hands": ("Led by a new manager", lambda v: f"{int(v):,d} accounts"),
    "activities_run": ("Activities run", lambda v: f"{int(v):,d}"),
    "hours_used": ("KAM hours used", _hours),
    "hours_available": ("KAM hours available", _hours),
    "cost": ("Cost", _eur_year),
}


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
    background : bool, optional
        Refine each provisional plan in a background thread (default in a
        Jupyter kernel: the app, the notebooks); False (default elsewhere:
        scripts, tests) refines before :meth:`solve` returns.
    """

    def __init__(self, case: Case, scenario: Scenario | None = None, *, auto: bool | None = None,
                 solve: bool = True, session: PlanSession | None = None,
                 keep_solver_settings: bool = False, targets: pd.DataFrame | None = None,
                 midterm_assumptions: MidtermAssumptions | None = None,
                 capacity_by_year: pd.DataFrame | None = None,
                 midterm_time_limit: float = MIDTERM_TIME_LIMIT, background: bool | None = None):
        self.case = case
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
        self.widget = self._layout()
        if solve:
            self.solve()

    # ------------------------------------------------------------- controls
    def _build_controls(self, auto: bool) -> None:
        b, m, c = self.base, self.case.managers, self.case.customers
        slider = dict(continuous_update=False, style={"description_width": "150px"},
                      layout=W.Layout(width="420px"))
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
                                            description="Capacity scale", readout_format=".2f",
                                            **slider),
            "realization": W.FloatSlider(value=b.realization, min=0.0, max=0.8, step=0.01,
                                         description="Realisation (α)", readout_format=".2f",
                                         **slider),
            "retention": W.FloatSlider(value=b.retention, min=0.0, max=0.3, step=0.01,
                                       description="Retention (β)", readout_format=".2f",
                                       **slider),
            "industry_fit": W.FloatSlider(value=b.industry_fit, min=0.0, max=1.0, step=0.01,
                                          description="Industry fit (δ)", readout_format=".2f",
                                          **slider),
            "continuity_bonus": MoneyInput(b.continuity_bonus, max=1e6, unit="EUR/yr",
                                           description="Continuity EUR/yr", placeholder="e.g. 5.000",
                                           **money),
            "use_budget": W.Checkbox(value=b.budget is not None, description="Cap the budget",
                                     indent=False),
            # empty until the user gives a budget: ticking the cap plans nothing nobody chose
            "budget": MoneyInput(b.budget, max=1e10, unit="EUR/yr", description="Budget EUR/yr",
                                 placeholder=MONEY_HINT, **money),
            "min_key_accounts": W.BoundedIntText(value=b.min_key_accounts or 0, min=0, max=n,
                                                 description="Min key accounts", **text),
            "use_max": W.Checkbox(value=b.max_key_accounts is not None,
                                  description="Cap key accounts", indent=False),
            "max_key_accounts": W.BoundedIntText(
                value=b.max_key_accounts if b.max_key_accounts is not None else n, min=0, max=n,
                description="Max key accounts", **text),
            "unavailable_managers": Picker(
                [(f"{j} {r['name']}", j) for j, r in m.iterrows()],
                tuple(x for x in b.unavailable_managers if x in m.index),
                description="Managers away", **pick),
            "hires": W.BoundedIntText(value=hire.count if b.hires else 0, min=0, max=20,
                                      description="New KAMs", **text),
            "hire_seniority": W.Dropdown(options=[1, 2, 3], value=int(hire.seniority),
                                         description="Their seniority",
                                         style={"description_width": "150px"}),
            "hire_capacity": W.BoundedFloatText(value=float(hire.capacity_hours), min=0,
                                                max=8760, step=100,
                                         description="Their hours/yr", **text),
            "hire_cost": MoneyInput(float(hire.hourly_cost), max=10_000, unit="EUR/h",
                                    description="Their EUR/h", placeholder="e.g. 95", **money),
            "must": Picker(customers, tuple(x for x in b.must if x in c.index),
                           description="Must be key", **pick),
            "exclude": Picker(customers, tuple(x for x in b.exclude if x in c.index),
                              description="Exclude", **pick),
            "leads": _box(leads_text(b.leads), "Fixed leads", 5,
                          "K0051: M08   (one account: lead manager a line)"),
            "excluded_leads": _box(excluded_leads_text(b.excluded_leads), "Not led by", 3,
                                   "K0051: M08, M11   (managers who may not lead the account)"),
            "coverage": _box(leads_text(b.coverage), "Fixed levels", 3,
                             "K0051: intensive   (one account: coverage level a line)"),
            "committed_activities": _box(
                excluded_leads_text(b.committed_activities), "Committed", 3,
                "K0051: A05, A02   (activities the account runs whatever they earn)"),
        }
        for key, w in self.controls.items():
            w.add_class("kamopt-control-" + key.replace("_", "-"))
            w.observe(self._on_change, names="value")
        # a cap's value can be edited only while the cap is on (else it does nothing)
        for flag, field in (("use_budget", "budget"), ("use_max", "max_key_accounts")):
            def sync(_=None, flag=flag, field=field):
                self.controls[field].disabled = not self.controls[flag].value
            self.controls[flag].observe(sync, names="value")
            sync()
        # pick an account and a manager to add a line to the fixed leads
        self.lead_customer = W.Dropdown(options=[(f"{i} · {r['name']}", i) for i, r in c.iterrows()],
                                        description="Account", style={"description_width": "150px"},
                                        layout=W.Layout(width="420px"))
        self.lead_manager = W.Dropdown(
            options=[(f"{j} · {r['name']} (sen. {r['seniority']})", j) for j, r in m.iterrows()],
            description="led by", layout=W.Layout(width="330px"))
        self.lead_button = W.Button(description="Fix lead", icon="thumb-tack")
        self.lead_button.add_class("kamopt-fix-lead")
        self.lead_button.on_click(lambda _: self.fix_lead(self.lead_customer.value,
                                                          self.lead_manager.value))
        self.rule_out_button = W.Button(description="Rule out", icon="ban")
        self.rule_out_button.add_class("kamopt-rule-out")
        self.rule_out_button.on_click(lambda _: self.rule_out_lead(self.lead_customer.value,
                                                                   self.lead_manager.value))
        # pick an account and a level or an activity: what is done for it
        self.fix_customer = W.Dropdown(options=self.lead_customer.options, description="Account",
                                       style={"description_width": "150px"},
                                       layout=W.Layout(width="420px"))
        self.fix_level = W.Dropdown(options=list(dict.fromkeys(
            [*b.level_names, *self.case.responses.get("level", [])])),
            description="at", layout=W.Layout(width="200px"))
        self.level_button = W.Button(description="Fix level", icon="thumb-tack")
        self.level_button.add_class("kamopt-fix-level")
        self.level_button.on_click(lambda _: self.fix_coverage(self.fix_customer.value,
                                                               self.fix_level.value))
        acts = self.case.activities
        self.fix_activity = W.Dropdown(
            options=[(f"{k} · {r['name']}", k) for k, r in acts.iterrows()],
            description="runs", layout=W.Layout(width="330px"), disabled=len(acts) == 0)
        self.commit_button = W.Button(description="Commit", icon="handshake-o",
                                      disabled=len(acts) == 0)
        self.commit_button.add_class("kamopt-commit")
        self.commit_button.on_click(lambda _: self.commit_activity(self.fix_customer.value,
                                                                   self.fix_activity.value))
        self.auto = W.Checkbox(value=auto, description="Re-plan on every change", indent=False)
        # ticked again: the controls may have changed meanwhile, so the plan on show is re-made
        self.auto.observe(lambda ch: self.solve() if ch["new"] and not self._quiet else None,
                          names="value")
        self.solve_button = W.Button(description="Plan", button_style="primary", icon="play")
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
        people = W.VBox([c["unavailable_managers"], W.HTML("<b>Hire new key account managers</b>"),
                         c["hires"], c["hire_seniority"], c["hire_capacity"], c["hire_cost"]])
        customers = W.VBox([c["must"], c["exclude"],
                            W.HTML("<b>Lead managers</b>: <i>Fix lead</i> makes the account a "
                                   "key account led by this manager; <i>Rule out</i> keeps this "
                                   "manager from leading it"),
                            W.HBox([self.lead_customer, self.lead_manager, self.lead_button,
                                    self.rule_out_button]),
                            c["leads"], c["excluded_leads"],
                            W.HTML("<b>What is done</b>: <i>Fix level</i> makes the account a "
                                   "key account at this coverage level; <i>Commit</i> makes it "
                                   "a key account that runs this activity"),
                            W.HBox([self.fix_customer, self.fix_level, self.level_button]),
                            W.HBox([W.Label(layout=W.Layout(width="160px")), self.fix_activity,
                                    self.commit_button]),
                            c["coverage"], c["committed_activities"]])
        tabs = W.Tab(children=[assumptions, people, customers, self.midterm_tab,
                               self.robustness.widget])
        for i, title in enumerate(("Assumptions", "Managers & hires", "Customers", "Mid-term",
                                   "Robustness")):
            tabs.set_title(i, title)
        kpis = W.GridBox(list(self.kpi_widgets.values()),
                         layout=W.Layout(grid_template_columns="repeat(3, 220px)",
                                         grid_gap="6px 12px"))
        bar = W.HBox([self.solve_button, self.auto, self.status])
        return W.VBox([tabs, bar, self.message, kpis, self.chart, self.table])

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
            raise KamoptError(f"'{self.controls[key].description}': enter an amount "
                              f"({MONEY_HINT}).")
        return float(value)

    def missing_amount(self) -> str:
        """The label of a money field in use that has no amount yet ("" if none): until it
        has one, a change does not re-plan (ticking *Cap the budget* plans nothing yet)."""
        c = self.controls
        used = {"continuity_bonus": True, "budget": c["use_budget"].value,
                "hire_cost": c["hires"].value > 0}
        return next((c[k].description for k, on in used.items() if on and c[k].value is None),
                    "")

    def _replan(self) -> None:
        """Re-plan after a change, unless a money field in use waits for its amount."""
        missing = self.missing_amount()
        if missing:
            self.status.value = (f"Enter an amount in '{missing}' ({MONEY_HINT}) to re-plan; "
                                 "the figures below are those of the last plan.")
            return
        self.solve()

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
        self.status.value = SOLVING
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
                self._show_error(exc, f"Error: {type(exc).__name__}: {exc}",
                                 detail=traceback.format_exc(limit=3))

    def _show_exception(self, exc: Exception) -> None:
        """Show what a solve raised: a diagnosis, bad input, or an error with its traceback
        (called inside the ``except`` that caught it)."""
        if isinstance(exc, InfeasibleError):
            self._show_error(exc, "Infeasible: the scenario cannot be met.")
        elif isinstance(exc, KamoptError):
            self._show_error(exc, "Cannot plan:")
        else:
            self._show_error(exc, f"Error: {type(exc).__name__}: {exc}",
                             detail=traceback.format_exc(limit=3))

    def _show_error(self, exc: Exception, headline: str, detail: str = "") -> None:
        self.error = exc
        body = self._in_user_words(str(exc)) if isinstance(exc, KamoptError) else str(exc)
        if isinstance(exc, InfeasibleError):
            reasons = body.removeprefix("The scenario cannot be met:").strip().lstrip("- ")
            self.status.value = "Infeasible: " + " ".join(reasons.split())
        else:
            self.status.value = headline + " " + " ".join(body.split())
        self.message.value = _error_box(headline, body + (("\n\n" + detail) if detail else ""))
        self.history.append({"scenario": self.scenario_or_none(), "error": str(exc)})

    def _in_user_words(self, text: str) -> str:
        """A message about the scenario in the explorer's words: the controls' labels, not
        the scenario's field names ("'Fixed leads', K0001: got 'M99'", not "explorer, column
        'leads.K0001': got 'M99'")."""
        labels = {k: w.description for k, w in self.controls.items()
                  if getattr(w, "description", "")}
        text = re.sub(r"The case .*? does not fit scenario 'explorer'",
                      "The explorer's choices do not fit the case", text)
        text = re.sub(r"(?:explorer|scenario), column '(\w+)(?:\.([^']*))?'",
                      lambda m: f"'{labels.get(m[1], m[1])}'" + (f", {m[2]}" if m[2] else ""),
                      text)
        text = text.replace("scenario 'explorer'", "the explorer")
        for key, label in labels.items():  # "max_key_accounts allows 1": the label instead
            text = (re.sub(rf"\b{key}\b", label, text) if "_" in key  # a field's name
                    else text.replace(f"{key} =", f"{label} ="))  # "must" is also a word
        return text

    def scenario_or_none(self) -> Scenario | None:
        try:
            return self.scenario
        except KamoptError:
            return None

    def _show_plan(self, plan: Plan, seconds: float) -> None:
        k = plan.kpis
        # the notebook's chart (kamopt.present.plan_charts), so the app and the report show the same picture;
        # none when no manager is available (every one away)
        if len(plan.managers):
            self.chart.value = _png(manager_utilisation(plan.managers))  # pictures first
        self.chart.layout.display = "" if len(plan.managers) else "none"
        self.table.value = plan_table_html(plan)
        refining = bool(k.get("provisional"))
        proven = plan.status == "optimal" and not refining
        provisional = _notice_box(
            "Provisional: the previous plan repaired for this scenario; refining…",
            f"It is proven within {k['mip_gap']:.2%} of the best plan possible. The figures "
            "update when the plan of the scenario (the plan kamopt plan writes) is proven.") \
            if refining else "" if proven else _notice_box(
            f"Not proven: the solver {_stop_words(k.get('stopped_by', ''), plan.scenario)} "
            f"before proving the {plan.scenario.mip_gap:.2%} gap.",
            "The figures are those of the best plan found. It is proven within "
            f"{k['mip_gap']:.2%} of the best plan possible"
            + (f", which earns at most {max(k['bound'] - plan.objective, 0):,.0f} EUR/yr more."
               if k.get("bound") is not None else "."))
        # a must/exclude of the Customers tab that turns round the case's status: never silent
        n_over = len(status_overrides(self.case, plan.scenario))
        customers = f"{n_over} customer{'s' if n_over > 1 else ''}"
        leads = lead_notes(plan.scenario)
        done = coverage_notes(plan.scenario)
        self.message.value = provisional + (_notice_box(
            f"The scenario overrides the case's status of {customers} (Customers tab).",
            override_notes(self.case, plan.scenario)) if n_over else "") + (_notice_box(
            "The scenario decides who leads some accounts (Customers tab).", leads)
            if leads else "") + (_notice_box(
            "The scenario decides what is done for some accounts (Customers tab).", done)
            if done else "")
        self.kpi_values = {key: k[key] for key in KPI_LABELS}
        self.kpi_values.update(status=plan.status, mip_gap=k["mip_gap"], seconds=seconds,
                               provisional=refining)
        for key, (label, show) in KPI_LABELS.items():
            v = k[key]
            shown = show(v)
            self.kpi_widgets[key].value = (
                f'<div style="font-size:12px;color:#555">{label}</div>'
                f'<div class="kamopt-value" data-value="{v}" style="font-size:20px;'
                f'font-weight:bold;color:{"inherit" if proven else PROVISIONAL}">{shown}</div>')
        gap = ("refining… · within" if refining else "proven within" if proven
               else f"{_stop_words(k.get('stopped_by', ''), plan.scenario)}; gap")
        self.status.value = (f"{'provisional' if refining else plan.status} · {gap} "
                             f"{k['mip_gap']:.2%} · "
                             f"{seconds:.2f} s · {k['key_accounts']} key accounts"
                             + (f" · overrides the case for {customers}" if n_over else ""))
        self.history.append({"scenario": plan.scenario, "objective": plan.objective,
                             "key_accounts": k["key_accounts"], "status": plan.status,
                             "seconds": seconds, "provisional": refining})

    # ---------------------------------------------------------------- save
    def save(self, name: str, root=None):
        """Save the current plan and scenario with :func:`kamopt.analysis.store.save_scenario`."""
        from kamopt.analysis.store import DEFAULT_ROOT, save_scenario

        self.wait()  # a provisional plan is saved once refined: the plan kamopt plan writes
        if self.plan is None:
            raise ValueError("There is no plan to save: the last solve did not give one.")
        if self.error is not None or self.plan.scenario != self.scenario_or_none():
            raise ValueError("The plan on show is not the plan of the controls as they are now "
                             "(the last solve failed, or they changed since): press Plan, then "
                             "save.")
        return save_scenario(self.plan, name, root=root or DEFAULT_ROOT)


# ------------------------------------------------------------ what is shown
def plan_table_html(plan: Plan, rows: int = 25) -> str:
    """The key accounts with the largest net contribution, as an HTML table."""
    acc = plan.accounts[plan.accounts["key_account"] == 1].sort_values("net", ascending=False)
    show = acc[["name", "level", "manager_id", "hours", "activities", "value", "cost", "net"]].head(
        rows).copy()
    for col in ("hours", "value", "cost", "net"):
        show[col] = show[col].map("{:,.0f}".format)
    show["activities"] = show["activities"].fillna("").str.replace(";", ", ")  # it may wrap
    show = show.reset_index()
    head = (f"<b>Key accounts</b> ({len(acc)}; the {min(rows, len(acc))} with the largest net "
            "contribution, EUR a year)")
    # text left, numbers right, the header over its column the same way
    left = [i + 1 for i, c in enumerate(show.columns)
            if c in ("customer_id", "name", "level", "manager_id", "activities")]
    cells = ", ".join(f"table.kamopt-plan th:nth-child({i}), table.kamopt-plan td:nth-child({i})"
                      for i in left)
    style = ("<style>table.kamopt-plan th, table.kamopt-plan td {text-align:right;"
             f"padding:2px 10px;vertical-align:top}} {cells} {{text-align:left}}</style>")
    return head + style + show.to_html(classes="kamopt-table kamopt-plan", border=0,
                                       escape=True, index=False)


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


def _stop_words(stopped_by: str, scenario: Scenario) -> str:
    """Why a solve stopped, in words for the status line."""
    if stopped_by == "time":
        return f"stopped at the time limit ({scenario.time_limit:g} s, a safety net)"
    if stopped_by == "nodes":
        return "stopped at its work budget"
    if stopped_by == "cancelled":
        return "was cancelled"
    return "stopped"
