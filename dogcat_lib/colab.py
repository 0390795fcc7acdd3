"""The few Colab-only steps (notebook 02, "Setup"): detect Colab, mount Drive, find the CSV.

Everything else in dogcat_lib runs the same everywhere. :func:`find_csv` resolves the CSV path
the student gave: the ``DOGCAT_DATA`` environment variable wins; on Colab, Drive is mounted and
both spellings of its root ("MyDrive", and the older "My Drive") are tried; the file is copied
to local disk, because reading Drive's network file system is several times slower.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .plumbing.atomic import atomic_output
from .plumbing.errors import DatasetError

DRIVE_MOUNT = Path("/content/drive")
LOCAL_COPY_DIR = Path("/content/dogcat-data")


def in_colab() -> bool:
    """True inside a Google Colab runtime."""
    return "google.colab" in sys.modules


def mount_drive(mount_point: Path = DRIVE_MOUNT) -> Path:
    """Mount Google Drive (Colab asks for permission once); returns the mount point."""
    from google.colab import drive  # only importable on Colab

    if not (mount_point / "MyDrive").exists() and not (mount_point / "My Drive").exists():
        drive.mount(str(mount_point))
    return mount_point


def candidate_paths(csv_path: str | os.PathLike, drive_root: Path | None = None) -> list[Path]:
    """Where ``csv_path`` may be, in the order tried (no file system access).

    With a ``drive_root`` (Drive's mount point) a relative path is looked up under
    ``MyDrive/`` and ``My Drive/``, and an absolute path under one spelling also under the other.
    """
    path = Path(os.path.expanduser(os.fspath(csv_path)))
    found = [path]
    if drive_root is not None:
        spellings = ("MyDrive", "My Drive")
        if not path.is_absolute():
            found = [drive_root / s / path for s in spellings] + [path]
        else:
            parts = path.parts
            for i, part in enumerate(parts):
                if part in spellings:
                    other = spellings[1 - spellings.index(part)]
                    found.append(Path(*parts[:i], other, *parts[i + 1 :]))
                    break
    unique: list[Path] = []
    for candidate in found:
        if candidate not in unique:
            unique.append(candidate)
    return unique


def _local_copy(path: Path, folder: Path) -> Path:
    """Copy ``path`` into ``folder`` (once: an existing copy of the same size is reused), atomically."""
    target = folder / path.name
    if target.exists() and target.stat().st_size == path.stat().st_size:
        return target
    with open(path, "rb") as src, atomic_output(target) as out:
        shutil.copyfileobj(src, out, 1 << 20)
    return target


def find_csv(
    csv_path: str | os.PathLike,
    *,
    colab: bool | None = None,
    drive_root: Path | None = None,
    copy_to: Path | None = None,
) -> Path:
    """The CSV to read: ``DOGCAT_DATA`` if set, else ``csv_path``; on Colab from Drive, copied locally.

    ``colab`` defaults to :func:`in_colab`. On Colab Drive is mounted (``drive_root`` defaults to
    /content/drive) and the file is copied to ``copy_to`` (default /content/dogcat-data) before
    reading. Raises DatasetError listing every path tried.
    """
    colab = in_colab() if colab is None else colab
    wanted = os.environ.get("DOGCAT_DATA") or csv_path
    if colab and drive_root is None:
        drive_root = mount_drive()
    tried = candidate_paths(wanted, drive_root if colab else None)
    for candidate in tried:
        if candidate.is_file():
            if colab and drive_root is not None and drive_root in candidate.parents:
                return _local_copy(candidate, copy_to or LOCAL_COPY_DIR)
            return candidate
    hint = (
        "upload the CSV from step one to Google Drive (e.g. MyDrive/dogcat/dogs-vs-cats.csv) and set CSV_PATH"
        if colab
        else "run notebook 01 (or `dogcat preprocess`) first, or set CSV_PATH / DOGCAT_DATA"
    )
    raise DatasetError(f"CSV not found; tried {', '.join(map(str, tried))}: {hint}")
