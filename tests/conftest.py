"""Fixtures generated per test session in a temp dir: tiny photos of both classes, and broken ones."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from dogcat_lib.data.sample import draw_animal, encode_jpeg

SAMPLE_ZIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dogs-vs-cats-sample.zip"


def jpeg(label: int, seed: int, size: tuple[int, int] | None = None) -> bytes:
    """A synthetic cat (0) or dog (1) photo as JPEG bytes."""
    return encode_jpeg(draw_animal(label, np.random.default_rng(seed), size))


def pil_bytes(label: int, seed: int, fmt: str, mode: str = "RGB") -> bytes:
    """The same kind of photo saved by Pillow in another format or color mode (CMYK, L, ...)."""
    bgr = draw_animal(label, np.random.default_rng(seed))
    image = Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def exif_jpeg(orientation: int) -> bytes:
    """A 60 x 40 (wide) JPEG with a bright left third, stored unrotated with EXIF Orientation set."""
    image = np.full((40, 60, 3), 30, np.uint8)
    image[:, :20] = 230
    image[:8, 20:] = (200, 40, 40)  # a red band along the top: up and down differ too
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


@pytest.fixture(scope="session")
def good_photos() -> dict[str, bytes]:
    """Eight good photos, Kaggle-named, in several formats (all decodable, all labelled)."""
    return {
        "cat.0.jpg": jpeg(0, 0),
        "dog.0.jpg": jpeg(1, 1),
        "cat.1.png": pil_bytes(0, 2, "PNG"),
        "dog.1.bmp": pil_bytes(1, 3, "BMP"),
        "cat.2.webp": pil_bytes(0, 4, "WEBP"),
        "dog.2.jpg": pil_bytes(1, 5, "JPEG", mode="CMYK"),
        "cat.3.jpeg": pil_bytes(0, 6, "JPEG", mode="L"),
        "DOG.3.JPG": jpeg(1, 7),
    }


@pytest.fixture(scope="session")
def bad_photos() -> dict[str, tuple[bytes, str]]:
    """Broken files with a photo's name, and the reason each must be skipped for."""
    rng = np.random.default_rng(9)
    return {
        "cat.10.jpg": (b"", "empty file"),
        "dog.10.jpg": (truncated(jpeg(1, 10)), "truncated JPEG"),
        "cat.11.jpg": (rng.integers(0, 256, 5000, dtype=np.uint8).tobytes(), "not an image"),
        "dog.11.jpg": (b"this is not a photo\n" * 20, "a text file"),
        "cat.12.png": (truncated(pil_bytes(0, 12, "PNG")), "corrupt"),
    }


@pytest.fixture(scope="session")
def photo_folder(tmp_path_factory, good_photos, bad_photos) -> Path:
    """train/ with good and bad photos, a stray text file, and a nested folder with odd names."""
    root = tmp_path_factory.mktemp("photos") / "train"
    root.mkdir()
    for name, data in good_photos.items():
        (root / name).write_bytes(data)
    for name, (data, _) in bad_photos.items():
        (root / name).write_bytes(data)
    (root / "notes.txt").write_text("photos from my phone\n")
    (root / "dogs-vs-cats.csv").write_text("label,0,1\n0,1,2\n")  # last run's output, left in the source
    nested = root / "more photos" / "고양이 사진"
    nested.mkdir(parents=True)
    (nested / "cat.100 copy.jpg").write_bytes(jpeg(0, 100))
    (nested / "dog.101.jpg").write_bytes(jpeg(1, 101))
    return root


@pytest.fixture(scope="session")
def photo_zip(tmp_path_factory, photo_folder) -> Path:
    """The same files as photo_folder, zipped under train/ as Kaggle does."""
    path = tmp_path_factory.mktemp("zips") / "train.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for file in sorted(photo_folder.rglob("*")):
            if file.is_file():
                zf.write(file, "train/" + file.relative_to(photo_folder).as_posix())
    return path


@pytest.fixture(scope="session")
def huge_jpeg() -> bytes:
    """A 10,000 x 10,000 px JPEG (a decompression bomb: 300 MB as RGB, small on disk)."""
    image = Image.new("L", (10_000, 10_000), 128)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=50)
    return buffer.getvalue()


def header_bomb(fmt: str, side: int = 50_000) -> bytes:
    """A 16 x 16 JPEG or PNG of a few hundred bytes whose header claims ``side`` x ``side`` pixels."""
    data = bytearray(cv2.imencode(f".{fmt}", np.zeros((16, 16, 3), np.uint8))[1].tobytes())
    if fmt == "jpg":
        at = data.find(b"\xff\xc0") + 5  # baseline frame header: precision, height, width
        data[at : at + 4] = struct.pack(">HH", side, side)
    else:
        at = data.find(b"IHDR")
        data[at + 4 : at + 12] = struct.pack(">II", side, side)
        data[at + 17 : at + 21] = struct.pack(">I", zlib.crc32(bytes(data[at : at + 17])))
    return bytes(data)


def trainable_params(model) -> int:
    """The trainable parameters of a Keras model (what ``model.summary()`` reports as trainable)."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def sample_zip_or_skip() -> Path:
    """The real 4,000-photo sample, or a skip that says where it is expected."""
    path = Path(os.environ["DOGCAT_SAMPLE_ZIP"]) if os.environ.get("DOGCAT_SAMPLE_ZIP") else SAMPLE_ZIP
    if not path.is_file():
        pytest.skip(f"real sample not found at {path} (set DOGCAT_SAMPLE_ZIP to use it)")
    return path


@pytest.fixture(scope="session")
def sample_folder(tmp_path_factory) -> Path:
    """A generated Kaggle-like sample: train/ (40 cats, 40 dogs) and test1/ (6 unlabelled photos)."""
    from dogcat_lib import make_sample

    return make_sample(tmp_path_factory.mktemp("sample") / "dogs-vs-cats", n_per_class=40, unlabelled=6)


@pytest.fixture(scope="session")
def tiny_csv(tmp_path_factory, sample_folder) -> Path:
    """The course's CSV at 32x32 gray from the generated sample's train/ (80 rows, small and fast)."""
    from dogcat_lib import preprocess_to_csv

    out = tmp_path_factory.mktemp("csv") / "tiny.csv"
    preprocess_to_csv(sample_folder / "train", out, size=32, progress=False, workers=1)
    return out


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tiny_csv):
    """One short ``train_from_csv`` run (2 epochs) shared by the tests that need a trained model."""
    pytest.importorskip("tensorflow")
    from dogcat_lib import train_from_csv

    out = tmp_path_factory.mktemp("runs") / "tiny"
    return train_from_csv(tiny_csv, out, epochs=2, batch_size=16, verbose=0)
