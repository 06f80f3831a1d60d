"""A real PostgreSQL server for tests: its own cluster in a temporary folder, on a free port.

:func:`pg_server` (a session fixture; a test module imports it) runs ``initdb`` and
``pg_ctl start`` from PostgreSQL's binaries (``pg_config --bindir``, else the newest
``/usr/lib/postgresql/*/bin``) with a data folder in a temporary folder, listening on
127.0.0.1 only, on a free port, its unix socket in that folder, loopback trusted. As
root (PostgreSQL refuses to run as root) the server runs as the ``postgres`` system user
(``runuser``), the folder handed to it; as anyone else, as that user. The server is
stopped (``pg_ctl stop -m immediate``) and its folder removed at the end of the session.

Without the binaries the tests that use it are skipped, saying why, unless
``KAMOPT_REQUIRE_POSTGRES=1`` (as ``.ci/run`` sets it): then they fail.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

#: seconds for the server to start
START_TIMEOUT = 60


def _bindir() -> Path | None:
    """The folder of PostgreSQL's server binaries (initdb, pg_ctl), or None."""
    found = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=30).stdout.strip()
            found.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass

    def version(p: str) -> tuple:
        v = Path(p).parent.parent.name
        return tuple(int(x) for x in v.split(".") if x.isdigit())

    found += [Path(p).parent for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                                             key=version, reverse=True)]
    for d in found:
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    return None


def _unavailable(why: str):
    if os.environ.get("KAMOPT_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (KAMOPT_REQUIRE_POSTGRES=1) but {why}")
    pytest.skip(f"no PostgreSQL server for this test: {why} (install Debian's 'postgresql')")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    """A running server: ``url(database, schema)`` is the URL kamopt reads."""

    port: int
    folder: Path
    user: str = "postgres"

    def url(self, database: str = "postgres", schema: str | None = None,
            password: str | None = None) -> str:
        auth = f"{self.user}:{password}" if password else self.user
        tail = f"?schema={schema}" if schema else ""
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}{tail}"

    def create_database(self, name: str) -> str:
        """Create an empty database (a name of letters, digits and _); returns its URL."""
        import psycopg

        assert name.replace("_", "").isalnum(), name
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def execute(self, database: str, *statements: str) -> list:
        """Run SQL as the superuser; the rows of the last statement (if it returns any)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cur = None
            for sql in statements:
                cur = conn.execute(sql)
            return cur.fetchall() if cur is not None and cur.description else []


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server of its own for the session (see the module's docstring)."""
    bindir = _bindir()
    if bindir is None:
        _unavailable("its binaries (initdb, pg_ctl) were not found via pg_config --bindir "
                     "or in /usr/lib/postgresql/*/bin")
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("we run as root, PostgreSQL refuses to, and there is no 'postgres' "
                         "user to run it as")
        runuser = shutil.which("runuser")
        if runuser is None:
            _unavailable("we run as root and 'runuser' is missing")
        prefix = [runuser, "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="kamopt-pg-"))
    data, log = folder / "data", folder / "server.log"
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    os.chmod(folder, 0o700)

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=timeout,
                              cwd=folder, stdin=subprocess.DEVNULL)

    started = False
    try:
        r = run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync")
        if r.returncode:
            pytest.fail(f"initdb failed:\n{r.stdout}\n{r.stderr}")
        for _ in range(5):  # a port found free may be taken before the server binds it
            port = _free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off "
                       "-c full_page_writes=off -c synchronous_commit=off")
            r = run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                    "-w", "-t", str(START_TIMEOUT), "start", timeout=START_TIMEOUT + 30)
            if r.returncode == 0:
                started = True
                break
        if not started:
            text = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"PostgreSQL did not start:\n{r.stdout}\n{r.stderr}\n{text[-3000:]}")
        server = PgServer(port=port, folder=folder)
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # pg_ctl -w waited; make sure TCP answers too
            try:
                server.execute("postgres", "SELECT 1")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield server
    finally:
        if started:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)
