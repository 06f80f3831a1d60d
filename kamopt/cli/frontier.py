"""`kamopt frontier`: the value of the plan against the number of added KAMs.
"""

from __future__ import annotations

import dataclasses
import sys

from kamopt.analysis.frontier import (
    FRONTIER_GAP,
    FRONTIER_TIME_LIMIT,
    capacity_frontier,
    format_table,
    median_kam,
)
from kamopt.case.scenario import Scenario
from kamopt.cli.args import add_batch_arguments, gap, number_in, runner_from_args


def add_frontier_command(subparsers) -> None:
    """Register ``kamopt frontier CASE [--scenario FILE] [--max-hires K]`` on the subparsers."""
    sp = subparsers.add_parser(
        "frontier", help="Value of the plan against the number of added KAMs.",
        description="Plan the case with 0..K additional key account managers of the median "
                    "KAM profile and print the net contribution and the marginal net gain of "
                    "each hire.")
    sp.add_argument("case", help="case folder of CSVs or .xlsx workbook")
    sp.add_argument("--scenario", help="scenario file (YAML); defaults apply without it")
    sp.add_argument("--max-hires", type=number_in(1, 50, whole=True), default=5,
                    help="largest number of hires, 1 to 50 (default 5)")
    sp.add_argument("--fixed-cost", type=number_in(0), default=0.0,
                    help="EUR a year per hire on top of its hours (default 0)")
    sp.add_argument("--mip-gap", type=gap, default=None,
                    help=f"relative gap of each plan (default {FRONTIER_GAP} without a scenario)")
    sp.add_argument("--pair-costs-from", metavar="MANAGER", default="",
                    help="a manager of the case whose pair costs (pair_costs.csv) the hires take, "
                         "e.g. a second KAM in that office (default: each account's average)")
    add_batch_arguments(sp)
    sp.set_defaults(func=_cmd_frontier)


def _cmd_frontier(args) -> int:
    from kamopt.case.io import load_case

    runner = runner_from_args(args)
    case = load_case(args.case)
    scenario = (Scenario.from_yaml(args.scenario) if args.scenario
                else Scenario(mip_gap=FRONTIER_GAP, time_limit=FRONTIER_TIME_LIMIT))
    if args.mip_gap is not None:
        scenario = scenario.replace(mip_gap=args.mip_gap)
    hire = dataclasses.replace(median_kam(case), pair_costs_from=args.pair_costs_from)
    table = capacity_frontier(case, scenario, max_hires=args.max_hires, hire=hire,
                              fixed_cost=args.fixed_cost, runner=runner)
    print(format_table(table), file=sys.stdout)
    if len(case.pair_costs):
        from kamopt.case.validate import provenance

        file, _ = provenance(case.pair_costs, "pair_costs", case.source or "")
        print(f"\nHires have the pair costs of {hire.pair_costs_from} (--pair-costs-from)."
              if hire.pair_costs_from else
              f"\nEach hire's pair with an account costs the account's average over the case's "
              f"{len(case.managers)} managers ({file} cannot list a hire; --pair-costs-from "
              "MANAGER gives the hires that manager's costs).")
    return 0
