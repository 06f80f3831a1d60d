"""The message catalogue (kamopt/i18n.py): every message the package writes has its German,
no message has two, and German figures are English figures with German separators."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from kamopt.errors import KamoptError
from kamopt.i18n import LOCALE_DIR, catalogue, check_lang, language, number, percent, tr
from kamopt.units import eur

ROOT = Path(__file__).resolve().parents[1]


def _messages_in_code() -> dict[str, str]:
    """Every ``tr("...")`` literal of the package (and ``N_`` marks, and ``say``: the
    summary's translate-and-fill), with where it is."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / "kamopt"), method_map=[("**.py", "python")],
            keywords={"tr": (1,), "N_": (1,), "say": (1,)}):
        if isinstance(message, str) and message:
            found.setdefault(message, f"kamopt/{filename}:{lineno}")
    return found


#: the notebooks a report is written from in German
TRANSLATED_NOTEBOOKS = ("02_key_account_plan.ipynb", "04_midterm_plan.ipynb")


def _translated_notebook_cells() -> dict[str, str]:
    """The Markdown cells a German report translates (kamopt/present/htmlreport.py), and the
    ``tr("...")`` literals of its code cells."""
    from babel.messages.extract import extract_python

    from kamopt.present.htmlreport import translatable_cells

    found = {}
    for name in TRANSLATED_NOTEBOOKS:
        nb = json.loads((ROOT / "notebooks" / name).read_text())
        for i, text in translatable_cells(nb):
            found.setdefault(text, f"{name} cell {i}")
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            src = "".join(cell["source"]).replace("%matplotlib inline", "")
            for _lineno, _func, message, _comments in extract_python(
                    io.BytesIO(src.encode()), ["tr"], [], {}):
                if isinstance(message, tuple):  # tr("...", field=...): the first argument
                    message = message[0]
                if isinstance(message, str) and message:
                    found.setdefault(message, f"{name} cell {i}")
    return found


def test_every_message_of_the_package_has_its_german():
    de = catalogue("de")
    wanted = _messages_in_code() | _translated_notebook_cells()
    missing = {m: where for m, where in wanted.items() if m not in de}
    assert not missing, "no German for:\n" + "\n".join(
        f"  {where}: {m[:80]!r}" for m, where in sorted(missing.items(), key=lambda x: x[1]))


def test_no_message_has_two_translations():
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((LOCALE_DIR / "de").glob("*.po")):
        with path.open("rb") as f:
            for m in read_po(f):
                if not m.id or not m.string:
                    continue
                if m.id in seen and seen[m.id][0] != m.string:
                    clashes.append(f"{m.id[:60]!r}: {seen[m.id][1]} and {path.name}")
                seen.setdefault(m.id, (m.string, path.name))
    assert not clashes, "\n".join(clashes)


def test_translations_keep_their_fields():
    """A translation may reorder {fields} but not lose or invent one."""
    import string

    def fields(s):
        return {f for _, f, _, _ in string.Formatter().parse(s) if f is not None}

    bad = [m for m, t in catalogue("de").items() if fields(m) != fields(t)]
    assert not bad, bad


def test_a_language_kamopt_does_not_write_is_refused_with_the_choices():
    with pytest.raises(KamoptError, match=r"--lang: got 'fr'; expected one of: en \(English\), de"):
        check_lang("fr")
    with pytest.raises(KamoptError):
        with language("xx"):
            pass


def test_the_language_is_set_around_the_work_and_restored():
    assert tr("yes") == "yes"
    with language("de"):
        assert tr("yes") == "ja"
        with language("en"):
            assert tr("yes") == "yes"
        assert eur(1_500_000, digits=1) == "1,5 Mio. EUR"
    assert eur(1_500_000, digits=1) == "1.5 M EUR"


@given(st.floats(-1e9, 1e9, allow_nan=False), st.integers(0, 2))
def test_german_figures_are_the_english_figures(x, digits):
    """The same digits in both languages; only the separators differ."""
    en = number(x, digits, "en")
    de = number(x, digits, "de")
    assert de == en.replace(",", "_").replace(".", ",").replace("_", ".")
    with language("de"):
        de_eur = eur(x, whole=True)
    assert de_eur.replace(".", "").replace(",", ".") == eur(x, whole=True).replace(",", "")
    assert percent(x / 1e9, digits, "de").replace(",", ".").removesuffix(" %") == \
        percent(x / 1e9, digits, "en").removesuffix("%")
