"""Amounts as people read them: at most three significant digits, k and M prefixes.

>>> amount(2_500, "€", sep="")
'2.5 k€'
>>> amount(85_300, "EUR")
'85 k EUR'
>>> amount(-1_234_000, "EUR", minus="-")
'-1.2 M EUR'
>>> amount(412.4, "EUR"), amount(0.25, "€", sep=""), amount(3, "EUR")
('412 EUR', '0.25 €', '3 EUR')
>>> hours(16_002.4), hours(1_234.56, ",.1f"), hours(0.79969)
('16,002', '1,234.6', '0.7997')
"""

from __future__ import annotations


def amount(x: float, unit: str, minus: str = "−", sep: str = " ") -> str:
    """``x`` with a k/M prefix before ``unit`` (joined by ``sep``), sign ``minus``."""
    sign = minus if x < 0 else ""
    v = abs(float(x))
    if v >= 1e6:
        scaled, prefix = v / 1e6, "M"
    elif v >= 1e3:
        scaled, prefix = v / 1e3, "k"
    elif v < 10 and v != round(v):  # small amounts keep their digits: 0.2 and 0.4 differ
        return f"{sign}{v:.2g} {unit}"
    else:
        return f"{sign}{v:,.0f} {unit}"
    text = f"{scaled:,.0f}" if scaled >= 10 else f"{scaled:.1f}".removesuffix(".0")
    return f"{sign}{text} {prefix}{sep}{unit}"


def hours(x: float, whole: str = ",.0f") -> str:
    """Hours as a number people read: in the ``whole`` format from 100 h on, with four
    significant digits below (a workload index of 0.8 must not read 1)."""
    return format(float(x), whole) if abs(x) >= 100 else f"{float(x):.4g}"
