"""Microsoft's PetImages layout: labels from Cat/ and Dog/, every broken file skipped with a reason."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from conftest import jpeg, pil_bytes, truncated

from dogcat_lib import build_dataset
from dogcat_lib.__main__ import main


def exif_jpeg(label: int, seed: int) -> bytes:
    """A good JPEG whose first segment is Exif (APP1) instead of JFIF (APP0), as cameras write them.

    The Keras example drops files without "JFIF" in their first bytes; they are good photos.
    """
    data = jpeg(label, seed)
    assert data[2:4] == b"\xff\xe0"  # SOI, then the JFIF APP0 segment: replace it
    rest = data[4 + int.from_bytes(data[4:6], "big") :]
    payload = b"Exif\x00\x00" + b"II*\x00" + (8).to_bytes(4, "little") + bytes(2) + bytes(4)  # an empty IFD
    out = b"\xff\xd8\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload + rest
    assert b"JFIF" not in out[:20] and out[6:10] == b"Exif"
    return out


@pytest.fixture(scope="module")
def petimages_files() -> tuple[dict[str, bytes], int]:
    """PetImages/{Cat,Dog}/N.jpg: good photos in real-world variants, and its kinds of broken files."""
    good = {
        "PetImages/Cat/0.jpg": jpeg(0, 0),
        "PetImages/Cat/1.jpg": exif_jpeg(0, 1),
        "PetImages/Cat/2.jpg": pil_bytes(0, 2, "PNG"),  # a PNG named .jpg
        "PetImages/Cat/3.jpg": pil_bytes(0, 3, "GIF", mode="P"),  # a GIF named .jpg
        "PetImages/Dog/0.jpg": jpeg(1, 4),
        "PetImages/Dog/1.jpg": pil_bytes(1, 5, "BMP"),
        "PetImages/Dog/2.jpg": pil_bytes(1, 6, "JPEG", mode="CMYK"),
    }
    broken = {
        "PetImages/Cat/666.jpg": b"",  # the famous empty file
        "PetImages/Dog/11702.jpg": np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes(),
        "PetImages/Dog/3.jpg": truncated(jpeg(1, 7)),
        "PetImages/Cat/Thumbs.db": b"\xd0\xcf\x11\xe0" + bytes(500),  # Windows thumbnail cache
        "PetImages/Dog/Thumbs.db": b"\xd0\xcf\x11\xe0" + bytes(500),
        "readme[1].txt": b"Microsoft Research Asirra data",
        "MSR-LA - 3467.docx": b"PK\x03\x04 not really a docx",
    }
    return {**good, **broken}, len(good)


def write_folder(root, files):
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def write_zip(path, files):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_every_good_photo_is_kept_and_every_broken_file_skipped_with_a_reason(
    petimages_files, tmp_path, kind
):
    files, n_good = petimages_files
    source = (
        write_folder(tmp_path / "src", files) if kind == "folder" else write_zip(tmp_path / "k.zip", files)
    )
    X, y, names, skipped = build_dataset(source, size=32, progress=False, workers=1)
    assert len(names) == n_good and np.bincount(y).tolist() == [4, 3]
    assert "PetImages/Cat/3.jpg" in names and "PetImages/Cat/1.jpg" in names  # GIF and Exif kept
    reasons = dict(skipped.items)
    assert set(reasons) == set(files) - set(names)
    assert reasons["PetImages/Cat/666.jpg"].startswith("empty file")
    assert all(reason for reason in reasons.values())
    summary = skipped.summary()
    assert summary.startswith(f"skipped {len(files) - n_good}: ") and " x " in summary


def test_cli_summary_counts_the_skips_per_reason(petimages_files, tmp_path, capsys):
    files, n_good = petimages_files
    source = write_zip(tmp_path / "kagglecatsanddogs_5340.zip", files)
    out = tmp_path / "pets.csv"
    assert main(["preprocess", str(source), "-o", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert f"{n_good} rows (4 cat, 3 dog)" in printed and f"skipped {len(files) - n_good}:" in printed
