"""Charts of the customer portfolio: the importance/potential matrix and the
revenue concentration curve (notebook 01)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, PercentFormatter

from kamopt.analysis.portfolio import DEVELOP, KEY_ACCOUNT_CANDIDATE, MAINTAIN, QUADRANTS, STANDARD
from kamopt.i18n import N_, current, localise, number, percent, tr
from kamopt.present.style import (
    PALETTE,
    _dot,
    _eur_axis,
    _figure,
    _fmt_eur,
    _fmt_hours,
    _legend_outside,
    _short_name,
    _style,
    _titles,
)

__all__ = ["QUADRANT_COLORS", "concentration_chart", "portfolio_matrix"]

QUADRANT_COLORS = {
    KEY_ACCOUNT_CANDIDATE: PALETTE["vermillion"],
    DEVELOP: PALETTE["blue"],
    MAINTAIN: PALETTE["green"],
    STANDARD: PALETTE["grey"],
}


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
    title: str = N_("Customer portfolio"),
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
        ax.annotate(tr("threshold {value}", value=_fmt_eur(t_x)), (t_x, 0), xycoords=("data", "axes fraction"),
                    xytext=(4, 4), textcoords="offset points", rotation=90, ha="left",
                    va="bottom", **label)
        ax.annotate(tr("threshold {value}", value=_fmt_eur(t_y)), (1, t_y), xycoords=("axes fraction", "data"),
                    xytext=(-4, 4), textcoords="offset points", ha="right", va="bottom", **label)
        for q, (cx, cy, ha, va) in _CORNERS.items():
            ax.text(cx, cy, tr(q).upper(), transform=ax.transAxes, ha=ha, va=va, fontsize=13,
                    fontweight="bold", color=QUADRANT_COLORS[q], zorder=4,
                    bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "alpha": 0.85,
                          "edgecolor": "none"})

        ax.set_xlabel(tr("Economic importance: current contribution (revenue × margin), "
                         "EUR a year{note}", note=notes[0]))
        ax.set_ylabel(tr("Economic potential: cross-selling contribution,\nEUR a year{note}",
                         note=notes[1]))
        r_x = _rule_text(thresholds.get("importance_rule", "given"))
        r_y = _rule_text(thresholds.get("potential_rule", "given"))
        rule = r_x if r_x == r_y else tr("importance {x}, potential {y}", x=r_x, y=r_y)
        unit = (tr("KAM hours a year") if "hours" in size
                else tr("{size}, EUR a year", size=size.replace("_", " ")))
        _titles(ax, tr(title), tr("{n} customers · bubble area = {unit} · thresholds: {rule}",
                                  n=number(len(pf)), unit=unit, rule=rule))

        counts = pf["quadrant"].value_counts()
        sections = [(tr("Quadrant (customers)"),
                     [_dot(QUADRANT_COLORS[q], alpha=0.65) for q in QUADRANTS],
                     [f"{tr(q)} ({number(int(counts.get(q, 0)))})" for q in QUADRANTS])]
        if len(kas):
            sections.append((tr("Plan"), [_dot("none", 14, markeredgecolor=PALETTE["black"],
                                               markeredgewidth=2.2)],
                             [tr("key account ({n})", n=number(len(kas)))]))
        sections.append(_size_section(pf[size].astype(float), unit))
        _legend_outside(ax, sections)
        _label_largest(fig, ax, pf, x, y, sizes, label_top)
    return fig


def _rule_text(rule: object) -> str:
    """A threshold's rule (kamopt.analysis.portfolio: ``80th percentile``, ``given``) in the
    current language.

    >>> from kamopt.i18n import language
    >>> with language("de"):
    ...     _rule_text("80th percentile"), _rule_text("given")
    ('80. Perzentil', 'vorgegeben')
    """
    text = str(rule)
    if current() == "en":
        return text
    m = re.fullmatch(r"(\d+)(?:st|nd|rd|th) percentile", text)
    if m:
        return tr("{n}th percentile", n=m.group(1))
    m = re.fullmatch(r"quantile ([\d.]+)", text)
    if m:
        return tr("quantile {q}", q=localise(m.group(1)))
    return tr("given") if text == "given" else text


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
        note = tr(", log scale above {value}", value=_fmt_eur(floor))
    else:
        set_scale("log")
        set_lim(float(pos.min()) / 1.6, top * 2.0)
        note = tr(", log scale")
    _eur_axis(axis)
    return note


def _size_section(values: pd.Series, unit: str) -> tuple[str, list, list[str]]:
    """Legend section with three reference bubbles (round values up to the largest)."""
    top = float(values.max())
    if not np.isfinite(top) or top <= 0:
        return ("", [], [])
    refs = sorted({_round1(top * f) for f in (0.1, 0.4, 1.0)} - {0.0})
    fmt = _fmt_hours if unit == tr("KAM hours a year") else _fmt_eur
    handles = [_dot("#BBBBBB", np.sqrt(max(r / top * _MAX_BUBBLE, _MIN_BUBBLE)),
                    markeredgecolor="#666666") for r in refs]
    return (tr("Bubble area: {unit}", unit=unit), handles, [fmt(r) for r in refs])


def _round1(v: float) -> float:
    """Round to one significant digit: 1234 -> 1000, 0.047 -> 0.05."""
    if v <= 0:
        return 0.0
    mag = 10.0 ** np.floor(np.log10(v))
    return float(np.round(v / mag) * mag)


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
                        title: str = N_("Revenue concentration")) -> Figure:
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
                label=tr("every customer the same revenue"))
        ax.fill_between(xs, xs, ys, color=PALETTE["blue"], alpha=0.12, linewidth=0)
        ax.plot(xs, ys, color=PALETTE["blue"], linewidth=2.8,
                label=tr("our customers, largest first"))
        ax.plot([x_line, x_line, 0], [0, line, line], color=PALETTE["vermillion"],
                linestyle=":", linewidth=2)
        ax.scatter([x_line], [line], s=70, color=PALETTE["vermillion"], zorder=3)
        ax.annotate(
            tr("{k} of {n} customers ({share})\nmake {line} of revenue", k=number(k),
               n=number(n), share=percent(x_line), line=percent(line)),
            (x_line, line), xytext=(18 if x_line <= 0.5 else -18, -18),
            textcoords="offset points", ha="left" if x_line <= 0.5 else "right", va="top",
            fontsize=14, color=PALETTE["vermillion"], fontweight="bold",
        )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_aspect("equal")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(PercentFormatter(1.0) if current() == "en"
                                     else FuncFormatter(lambda v, pos: percent(v)))
        ax.set_xlabel(tr("Share of customers, largest revenue first"))
        ax.set_ylabel(tr("Share of total revenue"))
        _titles(ax, tr(title), tr("{n} customers · Gini coefficient {g}", n=number(n),
                                  g=number(g, 2)))
        ax.legend(loc="lower right")
    return fig
