"""A progress bar for a batch of plans, a clock for one long step: where they show, and when
they stay silent.

:func:`progress` returns a ``tqdm`` bar with the estimate of the time left
(tqdm's own ``[elapsed<left, rate]``):

* in a Jupyter kernel (a notebook, the Voila app): ``tqdm.auto``'s widget bar;
* in a terminal: plain tqdm on **stderr** (stdout stays the command's output);
* silent when ``quiet``, and outside a notebook when stderr is not a terminal
  (a pipe, a log file, a test), so nothing but results lands in a file.

``on_step(done, total)``, when given, is called after every step whether the
bar shows or not: the app can draw its own ipywidgets bar or status line from it.

>>> bar = progress(3, "plans", quiet=True, on_step=lambda done, total: print(done, total))
>>> bar.update(2)
2 3
>>> bar.close()
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (IPython's ZMQ shell), not a terminal."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = getattr(ipython, "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def progress(total: int, desc: str = "", quiet: bool = False,
             on_step: Callable[[int, int], object] | None = None):
    """A tqdm bar of ``total`` steps named ``desc`` (see the module docs for where it shows).

    ``bar.update(n)`` advances it and then calls ``on_step(done, total)``;
    ``bar.close()`` ends it (a ``with`` block does too).
    """
    if in_notebook():
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=desc or None, disable=quiet)
    else:
        from tqdm import tqdm

        bar = tqdm(total=total, desc=desc or None, file=sys.stderr, dynamic_ncols=True,
                   disable=quiet or not _is_tty(sys.stderr))
    if on_step is not None:
        _count_steps(bar, total, on_step)
    return bar


def _is_tty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced by an object without it, or closed
        return False


def _count_steps(bar, total: int, on_step: Callable[[int, int], object]) -> None:
    """Make ``bar.update`` call ``on_step(done, total)`` after each step; ``done`` is counted
    here, since a disabled bar counts nothing."""
    plain = bar.update
    done = [0]

    def update(n: float = 1):
        out = plain(n)
        done[0] += int(n)
        on_step(done[0], total)
        return out

    bar.update = update


@contextmanager
def working(desc: str, quiet: bool = False, every: float = 0.5) -> Iterator[None]:
    """While the block runs, a line on stderr with the time it has taken so far
    (``planning: 12s``): for one long step (a solve) whose end cannot be estimated. It shows
    only in a terminal (stderr a TTY) and not when ``quiet``; the line is cleared at the end.

    >>> with working("planning", quiet=True):
    ...     pass
    """
    if quiet or in_notebook() or not _is_tty(sys.stderr):
        yield
        return
    from tqdm import tqdm

    bar = tqdm(total=None, desc=desc, file=sys.stderr, leave=False, bar_format="{desc}: {elapsed}")
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(every):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        bar.close()
