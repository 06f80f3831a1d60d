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
>>> money.value, money.error.value
(1500000.0, '')
>>> money.text.value = "1.50.000"
>>> money.value is None, "grouped in threes" in money.error.value
(True, True)
>>> money.value = 2_500_000.0
>>> money.text.value
'2.500.000'
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

import ipywidgets as W
import traitlets

from kamopt.case.numbers import format_number_de, parse_money

#: the hint in an empty money field
MONEY_HINT = "e.g. 1.500.000"


class MoneyInput(W.VBox):
    """A money field: a text box read by :func:`~kamopt.case.numbers.parse_money`, and
    under it what does not read. ``value`` is a float in ``[min, max]`` or None (empty,
    or not an amount); a value set from Python is kept within the bounds and written
    back German style (``1.500.000``)."""

    value = traitlets.Float(allow_none=True, default_value=None)
    disabled = traitlets.Bool(False)
    description = traitlets.Unicode("")

    def __init__(self, value: float | None = None, *, description: str = "", min: float = 0.0,
                 max: float = 1e12, unit: str = "EUR", placeholder: str = MONEY_HINT,
                 style=None, layout=None):
        self.min, self.max, self.unit = float(min), float(max), unit
        self.text = W.Text(description=description, placeholder=placeholder,
                           continuous_update=False, style=style or {},
                           layout=layout or W.Layout(width="300px"))
        self.error = W.HTML("")
        self.error.add_class("kamopt-money-error")
        self._writing = False
        super().__init__([self.text, self.error], layout=W.Layout(overflow="visible"))
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
        x, why = None, ""
        if text:
            try:
                x = parse_money(text)
                if not self.min <= x <= self.max:
                    raise ValueError(f"{text!r} is not between {format_number_de(self.min)} "
                                     f"and {format_number_de(self.max)} {self.unit}")
            except ValueError as exc:
                x, why = None, str(exc)
        self._writing = True
        try:
            self.error.value = (f"<span style='color:#b00'>{html.escape(why)}</span>"
                                if why else "")
            self.value = x
            if x is not None:  # as it was read: 1,5 Mio shows 1.500.000
                self.text.value = format_number_de(x)
        finally:
            self._writing = False

    def _write(self, change) -> None:
        if self._writing:
            return
        self._writing = True
        try:
            self.text.value = "" if change["new"] is None else format_number_de(change["new"])
            self.error.value = ""
        finally:
            self._writing = False


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
                 placeholder: str = "type a name or an id…", style=None, layout=None):
        self.search = W.Combobox(description=description, placeholder=placeholder,
                                 ensure_option=True, style=style or {},
                                 layout=layout or W.Layout(width="520px"))
        self.search.add_class("kamopt-picker-search")
        self.chips = W.Box(layout=W.Layout(flex_flow="row wrap", max_width="900px"))
        self.chips.add_class("kamopt-picker-chosen")
        self._labels: dict[str, str] = {}
        self._ids: dict[str, str] = {}
        super().__init__([self.search, self.chips])
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
                         tooltip="remove", layout=W.Layout(width="auto", max_width="420px"))
            b.add_class("kamopt-chip")
            b.on_click(lambda _, item=item: self._remove(item))
            chips.append(b)
        self.chips.children = chips

    def _remove(self, item: str) -> None:
        if not self.disabled:
            self.value = tuple(i for i in self.value if i != item)
