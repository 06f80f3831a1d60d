"""The sample company's model, as `kamopt plan` builds it, given to other MIP solvers.

Not a project dependency: run it in a separate environment that has kamopt
and the solvers to compare, e.g.

    python -m venv /tmp/solvers && /tmp/solvers/bin/pip install -e . pyscipopt ortools
    /tmp/solvers/bin/python benchmarks/other_solvers.py --time-limit 60

Each solver reads the same MPS file (written with HiGHS from
``kamopt.model.oneyear.build(prepare(sample))``), is asked for the scenario's gap
(0.1%) within the time limit, on both cores where it can use them, and
reports status, seconds, plan, bound and the gap between them. A solver that
is not installed is skipped.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_mps(path: Path) -> None:
    from kamopt import Scenario, load_case
    from kamopt.model.oneyear import build
    from kamopt.model.prepare import prepare
    from kamopt.solve.backend import highs_model

    scenario = Scenario.from_yaml(ROOT / "data" / "scenarios" / "base.yml")
    highs_model(build(prepare(load_case(ROOT / "data" / "sample"), scenario)).lp).writeModel(
        str(path))


def highs(mps: Path, limit: float, gap: float) -> tuple:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(mps))
    h.setOptionValue("time_limit", limit)
    h.setOptionValue("mip_rel_gap", gap)
    t = time.perf_counter()
    h.run()
    info = h.getInfo()
    return (h.modelStatusToString(h.getModelStatus()), time.perf_counter() - t,
            info.objective_function_value, info.mip_dual_bound)


def scip(mps: Path, limit: float, gap: float) -> tuple:
    from pyscipopt import Model

    m = Model()
    m.hideOutput()
    m.readProblem(str(mps))
    m.setParam("limits/gap", gap)
    m.setParam("limits/time", limit)
    t = time.perf_counter()
    m.optimize()
    return m.getStatus(), time.perf_counter() - t, m.getObjVal(), m.getDualbound()


def cp_sat(mps: Path, limit: float, gap: float) -> tuple:
    from ortools.linear_solver.python import model_builder as mb

    m = mb.Model()
    m.import_from_mps_file(str(mps))
    s = mb.Solver("sat")
    s.set_time_limit_in_seconds(limit)
    s.set_solver_specific_parameters(f"num_workers:2,relative_gap_limit:{gap}")
    t = time.perf_counter()
    status = s.solve(m)
    return status.name, time.perf_counter() - t, s.objective_value, s.best_objective_bound


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--gap", type=float, default=0.001)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mps = Path(tmp) / "sample.mps"
        write_mps(mps)
        print("| solver | status | seconds | plan (EUR) | bound (EUR) | gap |")
        print("|---|---|---|---|---|---|")
        for name, run in (("HiGHS", highs), ("SCIP", scip), ("CP-SAT", cp_sat)):
            try:
                status, sec, obj, bound = run(mps, args.time_limit, args.gap)
            except ImportError:
                print(f"| {name} | not installed | | | | |")
                continue
            gap = abs(bound - obj) / max(abs(obj), 1e-9)
            print(f"| {name} | {status} | {sec:.1f} | {obj:,.0f} | {bound:,.0f} | {gap:.2%} |")


if __name__ == "__main__":
    main()
