"""Numbers as files write them: the number style of a file, parsing and German formatting.

A workbook cell is read as the number it holds; a CSV file writes numbers with
a decimal point or, as German Excel does, a decimal comma (see
:func:`number_style` for the rule). A trailing ``%`` divides by 100 and a
``€`` sign is ignored, as Excel writes formatted cells.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamopt.case.raw import RawTable


@dataclass(frozen=True)
class NumberStyle:
    """How numbers are written in one file: decimal mark and thousands separator."""

    decimal: str = "."
    group: str | None = None

    @property
    def pattern(self) -> str:
        d = re.escape(self.decimal)
        whole = r"\d+"
        if self.group:
            whole = rf"(?:\d{{1,3}}(?:{re.escape(self.group)}\d{{3}})+|\d+)"
        return rf"(?a)[+-]?(?:{whole}(?:{d}\d*)?|{d}\d+)(?:[eE][+-]?\d+)?"

    def hint(self) -> str:
        if self.decimal == ",":
            return " (this file writes numbers with a decimal comma, e.g. 1.234,5)"
        return " (this file writes numbers with a decimal point, e.g. 1234.5)"


PLAIN = NumberStyle(".", ",")
GERMAN = NumberStyle(",", ".")
WORKBOOK = NumberStyle(".", None)
_GROUPED_ONLY = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+", re.ASCII).fullmatch


def number_style(raw: RawTable, positions: Sequence[int]) -> NumberStyle:
    """The number style of a file, decided once from its numeric columns.

    How a number is written depends on the file, never on the single value:

    * a workbook cell is read as the number it holds (text cells use ``.``);
    * a ``,``-separated CSV uses a decimal point and optional thousands commas
      (``1,234.5``);
    * a ``;``- or tab-separated CSV (what German Excel writes) uses a decimal
      comma and optional thousands dots (``1.234,5``), unless no number in the
      file has a comma and every dotted number is a plain decimal such as
      ``0.35`` (then the file is read with a decimal point). ``1.234`` in such
      a file means 1234.

    Examples
    --------
    >>> from kamopt.case.raw import text_array
    >>> raw = RawTable("t.csv", ["x"], [text_array(["0,35", "1.234"])], np.array([2, 3]), sep=";")
    >>> number_style(raw, [0])
    NumberStyle(decimal=',', group='.')
    >>> raw = RawTable("t.csv", ["x"], [text_array(["0.35", "12.5"])], np.array([2, 3]), sep=";")
    >>> number_style(raw, [0])
    NumberStyle(decimal='.', group=None)
    """
    if raw.sep == "":
        return WORKBOOK
    if raw.sep == ",":
        return PLAIN
    if not positions or not len(raw):
        return GERMAN
    values = np.concatenate([raw.columns[p] for p in positions])
    if any("," in v for v in values):
        return GERMAN
    dotted = [v.replace("€", "").strip().rstrip("% ") for v in values if "." in v]
    plain = re.compile(WORKBOOK.pattern).fullmatch
    if dotted and not any(_GROUPED_ONLY(v) for v in dotted) and all(plain(v) for v in dotted):
        return WORKBOOK
    return GERMAN


def _parse_one(text: str, style: NumberStyle, match) -> float:
    """One cell the fast path rejected: with ``€``, ``%`` or thousands separators."""
    t = text.replace("€", "").strip()
    pct = t.endswith("%")
    if pct:
        t = t[:-1].rstrip()
    if not match(t):
        return np.nan
    if style.group:
        t = t.replace(style.group, "")
    x = float(t.replace(style.decimal, ".") if style.decimal != "." else t)
    return x / 100 if pct else x


def parse_numbers(
    text: Sequence[str] | np.ndarray, style: NumberStyle
) -> tuple[np.ndarray, np.ndarray]:
    """Parse stripped strings to float64 in the file's style.

    Returns the values (NaN where empty or bad) and a mask of the bad cells
    (non-empty and not a finite number). Clean cells are converted in one
    vectorised step; only the rest are looked at one by one.

    Examples
    --------
    >>> v, bad = parse_numbers(["1.234,5", "", "abc", "12 %", "1.23"], GERMAN)
    >>> v[:1].tolist(), bad.tolist()
    ([1234.5], [False, False, True, False, True])
    >>> float(v[3])
    0.12
    >>> parse_numbers(["1.234", "1,234.5"], PLAIN)[0].tolist()
    [1.234, 1234.5]
    """
    arr = np.asarray(text, dtype=object)
    empty = arr == ""
    if style.decimal == ",":
        norm = np.array([v.replace(".", "").replace(",", ".") for v in arr], dtype=object)
    else:
        norm = arr
    values = np.array(pd.to_numeric(pd.Series(norm, dtype=object), errors="coerce"), dtype=float)
    ok = np.isfinite(values)
    match = re.compile(style.pattern).fullmatch
    if style.decimal == ",":
        # "1.23" must not pass as 123: a dotted value must group thousands properly
        dotted = np.flatnonzero(ok & np.array(["." in v for v in arr], dtype=bool))
        if len(dotted):
            good = np.array([match(arr[i]) is not None for i in dotted], dtype=bool)
            ok[dotted[~good]] = False
    for i in np.flatnonzero(~ok & ~empty):
        values[i] = _parse_one(arr[i], style, match)
    values[empty] = np.nan
    bad = ~empty & ~np.isfinite(values)
    values[bad] = np.nan
    return values, bad


def format_number_de(x: float | int) -> str:
    """A number as German Excel writes it: decimal comma, thousands dots.

    Examples
    --------
    >>> format_number_de(1234567.89)
    '1.234.567,89'
    >>> format_number_de(0.35), format_number_de(1500.0), format_number_de(-1234.5)
    ('0,35', '1.500', '-1.234,5')
    >>> format_number_de(2.5e-07)
    '2,5e-07'
    """
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        x = int(x)
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}".replace(",", ".")
    text = repr(float(x))
    if "e" in text or not np.isfinite(x):
        return text.replace(".", ",")
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}".replace(",", ".") + ("," + frac if frac else "")


_SCIENTIFIC = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+", re.ASCII)


def yaml_number(value: object, whole: bool = False) -> object:
    """``value``, or the number it writes if it is text in scientific notation.

    YAML 1.1 (what ``yaml.safe_load`` reads) takes ``2e6`` and ``1.75e6`` for
    text: only ``1.75e+6`` is a number to it. Where a number is expected, such
    text is the number it writes; with ``whole``, a whole number becomes an
    ``int``. Anything else comes back unchanged, for the checks to reject.

    >>> yaml_number("2e6"), yaml_number("1.75E-1"), yaml_number("3e0", whole=True)
    (2000000.0, 0.175, 3)
    >>> yaml_number("2e6 EUR"), yaml_number("1e999"), yaml_number(7)
    ('2e6 EUR', '1e999', 7)
    """
    if isinstance(value, str) and _SCIENTIFIC.fullmatch(value.strip()):
        x = float(value)
        if math.isfinite(x):
            return int(x) if whole and x.is_integer() else x
    return value


#: the words of a money amount that multiply it (lower case, a trailing dot ignored)
_MONEY_SCALES = {"k": 1e3, "tsd": 1e3, "t": 1e3, "m": 1e6, "mio": 1e6, "mill": 1e6,
                 "mn": 1e6, "million": 1e6, "millionen": 1e6, "millions": 1e6,
                 "mrd": 1e9, "bn": 1e9, "b": 1e9, "milliarde": 1e9, "milliarden": 1e9,
                 "billion": 1e9}
_MONEY = re.compile(r"(?a)\s*([+-]?)\s*([\d.,' \u00a0\u202f]*\d[\d.,]*|[.,]\d+)\s*"
                    r"([^\W\d_]*)\.?\s*", re.IGNORECASE)


def _grouped(text: str, mark: str) -> bool:
    """Whether ``text`` groups its digits in threes with ``mark`` (``1.500.000``)."""
    head, *rest = text.split(mark)
    return (1 <= len(head) <= 3 and not (head.startswith("0") and rest)
            and all(len(g) == 3 and g.isdigit() for g in rest) and head.isdigit())


def parse_money(text: str) -> float:
    """An amount of money as people type it, German or English; ValueError says why not.

    Accepted: ``1500000``, ``1.500.000`` and ``1.500.000,50`` (German), ``1,500,000``
    and ``1,500,000.50`` (English), spaces or ``'`` between groups of three, a ``€``,
    ``EUR`` or ``Euro`` before or after, and a scale word after: ``k``/``Tsd.``
    (thousand), ``M``/``m``/``Mio``/``Mio.``/``Million(en)`` (million), ``Mrd``/``bn``/
    ``Milliarde(n)`` (billion, 10⁹).

    Which mark is the decimal one:

    * both ``.`` and ``,``: the last one is the decimal mark, the other groups
      thousands (``1.500.000,50`` and ``1,500,000.50``);
    * one mark, written more than once: it groups thousands (``1.500.000``);
    * one mark, written once: **by its position**, exactly three digits after it and
      one to three (not a lone 0) before it mean thousands, so ``1.500`` and ``1,500``
      are both 1500; anything else is a decimal mark, so ``1,5`` and ``1.5`` are 1.5
      and ``0,500`` is 0.5. Write ``1,5 Mio`` for one and a half million.

    Refused (ValueError with the reason): nothing, a word that is not a currency or a
    scale, thousands not grouped in threes (``1.50.000``), two decimal marks.

    >>> parse_money("1.500.000"), parse_money("1.500.000,50"), parse_money("1,500,000")
    (1500000.0, 1500000.5, 1500000.0)
    >>> parse_money("1,5 Mio"), parse_money("1,5 Mio."), parse_money("1.5M"), parse_money("1.5 m")
    (1500000.0, 1500000.0, 1500000.0, 1500000.0)
    >>> parse_money("2 Mrd"), parse_money("€ 1.500.000"), parse_money("1.500.000 EUR")
    (2000000000.0, 1500000.0, 1500000.0)
    >>> parse_money("1.500"), parse_money("1,500"), parse_money("1,5"), parse_money("1500000")
    (1500.0, 1500.0, 1.5, 1500000.0)
    >>> parse_money("250 Tsd. €"), parse_money("70,50"), parse_money("1 500 000")
    (250000.0, 70.5, 1500000.0)
    >>> parse_money("1.50.000")
    Traceback (most recent call last):
    ...
    ValueError: '1.50.000' is not an amount: thousands are grouped in threes (1.500.000)
    >>> parse_money("zwei Mio")
    Traceback (most recent call last):
    ...
    ValueError: 'zwei Mio' is not an amount: write it in digits, e.g. 1.500.000 or 1,5 Mio
    """
    original = str(text)
    t = original.strip()
    for cur in ("€", "eur", "euro", "euros"):  # a currency before or after
        if t.lower().startswith(cur) and not t[len(cur):len(cur) + 1].isalpha():
            t = t[len(cur):].strip()
        if t.lower().endswith(cur) and not t[-len(cur) - 1:-len(cur)].isalpha():
            t = t[:-len(cur)].strip()

    def refuse(why: str) -> ValueError:
        return ValueError(f"{original.strip()!r} is not an amount: {why}")

    if not t:
        raise refuse("it is empty; write e.g. 1.500.000 or 1,5 Mio")
    m = _MONEY.fullmatch(t)
    if m is None:
        raise refuse("write it in digits, e.g. 1.500.000 or 1,5 Mio")
    sign, number, word = m.groups()
    scale = 1.0
    if word:
        if word.lower() not in _MONEY_SCALES:
            raise refuse(f"{word!r} is neither a currency (EUR, €) nor a scale (k, Mio, Mrd)")
        scale = _MONEY_SCALES[word.lower()]
    number = re.sub(r"(?<=\d)[ '\u00a0\u202f](?=\d{3}(?!\d))", "", number)
    if re.search(r"[ '\u00a0\u202f]", number):
        raise refuse("thousands are grouped in threes (1 500 000)")
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        decimal = "." if number.rfind(".") > number.rfind(",") else ","
        group = "," if decimal == "." else "."
        whole, _, frac = number.rpartition(decimal)
        if decimal in whole:
            raise refuse(f"two decimal marks ({decimal!r})")
        if not _grouped(whole, group):
            raise refuse(f"thousands are grouped in threes (1{group}500{group}000)")
    elif dots + commas > 1:
        mark = "." if dots else ","
        if not _grouped(number, mark):
            raise refuse(f"thousands are grouped in threes (1{mark}500{mark}000)")
        whole, frac = number, ""
        whole = whole.replace(mark, "")
    elif dots + commas == 1:
        mark = "." if dots else ","
        head, _, tail = number.partition(mark)
        if len(tail) == 3 and _grouped(number, mark):  # 1.500, 1,500: thousands
            whole, frac = head + tail, ""
        else:
            whole, frac = head, tail
    else:
        whole, frac = number, ""
    whole = whole.replace(".", "").replace(",", "")
    x = float(f"{whole or '0'}.{frac or '0'}") * scale
    if not math.isfinite(x):
        raise refuse("it is too large")
    return -x if sign == "-" else x
