"""Where the CNN looks (``dogcat explain``): your photo's P(dog) and Grad-CAM in every shape of model."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from conftest import exif_jpeg, jpeg, pil_bytes  # noqa: E402

from dogcat_lib import (  # noqa: E402
    DogcatError,
    ImageError,
    ImageSpec,
    build_improved_cnn,
    build_reference_cnn,
    explain,
    load_model,
    predict_photo,
)
from dogcat_lib.data.images import decode_pixels  # noqa: E402
from dogcat_lib.learn.evaluation import predict_proba  # noqa: E402
from dogcat_lib.learn.explain import find_conv_layer  # noqa: E402

SIZE = 32
REGION = (slice(0, 10), slice(22, 32))  # the top-right corner: a transposed or flipped map misses it


@pytest.fixture(scope="module")
def models():
    """The two models the package builds, untrained, on 32x32 gray."""
    return {
        "reference": build_reference_cnn((SIZE, SIZE, 1)),
        "improved": build_improved_cnn((SIZE, SIZE, 1)),
    }


def marked_photos(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Noise photos whose class is decided only by the marked region: bright for dogs, noise for cats."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, (n, SIZE, SIZE), dtype=np.uint8)
    y = (np.arange(n) % 2).astype(np.uint8)
    X[(y == 1)[:, None, None] & region_mask()[None]] = 255
    return X, y


def region_mask() -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), bool)
    mask[REGION] = True
    return mask


def region_cnn(kind: str) -> keras.Model:
    """A small CNN in one of the two shapes the package's models take: a ``Sequential`` (the
    reference CNN) and a functional graph with separate activations (the improved CNN); or, to be
    refused, a nested backbone model called inside a functional one."""
    conv = [
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
    ]
    head = [keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")]
    if kind == "sequential":
        return keras.Sequential([keras.Input((SIZE, SIZE, 1)), keras.layers.Rescaling(1 / 255), *conv, *head])
    inputs = keras.Input((SIZE, SIZE, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    if kind == "functional":
        x = keras.layers.Conv2D(8, 3, padding="same")(x)
        x = keras.layers.Activation("relu")(x)
        x = keras.layers.MaxPooling2D()(x)
        x = keras.layers.Conv2D(16, 3, padding="same", name="last_conv")(x)
        x = keras.layers.Activation("relu")(x)
    else:  # "nested"
        backbone_in = keras.Input((SIZE, SIZE, 1))
        y = backbone_in
        for layer in conv:
            y = layer(y)
        x = keras.Model(backbone_in, y, name="backbone")(x)
    for layer in head:
        x = layer(x)
    return keras.Model(inputs, x)


@pytest.fixture(scope="module")
def region_model():
    """A small CNN trained (3 epochs, ~2 s) to tell the marked photos apart."""
    keras.utils.set_random_seed(0)
    X, y = marked_photos(400, seed=0)
    model = region_cnn("sequential")
    model.compile(keras.optimizers.Adam(1e-2), "binary_crossentropy", metrics=["accuracy"])
    model.fit(X[..., None].astype("float32"), y.astype("float32"), epochs=3, batch_size=32, verbose=0)
    return model


def hand_made_region_cnn(kind: str) -> keras.Model:
    """``region_cnn(kind)`` with weights set by hand so that it provably decides by the region alone.

    conv 1 averages 3x3 pixels and fires only where they are bright (mean over 0.8: the region,
    almost never noise); conv 2 averages those maps; the Dense layer adds up the region's cells
    of the last feature map. The logit is then positive for the bright corner and the evidence
    for dog lies exactly there: a Grad-CAM that maps anywhere else is wired wrong.
    """
    model = region_cnn(kind)
    weighted = []
    for layer in model.layers:
        inner = layer.layers if isinstance(layer, keras.Model) else [layer]
        weighted += [one for one in inner if one.weights]
    conv1, conv2, dense = weighted
    conv1.set_weights([np.full((3, 3, 1, 8), 1 / 9, np.float32), np.full(8, -0.8, np.float32)])
    conv2.set_weights([np.full((3, 3, 8, 16), 1 / 72, np.float32), np.zeros(16, np.float32)])
    half = SIZE // 2  # after the pooling
    cells = np.zeros((half, half, 16), np.float32)
    cells[REGION[0].start // 2 : REGION[0].stop // 2, REGION[1].start // 2 : REGION[1].stop // 2] = 1.0
    dense.set_weights([cells.reshape(-1, 1), np.array([-5.0], np.float32)])
    return model


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_grad_cam_is_wired_right_in_every_shape_of_model(kind):
    model = hand_made_region_cnn(kind)
    X, y = marked_photos(8, seed=2)
    proba = predict_proba(model, X.reshape(len(X), -1))
    np.testing.assert_array_equal(proba > 0.5, y == 1)  # the hand-made rule decides
    for image in X[y == 1]:
        assert heat_ratio(explain(model, image)) > 5, "the evidence for dog is the bright corner"
        assert heat_ratio(explain(model, image, target=0)) < 1, "and none of it is evidence for cat"


def heat_ratio(heat: np.ndarray) -> float:
    """Mean heat inside the marked region over the mean outside."""
    mask = region_mask()
    return float(heat[mask].mean() / max(heat[~mask].mean(), 1e-6))


def test_grad_cam_concentrates_on_the_region_that_decides_the_class(region_model):
    X, y = marked_photos(16, seed=1)
    proba = predict_proba(region_model, X.reshape(len(X), -1))
    assert ((proba > 0.5) == (y == 1)).mean() >= 0.9  # the model has learnt the rule
    for image in X[y == 1]:
        heat = explain(region_model, image)
        assert heat_ratio(heat) > 2, "the evidence for dog is the bright corner"
        assert heat_ratio(explain(region_model, image, target=0)) < 1, "the evidence for cat is not there"


@pytest.mark.parametrize("name", ["reference", "improved"])
def test_heatmap_has_the_inputs_size_and_range_for_every_model(models, name, tmp_path):
    model = models[name]
    image = decode_pixels(jpeg(1, 3), ImageSpec(SIZE))
    heat = explain(model, image)
    assert heat.shape == (SIZE, SIZE) and heat.dtype == np.float32
    assert np.isfinite(heat).all() and heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    # inference mode: the improved model's augmentation layers are off, so the map is the same twice
    np.testing.assert_array_equal(explain(model, image), heat)
    # a photo's bytes or a flat CSV row work as well as the pixels
    np.testing.assert_allclose(explain(model, jpeg(1, 3)), heat, atol=1e-6)
    np.testing.assert_allclose(explain(model, image.reshape(-1)), heat, atol=1e-6)
    # and a saved model, loaded back (a loaded Sequential holds one graph per layer it rebuilt)
    model.save(tmp_path / "model.keras")
    loaded = load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(explain(loaded, image), heat, atol=1e-5)


def test_the_last_conv_block_is_found(models):
    assert find_conv_layer(models["reference"])[0] is models["reference"].layers[-6]  # conv 256 #2
    conv, output = find_conv_layer(models["improved"])
    assert conv.name == "block4_conv2" and output.name == "block4_relu2"
    heat = explain(models["improved"], decode_pixels(jpeg(0, 4), ImageSpec(SIZE)))
    assert heat.shape == (SIZE, SIZE)


def test_no_conv_layer_or_a_wrong_input_is_a_clear_error(models):
    dense = keras.Sequential([keras.Input((SIZE, SIZE, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    image = np.zeros((SIZE, SIZE), np.uint8)
    with pytest.raises(DogcatError, match="has no convolutional layer"):
        explain(dense, image)
    with pytest.raises(DogcatError, match="no convolutional layer of its own"):
        explain(region_cnn("nested"), image)
    with pytest.raises(DogcatError, match="does not fit the model's input 32x32 gray"):
        explain(models["reference"], np.zeros((80, 80), np.uint8))


def test_your_photo_through_the_model(trained_run, tmp_path):
    model = trained_run.model
    data = pil_bytes(1, 6, "PNG")
    result = predict_photo(model, data, name="my dog.png")
    assert result.name == "my dog.png" and result.image.shape[2] == 3
    np.testing.assert_array_equal(result.pixels, decode_pixels(data, ImageSpec(SIZE)))
    assert result.dog_probability == pytest.approx(
        float(predict_proba(model, result.pixels.reshape(1, -1))[0])
    )
    assert result.class_name == ("dog" if result.dog_probability > 0.5 else "cat")
    assert result.line() == f"my dog.png: P(dog) = {result.dog_probability:.3f} -> {result.class_name}"
    turned = predict_photo(trained_run.out_dir / "model.keras", exif_jpeg(6), name="phone.jpg")
    assert turned.image.shape == (60, 40, 3)  # upright, and the model's input is upright too
    np.testing.assert_array_equal(turned.pixels, decode_pixels(exif_jpeg(6), ImageSpec(SIZE)))
    with pytest.raises(ImageError, match=r"^notes.txt is not a photo: not an image \(a text file\)"):
        predict_photo(model, b"my notes\n", name="notes.txt")
