"""Train several models the same way and compare them (notebook 03, "Train every model the same way").

Every model gets the same split, batch size, early stopping and time budget; the transfer model
gets its second phase (fine-tuning) on top. The result is one row per model for the table and
the histories for :func:`~dogcat_lib.plots.plot_history_comparison`.
"""

from __future__ import annotations

import os
import time

import pandas as pd

from ..learn.evaluation import evaluate
from ..learn.models import TRAINING_DEFAULTS, build_model, fine_tune, trainable_params
from ..learn.training import train


def train_and_compare(
    names: list[str],
    data,
    input_shape: tuple[int, int, int],
    scaling_for=None,
    *,
    epochs: int = 100,
    batch_size: int = 100,
    seed: int = 0,
    max_minutes: float | None = None,
    pretrained: bool = True,
    fine_tune_epochs: int = 10,
    out_dir: str | os.PathLike | None = None,
):
    """Train each model of ``names`` on ``data`` (a Splits); returns (comparison DataFrame, histories).

    ``scaling_for``: a callable giving a fresh scaling layer for ``input_shape`` (e.g.
    ``scaler.layer``), or None for x / 255. ``pretrained``: ImageNet weights for ``transfer``.
    With ``out_dir`` each model is saved under ``out_dir/NAME`` (the fine-tuned transfer model
    under ``out_dir/transfer-fine-tuned``). Prints one line per model as it finishes.
    """

    def folder(name: str):
        return None if out_dir is None else os.path.join(out_dir, name)

    rows, histories = [], {}
    for name in names:
        options = {"weights": "imagenet" if pretrained else None} if name == "transfer" else {}
        scaling = scaling_for(input_shape) if scaling_for is not None else None
        model = build_model(name, input_shape, scaling=scaling, seed=seed, **options)
        start = time.perf_counter()
        history = train(
            model, data, epochs=epochs, batch_size=batch_size, seed=seed, max_minutes=max_minutes,
            out_dir=folder(name), verbose=0, **TRAINING_DEFAULTS.get(name, {}),
        ).frame()  # fmt: skip
        if name == "transfer" and fine_tune_epochs:
            fine_tune(model, top_layers=30, learning_rate=1e-5)
            more = train(
                model, data, epochs=fine_tune_epochs, batch_size=batch_size, seed=seed, verbose=0,
                out_dir=folder("transfer-fine-tuned"),
            ).frame()  # fmt: skip
            more["epoch"] += len(history)
            history = pd.concat([history, more], ignore_index=True)
        seconds = time.perf_counter() - start
        result = evaluate(model, data.X_test, data.y_test)
        histories[name] = history
        best = int(history["val_loss"].idxmin())
        rows.append(
            {
                "model": name,
                "test accuracy": round(result.accuracy, 4),
                "best val loss": round(float(history["val_loss"].iloc[best]), 4),
                "at epoch": best + 1,
                "epochs": len(history),
                "parameters": trainable_params(model),
                "s per epoch": round(seconds / len(history), 1),
            }
        )
        print(f"{name}: test accuracy {result.accuracy:.4f} after {len(history)} epochs ({seconds:.0f} s)")
    return pd.DataFrame(rows).set_index("model"), histories
