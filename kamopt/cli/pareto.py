"""`kamopt pareto`: net contribution (or total pair cost) against disruption, a front by the
epsilon-constraint method (:mod:`kamopt.analysis.pareto`).
"""

from __future__ import annotations

import sys

from kamopt.analysis.pareto import OBJECTIVES, pareto_front
from kamopt.case.disruption import DISRUPTION_MEASURES
from kamopt.case.scenario import Scenario
from kamopt.cli.args import (
    add_batch_arguments,
    add_lang_argument,
    gap,
    lang_of,
    number_in,
    path_text,
    runner_from_args,
    seconds,
)
from kamopt.i18n import language

#: the files `kamopt pareto` writes into --out, replaced as a set
PARETO_FILES = frozenset({"front.csv", "front.png"})


def add_pareto_command(subparsers) -> None:
    """Register ``kamopt pareto CASE [--scenario FILE] --out DIR [--points N] [--measure M]
    [--objective O]``."""
    sp = subparsers.add_parser(
        "pareto", help="Net contribution against disruption: the front of plans.",
        description="Plan the case at the best net contribution, at the least disruption "
                    "(key accounts changing hands) and at caps on disruption evenly between, "
                    "and write the plans no other beats on both (front.csv, front.png).")
    sp.add_argument("case", help="case folder of CSVs or .xlsx workbook")
    sp.add_argument("--scenario", help="scenario file (YAML); defaults apply without it")
    sp.add_argument("--out", required=True, type=path_text,
                    help="output folder for front.csv and front.png (created if missing; an "
                         "earlier front there is replaced, other files stay)")
    sp.set_defaults(out_is_folder=True)
    sp.add_argument("--points", type=number_in(0, 500, whole=True), default=20,
                    help="caps between the two ends, 0 to 500 (default 20)")
    sp.add_argument("--measure", choices=DISRUPTION_MEASURES, default="accounts",
                    help="disruption as key accounts, their revenue or their KAM hours at "
                         "standard coverage (default accounts)")
    sp.add_argument("--objective", choices=OBJECTIVES, default="net",
                    help="trace the net contribution or the total pair cost (default net)")
    sp.add_argument("--mip-gap", type=gap, default=None,
                    help="relative gap of each plan (default: the scenario's)")
    sp.add_argument("--time-limit", type=seconds, default=None,
                    help="seconds for each plan, a safety net (default: the scenario's)")
    sp.add_argument("--no-tie-break", action="store_true",
                    help="each point the first plan within the gap for its cap, without the "
                         "least-disruption stages (about a third of the solves)")
    add_lang_argument(sp)
    add_batch_arguments(sp)
    sp.set_defaults(func=_cmd_pareto)


def _cmd_pareto(args) -> int:
    from kamopt.case.io import load_case
    from kamopt.case.staging import staged_folder, write_csv
    from kamopt.case.validate import check_against_scenario
    from kamopt.present.pareto_chart import pareto_chart

    runner = runner_from_args(args)
    case = load_case(args.case)
    scenario = Scenario.from_yaml(args.scenario) if args.scenario else Scenario()
    changes = {k: v for k, v in (("mip_gap", args.mip_gap), ("time_limit", args.time_limit))
               if v is not None}
    scenario = scenario.replace(**changes) if changes else scenario
    check_against_scenario(case, scenario)
    front = pareto_front(case, scenario, points=args.points, measure=args.measure,
                         tie_break=not args.no_tie_break,
                         objective=args.objective, runner=runner)
    print(front.summary_text(), file=sys.stdout)
    with language(lang_of(args, scenario)), staged_folder(args.out, PARETO_FILES) as tmp:
        write_csv(front.table, tmp / "front.csv", float_format="%.10g")
        pareto_chart(front).savefig(tmp / "front.png", format="png")
    print(f"front.csv and front.png written to {args.out}")
    return 0
