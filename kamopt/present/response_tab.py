"""The explorer's "Response" tab: the judged response of accounts, edited beside the fitted
curve, and the explorer planned with it.

The judgements (docs/response.md) are the ``judgements=`` of the explorer (a table of
judgements.csv's cells, or the path of such a file), else the ``judgements.csv`` of the case
folder, if there (the app passes the sample's, ``data/judgements/judgements.csv``, for the
sample company). The tab shows them in a
:class:`~kamopt.present.response_editor.ResponseEditor`: change an order intake and the curve
is fitted again. *Use these responses* makes the case whose responses.csv has the fitted
rows of every judged account (:func:`~kamopt.analysis.response_fit.merged_responses`),
fitted with the explorer's scenario as it is then (its levels and retention), and the
explorer plans on it (a new :class:`~kamopt.analysis.session.PlanSession`; the status line
says so); *Back to the case's responses* plans on the case's own again. Without
judgements the tab says how to provide them; judgements with problems are said with file,
row and column, and nothing can be edited.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as W
import numpy as np
import pandas as pd

from kamopt.analysis.response_fit import read_judgements
from kamopt.analysis.session import PlanSession
from kamopt.errors import KamoptError
from kamopt.i18n import N_, tr
from kamopt.present.explorer_view import _error_box
from kamopt.present.response_editor import ResponseEditor

if TYPE_CHECKING:
    from kamopt.case.tables import Case
    from kamopt.present.widgets import ScenarioExplorer

#: what the tab says without judgements (a message)
NO_JUDGEMENTS = N_(
    "No judgements to edit. Put a <code>judgements.csv</code> into the case folder (columns "
    "<code>customer_id</code> or <code>industry</code>, <code>effort</code> and "
    "<code>order_intake</code>: the order intake a year judged at 0%, 50%, 100% and 150% of "
    "today's coverage and at saturation; see docs/response.md), or pass "
    "<code>judgements=</code> to ScenarioExplorer; then open the explorer again.")


def case_judgements(case: Case) -> Path | None:
    """The ``judgements.csv`` of the case's folder (the name in any case), or None."""
    folder = Path(case.source) if case.source and "://" not in case.source else None
    if folder is None or not folder.is_dir():
        return None
    return next((p for p in sorted(folder.iterdir())
                 if p.name.lower() == "judgements.csv" and p.is_file()), None)


def judgement_cells(case: Case, judgements) -> tuple[pd.DataFrame | None, str]:
    """The judgements as the editor takes them (cells of judgements.csv) and where they come
    from (a file's folder and name: no full path on screen): ``judgements`` (a table, or a
    file's path, read and checked with
    :func:`~kamopt.analysis.response_fit.read_judgements`), else the case folder's
    ``judgements.csv``; ``(None, "")`` without any. Raises the check's
    :class:`~kamopt.errors.CaseError` for a file with problems."""
    if isinstance(judgements, pd.DataFrame):
        return judgements, tr("the table given to the explorer")
    path = Path(judgements) if judgements is not None else case_judgements(case)
    if path is None:
        return None, ""
    j = read_judgements(path, case)
    industry = (j["kind"] == "industry").to_numpy()
    cells = pd.DataFrame({
        "customer_id": np.where(industry, "", j["key"].astype(str)),
        "industry": np.where(industry, j["key"].astype(str), ""),
        "effort": ["saturation" if np.isinf(e) else repr(float(e)) for e in j["effort"]],
        "order_intake": j["order_intake"].astype(float).to_numpy()})
    return cells, f"{path.parent.name}/{path.name}" if path.parent.name else path.name


class ResponseTab:
    """The explorer's "Response" tab (``explorer.response``).

    ``editor`` is the :class:`~kamopt.present.response_editor.ResponseEditor` (None without
    judgements, or when they have problems: then ``error`` is the check's error, said in
    the tab), ``source`` where the judgements come from, ``in_use`` the case the explorer
    plans on after *Use these responses* (None: the case's own responses), ``status.value``
    which responses the explorer plans with.
    """

    def __init__(self, explorer: ScenarioExplorer, judgements=None):
        self.explorer = explorer
        self.own_case, self.own_session = explorer.case, explorer.session
        self.editor: ResponseEditor | None = None
        self.error: Exception | None = None
        self.in_use: Case | None = None
        self.judged = 0  # accounts planned at their judged responses
        self.source = ""
        self.info = W.HTML()
        self.info.add_class("kamopt-response-info")
        self.back_button = explorer.texts.add(
            W.Button(icon="undo", disabled=True, layout=W.Layout(width="260px")),
            N_("Back to the case's responses"))
        self.back_button.add_class("kamopt-response-back")
        self.back_button.on_click(lambda _: self.restore())
        self.status = W.Label("")
        self.status.add_class("kamopt-response-status")
        try:
            cells, self.source = judgement_cells(explorer.case, judgements)
            if cells is not None:
                self.editor = ResponseEditor(
                    explorer.case, explorer.scenario_or_none() or explorer.base, cells,
                    on_apply=self.use, current_scenario=explorer.scenario_or_none)
        except KamoptError as exc:  # said in the tab; the explorer works without it
            self.error = exc
        parts = [self.editor, W.HBox([self.back_button, self.status])] if self.editor else []
        self.widget = W.VBox([self.info, *parts])
        self.relabel(again=False)

    # ------------------------------------------------------------------ acting
    def use(self, case: Case) -> None:
        """Plan the explorer on ``case`` (the case with the judged responses): what *Use these
        responses* calls."""
        from kamopt.analysis.response_fit import fitted_responses

        fitted = fitted_responses(self.own_case, self.editor.scenario, self.editor.fits)
        self._switch(case, PlanSession(case), fitted["customer_id"].nunique())

    def restore(self) -> None:
        """Plan the explorer on the case's own responses again."""
        self._switch(None, self.own_session, 0)
        if self.editor is not None:
            self.editor.status.value = ""

    def _switch(self, case: Case | None, session: PlanSession, judged: int) -> None:
        ex = self.explorer
        with ex._lock:  # a refinement under way is of the other case: cancelled
            ex._cancel_refinement()
            ex.case, ex.session = case if case is not None else self.own_case, session
            self.in_use, self.judged = case, judged
        self.back_button.disabled = case is None
        self._say()
        ex.solve()

    # ------------------------------------------------------------------ showing
    def note(self) -> str:
        """What the explorer's status line adds while the judged responses are in use."""
        if self.in_use is None:
            return ""
        return " · " + tr("judged responses of {n} accounts (Response tab)", n=self.judged)

    def _say(self) -> None:
        self.status.value = (tr("The explorer plans with the judged responses of {n} "
                                "accounts.", n=self.judged) if self.in_use is not None
                             else tr("The explorer plans with the case's own responses."))

    def relabel(self, again: bool = True) -> None:
        """The tab in the current language (nothing fitted or planned again)."""
        if self.error is not None:
            self.info.value = _error_box(tr("The judgements cannot be used."), str(self.error),
                                         last=N_("Fix the file and open the explorer again."))
        elif self.editor is None:
            self.info.value = "<p>" + tr(NO_JUDGEMENTS) + "</p>"
        else:
            self.info.value = "<p>" + html.escape(tr(
                "Judgements from {source}. Change an order intake and the curve is fitted "
                "again; “Use these responses” plans the explorer with the fitted responses of "
                "every judged account (at the levels and retention of the other tabs), “Back "
                "to the case's responses” undoes it.", source=self.source)) + "</p>"
            if again:
                self.editor.relabel()
        self._say()
