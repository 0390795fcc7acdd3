"""The exclusions file (notebook 04, section 4): marks -> exclusions.csv -> preprocessing skips them."""

from __future__ import annotations

import numpy as np
import pytest

from dogcat_lib import (
    DatasetError,
    build_dataset,
    preprocess_to_csv,
    read_csv,
    read_exclusions,
    write_exclusions,
)
from dogcat_lib.__main__ import main

MARKS = {
    "cat.0.jpg": "wrong label",
    "more photos/고양이 사진/cat.100 copy.jpg": "not a cat or dog",
    "dog.10.jpg": "wrong label",  # a broken photo: excluded before anyone tries to decode it
}


def test_marks_round_trip_through_a_small_csv(tmp_path):
    marks = {**MARKS, 'odd, "quoted" name.jpg': "blurry"}
    path = write_exclusions(marks, tmp_path / "exclusions.csv")
    assert path.read_text(encoding="utf-8").splitlines()[0] == "name,reason"
    assert [p.name for p in tmp_path.iterdir()] == ["exclusions.csv"]  # written atomically, no temp left
    exclusions = read_exclusions(path)
    assert exclusions.marks == marks
    assert list(exclusions.marks) == sorted(marks)  # sorted by name: a stable file under version control
    assert exclusions.skip_reason == f"excluded by {path}"
    assert write_exclusions({}, tmp_path / "none.csv").read_text() == "name,reason\n"
    assert read_exclusions(tmp_path / "none.csv").marks == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("photo,why\ncat.1.jpg,x\n", "header 'name,reason'"),
        ("name,reason\n,wrong label\n", "line 2 has no name"),
        ("name,reason\ncat.1.jpg\n", "line 2 has no reason"),
    ],
)
def test_a_bad_exclusions_file_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "exclusions.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DatasetError, match=message) as err:
        read_exclusions(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_build_dataset_skips_exactly_the_excluded_names(photo_folder, tmp_path):
    exclusions = write_exclusions(MARKS, tmp_path / "exclusions.csv")
    X0, y0, names0, skipped0 = build_dataset(photo_folder, size=16, progress=False)
    X, y, names, skipped = build_dataset(photo_folder, size=16, progress=False, exclude=exclusions)
    assert names == [n for n in names0 if n not in MARKS]
    keep = [names0.index(n) for n in names]
    np.testing.assert_array_equal(X, X0[keep])
    np.testing.assert_array_equal(y, y0[keep])
    reason = f"excluded by {exclusions}"
    assert sorted(name for name, why in skipped if why == reason) == sorted(MARKS)
    assert skipped.counts()[reason] == 3  # one group: the reason never holds the photo's name
    others = [(n, r) for n, r in skipped0 if n not in MARKS]
    assert [(n, r) for n, r in skipped if r != reason] == others


def test_preprocess_to_csv_skips_them_too_streaming_and_limited(photo_zip, tmp_path):
    exclusions = write_exclusions({f"train/{name}": why for name, why in MARKS.items()}, tmp_path / "ex.csv")
    result = preprocess_to_csv(photo_zip, tmp_path / "all.csv", size=16, progress=False, exclude=exclusions)
    assert result.rows == 10 - 2  # two of the ten good photos are excluded
    assert result.skipped.counts()[f"excluded by {exclusions}"] == 3
    X, y = read_csv(tmp_path / "all.csv")
    assert X.shape == (8, 256)
    limited = preprocess_to_csv(
        photo_zip, tmp_path / "few.csv", size=16, progress=False, exclude=exclusions, limit=100
    )
    assert limited.rows == 8 and limited.skipped.counts()[f"excluded by {exclusions}"] == 3


def test_names_from_another_layout_match_nothing_and_say_so(photo_zip, tmp_path):
    exclusions = write_exclusions(MARKS, tmp_path / "ex.csv")  # folder names, but the zip has train/...
    with pytest.raises(DatasetError, match=r"none of the 3 names in .*ex\.csv is in zip .*train/cat\.0\.jpg"):
        build_dataset(photo_zip, size=16, progress=False, exclude=exclusions)


def test_cli_preprocess_exclude(photo_folder, tmp_path, capsys):
    exclusions = write_exclusions(MARKS, tmp_path / "exclusions.csv")
    out = tmp_path / "clean.csv"
    assert main(["preprocess", str(photo_folder), "-o", str(out), "-q", "--exclude", str(exclusions)]) == 0
    printed = capsys.readouterr().out
    assert "8 rows" in printed and f"3 x excluded by {exclusions}" in printed
    assert read_csv(out)[0].shape == (8, 6400)

    assert (
        main(["preprocess", str(photo_folder), "-o", str(out), "--exclude", str(tmp_path / "nope.csv")]) == 1
    )
    err = capsys.readouterr().err.strip()
    assert (
        err.startswith("dogcat preprocess: error: ") and "nope.csv does not exist" in err and "\n" not in err
    )


def test_cli_never_writes_over_the_exclusions_file(photo_folder, tmp_path, capsys):
    exclusions = write_exclusions(MARKS, tmp_path / "exclusions.csv")
    before = exclusions.read_bytes()
    args = ["preprocess", str(photo_folder), "-o", str(exclusions), "--exclude", str(exclusions), "-q"]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("dogcat preprocess: error: -o ") and "is the input" in err and "\n" not in err
    assert exclusions.read_bytes() == before
