"""The judged response chart: an ADBUDG curve beside the judgements it was fitted to
(:mod:`kamopt.analysis.response_fit`; docs/response.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from kamopt.analysis.response_fit import FLAGS, Fit
from kamopt.i18n import localise, percent, tr
from kamopt.present.style import PALETTE, _eur_axis, _figure, _fmt_eur, _style, _titles

#: the most curves one chart shows (small multiples); the rest are named as left out
MAX_PANELS = 12
_METHODS = {"calibrate": "Little's calibration", "least_squares": "least squares"}


def _points(fit: Fit, judgements: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """The judged points of ``fit``: its own, or its key's rows of ``judgements``."""
    if judgements is not None and {"effort", "order_intake"} <= set(judgements.columns):
        rows = judgements
        if {"kind", "key"} <= set(judgements.columns):
            rows = judgements[(judgements["kind"] == fit.kind) & (judgements["key"] == fit.key)]
        if len(rows):
            return rows["effort"].to_numpy(float), rows["order_intake"].to_numpy(float)
    return np.asarray(fit.efforts, float), np.asarray(fit.intakes, float)


def _label(fit: Fit) -> str:
    return fit.key if fit.kind == "customer_id" else tr("industry {name}", name=fit.key)


def _quality(fit: Fit) -> str:
    """``Little's calibration · RMSE 1.2 k€ · R² 0.98`` and the flags, in the current language."""
    parts = [tr(_METHODS.get(fit.method, fit.method)),
             tr("RMSE {rmse}", rmse=_fmt_eur(fit.rmse)),
             tr("R² {r2}", r2=localise(f"{fit.r2:.3f}"))]
    parts += [tr(FLAGS[f]) for f in fit.flags]
    return " · ".join(parts)


def _panel(ax: Axes, fit: Fit, judgements: pd.DataFrame | None,
           levels: Sequence[tuple[str, float]], compact: bool) -> None:
    x, y = _points(fit, judgements)
    finite = np.isfinite(x)
    top = max(2.0, 1.25 * float(x[finite].max()) if finite.any() else 2.0,
              max((f for _, f in levels), default=0.0) * 1.15)
    grid = np.linspace(0.0, top, 301)
    ax.axhline(fit.a, color=PALETTE["grey"], linestyle=":", linewidth=1.5,
               label=tr("saturation a (fitted)"))
    ax.plot(grid, fit(grid), color=PALETTE["blue"], linewidth=2.5, label=tr("fitted curve"))
    ax.plot(x[finite], y[finite], "o", color=PALETTE["black"], markersize=8 if compact else 10,
            label=tr("judged"), zorder=5)
    if (~finite).any():
        ax.plot(np.full((~finite).sum(), top), y[~finite], ">", color=PALETTE["orange"],
                markersize=9 if compact else 12, clip_on=False, zorder=5,
                label=tr("judged at saturation"))
    for k, (name, f) in enumerate(levels):
        r = float(fit(f))
        ax.plot([f], [r], "s", color=PALETTE["green"], markersize=10 if compact else 15,
                markerfacecolor="none", markeredgewidth=2, zorder=6,
                label=tr("the scenario's levels") if k == 0 else None)
        if not compact:
            ax.annotate(name, (f, r), xytext=(12, -20), textcoords="offset points",
                        color=PALETTE["green"], fontsize=12)
    ax.set_xlim(0.0, top)
    lo = min(float(np.min(y)), fit.b)
    hi = max(float(np.max(y)), fit.a)
    pad = 0.08 * (hi - lo if hi > lo else max(hi, 1.0))
    ax.set_ylim(max(0.0, lo - pad), hi + pad)
    ax.xaxis.set_major_locator(MultipleLocator(0.5 if top <= 4 else 1.0))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: percent(v)))
    _eur_axis(ax.yaxis)


def response_chart(fit: Fit | Sequence[Fit], judgements: pd.DataFrame | None = None, *,
                   levels: Sequence[tuple[str, float]] = (), ax: Axes | None = None) -> Figure:
    """The fitted ADBUDG curve beside the judged points (one fit), or small multiples of up to
    :data:`MAX_PANELS` curves (several).

    ``judgements`` is :func:`~kamopt.analysis.response_fit.read_judgements`' table (the
    points of each fit's key are taken from it) or ``None`` (each fit's own points);
    ``levels`` are the scenario's levels as (name, hours factor), marked on the curve.
    The judgement at saturation is drawn at the right edge (▸), the fitted saturation a
    as a dotted line. ``ax`` (one fit only) draws into an existing axes.
    """
    fits = [fit] if isinstance(fit, Fit) else list(fit)
    if not fits:
        raise ValueError("no fit to draw")
    with _style():
        if len(fits) == 1:
            fig, ax = _figure(ax, figsize=(11, 7))
            one = fits[0]
            _panel(ax, one, judgements, levels, compact=False)
            _titles(ax, tr("Judged response of {key}", key=_label(one)), _quality(one))
            ax.set_xlabel(tr("effort (share of today's)"))
            ax.set_ylabel(tr("order intake (EUR a year)"))
            ax.legend(loc="lower right")
            return fig
        shown = fits[:MAX_PANELS]
        cols = min(3, len(shown))
        rows = math.ceil(len(shown) / cols)
        fig = Figure(figsize=(5.2 * cols, 3.9 * rows + 1.2), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        for a_, f in zip(axes.flat, shown, strict=False):
            _panel(a_, f, judgements, levels, compact=True)
            a_.set_title(_label(f), loc="left", fontsize=14, pad=20)
            a_.annotate(_quality(f), xy=(0, 1), xycoords="axes fraction", xytext=(0, 3),
                        textcoords="offset points", fontsize=9.5, color="#555555",
                        va="bottom", ha="left")
            a_.tick_params(labelsize=11)
        for a_ in list(axes.flat)[len(shown):]:
            a_.set_visible(False)
        title = tr("Judged response curves")
        if len(fits) > len(shown):
            title += " · " + tr("{n} of {m} shown", n=len(shown), m=len(fits))
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=17)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside upper right", ncols=len(labels),
                   frameon=False, fontsize=12)
        fig.supxlabel(tr("effort (share of today's)"), fontsize=13)
        fig.supylabel(tr("order intake (EUR a year)"), fontsize=13)
        return fig
