"""The judged response editor: a key's judgements beside its fitted ADBUDG curve, editable.

:class:`ResponseEditor` is an ipywidgets panel over a judgements table (``judgements.csv``,
docs/response.md): pick a judged key (an account or an industry), change the order intake
judged at an effort, and the curve is fitted again (:func:`~kamopt.analysis.response_fit.
fit_judgements`), the chart drawn again (:func:`~kamopt.present.response_chart.
response_chart`), and the fit's quality (RMSE, R², the flags) and the scenario's coverage
levels on the curve (hours and realisation, :func:`~kamopt.analysis.response_fit.
response_details`) shown. "Use these responses" makes the case with the fitted rows of
``responses.csv`` (:func:`~kamopt.analysis.response_fit.merged_responses`) and hands it to
``on_apply``, so that a notebook or the explorer plans with it.

An amount is read as people write it (:func:`~kamopt.case.numbers.parse_money`:
``1.500.000``, ``1,5 Mio``, ``1,500,000``) and then checked as a file's cell is
(:func:`~kamopt.analysis.response_fit.parse_judgements`): what does not read (text, a
negative amount) is refused with its message naming row and column of the table, and
nothing is fitted again; the last good fit stays on show and in :attr:`responses`.

>>> import kamopt, pandas as pd
>>> from pathlib import Path
>>> data = Path(kamopt.__file__).parents[1] / "data"
>>> case = kamopt.load_case(data / "sample")
>>> ed = ResponseEditor(case, data / "scenarios" / "base.yml",
...                     pd.read_csv(data / "judgements" / "judgements.csv"))
>>> ed.select("customer_id", "K0032")
>>> ed.set_intake(1.0, "1,6 Mio")
>>> round(ed.fit.a), ed.inputs[2].value
(2600000, '1,600,000')
>>> ed.set_intake(1.0, "-5")
>>> ed.error is not None, "row 9, column &#x27;order_intake&#x27;: got &#x27;-5&#x27;" in ed.message.value
(True, True)
"""

from __future__ import annotations

import dataclasses
import html
import io
import math
from collections.abc import Callable

import ipywidgets as W
import numpy as np
import pandas as pd

from kamopt.analysis.response_fit import (
    FLAGS,
    Fit,
    fit_judgements,
    fitted_responses,
    merged_responses,
    parse_judgements,
    response_details,
)
from kamopt.case.numbers import parse_money
from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.errors import InputError
from kamopt.i18n import N_, localise, number, percent, tr
from kamopt.present.inputs import money_text
from kamopt.present.response_chart import response_chart
from kamopt.present.style import PALETTE

#: the columns of the cells the editor keeps (judgements.csv's)
CELLS = ("customer_id", "industry", "effort", "order_intake")
#: why response_details clipped a realisation (its English notes), for the table
_NOTES = {
    "no potential to realise": N_("no potential to realise"),
    "uplift below what retention already counts": N_("uplift below what retention already "
                                                     "counts"),
    "uplift beyond the potential": N_("uplift beyond the potential"),
}
_METHODS = {"calibrate": N_("Little's calibration"), "least_squares": N_("least squares")}


def _cell(v: object) -> str:
    """A cell of the table as text ("" for an empty one; 8600000 for 8600000.0)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()


def _read(text: str) -> str:
    """The typed amount as parse_judgements reads it: a plain number where it reads as money
    people write (``1.500.000``, ``1,5 Mio``) and is not negative, else as typed (so the check
    names what was typed)."""
    text = text.strip()
    try:
        x = parse_money(text)
    except ValueError:
        return text
    return repr(float(x)) if x >= 0 else text


def _effort_label(effort: float) -> str:
    if math.isinf(effort):
        return tr("saturation")
    if effort == 1.0:
        return tr("{effort} (today)", effort=percent(1.0))
    return percent(effort)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


def _box(colour: str, headline: str, lines: list[str]) -> str:
    body = "<br>".join(html.escape(line) for line in lines)
    return (f'<div style="border-left:4px solid {colour};padding:4px 10px;background:#fff4ee">'
            f"<b>{html.escape(headline)}</b><div style='margin:4px 0'>{body}</div></div>")


class ResponseEditor(W.VBox):
    """A judged key's judgements, editable, beside the curve fitted to them.

    ``judgements`` is a table of cells as judgements.csv holds them (``pd.read_csv`` of
    it): columns customer_id and/or industry, effort, order_intake. It is checked at once
    (a :class:`~kamopt.errors.CaseError` if it has problems). ``on_apply(case)`` is called
    by :meth:`apply` ("Use these responses") with the case whose responses are the fitted
    ones. ``current_scenario()``, if given, is the scenario as it is when the button is
    pressed (the explorer's; None while it does not read): its levels and retention then
    replace those of ``scenario`` before the responses are made. State: :attr:`fits` (one a
    key, the last good fit), :attr:`judgements` (as checked), :attr:`error` (the last
    refused edit, or None), :attr:`responses`.
    """

    def __init__(self, case: Case, scenario, judgements: pd.DataFrame, *,
                 on_apply: Callable[[Case], object] | None = None, method: str = "auto",
                 current_scenario: Callable[[], Scenario | None] | None = None):
        self.case = case
        self.scenario = Scenario.coerce(scenario)
        self.current_scenario = current_scenario
        self.method = method
        self.on_apply = on_apply
        self.applied: Case | None = None
        self.error: Exception | None = None
        cells = pd.DataFrame({c: [_cell(v) for v in judgements[c]] if c in judgements else ""
                              for c in CELLS}, index=range(len(judgements)))
        self.judgements = parse_judgements(cells, case)  # raises on a bad table: nothing to edit
        self.fits: list[Fit] = fit_judgements(self.judgements, method)
        cells["order_intake"] = [repr(float(v)) for v in self.judgements["order_intake"]]
        self._cells = cells
        self._writing = False

        self.title = W.HTML()
        self.picker = W.Dropdown(layout=W.Layout(width="420px"),
                                 style={"description_width": "initial"})
        self.picker.add_class("kamopt-response-picker")
        self.grid = W.VBox()
        self.grid.add_class("kamopt-response-grid")
        self.inputs: list[W.Text] = []
        self._rows: list[int] = []  # the cells' positions of the inputs
        self.message = W.HTML("")
        self.message.add_class("kamopt-response-message")
        self.quality = W.HTML("")
        self.quality.add_class("kamopt-response-quality")
        self.levels_table = W.HTML("")
        self.levels_table.add_class("kamopt-response-levels")
        # beside the judgements where there is room (the explorer's 1280 px), else below
        self.chart = W.Image(format="png", layout=W.Layout(flex="1 1 420px", min_width="0",
                                                           max_width="760px"))
        self.chart.add_class("kamopt-response-chart")
        self.button = W.Button(button_style="primary", icon="check",
                               layout=W.Layout(width="220px"))
        self.button.add_class("kamopt-response-apply")
        self.button.on_click(lambda _: self.apply())
        self.status = W.Label("")
        left = W.VBox([self.picker, self.grid, self.message, self.quality, self.levels_table,
                       W.HBox([self.button, self.status])],
                      layout=W.Layout(flex="0 1 auto", min_width="380px", max_width="600px"))
        super().__init__([self.title, W.HBox([left, self.chart],
                                             layout=W.Layout(flex_flow="row wrap"))])
        self.picker.options = self._choices()
        self.picker.value = self.picker.options[0][1]
        self._quiet = False  # while the picker's labels are written again
        self.picker.observe(lambda _: None if self._quiet else self._show_key(), names="value")
        self.relabel()

    # ------------------------------------------------------------------ reading
    @property
    def widget(self) -> W.VBox:
        """The panel (itself), as the explorer's tabs have one."""
        return self

    @property
    def selected(self) -> tuple[str, str]:
        """The key on show: (kind, key), kind ``customer_id`` or ``industry``."""
        return self.picker.value

    @property
    def fit(self) -> Fit:
        """The fit of the key on show."""
        kind, key = self.selected
        return next(f for f in self.fits if (f.kind, f.key) == (kind, key))

    @property
    def responses(self) -> pd.DataFrame:
        """The case's responses.csv with the fitted rows of every judged account (customer_id,
        level, hours, realization), from the last good fits."""
        return merged_responses(self.case, fitted_responses(self.case, self.scenario, self.fits))

    @property
    def levels(self) -> list[tuple[str, float]]:
        """The scenario's levels as (name, hours factor), as the chart marks them."""
        return [(lv.name, float(lv.hours_factor)) for lv in self.scenario.levels]

    def _choices(self) -> list[tuple[str, tuple[str, str]]]:
        names = self.case.customers["name"] if "name" in self.case.customers else None
        out = []
        for kind, key in dict.fromkeys(zip(self.judgements["kind"], self.judgements["key"],
                                           strict=True)):
            if kind == "customer_id":
                name = str(names.get(key, "")) if names is not None else ""
                label = f"{key} {name}".strip()
            else:
                label = tr("industry {name}", name=key)
            out.append((label, (kind, key)))
        return out

    # ------------------------------------------------------------------ acting
    def select(self, kind: str, key: str) -> None:
        """Show the key ``key`` of ``kind`` (``customer_id`` or ``industry``)."""
        self.picker.value = (kind, key)

    def set_intake(self, effort: float, text: str) -> None:
        """Type ``text`` as the order intake judged at ``effort`` of the key on show (as a
        user would: the curve is fitted again, or the edit refused)."""
        efforts = self.judgements["effort"].to_numpy(float)
        for w, pos in zip(self.inputs, self._rows, strict=True):
            if efforts[pos] == effort:
                w.value = text
                return
        raise KeyError(f"no judgement of {self.selected[1]} at effort {effort}")

    def refit(self) -> bool:
        """Check the table as typed and fit it again; False (and the message shown, the last
        good fit kept) where it has problems."""
        cells = self._cells.copy()
        cells["order_intake"] = [_read(t) for t in cells["order_intake"]]
        try:
            checked = parse_judgements(cells, self.case)
        except InputError as exc:
            self.error = exc
            self.message.value = _box(
                PALETTE["vermillion"], tr("Not fitted again: the judgements have problems."),
                [str(p) for p in exc.problems] + [tr("The curve shown is the last good fit.")])
            self.button.disabled = True
            return False
        self.error = None
        self.message.value = ""
        self.judgements = checked
        self.fits = fit_judgements(checked, self.method)
        self._cells["order_intake"] = [repr(float(v)) for v in checked["order_intake"]]
        self._write_inputs()
        self.button.disabled = False
        self._draw()
        return True

    def apply(self) -> Case | None:
        """The case with the fitted responses (:attr:`responses`), handed to ``on_apply``; None
        (and nothing handed) while the table has problems."""
        if self.error is not None:
            self.status.value = tr("Fix the judgements first.")
            return None
        now = self.current_scenario() if self.current_scenario is not None else None
        if now is not None and (now.levels, now.retention) != (self.scenario.levels,
                                                               self.scenario.retention):
            self.scenario = self.scenario.replace(levels=now.levels, retention=now.retention)
            self._draw()  # the levels on the curve as they are now
        self.applied = dataclasses.replace(self.case, responses=self.responses)
        n = len(fitted_responses(self.case, self.scenario, self.fits)["customer_id"].unique())
        self.status.value = tr("Responses of {n} judged accounts in use.", n=n)
        if self.on_apply is not None:
            self.on_apply(self.applied)
        return self.applied

    def relabel(self) -> None:
        """Everything in the current language (kamopt.i18n), nothing fitted again."""
        self.title.value = "<h4>{}</h4><p>{}</p>".format(
            html.escape(tr("Judged response")),
            html.escape(tr("The order intake a year judged at each effort (a share of today's "
                           "coverage); change one and the curve is fitted again.")))
        self.picker.description = tr("Judged")
        value, self._quiet = self.picker.value, True  # new labels, the same key
        try:
            self.picker.options = self._choices()
            self.picker.value = value
        finally:
            self._quiet = False
        self.button.description = tr("Use these responses")
        self.button.tooltip = tr("Plan with the fitted responses of every judged account")
        if self.inputs:  # the same fields written again, none made anew
            self._write_labels()
            self._write_inputs()
            self._draw()
        else:
            self._show_key()

    # ------------------------------------------------------------------ showing
    def _show_key(self) -> None:
        kind, key = self.selected
        j = self.judgements
        rows = np.flatnonzero(((j["kind"] == kind) & (j["key"] == key)).to_numpy())
        self._rows = [int(r) for r in rows]
        self.inputs, self._labels, lines = [], [], []
        for pos in self._rows:
            text = W.Text(continuous_update=False, layout=W.Layout(width="170px"))
            text.add_class("kamopt-response-intake")
            text.observe(lambda change, pos=pos: self._edited(pos, change["new"]), names="value")
            self.inputs.append(text)
            self._labels.append(W.HTML())
            lines.append(W.HBox([self._labels[-1], text, W.Label("EUR")]))
        self._head = W.HTML()
        self.grid.children = [self._head, *lines]
        self._write_labels()
        self._write_inputs()
        self._draw()

    def _write_labels(self) -> None:
        """The grid's header and efforts in the current language."""
        self._head.value = (
            '<div style="display:flex"><b style="width:138px;text-align:right">{}</b>'
            '<b style="padding-left:8px">{}</b></div>'.format(
                html.escape(tr("effort")), html.escape(tr("order intake (EUR a year)"))))
        efforts = self.judgements["effort"].to_numpy(float)
        for label, pos in zip(self._labels, self._rows, strict=True):
            label.value = (f'<div style="width:130px;text-align:right;padding-right:8px">'
                           f"{html.escape(_effort_label(float(efforts[pos])))}</div>")

    def _write_inputs(self) -> None:
        """The amounts of the key on show, in the current language's writing."""
        self._writing = True
        try:
            for w, pos in zip(self.inputs, self._rows, strict=True):
                text = self._cells["order_intake"].iloc[pos]
                try:  # a refused amount stays as typed
                    w.value = money_text(float(text))
                except ValueError:
                    w.value = text
        finally:
            self._writing = False

    def _edited(self, pos: int, text: str) -> None:
        if self._writing:
            return
        self._cells.iloc[pos, self._cells.columns.get_loc("order_intake")] = text
        self.refit()

    def _draw(self) -> None:
        fit = self.fit
        self.chart.value = _png(response_chart(fit, self.judgements, levels=self.levels))
        self.quality.value = self._quality_html(fit)
        self.levels_table.value = self._levels_html(fit)

    @staticmethod
    def _quality_html(fit: Fit) -> str:
        flags = "".join(f' <b style="color:{PALETTE["vermillion"]}">⚠ {html.escape(tr(FLAGS[f]))}'
                        "</b>" for f in fit.flags)
        params = " · ".join(f"{k} = {html.escape(v)}" for k, v in (
            ("a", number(fit.a)), ("b", number(fit.b)), ("c", localise(f"{fit.c:.3f}")),
            ("d", localise(f"{fit.d:.4g}"))))
        return ("<div>{method}: RMSE {rmse} EUR · R² {r2}{flags}<br>"
                "<span style='color:#555'>{params}</span></div>").format(
                    method=html.escape(tr(_METHODS.get(fit.method, fit.method))),
                    rmse=html.escape(number(fit.rmse)),
                    r2=html.escape(localise(f"{fit.r2:.3f}")), flags=flags, params=params)

    def _levels_html(self, fit: Fit) -> str:
        d = response_details(self.case, self.scenario, self.fits)
        d = d[d["source"] == fit.label]
        if not len(d):
            return ""
        per = (d.groupby("level", sort=False)
               .agg(effort=("effort", "first"), hours=("hours", "sum"),
                    order_intake=("order_intake", "first"), uplift=("uplift", "first"),
                    realization=("realization", "first"), note=("note", "first"),
                    n=("customer_id", "size")))
        heads = [tr("level"), tr("hours"), tr("order intake"), tr("uplift"), tr("realisation")]
        cell = 'style="padding:2px 8px;white-space:nowrap;text-align:{}"'
        out = ["<table style='border-collapse:collapse;margin-top:6px'><tr>"]
        out += [f"<th {cell.format('left' if k == 0 else 'right')}>{html.escape(h)}</th>"
                for k, h in enumerate(heads)]
        out.append("</tr>")
        for level, r in per.iterrows():
            note = (f" <span title='{html.escape(tr(_NOTES.get(r.note, r.note)), quote=True)}'>"
                    "⚠</span>") if r.note else ""
            values = [f"{level} ({percent(r.effort)})", number(r.hours), number(r.order_intake),
                      number(r.uplift)]
            out.append("<tr>" + "".join(
                f"<td {cell.format('left' if k == 0 else 'right')}>{html.escape(v)}</td>"
                for k, v in enumerate(values))
                + f"<td {cell.format('right')}>{html.escape(percent(r.realization, 1))}{note}"
                "</td></tr>")
        out.append("</table>")
        notes = sorted({tr(_NOTES.get(n, n)) for n in per["note"] if n})
        if notes:
            out.append("<div style='color:#555'>⚠ {}</div>".format(
                html.escape("; ".join(notes))))
        if fit.kind != "customer_id":
            out.append("<div style='color:#555'>{}</div>".format(html.escape(tr(
                "For the {n} customers of the industry without a judgement of their own; hours "
                "summed.", n=int(per["n"].iloc[0])))))
        return "".join(out)
