"""The ``kamopt`` console command's entry point: the first code of kamopt that runs.

It sits outside the ``kamopt`` package on purpose: importing anything inside it
runs ``kamopt/__init__.py``, which imports pandas, SciPy and PuLP (most of a
second), and a Ctrl-C in that second would end in a traceback before any
handler of kamopt could run. Here the import happens inside one: an interrupt
while kamopt loads exits 130 with "Interrupted." (a SIGTERM, 143 with
"Terminated."), like one at any later moment (:func:`kamopt.cli.main`).
"""

from __future__ import annotations

import signal
import sys

_received: list[int] = []


def _stop(signum, frame):
    _received.append(signum)
    raise KeyboardInterrupt


def main() -> int:
    """Import the command line and run it; the exit status of :func:`kamopt.cli.main`."""
    try:
        before = signal.signal(signal.SIGTERM, _stop)
        try:
            from kamopt.cli import main as run
        finally:
            signal.signal(signal.SIGTERM, before if before is not None else signal.SIG_DFL)
        return run()  # it handles its own interrupts; one between the two lines ends here
    except KeyboardInterrupt:
        terminated = signal.SIGTERM in _received
        print("Terminated." if terminated else "Interrupted.", file=sys.stderr)
        return 143 if terminated else 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
