"""A report without code: the key-account plan notebook, run and exported to HTML.

:func:`render_report` copies ``notebooks/02_key_account_plan.ipynb``, replaces
its ``parameters`` cell (the papermill convention: the cell tagged
``parameters``) with the case and scenario given, runs it in a fresh kernel
(``nbconvert``'s ``ExecutePreprocessor``) and exports HTML without the input
cells. Charts are the notebook's static PNG outputs, embedded in the page; the
file is written atomically (a temporary file beside it, then renamed). The page
fetches nothing when it opens (no require.js, MathJax or mermaid from a CDN:
:data:`OFFLINE_TEMPLATE`): formulas are written as MathML
(:func:`plain_math`), which browsers draw themselves, so a consultant reads
them offline.

The module also keeps the notebooks' outputs policy (``docs/notebooks.md``):
:func:`strip_outputs` and :func:`refresh_notebook`, reachable as::

    python -m kamopt.cli.report refresh notebooks/01_portfolio.ipynb

which runs a notebook and writes it back with every output stripped except the
cells marked ``# NBVAL_CHECK_OUTPUT``, whose outputs are the reference that
``pytest --nbval-lax`` compares.
"""

from __future__ import annotations

import ast
import copy
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from kamopt.case.staging import check_output_file, staged_file
from kamopt.errors import InputError, KamoptError, Problem, ReportError
from kamopt.i18n import check_lang, language, tr
from kamopt.planning.batch import passed_on

__all__ = [
    "INSTALLED_NOTEBOOK",
    "NOTEBOOK",
    "OFFLINE_TEMPLATE",
    "inject_parameters",
    "is_checked",
    "plain_math",
    "plain_math_markdown",
    "refresh_notebook",
    "render_report",
    "report_notebook",
    "strip_outputs",
]

#: the notebook the report runs, in a source checkout (beside the package)
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "02_key_account_plan.ipynb"
#: the mid-term report's notebook (``kamopt report --assumptions`` or ``--years``)
MIDTERM_NOTEBOOK = "04_midterm_plan.ipynb"
#: where an installed wheel puts them (pyproject.toml, ``[tool.setuptools.data-files]``)
INSTALLED_NOTEBOOK = Path("share") / "kamopt" / "notebooks" / NOTEBOOK.name


def report_notebook(prefixes: Sequence[str | Path] | None = None,
                    name: str | None = None) -> Path | None:
    """The notebook the report runs: the source checkout's, else an installed copy.

    ``name`` is the notebook's file name (default the plan notebook's,
    :data:`NOTEBOOK`); ``prefixes`` are the installation prefixes searched
    (default ``sys.prefix`` and ``sys.base_prefix``). None when there is none.
    """
    name = name or NOTEBOOK.name
    if NOTEBOOK.with_name(name).is_file():
        return NOTEBOOK.with_name(name)
    roots = [sys.prefix, sys.base_prefix] if prefixes is None else prefixes
    for root in roots:
        path = Path(root) / INSTALLED_NOTEBOOK.with_name(name)
        if path.is_file():
            return path
    return None


def is_checked(source: str) -> bool:
    r"""Whether a cell's output is compared by nbval: a comment line that is exactly the marker.

    >>> is_checked("# NBVAL_CHECK_OUTPUT\nprint(1)"), is_checked("# NBVAL_CHECK_OUTPUT: headline")
    (True, False)
    """
    return any(line.strip().startswith("#") and line.strip().lstrip("#").strip()
               == "NBVAL_CHECK_OUTPUT" for line in source.splitlines())


# ------------------------------------------------------------- parameters
def _parameters_cell(nb) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return i
    raise ReportError("The notebook has no cell tagged 'parameters'.")


def inject_parameters(nb, **params):
    """A copy of ``nb`` whose ``parameters`` cell assigns ``params`` (others keep their default).

    The cell is replaced by one assignment per name, in the order of the
    original cell, followed by any new names; values are written with
    ``repr`` (str, numbers, bools, None).

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     'CASE = "../data/sample"\\nMIP_GAP = 0.01  # a comment', metadata={"tags": ["parameters"]})])
    >>> print(inject_parameters(nb, CASE="/data/x").cells[0].source)
    # Parameters injected by kamopt report
    CASE = '/data/x'
    MIP_GAP = 0.01
    """
    nb = copy.deepcopy(nb)
    i = _parameters_cell(nb)
    source = nb.cells[i].source
    lines = ["# Parameters injected by kamopt report"]
    seen = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            name = node.targets[0].id
            seen.add(name)
            if name in params:
                lines.append(f"{name} = {params[name]!r}")
            else:
                lines.append(f"{name} = {ast.get_source_segment(source, node.value)}")
    for name, value in params.items():
        if name not in seen:
            lines.append(f"{name} = {value!r}")
    cell = nb.cells[i]
    cell.source = "\n".join(lines)
    tags = list(cell.metadata.get("tags", []))
    cell.metadata["tags"] = tags + (["injected-parameters"] if "injected-parameters" not in tags
                                    else [])
    cell.outputs = []
    cell.execution_count = None
    return nb


# -------------------------------------------------------------- execution
def _execute(nb, cwd: Path, timeout: int):
    from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor
    from traitlets.config import Config

    try:
        with tempfile.TemporaryDirectory(prefix="kamopt-kernel-") as sockets:
            # the kernel on this machine talks over Unix sockets (an absolute path, since
            # kernel and client work in different folders), not over unencrypted TCP, of
            # which ipykernel >= 7.3 warns on every start
            config = Config()
            if os.name == "posix":  # Windows has no IPC transport
                config.KernelManager.transport = "ipc"
                config.KernelManager.ip = str(Path(sockets) / "kernel")
            ep = ExecutePreprocessor(timeout=timeout, kernel_name="python3", config=config)
            with passed_on(quiet=True), _inline_charts():  # no progress bar; charts as PNG
                ep.preprocess(nb, {"metadata": {"path": str(cwd)}})
    except CellExecutionError as exc:
        known = {cls.__name__: cls.exit_code for cls in _kamopt_errors()}
        if exc.ename in known:  # kamopt's own message, in the user's terms, without a traceback
            err = ReportError(f"The report could not be made: {exc.evalue}")
            err.exit_code = known[exc.ename]
            raise err from None
        raise ReportError("The report notebook failed:\n" + _plain_text(str(exc))[-3000:]) from None
    return nb


#: the kernel's matplotlib backend: figures become PNG outputs even when the caller's
#: environment says ``MPLBACKEND=Agg`` (the Makefile does), which would leave a notebook
#: without ``%matplotlib inline`` showing ``<Figure size ...>`` instead of its charts
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


@contextmanager
def _inline_charts():
    """``MPLBACKEND`` set to :data:`INLINE_BACKEND` for the kernels started inside."""
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = INLINE_BACKEND
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before


def _kamopt_errors() -> list[type]:
    """kamopt's error classes (all in :mod:`kamopt.errors`, e.g. ``BaselineError``)."""

    out, todo = [], [KamoptError]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return out


def _plain_text(text: str) -> str:
    """``text`` without the terminal colour codes of a Jupyter traceback."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def render_report(case_path, scenario_path=None, out_html=None, *, mip_gap: float | None = None,
                  hire: bool = True, timeout: int = 900, notebook=None,
                  assumptions_path=None, years: int | None = None,
                  time_limit: float | None = None, title: str | None = None,
                  client: str | None = None, author: str | None = None,
                  date: str | None = None, lang: str | None = None) -> Path:
    """Run the key-account plan notebook on a case and write it as HTML without code.

    With ``assumptions_path`` or ``years`` it is the mid-term report instead:
    notebook 4 (:data:`MIDTERM_NOTEBOOK`), the plan over several years against
    the case's order-intake targets, what meeting them costs and what relaxing
    them gives.

    Parameters
    ----------
    case_path : case folder or workbook.
    scenario_path : scenario YAML, or None for the default assumptions.
    out_html : the HTML file to write (its folder is created).
    mip_gap : relative MIP gap for the plan; None keeps the scenario's own
        (the mid-term report: the notebook's 1%).
    hire : also value one more KAM by re-planning (one more solve; one-year report).
    timeout : seconds allowed per notebook cell.
    notebook : another notebook with a ``parameters`` cell (default :data:`NOTEBOOK`).
    assumptions_path : mid-term assumptions YAML (:class:`kamopt.case.assumptions.MidtermAssumptions`).
    years : the mid-term horizon (default the assumptions' ``years``).
    time_limit : seconds per mid-term plan (the report solves two; default the notebook's 600, a safety net).
    title, client, author, date : the key-account report's title block (default: the
        scenario's ``report:`` block, else "Key-account plan", the case's folder or workbook
        name, no author, today).
    lang : "de" or "en" (default: the scenario's ``lang:``, else English): the report's prose
        (its Markdown cells, from the catalogue :mod:`kamopt.i18n`), labels, numbers, dates
        and charts, in the key-account and in the mid-term report.

    Returns the path written. Raises :class:`ReportError` if the notebook is
    missing or a cell fails (its error is in the message).
    """
    import nbformat
    from nbconvert import HTMLExporter

    if out_html is None:
        raise ValueError("The 'out_html' parameter of render_report must name the file to write.")
    # before the notebook runs, and never over an input file such as customers.csv
    out = check_output_file(out_html, "report", (".html", ".htm"),
                            title="The report cannot be written there")
    midterm = assumptions_path is not None or years is not None
    name = MIDTERM_NOTEBOOK if midterm else NOTEBOOK.name
    src = Path(notebook) if notebook is not None else report_notebook(name=name)
    if src is None:
        raise ReportError(f"The report notebook {name} is missing: it is neither in "
                          f"a source checkout ({NOTEBOOK.parent}) nor installed under "
                          f"{Path(sys.prefix) / INSTALLED_NOTEBOOK.parent}. Reinstall kamopt.")
    if not src.is_file():
        raise ReportError(f"The report notebook {src} is missing.")
    from kamopt.case.sql import is_database_url

    database = is_database_url(case_path)  # sqlite:///case.db, postgresql://...: as given
    case_path = str(case_path).strip() if database else Path(case_path).resolve()
    missing = [] if database or case_path.exists() else [
        Problem(str(case_path), "does not exist; expected a case folder of CSV files or an "
                                ".xlsx workbook")]
    if scenario_path is not None:
        scenario_path = Path(scenario_path).resolve()
        if not scenario_path.is_file():
            missing.append(Problem(str(scenario_path), "does not exist; expected the scenario "
                                                       "file (YAML)"))
    if assumptions_path is not None:
        assumptions_path = Path(assumptions_path).resolve()
        if not assumptions_path.is_file():
            missing.append(Problem(str(assumptions_path), "does not exist; expected the mid-term "
                                                          "assumptions (YAML)"))
    if missing:  # bad input (exit status 2), said before the notebook starts
        raise InputError(missing, title="The report cannot be made")
    scenario = _check_inputs(case_path, scenario_path, assumptions_path, years)
    lang = check_lang(lang) if lang is not None else (getattr(scenario, "lang", None) or "en")
    info = dict(getattr(scenario, "report", ()) or ())
    nb = nbformat.read(src, as_version=4)
    params = dict(CASE=str(case_path),
                  SCENARIO=None if scenario_path is None else str(scenario_path))
    if midterm:  # the notebook's own gap and time limit unless given; no sample-only checks
        params.update(ASSUMPTIONS=None if assumptions_path is None else str(assumptions_path),
                      YEARS=years, CHECK_SAMPLE=False)
        params.update({k: v for k, v in (("MIP_GAP", mip_gap), ("TIME_LIMIT", time_limit))
                       if v is not None})
        params.update(LANG=lang)
    else:
        params.update(MIP_GAP=mip_gap, HIRE=bool(hire), TITLE=title,
                      CLIENT=client, AUTHOR=author, DATE=date, LANG=lang)
    translate_cells(nb, lang)
    nb = inject_parameters(nb, **params)
    nb = _execute(nb, src.parent, timeout)
    if nb.cells and nb.cells[0].cell_type == "markdown":  # a report, not notebook 2 of a series
        nb.cells[0].source = re.sub(r"^# \d+ · ", "# ", nb.cells[0].source)

    _plain_math_cells(nb)  # readable offline: no MathJax
    exporter = HTMLExporter(template_name="lab", raw_template=OFFLINE_TEMPLATE,
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.register_preprocessor(_remove_tagged_cells(), enabled=True)
    with language(lang):
        from kamopt.present.summary import client_name

        name = client_name(case_path)
        title = (tr("Mid-term plan: {name}", name=name) if midterm else
                 f"{title or info.get('title') or tr('Key-account plan')}: "
                 f"{client or info.get('client') or name}")
    nb.metadata["title"] = title
    exporter.language_code = lang
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = body.replace("</head>", REPORT_CSS + "</head>", 1)
    with staged_file(out) as tmp:
        tmp.write_text(body, encoding="utf-8")
    return out


def translatable_cells(nb) -> list[tuple[int, str]]:
    """The Markdown cells a report shows, as (index, source): their English source is the
    message the catalogue translates (cells tagged ``report-skip`` are not shown)."""
    out = []
    for i, cell in enumerate(nb["cells"]):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "markdown" and "report-skip" not in tags:
            src = cell["source"]
            out.append((i, "".join(src) if isinstance(src, list) else src))
    return out


def translate_cells(nb, lang: str) -> None:
    """Replace the shown Markdown cells of ``nb`` with their ``lang`` text (in place)."""
    if lang == "en":
        return
    for i, text in translatable_cells(nb):
        nb.cells[i].source = tr(text, lang)


#: the lab template without the scripts it would fetch from a CDN when the page opens
#: (require.js, MathJax, mermaid): a report is read offline, and nothing downloads at run time
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""

#: printed lines wrap between words, not inside a number (the lab template breaks anywhere);
#: formulas (plain_math) in a serif face, fractions stacked, aligned rows as a borderless table;
#: a page a board reads: a readable measure and type, the title block, tables that scroll
#: inside their box on a phone (not the page), charts that fit the width; printed on A4 with
#: each main section on a new page and tables wrapped and shrunk rather than clipped
REPORT_CSS = (
    "<style>.jp-OutputArea-output pre{white-space:pre-wrap;word-break:normal;"
    "overflow-wrap:normal}"
    "math[display=block]{margin:.8em 0}"
    "mtd[columnalign=left]{text-align:left}mtd[columnalign=right]{text-align:right}"
    "mtd{padding:.15em .3em}"
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;"
    "font-size:16px;line-height:1.5;color:#1a1a1a}"
    ".jp-Notebook{max-width:62rem;margin:0 auto;padding:1rem 1.25rem}"
    ".jp-Cell{padding:0}.jp-Cell-outputWrapper,.jp-OutputArea,.jp-OutputArea-child"
    "{min-width:0;max-width:100%}"
    ".jp-OutputArea-output{overflow-x:auto;max-width:100%}"
    ".jp-RenderedHTMLCommon{font-size:16px;line-height:1.5;padding-right:0}"
    ".jp-RenderedHTMLCommon h1{font-size:1.9rem;margin:1.2rem 0 .4rem}"
    ".jp-RenderedHTMLCommon h2{font-size:1.4rem;margin-top:2rem;"
    "border-bottom:1px solid #ddd;padding-bottom:.2rem}"
    ".kamopt-title h1{font-size:2.2rem;margin:.5rem 0 .2rem}"
    ".kamopt-byline{color:#555;font-size:1rem;margin:0 0 1rem}"
    ".jp-RenderedHTMLCommon table{font-size:.85rem;border-collapse:collapse;margin:.5rem 0}"
    ".jp-RenderedHTMLCommon th{background:#f4f4f4;text-align:left}"
    ".jp-RenderedHTMLCommon th,.jp-RenderedHTMLCommon td{padding:.3em .6em;max-width:28em;"
    "vertical-align:top}"
    ".jp-RenderedImage img,.jp-OutputArea-output img{max-width:100%;height:auto}"
    ".jp-OutputPrompt,.jp-InputPrompt{display:none}"
    "@media (max-width:700px){.jp-Notebook{padding:.5rem .6rem}"
    ".jp-RenderedHTMLCommon table{font-size:.8rem}"
    ".jp-RenderedHTMLCommon th,.jp-RenderedHTMLCommon td{max-width:16em}}"
    "@page{size:A4;margin:14mm 13mm}"
    "@media print{body{font-size:10pt}.jp-RenderedHTMLCommon{font-size:10pt;line-height:1.4}.jp-Notebook{max-width:none;padding:0}"
    ".jp-MarkdownCell .jp-RenderedHTMLCommon h2{break-before:page;page-break-before:always}"
    ".jp-MarkdownCell .jp-RenderedHTMLCommon h1{break-before:page;page-break-before:always}"
    ".jp-MarkdownCell .jp-RenderedHTMLCommon h1+h2{break-before:avoid;page-break-before:avoid}"
    "h1,h2,h3{break-after:avoid;page-break-after:avoid}"
    ".jp-OutputArea-output{overflow:visible}"
    ".jp-OutputArea-child{break-inside:auto;page-break-inside:auto}"
    ".jp-RenderedHTMLCommon table{font-size:8.5pt;width:auto;max-width:100%;table-layout:auto}"
    ".jp-RenderedHTMLCommon th,.jp-RenderedHTMLCommon td{white-space:normal;"
    "overflow-wrap:break-word;word-break:normal;hyphens:auto;max-width:none;"
    "padding:.15em .3em}"
    "tr,img{break-inside:avoid;page-break-inside:avoid}"
    "img{max-height:230mm}}"
    "</style>\n")


# ------------------------------------------------ formulas without MathJax
def plain_math(tex: str, display: bool = False) -> str:
    r"""TeX math as MathML (latex2mathml), which browsers draw without MathJax (a report
    is read offline). Tables of formulas are written as ``array`` (``aligned`` is not
    understood).

    >>> plain_math(r"\tau = q_{0.8}")  # doctest: +ELLIPSIS
    '<math ... display="inline"><mrow><mi>&#x003C4;</mi><mo>&#x0003D;</mo><msub>...'
    >>> "mfrac" in plain_math(r"\frac{a}{b}", display=True)
    True
    """
    from latex2mathml.converter import convert

    return convert(tex.strip(), display="block" if display else "inline")


def _plain_math_cells(nb) -> None:
    """Math in markdown cells and in Markdown / LaTeX outputs as :func:`plain_math` HTML."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = plain_math_markdown(cell.source)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data:
                data["text/markdown"] = plain_math_markdown(data["text/markdown"])
            if "text/latex" in data and "text/html" not in data:
                data["text/html"] = plain_math_markdown(data.pop("text/latex"))


_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)((?:\\.|[^$\\])+?)\$|\\\((.+?)\\\)", re.S)


def plain_math_markdown(source: str) -> str:
    r"""A markdown cell with its ``$...$`` and ``$$...$$`` math as :func:`plain_math` HTML.

    Code spans and fenced code are left alone; display math becomes a block
    of its own (blank lines around it).

    >>> plain_math_markdown("with $R_i$ the revenue, `$x$` in code")  # doctest: +ELLIPSIS
    'with <math ...><mrow><msub><mi>R</mi><mi>i</mi></msub></mrow></math> the revenue, `$x$` in code'
    """
    parts = _CODE.split(source)
    for k in range(0, len(parts), 2):  # the odd parts are code
        text = _DISPLAY.sub(lambda m: "\n\n" + plain_math(m.group(1) or m.group(2), True)
                            + "\n\n", parts[k])
        parts[k] = _INLINE.sub(lambda m: plain_math(m.group(1) or m.group(2)), text)
    return "".join(parts)


def _check_inputs(case_path: Path, scenario_path: Path | None,
                  assumptions_path: Path | None = None, years: int | None = None):
    """Read and check the case and scenario as ``kamopt plan`` does, before the notebook runs;
    returns the scenario.

    Bad input exits 2 and a scenario that cannot be met exits 3 with the
    same messages as ``kamopt plan``, in seconds instead of after a kernel
    start and with no notebook traceback. For the mid-term report, also the
    assumptions, the horizon and the case's targets and capacities by year.
    """
    from kamopt.case.io import load_case
    from kamopt.case.scenario import Scenario
    from kamopt.case.validate import check_against_scenario
    from kamopt.planning.diagnose import precheck

    case = load_case(case_path)
    scenario = Scenario.from_yaml(scenario_path) if scenario_path is not None else Scenario()
    check_against_scenario(case, scenario)
    precheck(case, scenario)
    if assumptions_path is not None or years is not None:
        from kamopt.case.assumptions import (
            MidtermAssumptions,
            load_capacity_by_year,
            load_targets,
        )
        from kamopt.planning.midterm import check_horizon

        a = (MidtermAssumptions.from_yaml(assumptions_path) if assumptions_path is not None
             else MidtermAssumptions())
        check_horizon(a.years if years is None else years)
        load_targets(case)
        load_capacity_by_year(case)
    return scenario


def _remove_tagged_cells():
    from nbconvert.preprocessors import TagRemovePreprocessor

    return TagRemovePreprocessor(remove_cell_tags={"report-skip", "parameters",
                                                   "injected-parameters"}, enabled=True)


# ------------------------------------------------------ outputs policy
def strip_outputs(nb, keep_checked: bool = True):
    """A copy of ``nb`` with outputs and execution counts removed.

    Cells with a line ``# NBVAL_CHECK_OUTPUT`` (the whole comment, as nbval
    reads it; see :func:`is_checked`) keep their outputs
    and execution count when ``keep_checked`` (nbval compares only cells that
    were run). Notebook metadata other than kernelspec and language_info is
    dropped, and so is cell metadata other than tags.
    """
    nb = copy.deepcopy(nb)
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags")
        cell.metadata = {"tags": tags} if tags else {}
        if cell.cell_type != "code":
            continue
        if keep_checked and is_checked(cell.source):
            continue
        cell.outputs = []
        cell.execution_count = None
    return nb


def refresh_notebook(path, timeout: int = 900) -> Path:
    """Run a notebook in a fresh kernel and write it back stripped (see :func:`strip_outputs`)."""
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    nb = _execute(strip_outputs(nb, keep_checked=False), path.parent.resolve(), timeout)
    nb = strip_outputs(nb, keep_checked=True)
    # execution counts of the kept cells: 1, 2, ... in order, independent of the run
    n = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.execution_count is not None:
            n += 1
            cell.execution_count = n
            for out in cell.outputs:
                if "execution_count" in out:
                    out["execution_count"] = n
    nbformat.validate(nb)
    with staged_file(path) as tmp:
        nbformat.write(nb, str(tmp))
    return path

