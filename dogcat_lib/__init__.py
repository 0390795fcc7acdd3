"""dogcat_lib: the thin library under the dogcat course (Kaggle "Dogs vs. Cats" with a Keras CNN).

The notebooks teach with the course's own code and Keras' and scikit-learn's tools; this library
holds what they do not teach (reading 25,000 photos fast and safely, the CSV, Drive paths) and what
the ``dogcat`` command needs. The folders follow the data's path: ``data/`` (photos -> ONE CSV; no
TensorFlow), ``learn/`` (the CSV -> a trained CNN; ``pip install "dogcat[train]"``), ``plots``
(figures for both), ``cleaner`` and ``colab`` (notebooks), ``plumbing/`` (errors, atomic output).

Names are imported on first use, so ``import dogcat_lib`` stays fast and light; the README's "The
library" shows both steps in a few lines.
"""

from __future__ import annotations

import importlib
import os

from .plumbing.version import REPO_URL, __version__

# TensorFlow reads its C++ log level once, when it is first imported: without this, every command and
# notebook starts with lines of oneDNN/CUDA notices (and cuInit errors on a machine without a GPU).
# A level the user set is kept.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: Each module's public names, in the data's order: they are imported on first use.
_PUBLIC = {
    "data.labels": ["CLASS_NAMES", "label_from_name"],
    "data.imagespec": ["ImageSpec"],
    "data.images": ["load_pixels"],
    "data.dataset": ["list_photos", "read_photo", "build_dataset", "preprocess_to_csv"],
    "data.csvio": ["write_csv", "read_csv"],
    "data.exclusions": ["read_exclusions", "write_exclusions"],
    "data.photo": ["uploaded_photos"],
    "data.sample": ["make_sample"],
    "data.download": ["download_dataset"],
    "learn.runtime": ["setup_report"],
    "learn.scaling": ["split_dataset", "fit_scaler"],
    "learn.models": ["build_reference_cnn", "build_improved_cnn", "augmentation"],
    "learn.training": ["TimeBudget", "train_from_csv"],
    "learn.modelfile": ["load_model"],
    "learn.evaluation": ["evaluate"],
    "learn.predict": ["predict", "predict_photo", "write_submission"],
    "learn.explain": ["explain"],
    "plots": ["plot_sample_grid", "plot_history", "plot_confusion_matrix", "plot_mistakes"],
    "cleaner": ["PhotoCleaner"],
    "app": ["launch_app"],
    "colab": ["find_csv", "output_folder"],
    "plumbing.errors": ["DogcatError", "DatasetError", "ImageError", "in_korean"],
}
_MODULE_OF = {name: module for module, names in _PUBLIC.items() for name in names}

__all__ = ["REPO_URL", "__version__", *_MODULE_OF]


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'dogcat_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
