"""Reading .xlsx workbooks: a sheet's cells as the text the validator reads.

Shared by the case (:func:`kamopt.case.io.load_case`) and the mid-term input
files; a file that is no workbook, a damaged one and a formula without a
calculated value are reported as problems (exit status 2).
"""

from __future__ import annotations

import functools
import re
import struct
import zipfile
from pathlib import Path

import numpy as np

from kamopt.case.limits import (
    EXCEL_MAX_ROWS,
    LIMITS_DOC,
    MAX_COMPRESSION_RATIO,
    MAX_PART_UNPACKED,
    MAX_SHEET_CELLS,
    MAX_SHEET_UNPACKED,
    MAX_TABLE_ROWS,
    MAX_TABLE_VALUES,
    MAX_WORKBOOK_BYTES,
    MAX_WORKBOOK_PARTS,
    MAX_WORKBOOK_UNPACKED,
    RATIO_FROM,
    size_text,
)
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
    """``path`` opened read-only by openpyxl, or None with the problem logged (exit status 2).

    A workbook beyond the limits of :mod:`kamopt.case.limits` (its size, what
    its parts unpack to, how much smaller they are stored, how many there are)
    is refused from its zip directory, before anything is unpacked.
    """
    import openpyxl

    try:
        size = path.stat().st_size
        if size == 0:
            log.add(Problem(path.name, "is empty; expected an Excel workbook (.xlsx)"))
            return None
        if size > MAX_WORKBOOK_BYTES:
            log.add(Problem(path.name, f"is {size_text(size)}, more than the "
                            f"{size_text(MAX_WORKBOOK_BYTES)} a workbook may have (see "
                            f"{LIMITS_DOC})"))
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
        too_big = _unpacks_too_big(path)
        if too_big:
            log.add(Problem(path.name, f"{too_big}; a workbook that unpacks to far more than it "
                            f"holds is refused unread (see {LIMITS_DOC})"))
            return None
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a workbook that does not open is bad input
        log.add(Problem(path.name, "cannot be read as an Excel workbook "
                        f"({type(exc).__name__}: {exc}); open it in Excel and save it again"))
        return None


def _central_directory_size(path: Path) -> int | None:
    """The size the zip archive ``path`` gives its directory of parts (read from its last
    bytes, so that a directory of millions of parts is refused before Python lists them),
    or None when the archive does not say (``zipfile`` then judges it)."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        end = f.tell()
        f.seek(max(0, end - (22 + 65_535)))  # the end record and a comment of at most 64 KB
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    (size,) = struct.unpack("<I", tail[at + 12 : at + 16])
    return None if size == 0xFFFFFFFF else size


def _unpacks_too_big(path: Path) -> str | None:
    """Why the workbook ``path`` is beyond the limits on its parts, from its zip directory
    (nothing unpacked), or None.

    A sheet's XML and the shared strings are read as a stream and may unpack to
    ``MAX_SHEET_UNPACKED``; any other part (styles, the workbook's own XML) is
    read whole and may unpack to ``MAX_PART_UNPACKED``; every part larger than
    ``RATIO_FROM`` must be stored at most ``MAX_COMPRESSION_RATIO`` times
    smaller than it unpacks to (Excel's parts: 5 to 15 times).
    """
    directory = _central_directory_size(path)
    if directory is not None and directory > MAX_WORKBOOK_PARTS * 1_000:
        return (f"its zip directory lists more than the {MAX_WORKBOOK_PARTS:,} parts a "
                "workbook may have")
    with zipfile.ZipFile(path) as z:
        parts = z.infolist()
    if len(parts) > MAX_WORKBOOK_PARTS:
        return (f"holds {len(parts):,} parts, more than the {MAX_WORKBOOK_PARTS:,} a workbook "
                "may have")
    total = 0
    for part in parts:
        total += part.file_size
        streamed = part.filename.startswith("xl/worksheets/") or part.filename.endswith(
            "sharedStrings.xml")
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FROM and ratio > MAX_COMPRESSION_RATIO:
            return (f"its part {part.filename!r} unpacks to {size_text(part.file_size)} from "
                    f"{size_text(part.compress_size)}, {ratio:,.0f} times its size (a workbook's "
                    f"parts are at most {MAX_COMPRESSION_RATIO} times)")
        most = MAX_SHEET_UNPACKED if streamed else MAX_PART_UNPACKED
        if part.file_size > most:
            return (f"its part {part.filename!r} unpacks to {size_text(part.file_size)}, more "
                    f"than the {size_text(most)} kamopt reads")
    if total > MAX_WORKBOOK_UNPACKED:
        return (f"unpacks to {size_text(total)}, more than the {size_text(MAX_WORKBOOK_UNPACKED)} "
                "kamopt reads")
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
            return any(_part_has_formula(z, n) for n in z.namelist()
                       if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    except (zipfile.BadZipFile, OSError, KeyError):
        return False


def _part_has_formula(z: zipfile.ZipFile, name: str, chunk: int = 1 << 20) -> bool:
    """Whether the part ``name`` holds a formula tag, read a MB at a time (never whole)."""
    with z.open(name) as f:
        carry = b""
        while block := f.read(chunk):
            if _FORMULA.search(carry + block):
                return True
            carry = (carry + block)[-16:]  # a tag cut by the chunks
    return False


def _rows(ws) -> tuple[list[list], str | None]:
    """The rows of a read-only sheet, every row and column there is (the used range a workbook
    records can be too small: programs other than Excel write it wrongly), without the
    empty cells after a row's last value and the empty rows after the last row; and why
    reading stopped early (None when it did not): more than ``MAX_TABLE_ROWS`` rows, rows
    beyond Excel's last, more than ``MAX_SHEET_CELLS`` cells (empty ones included) or,
    padded to the widest row, more than ``MAX_TABLE_VALUES`` values (the limits of
    :mod:`kamopt.case.limits`)."""
    ws.reset_dimensions()
    rows: list[list] = []
    blank = width = cells = 0
    for k, r in enumerate(ws.iter_rows(values_only=True), start=1):
        if k > EXCEL_MAX_ROWS:
            return rows, (f"has rows beyond row {EXCEL_MAX_ROWS:,}, the last of an Excel sheet "
                          f"(see {LIMITS_DOC})")
        n = len(r)
        cells += n
        if cells > MAX_SHEET_CELLS:  # empty ones too (a formatted cell in column XFD: 16,384)
            return rows, (f"has more than {MAX_SHEET_CELLS:,} cells, empty ones included, the "
                          f"most a sheet may have (see {LIMITS_DOC})")
        while n and (r[n - 1] is None or r[n - 1] == ""):
            n -= 1
        if n == 0:  # counted, not built: a formatted cell in row 1,048,576 costs nothing
            blank += 1
            continue
        rows.extend([] for _ in range(blank))
        blank = 0
        rows.append(list(r[:n]))
        width = max(width, n)
        if len(rows) > MAX_TABLE_ROWS + 1:  # the header and the rows
            return rows, (f"has more than {MAX_TABLE_ROWS:,} rows, the most a table may have "
                          f"(see {LIMITS_DOC})")
        if len(rows) * width > MAX_TABLE_VALUES:
            return rows, (f"has more than {MAX_TABLE_VALUES:,} values ({len(rows):,} rows or "
                          f"more x {width:,} columns), the most a table may have (see "
                          f"{LIMITS_DOC})")
    return rows, None


def sheet_records(path: Path, ws, label: str, log: ProblemLog) -> list[list[str]] | None:
    """The cells of the read-only sheet ``ws`` of workbook ``path`` as text, row by row.

    None, with the problem logged, when the sheet cannot be read (a damaged
    file) or a cell holds a formula without a calculated value: a program
    wrote the workbook and nobody opened it in Excel since, so the value is
    not in the file, and reading the cell as empty would plan without it.
    """
    try:
        rows, too_big = _rows(ws)
    except Exception as exc:  # noqa: BLE001 - the sheet's XML is parsed only here
        log.add(Problem(label, f"cannot be read as an Excel sheet ({type(exc).__name__}: {exc}); "
                        "open the workbook in Excel and save it again"))
        return None
    if too_big:
        log.add(Problem(label, too_big))
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
        for k, r in enumerate(_rows(wb[title])[0]):
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
