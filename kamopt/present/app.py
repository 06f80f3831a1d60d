"""What the app (notebooks/app.ipynb, ``make app``) plans: the case ``KAMOPT_CASE`` names (a
case folder, an ``.xlsx`` workbook or a database URL, as :func:`kamopt.load_case` reads them)
at the assumptions of the scenario file ``KAMOPT_SCENARIO`` names (YAML, as ``kamopt plan
--scenario`` reads it); unset, the sample company at the default assumptions, with the
sample's judgements for the Response tab. ``make app CASE=... SCENARIO=...`` sets them.

A relative path is taken from where the app was started, else from the project folder (the
app's kernel runs in notebooks/). A value that cannot be used is said in a box, naming the
variable, the file, row and column (the check's message), and the app plans nothing: no
traceback.

>>> from pathlib import Path
>>> inputs, problem = app_setup(Path("."), {"KAMOPT_CASE": "no/such/case"})
>>> inputs is None, "KAMOPT_CASE" in problem.value, "does not exist" in problem.value
(True, True, True)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as W

from kamopt.case.io import load_case
from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.case.validate import check_against_scenario
from kamopt.errors import KamoptError
from kamopt.i18n import N_, tr
from kamopt.present.explorer_view import _error_box

#: what to do about a value the app cannot use (a message)
APP_FIX = N_("Set KAMOPT_CASE to a case folder, an .xlsx workbook or a database URL and "
             "KAMOPT_SCENARIO to a scenario file (YAML), or leave them unset for the sample "
             "company, and start the app again (make app CASE=... SCENARIO=...).")


@dataclass(frozen=True)
class AppInputs:
    """What the app plans: the case, the scenario (None: the defaults), the judgements for
    the Response tab (a path, or None: the case folder's own, if any) and whether it is
    the sample company."""

    case: Case
    scenario: Scenario | None
    judgements: Path | None
    sample: bool


def _where(text: str, root: Path) -> str | Path:
    """A path as given where it exists, else under ``root``; a URL as it is."""
    if "://" in text or Path(text).is_absolute() or Path(text).exists():
        return text
    return root / text


def app_setup(root: Path, environ: Mapping[str, str] | None = None
              ) -> tuple[AppInputs | None, W.HTML | None]:
    """The app's inputs from ``KAMOPT_CASE`` and ``KAMOPT_SCENARIO`` of ``environ``
    (default ``os.environ``; ``root`` is the project folder), or None and the box that
    says why they cannot be used."""
    env = os.environ if environ is None else environ
    case_text = (env.get("KAMOPT_CASE") or "").strip()
    scenario_text = (env.get("KAMOPT_SCENARIO") or "").strip()
    variable = "KAMOPT_CASE"
    where = _where(case_text, root) if case_text else root / "data" / "sample"
    try:
        case = load_case(where)
        variable = "KAMOPT_SCENARIO"
        scenario = Scenario.from_yaml(_where(scenario_text, root)) if scenario_text else None
        if scenario is not None:
            check_against_scenario(case, scenario)
    except KamoptError as exc:
        box = W.HTML(_error_box(tr("{variable} cannot be used: the app has nothing to plan.",
                                   variable=variable), str(exc), last=APP_FIX))
        box.add_class("kamopt-app-error")
        return None, box
    sample = "://" not in str(where) and Path(where).resolve() == (root / "data" / "sample"
                                                                   ).resolve()
    judgements = root / "data" / "judgements" / "judgements.csv" if sample else None
    return AppInputs(case, scenario, judgements if judgements and judgements.is_file()
                     else None, sample), None
