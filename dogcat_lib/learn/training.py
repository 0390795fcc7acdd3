"""Step two end to end (``dogcat train``): the CSV -> split -> scale -> fit -> evaluate -> a run folder.

Notebook 02 writes the same training in its cells: Keras' own callbacks in a visible list
(:func:`training_callbacks` returns that list, and a test proves the two equal). A run folder on
Google Drive survives a Colab disconnect: ``BackupAndRestore`` continues after the last finished
epoch, ``CSVLogger(append=True)`` keeps every epoch's row, and ``ModelCheckpoint`` keeps the best
epoch's model, told the best loss so far when a run continues. Keras has no time budget, so
:class:`TimeBudget` is the one callback written here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filelock
import h5py
import keras
import pandas as pd

from ..data.csvio import read_csv
from ..data.imagespec import ImageSpec
from ..plumbing.atomic import atomic_path, atomic_write_bytes
from ..plumbing.errors import DatasetError, DogcatError
from ..plumbing.paths import check_not_an_input
from .evaluation import Evaluation, evaluate, write_metrics
from .modelfile import _first_words
from .models import MODEL_BUILDERS, TRAINING_DEFAULTS, build_model
from .pipeline import make_dataset
from .scaling import Splits, fit_scaler, split_dataset

MODEL_FILE, HISTORY_FILE, BEST_FILE, BACKUP_DIR = "model.keras", "history.csv", "best.keras", "backup"
SETTINGS_FILE = "run.json"  # what the run is (model, CSV, seed...): a resume must match it
RUN_FIGURES = ("history.png", "confusion.png", "mistakes.png", "samples.png")  # figures/, drawn by the CLI
RUN_FILES = (MODEL_FILE, HISTORY_FILE, "metrics.json", BEST_FILE, SETTINGS_FILE)


class TimeBudget(keras.callbacks.Callback):
    """Times each epoch (``seconds`` in the logs, so ``CSVLogger`` keeps it) and, with ``minutes``,
    stops before an epoch that would end past the budget, judged by the mean epoch so far.

    ``spent`` and ``done``: the seconds and epochs of an earlier, interrupted part of the run.
    """

    def __init__(self, minutes: float | None = None, spent: float = 0.0, done: int = 0):
        super().__init__()
        self.minutes, self.spent, self.done, self.stopped = minutes, spent, done, False

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.start
        self.spent, self.done = self.spent + seconds, self.done + 1
        if logs is not None:
            logs["seconds"] = seconds
        if self.minutes is not None and self.spent + self.spent / self.done > self.minutes * 60:
            self.stopped = self.model.stop_training = True


def training_callbacks(
    run_dir: str | os.PathLike,
    patience: int = 10,
    best_so_far: float | None = None,
    reduce_lr_patience: int | None = None,
    budget: TimeBudget | None = None,
) -> list[keras.callbacks.Callback]:
    """Notebook 02's callbacks, in order: early stopping, the best model, the log, the backup.

    ``best_so_far``: the lowest validation loss of an interrupted run (``history.csv``), so that
    the first epoch after a resume does not replace a better checkpoint. ``reduce_lr_patience``
    halves the learning rate on a plateau (the improved model); ``budget`` times the epochs
    (before the log, which records its ``seconds``).
    """
    run_dir = Path(run_dir)
    callbacks: list[keras.callbacks.Callback] = []
    if reduce_lr_patience is not None:
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=reduce_lr_patience, min_lr=1e-6)
        )
    callbacks += [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True),
        *([budget] if budget is not None else []),
        keras.callbacks.ModelCheckpoint(
            run_dir / BEST_FILE, monitor="val_loss", save_best_only=True, initial_value_threshold=best_so_far
        ),
        keras.callbacks.CSVLogger(run_dir / HISTORY_FILE, append=True),
        keras.callbacks.BackupAndRestore(backup_dir=run_dir / BACKUP_DIR),
    ]
    return callbacks


def read_history(run_dir: str | os.PathLike) -> pd.DataFrame:
    """``history.csv`` of a run, one row per epoch (an epoch logged twice across a resume: the last).

    Columns ``epoch`` (from 1; Keras' ``CSVLogger`` writes it from 0), ``loss``, ``accuracy``,
    ``val_loss``, ``val_accuracy`` and what else the callbacks logged; empty when there is none.
    """
    path = Path(run_dir) / HISTORY_FILE
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame(columns=["epoch"])
    frame = pd.read_csv(path).drop_duplicates("epoch", keep="last").sort_values("epoch")
    return frame.assign(epoch=frame["epoch"] + 1).reset_index(drop=True)


@dataclass
class TrainingRun:
    """What :func:`train_from_csv` produced: the model, its history, the test evaluation, the files."""

    model: keras.Model
    history: pd.DataFrame  # every epoch of the run, those before a resume too
    evaluation: Evaluation
    splits: Splits
    out_dir: Path
    seconds: float
    resumed_from: int  # the epochs an earlier, interrupted part of the run had done
    stopped_by: str

    @property
    def best_epoch(self) -> int:
        """The epoch (from 1) with the lowest validation loss: the weights the model holds."""
        return int(self.history["val_loss"].to_numpy().argmin()) + 1


def _check_run_folder(out: Path, csv_path, overwrite: bool, resume: bool, epochs: int) -> tuple:
    """(settings, epochs done) of an interrupted run in ``out`` to continue, or (None, 0); DogcatError
    when the folder holds what must not be touched without ``overwrite``, or a damaged run."""
    if out.exists() and not out.is_dir():
        raise DogcatError(f"{out} exists and is not a folder")
    for written in [out / name for name in RUN_FILES] + [out / "figures" / name for name in RUN_FIGURES]:
        check_not_an_input(written, [csv_path], option="the run's file", fix="choose another -o folder")
    if not (out / BACKUP_DIR).is_dir():
        held = [n for n in (MODEL_FILE, "metrics.json", HISTORY_FILE, "figures") if (out / n).exists()]
        if held and not overwrite:
            raise DogcatError(f"{out} already holds {', '.join(held)}: choose another -o, or --overwrite it")
        return None, 0
    if overwrite and not resume:
        return None, 0
    settings, done = _read_run(out)
    if not resume:
        raise DogcatError(
            f"{out} holds an interrupted run ({done} epochs done): --resume to continue it, "
            "or --overwrite to start over"
        )
    if epochs < done:
        raise DogcatError(f"--epochs {epochs} is below the {done} epochs done in {out}: give {done} or more")
    return settings, done


def _read_run(out: Path) -> tuple[dict, int]:
    """Every file a resume reads, opened now: a damaged one is named here, not deep inside Keras."""
    readers = {  # each raises for a damaged file: a cut zip or HDF5 file, JSON that is not an object...
        SETTINGS_FILE: lambda path: {**json.loads(path.read_text())},
        HISTORY_FILE: lambda path: read_history(out)[["val_loss", "seconds"]].astype(float),
        f"{BACKUP_DIR}/latest.weights.h5": lambda path: h5py.File(path, "r").close(),
        f"{BACKUP_DIR}/training_metadata.json": lambda path: int(json.loads(path.read_text())["epoch"]),
        BEST_FILE: lambda path: path.exists() and zipfile.ZipFile(path).close(),
    }
    for name, reader in readers.items():
        try:
            readers[name] = reader(out / name)  # what it read, in place of the reader
        except Exception as exc:  # json, pandas, h5py and zipfile each raise their own
            fix = f"--overwrite to start over, or delete {out}"
            raise DogcatError(f"{out / name} is damaged ({_first_words(exc, 120)}): {fix}") from exc
    return readers[SETTINGS_FILE], len(readers[HISTORY_FILE])


def _run_lock(out: Path):
    """A lock on ``out`` held for the run (``with``): a second run on it is refused. The OS frees it
    when the process ends, killed too (``flock``); the lock file sits in the system's temp folder."""
    key = hashlib.sha256(os.fsencode(out.resolve())).hexdigest()[:16]
    try:
        return filelock.FileLock(Path(tempfile.gettempdir()) / f"dogcat-train-{key}.lock").acquire(timeout=0)
    except filelock.Timeout:
        raise DogcatError(
            f"{out} is in use by another `dogcat train`: wait for it to end, or another -o"
        ) from None


def _fingerprint(csv_path) -> str:
    """The CSV's size and a hash of its first MB (the header and the first rows): a resume checks them."""
    with open(csv_path, "rb") as f:
        return f"{os.fstat(f.fileno()).st_size}:{hashlib.sha256(f.read(1 << 20)).hexdigest()[:16]}"


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
    resume: bool = False,
    verbose: int | str = 2,
) -> TrainingRun:
    """The whole of step two (``dogcat train``): CSV -> split -> scale -> train -> evaluate -> files.

    Writes into ``out_dir``: ``model.keras`` (the best epoch), ``history.csv`` and ``metrics.json``
    (test figures, epochs, seconds, settings); ``dogcat train`` then draws the returned run into
    ``figures/`` with plots.py (history, confusion matrix, mistakes, sample images). The split is
    stratified (:func:`split_dataset`), the scaling fitted on the training rows only and put into
    the model (:func:`fit_scaler`). Everything is checked before anything is written. An
    ``out_dir`` that holds a run's files is refused unless ``overwrite`` (the old model, metrics
    and figures stay until the new ones replace them); one holding an interrupted run is
    continued with ``resume`` (same CSV, by size and first MB, and settings), started over with
    ``overwrite``, and refused otherwise, as is a second run on the same folder.
    """
    out = Path(out_dir)
    if model_name not in MODEL_BUILDERS:
        raise DogcatError(f"unknown model {model_name!r}: choose one of {', '.join(MODEL_BUILDERS)}")
    if epochs < 1:
        raise DogcatError(f"epochs must be at least 1, not {epochs}: there would be no model to write")
    with _run_lock(out):
        interrupted, done = _check_run_folder(out, csv_path, overwrite, resume, epochs)
        X, y = read_csv(csv_path)
        try:
            spec = ImageSpec.from_pixels(X.shape[1])
        except DatasetError as exc:
            raise DatasetError(f"{csv_path}: {exc}") from None
        splits = split_dataset(X, y, test_size=test_size, val_size=val_size, seed=seed)
        del X, y
        settings = {
            "model": model_name,
            "csv": str(csv_path),
            "csv_fingerprint": _fingerprint(csv_path),
            "input_shape": list(spec.shape),
            "seed": seed,
            "batch_size": batch_size,
            "splits": splits.sizes(),
        }
        if interrupted is not None and interrupted != settings:
            changed = sorted(k for k in {**interrupted, **settings} if interrupted.get(k) != settings.get(k))
            raise DogcatError(
                f"{out / SETTINGS_FILE} is a run of another model or data ({', '.join(changed)} differ): "
                "use the same CSV and options to continue it, or --overwrite to start over"
            )
        if interrupted is None:  # the last run's model, metrics and figures stay until replaced
            for name in (HISTORY_FILE, BEST_FILE, SETTINGS_FILE):
                (out / name).unlink(missing_ok=True)
            shutil.rmtree(out / BACKUP_DIR, ignore_errors=True)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(out / SETTINGS_FILE, json.dumps(settings, indent=1).encode())
        scaling = fit_scaler(splits.X_train, spec.shape)
        model = build_model(model_name, spec.shape, scaling=scaling, seed=seed)
        before = read_history(out)
        if interrupted is not None:
            print(f"resuming the interrupted run in {out}: {done} epochs done, on with epoch {done + 1}")
        budget = TimeBudget(max_minutes, spent=float(before["seconds"].sum()) if done else 0.0, done=done)
        best = float(before["val_loss"].min()) if done else None
        reduce_lr = TRAINING_DEFAULTS[model_name].get("reduce_lr_patience")
        callbacks = training_callbacks(out, patience, best, reduce_lr, budget)
        keras.utils.set_random_seed(seed)
        train_ds = make_dataset(splits.X_train, splits.y_train, spec, batch_size, shuffle=True, seed=seed)
        val_ds = make_dataset(splits.X_val, splits.y_val, spec, batch_size)
        start = time.perf_counter()
        try:  # shuffle=False: train_ds reshuffles itself each epoch (seeded); Keras cannot shuffle a Dataset
            model.fit(
                train_ds,
                validation_data=val_ds,
                epochs=epochs,
                callbacks=callbacks,
                verbose=verbose,
                shuffle=False,
            )
        except OSError as exc:  # Keras' saves name no file: a full disk is named by the run's folder
            raise exc if exc.filename else OSError(exc.errno, exc.strerror or str(exc), str(out)) from exc
        seconds = time.perf_counter() - start
        stopper = next(c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping))
        if budget.stopped:
            stopped_by = f"time limit ({max_minutes:g} min)"
        elif stopper.stopped_epoch > 0:
            stopped_by = f"early stopping (no better val_loss for {patience} epochs)"
        else:
            stopped_by = f"all {epochs} epochs"
        if (out / BEST_FILE).is_file():
            model.load_weights(out / BEST_FILE)  # the best epoch of the whole run, across a resume too
        history = read_history(out)
        evaluation = evaluate(model, splits.X_test, splits.y_test, batch_size)
        run = TrainingRun(model, history, evaluation, splits, out, seconds, done, stopped_by)
        _write_results(run, settings, max_minutes)
        return run


def _write_results(run: TrainingRun, settings: dict, max_minutes) -> None:
    """``metrics.json`` and ``model.keras``; then the run's working files go."""
    out, history = run.out_dir, run.history
    write_metrics(
        run.evaluation,
        out / "metrics.json",
        **settings,
        epochs_run=len(history),
        resumed_from=run.resumed_from,
        best_epoch=run.best_epoch,
        stopped_by=run.stopped_by,
        max_minutes=max_minutes,
        train_seconds=round(run.seconds, 1),
        seconds_per_epoch=round(float(history["seconds"].mean()), 2),
    )
    with atomic_path(out / MODEL_FILE) as tmp:  # a crash never leaves half a model (tmp ends in .keras)
        run.model.save(tmp)
    for name in (BEST_FILE, SETTINGS_FILE):
        (out / name).unlink(missing_ok=True)
