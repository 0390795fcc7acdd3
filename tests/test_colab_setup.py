"""One place for the repository's address and the version: the notebooks and the README mirror it."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from notebook_tools import course_notebooks

import dogcat_lib

ROOT = Path(__file__).resolve().parents[1]
BADGE = re.compile(r"https://colab\.research\.google\.com/github/([^)\s]+)")


def code_cells(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def colab_notebooks() -> list[Path]:
    return [p for p in course_notebooks() if any("google.colab" in s for s in code_cells(p))]


def expected_badge(notebook: str) -> str:
    repo = dogcat_lib.REPO_URL.removeprefix("https://github.com/")
    return f"{repo}/blob/v{dogcat_lib.__version__}/notebooks/{notebook}"


def test_every_colab_notebook_installs_the_same_way_at_the_librarys_version_and_address():
    notebooks = colab_notebooks()
    assert {p.name[:2] for p in notebooks} >= {"02", "03"}
    setups = {
        p.name: [s for s in code_cells(p) if s.startswith("# extra code") and "IN_COLAB" in s]
        for p in notebooks
    }
    first = next(iter(setups.values()))
    assert len(first) == 2 and all(cells == first for cells in setups.values()), (
        "one setup, the same everywhere"
    )
    install = first[1]
    assert f'WANTED = "{dogcat_lib.__version__}"' in install
    assert f'REPO_URL = "{dogcat_lib.REPO_URL}"' in install
    assert "git+{REPO_URL}@v{WANTED}" in install and 'glob(f"dogcat-{WANTED}-*.whl")' in install


def test_every_colab_notebook_has_its_badge_and_the_readmes_point_there_too():
    for path in colab_notebooks():
        title = nbformat.read(path, as_version=4).cells[0].source
        assert BADGE.findall(title) == [expected_badge(path.name)], path.name
    readme = BADGE.findall((ROOT / "README.md").read_text())
    assert readme, "the README has Colab badges"
    assert all(url == expected_badge(url.rsplit("/", 1)[1]) for url in readme), readme
