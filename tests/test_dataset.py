import os
import zipfile

import numpy as np
import pytest
from conftest import jpeg

from dogcat_lib import DatasetError, build_dataset, load_pixels


def reasons(skipped):
    return dict(skipped.items)


def test_folder_keeps_every_good_photo_and_reports_every_skip(photo_folder, good_photos, bad_photos):
    X, y, names, skipped = build_dataset(photo_folder, progress=False)
    good = sorted(
        [
            *list(good_photos),
            "more photos/고양이 사진/cat.100 copy.jpg",
            "more photos/고양이 사진/dog.101.jpg",
        ]
    )
    assert names == good
    assert X.dtype == np.uint8 and X.shape == (len(good), 6400)
    assert y.dtype == np.uint8 and y.tolist() == [
        0 if n.lower().split("/")[-1].startswith("cat") else 1 for n in names
    ]
    for name, row in zip(names, X, strict=True):
        np.testing.assert_array_equal(row, load_pixels(photo_folder / name).ravel())
    why = reasons(skipped)
    for name, (_, reason) in bad_photos.items():
        assert reason in why[name], (name, why[name])
    assert "not an image file name" in why["notes.txt"]
    assert "not an image file name (.csv)" in why["dogs-vs-cats.csv"]
    assert len(skipped) == len(bad_photos) + 2
    line = skipped.summary()
    assert line.startswith(f"skipped {len(skipped)}: ") and "\n" not in line


def test_zip_is_read_in_place_and_gives_the_same_arrays(photo_folder, photo_zip, tmp_path):
    a = build_dataset(photo_folder, progress=False)
    b = build_dataset(photo_zip, progress=False)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert [f"train/{n}" for n in a.names] == b.names
    assert not any(p.suffix == ".jpg" for p in photo_zip.parent.rglob("*"))  # nothing extracted


def test_order_does_not_depend_on_the_file_system_or_the_workers(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    names = [f"{kind}.{i}.jpg" for i in range(12) for kind in ("cat", "dog")]
    for i, name in enumerate(names):
        (first / name).write_bytes(jpeg(i % 2, i))
    for i, name in reversed(list(enumerate(names))):  # created in the opposite order
        (second / name).write_bytes(jpeg(i % 2, i))
    one = build_dataset(first, workers=1, progress=False)
    many = build_dataset(second, workers=4, progress=False)
    assert one.names == many.names == sorted(names)
    np.testing.assert_array_equal(one.X, many.X)


def test_rgb_rows_hold_three_channels(photo_folder):
    X, y, names, _ = build_dataset(photo_folder, size=32, color="rgb", progress=False)
    assert X.shape == (len(names), 32 * 32 * 3)
    np.testing.assert_array_equal(X[0].reshape(32, 32, 3), load_pixels(photo_folder / names[0], 32, "rgb"))


def test_petimages_layout(tmp_path):
    root = tmp_path / "PetImages"
    for folder, label in (("Cat", 0), ("Dog", 1)):
        (root / folder).mkdir(parents=True)
        for i in range(3):
            (root / folder / f"{i}.jpg").write_bytes(jpeg(label, i + 10 * label))
        (root / folder / "Thumbs.db").write_bytes(b"\x00" * 64)
    (root / "Cat" / "666.jpg").write_bytes(b"")
    X, y, names, skipped = build_dataset(root, progress=False)
    assert y.tolist() == [0, 0, 0, 1, 1, 1]
    assert reasons(skipped)["Cat/666.jpg"].startswith("empty file")
    assert "not an image file name" in reasons(skipped)["Dog/Thumbs.db"]


def test_limit_takes_a_seeded_class_balanced_subset(tmp_path):
    for i in range(10):
        (tmp_path / f"cat.{i}.jpg").write_bytes(jpeg(0, i))
        (tmp_path / f"dog.{i}.jpg").write_bytes(jpeg(1, 100 + i))
    a = build_dataset(tmp_path, limit=6, progress=False, seed=1)
    assert np.bincount(a.y).tolist() == [3, 3]
    assert a.names == build_dataset(tmp_path, limit=6, progress=False, seed=1).names
    assert a.names != build_dataset(tmp_path, limit=6, progress=False, seed=2).names


def test_limit_replaces_photos_that_fail_to_decode(tmp_path):
    for i in range(4):
        (tmp_path / f"cat.{i}.jpg").write_bytes(b"" if i < 2 else jpeg(0, i))
        (tmp_path / f"dog.{i}.jpg").write_bytes(jpeg(1, 10 + i))
    X, y, names, skipped = build_dataset(tmp_path, limit=4, progress=False)
    assert np.bincount(y).tolist() == [2, 2]
    assert names == sorted(names)


def test_a_zip_member_escaping_the_source_and_a_zip_symlink_are_never_read(tmp_path):
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("train/cat.1.jpg", jpeg(0, 1))
        zf.writestr("train/dog.1.jpg", jpeg(1, 2))
        zf.writestr("../dog.2.jpg", jpeg(1, 3))
        zf.writestr("/abs/cat.5.jpg", jpeg(0, 5))
        link = zipfile.ZipInfo("train/cat.3.jpg")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("__MACOSX/train/._cat.1.jpg", b"\x00\x05\x16\x07")
    X, y, names, skipped = build_dataset(path, progress=False)
    assert names == ["train/cat.1.jpg", "train/dog.1.jpg"]
    why = reasons(skipped)
    assert "unsafe path" in why["../dog.2.jpg"] and "unsafe path" in why["/abs/cat.5.jpg"]
    assert "symlink" in why["train/cat.3.jpg"]
    assert "macOS" in why["__MACOSX/train/._cat.1.jpg"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_symlinks_in_a_folder_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "cat.9.jpg").write_bytes(jpeg(0, 9))
    root = tmp_path / "train"
    root.mkdir()
    (root / "dog.1.jpg").write_bytes(jpeg(1, 1))
    try:
        (root / "cat.9.jpg").symlink_to(outside / "cat.9.jpg")
        (root / "Cat").symlink_to(outside, target_is_directory=True)
    except OSError:
        pytest.skip("creating symlinks is not allowed here")
    X, y, names, skipped = build_dataset(root, progress=False)
    assert names == ["dog.1.jpg"]
    assert "symlink" in reasons(skipped)["cat.9.jpg"] and "symlink" in reasons(skipped)["Cat"]


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_empty_sources_are_a_clear_error(tmp_path, kind):
    if kind == "folder":
        source = tmp_path / "empty"
        source.mkdir()
    else:
        source = tmp_path / "empty.zip"
        zipfile.ZipFile(source, "w").close()
    with pytest.raises(DatasetError, match="no labelled photos"):
        build_dataset(source, progress=False)


def test_only_broken_photos_is_a_clear_error(tmp_path):
    (tmp_path / "cat.1.jpg").write_bytes(b"")
    with pytest.raises(DatasetError, match="could be decoded"):
        build_dataset(tmp_path, progress=False)


def test_missing_and_wrong_kind_of_source(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        build_dataset(tmp_path / "nope.zip", progress=False)
    (tmp_path / "train.csv").write_text("label,0\n0,1\n")
    with pytest.raises(DatasetError, match="neither a folder nor a zip"):
        build_dataset(tmp_path / "train.csv", progress=False)


def test_huge_photo_does_not_stop_the_run(tmp_path, huge_jpeg):
    (tmp_path / "cat.1.jpg").write_bytes(huge_jpeg)
    (tmp_path / "dog.1.jpg").write_bytes(jpeg(1, 1))
    X, y, names, skipped = build_dataset(tmp_path, progress=False)
    assert names == ["cat.1.jpg", "dog.1.jpg"] and len(skipped) == 0


def test_inputs_are_never_modified(photo_folder, photo_zip):
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in photo_folder.rglob("*")}
    zip_bytes = photo_zip.read_bytes()
    build_dataset(photo_folder, progress=False)
    build_dataset(photo_zip, progress=False)
    assert before == {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in photo_folder.rglob("*")}
    assert photo_zip.read_bytes() == zip_bytes


def test_read_photo_only_reads_entries_of_the_source(photo_folder, photo_zip, tmp_path):
    from dogcat_lib import list_photos, read_photo

    name = list_photos(photo_folder)[0][0]
    assert read_photo(photo_folder, name) == (photo_folder / name).read_bytes()
    assert read_photo(photo_zip, "train/" + name) == (photo_folder / name).read_bytes()
    for source, bad in (
        (photo_folder, "../../etc/passwd"),
        (photo_zip, "../x.jpg"),
        (photo_folder, "nope.jpg"),
    ):
        with pytest.raises(DatasetError, match="not a readable file"):
            read_photo(source, bad)


def test_kaggles_outer_zip_gets_a_hint_to_extract_train_zip(tmp_path, photo_zip):
    outer = tmp_path / "dogs-vs-cats.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(photo_zip, "train.zip")
        zf.writestr("test1.zip", b"PK\x05\x06" + bytes(18))
        zf.writestr("sampleSubmission.csv", "id,label\n1,0\n")
    with pytest.raises(DatasetError, match="holds test1.zip, train.zip: extract train.zip"):
        build_dataset(outer, progress=False)


def test_an_unreadable_subfolder_is_skipped_with_the_reason(tmp_path, monkeypatch):
    (tmp_path / "dog.1.jpg").write_bytes(jpeg(1, 1))
    locked = tmp_path / "Cat"
    locked.mkdir()
    (locked / "1.jpg").write_bytes(jpeg(0, 1))
    real_scandir = os.scandir

    def scandir(path):  # what a folder without read permission does (chmod cannot, as root)
        if os.fspath(path) == os.fspath(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    X, y, names, skipped = build_dataset(tmp_path, progress=False)
    assert names == ["dog.1.jpg"]
    assert reasons(skipped)["Cat"] == "unreadable folder (Permission denied)"


def test_a_folder_reached_twice_is_scanned_once(tmp_path, monkeypatch):
    """A Windows junction back to a parent is no symlink; the scan must still not loop."""
    (tmp_path / "dog.1.jpg").write_bytes(jpeg(1, 1))
    loop = tmp_path / "loop"
    loop.mkdir()
    real_stat = os.stat

    def stat(path, *args, **kwargs):  # "loop" is the root again, as through a junction
        return real_stat(tmp_path if os.fspath(path) == os.fspath(loop) else path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    X, y, names, skipped = build_dataset(tmp_path, progress=False)
    assert names == ["dog.1.jpg"]
    assert "folder seen before" in reasons(skipped)["loop"]
