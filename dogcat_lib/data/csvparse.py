"""Parse whole lines of the course's CSV (integers 0..255 separated by commas) into uint8, fast.

Every field of the course's CSV is 1-3 decimal digits, so a block of lines is parsed with a few
vectorised NumPy passes: find the separators (every byte below ``'0'``), check that every other
byte is a digit and every field has 1-3 of them, then combine each field's last three bytes by
position. NumPy releases the GIL for these passes, so :func:`dogcat_lib.data.csvio.read_csv`
parses blocks on all cores. A block that fails any check (Windows line ends, blank lines, or a
real error) takes the slow, exact path: :func:`normalise` and, if that does not help,
:func:`explain` names the first bad row and column.
"""

from __future__ import annotations

import re

import numpy as np

_COMMA, _NEWLINE, _CR, _ZERO = 44, 10, 13, 48


def parse_block(block: bytes, n_columns: int) -> np.ndarray | None:
    """``(rows, n_columns)`` uint8 of a block of whole ``\\n``-terminated lines, or None if any
    line is not ``n_columns`` integers 0..255 (then :func:`explain` says which and why)."""
    a = np.frombuffer(block, dtype=np.uint8)
    if not len(a) or a.max() > _ZERO + 9:  # a byte above '9': a letter, say
        return None
    seps = np.flatnonzero(a < _ZERO)  # commas and newlines, and any other byte below '0'
    kinds = a.take(seps)
    is_newline = kinds == _NEWLINE
    n_rows = int(np.count_nonzero(is_newline))
    if (
        n_rows == 0
        or len(seps) != n_rows * n_columns
        or n_rows + np.count_nonzero(kinds == _COMMA) != len(seps)  # '-', '.', ' ', '\r'...
        or not is_newline.reshape(n_rows, n_columns)[:, -1].all()  # every line has n_columns fields
    ):
        return None
    widths = np.diff(seps, prepend=-1)  # a field's digits + its separator
    if widths.min() < 2 or widths.max() > 4:  # an empty field, or 4+ digits
        return None
    # a field's last digit sits just before its separator, the tens before that (or a separator,
    # which counts 0), the hundreds before that (the previous field's digit unless width is 4)
    at = seps - 1
    values = (a.take(at) - np.uint8(_ZERO)).astype(np.uint16)
    at -= 1
    tens = a.take(at, mode="wrap")  # before the first field: the block's last byte, a newline
    values += ((tens - np.uint8(_ZERO)) * (tens >= _ZERO)).astype(np.uint16) * np.uint16(10)
    at -= 1
    hundreds = (a.take(at, mode="wrap") - np.uint8(_ZERO)) * (widths == 4)
    values += hundreds.astype(np.uint16) * np.uint16(100)
    if values.max() > 255:
        return None
    return values.astype(np.uint8).reshape(n_rows, n_columns)


def normalise(block: bytes) -> bytes:
    """The block with Windows line ends made ``\\n`` and blank lines dropped (as pandas does)."""
    block = block.replace(b"\r\n", b"\n")
    if block.startswith(b"\n") or b"\n\n" in block:
        block = re.sub(rb"\n\n+", b"\n", block).lstrip(b"\n")
    return block


def explain(block: bytes, columns: list[str], label_at: int, first_row: int) -> str:
    """What is wrong with a block :func:`parse_block` refused, naming the data row and column.

    The first problem in file order: a line with the wrong number of fields, a field that is
    not an integer of 1-3 digits, a value above 255, or a label other than 0/1. ``first_row``
    is the 1-based data row of the block's first line (line ``first_row + 1`` of the file).
    """
    n_columns = len(columns)
    for offset, line in enumerate(block.split(b"\n")[:-1]):
        row = first_row + offset
        where = f"data row {row:,} (line {row + 1:,})"
        fields = line.rstrip(b"\r").split(b",")
        if fields == [b""]:
            continue  # a blank line: skipped, as pandas does
        if len(fields) != n_columns:
            return f"{where} has {len(fields):,} fields, expected {n_columns:,} (the header's)"
        for field, name in zip(fields, columns, strict=True):
            if not (1 <= len(field) <= 3 and field.isdigit()):
                text = field.decode("utf-8", errors="replace")
                return f"{where}, column {name!r}: {text!r} is not an integer 0..255"
            if int(field) > 255:
                return f"data row {row:,}, column {name!r}: {int(field)} is outside 0..255"
        if int(fields[label_at]) > 1:
            return f"data row {row:,}: label {int(fields[label_at])} is not 0 (cat) or 1 (dog)"
    return f"data rows {first_row:,} and on could not be parsed"  # not reached: parse_block refused it
