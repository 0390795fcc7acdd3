"""Figures for the lessons; each function returns a matplotlib Figure (and can save a PNG).

Used by both sides, so it never imports TensorFlow: models and layers arrive as arguments.
matplotlib is imported inside the functions, so ``import dogcat_lib`` stays fast. Figure text is
English: stock Colab, Windows and Linux have no Hangul in matplotlib's fonts, and a Korean title
would show empty boxes; text that comes from outside (a file name) goes through :func:`figure_text`.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from .data.images import decode_pixels
from .data.imagespec import ImageSpec
from .data.labels import CLASS_NAMES
from .plumbing.atomic import atomic_output


def figure_text(text: str) -> str:
    """``text`` with every character matplotlib's default font may lack (anything but printable
    ASCII: Hangul in a file name, say) replaced by ``?``, so a figure never shows empty boxes."""
    return "".join(ch if " " <= ch <= "~" else "?" for ch in str(text))


def _save(fig, path: str | os.PathLike | None):
    if path is not None:
        with atomic_output(path) as out:
            fig.savefig(out, format="png", dpi=110, bbox_inches="tight")
    return fig


def history_frame(history):
    """One DataFrame row per epoch (``epoch`` from 1) of a training history in any of its forms:
    Keras' ``History`` (``model.fit``'s), :func:`~dogcat_lib.learn.training.train`'s result, the
    ``history.history`` dict, or a DataFrame."""
    import pandas as pd

    if hasattr(history, "frame"):  # TrainingHistory
        return history.frame()
    frame = pd.DataFrame(getattr(history, "history", history)).copy()
    if "epoch" not in frame:
        epochs = getattr(history, "epoch", None)
        frame.insert(0, "epoch", np.asarray(epochs) + 1 if epochs else np.arange(1, len(frame) + 1))
    return frame


def plot_preprocessing_steps(
    data: bytes, size: int = 80, title: str = "", path: str | os.PathLike | None = None
):
    """The photo as taken, in grayscale, and as the model sees it (``size`` x ``size``).

    Notebook 01, "Decoding one photo". ``data`` are the file's bytes.
    """
    import matplotlib.pyplot as plt

    color = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if color is None:
        raise ValueError("these bytes are not a decodable photo")
    gray = cv2.cvtColor(color, cv2.COLOR_BGR2GRAY)
    small = decode_pixels(data, size=size)
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
    panels = (
        (cv2.cvtColor(color, cv2.COLOR_BGR2RGB), f"original {color.shape[1]}x{color.shape[0]} RGB"),
        (gray, f"grayscale {gray.shape[1]}x{gray.shape[0]}"),
        (small, f"resized {size}x{size} (the CSV row)"),
    )
    for ax, (image, label) in zip(axes, panels, strict=True):
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255)
        ax.set_title(label, fontsize=10)
        ax.axis("off")
    if title:
        fig.suptitle(figure_text(title))
    fig.tight_layout()
    return _save(fig, path)


def plot_sample_grid(
    X: np.ndarray,
    y: np.ndarray,
    size: int = 80,
    color: str = "gray",
    n: int = 6,
    names: list[str] | None = None,
    path: str | os.PathLike | None = None,
):
    """``n`` rows of X, evenly spread, turned back into pictures and titled with their label.

    X: (N, size*size) gray or (N, size*size*3) RGB uint8 rows, as build_dataset and read_csv
    return them. Notebook 01, "Every photo at once".
    """
    import matplotlib.pyplot as plt

    spec = ImageSpec(size, color)
    picks = np.linspace(0, len(X) - 1, min(n, len(X))).astype(int)
    fig, axes = plt.subplots(1, len(picks), figsize=(2 * len(picks), 2.4), squeeze=False)
    for ax, i in zip(axes[0], picks, strict=True):
        image = X[i].reshape(spec.shape).squeeze()
        ax.imshow(image, cmap="gray" if spec.channels == 1 else None, vmin=0, vmax=255)
        title = CLASS_NAMES[int(y[i])] + (f" ({os.path.basename(names[i])})" if names else "")
        ax.set_title(figure_text(title), fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    return _save(fig, path)


def plot_history(history, title: str = "", path: str | os.PathLike | None = None):
    """The course's curves side by side: accuracy and loss per epoch, train vs validation.

    ``history``: what ``model.fit`` returns (a Keras ``History``), its ``.history`` dict, or what
    :func:`~dogcat_lib.learn.training.train` returns. The best validation-loss epoch is marked:
    where the two loss curves part, the model starts to memorise. Notebook 02, "Reading the curves".
    """
    import matplotlib.pyplot as plt

    frame = history_frame(history)
    epochs = frame["epoch"].to_numpy()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, metric in zip(axes, ("accuracy", "loss"), strict=True):
        ax.plot(epochs, frame[metric], "o-", ms=3, label="train")
        if f"val_{metric}" in frame:
            ax.plot(epochs, frame[f"val_{metric}"], "o-", ms=3, label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(f"{metric}: train vs validation", fontsize=10)
        ax.grid(alpha=0.3)
    if "val_loss" in frame and len(frame):
        best = epochs[int(np.argmin(frame["val_loss"].to_numpy()))]
        for ax in axes:
            ax.axvline(best, color="gray", ls="--", lw=1, label=f"best val_loss (epoch {best})")
    for ax in axes:
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(figure_text(title))
    fig.tight_layout()
    return _save(fig, path)


def plot_confusion_matrix(confusion: np.ndarray, title: str = "", path: str | os.PathLike | None = None):
    """The 2x2 confusion matrix (rows: true class, columns: predicted), with counts and row shares."""
    import matplotlib.pyplot as plt

    confusion = np.asarray(confusion)
    shares = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(4.2, 3.8))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(confusion):
        ax.text(j, i, f"{count:,}\n{shares[i, j]:.0%}", ha="center", va="center",
                color="white" if shares[i, j] > 0.5 else "black")  # fmt: skip
    ax.set_xticks([0, 1], [f"predicted {c}" for c in CLASS_NAMES])
    ax.set_yticks([0, 1], [f"true {c}" for c in CLASS_NAMES])
    ax.set_title(figure_text(title or "confusion matrix"), fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def plot_mistakes(
    X: np.ndarray,
    y: np.ndarray,
    proba: np.ndarray,
    n: int = 8,
    path: str | os.PathLike | None = None,
):
    """The ``n`` most confidently wrong photos, titled with the truth and P(dog).

    X: (N, D) uint8 rows (shape inferred: size² gray or size²·3 RGB), y: (N,) labels,
    proba: (N,) P(dog) from :func:`~dogcat_lib.learn.evaluation.evaluate`. Notebook 02, "Mistakes".
    """
    import matplotlib.pyplot as plt

    y = np.asarray(y).astype(int)
    proba = np.asarray(proba, dtype=np.float64)
    confidence_wrong = np.abs(proba - y)  # 1.0: sure of the wrong class
    wrong = np.flatnonzero(confidence_wrong > 0.5)
    picks = wrong[np.argsort(-confidence_wrong[wrong], kind="stable")][:n]
    shape = ImageSpec.from_pixels(np.asarray(X).shape[1]).shape
    fig, axes = plt.subplots(1, max(len(picks), 1), figsize=(2 * max(len(picks), 1), 2.5), squeeze=False)
    for ax, i in zip(axes[0], picks, strict=False):
        ax.imshow(X[i].reshape(shape).squeeze(), cmap="gray" if shape[2] == 1 else None, vmin=0, vmax=255)
        ax.set_title(f"true {CLASS_NAMES[y[i]]}\nP(dog)={proba[i]:.2f}", fontsize=8)
    for ax in axes[0]:
        ax.axis("off")
    if len(picks) == 0:
        axes[0][0].text(0.5, 0.5, "no mistakes", ha="center", va="center")
    fig.suptitle(f"the {len(picks)} most confident mistakes of {len(wrong):,}", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def plot_augmentations(augment, X: np.ndarray, n: int = 8, path: str | os.PathLike | None = None):
    """One training photo (row 0 of X) as the model sees it in ``n`` different epochs of augmentation.

    ``augment``: the augmentation layer (:func:`~dogcat_lib.learn.models.augmentation`), called
    as ``augment(images, training=True)``; built with a seed, it gives the same versions every run.
    Notebook 03.
    """
    import matplotlib.pyplot as plt

    shape = ImageSpec.from_pixels(np.asarray(X).shape[1]).shape
    image = np.asarray(X[:1], dtype=np.float32).reshape(1, *shape)
    fig, axes = plt.subplots(1, n + 1, figsize=(1.6 * (n + 1), 2.0))
    versions = [image[0]] + [np.asarray(augment(image, training=True))[0] for _ in range(n)]
    for i, (ax, version) in enumerate(zip(axes, versions, strict=True)):
        shown = np.clip(version, 0, 255).astype(np.uint8).squeeze()
        ax.imshow(shown, cmap="gray" if shape[2] == 1 else None, vmin=0, vmax=255)
        ax.set_title("original" if i == 0 else f"epoch {i}", fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    return _save(fig, path)


def plot_history_comparison(histories: dict, path: str | os.PathLike | None = None):
    """Validation accuracy and loss per epoch of several models side by side (``{name: history}``).

    Notebook 03: where the course's curve turns up, the remedies' keep going down.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, history in histories.items():
        frame = history_frame(history)
        epochs = frame["epoch"]
        for ax, metric in zip(axes, ("val_accuracy", "val_loss"), strict=True):
            ax.plot(epochs, frame[metric], "o-", ms=3, label=name)
    for ax, metric in zip(axes, ("validation accuracy", "validation loss"), strict=True):
        ax.set_xlabel("epoch")
        ax.set_title(metric, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)
