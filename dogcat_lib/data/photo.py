"""Your own photo (notebook 04, section 1; ``dogcat app``): a path, raw bytes or an upload -> the photo.

No library reads an upload in each shape a student meets (ipywidgets 8, ipywidgets 7 on Colab,
Colab's ``files.upload()``): :func:`uploaded_photos` does. The photo is shown as a phone or a
browser shows it: RGB, upright by its EXIF Orientation tag, which OpenCV applies (to the model's
input too, so it is upright as well).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from ..plumbing.errors import ImageError
from .images import decode_image, read_file_bytes

#: What a photo upload may hold; OpenCV decodes each of these.
PHOTO_FORMATS = "JPEG, PNG, BMP, WEBP or TIFF"


class Photo(NamedTuple):
    """One photo: its ``name``, the file's ``data`` (bytes) and ``image`` (H, W, 3) uint8 RGB as shown."""

    name: str
    data: bytes
    image: np.ndarray


def uploaded_photos(value) -> list[tuple[str, bytes]]:
    """``[(name, bytes), ...]`` from an upload, in the order given; ``[]`` for an empty one.

    ``value``: an ``ipywidgets.FileUpload`` widget or its ``.value`` (ipywidgets 8: a tuple of
    dicts with ``name`` and ``content``, a memoryview; ipywidgets 7, what Colab ships: a dict
    ``name -> {"content": bytes, ...}``), Colab's ``files.upload()`` dict ``name -> bytes``, or
    raw bytes (named ``photo``).
    """
    if hasattr(value, "value") and hasattr(value, "observe"):  # the widget itself
        value = value.value

    def content(entry) -> bytes:
        return bytes(entry["content"] if isinstance(entry, Mapping) else entry)  # memoryview in ipywidgets 8

    if isinstance(value, bytes | bytearray | memoryview):
        return [("photo", bytes(value))]
    if isinstance(value, Mapping):  # ipywidgets 7 or Colab
        return [(str(name), content(entry)) for name, entry in value.items()]
    if isinstance(value, list | tuple):  # ipywidgets 8
        return [(str(entry["name"]), content(entry)) for entry in value]
    raise TypeError(f"not an upload: {type(value).__name__} (expected FileUpload.value or files.upload())")


def decode_photo(data: bytes, max_side: int | None = 1024) -> np.ndarray:
    """Image bytes -> (H, W, 3) uint8 RGB, upright, at most ``max_side`` pixels; ImageError if not a photo."""
    image, _ = decode_image(data, "rgb")
    longest = max(image.shape[:2])
    if max_side is not None and longest > max_side:
        scale = max_side / longest
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image)


def open_photo(photo, name: str | None = None, max_side: int | None = 1024) -> Photo:
    """Your photo, as shown: a path, raw bytes, or an upload (its first file) -> :class:`Photo`.

    ``image`` is scaled down to at most ``max_side`` pixels (None: full size). A file that is not
    a photo raises :class:`ImageError` naming it and the reason. Notebook 04, section 1.
    """
    if isinstance(photo, str | os.PathLike):
        path = Path(photo).expanduser()
        found, data = path.name, read_file_bytes(path)
    else:
        files = uploaded_photos(photo)
        if not files:
            raise ImageError("no photo uploaded yet: choose a file with the upload button")
        found, data = files[0]
    name = name or found
    try:
        return Photo(name, data, decode_photo(data, max_side))
    except ImageError as exc:
        raise ImageError(f"{name} is not a photo: {exc}: choose a photo ({PHOTO_FORMATS})") from exc
