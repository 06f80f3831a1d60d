"""Writing outputs safely: staged (atomic) files and folders, and checks made before any work.

A file or folder is written beside its target and moved into place only when
complete, so a failure never leaves half an output behind; an output place
that cannot be used (a file where a folder is needed, a case folder, no
permission) is refused with exit status 2 before anything is computed.

Two runs writing one folder never leave a mix: each writes its own staging
folder and moves the complete set in under an advisory lock
(:func:`folder_lock`, ``fcntl.flock`` where the platform has it), which
readers of a plan's folder (:mod:`kamopt.analysis.store`) take shared. A
staging folder is named with its process (``.OUT.tmp.<pid>@<host>.<random>``):
one left by a killed run is removed by the next run that writes beside it.
CSV cells are written so that a spreadsheet never runs them
(:func:`write_csv`).
"""

from __future__ import annotations

import functools
import os
import platform
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from kamopt.case.schema import TABLES_BY_NAME
from kamopt.errors import InputError, Problem

try:  # advisory locks where the platform has them (not on Windows: there, no lock)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None


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



# ------------------------------------------------------------------ CSV cells
#: what a spreadsheet takes as the start of a formula in a CSV cell (OWASP, CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _live(text: str) -> bool:
    """Text a spreadsheet would run: it starts (after the quotes this module adds) with a
    formula character, and is not a plain number such as ``-12.5``."""
    core = text.lstrip("'")
    return core.startswith(FORMULA_START) and not _NUMBER.fullmatch(core)


def csv_text(value):
    """A cell as kamopt writes it into a CSV: text that a spreadsheet would take for a
    formula gets a leading ``'`` (as OWASP's CSV-injection guidance says); numbers, and
    text that is a number, stay as they are. :func:`plain_text` undoes it exactly.

    >>> [csv_text(v) for v in ("=1+1", "@SUM(A1)", "\\tx", "-K7", "-12.5", "K7", -3.0, "'=x")]
    ["'=1+1", "'@SUM(A1)", "'\\tx", "'-K7", '-12.5', 'K7', -3.0, "''=x"]
    >>> all(plain_text(csv_text(v)) == v for v in ("=1", "'=1", "''+2", "'s-Gravenhage", "-1"))
    True
    """
    return "'" + value if isinstance(value, str) and _live(value) else value


def plain_text(value):
    """A cell of a CSV kamopt wrote, as it was before :func:`csv_text`."""
    if isinstance(value, str) and value.startswith("'") and _live(value):
        return value[1:]
    return value


def _is_text(column: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column))


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, float_format: str | None = None) -> None:
    """Write ``frame`` (without its index) as a UTF-8 CSV whose text cannot run in a
    spreadsheet: every text cell and column name passes :func:`csv_text`; numeric
    columns are written as numbers; a cell with a carriage return is quoted (the
    lines then end in CRLF), so that it cannot start a row of its own. Every CSV of a plan is written by this function,
    and :func:`read_csv_text` reads one back as it was.
    """
    out = frame.copy()
    cr = False  # a carriage return in a cell: quoted only if it ends lines (it would split a row)
    for col in out.columns:
        if _is_text(out[col]):
            out[col] = out[col].astype(object).map(csv_text)
            cr = cr or any(isinstance(v, str) and "\r" in v for v in out[col])
    out.columns = [csv_text(str(c)) for c in out.columns]
    out.to_csv(path, index=False, float_format=float_format, encoding="utf-8",
               lineterminator="\r\n" if cr else "\n")


def read_csv_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` read from a CSV of :func:`write_csv`, with its text as it was written
    (:func:`plain_text` on every text cell and column name)."""
    frame = frame.rename(columns=lambda c: plain_text(c) if isinstance(c, str) else c)
    for col in frame.columns:
        if _is_text(frame[col]):
            frame[col] = frame[col].map(plain_text)
    return frame


# ------------------------------------------------------------- staging places
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: this machine, in the names of staging folders (a folder shared by several machines has
#: their staging folders side by side: only this machine's processes are looked up)
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", platform.node())[:40] or "host"


def _staging_prefix(name: str) -> str:
    return f".{name}.tmp.{os.getpid()}@{_HOST}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def sweep_stale(folder: Path, name: str, suffix: str = "") -> list[Path]:
    """Remove the staging folders and files of ``name`` in ``folder`` that a process of
    this machine left when it was killed (its pid is no longer alive); return them.

    Only names this module gives (``.NAME.tmp.<pid>@<host>.<random>SUFFIX``) are
    touched, only of this host, and only on POSIX (where a pid can be asked about
    without harm).
    """
    if os.name != "posix" or not folder.is_dir():
        return []
    pattern = re.compile(rf"\.{re.escape(name)}\.tmp\.(\d+)@{re.escape(_HOST)}\.[a-z0-9_]+"
                         rf"{re.escape(suffix)}")
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for p in entries:
        m = pattern.fullmatch(p.name)
        if m is None or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
            continue
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
        except OSError:
            continue
        removed.append(p)
    return removed


def staging_dir(target: Path) -> Path:
    """A temporary folder beside ``target``, to be moved into place when complete.

    Named with this process (``.NAME.tmp.<pid>@<host>.<random>``), so that one a
    killed run left is removed by the next (:func:`sweep_stale`, called here). Its
    permissions follow the umask like any folder the user creates (``mkdtemp``
    alone would leave it readable by its owner only).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(target.parent, target.name)
    tmp = Path(tempfile.mkdtemp(prefix=_staging_prefix(target.name), dir=target.parent))
    tmp.chmod(0o777 & ~_umask())
    return tmp


# ------------------------------------------------------------------ locking
#: how long a writer or a reader waits for another run's lock on a folder, in seconds
LOCK_WAIT = 60.0


def lock_path(folder: str | os.PathLike) -> Path:
    """The lock file of ``folder``: ``.NAME.lock`` beside it (inside it where its parent
    cannot be written). It exists only while a run holds or waits for the lock."""
    folder = Path(os.path.realpath(folder))
    if folder.name and os.access(folder.parent, os.W_OK | os.X_OK):
        return folder.parent / f".{folder.name}.lock"
    return folder / ".kamopt.lock"


def _acquire(lock: Path, shared: bool, wait: float, folder: Path) -> int | None:
    """An open descriptor of ``lock`` holding the lock (None where the lock file cannot
    be made and only reading is asked for)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            if not shared:
                raise
            try:  # a folder this user may only read: another user's lock file, if any
                fd = os.open(lock, os.O_RDONLY)
            except OSError:  # none: no run of this user can write the folder either
                return None
        try:
            while True:
                try:
                    fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise InputError(Problem(
                            str(folder), f"is being {'written' if shared else 'written or read'} "
                            f"by another kamopt run (waited {wait:.0f} s for it): try again when "
                            "it has finished"), title=f"The folder cannot be "
                            f"{'read' if shared else 'written'} now") from None
                    time.sleep(0.01)
            try:  # the last holder removes the file: lock the one at the path now
                if os.path.samestat(os.fstat(fd), os.stat(lock)):
                    return fd
            except FileNotFoundError:
                pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _release(fd: int, lock: Path) -> None:
    """Let go of the lock; remove its file when no other run holds or waits for it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.path.samestat(os.fstat(fd), os.stat(lock)):
            lock.unlink()
    except OSError:  # held by another run (it removes the file), or gone already
        pass
    finally:
        os.close(fd)


@contextmanager
def folder_lock(folder: str | os.PathLike, shared: bool = False,
                wait: float | None = None) -> Iterator[None]:
    """Hold the advisory lock of ``folder``: exclusive to replace its files, shared to
    read them; a run that finds it taken waits up to ``wait`` seconds (:data:`LOCK_WAIT`),
    then fails with a message naming the folder (exit status 2).

    ``fcntl.flock`` on :func:`lock_path`; it excludes other processes and other
    threads alike, and the kernel lets go of it when a process dies. Without
    ``fcntl`` (Windows) it does nothing.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "plan"
    >>> with folder_lock(out):
    ...     lock_path(out).name
    '.plan.lock'
    >>> lock_path(out).exists()  # removed by its last holder
    False
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    folder = Path(folder)
    if shared and not folder.is_dir():  # nothing to read
        yield
        return
    lock = lock_path(folder)
    fd = _acquire(lock, shared, LOCK_WAIT if wait is None else wait, folder)
    try:
        yield
    finally:
        if fd is not None:
            _release(fd, lock)


def read_under_lock(folder_of: Callable[..., Path]):
    """A decorator: the reader ``read(*args)`` runs under the shared :func:`folder_lock` of
    the folder ``folder_of(*args)``, so that it never reads a set of files half moved in
    (a folder that does not exist: no lock; the reader says what is missing)."""
    def decorate(read):
        @functools.wraps(read)
        def locked(*args, **kwargs):
            with folder_lock(folder_of(*args, **kwargs), shared=True):
                return read(*args, **kwargs)
        return locked
    return decorate


@contextmanager
def signal_handlers(signums, handler) -> Iterator[dict]:
    """``handler`` for each of ``signums`` while the block runs, the handlers before put
    back after; yields them ({signal: old handler}). Only the main thread gets signals in
    Python: in another thread nothing changes and the block just runs."""
    old: dict = {}
    if threading.current_thread() is threading.main_thread():
        for signum in signums:
            try:
                old[signum] = signal.signal(signum, handler)
            except (ValueError, OSError):  # pragma: no cover
                pass
    try:
        yield old
    finally:
        for signum, before in old.items():
            signal.signal(signum, before if before is not None else signal.SIG_DFL)


@contextmanager
def _uninterrupted() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs (the renames that put a set of
    outputs in place), then act on them as their handlers would: Ctrl-C never stops a
    set of outputs half moved."""
    pending: list[tuple[int, object]] = []
    with signal_handlers((signal.SIGINT, signal.SIGTERM),
                         lambda n, frame: pending.append((n, frame))) as old:
        yield
    for signum, frame in pending[:1]:
        handler = old.get(signum)
        if callable(handler):
            handler(signum, frame)
        elif handler in (signal.SIG_DFL, None):
            os.kill(os.getpid(), signum)


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
    other files of ``out`` stay. It all happens under ``out``'s exclusive
    :func:`folder_lock`, with Ctrl-C and SIGTERM held back until the set is in
    place: two runs writing ``out`` at once leave one run's set, never a mix.
    """
    with folder_lock(out):
        written = {f.name for f in src.iterdir()}
        blocked = [out / n for n in sorted(written) if (out / n).is_dir()]
        if blocked:
            raise InputError([Problem(str(b), f"is a folder where {what}: rename or remove it")
                              for b in blocked], title=title)
        stale = [out / n for n in sorted(replaces - written) if (out / n).is_file()]
        with _uninterrupted():
            if not out.exists():
                os.replace(src, out)
                return
            for f in src.iterdir():
                os.replace(f, out / f.name)
            for f in stale:
                f.unlink(missing_ok=True)


@contextmanager
def staged_file(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path``, moved onto it only if the block succeeds.

    The temporary name keeps ``path``'s suffix (writers such as openpyxl look
    at it) and names this process, like :func:`staging_dir`'s; the file gets the
    permissions the umask gives a new file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(path.parent, path.stem, path.suffix)
    fd, name = tempfile.mkstemp(prefix=_staging_prefix(path.stem), suffix=path.suffix,
                                dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
