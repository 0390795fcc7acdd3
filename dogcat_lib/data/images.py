"""One photo -> a small uint8 pixel array, exactly as the course does it (notebook 01, "Decoding").

The course's step is ``cv2.resize(cv2.imread(path, cv2.IMREAD_GRAYSCALE), (80, 80))``.
:func:`load_pixels` gives the same pixels, but reads the bytes itself (so non-ASCII paths work on
Windows, and zip members need no extraction), checks them first, and raises :class:`ImageError`
with a reason instead of OpenCV's ``None`` (which made the course crash in ``resize``) or its
silent gray fill of a truncated or corrupt JPEG (libjpeg only prints a warning for those; the
check runs libjpeg-turbo through ``simplejpeg`` in strict mode, which raises instead).
"""

from __future__ import annotations

import errno
import io
import os
import stat
import warnings

import cv2
import numpy as np
import simplejpeg

from ..plumbing.errors import ImageError
from .imagespec import ImageSpec

#: Images with more pixels than this are decoded at reduced size (JPEG) or skipped (other
#: formats), so one 10,000 x 10,000 photo cannot take 300 MB per worker. 40 MP covers cameras.
MAX_PIXELS = 40_000_000
#: Files larger than this are skipped without being read into memory.
MAX_FILE_BYTES = 256 * 1024 * 1024
#: A progressive JPEG is decoded in scans, each a pass over every block of the image: a small file
#: with thousands of tiny scans takes minutes ("scan bomb"). Real photos have 1 (baseline) to ~10.
MAX_JPEG_SCANS = 100
#: ... and scans x pixels is bounded too, so one file decodes in about a second at most: 25 scans
#: of a 40 MP photo pass, 100 scans of 20 MP (1.7 s here, a 121 KB file) do not.
MAX_JPEG_SCAN_PIXELS = 1_000_000_000

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
        raise ImageError("image too large to decode safely (Pillow's decompression-bomb limit)") from exc
    except Exception as exc:  # Pillow raises several types for a broken header
        raise ImageError(f"corrupt image (unreadable header: {type(exc).__name__})") from exc


def _first_scan(data: bytes) -> int:
    """Where a JPEG's first start-of-scan marker (FFDA) is, by hopping over the header segments
    (whose payload, an EXIF thumbnail say, may hold FFDA bytes of its own); -1 if not found."""
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return -1
        marker = data[i + 1]
        if marker == 0xDA:
            return i
        if marker == 0xFF:
            i += 1
        elif marker in _JPEG_STANDALONE:
            i += 2
        else:
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return -1


def count_jpeg_scans(data: bytes) -> int:
    """The number of scans (start-of-scan markers) of a JPEG: 1 for baseline, ~6-10 for progressive.

    Entropy-coded data never holds the bytes FF DA (a 0xFF data byte is stuffed as FF 00), so
    counting them from the first scan on is exact, and takes microseconds.
    """
    first = _first_scan(data)
    return 0 if first < 0 else data.count(b"\xff\xda", first)


def too_large() -> ImageError:
    """The skip reason for a file over :data:`MAX_FILE_BYTES` (no size in it, so reasons group)."""
    return ImageError(f"file too large (over {MAX_FILE_BYTES >> 20} MB)")


# What libjpeg says when the data is damaged and it fills the rest with gray; its warnings about
# metadata only ("Warning: unknown JFIF revision", "bad ICC marker") do not count.
_CORRUPT_JPEG = ("Corrupt JPEG data", "Premature end of JPEG file", "Inconsistent progression", "Invalid SOS")


def strict_jpeg_decode(data: bytes, *, gray: bool = False) -> np.ndarray | None:
    """Check a JPEG with libjpeg-turbo in strict mode: ImageError("corrupt JPEG data ...") on damage.

    OpenCV decodes a JPEG with bit-rot or a patched header with only a warning on stderr,
    painting what it could not decode gray. The same libjpeg-turbo, through ``simplejpeg`` in
    strict mode, raises instead. With ``gray`` the check is the decode: it returns the gray
    pixels, equal to ``cv2.imdecode(..., IMREAD_GRAYSCALE)``'s, when they can be (a gray or YCbCr
    file with no EXIF orientation for OpenCV to apply), so the course's 80x80 gray costs no
    second decode. Otherwise it decodes at 1/8 scale (every block is still entropy-decoded,
    which is where damage shows) and returns None: OpenCV decodes the pixels.
    """
    try:
        colorspace = simplejpeg.decode_jpeg_header(data)[2]
        if gray and colorspace in ("Gray", "YCbCr") and b"Exif\x00\x00" not in data[: _first_scan(data)]:
            return simplejpeg.decode_jpeg(data, "GRAY", strict=True)[:, :, 0]
        target = "CMYK" if colorspace in ("CMYK", "YCCK") else "GRAY"
        simplejpeg.decode_jpeg(data, target, min_factor=8, strict=True)
    except ValueError as exc:
        message = str(exc)
        if any(sign in message for sign in _CORRUPT_JPEG) and "bad ICC marker" not in message:
            raise ImageError("corrupt JPEG data (damaged scan: decoded, it would be partly gray)") from exc
        # anything else (an unsupported process, a broken header): OpenCV has the last word
    return None


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
    if fmt == "JPEG":
        if is_truncated_jpeg(data):
            raise ImageError("truncated JPEG (no end-of-image marker)")
        scans = count_jpeg_scans(data)
        if scans > MAX_JPEG_SCANS or (scans > 1 and scans * width * height > MAX_JPEG_SCAN_PIXELS):
            raise ImageError("too many scans for its size (a progressive JPEG decoding bomb)")
    return fmt, width, height


def _reduction(width: int, height: int, fmt: str, max_pixels: int) -> int:
    """The JPEG decoder's scale-down factor (1, 2, 4 or 8) that keeps a huge photo under ``max_pixels``.

    Photos under the limit (every real pet photo) are decoded at full size, as the course does.
    """
    if fmt != "JPEG":
        if width * height > max_pixels:
            raise ImageError(f"image too large to decode safely ({fmt} over {max_pixels:,} pixels)")
        return 1
    factor = 1
    while width * height > max_pixels * factor * factor and factor < 8:
        factor *= 2
    if width * height > max_pixels * factor * factor:
        raise ImageError(f"image too large to decode safely (JPEG over {64 * max_pixels:,} pixels)")
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
    image = None
    if fmt == "JPEG":
        image = strict_jpeg_decode(data, gray=spec.color == "gray" and factor == 1)
    if image is None:
        image = _opencv_decode(data, fmt, spec, factor)
    interpolation = cv2.INTER_AREA if factor > 1 else cv2.INTER_LINEAR
    return np.ascontiguousarray(cv2.resize(image, (spec.size, spec.size), interpolation=interpolation))


def _opencv_decode(data: bytes, fmt: str, spec: ImageSpec, factor: int) -> np.ndarray:
    """``cv2.imdecode`` as the course's ``cv2.imread`` (gray, or RGB), at 1/``factor`` scale."""
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
    return image


def read_file_bytes(path: str | os.PathLike, *, follow_symlinks: bool = True) -> bytes:
    """A regular file's bytes; ImageError for a device, a pipe, or more than ``MAX_FILE_BYTES``.

    The file is opened without blocking and checked before anything is read, so a FIFO does not
    wait for a writer and /dev/zero is not read until memory runs out. ``follow_symlinks=False``
    refuses a symlink (the folder scan has skipped them; this closes the gap until the read).
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise ImageError("symlink (not followed)") from None
        raise
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ImageError("not a regular file (a device, pipe or socket)")
        if flags & getattr(os, "O_NONBLOCK", 0):  # back to normal reads (POSIX; Windows has no FIFOs)
            os.set_blocking(fd, True)
        if info.st_size > MAX_FILE_BYTES:
            raise too_large()
        data = f.read(MAX_FILE_BYTES + 1)  # a file growing while it is read stops at the limit
    if len(data) > MAX_FILE_BYTES:
        raise too_large()
    return data


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
