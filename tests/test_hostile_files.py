"""Self-expanding and oversized input (issue 20, items 2, 3 and 11).

A scenario or assumptions file whose aliases expand a billion times, a
workbook whose sheet unpacks to hundreds of MB from a few hundred KB, a CSV
file or table beyond the limits: each is refused with exit status 2 naming
the file and the limit (``kamopt.case.limits``, docs/limits.md), before it
grows. The command-line runs are capped at 1.5 GB of address space, so a
reader that expands what it reads dies (exit 1, ``MemoryError``) instead of
taking the machine; nothing here measures time.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kamopt.case import limits, workbook
from kamopt.case.io import load_case, save_case
from kamopt.case.records import tiny_case
from kamopt.case.sample import make_case
from kamopt.case.scenario import Scenario, read_yaml
from kamopt.errors import CaseError, ScenarioError

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
CAP = 1_500_000_000  # bytes of address space a run may have (the CLI needs about 0.4 GB)


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def run(*args: str) -> subprocess.CompletedProcess:
    """The installed console command under a memory cap (the timeout only ends a hung run)."""
    exe = Path(sys.executable).with_name("kamopt")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=600,
                          preexec_fn=_cap_memory)


def refused(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    for word in words:
        assert word in r.stderr, r.stderr


# ----------------------------------------------------------------- YAML
def billion_laughs(path: Path, key: str = "must") -> Path:
    """About 350 bytes whose aliases expand to 9**9 = 387 million strings."""
    parts = ['&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        parts.append(f"&{'abcdefghi'[i]} [" + ",".join([f"*{'abcdefghi'[i - 1]}"] * 9) + "]")
    path.write_text(f"{key}: [" + ", ".join(parts) + "]\n")
    assert path.stat().st_size < 400
    return path


def test_a_billion_laughs_scenario_is_refused_by_the_cli(tmp_path):
    bomb = billion_laughs(tmp_path / "laughs.yml")
    refused(run("check", str(SAMPLE), "--scenario", str(bomb)),
            "laughs.yml", f"more than {limits.MAX_YAML_VALUES:,} values", "docs/limits.md")


def test_a_billion_laughs_assumptions_file_is_refused_by_the_cli(tmp_path):
    bomb = billion_laughs(tmp_path / "midterm.yml", key="ramp")
    refused(run("plan", str(SAMPLE), "--assumptions", str(bomb), "--out", str(tmp_path / "out")),
            "The mid-term assumptions have problems", "midterm.yml",
            f"more than {limits.MAX_YAML_VALUES:,} values")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("key", ["must", "description", "leads", "levels", "hires"])
def test_a_billion_laughs_is_refused_under_any_key(tmp_path, key):
    with pytest.raises(ScenarioError, match="laughs.yml: expands its aliases"):
        Scenario.from_yaml(billion_laughs(tmp_path / "laughs.yml", key))


def test_too_many_aliases_too_deep_and_self_reference_are_refused(tmp_path):
    many = tmp_path / "many.yml"
    many.write_text("must: [&a K1, " + ", ".join(["*a"] * (limits.MAX_YAML_ALIASES + 1)) + "]\n")
    with pytest.raises(ScenarioError, match=r"many.yml, row 1: holds more than 10,000 aliases"):
        read_yaml(many)
    deep = tmp_path / "deep.yml"
    deep.write_text("must: " + "[" * 5000 + "]" * 5000 + "\n")  # was a RecursionError (exit 1)
    with pytest.raises(ScenarioError, match=r"deep.yml, row 1: nests values more than 50 deep"):
        read_yaml(deep)
    loop = tmp_path / "loop.yml"
    loop.write_text("must: &a [K1, *a]\n")
    with pytest.raises(ScenarioError, match="loop.yml: holds an alias .* inside the value it names"):
        read_yaml(loop)


def test_an_oversized_yaml_file_is_refused_without_being_parsed(tmp_path):
    big = tmp_path / "big.yml"
    with open(big, "w") as f:  # a comment: nothing to expand, but 2 MB of it
        f.write("# " + "x" * limits.MAX_YAML_BYTES + "\nname: big\n")
    with pytest.raises(ScenarioError, match=r"big.yml: is larger than 2 MB, the most a scenario"):
        read_yaml(big)
    refused(run("check", str(SAMPLE), "--scenario", str(big)), "big.yml", "2 MB")


def test_yaml_runs_no_code_and_a_few_aliases_still_read(tmp_path):
    flag = tmp_path / "ran"
    evil = tmp_path / "evil.yml"
    evil.write_text(f'description: !!python/object/apply:os.system ["touch {flag}"]\n')
    with pytest.raises(ScenarioError, match="could not determine a constructor"):
        read_yaml(evil)
    assert not flag.exists()
    fine = tmp_path / "fine.yml"
    fine.write_text("levels:\n  - &std {name: standard, hours_factor: 1.0, realization_factor: 1.0}\n"
                    "  - {name: light, hours_factor: 0.5, realization_factor: 0.6}\n"
                    "must: &m [K1, K2]\nexclude: []\n")
    s = Scenario.from_yaml(fine)
    assert s.level_names == ("standard", "light") and s.must == ("K1", "K2")


def test_characters_yaml_refuses_are_still_a_clear_refusal(tmp_path):
    odd = tmp_path / "odd.yml"
    odd.write_text("description: \x1f\n")
    with pytest.raises(ScenarioError, match="odd.yml: is not valid YAML .unacceptable character"):
        read_yaml(odd)


# ----------------------------------------------------------------- workbooks
def _small_book(path: Path) -> Path:
    return save_case(tiny_case(customers=[{"customer_id": "K1", "revenue": 1e5, "margin": 0.3,
                                           "potential": 5e4, "kam_hours": 40}],
                               managers=[{"manager_id": "M1", "capacity_hours": 1000}]), path)


def zip_bomb(path: Path, unpacked: int = 300_000_000) -> Path:
    """A workbook whose customers sheet is ``unpacked`` bytes of the same row over and over,
    stored about 300 times smaller (built a MB at a time, never whole)."""
    book = _small_book(path.with_name("base.xlsx"))
    header = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
              b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    row = (b'<row><c t="inlineStr"><is><t>K</t></is></c><c><v>1</v></c><c><v>0.3</v></c>'
           b'<c><v>1</v></c><c><v>1</v></c></row>')
    block = row * (1_000_000 // len(row))
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        sheets = {n: src.read(n) for n in src.namelist()}
        first = next(n for n in sorted(sheets) if n.startswith("xl/worksheets/sheet"))
        for name, data in sheets.items():
            if name != first:
                dst.writestr(name, data)
                continue
            with dst.open(name, "w") as f:
                f.write(header)
                for _ in range(unpacked // len(block)):
                    f.write(block)
                f.write(b"</sheetData></worksheet>")
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    return zip_bomb(tmp_path_factory.mktemp("bomb") / "crm_export.xlsx")


def test_a_zip_bomb_workbook_is_refused_by_the_cli(bomb):
    with zipfile.ZipFile(bomb) as z:
        sheet = max(z.infolist(), key=lambda i: i.file_size)
    assert bomb.stat().st_size < 1_500_000 and sheet.file_size > 250 * bomb.stat().st_size
    refused(run("check", str(bomb)), "crm_export.xlsx: its part 'xl/worksheets/sheet1.xml' "
            "unpacks to", "times its size", "docs/limits.md")


def test_a_zip_bomb_is_refused_from_its_directory_without_unpacking(bomb, monkeypatch):
    def unpack(*args, **kwargs):
        raise AssertionError("a part of the workbook was unpacked")

    monkeypatch.setattr(zipfile.ZipFile, "open", unpack)
    with pytest.raises(CaseError, match=r"crm_export.xlsx: its part 'xl/worksheets/sheet1.xml' "
                                        r"unpacks to .* from .* times its size"):
        load_case(bomb)


@pytest.mark.parametrize(("limit", "value", "said"), [
    ("MAX_WORKBOOK_BYTES", 1_000, "more than the 1,000 bytes a workbook may have"),
    ("MAX_WORKBOOK_PARTS", 3, "parts, more than the 3 a workbook may have"),
    ("MAX_WORKBOOK_PARTS", 0, "its zip directory lists more than the 0 parts"),
    ("MAX_SHEET_UNPACKED", 100, r"part 'xl/worksheets/sheet1.xml' unpacks to .*, more than the "
                                r"100 bytes kamopt reads"),
    ("MAX_PART_UNPACKED", 100, r"part 'docProps/app.xml' unpacks to .*, more than the 100 bytes"),
    ("MAX_WORKBOOK_UNPACKED", 5_000, "more than the 5,000 bytes kamopt reads"),
])
def test_each_workbook_limit_is_kept_and_named(tmp_path, monkeypatch, limit, value, said):
    book = _small_book(tmp_path / "book.xlsx")
    assert load_case(book).tables["customers"].index.tolist() == ["K1"]
    monkeypatch.setattr(workbook, limit, value)
    with pytest.raises(CaseError, match=said):
        load_case(book)


def test_a_sheet_beyond_the_row_and_value_limits_is_refused(tmp_path, monkeypatch):
    book = save_case(make_case(customers=30, managers=4, seed=1), tmp_path / "book.xlsx")
    monkeypatch.setattr(workbook, "MAX_TABLE_ROWS", 20)
    with pytest.raises(CaseError, match=r"book.xlsx\[customers\]: has more than 20 rows, the most"):
        load_case(book)
    monkeypatch.setattr(workbook, "MAX_TABLE_ROWS", 1000)
    monkeypatch.setattr(workbook, "MAX_TABLE_VALUES", 100)
    with pytest.raises(CaseError, match=r"\[customers\]: has more than 100 values \(10 rows or "
                                        r"more x 11 columns\)"):
        load_case(book)


def test_empty_cells_far_right_count_against_a_sheet(tmp_path):
    """A formatted empty cell in column XFD makes openpyxl build a row of 16,384 cells: 700
    such rows are 11.5 million cells, more than a sheet may have (the old reader took them)."""
    path = save_case(make_case(customers=5, managers=2, seed=1), tmp_path / "wide.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["customers"]
    for r in range(2, 702):
        ws.cell(row=r, column=16_384).number_format = "0.00"
    wb.save(path)
    with pytest.raises(CaseError, match=r"wide.xlsx\[customers\]: has more than 10,000,000 cells, "
                                        "empty ones included"):
        load_case(path)


def test_rows_beyond_the_last_excel_row_are_refused(tmp_path):
    book = _small_book(tmp_path / "base.xlsx")
    path = tmp_path / "far.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>",
                                    b'<row r="5000000"><c r="A5000000"><v>1</v></c></row>'
                                    b"</sheetData>")
            dst.writestr(name, data)
    with pytest.raises(CaseError, match=r"has rows beyond row 1,048,576, the last of an Excel"):
        load_case(path)


def test_formulas_are_found_in_a_stream_across_the_chunks():
    payload = b"<c><v>1</v></c>" * 100 + b"<f>A1</f>"
    for chunk in (7, 16, 1 << 20):
        z = _zip_of({"xl/worksheets/sheet1.xml": payload})
        assert workbook._part_has_formula(z, "xl/worksheets/sheet1.xml", chunk=chunk)
    z = _zip_of({"xl/worksheets/sheet1.xml": b"<c><v>1</v></c>" * 100})
    assert not workbook._part_has_formula(z, "xl/worksheets/sheet1.xml", chunk=7)


def _zip_of(parts: dict[str, bytes]) -> zipfile.ZipFile:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return zipfile.ZipFile(buf)


# ----------------------------------------------------------------- CSV
def test_an_oversized_csv_file_is_refused_unread(tmp_path):
    case = tmp_path / "case"
    case.mkdir()
    (case / "managers.csv").write_text("manager_id,capacity_hours\nM1,1000\n")
    with open(case / "customers.csv", "wb") as f:  # sparse: no disk used, never read
        f.truncate(limits.MAX_CSV_BYTES + 1)
    refused(run("check", str(case)), "customers.csv: is 50,000,001 bytes, more than the 50 MB a "
            "CSV file may have (see docs/limits.md)")


def test_a_csv_table_of_too_many_rows_or_values_is_refused(tmp_path):
    """A header of a million columns over a million blank lines: 3 MB that the old reader
    made a table of 10**12 values (MemoryError, exit 1); a million and one rows."""
    case = tmp_path / "case"
    case.mkdir()
    (case / "managers.csv").write_text("manager_id,capacity_hours\nM1,1000\n")
    (case / "customers.csv").write_text("customer_id,revenue,margin,potential,kam_hours"
                                        + "," * 1_000_000 + "\n" + "\n" * 1_000_000)
    refused(run("check", str(case)), "customers.csv: has more than 5,000,000 values (5 rows or "
            "more x 1,000,005 columns), the most a table may have (see docs/limits.md)")
    (case / "customers.csv").write_text("customer_id,revenue\n" + "K,1\n" * 1_000_001)
    refused(run("check", str(case)), "customers.csv: has more than 1,000,000 rows")


def test_csv_row_and_value_limits_count_quoted_line_ends_right(tmp_path, monkeypatch):
    from kamopt.case import io as case_io

    monkeypatch.setattr(case_io, "MAX_TABLE_ROWS", 3)
    case = tmp_path / "case"
    save_case(tiny_case(customers=[{"customer_id": f"K{i}", "name": "a\nb\nc", "revenue": 1e5,
                                    "margin": 0.3, "potential": 5e4, "kam_hours": 40}
                                   for i in range(3)],
                        managers=[{"manager_id": "M1", "capacity_hours": 1000}]), case)
    assert len(load_case(case).tables["customers"]) == 3  # 10 lines, 3 rows: within the limit
    save_case(tiny_case(customers=[{"customer_id": f"K{i}", "revenue": 1e5, "margin": 0.3,
                                    "potential": 5e4, "kam_hours": 40} for i in range(4)],
                        managers=[{"manager_id": "M1", "capacity_hours": 1000}]), case)
    with pytest.raises(CaseError, match="customers.csv: has more than 3 rows, the most a table"):
        load_case(case)


# ----------------------------------------------------------------- the limits allow the largest sample
def test_the_limits_allow_the_largest_sample_company(tmp_path):
    """``kamopt sample`` writes up to 100,000 customers and 5,000 managers: measured on 2,000
    customers, the largest sample's files are well within every limit."""
    from kamopt.cli import MAX_SAMPLE_CUSTOMERS, MAX_SAMPLE_MANAGERS

    n = 2_000
    case = make_case(customers=n, managers=100, seed=7)
    scale = MAX_SAMPLE_CUSTOMERS / n
    folder = save_case(case, tmp_path / "csv")
    for name, df in case.tables.items():
        rows = len(df) * (MAX_SAMPLE_MANAGERS / 100 if name == "managers" else scale)
        assert rows <= limits.MAX_TABLE_ROWS / 2
        assert rows * (df.shape[1] + 1) <= limits.MAX_TABLE_VALUES / 2
        if (folder / f"{name}.csv").exists():
            assert (folder / f"{name}.csv").stat().st_size * scale <= limits.MAX_CSV_BYTES / 2
    book = save_case(case, tmp_path / "case.xlsx")
    with zipfile.ZipFile(book) as z:
        parts = z.infolist()
    assert sum(p.file_size for p in parts) * scale <= limits.MAX_WORKBOOK_UNPACKED / 2
    assert max(p.file_size for p in parts) * scale <= limits.MAX_SHEET_UNPACKED / 2
    assert book.stat().st_size * scale <= limits.MAX_WORKBOOK_BYTES / 2
    assert max(p.file_size / p.compress_size for p in parts) <= limits.MAX_COMPRESSION_RATIO / 4
    assert len(parts) <= limits.MAX_WORKBOOK_PARTS / 10


def test_the_limits_are_documented():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "limits.md").read_text()
    for name in [n for n in dir(limits) if n.startswith(("MAX_", "EXCEL_", "RATIO_"))]:
        assert f"`{name}`" in doc, name
