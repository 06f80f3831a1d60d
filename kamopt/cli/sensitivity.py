"""`kamopt sensitivity` and `kamopt decision-costs`: sweeps, grids and what fixed decisions cost.
"""

from __future__ import annotations

import dataclasses
import sys

import pandas as pd

from kamopt.analysis.sensitivity import PARAMETERS, _varied, grid, lead_costs, sweep
from kamopt.case.scenario import Scenario
from kamopt.cli.args import (
    add_batch_arguments,
    add_lang_argument,
    gap,
    lang_of,
    runner_from_args,
    seconds,
)
from kamopt.errors import InfeasibleError, Problem, ScenarioError, one_line
from kamopt.i18n import language
from kamopt.present.sweep_charts import grid_chart, sweep_chart


# ------------------------------------------------------------ command line
def add_sensitivity_command(subparsers) -> None:
    """Register ``kamopt sensitivity CASE --param P --values V... [--param2 Q --values2 W...]``."""
    sp = subparsers.add_parser(
        "sensitivity", help="Plan the case at several values of one assumption.",
        description="Plan the case at each value of one scenario parameter and show which key "
                    "accounts every plan keeps (the core) and which depend on the value.")
    sp.add_argument("case", help="case folder of CSVs or .xlsx workbook")
    sp.add_argument("--param", required=True, choices=list(PARAMETERS),
                    help="the scenario parameter to vary")
    sp.add_argument("--values", required=True, nargs="+", type=float, metavar="V",
                    help="its values (shares as 0.25, EUR as plain numbers)")
    sp.add_argument("--param2", choices=list(PARAMETERS),
                    help="a second parameter: plan every combination of both parameters' values")
    sp.add_argument("--values2", nargs="+", type=float, metavar="V",
                    help="the second parameter's values")
    sp.add_argument("--scenario", help="scenario file (YAML); defaults apply without it")
    _add_solver_arguments(sp)
    sp.add_argument("--chart", metavar="PNG", help="also draw the sweep to this PNG file")
    sp.add_argument("--excel", metavar="XLSX", help="also write the sweep as a workbook")
    add_lang_argument(sp)
    add_batch_arguments(sp)
    sp.set_defaults(func=_cmd_sensitivity)


def _cmd_sensitivity(args) -> int:
    from contextlib import ExitStack

    from kamopt.case.io import load_case
    from kamopt.case.staging import check_output_file, staged_file

    outputs = [(flag, path, suffix) for flag, path, suffix in
               (("--chart", args.chart, ".png"), ("--excel", args.excel, ".xlsx"))
               if path is not None]
    for flag, path, suffix in outputs:  # before any plan, not after minutes of solving
        check_output_file(path, flag, (suffix,), title="The sweep's outputs cannot be written")
    if (args.param2 is None) != (args.values2 is None):
        raise ScenarioError(Problem("--param2" if args.param2 is None else "--values2",
                                    "--param2 and --values2 go together (a second parameter and "
                                    "its values)"))
    runner = runner_from_args(args)
    case = load_case(args.case)
    scenario = _scenario_of(args)
    for flag, param, values in (("--values", args.param, args.values),
                                ("--values2", args.param2, args.values2)):
        if param is not None:
            _check_values(scenario, param, values, flag)
    if args.param2:
        sw = grid(case, scenario, args.param, args.values, args.param2, args.values2,
                  runner=runner)
        draw = grid_chart
    else:
        sw = sweep(case, scenario, args.param, args.values, runner=runner)
        draw = sweep_chart
    if (sw.table["status"] == "infeasible").all():
        # no plan at any value: say why for each (exit status 3), and write nothing
        params = sw.parameters if args.param2 else (sw.parameter,)
        raise InfeasibleError(reasons=[f"at {_point_text(r, params)}: {_reason(r['reason'])}"
                                       for _, r in sw.table.iterrows()])
    print(sw.summary_text(), file=sys.stdout)
    with language(lang_of(args, scenario)), ExitStack() as stack:  # both files or neither
        if args.chart:
            draw(sw).savefig(stack.enter_context(staged_file(args.chart)), format="png")
        if args.excel:
            sw.to_excel(stack.enter_context(staged_file(args.excel)))
    for flag, path, _ in outputs:
        print(f"{'chart' if flag == '--chart' else 'workbook'} written to {path}")
    return 0


def _check_values(scenario: Scenario, parameter: str, values, option: str) -> None:
    """``values`` of ``parameter`` as :func:`_varied` checks them, the problems named by the
    command-line ``option`` that gave them (``--values``)."""
    try:
        _varied(scenario, parameter, values)
    except ScenarioError as exc:
        raise ScenarioError([dataclasses.replace(p, file=option, column=None,
                                                 expected=f"{p.expected} (a value of {parameter})")
                             for p in exc.problems],
                            title=f"The values of {option} cannot be used") from None


def _reason(text: str) -> str:
    """A value's diagnosis on one line, without the heading the sweep's line replaces."""
    return one_line(text).removeprefix("The scenario cannot be met:").strip()


def _point_text(row: pd.Series, params: tuple[str, ...]) -> str:
    """``realization = 0.2`` (both parameters for a grid's cell) for a row of a sweep's table."""
    cols = params if len(params) == 2 else ("value",)
    return ", ".join(f"{p} = {row[c]:g}" for p, c in zip(params, cols, strict=True))


def add_lead_costs_command(subparsers) -> None:
    """Register ``kamopt decision-costs CASE --scenario FILE`` (also ``lead-costs``)."""
    sp = subparsers.add_parser(
        "decision-costs", aliases=["lead-costs"],
        help="What the scenario's fixed decisions (leads:, coverage:, committed_activities:) "
             "cost.",
        description="Plan the case with the scenario's fixed lead managers, coverage levels "
                    "and committed activities, without any of them and without each "
                    "account's, and say what each costs a year.")
    sp.add_argument("case", help="case folder of CSVs or .xlsx workbook")
    sp.add_argument("--scenario", required=True,
                    help="scenario file (YAML) with leads:, coverage: or committed_activities:")
    _add_solver_arguments(sp)
    add_batch_arguments(sp)
    sp.set_defaults(func=_cmd_lead_costs)


def _add_solver_arguments(sp) -> None:
    sp.add_argument("--mip-gap", type=gap, default=None,
                    help="relative gap of each plan (default: the scenario's)")
    sp.add_argument("--time-limit", type=seconds, default=None,
                    help="seconds for each plan (default: the scenario's)")


def _scenario_of(args) -> Scenario:
    """The scenario of ``--scenario`` (defaults without it) with ``--mip-gap``/``--time-limit``."""
    scenario = Scenario.from_yaml(args.scenario) if args.scenario else Scenario()
    changes = {k: v for k, v in (("mip_gap", args.mip_gap), ("time_limit", args.time_limit))
               if v is not None}
    return scenario.replace(**changes) if changes else scenario


def _cmd_lead_costs(args) -> int:
    from kamopt.case.io import load_case
    from kamopt.case.validate import check_against_scenario

    runner = runner_from_args(args)
    case = load_case(args.case)
    scenario = _scenario_of(args)
    check_against_scenario(case, scenario)
    print(lead_costs(case, scenario, runner=runner).summary_text(), file=sys.stdout)
    return 0
