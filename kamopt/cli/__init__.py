"""The ``kamopt`` command line.

Exit status: 0 done, 2 bad input (file, row, column named), 3 a scenario that
cannot be met (with a diagnosis), 4 the solver failed, 130 interrupted (Ctrl-C:
"Interrupted."), 143 terminated (SIGTERM: "Terminated."), 1 anything else.
No traceback reaches the user unless ``KAMOPT_DEBUG=1``. An interrupted or
terminated run leaves no output half written: its staging folders are removed
as it stops (and one a killed run left, by the next run that writes there).

The console command enters through ``_kamopt_entry.main`` (a module beside the
package), which imports this one, and with it pandas, SciPy and PuLP, inside its
own handler of Ctrl-C: an interrupt while kamopt loads ends the same way.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

# the argparse types are kamopt.cli.args' (the subcommands' modules take them from there)
from kamopt.case.staging import signal_handlers
from kamopt.cli.args import CASE_HELP, add_lang_argument, gap, number_in, path_text, seconds
from kamopt.errors import KamoptError, Problem

#: the largest sample company ``kamopt sample`` generates (the largest benchmark is 20,000 x 400)
MAX_SAMPLE_CUSTOMERS = 100_000
MAX_SAMPLE_MANAGERS = 5_000


def _load(args) -> tuple:
    from kamopt.case.io import load_case
    from kamopt.case.scenario import Scenario

    case = load_case(args.case)
    scenario = Scenario.from_yaml(args.scenario) if getattr(args, "scenario", None) else Scenario()
    return case, scenario


def cmd_check(args) -> int:
    """Validate a case (and, with ``--scenario``, the scenario against it) and summarise it.

    Everything is read and checked before anything is printed, so a case is
    never called valid and then refused; with a scenario, the pre-checks of
    :func:`kamopt.planning.diagnose.precheck` run too (a scenario that cannot be met
    exits 3, as ``kamopt plan`` would), and a ``must`` / ``exclude`` of the
    scenario that overrides the case's status is named
    (:func:`kamopt.model.prepare.scenario_notes`, which also says what a hire's pair costs are).
    """
    from kamopt.case.io import load_case
    from kamopt.case.scenario import Scenario
    from kamopt.case.validate import check_against_scenario

    case = load_case(args.case)
    notes: list[str] = []
    if args.scenario:
        from kamopt.model.prepare import scenario_notes
        from kamopt.planning.diagnose import precheck

        scenario = Scenario.from_yaml(args.scenario)
        check_against_scenario(case, scenario)
        precheck(case, scenario)
        notes = scenario_notes(case, scenario)
    else:  # what `kamopt plan CASE` would refuse when planned with the default scenario
        try:
            check_against_scenario(case, Scenario())
        except KamoptError as exc:
            exc.problems.append(Problem("--scenario", "none was given, so the case was checked "
                                        "against the default scenario; give the scenario the "
                                        "case is meant for"))
            raise
    # the mid-term inputs, when the case has them (files of a folder, sheets of a workbook)
    from kamopt.case.assumptions import load_capacity_by_year, load_targets

    lines = []
    targets, capacity = load_targets(case), load_capacity_by_year(case)
    if len(targets):
        lines.append(f"  order-intake targets {len(targets):>6}   (targets, years "
                     f"{targets['year'].min()}-{targets['year'].max()})")
    if len(capacity):
        lines.append(f"  capacity by year     {len(capacity):>6}   (capacity_by_year)")
    print("\n".join([case.describe(), *lines, *(f"  {note}" for note in notes)]))
    return 0


def cmd_sample(args) -> int:
    from kamopt.case.sample import write_sample

    path = write_sample(args.out, customers=args.customers, managers=args.managers, seed=args.seed)
    print(f"Wrote a sample company with {args.customers} customers and {args.managers} managers to {path}")
    return 0


def cmd_plan(args) -> int:
    years = getattr(args, "years", None)
    # several years, or mid-term assumptions (churn, targets, hiring: kamopt.planning.midterm even for
    # one year; without --years their own `years` applies)
    if (years is not None and years > 1) or getattr(args, "assumptions", None):
        from kamopt.cli.midterm import cmd_midterm

        return cmd_midterm(args)
    from kamopt.planning.oneyear import plan
    from kamopt.planning.outputs import print_headline, write_plan_outputs
    from kamopt.planning.progress import working

    case, scenario = _load(args)
    if args.time_limit is not None:
        scenario = scenario.replace(time_limit=args.time_limit)
    if args.mip_gap is not None:
        scenario = scenario.replace(mip_gap=args.mip_gap)
    if args.solver is not None:
        scenario = scenario.replace(solver=args.solver)
    with working("planning"):
        result = plan(case, scenario)
    from kamopt.cli.args import lang_of
    from kamopt.i18n import language

    with language(lang_of(args, scenario)):  # the workbook's language
        write_plan_outputs(result, args.out, excel=args.excel)
    print_headline(result, args.out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kamopt",
        description="Key Account Management decision support: which customers, what, how, who.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.set_defaults(func=func)
        return sp

    sp = add("check", cmd_check, "Validate a case and summarise it.")
    sp.add_argument("case", help=CASE_HELP)
    sp.add_argument("--scenario", help="also check the case against this scenario (YAML)")

    sp = add("plan", cmd_plan, "Plan the key accounts of a case and write plan.csv and summary.json.")
    sp.add_argument("case", help=CASE_HELP)
    sp.add_argument("--out", required=True, type=path_text,
                    help="output folder (created if missing; an earlier run's outputs there are "
                         "replaced as a set, other files stay; a case folder is refused)")
    sp.set_defaults(out_is_folder=True)
    sp.add_argument("--scenario", help="scenario file (YAML); defaults apply without it")
    sp.add_argument("--time-limit", type=seconds, help="seconds for the solver (overrides the scenario)")
    sp.add_argument("--mip-gap", type=gap, help="relative gap at which to stop (overrides the scenario)")
    sp.add_argument("--solver", choices=("highs", "cbc"), help="solver (default: HiGHS)")
    sp.add_argument("--excel", action="store_true", help="also write plan.xlsx")
    add_lang_argument(sp)
    sp.add_argument("--years", type=number_in(1, 10, whole=True),
                    help="plan over several years (kamopt.planning.midterm), 1 to 10; default 1")
    sp.add_argument("--assumptions", help="mid-term assumptions (YAML): plan over their `years` "
                                          "(or --years) with kamopt.planning.midterm")

    sp = add("sample", cmd_sample, "Generate a sample company (a case folder).")
    sp.add_argument("out", type=path_text, help="folder to write")
    sp.add_argument("--customers", type=number_in(1, MAX_SAMPLE_CUSTOMERS, whole=True), default=250,
                    help=f"number of customers, 1 to {MAX_SAMPLE_CUSTOMERS:,}")
    sp.add_argument("--managers", type=number_in(1, MAX_SAMPLE_MANAGERS, whole=True), default=14,
                    help=f"number of managers, 1 to {MAX_SAMPLE_MANAGERS:,}")
    sp.add_argument("--seed", type=number_in(0, whole=True), default=7)

    from kamopt.cli.compare import add_compare_command
    from kamopt.cli.deck import add_deck_command
    from kamopt.cli.fit_response import add_fit_response_command
    from kamopt.cli.frontier import add_frontier_command
    from kamopt.cli.midterm import add_midterm_command
    from kamopt.cli.pareto import add_pareto_command
    from kamopt.cli.report import add_report_command
    from kamopt.cli.sensitivity import add_lead_costs_command, add_sensitivity_command
    from kamopt.cli.uncertainty import add_uncertainty_command

    add_compare_command(sub)
    add_frontier_command(sub)
    add_sensitivity_command(sub)
    add_lead_costs_command(sub)
    add_report_command(sub)
    add_deck_command(sub)
    add_fit_response_command(sub)
    add_midterm_command(sub)
    add_uncertainty_command(sub)
    add_pareto_command(sub)
    return p


#: how a run stopped by a signal ends: exit status and the one line it prints
STOPPED = {signal.SIGINT: (130, "Interrupted."), signal.SIGTERM: (143, "Terminated.")}


@contextmanager
def _stop_on_signals(received: list[int]) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM (appended to ``received``) raise
    KeyboardInterrupt in the main thread, so that every staged output is removed as
    the run unwinds; the handlers before are put back after."""
    def stop(signum, frame):
        received.append(signum)
        raise KeyboardInterrupt

    with signal_handlers(STOPPED, stop):
        yield


def _stopped(received: list[int]) -> int:
    code, text = STOPPED[signal.SIGTERM if signal.SIGTERM in received else signal.SIGINT]
    print(text, file=sys.stderr)
    return code


def _interrupted(exc: BaseException) -> bool:
    """An exception raised by an interrupt, or by code that an interrupt broke (openpyxl
    writing a half-built workbook as ExcelWriter closes raises a TypeError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit status (see the module's docstring)."""
    received: list[int] = []
    try:
        with _stop_on_signals(received):
            return _run(argv, received)
    except KeyboardInterrupt:  # one that came while an error was reported, or a second one
        return _stopped(received)


def _run(argv: Sequence[str] | None, received: list[int]) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "out_is_folder", False):
            from kamopt.case.staging import check_output_folder

            check_output_folder(args.out)  # before any work, not after a long solve
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return _stopped(received)
    except KamoptError as exc:
        if received or _interrupted(exc):
            return _stopped(received)
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # the reader stopped early (kamopt check CASE | head): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
        return 0
    except Exception as exc:  # the last line of defence: never a traceback at a user
        if received or _interrupted(exc):  # an interrupt that a library turned into an error
            return _stopped(received)
        if os.environ.get("KAMOPT_DEBUG"):
            raise
        print(
            f"kamopt: internal error: {type(exc).__name__}: {exc}\n"
            "Please report it with the command you ran (set KAMOPT_DEBUG=1 for details).",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
