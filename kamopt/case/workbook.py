"""Reading .xlsx workbooks: a sheet's cells as the text the validator reads.

Shared by the case (:func:`kamopt.case.io.load_case`) and the mid-term input
files; a file that is no workbook, a damaged one and a formula without a
calculated value are reported as problems (exit status 2).
"""

from __future__ import annotations

import functools
import re
import zipfile
from pathlib import Path

import numpy as np

from kamopt.case.raw import ProblemLog, RawTable, raw_from_grid, text_array
from kamopt.errors import Problem

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def cell_text(v: object) -> str:
    """A workbook cell's value as the text the validator reads (numbers with a decimal point)."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v)


def open_workbook(path: Path, log: ProblemLog):
    """``path`` opened read-only by openpyxl, or None with the problem logged (exit status 2)."""
    import openpyxl

    try:
        if path.stat().st_size == 0:
            log.add(Problem(path.name, "is empty; expected an Excel workbook (.xlsx)"))
            return None
        if not zipfile.is_zipfile(path):  # an .xlsx file is a zip archive
            with open(path, "rb") as f:
                head = f.read(8)
            if head.startswith(b"PK"):
                log.add(Problem(path.name, "is a damaged workbook (its zip archive is cut short: "
                                "copied or downloaded only in part?); copy it again or save it "
                                "again from Excel"))
                return None
            what = ("an old Excel file (.xls)" if head.startswith(b"\xd0\xcf\x11\xe0")
                    else "text (a CSV file renamed?)" if _is_text(head) else "a file of another kind")
            log.add(Problem(path.name, f"is {what}, not an .xlsx workbook: save it from Excel "
                            "as 'Excel Workbook (*.xlsx)', or give the case as a folder of CSV "
                            "files"))
            return None
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a workbook that does not open is bad input
        log.add(Problem(path.name, "cannot be read as an Excel workbook "
                        f"({type(exc).__name__}: {exc}); open it in Excel and save it again"))
        return None


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return head[:2] in (b"\xff\xfe", b"\xfe\xff")  # UTF-16, as Excel saves "Unicode text"
    return True


_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook ``path`` holds a formula (read from the zip once
    for all its sheets, not once a sheet)."""
    try:
        st = path.stat()
    except OSError:
        return False
    return _zip_has_formulas(str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _zip_has_formulas(path: str, mtime_ns: int, size: int) -> bool:  # the file's version
    try:
        with zipfile.ZipFile(path) as z:
            return any(_FORMULA.search(z.read(n)) for n in z.namelist()
                       if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    except (zipfile.BadZipFile, OSError, KeyError):
        return False


def _rows(ws) -> list[list]:
    """The rows of a read-only sheet, every row and column there is (the used range a workbook
    records can be too small: programs other than Excel write it wrongly), without the
    empty cells after a row's last value and the empty rows after the last row."""
    ws.reset_dimensions()
    rows: list[list] = []
    blank = 0
    for r in ws.iter_rows(values_only=True):
        n = len(r)
        while n and (r[n - 1] is None or r[n - 1] == ""):
            n -= 1
        if n == 0:  # counted, not built: a formatted cell in row 1,048,576 costs nothing
            blank += 1
            continue
        rows.extend([] for _ in range(blank))
        blank = 0
        rows.append(list(r[:n]))
    return rows


def sheet_records(path: Path, ws, label: str, log: ProblemLog) -> list[list[str]] | None:
    """The cells of the read-only sheet ``ws`` of workbook ``path`` as text, row by row.

    None, with the problem logged, when the sheet cannot be read (a damaged
    file) or a cell holds a formula without a calculated value: a program
    wrote the workbook and nobody opened it in Excel since, so the value is
    not in the file, and reading the cell as empty would plan without it.
    """
    try:
        rows = _rows(ws)
    except Exception as exc:  # noqa: BLE001 - the sheet's XML is parsed only here
        log.add(Problem(label, f"cannot be read as an Excel sheet ({type(exc).__name__}: {exc}); "
                        "open the workbook in Excel and save it again"))
        return None
    records = [[cell_text(v) for v in r] for r in rows]
    if _has_formulas(path):
        missing = _formulas_without_values(path, ws.title, rows)
        header = next((r for r in records if any(c.strip() for c in r)), [])
        for row, col, formula in missing[:5]:
            name = header[col].strip() if col < len(header) and header[col].strip() else None
            log.add(Problem(label, f"holds the formula {formula!r} without a calculated value "
                            "(the workbook was written by a program and not opened in Excel "
                            "since): open it in Excel and save it, or enter the value",
                            row=row, column=name or _column_letter(col)))
        if len(missing) > 5:
            log.add(Problem(label, f"and {len(missing) - 5:,} more cells hold formulas without "
                            "a calculated value"))
        if missing:
            return None
    return records


def _column_letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col + 1)


def _formulas_without_values(path: Path, title: str, rows: list[list]) -> list[tuple]:
    """(row as Excel counts it, 0-based column, formula) of each formula cell of sheet
    ``title`` whose value (in ``rows``, read with the calculated values) is missing."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        out = []
        for k, r in enumerate(_rows(wb[title])):
            have = rows[k] if k < len(rows) else []
            for c, v in enumerate(r):
                if isinstance(v, str) and v.startswith("=") and (c >= len(have) or have[c] is None):
                    out.append((k + 1, c, v))
        return out
    except Exception:  # noqa: BLE001 - the values were read; this check is extra
        return []
    finally:
        wb.close()


def records_table(records: list[list[str]], label: str) -> RawTable | None:
    """A sheet's text rows (:func:`sheet_records`) as a table (None for an empty sheet)."""
    width = max((len(r) for r in records), default=0)
    grid = [text_array(r[k] if k < len(r) else "" for r in records) for k in range(width)]
    return raw_from_grid(grid, np.arange(1, len(records) + 1, dtype=np.int64), label, "")
