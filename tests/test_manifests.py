"""pyproject.toml and environment.yml must name the same packages with the same lower bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")


def _split(requirement: str) -> tuple[str, str]:
    name, spec = _REQUIREMENT.match(requirement.split("#")[0]).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"].values()
    listed = project["dependencies"] + [r for extra in extras for r in extra]
    return dict(_split(r) for r in listed)


def environment_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found: dict[str, str] = {}
    for item in env["dependencies"]:
        entries = item["pip"] if isinstance(item, dict) else [item]
        for entry in entries:
            if entry.startswith("-e"):
                continue
            name, spec = _split(entry)
            if name not in ("python", "pip"):
                found[name] = spec
    return found


def test_same_packages_and_bounds():
    assert environment_requirements() == pyproject_requirements()


def test_environment_installs_the_package_itself_and_the_python_matches():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_entries = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert "-e ." in pip_entries
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python.removeprefix("python") == requires
