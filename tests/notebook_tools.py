"""Helpers for running the course notebooks headlessly (papermill) and pinning outputs (nbval).

Notebooks are committed with outputs cleared. A cell whose output is deterministic and worth
checking starts with ``# NBVAL_CHECK_OUTPUT`` and keeps the expected text in its metadata
(``dogcat.expected_output``); :func:`write_pinned_copy` writes a copy with those outputs filled
in, which ``pytest --nbval-lax`` then checks. Run as a script: ``python tests/notebook_tools.py OUT_DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PIN_MARK = "# NBVAL_CHECK_OUTPUT"


def course_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def write_pinned_copy(notebook: Path, out_dir: Path) -> Path:
    """Copy ``notebook`` into ``out_dir`` with each pinned cell's expected output filled in."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(PIN_MARK):
            expected = cell.metadata.get("dogcat", {}).get("expected_output")
            if expected is None:
                raise ValueError(f"{notebook.name}: a {PIN_MARK} cell has no dogcat.expected_output")
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=expected)]
            cell.execution_count = 1  # nbval only compares cells that were run
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / notebook.name
    nbformat.write(nb, target)
    return target


if __name__ == "__main__":
    for path in course_notebooks():
        print(write_pinned_copy(path, Path(sys.argv[1])))
