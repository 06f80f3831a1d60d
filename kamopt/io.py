"""Reading and writing cases: a folder of CSVs or one .xlsx workbook.

``load_case`` reads what real users export (plain UTF-8 CSV and the CSV that
German Excel writes), matches column names without regard to case and
spaces, fills defaults, keeps extra columns and reports every problem at once.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .case import Case
from .schema import TABLES


def _to_frame(case: Case, name: str) -> pd.DataFrame:
    """A case table as a flat frame with the id as first column."""
    df = case.tables[name]
    table = next(t for t in TABLES if t.name == name)
    out = df.reset_index() if table.id else df.copy()
    if "industries" in out.columns:
        out["industries"] = out["industries"].map(lambda v: ";".join(v))
    return out


def save_case(case: Case, path: str | os.PathLike, dialect: str = "plain") -> Path:
    """Write ``case`` as a folder of CSVs (``dialect="plain"``) or, when
    ``path`` ends in ``.xlsx``, as one workbook with one sheet per table.

    The folder is written to a temporary sibling and moved into place, so a
    failure never leaves half a case behind. Empty optional tables are not
    written.
    """
    path = Path(path)
    frames = {
        name: _to_frame(case, name)
        for name, df in case.tables.items()
        if name in ("customers", "managers") or len(df)
    }
    if path.suffix.lower() == ".xlsx":
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
        os.close(fd)
        try:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                for name, df in frames.items():
                    df.to_excel(xw, sheet_name=name, index=False)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return path
    if dialect != "plain":
        raise ValueError(f"The 'dialect' parameter of save_case must be 'plain'. Got {dialect!r} instead.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        for name, df in frames.items():
            df.to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8")
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return path


def load_case(path: str | os.PathLike) -> Case:  # pragma: no cover - replaced by the loader
    raise NotImplementedError
