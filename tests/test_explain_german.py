"""The explanations and the scenario notes in German (the German board report): the same
sentences with the same figures, in German words and with German separators."""

import re
from pathlib import Path

import pytest

from kamopt.analysis.explain import explain, marginal_table, marginal_values
from kamopt.case.io import load_case
from kamopt.case.scenario import Hire, Level, Scenario
from kamopt.i18n import catalogue, language, tr
from kamopt.model.prepare import and_list, hire_notes, scenario_notes
from kamopt.planning.oneyear import plan
from kamopt.testing import tiny_case

ROOT = Path(__file__).resolve().parents[1]

#: English that must not be left in a German explanation
ENGLISH = ("Key account:", "Key account,", "Not a key account", "led by", "per KAM hour", "earns",
           "at the margin", "an hour", "would need", "more potential", "cannot pay", "its best",
           "by the user", "fixed by", "committed", "industry fit", "current manager", "needs",
           "seniority", "cheapest", " a year", " and ", "Scenario '", "overrides", "accounts",
           "department", "hour", " to ", " more")


def figures(text: str, lang: str) -> list[str]:
    """The numbers of ``text`` in the order written, as English digits (``1.234,5`` -> ``1234.5``)."""
    found = re.findall(r"\d(?:[\d.,]*\d)?", text)
    if lang == "de":
        return [f.replace(".", "").replace(",", ".") for f in found]
    return [f.replace(",", "") for f in found]


def english_left(text: str) -> list[str]:
    return [w for w in ENGLISH if w in text]


@pytest.fixture(scope="module")
def sample():
    case = load_case(ROOT / "data" / "sample")
    sc = Scenario.from_yaml(ROOT / "data" / "scenarios" / "base.yml").replace(mip_gap=0.01)
    return plan(case, sc)


@pytest.fixture(scope="module")
def both(sample):
    """explain() of the sample in English and in German."""
    en = explain(sample)
    with language("de"):
        de = explain(sample)
    return en, de


def test_the_sample_is_explained_in_german_with_the_english_figures(both):
    en, de = both
    assert de.index.equals(en.index)
    ka = de["key_account"] == 1
    assert de.loc[ka, "why"].str.startswith("Key Account").all()
    assert de.loc[~ka, "why"].str.startswith("Kein Key Account").all()
    for cid in de.index:
        for col in ("why", "manager_reasons"):
            text = de.at[cid, col]
            assert not english_left(text), (cid, text, english_left(text))
            assert figures(text, "de") == figures(en.at[cid, col], "en"), (cid, text)
    # every kind of sentence of the sample, and German separators where figures have them
    assert set(de["reason"]) >= {"key account", "below the margin", "cannot pay", "must",
                                 "excluded"}
    assert de["why"].str.contains(r"\d,\d-Fache der ").any()
    assert de["why"].str.contains(" je KAM-Stunde ein, unter den ").any()
    assert de["why"].str.contains(r"\d Tsd\. EUR mehr Potenzial").any()
    assert de["manager_reasons"].str.contains("Branchenkenntnis ").any()


def test_the_figures_and_codes_of_the_frame_do_not_depend_on_the_language(both):
    en, de = both
    data = en.columns.drop(["why", "manager_reasons"])
    assert de[data].equals(en[data])  # reason stays English: code filters on it


def test_every_reason_has_its_german():
    de = catalogue("de")
    for reason in ("must", "key account", "excluded", "no eligible manager", "cannot pay",
                   "below the margin", "at the margin"):
        assert de.get(reason), reason
    with language("de"):
        assert tr("below the margin") == "unter dem Rand"


def test_the_marginal_table_in_german(sample):
    with language("de"):
        mv = marginal_values(sample, hire=Hire(capacity_hours=1_234.0, hourly_cost=96.0))
        table = marginal_table(mv)
        top = marginal_table(mv, top=3)
    mv_en = marginal_values(sample, hire=False)
    assert list(mv["kind"].unique()) == ["manager hour", "department hour", "new KAM"]
    assert (mv.loc[mv["kind"] != "new KAM", "what"].str.startswith(
        "EUR pro Jahr je zusätzlicher Stunde ")).all()
    hours = mv["kind"] == "manager hour"
    assert (mv.loc[hours, "what"] == mv_en.loc[hours, "what"].str.replace(
        "EUR a year per extra hour of", "EUR pro Jahr je zusätzlicher Stunde von").str.replace(
        "(executive)", "(Geschäftsleitung)")).all()
    new = mv[mv["kind"] == "new KAM"].iloc[0]
    assert new["name"] == "ein weiterer KAM in Vollzeit"
    assert new["what"] == ("EUR pro Jahr durch einen weiteren KAM in Vollzeit (Seniorität 2, "
                           "1.234 h zu 96 EUR/h), neu geplant")
    assert set(table["per"]) == {"Stunde"}
    assert any(name.startswith("Abteilung ") for name in table.index)
    # the same numbers, German separators
    table_en = marginal_table(mv_en)
    for col in ("capacity", "used", "unused"):
        assert [figures(t, "de") for t in table[col]] == [figures(t, "en") for t in table_en[col]]
    assert table["capacity"].str.contains(r"^\d\.\d{3} h$").any()
    more = top.index[-1]
    assert re.fullmatch(r"\.\.\. \d+ weitere", more)
    assert re.fullmatch(r"[\d.]+ bis [\d.]+", top.loc[more, "one more is worth (EUR a year)"])


def test_a_binding_budget_is_said_in_german():
    def cust(cid, hours, per_hour):
        return dict(customer_id=cid, revenue=1_000, margin=0.5, potential=4 * per_hour * hours,
                    kam_hours=hours)

    case = tiny_case([cust("A", 10, 600), cust("B", 10, 300)],
                     [dict(manager_id="M1", capacity_hours=1_000, hourly_cost=100)])
    sc = Scenario(levels=(Level("standard", 1.0, 1.0),), realization=0.5, retention=0.0,
                  industry_fit=0.0, mip_gap=0.0, budget=1_500)
    p = plan(case, sc)
    en = explain(p)
    with language("de"):
        de = explain(p)
    assert "per KAM hour (cost weighed 3.00x, as the budget binds)" in en.at["B", "why"]
    assert "je KAM-Stunde (Kosten 3,00-fach gewichtet, da das Budget bindet)" in de.at["B", "why"]
    for cid in de.index:
        assert not english_left(de.at[cid, "why"]), de.at[cid, "why"]
        assert figures(de.at[cid, "why"], "de") == figures(en.at[cid, "why"], "en")


def test_the_scenario_notes_in_german(sample):
    case = sample.case
    status = case.customers["status"]
    out, must = status.index[status == "exclude"][0], status.index[status == "must"][0]
    ids = list(case.customers.index)
    sc = sample.scenario.replace(
        name="what_if", must=(ids[0], out), exclude=(must,), leads={out: "M08", ids[0]: "M08"},
        coverage={ids[0]: "intensive"}, committed_activities={ids[1]: ["A01", "A02"]},
        excluded_leads={ids[3]: ["M01", "M02"]}, hires=(Hire(count=2),))
    en = scenario_notes(case, sc)
    with language("de"):
        de = scenario_notes(case, sc)
    assert len(de) == len(en) >= 6
    for e, d in zip(en, de, strict=True):
        assert not english_left(d), d
        assert figures(d, "de") == figures(e, "en")
    assert de[0] == (f"Szenario „what_if“ übersteuert den Fall: {out} ist im Szenario „must“ "
                     f"(geführt von M08, festgelegt), in customers.csv „exclude“")
    assert f"{ids[3]} nicht durch M01 oder M02" in " ".join(de)
    assert f"Maßnahmen für 1 Account zu: {ids[1]} A01 und A02" in " ".join(de)


def test_the_hire_notes_and_lists_in_german():
    case = tiny_case([dict(customer_id="C1")], [dict(manager_id="A"), dict(manager_id="B")],
                     pair_costs=[dict(customer_id="C1", manager_id="A", cost=30.0)])
    sc = Scenario(hires=(Hire(count=2), Hire(pair_costs_from="B")))
    with language("de"):
        notes = hire_notes(case, sc)
        assert and_list(["A01", "A02", "A03"]) == "A01, A02 und A03"
    assert notes[0].startswith("Neueinstellungen NEW1, NEW2: pair_costs.csv kann sie nicht ")
    assert notes[1] == "Neueinstellung NEW3 hat die Paarkosten von B"
    assert and_list(["A01", "A02", "A03"]) == "A01, A02 and A03"
