"""`dogcat predict MODEL photo.jpg` (one line) and `dogcat explain MODEL PHOTO... -o DIR` (overlay PNGs)."""

from __future__ import annotations

import pytest

pytest.importorskip("tensorflow")

from conftest import jpeg, pil_bytes

from dogcat_lib import predict_photo
from dogcat_lib.__main__ import main


def one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"dogcat {command}: error: ") and "\n" not in err, err
    return err


def test_predict_one_photo_prints_the_line_of_the_library(trained_run, tmp_path, capsys):
    model = trained_run.out_dir / "model.keras"
    photo = tmp_path / "내 고양이.png"
    photo.write_bytes(pil_bytes(0, 1, "PNG"))
    assert main(["predict", str(model), str(photo), "-q"]) == 0
    assert capsys.readouterr().out == predict_photo(trained_run.model, photo).line() + "\n"
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo\n")
    assert main(["predict", str(model), str(notes)]) == 1
    assert "notes.txt is not a photo: not an image (a text file)" in one_line_error(capsys, "predict")


def test_explain_writes_one_overlay_per_photo(trained_run, tmp_path, capsys):
    model = trained_run.out_dir / "model.keras"
    photos = tmp_path / "photos"
    (photos / "a").mkdir(parents=True)
    (photos / "b").mkdir()
    names = [photos / "a" / "cat.1.jpg", photos / "b" / "cat.1.jpg", photos / "my dog.png"]
    names[0].write_bytes(jpeg(0, 1))
    names[1].write_bytes(jpeg(0, 2))
    names[2].write_bytes(pil_bytes(1, 3, "PNG"))
    out = tmp_path / "inside"
    assert main(["explain", str(model), *map(str, names), "-o", str(out)]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["cat.1-2_gradcam.png", "cat.1_gradcam.png", "my dog_gradcam.png"]  # no temp files left
    assert all((out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in written)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[2] == f"{out / 'my dog_gradcam.png'}: {predict_photo(trained_run.model, names[2]).line()}"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.jpg", "missing.jpg does not exist"),
        (lambda d: (d / "notes.txt").write_text("hi") and d / "notes.txt", "notes.txt is not a photo"),
    ],
)
def test_explain_bad_input_is_one_line_and_writes_nothing(trained_run, tmp_path, capsys, make, message):
    good = tmp_path / "cat.1.jpg"
    good.write_bytes(jpeg(0, 1))
    out = tmp_path / "inside"
    model = trained_run.out_dir / "model.keras"
    assert main(["explain", str(model), str(good), str(make(tmp_path)), "-o", str(out)]) == 1
    assert message in one_line_error(capsys, "explain")
    assert not out.exists()


def test_explain_a_missing_model(tmp_path, capsys):
    good = tmp_path / "cat.1.jpg"
    good.write_bytes(jpeg(0, 1))
    assert main(["explain", str(tmp_path / "none.keras"), str(good), "-o", str(tmp_path / "o")]) == 1
    assert "does not exist" in one_line_error(capsys, "explain")


def test_explain_never_writes_over_a_photo_it_reads(trained_run, tmp_path, capsys):
    out = tmp_path / "inside"
    out.mkdir()
    photo, overlay_named = out / "cat.1.jpg", out / "cat.1_gradcam.png"
    photo.write_bytes(jpeg(0, 1))
    overlay_named.write_bytes(pil_bytes(0, 2, "PNG"))  # a photo whose name the overlay would take
    before = overlay_named.read_bytes()
    model = trained_run.out_dir / "model.keras"
    assert main(["explain", str(model), str(photo), str(overlay_named), "-o", str(out)]) == 1
    assert "is the input" in one_line_error(capsys, "explain")
    assert overlay_named.read_bytes() == before and sorted(p.name for p in out.iterdir()) == [
        "cat.1.jpg",
        "cat.1_gradcam.png",
    ]
