"""Validation a user can act on: every problem names file, row, column, value and expectation."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import openpyxl
import pytest
from small_case import ACTIVITIES, DEPARTMENTS, RESPONSES

from kamopt.case.io import load_case, save_case
from kamopt.case.raw import CAP
from kamopt.case.scenario import Level, Scenario
from kamopt.case.validate import check_against_scenario, check_case
from kamopt.cli import main
from kamopt.errors import CaseError, Problem

CUSTOMERS = """\
customer_id,name,industry,revenue,margin,potential,kam_hours,tier,current_manager,status
C1,Alpha,Chemie,1000,0.3,5000,100,2,M1,
C2,Beta,Pharma,2000,0.25,1000,50,1,,must
C3,Gamma,Auto,3000,0.2,2000,80,3,M2,exclude
"""
MANAGERS = """\
manager_id,name,industries,seniority,capacity_hours,hourly_cost,role
M1,Anna,Chemie;Pharma,3,1600,95,kam
M2,Bernd,Auto,3,1200,80,executive
"""
GOOD = {
    "customers": CUSTOMERS,
    "managers": MANAGERS,
    "activities": ACTIVITIES,
    "departments": DEPARTMENTS,
    "responses": RESPONSES,
}


def make_case_dir(tmp_path: Path, encoding: str = "utf-8", **changes: str | None) -> Path:
    """The good case with some tables replaced (``None`` leaves a table out)."""
    folder = tmp_path / "case"
    folder.mkdir(exist_ok=True)
    for name, text in {**GOOD, **changes}.items():
        if text is not None:
            (folder / f"{name}.csv").write_bytes(text.encode(encoding))
    return folder


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def problems(path: Path) -> list[Problem]:
    with pytest.raises(CaseError) as info:
        load_case(path)
    return info.value.problems


def where(file: str, row: int | None = None, column: str | None = None) -> str:
    """The start of a problem's message, as a regex."""
    parts = (
        [file]
        + ([f"row {row}"] if row is not None else [])
        + ([f"column '{column}'"] if column is not None else [])
    )
    return re.escape(", ".join(parts))


def test_the_good_case_is_valid(tmp_path):
    case = load_case(make_case_dir(tmp_path))
    check_case(case)
    check_against_scenario(case, Scenario())


# ------------------------------------------------------------- files and paths
def test_missing_case_path(tmp_path):
    with pytest.raises(CaseError, match="nowhere: does not exist; expected a case folder"):
        load_case(tmp_path / "nowhere")


def test_a_single_csv_file_is_not_a_case(tmp_path):
    folder = make_case_dir(tmp_path)
    with pytest.raises(CaseError, match=r"customers\.csv: is one CSV file; .*pass '"):
        load_case(folder / "customers.csv")


def test_an_old_xls_workbook_is_named(tmp_path):
    path = tmp_path / "case.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(CaseError, match=r"case\.xls: is an old \.xls workbook; save it as \.xlsx"):
        load_case(path)


@pytest.mark.parametrize("name", ["customers", "managers"])
def test_missing_required_file(tmp_path, name):
    folder = make_case_dir(tmp_path, **{name: None})
    with pytest.raises(CaseError, match=where(f"{name}.csv") + ": file is missing; it is required"):
        load_case(folder)


def test_missing_required_file_suggests_a_near_name(tmp_path):
    folder = make_case_dir(tmp_path, customers=None)
    (folder / "customer.csv").write_text(CUSTOMERS)
    with pytest.raises(
        CaseError, match=r"customers\.csv: file is missing.*did you mean 'customer\.csv'"
    ):
        load_case(folder)


def test_missing_required_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "customers"
    for line in CUSTOMERS.splitlines():
        wb.active.append(line.split(","))
    wb.save(tmp_path / "case.xlsx")
    with pytest.raises(
        CaseError,
        match=re.escape("case.xlsx[managers]: sheet 'managers' is missing; it is required"),
    ):
        load_case(tmp_path / "case.xlsx")


def test_workbook_problems_name_the_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, text in (("Customers", edit(CUSTOMERS, ",0.2,", ",1.2,")), ("managers", MANAGERS)):
        ws = wb.create_sheet(name)
        for line in text.splitlines():
            ws.append([float(v) if v.replace(".", "").isdigit() else v for v in line.split(",")])
    wb.save(tmp_path / "case.xlsx")
    with pytest.raises(CaseError, match=where("case.xlsx[Customers]", 4, "margin") + ": got '1.2'"):
        load_case(tmp_path / "case.xlsx")


@pytest.mark.parametrize("content, expected", [
    (b"customer_id,name\nK1,A\n", "case.xlsx: is text (a CSV file renamed?), not an .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(8), "case.xlsx: is an old Excel file (.xls)"),
    (b"", "case.xlsx: is empty; expected an Excel workbook (.xlsx)"),
    (b"PK\x03\x04 a zip cut short", "case.xlsx: is a damaged workbook (its zip archive is cut short"),
])
def test_a_file_that_is_no_workbook_says_what_it_is(content, expected, tmp_path):
    (tmp_path / "case.xlsx").write_bytes(content)
    with pytest.raises(CaseError, match=re.escape(expected)):
        load_case(tmp_path / "case.xlsx")


# -------------------------------------------------------------------- headers
def test_missing_required_column(tmp_path):
    folder = make_case_dir(tmp_path, customers=edit(CUSTOMERS, "revenue", "umsatz"))
    with pytest.raises(
        CaseError, match=where("customers.csv", 1, "revenue") + ": required column is missing"
    ):
        load_case(folder)


def test_missing_required_column_suggests_a_near_header(tmp_path):
    folder = make_case_dir(tmp_path, managers=edit(MANAGERS, "capacity_hours", "capacity hour"))
    with pytest.raises(CaseError, match=r"column 'capacity_hours'.*did you mean 'capacity hour'"):
        load_case(folder)


def test_a_misspelt_optional_column_is_named_not_ignored(tmp_path, capsys):
    """'current_manger' would leave every customer without today's manager, silently."""
    folder = make_case_dir(tmp_path, customers=edit(CUSTOMERS, "current_manager", "current_manger"),
                           managers=edit(MANAGERS, "industries", "Industry"))
    found = [str(p) for p in problems(folder)]
    assert found == [
        "customers.csv, row 1, column 'current_manger': is not a column kamopt reads; did you "
        "mean 'current_manager'? Without a column 'current_manager' its default applies to "
        "every row. Rename the column (an extra column for kamopt to ignore needs a name less "
        "close to one it reads)",
        "managers.csv, row 1, column 'Industry': is not a column kamopt reads; did you mean "
        "'industries'? Without a column 'industries' its default applies to every row. Rename "
        "the column (an extra column for kamopt to ignore needs a name less close to one it reads)",
    ]
    assert main(["plan", str(folder), "--out", str(tmp_path / "out")]) == 2
    assert "did you mean 'current_manager'?" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_extra_columns_kamopt_does_not_read_are_kept(tmp_path):
    """A note, or an old column beside the one kamopt reads, is no typo."""
    lines = CUSTOMERS.splitlines()
    text = "\n".join([lines[0] + ",note,current_manager_2025", lines[1] + ",fine,M2",
                      lines[2] + ",,", lines[3] + ",,M1"]) + "\n"
    case = load_case(make_case_dir(tmp_path, customers=text))
    assert case.customers.loc["C1", "note"] == "fine"
    assert case.customers.loc["C3", "current_manager_2025"] == "M1"
    assert case.customers.loc["C1", "current_manager"] == "M1"


def test_a_column_given_twice(tmp_path):
    text = (
        edit(CUSTOMERS, "status", "Margin")
        .replace(",must\n", ",0.1\n")
        .replace(",exclude\n", ",0.1\n")
    )
    folder = make_case_dir(tmp_path, customers=text)
    with pytest.raises(
        CaseError, match=where("customers.csv", 1, "margin") + ": column appears twice"
    ):
        load_case(folder)


# ---------------------------------------------------------------------- cells
def test_wrong_type_not_a_number(tmp_path):
    folder = make_case_dir(tmp_path, customers=edit(CUSTOMERS, ",2000,0.25,", ",zweitausend,0.25,"))
    with pytest.raises(
        CaseError,
        match=where("customers.csv", 3, "revenue") + ": got 'zweitausend'; must be a number >= 0",
    ):
        load_case(folder)


def test_wrong_type_not_a_whole_number(tmp_path):
    folder = make_case_dir(tmp_path, managers=edit(MANAGERS, ",3,1200,", ",2.5,1200,"))
    with pytest.raises(
        CaseError,
        match=where("managers.csv", 3, "seniority")
        + r": got '2\.5'; must be a whole number in \[1, 3\]",
    ):
        load_case(folder)


def test_a_number_beyond_any_company_is_refused_before_the_solver_sees_it(tmp_path):
    # 1e300 EUR of revenue passed the checks and then left HiGHS without a plan (exit 4)
    folder = make_case_dir(tmp_path, customers=edit(CUSTOMERS, "C2,Beta,Pharma,2000,",
                                                    "C2,Beta,Pharma,1e300,"))
    with pytest.raises(CaseError, match=where("customers.csv", 3, "revenue")
                       + r": got '1e300'; is too large to plan with \(a case holds numbers up "
                         r"to 1,000,000,000,000\)"):
        load_case(folder)
    load_case(make_case_dir(tmp_path, customers=edit(CUSTOMERS, "C2,Beta,Pharma,2000,",
                                                     "C2,Beta,Pharma,1e12,")))  # the largest


def test_industries_joined_by_a_comma_are_reported_not_read_as_one(tmp_path):
    managers = edit(MANAGERS, "M1,Anna,Chemie;Pharma,", 'M1,Anna,"Chemie, Pharma",')
    with pytest.raises(CaseError, match=where("managers.csv", 2, "industries")
                       + r": got 'Chemie, Pharma'; joins industries with ','; separate them "
                         r"with ';' or '\|' \(did you mean 'Chemie;Pharma'\?\)"):
        load_case(make_case_dir(tmp_path, managers=managers))
    # an industry no customer has yet, commas and all, is a manager's own business
    load_case(make_case_dir(tmp_path, managers=edit(MANAGERS, "M1,Anna,Chemie;Pharma,",
                                                    'M1,Anna,"Steine, Erden",')))


def test_decimal_comma_in_a_plain_file_gets_a_hint(tmp_path):
    folder = make_case_dir(tmp_path, customers=edit(CUSTOMERS, ",0.3,", ',"0,3",'))
    with pytest.raises(
        CaseError, match=where("customers.csv", 2, "margin") + r": got '0,3'; .*decimal point"
    ):
        load_case(folder)


def test_decimal_point_in_a_german_file_gets_a_hint(tmp_path):
    customers = (
        "customer_id;revenue;margin;potential;kam_hours\n"
        "C1;1.000;0,3;5.000;100\n"
        "C2;2.000;0.25;1.000;50\n"
    )
    folder = make_case_dir(tmp_path, encoding="cp1252", customers=customers, responses=None)
    with pytest.raises(
        CaseError, match=where("customers.csv", 3, "margin") + r": got '0\.25'; .*decimal comma"
    ):
        load_case(folder)


def test_out_of_range_value(tmp_path):
    folder = make_case_dir(tmp_path, customers=edit(CUSTOMERS, ",0.2,", ",1.7,"))
    with pytest.raises(
        CaseError,
        match=re.escape(
            "customers.csv, row 4, column 'margin': got '1.7'; must be a number in [0, 1]"
        ),
    ):
        load_case(folder)


def test_out_of_range_lower_bound(tmp_path):
    # kam_hours 0 is a key account that needs no hours (issue 23); below 0 is refused
    folder = make_case_dir(tmp_path, customers=edit(CUSTOMERS, ",100,2,", ",-1,2,"))
    with pytest.raises(
        CaseError, match=where("customers.csv", 2, "kam_hours") + ": got '-1'; must be a number >= 0"
    ):
        load_case(folder)


def test_empty_required_cell(tmp_path):
    folder = make_case_dir(tmp_path, customers=edit(CUSTOMERS, ",5000,100,", ",,100,"))
    with pytest.raises(
        CaseError,
        match=where("customers.csv", 2, "potential") + ": is empty; must be a number >= 0",
    ):
        load_case(folder)


def test_empty_id(tmp_path):
    folder = make_case_dir(tmp_path, managers=edit(MANAGERS, "M2,Bernd", ",Bernd"))
    with pytest.raises(
        CaseError, match=where("managers.csv", 3, "manager_id") + ": is empty; a value is required"
    ):
        load_case(folder)


@pytest.mark.parametrize(
    ("table", "old", "new", "row", "column", "expected"),
    [
        ("customers", ",must\n", ",maybe\n", 3, "status", "one of empty, 'must', 'exclude'"),
        ("managers", ",executive\n", ",boss\n", 3, "role", "one of 'kam', 'executive'"),
        ("activities", ",training,", ",coaching,", 3, "kind", "one of 'logistics', 'product'"),
    ],
)
def test_invalid_choice(tmp_path, table, old, new, row, column, expected):
    folder = make_case_dir(tmp_path, **{table: edit(GOOD[table], old, new)})
    with pytest.raises(
        CaseError,
        match=where(f"{table}.csv", row, column)
        + f": got '{new.strip(',').strip()}'; must be {re.escape(expected)}",
    ):
        load_case(folder)


def test_duplicate_id_names_both_rows(tmp_path):
    folder = make_case_dir(tmp_path, customers=edit(CUSTOMERS, "C3,Gamma", "C2,Gamma"))
    with pytest.raises(
        CaseError,
        match=where("customers.csv", 4, "customer_id")
        + ": got 'C2'; must be unique; duplicate of row 3",
    ):
        load_case(folder)


def test_unknown_manager(tmp_path):
    folder = make_case_dir(tmp_path, customers=edit(CUSTOMERS, ",M2,exclude", ",m2,exclude"))
    with pytest.raises(
        CaseError,
        match=where("customers.csv", 4, "current_manager")
        + r": got 'm2'; unknown manager; must be a manager_id in managers\.csv or empty; "
        r"did you mean 'M2'\?",
    ):
        load_case(folder)


def test_unknown_department(tmp_path):
    folder = make_case_dir(tmp_path, activities=edit(ACTIVITIES, ",Logistik,", ",Lager,"))
    with pytest.raises(
        CaseError,
        match=where("activities.csv", 2, "department")
        + r": got 'Lager'; unknown department; must be a department in departments\.csv",
    ):
        load_case(folder)


def test_department_without_departments_file(tmp_path):
    folder = make_case_dir(tmp_path, departments=None)
    with pytest.raises(
        CaseError,
        match=where("activities.csv", 2, "department") + r".*\(departments\.csv is not given\)",
    ):
        load_case(folder)


def test_unknown_customer_in_responses(tmp_path):
    folder = make_case_dir(tmp_path, responses=RESPONSES + "C9,light,10,0.1\n")
    with pytest.raises(
        CaseError,
        match=where("responses.csv", 4, "customer_id")
        + r": got 'C9'; unknown customer; must be a customer_id in customers\.csv",
    ):
        load_case(folder)


def test_duplicate_customer_and_level_in_responses(tmp_path):
    folder = make_case_dir(tmp_path, responses=RESPONSES + "C1,light,70,0.25\n")
    with pytest.raises(
        CaseError,
        match=where("responses.csv", 4, "level")
        + r": got 'light'; each \(customer_id, level\) pair must appear once; duplicate of row 2",
    ):
        load_case(folder)


@pytest.mark.parametrize("name", ["customers", "managers"])
def test_empty_required_table(tmp_path, name):
    header = GOOD[name].split("\n", 1)[0] + "\n"
    folder = make_case_dir(tmp_path, **{name: header})
    with pytest.raises(
        CaseError, match=where(f"{name}.csv", 2) + ": has no data rows below the header"
    ):
        load_case(folder)


def test_entirely_empty_required_file(tmp_path):
    folder = make_case_dir(tmp_path, managers="")
    with pytest.raises(CaseError, match=where("managers.csv", 1) + ": file is empty"):
        load_case(folder)


def test_header_only_optional_table_is_fine(tmp_path):
    folder = make_case_dir(
        tmp_path, responses="customer_id,level,hours,realization\n", activities=None
    )
    case = load_case(folder)
    assert len(case.responses) == 0 and len(case.activities) == 0


# ----------------------------------------------------------- unreadable files
def test_unreadable_encoding(tmp_path):
    folder = make_case_dir(tmp_path)
    (folder / "managers.csv").write_bytes(
        MANAGERS.encode("utf-8") + b"M3,\x81\x8d\x90,,1,10,0,kam\n"
    )
    with pytest.raises(CaseError, match=where("managers.csv") + ": cannot be read as text"):
        load_case(folder)


def test_binary_garbage(tmp_path):
    folder = make_case_dir(tmp_path)
    (folder / "customers.csv").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CaseError, match=where("customers.csv") + ": .*(binary|cannot be read)"):
        load_case(folder)


def test_control_characters_are_binary_data(tmp_path):
    folder = make_case_dir(tmp_path)
    (folder / "customers.csv").write_bytes(CUSTOMERS.encode() + b"C4,\x00\x01\x02\n")
    with pytest.raises(CaseError, match=where("customers.csv", 5) + ": contains binary data"):
        load_case(folder)


def test_a_workbook_saved_with_a_csv_name(tmp_path):
    wb = openpyxl.Workbook()
    folder = make_case_dir(tmp_path)
    wb.save(folder / "customers.csv")
    with pytest.raises(CaseError, match=where("customers.csv") + ": is an Excel workbook"):
        load_case(folder)


def test_a_row_with_more_values_than_the_header(tmp_path):
    customers = CUSTOMERS + "C4,Delta,Bau,1000,0.3,5000,100,2,M1,,extra;value\n"
    folder = make_case_dir(tmp_path, customers=customers)
    with pytest.raises(
        CaseError, match=where("customers.csv", 5) + ": got 'extra;value'; has more values than"
    ):
        load_case(folder)


# ------------------------------------------------------------- all at once
def test_many_problems_are_reported_in_one_raise(tmp_path):
    customers = (
        "customer_id,name,revenue,margin,potential,kam_hours,tier,current_manager,status\n"
        "C1,Alpha,1000,0.3,5000,100,2,M1,\n"  # row 2: fine
        "C2,Beta,abc,0.25,1000,50,1,,\n"  # row 3: revenue not a number
        "C3,Gamma,3000,1.5,2000,80,3,M2,\n"  # row 4: margin out of range
        "C2,Delta,100,0.1,,10,4,M9,maybe\n"  # row 5: dup id, empty potential, tier, manager, status
    )
    managers = "manager_id,capacity_hours,role\nM1,1600,kam\nM2,-5,chief\n"  # row 3: capacity, role
    activities = "activity_id,kind,department\nA1,logistics,Lager\n"  # row 2: department
    responses = "customer_id,level,hours,realization\nC1,light,-1,0.2\nC7,light,10,0.2\n"
    folder = make_case_dir(
        tmp_path,
        customers=customers,
        managers=managers,
        activities=activities,
        responses=responses,
    )
    found = problems(folder)
    expected = [
        ("customers.csv", 3, "revenue"),
        ("customers.csv", 4, "margin"),
        ("customers.csv", 5, "customer_id"),
        ("customers.csv", 5, "potential"),
        ("customers.csv", 5, "tier"),
        ("customers.csv", 5, "current_manager"),
        ("customers.csv", 5, "status"),
        ("managers.csv", 3, "capacity_hours"),
        ("managers.csv", 3, "role"),
        ("activities.csv", 2, "department"),
        ("responses.csv", 2, "hours"),
        ("responses.csv", 3, "customer_id"),
    ]
    assert sorted((p.file, p.row, p.column) for p in found) == sorted(expected)
    assert len(found) == 12
    with pytest.raises(CaseError) as info:
        load_case(folder)
    message = str(info.value)
    assert message.startswith(f"The case {folder} has problems (12 problems):")
    for file, row, column in expected:
        assert f"{file}, row {row}, column '{column}'" in message


def test_problems_per_column_are_capped(tmp_path):
    rows = "".join(f"X{i},Name,1000,{1 + i},5000,100,1,,\n" for i in range(CAP + 15))
    folder = make_case_dir(tmp_path, customers=CUSTOMERS + rows)
    found = problems(folder)
    margin = [p for p in found if p.column == "margin"]
    assert len(margin) == CAP + 1
    assert [p.row for p in margin[:CAP]] == list(range(5, 5 + CAP))
    assert (
        str(margin[-1])
        == "customers.csv, column 'margin': ... and 15 more rows with problems in this column"
    )


def test_problems_carry_their_parts(tmp_path):
    folder = make_case_dir(tmp_path, customers=edit(CUSTOMERS, ",0.2,", ",1.7,"))
    (p,) = problems(folder)
    assert (p.file, p.row, p.column, p.value) == ("customers.csv", 4, "margin", "1.7")
    assert p.expected == "must be a number in [0, 1]"


def test_rows_count_blank_lines_as_excel_shows_them(tmp_path):
    customers = CUSTOMERS.replace("\nC3,", "\n\n\nC3,").replace(",0.2,", ",7,")
    folder = make_case_dir(tmp_path, customers=customers)
    with pytest.raises(CaseError, match=where("customers.csv", 6, "margin")):
        load_case(folder)


# ------------------------------------------------------------------ scenarios
def test_load_case_accepts_custom_level_names(tmp_path):
    folder = make_case_dir(
        tmp_path, responses="customer_id,level,hours,realization\nC1,premium,10,0.5\n"
    )
    case = load_case(folder)
    assert case.responses["level"].tolist() == ["premium"]
    check_against_scenario(case, Scenario(levels=(Level("premium", 2.0, 1.5),)))


def test_levels_of_responses_replace_the_scenarios(tmp_path):
    # an account's rows of responses.csv replace the scenario's levels for it, whatever their
    # names (spec, responses.csv; issue 20 item 10); a level fixed for it must be one of them
    folder = make_case_dir(tmp_path, responses=RESPONSES.replace("\nC1,light", "\n\nC1,premium"))
    case = load_case(folder)
    check_against_scenario(case, Scenario())
    with pytest.raises(
        CaseError,
        match=r"base, column 'coverage\.C1': got 'light'; unknown coverage level; must be one of "
        r"'premium', 'standard' \(the levels responses\.csv gives C1, which replace the levels "
        r"of scenario 'base' for it\)",
    ):
        check_against_scenario(case, Scenario(coverage={"C1": "light"}))


def test_unknown_level_in_a_workbook_names_the_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    tables = dict(GOOD, responses=RESPONSES.replace("standard", "gold"))
    for name, text in tables.items():
        ws = wb.create_sheet(name)
        for line in text.splitlines():
            ws.append(line.split(","))
    wb.save(tmp_path / "case.xlsx")
    case = load_case(tmp_path / "case.xlsx")
    check_against_scenario(case, Scenario())  # C1's own levels (light, gold) replace the scenario's
    with pytest.raises(CaseError, match=re.escape("the levels case.xlsx[responses] gives C1")):
        check_against_scenario(case, Scenario(coverage={"C1": "standard"}))


def test_scenario_ids_must_exist_in_the_case(tmp_path):
    case = load_case(make_case_dir(tmp_path))
    scenario = Scenario(
        name="what-if", unavailable_managers=("M9",), must=("C1", "c2"), exclude=("C7",)
    )
    with pytest.raises(CaseError) as info:
        check_against_scenario(case, scenario)
    found = [(p.file, p.column, p.value) for p in info.value.problems]
    assert found == [
        ("what-if", "unavailable_managers", "M9"),
        ("what-if", "must", "c2"),
        ("what-if", "exclude", "C7"),
    ]
    message = str(info.value)
    assert (
        "what-if, column 'must': got 'c2'; unknown customer; "
        "must be a customer_id in customers.csv; did you mean 'C2'?"
    ) in message
    assert "what-if, column 'unavailable_managers': got 'M9'; unknown manager" in message


def test_a_scenario_that_overrides_the_case_status_is_named_not_silent(tmp_path):
    """A scenario's must/exclude wins over the case's (scenario analysis), and the notes say so."""
    from kamopt.case.sample import make_case
    from kamopt.model.prepare import effective_status, override_notes, status_overrides

    case = make_case(customers=30, managers=3, seed=1)
    ids = case.customers.index
    status = case.customers["status"].copy()
    status[:] = ""
    status[ids[:7]] = "exclude"
    status[ids[7]] = "must"
    case = dataclasses.replace(case, customers=case.customers.assign(status=status))
    what_if = Scenario(name="what_if", must=tuple(ids[:6]), exclude=(ids[7], ids[8]))
    assert (effective_status(case, what_if)[ids[:6]] == "must").all()  # the override stands
    over = status_overrides(case, what_if)  # ids[8] has no status in the case: nothing turned
    assert list(over.index) == [*ids[:6], ids[7]]
    assert over.loc[ids[7]].tolist() == ["must", "exclude"]
    notes = override_notes(case, what_if)
    assert notes == [
        *(f"Scenario 'what_if' overrides the case: {i} is 'must' in the scenario, "
          "'exclude' in customers.csv" for i in ids[:3]),
        f"and 4 more: {ids[3]}, {ids[4]}, {ids[5]}, {ids[7]}"]
    assert len(override_notes(case, what_if, limit=10)) == 7
    # a scenario that repeats the case, or fixes an open customer, overrides nothing
    assert override_notes(case, Scenario(must=(ids[7],), exclude=(ids[0], ids[9]))) == []
    # a workbook case names its sheet
    book = load_case(save_case(case, tmp_path / "case.xlsx"))
    assert override_notes(book, Scenario(name="w", exclude=(ids[7],))) == [
        f"Scenario 'w' overrides the case: {ids[7]} is 'exclude' in the scenario, "
        "'must' in case.xlsx[customers]"]


# ------------------------------------------------------------- in-memory cases
def test_check_case_finds_problems_in_an_edited_case(tmp_path):
    case = load_case(make_case_dir(tmp_path))
    case.customers.loc["C2", "margin"] = 2.0
    case.customers.loc["C3", "current_manager"] = "M7"
    with pytest.raises(CaseError) as info:
        check_case(case)
    assert [(p.file, p.row, p.column) for p in info.value.problems] == [
        ("customers.csv", 3, "margin"),
        ("customers.csv", 4, "current_manager"),
    ]


# ------------------------------------------------------------------------ CLI
def test_kamopt_check_exits_2_with_the_problem_and_no_traceback(tmp_path, capsys):
    folder = make_case_dir(tmp_path, customers=edit(CUSTOMERS, ",0.2,", ",1.7,"))
    assert main(["check", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "customers.csv, row 4, column 'margin': got '1.7'; must be a number in [0, 1]" in err
    assert "Traceback" not in err


def test_kamopt_check_passes_a_good_case(tmp_path, capsys):
    assert main(["check", str(make_case_dir(tmp_path))]) == 0
    assert "valid" in capsys.readouterr().out


def test_a_misspelt_optional_file_is_named_not_ignored(tmp_path):
    """'activites.csv' would leave the case without activities, silently; a file with a name
    unlike any table (notes.csv) is still ignored."""
    folder = make_case_dir(tmp_path, activities=None)
    (folder / "activites.csv").write_text(ACTIVITIES, encoding="utf-8")
    (folder / "Target.csv").write_text("year,scope,order_intake\n", encoding="utf-8")
    (folder / "notes.csv").write_text("anything\n", encoding="utf-8")
    assert sorted(str(p) for p in problems(folder)) == [
        "Target.csv: is not a file kamopt reads; did you mean file 'targets.csv'? Without it "
        "the case has no targets. Rename the file (a file for kamopt to ignore needs a name less "
        "close to one it reads)",
        "activites.csv: is not a file kamopt reads; did you mean file 'activities.csv'? Without "
        "it the case has no activities. Rename the file (a file for kamopt to ignore needs a "
        "name less close to one it reads)",
    ]
    (folder / "activites.csv").rename(folder / "activities.csv")
    (folder / "Target.csv").rename(folder / "targets.csv")
    assert len(load_case(folder).activities) > 0


def test_a_misspelt_optional_sheet_is_named_not_ignored(tmp_path):
    case = load_case(make_case_dir(tmp_path))
    book = save_case(case, tmp_path / "case.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["departments"].title = "Departements"
    wb.create_sheet("README")
    wb.save(book)
    found = [str(p) for p in problems(book)]
    assert found[0] == (
        "case.xlsx[Departements]: is not a sheet kamopt reads; did you mean sheet 'departments'? "
        "Without it the case has no departments. Rename the sheet (a sheet for kamopt to ignore "
        "needs a name less close to one it reads)")
    assert not any("README" in f for f in found)  # a sheet unlike any table is ignored


def test_the_other_tables_are_those_the_mid_term_plan_reads():
    from kamopt.case.assumptions import CAPACITY_BY_YEAR, TARGETS
    from kamopt.case.schema import OTHER_TABLES

    assert OTHER_TABLES == (TARGETS.name, CAPACITY_BY_YEAR.name)


def test_a_misspelt_required_sheet_is_named(tmp_path):
    from kamopt.case.sample import make_case

    save_case(make_case(customers=8, managers=2, seed=1), tmp_path / "c.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "c.xlsx")
    wb["managers"].title = "Manages"
    wb.save(tmp_path / "c.xlsx")
    with pytest.raises(CaseError, match=re.escape(
            "c.xlsx[managers]: sheet 'managers' is missing; it is required; did you mean "
            "'Manages'? (rename it to managers)")):
        load_case(tmp_path / "c.xlsx")


@pytest.mark.parametrize("name", ["customers", "managers", "activities", "departments",
                                  "responses", "pair_costs"])
def test_an_empty_table_is_what_a_header_only_file_parses_to(name):
    """kamopt.case.tables.empty_table (the default of a table a case lacks, and Case's pair_costs)
    builds the frame without the parser: it must be the one the parser gives."""
    import numpy as np
    import pandas as pd

    from kamopt.case.raw import ProblemLog, RawTable, text_array
    from kamopt.case.schema import TABLES_BY_NAME
    from kamopt.case.tables import empty_table
    from kamopt.case.validate import parse_table

    table = TABLES_BY_NAME[name]
    raw = RawTable(table.file, [c.name for c in table.columns],
                   [text_array([]) for _ in table.columns], np.array([], dtype=np.int64))
    parsed = parse_table(raw, table, ProblemLog())
    parsed.attrs.clear()  # where it was read from
    pd.testing.assert_frame_equal(empty_table(table), parsed, check_index_type=True,
                                  check_column_type=True)
    assert empty_table(table).index.name == table.id
