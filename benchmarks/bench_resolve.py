"""How fast the scenario explorer re-plans the sample company after one control change.

A :class:`kamopt.session.PlanSession` plans the base scenario once, then goes
through 20 control changes as a user makes them in the explorer (each from
the state the previous one left), at the explorer's 1% gap and 5 s limit.
Prints each change's wall time, status and gap, the median and the machine.

    .venv/bin/python benchmarks/bench_resolve.py [--repeat N]

Not a test: figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kamopt import load_case  # noqa: E402
from kamopt.scenario import Hire  # noqa: E402
from kamopt.session import PlanSession, explorer_scenario  # noqa: E402

#: one control change each, applied on top of the previous ones
CHANGES = [
    ("capacity scale 1.10", {"capacity_scale": 1.10}),
    ("capacity scale 1.00", {"capacity_scale": 1.00}),
    ("realisation 0.25", {"realization": 0.25}),
    ("realisation 0.30", {"realization": 0.30}),
    ("retention 0.07", {"retention": 0.07}),
    ("retention 0.05", {"retention": 0.05}),
    ("industry fit 0.20", {"industry_fit": 0.20}),
    ("industry fit 0.10", {"industry_fit": 0.10}),
    ("continuity bonus 2,000", {"continuity_bonus": 2000.0}),
    ("continuity bonus 0", {"continuity_bonus": 0.0}),
    ("budget 2.4 M EUR", {"budget": 2.4e6}),
    ("no budget", {"budget": None}),
    ("max 115 key accounts", {"max_key_accounts": 115}),
    ("no max", {"max_key_accounts": None}),
    ("M11 away", {"unavailable_managers": ("M11",)}),
    ("M11 back", {"unavailable_managers": ()}),
    ("hire 1 KAM", {"hires": (Hire(1, 2, 1355.0, 96.5),)}),
    ("no hire", {"hires": ()}),
    ("K0001 must", {"must": ("K0001",)}),
    ("K0032 excluded", {"must": (), "exclude": ("K0032",)}),
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="runs of the 20 changes (default 1)")
    args = ap.parse_args(argv)
    case = load_case(ROOT / "data" / "sample")
    times: list[float] = []
    for run in range(args.repeat):
        session = PlanSession(case)
        sc = explorer_scenario()
        t0 = time.perf_counter()
        first = session.solve(sc)
        print(f"run {run + 1}: first plan {time.perf_counter() - t0:.2f} s, {first.status}, "
              f"gap {first.kpis['mip_gap']:.2%}")
        for label, change in CHANGES:
            sc = sc.replace(**change)
            t0 = time.perf_counter()
            p = session.solve(sc)
            dt = time.perf_counter() - t0
            times.append(dt)
            print(f"  {label:<24} {dt:6.2f} s  {p.status:<8} gap {p.kpis['mip_gap']:6.2%}  "
                  f"{p.objective:>12,.0f} EUR  {p.kpis['key_accounts']:>3} key accounts"
                  f"{'  (model rebuilt)' if session.info['rebuilt'] else ''}")
    q = statistics.quantiles(times, n=10)
    print(f"\nre-plan after a control change: median {statistics.median(times):.2f} s, "
          f"p90 {q[-1]:.2f} s, max {max(times):.2f} s over {len(times)} changes "
          f"({sum(t < 0.5 for t in times)} under 0.5 s)")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {platform.platform()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
