"""`kamopt midterm` (and `kamopt plan --years T`): the mid-term plan.
"""

from __future__ import annotations

from kamopt.case.assumptions import TARGET_MODES, MidtermAssumptions
from kamopt.case.scenario import Scenario
from kamopt.errors import InfeasibleError
from kamopt.planning.midterm import plan_midterm, shortfall_messages
from kamopt.planning.midterm_outputs import headline, write_midterm_outputs
from kamopt.planning.progress import working


def cmd_midterm(args) -> int:
    """``kamopt midterm`` (and ``kamopt plan --years T`` with T > 1).

    Reads ``args.case``, ``args.out`` and, where present, ``years``,
    ``scenario``, ``assumptions``, ``target_mode``, ``time_limit``, ``mip_gap``,
    ``excel``. Exit 0 with the plan written; hard targets proven out of reach
    print one line per target and exit 3.
    """
    import sys

    from kamopt.case.io import load_case

    opt = lambda name: getattr(args, name, None)  # noqa: E731
    case = load_case(args.case)
    scenario = Scenario.from_yaml(opt("scenario")) if opt("scenario") else Scenario()
    a = (MidtermAssumptions.from_yaml(opt("assumptions")) if opt("assumptions")
         else MidtermAssumptions())
    if opt("target_mode"):
        a = a.replace(target_mode=opt("target_mode"))
    if opt("time_limit") is not None:
        scenario = scenario.replace(time_limit=opt("time_limit"))
    if opt("mip_gap") is not None:
        scenario = scenario.replace(mip_gap=opt("mip_gap"))
    try:
        with working("planning the years"):
            mp = plan_midterm(case, scenario, years=opt("years"), assumptions=a)
    except InfeasibleError as err:
        if err.shortfalls:
            print("\n".join(shortfall_messages(err)), file=sys.stderr)
            return err.exit_code
        raise
    write_midterm_outputs(mp, args.out, excel=bool(opt("excel")))
    print(headline(mp))
    from kamopt.planning.outputs import written_files

    print(f"  written to {args.out}: {written_files(args.out)}")
    return 0


def add_midterm_command(subparsers) -> None:
    """Register ``kamopt midterm CASE --years T --out DIR [--scenario F] [--assumptions F]``."""
    sp = subparsers.add_parser(
        "midterm", help="Plan key accounts and hires over several years against order-intake targets.",
        description="Plan key accounts and hires over several years against order-intake targets.")
    from kamopt.cli.args import gap, number_in, path_text, seconds

    sp.set_defaults(func=cmd_midterm)
    sp.add_argument("case", help="case folder of CSVs or .xlsx workbook (targets.csv and "
                    "capacity_by_year.csv, or sheets of those names, are read if there)")
    sp.add_argument("--years", type=number_in(1, 10, whole=True), default=None,
                    help="horizon in years, 1 to 10 (default: the assumptions')")
    sp.add_argument("--out", required=True, type=path_text,
                    help="output folder (created if missing; the files kamopt writes replace "
                         "those of the same name, others stay; a case folder is refused)")
    sp.set_defaults(out_is_folder=True)  # checked by kamopt.cli before any solve
    sp.add_argument("--scenario", help="scenario file (YAML); defaults apply without it")
    sp.add_argument("--assumptions", help="mid-term assumptions (YAML), e.g. "
                    "data/scenarios/midterm_base.yml")
    sp.add_argument("--target-mode", choices=TARGET_MODES, help="override the assumptions' target_mode")
    sp.add_argument("--time-limit", type=seconds, help="seconds for the solver")
    sp.add_argument("--mip-gap", type=gap, help="relative gap at which to stop")
    sp.add_argument("--excel", action="store_true", help="also write midterm.xlsx")
