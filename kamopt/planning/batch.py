"""One batch runner for every batch of plans: in this process, on a local cluster of processes,
or on an existing ``dask.distributed`` scheduler.

Sweeps, grids, the capacity frontier and decision-costs
(:mod:`kamopt.analysis.sensitivity`, :mod:`kamopt.analysis.frontier`) plan many
scenarios of one case; each gives :meth:`Runner.map` a module-level task
function, the case (``shared``) and the scenarios (``items``)::

    runner = Runner.from_env()          # KAMOPT_SCHEDULER / KAMOPT_WORKERS, else one per core
    rows = runner.map(plan_row, scenarios, shared=case, desc="sweep of realization")

Where it runs (:attr:`Runner.where`):

* ``workers=0``: a plain loop in this process, no Dask at all;
* ``workers=N`` (default: one per core): a ``distributed.LocalCluster`` of N
  processes with one thread each, started on the first batch and kept for the
  next ones of the same process (a notebook running several sweeps pays the
  start once), closed at exit or by :func:`close_local_clusters`; no dashboard,
  its logs silenced below ERROR;
* ``scheduler="tcp://host:8786"``: the workers of an existing scheduler
  (connected within :data:`CONNECT_TIMEOUT` seconds, else :class:`~kamopt.errors.RunnerError`).

Each way gives the same results in the same order: kamopt's plans stop at work
budgets, not at clocks, and HiGHS runs on a fixed number of threads
(:data:`kamopt.solve.backend.THREADS`). On a cluster ``shared`` is sent to every
worker once (``client.scatter(..., broadcast=True)``), each task is submitted
with ``retries=2`` (a worker lost mid-batch costs only its tasks) and results
are taken as they complete, for the progress bar (:mod:`kamopt.planning.progress`)
and the resume files. An error in a task is raised in the caller as it was
raised (an :class:`~kamopt.errors.InfeasibleError` stays one); an interrupt
(Ctrl-C, SIGTERM through the command line) cancels the tasks still to run.

Resume: with ``resume_dir``, each result is written as it arrives to
``resume_dir / f"{key(item)}.json"`` (a temporary file in the same folder, then
``os.replace``: a file is whole or absent), and a batch started again takes the
results whose file is there and runs only the others. Such results must be
JSON: dicts, lists (tuples become lists), strings, numbers, booleans and None;
NaN is written as ``null`` and infinities as the strings ``"Infinity"`` and
``"-Infinity"`` (``float()`` reads them back; :mod:`kamopt.planning.resume`).
:meth:`Runner.map` returns what the files hold, so a resumed batch and a fresh
one return the same.

>>> Runner(workers=0).map(_example_task, [1, 2, 3], shared=10, quiet=True)
[11, 12, 13]
>>> Runner(workers=0).where, Runner(workers=2).where
('this process', 'a local cluster of 2 processes')
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError
from contextlib import contextmanager
from pathlib import Path

from kamopt.errors import KamoptError, RunnerError, one_line
from kamopt.planning.progress import progress
from kamopt.planning.resume import MISSING, read_result, result_paths, write_result

#: environment variables :meth:`Runner.from_env` reads (``kamopt report`` passes them on to
#: its notebook's kernel)
ENV_SCHEDULER = "KAMOPT_SCHEDULER"
ENV_WORKERS = "KAMOPT_WORKERS"
ENV_QUIET = "KAMOPT_QUIET"
#: how often a task is tried again on another worker when its worker is lost
RETRIES = 2
#: seconds to reach a scheduler (and for it to have a worker)
CONNECT_TIMEOUT = 10.0

#: (process id, "local", workers) or (process id, "remote", address) -> (cluster or None, client)
_CLIENTS: dict[tuple, tuple] = {}
_LOCK = threading.Lock()
_AT_EXIT: list[bool] = []


class Runner:
    """Where a batch runs: in this process, on a local cluster of processes, or on an existing
    dask.distributed scheduler (see the module docs).

    ``workers`` None is one per core (``os.cpu_count()``); 0 is this process.
    ``scheduler`` and ``workers`` do not go together (``ValueError``).
    ``quiet`` hides the progress bar; ``on_progress(done, total)`` is called
    after each finished task of every batch (a :meth:`map` may give its own).
    """

    def __init__(self, scheduler: str | None = None, workers: int | None = None,
                 quiet: bool = False, on_progress: Callable[[int, int], object] | None = None):
        scheduler = (str(scheduler).strip() or None) if scheduler is not None else None
        if scheduler is not None and workers is not None:
            raise ValueError("A Runner takes a scheduler or a number of workers, not both: "
                             "the workers size a local cluster.")
        if scheduler is None:
            workers = (os.cpu_count() or 1) if workers is None else workers
            if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
                raise ValueError("The 'workers' parameter of Runner must be a whole number "
                                 f">= 0 (0: this process). Got {workers!r} instead.")
        self.scheduler = scheduler
        self.workers = workers
        self.quiet = bool(quiet)
        self.on_progress = on_progress

    @classmethod
    def from_env(cls, scheduler: str | None = None, workers: int | None = None,
                 quiet: bool = False,
                 on_progress: Callable[[int, int], object] | None = None) -> Runner:
        """The runner the arguments say, else the environment's: ``KAMOPT_SCHEDULER`` (an
        address), else ``KAMOPT_WORKERS`` (0: this process), else one worker per core.

        An argument beats the environment (``workers=2`` plans locally even with
        ``KAMOPT_SCHEDULER`` set); with both variables set the scheduler wins.
        ``KAMOPT_QUIET=1`` hides the bar as ``quiet`` does. A ``KAMOPT_WORKERS``
        that is not a whole number >= 0 raises :class:`~kamopt.errors.RunnerError`.
        """
        if scheduler is None and workers is None:
            scheduler = os.environ.get(ENV_SCHEDULER, "").strip() or None
            if scheduler is None:
                workers = _env_workers()
        quiet = quiet or os.environ.get(ENV_QUIET, "").strip().lower() not in ("", "0", "no",
                                                                               "false")
        return cls(scheduler, workers, quiet=quiet, on_progress=on_progress)

    @property
    def where(self) -> str:
        """Where the batches run, in words: "this process", "a local cluster of 2 processes",
        "the scheduler tcp://10.0.0.5:8786"."""
        if self.scheduler is not None:
            return f"the scheduler {self.scheduler}"
        if self.workers == 0:
            return "this process"
        return f"a local cluster of {self.workers} process{'es' if self.workers != 1 else ''}"

    def __repr__(self) -> str:
        return f"Runner({self.where})"

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> Runner:
        """Start the local cluster or connect to the scheduler now, as the first batch would
        (nothing to do in this process's mode): a scheduler that cannot be reached raises
        :class:`~kamopt.errors.RunnerError` before any work rather than after it."""
        if self.scheduler is not None or self.workers:
            self._client()
        return self

    def close(self) -> None:
        """Close this runner's cluster (a local one) or its connection (a scheduler's, which
        stays up); a later batch starts or connects again."""
        with _LOCK:
            entry = _CLIENTS.pop(self._cache_key(), None)
        if entry is not None:
            _close(*entry)

    # ---------------------------------------------------------------- the batch
    def map(self, func: Callable, items: Iterable, *, shared=None, desc: str = "",
            resume_dir: str | os.PathLike | None = None, key: Callable[[object], str] | None = None,
            quiet: bool | None = None,
            on_progress: Callable[[int, int], object] | None = None) -> list:
        """``func(shared, item)`` for each of ``items``: the results in the order of ``items``.

        ``func`` is a module-level function (the workers import it); ``shared``
        goes to each worker once. ``desc`` names the progress bar; ``quiet``
        (default: the runner's) hides it; ``on_progress(done, total)`` (default:
        the runner's) is called after each finished task. ``resume_dir`` keeps
        each result in ``resume_dir / f"{key(item)}.json"`` (``key`` default: the
        item's position, ``"0"``, ``"1"``, ...) and takes results found there
        instead of running their items (see the module docs); a key must be a
        file name of letters, digits and ``._=+,@-``, and keys must differ.
        """
        items = list(items)
        if not items:
            return []
        results: list = [None] * len(items)
        todo = list(range(len(items)))
        paths = None
        if resume_dir is not None:
            paths = result_paths(Path(resume_dir), items, key)
            todo = []
            for i, path in enumerate(paths):
                found = read_result(path)
                if found is MISSING:
                    todo.append(i)
                else:
                    results[i] = found
        bar = progress(len(items), desc, self.quiet if quiet is None else quiet,
                       on_step=on_progress or self.on_progress)
        try:
            if len(todo) < len(items):
                bar.update(len(items) - len(todo))

            def finish(i: int, result) -> None:
                results[i] = result if paths is None else write_result(paths[i], result)
                bar.update(1)

            if not todo:
                pass
            elif self.scheduler is None and self.workers == 0:
                for i in todo:
                    finish(i, func(shared, items[i]))
            else:
                self._map_on_cluster(func, items, todo, shared, finish)
        finally:
            bar.close()
        return results

    def _map_on_cluster(self, func, items: list, todo: list[int], shared, finish) -> None:
        from distributed import as_completed

        client = self._client()
        # one future for the whole object (a list given to scatter would be scattered item by
        # item), copied to every worker now rather than sent with each task; hash=False: a key
        # of its own, so that two batches of one object never share (and release) one key
        arg = (client.scatter([shared], broadcast=True, hash=False)[0] if shared is not None
               else None)
        futures = {}
        again = dict.fromkeys(todo, 0)  # how often each item was submitted anew

        def submit(i: int):
            future = client.submit(_task, func, arg, items[i], retries=RETRIES, pure=False)
            futures[future] = i
            return future

        try:
            pending = as_completed([submit(i) for i in todo], loop=client.loop)
            for future in pending:
                i = futures[future]
                try:
                    ok, value = future.result()
                except CancelledError:
                    # cancelled by the cluster, not by us: a lost worker can take the scheduler's
                    # memory of a task with it ("already forgotten", seen on a busy machine);
                    # the item is submitted anew, with the shared object scattered again
                    if again[i] >= RETRIES:
                        raise
                    again[i] += 1
                    if shared is not None:
                        arg = client.scatter([shared], broadcast=True, hash=False)[0]
                    pending.add(submit(i))
                    continue
                if not ok:
                    raise value
                finish(i, value)
        except BaseException:  # an error, Ctrl-C or SIGTERM: the rest is not wanted
            client.cancel(list(futures))
            raise

    def _cache_key(self) -> tuple:
        if self.scheduler is not None:
            return (os.getpid(), "remote", self.scheduler)
        return (os.getpid(), "local", self.workers)

    def _client(self):
        """The cached client of this runner's cluster or scheduler, started or connected on
        first use."""
        key = self._cache_key()
        with _LOCK:
            entry = _CLIENTS.get(key)
            if entry is not None and entry[1].status in ("running", "connecting"):
                return entry[1]
            if entry is not None:
                _close(*_CLIENTS.pop(key))
            entry = _connect(self.scheduler) if self.scheduler else _start_local(self.workers)
            _CLIENTS[key] = entry
            if not _AT_EXIT:
                atexit.register(close_local_clusters)
                _AT_EXIT.append(True)
            return entry[1]


def _task(func, shared, item) -> tuple[bool, object]:
    """``(True, func(shared, item))``, or ``(False, the exception it raised)``: an error of
    the task itself comes back as a value, so that the scheduler's retries are spent on lost
    workers only, not on running a plan that cannot be made again (and the workers log
    nothing). An exception that cannot travel comes back as a RuntimeError saying what it was.
    """
    try:
        return True, func(shared, item)
    except Exception as exc:  # noqa: BLE001 - handed to the caller, who raises it
        if not isinstance(exc, KamoptError):  # kamopt's errors arrive as they were raised
            exc.add_note("Raised in a worker of the batch:\n" + traceback.format_exc())
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001
            exc = RuntimeError(f"{type(exc).__name__}: {exc} (raised in a worker of the batch)")
        return False, exc


@contextmanager
def passed_on(runner: Runner | None = None, quiet: bool | None = None) -> Iterator[None]:
    """While the block runs, the environment says ``runner`` (``KAMOPT_SCHEDULER`` or
    ``KAMOPT_WORKERS``) and ``quiet`` (``KAMOPT_QUIET``), each when given, so that
    :meth:`Runner.from_env` in a process started in the block (a notebook's kernel) gives the
    same; the environment is put back after."""
    changes: dict[str, str | None] = {}
    if runner is not None:
        changes[ENV_SCHEDULER] = runner.scheduler
        changes[ENV_WORKERS] = None if runner.scheduler is not None else str(runner.workers)
    if quiet is not None:
        changes[ENV_QUIET] = "1" if quiet else None
    before = {name: os.environ.get(name) for name in changes}
    try:
        for name, value in changes.items():
            _set_env(name, value)
        yield
    finally:
        for name, value in before.items():
            _set_env(name, value)


def _set_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def close_local_clusters() -> None:
    """Close every local cluster this process started and every connection to a scheduler
    (called at exit too); a later batch starts or connects again."""
    with _LOCK:
        mine = [k for k in _CLIENTS if k[0] == os.getpid()]
        entries = [_CLIENTS.pop(k) for k in mine]
    for cluster, client in reversed(entries):  # the last started first: see _close
        _close(cluster, client)


def _start_local(workers: int) -> tuple:
    from distributed import Client, LocalCluster

    # no dashboard; the scheduler's HTTP routes (health, metrics) on a free port of this
    # machine only; each worker runs dask_setup as it starts
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
                           silence_logs=logging.ERROR, preload=[__name__])
    return cluster, Client(cluster, set_as_default=False)


def dask_setup(worker) -> None:
    """Run by each worker of a local cluster as it starts (a Dask preload): Ctrl-C in a
    terminal reaches the whole process group, and the batch's caller handles it (cancels its
    tasks, closes the cluster, exits 130), so its workers ignore it rather than each print
    a traceback."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _connect(address: str) -> tuple:
    from distributed import Client

    advice = ("start it (dask scheduler, and dask worker on each machine), or leave out "
              f"--scheduler and {ENV_SCHEDULER} to plan on this machine")
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = one_line(str(exc)) or type(exc).__name__
        raise RunnerError(f"Cannot reach the Dask scheduler at {address} ({reason}): "
                          f"{advice}.") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError):
        _close(None, client)
        raise RunnerError(f"The Dask scheduler at {address} has no worker after "
                          f"{CONNECT_TIMEOUT:g} s: {advice}.") from None
    return None, client


def _close(cluster, client) -> None:
    """Close a client and its local cluster, quietly: an error here helps no one."""
    for thing in (client, cluster):
        if thing is None:
            continue
        try:
            thing.close()
        except Exception:  # noqa: BLE001 - closing at exit, or a cluster already gone
            pass
    if cluster is not None and any(c is not None for c, _ in list(_CLIENTS.values())):
        # a closed cluster puts back the level of distributed's log handlers it found as it
        # started, which may be before another's silenced them: keep the others silent
        for handler in logging.getLogger("distributed").handlers:
            if isinstance(handler, logging.StreamHandler) and handler.level < logging.ERROR:
                handler.setLevel(logging.ERROR)


def _env_workers() -> int | None:
    text = os.environ.get(ENV_WORKERS, "").strip()
    if not text:
        return None
    try:
        workers = int(text)
    except ValueError:
        workers = -1
    if workers < 0:
        raise RunnerError(f"{ENV_WORKERS}={text!r} is not a whole number >= 0 (the processes "
                          "of the local cluster; 0 plans in this process).")
    return workers


def _example_task(shared, item):
    """The task of the module's example."""
    return shared + item
