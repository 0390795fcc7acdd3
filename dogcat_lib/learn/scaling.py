"""Split the CSV's rows and scale them without leaking the test set (notebook 02, "Split and scale").

The course splits 70/30, then fits one ``MinMaxScaler`` on the training rows and a *second* one on
the test rows. The second fit uses the test set's own minimum and maximum: test statistics leak
into the evaluation, and the two sets are scaled differently. Here the scaler is fitted once, on
the training split only, and travels inside the model as its first layer, so the pixels stay
uint8 (1 byte each) until they reach the model and a saved model scales new photos exactly as
it scaled its training data.
"""

from __future__ import annotations

from typing import NamedTuple

import keras
import numpy as np
from sklearn.model_selection import train_test_split

from ..data.imagespec import ImageSpec
from ..data.labels import CLASS_NAMES
from ..plumbing.errors import DatasetError


class Splits(NamedTuple):
    """Train/validation/test rows. X_*: (n, D) uint8 as read from the CSV; y_*: (n,) uint8."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def sizes(self) -> dict[str, int]:
        """Rows per split, e.g. ``{"train": 12250, "val": 5250, "test": 7500}``."""
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


def _stratified_split(X, y, fraction: float, seed: int, what: str) -> list[np.ndarray]:
    try:
        return train_test_split(X, y, test_size=fraction, random_state=seed, stratify=y)
    except ValueError as exc:  # too few rows of a class for a stratified split
        raise DatasetError(
            f"cannot split {what} ({len(y)} rows, {np.bincount(y, minlength=2).tolist()} cat/dog) "
            f"with a {fraction:g} share stratified by class: {exc}. Use more photos."
        ) from exc


def split_dataset(
    X: np.ndarray, y: np.ndarray, test_size: float = 0.3, val_size: float = 0.3, seed: int = 0
) -> Splits:
    """Seeded, stratified train/validation/test split: notebook 02's two ``train_test_split`` calls.

    The course holds out ``test_size`` (0.3) of the rows for testing, then lets ``model.fit``
    hold out ``val_size`` (0.3) of the rest for validation: of 25,000 photos that is 12,250
    train, 5,250 validation and 7,500 test. Here both are ``train_test_split(...,
    random_state=seed, stratify=...)``, so every part keeps the cat/dog ratio, and the same
    seed gives the same arrays as notebook 02. The pixels stay uint8.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or y.shape != (len(X),):
        raise DatasetError(f"expected X (rows, pixels) and y (rows,), got {X.shape} and {y.shape}")
    for name, value in (("test_size", test_size), ("val_size", val_size)):
        if not 0.0 < value < 1.0:
            raise DatasetError(f"{name} must be a fraction between 0 and 1, not {value}")
    classes = np.unique(y)
    if len(classes) == 1 and int(classes[0]) in (0, 1):  # (no rows: the split below says so)
        only = CLASS_NAMES[int(classes[0])]
        raise DatasetError(
            f"all {len(y):,} rows are {only}s: telling cats from dogs needs photos of both "
            "(was the CSV made from one class's folder, or cut by --limit?)"
        )
    X_rest, X_test, y_rest, y_test = _stratified_split(
        X, y, test_size, seed, "the test set off the CSV's rows"
    )
    X_train, X_val, y_train, y_val = _stratified_split(
        X_rest, y_rest, val_size, seed, "the validation set off the rest"
    )
    return Splits(X_train, y_train, X_val, y_val, X_test, y_test)


class PixelScaler(NamedTuple):
    """Per-pixel minimum and maximum of the training rows: what ``MinMaxScaler`` learns in ``fit``."""

    data_min: np.ndarray  # (D,) float32
    data_max: np.ndarray  # (D,) float32

    def transform(self, X: np.ndarray) -> np.ndarray:
        """``(X - min) / (max - min)`` as float32, as ``MinMaxScaler.transform`` (constant pixel: range 1)."""
        return (np.asarray(X, np.float32) - self.data_min) / self.data_range

    @property
    def data_range(self) -> np.ndarray:
        span = self.data_max - self.data_min
        return np.where(span > 0, span, 1.0).astype(np.float32)

    def layer(self, input_shape: tuple[int, ...]):
        """The same scaling as a Keras ``Normalization`` layer for images of ``input_shape`` (H, W, C).

        Normalization computes ``(x - mean) / sqrt(variance)``; with mean = min and
        variance = range² that is min-max scaling. It is a built-in layer, so a saved model loads
        (and scales) anywhere, without dogcat_lib.
        """
        if ImageSpec.from_shape(input_shape).n_pixels != self.data_min.size:
            raise DatasetError(
                f"the scaler was fitted on {self.data_min.size} pixels, the model takes {input_shape}"
            )
        mean = self.data_min.reshape(input_shape)
        variance = np.square(self.data_range).reshape(input_shape)
        return keras.layers.Normalization(
            axis=tuple(range(1, len(input_shape) + 1)),
            mean=mean.tolist(),
            variance=variance.tolist(),
            name="minmax_scaling",
        )


def fit_scaler(X_train: np.ndarray) -> PixelScaler:
    """Learn per-pixel min and max from the TRAINING rows only. X_train: (n, D) uint8."""
    X_train = np.asarray(X_train)
    if X_train.ndim != 2 or len(X_train) == 0:
        raise DatasetError(f"fit the scaler on training rows (n, pixels), got shape {X_train.shape}")
    return PixelScaler(X_train.min(axis=0).astype(np.float32), X_train.max(axis=0).astype(np.float32))


def leak_report(X_train: np.ndarray, X_test: np.ndarray) -> dict[str, float]:
    """How the course's second scaler (fitted on the test rows) differs from the leak-free one.

    Both scale the same test rows; returns the share of test pixel values that come out
    different, the largest and mean absolute difference, and the share of test values that
    fall outside [0, 1] under the training scaler (the course's scaler hides these: it forces
    every test pixel into [0, 1] using the test set's own extremes). Notebook 02, "Split and scale".
    """
    fitted_on_train, fitted_on_test = fit_scaler(X_train), fit_scaler(X_test)
    changed = outside = 0
    total = max_diff = 0.0
    for start in range(0, len(X_test), 1024):  # in chunks: float32 copies of 25,000 rows are 640 MB
        rows = X_test[start : start + 1024]
        ours, course = fitted_on_train.transform(rows), fitted_on_test.transform(rows)
        diff = np.abs(ours - course)
        changed += int(np.count_nonzero(diff > 1e-6))
        outside += int(np.count_nonzero((ours < 0) | (ours > 1)))
        total += float(diff.sum(dtype=np.float64))
        max_diff = max(max_diff, float(diff.max()))
    n = X_test.size
    return {
        "changed_share": changed / n,
        "max_abs_diff": max_diff,
        "mean_abs_diff": total / n,
        "outside_0_1_share": outside / n,
    }
