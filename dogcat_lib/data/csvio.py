"""X, y <-> the course's ONE CSV: ``label,0,1,...,6399``, one row per photo (notebook 01, section 5).

The file is what the course's own code writes and reads (``to_csv(index=False)``,
``pd.read_csv``, ``df['label']``), so nothing changes for a student who keeps using pandas. Here
it is written ~10x faster than ``DataFrame.to_csv`` (a lookup table turns uint8 into text, a chunk
of rows at a time) and read straight into uint8, on all cores, checking every value on the way:
pandas' reader makes a 1.3 GB int64 frame of 25,000 photos, and ``np.loadtxt`` (the floor for
speed and memory, ``make bench``) neither uses a second core nor names the bad row and column.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import zstandard

from ..plumbing.atomic import atomic_output
from ..plumbing.errors import DatasetError
from ..plumbing.parallel import ordered_map
from . import csvparse

_ROWS_PER_CHUNK = 64  # ~1.5 MB of text per chunk at 6,401 columns: cache-sized, memory flat
_READ_BLOCK = 256 * 1024  # parsed per task: ~4 MB of temporaries each, a few in flight
_MAX_HEADER_BYTES = 16 * 1024 * 1024  # label + 512x512x3 pixel names fit in 16 MB
_GZIP_LEVEL = 1  # measured on the real sample: 8.5x faster than level 6 for a 23% larger file
_ZSTD_LEVEL = 3  # zstd's default; on the real sample smaller than gzip -1 and faster (bench_compression.py)
_RATIO = 16  # text a compressed byte is taken to stand for when sizing the buffer (grown if short)
_MAX_START = 1 << 30  # the buffer's first size at most: a sparse or lying file cannot reserve more


def _token_table(terminator: bytes) -> np.ndarray:
    """uint32 per byte value: its decimal digits then ``terminator``, padded with NUL bytes."""
    table = np.zeros((256, 4), dtype=np.uint8)
    for value in range(256):
        token = str(value).encode() + terminator
        table[value, : len(token)] = np.frombuffer(token, dtype=np.uint8)
    return table.view("<u4").reshape(256)


_WITH_COMMA, _WITH_NEWLINE = _token_table(b","), _token_table(b"\n")


def format_rows(X: np.ndarray, y: np.ndarray) -> bytes:
    """CSV text of uint8 rows X (n, D) with their labels y (n,) first: ``"1,0,255,17\\n"`` per row."""
    rows = np.empty((len(X), X.shape[1] + 1), dtype=np.uint8)
    rows[:, 0], rows[:, 1:] = y, X
    tokens = _WITH_COMMA[rows]
    tokens[:, -1] = _WITH_NEWLINE[X[:, -1]]
    return tokens.tobytes().translate(None, b"\0")  # the NUL padding dropped (faster than np.compress)


def shuffled_order(n_rows: int, seed: int | None = 0) -> np.ndarray:
    """The row order of the CSV: row i is input row ``order[i]`` (``seed=None``: as given)."""
    return np.arange(n_rows) if seed is None else np.random.default_rng(seed).permutation(n_rows)


def write_csv_text(path: str | os.PathLike, n_pixels: int, chunks: Iterable[bytes]) -> Path:
    """Write the header and formatted row text atomically (gzip for .gz, zstd for .zst).

    If ``chunks`` raises, nothing appears under ``path``.
    """
    path = Path(path)
    with atomic_output(path) as raw:
        if path.name.lower().endswith(".gz"):
            out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=_GZIP_LEVEL, mtime=0)
        elif path.name.lower().endswith(".zst"):
            out = zstandard.ZstdCompressor(level=_ZSTD_LEVEL, threads=-1).stream_writer(raw, closefd=False)
        else:
            out = raw
        out.write(("label," + ",".join(map(str, range(n_pixels))) + "\n").encode("ascii"))
        for text in chunks:
            out.write(text)
        if out is not raw:
            out.close()
    return path


def write_csv(X: np.ndarray, y: np.ndarray, path: str | os.PathLike, seed: int | None = 0) -> Path:
    """Write the course's CSV: header ``label,0,...,D-1``, one row per image, rows shuffled.

    X: (N, D) integer pixels 0..255 (uint8 preferred); y: (N,) labels 0/1. The bytes are those of
    the course's ``to_csv(index=False)``; rows are shuffled with ``np.random.default_rng(seed)``
    (``seed=None`` keeps the given order), so the same arrays and seed give the same bytes. The
    file appears atomically (a temp file, then a rename): a crash never leaves half a CSV. A path
    ending in ``.gz`` is gzip-compressed, ``.zst`` zstd-compressed (``pd.read_csv`` reads both).
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2:
        raise DatasetError(f"X must be 2-D (rows, pixels), got shape {X.shape}: use X.reshape(len(X), -1)")
    if X.shape[0] == 0:
        raise DatasetError("X has no rows: there is nothing to write (did build_dataset skip everything?)")
    if y.shape != (X.shape[0],):
        raise DatasetError(f"y has shape {y.shape}, expected ({X.shape[0]},): one label per row of X")
    if X.dtype != np.uint8 and (not np.issubdtype(X.dtype, np.integer) or X.min() < 0 or X.max() > 255):
        raise DatasetError(f"X must hold integer pixels 0..255 (uint8), got {X.dtype}")
    if not np.issubdtype(y.dtype, np.integer) or not np.isin(y, (0, 1)).all():
        raise DatasetError("y must hold 0 (cat) or 1 (dog) only")
    X, y = X.astype(np.uint8, copy=False), y.astype(np.uint8)
    order = shuffled_order(len(X), seed)

    def chunk_text(start: int) -> bytes:
        rows = order[start : start + _ROWS_PER_CHUNK]
        return format_rows(X[rows], y[rows])

    workers = min(4, os.cpu_count() or 1)  # one chunk per thread plus one in flight: memory flat
    chunks = ordered_map(chunk_text, range(0, len(X), _ROWS_PER_CHUNK), workers, ahead=workers + 1)
    return write_csv_text(path, X.shape[1], chunks)


# ----------------------------------------------------------------------------------- reading


def read_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read the course's CSV into ``X`` (N, D) uint8 and ``y`` (N,) uint8, validating every value.

    Accepts what :func:`write_csv` and the course's pandas code write: the ``label`` column first
    or last, ``\\n`` or ``\\r\\n`` line ends, plain, gzip or zstd. Raises :class:`DatasetError`
    naming the row and column and the fix for: a zip (to unzip first), an empty file, no
    ``label`` column, pixel columns not named 0..D-1 (an index column, say), a row with the wrong
    number of fields, a value that is not an integer 0..255, a label other than 0/1, a header with
    no rows, or a damaged or cut compressed file. Notebook 02, section 1.
    """
    path = Path(path)
    if not path.is_file():
        if path.is_dir():
            raise DatasetError(f"{path} is a folder: give the CSV file inside it")
        if path.exists():
            raise DatasetError(f"{path} is not a regular file (a device or a pipe?): give the CSV file")
        raise DatasetError(f"{path} does not exist: build it with `dogcat preprocess` (notebook 01)")
    rows = None
    try:
        stream, size_bound = _open_csv_stream(path)
        with stream:
            header, _, rest = _read_header(stream, path).partition(b"\n")
            columns = [c.strip().strip('"') for c in header.decode("utf-8-sig", "replace").strip().split(",")]
            label_at = _label_position(columns, path)
            rows = _RowBuffer(_max_rows(size_bound, len(columns)), len(columns) - 1)
            for X_part, y_part in _parse_blocks(
                _line_blocks(stream, rest, columns, path), columns, label_at, path
            ):
                rows.append(X_part, y_part)
    except (OSError, EOFError, zstandard.ZstdError) as exc:  # gzip's errors are OSErrors
        where = f" after data row {rows.n:,}" if rows is not None else ""
        raise DatasetError(f"{path} is damaged{where} ({exc}); re-create or re-upload it") from exc
    if rows.n == 0:
        raise DatasetError(f"{path} has a header but no rows: re-run `dogcat preprocess`")
    return rows.finish()


def _open_csv_stream(path: Path):
    """(a binary stream of the CSV's text, a bound of its size for the buffer) by the first bytes.

    Every stream inflates at most what is asked of it; the bound comes from the file's own size,
    never from what a gzip trailer claims, and the buffer grows if it was short.
    """
    size = path.stat().st_size
    with open(path, "rb") as probe:
        magic = probe.read(4)
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb"), _RATIO * size
    if magic == b"\x28\xb5\x2f\xfd":
        _check_zstd_frames(path)
        reader = zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), read_across_frames=True)  # noqa: SIM115
        return reader, _RATIO * size
    if magic == b"PK\x03\x04":  # how a zip starts: Windows' "Compressed folder" of the CSV, say
        raise DatasetError(
            f"{path} is a zip, not a CSV: unzip it and give the .csv inside "
            "(a zip of photos: make the CSV of it with `dogcat preprocess`)"
        )
    return open(path, "rb"), size


def _max_rows(size_bound: int, n_columns: int) -> int:
    """An upper bound of the data rows in ``size_bound`` bytes (every field takes 2+ bytes, "7,"),
    at most ``_MAX_START`` bytes of them."""
    return min(size_bound // (2 * n_columns), _MAX_START // n_columns) + 1


def _check_zstd_frames(path: Path) -> None:
    """EOFError unless the .zst file is whole frames to its last byte (RFC 8878's frame layout).

    zstandard's stream reader ends a cut frame silently, so a truncated upload would lose rows
    without a word: the frames' block headers are walked first (a seek per 128 KB block).
    """
    with open(path, "rb") as f:
        end = os.fstat(f.fileno()).st_size

        def number(n_bytes: int) -> int:
            data = f.read(n_bytes)
            if len(data) < n_bytes:
                raise EOFError("the zstd file ends inside a frame (truncated)")
            return int.from_bytes(data, "little")

        while f.tell() < end:
            magic = number(4)
            if magic & 0xFFFFFFF0 == 0x184D2A50:  # a skippable frame: its size, then its bytes
                f.seek(number(4), os.SEEK_CUR)
            elif magic != 0xFD2FB528:
                raise zstandard.ZstdError("no zstd frame where one should start")
            else:
                descriptor = number(1)
                single = descriptor >> 5 & 1  # then window, dictionary id and content size fields
                f.seek((not single) + (0, 1, 2, 4)[descriptor & 3] + (single, 2, 4, 8)[descriptor >> 6], 1)
                last = 0
                while not last:  # blocks: 3 header bytes (last flag, type, size), then the block
                    header = number(3)
                    last = header & 1
                    f.seek(1 if header >> 1 & 3 == 1 else header >> 3, os.SEEK_CUR)
                f.seek(4 * (descriptor >> 2 & 1), os.SEEK_CUR)  # the content checksum, if any
            if f.tell() > end:
                raise EOFError("the zstd file ends inside a frame (truncated)")


def _read_header(stream, path: Path) -> bytes:
    """The first block, extended until it holds the header's line end (at most 16 MB)."""
    head = stream.read(_READ_BLOCK)
    if not head.strip():
        raise DatasetError(f"{path} is empty: expected a header `label,0,1,...` and one row per photo")
    while b"\n" not in head and (more := stream.read(_READ_BLOCK)):
        head += more
        if len(head) > _MAX_HEADER_BYTES:  # a photo passed by mistake, say
            raise DatasetError(
                f"{path} is not a CSV: no header line in its first {_MAX_HEADER_BYTES >> 20} MB"
            )
    return head


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
        hint = " (the header ends with a comma)" if columns[-1] == "" else ""
        if odd in ("", "Unnamed: 0") and not hint:
            hint = " (an index column: save with index=False)"
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
    while chunk := stream.read(_READ_BLOCK):
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
    """Parse blocks on all cores (NumPy releases the GIL), yielding (X, y) parts in file order."""
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

    workers = min(4, os.cpu_count() or 1)
    yield from ordered_map(parse, blocks, workers, ahead=workers + 1)


class _RowBuffer:
    """Rows appended in order into one preallocated uint8 array, shrunk in place at the end.

    Sized by an upper bound of the rows; pages never written cost no memory, so the peak is the
    data itself, not data + a concatenated copy. Grows by doubling if the bound was short.
    """

    def __init__(self, capacity: int, n_pixels: int):
        self.X = np.empty((max(capacity, 1), n_pixels), dtype=np.uint8)
        self.y = np.empty(max(capacity, 1), dtype=np.uint8)
        self.n = 0

    def append(self, X_part: np.ndarray, y_part: np.ndarray) -> None:
        end = self.n + len(X_part)
        if end > len(self.X):
            self.X.resize((max(end, 2 * len(self.X)), self.X.shape[1]), refcheck=False)
            self.y.resize(len(self.X), refcheck=False)
        self.X[self.n : end] = X_part
        self.y[self.n : end] = y_part
        self.n = end

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        self.X.resize((self.n, self.X.shape[1]), refcheck=False)
        self.y.resize(self.n, refcheck=False)
        return self.X, self.y
