"""Issue 14, item 9: errors that printed a traceback or several lines now print one line, exit 1.

(``--url not-a-url`` and ``--url 'http://[::1'`` are in test_download.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import jpeg

from dogcat_lib import write_csv
from dogcat_lib.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"dogcat {command}: error: ") and "\n" not in err, err
    return err


def test_names_that_are_not_utf8_or_hold_tabs_are_skipped_and_counted(tmp_path, capsys):
    root = tmp_path / "train"
    root.mkdir()
    (root / "cat.1.jpg").write_bytes(jpeg(0, 1))
    (root / "dog.1.jpg").write_bytes(jpeg(1, 1))
    odd = [b"dog.\xff\xfe.jpg", b"cat.2\tcopy.jpg", b"cat.3\nnew.jpg"]
    try:
        for name in odd:
            with open(os.path.join(os.fsencode(root), name), "wb") as f:
                f.write(b"not a photo")
    except (OSError, ValueError):
        pytest.skip("this file system refuses such names")
    assert main(["preprocess", str(root), "-o", str(tmp_path / "d.csv"), "-q"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert "2 rows (1 cat, 1 dog)" in printed[0] and printed[1].startswith(f"skipped {len(odd)}: ")


def test_train_on_photos_too_small_for_the_model(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    csv = tmp_path / "tiny4.csv"
    rng = np.random.default_rng(0)
    write_csv(rng.integers(0, 256, (40, 16), dtype=np.uint8), np.array([0, 1] * 20, np.uint8), csv)
    out = tmp_path / "run"
    assert main(["train", str(csv), "-o", str(out), "--epochs", "1", "-q"]) == 1
    err = one_line_error(capsys, "train")
    assert "4x4" in err and "--size" in err
    assert not (out / "model.keras").exists()


@pytest.fixture
def two_output_model(tmp_path) -> Path:
    """A model that outputs two softmax probabilities, not the one P(dog) the commands expect."""
    keras = pytest.importorskip("keras")
    model = keras.Sequential(
        [keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")]
    )
    path = tmp_path / "softmax.keras"
    model.save(path)
    return path


def test_evaluate_and_predict_a_model_with_another_output(two_output_model, tiny_csv, sample_folder, capsys):
    assert main(["evaluate", str(two_output_model), str(tiny_csv)]) == 1
    assert "one probability" in one_line_error(capsys, "evaluate")
    assert main(["predict", str(two_output_model), str(sample_folder / "test1"), "-q"]) == 1
    assert "one probability" in one_line_error(capsys, "predict")


@pytest.mark.skipif(os.name == "nt", reason="the memory limit needs the POSIX resource module")
def test_a_huge_size_is_one_line(tmp_path, photo_folder):
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "from dogcat_lib.__main__ import main\n"
        f"sys.exit(main(['preprocess', {str(photo_folder)!r}, '-o', {str(tmp_path / 'd.csv')!r}, "
        "'-q', '--size', '100000']))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    err = run.stderr.strip()
    assert run.returncode == 1 and "\n" not in err, err
    assert err.startswith("dogcat preprocess: error: ") and "--size" in err
    assert list(tmp_path.iterdir()) == []


def test_keras_load_errors_are_one_line(tmp_path, tiny_csv, capsys):
    keras = pytest.importorskip("keras")
    path = tmp_path / "broken.keras"
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [{"module": "keras.layers", "class_name": "Dense", "config": {"units": "abc"}}],
        },
    }
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": keras.__version__}))
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", b"")
    assert main(["evaluate", str(path), str(tiny_csv)]) == 1
    err = one_line_error(capsys, "evaluate")
    assert "broken.keras" in err and len(err) < 400


def test_no_tensorflow_start_up_notes_above_the_error_line(tmp_path):
    """TensorFlow prints oneDNN/CUDA notes from C++ at import, even with TF_CPP_MIN_LOG_LEVEL=3."""
    pytest.importorskip("tensorflow")
    model = tmp_path / "foreign.keras"
    with zipfile.ZipFile(model, "w") as zf:
        zf.writestr("a.txt", "not a model")
    csv = tmp_path / "d.csv"
    write_csv(np.zeros((4, 16 * 16), np.uint8), np.array([0, 1, 0, 1], np.uint8), csv)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    run = subprocess.run(
        [sys.executable, "-m", "dogcat_lib", "evaluate", str(model), str(csv)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )  # fmt: skip
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("dogcat evaluate: error: "), run.stderr


def test_tensorflow_warnings_after_the_quiet_import_still_print(tmp_path):
    """The C++ notes are dropped while TensorFlow imports; its Python logger, made then, must still write to
    the real stderr afterwards (it held the block's stream, closed on exit: 'Bad file descriptor')."""
    pytest.importorskip("tensorflow")
    code = "import dogcat_lib.learn, tensorflow as tf; tf.get_logger().warning('a warning after the import')"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=300)  # fmt: skip
    assert "a warning after the import" in run.stderr and "Logging error" not in run.stderr, run.stderr
