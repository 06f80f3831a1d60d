"""The argparse ``type`` functions of the command line, and nothing above them.

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
