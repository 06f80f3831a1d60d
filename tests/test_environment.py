"""environment.yml (for conda users) lists the same packages and bounds as pyproject.toml."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)$", req)
    assert m, req
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"]["optional-dependencies"].values():
        reqs += extra
    return dict(_split(r) for r in reqs)


def _environment() -> tuple[dict[str, str], list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += dep["pip"]
            continue
        name, bound = _split(dep)
        if name not in ("python", "pip"):
            conda[name] = bound
    return conda, pip


def test_environment_lists_the_same_packages_and_bounds_as_pyproject():
    conda, _ = _environment()
    assert conda == _pyproject()


def test_environment_installs_the_project_itself():
    _, pip = _environment()
    assert "-e ." in pip


def test_environment_python_satisfies_requires_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    py = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lower = data["project"]["requires-python"].removeprefix(">=")
    assert tuple(map(int, py.split("=")[1].split("."))) >= tuple(map(int, lower.split(".")))
