"""The course notebooks: committed clean, parameterised, and run headlessly on generated photos."""

from __future__ import annotations

import ast
import os

import nbformat
import pytest
from notebook_tools import CHECKS, PIN_MARK, course_notebooks

REQUIRED_PARAMETERS = {
    "01_preprocess_local.ipynb": {"SOURCE", "OUT_CSV", "SIZE", "COLOR", "LIMIT", "SEED"},
    "02_train_colab.ipynb": {"CSV_PATH", "EPOCHS", "BATCH_SIZE", "SEED", "MODEL"},
    "03_beat_overfitting.ipynb": {"CSV_PATH", "EPOCHS", "SEED", "MODELS", "MAX_MINUTES", "PRETRAINED"},
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
