"""Step two, the CSV -> a trained CNN, with Keras on TensorFlow (``pip install "dogcat[train]"``).

runtime -> scaling -> pipeline -> models -> training -> evaluation -> predict / explain.
"""

from __future__ import annotations

import os
import warnings
from importlib.util import find_spec

from ..plumbing.errors import MissingDependency
from ..plumbing.quiet import native_stderr_silenced

for _package in ("tensorflow", "keras", "sklearn"):
    if find_spec(_package) is None:  # checked before anything below imports it
        raise MissingDependency(
            f"training needs TensorFlow, Keras and scikit-learn ({_package} is not installed): "
            'pip install "dogcat[train]"'
        )

# TensorFlow's import and its first look at the devices print C++ notices that its log level no
# longer silences; they are dropped here, unless the user asked for them (TF_CPP_MIN_LOG_LEVEL < 3).
with native_stderr_silenced(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3") >= "3"):
    import tensorflow as _tf

    _tf.config.list_logical_devices()

# make_dataset's pipelines shuffle themselves (seeded, every epoch); model.fit's default shuffle=True
# would warn at every fit that it ignores them, which is the point.
warnings.filterwarnings("ignore", "`shuffle=True` was passed, but will be ignored", UserWarning)
