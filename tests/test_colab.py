"""Paths on Colab (Drive, every form a student types) and locally (relative to the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dogcat_lib import DatasetError, find_csv
from dogcat_lib.colab import candidate_paths, in_colab, output_folder, repository_root

TYPED = [
    "dogcat/d.csv.zst",
    "MyDrive/dogcat/d.csv.zst",
    "My Drive/dogcat/d.csv.zst",
    "/content/drive/MyDrive/dogcat/d.csv.zst",
    "/content/drive/My Drive/dogcat/d.csv.zst",
    "drive/MyDrive/dogcat/d.csv.zst",
]


@pytest.fixture
def drive(tmp_path, monkeypatch):
    """A mounted Drive: ``tmp/drive/MyDrive/dogcat/d.csv.zst``."""
    monkeypatch.delenv("DOGCAT_DATA", raising=False)
    folder = tmp_path / "drive" / "MyDrive" / "dogcat"
    folder.mkdir(parents=True)
    (folder / "d.csv.zst").write_bytes(b"label,0\n0,1\n")
    return tmp_path / "drive"


@pytest.mark.parametrize("typed", TYPED)
def test_every_way_a_student_types_a_drive_path_finds_the_file(drive, tmp_path, typed):
    found = find_csv(typed, colab=True, mount_point=drive, copy_to=tmp_path / "local")
    assert found == tmp_path / "local" / "d.csv.zst"  # copied to the runtime's disk first
    assert found.read_bytes() == (drive / "MyDrive" / "dogcat" / "d.csv.zst").read_bytes()


def test_the_older_my_drive_spelling_is_found_too(tmp_path, monkeypatch):
    monkeypatch.delenv("DOGCAT_DATA", raising=False)
    (tmp_path / "drive" / "My Drive" / "dogcat").mkdir(parents=True)
    (tmp_path / "drive" / "My Drive" / "dogcat" / "d.csv").write_text("label,0\n0,1\n")
    for typed in ("MyDrive/dogcat/d.csv", "dogcat/d.csv"):
        assert (
            find_csv(typed, colab=True, mount_point=tmp_path / "drive", copy_to=tmp_path / "c").name
            == "d.csv"
        )


def test_the_local_copy_is_made_once_and_atomically(drive, tmp_path):
    first = find_csv("dogcat/d.csv.zst", colab=True, mount_point=drive, copy_to=tmp_path / "local")
    stamp = first.stat().st_mtime_ns
    again = find_csv("dogcat/d.csv.zst", colab=True, mount_point=drive, copy_to=tmp_path / "local")
    assert again.stat().st_mtime_ns == stamp and sorted(p.name for p in (tmp_path / "local").iterdir()) == [
        "d.csv.zst"
    ]


def test_a_missing_csv_lists_every_path_tried_and_the_upload_to_do(drive, tmp_path):
    with pytest.raises(
        DatasetError,
        match=r"찾아본 곳: .*MyDrive/dogcat/nope.csv.*My Drive의 dogcat 폴더에 올리고 .*MyDrive/dogcat/nope",
    ):  # in Korean: only the notebooks call find_csv
        find_csv("dogcat/nope.csv", colab=True, mount_point=drive, copy_to=tmp_path / "x")


def test_locally_a_relative_path_is_the_repositorys_and_data_is_looked_in(tmp_path, monkeypatch):
    monkeypatch.delenv("DOGCAT_DATA", raising=False)
    monkeypatch.chdir(tmp_path)  # Jupyter started somewhere else
    repo = repository_root()
    assert repo is not None and (repo / "pyproject.toml").is_file()
    assert candidate_paths("MyDrive/dogcat/d.csv.zst", colab=False) == [
        Path("MyDrive/dogcat/d.csv.zst"),
        repo / "MyDrive/dogcat/d.csv.zst",
        repo / "data" / "d.csv.zst",  # where notebook 01 writes it
    ]
    assert not in_colab()
    csv = tmp_path / "d.csv"
    csv.write_text("label,0\n0,1\n")
    assert find_csv(csv) == csv
    other = tmp_path / "other.csv"
    other.write_text("label,0\n1,2\n")
    monkeypatch.setenv("DOGCAT_DATA", str(other))
    assert find_csv(csv) == other
    monkeypatch.delenv("DOGCAT_DATA")
    with pytest.raises(DatasetError, match="노트북 01"):
        find_csv(tmp_path / "nope.csv")


def test_outputs_go_to_drive_on_colab_and_to_the_repository_locally(drive, tmp_path, monkeypatch):
    assert output_folder("runs/reference", colab=True, mount_point=drive) == (
        drive / "MyDrive" / "dogcat" / "runs" / "reference"
    )
    monkeypatch.chdir(tmp_path)
    assert output_folder("runs/x", colab=False) == repository_root() / "runs" / "x"
    assert output_folder(tmp_path / "abs", colab=False) == tmp_path / "abs"


def test_dogcat_colab_builds_the_wheel_and_lists_what_to_upload(tmp_path, capsys):
    import zipfile

    import dogcat_lib
    from dogcat_lib import __version__
    from dogcat_lib.__main__ import main

    csv = tmp_path / "dogs-vs-cats.csv.zst"
    csv.write_bytes(b"x" * 1000)
    assert main(["colab", "-o", str(tmp_path / "dist"), "--csv", str(csv)]) == 0
    wheel = tmp_path / "dist" / f"dogcat-{__version__}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    package = Path(dogcat_lib.__file__).parent
    assert {f"dogcat_lib/{p.relative_to(package).as_posix()}" for p in package.rglob("*.py")} <= set(names)
    printed = capsys.readouterr().out
    assert "My Drive/dogcat/" in printed and str(wheel) in printed and str(csv) in printed
    assert 'CSV_PATH = "MyDrive/dogcat/dogs-vs-cats.csv.zst"' in printed
