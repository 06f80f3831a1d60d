"""The mid-term plan's workbook (``kamopt plan --years T --excel``), in business words.

Summary, Years (with a chart of the order intake against its target), Targets, Accounts,
Relationships (the lead manager a year), Changes, Hires, Managers, Assumptions and
Technical; names beside ids, activities by name. Written by
:func:`kamopt.planning.workbook.write_sheets`, the words in the current language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from kamopt.i18n import tr
from kamopt.planning.workbook import (
    Chart,
    Sheet,
    activity_names,
    figures_sheet,
    frame_sheet,
    source_name,
    write_sheets,
    yes_no,
)

if TYPE_CHECKING:
    from kamopt.planning.midterm import MidtermPlan


def midterm_workbook(mp: MidtermPlan, path) -> None:
    """:meth:`kamopt.planning.midterm.MidtermPlan.to_excel`."""
    case, k = mp.case, mp.kpis
    customers = case.customers["name"].astype(str) if case is not None else pd.Series(dtype=str)
    managers = case.managers["name"].astype(str) if case is not None else pd.Series(dtype=str)
    acts = (case.activities["name"].astype(str) if case is not None and "name" in
            case.activities else pd.Series(dtype=str))
    y = mp.years
    summary = [
        (tr("Case"), source_name(case.source if case is not None else ""), "text"),
        (tr("Scenario"), mp.scenario.name, "text"),
        (tr("Years planned"), f"{int(y.index.min())}-{int(y.index.max())}" if len(y) else "",
         "text"),
        (tr("Net present value (EUR)"), k.get("npv"), "money"),
        (tr("Net present value less the shortfall penalty (EUR)"), k.get("objective"), "money"),
        (tr("Targets met"), yes_no(k.get("targets_met")), "text"),
        (tr("Total shortfall against the targets (EUR)"), k.get("total_shortfall"), "money"),
        (tr("New managers hired"), k.get("hires"), "count"),
        (tr("Lead-manager changes"), k.get("changes"), "count"),
    ]
    for year, r in y.iterrows():
        summary += [(tr("Key accounts {year}", year=year), r.get("key_accounts"), "count"),
                    (tr("Order intake {year} (EUR)", year=year), r.get("intake"), "money"),
                    (tr("Net contribution {year} (EUR)", year=year), r.get("net"), "money")]
    names = {"customer_id": customers, "manager_id": managers, "from_manager": managers,
             "to_manager": managers, "current_manager": managers}

    def named(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for col, series in names.items():
            if col in out:
                out[col + "_name"] = out[col].map(lambda i, s=series: s.get(i, "") if i else "")
        if "activities" in out:
            out["activities"] = out["activities"].map(lambda a: activity_names(a, acts))
        return out

    intake, target = tr("Order intake (EUR)"), tr("Order intake target (EUR)")
    rel = mp.relationships()
    rel.columns = [str(c) for c in rel.columns]
    rel = rel.reset_index()
    rel.insert(1, tr("Customer name"), rel["customer_id"].map(lambda i: customers.get(i, "")))
    rel = rel.rename(columns={"customer_id": tr("Customer ID")})
    technical = [(tr("Status"), mp.status, "text")] + [
        (label, k.get(key), kind) for key, label, kind in (
            ("solver", tr("Solver"), "text"), ("mip_gap", tr("Proven MIP gap (%)"), "gap"),
            ("bound", tr("Proven bound on the best plan (EUR a year)"), "money"),
            ("stopped_by", tr("Stopped by"), "text"),
            ("columns", tr("Columns of the model (decisions)"), "count"),
            ("rows", tr("Rows of the model (rules)"), "count"),
            ("build_seconds", tr("Seconds to build the model"), "seconds"),
            ("solve_seconds", tr("Seconds to solve"), "seconds"),
            ("total_seconds", tr("Seconds in all"), "seconds")) if key in k]
    cols = _columns()
    sheets = [
        figures_sheet("Summary", tr("Summary"), summary),
        frame_sheet("Years", tr("Years"), y.reset_index().rename(
            columns={"intake": "_intake", "target": "_target"}),
            [("year", tr("Year"), "year"), ("_intake", intake, "money"),
             ("_target", target, "money"), *cols],
            charts=[Chart(tr("Order intake by year"), tr("Year"), [intake, target], intake)],
            keep_empty=("year", "_intake")),
        frame_sheet("Targets", tr("Targets"), mp.targets, cols),
        frame_sheet("Accounts", tr("Accounts"), named(mp.accounts), cols),
        Sheet("Relationships", tr("Lead manager by year"), rel),
        frame_sheet("Changes", tr("Changes"), named(mp.changes), cols),
        frame_sheet("Hires", tr("Hires"), mp.hires, cols),
        frame_sheet("Managers", tr("Managers"), named(mp.managers), cols),
        figures_sheet("Assumptions", tr("Assumptions"),
                      [(key, v if isinstance(v, (int, float)) else str(v),
                        "number" if isinstance(v, (int, float)) else "text")
                       for key, v in mp.assumptions.to_dict().items()],
                      tr("Key in the scenario file"), tr("Value")),
        figures_sheet("Technical", tr("Technical"), technical, tr("Item"), tr("Value")),
    ]
    write_sheets(sheets, path)


def _columns() -> list[tuple[str, str, str]]:
    """Every column of the mid-term tables: key, header, kind (in this order)."""
    return [
        ("year", tr("Year"), "year"), ("scope", tr("Scope"), "text"),
        ("customer_id", tr("Customer ID"), "text"),
        ("customer_id_name", tr("Customer name"), "text"),
        ("manager_id", tr("Manager ID"), "text"), ("manager_id_name", tr("Manager name"), "text"),
        ("key_account", tr("Key account"), "yesno"), ("level", tr("Coverage level"), "text"),
        ("activities", tr("Activities"), "text"),
        ("from_manager", tr("Lead manager ID before"), "text"),
        ("from_manager_name", tr("Lead manager before"), "text"),
        ("to_manager", tr("Lead manager ID after"), "text"),
        ("to_manager_name", tr("Lead manager after"), "text"),
        ("profile", tr("Profile"), "text"),
        ("service_year", tr("Year as a key account"), "count"),
        ("ramp", tr("Ramp-up (%)"), "share"),
        ("handover_hours", tr("Handover hours"), "hours"),
        ("hours", tr("KAM hours a year"), "hours"),
        ("intake", tr("Order intake (EUR)"), "money"),
        ("order_intake", tr("Order intake target (EUR)"), "money"),
        ("intake_retained", tr("Order intake retained (EUR)"), "money"),
        ("intake_potential", tr("Order intake from potential (EUR)"), "money"),
        ("target", tr("Order intake target (EUR)"), "money"),
        ("shortfall", tr("Shortfall (EUR)"), "money"),
        ("met", tr("Target met"), "yesno"), ("target_met", tr("Target met"), "yesno"),
        ("targets_met", tr("All targets met"), "yesno"),
        ("key_accounts", tr("Key accounts"), "count"),
        ("changes", tr("Lead-manager changes"), "count"),
        ("hires", tr("New managers hired"), "count"),
        ("capacity", tr("Capacity (KAM hours a year)"), "hours"),
        ("ramp_up", tr("Ramp-up (%)"), "share"),
        ("cost_per_year", tr("Cost (EUR a year)"), "money"),
        ("hours_used", tr("KAM hours used a year"), "hours"),
        ("hours_available", tr("KAM hours available a year"), "hours"),
        ("utilisation", tr("Utilisation (%)"), "share"),
        ("accounts", tr("Key accounts (number)"), "count"),
        ("activities_run", tr("Activities run"), "count"),
        ("value", tr("Value (EUR)"), "money"), ("cost_kam", tr("Cost of KAM (EUR)"), "money"),
        ("hire_cost", tr("Cost of hires (EUR)"), "money"), ("cost", tr("Cost (EUR)"), "money"),
        ("net", tr("Net contribution (EUR)"), "money"),
        ("discount", tr("Discount factor"), "factor"),
        ("net_present", tr("Net contribution, present value (EUR)"), "money"),
        ("region", tr("Region"), "text"), ("industry", tr("Industry"), "text"),
        ("tier", tr("Tier"), "number"),
        ("current_manager", tr("Current manager ID"), "text"),
        ("current_manager_name", tr("Current manager"), "text"),
    ]
