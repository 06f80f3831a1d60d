"""`kamopt compare`: saved plans side by side.
"""

from __future__ import annotations

import sys

from kamopt.analysis.store import compare
from kamopt.cli.args import add_lang_argument
from kamopt.i18n import language


def add_compare_command(subparsers) -> None:
    """Register ``kamopt compare DIR...`` on the ``kamopt`` command line's subparsers."""
    sp = subparsers.add_parser(
        "compare", help="Compare plans side by side (saved scenarios or kamopt plan --out folders).",
        description="Compare plans side by side (folders written by kamopt.analysis.store.save_scenario "
                    "or by kamopt plan --out): headline figures, customers entering or leaving "
                    "key-account status and changing manager (against the first), utilisation "
                    "per manager.")
    sp.add_argument("dirs", nargs="+", metavar="DIR",
                    help="saved scenario folders or kamopt plan --out folders (one-year or "
                         "mid-term, not both)")
    sp.add_argument("--excel", metavar="FILE",
                    help="also write the comparison as a workbook (.xlsx), a sheet per table")
    sp.add_argument("--case", metavar="CASE",
                    help="the plans' case (folder or .xlsx): the changes name the customers")
    add_lang_argument(sp)
    sp.set_defaults(func=_cmd_compare)


def _cmd_compare(args) -> int:
    if args.excel is not None:  # before anything is read or printed
        from kamopt.case.staging import check_output_file

        check_output_file(args.excel, "--excel", (".xlsx",),
                          title="The comparison cannot be written")
    case = None
    if args.case:
        from kamopt.case.io import load_case

        case = load_case(args.case)
    cmp = compare(args.dirs, case=case)
    print(cmp.summary_text(), file=sys.stdout)
    if args.excel:
        with language(args.lang or "en"):
            cmp.to_excel(args.excel)
        print(f"written to {args.excel}", file=sys.stdout)
    return 0
