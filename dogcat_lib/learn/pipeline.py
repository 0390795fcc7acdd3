"""uint8 CSV rows -> ``tf.data`` batches of images (``dogcat train``; notebook 02 says why, section 4).

The pixels stay uint8 all the way into the input pipeline: each batch is gathered, reshaped to
(H, W, C) and cast to float32 only when the model asks for it, and the scaling is the model's
first layer. The course's route (an int64 DataFrame, then float64 arrays from ``MinMaxScaler``)
holds ~1.3 GB for 25,000 photos where this holds 160 MB.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ..data.imagespec import ImageSpec
from ..plumbing.errors import DatasetError


def check_fits(X: np.ndarray, spec: ImageSpec, what: str = "the CSV") -> None:
    """Raise DatasetError unless X is rows of the photos ``spec`` describes (the model's input),
    naming both shapes: ``what`` (the CSV) holds one, the model takes the other."""
    n_pixels = X.shape[1] if X.ndim == 2 else None
    if n_pixels != spec.n_pixels:
        try:
            have = f"{ImageSpec.from_pixels(n_pixels).describe()} per row"
        except (DatasetError, TypeError):  # a width that is no photo's, or not rows at all
            have = f"{n_pixels:,} values per row" if n_pixels else f"an array of shape {X.shape}"
        raise DatasetError(
            f"{what} holds {have} but the model takes {spec.describe()}: "
            "preprocess the photos with the model's --size/--color, or train a model on this CSV"
        )


def make_dataset(
    X: np.ndarray,
    y: np.ndarray | None,
    spec: ImageSpec,
    batch_size: int = 100,
    shuffle: bool = False,
    seed: int = 0,
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of (images float32 (b, H, W, C), labels float32 (b,)) from uint8 rows.

    X: (n, H*W*C) uint8 rows of photos of ``spec``, kept as they are (no float copy of the whole
    array); only a shuffled index (8 bytes per row) is held by the pipeline. ``y=None`` gives
    images only (prediction). ``shuffle`` reshuffles every epoch, seeded.
    """
    X = np.ascontiguousarray(X)
    check_fits(X, spec)
    images = tf.constant(X)
    labels = None if y is None else tf.constant(np.asarray(y, np.float32))
    shape = tf.constant([-1, *spec.shape])

    def gather(index):
        batch = tf.reshape(tf.cast(tf.gather(images, index), tf.float32), shape)
        return batch if labels is None else (batch, tf.gather(labels, index))

    ds = tf.data.Dataset.range(len(X))
    if shuffle:
        ds = ds.shuffle(len(X), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)
