"""Uncertainty batches on Dask: scaling, what a task pays to Dask, memory, the two-stage solve.

    .venv/bin/python benchmarks/bench_uncertainty.py scaling --draws 200     # 1 and 2 workers
    .venv/bin/python benchmarks/bench_uncertainty.py overhead --tasks 400
    .venv/bin/python benchmarks/bench_uncertainty.py two-stage --sizes 10 25 50

``scaling`` runs ``kamopt uncertainty data/sample --draws N --seed 1`` (a 1% gap: two
plans a draw) as a whole process on a local cluster of 1 and of 2 workers, and checks
the two give the same files; ``overhead`` maps a task that does nothing through the
runner in this process and on a local cluster of 2 (the difference a task is what Dask
costs it) and reads each worker's memory after a batch of plans; ``two-stage`` times
the two-stage plan's extensive form for S decision draws (the LP bound, the candidates,
HiGHS from the best) and its size. Each prints a JSON line. Not a test: times depend on
the machine and its load (say the load beside a figure).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
KAMOPT = str(Path(sys.executable).with_name("kamopt"))


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for name in ("selection.csv", "draws.csv"):
        h.update((folder / name).read_bytes())
    return h.hexdigest()[:16]


def scaling(draws: int, workers: list[int]) -> dict:
    out = {"machine": machine(), "draws": draws, "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        for w in workers:
            folder = Path(tmp) / f"w{w}"
            t0 = time.perf_counter()
            r = subprocess.run([KAMOPT, "uncertainty", "data/sample", "--draws", str(draws),
                                "--seed", "1", "--out", str(folder), "--workers", str(w),
                                "--quiet"], cwd=ROOT, capture_output=True, text=True)
            seconds = time.perf_counter() - t0
            if r.returncode:
                raise SystemExit(r.stderr)
            plans = 2 * draws
            out["runs"].append({"workers": w, "seconds": round(seconds, 1),
                                "plans_per_second": round(plans / seconds, 2),
                                "digest": digest(folder), "load_after": os.getloadavg()[0]})
    base = out["runs"][0]["seconds"]
    for run in out["runs"]:
        run["speed_up"] = round(base / run["seconds"], 2)
    out["same_files"] = len({r["digest"] for r in out["runs"]}) == 1
    return out


def _nothing(shared, item):
    return item


def _memory(shared, item):
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB


def overhead(tasks: int) -> dict:
    from kamopt.analysis.uncertainty import Shared, plan_draw
    from kamopt.case.io import load_case
    from kamopt.case.scenario import Scenario
    from kamopt.case.uncertainty import Uncertainty
    from kamopt.planning.batch import Runner, close_local_clusters

    case = load_case(ROOT / "data" / "sample")
    out = {"machine": machine(), "tasks": tasks}
    for w in (0, 2):
        runner = Runner(workers=w, quiet=True)
        runner.map(_nothing, [0, 1], shared=case)  # start the cluster first
        t0 = time.perf_counter()
        runner.map(_nothing, list(range(tasks)), shared=case)
        out[f"ms_per_empty_task_workers_{w}"] = round(1000 * (time.perf_counter() - t0) / tasks,
                                                      3)
    runner = Runner(workers=2, quiet=True)
    shared = Shared(case, Scenario(mip_gap=0.01, uncertainty=Uncertainty(0.25)), 1)
    t0 = time.perf_counter()
    runner.map(plan_draw, [{"kind": "perfect", "draw": k} for k in range(8)], shared=shared)
    out["seconds_8_plans_workers_2"] = round(time.perf_counter() - t0, 2)
    out["peak_rss_mb_per_worker"] = runner.map(_memory, [0, 1, 2, 3], shared=None)
    close_local_clusters()
    return out


def two_stage(sizes: list[int]) -> dict:
    import numpy as np

    from kamopt.analysis.uncertainty import (
        Shared,
        drawn,
        leads_of,
        point_scenario,
    )
    from kamopt.case.io import load_case
    from kamopt.case.scenario import Scenario
    from kamopt.case.uncertainty import DECISION_SAMPLE, Range, Uncertainty
    from kamopt.model.twostage import build_two_stage, draw_values, union_data
    from kamopt.planning.oneyear import plan
    from kamopt.solve.twostage import solve_two_stage

    case = load_case(ROOT / "data" / "sample")
    sc = Scenario(mip_gap=0.01, uncertainty=Uncertainty(0.25, realization=Range(0.2, 0.4),
                                                        retention=Range(0.03, 0.07)))
    shared = Shared(case, sc, 1)
    det = leads_of(plan(case, point_scenario(sc)))
    out = {"machine": machine(), "runs": []}
    for S in sizes:
        import resource

        t0 = time.perf_counter()
        d = union_data(case, sc)
        values = [draw_values(d, *drawn(shared, k, DECISION_SAMPLE)) for k in range(S)]
        tm = build_two_stage(d, values)
        build = time.perf_counter() - t0
        x = np.array([1.0 if det.get(c) == j else 0.0
                      for c, j in zip(d.pairs["customer_id"], d.pairs["manager_id"], strict=True)])
        sol = solve_two_stage(tm, {"deterministic": x}, sc.mip_gap)
        out["runs"].append({
            "draws": S, "columns": tm.lp.n_cols, "rows": tm.lp.n_rows,
            "build_seconds": round(build, 2), "solve_seconds": round(sol.seconds, 1),
            "objective": round(sol.objective, 2), "gap": round(sol.gap, 5),
            "chosen": sol.chosen, "candidates": sol.candidates, "stopped_by": sol.stopped_by,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "load_after": os.getloadavg()[0]})
        print(json.dumps(out["runs"][-1]), flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("scaling")
    s.add_argument("--draws", type=int, default=200)
    s.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    o = sub.add_parser("overhead")
    o.add_argument("--tasks", type=int, default=400)
    t = sub.add_parser("two-stage")
    t.add_argument("--sizes", type=int, nargs="+", default=[10, 25, 50])
    a = p.parse_args()
    if a.what == "scaling":
        print(json.dumps(scaling(a.draws, a.workers)))
    elif a.what == "overhead":
        print(json.dumps(overhead(a.tasks)))
    else:
        print(json.dumps(two_stage(a.sizes)))


if __name__ == "__main__":
    main()
