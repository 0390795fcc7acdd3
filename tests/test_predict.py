"""Prediction uses the model's own preprocessing; Kaggle's submission file is exact."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tensorflow")

from dogcat_lib import DatasetError, ImageError, load_pixels, predict, predict_photo, write_submission
from dogcat_lib.learn.evaluation import predict_proba


@pytest.fixture(scope="module")
def model(trained_run):
    return trained_run.model


def test_predict_a_folder_with_the_models_size_and_color(model, sample_folder, bad_photos, tmp_path):
    folder = tmp_path / "test1"
    folder.mkdir()
    for photo in sorted((sample_folder / "test1").iterdir()):
        (folder / photo.name).write_bytes(photo.read_bytes())
    for name, (data, _) in bad_photos.items():
        (folder / name).write_bytes(data)
    (folder / "readme.txt").write_text("not a photo")

    frame = predict(model, folder, progress=False)
    assert frame["name"].tolist() == [f"{i}.jpg" for i in (1, 2, 3, 4, 5, 6)]
    assert list(frame.columns) == ["name", "dog_probability", "label", "class"]
    # the same numbers as decoding at the model's 32x32 gray by hand
    X = np.stack([load_pixels(folder / name, 32, "gray").reshape(-1) for name in frame["name"]])
    np.testing.assert_allclose(frame["dog_probability"], predict_proba(model, X), rtol=1e-6)
    assert ((frame["dog_probability"] > 0.5) == (frame["label"] == 1)).all()
    assert set(frame["class"]) <= {"cat", "dog"}
    skipped = frame.attrs["skipped"]
    assert len(skipped.items) == len(bad_photos) + 1  # each broken photo and the text file, with reasons


def test_predict_a_zip_and_a_single_photo_from_a_saved_model(trained_run, sample_folder, tmp_path):
    archive = tmp_path / "test1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for photo in sorted((sample_folder / "test1").iterdir()):
            zf.write(photo, f"test1/{photo.name}")
    model_path = trained_run.out_dir / "model.keras"
    from_zip = predict(model_path, archive, progress=False)
    assert from_zip["name"].tolist() == [f"test1/{i}.jpg" for i in (1, 2, 3, 4, 5, 6)]
    single = predict_photo(model_path, sample_folder / "test1" / "3.jpg")
    assert single.name == "3.jpg"
    assert single.dog_probability == pytest.approx(from_zip["dog_probability"].iloc[2], rel=1e-6)


def test_a_broken_single_photo_or_an_empty_folder_is_a_clear_error(model, bad_photos, tmp_path):
    broken = tmp_path / "dog.10.jpg"
    broken.write_bytes(bad_photos["dog.10.jpg"][0])
    with pytest.raises(ImageError, match="dog.10.jpg"):
        predict_photo(model, broken)
    with pytest.raises(DatasetError, match="neither a folder nor a zip"):
        predict(model, broken, progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError):
        predict(model, empty, progress=False)


def test_submission_is_sorted_by_numeric_id_labels_for_2013_probabilities_for_redux(tmp_path):
    frame = pd.DataFrame(
        {"name": ["test1/10.jpg", "test1/2.jpg", "test1/1.jpg"], "dog_probability": [0.9, 0.25, 1 / 3]}
    )
    path = write_submission(frame, tmp_path / "submission.csv")  # the 2013 competition: accuracy, 1/0
    assert path.read_text() == "id,label\n1,0\n2,0\n10,1\n"
    redux = write_submission(frame, tmp_path / "redux.csv", probabilities=True)  # 2016 Redux: log loss
    assert redux.read_text() == "id,label\n1,0.333333\n2,0.250000\n10,0.900000\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["redux.csv", "submission.csv"]


def test_submission_needs_kaggle_ids(tmp_path):
    with pytest.raises(DatasetError, match="no numeric id"):
        write_submission(pd.DataFrame({"name": ["cat.1.jpg"], "dog_probability": [0.1]}), tmp_path / "s.csv")
    with pytest.raises(DatasetError, match="share an id"):
        write_submission(
            pd.DataFrame({"name": ["a/1.jpg", "b/1.jpg"], "dog_probability": [0.1, 0.2]}), tmp_path / "s.csv"
        )
    assert not list(tmp_path.iterdir())
