"""Saved scenarios: a folder per scenario, and their comparison side by side.

A saved scenario is a folder (by default ``results/scenarios/<name>/``) with

* ``scenario.yml`` - the assumptions (:meth:`kamopt.Scenario.to_yaml`),
* ``plan.csv``, ``summary.json``, ``managers.csv`` - the plan
  (:func:`kamopt.planning.outputs.write_plan_outputs`).

It is plain files, so it survives a kernel restart and can be read by any
tool. The output folder of ``kamopt plan --out`` is one too: without
``scenario.yml``, the scenario is read from ``summary.json``. :func:`compare`
puts any number of them side by side: the headline figures, the customers
that enter or leave key-account status and those that change manager (each
against the first scenario), and each manager's utilisation.

Examples
--------
>>> import tempfile
>>> from kamopt.case.sample import make_case
>>> from kamopt.analysis.session import PlanSession, explorer_scenario
>>> session = PlanSession(make_case(customers=30, managers=3, seed=1))
>>> root = tempfile.mkdtemp()
>>> _ = save_scenario(session.solve(explorer_scenario()), "base", root=root)
>>> _ = save_scenario(session.solve(explorer_scenario(capacity_scale=0.5)), "half", root=root)
>>> list(list_scenarios(root).index)
['base', 'half']
>>> cmp = compare([f"{root}/base", f"{root}/half"])
>>> list(cmp.kpis.columns)
['base', 'half']
"""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamopt.case.scenario import Scenario
from kamopt.case.staging import OUTPUT_FILES, folder_lock, read_csv_text, read_under_lock
from kamopt.errors import KamoptError, NotASavedScenario, Problem
from kamopt.planning.oneyear import Plan
from kamopt.units import hours

#: where scenarios are saved unless told otherwise
DEFAULT_ROOT = Path("results") / "scenarios"

#: what a plan's folder must have to be compared (``kamopt plan --out`` writes them); a
#: saved scenario has ``scenario.yml`` too, else the scenario is read from summary.json
_NEEDED = ("plan.csv", "summary.json")
_FILES = ("scenario.yml", *_NEEDED)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}", re.ASCII)  # fullmatch: no "base\n"

#: the headline figures compared, in this order
KPIS = ("status", "objective", "mip_gap", "key_accounts", "executive_accounts", "hours_used",
        "hours_available", "cost", "value", "value_from_potential", "value_from_retention",
        "activities_run", "accounts_changing_hands")


@dataclass(frozen=True)
class SavedScenario:
    """A scenario read back from its folder."""

    name: str
    path: Path
    scenario: Scenario
    plan: pd.DataFrame  # plan.csv, indexed by customer_id
    summary: dict
    managers: pd.DataFrame  # managers.csv, indexed by manager_id (empty if absent)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            "The 'name' parameter of save_scenario must be 1-80 letters, digits, '_', '-' or '.', "
            f"starting with a letter or digit. Got {name!r} instead.")
    return name


def save_scenario(plan: Plan, name: str | None = None, root: str | Path = DEFAULT_ROOT) -> Path:
    """Save ``plan`` and its scenario as ``root/name/`` (replacing a scenario of that name).

    ``name`` defaults to the scenario's name. Returns the folder. Its files are moved in as
    one set under its lock (:func:`~kamopt.case.staging.staged_folder`), never a mix of two saves.
    """
    name = _check_name(name or plan.scenario.name)
    folder = Path(root) / name
    from kamopt.case.staging import staged_folder
    from kamopt.planning.outputs import write_plan_files

    with staged_folder(folder, replaces=OUTPUT_FILES | {"scenario.yml"}) as tmp:
        write_plan_files(plan, tmp)
        plan.scenario.replace(name=name).to_yaml(tmp / "scenario.yml")
    return folder


def _folder(where: str | Path, root: str | Path = DEFAULT_ROOT) -> Path:
    p = Path(where)
    if not p.is_dir() and (Path(root) / str(where)).is_dir():
        p = Path(root) / str(where)
    return p


def _existing(where: str | Path, root: str | Path, needed: tuple[str, ...],
              what: str) -> tuple[Path, list[str]]:
    """The folder ``where`` (or ``root/where``) and which of ``needed`` it lacks; a folder
    that does not exist is :class:`NotASavedScenario`."""
    p = _folder(where, root)
    if not p.is_dir():
        raise NotASavedScenario(f"{where} is not {what}: no such folder.")
    return p, [f for f in needed if not (p / f).is_file()]


#: summary.json's figures: each a number, or null where the plan has none (a one-year or
#: a mid-term plan has some of them); and its texts
_FIGURES = (*KPIS[1:], "bound", "customers", "npv", "hires", "changes")
_TEXTS = ("status", "case")
_JSON = {"list": "an array", "str": "a string", "NoneType": "null", "bool": "true or false",
         "int": "a number", "float": "a number"}


def _summary(file: Path, problems: list[Problem]) -> dict:
    """summary.json's object, with a Problem for each figure that is not a number (and for a
    file that is not a JSON object); {} when it is not one."""
    expected = "expected a JSON object of the plan's figures, as `kamopt plan --out` writes it"
    try:
        s = json.loads(file.read_text(encoding="utf-8"))
    except RecursionError:
        problems.append(Problem(str(file), f"{expected}; got JSON nested too deeply to read"))
        return {}
    except ValueError as exc:  # not JSON, or not UTF-8
        problems.append(Problem(str(file), f"{expected}; it is not valid JSON ({exc})"))
        return {}
    if not isinstance(s, dict):
        problems.append(Problem(str(file), f"{expected}; got {_JSON.get(type(s).__name__)}"))
        return {}
    for k in _FIGURES + _TEXTS:
        v = s.get(k)
        if k in _TEXTS and not isinstance(v, str | None):
            problems.append(Problem(f"{file}, key '{k}'", "must be text, or null", value=v))
        elif k in _FIGURES and v is not None and not (
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)):
            problems.append(Problem(f"{file}, key '{k}'", "must be a number, or null where the "
                                    "figure is missing", value=v))
    return s


#: what a cell of a plan's tables must be: the message, and a test of its number
_CELLS = {"0 or 1": ("must be 0 or 1 (1: a key account)", lambda x: x.isin([0, 1])),
          "year": ("must be a year, a whole number such as 2027", lambda x: x == x.round()),
          "number": ("must be a number", lambda x: x.notna())}


def _table(file: Path, problems: list[Problem], needs=(), cells=None, once=(), per="",
           **read) -> pd.DataFrame | None:
    """``file`` read as a CSV that must have the columns ``needs``, each column of ``cells``
    (column: a kind of :data:`_CELLS`, ending in '?' where a cell may be empty) cells of that
    kind, and the values of the ``once`` columns once each (``per`` year). A Problem (file, row
    as a spreadsheet counts it, column, value) for each fault; None when it is unusable."""
    try:
        frame = read_csv_text(pd.read_csv(file, **read))  # the text as it was before write_csv
    except (ValueError, OSError) as exc:  # empty, ragged, not UTF-8
        problems.append(Problem(str(file), f"cannot be read as a CSV table ({str(exc).strip()})"))
        return None
    lacking = [c for c in needs if c not in frame.columns]
    if lacking:
        problems.append(Problem(str(file), f"no column {', '.join(map(repr, lacking))}; "
                                f"kamopt compare needs the columns {', '.join(needs)}"))
        return None
    for col, kind in (cells or {}).items():
        if col not in frame.columns:
            continue
        expected, test = _CELLS[kind.rstrip("?")]
        text = frame[col].astype(str).str.strip()
        num = pd.to_numeric(text, errors="coerce")
        ok = np.isfinite(num) & test(num)
        if kind.endswith("?"):
            ok |= frame[col].isna() | (text == "")
            expected += ", or empty"
        for i in np.flatnonzero(~ok.to_numpy()):
            v = frame[col].iloc[i]
            problems.append(Problem(str(file), expected, row=int(i) + 2, column=col,
                                    value="" if pd.isna(v) else v))
        if ok.all() and (kind == "year" or not pd.api.types.is_numeric_dtype(frame[col])):
            frame[col] = num.astype(int) if kind == "year" else num
    seen: dict[tuple, int] = {}
    for i, key in enumerate(zip(*(frame[c].astype(str) for c in once), strict=True)):
        if key in seen:
            problems.append(Problem(str(file), f"must appear once{per}; row {seen[key]} has it "
                                    "already", row=i + 2, column=once[-1],
                                    value=frame[once[-1]].iloc[i]))
        seen.setdefault(key, i + 2)
    return frame


def _refuse(p: Path, what: str, problems: list[Problem]) -> None:
    """Raise :class:`NotASavedScenario` listing ``problems`` (the first 10), if any."""
    if problems:
        more = [f"  and {len(problems) - 10} more"] if len(problems) > 10 else []
        raise NotASavedScenario("\n".join([f"{p} is not {what}:",
                                           *(f"  - {x}" for x in problems[:10]), *more]))


def _disagree(file: Path, have: int, what: str, other: str, want) -> Problem:
    return Problem(str(file), f"has {have:,} {what}, but {other} records {want:,}; the two "
                   "files are not of one plan (write them again with kamopt plan)")


@read_under_lock(_folder)
def load_scenario(where: str | Path, root: str | Path = DEFAULT_ROOT) -> SavedScenario:
    """Read a saved scenario, given its folder or its name under ``root``.

    Raises :class:`NotASavedScenario` when a file is missing or unreadable, has a value
    that is not what `kamopt plan --out` writes (naming file, row, column and value), or
    when plan.csv's customers or key accounts are not as many as summary.json records.
    """
    p, missing = _existing(where, root, _NEEDED, "a saved scenario")
    if missing and (p / "plan_by_year.csv").is_file():
        raise NotASavedScenario(
            f"{p} is the output of a mid-term plan (plan_by_year.csv), not of a one-year plan: "
            "compare it with other mid-term plans (kamopt compare DIR... of `kamopt plan "
            "--years T --out` folders only, or kamopt.analysis.store.compare_midterm).")
    if missing:
        raise NotASavedScenario(
            f"{p} is not a saved scenario: {', '.join(missing)} missing "
            "(a saved scenario has plan.csv and summary.json, as `kamopt plan --out` writes "
            "them, and scenario.yml if saved with kamopt.analysis.store.save_scenario).")
    problems: list[Problem] = []
    summary = _summary(p / "summary.json", problems)
    _refuse(p, "a saved scenario", problems)
    try:
        if (p / "scenario.yml").is_file():
            scenario = Scenario.from_yaml(p / "scenario.yml")
        elif isinstance(summary.get("scenario"), dict):
            scenario = Scenario.from_dict(summary["scenario"], file=str(p / "summary.json"))
        else:
            raise ValueError("neither scenario.yml nor a scenario in summary.json")
    except (KamoptError, ValueError, KeyError, OSError) as exc:
        raise NotASavedScenario(f"{p} is not a saved scenario: {exc}") from None
    plan = _table(p / "plan.csv", problems, ("customer_id", "key_account", "manager_id", "net"),
                  {"key_account": "0 or 1", "net": "number"}, ("customer_id",),
                  dtype={"customer_id": str, "manager_id": str, "level": str,
                         "activities": str}, keep_default_na=False)
    managers = (_table(p / "managers.csv", problems, ("manager_id",),
                       {"utilisation": "number?"}, ("manager_id",), dtype={"manager_id": str},
                       keep_default_na=False) if (p / "managers.csv").is_file() else None)
    if plan is not None and not problems:
        for what, have in (("customers", len(plan)),
                           ("key_accounts", int(plan["key_account"].sum()))):
            if summary.get(what) is not None and have != summary[what]:
                problems.append(_disagree(p / "plan.csv", have, what.replace("_", " "),
                                          "summary.json", summary[what]))
    _refuse(p, "a saved scenario", problems)
    return SavedScenario(p.name, p, scenario, plan.set_index("customer_id"), summary,
                         pd.DataFrame() if managers is None else managers.set_index("manager_id"))


def list_scenarios(root: str | Path = DEFAULT_ROOT) -> pd.DataFrame:
    """The scenarios saved under ``root``: name, status, objective, key accounts, folder."""
    rows = []
    base = Path(root)
    for p in sorted(base.iterdir()) if base.is_dir() else []:
        if p.is_dir() and all((p / f).is_file() for f in _FILES):
            s = _summary(p / "summary.json", [])  # {} for one that is not a JSON object
            rows.append({"name": p.name, "status": s.get("status"),
                         "objective": s.get("objective"), "key_accounts": s.get("key_accounts"),
                         "folder": str(p)})
    cols = ["name", "status", "objective", "key_accounts", "folder"]
    return pd.DataFrame(rows, columns=cols).set_index("name")


def delete_scenario(name: str, root: str | Path = DEFAULT_ROOT) -> None:
    """Delete the saved scenario ``root/name`` (only a folder that is a saved scenario)."""
    saved = load_scenario(Path(root) / _check_name(name))
    with folder_lock(saved.path):  # not while another run writes or reads it
        shutil.rmtree(saved.path)


# ------------------------------------------------------------------ compare
@dataclass
class Comparison:
    """Saved scenarios side by side; every change is against the first scenario.

    Attributes
    ----------
    kpis : headline figures, one column per scenario (and ``objective_change``
        against the first as the last row).
    key_account_changes : customers that enter or leave key-account status:
        ``scenario``, ``customer_id``, ``change`` ('enters' / 'leaves'),
        ``net`` (EUR a year in the scenario where it is a key account).
    manager_changes : key accounts in both that change lead manager:
        ``scenario``, ``customer_id``, ``manager_before``, ``manager_after``.
    utilisation : each manager's utilisation (0..1), one column per scenario;
        empty where the manager is not available.
    """

    names: list[str]
    kpis: pd.DataFrame
    key_account_changes: pd.DataFrame
    manager_changes: pd.DataFrame
    utilisation: pd.DataFrame
    scenarios: list[SavedScenario] = field(repr=False, default_factory=list)
    notes: list[str] = field(default_factory=list)  # printed under the figures

    def to_dict(self) -> dict[str, pd.DataFrame]:
        return {"kpis": self.kpis, "key_account_changes": self.key_account_changes,
                "manager_changes": self.manager_changes, "utilisation": self.utilisation}

    def to_excel(self, path) -> None:
        """A workbook of the comparison in the current language: KPIs (a row per scenario,
        a chart), Key accounts (entering and leaving), Manager changes, Utilisation,
        Technical; written completely or not at all."""
        from kamopt.analysis.compare_workbook import comparison_workbook

        comparison_workbook(self, path)

    def summary_text(self) -> str:
        """The comparison as text, as ``kamopt compare`` prints it."""
        first = self.names[0]
        k = self.kpis.copy()
        out = ["Scenarios compared (changes are against '" + first + "'):", "",
               _format_kpis(k), "", *self.notes, *([""] if self.notes else [])]
        for name in self.names[1:]:
            ch = self.key_account_changes
            ch = ch[ch["scenario"] == name]
            mc = self.manager_changes[self.manager_changes["scenario"] == name]
            enters, leaves = _who(ch[ch["change"] == "enters"]), _who(ch[ch["change"] == "leaves"])
            moves = [f"{w} {r.manager_before}->{r.manager_after}"
                     for w, r in zip(_who(mc), mc.itertuples(), strict=True)]
            out.append(f"{name}:")
            for what, items in (("enter key-account status", enters),
                                ("leave key-account status", leaves),
                                ("change manager", moves)):
                if "name" in ch:  # names have commas and spaces of their own: one a line
                    out += [f"  {what} ({len(items)}):" + ("" if items else " -"),
                            *(f"    {x}" for x in items)]
                else:
                    out.append(f"  {what} ({len(items)}): {', '.join(items) or '-'}")
            out.append("")
        if len(self.utilisation):
            u = self.utilisation.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
            out += ["Utilisation per manager:", u.to_string(), ""]
        caveats = _gap_lines(self.names, [s.summary for s in self.scenarios], "objectives",
                             lambda v: f"{v:+,.0f} EUR")
        if caveats:
            out += [*caveats, ""]
        return "\n".join(out)


def _format_kpis(k: pd.DataFrame) -> str:
    def fmt(name, v):
        if isinstance(v, str) or v is None:
            return "" if v is None else v
        if pd.isna(v):
            return ""
        if name == "mip_gap":
            return f"{v:.2%}"
        if name in ("key_accounts", "executive_accounts", "activities_run",
                    "accounts_changing_hands"):
            return f"{int(v):,}"
        if name.startswith("hours"):  # a workload index of 4.8 reads 4.8
            return hours(v)
        return f"{v:,.0f}"

    shown = pd.DataFrame({c: [fmt(i, v) for i, v in k[c].items()] for c in k.columns},
                         index=k.index)
    return shown.to_string()


def _unique_names(saved: list[SavedScenario]) -> list[str]:
    names: list[str] = []
    for s in saved:
        n, k = s.name, 2
        while n in names:
            n, k = f"{s.name}-{k}", k + 1
        names.append(n)
    return names


def _optima_differ(first: dict, other: dict) -> tuple[float, float] | None:
    """The range the difference of two plans' *optima* lies in, from their objectives and
    proven bounds (maximisation); None when a bound is missing. Two plans of the same
    objective and bound are taken as one (a folder compared with itself, or a copy): 0."""
    try:
        o1, b1 = float(first["objective"]), float(first["bound"])
        o2, b2 = float(other["objective"]), float(other["bound"])
    except (KeyError, TypeError, ValueError):
        return None
    if math.isclose(o1, o2, rel_tol=1e-9) and math.isclose(b1, b2, rel_tol=1e-9):
        return 0.0, 0.0
    return o2 - max(b1, o1), max(b2, o2) - o1


def _gap_lines(names: list[str], summaries: list[dict], what: str, scale) -> list[str]:
    """A line for each scenario whose difference from the first is within the solver's gaps:
    the sign of the change is not proven, and saying "worse" would read noise as a result."""
    out = []
    for name, s in zip(names[1:], summaries[1:], strict=True):
        rng = _optima_differ(summaries[0], s)
        if rng is None or not (rng[0] < 0 < rng[1]) or rng[1] - rng[0] < 1e-9:
            continue
        out.append(f"{name}: with the plans' proven gaps the best {what} of the two scenarios "
                   f"differ by between {scale(rng[0])} and {scale(rng[1])}, so which is better "
                   "is not proven; plan both with a longer time limit to tell them apart.")
    return out


def _one_case(paths: list[Path], ids: list[set], recorded: list, case) -> list[str]:
    """Refuse plans of different customers, and a ``case`` that lacks some of them
    (:class:`NotASavedScenario`); the notes for plans of the same customer ids whose
    summary.json records different cases (or another case than ``case``)."""
    for p, other in zip(paths[1:], ids[1:], strict=True):
        if other != ids[0]:
            only = [f"only in {q.name}: {_ids(sorted(x - y), 5)}"
                    for q, x, y in ((paths[0], ids[0], other), (p, other, ids[0])) if x - y]
            raise NotASavedScenario(f"{paths[0]} and {p} plan different customers, so they are "
                                    f"not scenarios of one case ({'; '.join(only)}). Compare "
                                    "plans of one case.")
    planned: dict[str, str] = {}  # the case's folder or workbook, as summary.json records it
    for c in recorded:
        if isinstance(c, str) and c.strip():
            planned.setdefault(Path(c).stem, c)
    if case is not None and (lacking := sorted(ids[0] - set(case.customers.index))):
        raise NotASavedScenario(
            f"The case {case.source or '(in memory)'} does not have the plans' customers "
            f"{_ids(lacking, 5)}: name them with the case the plans are of"
            + (f" ({' and '.join(map(repr, planned.values()))})." if planned else "."))
    notes = []
    if len(planned) > 1:
        notes.append(f"Note: the plans are of different cases, "
                     f"{' and '.join(map(repr, planned.values()))} (as their summary.json "
                     "records). Their customers have the same ids, so they are compared as "
                     "scenarios of one company; if the cases are not one company's, the "
                     "changes below mean nothing.")
    others = [repr(c) for k, c in planned.items() if case is not None and case.source
              and k != Path(case.source).stem]
    if others:
        notes.append(f"Note: the customers are named as in the case '{case.source}'; the plans "
                     f"of {' and '.join(others)} may have other customers under these ids.")
    return notes


def compare(dirs, root: str | Path = DEFAULT_ROOT, case=None) -> Comparison | MidtermComparison:
    """Compare saved scenarios (folders, or names under ``root``) side by side.

    Folders of mid-term plans (``kamopt plan --years T --out``) are compared by
    :func:`compare_midterm`; one-year and mid-term plans are not mixed. With
    ``case`` (a :class:`~kamopt.case.tables.Case`) the changes name the customers too.
    Raises :class:`NotASavedScenario` for a folder that is not one, for plans of
    different customers (they are not scenarios of one case) and for a ``case``
    that lacks some of the plans' customers; ``ValueError`` for fewer than one
    folder. Plans of the same customer ids whose summary.json records different
    cases are compared (a plan of an updated copy of the case is a fair
    comparison), with a note saying so in :attr:`Comparison.notes`.
    """
    dirs = list(dirs)
    if not dirs:
        raise ValueError("The 'dirs' parameter of compare must name at least one saved "
                         "scenario. Got none instead.")
    kinds = [_is_midterm(_folder(d, root)) for d in dirs]
    if all(kinds):
        return compare_midterm(dirs, root, case=case)
    if any(kinds):
        mt = dirs[kinds.index(True)]
        one = dirs[kinds.index(False)]
        raise NotASavedScenario(
            f"{mt} is the output of a mid-term plan (plan_by_year.csv) and {one} of a one-year "
            "plan: compare plans of one kind (one-year plans with one-year plans, mid-term "
            "with mid-term).")
    saved = [load_scenario(d, root) for d in dirs]
    names = _unique_names(saved)
    notes = _one_case([s.path for s in saved], [set(s.plan.index) for s in saved],
                      [s.summary.get("case") for s in saved], case)
    kpis = pd.DataFrame({n: [s.summary.get(k) for k in KPIS] for n, s in zip(names, saved,
                                                                              strict=True)},
                        index=list(KPIS))
    for n, s in zip(names, saved, strict=True):  # never a provisional plan unsaid
        if s.summary.get("provisional") is True:
            kpis.at["status", n] = f"provisional ({s.summary.get('status')})"
    obj = pd.to_numeric(kpis.loc["objective"], errors="coerce")
    kpis.loc["objective_change"] = (obj - obj.iloc[0]).to_numpy()
    first = saved[0].plan
    changes, moves = [], []
    for n, s in zip(names[1:], saved[1:], strict=True):
        p = s.plan
        both = first.index.intersection(p.index)
        was = first.loc[both, "key_account"].astype(int) == 1
        now = p.loc[both, "key_account"].astype(int) == 1
        for cid in both[~was & now]:
            changes.append((n, cid, "enters", float(p.at[cid, "net"])))
        for cid in both[was & ~now]:
            changes.append((n, cid, "leaves", float(first.at[cid, "net"])))
        stay = both[was & now]
        diff = stay[(first.loc[stay, "manager_id"] != p.loc[stay, "manager_id"]).to_numpy()]
        moves += [(n, cid, first.at[cid, "manager_id"], p.at[cid, "manager_id"]) for cid in diff]
    ka = _with_names(pd.DataFrame(changes, columns=["scenario", "customer_id", "change", "net"]),
                     case)
    mc = _with_names(pd.DataFrame(moves, columns=["scenario", "customer_id", "manager_before",
                                                  "manager_after"]), case)
    util = pd.DataFrame({n: s.managers["utilisation"] if "utilisation" in s.managers else
                         pd.Series(dtype=float) for n, s in zip(names, saved, strict=True)})
    util.index.name = "manager_id"
    return Comparison(names, kpis, ka, mc, util, saved, notes)


# ------------------------------------------------------- mid-term comparison
#: what a mid-term plan's folder must have to be compared (``kamopt plan --years T --out``)
_MIDTERM_NEEDED = ("plan_by_year.csv", "intake.csv", "hires.csv", "summary.json")


def _is_midterm(p: Path) -> bool:
    return (p / "plan_by_year.csv").is_file()


@dataclass(frozen=True)
class SavedMidterm:
    """A mid-term plan read back from its output folder."""

    name: str
    path: Path
    summary: dict
    years: pd.DataFrame  # intake.csv, indexed by year
    hires: pd.DataFrame  # hires.csv
    plan: pd.DataFrame  # plan_by_year.csv


@read_under_lock(_folder)
def load_midterm(where: str | Path, root: str | Path = DEFAULT_ROOT) -> SavedMidterm:
    """Read the output folder of a mid-term plan (``kamopt plan --years T --out``).

    Raises :class:`NotASavedScenario` when a file is missing or unreadable, has a value
    that is not what `kamopt plan --years T --out` writes (naming file, row, column and
    value), or when plan_by_year.csv's key accounts of a year are not as many as intake.csv
    records.
    """
    p, missing = _existing(where, root, _MIDTERM_NEEDED, "a mid-term plan")
    if missing:
        raise NotASavedScenario(
            f"{p} is not a mid-term plan's output: {', '.join(missing)} missing (`kamopt plan "
            "--years T --out DIR` writes plan_by_year.csv, intake.csv, hires.csv, summary.json).")
    problems: list[Problem] = []
    summary = _summary(p / "summary.json", problems)
    figures = {c: "number?" for c in ("intake", "target", "shortfall", "key_accounts", "net")}
    years = _table(p / "intake.csv", problems, ("year", "intake"), {"year": "year", **figures},
                   ("year",))
    hires = _table(p / "hires.csv", problems, (), {"year": "year"},
                   dtype={"manager_id": str, "profile": str}, keep_default_na=False)
    if hires is not None and len(hires) and not {"year", "profile"} <= set(hires.columns):
        problems.append(Problem(str(p / "hires.csv"), "has hires but not the columns 'year' "
                                "and 'profile' (the year of each hire and its profile)"))
    plan = _table(p / "plan_by_year.csv", problems, ("year", "customer_id", "key_account"),
                  {"year": "year", "key_account": "0 or 1"}, ("year", "customer_id"), " a year",
                  dtype={"customer_id": str, "manager_id": str, "level": str,
                         "activities": str}, keep_default_na=False)
    if not problems:  # each year's key accounts as intake.csv records them
        years = years.set_index("year")
        got = plan[plan["key_account"] == 1].groupby("year").size()
        want = years["key_accounts"] if "key_accounts" in years else pd.Series(dtype=float)
        for y in sorted(set(plan["year"]) | set(years.index)):
            if y not in years.index:
                problems.append(Problem(str(p / "plan_by_year.csv"), f"has the year {y}, which "
                                        "intake.csv has not; the two files are not of one plan"))
            elif pd.notna(want.get(y)) and got.get(y, 0) != want[y]:
                problems.append(_disagree(p / "plan_by_year.csv", int(got.get(y, 0)),
                                          f"key accounts in {y}", "intake.csv", int(want[y])))
    _refuse(p, "a mid-term plan's output", problems)
    return SavedMidterm(p.name, p, summary, years, hires, plan)


@dataclass
class MidtermComparison:
    """Mid-term plans side by side; every change is against the first plan.

    Attributes
    ----------
    kpis : one column per plan: status, gap, net present value, objective
        (NPV less the shortfall penalty), hires, lead-manager changes, and for
        each year the order intake, its target, the shortfall, the key
        accounts and the net contribution (rows such as ``intake 2029``);
        ``npv_change`` against the first as the last row.
    key_account_changes : per later plan and year, the customers that are key
        accounts in one plan but not in the first (``scenario``, ``year``,
        ``customer_id``, ``change``: 'enters' / 'leaves').
    hires : the hiring plans: ``scenario``, ``year``, ``profile``, ``count``.
    """

    names: list[str]
    kpis: pd.DataFrame
    key_account_changes: pd.DataFrame
    hires: pd.DataFrame
    plans: list[SavedMidterm] = field(repr=False, default_factory=list)
    notes: list[str] = field(default_factory=list)  # printed under the figures

    def to_dict(self) -> dict[str, pd.DataFrame]:
        return {"kpis": self.kpis, "key_account_changes": self.key_account_changes,
                "hires": self.hires}

    def to_excel(self, path) -> None:
        """A workbook of the comparison in the current language: KPIs (a row per plan, a
        column per figure and year), Key accounts (entering and leaving by year), Hires,
        Technical."""
        from kamopt.analysis.compare_workbook import midterm_comparison_workbook

        midterm_comparison_workbook(self, path)

    def summary_text(self) -> str:
        """The comparison as text, as ``kamopt compare`` prints it for mid-term plans."""
        first = self.names[0]
        out = ["Mid-term plans compared (changes are against '" + first + "'):", "",
               _format_midterm_kpis(self.kpis), "", *self.notes, *([""] if self.notes else [])]
        for name in self.names:
            h = self.hires[self.hires["scenario"] == name]
            said = ", ".join(f"{r.count} {r.profile} in {r.year}" for r in h.itertuples()) or "none"
            out.append(f"hires, {name}: {said}")
        out.append("")
        for name in self.names[1:]:
            ch = self.key_account_changes[self.key_account_changes["scenario"] == name]
            out.append(f"{name}, key accounts against '{first}':")
            for year in _common(self.kpis, first, name):
                y = ch[ch["year"] == year]
                enters = _who(y[y["change"] == "enters"])
                leaves = _who(y[y["change"] == "leaves"])
                if "name" in y:  # one a line
                    out.append(f"  {year}: {len(enters)} enter, {len(leaves)} leave")
                    out += [f"    enters: {x}" for x in enters[:8]]
                    out += [f"    leaves: {x}" for x in leaves[:8]]
                    more = max(len(enters) - 8, 0) + max(len(leaves) - 8, 0)
                    if more:
                        out.append(f"    and {more} more (all in key_account_changes, --excel)")
                else:
                    out.append(f"  {year}: {len(enters)} enter ({_ids(enters)}), "
                               f"{len(leaves)} leave ({_ids(leaves)})")
        of = self.kpis.attrs.get("of", {})
        alike = [i for i, n in enumerate(self.names) if of.get(n) == of.get(first)]  # horizon
        caveats = _gap_lines([self.names[i] for i in alike],
                             [self.plans[i].summary for i in alike], "objectives",
                             lambda v: f"{v / 1e6:+,.2f} M EUR")
        if caveats:
            out += ["", *caveats]
        return "\n".join(out).rstrip() + "\n"


def _common(kpis: pd.DataFrame, a: str, b: str) -> list:
    """The years of the comparison that plans ``a`` and ``b`` both cover."""
    of = kpis.attrs.get("of", {})
    return [y for y in kpis.attrs.get("years", []) if y in of.get(a, [y]) and y in of.get(b, [y])]


def _span(years) -> str:
    years = sorted(years)
    return f"{years[0]}-{years[-1]}" if len(years) > 1 else f"{years[0]}" if years else "no year"


def _ids(ids: list[str], limit: int = 8) -> str:
    if not ids:
        return "-"
    return ", ".join(ids[:limit]) + (f", and {len(ids) - limit} more" if len(ids) > limit else "")


def _who(frame: pd.DataFrame) -> list[str]:
    """Each row's customer: ``K0012 Lange & Meyer GmbH`` where a name is known, else the id."""
    ids = frame["customer_id"].astype(str).tolist()
    if "name" not in frame:
        return ids
    return [f"{i} {n}" if n else i for i, n in zip(ids, frame["name"].fillna("").astype(str),
                                                   strict=True)]


def _with_names(frame: pd.DataFrame, case) -> pd.DataFrame:
    """``frame`` with the customers' names from ``case`` (None: as it is) after customer_id."""
    if case is None:
        return frame
    names = case.customers["name"].astype(str).reindex(frame["customer_id"]).fillna("")
    out = frame.copy()
    out.insert(list(out.columns).index("customer_id") + 1, "name", names.to_numpy())
    return out


def _format_midterm_kpis(k: pd.DataFrame) -> str:
    money = [i for i in k.index if i in ("npv", "objective", "npv_change")
             or i.split(" ")[0] in ("intake", "target", "shortfall", "net")]
    values = pd.to_numeric(k.loc[money].to_numpy().ravel(), errors="coerce")
    big = bool(np.nanmax(np.abs(values), initial=0.0) >= 1e5)  # M EUR for a company
    unit, div, digits = ("M EUR", 1e6, 2) if big else ("EUR", 1.0, 0)

    def fmt(name: str, v) -> str:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return ""
        if isinstance(v, str):
            return v
        if name == "mip_gap":
            return f"{v:.2%}"
        if name in ("hires", "changes") or name.startswith("key accounts"):
            return f"{int(v):,}"
        if isinstance(v, bool):
            return "yes" if v else "no"
        return f"{v / div:,.{digits}f}"

    shown = pd.DataFrame({c: [fmt(i, v) for i, v in k[c].items()] for c in k.columns},
                         index=[_MIDTERM_LABELS.get(i, i) + (f" ({unit})" if i in money else "")
                                for i in k.index])
    return shown.to_string()


_MIDTERM_LABELS = {"mip_gap": "proven gap", "npv": "net present value",
                   "objective": "objective (NPV - penalty)", "changes": "lead-manager changes",
                   "npv_change": "NPV change"}


def compare_midterm(dirs, root: str | Path = DEFAULT_ROOT, case=None) -> MidtermComparison:
    """Compare mid-term plans (their ``kamopt plan --years T --out`` folders) side by side;
    with ``case`` the changes name the customers too.

    Plans of different horizons (2027-2028 and 2027-2029, say) are compared where
    both have a year: each year's figures are shown for the plans that have it,
    key accounts are compared only in the years both plans have, and a note in
    :attr:`MidtermComparison.notes` says that their NPVs are over different
    years, so the NPV change does not say which plan is better (a consultant
    asking "does a longer view change this year's decisions?" wants just this
    comparison, so it is not refused). Plans of different customers, and a
    ``case`` that lacks some, are refused as by :func:`compare`.

    >>> import tempfile
    >>> from kamopt.case.assumptions import MidtermAssumptions
    >>> from kamopt.planning.midterm import plan_midterm
    >>> from kamopt.planning.midterm_outputs import write_midterm_outputs
    >>> from kamopt.case.sample import make_case
    >>> from kamopt.case.scenario import Scenario
    >>> case = make_case(customers=12, managers=2, seed=1)
    >>> root = tempfile.mkdtemp()
    >>> for name, scale in (("base", 1.0), ("lean", 0.5)):
    ...     mp = plan_midterm(case, Scenario(name=name, capacity_scale=scale, mip_gap=0.0),
    ...                       years=2, assumptions=MidtermAssumptions(years=2))
    ...     _ = write_midterm_outputs(mp, f"{root}/{name}")
    >>> cmp = compare_midterm([f"{root}/base", f"{root}/lean"])
    >>> list(cmp.kpis.columns), cmp.kpis.loc["npv_change", "base"]
    (['base', 'lean'], 0.0)
    >>> bool(cmp.kpis.loc["npv_change", "lean"] < 0)  # half the capacity earns less
    True
    """
    dirs = list(dirs)
    if not dirs:
        raise ValueError("The 'dirs' parameter of compare_midterm must name at least one "
                         "mid-term plan's folder. Got none instead.")
    plans = [load_midterm(d, root) for d in dirs]
    names = _unique_names(plans)
    notes = _one_case([p.path for p in plans], [set(p.plan["customer_id"]) for p in plans],
                      [p.summary.get("case") for p in plans], case)
    of = {n: sorted(p.years.index) for n, p in zip(names, plans, strict=True)}
    years = sorted(set().union(*of.values()))
    other = [n for n in names[1:] if of[n] != of[names[0]]]
    if other:
        spans = ", ".join(f"{n}: {_span(of[n])}" for n in names)
        notes.append(f"Note: the plans cover different years ({spans}): key accounts are "
                     f"compared only in the years both have, and the NPV of {' and '.join(other)} "
                     f"is over other years than {names[0]}'s, so the NPV change does not say "
                     "which plan is better.")
    rows: dict[str, dict] = {}
    for n, p in zip(names, plans, strict=True):
        s = p.summary
        r = {"status": s.get("status"), "mip_gap": s.get("mip_gap"), "npv": s.get("npv"),
             "objective": s.get("objective"), "hires": s.get("hires"),
             "changes": s.get("changes")}
        for col, label in (("intake", "intake"), ("target", "target"),
                           ("shortfall", "shortfall"), ("key_accounts", "key accounts"),
                           ("net", "net")):
            for y in years:
                r[f"{label} {y}"] = (p.years.at[y, col] if y in p.years.index
                                     and col in p.years.columns else None)
        rows[n] = r
    kpis = pd.DataFrame(rows)
    kpis = kpis[kpis.notna().any(axis=1)]  # no targets: no target and shortfall rows
    npv = pd.to_numeric(kpis.loc["npv"], errors="coerce")
    kpis.loc["npv_change"] = (npv - npv.iloc[0]).to_numpy()
    kpis.attrs.update(years=years, of=of)
    first = plans[0].plan
    ka0 = first[first["key_account"].astype(int) == 1].groupby("year")["customer_id"].agg(set)
    changes = []
    for n, p in zip(names[1:], plans[1:], strict=True):
        ka = p.plan[p.plan["key_account"].astype(int) == 1].groupby("year")["customer_id"].agg(set)
        for y in _common(kpis, names[0], n):
            was, now = ka0.get(y, set()), ka.get(y, set())
            changes += [(n, y, cid, "enters") for cid in sorted(now - was)]
            changes += [(n, y, cid, "leaves") for cid in sorted(was - now)]
    ch = _with_names(pd.DataFrame(changes, columns=["scenario", "year", "customer_id", "change"]),
                     case)
    hires = []
    for n, p in zip(names, plans, strict=True):
        if len(p.hires):
            g = p.hires.groupby(["year", "profile"]).size()
            hires += [(n, int(y), prof, int(c)) for (y, prof), c in g.items()]
    hires = pd.DataFrame(hires, columns=["scenario", "year", "profile", "count"])
    return MidtermComparison(names, kpis, ch, hires, plans, notes)


