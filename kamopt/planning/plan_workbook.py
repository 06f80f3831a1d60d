"""The one-year plan's workbook (``kamopt plan --excel``): its sheets, in business words.

Summary (what the plan decides and earns, the scenario's main assumptions), Accounts
(a row per customer, names beside ids, activities by name), Managers (with a chart of
their utilisation), Departments, Scenario (every assumption, with its key in the
scenario file) and Technical (the solver's figures). Written by
:func:`kamopt.planning.workbook.write_sheets`; the words in the current language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from kamopt.i18n import tr
from kamopt.planning.workbook import (
    Chart,
    Sheet,
    activity_names,
    case_status_text,
    figures_sheet,
    frame_sheet,
    names_of,
    reason_text,
    role_text,
    shares_text,
    source_name,
    yes_no,
)

if TYPE_CHECKING:
    from kamopt.planning.oneyear import Plan


def plan_sheets(plan: Plan) -> list[Sheet]:
    """The sheets of :func:`kamopt.planning.outputs.plan_to_excel`."""
    sheets = [summary_sheet(plan), accounts_sheet(plan), managers_sheet(plan)]
    if len(plan.departments):
        sheets.append(departments_sheet(plan))
    return sheets + [scenario_sheet(plan), technical_sheet(plan)]


def _manager_names(plan: Plan) -> pd.Series:
    names = pd.Series(dtype=object)
    if plan.case is not None and "name" in plan.case.managers:
        names = plan.case.managers["name"].astype(str)
    if "name" in plan.managers:
        names = pd.concat([names, plan.managers["name"].astype(str)])
    return names[~names.index.duplicated(keep="last")]


def _customer_names(plan: Plan) -> pd.Series:
    if "name" in plan.accounts:
        return plan.accounts["name"].astype(str)
    if plan.case is not None:
        return plan.case.customers["name"].astype(str)
    return pd.Series(dtype=object)


def _activity_names(plan: Plan) -> pd.Series:
    if plan.case is not None and "name" in plan.case.activities:
        return plan.case.activities["name"].astype(str)
    return pd.Series(dtype=object)


# ------------------------------------------------------------------ summary
def summary_rows(plan: Plan) -> list[tuple[str, object, str]]:
    """The Summary sheet's rows: (label, value, kind)."""
    from kamopt.model.prepare import scenario_notes

    k, sc = plan.kpis, plan.scenario
    mgr = plan.managers
    leading = mgr[mgr["accounts"] > 0] if "accounts" in mgr else mgr.iloc[:0]
    role = leading["role"] if "role" in leading else pd.Series("kam", index=leading.index)
    available = float(k.get("hours_available") or 0)
    rows: list[tuple[str, object, str]] = [
        (tr("Case"), source_name(plan.case.source if plan.case is not None else ""), "text"),
        (tr("Scenario"), sc.name, "text"),
    ]
    if sc.description:
        rows.append((tr("Scenario description"), sc.description, "text"))
    gap = k.get("mip_gap")
    quality = (tr("no plan") if plan.status not in ("optimal", "feasible") else
               tr("the best possible plan earns at most {gap} more", gap=shares_text(
                   max(float(gap), 0.0)) if gap is not None else "?"))
    rows += [
        (tr("How good the plan is"), quality, "text"),
        (tr("Key accounts"), int(k["key_accounts"]), "count"),
        (tr("Customers"), int(k["customers"]), "count"),
        (tr("Key accounts led by top management"), int(k.get("executive_accounts", 0)), "count"),
        (tr("Key-account managers leading key accounts"), int((role != "executive").sum()),
         "count"),
        (tr("Executives leading key accounts"), int((role == "executive").sum()), "count"),
        (tr("Managers available"), int(len(mgr)), "count"),
        (tr("Activities run"), int(k.get("activities_run", 0)), "count"),
        (tr("KAM hours used a year"), float(k["hours_used"]), "hours"),
        (tr("KAM hours available a year"), available, "hours"),
        (tr("KAM hours used of capacity (%)"),
         float(k["hours_used"]) / available if available > 0 else None, "share"),
        (tr("Value (EUR a year)"), float(k["value"]), "money"),
        (tr("Value from cross-selling potential (EUR a year)"),
         float(k.get("value_from_potential", 0)), "money"),
        (tr("Value from retained revenue (EUR a year)"),
         float(k.get("value_from_retention", 0)), "money"),
    ]
    if k.get("value_from_continuity"):
        rows.append((tr("Value from continuity (EUR a year)"),
                     float(k["value_from_continuity"]), "money"))
    rows.append((tr("Cost (EUR a year)"), float(k["cost"]), "money"))
    if k.get("cost_pairs"):
        rows.append((tr("Cost of manager-customer pairs (EUR a year)"), float(k["cost_pairs"]),
                     "money"))
    rows.append((tr("Net contribution (EUR a year)"), float(k["objective"]), "money"))
    if "accounts_changing_hands" in k and plan.case is not None and \
            (plan.accounts.get("current_manager", pd.Series(dtype=str)) != "").any():
        rows += [(tr("Key accounts changing hands"), int(k["accounts_changing_hands"]), "count"),
                 (tr("Their KAM hours at standard coverage (a year)"),
                  float(k.get("hours_changing_hands", 0)), "hours")]
    rows += assumption_rows(plan)
    notes = scenario_notes(plan.case, sc) if plan.case is not None else []
    if notes:
        rows.append((tr("Notes"), "\n".join(notes), "text"))
    return rows


def assumption_rows(plan: Plan) -> list[tuple[str, object, str]]:
    """The scenario's main assumptions in words."""
    sc = plan.scenario
    names = _customer_names(plan)
    managers = _manager_names(plan)
    rows: list[tuple[str, object, str]] = [
        (tr("Assumption: share of a key account's potential realised at standard coverage"),
         float(sc.realization), "share"),
        (tr("Assumption: share of current revenue that key-account status protects"),
         float(sc.retention), "share"),
        (tr("Assumption: extra realisation when the lead manager knows the industry"),
         float(sc.industry_fit), "share"),
        (tr("Assumption: share of every manager's hours available for key accounts"),
         float(sc.capacity_scale), "share"),
        (tr("Assumption: coverage levels (hours, realisation against standard)"),
         "; ".join(f"{lv.name} ({shares_text(lv.hours_factor)}, "
                   f"{shares_text(lv.realization_factor)})" for lv in sc.levels), "text"),
        (tr("Assumption: budget for key-account management (EUR a year)"),
         float(sc.budget) if sc.budget is not None else tr("no budget cap"),
         "money" if sc.budget is not None else "text"),
    ]
    if sc.continuity_bonus:
        rows.append((tr("Assumption: bonus for keeping today's manager (EUR a year)"),
                     float(sc.continuity_bonus), "money"))
    if sc.min_key_accounts is not None:
        rows.append((tr("Assumption: at least this many key accounts"),
                     int(sc.min_key_accounts), "count"))
    if sc.max_key_accounts is not None:
        rows.append((tr("Assumption: at most this many key accounts"),
                     int(sc.max_key_accounts), "count"))
    if sc.unavailable_managers:
        rows.append((tr("Assumption: managers not available"),
                     names_of(sc.unavailable_managers, managers), "text"))
    if sc.hires:
        rows.append((tr("Assumption: new key-account managers hired"),
                     sum(h.count for h in sc.hires), "count"))
    if sc.must:
        rows.append((tr("Assumption: customers set as key accounts"),
                     names_of(sc.must, names, 10), "text"))
    if sc.exclude:
        rows.append((tr("Assumption: customers excluded"), names_of(sc.exclude, names, 10),
                     "text"))
    if sc.leads:
        rows.append((tr("Assumption: lead managers fixed"), "; ".join(
            f"{c} {names.get(c, '')} → {m} {managers.get(m, '')}".replace("  ", " ")
            for c, m in list(sc.lead_of.items())[:10]), "text"))
    if sc.coverage:
        rows.append((tr("Assumption: coverage levels fixed"), len(sc.coverage), "count"))
    if sc.committed_activities:
        rows.append((tr("Assumption: activities committed"), len(sc.committed_activities),
                     "count"))
    return rows


def summary_sheet(plan: Plan) -> Sheet:
    return figures_sheet("Summary", tr("Summary"), summary_rows(plan))


# ----------------------------------------------------------------- accounts
def accounts_sheet(plan: Plan) -> Sheet:
    acc = plan.accounts.reset_index().copy()
    managers = _manager_names(plan)
    acc["manager_name"] = acc["manager_id"].map(lambda m: managers.get(m, "") if m else "")
    if "current_manager" in acc:
        acc["current_manager_name"] = acc["current_manager"].map(
            lambda m: managers.get(m, "") if m else "")
    acc["activities"] = acc["activities"].map(lambda a: activity_names(a, _activity_names(plan)))
    acc["key_account"] = acc["key_account"].astype(int)
    if "status" in acc:
        acc["status"] = acc["status"].map(case_status_text)
    if "out_reason" in acc:
        acc["out_reason"] = acc["out_reason"].map(reason_text)
    return frame_sheet("Accounts", tr("Accounts"), acc, [
        ("customer_id", tr("Customer ID"), "text"),
        ("name", tr("Customer name"), "text"),
        ("key_account", tr("Key account"), "yesno"),
        ("level", tr("Coverage level"), "text"),
        ("manager_id", tr("Lead manager ID"), "text"),
        ("manager_name", tr("Lead manager"), "text"),
        ("activities", tr("Activities"), "text"),
        ("hours", tr("KAM hours a year"), "hours"),
        ("value", tr("Value (EUR a year)"), "money"),
        ("cost", tr("Cost (EUR a year)"), "money"),
        ("net", tr("Net contribution (EUR a year)"), "money"),
        ("value_potential", tr("Value from cross-selling potential (EUR a year)"), "money"),
        ("value_retention", tr("Value from retained revenue (EUR a year)"), "money"),
        ("value_fit", tr("Value from industry fit (EUR a year)"), "money"),
        ("value_continuity", tr("Value from continuity (EUR a year)"), "money"),
        ("value_activities", tr("Value from activities (EUR a year)"), "money"),
        ("cost_hours", tr("Cost of KAM hours (EUR a year)"), "money"),
        ("cost_activities", tr("Cost of activities (EUR a year)"), "money"),
        ("cost_pair", tr("Cost of the manager-customer pair (EUR a year)"), "money"),
        ("revenue", tr("Revenue (EUR a year)"), "money"),
        ("margin", tr("Margin (%)"), "share"),
        ("potential", tr("Cross-selling potential (EUR a year)"), "money"),
        ("kam_hours", tr("KAM hours needed at standard coverage (a year)"), "hours"),
        ("tier", tr("Tier"), "number"),
        ("industry", tr("Industry"), "text"),
        ("region", tr("Region"), "text"),
        ("current_manager", tr("Current manager ID"), "text"),
        ("current_manager_name", tr("Current manager"), "text"),
        ("status", tr("Status in the case"), "text"),
        ("out_reason", tr("Why not a key account"), "text"),
    ], keep_empty=("customer_id", "name", "key_account", "level", "manager_id",
                   "manager_name", "activities"))


# ----------------------------------------------------------------- managers
def managers_sheet(plan: Plan) -> Sheet:
    m = plan.managers.reset_index().copy()
    names = _customer_names(plan)
    if "role" in m:
        m["role"] = m["role"].map(role_text)
    if "key_accounts" in m:
        m["key_accounts"] = m["key_accounts"].map(lambda ids: names_of(ids, names))
    util = tr("Utilisation (%)")
    return frame_sheet("Managers", tr("Managers"), m, [
        ("manager_id", tr("Manager ID"), "text"),
        ("name", tr("Manager name"), "text"),
        ("role", tr("Role"), "text"),
        ("seniority", tr("Seniority"), "number"),
        ("capacity", tr("Capacity (KAM hours a year)"), "hours"),
        ("min_hours", tr("Minimum workload (KAM hours a year)"), "hours"),
        ("hours_used", tr("KAM hours used a year"), "hours"),
        ("utilisation", util, "share"),
        ("accounts", tr("Key accounts (number)"), "count"),
        ("cost", tr("Cost (EUR a year)"), "money"),
        ("key_accounts", tr("Key accounts"), "text"),
    ], charts=[Chart(tr("Utilisation of the managers"), tr("Manager name"), [util],
                     util, percent=True, horizontal=True)],
        keep_empty=("manager_id", "name", "hours_used", "utilisation", "accounts"))


def departments_sheet(plan: Plan) -> Sheet:
    d = plan.departments.reset_index()
    util = tr("Utilisation (%)")
    return frame_sheet("Departments", tr("Departments"), d, [
        ("department", tr("Department"), "text"),
        ("capacity", tr("Capacity (hours a year)"), "hours"),
        ("hours_used", tr("Hours used a year"), "hours"),
        ("utilisation", util, "share"),
        ("activities", tr("Activities run (number)"), "count"),
    ], charts=[Chart(tr("Utilisation of the departments"), tr("Department"), [util], util,
                     percent=True, horizontal=True)],
        keep_empty=("department", "capacity", "hours_used", "utilisation", "activities"))


# ----------------------------------------------------------------- scenario
def _meanings() -> dict[str, tuple[str, str]]:
    """A scenario key's meaning and the kind of its value."""
    return {
        "name": (tr("Name of the scenario"), "text"),
        "description": (tr("Description"), "text"),
        "realization": (tr("Share of a key account's potential realised at standard coverage"),
                        "share"),
        "retention": (tr("Share of current revenue that key-account status protects"), "share"),
        "levels": (tr("Coverage levels (hours, realisation against standard)"), "text"),
        "industry_fit": (tr("Extra realisation when the lead manager knows the industry"),
                         "share"),
        "continuity_bonus": (tr("Bonus for keeping today's manager (EUR a year)"), "money"),
        "capacity_scale": (tr("Share of every manager's hours available for key accounts"),
                           "share"),
        "budget": (tr("Budget for key-account management (EUR a year)"), "money"),
        "min_key_accounts": (tr("At least this many key accounts"), "count"),
        "max_key_accounts": (tr("At most this many key accounts"), "count"),
        "time_limit": (tr("Time limit of the solver (seconds)"), "number"),
        "mip_gap": (tr("Largest proven distance to the best plan that is accepted (%)"), "gap"),
        "node_limit": (tr("Work budget of the solver (nodes)"), "count"),
        "solver": (tr("Solver"), "text"),
        "unavailable_managers": (tr("Managers not available"), "text"),
        "hires": (tr("New key-account managers hired"), "text"),
        "must": (tr("Customers set as key accounts"), "text"),
        "exclude": (tr("Customers excluded"), "text"),
        "leads": (tr("Lead managers fixed"), "text"),
        "excluded_leads": (tr("Lead managers ruled out"), "text"),
        "coverage": (tr("Coverage levels fixed"), "text"),
        "committed_activities": (tr("Activities committed"), "text"),
        "uncertainty": (tr("Uncertain estimates"), "text"),
        "risk": (tr("Attitude to risk"), "text"),
    }


def scenario_value(v):
    """A scenario value for a cell: numbers stay numbers, nothing is ``none`` (in words)."""
    if v is None:
        return tr("none")
    if isinstance(v, bool):
        return yes_no(v)
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, dict):  # leads, coverage: "K0051: M08; K0019: M11"; lists "K1: A05, A02"
        if not v:
            return tr("none")
        if {"name", "hours_factor", "realization_factor"} <= set(v):
            return (f"{v['name']} ({shares_text(v['hours_factor'])}, "
                    f"{shares_text(v['realization_factor'])})")
        return "; ".join(f"{k}: {', '.join(map(str, x)) if isinstance(x, list | tuple) else x}"
                         for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "; ".join(str(scenario_value(x)) for x in v) if v else tr("none")
    return str(v)


def scenario_sheet(plan: Plan) -> Sheet:
    meanings = _meanings()
    rows = []
    for key, v in plan.scenario.to_dict().items():
        meaning, kind = meanings.get(key, (key, "text"))
        value = scenario_value(v)
        rows.append((meaning, key, value,
                     kind if isinstance(value, (int, float)) else "text"))
    frame = pd.DataFrame([r[:3] for r in rows], columns=[
        tr("Assumption"), tr("Key in the scenario file"), tr("Value")])
    return Sheet("Scenario", tr("Scenario"), frame, {}, row_kinds=[r[3] for r in rows])


# ---------------------------------------------------------------- technical
def technical_sheet(plan: Plan) -> Sheet:
    k = plan.kpis
    labels = {
        "solver": (tr("Solver"), "text"),
        "mip_gap": (tr("Proven MIP gap (%)"), "gap"),
        "objective": (tr("Objective of the plan (EUR a year)"), "money"),
        "solver_objective": (tr("Objective as the solver reports it (EUR a year)"), "money"),
        "bound": (tr("Proven bound on the best plan (EUR a year)"), "money"),
        "stopped_by": (tr("Stopped by"), "text"),
        "columns": (tr("Columns of the model (decisions)"), "count"),
        "rows": (tr("Rows of the model (rules)"), "count"),
        "customers_in_model": (tr("Customers in the model"), "count"),
        "build_seconds": (tr("Seconds to build the model"), "seconds"),
        "solve_seconds": (tr("Seconds to solve"), "seconds"),
        "total_seconds": (tr("Seconds in all"), "seconds"),
    }
    rows = [(tr("Status"), plan.status, "text")]
    rows += [(label, k.get(key), kind) for key, (label, kind) in labels.items() if key in k]
    shown = {"key_accounts", "customers", "executive_accounts", "activities_run", "hours_used",
             "hours_available", "value", "value_from_potential", "value_from_retention",
             "value_from_continuity", "cost", "cost_pairs", "accounts_changing_hands",
             "hours_changing_hands", "status", *labels}
    for key, v in k.items():  # what a solve path adds (pricing rounds, say), as it is named
        if key not in shown and (v is None or isinstance(v, (int, float, str))):
            rows.append((key, v, "number" if isinstance(v, (int, float)) else "text"))
    return figures_sheet("Technical", tr("Technical"), rows, tr("Item"), tr("Value"))
