"""ImageSpec: the one conversion between (size, color), (H, W, C) and a CSV row's width."""

from __future__ import annotations

import numpy as np
import pytest

from dogcat_lib import DatasetError, ImageSpec


@pytest.mark.parametrize(("size", "color", "shape", "n"), [
    (80, "gray", (80, 80, 1), 6400),
    (80, "rgb", (80, 80, 3), 19200),
    (1, "gray", (1, 1, 1), 1),
    (128, "rgb", (128, 128, 3), 49152),
])  # fmt: skip
def test_every_form_of_the_shape_converts_both_ways(size, color, shape, n):
    spec = ImageSpec(size, color)
    assert spec.shape == shape and spec.n_pixels == n
    assert ImageSpec.from_pixels(n) == spec == ImageSpec.from_shape(shape)


def test_from_model_reads_the_input_shape_without_tensorflow():
    class Model:  # anything with Keras' input_shape
        input_shape = (None, 32, 32, 3)

    assert ImageSpec.from_model(Model()) == ImageSpec(32, "rgb")
    assert str(ImageSpec(32, "rgb")) == "32x32 RGB" and ImageSpec().describe() == "80x80 gray (6,400 values)"


def test_gray_and_rgb_widths_never_collide():
    for size in range(1, 300):
        assert ImageSpec.from_pixels(size * size).color == "gray"
        assert ImageSpec.from_pixels(3 * size * size) == ImageSpec(size, "rgb")


@pytest.mark.parametrize("n", [0, 2, 6401, 80 * 80 * 2])
def test_a_width_that_is_no_image_is_refused(n):
    with pytest.raises(DatasetError, match="neither size x size"):
        ImageSpec.from_pixels(n)


@pytest.mark.parametrize("shape", [(80, 64, 1), (80, 80, 2), (80, 80), (None, None, 3)])
def test_a_shape_that_is_no_square_image_is_refused(shape):
    with pytest.raises(DatasetError, match="not a square gray"):
        ImageSpec.from_shape(shape)


@pytest.mark.parametrize(
    ("size", "color"), [(0, "gray"), (-3, "gray"), (8.0, "gray"), (True, "gray"), (8, "bgr")]
)
def test_bad_arguments_are_value_errors(size, color):
    with pytest.raises(ValueError):
        ImageSpec(size, color)


def test_numpy_integers_become_plain_ints():
    spec = ImageSpec(np.int64(32))
    assert type(spec.size) is int and spec.shape == (32, 32, 1)
