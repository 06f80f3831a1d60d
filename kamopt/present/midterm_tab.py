"""The explorer's "Mid-term" tab: the scenario planned over 1 to 5 years against the
order-intake targets, with what it shows (intake against target, the hiring plan)."""

from __future__ import annotations

import html
import time
import traceback

import ipywidgets as W
import numpy as np
import pandas as pd

from kamopt.case.assumptions import (
    TARGET_COLUMNS,
    TARGET_MODES,
    MidtermAssumptions,
    load_targets,
    parse_targets,
)
from kamopt.errors import InfeasibleError, KamoptError
from kamopt.planning.midterm import MidtermPlan, plan_midterm, shortfall_messages
from kamopt.present.explorer_view import SOLVING, _error_box, _png
from kamopt.present.midterm_chart import intake_chart

#: seconds the mid-term solve may take (the one-year re-solves take 5)
MIDTERM_TIME_LIMIT = 60.0

#: the longest horizon the explorer offers (plan_midterm allows 10)
MIDTERM_MAX_YEARS = 5


class MidtermTabMixin:
    """The "Mid-term" tab of :class:`~kamopt.present.widgets.ScenarioExplorer` (a base class
    of it: these methods use the explorer's case, scenario and ``midterm_*`` attributes).

    The "Mid-term" tab plans the explorer's current one-year scenario (capacity
    scale, managers away, new KAMs, budget, must/exclude, ...) over a horizon of 1
    to 5 years with :func:`kamopt.planning.midterm.plan_midterm`, against the case's
    order-intake targets (``targets=`` of the explorer, else ``targets.csv`` of the
    case folder) scaled by a percentage, hard or soft (with the shortfall penalty).
    The mid-term solve takes seconds to a minute, so it runs only when *Plan
    mid-term* is pressed, at the explorer's gap and :data:`MIDTERM_TIME_LIMIT`.
    It shows each year's expected order intake against the target and the
    shortfall (``explorer.midterm_table.value``), the hiring plan
    (``explorer.midterm_hires.value``) and the intake chart
    (``explorer.midterm_chart.value``, PNG). ``explorer.midterm_plan`` is the last
    :class:`~kamopt.planning.midterm.MidtermPlan`, ``explorer.midterm_status.value`` says
    ``"Solving…"``, then the status and gap, or the diagnosis (hard targets out of
    reach name each year's shortfall), and ``explorer.midterm_error`` holds the
    last exception. A case without targets is planned without them.
    """

    def _build_midterm(self, targets: pd.DataFrame | None) -> None:
        a = self.midterm_assumptions
        wide = dict(style={"description_width": "150px"}, layout=W.Layout(width="420px"))
        self._targets, self._targets_error = None, None
        try:
            self._targets = self._read_targets(targets)
        except Exception as exc:  # shown in the tab, and again on "Plan mid-term"
            self._targets_error = exc
        self.midterm_controls: dict[str, W.Widget] = {
            "years": W.IntSlider(value=min(max(int(a.years), 1), MIDTERM_MAX_YEARS), min=1,
                                 max=MIDTERM_MAX_YEARS, description="Horizon (years)",
                                 continuous_update=False, **wide),
            "target_scale": W.FloatSlider(value=100.0, min=0.0, max=200.0, step=5.0,
                                          description="Targets (% of case)", readout_format=".0f",
                                          continuous_update=False, **wide),
            "target_mode": W.ToggleButtons(options=list(TARGET_MODES), value=a.target_mode,
                                           tooltips=["must be met", "a shortfall is penalised"],
                                           style={"button_width": "80px"}),
            "shortfall_penalty": W.BoundedFloatText(
                value=float(a.shortfall_penalty), min=0.0, max=1e6, step=0.1,
                description="Shortfall penalty", continuous_update=False,
                style={"description_width": "150px"}, layout=W.Layout(width="300px")),
        }
        for key, w in self.midterm_controls.items():
            w.add_class("kamopt-midterm-" + key.replace("_", "-"))
        self.midterm_controls["target_mode"].observe(self._on_mode, names="value")
        self._on_mode(None)
        self.midterm_button = W.Button(description="Plan mid-term", button_style="primary",
                                       icon="play", layout=W.Layout(width="160px"))
        self.midterm_button.add_class("kamopt-midterm-solve")
        self.midterm_button.on_click(lambda _: self.plan_midterm())
        self.midterm_status = W.Label(value="Not planned yet: press Plan mid-term.")
        self.midterm_status.add_class("kamopt-midterm-status")
        self.midterm_message = W.HTML(value="")
        self.midterm_message.add_class("kamopt-midterm-message")
        self.midterm_info = W.HTML(value=self._targets_info())
        self.midterm_table = W.HTML(value="")
        self.midterm_table.add_class("kamopt-midterm-table")
        self.midterm_hires = W.HTML(value="")
        self.midterm_hires.add_class("kamopt-midterm-hires")
        self.midterm_chart = W.Image(format="png", layout=W.Layout(
            width="100%", max_width="900px", display="none"))  # shown once there is a chart
        if self._targets_error is not None:
            self.midterm_error = self._targets_error
            self.midterm_message.value = _error_box(
                "The targets cannot be read.", str(self._targets_error), last="mid-term plan")
        c = self.midterm_controls
        self.midterm_tab = W.VBox([
            self.midterm_info, c["years"], c["target_scale"],
            W.HBox([W.HTML('<div style="width:142px;text-align:right;padding-right:8px">'
                           "Targets are</div>"), c["target_mode"]]),
            W.HBox([c["shortfall_penalty"],
                    W.HTML("&nbsp;EUR per EUR of order intake short of a soft target")]),
            W.HBox([self.midterm_button, self.midterm_status]), self.midterm_message,
            self.midterm_table, self.midterm_hires, self.midterm_chart])

    def _read_targets(self, targets: pd.DataFrame | None) -> pd.DataFrame:
        if targets is None:
            return load_targets(self.case)
        if not isinstance(targets, pd.DataFrame) or not set(TARGET_COLUMNS) <= set(targets.columns):
            raise ValueError("targets must be a DataFrame with columns year, scope, order_intake; "
                             f"got {type(targets).__name__}"
                             + (f" with columns {list(targets.columns)}"
                                if isinstance(targets, pd.DataFrame) else ""))
        return parse_targets(targets[list(TARGET_COLUMNS)].astype(str), self.case,
                             file="targets")

    def _targets_info(self) -> str:
        tg = self._targets
        if self._targets_error is not None:
            return "<b>Order-intake targets</b>: cannot be read (see below)."
        if tg is None or len(tg) == 0:
            return ("<b>Order-intake targets</b>: this case has none, so the mid-term plan "
                    "maximises the net present value without targets.")
        years = sorted(int(y) for y in tg["year"].unique())
        scopes = ", ".join(sorted(tg["scope"].unique()))
        return (f"<b>Order-intake targets</b>: {len(tg)} for {years[0]}–{years[-1]} "
                f"({html.escape(scopes)}); plan year 1 is {self.midterm_assumptions.start_year}. "
                "The plan uses the scenario of the other tabs.")

    def _on_mode(self, change) -> None:
        c = self.midterm_controls
        c["shortfall_penalty"].disabled = c["target_mode"].value == "hard"

    def midterm_targets(self) -> pd.DataFrame:
        """The case's targets scaled by the "Targets (% of case)" control.

        Examples
        --------
        >>> import pandas as pd
        >>> from kamopt.case.sample import make_case
        >>> from kamopt.present.widgets import ScenarioExplorer
        >>> tg = pd.DataFrame({"year": [2027], "scope": ["company"], "order_intake": [1e6]})
        >>> ex = ScenarioExplorer(make_case(customers=30, managers=3, seed=1), solve=False,
        ...                       targets=tg)
        >>> ex.midterm_controls["target_scale"].value = 90
        >>> ex.midterm_targets()["order_intake"].tolist()
        [900000.0]
        """
        if self._targets_error is not None:
            raise self._targets_error
        scale = float(self.midterm_controls["target_scale"].value) / 100.0
        tg = self._targets.copy()
        tg["order_intake"] = tg["order_intake"].astype(float) * scale
        return tg

    @property
    def midterm_settings(self) -> MidtermAssumptions:
        """The mid-term assumptions with the tab's horizon, target mode and penalty."""
        c = self.midterm_controls
        return self.midterm_assumptions.replace(
            years=int(c["years"].value), target_mode=str(c["target_mode"].value),
            shortfall_penalty=float(c["shortfall_penalty"].value))

    def plan_midterm(self) -> MidtermPlan | None:
        """Plan the mid-term tab's horizon and targets for the explorer's scenario and show it.

        Errors are shown in the tab (``midterm_status``, ``midterm_message``), not raised;
        the figures shown stay those of the last mid-term plan.
        """
        self.midterm_status.value = (f"{SOLVING} (the whole horizon: up to "
                                     f"{self.midterm_time_limit:.0f} s)")
        self.midterm_button.disabled = True
        t0 = time.perf_counter()
        try:
            a = self.midterm_settings
            scenario = self.scenario.replace(time_limit=self.midterm_time_limit)
            mp = plan_midterm(self.case, scenario, a.years, self.midterm_targets(),
                              assumptions=a, capacity_by_year=self.capacity_by_year)
            self.midterm_error = None
            self.midterm_plan = mp
            self._show_midterm(mp, time.perf_counter() - t0)  # inside: its errors are shown too
            return mp
        except InfeasibleError as exc:
            lines = shortfall_messages(exc) if exc.shortfalls else [" ".join(str(exc).split())]
            self._show_midterm_error(exc, "Infeasible: " + "; ".join(lines), str(exc))
        except KamoptError as exc:
            self._show_midterm_error(exc, f"Cannot plan: {type(exc).__name__}: "
                                     + " ".join(str(exc).split()), str(exc))
        except Exception as exc:  # a callback must never lose an error
            self._show_midterm_error(exc, f"Error: {type(exc).__name__}: {exc}",
                                     str(exc) + "\n\n" + traceback.format_exc(limit=3))
        finally:
            self.midterm_button.disabled = False
        return None

    def _show_midterm_error(self, exc: Exception, headline: str, body: str) -> None:
        self.midterm_error = exc
        self.midterm_status.value = headline
        self.midterm_message.value = _error_box(headline.split(":")[0] + ".", body,
                                                last="mid-term plan")

    def _show_midterm(self, mp: MidtermPlan, seconds: float) -> None:
        self.midterm_chart.value = _png(intake_chart(mp))  # pictures first, the status last
        self.midterm_chart.layout.display = ""
        self.midterm_table.value = midterm_table_html(mp)
        self.midterm_hires.value = hires_html(mp)
        self.midterm_message.value = ""
        y = mp.years
        n_targets = int(y["target"].notna().sum())
        met = (f"targets met in {int(y['target_met'].sum())} of {n_targets} years"
               if n_targets else "no targets")
        gap = "gap" if mp.status == "optimal" else "stopped at the time limit; gap"
        self.midterm_status.value = (f"{mp.status} · {gap} {mp.kpis['mip_gap']:.2%} · "
                                     f"{seconds:.1f} s · {len(y)} years · {met} · "
                                     f"{len(mp.hires)} hires")


def midterm_table_html(mp: MidtermPlan) -> str:
    """Each year's expected order intake against its target and the shortfall (EUR), as HTML.

    Company targets are the year's row; a region's or industry's target is a row of its own.
    """
    y = mp.years
    rows = []
    for year, r in y.iterrows():
        rows.append({"year": year, "scope": "company", "expected intake": r["intake"],
                     "target": r["target"], "shortfall": r["shortfall"],
                     "met": r["target_met"], "key accounts": int(r["key_accounts"]),
                     "new hires": int(r["hires"]), "net": r["net"]})
    for r in mp.targets[mp.targets["scope"] != "company"].itertuples():
        rows.append({"year": r.year, "scope": r.scope, "expected intake": r.intake,
                     "target": r.order_intake, "shortfall": r.shortfall, "met": r.met,
                     "key accounts": None, "new hires": None, "net": np.nan})
    show = pd.DataFrame(rows).sort_values(["year", "scope"], kind="stable")

    def eur(v):
        return "–" if pd.isna(v) else f"{v:,.0f}"

    for col in ("expected intake", "target", "shortfall"):
        show[col] = show[col].map(eur)
    show["net"] = show["net"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    show["met"] = show["met"].map(lambda v: "–" if v is None or pd.isna(v) else
                                  ("yes" if bool(v) else "no"))
    for col in ("key accounts", "new hires"):
        show[col] = show[col].map(lambda v: "" if v is None or pd.isna(v) else f"{int(v)}")
    head = (f"<b>Expected order intake against target</b> (EUR a year; NPV "
            f"{mp.kpis['npv']:,.0f} EUR, total shortfall {mp.kpis['total_shortfall']:,.0f} EUR)")
    style = ("<style>table.kamopt-midterm td, table.kamopt-midterm th {text-align:right;"
             "padding:2px 10px}</style>")
    return head + style + show.to_html(classes="kamopt-table kamopt-midterm", border=0,
                                       escape=True, index=False)


def hires_html(mp: MidtermPlan) -> str:
    """The hiring plan of ``mp`` (profile, year, hours, cost a year) as HTML."""
    head = "<b>Hiring plan</b>"
    one_year = sum(h.count for h in mp.scenario.hires)
    extra = (f" The scenario's {one_year} new KAM(s) work from year 1." if one_year else "")
    if len(mp.hires):
        show = mp.hires[["manager_id", "profile", "year", "capacity", "cost_per_year"]].copy()
        show["capacity"] = show["capacity"].map("{:,.0f} h".format)
        show["cost_per_year"] = show["cost_per_year"].map("{:,.0f} EUR".format)
        return (f"{head} ({len(show)} hires){html.escape(extra)}"
                + show.to_html(classes="kamopt-table", border=0, escape=True, index=False))
    if not mp.assumptions.hire_profiles:
        why = "the mid-term assumptions have no hire profiles (midterm_assumptions=)."
    else:
        why = "none of the hire profiles pays for itself or is needed for a target."
    return f"{head}: no hires; {html.escape(why + extra)}"
