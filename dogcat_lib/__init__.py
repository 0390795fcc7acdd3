"""dogcat_lib: the library behind the dogcat course (Kaggle "Dogs vs. Cats" with a Keras CNN).

The folders follow the data's path: ``data/`` (photos -> ONE CSV; no TensorFlow), ``learn/``
(the CSV -> a trained CNN; ``pip install "dogcat[train]"``), ``steps/`` (each step end to end, as
the CLI runs it), ``plots`` (figures for both), ``colab`` (Colab only), ``plumbing/`` (errors,
atomic output, the thread map).

Step one (notebook 01, no TensorFlow needed): photos -> ONE CSV::

    from dogcat_lib import build_dataset, write_csv, read_csv
    X, y, names, skipped = build_dataset("train.zip")
    write_csv(X, y, "dogs-vs-cats.csv")

Step two (notebooks 02-04): the CSV -> a trained CNN::

    from dogcat_lib import read_csv, split_dataset, fit_scaler, build_reference_cnn, train, evaluate
    X, y = read_csv("dogs-vs-cats.csv")
    data = split_dataset(X, y, seed=0)                # stratified: train / validation / test
    scaler = fit_scaler(data.X_train)                 # statistics of the training split only
    model = build_reference_cnn(scaling=scaler.layer((80, 80, 1)))
    history = train(model, data, epochs=100)          # history.history["accuracy"], as Keras'
    print(evaluate(model, data.X_test, data.y_test).report())

Names are imported on first use, so ``import dogcat_lib`` stays fast and light.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

__version__ = "0.2.0"
#: The one place the published repository's address is set: the notebooks' setup cell and the README's
#: Colab badges mirror it (tests/test_colab_setup.py checks), and install the tag ``v{__version__}``.
REPO_URL = "https://github.com/dogcat-course/dogcat"

# TensorFlow reads its C++ log level once, when it is first imported: without this, every command and
# notebook starts with lines of oneDNN/CUDA notices (and cuInit errors on a machine without a GPU).
# A level the user set is kept.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_EXPORTS = {
    "CAT": "data.labels",
    "DOG": "data.labels",
    "CLASS_NAMES": "data.labels",
    "label_from_name": "data.labels",
    "ImageSpec": "data.imagespec",
    "image_shape": "data.imagespec",
    "load_pixels": "data.images",
    "decode_pixels": "data.images",
    "SkipReport": "data.sources",
    "build_dataset": "data.dataset",
    "Dataset": "data.dataset",
    "list_photos": "data.dataset",
    "read_photo": "data.dataset",
    "Photo": "data.photo",
    "open_photo": "data.photo",
    "uploaded_photos": "data.photo",
    "Exclusions": "data.exclusions",
    "read_exclusions": "data.exclusions",
    "write_exclusions": "data.exclusions",
    "EXCLUSION_REASONS": "data.exclusions",
    "write_csv": "data.csvio",
    "read_csv": "data.csvio",
    "make_sample": "data.sample",
    "download_dataset": "data.download",
    "preprocess_to_csv": "steps.preprocess",
    "get_strategy": "learn.runtime",
    "use_strategy": "learn.runtime",
    "set_seed": "learn.runtime",
    "precision": "learn.runtime",
    "setup_report": "learn.runtime",
    "split_dataset": "learn.scaling",
    "Splits": "learn.scaling",
    "fit_scaler": "learn.scaling",
    "PixelScaler": "learn.scaling",
    "leak_report": "learn.scaling",
    "make_dataset": "learn.pipeline",
    "build_reference_cnn": "learn.models",
    "build_improved_cnn": "learn.models",
    "build_transfer_cnn": "learn.models",
    "build_model": "learn.models",
    "augmentation": "learn.models",
    "fine_tune": "learn.models",
    "trainable_params": "learn.models",
    "train": "learn.training",
    "TrainingHistory": "learn.training",
    "training_callbacks": "learn.callbacks",
    "save_model": "learn.modelfile",
    "load_model": "learn.modelfile",
    "evaluate": "learn.evaluation",
    "Evaluation": "learn.evaluation",
    "predict_proba": "learn.evaluation",
    "overfitting_diagnosis": "learn.evaluation",
    "rank_suspects": "learn.evaluation",
    "predict": "learn.predict",
    "write_submission": "learn.predict",
    "predict_photo": "learn.predict",
    "PhotoPrediction": "learn.predict",
    "explain": "learn.explain",
    "feature_maps": "learn.explain",
    "conv_filters": "learn.explain",
    "find_conv_layer": "learn.explain",
    "train_from_csv": "steps.train_csv",
    "plot_preprocessing_steps": "plots",
    "plot_sample_grid": "plots",
    "plot_history": "plots",
    "plot_confusion_matrix": "plots",
    "plot_mistakes": "plots",
    "plot_augmentations": "plots",
    "plot_history_comparison": "plots",
    "history_frame": "plots",
    "plot_photo_prediction": "plots",
    "overlay_heatmap": "plots",
    "plot_gradcam": "plots",
    "plot_feature_maps": "plots",
    "plot_filters": "plots",
    "PhotoCleaner": "cleaner",
    "suspects_frame": "cleaner",
    "find_csv": "colab",
    "in_colab": "colab",
    "DogcatError": "plumbing.errors",
    "DatasetError": "plumbing.errors",
    "ImageError": "plumbing.errors",
    "MissingDependency": "plumbing.errors",
}

__all__ = ["REPO_URL", "__version__", *_EXPORTS]

if TYPE_CHECKING:  # pragma: no cover - for editors and type checkers only
    from .cleaner import PhotoCleaner, suspects_frame
    from .colab import find_csv, in_colab
    from .data.csvio import read_csv, write_csv
    from .data.dataset import Dataset, build_dataset, list_photos, read_photo
    from .data.download import download_dataset
    from .data.exclusions import EXCLUSION_REASONS, Exclusions, read_exclusions, write_exclusions
    from .data.images import decode_pixels, load_pixels
    from .data.imagespec import ImageSpec, image_shape
    from .data.labels import CAT, CLASS_NAMES, DOG, label_from_name
    from .data.photo import Photo, open_photo, uploaded_photos
    from .data.sample import make_sample
    from .data.sources import SkipReport
    from .learn.callbacks import training_callbacks
    from .learn.evaluation import Evaluation, evaluate, overfitting_diagnosis, predict_proba, rank_suspects
    from .learn.explain import conv_filters, explain, feature_maps, find_conv_layer
    from .learn.modelfile import load_model, save_model
    from .learn.models import (
        augmentation,
        build_improved_cnn,
        build_model,
        build_reference_cnn,
        build_transfer_cnn,
        fine_tune,
        trainable_params,
    )
    from .learn.pipeline import make_dataset
    from .learn.predict import PhotoPrediction, predict, predict_photo, write_submission
    from .learn.runtime import get_strategy, precision, set_seed, setup_report, use_strategy
    from .learn.scaling import PixelScaler, Splits, fit_scaler, leak_report, split_dataset
    from .learn.training import TrainingHistory, train
    from .plots import (
        history_frame,
        overlay_heatmap,
        plot_augmentations,
        plot_confusion_matrix,
        plot_feature_maps,
        plot_filters,
        plot_gradcam,
        plot_history,
        plot_history_comparison,
        plot_mistakes,
        plot_photo_prediction,
        plot_preprocessing_steps,
        plot_sample_grid,
    )
    from .plumbing.errors import DatasetError, DogcatError, ImageError, MissingDependency
    from .steps.preprocess import preprocess_to_csv
    from .steps.train_csv import train_from_csv


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dogcat_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
