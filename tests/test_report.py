"""The HTML report without code, and the notebooks' outputs policy (docs/notebooks.md)."""

import argparse
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from kamopt.cli.report import add_report_command
from kamopt.errors import InputError, ReportError
from kamopt.present import htmlreport as htmlreport
from kamopt.present.htmlreport import (
    INSTALLED_NOTEBOOK,
    MIDTERM_NOTEBOOK,
    NOTEBOOK,
    inject_parameters,
    is_checked,
    render_report,
    report_notebook,
    strip_outputs,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The report of the sample, rendered once for every test here (~10 s)."""
    out = tmp_path_factory.mktemp("report") / "sub" / "report.html"
    path = render_report(ROOT / "data" / "sample", ROOT / "data" / "scenarios" / "base.yml", out,
                         mip_gap=0.01, title="Key accounts 2026", client="Rheinwerk <GmbH>",
                         author="A. Consultant, Firm & Co", date="2026-03-31")
    return path, path.read_text(encoding="utf-8")


def test_the_report_is_written_atomically_and_readable(report):
    path, html = report
    assert path.is_file() and html.lstrip().lower().startswith("<!doctype html>")
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]  # no temporary file left
    assert path.stat().st_mode & stat.S_IRGRP  # not the 0600 of a temporary file


def test_the_report_has_every_chart_as_a_static_png_and_no_code(report):
    _, html = report
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == 6
    assert "&lt;Figure size" not in html and "<Figure size" not in html
    assert "application/vnd.jupyter.widget" not in html
    assert not re.search(r'class="[^"]*(jp-InputArea-editor|jp-InputPrompt)', html)  # no code
    assert "from kamopt" not in html and "plan(case, scenario)" not in html
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html  # no error output


def test_the_report_tells_the_story_of_the_injected_case(report):
    _, html = report
    for heading in ("Executive summary", "Optimised plan against the baselines",
                    "What is one more hour worth?",
                    "Why is a customer a key account, or not?", "How robust is the selection?",
                    "What it means", "Technical appendix"):
        assert heading in html
    # the checks ran (a failing one fails the report) but are for the notebook, as is LaTeX
    assert "all checks passed" not in html
    assert "In formulas" not in html
    assert "2 · The key-account" not in html
    assert "Plan(optimal" not in html and "This notebook" not in html  # a report, not a notebook
    assert "word-break:normal" in html  # printed lines do not break inside numbers
    # who serves them: how many key accounts change hands against today
    assert re.search(r"Led by someone other than today(&#x27;|')s manager</td>\s*<td[^>]*>\d+ key "
                     r"accounts \([\d,]+ KAM hours a year at standard coverage\)", html)
    # how robust: the realisation estimate a quarter lower and higher, the core and the swing
    assert "Sensitivity to realization" in html and "22.5%" in html and "37.5%" in html
    assert re.search(r"Key accounts in every plan \(3 of 3 values planned\): \d+\.", html)


def test_the_report_reads_as_a_board_paper(report):
    """Title block and summary first; no local path, console dump or solver jargon before
    the technical appendix; the headline against the strongest baseline, split by decision."""
    _, html = report
    text = re.sub(r"\s+", " ", visible_text(html))
    main, appendix = text.split("Technical appendix", 1)
    assert "Key accounts 2026" in text and "Client: Rheinwerk <GmbH>" in text  # escaped, shown
    assert "Rheinwerk <GmbH>" not in html  # never as markup
    assert "A. Consultant, Firm & Co" in text and "31 March 2026" in text  # the date written out
    assert re.search(r"<title>Key accounts 2026: Rheinwerk", html)
    assert text.index("Executive summary") < text.index("The evidence") < text.index(
        "Optimised plan against the baselines")
    assert text.index("Key accounts 2026") < text.index("Executive summary")
    for word in ("MIP gap", "LP relaxation", "HiGHS", "relaxation", str(ROOT), ": valid"):
        assert word not in main, word
    assert "MIP gap" in appendix and "HiGHS" in appendix and "Bound" in appendix
    summary = main.split("The evidence", 1)[0]
    m = re.search(r"more than the strongest baseline , Greedy by value per KAM hour, repaired",
                  summary)
    assert m, summary
    assert re.search(r"Make \d+ of the 250 customers key accounts", summary)
    assert "The risks." in summary and "What to decide." in summary
    assert "Realisation" not in main.replace("realisation", "")  # one spelling in prose
    assert "realization" not in main
    # the split by decision adds up to the gain against the strongest baseline
    def money(s):
        s = s.replace("−", "-").replace(",", "")
        n, unit = re.fullmatch(r"(-?[\d.]+) ?([kM]?) ?EUR", s.strip()).groups()
        return float(n) * {"": 1, "k": 1e3, "M": 1e6}[unit]
    gain = money(re.search(r"net contribution, ([−\d.,]+ [kM]? ?EUR) \(", summary).group(1))
    parts = re.findall(r"(Which customers are key accounts|Coverage levels|Activities|Who leads "
                       r"them): ([−\d.,]+ [kM]? ?EUR) a year", summary)
    assert [p for p, _ in parts] == ["Which customers are key accounts", "Coverage levels",
                                     "Activities", "Who leads them"]
    assert sum(money(v) for _, v in parts) == pytest.approx(gain, rel=0.05, abs=30_000)
    # tables with labels for people and no index column
    assert "Net contribution (EUR a year)" in html and "Manager" in html
    for raw in ("uplift_pct", "net_per_hour", "manager_id", "key_accounts"):
        assert f">{raw}<" not in html, raw
    assert 'class="index_name' not in html and "blank level0" not in html
    # print and phone: A4, sections on new pages, tables that scroll in their box
    assert "size:A4" in html and "break-before:page" in html and "overflow-x:auto" in html


def visible_text(page: str) -> str:
    """What a reader sees of an HTML page: no style, script, tags or entities."""
    import html as html_

    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html_.unescape(re.sub(r"<[^>]+>", " ", page))


def assert_readable_offline(page: str) -> None:
    """Nothing fetched from the internet when the page opens, and no TeX source on show."""
    assert "mathjax" not in page.lower() and "cdnjs" not in page
    assert not re.search(r"<script[^>]+src=[\"']?https?:", page, re.I)
    assert not re.search(r"import\(\s*[\"']https?:", page)
    text = visible_text(page)
    assert not re.search(r"\$[^$\s][^$]*\$|\\[A-Za-z]+", text), re.search(
        r".{0,60}(\$[^$\s][^$]*\$|\\[A-Za-z]+).{0,60}", text, re.S)


def test_the_report_opens_offline(report):
    _, page = report
    assert_readable_offline(page)


def test_formulas_in_a_report_read_without_mathjax(tmp_path):
    """The formulas of notebooks 1 and 2 (and a Markdown output) as MathML."""
    cells = [nbformat.v4.new_code_cell("CASE = None", metadata={"tags": ["parameters"]})]
    for name in ("01_portfolio.ipynb", "02_key_account_plan.ipynb"):
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        cells += [nbformat.v4.new_markdown_cell(c.source) for c in nb.cells
                  if c.cell_type == "markdown" and "$" in c.source]  # not report-skip here
    cells.append(nbformat.v4.new_code_cell(
        "from IPython.display import Markdown\nMarkdown(r'price $\\pi_j$ of an hour')"))
    src = tmp_path / "formulas.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), src)
    page = render_report(ROOT / "data" / "sample", None, tmp_path / "f.html",
                         notebook=src).read_text(encoding="utf-8")
    assert_readable_offline(page)
    text = visible_text(page)
    assert "∑" in text and "≥" in text and "τ" in text and "π" in text
    assert "<msub><mi>R</mi><mi>i</mi></msub>" in page  # $R_i$
    assert "<mfrac>" in page and "<mtable>" in page  # fractions, the constraints' table


def test_inject_parameters_replaces_only_the_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    out = inject_parameters(nb, CASE="/x/case", SCENARIO=None)
    changed = [i for i, (a, b) in enumerate(zip(nb.cells, out.cells, strict=True))
               if a.source != b.source]
    assert len(changed) == 1
    cell = out.cells[changed[0]]
    assert "CASE = '/x/case'" in cell.source and "SCENARIO = None" in cell.source
    assert "MIP_GAP = 0.01" in cell.source  # not given: the notebook's default
    assert "injected-parameters" in cell.metadata["tags"]
    assert nb.cells[changed[0]].source.count("CASE =") == 1  # the original is untouched


def test_render_report_says_what_is_missing(tmp_path):
    # missing inputs are bad input (exit status 2), all named at once, before the notebook runs
    with pytest.raises(InputError, match="does not exist") as err:
        render_report(tmp_path / "nope", tmp_path / "no.yml", tmp_path / "r.html",
                      assumptions_path=tmp_path / "none.yml")
    assert err.value.exit_code == 2 and len(err.value.problems) == 3
    with pytest.raises(ReportError, match="is missing"):
        render_report(ROOT / "data" / "sample", None, tmp_path / "r.html",
                      notebook=tmp_path / "none.ipynb")


def test_an_installed_copy_of_the_notebook_is_found_without_a_source_checkout(
        tmp_path, monkeypatch):
    assert report_notebook() == NOTEBOOK  # a source checkout uses its own notebook
    monkeypatch.setattr(htmlreport, "NOTEBOOK", tmp_path / "src" / NOTEBOOK.name)
    assert report_notebook(prefixes=[tmp_path / "empty"]) is None
    installed = tmp_path / "prefix" / INSTALLED_NOTEBOOK
    installed.parent.mkdir(parents=True)
    shutil.copy(NOTEBOOK, installed)
    assert report_notebook(prefixes=[tmp_path / "empty", tmp_path / "prefix"]) == installed
    # the mid-term report's notebook, beside it
    assert report_notebook(prefixes=[tmp_path / "prefix"], name=MIDTERM_NOTEBOOK) is None
    shutil.copy(NOTEBOOK.with_name(MIDTERM_NOTEBOOK), installed.with_name(MIDTERM_NOTEBOOK))
    assert report_notebook(prefixes=[tmp_path / "prefix"], name=MIDTERM_NOTEBOOK) == \
        installed.with_name(MIDTERM_NOTEBOOK)
    monkeypatch.setattr(htmlreport.sys, "prefix", str(tmp_path / "empty"))
    monkeypatch.setattr(htmlreport.sys, "base_prefix", str(tmp_path / "empty"))
    with pytest.raises(ReportError, match="neither in a source checkout"):
        render_report(ROOT / "data" / "sample", None, tmp_path / "r.html")


def test_the_wheel_installs_the_report_notebooks(tmp_path):
    """A wheel carries both report notebooks as data for <prefix>/share/kamopt/notebooks
    (offline build)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "kamopt", src / "kamopt",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (src / "notebooks").mkdir()
    for name in (NOTEBOOK.name, MIDTERM_NOTEBOOK):
        shutil.copy(NOTEBOOK.with_name(name), src / "notebooks" / name)
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps",
                          "--no-build-isolation", "--no-index", "-q", "-w", str(tmp_path / "dist")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    (wheel,) = (tmp_path / "dist").glob("kamopt-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = sorted(n for n in names if n.endswith(".ipynb"))
    assert data == [f"kamopt-0.1.0.data/data/{INSTALLED_NOTEBOOK.with_name(name).as_posix()}"
                    for name in (NOTEBOOK.name, MIDTERM_NOTEBOOK)], data
    assert "kamopt/present/htmlreport.py" in names


def test_the_report_command_registers_on_the_cli():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command")
    add_report_command(sub)
    args = p.parse_args(["report", "data/sample", "--scenario", "s.yml", "--out", "r.html"])
    assert (args.case, args.scenario, args.out, args.mip_gap) == ("data/sample", "s.yml", "r.html",
                                                                   None)
    assert args.func.__name__ == "cmd_report"


# ------------------------------------------------------------ notebook policy
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_stripped(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if is_checked(cell.source):
            assert cell.outputs and cell.execution_count is not None, "the reference output"
            assert all(o.output_type == "stream" for o in cell.outputs)
        else:
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert strip_outputs(nb) == nb  # refresh_notebook would not change it


@pytest.mark.parametrize("name", ["01_portfolio.ipynb", "02_key_account_plan.ipynb"])
def test_the_story_notebooks_check_a_headline_and_take_parameters(name):
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    assert sum(is_checked(c.source) for c in nb.cells if c.cell_type == "code") >= 1
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and 'CASE = "../data/sample"' in params[0].source
    assert any("assert " in c.source for c in nb.cells if c.cell_type == "code")


def test_a_case_without_activities_or_departments_gets_its_report(tmp_path):
    """departments.csv, activities.csv and responses.csv are optional: the report says so."""
    from kamopt import Case
    from kamopt.case.io import save_case
    from kamopt.case.sample import make_case
    from kamopt.case.schema import ACTIVITIES, DEPARTMENTS
    from kamopt.case.tables import empty_table

    c = make_case(customers=40, managers=4, seed=3)
    bare = save_case(Case(c.customers, c.managers, empty_table(ACTIVITIES),
                          empty_table(DEPARTMENTS), c.responses.iloc[:0]), tmp_path / "bare")
    page = render_report(bare, None, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "The case has no departments (departments.csv)" in visible_text(page)


def test_the_territory_case_gets_its_report_with_rules_balanced_to_the_minimums(tmp_path, capfd):
    """The published territory case: every representative must carry 0.8-1.2 of workload.
    Today's assignment breaks that band; its rule of thumb, balanced to the minimums, is
    compared with the optimised plan (distance 276.88 against 154.60). The kernel runs
    without ipykernel's warning about unencrypted TCP on the user's terminal."""
    folder = ROOT / "data" / "validation" / "pfizer_turkey"
    page = re.sub(r"\s+", " ", visible_text(render_report(
        folder / "distance", folder / "territory.yml", tmp_path / "r.html").read_text(encoding="utf-8")))
    assert "is left out" not in page
    assert re.search(r"today's coverage\s+−277 EUR\s", page)
    assert re.search(r"The plan earns −155 EUR a year net contribution, .*more than the "
                     r"strongest baseline", page)
    assert re.search(r"122 EUR, \+44%, more than the best simple rule of thumb, today's coverage",
                     page) or re.search(r"122 EUR \(\+44%\) more than the strongest baseline , "
                                        r"today's coverage", page)
    assert "Kernel is running over TCP" not in capfd.readouterr().err
    # no revenue, no potential: no portfolio chart of 22 customers at (0, 0)
    assert "neither revenue nor potential (all 0): there is no portfolio" in page


def test_a_rule_of_thumb_that_cannot_be_filled_is_left_out_with_the_reason(tmp_path):
    """Today's coverage cannot reach a manager's minimum workload: the report compares with
    the two other rules and says why today's is not among them."""
    from kamopt.case.io import save_case
    from kamopt.testing import tiny_case

    case = tiny_case([dict(customer_id="A", revenue=1e6, margin=0.3, potential=1e6,
                           kam_hours=100, current_manager="M1"),
                      dict(customer_id="B", revenue=9e5, margin=0.3, potential=1e6, kam_hours=100),
                      dict(customer_id="C", revenue=8e5, margin=0.3, potential=1e6, kam_hours=100)],
                     [dict(manager_id="M1", capacity_hours=1000, hourly_cost=100),
                      dict(manager_id="M2", capacity_hours=1000, hourly_cost=100, min_hours=150)])
    page = visible_text(render_report(save_case(case, tmp_path / "case"), None,
                                      tmp_path / "r.html").read_text(encoding="utf-8"))
    assert ("'today's coverage' is left out: The decisions of 'today's coverage' break the "
            "plan's rules: min_workload[M2]") in page
    assert "top 3 by revenue" in page and "more than the strongest baseline" in page


# ------------------------------------------------------------ the mid-term report
def company_with_targets(folder: Path) -> Path:
    """A 40-customer company saved in ``folder`` with company-wide targets for 2027 (90% of
    today's revenue: met by retention alone) and 2028 (120%): a mid-term report in seconds."""
    from kamopt.case.io import save_case
    from kamopt.case.sample import make_case

    case = make_case(customers=40, managers=4, seed=3)
    out = save_case(case, folder)
    revenue = case.customers["revenue"].sum()
    (out / "targets.csv").write_text(
        f"year,scope,order_intake\n2027,company,{0.9 * revenue:.0f}\n"
        f"2028,company,{1.2 * revenue:.0f}\n", encoding="utf-8")
    return out


def test_the_mid_term_report_tells_targets_hires_and_the_price_of_the_targets(tmp_path, capfd):
    """`kamopt report --assumptions`: notebook 4 on another case than the sample, as HTML
    without code; the sample's own checks and the model's formulas are left out."""
    from kamopt.cli import main

    folder = company_with_targets(tmp_path / "case")
    (tmp_path / "mt.yml").write_text("years: 2\nhandover_hours: 20\n", encoding="utf-8")
    out = tmp_path / "mt.html"
    assert main(["report", str(folder), "--assumptions", str(tmp_path / "mt.yml"),
                 "--time-limit", "5", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    page = visible_text(html)
    assert "<title>Mid-term plan: case</title>" in html
    assert "The mid-term plan: securing future order intake" in page
    assert "4 ·" not in page and "In formulas" not in page and "$$" not in page
    assert "40 customers, 4 managers" in page
    assert re.search(r"MidtermPlan\((optimal|feasible), 2 years", page)
    assert "Is the target met?" in page
    assert re.search(r"year\s+2027\s+2028\s+intake \(M EUR\)", page)  # the years across
    assert re.search(r"\bmet\s+yes\s+(yes|no)\s+key accounts", page)
    assert "40% / 75% / 100% in the 1st / 2nd / ... year as a key account" in page  # uncut
    assert "The target of 2027 is met" in page  # 90% of today's revenue: met by retention alone
    assert re.search(r"2027\s+company\s+[\d.,]+\s+[\d.,]+\s+0\.0\s+yes", page)  # target table
    assert "No hires: the current team carries the plan." in page  # no profile to hire
    assert "Relaxing the targets" in page and "What is lost if the target is relaxed?" in page
    assert "Why the years differ: M08" not in page  # the sample's story stays in the notebook
    assert not re.search(r'class="[^"]*jp-InputArea-editor', html)  # no code
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == 1  # intake chart
    assert "Kernel is running over TCP" not in capfd.readouterr().err


def test_the_mid_term_report_of_a_case_without_targets_says_so(tmp_path):
    folder = ROOT / "data" / "validation" / "pfizer_turkey"
    (tmp_path / "mt.yml").write_text("years: 2\nhandover_hours: 0\n", encoding="utf-8")
    html = render_report(folder / "distance", folder / "territory.yml", tmp_path / "r.html",
                         assumptions_path=tmp_path / "mt.yml").read_text(encoding="utf-8")
    page = visible_text(html)
    assert "The case has no order-intake targets (targets.csv)" in page
    assert "No order-intake targets (targets.csv)." in page
    assert "No capacity changes over the years (capacity_by_year.csv)" in page
    assert "Without order-intake targets there is nothing to relax." in page
    assert "None in this case (targets.csv)" in page
    assert "NaN" not in page and "<NA>" not in page and "Warning" not in page


@pytest.mark.parametrize("assumptions, years, expected", [
    ("years: 0\n", None, "years"),
    ("ramp: [0.4, oops]\n", None, "ramp"),
    ("years: 2\n", 11, "--years: got '11'; expected a whole number from 1 to 10"),  # argparse
])
def test_bad_mid_term_report_input_exits_2_before_any_notebook_runs(tmp_path, capsys, assumptions,
                                                                    years, expected):
    from kamopt.cli import main

    (tmp_path / "mt.yml").write_text(assumptions, encoding="utf-8")
    args = ["report", str(ROOT / "data" / "sample"), "--assumptions", str(tmp_path / "mt.yml"),
            "--out", str(tmp_path / "r.html")]
    try:
        code = main(args + (["--years", str(years)] if years else []))
    except SystemExit as stop:  # an option argparse refuses, with the usage line
        code = stop.code
    assert code == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_a_notebook_exported_under_the_agg_backend_shows_its_charts(tmp_path, monkeypatch):
    """MPLBACKEND=Agg (the Makefile's) and no %matplotlib inline: a chart of the package is
    still a PNG in the exported HTML, not '<Figure size ...>' (kamopt.present.style.show_as_png)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from kamopt.present.style import _figure\nfig, ax = _figure()\nax.plot([1, 2])\nfig")])
    ExecutePreprocessor(timeout=120, kernel_name="python3").preprocess(
        nb, {"metadata": {"path": str(tmp_path)}})
    page, _ = HTMLExporter(exclude_input=True).from_notebook_node(nb)
    assert re.search(r'<img[^>]+src="data:image/png;base64,', page)
    assert "Figure size" not in page
