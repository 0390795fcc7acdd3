import gzip

import numpy as np
import pandas as pd
import pytest

import dogcat_lib.data.csvio as csvio
from dogcat_lib import DatasetError, read_csv, write_csv


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (1100, 6400), dtype=np.uint8)  # > 2 write chunks
    X[0] = 0
    X[1] = 255
    y = rng.integers(0, 2, 1100, dtype=np.uint8)
    return X, y


def test_round_trip_gives_back_the_shuffled_arrays(tmp_path, arrays):
    X, y = arrays
    path = write_csv(X, y, tmp_path / "d.csv", seed=3)
    X2, y2 = read_csv(path)
    order = np.random.default_rng(3).permutation(len(X))
    assert X2.dtype == np.uint8 and y2.dtype == np.uint8
    np.testing.assert_array_equal(X2, X[order])
    np.testing.assert_array_equal(y2, y[order])


def test_bytes_equal_pandas_to_csv_of_the_course_frame(tmp_path, arrays):
    X, y = arrays
    X, y = X[:300], y[:300]
    write_csv(X, y, tmp_path / "ours.csv", seed=None)
    frame = pd.DataFrame(np.column_stack([y, X]).astype(np.int64), columns=["label", *map(str, range(6400))])
    frame.to_csv(tmp_path / "pandas.csv", index=False, lineterminator="\n")
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_course_code_reads_it_unchanged(tmp_path, arrays):
    X, y = arrays
    write_csv(X, y, tmp_path / "d.csv")
    df = pd.read_csv(tmp_path / "d.csv")  # the course's notebook 02, verbatim
    labels = df["label"]
    pixels = df.drop("label", axis=1)
    assert pixels.shape == (1100, 6400) and list(pixels.columns[:3]) == ["0", "1", "2"]
    assert sorted(labels.unique()) == [0, 1]


def test_same_seed_same_bytes_other_seed_other_order(tmp_path, arrays):
    X, y = arrays
    a = write_csv(X, y, tmp_path / "a.csv", seed=0).read_bytes()
    assert a == write_csv(X, y, tmp_path / "b.csv", seed=0).read_bytes()
    assert a != write_csv(X, y, tmp_path / "c.csv", seed=1).read_bytes()


def test_gzip_by_extension_deterministic_and_readable_by_pandas(tmp_path, arrays):
    X, y = arrays
    path = write_csv(X[:50], y[:50], tmp_path / "d.csv.gz")
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert path.read_bytes() == write_csv(X[:50], y[:50], tmp_path / "e.csv.gz").read_bytes()
    X2, y2 = read_csv(path)
    assert X2.shape == (50, 6400)
    assert pd.read_csv(path).shape == (50, 6401)
    assert gzip.decompress(path.read_bytes()) == write_csv(X[:50], y[:50], tmp_path / "f.csv").read_bytes()


def test_write_is_atomic_a_failure_keeps_the_old_file(tmp_path, arrays, monkeypatch):
    X, y = arrays
    path = write_csv(X[:10], y[:10], tmp_path / "d.csv")
    before = path.read_bytes()
    calls = []

    def failing(*rows):
        calls.append(1)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        return real(*rows)

    real = csvio.format_rows
    monkeypatch.setattr(csvio, "format_rows", failing)
    with pytest.raises(OSError):
        write_csv(X, y, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["d.csv"]  # no temp file left behind


def test_write_validates_its_inputs(tmp_path):
    with pytest.raises(DatasetError, match="2-D"):
        write_csv(np.zeros((2, 8, 8), np.uint8), np.zeros(2, np.uint8), tmp_path / "x.csv")
    with pytest.raises(DatasetError, match="no rows"):
        write_csv(np.zeros((0, 4), np.uint8), np.zeros(0, np.uint8), tmp_path / "x.csv")
    with pytest.raises(DatasetError, match="one label per row"):
        write_csv(np.zeros((2, 4), np.uint8), np.zeros(3, np.uint8), tmp_path / "x.csv")
    with pytest.raises(DatasetError, match="0..255"):
        write_csv(np.full((2, 4), 300), np.zeros(2, np.uint8), tmp_path / "x.csv")
    with pytest.raises(DatasetError, match="0 \\(cat\\) or 1"):
        write_csv(np.zeros((2, 4), np.uint8), np.array([0, 2]), tmp_path / "x.csv")
    assert not list(tmp_path.iterdir())


def test_windows_line_endings_label_last_and_blank_lines(tmp_path):
    X = np.array([[0, 10, 255, 7], [1, 2, 3, 4]], np.uint8)
    y = np.array([1, 0], np.uint8)
    (tmp_path / "crlf.csv").write_bytes(b"label,0,1,2,3\r\n1,0,10,255,7\r\n0,1,2,3,4\r\n\r\n")
    (tmp_path / "last.csv").write_bytes(b"0,1,2,3,label\n0,10,255,7,1\n\n1,2,3,4,0")
    for name in ("crlf.csv", "last.csv"):
        X2, y2 = read_csv(tmp_path / name)
        np.testing.assert_array_equal(X2, X)
        np.testing.assert_array_equal(y2, y)


def test_reading_spans_many_blocks(tmp_path, arrays, monkeypatch):
    monkeypatch.setattr(csvio, "_READ_BLOCK", 40_000)  # rows straddle block boundaries
    X, y = arrays
    write_csv(X[:200], y[:200], tmp_path / "d.csv", seed=None)
    X2, y2 = read_csv(tmp_path / "d.csv")
    np.testing.assert_array_equal(X2, X[:200])


HEADER = "label,0,1,2\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("\n\n", "is empty"),
        ("0,1,2,3\n1,5,5,5\n", "no 'label' column"),
        (",label,0,1,2\n0,1,5,5,5\n", "index column"),
        ("label,0,2,1\n1,5,5,5\n", "named 0..2"),
        (HEADER, "no rows"),
        (HEADER + "1,5,5,5\n0,5,5\n", "data row 2 \\(line 3\\) has 3 fields, expected 4"),
        (HEADER + "1,5,5,5\n0,5,x,5\n", "data row 2 .*column '1': 'x' is not an integer"),
        (HEADER + "1,5,1.5,5\n", "column '1': '1.5' is not an integer"),
        (HEADER + "1,5,-3,5\n", "'-3' is not an integer"),
        (HEADER + "1,5,5,\n", "column '2': '' is not an integer"),
        (HEADER + "1,5,5,5\n1,5,256,5\n", "data row 2, column '1': 256 is outside 0..255"),
        (HEADER + "1,5,5,5\n1,5,5,1000\n", "'1000' is not an integer 0..255"),
        (HEADER + "1,5,5,5\n2,5,5,5\n", "data row 2: label 2 is not 0 \\(cat\\) or 1 \\(dog\\)"),
    ],
)
def test_bad_csv_names_the_row_column_and_fix(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DatasetError, match=message):
        read_csv(path)


def test_row_numbers_are_right_beyond_the_first_block(tmp_path, monkeypatch):
    monkeypatch.setattr(csvio, "_READ_BLOCK", 64)
    rows = "".join("1,5,5,5\n" for _ in range(100))
    (tmp_path / "bad.csv").write_text(HEADER + rows + "1,5,5,999\n")
    with pytest.raises(DatasetError, match="data row 101, column .2.: 999"):
        read_csv(tmp_path / "bad.csv")


def test_zstd_by_extension_deterministic_smaller_and_readable_by_pandas(tmp_path, arrays):
    zstandard = pytest.importorskip("zstandard")
    X, y = arrays
    path = write_csv(X[:50], y[:50], tmp_path / "d.csv.zst")
    assert path.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
    assert path.read_bytes() == write_csv(X[:50], y[:50], tmp_path / "e.csv.zst").read_bytes()
    plain = write_csv(X[:50], y[:50], tmp_path / "f.csv").read_bytes()
    assert zstandard.ZstdDecompressor().stream_reader(path.read_bytes()).read() == plain
    X2, y2 = read_csv(path)
    assert X2.shape == (50, 6400) and np.array_equal(
        X2, pd.read_csv(tmp_path / "f.csv").iloc[:, 1:].to_numpy()
    )
    assert pd.read_csv(path).shape == (50, 6401)  # the course's pandas code reads it as it is


def test_concatenated_zstd_frames_are_one_file(tmp_path, arrays):
    zstandard = pytest.importorskip("zstandard")
    X, y = arrays
    text = write_csv(X[:30], y[:30], tmp_path / "d.csv", seed=None).read_bytes()
    cut = text.index(b"\n", len(text) // 2) + 1
    compressor = zstandard.ZstdCompressor()
    (tmp_path / "two.csv.zst").write_bytes(compressor.compress(text[:cut]) + compressor.compress(text[cut:]))
    X2, y2 = read_csv(tmp_path / "two.csv.zst")
    np.testing.assert_array_equal(X2, X[:30])


def test_missing_file_and_damaged_zstd(tmp_path, arrays):
    pytest.importorskip("zstandard")
    X, y = arrays
    data = write_csv(X[:100], y[:100], tmp_path / "d.csv.zst").read_bytes()
    (tmp_path / "cut.csv.zst").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match="truncated"):
        read_csv(tmp_path / "cut.csv.zst")
    middle = len(data) // 2
    (tmp_path / "bad.csv.zst").write_bytes(data[:middle] + bytes(64) + data[middle + 64 :])
    with pytest.raises(DatasetError, match="corrupt|damaged|cannot be read"):
        read_csv(tmp_path / "bad.csv.zst")


def test_missing_file_and_damaged_gzip(tmp_path, arrays):
    with pytest.raises(DatasetError, match="does not exist"):
        read_csv(tmp_path / "nope.csv")
    X, y = arrays
    data = write_csv(X[:100], y[:100], tmp_path / "d.csv.gz").read_bytes()
    (tmp_path / "cut.csv.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match="damaged"):
        read_csv(tmp_path / "cut.csv.gz")


def test_a_row_estimate_that_is_too_small_still_reads_everything(tmp_path, arrays, monkeypatch):
    monkeypatch.setattr(csvio, "_max_rows", lambda size_bound, n_columns: 3)
    monkeypatch.setattr(csvio, "_READ_BLOCK", 50_000)
    X, y = arrays
    for name in ("d.csv", "d.csv.gz", "d.csv.zst"):
        write_csv(X[:120], y[:120], tmp_path / name, seed=None)
        X2, y2 = read_csv(tmp_path / name)
        np.testing.assert_array_equal(X2, X[:120])
        np.testing.assert_array_equal(y2, y[:120])


def test_row_estimate_is_an_upper_bound_from_the_files_size_never_a_claim(tmp_path, arrays):
    X, y = arrays
    for name, most in (("d.csv", 400), ("d.csv.gz", 16 * 400)):  # gzip's trailer is not believed
        path = write_csv(X[:100], y[:100], tmp_path / name)
        stream, size_bound = csvio._open_csv_stream(path)
        stream.close()
        assert 100 <= csvio._max_rows(size_bound, 6401) < most
    assert csvio._max_rows(1 << 40, 6401) * 6401 <= (1 << 30) + 6401  # a 1 TiB file reserves 1 GB at most


def test_outputs_get_normal_permissions_not_private_temp_ones(tmp_path, arrays):
    import os
    import stat

    X, y = arrays
    umask = os.umask(0o022)
    try:
        path = write_csv(X[:5], y[:5], tmp_path / "d.csv")
    finally:
        os.umask(umask)
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_binary_file_is_refused_without_reading_it_all(tmp_path, monkeypatch):
    monkeypatch.setattr(csvio, "_MAX_HEADER_BYTES", 2 * 1024 * 1024)
    path = tmp_path / "train.zip.csv"
    path.write_bytes(bytes(range(1, 10)) * 1_000_000)  # 9 MB, no newline
    with pytest.raises(DatasetError, match="is not a CSV"):
        read_csv(path)


@pytest.mark.parametrize("seed", range(5))
def test_the_vectorised_parser_equals_numpys_on_every_field_width(seed):
    from dogcat_lib.data.csvparse import parse_block

    rng = np.random.default_rng(seed)
    rows, columns = int(rng.integers(1, 40)), int(rng.integers(1, 60))
    edge = rng.choice([0, 7, 9, 10, 42, 99, 100, 199, 255], size=(rows, columns))
    values = np.where(rng.random((rows, columns)) < 0.5, edge, rng.integers(0, 256, (rows, columns)))
    values = values.astype(np.uint8)  # 1, 2 and 3 digits, next to each other in every order
    text = "".join(",".join(map(str, row)) + "\n" for row in values).encode()
    np.testing.assert_array_equal(parse_block(text, columns), values)
    np.testing.assert_array_equal(
        parse_block(text, columns),
        np.loadtxt(text.decode().splitlines(), dtype=np.uint8, delimiter=",", ndmin=2),
    )


@pytest.mark.parametrize("bad", ["1,2,3\n4,5\n", "1,2,3\n4,5,6,7\n", "1,,3\n", "1,2,3", "1,2,256\n",
                                 "1,2,1000\n", "1,-2,3\n", "1,2.5,3\n", "1,2,3\r\n", "1,2,3\n\n4,5,6\n",
                                 "1, 2,3\n", "1,2,x\n", ""])  # fmt: skip
def test_the_fast_parser_refuses_what_it_cannot_prove_well_formed(bad):
    from dogcat_lib.data.csvparse import parse_block

    assert parse_block(bad.encode(), 3) is None  # then the exact path explains or normalises it


def test_a_huge_line_with_no_newline_is_refused_at_once_naming_the_row(tmp_path):
    """Issue 14, item 8: a small .csv.gz holding one 256 MB line. The reader refuses the line once
    it is longer than the header allows (4 bytes per column), instead of growing it block by block."""
    import tracemalloc

    header = ("label," + ",".join(map(str, range(6400))) + "\n").encode()
    line_size = 256 << 20
    path = tmp_path / "one-line.csv.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header)
        block = b"1" * (1 << 20)
        for _ in range(line_size // len(block)):
            f.write(block)
    assert path.stat().st_size < 2 << 20
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match=r"data row 1 \(line 2\) runs past 25,606 bytes"):
            read_csv(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20, f"peak {peak:,} bytes while reading a {line_size:,}-byte line"


def test_a_csv_that_windows_zipped_is_refused_in_one_line_saying_to_unzip_it(tmp_path, arrays):
    import zipfile

    X, y = arrays
    plain = write_csv(X[:20], y[:20], tmp_path / "dogs-vs-cats.csv", seed=None)
    zipped = tmp_path / "dogs-vs-cats.zip"  # Windows: Send to > Compressed (zipped) folder
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(plain, "dogs-vs-cats.csv")
    with pytest.raises(DatasetError, match="unzip it") as refused:
        read_csv(zipped)
    assert str(refused.value).startswith(f"{zipped} is a zip, not a CSV") and "\n" not in str(refused.value)
