"""Benchmarks of the one-year key-account plan (not tests: run by hand, figures go to docs).

    .venv/bin/python benchmarks/run.py                 # all sizes
    .venv/bin/python benchmarks/run.py --sizes sample 1000x40

Each size runs in its own process (so peak memory is its own) and reports:
build (prepare + build the model), solve (HiGHS through kamopt), HiGHS alone on
the same model written to MPS (the floor), peak memory, status and gap.
The sample company is also timed end to end (load from disk, build, solve,
plan), median of several runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = {
    "sample": (250, 14),
    "1000x40": (1000, 40),
    "5000x150": (5000, 150),
    "20000x400": (20000, 400),
}


def machine() -> str:
    return (f"{platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}").strip()


def one(size: str, gap: float, time_limit: float, repeats: int) -> dict:
    import highspy

    from kamopt import Scenario, load_case, plan
    from kamopt.model import build
    from kamopt.prepare import prepare
    from kamopt.sample import make_case
    from kamopt.solve import highs_model, run_highs, solve

    n, m = SIZES[size]
    scenario = Scenario(mip_gap=gap, time_limit=time_limit)
    out: dict = {"size": size, "customers": n, "managers": m, "mip_gap_target": gap,
                 "time_limit": time_limit}
    if size == "sample":
        totals = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            plan(load_case(ROOT / "data" / "sample"), scenario)
            totals.append(time.perf_counter() - t0)
        out["end_to_end_median"] = statistics.median(totals)
        out["end_to_end_runs"] = totals
        case = load_case(ROOT / "data" / "sample")
    else:
        case = make_case(customers=n, managers=m, seed=1)
    t0 = time.perf_counter()
    data = prepare(case, scenario)
    km = build(data)
    out["build_seconds"] = time.perf_counter() - t0
    out["customers_in_model"] = int(data.customers["in_model"].sum())
    out["columns"], out["rows"] = km.lp.n_cols, km.lp.n_rows
    out["integer_columns"] = int(km.lp.arrays()["integer"].sum())
    sol = solve(km.lp, time_limit=time_limit, mip_gap=gap)
    out.update(status=sol.status, objective=sol.objective, gap=sol.gap,
               solve_seconds=sol.seconds)
    # the floor: HiGHS alone, reading the same model from an MPS file
    with tempfile.TemporaryDirectory() as tmp:
        mps = os.path.join(tmp, "model.mps")
        highs_model(km.lp).writeModel(mps)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(mps)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        s2 = run_highs(h, time_limit, gap)
        out.update(highs_alone_seconds=s2.seconds, highs_alone_status=s2.status,
                   highs_alone_gap=s2.gap)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["build_share"] = out["build_seconds"] / (out["build_seconds"] + out["solve_seconds"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", default=list(SIZES))
    ap.add_argument("--gap", type=float, default=None, help="default: 0.001 sample, 0.01 others")
    ap.add_argument("--time-limit", type=float, default=120)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "out" / "results.json")
    a = ap.parse_args()
    if a.one:
        gap = a.gap if a.gap is not None else (0.001 if a.one == "sample" else 0.01)
        print(json.dumps(one(a.one, gap, a.time_limit, a.repeats)))
        return
    print(f"machine: {machine()}")
    results = []
    for size in a.sizes:
        cmd = [sys.executable, __file__, "--one", size, "--time-limit", str(a.time_limit),
               "--repeats", str(a.repeats)]
        if a.gap is not None:
            cmd += ["--gap", str(a.gap)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            res = {"size": size, "error": r.stderr.strip().splitlines()[-1:] or ["killed"]}
        else:
            res = json.loads(r.stdout.strip().splitlines()[-1])
        results.append(res)
        print(json.dumps(res))
    a.json.parent.mkdir(parents=True, exist_ok=True)
    a.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
