"""How robust is the plan to one assumption? Plan the case at several values of it.

Many inputs of a key-account plan are estimates: the share of cross-selling
potential that key-account management realises (``realization``), the share
of current revenue that key-account status protects (``retention``), the
hours managers will really have (``capacity_scale``). :func:`sweep` plans the
case at each value of one scenario parameter, everything else unchanged, and
returns a :class:`Sweep`:

* ``table``: per value, the plan's status, proven gap, net contribution,
  bound, key accounts, hours and cost;
* ``selection``: each customer that is a key account in at least one plan,
  with its coverage level per value ("" where it is not a key account);
* ``core``: the key accounts of *every* plan, a selection that holds
  whatever value the assumption turns out to have;
* ``swing``: the customers that are key accounts in some plans only, with
  the values at which they are.

Each plan is the optimum of its value within the scenario's ``mip_gap``. Among
near-equal plans the solver picks one, so a customer that is in at one value,
out at the next and in again may owe that to the tolerance rather than to the
assumption; :meth:`Sweep.summary_text` says how many customers do so.

Examples
--------
>>> from kamopt.case.sample import make_case
>>> case = make_case(customers=30, managers=3, seed=1)
>>> sw = sweep(case, Scenario(mip_gap=0.0), "realization", [0.2, 0.3, 0.4])
>>> sw.table["value"].tolist()
[0.2, 0.3, 0.4]
>>> bool(sw.table["objective"].is_monotonic_increasing)  # more realised, never less earned
True
>>> set(sw.core) <= set(sw.selection.index)
True
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.errors import InfeasibleError, Problem, ScenarioError
from kamopt.i18n import tr
from kamopt.model.prepare import decisions_text
from kamopt.planning.batch import Runner
from kamopt.units import amount

#: the scenario parameters a sweep can vary, with what they mean and how a value reads
PARAMETERS: dict[str, tuple[str, str]] = {
    "realization": ("share of a key account's potential realised at standard coverage", "share"),
    "retention": ("share of current revenue that key-account status protects", "share"),
    "industry_fit": ("extra realisation when the lead manager knows the industry", "share"),
    "capacity_scale": ("share of every manager's hours available for key accounts", "share"),
    "continuity_bonus": ("EUR a year for keeping an account with today's manager", "eur"),
    "budget": ("yearly budget for key-account management, EUR", "eur"),
    "max_key_accounts": ("the most key accounts", "count"),
    "min_key_accounts": ("the fewest key accounts", "count"),
}

TABLE_COLUMNS = ["value", "status", "mip_gap", "objective", "bound", "key_accounts",
                 "hours_used", "hours_available", "cost", "value_from_potential",
                 "value_from_retention", "reason"]


def value_text(parameter: str, v: float) -> str:
    """A parameter's value as a reader expects it.

    >>> value_text("realization", 0.25), value_text("budget", 2.5e6), value_text("max_key_accounts", 40)
    ('25%', '2.5 M€', '40')
    """
    kind = PARAMETERS.get(parameter, ("", "number"))[1]
    if kind == "share":
        return f"{v:.0%}" if abs(v * 100 - round(v * 100)) < 1e-9 else f"{v:.1%}"
    if kind == "eur":
        return amount(v, "€", sep="")
    if kind == "count":
        return f"{int(v):,}"
    return f"{v:g}"


@dataclass
class Sweep:
    """Plans of one case at several values of one scenario parameter (see the module docs)."""

    parameter: str
    scenario: Scenario
    table: pd.DataFrame
    selection: pd.DataFrame
    plans: list

    def name(self, cid: str) -> str:
        """``K0008 Name`` (the name from the plans, where they have one)."""
        return _name(self.plans, cid)

    @property
    def planned(self) -> list[float]:
        """The values with a plan (not infeasible)."""
        return [v for v, p in zip(self.table["value"], self.plans, strict=True) if p is not None]

    @property
    def core(self) -> pd.Index:
        """Key accounts in every plan of the sweep."""
        return _core(self.selection, self.planned)

    @property
    def swing(self) -> pd.DataFrame:
        """Customers that are key accounts in some plans only: ``in_plans`` (how many),
        ``in_at`` (the values, as text) and ``flicker`` (in, out and in again as the
        value rises), most often in first."""
        cols = ["in_plans", "of", "in_at", "flicker"]
        if self.selection.empty or not self.planned:
            return pd.DataFrame(columns=cols, index=pd.Index([], name="customer_id"))
        ka = (self.selection[self.planned] != "").to_numpy()
        some = ka.any(axis=1) & ~ka.all(axis=1)
        vals = np.array(self.planned, dtype=float)
        order = np.argsort(vals, kind="stable")
        rows = []
        for cid, row in zip(self.selection.index[some], ka[some], strict=True):
            on = row[order].astype(int)
            rows.append({"customer_id": cid, "in_plans": int(row.sum()), "of": len(vals),
                         "in_at": ", ".join(value_text(self.parameter, v)
                                            for v in vals[order][on == 1]),
                         "flicker": _rises_twice(on)})
        out = pd.DataFrame(rows, columns=["customer_id", *cols]).set_index("customer_id")
        return out.sort_values(["in_plans"], ascending=False, kind="stable")

    def summary_text(self, limit: int = 20) -> str:
        """The sweep as text, as ``kamopt sensitivity`` prints it."""
        p = self.parameter
        t = self.table
        show = pd.DataFrame({
            p: [value_text(p, v) for v in t["value"]],
            "status": t["status"],
            "gap": t["mip_gap"].map(lambda v: "" if pd.isna(v) else f"{v:.2%}"),
            "objective EUR": t["objective"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}"),
            "key accounts": t["key_accounts"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}"),
            "hours used": t["hours_used"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}"),
            "cost EUR": t["cost"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}"),
        })
        lines = [f"Sensitivity to {p} ({PARAMETERS[p][0]}), scenario '{self.scenario.name}':",
                 "", show.to_string(index=False), ""]
        for r in t[t["status"] == "infeasible"].itertuples():
            lines.append(f"{value_text(p, r.value)}: no plan.")
            lines += [f"  {line.strip()}" for line in str(r.reason).splitlines() if line.strip()]
            lines.append("")
        n = len(self.planned)
        if n == 1:
            k = len(self.core)
            lines.append(f"One value has a plan ({k} key account{'s' if k != 1 else ''}): "
                         "nothing to compare it with.")
        elif n:
            sw = self.swing
            lines.append(f"Key accounts in every plan ({n} of {len(t)} values planned): "
                         f"{len(self.core)}. This selection holds at every value tried.")
            if len(sw):
                lines.append(f"Key accounts in some plans only: {len(sw)}"
                             + (f" (the first {limit})" if len(sw) > limit else "") + ":")
                lines += [f"  {self.name(cid)}: in {r.in_plans} of {r.of}, at {r.in_at}"
                          + (" (in, out and in again)" if r.flicker else "")
                          for cid, r in sw.head(limit).iterrows()]
                flick = int(sw["flicker"].sum())
                if flick:
                    lines.append(
                        f"{flick} of them {'goes' if flick == 1 else 'go'} in, out and in again "
                        f"as {p} rises: among plans "
                        "within the gap of each other the solver picks one, so such a swing "
                        "may owe more to the solver's tolerance than to the assumption.")
            else:
                lines.append(f"No key account depends on {p} within the values tried.")
        return "\n".join(lines)

    def to_excel(self, path) -> None:
        """A workbook in the current language: Plans (the table, with a chart of the net
        contribution), Selection (level per customer and value), Swing."""
        from kamopt.planning.workbook import write_sheets

        p = self.parameter
        sel = self.selection.copy()
        sel.columns = [tr("Coverage level at {value}", value=_value_label(p, v))
                       for v in sel.columns]
        write_sheets([_plans_sheet(self.table, (p,), _param_header(p)),
                      _selection_sheet(sel, self.plans),
                      _swing_sheet(self.swing, self.plans)], path)


def _param_header(parameter: str) -> str:
    """A parameter as a column's header, with its unit."""
    return {"realization": tr("Share of potential realised (%)"),
            "retention": tr("Share of revenue protected (%)"),
            "industry_fit": tr("Extra realisation for industry knowledge (%)"),
            "capacity_scale": tr("Share of the managers' hours available (%)"),
            "continuity_bonus": tr("Continuity bonus (EUR a year)"),
            "budget": tr("Budget (EUR a year)"),
            "max_key_accounts": tr("Most key accounts"),
            "min_key_accounts": tr("Fewest key accounts")}.get(parameter, parameter)


def _value_label(parameter: str, v: float) -> str:
    """A parameter's value in words of the current language (``30%`` / ``30 %``)."""
    from kamopt.planning.workbook import shares_text

    kind = PARAMETERS.get(parameter, ("", "number"))[1]
    return shares_text(v) if kind == "share" else value_text(parameter, v)


def _kind(parameter: str) -> str:
    return {"share": "share", "eur": "money", "count": "count"}.get(
        PARAMETERS.get(parameter, ("", "number"))[1], "number")


def _plans_sheet(table: pd.DataFrame, params: tuple, *headers: str):
    """The sweep's or grid's table as a sheet, with a chart of the net contribution."""
    from kamopt.planning.workbook import Chart, frame_sheet, status_text

    t = table.copy()
    t["status"] = t["status"].map(status_text)
    t["label"] = [" / ".join(_value_label(p, r[p] if p in t else r["value"]) for p in params)
                  for _, r in t.iterrows()]
    net = tr("Net contribution (EUR a year)")
    keys = ["value"] if len(params) == 1 else list(params)
    return frame_sheet("Plans", tr("Plans"), t, [
        *[(k, h, _kind(p)) for k, h, p in zip(keys, headers, params, strict=True)],
        ("label", tr("Plan"), "text"),
        ("status", tr("Status"), "text"),
        ("objective", net, "money"),
        ("key_accounts", tr("Key accounts"), "count"),
        ("hours_used", tr("KAM hours used a year"), "hours"),
        ("hours_available", tr("KAM hours available a year"), "hours"),
        ("cost", tr("Cost (EUR a year)"), "money"),
        ("value_from_potential", tr("Value from cross-selling potential (EUR a year)"), "money"),
        ("value_from_retention", tr("Value from retained revenue (EUR a year)"), "money"),
        ("mip_gap", tr("Proven MIP gap (%)"), "gap"),
        ("bound", tr("Proven bound on the best plan (EUR a year)"), "money"),
        ("reason", tr("Why there is no plan"), "text"),
    ], charts=[Chart(tr("Net contribution by plan"), tr("Plan"), [net], net)],
        keep_empty=(*keys, "label", "status", "objective", "key_accounts"))


def _names(plans) -> pd.Series:
    for p in plans:
        acc = getattr(p, "accounts", None)
        if acc is not None and "name" in acc:
            return acc["name"].astype(str)
    return pd.Series(dtype=object)


def _selection_sheet(sel: pd.DataFrame, plans):
    from kamopt.planning.workbook import Sheet

    out = sel.reset_index()
    out.insert(1, "name", out["customer_id"].map(lambda c: _names(plans).get(c, "")))
    out.columns = [tr("Customer ID"), tr("Customer name"), *map(str, sel.columns)]
    return Sheet("Selection", tr("Selection"), out)


def _swing_sheet(swing: pd.DataFrame, plans):
    from kamopt.planning.workbook import frame_sheet

    sw = swing.reset_index()
    sw.insert(1, "name", sw["customer_id"].map(lambda c: _names(plans).get(c, "")))
    return frame_sheet("Swing", tr("Swing"), sw, [
        ("customer_id", tr("Customer ID"), "text"),
        ("name", tr("Customer name"), "text"),
        ("in_plans", tr("Key account in (plans)"), "count"),
        ("of", tr("Plans"), "count"),
        ("in_at", tr("Key account at"), "text"),
        ("flicker", tr("In, out and in again"), "yesno"),
    ], keep_empty=("customer_id", "name", "in_plans", "of"))


def _name(plans, cid: str) -> str:
    """``K0008 Name``: the customer's name from the first plan that has one."""
    for p in plans:
        acc = getattr(p, "accounts", None)
        if acc is not None and "name" in acc and cid in acc.index:
            n = str(acc.at[cid, "name"])
            return f"{cid} {n}" if n and n != cid else cid
    return cid


def _core(selection: pd.DataFrame, planned: list) -> pd.Index:
    """The customers that are key accounts in every planned column of ``selection``."""
    if selection.empty or not planned:
        return pd.Index([], name="customer_id")
    ka = selection[planned] != ""
    return selection.index[ka.all(axis=1).to_numpy()]


def _rises_twice(on: np.ndarray) -> bool:
    """In, out and in again as the value rises: the status turns on more than once.

    >>> _rises_twice(np.array([1, 0, 1])), _rises_twice(np.array([0, 1, 1, 0]))
    (True, False)
    """
    return int(np.count_nonzero(np.diff(on) == 1)) + int(on[0] == 1) > 1


def sweep(case: Case, scenario: Scenario | None, parameter: str, values,
          known: dict | None = None, runner: Runner | None = None) -> Sweep:
    """Plan ``case`` at each of ``values`` of one ``parameter`` of ``scenario``.

    Parameters
    ----------
    case, scenario : as for :func:`kamopt.planning.oneyear` (defaults if ``scenario`` is None).
    parameter : a key of :data:`PARAMETERS`.
    values : the values, each valid for the parameter (checked as a scenario
        would be); they are planned and shown in the order given.

    A value at which the scenario cannot be met (a budget too small for the
    ``must`` accounts, say) gets status ``infeasible`` and the diagnosis in
    ``reason``; the other values are planned all the same.
    known : plans already made, by value (the plan on show, say): used as they
        are instead of planning that value again. Each must be the plan of
        ``scenario`` with the parameter at that value (``ValueError`` if not).
    runner : where the plans run (:class:`kamopt.planning.batch.Runner`);
        ``Runner.from_env()`` if None. The plans of the sweep have no ``model``
        nor ``solution`` (what only a solve needs), on any runner.

    Raises
    ------
    ScenarioError
        For an unknown parameter, no values, a repeated value, or a value the
        parameter cannot take (the message names it).
    """
    scenario = scenario or Scenario()
    values, scenarios = _varied(scenario, parameter, values)
    known = dict(known or {})
    by_value = dict(zip(values, scenarios, strict=True))
    for v, p in known.items():
        if v not in by_value or p.scenario != by_value[v]:
            raise ValueError(f"The 'known' parameter of sweep has a plan for {parameter} = {v!r} "
                             "whose scenario is not the sweep's at that value.")
    made = iter(_plan_all(case, [sc for v, sc in zip(values, scenarios, strict=True)
                                 if v not in known], runner, f"sweep of {parameter}"))
    rows, plans, levels = [], [], {}
    for v in values:
        row, p, lv = _plan_row(known[v] if v in known else next(made))
        rows.append({"value": v, **row})
        plans.append(p)
        if lv is not None:
            levels[v] = lv
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return Sweep(parameter, scenario, table, _selection(levels, values), plans)


def _varied(scenario: Scenario, parameter: str, values) -> tuple[list, list[Scenario]]:
    """``values`` checked for ``parameter``, and ``scenario`` at each of them."""
    name = scenario.name or "scenario"
    if parameter not in PARAMETERS:
        raise ScenarioError(Problem(name, "cannot be varied; one of " + ", ".join(PARAMETERS),
                                     column="parameter", value=parameter))
    values = list(values)
    if not values:
        raise ScenarioError(Problem(name, "give at least one value", column=parameter))
    seen: set = set()
    out, scenarios = [], []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ScenarioError(Problem(name, "must be a number", column=parameter, value=v))
        if v in seen:
            raise ScenarioError(Problem(name, "is given twice", column=parameter, value=v))
        seen.add(v)
        if PARAMETERS[parameter][1] == "count":
            if v != int(v):
                raise ScenarioError(Problem(name, "must be a whole number", column=parameter,
                                             value=v))
            v = int(v)
        out.append(v)
        scenarios.append(scenario.replace(**{parameter: v}))  # checks the value
    return out, scenarios


def _plan_task(case: Case, sc: Scenario):
    """A batch's task (:meth:`kamopt.planning.batch.Runner.map`): the plan of ``sc``, without
    its model and solution (what only a solve needs) nor the case (the caller has it), so
    that it travels light from a worker; or the InfeasibleError that says why there is none."""
    from kamopt.planning.oneyear import plan as make_plan

    try:
        p = make_plan(case, sc)
    except InfeasibleError as exc:
        return exc
    return dataclasses.replace(p, case=None, model=None, solution=None)


def _plan_all(case: Case, scenarios: list[Scenario], runner: Runner | None, desc: str) -> list:
    """Each of ``scenarios`` planned by :func:`_plan_task` on ``runner`` (``Runner.from_env()``
    if None), in their order: a plan of ``case``, or the InfeasibleError of one that cannot
    be met."""
    runner = runner or Runner.from_env()
    return [r if isinstance(r, InfeasibleError) else dataclasses.replace(r, case=case)
            for r in runner.map(_plan_task, scenarios, shared=case, desc=desc)]


def _plan_row(p) -> tuple[dict, object, pd.Series | None]:
    """The row of the sweep's table of ``p`` (a plan, or the InfeasibleError of a scenario
    without one), the plan (None without one) and its levels."""
    if isinstance(p, InfeasibleError):
        return {"status": "infeasible", "reason": str(p).strip()}, None, None
    k = p.kpis
    row = {"status": p.status, "mip_gap": k["mip_gap"], "objective": p.objective,
           "bound": k["bound"] if k.get("bound") is not None else p.objective,
           **{c: k[c] for c in TABLE_COLUMNS[5:-1]}, "reason": ""}
    acc = p.accounts
    return row, p, acc["level"].where(acc["key_account"].astype(int) == 1, "").astype(str)


def _selection(levels: dict, keys: list) -> pd.DataFrame:
    """Customers that are key accounts in at least one plan, their level per plan ("" if not)."""
    if levels:
        sel = pd.DataFrame(levels).reindex(columns=keys, fill_value="")
        sel = sel[(sel != "").any(axis=1)]
    else:
        sel = pd.DataFrame(columns=keys)
    sel.index.name = "customer_id"
    return sel


# ------------------------------------------------------------ two at once
@dataclass
class Grid:
    """Plans of one case at every combination of values of two scenario parameters.

    ``table`` has one row per combination: the two parameters' values (columns
    named after them), then the columns of :attr:`Sweep.table`. ``selection``
    has a column per combination (a ``(value_a, value_b)`` MultiIndex) with
    each customer's coverage level ("" where not a key account).
    """

    parameters: tuple[str, str]
    scenario: Scenario
    table: pd.DataFrame
    selection: pd.DataFrame
    plans: dict

    def name(self, cid: str) -> str:
        """``K0008 Name`` (the name from the plans, where they have one)."""
        return _name(self.plans.values(), cid)

    def pivot(self, column: str = "objective") -> pd.DataFrame:
        """``column`` of the table with the first parameter's values down, the second's across."""
        a, b = self.parameters
        out = self.table.pivot(index=a, columns=b, values=column)
        return out.reindex(index=pd.unique(self.table[a]), columns=pd.unique(self.table[b]))

    @property
    def planned(self) -> list[tuple]:
        """The combinations with a plan (not infeasible)."""
        return [k for k, p in self.plans.items() if p is not None]

    @property
    def core(self) -> pd.Index:
        """Key accounts in every plan of the grid."""
        return _core(self.selection, self.planned)

    @property
    def swing(self) -> pd.DataFrame:
        """Customers that are key accounts in some plans only: ``in_plans``, ``of`` and
        ``in_at`` (where, in words, when it reads short), most often in first."""
        if self.selection.empty or not self.planned:
            return pd.DataFrame(columns=["in_plans", "of", "in_at"],
                                index=pd.Index([], name="customer_id"))
        ka = (self.selection[self.planned] != "").to_numpy()
        some = ka.any(axis=1) & ~ka.all(axis=1)
        out = pd.DataFrame({"in_plans": ka[some].sum(axis=1), "of": len(self.planned),
                            "in_at": [self._where(row) for row in ka[some]]},
                           index=self.selection.index[some])
        return out.sort_values("in_plans", ascending=False, kind="stable")

    def _where(self, on: np.ndarray) -> str:
        """Where a customer is in, in words: "at budget 2.5 M€" when that is every plan with
        one parameter at some of its values, else the combinations (up to four); or where it
        is not ("not at 40% / 90%"), whichever is shorter; else ""."""
        a, b = self.parameters

        def words(cells: set) -> str:
            for p, i in ((a, 0), (b, 1)):
                vals = sorted({k[i] for k in cells})
                if cells == {k for k in self.planned if k[i] in vals}:
                    return f"{p} " + ", ".join(value_text(p, v) for v in vals)
            if len(cells) <= 4:
                return ", ".join(f"{value_text(a, x)} / {value_text(b, y)}"
                                 for x, y in self.planned if (x, y) in cells)
            return ""

        inside = {k for k, o in zip(self.planned, on, strict=True) if o}
        outside = set(self.planned) - inside
        if len(inside) <= len(outside) and (w := words(inside)):
            return f"at {w}"
        if w := words(outside):
            return f"not at {w}"
        return f"at {w}" if (w := words(inside)) else ""

    def summary_text(self, limit: int = 20) -> str:
        """The grid as text, as ``kamopt sensitivity --param2`` prints it."""
        a, b = self.parameters
        t = self.table

        def shown(column: str, fmt) -> str:
            piv = self.pivot(column)
            piv.index = [value_text(a, v) for v in piv.index]
            piv.columns = [value_text(b, v) for v in piv.columns]
            piv.index.name, piv.columns.name = f"{a} \\ {b}", None
            return piv.map(lambda v: "no plan" if pd.isna(v) else fmt(v)).to_string()

        lines = [f"Sensitivity to {a} ({PARAMETERS[a][0]}) and {b} ({PARAMETERS[b][0]}), "
                 f"scenario '{self.scenario.name}': {len(t)} plans.", "",
                 "Net contribution, EUR a year:", shown("objective", lambda v: f"{v:,.0f}"), "",
                 "Key accounts:", shown("key_accounts", lambda v: f"{int(v):,}"), ""]
        ok = t[t["status"] != "infeasible"]
        if len(ok):
            worst = float(ok["mip_gap"].max())
            lines.append(f"Each plan is proven within {worst:.2%} of its optimum"
                         + ("" if (ok["status"] == "optimal").all() else
                            f"; {int((ok['status'] != 'optimal').sum())} stopped at the time "
                            "limit") + ": differences smaller than that may be the solver's "
                         "tolerance, not the assumptions.")
        for n_bad, r in enumerate(t[t["status"] == "infeasible"].itertuples(index=False)):
            if n_bad == 0 and len(ok):
                lines.append("")
            va, vb = getattr(r, a), getattr(r, b)
            lines.append(f"{a} {value_text(a, va)}, {b} {value_text(b, vb)}: no plan.")
            lines += [f"  {line.strip()}" for line in str(r.reason).splitlines() if line.strip()]
        n = len(self.planned)
        if n > 1:
            sw = self.swing
            lines += ["", f"Key accounts in every plan ({n} of {len(t)} combinations planned): "
                      f"{len(self.core)}. This selection holds at every combination tried."]
            if len(sw):
                lines.append(f"Key accounts in some plans only: {len(sw)}"
                             + (f" (the first {limit})" if len(sw) > limit else "")
                             + f"; a combination reads {a} / {b}:")
                lines += [f"  {self.name(cid)}: in {r.in_plans} of {r.of}"
                          + (f", {r.in_at}" if r.in_at else "")
                          for cid, r in sw.head(limit).iterrows()]
            else:
                lines.append("No key account depends on these values.")
        return "\n".join(lines)

    def to_excel(self, path) -> None:
        """A workbook in the current language: Plans (the table, with a chart), Net
        contribution and Key accounts (the pivots), Selection (level per customer and
        combination), Swing."""
        from kamopt.planning.workbook import Chart, Sheet, write_sheets

        a, b = self.parameters

        def sheet(key: str, title: str, column: str, kind: str) -> Sheet:
            piv = self.pivot(column)
            heads = [f"{_param_header(b)}: {_value_label(b, v)}" for v in piv.columns]
            frame = pd.DataFrame(piv.to_numpy(), columns=heads)
            frame.insert(0, _param_header(a), [_value_label(a, v) for v in piv.index])
            return Sheet(key, title, frame, dict.fromkeys(heads, kind),
                         charts=[Chart(title, _param_header(a), heads, title)])

        sel = self.selection.copy()
        cells = [" / ".join((_value_label(a, va), _value_label(b, vb))) for va, vb in sel.columns]
        sel.columns = [tr("Coverage level at {value}", value=c) for c in cells]
        plans = list(self.plans.values())
        write_sheets([_plans_sheet(self.table, (a, b), _param_header(a), _param_header(b)),
                      sheet("NetContribution", tr("Net contribution"), "objective", "money"),
                      sheet("KeyAccounts", tr("Key accounts"), "key_accounts", "count"),
                      _selection_sheet(sel, plans), _swing_sheet(self.swing, plans)], path)


def grid(case: Case, scenario: Scenario | None, parameter: str, values, parameter2: str,
         values2, runner: Runner | None = None) -> Grid:
    """Plan ``case`` at every combination of ``values`` of ``parameter`` and ``values2`` of
    ``parameter2`` ("what if realisation is lower *and* we have less capacity?").

    Each combination is planned as :func:`sweep` plans a value (a combination
    that cannot be met gets status ``infeasible`` and its diagnosis), on
    ``runner`` (``Runner.from_env()`` if None). Raises ScenarioError as
    :func:`sweep` does, and when the two parameters are the same.

    >>> from kamopt.case.sample import make_case
    >>> g = grid(make_case(customers=30, managers=3, seed=1), Scenario(mip_gap=0.0),
    ...          "realization", [0.2, 0.4], "capacity_scale", [0.6, 1.0])
    >>> g.pivot("key_accounts").shape, len(g.table)
    ((2, 2), 4)
    >>> bool((g.pivot("objective").diff(axis=1).iloc[:, 1] >= -1e-6).all())  # more hours, never less
    True
    """
    scenario = scenario or Scenario()
    if parameter == parameter2:
        raise ScenarioError(Problem(scenario.name or "scenario", "must differ from the first "
                                    "parameter (for one parameter use a sweep)",
                                    column="parameter2", value=parameter2))
    va, _ = _varied(scenario, parameter, values)
    vb, _ = _varied(scenario, parameter2, values2)
    cells = [(x, y) for x in va for y in vb]
    made = _plan_all(case, [scenario.replace(**{parameter: x, parameter2: y}) for x, y in cells],
                     runner, f"grid of {parameter} and {parameter2}")
    rows, plans, levels = [], {}, {}
    for (x, y), result in zip(cells, made, strict=True):
        row, p, lv = _plan_row(result)
        rows.append({parameter: x, parameter2: y, **row})
        plans[(x, y)] = p
        if lv is not None:
            levels[(x, y)] = lv
    table = pd.DataFrame(rows, columns=[parameter, parameter2, *TABLE_COLUMNS[1:]])
    return Grid((parameter, parameter2), scenario, table, _selection(levels, list(plans)), plans)


# ----------------------------------------------------------- fixed leads
LEAD_COST_COLUMNS = ["without", "customer_id", "manager_id", "decisions", "status", "mip_gap",
                     "objective", "bound", "cost", "cost_low", "cost_high", "proven"]


@dataclass
class LeadCosts:
    """What a scenario's fixed decisions (``leads``, ``coverage``, ``committed_activities``)
    cost: see :func:`lead_costs`."""

    scenario: Scenario
    table: pd.DataFrame
    plan: object  # the plan with every fixed decision

    def summary_text(self) -> str:
        """The costs as text, as ``kamopt decision-costs`` prints it."""
        p = self.plan
        sc = self.scenario
        bound = p.kpis["bound"] if p.kpis.get("bound") is not None else p.objective
        only_leads = not (sc.coverage or sc.committed_activities)
        what = "fixed lead managers" if only_leads else "fixed decisions"
        n = len(sc.leads) if only_leads else len(sc.fixed_accounts)
        lines = [f"What the {what} of scenario '{sc.name}' cost "
                 "(net contribution, EUR a year):", "",
                 f"  with {_all_leads(n) if only_leads else _all_accounts(n)}: "
                 f"{p.objective:,.0f} ({p.status}, within {p.kpis['mip_gap']:.2%}; "
                 f"at most {bound:,.0f})", ""]
        for r in self.table.itertuples(index=False):
            who = ("without any of them" if r.without == "all"
                   else f"without {r.customer_id} with {r.manager_id}" if only_leads
                   else f"without {r.customer_id} {r.decisions}")
            lines.append(f"  {who}: {r.objective:,.0f} ({r.status}, within {r.mip_gap:.2%})")
            if r.proven:
                lines.append(f"    costs {r.cost:,.0f} a year (between the optima: "
                             f"{r.cost_low:,.0f} to {r.cost_high:,.0f})")
            elif r.cost_high < -1e-6 * max(1.0, abs(p.objective)):
                # without them the plan earns less: they turn round what the case says (a
                # fixed lead of an excluded customer), and that pays
                lines.append(f"    gains {-r.cost:,.0f} a year (between the optima: "
                             f"{-r.cost_high:,.0f} to {-r.cost_low:,.0f}): the decisions "
                             "override the case (see the plan's notes)")
            elif abs(r.cost_high) <= 1e-6 * max(1.0, abs(p.objective)) and abs(
                    r.cost_low) <= 1e-6 * max(1.0, abs(p.objective)):
                lines.append("    costs nothing: the optima are the same")
            else:
                lines.append(f"    not proven to cost anything: the plans differ by {r.cost:,.0f}, "
                             f"the optima by {r.cost_low:,.0f} to {r.cost_high:,.0f} "
                             "(a tighter mip_gap may tell)")
        return "\n".join(lines)


def _all_leads(n: int) -> str:
    return "the fixed lead" if n == 1 else f"all {n} fixed leads"


def _all_accounts(n: int) -> str:
    return ("the fixed decisions" if n == 1 else "the fixed decisions on both accounts" if n == 2
            else f"the fixed decisions on all {n} accounts")


def _without(scenario: Scenario, cids) -> Scenario:
    """``scenario`` without its fixed decisions on the accounts ``cids``."""
    return scenario.replace(**{key: tuple(p for p in getattr(scenario, key) if p[0] not in cids)
                               for key in ("leads", "coverage", "committed_activities")})


def lead_costs(case: Case, scenario: Scenario, runner: Runner | None = None) -> LeadCosts:
    """What the scenario's fixed decisions cost: the plan with all of them against the plan
    without any (together) and, with two or more accounts, without each account's (alone).

    The decisions are the fixed lead managers (``leads``), coverage levels
    (``coverage``) and committed activities (``committed_activities``); an
    account's are taken away together. Without them the account is free too
    (no longer ``must`` unless the scenario's ``must`` says so), so its cost is
    the whole commitment "K0051 stays with M08". ``cost`` is the difference of
    the plans; ``cost_low``/``cost_high`` bound the difference of the *optima*
    from each plan's objective and bound; ``proven`` says the optima differ
    (``cost_low > 0``). The plans run on ``runner`` (``Runner.from_env()`` if
    None). Raises InfeasibleError when the scenario cannot be met with its
    decisions (or one without some of them cannot), ScenarioError when it fixes none.

    >>> from kamopt.case.sample import make_case
    >>> case = make_case(customers=12, managers=3, seed=2)
    >>> lc = lead_costs(case, Scenario(mip_gap=0.0, leads={"K0001": "M01", "K0002": "M02"}))
    >>> lc.table["without"].tolist()
    ['all', 'K0001', 'K0002']
    >>> bool((lc.table["cost"] >= -1e-6).all())  # a fixed lead never earns more
    True
    """
    fixed = scenario.fixed_accounts
    if not fixed:
        raise ScenarioError(Problem(scenario.name or "scenario", "fixes no lead manager, "
                                    "coverage level or activity; give 'leads: {customer_id: "
                                    "manager_id}', 'coverage:' or 'committed_activities:'",
                                    column="leads"))
    variants = [("all", "", "", "", _without(scenario, fixed))]
    if len(fixed) > 1:
        variants += [(cid, cid, scenario.lead_of.get(cid, ""), decisions_text(scenario, cid),
                      _without(scenario, [cid])) for cid in fixed]
    made = _plan_all(case, [scenario] + [v[-1] for v in variants], runner, "decision costs")
    for p in made:  # the first that cannot be met, in the order of the plans
        if isinstance(p, InfeasibleError):
            raise p
    with_all = made[0]
    top = with_all.kpis["bound"] if with_all.kpis.get("bound") is not None else with_all.objective
    rows = []
    for (without, cid, j, what, _), p in zip(variants, made[1:], strict=True):
        bound = p.kpis["bound"] if p.kpis.get("bound") is not None else p.objective
        low, high = p.objective - top, bound - with_all.objective
        rows.append({"without": without, "customer_id": cid, "manager_id": j, "decisions": what,
                     "status": p.status, "mip_gap": p.kpis["mip_gap"], "objective": p.objective,
                     "bound": bound, "cost": p.objective - with_all.objective,
                     "cost_low": low, "cost_high": high, "proven": bool(low > 1e-6)})
    return LeadCosts(scenario, pd.DataFrame(rows, columns=LEAD_COST_COLUMNS), with_all)


