"""Run every course notebook once, headlessly, with smoke parameters and pinned outputs (``make notebooks``).

Notebooks are committed with outputs cleared. ``python tests/notebook_tools.py OUT_DIR`` writes,
for each notebook, a test copy into OUT_DIR: the smoke parameters injected after the
``parameters`` cell (papermill's own ``parameterize_notebook``); each pinned cell (its expected
text kept in its metadata, ``dogcat.expected_output``) marked ``# NBVAL_CHECK_OUTPUT`` and its
output filled in; a first cell that makes a figure's missing glyph (Hangul in a default font:
empty boxes) an error; and test-only check cells at the end (they assert on the kernel's
variables and the files written). ``pytest --nbval-lax`` then runs each copy ONCE: a wrong
pinned output or a failing check fails it. The committed notebooks carry no test code or
markers; the smoke data is generated here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PIN_MARK = "# NBVAL_CHECK_OUTPUT"
CHECK_MARK = "# test-only check, appended by tests/notebook_tools.py"


def course_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def prepare_smoke_data(out_dir: Path) -> dict[str, dict]:
    """Generated photos, CSVs and a model in ``out_dir``, and each notebook's smoke parameters.

    The course's own code is 80x80 gray (``reshape(-1, 80, 80, 1)``), so the smoke data is too:
    24 photos, one epoch.
    """
    import numpy as np

    from dogcat_lib import (
        make_sample,
        preprocess_to_csv,
        read_csv,
        train_from_csv,
        write_csv,
        write_exclusions,
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    sample = make_sample(out_dir / "sample", n_per_class=12, unlabelled=3)
    (sample / "train" / "cat.999.jpg").write_bytes(b"")  # a broken photo: skipped with its reason
    preprocess_to_csv(sample / "train", out_dir / "train.csv", progress=False)
    X, y = read_csv(out_dir / "train.csv")
    write_csv(X, y, out_dir / "train.csv.zst", seed=None)  # read as it would be from Drive
    assert np.bincount(y).tolist() == [12, 12]
    model = train_from_csv(out_dir / "train.csv", out_dir / "model", epochs=1, batch_size=8, verbose=0)
    excluded = write_exclusions({"dog.3.jpg": "not a cat or dog"}, out_dir / "01" / "exclusions.csv")
    return {
        "01_preprocess_local.ipynb": {
            "SOURCE": str(sample / "train"), "OUT_CSV": str(out_dir / "01" / "smoke.csv"),
            "WORK_DIR": str(out_dir / "01"), "COURSE_PHOTOS": 8, "LIMIT": None, "SEED": 1,
            "EXCLUDE": str(excluded),
        },
        "02_train_colab.ipynb": {
            "CSV_PATH": str(out_dir / "train.csv.zst"), "EPOCHS": 1, "BATCH_SIZE": 8, "SEED": 0,
            "OUT_DIR": str(out_dir / "02"), "PREDICT_SOURCE": str(sample / "test1"),
        },
        "03_beat_overfitting.ipynb": {
            "CSV_PATH": str(out_dir / "train.csv"), "EPOCHS": 1, "BATCH_SIZE": 8, "SEED": 0,
            "MODELS": "reference,improved,transfer", "PRETRAINED": False, "FINE_TUNE_EPOCHS": 1,
            "OUT_DIR": str(out_dir / "03"), "MAX_MINUTES": None,
        },
        "04_inside_the_cnn.ipynb": {
            "MODEL_PATH": str(model.out_dir / "model.keras"), "PHOTO": str(sample / "test1" / "1.jpg"),
            "SOURCE": str(sample / "train"), "EXCLUSIONS_PATH": str(out_dir / "04" / "exclusions.csv"),
            "N_SUSPECTS": 5, "SEED": 0, "APP": False,
        },
    }  # fmt: skip


#: Appended to each test copy; run in the notebook's kernel after the lesson, with its variables.
CHECKS = {
    "01_preprocess_local.ipynb": """
X_check, y_check = read_csv(OUT_CSV)
assert X_check.dtype == np.uint8 and X_check.shape == (23, 80 * 80), X_check.shape
assert np.bincount(y_check).tolist() == [12, 11]  # EXCLUDE: the marked dog.3.jpg is left out
assert result.skipped.counts() == {"empty file (0 bytes)": 1, f"excluded by {EXCLUDE}": 1}
assert len(course) == 8 and same_rows  # the course's loop and the library wrote the same rows
""",
    "02_train_colab.ipynb": """
left = sorted(p.name for p in run_dir.iterdir())
assert left == ["best.keras", "figures", "history.csv", "model.keras", "submission.csv"], left  # no backup/
assert len((run_dir / "submission.csv").read_text().splitlines()) == 1 + 3
assert len(history.history["loss"]) == 1 and 0.0 <= test_accuracy <= 1.0 and np.isfinite(test_loss)
assert confusion.sum() == len(t_data_test) and report.loc["강아지", "recall"] >= 0
""",
    "03_beat_overfitting.ipynb": """
for name in ("reference", "improved", "transfer", "transfer-fine-tuned"):
    assert (run_dir / name / "best.keras").is_file(), name
assert (run_dir / "comparison.png").is_file()
assert set(results) == {"reference", "improved", "transfer"}
assert len(histories["transfer"]["val_loss"]) == 2  # 1 frozen epoch + 1 fine-tuning epoch
assert list(table.columns[:2]) == ["훈련 정확도", "테스트 정확도"] and table["에포크"].tolist() == [1, 1, 2]
assert trainable(without_augmentation) == trainable(with_augmentation) > 0  # exercise 2
assert len(without_augmentation.layers) == len(with_augmentation.layers) - 2  # no Input, no augmentation
""",
    "04_inside_the_cnn.ipynb": """
from dogcat_lib import explain
assert example.name == "1.jpg" and example.pixels.shape == (80, 80) and 0.0 <= example.dog_probability <= 1.0
assert heatmap.shape == (80, 80) and heatmap.min() >= 0.0 and heatmap.max() <= 1.0
np.testing.assert_allclose(heatmap, explain(model, example.pixels), atol=1e-5)  # the CLI's Grad-CAM
assert kernel.shape == (3, 3, 1, 32)
assert len(suspects) == 24 and suspects["loss"].is_monotonic_decreasing  # the empty cat.999.jpg is skipped
assert len(cleaner) == 5 and not Path(EXCLUSIONS_PATH).exists()  # nothing marked until a button is pressed
cleaner.buttons["wrong label"].click()  # what the button does
assert read_exclusions(EXCLUSIONS_PATH).marks == {suspects["name"].iloc[0]: "wrong label"}
assert len(kept.names) == 23  # exercise 4: one photo marked in the practice file
""",
}


def write_test_copy(notebook: Path, out_dir: Path, parameters: dict) -> Path:
    """The test copy of ``notebook`` in ``out_dir``: smoke parameters, pinned outputs, checks."""
    nb = parameterize_notebook(load_notebook_node(str(notebook)), parameters)
    for cell in nb.cells:
        expected = cell.metadata.get("dogcat", {}).get("expected_output")
        if cell.cell_type == "code" and expected is not None:
            cell.source = f"{PIN_MARK}\n{cell.source}"  # nbval's marker, in the copy only
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=expected)]
            cell.execution_count = 1  # nbval only compares cells that were run
    check = CHECKS.get(notebook.name)
    if check:
        nb.cells.append(nbformat.v4.new_code_cell(CHECK_MARK + "\n" + check.strip()))
    strict = "import warnings\n\nwarnings.filterwarnings('error', 'Glyph .* missing from')  # no empty boxes"
    nb.cells.insert(0, nbformat.v4.new_code_cell(CHECK_MARK + "\n" + strict))
    target = out_dir / notebook.name
    nbformat.write(nb, target)
    return target


def main(out_dir: Path) -> int:
    smoke = prepare_smoke_data(out_dir)
    for path in course_notebooks():
        if path.name not in smoke:
            raise SystemExit(f"{path.name} has no smoke parameters in tests/notebook_tools.py")
        print(write_test_copy(path, out_dir, smoke[path.name]))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))
