"""Silence what native libraries print straight to the process's stderr (TensorFlow's C++ logs)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def native_stderr_silenced(enabled: bool = True) -> Iterator[None]:
    """Send what is written to file descriptor 2 inside the block to the null device.

    TensorFlow 2.19+ logs oneDNN, CUDA and absl notices from C++ while it is imported and while it
    first probes the devices, whatever ``TF_CPP_MIN_LOG_LEVEL`` says (tensorflow/tensorflow#100442):
    this keeps them out of the CLI's one-line errors and the notebooks. Python's own ``sys.stderr``
    (messages, warnings, progress bars, tracebacks) keeps writing where it did. Does nothing where
    stderr has no descriptor.
    """
    if not enabled:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr (pythonw, some IDEs)
        yield
        return
    python_stderr = sys.stderr
    redirected = python_stderr is sys.__stderr__  # a real terminal or file, not Jupyter's stream
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        if redirected:
            sys.stderr = open(saved, "w", closefd=False, encoding=python_stderr.encoding,  # noqa: SIM115
                              errors=python_stderr.errors, buffering=1)  # fmt: skip
        yield
    finally:
        if redirected:
            inside = sys.stderr
            inside.flush()
            sys.stderr = python_stderr
            # a logger made inside (TensorFlow's, at import) holds the block's stream: give it the real one
            for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
                for handler in getattr(logger, "handlers", ()):
                    if isinstance(handler, logging.StreamHandler) and handler.stream is inside:
                        handler.setStream(python_stderr)
        os.dup2(saved, 2)
        os.close(saved)
