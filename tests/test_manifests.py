"""pyproject.toml and environment.yml must name the same packages with the same lower bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")
CONDA_NAMES = {"python-build": "build"}  # conda-forge's name -> PyPI's


def _split(requirement: str) -> tuple[str, str]:
    name, spec = _REQUIREMENT.match(requirement.split("#")[0]).groups()
    name = name.lower().replace("_", "-")
    return CONDA_NAMES.get(name, name), spec.replace(" ", "")


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pyproject_requirements() -> dict[str, str]:
    extras = project()["optional-dependencies"].values()
    listed = project()["dependencies"] + [r for extra in extras for r in extra]
    return dict(_split(r) for r in listed)


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def environment_requirements() -> dict[str, str]:
    found: dict[str, str] = {}
    for item in environment()["dependencies"]:
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


def test_environment_installs_the_package_itself_on_a_python_every_wheel_exists_for():
    pip_entries = next(item["pip"] for item in environment()["dependencies"] if isinstance(item, dict))
    assert "-e ." in pip_entries
    python = next(d for d in environment()["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python == "python=3.12"  # a pin, not a range: conda would otherwise pick 3.14 (no TensorFlow)
    assert "3.12" in SpecifierSet(project()["requires-python"])


def test_tensorflow_is_only_needed_for_training():
    core = {_split(r)[0] for r in project()["dependencies"]}
    train = {_split(r)[0] for r in project()["optional-dependencies"]["train"]}
    assert not core & {"tensorflow", "keras", "scikit-learn"}
    assert {"tensorflow", "scikit-learn"} <= train
