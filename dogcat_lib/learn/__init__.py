"""Step two, the CSV -> a trained CNN, with Keras on TensorFlow (``pip install "dogcat[train]"``).

runtime -> scaling -> pipeline -> models -> training -> evaluation -> predict / explain.
"""

from __future__ import annotations

from importlib.util import find_spec

from ..plumbing.errors import MissingDependency

for _package in ("tensorflow", "keras", "sklearn"):
    if find_spec(_package) is None:  # checked before anything below imports it
        raise MissingDependency(
            f"training needs TensorFlow, Keras and scikit-learn ({_package} is not installed): "
            'pip install "dogcat[train]"'
        )
