"""Stage 2: build the key-account MIP (spec section 3) from :class:`ModelData`.

The formulation
---------------
Decisions (binary unless said): ``z[i,l]`` account *i* is a key account at
coverage level *l*; ``x[i,j]`` manager *j* leads *i* (eligible pairs only);
``a[i,k]`` activity *k* runs for *i*; and two continuous splits that carry the
hours to the lead manager without a big-M:

* ``g[i,j,l]`` in [0, 1], the share of option (i, l) led by *j*, with
  ``sum_j g[i,j,l] = z[i,l]`` and ``sum_l g[i,j,l] = x[i,j]``. For integer
  ``x`` and ``z`` this forces ``g = x * z``, so the hours *j* spends on *i* at
  its level, ``sum_l H[i,l] g[i,j,l]``, are exact; the LP relaxation is the
  convex hull of the (manager, level) choice per account, which is what
  makes the model solve fast. (The spec's big-M link ``h <= M x`` lets the
  LP put hours on a manager who barely leads the account; its bound is weak.)
* ``b[i,j,k]`` in [0, 1] (column block ``q``), activity *k* of *i* run under
  lead manager *j*: ``sum_j b[i,j,k] = a[i,k]`` and ``b[i,j,k] <= x[i,j]``, so
  *j* carries ``kam_hours_k * b[i,j,k]`` hours, again without a big-M. On the
  sample company this form solves ~10x faster than the compact big-M link
  ``sum_j q[i,j] = sum_k kam_hours_k a[i,k]``, ``q[i,j] <= A_i x[i,j]``, which
  is used only when the tight form would need more than
  :data:`TIGHT_ACTIVITY_LIMIT` columns.

The spec's ``h[i,j] = sum_l H[i,l] g[i,j,l] + q[i,j]`` and ``y_i = sum_l z[i,l]``;
``sum_j x[i,j] = y_i`` (one lead manager per key account) is implied by the
two ``g`` links and is re-checked by :meth:`kamopt.planning.oneyear.Plan.verify`.

The rules are those of :mod:`kamopt.model.rules` over one year (the mid-term
model is the same rules over several years); the model is a
:class:`~kamopt.model.linear.LinearModel`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamopt.model.linear import INF, LinearModel
from kamopt.model.prepare import ModelData, committed
from kamopt.model.rules import RuleBuilder


@dataclass
class KamModel:
    """The built key-account model: the data, the programme and the column ids."""

    data: ModelData
    lp: LinearModel
    z: np.ndarray  # column ids, aligned with data.options
    x: np.ndarray  # aligned with data.pairs
    g: np.ndarray  # aligned with self.gl (pair x option)
    q: np.ndarray  # aligned with self.ql (pairs of customers with activity hours)
    a: np.ndarray  # aligned with data.acts
    gl: pd.DataFrame  # pair index 'p', option index 'o' for each g column
    ql: pd.DataFrame  # pair index 'p' for each q column


#: above this many (pair, activity) columns the activity hours use the compact big-M form
TIGHT_ACTIVITY_LIMIT = 300_000


class OneYear(RuleBuilder):
    """The one-year model: the shared rules over one year, valued for that year."""

    def __init__(self, d: ModelData, tight: bool):
        super().__init__(d, None)
        o, p, acts = d.options, d.pairs, d.acts
        self.var("z", self.option_labels(), obj=o["value"], integer=True)
        self.var("x", self.pair_labels(), obj=p["value"], integer=True)
        gl = self.split_labels()  # the share of option (i, l) led by j
        rate = p["hourly_cost"].to_numpy()
        self.var("g", gl, obj=-rate[gl["p"].to_numpy()] * gl["hours"].to_numpy())
        ql = self.activity_hours_labels(tight)  # activity hours carried by the lead manager
        self.var("q", ql, obj=-rate[ql["p"].to_numpy()] * ql["hours"].to_numpy(),
                 ub=1.0 if tight else INF)
        self.var("a", self.activity_labels(), obj=acts["value"] - acts["cost"],
                 lb=committed(acts, d.scenario).astype(float), integer=True)  # committed: 1
        self.capacity = d.managers["capacity"].to_numpy(float)[None, :]
        self.min_hours = d.managers["min_hours"].to_numpy(float)[None, :]

    def build(self) -> KamModel:
        for rule in self.SHARED:
            getattr(self, rule)()
        (gl, g), (ql, q) = self.cols["g"], self.cols["q"]
        qcols = [c for c in ("p", "customer_id", "hours", "r") if c in ql]
        return KamModel(self.d, self.m, self.cols["z"][1], self.cols["x"][1], g,
                        q, self.cols["a"][1], gl[["p", "o"]], ql[qcols])


def build(d: ModelData, tight_activities: bool | None = None) -> KamModel:
    """Build the MIP for the prepared data: the rules of :mod:`kamopt.model.rules` over one year.

    ``tight_activities`` chooses the form of the activity-hours link
    (:meth:`~kamopt.model.rules.RuleBuilder.activity_hours_labels`); by default the
    tight form unless it would need more than :data:`TIGHT_ACTIVITY_LIMIT` columns.
    """
    if tight_activities is None:
        n = d.pairs["customer_id"].value_counts().reindex(
            d.acts.loc[d.acts["kam_hours"] > 0, "customer_id"]).sum()
        tight_activities = bool(n <= TIGHT_ACTIVITY_LIMIT)
    return OneYear(d, tight_activities).build()
