"""The course notebooks: committed clean, parameterised, and run headlessly on generated photos."""

from __future__ import annotations

import ast
import os
import re

import nbformat
import pytest
from notebook_tools import CHECKS, PIN_MARK, course_notebooks

REQUIRED_PARAMETERS = {
    "01_preprocess_local.ipynb": {"SOURCE", "OUT_CSV", "SIZE", "COLOR", "LIMIT", "SEED"},
    "02_train_colab.ipynb": {"CSV_PATH", "EPOCHS", "BATCH_SIZE", "SEED", "MODEL"},
    "03_beat_overfitting.ipynb": {"CSV_PATH", "EPOCHS", "SEED", "MODELS", "MAX_MINUTES", "PRETRAINED"},
    "04_inside_the_cnn.ipynb": {"MODEL_PATH", "PHOTO", "SOURCE", "EXCLUSIONS_PATH", "N_SUSPECTS", "SEED"},
}


def test_every_course_notebook_has_its_parameters_and_its_checks_listed():
    names = {p.name for p in course_notebooks()}
    assert names == set(REQUIRED_PARAMETERS) == set(CHECKS)


def execute(name: str, parameters: dict, tmp_path):
    """Run the course notebook ``name`` headlessly with ``parameters``; returns (errors, printed text)."""
    papermill = pytest.importorskip("papermill")
    notebook = next(p for p in course_notebooks() if p.name == name)
    executed = tmp_path / f"executed_{name}"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    papermill.execute_notebook(
        str(notebook),
        str(executed),
        parameters=parameters,
        kernel_name="python3",
        execution_timeout=300,
        progress_bar=False,
        cwd=str(tmp_path),
    )
    return outputs_of(executed)


def outputs_of(executed) -> tuple[list, str]:
    nb = nbformat.read(executed, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for c in code for o in c.outputs)
    return errors, text


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_committed_clean_with_a_parameters_cell_first(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code_cells), "clear the outputs"
    first = code_cells[0]
    assert "parameters" in first.metadata.get("tags", []), "papermill needs the 'parameters' tag"
    assignments = [node for node in ast.parse(first.source).body if isinstance(node, ast.Assign)]
    assigned = {target.id for node in assignments for target in node.targets}
    assert REQUIRED_PARAMETERS.get(path.name, set()) <= assigned
    from papermill.translators import PythonTranslator  # what `papermill --help-notebook` shows

    inferred = {p.name for p in PythonTranslator.inspect(first)}
    assert assigned == inferred, f"papermill cannot parse {assigned - inferred} (an '=' in a comment?)"
    assert all(isinstance(node.value, ast.Constant) for node in assignments), "plain values only"
    for cell in code_cells:
        if cell.source.startswith(PIN_MARK):
            assert "expected_output" in cell.metadata.get("dogcat", {})
    assert "sys.path" not in "".join(c.source for c in code_cells), "install dogcat_lib, never sys.path hacks"


#: Notebooks held to the course's skeleton (Korean, exercises...); 01-03 join when rewritten in Korean.
SKELETON = {"04_inside_the_cnn.ipynb"}
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_BADGE = (
    "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    "(https://colab.research.google.com/github/dogcat-course/dogcat/blob/main/notebooks/{name})"
)


def section_of(nb, heading: str) -> list:
    """The cells after the markdown cell starting with ``heading``, up to the next ``## `` heading."""
    start = next(
        i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith(heading)
    )
    cells = [nb.cells[start]]
    for cell in nb.cells[start + 1 :]:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            break
        cells.append(cell)
    return cells


@pytest.mark.parametrize("path", [p for p in course_notebooks() if p.name in SKELETON], ids=lambda p: p.name)
def test_the_course_skeleton(path):
    nb = nbformat.read(path, as_version=4)
    title = nb.cells[0]
    assert title.cell_type == "markdown" and title.source.startswith(f"# {path.name[:2]} · ")
    assert _BADGE.format(name=path.name) in title.source
    assert (
        "**이 노트북에서 배우는 것**" in title.source
        and "| 강의 페이지 | 이 노트북 | 다른 점과 이유 |" in title.source
    )
    assert "parameters" in nb.cells[1].metadata.get("tags", [])
    headings = [
        c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")
    ]
    assert headings[0] == "## 0. 준비 (setup)"
    assert headings[-3:] == ["## 요약 (summary)", "## 연습문제 (exercises)", "## 연습문제 해답 (solutions)"]
    numbered = headings[1:-3]
    assert len(numbered) >= 2 and all(h.startswith(f"## {i}. ") for i, h in enumerate(numbered, start=1)), (
        numbered
    )
    setup = [c for c in section_of(nb, "## 0. ") if c.cell_type == "code"]
    assert setup and all(c.source.startswith("# extra code – ") for c in setup)
    exercises = section_of(nb, "## 연습문제 (exercises)")[0].source
    assert 3 <= len(re.findall(r"^\d+\. ", exercises, re.MULTILINE)) <= 5
    assert any(c.cell_type == "code" for c in section_of(nb, "## 연습문제 해답"))
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert max(len(c.source.splitlines()) for c in code) <= 25, "a code cell over 25 lines"
    markdown = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert len(_HANGUL.findall(markdown)) > len(re.findall(r"[A-Za-z]", markdown)), "prose in Korean"
    for cell in code:  # figure texts stay English: matplotlib on Colab has no Hangul font
        strings = [n.value for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.Constant)]
        assert not [s for s in strings if isinstance(s, str) and _HANGUL.search(s)], cell.source
