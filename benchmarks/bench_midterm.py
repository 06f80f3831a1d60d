"""The sample company's 3-year plan: proven gap and time (issue 6, item 7).

Plans ``data/sample`` with ``data/scenarios/base.yml`` and
``data/scenarios/midterm_base.yml`` (3 years, soft targets) end to end, as
``kamopt midterm`` does, and prints per run the status, the proven gap
(against the better of the LP bound and HiGHS's bound), the plan's objective,
the bound, what stopped the solve (``gap``, ``nodes``: its work budget, or
``time``: the safety net), the seconds, the machine's load average before and
after, and whether the plan is the first run's (every step stops at a work
budget, so repeats give the same plan unless the time limit stopped one).

    .venv/bin/python benchmarks/bench_midterm.py [--time-limit S] [--node-limit N]
        [--neighbourhoods N] [--root-checks N] [--repeats N]

Not a test: the seconds depend on the machine and on what else runs on it; the
plan does not.
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
from kamopt.case.assumptions import MidtermAssumptions  # noqa: E402
from kamopt.case.scenario import Scenario  # noqa: E402
from kamopt.planning.midterm import plan_midterm  # noqa: E402
from kamopt.solve import midterm  # noqa: E402  (the solve strategy: its budgets)


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=None,
                    help="seconds (default: the scenario's time_limit)")
    ap.add_argument("--mip-gap", type=float, default=None, help="default: the scenario's")
    ap.add_argument("--node-limit", type=int, default=None,
                    help="HiGHS's node budget (default: the scenario's, else MIDTERM_NODE_LIMIT)")
    ap.add_argument("--neighbourhoods", type=int, default=None,
                    help="the search's budget (default: MIDTERM_NEIGHBOURHOODS)")
    ap.add_argument("--root-checks", type=int, default=None,
                    help="HiGHS's root budget (default: MIDTERM_ROOT_CHECKS)")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args(argv)
    case = load_case(ROOT / "data" / "sample")
    sc = Scenario.from_yaml(ROOT / "data" / "scenarios" / "base.yml")
    if args.time_limit is not None:
        sc = sc.replace(time_limit=args.time_limit)
    if args.mip_gap is not None:
        sc = sc.replace(mip_gap=args.mip_gap)
    if args.node_limit is not None:
        sc = sc.replace(node_limit=args.node_limit)
    if args.neighbourhoods is not None:
        midterm.MIDTERM_NEIGHBOURHOODS = args.neighbourhoods
    if args.root_checks is not None:
        midterm.MIDTERM_ROOT_CHECKS = args.root_checks
    a = MidtermAssumptions.from_yaml(ROOT / "data" / "scenarios" / "midterm_base.yml")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; time_limit {sc.time_limit:g} s, mip_gap {sc.mip_gap:g}, "
          f"node budget {midterm.node_budget(sc)}, {midterm.MIDTERM_NEIGHBOURHOODS} "
          f"neighbourhoods, {midterm.MIDTERM_ROOT_CHECKS} root checks")
    first = None
    for r in range(args.repeats):
        before = load()
        t0 = time.perf_counter()
        mp = plan_midterm(case, sc, 3, assumptions=a)
        wall = time.perf_counter() - t0
        k = mp.kpis
        first = mp.accounts if first is None else first
        same = mp.accounts.equals(first)
        print(f"run {r + 1}: {mp.status}, proven gap {k['mip_gap']:.2%}, objective "
              f"{k['objective']:,.0f}, bound {k['bound']:,.0f}, stopped by {k['stopped_by']}, "
              f"build {k['build_seconds']:.1f} s, solve {k['solve_seconds']:.1f} s, total "
              f"{wall:.1f} s; load before {before}, after {load()}; "
              f"{'the same plan as run 1' if same else 'NOT the plan of run 1'}")
        print(f"  {mp.solution.message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
