"""Every photo of a folder or zip -> rows of uint8 pixels, in memory or straight into the CSV.

The course loops over ``os.listdir`` and decodes one file at a time (notebook 01, section 3).
Here one route serves both ends: the labelled names are listed, put in the CSV's row order (a
seeded shuffle), decoded on every core, and either collected (:func:`build_dataset`, rows in name
order) or appended to the CSV as they come (:func:`preprocess_to_csv`, memory flat whatever the
number of photos). Every file that does not become a row is reported with its reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from tqdm.auto import tqdm

from ..plumbing.atomic import output_target
from ..plumbing.errors import DatasetError, DogcatError, ImageError
from ..plumbing.parallel import ordered_map
from ..plumbing.paths import check_not_an_input
from .csvio import format_rows, shuffled_order, write_csv_text
from .exclusions import Exclusions, as_exclusions, unmatched_error
from .images import decode_pixels
from .imagespec import COURSE, ImageSpec
from .labels import CLASS_NAMES, label_with_reason
from .sources import SkipReport, open_source

_BATCH = 32  # photos per task: large enough to amortise scheduling, small for a smooth bar


class Dataset(NamedTuple):
    """The result of :func:`build_dataset`; unpack it as ``X, y, names, skipped = ...``."""

    X: np.ndarray  # (N, size*size) or (N, size*size*3), uint8, rows in name order
    y: np.ndarray  # (N,), uint8, 0 = cat, 1 = dog
    names: list[str]  # the entry each row came from, relative to the source
    skipped: SkipReport


@dataclass(frozen=True)
class PreprocessResult:
    """What :func:`preprocess_to_csv` wrote: the file, its rows per class, and what was skipped."""

    path: Path
    n_pixels: int
    class_counts: dict[str, int]
    skipped: SkipReport

    @property
    def rows(self) -> int:
        return sum(self.class_counts.values())


def scan_labelled(src, skipped: SkipReport, exclude: Exclusions | None = None) -> list[tuple[str, int]]:
    """(name, label) of every labelled entry of an open source in name order; the rest go to ``skipped``.

    Names in ``exclude`` go to ``skipped`` as ``excluded by FILE``; DatasetError if the file
    names photos but none of them is in the source (names from another folder or zip layout).
    """
    labelled = []
    names = sorted(src.scan(skipped))
    if exclude and not any(name in exclude for name in names):
        raise unmatched_error(exclude, names, src.description)
    for name in names:
        label, reason = label_with_reason(name)
        if exclude is not None and name in exclude:
            skipped.add(name, exclude.skip_reason)
        elif label is None:
            skipped.add(name, reason)
        else:
            labelled.append((name, label))
    if labelled:
        return labelled
    archives = sorted(name for name, _ in skipped if name.lower().endswith(".zip"))
    if archives:  # Kaggle's competition download holds train.zip and test1.zip
        target = next((a for a in archives if a.lower().endswith("train.zip")), archives[0])
        raise DatasetError(
            f"no labelled photos in {src.description}, but it holds {', '.join(archives)}: "
            f"extract {target} and pass that zip"
        )
    raise DatasetError(
        f"no labelled photos in {src.description} ({skipped.summary()}): expected names "
        "like cat.0.jpg / dog.0.jpg or folders Cat/ and Dog/"
    )


def list_photos(source: str | os.PathLike) -> list[tuple[str, int]]:
    """``[(name, label), ...]`` of every labelled photo in a folder or zip, in name order.

    Nothing is decoded: this is the quick look that notebook 01 takes before building.
    """
    with closing(open_source(source)) as src:
        return scan_labelled(src, SkipReport())


def read_photo(source: str | os.PathLike, name: str) -> bytes:
    """The raw bytes of one entry (a name from :func:`list_photos`) of a folder or zip."""
    with closing(open_source(source)) as src:
        if name not in src.scan(SkipReport()):  # never a path outside the source, nor a symlink
            raise DatasetError(f"{name!r} is not a readable file in {src.description}")
        return src.read(name)


def default_workers() -> int:
    """The number of cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _decode_batch(src, spec: ImageSpec, batch: list[tuple[str, int]]):
    """Decode one batch: (rows uint8 (k, D), labels (k,) uint8, names, [(name, reason)] failed)."""
    rows = np.empty((len(batch), spec.n_pixels), dtype=np.uint8)
    labels, names, failures = [], [], []
    for name, label in batch:
        try:
            rows[len(names)] = decode_pixels(src.read(name), spec).reshape(-1)
        except ImageError as exc:
            failures.append((name, str(exc)))
            continue
        except OSError as exc:  # the reason names no file, so a thousand of them group in the summary
            failures.append((name, f"unreadable ({exc.strerror or type(exc).__name__})"))
            continue
        except MemoryError:
            failures.append((name, "unreadable (out of memory)"))
            continue
        labels.append(label)
        names.append(name)
    return rows[: len(names)], np.array(labels, dtype=np.uint8), names, failures


def decode_stream(
    src,
    wanted: list[tuple[str, int]],
    spec: ImageSpec = COURSE,
    *,
    quota: list[int] | None = None,
    workers: int | None = None,
    progress: bool = True,
    skipped: SkipReport | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, list[str]]]:
    """Decode ``wanted`` (name, label) pairs of an open source on ``workers`` threads.

    Yields ``(rows, labels, names)`` batch by batch **in the order of** ``wanted``, leaving out
    photos that fail (added to ``skipped`` with the reason). With ``quota`` ([cats, dogs]) only
    that many of each class are kept and decoding stops when both are met, so a photo that fails
    is replaced by the next of its class. At most two batches per thread are in flight: memory
    does not grow with the number of photos (OpenCV releases the GIL, so threads scale and nothing
    needs pickling or a ``__main__`` guard on Windows).
    """
    need = None if quota is None else list(quota)
    batches = [wanted[i : i + _BATCH] for i in range(0, len(wanted), _BATCH)]
    cv_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)  # our threads already use every core; avoid oversubscription
    try:
        # leave=False: a finished bar is cleared, so a summary or an error line stands alone below it
        total = len(wanted) if need is None else sum(need)
        with tqdm(
            total=total, desc="사진 읽기", unit="장", disable=not progress or not total, leave=False
        ) as bar:
            decode = partial(_decode_batch, src, spec)
            for rows, labels, names, failures in ordered_map(decode, batches, workers or default_workers()):
                if need is not None:  # keep each class's photos until its quota is met
                    keep = []
                    for i, label in enumerate(labels):
                        if need[label]:
                            need[label] -= 1
                            keep.append(i)
                    rows, labels, names = rows[keep], labels[keep], [names[i] for i in keep]
                bar.update(len(names) + len(failures))
                for failure in failures if skipped is not None else ():
                    skipped.add(*failure)
                yield rows, labels, names
                if need is not None and not any(need):
                    return
    finally:
        cv2.setNumThreads(cv_threads)


def _quota(candidates: list[tuple[str, int]], limit: int | None) -> list[int] | None:
    """Photos to keep per class for a class-balanced ``limit`` (the smaller class bounds both)."""
    if limit is None:
        return None
    if limit < 1:
        raise DatasetError(f"limit must be a positive number of photos, not {limit!r}")
    counts = np.bincount([label for _, label in candidates], minlength=2)
    if not counts.all():
        missing = CLASS_NAMES[int(counts.argmin())]
        raise DatasetError(f"limit={limit} asks for a class-balanced subset, but there is no {missing}")
    return [min(limit // 2 + limit % 2, int(counts.min())), min(limit // 2, int(counts.min()))]


def build_dataset(
    source: str | os.PathLike,
    size: int = COURSE.size,
    color: str = COURSE.color,
    workers: int | None = None,
    limit: int | None = None,
    progress: bool = True,
    *,
    seed: int = 0,
    exclude: str | os.PathLike | Exclusions | None = None,
) -> Dataset:
    """Decode every labelled photo of a folder (recursive) or a ``.zip`` (read in place).

    Returns ``Dataset(X, y, names, skipped)``: X (N, size*size) uint8 for gray or
    (N, size*size*3) for RGB (pixel order row-major, then channel), y (N,) uint8 (cat=0, dog=1),
    the source-relative names of the rows, and a :class:`SkipReport` of every other entry with
    its reason. Rows are in name order whatever the file system lists, so the same source gives
    the same arrays. ``limit`` keeps a seeded, class-balanced subset of that many photos
    (``seed``), replacing photos that fail to decode while others remain. ``exclude``: an
    exclusions file (``name,reason``, notebook 04) whose photos are left out, each reported as
    ``excluded by FILE``. Raises :class:`DatasetError` when the source holds no labelled photo.
    """
    spec = ImageSpec(size, color)
    exclusions = as_exclusions(exclude)
    skipped = SkipReport()
    with closing(open_source(source)) as src:
        candidates = scan_labelled(src, skipped, exclusions)
        quota = _quota(candidates, limit)
        wanted = (
            candidates if quota is None else [candidates[i] for i in shuffled_order(len(candidates), seed)]
        )
        X = np.empty((len(wanted) if quota is None else sum(quota), spec.n_pixels), dtype=np.uint8)
        y = np.empty(len(X), dtype=np.uint8)
        names: list[str] = []
        stream = decode_stream(
            src, wanted, spec, quota=quota, workers=workers, progress=progress, skipped=skipped
        )
        for rows, labels, batch_names in stream:
            X[len(names) : len(names) + len(rows)] = rows
            y[len(names) : len(names) + len(rows)] = labels
            names.extend(batch_names)
    skipped.items.sort()
    if not names:
        raise DatasetError(f"no photo of {src.description} could be decoded ({skipped.summary()})")
    X.resize((len(names), X.shape[1]), refcheck=False)  # in place: never a second copy of X
    y = y[: len(names)].copy()
    if quota is not None:  # a small subset, decoded in shuffled order: back to name order
        order = np.argsort(names, kind="stable")
        X, y, names = X[order], y[order], [names[i] for i in order]
    return Dataset(X, y, names, skipped)


def check_output_path(
    source: str | os.PathLike, output: str | os.PathLike, *, option: str = "output"
) -> None:
    """Refuse an output that is the input or inside it, is no file, or is not named as pandas reads a CSV."""
    check_not_an_input(output, [source], option=option)
    output_target(output)  # a folder, a device or a pipe: refused before anything is read
    if not Path(output).name.lower().endswith((".csv", ".csv.gz", ".csv.zst")):
        raise DogcatError(f"{option} {output}: end the CSV's name in .csv, .csv.zst or .csv.gz")


def preprocess_to_csv(
    source: str | os.PathLike,
    out: str | os.PathLike,
    size: int = COURSE.size,
    color: str = COURSE.color,
    workers: int | None = None,
    limit: int | None = None,
    progress: bool = True,
    *,
    seed: int = 0,
    exclude: str | os.PathLike | Exclusions | None = None,
) -> PreprocessResult:
    """Decode every labelled photo of ``source`` and write the course's CSV to ``out``, streaming.

    What ``dogcat preprocess`` and notebook 01 run for all the photos. The names are shuffled
    with ``seed`` *before* decoding and each decoded batch is appended to the (atomic) output at
    once, so memory stays flat (tens of MB) whether the source holds 4,000 photos or 400,000.
    Arguments as :func:`build_dataset`; when no photo is skipped the file is byte-identical to
    ``write_csv(*build_dataset(source)[:2], out, seed)``. Raises :class:`DatasetError` for a
    source with no decodable labelled photo, :class:`DogcatError` for an output inside the source
    folder or equal to the input; then nothing is written.
    """
    spec = ImageSpec(size, color)
    check_output_path(source, out)
    exclusions = as_exclusions(exclude)
    skipped = SkipReport()
    counts = np.zeros(2, dtype=np.int64)
    with closing(open_source(source)) as src:
        candidates = scan_labelled(src, skipped, exclusions)
        quota = _quota(candidates, limit)
        wanted = [candidates[i] for i in shuffled_order(len(candidates), seed)]

        def row_text() -> Iterator[bytes]:
            stream = decode_stream(
                src, wanted, spec, quota=quota, workers=workers, progress=progress, skipped=skipped
            )
            for rows, labels, _ in stream:
                counts[:] += np.bincount(labels, minlength=2)
                yield format_rows(rows, labels)
            if not counts.any():  # raising here aborts the atomic write: no file appears
                raise DatasetError(f"no photo of {src.description} could be decoded ({skipped.summary()})")

        path = write_csv_text(out, spec.n_pixels, row_text())
    skipped.items.sort()
    return PreprocessResult(
        path, spec.n_pixels, dict(zip(CLASS_NAMES, counts.tolist(), strict=True)), skipped
    )
