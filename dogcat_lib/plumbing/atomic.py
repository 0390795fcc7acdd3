"""Atomic file output: a temp file in the destination's folder, renamed into place on success.

A crash, a full disk or Ctrl-C never leaves half a file under the final name, and an existing
file there is replaced only by a complete new one. Every file the package writes goes through
:func:`atomic_output` (a file object) or :func:`atomic_path` (a path, for writers such as Keras
that insist on opening the file themselves).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, exclusive temp file beside ``path`` ending in ``path``'s suffix, with the permissions a
    normal file gets (0666 less the umask; ``tempfile.mkstemp`` would make it private, 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {path}")


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside ``path`` (same suffix) to write; rename it to ``path`` on success.

    On any error (or Ctrl-C) the temp file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator:
    """Open a temp file beside ``path`` for binary writing; rename it to ``path`` on success.

    The data reaches the disk (fsync) before the rename. On any error (or Ctrl-C) the temp file
    is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as raw:
            yield raw
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path) as out:
        out.write(data)
    return Path(path)
