"""Fit a model with the callbacks a long run needs (notebook 02, "Train"; the CLI; notebook 03).

Notebook 02 calls ``model.fit`` itself, as the course does; :func:`train` is that same call for
the CLI and notebook 03: the uint8 ``tf.data`` pipeline, the callbacks of
:func:`~dogcat_lib.learn.callbacks.training_callbacks`, and a :class:`TrainingHistory` that
reads like Keras' ``History``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import keras
import numpy as np
import pandas as pd

from ..data.imagespec import ImageSpec
from ..plumbing.errors import DogcatError
from .callbacks import COURSE_COLUMNS, EpochTimer, ResumableTraining, TimeLimit, training_callbacks
from .pipeline import make_dataset
from .runtime import set_seed


@dataclass
class TrainingHistory:
    """What :func:`train` returns: Keras' ``History`` figures and how the training went.

    ``history`` is the dict ``model.fit`` returns in ``History.history`` (``history.history
    ["accuracy"]`` works as in the course), covering every epoch, those before a resume too;
    ``epoch`` its 0-based epochs; ``seconds`` per epoch; ``best_epoch`` (1-based) the lowest
    validation loss, whose weights the model holds; ``stopped_by`` why training ended;
    ``resumed_from``: the epochs an earlier, interrupted run had done. :meth:`frame` gives one
    DataFrame row per epoch.
    """

    history: dict[str, list[float]]
    epoch: list[int]
    seconds: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped_by: str = ""
    resumed_from: int = 0

    @property
    def epochs_run(self) -> int:
        return len(self.epoch)

    def frame(self) -> pd.DataFrame:
        """``epoch`` (from 1), the course's columns (loss, accuracy, val_loss, val_accuracy), then
        the rest (``learning_rate``...) and ``seconds``."""
        frame = pd.DataFrame({k: v for k, v in self.history.items() if k != "seconds"})
        first = [c for c in COURSE_COLUMNS if c in frame]
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
    resume: bool = True,
) -> TrainingHistory:
    """Fit ``model`` on ``data`` (:class:`~dogcat_lib.learn.scaling.Splits`) with :func:`training_callbacks`.

    The uint8 rows go through :func:`~dogcat_lib.learn.pipeline.make_dataset` (the training rows
    shuffled each epoch, seeded). The model ends with the best epoch's weights whatever stopped
    it. With ``out_dir``, each epoch leaves the folder ready to resume, an interrupted run found
    there is continued (``resume=False``: refused), and the end writes ``model.keras`` and
    ``history.csv`` (see :class:`~dogcat_lib.learn.callbacks.ResumableTraining`).
    """
    if epochs < 1 or batch_size < 1:
        raise DogcatError(f"epochs and batch_size must be positive (got {epochs}, {batch_size})")
    input_shape = ImageSpec.from_model(model).shape
    set_seed(seed)
    replicas = model.distribute_strategy.num_replicas_in_sync
    train_ds = make_dataset(data.X_train, data.y_train, input_shape, batch_size, True, seed, replicas)
    val_ds = make_dataset(data.X_val, data.y_val, input_shape, batch_size, replicas=replicas)
    settings = {"seed": seed, "batch_size": batch_size, "train_rows": len(data.y_train)}
    used = training_callbacks(
        out_dir, patience, max_minutes, reduce_lr_patience, resume=resume, settings=settings
    )
    # shuffle=False: train_ds reshuffles itself each epoch (seeded); Keras does not reshuffle a Dataset
    fit = model.fit(
        train_ds, validation_data=val_ds, epochs=epochs, callbacks=used + list(callbacks or []),
        verbose=verbose, shuffle=False,
    )  # fmt: skip
    return summarize(fit, used, epochs, patience)


def summarize(fit: keras.callbacks.History, callbacks: list, epochs: int, patience: int) -> TrainingHistory:
    """A :class:`TrainingHistory` from ``model.fit``'s History and the callbacks it ran with
    (those of an interrupted run included, when :class:`ResumableTraining` continued it)."""

    def find(kind):
        return next((c for c in callbacks if isinstance(c, kind)), None)

    timer, limit, run = find(EpochTimer), find(TimeLimit), find(ResumableTraining)
    stopper = find(keras.callbacks.EarlyStopping)
    if run is not None:
        logs = run.epochs
        history = {k: [e[k] for e in logs if k in e] for k in dict.fromkeys(k for e in logs for k in e)}
        epoch_numbers = list(range(len(logs)))
    else:
        history = {k: [float(v) for v in values] for k, values in fit.history.items()}
        epoch_numbers = list(fit.epoch)
    seconds = history.pop("seconds", timer.seconds if timer else [])
    val_loss = history.get("val_loss", [])
    if limit is not None and limit.stopped:
        reason = f"time limit ({limit.seconds / 60:g} min)"
    elif stopper is not None and stopper.stopped_epoch > 0:
        reason = f"early stopping (no better val_loss for {patience} epochs)"
    else:
        reason = f"all {epochs} epochs"
    return TrainingHistory(
        history=history,
        epoch=epoch_numbers,
        seconds=list(seconds),
        best_epoch=int(np.argmin(val_loss)) + 1 if val_loss else 0,
        stopped_by=reason,
        resumed_from=run.resumed_from if run is not None else 0,
    )
