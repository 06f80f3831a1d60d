"""Writing outputs safely: staged (atomic) files and folders, and checks made before any work.

A file or folder is written beside its target and moved into place only when
complete, so a failure never leaves half an output behind; an output place
that cannot be used (a file where a folder is needed, a case folder, no
permission) is refused with exit status 2 before anything is computed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kamopt.case.schema import TABLES_BY_NAME
from kamopt.errors import InputError, Problem


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
