"""X, y <-> the course's ONE CSV: ``label,0,1,...,6399``, one row per photo (notebook 01, "The CSV").

The file is what the course's own code reads (``pd.read_csv``, ``df['label']``,
``df.drop('label', axis=1)``), so nothing changes for a student who keeps using pandas. This
module writes it ~10x faster than ``DataFrame.to_csv`` (a lookup table turns uint8 into text,
a chunk of rows at a time) and reads it straight into uint8 (no 1.3 GB int64 frame), parsing
blocks on all cores (:mod:`.csvparse`) and checking every value on the way. Plain, gzip (.gz),
zstd (.zst), and a zip holding one CSV (Windows' "Send to > Compressed folder") are read.
"""

from __future__ import annotations

import gzip
import os
import stat
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ..plumbing.atomic import atomic_output
from ..plumbing.errors import DatasetError
from ..plumbing.parallel import ordered_map
from . import csvparse

_ROWS_PER_CHUNK = 64  # ~1.5 MB of text per chunk at 6,401 columns: cache-sized, memory flat
_READ_BLOCK = 1024 * 1024  # 1 MB: ~10 MB of temporaries per parsing thread (2 MB: no faster, +35 MB peak)
_MAX_HEADER_BYTES = 16 * 1024 * 1024  # label + 512x512x3 pixel names fit in 16 MB
_GZIP_LEVEL = 1  # measured on the real sample: 8.5x faster than level 6 for a 23% larger file
_ZSTD_LEVEL = 3  # zstd's default; on the real sample smaller than gzip -1 and faster (bench_compression.py)
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_ZIP_MAGIC = b"PK\x03\x04"
COMPRESSED_SUFFIXES = {"gzip": ".gz", "zstd": ".zst"}


def compression_of(path: str | os.PathLike) -> str | None:
    """The compression a CSV name asks for: "gzip" (.gz), "zstd" (.zst) or None (plain)."""
    name = Path(path).name.lower()
    return next((kind for kind, suffix in COMPRESSED_SUFFIXES.items() if name.endswith(suffix)), None)


def with_compression(path: str | os.PathLike, kind: str) -> Path:
    """``path`` named for ``kind`` ("zstd" or "gzip"), as ``dogcat preprocess --compress`` names it:
    the suffix is added unless it is there already.

    Raises DatasetError when the name already asks for the other compression (``d.csv.gz`` as zstd).
    """
    path = Path(path)
    current = compression_of(path)
    if current is None:
        return path.with_name(path.name + COMPRESSED_SUFFIXES[kind])
    if current != kind:
        raise DatasetError(f"{path} is {current}, but --compress asks for {kind}")
    return path


def _zstandard():
    try:
        import zstandard
    except ImportError:  # a dependency of dogcat; missing only in a hand-made environment
        raise DatasetError("a .zst CSV needs the zstandard package: pip install zstandard") from None
    return zstandard


def _token_table(terminator: bytes) -> np.ndarray:
    """uint32 per byte value: its decimal digits then ``terminator``, padded with NUL bytes."""
    table = np.zeros((256, 4), dtype=np.uint8)
    for value in range(256):
        token = str(value).encode() + terminator
        table[value, : len(token)] = np.frombuffer(token, dtype=np.uint8)
    return table.view("<u4").reshape(256)


_WITH_COMMA = _token_table(b",")
_WITH_NEWLINE = _token_table(b"\n")


def header_line(n_pixels: int) -> bytes:
    """``label,0,1,...,n_pixels-1`` and a newline."""
    return ("label," + ",".join(map(str, range(n_pixels))) + "\n").encode("ascii")


def format_rows(rows: np.ndarray) -> bytes:
    """CSV text of a 2-D uint8 array, one line per row (``"0,255,17\\n"``), vectorised."""
    tokens = _WITH_COMMA[rows]
    tokens[:, -1] = _WITH_NEWLINE[rows[:, -1]]
    raw = tokens.view(np.uint8).reshape(-1)
    return raw[raw != 0].tobytes()


def _validate_arrays(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise DatasetError(f"X must be 2-D (rows, pixels), got shape {X.shape}: use X.reshape(len(X), -1)")
    if X.shape[0] == 0:
        raise DatasetError("X has no rows: there is nothing to write (did build_dataset skip everything?)")
    if y.shape != (X.shape[0],):
        raise DatasetError(f"y has shape {y.shape}, expected ({X.shape[0]},): one label per row of X")
    if X.dtype != np.uint8:
        if not np.issubdtype(X.dtype, np.integer) or (X.size and (X.min() < 0 or X.max() > 255)):
            raise DatasetError(f"X must hold integer pixels 0..255 (uint8), got {X.dtype}")
        X = X.astype(np.uint8)
    if y.size and (not np.issubdtype(y.dtype, np.integer) or not np.isin(y, (0, 1)).all()):
        raise DatasetError("y must hold 0 (cat) or 1 (dog) only")
    return X, y.astype(np.uint8)


def shuffled_order(n_rows: int, seed: int | None = 0) -> np.ndarray:
    """The row order :func:`write_csv` uses: row i of the CSV is input row ``order[i]``."""
    if seed is None:
        return np.arange(n_rows)
    return np.random.default_rng(seed).permutation(n_rows)


def write_csv_text(path: str | os.PathLike, n_pixels: int, chunks: Iterable[bytes]) -> Path:
    """Write the header and already formatted row text atomically (gzip for .gz, zstd for .zst).

    If ``chunks`` raises, nothing appears under ``path``. Shared by :func:`write_csv` and the
    streaming :func:`dogcat_lib.preprocess.preprocess_to_csv`.
    """
    path = Path(path)
    kind = compression_of(path)
    if kind == "zstd":
        zstd = _zstandard().ZstdCompressor(level=_ZSTD_LEVEL, threads=-1)  # all cores
    with atomic_output(path) as raw:
        if kind == "gzip":
            out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=_GZIP_LEVEL, mtime=0)
        elif kind == "zstd":
            out = zstd.stream_writer(raw, closefd=False)
        else:
            out = raw
        out.write(header_line(n_pixels))
        for text in chunks:
            out.write(text)
        if out is not raw:
            out.close()
    return path


def _formatted_chunks(X: np.ndarray, y: np.ndarray, order: np.ndarray) -> Iterator[bytes]:
    """CSV text of the rows in ``order``, a chunk at a time, formatted on all cores, in order.

    At most one chunk per thread plus one is in flight, so memory stays flat (a few MB).
    """

    def chunk_text(start: int) -> bytes:
        idx = order[start : start + _ROWS_PER_CHUNK]
        rows = np.empty((len(idx), X.shape[1] + 1), dtype=np.uint8)
        rows[:, 0] = y[idx]
        rows[:, 1:] = X[idx]
        return format_rows(rows)

    workers = min(4, os.cpu_count() or 1)
    yield from ordered_map(chunk_text, range(0, len(X), _ROWS_PER_CHUNK), workers, ahead=workers + 1)


def write_csv(
    X: np.ndarray,
    y: np.ndarray,
    path: str | os.PathLike,
    seed: int | None = 0,
) -> Path:
    """Write the course's CSV: header ``label,0,...,D-1``, one row per image, rows shuffled.

    X: (N, D) integer pixels 0..255 (uint8 preferred); y: (N,) labels 0/1. Rows are shuffled
    with ``np.random.default_rng(seed)`` (``seed=None`` keeps the given order), so the same
    arrays and seed give the same bytes. The file appears atomically (a temp file in the same
    folder, then a rename): a crash or Ctrl-C never leaves half a CSV under ``path``. A path
    ending in ``.gz`` is gzip-compressed, ``.zst`` zstd-compressed (both still readable by
    ``pd.read_csv``; zstd needs the ``zstandard`` package, a dependency of dogcat). Returns the path.
    """
    X, y = _validate_arrays(X, y)
    path = Path(path)
    order = shuffled_order(len(X), seed)
    write_csv_text(path, X.shape[1], _formatted_chunks(X, y, order))
    return path


# ----------------------------------------------------------------------------------- reading


def read_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read the course's CSV into ``X`` (N, D) uint8 and ``y`` (N,) uint8, validating every value.

    Accepts what :func:`write_csv` and the course's pandas code write: the ``label`` column first
    or last, ``\\n`` or ``\\r\\n`` line ends, plain, gzip, zstd, or a zip holding that one CSV.
    Raises :class:`DatasetError` naming the row and column and the fix for: an empty file, no
    ``label`` column, pixel columns not named 0..D-1 (an index column, say), a row with the wrong
    number of fields or with no line end, a value that is not an integer 0..255, a label other
    than 0/1, or a header with no rows. Notebook 02, "Load the CSV".
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = 0
    if not stat.S_ISREG(mode):
        if path.is_dir():
            raise DatasetError(f"{path} is a folder: give the CSV file inside it")
        if mode:
            raise DatasetError(f"{path} is not a regular file (a device or a pipe?): give the CSV file")
        raise DatasetError(f"{path} does not exist: build it with `dogcat preprocess` (notebook 01)")
    stream, unpacked_size = _open_csv_stream(path)
    rows = None
    with stream:
        try:
            head = _read_header(stream, path)
            newline = head.find(b"\n") if b"\n" in head else len(head)
            columns = _parse_header(head[:newline])
            label_at = _label_position(columns, path)
            rows = _RowBuffer(_max_rows(unpacked_size, len(columns)), len(columns) - 1)
            blocks = _line_blocks(stream, head[newline + 1 :], columns, path)
            for X_part, y_part in _parse_blocks(blocks, columns, label_at, path):
                rows.append(X_part, y_part)
        except _read_errors() as exc:
            where = f" after data row {rows.n:,}" if rows is not None else ""
            raise DatasetError(f"{path} is damaged{where} ({exc}); re-create or re-upload it") from exc
    if rows is None or rows.n == 0:
        raise DatasetError(f"{path} has a header but no rows: re-run `dogcat preprocess`")
    return rows.finish()


def _read_errors() -> tuple[type[BaseException], ...]:
    """What a damaged plain, gzip, zstd or zipped file raises while being read."""
    errors: tuple[type[BaseException], ...] = (OSError, EOFError, gzip.BadGzipFile, zipfile.BadZipFile)
    try:
        import zstandard
    except ImportError:
        return errors
    return (*errors, zstandard.ZstdError)


def _open_csv_stream(path: Path):
    """(a binary stream of the CSV's text, an upper bound of its size) by the file's first bytes."""
    size = path.stat().st_size
    with open(path, "rb") as probe:
        magic = probe.read(4)
        if magic[:2] == b"\x1f\x8b":  # gzip keeps the size mod 2**32 in its trailer
            probe.seek(-4, os.SEEK_END)
            unpacked = int.from_bytes(probe.read(4), "little")
            return gzip.open(path, "rb"), unpacked if size <= unpacked <= 64 * size else 16 * size
    if magic == _ZSTD_MAGIC:
        return _ZstdReader(path), 8 * size  # a streamed frame records no size; the buffer grows if short
    if magic == _ZIP_MAGIC:
        return _zipped_csv(path)
    return open(path, "rb"), size


def _max_rows(size_bound: int, n_columns: int) -> int:
    """An upper bound of the data rows in ``size_bound`` bytes: every field takes 2+ bytes ("7,")."""
    return size_bound // (2 * n_columns) + 1


def _zipped_csv(path: Path):
    """The one CSV inside a zip (Windows' "Compressed folder" of the upload), streamed."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DatasetError(f"{path} starts like a zip but cannot be opened ({exc}); re-create it") from exc
    with archive:
        files = [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
        if len(files) != 1 or not files[0].filename.lower().endswith(".csv"):
            names = ", ".join(i.filename for i in files[:3]) + (", ..." if len(files) > 3 else "")
            raise DatasetError(
                f"{path} is a zip of {len(files)} file(s) ({names}), not of one .csv: upload the "
                ".csv.zst that `dogcat preprocess --compress` writes (no need to zip it)"
            )
        return archive.open(files[0]), files[0].file_size  # the member stays readable after close


class _ZstdReader:
    """Read a .zst file as a stream; like ``gzip``, a file that ends before its frame does raises EOFError."""

    def __init__(self, path: Path):
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close() / __exit__
        self._decoder = _zstandard().ZstdDecompressor().decompressobj()
        self._pending = b""

    def read(self, size: int) -> bytes:
        while len(self._pending) < size:
            compressed = self._file.read(1 << 20)
            if not compressed:
                if not self._decoder.eof:
                    raise EOFError("the zstd file ended before its end-of-frame marker (truncated)")
                break
            self._pending += self._decode(compressed)
        out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def _decode(self, compressed: bytes) -> bytes:
        out = []
        while compressed:
            if self._decoder.eof:  # another frame follows (zstd files may be concatenated)
                self._decoder = _zstandard().ZstdDecompressor().decompressobj()
            out.append(self._decoder.decompress(compressed))
            compressed = self._decoder.unused_data if self._decoder.eof else b""
        return b"".join(out)

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _read_header(stream, path: Path) -> bytes:
    """The first block, extended until it holds the header's line end (at most 16 MB)."""
    head = stream.read(_READ_BLOCK)
    if not head.strip():
        raise DatasetError(f"{path} is empty: expected a header `label,0,1,...` and one row per photo")
    while b"\n" not in head:
        if len(head) > _MAX_HEADER_BYTES:  # a photo or a zip passed by mistake, say
            raise DatasetError(
                f"{path} is not a CSV: no header line in its first {_MAX_HEADER_BYTES >> 20} MB"
            )
        more = stream.read(_READ_BLOCK)
        if not more:
            break
        head += more
    return head


def _parse_header(line: bytes) -> list[str]:
    text = line.decode("utf-8-sig", errors="replace").strip()
    return [c.strip().strip('"') for c in text.split(",")]


def _label_position(columns: list[str], path: Path) -> int:
    if "label" not in columns:
        shown = ",".join(columns[:4]) + (",..." if len(columns) > 4 else "")
        raise DatasetError(
            f"{path} has no 'label' column (header starts {shown!r}): expected `label,0,1,...`; "
            "was it written by `dogcat preprocess`?"
        )
    label_at = columns.index("label")
    pixel_names = columns[:label_at] + columns[label_at + 1 :]
    expected = [str(i) for i in range(len(pixel_names))]
    if pixel_names != expected or label_at not in (0, len(columns) - 1):
        odd = next((c for c, e in zip(pixel_names, expected, strict=True) if c != e), columns[label_at])
        hint = " (an index column: save with index=False)" if odd in ("", "Unnamed: 0") else ""
        raise DatasetError(
            f"{path}: pixel columns must be named 0..{len(pixel_names) - 1} in order, next to 'label' "
            f"first or last; found column {odd!r}{hint}"
        )
    if not pixel_names:
        raise DatasetError(f"{path} has a 'label' column but no pixel columns")
    return label_at


def _line_blocks(stream, first: bytes, columns: list[str], path: Path) -> Iterator[tuple[bytes, int]]:
    """(block of whole lines ending in ``\\n``, its first data row number), in file order.

    A line longer than ``len(columns)`` values can be (3 digits and a comma each) is refused as
    soon as it is seen, so a file with no line ends costs one block of memory, not all of it.
    """
    longest = 4 * len(columns) + 2
    pending, row = first, 1
    while True:
        chunk = stream.read(_READ_BLOCK)
        if not chunk:
            break
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n") + 1
        if len(data) - cut > longest:
            row += data.count(b"\n", 0, cut)
            raise DatasetError(
                f"{path}: data row {row:,} (line {row + 1:,}) runs past {longest:,} bytes without a line "
                f"end, longer than {len(columns):,} values can be: is it the course's CSV?"
            )
        pending = data[cut:]
        if cut:
            yield data[:cut], row
            row += data.count(b"\n", 0, cut)
    if pending.strip():
        yield pending + b"\n", row


def _parse_blocks(blocks, columns: list[str], label_at: int, path: Path):
    """Parse blocks on all cores (NumPy releases the GIL), yielding (X, y) parts in file order.

    At most two blocks per worker are in flight, so memory stays flat whatever the file size.
    """
    n_columns = len(columns)

    def parse(item: tuple[bytes, int]) -> tuple[np.ndarray, np.ndarray]:
        block, first_row = item
        values = csvparse.parse_block(block, n_columns)
        if values is None:  # Windows line ends or blank lines, or a real problem
            values = csvparse.parse_block(csvparse.normalise(block), n_columns)
        if values is None or values[:, label_at].max(initial=0) > 1:
            raise DatasetError(f"{path}: {csvparse.explain(block, columns, label_at, first_row)}")
        pixels = values[:, 1:] if label_at == 0 else values[:, :-1]
        return pixels, values[:, label_at]

    yield from ordered_map(parse, blocks, workers=min(4, os.cpu_count() or 1))


class _RowBuffer:
    """Rows appended in order into one preallocated uint8 array, shrunk in place at the end.

    The array is sized by an upper bound; pages never written cost no memory, so the peak is
    the data itself, not data + a concatenated copy. Grows by doubling if the bound was wrong.
    """

    def __init__(self, capacity: int, n_pixels: int):
        self.X = np.empty((max(capacity, 1), n_pixels), dtype=np.uint8)
        self.y = np.empty(max(capacity, 1), dtype=np.uint8)
        self.n = 0

    def append(self, X_part: np.ndarray, y_part: np.ndarray) -> None:
        end = self.n + len(X_part)
        if end > len(self.X):
            capacity = max(end, 2 * len(self.X))
            self.X = np.concatenate(
                [self.X[: self.n], np.empty((capacity - self.n, self.X.shape[1]), np.uint8)]
            )
            self.y = np.concatenate([self.y[: self.n], np.empty(capacity - self.n, np.uint8)])
        self.X[self.n : end] = X_part
        self.y[self.n : end] = y_part
        self.n = end

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        self.X.resize((self.n, self.X.shape[1]), refcheck=False)
        self.y.resize(self.n, refcheck=False)
        return self.X, self.y
