"""Where the CNN looks (``dogcat explain``, ``dogcat app``): Grad-CAM heatmaps of the package's models.

Notebook 04 writes Grad-CAM in about fifteen lines with ``tf.GradientTape`` for the course's
``Sequential`` CNN (as *Deep Learning with Python* does); a test proves its heatmap equals
:func:`explain`'s. This module is that same computation for every shape of model.

Grad-CAM (Selvaraju et al., 2017): take the feature maps ``A`` (h, w, k) of the last
convolutional block and the gradient of the class score with respect to them; each channel's
weight is its mean gradient, and the heatmap is ``relu(sum_k weight_k * A_k)``, scaled to 0..1
and resized to the model's input. With one sigmoid output P(dog) the class score is the logit
``z`` (P(dog) = sigmoid(z)) for dog and ``-z`` for cat: the logit does not saturate, where the
gradient of P itself vanishes when P is 0.9999.

Every model the package builds is handled (no library does this for a nested backbone): the
course's ``Sequential`` CNN, the improved
functional CNN (its augmentation layers are inactive here, as in ``predict``), and the transfer
model, whose MobileNetV3 backbone is a model nested inside the model: its last conv layer is
reached by running the layers before the backbone, a sub-model of the backbone up to that
layer, and the layers after it, all under one ``tf.GradientTape``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import keras
import numpy as np
import tensorflow as tf
from keras import layers

from ..data.images import decode_pixels, read_file_bytes
from ..data.imagespec import ImageSpec
from ..data.labels import CAT, DOG
from ..plumbing.errors import DogcatError

_CONV_TYPES = (layers.Conv2D, layers.DepthwiseConv2D, layers.SeparableConv2D)
# layers that keep a conv layer's shape and usually follow it: the block's output is after them
_FOLLOWERS = (layers.BatchNormalization, layers.Activation, layers.ReLU, layers.LeakyReLU, layers.ELU)


@dataclass(frozen=True)
class ConvLayer:
    """A convolutional layer found in a model: ``container`` is None at the top level, or the nested
    model (e.g. the MobileNetV3 backbone) that holds it. ``output`` is the layer whose output is
    used: the conv layer itself, or the batch norm / activation right after it."""

    layer: keras.layers.Layer
    container: keras.Model | None
    output: keras.layers.Layer

    @property
    def name(self) -> str:
        """``conv2d_3``, or ``MobileNetV3Small/conv_1`` inside a nested model."""
        return self.layer.name if self.container is None else f"{self.container.name}/{self.layer.name}"


def _is_conv(layer) -> bool:
    return isinstance(layer, _CONV_TYPES) and not isinstance(layer, layers.Conv2DTranspose)


def _block_output(container, layer):
    """``layer`` or the chain of batch norm / activation layers that directly consume its output."""
    siblings = container.layers
    current = layer
    for follower in siblings[siblings.index(layer) + 1 :]:
        if not isinstance(follower, _FOLLOWERS):
            break
        try:
            if follower.input is not current.output:
                break
        except (AttributeError, ValueError):  # a layer used twice has no single input
            break
        current = follower
    return current


def _has_feature_map(layer) -> bool:
    """True when ``layer`` outputs (batch, h, w, channels)."""
    try:
        return len(layer.output.shape) == 4
    except (AttributeError, ValueError):  # never called, or called with several outputs
        return False


def conv_layers(model: keras.Model) -> list[ConvLayer]:
    """Every 2-D convolutional layer of ``model`` in order, looking one level into nested models."""
    found = []
    for layer in model.layers:
        if _is_conv(layer):
            found.append(ConvLayer(layer, None, _block_output(model, layer)))
        elif isinstance(layer, keras.Model):
            found.extend(ConvLayer(inner, layer, _block_output(layer, inner)) for inner in layer.layers
                         if _is_conv(inner))  # fmt: skip
    return found


def find_conv_layer(model: keras.Model, layer: str | None = None) -> ConvLayer:
    """The layer Grad-CAM reads: the last conv layer (the output of its block), or the one named ``layer``.

    ``layer`` may be any layer's name (its own output is then used), ``backbone/name`` for a
    layer inside a nested model, or the bare name of such a layer. Raises DogcatError when the
    model has no conv layer or no layer of that name (the message lists the conv layers).
    """
    found = conv_layers(model)
    if not found:
        raise DogcatError(
            f"model {model.name!r} has no convolutional layer: Grad-CAM and feature maps need a CNN "
            "(build_reference_cnn, build_improved_cnn or build_transfer_cnn)"
        )
    if layer is None:
        return found[-1]
    for container in [None, *(sub for sub in model.layers if isinstance(sub, keras.Model))]:
        owner = model if container is None else container
        for candidate in owner.layers:
            full = candidate.name if container is None else f"{container.name}/{candidate.name}"
            if layer in (full, candidate.name) and _has_feature_map(candidate):
                return ConvLayer(candidate, container, candidate)
    names = ", ".join(c.name for c in found[-6:])
    raise DogcatError(
        f"model {model.name!r} has no layer {layer!r} with a feature map; its last conv layers: {names}"
    )


def _head(model: keras.Model) -> keras.layers.Dense:
    head = model.layers[-1]
    if not isinstance(head, layers.Dense) or head.units != 1:
        raise DogcatError(
            f"model {model.name!r} does not end in Dense(1) giving P(dog): Grad-CAM here needs a model "
            "trained by `dogcat train` (or notebook 02)"
        )
    return head


def _identity_or_model(inputs, outputs) -> Callable:
    if outputs is inputs:
        return lambda x, training=False: x
    return keras.Model(inputs, outputs)


def _nested(container: keras.Model, targets: list[keras.layers.Layer]) -> keras.Model:
    """A sub-model of a nested model: its input -> (the targets' outputs..., its own output)."""
    return keras.Model(container.inputs, [t.output for t in targets] + [container.outputs[0]])


def _tap_sequential(model, targets, container, head) -> Callable:
    """:func:`_tap` for a ``Sequential``: its layers replayed on a fresh input.

    A loaded ``Sequential`` has rebuilt its graph once per layer, so ``layer.output`` may belong
    to an older graph that never reaches the output; replaying gives one graph, tapped as it goes.
    """
    x = inputs = keras.Input(shape=tuple(model.input_shape[1:]))
    maps, features = [], None
    for layer in model.layers:
        if layer is head:
            features = x
        if layer is container:
            *found, x = _nested(container, targets)(x)
            maps.extend(found)
            continue
        x = layer(x)
        if any(layer is t for t in targets):
            maps.append(x)
    sub = keras.Model(inputs, [*maps, features])

    def forward(batch):
        *taps, head_input = sub(batch, training=False)
        return taps, head_input

    return forward


def _tap(model: keras.Model, targets: list[keras.layers.Layer], container: keras.Model | None) -> Callable:
    """``f(x) -> ([outputs of targets...], input of the model's last layer)`` for a batch x.

    ``targets`` live in ``model`` itself (container None) or all in one nested ``container``.
    """
    head = _head(model)
    if isinstance(model, keras.Sequential):
        return _tap_sequential(model, targets, container, head)
    if container is None:
        sub = keras.Model(model.inputs, [t.output for t in targets] + [head.input])

        def forward(x):
            *maps, features = sub(x, training=False)
            return maps, features

        return forward
    nodes = container._inbound_nodes  # Keras 3: where the nested model is called in the outer graph
    if len(nodes) != 1 or len(nodes[0].input_tensors) != 1:
        raise DogcatError(
            f"cannot trace into {container.name!r}: it is used more than once, or with several inputs"
        )
    before = _identity_or_model(model.inputs[0], nodes[0].input_tensors[0])
    inner = _nested(container, targets)
    after = _identity_or_model(nodes[0].output_tensors[0], head.input)

    def forward_nested(x):
        *maps, backbone_out = inner(before(x, training=False), training=False)
        return maps, after(backbone_out, training=False)

    return forward_nested


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


def explain(model: keras.Model, image, layer: str | None = None, target: int | None = None) -> np.ndarray:
    """Grad-CAM heatmap: (H, W) float32 in 0..1, H x W the model's input, where the evidence lies.

    ``image``: the model's input pixels or a photo (see :func:`model_input`). ``layer``: the
    feature maps to read (default: the last conv block, see :func:`find_conv_layer`).
    ``target``: the class whose evidence is shown, 1 dog or 0 cat; default the predicted one
    (dog when P(dog) > 0.5). 1 marks the strongest evidence; all zeros: none found.
    """
    where = find_conv_layer(model, layer)
    forward = _tap(model, [where.output], where.container)
    head = _head(model)
    kernel, bias = (tf.convert_to_tensor(w, tf.float32) for w in head.get_weights()[:2])
    x = tf.convert_to_tensor(model_input(model, image))
    with tf.GradientTape() as tape:
        (maps,), features = forward(x)
        maps = tf.cast(maps, tf.float32)
        logit = tf.matmul(tf.cast(features, tf.float32), kernel) + bias  # P(dog) = sigmoid(logit)
        if target is None:
            target = DOG if float(logit[0, 0]) > 0 else CAT
        score = logit[:, 0] if target == DOG else -logit[:, 0]
    grads = tape.gradient(score, maps)
    if grads is None:
        raise DogcatError(f"layer {where.name!r} does not lead to the model's output: choose another layer")
    weights = tf.reduce_mean(grads, axis=(1, 2))  # (1, k): how much each channel helps the score
    cam = tf.nn.relu(tf.reduce_sum(maps * weights[:, None, None, :], axis=-1))[0].numpy()
    spec = ImageSpec.from_model(model)
    cam = cv2.resize(cam, (spec.size, spec.size), interpolation=cv2.INTER_LINEAR)
    cam = np.maximum(cam, 0.0)
    top = float(cam.max())
    return (cam / top if top > 0 else np.zeros_like(cam)).astype(np.float32)
