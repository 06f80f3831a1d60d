"""Parsing and checking a case against the case format (spec section 1).

This is the one place where cells become typed values. :mod:`kamopt.case.io` reads
files into :class:`RawTable` grids of strings (it knows encodings, separators
and workbooks); :func:`build_case` turns them into a :class:`~kamopt.case.tables.Case`
by parsing every column as :mod:`kamopt.case.schema` describes it, then checking
ids and the references between tables. Every problem found is collected and
raised together as one :class:`~kamopt.errors.CaseError`; each names the file,
the row as seen in Excel (header = row 1), the column, the value and what was
expected.

Parsing works a column at a time on NumPy arrays, with pandas' C number
parser for the clean cells, so a case of 20,000 customers loads in about a
tenth of a second; cells are looked at one by one only when they are not
plain numbers (``1.234,5``, ``12 %``, bad values), and messages are built
only for the first :data:`CAP` bad cells of a column.

Number style
------------
How a number is written depends on the file, never on the single value:

* a workbook cell is read as the number it holds (text cells use ``.``);
* a ``,``-separated CSV uses a decimal point and optional thousands commas
  (``1,234.5``);
* a ``;``- or tab-separated CSV (what German Excel writes) uses a decimal comma
  and optional thousands dots (``1.234,5``), unless no number in the file has
  a comma and every dotted number is a plain decimal such as ``0.35`` (then the
  file is read with a decimal point). ``1.234`` in such a file means 1234.

A trailing ``%`` divides by 100 and a ``€`` sign is ignored, as Excel writes
formatted cells.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import pandas as pd

from kamopt.case.scenario import hire_ids
from kamopt.case.schema import TABLES, TABLES_BY_NAME, Column, Table, _g
from kamopt.case.tables import Case, empty_table  # empty_table: also importable from here
from kamopt.errors import CaseError, Problem

#: Problems reported per file and column before the rest are summarised.
CAP = 20

#: the largest number a case may hold (EUR, hours): 1e12 is beyond any company's
#: figures; 1e300 passed the checks and then left HiGHS without a plan
LARGEST = 1e12

_PROVENANCE = "kamopt"  # key in DataFrame.attrs: where a table was read from


# --------------------------------------------------------------------- problems
class ProblemLog:
    """Problems collected while reading a case, capped per file and column.

    Examples
    --------
    >>> log = ProblemLog(cap=2)
    >>> log.cells("customers.csv", "margin", [2, 3, 4], ["x", "y", "z"], "must be a number")
    >>> for p in log.problems():
    ...     print(p)
    customers.csv, row 2, column 'margin': got 'x'; must be a number
    customers.csv, row 3, column 'margin': got 'y'; must be a number
    customers.csv, column 'margin': ... and 1 more row with problems in this column
    """

    def __init__(self, cap: int = CAP):
        self.cap = cap
        self._items: list[Problem] = []
        self._counts: dict[tuple[str, str | None], int] = {}

    def add(self, problem: Problem) -> None:
        """Add one problem (never capped)."""
        self._items.append(problem)

    def cells(
        self,
        file: str,
        column: str | None,
        rows: Sequence[int] | np.ndarray,
        values: Sequence[object] | np.ndarray | pd.Series,
        expected: str | Sequence[str] | np.ndarray,
    ) -> None:
        """Add one problem per bad cell of ``column``; past the cap only count them.

        ``expected`` is one text for all cells or one text per cell.
        """
        n = len(rows)
        if not n:
            return
        key = (file, column)
        done = self._counts.get(key, 0)
        room = max(self.cap - done, 0)
        values = (
            list(values[:room])
            if not isinstance(values, pd.Series)
            else values.iloc[:room].tolist()
        )
        texts = [expected] * room if isinstance(expected, str) else list(expected[:room])
        for r, v, e in zip(list(rows[:room]), values, texts, strict=False):
            shown = None if isinstance(v, str) and not v.strip() else v  # "is empty" says it
            self._items.append(Problem(file, e, row=int(r), column=column, value=shown))
        self._counts[key] = done + n

    def __len__(self) -> int:
        return len(self._items)

    def problems(self) -> list[Problem]:
        """All problems in the order found, each capped column summarised after its last."""
        over = {k: n - self.cap for k, n in self._counts.items() if n > self.cap}
        last = {(p.file, p.column): i for i, p in enumerate(self._items)}
        out: list[Problem] = []
        for i, p in enumerate(self._items):
            out.append(p)
            key = (p.file, p.column)
            if key in over and last[key] == i:
                more = over[key]
                out.append(
                    Problem(
                        p.file,
                        f"... and {more} more row{'s' if more != 1 else ''} with problems "
                        + ("in this column" if p.column is not None else "in this file"),
                        column=p.column,
                    )
                )
        return out

    def raise_if_any(self, title: str = "The case has problems") -> None:
        """Raise one :class:`CaseError` with every problem, if there are any."""
        if self._items:
            raise CaseError(self.problems(), title=title)


# ------------------------------------------------------------------- raw input
def text_array(values: Iterable[object]) -> np.ndarray:
    """An object array of ``str`` (``None`` and NaN become ``""``)."""
    out = ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]
    arr = np.empty(len(out), dtype=object)
    arr[:] = out
    return arr


@dataclass
class RawTable:
    """One table as read from a file: strings only, positioned as in the file.

    ``columns`` holds one object array of ``str`` per header position, with
    one entry per non-blank data row; ``rows`` holds those rows' numbers as
    Excel shows them. ``sep`` is the CSV separator, or ``""`` for a workbook
    sheet or an in-memory table.
    """

    file: str
    header: list[str]
    columns: list[np.ndarray]
    rows: np.ndarray
    header_row: int = 1
    sep: str = ","

    def __len__(self) -> int:
        return len(self.rows)


def raw_from_grid(
    grid: Sequence[np.ndarray], rows: np.ndarray, file: str, sep: str
) -> RawTable | None:
    """A :class:`RawTable` from the columns of a grid of strings.

    The first non-blank row is the header; blank rows are dropped (their
    numbers skipped) and so are columns with neither a header nor a value
    (the ``;;;`` Excel leaves).

    Returns ``None`` when every row is blank.

    Examples
    --------
    >>> grid = [text_array(["", "id", "C1", "", "C2"]), text_array(["", "x", "1", " ", ""])]
    >>> raw = raw_from_grid(grid, np.arange(1, 6), "t.csv", ",")
    >>> raw.header, raw.rows.tolist(), raw.header_row
    (['id', 'x'], [3, 5], 2)
    """
    rows = np.asarray(rows, dtype=np.int64)
    filled = [np.array([v != "" and not v.isspace() for v in col], dtype=bool) for col in grid]
    if not filled or not len(rows):
        return None
    nonblank = np.flatnonzero(np.logical_or.reduce(filled))
    if not len(nonblank):
        return None
    h, data = nonblank[0], nonblank[1:]
    header = [str(col[h]) for col in grid]
    keep = [i for i, col in enumerate(grid) if header[i].strip() or filled[i][data].any()]
    return RawTable(
        file=file,
        header=[header[i] for i in keep],
        columns=[grid[i][data] for i in keep],
        rows=rows[data],
        header_row=int(rows[h]),
        sep=sep,
    )


# ------------------------------------------------------------------- utilities
def column_key(name: object) -> str:
    """The name a header is matched by: lower case, trimmed, inner spaces as ``_``.

    Examples
    --------
    >>> column_key("  Customer ID ")
    'customer_id'
    >>> column_key("KAM-hours")
    'kam_hours'
    """
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _letter(i: int) -> str:
    """Excel's column letter of position ``i`` (0 -> A)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.75) -> str | None:
    """The one of ``candidates`` that ``word`` most likely misspells (case aside), or None."""
    lower = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(word.lower(), list(lower), n=1, cutoff=cutoff)
    return lower[close[0]] if close else None


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.75) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``candidates``, or ``""``."""
    close = closest(word, candidates, cutoff)
    return f"; did you mean '{close}'?" if close else ""


def _listing(names: Sequence[str], limit: int = 12) -> str:
    shown = [f"'{n}'" for n in names[:limit]]
    if len(names) > limit:
        shown.append(f"... ({len(names) - limit} more)")
    return ", ".join(shown) if shown else "nothing"


def _noun(table_name: str) -> str:
    return table_name[:-1] if table_name.endswith("s") else table_name


# --------------------------------------------------------------------- numbers
@dataclass(frozen=True)
class NumberStyle:
    """How numbers are written in one file: decimal mark and thousands separator."""

    decimal: str = "."
    group: str | None = None

    @property
    def pattern(self) -> str:
        d = re.escape(self.decimal)
        whole = r"\d+"
        if self.group:
            whole = rf"(?:\d{{1,3}}(?:{re.escape(self.group)}\d{{3}})+|\d+)"
        return rf"(?a)[+-]?(?:{whole}(?:{d}\d*)?|{d}\d+)(?:[eE][+-]?\d+)?"

    def hint(self) -> str:
        if self.decimal == ",":
            return " (this file writes numbers with a decimal comma, e.g. 1.234,5)"
        return " (this file writes numbers with a decimal point, e.g. 1234.5)"


PLAIN = NumberStyle(".", ",")
GERMAN = NumberStyle(",", ".")
WORKBOOK = NumberStyle(".", None)
_GROUPED_ONLY = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+", re.ASCII).fullmatch


def number_style(raw: RawTable, positions: Sequence[int]) -> NumberStyle:
    """The number style of a file, decided once from its numeric columns.

    Examples
    --------
    >>> raw = RawTable("t.csv", ["x"], [text_array(["0,35", "1.234"])], np.array([2, 3]), sep=";")
    >>> number_style(raw, [0])
    NumberStyle(decimal=',', group='.')
    >>> raw = RawTable("t.csv", ["x"], [text_array(["0.35", "12.5"])], np.array([2, 3]), sep=";")
    >>> number_style(raw, [0])
    NumberStyle(decimal='.', group=None)
    """
    if raw.sep == "":
        return WORKBOOK
    if raw.sep == ",":
        return PLAIN
    if not positions or not len(raw):
        return GERMAN
    values = np.concatenate([raw.columns[p] for p in positions])
    if any("," in v for v in values):
        return GERMAN
    dotted = [v.replace("€", "").strip().rstrip("% ") for v in values if "." in v]
    plain = re.compile(WORKBOOK.pattern).fullmatch
    if dotted and not any(_GROUPED_ONLY(v) for v in dotted) and all(plain(v) for v in dotted):
        return WORKBOOK
    return GERMAN


def _parse_one(text: str, style: NumberStyle, match) -> float:
    """One cell the fast path rejected: with ``€``, ``%`` or thousands separators."""
    t = text.replace("€", "").strip()
    pct = t.endswith("%")
    if pct:
        t = t[:-1].rstrip()
    if not match(t):
        return np.nan
    if style.group:
        t = t.replace(style.group, "")
    x = float(t.replace(style.decimal, ".") if style.decimal != "." else t)
    return x / 100 if pct else x


def parse_numbers(
    text: Sequence[str] | np.ndarray, style: NumberStyle
) -> tuple[np.ndarray, np.ndarray]:
    """Parse stripped strings to float64 in the file's style.

    Returns the values (NaN where empty or bad) and a mask of the bad cells
    (non-empty and not a finite number). Clean cells are converted in one
    vectorised step; only the rest are looked at one by one.

    Examples
    --------
    >>> v, bad = parse_numbers(["1.234,5", "", "abc", "12 %", "1.23"], GERMAN)
    >>> v[:1].tolist(), bad.tolist()
    ([1234.5], [False, False, True, False, True])
    >>> float(v[3])
    0.12
    >>> parse_numbers(["1.234", "1,234.5"], PLAIN)[0].tolist()
    [1.234, 1234.5]
    """
    arr = np.asarray(text, dtype=object)
    empty = arr == ""
    if style.decimal == ",":
        norm = np.array([v.replace(".", "").replace(",", ".") for v in arr], dtype=object)
    else:
        norm = arr
    values = np.array(pd.to_numeric(pd.Series(norm, dtype=object), errors="coerce"), dtype=float)
    ok = np.isfinite(values)
    match = re.compile(style.pattern).fullmatch
    if style.decimal == ",":
        # "1.23" must not pass as 123: a dotted value must group thousands properly
        dotted = np.flatnonzero(ok & np.array(["." in v for v in arr], dtype=bool))
        if len(dotted):
            good = np.array([match(arr[i]) is not None for i in dotted], dtype=bool)
            ok[dotted[~good]] = False
    for i in np.flatnonzero(~ok & ~empty):
        values[i] = _parse_one(arr[i], style, match)
    values[empty] = np.nan
    bad = ~empty & ~np.isfinite(values)
    values[bad] = np.nan
    return values, bad


def format_number_de(x: float | int) -> str:
    """A number as German Excel writes it: decimal comma, thousands dots.

    Examples
    --------
    >>> format_number_de(1234567.89)
    '1.234.567,89'
    >>> format_number_de(0.35), format_number_de(1500.0), format_number_de(-1234.5)
    ('0,35', '1.500', '-1.234,5')
    >>> format_number_de(2.5e-07)
    '2,5e-07'
    """
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        x = int(x)
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}".replace(",", ".")
    text = repr(float(x))
    if "e" in text or not np.isfinite(x):
        return text.replace(".", ",")
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}".replace(",", ".") + ("," + frac if frac else "")


# --------------------------------------------------------------------- parsing
def _split_list(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"[;|]", value) if p.strip())


def _flag(
    log: ProblemLog,
    raw: RawTable,
    column: str,
    values: np.ndarray,
    checks: list[tuple[np.ndarray, str | np.ndarray]],
) -> None:
    """Report each cell under the first of ``checks`` (mask, expected) it fails."""
    n = len(values)
    seen = np.zeros(n, dtype=bool)
    texts = np.empty(n, dtype=object)
    for mask, expected in checks:
        m = mask & ~seen
        if m.any():
            texts[m] = expected[m] if isinstance(expected, np.ndarray) else expected
            seen |= m
    if seen.any():
        idx = np.flatnonzero(seen)
        log.cells(raw.file, column, raw.rows[idx], values[idx], texts[idx])


def _parse_column(
    col: Column, cells: np.ndarray, style: NumberStyle, raw: RawTable, log: ProblemLog
) -> pd.Series:
    """One column parsed to its kind; bad cells are reported (and left NaN)."""
    s = np.array([v.strip() for v in cells], dtype=object)
    n = len(s)
    empty = s == "" if n else np.zeros(0, dtype=bool)
    need = f"must be {col.expectation()}"
    missing = (
        empty & col.required,
        f"is empty; {need}" if col.kind != "text" else "is empty; a value is required",
    )
    index = pd.RangeIndex(n)
    if col.kind in ("number", "integer"):
        values, bad = parse_numbers(s, style)
        texts: str | np.ndarray = need
        if bad.any():
            other = "," if style.decimal == "." else "."
            hinted = bad & np.array([other in v for v in s], dtype=bool)
            if hinted.any():
                texts = np.where(hinted, need + style.hint(), need).astype(object)
        out_of_range = np.zeros(n, dtype=bool)
        with np.errstate(invalid="ignore"):
            if col.kind == "integer":
                out_of_range |= np.isfinite(values) & (np.mod(values, 1) != 0)
            if col.lo is not None:
                out_of_range |= (values <= col.lo) if col.lo_open else (values < col.lo)
            if col.hi is not None:
                out_of_range |= values > col.hi
            # beyond any company's figures, and beyond what a solver computes with exactly
            huge = ~out_of_range & (np.abs(values) > LARGEST)
        _flag(log, raw, col.name, s, [missing, (bad, texts), (out_of_range, need),
                                      (huge, "is too large to plan with (a case holds "
                                             f"numbers up to {LARGEST:,.0f})")])
        if col.default is not None:
            values[empty] = float(col.default)
        if col.kind == "integer" and not np.isnan(values).any() and not out_of_range.any():
            return pd.Series(values.astype("int64"), index=index)
        return pd.Series(values, index=index, dtype="float64")
    if col.kind == "choice":
        low = np.array([v.lower() for v in s], dtype=object)
        allowed = set(col.choices)
        invalid = np.array([v not in allowed for v in low], dtype=bool) & ~empty
        _flag(log, raw, col.name, s, [missing, (invalid, need)])
        if col.default:
            low[empty] = col.default
        return pd.Series(low, index=index, dtype=str)
    if col.kind == "list":
        _flag(log, raw, col.name, s, [missing])
        return pd.Series([_split_list(v) for v in s], index=index, dtype=object)
    _flag(log, raw, col.name, s, [missing])
    if col.default not in (None, ""):
        s[empty] = str(col.default)
    return pd.Series(s, index=index, dtype=str)


def _default_column(col: Column, n: int) -> pd.Series:
    index = pd.RangeIndex(n)
    if col.kind == "list":
        return pd.Series([tuple(col.default or ())] * n, index=index, dtype=object)
    if col.kind == "number":
        return pd.Series(float(col.default), index=index, dtype="float64")
    if col.kind == "integer":
        return pd.Series(int(col.default), index=index, dtype="int64")
    return pd.Series([str(col.default or "")] * n, index=index, dtype=str)


#: tables without an id column whose rows are keyed by a pair of columns
PAIR_KEYS = {"responses": ("customer_id", "level"), "pair_costs": ("customer_id", "manager_id")}


def parse_table(raw: RawTable, table: Table, log: ProblemLog) -> pd.DataFrame | None:
    """Parse one table against the schema, reporting every bad header and cell.

    Returns the typed frame (indexed by the id column, file order kept; extra
    columns last, as text), or ``None`` when the id column is missing. The
    frame is complete only when ``log`` got no problems from this table; with
    problems it still serves the reference checks (a missing required column
    is then simply absent).
    """
    n = len(raw)
    known = {c.name: c for c in table.columns}
    where: dict[str, int] = {}
    extras: list[tuple[str, int]] = []
    for i, head in enumerate(raw.header):
        key = column_key(head)
        if key in known and key in where:
            log.add(
                Problem(
                    raw.file,
                    f"column appears twice (columns {_letter(where[key])} and {_letter(i)}); "
                    "keep one of them",
                    row=raw.header_row,
                    column=key,
                )
            )
        elif key in known:
            where[key] = i
        else:
            extras.append((head.strip() or f"column_{_letter(i)}", i))

    absent = [c.name for c in table.columns if not c.required and c.name not in where]
    for name, _ in extras:  # a misspelt optional column would be ignored without a word
        meant = closest(name, absent)
        if meant:
            log.add(
                Problem(
                    raw.file,
                    f"is not a column kamopt reads; did you mean '{meant}'? Without a column "
                    f"'{meant}' its default applies to every row. Rename the column (an extra "
                    "column for kamopt to ignore needs a name less close to one it reads)",
                    row=raw.header_row,
                    column=name,
                )
            )
    for col in table.columns:
        if col.required and col.name not in where:
            log.add(
                Problem(
                    raw.file,
                    "required column is missing"
                    + did_you_mean(col.name, [name for name, _ in extras], cutoff=0.6)
                    + f"; the header has {_listing([h.strip() for h in raw.header])}",
                    row=raw.header_row,
                    column=col.name,
                )
            )

    numeric = [
        where[c.name] for c in table.columns if c.kind in ("number", "integer") and c.name in where
    ]
    style = number_style(raw, numeric)
    data: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name in where:
            data[col.name] = _parse_column(col, raw.columns[where[col.name]], style, raw, log)
        elif not col.required:
            data[col.name] = _default_column(col, n)
    if table.id and table.id not in data:
        return None
    for name, i in extras:
        unique, k = name, 1
        while unique in data:
            unique, k = f"{name}.{k}", k + 1
        data[unique] = pd.Series(raw.columns[i], index=pd.RangeIndex(n), dtype=str)

    frame = pd.DataFrame(data, index=pd.RangeIndex(n))
    if table.id:
        ids = frame[table.id].to_numpy(dtype=object)
        check_unique(ids, raw, table.id, log, "must be unique", valid=ids != "")
    pair = PAIR_KEYS.get(table.name)
    if pair and set(pair) <= set(data):
        first, second = (frame[k].to_numpy(dtype=object) for k in pair)
        check_unique(
            pd.MultiIndex.from_arrays([first, second]),
            raw,
            pair[1],
            log,
            f"each ({pair[0]}, {pair[1]}) pair must appear once",
            shown=second,
            valid=(first != "") & (second != ""),
        )
    if table.id:
        frame = frame.set_index(table.id)
    _set_provenance(frame, raw.file, raw.rows)
    return frame


def check_unique(
    keys: np.ndarray | pd.Index,
    raw: RawTable,
    column: str,
    log: ProblemLog,
    rule: str,
    shown: np.ndarray | None = None,
    valid: np.ndarray | None = None,
) -> None:
    """Report every repeat of a key after its first row, naming that row."""
    keys = pd.Index(keys)
    dup = keys.duplicated(keep="first")
    if valid is not None:
        dup = dup & valid
    if not dup.any():
        return
    codes = pd.factorize(keys)[0]
    first = pd.Series(np.arange(len(keys))).groupby(codes).transform("min").to_numpy()
    idx = np.flatnonzero(dup)
    texts = np.array([f"{rule}; duplicate of row {raw.rows[first[i]]}" for i in idx], dtype=object)
    values = np.asarray(shown if shown is not None else keys, dtype=object)[idx]
    log.cells(raw.file, column, raw.rows[idx], values, texts)


# ------------------------------------------------------------------ provenance
def _set_provenance(frame: pd.DataFrame, file: str, rows: np.ndarray) -> None:
    """Remember the file and rows a table came from (``attrs``, ignored by ``equals``).

    Rows are kept as runs ``[start, stop)``, usually one, so that later checks
    (:func:`check_against_scenario`) name the row a user sees.
    """
    rows = np.asarray(rows, dtype=np.int64)
    cuts = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = np.concatenate([[0], cuts]) if len(rows) else np.array([], dtype=np.int64)
    stops = np.concatenate([cuts, [len(rows)]]) if len(rows) else starts
    runs = [[int(rows[a]), int(rows[b - 1]) + 1] for a, b in zip(starts, stops, strict=True)]
    frame.attrs[_PROVENANCE] = {"file": file, "rows": runs}


def provenance(frame: pd.DataFrame, table: str, source: str) -> tuple[str, np.ndarray]:
    """The file label and Excel rows of a case table (as loaded, or guessed)."""
    info = frame.attrs.get(_PROVENANCE)
    if isinstance(info, dict):
        rows = np.concatenate(
            [np.arange(a, b) for a, b in info.get("rows", [])] or [np.array([], int)]
        )
        if len(rows) == len(frame):
            return info["file"], rows.astype(np.int64)
    if source.lower().endswith((".xlsx", ".xlsm")):
        file = f"{PurePath(source).name}[{table}]"
    else:
        file = f"{table}.csv"
    return file, np.arange(2, len(frame) + 2)


# ------------------------------------------------------------------ references
def check_references(
    frames: Mapping[str, pd.DataFrame | None],
    raws: Mapping[str, RawTable],
    labels: Mapping[str, str],
    log: ProblemLog,
) -> None:
    """Check that ids referred to exist in their tables (``Column.ref``).

    ``frames`` holds every table that was read (``None`` when it could not be
    parsed); a table absent from ``frames`` was not given. References to a
    table that could not be parsed are not checked.
    """
    for table in TABLES:
        frame, raw = frames.get(table.name), raws.get(table.name)
        if frame is None or raw is None:
            continue
        for col in table.columns:
            if not col.ref or col.name not in frame.columns:
                continue
            target = TABLES_BY_NAME[col.ref]
            if col.ref in frames and frames[col.ref] is None:
                continue  # the referenced table is broken; reported already
            if col.ref not in frames and target.required:
                continue  # the referenced file is missing; reported already
            ids = frames[col.ref].index if col.ref in frames else pd.Index([], dtype=str)
            values = frame[col.name]
            unknown = ((values != "") & ~values.isin(ids)).to_numpy()
            if not unknown.any():
                continue
            idx = np.flatnonzero(unknown)
            where = labels.get(col.ref, target.file)
            base = f"unknown {_noun(col.ref)}; must be a {target.id} in {where}"
            if not col.required:
                base += " or empty"
            if col.ref not in frames:
                base += f" ({where} is not given)"
            candidates = ids.tolist() if len(ids) <= 2000 else []
            texts = np.array(
                [
                    base + (did_you_mean(values.iloc[i], candidates) if k < log.cap else "")
                    for k, i in enumerate(idx)
                ],
                dtype=object,
            )
            log.cells(raw.file, col.name, raw.rows[idx], values.iloc[idx], texts)


def check_industry_lists(frames: Mapping[str, pd.DataFrame | None],
                         raws: Mapping[str, RawTable], log: ProblemLog) -> None:
    """A manager's industries joined by ',' instead of ';' or '|' are reported.

    ``Elektro, Chemie`` is read as one industry that no customer has, so the
    manager would silently lose the industry fit; it is reported when every
    part is an industry of the customers (an unknown industry of its own is
    allowed: a manager may know an industry no customer has yet).
    """
    customers, managers = frames.get("customers"), frames.get("managers")
    raw = raws.get("managers")
    if customers is None or managers is None or raw is None or "industries" not in managers:
        return
    known = set(customers["industry"].astype(str)) - {""} if "industry" in customers else set()
    bad, shown, texts = [], [], []
    for i, industries in enumerate(managers["industries"]):
        for name in industries:
            parts = [p.strip() for p in name.split(",")]
            if name not in known and len(parts) > 1 and all(p in known for p in parts):
                bad.append(i)
                shown.append(name)
                texts.append("joins industries with ','; separate them with ';' or '|' (did you "
                             f"mean '{';'.join(parts)}'?)")
    if bad:
        log.cells(raw.file, "industries", raw.rows[np.asarray(bad)],
                  np.asarray(shown, dtype=object), texts)


def check_min_hours(frames: Mapping[str, pd.DataFrame | None],
                    raws: Mapping[str, RawTable], log: ProblemLog) -> None:
    """A manager's ``min_hours`` may not exceed his or her ``capacity_hours``."""
    managers, raw = frames.get("managers"), raws.get("managers")
    if managers is None or raw is None or "capacity_hours" not in managers:
        return
    heads = [column_key(h) for h in raw.header]
    if "min_hours" not in heads:
        return
    lo = pd.to_numeric(managers["min_hours"], errors="coerce").to_numpy(float)
    cap = pd.to_numeric(managers["capacity_hours"], errors="coerce").to_numpy(float)
    # NaN (a bad cell) compares False; a negative capacity is reported already
    bad = np.flatnonzero((lo > cap + 1e-9) & (cap >= 0))
    if len(bad):
        texts = [f"is more than the manager's capacity_hours ({_g(cap[i])}); expected a number "
                 f"in [0, {_g(cap[i])}]" for i in bad]
        at = heads.index("min_hours")
        log.cells(raw.file, "min_hours", raw.rows[bad], np.asarray(raw.columns[at])[bad], texts)


# ------------------------------------------------------------------- the case
def build_case(
    raws: Mapping[str, RawTable],
    source: str,
    labels: Mapping[str, str] | None = None,
    log: ProblemLog | None = None,
) -> Case:
    """Parse and check the tables read from a case; raise every problem at once.

    Parameters
    ----------
    raws
        The tables that were given, by table name. A missing required table
        must already be reported in ``log``; a missing optional table becomes
        an empty one.
    source
        The case path as given; it becomes ``Case.source``.
    labels
        How each table is named in messages (``customers.csv`` or
        ``case.xlsx[customers]``), also for tables not given.
    log
        Problems found while reading the files, if any.

    Raises
    ------
    CaseError
        With every problem found, when there is any.
    """
    log = log if log is not None else ProblemLog()
    labels = {t.name: t.file for t in TABLES} | dict(labels or {})
    frames: dict[str, pd.DataFrame | None] = {}
    for table in TABLES:
        raw = raws.get(table.name)
        if raw is None:
            continue
        if table.required and not len(raw):
            log.add(
                Problem(
                    raw.file,
                    f"has no data rows below the header; at least one {_noun(table.name)} "
                    "is required",
                    row=raw.header_row + 1,
                )
            )
        frames[table.name] = parse_table(raw, table, log)
    check_references(frames, raws, labels, log)
    check_industry_lists(frames, raws, log)
    check_min_hours(frames, raws, log)
    log.raise_if_any(title=f"The case {source} has problems" if source else "The case has problems")
    tables = {
        t.name: frames[t.name] if frames.get(t.name) is not None else empty_table(t)
        for t in TABLES
    }
    return Case(**tables, source=source)


def raw_from_frame(frame: pd.DataFrame, table: Table, file: str) -> RawTable:
    """A typed table as strings again, so that an in-memory case is checked by
    the same parser as a file (numbers written so that they parse back exactly)."""
    flat = frame.reset_index() if table.id and frame.index.name == table.id else frame
    columns = []
    for name in flat.columns:
        values = flat[name].tolist()
        if pd.api.types.is_float_dtype(flat[name].dtype):
            columns.append(text_array("" if v != v else repr(float(v)) for v in values))
        else:
            columns.append(
                text_array(
                    ";".join(map(str, v)) if isinstance(v, (tuple, list)) else v for v in values
                )
            )
    _, rows = provenance(frame, table.name, "")
    return RawTable(file, [str(c) for c in flat.columns], columns, rows, sep="")


def check_case(case: Case) -> None:
    """Check an in-memory case (built in code or edited) as a loaded one is checked.

    Raises
    ------
    CaseError
        With every problem found (rows counted as in a file: first row = 2).
    """
    raws = {}
    labels = {}
    for table in TABLES:
        frame = case.tables[table.name]
        file, _ = provenance(frame, table.name, case.source)
        labels[table.name] = file
        if table.required or len(frame):
            raws[table.name] = raw_from_frame(frame, table, file)
    build_case(raws, case.source, labels)


def check_against_scenario(case: Case, scenario) -> None:
    """Check the parts of a case that depend on a scenario.

    The levels named in ``responses`` must be among ``scenario.level_names``;
    the ids in ``scenario.unavailable_managers``, ``must``, ``exclude``,
    ``leads`` and ``excluded_leads`` must exist in the case, where a manager
    may also be a hire of the scenario (those problems name the scenario as
    the file and the key as the column).

    Raises
    ------
    CaseError
        With every problem found.
    """
    log = ProblemLog()
    responses = case.responses
    if len(responses):
        file, rows = provenance(responses, "responses", case.source)
        levels = scenario.level_names
        bad = (~responses["level"].isin(levels)).to_numpy()
        if bad.any():
            idx = np.flatnonzero(bad)
            log.cells(
                file,
                "level",
                rows[idx],
                responses["level"].iloc[idx],
                f"unknown coverage level; must be one of {_listing(list(levels))} "
                f"(the levels of scenario '{scenario.name}')",
            )
    for key, table in (
        ("unavailable_managers", "managers"),
        ("must", "customers"),
        ("exclude", "customers"),
    ):
        frame = case.tables[table]
        file, _ = provenance(frame, table, case.source)
        id_name = TABLES_BY_NAME[table].id
        ids = frame.index
        candidates = ids.tolist() if len(ids) <= 2000 else []
        for value in getattr(scenario, key, ()) or ():
            if value not in ids:
                log.add(
                    Problem(
                        scenario.name,
                        f"unknown {_noun(table)}; must be a {id_name} in {file}"
                        + did_you_mean(str(value), candidates),
                        column=key,
                        value=value,
                    )
                )
    cfile, _ = provenance(case.customers, "customers", case.source)
    mfile, _ = provenance(case.managers, "managers", case.source)
    cids, mids = case.customers.index, case.managers.index
    hires = [mid for mid, _ in hire_ids(scenario)]
    near = cids.tolist() if len(cids) <= 2000 else []
    resp = case.responses  # an account's own levels (responses.csv), else the scenario's
    own = resp.groupby("customer_id")["level"].agg(list).to_dict() if len(resp) else {}
    afile, _ = provenance(case.activities, "activities", case.source)
    acts = case.activities.index
    for key in ("leads", "excluded_leads", "coverage", "committed_activities"):
        for cid, v in getattr(scenario, key, ()) or ():
            if cid not in cids:
                log.add(Problem(scenario.name, f"unknown customer; must be a customer_id in {cfile}"
                                + did_you_mean(str(cid), near), column=f"{key}.{cid}", value=cid))
            if key == "leads" and v in scenario.unavailable_managers:
                log.add(Problem(scenario.name, f"is unavailable in this scenario "
                                f"(unavailable_managers), so it cannot lead {cid}",
                                column=f"leads.{cid}", value=v))
            elif key in ("leads", "excluded_leads") and v not in mids and v not in hires:
                log.add(Problem(scenario.name, f"unknown manager; must be a manager_id in {mfile} "
                                "or a hire of the scenario"
                                + did_you_mean(str(v), mids.tolist() + hires),
                                column=f"{key}.{cid}", value=v))
            elif key == "coverage" and cid in cids:
                levels = own.get(cid, list(scenario.level_names))
                if v not in levels:
                    where = (f"the levels responses.csv gives {cid}" if cid in own
                             else f"the levels of scenario '{scenario.name}'")
                    log.add(Problem(scenario.name, f"unknown coverage level; must be one of "
                                    f"{_listing(levels)} ({where})" + did_you_mean(str(v), levels),
                                    column=f"coverage.{cid}", value=v))
            elif key == "committed_activities" and v not in acts:
                log.add(Problem(scenario.name, f"unknown activity; must be an activity_id in "
                                f"{afile}" + did_you_mean(str(v), acts.tolist()),
                                column=f"committed_activities.{cid}", value=v))
    log.raise_if_any(
        title=f"The case {case.source or '(in memory)'} does not fit scenario '{scenario.name}'"
    )

