"""A mixed-integer linear programme kept as labelled sparse blocks of columns and rows.

Every model of kamopt (the one-year and the mid-term plan) is a :class:`LinearModel`:
built with numpy and pandas in one pass per rule (:mod:`kamopt.model.rules`), passed
to HiGHS in one call and to PuLP through :mod:`kamopt.solve.backend`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

INF = np.inf


@dataclass
class Block:
    """A labelled block of columns or rows: ``start`` is the first index."""

    name: str
    labels: pd.DataFrame  # one row per column/row, the index columns of its name
    start: int

    @property
    def size(self) -> int:
        return len(self.labels)

    @property
    def slice(self) -> slice:
        return slice(self.start, self.start + self.size)

    def names(self) -> list[str]:
        """Readable names such as ``capacity[M07]`` or ``x[K0001,M03]``."""
        if self.labels.shape[1] == 0:
            return [self.name] * self.size
        parts = self.labels.astype(str)
        joined = parts.iloc[:, 0]
        for col in parts.columns[1:]:
            joined = joined + "," + parts[col]
        return (self.name + "[" + joined + "]").tolist()


@dataclass
class LinearModel:
    """A mixed-integer linear programme (maximise) in labelled sparse blocks."""

    cols: dict[str, Block] = field(default_factory=dict)
    rows: dict[str, Block] = field(default_factory=dict)
    obj: list[np.ndarray] = field(default_factory=list)
    lb: list[np.ndarray] = field(default_factory=list)
    ub: list[np.ndarray] = field(default_factory=list)
    integer: list[np.ndarray] = field(default_factory=list)
    row_lo: list[np.ndarray] = field(default_factory=list)
    row_hi: list[np.ndarray] = field(default_factory=list)
    _i: list[np.ndarray] = field(default_factory=list)
    _j: list[np.ndarray] = field(default_factory=list)
    _v: list[np.ndarray] = field(default_factory=list)
    n_cols: int = 0
    n_rows: int = 0

    # -------------------------------------------------------------- building
    def add_vars(self, name, labels: pd.DataFrame, obj, lb=0.0, ub=1.0, integer=False) -> np.ndarray:
        n = len(labels)
        block = Block(name, labels.reset_index(drop=True), self.n_cols)
        self.cols[name] = block
        self.obj.append(np.broadcast_to(np.asarray(obj, float), n).copy())
        self.lb.append(np.broadcast_to(np.asarray(lb, float), n).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, float), n).copy())
        self.integer.append(np.full(n, bool(integer)))
        self.n_cols += n
        return np.arange(block.start, block.start + n)

    def add_rows(self, name, labels: pd.DataFrame, lo=-INF, hi=INF) -> np.ndarray:
        n = len(labels)
        block = Block(name, labels.reset_index(drop=True), self.n_rows)
        self.rows[name] = block
        self.row_lo.append(np.broadcast_to(np.asarray(lo, float), n).copy())
        self.row_hi.append(np.broadcast_to(np.asarray(hi, float), n).copy())
        self.n_rows += n
        return np.arange(block.start, block.start + n)

    def add_coefs(self, rows, cols, vals) -> None:
        rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
        self._i.append(rows)
        self._j.append(cols)
        self._v.append(np.broadcast_to(np.asarray(vals, float), rows.shape).copy())

    # ------------------------------------------------------------ assembling
    def matrix(self) -> sp.csc_matrix:
        if not self._i:
            return sp.csc_matrix((self.n_rows, self.n_cols))
        i, j, v = (np.concatenate(a) for a in (self._i, self._j, self._v))
        return sp.csc_matrix((v, (i, j)), shape=(self.n_rows, self.n_cols))

    def arrays(self) -> dict[str, np.ndarray]:
        cat = lambda xs, dt=float: np.concatenate(xs) if xs else np.zeros(0, dt)  # noqa: E731
        return {
            "obj": cat(self.obj),
            "lb": cat(self.lb),
            "ub": cat(self.ub),
            "integer": cat(self.integer, bool),
            "row_lo": cat(self.row_lo),
            "row_hi": cat(self.row_hi),
        }

    def col_names(self) -> list[str]:
        return [n for b in self.cols.values() for n in b.names()]

    def row_names(self) -> list[str]:
        return [n for b in self.rows.values() for n in b.names()]

    def row_block(self, r: int) -> Block:
        return next(b for b in self.rows.values() if b.start <= r < b.start + b.size)

    def __repr__(self) -> str:
        ints = int(sum(x.sum() for x in self.integer))
        nnz = sum(len(x) for x in self._i)
        return (
            f"LinearModel({self.n_cols:,} columns ({ints:,} integer), {self.n_rows:,} rows, "
            f"{nnz:,} nonzeros; blocks {', '.join(self.cols)} | {', '.join(self.rows)})"
        )
