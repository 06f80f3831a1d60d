"""What a case file holds before parsing, and the log of what is wrong with it.

:class:`RawTable` is a table as read from a file (strings only, positioned as
in the file); :class:`ProblemLog` collects every problem found while reading
and checking a case, capped per file and column; the helpers name columns and
suggest the name a user most likely meant.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamopt.errors import CaseError, Problem

#: Problems reported per file and column before the rest are summarised.
CAP = 20


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


#: how two ids are compared (:func:`id_key`), in the words of a message
ID_RULE = "ids are compared without regard to case, character width and invisible characters"


def id_key(value: object) -> str:
    """The form in which two ids are compared: Unicode NFKC, without format characters
    (category Cf: zero-width spaces, joiners, direction marks, BOM), trimmed and case-folded.

    ``K0005``, ``k0005``, ``K0005`` with a zero-width space and the full-width
    ``Ｋ０００５`` are one id; a case that spells one id two ways is refused
    (:func:`kamopt.case.validate.check_unique`), and a reference written another way
    than its id is reported, not silently matched.

    Examples
    --------
    >>> {id_key(v) for v in ["K0005", "k0005", "K0005\u200b", "\ufeffＫ０００５ ", "K0005\u00a0"]}
    {'k0005'}
    >>> id_key("Straße") == id_key("STRASSE"), id_key("K 0005") == id_key("K0005")
    (True, False)
    """
    text = str(value)
    if text.isascii():  # NFKC leaves ASCII as it is, and ASCII has no format characters
        return text.strip().lower()
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFKC", text.strip().casefold())


def id_keys(values: Iterable[object]) -> np.ndarray:
    """:func:`id_key` of each value, as an object array."""
    out = [id_key(v) for v in values]
    arr = np.empty(len(out), dtype=object)
    arr[:] = out
    return arr


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


def name_misspelt_tables(found: dict[str, str], log: ProblemLog, kind: str, spelt) -> None:
    """A file or sheet named close to an optional table the case lacks (``activites.csv``)
    is most likely that table misspelt: without a word, the case would be read without it.

    ``found`` maps each file's stem or sheet's title (lower case) to its label.
    """
    from kamopt.case.schema import OTHER_TABLES, TABLES

    every = {t.name for t in TABLES} | set(OTHER_TABLES)
    optional = [t.name for t in TABLES if not t.required] + list(OTHER_TABLES)
    absent = [t for t in optional if t not in found]
    for name, label in found.items():
        if name in every:
            continue
        meant = closest(name, absent)
        if meant:
            log.add(Problem(
                label,
                f"is not a {kind} kamopt reads; did you mean {kind} '{spelt(meant)}'? Without "
                f"it the case has no {meant.replace('_', ' ')}. Rename the {kind} (a {kind} "
                f"for kamopt to ignore needs a name less close to one it reads)"))
