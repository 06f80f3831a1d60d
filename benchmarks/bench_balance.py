"""How long balanced workloads take on the sample company, and where they stop.

Plans the sample (``data/sample``) with the scenario's defaults (0.1% gap, the node
budgets, the 60 s safety net) and one ``balance`` block each, as ``kamopt plan
data/sample --scenario FILE`` does (:func:`kamopt.plan`, the one solve strategy):

* ``hours20``: ``balance: {measure: hours, within: 0.2}``
* ``hours30``: ``balance: {measure: hours, within: 0.3}``
* ``accounts30``: ``balance: {measure: accounts, within: 0.3}``
* ``least_largest``: ``balance: {objective: least_largest_workload}`` (hours)
* ``util05``, ``util10``, ``util20``: ``balance: {measure: utilisation, within: 0.05}``,
  ``0.1``, ``0.2`` (each manager's hours as a share of his or her capacity)
* ``unbalanced``: no ``balance`` (the plan the bands are compared with)

    .venv/bin/python benchmarks/bench_balance.py [--only hours30 ...] [--time-limit S]

One line per scenario, then one JSON object: for each scenario the wall time, status,
``stopped_by`` (``gap``: proven; ``nodes``: a work budget; ``time``: the safety net,
which makes the answer depend on the machine), the net contribution, its proven gap,
the spread of the loads and a digest of the plan (the same digest on a quiet and a busy
machine is the point of work budgets); the load (``uptime``) and the machine.

Not a test: figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import kamopt  # noqa: E402
from kamopt.case.scenario import Scenario  # noqa: E402
from kamopt.errors import KamoptError, VerificationError  # noqa: E402

SCENARIOS = {
    "hours20": {"measure": "hours", "within": 0.2},
    "hours30": {"measure": "hours", "within": 0.3},
    "accounts30": {"measure": "accounts", "within": 0.3},
    "least_largest": {"objective": "least_largest_workload"},
    "util05": {"measure": "utilisation", "within": 0.05},
    "util10": {"measure": "utilisation", "within": 0.1},
    "util20": {"measure": "utilisation", "within": 0.2},
    "unbalanced": None,
}

#: run when --only is not given (the unbalanced plan only on request)
DEFAULT = ("hours20", "hours30", "accounts30", "least_largest", "util05", "util10", "util20")


def load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    return (f"{platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}").strip()


def digest(p) -> str:
    acc = p.accounts
    keep = acc.loc[acc["key_account"].astype(int) == 1, ["manager_id", "level"]].sort_index()
    return hashlib.sha256(keep.to_csv().encode()).hexdigest()[:12]


def run(name: str, case, time_limit: float | None) -> dict:
    sc = Scenario(balance=SCENARIOS[name])
    if time_limit is not None:
        sc = sc.replace(time_limit=time_limit)
    t0 = time.perf_counter()
    try:
        p = kamopt.plan(case, sc)
    except KamoptError as e:  # e.g. no plan within the safety net
        return {"scenario": name, "seconds": round(time.perf_counter() - t0, 1),
                "status": "error", "stopped_by": None, "message": str(e)}
    seconds = time.perf_counter() - t0
    k = p.kpis
    out = {"scenario": name, "seconds": round(seconds, 1), "status": p.status,
           "stopped_by": k.get("stopped_by"), "objective": round(float(p.objective), 1),
           "gap": k.get("mip_gap"), "key_accounts": int(p.accounts["key_account"].sum()),
           "load_min": k.get("load_min"), "load_max": k.get("load_max"),
           "load_mean": k.get("load_mean"), "plan": digest(p)}
    m = p.managers[p.managers["capacity"] > 0]  # every plan: hours over capacity, as the band
    out["utilisation_min"] = round(float(m["utilisation"].min()), 4)
    out["utilisation_max"] = round(float(m["utilisation"].max()), 4)
    for key in ("largest_load", "largest_load_bound", "largest_load_status"):
        if key in k:
            out[key] = k[key]
    try:
        p.verify()
        out["verified"] = True
    except VerificationError as e:
        out["verified"] = str(e)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", choices=list(SCENARIOS), default=list(DEFAULT))
    ap.add_argument("--time-limit", type=float, default=None,
                    help="the scenario's safety net in seconds (default: the scenario's 60 s)")
    args = ap.parse_args()
    case = kamopt.load_case(ROOT / "data" / "sample")
    before = load()
    rows = []
    for name in args.only:
        r = run(name, case, args.time_limit)
        rows.append(r)
        if r["status"] == "error":
            print(f"{name:14s} {r['seconds']:6.1f} s  no plan: {r['message']}", flush=True)
            continue
        print(f"{name:14s} {r['seconds']:6.1f} s  {r['status']:8s} stopped by {r['stopped_by']:5s}"
              f"  net {r['objective']:14,.0f}  gap {r['gap']:.3%}  plan {r['plan']}", flush=True)
    print(json.dumps({"results": rows, "load_before": before, "load_after": load(),
                      "machine": machine()}))


if __name__ == "__main__":
    main()
