"""The argparse ``type`` functions of the command line, the batch options, and nothing above them.

:mod:`kamopt.cli` and the modules that register a subcommand
(``add_*_command`` of :mod:`kamopt.analysis.frontier`, :mod:`kamopt.present.htmlreport`,
:mod:`kamopt.planning.midterm`, :mod:`kamopt.analysis.sensitivity`) take them from here, so that
those modules need not import the command line that imports them;
:mod:`kamopt.cli` re-exports them. A bad value is exit status 2 with the usage
line.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kamopt.planning.batch import Runner


def number_in(low: float, high: float | None = None, *,
              whole: bool = False) -> Callable[[str], float]:
    """An argparse ``type``: a finite number (a whole one if ``whole``) in [low, high].

    argparse turns the error into exit status 2 with the usage line.

    >>> number_in(0)("2.5")
    2.5
    >>> number_in(1, whole=True)("3")
    3
    >>> number_in(1, 10, whole=True)("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: got '0'; expected a whole number from 1 to 10
    >>> number_in(0)("inf")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: got 'inf'; expected a number >= 0
    """
    kind = "a whole number" if whole else "a number"
    span = f"from {low:g} to {high:g}" if high is not None else f">= {low:g}"

    def parse(text: str) -> float:
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            value = float("nan")
        if not low <= value <= (high if high is not None else float("inf")) or value == float("inf"):
            raise argparse.ArgumentTypeError(f"got {text!r}; expected {kind} {span}")
        return value

    return parse


def seconds(text: str) -> float:
    """An argparse ``type`` for a time limit: a finite number of seconds > 0.

    >>> seconds("30")
    30.0
    >>> seconds("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: got 'nan'; expected a number of seconds > 0
    """
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a number of seconds > 0")
    return value


#: argparse ``type`` of every ``--mip-gap``: a share from 0 to 1
gap = number_in(0, 1)


def path_text(text: str) -> str:
    """An argparse ``type`` for a path: not empty (an empty path would mean this folder).

    >>> path_text(" ")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: got ' '; expected a path
    """
    if not text.strip():
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a path")
    return text


def address(text: str) -> str:
    """An argparse ``type`` for a scheduler's address: not empty.

    >>> address(" tcp://10.0.0.5:8786 ")
    'tcp://10.0.0.5:8786'
    >>> address("")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: got ''; expected a scheduler's address such as tcp://10.0.0.5:8786
    """
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"got {text!r}; expected a scheduler's address such as tcp://10.0.0.5:8786")
    return text.strip()


#: the most processes ``--workers`` starts
MAX_WORKERS = 1024


def add_batch_arguments(parser: argparse.ArgumentParser, quiet: bool = True) -> None:
    """``--scheduler ADDRESS``, ``--workers N`` and (unless ``quiet`` is False: a command that
    shows no progress) ``--quiet``: where a command's batch of plans runs
    (:class:`kamopt.planning.batch.Runner`) and whether it shows its progress."""
    g = parser.add_argument_group(
        "where the plans run", "one per core on this machine unless said otherwise; the "
        "results are the same wherever they run")
    g.add_argument("--scheduler", metavar="ADDRESS", type=address, default=None,
                   help="the address of a Dask scheduler whose workers plan, e.g. "
                        "tcp://10.0.0.5:8786 (default: $KAMOPT_SCHEDULER, else this machine)")
    g.add_argument("--workers", type=number_in(0, MAX_WORKERS, whole=True), default=None,
                   metavar="N", help="processes planning on this machine (default: "
                                     "$KAMOPT_WORKERS, else one per core; 0: this process "
                                     "alone, no Dask)")
    if quiet:
        g.add_argument("--quiet", action="store_true",
                       help="no progress bar (it shows on stderr only when that is a terminal)")


def runner_from_args(args: argparse.Namespace) -> Runner:
    """The :class:`~kamopt.planning.batch.Runner` of :func:`add_batch_arguments`' options (the
    environment's where they are not given); ``--scheduler`` with ``--workers`` is a
    :class:`~kamopt.errors.RunnerError` (exit status 2): the workers size a local cluster."""
    from kamopt.errors import RunnerError
    from kamopt.planning.batch import Runner

    scheduler, workers = getattr(args, "scheduler", None), getattr(args, "workers", None)
    if scheduler is not None and workers is not None:
        raise RunnerError("--scheduler and --workers do not go together: --workers sizes the "
                          "cluster on this machine, the scheduler's workers are its own; "
                          "give one of them.")
    return Runner.from_env(scheduler=scheduler, workers=workers,
                           quiet=bool(getattr(args, "quiet", False)))


def add_lang_argument(sp: argparse.ArgumentParser) -> None:
    """``--lang de|en``: the language of what the command writes (kamopt.i18n); default the
    scenario's ``lang:``, else English."""
    from kamopt.i18n import LANGS

    sp.add_argument("--lang", type=str.lower, choices=tuple(LANGS),
                    help="language of the report, deck or workbook: "
                         + ", ".join(f"{k} ({v})" for k, v in LANGS.items())
                         + "; default the scenario's lang:, else en")


def lang_of(args: argparse.Namespace, scenario=None) -> str:
    """The language a command writes in: ``--lang``, else the scenario's ``lang:``, else "en"."""
    return getattr(args, "lang", None) or getattr(scenario, "lang", None) or "en"


#: what a case argument may be (kamopt.case.io.load_case; docs/data-sources.md)
CASE_HELP = ("case folder of CSVs (with a columns.yml: a CRM export), .xlsx workbook, or "
             "database URL: sqlite:///case.db, postgresql://user@host:5432/db[?schema=NAME]")


def add_title_arguments(sp: argparse.ArgumentParser, what: str = "report") -> None:
    """``--title --client --author --date``: the title block of a report or deck (default the
    scenario's ``report:`` block)."""
    tb = sp.add_argument_group("the title block (default the scenario's report: block)")
    tb.add_argument("--title", help=f'the {what}\'s title (default "Key-account plan")')
    tb.add_argument("--client", help="the client (default the case's folder, workbook or "
                                     "database name)")
    tb.add_argument("--author", help='author and firm, e.g. "A. Consultant, Firm GmbH"')
    tb.add_argument("--date", help="the date (default today; YYYY-MM-DD is written out in the "
                                   "language of the " + what + ")")
