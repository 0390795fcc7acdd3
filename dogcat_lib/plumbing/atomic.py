"""Atomic file output: a temp file in the destination's folder, renamed into place on success.

A crash, a full disk or Ctrl-C never leaves half a file under the final name, and an existing
file there is replaced only by a complete new one. Every file the package writes goes through
:func:`atomic_output` (a file object) or :func:`atomic_path` (a path, for writers such as Keras
that insist on opening the file themselves).

What the output name already is decides how it is written:

- nothing, or a regular file: a temp file ``.STEM.XXXXXXXX.tmpSUFFIX`` beside it (STEM cut short
  if the name would pass 255 bytes), renamed over it;
- a symlink (a Drive shortcut, say): the file it points to is replaced atomically, the link stays;
- a character device or a pipe (``/dev/null``, ``/dev/stdout``, a FIFO): written through, as a
  shell redirection would; the node itself is never replaced (Colab and Docker run as root);
- a folder, a block device or a socket: refused with an error naming it.

Errors name the output the caller asked for, never the hidden temp file. Temp files of ours that
a killed run left beside an output (not modified for :data:`STALE_SECONDS`) are removed by the
next write to that output; SIGTERM and SIGHUP clean up like Ctrl-C when the CLI runs
(:func:`dogcat_lib.plumbing.signals.clean_exit_on_signals`).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def _temp_pattern(path: Path) -> re.Pattern:
    head, _, tail = _temp_name(path, "\0" * 8).partition("\0" * 8)  # NUL is in no file name
    return re.compile(rf"{re.escape(head)}[0-9a-f]{{8}}{re.escape(tail)}")


def remove_stale_temps(path: str | os.PathLike, older_than: float = STALE_SECONDS) -> list[Path]:
    """Remove our temp files for ``path`` (``.STEM.XXXXXXXX.tmpSUFFIX`` beside it) left by a killed run.

    Only names of exactly that pattern, regular files, not modified for ``older_than`` seconds
    (a run writing the same output right now keeps its file). Returns what was removed.
    """
    path = Path(path)
    pattern = _temp_pattern(path)
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime >= older_than:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone already, or held open by another program (Windows)
            continue
    return removed


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, exclusive temp file beside ``path`` ending in ``path``'s suffix, with the permissions a
    normal file gets (0666 less the umask; ``tempfile.mkstemp`` would make it private, 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(_temp_name(path, secrets.token_hex(4)))
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
        except OSError as exc:  # a folder we may not write to: name the output, not our temp file
            raise OSError(exc.errno, exc.strerror, os.fspath(path)) from None
    raise FileExistsError(errno.EEXIST, "could not create a temporary file beside it", str(path))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISBLK(mode):
        return "a block device (a disk)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def output_target(path: str | os.PathLike) -> tuple[Path, bool]:
    """``(where to write, write_through)`` for an output named ``path`` (see the module's rules).

    ``write_through`` is True for an existing character device or pipe, which is opened and
    written as it is. Raises DogcatError for a folder, a block device or a socket.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode  # follows links, /proc's /dev/stdout included
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # a link loop, a folder we may not enter
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        return path, True
    if mode is not None and not stat.S_ISREG(mode):
        raise DogcatError(f"output {path} is {_kind(mode)}: give a file name")
    if path.is_symlink():  # replace the file the link points to; the link stays a link
        return Path(os.path.realpath(path)), False
    return path, False


def _named(exc: OSError, name: str | os.PathLike, tmp: Path | None = None) -> OSError:
    """``exc`` naming ``name`` when it named our temp file or nothing (a failed write names no file)."""
    if exc.filename is not None and (tmp is None or os.fspath(exc.filename) != os.fspath(tmp)):
        return exc
    named = OSError(exc.errno, exc.strerror or str(exc), os.fspath(name))
    named.__cause__ = exc
    return named


class _NamedWriter:
    """A binary file object whose write errors (a full disk, ``ulimit -f``) name the output."""

    def __init__(self, raw, name: str | os.PathLike):
        self._raw = raw
        self._name = name

    def write(self, data) -> int:
        try:
            return self._raw.write(data)
        except OSError as exc:
            raise _named(exc, self._name) from None

    def flush(self) -> None:
        try:
            self._raw.flush()
        except OSError as exc:
            raise _named(exc, self._name) from None

    def __getattr__(self, attr):
        return getattr(self._raw, attr)


@contextmanager
def _removed_on_failure(tmp: Path, path: str | os.PathLike) -> Iterator[None]:
    """Remove the temp file ``tmp`` if the block fails (Ctrl-C included); an OSError names ``path``."""
    try:
        yield
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _named(exc, path, tmp) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside ``path`` (same suffix) to write; rename it to ``path`` on success.

    On any error (or Ctrl-C) the temp file is removed and ``path`` is left as it was. For a
    device or pipe the temp file sits in the system's temp folder and is copied through.
    """
    target, through = output_target(path)
    if through:
        fd, name = tempfile.mkstemp(suffix=Path(path).suffix, prefix=".dogcat.")
        os.close(fd)
        tmp = Path(name)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(target)
        fd, tmp = _create_temp(target)
        os.close(fd)
    with _removed_on_failure(tmp, path):
        yield tmp
        if through:
            with open(tmp, "rb") as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            tmp.unlink()
        else:
            os.replace(tmp, target)


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator:
    """Open a temp file beside ``path`` for binary writing; rename it to ``path`` on success.

    The data reaches the disk (fsync) before the rename. On any error (or Ctrl-C) the temp file
    is removed and ``path`` is left as it was. A device or pipe is written through instead.
    """
    target, through = output_target(path)
    if through:
        try:
            with open(target, "wb") as raw:
                yield _NamedWriter(raw, path)
        except OSError as exc:
            raise _named(exc, path) from None
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    fd, tmp = _create_temp(target)
    with _removed_on_failure(tmp, path):
        with os.fdopen(fd, "wb") as raw:
            yield _NamedWriter(raw, path)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path) as out:
        out.write(data)
    return Path(path)
