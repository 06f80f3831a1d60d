"""The report as a PDF: headless Chromium prints the HTML report (A4, the report's print CSS).

Chromium is Debian's (``apt-get install chromium``; ``make browser`` installs it); nothing is
downloaded. The PDF is written beside its target and moved into place when complete
(:func:`kamopt.case.staging.staged_file`), so a failed print leaves no half file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kamopt.case.staging import staged_file
from kamopt.errors import ReportError

#: the browsers tried, in order (``KAMOPT_CHROMIUM`` names another)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: flags that work on a server: no sandbox as root, no GPU, no network beyond the file
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw")


def find_browser() -> str | None:
    """The path of a Chromium to print with, or None."""
    given = os.environ.get("KAMOPT_CHROMIUM")
    if given:
        return given if Path(given).is_file() else shutil.which(given)
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def print_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike,
              timeout: float = 180) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium; returns ``pdf_path``.

    Raises :class:`ReportError` (exit status 1) when no Chromium is installed, when it
    fails or takes longer than ``timeout`` seconds, or when what it wrote is no PDF.
    """
    browser = find_browser()
    if browser is None:
        raise ReportError("The PDF needs Chromium, which is not installed: "
                          "'apt-get install chromium' (or 'make browser'), or name one in "
                          "KAMOPT_CHROMIUM. The HTML report is written.")
    src = Path(html_path).resolve()
    out = Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="kamopt-pdf-") as profile, staged_file(out) as tmp:
        cmd = [browser, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={tmp}",
               src.as_uri()]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                 stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ReportError(f"Chromium did not print the PDF within {timeout:.0f} s.") from None
        head = tmp.read_bytes()[:5] if tmp.exists() else b""
        if run.returncode != 0 or head != b"%PDF-":
            tail = "\n".join((run.stderr or "").strip().splitlines()[-3:])
            raise ReportError(f"Chromium could not print the PDF (exit {run.returncode}): "
                              f"{tail or 'no PDF written'}")
    return out
