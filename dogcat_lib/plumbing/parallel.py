"""Ordered, bounded parallel map on threads: the one pattern the decoder, CSV writer and reader share.

``ThreadPoolExecutor.map`` submits every item at once (its ``buffersize`` comes in Python 3.14).

Threads, not processes: OpenCV, NumPy and zlib release the GIL for the heavy work, so threads
use every core with nothing to pickle and no ``if __name__ == "__main__"`` guard needed on
Windows or in Jupyter (where spawned processes cannot see a notebook's functions).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(
    fn: Callable[[T], R], items: Iterable[T], workers: int, ahead: int | None = None
) -> Iterator[R]:
    """Yield ``fn(item)`` for each item, in order, computed on ``workers`` threads.

    At most ``ahead`` (default ``2 * workers``) items are in flight, so a long or lazy
    ``items`` never piles up results in memory. Closing the iterator early cancels what has not
    started; an exception in ``fn`` is raised here, in order.
    """
    ahead = max(1, ahead if ahead is not None else 2 * workers)
    pending: deque = deque()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
