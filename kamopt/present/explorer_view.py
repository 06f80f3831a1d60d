"""What the explorer and its tabs show in common: the "Solving…" status, notice and
error boxes, figures as PNG, the plan's table, the labels of the controls and KPI tiles
(messages), and :class:`Texts`: the labels written again in another language when the
app's language switch is turned."""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from kamopt.i18n import N_, number, tr
from kamopt.present.inputs import MONEY_HINT
from kamopt.present.style import PALETTE
from kamopt.units import eur, hours

SOLVING = N_("Solving…")

#: the colour of figures not yet proven within the gap (stopped at the time limit)
PROVISIONAL = "#b36b00"

if TYPE_CHECKING:
    from kamopt.case.scenario import Scenario
    from kamopt.planning.oneyear import Plan

#: the app's heading and what it does (notebooks/app.ipynb shows them above the explorer)
APP_INTRO = N_(
    "<h2 style='margin:0 0 6px'>kamopt · scenario explorer</h2>"
    "<div style='max-width:900px;line-height:1.4'>What if a manager leaves, key account "
    "managers are hired, the budget is cut or more cross-selling potential is realised? "
    "Every assumption of the key-account plan is a control below. A change re-plans the "
    "sample company (Rheinwerk Antriebstechnik GmbH, 250 customers, 14 managers) at once: the "
    "previous plan, repaired for the change, is shown in amber as <i>provisional</i> with the "
    "gap it is proven within, and is refined in the background (10-30 seconds) to the plan of "
    "the scenario at a 0.1% gap, the same plan <code>kamopt plan</code> writes for it. An "
    "infeasible scenario shows <i>why</i> it cannot be met. Give a plan a name to save it, "
    "and compare saved scenarios side by side below.</div>")

#: the same for a case of the user's (``KAMOPT_CASE``, ``make app CASE=...``)
APP_INTRO_CASE = N_(
    "<h2 style='margin:0 0 6px'>kamopt · scenario explorer</h2>"
    "<div style='max-width:900px;line-height:1.4'>What if a manager leaves, key account "
    "managers are hired, the budget is cut or more cross-selling potential is realised? "
    "Every assumption of the key-account plan is a control below. A change re-plans the "
    "case at once: the previous plan, repaired for the change, is shown in amber as "
    "<i>provisional</i> with the gap it is proven within, and is refined in the background "
    "to the plan of the scenario at its gap, the same plan <code>kamopt plan</code> writes "
    "for it. An infeasible scenario shows <i>why</i> it cannot be met. Give a plan a name to "
    "save it, and compare saved scenarios side by side below.</div>")

#: units as the explorer writes them (messages)
EUR_YEAR, EUR_HOUR = N_("EUR/yr"), N_("EUR/h")


def _eur_year(v: float) -> str:
    return eur(v, tr(EUR_YEAR), whole=True, minus="-")


def _hours(v: float) -> str:  # a workload index of 4.8 reads 4.8, not 5
    return f"{hours(v)} h"


def _count(v: float) -> str:
    return number(int(v))


#: KPI key -> (label, how its value is shown); three tiles a row: money, accounts, hours
KPI_LABELS = {
    "objective": (N_("Net contribution"), _eur_year),
    "value_from_potential": (N_("from potential"), _eur_year),
    "value_from_retention": (N_("from retention"), _eur_year),
    "key_accounts": (N_("Key accounts"), _count),
    "accounts_changing_hands": (N_("Led by a new manager"),
                                lambda v: tr("{n} accounts", n=number(int(v)))),
    "activities_run": (N_("Activities run"), _count),
    "hours_used": (N_("KAM hours used"), _hours),
    "hours_available": (N_("KAM hours available"), _hours),
    "cost": (N_("Cost"), _eur_year),
}

#: the controls' labels (messages), and the hints in empty ones
CONTROL_LABELS = {
    "capacity_scale": N_("Capacity scale"),
    "realization": N_("Realisation (α)"),
    "retention": N_("Retention (β)"),
    "industry_fit": N_("Industry fit (δ)"),
    "continuity_bonus": N_("Continuity EUR/yr"),
    "use_budget": N_("Cap the budget"),
    "budget": N_("Budget EUR/yr"),
    "min_key_accounts": N_("Min key accounts"),
    "use_max": N_("Cap key accounts"),
    "max_key_accounts": N_("Max key accounts"),
    "use_disruption": N_("Cap handovers"),
    "max_disruption": N_("Changes allowed"),
    "use_balance": N_("Balance workloads"),
    "balance": N_("Within ± of the mean"),
    "least_largest": N_("Least largest workload first"),
    "fewest_moves": N_("Fewest handovers among equally good plans"),
    "unavailable_managers": N_("Managers away"),
    "hires": N_("New KAMs"),
    "hire_seniority": N_("Their seniority"),
    "hire_capacity": N_("Their hours/yr"),
    "hire_cost": N_("Their EUR/h"),
    "must": N_("Must be key"),
    "exclude": N_("Exclude"),
    "leads": N_("Fixed leads"),
    "excluded_leads": N_("Not led by"),
    "coverage": N_("Fixed levels"),
    "committed_activities": N_("Committed"),
}
CONTROL_HINTS = {
    "continuity_bonus": N_("e.g. 5.000"),
    "budget": MONEY_HINT,
    "hire_cost": N_("e.g. 95"),
    "leads": N_("K0051: M08   (one account: lead manager a line)"),
    "excluded_leads": N_("K0051: M08, M11   (managers who may not lead the account)"),
    "coverage": N_("K0051: intensive   (one account: coverage level a line)"),
    "committed_activities": N_("K0051: A05, A02   (activities the account runs whatever they "
                               "earn)"),
}

#: the explorer's tabs (messages)
TAB_TITLES = (N_("Assumptions"), N_("Managers & hires"), N_("Customers"), N_("Mid-term"),
              N_("Robustness"), N_("Response"))

#: a plan's status as the status line says it
STATUS_WORDS = {"optimal": N_("optimal"), "feasible": N_("feasible"),
                "provisional": N_("provisional")}




class Texts:
    """The labels of a set of widgets as messages (English msgids), written in the current
    language: :meth:`add` sets one and keeps it, :meth:`apply` writes them all again
    (after :func:`kamopt.i18n.set_language`).

    >>> import ipywidgets as W
    >>> from kamopt.i18n import language
    >>> texts = Texts()
    >>> b = texts.add(W.Button(), N_("Save plan"))
    >>> with language("de"):
    ...     texts.apply()
    >>> b.description
    'Plan speichern'
    """

    def __init__(self):
        self.items: list[tuple[object, str, str, dict]] = []

    def add(self, widget, msgid: str, attr: str = "description", **fields):
        """Set ``widget.<attr>`` to ``msgid`` in the current language, and keep it so."""
        self.items.append((widget, attr, msgid, fields))
        setattr(widget, attr, tr(msgid, **fields))
        return widget

    def html(self, msgid: str, **fields):
        """A :class:`ipywidgets.HTML` showing ``msgid`` (HTML) in the current language."""
        import ipywidgets as W

        return self.add(W.HTML(), msgid, "value", **fields)

    def apply(self) -> None:
        for widget, attr, msgid, fields in self.items:
            setattr(widget, attr, tr(msgid, **fields))


def set_options(widget, pairs) -> None:
    """New option labels for a selection widget, keeping its value (ipywidgets would take the
    first option)."""
    value = widget.value
    widget.options = pairs
    widget.value = value


def _error_box(headline: str, body: str,
               last: str = N_("The figures below are those of the last plan.")) -> str:
    return (f'<div style="border-left:4px solid {PALETTE["vermillion"]};'
            f'padding:4px 10px;background:#fff4ee"><b>{html.escape(headline)}'
            f"</b><pre style='white-space:pre-wrap;margin:4px 0'>{html.escape(body)}</pre>"
            f"<i>{html.escape(tr(last))}</i></div>")


def show_panel_error(panel, exc: Exception, headline: str, last: str) -> None:
    """A panel's batch that did not run (the Robustness tab's sweep, its uncertainty
    analysis): the error kept, said in the status line and in a box under ``headline``, and
    remembered so that a language switch says it again."""
    panel.error = exc
    panel._shown = (panel._show_error, (exc,))
    panel.status.value = tr("Cannot tell: {why}", why=" ".join(str(exc).split()))
    panel.message.value = _error_box(headline, str(exc), last=last)


def _notice_box(headline: str, body: str | list[str]) -> str:
    """An amber box: a headline and a body (a list of lines: one a line)."""
    lines = [body] if isinstance(body, str) else body
    text = "<br>".join(html.escape(line) for line in lines)
    return (f'<div class="kamopt-notice" style="border-left:4px solid {PROVISIONAL};'
            f'padding:4px 10px;background:#fff8e6"><b>{html.escape(headline)}</b>'
            f"<div style='margin:4px 0'>{text}</div></div>")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


#: the plan table's headers (messages)
PLAN_COLUMNS = {"customer_id": N_("customer_id"), "name": N_("name"), "level": N_("level"),
                "manager_id": N_("manager_id"), "hours": N_("hours"),
                "activities": N_("activities"), "value": N_("value"), "cost": N_("cost"),
                "net": N_("net")}


def plan_table_html(plan: Plan, rows: int = 25) -> str:
    """The key accounts with the largest net contribution, as an HTML table."""
    acc = plan.accounts[plan.accounts["key_account"] == 1].sort_values("net", ascending=False)
    show = acc[["name", "level", "manager_id", "hours", "activities", "value", "cost", "net"]].head(
        rows).copy()
    for col in ("hours", "value", "cost", "net"):
        show[col] = show[col].map(number)
    show["activities"] = show["activities"].fillna("").str.replace(";", ", ")  # it may wrap
    show = show.reset_index()
    head = tr("<b>Key accounts</b> ({n}; the {k} with the largest net contribution, EUR a year)",
              n=number(len(acc)), k=min(rows, len(acc)))
    # text left, numbers right, the header over its column the same way
    left = [i + 1 for i, c in enumerate(show.columns)
            if c in ("customer_id", "name", "level", "manager_id", "activities")]
    show.columns = [tr(PLAN_COLUMNS.get(c, c)) for c in show.columns]
    cells = ", ".join(f"table.kamopt-plan th:nth-child({i}), table.kamopt-plan td:nth-child({i})"
                      for i in left)
    style = ("<style>table.kamopt-plan th, table.kamopt-plan td {text-align:right;"
             f"padding:2px 10px;vertical-align:top}} {cells} {{text-align:left}}</style>")
    return head + style + show.to_html(classes="kamopt-table kamopt-plan", border=0,
                                       escape=True, index=False)


def _stop_words(stopped_by: str, scenario: Scenario) -> str:
    """Why a solve stopped, in words for the status line."""
    if stopped_by == "time":
        return tr("stopped at the time limit ({seconds} s, a safety net)",
                  seconds=format(scenario.time_limit, "g"))
    if stopped_by == "nodes":
        return tr("stopped at its work budget")
    if stopped_by == "cancelled":
        return tr("was cancelled")
    return tr("stopped")


def limit_controls(base, n: int, text: dict) -> dict:
    """The explorer's limits on who serves whom (issue 23): how many key accounts may change
    hands (``max_disruption: {accounts: n}``), whether among the plans within the gap the one
    that moves fewest is taken (``tie_break: least_disruption``), how far a manager's share of
    capacity in use may be from the mean (``balance: {measure: utilisation, within: w}``;
    managers' capacities differ, so a band in hours would hold everyone near the smallest),
    each with its on/off box, and
    whether the largest workload is made as small as can be first (``balance: {objective:
    least_largest_workload}``, then the net contribution)."""
    import ipywidgets as W

    cap = dict(base.max_disruption).get("accounts")
    within = base.balance.within if base.balance is not None else None
    least = base.balance is not None and base.balance.objective is not None
    return {
        "fewest_moves": W.Checkbox(value=base.tie_break is not None, indent=False,
                                   layout=W.Layout(width="auto", margin="0 0 0 16px")),
        "use_disruption": W.Checkbox(value=cap is not None, indent=False),
        "max_disruption": W.BoundedIntText(value=int(cap) if cap is not None else 0, min=0,
                                           max=n, **text),
        "use_balance": W.Checkbox(value=within is not None, indent=False),
        "balance": W.BoundedFloatText(value=within if within is not None else 0.2, min=0.0,
                                      max=1.0, step=0.05, **text),
        "least_largest": W.Checkbox(value=least, indent=False,
                                    layout=W.Layout(width="auto", margin="0 0 0 16px")),
    }


def limit_values(controls: dict, base) -> dict:
    """The scenario fields of :func:`limit_controls`: the base's caps in other measures and
    its balance measure and its tie-break's measure kept. A band the base does not have is
    in utilisation (hours over capacity; with the least largest workload in hours, the same
    objective); a base's revenue or accounts measure is kept."""
    from kamopt.case.balance import BALANCE_OBJECTIVES, HOURS_MEASURES, Balance

    c = controls
    caps = tuple((m, v) for m, v in base.max_disruption if m != "accounts")
    if c["use_disruption"].value:
        caps += (("accounts", float(c["max_disruption"].value)),)
    within = float(c["balance"].value) if c["use_balance"].value else None
    objective = BALANCE_OBJECTIVES[0] if c["least_largest"].value else None
    own = base.balance
    new_band = within is not None and (own is None or own.within is None
                                       and own.measure in HOURS_MEASURES)
    measure = "utilisation" if new_band else own.measure if own is not None else "hours"
    balance = (Balance(measure=measure, within=within, objective=objective)
               if within is not None or objective is not None else None)
    tie_break = ((base.tie_break or ("least_disruption", "accounts"))
                 if c["fewest_moves"].value else None)
    return {"max_disruption": caps, "balance": balance, "tie_break": tie_break}
