"""The model against a published case: Pfizer Turkey's sales territories (kamopt.case.published).

The figures come from the case (Köksalan and Batun, INFORMS Transactions on
Education, 2009) and were re-computed independently (shared/validation); kamopt
must reproduce them through its own model, with the case cast in its terms.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

import kamopt
from kamopt.analysis.baselines import account_economics, plan_from_decisions
from kamopt.case.io import load_case
from kamopt.case.published import (
    PFIZER_FIGURES,
    disruption_weight,
    pfizer_scenario,
    pfizer_turkey,
    read_pfizer_turkey,
)
from kamopt.cli import main
from kamopt.errors import BaselineError
from kamopt.testing import assert_plan_sound

FOLDER = Path(__file__).resolve().parents[1] / "data" / "validation" / "pfizer_turkey"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return read_pfizer_turkey(FOLDER / "pfizer_turkey_22x4.csv")


def distance(table: pd.DataFrame, lead: pd.Series) -> float:
    """Total distance of an assignment (brick -> representative), from the published table."""
    col = {f"SR{k}": c for k, c in enumerate([c for c in table.columns if c.startswith("d_SR")], 1)}
    rows = table.set_index("brick")
    return float(sum(rows.at[int(b[1:]), col[r]] for b, r in lead.items()))


def test_the_current_assignment_has_the_published_distance_and_breaks_the_band(table):
    case = pfizer_turkey(table)
    cur = case.customers["current_manager"]
    dec = pd.DataFrame({"level": "standard", "manager_id": cur, "activities": ""})
    econ = account_economics(case, pfizer_scenario(), dec)
    assert econ["cost"].sum() == pytest.approx(PFIZER_FIGURES["current_distance"], abs=5e-3)
    load = econ["hours"].groupby(cur).sum()
    assert tuple(load.round(4)) == PFIZER_FIGURES["current_workloads"]
    with pytest.raises(BaselineError) as err:  # kamopt names what breaks the band
        plan_from_decisions(case, pfizer_scenario(), dec, label="today")
    assert "capacity[SR2]: 1.338 h planned, 1.2 h available" in str(err.value)
    assert "min_workload[SR3]: 0.7048 h planned, at least 0.8 h required" in str(err.value)


def test_the_least_total_distance_within_the_band(table):
    case = pfizer_turkey(table, "distance")
    p = kamopt.plan(case, pfizer_scenario())
    assert p.status == "optimal"
    assert -p.objective == pytest.approx(PFIZER_FIGURES["min_distance"], abs=5e-3)
    assert distance(table, p.accounts["manager_id"]) == pytest.approx(
        PFIZER_FIGURES["min_distance"], abs=5e-3)
    assert p.managers["hours_used"].between(0.8 - 1e-9, 1.2 + 1e-9).all()
    assert_plan_sound(p)
    assert "22 key accounts, 4 of 4.8 h" in repr(p)  # small hours as they are


def test_the_least_disruption_within_the_band_and_its_distance(table):
    case = pfizer_turkey(table, "disruption")
    p = kamopt.plan(case, pfizer_scenario())
    assert p.status == "optimal"
    assert p.kpis["hours_changing_hands"] == pytest.approx(PFIZER_FIGURES["min_disruption"],
                                                           abs=5e-5)
    assert distance(table, p.accounts["manager_id"]) == pytest.approx(
        PFIZER_FIGURES["distance_at_min_disruption"], abs=5e-3)
    w = disruption_weight(table)
    assert -p.objective == pytest.approx(w * PFIZER_FIGURES["min_disruption"]
                                         + PFIZER_FIGURES["distance_at_min_disruption"], abs=1e-2)
    assert_plan_sound(p)


def test_the_weight_puts_disruption_first(table):
    d = table[[c for c in table.columns if c.startswith("d_SR")]]
    assert disruption_weight(table) * 1e-4 > (d.max(axis=1) - d.min(axis=1)).sum()


@pytest.mark.parametrize("objective", ["distance", "disruption"])
def test_the_shipped_case_folders_are_the_cast_of_the_published_table(table, objective):
    assert load_case(FOLDER / objective) == pfizer_turkey(table, objective)


def test_the_command_line_reproduces_the_least_distance(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["plan", str(FOLDER / "distance"), "--scenario", str(FOLDER / "territory.yml"),
                 "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert -summary["objective"] == pytest.approx(PFIZER_FIGURES["min_distance"], abs=5e-3)
    assert "22 of 22 customers" in capsys.readouterr().out
    # the least disruption beside it: 2 bricks change hands instead of 7; 4.8 h read 4.8
    assert main(["plan", str(FOLDER / "disruption"), "--scenario", str(FOLDER / "territory.yml"),
                 "--out", str(tmp_path / "least_disruption")]) == 0
    capsys.readouterr()
    assert main(["compare", str(out), str(tmp_path / "least_disruption")]) == 0
    table = capsys.readouterr().out
    assert re.search(r"accounts_changing_hands\s+7\s+2\n", table)
    assert re.search(r"hours_available\s+4.8\s+4.8\n", table)


def test_check_and_frontier_show_small_hours_with_decimals(capsys):
    """A workload index of 4.8 reads 4.8, not 5, in `kamopt check` and `kamopt frontier`."""
    assert main(["check", str(FOLDER / "distance")]) == 0
    out = capsys.readouterr().out
    assert "KAM hours needed              4 h" in out
    assert "KAM hours avail.            4.8 h (120% of needed)" in out
    assert "KAM hours min.              3.2 h at least" in out
    assert main(["frontier", str(FOLDER / "distance"), "--scenario", str(FOLDER / "territory.yml"),
                 "--max-hires", "1"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:3]]
    assert [r[:2] for r in rows] == [["0", "4.8"], ["1", "6"]]


def test_the_workbook_shows_small_hours_with_decimals(table, tmp_path):
    from openpyxl import load_workbook

    p = kamopt.plan(pfizer_turkey(table, "distance"), pfizer_scenario())
    p.to_excel(tmp_path / "plan.xlsx")
    ws = load_workbook(tmp_path / "plan.xlsx")["Managers"]
    head = [c.value for c in ws[1]]
    for col in ("KAM hours used a year", "Capacity (KAM hours a year)",
                "Minimum workload (KAM hours a year)"):
        cell = ws.cell(row=2, column=head.index(col) + 1)
        assert cell.number_format == "#,##0.0###", col
    acc = load_workbook(tmp_path / "plan.xlsx")["Accounts"]
    head = [c.value for c in acc[1]]
    assert acc.cell(row=2, column=head.index("Cost of the manager-customer pair (EUR a year)")
                    + 1).number_format == "#,##0.0###"


def test_the_mid_term_plan_repeats_the_least_distance_and_says_why_handovers_block_it(table):
    from kamopt.case.assumptions import MidtermAssumptions
    from kamopt.errors import InfeasibleError
    from kamopt.planning.midterm import plan_midterm

    case = pfizer_turkey(table, "distance")
    none = pd.DataFrame({"year": [], "scope": [], "order_intake": []})
    flat = MidtermAssumptions(years=2, handover_hours=0, ramp=(1.0,), churn_without_kam=0,
                              churn_with_kam=0, discount_rate=0)
    mp = plan_midterm(case, pfizer_scenario(), 2, none, assumptions=flat,
                      capacity_by_year=pd.DataFrame(columns=["manager_id", "year",
                                                             "capacity_hours"]))
    assert mp.status == "optimal"
    assert -mp.kpis["npv"] == pytest.approx(2 * PFIZER_FIGURES["min_distance"], abs=1e-2)
    # the headline in whole units for a case this small (not "-0.00 M")
    from kamopt.planning.midterm_outputs import headline

    assert re.search(r"\n  2027 +0 +- +- +22 +0 +-155\n  2028 ", headline(mp))
    # 40 h of handover per change of hands cannot fit a 1.2 h year: today's out-of-band
    # assignment cannot change, and the message says which requirements are in play
    with pytest.raises(InfeasibleError, match=r"manager capacity \(with 40 h of handover when an "
                                              r"account changes hands\), must accounts, "
                                              r"managers' minimum workloads"):
        plan_midterm(case, pfizer_scenario(), 2, none, assumptions=flat.replace(handover_hours=40),
                     capacity_by_year=pd.DataFrame(columns=["manager_id", "year",
                                                            "capacity_hours"]))
