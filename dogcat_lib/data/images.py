"""One photo -> a small uint8 pixel array, exactly as the course does it (notebook 01, "Decoding").

The course's step is ``cv2.resize(cv2.imread(path, cv2.IMREAD_GRAYSCALE), (80, 80))``.
:func:`load_pixels` gives the same pixels, but reads the bytes itself (so non-ASCII paths work on
Windows, and zip members need no extraction), checks them first, and raises :class:`ImageError`
with a reason instead of OpenCV's ``None`` (which made the course crash in ``resize``) or its
silent gray fill of a truncated JPEG.
"""

from __future__ import annotations

import io
import os
import warnings

import cv2
import numpy as np

from ..plumbing.errors import ImageError
from .imagespec import ImageSpec

#: Images with more pixels than this are decoded at reduced size (JPEG) or skipped (other
#: formats), so one 10,000 x 10,000 photo cannot take 300 MB per worker. 40 MP covers cameras.
MAX_PIXELS = 40_000_000
#: Files larger than this are skipped without being read into memory.
MAX_FILE_BYTES = 256 * 1024 * 1024

_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"BM", "BMP"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_REDUCED = {  # libjpeg's scaled decoding, for photos too large to decode whole
    ("gray", 2): cv2.IMREAD_REDUCED_GRAYSCALE_2,
    ("gray", 4): cv2.IMREAD_REDUCED_GRAYSCALE_4,
    ("gray", 8): cv2.IMREAD_REDUCED_GRAYSCALE_8,
    ("rgb", 2): cv2.IMREAD_REDUCED_COLOR_2,
    ("rgb", 4): cv2.IMREAD_REDUCED_COLOR_4,
    ("rgb", 8): cv2.IMREAD_REDUCED_COLOR_8,
}


def sniff_format(data: bytes) -> str | None:
    """Name the image format from the first bytes (``'JPEG'``, ``'PNG'``, ...) or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    return None


def _not_an_image_reason(data: bytes) -> str:
    head = data[:512]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "not an image (unrecognised content)"
    if all(ch.isprintable() or ch.isspace() for ch in text):
        return "not an image (a text file)"
    return "not an image (unrecognised content)"


_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # start-of-frame markers
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's start-of-frame marker, or None if it can't be found.

    A few marker hops from the start of the file: ~20x cheaper than opening it with Pillow,
    which matters because it runs once per photo with the GIL held.
    """
    i, n = 2, len(data)
    while i + 9 < n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _JPEG_STANDALONE:
            i += 2
            continue
        if marker in _JPEG_SOF:
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return (width, height) if width and height else None
        if marker == 0xDA:  # start of scan before any frame header: broken
            return None
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def _image_size(data: bytes, fmt: str | None = None) -> tuple[int, int]:
    """(width, height) from the header only; nothing is decoded."""
    if fmt == "JPEG":
        size = _jpeg_size(data)
        if size is not None:
            return size
    elif fmt == "PNG" and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    from PIL import Image  # a dependency of matplotlib; imported here to keep import time low

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we bound memory ourselves
            with Image.open(io.BytesIO(data)) as im:
                return im.size
    except Image.DecompressionBombError as exc:
        raise ImageError(f"image too large to decode safely ({exc})") from exc
    except Exception as exc:  # Pillow raises several types for a broken header
        raise ImageError(f"corrupt image (unreadable header: {type(exc).__name__})") from exc


def is_truncated_jpeg(data: bytes) -> bool:
    """True when a JPEG's last scan has no end-of-image marker (the file was cut short).

    In entropy-coded JPEG data 0xFF is always followed by 0x00 or a restart marker, so the
    markers SOS (FFDA) and EOI (FFD9) cannot occur by chance; OpenCV would otherwise decode
    the cut file silently and paint the missing rows gray.
    """
    return data.rfind(b"\xff\xd9") < data.rfind(b"\xff\xda")


def check_image_bytes(data: bytes) -> tuple[str, int, int]:
    """Validate raw bytes before decoding; return (format, width, height) or raise ImageError."""
    if len(data) == 0:
        raise ImageError("empty file (0 bytes)")
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageError(_not_an_image_reason(data))
    width, height = _image_size(data, fmt)
    if fmt == "JPEG" and is_truncated_jpeg(data):
        raise ImageError("truncated JPEG (no end-of-image marker)")
    return fmt, width, height


def _reduction(width: int, height: int, fmt: str, max_pixels: int) -> int:
    """The JPEG decoder's scale-down factor (1, 2, 4 or 8) that keeps a huge photo under ``max_pixels``.

    Photos under the limit (every real pet photo) are decoded at full size, as the course does.
    """
    if fmt != "JPEG":
        if width * height > max_pixels:
            raise ImageError(
                f"image too large to decode safely ({width} x {height} {fmt}; limit {max_pixels:,} px)"
            )
        return 1
    factor = 1
    while width * height > max_pixels * factor * factor and factor < 8:
        factor *= 2
    if width * height > max_pixels * factor * factor:
        raise ImageError(f"image too large to decode safely ({width} x {height} JPEG)")
    return factor


def decode_pixels(
    data: bytes, size: int = 80, color: str = "gray", *, max_pixels: int = MAX_PIXELS
) -> np.ndarray:
    """Decode image bytes to a ``(size, size)`` (gray) or ``(size, size, 3)`` (RGB) uint8 array.

    The course's pixels: a full decode, then ``cv2.resize`` with bilinear interpolation. Only a
    photo over ``max_pixels`` is decoded at 1/2 to 1/8 scale by libjpeg (and area-resampled), so
    one huge file cannot take hundreds of MB. Raises :class:`ImageError` with the reason.
    """
    spec = ImageSpec(size, color)
    fmt, width, height = check_image_bytes(data)
    factor = _reduction(width, height, fmt, max_pixels)
    flag = (
        _REDUCED[(spec.color, factor)]
        if factor > 1
        else (cv2.IMREAD_GRAYSCALE if spec.color == "gray" else cv2.IMREAD_COLOR)
    )
    buffer = np.frombuffer(data, dtype=np.uint8)
    try:
        image = cv2.imdecode(buffer, flag)
    except cv2.error as exc:
        raise ImageError(f"corrupt image (OpenCV: {str(exc).strip().splitlines()[-1]})") from exc
    if image is None or image.size == 0:
        raise ImageError(f"corrupt {fmt} (OpenCV could not decode it)")
    if spec.color == "rgb":
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    interpolation = cv2.INTER_AREA if factor > 1 else cv2.INTER_LINEAR
    return np.ascontiguousarray(cv2.resize(image, (spec.size, spec.size), interpolation=interpolation))


def read_file_bytes(path: str | os.PathLike) -> bytes:
    """A file's bytes, refusing (ImageError) one larger than ``MAX_FILE_BYTES`` before reading it."""
    with open(path, "rb") as f:
        nbytes = os.fstat(f.fileno()).st_size
        if nbytes > MAX_FILE_BYTES:
            raise ImageError(f"file too large ({nbytes:,} bytes)")
        return f.read()


def load_pixels(
    path_or_bytes: str | os.PathLike | bytes,
    size: int = 80,
    color: str = "gray",
    *,
    max_pixels: int = MAX_PIXELS,
) -> np.ndarray:
    """Load one photo (a path or its bytes) as uint8 pixels: (size, size) gray or (size, size, 3) RGB.

    With the defaults this equals the course's
    ``cv2.resize(cv2.imread(path, cv2.IMREAD_GRAYSCALE), (80, 80))``. See :func:`decode_pixels`.
    """
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        data = bytes(path_or_bytes)
    else:
        data = read_file_bytes(path_or_bytes)
    return decode_pixels(data, size, color, max_pixels=max_pixels)
