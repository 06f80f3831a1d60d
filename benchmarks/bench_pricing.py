"""The large-case route (kamopt.solve.pricing): its work, its plan, and whether the load changes it.

Plans a generated case (``kamopt.case.sample.make_case(N, M, seed)``, the
``kamopt sample`` generator) through ``kamopt.plan`` and reports what the
route did: the LP rounds (pairs, simplex iterations, seconds, objective), the
Lagrangian steps, the neighbourhoods of the search, the HiGHS runs (nodes),
the plan (status, objective, bound, proven gap, ``stopped_by``) and a digest
of its ``plan.csv`` (as ``kamopt plan`` writes it).

    .venv/bin/python benchmarks/bench_pricing.py --size 5000x150            # default gap, 60 s
    .venv/bin/python benchmarks/bench_pricing.py --size 5000x150 --busy 2   # two cores burnt beside it
    .venv/bin/python benchmarks/bench_pricing.py --size 1000x40 --gap 0.01

The same ``plan_sha`` quiet and busy is the same plan.csv, byte for byte.
The last line is one JSON object. Not a test: times depend on the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def run(size: str, seed: int, gap: float | None, time_limit: float | None) -> dict:
    import kamopt.solve.pricing as pricing
    import kamopt.solve.search as search
    from kamopt import Scenario, plan
    from kamopt.case.sample import make_case
    from kamopt.planning.outputs import write_plan_outputs

    n, m = map(int, size.split("x"))
    keys = {k: v for k, v in (("mip_gap", gap), ("time_limit", time_limit)) if v is not None}
    scenario = Scenario(**keys)
    case = make_case(customers=n, managers=m, seed=seed)
    runs: list[dict] = []

    def counted(module):
        real = module.run_highs

        def run_highs(h, *a, **k):
            sol = real(h, *a, **k)
            info = h.getInfo()
            runs.append({"where": module.__name__.rsplit(".", 1)[-1],
                         "mip": k.get("is_mip", True), "seconds": round(sol.seconds, 2),
                         "iterations": int(info.simplex_iteration_count),
                         "nodes": int(info.mip_node_count), "status": str(sol.status),
                         "stopped_by": sol.stopped_by})
            return sol

        module.run_highs = run_highs

    counted(pricing)
    counted(search)
    t0 = time.perf_counter()
    p = plan(case, scenario)
    total = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        write_plan_outputs(p, Path(tmp))
        sha = hashlib.sha256((Path(tmp) / "plan.csv").read_bytes()).hexdigest()[:16]
    lp = [r for r in runs if not r["mip"]]
    return {
        "size": size, "seed": seed, "mip_gap": scenario.mip_gap,
        "time_limit": scenario.time_limit, "status": str(p.status), "objective": p.objective,
        "bound": p.kpis["bound"], "gap": p.kpis["mip_gap"], "stopped_by": p.kpis["stopped_by"],
        "total_s": round(total, 1), "plan_sha": sha, "message": p.solution.message,
        "lp_rounds": [{k: r[k] for k in ("iterations", "seconds", "status", "stopped_by")}
                      for r in lp if r["where"] == "pricing"],
        "neighbourhoods": sum(1 for r in runs if r["where"] == "search" and r["mip"]),
        "mip_runs": [{k: r[k] for k in ("where", "nodes", "seconds", "status", "stopped_by")}
                     for r in runs if r["mip"] and r["where"] == "pricing"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="5000x150", help="customers x managers, generated")
    ap.add_argument("--seed", type=int, default=1, help="make_case's seed")
    ap.add_argument("--gap", type=float, default=None, help="default: the scenario's")
    ap.add_argument("--time-limit", type=float, default=None, help="default: the scenario's")
    ap.add_argument("--busy", type=int, default=0, help="processes burning a core each beside it")
    ap.add_argument("--verbose", action="store_true", help="log the route's steps to stderr")
    a = ap.parse_args()
    if a.verbose:
        logging.basicConfig(level=logging.INFO,
                            format="%(relativeCreated)8.0f ms %(name)s: %(message)s")
    burn = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(a.busy)]
    try:
        out = run(a.size, a.seed, a.gap, a.time_limit)
    finally:
        for b in burn:
            b.kill()
            b.wait()
    out.update(busy=a.busy, machine=machine())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
