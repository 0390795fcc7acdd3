"""One photo -> a small uint8 pixel array, exactly as the course does it (notebook 01, section 2).

The course's step is ``cv2.resize(cv2.imread(path, cv2.IMREAD_GRAYSCALE), (80, 80))``.
:func:`load_pixels` gives the same pixels, but reads the bytes itself (so a Hangul path works on
Windows, and zip members need no extraction), checks them first, and raises :class:`ImageError`
with a reason instead of OpenCV's ``None`` (which made the course crash in ``resize``) or its
silent gray fill of a truncated or corrupt JPEG. No library refuses damaged JPEG data and scan
bombs for us: OpenCV only warns, so the check runs libjpeg-turbo through ``simplejpeg`` in strict
mode, which raises, and for the course's gray photos that check is the decode (one decode a photo).
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
from .imagespec import COURSE, ImageSpec

#: Images with more pixels than this are decoded at reduced size (JPEG) or skipped (other
#: formats), so one 10,000 x 10,000 photo cannot take 300 MB per worker. 40 MP covers cameras.
MAX_PIXELS = 40_000_000
#: A header claiming more pixels than this is refused before any decoding: no camera makes such
#: photos, and a 332-byte file can claim 50,000 x 50,000 (libjpeg would size buffers from the claim).
MAX_CLAIMED_PIXELS = 256_000_000
#: Files larger than this are skipped without being read into memory.
MAX_FILE_BYTES = 256 * 1024 * 1024
#: A progressive JPEG is decoded in scans, each a pass over every block of the image: a small file
#: with thousands of tiny scans takes minutes ("scan bomb"). Real photos have 1 (baseline) to ~10;
#: scans x pixels is bounded too, so one file decodes in about a second at most.
MAX_JPEG_SCANS = 100
MAX_JPEG_SCAN_PIXELS = 1_000_000_000

_SIGNATURES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"BM": "BMP",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}
# What libjpeg says when the data is damaged and it fills the rest with gray; its warnings about
# metadata only ("Warning: unknown JFIF revision", "bad ICC marker") do not count.
_CORRUPT_JPEG = ("Corrupt JPEG data", "Premature end of JPEG file", "Inconsistent progression", "Invalid SOS")
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})  # markers without a length field


def sniff_format(data: bytes) -> str | None:
    """Name the image format from the first bytes (``'JPEG'``, ``'PNG'``, ...) or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((name for sign, name in _SIGNATURES.items() if data.startswith(sign)), None)


def _not_an_image(data: bytes) -> ImageError:
    try:
        text = data[:512].decode("utf-8")
    except UnicodeDecodeError:
        text = "\x00"
    if all(ch.isprintable() or ch.isspace() for ch in text):
        return ImageError("not an image (a text file)")
    return ImageError("not an image (unrecognised content)")


def _first_scan(data: bytes) -> int:
    """Where a JPEG's first start-of-scan marker (FFDA) is, by hopping over the header segments
    (whose payload, an EXIF thumbnail say, may hold FFDA bytes of its own); -1 if not found."""
    i, n = 2, len(data)
    while i + 4 <= n and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:
            return i
        i += (
            1
            if marker == 0xFF
            else 2
            if marker in _JPEG_STANDALONE
            else 2 + int.from_bytes(data[i + 2 : i + 4])
        )
    return -1


def count_jpeg_scans(data: bytes) -> int:
    """The number of scans of a JPEG: 1 for baseline, ~6-10 for progressive. Entropy-coded data
    never holds the bytes FF DA (a 0xFF data byte is stuffed as FF 00), so counting is exact."""
    first = _first_scan(data)
    return 0 if first < 0 else data.count(b"\xff\xda", first)


def is_truncated_jpeg(data: bytes) -> bool:
    """True when a JPEG's last scan has no end-of-image marker (the file was cut short); OpenCV
    would decode it silently and paint the missing rows gray."""
    return data.rfind(b"\xff\xd9") < data.rfind(b"\xff\xda")


def _image_size(data: bytes, fmt: str) -> tuple[int, int]:
    """(width, height) from the header only; nothing is decoded."""
    if fmt == "JPEG":
        try:
            height, width = simplejpeg.decode_jpeg_header(data)[:2]
            return width, height
        except ValueError:
            pass  # an unusual process (lossless, arithmetic): Pillow reads its header
    elif fmt == "PNG" and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20]), int.from_bytes(data[20:24])
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


def check_image_bytes(data: bytes, max_pixels: int = MAX_PIXELS) -> tuple[str, int]:
    """Validate raw bytes before decoding: (format, scale-down factor 1/2/4/8) or ImageError.

    Photos under ``max_pixels`` (every real pet photo) are decoded at full size, as the course
    does; a larger JPEG at 1/2 to 1/8 scale by libjpeg; anything larger, or any header claiming
    over ``MAX_CLAIMED_PIXELS``, is refused from the header alone.
    """
    if not data:
        raise ImageError("empty file (0 bytes)")
    fmt = sniff_format(data)
    if fmt is None:
        raise _not_an_image(data)
    width, height = _image_size(data, fmt)
    factor = 1
    while fmt == "JPEG" and factor < 8 and width * height > max_pixels * factor * factor:
        factor *= 2
    limit = min(max_pixels * factor * factor, MAX_CLAIMED_PIXELS)
    if width * height > limit:
        raise ImageError(f"image too large to decode safely ({fmt} over {limit:,} pixels)")
    if fmt == "JPEG":
        if is_truncated_jpeg(data):
            raise ImageError("truncated JPEG (no end-of-image marker)")
        scans = count_jpeg_scans(data)
        if scans > MAX_JPEG_SCANS or (scans > 1 and scans * width * height > MAX_JPEG_SCAN_PIXELS):
            raise ImageError("too many scans for its size (a progressive JPEG decoding bomb)")
    return fmt, factor


def strict_jpeg_decode(data: bytes, *, gray: bool = False, factor: int = 1) -> np.ndarray | None:
    """Check a JPEG with libjpeg-turbo in strict mode: ImageError("corrupt JPEG data ...") on damage.

    With ``gray`` (and full size) the check is the decode: it returns the gray pixels, equal to
    ``cv2.imdecode(..., IMREAD_GRAYSCALE)``'s, when they can be (a gray or YCbCr file with no EXIF
    orientation for OpenCV to apply). Otherwise it decodes at 1/8 scale (simplejpeg scales only when
    given a minimum size; every block is still entropy-decoded, which is where damage shows) and
    returns None: OpenCV decodes the pixels.
    """
    try:
        colorspace = simplejpeg.decode_jpeg_header(data)[2]
        if (
            gray
            and factor == 1
            and colorspace in ("Gray", "YCbCr")
            and b"Exif\0\0" not in data[: _first_scan(data)]
        ):
            return simplejpeg.decode_jpeg(data, "GRAY", strict=True)[:, :, 0]
        target = "CMYK" if colorspace in ("CMYK", "YCCK") else "GRAY"
        simplejpeg.decode_jpeg(data, target, min_factor=8, min_height=1, min_width=1, strict=True)
    except ValueError as exc:
        message = str(exc)
        if any(sign in message for sign in _CORRUPT_JPEG) and "bad ICC marker" not in message:
            raise ImageError("corrupt JPEG data (damaged scan: decoded, it would be partly gray)") from exc
        # anything else (an unsupported process, a broken header): OpenCV has the last word
    return None


_FLAGS = {  # (color, scale-down factor) -> OpenCV's flag, as the course's cv2.imread
    ("gray", 1): cv2.IMREAD_GRAYSCALE,
    ("rgb", 1): cv2.IMREAD_COLOR,
    **{("gray", f): getattr(cv2, f"IMREAD_REDUCED_GRAYSCALE_{f}") for f in (2, 4, 8)},
    **{("rgb", f): getattr(cv2, f"IMREAD_REDUCED_COLOR_{f}") for f in (2, 4, 8)},
}


def decode_image(data: bytes, color: str = "gray", *, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, int]:
    """Checked image bytes -> (the whole photo, the scale-down factor it was decoded at).

    The photo is (H, W) gray, as the course's ``cv2.imread``, or (H, W, 3) RGB as shown, upright
    by its EXIF orientation; reduced by libjpeg when over ``max_pixels``. Raises :class:`ImageError`.
    """
    fmt, factor = check_image_bytes(data, max_pixels)
    image = strict_jpeg_decode(data, gray=color == "gray", factor=factor) if fmt == "JPEG" else None
    if image is None:
        try:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), _FLAGS[color, factor])
        except cv2.error as exc:
            raise ImageError(f"corrupt image (OpenCV: {str(exc).strip().splitlines()[-1]})") from exc
        if image is None or image.size == 0:
            raise ImageError(f"corrupt {fmt} (OpenCV could not decode it)")
        if color == "rgb":
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image, factor


def decode_pixels(data: bytes, spec: ImageSpec = COURSE, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Image bytes -> ``spec.size`` square pixels: (size, size) gray or (size, size, 3) RGB uint8.

    The course's pixels: a full decode, then ``cv2.resize`` (bilinear); a photo decoded at
    reduced scale (over ``max_pixels``) is area-resampled. Raises :class:`ImageError`.
    """
    image, factor = decode_image(data, spec.color, max_pixels=max_pixels)
    interpolation = cv2.INTER_AREA if factor > 1 else cv2.INTER_LINEAR
    return np.ascontiguousarray(cv2.resize(image, (spec.size, spec.size), interpolation=interpolation))


def open_regular(path: str | os.PathLike, *, follow_symlinks: bool = True) -> io.FileIO | None:
    """``path`` opened for (unbuffered) binary reading if it is a regular file, else None.

    Opened without blocking, then checked: a FIFO (even one swapped in after a ``stat``) does not
    wait for a writer, and a device such as /dev/zero is never read. ``follow_symlinks=False``
    refuses a symlink with ImageError (the folder scan has skipped them; this closes the gap).
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
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    if flags & getattr(os, "O_NONBLOCK", 0):  # back to normal reads (POSIX; Windows has no FIFOs)
        os.set_blocking(fd, True)
    return io.FileIO(fd, "rb")


def read_file_bytes(path: str | os.PathLike, *, follow_symlinks: bool = True) -> bytes:
    """A regular file's bytes (see :func:`open_regular`); ImageError for a device, a pipe, or
    more than ``MAX_FILE_BYTES``."""
    file = open_regular(path, follow_symlinks=follow_symlinks)
    if file is None:
        raise ImageError("not a regular file (a device, pipe or socket)")
    with file:
        size = os.fstat(file.fileno()).st_size
        if size > MAX_FILE_BYTES:
            raise too_large()
        data = file.read(size + 1)  # one system call: this runs once a photo, 25,000 times
        if len(data) > size:  # it grew since: read on, to the cap
            data += file.read(MAX_FILE_BYTES + 1 - len(data))
    if len(data) > MAX_FILE_BYTES:
        raise too_large()
    return data


def too_large() -> ImageError:
    """The skip reason for a file over :data:`MAX_FILE_BYTES` (no size in it, so reasons group)."""
    return ImageError(f"file too large (over {MAX_FILE_BYTES >> 20} MB)")


def load_pixels(
    path_or_bytes: str | os.PathLike | bytes, size: int = COURSE.size, color: str = COURSE.color
) -> np.ndarray:
    """Load one photo (a path or its bytes) as uint8 pixels: (size, size) gray or (size, size, 3) RGB.

    With the defaults this equals the course's
    ``cv2.resize(cv2.imread(path, cv2.IMREAD_GRAYSCALE), (80, 80))``. See :func:`decode_pixels`.
    """
    spec = ImageSpec(size, color)
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        return decode_pixels(bytes(path_or_bytes), spec)
    return decode_pixels(read_file_bytes(path_or_bytes), spec)
