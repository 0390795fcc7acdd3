"""Model builders for ``dogcat train``. Each returns a compiled ``keras.Model`` that takes images of
``input_shape`` (H, W, C) with raw pixel values 0..255 and outputs P(dog).

Notebooks 02 and 03 write the same models in their cells (the course's ``Sequential`` and the
improved CNN); tests/test_course_code.py proves them equal. The first layer scales the pixels:
pass ``scaling=fit_scaler(X_train, input_shape)`` for the course's min-max scaling fitted on the
training split, or leave it out for ``x / 255``. Because the scaling lives inside the model, a
saved ``model.keras`` scales new photos exactly as it was trained.
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
    accuracy. ``seed`` fixes the initial weights (None: not seeded).
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
            layers.Dense(1, activation="sigmoid", kernel_initializer="he_normal", name="p_dog"),
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
    outputs = layers.Dense(1, activation="sigmoid", name="p_dog")(x)
    model = keras.Model(inputs, outputs, name="improved_cnn")
    if compile:
        _compile(model, keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay))
    return model


MODEL_BUILDERS: dict[str, Callable] = {
    "reference": build_reference_cnn,
    "improved": build_improved_cnn,
}

# How `train` should treat each model unless told otherwise: the course's recipe has a fixed
# learning rate; the improved model halves its rate when validation loss stalls for 3 epochs.
TRAINING_DEFAULTS: dict[str, dict] = {
    "reference": {},
    "improved": {"reduce_lr_patience": 3},
}


# The smallest photos (pixels a side) each model takes: the CNNs halve them four times (MaxPooling2D),
# and a side of 0 is an error deep inside Keras.
MIN_SIZE: dict[str, int] = {"reference": 16, "improved": 16}


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
