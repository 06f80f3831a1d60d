"""Amounts as people read them: at most three significant digits, k and M prefixes.

>>> amount(2_500, "€", sep="")
'2.5 k€'
>>> amount(85_300, "EUR")
'85 k EUR'
>>> amount(-1_234_000, "EUR", minus="-")
'-1.2 M EUR'
>>> amount(412.4, "EUR"), amount(0.25, "€", sep=""), amount(3, "EUR")
('412 EUR', '0.25 €', '3 EUR')
>>> eur(10_106_857, "€", digits=1, sep=""), eur(17.6e6, digits=1, k=False), eur(4217, digits=1, k=False)
('10.1 M€', '17.6 M EUR', '4,217 EUR')
>>> eur(1_234_567.4, "EUR/yr", whole=True), eur(-44_398, "€", digits=2, sep="")
('1,234,567 EUR/yr', '−44 k€')
>>> hours(16_002.4), hours(1_234.56, ",.1f"), hours(0.79969)
('16,002', '1,234.6', '0.7997')

In German (:func:`kamopt.i18n.language`) the same figures with German separators and
prefixes:

>>> from kamopt.i18n import language
>>> with language("de"):
...     eur(10_106_857, "€", digits=1, sep=""), eur(1_234_567.4, whole=True), amount(85_300, "EUR")
('10,1 Mio. €', '1.234.567 EUR', '85 Tsd. EUR')
"""

from __future__ import annotations

from kamopt.i18n import current, localise

_PREFIX_DE = {"k": "Tsd. ", "M": "Mio. "}


def _say(sign: str, text: str, prefix: str, sep: str, unit: str) -> str:
    """The parts of an amount in the current language: German separators and prefixes."""
    if current() == "de":
        return f"{sign}{localise(text, 'de')} {_PREFIX_DE.get(prefix, prefix)}{unit}"
    return f"{sign}{text} {prefix}{sep if prefix else ''}{unit}"


def amount(x: float, unit: str, minus: str = "−", sep: str = " ") -> str:
    """``x`` with a k/M prefix before ``unit`` (joined by ``sep``), sign ``minus``."""
    sign = minus if x < 0 else ""
    v = abs(float(x))
    if v >= 1e6:
        scaled, prefix = v / 1e6, "M"
    elif v >= 1e3:
        scaled, prefix = v / 1e3, "k"
    elif v < 10 and v != round(v):  # small amounts keep their digits: 0.2 and 0.4 differ
        return _say(sign, f"{v:.2g}", "", sep, unit)
    else:
        return _say(sign, f"{v:,.0f}", "", sep, unit)
    text = f"{scaled:,.0f}" if scaled >= 10 else f"{scaled:.1f}".removesuffix(".0")
    return _say(sign, text, prefix, sep, unit)


def eur(x: float, unit: str = "EUR", *, digits: int | None = None, k: bool = True,
        whole: bool = False, minus: str = "−", sep: str = " ") -> str:
    """The one way kamopt writes money; every table, label and sentence goes through it.

    By default three significant digits with a k/M prefix (:func:`amount`: ticks and
    sentences). ``whole``: every euro, ``1,234,567 EUR`` (figures people add up).
    ``digits``: millions with that many decimals (a label that must tell neighbours
    apart), thousands whole below a million (``k=False``: whole euros below 0.05 M, so
    that a shortfall of 4,217 EUR does not read 0.0 M).
    """
    if whole:
        return _say(minus if x < 0 else "", f"{abs(float(x)):,.0f}", "", sep, unit)
    if digits is None:
        return amount(x, unit, minus=minus, sep=sep)
    sign = minus if x < 0 else ""
    v = abs(float(x))
    if v >= (1e6 if k else 0.5 * 10.0 ** (6 - digits)):
        return _say(sign, f"{v / 1e6:,.{digits}f}", "M", sep, unit)
    if k and v >= 1e3:
        return _say(sign, f"{v / 1e3:,.0f}", "k", sep, unit)
    return _say(sign, f"{v:,.0f}", "", sep, unit)


def hours(x: float, whole: str = ",.0f") -> str:
    """Hours as a number people read: in the ``whole`` format from 100 h on, with four
    significant digits below (a workload index of 0.8 must not read 1)."""
    return localise(format(float(x), whole) if abs(x) >= 100 else f"{float(x):.4g}")
