"""Stage 5: writing a plan out (CSV, JSON, Excel) and printing its headline.

Outputs are written to a temporary folder beside the target and moved into
place only when all of them are complete, so a failure never leaves a
half-written plan.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from kamopt.case.staging import staged_folder, write_csv
from kamopt.planning.workbook import Sheet, write_sheets
from kamopt.units import hours as hours_text

if TYPE_CHECKING:  # plan.py imports this module (Plan.to_excel); a Plan is only a type here
    from kamopt.planning.oneyear import Plan


def _jsonable(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def summary_dict(plan: Plan) -> dict:
    out = {k: _jsonable(v) for k, v in plan.summary().items()}
    out["scenario"] = plan.scenario.to_dict()
    out["case"] = plan.case.source
    notes = plan_notes(plan)
    if notes:
        out["notes"] = notes
    return out


def plan_notes(plan: Plan) -> list[str]:
    """What the user should know besides the figures: a scenario's ``must`` / ``exclude``
    that overrides the case's status, a hire's pair costs (:func:`kamopt.model.prepare.scenario_notes`)."""
    from kamopt.model.prepare import scenario_notes

    return scenario_notes(plan.case, plan.scenario)


def write_plan_outputs(plan: Plan, out, excel: bool = False) -> Path:
    """Write ``plan.csv``, ``summary.json`` (and ``plan.xlsx``) into ``out``.

    They are written into a staging folder beside ``out`` and moved in as a set
    under ``out``'s lock (:func:`kamopt.case.staging.staged_folder`): two runs
    writing one folder at once leave one plan's files, never a mix.
    """
    out = Path(out)
    with staged_folder(out) as tmp:
        write_plan_files(plan, tmp, excel=excel)
    return out


def write_plan_files(plan: Plan, folder: Path, excel: bool = False) -> None:
    """The files of :func:`write_plan_outputs`, written straight into ``folder`` (a staging
    folder); each CSV by :func:`kamopt.case.staging.write_csv`, whose text never runs
    as a formula in a spreadsheet."""
    write_csv(plan.table(), folder / "plan.csv", float_format="%.2f")
    (folder / "summary.json").write_text(json.dumps(summary_dict(plan), indent=2,
                                                    ensure_ascii=False), encoding="utf-8")
    write_csv(plan.managers.reset_index(), folder / "managers.csv", float_format="%.2f")
    if len(plan.departments):
        write_csv(plan.departments.reset_index(), folder / "departments.csv", float_format="%.2f")
    if excel:
        plan_to_excel(plan, folder / "plan.xlsx")


def headline(plan: Plan) -> str:
    """The figures printed after ``kamopt plan``."""
    k = plan.kpis
    how = "" if plan.status == "optimal" else "stopped at the time limit, "
    lines = [
        f"Key-account plan ({plan.scenario.name}): {plan.status}, {how}"
        f"proven within {k['mip_gap']:.2%} of the best possible plan",
        f"  key accounts      {k['key_accounts']:>12,} of {k['customers']:,} customers"
        f" ({k['executive_accounts']} led by top management)",
        f"  net contribution  {k['objective']:>12,.0f} EUR a year",
        f"    from potential  {k['value_from_potential']:>12,.0f} EUR a year",
        f"    from retention  {k['value_from_retention']:>12,.0f} EUR a year",
        *([f"    from continuity {k['value_from_continuity']:>12,.0f} EUR a year"]
          if k.get("value_from_continuity") else []),
        f"    cost            {k['cost']:>12,.0f} EUR a year",
        *([f"      of pairs      {k['cost_pairs']:>12,.0f} EUR a year (pair_costs)"]
          if k.get("cost_pairs") else []),
        *([f"  changing hands    {k['accounts_changing_hands']:>12,} key accounts "
           f"({k['hours_changing_hands']:,.4g} h at standard coverage)"]
          if "accounts_changing_hands" in k and (plan.accounts["current_manager"] != "").any()
          else []),
        *([f"  tie-break         {k['tie_break']}: {k['tie_break_disruption']:,.6g} changing "
           f"hands instead of {k['tie_break_stage1_disruption']:,.6g}, net "
           f"{k['objective']:,.0f} instead of {k['tie_break_stage1_objective']:,.0f} EUR a year "
           f"(at least {k['tie_break_net_floor']:,.0f}: within the gap of the bound "
           f"{k['tie_break_stage1_bound']:,.0f}); least disruption {k['tie_break_status']}"]
          if "tie_break_disruption" in k else []),
        *([f"  tie-break         {k['tie_break']}: largest load {k['tie_break_largest_load']:,.6g} "
           f"instead of {k['tie_break_stage1_largest_load']:,.6g}, net "
           f"{k['objective']:,.0f} instead of {k['tie_break_stage1_objective']:,.0f} EUR a year "
           f"(at least {k['tie_break_net_floor']:,.0f}: within the gap of the bound "
           f"{k['tie_break_stage1_bound']:,.0f}); least largest load {k['tie_break_status']}"]
          if "tie_break_largest_load" in k else []),
        f"  KAM hours         {hours_text(k['hours_used']):>12} of {hours_text(k['hours_available'])} h"
        f" ({k['hours_used'] / max(k['hours_available'], 1e-9):.0%})",
        f"  activities run    {k['activities_run']:>12,}",
        f"  solved in {k['solve_seconds']:.2f} s ({k['solver']}), total {k.get('total_seconds', 0):.2f} s",
        *(f"  {note}" for note in plan_notes(plan)),
    ]
    return "\n".join(lines)


def print_headline(plan: Plan, out=None) -> None:
    print(headline(plan))
    if out is not None:
        print(f"  written to {out}: {written_files(out)}")


def written_files(out) -> str:
    """The outputs in ``out`` (after a run only this run's: stale ones are removed)."""
    from kamopt.case.staging import OUTPUT_FILES

    order = ["plan.csv", "plan_by_year.csv", "summary.json"]
    names = sorted((p.name for p in Path(out).iterdir() if p.name in OUTPUT_FILES),
                   key=lambda n: (order.index(n) if n in order else len(order), n))
    return ", ".join(names)


def plan_to_excel(plan: Plan, path) -> None:
    """The plan as a workbook a consultant can hand on (:mod:`kamopt.planning.workbook`), in
    the current language: Summary (in business words, with the main assumptions), Accounts,
    Managers (with a chart of their utilisation), Departments, Scenario (every assumption)
    and Technical (the solver's figures). No local path: the case by its folder's name."""
    from kamopt.planning.plan_workbook import plan_sheets

    write_sheets(plan_sheets(plan), path)


def write_workbook(sheets: dict[str, pd.DataFrame], path,
                   percent: dict[str, list[str]] | None = None) -> None:
    """Frames as a workbook of tables (:func:`kamopt.planning.workbook.write_sheets`): each
    frame a sheet named by its key, headers as they are; floats as ``#,##0`` (decimals where
    all are small), shares as ``0.0%`` (``utilisation``, ``share...``, and the columns
    ``percent`` names per sheet), ``mip_gap`` as ``0.00%``."""
    percent = percent or {}
    out = []
    for name, df in sheets.items():
        kinds = {}
        for col in map(str, df.columns):
            if col == "mip_gap":
                kinds[col] = "gap"
            elif col == "utilisation" or col.startswith("share") or col in percent.get(name, ()):
                kinds[col] = "share"
            elif pd.api.types.is_float_dtype(df[col]):
                kinds[col] = "money" if not (df[col].abs() < 100).all() else "factor"
        frame = df.copy()
        frame.columns = [str(c) for c in frame.columns]
        out.append(Sheet(name, name, frame, kinds))
    write_sheets(out, path)
