"""The explorer's Customers tab boxes: fixed leads, ruled-out leads, fixed levels and
committed activities, one account a line, shown and read back."""

from __future__ import annotations

import ipywidgets as W


def _box(value: str, description: str, rows: int, placeholder: str) -> W.Textarea:
    """A box of the Customers tab: one account a line."""
    return W.Textarea(value=value, rows=rows, continuous_update=False, placeholder=placeholder,
                      description=description, style={"description_width": "150px"},
                      layout=W.Layout(width="520px"))


def leads_text(leads) -> str:
    r"""Fixed leads as the explorer's box shows them, one ``K0051: M08`` a line.

    >>> leads_text((("K0051", "M08"), ("K0019", "M11")))
    'K0051: M08\nK0019: M11'
    """
    return "\n".join(f"{cid}: {j}" for cid, j in leads)


def parse_leads(text: str) -> tuple[tuple[str, str], ...]:
    r"""The explorer's "Fixed leads" box read as ``((customer_id, manager_id), ...)``.

    One account a line, ``K0051: M08`` (``K0051 M08``, ``K0051 -> M08`` and
    ``K0051 → M08`` read too); empty lines are skipped. A line that does not
    read, or a second line for an account, raises ScenarioError naming it.

    >>> parse_leads("K0051: M08\n\n K0019 -> M11 ")
    (('K0051', 'M08'), ('K0019', 'M11'))
    >>> parse_leads("K0051")
    Traceback (most recent call last):
    kamopt.errors.ScenarioError: The fixed leads have problems (1 problem):
      - Fixed leads, row 1: got 'K0051'; must read 'customer_id: manager_id', e.g. 'K0051: M08'
    """
    return _parse_one_each(text, "Fixed leads", "manager_id", "K0051: M08", "a fixed lead",
                           "The fixed leads have problems")


def parse_coverage(text: str) -> tuple[tuple[str, str], ...]:
    r"""The explorer's "Fixed levels" box read as ``((customer_id, level), ...)``, one
    ``K0051: intensive`` a line (read as :func:`parse_leads` reads its box).

    >>> parse_coverage("K0051: intensive\nK0019 light")
    (('K0051', 'intensive'), ('K0019', 'light'))
    >>> parse_coverage("K0051: light\nK0051: standard")
    Traceback (most recent call last):
    kamopt.errors.ScenarioError: The fixed levels have problems (1 problem):
      - Fixed levels, row 2: got 'K0051: standard'; K0051 has a fixed level in an earlier line already
    """
    return _parse_one_each(text, "Fixed levels", "level", "K0051: intensive", "a fixed level",
                           "The fixed levels have problems")


def _parse_one_each(text: str, box: str, what: str, example: str, has: str,
                    title: str) -> tuple[tuple[str, str], ...]:
    """A box of ``customer_id: id`` lines, one a customer (see :func:`parse_leads`)."""
    import re

    from kamopt.errors import Problem, ScenarioError

    out, problems, seen = [], [], set()
    for row, line in enumerate(str(text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [x for x in re.split(r"\s*(?::|->|→|\s)\s*", line) if x]
        if len(parts) != 2:
            problems.append(Problem(box, f"must read 'customer_id: {what}', e.g. '{example}'",
                                    row=row, value=line))
            continue
        if parts[0] in seen:
            problems.append(Problem(box, f"{parts[0]} has {has} in an earlier line already",
                                    row=row, value=line))
            continue
        seen.add(parts[0])
        out.append((parts[0], parts[1]))
    if problems:
        raise ScenarioError(problems, title=title)
    return tuple(out)


def excluded_leads_text(pairs) -> str:
    r"""Ruled-out leads as the explorer's "Not led by" box shows them, one account a line.

    >>> excluded_leads_text((("K0051", "M08"), ("K0051", "M11"), ("K0019", "M07")))
    'K0051: M08, M11\nK0019: M07'
    """
    by: dict[str, list[str]] = {}
    for cid, j in pairs:
        by.setdefault(cid, []).append(j)
    return "\n".join(f"{cid}: {', '.join(js)}" for cid, js in by.items())


def parse_excluded_leads(text: str) -> tuple[tuple[str, str], ...]:
    r"""The explorer's "Not led by" box as ``((customer_id, manager_id), ...)``.

    One account a line with the managers who may not lead it, ``K0051: M08, M11``
    (commas or spaces between the managers); empty lines are skipped.

    >>> parse_excluded_leads("K0051: M08, M11\n\nK0019: M07")
    (('K0051', 'M08'), ('K0051', 'M11'), ('K0019', 'M07'))
    >>> parse_excluded_leads("K0051")
    Traceback (most recent call last):
    kamopt.errors.ScenarioError: The managers ruled out have problems (1 problem):
      - Not led by, row 1: got 'K0051'; must read 'customer_id: manager_id, ...', e.g. 'K0051: M08, M11'
    """
    return _parse_list_each(text, "Not led by", "manager_id", "K0051: M08, M11",
                            "The managers ruled out have problems")


def parse_committed(text: str) -> tuple[tuple[str, str], ...]:
    r"""The explorer's "Committed" box as ``((customer_id, activity_id), ...)``, one account a
    line with its activities, ``K0051: A05, A02`` (read as :func:`parse_excluded_leads`).

    >>> parse_committed("K0051: A05, A02\nK0019: A03")
    (('K0051', 'A05'), ('K0051', 'A02'), ('K0019', 'A03'))
    """
    return _parse_list_each(text, "Committed", "activity_id", "K0051: A05, A02",
                            "The committed activities have problems")


def _parse_list_each(text: str, box: str, what: str, example: str,
                     title: str) -> tuple[tuple[str, str], ...]:
    """A box of ``customer_id: id, id`` lines (see :func:`parse_excluded_leads`)."""
    import re

    from kamopt.errors import Problem, ScenarioError

    out, problems = [], []
    for row, line in enumerate(str(text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        cid, sep, rest = line.partition(":")
        ids = [x for x in re.split(r"[\s,;]+", rest) if x]
        if not sep or not cid.strip() or not ids:
            problems.append(Problem(box, f"must read 'customer_id: {what}, ...', "
                                    f"e.g. '{example}'", row=row, value=line))
            continue
        out += [(cid.strip(), j) for j in ids]
    if problems:
        raise ScenarioError(problems, title=title)
    return tuple(dict.fromkeys(out))
