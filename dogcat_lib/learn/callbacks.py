"""The callbacks a long training run needs (notebook 02, "Train"): early stopping, a time budget,
seconds per epoch, and a run folder that survives a Colab disconnect.

The course calls ``model.fit(X, y, epochs=100, batch_size=100, validation_split=0.3)``; notebook 02
calls the same ``fit`` with ``callbacks=training_callbacks(OUT_DIR, ...)``. On Colab ``OUT_DIR`` is
on Google Drive, so when the runtime is reset, running the cell again continues where it stopped.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import keras
import numpy as np

from ..plumbing.atomic import atomic_write_bytes
from ..plumbing.errors import DogcatError
from .modelfile import save_model

MODEL_FILE = "model.keras"  # the finished run's model (best epoch)
HISTORY_FILE = "history.csv"  # one row per epoch, rewritten after each epoch
_BEST_FILE = "checkpoint.keras"  # the best epoch so far (lowest val_loss)
_BACKUP_FILE = "backup.keras"  # the last epoch, optimizer state included: where a resume starts
_PROGRESS_FILE = "progress.json"  # every epoch's logs and what the run is
COURSE_COLUMNS = ("loss", "accuracy", "val_loss", "val_accuracy")


class TimeLimit(keras.callbacks.Callback):
    """Stop before an epoch that would end past ``minutes`` (judged by the mean epoch so far).

    ``spent`` and ``epochs`` count what earlier, interrupted runs of the same training used.
    """

    def __init__(self, minutes: float):
        super().__init__()
        self.seconds = minutes * 60.0
        self.stopped = False
        self.spent, self.epochs = 0.0, 0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.spent, self.epochs, self.stopped = 0.0, 0, False

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1
        elapsed = self.spent + time.perf_counter() - self.start
        if elapsed + elapsed / self.epochs > self.seconds:
            self.stopped = True
            self.model.stop_training = True


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of each epoch, in ``seconds`` (and in the logs, as ``seconds``)."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        if logs is not None:
            logs["seconds"] = self.seconds[-1]


def _plateau(values: list[float], patience: int | None = None) -> tuple[float | None, int, int]:
    """(best value, its 0-based epoch, epochs waited since) after ``values``, as Keras counts them;
    with ``patience`` the wait restarts whenever it reaches it (ReduceLROnPlateau's rule)."""
    best, best_epoch, wait = None, 0, 0
    for epoch, value in enumerate(values):
        if best is None or value < best:
            best, best_epoch, wait = value, epoch, 0
        else:
            wait += 1
            if patience is not None and wait >= patience:
                wait = 0
    return best, best_epoch, wait


class ResumableTraining(keras.callbacks.Callback):
    """Keeps a run folder ready to resume after a disconnect, and completes it at the end.

    After every epoch, each file written atomically (an interruption mid-write leaves the previous
    one whole): ``backup.keras`` (the model with its optimizer state), ``checkpoint.keras`` (the
    best epoch so far), ``history.csv`` (every epoch so far) and ``progress.json``. When ``fit``
    starts on a folder holding an unfinished run of the same model and data, training continues
    after the last saved epoch: weights and optimizer state are loaded, and early stopping, the
    learning-rate plateau, the time budget and the epoch timer are set as if it had never
    stopped. ``resume=False`` refuses to touch such a folder instead. At the end, ``model.keras``
    is written (the weights the model ends with: the best epoch's) and the backup files removed.
    ``others``: the callbacks whose state it restores; it must run after them (last in the list).
    ``settings``: what else must match for a run to be continued (e.g. the seed).
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        others: list[keras.callbacks.Callback] = (),
        resume: bool = True,
        settings: dict | None = None,
    ):
        super().__init__()
        self.folder = Path(folder)
        self.others = list(others)
        self.resume = resume
        self.settings = dict(settings or {})
        self.epochs: list[dict[str, float]] = []
        self.resumed_from = 0
        self._best: float | None = None

    # ------------------------------------------------------------------ starting / resuming
    def on_train_begin(self, logs=None):
        self.folder.mkdir(parents=True, exist_ok=True)
        self.settings.update(self._fingerprint())
        self.epochs, self.resumed_from, self._best = [], 0, None
        saved = read_progress(self.folder)
        if saved is None:
            return
        done = len(saved["epochs"])
        if not self.resume:
            raise DogcatError(
                f"{self.folder} holds an interrupted run ({done} epochs done): continue it "
                "(--resume, or resume=True) or start over (--overwrite, or another folder)"
            )
        if saved["settings"] != self.settings:
            changed = sorted(k for k in {**saved["settings"], **self.settings}
                             if saved["settings"].get(k) != self.settings.get(k))  # fmt: skip
            raise DogcatError(
                f"{self.folder} holds an interrupted run of another model or data ({', '.join(changed)} "
                "differ): use the same settings to continue it, or another output folder"
            )
        if not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        self.model.load_weights(self.folder / _BACKUP_FILE)  # the weights and the optimizer's state
        self.epochs, self.resumed_from = saved["epochs"], done
        self.model._initial_epoch = done  # as keras.callbacks.BackupAndRestore continues a fit
        self._restore_callbacks()
        print(f"resuming the interrupted run in {self.folder}: {done} epochs done, on with epoch {done + 1}")

    def _fingerprint(self) -> dict:
        return {
            "model": self.model.name,
            "layers": [type(layer).__name__ for layer in self.model.layers],
            "parameters": int(self.model.count_params()),
            "input_shape": list(self.model.input_shape[1:]),
            "steps_per_epoch": self.params.get("steps"),
        }

    def _restore_callbacks(self) -> None:
        val_loss = [e["val_loss"] for e in self.epochs if "val_loss" in e]
        self._best = _plateau(val_loss)[0]
        for callback in self.others:
            if isinstance(callback, keras.callbacks.EarlyStopping):
                callback.best, callback.best_epoch, callback.wait = _plateau(val_loss)
                best_file = self.folder / _BEST_FILE
                if callback.restore_best_weights and best_file.is_file():
                    callback.best_weights = keras.saving.load_model(best_file, compile=False).get_weights()
            elif isinstance(callback, keras.callbacks.ReduceLROnPlateau):
                callback.best, _, callback.wait = _plateau(val_loss, callback.patience)
                if "learning_rate" in self.epochs[-1]:
                    self.model.optimizer.learning_rate = self.epochs[-1]["learning_rate"]
            elif isinstance(callback, TimeLimit):
                callback.spent = sum(e.get("seconds", 0.0) for e in self.epochs)
                callback.epochs = len(self.epochs)
            elif isinstance(callback, EpochTimer):
                callback.seconds = [e.get("seconds", 0.0) for e in self.epochs]

    # ------------------------------------------------------------------ each epoch
    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items() if np.isscalar(v)}
        self.epochs.append(logs)
        val_loss = logs.get("val_loss")
        if val_loss is not None and (self._best is None or val_loss < self._best):
            self._best = val_loss
            save_model(self.model, self.folder / _BEST_FILE)
        save_model(self.model, self.folder / _BACKUP_FILE)
        atomic_write_bytes(self.folder / HISTORY_FILE, history_csv(self.epochs).encode())
        progress = {"settings": self.settings, "epochs": self.epochs}
        atomic_write_bytes(self.folder / _PROGRESS_FILE, json.dumps(progress, indent=1).encode())

    # ------------------------------------------------------------------ the end
    def on_train_end(self, logs=None):
        self.model._initial_epoch = None  # a later fit() starts at its own initial_epoch again
        if self.resumed_from and getattr(self.model, "history", None) is not None:
            # what fit() returns covers the epochs before the interruption too
            history = self.model.history
            history.epoch = list(range(len(self.epochs)))
            history.history = {k: [e[k] for e in self.epochs if k in e] for k in self.epochs[-1]}
        save_model(self.model, self.folder / MODEL_FILE)
        for name in (_BACKUP_FILE, _BEST_FILE, _PROGRESS_FILE):
            (self.folder / name).unlink(missing_ok=True)


def read_progress(folder: str | os.PathLike) -> dict | None:
    """The ``progress.json`` of an unfinished run in ``folder``, or None (no run, or a finished one)."""
    path = Path(folder) / _PROGRESS_FILE
    if not (path.is_file() and (Path(folder) / _BACKUP_FILE).is_file()):
        return None
    try:
        progress = json.loads(path.read_text())
        return progress if progress.get("epochs") else None
    except (OSError, ValueError):
        return None  # unreadable: nothing to resume from


def clear_run(folder: str | os.PathLike) -> None:
    """Remove what a training run wrote into ``folder`` (to start over); nothing else is touched."""
    for name in (MODEL_FILE, HISTORY_FILE, _BEST_FILE, _BACKUP_FILE, _PROGRESS_FILE):
        (Path(folder) / name).unlink(missing_ok=True)


def history_csv(epochs: list[dict[str, float]]) -> str:
    """``epoch,loss,accuracy,val_loss,val_accuracy,...`` (the course's columns first), one row per epoch."""
    keys = [k for k in COURSE_COLUMNS if any(k in e for e in epochs)]
    keys += [*sorted({k for e in epochs for k in e} - set(keys) - {"seconds"}), "seconds"]
    lines = [",".join(["epoch", *keys])]
    for number, logs in enumerate(epochs, start=1):
        lines.append(",".join([str(number), *(repr(logs[k]) if k in logs else "" for k in keys)]))
    return "\n".join(lines) + "\n"


def training_callbacks(
    out_dir: str | os.PathLike | None = None,
    patience: int = 10,
    max_minutes: float | None = None,
    reduce_lr_patience: int | None = None,
    *,
    resume: bool = True,
    settings: dict | None = None,
) -> list[keras.callbacks.Callback]:
    """The callbacks for ``model.fit(..., callbacks=...)``, in the order they must run:

    - with ``reduce_lr_patience``: ``ReduceLROnPlateau``, halving the learning rate on a plateau;
    - ``EarlyStopping`` on the validation loss (``patience`` epochs), restoring the best weights;
    - ``EpochTimer``: seconds per epoch;
    - with ``max_minutes``: ``TimeLimit``, which stops before an epoch would overrun the budget,
      counting the time of earlier, interrupted runs;
    - with ``out_dir``: :class:`ResumableTraining` (``resume``, ``settings``: see there).
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
        used.append(ResumableTraining(out_dir, others=used, resume=resume, settings=settings))
    return used
