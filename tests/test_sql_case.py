"""Cases read from a database (kamopt/case/sql.py): SQLite files and a real PostgreSQL server.

The PostgreSQL tests run against a server of their own (tests/pg_server.py); without
PostgreSQL's binaries they are skipped, unless KAMOPT_REQUIRE_POSTGRES=1 (.ci/run).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from pg_server import pg_server  # noqa: F401  (the session fixture)

import kamopt.case.sql as sql
import kamopt.case.to_sql as to_sql
from kamopt.case.io import load_case, save_case
from kamopt.case.schema import TABLES_BY_NAME
from kamopt.cli import main
from kamopt.errors import CaseError

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def sample():
    return load_case(SAMPLE)


def _sorted(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A case table in key order (a database has no row order; kamopt sorts by the key)."""
    if TABLES_BY_NAME[name].id:
        return frame.sort_index()
    return frame.sort_values(list(sql.SORT_KEYS[name])).reset_index(drop=True)


def assert_same_case(got, want) -> None:
    for name in want.tables:
        pd.testing.assert_frame_equal(_sorted(got.tables[name], name),
                                      _sorted(want.tables[name], name), check_exact=True)


def _db(path: Path, *statements: str) -> str:
    """A SQLite file made by plain SQL; its URL."""
    with sqlite3.connect(path) as conn:
        for s in statements:
            conn.execute(s)
    conn.close()
    return f"sqlite:///{path}"


#: a small valid case as SQL, the values typed as a database types them
MANAGERS_SQL = ("CREATE TABLE managers (manager_id TEXT, capacity_hours REAL, industries TEXT)",
                "INSERT INTO managers VALUES ('M1', 1500, 'Chemie;Elektro'), ('M2', 800.5, NULL)")


def _customers(*rows: str) -> tuple[str, ...]:
    return ("CREATE TABLE customers (customer_id TEXT, Revenue REAL, margin NUMERIC, "
            "potential INTEGER, kam_hours REAL, tier INTEGER, current_manager TEXT)",
            *(f"INSERT INTO customers VALUES {r}" for r in rows))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ SQLite
def test_the_sample_from_sqlite_is_the_sample(sample, tmp_path):
    url = f"sqlite:///{tmp_path / 'sample.db'}"
    assert save_case(sample, url) == url
    case = load_case(url)
    assert case.source == url
    assert_same_case(case, sample)


def test_values_are_read_as_typed_numbers_never_the_german_way(tmp_path):
    url = _db(tmp_path / "c.db", *MANAGERS_SQL,
              *_customers("('K2', 1234.5, 0.25, 1000, 12.5, 2, 'M1')",
                          "('K1', 1234, '0.3', 2000, 10, NULL, NULL)"))
    case = load_case(url)
    c = case.customers
    assert list(c.index) == ["K1", "K2"]  # sorted by customer_id, not as inserted
    assert c.loc["K2", "revenue"] == 1234.5 and c.loc["K1", "revenue"] == 1234.0
    assert c.loc["K1", "margin"] == 0.3 and c.loc["K1", "tier"] == 1  # NULL: the default
    assert c.loc["K1", "current_manager"] == "" and c.loc["K2", "current_manager"] == "M1"
    assert case.managers.loc["M1", "industries"] == ("Chemie", "Elektro")
    assert case.managers.loc["M2", "capacity_hours"] == 800.5


def test_the_same_rows_in_another_order_make_the_same_case(tmp_path):
    rows = ["('K1', 10, 0.1, 5, 1, 1, NULL)", "('K3', 30, 0.3, 5, 1, 1, NULL)",
            "('K2', 20, 0.2, 5, 1, 1, NULL)"]
    one = load_case(_db(tmp_path / "a.db", *MANAGERS_SQL, *_customers(*rows)))
    two = load_case(_db(tmp_path / "b.db", *MANAGERS_SQL, *_customers(*rows[::-1])))
    assert one == two and list(one.customers.index) == ["K1", "K2", "K3"]


def test_a_bad_value_names_table_row_and_column(tmp_path):
    url = _db(tmp_path / "c.db", *MANAGERS_SQL,
              *_customers("('K1', 10, 0.1, 5, 1, 1, NULL)", "('K2', 'abc', 0.1, 5, 1, 1, NULL)",
                          "('K3', '1.234,5', 0.1, 5, 1, 1, NULL)",
                          "('K4', 10, 0.1, 5, 1, 1, 'M9')"))
    with pytest.raises(CaseError) as err:
        load_case(url)
    text = str(err.value)
    assert (f"table customers ({url}), row 2, column 'revenue': got 'abc'; must be a number >= 0"
            in text)
    assert f"table customers ({url}), row 3, column 'revenue': got '1.234,5'" in text
    assert (f"row 4, column 'current_manager': got 'M9'; unknown manager; must be a manager_id "
            f"in table managers ({url})") in text


def test_a_missing_column_names_the_table_not_a_row(tmp_path):
    url = _db(tmp_path / "c.db", *MANAGERS_SQL,
              "CREATE TABLE customers (customer_id TEXT, revenue REAL)",
              "INSERT INTO customers VALUES ('K1', 1)")
    with pytest.raises(CaseError) as err:
        load_case(url)
    assert f"table customers ({url}), column 'margin': required column is missing" in str(err.value)
    assert "row 0" not in str(err.value)


def test_a_missing_table_and_a_misspelt_one(tmp_path, capsys):
    url = _db(tmp_path / "c.db", *MANAGERS_SQL, "CREATE TABLE customer (customer_id TEXT)",
              "CREATE TABLE activites (activity_id TEXT)")
    assert main(["check", url]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert (f"table customers ({url}): table is missing; it is required; did you mean "
            "'customer'?") in err
    assert f"table activites ({url}): is not a table kamopt reads; did you mean table " \
           "'activities'?" in err


def test_a_missing_file_is_reported_and_not_created(tmp_path, capsys):
    path = tmp_path / "missing.db"
    assert main(["check", f"sqlite:///{path}"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not path.exists()


def test_a_file_that_is_no_database_and_unknown_schemes(tmp_path, capsys):
    (tmp_path / "x.db").write_text("customer_id,revenue\n")
    for url, said in [(f"sqlite:///{tmp_path / 'x.db'}", "cannot be read as a SQLite database"),
                      ("mysql://kam:geheim@db/crm", "kamopt reads cases from SQLite and PostgreSQL"),
                      ("sqlite://", "names no database file")]:
        assert main(["check", url]) == 2
        err = capsys.readouterr().err
        assert said in err and "Traceback" not in err and "geheim" not in err


def test_a_view_is_read_as_a_table(tmp_path, sample):
    url = f"sqlite:///{tmp_path / 's.db'}"
    save_case(sample, url)
    with sqlite3.connect(tmp_path / "s.db") as conn:
        conn.execute("ALTER TABLE customers RENAME TO crm_accounts")
        conn.execute("CREATE VIEW customers AS SELECT * FROM crm_accounts")
    conn.close()
    assert_same_case(load_case(url), sample)


def test_reading_leaves_the_database_as_it_was(tmp_path, sample):
    path = tmp_path / "s.db"
    save_case(sample, f"sqlite:///{path}")
    before = _sha(path)
    load_case(f"sqlite:///{path}")
    assert _sha(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.db"]  # no journal left either


def test_a_table_beyond_the_limits_is_refused_before_it_is_read(tmp_path, sample, monkeypatch):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    url = f"sqlite:///{tmp_path / 's.db'}"
    save_case(sample, url)
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        monkeypatch.setattr(sql, "MAX_TABLE_ROWS", 100)
        with pytest.raises(CaseError) as err:
            load_case(url)
        assert f"table customers ({url}): has 250 rows, more than the 100 a table may have " \
               "(see docs/limits.md)" in str(err.value)
        monkeypatch.setattr(sql, "MAX_TABLE_ROWS", 1000)
        monkeypatch.setattr(sql, "MAX_TABLE_VALUES", 200)
        with pytest.raises(CaseError) as err:
            load_case(url)
        assert (f"table customers ({url}): has 2,761 values (250 rows and the header x 11 "
                "columns), more than the 200 a table may have") in str(err.value)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    reads = [s for s in seen if "FROM customers" in s and "count(" not in s.lower()]
    assert not reads, reads


def test_kamopt_plan_reads_a_sqlite_case(tmp_path, sample, capsys):
    url = f"sqlite:///{tmp_path / 'sample.db'}"
    assert to_sql.main([str(SAMPLE), url]) == 0
    out = tmp_path / "out"
    assert main(["plan", url, "--out", str(out), "--scenario",
                 str(ROOT / "data" / "scenarios" / "base.yml"), "--mip-gap", "0.05"]) == 0
    assert (out / "plan.csv").is_file()
    plan = pd.read_csv(out / "plan.csv")
    assert len(plan) == len(sample.customers)
    assert url in (out / "summary.json").read_text()


# --------------------------------------------------------------- PostgreSQL
@pytest.fixture(scope="module")
def pg_case(pg_server, sample):  # noqa: F811
    """Databases with the sample: ``kam_public`` in public, ``kam_schema`` in schema ``kam``."""
    save_case(sample, pg_server.create_database("kam_public"))
    url = pg_server.create_database("kam_schema")
    save_case(sample, pg_server.url("kam_schema", schema="kam"))
    assert url
    return pg_server


def _pg_fingerprint(server, database: str) -> list:
    """The tables and views of a database, and a digest of every row of each table."""
    tables = server.execute(database, """
        SELECT table_schema, table_name, table_type FROM information_schema.tables
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2""")
    digests = [server.execute(database, f'SELECT md5(string_agg(t::text, \'|\' ORDER BY t::text)) '
                                        f'FROM "{schema}"."{name}" t')
               for schema, name, kind in tables if kind == "BASE TABLE"]
    return tables + digests


def test_the_sample_from_postgresql_is_the_sample(pg_case, sample):
    case = load_case(pg_case.url("kam_public"))
    assert_same_case(case, sample)


def test_the_sample_from_a_postgresql_schema(pg_case, sample):
    assert_same_case(load_case(pg_case.url("kam_schema", schema="kam")), sample)
    with pytest.raises(CaseError) as err:  # public holds no case in that database
        load_case(pg_case.url("kam_schema"))
    assert "table customers" in str(err.value) and "table is missing" in str(err.value)
    with pytest.raises(CaseError) as err:
        load_case(pg_case.url("kam_schema", schema="kma"))
    assert "schema 'kma' does not exist; did you mean 'kam'?" in str(err.value)


def test_a_password_is_never_shown(pg_case, sample):
    case = load_case(pg_case.url("kam_public", password="s3cr3t-pw"))  # trust: accepted
    assert "s3cr3t-pw" not in case.source and "***" in case.source


def test_an_unreachable_server_is_bad_input_without_the_password(capsys):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["check", f"postgresql://kam:s3cr3t-pw@127.0.0.1:{port}/crm"]) == 2
    err = capsys.readouterr().err
    assert f"postgresql://kam:***@127.0.0.1:{port}/crm" in err and "cannot be read" in err
    assert "s3cr3t-pw" not in err and "Traceback" not in err


def test_a_bad_value_in_postgresql_names_table_row_and_column(pg_case):
    url = pg_case.create_database("kam_bad")
    pg_case.execute("kam_bad", *MANAGERS_SQL[:1],
                    "INSERT INTO managers VALUES ('M1', 1500, 'Chemie')",
                    'CREATE TABLE "Customers" (customer_id text, revenue numeric, margin float8, '
                    "potential bigint, kam_hours text)",
                    "INSERT INTO \"Customers\" VALUES ('K2', 1234.5, 1.5, 10, '12'), "
                    "('K1', NULL, 0.2, 10, '1.234,5')")
    with pytest.raises(CaseError) as err:
        load_case(url)
    text = str(err.value)
    assert f"table Customers ({url}), row 1, column 'revenue': is empty" in text
    assert f"table Customers ({url}), row 1, column 'kam_hours': got '1.234,5'" in text
    assert (f"table Customers ({url}), row 2, column 'margin': got '1.5'; must be a number in "
            "[0, 1]") in text


def test_a_postgresql_view_is_read_as_a_table_and_nothing_changes(pg_case, sample):
    url = pg_case.create_database("kam_view")
    save_case(sample, url)
    pg_case.execute("kam_view", "ALTER TABLE customers RENAME TO accounts",
                    "CREATE VIEW customers AS SELECT * FROM accounts")
    before = _pg_fingerprint(pg_case, "kam_view")
    assert_same_case(load_case(url), sample)
    assert _pg_fingerprint(pg_case, "kam_view") == before


def test_postgresql_reads_in_a_read_only_transaction(pg_case, monkeypatch):
    """What kamopt sends first: SET TRANSACTION READ ONLY (a write would then fail)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        load_case(pg_case.url("kam_public"))
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert seen[0] == "SET TRANSACTION READ ONLY"
    assert not [s for s in seen if s.split()[0].upper() not in ("SET", "SELECT", "WITH")]
