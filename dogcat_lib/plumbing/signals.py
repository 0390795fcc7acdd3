"""SIGTERM and SIGHUP end a command the way Ctrl-C does: temp files removed, nothing half-written.

Python turns only SIGINT into an exception: a killed job (``kill``, a batch system's time limit)
or a closed terminal otherwise ends it at once, and the atomic writers' temp files stay behind.
Only the CLI installs these handlers (:func:`clean_exit_on_signals` in ``dogcat``'s ``main``);
importing the package changes nothing.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM or SIGHUP, so every ``finally`` and ``with`` cleans up.

    A BaseException, like KeyboardInterrupt: ``except Exception`` in library code does not swallow it.
    ``str(err)`` is the signal's name, ``err.signum`` its number.
    """

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise(signum, frame) -> None:
    # The command is ending, in one line: an object left half-built by the interruption (a progress
    # bar whose constructor was cut short) may fail in its __del__, and that is no traceback to show.
    sys.unraisablehook = lambda unraisable: None
    raise Terminated(signum)


@contextmanager
def clean_exit_on_signals() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP (where the OS has it) raise :class:`Terminated`.

    The previous handlers come back on exit. Outside the main thread (where Python cannot
    install handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {signum: signal.signal(signum, _raise) for signum in wanted}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
