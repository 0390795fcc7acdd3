"""Notebook 03's remedies: augmentation, the improved CNN, transfer learning (weights=None: offline)."""

from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from conftest import trainable_params  # noqa: E402

from dogcat_lib import DogcatError  # noqa: E402
from dogcat_lib.__main__ import main  # noqa: E402
from dogcat_lib.learn.models import (  # noqa: E402
    augmentation,
    build_improved_cnn,
    build_model,
    build_transfer_cnn,
    fine_tune,
)


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


def test_transfer_model_builds_offline_with_a_frozen_backbone_then_fine_tunes():
    model = build_transfer_cnn((32, 32, 1), weights=None, image_size=64)
    backbone = next(
        layer for layer in model.layers if isinstance(layer, keras.Model) and layer.name != "augmentation"
    )
    assert not backbone.trainable
    head_only = trainable_params(model)
    assert head_only == 577  # Dense(1) on MobileNetV3-Small's 576 pooled features
    x = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 1)).astype("float32")
    assert model.predict(x, verbose=0).shape == (2, 1)
    fine_tune(model, top_layers=10, learning_rate=1e-5)
    assert trainable_params(model) > head_only
    assert not any(
        lay.trainable for lay in backbone.layers if isinstance(lay, keras.layers.BatchNormalization)
    )
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-5)
    with pytest.raises(DogcatError, match="no backbone"):
        fine_tune(build_improved_cnn((32, 32, 1)))


@pytest.mark.filterwarnings("ignore:`input_shape` is undefined or non-square")
def test_missing_imagenet_weights_are_a_clear_error(monkeypatch, tmp_path):
    """Keras downloads through its own ``file_utils.urlretrieve`` into ``keras_home()``: both are
    replaced where Keras looks them up, so the test does not depend on this machine being offline."""
    from keras.src.backend import config
    from keras.src.utils import file_utils

    attempts = []

    def offline(url, *args, **kwargs):
        attempts.append(url)
        raise OSError("network is unreachable")

    monkeypatch.setattr(file_utils, "urlretrieve", offline)
    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path))  # an empty cache: nothing to reuse
    with pytest.raises(DogcatError, match="ImageNet weights .*weights=None"):
        build_transfer_cnn((32, 32, 1), weights="imagenet", image_size=64)
    assert len(attempts) == 1 and "mobilenet" in attempts[0].lower()


@pytest.mark.parametrize("name", ["improved", "transfer"])
def test_cli_trains_the_better_models(name, tiny_csv, tmp_path):
    out = tmp_path / name
    args = [
        "train",
        str(tiny_csv),
        "-o",
        str(out),
        "--model",
        name,
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "-q",
    ]
    assert main([*args, "--no-pretrained"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == name and metrics["epochs_run"] == 1
    assert "learning_rate" in (out / "history.csv").read_text().splitlines()[0]  # ReduceLROnPlateau on
