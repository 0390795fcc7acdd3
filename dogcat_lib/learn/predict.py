"""Photos -> P(dog) with a trained model, and Kaggle's submission file (notebook 02, "Predict").

The preprocessing comes from the model itself: its input shape (H, W, C) gives the size and the
color (C = 1 gray, 3 RGB), and its first layer scales the pixels as it did in training. A photo
can therefore never be fed at the wrong size or scale.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from ..data.dataset import decode_stream
from ..data.images import load_pixels
from ..data.imagespec import ImageSpec
from ..data.labels import CLASS_NAMES, IMAGE_EXTENSIONS
from ..data.sources import SkipReport, open_source
from ..plumbing.atomic import atomic_write_bytes
from ..plumbing.errors import DatasetError, ImageError
from .evaluation import check_output, predict_proba
from .modelfile import load_model


def _as_model(model):
    return load_model(model) if isinstance(model, str | os.PathLike) else model


def predict(
    model,
    source: str | os.PathLike,
    batch_size: int = 100,
    workers: int | None = None,
    progress: bool = True,
):
    """P(dog) for one photo, or every photo of a folder (recursive) or a zip (e.g. Kaggle's test1.zip).

    ``model``: a Keras model or the path of a ``.keras`` file. Returns a DataFrame with columns
    ``name`` (the file's path inside the source), ``dog_probability`` (float32), ``label``
    (1 if the probability > 0.5) and ``class`` ("cat"/"dog"), in name order; entries that are not
    decodable photos are left out and listed in ``df.attrs["skipped"]`` (a SkipReport).
    """
    path = Path(source).expanduser()
    single = path.is_file() and not zipfile.is_zipfile(path)
    src = None if single else open_source(path)  # a device or pipe is refused before the model loads
    try:
        model = _as_model(model)
        check_output(model)  # before decoding thousands of photos for a model that cannot use them
        spec = ImageSpec.from_model(model)
    except BaseException:
        if src is not None:
            src.close()
        raise
    skipped = SkipReport()
    if src is None:
        try:
            X = load_pixels(path, spec.size, spec.color).reshape(1, -1)
        except ImageError as exc:
            raise DatasetError(f"{path} is not a photo the model can read: {exc}") from exc
        names = [path.name]
    else:
        try:
            names = []
            for name in sorted(src.scan(skipped)):
                if PurePosixPath(name).suffix.lower() in IMAGE_EXTENSIONS:
                    names.append(name)
                else:
                    skipped.add(name, "not an image file name")
            chunks = list(
                decode_stream(
                    src, [(n, 0) for n in names], spec, workers=workers, progress=progress, skipped=skipped,
                )
            )  # fmt: skip
        finally:
            src.close()
        names = [name for _, _, chunk_names in chunks for name in chunk_names]
        if not names:
            raise DatasetError(f"no decodable photo in {src.description} ({skipped.summary()})")
        X = np.concatenate([rows for rows, _, _ in chunks])
    proba = predict_proba(model, X, batch_size)
    labels = (proba > 0.5).astype(np.uint8)
    frame = pd.DataFrame(
        {"name": names, "dog_probability": proba, "label": labels, "class": [CLASS_NAMES[i] for i in labels]}
    )
    frame.attrs["skipped"] = skipped
    return frame


_ID = re.compile(r"^(\d+)$")


def write_submission(predictions, path: str | os.PathLike) -> Path:
    """Kaggle's submission CSV ``id,label`` (label = P(dog)), sorted by id, written atomically.

    ``predictions``: what :func:`predict` returns for Kaggle's ``test1`` photos, whose names
    are ``test1/<id>.jpg``.
    """
    ids = []
    for name in predictions["name"]:
        match = _ID.match(PurePosixPath(name).stem)
        if match is None:
            raise DatasetError(
                f"{name!r} has no numeric id: a submission needs Kaggle's test1 photos (test1/1.jpg ...)"
            )
        ids.append(int(match.group(1)))
    if len(set(ids)) != len(ids):
        raise DatasetError("two photos share an id: pass only Kaggle's test1 folder or test1.zip")
    order = np.argsort(ids, kind="stable")
    proba = predictions["dog_probability"].to_numpy()
    lines = ["id,label"] + [f"{ids[i]},{proba[i]:.6f}" for i in order]
    return atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())
