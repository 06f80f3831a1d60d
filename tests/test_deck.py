"""The board deck (``kamopt deck``, kamopt/present/deck.py) and the charts in German.

One brief of the sample (mip_gap 0.01, robustness on) serves the module: the deck in English
and in German is written from it once each.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from kamopt import Scenario, load_case, save_case
from kamopt.analysis.brief import board_brief
from kamopt.case.sample import make_case
from kamopt.cli import main
from kamopt.i18n import language, tr
from kamopt.present.deck import CHAR, LINE, lines, write_deck
from kamopt.units import eur

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
BASE = ROOT / "data" / "scenarios" / "base.yml"

TITLES = ["Key-account plan", "Executive summary",
          "Where the gain over the strongest baseline comes from", "Risks and what to decide",
          "The optimised plan against the baselines", "Where the gain comes from: the bridge",
          "Manager utilisation", "The customer portfolio",
          "The plan at other realisation estimates",
          "The key accounts with the largest net contribution"]


@pytest.fixture(scope="module")
def brief():
    case = load_case(SAMPLE)
    return board_brief(case, Scenario.from_yaml(BASE).replace(mip_gap=0.01))


@pytest.fixture(scope="module")
def decks(brief, tmp_path_factory):
    """The deck in English and in German: lang -> (Presentation, path)."""
    out = {}
    for lang in ("en", "de"):
        path = write_deck(brief, tmp_path_factory.mktemp(lang) / "plan.pptx", lang=lang,
                          client="Rheinwerk Antriebstechnik GmbH", author="A. Consultant",
                          date="2026-12-06")
        out[lang] = Presentation(str(path))
    return out


def _shapes(slide, name):
    return [s for s in slide.shapes if s.name == name]


def _title(slide) -> str:
    return _shapes(slide, "Title")[0].text_frame.text


def _figures(slide) -> list[str]:
    return [s.text_frame.text for s in _shapes(slide, "Key figure")]


def test_the_slides_in_order(decks):
    assert [_title(s) for s in decks["en"].slides] == TITLES
    assert decks["en"].slide_width * 9 == decks["en"].slide_height * 16


def test_the_summary_shows_the_figures_of_the_brief(brief, decks):
    summary = decks["en"].slides[1]
    k = brief.plan.kpis
    figures = _figures(summary)
    assert figures[0] == str(k["key_accounts"])
    assert figures[1] == eur(brief.plan.objective, digits=2)
    g, _ = brief.gain()
    assert figures[2].startswith("+" + eur(g))
    text = " ".join(s.text_frame.text for s in _shapes(summary, "Text"))
    assert f"Make {k['key_accounts']} of the {k['customers']} customers key accounts" in text


def test_the_german_deck_has_german_titles_and_the_same_figures(brief, decks):
    with language("de"):
        assert [_title(s) for s in list(decks["de"].slides)[1:]] == [tr(t) for t in TITLES[1:]]
        assert _figures(decks["de"].slides[1])[1] == eur(brief.plan.objective, digits=2)
    assert _title(decks["de"].slides[0]) == "Key-Account-Plan"
    assert _title(decks["de"].slides[6]) == "Auslastung der Manager"
    for en, de in zip(_figures(decks["en"].slides[1]), _figures(decks["de"].slides[1]),
                      strict=True):  # the digits are the same; only the separators differ
        assert re.sub(r"\D", "", en) == re.sub(r"\D", "", de)
    assert "10,02 Mio. EUR" in _figures(decks["de"].slides[1])


def test_every_picture_has_its_source(decks):
    for lang, prs in decks.items():
        with language(lang):
            source = tr("Source: kamopt plan of {client}, scenario '{scenario}', net "
                        "contribution in EUR a year; {date}", client="Rheinwerk Antriebstechnik "
                        "GmbH", scenario="base", date="6. Dezember 2026" if lang == "de"
                        else "6 December 2026")
        pictures = 0
        for slide in prs.slides:
            pics = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
            pictures += len(pics)
            if pics:
                notes = [s.text_frame.text for s in _shapes(slide, "Source")]
                assert notes == [source], _title(slide)
                pic, note = pics[0], _shapes(slide, "Source")[0]
                assert note.top >= pic.top + pic.height  # under the chart, not on it
        assert pictures == 5


def _fits(shape) -> bool:
    """The text of a text box takes no more lines than the box holds (kamopt's estimate of
    a line, which the deck sizes its boxes with)."""
    tf = shape.text_frame
    need = 0.0
    for p in tf.paragraphs:
        sizes = [r.font.size.pt for r in p.runs if r.font.size is not None] or [18.0]
        size = max(sizes)
        indent = int(p._p.pPr.get("marL", 0)) if p._p.pPr is not None else 0
        width = shape.width - tf.margin_left - tf.margin_right - indent
        need += lines(p.text, width, size) * size * LINE
        need += (p.space_before.pt if p.space_before else 0) + (p.space_after.pt if p.space_after else 0)
    room = (shape.height - tf.margin_top - tf.margin_bottom) / 12700
    return need <= room + 1


def test_nothing_overflows_its_slide(decks):
    for prs in decks.values():
        for i, slide in enumerate(prs.slides, 1):
            for s in slide.shapes:
                assert s.left >= 0 and s.top >= 0, (i, s.name)
                assert s.left + s.width <= prs.slide_width, (i, s.name)
                assert s.top + s.height <= prs.slide_height, (i, s.name)
                if s.has_text_frame and s.text_frame.text:
                    assert _fits(s), (i, s.name, s.text_frame.text[:60])
    assert 0.4 < CHAR < 0.7


def _hostile_case():
    case = make_case(customers=30, managers=4, seed=1)
    names = ["<script>alert(1)</script>\x0b GmbH", "=cmd|' /C calc'!A0", "Null\x00 AG\x1f"]
    case.customers["name"] = [f"{names[i % 3]} {i}" for i in range(len(case.customers))]
    case.managers["name"] = [f"{names[i % 3]} Manager {i}" for i in range(len(case.managers))]
    return case


def test_a_hostile_name_is_written_as_text(tmp_path):
    b = board_brief(_hostile_case(), Scenario(mip_gap=0.01), robustness=False)
    path = write_deck(b, tmp_path / "hostile.pptx", client="<b>Client</b>\x00")
    prs = Presentation(str(path))  # the XML is well formed
    texts = []
    for slide in prs.slides:
        for s in slide.shapes:
            if s.has_text_frame:
                texts.append(s.text_frame.text)
            elif s.has_table:
                texts += [c.text for row in s.table.rows for c in row.cells]
    text = "\n".join(texts)
    assert "<script>alert(1)</script> GmbH" in text
    assert "=cmd|' /C calc'!A0" in text
    assert "<b>Client</b>" in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text)


def test_the_command_writes_the_deck(tmp_path, capsys):
    case = save_case(make_case(customers=30, managers=4, seed=1), tmp_path / "case")
    out = tmp_path / "board" / "plan.pptx"
    assert main(["deck", str(case), "--out", str(out), "--mip-gap", "0.01", "--lang", "de",
                 "--no-robustness", "--quiet"]) == 0
    assert out.is_file() and "Wrote the deck" in capsys.readouterr().out
    prs = Presentation(str(out))
    assert _title(prs.slides[0]) == "Key-Account-Plan"
    assert [p.name for p in out.parent.iterdir()] == ["plan.pptx"]  # no staging file left


def test_the_command_refuses_a_bad_output_or_case(tmp_path, capsys):
    assert main(["deck", str(SAMPLE), "--out", str(tmp_path / "x.txt")]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and ".pptx" in err and "Traceback" not in err
    out = tmp_path / "plan.pptx"
    assert main(["deck", str(tmp_path / "no such case"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no such case" in err and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_the_charts_speak_german_and_english_unchanged(brief):
    from kamopt.present.plan_charts import bridge_chart, manager_utilisation

    fig = manager_utilisation(brief.plan.managers)
    ax = fig.axes[0]
    assert ax.get_title() == "Manager utilisation" and ax.get_xlabel() == "KAM hours a year"
    en_ticks = [t.get_text() for t in bridge_chart(brief.bridge).axes[0].get_xticklabels()]
    assert "customers\nadded" in en_ticks
    with language("de"):
        fig = manager_utilisation(brief.plan.managers, title=tr("Manager utilisation"))
        ax = fig.axes[0]
        assert ax.get_title() == "Auslastung der Manager"
        assert ax.get_xlabel() == "KAM-Stunden pro Jahr"
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "Kapazität" in legend
        bridge = bridge_chart(brief.bridge).axes[0]
        ticks = " ".join(t.get_text().replace("\n", " ") for t in bridge.get_xticklabels())
        assert "Kunden hinzugefügt" in ticks and "customers" not in ticks
        assert "Mio. €" in " ".join(t.get_text() for t in bridge.get_yticklabels())
