"""The board report in German (issue 22 item 2), the scenario's report: block, and the PDF."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from kamopt.case.io import load_case, save_case
from kamopt.case.scenario import Scenario
from kamopt.errors import ReportError, ScenarioError
from kamopt.present.htmlreport import REPORT_CSS, render_report
from kamopt.present.pdf import find_browser, print_pdf

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def german(tmp_path_factory):
    """The German report of the sample read from SQLite, title block from a scenario's report:
    block."""
    folder = tmp_path_factory.mktemp("de")
    scenario = Scenario.from_yaml(ROOT / "data" / "scenarios" / "base.yml").replace(
        lang="de", report={"title": "Key-Account-Plan 2027", "author": "A. Beraterin, Muster GmbH",
                           "date": "2026-12-07", "client": "Muster <AG>"})
    path = folder / "base_de.yml"
    scenario.to_yaml(path)
    # the case straight from a database: the report reads it as kamopt plan does
    url = f"sqlite:///{folder / 'rheinwerk.db'}"
    save_case(load_case(ROOT / "data" / "sample"), url)
    out = render_report(url, path, folder / "bericht.html", mip_gap=0.01)
    return out, out.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_german_report_is_german_from_title_to_appendix(german):
    _, html = german
    assert '<html lang="de">' in html
    for heading in ("Zusammenfassung für die Geschäftsleitung", "Die Entscheidung.", "Die Risiken.",
                    "Was zu entscheiden ist.", "Optimierter Plan im Vergleich zu den Vergleichsplänen",
                    "Was ist eine Stunde mehr wert?", "Wie robust ist die Auswahl?",
                    "Technischer Anhang", "Nettodeckungsbeitrag (EUR pro Jahr)"):
        assert heading in html, heading
    for english in ("Executive summary", "The decision.", "What to decide.", "Technical appendix",
                    "Net contribution (EUR a year)", "How robust is the selection?"):
        assert english not in html, english


@pytest.mark.slow
def test_the_title_block_comes_from_the_scenario_and_is_escaped(german):
    _, html = german
    assert "Key-Account-Plan 2027" in html
    assert "Mandant: Muster &lt;AG&gt;" in html and "Muster <AG>" not in html
    assert "7. Dezember 2026" in html and "Erstellt von A. Beraterin, Muster GmbH" in html
    assert "rheinwerk.db" not in html and "/tmp" not in html  # no path of the database


@pytest.mark.slow
def test_german_figures_are_written_the_german_way(german):
    _, html = german
    summary = html[html.index("Die Entscheidung."):html.index("Was zu entscheiden ist.")]
    # millions with a decimal comma and Mio., percentages with a space before %
    assert re.search(r"\d+,\d\d Mio\. EUR pro Jahr", summary)
    assert re.search(r"\(\+\d+ %\)", summary)
    assert not re.search(r"\d\.\d\d M EUR", summary)


def test_a_scenario_names_its_language_and_title_block_or_is_refused():
    s = Scenario.from_dict({"lang": "DE", "report": {"title": "Plan 2027", "author": "X"}})
    assert s.lang == "de" and dict(s.report) == {"title": "Plan 2027", "author": "X"}
    assert Scenario.from_dict(s.to_dict()) == s
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict({"lang": "fr", "report": {"titel": "x"}})
    text = str(err.value)
    assert "'lang': got 'fr'; must be one of: en, de" in text
    assert "'report.titel'" in text and "title, client, author, date" in text


def test_the_report_command_refuses_an_unknown_language_before_any_work(tmp_path):
    run = subprocess.run([str(ROOT / ".venv" / "bin" / "kamopt"), "report", "data/sample",
                          "--lang", "fr", "--out", str(tmp_path / "r.html")],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2 and "invalid choice: 'fr'" in run.stderr
    assert "Traceback" not in run.stderr and not list(tmp_path.iterdir())


@pytest.mark.skipif(find_browser() is None, reason="Chromium is not installed (make browser)")
def test_the_pdf_is_printed_on_a4_and_swapped_in_whole(tmp_path):
    page = tmp_path / "r.html"
    page.write_text(f"<!doctype html><html><head>{REPORT_CSS}</head><body><h1>Bericht</h1>"
                    "</body></html>", encoding="utf-8")  # A4 comes from the report's print CSS
    out = print_pdf(page, tmp_path / "r.pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert re.search(rb"/MediaBox\s*\[\s*0 0 59[45](\.\d+)? 84[12](\.\d+)?\s*\]", data)  # A4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.pdf"]


def test_without_chromium_the_pdf_is_refused_with_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("KAMOPT_CHROMIUM", str(tmp_path / "no-such-browser"))
    monkeypatch.setenv("PATH", str(tmp_path))
    page = tmp_path / "r.html"
    page.write_text("<html></html>", encoding="utf-8")
    with pytest.raises(ReportError, match="apt-get install chromium"):
        print_pdf(page, tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()
