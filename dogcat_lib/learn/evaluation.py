"""How good is the model: test loss, accuracy, confusion matrix, precision and recall in one pass
(notebook 02, "Evaluate"), and what the curves say about overfitting ("Reading the curves").
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from ..cleaner import suspects_frame
from ..data.imagespec import ImageSpec
from ..plots import history_frame
from ..plumbing.atomic import atomic_write_bytes
from ..plumbing.errors import DatasetError, DogcatError
from .pipeline import make_dataset


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


def predict_proba(model: keras.Model, X: np.ndarray, batch_size: int = 100) -> np.ndarray:
    """P(dog) for each uint8 row of X: (n,) float32. The model must output one probability.

    Under several devices the rows are padded to split evenly (see ``make_dataset``); the padding's
    predictions are dropped.
    """
    check_output(model)
    replicas = model.distribute_strategy.num_replicas_in_sync
    n = len(X)
    if n % replicas:
        X = np.concatenate([X, np.repeat(X[-1:], replicas - n % replicas, axis=0)])
    ds = make_dataset(X, None, ImageSpec.from_model(model).shape, batch_size, replicas=replicas)
    return model.predict(ds, verbose=0).reshape(-1)[:n].astype(np.float32)


def check_output(model: keras.Model) -> None:
    """Raise DogcatError unless ``model`` outputs one probability per photo (shape (None, 1))."""
    shape = tuple(model.output_shape) if not isinstance(model.output_shape, list) else None
    if shape is None or len(shape) != 2 or shape[1] != 1:
        raise DogcatError(
            f"model {model.name!r} outputs {model.output_shape}, not one probability P(dog) per photo: "
            "use a model trained by `dogcat train` (or notebook 02)"
        )


def evaluate(model: keras.Model, X: np.ndarray, y: np.ndarray, batch_size: int = 100) -> Evaluation:
    """Loss, accuracy, confusion matrix and per-class precision/recall of ``model`` on uint8 rows.

    One pass over the data: the loss is Keras' binary cross-entropy (probabilities clipped to
    [1e-7, 1 - 1e-7]) and accuracy thresholds at 0.5, as ``model.evaluate`` computes them.
    """
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


def check_fits(model: keras.Model, X: np.ndarray, what: str = "the CSV") -> None:
    """Raise DatasetError (naming both shapes) unless the rows of X fit the model's input."""
    expected = ImageSpec.from_model(model)
    n_pixels = np.asarray(X).shape[1]
    if n_pixels != expected.n_pixels:
        try:
            have = ImageSpec.from_pixels(n_pixels).describe()
        except DatasetError:
            have = f"{n_pixels:,} values"
        raise DatasetError(
            f"{what} holds {have} per row but the model takes {expected.describe()}: "
            "preprocess the photos with the model's --size/--color, or train a model on this CSV"
        )


def write_metrics(evaluation: Evaluation, path: str | os.PathLike, **extra) -> Path:
    """``metrics.json`` (atomically): the evaluation's figures plus ``extra`` keys."""
    return atomic_write_bytes(path, json.dumps({**evaluation.to_dict(), **extra}, indent=2).encode())


def overfitting_diagnosis(history) -> str:
    """Three lines on what the curves say (notebook 02, "Reading the curves").

    ``history``: Keras' ``History`` (``model.fit``'s), :func:`~dogcat_lib.learn.training.train`'s
    result, its dict or a DataFrame. The last epoch's gap between training and validation
    accuracy, how far the validation loss has risen above its lowest point, and a verdict:
    overfitting when the gap exceeds 0.05 while the validation loss rises, "too few epochs"
    below 5 epochs, otherwise "no clear overfitting".
    """
    history = history_frame(history)
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


def rank_suspects(
    model: keras.Model, X: np.ndarray, y: np.ndarray, names: list[str] | None = None, batch_size: int = 100
):
    """The photos most likely mislabelled or odd: a DataFrame ranked by loss, highest first.

    X: (n, D) uint8 rows (e.g. from :func:`~dogcat_lib.build_dataset`, which also gives the
    ``names`` the exclusions file needs), y: (n,) labels. The confidently wrong photos come first;
    see :func:`~dogcat_lib.cleaner.suspects_frame` for the columns. Notebook 04, section 4.
    """
    return suspects_frame(predict_proba(model, X, batch_size), y, names)
