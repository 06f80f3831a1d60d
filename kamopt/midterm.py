"""The mid-term plan: key accounts, coverage, lead managers, programmes and hires over T years.

``plan_midterm(case, scenario, years=3)`` extends the one-year plan
(:func:`kamopt.plan`) to a horizon of several years. It reuses
:func:`kamopt.prepare.prepare` (``prune=False``) for the index sets and
coefficients of one year and builds one :class:`~kamopt.model.LinearModel`
with a copy of the one-year rules per year, tied together by

* the **ramp-up** of realised potential over the years an account is served
  (``ramp``, e.g. 40% / 75% / 100%),
* **churn**: current revenue erodes by ``churn_without_kam`` a year, by
  ``churn_with_kam`` in the years an account is a key account (first-order
  linearisation, see docs/midterm.md),
* **order-intake targets** per year (company, region or industry), hard or
  soft with a shortfall penalty,
* **capacity over time**: per-year manager capacity (leavers, part-time),
  **hires** of a profile in a year (yearly cost, part productive in the
  hiring year), and **handover hours** a new lead manager spends learning an
  account,
* **discounting** to a net present value.

With ``years=1`` and :meth:`MidtermAssumptions.neutral` the model is the
one-year model (same optimum), which the tests check.

The multi-year assumptions live in their own YAML file
(``data/scenarios/midterm_base.yml``), read by :meth:`MidtermAssumptions.from_yaml`:

>>> a = MidtermAssumptions.from_dict({"years": 2, "ramp": [0.5, 1.0]})
>>> a.years, a.ramp, a.target_mode
(2, (0.5, 1.0), 'soft')
>>> MidtermAssumptions.from_dict({"discount": 0.08})
Traceback (most recent call last):
kamopt.errors.ScenarioError: The mid-term assumptions have problems (1 problem):
  - midterm, column 'discount': unknown key; did you mean 'discount_rate'?
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .case import Case
from .errors import InfeasibleError, Problem, ScenarioError, Shortfall, SolverError
from .model import INF, LinearModel
from .prepare import (
    ModelData,
    committed,
    effective_managers,
    effective_status,
    prepare,
    scenario_notes,
)
from .scenario import Hire, Scenario, read_yaml, yaml_number
from .schema import Column, Table
from .solve import Solution, empty_model_solution, relative_gap, set_start, solve
from .validate import (
    ProblemLog,
    RawTable,
    check_unique,
    did_you_mean,
    parse_table,
    provenance,
    text_array,
)

TOL = 1e-6
HIRE_PREFIX = "HIRE-"


# ------------------------------------------------------------------ assumptions
@dataclass(frozen=True)
class HireProfile:
    """A profile of key account manager that can be hired during the horizon.

    ``cost_per_year`` is paid in every year from the hiring year on, whether
    the hours are used or not; ``ramp_up`` is the share of ``capacity_hours``
    productive in the hiring year (full capacity from the next year on).
    ``max_hires`` bounds how many of this profile can be hired over the horizon.
    ``pair_costs_from`` names a manager whose pair costs (``pair_costs.csv``) a
    hire takes; without it, each account's average over the case's managers.
    """

    name: str = "kam"
    seniority: int = 2
    capacity_hours: float = 1400.0
    cost_per_year: float = 140000.0
    hourly_cost: float = 0.0
    ramp_up: float = 0.5
    industries: tuple[str, ...] = ()
    region: str = ""
    max_hires: int = 2
    pair_costs_from: str = ""


TARGET_MODES = ("hard", "soft")
#: The name :meth:`MidtermAssumptions.from_dict` gives a profile whose 'name' key is mistyped:
#: the unknown key is reported, not a missing or repeated name (it never leaves from_dict).
_NAME_LOST = "\x00name lost to an unknown key"


@dataclass(frozen=True)
class MidtermAssumptions:
    """The assumptions of a multi-year plan (on top of a :class:`~kamopt.Scenario`).

    Attributes
    ----------
    years : horizon T (the ``years`` argument of :func:`plan_midterm` overrides it).
    start_year : calendar year of the first plan year.
    ramp : share of an account's realised potential reached in its 1st, 2nd, ...
        year of key-account service (non-decreasing; the last value holds on).
    churn_without_kam, churn_with_kam : share of current revenue lost a year
        without / with key-account status; their difference replaces the
        scenario's ``retention``.
    discount_rate : yearly rate for the net present value (year 1 undiscounted).
    target_mode : ``hard`` (targets must be met) or ``soft`` (shortfall allowed
        at ``shortfall_penalty`` EUR per EUR short).
    handover_hours : hours a manager spends learning an account he or she
        starts to lead (also when it changes hands).
    hire_profiles : profiles that can be hired (:class:`HireProfile`).
    """

    years: int = 3
    start_year: int = 2027
    ramp: tuple[float, ...] = (0.4, 0.75, 1.0)
    churn_without_kam: float = 0.08
    churn_with_kam: float = 0.03
    discount_rate: float = 0.08
    target_mode: str = "soft"
    shortfall_penalty: float = 0.5
    handover_hours: float = 40.0
    hire_profiles: tuple[HireProfile, ...] = ()

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ScenarioError(problems, title="The mid-term assumptions have problems")

    def problems(self, file: str = "midterm") -> list[Problem]:
        p: list[Problem] = []

        def bad(key, value, expected):
            p.append(Problem(file, expected, column=key, value=value))

        if not _is_int(self.years) or not 1 <= self.years <= 10:
            bad("years", self.years, "must be a whole number in [1, 10]")
        if not _is_int(self.start_year) or not 1900 <= self.start_year <= 2200:
            bad("start_year", self.start_year, "must be a calendar year such as 2027")
        r = self.ramp
        if (not r or not all(_is_num(v) and 0 <= v <= 1 for v in r)
                or any(b < a for a, b in zip(r, r[1:], strict=False))):
            bad("ramp", list(r), "must be a non-empty, non-decreasing list of shares in [0, 1]")
        for key in ("churn_without_kam", "churn_with_kam", "discount_rate"):
            v = getattr(self, key)
            if not _is_num(v) or not 0 <= v < 1:
                bad(key, v, "must be a number in [0, 1)")
        if (_is_num(self.churn_with_kam) and _is_num(self.churn_without_kam)
                and self.churn_with_kam > self.churn_without_kam):
            bad("churn_with_kam", self.churn_with_kam,
                "must not exceed churn_without_kam (key-account status reduces churn)")
        if self.target_mode not in TARGET_MODES:
            bad("target_mode", self.target_mode, "must be 'hard' or 'soft'")
        for key in ("shortfall_penalty", "handover_hours"):
            v = getattr(self, key)
            if not _is_num(v) or v < 0:
                bad(key, v, "must be a number >= 0")
        names = [h.name for h in self.hire_profiles]
        for i, h in enumerate(self.hire_profiles):
            # a profile is named by its name where that says which one, else by its position
            unique = isinstance(h.name, str) and h.name.strip() and names.count(h.name) == 1
            where = f"hire_profiles[{h.name if unique and h.name != _NAME_LOST else i}]"
            first = names.index(h.name)
            if h.name == _NAME_LOST:
                pass  # its 'name' was mistyped: from_dict reports that key, not a missing name
            elif not isinstance(h.name, str) or not h.name.strip():
                bad(f"hire_profiles[{i}].name", h.name,
                    "must not be empty; each hire profile needs a unique name")
            elif first < i:
                default = (f" ({h.name!r} is also the name a profile without a 'name' gets)"
                           if h.name == HireProfile.name else "")
                bad(f"hire_profiles[{i}].name", h.name,
                    f"must be unique: hire_profiles[{first}] has the same name{default}")
            if not _is_int(h.seniority) or not 1 <= h.seniority <= 3:
                bad(where + ".seniority", h.seniority, "must be 1, 2 or 3")
            for key in ("capacity_hours", "cost_per_year", "hourly_cost"):
                v = getattr(h, key)
                if not _is_num(v) or v < 0:
                    bad(f"{where}.{key}", v, "must be a number >= 0")
            if not _is_num(h.ramp_up) or not 0 <= h.ramp_up <= 1:
                bad(where + ".ramp_up", h.ramp_up, "must be a share in [0, 1]")
            if not _is_int(h.max_hires) or not 0 <= h.max_hires <= 20:
                bad(where + ".max_hires", h.max_hires, "must be a whole number in [0, 20]")
            if not isinstance(h.pair_costs_from, str):
                bad(where + ".pair_costs_from", h.pair_costs_from,
                    "must be a manager_id of the case")
        return p

    # -------------------------------------------------------------- loading
    def replace(self, **changes) -> MidtermAssumptions:
        """A copy with ``changes`` applied (and checked)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def neutral(cls, scenario: Scenario, **changes) -> MidtermAssumptions:
        """Assumptions under which ``years=1`` gives the one-year plan of ``scenario``.

        No ramp-up, churn difference equal to the scenario's ``retention``, no
        handover hours, no hires.

        >>> MidtermAssumptions.neutral(Scenario(retention=0.05)).churn_without_kam
        0.05
        """
        base = dict(ramp=(1.0,), churn_without_kam=float(scenario.retention), churn_with_kam=0.0,
                    handover_hours=0.0, hire_profiles=())
        base.update(changes)
        return cls(**base)

    @classmethod
    def from_dict(cls, data: dict | None, file: str = "midterm") -> MidtermAssumptions:
        """Assumptions from a plain dict (YAML); unknown keys name the closest known one."""
        data = dict(data or {})
        known = [f.name for f in dataclasses.fields(cls)]
        problems = []
        for key in list(data):
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
                problems.append(Problem(file, "unknown key" + hint, column=str(key)))
                data.pop(key)
        # numbers written 2e6 (YAML 1.1 reads them as text) are numbers
        for key in ("years", "start_year"):
            if key in data:
                data[key] = yaml_number(data[key], whole=True)
        for key in ("churn_without_kam", "churn_with_kam", "discount_rate", "shortfall_penalty",
                    "handover_hours"):
            if key in data:
                data[key] = yaml_number(data[key])
        if "ramp" in data:
            ramp = data["ramp"] if isinstance(data["ramp"], list | tuple) else (data["ramp"],)
            data["ramp"] = tuple(yaml_number(v) for v in ramp)
        profiles = []
        hk = [f.name for f in dataclasses.fields(HireProfile)]
        items = data.pop("hire_profiles", None) or []
        if not isinstance(items, list):
            problems.append(Problem(file, "must be a list of hire profiles, one '- name: ...' "
                                    "each", column="hire_profiles", value=items))
            items = []
        for n, item in enumerate(items):
            if not isinstance(item, dict):
                problems.append(Problem(file, "must be a mapping of profile keys",
                                        column=f"hire_profiles[{n}]", value=item))
                continue
            item = dict(item)
            for key in list(item):
                if key not in hk:
                    close = difflib.get_close_matches(str(key), hk, n=1, cutoff=0.6)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    problems.append(Problem(file, "unknown key" + hint,
                                            column=f"hire_profiles[{n}].{key}"))
                    item.pop(key)
                    if "name" not in item:
                        item["name"] = _NAME_LOST  # not the default: it may clash with another
            for key in ("seniority", "max_hires"):
                if key in item:
                    item[key] = yaml_number(item[key], whole=True)
            for key in ("capacity_hours", "cost_per_year", "hourly_cost", "ramp_up"):
                if key in item:
                    item[key] = yaml_number(item[key])
            ind = item.get("industries", ())
            if not isinstance(ind, str | list | tuple):
                problems.append(Problem(file, "must be a list of industries",
                                        column=f"hire_profiles[{n}].industries", value=ind))
                ind = ()
            item["industries"] = tuple(ind.split(";") if isinstance(ind, str) else ind)
            if isinstance(item.get("pair_costs_from"), int) and not isinstance(
                    item.get("pair_costs_from"), bool):  # an id YAML read as a number
                item["pair_costs_from"] = str(item["pair_costs_from"])
            try:
                profiles.append(HireProfile(**item))
            except ScenarioError as exc:
                problems += [dataclasses.replace(q, file=file) for q in exc.problems]
        data["hire_profiles"] = tuple(profiles)
        try:
            out = cls(**data)
        except ScenarioError as exc:
            problems += [dataclasses.replace(q, file=file) for q in exc.problems]
            out = None
        if problems:
            raise ScenarioError(problems, title="The mid-term assumptions have problems")
        return out

    @classmethod
    def from_yaml(cls, path) -> MidtermAssumptions:
        """Read ``path`` (YAML); errors name the file and the key."""
        path = Path(path)
        data = read_yaml(path, title="The mid-term assumptions have problems")
        return cls.from_dict(data, file=path.name)

    def table(self) -> pd.DataFrame:
        """The assumptions in words and units, one row each (for a reader, not a file).

        >>> MidtermAssumptions().table().loc["churn without key-account status", "value"]
        '8% of revenue a year'
        """
        rows = {
            "horizon": f"{self.years} years from {self.start_year}",
            "ramp-up of realised potential": " / ".join(f"{r:.0%}" for r in self.ramp)
            + " in the 1st / 2nd / ... year as a key account",
            "churn without key-account status": f"{self.churn_without_kam:.0%} of revenue a year",
            "churn with key-account status": f"{self.churn_with_kam:.0%} of revenue a year",
            "discount rate": f"{self.discount_rate:.0%} a year",
            "order-intake targets": "must be met" if self.target_mode == "hard" else
            f"a shortfall costs {self.shortfall_penalty:g} EUR per EUR",
            "handover": f"{self.handover_hours:g} h for a manager to learn an account",
            "profiles that can be hired": ", ".join(h.name for h in self.hire_profiles) or "none",
        }
        return pd.DataFrame({"value": rows}).rename_axis("assumption")

    def hire_table(self) -> pd.DataFrame:
        """The profiles that can be hired, with units (for a reader, not a file).

        >>> a = MidtermAssumptions(hire_profiles=(HireProfile(name="sr", cost_per_year=175000),))
        >>> a.hire_table().loc["sr", ["cost a year", "cost an hour", "industries"]].tolist()
        ['175,000 EUR', 'in the yearly cost', 'any']
        """
        return pd.DataFrame([{
            "profile": h.name, "seniority": h.seniority,
            "hours a year": f"{h.capacity_hours:,.0f} h",
            "cost a year": f"{h.cost_per_year:,.0f} EUR",
            "cost an hour": f"{h.hourly_cost:,.0f} EUR" if h.hourly_cost else "in the yearly cost",
            "productive in the hiring year": f"{h.ramp_up:.0%}",
            "industries": ", ".join(h.industries) or "any",
            "region": h.region or "any",
            "at most": h.max_hires,
        } for h in self.hire_profiles], columns=[
            "profile", "seniority", "hours a year", "cost a year", "cost an hour",
            "productive in the hiring year", "industries", "region", "at most",
        ]).set_index("profile")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["ramp"] = list(self.ramp)
        d["hire_profiles"] = [{**dataclasses.asdict(h), "industries": list(h.industries)}
                              for h in self.hire_profiles]
        return d


def _is_num(v) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool) \
        and math.isfinite(float(v))


def _is_int(v) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


# ------------------------------------------------------------- optional inputs
TARGET_COLUMNS = ("year", "scope", "order_intake")
CAPACITY_COLUMNS = ("manager_id", "year", "capacity_hours")
#: The two optional tables in the terms of the case format (:mod:`kamopt.schema`): they are
#: read and parsed by the code that reads the case's own tables (:mod:`kamopt.io`,
#: :func:`kamopt.validate.parse_table`), so they accept the same files and numbers.
_YEAR = Column("year", "integer", required=True, lo=1900, hi=2200)
TARGETS = Table("targets", columns=(
    _YEAR, Column("scope", required=True), Column("order_intake", "number", required=True, lo=0)))
CAPACITY_BY_YEAR = Table("capacity_by_year", columns=(
    Column("manager_id", required=True), _YEAR,
    Column("capacity_hours", "number", required=True, lo=0)))


def _read_optional_table(source, table: Table) -> RawTable | None:
    """``table`` of a case, read as :func:`kamopt.load_case` reads the case's own tables.

    ``source`` is a case folder, holding ``<name>.csv`` (the name matched
    without regard to case; UTF-8 with or without BOM, UTF-16, cp1252; ``,``,
    ``;`` or tab; German Excel's numbers), or a case workbook, holding a sheet
    ``<name>``. Returns None when there is no such file or sheet or it holds
    nothing; a header without rows is a table without rows.

    Raises
    ------
    CaseError
        When the file or sheet cannot be read (naming it, and the row).
    """
    if not source:
        return None
    from .io import WORKBOOK_SUFFIXES

    path = Path(source)
    log = ProblemLog()
    if path.is_dir():
        raw = _read_from_folder(path, table, log)
    elif path.is_file() and path.suffix.lower() in WORKBOOK_SUFFIXES:
        raw = _read_from_workbook(path, table, log)
    else:
        return None
    log.raise_if_any(title=f"The case {source} has problems")
    return raw if raw is not None and raw.header else None


def _read_from_folder(folder: Path, table: Table, log: ProblemLog) -> RawTable | None:
    from .io import read_csv_table

    try:
        files = sorted(f for f in folder.iterdir() if f.name.lower() == table.file and f.is_file())
    except OSError as exc:
        log.add(Problem(folder.name, f"cannot be listed ({exc.strerror or exc})"))
        return None
    exact = [f for f in files if f.name == table.file]
    if len(files) > 1 and not exact:
        log.add(Problem(table.file, "several files match (" + ", ".join(f.name for f in files)
                        + "); keep one"))
        return None
    if not files:
        return None
    chosen = (exact or files)[0]
    return read_csv_table(chosen, chosen.name, log)


def _read_from_workbook(book: Path, table: Table, log: ProblemLog) -> RawTable | None:
    from .io import open_workbook, records_table, sheet_records

    wb = open_workbook(book, log)
    if wb is None:
        return None
    try:
        sheets = [ws for ws in wb.worksheets
                  if hasattr(ws, "iter_rows") and ws.title.strip().lower() == table.name]
        if len(sheets) > 1:
            log.add(Problem(f"{book.name}[{table.name}]", "several sheets match ("
                            + ", ".join(repr(ws.title) for ws in sheets) + "); keep one"))
            return None
        if not sheets:
            return None
        label = f"{book.name}[{sheets[0].title}]"
        records = sheet_records(book, sheets[0], label, log)
    finally:
        wb.close()
    return None if records is None else records_table(records, label)


def _raw_from_frame(df: pd.DataFrame, file: str) -> RawTable:
    """The cells of ``df`` as a table read from a workbook: row 2 on, numbers with a decimal
    point (``str`` of a float, ``1e6``)."""
    return RawTable(file, [str(c) for c in df.columns],
                    [text_array(df.iloc[:, k].tolist()) for k in range(df.shape[1])],
                    np.arange(2, len(df) + 2, dtype=np.int64), sep="")


def _typed(frame: pd.DataFrame, columns: tuple[str, ...], dtypes: dict) -> pd.DataFrame:
    out = frame[list(columns)].astype(dtypes).reset_index(drop=True)
    out.attrs = {}
    return out


def parse_targets(df: pd.DataFrame, case: Case, file: str = "targets.csv") -> pd.DataFrame:
    """Check a targets table (columns year, scope, order_intake) against ``case``.

    ``df`` holds the cells as text or values, the first row being row 2 of
    ``file``; numbers are read as a workbook's cells (decimal point, ``1e6``).
    ``scope`` is ``company``, ``region:<name>`` or ``industry:<name>`` with a
    region or industry of the case's customers. Raises
    :class:`~kamopt.errors.CaseError` naming file, row (header = row 1),
    column and value.

    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([{"customer_id": "A", "revenue": 1e6, "margin": 0.3, "potential": 1e5,
    ...                    "kam_hours": 50, "region": "Süd"}],
    ...                  [{"manager_id": "M1", "capacity_hours": 100}])
    >>> parse_targets(pd.DataFrame({"year": ["2027"], "scope": ["region:Nord"],
    ...                             "order_intake": ["1e6"]}), case)
    Traceback (most recent call last):
    kamopt.errors.CaseError: The order-intake targets have problems (1 problem):
      - targets.csv, row 2, column 'scope': got 'region:Nord'; must be 'company', 'region:<name>' or 'industry:<name>' with a region or industry of the customers (regions: Süd)
    """
    return _targets_from_raw(_raw_from_frame(df, file), case)


def _targets_from_raw(raw: RawTable, case: Case) -> pd.DataFrame:
    log = ProblemLog()
    frame = parse_table(raw, TARGETS, log)
    if "scope" in frame:
        c = case.customers
        regions = sorted(set(c["region"].astype(str)) - {""})
        industries = sorted(set(c["industry"].astype(str)) - {""})
        scope = frame["scope"].to_numpy(dtype=object)
        bad, texts = [], []
        for i, s in enumerate(scope):
            kind, _, name = s.partition(":")
            if not s or s == "company" or (kind == "region" and name in regions) or (
                    kind == "industry" and name in industries):
                continue  # an empty scope is reported by parse_table
            known = (f"regions: {', '.join(regions)}" if kind == "region"
                     else f"industries: {', '.join(industries)}" if kind == "industry" else
                     "e.g. company, region:Süd")
            bad.append(i)
            texts.append("must be 'company', 'region:<name>' or 'industry:<name>' with a region "
                         f"or industry of the customers ({known})")
        bad = np.asarray(bad, dtype=np.int64)
        log.cells(raw.file, "scope", raw.rows[bad], scope[bad], texts)
        if "year" in frame:
            year = frame["year"].to_numpy(dtype=float)
            check_unique(pd.MultiIndex.from_arrays([year, scope]), raw, "scope", log,
                         "a second target for the same year and scope", shown=scope,
                         valid=np.isfinite(year) & (scope != ""))
    log.raise_if_any(title="The order-intake targets have problems")
    return _typed(frame, TARGET_COLUMNS, {"year": "int64", "order_intake": float})


def parse_capacity_by_year(df: pd.DataFrame, case: Case,
                           file: str = "capacity_by_year.csv") -> pd.DataFrame:
    """Check a per-year capacity table (manager_id, year, capacity_hours) against ``case``.

    A row replaces that manager's ``capacity_hours`` in that year (0 for a
    leaver, less for part-time); years without a row keep managers.csv's figure.
    ``df`` is read as in :func:`parse_targets`.
    """
    return _capacity_from_raw(_raw_from_frame(df, file), case)


def _capacity_from_raw(raw: RawTable, case: Case) -> pd.DataFrame:
    log = ProblemLog()
    frame = parse_table(raw, CAPACITY_BY_YEAR, log)
    if "manager_id" in frame:
        ids = frame["manager_id"].to_numpy(dtype=object)
        known = case.managers.index
        unknown = np.flatnonzero((ids != "") & ~pd.Index(ids).isin(known))
        where, _ = provenance(case.managers, "managers", case.source)
        candidates = known.tolist() if len(known) <= 2000 else []
        log.cells(raw.file, "manager_id", raw.rows[unknown], ids[unknown],
                  [f"is not a manager of {where}" + did_you_mean(ids[i], candidates, cutoff=0.6)
                   for i in unknown[:log.cap]] + [""] * max(len(unknown) - log.cap, 0))
        if "year" in frame:
            year = frame["year"].to_numpy(dtype=float)
            check_unique(pd.MultiIndex.from_arrays([ids, year]), raw, "manager_id", log,
                         "a second row for the same manager and year", shown=ids,
                         valid=np.isfinite(year) & (ids != ""))
    log.raise_if_any(title="The capacities by year have problems")
    return _typed(frame, CAPACITY_COLUMNS, {"year": "int64", "capacity_hours": float})


def load_targets(case: Case, folder=None) -> pd.DataFrame:
    """The case's order-intake targets, or an empty table.

    Read from ``targets.csv`` of the case folder or the ``targets`` sheet of
    the case workbook (``case.source``, unless ``folder``: another folder or
    workbook), as the case's own tables are read (see :func:`_read_optional_table`).
    """
    raw = _read_optional_table(folder or case.source, TARGETS)
    if raw is None:
        return pd.DataFrame({"year": pd.Series(dtype="int64"), "scope": pd.Series(dtype=str),
                             "order_intake": pd.Series(dtype=float)})
    return _targets_from_raw(raw, case)


def load_capacity_by_year(case: Case, folder=None) -> pd.DataFrame:
    """The case's per-year capacities (``capacity_by_year.csv`` or sheet), or an empty table.

    Read as :func:`load_targets` reads the targets.
    """
    raw = _read_optional_table(folder or case.source, CAPACITY_BY_YEAR)
    if raw is None:
        return pd.DataFrame({"manager_id": pd.Series(dtype=str), "year": pd.Series(dtype="int64"),
                             "capacity_hours": pd.Series(dtype=float)})
    return _capacity_from_raw(raw, case)


# ------------------------------------------------------------------ the model
@dataclass
class MidtermModel:
    """The built multi-year model: one year's data, the programme and its column ids."""

    data: ModelData
    assumptions: MidtermAssumptions
    years: list[int]
    lp: LinearModel
    hires: pd.DataFrame  # index hire manager_id: profile, slot, capacity, cost_per_year, ramp_up
    targets: pd.DataFrame  # year, scope, order_intake, constant (intake not decided), row
    capacity: pd.DataFrame  # managers x years: capacity hours (hires: full capacity)
    cols: dict = field(default_factory=dict)  # block name -> (labels frame with 't', column ids)


def _with_hires(scenario: Scenario, a: MidtermAssumptions, least_cost: bool = False) -> Scenario:
    """``scenario`` with every hire slot of ``a`` as a one-year hire; with ``least_cost`` an
    hour of a slot costs its hourly cost plus its yearly cost spread over all its hours."""
    extra = tuple(Hire(count=h.max_hires, seniority=h.seniority, capacity_hours=h.capacity_hours,
                       hourly_cost=h.hourly_cost + (h.cost_per_year / max(h.capacity_hours, 1e-9)
                                                    if least_cost else 0.0),
                       industries=tuple(h.industries), region=h.region,
                       pair_costs_from=h.pair_costs_from, prefix="_mt_hire_") for h in a.hire_profiles if h.max_hires > 0)
    return scenario.replace(hires=tuple(scenario.hires) + extra)


def prepare_midterm(case: Case, scenario: Scenario, a: MidtermAssumptions):
    """One year's :class:`ModelData` with the hire slots as managers named ``HIRE-<profile>-<n>``."""
    d = prepare(case, _with_hires(scenario, a), prune=False)
    old = [m for m in d.managers.index if str(m).startswith("_mt_hire_")]
    slots = [(h, k) for h in a.hire_profiles for k in range(1, h.max_hires + 1)]
    rename = {o: f"{HIRE_PREFIX}{h.name}-{k}" for o, (h, k) in zip(old, slots, strict=True)}
    managers = d.managers.rename(index=rename)
    pairs = d.pairs.assign(manager_id=d.pairs["manager_id"].replace(rename))
    hires = pd.DataFrame(
        [{"manager_id": rename[o], "profile": h.name, "slot": k,
          "capacity": h.capacity_hours * scenario.capacity_scale, "cost_per_year": h.cost_per_year,
          "ramp_up": h.ramp_up} for o, (h, k) in zip(old, slots, strict=True)],
        columns=["manager_id", "profile", "slot", "capacity", "cost_per_year", "ramp_up"],
    ).set_index("manager_id")
    managers.loc[hires.index, "name"] = [f"New KAM ({p} {k})" for p, k in
                                         zip(hires["profile"], hires["slot"], strict=True)]
    return dataclasses.replace(d, managers=managers, pairs=pairs), hires


def _per_year(frame: pd.DataFrame, years: list[int], name: str = "year") -> pd.DataFrame:
    """``frame`` repeated once per year, with a ``t`` (0-based) and ``year`` column."""
    n = len(frame)
    out = pd.concat([frame.reset_index(drop=True)] * len(years), ignore_index=True)
    out["t"] = np.repeat(np.arange(len(years)), n)
    out[name] = np.repeat(np.asarray(years), n)
    return out


class _Builder:
    """Builds the multi-year model, one method per business rule."""

    def __init__(self, d: ModelData, a: MidtermAssumptions, years: list[int], hires: pd.DataFrame,
                 capacity: pd.DataFrame, targets: pd.DataFrame, lapsed: dict | None = None):
        self.d, self.a, self.years, self.hires = d, a, years, hires
        self.lapsed = lapsed or {}  # fixed leads whose manager has no hours in some years
        self.T = len(years)
        self.cap, self.targets = capacity, targets
        self.m = LinearModel()
        self.disc = 1.0 / (1.0 + a.discount_rate) ** np.arange(self.T)
        self.cols: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
        c = d.case.customers
        self.margin = c["margin"].astype(float)
        self.revenue = c["revenue"].astype(float)
        self.potential = c["potential"].astype(float)

    # ------------------------------------------------------------ variables
    def var(self, name, labels, obj, lb=0.0, ub=1.0, integer=False):
        pretty = labels.drop(columns=[k for k in labels.columns if k in ("t", "o", "p", "r", "i")])
        ids = self.m.add_vars(name, pretty, obj=obj, lb=lb, ub=ub, integer=integer)
        self.cols[name] = (labels.reset_index(drop=True), ids)
        return ids

    def rows(self, name, labels, lo=-INF, hi=INF):
        pretty = labels.drop(columns=[k for k in labels.columns if k in ("t", "o", "p", "r", "i")])
        return self.m.add_rows(name, pretty, lo=lo, hi=hi)

    def add_variables(self) -> None:
        d, a, T, yrs = self.d, self.a, self.T, self.years
        o, p, acts = d.options, d.pairs, d.acts
        c0, c1 = a.churn_without_kam, a.churn_with_kam
        cust = d.model_customers
        self.cust = cust
        # z[i,l,t]: key account at level l in year t. Its retention gain persists:
        # being a key account in year s protects (c0-c1) * rev * (1-c0)^(t-1) in every t >= s.
        zl = _per_year(o[["customer_id", "level"]].reset_index(names="o"), yrs)
        rev = self.revenue.reindex(zl["customer_id"]).to_numpy()
        mar = self.margin.reindex(zl["customer_id"]).to_numpy()
        keep_share = np.array([sum(self.disc[u] * (1 - c0) ** u for u in range(t, T))
                               for t in range(T)])
        self.z = self.var("z", zl, obj=mar * (c0 - c1) * rev * keep_share[zl["t"].to_numpy()],
                          integer=True)
        self.zl = zl
        # e[i,l,t,k]: option (i,l) in year t in its k-th year of service (k <= min(t+1, K))
        K = len(a.ramp)
        ramp = np.asarray(a.ramp, float)
        parts = [zl.assign(k=k) for k in range(1, K + 1)]
        el = pd.concat(parts, ignore_index=True)
        el = el[el["k"] <= np.minimum(el["t"] + 1, K)].reset_index(drop=True)
        real = o["realization"].to_numpy()[el["o"].to_numpy()]
        pot = self.potential.reindex(el["customer_id"]).to_numpy()
        mar = self.margin.reindex(el["customer_id"]).to_numpy()
        el["intake"] = real * pot * ramp[el["k"].to_numpy() - 1]
        self.e = self.var("e", el[["customer_id", "level", "year", "k", "o", "t"]],
                          obj=self.disc[el["t"].to_numpy()] * mar * el["intake"].to_numpy())
        self.el = el
        # u[i,t,k]: account i is in its k-th year of service in year t (binary)
        ul = el[["customer_id", "year", "k", "t"]].drop_duplicates(
            ["customer_id", "t", "k"]).reset_index(drop=True)
        self.u = self.var("u", ul, obj=0.0, integer=True)
        self.ul = ul
        # x[i,j,t]: j leads i in year t; fit and continuity as in the one-year model
        xl = _per_year(p[["customer_id", "manager_id"]].reset_index(names="p"), yrs)
        pv = p["value"].to_numpy()[xl["p"].to_numpy()]
        self.x = self.var("x", xl, obj=self.disc[xl["t"].to_numpy()] * pv, integer=True)
        self.xl = xl
        sc = d.scenario
        fitp = p["fit"].to_numpy(float) * sc.realization * sc.industry_fit \
            * self.potential.reindex(p["customer_id"]).to_numpy()
        self.x_intake = fitp[xl["p"].to_numpy()]
        # g[i,j,l,t]: share of option (i,l) led by j in year t (tight lead link, no big-M)
        po = p[["customer_id"]].reset_index(names="p").merge(
            o[["customer_id", "level", "hours"]].reset_index(names="o"), on="customer_id")
        po["manager_id"] = p["manager_id"].to_numpy()[po["p"].to_numpy()]
        gl = _per_year(po[["customer_id", "manager_id", "level", "p", "o"]], yrs)
        gl["hours"] = o["hours"].to_numpy()[gl["o"].to_numpy()]
        rate = p["hourly_cost"].to_numpy()[gl["p"].to_numpy()]
        fits = self._fits(gl)
        self.g = self.var("g", gl[["customer_id", "manager_id", "level", "year", "p", "o", "t"]],
                          obj=-self.disc[gl["t"].to_numpy()] * rate * gl["hours"].to_numpy(),
                          ub=fits.astype(float))
        self.gl = gl
        # a lead manager for whom no level of the account fits: x = 0 (exact, tightens the LP)
        npr = len(p)
        x_fits = np.zeros(len(xl), bool)
        np.logical_or.at(x_fits, gl["p"].to_numpy() + npr * gl["t"].to_numpy(), fits)
        self.m.ub[list(self.m.cols).index("x")][~x_fits] = 0.0
        # a fixed lead whose manager has no hours in some years: fixed in the other years
        lapsed = self.lapsed
        if lapsed:
            lead = pd.Series({cid: j for cid, (j, _) in lapsed.items()})
            want = lead.reindex(xl["customer_id"]).to_numpy()
            gone = {(cid, y) for cid, (_, ys) in lapsed.items() for y in ys}
            holds = np.array([(c, y) not in gone for c, y in zip(xl["customer_id"], xl["year"],
                                                                 strict=True)])
            other = (~pd.isna(want)) & (want != xl["manager_id"].to_numpy()) & holds
            self.m.ub[list(self.m.cols).index("x")][other] = 0.0
        # q[i,j,t]: the account's activity hours, carried by its lead manager (compact form)
        self.act_hours = acts[acts["kam_hours"] > 0].groupby("customer_id")["kam_hours"].sum()
        qp = p[p["customer_id"].isin(self.act_hours.index)][["customer_id", "manager_id"]]
        ql = _per_year(qp.reset_index(names="p"), yrs)
        rate = p["hourly_cost"].to_numpy()[ql["p"].to_numpy()]
        self.q = self.var("q", ql, obj=-self.disc[ql["t"].to_numpy()] * rate, ub=INF)
        self.ql = ql
        # a[i,k,t]: activity k runs for i in year t
        al = _per_year(acts[["customer_id", "activity_id"]].reset_index(names="r"), yrs)
        av = (acts["value"] - acts["cost"]).to_numpy()[al["r"].to_numpy()]
        done = committed(acts, d.scenario)[al["r"].to_numpy()]  # committed: run every year
        self.a_ = self.var("a", al, obj=self.disc[al["t"].to_numpy()] * av,
                           lb=done.astype(float), integer=True)
        self.al = al
        upl = d.case.activities["uplift"].astype(float).reindex(al["activity_id"]).to_numpy()
        self.a_intake = upl * self.potential.reindex(al["customer_id"]).to_numpy()
        # learn[i,j,t]: j starts to lead i in year t and spends handover hours on it
        if a.handover_hours > 0:
            rate = p["hourly_cost"].to_numpy()[xl["p"].to_numpy()]
            self.learn = self.var("learn", xl, obj=-self.disc[xl["t"].to_numpy()] * rate
                                  * a.handover_hours)
        else:
            self.learn = None
        # w[n,t]: hire slot n is hired in year t; paid from then to the horizon's end
        hl = _per_year(pd.DataFrame({"manager_id": self.hires.index}), yrs)
        cost = self.hires["cost_per_year"].reindex(hl["manager_id"]).to_numpy()
        tail = np.array([self.disc[t:].sum() for t in range(T)])
        self.w = self.var("hire", hl, obj=-cost * tail[hl["t"].to_numpy()] if len(hl) else 0.0,
                          integer=True)
        self.hl = hl
        # shortfall of each target
        tg = self.targets
        pen = a.shortfall_penalty * self.disc[tg["t"].to_numpy()] if len(tg) else 0.0
        self.s = self.var("shortfall", tg[["scope", "year", "t"]], obj=-pen, lb=0.0,
                          ub=0.0 if a.target_mode == "hard" else INF)

    def _fits(self, gl: pd.DataFrame) -> np.ndarray:
        """Whether option (i, l) can be led by j in year t at all.

        Not when its hours, plus the handover hours it must take in year 1
        (j is not the current manager), exceed j's capacity that year (a hire
        slot's full capacity): such a g is fixed at 0. Exact (every plan keeps
        it) and it stops the LP relaxation from giving a manager a share of an
        account that cannot fit.
        """
        cap = self.cap.stack().reindex(pd.MultiIndex.from_arrays(
            [gl["manager_id"].to_numpy(), gl["year"].to_numpy()])).to_numpy(float)
        cont = self.d.pairs["continuity"].to_numpy(bool)[gl["p"].to_numpy()]
        forced = (gl["t"].to_numpy() == 0) & ~cont
        need = gl["hours"].to_numpy() + self.a.handover_hours * forced
        return need <= cap * (1 + 1e-9) + 1e-9

    # ------------------------------------------------------------ the rules
    def add_one_level_per_account(self) -> None:
        """At most one coverage level per account and year; exactly one for ``must``."""
        d = self.d
        lab = _per_year(pd.DataFrame({"customer_id": self.cust}), self.years)
        must = (d.customers.loc[lab["customer_id"], "status"] == "must").to_numpy()
        rows = self.rows("key_account", lab, lo=np.where(must, 1.0, -INF), hi=1.0)
        ci = self._cust_year_row(self.zl)
        self.m.add_coefs(rows[ci], self.z, 1.0)

    def _cust_year_row(self, labels: pd.DataFrame) -> np.ndarray:
        """Position of (customer, t) in a per-year block of the model's customers."""
        return (self.cust.get_indexer(labels["customer_id"]) + len(self.cust)
                * labels["t"].to_numpy())

    def add_lead_manager_links(self) -> None:
        """One lead manager per key account and year: ``sum_j g = z`` and ``sum_l g = x``."""
        gl, m = self.gl, self.m
        no, npr = len(self.d.options), len(self.d.pairs)
        rows = self.rows("level_lead", self.zl[["customer_id", "level", "year"]], lo=0.0, hi=0.0)
        m.add_coefs(rows[gl["o"].to_numpy() + no * gl["t"].to_numpy()], self.g, 1.0)
        m.add_coefs(rows, self.z, -1.0)
        rows = self.rows("lead", self.xl[["customer_id", "manager_id", "year"]], lo=0.0, hi=0.0)
        m.add_coefs(rows[gl["p"].to_numpy() + npr * gl["t"].to_numpy()], self.g, 1.0)
        m.add_coefs(rows, self.x, -1.0)

    def add_ramp_up(self) -> None:
        """Realised potential ramps up with the years of service.

        ``sum_k e[i,l,t,k] = z[i,l,t]``, ``sum_l e[i,l,t,k] = u[i,t,k]`` (so
        ``e = z * u`` for integer z, u) and the service year cannot exceed the
        years served so far: ``sum_k k u[i,t,k] <= sum_{s<=t} y[i,s]``.
        """
        m, el, ul = self.m, self.el, self.ul
        no = len(self.d.options)
        rows = self.rows("ramp_level", self.zl[["customer_id", "level", "year"]], lo=0.0, hi=0.0)
        m.add_coefs(rows[el["o"].to_numpy() + no * el["t"].to_numpy()], self.e, 1.0)
        m.add_coefs(rows, self.z, -1.0)
        key = pd.MultiIndex.from_frame(ul[["customer_id", "t", "k"]])
        rows = self.rows("ramp_year", ul[["customer_id", "year", "k"]], lo=0.0, hi=0.0)
        m.add_coefs(rows[key.get_indexer(pd.MultiIndex.from_frame(el[["customer_id", "t", "k"]]))],
                    self.e, 1.0)
        m.add_coefs(rows, self.u, -1.0)
        lab = _per_year(pd.DataFrame({"customer_id": self.cust}), self.years)
        rows = self.rows("service_years", lab, hi=0.0)
        m.add_coefs(rows[self._cust_year_row(ul)], self.u, ul["k"].to_numpy(float))
        zl = self.zl
        n = len(self.cust)
        ci = self.cust.get_indexer(zl["customer_id"])
        for t in range(self.T):  # z of year s counts in every year t >= s
            sel = zl["t"].to_numpy() <= t
            m.add_coefs(rows[ci[sel] + n * t], self.z[sel], -1.0)

    def add_activity_hours(self) -> None:
        """Activity hours go to the lead manager (compact form, as documented)."""
        if len(self.ql) == 0:
            return
        m, ql, al, acts = self.m, self.ql, self.al, self.d.acts
        cust = pd.Index(self.act_hours.index)
        lab = _per_year(pd.DataFrame({"customer_id": cust}), self.years)
        rows = self.rows("activity_hours", lab, lo=0.0, hi=0.0)
        m.add_coefs(rows[cust.get_indexer(ql["customer_id"]) + len(cust) * ql["t"].to_numpy()],
                    self.q, 1.0)
        kh = acts["kam_hours"].to_numpy()[al["r"].to_numpy()]
        sel = kh > 0
        m.add_coefs(rows[cust.get_indexer(al["customer_id"][sel])
                         + len(cust) * al["t"].to_numpy()[sel]], self.a_[sel], -kh[sel])
        link = self.rows("activity_lead", ql[["customer_id", "manager_id", "year"]], hi=0.0)
        m.add_coefs(link, self.q, 1.0)
        npr = len(self.d.pairs)
        m.add_coefs(link, self.x[ql["p"].to_numpy() + npr * ql["t"].to_numpy()],
                    -self.act_hours.reindex(ql["customer_id"]).to_numpy())

    def add_handover(self) -> None:
        """``learn[i,j,t] >= x[i,j,t] - x[i,j,t-1]`` (year 0: the current manager)."""
        if self.learn is None:
            return
        m, xl = self.m, self.xl
        npr = len(self.d.pairs)
        cont = self.d.pairs["continuity"].to_numpy(float)
        t = xl["t"].to_numpy()
        lo = np.where(t == 0, -cont[xl["p"].to_numpy()], 0.0)
        rows = self.rows("handover", xl[["customer_id", "manager_id", "year"]], lo=lo)
        m.add_coefs(rows, self.learn, 1.0)
        m.add_coefs(rows, self.x, -1.0)
        later = np.flatnonzero(t > 0)
        m.add_coefs(rows[later], self.x[later - npr], 1.0)
        if (self.d.managers["min_hours"] > 0).any():
            # a minimum workload would pay for handover hours nobody spends: learn is then
            # exactly x[i,j,t] (1 - x[i,j,t-1]), bounded from above too
            lab = xl[["customer_id", "manager_id", "year"]]
            lead = self.rows("handover_lead", lab, hi=0.0)
            m.add_coefs(lead, self.learn, 1.0)
            m.add_coefs(lead, self.x, -1.0)
            new = self.rows("handover_new", lab, hi=np.where(t == 0, 1.0 + lo, 1.0))
            m.add_coefs(new, self.learn, 1.0)
            m.add_coefs(new[later], self.x[later - npr], 1.0)

    def add_manager_capacity(self) -> None:
        """``capacity[j,t]``: coverage, activity and handover hours within the year's capacity.

        A hire's capacity is ``ramp_up`` of its hours in the hiring year and all
        of them afterwards; before it is hired it has none.
        """
        m, gl, ql = self.m, self.gl, self.ql
        mgr = pd.Index(self.d.managers.index)
        lab = _per_year(pd.DataFrame({"manager_id": mgr}), self.years)
        cap = self.cap.stack().reindex(pd.MultiIndex.from_frame(lab[["manager_id", "year"]]))
        hi = np.where(lab["manager_id"].isin(self.hires.index), 0.0, cap.to_numpy(float))
        rows = self.rows("capacity", lab, hi=hi)
        nm = len(mgr)
        pj = mgr.get_indexer(self.d.pairs["manager_id"])

        def hours_into(rows: np.ndarray) -> None:  # row of (manager, year) or -1
            for cols, lab_, coef in ((self.g, gl, gl["hours"].to_numpy()), (self.q, ql, 1.0),
                                     (self.learn, self.xl, self.a.handover_hours)):
                if cols is None:
                    continue
                r = rows[pj[lab_["p"].to_numpy()] + nm * lab_["t"].to_numpy()]
                on = r >= 0
                m.add_coefs(r[on], cols[on], coef[on] if np.ndim(coef) else coef)

        hours_into(rows)
        # min_workload[j,t]: a manager's minimum workload, at most the year's capacity
        least = np.minimum(self.d.managers["min_hours"].reindex(lab["manager_id"]).to_numpy(float),
                           hi)
        if (least > 0).any():
            sel = np.flatnonzero(least > 0)
            low = np.full(len(lab), -1)
            low[sel] = self.rows("min_workload", lab.iloc[sel].reset_index(drop=True), lo=least[sel])
            hours_into(low)
        hl = self.hl
        if len(hl):
            h = self.hires.reindex(hl["manager_id"])
            hj = mgr.get_indexer(hl["manager_id"])
            ht = hl["t"].to_numpy()
            for t in range(self.T):  # hired in year s <= t gives capacity in year t
                sel = ht <= t
                share = np.where(ht[sel] == t, h["ramp_up"].to_numpy()[sel], 1.0)
                m.add_coefs(rows[hj[sel] + nm * t], self.w[sel],
                            -share * h["capacity"].to_numpy()[sel])

    def add_hiring_rules(self) -> None:
        """A slot is hired at most once; slots of a profile are filled in order; a hire
        leads accounts only once hired."""
        hl = self.hl
        if len(hl) == 0:
            return
        m, hires = self.m, self.hires
        idx = pd.Index(hires.index)
        rows = self.rows("hire_once", pd.DataFrame({"manager_id": idx}), hi=1.0)
        m.add_coefs(rows[idx.get_indexer(hl["manager_id"])], self.w, 1.0)
        # symmetry: slot k+1 of a profile hired by year t only if slot k is
        nxt = hires.reset_index()
        nxt["next"] = nxt.groupby("profile")["manager_id"].shift(-1)
        pairs = nxt.dropna(subset=["next"])
        if len(pairs):
            lab = _per_year(pairs[["next", "manager_id"]].rename(
                columns={"next": "manager_id", "manager_id": "after"}), self.years)
            rows = self.rows("hire_order", lab, hi=0.0)
            pos = {(mid, t): n for n, (mid, t) in enumerate(zip(hl["manager_id"], hl["t"],
                                                                strict=True))}
            ri, ci, vi = [], [], []
            for r, (mid, after, t) in enumerate(zip(lab["manager_id"], lab["after"], lab["t"],
                                                    strict=True)):
                for s in range(t + 1):
                    ri += [r, r]
                    ci += [pos[(mid, s)], pos[(after, s)]]
                    vi += [1.0, -1.0]
            m.add_coefs(rows[np.array(ri)], self.w[np.array(ci)], np.array(vi))
        # a hire leads an account only once hired: x[i,n,t] <= sum_{s<=t} w[n,s]
        # (one row per pair, not one big-M row per hire: much tighter)
        xl = self.xl
        sel = np.flatnonzero(xl["manager_id"].isin(idx).to_numpy())
        if len(sel) == 0:
            return
        lab = xl.loc[sel, ["customer_id", "manager_id", "year", "t"]].reset_index(drop=True)
        rows = self.rows("hired_before_leading", lab, hi=0.0)
        m.add_coefs(rows, self.x[sel], 1.0)
        hpos = pd.Series(np.arange(len(hl)), index=pd.MultiIndex.from_frame(hl[["manager_id", "t"]]))
        for s_ in range(self.T):
            later = np.flatnonzero(lab["t"].to_numpy() >= s_)
            cols = hpos.reindex(pd.MultiIndex.from_arrays(
                [lab["manager_id"].to_numpy()[later], np.full(len(later), s_)])).to_numpy()
            m.add_coefs(rows[later], self.w[cols.astype(int)], -1.0)

    def add_activity_needs_key_account(self) -> None:
        """An activity runs in a year only for a key account of that year."""
        al = self.al
        if len(al) == 0:
            return
        m = self.m
        rows = self.rows("activity_for_key_account", al[["customer_id", "activity_id", "year"]],
                         hi=0.0)
        m.add_coefs(rows, self.a_, 1.0)
        zl = self.zl.reset_index(names="zc")[["customer_id", "t", "zc"]]
        ra = al[["customer_id", "t"]].reset_index(names="ar").merge(zl, on=["customer_id", "t"])
        m.add_coefs(rows[ra["ar"].to_numpy()], self.z[ra["zc"].to_numpy()], -1.0)

    def add_department_capacity(self) -> None:
        """Each department's hours for key-account activities within its capacity, per year."""
        dep, al, acts = self.d.departments, self.al, self.d.acts
        dept = acts["department"].astype(str).to_numpy()[al["r"].to_numpy()]
        used = dept != ""
        if len(dep) == 0 or not used.any():
            return
        deps = pd.Index(dep.index)
        lab = _per_year(pd.DataFrame({"department": deps}), self.years)
        rows = self.rows("department", lab, hi=np.tile(dep.to_numpy(float), self.T))
        dh = acts["dept_hours"].to_numpy()[al["r"].to_numpy()]
        self.m.add_coefs(rows[deps.get_indexer(dept[used]) + len(deps) * al["t"].to_numpy()[used]],
                         self.a_[used], dh[used])

    def add_budget(self) -> None:
        """Per year: manager-hour cost, activity cost and hire cost within the scenario's budget."""
        budget = self.d.scenario.budget
        if budget is None:
            return
        lab = pd.DataFrame({"year": self.years, "t": range(self.T)})
        rows = self.rows("budget", lab, hi=budget)
        p, m = self.d.pairs, self.m
        gl, ql, al = self.gl, self.ql, self.al
        m.add_coefs(rows[gl["t"].to_numpy()], self.g,
                    p["hourly_cost"].to_numpy()[gl["p"].to_numpy()] * gl["hours"].to_numpy())
        m.add_coefs(rows[ql["t"].to_numpy()], self.q, p["hourly_cost"].to_numpy()[ql["p"].to_numpy()])
        m.add_coefs(rows[al["t"].to_numpy()], self.a_, self.d.acts["cost"].to_numpy()[al["r"].to_numpy()])
        pc = p["pair_cost"].to_numpy()[self.xl["p"].to_numpy()]
        m.add_coefs(rows[self.xl["t"].to_numpy()[pc > 0]], self.x[pc > 0], pc[pc > 0])
        if self.learn is not None:
            xl = self.xl
            m.add_coefs(rows[xl["t"].to_numpy()], self.learn,
                        p["hourly_cost"].to_numpy()[xl["p"].to_numpy()] * self.a.handover_hours)
        hl = self.hl
        for t in range(self.T):
            sel = hl["t"].to_numpy() <= t
            m.add_coefs(np.full(sel.sum(), rows[t]), self.w[sel],
                        self.hires["cost_per_year"].reindex(hl["manager_id"][sel]).to_numpy())

    def add_key_account_bounds(self) -> None:
        """Per year: ``min_key_accounts <= key accounts <= max_key_accounts``."""
        s = self.d.scenario
        if s.min_key_accounts is None and s.max_key_accounts is None:
            return
        lo = -INF if s.min_key_accounts is None else float(s.min_key_accounts)
        hi = INF if s.max_key_accounts is None else float(s.max_key_accounts)
        rows = self.rows("key_account_count", pd.DataFrame({"year": self.years}), lo=lo, hi=hi)
        self.m.add_coefs(rows[self.zl["t"].to_numpy()], self.z, 1.0)

    def add_intake_targets(self) -> None:
        """``intake_target[scope,year]``: expected order intake + shortfall >= target.

        The intake not decided by the plan (every customer's revenue eroding at
        ``churn_without_kam``) is moved to the right-hand side.
        """
        tg = self.targets
        if len(tg) == 0:
            return
        m = self.m
        rows = self.rows("intake_target", tg[["scope", "year", "t"]],
                         lo=(tg["order_intake"] - tg["constant"]).to_numpy())
        m.add_coefs(rows, self.s, 1.0)
        c = self.d.case.customers
        c0, c1 = self.a.churn_without_kam, self.a.churn_with_kam
        for r, (scope, t) in enumerate(zip(tg["scope"], tg["t"], strict=True)):
            inside = _in_scope(c, scope)
            # retention: z of year s <= t
            zl = self.zl
            sel = (zl["t"].to_numpy() <= t) & inside.reindex(zl["customer_id"]).to_numpy()
            coef = (c0 - c1) * self.revenue.reindex(zl["customer_id"][sel]).to_numpy() \
                * (1 - c0) ** t
            m.add_coefs(np.full(sel.sum(), rows[r]), self.z[sel], coef)
            for lab, ids, val in ((self.el, self.e, self.el["intake"].to_numpy()),
                                  (self.xl, self.x, self.x_intake),
                                  (self.al, self.a_, self.a_intake)):
                sel = (lab["t"].to_numpy() == t) & inside.reindex(lab["customer_id"]).to_numpy()
                sel &= val != 0
                m.add_coefs(np.full(sel.sum(), rows[r]), ids[sel], val[sel])

    # ------------------------------------------------------------ a start
    def vector(self, dec: pd.DataFrame, hired: dict) -> np.ndarray:
        """The column values of a plan given as decisions.

        ``dec``: one row per (customer_id, t) that is a key account, with
        ``level``, ``manager_id`` and ``activities`` (a tuple of activity ids);
        ``hired``: {hire manager_id: t}. Used for the warm start.
        """
        v = np.zeros(self.m.n_cols)
        a = self.a
        if len(dec):
            dec = dec.sort_values(["customer_id", "t"]).reset_index(drop=True)
            dec["n"] = dec.groupby("customer_id").cumcount() + 1
            dec["k"] = np.minimum(dec["n"], len(a.ramp))

            def put(lab, ids, keys, frame, value=1.0):
                idx = pd.MultiIndex.from_frame(lab[keys]).get_indexer(
                    pd.MultiIndex.from_frame(frame[keys]))
                ok = idx >= 0
                v[ids[idx[ok]]] = np.asarray(value)[ok] if np.ndim(value) else value

            put(self.zl, self.z, ["customer_id", "level", "t"], dec)
            put(self.xl, self.x, ["customer_id", "manager_id", "t"], dec)
            put(self.gl, self.g, ["customer_id", "manager_id", "level", "t"], dec)
            put(self.el, self.e, ["customer_id", "level", "t", "k"], dec)
            put(self.ul, self.u, ["customer_id", "t", "k"], dec)
            acts = dec[["customer_id", "t", "manager_id", "activities"]].explode("activities")
            acts = acts.dropna(subset=["activities"]).rename(columns={"activities": "activity_id"})
            if len(acts):
                put(self.al, self.a_, ["customer_id", "activity_id", "t"], acts)
                kh = self.d.case.activities["kam_hours"].astype(float)
                acts = acts.assign(h=kh.reindex(acts["activity_id"]).to_numpy())
                hq = acts.groupby(["customer_id", "manager_id", "t"], as_index=False)["h"].sum()
                hq = hq[hq["h"] > 0]
                put(self.ql, self.q, ["customer_id", "manager_id", "t"], hq, hq["h"].to_numpy())
            if self.learn is not None:
                prev = dec.assign(t=dec["t"] + 1)[["customer_id", "t", "manager_id"]]
                cur = self.d.case.customers["current_manager"].astype(str)
                first = pd.DataFrame({"customer_id": cur.index, "t": 0, "manager_id": cur.values})
                prev = pd.concat([prev, first[first["manager_id"] != ""]])
                kept = dec.merge(prev, on=["customer_id", "t", "manager_id"], how="left",
                                 indicator=True)["_merge"].eq("both").to_numpy()
                put(self.xl, self.learn, ["customer_id", "manager_id", "t"], dec[~kept])
        if hired:
            hf = pd.DataFrame({"manager_id": list(hired), "t": list(hired.values())})
            idx = pd.MultiIndex.from_frame(self.hl[["manager_id", "t"]]).get_indexer(
                pd.MultiIndex.from_frame(hf))
            v[self.w[idx[idx >= 0]]] = 1.0
        if "intake_target" in self.m.rows and len(self.s):
            blk = self.m.rows["intake_target"]
            act = self.m.matrix()[blk.slice] @ v
            lo = self.m.arrays()["row_lo"][blk.slice]
            v[self.s] = np.maximum(lo - act, 0.0)
        return v

    def build(self) -> LinearModel:
        self.add_variables()
        for rule in (self.add_one_level_per_account, self.add_lead_manager_links,
                     self.add_ramp_up, self.add_activity_hours, self.add_handover,
                     self.add_manager_capacity, self.add_hiring_rules,
                     self.add_activity_needs_key_account, self.add_department_capacity,
                     self.add_budget, self.add_key_account_bounds, self.add_intake_targets):
            rule()
        return self.m


def _in_scope(customers: pd.DataFrame, scope: str) -> pd.Series:
    if scope == "company":
        return pd.Series(True, index=customers.index)
    kind, _, name = scope.partition(":")
    return customers[kind].astype(str) == name


def baseline_intake(case: Case, a: MidtermAssumptions, t: int) -> pd.Series:
    """Each customer's order intake in plan year ``t`` (0-based) without key-account management.

    ``revenue * (1 - churn_without_kam) ** (t + 1)``.
    """
    return case.customers["revenue"].astype(float) * (1 - a.churn_without_kam) ** (t + 1)


def _capacity_table(d: ModelData, hires: pd.DataFrame, capacity_by_year: pd.DataFrame,
                    years: list[int]) -> pd.DataFrame:
    mg = d.managers
    cap = pd.DataFrame({y: mg["capacity"].astype(float) for y in years})
    scale = d.scenario.capacity_scale
    for rec in capacity_by_year.itertuples(index=False):
        if rec.manager_id in cap.index and rec.year in cap.columns:
            cap.at[rec.manager_id, rec.year] = float(rec.capacity_hours) * scale
    if len(hires):
        cap.loc[hires.index] = np.outer(hires["capacity"].to_numpy(), np.ones(len(years)))
    cap.columns.name = "year"
    cap.index.name = "manager_id"
    return cap


def lapsed_leads(case: Case, scenario: Scenario, capacity_by_year: pd.DataFrame,
                 years: list[int]) -> dict[str, tuple[str, list[int]]]:
    """The fixed leads (``leads``) whose manager has no hours in some years of the horizon.

    Returns ``{customer_id: (manager_id, [years without hours])}``. In those years
    the account stays a key account but may be led by anyone; in the others the
    fix holds ("K0051 stays with M08 while M08 is here").

    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([dict(customer_id="K1")], [dict(manager_id="M1", capacity_hours=100)])
    >>> cby = pd.DataFrame({"manager_id": ["M1"], "year": [2028], "capacity_hours": [0.0]})
    >>> lapsed_leads(case, Scenario(leads={"K1": "M1"}), cby, [2027, 2028, 2029])
    {'K1': ('M1', [2028])}
    """
    out = {}
    for cid, j in scenario.leads:
        if j not in case.managers.index:  # a hire of the scenario: the same hours every year
            continue
        base = float(case.managers.at[j, "capacity_hours"])
        rows = capacity_by_year[capacity_by_year["manager_id"] == j]
        by_year = dict(zip(rows["year"], rows["capacity_hours"].astype(float), strict=True))
        gone = [y for y in years if by_year.get(y, base) * scenario.capacity_scale <= 0]
        if gone:
            out[cid] = (j, gone)
    return out


def _model_scenario(scenario: Scenario, lapsed: dict) -> Scenario:
    """``scenario`` with the lapsing fixed leads as ``must`` accounts (every manager a candidate;
    the builder then fixes the lead in the years its manager has hours)."""
    if not lapsed:
        return scenario
    return scenario.replace(leads=tuple(p for p in scenario.leads if p[0] not in lapsed),
                            must=tuple(dict.fromkeys((*scenario.must, *lapsed))))


def build_midterm(case: Case, scenario: Scenario, a: MidtermAssumptions, years: int,
                  targets: pd.DataFrame, capacity_by_year: pd.DataFrame) -> MidtermModel:
    """Build the multi-year model (stage 2 of :func:`plan_midterm`), callable alone."""
    yrs = [a.start_year + t for t in range(years)]
    lapsed = lapsed_leads(case, scenario, capacity_by_year, yrs)
    d, hires = prepare_midterm(case, _model_scenario(scenario, lapsed), a)
    tg = targets[targets["year"].isin(yrs)].reset_index(drop=True).copy()
    tg["t"] = tg["year"] - a.start_year
    tg["constant"] = [float(baseline_intake(case, a, t)[_in_scope(case.customers, s)].sum())
                      for s, t in zip(tg["scope"], tg["t"], strict=True)]
    cap = _capacity_table(d, hires, capacity_by_year, yrs)
    b = _Builder(d, a, yrs, hires, cap, tg, lapsed)
    lp = b.build()
    mm = MidtermModel(d, a, yrs, lp, hires, tg, cap, cols=b.cols)
    mm._builder = b  # the per-block intake coefficients, for reading the plan
    return mm


# ------------------------------------------------------------------ the plan
@dataclass
class MidtermPlan:
    """A multi-year plan and its figures.

    Attributes
    ----------
    accounts : one row per (year, customer_id): ``key_account``, ``level``,
        ``manager_id``, ``hours`` (coverage + activities + handover),
        ``handover_hours``, ``activities``, ``service_year``, ``ramp``,
        ``intake`` (expected order intake, EUR), ``intake_retained``,
        ``intake_potential``, ``value``, ``cost``, ``net`` (EUR of that year).
    years : one row per year: ``intake``, ``target``, ``shortfall``,
        ``target_met``, ``key_accounts``, ``hires``, ``value``, ``cost``,
        ``hire_cost``, ``net``, ``discount``, ``net_present``.
    targets : every target (year, scope) with ``intake``, ``shortfall``, ``met``.
    hires : the hiring plan: ``manager_id``, ``profile``, ``year``, ``capacity``,
        ``cost_per_year``.
    changes : lead-manager changes: ``customer_id``, ``year``, ``from_manager``,
        ``to_manager`` (year 1 against the case's current manager).
    managers : one row per (year, manager_id): ``capacity``, ``hours_used``,
        ``utilisation``, ``accounts``.
    kpis : ``npv`` (net present value of the plan's contribution), ``objective``
        (npv minus shortfall penalties), ``mip_gap``, ``solve_seconds``, ...
    """

    case: Case
    scenario: Scenario
    assumptions: MidtermAssumptions
    status: str
    accounts: pd.DataFrame
    years: pd.DataFrame
    targets: pd.DataFrame
    hires: pd.DataFrame
    changes: pd.DataFrame
    managers: pd.DataFrame
    kpis: dict
    model: MidtermModel | None = field(default=None, repr=False, compare=False)
    solution: Solution | None = field(default=None, repr=False, compare=False)

    @property
    def objective(self) -> float:
        return self.kpis["objective"]

    def relationships(self) -> pd.DataFrame:
        """Lead manager per key account (rows) and year (columns); '' where not a key account."""
        acc = self.accounts
        return (acc.pivot(index="customer_id", columns="year", values="manager_id")
                .loc[lambda df: (df != "").any(axis=1)])

    def summary(self) -> dict:
        return {"status": self.status, **self.kpis,
                "years": _records(self.years), "hires": _records(self.hires)}

    def verify(self) -> None:
        """Re-check the plan's rules year by year from its decisions (:func:`verify_midterm`);
        raises :class:`~kamopt.plan.VerificationError` listing every violation."""
        from .plan import VerificationError

        violations = verify_midterm(self)
        if violations:
            raise VerificationError(violations)

    def to_excel(self, path) -> None:
        """One sheet per table: Summary, Years, Targets, Accounts, Relationships, Changes,
        Hires, Managers, Assumptions."""
        from .report import write_workbook

        sheets = {
            "Summary": pd.DataFrame([(k, v) for k, v in self.kpis.items()],
                                    columns=["figure", "value"]),
            "Years": self.years.reset_index(),
            "Targets": self.targets,
            "Accounts": self.accounts,
            "Relationships": self.relationships().reset_index(),
            "Changes": self.changes,
            "Hires": self.hires,
            "Managers": self.managers,
            "Assumptions": pd.DataFrame([(k, str(v)) for k, v in self.assumptions.to_dict().items()],
                                        columns=["key", "value"]),
        }
        write_workbook(sheets, path)

    def __repr__(self) -> str:
        k = self.kpis
        met = int(self.years["target_met"].sum()) if len(self.years) else 0
        return (f"MidtermPlan({self.status}, {len(self.years)} years, NPV {k['npv']:,.0f} EUR, "
                f"targets met in {met} of {int(self.years['target'].notna().sum())} years, "
                f"{len(self.hires)} hires, gap {k['mip_gap']:.2%})")


def verify_midterm(mp: MidtermPlan) -> list[str]:
    """The rules of the mid-term plan, re-checked year by year from its decisions.

    Independent of the solver: from each year's key accounts, levels, lead
    managers and activities (``mp.accounts``) and the hiring plan, with the
    case's tables and the scenario, it checks status (``must``, ``exclude``
    and the scenario's fixed decisions), one lead manager of sufficient
    seniority per key account, fixed and ruled-out leads (a fixed lead in the
    years its manager has hours), fixed levels, committed activities, hires
    leading only from the year they are hired, the hours (level, activities
    and the handover when an account changes hands, recomputed), each
    manager's capacity of the year (``mp.managers``), each department's
    capacity and the number of key accounts. The economics (intake, value,
    NPV) are checked against enumeration in the tests, not here.
    """
    case, sc, a = mp.case, mp.scenario, mp.assumptions
    c = case.customers
    status = effective_status(case, sc)
    managers = effective_managers(case, sc)
    seniority = {**managers["seniority"].to_dict(),
                 **{f"{HIRE_PREFIX}{h.name}-{k}": h.seniority for h in a.hire_profiles
                    for k in range(1, h.max_hires + 1)}}
    hired = dict(zip(mp.hires["manager_id"], mp.hires["year"], strict=True))
    lapsed = (mp.model._builder.lapsed if mp.model is not None else {})
    levels = {lv.name: lv.hours_factor for lv in sc.levels}
    resp = ({(r.customer_id, r.level): float(r.hours) for r in case.responses.itertuples()}
            if len(case.responses) else {})
    has_resp = set(case.responses["customer_id"]) if len(case.responses) else set()
    acts = case.activities
    deps = case.departments["capacity_hours"].astype(float) if len(case.departments) else {}
    capacity = mp.managers.set_index(["manager_id", "year"])["capacity"]
    lead, ruled = sc.lead_of, set(sc.excluded_leads)
    fixed_level, committed_of = sc.coverage_of, sc.committed_of
    prev = {cid: (m or None) for cid, m in c["current_manager"].astype(str).items()}
    out: list[str] = []
    for year, ay in mp.accounts.sort_values("year").groupby("year", sort=True):
        ay = ay.set_index("customer_id")
        if not ay.index.equals(c.index):
            out.append(f"in {year}, the plan does not have one row per customer of the case")
            continue
        ka = ay["key_account"].astype(int) == 1
        mgr, lvl = ay["manager_id"].astype(str), ay["level"].astype(str)
        hours, dept_use = {}, {}
        for cid in c.index[(status == "must").to_numpy() & ~ka.to_numpy()]:
            out.append(f"in {year}, {cid} is 'must' but not a key account")
        for cid in c.index[(status == "exclude").to_numpy() & ka.to_numpy()]:
            out.append(f"in {year}, {cid} is 'exclude' but a key account")
        for cid in ay.index[~ka & ((mgr != "") | (lvl != ""))]:
            out.append(f"in {year}, {cid} is not a key account but has a manager or level")
        now = {}
        for cid in ay.index[ka]:
            j, level = mgr[cid], lvl[cid]
            now[cid] = j
            if j not in seniority:
                out.append(f"in {year}, {cid} is led by {j}, who is not available")
                continue
            if seniority[j] < c.at[cid, "tier"]:
                out.append(f"in {year}, {cid} (tier {c.at[cid, 'tier']}) is led by {j} of lower "
                           "seniority")
            if j.startswith(HIRE_PREFIX) and (j not in hired or hired[j] > year):
                out.append(f"in {year}, {cid} is led by {j}, who is not hired yet")
            if cid in lead and lead[cid] != j and year not in lapsed.get(cid, (None, []))[1]:
                out.append(f"in {year}, {cid} is led by {j}, but the scenario fixes its lead to "
                           f"{lead[cid]}")
            if (cid, j) in ruled:
                out.append(f"in {year}, {cid} is led by {j}, whom the scenario rules out")
            if cid in fixed_level and level != fixed_level[cid]:
                out.append(f"in {year}, {cid} has level '{level}', but the scenario fixes "
                           f"'{fixed_level[cid]}'")
            ids = [k for k in str(ay.at[cid, "activities"]).split(";") if k]
            for k in committed_of.get(cid, ()):
                if k not in ids:
                    out.append(f"in {year}, {cid} does not run {k}, which the scenario commits")
            h = (resp.get((cid, level), np.nan) if cid in has_resp
                 else levels.get(level, np.nan) * float(c.at[cid, "kam_hours"]))
            if np.isnan(h):
                out.append(f"in {year}, {cid} has level '{level}', which it does not have")
                continue
            for k in ids:
                h += float(acts.at[k, "kam_hours"])
                dep = str(acts.at[k, "department"])
                if dep:
                    dept_use[dep] = dept_use.get(dep, 0.0) + float(acts.at[k, "dept_hours"])
            if prev.get(cid) != j:
                h += a.handover_hours
            hours[cid] = h
            if not np.isclose(h, float(ay.at[cid, "hours"]), rtol=1e-7, atol=1e-6):
                out.append(f"in {year}, {cid}'s hours are {ay.at[cid, 'hours']:,.1f}; its "
                           f"level, activities and handover give {h:,.1f}")
        used = pd.Series(hours, dtype=float).groupby(pd.Series(now)).sum()
        for j, u in used.items():
            cap = float(capacity.get((j, year), 0.0))
            if u > cap * (1 + 1e-9) + 1e-6:
                out.append(f"capacity[{j},{year}]: {u:,.0f} h planned, {cap:,.0f} h available")
        for dep, u in dept_use.items():
            if u > float(deps.get(dep, np.inf)) * (1 + 1e-9) + 1e-6:
                out.append(f"department[{dep},{year}]: {u:,.0f} h planned, "
                           f"{float(deps[dep]):,.0f} h available")
        n = int(ka.sum())
        if sc.max_key_accounts is not None and n > sc.max_key_accounts:
            out.append(f"in {year}, {n} key accounts > max_key_accounts {sc.max_key_accounts}")
        if sc.min_key_accounts is not None and n < sc.min_key_accounts:
            out.append(f"in {year}, {n} key accounts < min_key_accounts {sc.min_key_accounts}")
        prev = {cid: now.get(cid) for cid in c.index}
    return out


def _records(df: pd.DataFrame) -> list[dict]:
    out = df.reset_index() if df.index.name else df
    recs = out.to_dict("records")
    return [{k: _plain(v) for k, v in r.items()} for r in recs]


def _plain(v):
    if isinstance(v, float | np.floating):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, np.integer | np.bool_):
        return v.item()
    if v is pd.NA or v is None:
        return None
    return v


def read_midterm(mm: MidtermModel, sol: Solution, case: Case, scenario: Scenario) -> MidtermPlan:
    """Turn a plan-bearing solve into the tables of a :class:`MidtermPlan`."""
    if not sol.ok or sol.values is None:
        raise SolverError(f"No plan to read: the solve ended '{sol.status}'. {sol.message}")
    b, v, a, d = mm._builder, sol.values, mm.assumptions, mm.data
    c = case.customers
    yrs, T = mm.years, len(mm.years)
    on = lambda ids: v[ids] > 0.5  # noqa: E731

    base = pd.DataFrame({"year": np.repeat(yrs, len(c)), "customer_id": np.tile(c.index, T)})
    key = pd.MultiIndex.from_frame(base[["year", "customer_id"]])

    def per(lab, mask, col, how="first"):
        s = lab.loc[mask].groupby(["year", "customer_id"])[col]
        s = s.first() if how == "first" else s.sum()
        return s.reindex(key)

    z_on = on(b.z)
    base["level"] = per(b.zl, z_on, "level").fillna("").astype(str).to_numpy()
    base["key_account"] = (base["level"] != "").astype(int)
    x_on = on(b.x)
    base["manager_id"] = per(b.xl, x_on, "manager_id").fillna("").astype(str).to_numpy()
    al = b.al.assign(on=on(b.a_))
    base["activities"] = (al[al["on"]].groupby(["year", "customer_id"])["activity_id"]
                          .agg(";".join).reindex(key).fillna("").astype(str).to_numpy())
    u_on = on(b.u)
    base["service_year"] = per(b.ul, u_on, "k").fillna(0).astype(int).to_numpy()
    ramp = np.asarray(a.ramp)
    base["ramp"] = np.where(base["service_year"] > 0,
                            ramp[np.clip(base["service_year"].to_numpy() - 1, 0, len(ramp) - 1)],
                            0.0)
    # hours: level hours + activity hours + handover hours
    zl = b.zl.assign(hours=d.options["hours"].to_numpy()[b.zl["o"].to_numpy()])
    lvl_hours = per(zl, z_on, "hours").fillna(0.0).to_numpy()
    acts = d.acts
    al["kam_hours"] = acts["kam_hours"].to_numpy()[al["r"].to_numpy()]
    al["cost"] = acts["cost"].to_numpy()[al["r"].to_numpy()]
    al["value"] = acts["value"].to_numpy()[al["r"].to_numpy()]
    al["intake"] = b.a_intake
    act_on = al["on"].to_numpy()
    act_hours = per(al, act_on, "kam_hours", "sum").fillna(0.0).to_numpy()
    if b.learn is not None:
        learn_on = v[b.learn] > 0.5
        xlh = b.xl.assign(h=a.handover_hours)
        handover = per(xlh, learn_on, "h", "sum").fillna(0.0).to_numpy()
    else:
        handover = np.zeros(len(base))
    base["handover_hours"] = handover
    base["hours"] = lvl_hours + act_hours + handover
    # intake
    c0, c1 = a.churn_without_kam, a.churn_with_kam
    t_idx = base["year"].to_numpy() - a.start_year
    rev = c["revenue"].to_numpy(float)[np.tile(np.arange(len(c)), T)]
    served = base.groupby("customer_id", sort=False)["key_account"].cumsum().to_numpy()
    base["intake_retained"] = rev * (1 - c0) ** (t_idx + 1) + (c0 - c1) * rev * (1 - c0) ** t_idx \
        * served
    el = b.el.assign(on=on(b.e))
    pot_level = per(el, el["on"].to_numpy(), "intake", "sum").fillna(0.0).to_numpy()
    xp = b.xl["p"].to_numpy()
    xl = b.xl.assign(intake=b.x_intake, pair_cost=d.pairs["pair_cost"].to_numpy()[xp],
                     value=(d.pairs["value"] + d.pairs["pair_cost"]).to_numpy()[xp],
                     rate=d.pairs["hourly_cost"].to_numpy()[xp])
    pot_fit = per(xl, x_on, "intake", "sum").fillna(0.0).to_numpy()
    pot_act = per(al, act_on, "intake", "sum").fillna(0.0).to_numpy()
    base["intake_potential"] = pot_level + pot_fit + pot_act
    base["intake"] = base["intake_retained"] + base["intake_potential"]
    # value and cost of the year (EUR of that year, undiscounted)
    mar = c["margin"].to_numpy(float)[np.tile(np.arange(len(c)), T)]
    cont = per(xl, x_on, "value", "sum").fillna(0.0).to_numpy() - mar * pot_fit
    base["value"] = mar * ((c0 - c1) * rev * (1 - c0) ** t_idx * served + base["intake_potential"]
                           ) + cont
    rate = per(xl, x_on, "rate").fillna(0.0).to_numpy()
    base["cost"] = rate * base["hours"].to_numpy() + per(al, act_on, "cost", "sum").fillna(0.0)\
        .to_numpy() + per(xl, x_on, "pair_cost", "sum").fillna(0.0).to_numpy()
    base["net"] = base["value"] - base["cost"]
    for col in ("region", "industry", "tier", "current_manager"):
        base[col] = c[col].to_numpy()[np.tile(np.arange(len(c)), T)]

    # hires
    hl = b.hl.assign(on=on(b.w) if len(b.hl) else np.zeros(0, bool))
    hired = hl[hl["on"]]
    hires = pd.DataFrame({
        "manager_id": hired["manager_id"].to_numpy(),
        "profile": mm.hires["profile"].reindex(hired["manager_id"]).to_numpy(),
        "year": hired["year"].to_numpy(),
        "capacity": mm.hires["capacity"].reindex(hired["manager_id"]).to_numpy(float),
        "ramp_up": mm.hires["ramp_up"].reindex(hired["manager_id"]).to_numpy(float),
        "cost_per_year": mm.hires["cost_per_year"].reindex(hired["manager_id"]).to_numpy(float),
    })
    hire_year = dict(zip(hires["manager_id"], hires["year"], strict=True))

    # managers by year
    cap = mm.capacity.copy()
    for mid in mm.hires.index:
        y0 = hire_year.get(mid)
        cap.loc[mid] = [0.0 if y0 is None or y < y0 else
                        cap.at[mid, y] * (mm.hires.at[mid, "ramp_up"] if y == y0 else 1.0)
                        for y in yrs]
    mlab = cap.stack().rename("capacity").reset_index()
    ka_rows = base[base["key_account"] == 1]
    used = ka_rows.groupby(["manager_id", "year"])["hours"].sum()
    cnt = ka_rows.groupby(["manager_id", "year"]).size()
    mk = pd.MultiIndex.from_frame(mlab[["manager_id", "year"]])
    mlab["hours_used"] = used.reindex(mk).fillna(0.0).to_numpy()
    mlab["utilisation"] = np.where(mlab["capacity"] > 0,
                                   mlab["hours_used"] / mlab["capacity"].where(mlab["capacity"] > 0, 1),
                                   0.0)
    mlab["accounts"] = cnt.reindex(mk).fillna(0).astype(int).to_numpy()
    mlab["hired"] = mlab["manager_id"].isin(mm.hires.index)
    mlab = mlab[~mlab["hired"] | mlab["manager_id"].isin(hires["manager_id"])].drop(columns="hired")
    mlab = mlab.sort_values(["year", "manager_id"]).reset_index(drop=True)

    # lead-manager changes (year 1 against the case's current manager)
    rel = base.pivot(index="customer_id", columns="year", values="manager_id").reindex(c.index)
    prev = c["current_manager"].astype(str).fillna("")
    ch = []
    for y in yrs:
        now = rel[y]
        moved = (now != "") & (prev != "") & (now != prev)
        for cid in c.index[moved.to_numpy()]:
            ch.append((cid, y, prev[cid], now[cid]))
        prev = now.where(now != "", prev)  # an account that pauses keeps its last manager
    changes = pd.DataFrame(ch, columns=["customer_id", "year", "from_manager", "to_manager"])

    # targets and years
    tg = mm.targets.copy()
    if len(tg):
        tg["intake"] = [float(base.loc[(base["year"] == y).to_numpy()
                                       & _in_scope(c, s).reindex(base["customer_id"]).to_numpy(),
                                       "intake"].sum())
                        for s, y in zip(tg["scope"], tg["year"], strict=True)]
        tg["shortfall"] = np.maximum(tg["order_intake"] - tg["intake"], 0.0)
        tg["shortfall"] = tg["shortfall"].where(tg["shortfall"] > 1e-6 * tg["order_intake"], 0.0)
        tg["met"] = tg["shortfall"] <= 0
    else:
        tg = tg.assign(intake=pd.Series(dtype=float), shortfall=pd.Series(dtype=float),
                       met=pd.Series(dtype=bool))
    tg = tg[["year", "scope", "order_intake", "intake", "shortfall", "met"]]

    disc = 1.0 / (1.0 + a.discount_rate) ** np.arange(T)
    by = base.groupby("year")
    yt = pd.DataFrame(index=pd.Index(yrs, name="year"))
    yt["intake"] = by["intake"].sum()
    yt["intake_retained"] = by["intake_retained"].sum()
    yt["intake_potential"] = by["intake_potential"].sum()
    comp = tg[tg["scope"] == "company"].set_index("year")
    yt["target"] = comp["order_intake"].reindex(yt.index)
    yt["shortfall"] = comp["shortfall"].reindex(yt.index)
    yt["target_met"] = comp["met"].reindex(yt.index).astype("boolean")
    yt["targets_met"] = [bool(tg.loc[tg["year"] == y, "met"].all()) for y in yrs]
    yt["key_accounts"] = by["key_account"].sum()
    yt["changes"] = changes.groupby("year").size().reindex(yt.index).fillna(0).astype(int)
    yt["hires"] = hires.groupby("year").size().reindex(yt.index).fillna(0).astype(int)
    yt["hours_used"] = by["hours"].sum()
    yt["hours_available"] = mlab.groupby("year")["capacity"].sum().reindex(yt.index)
    yt["activities_run"] = [int(sum(len([k for k in s.split(";") if k])
                                    for s in base.loc[base["year"] == y, "activities"]))
                            for y in yrs]
    yt["value"] = by["value"].sum()
    yt["cost_kam"] = by["cost"].sum()
    yt["hire_cost"] = [float(hires.loc[hires["year"] <= y, "cost_per_year"].sum()) for y in yrs]
    yt["cost"] = yt["cost_kam"] + yt["hire_cost"]
    yt["net"] = yt["value"] - yt["cost"]
    yt["discount"] = disc
    yt["net_present"] = yt["net"] * yt["discount"]
    penalty = float((tg.groupby("year")["shortfall"].sum().reindex(yt.index).fillna(0.0)
                     * a.shortfall_penalty * disc).sum()) if a.target_mode == "soft" else 0.0
    npv = float(yt["net_present"].sum())
    kpis = {
        "npv": npv,
        "objective": npv - penalty,
        "shortfall_penalty": penalty,
        "solver_objective": sol.objective,
        "bound": sol.bound,
        "mip_gap": 0.0 if sol.gap is None else float(sol.gap),
        "solver": sol.solver,
        "solve_seconds": sol.seconds,
        # why the solve stopped: "gap" (proven), "nodes" (its work budget), "time" (the
        # wall-clock safety net: the plan then depends on the machine), see kamopt.solve
        "stopped_by": sol.stopped_by or ("gap" if sol.status == "optimal" else ""),
        "years": T,
        "start_year": a.start_year,
        "hires": int(len(hires)),
        "changes": int(len(changes)),
        "targets_met": bool(tg["met"].all()) if len(tg) else True,
        "total_shortfall": float(tg["shortfall"].sum()) if len(tg) else 0.0,
        "columns": mm.lp.n_cols,
        "rows": mm.lp.n_rows,
    }
    return MidtermPlan(case, scenario, a, sol.status, base, yt, tg.reset_index(drop=True), hires,
                       changes, mlab, kpis, model=mm, solution=sol)


def check_horizon(years) -> int:
    """The horizon T: a whole number in [1, 10], else :class:`ScenarioError`."""
    if not _is_int(years) or not 1 <= years <= 10:
        raise ScenarioError(Problem("midterm", "must be a whole number in [1, 10]",
                                    column="years", value=years))
    return int(years)


def plan_midterm(case: Case, scenario: Scenario | None = None, years: int | None = None,
                 targets: pd.DataFrame | None = None, *,
                 assumptions: MidtermAssumptions | None = None,
                 capacity_by_year: pd.DataFrame | None = None,
                 warm_start: bool | MidtermPlan = True) -> MidtermPlan:
    """Plan key accounts, coverage, lead managers, programmes and hires over ``years`` years.

    Parameters
    ----------
    case, scenario : as for :func:`kamopt.plan` (the scenario's ``mip_gap`` and
        ``node_limit``, the work budget that also scales the search, apply to the
        whole horizon; its ``time_limit`` is a safety net, see :func:`_solve`).
    years : horizon T; default ``assumptions.years``.
    targets : order-intake targets (year, scope, order_intake); None reads
        ``targets.csv`` of the case folder or the ``targets`` sheet of the case
        workbook if there (:func:`load_targets`; an empty frame: no targets).
    assumptions : :class:`MidtermAssumptions`; default the dataclass defaults.
    capacity_by_year : per-year capacities (manager_id, year, capacity_hours);
        None reads ``capacity_by_year.csv`` or the sheet of that name if there.
    warm_start : True: start HiGHS from the one-year plan repeated over the
        horizon (see :func:`_start_from_one_year`); a :class:`MidtermPlan` of
        the same case and horizon: start from its decisions (so that a re-solve
        with a relaxed target is never worse than the plan it relaxes, even
        when both stop at their budgets); False: no start. The optimum does
        not depend on it.

    Raises
    ------
    InfeasibleError
        Hard targets that cannot be met, with each year's shortfall (found by
        re-solving with the targets soft), or other requirements that cannot be met.
    """
    from .validate import check_against_scenario

    scenario = scenario or Scenario()
    a = assumptions or MidtermAssumptions()
    years = check_horizon(a.years if years is None else years)
    a = a.replace(years=years)
    if targets is None:
        targets = load_targets(case)
    elif not isinstance(targets, pd.DataFrame) or not set(TARGET_COLUMNS) <= set(targets.columns):
        raise ScenarioError(Problem("targets", "must be a DataFrame with columns year, scope, "
                                    "order_intake", value=type(targets).__name__))
    else:
        targets = parse_targets(targets[list(TARGET_COLUMNS)].astype(str), case, file="targets")
    if capacity_by_year is None:
        capacity_by_year = load_capacity_by_year(case)
    t0 = time.perf_counter()
    check_against_scenario(case, scenario)
    for i, h in enumerate(a.hire_profiles):
        if h.pair_costs_from and h.pair_costs_from not in case.managers.index:
            raise ScenarioError(Problem(
                "midterm", "is not a manager of the case (a hire takes the pair costs of a "
                "manager of managers.csv)", column=f"hire_profiles[{h.name or i}].pair_costs_from",
                value=h.pair_costs_from))
    # what clearly cannot be met is said before solving, as for the one-year plan: a 'must'
    # account without an eligible manager would otherwise be left out of the model unsaid
    err = _precheck_by_year(case, scenario, a, years, capacity_by_year)
    if err is not None:
        raise err
    mm = build_midterm(case, scenario, a, years, targets, capacity_by_year)
    t_build = time.perf_counter() - t0
    start, fallback = None, None
    if isinstance(warm_start, MidtermPlan) and scenario.solver == "highs":
        start = _start_from_plan(mm, warm_start)
    elif warm_start is True and years > 1 and scenario.solver == "highs":
        def fallback(time_limit):
            sc = scenario.replace(time_limit=time_limit)
            return _start_from_one_year(case, sc, a, targets, capacity_by_year, mm)
    if start is not None:
        scenario = scenario.replace(time_limit=max(
            scenario.time_limit - (time.perf_counter() - t0 - t_build), 1.0))
    t_start = time.perf_counter() - t0 - t_build
    sol = _tidy_handover(mm, _solve(mm, scenario, start, fallback), scenario.mip_gap)
    if sol.status == "infeasible":
        raise _explain_infeasible(case, scenario, a, years, targets, capacity_by_year)
    if not sol.ok and a.target_mode == "hard" and len(mm.targets):
        # not proven impossible: say how close a plan with soft targets gets
        err = _explain_infeasible(case, scenario, a, years, targets, capacity_by_year)
        if getattr(err, "midterm_plan", None) is None:
            raise err  # no plan even with the targets soft: proven
        raise _not_met(scenario, sol, err)
    if not sol.ok:
        msg = (sol.message or "").lower()
        if sol.stopped_by == "time" or "time limit" in msg:
            raise SolverError(
                f"No plan was found within the time limit ({scenario.time_limit:g} s; the LP "
                f"relaxation of this {years}-year model alone may take longer): allow more with "
                "the scenario's time_limit or --time-limit.")
        if sol.stopped_by == "nodes":
            raise SolverError(
                f"No plan was found within the solver's work budget ({node_budget(scenario):,} "
                "nodes): allow more with the scenario's node_limit.")
        raise SolverError(f"The solver ({sol.solver}) returned no plan: {sol.message}")
    mp = read_midterm(mm, sol, case, scenario)
    mp.kpis["build_seconds"] = t_build
    mp.kpis["start_seconds"] = t_start
    mp.kpis["total_seconds"] = time.perf_counter() - t0
    return mp


def _tidy_handover(mm: MidtermModel, sol: Solution, mip_gap: float) -> Solution:
    """``sol`` with every handover at the least its changes of hands need.

    ``learn[i,j,t]`` is only bounded from below (``x[i,j,t] - x[i,j,t-1]``), so a
    plan stopped at the time limit or the gap can pay handover hours where an
    account keeps its manager (found by :func:`verify_midterm` on the sample: a
    hire's account paid 40 h in each year). Lowering them to the least frees
    hours and cost and keeps every rule, so the plan only gains; with minimum
    workloads the handover is exact already and nothing changes.
    """
    b = mm._builder
    if not sol.ok or b.learn is None or (mm.data.managers["min_hours"] > 0).any():
        return sol
    v = sol.values.copy()
    x = v[b.x]
    npr = len(mm.data.pairs)
    t = b.xl["t"].to_numpy()
    before = np.where(t == 0, mm.data.pairs["continuity"].to_numpy(float)[b.xl["p"].to_numpy()],
                      0.0)
    later = np.flatnonzero(t > 0)
    before[later] = x[later - npr]
    least = np.clip(np.round(x) - np.round(before), 0.0, 1.0)
    if np.all(v[b.learn] <= least + 1e-9):
        return sol
    v[b.learn] = np.minimum(v[b.learn], least)
    value = float(mm.lp.arrays()["obj"] @ v)
    if value < sol.objective - 1e-9 * max(1.0, abs(sol.objective)):
        return sol
    gap = relative_gap(value, sol.bound) if sol.bound is not None else sol.gap
    status = sol.status if gap is None else ("optimal" if gap <= mip_gap + 1e-9 else sol.status)
    return dataclasses.replace(sol, objective=value, values=v, gap=gap, status=status)


LNS_MIN_INTEGERS = 2000  # below this HiGHS alone is fast; the search only adds overhead

#: HiGHS's default work budget on the full mid-term model, in branch-and-bound nodes (the
#: scenario's ``node_limit`` overrides it). Small cases are proven in far fewer (the
#: brute-force tests: a few dozen); a 3-year case of 40 customers and 6 managers (5,575
#: columns) takes 6 s for its root and ~25 nodes a second after it, and stands at 0.20%
#: after 400 nodes (0.20% after 2,000 too), so 400 stop it in ~25 s
MIDTERM_NODE_LIMIT = 400

#: on large models (more than ``LNS_MIN_INTEGERS`` integer columns) HiGHS's root on the
#: full model stops after this many of its limit checks (it checks after its LP solves,
#: separation rounds and heuristics: HiGHS's own work, never the clock, so the stop is the
#: same on every machine); 0: HiGHS is not run on a large model and the LP bound stands.
#: The node budget does not bound a root, and HiGHS's root cut loop on the sample company
#: runs for minutes (its bound 30.90 -> 30.71 M EUR in 100 s and 44 checks; once 330 s
#: without a check, past its time limit, when it had no start). Measured on the sample
#: (3 years, quiet machine, 2 cores): its first checks only solve the LP again (~7 s), and
#: 6 checks took 17 s to bring the bound from 30.90 to 30.79 M EUR (-0.39% of gap) where
#: 4 more neighbourhoods of the search (9 s) gain 0.14 M EUR (-0.45%): within the time
#: the default budgets aim at (~35 s), the search pays more, so the default is 0
MIDTERM_ROOT_CHECKS = 0

#: neighbourhoods the search tries on a large model at the default node budget (a work
#: budget: the scenario's ``node_limit`` scales it, see :func:`neighbourhood_budget`).
#: Measured on the sample (3 years, 2 cores): ~3.3 s a neighbourhood after the LP's 9-10 s;
#: 6 give 29.81, 7 give 29.88, 8 give 29.93, 10 give 29.95 M EUR (LP bound 30.90). With 7
#: ``kamopt plan data/sample --years 3 --assumptions data/scenarios/midterm_base.yml``
#: takes 35 s quiet and 54 s beside two CPU-burning processes (by its budget, the same
#: plan); with 8, 35 s quiet but 63 s busy, stopped by the 60 s safety net
MIDTERM_NEIGHBOURHOODS = 7

#: nodes of the one-year model's MIP that gives the fallback start
START_NODE_LIMIT = 200


def node_budget(scenario: Scenario) -> int:
    """The scenario's work budget in nodes (its ``node_limit``, else :data:`MIDTERM_NODE_LIMIT`)."""
    return int(scenario.node_limit or MIDTERM_NODE_LIMIT)


def neighbourhood_budget(scenario: Scenario) -> int:
    """Neighbourhoods of the search: :data:`MIDTERM_NEIGHBOURHOODS`, scaled by the scenario's
    node budget against the default (``node_limit: 800`` doubles both, one knob for more work).

    >>> neighbourhood_budget(Scenario()) == MIDTERM_NEIGHBOURHOODS
    True
    >>> neighbourhood_budget(Scenario(node_limit=2 * MIDTERM_NODE_LIMIT)) == 2 * MIDTERM_NEIGHBOURHOODS
    True
    """
    return max(1, round(MIDTERM_NEIGHBOURHOODS * node_budget(scenario) / MIDTERM_NODE_LIMIT))


def _solve(mm: MidtermModel, scenario: Scenario, start: np.ndarray | None,
           fallback=None) -> Solution:
    """Solve with HiGHS (from ``start``, if any), or with the scenario's solver (CBC).

    With HiGHS and more than one year, one step after the other:

    1. the LP relaxation (its optimum bounds the plan's value);
    2. a plan rounded from the LP and repaired to fit the capacities
       (:func:`kamopt.midterm_search.round_lp`); the better of it and
       ``start`` (if ``start`` is None and the rounded plan breaks a
       constraint, ``fallback(seconds)`` gives one: the one-year start);
    3. on large models (more than ``LNS_MIN_INTEGERS`` integer columns) a
       neighbourhood search (:func:`kamopt.midterm_search.improve_by_neighbourhoods`)
       of at most ``neighbourhood_budget(scenario)`` neighbourhoods, until the
       plan is within ``mip_gap`` of the LP bound;
    4. HiGHS on the full MIP from the best plan so far, with a budget of
       ``node_budget(scenario)`` nodes; on large models also of
       ``MIDTERM_ROOT_CHECKS`` limit checks in its root (0, the default: not
       run, the LP bound stands; measured, see the constant). It gives the
       bound, status and gap reported. It is skipped when the plan is already
       within ``mip_gap`` of the LP bound.

    **The same answer on every machine.** Every step stops at a work budget
    (nodes, root checks, neighbourhoods picked by a seeded generator), never
    at a moment the clock decides, and HiGHS runs with a fixed number of
    threads; so the same case, scenario, assumptions and options give the
    same plan on a quiet and on a busy machine. The scenario's ``time_limit``
    is only a safety net for all steps together: when it is what stopped a
    step, the solution says so (``stopped_by == "time"``, in the message and
    in ``kpis["stopped_by"]``), since the plan then depends on the machine.

    **HiGHS gets the plan of the search as its start**, chosen by measurement:
    from it HiGHS prunes with the plan's value from the first node, and on
    the sample company its root then tightens the bound steadily (30.90 to
    30.73 M EUR in 30 s); without a start it once spent 330 s in one root
    round (past a 150 s time limit: no limit check in between) and found no
    plan better than no key accounts at all, so on a large model without any
    plan it is not run. On a case of 40 customers the start changes nothing
    (0.211% against 0.206% after 400 nodes, the same plan). Starting from a
    plan never changes the optimum.

    The gap is against the better of HiGHS's bound and the LP bound, both
    valid for the full model; the heuristics never change it.
    """
    if mm.lp.n_cols == 0:  # nothing to decide (no customer can be a key account, no target)
        return empty_model_solution(mm.lp, scenario.solver)
    if scenario.solver != "highs":
        return solve(mm.lp, solver=scenario.solver, time_limit=scenario.time_limit,
                     mip_gap=scenario.mip_gap)
    if start is None and fallback is None and len(mm.years) == 1:
        return _full_mip(mm, None, scenario, scenario.time_limit)
    from .midterm_search import improve_by_neighbourhoods
    from .solve import highs_model, run_highs

    t0 = time.perf_counter()
    deadline = t0 + scenario.time_limit
    arr = mm.lp.arrays()
    obj = arr["obj"]
    left = lambda: max(deadline - time.perf_counter(), 0.1)  # noqa: E731
    search = int(arr["integer"].sum()) > LNS_MIN_INTEGERS
    clock: list[str] = []  # the steps the safety net stopped
    relaxed = run_highs(highs_model(mm.lp, relax=True), left(), scenario.mip_gap, is_mip=False)
    if relaxed.status == "infeasible":
        return dataclasses.replace(relaxed, seconds=time.perf_counter() - t0)
    if relaxed.stopped_by == "time":
        clock.append("the LP relaxation")
    starts = _starts(mm, start, relaxed, fallback, left)
    best = _best_start(mm, starts)
    bound = relaxed.objective if relaxed.ok else np.inf
    notes = [f"LP bound {bound:,.0f} in {relaxed.seconds:.1f} s"] if relaxed.ok else []
    closest = None
    if (best is None and relaxed.ok and search and mm.assumptions.target_mode == "hard"
            and len(mm.targets)):
        # every start falls short of a target: search for a plan that meets them all
        report: dict = {}
        best, closest = _reach_hard_targets(mm, starts, relaxed.values,
                                            neighbourhood_budget(scenario), deadline=deadline,
                                            report=report)
        if report.get("stopped_by") == "time":
            clock.append("the search for a plan meeting the targets")
        if best is not None:
            notes.append(f"a plan meeting every target after {report.get('tries', 0)} "
                         "neighbourhoods")
    if best is not None:
        notes.append(f"start {float(obj @ best):,.0f}")
    if (best is not None and relaxed.ok and search and not clock
            and relative_gap(float(obj @ best), bound) > scenario.mip_gap):
        report = {}
        t_search = time.perf_counter()
        best = improve_by_neighbourhoods(mm, best, neighbourhood_budget(scenario),
                                         bound / (1 + scenario.mip_gap), wanted=relaxed.values,
                                         deadline=deadline, report=report)
        notes.append(f"neighbourhood search {float(obj @ best):,.0f} after "
                     f"{report['tries']} neighbourhoods in {time.perf_counter() - t_search:.1f} s")
        if report["stopped_by"] == "time":
            clock.append("the neighbourhood search")
    if best is not None and relaxed.ok and relative_gap(float(obj @ best), bound) \
            <= scenario.mip_gap + 1e-9:
        # within the gap of the LP bound: proven, HiGHS has nothing to add
        return Solution("optimal", float(obj @ best), bound, relative_gap(float(obj @ best), bound),
                        time.perf_counter() - t0, "highs", best, message="; ".join(notes),
                        stopped_by="gap")
    if clock:  # the safety net has struck: no time left for HiGHS's proof
        sol = Solution("error", None, None, None, 0.0, "highs", message="not run: no time left",
                       stopped_by="time")
    elif search and not MIDTERM_ROOT_CHECKS:
        sol = Solution("error", None, None, None, 0.0, "highs", stopped_by="nodes",
                       message="HiGHS not run on the full model (MIDTERM_ROOT_CHECKS = 0): "
                               "the LP bound stands")
    elif search and best is None:
        # measured on the sample company: HiGHS without a start spent 330 s in one round of
        # its root (no limit check, past its time limit) and found no plan in 720 s
        sol = Solution("error", None, None, None, 0.0, "highs", stopped_by="nodes",
                       message="HiGHS not run on the full model: no plan to start from")
    elif search:
        sol = _full_mip(mm, best, scenario, left(), root_checks=MIDTERM_ROOT_CHECKS)
    else:  # a small model: HiGHS's root is short, the node budget bounds its work
        sol = _full_mip(mm, best, scenario, left())
    if not sol.ok and best is None:
        if closest is not None and sol.status != "infeasible":
            raise _not_found(mm, scenario, closest, sol.stopped_by == "time" or bool(clock))
        return dataclasses.replace(sol, seconds=time.perf_counter() - t0)
    if sol.stopped_by == "time":
        clock.append("HiGHS on the full model")
    sol = _settle(sol, best, obj, bound, scenario.mip_gap, notes)
    stopped = ("gap" if sol.status == "optimal" else "time" if clock
               else sol.stopped_by or "nodes")
    if clock:
        notes.append(f"{', '.join(clock)} stopped at the time limit of {scenario.time_limit:g} s "
                     "(a safety net: this plan depends on the machine's speed and load)")
    return dataclasses.replace(sol, seconds=time.perf_counter() - t0, message="; ".join(notes),
                               stopped_by=stopped)


def _full_mip(mm: MidtermModel, start: np.ndarray | None, scenario: Scenario,
              time_limit: float, root_checks: int | None = None) -> Solution:
    """HiGHS on the full model from ``start``: ``node_budget(scenario)`` nodes and at most
    ``root_checks`` limit checks in its root (None: no root budget), ``time_limit`` as the
    safety net (:func:`kamopt.midterm_search.run_budgeted`)."""
    from .midterm_search import run_budgeted
    from .solve import highs_model

    h = highs_model(mm.lp)
    if start is not None:
        set_start(h, start)
    return run_budgeted(h, time_limit, scenario.mip_gap, node_budget(scenario), root_checks)


def _starts(mm: MidtermModel, start: np.ndarray | None, relaxed: Solution, fallback,
            left) -> list:
    """The candidate starts: ``start``, the LP's rounding and, if neither fits, the fallback's."""
    from .midterm_search import round_lp

    starts = [start]
    if relaxed.ok:
        try:
            starts.append(round_lp(mm, relaxed.values))
        except Exception:  # noqa: BLE001 - a start is optional
            pass
    if _best_start(mm, starts) is None and fallback is not None:
        starts.append(fallback(max(left(), 1.0)))
    return starts


def _settle(sol: Solution, best: np.ndarray | None, obj: np.ndarray, lp_bound: float,
            mip_gap: float, notes: list) -> Solution:
    """The full MIP's result against the plan found and the LP bound: value, bound, gap, status.

    The better plan of the two stands (HiGHS can drop a plan handed to it on
    tolerances, or be stopped before it takes it); the bound is the lower of
    HiGHS's and the LP's, both valid for the full model. Appends to ``notes``.
    """
    notes.append(f"full MIP {sol.objective:,.0f}, HiGHS bound "
                 f"{sol.bound if sol.bound is not None else float('nan'):,.0f} ({sol.message})"
                 if sol.ok else f"full MIP: {sol.message}")
    if best is not None and sol.status != "infeasible" and (
            not sol.ok or sol.objective < float(obj @ best) - 1e-6 * abs(sol.objective)):
        value = float(obj @ best)
        own = sol.bound if sol.ok and sol.bound is not None else np.inf
        sol = Solution("feasible", value, min(own, lp_bound),
                       relative_gap(value, min(own, lp_bound)), sol.seconds, "highs", best,
                       message="the plan of the neighbourhood search",
                       stopped_by=sol.stopped_by)
        notes.append(f"plan kept: {value:,.0f} (rounding and search)")
    if not sol.ok:
        return sol
    bound = min(lp_bound, sol.bound if sol.bound is not None else np.inf)
    gap = relative_gap(sol.objective, bound)
    return dataclasses.replace(sol, bound=bound if np.isfinite(bound) else None, gap=gap,
                               status="optimal" if gap <= mip_gap + 1e-9 else "feasible")


HARD_SEARCH_PENALTY = 100.0  # EUR per EUR short while searching for a plan meeting hard targets


def _soft_twin(mm: MidtermModel) -> MidtermModel:
    """The same model with its (hard) targets soft at ``HARD_SEARCH_PENALTY`` EUR per EUR.

    Same columns and rows; only the shortfall columns' bounds and costs
    differ, so a plan of the twin without shortfall is a plan of ``mm``.
    """
    lp = copy.copy(mm.lp)
    k = list(lp.cols).index("shortfall")
    lab, _ = mm._builder.cols["shortfall"]
    lp.ub, lp.obj = list(lp.ub), list(lp.obj)
    lp.ub[k] = np.full(len(lab), INF)
    lp.obj[k] = -HARD_SEARCH_PENALTY * mm._builder.disc[lab["t"].to_numpy()]
    twin = copy.copy(mm)
    twin.lp = lp
    return twin


def _reach_hard_targets(mm: MidtermModel, starts: list, wanted: np.ndarray,
                        max_tries: int | None = None, deadline: float | None = None,
                        report: dict | None = None
                        ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A plan meeting every hard target, searched from plans that fall short of them.

    The neighbourhood search runs on :func:`_soft_twin` (a shortfall costs
    ``HARD_SEARCH_PENALTY`` EUR per EUR, far more than any account earns), from
    the best start, until no target is short or after ``max_tries``
    neighbourhoods (default :data:`MIDTERM_NEIGHBOURHOODS`; ``deadline`` is the
    safety net, ``report`` as for the search). Returns the plan (checked
    against ``mm``) or None, and the closest plan of the twin (its shortfall
    columns say by how much each target is missed) or None.
    """
    from .midterm_search import improve_by_neighbourhoods

    twin = _soft_twin(mm)
    start = _best_start(twin, starts)
    if start is None:
        return None, None
    s_ids = mm._builder.s
    found: list[np.ndarray] = []

    def check(values: np.ndarray) -> None:
        if values[s_ids].max() <= 1.0:  # EUR: within the row tolerance once set to 0
            plan = values.copy()
            plan[s_ids] = 0.0
            plan = _best_start(mm, [plan])
            if plan is not None:
                found.append(plan)

    check(start)
    closest = start
    if not found:
        closest = improve_by_neighbourhoods(
            twin, start, MIDTERM_NEIGHBOURHOODS if max_tries is None else max_tries,
            lambda: -np.inf if found else np.inf, wanted=wanted, on_improve=check,
            deadline=deadline, report=report)
    return (found[-1] if found else None), closest


def _closest_lines(mm: MidtermModel, values: np.ndarray, seconds: float | None) -> list[str]:
    """Per target that ``values`` misses: "the order-intake target of 2029 (310.0 M EUR)
    was not met by the closest plan found: it reaches 309.5 M EUR (short by 0.5 M EUR)"
    ("found in 60 s" when ``seconds``, the time limit, is what stopped the search)."""
    lab, ids = mm._builder.cols["shortfall"]
    goal = mm.targets.set_index(["scope", "year"])["order_intake"]
    lines = []
    for scope, year, short in zip(lab["scope"], lab["year"], values[ids], strict=True):
        need = float(goal.loc[(scope, year)])
        if short > 1e-6 * need:
            lines.append(_not_met_line(_target_name(scope, year, need), "closest", seconds,
                                       need - short, short))
    return lines


def _not_met_line(target: str, which: str, seconds: float | None, reached: float,
                  short: float) -> str:
    """A target missed by a plan found within a budget: not proven out of reach. ``seconds``:
    the time limit, when it is what stopped the search (None: its work budget did)."""
    within = f" in {seconds:.0f} s" if seconds is not None else ""
    return (f"{target} was not met by the {which} plan found{within}: it reaches "
            f"{_meur(reached)} (short by {_meur(short)})")


_LONGER = ("A larger work budget (the scenario's node_limit) or a longer time limit may find "
           "a plan that meets them all; soft targets (target_mode: soft) always give a plan "
           "and its shortfalls.")


def _within(scenario: Scenario, by_time: bool) -> str:
    """What a search stopped at: "the time limit (60 s" or "the work budget (400 nodes,
    7 neighbourhoods"."""
    if by_time:
        return f"the time limit ({scenario.time_limit:.0f} s"
    return (f"the work budget ({node_budget(scenario):,} nodes, "
            f"{neighbourhood_budget(scenario)} neighbourhoods")


def _not_found(mm: MidtermModel, scenario: Scenario, closest: np.ndarray,
               by_time: bool = False) -> SolverError:
    lines = _closest_lines(mm, closest, scenario.time_limit if by_time else None)
    return SolverError(
        f"No plan that meets every order-intake target was found within "
        f"{_within(scenario, by_time)}; not proven impossible: the LP relaxation meets them). "
        + ("; ".join(lines)[:1].upper() + "; ".join(lines)[1:] + ". " if lines else "")
        + _LONGER)


def _not_met(scenario: Scenario, sol: Solution, err: InfeasibleError) -> SolverError:
    """No plan with hard targets within the budget, nothing proven: how close the plan
    found with the targets soft (``err``, from :func:`_explain_infeasible`) gets."""
    by_time = sol.stopped_by == "time"
    soft_plan = getattr(err, "midterm_plan", None)
    soft_time = (scenario.time_limit if soft_plan is not None
                 and soft_plan.kpis.get("stopped_by") == "time" else None)
    lines = [_not_met_line(s.requirement, "best", soft_time, s.available, s.short_by)
             for s in err.shortfalls]
    found = "the best plan found" + (f" in {soft_time:.0f} s" if soft_time is not None else "")
    soft = "; ".join(lines) if lines else f"{found} meets every target"
    return SolverError(
        f"No plan that meets every order-intake target was found within "
        f"{_within(scenario, by_time)}; not proven impossible: {sol.message}). With the "
        f"targets soft, {soft}. " + _LONGER)


def _best_start(mm: MidtermModel, starts: list) -> np.ndarray | None:
    """The start that keeps every constraint and bound and has the highest objective.

    Column bounds count too: with hard targets a plan's shortfall column is
    bounded at 0, and a start that falls short of a target is no plan.
    """
    arr = mm.lp.arrays()
    A = mm.lp.matrix()
    ints = arr["integer"]
    best, best_obj = None, -np.inf
    for x in starts:
        if x is None:
            continue
        act = A @ x
        tol = 1e-6 * (1 + np.abs(act))
        if np.any(act < arr["row_lo"] - tol) or np.any(act > arr["row_hi"] + tol):
            continue
        ctol = 1e-6 * (1 + np.abs(x))
        if (np.any(x < arr["lb"] - ctol) or np.any(x > arr["ub"] + ctol)
                or np.any(np.abs(x[ints] - np.round(x[ints])) > 1e-6)):
            continue
        obj = float(arr["obj"] @ x)
        if obj > best_obj:
            best, best_obj = x, obj
    return best


def _start_from_plan(mm: MidtermModel, mp: MidtermPlan) -> np.ndarray:
    """The column values of ``mp``'s decisions in the model ``mm`` (a warm start)."""
    acc = mp.accounts[mp.accounts["key_account"] == 1]
    dec = pd.DataFrame({
        "customer_id": acc["customer_id"].to_numpy(),
        "t": acc["year"].to_numpy() - mm.assumptions.start_year,
        "level": acc["level"].to_numpy(),
        "manager_id": acc["manager_id"].to_numpy(),
        "activities": [tuple(k for k in s_.split(";") if k) for s_ in acc["activities"]],
    })
    dec = dec[(dec["t"] >= 0) & (dec["t"] < len(mm.years))]
    hired = {m: int(y) - mm.assumptions.start_year for m, y in
             zip(mp.hires["manager_id"], mp.hires["year"], strict=True)}
    return mm._builder.vector(dec, hired)


def _start_from_one_year(case, scenario, a, targets, capacity_by_year, mm) -> np.ndarray | None:
    """A warm start: the one-year plan of the first year, kept over the horizon.

    The one-year model is solved with the horizon's mean ramp factor (so that
    accounts that pay off over the horizon are taken on) within 1% and
    ``START_NODE_LIMIT`` nodes (the time limit only as a safety net); its key accounts, levels, lead managers, activities and hires
    are repeated in every year. Where a manager's capacity falls in a later
    year (capacity_by_year), the accounts he or she cannot carry are dropped
    that year, the least valuable first. HiGHS checks the start and ignores it
    if it breaks a constraint; it never changes the optimum, only the time to it.
    """
    T = len(mm.years)
    ramp = np.asarray(a.ramp, float)
    mean = float(ramp[np.minimum(np.arange(T), len(ramp) - 1)].mean())
    # handover hours spread over the horizon (they fall in one year only) and
    # hires at their mean productive share: the repeated plan then fills the
    # later years; the first year is trimmed to fit below
    hp = tuple(dataclasses.replace(h, ramp_up=(h.ramp_up + T - 1) / T) for h in a.hire_profiles)
    a1 = a.replace(ramp=(mean,), years=1, handover_hours=a.handover_hours / T, hire_profiles=hp)
    sc1 = scenario.replace(time_limit=max(scenario.time_limit, 1.0))  # the safety net
    # every manager at his or her lowest capacity over the horizon, so that the
    # one-year plan fits every year
    scale = scenario.capacity_scale or 1.0
    low = (mm.capacity.drop(index=mm.hires.index).min(axis=1) / scale).rename("capacity_hours")
    low = low.reset_index().assign(year=a.start_year)[["manager_id", "year", "capacity_hours"]]
    try:
        m1 = build_midterm(case, sc1, a1, 1, targets, low)
        s1 = solve(m1.lp, time_limit=sc1.time_limit, mip_gap=max(scenario.mip_gap, 0.01),
                   node_limit=START_NODE_LIMIT)
    except Exception:  # noqa: BLE001 - a start is optional
        return None
    if not s1.ok or s1.stopped_by == "time":  # no start rather than one the clock chose
        return None
    b1, v = m1._builder, s1.values
    zl = b1.zl[v[b1.z] > 0.5][["customer_id", "level"]]
    xl = b1.xl[v[b1.x] > 0.5][["customer_id", "manager_id"]]
    al = b1.al[v[b1.a_] > 0.5]
    acts = al.groupby("customer_id")["activity_id"].agg(tuple)
    dec0 = zl.merge(xl, on="customer_id")
    dec0["activities"] = [acts.get(cid, ()) for cid in dec0["customer_id"]]
    hours = m1.data.options.set_index(["customer_id", "level"])["hours"]
    dec0["hours"] = hours.reindex(pd.MultiIndex.from_frame(dec0[["customer_id", "level"]])).to_numpy()
    kh = case.activities["kam_hours"].astype(float) if len(case.activities) else pd.Series(dtype=float)
    dec0["hours"] += [float(kh.reindex(list(t)).sum()) for t in dec0["activities"]]
    must = set(m1.data.customers.index[m1.data.customers["status"] == "must"])
    val = dict(zip(m1.data.options["customer_id"], m1.data.options["value"], strict=False))
    hl = b1.hl[v[b1.w] > 0.5] if len(b1.hl) else b1.hl
    hired = {mid: 0 for mid in hl["manager_id"]}
    cur = case.customers["current_manager"].astype(str)
    hire_cap = {m: mm.hires.at[m, "capacity"] * mm.hires.at[m, "ramp_up"] for m in hired}
    parts = []
    prev = dict(zip(cur.index, cur, strict=True))  # lead of the year before
    lapsed = mm._builder.lapsed
    for t, y in enumerate(mm.years):  # each year: the plan, trimmed to that year's capacity
        d = dec0.assign(t=t)
        cap = mm.capacity[y].copy()
        for m in hired:
            cap[m] = hire_cap[m] if t == 0 else mm.hires.at[m, "capacity"]
        pinned = {cid: j for cid, (j, gone) in lapsed.items() if y not in gone}
        for cid, j in pinned.items():  # a fixed lead holds while its manager has hours
            d.loc[d["customer_id"] == cid, "manager_id"] = j
            room = cap.get(j, 0.0) - (0.0 if prev.get(cid, "") == j else a.handover_hours)
            d = _fit_level(d, cid, room, m1.data, kh)
        new = np.array([prev.get(cid, "") != j for cid, j in
                        zip(d["customer_id"], d["manager_id"], strict=True)])
        d["hours"] = d["hours"] + np.where(new, a.handover_hours, 0.0)
        d["handover"] = np.where(new, a.handover_hours, 0.0)
        for j, grp in d.groupby("manager_id"):
            over = grp["hours"].sum() - cap.get(j, 0.0)
            if over <= 1e-9:
                continue
            drop = grp[~grp["customer_id"].isin(must)].assign(
                v=lambda g: g["customer_id"].map(val)).sort_values("v")
            cut = drop["customer_id"][drop["hours"].cumsum().shift(fill_value=0) < over]
            d = d[~((d["manager_id"] == j) & d["customer_id"].isin(cut))]
            over -= float(drop.loc[drop["customer_id"].isin(cut), "hours"].sum())
            if over > 1e-9:  # must accounts left over: hand them to whoever has room
                d = _move_must_accounts(d, j, over, cap, mm, a.handover_hours, set(pinned))
            stay = d[d["manager_id"] == j].sort_values("hours", ascending=False)
            over = float(stay["hours"].sum()) - cap.get(j, 0.0)
            for cid, hours, hand in zip(stay["customer_id"], stay["hours"], stay["handover"],
                                        strict=True):  # or else at a lighter level
                if over <= 1e-9:
                    break
                d = _fit_level(d, cid, hours - over, m1.data, kh, extra=hand)
                over -= hours - float(d.loc[d["customer_id"] == cid, "hours"].iloc[0])
        parts.append(d)
        prev = dict(zip(d["customer_id"], d["manager_id"], strict=True))
    dec = pd.concat(parts, ignore_index=True)
    return mm._builder.vector(dec, hired)


def _fit_level(d: pd.DataFrame, cid: str, room: float, data, kam_hours,
               extra: float = 0.0) -> pd.DataFrame:
    """The start's decisions ``d`` with account ``cid`` in at most ``room`` hours.

    The account keeps its level and activities when they fit; otherwise it
    gets the heaviest level that fits with them, or with only those the
    scenario commits, or else the lightest level with those (a start that then
    does not fit is dropped by the start check). ``extra``: hours the account
    carries besides its level and activities (a handover).
    """
    row = d.index[d["customer_id"] == cid]
    if not len(row) or float(d.at[row[0], "hours"]) <= room + 1e-9:
        return d
    opts = data.options[data.options["customer_id"] == cid].sort_values("hours", ascending=False)
    acts = tuple(d.at[row[0], "activities"])
    must_run = tuple(data.scenario.committed_of.get(cid, ()))

    def hours_of(ids) -> float:
        return float(kam_hours.reindex(list(ids)).sum()) if ids else 0.0

    level, hours = opts["level"].iloc[-1], float(opts["hours"].iloc[-1]) + hours_of(must_run)
    keep = must_run
    for kept, more in ((acts, hours_of(acts)), (must_run, hours_of(must_run))):
        fit = opts[opts["hours"] + more + extra <= room + 1e-9]
        if len(fit):
            level, hours, keep = fit["level"].iloc[0], float(fit["hours"].iloc[0]) + more, kept
            break
    d = d.copy()
    d.at[row[0], "level"] = level
    d.at[row[0], "hours"] = hours + extra
    d.at[row[0], "activities"] = keep
    return d


def _move_must_accounts(d, j, over, cap, mm, handover, pinned=frozenset()) -> pd.DataFrame:
    """Move ``must`` accounts of ``j`` to eligible managers with spare hours (for the start).

    Accounts in ``pinned`` (a fixed lead that holds this year) stay.
    """
    pairs = mm.data.pairs
    d = d.copy()
    for cid in d.loc[d["manager_id"] == j].sort_values("hours", ascending=False)["customer_id"]:
        if over <= 1e-9:
            break
        if cid in pinned:
            continue
        need = float(d.loc[d["customer_id"] == cid, "hours"].iloc[0]) + handover
        used = d.groupby("manager_id")["hours"].sum()
        cands = pairs.loc[(pairs["customer_id"] == cid) & (pairs["manager_id"] != j)
                          & ~pairs["manager_id"].isin(mm.hires.index), "manager_id"]
        spare = cap.reindex(cands).fillna(0.0) - used.reindex(cands).fillna(0.0).to_numpy()
        spare = spare[spare >= need]
        if len(spare) == 0:
            continue
        d.loc[d["customer_id"] == cid, ["manager_id", "hours"]] = [spare.idxmax(), need]
        if "handover" in d:
            d.loc[d["customer_id"] == cid, "handover"] = handover
        over -= need - handover
    return d


def _meur(x: float) -> str:
    """``310.0 M EUR``; below 0.1 M EUR (a small case, a small shortfall) in EUR, not ``0.0 M``.

    >>> _meur(17.6e6), _meur(4217), _meur(-0.0)
    ('17.6 M EUR', '4,217 EUR', '0 EUR')
    """
    return f"{x / 1e6:,.1f} M EUR" if abs(x) >= 0.05e6 else f"{x + 0.0:,.0f} EUR"


def _explain_infeasible(case, scenario, a, years, targets, capacity_by_year) -> InfeasibleError:
    """Re-solve with soft targets: each year's best reachable intake and shortfall.

    The re-solve's plan is kept as ``midterm_plan``; an error without it is
    proven (the requirements cannot be met even with the targets soft). How
    close a plan gets is "the best plan" when the re-solve is proven optimal,
    else "the best plan found" ("found in <time limit>" when the time limit stopped it).
    """
    if a.target_mode != "hard" or len(targets) == 0:
        return _precheck_by_year(case, scenario, a, years, capacity_by_year) or InfeasibleError(
            reasons=["no plan meets the scenario's requirements in every year ("
                     + ", ".join(_requirements(case, scenario, a)) + ")"])
    try:
        soft = plan_midterm(case, scenario, years, targets,
                            assumptions=a.replace(target_mode="soft", shortfall_penalty=1e3),
                            capacity_by_year=capacity_by_year)
    except InfeasibleError as exc:
        return exc
    best = ("the best plan" if soft.status == "optimal"
            else f"the best plan found in {scenario.time_limit:.0f} s"
            if soft.kpis.get("stopped_by") == "time" else "the best plan found")
    short = []
    for r in soft.targets.itertuples():
        if r.shortfall > 0:
            short.append(Shortfall(
                _target_name(r.scope, r.year, r.order_intake), "EUR", r.order_intake, r.intake,
                f"{best} reaches {_meur(r.intake)}", singular=True))
    err = InfeasibleError(shortfalls=short)
    err.midterm_plan = soft
    return err


def _requirements(case: Case, scenario: Scenario, a: MidtermAssumptions) -> list[str]:
    """The requirements of the mid-term plan that can make it infeasible, in words.

    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([dict(customer_id="A", revenue=0, margin=0.1, potential=0, kam_hours=1,
    ...                        status="must")], [dict(manager_id="M", capacity_hours=2, min_hours=1)])
    >>> _requirements(case, Scenario(budget=1e5), MidtermAssumptions())
    ['manager capacity (with 40 h of handover when an account changes hands)', 'must accounts', 'budget', "managers' minimum workloads"]
    """
    from .prepare import effective_status

    out = ["manager capacity" + (f" (with {a.handover_hours:g} h of handover when an account "
                                 "changes hands)" if a.handover_hours > 0 else "")]
    if (effective_status(case, scenario) == "must").any():
        out.append("must accounts")
    if scenario.budget is not None:
        out.append("budget")
    if scenario.min_key_accounts is not None or scenario.max_key_accounts is not None:
        out.append("key-account bounds")
    if (case.managers.get("min_hours", pd.Series(dtype=float)) > 0).any():
        out.append("managers' minimum workloads")
    return out


def _precheck_by_year(case, scenario, a, years, capacity_by_year) -> InfeasibleError | None:
    """The one-year plan's pre-checks in each year, with that year's capacities.

    Every hire slot counts as hired at full capacity from the first year, at
    the least it can cost an hour (its hourly cost plus its yearly cost spread
    over all its hours): more than any plan can have, for less, so a
    shortfall found here is real. The first year with one is returned, its
    figures marked with the year; None if no year fails them.
    """
    from .diagnose import precheck

    sc = _with_hires(scenario, a, least_cost=True)
    lapsed = lapsed_leads(case, scenario, capacity_by_year,
                          list(range(a.start_year, a.start_year + years)))
    for year in range(a.start_year, a.start_year + years):
        managers = case.managers.copy()
        for r in capacity_by_year[capacity_by_year["year"] == year].itertuples(index=False):
            if r.manager_id in managers.index:
                managers.at[r.manager_id, "capacity_hours"] = float(r.capacity_hours)
        if "min_hours" in managers:  # a minimum holds up to the year's capacity (a leaver: 0)
            managers["min_hours"] = np.minimum(managers["min_hours"],
                                               managers["capacity_hours"] * scenario.capacity_scale)
        gone = [cid for cid, (_, ys) in lapsed.items() if year in ys]
        sc_year = _model_scenario(sc, {cid: lapsed[cid] for cid in gone})
        try:
            precheck(dataclasses.replace(case, managers=managers), sc_year)
        except InfeasibleError as exc:
            return InfeasibleError(
                shortfalls=[dataclasses.replace(f, requirement=f"in {year}, {f.requirement}")
                            for f in exc.shortfalls],
                reasons=[f"in {year}, {r}" for r in exc.reasons])
    return None


def _target_name(scope: str, year: int, order_intake: float) -> str:
    """"the order-intake target for region Süd of 2029 (115.0 M EUR)"."""
    where = "" if scope == "company" else f" for {str(scope).replace(':', ' ')}"
    return f"the order-intake target{where} of {year} ({_meur(order_intake)})"


def shortfall_messages(err: InfeasibleError) -> list[str]:
    """One line per target: "the order-intake target of 2028 (41.0 M EUR) cannot be met: ...".

    Other shortfalls (a year's pre-checks) and reasons keep their own words.

    For an :class:`InfeasibleError` only: its targets are proven out of reach
    (a time limit that stops the solver without a plan is a :class:`SolverError`
    whose message says that the plan found falls short, see :func:`_not_met`).
    """
    return [f"{s.requirement} cannot be met: {s.detail} (short by {_meur(s.short_by)})"
            if s.unit == "EUR" else str(s) for s in err.shortfalls] + list(err.reasons)


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
    for col in ("intake", "target", "shortfall") if targets else ("intake",):
        out[f"{col} (M EUR)"] = y[col] / 1e6
    if targets:
        out["met"] = y["target_met"]
    out["key accounts"] = y["key_accounts"]
    for lv in levels.columns:
        out[f"  {lv}"] = levels[lv].reindex(y.index).fillna(0).astype(int)
    out["activities"] = y["activities_run"]
    out["new hires"] = y["hires"]
    out["manager changes"] = y["changes"]
    out["hours used"] = y["hours_used"]
    out["hours available"] = y["hours_available"]
    out["KAM cost (M EUR)"] = y["cost_kam"] / 1e6
    out["hire cost (M EUR)"] = y["hire_cost"] / 1e6
    out["net (M EUR)"] = y["net"] / 1e6
    return out


def target_table(mp: MidtermPlan) -> pd.DataFrame:
    """Every order-intake target of the plan, for reading: year, scope, target, intake and
    shortfall (M EUR), met (yes/no); the company's first, then the regions and industries."""
    t = mp.targets
    return pd.DataFrame({
        "year": t["year"].to_numpy(),
        "scope": t["scope"].str.replace(":", " ", regex=False).to_numpy(),
        "target (M EUR)": (t["order_intake"] / 1e6).to_numpy(),
        "intake (M EUR)": (t["intake"] / 1e6).to_numpy(),
        "shortfall (M EUR)": (t["shortfall"] / 1e6).to_numpy(),
        "met": np.where(t["met"].to_numpy(bool), "yes", "no"),
    })


def compare(plans: dict[str, MidtermPlan]) -> pd.DataFrame:
    """Headline figures of several plans side by side (one column a plan)."""
    rows = {}
    for name, mp in plans.items():
        y = mp.years
        r = {"status": mp.status, "gap": f"{mp.kpis['mip_gap']:.1%}",
             "NPV (M EUR)": mp.kpis["npv"] / 1e6,
             "hires": mp.kpis["hires"],
             "manager changes": mp.kpis["changes"]}
        for yr in y.index:
            r[f"intake {yr} (M EUR)"] = y.at[yr, "intake"] / 1e6
        for yr in y.index:
            r[f"key accounts {yr}"] = int(y.at[yr, "key_accounts"])
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
        "order intake secured (M EUR)": (mp.years["intake"] - reference.years["intake"]) / 1e6,
        "net contribution it costs (M EUR)": (reference.years["net"] - mp.years["net"]) / 1e6,
    })
    out.index = out.index.astype(object)
    out.loc["NPV"] = [np.nan, (reference.kpis["npv"] - mp.kpis["npv"]) / 1e6]
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
                          else f"{r['year']} ({r['scope'].replace(':', ' ')})")
        said = []
        if len(met):
            said.append(("the targets of " if len(met) > 1 else "the target of ")
                        + ", ".join(name(r) for _, r in met.iterrows())
                        + (" are met" if len(met) > 1 else " is met"))
        if len(missed):
            said.append("; ".join(
                f"{name(r)} is missed by {_meur(r['shortfall'])} "
                f"({r['shortfall'] / r['order_intake']:.1%} of its {_meur(r['order_intake'])})"
                for _, r in missed.iterrows()))
        text = "; ".join(said)
        lines.append(f"**Targets.** {text[0].upper()}{text[1:]}.")
    hires = mp.hires
    if len(hires):
        per_year = [" and ".join(f"{n} {profile}" for profile, n in g.groupby("profile").size().items())
                    + f" in {year}" for year, g in hires.groupby("year")]
        lines.append(f"**Hires.** {len(hires)} key account manager{'s' if len(hires) > 1 else ''} "
                     f"({'; '.join(per_year)}), {_meur(hires['cost_per_year'].sum())} a year "
                     "from the hiring year on.")
    else:
        lines.append("**Hires.** None: the current team carries the plan.")
    if reference is None:
        lines.append("**Targets.** None in this case (targets.csv): the plan maximises the net "
                     "present value alone.")
        return "\n".join(f"* {line}" for line in lines)
    npv_cost = reference.kpis["npv"] - mp.kpis["npv"]
    secured = mp.years["intake"] - reference.years["intake"]
    gaps = [mp.kpis["mip_gap"], reference.kpis["mip_gap"]]
    # each plan's value is known only to within its gap: a price below that may be noise
    noise = max(g * abs(p.kpis["npv"]) for g, p in zip(gaps, (mp, reference), strict=True))
    proven = ", ".join(f"the plan {which} is proven within {g:.1%} of the best plan {which}"
                       if math.isfinite(g) else f"the plan {which} has no proven gap"
                       for which, g in zip(("with targets", "without"), gaps, strict=True))
    gained = [y for y in secured.index if secured[y] > 0]
    if npv_cost > noise and gained:
        lines.append(
            f"**Relaxing the targets** gains {_meur(npv_cost)} of net present value and gives up "
            + ", ".join(f"{_meur(secured[y])} of order intake in {y}" for y in gained)
            + f": that is the price of the targets ({proven}).")
    else:
        lines.append(
            f"**Relaxing the targets** gains {_meur(max(npv_cost, 0.0))} of net present value"
            + ("" if gained else " and gives up no order intake in any year")
            + f", but {proven}: at this time limit the price of the targets cannot be told "
            "apart from the solver's tolerance. A longer time limit tightens both plans.")
    return "\n".join(f"* {line}" for line in lines)


# ------------------------------------------------------------------ the chart
def intake_chart(mp: MidtermPlan, ax=None):
    """Expected order intake by year (retained revenue + realised potential) against targets."""
    from .charts import PALETTE, _eur_axis, _figure, _legend_outside, _style, _titles

    y = mp.years
    with _style():
        fig, ax = _figure(ax, figsize=(12, 6.5))
        xs = np.arange(len(y))
        ax.bar(xs, y["intake_retained"], width=0.6, color=PALETTE["sky"],
               label="retained revenue")
        ax.bar(xs, y["intake_potential"], width=0.6, bottom=y["intake_retained"],
               color=PALETTE["blue"], label="realised potential")
        has_target = y["target"].notna().to_numpy()
        if has_target.any():
            ax.hlines(y["target"][has_target], xs[has_target] - 0.38, xs[has_target] + 0.38,
                      colors=PALETTE["vermillion"], linewidths=3.5, zorder=3, label="target")
        for xi, (_, r) in zip(xs, y.iterrows(), strict=True):
            top = r["intake"] if pd.isna(r["target"]) else max(r["target"], r["intake"])
            short = r["shortfall"] if pd.notna(r["shortfall"]) else 0.0
            text = f"{r['intake'] / 1e6:,.1f} M€"
            if pd.notna(r["target"]):
                text += (f"\ntarget {r['target'] / 1e6:,.0f} M€ met" if short <= 0
                         else f"\nshort by {short / 1e6:,.1f} M€")
            ax.annotate(text, (xi, top), xytext=(0, 8), textcoords="offset points",
                        ha="center", va="bottom", fontsize=13,
                        color=PALETTE["vermillion"] if short > 0 else PALETTE["black"])
        ax.set_xticks(xs, [str(v) for v in y.index])
        top = np.nanmax(np.r_[y["intake"].to_numpy(), y["target"].to_numpy(float)])
        if top > 0:  # a case without revenue (a territory case) has no intake to scale to
            ax.set_ylim(0, top * 1.18)
        _eur_axis(ax.yaxis)
        _titles(ax, "Expected order intake against target",
                f"EUR a year, {mp.scenario.name} scenario; plan {mp.status}, "
                f"gap {mp.kpis['mip_gap']:.1%}")
        handles, labels = ax.get_legend_handles_labels()
        _legend_outside(ax, [("", handles, labels)])
        scoped = mp.targets[mp.targets["scope"] != "company"] if len(mp.targets) else []
        if len(scoped):  # targets of a region or industry: below the chart, in words
            lines = [f"{r.scope.replace(':', ' ')} {r.year}: {r.intake / 1e6:,.1f} M€ against "
                     f"{r.order_intake / 1e6:,.1f} M€, "
                     + ("met" if r.met else f"short by {r.shortfall / 1e6:,.1f} M€")
                     for r in scoped.itertuples()]
            ax.text(0, -0.09, "Other targets: " + "; ".join(lines), transform=ax.transAxes,
                    ha="left", va="top", fontsize=12, wrap=True,
                    color=PALETTE["vermillion"] if (~scoped["met"]).any() else PALETTE["black"])
    return fig


# ------------------------------------------------------------ command line
def write_midterm_outputs(mp: MidtermPlan, out, excel: bool = False) -> Path:
    """Write plan_by_year.csv, intake.csv, hires.csv, changes.csv, summary.json atomically.

    ``summary.json`` has the KPIs of the horizon and, under the one-year
    plan's names (``key_accounts``, ``hours_used``, ``hours_available``,
    ``cost``), those of the first plan year (``first_year``); every year's
    figures are in ``intake.csv``.
    """
    from .io import staged_folder

    out = Path(out)
    with staged_folder(out) as tmp:
        cols = ["year", "customer_id", "key_account", "level", "manager_id", "hours",
                "activities", "service_year", "intake", "value", "cost", "net"]
        mp.accounts[cols].to_csv(tmp / "plan_by_year.csv", index=False, float_format="%.2f")
        mp.years.reset_index().to_csv(tmp / "intake.csv", index=False, float_format="%.2f")
        mp.hires.to_csv(tmp / "hires.csv", index=False, float_format="%.2f")
        mp.changes.to_csv(tmp / "changes.csv", index=False)
        mp.targets.to_csv(tmp / "targets.csv", index=False, float_format="%.2f")
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
    """:func:`kamopt.prepare.scenario_notes`, and what the hire profiles' pair costs are."""
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


def cmd_midterm(args) -> int:
    """``kamopt midterm`` (and ``kamopt plan --years T`` with T > 1).

    Reads ``args.case``, ``args.out`` and, where present, ``years``,
    ``scenario``, ``assumptions``, ``target_mode``, ``time_limit``, ``mip_gap``,
    ``excel``. Exit 0 with the plan written; hard targets proven out of reach
    print one line per target and exit 3.
    """
    import sys

    from .io import load_case

    opt = lambda name: getattr(args, name, None)  # noqa: E731
    case = load_case(args.case)
    scenario = Scenario.from_yaml(opt("scenario")) if opt("scenario") else Scenario()
    a = (MidtermAssumptions.from_yaml(opt("assumptions")) if opt("assumptions")
         else MidtermAssumptions())
    if opt("target_mode"):
        a = a.replace(target_mode=opt("target_mode"))
    if opt("time_limit") is not None:
        scenario = scenario.replace(time_limit=opt("time_limit"))
    if opt("mip_gap") is not None:
        scenario = scenario.replace(mip_gap=opt("mip_gap"))
    try:
        mp = plan_midterm(case, scenario, years=opt("years"), assumptions=a)
    except InfeasibleError as err:
        if err.shortfalls:
            print("\n".join(shortfall_messages(err)), file=sys.stderr)
            return err.exit_code
        raise
    write_midterm_outputs(mp, args.out, excel=bool(opt("excel")))
    print(headline(mp))
    from .report import written_files

    print(f"  written to {args.out}: {written_files(args.out)}")
    return 0


def add_midterm_command(subparsers) -> None:
    """Register ``kamopt midterm CASE --years T --out DIR [--scenario F] [--assumptions F]``."""
    sp = subparsers.add_parser(
        "midterm", help="Plan key accounts and hires over several years against order-intake targets.",
        description="Plan key accounts and hires over several years against order-intake targets.")
    from .cliargs import gap, number_in, path_text, seconds

    sp.set_defaults(func=cmd_midterm)
    sp.add_argument("case", help="case folder of CSVs or .xlsx workbook (targets.csv and "
                    "capacity_by_year.csv, or sheets of those names, are read if there)")
    sp.add_argument("--years", type=number_in(1, 10, whole=True), default=None,
                    help="horizon in years, 1 to 10 (default: the assumptions')")
    sp.add_argument("--out", required=True, type=path_text,
                    help="output folder (created if missing; the files kamopt writes replace "
                         "those of the same name, others stay; a case folder is refused)")
    sp.set_defaults(out_is_folder=True)  # checked by kamopt.cli before any solve
    sp.add_argument("--scenario", help="scenario file (YAML); defaults apply without it")
    sp.add_argument("--assumptions", help="mid-term assumptions (YAML), e.g. "
                    "data/scenarios/midterm_base.yml")
    sp.add_argument("--target-mode", choices=TARGET_MODES, help="override the assumptions' target_mode")
    sp.add_argument("--time-limit", type=seconds, help="seconds for the solver")
    sp.add_argument("--mip-gap", type=gap, help="relative gap at which to stop")
    sp.add_argument("--excel", action="store_true", help="also write midterm.xlsx")
