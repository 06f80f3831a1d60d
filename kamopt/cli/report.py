"""`kamopt report`: the plan notebook (or the mid-term notebook) as an HTML report.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from kamopt.case.staging import check_output_file
from kamopt.cli.args import (
    CASE_HELP,
    add_batch_arguments,
    add_lang_argument,
    add_title_arguments,
    gap,
    number_in,
    path_text,
    runner_from_args,
    seconds,
)
from kamopt.planning.batch import passed_on
from kamopt.planning.progress import working
from kamopt.present.htmlreport import refresh_notebook, render_report


# ----------------------------------------------------------------- CLI
def cmd_report(args) -> int:
    # the notebook's sweep runs in the kernel, which takes --scheduler / --workers from the
    # environment (KAMOPT_SCHEDULER, KAMOPT_WORKERS); a scheduler is reached here first, so
    # that one that does not answer is exit status 2 before the plan, not after it
    if args.pdf:  # before the notebook runs: never over an input file
        check_output_file(str(Path(args.out).with_suffix(".pdf")), "--pdf", (".pdf",),
                          title="The PDF cannot be written there")
    runner = runner_from_args(args)
    if runner.scheduler is not None:
        runner.start().close()
    given = getattr(args, "scheduler", None) is not None or getattr(args, "workers", None) is not None
    with passed_on(runner if given else None), working("writing the report"):
        out = render_report(args.case, args.scenario, args.out, mip_gap=args.mip_gap,
                            hire=not args.no_hire, assumptions_path=args.assumptions,
                            years=args.years, time_limit=args.time_limit,
                            title=args.title, client=args.client, author=args.author,
                            date=args.date, lang=args.lang)
    print(f"Wrote the report to {out}")
    if args.pdf:
        from kamopt.present.pdf import print_pdf

        with working("printing the PDF"):
            pdf = print_pdf(out, out.with_suffix(".pdf"))
        print(f"Wrote the PDF to {pdf}")
    return 0


def add_report_command(subparsers) -> argparse.ArgumentParser:
    """Register ``kamopt report CASE --scenario FILE --out FILE.html`` on ``subparsers``."""
    help_ = ("Run the key-account plan notebook (or, with --assumptions or --years, the "
             "mid-term plan notebook) on a case and write an HTML report without code.")
    sp = subparsers.add_parser("report", help=help_, description=help_)
    sp.set_defaults(func=cmd_report)
    sp.add_argument("case", help=CASE_HELP)
    sp.add_argument("--out", required=True, type=path_text, help="the HTML file to write")
    sp.add_argument("--scenario", help="scenario file (YAML); defaults apply without it")
    sp.add_argument("--mip-gap", type=gap, help="relative gap at which to stop "
                    "(overrides the scenario; 0.01 makes the sample ~6x faster)")
    sp.add_argument("--no-hire", action="store_true",
                    help="skip valuing one more KAM (saves one solve)")
    add_lang_argument(sp)
    sp.add_argument("--pdf", action="store_true", help="also print the report to a PDF beside "
                    "it (A4, same name with .pdf; needs Chromium)")
    add_title_arguments(sp, "report")
    add_batch_arguments(sp, quiet=False)  # the report shows no progress: its kernel runs quiet
    mt = sp.add_argument_group("the mid-term report (notebook 4: targets, hires, handovers)")
    mt.add_argument("--assumptions", help="mid-term assumptions (YAML): report the plan over "
                    "their `years`, against the case's targets.csv")
    mt.add_argument("--years", type=number_in(1, 10, whole=True), help="the horizon in years, 1 to 10 (overrides the "
                    "assumptions' years)")
    mt.add_argument("--time-limit", type=seconds, help="seconds for each of the report's two "
                    "plans (with and without the targets; default 600, a safety net: the plans stop at their work budgets first)")
    return sp


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kamopt.cli.report refresh NOTEBOOK...`` (the notebooks policy)."""
    p = argparse.ArgumentParser(prog="python -m kamopt.cli.report")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("refresh", help="run notebooks and write them back stripped "
                       "(outputs kept only in '# NBVAL_CHECK_OUTPUT' cells)")
    r.add_argument("notebooks", nargs="+")
    add_report_command(sub)
    args = p.parse_args(argv)
    if args.command == "refresh":
        for path in args.notebooks:
            print(f"refreshed {refresh_notebook(path)}")
        return 0
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
