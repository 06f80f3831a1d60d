"""Issue 20, items 5, 9 and 10: ids written two ways, store names with a newline, and the
levels of responses.csv against a scenario's.

* Ids are compared after NFKC, without format characters (zero-width spaces, BOM), trimmed
  and case-folded: ``K0005`` and ``k0005`` (or ``K0005`` + a zero-width space, or the
  full-width ``Ｋ０００５``) are one id, so a table that has both is refused (exit 2, both
  rows and both spellings named); a reference written another way than its id is reported
  with the id's row and spelling, never silently matched.
* A saved scenario's name is matched as a whole: ``"base\\n"`` is refused.
* An account's rows in responses.csv replace the scenario's levels for it, whatever their
  names: a scenario with levels ``basis`` and ``voll`` plans data/sample.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from kamopt.case.io import load_case, save_case
from kamopt.case.scenario import Hire, Level, Scenario
from kamopt.case.validate import check_against_scenario, check_case
from kamopt.cli import main
from kamopt.errors import CaseError

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
RULE = "ids are compared without regard to case, character width and invisible characters"


def full_width(text: str) -> str:
    """``K0005`` as ``Ｋ０００５`` (what NFKC maps back to ASCII)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


SPELLINGS = {
    "lower case": str.lower,
    "zero-width space": lambda s: s + "\u200b",
    "full width": full_width,
    "leading BOM and word joiner": lambda s: "\ufeff\u2060" + s,
}


@pytest.fixture(scope="module")
def sample():
    return load_case(SAMPLE)


@pytest.fixture
def folder(sample, tmp_path):
    """data/sample written by save_case, to be edited."""
    return save_case(sample, tmp_path / "case")


def rows_of(folder: Path, table: str) -> list[list[str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def write_rows(folder: Path, table: str, rows: list[list[str]]) -> None:
    with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def append_copy(folder: Path, table: str, key: str, new_key: str) -> int:
    """Append a copy of the row whose first cell is ``key``, with ``new_key`` instead;
    returns the new row's number as Excel shows it."""
    rows = rows_of(folder, table)
    row = next(r for r in rows if r[0] == key)
    rows.append([new_key, *row[1:]])
    write_rows(folder, table, rows)
    return len(rows)


def set_cell(folder: Path, table: str, key: str, column: str, value: str) -> int:
    """Set ``column`` of the first row whose first cell is ``key``; returns its row number."""
    rows = rows_of(folder, table)
    at = rows[0].index(column)
    n = next(i for i, r in enumerate(rows) if r[0] == key)
    rows[n][at] = value
    write_rows(folder, table, rows)
    return n + 1


def row_of(folder: Path, table: str, key: str) -> int:
    return next(i for i, r in enumerate(rows_of(folder, table)) if r[0] == key) + 1


def problems(folder: Path):
    with pytest.raises(CaseError) as info:
        load_case(folder)
    return info.value.problems


# ------------------------------------------------------------------ item 5: id tables
def test_id_key_folds_case_width_and_invisible_characters():
    from kamopt.case.raw import id_key

    for spell in SPELLINGS.values():
        assert id_key(spell("K0005")) == id_key("K0005")
    assert id_key("K0005") != id_key("K0006")
    assert id_key("K 0005") != id_key("K0005")  # a visible difference stays one


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize(
    "table, column, key",
    [("customers", "customer_id", "K0005"), ("managers", "manager_id", "M03"),
     ("activities", "activity_id", "A02"), ("departments", "department", "Logistik")],
)
def test_an_id_written_two_ways_is_refused_naming_both_rows(folder, table, column, key,
                                                            spelling):
    other = SPELLINGS[spelling](key)
    first = row_of(folder, table, key)
    second = append_copy(folder, table, key, other)
    found = [p for p in problems(folder) if p.column == column]
    assert len(found) == 1, found
    p = found[0]
    assert (p.file, p.row, p.value) == (f"{table}.csv", second, other)
    assert p.expected == f"must be unique; the same as {key!r} in row {first} ({RULE})"
    assert f"row {second}" in str(p) and f"row {first}" in str(p) and repr(other) in str(p)


def test_the_cli_check_exits_2_naming_both_rows_and_both_spellings(folder, capsys):
    second = append_copy(folder, "customers", "K0005", "k0005")
    first = row_of(folder, "customers", "K0005")
    assert main(["check", str(folder)]) == 2
    out = capsys.readouterr()
    assert (f"customers.csv, row {second}, column 'customer_id': got 'k0005'; must be unique; "
            f"the same as 'K0005' in row {first}") in out.err
    assert "Traceback" not in out.err + out.out and "valid" not in out.out


def test_an_id_of_invisible_characters_only_is_refused(folder):
    row = append_copy(folder, "managers", "M03", "\u200b")
    found = [p for p in problems(folder) if p.column == "manager_id"]
    assert [(p.row, p.expected) for p in found] == [
        (row, "has only invisible characters; a visible id is required")]


def test_a_case_built_in_code_is_checked_the_same_way():
    from kamopt.testing import tiny_case

    case = tiny_case([dict(customer_id="C1"), dict(customer_id="c1\u200d")],
                     [dict(manager_id="M1")])
    with pytest.raises(CaseError, match=r"row 3, column 'customer_id': got 'c1\\u200d'; must "
                                        r"be unique; the same as 'C1' in row 2"):
        check_case(case)


# ------------------------------------------------------------------ item 5: references
def respelled(file: str, row: int, spelling: str, id_name: str) -> str:
    return (f"; did you mean {spelling!r}? {file}, row {row}, has it: the same {id_name} "
            f"written another way ({RULE}); write it the same way in both places")


@pytest.mark.parametrize(
    "table, key, column, value, target, target_key, id_name",
    [
        ("customers", "K0002", "current_manager", "m04", "managers", "M04", "manager_id"),
        ("activities", "A02", "department", "LOGISTIK", "departments", "Logistik", "department"),
        ("responses", "K0017", "customer_id", "k0017\u200b", "customers", "K0017", "customer_id"),
    ],
)
def test_a_reference_written_another_way_is_reported_with_the_ids_spelling(
        folder, table, key, column, value, target, target_key, id_name):
    row = set_cell(folder, table, key, column, value)
    found = [p for p in problems(folder) if p.column == column]
    assert len(found) == 1, found
    p = found[0]
    assert (p.file, p.row, p.value) == (f"{table}.csv", row, value)
    assert p.expected.endswith(respelled(f"{target}.csv", row_of(folder, target, target_key),
                                         target_key, id_name)), p.expected


def test_pair_costs_references_written_another_way_are_reported(folder):
    write_rows(folder, "pair_costs", [["customer_id", "manager_id", "cost"],
                                      ["k0005", "M03", "100"], ["K0005", full_width("M03"), "50"]])
    found = {p.column: p for p in problems(folder)}
    assert set(found) == {"customer_id", "manager_id"}
    assert found["customer_id"].row == 2 and found["customer_id"].expected.endswith(
        respelled("customers.csv", row_of(folder, "customers", "K0005"), "K0005", "customer_id"))
    assert found["manager_id"].row == 3 and found["manager_id"].expected.endswith(
        respelled("managers.csv", row_of(folder, "managers", "M03"), "M03", "manager_id"))


def test_a_level_of_responses_written_twice_for_an_account_is_refused(folder):
    rows = rows_of(folder, "responses")
    first = next(i for i, r in enumerate(rows) if r[:2] == ["K0017", "light"]) + 1
    rows.append(["K0017", "Light", "80", "0.16"])
    write_rows(folder, "responses", rows)
    found = problems(folder)
    assert [(p.file, p.row, p.column, p.value) for p in found] == [
        ("responses.csv", len(rows), "level", ("K0017", "Light"))]
    assert found[0].expected == ("each (customer_id, level) pair must appear once; the same as "
                                 f"('K0017', 'light') in row {first} ({RULE})")


# ------------------------------------------------------------------ item 5: scenarios
def test_scenario_ids_written_another_way_are_reported_with_the_cases_spelling(sample):
    cust = row_of(SAMPLE, "customers", "K0005")
    mgr = row_of(SAMPLE, "managers", "M03")
    act = row_of(SAMPLE, "activities", "A02")
    scenario = Scenario(name="typo", must=("k0005",), exclude=(full_width("K0005"),),
                        unavailable_managers=("m03",), leads={"K0007": "M03\u200b"},
                        committed_activities={"K0009": ["a02"]},
                        hires=(Hire(prefix="m0"),))
    with pytest.raises(CaseError) as info:
        check_against_scenario(sample, scenario)
    got = {(p.column, p.value): p.expected for p in info.value.problems}
    c_note = respelled("customers.csv", cust, "K0005", "customer_id")
    m_note = respelled("managers.csv", mgr, "M03", "manager_id")
    assert got[("must", "k0005")].endswith(c_note)
    assert got[("exclude", full_width("K0005"))].endswith(c_note)
    assert got[("unavailable_managers", "m03")].endswith(m_note)
    assert got[("leads.K0007", "M03\u200b")].endswith(m_note)
    assert got[("committed_activities.K0009", "a02")].endswith(
        respelled("activities.csv", act, "A02", "activity_id"))
    assert got[("hires", "m01")] == ("a hire's id is a manager's of the case written another "
                                     "way" + respelled("managers.csv", 2, "M01", "manager_id")
                                     + "; set the hire's 'prefix'")
    assert len(got) == 6


# ------------------------------------------------------------------ item 9: store names
@pytest.fixture(scope="module")
def tiny_plan():
    from kamopt import plan
    from kamopt.testing import tiny_case

    case = tiny_case([dict(customer_id="C1", revenue=1e6, margin=0.3, potential=5e5,
                           kam_hours=100)],
                     [dict(manager_id="M1", capacity_hours=150, hourly_cost=100)])
    return plan(case, Scenario(name="base\n"))


@pytest.mark.parametrize("name", ["base\n", "base\r\n", "base\nother", "\nbase"])
def test_a_store_name_with_a_newline_is_refused(tiny_plan, tmp_path, name):
    from kamopt.analysis.store import save_scenario

    with pytest.raises(ValueError, match="The 'name' parameter of save_scenario"):
        save_scenario(tiny_plan, name, root=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_scenario_named_with_a_newline_is_not_saved_under_its_name(tiny_plan, tmp_path):
    from kamopt.analysis.store import save_scenario

    with pytest.raises(ValueError, match=r"Got 'base\\n' instead"):
        save_scenario(tiny_plan, root=tmp_path)  # the scenario's own name, "base\n"
    assert list(tmp_path.iterdir()) == []
    assert save_scenario(tiny_plan, "base", root=tmp_path) == tmp_path / "base"


# ------------------------------------------------------------------ item 10: levels
GERMAN = (Level("basis", 0.8, 0.8), Level("voll", 1.2, 1.1))
NOTE = "Scenario 'voll' has the levels basis and voll; 12 accounts are planned at their own " \
       "levels of responses.csv instead: K0017 (light, standard and intensive), K0019"


def test_responses_levels_need_not_be_the_scenarios(sample):
    check_against_scenario(sample, Scenario(name="voll", levels=GERMAN))  # refused before


@pytest.mark.parametrize(
    "cid, level, levels, whose",
    [("K0017", "voll", "'light', 'standard', 'intensive'",
      "the levels responses.csv gives K0017, which replace the levels of scenario 'voll' for it"),
     ("K0001", "premium", "'basis', 'voll'", "the levels of scenario 'voll'")],
)
def test_a_fixed_level_the_account_does_not_have_is_refused(tmp_path, capsys, cid, level,
                                                           levels, whose):
    sc = tmp_path / "voll.yml"
    sc.write_text("name: voll\nlevels:\n"
                  "  - {name: basis, hours_factor: 0.8, realization_factor: 0.8}\n"
                  "  - {name: voll, hours_factor: 1.2, realization_factor: 1.1}\n"
                  f"coverage:\n  {cid}: {level}\n")
    assert main(["check", str(SAMPLE), "--scenario", str(sc)]) == 2
    err = capsys.readouterr().err
    assert (f"voll, column 'coverage.{cid}': got {level!r}; unknown coverage level; must be one "
            f"of {levels} ({whose})") in err
    assert "Traceback" not in err


def test_a_scenario_with_other_level_names_plans_the_sample(sample, tmp_path, capsys):
    from kamopt import plan
    from kamopt.planning.outputs import plan_notes

    sc = tmp_path / "voll.yml"
    sc.write_text("name: voll\nlevels:\n"
                  "  - {name: basis, hours_factor: 0.8, realization_factor: 0.8}\n"
                  "  - {name: voll, hours_factor: 1.2, realization_factor: 1.1}\n"
                  "mip_gap: 0.02\ncoverage:\n  K0017: intensive\n  K0001: voll\n")
    assert main(["check", str(SAMPLE), "--scenario", str(sc)]) == 0
    assert NOTE in capsys.readouterr().out

    out = tmp_path / "out"
    assert main(["plan", str(SAMPLE), "--scenario", str(sc), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert NOTE in printed.out and "Traceback" not in printed.err
    assert any(n.startswith(NOTE) for n in json.loads((out / "summary.json").read_text())["notes"])

    p = plan(sample, sc)
    p.verify()  # re-derives every rule from the case: each account at its own levels
    assert any(n.startswith(NOTE) for n in plan_notes(p))
    acc = p.accounts[p.accounts["key_account"].astype(int) == 1]
    own = sample.responses.groupby("customer_id")["level"].agg(set)
    for cid, level in acc["level"].items():
        assert level in own.get(cid, {"basis", "voll"}), (cid, level)
    assert acc.loc["K0017", "level"] == "intensive" and acc.loc["K0001", "level"] == "voll"
    assert {"basis", "voll"} & set(acc["level"]) and set(own.index) & set(acc.index)
