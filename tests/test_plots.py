import matplotlib

matplotlib.use("Agg")

import numpy as np
from conftest import jpeg

from dogcat_lib import plot_preprocessing_steps, plot_sample_grid


def test_preprocessing_steps_figure_and_png(tmp_path):
    fig = plot_preprocessing_steps(jpeg(0, 1), size=32, title="cat", path=tmp_path / "steps.png")
    assert len(fig.axes) == 3
    assert (tmp_path / "steps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sample_grid_gray_and_rgb(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (10, 16 * 16), dtype=np.uint8)
    y = np.array([0, 1] * 5, dtype=np.uint8)
    fig = plot_sample_grid(X, y, size=16, n=4, names=[f"train/cat.{i}.jpg" for i in range(10)])
    assert [ax.get_title() for ax in fig.axes] == [
        "cat (cat.0.jpg)",
        "dog (cat.3.jpg)",
        "cat (cat.6.jpg)",
        "dog (cat.9.jpg)",
    ]
    X3 = rng.integers(0, 256, (3, 8 * 8 * 3), dtype=np.uint8)
    plot_sample_grid(X3, y[:3], size=8, color="rgb", path=tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 0
