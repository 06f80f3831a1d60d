"""Charts for notebooks, the app and reports (matplotlib, no pyplot state).

Every chart is one function that takes the frames of the package, draws on a
given ``ax`` or on a new figure, and returns the :class:`~matplotlib.figure.Figure`.
New figures are made with :class:`matplotlib.figure.Figure`, not ``pyplot``:
nothing is left open in a notebook loop, a returned figure is shown once by
Jupyter, and tests need no display.

Adding a chart
--------------
Charts share a small style, so that every figure reads the same when
projected::

    def manager_utilisation(load, ax=None):
        with _style():
            fig, ax = _figure(ax)
            ...                                    # draw with PALETTE colours
            _eur_axis(ax.yaxis)                    # "250 k€", "1.2 M€"
            _titles(ax, "Manager utilisation", "hours a year")
        return fig

* :func:`_style` - rc settings (14 pt text, light grid, no top/right spines);
  wrap the whole body, text picks up its size when it is created.
* :func:`_figure` - a new constrained-layout figure or the figure of ``ax``.
* :func:`_fmt_eur` / :func:`_eur_axis` - EUR tick labels with k€ / M€;
  :func:`_fmt_hours` / :func:`_hours_axis` - hours with thousands separators.
* :data:`PALETTE` - the Okabe-Ito colour-blind-safe colours by name.
* :func:`_legend_outside` - a legend right of the axes, off the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.ticker import (
    FixedLocator,
    Formatter,
    FuncFormatter,
    MaxNLocator,
    NullFormatter,
    PercentFormatter,
)

from kamopt.analysis.portfolio import DEVELOP, KEY_ACCOUNT_CANDIDATE, MAINTAIN, QUADRANTS, STANDARD
from kamopt.units import amount, hours

__all__ = [
    "PALETTE",
    "QUADRANT_COLORS",
    "bridge_chart",
    "comparison_chart",
    "concentration_chart",
    "department_load",
    "manager_utilisation",
    "portfolio_matrix",
]

# -- shared style ---------------------------------------------------------------

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

QUADRANT_COLORS = {
    KEY_ACCOUNT_CANDIDATE: PALETTE["vermillion"],
    DEVELOP: PALETTE["blue"],
    MAINTAIN: PALETTE["green"],
    STANDARD: PALETTE["grey"],
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
    """
    return amount(x, "€", sep="")


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
        return [("−" if v < 0 else "") + f"{x:,.{digits}f} {unit}"
                for v, x in zip(values, scaled, strict=True)]


def _read_eur(label: str) -> float:
    """The amount a ``_fmt_eur`` label shows: ``_read_eur("−1.2 M€") == -1.2e6``."""
    text = label.replace("€", "").replace(",", "").strip()
    sign = -1.0 if text.startswith(("−", "-")) else 1.0
    text = text.lstrip("−-").strip()
    scale = {"M": 1e6, "k": 1e3}.get(text[-1:], 1.0)
    return sign * float(text.rstrip("Mk").strip()) * scale


def _eur_axis(axis: Axis) -> None:
    """EUR tick labels (:class:`_EurTicks`) on an x or y axis, no minor labels."""
    axis.set_major_formatter(_EurTicks())
    axis.set_minor_formatter(NullFormatter())


def _fmt_hours(x: float, pos: int | None = None) -> str:
    """Hours with thousands separators; below 10 h with up to three digits.

    >>> _fmt_hours(12_500), _fmt_hours(37.5), _fmt_hours(0.8), _fmt_hours(2)
    ('12,500 h', '38 h', '0.8 h', '2 h')
    """
    return f"{x:.3g} h" if abs(x) < 10 else f"{x:,.0f} h"


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


# -- portfolio ------------------------------------------------------------------

_CORNERS = {  # quadrant: (x, y, ha, va) in axes fraction
    KEY_ACCOUNT_CANDIDATE: (0.99, 0.99, "right", "top"),
    DEVELOP: (0.01, 0.99, "left", "top"),
    MAINTAIN: (0.99, 0.01, "right", "bottom"),
    STANDARD: (0.01, 0.01, "left", "bottom"),
}

_MAX_BUBBLE = 900.0  # points^2: area of the largest bubble
_MIN_BUBBLE = 20.0


def portfolio_matrix(
    pf: pd.DataFrame,
    key_accounts: Iterable[object] | None = None,
    ax: Axes | None = None,
    label_top: int = 8,
    *,
    size: str = "kam_hours",
    scale: str = "auto",
    title: str = "Customer portfolio",
) -> Figure:
    """Bubble chart of the customer portfolio: importance against potential.

    x is economic importance (current contribution, EUR a year), y economic
    potential (contribution cross-selling could add, EUR a year); bubble area
    is proportional to ``size`` (KAM hours a year by default), colour is the
    quadrant. Dashed lines are the thresholds of ``pf.attrs["thresholds"]``.

    Parameters
    ----------
    pf : pandas.DataFrame
        A result of :func:`kamopt.analysis.portfolio.portfolio`.
    key_accounts : iterable of customer ids, optional
        The key accounts of a plan, e.g. ``plan.index[plan["key_account"] == 1]``;
        ringed in black and counted in the legend. Every id must be in ``pf``.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of on a new figure.
    label_top : int
        Label this many customers by name, the largest by
        ``importance + potential_value``. Labels go outward, on the free
        side of the cloud, with leader lines that do not run across other
        bubbles; the x axis is widened to the right to make room for them.
    size : str
        Column for the bubble area, ``"kam_hours"`` or ``"revenue"``.
    scale : {"auto", "log", "linear"}
        ``"log"``: log axes; where values (or the threshold) fall below a
        round floor, e.g. customers with no potential, a symmetric log scale,
        linear from 0 to the floor, so they are shown at 0. ``"auto"``: log
        on an axis whose data are long-tailed (largest > 20 x median),
        linear otherwise.
    title : str
        The chart title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``pf`` is empty, lacks columns or thresholds, or a key account is
        not in ``pf``.
    """
    _check_columns(pf, ("importance", "potential_value", "quadrant", size), "portfolio_matrix")
    thresholds = pf.attrs.get("thresholds")
    if not thresholds:
        raise ValueError(
            "The 'pf' parameter of portfolio_matrix must carry attrs['thresholds'] as "
            "portfolio() sets them. Got a DataFrame without them instead."
        )
    if scale not in ("auto", "log", "linear"):
        raise ValueError(
            "The 'scale' parameter of portfolio_matrix must be 'auto', 'log' or 'linear'. "
            f"Got {scale!r} instead."
        )
    if pf.empty:
        raise ValueError(
            "The 'pf' parameter of portfolio_matrix must hold at least one customer. "
            "Got none instead."
        )
    kas = _key_accounts(pf, key_accounts)
    x, y = pf["importance"].astype(float), pf["potential_value"].astype(float)
    sizes = _bubble_sizes(pf[size].astype(float))
    t_x, t_y = float(thresholds["importance"]), float(thresholds["potential_value"])

    with _style():
        fig, ax = _figure(ax, (14, 8.5))
        notes = [_scale_axis(ax, axis, values, t, scale)
                 for axis, values, t in ((ax.xaxis, x, t_x), (ax.yaxis, y, t_y))]

        for q in QUADRANTS:
            m = (pf["quadrant"] == q).to_numpy()
            ax.scatter(x[m], y[m], s=sizes[m], color=QUADRANT_COLORS[q], alpha=0.65,
                       edgecolors="white", linewidths=0.7, zorder=2)
        if len(kas):
            ax.scatter(x[kas], y[kas], s=sizes[kas] + 60, facecolors="none",
                       edgecolors=PALETTE["black"], linewidths=2.2, zorder=3)

        line = {"color": "#444444", "linestyle": (0, (5, 4)), "linewidth": 1.4, "zorder": 1}
        ax.axvline(t_x, **line)
        ax.axhline(t_y, **line)
        # above the bubbles, on a light box, so a bubble never hides a threshold's value
        label = {"fontsize": 12, "color": "#444444", "zorder": 4,
                 "bbox": {"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.85,
                          "edgecolor": "none"}}
        ax.annotate(f"threshold {_fmt_eur(t_x)}", (t_x, 0), xycoords=("data", "axes fraction"),
                    xytext=(4, 4), textcoords="offset points", rotation=90, ha="left",
                    va="bottom", **label)
        ax.annotate(f"threshold {_fmt_eur(t_y)}", (1, t_y), xycoords=("axes fraction", "data"),
                    xytext=(-4, 4), textcoords="offset points", ha="right", va="bottom", **label)
        for q, (cx, cy, ha, va) in _CORNERS.items():
            ax.text(cx, cy, q.upper(), transform=ax.transAxes, ha=ha, va=va, fontsize=13,
                    fontweight="bold", color=QUADRANT_COLORS[q], zorder=4,
                    bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "alpha": 0.85,
                          "edgecolor": "none"})

        ax.set_xlabel("Economic importance: current contribution (revenue × margin), "
                      f"EUR a year{notes[0]}")
        ax.set_ylabel(f"Economic potential: cross-selling contribution,\nEUR a year{notes[1]}")
        r_x = thresholds.get("importance_rule", "given")
        r_y = thresholds.get("potential_rule", "given")
        rule = r_x if r_x == r_y else f"importance {r_x}, potential {r_y}"
        unit = "KAM hours a year" if "hours" in size else f"{size.replace('_', ' ')}, EUR a year"
        _titles(ax, title, f"{len(pf):,} customers · bubble area = {unit} · "
                f"thresholds: {rule}")

        counts = pf["quadrant"].value_counts()
        sections = [("Quadrant (customers)",
                     [_dot(QUADRANT_COLORS[q], alpha=0.65) for q in QUADRANTS],
                     [f"{q} ({int(counts.get(q, 0)):,})" for q in QUADRANTS])]
        if len(kas):
            sections.append(("Plan", [_dot("none", 14, markeredgecolor=PALETTE["black"],
                                           markeredgewidth=2.2)],
                             [f"key account ({len(kas):,})"]))
        sections.append(_size_section(pf[size].astype(float), unit))
        _legend_outside(ax, sections)
        _label_largest(fig, ax, pf, x, y, sizes, label_top)
    return fig


def _check_columns(pf: pd.DataFrame, cols: Iterable[str], func: str) -> None:
    missing = [c for c in cols if c not in pf]
    if missing:
        raise ValueError(
            f"The 'pf' parameter of {func} must be a result of portfolio(). "
            f"Got a DataFrame without {', '.join(map(repr, missing))} instead."
        )


def _key_accounts(pf: pd.DataFrame, key_accounts: Iterable[object] | None) -> pd.Index:
    if key_accounts is None:
        return pf.index[:0]
    ids = [key_accounts] if isinstance(key_accounts, str) else list(key_accounts)
    kas = pd.Index(ids).unique()
    unknown = kas.difference(pf.index)
    if len(unknown):
        shown = ", ".join(repr(i) for i in list(unknown)[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ValueError(
            "The 'key_accounts' parameter of portfolio_matrix must hold customer ids of 'pf'. "
            f"Got unknown ids {shown}{more} instead."
        )
    return pf.index[pf.index.isin(kas)]


def _bubble_sizes(values: pd.Series) -> pd.Series:
    top = values.max()
    if not np.isfinite(top) or top <= 0:
        return pd.Series(80.0, index=values.index)
    return (values.clip(lower=0) / top * _MAX_BUBBLE).clip(lower=_MIN_BUBBLE)


def _long_tailed(values: pd.Series) -> bool:
    pos = values[values > 0]
    return len(pos) > 0 and pos.max() > 20 * max(pos.median(), 1e-12)


def _scale_axis(ax: Axes, axis: Axis, values: pd.Series, threshold: float, scale: str) -> str:
    """Set a log, symmetric-log or linear scale with room for bubbles; return a label note.

    Log when long-tailed. The floor is the power of ten under the smallest
    positive value (under the 2nd percentile if the smallest is a stray value
    100 x below it). Values below the floor, such as 0, make it a symmetric
    log scale: linear from 0 to the floor, logarithmic above, so a customer
    with 0 is drawn at 0.
    """
    set_scale, set_lim = (ax.set_xscale, ax.set_xlim) if axis is ax.xaxis else (
        ax.set_yscale, ax.set_ylim)
    top = max(float(values.max()), threshold, 1.0)
    pos = values[values > 0]
    if scale == "linear" or len(pos) == 0 or (scale == "auto" and not _long_tailed(values)):
        set_lim(-0.04 * top, top * 1.12)
        _eur_axis(axis)
        return ""
    low = float(pos.min())
    if low < float(pos.quantile(0.02)) / 100:  # a stray tiny value: do not let it set the floor
        low = float(pos.quantile(0.02))
    floor = 10.0 ** np.floor(np.log10(low))
    if (values < floor).any() or threshold < floor:
        set_scale("symlog", linthresh=floor, linscale=0.5)
        set_lim(-0.8 * floor, top * 2.0)
        decades = floor * 10.0 ** np.arange(0, np.ceil(np.log10(top * 2.0 / floor)) + 1)
        axis.set_major_locator(FixedLocator([0.0, *decades]))
        minors = (decades[:, None] * np.arange(2, 10)).ravel()
        axis.set_minor_locator(FixedLocator(minors))
        note = f", log scale above {_fmt_eur(floor)}"
    else:
        set_scale("log")
        set_lim(float(pos.min()) / 1.6, top * 2.0)
        note = ", log scale"
    _eur_axis(axis)
    return note


def _size_section(values: pd.Series, unit: str) -> tuple[str, list, list[str]]:
    """Legend section with three reference bubbles (round values up to the largest)."""
    top = float(values.max())
    if not np.isfinite(top) or top <= 0:
        return ("", [], [])
    refs = sorted({_round1(top * f) for f in (0.1, 0.4, 1.0)} - {0.0})
    fmt = _fmt_hours if "hours" in unit else _fmt_eur
    handles = [_dot("#BBBBBB", np.sqrt(max(r / top * _MAX_BUBBLE, _MIN_BUBBLE)),
                    markeredgecolor="#666666") for r in refs]
    return ("Bubble area: " + unit, handles, [fmt(r) for r in refs])


def _round1(v: float) -> float:
    """Round to one significant digit: 1234 -> 1000, 0.047 -> 0.05."""
    if v <= 0:
        return 0.0
    mag = 10.0 ** np.floor(np.log10(v))
    return float(np.round(v / mag) * mag)


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


def _label_largest(fig: Figure, ax: Axes, pf: pd.DataFrame, x: pd.Series, y: pd.Series,
                   sizes: pd.Series, n: int) -> None:
    """Name the ``n`` largest customers (importance + potential), labels pushed outward.

    The x axis is first widened so there is room right of the cloud
    (:func:`_room_right`): the largest customers sit on its right edge. Each
    label then tries 24 directions around its bubble at distances from next
    to it to a few hundred pixels away, its leader line drawn from the
    label's nearest corner or side to the bubble. In order of weight, a
    place should: stay inside the axes; cover no other label; cross no other
    leader nor label; point outward, away from the middle of the cloud (the
    median bubble), not back across it; keep its leader off other bubbles
    (a leader that runs through or between bubbles crosses the cluster);
    cover little of the bubbles; and be near its bubble.
    """
    if n <= 0 or pf.empty:
        return
    top = (x + y).nlargest(n).index
    names = pf["name"] if "name" in pf else pd.Series(pf.index.astype(str), index=pf.index)
    texts = {cid: _short_name(names[cid] or cid) for cid in top}
    fs = 12
    pt = fig.dpi / 72.0
    radii = np.sqrt(sizes.to_numpy() / np.pi) * pt
    fig.draw_without_rendering()  # settle the layout so data -> pixel is final
    # the largest customers sit at the right edge of the cloud: room for a label right of it
    _room_right(ax, x, radii, max(0.6 * fs * pt * len(t) for t in texts.values()) + 40 * pt)
    fig.draw_without_rendering()
    centres = ax.transData.transform(np.column_stack([x, y]))
    bubbles = np.column_stack([centres - radii[:, None], centres + radii[:, None]])
    middle = np.median(centres, axis=0)
    where = pd.Series(np.arange(len(pf)), index=pf.index)
    frame = ax.get_window_extent()
    placed = [np.array(t.get_window_extent().extents) for t in ax.texts]  # corners, thresholds
    leaders: list[np.ndarray] = []
    angles = np.deg2rad(np.arange(0, 360, 15.0))
    gaps = np.array([0.0, 12, 30, 55, 90, 135, 190, 250, 320, 400]) * pt  # beyond the rim
    for cid in top:
        i = where[cid]
        c = centres[i]
        text = texts[cid]
        w, h = 0.6 * fs * pt * len(text) + 4 * pt, 1.35 * fs * pt
        out = c - middle
        out = out / np.hypot(*out) if np.hypot(*out) > 1e-9 else np.array([1.0, 0.0])
        others = np.ones(len(centres), bool)
        others[i] = False
        best: tuple[float, np.ndarray, tuple[float, float]] | None = None
        for a in angles:
            u = np.array([np.cos(a), np.sin(a)])
            inward = u @ out < -0.25  # back across the cluster: only when nothing else fits
            # the side of the box that faces the bubble: its left, right or middle; bottom, top
            rx = 0.0 if u[0] > 0.38 else (1.0 if u[0] < -0.38 else 0.5)
            ry = 0.0 if u[1] > 0.38 else (1.0 if u[1] < -0.38 else 0.5)
            for gap in gaps:
                anchor = c + u * (radii[i] + 3 * pt + gap)
                box = np.array([anchor[0] - rx * w, anchor[1] - ry * h,
                                anchor[0] - rx * w + w, anchor[1] - ry * h + h])
                # outside the axes or over another label only when there is no other place
                outside = not (box[0] >= frame.x0 and box[2] <= frame.x1
                               and box[1] >= frame.y0 and box[3] <= frame.y1)
                covered = sum(_overlaps(box, p[None, :])[0] for p in placed)
                leader = np.array([*anchor, *(c + u * radii[i])])
                through = _through(leader, centres[others], radii[others], 2 * pt)
                crossings = (sum(_crosses(leader, other) for other in leaders)
                             + sum(_cuts(leader, p) for p in placed)
                             + sum(_cuts(other, box) for other in leaders))
                cover = _overlaps(box, bubbles)
                cover[i] = 0.0
                score = (1e12 * outside + 1e9 * (covered > 0) + 1e3 * covered
                         + 1e6 * crossings + 5e5 * inward
                         + 2.0 * w * h * through + 3.0 * cover.sum()  # pixels^2
                         + 0.3 * w * h * (1.0 - float(u @ out)) + 0.5 * gap * h)
                if best is None or score < best[0] - 1e-6:
                    best = (score, box, (rx, ry))
        assert best is not None
        _, box, (rx, ry) = best
        placed.append(box)
        anchor = np.array([box[0] + rx * (box[2] - box[0]), box[1] + ry * (box[3] - box[1])])
        leaders.append(np.array([*anchor, *c]))
        ax.annotate(text, (x[cid], y[cid]), xytext=((box[0] + 2 * pt - c[0]) / pt,
                                                    ((box[1] + box[3]) / 2 - c[1]) / pt),
                    textcoords="offset points", ha="left", va="center", fontsize=fs, zorder=5,
                    bbox={"boxstyle": "round,pad=0.12", "facecolor": "white", "alpha": 0.75,
                          "edgecolor": "none"},
                    arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.9,
                                "relpos": (rx, ry), "shrinkA": 0, "shrinkB": radii[i] / pt})


def _room_right(ax: Axes, x: pd.Series, radii: np.ndarray, room: float) -> None:
    """Widen the x axis so that ``room`` pixels (at most 40% of the axes) are free right
    of the rightmost bubble.

    Works in the axis's scaled coordinates (linear in pixels for a linear,
    log or symmetric-log axis), so the rest of the chart keeps its scale.
    """
    frame = ax.get_window_extent()
    room = min(room, 0.4 * frame.width)
    pixels = ax.transData.transform(np.column_stack([x, np.zeros(len(x))]))[:, 0] + radii
    if frame.x1 - pixels.max() >= room:
        return
    scale = ax.xaxis.get_transform()
    lo, hi = ax.get_xlim()
    s_lo, s_hi = scale.transform(np.array([lo, hi]))
    edge = s_lo + (pixels.max() - frame.x0) / frame.width * (s_hi - s_lo)  # rim, scaled
    width = frame.width
    s_new = (edge * width - room * s_lo) / (width - room)
    ax.set_xlim(lo, float(scale.inverted().transform(np.array([s_new]))[0]))


def _cuts(seg: np.ndarray, box: np.ndarray) -> bool:
    """Whether the segment (x0, y0, x1, y1) runs through the box (x0, y0, x1, y1)."""
    p, d = seg[:2], seg[2:] - seg[:2]
    lo, hi = 0.0, 1.0
    for k in (0, 1):  # clip the segment to the box's slab on each axis (Liang-Barsky)
        if abs(d[k]) < 1e-12:
            if not box[k] < p[k] < box[k + 2]:
                return False
            continue
        t0, t1 = sorted(((box[k] - p[k]) / d[k], (box[k + 2] - p[k]) / d[k]))
        lo, hi = max(lo, t0), min(hi, t1)
    return hi - lo > 1e-6


def _through(seg: np.ndarray, centres: np.ndarray, radii: np.ndarray, margin: float = 2.0) -> int:
    """How many circles (``centres``, ``radii``) the segment (x0, y0, x1, y1) runs through.

    A circle counts when the segment comes within ``margin`` pixels of its
    rim: a leader that threads between bubbles runs across the cluster too.
    """
    p, q = seg[:2], seg[2:]
    d = q - p
    t = np.clip(((centres - p) @ d) / max(float(d @ d), 1e-12), 0.0, 1.0)
    nearest = p + t[:, None] * d
    return int((np.hypot(*(nearest - centres).T) < radii + margin).sum())


def _crosses(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether segments a and b, each (x0, y0, x1, y1), cross."""

    def side(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    p1, p2, p3, p4 = (a[0], a[1]), (a[2], a[3]), (b[0], b[1]), (b[2], b[3])
    return (side(p3, p4, p1) * side(p3, p4, p2) < 0) and (side(p1, p2, p3) * side(p1, p2, p4) < 0)


def _overlaps(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Overlapping area of ``box`` (x0, y0, x1, y1) with each row of ``boxes``."""
    w = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    h = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


# -- concentration --------------------------------------------------------------


def concentration_chart(curve: pd.DataFrame, ax: Axes | None = None, *, line: float = 0.8,
                        title: str = "Revenue concentration") -> Figure:
    """Concentration curve: share of revenue made by the largest customers.

    The diagonal is a portfolio where every customer has the same revenue;
    the further the curve bows above it, the more revenue depends on a few
    customers. The share of customers that makes ``line`` (80 %) of revenue
    is marked: the largest customers down to the one that crosses the line,
    the A class of :func:`kamopt.analysis.portfolio.abc_classes`.

    Parameters
    ----------
    curve : pandas.DataFrame
        A result of :func:`kamopt.analysis.portfolio.concentration_curve`.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of on a new figure.
    line : float
        The revenue share to mark, in (0, 1].
    title : str
        The chart title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    cols = ("share_of_customers", "share_of_revenue")
    missing = [c for c in cols if c not in curve]
    if missing or len(curve) < 2:
        raise ValueError(
            "The 'curve' parameter of concentration_chart must be a result of "
            "concentration_curve(). Got a DataFrame with columns "
            f"{list(curve.columns)} and {len(curve)} rows instead."
        )
    if not 0 < line <= 1:
        raise ValueError(
            f"The 'line' parameter of concentration_chart must be in (0, 1]. Got {line!r} instead."
        )
    xs = curve["share_of_customers"].to_numpy(float)
    ys = curve["share_of_revenue"].to_numpy(float)
    n = len(curve) - 1
    k = int(np.argmax(ys >= line - 1e-9))  # customers needed to reach the line
    x_line = xs[k]
    g = float(2 * np.trapezoid(ys, xs) - 1)

    with _style():
        fig, ax = _figure(ax, (8.5, 8))
        ax.plot([0, 1], [0, 1], color=PALETTE["grey"], linestyle=(0, (5, 4)), linewidth=1.6,
                label="every customer the same revenue")
        ax.fill_between(xs, xs, ys, color=PALETTE["blue"], alpha=0.12, linewidth=0)
        ax.plot(xs, ys, color=PALETTE["blue"], linewidth=2.8,
                label="our customers, largest first")
        ax.plot([x_line, x_line, 0], [0, line, line], color=PALETTE["vermillion"],
                linestyle=":", linewidth=2)
        ax.scatter([x_line], [line], s=70, color=PALETTE["vermillion"], zorder=3)
        ax.annotate(
            f"{k:,} of {n:,} customers ({x_line:.0%})\nmake {line:.0%} of revenue",
            (x_line, line), xytext=(18 if x_line <= 0.5 else -18, -18),
            textcoords="offset points", ha="left" if x_line <= 0.5 else "right", va="top",
            fontsize=14, color=PALETTE["vermillion"], fontweight="bold",
        )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_aspect("equal")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("Share of customers, largest revenue first")
        ax.set_ylabel("Share of total revenue")
        _titles(ax, title, f"{n:,} customers · Gini coefficient {g:.2f}")
        ax.legend(loc="lower right")
    return fig


# -- plan: capacity -------------------------------------------------------------


def _check_frame(df: pd.DataFrame, cols: Iterable[str], func: str, param: str, source: str) -> None:
    missing = [c for c in cols if c not in df]
    if missing or len(df) == 0:
        got = f"a DataFrame without {', '.join(map(repr, missing))}" if missing else "no rows"
        raise ValueError(f"The '{param}' parameter of {func} must be {source}. Got {got} instead.")


def _bar_label(ax: Axes, x: float, y: float, text: str, inside: bool, **kw: object):
    return ax.annotate(text, (x, y), xytext=(-6 if inside else 6, 0), textcoords="offset points",
                       ha="right" if inside else "left", va="center", fontsize=12,
                       color="white" if inside else "#333333",
                       fontweight="bold" if inside else "normal", **kw)


def _fit_labels(ax: Axes, labels: list, pad: float = 8.0) -> None:
    """Set the right x limit so the bars and their labels (right of the bars) just fit.

    Each label stands ``offset`` pixels right of its bar's end; the limit is
    the smallest that keeps every label ``pad`` points inside the axes, found
    in pixels after a layout (twice: the limit changes the tick labels, and
    they the layout). The labels are left out of the layout (constrained
    layout would otherwise shrink the axes for a label that overflows before
    the fit). The axis must be linear; the left limit is kept.
    """
    fig = ax.get_figure(root=True)
    for label in labels:  # they end inside the axes: the layout need not make room for them
        label.set_in_layout(False)
    for _ in range(2):
        fig.draw_without_rendering()
        frame = ax.get_window_extent()
        lo, hi = ax.get_xlim()
        room = frame.width - pad * fig.dpi / 72.0
        need = hi
        for label in labels:
            x = float(label.xy[0])
            width = label.get_window_extent().x1 - ax.transData.transform((x, 0))[0]
            if room - width > 0.1 * frame.width:  # a label too wide for the axes stays as is
                need = max(need, lo + (x - lo) * frame.width / (room - width))
        ax.set_xlim(lo, need)


def manager_utilisation(managers: pd.DataFrame, ax: Axes | None = None, *, top: int = 40,
                        title: str = "Manager utilisation") -> Figure:
    """Hours each manager spends on key accounts against the capacity, one bar each.

    Bars are hours used a year (executives in orange and marked "exec."), the
    black tick at each bar is the manager's capacity, a vermillion tick the
    manager's minimum workload (``min_hours``, where the case sets one), the
    label the share of capacity used. Managers are in the table's order, top
    to bottom.

    Parameters
    ----------
    managers : pandas.DataFrame
        ``plan.managers`` (``name``, ``role``, ``capacity``, ``hours_used``).
    ax : matplotlib.axes.Axes, optional
        Draw here instead of on a new figure.
    top : int
        With more managers than this, only the ``top`` with most hours are shown
        (the subtitle says so).
    title : str
        The chart title.
    """
    _check_frame(managers, ("capacity", "hours_used"), "manager_utilisation", "managers",
                 "plan.managers")
    m = managers
    total_used, total_cap = float(m["hours_used"].sum()), float(m["capacity"].sum())
    shown = m if len(m) <= top else m.loc[m["hours_used"].nlargest(top).index].sort_index()
    exe = (shown["role"] == "executive").to_numpy() if "role" in shown else np.zeros(len(shown), bool)
    names = shown["name"].astype(str) if "name" in shown else pd.Series("", index=shown.index)
    labels = [f"{_short_name(str(j), 16)}  {_short_name(n, 24)}" + ("  (exec.)" if e else "")
              for j, n, e in zip(shown.index, names, exe, strict=True)]
    y = np.arange(len(shown))
    used = shown["hours_used"].to_numpy(float)
    cap = shown["capacity"].to_numpy(float)
    with _style():
        fig, ax = _figure(ax, (12, max(4.5, 0.48 * len(shown) + 2.2)))
        colors = np.where(exe, PALETTE["orange"], PALETTE["blue"])
        ax.barh(y, used, height=0.62, color=colors, zorder=2)
        ax.scatter(cap, y, marker="|", s=700, linewidths=3, color=PALETTE["black"], zorder=3)
        least = (shown["min_hours"].to_numpy(float) if "min_hours" in shown
                 else np.zeros(len(shown)))
        if (least > 0).any():
            ax.scatter(least[least > 0], y[least > 0], marker="|", s=700, linewidths=3,
                       color=PALETTE["vermillion"], zorder=3)
        xmax = float(max(cap.max(initial=0), used.max(initial=0))) or 1.0
        for yi, u, c in zip(y, used, cap, strict=True):
            share = u / c if c > 0 else 0.0
            _bar_label(ax, max(u, c), yi, f"{share:.0%}", inside=False)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, xmax * 1.12)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_locator(MaxNLocator(6))
        _hours_axis(ax.xaxis)
        ax.set_xlabel("KAM hours a year")
        more = f" · the {len(shown)} busiest of {len(m)} managers" if len(shown) < len(m) else ""
        _titles(ax, title, f"hours used by the plan vs capacity: {_fmt_hours(total_used)[:-2]} "
                f"of {_fmt_hours(total_cap)} ({total_used / max(total_cap, 1e-9):.0%}){more}")
        handles = [Line2D([], [], color=PALETTE["blue"], linewidth=10),
                   Line2D([], [], color=PALETTE["orange"], linewidth=10),
                   Line2D([], [], color=PALETTE["black"], marker="|", markersize=16,
                          markeredgewidth=3, linestyle="none")]
        names_ = ["key account manager", "executive", "capacity"]
        if (least > 0).any():
            handles.append(Line2D([], [], color=PALETTE["vermillion"], marker="|", markersize=16,
                                  markeredgewidth=3, linestyle="none"))
            names_.append("minimum workload")
        _legend_outside(ax, [("", handles, names_)])
    return fig


def department_load(departments: pd.DataFrame, ax: Axes | None = None, *,
                    title: str = "Department load") -> Figure:
    """Hours each department spends on key-account activities against its capacity.

    A light bar is the capacity, the dark bar inside it the hours the plan
    uses, labelled with the share used.

    Parameters
    ----------
    departments : pandas.DataFrame
        ``plan.departments`` (``capacity``, ``hours_used``), indexed by department.
    ax : matplotlib.axes.Axes, optional
    title : str
    """
    _check_frame(departments, ("capacity", "hours_used"), "department_load", "departments",
                 "plan.departments with at least one department")
    d = departments
    y = np.arange(len(d))
    used = d["hours_used"].to_numpy(float)
    cap = d["capacity"].to_numpy(float)
    with _style():
        fig, ax = _figure(ax, (12, max(3.8, 0.62 * len(d) + 2.4)))
        ax.barh(y, cap, height=0.7, color="#DDDDDD", zorder=2, label="capacity")
        ax.barh(y, used, height=0.42, color=PALETTE["green"], zorder=3, label="used by the plan")
        labels = [_bar_label(ax, max(u, c), yi, f"{hours(u)} of {hours(c)} h "
                             f"({u / c if c > 0 else 0.0:.0%})", inside=False)
                  for yi, u, c in zip(y, used, cap, strict=True)]
        ax.set_yticks(y, [str(i) for i in d.index])
        ax.invert_yaxis()
        ax.set_xlim(0, float(max(cap.max(initial=0), used.max(initial=0)) or 1.0))
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_locator(MaxNLocator(6))
        _hours_axis(ax.xaxis)
        ax.set_xlabel("department hours a year for key-account activities")
        _titles(ax, title, f"hours used by the plan's activities vs capacity: "
                f"{hours(used.sum())} of {hours(cap.sum())} h")
        ax.legend(loc="lower right")
        _fit_labels(ax, labels)  # the axis just wide enough for bars and labels
    return fig


# -- plan: value ----------------------------------------------------------------


def bridge_chart(bridge: pd.DataFrame, ax: Axes | None = None, *,
                 title: str = "From the rule of thumb to the optimised plan") -> Figure:
    """Waterfall of a value bridge: a total, the changes that add up, the total they reach.

    Parameters
    ----------
    bridge : pandas.DataFrame
        A result of :func:`kamopt.analysis.baselines.value_bridge` (``step``, ``amount``,
        ``kind`` "total" or "change"; a total first and last).
    ax : matplotlib.axes.Axes, optional
    title : str
    """
    _check_frame(bridge, ("step", "amount", "kind"), "bridge_chart", "bridge",
                 "a result of value_bridge()")
    kinds = bridge["kind"].tolist()
    if kinds[0] != "total" or kinds[-1] != "total":
        raise ValueError("The 'bridge' parameter of bridge_chart must start and end with a "
                         f"'total' row. Got kinds {kinds} instead.")
    amounts = bridge["amount"].to_numpy(float)
    n = len(bridge)
    x = np.arange(n)
    with _style():
        fig, ax = _figure(ax, (13, 7.5))
        level = 0.0
        tops = []
        for i, (kind, a) in enumerate(zip(kinds, amounts, strict=True)):
            if kind == "total":
                bottom, height, color = 0.0, a, PALETTE["blue"] if i else PALETTE["grey"]
                level = a
            else:
                bottom, height = level, a
                color = PALETTE["green"] if a >= 0 else PALETTE["vermillion"]
                level += a
            ax.bar(x[i], height, bottom=bottom, width=0.62, color=color, zorder=2)
            tops.append(max(bottom, bottom + height))
            text = _fmt_eur1(a) if kind == "total" else ("+" if a >= 0 else "") + _fmt_eur1(a)
            ax.annotate(text, (x[i], max(bottom, bottom + height)), xytext=(0, 5),
                        textcoords="offset points", ha="center", va="bottom", fontsize=13,
                        fontweight="bold" if kind == "total" else "normal")
            if i < n - 1:
                ax.plot([x[i] + 0.31, x[i + 1] - 0.31], [level, level], color="#777777",
                        linewidth=1, linestyle=(0, (2, 2)), zorder=1)
        ax.axhline(0, color="#444444", linewidth=1)
        ax.set_xticks(x, [_wrap(s, 13) for s in bridge["step"].astype(str)])
        ax.tick_params(axis="x", length=0)
        ax.grid(axis="x", visible=False)
        lo = min(0.0, float(np.min(np.cumsum(np.where(np.array(kinds) == "total", 0, amounts))
                                   + amounts[0])))
        hi = max(tops) * 1.12
        ax.set_ylim(lo * 1.1, hi if hi > lo * 1.1 else lo * 1.1 + 1.0)  # all 0: still an axis
        _eur_axis(ax.yaxis)
        ax.set_ylabel("net contribution, EUR a year")
        start, end = amounts[0], amounts[-1]
        gain = end - start
        pct = f" ({gain / abs(start):+.0%})" if abs(start) > 1e-9 else ""
        _titles(ax, title, f"net contribution a year: {_fmt_eur1(start)} → {_fmt_eur1(end)}, "
                f"{'+' if gain >= 0 else ''}{_fmt_eur1(gain)}{pct}")
    return fig


def comparison_chart(table: pd.DataFrame, ax: Axes | None = None, *,
                     title: str = "Optimised plan vs rules of thumb") -> Figure:
    """Net contribution of each plan, one bar each, the optimised plan first and highlighted.

    Parameters
    ----------
    table : pandas.DataFrame
        A result of :func:`kamopt.analysis.baselines.comparison` (index: plan, ``net``,
        ``key_accounts``, ``uplift_pct``).
    ax : matplotlib.axes.Axes, optional
    title : str
    """
    _check_frame(table, ("net", "key_accounts"), "comparison_chart", "table",
                 "a result of comparison()")
    t = table
    y = np.arange(len(t))
    net = t["net"].to_numpy(float)
    with _style():
        fig, ax = _figure(ax, (12, max(3.8, 0.8 * len(t) + 2.2)))
        colors = [PALETTE["blue"] if i == 0 else PALETTE["grey"] for i in range(len(t))]
        ax.barh(y, net, height=0.62, color=colors, zorder=2)
        labels = []
        for i, (yi, v) in enumerate(zip(y, net, strict=True)):
            extra = f" · {int(t['key_accounts'].iloc[i])} key accounts"
            if i and "uplift_pct" in t and np.isfinite(t["uplift_pct"].iloc[i]):
                extra += f" · optimised {t['uplift_pct'].iloc[i]:+.0%}"
            labels.append(_bar_label(ax, max(v, 0), yi, _fmt_eur1(v) + extra, inside=False))
        ax.set_yticks(y, [_wrap(str(s), 22) for s in t.index])
        ax.invert_yaxis()
        ax.set_xlim(min(0.0, net.min()) * 1.1, max(net.max(), 1.0))
        ax.grid(axis="y", visible=False)
        _eur_axis(ax.xaxis)
        ax.set_xlabel("net contribution, EUR a year (value − cost of hours and activities)")
        _titles(ax, title, "every plan evaluated with the same objective and checked "
                "against the same constraints")
        _fit_labels(ax, labels)
    return fig


def _fmt_eur1(x: float) -> str:
    """EUR for a figure's own label: one decimal in M€, whole k€ (more precise than ticks).

    >>> [_fmt_eur1(v) for v in (10_106_857, 5_810_412, -44_398, 254_000, 512)]
    ['10.1 M€', '5.8 M€', '−44 k€', '254 k€', '512 €']
    """
    sign = "−" if x < 0 else ""
    v = abs(float(x))
    if v >= 1e6:
        return f"{sign}{v / 1e6:,.1f} M€"
    if v >= 1e3:
        return f"{sign}{v / 1e3:,.0f} k€"
    return f"{sign}{v:,.0f} €"


def _wrap(text: str, width: int) -> str:
    r"""Break a label into lines of at most ``width`` characters at spaces.

    >>> _wrap("manager assignment", 10)
    'manager\nassignment'
    """
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "\n".join(lines)
