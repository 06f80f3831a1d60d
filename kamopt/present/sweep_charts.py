"""Charts of plans at several values: the capacity frontier (:mod:`kamopt.analysis.frontier`),
a sweep of one assumption and a grid of two (:mod:`kamopt.analysis.sensitivity`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from kamopt.analysis.frontier import worthwhile_hires
from kamopt.analysis.sensitivity import PARAMETERS, Grid, Sweep, value_text
from kamopt.i18n import N_, localise, number, percent, tr
from kamopt.present.style import PALETTE, _eur_axis, _fmt_eur, _style, _titles
from kamopt.units import eur

#: the parameters' names in the charts (kamopt.analysis.sensitivity.PARAMETERS' keys)
PARAMETER_NAMES = {
    "realization": N_("realization"),
    "retention": N_("retention"),
    "industry_fit": N_("industry fit"),
    "capacity_scale": N_("capacity scale"),
    "continuity_bonus": N_("continuity bonus"),
    "budget": N_("budget"),
    "max_key_accounts": N_("max key accounts"),
    "min_key_accounts": N_("min key accounts"),
}
#: what they mean, as kamopt.analysis.sensitivity.PARAMETERS says (for the catalogue; the
#: charts show PARAMETERS' text through tr())
_MEANINGS = (
    N_("share of a key account's potential realised at standard coverage"),
    N_("share of current revenue that key-account status protects"),
    N_("extra realisation when the lead manager knows the industry"),
    N_("share of every manager's hours available for key accounts"),
    N_("EUR a year for keeping an account with today's manager"),
    N_("yearly budget for key-account management, EUR"),
    N_("the most key accounts"),
    N_("the fewest key accounts"),
)


def _name(parameter: str) -> str:
    """A parameter's name in the current language (``industry fit``)."""
    name = PARAMETER_NAMES.get(parameter)
    return tr(name) if name else parameter.replace("_", " ")


def _axis_label(parameter: str) -> str:
    """``realization: share of a key account's potential realised at standard coverage``."""
    meaning = PARAMETERS.get(parameter, ("", ""))[0]
    return f"{_name(parameter)}: {tr(meaning)}" if meaning else _name(parameter)


def _value(parameter: str, v: float) -> str:
    """A parameter's value as :func:`~kamopt.analysis.sensitivity.value_text` writes it, in the
    current language (``22,5 %`` in German).

    >>> from kamopt.i18n import language
    >>> with language("de"):
    ...     _value("realization", 0.225), _value("budget", 2.5e6), _value("max_key_accounts", 4000)
    ('22,5 %', '2,5 Mio. €', '4.000')
    >>> _value("realization", 0.225), _value("realization", 0.3)
    ('22.5%', '30%')
    """
    kind = PARAMETERS.get(parameter, ("", "number"))[1]
    if kind == "share":
        return percent(v, 0 if abs(v * 100 - round(v * 100)) < 1e-9 else 1)
    if kind == "count":
        return number(int(v))
    return localise(value_text(parameter, v)) if kind == "number" else value_text(parameter, v)


# ------------------------------------------------------------------ frontier
def frontier_chart(table: pd.DataFrame, ax=None) -> Figure:
    """Net contribution against added KAMs (top) and each hire's marginal net gain (bottom).

    Bars of hires that pay are green, the others vermillion; the dashed line
    marks :func:`worthwhile_hires`. With ``ax`` given, only the top panel is drawn there.
    """
    k = table["hires"].to_numpy()
    best = worthwhile_hires(table)
    with _style():
        if ax is None:
            fig = Figure(figsize=(12, 8.5), layout="constrained")
            top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
        else:
            fig, top, bottom = ax.get_figure(root=True), ax, None
        top.plot(k, table["objective"], marker="o", color=PALETTE["blue"], lw=2.5, ms=8,
                 label=tr("net contribution of the optimal plan"))
        low = table["objective"].to_numpy(float)
        top.fill_between(k, low, table["bound"].to_numpy(float), color=PALETTE["sky"], alpha=0.3,
                         lw=0, label=tr("solver bound (within the gap)"))
        top.axvline(best, color=PALETTE["grey"], ls="--", lw=1.5)
        top.annotate(tr("{n} hire pays", n=best) if best == 1 else tr("{n} hires pay", n=best),
                     (best, low[best]),
                     xytext=(8, -28), textcoords="offset points", color=PALETTE["black"])
        _eur_axis(top.yaxis)  # with the decimals a narrow range needs
        top.legend(loc="lower right")
        _titles(top, tr("Capacity frontier: what one more KAM is worth"),
                tr("net contribution a year (after all hourly costs) against KAMs added"))
        if bottom is not None:
            m = table["marginal_net"].to_numpy(float)[1:]
            colors = [PALETTE["green"] if v > 0 else PALETTE["vermillion"] for v in m]
            bottom.bar(k[1:], m, color=colors, width=0.6)
            bottom.axhline(0, color=PALETTE["black"], lw=1)
            bottom.margins(y=0.25)
            for x, v in zip(k[1:], m, strict=True):
                if np.isfinite(v):
                    bottom.annotate(_fmt_eur(v), (x, v), xytext=(0, 4 if v >= 0 else -16),
                                    textcoords="offset points", ha="center", fontsize=12)
            bottom.axvline(best + 0.5, color=PALETTE["grey"], ls="--", lw=1.5)
            fixed = float(table["fixed_cost"].max())
            _eur_axis(bottom.yaxis)
            bottom.set_xlabel(tr("key account managers added"))
            bottom.set_title(tr("marginal net gain of each hire")
                             + (tr(" (after {cost} fixed cost a year)", cost=_fmt_eur(fixed))
                                if fixed else ""),
                             loc="left", fontsize=14, fontweight="normal")
            bottom.set_xticks(k)
        else:
            top.set_xlabel(tr("key account managers added"))
            top.set_xticks(k)
    return fig


# ------------------------------------------------------------------ grid
def _cell_eur(x: float) -> str:
    """EUR in a grid cell, fine enough that neighbouring cells read apart: two decimals in M€.

    >>> [_cell_eur(v) for v in (10_023_149, 10_287_612, 254_400, -44_398)]
    ['10.02 M€', '10.29 M€', '254 k€', '−44 k€']
    """
    return eur(x, "€", digits=2, sep="")


def grid_chart(g: Grid) -> Figure:
    """The grid as a heat map: net contribution a year in each cell, with its key accounts."""
    from matplotlib import colormaps

    a, b = g.parameters
    obj = g.pivot("objective")
    ka = g.pivot("key_accounts")
    with _style():
        fig = Figure(figsize=(2.2 * obj.shape[1] + 4.5, 1.1 * obj.shape[0] + 2.8),
                     layout="constrained")
        ax = fig.subplots()
        vals = obj.to_numpy(float)
        cmap = colormaps["Blues"].with_extremes(bad=_NOT_KA)
        finite = vals[np.isfinite(vals)]
        lo, hi = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
        span = hi - lo if hi > lo else max(abs(hi), 1.0)
        # every cell equal: a light colour (with dark text), not the darkest
        vmin, vmax = lo - 0.35 * span, (hi if hi > lo else lo + span)
        ax.pcolormesh(np.arange(obj.shape[1] + 1) - 0.5, np.arange(obj.shape[0] + 1) - 0.5,
                      np.ma.masked_invalid(vals), cmap=cmap, vmin=vmin, vmax=vmax,
                      edgecolors="white", linewidth=3)
        for i in range(obj.shape[0]):
            for j in range(obj.shape[1]):
                v = vals[i, j]
                if not np.isfinite(v):
                    ax.text(j, i, tr("no plan"), ha="center", va="center", fontsize=13,
                            color=PALETTE["vermillion"])
                    continue
                dark = (v - vmin) / (vmax - vmin) > 0.6
                ax.text(j, i, f"{_cell_eur(v)}\n" + tr("{n} key accounts", n=int(ka.iat[i, j])),
                        ha="center",
                        va="center", fontsize=12, color="white" if dark else "#222222")
        ax.set_xticks(np.arange(obj.shape[1]), [_value(b, v) for v in obj.columns])
        ax.set_yticks(np.arange(obj.shape[0]), [_value(a, v) for v in obj.index])
        ax.invert_yaxis()
        ax.grid(False)
        ax.set_xlabel(_axis_label(b))
        ax.set_ylabel(_name(a))
        _titles(ax, tr("How the plan depends on {a} and {b}", a=_name(a), b=_name(b)),
                tr("net contribution a year; {n} key accounts are in every plan", n=len(g.core)))
    return fig


# ------------------------------------------------------------------ chart
#: colours of the coverage levels in the selection map, lightest coverage palest
_LEVEL_COLORS = [PALETTE["sky"], PALETTE["blue"], "#003f66"]
_NOT_KA = "#F2F2F2"


def _short(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _level_colors(n: int) -> list:
    """``n`` colours from pale to dark: the palette's three, or a sequential map's for more."""
    if n <= len(_LEVEL_COLORS):
        return _LEVEL_COLORS[:n] if n != 2 else _LEVEL_COLORS[1:]
    from matplotlib import colormaps

    return [colormaps["Blues"](x) for x in np.linspace(0.35, 1.0, n)]


def sweep_chart(sw: Sweep, top: int = 30) -> Figure:
    """Net contribution by value (top) and which customers' status depends on it (bottom).

    The bottom panel shows the swing customers (at most ``top``, most often
    in first): a filled cell where the customer is a key account at that
    value, coloured by its coverage level.
    """
    p = sw.parameter
    t = sw.table
    x = np.arange(len(t))
    labels = [_value(p, v) for v in t["value"]]
    swing = sw.swing.head(top)
    levels = []  # the levels the swing customers have somewhere
    for v in sw.planned:
        for lv in sw.selection.loc[swing.index, v]:
            if lv and lv not in levels:
                levels.append(lv)
    every = [lv.name for lv in sw.scenario.levels]  # colours by the scenario's order of levels
    every += [lv for lv in levels if lv not in every]  # (levels of responses.csv)
    palette = dict(zip(every, _level_colors(len(every)), strict=True))
    order = [lv for lv in every if lv in levels]
    with _style():
        rows = max(len(swing), 1)
        fig = Figure(figsize=(12, 5.5 + 0.32 * rows), layout="constrained")
        ax, bx = fig.subplots(2, 1, height_ratios=[5, 0.9 + 0.32 * rows])
        ok = t["status"] != "infeasible"
        ax.plot(x[ok], t.loc[ok, "objective"], marker="o", color=PALETTE["blue"], lw=2.5, ms=8,
                label=tr("net contribution of the plan"))
        ax.fill_between(x[ok], t.loc[ok, "objective"].astype(float),
                        t.loc[ok, "bound"].astype(float), color=PALETTE["sky"], alpha=0.3, lw=0,
                        label=tr("solver bound (within the gap)"))
        for xi, r in zip(x, t.itertuples(), strict=True):
            if r.status == "infeasible":
                ax.annotate(tr("no plan"), (xi, 0.5), xycoords=("data", "axes fraction"),
                            ha="center", color=PALETTE["vermillion"])
            else:
                ax.annotate(tr("{n} key accounts", n=int(r.key_accounts)), (xi, r.objective),
                            xytext=(0, 10), textcoords="offset points", ha="center", fontsize=12)
        ax.margins(y=0.2)
        _eur_axis(ax.yaxis)
        ax.set_xticks(x, labels)
        ax.set_xlim(-0.5, len(t) - 0.5)
        ax.legend(loc="lower right")
        _titles(ax, tr("How the plan depends on {p}", p=_name(p)),
                tr("net contribution a year at each value; {n} key accounts are in every plan",
                   n=len(sw.core)))
        if len(swing):
            grid = np.full((len(swing), len(t)), np.nan)
            for i, cid in enumerate(swing.index):
                for j, v in enumerate(t["value"]):
                    lv = sw.selection.at[cid, v] if v in sw.selection.columns else ""
                    if lv:
                        grid[i, j] = order.index(lv)
            from matplotlib.colors import ListedColormap

            colors = [palette[lv] for lv in order]
            cmap = ListedColormap(colors).with_extremes(bad=_NOT_KA)
            bx.pcolormesh(np.arange(len(t) + 1) - 0.5, np.arange(len(swing) + 1) - 0.5,
                          np.ma.masked_invalid(grid), cmap=cmap, vmin=-0.5,
                          vmax=len(order) - 0.5, edgecolors="white", linewidth=2)
            bx.set_yticks(np.arange(len(swing)),
                          [_short(sw.name(cid)) for cid in swing.index])
            bx.invert_yaxis()
            bx.set_xticks(x, labels)
            bx.grid(False)
            more = len(sw.swing) - len(swing)
            bx.set_title(tr("customers that are key accounts at some values only")
                         + (tr(" (the {n} most often in; {more} more)", n=len(swing), more=more)
                            if more else ""),
                         loc="left", fontsize=14, fontweight="normal")
            handles = [Patch(color=c, label=lv) for c, lv in zip(colors, order, strict=True)]
            handles.append(Patch(color=_NOT_KA, label=tr("not a key account")))
            bx.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1),
                      title=tr("coverage"))
        else:
            bx.axis("off")
            bx.text(0, 0.5, tr("No customer's status depends on {p} within these values.",
                               p=p),
                    transform=bx.transAxes, fontsize=14)
        bx.set_xlabel(_axis_label(p))
    return fig
