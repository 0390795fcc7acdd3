"""A ``.keras`` model read back by Keras, with what Keras does not do: a one-line error for a file that
is not a model, and a file that claims gigabytes refused unread."""

from __future__ import annotations

import os
import warnings
import zipfile
from pathlib import Path

import h5py
import keras

from ..plumbing.errors import DogcatError

#: The most a model file may claim (the course's models hold 3-12 MB): more is refused unread.
MAX_MODEL_BYTES = 512 << 20


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a ``.keras`` model, or raise DogcatError saying why it is not one."""
    path = Path(path)
    if not path.is_file():
        if path.exists():
            raise DogcatError(
                f"model {path} is not a regular file: give the model.keras that `dogcat train` wrote"
            )
        raise DogcatError(f"model {path} does not exist: train one with `dogcat train CSV -o runs/NAME`")
    if not zipfile.is_zipfile(path):
        raise DogcatError(f"{path} is not a Keras model (.keras) file")
    try:
        claimed = _claimed_bytes(path)
        if claimed <= MAX_MODEL_BYTES:
            with warnings.catch_warnings():
                # A model saved before any training has no optimizer variables to restore into the
                # optimizer Keras rebuilds: harmless for evaluating, predicting or training on.
                warnings.filterwarnings("ignore", "Skipping variable loading for optimizer", UserWarning)
                return keras.saving.load_model(path)
    except Exception as exc:  # Keras raises ValueError, KeyError, OSError... for a foreign zip
        raise DogcatError(f"{path} is not a loadable Keras model: {_first_words(exc)}") from exc
    raise DogcatError(
        f"{path} claims {claimed >> 20:,} MB of weights, over the {MAX_MODEL_BYTES >> 20} MB a model of "
        "this course can have: it was not written by `dogcat train`, and is not loaded"
    )


def _claimed_bytes(path: Path) -> int:
    """What the zip's members and the weights' arrays claim to be, from the zip's directory and the
    HDF5 headers only: nothing is inflated or allocated for it."""
    with zipfile.ZipFile(path) as zf:
        claimed, arrays = sum(info.file_size for info in zf.infolist()), []
        if claimed <= MAX_MODEL_BYTES and "model.weights.h5" in zf.namelist():
            with zf.open("model.weights.h5") as member, h5py.File(member, "r") as h5:
                h5.visititems(
                    lambda _, item: arrays.append(item.nbytes) if isinstance(item, h5py.Dataset) else None
                )
    return max(claimed, sum(arrays))


def _first_words(exc: BaseException, limit: int = 240) -> str:
    """``Type: message`` on one line, cut at ``limit`` characters (Keras' messages embed whole configs)."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
