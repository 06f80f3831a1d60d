"""Fingerprints of the built models, one-year and mid-term, on 13 cases and scenarios.

Each line: the model, a hash of its column and row names, bounds, objective,
integrality and matrix, and its size. The same output before and after a change of
the model code means the same models (and so the same plans):

    .venv/bin/python benchmarks/model_fingerprint.py > /tmp/after.txt
"""

import dataclasses
import hashlib

import numpy as np

from kamopt.case.assumptions import MidtermAssumptions, load_capacity_by_year, load_targets
from kamopt.case.io import load_case
from kamopt.case.sample import make_case
from kamopt.case.scenario import Scenario
from kamopt.model.midterm import build_midterm
from kamopt.model.oneyear import build
from kamopt.model.prepare import prepare


def fp(lp):
    a = lp.arrays()
    A = lp.matrix().tocsr()
    A.sum_duplicates()
    A.sort_indices()
    h = hashlib.sha256()
    for part in (lp.col_names(), lp.row_names()):
        h.update("|".join(part).encode())
    for k in ("obj", "lb", "ub", "row_lo", "row_hi"):
        h.update(np.round(a[k], 9).tobytes())
    h.update(a["integer"].tobytes())
    for part in (A.indptr, A.indices, np.round(A.data, 9)):
        h.update(part.tobytes())
    return h.hexdigest()[:16]

sample = load_case("data/sample")
small = make_case(customers=60, managers=5, seed=3)
mins = small.managers.copy()
mins["min_hours"] = 0.0
mins.iloc[0, mins.columns.get_loc("min_hours")] = 300.0
small_min = dataclasses.replace(small, managers=mins)
one = {
    "sample-base": (sample, Scenario.from_yaml("data/scenarios/base.yml"), None),
    "sample-budget": (sample, Scenario.from_yaml("data/scenarios/budget_cut.yml"), None),
    "sample-leaves": (sample, Scenario.from_yaml("data/scenarios/manager_leaves.yml"), None),
    "sample-commit": (sample, Scenario.from_yaml("data/scenarios/customer_commitments.yml"), None),
    "sample-compact": (sample, Scenario(), False),
    "small-bounds": (small, Scenario(budget=2e6, min_key_accounts=3, max_key_accounts=20), None),
    "small-min": (small_min, Scenario(budget=3e6), False),
    "small-min-tight": (small_min, Scenario(), True),
}
for name, (case, sc, tight) in one.items():
    km = build(prepare(case, sc), tight_activities=tight)
    print("one", name, fp(km.lp), km.lp.n_cols, km.lp.n_rows)
base = MidtermAssumptions.from_yaml("data/scenarios/midterm_base.yml")
tg, cy = load_targets(sample), load_capacity_by_year(sample)
mid = {
    "mt-base": (sample, Scenario.from_yaml("data/scenarios/base.yml"), base, 3, tg, cy),
    "mt-hard-budget": (sample, Scenario(budget=4e6), base.replace(target_mode="hard", handover_hours=0), 2, tg, cy),
    "mt-leads": (sample, Scenario.from_yaml("data/scenarios/key_relationships.yml"), base, 3, tg, cy),
    "mt-1y-neutral": (sample, Scenario(), MidtermAssumptions.neutral(Scenario()), 1, tg.iloc[:0], cy.iloc[:0]),
    "mt-small-min": (small_min, Scenario(min_key_accounts=2, max_key_accounts=30), base, 3, tg.iloc[:0], cy.iloc[:0]),
}
for name, (case, sc, a, T, t_, c_) in mid.items():
    mm = build_midterm(case, sc, a, T, t_, c_)
    print("mid", name, fp(mm.lp), mm.lp.n_cols, mm.lp.n_rows)
