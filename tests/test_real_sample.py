"""Checks on the real photos of ../shared/data/dogs-vs-cats-sample.zip (skipped when it is absent)."""

import zipfile

import cv2
import numpy as np
import pytest
from conftest import sample_zip_or_skip

from dogcat_lib import build_dataset, preprocess_to_csv, read_csv

pytestmark = pytest.mark.sample


def test_real_photos_from_the_zip_match_the_course_code_on_unzipped_files(tmp_path):
    sample = sample_zip_or_skip()
    X, y, names, skipped = build_dataset(sample, limit=60, progress=False)
    assert len(names) == 60 and np.bincount(y).tolist() == [30, 30]
    with zipfile.ZipFile(sample) as zf:
        for name, row in zip(names, X, strict=True):
            path = tmp_path / name.replace("/", "_")
            path.write_bytes(zf.read(name))
            course = cv2.resize(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), (80, 80))
            np.testing.assert_array_equal(row.reshape(80, 80), course)


def test_whole_real_sample_to_csv(tmp_path):
    sample = sample_zip_or_skip()
    result = preprocess_to_csv(sample, tmp_path / "sample.csv", progress=False)
    assert result.class_counts == {"cat": 2000, "dog": 2000}
    assert result.skipped.counts() == {
        "unlabelled: expected cat.N.jpg / dog.N.jpg or a Cat/ or Dog/ folder": 100
    }  # Kaggle's test1/ photos carry no label
    X, y = read_csv(tmp_path / "sample.csv")
    assert X.shape == (4000, 6400) and X.dtype == np.uint8
    assert 0 < y[:100].sum() < 100  # shuffled: not all cats first
