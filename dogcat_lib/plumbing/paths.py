"""The one rule every command follows before it writes: an output never overwrites an input.

``dogcat predict model.keras test1.zip -o model.keras`` would otherwise replace the model by
its own predictions. Paths are compared resolved (symlinks followed, ``..`` removed) and, when both
exist, as the same file on disk (a hard link, or another name for the same file on a
case-insensitive disk): ``os.path.samefile`` alone fails on an output that does not exist yet.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

from .errors import DogcatError


def _same(a: Path, b: Path) -> bool:
    with suppress(OSError):  # one of them does not exist (yet)
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def check_not_an_input(
    output: str | os.PathLike,
    inputs: Iterable[str | os.PathLike | None],
    *,
    option: str = "output",
    fix: str = "choose another file name",
) -> None:
    """Raise DogcatError when ``output`` is one of ``inputs`` or inside an input folder that is read.

    ``inputs``: every file or folder the command reads (``None`` entries are ignored).
    ``option``: how the user named the output (``-o``, say), and ``fix`` what to do, for
    the message. A folder input counts as a whole: an output inside it would be read back (or
    scanned) next time.
    """
    out = Path(output)
    for source in (Path(item) for item in inputs if item is not None):
        if _same(out, source):
            raise DogcatError(f"{option} {out} is the input {source}: it would be overwritten; {fix}")
        if source.is_dir() and out.resolve().is_relative_to(source.resolve()):
            raise DogcatError(
                f"{option} {out} is inside the input folder {source}: write it elsewhere "
                "(it would be read as input next time)"
            )
