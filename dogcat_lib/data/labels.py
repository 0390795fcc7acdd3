"""Labels from file names: Kaggle's ``cat.123.jpg`` or a parent folder named ``Cat/``/``dogs/``.

Taught in notebook 01, section "Labels come from the names". The rules are strict on purpose:
a name that matches neither layout is *unlabelled* and skipped with that reason, never guessed.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

CAT = 0
DOG = 1
CLASS_NAMES = ("cat", "dog")
CLASS_NAMES_KO = ("고양이", "강아지")  # what the notebooks and the web page show

#: File extensions read as photos (case-insensitive). Decoding goes by content, not by extension.
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jfif", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"})

_KAGGLE_NAME = re.compile(r"^(cat|dog)\.[^/]+\.[a-z]+$", re.IGNORECASE)
_FOLDER_LABELS = {"cat": CAT, "cats": CAT, "dog": DOG, "dogs": DOG}


def label_from_name(name: str) -> int | None:
    """Return 0 (cat), 1 (dog) or None for a relative path such as ``train/cat.1.jpg``.

    ``name`` uses ``/`` as separator (as zip members and :func:`relative_name` do).
    Kaggle names (``cat.123.jpg``, ``DOG.7.JPEG``) and folder layouts (``PetImages/Cat/1.jpg``,
    ``train/dogs/x.png``: the *immediate* parent folder is cat/cats/dog/dogs, any case) are
    understood. When the two disagree (``Cat/dog.1.jpg``) the answer is None.
    """
    label, _ = label_with_reason(name)
    return label


def label_with_reason(name: str) -> tuple[int | None, str]:
    """Like :func:`label_from_name`, also returning why a name is unlabelled ('' when labelled)."""
    path = PurePosixPath(name)
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        return None, f"not an image file name ({path.suffix or 'no extension'})"
    from_name = None
    match = _KAGGLE_NAME.match(path.name)
    if match:
        from_name = CAT if match.group(1).lower() == "cat" else DOG
    from_folder = _FOLDER_LABELS.get(path.parent.name.lower()) if path.parent.name else None
    if from_name is not None and from_folder is not None and from_name != from_folder:
        return None, "unlabelled: name and folder disagree"
    label = from_name if from_name is not None else from_folder
    if label is None:
        return None, "unlabelled: expected cat.N.jpg / dog.N.jpg or a Cat/ or Dog/ folder"
    return label, ""
