"""A column map (columns.yml, kamopt/case/columns.py): a CRM export read as it comes."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kamopt.case.io import load_case
from kamopt.cli import main
from kamopt.errors import CaseError

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SALESFORCE = ROOT / "data" / "crm" / "salesforce"


@pytest.fixture
def crm(tmp_path) -> Path:
    """A copy of the Salesforce example to change."""
    return Path(shutil.copytree(SALESFORCE, tmp_path / "crm"))


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8-sig")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _problems(folder: Path) -> str:
    with pytest.raises(CaseError) as err:
        load_case(folder)
    return str(err.value)


def test_the_salesforce_example_is_the_sample():
    case, sample = load_case(SALESFORCE), load_case(SAMPLE)
    pd.testing.assert_frame_equal(case.customers, sample.customers, check_exact=True)
    for name in ("managers", "activities", "departments", "responses", "pair_costs"):
        pd.testing.assert_frame_equal(case.tables[name], sample.tables[name], check_exact=True)
    # the report's other columns (Account ID, Type, Billing Country) are not read
    assert list(case.customers.columns) == list(sample.customers.columns)


def test_the_example_is_what_its_script_writes(tmp_path):
    script = runpy.run_path(str(ROOT / "data" / "crm" / "make_salesforce_example.py"))
    script["main"].__globals__["OUT"] = tmp_path
    script["main"]()
    for f in sorted(SALESFORCE.iterdir()):
        assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f.name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in
                                                                SALESFORCE.iterdir())


def test_kamopt_check_reads_the_export(capsys):
    assert main(["check", str(SALESFORCE)]) == 0
    assert "customers               250" in capsys.readouterr().out


def test_a_bad_value_names_the_exports_header(crm):
    _edit(crm / "Accounts.csv", '"1,501,000.00"', "abc")
    text = _problems(crm)
    assert ("Accounts.csv, row 3, column 'Annual Revenue' (revenue): got 'abc'; must be a number "
            ">= 0") in text


def test_a_value_the_map_does_not_name_is_checked_as_it_is(crm):
    lines = (crm / "Accounts.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].endswith(",")  # K0001 has no KAM decision
    lines[1] += "Maybe"
    lines[2] = lines[2].replace("Uwe Vogel,", "Uwe Vogl,", 1)
    (crm / "Accounts.csv").write_text("\n".join(lines), encoding="utf-8")
    text = _problems(crm)
    assert "Accounts.csv, row 2, column 'KAM Decision' (status): got 'Maybe'; must be one of" in text
    assert ("Accounts.csv, row 3, column 'Account Owner' (current_manager): got 'Uwe Vogl'; "
            "unknown manager") in text


def test_headers_the_map_does_not_name_are_ignored(crm):
    # a header kamopt would read (tier) is not read when the map leaves it out
    _edit(crm / "Accounts.csv", "Account ID,", "Tier,")
    assert load_case(crm).customers["tier"].equals(load_case(SAMPLE).customers["tier"])
    _edit(crm / "columns.yml", '    "KAM Tier": tier\n', "")
    assert (load_case(crm).customers["tier"] == 1).all()  # the default, not column 'Tier'


def test_headers_are_matched_without_regard_to_case_and_spaces(crm):
    _edit(crm / "Accounts.csv", "Annual Revenue", "ANNUAL  revenue")
    assert load_case(crm).customers["revenue"].equals(load_case(SAMPLE).customers["revenue"])


@pytest.mark.parametrize("old, new, said", [
    ("customers:", "customer:", "columns.yml, column 'customer': got 'customer'; is not a table "
                               "kamopt reads; did you mean 'customers'?"),
    ('"Annual Revenue": revenue', '"Annual Revenue": revenu',
     "columns.yml, column 'customers.columns.Annual Revenue': got 'revenu'; is not a column of "
     "customers; did you mean 'revenue'?"),
    ('"Cross-Sell Potential": potential', '"Cross-Sell Potential": revenue',
     "columns.yml, column 'customers.columns': got 'Cross-Sell Potential'; maps a second header "
     "to column 'revenue' (the first: 'Annual Revenue')"),
    ("  file: Accounts.csv", "  file: ../Accounts.csv", "columns.yml, column 'customers.file': "
                                                        "got '../Accounts.csv'; must be a file "
                                                        "name in the case folder"),
    ("  values:", "  value:", "columns.yml, column 'customers.value': got 'value'; is not a key "
                              "of a table's map; did you mean 'values'?"),
    ('      "Not a key account": exclude', '      "Not a key account":',
     "columns.yml, column 'customers.values.status': got 'Not a key account'; must map a value"),
])
def test_the_map_itself_is_checked(crm, old, new, said):
    _edit(crm / "columns.yml", old, new)
    assert said in _problems(crm)


def test_a_mapped_header_missing_from_the_file(crm):
    _edit(crm / "Accounts.csv", "KAM Hours", "KAM Hrs")
    text = _problems(crm)
    assert ("columns.yml, column 'customers.columns': got 'KAM Hours'; is not a header of "
            "Accounts.csv; did you mean 'KAM Hrs'?") in text
    assert ("Accounts.csv, row 1, column 'kam_hours': required column is missing: columns.yml "
            "maps no header of Accounts.csv to it") in text


def test_the_file_the_map_names_must_be_there_and_alone(crm, capsys):
    shutil.copyfile(SAMPLE / "customers.csv", crm / "customers.csv")
    assert ("customers.csv: is in the folder, and columns.yml reads table customers from "
            "Accounts.csv; keep one of them") in _problems(crm)
    (crm / "Accounts.csv").unlink()
    (crm / "customers.csv").unlink()
    assert main(["check", str(crm)]) == 2
    assert ("Accounts.csv: file is missing; it is required (columns.yml reads table customers "
            "from it)") in capsys.readouterr().err


def test_a_map_that_is_no_yaml_mapping(crm):
    (crm / "columns.yml").write_text("- customers\n- managers\n")
    assert "must be a mapping" in _problems(crm)
    (crm / "columns.yml").write_text("customers: [\n")
    assert "is not valid YAML" in _problems(crm)
