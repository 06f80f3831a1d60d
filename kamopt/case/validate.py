"""Parsing and checking a case against the case format (spec section 1).

This is the one place where cells become typed values: :func:`build_case`
parses the :class:`~kamopt.case.raw.RawTable` grids that :mod:`kamopt.case.io`
reads, every column as :mod:`kamopt.case.schema` describes it, then checks ids
and the references between tables, and raises every problem at once as one
:class:`~kamopt.errors.CaseError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePath

import numpy as np
import pandas as pd

from kamopt.case.balance import check_workload_bands
from kamopt.case.numbers import NumberStyle, number_style, parse_numbers
from kamopt.case.raw import (
    ID_RULE,
    ProblemLog,
    RawTable,
    _letter,
    _listing,
    _noun,
    closest,
    column_key,
    did_you_mean,
    id_key,
    id_keys,
    text_array,
)
from kamopt.case.scenario import hire_ids
from kamopt.case.schema import TABLES, TABLES_BY_NAME, Column, Table, _g
from kamopt.case.tables import Case, empty_table
from kamopt.errors import Problem

#: the largest number a case may hold (EUR, hours): 1e12 is beyond any company's
#: figures; 1e300 passed the checks and then left HiGHS without a plan
LARGEST = 1e12

_PROVENANCE = "kamopt"  # key in DataFrame.attrs: where a table was read from


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
        if table.closed:  # every column changes the plan: none is ignored
            log.add(
                Problem(
                    raw.file,
                    f"unknown column '{name}'"
                    + (f"; did you mean '{meant}'?" if meant else
                       did_you_mean(name, list(known), cutoff=0.6) or ";")
                    + f" {raw.file} has only the columns "
                    + ", ".join(c.name for c in table.columns)
                    + "; rename or remove it (kamopt ignores no column of this table)",
                    row=raw.header_row,
                    column=name,
                )
            )
        elif meant:
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
    if table.id:  # ids are compared as id_key has them: K0005 and k0005 are one id
        ids = frame[table.id].to_numpy(dtype=object)
        keys = id_keys(ids)
        invisible = (keys == "") & (ids != "")
        if invisible.any():
            idx = np.flatnonzero(invisible)
            log.cells(raw.file, table.id, raw.rows[idx], ids[idx],
                      "has only invisible characters; a visible id is required")
        check_unique(keys, raw, table.id, log, "must be unique", valid=keys != "", spelled=ids)
    pair = PAIR_KEYS.get(table.name)
    if pair and set(pair) <= set(data):
        first, second = (frame[k].to_numpy(dtype=object) for k in pair)
        check_unique(
            pd.MultiIndex.from_arrays([id_keys(first), id_keys(second)]),
            raw,
            pair[1],
            log,
            f"each ({pair[0]}, {pair[1]}) pair must appear once",
            shown=second,
            valid=(first != "") & (second != ""),
            spelled=list(zip(first, second, strict=True)),
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
    spelled: np.ndarray | list | None = None,
) -> None:
    """Report every repeat of a key after its first row, naming that row.

    ``keys`` are compared as given: ids as :func:`~kamopt.case.raw.id_keys` has
    them, so that ``K0005`` and ``k0005`` are one id. ``spelled`` is how each row
    writes its key; a repeat written otherwise than its first row is reported with
    both spellings (its own as the value, the first row's in the message).

    >>> raw = RawTable("customers.csv", ["customer_id"], [], np.array([2, 3, 4]))
    >>> log = ProblemLog()
    >>> ids = np.array(["K0005", "K0006", "k0005\u200b"], dtype=object)
    >>> check_unique(id_keys(ids), raw, "customer_id", log, "must be unique", spelled=ids)
    >>> print(log.problems()[0])
    customers.csv, row 4, column 'customer_id': got 'k0005\u200b'; must be unique; the same as 'K0005' in row 2 (ids are compared without regard to case, character width and invisible characters)
    """
    keys = pd.Index(keys)
    dup = keys.duplicated(keep="first")
    if valid is not None:
        dup = dup & valid
    if not dup.any():
        return
    codes = pd.factorize(keys)[0]
    first = pd.Series(np.arange(len(keys))).groupby(codes).transform("min").to_numpy()
    idx = np.flatnonzero(dup)
    if shown is None:
        shown = spelled if spelled is not None else keys
    values, texts = [], []
    for i in idx:
        f = first[i]
        if spelled is not None and spelled[i] != spelled[f]:
            texts.append(f"{rule}; the same as {spelled[f]!r} in row {raw.rows[f]} ({ID_RULE})")
            values.append(spelled[i])
        else:
            texts.append(f"{rule}; duplicate of row {raw.rows[f]}")
            values.append(shown[i])
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
class IdSpellings:
    """The ids of one table by :func:`~kamopt.case.raw.id_key`, with the row each is written in.

    >>> ids = IdSpellings(["K0005", "K0006"], [2, 3], "customers.csv", "customer_id")
    >>> ids.note("k0006")
    "; did you mean 'K0006'? customers.csv, row 3, has it: the same customer_id written another way (ids are compared without regard to case, character width and invisible characters); write it the same way in both places"
    >>> ids.note("K0006"), ids.note("K0007")
    ('', '')
    """

    def __init__(self, ids, rows, file: str, id_name: str):
        self.file, self.id_name = file, id_name
        self._by_key: dict[str, tuple[str, int]] = {}
        for v, r in zip(ids, rows, strict=True):
            self._by_key.setdefault(id_key(v), (str(v), int(r)))

    def note(self, value: object) -> str:
        """What to say of ``value`` (not an id as written) when it is an id written another
        way; ``""`` when it is not."""
        hit = self._by_key.get(id_key(value)) if str(value).strip() else None
        if hit is None or hit[0] == value:
            return ""
        return (f"; did you mean {hit[0]!r}? {self.file}, row {hit[1]}, has it: the same "
                f"{self.id_name} written another way ({ID_RULE}); write it the same way in "
                "both places")


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

    A reference must be written as its id is: one that matches an id only once
    case, character width and invisible characters are set aside (``k0005``
    for ``K0005``) is reported with the row and spelling of the id, never
    silently matched (every later stage compares ids as they are written).
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
            target_raw = raws.get(col.ref)
            spellings = (IdSpellings(ids, target_raw.rows, where, target.id)
                         if target_raw is not None and len(target_raw) == len(ids) else None)
            texts = np.array(
                [
                    base + ((spellings and spellings.note(values.iloc[i]))
                            or (did_you_mean(values.iloc[i], candidates) if k < log.cap else ""))
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


def check_potential_range(frames: Mapping[str, pd.DataFrame | None],
                          raws: Mapping[str, RawTable], log: ProblemLog) -> None:
    """``potential_low <= potential <= potential_high`` where those are given."""
    customers, raw = frames.get("customers"), raws.get("customers")
    if customers is None or raw is None or "potential" not in customers:
        return
    heads = [column_key(h) for h in raw.header]
    pot = pd.to_numeric(customers["potential"], errors="coerce").to_numpy(float)
    for col, side in (("potential_low", -1), ("potential_high", 1)):
        if col not in heads:
            continue
        v = pd.to_numeric(customers[col], errors="coerce").to_numpy(float)
        # NaN (empty or a bad cell, reported already) compares False
        bad = np.flatnonzero(side * (pot - v) > 1e-9 * np.maximum(1.0, np.abs(pot)))
        if len(bad):
            word = "more" if side < 0 else "less"
            expect = "at most" if side < 0 else "at least"
            texts = [f"is {word} than the customer's potential ({_g(pot[i])}); expected a number "
                     f"{expect} {_g(pot[i])} (low <= potential <= high)" for i in bad]
            at = heads.index(col)
            log.cells(raw.file, col, raw.rows[bad], np.asarray(raw.columns[at])[bad], texts)


def check_pair_hours(frames: Mapping[str, pd.DataFrame | None],
                     raws: Mapping[str, RawTable], log: ProblemLog) -> None:
    """A pair of ``pair_costs`` gives ``hours_factor`` or ``hours``, not both; ``hours`` only
    for an account with ``kam_hours > 0`` (it is read as the factor ``hours / kam_hours``)."""
    pairs, raw = frames.get("pair_costs"), raws.get("pair_costs")
    if pairs is None or raw is None or not {"hours_factor", "hours"} <= set(pairs):
        return
    heads = [column_key(h) for h in raw.header]
    if "hours" not in heads:
        return
    hours = pd.to_numeric(pairs["hours"], errors="coerce").to_numpy(float)
    factor = pd.to_numeric(pairs["hours_factor"], errors="coerce").to_numpy(float)
    at = heads.index("hours")
    cells = np.asarray(raw.columns[at])
    both = np.flatnonzero(~np.isnan(hours) & ~np.isnan(factor))
    if len(both):
        log.cells(raw.file, "hours", raw.rows[both], cells[both],
                  "is given with hours_factor in the same row; expected one of them (hours: the "
                  "pair's hours at the standard level, hours_factor: a multiple of kam_hours)")
    customers = frames.get("customers")
    if customers is None or "kam_hours" not in customers:
        return
    kam = pd.Series(pd.to_numeric(customers["kam_hours"], errors="coerce").to_numpy(float),
                    index=id_keys(customers.index.to_numpy(dtype=object)))
    kam = kam[~kam.index.duplicated()]
    own = kam.reindex(id_keys(pairs["customer_id"].to_numpy(dtype=object))).to_numpy(float)
    zero = np.flatnonzero(~np.isnan(hours) & (hours > 0) & (own == 0) & np.isnan(factor))
    if len(zero):
        log.cells(raw.file, "hours", raw.rows[zero], cells[zero],
                  "is given for an account whose kam_hours is 0; expected 0 or "
                  "empty (a pair's hours scale the account's kam_hours: give the account "
                  "kam_hours > 0)")


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
    check_workload_bands(frames, raws, log)
    check_potential_range(frames, raws, log)
    check_pair_hours(frames, raws, log)
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

    The ids in ``scenario.unavailable_managers``, ``must``, ``exclude``,
    ``leads``, ``excluded_leads``, ``coverage`` and ``committed_activities``
    must exist in the case, written as the case writes them (one written
    another way, ``k0005`` for ``K0005``, is named with the case's spelling),
    where a manager may also be a hire of the scenario; a hire's id may not be
    a manager's of the case written another way; a level ``coverage`` fixes
    must be one the account has. Those problems name the scenario as the file
    and the key as the column.

    The levels of ``responses.csv`` need not be the scenario's: an account's
    rows there *replace* the scenario's levels for that account (spec,
    responses.csv), whatever their names; :func:`kamopt.model.prepare.response_notes`
    says so where a plan is shown.

    Raises
    ------
    CaseError
        With every problem found.
    """
    log = ProblemLog()
    spellings: dict[str, IdSpellings] = {}

    def respelled(table: str, value: object) -> str:
        """The note for an id of ``table`` written another way, or ``""``."""
        if table not in spellings:
            frame = case.tables[table]
            file, rows = provenance(frame, table, case.source)
            spellings[table] = IdSpellings(frame.index, rows, file, TABLES_BY_NAME[table].id)
        return spellings[table].note(value)

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
                        + (respelled(table, value) or did_you_mean(str(value), candidates)),
                        column=key,
                        value=value,
                    )
                )
    cfile, _ = provenance(case.customers, "customers", case.source)
    mfile, _ = provenance(case.managers, "managers", case.source)
    cids, mids = case.customers.index, case.managers.index
    hires = [mid for mid, _ in hire_ids(scenario)]
    for mid in dict.fromkeys(hires):
        if mid not in mids and respelled("managers", mid):
            log.add(Problem(scenario.name, "a hire's id is a manager's of the case written "
                            "another way" + respelled("managers", mid)
                            + "; set the hire's 'prefix'", column="hires", value=mid))
    near = cids.tolist() if len(cids) <= 2000 else []
    resp = case.responses  # an account's own levels (responses.csv), else the scenario's
    own = resp.groupby("customer_id")["level"].agg(list).to_dict() if len(resp) else {}
    rfile, _ = provenance(resp, "responses", case.source)
    afile, _ = provenance(case.activities, "activities", case.source)
    acts = case.activities.index
    for key in ("leads", "excluded_leads", "coverage", "committed_activities"):
        for cid, v in getattr(scenario, key, ()) or ():
            if cid not in cids:
                log.add(Problem(scenario.name, f"unknown customer; must be a customer_id in {cfile}"
                                + (respelled("customers", cid) or did_you_mean(str(cid), near)),
                                column=f"{key}.{cid}", value=cid))
            if key == "leads" and v in scenario.unavailable_managers:
                log.add(Problem(scenario.name, f"is unavailable in this scenario "
                                f"(unavailable_managers), so it cannot lead {cid}",
                                column=f"leads.{cid}", value=v))
            elif key in ("leads", "excluded_leads") and v not in mids and v not in hires:
                log.add(Problem(scenario.name, f"unknown manager; must be a manager_id in {mfile} "
                                "or a hire of the scenario"
                                + (respelled("managers", v)
                                   or did_you_mean(str(v), mids.tolist() + hires)),
                                column=f"{key}.{cid}", value=v))
            elif key == "coverage" and cid in cids:
                levels = own.get(cid, list(scenario.level_names))
                if v not in levels:
                    where = (f"the levels {rfile} gives {cid}, which replace the levels "
                             f"of scenario '{scenario.name}' for it" if cid in own
                             else f"the levels of scenario '{scenario.name}'")
                    log.add(Problem(scenario.name, f"unknown coverage level; must be one of "
                                    f"{_listing(levels)} ({where})" + did_you_mean(str(v), levels),
                                    column=f"coverage.{cid}", value=v))
            elif key == "committed_activities" and v not in acts:
                log.add(Problem(scenario.name, f"unknown activity; must be an activity_id in "
                                f"{afile}" + (respelled("activities", v)
                                              or did_you_mean(str(v), acts.tolist())),
                                column=f"committed_activities.{cid}", value=v))
    log.raise_if_any(
        title=f"The case {case.source or '(in memory)'} does not fit scenario '{scenario.name}'"
    )
