"""The resume files of a batch (:meth:`kamopt.planning.batch.Runner.map` with ``resume_dir``).

Each result is kept as JSON in ``resume_dir / f"{key}.json"``, written atomically
(a temporary file in the same folder, then ``os.replace``: a file is whole or
absent); a batch started again takes the results whose file is there and parses.
NaN is written as ``null``, infinities as the strings ``"Infinity"`` and
``"-Infinity"`` (``float()`` reads them back), tuples as lists, NumPy scalars as
Python's; anything else JSON cannot hold is a TypeError.

>>> import tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> [path] = result_paths(Path(tmp.name), ["a"], key=str.upper)
>>> path.name, read_result(path) is MISSING
('A.json', True)
>>> write_result(path, {"gap": float("nan"), "bound": float("inf"), "pair": (1, 2)})
{'gap': None, 'bound': 'Infinity', 'pair': [1, 2]}
>>> read_result(path)
{'gap': None, 'bound': 'Infinity', 'pair': [1, 2]}
>>> tmp.cleanup()
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path

#: a key's file name: letters, digits and ``._=+,@-``, not starting with ``.`` or ``-``
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._=+,@-]{0,199}")

#: what :func:`read_result` returns when there is no result to take
MISSING = object()


def result_paths(folder: Path, items: list, key) -> list[Path]:
    """The file of each item's result: ``folder / f"{key(item)}.json"`` (``key`` None: the
    item's position); ValueError for a key that is not a safe file name, or given twice.
    Makes ``folder``."""
    names = [str(key(item)) if key is not None else str(i) for i, item in enumerate(items)]
    bad = [n for n in names if not _SAFE_NAME.fullmatch(n)]
    if bad:
        raise ValueError(f"A batch's resume keys must be file names of letters, digits and "
                         f"._=+,@- (not starting with . or -); got {bad[0]!r}.")
    if len(set(names)) < len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise ValueError(f"A batch's resume keys must differ; {twice!r} is given twice.")
    folder.mkdir(parents=True, exist_ok=True)
    return [folder / f"{n}.json" for n in names]


def read_result(path: Path):
    """The result kept in ``path``, or ``MISSING`` when there is none (or it does not parse)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return MISSING


def write_result(path: Path, result):
    """Write ``result`` as JSON to ``path`` atomically; return it as read back."""
    text = json.dumps(_jsonable(result, path.stem), allow_nan=False, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return json.loads(text)


def _jsonable(value, name: str):
    """``value`` with NaN as None, infinities as "Infinity"/"-Infinity", tuples as lists and
    NumPy scalars as Python's; TypeError for anything JSON cannot hold."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, dict):
        return {k: _jsonable(v, name) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, name) for v in value]
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return _jsonable(value.item(), name)
    raise TypeError(f"The result of batch item {name!r} cannot be kept in a resume file: "
                    f"{type(value).__name__} is not JSON (give dicts, lists, strings, numbers, "
                    "booleans and None).")
