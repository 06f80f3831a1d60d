"""The mid-term assumptions (their YAML file) and the mid-term inputs of a case:
order-intake targets (targets.csv) and capacity by year (capacity_by_year.csv).

>>> a = MidtermAssumptions.from_dict({"years": 2, "ramp": [0.5, 1.0]})
>>> a.years, a.ramp, a.target_mode
(2, (0.5, 1.0), 'soft')
>>> MidtermAssumptions.from_dict({"discount": 0.08})
Traceback (most recent call last):
kamopt.errors.ScenarioError: The mid-term assumptions have problems (1 problem):
  - midterm, column 'discount': unknown key; did you mean 'discount_rate'?
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kamopt.case.raw import ProblemLog, RawTable, did_you_mean, text_array
from kamopt.case.scenario import Scenario, read_yaml, yaml_number
from kamopt.case.schema import Column, Table
from kamopt.case.tables import Case
from kamopt.case.validate import check_unique, parse_table, provenance
from kamopt.errors import Problem, ScenarioError
from kamopt.i18n import localise, number, percent, tr

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
        """The assumptions in words and units, one row each (for a reader, not a file), in the
        current language (:mod:`kamopt.i18n`).

        >>> MidtermAssumptions().table().loc["churn without key-account status", "value"]
        '8% of revenue a year'
        """
        g = lambda v: localise(f"{v:g}")  # noqa: E731  0.5, 0,5 in German
        rows = {
            tr("horizon"): tr("{n} years from {start}", n=self.years, start=self.start_year),
            tr("ramp-up of realised potential"): tr(
                "{shares} in the 1st / 2nd / ... year as a key account",
                shares=" / ".join(percent(r) for r in self.ramp)),
            tr("churn without key-account status"): tr("{share} of revenue a year",
                                                       share=percent(self.churn_without_kam)),
            tr("churn with key-account status"): tr("{share} of revenue a year",
                                                    share=percent(self.churn_with_kam)),
            tr("discount rate"): tr("{share} a year", share=percent(self.discount_rate)),
            tr("order-intake targets"): tr("must be met") if self.target_mode == "hard" else
            tr("a shortfall costs {penalty} EUR per EUR", penalty=g(self.shortfall_penalty)),
            tr("handover"): tr("{hours} h for a manager to learn an account",
                               hours=g(self.handover_hours)),
            tr("profiles that can be hired"): ", ".join(h.name for h in self.hire_profiles)
            or tr("none"),
        }
        return pd.DataFrame({tr("value"): rows}).rename_axis(tr("assumption"))

    def hire_table(self) -> pd.DataFrame:
        """The profiles that can be hired, with units (for a reader, not a file), in the
        current language.

        >>> a = MidtermAssumptions(hire_profiles=(HireProfile(name="sr", cost_per_year=175000),))
        >>> a.hire_table().loc["sr", ["cost a year", "cost an hour", "industries"]].tolist()
        ['175,000 EUR', 'in the yearly cost', 'any']
        """
        columns = [tr("profile"), tr("seniority"), tr("hours a year"), tr("cost a year"),
                   tr("cost an hour"), tr("productive in the hiring year"), tr("industries"),
                   tr("region"), tr("at most")]
        return pd.DataFrame([dict(zip(columns, (
            h.name, h.seniority, f"{number(h.capacity_hours)} h",
            f"{number(h.cost_per_year)} EUR",
            f"{number(h.hourly_cost)} EUR" if h.hourly_cost else tr("in the yearly cost"),
            percent(h.ramp_up), ", ".join(h.industries) or tr("any"), h.region or tr("any"),
            h.max_hires), strict=True)) for h in self.hire_profiles],
            columns=columns).set_index(columns[0])

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


#: The two optional tables in the terms of the case format (:mod:`kamopt.case.schema`): they are
#: read and parsed by the code that reads the case's own tables (:mod:`kamopt.case.io`,
#: :func:`kamopt.case.validate.parse_table`), so they accept the same files and numbers.
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
    from kamopt.case.workbook import WORKBOOK_SUFFIXES

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
    from kamopt.case.io import read_csv_table

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
    from kamopt.case.workbook import open_workbook, records_table, sheet_records

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
