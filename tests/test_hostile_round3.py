"""Issue 20, "nothing lost, round three": a run folder is the user's, small hostile files cause no hang
and no runaway memory, a damaged run is refused in one line, no silent nonsense, and messages that
point at the right thing. Every hostile input is generated here, small; memory is measured in a
subprocess (peak RSS) where a bound is the point."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import jpeg
from PIL import Image

from dogcat_lib import DatasetError, DogcatError, ImageError, read_csv, read_exclusions
from dogcat_lib.__main__ import main
from dogcat_lib.data import download
from dogcat_lib.data.download import download_file
from dogcat_lib.data.images import check_image_bytes
from dogcat_lib.plumbing.atomic import atomic_write_bytes

ROOT = Path(__file__).resolve().parents[1]


def one_error_line(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"dogcat {command}: error: "), repr(err)
    return err


def peak_mb(code: str, timeout: float = 60) -> tuple[float, str]:
    """Run ``code`` in a fresh Python; (its peak resident memory in MB, what it printed). Linux only."""
    if not Path("/proc/self/status").is_file():
        pytest.skip("measures memory with Linux's /proc/self/status")
    # VmHWM, not ru_maxrss: that one keeps the forking parent's size across the exec
    probe = code + "\nprint('PEAK', open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=timeout, env=env
    )
    assert "PEAK" in run.stdout, run.stdout + run.stderr
    return int(run.stdout.rsplit("PEAK", 1)[1]) / 1024, run.stdout


# --------------------------------------------------------------------- 1. a run folder is the user's

keras = pytest.importorskip("keras")


class Interrupt(keras.callbacks.Callback):
    """Ctrl-C at the end of epoch ``after`` (0-based), after the run's files of that epoch are saved."""

    def __init__(self, after: int):
        super().__init__()
        self.after = after

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.after:
            raise KeyboardInterrupt


@pytest.fixture
def with_callback(monkeypatch):
    """Adds ``make()`` (a new callback per run) after the run's own callbacks."""
    from dogcat_lib.learn import training

    def add(make):
        real = training.training_callbacks
        monkeypatch.setattr(training, "training_callbacks", lambda *a, **k: [*real(*a, **k), make()])

    return add


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_overwrite_keeps_the_old_model_until_the_new_run_is_complete(
    trained_run, tiny_csv, tmp_path, with_callback
):
    from dogcat_lib import train_from_csv

    out = tmp_path / "run"
    shutil.copytree(trained_run.out_dir, out)
    old = {k: v for k, v in snapshot(out).items() if k != "history.csv"}  # history.csv: the new run's log
    with_callback(lambda: Interrupt(after=0))
    with pytest.raises(KeyboardInterrupt):
        train_from_csv(tiny_csv, out, epochs=3, batch_size=16, verbose=0, overwrite=True)
    now = snapshot(out)
    assert {k: now.get(k) for k in old} == old  # model.keras, metrics.json: untouched


def test_a_folder_holding_the_users_history_and_metrics_is_refused(tiny_csv, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "history.csv").write_text("epoch,loss\n0,0.5\n")
    (out / "metrics.json").write_text('{"accuracy": 0.9}')
    before = snapshot(out)
    assert main(["train", str(tiny_csv), "-o", str(out), "--epochs", "1", "--batch-size", "16", "-q"]) == 1
    err = one_error_line(capsys, "train")
    assert "history.csv" in err and "--overwrite" in err
    assert snapshot(out) == before


def test_a_second_train_on_the_same_folder_is_refused_in_one_line(tiny_csv, tmp_path, capsys, with_callback):
    from dogcat_lib import train_from_csv

    started, go_on, made = threading.Event(), threading.Event(), []

    class Gate(keras.callbacks.Callback):  # the first run waits inside its first epoch
        def on_epoch_begin(self, epoch, logs=None):
            if self is made[0]:
                started.set()
                go_on.wait(30)

    def gate():
        made.append(Gate())
        return made[-1]

    with_callback(gate)
    out = tmp_path / "run"
    first = threading.Thread(
        target=train_from_csv, args=(tiny_csv, out), kwargs={"epochs": 1, "batch_size": 16, "verbose": 0}
    )
    first.start()
    try:
        assert started.wait(60)
        code = main(["train", str(tiny_csv), "-o", str(out), "--epochs", "1", "--batch-size", "16", "-q"])
    finally:
        go_on.set()
        first.join(60)
    assert code == 1
    assert "in use by another" in one_error_line(capsys, "train")
    assert (out / "model.keras").is_file()  # the first run ended normally


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")
def test_a_train_in_another_process_is_refused_and_a_killed_one_leaves_no_lock(tiny_csv, tmp_path, capsys):
    from dogcat_lib.learn import training

    out = tmp_path / "run"
    ready, told = os.pipe()
    pid = os.fork()
    if pid == 0:  # the other `dogcat train`: holds the run's lock until it is killed (kill -9)
        try:
            with training._run_lock(out):
                os.write(told, b"1")
                time.sleep(60)
        finally:
            os._exit(0)
    try:
        assert os.read(ready, 1) == b"1"
        assert main(["train", str(tiny_csv), "-o", str(out), "-q"]) == 1
        assert "in use by another `dogcat train`" in one_error_line(capsys, "train")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    with training._run_lock(out):  # nothing stuck after the kill
        pass


def test_sample_never_replaces_an_existing_zip(tmp_path, capsys):
    target = tmp_path / "train.zip"
    target.write_bytes(b"my own zip")
    assert main(["sample", "-o", str(target), "-n", "1"]) == 1
    assert "already exists" in one_error_line(capsys, "sample")
    assert target.read_bytes() == b"my own zip"


# ------------------------------------------------------------------------------- download, hostile


class Hostile:
    """A tiny HTTP server on 127.0.0.1: ``routes[path] = (headers, body chunks, then silent?)``."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        routes, stop = {}, threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                headers, chunks, silent = routes[self.path]
                self.send_response(200)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    for chunk in chunks():
                        if stop.is_set():
                            return
                        self.wfile.write(chunk)
                    self.wfile.flush()
                    if silent:
                        stop.wait(60)
                except OSError:
                    return

        self.routes, self.stop = routes, stop
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hostile():
    server = Hostile()
    yield server
    server.close()


def kaggle_bundle(photos: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("train.zip", photos)
        zf.writestr("test1.zip", photos)
    return buffer.getvalue()


def test_a_download_is_named_after_what_it_is_never_after_the_url(hostile, photo_zip, tmp_path, capsys):
    out = tmp_path / "data"
    out.mkdir()
    (out / "dogs-vs-cats.csv").write_text("label,0\n1,5\n")  # the user's CSV, named like the URL
    bundle = kaggle_bundle(photo_zip.read_bytes())
    hostile.routes["/files/dogs-vs-cats.csv"] = (
        {"Content-Length": str(len(bundle))},
        lambda: [bundle],
        False,
    )
    assert main(["download", "--url", hostile.url + "/files/dogs-vs-cats.csv", "-o", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert (out / "dogs-vs-cats.csv").read_text() == "label,0\n1,5\n"
    assert (out / "dogs-vs-cats.zip").read_bytes() == bundle
    assert (out / "train.zip").read_bytes() == photo_zip.read_bytes()
    assert f"dogcat preprocess {out / 'train.zip'} -o {out / 'dogs-vs-cats.csv'}" in printed

    photos = tmp_path / "mirror"  # a mirror of train.zip itself, served under any name, is train.zip
    hostile.routes["/get?id=7"] = ({}, lambda: [photo_zip.read_bytes()], False)
    assert main(["download", "--url", hostile.url + "/get?id=7", "-o", str(photos), "-q"]) == 0
    assert sorted(p.name for p in photos.iterdir()) == ["train.zip"]


def test_a_download_never_replaces_a_file_that_is_not_it(hostile, photo_zip, tmp_path, capsys):
    out = tmp_path / "data"
    out.mkdir()
    (out / "dogs-vs-cats.zip").write_bytes(b"the user's own file")
    bundle = kaggle_bundle(photo_zip.read_bytes())
    hostile.routes["/d.zip"] = ({}, lambda: [bundle], False)
    assert main(["download", "--url", hostile.url + "/d.zip", "-o", str(out), "-q"]) == 1
    assert "dogs-vs-cats.zip" in one_error_line(capsys, "download")
    assert (out / "dogs-vs-cats.zip").read_bytes() == b"the user's own file"
    assert sorted(p.name for p in out.iterdir()) == ["dogs-vs-cats.zip"]
    other = tmp_path / "other"  # the user's test1.zip: refused, and the download is kept for the rerun
    other.mkdir()
    (other / "test1.zip").write_bytes(b"mine")
    assert main(["download", "--url", hostile.url + "/d.zip", "-o", str(other), "-q"]) == 1
    assert "test1.zip" in one_error_line(capsys, "download")
    assert (other / "test1.zip").read_bytes() == b"mine" and (
        other / "dogs-vs-cats.zip"
    ).read_bytes() == bundle


def test_an_endless_body_stops_at_the_size_cap_and_keeps_nothing(hostile, tmp_path, capsys):
    def endless():
        while True:
            yield b"\0" * 65536

    hostile.routes["/endless.zip"] = ({}, endless, False)
    out = tmp_path / "data"
    args = ["download", "--url", hostile.url + "/endless.zip", "-o", str(out)]
    assert main([*args, "-q", "--max-bytes", "2000000"]) == 1
    err = one_error_line(capsys, "download")
    assert "2,000,000" in err and "--max-bytes" in err and "resume" not in err
    assert list(out.iterdir()) == []
    hostile.routes["/huge.zip"] = ({"Content-Length": str(10**10)}, lambda: [b"PK"], True)
    start = time.monotonic()
    with pytest.raises(DogcatError, match="10,000,000,000 bytes"):  # refused from the header
        download.download_dataset(out, url=hostile.url + "/huge.zip", progress=False)
    assert time.monotonic() - start < 5


def test_a_silent_server_is_given_up_on_within_20_seconds(hostile, tmp_path, monkeypatch):
    assert download.STALL_SECONDS * 2 <= 20  # a trickle is judged over a window; silence after one
    monkeypatch.setattr(download, "STALL_SECONDS", 1.0)
    hostile.routes["/silent.zip"] = ({"Content-Length": "5000000"}, lambda: [b"PK\x03\x04"], True)
    start = time.monotonic()
    with pytest.raises(DogcatError, match="silent.zip"):
        download_file(hostile.url + "/silent.zip", tmp_path / "x.zip", progress=False)
    assert time.monotonic() - start < 5
    listener = socket.create_server(("127.0.0.1", 0))  # accepts the connection, never answers
    try:
        start = time.monotonic()
        with pytest.raises(DogcatError, match="cannot download"):
            download_file(
                f"http://127.0.0.1:{listener.getsockname()[1]}/x.zip", tmp_path / "y.zip", progress=False
            )
        assert time.monotonic() - start < 5
    finally:
        listener.close()


def test_a_full_disk_during_a_download_keeps_nothing(hostile, tmp_path, monkeypatch):
    hostile.routes["/big.zip"] = (
        {"Content-Length": str(4 << 20)},
        lambda: [b"PK\x03\x04" + b"\0" * (4 << 20)],
        False,
    )
    real_open = open

    class Full:
        def __init__(self, raw):
            self.raw, self.written = raw, 0

        def write(self, data):
            self.written += len(data)
            if self.written > 1 << 20:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.raw.write(data)

        def __getattr__(self, name):
            return getattr(self.raw, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.raw.close()

    def full_open(path, mode="r", *args, **kwargs):
        raw = real_open(path, mode, *args, **kwargs)
        return Full(raw) if "w" in mode or "a" in mode else raw

    monkeypatch.setattr(download, "open", full_open, raising=False)
    with pytest.raises(DogcatError) as raised:
        download_file(hostile.url + "/big.zip", tmp_path / "big.zip", progress=False)
    assert "No space left" in str(raised.value) and "resume" not in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_a_bundle_whose_train_zip_has_a_bad_crc_is_one_line(hostile, photo_zip, tmp_path, capsys):
    bundle = bytearray(kaggle_bundle(photo_zip.read_bytes()))
    at = bundle.find(b"PK\x03\x04", 4 + bundle.find(b"train.zip")) + 2000  # inside train.zip's data
    bundle[at] ^= 0xFF
    hostile.routes["/dogs-vs-cats.zip"] = ({}, lambda: [bytes(bundle)], False)
    out = tmp_path / "data"
    assert main(["download", "--url", hostile.url + "/dogs-vs-cats.zip", "-o", str(out), "-q"]) == 1
    assert "train.zip" in one_error_line(capsys, "download")
    assert main(["download", "--url", hostile.url + "/dogs-vs-cats.zip", "-o", str(out), "-q"]) == 1
    one_error_line(capsys, "download")  # again one line: no traceback on the rerun either


# --------------------------------------------------------------------- 2. bounded by design


def zstd_frame(raw: bytes, rle_byte: bytes, rle_blocks: int) -> bytes:
    """A zstd frame by hand (RFC 8878): one raw block, then ``rle_blocks`` RLE blocks of 128 KB
    each (4 bytes of file per 128 KB of text: a bomb), no content size, no checksum."""
    frame = struct.pack("<I", 0xFD2FB528) + bytes([0x00, 0x38])  # descriptor; window 128 KB
    frame += (len(raw) << 3 | 0 << 1 | 0).to_bytes(3, "little") + raw
    for i in range(rle_blocks):
        frame += (131072 << 3 | 1 << 1 | (i == rle_blocks - 1)).to_bytes(3, "little") + rle_byte
    return frame


@pytest.mark.parametrize(
    ("header", "fill", "message"),
    [
        (b"", b"\0", "no header line"),
        (b"label," + b",".join(b"%d" % i for i in range(1024)) + b"\n", b"7", "line end"),
    ],
)
def test_a_zstd_bomb_is_refused_in_bounded_memory(tmp_path, header, fill, message):
    bomb = tmp_path / "bomb.csv.zst"
    bomb.write_bytes(zstd_frame(header, fill, 16_384))  # 65 KB of file, 2 GB of text
    assert bomb.stat().st_size < 80_000
    code = f"""
from dogcat_lib.data.csvio import read_csv
from dogcat_lib import DatasetError
try:
    read_csv({str(bomb)!r})
except DatasetError as exc:
    print('REFUSED', exc)
"""
    peak, printed = peak_mb(code, timeout=30)
    assert "REFUSED" in printed and message in printed
    assert peak < 250, f"{peak:.0f} MB"


def test_csv_buffers_are_never_sized_from_a_claim(tmp_path, capsys):
    text = b"label,0,1,2,3\n" + b"1,0,0,0,0\n0,9,9,9,9\n" * 5
    sparse = tmp_path / "sparse.csv"  # a header, a row, then 1 TiB of nothing (a sparse file)
    with open(sparse, "wb") as f:
        f.write(text[:24])
        f.truncate(1 << 40)
    with pytest.raises(DatasetError, match="data row 2"):
        read_csv(sparse)
    assert main(["train", str(sparse), "-o", str(tmp_path / "run"), "-q"]) == 1
    assert "data row 2" in one_error_line(capsys, "train")


def hostile_jpeg(width: int, height: int) -> bytes:
    """A few hundred bytes: an 8x8 JPEG whose header claims ``width`` x ``height``."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buffer, "JPEG", quality=50)
    data = bytearray(buffer.getvalue())
    i = 2
    while data[i + 1] != 0xC0:  # to the frame header (SOF0): precision, height, width
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    data[i + 5 : i + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def test_a_jpeg_claiming_50000_by_50000_is_refused_from_its_header(tmp_path):
    bomb = hostile_jpeg(50_000, 50_000)
    assert len(bomb) < 400
    with pytest.raises(ImageError, match="too large"):
        check_image_bytes(bomb)
    (tmp_path / "bomb.jpg").write_bytes(bomb)
    (tmp_path / "big.jpg").write_bytes(hostile_jpeg(15_000, 15_000))  # allowed, decoded reduced
    code = f"""
from dogcat_lib.data.images import load_pixels
for name in ('bomb.jpg', 'big.jpg'):
    try:
        load_pixels({str(tmp_path)!r} + '/' + name)
    except ValueError as exc:
        print(name, exc)
"""
    peak, printed = peak_mb(code)
    assert "bomb.jpg image too large" in printed and "big.jpg corrupt JPEG" in printed
    assert peak < 150, f"{peak:.0f} MB"  # 50000 x 50000 gray decoded whole: 2,400 MB


def test_a_keras_file_claiming_huge_weights_is_refused_before_loading(tmp_path, monkeypatch):
    import h5py

    from dogcat_lib.learn import modelfile

    model = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")]
    )
    small = tmp_path / "small.keras"
    model.save(small)
    with zipfile.ZipFile(small) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    weights = io.BytesIO()
    with h5py.File(io.BytesIO(members["model.weights.h5"]), "r") as src, h5py.File(weights, "w") as dst:
        for name in src:
            src.copy(name, dst)
        del dst["layers/dense/vars/0"]  # claims 1.5 GB, stored as a few KB of unwritten chunks
        dst.create_dataset("layers/dense/vars/0", shape=(64, 6_000_000), dtype="float32", chunks=(1, 1 << 20))
    members["model.weights.h5"] = weights.getvalue()
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    assert bomb.stat().st_size < 100_000
    claim = tmp_path / "claim.keras"  # a member whose directory entry claims 1 TiB
    with zipfile.ZipFile(claim, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.filelist[-1].file_size = 1 << 40

    def never(*args, **kwargs):
        raise AssertionError("Keras was asked to load it")

    monkeypatch.setattr(modelfile.keras.saving, "load_model", never)
    for path in (bomb, claim):
        with pytest.raises(DogcatError, match=r"claims [\d,]+ MB of weights") as raised:
            modelfile.load_model(path)
        assert "\n" not in str(raised.value)


def test_an_exclusions_file_is_read_line_by_line_with_a_cap(tmp_path, capsys):
    wide = tmp_path / "wide.csv"
    wide.write_text("name,reason\n" + "x" * 200_000 + ",wrong label\n")
    with pytest.raises(DatasetError, match="line 2"):
        read_exclusions(wide)
    sample = tmp_path / "s.zip"
    assert main(["sample", "-o", str(sample), "-n", "1"]) == 0
    capsys.readouterr()
    assert main(["preprocess", str(sample), "-o", str(tmp_path / "o.csv"), "-q", "--exclude", str(wide)]) == 1
    one_error_line(capsys, "preprocess")
    sparse = tmp_path / "sparse.csv"
    with open(sparse, "wb") as f:
        f.write(b"name,reason\n")
        f.truncate(512 << 20)
    code = f"""
from dogcat_lib import read_exclusions, DatasetError
try:
    read_exclusions({str(sparse)!r})
except DatasetError as exc:
    print('REFUSED', exc)
"""
    peak, printed = peak_mb(code)
    assert "REFUSED" in printed and "line 2" in printed
    assert peak < 200, f"{peak:.0f} MB"


# --------------------------------------------------------------------- 3. a damaged run


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory, tiny_csv):
    """A run stopped after 2 of 4 epochs: backup/, best.keras, history.csv, run.json."""
    from dogcat_lib import train_from_csv
    from dogcat_lib.learn import training

    out = tmp_path_factory.mktemp("interrupted") / "run"
    real = training.training_callbacks
    training.training_callbacks = lambda *a, **k: [*real(*a, **k), Interrupt(after=1)]
    try:
        with pytest.raises(KeyboardInterrupt):
            train_from_csv(tiny_csv, out, epochs=4, batch_size=16, verbose=0)
    finally:
        training.training_callbacks = real
    return out


def cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


DAMAGE = [
    ("backup/latest.weights.h5", cut),
    ("backup/training_metadata.json", lambda p: p.write_text("[]")),
    ("best.keras", cut),
    ("history.csv", lambda p: p.write_bytes(b"\0\0\0garbage\n1,2,3,4,5,6,7\n")),
    ("run.json", lambda p: p.write_text("[1, 2]")),
    ("run.json", lambda p: p.write_text('{"model": "reference"}')),
]


@pytest.mark.parametrize(("name", "damage"), DAMAGE)
def test_a_damaged_run_is_refused_in_one_line_naming_the_file(
    interrupted, tiny_csv, tmp_path, capsys, name, damage
):
    out = tmp_path / "run"
    shutil.copytree(interrupted, out)
    damage(out / name)
    args = ["train", str(tiny_csv), "-o", str(out), "--epochs", "4", "--batch-size", "16", "-q", "--resume"]
    assert main(args) == 1
    err = one_error_line(capsys, "train")
    assert name in err and "--overwrite" in err
    assert not (out / "model.keras").exists()


def test_resume_checks_it_is_the_same_csv_and_the_epochs(interrupted, tiny_csv, tmp_path, capsys):
    out = tmp_path / "run"
    shutil.copytree(interrupted, out)
    other = tmp_path / tiny_csv.name  # the CSV the run was started on, replaced since by another
    lines = tiny_csv.read_bytes().split(b"\n")
    lines[1], lines[2] = lines[2], lines[1]  # the same rows, the same size: another order
    other.write_bytes(b"\n".join(lines))
    settings = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**settings, "csv": str(other)}))
    common = ["-o", str(out), "--batch-size", "16", "-q", "--resume"]
    assert main(["train", str(other), *common, "--epochs", "4"]) == 1
    assert "csv" in one_error_line(capsys, "train")
    assert main(["train", str(tiny_csv), *common, "--epochs", "1"]) == 1
    err = one_error_line(capsys, "train")
    assert "--epochs 1" in err and "2 epochs" in err


# --------------------------------------------------------------------- 4. no silent nonsense


@pytest.fixture(scope="module")
def not_probabilities(tmp_path_factory):
    """Models of the right input whose output is not P(dog): no sigmoid, and a sigmoid fed NaN."""
    folder = tmp_path_factory.mktemp("models")
    linear = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    linear.save(folder / "linear.keras")
    nan = keras.Sequential(
        [keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")]
    )
    nan.layers[-1].set_weights([np.full((1024, 1), np.nan, np.float32), np.zeros(1, np.float32)])
    nan.save(folder / "nan.keras")
    return folder


@pytest.mark.parametrize("name", ["linear", "nan"])
def test_a_model_whose_output_is_not_a_probability_is_refused(
    not_probabilities, tiny_csv, tmp_path, capsys, name
):
    model = str(not_probabilities / f"{name}.keras")
    photo = tmp_path / "cat.jpg"
    photo.write_bytes(jpeg(0, 1))
    for command in (
        ["predict", model, str(photo)],
        ["evaluate", model, str(tiny_csv)],
        ["explain", model, str(photo), "-o", str(tmp_path / "out")],
    ):
        assert main(command) == 1
        assert "probability" in one_error_line(capsys, command[0])
    assert not (tmp_path / "out").exists()


def test_zero_epochs_are_refused_before_anything_is_written(tiny_csv, tmp_path):
    from dogcat_lib import train_from_csv

    with pytest.raises(DogcatError, match="epochs"):
        train_from_csv(tiny_csv, tmp_path / "run", epochs=0)
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------- 5. messages


def hangul(n_bytes: int, suffix: str) -> str:
    return "고" * ((n_bytes - len(suffix)) // 3) + suffix


def test_long_hangul_names_are_never_made_illegal_by_our_temp_names(trained_run, tmp_path, capsys):
    out = tmp_path / (hangul(250, ".csv"))
    assert len(os.fsencode(out.name)) <= 255
    atomic_write_bytes(out, b"label\n")  # the temp name must stay legal too
    assert out.read_bytes() == b"label\n"
    photos = [tmp_path / "cat.1.jpg", tmp_path / hangul(236, ".jpg"), tmp_path / hangul(254, ".jpg")]
    for i, photo in enumerate(photos):
        photo.write_bytes(jpeg(i % 2, i))
    overlays = tmp_path / "overlays"
    assert (
        main(["explain", str(trained_run.out_dir / "model.keras"), *map(str, photos), "-o", str(overlays)])
        == 0
    )
    written = sorted(overlays.iterdir())
    assert len(written) == 3 and all(len(os.fsencode(p.name)) <= 255 for p in written)


def test_a_trailing_comma_is_not_called_an_index_column(tmp_path):
    csv = tmp_path / "x.csv"
    csv.write_text("label,0,1,2,\n1,5,5,5,\n")
    with pytest.raises(DatasetError) as raised:
        read_csv(csv)
    assert "index column" not in str(raised.value) and "comma" in str(raised.value)


def test_a_million_columns_do_not_send_train_to_an_option_it_lacks(tmp_path, capsys):
    csv = tmp_path / "wide.csv"
    n = 1_000_000
    row = ",".join(["0"] * n)
    csv.write_text("label," + ",".join(map(str, range(n))) + "\n" + f"0,{row}\n1,{row}\n")
    assert main(["train", str(csv), "-o", str(tmp_path / "run"), "-q"]) == 1
    err = one_error_line(capsys, "train")
    assert "--size" not in err and "1000x1000" in err and str(csv) in err


def test_evaluate_says_whether_the_model_or_the_csv_is_at_fault(tiny_csv, trained_run, tmp_path, capsys):
    flat = keras.Sequential([keras.Input((1024,)), keras.layers.Dense(1, activation="sigmoid")])
    flat.save(tmp_path / "flat.keras")
    assert main(["evaluate", str(tmp_path / "flat.keras"), str(tiny_csv)]) == 1
    err = one_error_line(capsys, "evaluate")
    assert "model" in err and "(1024,)" in err
    odd = tmp_path / "odd.csv"
    odd.write_text("label,0,1,2,3,4\n0,1,2,3,4,5\n1,1,2,3,4,5\n")
    assert main(["evaluate", str(trained_run.out_dir / "model.keras"), str(odd)]) == 1
    err = one_error_line(capsys, "evaluate")
    assert f"{odd} holds 5 values" in err and "32x32 gray" in err
