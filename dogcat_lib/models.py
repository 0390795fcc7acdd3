"""Model builders (notebook 02, "The model"). Each returns a compiled ``keras.Model`` that takes
images of ``input_shape`` (H, W, C) with raw pixel values 0..255 and outputs P(dog).

The first layer scales the pixels: pass ``scaling=fit_scaler(X_train).layer(input_shape)`` for the
course's min-max scaling fitted on the training split, or leave it out for ``x / 255``. Because
the scaling lives inside the model, a saved ``model.keras`` scales new photos exactly as it scaled
its training data, and the input pipeline can keep the pixels uint8 until the last moment.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import DogcatError

REFERENCE_PARAMS = 2_764_417  # trainable parameters of the course's CNN on 80x80x1


def _compile_as_the_course(model, learning_rate: float = 1e-4):
    import keras

    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_reference_cnn(
    input_shape: tuple[int, int, int] = (80, 80, 1),
    scaling=None,
    compile: bool = True,
    learning_rate: float = 1e-4,
    seed: int | None = 0,
):
    """The course's CNN: 2,764,417 trainable parameters on (80, 80, 1).

    Conv 32 -> pool -> Conv 64 -> pool -> Conv 128, 128 -> pool -> Conv 256, 256 -> pool ->
    Flatten -> Dropout 0.5 -> Dense 256 relu -> Dense 1 sigmoid; every conv 3x3, ``same``, relu;
    dense layers ``he_normal``. Compiled as the course does: RMSprop(1e-4), binary cross-entropy,
    accuracy. Built under :func:`~dogcat_lib.training.get_strategy`'s scope (TPU, GPUs or CPU);
    ``seed`` fixes the initial weights (None: not seeded).
    """
    import keras
    from keras import layers

    from .training import get_strategy, set_seed

    if seed is not None:
        set_seed(seed)

    def conv(filters: int) -> layers.Conv2D:
        return layers.Conv2D(filters, 3, padding="same", activation="relu")

    with get_strategy().scope():
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
            _compile_as_the_course(model, learning_rate)
    return model


MODEL_BUILDERS: dict[str, Callable] = {"reference": build_reference_cnn}


def build_model(name: str, input_shape: tuple[int, int, int] = (80, 80, 1), scaling=None, **kwargs):
    """The builder registered under ``name`` (``dogcat train --model NAME``), called with the rest."""
    try:
        builder = MODEL_BUILDERS[name]
    except KeyError:
        raise DogcatError(f"unknown model {name!r}: choose one of {', '.join(MODEL_BUILDERS)}") from None
    return builder(input_shape=input_shape, scaling=scaling, **kwargs)


def trainable_params(model) -> int:
    """The number of trainable parameters (what ``model.summary()`` reports as trainable)."""
    import keras

    return int(sum(keras.ops.size(w) for w in model.trainable_weights))
