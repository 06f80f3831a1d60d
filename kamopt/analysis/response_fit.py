"""Judged response, the decision calculus: ADBUDG curves through a manager's judgements.

A manager judges an account's (or an industry's) order intake a year at 0%, 50%, 100%
(today), 150% of today's effort and at saturation (``judgements.csv``). Little's (1970)
ADBUDG curve

    r(x) = b + (a - b) x^c / (d + x^c)

(b: response at zero effort, a: at saturation, c: shape, d: where the curve turns) is
fitted to them, and the curve gives each of the scenario's coverage levels its own
realisation factor: rows of ``responses.csv`` (customer_id, level, hours, realization)
that the plan uses unchanged. docs/response.md explains the method, the mapping and
the examples.

Everything here is a pure function of its arguments: :func:`read_judgements` /
:func:`parse_judgements` (a file or a table of cells, checked with messages naming file,
row, column and value), :func:`fit_adbudg` (one curve), :func:`fit_judgements` (one a
key), :func:`response_details` and :func:`fitted_responses` (the rows of responses.csv),
:func:`merged_responses` (with the case's other rows) and :func:`fit_table`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from kamopt.case.numbers import number_style, parse_numbers
from kamopt.case.raw import ProblemLog, RawTable, _listing, did_you_mean, text_array
from kamopt.case.scenario import Scenario
from kamopt.case.schema import Column, Table
from kamopt.case.tables import Case
from kamopt.case.validate import IdSpellings, check_unique, parse_table, provenance
from kamopt.errors import CaseError, Problem
from kamopt.i18n import N_

#: how a row names what it judges: one account, or every customer of an industry
KEYS = ("customer_id", "industry")
#: what ``effort`` may say instead of a number for the response at saturation
SATURATION_WORDS = frozenset({"saturation", "sat", "inf", "infinity", "∞", "sättigung"})
#: the fewest distinct efforts a key needs: the curve has four parameters
MIN_POINTS = 4
#: below this R² a fit is flagged as poor
POOR_R2 = 0.9
#: the shape parameter's range (c -> 0 is a step at zero, c = 20 a step at x = d^(1/c))
C_RANGE = (0.05, 20.0)
#: log(d)'s range: d from 2e-9 to 7e10 covers every turn point x = d^(1/c) of c in C_RANGE
LOG_D_RANGE = (-20.0, 25.0)
METHODS = ("auto", "calibrate", "least_squares")

JUDGEMENTS = Table("judgements", columns=(
    Column("customer_id", default=""),
    Column("industry", default=""),
    Column("effort", required=True),  # a number >= 0 or 'saturation': parsed below
    Column("order_intake", "number", required=True, lo=0),
))
EFFORT_EXPECTED = ("must be a number >= 0 (a share of today's effort: 0, 0.5, 1, 1.5) or "
                   "'saturation'")

#: what each flag of a fit says (the chart shows them through tr())
FLAGS = {
    "not_monotone": N_("judgements not monotone"),
    "poor_fit": N_("poor fit"),
}


# ------------------------------------------------------------------ the curve
def adbudg(x, a: float, b: float, c: float, d: float):
    """Little's ADBUDG response ``b + (a - b) x^c / (d + x^c)``; ``x = inf`` gives ``a``.

    >>> float(adbudg(0, 10, 2, 2, 1)), float(adbudg(1, 10, 2, 2, 1)), float(adbudg(np.inf, 10, 2, 2, 1))
    (2.0, 6.0, 10.0)
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        xc = np.power(x, c)
        share = np.where(np.isinf(xc), 1.0, xc / (d + xc))
    out = b + (a - b) * share
    return out if out.ndim else out[()]


@dataclass(frozen=True)
class Fit:
    """An ADBUDG curve fitted to one key's judgements, and how well it fits them.

    ``method`` is ``calibrate`` (through the judgements at 0, today and saturation
    exactly, c by least squares over the others: Little's calibration) or
    ``least_squares`` (all four parameters); ``rmse`` is in the judgements' unit (EUR a
    year), ``r2`` over every judged point (saturation included); ``flags`` are keys of
    :data:`FLAGS`.
    """

    a: float
    b: float
    c: float
    d: float
    rmse: float
    r2: float
    method: str
    efforts: tuple[float, ...]
    intakes: tuple[float, ...]
    monotone: bool
    flags: tuple[str, ...] = ()
    kind: str = "customer_id"
    key: str = ""
    rows: tuple[int, ...] = field(default=(), compare=False)

    def __call__(self, x):
        return adbudg(x, self.a, self.b, self.c, self.d)

    @property
    def label(self) -> str:
        """``K0004`` for an account, ``industry Chemie`` for a segment."""
        return self.key if self.kind == "customer_id" else f"{self.kind} {self.key}"


def _stats(x: np.ndarray, y: np.ndarray, p: tuple[float, float, float, float]) -> tuple[float, float]:
    res = adbudg(x, *p) - y
    ss_res = float(np.sum(res**2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    tiny = 1e-18 * max(1.0, float(np.max(np.abs(y)))) ** 2
    r2 = 1.0 - ss_res / ss_tot if ss_tot > tiny else (1.0 if ss_res <= tiny * len(y) else 0.0)
    return math.sqrt(ss_res / len(y)), r2


def _point(x: np.ndarray, y: np.ndarray, at: float) -> float | None:
    hit = np.flatnonzero(x == at)
    return float(y[hit[0]]) if len(hit) else None


def _calibrate(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float] | None:
    """Little's calibration: b = r(0), a = r(saturation), d from r(1) = today's, c through
    the other points (exactly for one, least squares for several); None where the
    judgements do not allow it (a point missing, or not b < r(1) < a)."""
    b, r1, a = _point(x, y, 0.0), _point(x, y, 1.0), _point(x, y, math.inf)
    if b is None or r1 is None or a is None or not b < r1 < a:
        return None
    d = (a - b) / (r1 - b) - 1.0
    other = np.isfinite(x) & (x != 0.0) & (x != 1.0)
    xo, yo = x[other], y[other]
    if not len(xo):
        return None
    inside = (yo > b) & (yo < a)
    exact = np.log(d * (yo[inside] - b) / (a - yo[inside])) / np.log(xo[inside])
    exact = exact[np.isfinite(exact) & (exact > 0)]
    c0 = float(np.clip(np.median(exact), *C_RANGE)) if len(exact) else 1.0
    if len(xo) == 1 and len(exact) == 1:  # Little's four points: exact, whatever its size
        return a, b, float(exact[0]), d
    scale = max(float(np.max(np.abs(y))), 1.0)
    sol = least_squares(lambda p: (adbudg(xo, a, b, p[0], d) - yo) / scale, [c0],
                        bounds=([C_RANGE[0]], [C_RANGE[1]]), xtol=1e-14, ftol=1e-14, gtol=1e-14)
    return a, b, float(sol.x[0]), d


def _starts(x: np.ndarray, y: np.ndarray, calibrated) -> list[tuple[float, float, float, float]]:
    """Start values from the judgements: the calibration where there is one, then curves
    through the judgement at zero (or the least), at saturation (or above the most) and
    the one nearest today, at several shapes."""
    out = [calibrated] if calibrated is not None else []
    b0 = _point(x, y, 0.0)
    b0 = float(np.min(y)) if b0 is None else b0
    a0 = _point(x, y, math.inf)
    a0 = float(np.max(y)) + 0.1 * (float(np.max(y)) - b0) if a0 is None else a0
    a0 = max(a0, b0)
    finite = np.isfinite(x) & (x > 0)
    k = np.flatnonzero(finite)[np.argmin(np.abs(np.log(x[finite])))] if finite.any() else None
    for c0 in (1.0, 2.0, 0.5, 4.0):
        d0 = 1.0
        if k is not None and b0 < y[k] < a0:
            d0 = float(x[k] ** c0 * (a0 - y[k]) / (y[k] - b0))
        out.append((a0, b0, c0, min(max(d0, 1e-6), 1e9)))
    return out


def _least_squares(x: np.ndarray, y: np.ndarray, starts) -> tuple[float, float, float, float]:
    """All four parameters by bounded least squares (b >= 0, a - b >= 0, c in C_RANGE,
    log d in LOG_D_RANGE), from each start; the best, the first of equals."""
    scale = max(float(np.max(np.abs(y))), 1.0)
    yn = y / scale

    def curve(p):  # p = (b, a - b, c, log d), amounts in units of `scale`
        return adbudg(x, p[0] + p[1], p[0], p[2], math.exp(p[3]))

    lo = [0.0, 0.0, C_RANGE[0], LOG_D_RANGE[0]]
    hi = [np.inf, np.inf, C_RANGE[1], LOG_D_RANGE[1]]
    best, best_cost = None, math.inf
    for a0, b0, c0, d0 in starts:
        p0 = np.clip([max(b0, 0.0) / scale, max(a0 - b0, 0.0) / scale, c0, math.log(d0)],
                     lo, [1e12, 1e12, hi[2], hi[3]])
        sol = least_squares(lambda p: curve(p) - yn, p0, bounds=(lo, hi), method="trf",
                            xtol=1e-14, ftol=1e-14, gtol=1e-14, max_nfev=4000)
        if sol.cost < best_cost - 1e-15:
            best, best_cost = sol.x, sol.cost
    b, s, c, t = best
    return float((b + s) * scale), float(b * scale), float(c), float(math.exp(t))


def fit_adbudg(efforts: Sequence[float], intakes: Sequence[float], method: str = "auto", *,
               kind: str = "customer_id", key: str = "", rows: Sequence[int] = ()) -> Fit:
    """The ADBUDG curve through judged order intake ``intakes`` at ``efforts`` (shares of
    today's effort; ``inf`` for saturation).

    ``method``: ``calibrate`` (Little 1970: exactly through the judgements at 0, 1 and
    saturation, c by least squares over the others; with the five classic judgements
    the curve passes through four of them and fits the fifth), ``least_squares`` (all
    four parameters, bounded: a >= b >= 0, c > 0, d > 0; started from the calibration
    where there is one), or ``auto``: the calibration where the judgements allow it
    (0, 1 and saturation given, b < r(1) < a), else least squares.

    >>> f = fit_adbudg([0, 0.5, 1, 1.5, np.inf], [100, 130, 150, 162, 180])
    >>> f.method, round(f.b), round(f.a), round(float(f(1)), 6)
    ('calibrate', 100, 180, 150.0)

    Raises
    ------
    ValueError
        With fewer than :data:`MIN_POINTS` distinct efforts, a negative or NaN effort,
        an intake that is not a finite number >= 0, or an unknown ``method``.
    """
    x = np.asarray(efforts, dtype=float)
    y = np.asarray(intakes, dtype=float)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("efforts and intakes must be two sequences of the same length")
    if np.isnan(x).any() or (x < 0).any():
        raise ValueError("efforts must be numbers >= 0 (inf for saturation)")
    if not np.isfinite(y).all() or (y < 0).any():
        raise ValueError("intakes must be finite numbers >= 0")
    if len(np.unique(x)) < MIN_POINTS:
        raise ValueError(f"the curve has four parameters: it needs judgements at "
                         f"{MIN_POINTS} or more different efforts; got {len(np.unique(x))}")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    monotone = bool(np.all(np.diff(y) >= -1e-9 * max(1.0, float(np.max(y)))))
    calibrated = _calibrate(x, y) if method != "least_squares" else None
    if method == "calibrate" and calibrated is None:
        raise ValueError("Little's calibration needs judgements at efforts 0, 1 and saturation "
                         "with r(0) < r(1) < r(saturation), and at least one more")
    if calibrated is not None and method != "least_squares":
        p, used = calibrated, "calibrate"
    else:
        p, used = _least_squares(x, y, _starts(x, y, _calibrate(x, y))), "least_squares"
    rmse, r2 = _stats(x, y, p)
    flags = tuple(f for f, on in (("not_monotone", not monotone), ("poor_fit", r2 < POOR_R2))
                  if on)
    rows_sorted = tuple(int(np.asarray(rows)[i]) for i in order) if len(rows) else ()
    return Fit(*p, rmse=rmse, r2=r2, method=used, efforts=tuple(x.tolist()),
               intakes=tuple(y.tolist()), monotone=monotone, flags=flags, kind=kind, key=key,
               rows=rows_sorted)


# ---------------------------------------------------------------- the file
def read_judgements(path: str | os.PathLike, case: Case) -> pd.DataFrame:
    """``judgements.csv`` read and checked against ``case``.

    Columns: ``customer_id`` or ``industry`` (each row fills exactly one: an account of
    customers.csv, or an industry of its customers), ``effort`` (a share of today's
    effort, ``0``, ``0.5``, ``1``, ``1.5``, or ``saturation``) and ``order_intake``
    (EUR a year, >= 0). The file is read as the case's own tables are (UTF-8 or cp1252,
    ``,`` ``;`` or tab, German Excel's numbers; the size limits of docs/limits.md).

    Returns a table with columns kind (``customer_id`` or ``industry``), key, effort
    (``inf`` for saturation), order_intake and row (as Excel shows it).

    Raises
    ------
    CaseError
        With every problem, each naming file, row, column and value.
    """
    from kamopt.case.io import read_csv_table

    path = Path(path)
    log = ProblemLog()
    if not path.is_file():
        log.add(Problem(str(path), "is not a file; expected a judgements CSV file"))
        log.raise_if_any(title="The judgements cannot be read")
    raw = read_csv_table(path, path.name, log)
    log.raise_if_any(title=f"The judgements {path.name} cannot be read")
    if raw is None or not raw.header:
        raise CaseError(Problem(path.name, "is empty; expected a header (customer_id or "
                                "industry, effort, order_intake) and judgements below it"),
                        title=f"The judgements {path.name} have problems")
    return judgements_from_raw(raw, case)


def parse_judgements(df: pd.DataFrame, case: Case, file: str = "judgements.csv") -> pd.DataFrame:
    """Judgements as a table of cells (``df``, the first row being row 2 of ``file``; numbers
    as a workbook's cells), checked as :func:`read_judgements` checks a file: what an
    editor of the curves (the explorer's) calls with what the user typed.

    >>> from kamopt.testing import tiny_case
    >>> case = tiny_case([{"customer_id": "A", "revenue": 1e6, "margin": 0.3,
    ...                    "potential": 1e5, "kam_hours": 50}],
    ...                  [{"manager_id": "M1", "capacity_hours": 100}])
    >>> parse_judgements(pd.DataFrame({"customer_id": ["A", "B"], "effort": ["-1", "1"],
    ...                                "order_intake": ["9e5", "x"]}), case)
    Traceback (most recent call last):
    kamopt.errors.CaseError: The judgements judgements.csv have problems (3 problems):
      - judgements.csv, row 3, column 'order_intake': got 'x'; must be a number >= 0
      - judgements.csv, row 2, column 'effort': got '-1'; must be a number >= 0 (a share of today's effort: 0, 0.5, 1, 1.5) or 'saturation'
      - judgements.csv, row 3, column 'customer_id': got 'B'; unknown customer; must be a customer_id in customers.csv
    """
    raw = RawTable(file, [str(c) for c in df.columns],
                   [text_array(df.iloc[:, k].tolist()) for k in range(df.shape[1])],
                   np.arange(2, len(df) + 2, dtype=np.int64), sep="")
    return judgements_from_raw(raw, case)


def _parse_efforts(raw: RawTable, cells: np.ndarray, log: ProblemLog) -> np.ndarray:
    text = np.array([str(v).strip() for v in cells], dtype=object)
    words = np.array([v.lower() in SATURATION_WORDS for v in text], dtype=bool)
    positions = [i for i, h in enumerate(raw.header) if h.strip().lower() in ("effort",
                                                                             "order_intake")]
    values, bad = parse_numbers(np.where(words, "", text).astype(object),
                                number_style(raw, positions))
    values[words] = math.inf
    wrong = (bad | (values < 0) | ((text == "") & ~words)) & ~words
    idx = np.flatnonzero(wrong)
    log.cells(raw.file, "effort", raw.rows[idx], text[idx],
              [EFFORT_EXPECTED if text[i] else "is empty; " + EFFORT_EXPECTED for i in idx])
    values[wrong] = np.nan
    return values


def judgements_from_raw(raw: RawTable, case: Case) -> pd.DataFrame:
    """The checks of :func:`read_judgements` on a table as read (a :class:`RawTable`)."""
    log = ProblemLog()
    frame = parse_table(raw, JUDGEMENTS, log)
    heads = {h.strip().lower() for h in raw.header}
    if not heads & set(KEYS):
        log.add(Problem(raw.file, "needs a column 'customer_id' (one account a row) or "
                        "'industry' (every customer of an industry); the header has "
                        + _listing([h.strip() for h in raw.header]),
                        row=raw.header_row, column="customer_id"))
    efforts = (_parse_efforts(raw, frame["effort"].to_numpy(dtype=object), log)
               if "effort" in frame else np.full(len(raw), np.nan))
    cust = frame["customer_id"].to_numpy(dtype=object)
    ind = frame["industry"].to_numpy(dtype=object)
    both, neither = (cust != "") & (ind != ""), (cust == "") & (ind == "")
    if heads & set(KEYS):
        for mask, text in ((both, "and industry both filled; a row judges one account "
                                  "(customer_id) or one industry, not both"),
                           (neither, "is empty; a row judges one account (customer_id) or one "
                                     "industry: fill one of them")):
            idx = np.flatnonzero(mask)
            log.cells(raw.file, "customer_id", raw.rows[idx], cust[idx], text)
    c = case.customers
    cfile, crows = provenance(c, "customers", case.source)
    spell = IdSpellings(c.index, crows, cfile, "customer_id")
    near = c.index.tolist() if len(c) <= 2000 else []
    unknown = np.flatnonzero((cust != "") & ~both & ~pd.Index(cust).isin(c.index))
    log.cells(raw.file, "customer_id", raw.rows[unknown], cust[unknown],
              [f"unknown customer; must be a customer_id in {cfile}"
               + (spell.note(cust[i]) or did_you_mean(str(cust[i]), near)) for i in unknown])
    industries = sorted(set(c["industry"].astype(str)) - {""})
    unknown = np.flatnonzero((ind != "") & ~both & ~pd.Index(ind).isin(industries))
    log.cells(raw.file, "industry", raw.rows[unknown], ind[unknown],
              [f"unknown industry; must be an industry of the customers in {cfile} ("
               + _listing(industries) + ")" + did_you_mean(str(ind[i]), industries)
               for i in unknown])
    kind = np.where(cust != "", "customer_id", "industry").astype(object)
    key = np.where(cust != "", cust, ind).astype(object)
    valid = ~both & ~neither & np.isfinite(efforts)
    check_unique(pd.MultiIndex.from_arrays([kind, key, np.nan_to_num(efforts, posinf=-1.0)]),
                 raw, "effort", log, "a second judgement of the same key at the same effort",
                 shown=np.array([str(v) for v in frame["effort"]], dtype=object), valid=valid)
    out = pd.DataFrame({"kind": kind, "key": key, "effort": efforts,
                        "order_intake": frame["order_intake"].to_numpy(dtype=float)
                        if "order_intake" in frame else np.nan, "row": raw.rows})
    if not len(log):
        for (k, name), group in out.groupby(["kind", "key"], sort=False):
            n = group["effort"].nunique()
            if n < MIN_POINTS:
                log.add(Problem(raw.file, f"{k} {name!r} has judgements at {n} effort"
                                f"{'s' if n != 1 else ''} (rows {_listing([str(r) for r in group['row']])}); "
                                f"the response curve has four parameters and needs {MIN_POINTS} or "
                                "more (e.g. 0, 0.5, 1, 1.5 and saturation)",
                                row=int(group["row"].iloc[0]), column=k, value=name))
    if not len(out) and not len(log):
        log.add(Problem(raw.file, "has no judgements below the header", row=raw.header_row + 1))
    log.raise_if_any(title=f"The judgements {raw.file} have problems")
    out.attrs["file"] = raw.file
    return out


def fit_judgements(judgements: pd.DataFrame, method: str = "auto") -> list[Fit]:
    """One :class:`Fit` a key of ``judgements`` (:func:`read_judgements`), in file order."""
    fits = []
    for (kind, key), g in judgements.groupby(["kind", "key"], sort=False):
        fits.append(fit_adbudg(g["effort"].to_numpy(float), g["order_intake"].to_numpy(float),
                               method, kind=kind, key=key, rows=g["row"].tolist()))
    return fits


def fit_table(fits: Sequence[Fit]) -> pd.DataFrame:
    """The fits for readers: key, method, a, b, c, d, RMSE, R² and the flags."""
    return pd.DataFrame(
        [{"kind": f.kind, "key": f.key, "method": f.method, "a": f.a, "b": f.b, "c": f.c,
          "d": f.d, "points": len(f.efforts), "rmse": f.rmse, "r2": f.r2,
          "flags": "; ".join(FLAGS[x] for x in f.flags)} for f in fits],
        columns=["kind", "key", "method", "a", "b", "c", "d", "points", "rmse", "r2", "flags"])


# ------------------------------------------------------------ to responses.csv
def response_details(case: Case, scenario, fits: Sequence[Fit]) -> pd.DataFrame:
    """Each judged account's coverage levels, from its curve (or its industry's).

    For the scenario's level with hours factor f: ``hours = f * kam_hours`` and

        realization = (r(f) - r(0) - retention * revenue) / potential, clipped to [0, 1]

    so that the plan's value of the level, margin * (realization * potential +
    retention * revenue), is the margin on the judged uplift r(f) - r(0) (docs/model.md:
    the objective; docs/response.md: why). An industry's curve is of all its customers'
    order intake (as targets.csv's industry scope): its revenue and potential are theirs
    summed, and its realisation applies to each of them that has no judgement of its own.

    Columns: customer_id, level, hours, realization (what responses.csv holds), then
    source (the curve's key), effort, order_intake (r(f)), uplift (r(f) - r(0)) and note
    (why a realisation was clipped, or "").
    """
    scenario = Scenario.coerce(scenario)
    c = case.customers
    own = {f.key: f for f in fits if f.kind == "customer_id"}
    by_industry = {f.key: f for f in fits if f.kind == "industry"}
    records = []
    for cid in c.index:
        fit = own.get(cid) or by_industry.get(str(c.at[cid, "industry"]))
        if fit is None:
            continue
        if fit.kind == "customer_id":
            revenue, potential = float(c.at[cid, "revenue"]), float(c.at[cid, "potential"])
        else:
            members = c[c["industry"].astype(str) == fit.key]
            revenue, potential = float(members["revenue"].sum()), float(members["potential"].sum())
        base = float(fit(0.0))
        for level in scenario.levels:
            f = float(level.hours_factor)
            r = float(fit(f))
            uplift = r - base
            kept = uplift - scenario.retention * revenue
            share = kept / potential if potential > 0 else 0.0
            note = ""
            if potential <= 0:
                note = "no potential to realise"
            elif share < 0:
                note = "uplift below what retention already counts"
            elif share > 1:
                note = "uplift beyond the potential"
            records.append({
                "customer_id": cid, "level": level.name,
                "hours": f * float(c.at[cid, "kam_hours"]),
                "realization": round(min(max(share, 0.0), 1.0), 4), "source": fit.label,
                "effort": f, "order_intake": r, "uplift": uplift, "note": note})
    return pd.DataFrame(records, columns=["customer_id", "level", "hours", "realization",
                                          "source", "effort", "order_intake", "uplift", "note"])


def fitted_responses(case: Case, scenario, judgements: pd.DataFrame | Sequence[Fit],
                     method: str = "auto") -> pd.DataFrame:
    """The judged accounts' rows of ``responses.csv`` (customer_id, level, hours,
    realization), in the order of customers.csv and the scenario's levels.

    ``judgements`` is :func:`read_judgements`' table (fitted with ``method``) or the fits.
    """
    fits = (fit_judgements(judgements, method) if isinstance(judgements, pd.DataFrame)
            else list(judgements))
    return response_details(case, scenario, fits)[["customer_id", "level", "hours",
                                                   "realization"]]


def merged_responses(case: Case, fitted: pd.DataFrame) -> pd.DataFrame:
    """``fitted`` with the rows of the case's own responses.csv for the accounts it does not
    cover: what the case's responses.csv becomes when the judged curves replace theirs."""
    resp = case.responses
    cols = ["customer_id", "level", "hours", "realization"]
    if not len(resp):
        return fitted.reset_index(drop=True)
    kept = resp[~resp["customer_id"].isin(fitted["customer_id"])][cols]
    both = pd.concat([kept, fitted[cols]], ignore_index=True)
    order = {cid: k for k, cid in enumerate(case.customers.index)}
    return (both.assign(_o=both["customer_id"].map(order)).sort_values("_o", kind="stable")
            .drop(columns="_o").reset_index(drop=True))
