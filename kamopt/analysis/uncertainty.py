"""Plans under uncertain estimates: Monte Carlo over the plan, and a plan that holds up.

:func:`analyse` answers three questions of a strategy team:

* **Which key accounts are safe choices?** For each of N seeded draws of the
  estimates (:mod:`kamopt.case.uncertainty`) the plan optimal for that draw
  (perfect information); a customer's ``p_key_account`` is the share of draws in
  which it is a key account. The *core* are key accounts in (nearly) every draw
  (``p >= CORE``), the *bets* in some (``BET_LOW < p < CORE``).
* **What is a plan worth when the estimates are wrong?** The deterministic plan
  (decided on the point estimates) and, with ``two_stage=True``, the two-stage plan
  (:mod:`kamopt.model.twostage`, decided on a separate sample of draws) are each
  valued under every draw: their key accounts and lead managers stay, coverage
  levels and activities are re-planned for the draw within the capacities (the
  second stage), by the one solve strategy of :func:`kamopt.planning.oneyear.plan`.
* **What does the uncertainty cost?** The value of the stochastic solution
  (VSS = E[two-stage] - E[deterministic]) and the expected value of perfect
  information (EVPI = E[perfect information] - E[two-stage]), each with a 95%
  confidence interval from the Monte Carlo draws, which the two-stage plan did not
  see (out of sample). Without a two-stage plan, E[perfect information] -
  E[deterministic] is given: an upper bound of the EVPI.

"Perfect information" for a draw is the best plan known for it: the plan made for
the draw, or a valued plan that does better (each is within the gap of the optimum).

All plans of the Monte Carlo run as one batch on :class:`kamopt.planning.batch.Runner`
(this process, a local cluster or a scheduler); the results are the same on each.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.case.uncertainty import DECISION_SAMPLE, MONTE_CARLO, draw, potential_range
from kamopt.errors import InfeasibleError, Problem, ScenarioError
from kamopt.model.twostage import (
    build_two_stage,
    draw_values,
    drawn_case,
    drawn_scenario,
    union_data,
)
from kamopt.planning.batch import Runner
from kamopt.planning.oneyear import plan as make_plan
from kamopt.solve.twostage import solve_two_stage
from kamopt.units import eur

#: a key account in at least this share of draws is core; above BET_LOW and below it, a bet
CORE, BET_LOW = 0.9, 0.1
#: the gap of every plan of an uncertainty analysis unless the scenario sets one
DEFAULT_GAP = 0.01
#: draws the two-stage plan is decided on, unless said
DECISION_DRAWS = 10
#: the largest two-stage programme built (columns): 25 decision draws of the sample company
#: are 374 k columns and took 16 min on 2 cores (docs/benchmarks.md)
MAX_TWO_STAGE_COLUMNS = 2_000_000
#: the columns of selection.csv and draws.csv
SELECTION_COLUMNS = ["customer_id", "p_key_account", "lead_manager", "p_lead_manager",
                     "in_deterministic_plan", "in_two_stage_plan", "name"]
DRAW_COLUMNS = ["draw", "perfect_information", "deterministic_plan", "two_stage_plan"]


@dataclass(frozen=True)
class Shared:
    """What every task of a batch needs, sent to the workers once."""

    case: Case
    scenario: Scenario  # with its uncertainty
    seed: int


def point_scenario(scenario: Scenario) -> Scenario:
    """The scenario on its point estimates (no uncertainty): the deterministic plan's."""
    return scenario.replace(uncertainty=None, risk=None)


def drawn(shared: Shared, number: int, stream: int = MONTE_CARLO) -> tuple[Case, Scenario]:
    """The case and scenario of draw ``number`` of ``stream``."""
    sc = shared.scenario
    d = draw(shared.case.customers, sc.realization, sc.retention, sc.uncertainty, shared.seed,
             number, stream)
    return drawn_case(shared.case, d.potential, d.realization, sc), drawn_scenario(
        sc, d.realization, d.retention)


def leads_of(p) -> dict[str, str]:
    """A plan's first stage: ``{customer_id: lead manager}`` of its key accounts."""
    acc = p.accounts
    ka = acc["key_account"].astype(int) == 1
    return dict(zip(acc.index[ka].astype(str), acc.loc[ka, "manager_id"].astype(str),
                    strict=True))


def with_first_stage(case: Case, scenario: Scenario, leads: dict[str, str]) -> Scenario:
    """``scenario`` with its key accounts and lead managers fixed to ``leads``: only the
    coverage levels and activities are left to plan (the second stage)."""
    others = [c for c in case.customers.index.astype(str) if c not in leads]
    must = tuple(c for c in scenario.must if c in leads)
    return scenario.replace(leads=tuple(sorted(leads.items())), exclude=tuple(others), must=must)


def plan_draw(shared: Shared, item: dict) -> dict:
    """One task: the plan of a draw (``kind`` "perfect"), or a first stage valued under
    the draw (``kind`` "fixed" with ``leads``). JSON in and out (resumable)."""
    case_s, sc_s = drawn(shared, item["draw"], item.get("stream", MONTE_CARLO))
    if item["kind"] == "fixed":
        sc_s = with_first_stage(case_s, sc_s, item["leads"])
    p = make_plan(case_s, sc_s)
    out = {"objective": float(p.objective), "status": str(p.status),
           "gap": float(p.kpis["mip_gap"]) if p.kpis["mip_gap"] is not None else None}
    if item["kind"] == "perfect":
        out["leads"] = leads_of(p)
    return out


def two_stage_task(shared: Shared, item: dict) -> dict:
    """One task: decide the two-stage plan on ``item["draws"]`` draws of the decision
    sample, starting from the candidate first stages ``item["candidates"]``."""
    sc = shared.scenario
    d = union_data(shared.case, sc)
    size = two_stage_columns(d, item["draws"])
    if size > MAX_TWO_STAGE_COLUMNS:
        raise ScenarioError(Problem(
            sc.name or "scenario", f"would make a two-stage programme of about {size:,} columns "
            f"(at most {MAX_TWO_STAGE_COLUMNS:,}: about {MAX_TWO_STAGE_COLUMNS // 8_000:,} MB "
            "and hours of solving); use fewer decision draws (--decision-draws) or leave out "
            "--two-stage", column="decision_draws", value=item["draws"]))
    values = []
    for k in range(item["draws"]):
        case_s, sc_s = drawn(shared, k, DECISION_SAMPLE)
        values.append(draw_values(d, case_s, sc_s))
    risk = sc.risk
    tm = build_two_stage(d, values, cvar=risk.cvar if risk else 0.1,
                         weight=risk.weight if risk else 0.0)
    keys = list(zip(d.pairs["customer_id"].astype(str), d.pairs["manager_id"].astype(str),
                    strict=True))
    cands = {name: np.array([1.0 if leads.get(c) == j else 0.0 for c, j in keys])
             for name, leads in item["candidates"].items()}
    for name, leads in item["candidates"].items():  # a candidate outside the union: not one
        if cands[name].sum() != len(leads):
            del cands[name]
    sol = solve_two_stage(tm, cands, sc.mip_gap)
    chosen = {c: j for (c, j), on in zip(keys, sol.x, strict=True) if on}
    return {"leads": chosen, "objective": sol.objective, "bound": sol.bound, "gap": sol.gap,
            "candidates": sol.candidates, "chosen": sol.chosen, "seconds": sol.seconds,
            "stopped_by": sol.stopped_by, "columns": int(tm.lp.n_cols),
            "rows": int(tm.lp.n_rows)}


def two_stage_columns(d, draws: int) -> int:
    """The columns of the two-stage programme over ``draws`` draws of ``d`` (known before
    it is built: levels, leads, level-lead splits, activities and their hours, per draw)."""
    per = d.pairs["customer_id"].map(d.options["customer_id"].value_counts()).fillna(0).sum()
    acts = d.pairs["customer_id"].map(d.acts["customer_id"].value_counts()).fillna(0).sum()
    return int((len(d.options) + len(d.pairs) + per + acts + len(d.acts)) * draws)


def mean_case(case: Case, scenario: Scenario) -> tuple[Case, Scenario]:
    """The case and scenario on the estimates' means (a triangular's mean is
    (low + mode + high) / 3): the expected-value plan, a candidate first stage."""
    u = scenario.uncertainty
    low, high = potential_range(case.customers, u)
    pot = (low + case.customers["potential"].to_numpy(float) + high) / 3
    real, ret = scenario.realization, scenario.retention
    if u is not None and u.realization is not None:
        real = (u.realization.low + real + u.realization.high) / 3
    if u is not None and u.retention is not None:
        ret = (u.retention.low + ret + u.retention.high) / 3
    return (drawn_case(case, pd.Series(pot, index=case.customers.index), real, scenario),
            drawn_scenario(scenario, real, ret))


def interval(x: np.ndarray) -> dict:
    """The mean of ``x`` with a 95% confidence interval (normal approximation)."""
    x = np.asarray(x, float)
    m = float(x.mean()) if len(x) else math.nan
    half = 1.96 * float(x.std(ddof=1)) / math.sqrt(len(x)) if len(x) > 1 else 0.0
    return {"mean": m, "low": m - half, "high": m + half}


def cvar(x: np.ndarray, share: float) -> float:
    """The mean of the worst ``share`` of ``x`` (at least one value)."""
    x = np.sort(np.asarray(x, float))
    return float(x[: max(1, math.ceil(share * len(x)))].mean())


@dataclass
class UncertaintyResult:
    """What :func:`analyse` found. ``selection`` and ``draws`` are the tables of
    selection.csv and draws.csv, ``summary`` the content of summary.json."""

    case: Case
    scenario: Scenario
    selection: pd.DataFrame
    draws: pd.DataFrame
    summary: dict
    deterministic: dict[str, str] = field(repr=False)
    two_stage: dict[str, str] | None = field(repr=False)

    @property
    def core(self) -> list[str]:
        return list(self.summary["core"])

    @property
    def bets(self) -> list[str]:
        return list(self.summary["bets"])

    def text(self) -> str:
        """The findings in words."""
        s = self.summary
        lines = [f"{s['draws']} draws of the estimates (seed {s['seed']}): "
                 f"{_n(len(s['core']), 'core key account')} (in >= {CORE:.0%} of the draws), "
                 f"{_n(len(s['bets']), 'bet')} (in {BET_LOW:.0%} to {CORE:.0%})."]
        ev = s["expected"]
        lines.append(f"The deterministic plan earns {_m(ev['deterministic_plan']['mean'])} a year "
                     "on average over the draws "
                     f"(worst {s['cvar_share']:.0%}: {_m(s['cvar']['deterministic_plan'])}).")
        if s["vss"] is not None:
            v = s["vss"]
            lines.append(f"The two-stage plan earns {_m(ev['two_stage_plan']['mean'])} "
                         f"(worst {s['cvar_share']:.0%}: {_m(s['cvar']['two_stage_plan'])}): "
                         f"the value of planning for the uncertainty (VSS) is {_m(v['mean'])} "
                         f"a year (95% interval {_m(v['low'])} to {_m(v['high'])}).")
        e = s["evpi"]
        what = ("" if s["vss"] is not None else " (an upper bound: against the deterministic "
                "plan)")
        lines.append(f"Knowing the outcome in advance would be worth {_m(e['mean'])} a year"
                     f"{what} (EVPI, 95% interval {_m(e['low'])} to {_m(e['high'])}).")
        return "\n".join(lines)


def _n(k: int, noun: str) -> str:
    """``3 bets``, ``1 bet``."""
    return f"{k} {noun}{'' if k == 1 else 's'}"


def _m(x: float) -> str:
    return eur(x, digits=2)


def resume_key(case: Case, scenario: Scenario, seed: int) -> str:
    """What a batch's stored results depend on: the case, the scenario, the seed."""
    h = hashlib.sha256()
    for name, df in case.tables.items():
        h.update(name.encode())
        h.update(pd.util.hash_pandas_object(df.astype(str), index=True).to_numpy().tobytes())
    h.update(json.dumps(scenario.to_dict(), sort_keys=True, default=str).encode())
    h.update(str(seed).encode())
    return h.hexdigest()[:20]


def analyse(case: Case, scenario: Scenario | dict | None = None, draws: int = 100,
            seed: int = 0, two_stage: bool = False, decision_draws: int = DECISION_DRAWS,
            runner: Runner | None = None, resume_dir=None, quiet: bool = False,
            plan=None, on_progress=None) -> UncertaintyResult:
    """The Monte Carlo analysis of ``case`` under ``scenario``'s uncertainty (module docs).

    ``draws`` Monte Carlo draws of ``seed``; with ``two_stage`` a two-stage plan is
    decided on ``decision_draws`` other draws and valued on the Monte Carlo ones.
    Without a ``mip_gap`` in the scenario every plan is made at :data:`DEFAULT_GAP`.
    ``resume_dir``: a folder where each task's result is kept as it arrives; a run
    stopped half-way and started again takes them up (:meth:`Runner.map`).
    ``plan``: the deterministic plan if made already (the plan of the scenario without its
    uncertainty: ``ValueError`` if not); ``on_progress(done, total)`` is called as the plans
    of the draws finish (the app's progress bar).
    """
    scenario = Scenario.coerce(scenario)
    for name, v, lo in (("draws", draws, 1), ("decision_draws", decision_draws, 1),
                        ("seed", seed, 0)):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise ValueError(f"The '{name}' parameter of analyse must be a whole number >= {lo}."
                             f" Got {v!r} instead.")
    runner = runner or Runner.from_env(quiet=quiet)
    shared = Shared(case, scenario, seed)
    if plan is not None and plan.scenario != point_scenario(scenario):
        raise ValueError("The 'plan' parameter of analyse must be the plan of the scenario "
                         "without its uncertainty (point_scenario(scenario)).")
    det = plan if plan is not None else make_plan(case, point_scenario(scenario))
    det_leads = leads_of(det)
    sub = None if resume_dir is None else resume_dir / resume_key(case, scenario, seed)
    ts = None
    if two_stage:
        mc, ms = mean_case(case, scenario)
        try:
            mean_leads = leads_of(make_plan(mc, point_scenario(ms)))
        except InfeasibleError:
            mean_leads = None
        cands = {"deterministic": det_leads}
        if mean_leads is not None and mean_leads != det_leads:
            cands["expected_value"] = mean_leads
        ts = runner.map(two_stage_task, [{"draws": decision_draws, "candidates": cands}],
                        shared=shared, desc="two-stage plan", resume_dir=sub,
                        key=lambda item: f"two-stage-{item['draws']}")[0]
    items = []
    for k in range(draws):
        items.append({"kind": "perfect", "draw": k})
        items.append({"kind": "fixed", "draw": k, "plan": "deterministic", "leads": det_leads})
        if ts is not None:
            items.append({"kind": "fixed", "draw": k, "plan": "two_stage", "leads": ts["leads"]})
    results = runner.map(plan_draw, items, shared=shared, desc="plans of the draws",
                         resume_dir=sub, on_progress=on_progress, key=lambda it: f"{it['kind']}-{it.get('plan', '')}-{it['draw']}")
    return _collect(shared, draws, det_leads, ts, items, results, decision_draws)


def _collect(shared: Shared, n: int, det_leads: dict, ts: dict | None, items: list,
             results: list, decision_draws: int) -> UncertaintyResult:
    case, scenario = shared.case, shared.scenario
    value = {(it["kind"], it.get("plan", ""), it["draw"]): r
             for it, r in zip(items, results, strict=True)}
    det_v = np.array([value["fixed", "deterministic", k]["objective"] for k in range(n)])
    two_v = (np.array([value["fixed", "two_stage", k]["objective"] for k in range(n)])
             if ts is not None else None)
    pi_v = np.array([value["perfect", "", k]["objective"] for k in range(n)])
    pi_v = np.maximum(pi_v, det_v if two_v is None else np.maximum(det_v, two_v))
    table = pd.DataFrame({"draw": np.arange(n), "perfect_information": pi_v,
                          "deterministic_plan": det_v,
                          "two_stage_plan": two_v if two_v is not None else np.nan})
    ids = case.customers.index.astype(str)
    counts = pd.DataFrame(0, index=ids, columns=sorted(case.managers.index.astype(str)) or ["-"])
    for k in range(n):
        for c, j in value["perfect", "", k]["leads"].items():
            if j not in counts.columns:
                counts[j] = 0
            counts.loc[c, j] += 1
    p_ka = counts.sum(axis=1) / n
    top = counts.idxmax(axis=1).where(p_ka > 0, "")
    p_lead = counts.max(axis=1) / n
    sel = pd.DataFrame({
        "customer_id": ids, "p_key_account": p_ka.to_numpy(), "lead_manager": top.to_numpy(),
        "p_lead_manager": p_lead.to_numpy(),
        "in_deterministic_plan": [c in det_leads for c in ids],
        "in_two_stage_plan": [c in ts["leads"] for c in ids] if ts is not None else None,
        "name": case.customers["name"].astype(str).to_numpy() if "name" in case.customers
        else "",
    })
    sel = sel.sort_values(["p_key_account", "customer_id"], ascending=[False, True],
                          kind="stable").reset_index(drop=True)
    core = sel.loc[sel["p_key_account"] >= CORE - 1e-12, "customer_id"].tolist()
    bets = sel.loc[(sel["p_key_account"] > BET_LOW + 1e-12) & (sel["p_key_account"] < CORE - 1e-12),
                   "customer_id"].tolist()
    share = scenario.risk.cvar if scenario.risk else 0.1
    reference = two_v if two_v is not None else det_v
    plans = {"perfect_information": pi_v, "deterministic_plan": det_v}
    if two_v is not None:
        plans["two_stage_plan"] = two_v
    summary = {
        "draws": n, "seed": shared.seed, "decision_draws": decision_draws if ts else None,
        "mip_gap": scenario.mip_gap,
        "vss": interval(two_v - det_v) if two_v is not None else None,
        "evpi": interval(pi_v - reference),
        "evpi_against": "two_stage_plan" if two_v is not None else "deterministic_plan",
        "expected": {k: interval(v) for k, v in plans.items()},
        "cvar_share": share,
        "cvar": {k: cvar(v, share) for k, v in plans.items()},
        "core": core, "bets": bets,
        "core_threshold": CORE, "bet_threshold": BET_LOW,
        "key_accounts": {"deterministic_plan": len(det_leads),
                         "two_stage_plan": len(ts["leads"]) if ts else None},
        "two_stage": None if ts is None else {
            "in_sample": {"two_stage_plan": ts["objective"],
                          **{f"{k}_plan": v for k, v in ts["candidates"].items()}},
            "bound": ts["bound"], "gap": ts["gap"], "chosen": ts["chosen"],
            "seconds": ts["seconds"], "stopped_by": ts["stopped_by"],
            "columns": ts["columns"], "rows": ts["rows"]},
        "uncertainty": scenario.uncertainty.to_dict() if scenario.uncertainty else None,
        "risk": scenario.risk.to_dict() if scenario.risk else None,
        "worst_gap": max((r["gap"] or 0.0) for r in results),
    }
    return UncertaintyResult(case, scenario, sel, table, summary, det_leads,
                             ts["leads"] if ts else None)
