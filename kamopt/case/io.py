"""Reading and writing cases: a folder of CSVs or one .xlsx workbook.

``load_case`` reads what real users export (plain UTF-8 CSV and the CSV that
German Excel writes), matches column names without regard to case and
spaces, fills defaults, keeps extra columns and reports every problem at once.

This module knows files: encodings, separators, workbooks. Turning cells into
typed values and checking them against the case format happens in one place,
:mod:`kamopt.case.validate`.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from kamopt.case.columns import ColumnMap, mapped_problems, read_column_map
from kamopt.case.limits import (
    LIMITS_DOC,
    MAX_CSV_BYTES,
    MAX_TABLE_ROWS,
    MAX_TABLE_VALUES,
    size_text,
)
from kamopt.case.numbers import format_number_de
from kamopt.case.raw import ProblemLog, RawTable, raw_from_grid, text_array
from kamopt.case.raw import name_misspelt_tables as _name_misspelt_tables
from kamopt.case.schema import OTHER_TABLES, TABLES, TABLES_BY_NAME
from kamopt.case.staging import staged_file, staging_dir, text_not_formulas
from kamopt.case.tables import Case, flat_table
from kamopt.case.validate import build_case
from kamopt.case.workbook import WORKBOOK_SUFFIXES, open_workbook, records_table, sheet_records
from kamopt.errors import CaseError, Problem

DIALECTS = ("plain", "excel-de")
#: What :func:`read_csv_table` returns for a file with nothing in it.
_EMPTY = RawTable("", [], [], np.array([], dtype=np.int64))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: every table a case may hold (files of a folder, sheets of a workbook), and the optional ones
ALL_TABLES = frozenset([t.name for t in TABLES] + list(OTHER_TABLES))
OPTIONAL_TABLES = tuple([t.name for t in TABLES if not t.required] + list(OTHER_TABLES))


# ------------------------------------------------------------------- writing
def is_database_url(value: object) -> bool:
    """Whether a case is a database URL (:mod:`kamopt.case.sql`, imported when one is used)."""
    from kamopt.case.sql import is_database_url as is_url

    return is_url(value)


def _to_frame(case: Case, name: str) -> pd.DataFrame:
    """A case table as a flat frame with the id as first column (:func:`flat_table`)."""
    return flat_table(case, name)


def _csv_text_de(name: str, df: pd.DataFrame) -> str:
    """One table as German Excel writes it: ``;``, decimal comma, thousands dots."""
    kinds = {c.name: c.kind for c in TABLES_BY_NAME[name].columns}
    columns = []
    for col in df.columns:
        values = df[col].tolist()
        if kinds.get(col) in ("number", "integer"):
            columns.append(["" if v == "" else format_number_de(v) for v in values])
        else:
            columns.append(["" if v is None else str(v) for v in values])
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(c) for c in df.columns])
    writer.writerows(zip(*columns, strict=True))
    return buf.getvalue()


def _encode_cp1252(name: str, text: str) -> bytes:
    try:
        return text.encode("cp1252")
    except UnicodeEncodeError as exc:
        row = text.count("\n", 0, exc.start) + 1
        raise ValueError(
            f"{name}.csv, row {row}: {text[exc.start : exc.end]!r} cannot be written in the "
            "cp1252 encoding that German Excel uses; save with dialect='plain' (UTF-8) or "
            "as .xlsx instead."
        ) from None



def save_case(case: Case, path: str | os.PathLike, dialect: str = "plain") -> Path:
    """Write a case as a folder of CSVs, or as one workbook when ``path`` ends in ``.xlsx``.

    Parameters
    ----------
    case
        The case to write.
    path
        The folder to write (replaced as a whole), an ``.xlsx`` file with
        one sheet per table, or a database URL (``sqlite:///case.db``;
        :func:`kamopt.case.sql.save_sql_case`; returned as given).
    dialect
        For a folder: ``"plain"`` (UTF-8, ``,``, decimal point) or
        ``"excel-de"`` (what German Excel writes: cp1252, ``;``, decimal comma,
        thousands dots for numbers of 1,000 and more, CRLF line ends).
        Ignored for a workbook.

    Returns
    -------
    Path
        The path written.

    Notes
    -----
    The folder is written to a temporary sibling and moved into place, so a
    failure never leaves half a case behind. Empty optional tables are not
    written. A manager's ``industries`` are joined with ``;``.
    """
    if dialect not in DIALECTS:
        raise ValueError(
            "The 'dialect' parameter of save_case must be 'plain' or 'excel-de'. "
            f"Got {dialect!r} instead."
        )
    if is_database_url(path):  # into a database: kamopt.case.sql
        from kamopt.case.sql import save_sql_case

        save_sql_case(case, path)
        return path
    path = Path(path)
    frames = {
        name: _to_frame(case, name)
        for name, df in case.tables.items()
        if name in ("customers", "managers") or len(df)
    }
    if path.suffix.lower() == ".xlsx":
        with staged_file(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, df in frames.items():
                df.to_excel(xw, sheet_name=name, index=False)
                text_not_formulas(xw.sheets[name])
        return path
    encoded: dict[str, bytes] = {}
    if dialect == "excel-de":
        encoded = {
            name: _encode_cp1252(name, _csv_text_de(name, df)) for name, df in frames.items()
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir(path)
    try:
        for name, df in frames.items():
            if dialect == "excel-de":
                (tmp / f"{name}.csv").write_bytes(encoded[name])
            else:
                df.to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8")
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return path


# ------------------------------------------------------------------- reading
def as_case(value: Case | str | os.PathLike) -> Case:
    """A case from what a user passes: a :class:`Case`, or the path of one (:func:`load_case`)."""
    if isinstance(value, Case):
        return value
    if isinstance(value, (str, os.PathLike)):
        return load_case(value)
    raise TypeError(f"expected a Case or the path of a case folder or .xlsx workbook; "
                    f"got {type(value).__name__}")


def load_case(path: str | os.PathLike) -> Case:
    """Read a case: a folder of CSV files or one ``.xlsx`` workbook.

    Parameters
    ----------
    path
        A folder with ``customers.csv`` and ``managers.csv`` (and optionally
        ``activities.csv``, ``departments.csv``, ``responses.csv``), or a
        workbook with one sheet per table, named like the files without
        ``.csv``. File and sheet names are matched without regard to case.
        A database URL (``sqlite:///case.db``, ``postgresql://user@host/db``,
        ``?schema=NAME`` for a schema) reads the tables of those names
        (:mod:`kamopt.case.sql`).

    Returns
    -------
    Case
        The typed tables, indexed by their id columns in file order;
        ``source`` is ``path`` as given.

    Raises
    ------
    CaseError
        With every problem found, each naming the file, the row as Excel shows
        it, the column, the value and what was expected.

    Notes
    -----
    Each CSV file's dialect is detected on its own: the encoding is UTF-8
    (with or without BOM; UTF-16 with a BOM also works), else cp1252; the
    separator is whichever of ``;``, ``,`` and tab the header line has most of
    (a first line ``sep=;`` sets it). A ``,`` file writes numbers as
    ``1234.5`` (or ``1,234.5``); a ``;`` or tab file as German Excel does,
    ``1.234,5`` (see :func:`kamopt.case.numbers.number_style` for the exact
    rule). Blank rows and blank trailing columns are ignored. A present
    optional table with a header but no rows is an empty table; an entirely
    empty optional file counts as not given. The files are only read, never
    changed.
    """
    source = os.fspath(path)
    if is_database_url(source):  # sqlite:///case.db, postgresql://user@host/db
        from kamopt.case.sql import load_sql_case

        return load_sql_case(source)
    title = f"The case {source or repr(source)} has problems"
    p = Path(source)
    if not source.strip() or not p.exists():
        raise CaseError(
            Problem(
                source or "''",
                "does not exist; expected a case folder of CSV files or an .xlsx workbook",
            ),
            title=title,
        )
    log = ProblemLog()
    colmap = None
    if p.is_dir():
        colmap = read_column_map(p)  # columns.yml: an export's files and headers as kamopt's
        raws, labels = _read_folder(p, log, colmap)
    elif p.suffix.lower() in WORKBOOK_SUFFIXES:
        raws, labels = _read_workbook(p, log)
    else:
        raise CaseError(Problem(p.name, _not_a_case(p)), title=title)
    with mapped_problems(colmap):
        return build_case(raws, source, labels, log)


def _not_a_case(p: Path) -> str:
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return (
            "is one CSV file; a case is the folder that holds customers.csv and "
            f"managers.csv: pass '{p.parent}' instead"
        )
    if suffix == ".xls":
        return "is an old .xls workbook; save it as .xlsx (Excel Workbook) and pass that"
    return "is not a folder of CSV files or an .xlsx workbook"


# ------------------------------------------------------------------ a folder
def _read_folder(folder: Path, log: ProblemLog,
                 colmap: ColumnMap | None = None) -> tuple[dict[str, RawTable], dict[str, str]]:
    try:
        files = sorted(f for f in folder.iterdir() if f.is_file())
    except OSError as exc:
        log.add(Problem(folder.name, f"cannot be listed ({exc.strerror})"))
        return {}, {}
    raws: dict[str, RawTable] = {}
    labels: dict[str, str] = {}
    if colmap is not None:
        colmap.check_folder([f.name for f in files], log)
    for table in TABLES:
        wanted = (colmap and colmap.file_for(table.name)) or table.file
        matches = [f for f in files if f.name.lower() == wanted.lower()]
        exact = [f for f in matches if f.name == wanted]
        chosen = exact[0] if exact else (matches[0] if len(matches) == 1 else None)
        labels[table.name] = chosen.name if chosen else wanted
        if chosen is None and len(matches) > 1:
            log.add(
                Problem(
                    table.file,
                    "several files match (" + ", ".join(f.name for f in matches) + "); keep one",
                )
            )
            continue
        if chosen is None:
            if table.required:
                named = (f" ({colmap.label} reads table {table.name} from it)"
                         if wanted != table.file else "")
                log.add(
                    Problem(
                        wanted,
                        "file is missing; it is required" + named + _folder_hint(wanted, files),
                    )
                )
            continue
        raw = read_csv_table(chosen, chosen.name, log)
        if raw is _EMPTY:
            if table.required:
                log.add(
                    Problem(
                        chosen.name,
                        "file is empty; expected a header row naming the columns ("
                        + ", ".join(c.name for c in table.columns if c.required)
                        + ", ...) and one row per "
                        + table.name.rstrip("s"),
                        row=1,
                    )
                )
            continue
        if raw is not None:
            raws[table.name] = colmap.apply(table.name, raw, log) if colmap else raw
    mapped = colmap.files() if colmap else set()
    csvs = {f.stem.strip().lower(): f.name for f in files
            if f.suffix.lower() == ".csv" and f.name.lower() not in mapped}
    _name_misspelt_tables(csvs, log, "file", lambda t: f"{t}.csv")
    return raws, labels


def _folder_hint(wanted: str, files: list[Path]) -> str:
    csvs = [f.name for f in files if f.suffix.lower() == ".csv"]
    close = difflib.get_close_matches(wanted, csvs, n=1, cutoff=0.7)
    if close:
        return f"; did you mean '{close[0]}'? (rename it to {wanted})"
    books = [f.name for f in files if f.suffix.lower() in WORKBOOK_SUFFIXES]
    if books and not csvs:
        return f"; the folder holds {books[0]}: pass the workbook itself"
    if csvs:
        shown = ", ".join(csvs[:8]) + (", ..." if len(csvs) > 8 else "")
        return f" (the folder holds {shown})"
    return " (the folder holds no CSV files)"


def _decode(data: bytes) -> tuple[str | None, str]:
    """The text of a CSV file and the encoding used, or ``None`` and why not."""
    if data.startswith(b"PK\x03\x04"):
        return None, "is an Excel workbook with a .csv name, not CSV text; save it as CSV"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return None, "is an old Excel (.xls) file with a .csv name, not CSV text; save it as CSV"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                continue
    return None, (
        "cannot be read as text: it is neither UTF-8 nor Windows-1252 (cp1252); "
        "save it from Excel as 'CSV UTF-8' or 'CSV (Trennzeichen-getrennt)'"
    )


def _sniff(line: str) -> str:
    """The separator of a header line: the most frequent of ``;``, ``,`` and tab.

    >>> _sniff("customer_id;name;revenue"), _sniff("customer_id,name"), _sniff("x")
    (';', ',', ',')
    """
    counts = {sep: line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def read_csv_table(path: Path, label: str, log: ProblemLog) -> RawTable | None:
    """One CSV file as a :class:`RawTable`.

    Returns ``None`` (with problems logged) if unreadable, :data:`_EMPTY` if
    the file holds nothing but blank lines.
    """
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            # unread when too large; never more than the limit, whatever a device holds
            data = b"" if size > MAX_CSV_BYTES else f.read(MAX_CSV_BYTES + 1)
    except OSError as exc:
        log.add(Problem(label, f"cannot be read ({exc.strerror or exc})"))
        return None
    if size > MAX_CSV_BYTES or len(data) > MAX_CSV_BYTES:
        said = f"is {size_text(size)}, more than" if size > MAX_CSV_BYTES else "is larger than"
        log.add(Problem(label, f"{said} the {size_text(MAX_CSV_BYTES)} a CSV file may have "
                        f"(see {LIMITS_DOC})"))
        return None
    text, why = _decode(data)
    if text is None:
        log.add(Problem(label, why))
        return None
    text = text.rstrip("\x1a")  # an old end-of-file mark
    bad = _CONTROL.search(text)
    if bad:
        row = text.count("\n", 0, bad.start()) + 1
        log.add(
            Problem(label, "contains binary data, not CSV text; save the table as CSV", row=row)
        )
        return None
    first, _, rest = text.partition("\n")
    m = re.fullmatch(r'"?sep=(.)"?\s*', first, flags=re.IGNORECASE)
    if m:
        sep, text = m.group(1), rest
    else:
        sep = _sniff(first)
    too_big = _too_many_values(text, sep)
    if too_big:
        log.add(Problem(label, f"{too_big}, the most a table may have (see {LIMITS_DOC})"))
        return None
    try:
        grid = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        return _EMPTY
    except (pd.errors.ParserError, ValueError, csv.Error):
        grid = _read_ragged(text, sep, label, log)
        if grid is None:
            return None
    if isinstance(grid, pd.DataFrame):
        rows = np.arange(1, len(grid) + 1, dtype=np.int64)
        grid = [grid[c].to_numpy(dtype=object) for c in grid.columns]
    else:
        rows = np.arange(1, len(grid[0]) + 1 if grid else 1, dtype=np.int64)
    raw = raw_from_grid(grid, rows, label, sep)
    return _EMPTY if raw is None else raw


def _too_many_values(text: str, sep: str) -> str | None:
    """Why the CSV ``text`` holds more than ``MAX_TABLE_ROWS`` rows or ``MAX_TABLE_VALUES``
    values, or None; counted before the table is built (the table has as many columns as
    its first row, and the values of longer rows are read before they are reported).

    Line ends and separators are counted first, at C speed: they bound the rows and
    values from above. Only when a bound is over the limit are the rows counted
    exactly (a value in quotes may hold line ends and separators), one at a time.

    >>> _too_many_values("a,b\\n1,2\\n", ","), _too_many_values("", ",")
    (None, None)
    >>> _too_many_values('"a\\nb"' + "," * 3_000_000 + "\\n\\n\\n", ",")  # a header of 3,000,001
    'has more than 5,000,000 values (2 rows or more x 3,000,001 columns)'
    """
    lines = text.count("\n") + 1
    fields = text.count(sep) + lines
    width = _first_width(text, sep)
    if (lines <= MAX_TABLE_ROWS + 1 and fields <= MAX_TABLE_VALUES
            and lines * (fields if width is None else width) <= MAX_TABLE_VALUES):
        return None
    rows = values = 0
    width = None
    try:
        for record in csv.reader(_lines(text), delimiter=sep):
            rows += 1
            values += len(record)
            if width is None and any(v.strip() for v in record):
                width = len(record)
            if rows > MAX_TABLE_ROWS + 1:  # the header and the rows
                return f"has more than {MAX_TABLE_ROWS:,} rows"
            if values > MAX_TABLE_VALUES or rows * (width or 1) > MAX_TABLE_VALUES:
                return (f"has more than {MAX_TABLE_VALUES:,} values ({rows:,} rows or more x "
                        f"{width or 1:,} columns)")
    except csv.Error:  # a value that cannot be counted (too long to read): the bounds decide
        return (f"has more than {MAX_TABLE_ROWS:,} rows" if lines > MAX_TABLE_ROWS + 1
                else f"may have more than {MAX_TABLE_VALUES:,} values (counted from its "
                "separators and line ends, as a value in it cannot be read as CSV)")
    return None


def _lines(text: str):
    """The lines of ``text`` with their line ends, one at a time (no copy of the whole)."""
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        stop = end if stop < 0 else stop + 1
        yield text[start:stop]
        start = stop


def _first_width(text: str, sep: str) -> int | None:
    """The number of values in the first row that has any, or None when it cannot be read."""
    try:
        for record in csv.reader(_lines(text), delimiter=sep):
            if any(v.strip() for v in record):
                return len(record)
    except csv.Error:
        return None
    return 0


def _read_ragged(text: str, sep: str, label: str, log: ProblemLog) -> list[np.ndarray] | None:
    """Read a CSV whose rows have more values than its header, reporting those rows."""
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error as exc:
        log.add(Problem(label, f"cannot be read as CSV ({exc})"))
        return None
    width = next((len(r) for r in records if any(v.strip() for v in r)), 0)
    shown = {";": "';'", ",": "','", "\t": "a tab"}.get(sep, repr(sep))
    bad_rows, bad_values = [], []
    for i, r in enumerate(records):
        if len(r) > width:
            extra = r[width:]
            if any(v.strip() for v in extra):
                bad_rows.append(i + 1)
                bad_values.append(sep.join(extra))
            del r[width:]
        elif len(r) < width:
            r.extend([""] * (width - len(r)))
    if bad_rows:
        log.cells(
            label,
            None,
            bad_rows,
            bad_values,
            f"has more values than the header has columns ({width}); a value that contains "
            f"{shown} must be put in double quotes",
        )
    return [text_array(col) for col in zip(*records, strict=True)]


# --------------------------------------------------------------- a workbook


def _read_workbook(path: Path, log: ProblemLog) -> tuple[dict[str, RawTable], dict[str, str]]:
    book = path.name
    labels = {t.name: f"{book}[{t.name}]" for t in TABLES}
    wb = open_workbook(path, log)
    if wb is None:
        return {}, labels
    raws: dict[str, RawTable] = {}
    try:
        sheets = [ws for ws in wb.worksheets if hasattr(ws, "iter_rows")]
        _name_misspelt_tables({ws.title.strip().lower(): f"{book}[{ws.title}]" for ws in sheets},
                              log, "sheet", str)
        for table in TABLES:
            matches = [ws for ws in sheets if ws.title.strip().lower() == table.name]
            if len(matches) > 1:
                log.add(
                    Problem(
                        labels[table.name],
                        "several sheets match ("
                        + ", ".join(repr(ws.title) for ws in matches)
                        + "); keep one",
                    )
                )
                continue
            if not matches:
                if table.required:
                    titles = ", ".join(repr(ws.title) for ws in sheets)
                    by_name = {ws.title.strip().lower(): ws.title for ws in sheets}
                    close = difflib.get_close_matches(table.name, list(by_name), n=1, cutoff=0.7)
                    hint = (f"; did you mean '{by_name[close[0]]}'? (rename it to {table.name})"
                            if close else "")
                    log.add(
                        Problem(
                            labels[table.name],
                            f"sheet '{table.name}' is missing; it is required{hint} "
                            f"(the workbook has {titles or 'no sheets'})",
                        )
                    )
                continue
            ws = matches[0]
            label = labels[table.name] = f"{book}[{ws.title}]"
            records = sheet_records(path, ws, label, log)
            if records is None:
                continue
            raw = records_table(records, label)
            if raw is None:
                if table.required:
                    log.add(
                        Problem(
                            label,
                            "sheet is empty; expected a header row and one row per "
                            + table.name.rstrip("s"),
                            row=1,
                        )
                    )
                continue
            raws[table.name] = raw
    finally:
        wb.close()
    return raws, labels
