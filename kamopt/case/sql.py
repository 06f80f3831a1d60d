"""Cases read from a SQL database: SQLite (built in) and PostgreSQL, through SQLAlchemy.

``load_case("sqlite:///case.db")`` or ``load_case("postgresql://user@host:5432/db")``
reads the tables (or views) named like the case files without ``.csv``
(``customers``, ``managers``, ``activities``, ``departments``, ``responses``,
``pair_costs``; names matched without regard to case) into the same
:class:`~kamopt.case.raw.RawTable` grids of text the CSV reader makes, so that
:func:`kamopt.case.validate.build_case` checks them exactly as it checks files.
``?schema=NAME`` at the end of the URL reads the tables of that schema
(PostgreSQL); the key is taken off the URL before it is opened.

What is read, and how (docs/data-sources.md has it for users):

* **Values as text.** A number is written as Python writes it (``1234.5``,
  ``1e+16``; a ``NUMERIC`` as its exact digits): always with a decimal point and
  never grouped, so the table's number style is that of a workbook (a decimal
  point, no thousands separators) and ``1234.5`` can never be read the German
  way. NULL is an empty cell. A text column is read as written, so a text
  ``'1.234,5'`` in a number column is refused (as in a workbook).
* **Row order.** A table has no order of its own; the database may return its
  rows in any order. Its rows are sorted here, in Python (no collation of the
  server decides), by the table's key (the id column; ``responses`` by
  ``customer_id``, then ``hours``, then ``level``: an account's levels from the
  lightest; ``pair_costs`` by ``customer_id, manager_id``) and then by every
  column in table order; numbers compare as numbers, text by code point. So the
  same rows always make the same case, and the same plan. "row 7" in a message
  is the 7th row in that order (1-based).
* **Untrusted input.** Table and column names are never written into SQL text:
  they go through SQLAlchemy's quoted identifiers. The rows of each table are
  counted (``SELECT count(*)``) and a table beyond ``MAX_TABLE_ROWS`` rows or
  ``MAX_TABLE_VALUES`` values is refused before it is read; its text is bounded
  by ``MAX_CSV_BYTES`` as it is read (:mod:`kamopt.case.limits`). kamopt never
  writes to the database: SQLite is opened read-only (a missing file is
  reported, never created), PostgreSQL reads in a ``READ ONLY`` transaction. A
  password never appears in a message nor in ``Case.source`` (shown as ``***``).
  A URL that cannot be opened, a server that cannot be reached, a missing table
  are :class:`~kamopt.errors.CaseError` (exit status 2).

:func:`save_sql_case` writes a case into a database (the sample as a database,
for tests and the docs): ``python -m kamopt.case.to_sql data/sample sqlite:///results/sample.db``.
"""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from collections.abc import Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import numpy as np

from kamopt.case.limits import (
    LIMITS_DOC,
    MAX_CSV_BYTES,
    MAX_TABLE_ROWS,
    MAX_TABLE_VALUES,
    size_text,
)
from kamopt.case.raw import (
    ProblemLog,
    RawTable,
    column_key,
    did_you_mean,
    name_misspelt_tables,
    text_array,
)
from kamopt.case.schema import TABLES
from kamopt.case.tables import Case
from kamopt.errors import CaseError, Problem

#: the key of a URL's query that names the schema to read (taken off before the URL is opened)
SCHEMA_KEY = "schema"
#: the databases kamopt reads, as SQLAlchemy names their dialects
BACKENDS = ("sqlite", "postgresql")
#: seconds to wait for a PostgreSQL server to answer before giving up
CONNECT_TIMEOUT = 10
#: rows fetched at a time (a server-side cursor on PostgreSQL)
_CHUNK = 5_000
#: the order of each table's rows: its key, then every column (see the module's docstring)
SORT_KEYS: dict[str, tuple[str, ...]] = {t.name: (t.id,) for t in TABLES if t.id} | {
    "responses": ("customer_id", "hours", "level"),
    "pair_costs": ("customer_id", "manager_id"),
}
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]+://")
_HOW = ("sqlite:///path/to/case.db or postgresql://user@host:5432/database "
        f"(with ?{SCHEMA_KEY}=NAME for a schema)")


def is_database_url(value: object) -> bool:
    """Whether a case argument is a database URL (``scheme://...``) rather than a path.

    >>> is_database_url("sqlite:///case.db"), is_database_url("postgresql://u@h/db")
    (True, True)
    >>> is_database_url("data/sample"), is_database_url(r"C:\\cases\\x.xlsx"), is_database_url(3)
    (False, False, False)
    """
    return isinstance(value, str) and _URL.match(value.strip()) is not None


# ------------------------------------------------------------------ the URL
class _Target:
    """A parsed database URL: what to open, the schema, and how to name it in messages."""

    def __init__(self, text: str):
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        self.given = text.strip()
        try:
            url = make_url(self.given)
        except (ArgumentError, ValueError) as exc:
            # the text may hold a password: show only the scheme
            scheme = self.given.split("://", 1)[0]
            raise _refuse(f"{scheme}://...", f"is not a database URL kamopt can read ({_plain(exc)}"
                          f"); expected {_HOW}") from None
        self.shown = url.render_as_string(hide_password=True)
        self.password = url.password or ""
        schema = url.query.get(SCHEMA_KEY)
        if isinstance(schema, tuple):
            raise _refuse(self.shown, f"names '{SCHEMA_KEY}' more than once; give one schema")
        self.schema: str | None = schema or None
        self.url = url.difference_update_query([SCHEMA_KEY])
        self.backend = self.url.get_backend_name()
        if self.backend not in BACKENDS:
            raise _refuse(self.shown, f"is not a database kamopt reads ('{self.backend}'); kamopt "
                          f"reads cases from SQLite and PostgreSQL: expected {_HOW}")
        self.path: Path | None = None
        if self.backend == "sqlite":
            database = self.url.database or ""
            if database in ("", ":memory:") or database.startswith("file:"):
                raise _refuse(self.shown, "names no database file; expected sqlite:///FILE "
                              "(a path relative to the current folder) or sqlite:////ABSOLUTE/PATH")
            self.path = Path(database)

    def label(self, table: str) -> str:
        """How a table is named in messages: ``table customers (sqlite:///case.db)``."""
        where = f"{self.schema}.{table}" if self.schema else table
        return f"table {where} ({self.shown})"

    def scrub(self, text: str) -> str:
        """``text`` without the password (a driver's message may repeat the URL)."""
        return text.replace(self.password, "***") if self.password else text


def _refuse(where: str, expected: str) -> CaseError:
    return CaseError(Problem(where, expected), title=f"The case {where} cannot be read")


def _plain(exc: BaseException) -> str:
    """A driver's message on one line, without SQLAlchemy's links and SQL echo."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    text = text.split("\n[SQL:", 1)[0].split("\n(Background on this error", 1)[0]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "; ".join(lines) or type(exc).__name__


# --------------------------------------------------------------- connecting
def _engine(target: _Target):
    """A SQLAlchemy engine that only reads: SQLite opened read-only, PostgreSQL via psycopg."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    if target.backend == "sqlite":
        path = target.path
        if not path.exists():
            raise _refuse(target.shown, f"the database file {str(path)!r} does not exist; expected "
                          f"an existing SQLite file ({_HOW})")
        if not path.is_file():
            raise _refuse(target.shown, f"{str(path)!r} is not a file; expected a SQLite database "
                          "file")
        uri = path.resolve().as_uri() + "?mode=ro"  # never creates or changes the file

        def connect():
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            return conn

        return create_engine("sqlite://", creator=connect, poolclass=NullPool)
    url = target.url
    if url.drivername == "postgresql":  # SQLAlchemy's default would be psycopg2
        url = url.set(drivername="postgresql+psycopg")
    args = {"connect_timeout": CONNECT_TIMEOUT} if "connect_timeout" not in url.query else {}
    try:
        return create_engine(url, poolclass=NullPool, connect_args=args)
    except Exception as exc:  # noqa: BLE001 - an unknown or missing driver
        raise _refuse(target.shown, f"cannot be opened: the driver '{url.drivername}' is not "
                      f"available ({target.scrub(_plain(exc))}); expected {_HOW}") from None


@contextmanager
def _reading(target: _Target):
    """A connection in a transaction that cannot write; every database error as a CaseError."""
    from sqlalchemy.exc import SQLAlchemyError

    engine = _engine(target)
    try:
        with engine.connect() as conn:
            if target.backend == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            else:
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            yield conn
            conn.rollback()
    except SQLAlchemyError as exc:
        why = target.scrub(_plain(exc))
        if target.backend == "sqlite":
            raise _refuse(target.shown, f"cannot be read as a SQLite database ({why})") from None
        raise _refuse(target.shown, f"cannot be read ({why}); check the host, port, user, "
                      "password and database name, and that the server is running") from None
    finally:
        engine.dispose()


# ------------------------------------------------------------------ reading
def load_sql_case(url: str) -> Case:
    """Read a case from a database URL (see the module's docstring).

    ``Case.source`` is the URL as given, its password shown as ``***``.

    Raises
    ------
    CaseError
        With every problem found: each names the table (and the database), the
        row in the order described above, the column, the value and what was
        expected.
    """
    target = _Target(url)
    log = ProblemLog()
    with _reading(target) as conn:
        raws, labels = _read_tables(conn, target, log)
    from kamopt.case.validate import build_case

    try:
        return build_case(raws, target.shown, labels, log)
    except CaseError as err:  # a table has no header row: say "the columns", not "row 0"
        from dataclasses import replace

        ours = set(labels.values())
        err.problems = [replace(p, row=None) if p.file in ours and p.row == 0 else p
                        for p in err.problems]
        err.args = (str(err),)
        raise


def _read_tables(conn, target: _Target, log: ProblemLog) -> tuple[dict[str, RawTable],
                                                                  dict[str, str]]:
    from sqlalchemy import inspect

    insp = inspect(conn)
    if target.schema is not None:
        schemas = insp.get_schema_names()
        if target.schema not in schemas:
            own = sorted(s for s in schemas
                         if s != "information_schema" and not s.startswith("pg_"))
            raise _refuse(target.shown, f"schema '{target.schema}' does not exist"
                          + did_you_mean(target.schema, own, cutoff=0.6)
                          + f" (the database has the schemas {', '.join(own) or 'none'})")
    names = sorted(set(insp.get_table_names(schema=target.schema))
                   | set(insp.get_view_names(schema=target.schema)))
    raws: dict[str, RawTable] = {}
    labels = {t.name: target.label(t.name) for t in TABLES}
    for table in TABLES:
        matches = [n for n in names if n.strip().lower() == table.name]
        exact = [n for n in matches if n == table.name]
        chosen = exact[0] if exact else (matches[0] if len(matches) == 1 else None)
        if chosen is None and matches:
            log.add(Problem(labels[table.name], "several tables match ("
                            + ", ".join(matches) + "); keep one"))
            continue
        if chosen is None:
            if table.required:
                held = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
                log.add(Problem(labels[table.name], "table is missing; it is required"
                                + did_you_mean(table.name, names, cutoff=0.7)
                                + f" (the {'schema' if target.schema else 'database'} has "
                                + (f"the tables and views {held})" if names else
                                   "no tables or views)")))
            continue
        labels[table.name] = label = target.label(chosen)
        columns = [c["name"] for c in insp.get_columns(chosen, schema=target.schema)]
        raw = _read_table(conn, target, chosen, columns, label, SORT_KEYS.get(table.name, ()), log)
        if raw is not None:
            raws[table.name] = raw
    name_misspelt_tables({n.strip().lower(): target.label(n) for n in names}, log, "table", str)
    return raws, labels


def _read_table(conn, target: _Target, name: str, columns: list[str], label: str,
                key: Sequence[str], log: ProblemLog) -> RawTable | None:
    """One table as a :class:`RawTable` of text, rows sorted as the module says; None (with
    the problem logged) when it is beyond a limit."""
    from sqlalchemy import column, func, select, table

    t = table(name, *[column(c) for c in columns], schema=target.schema)
    rows = conn.execute(select(func.count()).select_from(t)).scalar_one()
    width = max(len(columns), 1)
    if rows > MAX_TABLE_ROWS:
        log.add(Problem(label, f"has {rows:,} rows, more than the {MAX_TABLE_ROWS:,} a table may "
                        f"have (see {LIMITS_DOC})"))
        return None
    if (rows + 1) * width > MAX_TABLE_VALUES:
        log.add(Problem(label, f"has {(rows + 1) * width:,} values ({rows:,} rows and the header "
                        f"x {len(columns):,} columns), more than the {MAX_TABLE_VALUES:,} a table "
                        f"may have (see {LIMITS_DOC})"))
        return None
    data: list[tuple] = []
    size = 0
    result = conn.execution_options(yield_per=_CHUNK).execute(select(t).limit(rows + 1))
    for chunk in result.partitions():
        for record in chunk:
            data.append(tuple(record))
            size += sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in record)
        if len(data) > rows or size > MAX_CSV_BYTES:
            result.close()
            why = (f"holds more than the {size_text(MAX_CSV_BYTES)} of text a table may hold"
                   if size > MAX_CSV_BYTES else "grew while it was read; read it again")
            log.add(Problem(label, f"{why} (see {LIMITS_DOC})"))
            return None
    heads = [column_key(c) for c in columns]
    first = [heads.index(k) for k in key if k in heads]
    order = first + [i for i in range(len(columns)) if i not in first]
    data.sort(key=lambda r: [_order(r[i]) for i in order])
    grid, bad = [], []
    for j in range(len(columns)):
        values = [r[j] for r in data]
        grid.append(text_array(_text(v) for v in values))
        binary = [i for i, v in enumerate(values) if isinstance(v, (bytes, bytearray, memoryview))]
        if binary:
            bad.append((columns[j], binary))
    numbers = np.arange(1, len(data) + 1, dtype=np.int64)
    for col, idx in bad:
        log.cells(label, col, numbers[idx], ["(binary data)"] * len(idx),
                  "is binary data (a BLOB); expected text or a number")
    # the header is no row of a table: header_row 0, which load_sql_case leaves unsaid
    return RawTable(label, [str(c) for c in columns], grid, numbers, header_row=0, sep="")


def _order(value: object) -> tuple:
    """The sort key of one value: NULL first, then numbers by value, then text by code point.

    >>> sorted([None, "b", 2, Decimal("1.5"), "a", 10.0], key=_order)
    [None, Decimal('1.5'), 2, 10.0, 'a', 'b']
    """
    if value is None:
        return (0, 0.0, "")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        try:
            x = float(value)
        except (OverflowError, ValueError):
            x = float("nan")
        if x == x:
            return (1, x, str(value))
    return (2, 0.0, str(value))


def _text(value: object) -> str:
    """A value as the text a case file would hold: NULL empty, numbers with a decimal point.

    >>> [_text(v) for v in (None, 1234.5, 3, Decimal("0.250"), 1e16, "1.234,5", True)]
    ['', '1234.5', '3', '0.250', '1e+16', '1.234,5', 'True']
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ""
    if hasattr(value, "isoformat"):  # dates and times
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------ writing
def save_sql_case(case: Case, url: str) -> str:
    """Write a case into a database, one table per case table (kamopt's columns).

    A SQLite file is written whole (to a temporary file moved into place, so it
    replaces an earlier one and a failure leaves nothing half written). Into
    PostgreSQL the tables are written in one transaction, in the URL's schema
    (created if missing); a table that exists already is refused. Empty
    optional tables are not written; a manager's ``industries`` are joined with
    ``;``. Returns the URL as shown in messages (password as ``***``).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from kamopt.case.tables import flat_table as _to_frame

    target = _Target(url)
    frames = {}
    for name, df in case.tables.items():
        if name in ("customers", "managers") or len(df):
            out = _to_frame(case, name)
            for col in out.columns:  # optional numbers _to_frame writes as "" where not given
                if out[col].dtype == object and any(isinstance(v, float) for v in out[col]):
                    out[col] = [None if v == "" else v for v in out[col]]
            frames[name] = out
    if target.backend == "sqlite":
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        path = target.path
        path.parent.mkdir(parents=True, exist_ok=True)
        # a new file beside it (SQLite creates it with the usual permissions), then moved
        tmp = str(path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            engine = create_engine("sqlite://", poolclass=NullPool,
                                   creator=lambda: sqlite3.connect(tmp))
            with engine.begin() as conn:
                for name, df in frames.items():
                    df.to_sql(name, conn, index=False)
            engine.dispose()
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return target.shown
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.pool import NullPool
    from sqlalchemy.schema import CreateSchema

    pg = target.url.set(drivername="postgresql+psycopg") if target.url.drivername == "postgresql" \
        else target.url
    engine = create_engine(pg, poolclass=NullPool,
                           connect_args={"connect_timeout": CONNECT_TIMEOUT})
    try:
        with engine.begin() as conn:
            if target.schema:
                conn.execute(CreateSchema(target.schema, if_not_exists=True))
            there = set(inspect(conn).get_table_names(schema=target.schema))
            clash = sorted(there & set(frames))
            if clash:
                raise CaseError(Problem(target.shown, f"already has the tables {', '.join(clash)}; "
                                        "kamopt writes a case only into new tables"),
                                title=f"The case cannot be written to {target.shown}")
            for name, df in frames.items():
                df.to_sql(name, conn, schema=target.schema, index=False)
    except SQLAlchemyError as exc:
        raise CaseError(Problem(target.shown, f"cannot be written ({target.scrub(_plain(exc))})"),
                        title=f"The case cannot be written to {target.shown}") from None
    finally:
        engine.dispose()
    return target.shown
