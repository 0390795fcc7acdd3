"""Find the mislabelled photos (notebook 04, section 4): the cleaner, driven headlessly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dogcat_lib import PhotoCleaner, build_dataset, read_exclusions, write_exclusions


@pytest.fixture()
def suspects(photo_folder):
    """The labelled photos of photo_folder with made-up P(dog), ranked by loss as notebook 04 does."""
    X, y, names, _ = build_dataset(photo_folder, size=16, progress=False)
    proba = np.linspace(0.05, 0.95, len(y))
    loss = -np.log(np.where(y == 1, proba, 1 - proba))
    frame = pd.DataFrame({"name": names, "label": y, "dog_probability": proba, "loss": loss})
    return frame.sort_values("loss", ascending=False), X


def test_the_cleaner_marks_pages_and_saves_atomically(suspects, photo_folder, tmp_path):
    pytest.importorskip("ipywidgets")
    frame, _ = suspects
    path = tmp_path / "exclusions.csv"
    cleaner = PhotoCleaner(frame, source=photo_folder, exclusions=path, n=5)
    assert cleaner.index == 0 and len(cleaner) == 5
    first, second, third = frame["name"].iloc[:3]
    assert first in cleaner.caption.value and cleaner.image.value[:8] == b"\x89PNG\r\n\x1a\n"

    cleaner.mark_wrong_label()  # marks the photo shown, saves, shows the next one
    assert cleaner.index == 1 and read_exclusions(path).marks == {first: "wrong label"}
    cleaner.buttons["not a cat or dog"].click()  # the button calls the same method
    assert read_exclusions(path).marks == {first: "wrong label", second: "not a cat or dog"}
    assert cleaner.index == 2 and third in cleaner.caption.value
    cleaner.previous()
    cleaner.previous()
    assert cleaner.index == 0 and "표시: 레이블이 틀림" in cleaner.caption.value  # the button's words
    cleaner.keep()  # un-marks it
    assert read_exclusions(path).marks == {second: "not a cat or dog"}
    cleaner.buttons["previous"].click()
    cleaner.buttons["previous"].click()
    assert cleaner.index == 0  # stays at the first photo
    for _ in range(10):
        cleaner.next()
    assert cleaner.index == 4  # and at the last
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exclusions.csv"]  # no temp files left


def test_the_cleaner_keeps_earlier_marks_and_shows_rows_without_a_source(suspects, tmp_path):
    pytest.importorskip("ipywidgets")
    frame, X = suspects
    path = write_exclusions({"elsewhere/cat.9.jpg": "wrong label"}, tmp_path / "exclusions.csv")
    cleaner = PhotoCleaner(frame, X=X, exclusions=path)
    assert cleaner.image.value[:8] == b"\x89PNG\r\n\x1a\n"  # the 16x16 row, enlarged
    cleaner.show(3)
    cleaner.mark("blurry")
    assert read_exclusions(path).marks == {
        "elsewhere/cat.9.jpg": "wrong label",
        frame["name"].iloc[3]: "blurry",
    }
    again = PhotoCleaner(frame, X=X, exclusions=path)
    again.show(3)
    assert "표시: blurry" in again.caption.value


def test_the_cleaner_needs_photos_to_show(suspects, tmp_path):
    pytest.importorskip("ipywidgets")
    frame, _ = suspects
    with pytest.raises(ValueError, match="source= .* or X="):
        PhotoCleaner(frame, exclusions=tmp_path / "e.csv")
    with pytest.raises(ValueError, match="no photos to clean"):
        PhotoCleaner(
            pd.DataFrame(columns=frame.columns), X=np.zeros((0, 256), np.uint8), exclusions=tmp_path / "e.csv"
        )
