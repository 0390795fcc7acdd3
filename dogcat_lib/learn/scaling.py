"""Split the CSV's rows and scale them without leaking the test set (notebook 02, sections 2 and 4).

The course splits 70/30, then fits one ``MinMaxScaler`` on the training rows and a *second* one
on the test rows: test statistics leak into the evaluation, and the two sets are scaled
differently. Here the split is stratified and seeded, and the scaling is fitted once, on the
training rows only, and travels inside the model as its first layer, so the pixels stay uint8
(1 byte each) until they reach the model and a saved model scales new photos as it was trained.
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


def split_dataset(
    X: np.ndarray, y: np.ndarray, test_size: float = 0.3, val_size: float = 0.3, seed: int = 0
) -> Splits:
    """Seeded, stratified train/validation/test split: notebook 02's two ``train_test_split`` calls.

    The course holds out ``test_size`` (0.3) of the rows for testing, then lets ``model.fit``
    hold out ``val_size`` (0.3) of the rest for validation: of 25,000 photos that is 12,250
    train, 5,250 validation and 7,500 test. Here both are ``train_test_split(...,
    random_state=seed, stratify=...)``, so every part keeps the cat/dog ratio.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.shape != (len(X),):
        raise DatasetError(f"expected X (rows, pixels) and y (rows,), got {X.shape} and {y.shape}")
    for name, value in (("test_size", test_size), ("val_size", val_size)):
        if not 0.0 < value < 1.0:
            raise DatasetError(f"{name} must be a fraction between 0 and 1, not {value}")
    classes = np.unique(y)
    if len(classes) == 1 and int(classes[0]) in (0, 1):  # (no rows: the split below says so)
        raise DatasetError(
            f"all {len(y):,} rows are {CLASS_NAMES[int(classes[0])]}s: telling cats from dogs needs "
            "photos of both (was the CSV made from one class's folder, or cut by --limit?)"
        )
    held_out = []  # the test rows, then the validation rows
    for fraction in (test_size, val_size):
        what = "the validation set off the rest" if held_out else "the test set off the CSV's rows"
        try:
            X_rest, X_held, y_rest, y_held = train_test_split(
                X, y, test_size=fraction, random_state=seed, stratify=y
            )
        except ValueError as exc:  # too few rows of a class for a stratified split
            raise DatasetError(
                f"cannot split {what} ({len(y)} rows, {np.bincount(y, minlength=2).tolist()} cat/dog) "
                f"with a {fraction:g} share stratified by class: {exc}. Use more photos."
            ) from exc
        held_out.append((X_held, y_held))
        X, y = X_rest, y_rest
    (X_test, y_test), (X_val, y_val) = held_out
    return Splits(X, y, X_val, y_val, X_test, y_test)


def fit_scaler(X_train: np.ndarray, shape: tuple[int, int, int]) -> keras.layers.Normalization:
    """Min-max scaling learnt from the TRAINING rows only, as a Keras layer for images of ``shape``.

    The same numbers as ``MinMaxScaler().fit(X_train)`` (a constant pixel gets range 1), as the
    built-in ``Normalization`` layer: ``(x - mean) / sqrt(variance)`` with mean = min and
    variance = range² is min-max scaling, and a saved model loads (and scales) anywhere.
    X_train: (n, D) uint8 rows; notebook 02, section 4.
    """
    X_train = np.asarray(X_train)
    if X_train.ndim != 2 or len(X_train) == 0:
        raise DatasetError(f"fit the scaler on training rows (n, pixels), got shape {X_train.shape}")
    if ImageSpec.from_shape(shape).n_pixels != X_train.shape[1]:
        raise DatasetError(f"rows of {X_train.shape[1]} pixels do not fit images of shape {tuple(shape)}")
    low = X_train.min(axis=0).astype(np.float32)
    span = X_train.max(axis=0).astype(np.float32) - low
    return keras.layers.Normalization(
        axis=(1, 2, 3),
        mean=low.reshape(shape).tolist(),  # lists: the model's config is saved as JSON
        variance=np.square(np.where(span > 0, span, 1.0)).reshape(shape).tolist(),
        name="minmax_scaling",
    )
