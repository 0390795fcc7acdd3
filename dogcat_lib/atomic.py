"""Atomic file output: a temp file in the destination's folder, renamed into place on success.

A crash, a full disk or Ctrl-C never leaves half a file under the final name, and an existing
file there is replaced only by a complete new one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _create_temp(path: Path) -> tuple[int, str]:
    """A new, exclusive temp file beside ``path``, with the permissions a normal file gets
    (0666 less the umask; ``tempfile.mkstemp`` would make it private, 0600, for good)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp_name = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp_name, flags, 0o666), tmp_name
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {path}")


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator:
    """Open a temp file beside ``path`` for binary writing; rename it to ``path`` on success.

    On any error (or Ctrl-C) the temp file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as raw:
            yield raw
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path) as out:
        out.write(data)
    return Path(path)
