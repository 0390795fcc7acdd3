import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import jpeg

from dogcat_lib import read_csv
from dogcat_lib.__main__ import main


def test_preprocess_writes_the_csv_and_a_summary(photo_zip, tmp_path, capsys):
    out = tmp_path / "out" / "dogs-vs-cats.csv"
    assert main(["preprocess", str(photo_zip), "-o", str(out), "-q"]) == 0
    X, y = read_csv(out)
    assert X.shape == (10, 6400) and np.bincount(y).tolist() == [5, 5]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"wrote {out}: 10 rows (5 cat, 5 dog) x 6,400 pixels")
    assert " MB in " in printed[0] and printed[1].startswith("skipped 7: ")


def test_preprocess_options(photo_folder, tmp_path):
    out = tmp_path / "small.csv.gz"
    args = [
        "preprocess",
        str(photo_folder),
        "-o",
        str(out),
        "-q",
        "--size",
        "16",
        "--color",
        "rgb",
        "--limit",
        "4",
        "--workers",
        "1",
        "--seed",
        "5",
    ]
    assert main(args) == 0
    X, y = read_csv(out)
    assert X.shape == (4, 16 * 16 * 3) and np.bincount(y).tolist() == [2, 2]


@pytest.mark.parametrize(
    "case", ["missing", "empty", "inside", "unwritable", "is-input", "bad-limit", "bz2-name", "device"]
)
def test_preprocess_failures_exit_non_zero_with_one_line(tmp_path, photo_folder, capsys, case):
    source, out, extra = photo_folder, tmp_path / "out.csv", []
    if case == "missing":
        source = tmp_path / "nope"
    elif case == "empty":
        source = tmp_path / "empty"
        source.mkdir()
    elif case == "inside":
        out = photo_folder / "more photos" / "out.csv"
    elif case == "unwritable":
        (tmp_path / "file").write_text("x")
        out = tmp_path / "file" / "out.csv"
    elif case == "is-input":
        source = tmp_path / "cat.1.jpg"
        source.write_bytes(jpeg(0, 1))
        out = source
    elif case == "bz2-name":  # pd.read_csv would unpack it as bzip2: refused, nothing read
        out = tmp_path / "out.csv.bz2"
    elif case == "device":
        out = Path(os.devnull)
    args = ["preprocess", str(source), "-o", str(out), "-q", *extra]
    if case == "bad-limit":
        with pytest.raises(SystemExit) as exit_info:
            main([*args, "--limit", "0"])
        assert exit_info.value.code == 2  # a mistyped command line: one line too, no usage block
        err = capsys.readouterr().err
        assert err.startswith("dogcat preprocess: error: argument --limit: ") and err.count("\n") == 1
        return
    assert main(args) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("dogcat preprocess: error: ") and "\n" not in err
    assert not out.exists() or case in ("is-input", "device")
    assert not (photo_folder / "more photos" / "out.csv").exists()


def test_sample_then_preprocess_like_make_demo(tmp_path):
    sample = tmp_path / "train.zip"
    assert main(["sample", "-o", str(sample), "-n", "6", "--unlabelled", "2"]) == 0
    assert main(["preprocess", str(sample), "-o", str(tmp_path / "d.csv"), "-q"]) == 0
    X, y = read_csv(tmp_path / "d.csv")
    assert np.bincount(y).tolist() == [6, 6]


def test_python_dash_m_and_import_stay_light():
    run = subprocess.run([sys.executable, "-m", "dogcat_lib", "--help"], capture_output=True, text=True)
    assert run.returncode == 0 and "preprocess" in run.stdout
    heavy = "('tensorflow', 'keras', 'pandas', 'matplotlib')"
    code = (
        f"import sys, dogcat_lib; dogcat_lib.build_dataset; print([m for m in {heavy} if m in sys.modules])"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


@pytest.mark.parametrize(("out_name", "magic"), [
    ("d.csv.zst", b"\x28\xb5\x2f\xfd"),
    ("d.csv.gz", b"\x1f\x8b"),
    ("d.csv", b"labe"),
])  # fmt: skip
def test_preprocess_compresses_by_the_output_suffix(photo_folder, tmp_path, capsys, out_name, magic):
    assert main(["preprocess", str(photo_folder), "-o", str(tmp_path / out_name), "-q"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [out_name]
    assert (tmp_path / out_name).read_bytes().startswith(magic)
    assert read_csv(tmp_path / out_name)[0].shape == (10, 6400)
    assert f"wrote {tmp_path / out_name}" in capsys.readouterr().out


def test_sample_refuses_a_negative_count_and_predict_a_folder_output_before_any_photo(tmp_path, capsys):
    with pytest.raises(SystemExit) as usage:
        main(["sample", "-o", str(tmp_path / "s"), "-n", "5", "--unlabelled", "-3"])
    assert usage.value.code == 2 and "0 or a positive integer" in capsys.readouterr().err
    photos, folder = tmp_path / "test1", tmp_path / "submission.csv"
    photos.mkdir()
    folder.mkdir()
    assert main(["predict", str(tmp_path / "model.keras"), str(photos), "-o", str(folder), "-q"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "is a folder" in err, err
