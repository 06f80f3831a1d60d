"""Workbooks a consultant can hand on: human headers with units, Excel tables, formats.

Every workbook kamopt writes (``kamopt plan --excel``, ``compare --excel``,
``sensitivity --excel``, the mid-term plan's) is a list of :class:`Sheet`: a frame
whose columns are the headers the reader sees, each with a *kind* that says how its
cells read (money as ``#,##0`` with the unit in the header, shares as ``0.0%``, yes/no
as words, ids and names as text). :func:`write_sheets` writes them:

* a bold, filled header row, frozen; columns wide enough for their text;
* each sheet's data an Excel table (its own autofilter; names valid and unique);
* charts where a sheet asks for one (:class:`Chart`);
* no cell from client data ever a formula (:func:`kamopt.case.staging.text_not_formulas`),
  and the file written beside its place and moved in whole (``staged_file``).

Headers, sheet names and words go through :func:`kamopt.i18n.tr`, so the workbook is in
the language current when it is written; number formats stay formats (a German Excel
shows German separators by itself).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import urlsplit

import pandas as pd

from kamopt.case.staging import staged_file, text_not_formulas
from kamopt.i18n import percent as percent_text
from kamopt.i18n import tr

#: how a kind of column reads in Excel (a number format; text kinds have none)
FORMATS = {"money": "#,##0", "count": "#,##0", "share": "0.0%", "gap": "0.00%",
           "hours": "#,##0", "hours1": "#,##0.0", "year": "0", "seconds": "0.00",
           "number": "General", "factor": "0.00"}
HEADER_FILL = "DDEBF7"
TABLE_STYLE = "TableStyleMedium2"
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Chart:
    """A bar chart beside a sheet's table: ``values`` (headers) by ``category`` (a header)."""

    title: str
    category: str
    values: list[str]
    axis_title: str = ""
    percent: bool = False
    horizontal: bool = False


@dataclass
class Sheet:
    """One sheet: ``frame``'s columns are its headers, ``kinds`` says how each reads
    (:data:`FORMATS`; ``text`` by default); ``row_kinds`` gives the last column a kind a row
    (a summary's figures); ``key`` (English, ASCII) names its Excel table."""

    key: str
    title: str
    frame: pd.DataFrame
    kinds: dict[str, str] = field(default_factory=dict)
    row_kinds: list[str] | None = None
    charts: list[Chart] = field(default_factory=list)


# ------------------------------------------------------------------- words
def yes_no(v) -> str | None:
    """``yes``/``no`` in the current language for a truth value (1/0, True/False)."""
    if _empty(v):
        return None
    if isinstance(v, str):
        v = v.strip().lower() in ("1", "true", "yes")
    return tr("yes") if bool(v) else tr("no")


def status_text(status) -> str:
    """A plan's status in words: optimal, stopped early (a plan, not proven best), no plan."""
    s = str(status or "")
    words = {"optimal": tr("optimal"), "feasible": tr("stopped early (not proven best)"),
             "infeasible": tr("no plan possible"), "error": tr("error")}
    if s.startswith("provisional"):
        return tr("provisional")
    return words.get(s, s)


def role_text(role) -> str:
    return {"executive": tr("Executive"), "kam": tr("Key-account manager")}.get(
        str(role), str(role))


def case_status_text(status) -> str:
    return {"must": tr("must be a key account"), "exclude": tr("excluded"),
            "": ""}.get(str(status), str(status))


def reason_text(reason) -> str:
    return {"excluded": tr("excluded"), "no eligible manager": tr("no eligible manager"),
            "cannot pay for its KAM hours": tr("cannot pay for its KAM hours"),
            "": ""}.get(str(reason), str(reason))


def change_text(change) -> str:
    return {"enters": tr("becomes a key account"),
            "leaves": tr("is no longer a key account")}.get(str(change), str(change))


def source_name(source) -> str:
    """Where a case came from, without a local path: the folder's or workbook's name; a URL
    (a database) without its user and password. ``""`` for none.

    >>> source_name("/home/ana/cases/rheinwerk"), source_name("C:\\\\cases\\\\x.xlsx")
    ('rheinwerk', 'x.xlsx')
    >>> source_name("postgresql://user:pw@db.example.com:5432/kam")
    'postgresql://db.example.com:5432/kam'
    """
    text = str(source or "").strip()
    if not text:
        return ""
    if "://" in text:
        try:
            u = urlsplit(text)
            host = u.hostname or ""
            port = f":{u.port}" if u.port else ""
            return f"{u.scheme}://{host}{port}{u.path}"
        except ValueError:
            return ""
    name = PureWindowsPath(text).name if "\\" in text else PurePosixPath(text).name
    return name or Path(text).name


def names_of(ids, names: pd.Series, limit: int | None = None) -> str:
    """``K0001 Name; K0006 Name`` for ids (a list, or text with ``;``), by ``names``."""
    if isinstance(ids, str):
        ids = [i for i in ids.split(";") if i]
    ids = list(ids or [])
    shown = [f"{i} {names.get(i, '')}".strip() for i in ids[:limit]]
    if limit is not None and len(ids) > limit:
        shown.append(tr("and {n} more", n=len(ids) - limit))
    return "; ".join(shown)


def activity_names(codes, names: pd.Series) -> str:
    """Activity codes (``A01;A02``) as their names (``VMI; Just-in-Sequence``)."""
    if not isinstance(codes, str) or not codes:
        return ""
    return "; ".join(str(names.get(c, c)) for c in codes.split(";") if c)


# ------------------------------------------------------------------ frames
def frame_sheet(key: str, title: str, frame: pd.DataFrame,
                columns: list[tuple[str, str, str]], charts: list[Chart] | None = None,
                keep_empty: tuple[str, ...] = ()) -> Sheet:
    """A sheet of ``frame``'s ``columns`` (key, header, kind) that it has, in that order;
    ``yesno`` columns as words. Columns that are empty in every row are left out, unless
    named in ``keep_empty``."""
    out, kinds = {}, {}
    for col, header, kind in columns:
        if col not in frame.columns:
            continue
        values = frame[col]
        if kind == "yesno":
            values, kind = values.map(yes_no), "text"
        if len(frame) and col not in keep_empty and values.map(_empty).all():
            continue
        out[header] = values.to_numpy()
        kinds[header] = kind
    return Sheet(key, title, pd.DataFrame(out, index=range(len(frame))), kinds,
                 charts=list(charts or []))


def _empty(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, str) and v == "") or (
        isinstance(v, float) and math.isnan(v))


def figures_sheet(key: str, title: str, rows: list[tuple[str, object, str]],
                  first: str | None = None, second: str | None = None) -> Sheet:
    """A two-column sheet of figures, each row ``(label, value, kind)``."""
    first, second = first or tr("Figure"), second or tr("Value")
    frame = pd.DataFrame([(label, value) for label, value, _ in rows], columns=[first, second])
    return Sheet(key, title, frame, {}, row_kinds=[k for _, _, k in rows])


# ----------------------------------------------------------------- writing
def write_sheets(sheets: list[Sheet], path) -> None:
    """Write ``sheets`` as one workbook at ``path`` (see the module's docs)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    titles: set[str] = set()
    for n, sheet in enumerate(sheets, start=1):
        ws = wb.create_sheet(_title(sheet.title, titles))
        _write(ws, sheet, _table_name(sheet.key, n))
    with staged_file(path) as tmp:
        wb.save(tmp)


def _title(title: str, used: set[str]) -> str:
    """A valid sheet name (31 characters, none of ``[]:*?/\\``), unique in the workbook."""
    base = _BAD_TITLE.sub(" ", str(title)).strip().strip("'")[:31] or "Sheet"
    name, k = base, 2
    while name.lower() in used:
        suffix = f" ({k})"
        name, k = base[:31 - len(suffix)] + suffix, k + 1
    used.add(name.lower())
    return name


def _table_name(key: str, n: int) -> str:
    """A valid, unique Excel table name: ``t1_Accounts`` (letters, digits, underscores)."""
    slug = re.sub(r"[^A-Za-z0-9_]", "_", key)[:40]
    return f"t{n}_{slug}"


def _cell_value(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, bool):
        return yes_no(v)
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (list, tuple, set, frozenset)):
        return "; ".join(map(str, v))
    if isinstance(v, (int, float, str)):
        return v
    return str(v)


def _headers(frame: pd.DataFrame) -> list[str]:
    """The frame's headers as text, each unique (a table's columns must be)."""
    out: list[str] = []
    for c in frame.columns:
        name, k = str(c).replace("\n", " ").strip() or "-", 2
        while name.lower() in {o.lower() for o in out}:
            name, k = f"{c} ({k})", k + 1
        out.append(name)
    return out


def _number_format(kind: str, values) -> str | None:
    """A column's format: whole EUR and hours, a decimal where hours have halves, and the
    digits of small figures (a workload index of 0.8 h must not read 1)."""
    if kind in ("money", "hours"):
        nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        fractions = any(abs(v - round(v)) > 1e-9 for v in nums)
        if fractions and all(abs(v) < 100 for v in nums):
            return "#,##0.0###"
        if kind == "hours" and fractions:
            return FORMATS["hours1"]
    return FORMATS.get(kind)


def _write(ws, sheet: Sheet, table_name: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    frame = sheet.frame
    headers = _headers(frame)
    kinds = {h: sheet.kinds.get(str(c), "text") for h, c in zip(headers, frame.columns,
                                                                   strict=True)}
    bold, fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    for j, h in enumerate(headers, start=1):
        c = ws.cell(row=1, column=j, value=h)
        c.font, c.fill = bold, fill
        c.alignment = Alignment(wrap_text=True, vertical="top")
    col_formats = [_number_format(kinds[h], [_cell_value(v) for v in frame.iloc[:, j]])
                   for j, h in enumerate(headers)]
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for j, v in enumerate(row, start=1):
            c = ws.cell(row=i, column=j, value=_cell_value(v))
            fmt = col_formats[j - 1]
            if sheet.row_kinds is not None and j == len(headers):
                fmt = _number_format(sheet.row_kinds[i - 2], [c.value])
            if fmt and isinstance(c.value, (int, float)):
                c.number_format = fmt
    text_not_formulas(ws)
    last = get_column_letter(max(len(headers), 1))
    table = Table(displayName=table_name, ref=f"A1:{last}{max(len(frame), 1) + 1}")
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    for j, h in enumerate(headers, start=1):
        width = max([min(len(h), 28)] + [len(_shown(v)) for v in frame.iloc[:200, j - 1]])
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 3, 9), 60)
    ws.row_dimensions[1].height = 15 * max(1, max((len(h) // 26 + 1 for h in headers),
                                                  default=1))
    for k, chart in enumerate(sheet.charts):
        _chart(ws, chart, headers, len(frame), k)


def _shown(v) -> str:
    v = _cell_value(v)
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1 else f"{v:.1%}"
    return "" if v is None else str(v)


def _chart(ws, chart: Chart, headers: list[str], n: int, k: int) -> None:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.utils import get_column_letter

    values = [v for v in chart.values if v in headers]
    if n == 0 or chart.category not in headers or not values:
        return
    bar = BarChart()
    bar.type = "bar" if chart.horizontal else "col"
    bar.title = chart.title
    bar.y_axis.title = chart.axis_title
    bar.y_axis.numFmt = "0%" if chart.percent else "#,##0"
    bar.y_axis.majorGridlines = None if chart.horizontal else bar.y_axis.majorGridlines
    bar.x_axis.delete = False
    bar.y_axis.delete = False
    if chart.horizontal:
        bar.x_axis.scaling.orientation = "maxMin"  # the first row on top, as in the table
    for v in values:
        col = headers.index(v) + 1
        bar.add_data(Reference(ws, min_col=col, min_row=1, max_row=n + 1), titles_from_data=True)
    cat = headers.index(chart.category) + 1
    bar.set_categories(Reference(ws, min_col=cat, min_row=2, max_row=n + 1))
    if len(values) == 1:
        bar.legend = None
    bar.width = 18
    bar.height = max(7.5, 0.45 * n + 2) if chart.horizontal else 9
    anchor_col = get_column_letter(len(headers) + 2)
    ws.add_chart(bar, f"{anchor_col}{2 + 20 * k}")


def label_kind(value) -> str:
    """The kind of a summary value that is text or a whole number."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return "text"
    return "count" if float(value) == int(value) else "number"


def shares_text(x: float) -> str:
    """A share as people read it in the current language (``30%`` / ``30 %``)."""
    whole = abs(x * 100 - round(x * 100)) < 1e-9
    return percent_text(x, 0 if whole else 1)
