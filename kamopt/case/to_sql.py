"""``python -m kamopt.case.to_sql CASE URL``: a case (folder or workbook) written into a
database, e.g. the sample as SQLite for the README and the docs (docs/data-sources.md).

Beside :mod:`kamopt.case.sql` rather than in it: this reads the case through
:func:`kamopt.case.io.load_case`, which itself hands database URLs to :mod:`kamopt.case.sql`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from kamopt.case.sql import save_sql_case


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kamopt.case.to_sql CASE URL``: write the case (folder or workbook) into a
    database; exit status 2 with the problems when it cannot be read or written."""
    from kamopt.case.io import load_case
    from kamopt.errors import KamoptError

    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 2:
        print("usage: python -m kamopt.case.to_sql CASE URL   (e.g. data/sample "
              "sqlite:///results/sample.db)", file=sys.stderr)
        return 2
    try:
        shown = save_sql_case(load_case(argv[0]), argv[1])
    except KamoptError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    print(f"Wrote the case {argv[0]} to {shown}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
