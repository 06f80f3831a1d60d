"""Benchmark: territory realignment (pair costs and minimum workloads) at growing sizes.

    .venv/bin/python benchmarks/bench_territory.py                      # 22x4 .. 2000x60
    .venv/bin/python benchmarks/bench_territory.py --sizes 200x10 --gap 0.001

Not a test. Generates territory cases in the published Pfizer Turkey table's
format (kamopt.case.published): N bricks uniformly in a 100 x 100 square, workload
indices lognormal and scaled so that they sum to the number of representatives,
R offices at random bricks, Euclidean distances, each brick's current
representative its nearest office (so today's workloads are out of balance).
Each is cast like the published case (band [0.8, 1.2]; distance, or
disruption first and distance second) and planned with ``kamopt.planning.oneyear``, each
size in its own process. Reports the time end to end, status, proven gap and
the plan's distance and disruption. The published case itself runs first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = ("22x4", "200x10", "1000x40", "2000x60")


def territory_table(bricks: int, reps: int, seed: int = 0):
    """A random case in the table format of ``pfizer_turkey_22x4.csv``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (bricks, 2))
    w = rng.lognormal(0.0, 0.6, bricks)
    w = np.round(w / w.sum() * reps, 4)
    offices = rng.choice(bricks, reps, replace=False)
    d = np.round(np.hypot(*(xy[:, None, :] - xy[offices][None, :, :]).transpose(2, 0, 1)), 2)
    table = pd.DataFrame({"brick": np.arange(1, bricks + 1), "index_value": w})
    for r in range(reps):
        table[f"d_SR{r + 1}"] = d[:, r]
    table["current_SR"] = d.argmin(axis=1) + 1
    return table


def one(size: str, objective: str, gap: float, time_limit: float) -> dict:
    import kamopt
    from kamopt.case.published import pfizer_scenario, pfizer_turkey, read_pfizer_turkey

    if size == "22x4":
        table = read_pfizer_turkey(ROOT / "data" / "validation" / "pfizer_turkey"
                                   / "pfizer_turkey_22x4.csv")
    else:
        n, r = (int(v) for v in size.split("x"))
        table = territory_table(n, r)
    case = pfizer_turkey(table, objective)
    sc = pfizer_scenario().replace(mip_gap=gap, time_limit=time_limit)
    t0 = time.perf_counter()
    p = kamopt.plan(case, sc)
    seconds = time.perf_counter() - t0
    p.verify()
    dist = table[[c for c in table.columns if c.startswith("d_SR")]].to_numpy()
    lead = p.accounts["manager_id"].str[2:].astype(int).to_numpy() - 1
    load = p.managers["hours_used"]
    return {"size": size, "objective": objective, "gap_asked": gap, "seconds": round(seconds, 2),
            "status": p.status, "gap": p.kpis["mip_gap"],
            "distance": round(float(dist[range(len(lead)), lead].sum()), 2),
            "disruption": round(p.kpis["hours_changing_hands"], 4),
            "nearest_distance": round(float(dist.min(axis=1).sum()), 2),  # a lower bound
            "workload_min": round(float(load.min()), 4), "workload_max": round(float(load.max()), 4),
            "columns": p.kpis["columns"], "message": p.solution.message[:80],
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=list(SIZES))
    ap.add_argument("--gap", type=float, default=0.001)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--one", nargs=2, metavar=("SIZE", "OBJECTIVE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], args.gap, args.time_limit)))
        return 0
    print(f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load {os.getloadavg()[0]:.2f}; gap {args.gap:g}, time limit {args.time_limit:g} s")
    for size in args.sizes:
        for objective in ("distance", "disruption"):
            out = subprocess.run([sys.executable, __file__, "--one", size, objective, "--gap",
                                  str(args.gap), "--time-limit", str(args.time_limit)],
                                 capture_output=True, text=True, check=False)
            print(out.stdout.strip() or out.stderr.strip()[-500:], flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
