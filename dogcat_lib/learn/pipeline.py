"""uint8 CSV rows -> ``tf.data`` batches of images (``dogcat train``; notebook 02 shows why, section 6).

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
from .runtime import get_strategy


def make_dataset(
    X: np.ndarray,
    y: np.ndarray | None,
    spec: ImageSpec,
    batch_size: int = 100,
    shuffle: bool = False,
    seed: int = 0,
    replicas: int | None = None,
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of (images float32 (b, H, W, C), labels float32 (b,)) from uint8 rows.

    X: (n, H*W*C) uint8, kept as it is (no float copy of the whole array); only a shuffled
    index (8 bytes per row) is held by the pipeline. ``y=None`` gives images only (prediction).
    ``shuffle`` reshuffles every epoch, seeded. ``batch_size`` is the global batch: under a
    ``MirroredStrategy`` (or TPU) of ``replicas`` devices (default: the strategy's, see
    :func:`~dogcat_lib.learn.runtime.get_strategy`), Keras splits each batch between them,
    and TensorFlow fails on a device left with an empty or unequal first batch; so with
    ``replicas > 1`` the batch is rounded up to a multiple of ``replicas`` and the last
    ``n % replicas`` rows (fewer than ``replicas``; other ones each epoch when shuffled) are left
    out. :func:`~dogcat_lib.learn.evaluation.predict_proba` pads instead, so it predicts every row.
    """
    X = np.ascontiguousarray(X)
    if X.ndim != 2 or X.shape[1] != spec.n_pixels:
        raise DatasetError(
            f"rows of {X.shape[1] if X.ndim == 2 else X.shape} pixels do not fit the model's input "
            f"{spec.shape} ({spec.n_pixels} pixels)"
        )
    images = tf.constant(X)
    labels = None if y is None else tf.constant(np.asarray(y, np.float32))
    shape = tf.constant([-1, *spec.shape])

    def gather(index):
        batch = tf.reshape(tf.cast(tf.gather(images, index), tf.float32), shape)
        return batch if labels is None else (batch, tf.gather(labels, index))

    if replicas is None:
        replicas = get_strategy().num_replicas_in_sync
    n = len(X)
    ds = tf.data.Dataset.range(n)
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    if replicas > 1:  # every batch, the last one too, splits evenly between the devices
        batch_size = -(-batch_size // replicas) * replicas
        ds = ds.take(n - n % replicas)
    ds = ds.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)
