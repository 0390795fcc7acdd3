import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dogcat_lib import ImageSpec, plot_sample_grid
from dogcat_lib.plots import overlay_heatmap, plot_gradcam


def test_sample_grid_gray_and_rgb(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (10, 16 * 16), dtype=np.uint8)
    y = np.array([0, 1] * 5, dtype=np.uint8)
    fig = plot_sample_grid(X, y, ImageSpec(16), n=4, names=[f"train/cat.{i}.jpg" for i in range(10)])
    assert [ax.get_title() for ax in fig.axes] == [
        "cat (cat.0.jpg)",
        "dog (cat.3.jpg)",
        "cat (cat.6.jpg)",
        "dog (cat.9.jpg)",
    ]
    X3 = rng.integers(0, 256, (3, 8 * 8 * 3), dtype=np.uint8)
    rgb = plot_sample_grid(X3, y[:3], ImageSpec(8, "rgb"), path=tmp_path / "grid.png")
    np.testing.assert_array_equal(rgb.axes[0].images[0].get_array(), X3[0].reshape(8, 8, 3))
    assert (tmp_path / "grid.png").read_bytes()[:4] == b"\x89PNG"


def test_history_curves_side_by_side_with_the_best_epoch_marked(tmp_path):
    import pandas as pd

    from dogcat_lib import plot_history

    history = pd.DataFrame(
        {"epoch": [1, 2, 3], "loss": [0.7, 0.5, 0.3], "accuracy": [0.5, 0.7, 0.9],
         "val_loss": [0.69, 0.6, 0.65], "val_accuracy": [0.5, 0.66, 0.64]}
    )  # fmt: skip
    fig = plot_history(history, title="reference", path=tmp_path / "h.png")
    assert [ax.get_ylabel() for ax in fig.axes] == ["accuracy", "loss"]
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels == ["train", "validation", "best val_loss (epoch 2)"]
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"
    train_only = plot_history({"loss": [1.0, 0.5], "accuracy": [0.5, 0.6]})  # fit().history, no validation
    assert [len(ax.lines) for ax in train_only.axes] == [1, 1]  # no validation curve, no best epoch
    assert train_only.axes[1].lines[0].get_ydata().tolist() == [1.0, 0.5]


def test_history_curves_from_what_model_fit_returns():
    from dogcat_lib import plot_history

    class History:  # the shape of keras.callbacks.History: .history and 0-based .epoch
        def __init__(self):
            self.history = {"loss": [0.7, 0.4], "accuracy": [0.6, 0.8], "val_loss": [0.6, 0.65],
                            "val_accuracy": [0.7, 0.68]}  # fmt: skip
            self.epoch = [0, 1]

    fig = plot_history(History())
    epochs, accuracy = fig.axes[0].lines[0].get_data()
    assert list(epochs) == [1, 2] and list(accuracy) == [0.6, 0.8]
    assert list(fig.axes[1].lines[1].get_ydata()) == [0.6, 0.65]  # validation loss


def test_confusion_matrix_shows_counts_and_row_shares():
    from dogcat_lib import plot_confusion_matrix

    fig = plot_confusion_matrix(np.array([[30, 10], [5, 55]]))
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["10\n25%", "30\n75%", "5\n8%", "55\n92%"]


def test_mistakes_picks_the_most_confident_wrong_photos():
    from dogcat_lib import plot_mistakes

    X = np.zeros((5, 8 * 8), np.uint8)
    y = np.array([0, 0, 1, 1, 0])
    proba = np.array([0.9, 0.2, 0.05, 0.7, 0.6])  # wrong: 0 (0.9), 2 (0.95 sure of cat), 4 (0.6)
    fig = plot_mistakes(X, y, proba, n=2)
    assert [ax.get_title() for ax in fig.axes] == ["true dog\nP(dog)=0.05", "true cat\nP(dog)=0.90"]
    assert "2 most confident mistakes of 3" in fig._suptitle.get_text()
    none = plot_mistakes(X[:2], y[:2], np.array([0.1, 0.2]))
    assert none.axes[0].texts[0].get_text() == "no mistakes"


def test_overlay_blends_the_jet_colormap_at_the_photos_size():
    photo = np.full((40, 60, 3), 100, np.uint8)
    heat = np.zeros((8, 8), np.float32)
    heat[:4, :4] = 1.0
    assert np.array_equal(overlay_heatmap(photo, heat, alpha=0.0), photo)
    full = overlay_heatmap(photo, heat, alpha=1.0)
    assert full.shape == (40, 60, 3) and full.dtype == np.uint8
    assert tuple(full[0, 0]) == (128, 0, 0)  # jet's top: dark red
    assert tuple(full[-1, -1]) == (0, 0, 128)  # jet's bottom: dark blue
    gray = overlay_heatmap(photo[..., 0], heat, alpha=0.5)
    assert gray.shape == (40, 60, 3)


def test_gradcam_figure(tmp_path):
    rng = np.random.default_rng(2)
    photo = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)
    fig = plot_gradcam(photo, rng.random((32, 32)).astype(np.float32), pixels=photo[:32, :32, 0],
                       title="고양이.jpg: P(dog) = 0.100", path=tmp_path / "cam.png")  # fmt: skip
    assert fig._suptitle.get_text() == "???.jpg: P(dog) = 0.100"
    assert (tmp_path / "cam.png").stat().st_size > 0
    plt.close("all")


def test_figures_never_show_empty_boxes_for_korean_file_names(tmp_path):
    """Stock Colab, Windows and Linux fonts have no Hangul: a missing glyph is an error in tests."""
    import warnings

    import matplotlib.pyplot as plt

    X = np.zeros((2, 8 * 8), np.uint8)
    y = np.array([0, 1], np.uint8)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "Glyph .* missing from")
        fig = plot_sample_grid(
            X, y, ImageSpec(8), names=["고양이/우리 고양이.jpg", "dog.1.jpg"], path=tmp_path / "g.png"
        )
        with pytest.raises(UserWarning, match="Glyph"):  # the check itself works: raw Hangul does warn
            plt.figure().suptitle("고양이")
            plt.gcf().savefig(tmp_path / "raw.png")
    assert fig.axes[0].get_title() == "cat (?? ???.jpg)"
