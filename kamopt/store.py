"""Saved scenarios: a folder per scenario, and their comparison side by side.

A saved scenario is a folder (by default ``results/scenarios/<name>/``) with

* ``scenario.yml`` - the assumptions (:meth:`kamopt.Scenario.to_yaml`),
* ``plan.csv``, ``summary.json``, ``managers.csv`` - the plan
  (:func:`kamopt.report.write_plan_outputs`).

It is plain files, so it survives a kernel restart and can be read by any
tool. The output folder of ``kamopt plan --out`` is one too: without
``scenario.yml``, the scenario is read from ``summary.json``. :func:`compare`
puts any number of them side by side: the headline figures, the customers
that enter or leave key-account status and those that change manager (each
against the first scenario), and each manager's utilisation.

Examples
--------
>>> import tempfile
>>> from kamopt.sample import make_case
>>> from kamopt.session import PlanSession, explorer_scenario
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
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import KamoptError
from .plan import Plan
from .scenario import Scenario
from .units import hours

#: where scenarios are saved unless told otherwise
DEFAULT_ROOT = Path("results") / "scenarios"

#: what a plan's folder must have to be compared (``kamopt plan --out`` writes them); a
#: saved scenario has ``scenario.yml`` too, else the scenario is read from summary.json
_NEEDED = ("plan.csv", "summary.json")
_FILES = ("scenario.yml", *_NEEDED)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$")

#: the headline figures compared, in this order
KPIS = ("status", "objective", "mip_gap", "key_accounts", "executive_accounts", "hours_used",
        "hours_available", "cost", "value", "value_from_potential", "value_from_retention",
        "activities_run", "accounts_changing_hands")


class NotASavedScenario(KamoptError):
    """A folder that is not a saved scenario (exit status 2 on the command line)."""

    exit_code = 2


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
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            "The 'name' parameter of save_scenario must be 1-80 letters, digits, '_', '-' or '.', "
            f"starting with a letter or digit. Got {name!r} instead.")
    return name


def save_scenario(plan: Plan, name: str | None = None, root: str | Path = DEFAULT_ROOT) -> Path:
    """Save ``plan`` and its scenario as ``root/name/`` (replacing a scenario of that name).

    ``name`` defaults to the scenario's name. Returns the folder.
    """
    name = _check_name(name or plan.scenario.name)
    folder = Path(root) / name
    from .report import write_plan_outputs

    write_plan_outputs(plan, folder)
    plan.scenario.replace(name=name).to_yaml(folder / "scenario.yml")
    return folder


def _folder(where: str | Path, root: str | Path) -> Path:
    p = Path(where)
    if not p.is_dir() and (Path(root) / str(where)).is_dir():
        p = Path(root) / str(where)
    return p


def load_scenario(where: str | Path, root: str | Path = DEFAULT_ROOT) -> SavedScenario:
    """Read a saved scenario, given its folder or its name under ``root``.

    Raises :class:`NotASavedScenario` when a file is missing or unreadable.
    """
    p = _folder(where, root)
    if not p.is_dir():
        raise NotASavedScenario(f"{where} is not a saved scenario: no such folder.")
    missing = [f for f in _NEEDED if not (p / f).is_file()]
    if missing and (p / "plan_by_year.csv").is_file():
        raise NotASavedScenario(
            f"{p} is the output of a mid-term plan (plan_by_year.csv): kamopt compare takes "
            "one-year plans (`kamopt plan --out` without --years); compare mid-term plans in "
            "Python with kamopt.midterm.compare.")
    if missing:
        raise NotASavedScenario(
            f"{p} is not a saved scenario: {', '.join(missing)} missing "
            "(a saved scenario has plan.csv and summary.json, as `kamopt plan --out` writes "
            "them, and scenario.yml if saved with kamopt.store.save_scenario).")
    try:
        summary = json.loads((p / "summary.json").read_text(encoding="utf-8"))
        if (p / "scenario.yml").is_file():
            scenario = Scenario.from_yaml(p / "scenario.yml")
        elif isinstance(summary.get("scenario"), dict):
            scenario = Scenario.from_dict(summary["scenario"], file=str(p / "summary.json"))
        else:
            raise ValueError("neither scenario.yml nor a scenario in summary.json")
        plan = pd.read_csv(p / "plan.csv", dtype={"customer_id": str, "manager_id": str,
                                                  "level": str, "activities": str},
                           keep_default_na=False).set_index("customer_id")
        managers = (pd.read_csv(p / "managers.csv", dtype={"manager_id": str},
                                keep_default_na=False).set_index("manager_id")
                    if (p / "managers.csv").is_file() else pd.DataFrame())
    except (KamoptError, ValueError, KeyError, OSError) as exc:
        raise NotASavedScenario(f"{p} is not a saved scenario: {exc}") from None
    return SavedScenario(p.name, p, scenario, plan, summary, managers)


def list_scenarios(root: str | Path = DEFAULT_ROOT) -> pd.DataFrame:
    """The scenarios saved under ``root``: name, status, objective, key accounts, folder."""
    rows = []
    base = Path(root)
    for p in sorted(base.iterdir()) if base.is_dir() else []:
        if p.is_dir() and all((p / f).is_file() for f in _FILES):
            s = json.loads((p / "summary.json").read_text(encoding="utf-8"))
            rows.append({"name": p.name, "status": s.get("status"),
                         "objective": s.get("objective"), "key_accounts": s.get("key_accounts"),
                         "folder": str(p)})
    cols = ["name", "status", "objective", "key_accounts", "folder"]
    return pd.DataFrame(rows, columns=cols).set_index("name")


def delete_scenario(name: str, root: str | Path = DEFAULT_ROOT) -> None:
    """Delete the saved scenario ``root/name`` (only a folder that is a saved scenario)."""
    saved = load_scenario(Path(root) / _check_name(name))
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

    def to_dict(self) -> dict[str, pd.DataFrame]:
        return {"kpis": self.kpis, "key_account_changes": self.key_account_changes,
                "manager_changes": self.manager_changes, "utilisation": self.utilisation}

    def summary_text(self) -> str:
        """The comparison as text, as ``kamopt compare`` prints it."""
        first = self.names[0]
        k = self.kpis.copy()
        out = ["Scenarios compared (changes are against '" + first + "'):", "",
               _format_kpis(k), ""]
        for name in self.names[1:]:
            ch = self.key_account_changes
            ch = ch[ch["scenario"] == name]
            enters = ", ".join(ch.loc[ch["change"] == "enters", "customer_id"]) or "-"
            leaves = ", ".join(ch.loc[ch["change"] == "leaves", "customer_id"]) or "-"
            mc = self.manager_changes[self.manager_changes["scenario"] == name]
            moves = ", ".join(f"{r.customer_id} {r.manager_before}->{r.manager_after}"
                              for r in mc.itertuples()) or "-"
            out += [f"{name}:", f"  enter key-account status ({(ch['change'] == 'enters').sum()}): "
                    f"{enters}", f"  leave key-account status ({(ch['change'] == 'leaves').sum()}): "
                    f"{leaves}", f"  change manager ({len(mc)}): {moves}", ""]
        if len(self.utilisation):
            u = self.utilisation.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
            out += ["Utilisation per manager:", u.to_string(), ""]
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


def compare(dirs, root: str | Path = DEFAULT_ROOT) -> Comparison:
    """Compare saved scenarios (folders, or names under ``root``) side by side.

    Raises :class:`NotASavedScenario` for a folder that is not one, and
    ``ValueError`` for fewer than one folder.
    """
    dirs = list(dirs)
    if not dirs:
        raise ValueError("The 'dirs' parameter of compare must name at least one saved "
                         "scenario. Got none instead.")
    saved = [load_scenario(d, root) for d in dirs]
    names = _unique_names(saved)
    kpis = pd.DataFrame({n: [s.summary.get(k) for k in KPIS] for n, s in zip(names, saved,
                                                                              strict=True)},
                        index=list(KPIS))
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
    ka = pd.DataFrame(changes, columns=["scenario", "customer_id", "change", "net"])
    mc = pd.DataFrame(moves, columns=["scenario", "customer_id", "manager_before", "manager_after"])
    util = pd.DataFrame({n: s.managers["utilisation"] if "utilisation" in s.managers else
                         pd.Series(dtype=float) for n, s in zip(names, saved, strict=True)})
    util.index.name = "manager_id"
    return Comparison(names, kpis, ka, mc, util, saved)


def add_compare_command(subparsers) -> None:
    """Register ``kamopt compare DIR...`` on the ``kamopt`` command line's subparsers."""
    sp = subparsers.add_parser(
        "compare", help="Compare plans side by side (saved scenarios or kamopt plan --out folders).",
        description="Compare plans side by side (folders written by kamopt.store.save_scenario "
                    "or by kamopt plan --out): headline figures, customers entering or leaving "
                    "key-account status and changing manager (against the first), utilisation "
                    "per manager.")
    sp.add_argument("dirs", nargs="+", metavar="DIR",
                    help="saved scenario folders or kamopt plan --out folders")
    sp.set_defaults(func=_cmd_compare)


def _cmd_compare(args) -> int:
    print(compare(args.dirs).summary_text(), file=sys.stdout)
    return 0
