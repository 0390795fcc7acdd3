"""Figures for the lessons; each function returns a matplotlib Figure (and can save a PNG)."""

from __future__ import annotations

import os

import cv2
import numpy as np

from .images import decode_pixels


def _save(fig, path: str | os.PathLike | None):
    if path is not None:
        from .atomic import atomic_output

        with atomic_output(path) as out:
            fig.savefig(out, format="png", dpi=110, bbox_inches="tight")
    return fig


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
        fig.suptitle(title)
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

    from .labels import CLASS_NAMES

    channels = 3 if color == "rgb" else 1
    picks = np.linspace(0, len(X) - 1, min(n, len(X))).astype(int)
    fig, axes = plt.subplots(1, len(picks), figsize=(2 * len(picks), 2.4), squeeze=False)
    for ax, i in zip(axes[0], picks, strict=True):
        image = X[i].reshape(size, size, channels).squeeze()
        ax.imshow(image, cmap="gray" if channels == 1 else None, vmin=0, vmax=255)
        title = CLASS_NAMES[int(y[i])] + (f" ({os.path.basename(names[i])})" if names else "")
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    return _save(fig, path)
