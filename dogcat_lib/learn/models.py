"""Model builders for ``dogcat train``. Each returns a compiled ``keras.Model`` that takes images of
``input_shape`` (H, W, C) with raw pixel values 0..255 and outputs P(dog).

Notebooks 02 and 03 write the same models in their cells (the course's ``Sequential``, the
improved CNN, the transfer model's two phases); tests/test_course_code.py proves them equal. The
first layer scales the pixels: pass ``scaling=fit_scaler(X_train, input_shape)`` for the course's
min-max scaling fitted on the training split, or leave it out for ``x / 255``. Because the scaling
lives inside the model, a saved ``model.keras`` scales new photos exactly as it was trained.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import layers

from ..data.imagespec import COURSE, ImageSpec
from ..plumbing.errors import DogcatError


def _compile(model, optimizer):
    """Binary cross-entropy and accuracy, as the course compiles; only the optimizer differs."""
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_reference_cnn(
    input_shape: tuple[int, int, int] = COURSE.shape,
    scaling=None,
    compile: bool = True,
    learning_rate: float = 1e-4,
    seed: int | None = 0,
):
    """The course's CNN: 2,764,417 trainable parameters on (80, 80, 1).

    Conv 32 -> pool -> Conv 64 -> pool -> Conv 128, 128 -> pool -> Conv 256, 256 -> pool ->
    Flatten -> Dropout 0.5 -> Dense 256 relu -> Dense 1 sigmoid; every conv 3x3, ``same``, relu;
    dense layers ``he_normal``. Compiled as the course does: RMSprop(1e-4), binary cross-entropy,
    accuracy. ``seed`` fixes the initial weights (None: not seeded). The output layer computes in
    float32 even inside :func:`~dogcat_lib.learn.runtime.precision` (mixed precision).
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)

    def conv(filters: int) -> layers.Conv2D:
        return layers.Conv2D(filters, 3, padding="same", activation="relu")

    model = keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape), name="pixels"),
            scaling if scaling is not None else layers.Rescaling(1 / 255, name="scale_0_1"),
            conv(32),
            layers.MaxPooling2D(),
            conv(64),
            layers.MaxPooling2D(),
            conv(128),
            conv(128),
            layers.MaxPooling2D(),
            conv(256),
            conv(256),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(256, activation="relu", kernel_initializer="he_normal"),
            layers.Dense(
                1, activation="sigmoid", kernel_initializer="he_normal", name="p_dog", dtype="float32"
            ),
        ],
        name="reference_cnn",
    )
    if compile:
        _compile(model, keras.optimizers.RMSprop(learning_rate=learning_rate))
    return model


def augmentation(seed: int | None = 0, name: str = "augmentation"):
    """Random flips, small rotations, zooms, shifts and contrast changes, as Keras layers.

    Placed inside a model they are active only while training (``model.fit``); evaluation and
    prediction see the photos as they are. Being layers, they run where the model runs: on the
    GPU or TPU when there is one. Expects raw pixel values 0..255.
    """
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(0.05, fill_mode="reflect", seed=seed),  # ±18 degrees
            layers.RandomZoom(0.1, fill_mode="reflect", seed=seed),
            layers.RandomTranslation(0.1, 0.1, fill_mode="reflect", seed=seed),
            layers.RandomContrast(0.2, seed=seed),
        ],
        name=name,
    )


def build_improved_cnn(
    input_shape: tuple[int, int, int] = COURSE.shape,
    scaling=None,
    augment: bool = True,
    compile: bool = True,
    learning_rate: float = 1e-3,
    weight_decay: float = 1e-4,
    dropout: float = 0.3,
    seed: int | None = 0,
):
    """A from-scratch CNN that overfits far less than the course's, on the same input.

    The same convolution trunk as :func:`build_reference_cnn` (32, 64, 128+128, 256+256 filters,
    3x3) with **batch normalization** after every convolution (momentum 0.9: its running
    statistics settle within a few epochs even on a small dataset), **augmentation** in front
    (``augment``), and a light head: global average pooling -> dropout -> Dense(1), instead of
    Flatten -> Dense(256) (which alone holds 1.6 of the course's 2.8 million parameters).
    Compiled with AdamW (``learning_rate``, decoupled ``weight_decay``); train it with
    ``reduce_lr_patience`` (see :data:`TRAINING_DEFAULTS`), as ``dogcat train --model improved`` does.
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=tuple(input_shape), name="pixels")
    x = augmentation(seed)(inputs) if augment else inputs
    x = (scaling if scaling is not None else layers.Rescaling(1 / 255, name="scale_0_1"))(x)
    for block, (filters, convs) in enumerate(((32, 1), (64, 1), (128, 2), (256, 2)), start=1):
        for i in range(convs):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{block}_conv{i + 1}")(x)
            x = layers.BatchNormalization(momentum=0.9, name=f"block{block}_bn{i + 1}")(x)
            x = layers.Activation("relu", name=f"block{block}_relu{i + 1}")(x)
        x = layers.MaxPooling2D(name=f"block{block}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="average")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="p_dog", dtype="float32")(x)
    model = keras.Model(inputs, outputs, name="improved_cnn")
    if compile:
        _compile(model, keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay))
    return model


def build_transfer_cnn(
    input_shape: tuple[int, int, int] = COURSE.shape,
    scaling=None,
    weights: str | None = "imagenet",
    image_size: int = 96,
    augment: bool = True,
    compile: bool = True,
    learning_rate: float = 1e-3,
    seed: int | None = 0,
):
    """Transfer learning: a frozen MobileNetV3-Small trained on ImageNet, and a new Dense(1) head.

    Gray inputs are repeated to 3 channels and resized to ``image_size`` (ImageNet features need
    more than 80 pixels to work well). ``scaling`` is not used: the backbone scales its 0..255
    inputs itself, as it was trained. ``weights="imagenet"`` downloads the weights (a few MB) once
    (Colab, your machine); ``weights=None`` starts from random weights (offline, tests). After
    the head has learnt, :func:`fine_tune` unfreezes the backbone's top layers at a low rate.
    """
    del scaling  # the backbone's own preprocessing applies
    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=tuple(input_shape), name="pixels")
    x = augmentation(seed)(inputs) if augment else inputs
    x = layers.Resizing(image_size, image_size, name="resize")(x)
    if input_shape[-1] == 1:
        x = layers.Concatenate(name="gray_to_rgb")([x, x, x])
    try:
        backbone = keras.applications.MobileNetV3Small(
            input_shape=(image_size, image_size, 3), include_top=False, weights=weights,
            pooling="avg", include_preprocessing=True,
        )  # fmt: skip
    except Exception as exc:  # no internet: urllib's errors, wrapped by Keras in its own
        raise DogcatError(
            f"cannot get the ImageNet weights ({type(exc).__name__}: {exc}); connect to the internet "
            "once, or build with weights=None (random start)"
        ) from exc
    backbone.trainable = False
    x = backbone(x, training=False)  # BatchNorm statistics stay ImageNet's, even when fine-tuning
    x = layers.Dropout(0.2, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="p_dog", dtype="float32")(x)
    model = keras.Model(inputs, outputs, name="transfer_mobilenet_v3")
    if compile:
        _compile(model, keras.optimizers.Adam(learning_rate=learning_rate))
    return model


def fine_tune(model, top_layers: int = 30, learning_rate: float = 1e-5):
    """Unfreeze the backbone's last ``top_layers`` layers (BatchNorm stays frozen) and recompile.

    The second phase of transfer learning: after the new head has converged on the frozen
    backbone, a low learning rate adapts the top features to cats and dogs without wrecking them.
    """
    backbones = [
        layer for layer in model.layers if isinstance(layer, keras.Model) and layer.name != "augmentation"
    ]
    if not backbones:
        raise DogcatError(f"{model.name} has no backbone to fine-tune (build it with build_transfer_cnn)")
    backbone = backbones[-1]
    backbone.trainable = True
    for layer in backbone.layers[:-top_layers]:
        layer.trainable = False
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    return _compile(model, keras.optimizers.Adam(learning_rate=learning_rate))


MODEL_BUILDERS: dict[str, Callable] = {
    "reference": build_reference_cnn,
    "improved": build_improved_cnn,
    "transfer": build_transfer_cnn,
}

# How `train` should treat each model unless told otherwise: the course's recipe has a fixed
# learning rate; the improved model halves its rate when validation loss stalls for 3 epochs.
TRAINING_DEFAULTS: dict[str, dict] = {
    "reference": {},
    "improved": {"reduce_lr_patience": 3},
    "transfer": {"reduce_lr_patience": 3},
}


# The smallest photos (pixels a side) each model takes: the CNNs halve them four times (MaxPooling2D),
# and a side of 0 is an error deep inside Keras. The transfer model resizes its input itself.
MIN_SIZE: dict[str, int] = {"reference": 16, "improved": 16, "transfer": 1}


def build_model(name: str, input_shape: tuple[int, int, int] = COURSE.shape, scaling=None, **kwargs):
    """The builder registered under ``name`` (``dogcat train --model NAME``), called with the rest.

    Raises DogcatError for an unknown name, or photos smaller than the model takes (:data:`MIN_SIZE`).
    """
    try:
        builder = MODEL_BUILDERS[name]
    except KeyError:
        raise DogcatError(f"unknown model {name!r}: choose one of {', '.join(MODEL_BUILDERS)}") from None
    smallest = MIN_SIZE.get(name, 1)
    if min(input_shape[:2]) < smallest:
        raise DogcatError(
            f"photos of {ImageSpec.from_shape(input_shape)} are too small for the "
            f"{name} model, which halves them 4 times: preprocess with --size {smallest} or more "
            "(the course uses 80)"
        )
    return builder(input_shape=input_shape, scaling=scaling, **kwargs)
