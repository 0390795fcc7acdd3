"""Your own photo (notebook 04, section 1): a path, raw bytes or an upload -> the photo as shown.

No TensorFlow here: the model's side (P(dog), the CLI line) is in test_explain.py.
"""

from __future__ import annotations

import datetime
import io
import re

import cv2
import numpy as np
import pytest
from conftest import exif_jpeg, jpeg, pil_bytes, truncated
from PIL import Image, ImageOps

from dogcat_lib import ImageError, ImageSpec, uploaded_photos
from dogcat_lib.data.images import decode_pixels
from dogcat_lib.data.photo import open_photo


def stored_pixels(data: bytes, flag: int) -> np.ndarray:
    """What OpenCV decodes when told to ignore the EXIF orientation."""
    return cv2.imdecode(np.frombuffer(data, np.uint8), flag | cv2.IMREAD_IGNORE_ORIENTATION)


@pytest.mark.parametrize(
    ("data", "name", "shape"),
    [
        (jpeg(0, 1, (150, 100)), "cat.jpg", (100, 150, 3)),
        (pil_bytes(1, 2, "PNG"), "dog.png", None),
        (pil_bytes(0, 3, "JPEG", mode="L"), "gray.jpg", None),
    ],
)
def test_a_photo_from_bytes_or_a_path_is_rgb_as_shown(tmp_path, data, name, shape):
    photo = open_photo(data, name=name)
    assert photo.name == name and photo.data == data
    assert photo.image.dtype == np.uint8 and photo.image.ndim == 3 and photo.image.shape[2] == 3
    expected = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(photo.image, expected)
    if shape is not None:
        assert photo.image.shape == shape
    path = tmp_path / name
    path.write_bytes(data)
    from_path = open_photo(path)
    assert from_path.name == name
    np.testing.assert_array_equal(from_path.image, photo.image)


@pytest.mark.parametrize(
    ("orientation", "rotation"), [(6, cv2.ROTATE_90_CLOCKWISE), (8, cv2.ROTATE_90_COUNTERCLOCKWISE)]
)
def test_exif_orientation_is_respected_by_the_photo_and_the_models_input(orientation, rotation):
    data = exif_jpeg(orientation)
    photo = open_photo(data, name="phone.jpg")
    assert photo.image.shape == (60, 40, 3)  # stored wide, shown tall
    upright = cv2.rotate(stored_pixels(data, cv2.IMREAD_COLOR), rotation)
    np.testing.assert_array_equal(photo.image, cv2.cvtColor(upright, cv2.COLOR_BGR2RGB))
    # the same turn as Pillow's (the EXIF standard's), not only OpenCV agreeing with itself
    with Image.open(io.BytesIO(data)) as im:
        pillow = np.asarray(ImageOps.exif_transpose(im).convert("RGB"), dtype=np.int16)
    assert np.abs(pillow - photo.image).mean() < 3
    # the model's input turns with it, for gray and for RGB models
    gray_upright = cv2.rotate(stored_pixels(data, cv2.IMREAD_GRAYSCALE), rotation)
    np.testing.assert_array_equal(decode_pixels(data, ImageSpec(16)), cv2.resize(gray_upright, (16, 16)))
    rgb = decode_pixels(data, ImageSpec(16, "rgb"))
    np.testing.assert_array_equal(rgb, cv2.resize(cv2.cvtColor(upright, cv2.COLOR_BGR2RGB), (16, 16)))


def test_a_huge_photo_is_shown_at_most_max_side_pixels_wide():
    photo = open_photo(jpeg(1, 4, (900, 300)), max_side=300)
    assert photo.image.shape == (100, 300, 3)
    assert open_photo(jpeg(1, 4, (90, 30)), max_side=300).image.shape == (30, 90, 3)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"name,reason\ncat.1.jpg,wrong label\n", "not an image (a text file)"),
        (b"", "empty file"),
        (truncated(jpeg(0, 5)), "truncated JPEG"),
    ],
)
def test_a_file_that_is_not_a_photo_is_a_clear_error(data, reason):
    with pytest.raises(
        ImageError, match=rf"^notes\.txt is not a photo: {re.escape(reason)}.*: choose a photo"
    ):
        open_photo(data, name="notes.txt")


def test_uploads_from_ipywidgets_8_ipywidgets_7_and_colab():
    cat, dog = jpeg(0, 6), jpeg(1, 7)
    when = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    v8 = (
        {
            "name": "cat.jpg",
            "type": "image/jpeg",
            "size": len(cat),
            "content": memoryview(cat),
            "last_modified": when,
        },
        {
            "name": "dog.jpg",
            "type": "image/jpeg",
            "size": len(dog),
            "content": memoryview(dog),
            "last_modified": when,
        },
    )
    v7 = {
        "cat.jpg": {"metadata": {"name": "cat.jpg", "type": "image/jpeg", "size": len(cat)}, "content": cat},
        "dog.jpg": {"metadata": {"name": "dog.jpg", "type": "image/jpeg", "size": len(dog)}, "content": dog},
    }
    colab = {"cat.jpg": cat, "dog.jpg": dog}  # google.colab.files.upload()
    for value in (v8, v7, colab):
        assert uploaded_photos(value) == [("cat.jpg", cat), ("dog.jpg", dog)]
    photo = open_photo(v8)  # the first file of an upload
    assert photo.name == "cat.jpg" and photo.data == cat
    assert uploaded_photos(b"raw") == [("photo", b"raw")]


def test_the_ipywidgets_fileupload_itself(tmp_path):
    widgets = pytest.importorskip("ipywidgets")
    upload = widgets.FileUpload(accept="image/*")
    with pytest.raises(ImageError, match="no photo uploaded yet"):
        open_photo(upload)
    data = jpeg(1, 8)
    if widgets.__version__.startswith("7"):  # Colab's ipywidgets 7.7: value is read-only, built from
        upload.metadata = [{"name": "my dog.jpg", "type": "image/jpeg", "size": len(data)}]
        upload.data = [data]  # what the browser sends, then the counter that makes value
        upload._counter += 1
    else:
        when = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        upload.value = ({"name": "my dog.jpg", "type": "image/jpeg", "size": len(data),
                         "content": memoryview(data), "last_modified": when},)  # fmt: skip
    photo = open_photo(upload)
    assert photo.name == "my dog.jpg" and photo.data == data and photo.image.shape[2] == 3
