"""What is uncertain about a plan's value, and the draws of it.

Cross-selling potential and the share of it a key account realises are
estimates. A scenario says how uncertain they are (its ``uncertainty`` key)
and how much the planner fears a bad outcome (its ``risk`` key)::

    uncertainty:
      potential_spread: 0.25          # +-25% around each customer's potential
      realization: {low: 0.2, high: 0.4}
      retention: {low: 0.03, high: 0.07}
    risk: {cvar: 0.1, weight: 0.5}    # half the weight on the worst 10% of outcomes

Each quantity is triangular with its mode at the point estimate: a
customer's ``potential`` (low and high from the case's ``potential_low`` and
``potential_high`` columns, or ``potential * (1 -+ spread)`` where they are
empty), the scenario's ``realization`` and ``retention``. ``potential_spread``
may differ by industry or region::

    potential_spread: {default: 0.25, industry: {Chemie: 0.4}, region: {Nord: 0.1}}

(an industry's spread wins over a region's). ``uncertainty:
{potential_spread: 0}`` alone means no uncertainty.

A draw is a pure function of the case, the scenario, the seed and the draw's
number (:func:`draw`): draw 17 of seed 1 is the same whether 20 or 2,000 draws
are made, on this process or on a worker of a cluster.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamopt.case.numbers import yaml_number

#: the streams of draws: Monte Carlo (the evaluation), the sample the two-stage plan is
#: decided on; separate streams keep the evaluation out of sample
MONTE_CARLO, DECISION_SAMPLE = 0, 1


@dataclass(frozen=True)
class Range:
    """A triangular distribution's ends; its mode is the scenario's value."""

    low: float
    high: float


@dataclass(frozen=True)
class Uncertainty:
    """How uncertain the estimates are (a scenario's ``uncertainty`` key).

    >>> Uncertainty().is_certain, Uncertainty(potential_spread=0.2).is_certain
    (True, False)
    """

    potential_spread: float = 0.0
    by_industry: tuple[tuple[str, float], ...] = ()
    by_region: tuple[tuple[str, float], ...] = ()
    realization: Range | None = None
    retention: Range | None = None

    @property
    def is_certain(self) -> bool:
        """No spread anywhere (the case's ``potential_low``/``high`` aside)."""
        spreads = [self.potential_spread, *(s for _, s in self.by_industry + self.by_region)]
        ranges = [r for r in (self.realization, self.retention) if r is not None]
        return all(s == 0 for s in spreads) and all(r.low == r.high for r in ranges)

    def to_dict(self) -> dict:
        out: dict = {}
        if self.by_industry or self.by_region:
            spread: dict = {"default": self.potential_spread}
            if self.by_industry:
                spread["industry"] = dict(self.by_industry)
            if self.by_region:
                spread["region"] = dict(self.by_region)
            out["potential_spread"] = spread
        else:
            out["potential_spread"] = self.potential_spread
        for key in ("realization", "retention"):
            r = getattr(self, key)
            if r is not None:
                out[key] = {"low": r.low, "high": r.high}
        return out


@dataclass(frozen=True)
class Risk:
    """How much a bad outcome weighs (a scenario's ``risk`` key).

    The two-stage plan maximises ``(1 - weight) * E[value] + weight * CVaR_cvar(value)``,
    where ``CVaR_cvar`` is the mean value of the worst ``cvar`` share of the draws.
    """

    cvar: float = 0.1
    weight: float = 0.0

    def to_dict(self) -> dict:
        return {"cvar": self.cvar, "weight": self.weight}


def _number(value: object, what: str) -> float:
    value = yaml_number(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a number")
    return float(value)


def _range(value: object, key: str) -> Range:
    if not isinstance(value, dict) or set(value) != {"low", "high"}:
        raise ValueError(f"{key} must be {{low: ..., high: ...}}, e.g. {{low: 0.2, high: 0.4}}")
    return Range(_number(value["low"], f"{key}.low"), _number(value["high"], f"{key}.high"))


def _spreads(value: object, key: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, dict):
        raise ValueError(f"{key} must map names to spreads, e.g. {{Chemie: 0.4}}")
    return tuple((str(k), _number(v, f"{key}.{k}")) for k, v in value.items())


def parse_uncertainty(value: object) -> Uncertainty | None:
    """The ``uncertainty`` key of a scenario file as an :class:`Uncertainty` (None: none).

    >>> parse_uncertainty({"potential_spread": 0.25, "realization": {"low": 0.2, "high": 0.4}})
    Uncertainty(potential_spread=0.25, by_industry=(), by_region=(), realization=Range(low=0.2, high=0.4), retention=None)
    >>> parse_uncertainty({"potential_spred": 0.2})
    Traceback (most recent call last):
    ValueError: unknown key 'potential_spred'; did you mean 'potential_spread'?
    """
    if value is None:
        return None
    if isinstance(value, Uncertainty):
        return value
    if not isinstance(value, dict):
        raise ValueError("must be a mapping such as {potential_spread: 0.25, realization: "
                         "{low: 0.2, high: 0.4}}")
    known = ("potential_spread", "realization", "retention")
    for k in value:
        if k not in known:
            close = difflib.get_close_matches(str(k), known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
            raise ValueError(f"unknown key {k!r}; {hint}")
    spread = value.get("potential_spread", 0.0)
    by_industry: tuple = ()
    by_region: tuple = ()
    if isinstance(spread, dict):
        extra = set(spread) - {"default", "industry", "region"}
        if extra:
            raise ValueError(f"potential_spread has an unknown key {sorted(map(str, extra))[0]!r}; "
                             "known keys: default, industry, region")
        by_industry = _spreads(spread.get("industry", {}), "potential_spread.industry")
        by_region = _spreads(spread.get("region", {}), "potential_spread.region")
        spread = spread.get("default", 0.0)
    return Uncertainty(
        potential_spread=_number(spread, "potential_spread"),
        by_industry=by_industry,
        by_region=by_region,
        realization=_range(value["realization"], "realization") if "realization" in value else None,
        retention=_range(value["retention"], "retention") if "retention" in value else None,
    )


def parse_risk(value: object) -> Risk | None:
    """The ``risk`` key of a scenario file as a :class:`Risk` (None: risk-neutral)."""
    if value is None:
        return None
    if isinstance(value, Risk):
        return value
    if not isinstance(value, dict) or not set(value) <= {"cvar", "weight"}:
        raise ValueError("must be {cvar: share of the worst draws, weight: 0..1}, "
                         "e.g. {cvar: 0.1, weight: 0.5}")
    return Risk(_number(value.get("cvar", 0.1), "cvar"), _number(value.get("weight", 0.0), "weight"))


def uncertainty_problems(u: Uncertainty | None, risk: Risk | None, realization: float,
                         retention: float) -> list[tuple[str, object, str]]:
    """What is wrong with ``u`` and ``risk`` for a scenario with these point estimates:
    (key, value, expected) triples."""
    out: list[tuple[str, object, str]] = []
    if u is not None:
        for key, s in (("potential_spread", u.potential_spread),
                       *((f"potential_spread.industry.{k}", v) for k, v in u.by_industry),
                       *((f"potential_spread.region.{k}", v) for k, v in u.by_region)):
            if not 0 <= s <= 1:
                out.append((f"uncertainty.{key}", s, "must be a share in [0, 1] of the potential"))
        for key, mode in (("realization", realization), ("retention", retention)):
            r = getattr(u, key)
            if r is None:
                continue
            if not 0 <= r.low <= 1 or not 0 <= r.high <= 1:
                out.append((f"uncertainty.{key}", f"{r.low:g}..{r.high:g}",
                            "low and high must be shares in [0, 1]"))
            elif not r.low <= mode <= r.high:
                out.append((f"uncertainty.{key}", f"{r.low:g}..{r.high:g}",
                            f"must hold the scenario's {key} ({mode:g}): low <= {mode:g} <= high"))
    if risk is not None:
        if not 0 < risk.cvar <= 1:
            out.append(("risk.cvar", risk.cvar, "must be the share of worst draws, in (0, 1]"))
        if not 0 <= risk.weight <= 1:
            out.append(("risk.weight", risk.weight, "must be a weight in [0, 1]"))
    return out


# ------------------------------------------------------------------ the draws
def potential_range(customers: pd.DataFrame, u: Uncertainty | None) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's (low, high) potential: the case's ``potential_low``/``potential_high``
    where given, else ``potential * (1 -+ spread)`` with the customer's spread.

    >>> c = pd.DataFrame({"potential": [100.0, 200.0], "industry": ["A", "B"],
    ...                   "region": ["N", "S"], "potential_low": [np.nan, 150.0],
    ...                   "potential_high": [np.nan, 260.0]})
    >>> lo, hi = potential_range(c, Uncertainty(0.1, by_industry=(("A", 0.5),)))
    >>> lo.tolist(), hi.tolist()
    ([50.0, 150.0], [150.0, 260.0])
    """
    pot = customers["potential"].to_numpy(float)
    spread = np.full(len(pot), u.potential_spread if u else 0.0)
    if u is not None:
        for col, pairs in (("region", u.by_region), ("industry", u.by_industry)):
            if pairs and col in customers:
                mapped = customers[col].astype(str).map(dict(pairs)).to_numpy(float)
                spread = np.where(np.isnan(mapped), spread, mapped)
    low, high = pot * (1 - spread), pot * (1 + spread)
    for col, default in (("potential_low", low), ("potential_high", high)):
        if col in customers:
            given = pd.to_numeric(customers[col], errors="coerce").to_numpy(float)
            if col == "potential_low":
                low = np.where(np.isnan(given), default, given)
            else:
                high = np.where(np.isnan(given), default, given)
    return low, high


def triangular(u: np.ndarray, low, mode, high) -> np.ndarray:
    """The triangular distribution's quantile at ``u`` in [0, 1] (a point mass where
    low == high).

    >>> triangular(np.array([0.0, 0.5, 1.0]), 0.0, 0.5, 1.0).tolist()
    [0.0, 0.5, 1.0]
    >>> triangular(np.array([0.3]), 2.0, 2.0, 2.0).tolist()
    [2.0]
    """
    low, mode, high = (np.broadcast_to(np.asarray(v, float), u.shape) for v in (low, mode, high))
    width = high - low
    safe = np.where(width > 0, width, 1.0)
    cut = np.where(width > 0, (mode - low) / safe, 0.0)
    left = low + np.sqrt(u * safe * (mode - low))
    right = high - np.sqrt((1 - u) * safe * (high - mode))
    return np.where(width > 0, np.where(u < cut, left, right), low)


@dataclass(frozen=True)
class Draw:
    """One outcome of the estimates: each customer's potential and the scenario's
    realisation and retention."""

    stream: int
    number: int
    potential: pd.Series
    realization: float
    retention: float


def draw(customers: pd.DataFrame, realization: float, retention: float,
         u: Uncertainty | None, seed: int, number: int, stream: int = MONTE_CARLO) -> Draw:
    """Draw ``number`` of ``stream`` for ``seed``: a pure function of its arguments.

    The random numbers come from ``numpy.random.default_rng([seed, stream, number])``,
    one per customer in the order of its id, then one for realisation and one for
    retention; the quantities are triangular (:func:`triangular`).

    >>> c = pd.DataFrame({"potential": [100.0, 50.0]}, index=pd.Index(["B", "A"], name="customer_id"))
    >>> a = draw(c, 0.3, 0.05, Uncertainty(0.2), seed=1, number=3)
    >>> b = draw(c.iloc[::-1], 0.3, 0.05, Uncertainty(0.2), seed=1, number=3)
    >>> bool((a.potential.sort_index() == b.potential.sort_index()).all()), a.realization
    (True, 0.3)
    >>> bool((draw(c, 0.3, 0.05, Uncertainty(0), 1, 3).potential == c["potential"]).all())
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"The seed must be a whole number >= 0. Got {seed!r} instead.")
    order = np.argsort(customers.index.to_numpy(dtype=str), kind="stable")
    rng = np.random.default_rng([int(seed), int(stream), int(number)])
    uniform = rng.random(len(customers) + 2)
    low, high = potential_range(customers, u)
    pot = customers["potential"].to_numpy(float)
    drawn = np.empty(len(pot))
    drawn[order] = triangular(uniform[: len(pot)], low[order], pot[order], high[order])
    values = []
    for k, (key, mode) in enumerate((("realization", realization), ("retention", retention))):
        r = getattr(u, key) if u is not None else None
        values.append(mode if r is None else
                      float(triangular(uniform[len(pot) + k: len(pot) + k + 1], r.low, mode,
                                       r.high)[0]))
    return Draw(stream, number, pd.Series(drawn, index=customers.index, name="potential"),
                values[0], values[1])
