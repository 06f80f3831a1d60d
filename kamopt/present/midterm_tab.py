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
from kamopt.i18n import N_, number, percent, tr
from kamopt.planning.midterm import MidtermPlan, plan_midterm, shortfall_messages
from kamopt.present.explorer_view import SOLVING, _error_box, _png, set_options
from kamopt.present.midterm_chart import intake_chart

#: seconds the mid-term solve may take (the one-year re-solves take 5)
MIDTERM_TIME_LIMIT = 60.0

#: the longest horizon the explorer offers (plan_midterm allows 10)
MIDTERM_MAX_YEARS = 5

#: the target modes as the tab says them (messages), and what they mean
MODE_WORDS = {"hard": (N_("hard"), N_("must be met")),
              "soft": (N_("soft"), N_("a shortfall is penalised"))}

#: what the figures of a failed mid-term plan are
LAST_MIDTERM = N_("The figures below are those of the last mid-term plan.")


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
        t = self.texts
        self._midterm_shown = None  # how to show the last mid-term result again: (method, args)
        wide = dict(style={"description_width": "150px"}, layout=W.Layout(width="420px"))
        self._targets, self._targets_error = None, None
        try:
            self._targets = self._read_targets(targets)
        except Exception as exc:  # shown in the tab, and again on "Plan mid-term"
            self._targets_error = exc
        self.midterm_controls: dict[str, W.Widget] = {
            "years": W.IntSlider(value=min(max(int(a.years), 1), MIDTERM_MAX_YEARS), min=1,
                                 max=MIDTERM_MAX_YEARS, continuous_update=False, **wide),
            "target_scale": W.FloatSlider(value=100.0, min=0.0, max=200.0, step=5.0,
                                          readout_format=".0f", continuous_update=False, **wide),
            "target_mode": W.ToggleButtons(options=self._mode_options(), value=a.target_mode,
                                           tooltips=[tr(MODE_WORDS[m][1]) for m in TARGET_MODES],
                                           style={"button_width": "80px"}),
            "shortfall_penalty": W.BoundedFloatText(
                value=float(a.shortfall_penalty), min=0.0, max=1e6, step=0.1,
                continuous_update=False,
                style={"description_width": "150px"}, layout=W.Layout(width="300px")),
        }
        c = self.midterm_controls
        t.add(c["years"], N_("Horizon (years)"))
        t.add(c["target_scale"], N_("Targets (% of case)"))
        t.add(c["shortfall_penalty"], N_("Shortfall penalty"))
        for key, w in self.midterm_controls.items():
            w.add_class("kamopt-midterm-" + key.replace("_", "-"))
        self.midterm_controls["target_mode"].observe(self._on_mode, names="value")
        self._on_mode(None)
        self.midterm_button = t.add(W.Button(button_style="primary", icon="play",
                                             layout=W.Layout(width="160px")), N_("Plan mid-term"))
        self.midterm_button.add_class("kamopt-midterm-solve")
        self.midterm_button.on_click(lambda _: self.plan_midterm())
        self.midterm_status = W.Label(value=tr("Not planned yet: press Plan mid-term."))
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
            self._midterm_shown = (self._show_targets_error, ())
            self._show_targets_error()
        self.midterm_tab = W.VBox([
            self.midterm_info, c["years"], c["target_scale"],
            W.HBox([t.html(N_('<div style="width:142px;text-align:right;padding-right:8px">'
                              "Targets are</div>")), c["target_mode"]]),
            W.HBox([c["shortfall_penalty"],
                    t.html(N_("&nbsp;EUR per EUR of order intake short of a soft target"))]),
            W.HBox([self.midterm_button, self.midterm_status]), self.midterm_message,
            self.midterm_table, self.midterm_hires, self.midterm_chart])

    def _mode_options(self) -> list[tuple[str, str]]:
        return [(tr(MODE_WORDS[m][0]), m) for m in TARGET_MODES]

    def _show_targets_error(self, again: bool = False) -> None:
        self.midterm_message.value = _error_box(
            tr("The targets cannot be read."), str(self._targets_error), last=LAST_MIDTERM)

    def _midterm_again(self) -> None:
        """The tab in the current language: its options, what it says, its last result."""
        c = self.midterm_controls
        set_options(c["target_mode"], self._mode_options())
        c["target_mode"].tooltips = [tr(MODE_WORDS[m][1]) for m in TARGET_MODES]
        self.midterm_info.value = self._targets_info()
        if self._midterm_shown is None:
            self.midterm_status.value = tr("Not planned yet: press Plan mid-term.")
        else:
            method, args = self._midterm_shown
            method(*args, again=True)

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
            return tr("<b>Order-intake targets</b>: cannot be read (see below).")
        if tg is None or len(tg) == 0:
            return tr("<b>Order-intake targets</b>: this case has none, so the mid-term plan "
                      "maximises the net present value without targets.")
        years = sorted(int(y) for y in tg["year"].unique())
        scopes = ", ".join(sorted(tg["scope"].unique()))
        return tr("<b>Order-intake targets</b>: {n} for {first}–{last} ({scopes}); plan year 1 "
                  "is {start}. The plan uses the scenario of the other tabs.", n=len(tg),
                  first=years[0], last=years[-1], scopes=html.escape(scopes),
                  start=self.midterm_assumptions.start_year)

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
        self.midterm_status.value = tr("{solving} (the whole horizon: up to {seconds} s)",
                                       solving=tr(SOLVING),
                                       seconds=f"{self.midterm_time_limit:.0f}")
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
            self._show_midterm_error(exc, "infeasible", "; ".join(lines), str(exc))
        except KamoptError as exc:
            self._show_midterm_error(exc, "cannot", f"{type(exc).__name__}: "
                                     + " ".join(str(exc).split()), str(exc))
        except Exception as exc:  # a callback must never lose an error
            self._show_midterm_error(exc, "error", f"{type(exc).__name__}: {exc}",
                                     str(exc) + "\n\n" + traceback.format_exc(limit=3))
        finally:
            self.midterm_button.disabled = False
        return None

    def _show_midterm_error(self, exc: Exception, kind: str, what: str, body: str,
                            again: bool = False) -> None:
        """Show why there is no mid-term plan: ``kind`` is ``"infeasible"``, ``"cannot"``
        or ``"error"``, ``what`` the status line's words after it."""
        self.midterm_error = exc
        self._midterm_shown = (self._show_midterm_error, (exc, kind, what, body))
        word = {"infeasible": tr("Infeasible"), "cannot": tr("Cannot plan"),
                "error": tr("Error")}[kind]
        self.midterm_status.value = f"{word}: {what}"
        self.midterm_message.value = _error_box(word + ".", body, last=LAST_MIDTERM)

    def _show_midterm(self, mp: MidtermPlan, seconds: float, again: bool = False) -> None:
        self._midterm_shown = (self._show_midterm, (mp, seconds))
        self.midterm_chart.value = _png(intake_chart(mp))  # pictures first, the status last
        self.midterm_chart.layout.display = ""
        self.midterm_table.value = midterm_table_html(mp)
        self.midterm_hires.value = hires_html(mp)
        self.midterm_message.value = ""
        y = mp.years
        n_targets = int(y["target"].notna().sum())
        met = (tr("targets met in {k} of {n} years", k=int(y["target_met"].sum()), n=n_targets)
               if n_targets else tr("no targets"))
        gap = percent(mp.kpis["mip_gap"], 2)
        gap = (tr("gap {gap}", gap=gap) if mp.status == "optimal"
               else tr("stopped at the time limit; gap {gap}", gap=gap))
        self.midterm_status.value = " · ".join([
            f"{tr(mp.status)} · {gap}",
            f"{number(seconds, 1)} s", tr("{n} years", n=len(y)), met,
            tr("{n} hires", n=len(mp.hires))])


#: the mid-term table's headers (messages)
MIDTERM_COLUMNS = {"year": N_("year"), "scope": N_("scope"),
                   "expected intake": N_("expected intake"), "target": N_("target"),
                   "shortfall": N_("shortfall"), "met": N_("met"),
                   "key accounts": N_("key accounts"), "new hires": N_("new hires"),
                   "net": N_("net")}


def midterm_table_html(mp: MidtermPlan) -> str:
    """Each year's expected order intake against its target and the shortfall (EUR), as HTML.

    Company targets are the year's row; a region's or industry's target is a row of its own.
    """
    y = mp.years
    rows = []
    for year, r in y.iterrows():
        rows.append({"year": year, "scope": tr("company"), "expected intake": r["intake"],
                     "target": r["target"], "shortfall": r["shortfall"],
                     "met": r["target_met"], "key accounts": int(r["key_accounts"]),
                     "new hires": int(r["hires"]), "net": r["net"]})
    for r in mp.targets[mp.targets["scope"] != "company"].itertuples():
        rows.append({"year": r.year, "scope": r.scope, "expected intake": r.intake,
                     "target": r.order_intake, "shortfall": r.shortfall, "met": r.met,
                     "key accounts": None, "new hires": None, "net": np.nan})
    show = pd.DataFrame(rows).sort_values(["year", "scope"], kind="stable")

    def eur(v):
        return "–" if pd.isna(v) else number(v)

    for col in ("expected intake", "target", "shortfall"):
        show[col] = show[col].map(eur)
    show["net"] = show["net"].map(lambda v: "" if pd.isna(v) else number(v))
    show["met"] = show["met"].map(lambda v: "–" if v is None or pd.isna(v) else
                                  (tr("yes") if bool(v) else tr("no")))
    for col in ("key accounts", "new hires"):
        show[col] = show[col].map(lambda v: "" if v is None or pd.isna(v) else f"{int(v)}")
    show.columns = [tr(MIDTERM_COLUMNS[c]) for c in show.columns]
    head = tr("<b>Expected order intake against target</b> (EUR a year; NPV {npv} EUR, total "
              "shortfall {shortfall} EUR)", npv=number(mp.kpis["npv"]),
              shortfall=number(mp.kpis["total_shortfall"]))
    style = ("<style>table.kamopt-midterm td, table.kamopt-midterm th {text-align:right;"
             "padding:2px 10px}</style>")
    return head + style + show.to_html(classes="kamopt-table kamopt-midterm", border=0,
                                       escape=True, index=False)


#: the hiring plan's headers (messages)
HIRE_COLUMNS = {"manager_id": N_("manager_id"), "profile": N_("profile"), "year": N_("year"),
                "capacity": N_("capacity"), "cost_per_year": N_("cost_per_year")}


def hires_html(mp: MidtermPlan) -> str:
    """The hiring plan of ``mp`` (profile, year, hours, cost a year) as HTML."""
    head = tr("<b>Hiring plan</b>")
    one_year = sum(h.count for h in mp.scenario.hires)
    extra = (" " + tr("The scenario's {n} new KAM(s) work from year 1.", n=one_year)
             if one_year else "")
    if len(mp.hires):
        show = mp.hires[["manager_id", "profile", "year", "capacity", "cost_per_year"]].copy()
        show["capacity"] = show["capacity"].map(lambda v: f"{number(v)} h")
        show["cost_per_year"] = show["cost_per_year"].map(lambda v: f"{number(v)} EUR")
        show.columns = [tr(HIRE_COLUMNS[c]) for c in show.columns]
        return (f"{head} ({html.escape(tr('{n} hires', n=len(show)))}){html.escape(extra)}"
                + show.to_html(classes="kamopt-table", border=0, escape=True, index=False))
    if not mp.assumptions.hire_profiles:
        why = tr("the mid-term assumptions have no hire profiles (midterm_assumptions=).")
    else:
        why = tr("none of the hire profiles pays for itself or is needed for a target.")
    return f"{head}: {html.escape(tr('no hires'))}; {html.escape(why + extra)}"
