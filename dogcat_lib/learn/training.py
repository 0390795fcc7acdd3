"""Fit a model with the callbacks a long run needs, and save/load it (notebook 02, "Train").

The course calls ``model.fit(X, y, epochs=100, batch_size=100, validation_split=0.3)``. The
notebook does the same with :func:`training_callbacks`; :func:`train` wraps that call for the
CLI and notebook 03: early stopping, a checkpoint of the best model, a per-epoch log, a time
budget, and files written atomically.
"""

from __future__ import annotations

import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from ..plumbing.atomic import atomic_path, atomic_write_bytes
from ..plumbing.errors import DogcatError
from .pipeline import make_dataset
from .runtime import set_seed

_COURSE_ORDER = ("loss", "accuracy", "val_loss", "val_accuracy")


class TimeLimit(keras.callbacks.Callback):
    """Stop before an epoch that would end past ``minutes`` (judged by the mean epoch so far)."""

    def __init__(self, minutes: float):
        super().__init__()
        self.seconds = minutes * 60.0
        self.stopped = False

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1
        elapsed = time.perf_counter() - self.start
        if elapsed + elapsed / self.epochs > self.seconds:
            self.stopped = True
            self.model.stop_training = True


class BestCheckpoint(keras.callbacks.Callback):
    """Keras' ``ModelCheckpoint(save_best_only=True)`` on ``val_loss``, saved atomically.

    The best model so far is written to a temp file and renamed over ``path``, so a full disk or a
    killed run leaves the previous checkpoint whole (Keras' own callback truncates it in place).
    """

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss"):
        super().__init__()
        self.path = Path(path)
        self.monitor = monitor
        self.best = np.inf

    def on_train_begin(self, logs=None):
        self.best = np.inf

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and float(value) < self.best:
            self.best = float(value)
            save_model(self.model, self.path)


class EpochLog(keras.callbacks.Callback):
    """Keras' ``CSVLogger``: every epoch's figures in ``path``, rewritten atomically after each epoch.

    A crash or a full disk leaves the log of the epochs before it (the file is a few KB), never a
    truncated or empty one; nothing is written before the first epoch ends.
    """

    def __init__(self, path: str | os.PathLike):
        super().__init__()
        self.path = Path(path)
        self.rows: list[dict] = []

    def on_train_begin(self, logs=None):
        self.rows = []

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append({"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}})
        atomic_write_bytes(self.path, pd.DataFrame(self.rows).to_csv(index=False).encode())


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of each epoch, in ``seconds`` (also written to the log as ``seconds``)."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        if logs is not None:
            logs["seconds"] = self.seconds[-1]


def training_callbacks(
    out_dir: str | os.PathLike | None = None,
    patience: int = 10,
    max_minutes: float | None = None,
    reduce_lr_patience: int | None = None,
) -> list[keras.callbacks.Callback]:
    """The callbacks a long training run needs, ready for ``model.fit(..., callbacks=...)``.

    - ``EarlyStopping`` on the validation loss, ``patience`` epochs, restoring the best weights;
    - ``EpochTimer``: seconds per epoch;
    - with ``max_minutes``: ``TimeLimit``, which stops before an epoch would overrun the budget;
    - with ``reduce_lr_patience``: ``ReduceLROnPlateau`` halving the learning rate on a plateau;
    - with ``out_dir``: :class:`BestCheckpoint` (the best model so far in ``checkpoint.keras``,
      as Keras' ``ModelCheckpoint``) and :class:`EpochLog` (each epoch in ``history.csv.partial``,
      as ``CSVLogger``), both written atomically.
    """
    used: list[keras.callbacks.Callback] = []
    if reduce_lr_patience is not None:
        used.append(keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=reduce_lr_patience, min_lr=1e-6))
    used += [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True),
        EpochTimer(),
    ]
    if max_minutes is not None:
        used.append(TimeLimit(max_minutes))
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        used.append(EpochLog(out / "history.csv.partial"))  # first: a failed checkpoint keeps the log
        used.append(BestCheckpoint(out / "checkpoint.keras"))
    return used


@dataclass
class TrainingHistory:
    """What :func:`train` returns: Keras' ``History`` figures and how the training went.

    ``history`` is the dict ``model.fit`` returns in ``History.history`` (``history.history
    ["accuracy"]`` works as in the course); ``epoch`` its 0-based epochs; ``seconds`` per epoch;
    ``best_epoch`` (1-based) the lowest validation loss, whose weights the model holds;
    ``stopped_by`` why training ended. :meth:`frame` gives one DataFrame row per epoch.
    """

    history: dict[str, list[float]]
    epoch: list[int]
    seconds: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped_by: str = ""

    @property
    def epochs_run(self) -> int:
        return len(self.epoch)

    def frame(self) -> pd.DataFrame:
        """``epoch`` (from 1), the course's columns (loss, accuracy, val_loss, val_accuracy), then
        the rest (``learning_rate``...) and ``seconds``."""
        frame = pd.DataFrame({k: v for k, v in self.history.items() if k != "seconds"})
        first = [c for c in _COURSE_ORDER if c in frame]
        frame = frame[first + [c for c in frame if c not in first]]
        frame.insert(0, "epoch", np.asarray(self.epoch, dtype=int) + 1)
        frame["seconds"] = self.seconds[: len(frame)]
        return frame


def train(
    model: keras.Model,
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
) -> TrainingHistory:
    """Fit ``model`` on ``data`` (:class:`~dogcat_lib.learn.scaling.Splits`) with :func:`training_callbacks`.

    The uint8 rows go through :func:`~dogcat_lib.learn.pipeline.make_dataset` (the training rows
    shuffled each epoch, seeded). The model ends with the best epoch's weights whatever stopped it. With
    ``out_dir``, at the end the model is saved as ``model.keras`` and the log as ``history.csv``,
    each atomically, and the checkpoint and partial log are removed.
    """
    if epochs < 1 or batch_size < 1:
        raise DogcatError(f"epochs and batch_size must be positive (got {epochs}, {batch_size})")
    input_shape = tuple(model.input_shape[1:])
    set_seed(seed)
    train_ds = make_dataset(data.X_train, data.y_train, input_shape, batch_size, shuffle=True, seed=seed)
    val_ds = make_dataset(data.X_val, data.y_val, input_shape, batch_size)
    used = training_callbacks(out_dir, patience, max_minutes, reduce_lr_patience) + list(callbacks or [])
    # shuffle=False: train_ds reshuffles itself each epoch (seeded); Keras does not reshuffle a Dataset
    fit = model.fit(
        train_ds, validation_data=val_ds, epochs=epochs, callbacks=used, verbose=verbose, shuffle=False
    )
    result = summarize(fit, used, epochs, patience)
    if out_dir is not None:
        out = Path(out_dir)
        save_model(model, out / "model.keras")
        atomic_write_bytes(out / "history.csv", result.frame().to_csv(index=False).encode())
        (out / "history.csv.partial").unlink(missing_ok=True)
        (out / "checkpoint.keras").unlink(missing_ok=True)
    return result


def summarize(fit: keras.callbacks.History, callbacks: list, epochs: int, patience: int) -> TrainingHistory:
    """A :class:`TrainingHistory` from ``model.fit``'s History and the callbacks it ran with."""
    history = {k: [float(v) for v in values] for k, values in fit.history.items() if k != "seconds"}
    timer = next((c for c in callbacks if isinstance(c, EpochTimer)), None)
    limit = next((c for c in callbacks if isinstance(c, TimeLimit)), None)
    stopper = next((c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)), None)
    val_loss = history.get("val_loss", [])
    if limit is not None and limit.stopped:
        reason = f"time limit ({limit.seconds / 60:g} min)"
    elif stopper is not None and stopper.stopped_epoch > 0:
        reason = f"early stopping (no better val_loss for {patience} epochs)"
    else:
        reason = f"all {epochs} epochs"
    return TrainingHistory(
        history=history,
        epoch=list(fit.epoch),
        seconds=list(timer.seconds) if timer else [],
        best_epoch=int(np.argmin(val_loss)) + 1 if val_loss else 0,
        stopped_by=reason,
    )


def save_model(model: keras.Model, path: str | os.PathLike) -> Path:
    """Save ``model`` as a ``.keras`` file atomically (a crash never leaves half a model)."""
    path = Path(path)
    if path.suffix != ".keras":
        raise DogcatError(f"{path}: a Keras model file must end in .keras")
    with atomic_path(path) as tmp:  # Keras writes to a name, and wants the .keras suffix
        keras.saving.save_model(model, tmp)
    return path


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a ``.keras`` model, or raise DogcatError saying why it is not one."""
    path = Path(path)
    if not path.is_file():
        if path.exists():
            raise DogcatError(
                f"model {path} is not a regular file: give the model.keras that `dogcat train` wrote"
            )
        raise DogcatError(f"model {path} does not exist: train one with `dogcat train CSV -o runs/NAME`")
    if not zipfile.is_zipfile(path):
        raise DogcatError(f"{path} is not a Keras model (.keras) file")
    try:
        return keras.saving.load_model(path)
    except Exception as exc:  # Keras raises ValueError, KeyError, OSError... for a foreign zip
        raise DogcatError(f"{path} is not a loadable Keras model: {_first_words(exc)}") from exc


def _first_words(exc: BaseException, limit: int = 240) -> str:
    """``Type: message`` on one line, cut at ``limit`` characters (Keras' messages embed whole configs)."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
