"""Where the notebooks' files are, on Colab (Google Drive) and locally (notebooks 02-04, "Setup").

On Colab the student's files live in ``MyDrive/dogcat/`` (the CSV from step one, the package's
wheel, and ``runs/`` for what training writes): Drive is mounted, the CSV path is understood in
every form a student types (``dogcat/x.csv.zst``, ``MyDrive/dogcat/...``, ``My Drive/...``,
``/content/drive/MyDrive/...``), the CSV is copied to the runtime's disk before reading (Drive's
network file system is slow), and outputs go to Drive, where they outlive the runtime. Locally a
relative path means the repository's folder, wherever Jupyter was started. Nothing has to be
published for Colab: ``dogcat colab`` builds the wheel the notebooks install from Drive.
``google.colab.drive`` only mounts Drive: finding a student's file in it is ours.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .plumbing.atomic import atomic_path
from .plumbing.errors import DatasetError, DogcatError
from .plumbing.version import __version__

DRIVE_SPELLINGS = ("MyDrive", "My Drive")  # "My Drive" is the older name of Drive's root folder
COURSE_FOLDER = "dogcat"  # MyDrive/dogcat: the CSV, the wheel and runs/


def in_colab() -> bool:
    """True inside a Google Colab runtime (Colab imports ``google.colab`` when the kernel starts)."""
    return "google.colab" in sys.modules


def drive_mount_point() -> Path:
    """Where Colab mounts Google Drive: ``/content/drive`` (``$DOGCAT_DRIVE`` elsewhere, e.g. in tests)."""
    return Path(os.environ.get("DOGCAT_DRIVE", "/content/drive"))


def drive_root(mount_point: Path | None = None) -> Path:
    """Drive's root folder (``.../MyDrive``), mounting Drive first when it is not (Colab asks once)."""
    mount_point = mount_point or drive_mount_point()
    if not any((mount_point / name).is_dir() for name in DRIVE_SPELLINGS):
        from google.colab import drive  # only importable on Colab

        drive.mount(str(mount_point))
    for name in DRIVE_SPELLINGS:
        if (mount_point / name).is_dir():
            return mount_point / name
    raise DatasetError(f"Google Drive를 {mount_point}에 연결했는데 MyDrive 폴더가 없습니다")


def repository_root() -> Path | None:
    """The repository this package runs from (an editable install: ``make setup``), or None."""
    root = Path(__file__).resolve().parents[1]
    pyproject = root / "pyproject.toml"
    return (
        root if pyproject.is_file() and 'name = "dogcat"' in pyproject.read_text(errors="replace") else None
    )


def project_path(path: str | os.PathLike) -> Path:
    """A local path a student typed: absolute as it is; relative to the repository when running
    from one (wherever Jupyter or the shell was started), else to the current folder."""
    path = Path(os.path.expanduser(os.fspath(path)))
    return path if path.is_absolute() else (repository_root() or Path.cwd()) / path


def _drive_parts(path: Path) -> tuple[str, ...]:
    """The part of a typed Drive path below Drive's root: ``dogcat/x.csv`` for every spelling."""
    parts = path.parts[1:] if path.is_absolute() else path.parts
    for prefixes in (("content",), ("drive",), DRIVE_SPELLINGS):
        if parts and parts[0] in prefixes:
            parts = parts[1:]
    return parts


def candidate_paths(path: str | os.PathLike, *, colab: bool, root: Path | None = None) -> list[Path]:
    """Where a path a student typed may be, in the order tried (no file system access).

    On Colab (``root``: Drive's root folder): under Drive's root whatever spelling was typed, then
    the path as given (the runtime's own disk). Locally: the path as given, then under the
    repository, then ``data/`` of the repository (where notebook 01 writes the CSV).
    """
    typed = Path(os.path.expanduser(os.fspath(path)))
    found: list[Path] = []
    if colab and root is not None:
        inside = _drive_parts(typed)
        if inside:
            found += [root.parent / spelling / Path(*inside) for spelling in (root.name, *DRIVE_SPELLINGS)]
        found.append(typed)
    else:
        found.append(typed)
        repo = repository_root()
        if repo is not None and not typed.is_absolute():
            found += [repo / typed, repo / "data" / typed.name]
    return list(dict.fromkeys(found))


def local_copy(path: Path, folder: Path | None = None) -> Path:
    """``path`` copied to the runtime's disk (atomically, once: a copy with the same size and
    modification time is reused; the temp folder by default)."""
    target = (folder or Path(tempfile.gettempdir()) / "dogcat-data") / path.name

    def stamp(file: Path) -> tuple[int, int]:
        return file.stat().st_size, file.stat().st_mtime_ns

    if not target.exists() or stamp(target) != stamp(path):
        with atomic_path(target) as tmp:
            shutil.copy2(path, tmp)  # the bytes and the modification time
    return target


def find_csv(
    csv_path: str | os.PathLike,
    *,
    colab: bool | None = None,
    mount_point: Path | None = None,
    copy_to: Path | None = None,
) -> Path:
    """The CSV to read: ``$DOGCAT_DATA`` if set, else ``csv_path`` looked up as :func:`candidate_paths` says.

    ``colab`` defaults to :func:`in_colab`. On Colab, Drive is mounted and a CSV found on it is
    copied to the runtime's disk (``copy_to``, default the temp folder) first. Raises
    DatasetError listing every path tried and what to do.
    """
    colab = in_colab() if colab is None else colab
    wanted = os.environ.get("DOGCAT_DATA") or csv_path
    root = drive_root(mount_point) if colab else None
    tried = candidate_paths(wanted, colab=colab, root=root)
    for candidate in tried:
        if candidate.is_file():
            on_drive = root is not None and root.parent in candidate.parents
            return local_copy(candidate, copy_to) if on_drive else candidate
    hint = (  # in Korean: only the notebooks look for a CSV this way
        f"1단계에서 만든 CSV를 My Drive의 {COURSE_FOLDER} 폴더에 올리고 "
        f'CSV_PATH = "MyDrive/{COURSE_FOLDER}/{Path(wanted).name}"로 적으세요'
        if colab
        else "노트북 01(또는 dogcat preprocess)을 먼저 실행하거나, CSV_PATH나 DOGCAT_DATA를 적으세요"
    )
    raise DatasetError(f"CSV를 찾지 못했습니다 (찾아본 곳: {', '.join(map(str, tried))}). {hint}")


def output_folder(
    out_dir: str | os.PathLike, *, colab: bool | None = None, mount_point: Path | None = None
) -> Path:
    """Where a run's files go. A relative ``out_dir`` is under ``MyDrive/dogcat/`` on Colab (it
    outlives the runtime, so training can resume after a disconnect) and under the repository
    locally (the current folder when the package is not run from one)."""
    if not (in_colab() if colab is None else colab):
        return project_path(out_dir)
    path = Path(os.path.expanduser(os.fspath(out_dir)))
    return path if path.is_absolute() else drive_root(mount_point) / COURSE_FOLDER / path


def build_wheel(out_dir: str | os.PathLike = "dist") -> Path:
    """Build ``dogcat-VERSION-py3-none-any.whl`` from the repository into ``out_dir`` (``python -m build``).

    Needs the repository (an editable install: ``make setup`` or ``pip install -e .``) and the
    ``build`` package (in the test extra). Raises DogcatError with the fix otherwise.
    """
    repo = repository_root()
    if repo is None:
        raise DogcatError("building the wheel needs the repository: run this from a clone (pip install -e .)")
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise DogcatError(f"-o {out_dir} is a file: the wheel goes into a folder (e.g. dist/)")
    command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(repo)]
    done = subprocess.run(command, capture_output=True, text=True)
    wheel = out / f"dogcat-{__version__}-py3-none-any.whl"
    if done.returncode != 0 or not wheel.is_file():
        output = done.stderr + done.stdout
        if "No module named build" in output:
            raise DogcatError("building the wheel needs the `build` package: pip install build, then again")
        last = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "no output")
        raise DogcatError(
            f"could not build the wheel: {last[:200]} (python -m build fetches setuptools from the "
            "package index: connect to the internet once and run it again)"
        )
    return wheel


def upload_list(wheel: Path, csv: Path) -> str:
    """The lines telling the student which files go into ``My Drive/dogcat/``, and what next."""

    def line(path: Path, what: str) -> str:
        return f"  {path}  ({path.stat().st_size / 1e6:,.1f} MB: {what})"

    lines = [
        f"Upload into Google Drive, folder My Drive/{COURSE_FOLDER}/ (create it):",
        line(wheel, "dogcat_lib"),
    ]
    if csv.is_file():
        lines.append(line(csv, "the photos from step one"))
    else:
        lines.append(f"  and the CSV from step one, e.g. data/dogs-vs-cats.csv.zst (not found at {csv})")
    lines += [
        "Then open notebooks/02_train_colab.ipynb in Colab (File > Upload notebook) and run it:",
        f'  CSV_PATH = "MyDrive/{COURSE_FOLDER}/{csv.name}"',
    ]
    return "\n".join(lines)
