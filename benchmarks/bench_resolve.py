"""How fast the scenario explorer shows a plan after one control change, and how good.

A :class:`kamopt.analysis.session.PlanSession` plans the base scenario once, then goes
through 20 control changes as a user makes them in the explorer (each from
the state the previous one left). For each change it times what the explorer
shows at once (:meth:`~kamopt.analysis.session.PlanSession.quick`: the previous plan
repaired, provisional, with its proven gap) and then the refinement
(:meth:`~kamopt.analysis.session.PlanSession.solve`: the plan ``kamopt plan`` writes,
at the scenario's 0.1% gap and work budget).

    .venv/bin/python benchmarks/bench_resolve.py [--repeat N] [--busy K] [--no-refine]

``--busy K`` runs K processes that burn a core each beside it (the refined
plans must not change: compare ``plans_sha`` of a quiet and a busy run).
The last line is one JSON object: ``median_s``, ``p90_s``, ``max_s`` (time
to the first plan shown), ``max_gap`` (the largest proven gap of a first
plan shown), ``final_max_gap`` (after refinement), ``refine_median_s``,
``plans_sha`` (a digest of the 20 refined plan.csv), the load and machine.

Not a test: figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kamopt import load_case  # noqa: E402
from kamopt.analysis.session import PlanSession, explorer_scenario  # noqa: E402
from kamopt.case.scenario import Hire  # noqa: E402

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
    ap.add_argument("--busy", type=int, default=0, help="processes burning a core beside it")
    ap.add_argument("--no-refine", action="store_true", help="time the first plans only")
    args = ap.parse_args(argv)
    case = load_case(ROOT / "data" / "sample")
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(args.busy)]
    times, gaps, finals, refine, digest = [], [], [], [], hashlib.sha256()
    try:
        for run in range(args.repeat):
            session = PlanSession(case)
            sc = explorer_scenario()
            t0 = time.perf_counter()
            first = session.quick(sc)
            print(f"run {run + 1}: first plan {time.perf_counter() - t0:.2f} s, provisional, "
                  f"gap {first.kpis['mip_gap']:.2%}")
            for label, change in CHANGES:
                sc = sc.replace(**change)
                t0 = time.perf_counter()
                p = session.quick(sc)
                dt = time.perf_counter() - t0
                times.append(dt)
                gap = p.kpis["mip_gap"] if p is not None else float("inf")
                gaps.append(gap)
                line = (f"  {label:<24} {dt:6.2f} s  gap {gap:6.2%}  "
                        f"{(p.objective if p is not None else float('nan')):>12,.0f} EUR"
                        f"{'  (model rebuilt)' if session.info['rebuilt'] else ''}")
                if not args.no_refine:
                    t1 = time.perf_counter()
                    final = session.solve(sc)
                    refine.append(time.perf_counter() - t1)
                    finals.append(final.kpis["mip_gap"])
                    digest.update(final.table().to_csv(index=False).encode())
                    line += (f"  -> refined {refine[-1]:6.2f} s  {final.status:<8} gap "
                             f"{final.kpis['mip_gap']:6.2%} ({final.kpis['stopped_by']})  "
                             f"{final.objective:>12,.0f} EUR")
                print(line, flush=True)
    finally:
        for b in burners:
            b.kill()
            b.wait()
    q = statistics.quantiles(times, n=10)
    print(f"\nfirst plan after a control change: median {statistics.median(times):.2f} s, "
          f"p90 {q[-1]:.2f} s, max {max(times):.2f} s over {len(times)} changes; largest "
          f"proven gap {max(gaps):.2%}")
    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
               f"Python {platform.python_version()}, {platform.platform()}")
    print(json.dumps({
        "median_s": round(statistics.median(times), 3), "p90_s": round(q[-1], 3),
        "max_s": round(max(times), 3), "max_gap": round(max(gaps), 5),
        "final_max_gap": round(max(finals), 5) if finals else None,
        "refine_median_s": round(statistics.median(refine), 2) if refine else None,
        "plans_sha": digest.hexdigest()[:16] if finals else None,
        "busy": args.busy, "load": round(os.getloadavg()[0], 2), "machine": machine}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
