"""Stage 1 of the pipeline: from (case, scenario) to the data that define the model.

Everything the optimisation needs is computed here, vectorised with pandas and
numpy, before any variable exists:

* the managers available in the scenario (leavers removed, hires added,
  capacity scaled),
* each customer's effective status (case status overridden by the scenario),
* the coverage *options* (customer, level) with their hours and realised share,
* the *eligible pairs* (customer, manager) with seniority >= tier, with their
  industry fit and continuity,
* the *activity options* (customer, activity) that can ever pay,
* and the exact pruning of customers who cannot contribute.

The economic coefficients are the objective terms of spec section 3, one
column per term, so that the model, the plan and the explanations use the
same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamopt.case.balance import HOURS_MEASURES, upper_band
from kamopt.case.scenario import Scenario, hire_ids  # hire_ids: also importable from here
from kamopt.case.tables import Case
from kamopt.case.validate import provenance
from kamopt.errors import Problem, ScenarioError
from kamopt.i18n import tr
from kamopt.model.pair_hours import (  # noqa: F401 - importable from here
    has_pair_hours,
    hours_factor_range,
    listed_hours_factors,
    listed_pair_keys,
    pair_factor,
    pair_hours_factors,
)


@dataclass(frozen=True)
class ModelData:
    """The index sets and coefficients of one planning problem.

    Attributes
    ----------
    customers : DataFrame indexed by customer_id, all customers of the case,
        with ``status`` (effective), ``in_model`` and ``out_reason``.
    managers : DataFrame indexed by manager_id, the managers available in the
        scenario, ``capacity`` already scaled by ``capacity_scale``.
    options : DataFrame with columns customer_id, level, hours, realization,
        value (EUR a year of z[i,l]), only for customers in the model.
    pairs : DataFrame with columns customer_id, manager_id, fit, continuity,
        value (EUR a year of x[i,j]), hourly_cost, pair_cost, hours_factor (the option's
        hours are multiplied by it when that manager leads: ``pair_costs.csv``).
    acts : DataFrame with columns customer_id, activity_id, value, cost,
        kam_hours, department, dept_hours.
    departments : Series of capacity hours by department.
    """

    case: Case
    scenario: Scenario
    customers: pd.DataFrame
    managers: pd.DataFrame
    options: pd.DataFrame
    pairs: pd.DataFrame
    acts: pd.DataFrame
    departments: pd.Series

    @property
    def model_customers(self) -> pd.Index:
        return self.customers.index[self.customers["in_model"]]


def effective_managers(case: Case, scenario: Scenario) -> pd.DataFrame:
    """The managers available in ``scenario``: leavers removed, hires added.

    ``capacity`` is ``capacity_hours * capacity_scale``. Hires get ids such as
    ``NEW1``, ``NEW2`` (the hire's ``prefix`` and a running number).
    ``pair_costs_as`` is the manager whose pair costs a manager has: itself,
    for a hire its ``pair_costs_from`` or "" (the average, see :func:`pair_costs`).
    """
    m = case.managers
    unknown = [j for j in scenario.unavailable_managers if j not in m.index]
    if unknown:
        raise ScenarioError(
            Problem(scenario.name or "scenario", "is not a manager of the case",
                    column="unavailable_managers", value=unknown[0])
        )
    for hire in scenario.hires:
        if hire.pair_costs_from and hire.pair_costs_from not in m.index:
            raise ScenarioError(
                Problem(scenario.name or "scenario",
                        "is not a manager of the case (a hire takes the pair costs of a "
                        "manager of managers.csv)",
                        column="hires.pair_costs_from", value=hire.pair_costs_from)
            )
    m = m.drop(index=list(scenario.unavailable_managers))
    m = m.assign(pair_costs_as=m.index.astype(str))
    rows = []
    for n, (mid, hire) in enumerate(hire_ids(scenario), start=1):
        rows.append(
            {
                "manager_id": mid,
                "name": f"New KAM {n}",
                "region": hire.region,
                "industries": tuple(hire.industries),
                "seniority": int(hire.seniority),
                "capacity_hours": float(hire.capacity_hours),
                "hourly_cost": float(hire.hourly_cost),
                "role": "kam",
                # whose pair costs it takes; "" the average over the case's managers
                "pair_costs_as": hire.pair_costs_from,
            }
        )
    if rows:
        hires = pd.DataFrame(rows).set_index("manager_id")
        clash = hires.index.intersection(m.index)
        if len(clash):
            raise ScenarioError(
                Problem(scenario.name or "scenario",
                        "a hire's id clashes with a manager of the case; set the hire's 'prefix'",
                        column="hires", value=clash[0])
            )
        m = pd.concat([m, hires.astype({"seniority": "int64"})])
    m = m.copy()
    for cid, j in scenario.leads:
        if j not in m.index:
            why = ("is unavailable in this scenario (unavailable_managers), so it cannot lead "
                   f"{cid}" if j in scenario.unavailable_managers
                   else "is not a manager of the case or a hire of the scenario")
            raise ScenarioError(Problem(scenario.name or "scenario", why, column=f"leads.{cid}",
                                        value=j))
    m["capacity"] = m["capacity_hours"].astype(float) * scenario.capacity_scale
    # the least hours a manager must carry (a balanced workload); not scaled, 0 for hires
    m["min_hours"] = (m["min_hours"].astype(float).fillna(0.0) if "min_hours" in m
                      else pd.Series(0.0, index=m.index))
    # the upper workload band in hours (max_hours, or max_share of capacity); inf: none
    m["max_load"] = upper_band(m)
    return m


def effective_status(case: Case, scenario: Scenario) -> pd.Series:
    """Each customer's status: the case's, overridden by the scenario's must/exclude.

    A customer whose lead manager, coverage level or activities the scenario
    fixes (``leads``, ``coverage``, ``committed_activities``) is ``must``.
    """
    status = case.customers["status"].astype(str).copy()
    for key in ("must", "exclude", *FIXING_KEYS):
        pairs = key in FIXING_KEYS
        ids = [i for i, _ in getattr(scenario, key)] if pairs else list(getattr(scenario, key))
        unknown = [i for i in ids if i not in status.index]
        if unknown:
            raise ScenarioError(
                Problem(scenario.name or "scenario", "is not a customer of the case",
                        column=f"{key}.{unknown[0]}" if pairs else key, value=unknown[0])
            )
        status.loc[ids] = "must" if pairs else key
    return status


#: the scenario keys whose decisions make an account a key account
FIXING_KEYS = ("leads", "coverage", "committed_activities")


def status_overrides(case: Case, scenario: Scenario) -> pd.DataFrame:
    """The customers whose status in the case the scenario turns round.

    A scenario's ``must`` wins over the case's ``exclude`` and its ``exclude``
    over the case's ``must`` (:func:`effective_status`): scenario analysis asks
    "what if C017 were a key account after all?". It is never silent: callers
    say so with :func:`override_notes`. A scenario that only repeats the case,
    or fixes a customer the case leaves open, overrides nothing.

    Returns a DataFrame indexed by ``customer_id`` (case order) with columns
    ``case`` and ``scenario`` (the two statuses).

    >>> from kamopt.case.sample import make_case
    >>> case = make_case(customers=30, managers=3, seed=1)
    >>> out = case.customers.index[case.customers["status"] == "exclude"][0]
    >>> status_overrides(case, Scenario(must=(out,))).loc[out].tolist()
    ['exclude', 'must']
    >>> len(status_overrides(case, Scenario(exclude=(out,))))
    0
    """
    case_status = case.customers["status"].astype(str)
    status = effective_status(case, scenario)
    turned = (case_status != status) & case_status.isin(["must", "exclude"])
    out = pd.DataFrame({"case": case_status[turned], "scenario": status[turned]})
    out.index.name = "customer_id"
    return out


def override_notes(case: Case, scenario: Scenario, limit: int = 3) -> list[str]:
    """One line per customer whose case status the scenario overrides (see :func:`status_overrides`).

    At most ``limit`` customers are named one a line; the rest are counted
    in a last line ("and 4 more: ..."). No overrides, no lines.

    >>> from kamopt.case.sample import make_case
    >>> case = make_case(customers=30, managers=3, seed=1)
    >>> out = case.customers.index[case.customers["status"] == "exclude"][0]
    >>> override_notes(case, Scenario(name="what_if", must=(out,))) == [
    ...     f"Scenario 'what_if' overrides the case: {out} is 'must' in the scenario, "
    ...     "'exclude' in customers.csv"]
    True
    """
    turned = status_overrides(case, scenario)
    if turned.empty:
        return []
    file, _ = provenance(case.customers, "customers", case.source or "")
    shown = turned if len(turned) <= limit + 1 else turned.iloc[:limit]  # never "and 1 more"
    fixed = set(scenario.fixed_accounts)
    lines = [tr("Scenario '{scenario}' overrides the case: {customer} is '{status}' "
                "({decisions}, fixed) in the scenario, '{case_status}' in {file}",
                scenario=scenario.name, customer=cid, status=r.scenario,
                decisions=decisions_text(scenario, cid), case_status=r.case, file=file)
             if cid in fixed else
             tr("Scenario '{scenario}' overrides the case: {customer} is '{status}' in the "
                "scenario, '{case_status}' in {file}", scenario=scenario.name, customer=cid,
                status=r.scenario, case_status=r.case, file=file)
             for cid, r in shown.iterrows()]
    rest = turned.index[len(shown):]
    if len(rest):
        ids = ", ".join(rest[:10]) + (", …" if len(rest) > 10 else "")
        lines.append(tr("and {n} more: {ids}", n=len(rest), ids=ids))
    return lines


def hire_notes(case: Case, scenario: Scenario) -> list[str]:
    """What a hire's pair costs are, when the case has pair costs (``pair_costs.csv``).

    >>> from kamopt.case.scenario import Hire
    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([dict(customer_id="C1")], [dict(manager_id="A"), dict(manager_id="B")],
    ...                  pair_costs=[dict(customer_id="C1", manager_id="A", cost=30.0)])
    >>> hire_notes(case, Scenario(hires=(Hire(count=2), Hire(pair_costs_from="B"))))
    ["Hires NEW1, NEW2: pair_costs.csv cannot list them, so each account costs them its average over the case's 2 managers (set a hire's 'pair_costs_from' to a manager whose costs it should have)", 'Hire NEW3 has the pair costs of B']
    >>> hire_notes(tiny_case([dict(customer_id="C1")], [dict(manager_id="A")]),
    ...            Scenario(hires=(Hire(),)))
    []
    """
    if len(case.pair_costs) == 0 or not scenario.hires:
        return []
    file, _ = provenance(case.pair_costs, "pair_costs", case.source or "")
    m = effective_managers(case, scenario)
    hires = m.loc[~m.index.isin(case.managers.index), "pair_costs_as"].astype(str)
    average = list(hires.index[hires == ""])
    named = {j: list(ids) for j, ids in hires[hires != ""].groupby(hires, sort=False).groups.items()}
    out = []
    if average:
        fields = dict(ids=", ".join(average), file=file, n=len(case.managers))
        out.append(
            tr("Hire {ids}: {file} cannot list it, so each account costs it its average over the "
               "case's {n} managers (set a hire's 'pair_costs_from' to a manager whose costs it "
               "should have)", **fields) if len(average) == 1 else
            tr("Hires {ids}: {file} cannot list them, so each account costs them its average over "
               "the case's {n} managers (set a hire's 'pair_costs_from' to a manager whose costs "
               "it should have)", **fields))
    for j, ids in named.items():
        out.append(tr("Hire {ids} has the pair costs of {manager}", ids=", ".join(ids), manager=j)
                   if len(ids) == 1 else
                   tr("Hires {ids} have the pair costs of {manager}", ids=", ".join(ids),
                      manager=j))
    return out


def _more(n: int, limit: int) -> str:
    """`` and 3 more`` after the first ``limit`` of ``n`` items, or nothing."""
    return tr(" and {n} more", n=n - limit) if n > limit else ""


def lead_notes(scenario: Scenario, limit: int = 10) -> list[str]:
    """A line naming the lead managers the scenario fixes (``leads``) and one naming those it
    rules out (``excluded_leads``), if any.

    >>> lead_notes(Scenario(name="keep", leads={"K0001": "M03", "K0002": "M01"}))
    ["Scenario 'keep' fixes the lead manager of 2 accounts: K0001 with M03, K0002 with M01"]
    >>> lead_notes(Scenario(name="new", excluded_leads={"K0003": ["M03", "M04"]}))
    ["Scenario 'new' rules out lead managers of 1 account: K0003 not by M03 or M04"]
    >>> lead_notes(Scenario())
    []
    """
    out = []
    if scenario.leads:
        n = len(scenario.leads)
        pairs = ", ".join(tr("{customer} with {manager}", customer=cid, manager=j)
                          for cid, j in scenario.leads[:limit])
        fields = dict(scenario=scenario.name, n=n, pairs=pairs, more=_more(n, limit))
        out.append(tr("Scenario '{scenario}' fixes the lead manager of 1 account: {pairs}{more}",
                      **fields) if n == 1 else
                   tr("Scenario '{scenario}' fixes the lead manager of {n} accounts: "
                      "{pairs}{more}", **fields))
    if scenario.excluded_leads:
        ruled = list(scenario.excluded_lead_of.items())
        n = len(ruled)
        pairs = ", ".join(tr("{customer} not by {managers}", customer=cid, managers=_either(js))
                          for cid, js in ruled[:limit])
        fields = dict(scenario=scenario.name, n=n, pairs=pairs, more=_more(n, limit))
        out.append(tr("Scenario '{scenario}' rules out lead managers of 1 account: {pairs}{more}",
                      **fields) if n == 1 else
                   tr("Scenario '{scenario}' rules out lead managers of {n} accounts: "
                      "{pairs}{more}", **fields))
    return out


def coverage_notes(scenario: Scenario, limit: int = 10) -> list[str]:
    """A line naming the coverage levels the scenario fixes (``coverage``) and one naming the
    activities it commits (``committed_activities``), if any.

    >>> coverage_notes(Scenario(name="deal", coverage={"K0051": "intensive"},
    ...                         committed_activities={"K0051": ["A05"], "K0002": ["A01", "A03"]}))
    ["Scenario 'deal' fixes the coverage of 1 account: K0051 intensive", "Scenario 'deal' commits activities for 2 accounts: K0051 A05, K0002 A01 and A03"]
    """
    out = []
    for items, key in ((list(scenario.coverage), "coverage"),
                       (list(scenario.committed_of.items()), "activities")):
        if not items:
            continue
        n = len(items)
        text = ", ".join(f"{cid} {v if isinstance(v, str) else and_list(v)}"
                         for cid, v in items[:limit])
        fields = dict(scenario=scenario.name, n=n, items=text, more=_more(n, limit))
        if key == "coverage":
            out.append(tr("Scenario '{scenario}' fixes the coverage of 1 account: {items}{more}",
                          **fields) if n == 1 else
                       tr("Scenario '{scenario}' fixes the coverage of {n} accounts: "
                          "{items}{more}", **fields))
        else:
            out.append(tr("Scenario '{scenario}' commits activities for 1 account: {items}{more}",
                          **fields) if n == 1 else
                       tr("Scenario '{scenario}' commits activities for {n} accounts: "
                          "{items}{more}", **fields))
    return out


def decisions_text(scenario: Scenario, cid: str) -> str:
    """What the scenario fixes for ``cid`` (``leads``, ``coverage``, ``committed_activities``),
    in words.

    >>> decisions_text(Scenario(leads={"K1": "M8"}, coverage={"K1": "intensive"},
    ...                         committed_activities={"K1": ["A05", "A02"]}), "K1")
    'led by M8, at intensive, running A05 and A02'
    """
    lead, level, acts = scenario.lead_of, scenario.coverage_of, scenario.committed_of
    parts = ([tr("led by {manager}", manager=lead[cid])] if cid in lead else []) + (
        [tr("at {level}", level=level[cid])] if cid in level else []) + (
        [tr("running {activities}", activities=and_list(acts[cid]))] if cid in acts else [])
    return ", ".join(parts)


def and_list(ids) -> str:
    """``A01``, ``A01 and A03``, ``A01, A03 and A05`` (``und`` in German)."""
    ids = [str(i) for i in ids]
    return ids[0] if len(ids) == 1 else tr("{items} and {last}", items=", ".join(ids[:-1]),
                                           last=ids[-1])


def _either(ids) -> str:
    """``M03``, ``M03 or M04``, ``M03, M04 or M05`` (``oder`` in German)."""
    ids = [str(i) for i in ids]
    return ids[0] if len(ids) == 1 else tr("{items} or {last}", items=", ".join(ids[:-1]),
                                           last=ids[-1])


def response_notes(case: Case, scenario: Scenario, limit: int = 10) -> list[str]:
    """A line saying which accounts plan with their own levels of ``responses.csv`` when
    those are named otherwise than the scenario's levels.

    An account's rows in responses.csv replace the scenario's levels for that account
    (spec, responses.csv), whatever their names: a scenario with levels ``basis`` and
    ``voll`` plans the accounts of responses.csv at their ``light``, ``standard`` or
    ``intensive``. Where every level of responses.csv is one of the scenario's, nothing
    is said.

    >>> from kamopt.case.scenario import Level
    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([dict(customer_id="C1"), dict(customer_id="C2")], [dict(manager_id="A")],
    ...                  responses=[dict(customer_id="C1", level="light", hours=5, realization=0.1),
    ...                             dict(customer_id="C1", level="full", hours=9, realization=0.2)])
    >>> response_notes(case, Scenario(name="de", levels=(Level("basis", 0.8, 0.8),
    ...                                                  Level("voll", 1.2, 1.1))))
    ["Scenario 'de' has the levels basis and voll; 1 account is planned at its own levels of responses.csv instead: C1 (light and full)"]
    >>> response_notes(case, Scenario(levels=(Level("light", 0.5, 0.6), Level("full", 1, 1))))
    []
    """
    resp = case.responses
    if not len(resp):
        return []
    names = set(scenario.level_names)
    if set(resp["level"].astype(str)) <= names:
        return []
    file, _ = provenance(resp, "responses", case.source or "")
    own = resp.groupby("customer_id", sort=False)["level"].agg(list)
    n = len(own)
    shown = ", ".join(f"{cid} ({and_list(levels)})" for cid, levels in own.iloc[:limit].items())
    fields = dict(scenario=scenario.name, levels=and_list(scenario.level_names), n=n, file=file,
                  shown=shown, more=_more(n, limit))
    return [tr("Scenario '{scenario}' has the levels {levels}; 1 account is planned at its own "
               "levels of {file} instead: {shown}{more}", **fields) if n == 1 else
            tr("Scenario '{scenario}' has the levels {levels}; {n} accounts are planned at their "
               "own levels of {file} instead: {shown}{more}", **fields)]


def scenario_notes(case: Case, scenario: Scenario) -> list[str]:
    """What a user should know of how the scenario meets the case: :func:`override_notes`
    (a must/exclude over the case's status), :func:`lead_notes` (lead managers fixed by the
    scenario), :func:`coverage_notes` (levels fixed, activities committed),
    :func:`hire_notes` (a hire's pair costs) and :func:`response_notes` (accounts whose
    own levels of responses.csv replace the scenario's)."""
    return (override_notes(case, scenario) + lead_notes(scenario) + coverage_notes(scenario)
            + hire_notes(case, scenario) + response_notes(case, scenario))


def ruled_out_pairs(pairs: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Pairs that the scenario rules out: another manager of an account whose lead it fixes
    (``leads``), and the pairs of ``excluded_leads``.

    >>> pairs = pd.DataFrame({"customer_id": ["K1", "K1", "K2"], "manager_id": ["A", "B", "A"]})
    >>> ruled_out_pairs(pairs, Scenario(leads={"K1": "B"})).tolist()
    [True, False, False]
    >>> ruled_out_pairs(pairs, Scenario(excluded_leads={"K2": ["A"]})).tolist()
    [False, False, True]
    """
    out = np.zeros(len(pairs), bool)
    if len(pairs) == 0:
        return out
    if scenario.leads:
        want = pd.Series(scenario.lead_of).reindex(pairs["customer_id"]).to_numpy()
        out |= (~pd.isna(want)) & (want != pairs["manager_id"].to_numpy())
    if scenario.excluded_leads:
        out |= pd.MultiIndex.from_frame(pairs[["customer_id", "manager_id"]]).isin(
            list(scenario.excluded_leads))
    return out


def committed(acts: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Which (customer_id, activity_id) rows of ``acts`` the scenario commits.

    >>> acts = pd.DataFrame({"customer_id": ["K1", "K1", "K2"], "activity_id": ["A", "B", "A"]})
    >>> committed(acts, Scenario(committed_activities={"K1": ["B"]})).tolist()
    [False, True, False]
    """
    if not scenario.committed_activities or len(acts) == 0:
        return np.zeros(len(acts), bool)
    return pd.MultiIndex.from_frame(acts[["customer_id", "activity_id"]]).isin(
        list(scenario.committed_activities))


def coverage_options(case: Case, scenario: Scenario, customers: pd.Index) -> pd.DataFrame:
    """Coverage options (customer, level): hours a year and share of potential realised.

    Without responses.csv an account's options are the scenario's levels
    (hours = phi * kam_hours, realization = alpha * rho). Where responses.csv
    has rows for an account, they replace the levels for that account.
    """
    c = case.customers.loc[customers]
    lv = pd.DataFrame(
        [(x.name, x.hours_factor, x.realization_factor) for x in scenario.levels],
        columns=["level", "phi", "rho"],
    )
    resp = case.responses
    has_resp = c.index.isin(resp["customer_id"]) if len(resp) else np.zeros(len(c), bool)
    std = c.index[~has_resp]
    opts = pd.DataFrame(
        {
            "customer_id": np.repeat(std.to_numpy(), len(lv)),
            "level": np.tile(lv["level"].to_numpy(), len(std)),
            "hours": np.outer(c.loc[std, "kam_hours"].to_numpy(float), lv["phi"]).ravel(),
            "realization": np.tile(lv["rho"].to_numpy(float) * scenario.realization, len(std)),
        }
    )
    if has_resp.any():
        r = resp[resp["customer_id"].isin(c.index[has_resp])]
        opts = pd.concat([opts, r[["customer_id", "level", "hours", "realization"]]])
        order = {name: k for k, name in enumerate(scenario.level_names)}
        opts = opts.assign(_o=opts["level"].map(order).fillna(len(order)))
        opts = opts.sort_values(["customer_id", "_o"], kind="stable").drop(columns="_o")
    if scenario.coverage:  # a fixed level: that option only
        opts = opts[~ruled_out_levels(opts, scenario)]
    opts = opts.reset_index(drop=True)
    cc = case.customers.loc[opts["customer_id"]]
    opts["value"] = cc["margin"].to_numpy() * (
        opts["realization"].to_numpy() * cc["potential"].to_numpy()
        + scenario.retention * cc["revenue"].to_numpy()
    )
    return opts


def ruled_out_levels(opts: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Options of an account whose coverage the scenario fixes, at another level.

    Raises :class:`ScenarioError` for a fixed level the account does not have.
    """
    want = pd.Series(scenario.coverage_of).reindex(opts["customer_id"]).to_numpy()
    fixed = ~pd.isna(want)
    out = fixed & (want != opts["level"].to_numpy())
    has = set(zip(opts["customer_id"], opts["level"], strict=True))
    ids = set(opts["customer_id"])
    for cid, level in scenario.coverage:
        if cid in ids and (cid, level) not in has:
            names = ", ".join(opts.loc[opts["customer_id"] == cid, "level"])
            raise ScenarioError(Problem(
                scenario.name or "scenario", f"is not a coverage level of {cid} ({names})",
                column=f"coverage.{cid}", value=level))
    return out


def eligible_pairs(
    case: Case, scenario: Scenario, managers: pd.DataFrame, customers: pd.Index
) -> pd.DataFrame:
    """The (customer, manager) pairs with seniority >= tier, and their x-terms.

    Built tier by tier with numpy (no loop over all customers x managers).
    ``fit`` is whether the customer's industry is one of the manager's;
    ``continuity`` whether the manager serves the customer today;
    ``pair_cost`` the yearly cost of the pair from ``pair_costs.csv`` (0 where
    not listed). ``value`` is the pair's objective coefficient: fit and
    continuity minus the pair cost.
    """
    c = case.customers.loc[customers]
    parts = []
    for tier, group in c.groupby("tier", sort=True):
        ms = managers.index[managers["seniority"].to_numpy() >= tier]
        if len(ms) == 0 or len(group) == 0:
            continue
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": np.repeat(group.index.to_numpy(), len(ms)),
                    "manager_id": np.tile(ms.to_numpy(), len(group)),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {"customer_id": pd.Series(dtype=str), "manager_id": pd.Series(dtype=str),
             "fit": pd.Series(dtype=bool), "continuity": pd.Series(dtype=bool),
             "value": pd.Series(dtype=float), "hourly_cost": pd.Series(dtype=float),
             "pair_cost": pd.Series(dtype=float), "hours_factor": pd.Series(dtype=float)}
        )
    pairs = pd.concat(parts, ignore_index=True)
    # industry fit through a (manager x industry) boolean matrix
    ind = managers["industries"].explode().dropna()
    ind = ind[ind.astype(str) != ""]
    cust_ind = case.customers.loc[pairs["customer_id"], "industry"].to_numpy()
    codes, uniques = pd.factorize(pd.concat([ind.astype(str), pd.Series(cust_ind)], ignore_index=True))
    mi = pd.Index(managers.index)
    mat = np.zeros((len(mi), len(uniques) + 1), dtype=bool)
    mat[mi.get_indexer(ind.index), codes[: len(ind)]] = True
    pj = mi.get_indexer(pairs["manager_id"])
    pairs["fit"] = mat[pj, codes[len(ind):]] & (cust_ind != "")
    cur = case.customers.loc[pairs["customer_id"], "current_manager"].to_numpy()
    pairs["continuity"] = cur == pairs["manager_id"].to_numpy()
    cc = case.customers.loc[pairs["customer_id"]]
    pairs["value"] = (
        pairs["fit"].to_numpy()
        * cc["margin"].to_numpy()
        * scenario.realization
        * scenario.industry_fit
        * cc["potential"].to_numpy()
        + pairs["continuity"].to_numpy() * scenario.continuity_bonus
    )
    pairs["hourly_cost"] = managers["hourly_cost"].to_numpy(float)[pj]
    pairs["pair_cost"] = pair_costs(case, pairs, managers)
    pairs["value"] -= pairs["pair_cost"].to_numpy()
    pairs["hours_factor"] = pair_hours_factors(case, pairs, managers)
    return pairs


def pair_costs(case: Case, pairs: pd.DataFrame, managers: pd.DataFrame | None = None) -> np.ndarray:
    """The yearly cost of each (customer_id, manager_id) row of ``pairs`` (0 where not listed).

    With ``managers`` (:func:`effective_managers`), a hire has the costs of
    the manager its ``pair_costs_as`` names, or, where that is "", each
    account's average over all managers of the case (pairs not listed count
    as 0): ``pair_costs.csv`` cannot list a hire, and a hire whose pairs cost
    nothing would look better than any manager of the case.

    >>> from kamopt.case.scenario import Hire
    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([dict(customer_id="C1")],
    ...                  [dict(manager_id="A"), dict(manager_id="B")],
    ...                  pair_costs=[dict(customer_id="C1", manager_id="A", cost=30.0)])
    >>> m = effective_managers(case, Scenario(hires=(Hire(count=2),)))
    >>> pairs = pd.DataFrame({"customer_id": "C1", "manager_id": ["A", "B", "NEW1"]})
    >>> pair_costs(case, pairs, m).tolist()
    [30.0, 0.0, 15.0]
    >>> m = effective_managers(case, Scenario(hires=(Hire(pair_costs_from="A"),)))
    >>> pair_costs(case, pairs, m).tolist()
    [30.0, 0.0, 30.0]
    """
    pc = case.pair_costs
    if len(pc) == 0 or len(pairs) == 0:
        return np.zeros(len(pairs))
    cost = pc.set_index(["customer_id", "manager_id"])["cost"].astype(float)
    cid, mid, average = listed_pair_keys(pairs, managers)
    keys = pd.MultiIndex.from_arrays([cid, mid])
    out = cost.reindex(keys).fillna(0.0).to_numpy(dtype=float, copy=True)
    if average.any():
        mean = cost.groupby(level="customer_id").sum() / max(len(case.managers), 1)
        out[average] = mean.reindex(cid[average]).fillna(0.0).to_numpy()
    return out


def activity_options(case: Case, customers: pd.Index, min_cost_rate: pd.Series,
                     prune: bool = True, keep=()) -> pd.DataFrame:
    """(customer, activity) options whose value can exceed their cost.

    An activity for a customer is worth considering only when
    ``margin * uplift * potential > cost + kam_hours * cheapest hourly rate``;
    the others can never raise the objective (they only use capacity), so
    leaving them out is exact. ``prune=False`` keeps them all (a manager's
    ``min_hours`` may need an activity's hours); ``keep``: (customer_id,
    activity_id) pairs kept whatever they earn (activities the scenario commits).
    """
    a = case.activities
    cols = ["customer_id", "activity_id", "value", "cost", "kam_hours", "department", "dept_hours"]
    if len(a) == 0 or len(customers) == 0:
        return pd.DataFrame({k: pd.Series(dtype=float if k in ("value", "cost", "kam_hours", "dept_hours") else str) for k in cols})
    c = case.customers.loc[customers]
    value = np.outer(c["margin"].to_numpy() * c["potential"].to_numpy(), a["uplift"].to_numpy(float))
    cost = a["cost"].to_numpy(float)[None, :] + np.outer(
        min_cost_rate.reindex(customers).to_numpy(float), a["kam_hours"].to_numpy(float)
    )
    wanted = value > cost + 1e-9 if prune else np.ones_like(value, bool)
    for cid, k in keep:
        if cid in customers and k in a.index:
            wanted[customers.get_loc(cid), a.index.get_loc(k)] = True
    ii, kk = np.nonzero(wanted)
    out = pd.DataFrame(
        {
            "customer_id": customers.to_numpy()[ii],
            "activity_id": a.index.to_numpy()[kk],
            "value": value[ii, kk],
            "cost": a["cost"].to_numpy(float)[kk],
            "kam_hours": a["kam_hours"].to_numpy(float)[kk],
            "department": a["department"].to_numpy()[kk],
            "dept_hours": a["dept_hours"].to_numpy(float)[kk],
        }
    )
    return out


def prepare(case: Case, scenario: Scenario, prune: bool = True) -> ModelData:
    """Compute the model's index sets and coefficients for ``case`` under ``scenario``.

    With ``prune=True`` a customer whose best possible net contribution as a
    key account is <= 0 (and who is not ``must``) is left out of the model.
    This is exact: such an account can be dropped from any plan without
    breaking a constraint or lowering the objective. It is not applied when
    ``min_key_accounts`` is set, a manager has ``min_hours`` or the scenario's ``balance``
    has a band (``within``), because then an unprofitable account (or activity) may be
    needed to reach the minimum.
    """
    managers = effective_managers(case, scenario)
    status = effective_status(case, scenario)
    cust = case.customers[["tier"]].copy()
    cust["status"] = status
    cust["out_reason"] = ""
    cust.loc[status == "exclude", "out_reason"] = "excluded"
    candidates = cust.index[status != "exclude"]

    options = coverage_options(case, scenario, candidates)
    pairs = eligible_pairs(case, scenario, managers, candidates)
    if scenario.leads or scenario.excluded_leads:  # a fixed lead: that one pair (if eligible)
        pairs = pairs[~ruled_out_pairs(pairs, scenario)].reset_index(drop=True)
    no_mgr = candidates.difference(pd.Index(pairs["customer_id"].unique()))
    cust.loc[no_mgr, "out_reason"] = "no eligible manager"

    # cheapest eligible rate per customer, to bound activity costs from below
    min_rate = pairs.groupby("customer_id", sort=False)["hourly_cost"].min()
    # a minimum workload or a band around the mean may need an account that does not pay
    balanced = bool((managers["min_hours"] > 0).any()) or (
        scenario.balance is not None and scenario.balance.within is not None)
    for cid, k in scenario.committed_activities:
        if k not in case.activities.index:
            raise ScenarioError(Problem(scenario.name or "scenario", "is not an activity of the "
                                        "case (activities.csv)",
                                        column=f"committed_activities.{cid}", value=k))
    # an activity that does not pay may be needed for hours only: a band in hours or
    # utilisation (hours over capacity) counts activities, one in accounts or revenue does not
    # (exact, and the model keeps its size: docs/benchmarks.md)
    for_hours = bool((managers["min_hours"] > 0).any()) or (
        balanced and scenario.balance is not None
        and scenario.balance.measure in HOURS_MEASURES)
    acts = activity_options(case, candidates.difference(no_mgr), min_rate, prune=not for_hours,
                            keep=scenario.committed_activities)

    keep = candidates.difference(no_mgr)
    if prune and not scenario.min_key_accounts and not balanced:
        best = best_net(options, pairs, acts)
        unprofitable = best.index[(best <= 1e-9).to_numpy()]
        unprofitable = unprofitable[(status.loc[unprofitable] != "must").to_numpy()]
        cust.loc[unprofitable, "out_reason"] = "cannot pay for its KAM hours"
        keep = keep.difference(unprofitable)
    keep = case.customers.index[case.customers.index.isin(keep)]  # file order
    cust["in_model"] = cust.index.isin(keep)

    options = options[options["customer_id"].isin(keep)].reset_index(drop=True)
    pairs = pairs[pairs["customer_id"].isin(keep)].reset_index(drop=True)
    acts = acts[acts["customer_id"].isin(keep)].reset_index(drop=True)
    deps = case.departments["capacity_hours"].astype(float)
    return ModelData(case, scenario, cust, managers, options, pairs, acts, deps)


def best_net(options: pd.DataFrame, pairs: pd.DataFrame, acts: pd.DataFrame) -> pd.Series:
    """Upper bound of each customer's net contribution as a key account.

    For each (customer, level, eligible manager): the level's value, plus the
    pair's fit/continuity value, minus the hours at that manager's rate; the
    best of these plus every activity that could pay. Exact for the pruning
    rule in :func:`prepare` (an upper bound, attained when capacity allows).
    """
    if len(options) == 0 or len(pairs) == 0:
        return pd.Series(dtype=float)
    # one pass per level (not a merge of all options with all pairs, which grows
    # as customers x managers x levels): best over managers of
    # (pair value - rate * hours at that level)
    best = None
    for _, opt in options.groupby("level", sort=False):
        o = opt.set_index("customer_id")
        p = pairs[pairs["customer_id"].isin(o.index)]
        hours = o["hours"].reindex(p["customer_id"]).to_numpy() * pair_factor(p)
        net = p["value"].to_numpy() - p["hourly_cost"].to_numpy() * hours
        b = pd.Series(net).groupby(p["customer_id"].to_numpy(), sort=False).max()
        b = b.add(o["value"].reindex(b.index))
        best = b if best is None else best.combine(b, max, fill_value=-np.inf)
    if len(acts):
        extra = (acts["value"] - acts["cost"]).clip(lower=0).groupby(acts["customer_id"]).sum()
        best = best.add(extra, fill_value=0.0)
    return best
