"""How good is the model (``dogcat train``, ``dogcat evaluate``): loss, accuracy, confusion matrix,
precision and recall in one pass. Notebook 02 computes the same with ``model.evaluate`` and
scikit-learn's ``confusion_matrix`` and ``classification_report`` (a test proves them equal).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from ..data.imagespec import ImageSpec
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
            **{k: v for k, v in asdict(self).items() if k != "proba"},
            "confusion": self.confusion.tolist(),
        }

    def report(self) -> str:
        """A few lines for a terminal or a notebook."""
        lines = [f"test loss {self.loss:.4f}, accuracy {self.accuracy:.4f} on {self.n:,} photos"]
        for name in ("cat", "dog"):
            lines.append(f"  {name}: precision {self.precision[name]:.3f}, recall {self.recall[name]:.3f}")
        return "\n".join(lines)


def predict_proba(model: keras.Model, X: np.ndarray, batch_size: int = 100) -> np.ndarray:
    """P(dog) for each uint8 row of X: (n,) float32. The model must output one probability."""
    check_output(model)
    ds = make_dataset(X, None, ImageSpec.from_model(model), batch_size)
    proba = model.predict(ds, verbose=0).reshape(-1).astype(np.float32)
    outside = proba[~((proba >= 0) & (proba <= 1))]  # NaN too
    if outside.size:
        raise DogcatError(f"model {model.name!r} outputs {outside[0]}, not a probability in 0..1: retrain it")
    return proba


def check_output(model: keras.Model) -> None:
    """Raise DogcatError unless ``model`` outputs one probability per photo: (None, 1), from a sigmoid."""
    shape = tuple(model.output_shape) if not isinstance(model.output_shape, list) else None
    last = getattr(getattr(model.layers[-1], "activation", None), "__name__", "no")
    if shape is None or len(shape) != 2 or shape[1] != 1 or last != "sigmoid":
        raise DogcatError(
            f"model {model.name!r} outputs {model.output_shape} from {last} activation, not one probability "
            "P(dog) per photo (a sigmoid): use a model trained by `dogcat train` (or notebook 02)"
        )


def evaluate(model: keras.Model, X: np.ndarray, y: np.ndarray, batch_size: int = 100) -> Evaluation:
    """Loss, accuracy, confusion matrix and per-class precision/recall of ``model`` on uint8 rows.

    One pass over the data: Keras' binary cross-entropy and accuracy at 0.5, as ``model.evaluate``.
    """
    y = np.asarray(y).astype(np.int64)
    if len(y) == 0:
        raise DatasetError("nothing to evaluate: no rows")
    proba = predict_proba(model, X, batch_size)
    loss = float(keras.losses.BinaryCrossentropy()(y.astype(np.float32), proba))
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


def write_metrics(evaluation: Evaluation, path: str | os.PathLike, **extra) -> Path:
    """``metrics.json`` (atomically): the evaluation's figures plus ``extra`` keys."""
    return atomic_write_bytes(path, json.dumps({**evaluation.to_dict(), **extra}, indent=2).encode())
