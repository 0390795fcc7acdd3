"""Step two end to end (``dogcat train``): the CSV -> split -> scale -> train -> evaluate -> files."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt

from ..data.csvio import read_csv
from ..data.imagespec import ImageSpec
from ..learn.callbacks import clear_run, read_progress
from ..learn.evaluation import Evaluation, evaluate, write_metrics
from ..learn.models import MODEL_BUILDERS, TRAINING_DEFAULTS, build_model
from ..learn.runtime import precision
from ..learn.scaling import Splits, fit_scaler, split_dataset
from ..learn.training import TrainingHistory, train
from ..plots import plot_confusion_matrix, plot_history, plot_mistakes, plot_sample_grid
from ..plumbing.errors import DogcatError
from ..plumbing.paths import check_not_an_input

#: What a run writes into its folder (``figures/`` holds the PNGs of :data:`RUN_FIGURES`).
RUN_FILES = (
    "model.keras",
    "history.csv",
    "metrics.json",
    "checkpoint.keras",
    "backup.keras",
    "progress.json",
)
RUN_FIGURES = ("history.png", "confusion.png", "mistakes.png", "samples.png")

if TYPE_CHECKING:
    import keras


@dataclass
class TrainingRun:
    """What :func:`train_from_csv` produced: the model, its history, the test evaluation, the files."""

    model: keras.Model
    history: TrainingHistory
    evaluation: Evaluation
    splits: Splits
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
    resume: bool = False,
    verbose: int | str = 2,
    model_options: dict | None = None,
    mixed_precision: bool = False,
) -> TrainingRun:
    """The whole of step two (``dogcat train``): CSV -> split -> scale -> train -> evaluate -> files.

    Writes into ``out_dir``: ``model.keras`` (best epoch), ``history.csv``, ``metrics.json``
    (test figures, epochs, seconds, settings) and ``figures/`` (history, confusion matrix,
    mistakes, sample images). ``model_options`` go to the builder (e.g. ``{"weights": None}`` for
    ``transfer``). ``mixed_precision``: layers compute in float16 (bfloat16 on a TPU), the output
    stays float32 (faster on recent GPUs; slower on a CPU). Everything is checked before anything
    is written. An ``out_dir`` that already holds a model is refused unless ``overwrite``; one
    holding an interrupted run is continued with ``resume`` (same CSV and settings), started
    over with ``overwrite``, and refused otherwise.
    """
    out = Path(out_dir)
    if model_name not in MODEL_BUILDERS:
        raise DogcatError(f"unknown model {model_name!r}: choose one of {', '.join(MODEL_BUILDERS)}")
    if out.exists() and not out.is_dir():
        raise DogcatError(f"{out} exists and is not a folder")
    if (out / "model.keras").exists() and not overwrite:
        raise DogcatError(f"{out} already holds a trained model.keras: choose another -o, or --overwrite it")
    for written in [out / name for name in RUN_FILES] + [out / "figures" / name for name in RUN_FIGURES]:
        check_not_an_input(written, [csv_path], option="the run's file", fix="choose another -o folder")
    interrupted = read_progress(out)
    if interrupted and not (resume or overwrite):
        raise DogcatError(
            f"{out} holds an interrupted run ({len(interrupted['epochs'])} epochs done): --resume to "
            "continue it, or --overwrite to start over"
        )
    X, y = read_csv(csv_path)
    spec = ImageSpec.from_pixels(X.shape[1])
    splits = split_dataset(X, y, test_size=test_size, val_size=val_size, seed=seed)
    del X, y
    if overwrite:
        clear_run(out)
    scaler = fit_scaler(splits.X_train)
    with precision(mixed_precision):
        model = build_model(
            model_name, spec.shape, scaling=scaler.layer(spec.shape), seed=seed, **(model_options or {})
        )
    start = time.perf_counter()
    history = train(
        model, splits, epochs=epochs, batch_size=batch_size, out_dir=out, patience=patience,
        max_minutes=max_minutes, seed=seed, verbose=verbose, resume=resume,
        **TRAINING_DEFAULTS.get(model_name, {}),
    )  # fmt: skip
    seconds = time.perf_counter() - start
    evaluation = evaluate(model, splits.X_test, splits.y_test, batch_size)
    figures = out / "figures"
    history_png, confusion_png, mistakes_png, samples_png = (figures / name for name in RUN_FIGURES)
    plot_history(history, title=f"{model_name} CNN", path=history_png)
    plot_confusion_matrix(evaluation.confusion, path=confusion_png)
    plot_mistakes(splits.X_test, splits.y_test, evaluation.proba, path=mistakes_png)
    plot_sample_grid(splits.X_train, splits.y_train, size=spec.size, color=spec.color, n=8,
                     path=samples_png)  # fmt: skip
    plt.close("all")
    write_metrics(
        evaluation,
        out / "metrics.json",
        model=model_name,
        csv=str(csv_path),
        input_shape=list(spec.shape),
        splits=splits.sizes(),
        epochs_run=history.epochs_run,
        resumed_from=history.resumed_from,
        best_epoch=history.best_epoch,
        stopped_by=history.stopped_by,
        max_minutes=max_minutes,
        train_seconds=round(seconds, 1),
        seconds_per_epoch=round(sum(history.seconds) / max(len(history.seconds), 1), 2),
        batch_size=batch_size,
        seed=seed,
        mixed_precision=mixed_precision,
    )
    return TrainingRun(model, history, evaluation, splits, out, seconds)
