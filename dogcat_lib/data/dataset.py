"""Every photo of a folder or zip -> ``X`` (N, size*size[*3]) uint8, ``y`` (N,) uint8 (notebook 01).

The course loops over ``os.listdir`` and decodes one file at a time. :func:`build_dataset` reads
the same photos straight from Kaggle's ``train.zip`` (no extraction) or any folder, decodes them
on all cores, keeps them uint8, and reports every file it skipped with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from typing import NamedTuple

import cv2
import numpy as np
from tqdm.auto import tqdm

from ..plumbing.errors import DatasetError, ImageError
from ..plumbing.parallel import ordered_map
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
        if exclude is not None and name in exclude:
            skipped.add(name, exclude.skip_reason)
            continue
        label, reason = label_with_reason(name)
        if label is None:
            skipped.add(name, reason)
        else:
            labelled.append((name, label))
    return labelled


def no_labelled_photos(src, skipped: SkipReport) -> DatasetError:
    """The error for a source with no labelled photo, naming what was found instead."""
    archives = sorted(name for name, _ in skipped if name.lower().endswith(".zip"))
    if archives:  # Kaggle's competition download holds train.zip and test1.zip
        target = next((a for a in archives if a.lower().endswith("train.zip")), archives[0])
        return DatasetError(
            f"no labelled photos in {src.description}, but it holds {', '.join(archives)}: "
            f"extract {target} and pass that zip"
        )
    return DatasetError(
        f"no labelled photos in {src.description} ({skipped.summary()}): expected names "
        "like cat.0.jpg / dog.0.jpg or folders Cat/ and Dog/"
    )


def nothing_decoded(src, skipped: SkipReport) -> DatasetError:
    """The error for a source whose labelled files all failed to decode."""
    return DatasetError(f"no photo of {src.description} could be decoded ({skipped.summary()})")


def list_photos(source: str | os.PathLike) -> list[tuple[str, int]]:
    """``[(name, label), ...]`` of every labelled photo in a folder or zip, in name order.

    Nothing is decoded: this is the quick look that notebook 01 takes before building.
    """
    src = open_source(source)
    try:
        return scan_labelled(src, SkipReport())
    finally:
        src.close()


def read_photo(source: str | os.PathLike, name: str) -> bytes:
    """The raw bytes of one entry (a name from :func:`list_photos`) of a folder or zip."""
    src = open_source(source)
    try:
        if name not in src.scan(SkipReport()):  # never a path outside the source, nor a symlink
            raise DatasetError(f"{name!r} is not a readable file in {src.description}")
        return src.read(name)
    finally:
        src.close()


def _balanced_subset(candidates: list[tuple[str, int]], limit: int, seed: int) -> list[tuple[str, int]]:
    """A seeded, class-balanced choice of ``limit`` candidates, kept in name order."""
    rng = np.random.default_rng(seed)
    per_class = [[c for c in candidates if c[1] == label] for label in (0, 1)]
    quota = [limit // 2 + limit % 2, limit // 2]
    if len(per_class[0]) < quota[0] or len(per_class[1]) < quota[1]:
        smaller = min(len(per_class[0]), len(per_class[1]))
        if smaller == 0:
            missing = CLASS_NAMES[0] if not per_class[0] else CLASS_NAMES[1]
            raise DatasetError(f"limit={limit} asks for a class-balanced subset, but there is no {missing}")
        quota = [min(smaller, q) for q in quota]
    chosen = []
    for group, n in zip(per_class, quota, strict=True):
        picks = rng.permutation(len(group))[:n]
        chosen.extend(group[i] for i in picks)
    return sorted(chosen)


def _decode_batch(
    source, batch: list[tuple[str, int]], *, spec: ImageSpec
) -> tuple[np.ndarray, np.ndarray, list[str], list[tuple[str, str]]]:
    """Decode one batch: (rows uint8 (k, D), labels (k,), their names, [(name, reason)] failed)."""
    rows = np.empty((len(batch), spec.n_pixels), dtype=np.uint8)
    labels, names, failures = [], [], []
    for name, label in batch:
        try:
            pixels = decode_pixels(source.read(name), spec.size, spec.color)
        except ImageError as exc:
            failures.append((name, str(exc)))
            continue
        except OSError as exc:  # the reason names no file, so a thousand of them group in the summary
            failures.append((name, f"unreadable ({exc.strerror or type(exc).__name__})"))
            continue
        except MemoryError:
            failures.append((name, "unreadable (out of memory)"))
            continue
        rows[len(names)] = pixels.reshape(-1)
        labels.append(label)
        names.append(name)
    return rows[: len(names)], np.array(labels, dtype=np.uint8), names, failures


def decode_stream(
    src,
    wanted: list[tuple[str, int]],
    spec: ImageSpec = COURSE,
    *,
    workers: int | None = None,
    progress: bool = True,
    skipped: SkipReport | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, list[str]]]:
    """Decode ``wanted`` (name, label) pairs of an open source on ``workers`` threads.

    Yields ``(rows, labels, names)`` batch by batch **in the order of** ``wanted``, leaving out
    photos that fail (added to ``skipped`` with the reason). At most two batches per thread are
    in flight, so memory does not grow with the number of photos.
    """
    workers = default_workers() if workers is None else max(1, int(workers))
    batches = [wanted[i : i + _BATCH] for i in range(0, len(wanted), _BATCH)]
    cv_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)  # our threads already use every core; avoid oversubscription
    try:
        # leave=False: a finished bar is cleared, so a summary or an error line stands alone below it
        with tqdm(
            total=len(wanted), desc="decoding", unit="img", disable=not progress or not wanted, leave=False
        ) as bar:
            decode = partial(_decode_batch, src, spec=spec)
            for rows, labels, names, failures in ordered_map(decode, batches, workers):
                bar.update(len(names) + len(failures))
                if skipped is not None:
                    for failure in failures:
                        skipped.add(*failure)
                yield rows, labels, names
    finally:
        cv2.setNumThreads(cv_threads)


def default_workers() -> int:
    """The number of cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def build_dataset(
    source: str | os.PathLike,
    size: int = 80,
    color: str = "gray",
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
    the same arrays. Decoding runs on ``workers`` threads (default: all cores; OpenCV releases
    the GIL, so threads scale and nothing needs pickling or a ``__main__`` guard on Windows).
    ``limit`` keeps a seeded, class-balanced subset of that many photos (``seed``), replacing
    photos that fail to decode while others remain. ``exclude``: an exclusions file (``name,reason``,
    notebook 04) whose photos are left out, each reported as ``excluded by FILE``.

    Raises :class:`DatasetError` when the source is missing or holds no labelled photo.
    """
    spec = ImageSpec(size, color)
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of photos, not {limit!r}")
    exclusions = as_exclusions(exclude)
    src = open_source(source)
    try:
        skipped = SkipReport()
        candidates = scan_labelled(src, skipped, exclusions)
        if not candidates:
            raise no_labelled_photos(src, skipped)
        wanted = candidates if limit is None else _balanced_subset(candidates, limit, seed)
        X, y, names = _decode_all(src, wanted, spec, workers, progress, skipped)
        if limit is not None and len(names) < min(limit, len(candidates)):
            X, y, names = _top_up(src, candidates, names, X, y, limit, spec, workers, progress, skipped, seed)
    finally:
        src.close()
    skipped.items.sort()
    if len(names) == 0:
        raise nothing_decoded(src, skipped)
    return Dataset(X, y, names, skipped)


def _decode_all(src, wanted, spec, workers, progress, skipped):
    """Decode ``wanted`` into one preallocated X; returns X, y, names of the good photos."""
    X = np.empty((len(wanted), spec.n_pixels), dtype=np.uint8)
    y = np.empty(len(wanted), dtype=np.uint8)
    names: list[str] = []
    stream = decode_stream(src, wanted, spec, workers=workers, progress=progress, skipped=skipped)
    for rows, labels, batch_names in stream:
        X[len(names) : len(names) + len(rows)] = rows
        y[len(names) : len(names) + len(rows)] = labels
        names.extend(batch_names)
    if len(names) < len(wanted):  # shrink in place: never a second copy of X
        X.resize((len(names), X.shape[1]), refcheck=False)
        y = y[: len(names)].copy()
    return X, y, names


def _top_up(src, candidates, names, X, y, limit, spec, workers, progress, skipped, seed):
    """Replace photos of a limited subset that failed to decode, while candidates remain."""
    tried = set(names) | {name for name, _ in skipped.items}
    rng = np.random.default_rng(seed + 1)
    while True:
        counts = np.bincount(y, minlength=2)
        target = [limit // 2 + limit % 2, limit // 2]
        more = []
        for label in (0, 1):
            pool = [c for c in candidates if c[1] == label and c[0] not in tried]
            need = target[label] - counts[label]
            if need > 0 and pool:
                more.extend(pool[i] for i in rng.permutation(len(pool))[:need])
        if not more:
            break
        tried.update(name for name, _ in more)
        X2, y2, names2 = _decode_all(src, sorted(more), spec, workers, progress, skipped)
        order = sorted(range(len(names) + len(names2)), key=(names + names2).__getitem__)
        X = np.concatenate([X, X2])[order]
        y = np.concatenate([y, y2])[order]
        names = [(names + names2)[i] for i in order]
    return X, y, names
