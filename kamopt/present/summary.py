"""The executive summary of a board pack, in the current language (:mod:`kamopt.i18n`).

One text for the report (Markdown, names made inert) and the deck (plain text): the decision
in three sentences, where the gain over the strongest baseline comes from, the risks and
what to decide. The figures come from one :class:`kamopt.analysis.brief.Brief`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from kamopt.analysis.brief import Brief
from kamopt.i18n import date as date_text
from kamopt.i18n import percent, tr
from kamopt.planning.oneyear import Plan
from kamopt.present.tables import inert_markdown
from kamopt.units import eur


def baseline_name(p: Plan) -> str:
    """A baseline's label in the current language (``top 120 by revenue``)."""
    k = p.kpis
    if k.get("rule_target") is not None:
        from kamopt.analysis.baselines import RULES

        return tr(RULES[k["rule_key"]]).format(n=k["rule_target"])
    return tr(str(k.get("rule", "")))


def plan_name(label: str, brief: Brief) -> str:
    """A row label of the comparison in the current language."""
    if label == "optimised":
        return tr("Optimised plan")
    p = brief.rules.get(label)
    return baseline_name(p) if p is not None else label


@dataclass
class Summary:
    """The parts of the executive summary; :meth:`markdown` joins them."""

    decision: list[str]
    gain: list[str]
    gain_note: str
    risks: list[str]
    decide: list[str]

    def markdown(self) -> str:
        text = "**" + tr("The decision.") + "** " + " ".join(self.decision)
        if self.gain:
            text += ("\n\n**" + tr("Where the gain over the strongest baseline comes from")
                     + "**, " + tr("one decision at a time (they add up to the gain):") + "\n\n")
            text += "\n".join(f"* {g}" for g in self.gain)
            text += "\n\n" + self.gain_note
        text += "\n\n**" + tr("The risks.") + "**\n\n" + "\n".join(
            f"* {r}" for r in self.risks or [tr("None found.")])
        text += "\n\n**" + tr("What to decide.") + "**\n\n" + "\n".join(
            f"{i}. {d}" for i, d in enumerate(self.decide, 1))
        return text


def summarise(brief: Brief, plain: bool = False) -> Summary:
    """The executive summary of ``brief``; ``plain``: without Markdown (for the deck)."""
    name: Callable[[object], str] = (lambda v: str(v)) if plain else inert_markdown

    def say(msgid: str, **fields) -> str:
        t = tr(msgid)
        if plain:
            t = t.replace("**", "").replace("*", "")
        return t.format(**fields)

    p, k, sc = brief.plan, brief.plan.kpis, brief.scenario
    ka = brief.key_accounts
    levels = ka["level"].value_counts()
    level_text = ", ".join(say("{n} at {level} coverage", n=levels[lv], level=name(lv))
                           for lv in sc.level_names if lv in levels)
    decision = [
        say("Make **{k} of the {n} customers key accounts** ({levels}), with {a} activities "
            "for them.", k=k["key_accounts"], n=k["customers"], levels=level_text,
            a=k["activities_run"]),
        say("**{m} managers lead them**, {e} of them by executives; {c} key accounts change "
            "hands from today's manager.", m=ka["manager_id"].nunique(),
            e=k["executive_accounts"], c=k["accounts_changing_hands"]),
    ]
    earns = say("The plan earns **{v} a year** net contribution", v=eur(p.objective, digits=2))
    if brief.best is not None:
        g_eur, g_pct = brief.gain(brief.best)
        earns += say(", **{g} ({pct}) more than the strongest baseline**, *{b}*",
                     g=eur(g_eur, minus="−"), pct=_pct(g_pct), b=name(baseline_name(brief.best)))
        if brief.best_thumb is not None and brief.best_thumb is not brief.best:
            t_eur, t_pct = brief.gain(brief.best_thumb)
            earns += say(" (and {g}, {pct}, more than the best simple rule of thumb, *{b}*)",
                         g=eur(t_eur), pct=_pct(t_pct), b=name(baseline_name(brief.best_thumb)))
    decision.append(earns + ".")

    gain = []
    if brief.split is not None:
        for r in brief.split.itertuples():
            line = say("{decision}: {gain} a year", decision=tr(r.decision), gain=eur(r.gain))
            line += (say(", 1 customer changed") if r.customers == 1
                     else say(", {n} customers changed", n=r.customers))
            gain.append(line)
    gain_note = say(
        "Published field results of optimised sales effort against judgement lie between "
        "+4% and +8% (CALLPLAN, Syntex, ZS): a gain of that order against a careful baseline "
        "is what to expect; a gain against a simple rule of thumb is larger and says more "
        "about the rule than about the plan.")

    risks = []
    mg, full = p.managers, brief.full_managers
    if len(full):
        names = ", ".join(full["name"].astype(str).head(6)) + (", …" if len(full) > 6 else "")
        risks.append(say("{f} of {m} managers are at 95% of their capacity or more ({names}): "
                         "an absence or a larger account does not fit.",
                         f=len(full), m=len(mg), names=name(names)))
    share = (ka.groupby("manager_id")["net"].sum() / max(ka["net"].sum(), 1e-9)
             ).sort_values(ascending=False)
    if len(share):
        top = share.index[0]
        risks.append(say("{who} leads {n} key accounts worth {share} of the net contribution: "
                         "each key account depends on one lead manager, these most.",
                         who=name(mg.at[top, "name"]), n=int((ka["manager_id"] == top).sum()),
                         share=percent(share.iloc[0])))
    sw = brief.sweep
    if sw is not None and len(sw.swing):
        risks.append(say("{s} customers are key accounts only at some values of the realisation "
                         "estimate (a quarter lower or higher): they are the selection's bets; "
                         "{c} key accounts hold at every value tried.",
                         s=len(sw.swing), c=len(sw.core)))
    for label, reason in brief.failed.items():
        risks.append(say("'{name}' could not be compared: {reason}", name=name(label),
                         reason=name(reason)))

    approve = (say("Approve the {k} key accounts, their coverage levels and their lead "
                   "managers.", k=k["key_accounts"]) if plain else
               say("Approve the {k} key accounts, their coverage levels and their lead managers "
                   "(the tables below).", k=k["key_accounts"]))
    decide = [approve,
              say("Agree the {c} handovers from today's manager.",
                  c=k["accounts_changing_hands"])]
    if len(full):
        decide.append(say("Decide whether to add capacity where managers are full, against "
                          "what one more hour and one more manager are worth.") if plain else
                      say("Decide whether to add capacity where managers are full: the value "
                          "of one more hour and of one more manager is in *What is one more "
                          "hour worth?*."))
    if sw is not None and len(sw.swing):
        decide.append(say("Commit the accounts that hold at every estimate now; confirm the "
                          "bets after checking the realisation estimate with the account "
                          "teams."))
    return Summary(decision, gain, gain_note, risks, decide)


def executive_summary(brief: Brief) -> str:
    """The executive summary as Markdown (names from the case made inert)."""
    return summarise(brief).markdown()


def _pct(x: float) -> str:
    return "–" if pd.isna(x) else percent(x, sign=True)


def client_name(source: object) -> str:
    """The default client of a case's report: its folder's or workbook's name without suffix,
    or a database's name (never a path, a user or a password).

    >>> client_name("/home/ana/cases/rheinwerk"), client_name("data/x.xlsx")
    ('rheinwerk', 'x')
    >>> client_name("postgresql://kam:secret@db:5432/rheinwerk?schema=kam"), client_name("sqlite:///c/kam.db")
    ('rheinwerk', 'kam')
    """
    from pathlib import PurePosixPath
    from urllib.parse import urlsplit

    text = str(source or "").strip()
    if "://" in text:
        text = urlsplit(text).path
    return PurePosixPath(text.replace("\\", "/")).stem


def title_block(title: str | None, client: str, author: str | None = None,
                when: str | None = None) -> str:
    """The report's title block as HTML, every field escaped; ``when`` (``YYYY-MM-DD`` or
    free text) is written out in the current language, today when None."""
    parts = [tr("Client: {client}", client=client), date_text(when)]
    if author:
        parts.append(tr("Prepared by {author}", author=author))
    byline = " · ".join(parts)
    return (f'<header class="kamopt-title"><h1>{html.escape(title or tr("Key-account plan"))}'
            f'</h1><p class="kamopt-byline">{html.escape(byline)}</p></header>')
