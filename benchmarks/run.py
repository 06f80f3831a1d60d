"""Benchmarks of the one-year key-account plan (not tests: run by hand, figures go to docs).

    .venv/bin/python benchmarks/run.py                 # all sizes
    .venv/bin/python benchmarks/run.py --sizes sample 1000x40   # or any NxM, generated

Each size runs in its own process (so peak memory is its own) and reports:
build (prepare + every model build, including those inside the pricing loop
of kamopt.solve.pricing), solve (the rest of kamopt.planning.oneyear), HiGHS alone on the model
kamopt solved, written to MPS (the floor), and for priced cases HiGHS alone on
the full model (what one gets without pricing), peak memory, status and gap.
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


def _highs_alone(lp, time_limit: float, gap: float) -> dict:
    """HiGHS by itself on ``lp`` written to MPS and read back (no kamopt in the loop)."""
    import highspy

    from kamopt.solve.backend import highs_model, new_highs, run_highs

    with tempfile.TemporaryDirectory() as tmp:
        mps = os.path.join(tmp, "model.mps")
        highs_model(lp).writeModel(mps)
        h = new_highs()
        h.readModel(mps)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        s = run_highs(h, time_limit, gap)
    return {"seconds": s.seconds, "status": s.status, "gap": s.gap, "objective": s.objective}


def one(size: str, gap: float, time_limit: float, repeats: int, alone: bool = True) -> dict:
    import kamopt.solve.pricing as pricing
    from kamopt import Scenario, load_case, plan
    from kamopt.case.sample import make_case
    from kamopt.model.oneyear import build
    from kamopt.model.prepare import prepare

    n, m = SIZES[size] if size in SIZES else map(int, size.split("x"))  # any NxM: generated
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
    # time every model build, also those inside the pricing loop
    build_time = [0.0]
    real_build = pricing.build

    def timed_build(*a, **k):
        t = time.perf_counter()
        r = real_build(*a, **k)
        build_time[0] += time.perf_counter() - t
        return r

    pricing.build = timed_build
    t0 = time.perf_counter()
    p = plan(case, scenario)
    total = time.perf_counter() - t0
    km = p.model
    t1 = time.perf_counter()
    data = prepare(case, scenario)
    out["prepare_seconds"] = time.perf_counter() - t1
    out["full_size"] = pricing.full_size(data)
    out["priced"] = "priced" in p.solution.message
    if not out["priced"]:
        t1 = time.perf_counter()
        build(data)
        build_time[0] = time.perf_counter() - t1
    out["build_seconds"] = out["prepare_seconds"] + build_time[0]
    out["total_seconds"] = total
    out["solve_seconds"] = total - out["build_seconds"]
    out["build_share"] = out["build_seconds"] / total
    out["customers_in_model"] = int(data.customers["in_model"].sum())
    out["columns"], out["rows"] = km.lp.n_cols, km.lp.n_rows
    out["integer_columns"] = int(km.lp.arrays()["integer"].sum())
    out.update(status=p.status, objective=p.objective, gap=p.kpis["mip_gap"],
               bound=p.kpis["bound"], message=p.solution.message)
    out["peak_rss_mb_kamopt"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if alone:
        out["highs_alone_same_model"] = _highs_alone(km.lp, time_limit, gap)
    if alone and out["priced"] and out["full_size"] <= 2_000_000:
        out["highs_alone_full_model"] = _highs_alone(build(data).lp, time_limit, gap)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", default=list(SIZES))
    ap.add_argument("--gap", type=float, default=None, help="default: 0.001 sample, 0.01 others")
    ap.add_argument("--time-limit", type=float, default=60)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--no-highs-alone", action="store_true",
                    help="skip the runs of HiGHS alone (they take the time limit again)")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "out" / "results.json")
    ap.add_argument("--verbose", action="store_true", help="log the pricing rounds to stderr")
    a = ap.parse_args()
    if a.verbose:
        import logging

        logging.basicConfig(level=logging.INFO, format="%(relativeCreated)8.0f ms %(name)s: %(message)s")
    if a.one:
        gap = a.gap if a.gap is not None else (0.001 if a.one == "sample" else 0.01)
        print(json.dumps(one(a.one, gap, a.time_limit, a.repeats, not a.no_highs_alone)))
        return
    print(f"machine: {machine()}")
    results = []
    for size in a.sizes:
        cmd = [sys.executable, __file__, "--one", size, "--time-limit", str(a.time_limit),
               "--repeats", str(a.repeats)]
        if a.gap is not None:
            cmd += ["--gap", str(a.gap)]
        if a.no_highs_alone:
            cmd += ["--no-highs-alone"]
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
