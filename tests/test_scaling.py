"""Split and scale without leaks: stratified seeded splits, a scaler fitted on training rows only."""

from __future__ import annotations

import numpy as np
import pytest

from dogcat_lib import DatasetError, fit_scaler, split_dataset


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
    keras = pytest.importorskip("keras")
    from sklearn.preprocessing import MinMaxScaler

    X, y = rows()
    data = split_dataset(X, y)
    X_train = data.X_train.copy()
    X_train[:, 5] = 7  # a constant pixel: sklearn scales it by 1, so must we
    layer = fit_scaler(X_train, (4, 4, 1))
    ours = keras.ops.convert_to_numpy(layer(data.X_test.reshape(-1, 4, 4, 1).astype(np.float32)))
    reference = MinMaxScaler().fit(X_train.astype(np.float64)).transform(data.X_test)
    np.testing.assert_allclose(ours.reshape(len(ours), -1), reference, atol=1e-6)


def test_fit_scaler_refuses_empty_rows():
    pytest.importorskip("keras")
    with pytest.raises(DatasetError, match="training rows"):
        fit_scaler(np.zeros((0, 4), np.uint8), (2, 2, 1))


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
