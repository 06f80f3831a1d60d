"""The workbooks of ``kamopt compare --excel``: plans side by side, in business words.

One-year plans: KPIs (a row per plan, with a chart of their net contribution), Key
accounts (customers entering or leaving key-account status against the first plan),
Manager changes, Utilisation (a column per plan) and Technical (status, proven gap,
bound). Mid-term plans: KPIs (a column per figure and year), Key accounts, Hires,
Technical. Written by :func:`kamopt.planning.workbook.write_sheets`, the words in the
current language.
"""

from __future__ import annotations

import pandas as pd

from kamopt.i18n import tr
from kamopt.planning.workbook import (
    Chart,
    Sheet,
    change_text,
    frame_sheet,
    status_text,
    write_sheets,
)


def _manager_names(scenarios) -> pd.Series:
    """Managers' names from the plans' managers.csv (the first plan that names one)."""
    names = pd.Series(dtype=object)
    for s in scenarios:
        m = getattr(s, "managers", None)
        if m is not None and "name" in m:
            names = pd.concat([names, m["name"].astype(str)])
    return names[~names.index.duplicated(keep="first")]


def comparison_workbook(cmp, path) -> None:
    """:meth:`kamopt.analysis.store.Comparison.to_excel`."""
    first = cmp.names[0]
    k = cmp.kpis
    rows = []
    for n in cmp.names:
        col = k[n]
        rows.append({"scenario": n, "status": status_text(col.get("status")),
                     **{key: _number(col.get(key)) for key in k.index if key != "status"}})
    kp = pd.DataFrame(rows)
    net = tr("Net contribution (EUR a year)")
    kpis = frame_sheet("KPIs", tr("KPIs"), kp, [
        ("scenario", tr("Scenario"), "text"),
        ("objective", net, "money"),
        ("objective_change", tr("Change against {first} (EUR a year)", first=first), "money"),
        ("key_accounts", tr("Key accounts"), "count"),
        ("executive_accounts", tr("Key accounts led by top management"), "count"),
        ("activities_run", tr("Activities run"), "count"),
        ("hours_used", tr("KAM hours used a year"), "hours"),
        ("hours_available", tr("KAM hours available a year"), "hours"),
        ("value", tr("Value (EUR a year)"), "money"),
        ("value_from_potential", tr("Value from cross-selling potential (EUR a year)"), "money"),
        ("value_from_retention", tr("Value from retained revenue (EUR a year)"), "money"),
        ("cost", tr("Cost (EUR a year)"), "money"),
        ("accounts_changing_hands", tr("Key accounts changing hands"), "count"),
        ("status", tr("Plan"), "text"),
    ], charts=[Chart(tr("Net contribution by plan"), tr("Scenario"), [net], net)],
        keep_empty=("scenario", "objective"))
    managers = _manager_names(cmp.scenarios)
    mc = cmp.manager_changes.copy()
    for col in ("manager_before", "manager_after"):
        mc[col + "_name"] = mc[col].map(lambda m: managers.get(m, ""))
    ka = cmp.key_account_changes.copy()
    ka["change"] = ka["change"].map(change_text)
    util = cmp.utilisation.copy()
    util.columns = [str(c) for c in util.columns]
    util = util.reset_index()
    util.insert(1, "name", util["manager_id"].map(lambda m: managers.get(m, "")))
    util_cols = [(n, tr("Utilisation in {scenario} (%)", scenario=n), "share") for n in cmp.names]
    sheets = [
        kpis,
        frame_sheet("KeyAccounts", tr("Key accounts"), ka, [
            ("scenario", tr("Scenario"), "text"),
            ("customer_id", tr("Customer ID"), "text"),
            ("name", tr("Customer name"), "text"),
            ("change", tr("Change against {first}", first=first), "text"),
            ("net", tr("Net contribution (EUR a year)"), "money"),
        ], keep_empty=("scenario", "customer_id", "change", "net")),
        frame_sheet("ManagerChanges", tr("Manager changes"), mc, [
            ("scenario", tr("Scenario"), "text"),
            ("customer_id", tr("Customer ID"), "text"),
            ("name", tr("Customer name"), "text"),
            ("manager_before", tr("Lead manager ID in {first}", first=first), "text"),
            ("manager_before_name", tr("Lead manager in {first}", first=first), "text"),
            ("manager_after", tr("Lead manager ID"), "text"),
            ("manager_after_name", tr("Lead manager"), "text"),
        ], keep_empty=("scenario", "customer_id", "manager_before", "manager_after")),
        frame_sheet("Utilisation", tr("Utilisation"), util, [
            ("manager_id", tr("Manager ID"), "text"),
            ("name", tr("Manager name"), "text"), *util_cols],
            charts=[Chart(tr("Utilisation of the managers"),
                          tr("Manager name") if managers.size else tr("Manager ID"),
                          [h for _, h, _ in util_cols], tr("Utilisation (%)"), percent=True,
                          horizontal=True)],
            keep_empty=("manager_id",)),
        _technical(cmp.names, [s.summary for s in cmp.scenarios]),
    ]
    write_sheets(sheets, path)


def _number(v):
    n = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
    return None if pd.isna(n) else float(n)


def _technical(names, summaries) -> Sheet:
    rows = [{"scenario": n, "status": s.get("status"), "mip_gap": _number(s.get("mip_gap")),
             "bound": _number(s.get("bound")), "solver": s.get("solver"),
             "stopped_by": s.get("stopped_by")} for n, s in zip(names, summaries, strict=True)]
    return frame_sheet("Technical", tr("Technical"), pd.DataFrame(rows), [
        ("scenario", tr("Scenario"), "text"),
        ("status", tr("Status"), "text"),
        ("mip_gap", tr("Proven MIP gap (%)"), "gap"),
        ("bound", tr("Proven bound on the best plan (EUR a year)"), "money"),
        ("solver", tr("Solver"), "text"),
        ("stopped_by", tr("Stopped by"), "text"),
    ], keep_empty=("scenario", "status", "mip_gap"))


def midterm_comparison_workbook(cmp, path) -> None:
    """:meth:`kamopt.analysis.store.MidtermComparison.to_excel`."""
    first = cmp.names[0]
    k = cmp.kpis
    labels = {"npv": (tr("Net present value (EUR)"), "money"),
              "objective": (tr("Net present value less the shortfall penalty (EUR)"), "money"),
              "npv_change": (tr("Change in net present value against {first} (EUR)",
                                first=first), "money"),
              "hires": (tr("New managers hired"), "count"),
              "changes": (tr("Lead-manager changes"), "count")}
    by_year = {"intake": (lambda y: tr("Order intake {year} (EUR)", year=y), "money"),
               "target": (lambda y: tr("Order intake target {year} (EUR)", year=y), "money"),
               "shortfall": (lambda y: tr("Shortfall {year} (EUR)", year=y), "money"),
               "key accounts": (lambda y: tr("Key accounts {year}", year=y), "count"),
               "net": (lambda y: tr("Net contribution {year} (EUR)", year=y), "money")}
    columns = [("scenario", tr("Scenario"), "text"), ("status", tr("Plan"), "text")]
    for key in k.index:
        if key in labels:
            columns.append((key, *labels[key]))
        else:
            what, _, year = str(key).rpartition(" ")
            if what in by_year:
                columns.append((key, by_year[what][0](year), by_year[what][1]))
    rows = [{"scenario": n, "status": status_text(k[n].get("status")),
             **{key: _number(k[n].get(key)) for key in k.index if key not in ("status",)}}
            for n in cmp.names]
    npv = labels["npv"][0]
    kpis = frame_sheet("KPIs", tr("KPIs"), pd.DataFrame(rows), columns,
                       charts=[Chart(tr("Net present value by plan"), tr("Scenario"), [npv],
                                     npv)], keep_empty=("scenario",))
    ka = cmp.key_account_changes.copy()
    ka["change"] = ka["change"].map(change_text)
    write_sheets([
        kpis,
        frame_sheet("KeyAccounts", tr("Key accounts"), ka, [
            ("scenario", tr("Scenario"), "text"), ("year", tr("Year"), "year"),
            ("customer_id", tr("Customer ID"), "text"), ("name", tr("Customer name"), "text"),
            ("change", tr("Change against {first}", first=first), "text"),
        ], keep_empty=("scenario", "year", "customer_id", "change")),
        frame_sheet("Hires", tr("Hires"), cmp.hires, [
            ("scenario", tr("Scenario"), "text"), ("year", tr("Year"), "year"),
            ("profile", tr("Profile"), "text"), ("count", tr("New managers hired"), "count"),
        ], keep_empty=("scenario", "year", "profile", "count")),
        _technical(cmp.names, [p.summary for p in cmp.plans]),
    ], path)
