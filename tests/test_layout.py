"""The package's layout: its modules import one another without a cycle.

Every import of a kamopt module counts, wherever it stands: at module level,
inside a function or a class, relative or absolute. Only the bodies of
``if TYPE_CHECKING:`` blocks are left out, since they never run. A cycle is
what makes a module's names depend on the order its importers are imported
in, and an import put inside a function to dodge one still ties the two
modules together; the way out is to move the shared code down.

``kamopt/__init__.py`` re-exports names and is the top of the graph: no
module of the package imports the package itself (``import kamopt``,
``from kamopt import x`` or ``from . import x`` for a name that is not a
module); each imports the module that defines the name.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = "kamopt"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def run_time_nodes(tree: ast.AST):
    """Every node of the tree but those under an ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and is_type_checking(node.test):
            stack.extend(node.orelse)
            stack.append(node.test)
            continue
        stack.extend(ast.iter_child_nodes(node))


def imported(module: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """The kamopt modules ``module`` imports, each with the line it does on."""
    is_package = path.name == "__init__.py"
    found = []
    for node in run_time_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                if node.module:
                    base += node.module.split(".")
                source = ".".join(base)
            else:
                source = node.module or ""
            for alias in node.names:
                # `from . import x` imports the module kamopt.x when there is one;
                # otherwise it takes the name x from the package's __init__
                child = f"{source}.{alias.name}"
                found.append((child if child in known else source, node.lineno))
    return [
        (name, line)
        for name, line in found
        if name == PACKAGE or name.startswith(PACKAGE + ".")
    ]


def graph() -> dict[str, dict[str, int]]:
    """Module -> {imported module: first line importing it}."""
    paths = modules()
    known = set(paths)
    edges: dict[str, dict[str, int]] = {}
    for module, path in paths.items():
        targets: dict[str, int] = {}
        for name, line in imported(module, path, known):
            if name != module:
                targets.setdefault(name, line)
        edges[module] = targets
    return edges


def find_cycle(edges: dict[str, dict[str, int]]) -> list[str] | None:
    """One cycle of the graph, as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 on the path being walked, 2 done
    for start in sorted(edges):
        if start in state:
            continue
        state[start] = 1
        path = [start]
        stack = [iter(sorted(edges[start]))]
        while stack:
            target = next(stack[-1], None)
            if target is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and target in edges:
                state[target] = 1
                path.append(target)
                stack.append(iter(sorted(edges[target])))
    return None


def describe(cycle: list[str], edges: dict[str, dict[str, int]]) -> str:
    lines = [" -> ".join(name.removeprefix(PACKAGE + ".") for name in cycle)]
    for source, target in zip(cycle, cycle[1:], strict=False):
        path = modules()[source].relative_to(ROOT.parent)
        lines.append(f"  {path}:{edges[source][target]} imports {target}")
    return "\n".join(lines)


def test_the_package_has_no_import_cycle():
    edges = graph()
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + describe(cycle, edges)


def test_no_module_imports_the_package_itself():
    edges = graph()
    offenders = sorted(
        f"{modules()[module].relative_to(ROOT.parent)}:{targets[PACKAGE]}"
        for module, targets in edges.items()
        if module != PACKAGE and PACKAGE in targets
    )
    assert not offenders, "import the defining module, not kamopt itself: " + ", ".join(
        offenders
    )


# ------------------------------------------------------------ the stages
#: the stages from the bottom up: a module imports only from its own stage and below
STAGES = (
    ("kamopt.errors", "kamopt.units", "kamopt.i18n"),
    ("kamopt.case",),
    ("kamopt.model",),
    ("kamopt.solve",),
    ("kamopt.planning",),
    ("kamopt.analysis",),
    ("kamopt.present",),
    ("kamopt.cli",),
    ("kamopt.testing", "kamopt"),
)
#: the largest a module may grow (lines) before it is split along what it does
MAX_LINES = 820


def stage(module: str) -> int:
    """The stage of ``module``: the longest prefix of STAGES that names it or its package."""
    best, found = -1, -1
    for level, names in enumerate(STAGES):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, found = len(name), level
    assert found >= 0, f"{module} is in no stage of tests/test_layout.py's STAGES"
    return found


def test_imports_go_downward_through_the_stages():
    """case < model < solve < planning < analysis < present < cli: a module imports its own
    stage and those below, never one above (inside functions too)."""
    edges = graph()
    upward = sorted(
        f"{modules()[module].relative_to(ROOT.parent)}:{line} imports {target} "
        f"(stage {stage(target)} above {stage(module)})"
        for module, targets in edges.items()
        for target, line in targets.items()
        if target != PACKAGE and stage(target) > stage(module)
    )
    assert not upward, "imports that go up a stage:\n" + "\n".join(upward)


def test_the_stage_of_a_module():
    assert stage("kamopt.case.io") == 1 and stage("kamopt.cli") == 7
    assert stage("kamopt") == 8 and stage("kamopt.units") == 0
    assert stage("kamopt.planning.midterm") == 4


def test_no_module_is_an_essay():
    """Modules stay small enough to read: split one along what it does when it grows."""
    long = sorted(f"{path.relative_to(ROOT.parent)}: {n} lines"
                  for path in ROOT.rglob("*.py")
                  if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES)
    assert not long, f"modules over {MAX_LINES} lines: " + ", ".join(long)


def test_the_graph_sees_every_kind_of_import(tmp_path, monkeypatch):
    """The walker itself: relative and absolute forms, imports in functions,
    `from . import module`, and no TYPE_CHECKING block."""
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text("from .a import A\n")
    (root / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "if TYPE_CHECKING:\n"
        "    from .e import E\n"
        "else:\n"
        "    import kamopt.f\n"
        "def g():\n"
        "    from kamopt.c import C\n"
        "    from . import A\n"
    )
    for name in "bcef":
        (root / f"{name}.py").write_text("")
    (root / "c.py").write_text("from .a import A\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", root)
    edges = graph()
    assert set(edges["kamopt.a"]) == {"kamopt.b", "kamopt.c", "kamopt.f", "kamopt"}
    assert edges["kamopt"] == {"kamopt.a": 1}
    cycle = find_cycle(edges)
    assert cycle is not None
    assert describe(cycle, edges).splitlines()[0] == "kamopt -> a -> kamopt"
    assert find_cycle({"x": {"y": 1}, "y": {}}) is None


# ------------------------------------------------------------ solver backend
#: the solver backend: the one module that imports highspy or pulp and calls
#: a HiGHS object's methods; the rest of the package goes through its functions
BACKEND = "solve/backend.py"
SOLVER_PACKAGES = ("highspy", "pulp")
#: methods of a ``highspy.Highs`` (and its callback events) no other module calls
HIGHS_METHODS = frozenset({
    "changeColsBounds", "changeColsCost", "changeRowsBounds", "changeRowBounds",
    "changeColBounds", "changeColCost", "changeColsIntegrality", "changeObjectiveSense",
    "setOptionValue", "getOptionValue", "getBasis", "setBasis", "passModel", "setSolution",
    "getSolution", "getInfo", "getModelStatus", "modelStatusToString", "addRows", "addCols",
    "addVars", "deleteRows", "deleteCols", "readModel", "writeModel", "clearSolver",
    "cbMipInterrupt", "cbSimplexInterrupt", "cbIpmInterrupt", "cbMipUserSolution",
})
#: modules (relative to kamopt/) that still use highspy directly, each until it is
#: rewritten on kamopt.solve.backend's functions; remove an entry as soon as its module is clean
#: (test_the_allow_list_is_not_stale says when)
ALLOWED: set[str] = set()


def solver_uses(path: Path) -> list[tuple[int, str]]:
    """Where ``path`` imports highspy or pulp (any form, anywhere, TYPE_CHECKING
    included) or touches a HiGHS method: (line, what)."""
    found = []

    def solver_package(name: str | None) -> bool:
        return bool(name) and name.split(".")[0] in SOLVER_PACKAGES

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names
                      if solver_package(a.name)]
        elif isinstance(node, ast.ImportFrom):
            if not node.level and solver_package(node.module):
                found.append((node.lineno, f"from {node.module} import ..."))
        elif isinstance(node, ast.Call):
            # __import__("highspy"), importlib.import_module("pulp")
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            arg = node.args[0] if node.args else None
            if (name in ("__import__", "import_module") and isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str) and solver_package(arg.value)):
                found.append((node.lineno, f"{name}({arg.value!r})"))
        elif isinstance(node, ast.Attribute) and node.attr in HIGHS_METHODS:
            found.append((node.lineno, f".{node.attr}"))
    return sorted(found)


def solver_offenders() -> dict[str, list[str]]:
    """Module path (relative to kamopt/) -> its uses of highspy/pulp, but the backend's."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == BACKEND:
            continue
        uses = solver_uses(path)
        if uses:
            out[rel] = [f"{PACKAGE}/{rel}:{line} {what}" for line, what in uses]
    return out


def test_only_the_solver_backend_uses_highspy_and_pulp():
    offenders = solver_offenders()
    lines = [use for rel, uses in offenders.items() if rel not in ALLOWED for use in uses]
    assert not lines, (
        f"highspy/pulp belong in {PACKAGE}/{BACKEND} (use its set_costs, set_col_bounds, "
        "set_row_bounds, set_options, get_basis/set_basis, ...):\n" + "\n".join(lines))


def test_the_allow_list_is_not_stale():
    stale = sorted(ALLOWED - set(solver_offenders()))
    assert not stale, f"no longer use highspy directly; remove from ALLOWED: {stale}"


def test_the_backend_scan_sees_every_form(tmp_path, monkeypatch):
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / BACKEND).parent.mkdir(parents=True, exist_ok=True)
    (root / BACKEND).write_text("import highspy\nh.passModel(m)\n")
    (root / "a.py").write_text(
        "import highspy.foo as hf\n"
        "from pulp import LpProblem\n"
        "def f(h):\n"
        "    import importlib\n"
        "    importlib.import_module('pulp')\n"
        "    __import__('highspy')\n"
        "    h.changeRowBounds(0, 1.0, 2.0)\n"
        "    h.cbMipInterrupt.subscribe(print)\n"
        "    from .solve import set_costs\n"
        "    tab.run()\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", root)
    assert [use.split(" ", 1)[0] for use in solver_offenders()["a.py"]] == [
        f"{PACKAGE}/a.py:{line}" for line in (1, 2, 5, 6, 7, 8)]
    assert list(solver_offenders()) == ["a.py"]
