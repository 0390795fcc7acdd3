"""Hostile or unlucky sources: every bad entry is skipped with its reason, nothing hangs or explodes.

Issue 14, items 3 (a zip member lying about its size), 4 (a symlink loop in the folder scan),
5 (FIFOs and devices as sources), 11 (corrupt JPEG data, progressive scan bombs), and the skip
reasons of item 10 (they never embed a file name, so they group).
"""

from __future__ import annotations

import io
import os
import stat
import struct
import subprocess
import sys
import threading
import tracemalloc
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import jpeg
from PIL import Image

from dogcat_lib import DatasetError, ImageError, build_dataset, load_pixels
from dogcat_lib.__main__ import main
from dogcat_lib.data.images import read_file_bytes
from dogcat_lib.data.sources import SkipReport, open_source

ROOT = Path(__file__).resolve().parents[1]


def reasons(skipped) -> dict[str, str]:
    return dict(skipped.items)


def finishes(fn, seconds: float = 10.0, unblock=None):
    """Run ``fn`` in a thread; True if it returned within ``seconds``.

    ``unblock`` is called when it did not, so a blocked thread (on a FIFO) ends and the test
    fails instead of hanging forever.
    """
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        if unblock is not None:
            unblock()
        thread.join(10)
        return False, box
    return True, box


def feed_fifo(fifo: Path):
    """Open ``fifo`` for writing and close it: a reader blocked in open() gets EOF."""
    return lambda: os.close(os.open(fifo, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0)))


# ----------------------------------------------- item 3: a zip member that lies about its size


def lying_zip(path: Path, real_size: int, claimed: int) -> Path:
    """A zip whose member cat.1.jpg says ``claimed`` bytes but inflates to ``real_size``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("train/dog.1.jpg", jpeg(1, 1))
        zf.writestr("train/cat.1.jpg", bytes(real_size))
    data = bytearray(path.read_bytes())
    name = b"train/cat.1.jpg"
    local = data.find(b"PK\x03\x04")
    while local != -1:
        if data[local + 30 : local + 30 + len(name)] == name:
            struct.pack_into("<I", data, local + 22, claimed)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        if data[central + 46 : central + 46 + len(name)] == name:
            struct.pack_into("<I", data, central + 24, claimed)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    return path


def test_a_zip_member_that_inflates_past_its_header_size_is_read_with_bounded_memory(tmp_path):
    real = 64 << 20
    path = lying_zip(tmp_path / "bomb.zip", real_size=real, claimed=20_000)
    assert path.stat().st_size < 1 << 20
    src = open_source(path)
    try:
        src.scan(SkipReport())
        tracemalloc.start()
        with pytest.raises(ImageError) as info:
            src.read("train/cat.1.jpg")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        src.close()
    assert peak < real // 8, f"peak {peak:,} bytes for a member that claims 20,000"
    assert "cat.1.jpg" not in str(info.value)
    X, y, names, skipped = build_dataset(path, progress=False)
    assert names == ["train/dog.1.jpg"] and "train/cat.1.jpg" in reasons(skipped)


# ----------------------------------------------------------- item 4: a symlink pointing at itself


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_a_symlink_loop_is_skipped_not_fatal(tmp_path, capsys):
    root = tmp_path / "train"
    root.mkdir()
    (root / "cat.1.jpg").write_bytes(jpeg(0, 1))
    (root / "dog.1.jpg").write_bytes(jpeg(1, 1))
    try:
        os.symlink("dog.7.jpg", root / "dog.7.jpg")  # ln -s dog.7.jpg dog.7.jpg
        os.symlink("loop-b", root / "loop-a")
        os.symlink("loop-a", root / "loop-b")
    except (OSError, NotImplementedError):
        pytest.skip("creating symlinks is not allowed here")
    X, y, names, skipped = build_dataset(root, progress=False)
    assert names == ["cat.1.jpg", "dog.1.jpg"]
    assert "symlink" in reasons(skipped)["dog.7.jpg"] and "symlink" in reasons(skipped)["loop-a"]
    assert main(["preprocess", str(root), "-o", str(tmp_path / "d.csv"), "-q"]) == 0


# ----------------------------------------------------------------- item 5: FIFOs and devices


@pytest.fixture
def fifo(tmp_path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "train.zip"
    os.mkfifo(path)
    return path


def test_preprocess_of_a_fifo_is_refused_at_once(fifo, tmp_path, capsys):
    done, box = finishes(
        lambda: main(["preprocess", str(fifo), "-o", str(tmp_path / "d.csv"), "-q"]), unblock=feed_fifo(fifo)
    )
    assert done, "preprocess blocked on a FIFO"
    assert box["value"] == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("dogcat preprocess: error: ") and "not a regular file" in err and "\n" not in err


def test_a_fifo_that_replaces_a_photo_after_the_scan_is_not_waited_on(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    root = tmp_path / "train"
    root.mkdir()
    (root / "cat.1.jpg").write_bytes(jpeg(0, 1))
    src = open_source(root)
    assert src.scan(SkipReport()) == ["cat.1.jpg"]
    (root / "cat.1.jpg").unlink()
    os.mkfifo(root / "cat.1.jpg")  # swapped between the scan and the read
    done, box = finishes(lambda: src.read("cat.1.jpg"), unblock=feed_fifo(root / "cat.1.jpg"))
    assert done, "reading a FIFO blocked"
    assert isinstance(box.get("error"), ImageError) and "not a regular file" in str(box["error"])


def test_predict_of_a_fifo_is_refused_at_once(fifo, trained_run):
    pytest.importorskip("tensorflow")
    from dogcat_lib import predict

    done, box = finishes(lambda: predict(trained_run.model, fifo, progress=False), unblock=feed_fifo(fifo))
    assert done, "predict blocked on a FIFO"
    assert isinstance(box.get("error"), DatasetError) and "not a regular file" in str(box["error"])


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this platform")
@pytest.mark.parametrize("how", ["preprocess", "load_pixels"])
def test_dev_zero_is_refused_not_read_until_memory_runs_out(tmp_path, how):
    resource = pytest.importorskip("resource")
    del resource
    action = (
        f"sys.exit(main(['preprocess', '/dev/zero', '-o', {str(tmp_path / 'd.csv')!r}, '-q']))"
        if how == "preprocess"
        else "load_pixels('/dev/zero')"
    )
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "from dogcat_lib.__main__ import main\n"
        "from dogcat_lib import load_pixels\n"
        f"{action}\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "MemoryError" not in run.stderr
    assert "not a regular file" in run.stderr.strip().splitlines()[-1]


def test_a_character_device_in_a_folder_is_skipped(tmp_path):
    if not hasattr(os, "mknod"):
        pytest.skip("no mknod on this platform")
    root = tmp_path / "train"
    root.mkdir()
    (root / "dog.1.jpg").write_bytes(jpeg(1, 1))
    try:
        os.mknod(root / "cat.1.jpg", stat.S_IFCHR | 0o666, os.makedev(1, 3))  # like /dev/null
    except OSError as exc:
        pytest.skip(f"cannot make a device node here ({exc.strerror})")
    X, y, names, skipped = build_dataset(root, progress=False)
    assert names == ["dog.1.jpg"] and "not a regular file" in reasons(skipped)["cat.1.jpg"]
    with pytest.raises(ImageError, match="not a regular file"):
        read_file_bytes(root / "cat.1.jpg")


# ------------------------------------------------ item 10: skip reasons that never embed a name


def flag_bits_patched(path: Path, name: bytes, flag: int) -> None:
    """Set general-purpose ``flag`` bits of member ``name`` in the local and central headers."""
    data = bytearray(path.read_bytes())
    for signature, name_at, flag_at in ((b"PK\x03\x04", 30, 6), (b"PK\x01\x02", 46, 8)):
        at = data.find(signature)
        while at != -1:
            if data[at + name_at : at + name_at + len(name)] == name:
                (bits,) = struct.unpack_from("<H", data, at + flag_at)
                struct.pack_into("<H", data, at + flag_at, bits | flag)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


def test_encrypted_and_bad_crc_members_group_under_one_reason_each(tmp_path):
    path = tmp_path / "train.zip"
    names = [f"train/cat.{i}.jpg" for i in range(6)] + ["train/dog.1.jpg"]
    with zipfile.ZipFile(path, "w") as zf:
        for name in names:
            zf.writestr(name, jpeg(int("dog" in name), len(name)))
    for name in names[:3]:
        flag_bits_patched(path, name.encode(), 0x1)  # "encrypted"
    data = bytearray(path.read_bytes())
    for name in names[3:6]:  # a flipped byte inside the stored photo: bad CRC-32
        at = data.find(name.encode()) + len(name) + 200
        data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    X, y, kept, skipped = build_dataset(path, progress=False)
    assert kept == ["train/dog.1.jpg"]
    assert len(skipped.counts()) == 2, skipped.summary()
    assert all("cat." not in reason for reason in skipped.counts())
    assert "encrypted" in skipped.summary() and "CRC" in skipped.summary()


# ------------------------------------------------------- item 11: corrupt JPEG data, scan bombs


def cut_scan_keep_end(data: bytes) -> bytes:
    """Half of the entropy-coded data cut out, the end-of-image marker kept: libjpeg warns and
    paints the rest gray; a check for a missing end marker does not see it."""
    start = data.find(b"\xff\xda")
    middle = start + (len(data) - start) // 2
    return data[:middle] + b"\xff\xd9"


def patched_height(data: bytes) -> bytes:
    """A header patched to say 64 rows more than the data holds: OpenCV paints them gray."""
    at = data.find(b"\xff\xc0")
    patched = bytearray(data)
    height = int.from_bytes(patched[at + 5 : at + 7], "big")
    patched[at + 5 : at + 7] = (height + 64).to_bytes(2, "big")
    return bytes(patched)


def stray_marker(data: bytes) -> bytes:
    """Bit-rot that turned two bytes of scan data into a restart marker where none is expected."""
    start = data.find(b"\xff\xda")
    at = start + (len(data) - start) // 3
    return data[:at] + b"\xff\xd3" + data[at + 2 :]


@pytest.mark.parametrize("damage", [cut_scan_keep_end, patched_height, stray_marker])
def test_corrupt_jpeg_data_is_skipped_not_kept_as_gray_rows(damage):
    photo = jpeg(1, 3, size=(240, 320))
    bad = damage(photo)
    assert cv2.imdecode(np.frombuffer(bad, np.uint8), cv2.IMREAD_GRAYSCALE) is not None  # OpenCV keeps it
    with pytest.raises(ImageError, match="corrupt JPEG data"):
        load_pixels(bad)
    load_pixels(photo)  # the undamaged photo is fine


def test_corrupt_jpegs_in_a_folder_are_skipped_with_one_reason(tmp_path):
    (tmp_path / "cat.1.jpg").write_bytes(jpeg(0, 1))
    (tmp_path / "dog.1.jpg").write_bytes(cut_scan_keep_end(jpeg(1, 1)))
    (tmp_path / "dog.2.jpg").write_bytes(stray_marker(jpeg(1, 2)))
    (tmp_path / "dog.3.jpg").write_bytes(jpeg(1, 3))
    X, y, names, skipped = build_dataset(tmp_path, progress=False)
    assert names == ["cat.1.jpg", "dog.3.jpg"]
    assert list(skipped.counts().values()) == [2] and "corrupt JPEG data" in skipped.summary()


def progressive_jpeg(size: tuple[int, int] = (64, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 120).save(buffer, format="JPEG", progressive=True, quality=90)
    return buffer.getvalue()


def scan_bomb(n_scans: int, size: tuple[int, int] = (64, 64)) -> bytes:
    """A progressive JPEG whose last scan is repeated: each repeat makes the decoder pass over
    every block again, for a few bytes of file."""
    data = progressive_jpeg(size)
    last = data.rfind(b"\xff\xda")
    scan = data[last:-2]
    first_scans = data.count(b"\xff\xda")
    return data[:-2] + scan * (n_scans - first_scans) + b"\xff\xd9"


def test_a_progressive_scan_bomb_is_refused_before_decoding():
    assert load_pixels(progressive_jpeg()).shape == (80, 80)  # an ordinary progressive JPEG
    bomb = scan_bomb(2000)
    assert len(bomb) < 64 * 1024
    with pytest.raises(ImageError, match="too many scans"):
        load_pixels(bomb)
