"""The one description of an image's shape: ``ImageSpec(size, color)`` (notebook 01, "The CSV").

A photo becomes ``size x size`` pixels, gray (1 channel) or RGB (3). The same fact appears as a
CSV row's width (``n_pixels``), a model's input shape ``(H, W, C)`` and the ``--size/--color``
options; it is inferred once at each boundary (:meth:`ImageSpec.from_pixels` for a CSV,
:meth:`ImageSpec.from_model` for a model) and carried as it is from there. The course's 80x80 gray
is :data:`COURSE`, the only place its numbers are written.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

from ..plumbing.errors import DatasetError

COLORS = ("gray", "rgb")
_CHANNELS = {"gray": 1, "rgb": 3}
#: The largest side: 512x512 RGB is 786,432 values a row, a 5.5 MB CSV header (the reader takes 16 MB).
MAX_SIZE = 512


@dataclass(frozen=True)
class ImageSpec:
    """``size`` pixels a side, ``color`` "gray" or "rgb": the course's default is 80x80 gray."""

    size: int = 80
    color: str = "gray"

    def __post_init__(self) -> None:
        """Raises DatasetError (a ValueError) for an unknown color or a size outside 1..MAX_SIZE."""
        if self.color not in COLORS:
            raise DatasetError(f"color must be one of {COLORS}, not {self.color!r}")
        if isinstance(self.size, bool) or not isinstance(self.size, Integral) or self.size < 1:
            raise DatasetError(f"size must be a positive integer, not {self.size!r}")
        if self.size > MAX_SIZE:
            raise DatasetError(
                f"size {self.size} is too large: at most {MAX_SIZE} pixels a side "
                "(--size; the course uses 80)"
            )
        object.__setattr__(self, "size", int(self.size))  # a NumPy integer becomes a plain int

    @property
    def channels(self) -> int:
        """1 for gray, 3 for RGB."""
        return _CHANNELS[self.color]

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(size, size, channels)``: a model's input shape, one row reshaped."""
        return (self.size, self.size, self.channels)

    @property
    def n_pixels(self) -> int:
        """The values per photo: the CSV's pixel columns (6,400 for 80x80 gray)."""
        return self.size * self.size * self.channels

    def __str__(self) -> str:
        return f"{self.size}x{self.size} {'gray' if self.color == 'gray' else 'RGB'}"

    def describe(self) -> str:
        """``80x80 gray (6,400 values)``."""
        return f"{self} ({self.n_pixels:,} values)"

    @classmethod
    def from_pixels(cls, n_pixels: int) -> ImageSpec:
        """The spec of a CSV row of ``n_pixels`` values: size² (gray) or size²·3 (RGB).

        The two never collide (3·size² is never a square), so the width decides. Raises
        DatasetError for a width that is neither.
        """
        n_pixels = int(n_pixels)
        for color in COLORS:
            size = round((n_pixels / _CHANNELS[color]) ** 0.5)
            if n_pixels > 0 and size * size * _CHANNELS[color] == n_pixels:
                if size > MAX_SIZE:  # the data is at fault here, not an option
                    raise DatasetError(
                        f"{n_pixels:,} columns make {size}x{size} {color} photos, over {MAX_SIZE} a side"
                    )
                return cls(size, color)
        raise DatasetError(
            f"{n_pixels:,} pixel columns are neither size x size (gray) nor size x size x 3 (RGB) images"
        )

    @classmethod
    def from_shape(cls, shape: tuple[int, ...], what: str = "input shape") -> ImageSpec:
        """The spec of an ``(H, W, C)`` input shape; DatasetError unless square with C = 1 or 3."""
        shape = tuple(shape)
        if len(shape) != 3 or shape[0] != shape[1] or shape[2] not in (1, 3) or shape[0] is None:
            raise DatasetError(f"{what} {shape} is not a square gray (H, W, 1) or RGB (H, W, 3) image")
        return cls(int(shape[0]), "gray" if shape[2] == 1 else "rgb")

    @classmethod
    def from_model(cls, model) -> ImageSpec:
        """The photos a Keras ``model`` takes, read off its input shape (no TensorFlow import here)."""
        return cls.from_shape(tuple(model.input_shape[1:]), "the model's input shape")


COURSE = ImageSpec(80, "gray")  # the course's photos
