"""The exclusions file (notebook 04, section 4): photos marked as mislabelled or odd, left out next time.

A small CSV, ``name,reason``, one photo a line: ``name`` as :func:`~dogcat_lib.build_dataset`
reports it (relative to the source: ``train/cat.1.jpg`` inside Kaggle's zip) and ``reason`` what
the student saw (``wrong label``, ``not a cat or dog``, or any text). The cleaner widget writes it;
``build_dataset(..., exclude=FILE)``, ``preprocess_to_csv(..., exclude=FILE)`` and ``dogcat
preprocess --exclude FILE`` skip exactly those names, each reported as ``excluded by FILE``.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..plumbing.atomic import atomic_write_bytes
from ..plumbing.errors import DatasetError
from .images import open_regular

#: The reasons the cleaner's buttons write.
EXCLUSION_REASONS = ("wrong label", "not a cat or dog")
_HEADER = ["name", "reason"]
_MAX_LINE, _MAX_LINES = 4096, 1_000_000  # a photo's name and a reason; 40x Kaggle's 25,000 photos


@dataclass(frozen=True)
class Exclusions:
    """The marks of one exclusions file: ``marks`` maps a photo's name to its reason, sorted by name."""

    marks: dict[str, str]
    origin: str  # the file, as given: it names the skip reason

    @property
    def skip_reason(self) -> str:
        """``excluded by FILE``: the same for every photo, so the skip report counts them as one group."""
        return f"excluded by {self.origin}"

    def __contains__(self, name: str) -> bool:
        return name in self.marks

    def __len__(self) -> int:
        return len(self.marks)


def write_exclusions(marks: Mapping[str, str], path: str | os.PathLike) -> Path:
    """Write ``marks`` (name -> reason) as ``name,reason`` lines sorted by name, UTF-8, atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_HEADER)
    for name in sorted(marks):
        writer.writerow([name, marks[name]])
    return atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))


def read_exclusions(path: str | os.PathLike) -> Exclusions:
    """Read an exclusions file; :class:`DatasetError` (one line, naming the file) if it is not one.

    Read line by line, each at most ``_MAX_LINE`` characters and ``_MAX_LINES`` lines in all: a
    huge file, or one without line ends, is refused after a few KB, never read whole."""
    where = f"exclusions file {os.fspath(path)}"
    try:
        file = open_regular(Path(path).expanduser())  # a FIFO would block forever: not waited on
        if file is None:
            raise DatasetError(
                f"{where} is not a regular file (a folder, a device or a pipe?): give the name,reason file"
            )
        marks: dict[str, str] = {}
        with io.TextIOWrapper(file, encoding="utf-8-sig", newline="") as text:
            rows = csv.reader(_lines(text, where))
            if [cell.strip() for cell in next(rows, [])[:2]] != _HEADER:
                raise DatasetError(f"{where} must start with the header 'name,reason'")
            for line, row in enumerate(rows, start=2):
                if row and not row[0]:
                    raise DatasetError(f"{where}: line {line} has no name")
                if row and (len(row) < 2 or not row[1].strip()):
                    raise DatasetError(f"{where}: line {line} has no reason (e.g. wrong label)")
                if row:
                    marks[row[0]] = row[1].strip()
    except FileNotFoundError:
        raise DatasetError(
            f"{where} does not exist: mark photos with the cleaner (notebook 04) or write name,reason lines"
        ) from None
    except UnicodeDecodeError:
        raise DatasetError(f"{where} is not UTF-8 text (name,reason lines)") from None
    except csv.Error as exc:  # a quoted field that runs on past the csv module's field limit
        raise DatasetError(f"{where} is not name,reason lines ({exc})") from None
    return Exclusions(dict(sorted(marks.items())), os.fspath(path))


def _lines(text, where: str):
    """The lines of ``text``, each read with a cap (DatasetError past it)."""
    for number, line in enumerate(iter(lambda: text.readline(_MAX_LINE + 1), ""), start=1):
        if len(line) > _MAX_LINE or number > _MAX_LINES:
            too = f"over {_MAX_LINE:,} characters" if len(line) > _MAX_LINE else f"past {_MAX_LINES:,} lines"
            raise DatasetError(f"{where}: line {number:,} is {too}: is it name,reason lines?")
        yield line


def as_exclusions(exclude: str | os.PathLike | Exclusions | None) -> Exclusions | None:
    """An :class:`Exclusions` from a file path (read) or as it is; None stays None."""
    if exclude is None or isinstance(exclude, Exclusions):
        return exclude
    return read_exclusions(exclude)


def unmatched_error(exclusions: Exclusions, names: list[str], where: str) -> DatasetError:
    """The error for an exclusions file none of whose names is in the source (another layout?)."""
    example = next(iter(exclusions.marks))
    base = PurePosixPath(example).name
    similar = next((n for n in names if PurePosixPath(n).name == base), names[0] if names else None)
    hint = f" (e.g. {example!r}; the source has {similar!r})" if similar else ""
    return DatasetError(
        f"none of the {len(exclusions)} names in {exclusions.origin} is in {where}{hint}: "
        "mark the photos of the same folder or zip you preprocess"
    )
