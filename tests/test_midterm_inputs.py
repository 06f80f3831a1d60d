"""The mid-term inputs read like every other case table, and their YAML numbers like YAML.

``targets.csv`` and ``capacity_by_year.csv`` in every dialect ``load_case`` reads
(German Excel's ``;``, decimal comma, thousands dots, cp1252, BOM, ``sep=``),
as sheets of a case workbook, with file/row/column messages for what is wrong;
numbers written ``2e6`` in the scenario and the mid-term assumptions; the
messages of a hire profile whose name is mistyped.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import kamopt
from kamopt.case.assumptions import (
    MidtermAssumptions,
    load_capacity_by_year,
    load_targets,
    parse_capacity_by_year,
    parse_targets,
)
from kamopt.case.numbers import format_number_de
from kamopt.case.sample import make_case
from kamopt.case.scenario import Scenario
from kamopt.cli import main
from kamopt.errors import CaseError, ScenarioError
from kamopt.planning.midterm import plan_midterm

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sample():
    return kamopt.load_case(SAMPLE)


@pytest.fixture(scope="module")
def plain(sample):
    """The sample's targets and capacities, read from its plain UTF-8 files."""
    return load_targets(sample), load_capacity_by_year(sample)


def _folder(tmp_path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def _german(name: str) -> str:
    """The sample file as German Excel writes it: ';', thousands dots, CRLF."""
    df = pd.read_csv(SAMPLE / name, dtype=str, keep_default_na=False)
    number = df.columns[-1]  # order_intake, capacity_hours
    df[number] = [format_number_de(float(v)) for v in df[number]]
    lines = [";".join(df.columns)] + [";".join(r) for r in df.itertuples(index=False)]
    return "\r\n".join(lines) + "\r\n"


def _variants(name: str) -> dict[str, bytes]:
    text = (SAMPLE / name).read_text(encoding="utf-8")
    de = _german(name)
    return {
        "utf-8 with BOM": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "excel-de cp1252": de.encode("cp1252"),
        "excel-de utf-8 with BOM": b"\xef\xbb\xbf" + de.encode("utf-8"),
        "excel-de with a sep= line": ("sep=;\r\n" + de).encode("cp1252"),
        "tab-separated utf-16": de.replace(";", "\t").encode("utf-16"),
        "header in other case and spaces": de.replace("order_intake", " Order Intake ")
        .replace("capacity_hours", "Capacity Hours").replace("year", "YEAR").encode("cp1252"),
    }


# ------------------------------------------------------- defect 1: the CSV dialects
def test_the_german_variants_differ_from_the_plain_files():
    # the variants really are German: thousands dots and (for targets) cp1252 umlauts
    assert "300.000.000" in _german("targets.csv") and "1.000" in _german("capacity_by_year.csv")
    assert b"S\xfcd" in _variants("targets.csv")["excel-de cp1252"]


@pytest.mark.parametrize("variant", list(_variants("targets.csv")))
def test_targets_load_to_the_same_numbers_in_every_dialect(sample, plain, tmp_path, variant):
    folder = _folder(tmp_path, {"targets.csv": _variants("targets.csv")[variant]})
    pd.testing.assert_frame_equal(load_targets(sample, folder), plain[0])


@pytest.mark.parametrize("variant", list(_variants("capacity_by_year.csv")))
def test_capacities_load_to_the_same_numbers_in_every_dialect(sample, plain, tmp_path, variant):
    folder = _folder(tmp_path, {"capacity_by_year.csv": _variants("capacity_by_year.csv")[variant]})
    pd.testing.assert_frame_equal(load_capacity_by_year(sample, folder), plain[1])


def test_a_thousands_dot_is_never_read_as_a_decimal_point(sample, tmp_path):
    """The silent misread of the walkthrough: 1.000 h in a ';' file is 1,000 h, not 1 h."""
    folder = _folder(tmp_path, {
        "capacity_by_year.csv": b"manager_id;year;capacity_hours\r\nM13;2028;1.000\r\n",
        "targets.csv": b"year;scope;order_intake\r\n2027;company;300.000.000\r\n"})
    cap = load_capacity_by_year(sample, folder)
    assert cap.to_dict("records") == [{"manager_id": "M13", "year": 2028, "capacity_hours": 1000.0}]
    assert load_targets(sample, folder)["order_intake"].tolist() == [300e6]


def test_decimal_commas_are_read(sample, tmp_path):
    folder = _folder(tmp_path, {
        "capacity_by_year.csv": b"manager_id;year;capacity_hours\nM13;2028;1.000,5\nM08;2029;12,25\n"})
    assert load_capacity_by_year(sample, folder)["capacity_hours"].tolist() == [1000.5, 12.25]


@pytest.mark.parametrize("name, text, row, column", [
    ("targets.csv", "year;scope;order_intake\n2027;company;300.000.000\n2028;company;300.000.00\n",
     3, "order_intake"),
    ("targets.csv", 'year,scope,order_intake\n2027,company,"300,000,00"\n', 2, "order_intake"),
    ("targets.csv", "year;scope;order_intake\n2O27;company;1\n", 2, "year"),
    ("capacity_by_year.csv", "manager_id;year;capacity_hours\nM13;2028;1.000\nM08;2028;1.0.0\n",
     3, "capacity_hours"),
    ("capacity_by_year.csv", "manager_id,year,capacity_hours\nM13,2028,1000\nM08,2028,1.2.3\n",
     3, "capacity_hours"),
])
def test_a_garbled_number_names_file_row_and_column(sample, tmp_path, name, text, row, column):
    folder = _folder(tmp_path, {name: text.encode("utf-8")})
    load = load_targets if name == "targets.csv" else load_capacity_by_year
    with pytest.raises(CaseError) as info:
        load(sample, folder)
    (p,) = info.value.problems
    assert (p.file, p.row, p.column) == (name, row, column)
    assert "must be a" in p.expected


def test_a_german_number_in_a_plain_file_hints_at_the_style(sample, tmp_path):
    folder = _folder(tmp_path, {"targets.csv": b'year,scope,order_intake\n2027,company,"1,5"\n'})
    with pytest.raises(CaseError, match=r"targets.csv, row 2, column 'order_intake': got '1,5'; "
                       r"must be a number >= 0 \(this file writes numbers with a decimal point"):
        load_targets(sample, folder)


def test_rows_are_counted_as_excel_shows_them(sample, tmp_path):
    # a blank line before the bad row counts; a sep= line does not (Excel hides it)
    text = "sep=;\nmanager_id;year;capacity_hours\nM13;2028;1.000\n\nM99;2028;5\n"
    folder = _folder(tmp_path, {"capacity_by_year.csv": text.encode("cp1252")})
    with pytest.raises(CaseError) as info:
        load_capacity_by_year(sample, folder)
    (p,) = info.value.problems
    assert (p.file, p.row, p.column, p.value) == ("capacity_by_year.csv", 4, "manager_id", "M99")
    assert "is not a manager of managers.csv" in p.expected


def test_a_missing_column_is_named_with_the_header(sample, tmp_path):
    folder = _folder(tmp_path, {"targets.csv": "\ufeffjahr;scope;order_intake\n2027;company;1\n"
                                .encode("utf-8")})
    with pytest.raises(CaseError) as info:
        load_targets(sample, folder)
    (p,) = info.value.problems
    assert (p.file, p.row, p.column) == ("targets.csv", 1, "year")
    assert "required column is missing" in p.expected and "'jahr'" in p.expected


def test_file_names_match_without_regard_to_case_and_empty_files_are_not_given(sample, plain,
                                                                                tmp_path):
    folder = _folder(tmp_path, {"Targets.CSV": _german("targets.csv").encode("cp1252"),
                                "capacity_by_year.csv": b"\r\n\r\n"})
    pd.testing.assert_frame_equal(load_targets(sample, folder), plain[0])
    assert len(load_capacity_by_year(sample, folder)) == 0


def test_unreadable_bytes_are_an_error_naming_the_file(sample, tmp_path):
    folder = _folder(tmp_path, {"targets.csv": b"year;scope;order_intake\n2027;\x00\x01;5\n"})
    with pytest.raises(CaseError, match=r"targets.csv, row 2: contains binary data"):
        load_targets(sample, folder)


def test_check_exits_2_on_a_garbled_capacity(tmp_path, capsys):
    folder = tmp_path / "case"
    shutil.copytree(SAMPLE, folder)
    (folder / "capacity_by_year.csv").write_bytes(
        b"manager_id;year;capacity_hours\r\nM13;2028;1.000\r\nM08;2029;1.00\r\n")
    assert main(["check", str(folder)]) == 2
    assert "capacity_by_year.csv, row 3, column 'capacity_hours': got '1.00'" in \
        capsys.readouterr().err


def test_frames_are_read_with_a_decimal_point_as_before(sample):
    # plan_midterm and the widgets hand DataFrames (as text): read as a workbook's cells are
    tg = parse_targets(pd.DataFrame({"year": ["2027", "2028.0"], "scope": ["company"] * 2,
                                     "order_intake": ["3e8", "305000000.0"]}), sample)
    assert tg.to_dict("list") == {"year": [2027, 2028], "scope": ["company"] * 2,
                                  "order_intake": [3e8, 3.05e8]}
    assert tg["year"].dtype == "int64"
    cap = parse_capacity_by_year(pd.DataFrame({"manager_id": ["M13"], "year": [2028],
                                               "capacity_hours": [1000.0]}), sample)
    assert cap["capacity_hours"].tolist() == [1000.0]


# ------------------------------------------------------- defect 2: workbook sheets
def _workbook(case, path: Path, sheets: dict[str, list[list]]) -> Path:
    kamopt.save_case(case, path)
    wb = openpyxl.load_workbook(path)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def _rows(name: str, numbers=True) -> list[list]:
    df = pd.read_csv(SAMPLE / name, keep_default_na=False)
    out = [list(df.columns)]
    for r in df.itertuples(index=False):
        out.append([v if numbers or isinstance(v, str) else str(v) for v in r])
    return out


def test_a_workbook_case_reads_its_targets_and_capacity_sheets(sample, plain, tmp_path):
    path = _workbook(sample, tmp_path / "case.xlsx",
                     {"Targets": _rows("targets.csv"), "capacity_by_year": _rows("capacity_by_year.csv")})
    case = kamopt.load_case(path)
    pd.testing.assert_frame_equal(load_targets(case), plain[0])
    pd.testing.assert_frame_equal(load_capacity_by_year(case), plain[1])


def test_a_workbook_without_the_sheets_has_no_targets(sample, tmp_path):
    case = kamopt.load_case(_workbook(sample, tmp_path / "case.xlsx", {}))
    assert len(load_targets(case)) == 0 and len(load_capacity_by_year(case)) == 0


def test_a_bad_cell_of_a_sheet_names_the_sheet_row_and_column(sample, tmp_path):
    rows = _rows("targets.csv")
    rows[2][2] = "viel"
    case = kamopt.load_case(_workbook(sample, tmp_path / "case.xlsx", {"targets": rows}))
    with pytest.raises(CaseError) as info:
        load_targets(case)
    (p,) = info.value.problems
    assert (p.file, p.row, p.column, p.value) == ("case.xlsx[targets]", 3, "order_intake", "viel")


def test_plan_midterm_of_a_workbook_plans_against_its_targets_sheet(tmp_path):
    case = make_case(customers=12, managers=3, seed=5)
    total = case.customers["revenue"].sum()
    path = _workbook(case, tmp_path / "small.xlsx", {
        "targets": [["year", "scope", "order_intake"], [2027, "company", round(total * 0.9)],
                    [2028, "company", round(total * 0.8)]],
        "capacity_by_year": [["manager_id", "year", "capacity_hours"],
                             [case.managers.index[0], 2028, 0]]})
    mp = plan_midterm(kamopt.load_case(path), Scenario(mip_gap=0.0, time_limit=30), 2,
                      assumptions=MidtermAssumptions())
    assert mp.targets["year"].tolist() == [2027, 2028]
    assert mp.targets["order_intake"].tolist() == [round(total * 0.9), round(total * 0.8)]
    m = mp.managers.set_index(["year", "manager_id"])
    assert m.loc[(2028, case.managers.index[0]), "capacity"] == 0
    assert m.loc[(2027, case.managers.index[0]), "capacity"] > 0


# --------------------------------------------- defect 4: numbers written 2e6 in YAML
def test_scenario_numbers_in_scientific_notation_are_numbers(tmp_path):
    p = tmp_path / "sc.yml"
    p.write_text("budget: 2e6\ntime_limit: 1.2e2\nmip_gap: 1E-3\nmin_key_accounts: 1e1\n"
                 "levels:\n  - {name: light, hours_factor: 5e-1, realization_factor: .6e0}\n"
                 "  - {name: standard, hours_factor: 1, realization_factor: 1}\n"
                 "hires:\n  - {count: 1, capacity_hours: 1.4e3, hourly_cost: 9.5e1}\n",
                 encoding="utf-8")
    s = Scenario.from_yaml(p)
    assert (s.budget, s.time_limit, s.mip_gap, s.min_key_accounts) == (2e6, 120.0, 0.001, 10)
    assert s.levels[0].hours_factor == 0.5 and s.levels[0].realization_factor == 0.6
    assert (s.hires[0].capacity_hours, s.hires[0].hourly_cost) == (1400.0, 95.0)
    assert Scenario.from_dict({"budget": "1.75e6"}).budget == 1.75e6


@pytest.mark.parametrize("text", ["2e", "e6", "2e6 EUR", "zwei", "2,5e6", "0x10", "inf"])
def test_other_strings_are_still_not_numbers(text):
    with pytest.raises(ScenarioError, match=r"column 'budget': got .*must be a number"):
        Scenario.from_dict({"budget": text})
    with pytest.raises(ScenarioError, match=r"column 'shortfall_penalty'"):
        MidtermAssumptions.from_dict({"shortfall_penalty": text})


def test_assumption_numbers_in_scientific_notation_are_numbers(tmp_path):
    p = tmp_path / "mt.yml"
    p.write_text("years: 3e0\nramp: [4e-1, 7.5e-1, 1]\nchurn_without_kam: 8e-2\n"
                 "shortfall_penalty: 5e-1\nhandover_hours: 4e1\n"
                 "hire_profiles:\n  - {name: senior, cost_per_year: 1.75e5, capacity_hours: 1.4e3,"
                 " max_hires: 2e0}\n", encoding="utf-8")
    a = MidtermAssumptions.from_yaml(p)
    assert (a.years, a.ramp, a.churn_without_kam, a.shortfall_penalty, a.handover_hours) == (
        3, (0.4, 0.75, 1), 0.08, 0.5, 40.0)
    h = a.hire_profiles[0]
    assert (h.cost_per_year, h.capacity_hours, h.max_hires) == (175e3, 1400.0, 2)


# ------------------------------------------ defect 5: messages of the hire profiles
def test_a_mistyped_profile_name_is_reported_once_as_what_it_is(tmp_path):
    p = tmp_path / "mt.yml"
    p.write_text((Path(__file__).resolve().parents[1] / "data" / "scenarios" / "midterm_base.yml")
                 .read_text(encoding="utf-8").replace("- name: senior", "- nmae: senior"),
                 encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        MidtermAssumptions.from_yaml(p)
    assert [str(q) for q in info.value.problems] == [
        "mt.yml, column 'hire_profiles[0].nmae': unknown key; did you mean 'name'?"]


def test_a_repeated_profile_name_is_reported_once_at_the_repeat():
    with pytest.raises(ScenarioError) as info:
        MidtermAssumptions.from_dict({"hire_profiles": [{"name": "senior"}, {"name": "x"},
                                                        {"name": "senior", "seniority": 5}]})
    assert [str(q) for q in info.value.problems] == [
        "midterm, column 'hire_profiles[2].name': got 'senior'; must be unique: "
        "hire_profiles[0] has the same name",
        "midterm, column 'hire_profiles[2].seniority': got 5; must be 1, 2 or 3"]


def test_profiles_without_a_name_are_named_by_their_position():
    with pytest.raises(ScenarioError) as info:
        MidtermAssumptions.from_dict({"hire_profiles": [{"seniority": 2}, {"ramp_up": 2}]})
    assert [str(q) for q in info.value.problems] == [
        "midterm, column 'hire_profiles[1].name': got 'kam'; must be unique: "
        "hire_profiles[0] has the same name ('kam' is also the name a profile without a "
        "'name' gets)",
        "midterm, column 'hire_profiles[1].ramp_up': got 2; must be a share in [0, 1]"]
    with pytest.raises(ScenarioError, match=r"column 'hire_profiles\[0\]\.name': got ''; "
                       r"must not be empty"):
        MidtermAssumptions.from_dict({"hire_profiles": [{"name": ""}]})


def test_the_printed_table_shows_small_shortfalls_and_keeps_columns_apart():
    """A shortfall of 4,217 EUR read '0.0 M'; a 2-trillion intake ran into the next column."""
    from types import SimpleNamespace

    from kamopt.case.sample import make_case
    from kamopt.case.scenario import Scenario
    from kamopt.planning.midterm_outputs import headline

    def table(intake, target, short, net):
        years = pd.DataFrame({"intake": intake, "target": target, "shortfall": short,
                              "key_accounts": [1, 1], "hires": [0, 4], "net": net},
                             index=pd.Index([2027, 2028], name="year"))
        mp = SimpleNamespace(kpis={"mip_gap": 0.0, "years": 2, "solve_seconds": 1.0, "npv": 1.0,
                                   "hires": 4, "changes": 0},
                             scenario=Scenario(), status="optimal", years=years,
                             case=make_case(customers=5, managers=2, seed=1), model=None)
        return headline(mp).splitlines()[1:4]

    small = table([184_266.0, 179_113.0], [183_330.0, 183_330.0], [0.0, 4_217.0],
                  [-7_103.0, -4_554.0])
    assert small[2].split() == ["2028", "179,113", "183,330", "4,217", "1", "4", "-4,554"]
    big = table([2.19e15, 2.2e15], [9e14, float("nan")], [0.0, 4_217.0], [1.48e14, -1.0])
    assert big[1].split()[1:3] == ["2,190,000,000.0", "M"]  # one figure, then its unit
    assert big[2].split()[3:5] == ["-", "4,217"] and big[2].split()[-1] == "-1"
    assert all(len(line) == len(big[0]) for line in big)  # the columns line up
