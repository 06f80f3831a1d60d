"""The mid-term report (notebook 04) in German: prose from the catalogue, labels, figures and the
chart in German, the same figures as the English report."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from test_report import company_with_targets
from test_report import visible_text as report_text

from kamopt.case.assumptions import HireProfile, MidtermAssumptions
from kamopt.i18n import language
from kamopt.planning.midterm_outputs import explain_targets
from kamopt.present.htmlreport import render_report

ROOT = Path(__file__).resolve().parents[1]
YEARS = 2  # two plans of two years each


def visible_text(page: str) -> str:
    """What a reader sees of an HTML page (test_report's), its white space made single."""
    return " ".join(report_text(page).split())


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """A small company's mid-term report in German (the scenario's ``lang: de``) and in English
    (``--lang en`` over it): the same plans, stopped by their work budgets (the time limit a
    safety net of an hour)."""
    from kamopt.case.scenario import Scenario

    folder = tmp_path_factory.mktemp("midterm_de")
    scenario = folder / "base_de.yml"
    Scenario.from_yaml(ROOT / "data" / "scenarios" / "base.yml").replace(lang="de").to_yaml(
        scenario)
    kwargs = dict(assumptions_path=ROOT / "data" / "scenarios" / "midterm_base.yml",
                  years=YEARS, time_limit=3600)
    case = company_with_targets(folder / "sample")  # the sample takes a minute a render
    de = render_report(case, scenario, folder / "mittelfrist.html", **kwargs)
    en = render_report(case, scenario, folder / "midterm.html", lang="en", **kwargs)
    return SimpleNamespace(de=de.read_text(encoding="utf-8"), en=en.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_german_midterm_report_is_german(reports):
    html, page = reports.de, visible_text(reports.de)
    assert '<html lang="de">' in html
    assert "<title>Mittelfristplanung: sample</title>" in html
    for heading in ("Die Mittelfristplanung: den künftigen Auftragseingang über mehrere Jahre "
                    "sichern", "Die Daten: das Unternehmen, seine Ziele und seine Manager",
                    "Der Plan, Jahr für Jahr", "Wird das Ziel erreicht?",
                    "Was es kostet: Einstellungen, Programme, Betreuung",
                    "Was geht verloren, wenn das Ziel gelockert wird?", "Was das Ergebnis sagt"):
        assert heading in page, heading
    for label in ("Auftragseingang (Mio. EUR)", "Zielverfehlung (Mio. EUR)", "Managerwechsel",
                  "Hochlauf des realisierten Potenzials", "Abwanderung ohne Key-Account-Status",
                  "Kapitalwert (Mio. EUR)", "gesicherter Auftragseingang (Mio. EUR)",
                  "mit Zielen", "ohne Ziele", "Ziele.", "Einstellungen."):
        assert label in page, label
    assert "**" not in page
    # nothing left of the notebook's English prose, labels and sentences
    for english in ("The question.", "The mid-term plan: securing", "The plan, year by year",
                    "Is the target met?", "What is lost if the target is relaxed?",
                    "Reading the result", "What it costs", "The hiring plan",
                    "Who leads which key account", "The same company re-planned",
                    "intake (M EUR)", "hours available", "manager changes", "with targets",
                    "order intake secured", "Relaxing the targets", "a year from the hiring",
                    "ramp-up of realised potential", "churn without", "discount rate",
                    "customers,", "MidtermPlan(", "years from", "is met", "Mid-term plan"):
        assert english not in page, english
    assert "4 ·" not in page and "$$" not in page
    assert ">year<" not in html and ">scope<" not in html and ">met<" not in html  # headers
    assert not re.search(r'class="[^"]*jp-InputArea-editor', html)  # no code
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == 1  # the chart


def _headline(page: str, lang: str) -> dict:
    """The plan's headline line, its figures as numbers."""
    if lang == "de":
        m = re.search(r"Mittelfristplan: (optimal|zulässig), (\d+) Jahre, Kapitalwert "
                      r"(\d{1,3}(?:\.\d{3})+) EUR, Ziele in (\d+) von (\d+) Jahren erreicht, "
                      r"(\d+) Einstellungen, Lücke (\d+,\d\d) %", page)
        assert m, "no German headline"
        status = {"zulässig": "feasible"}.get(m[1], m[1])
        npv, gap = m[3].replace(".", ""), m[7].replace(",", ".")
    else:
        m = re.search(r"MidtermPlan\((optimal|feasible), (\d+) years, NPV (\d{1,3}(?:,\d{3})+) EUR, "
                      r"targets met in (\d+) of (\d+) years, (\d+) hires, gap (\d+\.\d\d)%\)", page)
        assert m, "no English headline"
        status, npv, gap = m[1], m[3].replace(",", ""), m[7]
    return {"status": status, "years": int(m[2]), "npv": int(npv), "met": int(m[4]),
            "targets": int(m[5]), "hires": int(m[6]), "gap": float(gap)}


def _table_after(html: str, heading: str) -> list[str]:
    """The cells of the first table after ``heading``, as the reader sees them."""
    start = html.index(heading)
    table = html[html.index("<table", start):html.index("</table>", start)]
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", table, re.S)]


def _figures(cells: list[str], lang: str) -> list[float]:
    """Every number in ``cells``, read in ``lang``'s writing (German: 1.234,5)."""
    out = []
    for cell in cells:
        for token in re.findall(r"-?\d[\d.,]*", cell):
            token = token.rstrip(".,")
            if lang == "de":
                token = token.replace(".", "").replace(",", ".")
            else:
                token = token.replace(",", "")
            out.append(float(token))
    return out


@pytest.mark.slow
def test_german_figures_are_the_english_figures_written_the_german_way(reports):
    de, en = visible_text(reports.de), visible_text(reports.en)
    assert '<html lang="en">' in reports.en and "<title>Mid-term plan: sample</title>" in reports.en
    assert "The plan, year by year" in en and "Der Plan, Jahr für Jahr" not in en
    head_de, head_en = _headline(de, "de"), _headline(en, "en")
    assert head_de == head_en and head_de["years"] == YEARS
    assert head_de["npv"] > 1_000_000  # written with thousands dots: checked by the pattern
    # the years across: every figure of the table the same, in German writing
    cells_de = _table_after(reports.de, "Wird das Ziel erreicht?")
    cells_en = _table_after(reports.en, "Is the target met?")
    assert len(cells_de) == len(cells_en) > 20
    assert _figures(cells_de, "de") == _figures(cells_en, "en")
    assert "Auftragseingang (Mio. EUR)" in cells_de and "intake (M EUR)" in cells_en
    assert re.fullmatch(r"\d+,\d", cells_de[cells_de.index("Auftragseingang (Mio. EUR)") + 1])
    assert ("ja" in cells_de) == ("yes" in cells_en)
    # the price of the targets, and the result in words: millions with a decimal comma
    cells_de = _table_after(reports.de, "Was geht verloren, wenn das Ziel gelockert wird?")
    cells_en = _table_after(reports.en, "What is lost if the target is relaxed?")
    assert _figures(cells_de, "de") == _figures(cells_en, "en")
    words_de = de[de.index("Was das Ergebnis sagt"):]
    words_en = en[en.index("Reading the result"):]
    assert re.search(r"\d+,\d Mio\. EUR", words_de) and not re.search(r"\d\.\d M EUR", words_de)
    amounts = lambda text, unit: [float(a.replace(".", "").replace(",", ".")) if unit == "Mio."  # noqa: E731
                                  else float(a.replace(",", ""))
                                  for a in re.findall(rf"(\d[\d.,]*) {re.escape(unit)} EUR", text)]
    assert amounts(words_de, "Mio.") == amounts(words_en, "M") != []


# ------------------------------------------------------- without a notebook: fast
def _plans():
    """Two plans as explain_targets reads them: 2029's company target missed, one region met."""
    years = pd.Index([2028, 2029], name="year")
    plan = lambda npv, gap, intake: SimpleNamespace(  # noqa: E731
        kpis={"npv": npv, "mip_gap": gap},
        years=pd.DataFrame({"intake": intake, "net": [npv / 2, npv / 2]}, index=years))
    mp = plan(30.0e6, 0.01, [305e6, 309e6])
    mp.targets = pd.DataFrame({"year": [2029, 2029], "scope": ["company", "region:Süd"],
                               "order_intake": [310e6, 40e6], "intake": [309e6, 41e6],
                               "shortfall": [1e6, 0.0], "met": [False, True]})
    mp.hires = pd.DataFrame({"year": [2027, 2027], "profile": ["senior", "kam"],
                             "cost_per_year": [175e3, 130e3]})
    return mp, plan(30.6e6, 0.01, [305e6, 305e6])


def test_the_result_in_words_in_german_has_the_english_figures():
    mp, ref = _plans()
    en = explain_targets(mp, ref)
    with language("de"):
        de = explain_targets(mp, ref)
    assert "2029 is missed by 1.0 M EUR (0.3% of its 310.0 M EUR)" in en
    assert "**Ziele.** Das Ziel für 2029 (Region Süd) ist erreicht; das Ziel für 2029 wird um 1,0 Mio. EUR " \
           "verfehlt (0,3 % von 310,0 Mio. EUR)." in de
    assert "**Einstellungen.** 2 Key-Account-Manager (1 kam und 1 senior im Jahr 2027), " \
           "0,3 Mio. EUR pro Jahr ab dem Einstellungsjahr." in de
    assert "**Ohne die Ziele** gewinnt der Plan 0,6 Mio. EUR Kapitalwert und gibt 4,0 Mio. EUR " \
           "Auftragseingang im Jahr 2029 auf: Das ist der Preis der Ziele (der Plan mit Zielen " \
           "liegt nachweislich höchstens 1,0 % unter dem besten Plan mit Zielen" in de
    assert not re.search(r"[A-Za-z]+ (is|are|the|of|by|gains) ", de.replace("Key-Account", ""))
    # the same amounts, in the same order
    en_amounts = [float(a.replace(",", "")) for a in re.findall(r"(\d[\d,.]*) M EUR", en)]
    de_amounts = [float(a.replace(",", ".")) for a in re.findall(r"(\d[\d,]*) Mio\. EUR", de)]
    assert de_amounts == en_amounts and len(en_amounts) == 5


def test_the_assumptions_tables_in_german():
    a = MidtermAssumptions(hire_profiles=(HireProfile(name="sr", cost_per_year=175000,
                                                      capacity_hours=1400),),
                           shortfall_penalty=0.5)
    with language("de"):
        t, h = a.table(), a.hire_table()
    assert t.index.name == "Annahme" and list(t.columns) == ["Wert"]
    assert t.loc["Abwanderung ohne Key-Account-Status", "Wert"] == "8 % des Umsatzes pro Jahr"
    assert t.loc["Ziele für den Auftragseingang", "Wert"] == "jeder EUR Zielverfehlung kostet 0,5 EUR"
    assert h.loc["sr", ["Stunden pro Jahr", "Kosten pro Jahr", "Kosten pro Stunde"]].tolist() == [
        "1.400 h", "175.000 EUR", "in den Jahreskosten enthalten"]
    # English as it was
    assert a.table().loc["order-intake targets", "value"] == "a shortfall costs 0.5 EUR per EUR"
    assert a.hire_table().loc["sr", "hours a year"] == "1,400 h"


def test_the_intake_chart_speaks_the_current_language():
    from kamopt.present.midterm_chart import intake_chart

    years = pd.DataFrame({"intake_retained": [250e6, 240e6], "intake_potential": [50e6, 62e6],
                          "intake": [300e6, 302e6], "target": [290e6, 310e6],
                          "shortfall": [0.0, 8e6]}, index=pd.Index([2027, 2028], name="year"))
    targets = pd.DataFrame({"year": [2028], "scope": ["region:Süd"], "order_intake": [50e6],
                            "intake": [48.5e6], "shortfall": [1.5e6], "met": [False]})
    mp = SimpleNamespace(years=years, targets=targets, status="feasible",
                         kpis={"mip_gap": 0.0123}, scenario=SimpleNamespace(name="base"))

    def texts(fig):
        out = [t.get_text() for ax in fig.axes for t in ax.texts]
        out += [t.get_text() for t in fig.texts]
        for ax in fig.axes:
            out += [ax.get_title(), ax.get_title("left")]
            if ax.get_legend():
                out += [t.get_text() for t in ax.get_legend().get_texts()]
        for legend in fig.legends:
            out += [t.get_text() for t in legend.get_texts()]
        return " | ".join(out)

    en = texts(intake_chart(mp))
    with language("de"):
        de = texts(intake_chart(mp))
    assert "302.0 M€" in en and "short by 8.0 M€" in en and "target 290 M€ met" in en
    assert "Other targets: region Süd 2028: 48.5 M€ against 50.0 M€, short by 1.5 M€" in en
    assert "302,0 Mio. €" in de and "8,0 Mio. € unter dem Ziel" in de
    assert "Ziel 290 Mio. € erreicht" in de
    assert "Weitere Ziele: Region Süd 2028: 48,5 Mio. € gegenüber 50,0 Mio. €, " \
           "1,5 Mio. € unter dem Ziel" in de
    assert "Lücke 1,2 %" in de and "zulässig" in de and "gehaltener Umsatz" in de
    assert "M€" not in de.replace("Mio. €", "") and "target" not in de
