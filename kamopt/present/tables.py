"""Tables and words for readers whose text comes from a case: shown as text, never as HTML.

A case and a scenario are untrusted input (a customer list from a client, a
scenario from a colleague): a customer called ``<script>alert(1)</script> GmbH``
must read as that name in the report and the app, not run. ``DataFrame.to_html``
(and a DataFrame shown in a notebook) escapes by default, a pandas ``Styler``
does not: :func:`styled` is ``df.style.format(...)`` with every cell, index label
and column label escaped. A ``Markdown`` output is rendered with any HTML and
links it holds: :func:`inert_markdown` makes the text inside it plain.
"""

from __future__ import annotations

import html
import re

import pandas as pd
from pandas.io.formats.style import Styler

__all__ = ["inert_markdown", "styled"]


def styled(df: pd.DataFrame, formatter=None, **kwargs) -> Styler:
    """``df.style.format(formatter, **kwargs)`` whose every text is shown as text.

    Cells, index labels and column labels are escaped (``escape="html"``).
    A later ``.format(...)`` on the result replaces the formatters of every
    column: pass ``escape="html"`` to it too.

    >>> df = pd.DataFrame({"name": ["<b>bold</b> GmbH"], "net": [1234.4]},
    ...                   index=pd.Index(["<script>K1</script>"], name="customer_id"))
    >>> page = styled(df, {"net": "{:,.0f}"}, na_rep="–").to_html()
    >>> "<b>" in page or "<script>" in page
    False
    >>> "&lt;b&gt;bold&lt;/b&gt; GmbH" in page, "&lt;script&gt;K1&lt;/script&gt;" in page, "1,234" in page
    (True, True, True)
    """
    return (df.style.format(formatter, escape="html", **kwargs)
            .format_index(escape="html", axis=0).format_index(escape="html", axis=1))


_MARKDOWN_ACTIVE = re.compile(r"([\\`\[\]$:])")


def inert_markdown(text: str) -> str:
    r"""Markdown whose text cannot become HTML, a link, an image, code or a formula.

    For words written by kamopt with names from a case in them (e.g.
    :func:`kamopt.planning.midterm_outputs.explain_targets`): ``<``, ``>`` and
    ``&`` are escaped as HTML, and ``[``, ``]``, backticks, ``$``, backslashes
    and colons (no ``https://`` becomes a link) are written as character
    references such as ``&#91;`` (a backslash before them would make
    ``\[...\]`` a formula of the report); ``**bold**`` and ``* `` bullets stay.

    >>> inert_markdown("* **Targets.** 2027 (region <script>x</script> & [a](javascript:b))")
    '* **Targets.** 2027 (region &lt;script&gt;x&lt;/script&gt; &amp; &#91;a&#93;(javascript&#58;b))'
    >>> inert_markdown("a $x$ `y` \\(z\\)")
    'a &#36;x&#36; &#96;y&#96; &#92;(z&#92;)'
    """
    return _MARKDOWN_ACTIVE.sub(lambda m: f"&#{ord(m[1])};", html.escape(str(text), quote=False))
