"""The figures the CLI writes: Korean text in a font that has it (no empty boxes), the course's curves."""

import matplotlib

matplotlib.use("Agg")

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from dogcat_lib import ImageSpec, plot_confusion_matrix, plot_history, plot_mistakes, plot_sample_grid
from dogcat_lib.plots import overlay_heatmap, plot_gradcam, use_korean_font


def test_sample_grid_gray_and_rgb(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (10, 16 * 16), dtype=np.uint8)
    y = np.array([0, 1] * 5, dtype=np.uint8)
    fig = plot_sample_grid(X, y, n=4, names=[f"train/cat.{i}.jpg" for i in range(10)])  # 16x16 from the width
    assert [ax.get_title() for ax in fig.axes] == [
        "고양이 (cat.0.jpg)",
        "강아지 (cat.3.jpg)",
        "고양이 (cat.6.jpg)",
        "강아지 (cat.9.jpg)",
    ]
    X3 = rng.integers(0, 256, (3, 8 * 8 * 3), dtype=np.uint8)
    rgb = plot_sample_grid(X3, y[:3], ImageSpec(8, "rgb"), path=tmp_path / "grid.png")
    np.testing.assert_array_equal(rgb.axes[0].images[0].get_array(), X3[0].reshape(8, 8, 3))
    assert (tmp_path / "grid.png").read_bytes()[:4] == b"\x89PNG"
    plt.close("all")


def test_history_curves_side_by_side_with_the_best_epoch_marked_and_whole_epochs(tmp_path):
    history = pd.DataFrame(
        {"epoch": [1, 2, 3], "loss": [0.7, 0.5, 0.3], "accuracy": [0.5, 0.7, 0.9],
         "val_loss": [0.69, 0.6, 0.65], "val_accuracy": [0.5, 0.66, 0.64]}
    )  # fmt: skip
    fig = plot_history(history, title="강의의 CNN", path=tmp_path / "h.png")
    assert [ax.get_ylabel() for ax in fig.axes] == ["정확도", "손실"]
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels == ["훈련", "검증", "가장 낮은 검증 손실 (에포크 2)"]
    fig.canvas.draw()
    ticks = [float(t) for t in fig.axes[0].get_xticks() if 1 <= t <= 3]
    assert ticks and all(t == int(t) for t in ticks)  # no tick at epoch 1.5
    train_only = plot_history({"loss": [1.0, 0.5], "accuracy": [0.5, 0.6]})  # fit().history, no validation
    assert [len(ax.lines) for ax in train_only.axes] == [1, 1]
    plt.close("all")


def test_history_curves_from_what_model_fit_returns():
    class History:  # the shape of keras.callbacks.History: .history and 0-based .epoch
        def __init__(self):
            self.history = {"loss": [0.7, 0.4], "accuracy": [0.6, 0.8], "val_loss": [0.6, 0.65],
                            "val_accuracy": [0.7, 0.68]}  # fmt: skip
            self.epoch = [0, 1]

    fig = plot_history(History())
    epochs, accuracy = fig.axes[0].lines[0].get_data()
    assert list(epochs) == [1, 2] and list(accuracy) == [0.6, 0.8]
    assert list(fig.axes[1].lines[1].get_ydata()) == [0.6, 0.65]  # validation loss
    plt.close("all")


def test_confusion_matrix_and_mistakes_in_korean():
    fig = plot_confusion_matrix(np.array([[30, 10], [5, 55]]))
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["10\n25%", "30\n75%", "5\n8%", "55\n92%"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["예측 고양이", "예측 강아지"]
    X = np.zeros((5, 8 * 8), np.uint8)
    y = np.array([0, 0, 1, 1, 0])
    proba = np.array([0.9, 0.2, 0.05, 0.7, 0.6])  # wrong: 0 (0.9), 2 (0.95 sure of cat), 4 (0.6)
    fig = plot_mistakes(X, y, proba, n=2)
    assert [ax.get_title() for ax in fig.axes] == [
        "실제 강아지\nP(강아지)=0.05",
        "실제 고양이\nP(강아지)=0.90",
    ]
    assert fig._suptitle.get_text() == "가장 확신한 오답 2장 (오답 3장 가운데)"
    none = plot_mistakes(X[:2], y[:2], np.array([0.1, 0.2]))
    assert none.axes[0].texts[0].get_text() == "틀린 사진이 없습니다"
    plt.close("all")


def test_overlay_blends_the_jet_colormap_at_the_photos_size():
    photo = np.full((40, 60, 3), 100, np.uint8)
    heat = np.zeros((8, 8), np.float32)
    heat[:4, :4] = 1.0
    assert np.array_equal(overlay_heatmap(photo, heat, alpha=0.0), photo)
    full = overlay_heatmap(photo, heat, alpha=1.0)
    assert full.shape == (40, 60, 3) and full.dtype == np.uint8
    assert tuple(full[0, 0]) == (128, 0, 0)  # jet's top: dark red
    assert tuple(full[-1, -1]) == (0, 0, 128)  # jet's bottom: dark blue
    assert overlay_heatmap(photo[..., 0], heat, alpha=0.5).shape == (40, 60, 3)


def test_hangul_is_drawn_in_a_font_that_has_it(tmp_path):
    """A student's photo "우리집강아지.jpg" is titled in Hangul, not "???????.jpg" or empty boxes:
    a missing glyph warns, and the warning is an error here (and in every notebook run)."""
    rng = np.random.default_rng(2)
    photo = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "Glyph .* missing from")
        title = "우리집강아지.jpg: P(강아지) = 0.900"
        heat = rng.random((32, 32)).astype(np.float32)
        fig = plot_gradcam(photo, heat, pixels=photo[:32, :32, 0], title=title, path=tmp_path / "cam.png")
        names = ["고양이/나비 사진.jpg", "b.jpg"]
        grid = plot_sample_grid(
            np.zeros((2, 64), np.uint8), np.array([0, 1]), names=names, path=tmp_path / "g.png"
        )
    assert fig._suptitle.get_text() == "우리집강아지.jpg: P(강아지) = 0.900"
    assert grid.axes[0].get_title() == "고양이 (나비 사진.jpg)"
    from matplotlib import font_manager

    assert "NanumGothic" in font_manager.findfont("NanumGothic")  # the font is found, not a fallback
    plt.rcParams["font.family"] = ["DejaVu Sans"]  # the check itself works: without it, Hangul warns
    with pytest.warns(UserWarning, match="Glyph"):
        plt.figure().suptitle("고양이")
        plt.gcf().savefig(tmp_path / "raw.png")
    use_korean_font()
    plt.close("all")
