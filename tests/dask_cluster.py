"""A real Dask cluster for tests: ``dask scheduler`` and two ``dask worker`` processes.

:func:`dask_scheduler_address` (a session fixture, imported by ``conftest.py`` so any
test can ask for it) starts them from the ``dask`` command of this environment, each in
its own process group, waits until both workers are connected, yields the scheduler's
address (``tcp://127.0.0.1:PORT``) and kills the process groups after the session. The
workers find the test modules (``tests/`` is on their ``PYTHONPATH``), so a task
function defined in a test module runs on them. Nothing serves a web page
(``--no-dashboard``), and the processes' output goes to log files, shown if they do not
start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
#: seconds for the scheduler and both workers to be up
START_TIMEOUT = 60.0
WORKERS = 2


def _start(args: list[str], log: Path, env: dict) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=_end_with_parent)


def _end_with_parent() -> None:
    """In the child, before it runs: SIGTERM when the test process ends, even killed, so
    that no scheduler or worker outlives it (Linux; elsewhere the fixture's end does)."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each process group, SIGKILL to what is left after 10 s."""
    for p in processes:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    for p in processes:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def _logs(folder: Path) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}"
                     for log in sorted(folder.glob("*.log")))


@pytest.fixture(scope="session")
def dask_scheduler_address(tmp_path_factory):
    """The address of a running Dask scheduler with two single-thread workers."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask-cluster")
    dask = str(Path(sys.executable).with_name("dask"))
    file = folder / "scheduler.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(TESTS), str(TESTS.parent), *filter(None, [os.environ.get("PYTHONPATH")])]))
    processes = [_start([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                         "--scheduler-file", str(file), "--no-dashboard"],
                        folder / "scheduler.log", env)]
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not file.exists():
            if processes[0].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dask scheduler did not start:\n" + _logs(folder))
            time.sleep(0.1)
        for n in range(WORKERS):
            processes.append(_start([dask, "worker", "--scheduler-file", str(file),
                                     "--nthreads", "1", "--no-dashboard",
                                     "--local-directory", str(folder / f"worker{n}")],
                                    folder / f"worker{n}.log", env))
        with Client(scheduler_file=str(file), timeout=START_TIMEOUT,
                    set_as_default=False) as client:
            try:
                client.wait_for_workers(WORKERS, timeout=max(1.0, deadline - time.monotonic()))
            except TimeoutError:
                raise RuntimeError(f"{WORKERS} dask workers did not connect:\n"
                                   + _logs(folder)) from None
        address = json.loads(file.read_text())["address"]
        yield address
        from kamopt.planning.batch import Runner

        Runner(scheduler=address).close()  # this process's connection, before the scheduler
    finally:
        _stop(processes)
