"""Atomic file output: a temp file in the destination's folder, renamed into place on success.

No library does it for us: ``tempfile`` makes private (0600) files and knows nothing of links
or the output's own name, and ``os.replace`` is only the last step.

A crash, a full disk or Ctrl-C never leaves half a file under the final name, and an existing
file there is replaced only by a complete new one. Every file the package writes goes through
:func:`atomic_output` (a file object) or :func:`atomic_path` (a path, for writers such as Keras
that insist on opening the file themselves).

What the output name already is decides how it is written:

- nothing, or a regular file: a temp file ``.STEM.XXXXXXXX.tmpSUFFIX`` beside it (STEM cut short
  if the name would pass 255 bytes), renamed over it;
- a symlink (a Drive shortcut, say): the file it points to is replaced atomically, the link stays;
- anything else (a folder, a device such as ``/dev/null``, a pipe, a socket): refused with an
  error naming it, never replaced (Colab and Docker run as root, who could replace ``/dev/null``).

Errors name the output the caller asked for, never the hidden temp file. Temp files of ours that
a killed run left beside an output (not modified for :data:`STALE_SECONDS`) are removed by the
next write to that output; SIGTERM and SIGHUP clean up like Ctrl-C when the CLI runs (``dogcat``'s
``main`` turns them into KeyboardInterrupt).
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import DogcatError

#: A temp file of ours not modified for this long belongs to a run that was killed: every writer
#: here writes its temp file continuously, and a Keras save takes seconds.
STALE_SECONDS = 300.0


#: The longest file name, in bytes, on the disks a student meets (ext4, APFS, NTFS, Drive).
NAME_MAX = 255


def fit_name(stem: str, tail: str) -> str:
    """``stem + tail``, the stem cut by whole characters until the name fits ``NAME_MAX`` bytes."""
    while stem and len(os.fsencode(stem + tail)) > NAME_MAX:
        stem = stem[:-1]
    return stem + tail


def _temp_name(path: Path, token: str) -> str:
    """``.STEM.TOKEN.tmpSUFFIX``: STEM is cut where the 14 bytes we add would make a legal name illegal."""
    return fit_name(f".{path.stem}", f".{token}.tmp{path.suffix}")


def remove_stale_temps(path: str | os.PathLike, older_than: float = STALE_SECONDS) -> None:
    """Remove our temp files for ``path`` (``.STEM.XXXXXXXX.tmpSUFFIX`` beside it) left by a killed run.

    Only names of exactly that pattern, regular files, not modified for ``older_than`` seconds
    (a run writing the same output right now keeps its file).
    """
    path = Path(path)
    head, _, tail = _temp_name(path, "\0" * 8).partition("\0" * 8)  # NUL is in no file name
    ours = re.compile(rf"{re.escape(head)}[0-9a-f]{{8}}{re.escape(tail)}")
    with suppress(OSError):  # a folder we may not list
        for entry in [entry for entry in os.scandir(path.parent) if ours.fullmatch(entry.name)]:
            with suppress(OSError):  # gone already, or held open by another program (Windows)
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and time.time() - info.st_mtime >= older_than:
                    os.unlink(entry.path)


_KINDS = {"d": "a folder", "b": "a block device (a disk)", "c": "a device", "p": "a pipe", "s": "a socket"}


def output_target(path: str | os.PathLike) -> Path:
    """Where an output named ``path`` is written: the file itself, or the file a link points to.
    Raises DogcatError when it exists and is not a regular file (see the module's rules)."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode  # follows links, /proc's /dev/stdout included
    except FileNotFoundError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.filemode(mode)[0], "not a file")
        raise DogcatError(f"output {path} is {kind}: give a file name")
    return Path(os.path.realpath(path))  # a link's target is replaced; the link stays


@contextmanager
def _errors_naming(path: str | os.PathLike, tmp: Path | None = None) -> Iterator[None]:
    """An OSError inside names ``path`` where it named our temp file ``tmp`` or no file at all (a
    failed write, ``ulimit -f``, a full disk at fsync)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None or (tmp is not None and os.fspath(exc.filename) == os.fspath(tmp)):
            raise OSError(exc.errno, exc.strerror or str(exc), os.fspath(path)) from None
        raise


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside ``path`` (same suffix) to write; rename it to ``path`` on success.

    On any error (or Ctrl-C) the temp file is removed and ``path`` is left as it was.
    """
    target = output_target(path)
    tmp = target.with_name(_temp_name(target, secrets.token_hex(4)))
    try:
        with _errors_naming(path, tmp):
            target.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_temps(target)
            tmp.touch(exist_ok=False)  # 0666 less the umask, as any new file (mkstemp's are 0600)
            yield tmp
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator:
    """Open a temp file beside ``path`` for binary writing; rename it to ``path`` on success.

    The data reaches the disk (fsync) before the rename. On any error (or Ctrl-C) the temp file
    is removed and ``path`` is left as it was.
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        yield out
        out.flush()
        os.fsync(out.fileno())


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path) as out:
        out.write(data)
    return Path(path)
