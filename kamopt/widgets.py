"""The scenario explorer: every assumption as a control, the plan re-solved on change.

``ScenarioExplorer(case)`` is an ipywidgets app (``explorer.widget``, or just
show ``explorer`` in a notebook or Voila). Its controls cover every scenario
key the planner changes in a meeting: capacity scale, realisation, retention,
industry fit, continuity bonus, budget, min/max key accounts, which managers
are away ("what if M03 leaves?"), new KAMs to hire (how many, seniority,
capacity, hourly cost) and customers fixed in (``must``) or out (``exclude``).

When it re-solves
-----------------
With "re-plan on every change" ticked (the default for cases up to
:data:`AUTO_LIMIT` customers) each change re-solves at once; sliders and
number fields report a change only when released or confirmed
(``continuous_update=False``), which debounces dragging without timers, so
the explorer behaves the same in a notebook, in Voila and in tests. For big
cases untick it (or pass ``auto=False``) and press *Plan*.

Re-solves go through a :class:`~kamopt.session.PlanSession` (one built model,
warm starts), at the explorer's ``mip_gap`` of 1% and a 5 s time limit
(:func:`kamopt.session.explorer_scenario`); the status line shows the solver
status, the proven gap and the time. A time-limited plan says ``feasible``.

What can be tested without a browser
------------------------------------
``explorer.plan`` (the last :class:`~kamopt.plan.Plan`), ``explorer.kpi_values``
(the headline figures shown), ``explorer.status.value`` (``"Solving…"`` while
a solve runs, then the outcome or the diagnosis), ``explorer.error`` (the last
exception, None after a success), ``explorer.message.value`` (the diagnosis as
HTML), ``explorer.chart.value`` (PNG bytes) and ``explorer.table.value`` (HTML).
An exception in a callback never escapes: it is shown in the explorer.

Examples
--------
>>> from kamopt.sample import make_case
>>> ex = ScenarioExplorer(make_case(customers=30, managers=3, seed=1))
>>> ex.plan.status, ex.status.value.startswith("optimal")
('optimal', True)
>>> before = ex.kpi_values["hours_available"]
>>> ex.controls["capacity_scale"].value = 0.5
>>> ex.kpi_values["hours_available"] == before / 2
True
"""

from __future__ import annotations

import html
import io
import time
import traceback

import ipywidgets as W
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .case import Case
from .charts import PALETTE, _hours_axis, _style, _titles
from .errors import InfeasibleError, KamoptError
from .frontier import median_kam
from .plan import Plan
from .scenario import Hire, Scenario
from .session import PlanSession, explorer_scenario

#: cases with more customers start with "re-plan on every change" off
AUTO_LIMIT = 2000

SOLVING = "Solving…"

#: the headline figures shown, with their labels and formats
KPI_LABELS = {
    "objective": ("Net contribution", "{:,.0f} EUR/yr"),
    "key_accounts": ("Key accounts", "{:,d}"),
    "hours_used": ("KAM hours used", "{:,.0f} h"),
    "hours_available": ("KAM hours available", "{:,.0f} h"),
    "cost": ("Cost", "{:,.0f} EUR/yr"),
    "value_from_potential": ("from potential", "{:,.0f} EUR/yr"),
    "value_from_retention": ("from retention", "{:,.0f} EUR/yr"),
    "activities_run": ("Activities run", "{:,d}"),
}


def _css_name(key: str) -> str:
    return "kamopt-kpi-" + key.replace("_", "-")


class ScenarioExplorer:
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
    """

    def __init__(self, case: Case, scenario: Scenario | None = None, *, auto: bool | None = None,
                 solve: bool = True, session: PlanSession | None = None,
                 keep_solver_settings: bool = False):
        self.case = case
        base = scenario or Scenario()
        self.base = base if keep_solver_settings else explorer_scenario(base)
        self.session = session or PlanSession(case)
        self.plan: Plan | None = None
        self.error: Exception | None = None
        self.kpi_values: dict = {}
        self.history: list[dict] = []
        self._quiet = False
        self._build_controls(auto if auto is not None else len(case.customers) <= AUTO_LIMIT)
        self._build_outputs()
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
            "continuity_bonus": W.FloatText(value=b.continuity_bonus, step=1000,
                                            description="Continuity EUR/yr", **text),
            "use_budget": W.Checkbox(value=b.budget is not None, description="Cap the budget",
                                     indent=False),
            "budget": W.FloatText(value=b.budget if b.budget is not None else 2_000_000.0,
                                  step=50_000, description="Budget EUR/yr", **text),
            "min_key_accounts": W.BoundedIntText(value=b.min_key_accounts or 0, min=0, max=n,
                                                 description="Min key accounts", **text),
            "use_max": W.Checkbox(value=b.max_key_accounts is not None,
                                  description="Cap key accounts", indent=False),
            "max_key_accounts": W.BoundedIntText(
                value=b.max_key_accounts if b.max_key_accounts is not None else n, min=0, max=n,
                description="Max key accounts", **text),
            "unavailable_managers": W.SelectMultiple(
                options=[(f"{j} · {r['name']} ({r['role']}, sen. {r['seniority']})", j)
                         for j, r in m.iterrows()],
                value=tuple(x for x in b.unavailable_managers if x in m.index), rows=8,
                description="Managers away", style={"description_width": "150px"},
                layout=W.Layout(width="520px")),
            "hires": W.BoundedIntText(value=hire.count if b.hires else 0, min=0, max=20,
                                      description="New KAMs", **text),
            "hire_seniority": W.Dropdown(options=[1, 2, 3], value=int(hire.seniority),
                                         description="Their seniority",
                                         style={"description_width": "150px"}),
            "hire_capacity": W.FloatText(value=float(hire.capacity_hours), step=100,
                                         description="Their hours/yr", **text),
            "hire_cost": W.FloatText(value=float(hire.hourly_cost), step=5,
                                     description="Their EUR/h", **text),
            "must": W.SelectMultiple(
                options=[(f"{i} · {r['name']}", i) for i, r in c.iterrows()],
                value=tuple(x for x in b.must if x in c.index), rows=8,
                description="Must be key", style={"description_width": "150px"},
                layout=W.Layout(width="520px")),
            "exclude": W.SelectMultiple(
                options=[(f"{i} · {r['name']}", i) for i, r in c.iterrows()],
                value=tuple(x for x in b.exclude if x in c.index), rows=8,
                description="Exclude", style={"description_width": "150px"},
                layout=W.Layout(width="520px")),
        }
        for key, w in self.controls.items():
            w.add_class("kamopt-control-" + key.replace("_", "-"))
            w.observe(self._on_change, names="value")
        self.auto = W.Checkbox(value=auto, description="Re-plan on every change", indent=False)
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
        customers = W.VBox([c["must"], c["exclude"]])
        tabs = W.Tab(children=[assumptions, people, customers])
        for i, title in enumerate(("Assumptions", "Managers & hires", "Customers")):
            tabs.set_title(i, title)
        kpis = W.GridBox(list(self.kpi_widgets.values()),
                         layout=W.Layout(grid_template_columns="repeat(4, 220px)",
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
                          hourly_cost=float(c["hire_cost"].value)),)
        return self.base.replace(
            name="explorer",
            capacity_scale=float(c["capacity_scale"].value),
            realization=float(c["realization"].value),
            retention=float(c["retention"].value),
            industry_fit=float(c["industry_fit"].value),
            continuity_bonus=float(c["continuity_bonus"].value),
            budget=float(c["budget"].value) if c["use_budget"].value else None,
            min_key_accounts=int(c["min_key_accounts"].value) or None,
            max_key_accounts=int(c["max_key_accounts"].value) if c["use_max"].value else None,
            unavailable_managers=tuple(c["unavailable_managers"].value),
            hires=hires, must=tuple(c["must"].value), exclude=tuple(c["exclude"].value))

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
            self.solve()

    def _on_change(self, change) -> None:
        if not self._quiet and self.auto.value:
            self.solve()

    # --------------------------------------------------------------- solve
    def solve(self) -> Plan | None:
        """Plan the scenario of the controls and show it; errors are shown, not raised."""
        self.status.value = SOLVING
        self.solve_button.disabled = True
        t0 = time.perf_counter()
        try:
            plan = self.session.solve(self.scenario)
            self.solve_button.disabled = False
        except InfeasibleError as exc:
            self.solve_button.disabled = False
            self._show_error(exc, "Infeasible: the scenario cannot be met.")
        except KamoptError as exc:
            self._show_error(exc, f"Cannot plan: {type(exc).__name__}.")
        except Exception as exc:  # a callback must never lose an error
            self._show_error(exc, f"Error: {type(exc).__name__}: {exc}",
                             detail=traceback.format_exc(limit=3))
        else:
            self.error = None
            self.plan = plan
            self._show_plan(plan, time.perf_counter() - t0)
            return plan
        finally:
            self.solve_button.disabled = False
        return None

    def _show_error(self, exc: Exception, headline: str, detail: str = "") -> None:
        self.error = exc
        self.status.value = headline + " " + " ".join(str(exc).split())
        body = html.escape(str(exc)) + (("\n\n" + html.escape(detail)) if detail else "")
        self.message.value = (f'<div style="border-left:4px solid {PALETTE["vermillion"]};'
                              f'padding:4px 10px;background:#fff4ee"><b>{html.escape(headline)}'
                              f"</b><pre style='white-space:pre-wrap;margin:4px 0'>{body}</pre>"
                              "<i>The figures below are those of the last plan.</i></div>")
        self.history.append({"scenario": self.scenario_or_none(), "error": str(exc)})

    def scenario_or_none(self) -> Scenario | None:
        try:
            return self.scenario
        except KamoptError:
            return None

    def _show_plan(self, plan: Plan, seconds: float) -> None:
        k = plan.kpis
        self.chart.value = _png(utilisation_chart(plan))  # pictures first, the status last
        self.table.value = plan_table_html(plan)
        self.message.value = ""
        self.kpi_values = {key: k[key] for key in KPI_LABELS}
        self.kpi_values.update(status=plan.status, mip_gap=k["mip_gap"], seconds=seconds)
        for key, (label, fmt) in KPI_LABELS.items():
            v = k[key]
            shown = fmt.format(int(v) if "d}" in fmt else v)
            self.kpi_widgets[key].value = (
                f'<div style="font-size:12px;color:#555">{label}</div>'
                f'<div class="kamopt-value" data-value="{v}" style="font-size:20px;'
                f'font-weight:bold">{shown}</div>')
        gap = "proven within" if plan.status == "optimal" else "stopped at the time limit; gap"
        self.status.value = (f"{plan.status} · {gap} {k['mip_gap']:.2%} · "
                             f"{seconds:.2f} s · {k['key_accounts']} key accounts")
        self.history.append({"scenario": plan.scenario, "objective": plan.objective,
                             "key_accounts": k["key_accounts"], "status": plan.status,
                             "seconds": seconds})

    # ---------------------------------------------------------------- save
    def save(self, name: str, root=None):
        """Save the current plan and scenario with :func:`kamopt.store.save_scenario`."""
        from .store import DEFAULT_ROOT, save_scenario

        if self.plan is None:
            raise ValueError("There is no plan to save: the last solve did not give one.")
        return save_scenario(self.plan, name, root=root or DEFAULT_ROOT)


# ------------------------------------------------------------ what is shown
def utilisation_chart(plan: Plan, ax=None) -> Figure:
    """Hours per manager: used (bars) against capacity (ticks), managers away not shown."""
    m = plan.managers.sort_values(["role", "capacity"], ascending=[True, False])
    with _style():
        if ax is None:
            fig = Figure(figsize=(11, 4.8), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.get_figure(root=True)
        x = np.arange(len(m))
        colors = [PALETTE["purple"] if r == "executive" else PALETTE["blue"] for r in m["role"]]
        ax.bar(x, m["capacity"], color="#E3E3E3", width=0.75)
        ax.bar(x, m["hours_used"], color=colors, width=0.75)
        for xi, (u, cap) in enumerate(zip(m["hours_used"], m["capacity"], strict=True)):
            if cap > 0:
                ax.annotate(f"{u / cap:.0%}", (xi, cap), xytext=(0, 3), textcoords="offset points",
                            ha="center", fontsize=11)
        ax.set_xticks(x, m.index, rotation=0, fontsize=11)
        ax.margins(y=0.12)
        _hours_axis(ax.yaxis)
        ax.legend([Patch(color="#E3E3E3"), Patch(color=PALETTE["blue"]),
                   Patch(color=PALETTE["purple"])],
                  ["capacity", "planned: KAMs", "planned: executives"], loc="upper right", ncols=3)
        k = plan.kpis
        _titles(ax, "Manager utilisation",
                f"hours a year: {k['hours_used']:,.0f} of {k['hours_available']:,.0f} h planned")
    return fig


def plan_table_html(plan: Plan, rows: int = 25) -> str:
    """The key accounts with the largest net contribution, as an HTML table."""
    acc = plan.accounts[plan.accounts["key_account"] == 1].sort_values("net", ascending=False)
    show = acc[["name", "level", "manager_id", "hours", "activities", "value", "cost", "net"]].head(
        rows).copy()
    for col in ("hours", "value", "cost", "net"):
        show[col] = show[col].map("{:,.0f}".format)
    head = (f"<b>Key accounts</b> ({len(acc)}; the {min(rows, len(acc))} with the largest net "
            "contribution, EUR a year)")
    return head + show.reset_index().to_html(classes="kamopt-table", border=0, escape=True,
                                             index=False)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


def explorer_frame(explorer: ScenarioExplorer) -> pd.DataFrame:
    """The explorer's history of plans (and errors) as a table."""
    return pd.DataFrame([{k: v for k, v in h.items() if k != "scenario"} for h in explorer.history])
