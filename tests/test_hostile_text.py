"""Text from a case or a scenario is shown as text in every HTML kamopt writes (issue 20, item 1).

A customer list from a client is untrusted input: a customer called
``<script>alert(1)</script> GmbH`` must read as that name in the report (notebooks
02 and 04 exported), the explorer's widgets and the scenario library's comparison,
never run or format the page. Every text column of a case (ids, names, regions,
industries, managers, activities, departments, coverage levels), the scenario's
name and description and the mid-term hire profiles hold such payloads here, and
the HTML is parsed with the standard library's ``html.parser``.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import ipywidgets as W
import pandas as pd
import pytest
import yaml

from kamopt import Scenario, load_case, save_case
from kamopt.case.sample import make_case

PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<b>bold</b>",
            "\"quoted\" & 'apos'")
#: what a payload would make of the page if it were written as HTML
INJECTED_TAGS = ("script", "img", "b")
LEVELS = {"light": "<b>bold</b> light", "standard": "<script>alert(1)</script> standard",
          "intensive": "\"quoted\" & 'apos' intensive"}


def hostile(i: int, tail: str) -> str:
    """The ``i``-th payload (in turn) with ``tail`` after it, which keeps ids and names unique."""
    return f"{PAYLOADS[i % len(PAYLOADS)]} {tail}"


def hostile_case(ids: bool = True):
    """The 30-customer sample with every text replaced by a payload (ids too, if ``ids``)."""
    case = make_case(customers=30, managers=4, seed=1)
    cu, m, a, d, r = (case.customers.copy(), case.managers.copy(), case.activities.copy(),
                      case.departments.copy(), case.responses.copy())
    regions = {x: hostile(i, f"R{i}") for i, x in enumerate(sorted(set(cu.region) | set(m.region)))}
    industries = sorted(set(cu.industry) | {x for t in m.industries for x in t})
    industries = {x: hostile(i + 1, f"I{i}") for i, x in enumerate(industries)}
    departments = {x: hostile(i + 2, f"D{i}") for i, x in enumerate(d.index)}

    def renamed(index, shift, prefix):
        return {x: hostile(i + shift, f"{prefix}{i}") if ids else x for i, x in enumerate(index)}

    cids, mids, aids = renamed(cu.index, 0, "K"), renamed(m.index, 3, "M"), renamed(a.index, 1, "A")
    cu["name"] = [hostile(i, f"GmbH {i}") for i in range(len(cu))]
    cu["region"] = cu["region"].map(regions)
    cu["industry"] = cu["industry"].map(industries)
    cu["current_manager"] = cu["current_manager"].map(lambda x: mids.get(x, x))
    cu.index = cu.index.map(cids)
    m["name"] = [hostile(i + 2, f"Manager {i}") for i in range(len(m))]
    m["region"] = m["region"].map(regions)
    m["industries"] = m["industries"].map(lambda t: tuple(industries[x] for x in t))
    m.index = m.index.map(mids)
    a["name"] = [hostile(i + 3, f"Activity {i}") for i in range(len(a))]
    a["department"] = a["department"].map(lambda x: departments.get(x, x))
    a.index = a.index.map(aids)
    d.index = d.index.map(departments)
    r["customer_id"] = r["customer_id"].map(cids)
    r["level"] = r["level"].map(LEVELS)
    return type(case)(cu, m, a, d, r)


def hostile_scenario(**changes) -> Scenario:
    """The default assumptions under a hostile name and description, with hostile levels."""
    levels = [{"name": LEVELS[lv.name], "hours_factor": lv.hours_factor,
               "realization_factor": lv.realization_factor} for lv in Scenario().levels]
    return Scenario.coerce({"name": "<script>alert(1)</script> scenario",
                            "description": "<img src=x onerror=alert(1)> <b>bold</b> & more",
                            "levels": levels, "mip_gap": 0.01, **changes})


def hostile_targets(case) -> pd.DataFrame:
    """Targets of the company, a hostile region and a hostile industry: the last ones missed."""
    region = case.customers["region"].iloc[0]
    industry = case.customers["industry"].iloc[0]
    in_region = case.customers.loc[case.customers["region"] == region, "revenue"].sum()
    return pd.DataFrame({"year": [2027, 2028, 2027, 2028],
                         "scope": ["company", "company", f"region:{region}",
                                   f"industry:{industry}"],
                         "order_intake": [case.customers["revenue"].sum() * 0.9,
                                          case.customers["revenue"].sum(),
                                          in_region * 3, 1e9]})


def hostile_assumptions(case) -> dict:
    """Mid-term assumptions whose hire profiles have hostile names, regions and industries."""
    region = case.customers["region"].iloc[0]
    industry = case.customers["industry"].iloc[0]
    return {"years": 2, "start_year": 2027, "target_mode": "soft", "shortfall_penalty": 2.0,
            "hire_profiles": [{"name": "<script>alert(1)</script> senior", "seniority": 3,
                               "capacity_hours": 1400, "cost_per_year": 20000, "ramp_up": 1.0,
                               "industries": [industry], "region": region, "max_hires": 1},
                              {"name": "<b>bold</b> kam", "seniority": 2,
                               "capacity_hours": 1400, "cost_per_year": 20000, "ramp_up": 1.0,
                               "industries": [industry], "region": region, "max_hires": 1}]}


# ------------------------------------------------------------------ reading HTML
class Page(HTMLParser):
    """What a browser would make of an HTML text: its elements and its visible text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: Counter = Counter()
        self.handlers: list[tuple[str, list]] = []  # elements with an on... attribute
        self.scripts: list[str] = []
        self.bold: list[str] = []  # the text of <b> elements
        self._open: list[list] = []
        self._text: list[str] = []
        self.feed(text)
        self.close()
        self.text = "".join(self._text)

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        if any(name.lower().startswith("on") for name, _ in attrs):
            self.handlers.append((tag, attrs))
        if tag in ("script", "b"):
            self._open.append([tag, ""])

    def handle_endtag(self, tag):
        if tag in ("script", "b") and self._open and self._open[-1][0] == tag:
            kind, text = self._open.pop()
            (self.scripts if kind == "script" else self.bold).append(text)

    def handle_data(self, data):
        for element in self._open:
            element[1] += data
        if not (self._open and self._open[-1][0] == "script"):
            self._text.append(data)


def assert_inert(html: str, reference: Page | None = None, expect=PAYLOADS) -> Page:
    """No payload became an element of ``html``, and each of ``expect`` reads as text.

    ``reference`` is the page of a benign case: its scripts are the template's own.
    """
    page = Page(html)
    allowed = Counter(reference.scripts) if reference is not None else Counter()
    assert not Counter(page.scripts) - allowed, f"scripts from data: {page.scripts}"
    assert not page.handlers, f"event handlers from data: {page.handlers[:3]}"
    assert not [b for b in page.bold if "bold" in b], "a <b>bold</b> from data is bold"
    assert "alert(1)" not in "".join(page.scripts)
    for payload in expect:
        assert payload in page.text, f"{payload!r} is not shown as text"
    return page


def test_the_checks_see_a_payload_written_as_html():
    """The parser is the judge: a raw payload fails it, an escaped one passes."""
    import html as html_lib

    raw = "<table><tr><td>" + "</td><td>".join(PAYLOADS) + "</td></tr></table>"
    with pytest.raises(AssertionError):
        assert_inert(raw)
    for payload in PAYLOADS[:3]:
        with pytest.raises(AssertionError):
            assert_inert(f"<p>{payload}</p>", expect=())
    assert_inert("<p>" + " ".join(html_lib.escape(p) for p in PAYLOADS) + "</p>")


def test_styled_tables_and_inert_markdown_show_text_as_text():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from kamopt.present.htmlreport import plain_math_markdown
    from kamopt.present.tables import inert_markdown, styled

    df = pd.DataFrame({"name": list(PAYLOADS), "net": [1.0, 2.0, None, 4.0]},
                      index=pd.Index([p + " id" for p in PAYLOADS], name="customer_id"))
    df.columns = [PAYLOADS[2] + " name", "net"]
    page = assert_inert(styled(df, {"net": "{:,.0f}"}, na_rep="–").to_html())
    assert "–" in page.text and PAYLOADS[0] + " id" in page.text
    # a Markdown output (notebook 04's words): no HTML, no link, no image, no formula
    words = ("* **Targets.** 2027 (region " + " ".join(PAYLOADS)
             + ") [a](javascript:alert(1)) ![i](/etc/passwd) $x$ \\[y\\] https://example.com")
    out = markdown2html_mistune(plain_math_markdown(inert_markdown(words)))
    page = assert_inert(out)
    assert page.tags["strong"] == 1 and page.tags["li"] == 1  # kamopt's own markdown stays
    assert not {"a", "math", "code"} & set(page.tags), out
    assert "[a](javascript:alert(1))" in page.text and "$x$" in page.text


# ------------------------------------------------------------------ the report
@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A hostile case folder (with targets), its scenario and assumptions, and a benign case."""
    root = tmp_path_factory.mktemp("hostile")
    case = hostile_case()
    folder = save_case(case, root / "case")
    hostile_targets(case).to_csv(folder / "targets.csv", index=False)
    hostile_scenario().to_yaml(root / "scenario.yml")
    assumptions = root / "assumptions.yml"
    assumptions.write_text(yaml.safe_dump(hostile_assumptions(case), allow_unicode=True),
                           encoding="utf-8")
    benign = save_case(make_case(customers=30, managers=4, seed=1), root / "benign")
    return {"case": folder, "scenario": root / "scenario.yml", "assumptions": assumptions,
            "benign": benign, "root": root}


@pytest.fixture(scope="module")
def benign_report(folders):
    from kamopt.present.htmlreport import render_report

    out = render_report(folders["benign"], None, folders["root"] / "benign.html", mip_gap=0.01,
                        hire=False)
    return Page(out.read_text(encoding="utf-8"))


def test_the_hostile_case_is_read_as_it_is(folders):
    """The payloads survive reading: the report below is of this case, not of a cleaned one."""
    case = load_case(folders["case"])
    assert case.customers.index[0] == "<script>alert(1)</script> K0"
    assert case.customers["name"].iloc[1] == "<img src=x onerror=alert(1)> GmbH 1"
    assert Scenario.from_yaml(folders["scenario"]).name == "<script>alert(1)</script> scenario"


def test_the_report_of_a_hostile_case_shows_every_name_as_text(folders, benign_report):
    from kamopt.present.htmlreport import render_report

    out = render_report(folders["case"], folders["scenario"], folders["root"] / "report.html",
                        mip_gap=0.01, hire=False)
    page = assert_inert(out.read_text(encoding="utf-8"), benign_report)
    assert "Why is a customer a key account, or not?" in page.text
    # the tables of notebook 02 (pandas Stylers): names and ids in cells and index
    for text in ("<script>alert(1)</script> GmbH 0", "<b>bold</b> GmbH 2",
                 "<img src=x onerror=alert(1)> K1", "<script>alert(1)</script> standard"):
        assert text in page.text, text
    assert page.tags["img"] == benign_report.tags["img"]  # the charts only


def test_the_midterm_report_of_a_hostile_case_shows_every_name_as_text(folders, benign_report):
    from kamopt.present.htmlreport import render_report

    out = render_report(folders["case"], folders["scenario"], folders["root"] / "midterm.html",
                        assumptions_path=folders["assumptions"], time_limit=10)
    page = assert_inert(out.read_text(encoding="utf-8"), benign_report)
    case = load_case(folders["case"])
    region, industry = case.customers["region"].iloc[0], case.customers["industry"].iloc[0]
    # the targets table (a Styler) and the words of explain_targets (a Markdown output)
    assert f"region:{region}" in page.text and f"industry:{industry}" in page.text
    assert f"(region {region})" in page.text
    assert "<script>alert(1)</script> senior" in page.text or "<b>bold</b> kam" in page.text


# ------------------------------------------------------------------ the app
def html_values(widget) -> list[str]:
    """The ``value`` of every HTML widget in a widget's tree (``children`` walked)."""
    out = []
    if isinstance(widget, W.HTML | W.HTMLMath):
        out.append(widget.value)
    for child in getattr(widget, "children", ()) or ():
        out += html_values(child)
    return out


@pytest.fixture(scope="module")
def explorer():
    from kamopt.case.assumptions import MidtermAssumptions
    from kamopt.present.widgets import ScenarioExplorer

    case = hostile_case()
    return ScenarioExplorer(case, hostile_scenario(), targets=hostile_targets(case),
                            midterm_assumptions=MidtermAssumptions.from_dict(
                                hostile_assumptions(case)),
                            midterm_time_limit=10)


def test_the_explorer_shows_every_name_as_text(explorer):
    ex = explorer
    case = ex.case
    assert ex.plan is not None and ex.plan.kpis["key_accounts"] > 0
    # a must that overrides the case: a notice naming the customer
    excluded = case.customers.index[-1]
    ex.set(must=(excluded,))
    shown = html_values(ex.widget)
    page = assert_inert("".join(shown), expect=PAYLOADS)
    assert case.customers.at[excluded, "name"] in page.text or excluded in page.text
    assert "<script>alert(1)</script> GmbH 0" in Page(ex.table.value).text \
        or "<img src=x onerror=alert(1)> GmbH 1" in Page(ex.table.value).text
    for value in shown:  # each widget on its own, too
        assert_inert(value, expect=())
    # a box that does not read: the error names the hostile ids, as text
    ex.fix_lead(case.customers.index[0], case.managers.index[0])
    assert ex.error is not None
    assert case.customers.index[0] in Page(ex.message.value).text
    assert_inert("".join(html_values(ex.widget)), expect=())
    ex.set(must=(), leads="")


def test_the_explorers_midterm_and_robustness_tabs_show_every_name_as_text(explorer):
    ex = explorer
    mp = ex.plan_midterm()
    assert mp is not None, ex.midterm_status.value
    table = assert_inert(ex.midterm_table.value, expect=())
    scopes = [s for s in mp.targets["scope"] if s != "company"]
    assert scopes and all(s in table.text for s in scopes)
    assert_inert(ex.midterm_info.value, expect=())
    assert_inert(ex.midterm_hires.value, expect=())
    sw = ex.robustness.run()
    assert sw is not None, ex.robustness.status.value
    assert_inert(ex.robustness.table.value, expect=())
    assert_inert("".join(html_values(ex.widget)), expect=())


def test_the_library_comparison_shows_every_name_as_text(explorer, tmp_path):
    from kamopt.present.library import ScenarioLibrary

    ex = explorer
    library = ScenarioLibrary(ex, root=tmp_path)
    library.name.value = "first"
    library.save_button.click()
    # a second plan without a key account of each payload and without a manager: changes
    keys = list(ex.plan.key_accounts)
    out = tuple(next(k for k in keys if k.startswith(p)) for p in PAYLOADS)
    away = ex.plan.accounts.loc[list(keys), "manager_id"].value_counts().index[0]
    ex.set(exclude=out, unavailable_managers=(away,))
    library.name.value = "second"
    library.save_button.click()
    library.choose.value = ("first", "second")
    library.compare_button.click()
    assert library.comparison is not None, library.message.value
    assert len(library.comparison.key_account_changes) >= len(out)
    assert len(library.comparison.manager_changes) > 0
    page = assert_inert(library.result.value)
    assert all(cid in page.text for cid in out) and away in page.text
    assert_inert(library.message.value, expect=())
    assert_inert("".join(html_values(library.widget)), expect=())
    ex.set(exclude=(), unavailable_managers=())
