"""Typed errors that say what went wrong and what to do about it."""

from __future__ import annotations


class DogcatError(Exception):
    """Base class of the package's errors: the message is meant for the user, in one line."""


class DatasetError(DogcatError, ValueError):
    """A source folder/zip or a CSV that cannot become the course's dataset (the message names the fix)."""


class ImageError(DogcatError, ValueError):
    """One file that cannot be decoded as a photo; ``str(err)`` is the reason it is skipped."""


class MissingDependency(DogcatError, ImportError):
    """An optional part of the package is not installed; the message gives the pip command."""


#: How a reason starts (in English, as the CLI prints it) -> the same in Korean, for the notebooks and
#: the web page. The first match wins: a longer start comes before a shorter one.
KOREAN_REASONS = {
    "empty file": "빈 파일입니다 (0바이트)",
    "not an image (a text file)": "사진이 아니라 글자로 된 파일입니다",
    "not an image file name": "사진 파일의 이름(확장자)이 아닙니다",
    "not an image": "사진 형식이 아닙니다 (아이폰의 HEIC 사진은 JPEG로 바꿔서 올려 주세요)",
    "image too large": "사진이 너무 커서 안전하게 열 수 없습니다",
    "file too large": "파일이 너무 큽니다",
    ("truncated", "corrupt"): "손상되었거나 중간에 잘린 파일입니다",
    "too many scans": "열 때 시간이 너무 오래 걸리는 JPEG입니다",
    ("unreadable", "encrypted"): "읽을 수 없습니다 (권한, 디스크나 암호를 확인하세요)",
    "macOS metadata": "macOS가 만든 부가 파일입니다",
    ("symlink", "not a regular", "folder seen", "unsafe path", "duplicate"): "안전을 위해 읽지 않았습니다",
    "unlabelled": "레이블을 알 수 없는 이름입니다 (cat.N.jpg나 dog.N.jpg, 또는 Cat/나 Dog/ 폴더의 사진)",
    "no photo uploaded yet": "아직 올린 사진이 없습니다: 업로드 버튼으로 사진을 고르세요",
    "excluded by ": "제외 목록에 있습니다: ",
}


def in_korean(reason: str | BaseException) -> str:
    """A skip reason or an :class:`ImageError` in Korean (``"empty file (0 bytes)"`` ->
    ``"빈 파일입니다 (0바이트)"``; the file of ``excluded by FILE`` is kept); an unknown one as it is."""
    while isinstance(reason, BaseException):  # the innermost ImageError says why
        reason = reason.__cause__ if isinstance(reason.__cause__, ImageError) else str(reason)
    start = next((start for start in KOREAN_REASONS if reason.startswith(start)), None)
    tail = reason[len(start) :] if start == "excluded by " else ""
    return reason if start is None else KOREAN_REASONS[start] + tail
