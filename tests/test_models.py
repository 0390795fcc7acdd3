"""The course's CNN, exactly, and the scaling layer that travels inside it."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from conftest import trainable_params  # noqa: E402

from dogcat_lib import DatasetError, DogcatError, build_reference_cnn, fit_scaler  # noqa: E402
from dogcat_lib.learn.models import build_model  # noqa: E402


def test_reference_cnn_has_the_courses_2764417_parameters_and_layers():
    model = build_reference_cnn()
    assert trainable_params(model) == 2_764_417
    assert model.count_params() == 2_764_417  # nothing hidden as non-trainable
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [32, 64, 128, 128, 256, 256]
    assert all(c.kernel_size == (3, 3) and c.padding == "same" for c in convs)
    assert sum(isinstance(layer, keras.layers.MaxPooling2D) for layer in model.layers) == 4
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [d.units for d in dense] == [256, 1]
    assert [type(d.kernel_initializer).__name__ for d in dense] == ["HeNormal", "HeNormal"]
    assert dense[-1].activation.__name__ == "sigmoid"
    assert any(isinstance(layer, keras.layers.Dropout) and layer.rate == 0.5 for layer in model.layers)
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)
    assert model.loss == "binary_crossentropy"


def test_same_seed_same_initial_weights():
    a, b = build_reference_cnn((32, 32, 1), seed=5), build_reference_cnn((32, 32, 1), seed=5)
    c = build_reference_cnn((32, 32, 1), seed=6)
    assert all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights(), strict=True))
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_scaling_layer_equals_sklearns_minmax_scaler_and_survives_save_and_load(tmp_path):
    from sklearn.preprocessing import MinMaxScaler

    from dogcat_lib import load_model

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (20, 16 * 16), dtype=np.uint8)
    X[:, 3] = 9  # a constant pixel (range 0 -> scaled by 1, as sklearn does)
    layer = fit_scaler(X[:15], (16, 16, 1))
    images = X[15:].reshape(-1, 16, 16, 1).astype(np.float32)
    expected = MinMaxScaler().fit(X[:15]).transform(X[15:]).reshape(-1, 16, 16, 1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(images)), expected, atol=1e-5)

    model = build_reference_cnn((16, 16, 1), scaling=layer, compile=False)  # no optimizer state to save
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6)


def test_scaling_layer_must_fit_the_input_shape():
    with pytest.raises(DatasetError, match="rows of 100 pixels do not fit images of shape"):
        fit_scaler(np.zeros((3, 100), np.uint8), (80, 80, 1))


def test_unknown_model_name_lists_the_known_ones():
    with pytest.raises(DogcatError, match="choose one of reference"):
        build_model("resnet9000")
