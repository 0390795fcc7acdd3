"""`dogcat train / evaluate / predict`: what they write, and one-line errors that write nothing."""

from __future__ import annotations

import json
import zipfile

import pytest

pytest.importorskip("tensorflow")

from dogcat_lib import write_csv
from dogcat_lib.__main__ import main
from dogcat_lib.learn.training import RUN_FIGURES


def one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"dogcat {command}: error: ") and "\n" not in err, err
    return err


def test_train_writes_the_run_and_evaluate_scores_it(tiny_csv, tmp_path, capsys):
    out = tmp_path / "runs" / "cli"
    args = [
        "train",
        str(tiny_csv),
        "-o",
        str(out),
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "--seed",
        "2",
        "-q",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "trained reference on 39 photos: 1 epochs" in printed and "test loss" in printed
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "figures",
        "figures/confusion.png",
        "figures/history.png",
        "figures/mistakes.png",
        "figures/samples.png",
        "history.csv",
        "metrics.json",
        "model.keras",
    ]  # the library's run, and the figures plots.py drew of it
    assert all((out / "figures" / name).read_bytes().startswith(b"\x89PNG") for name in RUN_FIGURES)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["seed"] == 2 and metrics["stopped_by"] == "all 1 epochs"

    assert metrics["n"] == 24  # the held-out test split

    assert main(["evaluate", str(out / "model.keras"), str(tiny_csv)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("test loss ") and printed[0].endswith(" on 80 photos")  # the whole CSV
    assert printed[-1].startswith("confusion (rows: true cat, dog; columns: predicted cat, dog): [[")

    assert main(args) == 1  # a second run into the same folder is refused
    assert "--overwrite" in one_line_error(capsys, "train")


def test_predict_writes_kaggles_submission(trained_run, sample_folder, tmp_path, capsys):
    submission = tmp_path / "submission.csv"
    model = trained_run.out_dir / "model.keras"
    assert main(["predict", str(model), str(sample_folder / "test1"), "-o", str(submission), "-q"]) == 0
    lines = submission.read_text().splitlines()
    assert lines[0] == "id,label" and [line.split(",")[0] for line in lines[1:]] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
    ]
    assert all(line.split(",")[1] in ("0", "1") for line in lines[1:])  # the 2013 competition's labels
    assert "6 photos:" in capsys.readouterr().out


@pytest.mark.parametrize(
    "case", ["missing-csv", "wrong-width", "not-a-model", "foreign-zip", "missing-model"]
)
def test_bad_input_is_one_line_and_writes_nothing(case, trained_run, tiny_csv, tmp_path, capsys):
    model, csv = trained_run.out_dir / "model.keras", tiny_csv
    if case == "missing-csv":
        csv = tmp_path / "nope.csv"
    elif case == "wrong-width":
        import numpy as np

        csv = tmp_path / "wide.csv"
        write_csv(np.zeros((8, 16 * 16), np.uint8), np.array([0, 1] * 4, np.uint8), csv)
    elif case == "not-a-model":
        model = tmp_path / "model.keras"
        model.write_text("hello")
    elif case == "foreign-zip":
        model = tmp_path / "model.keras"
        with zipfile.ZipFile(model, "w") as zf:
            zf.writestr("a.txt", "x")
    elif case == "missing-model":
        model = tmp_path / "none.keras"
    before = sorted(p.name for p in tmp_path.iterdir())

    submission = tmp_path / "submission.csv"
    assert main(["evaluate", str(model), str(csv)]) == 1
    err = one_line_error(capsys, "evaluate")
    if case == "wrong-width":
        assert "16x16 gray" in err and "32x32 gray" in err
    if case in ("not-a-model", "foreign-zip", "missing-model"):
        assert main(["predict", str(model), str(tiny_csv.parent), "-o", str(submission), "-q"]) == 1
        one_line_error(capsys, "predict")
    if case == "missing-csv":
        run = tmp_path / "run"
        assert main(["train", str(csv), "-o", str(run), "--epochs", "1", "-q"]) == 1
        assert "nope.csv" in one_line_error(capsys, "train")
        assert not run.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no submission, no run folder


def test_train_rejects_an_unknown_model_before_reading_anything(tiny_csv, tmp_path, capsys):
    with pytest.raises(SystemExit) as usage:  # argparse answers at once, before TensorFlow loads
        main(["train", str(tiny_csv), "-o", str(tmp_path / "r"), "--model", "vgg99", "-q"])
    err = capsys.readouterr().err
    assert usage.value.code == 2 and err.count("\n") == 1 and "invalid choice: 'vgg99'" in err, err
    assert not (tmp_path / "r").exists()


def test_no_tensorflow_log_lines_above_the_one_line_error(tiny_csv, tmp_path):
    """TensorFlow 2.19+ prints oneDNN/CUDA notices from C++ on import, whatever its log level says."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a student's shell
    for args in (["evaluate", str(tmp_path / "none.keras"), str(tiny_csv)],
                 ["train", str(tmp_path / "none.csv"), "-o", str(tmp_path / "run")]):  # fmt: skip
        run = subprocess.run(
            [sys.executable, "-m", "dogcat_lib", *args], capture_output=True, text=True, env=env
        )
        assert run.returncode == 1 and run.stdout == ""
        assert run.stderr.count("\n") == 1 and run.stderr.startswith(f"dogcat {args[0]}: error: "), run.stderr
