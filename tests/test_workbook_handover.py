"""The workbooks a consultant hands on (issue 22, item 4): plan.xlsx, compare --excel and
sensitivity --excel, in English and German.

Human headers with units, a bold filled header row, every sheet's data an Excel table,
shares as percentages, yes/no, names beside ids, activities by name, the solver's figures
on a Technical sheet only, no local path anywhere, the same figures in both languages, and
text from client data never a formula."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kamopt import Scenario, load_case, plan
from kamopt.analysis.sensitivity import sweep
from kamopt.analysis.store import compare
from kamopt.case.sample import make_case
from kamopt.i18n import language
from kamopt.planning.outputs import write_plan_outputs
from kamopt.planning.workbook import HEADER_FILL, source_name

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "de")
PATHLIKE = re.compile(r"(^|[\s'\"(=])(/[\w.-]+/|[A-Za-z]:\\)|://[^/\s]*@")
TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


@pytest.fixture(scope="module")
def sample_plan():
    case = load_case(ROOT / "data" / "sample")
    sc = Scenario.from_yaml(ROOT / "data" / "scenarios" / "base.yml").replace(mip_gap=0.01)
    return case, plan(case, sc)


@pytest.fixture(scope="module")
def plan_books(sample_plan, tmp_path_factory):
    _, p = sample_plan
    folder = tmp_path_factory.mktemp("plan")
    books = {}
    for lang in LANGS:
        with language(lang):
            p.to_excel(folder / f"plan_{lang}.xlsx")
        books[lang] = folder / f"plan_{lang}.xlsx"
    return books


@pytest.fixture(scope="module")
def compare_books(sample_plan, tmp_path_factory):
    case, p = sample_plan
    root = tmp_path_factory.mktemp("cmp")
    write_plan_outputs(p, root / "base")
    write_plan_outputs(plan(case, p.scenario.replace(name="lean", capacity_scale=0.7)),
                       root / "lean")
    cmp = compare([root / "base", root / "lean"], case=case)
    books = {}
    for lang in LANGS:
        with language(lang):
            cmp.to_excel(root / f"cmp_{lang}.xlsx")
        books[lang] = root / f"cmp_{lang}.xlsx"
    return cmp, books


@pytest.fixture(scope="module")
def sweep_books(tmp_path_factory):
    case = make_case(customers=30, managers=3, seed=1)
    sw = sweep(case, Scenario(mip_gap=0.0), "realization", [0.1, 0.3, 0.6])
    folder = tmp_path_factory.mktemp("sweep")
    books = {}
    for lang in LANGS:
        with language(lang):
            sw.to_excel(folder / f"sweep_{lang}.xlsx")
        books[lang] = folder / f"sweep_{lang}.xlsx"
    return case, sw, books


# ------------------------------------------------------------------ helpers
def headers(ws) -> list:
    return [c.value for c in ws[1]]


def column(ws, header: str) -> list:
    j = headers(ws).index(header)
    return [row[j] for row in ws.iter_rows(min_row=2)]


def figures(ws) -> dict:
    return {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}


def charts(path: Path) -> int:
    with zipfile.ZipFile(path) as z:
        return sum(n.startswith("xl/charts/chart") for n in z.namelist())


def assert_handed_on(path: Path, *forbidden: str) -> None:
    """Every sheet: a table from A1 over its header and rows, a bold filled frozen header
    of unique text, a valid name; no cell with a local path."""
    wb = openpyxl.load_workbook(path)
    names = []
    for ws in wb:
        assert len(ws.title) <= 31 and not set(ws.title) & set("[]:*?/\\"), ws.title
        assert ws.freeze_panes == "A2", ws.title
        head = headers(ws)
        assert all(isinstance(h, str) and h for h in head) and len(set(head)) == len(head)
        for c in ws[1]:
            assert c.font.bold and c.fill.fgColor.rgb.endswith(HEADER_FILL), (ws.title, c.value)
        assert len(ws.tables) == 1, ws.title
        (name, ref), = ws.tables.items()
        assert TABLE_NAME.fullmatch(name) and name not in names
        names.append(name)
        last = openpyxl.utils.get_column_letter(len(head))
        assert ref == f"A1:{last}{max(ws.max_row, 2)}", (ws.title, ref)
        assert ws.auto_filter.ref is None  # the table's own filter, no second one
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    assert not PATHLIKE.search(c.value), (ws.title, c.coordinate, c.value)
                    for f in (str(ROOT), "/tmp", *forbidden):
                        assert f not in c.value, (ws.title, c.coordinate, c.value)


def assert_same_figures(en: Path, de: Path) -> None:
    """The German workbook has the English one's numbers and formats; only text differs."""
    a, b = openpyxl.load_workbook(en), openpyxl.load_workbook(de)
    assert len(a.sheetnames) == len(b.sheetnames)
    for wa, wb_ in zip(a, b, strict=True):
        assert (wa.max_row, wa.max_column) == (wb_.max_row, wb_.max_column), wa.title
        for ra, rb in zip(wa.iter_rows(), wb_.iter_rows(), strict=True):
            for ca, cb in zip(ra, rb, strict=True):
                if isinstance(ca.value, (int, float)) or isinstance(cb.value, (int, float)):
                    assert ca.value == cb.value, (wa.title, ca.coordinate)
                    assert ca.number_format == cb.number_format, (wa.title, ca.coordinate)
                else:
                    assert (ca.value is None) == (cb.value is None), (wa.title, ca.coordinate)


# --------------------------------------------------------------- plan.xlsx
@pytest.mark.parametrize("lang", LANGS)
def test_the_plan_workbook_is_tables_with_styled_headers_and_no_path(plan_books, lang):
    assert_handed_on(plan_books[lang], "data/sample")
    assert charts(plan_books[lang]) >= 1  # the managers' utilisation


def test_the_plan_workbook_reads_in_business_words(sample_plan, plan_books):
    case, p = sample_plan
    wb = openpyxl.load_workbook(plan_books["en"])
    assert wb.sheetnames == ["Summary", "Accounts", "Managers", "Departments", "Scenario",
                             "Technical"]
    summary = figures(wb["Summary"])
    assert summary["Case"] == "sample" and summary["Scenario"] == "base"
    assert summary["Key accounts"] == p.kpis["key_accounts"]
    assert summary["Customers"] == len(case.customers)
    assert summary["Activities run"] == p.kpis["activities_run"]
    assert summary["Net contribution (EUR a year)"] == pytest.approx(p.objective)
    assert summary["KAM hours used of capacity (%)"] == pytest.approx(
        p.kpis["hours_used"] / p.kpis["hours_available"])
    assert summary["Key accounts changing hands"] == p.kpis["accounts_changing_hands"]
    assert summary["Assumption: share of a key account's potential realised at standard "
                   "coverage"] == 0.3
    formats = {r[0].value: r[1].number_format for r in wb["Summary"].iter_rows(min_row=2)}
    assert formats["KAM hours used of capacity (%)"] == "0.0%"
    assert formats["Net contribution (EUR a year)"] == "#,##0"
    said = " ".join(str(k).lower() for k in summary)
    for solver_word in ("columns", "rows", "build_seconds", "bound", "mip", "seconds"):
        assert solver_word not in said
    tech = figures(wb["Technical"])
    assert tech["Proven MIP gap (%)"] == pytest.approx(p.kpis["mip_gap"])
    assert tech["Columns of the model (decisions)"] == p.kpis["columns"]
    assert tech["Rows of the model (rules)"] == p.kpis["rows"]
    assert tech["Status"] == p.status and tech["Stopped by"] == p.kpis["stopped_by"]
    gap = [r for r in wb["Technical"].iter_rows(min_row=2) if r[0].value == "Proven MIP gap (%)"]
    assert gap[0][1].number_format == "0.00%"


def test_the_accounts_have_names_beside_ids_activities_by_name_and_yes_no(sample_plan,
                                                                         plan_books):
    case, p = sample_plan
    ws = openpyxl.load_workbook(plan_books["en"])["Accounts"]
    head = headers(ws)
    assert head[:7] == ["Customer ID", "Customer name", "Key account", "Coverage level",
                        "Lead manager ID", "Lead manager", "Activities"]
    assert {"KAM hours a year", "Net contribution (EUR a year)", "Margin (%)",
            "Revenue (EUR a year)"} <= set(head)
    assert not [h for h in head if re.fullmatch(r"[a-z_]+", h)]  # no snake_case left
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(case.customers)
    for r in rows:
        assert r[1] == case.customers.at[r[0], "name"]
        assert r[2] in ("yes", "no")
        if r[4]:
            assert r[5] == case.managers.at[r[4], "name"]
    assert sum(r[2] == "yes" for r in rows) == p.kpis["key_accounts"]
    run = {a for r in rows if r[6] for a in r[6].split("; ")}
    assert run and run <= set(case.activities["name"])
    assert not any(re.search(r"\bA\d\d\b", r[6] or "") for r in rows)  # no codes
    margin = column(ws, "Margin (%)")
    assert all(c.number_format == "0.0%" for c in margin)
    assert all(c.number_format == "#,##0" for c in column(ws, "Net contribution (EUR a year)"))
    managers = openpyxl.load_workbook(plan_books["en"])["Managers"]
    assert headers(managers)[:2] == ["Manager ID", "Manager name"]
    assert all(c.number_format == "0.0%" for c in column(managers, "Utilisation (%)"))
    assert set(c.value for c in column(managers, "Role")) <= {"Executive", "Key-account manager"}


def test_the_german_plan_workbook_has_the_same_figures_in_german_words(plan_books):
    assert_same_figures(plan_books["en"], plan_books["de"])
    wb = openpyxl.load_workbook(plan_books["de"])
    assert wb.sheetnames == ["Übersicht", "Kunden", "Manager", "Abteilungen", "Szenario",
                             "Technik"]
    acc = wb["Kunden"]
    assert headers(acc)[:3] == ["Kundennummer", "Kundenname", "Key Account"]
    assert "Nettodeckungsbeitrag (EUR pro Jahr)" in headers(acc)
    assert {c.value for c in column(acc, "Key Account")} == {"ja", "nein"}
    summary = figures(wb["Übersicht"])
    assert "Nettodeckungsbeitrag (EUR pro Jahr)" in summary
    assert "Bewiesene MIP-Lücke (%)" in figures(wb["Technik"])
    assert "Auslastung (%)" in headers(wb["Manager"])


def test_a_case_is_named_without_its_path_and_a_database_without_its_password():
    assert source_name("/home/ana/Kunden/rheinwerk") == "rheinwerk"
    assert source_name("C:\\Users\\ana\\case.xlsx") == "case.xlsx"
    assert source_name("postgresql://user:pw@db.example.com/kam") == "postgresql://db.example.com/kam"
    assert source_name(None) == ""


def test_hostile_names_stay_text(tmp_path):
    case = make_case(customers=12, managers=2, seed=1)
    ids = list(case.customers.index)
    hostile = {ids[0]: '=HYPERLINK("http://example.com","klick")',
               ids[1]: "<script>alert(1)</script>", ids[2]: "+cmd|' /C calc'!A0"}
    for cid, name in hostile.items():
        case.customers.loc[cid, "name"] = name
    case.managers.loc[case.managers.index[0], "name"] = "=cmd|' /C calc'!A0"
    p = plan(case, Scenario(mip_gap=0.0, must=tuple(hostile)))
    for lang in LANGS:
        with language(lang):
            p.to_excel(tmp_path / f"p_{lang}.xlsx")
        wb = openpyxl.load_workbook(tmp_path / f"p_{lang}.xlsx")
        cells = {c.value: c for ws in wb for row in ws.iter_rows() for c in row
                 if isinstance(c.value, str)}
        for text in [*hostile.values(), "=cmd|' /C calc'!A0"]:
            assert text in cells, text
            assert cells[text].data_type == "s", text
        assert not [c for c in cells.values() if c.data_type == "f"]


# ----------------------------------------------------------------- compare
@pytest.mark.parametrize("lang", LANGS)
def test_the_comparison_workbook_is_tables_with_styled_headers_and_no_path(compare_books, lang):
    _, books = compare_books
    assert_handed_on(books[lang])
    assert charts(books[lang]) >= 2  # net contribution by plan, utilisation


def test_the_comparison_reads_in_business_words_with_names(sample_plan, compare_books):
    case, p = sample_plan
    cmp, books = compare_books
    wb = openpyxl.load_workbook(books["en"])
    assert wb.sheetnames == ["KPIs", "Key accounts", "Manager changes", "Utilisation",
                             "Technical"]
    kpis = {r[0]: dict(zip(headers(wb["KPIs"]), r, strict=True))
            for r in wb["KPIs"].iter_rows(min_row=2, values_only=True)}
    assert kpis["base"]["Net contribution (EUR a year)"] == pytest.approx(p.objective)
    assert kpis["lean"]["Change against base (EUR a year)"] < 0
    assert kpis["base"]["Plan"] == "optimal"
    ka = wb["Key accounts"]
    assert headers(ka)[:4] == ["Scenario", "Customer ID", "Customer name", "Change against base"]
    for r in ka.iter_rows(min_row=2, values_only=True):
        assert r[2] == case.customers.at[r[1], "name"]
        assert r[3] in ("becomes a key account", "is no longer a key account")
    mc = wb["Manager changes"]
    for r in mc.iter_rows(min_row=2, values_only=True):
        row = dict(zip(headers(mc), r, strict=True))
        assert row["Lead manager in base"] == case.managers.at[row["Lead manager ID in base"],
                                                               "name"]
        assert row["Lead manager"] == case.managers.at[row["Lead manager ID"], "name"]
    util = wb["Utilisation"]
    assert headers(util) == ["Manager ID", "Manager name", "Utilisation in base (%)",
                             "Utilisation in lean (%)"]
    assert all(c.number_format == "0.0%" for c in column(util, "Utilisation in base (%)")
               if c.value is not None)
    tech = wb["Technical"]
    assert all(c.number_format == "0.00%" for c in column(tech, "Proven MIP gap (%)"))
    assert "Proven MIP gap (%)" not in headers(wb["KPIs"])


def test_the_german_comparison_has_the_same_figures(compare_books):
    _, books = compare_books
    assert_same_figures(books["en"], books["de"])
    wb = openpyxl.load_workbook(books["de"])
    assert wb.sheetnames == ["Kennzahlen", "Key Accounts", "Managerwechsel", "Auslastung",
                             "Technik"]
    assert "Nettodeckungsbeitrag (EUR pro Jahr)" in headers(wb["Kennzahlen"])
    changes = {c.value for c in column(wb["Key Accounts"], "Veränderung gegenüber base")}
    assert changes <= {"wird Key Account", "ist kein Key Account mehr"}


# ------------------------------------------------------------- sensitivity
@pytest.mark.parametrize("lang", LANGS)
def test_the_sensitivity_workbook_is_tables_with_styled_headers(sweep_books, lang):
    _, _, books = sweep_books
    assert_handed_on(books[lang])
    assert charts(books[lang]) >= 1  # net contribution by plan


def test_the_sensitivity_workbook_reads_in_business_words(sweep_books):
    case, sw, books = sweep_books
    wb = openpyxl.load_workbook(books["en"])
    plans = wb["Plans"]
    share = column(plans, "Share of potential realised (%)")
    assert [c.value for c in share] == [0.1, 0.3, 0.6]
    assert all(c.number_format == "0.0%" for c in share)
    assert [c.value for c in column(plans, "Net contribution (EUR a year)")] == pytest.approx(
        sw.table["objective"].tolist())
    assert all(c.number_format == "0.00%" for c in column(plans, "Proven MIP gap (%)"))
    sel = wb["Selection"]
    assert headers(sel)[:2] == ["Customer ID", "Customer name"]
    for r in sel.iter_rows(min_row=2, values_only=True):
        assert r[1] == case.customers.at[r[0], "name"]
    swing = wb["Swing"]
    if swing.max_row > 1 and "In, out and in again" in headers(swing):
        assert {c.value for c in column(swing, "In, out and in again")} <= {"yes", "no"}


def test_the_german_sensitivity_workbook_has_the_same_figures(sweep_books):
    _, _, books = sweep_books
    assert_same_figures(books["en"], books["de"])
    wb = openpyxl.load_workbook(books["de"])
    assert wb.sheetnames == ["Pläne", "Auswahl", "Wechselnde Key Accounts"]
    assert headers(wb["Auswahl"])[2] == "Betreuungsstufe bei 10 %"
