"""Step one end to end, streaming: photos -> the course's CSV without holding every photo in memory.

This is what ``dogcat preprocess`` runs. The photo list is shuffled with the seed *before*
decoding, and each decoded batch is appended to the (atomic) output at once, so memory stays
flat (tens of MB) whether the source holds 4,000 photos or 400,000. When no photo is skipped the
file is byte-identical to ``write_csv(*build_dataset(source)[:2], path, seed)``: both put photo
``order[i]`` of the name-sorted list at row i. Notebook 01 takes the in-memory route to show X.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.csvio import format_rows, shuffled_order, write_csv, write_csv_text
from ..data.dataset import build_dataset, decode_stream, no_labelled_photos, nothing_decoded, scan_labelled
from ..data.exclusions import Exclusions, as_exclusions
from ..data.imagespec import ImageSpec
from ..data.labels import CLASS_NAMES
from ..data.sources import SkipReport, open_source
from ..plumbing.errors import DogcatError
from ..plumbing.paths import check_not_an_input


@dataclass(frozen=True)
class PreprocessResult:
    """What :func:`preprocess_to_csv` wrote."""

    path: Path
    rows: int
    n_pixels: int
    class_counts: dict[str, int]
    skipped: SkipReport


def check_output_path(source: Path, output: Path, *, option: str = "output") -> None:
    """Refuse an output that is the input, lies inside the scanned folder, or is a folder.

    The first two are the rule every command follows (:func:`~dogcat_lib.plumbing.paths.check_not_an_input`).
    """
    check_not_an_input(output, [source], option=option)
    if output.exists() and output.is_dir():
        example = output / "dogs-vs-cats.csv"
        raise DogcatError(f"{option} {output} is a folder: give a file name such as {example}")


def preprocess_to_csv(
    source: str | os.PathLike,
    out: str | os.PathLike,
    size: int = 80,
    color: str = "gray",
    workers: int | None = None,
    limit: int | None = None,
    progress: bool = True,
    *,
    seed: int = 0,
    exclude: str | os.PathLike | Exclusions | None = None,
) -> PreprocessResult:
    """Decode every labelled photo of ``source`` and write the course's CSV to ``out``, streaming.

    Arguments as :func:`~dogcat_lib.build_dataset` (``exclude``: an exclusions file whose photos
    are left out, notebook 04) and :func:`~dogcat_lib.write_csv`. With
    ``limit`` (a small, class-balanced subset) the in-memory route is taken, since it may need
    to replace photos that fail. Raises :class:`DatasetError` for a missing source or one with
    no decodable labelled photo, and :class:`DogcatError` for an output inside the source
    folder or equal to the input; then nothing is written.
    """
    spec = ImageSpec(size, color)
    check_output_path(Path(source), Path(out))
    exclusions = as_exclusions(exclude)
    if limit is not None:
        X, y, _names, skipped = build_dataset(
            source, size, color, workers, limit, progress, seed=seed, exclude=exclusions
        )
        path = write_csv(X, y, out, seed=seed)
        counts = np.bincount(y, minlength=2)
        return PreprocessResult(path, len(y), X.shape[1], _counts(counts), skipped)

    src = open_source(source)
    skipped = SkipReport()
    counts = np.zeros(2, dtype=np.int64)
    n_pixels = spec.n_pixels
    try:
        candidates = scan_labelled(src, skipped, exclusions)
        if not candidates:
            raise no_labelled_photos(src, skipped)
        wanted = [candidates[i] for i in shuffled_order(len(candidates), seed)]

        def row_text():
            stream = decode_stream(src, wanted, spec, workers=workers, progress=progress, skipped=skipped)
            for rows, labels, _names in stream:
                if len(rows) == 0:
                    continue
                counts[:] += np.bincount(labels, minlength=2)
                table = np.empty((len(rows), n_pixels + 1), dtype=np.uint8)
                table[:, 0] = labels
                table[:, 1:] = rows
                yield format_rows(table)
            if counts.sum() == 0:  # raising here aborts the atomic write: no file appears
                raise nothing_decoded(src, skipped)

        path = write_csv_text(out, n_pixels, row_text())
    finally:
        src.close()
    skipped.items.sort()
    return PreprocessResult(path, int(counts.sum()), n_pixels, _counts(counts), skipped)


def _counts(counts: np.ndarray) -> dict[str, int]:
    return {name: int(counts[i]) for i, name in enumerate(CLASS_NAMES)}
