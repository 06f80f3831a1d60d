"""The sample company's 3-year plan: proven gap and time (issue 6, item 7).

Plans ``data/sample`` with ``data/scenarios/base.yml`` and
``data/scenarios/midterm_base.yml`` (3 years, soft targets) end to end, as
``kamopt midterm`` does, and prints per run the status, the proven gap
(against the better of the LP bound and HiGHS's bound), the plan's objective,
the bound, the seconds and the machine's load average before and after.

    .venv/bin/python benchmarks/bench_midterm.py [--time-limit S] [--repeats N]

Not a test: figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kamopt import load_case  # noqa: E402
from kamopt.midterm import MidtermAssumptions, plan_midterm  # noqa: E402
from kamopt.scenario import Scenario  # noqa: E402


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=None,
                    help="seconds (default: the scenario's time_limit)")
    ap.add_argument("--mip-gap", type=float, default=None, help="default: the scenario's")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args(argv)
    case = load_case(ROOT / "data" / "sample")
    sc = Scenario.from_yaml(ROOT / "data" / "scenarios" / "base.yml")
    if args.time_limit is not None:
        sc = sc.replace(time_limit=args.time_limit)
    if args.mip_gap is not None:
        sc = sc.replace(mip_gap=args.mip_gap)
    a = MidtermAssumptions.from_yaml(ROOT / "data" / "scenarios" / "midterm_base.yml")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; time_limit {sc.time_limit:g} s, mip_gap {sc.mip_gap:g}")
    for r in range(args.repeats):
        before = load()
        t0 = time.perf_counter()
        mp = plan_midterm(case, sc, 3, assumptions=a)
        wall = time.perf_counter() - t0
        k = mp.kpis
        print(f"run {r + 1}: {mp.status}, proven gap {k['mip_gap']:.2%}, objective "
              f"{k['objective']:,.0f}, bound {k['bound']:,.0f}, build {k['build_seconds']:.1f} s, "
              f"solve {k['solve_seconds']:.1f} s, total {wall:.1f} s; load before {before}, "
              f"after {load()}")
        print(f"  {mp.solution.message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
