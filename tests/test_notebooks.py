"""The course notebooks: committed clean, parameterised, and run headlessly on generated photos."""

from __future__ import annotations

import ast
import os

import nbformat
import numpy as np
import pytest
from notebook_tools import PIN_MARK, course_notebooks

from dogcat_lib import read_csv, write_csv

REQUIRED_PARAMETERS = {
    "01_preprocess_local.ipynb": {"SOURCE", "OUT_CSV", "SIZE", "COLOR", "LIMIT", "SEED"},
    "02_train_colab.ipynb": {"CSV_PATH", "EPOCHS", "BATCH_SIZE", "SEED", "MODEL"},
    "03_beat_overfitting.ipynb": {"CSV_PATH", "EPOCHS", "SEED", "MODELS", "MAX_MINUTES", "PRETRAINED"},
}


def test_every_course_notebook_has_its_parameters_listed():
    assert {p.name for p in course_notebooks()} >= set(REQUIRED_PARAMETERS)


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
    for cell in code_cells:
        if cell.source.startswith(PIN_MARK):
            assert "expected_output" in cell.metadata.get("dogcat", {})
    assert "sys.path" not in "".join(c.source for c in code_cells), "install dogcat_lib, never sys.path hacks"


@pytest.mark.notebook
def test_notebook_01_runs_headlessly_on_generated_photos(photo_zip, tmp_path):
    out_csv = tmp_path / "smoke.csv"
    parameters = {"SOURCE": str(photo_zip), "OUT_CSV": str(out_csv), "SIZE": 32, "LIMIT": 6, "SEED": 1}
    errors, text = execute("01_preprocess_local.ipynb", parameters, tmp_path)
    X, y = read_csv(out_csv)
    assert X.dtype == np.uint8 and X.shape == (6, 32 * 32)
    assert np.bincount(y).tolist() == [3, 3]
    assert not errors
    assert "round trip OK" in text and "\nskipped " in text


@pytest.mark.notebook
def test_notebook_02_trains_evaluates_and_predicts_headlessly(tiny_csv, sample_folder, tmp_path):
    pytest.importorskip("tensorflow")
    out_dir = tmp_path / "run"
    X, y = read_csv(tiny_csv)  # the notebook reads the compressed CSV as it would from Drive
    csv = write_csv(X, y, tmp_path / "tiny.csv.zst", seed=None)
    parameters = {
        "CSV_PATH": str(csv),
        "EPOCHS": 1,
        "BATCH_SIZE": 16,
        "SEED": 0,
        "MODEL": "reference",
        "OUT_DIR": str(out_dir),
        "PREDICT_SOURCE": str(sample_folder / "test1"),
    }
    errors, text = execute("02_train_colab.ipynb", parameters, tmp_path)
    assert not errors
    assert "2,764,417 trainable parameters on 80x80 gray" in text
    assert "train:     39 rows" in text and "test:     24 rows" in text
    assert "scaled differently by the course's second scaler" in text and "diagnosis:" in text
    assert "1 epochs, stopped by all 1 epochs" in text and "test loss" in text
    for name in (
        "model.keras",
        "history.csv",
        "submission.csv",
        "figures/history.png",
        "figures/confusion.png",
    ):
        assert (out_dir / name).is_file(), name
    assert len((out_dir / "submission.csv").read_text().splitlines()) == 1 + 6


@pytest.mark.notebook
def test_notebook_03_compares_the_remedies_headlessly(tiny_csv, tmp_path):
    pytest.importorskip("tensorflow")
    out_dir = tmp_path / "run"
    parameters = {
        "CSV_PATH": str(tiny_csv),
        "EPOCHS": 1,
        "BATCH_SIZE": 16,
        "SEED": 0,
        "MODELS": "reference,improved,transfer",
        "PRETRAINED": False,  # no internet here: the transfer model starts from random weights
        "FINE_TUNE_EPOCHS": 1,
        "OUT_DIR": str(out_dir),
    }
    errors, text = execute("03_beat_overfitting.ipynb", parameters, tmp_path)
    assert not errors
    assert "reference: 2,764,417 trainable parameters" in text and "improved : 1,126,625" in text
    for name in ("reference", "improved", "transfer"):
        assert f"{name}: test accuracy" in text
        assert (out_dir / name / "model.keras").is_file()
    assert "transfer: test accuracy" in text and "after 2 epochs" in text  # 1 frozen + 1 fine-tuning
    assert (out_dir / "comparison.png").is_file()
