"""The entries of a photo source, read safely: a folder (searched recursively) or a zip (read in place).

Notebook 01, "Every photo at once". Nothing outside the source is ever read: symlinks (loops
included), zip members with absolute or ``../`` names, and anything that is not a regular file
are skipped, each with its reason, in a :class:`SkipReport`. A zip member is read up to
``MAX_FILE_BYTES`` whatever its header claims, and a device or pipe is never opened as a source.
Reasons never embed a file name, so a thousand skips of one kind make one line of the summary.
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..plumbing.errors import DatasetError, ImageError
from .images import MAX_FILE_BYTES, open_regular, read_file_bytes, too_large

_CHUNK = 1 << 20  # a zip member is inflated a MB at a time, never more than MAX_FILE_BYTES + 1 MB


@dataclass
class SkipReport:
    """Every entry of the source that did not become a row, with the reason (in name order)."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, reason: str) -> None:
        self.items.append((name, reason))

    def counts(self) -> dict[str, int]:
        """Number of skipped entries per reason, most frequent first."""
        return dict(Counter(reason for _, reason in self.items).most_common())

    def summary(self) -> str:
        """One line: ``skipped 3: 2 x empty file (0 bytes); 1 x not an image (a text file)``."""
        if not self.items:
            return "skipped 0"
        parts = "; ".join(f"{n} x {reason}" for reason, n in self.counts().items())
        return f"skipped {len(self.items)}: {parts}"

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.items)


class FolderSource:
    """A folder searched recursively; symlinks are never followed.

    Plain strings and ``os.scandir`` rather than ``Path`` objects: the scan and the reads run
    once per photo (25,000 times), and mostly with the GIL held.
    """

    def __init__(self, root: Path):
        self.root = root
        self.description = f"folder {root}"

    def scan(self, skipped: SkipReport) -> list[str]:
        names: list[str] = []
        stack = [(os.fspath(self.root), "")]
        seen: set[tuple[int, int]] = set()  # folders by identity: a Windows junction is no symlink
        while stack:
            folder, prefix = stack.pop()
            try:
                info = os.stat(folder)
                identity = (info.st_dev, info.st_ino)
                entries = os.scandir(folder)
            except OSError as exc:  # a subfolder we may not read: skip it, keep the rest
                skipped.add(prefix.rstrip("/") or ".", f"unreadable folder ({exc.strerror})")
                continue
            if identity in seen and identity != (0, 0):
                entries.close()
                skipped.add(prefix.rstrip("/"), "folder seen before (a link loop), not scanned twice")
                continue
            seen.add(identity)
            with entries:
                for entry in entries:
                    name = prefix + entry.name
                    try:
                        kind = _entry_kind(entry)
                    except OSError as exc:  # vanished, or unreadable: skip it, keep the rest
                        skipped.add(name, f"unreadable ({exc.strerror or type(exc).__name__})")
                        continue
                    if kind == "folder":
                        stack.append((entry.path, name + "/"))
                    elif kind == "file":
                        names.append(name)
                    else:
                        skipped.add(name, kind)
        return names

    def read(self, name: str) -> bytes:
        return read_file_bytes(os.path.join(self.root, name), follow_symlinks=False)

    def close(self) -> None:
        pass


def _entry_kind(entry: os.DirEntry) -> str:
    """ "folder", "file", or the reason to skip a folder entry; never follows a symlink."""
    if entry.is_symlink():
        try:
            to_folder = entry.is_dir()
        except OSError:  # a link to itself, or a loop of links
            return "symlink loop (not followed)"
        return "symlinked folder (not followed)" if to_folder else "symlink (not followed)"
    if entry.is_dir(follow_symlinks=False):
        return "folder"
    if entry.is_file(follow_symlinks=False):
        return "file"
    return "not a regular file (a device, pipe or socket)"


class ZipSource:
    """A zip read in place: no extraction, unsafe member names and symlinks never read."""

    def __init__(self, path: Path, file):
        self.description = f"zip {path}"
        try:
            self.zip = zipfile.ZipFile(file)  # its reads are locked: the threads may share it
        except (zipfile.BadZipFile, OSError) as exc:
            file.close()
            raise DatasetError(f"{path} is not a readable zip file ({exc}); re-download it") from exc
        self.infos: dict[str, zipfile.ZipInfo] = {}

    def scan(self, skipped: SkipReport) -> list[str]:
        names = []
        for info in self.zip.infolist():
            name = info.filename
            if info.is_dir():
                continue
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                skipped.add(name, "unsafe path in zip (absolute or ../), not read")
            elif stat.S_ISLNK(info.external_attr >> 16):
                skipped.add(name, "symlink in zip (not followed)")
            elif parts and (parts[0] == "__MACOSX" or parts[-1].startswith("._")):
                skipped.add(name, "macOS metadata file")
            elif name in self.infos:
                skipped.add(name, "duplicate name in zip (first one kept)")
            else:
                self.infos[name] = info
                names.append(name)
        return names

    def read(self, name: str) -> bytes:
        """The member's bytes, inflated a MB at a time and never past ``MAX_FILE_BYTES``, whatever
        size its header claims (a 1 MB member may inflate to gigabytes)."""
        info = self.infos[name]
        if info.file_size > MAX_FILE_BYTES:
            raise too_large()
        try:
            with self.zip.open(info) as member:
                parts, total = [], 0
                while block := member.read(_CHUNK):
                    total += len(block)
                    if total > MAX_FILE_BYTES:
                        raise too_large()
                    parts.append(block)
                return b"".join(parts)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError, zlib.error) as exc:
            raise ImageError(_member_reason(exc, info.filename)) from exc

    def close(self) -> None:
        self.zip.close()


def _member_reason(exc: BaseException, name: str) -> str:
    """Why a zip member cannot be read, without its name (so that the reasons group)."""
    text = str(exc)
    if isinstance(exc, RuntimeError) and "encrypted" in text:
        return "encrypted zip member (needs a password)"
    if "CRC" in text:
        return "corrupt zip member (bad CRC-32)"
    if isinstance(exc, OSError) and exc.strerror:
        return f"unreadable zip member ({exc.strerror})"
    text = " ".join(text.replace(repr(name), "").replace(name, "").split())
    return f"unreadable zip member ({type(exc).__name__}{': ' + text if text else ''})"


def open_source(source: str | os.PathLike) -> FolderSource | ZipSource:
    """Open a folder or zip for reading (``.scan``, ``.read(name)``, ``.close()``); typed errors.

    What the path is gets checked before anything is read: a FIFO would block forever, and a
    device such as /dev/zero never ends.
    """
    path = Path(source).expanduser()
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise DatasetError(
            f"source {path} does not exist: pass Kaggle's train.zip or a folder of photos"
        ) from None
    except OSError as exc:
        raise DatasetError(
            f"source {path} cannot be read ({exc.strerror}): pass train.zip or a folder"
        ) from None
    if stat.S_ISDIR(mode):
        return FolderSource(path)
    file = open_regular(path) if stat.S_ISREG(mode) else None
    if file is None:
        raise DatasetError(
            f"source {path} is not a regular file or a folder (a device or a pipe?): pass Kaggle's "
            "train.zip or a folder of photos"
        )
    if not zipfile.is_zipfile(file):
        file.seek(0)
        damaged = file.read(len(ZIP_MAGIC)) == ZIP_MAGIC
        file.close()
        if damaged:
            raise DatasetError(
                f"source {path} is a damaged zip (cut short? its table of contents at the end is "
                "missing): download or copy it again"
            )
        raise DatasetError(f"source {path} is neither a folder nor a zip: give train.zip or a photo folder")
    return ZipSource(path, file)


#: How every zip file starts, whole or cut short (an empty zip starts with its end record).
ZIP_MAGIC = b"PK\x03\x04"


def is_zip(path: str | os.PathLike) -> bool:
    """True for a zip file, whole or damaged (a download cut short still starts like a zip);
    False for anything else, a pipe or device included (nothing is waited on)."""
    try:
        file = open_regular(path)
    except OSError:
        return False
    if file is None:
        return False
    with file:
        return file.read(len(ZIP_MAGIC)) == ZIP_MAGIC or zipfile.is_zipfile(file)
