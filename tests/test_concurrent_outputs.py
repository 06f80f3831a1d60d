"""Outputs under hostile text, concurrent writers, kills and interrupts (issue 20, items 4, 6-8).

* every CSV kamopt writes keeps text that a spreadsheet would run as a formula
  inert (a leading ``'``); numbers stay numbers; kamopt reads its own CSVs back
  as they were, so ``kamopt compare`` works with such ids; the workbooks store
  such text as text;
* two runs writing one folder (or saving one scenario name) at once leave one
  plan's set of files, and a reader never sees files of two plans;
* SIGTERM while ``kamopt plan --excel`` writes leaves no staging folder; one that
  a killed (SIGKILL) run left is removed by the next run;
* Ctrl-C while kamopt loads, or while it writes a workbook: exit 130,
  "Interrupted.", no traceback, nothing half written.

The races are repeated a bounded number of times and no mix may ever be seen;
the signal tests stop the child at a known point (it says so in a file) before
the signal is sent, so no test depends on timing.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kamopt.analysis.store import load_scenario, save_scenario
from kamopt.case.io import save_case
from kamopt.case.sample import make_case
from kamopt.case.scenario import Scenario
from kamopt.cli import main
from kamopt.planning.oneyear import plan
from kamopt.planning.outputs import write_plan_outputs

ROUNDS = 20  # writes per writer in each race
KAMOPT = Path(sys.executable).with_name("kamopt")  # the console command, as a user runs it


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def two_plans():
    """Two plans of one case with different numbers of key accounts."""
    case = make_case(customers=20, managers=3, seed=1)
    full = plan(case, Scenario(name="full", mip_gap=0.0))
    lean = plan(case, Scenario(name="lean", capacity_scale=0.3, mip_gap=0.0))
    assert full.kpis["key_accounts"] != lean.kpis["key_accounts"]
    return {p.scenario.capacity_scale: p for p in (full, lean)}


@pytest.fixture(scope="module")
def small_case(tmp_path_factory) -> Path:
    return save_case(make_case(customers=40, managers=5, seed=3),
                     tmp_path_factory.mktemp("case") / "small")


#: hostile ids and names: each starts as a spreadsheet formula would
HOSTILE_IDS = {"K0001": "=1+K0001", "K0002": "+K0002", "K0003": "-K0003", "K0004": "@K0004",
               "M01": "=M01", "M02": "-M02", "Logistik": "=Logistik", "A01": "@A01"}
HOSTILE_NAMES = ['=HYPERLINK("http://example.com","x")', "@SUM(1+1)*cmd|' /C calc'!A0",
                 "-2+3", "+Nord"]


@pytest.fixture(scope="module")
def hostile_case(tmp_path_factory) -> Path:
    """A case folder whose customer, manager, activity and department ids and some names
    start with '=', '+', '-' or '@'."""
    case = make_case(customers=12, managers=2, seed=1)
    first = list(case.customers.index[4:8])
    case.customers.loc[first, "name"] = HOSTILE_NAMES
    case.managers.loc[case.managers.index[0], "name"] = HOSTILE_NAMES[0]
    folder = save_case(case, tmp_path_factory.mktemp("hostile") / "case")
    for f in folder.iterdir():
        text = f.read_text(encoding="utf-8")
        for old, new in HOSTILE_IDS.items():
            text = text.replace(old, new)
        f.write_text(text, encoding="utf-8")
    return folder


# --------------------------------------------------- item 4: CSV injection
def _live(cell: str) -> bool:
    """A CSV cell a spreadsheet would evaluate: it starts with =, +, -, @, tab or CR and
    is not a plain number."""
    if not cell.startswith(("=", "+", "-", "@", "\t", "\r")):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def test_write_csv_neutralises_text_and_leaves_numbers_alone(tmp_path):
    from kamopt.case.staging import read_csv_text, write_csv

    frame = pd.DataFrame({"id": ["=1+1", "+A", "-B", "@C", "\t=D", "\r=E", "-12.5", "'=F", "G"],
                          "net": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, -8.25, 9.0],
                          "mixed": ["-x", -2.5, None, "ok", "=y", "", "+", "@", "'s-Hertogenbosch"]})
    write_csv(frame, tmp_path / "t.csv", float_format="%.2f")
    rows = list(csv.reader((tmp_path / "t.csv").open(encoding="utf-8", newline="")))
    assert rows[0] == ["id", "net", "mixed"]
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+A", "'-B", "'@C", "'\t=D", "'\r=E", "-12.5",
                                        "''=F", "G"]
    assert [r[1] for r in rows[1:]] == ["-1.50", "2.00", "-3.00", "4.00", "5.00", "6.00", "7.00",
                                        "-8.25", "9.00"]  # numbers, negative ones too
    assert not any(_live(cell) for row in rows for cell in row)
    back = read_csv_text(pd.read_csv(tmp_path / "t.csv", dtype={"id": str, "mixed": str},
                                     keep_default_na=False))
    assert back["id"].tolist() == frame["id"].tolist()  # as it was, exactly
    assert back["mixed"].tolist() == ["-x", "-2.5", "", "ok", "=y", "", "+", "@",
                                      "'s-Hertogenbosch"]


def test_hostile_ids_are_inert_in_every_csv_and_workbook_and_compare_still_works(
        hostile_case, tmp_path, capsys):
    import openpyxl

    lean = tmp_path / "lean.yml"
    lean.write_text("name: lean\ncapacity_scale: 0.3\nmip_gap: 0.0\n")
    o1, o2, o3 = tmp_path / "o1", tmp_path / "o2", tmp_path / "o3"
    assert main(["plan", str(hostile_case), "--out", str(o1), "--excel", "--mip-gap", "0"]) == 0
    assert main(["plan", str(hostile_case), "--out", str(o2), "--scenario", str(lean)]) == 0
    assert main(["plan", str(hostile_case), "--out", str(o3), "--years", "2", "--excel",
                 "--mip-gap", "0.01"]) == 0
    from kamopt.case.io import load_case

    saved = save_scenario(plan(load_case(hostile_case), Scenario(name="base", mip_gap=0.0)),
                          root=tmp_path / "store")
    capsys.readouterr()
    cmp_xlsx = tmp_path / "cmp.xlsx"
    assert main(["compare", str(o1), str(o2), str(saved), "--case", str(hostile_case),
                 "--excel", str(cmp_xlsx)]) == 0
    shown = capsys.readouterr().out
    assert "=M01" in shown and "-M02" in shown  # the ids as they are, read back from the CSVs

    files = sorted(p for d in (o1, o2, o3, saved) for p in d.glob("*.csv"))
    assert {p.name for p in files} >= {"plan.csv", "managers.csv", "departments.csv",
                                       "plan_by_year.csv", "intake.csv", "hires.csv",
                                       "changes.csv", "targets.csv"}
    cells = {p: [c for row in csv.reader(p.open(encoding="utf-8", newline="")) for c in row]
             for p in files}
    live = [(p.name, c) for p, cs in cells.items() for c in cs if _live(c)]
    assert live == []
    everything = {c for cs in cells.values() for c in cs}
    for hostile in ("=1+K0001", "+K0002", "-K0003", "@K0004", "=M01", "-M02", "=Logistik"):
        assert f"'{hostile}" in everything, hostile
    assert "'" + HOSTILE_NAMES[0] in everything  # a manager's name in managers.csv
    # kamopt reads its CSVs back as they were: the ids round-trip
    for where in (o1, saved):
        s = load_scenario(where)
        assert {"=1+K0001", "+K0002", "-K0003", "@K0004"} <= set(s.plan.index)
        assert set(s.managers.index) == {"=M01", "-M02"}
    from kamopt.analysis.store import load_midterm

    assert "=1+K0001" in set(load_midterm(o3).plan["customer_id"])
    # the workbooks store the same text as text, never as a formula
    for book in (o1 / "plan.xlsx", o3 / "midterm.xlsx", cmp_xlsx):
        wb = openpyxl.load_workbook(book)
        texts = [c for ws in wb for row in ws.iter_rows() for c in row
                 if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
        assert texts, book
        assert {c.data_type for c in texts} == {"s"}, book
    wb = openpyxl.load_workbook(o1 / "plan.xlsx")
    assert "=1+K0001" in {c.value for row in wb["Accounts"].iter_rows() for c in row}


# ------------------------------------------- item 6: two writers, one folder
def _race(writers, reader_check) -> tuple[list, int]:
    """Run the ``writers`` (callables) ROUNDS times each in threads, started at once, while
    a reader thread calls ``reader_check`` until they are done; the failures it saw and the
    number of reads."""
    start = threading.Barrier(len(writers) + 1)
    done = threading.Event()
    failures: list = []
    reads = [0]

    def write(w):
        start.wait()
        try:
            for _ in range(ROUNDS):
                w()
        except Exception as exc:  # a writer that fails is a failure too
            failures.append(("writer", repr(exc)))

    def read():
        start.wait()
        while not done.is_set() or reads[0] == 0:
            try:
                reader_check()
            except Exception as exc:
                failures.append(("reader", repr(exc)))
            reads[0] += 1

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    threads.append(threading.Thread(target=read))
    for t in threads:
        t.start()
    for t in threads[:-1]:
        t.join()
    done.set()
    threads[-1].join()
    return failures, reads[0]


def _one_plan(saved, two_plans) -> None:
    """The files of ``saved`` are all of one of ``two_plans``: summary, scenario, plan.csv and
    managers.csv agree."""
    cap = saved.summary["scenario"]["capacity_scale"]
    assert saved.scenario.capacity_scale == cap  # scenario.yml (or summary's) of the same plan
    expected = two_plans[cap]
    assert saved.summary["key_accounts"] == expected.kpis["key_accounts"]
    assert int(saved.plan["key_account"].sum()) == expected.kpis["key_accounts"]
    assert saved.plan["manager_id"].tolist() == expected.table()["manager_id"].tolist()
    assert np.allclose(saved.managers["hours_used"], expected.managers["hours_used"], atol=0.006)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp." in p.name or p.name.endswith(".lock"))


def test_two_writers_of_one_folder_never_leave_a_mix_and_a_reader_never_sees_one(
        two_plans, tmp_path):
    out = tmp_path / "o"
    a, b = two_plans.values()
    write_plan_outputs(a, out)
    (out / "notes.txt").write_text("mine")
    failures, reads = _race([lambda: write_plan_outputs(a, out),
                             lambda: write_plan_outputs(b, out)],
                            lambda: _one_plan(load_scenario(out), two_plans))
    assert failures == [] and reads > 0
    _one_plan(load_scenario(out), two_plans)
    assert (out / "notes.txt").read_text() == "mine"  # the user's file stays
    assert _leftovers(tmp_path) == [] and _leftovers(out) == []


def test_two_saves_of_one_scenario_name_never_leave_a_mix(two_plans, tmp_path):
    root = tmp_path / "store"
    a, b = two_plans.values()
    save_scenario(a, "same", root=root)
    failures, reads = _race([lambda: save_scenario(a, "same", root=root),
                             lambda: save_scenario(b, "same", root=root)],
                            lambda: _one_plan(load_scenario("same", root=root), two_plans))
    assert failures == [] and reads > 0
    saved = load_scenario("same", root=root)
    _one_plan(saved, two_plans)
    assert saved.scenario.name == "same"
    assert _leftovers(root) == [] and _leftovers(root / "same") == []


def test_a_writer_waits_for_a_reader_and_the_loser_of_a_long_wait_is_told(two_plans, tmp_path):
    from kamopt.case.staging import folder_lock
    from kamopt.errors import InputError

    out = tmp_path / "o"
    a, b = two_plans.values()
    write_plan_outputs(a, out)
    writer = threading.Thread(target=write_plan_outputs, args=(b, out))
    with folder_lock(out, shared=True):  # a reader holds the folder
        with pytest.raises(InputError, match="is being written or read by another kamopt run"):
            with folder_lock(out, wait=0):
                pass
        writer.start()
        for _ in range(ROUNDS):  # whatever the writer has done by now, it has not moved in
            assert load_scenario(out).summary["key_accounts"] == a.kpis["key_accounts"]
    writer.join()  # it waited for the reader, then moved its set in
    assert load_scenario(out).summary["key_accounts"] == b.kpis["key_accounts"]
    assert _leftovers(tmp_path) == []


def test_ctrl_c_while_a_set_of_outputs_is_moved_in_waits_for_the_whole_set(
        two_plans, tmp_path, monkeypatch):
    from kamopt.case import staging

    out = tmp_path / "o"
    a, b = two_plans.values()
    write_plan_outputs(a, out)
    replace = os.replace
    sent = []

    def replace_and_interrupt(src, dst):
        if not sent:  # Ctrl-C as the first file moves in
            sent.append(1)
            os.kill(os.getpid(), signal.SIGINT)
        replace(src, dst)

    monkeypatch.setattr(staging.os, "replace", replace_and_interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_plan_outputs(b, out)
    monkeypatch.undo()
    assert sent
    saved = load_scenario(out)
    _one_plan(saved, two_plans)
    assert saved.summary["key_accounts"] == b.kpis["key_accounts"]  # all of b's files
    assert _leftovers(tmp_path) == []


# ------------------------------------------- items 7 and 8: signals, kills
CHILD = r'''
import os, runpy, sys, time
from pathlib import Path

hold, ready, script = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
sys.argv = [script, *sys.argv[4:]]


def wait_for_the_signal():
    ready.write_text(str(os.getpid()))
    for _ in range(12000):  # a bound; the test signals as soon as it sees `ready`
        time.sleep(0.005)


if hold == "import":  # in the import of pandas, while `import kamopt` runs
    class Hold:
        def find_spec(self, name, path=None, target=None):
            if name == "pandas":
                sys.meta_path.remove(self)
                wait_for_the_signal()
            return None

    sys.meta_path.insert(0, Hold())
else:  # in the middle of writing plan.xlsx's cells
    import openpyxl.worksheet.worksheet as ws

    cell, calls = ws.Worksheet.cell, [0]

    def held(self, *a, **k):
        calls[0] += 1
        if calls[0] == 60:
            wait_for_the_signal()
        return cell(self, *a, **k)

    ws.Worksheet.cell = held
runpy.run_path(script, run_name="__main__")  # the console command itself
'''


def _held_run(tmp_path: Path, hold: str, *args: str) -> tuple[subprocess.Popen, Path]:
    """``kamopt ARGS`` (the console command) in a child that stops at ``hold`` ('import' or
    'excel') and says so in a file; returns the child and that file once it exists."""
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    ready = tmp_path / f"ready-{hold}"
    proc = subprocess.Popen([sys.executable, str(child), hold, str(ready), str(KAMOPT), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(24000):  # bounded: the child stops at `hold` or ends
            if ready.exists() or proc.poll() is not None:
                break
            threading.Event().wait(0.005)
        assert ready.exists(), proc.communicate(timeout=60)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return proc, ready


def _staging(folder: Path, name: str = "o") -> list[Path]:
    return sorted(folder.glob(f".{name}.tmp.*"))


@pytest.mark.parametrize("signum, code, said", [(signal.SIGINT, 130, "Interrupted."),
                                                (signal.SIGTERM, 143, "Terminated.")])
def test_a_signal_while_the_workbook_is_written_leaves_no_staging_folder_nor_a_half_output(
        signum, code, said, small_case, tmp_path):
    out = tmp_path / "o"
    assert main(["plan", str(small_case), "--out", str(out), "--mip-gap", "0.05"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc, _ = _held_run(tmp_path, "excel", "plan", str(small_case), "--out", str(out),
                        "--excel", "--mip-gap", "0")
    assert _staging(tmp_path)  # the child is writing its staging folder now
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1] == said and "Traceback" not in err
    assert _staging(tmp_path) == [] and not list(tmp_path.glob(".o.lock"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the earlier set, whole


@pytest.mark.parametrize("signum, code, said", [(signal.SIGINT, 130, "Interrupted."),
                                                (signal.SIGTERM, 143, "Terminated.")])
def test_a_signal_while_kamopt_loads_exits_cleanly_without_a_traceback(
        signum, code, said, small_case, tmp_path):
    proc, _ = _held_run(tmp_path, "import", "plan", str(small_case), "--out",
                        str(tmp_path / "o"))
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert err.strip() == said
    assert not (tmp_path / "o").exists()


def test_staging_folders_of_a_killed_run_are_removed_by_the_next_run(small_case, tmp_path):
    out = tmp_path / "o"
    proc, _ = _held_run(tmp_path, "excel", "plan", str(small_case), "--out", str(out),
                        "--excel", "--mip-gap", "0")
    proc.kill()  # SIGKILL: nothing of the child runs any more
    proc.communicate(timeout=60)
    left = _staging(tmp_path)
    assert left and str(proc.pid) in left[0].name  # the killed run's, named by its pid
    # a staging folder of a live process (of this machine) is not touched
    alive = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        busy = tmp_path / left[0].name.replace(f".{proc.pid}@", f".{alive.pid}@")
        busy.mkdir()
        assert main(["plan", str(small_case), "--out", str(out), "--mip-gap", "0.05"]) == 0
        assert _staging(tmp_path) == [busy]
    finally:
        alive.communicate(input=b"")
    assert (out / "plan.csv").is_file() and json.loads((out / "summary.json").read_text())


def test_a_stale_staging_file_of_a_dead_process_is_removed_beside_a_workbook(tmp_path):
    from kamopt.case.staging import _HOST, staged_file

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".cmp.tmp.{dead.pid}@{_HOST}.abcd1234.xlsx"
    stale.write_bytes(b"half")
    other = tmp_path / f".cmp.tmp.{dead.pid}@another-host.abcd1234.xlsx"  # not this machine's
    other.write_bytes(b"half")
    with staged_file(tmp_path / "cmp.xlsx") as tmp:
        tmp.write_bytes(b"whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["cmp.xlsx", other.name])


def test_an_error_that_an_interrupt_caused_is_reported_as_the_interrupt(
        small_case, tmp_path, capsys, monkeypatch):
    """openpyxl, stopped by Ctrl-C amid a workbook, can raise a TypeError as pandas closes
    it: that run was interrupted (130), not an internal error (1)."""
    from kamopt.planning import outputs

    def broken_by_ctrl_c(plan, path):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise TypeError("expected <class 'openpyxl.styles.fills.Fill'>") from None

    monkeypatch.setattr(outputs, "plan_to_excel", broken_by_ctrl_c)
    out = tmp_path / "o"
    assert main(["plan", str(small_case), "--out", str(out), "--excel"]) == 130
    assert capsys.readouterr().err.strip() == "Interrupted."
    assert not out.exists() and _staging(tmp_path) == []
