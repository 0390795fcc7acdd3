"""The figures ``dogcat train`` and ``dogcat explain`` write; each function returns a matplotlib Figure.

Used by both sides, so it never imports TensorFlow: models and layers arrive as arguments.
matplotlib is imported inside the functions, so ``import dogcat_lib`` stays fast. The notebooks
draw the lessons' figures in their own cells (the course's two curves, feature maps, filters);
where one re-states a figure of this module, a test proves they plot the same numbers. Text is
Korean, in NanumGothic (:func:`use_korean_font`): stock Colab, Windows and Linux fonts have no Hangul.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

import cv2
import numpy as np

from .data.imagespec import ImageSpec
from .data.labels import CLASS_NAMES_KO
from .plumbing.atomic import atomic_output


def use_korean_font() -> None:
    """Draw matplotlib's text in NanumGothic (Hangul), then DejaVu Sans, for every figure from now on.

    The font files come with the ``koreanize-matplotlib`` package (MIT; NanumGothic under the SIL
    Open Font License); its module is not imported, since it needs ``distutils``, gone in Python 3.12.
    """
    import matplotlib
    from matplotlib import font_manager

    fonts = Path(find_spec("koreanize_matplotlib").submodule_search_locations[0]) / "fonts"
    if "NanumGothic" not in {font.name for font in font_manager.fontManager.ttflist}:
        for path in sorted(fonts.glob("NanumGothic*.ttf")):
            font_manager.fontManager.addfont(str(path))
    matplotlib.rcParams["font.family"] = ["NanumGothic", "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # NanumGothic has no Unicode minus sign


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


def _pyplot():
    """matplotlib.pyplot with the Korean font set, imported on first use (import dogcat_lib stays light)."""
    import matplotlib.pyplot as plt

    use_korean_font()
    return plt


def plot_sample_grid(X, y, spec: ImageSpec | None = None, n: int = 6, names=None, path=None):
    """``n`` rows of X, evenly spread, turned back into pictures and titled with their label.

    X: (N, size*size) gray or (N, size*size*3) RGB uint8 rows; ``spec`` is read off their width
    when not given. ``names``: each row's file, shown under its label.
    """
    plt = _pyplot()
    spec = spec or ImageSpec.from_pixels(np.asarray(X).shape[1])
    picks = np.linspace(0, len(X) - 1, min(n, len(X))).astype(int)
    fig, axes = plt.subplots(1, len(picks), figsize=(2 * len(picks), 2.4), squeeze=False)
    for ax, i in zip(axes[0], picks, strict=True):
        _show(ax, X[i].reshape(spec.shape))
        title = CLASS_NAMES_KO[int(y[i])] + (f" ({os.path.basename(names[i])})" if names else "")
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_history(history, title: str = "", path: str | os.PathLike | None = None):
    """The course's curves side by side: accuracy and loss per epoch, training vs validation.

    ``history``: what ``model.fit`` returns (a Keras ``History``, epochs counted from 0), its
    ``.history`` dict, or ``history.csv``'s DataFrame (an ``epoch`` column from 1). The best
    validation-loss epoch is marked: where the two loss curves part, the model starts to memorise.
    """
    import pandas as pd

    plt = _pyplot()
    frame = pd.DataFrame(getattr(history, "history", history))
    if "epoch" in frame:
        epochs = frame["epoch"].to_numpy()
    else:
        epochs = np.asarray(getattr(history, "epoch", None) or range(len(frame))) + 1
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, metric, name in zip(axes, ("accuracy", "loss"), ("정확도", "손실"), strict=True):
        ax.plot(epochs, frame[metric], "o-", ms=3, label="훈련")
        if f"val_{metric}" in frame:
            ax.plot(epochs, frame[f"val_{metric}"], "o-", ms=3, label="검증")
        ax.set(xlabel="에포크", ylabel=name, title=f"{name}: 훈련과 검증")
        ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
        ax.grid(alpha=0.3)
    if "val_loss" in frame and len(frame):
        best = epochs[int(np.argmin(frame["val_loss"].to_numpy()))]
        for ax in axes:
            ax.axvline(best, color="gray", ls="--", lw=1, label=f"가장 낮은 검증 손실 (에포크 {best})")
    for ax in axes:
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_confusion_matrix(confusion: np.ndarray, title: str = "", path: str | os.PathLike | None = None):
    """The 2x2 confusion matrix (rows: true class, columns: predicted), with counts and row shares."""
    plt = _pyplot()
    confusion = np.asarray(confusion)
    shares = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(4.2, 3.8))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(confusion):
        color = "white" if shares[i, j] > 0.5 else "black"
        ax.text(j, i, f"{count:,}\n{shares[i, j]:.0%}", ha="center", va="center", color=color)
    ax.set_xticks([0, 1], [f"예측 {c}" for c in CLASS_NAMES_KO])
    ax.set_yticks([0, 1], [f"실제 {c}" for c in CLASS_NAMES_KO])
    ax.set_title(title or "혼동 행렬", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def plot_mistakes(X: np.ndarray, y: np.ndarray, proba: np.ndarray, n: int = 8, path=None):
    """The ``n`` most confidently wrong photos, titled with the truth and P(dog).

    X: (N, D) uint8 rows (shape inferred: size² gray or size²·3 RGB), y: (N,) labels,
    proba: (N,) P(dog), e.g. ``model.predict``'s.
    """
    plt = _pyplot()
    y = np.asarray(y).astype(int)
    proba = np.asarray(proba, dtype=np.float64).reshape(-1)
    confidence_wrong = np.abs(proba - y)  # 1.0: sure of the wrong class
    wrong = np.flatnonzero(confidence_wrong > 0.5)
    picks = wrong[np.argsort(-confidence_wrong[wrong], kind="stable")][:n]
    spec = ImageSpec.from_pixels(np.asarray(X).shape[1])
    fig, axes = plt.subplots(1, max(len(picks), 1), figsize=(2 * max(len(picks), 1), 2.5), squeeze=False)
    for ax, i in zip(axes[0], picks, strict=False):
        _show(ax, X[i].reshape(spec.shape))
        ax.set_title(f"실제 {CLASS_NAMES_KO[y[i]]}\nP(강아지)={proba[i]:.2f}", fontsize=8)
    if len(picks) == 0:
        axes[0][0].axis("off")
        axes[0][0].text(0.5, 0.5, "틀린 사진이 없습니다", ha="center", va="center")
    fig.suptitle(f"가장 확신한 오답 {len(picks)}장 (오답 {len(wrong):,}장 가운데)", fontsize=10)
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
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
    _show(axes[0], image)
    axes[0].set_title("사진", fontsize=10)
    if pixels is not None:
        _show(axes[1], pixels)
    shown = axes[1].imshow(heatmap, cmap="jet", alpha=0.5 if pixels is not None else 1.0, vmin=0, vmax=1)
    axes[1].set_title(f"히트맵 ({heatmap.shape[1]}×{heatmap.shape[0]}, 모델의 입력)", fontsize=10)
    axes[1].axis("off")
    fig.colorbar(shown, ax=axes[1], fraction=0.046, pad=0.04)
    _show(axes[2], overlay_heatmap(image, heatmap, alpha))
    axes[2].set_title(f"겹쳐 보기 (불투명도 {alpha:g})", fontsize=10)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _save(fig, path)
