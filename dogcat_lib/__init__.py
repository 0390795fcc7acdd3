"""dogcat_lib: the library behind the dogcat course (Kaggle "Dogs vs. Cats" with a Keras CNN).

Step one (notebook 01, no TensorFlow needed): photos -> ONE CSV::

    from dogcat_lib import build_dataset, write_csv, read_csv
    X, y, names, skipped = build_dataset("train.zip")
    write_csv(X, y, "dogs-vs-cats.csv")

Step two (notebook 02, TensorFlow imported only here): the CSV -> a trained CNN::

    from dogcat_lib import read_csv, split_dataset, fit_scaler, build_reference_cnn, train, evaluate
    X, y = read_csv("dogs-vs-cats.csv")
    data = split_dataset(X, y, seed=0)                # stratified: train / validation / test
    scaler = fit_scaler(data.X_train)                 # statistics of the training split only
    model = build_reference_cnn(scaling=scaler.layer((80, 80, 1)))
    history = train(model, data, epochs=100)
    print(evaluate(model, data.X_test, data.y_test).report())

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
    "image_shape": "images",
    "split_dataset": "scaling",
    "Splits": "scaling",
    "fit_scaler": "scaling",
    "PixelScaler": "scaling",
    "leak_report": "scaling",
    "build_reference_cnn": "models",
    "build_model": "models",
    "trainable_params": "models",
    "get_strategy": "training",
    "train": "training",
    "evaluate": "training",
    "Evaluation": "training",
    "train_from_csv": "training",
    "overfitting_diagnosis": "training",
    "train_and_compare": "compare",
    "save_model": "training",
    "load_model": "training",
    "predict": "predict",
    "write_submission": "predict",
    "plot_history": "plots",
    "plot_confusion_matrix": "plots",
    "plot_mistakes": "plots",
    "plot_augmentations": "plots",
    "plot_history_comparison": "plots",
    "augmentation": "models",
    "build_improved_cnn": "models",
    "build_transfer_cnn": "models",
    "fine_tune": "models",
    "find_csv": "colab",
    "in_colab": "colab",
    "DogcatError": "errors",
    "DatasetError": "errors",
    "ImageError": "errors",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # pragma: no cover - for editors and type checkers only
    from .colab import find_csv, in_colab
    from .compare import train_and_compare
    from .csvio import read_csv, write_csv
    from .dataset import Dataset, SkipReport, build_dataset, list_photos, read_photo
    from .errors import DatasetError, DogcatError, ImageError
    from .images import decode_pixels, image_shape, load_pixels
    from .labels import CAT, CLASS_NAMES, DOG, label_from_name
    from .models import (
        augmentation,
        build_improved_cnn,
        build_model,
        build_reference_cnn,
        build_transfer_cnn,
        fine_tune,
        trainable_params,
    )
    from .plots import (
        plot_augmentations,
        plot_confusion_matrix,
        plot_history,
        plot_history_comparison,
        plot_mistakes,
        plot_preprocessing_steps,
        plot_sample_grid,
    )
    from .predict import predict, write_submission
    from .preprocess import preprocess_to_csv
    from .sample import make_sample
    from .scaling import PixelScaler, Splits, fit_scaler, leak_report, split_dataset
    from .training import (
        Evaluation,
        evaluate,
        get_strategy,
        load_model,
        overfitting_diagnosis,
        save_model,
        train,
        train_from_csv,
    )


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dogcat_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
