"""Where the CNN looks (``dogcat explain``): Grad-CAM heatmaps of the package's models.

Notebook 04 writes Grad-CAM in about fifteen lines with ``tf.GradientTape`` for the course's
``Sequential`` CNN (as *Deep Learning with Python* does): the layers are called in turn and the
feature maps kept on the way. A test proves its heatmap equals :func:`explain`'s, which walks the
layers the same way for every model the package builds.

Grad-CAM (Selvaraju et al., 2017): take the feature maps ``A`` (h, w, k) of the last
convolutional block and the gradient of the class score with respect to them; each channel's
weight is its mean gradient, and the heatmap is ``relu(sum_k weight_k * A_k)``, scaled to 0..1
and resized to the model's input. With one sigmoid output P(dog) the class score is the logit
``z`` (P(dog) = sigmoid(z)) for dog and ``-z`` for cat: the logit does not saturate, where the
gradient of P itself vanishes when P is 0.9999.
"""

from __future__ import annotations

import os
from itertools import takewhile

import cv2
import keras
import numpy as np
import tensorflow as tf
from keras import layers

from ..data.images import decode_pixels, read_file_bytes
from ..data.imagespec import ImageSpec
from ..data.labels import CAT, DOG
from ..plumbing.errors import DogcatError

# layers that keep a conv layer's shape and usually follow it: the block's output is after them
_FOLLOWERS = (layers.BatchNormalization, layers.Activation, layers.ReLU, layers.LeakyReLU, layers.ELU)


def find_conv_layer(model: keras.Model) -> tuple[layers.Conv2D, keras.layers.Layer]:
    """``(conv, output)``: the last conv layer and the layer whose output Grad-CAM reads, the end of
    its block (the batch norm and activations that follow it, or the conv layer itself). Raises
    DogcatError when the model has no conv layer of its own."""
    found = [one for one in model.layers if isinstance(one, layers.Conv2D)]
    if not found:
        raise DogcatError(
            f"model {model.name!r} has no convolutional layer of its own (nested models are not searched): "
            "Grad-CAM here needs a CNN such as build_reference_cnn or build_improved_cnn"
        )
    after = model.layers[model.layers.index(found[-1]) + 1 :]
    block = [found[-1], *takewhile(lambda one: isinstance(one, _FOLLOWERS), after)]
    return found[-1], block[-1]


def _walk(model: keras.Model, where: keras.layers.Layer, x):
    """``(where's output: the feature maps, the input of the model's Dense head)`` for the batch
    ``x``, as notebook 04 computes them: the layers called in turn (every model here is a chain)."""
    for layer in model.layers[:-1]:
        if not isinstance(layer, layers.InputLayer):
            x = layer(x, training=False)  # a layer joining branches (Add, Concatenate...) raises ValueError
        if layer is where:
            maps = x
    return maps, x


def model_input(model: keras.Model, image) -> np.ndarray:
    """A batch of one for ``model``: (1, H, W, C) float32 from pixels or a photo.

    ``image``: the model's input as uint8 pixels ((H, W), (H, W, C) or a flat CSV row, values
    0..255), or a photo's path or bytes (decoded at the model's size and color).
    """
    spec = ImageSpec.from_model(model)
    if isinstance(image, str | os.PathLike):
        image = read_file_bytes(image)
    if isinstance(image, bytes | bytearray | memoryview):
        image = decode_pixels(bytes(image), spec)
    array = np.asarray(image, dtype=np.float32)
    if array.size != spec.n_pixels:
        raise DogcatError(f"an image of shape {array.shape} does not fit the model's input {spec.describe()}")
    return array.reshape(1, *spec.shape)


def explain(model: keras.Model, image, target: int | None = None) -> np.ndarray:
    """Grad-CAM heatmap: (H, W) float32 in 0..1, H x W the model's input, where the evidence lies.

    ``image``: the model's input pixels or a photo (see :func:`model_input`); the feature maps are
    the last conv block's (:func:`find_conv_layer`). ``target``: the class whose evidence is shown,
    1 dog or 0 cat; default the predicted one (dog when P(dog) > 0.5). 1 marks the strongest
    evidence; all zeros: none found.
    """
    head = model.layers[-1]
    if not isinstance(head, layers.Dense) or head.units != 1:
        raise DogcatError(
            f"model {model.name!r} does not end in Dense(1) giving P(dog): Grad-CAM here needs a model "
            "trained by `dogcat train` (or notebook 02)"
        )
    where = find_conv_layer(model)[1]
    x = tf.convert_to_tensor(model_input(model, image))
    with tf.GradientTape() as tape:
        try:
            maps, features = _walk(model, where, x)
        except ValueError as exc:
            raise DogcatError(
                f"model {model.name!r} joins branches of layers, and Grad-CAM here walks a chain of them: "
                "use a model built by dogcat_lib (or notebook 02)"
            ) from exc
        logit = tf.matmul(features, head.kernel) + head.bias  # P(dog) = sigmoid(logit)
        if target is None:
            target = DOG if float(logit[0, 0]) > 0 else CAT
        score = logit[:, 0] if target == DOG else -logit[:, 0]
    grads = tape.gradient(score, maps)
    weights = tf.reduce_mean(grads, axis=(1, 2))  # (1, k): how much each channel helps the score
    cam = tf.nn.relu(tf.reduce_sum(maps * weights[:, None, None, :], axis=-1))[0].numpy()
    spec = ImageSpec.from_model(model)
    cam = np.maximum(cv2.resize(cam, (spec.size, spec.size), interpolation=cv2.INTER_LINEAR), 0.0)
    top = float(cam.max())
    return (cam / top if top > 0 else np.zeros_like(cam)).astype(np.float32)
