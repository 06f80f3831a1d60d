"""A column map (``columns.yml`` in a case folder): a CRM or ERP export read as it comes.

An export names its columns its own way (Salesforce: ``Account Name``, ``Annual
Revenue``) and its files too (``Accounts.csv``). A ``columns.yml`` beside the
files says, per table, which file holds it and which of its headers is which
of kamopt's columns; :func:`kamopt.load_case` picks it up by itself::

    customers:
      file: Accounts.csv          # optional: the export's file name
      columns:                    # the export's header: kamopt's column
        Account Number: customer_id
        Annual Revenue: revenue
      values:                     # optional: an export's value: kamopt's value
        status:
          Keep as key account: must

A table with ``columns`` is read from the mapped headers only: a header the map
does not name is ignored (neither read nor kept), so an export's ``Type`` or
``Name`` is never taken for a kamopt column by accident. Headers are matched as
kamopt matches its own (without regard to case and spaces). Values are mapped
after the text is trimmed, exactly as written; a value the map does not name
is read as it is (and checked). A table without an entry is read as usual.

The map itself is checked first (a table or column kamopt does not know, two
headers for one column, a file name with a folder in it), naming
``columns.yml``, the key and what was expected; a mapped header missing from
its file is reported with the case's other problems. Messages about the data
name the export's own header and kamopt's column:
``Accounts.csv, row 5, column 'Annual Revenue' (revenue): got 'abc'; ...``.
The file is read as scenarios are (YAML's safe loader, the limits of
:mod:`kamopt.case.limits`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from kamopt.case.raw import ProblemLog, RawTable, _listing, column_key, did_you_mean
from kamopt.case.schema import TABLES, TABLES_BY_NAME
from kamopt.errors import CaseError, InputError, Problem

#: the names of a column map in a case folder (matched without regard to case)
NAMES = ("columns.yml", "columns.yaml")
_KEYS = ("file", "columns", "values")


@dataclass(frozen=True)
class MappedProblem(Problem):
    """A problem in a column of an export, named by the export's header and kamopt's column.

    >>> print(MappedProblem("Accounts.csv", "must be a number >= 0", row=5,
    ...                     column="Annual Revenue", value="abc", target="revenue"))
    Accounts.csv, row 5, column 'Annual Revenue' (revenue): got 'abc'; must be a number >= 0
    """

    target: str = ""

    def __str__(self) -> str:
        text = Problem.__str__(self)
        at = f"column '{self.column}'"
        return text.replace(at, f"{at} ({self.target})", 1) if self.target else text


@dataclass
class TableMap:
    """The map of one table: its file, header -> column, and column -> {value: value}."""

    table: str
    file: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)


class ColumnMap:
    """A checked ``columns.yml``; see the module's docstring."""

    def __init__(self, label: str, tables: dict[str, TableMap]):
        self.label = label
        self.tables = tables
        #: (file label, kamopt column) -> the export's header, for messages
        self._headers: dict[tuple[str, str], str] = {}
        self._files: dict[str, tuple[str, list[str]]] = {}  # file label -> (table, header)

    def file_for(self, table: str) -> str | None:
        """The file the map names for ``table``, or None (then ``<table>.csv``)."""
        tm = self.tables.get(table)
        return tm.file if tm else None

    def files(self) -> set[str]:
        """The files the map names (lower case)."""
        return {tm.file.lower() for tm in self.tables.values() if tm.file}

    def check_folder(self, names: list[str], log: ProblemLog) -> None:
        """A table given both as the map's file and as ``<table>.csv`` is refused."""
        lower = {n.lower() for n in names}
        for tm in self.tables.values():
            own = TABLES_BY_NAME[tm.table].file
            if tm.file and tm.file.lower() != own and own in lower:
                log.add(Problem(own, f"is in the folder, and {self.label} reads table "
                                f"{tm.table} from {tm.file}; keep one of them"))

    def apply(self, table: str, raw: RawTable, log: ProblemLog) -> RawTable:
        """``raw`` with the export's headers as kamopt's columns and its values mapped."""
        tm = self.tables.get(table)
        if tm is None or (not tm.columns and not tm.values):
            return raw
        header, columns = list(raw.header), list(raw.columns)
        if tm.columns:
            keys = [column_key(h) for h in raw.header]
            header, columns = [], []
            for head, target in tm.columns.items():
                exact = [i for i, h in enumerate(raw.header) if h.strip() == head.strip()]
                loose = [i for i, k in enumerate(keys) if k == column_key(head)]
                at = (exact or loose or [None])[0]
                if at is None:
                    log.add(Problem(self.label, f"is not a header of {raw.file}"
                                    + did_you_mean(head, [h.strip() for h in raw.header], 0.6)
                                    + f"; the file's header has "
                                    f"{_listing([h.strip() for h in raw.header])}",
                                    column=f"{table}.columns", value=head))
                    continue
                header.append(target)
                columns.append(raw.columns[at])
                self._headers[(raw.file, target)] = raw.header[at].strip()
            self._files[raw.file] = (table, [h.strip() for h in raw.header])
        for target, mapping in tm.values.items():
            if target in header:
                i = header.index(target)
                cells = columns[i]
                out = np.array([mapping.get(v.strip(), v) for v in cells], dtype=object)
                columns[i] = out
        return replace(raw, header=header, columns=columns)

    def relabel(self, problems: list[Problem]) -> list[Problem]:
        """Problems with an export's header where a column was mapped from it."""
        out = []
        for p in problems:
            head = self._headers.get((p.file, p.column)) if p.column else None
            if head is not None and head != p.column:
                p = MappedProblem(p.file, p.expected, p.row, head, p.value, target=p.column)
            elif p.file in self._files and p.expected.startswith("required column is missing"):
                table, header = self._files[p.file]
                p = replace(p, expected=f"required column is missing: {self.label} maps no header "
                            f"of {p.file} to it (under {table}.columns; the file's header has "
                            f"{_listing(header)})")
            out.append(p)
        return out


def find_column_map(folder: Path) -> Path | None:
    """The ``columns.yml`` (or ``.yaml``) of a case folder, or None."""
    try:
        found = sorted(f for f in folder.iterdir() if f.name.lower() in NAMES and f.is_file())
    except OSError:
        return None
    return found[0] if found else None


def read_column_map(folder: Path) -> ColumnMap | None:
    """The checked column map of a case folder, or None when it has none.

    Raises
    ------
    CaseError
        With every problem of the map, each naming ``columns.yml`` and the key.
    """
    path = find_column_map(folder)
    if path is None:
        return None
    return parse_column_map(path)


def parse_column_map(path: Path) -> ColumnMap:
    """Read and check one ``columns.yml`` (see the module's docstring).

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "columns.yml"
    >>> _ = p.write_text("customer:\\n  columns: {Umsatz: revenu, Erlös: revenue}\\n"
    ...                  "managers:\\n  columns: {A: capacity_hours, B: capacity_hours}\\n")
    >>> parse_column_map(p)
    Traceback (most recent call last):
    ...
    kamopt.errors.CaseError: The column map ... has problems (2 problems):
      - columns.yml, column 'customer': got 'customer'; is not a table kamopt reads; did you mean 'customers'? (expected one of customers, managers, activities, departments, responses, pair_costs)
      - columns.yml, column 'managers.columns': got 'B'; maps a second header to column 'capacity_hours' (the first: 'A'); map one header to each column
    """
    from kamopt.case.scenario import read_yaml

    label = path.name
    title = f"The column map {path} has problems"
    try:
        data = read_yaml(path, title=title)
    except InputError as err:
        raise CaseError(err.problems, title=title) from None
    problems: list[Problem] = []

    def bad(key: str, value: object, expected: str) -> None:
        problems.append(Problem(label, expected, column=key, value=value))

    names = [t.name for t in TABLES]
    tables: dict[str, TableMap] = {}
    for table, entry in data.items():
        if table not in TABLES_BY_NAME:
            bad(str(table), table, "is not a table kamopt reads" + did_you_mean(str(table), names)
                + f" (expected one of {', '.join(names)})")
            continue
        if not isinstance(entry, dict):
            bad(table, type(entry).__name__, "must be a mapping with 'file', 'columns' and/or "
                "'values'")
            continue
        known = {c.name for c in TABLES_BY_NAME[table].columns}
        tm = TableMap(table)
        for key in entry:
            if key not in _KEYS:
                bad(f"{table}.{key}", key, "is not a key of a table's map"
                    + did_you_mean(str(key), _KEYS) + " (expected file, columns, values)")
        file = entry.get("file")
        if file is not None:
            if not isinstance(file, str) or not file.strip():
                bad(f"{table}.file", file, "must be the name of a CSV file in the case folder")
            elif "/" in file or "\\" in file or file.strip() in (".", ".."):
                bad(f"{table}.file", file, "must be a file name in the case folder, without a "
                    "folder")
            elif not file.strip().lower().endswith(".csv"):
                bad(f"{table}.file", file, "must be a CSV file (name ending in .csv)")
            else:
                tm.file = file.strip()
        columns = entry.get("columns") or {}
        if not isinstance(columns, dict):
            bad(f"{table}.columns", type(columns).__name__, "must be a mapping of the export's "
                "header: kamopt's column")
            columns = {}
        first: dict[str, str] = {}
        for head, target in columns.items():
            if not isinstance(head, str) or not head.strip():
                bad(f"{table}.columns", head, "must be a header of the export written as text "
                    "(put it in quotes)")
                continue
            if not isinstance(target, str) or target not in known:
                bad(f"{table}.columns.{head}", target, f"is not a column of {table}"
                    + did_you_mean(str(target), sorted(known))
                    + f" (expected one of {', '.join(c.name for c in TABLES_BY_NAME[table].columns)})")
                continue
            if target in first:
                bad(f"{table}.columns", head, f"maps a second header to column '{target}' (the "
                    f"first: '{first[target]}'); map one header to each column")
                continue
            first[target] = head
            tm.columns[head] = target
        values = entry.get("values") or {}
        if not isinstance(values, dict):
            bad(f"{table}.values", type(values).__name__, "must be a mapping of kamopt's column: "
                "{the export's value: kamopt's value}")
            values = {}
        for target, mapping in values.items():
            if target not in known:
                bad(f"{table}.values", target, f"is not a column of {table}"
                    + did_you_mean(str(target), sorted(known)))
                continue
            if tm.columns and target not in tm.columns.values():
                bad(f"{table}.values", target, f"no header is mapped to column '{target}' under "
                    f"{table}.columns")
                continue
            if not isinstance(mapping, dict):
                bad(f"{table}.values.{target}", type(mapping).__name__, "must be a mapping of the "
                    "export's value: kamopt's value")
                continue
            pairs = {}
            for old, new in mapping.items():
                texts = [v for v in (old, new)
                         if v is None or isinstance(v, (bool, dict, list))]
                if texts:
                    bad(f"{table}.values.{target}", old, "must map a value to a value, each "
                        "written as text (put yes, no, on, off and empty values in quotes)")
                    continue
                pairs[str(old).strip()] = str(new).strip()
            tm.values[target] = pairs
        tables[table] = tm
    if problems:
        raise CaseError(problems, title=title)
    return ColumnMap(label, tables)


@contextmanager
def mapped_problems(colmap: ColumnMap | None) -> Iterator[None]:
    """Re-raise a :class:`CaseError` with its problems named as the export names them."""
    try:
        yield
    except CaseError as err:
        if colmap is not None:
            err.problems = colmap.relabel(err.problems)
            err.args = (str(err),)
        raise
