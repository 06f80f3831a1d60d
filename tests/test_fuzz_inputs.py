"""Properties of kamopt's guarantees against hostile input (SECURITY.md), with hypothesis.

Whatever text, ids or YAML an untrusted file holds:
- a CSV cell kamopt writes never starts a formula, and reads back to the text it was;
- an HTML table of kamopt's shows every text as text;
- ids are one id exactly when they are one after normalisation, and a collision is a
  CaseError naming both spellings, never another exception;
- a YAML file is a mapping, or a ScenarioError naming the file: never another
  exception, never an expansion beyond the limits.
"""

from __future__ import annotations

import html
import string
from html.parser import HTMLParser

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamopt.case.raw import id_key
from kamopt.case.scenario import read_yaml
from kamopt.case.staging import read_csv_text, write_csv
from kamopt.errors import CaseError, ScenarioError
from kamopt.present.tables import styled

FEW = settings(max_examples=40, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])

#: text an attacker would try: formula starters, markup, quotes, control and invisible characters
HOSTILE = st.text(
    alphabet=st.sampled_from(list("=+-@\t\r\n<>&\"'/;,| abcK0") + ["\u200b", "\ufeff", "Ｋ", "ß"]),
    min_size=1, max_size=24)
TEXT = st.one_of(HOSTILE, st.sampled_from([
    "=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<b>bold</b>"]))


@FEW
@given(cells=st.lists(TEXT, min_size=1, max_size=6), numbers=st.lists(
    st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=6))
def test_a_csv_cell_never_starts_a_formula_and_reads_back(tmp_path, cells, numbers):
    n = min(len(cells), len(numbers))
    frame = pd.DataFrame({"name": cells[:n], "value": numbers[:n]})
    path = tmp_path / "out.csv"
    write_csv(frame, path)
    raw = pd.read_csv(path, dtype={"name": str}, keep_default_na=False)
    for cell in raw["name"]:
        assert not cell or cell[0] not in "=+-@\t\r" or cell.lstrip("+-").replace(
            ".", "", 1).isdigit(), repr(cell)
    back = read_csv_text(raw)
    assert back["name"].tolist() == frame["name"].tolist()
    assert back["value"].tolist() == pytest.approx(frame["value"].tolist())


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]

    def handle_data(self, data):
        self.text.append(data)


@FEW
@given(names=st.lists(TEXT, min_size=1, max_size=5, unique=True))
def test_an_html_table_shows_every_text_as_text(names):
    df = pd.DataFrame({"name": names, "net": range(len(names))},
                      index=pd.Index([f"{n}#{i}" for i, n in enumerate(names)], name="id"))
    page = styled(df).to_html()
    seen = _Elements()
    seen.feed(page)
    assert set(seen.tags) <= {"style", "table", "thead", "tbody", "tr", "th", "td"}, seen.tags
    assert not seen.handlers
    shown = html.unescape("".join(seen.text))
    for name in names:
        assert name.strip() in shown or not name.strip()


IDS = st.text(alphabet=st.sampled_from(list("Kk0O1l") + ["\u200b", "Ｋ", " "]), min_size=1,
              max_size=5)


@FEW
@given(ids=st.lists(IDS, min_size=2, max_size=6))
def test_ids_are_one_exactly_when_they_normalise_to_one(tmp_path, ids):
    from kamopt.case.io import load_case, save_case
    from kamopt.testing import tiny_case

    base = tiny_case(
        customers=[{"customer_id": f"C{i}", "revenue": 1e6, "margin": 0.3, "potential": 5e5,
                    "kam_hours": 100} for i in range(len(ids))],
        managers=[{"manager_id": "M1", "capacity_hours": 500, "hourly_cost": 100}])
    folder = tmp_path / "case"
    save_case(base, folder)
    table = pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False)
    table["customer_id"] = ids
    table.to_csv(folder / "customers.csv", index=False)
    keys = [id_key(i) for i in ids]
    try:
        case = load_case(folder)
    except CaseError as err:
        text = str(err)
        assert len(set(keys)) < len(keys) or "" in keys, text
        return
    assert len(set(keys)) == len(keys) and "" not in keys
    assert len(case.customers) == len(ids)


KEYS = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8)
YAML_VALUE = st.recursive(
    st.one_of(st.integers(-10, 10), st.floats(0, 1), KEYS, st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12)


@FEW
@given(body=st.one_of(
    YAML_VALUE.map(lambda v: __import__("yaml").safe_dump(v)),
    st.integers(2, 12).map(lambda depth: "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n"
        for i in range(depth))),
    st.text(max_size=60)))
def test_a_yaml_file_is_a_mapping_or_a_clear_refusal(tmp_path, body):
    path = tmp_path / "scenario.yml"
    path.write_text(body, encoding="utf-8")
    try:
        data = read_yaml(path)
    except ScenarioError as err:
        assert "scenario.yml" in str(err)
        return
    assert isinstance(data, dict)
