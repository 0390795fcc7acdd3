"""dogcat_lib: the library behind the dogcat course (Kaggle "Dogs vs. Cats" with a Keras CNN).

Step one (notebook 01, no TensorFlow needed): photos -> ONE CSV::

    from dogcat_lib import build_dataset, write_csv, read_csv
    X, y, names, skipped = build_dataset("train.zip")
    write_csv(X, y, "dogs-vs-cats.csv")

Names are imported on first use, so ``import dogcat_lib`` stays fast and light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "CAT": "labels",
    "DOG": "labels",
    "CLASS_NAMES": "labels",
    "label_from_name": "labels",
    "load_pixels": "images",
    "decode_pixels": "images",
    "build_dataset": "dataset",
    "Dataset": "dataset",
    "SkipReport": "dataset",
    "list_photos": "dataset",
    "read_photo": "dataset",
    "plot_preprocessing_steps": "plots",
    "plot_sample_grid": "plots",
    "write_csv": "csvio",
    "read_csv": "csvio",
    "make_sample": "sample",
    "preprocess_to_csv": "preprocess",
    "DogcatError": "errors",
    "DatasetError": "errors",
    "ImageError": "errors",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # pragma: no cover - for editors and type checkers only
    from .csvio import read_csv, write_csv
    from .dataset import Dataset, SkipReport, build_dataset, list_photos, read_photo
    from .errors import DatasetError, DogcatError, ImageError
    from .images import decode_pixels, load_pixels
    from .labels import CAT, CLASS_NAMES, DOG, label_from_name
    from .plots import plot_preprocessing_steps, plot_sample_grid
    from .preprocess import preprocess_to_csv
    from .sample import make_sample


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dogcat_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
