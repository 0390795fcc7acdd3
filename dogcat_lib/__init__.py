"""dogcat_lib: the thin library under the dogcat course (Kaggle "Dogs vs. Cats" with a Keras CNN).

The notebooks teach with the course's own code and Keras' and scikit-learn's tools; this library
holds what they do not teach (reading 25,000 photos fast and safely, the CSV, Drive paths) and what
the ``dogcat`` command needs. The folders follow the data's path: ``data/`` (photos -> ONE CSV; no
TensorFlow), ``learn/`` (the CSV -> a trained CNN; ``pip install "dogcat[train]"``), ``plots``
(figures for both), ``cleaner`` and ``colab`` (notebooks), ``plumbing/`` (errors, atomic output).

Step one (notebook 01, no TensorFlow needed)::

    from dogcat_lib import preprocess_to_csv, read_csv
    preprocess_to_csv("train.zip", "dogs-vs-cats.csv.zst")
    X, y = read_csv("dogs-vs-cats.csv.zst")          # uint8, every value checked

Step two (``dogcat train``; notebook 02 writes it out with Keras)::

    from dogcat_lib import train_from_csv
    run = train_from_csv("dogs-vs-cats.csv.zst", "runs/reference", epochs=100)
    print(run.evaluation.report())

Names are imported on first use, so ``import dogcat_lib`` stays fast and light.
"""

from __future__ import annotations

import importlib
import os

from .plumbing.version import REPO_URL, __version__

# TensorFlow reads its C++ log level once, when it is first imported: without this, every command and
# notebook starts with lines of oneDNN/CUDA notices (and cuInit errors on a machine without a GPU).
# A level the user set is kept.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_EXPORTS = {
    "CLASS_NAMES": "data.labels",
    "label_from_name": "data.labels",
    "ImageSpec": "data.imagespec",
    "load_pixels": "data.images",
    "list_photos": "data.dataset",
    "read_photo": "data.dataset",
    "build_dataset": "data.dataset",
    "preprocess_to_csv": "data.dataset",
    "write_csv": "data.csvio",
    "read_csv": "data.csvio",
    "read_exclusions": "data.exclusions",
    "write_exclusions": "data.exclusions",
    "uploaded_photos": "data.photo",
    "make_sample": "data.sample",
    "download_dataset": "data.download",
    "setup_report": "learn.runtime",
    "split_dataset": "learn.scaling",
    "fit_scaler": "learn.scaling",
    "build_reference_cnn": "learn.models",
    "build_improved_cnn": "learn.models",
    "build_transfer_cnn": "learn.models",
    "augmentation": "learn.models",
    "fine_tune": "learn.models",
    "TimeBudget": "learn.training",
    "train_from_csv": "learn.training",
    "load_model": "learn.modelfile",
    "evaluate": "learn.evaluation",
    "predict": "learn.predict",
    "predict_photo": "learn.predict",
    "write_submission": "learn.predict",
    "explain": "learn.explain",
    "plot_sample_grid": "plots",
    "plot_history": "plots",
    "plot_confusion_matrix": "plots",
    "plot_mistakes": "plots",
    "PhotoCleaner": "cleaner",
    "launch_app": "app",
    "find_csv": "colab",
    "output_folder": "colab",
    "DogcatError": "plumbing.errors",
    "DatasetError": "plumbing.errors",
    "ImageError": "plumbing.errors",
}

__all__ = ["REPO_URL", "__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dogcat_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
