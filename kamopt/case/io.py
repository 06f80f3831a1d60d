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
import functools
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from kamopt.case.schema import OTHER_TABLES, TABLES, TABLES_BY_NAME
from kamopt.case.tables import Case
from kamopt.case.validate import (
    ProblemLog,
    RawTable,
    build_case,
    closest,
    format_number_de,
    raw_from_grid,
    text_array,
)
from kamopt.errors import CaseError, InputError, Problem

DIALECTS = ("plain", "excel-de")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
#: What :func:`read_csv_table` returns for a file with nothing in it.
_EMPTY = RawTable("", [], [], np.array([], dtype=np.int64))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: every table a case may hold (files of a folder, sheets of a workbook), and the optional ones
ALL_TABLES = frozenset([t.name for t in TABLES] + list(OTHER_TABLES))
OPTIONAL_TABLES = tuple([t.name for t in TABLES if not t.required] + list(OTHER_TABLES))


# ------------------------------------------------------------------- writing
def _to_frame(case: Case, name: str) -> pd.DataFrame:
    """A case table as a flat frame with the id as first column."""
    df = case.tables[name]
    table = TABLES_BY_NAME[name]
    out = df.reset_index() if table.id else df.copy()
    if "industries" in out.columns:
        out["industries"] = out["industries"].map(lambda v: ";".join(v))
    return out


def _csv_text_de(name: str, df: pd.DataFrame) -> str:
    """One table as German Excel writes it: ``;``, decimal comma, thousands dots."""
    kinds = {c.name: c.kind for c in TABLES_BY_NAME[name].columns}
    columns = []
    for col in df.columns:
        values = df[col].tolist()
        if kinds.get(col) in ("number", "integer"):
            columns.append([format_number_de(v) for v in values])
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


def text_not_formulas(ws) -> None:
    """Keep text that starts with ``=`` as text in an openpyxl sheet, never a live formula.

    openpyxl stores any string beginning with ``=`` as a formula, so a
    customer named ``=HYPERLINK(...)`` would run when the workbook is opened
    (formula injection). The cell keeps its exact text.
    """
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def save_case(case: Case, path: str | os.PathLike, dialect: str = "plain") -> Path:
    """Write a case as a folder of CSVs, or as one workbook when ``path`` ends in ``.xlsx``.

    Parameters
    ----------
    case
        The case to write.
    path
        The folder to write (replaced as a whole), or an ``.xlsx`` file with
        one sheet per table.
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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def staging_dir(target: Path) -> Path:
    """A temporary folder beside ``target``, to be moved into place when complete.

    Its permissions follow the umask like any folder the user creates
    (``mkdtemp`` alone would leave it readable by its owner only).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp.", dir=target.parent))
    tmp.chmod(0o777 & ~_umask())
    return tmp


#: every file ``kamopt plan`` and ``kamopt midterm`` write into an output folder
OUTPUT_FILES = frozenset({
    "plan.csv", "summary.json", "managers.csv", "departments.csv", "plan.xlsx",  # one year
    "plan_by_year.csv", "intake.csv", "hires.csv", "changes.csv", "targets.csv",  # mid-term
    "midterm.xlsx",
})


def check_writable(path: str | os.PathLike, title: str = "The output cannot be written") -> None:
    """Refuse (exit status 2) a folder ``path`` that cannot be created or written into.

    Checked before any work: ``path``, or the nearest folder above it that
    exists, must be a folder this user may write into; a file where a folder
    is needed is named.

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "afile"
    >>> _ = f.write_text("x")
    >>> check_writable(f / "out")
    Traceback (most recent call last):
    ...
    kamopt.errors.InputError: The output cannot be written (1 problem):
      - ...afile: is a file, so no folder can be made in it for ...out
    """
    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(Problem(str(existing), "is a file, so no folder can be made in it"
                                 + (f" for {path}" if existing != path else "")), title=title)
    reason = None
    if not os.access(existing, os.W_OK | os.X_OK):
        reason = "permission denied"
    else:  # os.access says yes to root even where nothing can be written (/sys): try it
        try:
            fd, probe = tempfile.mkstemp(prefix=".kamopt-probe.", dir=existing)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
    if reason is not None:
        raise InputError(Problem(str(existing), f"is not writable for this user ({reason}): "
                                 "choose another output place or change its permissions"),
                         title=title)


def check_output_file(path: str | os.PathLike, option: str, suffixes: tuple[str, ...],
                      title: str = "The output cannot be written") -> Path:
    """Refuse (exit status 2), before any work, an output file that cannot be written.

    ``option`` names it as the user gave it (``--excel``); ``suffixes`` are
    the endings it may have (``(".xlsx",)``). An empty name, a folder, a wrong
    ending and a place that cannot be written are named.

    >>> check_output_file("", "--excel", (".xlsx",))
    Traceback (most recent call last):
    ...
    kamopt.errors.InputError: The output cannot be written (1 problem):
      - --excel: got ''; expected the name of a file ending in .xlsx
    >>> check_output_file("out.csv", "--chart", (".png",))
    Traceback (most recent call last):
    ...
    kamopt.errors.InputError: The output cannot be written (1 problem):
      - --chart out.csv: expected the name of a file ending in .png
    """
    endings = " or ".join(suffixes)
    text = str(path)
    if not text.strip():
        raise InputError(Problem(option, f"expected the name of a file ending in {endings}",
                                 value=text), title=title)
    out = Path(path)
    if out.is_dir():  # before the ending: a folder named 'results' is a folder, first of all
        raise InputError(Problem(f"{option} {out}", f"is a folder; expected the name of a file "
                                 f"ending in {endings}"), title=title)
    if not text.lower().endswith(suffixes):  # the path in full: its end is what is wrong
        raise InputError(Problem(f"{option} {text}", f"expected the name of a file ending in "
                                 f"{endings}"), title=title)
    above = out.parent
    while not above.exists() and above != above.parent:
        above = above.parent
    if not above.is_dir():
        raise InputError(Problem(f"{option} {out}", f"cannot be written: {above} is a file, not "
                                 "a folder"), title=title)
    check_writable(out.parent, title=title)
    return out


def check_output_folder(out: str | os.PathLike) -> None:
    """Refuse an output folder that is a file or holds a case (exit status 2).

    Plan outputs include ``managers.csv`` and ``departments.csv``; written into
    a case folder they would replace the user's input files. A case folder is
    one with ``customers.csv`` (every case has it; no output is named so), so
    a folder of earlier outputs can be written again.

    >>> import tempfile
    >>> case = Path(tempfile.mkdtemp())
    >>> _ = (case / "customers.csv").write_text("customer_id")
    >>> check_output_folder(case)
    Traceback (most recent call last):
    ...
    kamopt.errors.InputError: The output folder cannot be used (1 problem):
      - ...: holds a case (customers.csv); outputs are never written into a case folder, so that no input file is replaced: choose another output folder
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(Problem(str(out), "is a file; expected a folder for the outputs"),
                         title="The output folder cannot be used")
    check_writable(out, title="The output folder cannot be used")
    blocked = [out / n for n in sorted(OUTPUT_FILES) if (out / n).is_dir()]
    if blocked:
        raise InputError([Problem(str(b), "is a folder where kamopt writes a file: rename or "
                                  "remove it") for b in blocked],
                         title="The output folder cannot be used")
    if (out / TABLES_BY_NAME["customers"].file).is_file():
        raise InputError(Problem(str(out), "holds a case (customers.csv); outputs are never "
                                 "written into a case folder, so that no input file is "
                                 "replaced: choose another output folder"),
                         title="The output folder cannot be used")


@contextmanager
def staged_folder(out: str | os.PathLike, replaces: frozenset[str] = OUTPUT_FILES) -> Iterator[Path]:
    """Write files into a temporary folder; they are moved into ``out`` only if the block succeeds.

    A failure inside the block leaves ``out`` as it was: never a half-written output.
    An ``out`` that is a file or holds a case is refused first
    (:func:`check_output_folder`); so is a folder in the way of a file written,
    before anything moves. Files of ``out`` named in ``replaces`` (the set of
    outputs the writer makes) that this run does not write are removed, so
    that no stale output of an earlier run (a ``plan.xlsx`` from a run with
    ``--excel``, the files of a mid-term plan) sits beside the new ones;
    other files in ``out`` stay.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with staged_folder(root / "plan") as tmp:
    ...     _ = (tmp / "a.csv").write_text("x")
    >>> sorted(p.name for p in (root / "plan").iterdir())
    ['a.csv']
    """
    out = Path(out)
    check_output_folder(out)
    tmp = staging_dir(out)
    try:
        yield tmp
        move_into(tmp, out, replaces, what="kamopt writes a file",
                  title="The outputs cannot be written")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def move_into(src: Path, out: Path, replaces: frozenset[str], *, what: str, title: str) -> None:
    """Move every file of the complete folder ``src`` into ``out``: all of them, or none.

    A folder of ``out`` in the way of a file is refused (exit status 2,
    "is a folder where ``what``") before anything moves; a new ``out`` is
    ``src`` renamed, so it appears complete in one step; files of ``out``
    named in ``replaces`` that ``src`` lacks (an earlier run's) are removed;
    other files of ``out`` stay.
    """
    written = {f.name for f in src.iterdir()}
    blocked = [out / n for n in sorted(written) if (out / n).is_dir()]
    if blocked:
        raise InputError([Problem(str(b), f"is a folder where {what}: rename or remove it")
                          for b in blocked], title=title)
    stale = [out / n for n in sorted(replaces - written) if (out / n).is_file()]
    if not out.exists():
        os.replace(src, out)
        return
    for f in src.iterdir():
        os.replace(f, out / f.name)
    for f in stale:
        f.unlink()


@contextmanager
def staged_file(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path``, moved onto it only if the block succeeds.

    The temporary name keeps ``path``'s suffix (writers such as openpyxl look
    at it) and the file gets the permissions the umask gives a new file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.tmp.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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
    ``1.234,5`` (see :mod:`kamopt.case.validate` for the exact rule). Blank rows and
    blank trailing columns are ignored. A present optional table with a
    header but no rows is an empty table; an entirely empty optional file
    counts as not given. The files are only read, never changed.
    """
    source = os.fspath(path)
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
    if p.is_dir():
        raws, labels = _read_folder(p, log)
    elif p.suffix.lower() in WORKBOOK_SUFFIXES:
        raws, labels = _read_workbook(p, log)
    else:
        raise CaseError(Problem(p.name, _not_a_case(p)), title=title)
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
def _read_folder(folder: Path, log: ProblemLog) -> tuple[dict[str, RawTable], dict[str, str]]:
    try:
        files = sorted(f for f in folder.iterdir() if f.is_file())
    except OSError as exc:
        log.add(Problem(folder.name, f"cannot be listed ({exc.strerror})"))
        return {}, {}
    raws: dict[str, RawTable] = {}
    labels: dict[str, str] = {}
    for table in TABLES:
        matches = [f for f in files if f.name.lower() == table.file]
        exact = [f for f in matches if f.name == table.file]
        chosen = exact[0] if exact else (matches[0] if len(matches) == 1 else None)
        labels[table.name] = chosen.name if chosen else table.file
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
                log.add(
                    Problem(
                        table.file,
                        "file is missing; it is required" + _folder_hint(table.file, files),
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
            raws[table.name] = raw
    csvs = {f.stem.strip().lower(): f.name for f in files if f.suffix.lower() == ".csv"}
    _name_misspelt_tables(csvs, log, "file", lambda t: f"{t}.csv")
    return raws, labels


def _name_misspelt_tables(found: dict[str, str], log: ProblemLog, kind: str, spelt) -> None:
    """A file or sheet named close to an optional table the case lacks (``activites.csv``)
    is most likely that table misspelt: without a word, the case would be read without it.

    ``found`` maps each file's stem or sheet's title (lower case) to its label.
    """
    absent = [t for t in OPTIONAL_TABLES if t not in found]
    for name, label in found.items():
        if name in ALL_TABLES:
            continue
        meant = closest(name, absent)
        if meant:
            log.add(Problem(
                label,
                f"is not a {kind} kamopt reads; did you mean {kind} '{spelt(meant)}'? Without "
                f"it the case has no {meant.replace('_', ' ')}. Rename the {kind} (a {kind} "
                f"for kamopt to ignore needs a name less close to one it reads)"))


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
        data = path.read_bytes()
    except OSError as exc:
        log.add(Problem(label, f"cannot be read ({exc.strerror or exc})"))
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


def records_table(records: list[list[str]], label: str) -> RawTable | None:
    """A sheet's text rows (:func:`sheet_records`) as a table (None for an empty sheet)."""
    width = max((len(r) for r in records), default=0)
    grid = [text_array(r[k] if k < len(r) else "" for r in records) for k in range(width)]
    return raw_from_grid(grid, np.arange(1, len(records) + 1, dtype=np.int64), label, "")
