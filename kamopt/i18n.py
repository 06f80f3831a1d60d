"""German and English: one message catalogue, numbers and dates by locale.

English is the source language: a message's English text is its key (its *msgid*), as in
gettext, and ``kamopt/locale/de/*.po`` hold the German (one catalogue, kept in files by
area: the report, the charts, the deck, the workbook, the app). Babel reads the ``.po``
files directly, so nothing is compiled and nothing is downloaded. ``tests/test_i18n.py``
extracts every ``tr("...")`` of the package (Babel's extractor) and fails on a message
without its German.

The language of what is being written is set once, around the work, and every label,
sentence and figure below it follows:

>>> with language("de"):
...     tr("Net contribution (EUR a year)"), number(1234567.4), percent(0.205, 1)
('Nettodeckungsbeitrag (EUR pro Jahr)', '1.234.567', '20,5 %')
>>> number(1234567.4), percent(0.205, 1), date(datetime.date(2026, 12, 6))
('1,234,567', '20.5%', '6 December 2026')
>>> date(datetime.date(2026, 12, 6), "de")
'6. Dezember 2026'

Figures are the same in both languages: German is English's digits with the locale's
separators (Babel's symbols), so no rounding differs between the two.
"""

from __future__ import annotations

import contextvars
import datetime
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kamopt.errors import KamoptError

LANGS = {"en": "English", "de": "Deutsch"}
LOCALES = {"en": "en_GB", "de": "de_DE"}
LOCALE_DIR = Path(__file__).with_name("locale")

_default = "en"
_override: contextvars.ContextVar[str | None] = contextvars.ContextVar("kamopt_lang", default=None)


def check_lang(lang: object, where: str = "--lang") -> str:
    """``lang`` as a language kamopt writes, or a :class:`KamoptError` naming ``where``.

    >>> check_lang("DE")
    'de'
    >>> check_lang("fr", "lang: in base.yml")
    Traceback (most recent call last):
    kamopt.errors.KamoptError: lang: in base.yml: got 'fr'; expected one of: en (English), de (Deutsch)
    """
    text = str(lang).strip().lower() if lang is not None else ""
    if text not in LANGS:
        choices = ", ".join(f"{k} ({v})" for k, v in LANGS.items())
        raise KamoptError(f"{where}: got {str(lang)!r}; expected one of: {choices}")
    return text


def current() -> str:
    """The language being written: the innermost :func:`language`, else :func:`set_language`'s."""
    return _override.get() or _default


def set_language(lang: str) -> None:
    """Set the language for this process (a notebook's kernel, the app): ``"en"`` or ``"de"``."""
    global _default
    _default = check_lang(lang)


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Write in ``lang`` inside the block (``None``: keep the current language)."""
    token = _override.set(check_lang(lang) if lang is not None else current())
    try:
        yield current()
    finally:
        _override.reset(token)


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every message of ``lang``: English text -> its translation (empty for English).

    The ``.po`` files of ``kamopt/locale/<lang>/`` make one catalogue; a message given twice
    with different translations is an error (``tests/test_i18n.py``), fuzzy entries count
    as missing.
    """
    if lang == "en":
        return {}
    from babel.messages.pofile import read_po

    messages: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / lang).glob("*.po")):
        with path.open("rb") as f:
            cat = read_po(f, locale=LOCALES[lang])
        for m in cat:
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy:
                messages[m.id] = m.string
    return messages


def tr(msgid: str, lang: str | None = None, /, **fields) -> str:
    """``msgid`` (English) in ``lang`` (default: the current language), with ``fields`` filled.

    Fields are filled after translating (``str.format``), so a translation may reorder them.
    A message missing from the catalogue stays English (the test of the catalogue fails).

    >>> tr("{n} key accounts", "de", n=3)
    '3 Key Accounts'
    """
    lang = lang or current()
    text = catalogue(lang).get(msgid, msgid) if lang != "en" else msgid
    return text.format(**fields) if fields else text


def N_(msgid: str) -> str:
    """Mark ``msgid`` for the catalogue where it is defined (a label kept in data, translated
    with :func:`tr` where it is shown); returns it unchanged."""
    return msgid


def symbols(lang: str | None = None) -> tuple[str, str]:
    """The decimal and the group separator of ``lang`` (Babel's locale data)."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    loc = LOCALES[lang or current()]
    return get_decimal_symbol(loc), get_group_symbol(loc)


def localise(text: str, lang: str | None = None) -> str:
    """English number text (``1,234.5``) with ``lang``'s separators (``1.234,5`` in German)."""
    lang = lang or current()
    if lang == "en":
        return text
    dec, group = symbols(lang)
    return text.translate(str.maketrans({",": group, ".": dec}))


def number(x: float, digits: int = 0, lang: str | None = None) -> str:
    """``x`` with group separators and ``digits`` decimals, in ``lang``'s writing."""
    return localise(f"{float(x):,.{digits}f}", lang)


def percent(x: float, digits: int = 0, lang: str | None = None, sign: bool = False) -> str:
    """A share as a percentage: ``20.5%`` in English, ``20,5 %`` in German (its typography)."""
    lang = lang or current()
    text = localise(f"{100 * float(x):{'+' if sign else ''}.{digits}f}", lang)
    return text + (" %" if lang == "de" else "%")


def date(d: datetime.date | str | None = None, lang: str | None = None) -> str:
    """A date written out (``6. Dezember 2026``); a string is read as ``YYYY-MM-DD`` when it
    is one and kept as given otherwise; ``None`` is today."""
    from babel.dates import format_date

    if d is None:
        d = datetime.date.today()
    if isinstance(d, str):
        try:
            d = datetime.date.fromisoformat(d)
        except ValueError:
            return d
    return format_date(d, format="long", locale=LOCALES[lang or current()])
