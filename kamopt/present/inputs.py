"""Input widgets that fit people's habits: money typed as people write it, searchable pickers.

:class:`MoneyInput` is a text field read by :func:`kamopt.case.numbers.parse_money`
(``1.500.000``, ``1,5 Mio``, ``1.5M``, ``€ 1.500.000``, ...): its ``value`` is the
amount in EUR, or None while the field is empty or does not read; what does not read
is said under the field, never turned into a wrong number.

:class:`Picker` chooses several items of a long list by typing part of a name or an
id (a :class:`ipywidgets.Combobox`, searchable in the browser) and shows the chosen
ones as buttons that remove them; its ``value`` is the tuple of chosen ids, in the
order they were chosen.

Both keep their state in traits (``value``, ``disabled``, ``description``), so they
are set and read from Python as the ipywidgets they replace (tests, ``explorer.set``).

>>> money = MoneyInput(description="Budget", value=None)
>>> money.text.value = "1,5 Mio"
>>> money.value, money.text.value, money.error.value
(1500000.0, '1,500,000', '')
>>> money.text.value = "1.50.000"
>>> money.value is None, "grouped in threes" in money.error.value
(True, True)
>>> money.value = 2_500_000.0
>>> money.text.value
'2,500,000'

The field writes an amount back in the app's language (:func:`kamopt.i18n.current`),
``1,500,000`` in English and ``1.500.000`` in German, and says in it what does not read;
:meth:`MoneyInput.relabel` writes it again after the language is switched:

>>> from kamopt.i18n import language
>>> with language("de"):
...     money.relabel()
...     money.text.value = "1,5 Mil"
>>> money.text.value, money.error.value
('1,5 Mil', "<span style='color:#b00'>„1,5 Mil“ ist kein Betrag: „Mil“ ist weder eine Währung (EUR, €) noch eine Größenordnung (Tsd., Mio., Mrd.)</span>")
>>> pick = Picker([("M03 Claudia Koch", "M03"), ("M11 Frank Hoffmann", "M11")])
>>> pick.search.value = "M11 Frank Hoffmann"
>>> pick.value, pick.search.value
(('M11',), '')
>>> pick.chips.children[0].description
'M11 Frank Hoffmann'
>>> pick.chips.children[0].click()
>>> pick.value
()
"""

from __future__ import annotations

import html
import re

import ipywidgets as W
import traitlets

from kamopt.case.numbers import format_number_de, parse_money
from kamopt.i18n import N_, current, tr

#: the hint in an empty money field (a message: shown with ``tr``)
MONEY_HINT = N_("e.g. 1.500.000")

#: why an amount does not read (kamopt.case.numbers.parse_money's reasons), for German
_WHY = [
    (r"it is empty; write e\.g\. 1\.500\.000 or 1,5 Mio",
     N_("it is empty; write e.g. 1.500.000 or 1,5 Mio")),
    (r"write it in digits, e\.g\. 1\.500\.000 or 1,5 Mio",
     N_("write it in digits, e.g. 1.500.000 or 1,5 Mio")),
    (r"(?P<q>['\"])(?P<word>.*)(?P=q) is neither a currency \(EUR, €\) nor a scale \(k, Mio, Mrd\)",
     N_("'{word}' is neither a currency (EUR, €) nor a scale (k, Mio, Mrd)")),
    (r"thousands are grouped in threes \((?P<example>.*)\)",
     N_("thousands are grouped in threes ({example})")),
    (r"two decimal marks \((?P<q>['\"])(?P<mark>.*)(?P=q)\)", N_("two decimal marks ('{mark}')")),
    (r"it is too large", N_("it is too large")),
]


def money_text(x: float, lang: str | None = None) -> str:
    """An amount as the field writes it back: ``1,500,000.5`` in English, ``1.500.000,5`` in
    German (every digit kept, so it reads back the same).

    >>> money_text(1_500_000.5), money_text(1_500_000.5, "de"), money_text(95.0)
    ('1,500,000.5', '1.500.000,5', '95')
    """
    text = format_number_de(x)
    if (lang or current()) == "de":
        return text
    return text.translate(str.maketrans({".": ",", ",": "."}))


def money_error(exc: Exception) -> str:
    """What :func:`~kamopt.case.numbers.parse_money` says about an amount, in the current
    language (the words of kamopt.case.numbers are English).

    >>> from kamopt.i18n import language
    >>> try:
    ...     parse_money("abc")
    ... except ValueError as exc:
    ...     with language("de"):
    ...         print(money_error(exc))
    „abc“ ist kein Betrag: in Ziffern schreiben, z. B. 1.500.000 oder 1,5 Mio
    """
    text = str(exc)
    if current() == "en":
        return text
    m = re.fullmatch(r"(?P<q>['\"])(?P<text>.*)(?P=q) is not an amount: (?P<why>.*)", text, re.S)
    if m is None:
        return text
    why = m["why"]
    for pattern, msgid in _WHY:
        w = re.fullmatch(pattern, why, re.S)
        if w is not None:
            why = tr(msgid, **{k: v for k, v in w.groupdict().items() if k != "q"})
            break
    return tr("'{text}' is not an amount: {why}", text=m["text"], why=why)


class MoneyInput(W.VBox):
    """A money field: a text box read by :func:`~kamopt.case.numbers.parse_money`, and
    under it what does not read. ``value`` is a float in ``[min, max]`` or None (empty,
    or not an amount); a value read or set from Python is kept within the bounds and
    written back in the current language (:func:`money_text`: ``1,500,000`` in English,
    ``1.500.000`` in German)."""

    value = traitlets.Float(allow_none=True, default_value=None)
    disabled = traitlets.Bool(False)
    description = traitlets.Unicode("")

    def __init__(self, value: float | None = None, *, description: str = "", min: float = 0.0,
                 max: float = 1e12, unit: str = "EUR", placeholder: str | None = None,
                 style=None, layout=None):
        self.min, self.max, self.unit = float(min), float(max), unit
        self._why: tuple[str, Exception] | None = None  # what did not read, and why
        self.text = W.Text(description=description,
                           placeholder=tr(MONEY_HINT) if placeholder is None else placeholder,
                           continuous_update=False, style=style or {},
                           layout=layout or W.Layout(width="300px"))
        self.error = W.HTML("")
        self.error.add_class("kamopt-money-error")
        self._writing = False
        super().__init__([self.text, self.error], layout=W.Layout(overflow="visible"))
        traitlets.dlink((self, "description"), (self.text, "description"))
        self.description = description
        self.text.observe(self._read, names="value")
        self.value = value
        self._write({"new": self.value})
        self.observe(self._write, names="value")
        traitlets.link((self, "disabled"), (self.text, "disabled"))

    @traitlets.validate("value")
    def _within(self, proposal):
        v = proposal["value"]
        return None if v is None else min(max(float(v), self.min), self.max)

    def _read(self, change) -> None:
        if self._writing:
            return
        text = change["new"].strip()
        x, self._why = None, None
        if text:
            try:
                x = parse_money(text)
                if not self.min <= x <= self.max:
                    raise ValueError(text)  # said by _say: between the bounds
            except ValueError as exc:
                x, self._why = None, (text, exc)
        self._writing = True
        try:
            self.error.value = self._say()
            self.value = x
            if x is not None:  # as it was read: 1,5 Mio shows 1,500,000 (1.500.000 in German)
                self.text.value = money_text(x)
        finally:
            self._writing = False

    def _say(self) -> str:
        """What did not read, and why, in the current language ("" if all reads)."""
        if self._why is None:
            return ""
        text, exc = self._why
        if isinstance(exc, ValueError) and exc.args == (text,):
            why = tr("'{text}' is not between {low} and {high} {unit}", text=text,
                     low=money_text(self.min), high=money_text(self.max), unit=tr(self.unit))
        else:
            why = money_error(exc)
        return f"<span style='color:#b00'>{html.escape(why)}</span>"

    def relabel(self) -> None:
        """Write the amount and what did not read again, in the current language."""
        self._writing = True
        try:
            if self._why is None and self.value is not None:
                self.text.value = money_text(self.value)
            self.error.value = self._say()
        finally:
            self._writing = False

    def _write(self, change) -> None:
        if self._writing:
            return
        self._writing = True
        try:
            self.text.value = "" if change["new"] is None else money_text(change["new"])
            self._why = None
            self.error.value = ""
        finally:
            self._writing = False


#: the hint in an empty picker
PICK_HINT = N_("type a name or an id…")


class Picker(W.VBox):
    """Choose several of a long list by typing part of a name or id.

    ``options`` are ``(label, id)`` pairs (``("K0008 Neumann & Bauer GmbH", "K0008")``);
    ``value`` is the tuple of chosen ids in the order they were chosen. Each chosen
    item shows as a button with its label; pressing it removes the item.
    """

    value = traitlets.Tuple()
    disabled = traitlets.Bool(False)
    description = traitlets.Unicode("")

    def __init__(self, options=(), value=(), *, description: str = "",
                 placeholder: str | None = None, hint: str = PICK_HINT, style=None, layout=None):
        # the hint in the empty field: a message (written again by relabel), unless given
        self._hint = hint if placeholder is None else None
        self.search = W.Combobox(description=description,
                                 placeholder=tr(hint) if placeholder is None else placeholder,
                                 ensure_option=True, style=style or {},
                                 layout=layout or W.Layout(width="520px"))
        self.search.add_class("kamopt-picker-search")
        self.chips = W.Box(layout=W.Layout(flex_flow="row wrap", max_width="900px"))
        self.chips.add_class("kamopt-picker-chosen")
        self._labels: dict[str, str] = {}
        self._ids: dict[str, str] = {}
        super().__init__([self.search, self.chips])
        traitlets.dlink((self, "description"), (self.search, "description"))
        self.description = description
        self.options = options
        self.value = tuple(value)
        self._show({"new": self.value})
        self.search.observe(self._pick, names="value")
        self.observe(self._show, names="value")
        traitlets.link((self, "disabled"), (self.search, "disabled"))

    @property
    def options(self) -> tuple:
        """The ``(label, id)`` pairs to choose from."""
        return tuple((label, i) for i, label in self._labels.items())

    @options.setter
    def options(self, pairs) -> None:
        pairs = [(p, p) if isinstance(p, str) else tuple(p) for p in pairs]
        self._labels = {str(i): str(label) for label, i in pairs}
        self._ids = {label: i for i, label in self._labels.items()}
        self.search.options = tuple(self._labels.values())
        kept = tuple(i for i in self.value if i in self._labels)
        if kept != self.value:
            self.value = kept
        else:
            self._show({"new": self.value})

    def label(self, item: str) -> str:
        """The label of an id (the id itself if it has none)."""
        return self._labels.get(item, item)

    @traitlets.validate("value")
    def _known(self, proposal):
        chosen = tuple(dict.fromkeys(str(i) for i in proposal["value"]))
        unknown = [i for i in chosen if i not in self._labels]
        if unknown:
            raise traitlets.TraitError(f"{self.description or 'Picker'}: {unknown[0]!r} is not "
                                       "one of the choices")
        return chosen

    def _pick(self, change) -> None:
        item = self._ids.get(change["new"])
        if item is None:
            return
        if item not in self.value:
            self.value = (*self.value, item)
        self.search.value = ""

    def _show(self, change) -> None:
        chips = []
        for item in change["new"]:
            b = W.Button(description=self._labels.get(item, item), icon="times",
                         tooltip=tr("remove"), layout=W.Layout(width="auto", max_width="420px"))
            b.add_class("kamopt-chip")
            b.on_click(lambda _, item=item: self._remove(item))
            chips.append(b)
        self.chips.children = chips

    def relabel(self) -> None:
        """Write the hint and the chosen items' buttons again, in the current language."""
        if self._hint is not None:
            self.search.placeholder = tr(self._hint)
        self._show({"new": self.value})

    def _remove(self, item: str) -> None:
        if not self.disabled:
            self.value = tuple(i for i in self.value if i != item)
