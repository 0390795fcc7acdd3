"""Outputs never destroy what the user owns: inputs, device nodes, links; leftovers and error names.

Issue 14, items 1 (an output that is an input), 2 (outputs that are not regular files) and 10
(temp files left by SIGTERM/SIGHUP or a killed run, write errors naming the hidden temp file).
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import jpeg

from dogcat_lib import DogcatError, write_csv
from dogcat_lib.__main__ import main
from dogcat_lib.plumbing.atomic import atomic_output, atomic_path, atomic_write_bytes

ROOT = Path(__file__).resolve().parents[1]


def one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"dogcat {command}: error: ") and "\n" not in err, err
    return err


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*.tmp*"))


@pytest.fixture
def small_source(tmp_path) -> Path:
    root = tmp_path / "train"
    root.mkdir()
    for i in range(3):
        (root / f"cat.{i}.jpg").write_bytes(jpeg(0, i))
        (root / f"dog.{i}.jpg").write_bytes(jpeg(1, 10 + i))
    return root


# ------------------------------------------------------------- item 1: an output is never an input


@pytest.fixture
def model_copy(trained_run, tmp_path) -> Path:
    """A private copy of the shared trained model: a failing test must not damage the fixture's."""
    copy = tmp_path / "model.keras"
    copy.write_bytes((trained_run.out_dir / "model.keras").read_bytes())
    return copy


@pytest.mark.parametrize("target", ["model", "source-zip", "source-folder", "inside-folder"])
def test_predict_output_never_overwrites_an_input(model_copy, sample_folder, tmp_path, capsys, target):
    pytest.importorskip("tensorflow")
    test1 = tmp_path / "test1"
    test1.mkdir()
    for photo in (sample_folder / "test1").iterdir():
        (test1 / photo.name).write_bytes(photo.read_bytes())
    test1_zip = tmp_path / "test1.zip"
    with zipfile.ZipFile(test1_zip, "w") as zf:
        for photo in sorted(test1.iterdir()):
            zf.write(photo, f"test1/{photo.name}")
    source = test1 if target in ("source-folder", "inside-folder") else test1_zip
    out = {
        "model": model_copy,
        "source-zip": test1_zip,
        "source-folder": test1,
        "inside-folder": test1 / "submission.csv",
    }[target]
    snapshot = {p: p.read_bytes() for p in [model_copy, test1_zip, *test1.iterdir()]}
    assert main(["predict", str(model_copy), str(source), "-o", str(out), "-q"]) == 1
    assert one_line_error(capsys, "predict").startswith(f"dogcat predict: error: -o {out} is ")
    assert {p: p.read_bytes() for p in snapshot} == snapshot
    assert sorted(test1.iterdir()) == sorted(p for p in snapshot if p.parent == test1)


def test_train_never_overwrites_its_csv(tiny_csv, tmp_path, capsys):
    pytest.importorskip("tensorflow")
    out = tmp_path / "run"
    out.mkdir()
    csv = out / "history.csv"  # the data CSV saved under a name train writes in its folder
    csv.write_bytes(tiny_csv.read_bytes())
    assert main(["train", str(csv), "-o", str(out), "--epochs", "1", "--batch-size", "16", "-q"]) == 1
    assert "history.csv" in one_line_error(capsys, "train")
    assert csv.read_bytes() == tiny_csv.read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["history.csv"]


def test_preprocess_output_never_overwrites_the_source(small_source, tmp_path, capsys):
    source_zip = tmp_path / "train.zip"
    with zipfile.ZipFile(source_zip, "w") as zf:
        for photo in sorted(small_source.iterdir()):
            zf.write(photo, photo.name)
    before = source_zip.read_bytes()
    link = tmp_path / "also-train.zip"
    try:
        link.symlink_to(source_zip)
    except (OSError, NotImplementedError):
        pytest.skip("creating symlinks is not allowed here")
    args = ["preprocess", str(source_zip), "-o", str(link), "-q"]
    assert main(args) == 1
    one_line_error(capsys, "preprocess")
    assert source_zip.read_bytes() == before


# ------------------------------------------------- item 2: outputs that are not regular files


def null_device(tmp_path) -> Path:
    """A character device like /dev/null made in tmp_path (needs root), or a skip."""
    if not hasattr(os, "mknod") or not hasattr(os, "makedev"):
        pytest.skip("no mknod on this platform")
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here ({exc.strerror})")
    return node


def test_a_device_node_output_is_refused_never_replaced(tmp_path, small_source, capsys):
    node = null_device(tmp_path)
    assert main(["preprocess", str(small_source), "-o", str(node), "-q"]) == 1
    assert "is a device: give a file name" in capsys.readouterr().err
    with pytest.raises(DogcatError, match="is a device"), atomic_path(node):  # Keras-style writers
        pass
    assert stat.S_ISCHR(os.stat(node).st_mode) and os.stat(node).st_rdev == os.makedev(1, 3)
    assert temp_files(tmp_path) == []


def test_a_fifo_output_is_refused_without_blocking(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    X, y = np.arange(8, dtype=np.uint8).reshape(2, 4), np.array([0, 1], np.uint8)
    with pytest.raises(DogcatError, match="is a pipe: give a file name"):
        write_csv(X, y, fifo, seed=None)  # refused before anything opens it (no reader: it would block)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and temp_files(tmp_path) == []


def test_a_symlink_output_writes_the_file_it_points_to(tmp_path):
    real = tmp_path / "drive" / "metrics.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "metrics.json"
    dangling = tmp_path / "new.json"
    try:
        link.symlink_to(real)
        dangling.symlink_to(tmp_path / "drive" / "new-target.json")
    except (OSError, NotImplementedError):
        pytest.skip("creating symlinks is not allowed here")
    atomic_write_bytes(link, b"new")
    atomic_write_bytes(dangling, b"created")
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert dangling.is_symlink() and (tmp_path / "drive" / "new-target.json").read_bytes() == b"created"
    assert temp_files(tmp_path) == []


def test_a_block_device_output_is_refused_never_written(tmp_path):
    if not hasattr(os, "mknod"):
        pytest.skip("no mknod on this platform")
    node = tmp_path / "disk"
    try:
        os.mknod(node, stat.S_IFBLK | 0o600, os.makedev(7, 0))  # a loop device's node; never opened
    except OSError as exc:
        pytest.skip(f"cannot make a device node here ({exc.strerror})")
    with pytest.raises(DogcatError, match="block device"):
        atomic_write_bytes(node, b"x")
    assert stat.S_ISBLK(os.stat(node).st_mode) and temp_files(tmp_path) == []


def test_a_folder_output_is_refused_naming_it(tmp_path):
    folder = tmp_path / "out.csv"
    folder.mkdir()
    with pytest.raises(DogcatError, match=r"out\.csv is a folder"):
        atomic_write_bytes(folder, b"x")
    assert folder.is_dir() and temp_files(tmp_path) == []


# ----------------------------------------- item 10: leftovers after signals, error names


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_leave_no_temp_file(tmp_path, small_source, signame):
    out = tmp_path / "out" / "d.csv"
    slow = (  # each decoded batch takes a second, so the signal arrives mid-write
        "import sys, time\n"
        "import dogcat_lib.data.dataset as d\n"
        "real = d._decode_batch\n"
        "def slow(*a, **k):\n"
        "    time.sleep(1.0)\n"
        "    return real(*a, **k)\n"
        "d._decode_batch = slow\n"
        "d._BATCH = 1\n"
        "from dogcat_lib.__main__ import main\n"
        f"sys.exit(main(['preprocess', {str(small_source)!r}, '-o', {str(out)!r}, '-q', '--workers', '1']))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", slow], stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 60
    while not temp_files(tmp_path):  # wait until the CSV is being written
        assert time.monotonic() < deadline and proc.poll() is None, "the temp file never appeared"
        time.sleep(0.05)
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert temp_files(tmp_path) == [] and not out.exists()
    assert "Traceback" not in err and signame in err


def test_stale_temp_files_of_ours_are_removed_on_the_next_run(tmp_path, small_source):
    out = tmp_path / "d.csv"
    stale = tmp_path / ".d.0123abcd.tmp.csv"
    fresh = tmp_path / ".d.89abcdef.tmp.csv"  # another run writing the same output right now
    other = tmp_path / ".d.notours.tmp.csv"
    for path in (stale, fresh, other):
        path.write_bytes(b"x" * 1000)
    old = time.time() - 24 * 3600  # left by a run killed yesterday
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    assert main(["preprocess", str(small_source), "-o", str(out), "-q"]) == 0
    assert not stale.exists() and fresh.exists() and other.exists() and out.is_file()


def test_a_full_disk_error_names_the_output_not_the_temp_file(tmp_path, capsys, monkeypatch):
    out = tmp_path / "sample.zip"

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    assert main(["sample", "-o", str(out), "-n", "2"]) == 1
    err = one_line_error(capsys, "sample")
    assert f"{out}: No space left on device" in err and ".tmp" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="no file size limit (ulimit -f) on this platform")
def test_ulimit_f_error_names_the_output(tmp_path):
    out = tmp_path / "sample.zip"
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
        "from dogcat_lib.__main__ import main\n"
        f"sys.exit(main(['sample', '-o', {str(out)!r}, '-n', '20']))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip() == f"dogcat sample: error: {out}: File too large"
    assert list(tmp_path.iterdir()) == []


def test_write_errors_from_a_rename_name_the_output(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", os.fspath(src), os.fspath(dst))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError) as info, atomic_output(tmp_path / "m.json") as out:
        out.write(b"{}")
    assert info.value.filename == str(tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_during_training_is_one_line_naming_the_run_and_leaves_no_model(
    tiny_csv, tmp_path, capsys, monkeypatch
):
    keras = pytest.importorskip("keras")
    from keras.src.saving import saving_api

    def full_disk(model, filepath, *args, **kwargs):
        with open(filepath, "wb") as f:  # the first bytes of a model reach the disk, then it is full
            f.write(b"PK\x03\x04" + bytes(1000))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(keras.saving, "save_model", full_disk)
    monkeypatch.setattr(saving_api, "save_model", full_disk)  # what Model.save calls
    out = tmp_path / "run"
    args = ["train", str(tiny_csv), "-o", str(out), "--epochs", "2", "--batch-size", "16", "-q"]
    assert main(args) == 1
    err = one_line_error(capsys, "train")
    assert err.endswith(f"{out}: No space left on device")
    assert not (out / "model.keras").exists() and temp_files(tmp_path) == []
