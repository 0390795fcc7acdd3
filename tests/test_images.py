import cv2
import numpy as np
import pytest
from conftest import jpeg, pil_bytes
from PIL import Image

from dogcat_lib import ImageError, load_pixels
from dogcat_lib.data.images import decode_pixels, is_truncated_jpeg


def course_pixels(path, size=80):
    """The course's own line of code."""
    return cv2.resize(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), (size, size))


@pytest.mark.parametrize(
    "name", ["cat.0.jpg", "cat.1.png", "dog.1.bmp", "cat.2.webp", "dog.2.jpg", "cat.3.jpeg"]
)
def test_default_pixels_equal_the_course_code(photo_folder, name):
    path = photo_folder / name
    pixels = load_pixels(path)
    assert pixels.dtype == np.uint8 and pixels.shape == (80, 80)
    np.testing.assert_array_equal(pixels, course_pixels(path))
    np.testing.assert_array_equal(load_pixels(path.read_bytes()), pixels)


def test_rgb_is_rgb_not_bgr(tmp_path):
    bgr = np.zeros((100, 120, 3), np.uint8)
    bgr[..., 2] = 255  # pure red in OpenCV's BGR order
    ok, buf = cv2.imencode(".png", bgr)
    pixels = load_pixels(buf.tobytes(), size=32, color="rgb")
    assert pixels.shape == (32, 32, 3) and pixels.dtype == np.uint8
    assert (pixels[..., 0] == 255).all() and (pixels[..., 1:] == 0).all()


def test_other_sizes(photo_folder):
    assert load_pixels(photo_folder / "dog.0.jpg", size=128).shape == (128, 128)
    np.testing.assert_array_equal(
        load_pixels(photo_folder / "dog.0.jpg", size=96), course_pixels(photo_folder / "dog.0.jpg", 96)
    )


def test_non_ascii_path_with_spaces(tmp_path):
    path = tmp_path / "사진 폴더" / "cat.1 (복사본).jpg"
    path.parent.mkdir()
    path.write_bytes(jpeg(0, 1))
    assert load_pixels(path).shape == (80, 80)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"hello, I am a text file\n" * 10, "a text file"),
        (bytes(range(256)) * 10, "not an image"),
    ],
)
def test_bad_bytes_raise_with_a_reason(data, reason):
    with pytest.raises(ImageError, match=reason):
        load_pixels(data)


def test_truncated_jpeg_is_refused_not_painted_gray():
    data = jpeg(1, 3)
    cut = data[: len(data) // 2]
    # OpenCV 4.x decodes such a file silently, painting the missing rows gray; 5.x refuses it.
    assert is_truncated_jpeg(cut) and not is_truncated_jpeg(data)
    with pytest.raises(ImageError, match="truncated JPEG"):
        load_pixels(cut)


def test_jpeg_with_trailing_bytes_after_the_end_marker_is_fine():
    data = jpeg(0, 4) + b"\x00" * 100 + b"trailer"
    assert load_pixels(data).shape == (80, 80)


def test_huge_jpeg_is_decoded_reduced(huge_jpeg):
    pixels = decode_pixels(huge_jpeg)
    assert pixels.shape == (80, 80)
    assert abs(int(pixels.mean()) - 128) <= 2


def test_huge_png_is_refused_with_the_reason():
    ok, buf = cv2.imencode(".png", np.zeros((3000, 3000), np.uint8))
    with pytest.raises(ImageError, match="too large"):
        decode_pixels(buf.tobytes(), max_pixels=1_000_000)


def test_cmyk_and_grayscale_jpegs_decode_in_both_color_modes():
    for mode in ("CMYK", "L"):
        data = pil_bytes(0, 11, "JPEG", mode=mode)
        assert load_pixels(data).shape == (80, 80)
        assert load_pixels(data, color="rgb").shape == (80, 80, 3)


@pytest.mark.parametrize(("kwargs", "message"), [({"color": "bgr"}, "color"), ({"size": 0}, "size")])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_pixels(jpeg(0, 0), **kwargs)


def test_a_jpeg_with_exif_orientation_gets_opencvs_pixels(tmp_path):
    """OpenCV turns a photo by its EXIF orientation; the strict decoder used for the corrupt-data
    check does not, so such a file must still be decoded by OpenCV."""
    bgr = np.zeros((60, 100, 3), np.uint8)
    bgr[:, :50] = 255  # left half white: a turn moves it
    image = Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "cat.1.jpg"
    image.save(path, format="JPEG", exif=exif.tobytes(), quality=95)
    course = course_pixels(path)
    assert cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).shape == (100, 60)  # OpenCV applied it
    np.testing.assert_array_equal(load_pixels(path), course)
