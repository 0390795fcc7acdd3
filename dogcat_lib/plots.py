"""The figures ``dogcat train`` and ``dogcat explain`` write; each function returns a matplotlib Figure.

Used by both sides, so it never imports TensorFlow: models and layers arrive as arguments.
matplotlib is imported inside the functions, so ``import dogcat_lib`` stays fast. The notebooks
draw the lessons' figures in their own cells (the course's two curves, feature maps, filters);
where one re-states a figure of this module, a test proves they plot the same numbers.
Text that comes from outside (a file name) goes through :func:`figure_text`.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

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


def _show(ax, pixels: np.ndarray) -> None:
    """uint8 pixels on ``ax``: (H, W) or (H, W, 1) gray, (H, W, 3) RGB, on the 0..255 scale."""
    pixels = np.asarray(pixels)
    gray = pixels.ndim == 2 or pixels.shape[-1] == 1
    ax.imshow(pixels.squeeze(-1) if pixels.ndim == 3 and gray else pixels, cmap="gray" if gray else None,
              vmin=0, vmax=255)  # fmt: skip
    ax.axis("off")


def history_frame(history):
    """One DataFrame row per epoch (``epoch`` from 1) of a training history in any of its forms:
    Keras' ``History`` (``model.fit``'s), its ``history`` dict, or a DataFrame with an ``epoch``
    column from 1 (:func:`~dogcat_lib.learn.training.read_history`'s)."""
    import pandas as pd

    frame = pd.DataFrame(getattr(history, "history", history)).copy()
    if "epoch" not in frame:
        epochs = getattr(history, "epoch", None)
        frame.insert(0, "epoch", np.asarray(epochs) + 1 if epochs else np.arange(1, len(frame) + 1))
    return frame


def plot_sample_grid(X, y, spec: ImageSpec, n: int = 6, names=None, path: str | os.PathLike | None = None):
    """``n`` rows of X, evenly spread, turned back into pictures and titled with their label.

    X: (N, size*size) gray or (N, size*size*3) RGB uint8 rows of photos of ``spec``.
    """
    import matplotlib.pyplot as plt

    picks = np.linspace(0, len(X) - 1, min(n, len(X))).astype(int)
    fig, axes = plt.subplots(1, len(picks), figsize=(2 * len(picks), 2.4), squeeze=False)
    for ax, i in zip(axes[0], picks, strict=True):
        _show(ax, X[i].reshape(spec.shape))
        title = CLASS_NAMES[int(y[i])] + (f" ({os.path.basename(names[i])})" if names else "")
        ax.set_title(figure_text(title), fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_history(history, title: str = "", path: str | os.PathLike | None = None):
    """The course's curves side by side: accuracy and loss per epoch, train vs validation.

    ``history``: what ``model.fit`` returns (a Keras ``History``), its ``.history`` dict, or
    ``history.csv``'s DataFrame. The best validation-loss epoch is marked: where the two loss
    curves part, the model starts to memorise.
    """
    import matplotlib.pyplot as plt

    frame = history_frame(history)
    epochs = frame["epoch"].to_numpy()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, metric in zip(axes, ("accuracy", "loss"), strict=True):
        ax.plot(epochs, frame[metric], "o-", ms=3, label="train")
        if f"val_{metric}" in frame:
            ax.plot(epochs, frame[f"val_{metric}"], "o-", ms=3, label="validation")
        ax.set(xlabel="epoch", ylabel=metric)
        ax.set_title(f"{metric}: train vs validation", fontsize=10)
        ax.xaxis.get_major_locator().set_params(integer=True)
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


def plot_mistakes(X: np.ndarray, y: np.ndarray, proba: np.ndarray, n: int = 8, path=None):
    """The ``n`` most confidently wrong photos, titled with the truth and P(dog).

    X: (N, D) uint8 rows (shape inferred: size² gray or size²·3 RGB), y: (N,) labels,
    proba: (N,) P(dog) from :func:`~dogcat_lib.learn.evaluation.evaluate`.
    """
    import matplotlib.pyplot as plt

    y = np.asarray(y).astype(int)
    confidence_wrong = np.abs(np.asarray(proba, dtype=np.float64) - y)  # 1.0: sure of the wrong class
    wrong = np.flatnonzero(confidence_wrong > 0.5)
    picks = wrong[np.argsort(-confidence_wrong[wrong], kind="stable")][:n]
    spec = ImageSpec.from_pixels(np.asarray(X).shape[1])
    fig, axes = plt.subplots(1, max(len(picks), 1), figsize=(2 * max(len(picks), 1), 2.5), squeeze=False)
    for ax, i in zip(axes[0], picks, strict=False):
        _show(ax, X[i].reshape(spec.shape))
        ax.set_title(f"true {CLASS_NAMES[y[i]]}\nP(dog)={proba[i]:.2f}", fontsize=8)
    if len(picks) == 0:
        axes[0][0].axis("off")
        axes[0][0].text(0.5, 0.5, "no mistakes", ha="center", va="center")
    fig.suptitle(f"the {len(picks)} most confident mistakes of {len(wrong):,}", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def overlay_heatmap(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4) -> np.ndarray:
    """``image`` (H, W, 3) RGB or (H, W) gray uint8 with ``heatmap`` (h, w) 0..1 laid over it in the
    jet colormap (blue: none, red: most), ``alpha`` its opacity. Returns (H, W, 3) uint8 RGB.

    The heatmap is stretched to the photo's size, as the model squashed the photo to its input.
    """
    import matplotlib

    image = np.asarray(image)
    if image.ndim == 2 or image.shape[2] == 1:
        image = np.repeat(image.reshape(image.shape[0], image.shape[1], 1), 3, axis=2)
    heat = cv2.resize(np.asarray(heatmap, np.float32), (image.shape[1], image.shape[0]))
    colored = matplotlib.colormaps["jet"](np.clip(heat, 0, 1))[..., :3] * 255.0
    blended = (1 - alpha) * image.astype(np.float32) + alpha * colored
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def plot_gradcam(image, heatmap, pixels=None, title: str = "", alpha: float = 0.4, path=None):
    """Grad-CAM as three panels: the photo | the heatmap (on the model's input ``pixels`` when given) |
    the heatmap over the photo (jet colormap, opacity ``alpha``).

    ``image``: (H, W, 3) RGB or (H, W) gray uint8; ``heatmap``: (h, w) float 0..1 from
    :func:`~dogcat_lib.learn.explain.explain`.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
    _show(axes[0], image)
    axes[0].set_title("photo", fontsize=10)
    if pixels is not None:
        _show(axes[1], pixels)
    shown = axes[1].imshow(heatmap, cmap="jet", alpha=0.5 if pixels is not None else 1.0, vmin=0, vmax=1)
    axes[1].set_title(f"heatmap ({heatmap.shape[1]}x{heatmap.shape[0]}, the model's input)", fontsize=10)
    axes[1].axis("off")
    fig.colorbar(shown, ax=axes[1], fraction=0.046, pad=0.04)
    _show(axes[2], overlay_heatmap(image, heatmap, alpha))
    axes[2].set_title(f"overlay (alpha {alpha:g})", fontsize=10)
    if title:
        fig.suptitle(figure_text(title), fontsize=11)
    fig.tight_layout()
    return _save(fig, path)
