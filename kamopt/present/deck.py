"""The board deck: a key-account plan as a PowerPoint file (``kamopt deck``).

Every figure comes from one :class:`kamopt.analysis.brief.Brief`, the same the report writes
from, and every sentence of the summary from :func:`kamopt.present.summary.summarise`; the
charts are the report's (:mod:`kamopt.present.plan_charts`, ``portfolio_charts``,
``sweep_charts``) as pictures. The deck is written in the current language
(:func:`kamopt.i18n.language`; ``write_deck(..., lang="de")``).

The slides (16:9) share one look: one font, the charts' blue as the accent, a title at the
top left, a footer with the client and the date, the slide number. Text boxes are sized by
counting lines at their font size (PowerPoint's auto-fit is not applied by python-pptx): text
that does not fit goes onto a continuation slide. Text from the case (customer, manager and
level names) is written as plain text; characters XML cannot hold (control characters) are
dropped.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from kamopt.case.staging import staged_file
from kamopt.i18n import date as date_text
from kamopt.i18n import language, tr
from kamopt.present.style import PALETTE, _style
from kamopt.units import eur, hours

if TYPE_CHECKING:
    from kamopt.analysis.brief import Brief

__all__ = ["deck_slides", "write_deck"]

# -- the look -------------------------------------------------------------------------
WIDTH, HEIGHT = Emu(12192000), Emu(6858000)  # 13.333 x 7.5 inches: 16:9
MARGIN = Inches(0.6)
FONT = "Arial"  # one font for titles and text (Liberation Sans where Arial is missing)
ACCENT = RGBColor.from_string(PALETTE["blue"].lstrip("#"))
INK = RGBColor.from_string("222222")
MUTED = RGBColor.from_string("666666")
RULE = RGBColor.from_string("D9D9D9")
LIGHT = RGBColor.from_string("EEF4F9")  # the accent, faint: table stripes, cards
WHITE = RGBColor.from_string("FFFFFF")

TITLE_TOP, TITLE_HEIGHT = Inches(0.35), Inches(0.8)
BODY_TOP = Inches(1.4)
BODY_BOTTOM = Inches(6.75)  # the footer starts below
FOOTER_TOP = Inches(6.98)
NOTE_HEIGHT = Inches(0.32)

TITLE_PT, BODY_PT, NOTE_PT, FOOTER_PT = 28, 16, 11, 10
LINE = 1.2  # line height as a multiple of the font size
CHAR = 0.52  # an average character's width as a multiple of the font size (Arial, generous)
DPI = 200
#: the key accounts listed on their slide
TOP_ACCOUNTS = 12

#: characters XML 1.0 cannot hold (tab, line feed and carriage return excepted)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def clean(text: object) -> str:
    r"""``text`` as a string a slide can hold: control characters XML cannot carry dropped.

    >>> clean("Acme\x0b GmbH\x00 <script>")
    'Acme GmbH <script>'
    """
    return _ILLEGAL.sub("", str(text))


# -- measuring text ----------------------------------------------------------------------
def _chars(width: int, size: float) -> int:
    """Characters of ``size`` points that fit on a line of ``width`` EMU (an estimate on the
    safe side)."""
    return max(8, int(Emu(width).pt / (size * CHAR)))


def lines(text: str, width: int, size: float) -> int:
    """How many lines ``text`` takes in a box ``width`` EMU wide at ``size`` points."""
    n = _chars(width, size)
    return sum(max(1, len(textwrap.wrap(p, n))) for p in str(text).split("\n"))


@dataclass
class Block:
    """A paragraph of a text column: its text, font size and how it is set."""

    text: str
    size: float = BODY_PT
    bold: bool = False
    color: RGBColor = INK
    bullet: str = ""  # "•" or "1." ...
    space_before: float = 0.0  # points
    space_after: float = 6.0

    def height(self, width: int) -> float:
        """Its height in points in a column ``width`` EMU wide."""
        indent = Inches(0.3) if self.bullet else 0
        n = lines(self.text, width - indent - Inches(0.2), self.size)  # 0.1" insets each side
        return self.space_before + n * self.size * LINE + self.space_after


def _fitted(block: Block, width: int, height: int, smallest: float = 16) -> Block:
    """``block`` at the largest size down to ``smallest`` (2 points at a time) that fits a box
    ``width`` x ``height`` EMU (a long title, a long German word)."""
    room = Emu(height).pt - 7.2  # the box's insets
    while block.size > smallest and block.height(width) > room:
        block = replace(block, size=block.size - 2)
    return block


def paginate(blocks: Sequence[Block], width: int, height: int) -> list[list[Block]]:
    """``blocks`` in pages that fit a column ``width`` x ``height`` EMU; a heading (a bold
    block) is never left alone at the foot of a page."""
    room = Emu(height).pt - 10  # the box's insets
    pages: list[list[Block]] = [[]]
    used = 0.0
    for i, b in enumerate(blocks):
        h = b.height(width)
        follow = blocks[i + 1].height(width) if b.bold and i + 1 < len(blocks) else 0.0
        if pages[-1] and used + h + follow > room:
            pages.append([])
            used = 0.0
        pages[-1].append(b)
        used += h
    return pages


# -- shapes ------------------------------------------------------------------------------
def _font(run, size: float, *, bold: bool = False, color: RGBColor = INK,
          italic: bool = False) -> None:
    f = run.font
    f.name = FONT
    f.size = Pt(size)
    f.bold = bold
    f.italic = italic
    f.color.rgb = color


def _textbox(slide, left: int, top: int, width: int, height: int, blocks: Sequence[Block], *,
             anchor=MSO_ANCHOR.TOP, align=PP_ALIGN.LEFT):
    """A text box of ``blocks`` (plain text, cleaned), no auto-fit: it is sized by the caller."""
    box = slide.shapes.add_textbox(left, top, width, height)
    tf = box.text_frame
    tf.word_wrap = True
    tf.auto_size = None
    tf.vertical_anchor = anchor
    for side in ("left", "right"):
        setattr(tf, f"margin_{side}", Inches(0.1))
    for side in ("top", "bottom"):
        setattr(tf, f"margin_{side}", Inches(0.05))
    for i, b in enumerate(blocks):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.alignment = align
        p.space_before = Pt(b.space_before)
        p.space_after = Pt(b.space_after)
        p.line_spacing = LINE * 0.83  # PowerPoint's single spacing is ~1.2 x the size already
        if b.bullet:
            r = p.add_run()
            r.text = f"{b.bullet}\t"
            _font(r, b.size, bold=True, color=ACCENT)
            _hanging(p, Inches(0.3))
        r = p.add_run()
        r.text = clean(b.text)
        _font(r, b.size, bold=b.bold, color=b.color)
    return box


def _hanging(paragraph, indent: int) -> None:
    """A hanging indent: the bullet at the margin, the text (and its next lines) at ``indent``."""
    pPr = paragraph._p.get_or_add_pPr()
    pPr.set("marL", str(int(indent)))
    pPr.set("indent", str(-int(indent)))


def _rect(slide, left: int, top: int, width: int, height: int, color: RGBColor):
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, left, top, width, height)
    shape.fill.solid()
    shape.fill.fore_color.rgb = color
    shape.line.fill.background()
    shape.shadow.inherit = False
    return shape


# -- the deck ----------------------------------------------------------------------------
class Deck:
    """A presentation being written: slides with a title, a footer and a number."""

    def __init__(self, footer: str):
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT
        self.footer = footer
        self.blank = self.prs.slide_layouts[6]

    @property
    def body_width(self) -> int:
        return WIDTH - 2 * MARGIN

    def slide(self, title: str):
        """A new content slide with ``title``, the accent rule under it, footer and number."""
        s = self.prs.slides.add_slide(self.blank)
        _textbox(s, MARGIN, TITLE_TOP, self.body_width, TITLE_HEIGHT,
                 [_fitted(Block(title, TITLE_PT, bold=True, color=INK, space_after=0),
                          self.body_width, TITLE_HEIGHT)],
                 anchor=MSO_ANCHOR.BOTTOM).name = "Title"
        _rect(s, MARGIN + Inches(0.1), TITLE_TOP + TITLE_HEIGHT + Inches(0.06), Inches(1.2),
              Inches(0.06), ACCENT)
        self._footer(s)
        return s

    def _footer(self, s) -> None:
        n = len(self.prs.slides)
        _rect(s, MARGIN, FOOTER_TOP - Inches(0.06), self.body_width, Emu(9525), RULE)
        _textbox(s, MARGIN, FOOTER_TOP, self.body_width - Inches(1.0), Inches(0.35),
                 [Block(self.footer, FOOTER_PT, color=MUTED, space_after=0)]).name = "Footer"
        _textbox(s, WIDTH - MARGIN - Inches(1.0), FOOTER_TOP, Inches(1.0), Inches(0.35),
                 [Block(str(n), FOOTER_PT, color=MUTED, space_after=0)],
                 align=PP_ALIGN.RIGHT).name = "Slide number"

    def text_slides(self, title: str, columns: Sequence[Sequence[Block]],
                    widths: Sequence[float] | None = None,
                    side: Callable[[object, int, int, int, int], None] | None = None,
                    side_width: int = 0) -> None:
        """Slides of text in columns, continued on as many slides as they need.

        ``widths``: the columns' shares of the body (equal by default); ``side``: drawn in
        a panel ``side_width`` wide at the right of the first slide (the key figures).
        """
        gap = Inches(0.4)
        full = self.body_width - (side_width + gap if side else 0)
        shares = widths or [1 / len(columns)] * len(columns)
        usable = full - gap * (len(columns) - 1)
        ws = [int(usable * f) for f in shares]
        height = BODY_BOTTOM - BODY_TOP
        pages = [paginate(col, w, height) for col, w in zip(columns, ws, strict=True)]
        for i in range(max(len(p) for p in pages)):
            s = self.slide(title if i == 0 else tr("{title} (continued)", title=title))
            left = MARGIN
            for col, w in zip(pages, ws, strict=True):
                if i < len(col) and col[i]:
                    _textbox(s, left, BODY_TOP, w, height, col[i]).name = "Text"
                left += w + gap
            if side and i == 0:
                side(s, MARGIN + full + gap, BODY_TOP, side_width, height)

    def picture_slide(self, title: str, fig: Figure, note: str, *, left: int | None = None,
                      width: int | None = None):
        """A slide with the chart ``fig`` (as a PNG) fitted into the body, ``note`` under it."""
        s = self.slide(title)
        self.picture(s, fig, note, left if left is not None else MARGIN,
                     width if width is not None else self.body_width)
        return s

    def picture(self, s, fig: Figure, note: str, left: int, width: int) -> None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
        _close(fig)
        buf.seek(0)
        from PIL import Image

        with Image.open(buf) as im:
            px_w, px_h = im.size
        buf.seek(0)
        note_h = max(NOTE_HEIGHT, Pt(Block(note, NOTE_PT, space_after=0).height(width))
                     + Inches(0.12))
        room_h = BODY_BOTTOM - BODY_TOP - note_h - Inches(0.08)
        scale = min(width / px_w, room_h / px_h)
        w, h = int(px_w * scale), int(px_h * scale)
        x = left + (width - w) // 2
        pic = s.shapes.add_picture(buf, x, BODY_TOP, w, h)
        pic.name = "Chart"
        _textbox(s, left, BODY_TOP + h + Inches(0.04), width, note_h,
                 [Block(note, NOTE_PT, color=MUTED, space_after=0)]).name = "Source"


def _close(fig: Figure) -> None:
    """Free a chart once it is a picture (pyplot forgets it, if it knew it)."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    fig.clear()


def _chart_figure(width: float = 13.5, height: float = 5.6) -> tuple[Figure, object]:
    """A figure of the slide's proportions, for a chart that draws on a given axes."""
    with _style():
        fig = Figure(figsize=(width, height), layout="constrained")
        return fig, fig.add_subplot()


# -- tables ------------------------------------------------------------------------------
def _table(s, left: int, top: int, width: int, header: Sequence[str],
           rows: Sequence[Sequence[str]], shares: Sequence[float], *, right: Sequence[bool],
           bold_rows: Sequence[int] = (), size: float = 13, header_size: float | None = None,
           row_height: float = 0.36):
    """A native table: ``header`` on the accent, ``rows`` striped, numbers right-aligned."""
    n = len(rows) + 1
    shape = s.shapes.add_table(n, len(header), left, top, width, Inches(row_height) * n)
    shape.name = "Table"
    table = shape.table
    table.first_row = True
    table.horz_banding = False
    for j, f in enumerate(shares):
        table.columns[j].width = int(width * f)
    # one size for the header and one for the body: the largest at which every word fits
    cells = [header, *rows]
    sizes = [min(_word_fit(clean(row[j]), int(width * shares[j]) - Inches(0.16),
                           (header_size or size) if i == 0 else size)
                 for j in range(len(header)) for row in (cells[1:] if i else cells[:1]))
             for i in (0, 1)]
    for i in range(n):
        table.rows[i].height = Inches(row_height)
        for j in range(len(header)):
            cell = table.cell(i, j)
            text = header[j] if i == 0 else rows[i - 1][j]
            cell.margin_left = cell.margin_right = Inches(0.08)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.fill.solid()
            cell.fill.fore_color.rgb = ACCENT if i == 0 else (LIGHT if i % 2 == 0 else WHITE)
            tf = cell.text_frame
            tf.word_wrap = True
            p = tf.paragraphs[0]
            p.alignment = PP_ALIGN.RIGHT if right[j] else PP_ALIGN.LEFT
            r = p.add_run()
            r.text = clean(text)
            _font(r, sizes[min(i, 1)], bold=i == 0 or (i - 1) in bold_rows,
                  color=WHITE if i == 0 else INK)
    return shape


def _word_fit(text: str, width: int, size: float, smallest: float = 9) -> float:
    """The largest size down to ``smallest`` at which the longest word of ``text`` fits
    ``width`` EMU (a cell breaks lines at spaces only: "Realisierung" must not break)."""
    longest = max((len(w.replace("\u00ad", "")) for w in text.split()), default=0)
    while size > smallest and longest * size * 0.62 > Emu(width).pt:
        size -= 1
    return size


# -- the slides --------------------------------------------------------------------------
def _title_slide(deck: Deck, title: str, client: str, author: str | None, when: str) -> None:
    s = deck.prs.slides.add_slide(deck.blank)
    _rect(s, 0, 0, Inches(0.35), HEIGHT, ACCENT)
    width = WIDTH - 2 * Inches(1.2)
    n = lines(title, width, 40)
    _textbox(s, Inches(1.2), Inches(2.2), width, Inches(0.75 * max(n, 1) + 0.3),
             [Block(title, 40 if n <= 2 else 32, bold=True, space_after=0)],
             anchor=MSO_ANCHOR.BOTTOM).name = "Title"
    _rect(s, Inches(1.3), Inches(2.2) + Inches(0.75 * max(n, 1) + 0.45), Inches(1.6),
          Inches(0.08), ACCENT)
    by = [Block(client, 22, color=INK, space_after=8)]
    if author:
        by.append(Block(tr("Prepared by {author}", author=author), 16, color=MUTED))
    by.append(Block(when, 16, color=MUTED))
    _textbox(s, Inches(1.2), Inches(2.2) + Inches(0.75 * max(n, 1) + 0.75), width,
             Inches(1.8), by).name = "Byline"


def _key_figures(brief: Brief) -> list[tuple[str, str]]:
    """The summary's key figures: (figure, what it is)."""
    k = brief.plan.kpis
    out = [(f"{k['key_accounts']}", tr("key accounts of {n} customers", n=k["customers"])),
           (eur(brief.plan.objective, digits=2), tr("net contribution a year"))]
    if brief.best is not None:
        g_eur, g_pct = brief.gain(brief.best)
        pct = "" if pd.isna(g_pct) else f" ({_signed_pct(g_pct)})"
        out.append((("+" if g_eur >= 0 else "") + eur(g_eur) + pct,
                    tr("more than the strongest baseline")))
    return out


def _signed_pct(x: float) -> str:
    from kamopt.i18n import percent

    return percent(x, sign=True)


def _figure_cards(figures: list[tuple[str, str]]) -> Callable:
    def draw(s, left: int, top: int, width: int, height: int) -> None:
        card = Inches(1.25)
        w, h = width - Inches(0.3), Inches(0.48)
        label = min(_fitted(Block(what, 13, space_after=0), w, h, smallest=9).size
                    for _, what in figures)  # one size for every label
        for i, (value, what) in enumerate(figures):
            y = top + i * (card + Inches(0.25))
            _rect(s, left, y, width, card, LIGHT)
            _rect(s, left, y, Inches(0.08), card, ACCENT)
            _textbox(s, left + Inches(0.2), y + Inches(0.1), w, Inches(0.6),
                     [_fitted(Block(value, 30, bold=True, color=ACCENT, space_after=0), w,
                              Inches(0.6))],
                     anchor=MSO_ANCHOR.BOTTOM).name = "Key figure"
            _textbox(s, left + Inches(0.2), y + Inches(0.72), w, Inches(0.48),
                     [Block(what, label, color=INK, space_after=0)]).name = "Key figure label"
    return draw


def _heading(text: str, first: bool = False) -> Block:
    return Block(text, 18, bold=True, color=ACCENT, space_before=0 if first else 10,
                 space_after=6)


def _summary_slides(deck: Deck, brief: Brief) -> None:
    from kamopt.present.summary import summarise

    sm = summarise(brief, plain=True)
    decision = [_heading(tr("The decision"), True),
                *[Block(t, BODY_PT, bullet="•", space_after=10) for t in sm.decision]]
    deck.text_slides(tr("Executive summary"), [decision], side=_figure_cards(_key_figures(brief)),
                     side_width=Inches(3.6))
    if sm.gain:
        gain = [_heading(tr("One decision at a time, adding up to the gain"), True),
                *[Block(t, BODY_PT, bullet="•", space_after=8) for t in sm.gain],
                Block(sm.gain_note, 13, color=MUTED, space_before=14)]
        deck.text_slides(tr("Where the gain over the strongest baseline comes from"), [gain])
    risks = [_heading(tr("The risks"), True),
             *[Block(t, 15, bullet="•", space_after=8) for t in sm.risks or [tr("None found.")]]]
    decide = [_heading(tr("What to decide"), True),
              *[Block(t, 15, bullet=f"{i}.", space_after=8) for i, t in enumerate(sm.decide, 1)]]
    deck.text_slides(tr("Risks and what to decide"), [risks, decide])


def _comparison_slides(deck: Deck, brief: Brief, source: str) -> None:
    from kamopt.present.plan_charts import bridge_chart, comparison_chart
    from kamopt.present.summary import baseline_name, plan_name

    if not brief.rules:
        return
    table = brief.comparison.rename(index=lambda label: plan_name(str(label), brief))
    fig, ax = _chart_figure(13.5, max(5.0, 0.75 * len(table) + 2.0))
    comparison_chart(table, ax, title=tr("Net contribution of each plan"))
    deck.picture_slide(tr("The optimised plan against the baselines"), fig, source)
    if brief.bridge is not None and brief.best is not None:
        bridge = brief.bridge.copy()
        bridge.loc[bridge.index[0], "step"] = baseline_name(brief.best)
        fig, ax = _chart_figure(13.5, 6.0)
        bridge_chart(bridge, ax, title=tr("From '{baseline}' to the optimised plan",
                                          baseline=baseline_name(brief.best)))
        deck.picture_slide(tr("Where the gain comes from: the bridge"), fig, source)


def _utilisation_slide(deck: Deck, brief: Brief, source: str) -> None:
    from kamopt.present.plan_charts import manager_utilisation

    mg = brief.plan.managers
    fig, ax = _chart_figure(13.5, max(5.6, 0.3 * min(len(mg), 40) + 2.2))
    manager_utilisation(mg, ax, title=tr("Manager utilisation"))
    deck.picture_slide(tr("Manager utilisation"), fig, source)


def _portfolio_slide(deck: Deck, brief: Brief, source: str) -> None:
    from kamopt.analysis.portfolio import portfolio
    from kamopt.present.portfolio_charts import portfolio_matrix

    pf = portfolio(brief.case)
    if not (pf[["importance", "potential_value"]] > 0).any().any():
        return
    fig, ax = _chart_figure(14.5, 6.2)
    portfolio_matrix(pf, key_accounts=brief.key_accounts.index, ax=ax,
                     title=tr("Customer portfolio and the plan's key accounts"))
    deck.picture_slide(tr("The customer portfolio"), fig, source)


def _sweep_slide(deck: Deck, brief: Brief, source: str) -> None:
    from kamopt.present.sweep_charts import _value, sweep_chart

    sw = brief.sweep
    if sw is None:
        return
    fig = sweep_chart(sw, top=12)
    # the proportions of its place on the slide (its layout is constrained: it redraws to
    # the new size), so that its text reads about as large as the other charts'
    fig.set_size_inches(11.5, 6.6)
    leg = fig.axes[0].get_legend()
    if leg is not None:  # the net rises with the estimate: the upper left is free of the line
        leg.set_loc("upper left")
    s = deck.slide(tr("The plan at other realisation estimates"))
    table_w = Inches(4.3)
    gap = Inches(0.35)
    deck.picture(s, fig, source, MARGIN, deck.body_width - table_w - gap)
    t = sw.table
    alpha = brief.scenario.realization
    base = float(brief.plan.objective)
    rows, bold = [], []
    for i, r in enumerate(t.itertuples()):
        if r.status == "infeasible":
            rows.append([_value(sw.parameter, r.value), tr("no plan"), "–", "–"])
            continue
        diff = float(r.objective) - base
        rows.append([_value(sw.parameter, r.value), eur(r.objective, "€", digits=2, sep=""),
                     f"{int(r.key_accounts)}",
                     "–" if abs(r.value - alpha) < 1e-12
                     else ("+" if diff >= 0 else "") + eur(diff, "€", sep="")])
        if abs(r.value - alpha) < 1e-12:
            bold.append(i)
    x = WIDTH - MARGIN - table_w
    _table(s, x, BODY_TOP + Inches(0.1), table_w,
           [tr("Realisation"), tr("Net contribution a year"), tr("Key accounts"),
            tr("vs the plan")],
           rows, [0.25, 0.31, 0.19, 0.25], right=[True, True, True, True], bold_rows=bold,
           size=12, header_size=11, row_height=0.5)
    note = tr("In bold the scenario's estimate ({alpha}). {core} key accounts are in the plan at "
              "every value; {swing} are in at some values only.",
              alpha=_value(sw.parameter, alpha), core=len(sw.core), swing=len(sw.swing))
    top = BODY_TOP + Inches(0.1) + Inches(0.5) * (len(rows) + 1) + Inches(0.25)
    _textbox(s, x, top, table_w, Inches(1.4), [Block(note, 12, color=MUTED)]).name = "Text"


def _accounts_slide(deck: Deck, brief: Brief, source: str) -> None:
    ka = brief.key_accounts.sort_values("net", ascending=False, kind="stable")
    if not len(ka):
        return
    names = brief.plan.managers["name"] if "name" in brief.plan.managers else pd.Series(dtype=str)
    top = ka.head(TOP_ACCOUNTS)
    rows = []
    for cid, r in top.iterrows():
        acts = [a for a in str(r.get("activities") or "").split(";") if a]
        lead = names.get(r["manager_id"], r["manager_id"])
        rows.append([_cut(r.get("name") or cid, 40), _cut(r["level"], 18), _cut(lead, 28),
                     f"{len(acts)}", hours(r["hours"]), eur(r["net"], digits=2)])
    title = tr("The key accounts with the largest net contribution")
    s = deck.slide(title)
    _table(s, MARGIN, BODY_TOP, deck.body_width,
           [tr("Customer"), tr("Coverage level"), tr("Lead manager"), tr("Activities"),
            tr("KAM hours a year"), tr("Net contribution a year")],
           rows, [0.28, 0.12, 0.22, 0.11, 0.11, 0.16],
           right=[False, False, False, True, True, True], size=12, row_height=0.34)
    more = tr("The {n} largest of {k} key accounts by net contribution; the full list is in "
              "the plan's tables (kamopt plan).", n=len(top), k=len(ka))
    y = BODY_TOP + Inches(0.34) * (len(rows) + 1) + Inches(0.1)
    note = Block(more + " " + source, NOTE_PT, color=MUTED, space_after=0)
    _textbox(s, MARGIN, y, deck.body_width, Pt(note.height(deck.body_width)) + Inches(0.12),
             [note]).name = "Source"


def _cut(text: object, width: int) -> str:
    t = clean(text).replace("\n", " ")
    return t if len(t) <= width else t[: width - 1].rstrip() + "…"


# -- the whole -------------------------------------------------------------------------
def deck_slides(brief: Brief, *, title: str | None = None, client: str | None = None,
                author: str | None = None, date: str | None = None) -> Presentation:
    """The deck of ``brief`` as a :class:`pptx.Presentation`, in the current language."""
    from kamopt.present.summary import client_name

    info = dict(brief.scenario.report)
    title = title or info.get("title") or tr("Key-account plan")
    client = client or info.get("client") or client_name(brief.case.source)
    author = author or info.get("author") or None
    when = date_text(date or info.get("date") or None)
    deck = Deck(" · ".join(x for x in (clean(client), when) if x))
    _title_slide(deck, title, client, author, when)
    source = tr("Source: kamopt plan of {client}, scenario '{scenario}', net contribution in "
                "EUR a year; {date}", client=client or "–", scenario=brief.scenario.name,
                date=when)
    _summary_slides(deck, brief)
    _comparison_slides(deck, brief, source)
    _utilisation_slide(deck, brief, source)
    _portfolio_slide(deck, brief, source)
    _sweep_slide(deck, brief, source)
    _accounts_slide(deck, brief, source)
    return deck.prs


def write_deck(brief: Brief, path: str | Path, *, title: str | None = None,
               client: str | None = None, author: str | None = None, date: str | None = None,
               lang: str | None = None) -> Path:
    """Write the deck of ``brief`` to ``path`` (.pptx), whole or not at all.

    ``title``, ``client``, ``author``, ``date`` (``YYYY-MM-DD`` or free text): the title
    slide's; by default the scenario's ``report:`` block's, else "Key-account plan", the
    case's name and today. ``lang``: write in this language (default the current one).
    """
    with language(lang):
        prs = deck_slides(brief, title=title, client=client, author=author, date=date)
        with staged_file(path) as tmp:
            prs.save(str(tmp))
    return Path(path)

