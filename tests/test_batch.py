"""The batch runner (kamopt.planning.batch): the same results in this process, on a local
cluster and on a scheduler; shared data sent once; errors, resume files, a lost worker, an
interrupt; the command line's --workers, --scheduler and --quiet."""

from __future__ import annotations

import _thread
import math
import os
import pickle
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import kamopt.errors as errors
from kamopt.analysis.frontier import capacity_frontier
from kamopt.analysis.sensitivity import grid, lead_costs, sweep
from kamopt.case.io import save_case
from kamopt.case.sample import make_case
from kamopt.case.scenario import Scenario
from kamopt.cli import main
from kamopt.errors import InfeasibleError, RunnerError, Shortfall
from kamopt.planning import batch
from kamopt.planning.batch import Runner, passed_on
from kamopt.planning.progress import progress

LOCAL = 2  # processes of the local cluster these tests start (one, cached, for the module)


@pytest.fixture(scope="module")
def case():
    return make_case(customers=30, managers=3, seed=1)


@pytest.fixture(scope="module")
def case_folder(case, tmp_path_factory) -> Path:
    return save_case(case, tmp_path_factory.mktemp("case") / "small")


# ------------------------------------------------------------------ task functions
def add(shared, item):
    return shared + item


def count_calls(shared: dict, item):
    """How often this worker's copy of ``shared`` was handed to a task so far."""
    shared["calls"] = shared.get("calls", 0) + 1
    return os.getpid(), shared["calls"]


def infeasible_at_3(folder: str, item: int):
    """Raise for item 3, and note each try of it in ``folder``."""
    if item == 3:
        with open(Path(folder) / "tries", "a") as f:
            f.write("try\n")
        raise InfeasibleError([Shortfall("K0003", "KAM hours", 120, 80, singular=True)])
    return item


def figures(shared, item):
    return {"item": item, "half": item / 2, "nan": math.nan, "inf": math.inf,
            "pair": (item, "x")}


def as_set(shared, item):
    return {item}


def only_item_1(shared, item):
    if item != 1:
        raise AssertionError(f"item {item} has a resume file and must not run again")
    return figures(shared, item)


def die_once(folder: str, item: int):
    """The first try of item 1 ends its worker's process (the marker file says it did)."""
    marker = Path(folder) / "died"
    if item == 1 and not marker.exists():
        marker.write_text("x")
        os._exit(1)
    return item * 10


def cancelled_once(folder: str, item: int):
    """The first try of item 2 has the cluster cancel its own task, as a lost worker can leave
    a task the scheduler has forgotten (the marker file says it did)."""
    marker = Path(folder) / "cancelled"
    if item == 2 and not marker.exists():
        from distributed import Future, get_client, get_worker

        marker.write_text("x")
        client = get_client()
        client.cancel([Future(get_worker().get_current_task(), client)], force=True)
        time.sleep(5)  # cancelled meanwhile: this result is never taken
    return item * 10


def slow(folder: str, item: int):
    (Path(folder) / f"started-{item}").write_text("x")
    time.sleep(1.0)
    return item


# ------------------------------------------------------------------ one process
def test_where_and_the_environment(monkeypatch):
    monkeypatch.delenv(batch.ENV_SCHEDULER, raising=False)
    monkeypatch.delenv(batch.ENV_QUIET, raising=False)
    monkeypatch.setenv(batch.ENV_WORKERS, "3")
    assert Runner.from_env().where == "a local cluster of 3 processes"
    assert Runner.from_env(workers=0).where == "this process"
    monkeypatch.delenv(batch.ENV_WORKERS)
    assert Runner.from_env().workers == os.cpu_count()
    monkeypatch.setenv(batch.ENV_SCHEDULER, "tcp://10.0.0.5:8786")
    monkeypatch.setenv(batch.ENV_WORKERS, "0")
    assert Runner.from_env().where == "the scheduler tcp://10.0.0.5:8786"  # it wins over workers
    assert Runner.from_env(workers=1).where == "a local cluster of 1 process"  # an argument wins
    monkeypatch.delenv(batch.ENV_SCHEDULER)
    monkeypatch.setenv(batch.ENV_WORKERS, "two")
    with pytest.raises(RunnerError, match="KAMOPT_WORKERS='two' is not a whole number"):
        Runner.from_env()
    with pytest.raises(ValueError, match="not both"):
        Runner(scheduler="tcp://10.0.0.5:8786", workers=2)
    with pytest.raises(ValueError, match="whole number >= 0"):
        Runner(workers=-1)
    monkeypatch.setenv(batch.ENV_QUIET, "1")
    assert Runner.from_env(workers=0).quiet
    with passed_on(Runner(scheduler="tcp://10.0.0.5:8786"), quiet=False):
        assert os.environ[batch.ENV_SCHEDULER] == "tcp://10.0.0.5:8786"
        assert batch.ENV_WORKERS not in os.environ and batch.ENV_QUIET not in os.environ
    assert os.environ[batch.ENV_WORKERS] == "two" and os.environ[batch.ENV_QUIET] == "1"


def test_kamopt_errors_travel_as_they_were_raised():
    raised = [InfeasibleError([Shortfall("a", "h", 3, 2)], ["budget"], ["why"]),
              errors.CaseError([errors.Problem("customers.csv", "must be a number", row=3)]),
              errors.ScenarioError(errors.Problem("s.yml", "bad"), title="The scenario"),
              errors.VerificationError(["hours over capacity"]), errors.SolverError("gone"),
              errors.RunnerError("no scheduler")]
    for exc in raised:
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and back.args == exc.args and str(back) == str(exc)
        assert back.__dict__ == exc.__dict__


def test_in_this_process_each_item_in_order_with_progress():
    seen = []
    out = Runner(workers=0).map(add, [3, 1, 2], shared=10, on_progress=lambda *a: seen.append(a))
    assert out == [13, 11, 12] and seen == [(1, 3), (2, 3), (3, 3)]
    assert Runner(workers=0).map(add, [], shared=1) == []
    bar = progress(2, "plans", quiet=True)
    assert bar.disable  # quiet, and stderr is not a terminal here either
    bar.close()


@pytest.mark.parametrize("workers", [0, LOCAL])
def test_a_batch_resumes_where_it_stopped(tmp_path, workers):
    runner = Runner(workers=workers, quiet=True)
    folder = tmp_path / "done"
    first = runner.map(figures, [0, 1, 2], resume_dir=folder, key=lambda i: f"item-{i}")
    # what the files hold: NaN as null, infinity as a string, tuples as lists
    assert first[1] == {"item": 1, "half": 0.5, "nan": None, "inf": "Infinity", "pair": [1, "x"]}
    assert sorted(p.name for p in folder.iterdir()) == ["item-0.json", "item-1.json",
                                                       "item-2.json"]
    (folder / "item-1.json").unlink()
    seen = []
    again = runner.map(only_item_1, [0, 1, 2], resume_dir=folder, key=lambda i: f"item-{i}",
                       on_progress=lambda *a: seen.append(a))
    assert again == first and seen == [(2, 3), (3, 3)]  # two found, then the one run
    assert not list(folder.glob(".*"))  # no temporary file left


def test_an_interrupted_batch_keeps_what_it_finished(tmp_path):
    folder = tmp_path / "done"
    with pytest.raises(InfeasibleError):
        Runner(workers=0).map(infeasible_at_3, [0, 1, 2, 3, 4], shared=str(tmp_path),
                              resume_dir=folder)
    assert sorted(p.name for p in folder.iterdir()) == ["0.json", "1.json", "2.json"]


def test_resume_keys_and_results_must_fit_a_file(tmp_path):
    runner = Runner(workers=0)
    with pytest.raises(ValueError, match="file names"):
        runner.map(figures, [1], resume_dir=tmp_path, key=lambda i: "../up")
    with pytest.raises(ValueError, match="'same' is given twice"):
        runner.map(figures, [1, 2], resume_dir=tmp_path, key=lambda i: "same")
    with pytest.raises(TypeError, match="set is not JSON"):
        runner.map(as_set, [1], resume_dir=tmp_path)
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------ on clusters
@pytest.mark.slow
def test_one_process_a_local_cluster_and_a_scheduler_give_the_same_batches(
        case, dask_scheduler_address):
    sc = Scenario(name="s", mip_gap=0.0)
    runs = {}
    for runner in (Runner(workers=0), Runner(workers=LOCAL),
                   Runner(scheduler=dask_scheduler_address)):
        runner.quiet = True
        sw = sweep(case, sc, "realization", [0.2, 0.3, 0.4], runner=runner)
        g = grid(case, sc, "realization", [0.2, 0.4], "capacity_scale", [0.7, 1.2], runner=runner)
        runs[runner.where] = (sw, g, capacity_frontier(case, sc, max_hires=2, runner=runner))
    (sw0, g0, f0), *others = runs.values()
    assert len(sw0.swing) and g0.table["key_accounts"].nunique() > 1  # something to compare
    for where, (sw, g, f) in zip(list(runs)[1:], others, strict=True):
        pd.testing.assert_frame_equal(sw.table, sw0.table, check_exact=True, obj=where)
        pd.testing.assert_frame_equal(sw.selection, sw0.selection, check_exact=True, obj=where)
        pd.testing.assert_frame_equal(g.table, g0.table, check_exact=True, obj=where)
        pd.testing.assert_frame_equal(f, f0, check_exact=True, obj=where)
        assert sw.summary_text() == sw0.summary_text() and g.summary_text() == g0.summary_text()
        for p, p0 in zip(sw.plans, sw0.plans, strict=True):
            pd.testing.assert_frame_equal(p.accounts, p0.accounts, check_exact=True)
            assert p.case is case and p.model is None  # the case put back, the model left out
            p.verify()


@pytest.mark.slow
def test_decision_costs_on_a_scheduler(dask_scheduler_address):
    c12 = make_case(customers=12, managers=3, seed=2)
    sc = Scenario(mip_gap=0.0, leads={"K0001": "M01", "K0002": "M02"})
    here = lead_costs(c12, sc, runner=Runner(workers=0))
    there = lead_costs(c12, sc, runner=Runner(scheduler=dask_scheduler_address, quiet=True))
    pd.testing.assert_frame_equal(there.table, here.table, check_exact=True)
    assert there.summary_text() == here.summary_text() and there.plan.case is c12


@pytest.mark.slow
@pytest.mark.parametrize("where", ["local", "scheduler"])
def test_shared_goes_to_each_worker_once(where, dask_scheduler_address):
    runner = (Runner(workers=LOCAL, quiet=True) if where == "local"
              else Runner(scheduler=dask_scheduler_address, quiet=True))
    shared = {"token": os.urandom(8).hex()}  # its own data, not an equal one sent earlier
    out = runner.map(count_calls, range(12), shared=shared)
    calls: dict[int, list[int]] = {}
    for pid, n in out:
        calls.setdefault(pid, []).append(n)
    # each worker's tasks were handed one object: its count goes 1, 2, 3, ... (a copy sent
    # with each task would count 1 every time)
    assert sum(max(ns) for ns in calls.values()) == 12, calls
    assert all(sorted(ns) == list(range(1, len(ns) + 1)) for ns in calls.values()), calls
    assert shared == {"token": shared["token"]}  # the caller's object is left as it was


@pytest.mark.slow
@pytest.mark.parametrize("where", ["this process", "local", "scheduler"])
def test_an_error_in_a_task_reaches_the_caller_as_raised_and_is_not_tried_again(
        where, tmp_path, dask_scheduler_address):
    runner = {"this process": Runner(workers=0), "local": Runner(workers=LOCAL, quiet=True),
              "scheduler": Runner(scheduler=dask_scheduler_address, quiet=True)}[where]
    with pytest.raises(InfeasibleError) as raised:
        runner.map(infeasible_at_3, range(6), shared=str(tmp_path))
    assert raised.value.shortfalls == [Shortfall("K0003", "KAM hours", 120, 80, singular=True)]
    assert "K0003 needs at least 120 KAM hours" in str(raised.value)
    assert (tmp_path / "tries").read_text() == "try\n"  # retries are for lost workers only


@pytest.mark.slow
def test_a_worker_lost_mid_batch_costs_only_its_task(tmp_path):
    runner = Runner(workers=LOCAL, quiet=True)
    assert runner.map(die_once, range(4), shared=str(tmp_path)) == [0, 10, 20, 30]
    assert (tmp_path / "died").exists()  # a worker did die, and its task ran again


@pytest.mark.slow
def test_a_task_the_cluster_cancels_is_submitted_anew(tmp_path):
    runner = Runner(workers=LOCAL, quiet=True)
    assert runner.map(cancelled_once, range(4), shared=str(tmp_path)) == [0, 10, 20, 30]
    assert (tmp_path / "cancelled").exists()  # the task was cancelled, and ran again


@pytest.mark.slow
def test_an_interrupt_cancels_the_tasks_still_to_run(tmp_path):
    runner = Runner(workers=LOCAL, quiet=True)
    runner.start()
    folder = tmp_path / "done"
    threading.Timer(1.5, _thread.interrupt_main).start()  # as Ctrl-C does
    with pytest.raises(KeyboardInterrupt):
        runner.map(slow, range(20), shared=str(tmp_path), resume_dir=folder)
    time.sleep(3.0)  # uncancelled, 10 tasks would have started by now (2 workers, 1 s each)
    started = len(list(tmp_path.glob("started-*")))
    assert started <= 8, started  # 4 by the interrupt, and the ones on their way
    assert len(list(folder.glob("*.json"))) <= started and not list(folder.glob(".*"))
    assert runner.map(add, [1, 2], shared=1) == [2, 3]  # the cluster is ready for the next


# ------------------------------------------------------------------ the command line
@pytest.mark.slow
def test_the_command_line_plans_the_same_here_and_on_a_scheduler(
        case_folder, dask_scheduler_address, capsys):
    argv = ["sensitivity", str(case_folder), "--param", "realization", "--values", "0.2", "0.4",
            "--mip-gap", "0"]
    assert main([*argv, "--workers", "0", "--quiet"]) == 0
    here = capsys.readouterr()
    assert main([*argv, "--scheduler", dask_scheduler_address]) == 0
    there = capsys.readouterr()
    assert there.out == here.out and "Sensitivity to realization" in here.out
    assert there.err == here.err == ""  # no progress bar where stderr is not a terminal


def test_a_scheduler_that_does_not_answer_is_exit_2_in_one_line(
        case_folder, capsys, monkeypatch):
    monkeypatch.setattr(batch, "CONNECT_TIMEOUT", 1.0)
    for command in (["sensitivity", str(case_folder), "--param", "realization", "--values",
                     "0.2"], ["frontier", str(case_folder), "--max-hires", "1"]):
        assert main([*command, "--scheduler", "tcp://127.0.0.1:1"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("Cannot reach the Dask scheduler at tcp://127.0.0.1:1 (")
        assert err.count("\n") == 1 and "Traceback" not in err
    assert main(["frontier", str(case_folder), "--scheduler", "tcp://127.0.0.1:1",
                 "--workers", "2"]) == 2
    assert "--scheduler and --workers do not go together" in capsys.readouterr().err


def test_frontier_and_decision_costs_take_the_batch_options(case_folder, tmp_path, capsys):
    assert main(["frontier", str(case_folder), "--max-hires", "1", "--workers", "0",
                 "--quiet"]) == 0
    assert "Hires that pay" in capsys.readouterr().out
    sc = tmp_path / "leads.yml"
    sc.write_text("leads: {K0001: M01}\nmip_gap: 0\n")
    assert main(["decision-costs", str(case_folder), "--scenario", str(sc), "--workers", "0",
                 "--quiet"]) == 0
    assert "without any of them" in capsys.readouterr().out
