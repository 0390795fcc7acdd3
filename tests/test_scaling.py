"""Split and scale without leaks: stratified seeded splits, a scaler fitted on training rows only."""

from __future__ import annotations

import numpy as np
import pytest

from dogcat_lib import DatasetError, fit_scaler, leak_report, split_dataset


def rows(n: int = 200, d: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, (n, d), dtype=np.uint8)
    y = (np.arange(n) % 5 == 0).astype(np.uint8)  # 20% dogs: stratification is visible
    X[:, 0] = np.arange(n) % 256  # a row id, to check that no row is in two splits
    X[:, 1] = np.arange(n) // 256
    return X, y


def test_split_sizes_match_the_course_and_keep_the_class_ratio():
    X, y = rows(1000)
    data = split_dataset(X, y)
    assert data.sizes() == {"train": 490, "val": 210, "test": 300}  # 70/30, then 70/30 of the rest
    for part in (data.y_train, data.y_val, data.y_test):
        assert np.mean(part) == pytest.approx(0.2, abs=0.01)
    ids = [tuple(map(tuple, part[:, :2])) for part in (data.X_train, data.X_val, data.X_test)]
    assert sum(len(set(i)) for i in ids) == len(X)  # every row exactly once
    assert data.X_train.dtype == np.uint8 and data.y_test.dtype == np.uint8


def test_split_is_seeded():
    X, y = rows()
    first, again, other = (
        split_dataset(X, y, seed=3),
        split_dataset(X, y, seed=3),
        split_dataset(X, y, seed=4),
    )
    assert np.array_equal(first.X_test, again.X_test)
    assert not np.array_equal(first.X_test, other.X_test)


def test_split_refuses_too_few_rows_and_bad_fractions():
    X, y = rows(6)
    with pytest.raises(DatasetError, match="cannot split the validation set off the rest"):
        split_dataset(X, y)
    with pytest.raises(DatasetError, match="test_size must be a fraction"):
        split_dataset(*rows(), test_size=1.5)


def test_scaler_matches_sklearn_minmax_fitted_on_the_training_rows():
    from sklearn.preprocessing import MinMaxScaler

    X, y = rows()
    data = split_dataset(X, y)
    X_train = data.X_train.copy()
    X_train[:, 5] = 7  # a constant pixel: sklearn scales it by 1, so must we
    ours = fit_scaler(X_train)
    reference = MinMaxScaler().fit(X_train.astype(np.float64))
    np.testing.assert_allclose(ours.transform(data.X_test), reference.transform(data.X_test), atol=1e-6)
    assert ours.transform(data.X_test).dtype == np.float32


def test_leak_report_measures_the_courses_second_scaler():
    X_train = np.array([[0, 0], [200, 100]], np.uint8)
    X_test = np.array([[50, 50], [250, 150]], np.uint8)
    report = leak_report(X_train, X_test)
    # ours: (x - 0) / 200 and / 100; the course's: (x - 50) / 200 and / 100
    assert report["changed_share"] == 1.0
    assert report["max_abs_diff"] == pytest.approx(0.5)
    assert report["mean_abs_diff"] == pytest.approx((0.25 + 0.5 + 0.25 + 0.5) / 4)
    assert report["outside_0_1_share"] == pytest.approx(0.5)  # 250/200 and 150/100
    same = leak_report(X_train, X_train)
    assert same["changed_share"] == 0.0 and same["outside_0_1_share"] == 0.0


def test_fit_scaler_refuses_empty_rows():
    with pytest.raises(DatasetError, match="training rows"):
        fit_scaler(np.zeros((0, 4), np.uint8))


def test_split_equals_notebook_02s_two_train_test_split_calls():
    from sklearn.model_selection import train_test_split

    X, y = rows(300)
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.3, random_state=5, stratify=y)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=0.3, random_state=5, stratify=y_rest
    )
    data = split_dataset(X, y, seed=5)
    for ours, course in zip(data, (X_train, y_train, X_val, y_val, X_test, y_test), strict=True):
        np.testing.assert_array_equal(ours, course)
