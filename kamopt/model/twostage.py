"""The two-stage plan under uncertain estimates: the shared rules over a draw axis.

Which customers are key accounts and who leads them is decided now (the first
stage, ``x``); coverage levels and activities are decided per draw of the
estimates (the second stage, ``z``, ``g``, ``q``, ``a``), within the same
capacities. The sample-average programme (the *extensive form*) is the rules
of :mod:`kamopt.model.rules` over S draws, as the mid-term model is over T
years, with one more rule, *non-anticipativity*: ``x[i,j,s] = x[i,j,0]`` for
every draw s (one lead manager for all outcomes). Its objective is

    (1 - w) * sum_s p_s V_s  +  w * (eta - 1/(alpha) * sum_s p_s u_s),
    u_s >= eta - V_s,  u_s >= 0,

the expected net contribution blended with the conditional value at risk of
the worst ``alpha`` share of outcomes (Rockafellar and Uryasev 2000), where
``V_s`` is the plan's net contribution under draw s and ``w`` the risk weight
(``risk: {cvar: alpha, weight: w}``; ``w = 0`` is risk-neutral).

Every draw changes only objective coefficients (potential, realisation and
retention move value, not hours or costs), so one structure serves all draws:
:func:`union_data` prepares it under the *upper* estimates, where pruning keeps
every customer and activity that could pay in any draw (a customer's best net
contribution only grows with potential, realisation and retention).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.case.uncertainty import potential_range
from kamopt.model.linear import INF, LinearModel
from kamopt.model.prepare import ModelData, committed, coverage_options, prepare
from kamopt.model.rules import RuleBuilder, per_year


def drawn_case(case: Case, potential: pd.Series, realization: float, scenario: Scenario) -> Case:
    """``case`` under a draw: each customer's potential replaced, and the realisation
    of accounts with their own responses (responses.csv) scaled as the scenario's
    realisation is (``realization / scenario.realization``, at most 1)."""
    customers = case.customers.assign(potential=potential.reindex(case.customers.index)
                                      .to_numpy(float))
    responses = case.responses
    if len(responses) and realization != scenario.realization:
        ratio = realization / scenario.realization if scenario.realization > 0 else 1.0
        responses = responses.assign(
            realization=np.minimum(1.0, responses["realization"].to_numpy(float) * ratio))
    return replace(case, customers=customers, responses=responses)


def drawn_scenario(scenario: Scenario, realization: float, retention: float) -> Scenario:
    """``scenario`` under a draw: its realisation and retention the draw's, and no
    uncertainty left (the draw is one outcome)."""
    return scenario.replace(realization=float(realization), retention=float(retention),
                            uncertainty=None, risk=None)


def union_data(case: Case, scenario: Scenario) -> ModelData:
    """The model's index sets for every draw: prepared under the upper estimates
    (each customer's highest potential, the highest realisation and retention)."""
    u = scenario.uncertainty
    _, high = potential_range(case.customers, u)
    real = u.realization.high if u is not None and u.realization is not None else scenario.realization
    ret = u.retention.high if u is not None and u.retention is not None else scenario.retention
    upper = drawn_case(case, pd.Series(high, index=case.customers.index), real, scenario)
    return prepare(upper, drawn_scenario(scenario, real, ret))


@dataclass(frozen=True)
class DrawValues:
    """The objective coefficients of one draw, aligned with a :class:`ModelData`'s
    options, pairs and activity options (EUR a year)."""

    options: np.ndarray
    pairs: np.ndarray
    acts: np.ndarray


def draw_values(d: ModelData, case_s: Case, scenario_s: Scenario) -> DrawValues:
    """The coefficients of ``d``'s columns under one draw (``case_s``, ``scenario_s``
    from :func:`drawn_case` and :func:`drawn_scenario`)."""
    opts = coverage_options(case_s, scenario_s, d.model_customers)
    if not (opts["customer_id"].to_numpy() == d.options["customer_id"].to_numpy()).all() or not (
            opts["level"].to_numpy() == d.options["level"].to_numpy()).all():
        raise AssertionError("a draw's coverage options differ from the union's")
    c = case_s.customers
    p = d.pairs
    cp = c.loc[p["customer_id"]]
    pair = (p["fit"].to_numpy() * cp["margin"].to_numpy() * scenario_s.realization
            * scenario_s.industry_fit * cp["potential"].to_numpy()
            + p["continuity"].to_numpy() * scenario_s.continuity_bonus
            - p["pair_cost"].to_numpy(float))
    a = d.acts
    ca = c.loc[a["customer_id"]]
    uplift = case_s.activities["uplift"].reindex(a["activity_id"]).to_numpy(float)
    act = ca["margin"].to_numpy() * uplift * ca["potential"].to_numpy()
    return DrawValues(opts["value"].to_numpy(float), pair, act)


@dataclass
class TwoStageModel:
    """The built extensive form: the programme and where its decisions are."""

    data: ModelData
    lp: LinearModel
    x: np.ndarray  # the first stage: column ids of x[i,j] in draw 0, aligned with data.pairs
    x_all: np.ndarray  # x[i,j,s] for every draw (draw by draw)
    value_rows: np.ndarray | None  # the rows u_s + V_s - eta >= 0 (CVaR), None without risk
    draws: int


class TwoStage(RuleBuilder):
    """The shared rules over S draws, first stage linked, valued by draw."""

    def __init__(self, d: ModelData, values: list[DrawValues], probabilities: np.ndarray,
                 weight: float, tight: bool):
        super().__init__(d, list(range(len(values))))
        self.values, self.p = values, np.asarray(probabilities, float)
        self.w = float(weight)
        pr, acts = d.pairs, d.acts
        S = len(values)
        scale = (1 - self.w) * self.p  # the expectation's weight of each draw
        self.var("z", self.option_labels(),
                 obj=np.concatenate([scale[s] * values[s].options for s in range(S)]),
                 integer=True)
        self.var("x", self.pair_labels(),
                 obj=np.concatenate([scale[s] * values[s].pairs for s in range(S)]),
                 integer=True)
        rate = pr["hourly_cost"].to_numpy()
        gl = self.split_labels()
        self.g_cost = -rate[gl["p"].to_numpy()] * gl["hours"].to_numpy()
        self.var("g", gl, obj=scale[gl["t"].to_numpy()] * self.g_cost)
        ql = self.activity_hours_labels(tight)
        self.q_cost = -rate[ql["p"].to_numpy()] * ql["hours"].to_numpy()
        self.var("q", ql, obj=scale[ql["t"].to_numpy()] * self.q_cost, ub=1.0 if tight else INF)
        self.a_value = np.concatenate([values[s].acts - acts["cost"].to_numpy(float)
                                       for s in range(S)])
        al = self.activity_labels()
        self.var("a", al, obj=scale[al["t"].to_numpy()] * self.a_value,
                 lb=np.tile(committed(acts, d.scenario).astype(float), S), integer=True)
        self.capacity = np.tile(d.managers["capacity"].to_numpy(float), (S, 1))
        self.min_hours = np.tile(d.managers["min_hours"].to_numpy(float), (S, 1))

    def per_year(self, frame: pd.DataFrame) -> pd.DataFrame:
        return per_year(frame, self.years, name="draw")

    def add_first_stage(self) -> None:
        """Non-anticipativity: one lead manager per account for every draw."""
        xl, x = self.cols["x"]
        later = xl["t"].to_numpy() > 0
        if not later.any():
            return
        rows = self.rows("first_stage", xl.loc[later].drop(columns="p").reset_index(drop=True),
                         lo=0.0, hi=0.0)
        self.m.add_coefs(rows, x[later], 1.0)
        self.m.add_coefs(rows, x[xl["p"].to_numpy()[later]], -1.0)

    def add_risk(self, cvar: float) -> np.ndarray | None:
        """``eta`` and ``u_s`` with ``u_s + V_s - eta >= 0``: the CVaR of the worst ``cvar``."""
        if self.w <= 0:
            return None
        S = self.T
        draws = pd.DataFrame({"draw": np.arange(S)})
        eta = self.m.add_vars("eta", pd.DataFrame(index=[0]), obj=self.w, lb=-INF, ub=INF)
        u = self.m.add_vars("shortfall", draws, obj=-self.w * self.p / cvar, lb=0.0, ub=INF)
        rows = self.rows("value_at_risk", draws, lo=0.0)
        self.m.add_coefs(rows, u, 1.0)
        self.m.add_coefs(rows, np.repeat(eta, S), -1.0)
        zl, z = self.cols["z"]
        self.m.add_coefs(rows[zl["t"].to_numpy()], z,
                         np.concatenate([v.options for v in self.values]))
        xl, x = self.cols["x"]
        self.m.add_coefs(rows[xl["t"].to_numpy()], x,
                         np.concatenate([v.pairs for v in self.values]))
        gl, g = self.cols["g"]
        self.m.add_coefs(rows[gl["t"].to_numpy()], g, self.g_cost)
        ql, q = self.cols["q"]
        self.m.add_coefs(rows[ql["t"].to_numpy()], q, self.q_cost)
        al, a = self.cols["a"]
        self.m.add_coefs(rows[al["t"].to_numpy()], a, self.a_value)
        return rows

    def build(self, cvar: float) -> TwoStageModel:
        for rule in self.SHARED:
            getattr(self, rule)()
        self.add_first_stage()
        rows = self.add_risk(cvar)
        x = self.cols["x"][1]
        return TwoStageModel(self.d, self.m, x[: len(self.d.pairs)], x, rows, self.T)


def build_two_stage(d: ModelData, values: list[DrawValues], probabilities=None,
                    cvar: float = 0.1, weight: float = 0.0,
                    tight_activities: bool = True) -> TwoStageModel:
    """The extensive form over ``values`` (one :class:`DrawValues` a draw), each draw with
    its probability (equal if None)."""
    S = len(values)
    if S < 1:
        raise ValueError("The two-stage plan needs at least one draw.")
    p = np.full(S, 1.0 / S) if probabilities is None else np.asarray(probabilities, float)
    return TwoStage(d, values, p, weight, tight_activities).build(cvar)
