"""The charts' shared style: colours, rc settings, EUR and hour axes, titles, legends.

Every chart draws inside ``with _style():`` on :func:`_figure` (a new
:class:`~matplotlib.figure.Figure`, no pyplot state), with :data:`PALETTE`
colours, :func:`_eur_axis` / :func:`_hours_axis` tick labels, :func:`_titles`
and, when it needs one, :func:`_legend_outside` (see docs/ARCHITECTURE.md, "charts").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.ticker import Formatter, FuncFormatter, NullFormatter

from kamopt.i18n import current, localise, symbols
from kamopt.units import eur

#: Okabe & Ito (2008) colours, distinguishable with the common colour-vision
#: deficiencies and in greyscale by lightness.
PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#8C8C8C",
}

_RC = {
    "font.size": 14,
    "axes.titlesize": 17,
    "axes.titleweight": "bold",
    "axes.labelsize": 14,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 13,
    "legend.title_fontsize": 13,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#E3E3E3",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "axes.prop_cycle": mpl.cycler(
        color=[PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky")]
    ),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.facecolor": "white",
}


def show_as_png() -> bool:
    """In an IPython kernel, show every :class:`Figure` as a PNG image, whatever the backend.

    A chart returns a new :class:`Figure` (no pyplot state); a notebook shows it
    through IPython's display formatters, which know figures only once the
    inline backend is on. With ``MPLBACKEND=Agg`` (the Makefile's) and no
    ``%matplotlib inline``, a notebook exported to HTML would show
    ``<Figure size 1200x750 with 1 Axes>`` instead of the chart. Done when
    this module is imported in a kernel; returns whether it was.
    """
    ipython = sys.modules.get("IPython")  # never imports IPython in a command-line run
    shell = ipython.get_ipython() if ipython is not None else None
    png = getattr(getattr(shell, "display_formatter", None), "formatters", {}).get("image/png")
    if png is None:
        return False
    from IPython.core.pylabtools import print_figure

    png.for_type(Figure, lambda fig: print_figure(fig, "png", bbox_inches="tight"))
    return True


show_as_png()


@contextmanager
def _style() -> Iterator[None]:
    """The shared rc settings; wrap a chart's whole body in ``with _style():``."""
    with mpl.rc_context(_RC):
        yield


def _figure(ax: Axes | None = None, figsize: tuple[float, float] = (12, 7.5)) -> tuple[Figure, Axes]:
    """A new figure with one axes (constrained layout), or the root figure of ``ax``."""
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        return fig, fig.add_subplot()
    return ax.get_figure(root=True), ax


def _fmt_eur(x: float, pos: int | None = None) -> str:
    """EUR for a tick or a label: at most three significant digits, k€ / M€.

    >>> [_fmt_eur(v) for v in (0, 850, 2_500, 48_213, 250_000, 1_200_000, 35e6, 2.5e9)]
    ['0 €', '850 €', '2.5 k€', '48 k€', '250 k€', '1.2 M€', '35 M€', '2,500 M€']
    >>> _fmt_eur(-1_500)
    '−1.5 k€'

    In German (:func:`kamopt.i18n.language`), German separators and prefixes:

    >>> from kamopt.i18n import language
    >>> with language("de"):
    ...     [_fmt_eur(v) for v in (2_500, 1_200_000, 2.5e9)]
    ['2,5 Tsd. €', '1,2 Mio. €', '2.500 Mio. €']
    """
    return eur(x, "€", sep="")


class _EurTicks(Formatter):
    """EUR tick labels: ``_fmt_eur``; where that reads two ticks alike or one inexactly, the
    decimals that show every tick exactly (10.0, 10.2 and 10.4 M€ are not "10 M€" three times).

    >>> _EurTicks().format_ticks([9.8e6, 10.0e6, 10.2e6, 10.4e6])
    ['9.8 M€', '10.0 M€', '10.2 M€', '10.4 M€']
    >>> _EurTicks().format_ticks([0, 2e6, 4e6])
    ['0 €', '2 M€', '4 M€']
    >>> _EurTicks().format_ticks([-20_250, -20_000, -19_750])
    ['−20.25 k€', '−20.00 k€', '−19.75 k€']
    >>> _EurTicks().format_ticks([-150, -147.5, -145])  # -147.5 is not "−148 €"
    ['−150.0 €', '−147.5 €', '−145.0 €']
    >>> from kamopt.i18n import language
    >>> with language("de"):
    ...     _EurTicks().format_ticks([9.8e6, 10.0e6, 10.2e6])
    ['9,8 Mio. €', '10,0 Mio. €', '10,2 Mio. €']
    """

    def __call__(self, x: float, pos: int | None = None) -> str:
        return _fmt_eur(x)

    def format_ticks(self, values) -> list[str]:
        labels = [_fmt_eur(v) for v in values]
        if not len(values) or (len(set(labels)) == len(labels) and all(
                abs(_read_eur(t) - v) <= 1e-9 * max(1.0, abs(v))
                for t, v in zip(labels, values, strict=True))):
            return labels
        big = max(abs(float(v)) for v in values)
        div, unit = (1e6, "M€") if big >= 1e6 else (1e3, "k€") if big >= 1e3 else (1.0, "€")
        scaled = [abs(float(v)) / div for v in values]
        for digits in range(1, 7):  # the fewest decimals that show every tick exactly
            if all(abs(x - round(x, digits)) < 1e-9 * max(1.0, x) for x in scaled):
                break
        unit = _UNITS_DE[unit] if current() == "de" else unit
        return [("−" if v < 0 else "") + f"{localise(f'{x:,.{digits}f}')} {unit}"
                for v, x in zip(values, scaled, strict=True)]


#: the units of EUR ticks in German (kamopt.units writes "Tsd." and "Mio.")
_UNITS_DE = {"M€": "Mio. €", "k€": "Tsd. €", "€": "€"}


def _read_eur(label: str) -> float:
    """The amount a ``_fmt_eur`` label of the current language shows.

    >>> _read_eur("−1.2 M€"), _read_eur("2,500 M€"), _read_eur("850 €")
    (-1200000.0, 2500000000.0, 850.0)
    >>> from kamopt.i18n import language
    >>> with language("de"):
    ...     _read_eur("−1,2 Mio. €"), _read_eur("2.500 Mio. €"), _read_eur("2,5 Tsd. €")
    (-1200000.0, 2500000000.0, 2500.0)
    """
    dec, group = symbols()
    text = label.replace("€", "").strip()
    sign = -1.0 if text.startswith(("−", "-")) else 1.0
    text = text.lstrip("−-").strip()
    scale = 1.0
    for prefix, factor in (("Mio.", 1e6), ("Tsd.", 1e3), ("M", 1e6), ("k", 1e3)):
        if text.endswith(prefix):
            text, scale = text.removesuffix(prefix).strip(), factor
            break
    return sign * float(text.replace(group, "").replace(dec, ".")) * scale


def _eur_axis(axis: Axis) -> None:
    """EUR tick labels (:class:`_EurTicks`) on an x or y axis, no minor labels."""
    axis.set_major_formatter(_EurTicks())
    axis.set_minor_formatter(NullFormatter())


def _fmt_hours(x: float, pos: int | None = None) -> str:
    """Hours with thousands separators; below 10 h with up to three digits.

    >>> _fmt_hours(12_500), _fmt_hours(37.5), _fmt_hours(0.8), _fmt_hours(2)
    ('12,500 h', '38 h', '0.8 h', '2 h')
    >>> from kamopt.i18n import language
    >>> with language("de"):
    ...     _fmt_hours(12_500), _fmt_hours(0.8)
    ('12.500 h', '0,8 h')
    """
    return localise(f"{x:.3g}" if abs(x) < 10 else f"{x:,.0f}") + " h"


def _hours_axis(axis: Axis) -> None:
    """Hour tick labels (``_fmt_hours``) on an x or y axis."""
    axis.set_major_formatter(FuncFormatter(_fmt_hours))


def _titles(ax: Axes, title: str, subtitle: str | None = None) -> None:
    """A bold title and, under it, a smaller grey line that says what is shown."""
    ax.set_title(title, pad=32 if subtitle else 12)  # the centre title: ax.get_title() finds it
    ax.title.set_horizontalalignment("left")
    ax.title.set_x(0.0)
    if subtitle:  # a fixed distance above the axes, in points: a tall chart keeps it under the title
        ax.annotate(subtitle, xy=(0, 1), xycoords="axes fraction", xytext=(0, 5),
                    textcoords="offset points", fontsize=13, color="#555555", va="bottom",
                    ha="left", gid="subtitle")


def _legend_outside(ax: Axes, sections: list[tuple[str, list, list[str]]]) -> Legend:
    """One legend right of the axes, off the data, in sections with bold headings.

    ``sections`` is a list of ``(heading, handles, labels)``; an empty heading
    adds no heading line. One legend (not several) so that constrained layout
    makes room for it.
    """
    handles: list = []
    labels: list[str] = []
    heads: list[int] = []
    for heading, hs, ls in sections:
        if heading:
            if handles:
                handles.append(Line2D([], [], linestyle="none"))
                labels.append(" ")
            heads.append(len(labels))
            handles.append(Line2D([], [], linestyle="none"))
            labels.append(heading)
        handles += list(hs)
        labels += list(ls)
    leg = ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                    borderaxespad=0, handlelength=1.6, handletextpad=0.7, labelspacing=0.7)
    texts = leg.get_texts()
    for i in heads:
        texts[i].set_fontweight("bold")
    return leg


def _dot(color: str, size: float = 12, **kw: object) -> Line2D:
    """A legend handle: one round marker of ``size`` points (scatter ``s`` is its square)."""
    return Line2D([], [], linestyle="none", marker="o", markersize=size, color=color, **kw)


_LEGAL_FORM = r"\s*,?\s+(GmbH & Co\. KGaA|GmbH & Co\. KG|AG & Co\. KG|gGmbH|GmbH|mbH|KGaA|AG|KG|SE|OHG|e\.\s?K\.|e\.\s?V\.|Ltd\.?|Inc\.?|S\.A\.|S\.p\.A\.|B\.V\.)$"


def _short_name(name: object, width: int = 26) -> str:
    """A label for a customer: legal form dropped, cut at ``width`` characters.

    >>> _short_name("Pfälzer Steuerungstechnik GmbH & Co. KG")
    'Pfälzer Steuerungstechnik'
    >>> _short_name("Zimmermann & Kühn Werkzeugmaschinenfabrik AG")
    'Zimmermann & Kühn Werkzeu…'
    """
    text = re.sub(_LEGAL_FORM, "", str(name)).strip() or str(name)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
