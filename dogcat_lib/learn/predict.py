"""Photos -> P(dog) with a trained model, and Kaggle's submission file (notebook 02, section 9).

The preprocessing comes from the model itself: its input shape (H, W, C) gives the size and the
color (C = 1 gray, 3 RGB), and its first layer scales the pixels as it did in training. A photo
can therefore never be fed at the wrong size or scale.
"""

from __future__ import annotations

import os
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from ..data.dataset import decode_stream
from ..data.images import decode_pixels
from ..data.imagespec import ImageSpec
from ..data.labels import CLASS_NAMES, IMAGE_EXTENSIONS
from ..data.photo import open_photo
from ..data.sources import SkipReport, open_source
from ..plumbing.atomic import atomic_write_bytes
from ..plumbing.errors import DatasetError
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
    """P(dog) for every photo of a folder (recursive) or a zip (e.g. Kaggle's test1.zip); one photo:
    :func:`predict_photo`.

    ``model``: a Keras model or the path of a ``.keras`` file. Returns a DataFrame with columns
    ``name`` (the file's path inside the source), ``dog_probability`` (float32), ``label``
    (1 if the probability > 0.5) and ``class`` ("cat"/"dog"), in name order; entries that are not
    decodable photos are left out and listed in ``df.attrs["skipped"]`` (a SkipReport).
    """
    skipped = SkipReport()
    with closing(open_source(source)) as src:  # a device or pipe is refused before the model loads
        model = _as_model(model)
        check_output(model)  # before decoding thousands of photos for a model that cannot use them
        spec = ImageSpec.from_model(model)
        names = []
        for name in sorted(src.scan(skipped)):
            if PurePosixPath(name).suffix.lower() in IMAGE_EXTENSIONS:
                names.append(name)
            else:
                skipped.add(name, "not an image file name")
        wanted = [(name, 0) for name in names]
        chunks = list(decode_stream(src, wanted, spec, workers=workers, progress=progress, skipped=skipped))
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


@dataclass(frozen=True)
class PhotoPrediction:
    """One photo through the model: ``image`` (H, W, 3) uint8 RGB as shown, ``pixels`` the model's
    input ((size, size) gray or (size, size, 3) RGB uint8) and ``dog_probability``."""

    name: str
    image: np.ndarray
    pixels: np.ndarray
    dog_probability: float

    @property
    def label(self) -> int:
        """1 (dog) when P(dog) > 0.5, else 0 (cat)."""
        return int(self.dog_probability > 0.5)

    @property
    def class_name(self) -> str:
        return CLASS_NAMES[self.label]

    def line(self) -> str:
        """``my cat.jpg: P(dog) = 0.132 -> cat``: what ``dogcat predict MODEL photo.jpg`` prints."""
        return f"{self.name}: P(dog) = {self.dog_probability:.3f} -> {self.class_name}"


def predict_photo(model, photo, name: str | None = None) -> PhotoPrediction:
    """Your own photo through the model: the photo as shown, what the model sees, and P(dog).

    ``model``: a Keras model or a ``.keras`` path. ``photo``: a path, raw bytes, or an upload
    (``FileUpload``'s value in ipywidgets 7 or 8, or Colab's ``files.upload()``: its first file).
    The model's input comes from the file's bytes at the model's size and color, upright by the
    photo's EXIF orientation, exactly as ``dogcat preprocess`` decodes a training photo. A file
    that is not a photo raises :class:`ImageError` naming it. Notebook 04, section 1.
    """
    model = _as_model(model)
    spec = ImageSpec.from_model(model)
    shown = open_photo(photo, name)
    pixels = decode_pixels(shown.data, spec)
    proba = float(predict_proba(model, pixels.reshape(1, -1), batch_size=1)[0])
    return PhotoPrediction(shown.name, shown.image, pixels, proba)


def write_submission(predictions, path: str | os.PathLike, probabilities: bool = False) -> Path:
    """Kaggle's submission CSV ``id,label`` sorted by id, written atomically.

    ``predictions``: what :func:`predict` returns for Kaggle's ``test1`` photos, named
    ``test1/<id>.jpg``. The 2013 *Dogs vs. Cats* competition scores accuracy and wants label 1
    (dog) or 0 (cat); its 2016 *Redux* edition scores log loss and wants P(dog): ``probabilities``.
    """
    ids = []
    for name in predictions["name"]:
        stem = PurePosixPath(name).stem
        if not stem.isdecimal():
            raise DatasetError(
                f"{name!r} has no numeric id: a submission needs Kaggle's test1 photos (test1/1.jpg ...)"
            )
        ids.append(int(stem))
    if len(set(ids)) != len(ids):
        raise DatasetError("two photos share an id: pass only Kaggle's test1 folder or test1.zip")
    rows = sorted(zip(ids, predictions["dog_probability"], strict=True))
    lines = ["id,label", *(f"{i},{p:.6f}" if probabilities else f"{i},{int(p > 0.5)}" for i, p in rows)]
    return atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())
