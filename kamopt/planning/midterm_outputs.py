"""The mid-term plan for a reader: tables by year and target, comparisons, the result in
words, the headline of ``kamopt midterm`` and its output files.

The tables' labels and the words of :func:`explain_targets` are written in the current
language (:mod:`kamopt.i18n`; the mid-term report, notebook 4, in German or English); the
headline and the files of ``kamopt midterm`` stay English.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from kamopt.i18n import percent, tr
from kamopt.model.prepare import scenario_notes
from kamopt.planning.midterm import MidtermPlan, _plain
from kamopt.solve.midterm import _meur


# ------------------------------------------------------------ tables for a reader
def by_year(mp: MidtermPlan) -> pd.DataFrame:
    """The plan by year in M EUR and counts: intake vs target, and what it takes.

    Columns: intake, target, shortfall (M EUR), met (the three target columns
    only in a plan with targets), key_accounts (and by level), activities,
    hires, hours_used, hours_available, cost_kam, hire_cost, net (M EUR).
    """
    y = mp.years
    acc = mp.accounts[mp.accounts["key_account"] == 1]
    levels = acc.groupby(["year", "level"]).size().unstack(fill_value=0)
    out = pd.DataFrame(index=y.index)
    targets = y["target"].notna().any()
    out[tr("intake (M EUR)")] = y["intake"] / 1e6
    if targets:
        out[tr("target (M EUR)")] = y["target"] / 1e6
        out[tr("shortfall (M EUR)")] = y["shortfall"] / 1e6
        out[tr("met")] = y["target_met"]
    out[tr("key accounts")] = y["key_accounts"]
    for lv in levels.columns:
        out[f"  {lv}"] = levels[lv].reindex(y.index).fillna(0).astype(int)
    out[tr("activities")] = y["activities_run"]
    out[tr("new hires")] = y["hires"]
    out[tr("manager changes")] = y["changes"]
    out[tr("hours used")] = y["hours_used"]
    out[tr("hours available")] = y["hours_available"]
    out[tr("KAM cost (M EUR)")] = y["cost_kam"] / 1e6
    out[tr("hire cost (M EUR)")] = y["hire_cost"] / 1e6
    out[tr("net (M EUR)")] = y["net"] / 1e6
    return out


def scope_name(scope: str) -> str:
    """A target's scope for a reader: ``company``, ``region Süd``, ``industry X`` (the kind in
    the current language, the name as the case has it)."""
    kind, _, name = str(scope).partition(":")
    word = {"company": tr("company"), "region": tr("region"),
            "industry": tr("industry")}.get(kind, kind)
    return f"{word} {name}" if name else word


def target_table(mp: MidtermPlan) -> pd.DataFrame:
    """Every order-intake target of the plan, for reading: year, scope, target, intake and
    shortfall (M EUR), met (yes/no); the company's first, then the regions and industries."""
    t = mp.targets
    return pd.DataFrame({
        tr("year"): t["year"].to_numpy(),
        tr("scope"): np.array([scope_name(s) for s in t["scope"]], dtype=object),
        tr("target (M EUR)"): (t["order_intake"] / 1e6).to_numpy(),
        tr("intake (M EUR)"): (t["intake"] / 1e6).to_numpy(),
        tr("shortfall (M EUR)"): (t["shortfall"] / 1e6).to_numpy(),
        tr("met"): np.where(t["met"].to_numpy(bool), tr("yes"), tr("no")),
    })


def compare(plans: dict[str, MidtermPlan]) -> pd.DataFrame:
    """Headline figures of several plans side by side (one column a plan)."""
    rows = {}
    for name, mp in plans.items():
        y = mp.years
        r = {tr("status"): tr(mp.status), tr("MIP gap"): percent(mp.kpis["mip_gap"], 1),
             tr("NPV (M EUR)"): mp.kpis["npv"] / 1e6,
             tr("hires"): mp.kpis["hires"],
             tr("manager changes"): mp.kpis["changes"]}
        for yr in y.index:
            r[tr("intake {year} (M EUR)", year=yr)] = y.at[yr, "intake"] / 1e6
        for yr in y.index:
            r[tr("key accounts {year}", year=yr)] = int(y.at[yr, "key_accounts"])
        rows[name] = r
    return pd.DataFrame(rows)


def price_of_targets(mp: MidtermPlan, reference: MidtermPlan) -> pd.DataFrame:
    """What the targets secure and what they cost, year by year (M EUR).

    ``mp`` is planned with the targets, ``reference`` without them (best
    started from ``mp``, so that it is never worse in net present value).
    Columns: the order intake the targets secure (``mp`` minus
    ``reference``) and the net contribution they cost (``reference`` minus
    ``mp``); a last row ``NPV`` holds the cost in net present value (its
    intake cell is empty: intake is not discounted).
    """
    out = pd.DataFrame({
        tr("order intake secured (M EUR)"): (mp.years["intake"] - reference.years["intake"]) / 1e6,
        tr("net contribution it costs (M EUR)"): (reference.years["net"] - mp.years["net"]) / 1e6,
    })
    out.index = out.index.astype(object)
    out.loc[tr("NPV")] = [np.nan, (reference.kpis["npv"] - mp.kpis["npv"]) / 1e6]
    return out


def explain_targets(mp: MidtermPlan, reference: MidtermPlan | None) -> str:
    """The result in words, written from the two plans' figures (Markdown bullets).

    Says which targets are met and by how much the others are missed, what
    the plan hires, and what relaxing the targets gains (``reference``: the
    plan without them; None for a case without targets); where the plans'
    gaps are too wide to tell the price of the targets apart from the
    solver's tolerance, it says so instead of reading noise as a price.
    """
    lines = []
    tg = mp.targets
    if len(tg):
        met = tg[tg["met"]]
        missed = tg[~tg["met"]]
        name = lambda r: (f"{r['year']}" if r["scope"] == "company"  # noqa: E731
                          else f"{r['year']} ({scope_name(r['scope'])})")
        said = []
        if len(met) > 1:
            said.append(tr("the targets of {years} are met",
                           years=", ".join(name(r) for _, r in met.iterrows())))
        elif len(met):
            said.append(tr("the target of {year} is met", year=name(met.iloc[0])))
        if len(missed):
            said.append("; ".join(
                tr("{year} is missed by {shortfall} ({share} of its {target})", year=name(r),
                   shortfall=_meur(r["shortfall"]),
                   share=percent(r["shortfall"] / r["order_intake"], 1),
                   target=_meur(r["order_intake"]))
                for _, r in missed.iterrows()))
        text = "; ".join(said)
        lines.append(tr("**Targets.** {text}.", text=text[0].upper() + text[1:]))
    hires = mp.hires
    if len(hires):
        and_ = " " + tr("and") + " "
        per_year = [tr("{hires} in {year}", year=year, hires=and_.join(
                        f"{n} {profile}" for profile, n in g.groupby("profile").size().items()))
                    for year, g in hires.groupby("year")]
        which = "; ".join(per_year)
        cost = _meur(hires["cost_per_year"].sum())
        lines.append(
            tr("**Hires.** {n} key account managers ({which}), {cost} a year from the hiring "
               "year on.", n=len(hires), which=which, cost=cost) if len(hires) > 1 else
            tr("**Hires.** 1 key account manager ({which}), {cost} a year from the hiring year "
               "on.", which=which, cost=cost))
    else:
        lines.append(tr("**Hires.** None: the current team carries the plan."))
    if reference is None:
        lines.append(tr("**Targets.** None in this case (targets.csv): the plan maximises the "
                        "net present value alone."))
        return "\n".join(f"* {line}" for line in lines)
    npv_cost = reference.kpis["npv"] - mp.kpis["npv"]
    secured = mp.years["intake"] - reference.years["intake"]
    gaps = [mp.kpis["mip_gap"], reference.kpis["mip_gap"]]
    # each plan's value is known only to within its gap: a price below that may be noise
    noise = max(g * abs(p.kpis["npv"]) for g, p in zip(gaps, (mp, reference), strict=True))
    g_with, g_without = gaps
    proven = ", ".join((
        tr("the plan with targets is proven within {gap} of the best plan with targets",
           gap=percent(g_with, 1)) if math.isfinite(g_with)
        else tr("the plan with targets has no proven gap"),
        tr("the plan without is proven within {gap} of the best plan without",
           gap=percent(g_without, 1)) if math.isfinite(g_without)
        else tr("the plan without has no proven gap")))
    gained = [y for y in secured.index if secured[y] > 0]
    if npv_cost > noise and gained:
        lines.append(tr(
            "**Relaxing the targets** gains {npv} of net present value and gives up {intake}: "
            "that is the price of the targets ({proven}).", npv=_meur(npv_cost), proven=proven,
            intake=", ".join(tr("{amount} of order intake in {year}", amount=_meur(secured[y]),
                                year=y) for y in gained)))
    elif gained:
        lines.append(tr(
            "**Relaxing the targets** gains {npv} of net present value, but {proven}: at this "
            "time limit the price of the targets cannot be told apart from the solver's "
            "tolerance. A longer time limit tightens both plans.",
            npv=_meur(max(npv_cost, 0.0)), proven=proven))
    else:
        lines.append(tr(
            "**Relaxing the targets** gains {npv} of net present value and gives up no order "
            "intake in any year, but {proven}: at this time limit the price of the targets "
            "cannot be told apart from the solver's tolerance. A longer time limit tightens "
            "both plans.", npv=_meur(max(npv_cost, 0.0)), proven=proven))
    return "\n".join(f"* {line}" for line in lines)


# ------------------------------------------------------------ command line
def write_midterm_outputs(mp: MidtermPlan, out, excel: bool = False) -> Path:
    """Write plan_by_year.csv, intake.csv, hires.csv, changes.csv, summary.json atomically.

    ``summary.json`` has the KPIs of the horizon and, under the one-year
    plan's names (``key_accounts``, ``hours_used``, ``hours_available``,
    ``cost``), those of the first plan year (``first_year``); every year's
    figures are in ``intake.csv``.
    """
    from kamopt.case.staging import staged_folder, write_csv

    out = Path(out)
    with staged_folder(out) as tmp:  # moved in as a set, under out's lock
        cols = ["year", "customer_id", "key_account", "level", "manager_id", "hours",
                "activities", "service_year", "intake", "value", "cost", "net"]
        # text that would run as a formula in a spreadsheet gets a leading ' (write_csv)
        write_csv(mp.accounts[cols], tmp / "plan_by_year.csv", float_format="%.2f")
        write_csv(mp.years.reset_index(), tmp / "intake.csv", float_format="%.2f")
        write_csv(mp.hires, tmp / "hires.csv", float_format="%.2f")
        write_csv(mp.changes, tmp / "changes.csv")
        write_csv(mp.targets, tmp / "targets.csv", float_format="%.2f")
        summary = {k: _plain(v) for k, v in mp.kpis.items()}
        # the one-year plan's keys (spec section 4), for the first plan year: what is decided now
        first = mp.years.iloc[0]
        now = {"first_year": int(mp.years.index[0]),
               "key_accounts": int(first["key_accounts"]),
               "hours_used": _plain(first["hours_used"]),
               "hours_available": _plain(first["hours_available"]),
               "cost": _plain(first["cost"])}
        summary = {"status": mp.status, **summary, **now,
                   "assumptions": mp.assumptions.to_dict(),
                   "scenario": mp.scenario.to_dict(), "case": mp.case.source}
        notes = midterm_notes(mp)
        if notes:
            summary["notes"] = notes
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False),
                                          encoding="utf-8")
        if excel:
            mp.to_excel(tmp / "midterm.xlsx")
    return out


def headline(mp: MidtermPlan) -> str:
    """The figures printed after ``kamopt midterm``."""
    k = mp.kpis
    gap = f"{k['mip_gap']:.2%}" if math.isfinite(k["mip_gap"]) else "unknown"
    lines = [f"Mid-term plan ({mp.scenario.name}, {k['years']} year{'s' if k['years'] != 1 else ''}): "
             f"{mp.status}, gap {gap}, solved in {k['solve_seconds']:.1f} s"]
    yrs = mp.years
    big = float(np.nanmax(np.abs(yrs[["intake", "target", "net"]].to_numpy(float)),
                          initial=0.0)) >= 1e7  # below 10 M EUR a year: EUR

    def eur(v: float, decimals: int = 1) -> str:  # M EUR for a company, EUR for a small case
        if pd.isna(v):
            return "-"
        if big and 0 < abs(v) < 0.5 * 10 ** (6 - decimals):  # would read 0.0 M: a shortfall
            return f"{v:,.0f}"  # of 4,217 EUR is not "0.0 M"
        return f"{round(v / 1e6, decimals) + 0.0:,.{decimals}f} M" if big else f"{v:,.0f}"

    rows = [["year", "intake", "target", "short", "KAs", "hires", "net"]]
    rows += [[str(y), eur(r["intake"]), eur(r["target"]), eur(r["shortfall"]),
              str(int(r["key_accounts"])), str(int(r["hires"])), eur(r["net"], 2)]
             for y, r in yrs.iterrows()]
    width = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    for row in rows:  # columns as wide as their widest figure, two spaces apart
        lines.append("  " + row[0].ljust(width[0]) + "".join(
            "  " + cell.rjust(w) for cell, w in zip(row[1:], width[1:], strict=True)))
    lines.append(f"  net present value {k['npv']:,.0f} EUR; {k['hires']} hires; "
                 f"{k['changes']} lead-manager changes")
    if k.get("stopped_by") == "time":
        lines.append(f"  stopped by the time limit ({mp.scenario.time_limit:g} s), a safety net: "
                     "this plan depends on the machine's speed and load (its work budget, "
                     "node_limit, gives the same plan on every machine)")
    lines += [f"  {note}" for note in midterm_notes(mp)]
    return "\n".join(lines)


def midterm_notes(mp: MidtermPlan) -> list[str]:
    """:func:`kamopt.model.prepare.scenario_notes`, and what the hire profiles' pair costs are."""
    out = scenario_notes(mp.case, mp.scenario)
    lapsed = mp.model._builder.lapsed if mp.model is not None else {}  # as the model has them
    for cid, (j, gone) in lapsed.items():
        out.append(f"{cid}'s fixed lead {j} has no hours in {', '.join(map(str, gone))}: there "
                   f"{cid} stays a key account, led by whom the plan picks")
    if len(mp.case.pair_costs):
        for h in mp.assumptions.hire_profiles:
            if h.max_hires <= 0:
                continue
            out.append(f"Hire profile '{h.name}' has the pair costs of {h.pair_costs_from}"
                       if h.pair_costs_from else
                       f"Hire profile '{h.name}': each account costs a hire its average pair "
                       f"cost over the case's {len(mp.case.managers)} managers (set "
                       "'pair_costs_from' to a manager whose costs it should have)")
    return out
