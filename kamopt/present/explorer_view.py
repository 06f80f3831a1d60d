"""What the explorer and its tabs show in common: the "Solving…" status, notice and
error boxes, figures as PNG."""

from __future__ import annotations

import html
import io

from matplotlib.figure import Figure

from kamopt.present.style import PALETTE

SOLVING = "Solving…"

#: the colour of figures not yet proven within the gap (stopped at the time limit)
PROVISIONAL = "#b36b00"


def _error_box(headline: str, body: str, last: str = "plan") -> str:
    return (f'<div style="border-left:4px solid {PALETTE["vermillion"]};'
            f'padding:4px 10px;background:#fff4ee"><b>{html.escape(headline)}'
            f"</b><pre style='white-space:pre-wrap;margin:4px 0'>{html.escape(body)}</pre>"
            f"<i>The figures below are those of the last {last}.</i></div>")


def _notice_box(headline: str, body: str | list[str]) -> str:
    """An amber box: a headline and a body (a list of lines: one a line)."""
    lines = [body] if isinstance(body, str) else body
    text = "<br>".join(html.escape(line) for line in lines)
    return (f'<div class="kamopt-notice" style="border-left:4px solid {PROVISIONAL};'
            f'padding:4px 10px;background:#fff8e6"><b>{html.escape(headline)}</b>'
            f"<div style='margin:4px 0'>{text}</div></div>")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()
