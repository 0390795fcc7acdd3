"""Your own photo (notebook 04, section 1): a path, raw bytes or an upload -> the photo as shown.

An upload arrives in three shapes: ``ipywidgets.FileUpload().value`` is a tuple of dicts whose
``content`` is a memoryview in ipywidgets 8, a dict ``name -> {"content": bytes, ...}`` in
ipywidgets 7 (what Colab ships), and ``google.colab.files.upload()`` returns a dict
``name -> bytes``. :func:`uploaded_photos` turns each into ``[(name, bytes), ...]``.

The photo is shown as a phone or a browser shows it: RGB, turned upright by its EXIF
Orientation tag. OpenCV's ``IMREAD_COLOR`` and ``IMREAD_GRAYSCALE`` apply that tag (only
``IMREAD_UNCHANGED`` and ``IMREAD_IGNORE_ORIENTATION`` do not), and
:func:`~dogcat_lib.data.images.decode_pixels` uses them, so the model's input is upright too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from ..plumbing.errors import ImageError
from .images import MAX_PIXELS, _reduction, check_image_bytes, read_file_bytes

#: What a photo upload may hold; OpenCV decodes each of these.
PHOTO_FORMATS = "JPEG, PNG, BMP, WEBP or TIFF"
_REDUCED_COLOR = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


class Photo(NamedTuple):
    """One photo: its ``name``, the file's ``data`` (bytes) and ``image`` (H, W, 3) uint8 RGB as shown."""

    name: str
    data: bytes
    image: np.ndarray


def _content(entry) -> bytes:
    content = entry["content"] if isinstance(entry, Mapping) else entry
    return bytes(content)  # a memoryview (ipywidgets 8) or bytes


def uploaded_photos(value) -> list[tuple[str, bytes]]:
    """``[(name, bytes), ...]`` from an upload, in the order given.

    ``value``: an ``ipywidgets.FileUpload`` widget or its ``.value`` (ipywidgets 8: a tuple of
    dicts with ``name`` and ``content``; ipywidgets 7: a dict ``name -> {"content": ...}``),
    Colab's ``files.upload()`` dict ``name -> bytes``, or raw bytes (named ``photo``). An empty
    upload gives ``[]``.
    """
    if hasattr(value, "value") and hasattr(value, "observe"):  # the widget itself
        value = value.value
    if isinstance(value, bytes | bytearray | memoryview):
        return [("photo", bytes(value))]
    if isinstance(value, Mapping):  # ipywidgets 7 or Colab
        return [(str(name), _content(entry)) for name, entry in value.items()]
    if isinstance(value, list | tuple):  # ipywidgets 8
        return [(str(entry["name"]), _content(entry)) for entry in value]
    raise TypeError(f"not an upload: {type(value).__name__} (expected FileUpload.value or files.upload())")


def photo_file(photo, name: str | None = None) -> tuple[str, bytes]:
    """``(name, bytes)`` of a path, raw bytes, or the first file of an upload (:func:`uploaded_photos`)."""
    if isinstance(photo, str | os.PathLike):
        path = Path(photo).expanduser()
        return name or path.name, read_file_bytes(path)
    files = uploaded_photos(photo)
    if not files:
        raise ImageError("no photo uploaded yet: choose a file with the upload button, then run the cell")
    found, data = files[0]
    return name or found, data


def decode_photo(data: bytes, max_side: int | None = 1024, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Image bytes -> (H, W, 3) uint8 RGB, upright (EXIF orientation applied), at most ``max_side`` px.

    Raises :class:`ImageError` with the reason (not an image, truncated, too large...).
    """
    fmt, width, height = check_image_bytes(data)
    factor = _reduction(width, height, fmt, max_pixels)
    flag = _REDUCED_COLOR[factor] if factor > 1 else cv2.IMREAD_COLOR
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    except cv2.error as exc:
        raise ImageError(f"corrupt image (OpenCV: {str(exc).strip().splitlines()[-1]})") from exc
    if image is None or image.size == 0:
        raise ImageError(f"corrupt {fmt} (OpenCV could not decode it)")
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    longest = max(image.shape[:2])
    if max_side is not None and longest > max_side:
        scale = max_side / longest
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image)


def open_photo(photo, name: str | None = None, max_side: int | None = 1024) -> Photo:
    """Your photo, as shown: a path, raw bytes, or an upload (its first file) -> :class:`Photo`.

    ``image`` is (H, W, 3) uint8 RGB, upright by the EXIF orientation, scaled down to at most
    ``max_side`` pixels (None: full size). A file that is not a photo raises :class:`ImageError`
    naming it and the reason. Notebook 04, section 1.
    """
    name, data = photo_file(photo, name)
    try:
        image = decode_photo(data, max_side)
    except ImageError as exc:
        raise ImageError(f"{name} is not a photo: {exc}: choose a photo ({PHOTO_FORMATS})") from exc
    return Photo(name, data, image)
