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


def _cmap(spec: ImageSpec) -> str | None:
    """matplotlib's colormap for photos of ``spec``: "gray" for one channel, None (as is) for RGB."""
    return "gray" if spec.color == "gray" else None


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
        ax.imshow(image, cmap=_cmap(spec), vmin=0, vmax=255)
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
    spec = ImageSpec.from_pixels(np.asarray(X).shape[1])
    fig, axes = plt.subplots(1, max(len(picks), 1), figsize=(2 * max(len(picks), 1), 2.5), squeeze=False)
    for ax, i in zip(axes[0], picks, strict=False):
        ax.imshow(X[i].reshape(spec.shape).squeeze(), cmap=_cmap(spec), vmin=0, vmax=255)
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

    spec = ImageSpec.from_pixels(np.asarray(X).shape[1])
    image = np.asarray(X[:1], dtype=np.float32).reshape(1, *spec.shape)
    fig, axes = plt.subplots(1, n + 1, figsize=(1.6 * (n + 1), 2.0))
    versions = [image[0]] + [np.asarray(augment(image, training=True))[0] for _ in range(n)]
    for i, (ax, version) in enumerate(zip(axes, versions, strict=True)):
        shown = np.clip(version, 0, 255).astype(np.uint8).squeeze()
        ax.imshow(shown, cmap=_cmap(spec), vmin=0, vmax=255)
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


def _probability_bar(ax, dog_probability: float) -> None:
    """A horizontal bar of P(dog) with the 0.5 threshold."""
    ax.barh([0], [dog_probability], color="tab:orange" if dog_probability > 0.5 else "tab:blue")
    ax.axvline(0.5, color="gray", ls="--", lw=1)
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.set_xticks([0, 0.5, 1])
    ax.set_xticklabels(["cat 0", "0.5", "1 dog"])
    ax.set_title(f"P(dog) = {dog_probability:.3f}", fontsize=10)
    ax.set_box_aspect(0.35)


def plot_photo_prediction(result, path: str | os.PathLike | None = None):
    """Your photo | what the model sees | P(dog), for :func:`~dogcat_lib.learn.predict.predict_photo`'s
    result (anything with ``name``, ``image``, ``pixels`` and ``dog_probability``). Notebook 04, section 1.
    """
    import matplotlib.pyplot as plt

    p = float(result.dog_probability)
    pixels = np.asarray(result.pixels)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), gridspec_kw={"width_ratios": [1.3, 1, 1.2]})
    axes[0].imshow(result.image)
    axes[0].set_title(
        figure_text(f"{result.name} ({result.image.shape[1]}x{result.image.shape[0]})"), fontsize=10
    )
    axes[1].imshow(pixels, cmap="gray" if pixels.ndim == 2 else None, vmin=0, vmax=255)
    axes[1].set_title(f"what the model sees ({pixels.shape[1]}x{pixels.shape[0]})", fontsize=10)
    for ax in axes[:2]:
        ax.axis("off")
    _probability_bar(axes[2], p)
    fig.suptitle(figure_text(f"{result.name}: {CLASS_NAMES[int(p > 0.5)]}"), fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def overlay_heatmap(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4) -> np.ndarray:
    """``image`` (H, W, 3) RGB or (H, W) gray uint8 with ``heatmap`` (h, w) 0..1 laid over it in the
    jet colormap (blue: none, red: most), ``alpha`` its opacity. Returns (H, W, 3) uint8 RGB.

    The heatmap is stretched to the photo's size, as the model squashed the photo to its input.
    Notebook 04, section 2.
    """
    import matplotlib.pyplot as plt

    image = np.asarray(image)
    if image.ndim == 2 or image.shape[2] == 1:
        image = np.repeat(image.reshape(image.shape[0], image.shape[1], 1), 3, axis=2)
    heat = cv2.resize(np.asarray(heatmap, np.float32), (image.shape[1], image.shape[0]))
    colored = plt.get_cmap("jet")(np.clip(heat, 0, 1))[..., :3] * 255.0
    blended = (1 - alpha) * image.astype(np.float32) + alpha * colored
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def plot_gradcam(
    image: np.ndarray,
    heatmap: np.ndarray,
    pixels: np.ndarray | None = None,
    title: str = "",
    alpha: float = 0.4,
    path: str | os.PathLike | None = None,
):
    """Grad-CAM as three panels: the photo | the heatmap (on the model's input ``pixels`` when given) |
    the heatmap over the photo (jet colormap, opacity ``alpha``). Notebook 04, section 2.

    ``image``: (H, W, 3) RGB or (H, W) gray uint8; ``heatmap``: (h, w) float 0..1 from
    :func:`~dogcat_lib.learn.explain.explain`.
    """
    import matplotlib.pyplot as plt

    image = np.asarray(image)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
    axes[0].imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255)
    axes[0].set_title("photo", fontsize=10)
    if pixels is not None:
        small = np.asarray(pixels)
        axes[1].imshow(
            small, cmap="gray" if small.ndim == 2 or small.shape[-1] == 1 else None, vmin=0, vmax=255
        )
        shown = axes[1].imshow(heatmap, cmap="jet", alpha=0.5, vmin=0, vmax=1)
    else:
        shown = axes[1].imshow(heatmap, cmap="jet", vmin=0, vmax=1)
    axes[1].set_title(f"heatmap ({heatmap.shape[1]}x{heatmap.shape[0]}, the model's input)", fontsize=10)
    fig.colorbar(shown, ax=axes[1], fraction=0.046, pad=0.04)
    axes[2].imshow(overlay_heatmap(image, heatmap, alpha))
    axes[2].set_title(f"overlay (alpha {alpha:g})", fontsize=10)
    for ax in axes:
        ax.axis("off")
    if title:
        fig.suptitle(figure_text(title), fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def plot_feature_maps(maps: dict, n: int = 16, columns: int = 8, path: str | os.PathLike | None = None):
    """The first ``n`` channels of each layer's feature maps, one grid per layer.

    ``maps``: name -> (h, w, channels) from :func:`~dogcat_lib.learn.explain.feature_maps`.
    Each channel is scaled to its own range (bright: strong response). Notebook 04, section 3.
    """
    import matplotlib.pyplot as plt

    if not maps:
        raise ValueError("no feature maps to show")
    shown = {name: np.asarray(m)[..., :n] for name, m in maps.items()}
    rows = [int(np.ceil(m.shape[-1] / columns)) for m in shown.values()]
    fig = plt.figure(figsize=(1.4 * columns, 1.4 * sum(rows) + 0.4 * len(rows)))
    subfigs = np.atleast_1d(fig.subfigures(len(shown), 1, height_ratios=[r + 0.3 for r in rows]))
    for subfig, (name, layer_maps), n_rows in zip(subfigs, shown.items(), rows, strict=True):
        axes = subfig.subplots(n_rows, columns, squeeze=False, gridspec_kw={"wspace": 0.05, "hspace": 0.05})
        for i, ax in enumerate(axes.flat):
            ax.axis("off")
            if i < layer_maps.shape[-1]:
                ax.imshow(layer_maps[..., i], cmap="viridis")
        full = maps[name].shape
        subfig.suptitle(
            figure_text(f"{name}: {full[0]}x{full[1]}, {full[2]} channels (first {layer_maps.shape[-1]})"),
            fontsize=10,
        )
    return _save(fig, path)


def plot_filters(kernel: np.ndarray, n: int = 32, columns: int = 8, path: str | os.PathLike | None = None):
    """The first ``n`` filters of a conv layer, each scaled to 0..1 (gray: 1 input channel, RGB: 3).

    ``kernel``: (kh, kw, in_channels, filters) from :func:`~dogcat_lib.learn.explain.conv_filters`;
    other channel counts are shown as their mean. Notebook 04, section 3.
    """
    import matplotlib.pyplot as plt

    kernel = np.asarray(kernel, np.float32)
    count = min(n, kernel.shape[-1])
    n_rows = int(np.ceil(count / columns))
    fig, axes = plt.subplots(n_rows, columns, figsize=(1.2 * columns, 1.25 * n_rows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= count:
            continue
        weights = kernel[..., i]
        if weights.shape[-1] != 3:
            weights = weights.mean(axis=-1)
        span = weights.max() - weights.min()
        weights = (weights - weights.min()) / (span if span > 0 else 1.0)
        ax.imshow(weights, cmap="gray" if weights.ndim == 2 else None, vmin=0, vmax=1)
        ax.set_title(str(i), fontsize=7)
    kh, kw, channels, total = kernel.shape
    fig.suptitle(f"{count} of {total} filters, {kh}x{kw}x{channels}", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)
