"""The entries of a photo source, read safely: a folder (searched recursively) or a zip (read in place).

Notebook 01, "Every photo at once". Nothing outside the source is ever read: symlinks, zip
members with absolute or ``../`` names, and anything that is not a regular file are skipped,
each with its reason, in a :class:`SkipReport`.
"""

from __future__ import annotations

import os
import stat
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..plumbing.atomic import atomic_write_bytes
from ..plumbing.errors import DatasetError, ImageError
from .images import MAX_FILE_BYTES, read_file_bytes


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

    def write_tsv(self, path: str | os.PathLike) -> Path:
        """Every skipped entry and its reason as ``name<TAB>reason`` lines (atomically)."""
        lines = "".join(f"{name}\t{reason}\n" for name, reason in self.items)
        return atomic_write_bytes(path, ("name\treason\n" + lines).encode("utf-8"))

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.items)

    def __str__(self) -> str:
        return self.summary()


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
                    if entry.is_symlink():
                        kind = "symlinked folder" if entry.is_dir() else "symlink"
                        skipped.add(name, f"{kind} (not followed)")
                    elif entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, name + "/"))
                    elif entry.is_file(follow_symlinks=False):
                        names.append(name)
                    else:
                        skipped.add(name, "not a regular file")
        return names

    def read(self, name: str) -> bytes:
        return read_file_bytes(os.path.join(self.root, name))

    def close(self) -> None:
        pass


class ZipSource:
    """A zip read in place: no extraction, unsafe member names and symlinks never read."""

    def __init__(self, path: Path):
        self.path = path
        self.description = f"zip {path}"
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DatasetError(f"{path} is not a readable zip file ({exc}); re-download it") from exc
        self.infos: dict[str, zipfile.ZipInfo] = {}
        self._lock = threading.Lock()

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
        info = self.infos[name]
        if info.file_size > MAX_FILE_BYTES:
            raise ImageError(f"file too large ({info.file_size:,} bytes)")
        try:
            return self.zip.read(info)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
            raise ImageError(f"unreadable zip member ({exc})") from exc

    def close(self) -> None:
        self.zip.close()


def open_source(source: str | os.PathLike) -> FolderSource | ZipSource:
    """Open a folder or zip for reading (``.scan``, ``.read(name)``, ``.close()``); typed errors."""
    path = Path(source).expanduser()
    if not path.exists():
        raise DatasetError(f"source {path} does not exist: pass Kaggle's train.zip or a folder of photos")
    if path.is_dir():
        return FolderSource(path)
    if zipfile.is_zipfile(path):
        return ZipSource(path)
    raise DatasetError(f"source {path} is neither a folder nor a zip file")
