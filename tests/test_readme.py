"""The README's commands run in the order given: each parses, what it reads exists or an
earlier command wrote it, each make target exists.

Running them all takes ~15 minutes (the report, decision-costs, 200 draws), so this
test checks them without running the plans; `kamopt check data/sample`, the first, runs.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from kamopt.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands() -> list[list[str]]:
    """The ``.venv/bin/kamopt`` and ``make`` lines of the "Using it" block, continuation
    lines joined and comments dropped."""
    section = README.split("## Using it", 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    joined = re.sub(r"\\\n\s*", " ", block)
    out = []
    for line in joined.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line.startswith((".venv/bin/kamopt", "make ")):
            out.append(shlex.split(line))
    return out


def test_the_block_has_the_commands():
    cmds = commands()
    assert len(cmds) >= 15
    assert cmds[0] == [".venv/bin/kamopt", "check", "data/sample"]


def test_every_command_parses_and_reads_what_exists_or_was_written_before():
    written: set[str] = set()
    parser = build_parser()
    for argv in commands():
        if argv[0] == "make":
            assert re.search(rf"^{re.escape(argv[1])}:", (ROOT / "Makefile").read_text(),
                             re.MULTILINE), argv
            continue
        args = parser.parse_args(argv[1:])  # exits (a failure) on a bad option
        outs = {getattr(args, name) for name in ("out", "excel", "chart")
                if isinstance(getattr(args, name, None), str)}
        if argv[1] == "sample":
            outs.add(args.out)
        reads = [a for a in argv[2:] if a.startswith(("data/", "results/")) and a not in outs]
        for path in reads:
            if path.startswith("data/"):
                assert (ROOT / path).exists(), f"{' '.join(argv)}: {path} does not exist"
            else:
                assert path in written, f"{' '.join(argv)}: no earlier command writes {path}"
        written |= {o for o in outs if o.startswith("results/")}


def test_the_first_command_runs():
    exe = Path(sys.executable).with_name("kamopt")
    r = subprocess.run([str(exe), "check", "data/sample"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("link", sorted(set(re.findall(r"\]\(((?:docs|data)/[^)#]+)", README))))
def test_every_link_of_the_readme_is_in_the_project(link):
    assert (ROOT / link).exists(), link
