"""Amounts as people read them: at most three significant digits, k and M prefixes.

>>> amount(2_500, "€", sep="")
'2.5 k€'
>>> amount(85_300, "EUR")
'85 k EUR'
>>> amount(-1_234_000, "EUR", minus="-")
'-1.2 M EUR'
>>> amount(412.4, "EUR")
'412 EUR'
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
    else:
        return f"{sign}{v:,.0f} {unit}"
    text = f"{scaled:,.0f}" if scaled >= 10 else f"{scaled:.1f}".removesuffix(".0")
    return f"{sign}{text} {prefix}{sep}{unit}"
