"""What a hostile-input sweep of the CLI found: each case gives one clear line, never waits, never
names our hidden temp file, and never trains on data that cannot teach anything."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import jpeg

from dogcat_lib import DatasetError, make_sample, read_exclusions, split_dataset
from dogcat_lib.__main__ import main
from dogcat_lib.plumbing import atomic
from dogcat_lib.plumbing.atomic import atomic_write_bytes


def one_error_line(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"dogcat {command}: error: "), repr(err)
    return err


def test_a_folder_we_may_not_write_into_is_named_never_our_temp_file(tmp_path, monkeypatch, capsys):
    real_open = os.open

    def refuse_new_files(path, flags, *args):  # as a read-only folder (or /sys, even for root) does
        if flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(atomic.os, "open", refuse_new_files)
    out = tmp_path / "out.csv"
    with pytest.raises(PermissionError) as raised:
        atomic_write_bytes(out, b"label\n")
    assert raised.value.filename == os.fspath(out)
    sample = make_sample(tmp_path / "s", n_per_class=2)
    assert main(["preprocess", str(sample / "train"), "-o", str(out), "-q"]) == 1
    err = one_error_line(capsys, "preprocess")
    assert f"{out}: Permission denied" in err and ".tmp" not in err


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs Linux's /sys (not writable, even for root)")
def test_writing_into_sys_names_the_output(tmp_path, capsys):
    sample = make_sample(tmp_path / "s.zip", n_per_class=2)
    assert main(["preprocess", str(sample), "-o", "/sys/dogcat-test.csv", "-q"]) == 1
    err = one_error_line(capsys, "preprocess")
    assert "/sys/dogcat-test.csv" in err and ".tmp" not in err


def test_predict_on_a_folder_without_photos_is_one_line_even_with_the_progress_bar(
    trained_run, tmp_path, capsys
):
    (tmp_path / "empty").mkdir()
    assert main(["predict", str(trained_run.out_dir / "model.keras"), str(tmp_path / "empty")]) == 1
    assert "no decodable photo" in one_error_line(capsys, "predict")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_an_exclusions_file_that_is_a_pipe_is_refused_not_waited_on(tmp_path, capsys):
    fifo = tmp_path / "exclusions.csv"
    os.mkfifo(fifo)
    with pytest.raises(DatasetError, match="not a regular file"):
        read_exclusions(fifo)  # with no writer, reading would block forever
    with pytest.raises(DatasetError, match="is not a regular file"):
        read_exclusions(tmp_path)  # a folder
    sample = make_sample(tmp_path / "s.zip", n_per_class=2)
    assert main(["preprocess", str(sample), "-o", str(tmp_path / "o.csv"), "-q", "--exclude", str(fifo)]) == 1
    one_error_line(capsys, "preprocess")
    assert not (tmp_path / "o.csv").exists()


def test_data_of_one_class_is_refused_before_any_training(tmp_path, capsys):
    X = np.zeros((40, 16), np.uint8)
    with pytest.raises(DatasetError, match="all 40 rows are cats: .* needs photos of both"):
        split_dataset(X, np.zeros(40, np.uint8))
    cats = tmp_path / "cats"
    cats.mkdir()
    for i in range(12):
        (cats / f"cat.{i}.jpg").write_bytes(jpeg(0, i, (40, 40)))
    assert main(["preprocess", str(cats), "-o", str(tmp_path / "cats.csv"), "--size", "32", "-q"]) == 0
    capsys.readouterr()
    assert main(["train", str(tmp_path / "cats.csv"), "-o", str(tmp_path / "run"), "-q"]) == 1
    assert "are cats" in one_error_line(capsys, "train")
    assert not (tmp_path / "run" / "model.keras").exists()


def test_a_zip_cut_short_is_called_damaged(tmp_path, capsys):
    whole = make_sample(tmp_path / "s.zip", n_per_class=20)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # an interrupted download
    assert not zipfile.is_zipfile(cut)
    assert main(["preprocess", str(cut), "-o", str(tmp_path / "o.csv"), "-q"]) == 1
    assert "is a damaged zip (cut short?" in one_error_line(capsys, "preprocess")
    (tmp_path / "notes.txt").write_text("not a zip")
    assert main(["preprocess", str(tmp_path / "notes.txt"), "-o", str(tmp_path / "o.csv"), "-q"]) == 1
    assert "neither a folder nor a zip" in one_error_line(capsys, "preprocess")


def test_predict_calls_a_cut_zip_damaged_not_a_bad_photo(trained_run, tmp_path, capsys):
    whole = make_sample(tmp_path / "s.zip", n_per_class=20)
    cut = tmp_path / "test1.zip"
    cut.write_bytes(whole.read_bytes()[:5000])
    assert main(["predict", str(trained_run.out_dir / "model.keras"), str(cut), "-q"]) == 1
    assert "is a damaged zip" in one_error_line(capsys, "predict")


def test_sample_never_mixes_into_a_folder_that_holds_files(tmp_path, capsys):
    folder = tmp_path / "sample"
    assert main(["sample", "-o", str(folder), "-n", "2"]) == 0
    capsys.readouterr()
    assert main(["sample", "-o", str(folder), "-n", "1"]) == 1
    assert "is a folder that is not empty" in one_error_line(capsys, "sample")
    assert len(list((folder / "train").iterdir())) == 4  # the first sample, untouched
    (tmp_path / "file.csv").write_text("x")
    assert main(["sample", "-o", str(tmp_path / "file.csv"), "-n", "1"]) == 1
    assert "is a file: name a new folder, or a .zip" in one_error_line(capsys, "sample")
    (tmp_path / "empty").mkdir()
    assert main(["sample", "-o", str(tmp_path / "empty"), "-n", "1"]) == 0  # an empty folder is fine


@pytest.mark.parametrize("alpha", ["5", "-0.1", "nan", "half"])
def test_explain_alpha_outside_0_to_1_is_a_command_line_mistake(tmp_path, capsys, alpha):
    with pytest.raises(SystemExit) as exit_info:
        main(["explain", "model.keras", "photo.jpg", "-o", str(tmp_path / "out"), "--alpha", alpha])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("dogcat explain: error: argument --alpha: ") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_colab_refuses_an_output_that_is_a_file_before_building(tmp_path, capsys):
    (tmp_path / "dist").write_text("x")
    assert main(["colab", "-o", str(tmp_path / "dist")]) == 1
    assert "is a file: the wheel goes into a folder" in one_error_line(capsys, "colab")
