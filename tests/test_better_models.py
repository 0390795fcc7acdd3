"""Notebook 03's remedies in the library: augmentation and the improved CNN (`--model improved`)."""

from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from conftest import trainable_params  # noqa: E402

from dogcat_lib.__main__ import main  # noqa: E402
from dogcat_lib.learn.models import augmentation, build_improved_cnn, build_model  # noqa: E402


def test_augmentation_changes_photos_only_while_training():
    x = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 1)).astype("float32")
    layer = augmentation(seed=1)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x, training=False)), x)
    assert not np.allclose(keras.ops.convert_to_numpy(layer(x, training=True)), x)


def test_improved_cnn_is_lighter_normalised_and_deterministic_at_inference():
    model = build_improved_cnn()
    assert trainable_params(model) == 1_126_625  # vs the course's 2,764,417: no 1.6M-weight Dense(256)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {"BatchNormalization", "GlobalAveragePooling2D", "Dropout"} <= kinds
    assert "Flatten" not in kinds and model.get_layer("augmentation") is not None
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    x = np.random.default_rng(0).integers(0, 256, (3, 80, 80, 1)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


def test_improved_cnn_takes_rgb_and_larger_inputs():
    model = build_model("improved", (96, 96, 3))
    assert model.input_shape == (None, 96, 96, 3) and model.output_shape == (None, 1)


def test_cli_trains_the_improved_model(tiny_csv, tmp_path):
    out = tmp_path / "improved"
    args = [
        "train",
        str(tiny_csv),
        "-o",
        str(out),
        "--model",
        "improved",
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "-q",
    ]
    assert main(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "improved" and metrics["epochs_run"] == 1
    assert "learning_rate" in (out / "history.csv").read_text().splitlines()[0]  # ReduceLROnPlateau on
