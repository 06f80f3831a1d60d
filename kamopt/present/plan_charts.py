"""Charts of a plan: manager utilisation, department load, the value bridge and the
comparison with rules of thumb (notebook 02, the report and the app)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from kamopt.i18n import N_, percent, tr
from kamopt.present.style import (
    PALETTE,
    _eur_axis,
    _figure,
    _fmt_hours,
    _hours_axis,
    _legend_outside,
    _short_name,
    _style,
    _titles,
)
from kamopt.units import eur, hours

__all__ = ["bridge_chart", "comparison_chart", "department_load", "manager_utilisation"]

#: labels the analysis writes into its tables (kamopt.analysis.baselines: the comparison's
#: first row, the bridge's last step and its first when a plan has no rule); shown through
#: :func:`_plan_label`
DATA_LABELS = (N_("optimised"), N_("optimised plan"), N_("rule of thumb"))


def _plan_label(label: object) -> str:
    """A plan's or a bridge step's label in the current language: a label of the catalogue
    (:data:`DATA_LABELS`, the baselines' and the bridge's, marked where they are defined), or a
    rule of thumb filled with its number (``top 120 by revenue``); any other label as it is.

    >>> from kamopt.i18n import language
    >>> with language("de"):
    ...     _plan_label("top 120 by revenue"), _plan_label("customers added"), _plan_label("Acme")
    ('Top 120 nach Umsatz', 'Kunden hinzugefügt', 'Acme')
    """
    from kamopt.analysis.baselines import RULES

    text = str(label)
    translated = tr(text)
    if translated != text:
        return translated
    for template in RULES.values():
        if "{n}" in template:
            head, _, tail = template.partition("{n}")
            m = re.fullmatch(re.escape(head) + r"(\d[\d,]*)" + re.escape(tail), text)
            if m:
                return tr(template, n=m.group(1))
    return text


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
                        title: str = N_("Manager utilisation")) -> Figure:
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
    exec_ = tr("(exec.)")
    labels = [f"{_short_name(str(j), 16)}  {_short_name(n, 24)}" + (f"  {exec_}" if e else "")
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
            _bar_label(ax, max(u, c), yi, percent(share), inside=False)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, xmax * 1.12)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_locator(MaxNLocator(6))
        _hours_axis(ax.xaxis)
        ax.set_xlabel(tr("KAM hours a year"))
        more = (tr(" · the {n} busiest of {m} managers", n=len(shown), m=len(m))
                if len(shown) < len(m) else "")
        _titles(ax, tr(title), tr("hours used by the plan vs capacity: {used} of {capacity} "
                                  "({share}){more}", used=_fmt_hours(total_used)[:-2],
                                  capacity=_fmt_hours(total_cap),
                                  share=percent(total_used / max(total_cap, 1e-9)), more=more))
        handles = [Line2D([], [], color=PALETTE["blue"], linewidth=10),
                   Line2D([], [], color=PALETTE["orange"], linewidth=10),
                   Line2D([], [], color=PALETTE["black"], marker="|", markersize=16,
                          markeredgewidth=3, linestyle="none")]
        names_ = [tr("key account manager"), tr("executive"), tr("capacity")]
        if (least > 0).any():
            handles.append(Line2D([], [], color=PALETTE["vermillion"], marker="|", markersize=16,
                                  markeredgewidth=3, linestyle="none"))
            names_.append(tr("minimum workload"))
        _legend_outside(ax, [("", handles, names_)])
    return fig


def department_load(departments: pd.DataFrame, ax: Axes | None = None, *,
                    title: str = N_("Department load")) -> Figure:
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
        ax.barh(y, cap, height=0.7, color="#DDDDDD", zorder=2, label=tr("capacity"))
        ax.barh(y, used, height=0.42, color=PALETTE["green"], zorder=3,
                label=tr("used by the plan"))
        labels = [_bar_label(ax, max(u, c), yi, tr("{used} of {capacity} h ({share})",
                                                   used=hours(u), capacity=hours(c),
                                                   share=percent(u / c if c > 0 else 0.0)),
                             inside=False)
                  for yi, u, c in zip(y, used, cap, strict=True)]
        ax.set_yticks(y, [str(i) for i in d.index])
        ax.invert_yaxis()
        ax.set_xlim(0, float(max(cap.max(initial=0), used.max(initial=0)) or 1.0))
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_locator(MaxNLocator(6))
        _hours_axis(ax.xaxis)
        ax.set_xlabel(tr("department hours a year for key-account activities"))
        _titles(ax, tr(title), tr("hours used by the plan's activities vs capacity: {used} of "
                                  "{capacity} h", used=hours(used.sum()),
                                  capacity=hours(cap.sum())))
        ax.legend(loc="lower right")
        _fit_labels(ax, labels)  # the axis just wide enough for bars and labels
    return fig


# -- plan: value ----------------------------------------------------------------


def bridge_chart(bridge: pd.DataFrame, ax: Axes | None = None, *,
                 title: str = N_("From the rule of thumb to the optimised plan")) -> Figure:
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
        ax.set_xticks(x, [_wrap(_plan_label(s), 13) for s in bridge["step"].astype(str)])
        ax.tick_params(axis="x", length=0)
        ax.grid(axis="x", visible=False)
        lo = min(0.0, float(np.min(np.cumsum(np.where(np.array(kinds) == "total", 0, amounts))
                                   + amounts[0])))
        hi = max(tops) * 1.12
        ax.set_ylim(lo * 1.1, hi if hi > lo * 1.1 else lo * 1.1 + 1.0)  # all 0: still an axis
        _eur_axis(ax.yaxis)
        ax.set_ylabel(tr("net contribution, EUR a year"))
        start, end = amounts[0], amounts[-1]
        gain = end - start
        pct = f" ({percent(gain / abs(start), sign=True)})" if abs(start) > 1e-9 else ""
        _titles(ax, tr(title), tr("net contribution a year: {start} → {end}, {gain}{pct}",
                                  start=_fmt_eur1(start), end=_fmt_eur1(end),
                                  gain=("+" if gain >= 0 else "") + _fmt_eur1(gain), pct=pct))
    return fig


def comparison_chart(table: pd.DataFrame, ax: Axes | None = None, *,
                     title: str = N_("Optimised plan vs rules of thumb")) -> Figure:
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
            extra = " · " + tr("{n} key accounts", n=int(t["key_accounts"].iloc[i]))
            if i and "uplift_pct" in t and np.isfinite(t["uplift_pct"].iloc[i]):
                extra += tr(" · optimised {pct}",
                            pct=percent(t["uplift_pct"].iloc[i], sign=True))
            labels.append(_bar_label(ax, max(v, 0), yi, _fmt_eur1(v) + extra, inside=False))
        ax.set_yticks(y, [_wrap(_plan_label(s), 22) for s in t.index])
        ax.invert_yaxis()
        ax.set_xlim(min(0.0, net.min()) * 1.1, max(net.max(), 1.0))
        ax.grid(axis="y", visible=False)
        _eur_axis(ax.xaxis)
        ax.set_xlabel(tr("net contribution, EUR a year (value − cost of hours and activities)"))
        _titles(ax, tr(title), tr("every plan evaluated with the same objective and checked "
                                  "against the same constraints"))
        _fit_labels(ax, labels)
    return fig


def _fmt_eur1(x: float) -> str:
    """EUR for a figure's own label: one decimal in M€, whole k€ (more precise than ticks).

    >>> [_fmt_eur1(v) for v in (10_106_857, 5_810_412, -44_398, 254_000, 512)]
    ['10.1 M€', '5.8 M€', '−44 k€', '254 k€', '512 €']
    """
    return eur(x, "€", digits=1, sep="")


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
