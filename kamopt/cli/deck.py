"""`kamopt deck`: the key-account plan as a board deck (PowerPoint, .pptx).
"""

from __future__ import annotations

import argparse

from kamopt.cli.args import (
    CASE_HELP,
    add_batch_arguments,
    add_lang_argument,
    add_title_arguments,
    gap,
    lang_of,
    path_text,
)
from kamopt.planning.progress import working


# ----------------------------------------------------------------- CLI
def cmd_deck(args) -> int:
    from kamopt.analysis.brief import board_brief
    from kamopt.case.io import load_case
    from kamopt.case.scenario import Scenario
    from kamopt.case.staging import check_output_file
    from kamopt.cli.args import runner_from_args
    from kamopt.i18n import language
    from kamopt.present.deck import write_deck

    # before anything is read or solved: a deck that cannot be written is refused first
    check_output_file(args.out, "--out", (".pptx",), title="The deck cannot be written")
    case = load_case(args.case)
    scenario = Scenario.from_yaml(args.scenario) if args.scenario else Scenario()
    if args.mip_gap is not None:
        scenario = scenario.replace(mip_gap=args.mip_gap)
    lang = lang_of(args, scenario)
    runner = runner_from_args(args)
    with language(lang), working("writing the deck", quiet=args.quiet):
        brief = board_brief(case, scenario, robustness=not args.no_robustness, runner=runner)
        out = write_deck(brief, args.out, title=args.title, client=args.client,
                         author=args.author, date=args.date)
    print(f"Wrote the deck to {out}")
    return 0


def add_deck_command(subparsers) -> argparse.ArgumentParser:
    """Register ``kamopt deck CASE --scenario FILE --out FILE.pptx`` on ``subparsers``."""
    help_ = ("Plan a case, compare the plan with the baselines and write a board deck "
             "(PowerPoint, .pptx): summary, charts and the key accounts.")
    sp = subparsers.add_parser("deck", help=help_, description=help_)
    sp.set_defaults(func=cmd_deck)
    sp.add_argument("case", help=CASE_HELP)
    sp.add_argument("--out", required=True, type=path_text, help="the .pptx file to write")
    sp.add_argument("--scenario", help="scenario file (YAML); defaults apply without it")
    sp.add_argument("--mip-gap", type=gap, help="relative gap at which to stop "
                    "(overrides the scenario; 0.01 makes the sample ~6x faster)")
    sp.add_argument("--no-robustness", action="store_true",
                    help="skip the plans at a quarter lower and higher realisation (saves "
                         "two solves; the deck then has no robustness slide)")
    add_lang_argument(sp)
    add_title_arguments(sp, "deck")
    add_batch_arguments(sp)
    return sp
