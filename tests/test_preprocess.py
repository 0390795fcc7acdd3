import numpy as np
import pytest

from dogcat_lib import DatasetError, build_dataset, make_sample, preprocess_to_csv, read_csv, write_csv


@pytest.fixture(scope="module")
def clean_sample(tmp_path_factory):
    return make_sample(tmp_path_factory.mktemp("clean") / "train.zip", n_per_class=40, unlabelled=3)


def sorted_rows(X, y):
    rows = np.column_stack([y, X])
    return rows[np.lexsort(rows.T[::-1])]


@pytest.mark.parametrize("seed", [0, 7])
def test_streaming_gives_the_in_memory_bytes_when_nothing_is_skipped(clean_sample, tmp_path, seed):
    result = preprocess_to_csv(clean_sample, tmp_path / "stream.csv", progress=False, seed=seed, workers=2)
    X, y, _, skipped = build_dataset(clean_sample, progress=False)
    write_csv(X, y, tmp_path / "memory.csv", seed=seed)
    assert (tmp_path / "stream.csv").read_bytes() == (tmp_path / "memory.csv").read_bytes()
    assert result.rows == 80 and result.class_counts == {"cat": 40, "dog": 40}
    assert (
        result.skipped.summary()
        == skipped.summary()
        == "skipped 3: 3 x unlabelled: " + ("expected cat.N.jpg / dog.N.jpg or a Cat/ or Dog/ folder")
    )


def test_streaming_keeps_every_good_row_and_reports_skips(photo_zip, tmp_path):
    result = preprocess_to_csv(photo_zip, tmp_path / "s.csv.gz", progress=False)
    X, y, _, skipped = build_dataset(photo_zip, progress=False)
    X2, y2 = read_csv(tmp_path / "s.csv.gz")
    np.testing.assert_array_equal(sorted_rows(X2, y2), sorted_rows(X, y))
    assert result.skipped.items == skipped.items


def test_nothing_decodable_writes_nothing(tmp_path):
    source = tmp_path / "photos"
    source.mkdir()
    (source / "cat.1.jpg").write_bytes(b"")
    (source / "dog.1.jpg").write_bytes(b"not a photo")
    with pytest.raises(DatasetError, match="could be decoded"):
        preprocess_to_csv(source, tmp_path / "out.csv", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]


def test_limit_takes_the_balanced_in_memory_route(clean_sample, tmp_path):
    result = preprocess_to_csv(clean_sample, tmp_path / "l.csv", limit=10, progress=False)
    _, y = read_csv(tmp_path / "l.csv")
    assert result.rows == 10 and np.bincount(y).tolist() == [5, 5]


def test_the_library_refuses_an_output_inside_the_source_too(photo_folder):
    from dogcat_lib import DogcatError

    with pytest.raises(DogcatError, match="inside the input folder"):
        preprocess_to_csv(photo_folder, photo_folder / "sub" / "out.csv", progress=False)
    assert not (photo_folder / "sub").exists()
