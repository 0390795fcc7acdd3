"""Finding the CSV on Colab (Drive, both spellings of its root) and locally, without Colab itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from dogcat_lib import DatasetError, find_csv, in_colab
from dogcat_lib.colab import candidate_paths


def test_candidate_paths_try_both_spellings_of_drives_root():
    root = Path("/content/drive")
    assert candidate_paths("dogcat/d.csv", root) == [
        root / "MyDrive" / "dogcat/d.csv",
        root / "My Drive" / "dogcat/d.csv",
        Path("dogcat/d.csv"),
    ]
    assert candidate_paths("/content/drive/My Drive/d.csv", root) == [
        Path("/content/drive/My Drive/d.csv"),
        Path("/content/drive/MyDrive/d.csv"),
    ]
    assert candidate_paths("data/d.csv") == [Path("data/d.csv")]


def test_find_csv_locally_and_with_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("DOGCAT_DATA", raising=False)
    csv = tmp_path / "d.csv"
    csv.write_text("label,0\n0,1\n")
    assert not in_colab()
    assert find_csv(csv) == csv
    other = tmp_path / "other.csv"
    other.write_text("label,0\n1,2\n")
    monkeypatch.setenv("DOGCAT_DATA", str(other))
    assert find_csv(csv) == other


def test_find_csv_on_drive_copies_to_local_disk_once(tmp_path, monkeypatch):
    monkeypatch.delenv("DOGCAT_DATA", raising=False)
    drive = tmp_path / "drive"
    (drive / "My Drive" / "dogcat").mkdir(parents=True)
    on_drive = drive / "My Drive" / "dogcat" / "d.csv"
    on_drive.write_text("label,0\n0,1\n")
    local = tmp_path / "local"
    found = find_csv("dogcat/d.csv", colab=True, drive_root=drive, copy_to=local)
    assert found == local / "d.csv" and found.read_text() == on_drive.read_text()
    assert sorted(p.name for p in local.iterdir()) == ["d.csv"]  # no temp file left
    stamp = found.stat().st_mtime_ns
    assert find_csv("dogcat/d.csv", colab=True, drive_root=drive, copy_to=local).stat().st_mtime_ns == stamp


def test_a_missing_csv_lists_every_path_tried(tmp_path, monkeypatch):
    monkeypatch.delenv("DOGCAT_DATA", raising=False)
    with pytest.raises(DatasetError, match="tried .*MyDrive.*My Drive.*upload the CSV"):
        find_csv("dogcat/d.csv", colab=True, drive_root=tmp_path, copy_to=tmp_path / "x")
    with pytest.raises(DatasetError, match="run notebook 01"):
        find_csv(tmp_path / "nope.csv")
