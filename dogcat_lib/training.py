"""Train and evaluate a model on the CSV's rows (notebook 02, "Training" and "Evaluation").

The pixels stay uint8 all the way into the input pipeline: each batch is gathered, reshaped to
(H, W, C) and cast to float32 only when the model asks for it, and the scaling is the model's
first layer. The course's route (an int64 DataFrame, then float64 arrays from ``MinMaxScaler``)
holds ~1.3 GB for 25,000 photos where this holds 160 MB.
"""

from __future__ import annotations

import glob
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DatasetError, DogcatError
from .images import image_shape


def get_strategy():
    """The ``tf.distribute`` strategy for this machine: a TPU (Colab), all GPUs, or the CPU default.

    TPUs are looked for only where one can exist (Colab's ``COLAB_TPU_ADDR``, ``TPU_NAME``, or a
    TPU VM's ``/dev/accel*``), so a plain machine never waits on a metadata server.
    """
    import tensorflow as tf

    if os.environ.get("COLAB_TPU_ADDR") or os.environ.get("TPU_NAME") or glob.glob("/dev/accel*"):
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            return tf.distribute.TPUStrategy(resolver)
        except (ValueError, RuntimeError, tf.errors.OpError):
            pass  # no usable TPU after all: fall through to GPUs or the CPU
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()  # the default: one GPU if there is one, else the CPU


def make_dataset(
    X: np.ndarray,
    y: np.ndarray | None,
    input_shape: tuple[int, int, int],
    batch_size: int = 100,
    shuffle: bool = False,
    seed: int = 0,
):
    """A ``tf.data.Dataset`` of (images float32 (b, H, W, C), labels) batches from uint8 rows.

    X: (n, H*W*C) uint8, kept as it is (no float copy of the whole array); only a shuffled
    index (8 bytes per row) is held by the pipeline. ``y=None`` gives images only (prediction).
    """
    import tensorflow as tf

    X = np.ascontiguousarray(X)
    if X.ndim != 2 or X.shape[1] != int(np.prod(input_shape)):
        raise DatasetError(
            f"rows of {X.shape[1] if X.ndim == 2 else X.shape} pixels do not fit the model's input "
            f"{tuple(input_shape)} ({int(np.prod(input_shape))} pixels)"
        )
    images = tf.constant(X)
    labels = None if y is None else tf.constant(np.asarray(y, np.float32))
    shape = tf.constant([-1, *input_shape])

    def gather(index):
        batch = tf.reshape(tf.cast(tf.gather(images, index), tf.float32), shape)
        return batch if labels is None else (batch, tf.gather(labels, index))

    ds = tf.data.Dataset.range(len(X))
    if shuffle:
        ds = ds.shuffle(len(X), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def _time_limit_callback(max_minutes: float):
    import keras

    class TimeLimit(keras.callbacks.Callback):
        """Stop before an epoch that would end past the budget (judged by the mean epoch so far)."""

        def __init__(self, seconds: float):
            super().__init__()
            self.seconds = seconds
            self.stopped = False

        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            elapsed = time.perf_counter() - self.start
            per_epoch = elapsed / (epoch + 1)
            if elapsed + per_epoch > self.seconds:
                self.stopped = True
                self.model.stop_training = True

    return TimeLimit(max_minutes * 60.0)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow (``keras.utils.set_random_seed``): a CPU run repeats."""
    import keras

    keras.utils.set_random_seed(seed)


def train(
    model,
    data,
    epochs: int = 100,
    batch_size: int = 100,
    out_dir: str | os.PathLike | None = None,
    patience: int = 10,
    max_minutes: float | None = None,
    seed: int = 0,
    verbose: int | str = "auto",
    callbacks: list | None = None,
    reduce_lr_patience: int | None = None,
):
    """Fit ``model`` on ``data`` (a :class:`~dogcat_lib.scaling.Splits`); the history as a DataFrame.

    EarlyStopping on validation loss (``patience`` epochs) restores the best epoch's weights
    when training ends for any reason, ``max_minutes`` included. With ``out_dir``: a
    ModelCheckpoint keeps the best model so far in ``checkpoint.keras`` while training (it
    survives a Colab disconnect), CSVLogger writes each epoch to ``history.csv.partial``, and at
    the end the best model is saved as ``model.keras`` and the log becomes ``history.csv``, each
    written atomically. The DataFrame has one row per epoch (``epoch`` from 1, ``loss``,
    ``accuracy``, ``val_loss``, ``val_accuracy``, ``seconds``) and ``attrs`` with the best epoch
    and why training stopped. ``reduce_lr_patience``: halve the learning rate after that many
    epochs without a better validation loss (ReduceLROnPlateau; the history gains a
    ``learning_rate`` column).
    """
    import keras
    import pandas as pd

    if epochs < 1 or batch_size < 1:
        raise DogcatError(f"epochs and batch_size must be positive (got {epochs}, {batch_size})")
    input_shape = tuple(model.input_shape[1:])
    set_seed(seed)
    train_ds = make_dataset(data.X_train, data.y_train, input_shape, batch_size, shuffle=True, seed=seed)
    val_ds = make_dataset(data.X_val, data.y_val, input_shape, batch_size)

    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    timer = _EpochTimer()
    used = [stopper, timer, *(callbacks or [])]
    if reduce_lr_patience is not None:
        used.insert(
            0, keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=reduce_lr_patience, min_lr=1e-6)
        )
    limit = None
    if max_minutes is not None:
        limit = _time_limit_callback(max_minutes)
        used.append(limit)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        checkpoint = keras.callbacks.ModelCheckpoint(
            out / "checkpoint.keras", monitor="val_loss", save_best_only=True
        )
        used.append(checkpoint)
        used.append(keras.callbacks.CSVLogger(out / "history.csv.partial"))

    # shuffle=False: train_ds reshuffles itself each epoch (seeded); a Dataset is not reshuffled by Keras
    fit = model.fit(
        train_ds, validation_data=val_ds, epochs=epochs, callbacks=used, verbose=verbose, shuffle=False
    )
    history = pd.DataFrame(fit.history)
    first = [c for c in ("loss", "accuracy", "val_loss", "val_accuracy") if c in history]
    history = history[first + [c for c in history if c not in first]]  # the course's order, then extras
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    history["seconds"] = timer.seconds[: len(history)]
    best = int(np.argmin(history["val_loss"].to_numpy())) + 1 if len(history) else 0
    if limit is not None and limit.stopped:
        reason = f"time limit ({max_minutes:g} min)"
    elif stopper.stopped_epoch > 0:
        reason = f"early stopping (no better val_loss for {patience} epochs)"
    else:
        reason = f"all {epochs} epochs"
    history.attrs.update({"best_epoch": best, "stopped_by": reason, "epochs_run": len(history)})
    if out is not None:
        save_model(model, out / "model.keras")
        from .atomic import atomic_write_bytes

        atomic_write_bytes(out / "history.csv", history.to_csv(index=False).encode())
        (out / "history.csv.partial").unlink(missing_ok=True)
        (out / "checkpoint.keras").unlink(missing_ok=True)
    return history


def overfitting_diagnosis(history) -> str:
    """Three lines on what the curves say (notebook 02, "Reading the curves").

    The last epoch's gap between training and validation accuracy, how far the validation loss
    has risen above its lowest point, and a verdict: overfitting when the gap exceeds 0.05 while
    the validation loss rises, "too few epochs" below 5 epochs, otherwise "no clear overfitting".
    """
    last = history.iloc[-1]
    lowest = float(history["val_loss"].min())
    best = int(history["val_loss"].to_numpy().argmin()) + 1
    gap = last["accuracy"] - last["val_accuracy"]
    rise = last["val_loss"] - lowest
    if gap > 0.05 and rise > 0:
        verdict = "overfitting. The model memorises the training photos while validation gets worse."
    elif len(history) < 5:
        verdict = "too few epochs to tell; run with more EPOCHS."
    else:
        verdict = "no clear overfitting yet."
    return (
        f"last epoch {int(last['epoch'])}: accuracy train {last['accuracy']:.3f}, "
        f"validation {last['val_accuracy']:.3f} (gap {gap:+.3f})\n"
        f"validation loss: lowest {lowest:.4f} at epoch {best}, last {last['val_loss']:.4f} ({rise:+.4f})\n"
        f"diagnosis: {verdict}"
    )


class _EpochTimer:
    """Wall-clock seconds per epoch (a Keras callback, built lazily so this module imports without Keras)."""

    def __new__(cls):
        import keras

        class EpochTimer(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.seconds: list[float] = []

            def on_epoch_begin(self, epoch, logs=None):
                self._start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.seconds.append(time.perf_counter() - self._start)

        return EpochTimer()


def save_model(model, path: str | os.PathLike) -> Path:
    """Save ``model`` as a ``.keras`` file atomically (a crash never leaves half a model)."""
    import secrets

    import keras

    path = Path(path)
    if path.suffix != ".keras":
        raise DogcatError(f"{path}: a Keras model file must end in .keras")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp.keras")  # Keras wants the suffix
    try:
        keras.saving.save_model(model, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_model(path: str | os.PathLike):
    """Load a ``.keras`` model, or raise DogcatError saying why it is not one."""
    import zipfile

    import keras

    path = Path(path)
    if not path.is_file():
        raise DogcatError(f"model {path} does not exist: train one with `dogcat train CSV -o runs/NAME`")
    if not zipfile.is_zipfile(path):
        raise DogcatError(f"{path} is not a Keras model (.keras) file")
    try:
        return keras.saving.load_model(path)
    except Exception as exc:  # Keras raises ValueError, KeyError, OSError... for a foreign zip
        raise DogcatError(f"{path} is not a loadable Keras model: {type(exc).__name__}: {exc}") from exc


@dataclass
class Evaluation:
    """Test-set results. ``confusion[i, j]``: photos of class i predicted as j (0 cat, 1 dog)."""

    loss: float
    accuracy: float
    confusion: np.ndarray
    precision: dict[str, float]
    recall: dict[str, float]
    n: int
    proba: np.ndarray = field(repr=False)

    def to_dict(self) -> dict:
        """JSON-ready figures (``metrics.json``), without the per-photo probabilities."""
        return {
            "loss": self.loss,
            "accuracy": self.accuracy,
            "n": self.n,
            "confusion": self.confusion.tolist(),
            "precision": self.precision,
            "recall": self.recall,
        }

    def report(self) -> str:
        """A few lines for a terminal or a notebook."""
        lines = [f"test loss {self.loss:.4f}, accuracy {self.accuracy:.4f} on {self.n:,} photos"]
        for name in ("cat", "dog"):
            lines.append(f"  {name}: precision {self.precision[name]:.3f}, recall {self.recall[name]:.3f}")
        return "\n".join(lines)


def predict_proba(model, X: np.ndarray, batch_size: int = 100) -> np.ndarray:
    """P(dog) for each uint8 row of X: (n,) float32."""
    ds = make_dataset(X, None, tuple(model.input_shape[1:]), batch_size)
    return model.predict(ds, verbose=0).reshape(-1).astype(np.float32)


def evaluate(model, X: np.ndarray, y: np.ndarray, batch_size: int = 100) -> Evaluation:
    """Loss, accuracy, confusion matrix and per-class precision/recall of ``model`` on uint8 rows.

    One pass over the data: the loss is Keras' binary cross-entropy (probabilities clipped to
    [1e-7, 1 - 1e-7]) and accuracy thresholds at 0.5, as ``model.evaluate`` computes them.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y = np.asarray(y).astype(np.int64)
    if len(y) == 0:
        raise DatasetError("nothing to evaluate: no rows")
    proba = predict_proba(model, X, batch_size)
    p = np.clip(proba.astype(np.float64), 1e-7, 1 - 1e-7)
    loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    predicted = (proba > 0.5).astype(np.int64)
    precision, recall, _, _ = precision_recall_fscore_support(y, predicted, labels=[0, 1], zero_division=0.0)
    return Evaluation(
        loss=loss,
        accuracy=float(np.mean(predicted == y)),
        confusion=confusion_matrix(y, predicted, labels=[0, 1]),
        precision={"cat": float(precision[0]), "dog": float(precision[1])},
        recall={"cat": float(recall[0]), "dog": float(recall[1])},
        n=len(y),
        proba=proba,
    )


def input_shape_for(X: np.ndarray) -> tuple[int, int, int]:
    """(H, W, C) of the CSV rows in X (``size*size`` gray or ``size*size*3`` RGB columns)."""
    return image_shape(np.asarray(X).shape[1])


def write_metrics(evaluation: Evaluation, path: str | os.PathLike, **extra) -> Path:
    """``metrics.json`` (atomically): the evaluation's figures plus ``extra`` keys."""
    from .atomic import atomic_write_bytes

    return atomic_write_bytes(path, json.dumps({**evaluation.to_dict(), **extra}, indent=2).encode())


def _describe(shape: tuple[int, ...]) -> str:
    if len(shape) == 3 and shape[2] in (1, 3):
        return f"{shape[0]}x{shape[1]} {'gray' if shape[2] == 1 else 'RGB'} ({int(np.prod(shape)):,} values)"
    return str(shape)


def check_fits(model, X: np.ndarray, what: str = "the CSV") -> None:
    """Raise DatasetError (naming both shapes) unless the rows of X fit the model's input."""
    expected = tuple(model.input_shape[1:])
    n_pixels = np.asarray(X).shape[1]
    if n_pixels != int(np.prod(expected)):
        try:
            have = _describe(image_shape(n_pixels))
        except ValueError:
            have = f"{n_pixels:,} values"
        raise DatasetError(
            f"{what} holds {have} per row but the model takes {_describe(expected)}: "
            "preprocess the photos with the model's --size/--color, or train a model on this CSV"
        )


@dataclass
class TrainingRun:
    """What :func:`train_from_csv` produced: the model, its history, the test evaluation, the files."""

    model: object
    history: object
    evaluation: Evaluation
    splits: object
    out_dir: Path
    seconds: float


def train_from_csv(
    csv_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    model_name: str = "reference",
    epochs: int = 100,
    batch_size: int = 100,
    seed: int = 0,
    max_minutes: float | None = None,
    patience: int = 10,
    test_size: float = 0.3,
    val_size: float = 0.3,
    overwrite: bool = False,
    verbose: int | str = 2,
    model_options: dict | None = None,
) -> TrainingRun:
    """The whole of step two (``dogcat train``): CSV -> split -> scale -> train -> evaluate -> files.

    Writes into ``out_dir``: ``model.keras`` (best epoch), ``history.csv``, ``metrics.json``
    (test figures, epochs, seconds, settings) and ``figures/`` (history, confusion matrix,
    mistakes, sample images). ``model_options`` go to the builder (e.g. ``{"weights": None}`` for
    ``transfer``). Everything is checked before anything is written, and an
    ``out_dir`` that already holds a model is refused unless ``overwrite``.
    """
    from .csvio import read_csv
    from .models import MODEL_BUILDERS, TRAINING_DEFAULTS, build_model
    from .plots import plot_confusion_matrix, plot_history, plot_mistakes, plot_sample_grid
    from .scaling import fit_scaler, split_dataset

    out = Path(out_dir)
    if model_name not in MODEL_BUILDERS:
        raise DogcatError(f"unknown model {model_name!r}: choose one of {', '.join(MODEL_BUILDERS)}")
    if (out / "model.keras").exists() and not overwrite:
        raise DogcatError(f"{out} already holds a trained model.keras: choose another -o, or --overwrite it")
    if out.exists() and not out.is_dir():
        raise DogcatError(f"{out} exists and is not a folder")
    X, y = read_csv(csv_path)
    shape = input_shape_for(X)
    splits = split_dataset(X, y, test_size=test_size, val_size=val_size, seed=seed)
    del X, y
    scaler = fit_scaler(splits.X_train)
    model = build_model(model_name, shape, scaling=scaler.layer(shape), seed=seed, **(model_options or {}))
    start = time.perf_counter()
    history = train(
        model, splits, epochs=epochs, batch_size=batch_size, out_dir=out, patience=patience,
        max_minutes=max_minutes, seed=seed, verbose=verbose, **TRAINING_DEFAULTS.get(model_name, {}),
    )  # fmt: skip
    seconds = time.perf_counter() - start
    evaluation = evaluate(model, splits.X_test, splits.y_test, batch_size)
    figures = out / "figures"
    plot_history(history, title=f"{model_name} CNN", path=figures / "history.png")
    plot_confusion_matrix(evaluation.confusion, path=figures / "confusion.png")
    plot_mistakes(splits.X_test, splits.y_test, evaluation.proba, path=figures / "mistakes.png")
    plot_sample_grid(
        splits.X_train, splits.y_train, size=shape[0], color="gray" if shape[2] == 1 else "rgb",
        n=8, path=figures / "samples.png",
    )  # fmt: skip
    import matplotlib.pyplot as plt

    plt.close("all")
    write_metrics(
        evaluation,
        out / "metrics.json",
        model=model_name,
        csv=str(csv_path),
        input_shape=list(shape),
        splits=splits.sizes(),
        epochs_run=history.attrs["epochs_run"],
        best_epoch=history.attrs["best_epoch"],
        stopped_by=history.attrs["stopped_by"],
        max_minutes=max_minutes,
        train_seconds=round(seconds, 1),
        seconds_per_epoch=round(float(history["seconds"].mean()), 2),
        batch_size=batch_size,
        seed=seed,
    )
    return TrainingRun(model, history, evaluation, splits, out, seconds)
