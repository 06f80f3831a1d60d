"""Loading and saving cases: plain CSV, German-Excel CSV and .xlsx (spec section 1)."""

from __future__ import annotations

import io
import math
import os
import re
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from small_case import ACTIVITIES, DEPARTMENTS, RESPONSES

from kamopt.case.io import load_case, save_case
from kamopt.case.numbers import GERMAN, PLAIN, format_number_de, parse_numbers
from kamopt.case.tables import Case
from kamopt.case.validate import check_case
from kamopt.errors import CaseError

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- a small case
CUSTOMERS = """\
customer_id,name,region,industry,revenue,margin,potential,kam_hours,tier,current_manager,status
C1,Müller GmbH,Süd,Chemie,1234567.89,0.3,50000,120,2,M1,
C2,Beta AG,Nord,Pharma,200,0.25,1000.5,50,1,,must
C3,"Gamma, Kunz & Co",West,Auto,0,0,0,10.25,3,M2,exclude
"""
MANAGERS = """\
manager_id,name,region,industries,seniority,capacity_hours,hourly_cost,role
M1,Anna Schmidt,Süd,Chemie;Pharma,3,1600,95.5,kam
M2,Bernd Weber,Nord,Auto | Chemie,2,1200,80,executive
"""
PLAIN_CASE = {
    "customers": CUSTOMERS,
    "managers": MANAGERS,
    "activities": ACTIVITIES,
    "departments": DEPARTMENTS,
    "responses": RESPONSES,
}

# The same case as German Excel saves it: ';', decimal comma, thousands dots, cp1252, CRLF.
GERMAN_CASE = {
    "customers": """\
customer_id;name;region;industry;revenue;margin;potential;kam_hours;tier;current_manager;status
C1;Müller GmbH;Süd;Chemie;1.234.567,89;0,3;50.000;120;2;M1;
C2;Beta AG;Nord;Pharma;200;0,25;1.000,5;50;1;;must
C3;Gamma, Kunz & Co;West;Auto;0;0;0;10,25;3;M2;exclude
""",
    "managers": """\
manager_id;name;region;industries;seniority;capacity_hours;hourly_cost;role
M1;Anna Schmidt;Süd;"Chemie;Pharma";3;1.600;95,5;kam
M2;Bernd Weber;Nord;Auto | Chemie;2;1.200;80;executive
""",
    "activities": """\
activity_id;name;kind;cost;kam_hours;uplift;department;dept_hours
A1;Logistik-Paket;logistics;2.500;10;0,05;Logistik;20
A2;Schulung;training;800;5;0,02;;0
""",
    "departments": """\
department;capacity_hours
Logistik;2.000
""",
    "responses": """\
customer_id;level;hours;realization
C1;light;60;0,2
C1;standard;120;0,3
""",
}


def write_case(
    folder: Path, tables: dict[str, str], encoding: str = "utf-8", crlf: bool = False
) -> Path:
    """Write CSV texts as a case folder; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        if crlf:
            text = text.replace("\n", "\r\n")
        (folder / f"{name}.csv").write_bytes(text.encode(encoding))
    return folder


def write_workbook(
    path: Path, tables: dict[str, str], titles: dict[str, str] | None = None
) -> Path:
    """Write plain CSV texts as a workbook with native numbers, as a user would type them."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, text in tables.items():
        ws = wb.create_sheet((titles or {}).get(name, name))
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([_typed(v) for v in row])
    wb.save(path)
    return path


def _typed(v: str) -> object:
    if v == "":
        return None
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v


@pytest.fixture
def plain_dir(tmp_path: Path) -> Path:
    return write_case(tmp_path / "plain", PLAIN_CASE)


@pytest.fixture
def german_dir(tmp_path: Path) -> Path:
    return write_case(tmp_path / "german", GERMAN_CASE, encoding="cp1252", crlf=True)


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "case.xlsx", PLAIN_CASE)


# --------------------------------------------------------------------- loading
def test_plain_csv_loads_typed_tables_indexed_by_id(plain_dir):
    case = load_case(plain_dir)
    c, m = case.customers, case.managers
    assert isinstance(case, Case)
    assert c.index.name == "customer_id" and c.index.tolist() == ["C1", "C2", "C3"]
    assert c.loc["C1", "revenue"] == 1234567.89
    assert c.loc["C3", "name"] == "Gamma, Kunz & Co"
    assert c.loc["C1", "name"] == "Müller GmbH"
    assert c["tier"].dtype == np.int64 and c["revenue"].dtype == np.float64
    assert c["status"].tolist() == ["", "must", "exclude"]
    assert c["current_manager"].tolist() == ["M1", "", "M2"]
    assert all(isinstance(v, str) for v in c["current_manager"])
    assert m.loc["M1", "industries"] == ("Chemie", "Pharma")
    assert m.loc["M2", "industries"] == ("Auto", "Chemie")
    assert m["role"].tolist() == ["kam", "executive"]
    assert case.activities.index.name == "activity_id"
    assert case.departments.index.name == "department"
    assert isinstance(case.responses.index, pd.RangeIndex)
    assert case.responses.columns.tolist() == ["customer_id", "level", "hours", "realization"]


def test_columns_come_in_schema_order(plain_dir):
    case = load_case(plain_dir)
    assert case.customers.columns.tolist() == [
        "name", "region", "industry", "revenue", "margin", "potential",
        "kam_hours", "tier", "current_manager", "status", "potential_low", "potential_high",
    ]  # fmt: skip
    assert case.managers.columns.tolist() == [
        "name", "region", "industries", "seniority", "capacity_hours", "hourly_cost", "role",
        "min_hours", "max_hours", "max_share",
    ]  # fmt: skip


def test_source_is_the_path_as_given(plain_dir, workbook):
    assert load_case(plain_dir).source == str(plain_dir)
    assert load_case(str(workbook)).source == str(workbook)


def test_german_excel_csv_equals_plain_csv(plain_dir, german_dir):
    assert b"M\xfcller GmbH" in (german_dir / "customers.csv").read_bytes()  # cp1252
    german = load_case(german_dir)
    assert german == load_case(plain_dir)
    assert german.customers.loc["C1", "revenue"] == 1234567.89
    assert german.customers.loc["C1", "name"] == "Müller GmbH"
    assert german.customers.loc["C3", "kam_hours"] == 10.25
    assert german.managers.loc["M1", "capacity_hours"] == 1600.0


def test_workbook_equals_plain_csv(plain_dir, workbook):
    assert load_case(workbook) == load_case(plain_dir)


def test_the_three_forms_give_equal_cases(plain_dir, german_dir, workbook):
    plain, german, book = load_case(plain_dir), load_case(german_dir), load_case(workbook)
    assert plain == german == book


def test_utf8_with_bom_and_crlf(tmp_path, plain_dir):
    folder = write_case(tmp_path / "bom", PLAIN_CASE, encoding="utf-8-sig", crlf=True)
    assert (folder / "customers.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_case(folder) == load_case(plain_dir)


def test_utf16_unicode_text_with_tabs(tmp_path, plain_dir):
    """Excel's 'Unicode Text' export: UTF-16 with BOM, tab-separated."""
    tables = {
        k: v.replace(";", "\t").replace('"Chemie\tPharma"', "Chemie;Pharma")
        for k, v in GERMAN_CASE.items()
    }
    folder = write_case(tmp_path / "utf16", tables, encoding="utf-16")
    assert load_case(folder) == load_case(plain_dir)


def test_dialect_is_decided_per_file(tmp_path, plain_dir):
    """German customers next to plain managers."""
    tables = dict(PLAIN_CASE, customers=GERMAN_CASE["customers"])
    folder = write_case(tmp_path / "mixed", tables)
    (folder / "customers.csv").write_bytes(GERMAN_CASE["customers"].encode("cp1252"))
    assert load_case(folder) == load_case(plain_dir)


def test_dot_means_thousands_in_german_file_and_decimal_in_plain_file(tmp_path):
    base = {"managers": MANAGERS}
    head = "customer_id{s}revenue{s}margin{s}potential{s}kam_hours\n"
    german = write_case(
        tmp_path / "de",
        dict(base, customers=head.format(s=";") + "C1;1.234;0,5;1.234;1,5\n"),
    )
    plain = write_case(
        tmp_path / "plain",
        dict(base, customers=head.format(s=",") + "C1,1.234,0.5,1.234,1.5\n"),
    )
    assert load_case(german).customers.loc["C1", "revenue"] == 1234.0
    assert load_case(plain).customers.loc["C1", "revenue"] == 1.234


def test_semicolon_file_with_decimal_points_is_read_with_points(tmp_path):
    """No number has a comma and every dotted one is a plain decimal: points it is."""
    customers = "customer_id;revenue;margin;potential;kam_hours\nC1;1234.5;0.35;100;12.5\n"
    folder = write_case(tmp_path / "c", {"customers": customers, "managers": MANAGERS})
    c = load_case(folder).customers
    assert c.loc["C1", ["revenue", "margin", "kam_hours"]].tolist() == [1234.5, 0.35, 12.5]


def test_plain_file_accepts_thousands_commas_in_quotes(tmp_path):
    customers = 'customer_id,revenue,margin,potential,kam_hours\nC1,"1,234,567.5",0.3,"2,000",10\n'
    folder = write_case(tmp_path / "c", {"customers": customers, "managers": MANAGERS})
    c = load_case(folder).customers
    assert c.loc["C1", "revenue"] == 1234567.5 and c.loc["C1", "potential"] == 2000.0


def test_percent_and_euro_signs_as_excel_formats_them(tmp_path):
    customers = (
        "customer_id;revenue;margin;potential;kam_hours\n"
        "C1;1.234,50 €;12 %;€ 3.000;10\n"
        "C2;0;7,5%;0;1\n"
    )
    folder = write_case(tmp_path / "c", {"customers": customers, "managers": MANAGERS})
    c = load_case(folder).customers
    assert c.loc["C1", "revenue"] == 1234.5 and c.loc["C1", "potential"] == 3000.0
    assert c["margin"].tolist() == pytest.approx([0.12, 0.075])


def test_sep_line_from_excel_is_honoured(tmp_path, plain_dir):
    tables = dict(GERMAN_CASE)
    tables["customers"] = "sep=;\n" + tables["customers"]
    folder = write_case(tmp_path / "sep", tables, encoding="cp1252")
    assert load_case(folder) == load_case(plain_dir)


def test_column_names_match_without_regard_to_case_and_spaces(tmp_path, plain_dir):
    header = (
        " Customer ID ,NAME,Region , Industry,REVENUE,Margin,potential,KAM Hours,"
        "Tier,Current Manager,  status"
    )
    customers = header + "\n" + CUSTOMERS.split("\n", 1)[1]
    folder = write_case(tmp_path / "odd", dict(PLAIN_CASE, customers=customers))
    assert load_case(folder) == load_case(plain_dir)


def test_column_order_in_the_file_does_not_matter(tmp_path, plain_dir):
    frame = pd.read_csv(io.StringIO(MANAGERS), dtype=str, keep_default_na=False)
    text = frame[frame.columns[::-1]].to_csv(index=False)
    folder = write_case(tmp_path / "rev", dict(PLAIN_CASE, managers=text))
    assert load_case(folder) == load_case(plain_dir)


def test_extra_columns_are_kept_after_the_known_ones(tmp_path):
    customers = (
        "customer_id, Key Account Owner ,revenue,margin,potential,kam_hours,Notes\n"
        "C1,Anna,100,0.3,10,5,first\n"
        "C2,,200,0.2,20,5,\n"
    )
    folder = write_case(tmp_path / "x", {"customers": customers, "managers": MANAGERS})
    c = load_case(folder).customers
    assert c.columns.tolist()[-2:] == ["Key Account Owner", "Notes"]
    assert c["Key Account Owner"].tolist() == ["Anna", ""]
    assert c["Notes"].tolist() == ["first", ""]
    assert c.columns.tolist()[:10] == [
        "name", "region", "industry", "revenue", "margin", "potential",
        "kam_hours", "tier", "current_manager", "status",
    ]  # fmt: skip


def test_defaults_fill_missing_columns_and_empty_cells(tmp_path):
    customers = (
        "customer_id,revenue,margin,potential,kam_hours,tier\nC1,100,0.3,10,5,\nC2,200,0.2,20,5,3\n"
    )
    managers = (
        "manager_id,capacity_hours,role,hourly_cost,seniority\nM1,1000,,,\nM2,500,executive,50,2\n"
    )
    folder = write_case(tmp_path / "d", {"customers": customers, "managers": managers})
    case = load_case(folder)
    c, m = case.customers, case.managers
    assert c["tier"].tolist() == [1, 3] and c["tier"].dtype == np.int64
    assert c["status"].tolist() == ["", ""] and c["current_manager"].tolist() == ["", ""]
    assert c["name"].tolist() == ["", ""]
    assert m["role"].tolist() == ["kam", "executive"]
    assert m["hourly_cost"].tolist() == [0.0, 50.0]
    assert m["seniority"].tolist() == [1, 2]
    assert m["industries"].tolist() == [(), ()]


def test_text_is_stripped_and_choices_are_case_insensitive(tmp_path):
    customers = (
        "customer_id,name,revenue,margin,potential,kam_hours,status\n"
        "  C1 ,  Alpha  ,100,0.3,10,5, MUST \n"
    )
    managers = "manager_id,capacity_hours,role,industries\nM1,1000,Executive, Chemie ;; | Bau \n"
    folder = write_case(tmp_path / "s", {"customers": customers, "managers": managers})
    case = load_case(folder)
    assert case.customers.index.tolist() == ["C1"]
    assert case.customers.loc["C1", "name"] == "Alpha"
    assert case.customers.loc["C1", "status"] == "must"
    assert case.managers.loc["M1", "role"] == "executive"
    assert case.managers.loc["M1", "industries"] == ("Chemie", "Bau")


def test_missing_optional_tables_are_empty_with_the_right_columns(tmp_path, plain_dir):
    folder = write_case(tmp_path / "min", {"customers": CUSTOMERS, "managers": MANAGERS})
    case = load_case(folder)
    full = load_case(plain_dir)
    for name in ("activities", "departments", "responses"):
        empty, given = case.tables[name], full.tables[name]
        assert len(empty) == 0
        assert empty.columns.tolist() == given.columns.tolist()
        assert empty.dtypes.tolist() == given.dtypes.tolist()
        assert empty.index.name == given.index.name
    assert isinstance(case.responses.index, pd.RangeIndex)


def test_header_only_optional_table_is_an_empty_table(tmp_path):
    tables = {
        "customers": CUSTOMERS,
        "managers": MANAGERS,
        "activities": ACTIVITIES.split("\n", 1)[0] + "\n",
        "departments": "",
    }
    case = load_case(write_case(tmp_path / "h", tables))
    assert len(case.activities) == 0 and len(case.departments) == 0


def test_blank_rows_and_trailing_separators_are_ignored(tmp_path, plain_dir):
    tables = dict(GERMAN_CASE)
    lines = tables["customers"].splitlines()
    tables["customers"] = "\n".join(
        [lines[0] + ";;", lines[1] + ";;", ";;;;;;;;;;;;", "", lines[2], lines[3], ";;;;", ""]
    )
    folder = write_case(tmp_path / "b", tables, encoding="cp1252")
    assert load_case(folder) == load_case(plain_dir)


def test_file_and_sheet_names_match_without_regard_to_case(tmp_path, plain_dir):
    folder = write_case(tmp_path / "upper", {})
    for name, text in PLAIN_CASE.items():
        (folder / f"{name.capitalize()}.CSV").write_text(text, encoding="utf-8")
    assert load_case(folder) == load_case(plain_dir)
    titles = {name: name.upper() + " " for name in PLAIN_CASE}
    book = write_workbook(tmp_path / "Upper.xlsx", PLAIN_CASE, titles=titles)
    assert load_case(book) == load_case(plain_dir)


def test_workbook_with_text_cells_and_blank_rows(tmp_path, plain_dir):
    book = write_workbook(tmp_path / "case.xlsx", PLAIN_CASE)
    wb = openpyxl.load_workbook(book)
    ws = wb["customers"]
    ws["E3"] = "200"  # a number typed as text
    ws.insert_rows(3)  # a blank row between C1 and C2
    wb.save(book)
    assert load_case(book) == load_case(plain_dir)


def test_loading_never_changes_the_files(plain_dir, german_dir, workbook):
    paths = [*plain_dir.iterdir(), *german_dir.iterdir(), workbook]
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}
    for case in (plain_dir, german_dir, workbook):
        load_case(case)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths} == before
    assert sorted(p.name for p in plain_dir.iterdir()) == sorted(f"{n}.csv" for n in PLAIN_CASE)


# ---------------------------------------------------------------------- saving
@pytest.mark.parametrize("form", ["plain", "excel-de", "xlsx"])
def test_save_then_load_is_equal(tmp_path, plain_dir, form):
    case = load_case(plain_dir)
    target = tmp_path / ("out.xlsx" if form == "xlsx" else "out")
    save_case(case, target, dialect="plain" if form == "xlsx" else form)
    again = load_case(target)
    assert again == case
    assert again.customers.columns.tolist() == case.customers.columns.tolist()


def test_save_excel_de_writes_what_german_excel_writes(tmp_path, plain_dir):
    out = save_case(load_case(plain_dir), tmp_path / "de", dialect="excel-de")
    data = (out / "customers.csv").read_bytes()
    assert b"M\xfcller GmbH" in data  # cp1252
    text = data.decode("cp1252")
    assert text.startswith("customer_id;name;region;")
    assert "\r\n" in text
    assert ";1.234.567,89;0,3;50.000;120;2;M1;\r\n" in text
    assert '"Gamma, Kunz & Co"' not in text and ";Gamma, Kunz & Co;" in text
    managers = (out / "managers.csv").read_bytes().decode("cp1252")
    assert '"Chemie;Pharma"' in managers and ";95,5;" in managers


def test_save_replaces_the_folder_and_leaves_no_temporary_files(tmp_path, plain_dir):
    case = load_case(plain_dir)
    out = tmp_path / "out"
    save_case(case, out)
    (out / "stale.csv").write_text("old")
    save_case(case, out, dialect="excel-de")
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.csv" for n in PLAIN_CASE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "plain"]


def test_save_rejects_an_unknown_dialect(tmp_path, plain_dir):
    with pytest.raises(ValueError, match="'plain' or 'excel-de'"):
        save_case(load_case(plain_dir), tmp_path / "x", dialect="excel-fr")
    assert not (tmp_path / "x").exists()


def test_save_excel_de_refuses_text_cp1252_cannot_hold(tmp_path, plain_dir):
    case = load_case(plain_dir)
    case.customers.loc["C2", "name"] = "Łódź Sp. z o.o."
    with pytest.raises(ValueError, match=r"customers\.csv, row 3: 'Ł'.*dialect='plain'"):
        save_case(case, tmp_path / "x", dialect="excel-de")
    assert not (tmp_path / "x").exists()
    save_case(case, tmp_path / "y")  # UTF-8 holds it
    assert load_case(tmp_path / "y").customers.loc["C2", "name"] == "Łódź Sp. z o.o."


# -------------------------------------------------------------- number styles
finite = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(finite, st.integers(-(10**15), 10**15)), min_size=1, max_size=20))
def test_german_number_format_parses_back_exactly(xs):
    values, bad = parse_numbers([format_number_de(x) for x in xs], GERMAN)
    assert not bad.any()
    assert values.tolist() == [float(x) for x in xs]


@settings(max_examples=300, deadline=None)
@given(st.lists(finite, min_size=1, max_size=20))
def test_plain_repr_parses_back_exactly(xs):
    values, bad = parse_numbers([repr(x) for x in xs], PLAIN)
    assert not bad.any() and values.tolist() == xs


def test_bad_numbers_are_flagged_not_nan():
    values, bad = parse_numbers(["abc", "1.23", "1,2,3", "nan", "inf", "1e999", "", "12"], GERMAN)
    assert bad.tolist() == [True, True, True, True, True, True, False, False]
    assert math.isnan(values[6]) and values[7] == 12.0


# ------------------------------------------------------------ the sample case
def test_sample_company_loads_equally_in_all_three_forms(tmp_path):
    sample = ROOT / "data" / "sample"
    if not (sample / "customers.csv").exists():
        pytest.skip("data/sample/customers.csv does not exist yet")
    case = load_case(sample)
    save_case(case, tmp_path / "de", dialect="excel-de")
    save_case(case, tmp_path / "case.xlsx")
    assert load_case(tmp_path / "de") == case
    assert load_case(tmp_path / "case.xlsx") == case
    check_case(case)


def test_generated_sample_round_trips_through_all_three_forms(tmp_path):
    sample = pytest.importorskip("kamopt.case.sample")
    case = sample.make_case(customers=120, managers=6, seed=11)
    for target, dialect in (
        (tmp_path / "p", "plain"),
        (tmp_path / "d", "excel-de"),
        (tmp_path / "c.xlsx", "plain"),
    ):
        save_case(case, target, dialect=dialect)
        assert load_case(target) == case, target


# ----------------------------------------------------------------- performance
def test_loading_20000_customers_is_fast(tmp_path):
    rng = np.random.default_rng(3)
    n = 20_000
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "name": [f"Kunde {i} GmbH" for i in range(n)],
            "revenue": rng.gamma(2, 5e5, n).round(2),
            "margin": rng.uniform(0, 0.5, n).round(4),
            "potential": rng.gamma(2, 2e5, n).round(2),
            "kam_hours": rng.uniform(10, 300, n).round(1),
            "tier": rng.integers(1, 4, n),
            "current_manager": rng.choice(["M1", "M2", ""], n),
        }
    )
    folder = write_case(tmp_path / "big", {"managers": MANAGERS})
    customers.to_csv(folder / "customers.csv", index=False)
    load_case(folder)  # warm up imports
    start = time.perf_counter()
    case = load_case(folder)
    seconds = time.perf_counter() - start
    assert len(case.customers) == n
    assert seconds < 2.0, f"loading {n} customers took {seconds:.2f} s"


def test_errors_are_case_errors_with_exit_status_2(tmp_path):
    with pytest.raises(CaseError) as info:
        load_case(tmp_path / "nowhere")
    assert info.value.exit_code == 2
    assert os.fspath(tmp_path / "nowhere") in str(info.value)


# ------------------------------------------- workbooks written by programs other than Excel
def _patch_sheet(src: Path, dst: Path, title: str, change) -> Path:
    """Copy workbook ``src`` to ``dst`` with the XML of sheet ``title`` changed by ``change``."""
    import zipfile

    with zipfile.ZipFile(src) as z:
        wbx = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet [^>]*name="{title}"[^>]*r:id="(rId\d+)"', wbx).group(1)
        rel = re.search(rf'<Relationship[^>]*Id="{rid}"[^>]*>', rels).group(0)
        part = "xl/" + re.search(r'Target="/?(?:xl/)?([^"]+)"', rel).group(1)
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
            for item in z.infolist():
                data = z.read(item.filename)
                out.writestr(item, change(data.decode()).encode() if item.filename == part
                             else data)
    return dst


def test_a_sheet_whose_recorded_used_range_is_too_small_is_read_whole(tmp_path, plain_dir):
    """Excel ignores a sheet's recorded size (<dimension ref=...>); so must kamopt, or columns
    and rows beyond it are lost without a word (here: customers' status and 2 of 3 rows)."""
    book = write_workbook(tmp_path / "case.xlsx", PLAIN_CASE)
    small = _patch_sheet(book, tmp_path / "small.xlsx", "customers",
                         lambda t: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:J2"', t))
    assert load_case(small) == load_case(plain_dir)


@pytest.mark.parametrize("damage, expected", [
    (lambda t: t[: len(t) // 2], "customers]: cannot be read as an Excel sheet (ParseError"),
    (lambda t: t.replace("<v>1234567.89</v>", "<v>abc</v>"), "cannot be read as an Excel sheet"),
])
def test_a_damaged_sheet_is_bad_input_not_an_internal_error(damage, expected, tmp_path):
    book = write_workbook(tmp_path / "case.xlsx", PLAIN_CASE)
    bad = _patch_sheet(book, tmp_path / "bad.xlsx", "customers", damage)
    with pytest.raises(CaseError, match=re.escape(expected)) as err:
        load_case(bad)
    assert err.value.exit_code == 2


def test_an_empty_chart_sheet_is_bad_input_not_an_internal_error(tmp_path):
    book = write_workbook(tmp_path / "case.xlsx", PLAIN_CASE)
    wb = openpyxl.load_workbook(book)
    wb.create_chartsheet("chart")
    wb.save(book)
    with pytest.raises(CaseError, match="cannot be read as an Excel workbook"):
        load_case(book)


def test_a_formula_without_a_calculated_value_is_named_not_read_as_empty(tmp_path):
    """A program that writes formulas (openpyxl, pandas) stores no result: the cell would read
    as empty and the column's default (tier 1, no status) would be planned unsaid."""
    book = write_workbook(tmp_path / "case.xlsx", PLAIN_CASE)
    wb = openpyxl.load_workbook(book)
    wb["customers"]["I3"] = "=1+1"  # C2's tier
    wb.save(book)
    with pytest.raises(CaseError) as err:
        load_case(book)
    assert ("case.xlsx[customers], row 3, column 'tier': holds the formula '=1+1' without a "
            "calculated value") in str(err.value)


def test_a_formula_with_its_calculated_value_is_read_as_that_value(tmp_path, plain_dir):
    book = write_workbook(tmp_path / "case.xlsx", PLAIN_CASE)
    # as Excel saves it: the formula and its result (C1's margin 0.3 = 0.1 + 0.2)
    done = _patch_sheet(book, tmp_path / "done.xlsx", "customers",
                        lambda t: t.replace('<c r="F2" t="n"><v>0.3</v></c>',
                                            '<c r="F2" t="n"><f>0.1+0.2</f><v>0.3</v></c>'))
    assert "<f>" in __import__("zipfile").ZipFile(done).read("xl/worksheets/sheet1.xml").decode()
    assert load_case(done) == load_case(plain_dir)


def test_a_formatted_cell_in_the_last_row_costs_no_memory(tmp_path, plain_dir):
    """One formatted empty cell in row 1,048,576 made the reader build a million empty rows."""
    import tracemalloc

    book = write_workbook(tmp_path / "case.xlsx", PLAIN_CASE)
    wb = openpyxl.load_workbook(book)
    wb["customers"].cell(1_048_576, 26).number_format = "0.00"
    wb.save(book)
    tracemalloc.start()
    try:
        case = load_case(book)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert case == load_case(plain_dir)
    assert peak < 100e6, f"{peak / 1e6:.0f} MB"


def test_the_midterm_sheets_are_read_whole_too(tmp_path):
    """targets: a recorded size of one row must not drop the others."""
    from kamopt.case.assumptions import load_targets

    case = load_case(write_workbook(tmp_path / "c.xlsx", PLAIN_CASE))
    wb = openpyxl.load_workbook(tmp_path / "c.xlsx")
    ws = wb.create_sheet("targets")
    for row in (["year", "scope", "order_intake"], [2027, "company", 100.0], [2028, "company", 120.0]):
        ws.append(row)
    wb.save(tmp_path / "c.xlsx")
    _patch_sheet(tmp_path / "c.xlsx", tmp_path / "t.xlsx", "targets",
                 lambda t: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:C2"', t))
    targets = load_targets(case, folder=tmp_path / "t.xlsx")
    assert targets["year"].tolist() == [2027, 2028]
