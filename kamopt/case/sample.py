"""A seeded sample company: Rheinwerk Antriebstechnik GmbH and its customers.

Rheinwerk Antriebstechnik GmbH is a fictional mid-sized German supplier of
industrial goods (geared motors, rolling bearings, couplings and linear
components) headquartered in Neuwied am Rhein. It sells to manufacturers in
the German regions Nord, Süd, West and Ost and to export customers in Austria
and Switzerland (DACH-Export), and has far fewer key account managers than
candidate key accounts.

:func:`make_case` draws a complete, valid case of any size from one seed
(``numpy.random.default_rng(seed)``): the same seed gives an identical case.
Everything is vectorised with numpy and pandas, so 20,000 customers and 400
managers take well under two seconds. :func:`write_sample` writes it as a
case folder.

Examples
--------
>>> case = make_case(customers=40, managers=4, seed=1)
>>> len(case.customers), len(case.managers)
(40, 4)
>>> case.customers.index[:3].tolist()
['K0001', 'K0002', 'K0003']
>>> make_case(customers=40, managers=4, seed=1) == case
True
>>> sorted(set(case.activities["kind"]))
['development', 'information', 'integration', 'logistics', 'product', 'training']
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from kamopt.case.io import save_case
from kamopt.case.schema import TABLES, TABLES_BY_NAME
from kamopt.case.staging import check_writable, move_into, staging_dir
from kamopt.case.tables import Case
from kamopt.errors import InputError, Problem

# ------------------------------------------------------------------ vocabulary
#: sales regions and the share of customers in each
REGIONS = ("Nord", "Süd", "West", "Ost", "DACH-Export")
REGION_SHARE = (0.15, 0.30, 0.27, 0.13, 0.15)

#: industry -> (share of customers, mean margin, revenue factor, words for names)
INDUSTRIES: dict[str, tuple[float, float, float, tuple[str, ...]]] = {
    "Maschinenbau": (
        0.25,
        0.31,
        1.0,
        (
            "Maschinenfabrik",
            "Anlagenbau",
            "Präzisionstechnik",
            "Werkzeugmaschinen",
            "Fördertechnik",
            "Verpackungsmaschinen",
            "Sondermaschinenbau",
        ),
    ),
    "Automobil": (
        0.18,
        0.19,
        1.6,
        (
            "Fahrzeugteile",
            "Automotive",
            "Karosserietechnik",
            "Fahrwerkstechnik",
            "Zulieferteile",
            "Motorenwerke",
        ),
    ),
    "Elektro": (
        0.12,
        0.28,
        0.9,
        ("Elektrotechnik", "Schaltanlagen", "Elektronik", "Kabelwerke", "Steuerungstechnik"),
    ),
    "Chemie": (
        0.10,
        0.26,
        1.2,
        ("Chemie", "Kunststoffwerke", "Lackfabrik", "Spezialchemie", "Polymertechnik"),
    ),
    "Lebensmittel": (
        0.10,
        0.22,
        0.8,
        ("Lebensmittelwerke", "Getränketechnik", "Großbäckerei", "Molkerei", "Feinkost"),
    ),
    "Energie": (
        0.09,
        0.33,
        1.3,
        ("Energietechnik", "Windkraftanlagen", "Netztechnik", "Kraftwerkstechnik", "Solartechnik"),
    ),
    "Medizintechnik": (
        0.08,
        0.40,
        0.7,
        ("Medizintechnik", "Dentaltechnik", "Labortechnik", "Orthopädietechnik", "Medizinprodukte"),
    ),
    "Bau": (
        0.08,
        0.24,
        0.9,
        ("Baumaschinen", "Bauelemente", "Aufzugsbau", "Stahlbau", "Betonwerke"),
    ),
}

SURNAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
    "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange",
    "Schmitt", "Werner", "Krause", "Lehmann", "Köhler", "Größer", "Weiß", "Jäger",
    "Vogel", "Brandt", "Haas", "Kühn", "Voß", "Böhm", "Frühauf", "Dreßler",
    "Sommer", "Lorenz", "Pohl", "Engel", "Ludwig", "Günther", "Winkler", "Förster",
    "Seidel", "Hübner",
)  # fmt: skip
FIRST_NAMES = (
    "Andreas", "Anna", "Bernd", "Birgit", "Christian", "Claudia", "Daniel", "Doris",
    "Erik", "Eva", "Frank", "Gabriele", "Hans-Peter", "Heike", "Jan", "Julia",
    "Jürgen", "Katrin", "Klaus", "Lena", "Markus", "Martina", "Michael", "Nicole",
    "Oliver", "Petra", "Ralf", "Sabine", "Stefan", "Susanne", "Thomas", "Ute",
    "Uwe", "Yvonne", "Jörg", "Sönke", "Björn", "Ömer", "Mareike", "Tobias",
)  # fmt: skip
#: place adjectives for company names, by sales region
PLACES = {
    "Nord": ("Kieler", "Bremer", "Emsländer", "Lübecker", "Rostocker", "Oldenburger"),
    "Süd": ("Allgäuer", "Ulmer", "Göppinger", "Würzburger", "Hohenloher", "Passauer"),
    "West": ("Sauerländer", "Pfälzer", "Bielefelder", "Siegener", "Münsterländer", "Wetzlarer"),
    "Ost": ("Thüringer", "Lausitzer", "Chemnitzer", "Zwickauer", "Erfurter", "Magdeburger"),
    "DACH-Export": ("Grazer", "Zürcher", "Linzer", "Tiroler", "Vorarlberger", "Basler"),
}
CITIES = (
    "Ulm", "Kassel", "Essen", "Jena", "Minden", "Passau", "Siegen", "Lübeck",
    "Zwickau", "Bamberg", "Paderborn", "Trier", "Rostock", "Landshut", "Gießen", "Fulda",
    "Aalen", "Hagen", "Cottbus", "Linz", "Wels", "Basel", "Göttingen", "Lüdenscheid",
)  # fmt: skip
#: legal forms for the smaller and the larger customers, with weights
LEGAL_SMALL = (("GmbH", 0.52), ("GmbH & Co. KG", 0.30), ("KG", 0.12), ("AG", 0.06))
LEGAL_LARGE = (("AG", 0.35), ("SE", 0.20), ("GmbH & Co. KG", 0.25), ("GmbH", 0.20))

#: the measures Rheinwerk runs for key accounts:
#: id, name, kind, cost (EUR/yr), kam_hours, uplift, department, dept_hours
ACTIVITY_BASE = (
    ("A01", "VMI/Konsignationslager", "logistics", 14000, 12, 0.05, "Logistik", 90),
    ("A02", "Just-in-Sequence-Belieferung", "logistics", 22000, 16, 0.07, "Logistik", 140),
    ("A03", "Verpackungsanpassung", "product", 5000, 6, 0.03, "Produktion", 40),
    ("A04", "Anwendungstechnik vor Ort", "product", 9000, 20, 0.06, "F&E", 70),
    ("A05", "Gemeinsame Neuproduktentwicklung", "development", 38000, 40, 0.13, "F&E", 260),
    ("A06", "Kundenwissen-Workshop", "information", 2500, 10, 0.02, "Schulung", 16),
    ("A07", "Schulung Innendienst", "training", 4000, 6, 0.03, "Schulung", 30),
    ("A08", "EDI-Anbindung", "integration", 12000, 8, 0.04, "IT", 110),
    ("A09", "Kundenportal mit Bestandsdaten", "integration", 8000, 6, 0.03, "IT", 60),
    ("A10", "Sonderfertigung in Kleinserie", "product", 16000, 14, 0.08, "Produktion", 120),
)
DEPARTMENTS = ("Logistik", "IT", "F&E", "Produktion", "Schulung")

# The default scenario (spec section 2), used to calibrate the departments.
_ALPHA, _BETA = 0.30, 0.05


# ----------------------------------------------------------------- helpers
def _draw(rng: np.random.Generator, items, p, size: int) -> np.ndarray:
    """``size`` draws of ``items`` with probabilities ``p`` (normalised)."""
    p = np.asarray(p, float)
    return np.asarray(items, dtype=object)[rng.choice(len(items), size=size, p=p / p.sum())]


def _text(values, name: str | None = None) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=object), name=name, dtype="str")


def _ids(prefix: str, n: int, width: int) -> pd.Index:
    width = max(width, len(str(n)))
    return pd.Index([f"{prefix}{k:0{width}d}" for k in range(1, n + 1)], dtype="str")


def _rank_pct(x: np.ndarray) -> np.ndarray:
    """Rank of each value in (0, 1], ties broken by position."""
    r = np.empty(len(x))
    r[np.argsort(x, kind="stable")] = np.arange(1, len(x) + 1)
    return r / max(len(x), 1)


def _pick_weighted(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column per row of ``weights`` (rows with positive sum), drawn by weight."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((cum <= u[:, None]).sum(axis=1), weights.shape[1] - 1)


def _empty(table: str) -> pd.DataFrame:
    """An empty table of the case format with its columns and dtypes."""
    t = TABLES_BY_NAME[table]
    dtypes = {"number": "float64", "integer": "int64", "list": "object"}
    cols = {c.name: pd.Series(dtype=dtypes.get(c.kind, "str")) for c in t.columns if c.name != t.id}
    df = pd.DataFrame(cols)
    if t.id:
        df.index = pd.Index([], dtype="str", name=t.id)
    return df


# ----------------------------------------------------------------- managers
def _n_executives(m: int) -> int:
    if m < 4:
        return 0
    if m < 8:
        return 1
    return max(2, round(m / 40))


def _managers(rng: np.random.Generator, m: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The managers, and a (manager x industry) matrix of their expertise."""
    n_exec = _n_executives(m)
    n_kam = m - n_exec
    n3 = max(1, round(0.3 * n_kam))
    n2 = min(n_kam - n3, max(1, round(0.4 * n_kam)))
    seniority = np.r_[np.full(n3, 3), np.full(n2, 2), np.full(n_kam - n3 - n2, 1)]
    seniority = np.r_[np.full(n_exec, 3), rng.permutation(seniority)].astype("int64")
    role = np.r_[np.full(n_exec, "executive", dtype=object), np.full(n_kam, "kam", dtype=object)]
    is_exec = role == "executive"

    # unique names: a sample without replacement from first name x surname
    pick = rng.choice(len(FIRST_NAMES) * len(SURNAMES), size=m, replace=m > 2000)
    names = [
        f"{FIRST_NAMES[k // len(SURNAMES)]} {SURNAMES[k % len(SURNAMES)]}" for k in pick.tolist()
    ]
    if n_exec:
        names[0] = "Dr. " + names[0]

    region = _draw(rng, REGIONS, (0.17, 0.28, 0.25, 0.15, 0.15), m)
    region[is_exec] = "West"  # headquarters in Neuwied am Rhein

    cap = np.where(is_exec, rng.uniform(150, 300, m), rng.uniform(1000, 1600, m))
    lo = np.select([is_exec, seniority == 3, seniority == 2], [200, 108, 88], 70)
    hi = np.select([is_exec, seniority == 3, seniority == 2], [250, 140, 112], 90)
    cost = rng.uniform(lo, hi)

    # 1-3 industries each (executives 2-3), drawn by share without replacement
    names_ind = list(INDUSTRIES)
    share = np.array([v[0] for v in INDUSTRIES.values()])
    keys = np.log(share)[None, :] + rng.gumbel(size=(m, len(share)))
    order = np.argsort(-keys, axis=1)
    k = np.where(is_exec, rng.integers(2, 4, m), _draw(rng, (1, 2, 3), (0.3, 0.45, 0.25), m))
    has = np.zeros((m, len(share)), dtype=bool)
    np.put_along_axis(has, order, np.arange(len(share))[None, :] < k[:, None].astype(int), 1)
    # every industry has at least one key account manager who knows it
    kams = np.flatnonzero(~is_exec)
    for j in np.flatnonzero(~has[kams].any(axis=0)):
        load = has[kams].sum(axis=1)
        has[kams[np.argmin(load + rng.random(len(kams)))], j] = True
    industries = [tuple(n for n, h in zip(names_ind, row, strict=True) if h) for row in has]

    df = pd.DataFrame(
        {
            "name": _text(names),
            "region": _text(region),
            "industries": pd.Series(industries, dtype=object),
            "seniority": seniority,
            "capacity_hours": np.round(cap, -1).astype(float),
            "hourly_cost": np.round(cost).astype(float),
            "role": _text(role),
            "min_hours": 0.0,
        }
    )
    df.index = _ids("M", m, 2).rename("manager_id")
    return df, has


# ---------------------------------------------------------------- customers
def _company_names(
    rng: np.random.Generator, industry: np.ndarray, region: np.ndarray, large: np.ndarray
) -> list[str]:
    """German-sounding fictional names: surname, partners or place, with a legal form."""
    n = len(industry)
    word = np.empty(n, dtype=object)
    for ind, (_, _, _, words) in INDUSTRIES.items():
        sel = industry == ind
        word[sel] = np.asarray(words, dtype=object)[rng.integers(0, len(words), sel.sum())]
    legal = np.where(
        large,
        _draw(rng, [x for x, _ in LEGAL_LARGE], [w for _, w in LEGAL_LARGE], n),
        _draw(rng, [x for x, _ in LEGAL_SMALL], [w for _, w in LEGAL_SMALL], n),
    )
    pattern = rng.choice(3, size=n, p=(0.5, 0.2, 0.3))
    s1 = np.asarray(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    s2 = np.asarray(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    place = np.empty(n, dtype=object)
    for reg, places in PLACES.items():
        sel = region == reg
        place[sel] = np.asarray(places, dtype=object)[rng.integers(0, len(places), sel.sum())]
    partner_legal = np.where(rng.random(n) < 0.6, "GmbH & Co. KG", "KG")
    names = [
        f"{a} {w} {lf}" if p == 0 else f"{a} & {b} {pl}" if p == 1 else f"{c} {w} {lf}"
        for p, a, b, c, w, lf, pl in zip(
            pattern.tolist(), s1, s2, place, word, legal, partner_legal, strict=True
        )
    ]
    # the same name twice: later ones get a location (Ulm, Kassel, ...)
    s = pd.Series(names)
    dup = s.groupby(s, sort=False).cumcount().to_numpy()
    if dup.any():
        k = np.flatnonzero(dup)
        city = np.asarray(CITIES, dtype=object)[(dup[k] - 1) % len(CITIES)]
        rnd = (dup[k] - 1) // len(CITIES)
        for i, c, r in zip(k.tolist(), city, rnd.tolist(), strict=True):
            names[i] = f"{names[i]} ({c})" if r == 0 else f"{names[i]} ({c} {r + 1})"
    return names


def _customers(
    rng: np.random.Generator, n: int, managers: pd.DataFrame, m_ind: np.ndarray
) -> pd.DataFrame:
    ind_names = list(INDUSTRIES)
    ind_share = [v[0] for v in INDUSTRIES.values()]
    code = rng.choice(len(ind_names), size=n, p=np.array(ind_share) / sum(ind_share))
    industry = np.asarray(ind_names, dtype=object)[code]
    margin_mean = np.array([v[1] for v in INDUSTRIES.values()])[code]
    rev_factor = np.array([v[2] for v in INDUSTRIES.values()])[code]
    region = _draw(rng, REGIONS, REGION_SHARE, n)

    # revenue: a long tail (lognormal above a floor): few large, many small
    z = rng.standard_normal(n)
    revenue = np.minimum(50_000 + 480_000 * rev_factor * np.exp(1.35 * z), 40_000_000)
    revenue = np.round(revenue, -3)
    margin = np.round(np.clip(margin_mean + rng.normal(0, 0.035, n), 0.15, 0.45), 3)

    # complexity drives the tier: size plus noise, top 12% tier 3, next 30% tier 2
    zr = (np.log(revenue) - np.log(revenue).mean()) / max(np.log(revenue).std(), 1e-9)
    cx = _rank_pct(zr + 0.7 * rng.standard_normal(n))
    tier = np.where(cx > 0.88, 3, np.where(cx > 0.58, 2, 1))
    tier = np.minimum(tier, int(managers["seniority"].max())).astype("int64")

    # KAM hours at standard coverage: sublinear in revenue, more for complex accounts
    hours = 42 * (revenue / 50_000) ** 0.42 * np.array([1.0, 1.0, 1.12, 1.3])[tier]
    hours *= np.exp(rng.normal(0, 0.18, n))
    kam_hours = np.round(np.clip(hours, 60, 600) / 5) * 5

    # potential: its own lognormal, only loosely tied to revenue
    zp = 0.6 * zr + np.sqrt(1 - 0.6**2) * rng.standard_normal(n)
    potential = 90_000 * np.exp(1.35 * zp)
    rr = _rank_pct(revenue + rng.random(n))  # ties broken at random
    develop = (rr < 0.6) & (rng.random(n) < 0.12)  # small today, big tomorrow
    harvest = (rr > 0.75) & (rng.random(n) < 0.3)  # large today, little left to sell
    saturated = (rr < 0.6) & ~develop & (rng.random(n) < 0.25)  # buy all they need already
    potential[develop] *= rng.uniform(4, 10, develop.sum())
    potential[harvest] *= rng.uniform(0.05, 0.25, harvest.sum())
    potential[saturated] *= rng.uniform(0.1, 0.4, saturated.sum())
    potential = np.round(np.clip(potential, 5_000, 25_000_000), -3)

    # who serves the customer today: about 30%, mostly the larger ones
    served = _rank_pct(rr + 0.25 * rng.standard_normal(n)) > 0.66
    current = _current_managers(
        rng, np.flatnonzero(served), tier, code, region, kam_hours, managers, m_ind
    )

    large = rr > 0.9
    df = pd.DataFrame(
        {
            "name": _text(_company_names(rng, industry, region, large)),
            "region": _text(region),
            "industry": _text(industry),
            "revenue": revenue.astype(float),
            "margin": margin.astype(float),
            "potential": potential.astype(float),
            "kam_hours": kam_hours.astype(float),
            "tier": tier,
            "current_manager": _text(current),
            "status": _text(np.full(n, "", dtype=object)),
        }
    )
    df.index = _ids("K", n, 4).rename("customer_id")
    return df


def _current_managers(
    rng: np.random.Generator,
    idx: np.ndarray,
    tier: np.ndarray,
    code: np.ndarray,
    region: np.ndarray,
    hours: np.ndarray,
    managers: pd.DataFrame,
    m_ind: np.ndarray,
) -> np.ndarray:
    """The manager serving each customer in ``idx`` today (others get ``""``).

    Drawn among managers senior enough, favouring the customer's industry and
    region and the manager's spare capacity. The customers are assigned in
    batches of half as many as there are managers, complex accounts first, so
    that the load spreads; a manager takes a customer only while at least
    half its hours fit into 120% of the capacity, so some stay unserved.
    """
    current = np.full(len(tier), "", dtype=object)
    if len(idx) == 0:
        return current
    sen = managers["seniority"].to_numpy()
    left = 1.2 * managers["capacity_hours"].to_numpy(float)
    ids = managers.index.to_numpy()
    idx = idx[np.lexsort((rng.random(len(idx)), -tier[idx]))]
    for batch in np.array_split(idx, -(-len(idx) // max(1, len(sen) // 2))):
        fits = (sen[None, :] >= tier[batch, None]) & (left[None, :] >= 0.5 * hours[batch, None])
        w = fits * np.maximum(left, 0)
        w = (
            w
            * (1 + 3 * m_ind[:, code[batch]].T)
            * (1 + (managers["region"].to_numpy()[None, :] == region[batch, None]))
        )
        rows = np.flatnonzero(w.sum(axis=1) > 0)
        pick = _pick_weighted(rng, w[rows])
        # several customers of a batch may pick the same manager: keep those that fit
        h = hours[batch[rows]]
        before = pd.Series(h).groupby(pick).cumsum().to_numpy() - h
        ok = before + 0.5 * h <= left[pick]
        current[batch[rows[ok]]] = ids[pick[ok]]
        left -= np.bincount(pick[ok], weights=h[ok], minlength=len(left))
    return current


def _statuses(rng: np.random.Generator, cust: pd.DataFrame, managers: pd.DataFrame) -> np.ndarray:
    """A handful of ``must`` (strategic) and a few ``exclude`` (insolvency) customers.

    Every ``must`` account is checked to fit, with the others, into 80% of
    the capacity of managers senior enough for it (greedy: highest tier and
    most hours first, each to the least senior eligible manager with the most
    room); one that does not fit is dropped from ``must``.
    """
    n = len(cust)
    status = np.full(n, "", dtype=object)
    if n < 5:
        return status
    rev = cust["revenue"].to_numpy()
    rank = _rank_pct(rev + rng.random(n))
    top = np.flatnonzero(rank > 0.85)
    n_must = min(len(top), max(1, round(0.02 * n)))
    must = rng.choice(top, size=n_must, replace=False)
    # first fit, tier 3 and large accounts first, least senior manager that suffices
    left = 0.8 * managers["capacity_hours"].to_numpy(float)
    sen = managers["seniority"].to_numpy()
    tier = cust["tier"].to_numpy()
    hours = cust["kam_hours"].to_numpy()
    keep = []
    for i in must[np.lexsort((-hours[must], -tier[must]))].tolist():
        ok = (sen >= tier[i]) & (left >= hours[i])
        if ok.any():
            cand = np.flatnonzero(ok)
            j = cand[np.lexsort((-left[cand], sen[cand]))[0]]
            left[j] -= hours[i]
            keep.append(i)
    status[keep] = "must"
    n_excl = max(1, round(0.012 * n)) if n >= 20 else 0
    pool = np.flatnonzero(status == "")
    status[rng.choice(pool, size=min(n_excl, len(pool)), replace=False)] = "exclude"
    return status


# ---------------------------------------------------- activities, departments
def _activities(rng: np.random.Generator) -> pd.DataFrame:
    base = pd.DataFrame(
        ACTIVITY_BASE,
        columns=[
            "activity_id",
            "name",
            "kind",
            "cost",
            "kam_hours",
            "uplift",
            "department",
            "dept_hours",
        ],
    )
    k = len(base)
    df = pd.DataFrame(
        {
            "name": _text(base["name"]),
            "kind": _text(base["kind"]),
            "cost": np.round(base["cost"] * rng.uniform(0.85, 1.15, k), -2).astype(float),
            "kam_hours": np.round(base["kam_hours"] * rng.uniform(0.85, 1.15, k)).astype(float),
            "uplift": np.round(
                np.clip(base["uplift"] * rng.uniform(0.85, 1.15, k), 0.02, 0.15), 3
            ).astype(float),
            "department": _text(base["department"]),
            "dept_hours": np.round(base["dept_hours"] * rng.uniform(0.85, 1.15, k)).astype(float),
        }
    )
    df.index = pd.Index(base["activity_id"], dtype="str", name="activity_id")
    return df


def _departments(
    rng: np.random.Generator,
    cust: pd.DataFrame,
    managers: pd.DataFrame,
    acts: pd.DataFrame,
) -> pd.DataFrame:
    """Department capacities that bind.

    The *plausible* key accounts are the customers with the best standard
    net value per KAM hour (positive only) that fit into the managers'
    capacity. A department's demand is the dept_hours of every activity that
    pays for such an account; its capacity is 35-50% of that demand.
    """
    c = cust[cust["status"] != "exclude"]
    rate = float(np.average(managers["hourly_cost"], weights=managers["capacity_hours"]))
    m = c["margin"].to_numpy()
    pot = c["potential"].to_numpy()
    h = c["kam_hours"].to_numpy()
    net = m * (_ALPHA * pot + _BETA * c["revenue"].to_numpy()) - rate * h
    order = np.argsort(-net / h, kind="stable")
    fits = np.cumsum(h[order]) <= managers["capacity_hours"].sum()
    plaus = order[fits & (net[order] > 0)]
    pays = np.outer(m[plaus] * pot[plaus], acts["uplift"].to_numpy()) > (
        acts["cost"].to_numpy() + rate * acts["kam_hours"].to_numpy()
    )
    demand = pays.sum(axis=0) * acts["dept_hours"].to_numpy()
    dem = pd.Series(demand).groupby(acts["department"].to_numpy()).sum()
    floor = acts.groupby("department")["dept_hours"].max() * 2
    dem = dem.reindex(DEPARTMENTS).fillna(0.0)
    cap = np.maximum(
        dem.to_numpy() * rng.uniform(0.35, 0.5, len(dem)), floor.reindex(DEPARTMENTS).to_numpy()
    )
    df = pd.DataFrame({"capacity_hours": np.round(cap, -1).astype(float)})
    df.index = pd.Index(DEPARTMENTS, dtype="str", name="department")
    return df


def _responses(rng: np.random.Generator, cust: pd.DataFrame) -> pd.DataFrame:
    """Measured coverage response for about a dozen accounts per 250 customers.

    Accounts served today (or the larger ones) that are neither ``must`` nor
    ``exclude``: 2 or 3 levels each, hours and realised share rising with the
    level but with an account-specific slope.
    """
    n = len(cust)
    k = min(round(12 * n / 250), n)
    free = (cust["status"] == "").to_numpy()
    pref = np.where(cust["current_manager"].to_numpy() != "", 2.0, 1.0)
    pool = np.flatnonzero(free)
    k = min(k, len(pool))
    if k == 0:
        return _empty("responses")
    w = pref[pool] / pref[pool].sum()
    who = np.sort(rng.choice(pool, size=k, replace=False, p=w))
    phi = np.array([0.5, 1.0, 1.5])
    rho = np.array([0.6, 1.0, 1.2])
    a = rng.uniform(0.55, 1.6, k)[:, None]  # how well the account responds
    b = rng.uniform(0.75, 1.3, k)[:, None]  # how many hours it really takes
    hours = cust["kam_hours"].to_numpy()[who, None] * phi * b * rng.uniform(0.95, 1.05, (k, 3))
    real = _ALPHA * rho * a * rng.uniform(0.96, 1.04, (k, 3))
    keep = np.ones((k, 3), dtype=bool)
    two = rng.random(k) < 0.5  # about half the accounts were measured at two levels only
    keep[np.flatnonzero(two), rng.integers(0, 3, two.sum())] = False
    rows, cols = np.nonzero(keep)
    return pd.DataFrame(
        {
            "customer_id": _text(cust.index.to_numpy()[who][rows]),
            "level": _text(np.array(["light", "standard", "intensive"], dtype=object)[cols]),
            "hours": np.maximum(np.round(hours[rows, cols] / 5) * 5, 5.0),
            "realization": np.round(np.clip(real[rows, cols], 0.01, 0.95), 3),
        }
    )


# --------------------------------------------------------------------- public
def make_case(
    customers: int = 250, managers: int | None = 14, seed: int = 7, activities: bool = True
) -> Case:
    """A sample case: Rheinwerk Antriebstechnik GmbH, its candidates and managers.

    Parameters
    ----------
    customers : int
        Number of candidate customers (``K0001``, ...), at least 1.
    managers : int or None
        Number of managers (``M01``, ...), at least 1; ``None`` scales it with
        the customers (about one per 18). With 4 to 7 managers one, from 8 on
        two, and from about 100 on one in 40 are from top management
        (``role`` executive, seniority 3, 150-300 h a year).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed and sizes give an
        identical case.
    activities : bool
        Whether to include the activities and departments tables.

    Returns
    -------
    Case
        A valid case: every value in range, ids unique, references valid,
        every ``must`` account feasible with 20% of the capacity to spare.

    Examples
    --------
    >>> c = make_case(customers=20, managers=3, seed=0)
    >>> c.summary()["customers"], c.summary()["managers"]
    (20, 3)
    >>> bool((c.customers["tier"] <= c.managers["seniority"].max()).all())
    True
    """
    n = int(customers)
    m = max(1, round(n / 18)) if managers is None else int(managers)
    if n < 1 or m < 1:
        raise ValueError(f"make_case needs at least 1 customer and 1 manager, got {n} and {m}")
    rng = np.random.default_rng(seed)
    mgr, expertise = _managers(rng, m)
    cust = _customers(rng, n, mgr, expertise)
    cust["status"] = _text(_statuses(rng, cust, mgr)).to_numpy()
    if activities:
        acts = _activities(rng)
        deps = _departments(rng, cust, mgr, acts)
    else:
        acts, deps = _empty("activities"), _empty("departments")
    resp = _responses(rng, cust)
    # no ranges of potential: the scenario's uncertainty.potential_spread applies
    cust = cust.assign(potential_low=np.nan, potential_high=np.nan)
    mgr = mgr.assign(max_hours=np.nan, max_share=np.nan)  # no upper workload bands
    return Case(cust, mgr, acts, deps, resp, source=f"sample(seed={seed})")


def write_sample(
    out: str | os.PathLike, customers: int = 250, managers: int | None = 14, seed: int = 7
) -> Path:
    """Write :func:`make_case` as a case folder of plain CSVs and return its path.

    Only the case's own tables (``customers.csv``, ``managers.csv``,
    ``activities.csv``, ``departments.csv``, ``responses.csv``) are replaced;
    every other file and folder in ``out`` stays, such as a ``README.md`` or
    the mid-term files ``targets.csv`` and ``capacity_by_year.csv``. The
    tables are written beside ``out`` first and moved in when all are
    complete. A path that is a file, or cannot be written, is refused
    (:class:`kamopt.errors.InputError`, exit status 2).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_sample(pathlib.Path(d) / "demo", customers=30, managers=3, seed=2)
    ...     sorted(f.name for f in p.iterdir())
    ['activities.csv', 'customers.csv', 'departments.csv', 'managers.csv', 'responses.csv']
    """
    out = Path(out)
    title = "The sample company cannot be written"
    if out.exists() and not out.is_dir():
        raise InputError(Problem(str(out), "is a file; expected a folder for the case"),
                         title=title)
    check_writable(out, title=title)
    case = make_case(customers=customers, managers=managers, seed=seed)
    tmp = staging_dir(out)
    try:
        save_case(case, tmp / "case")
        # an optional table of an earlier case that this one lacks goes too
        move_into(tmp / "case", out, frozenset(t.file for t in TABLES),
                  what="the case has a table", title=title)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
