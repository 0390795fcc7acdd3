"""``dogcat app`` / ``launch_app``: the web page answers through gradio_client, in Korean, and
bad files get a Korean message with no traceback (issue 19). make browser-test clicks the page."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import cv2
import pytest
from conftest import header_bomb, jpeg

from dogcat_lib.__main__ import main

HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(range(256)) * 8  # an iPhone photo's start
ASK = "JPEG, PNG, WEBP 같은 사진 파일을 올려 주세요."


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from dogcat_lib import build_reference_cnn

    path = tmp_path_factory.mktemp("app") / "model.keras"
    build_reference_cnn((32, 32, 1)).save(path)
    return path


@pytest.fixture(scope="module")
def client(model_path):
    pytest.importorskip("gradio", reason='the web page needs Gradio: pip install "dogcat[app]"')
    from gradio_client import Client

    from dogcat_lib import launch_app

    page = launch_app(model_path)  # 127.0.0.1, the first free port from 7860, not blocking
    assert page.local_url.startswith("http://127.0.0.1:")
    yield Client(page.local_url, verbose=False)
    page.close()


def predict(client, path):
    from gradio_client import handle_file

    return client.predict(handle_file(str(path)), api_name="/predict")


def test_a_missing_model_is_one_line(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    assert main(["app", str(tmp_path / "missing.keras")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dogcat app: error: model ") and err.count("\n") == 1, err


def test_without_gradio_the_command_says_what_to_install(model_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "gradio", None)  # as on a machine without it
    assert main(["app", str(model_path)]) == 1
    err = capsys.readouterr().err
    assert err == "dogcat app: error: the web page needs Gradio: pip install gradio\n"


def test_a_photo_gets_p_dog_the_korean_verdict_and_the_overlay(client, tmp_path):
    photo = tmp_path / "우리집 강아지.jpg"
    photo.write_bytes(jpeg(1, 3, size=(240, 180)))
    proba, verdict, overlay = predict(client, photo)
    assert 0.0 <= proba <= 1.0 and verdict == ("강아지" if proba > 0.5 else "고양이")
    assert cv2.imread(overlay).shape == (180, 240, 3)  # the photo as shown, the heatmap over it


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("notes.txt", b"my cat's vet appointment is on Monday\n", "사진이 아니라 글자로 된 파일입니다"),
        ("empty.jpg", b"", "빈 파일입니다 (0바이트)"),
        ("bomb.png", header_bomb("png"), "사진이 너무 커서 안전하게 열 수 없습니다"),
        ("bomb.jpg", header_bomb("jpg"), "사진이 너무 커서 안전하게 열 수 없습니다"),
        ("IMG_0001.HEIC", HEIC, "사진 형식이 아닙니다 (아이폰의 HEIC 사진은 JPEG로 바꿔서 올려 주세요)"),
    ],
)
def test_a_bad_file_gets_a_korean_message_without_a_traceback(client, tmp_path, capfd, name, data, says):
    from gradio_client.exceptions import AppError

    (tmp_path / name).write_bytes(data)
    with pytest.raises(AppError) as caught:
        predict(client, tmp_path / name)
    assert str(caught.value) == f"{name}: {says}. {ASK}"
    (tmp_path / "cat.jpg").write_bytes(jpeg(0, 4))
    assert predict(client, tmp_path / "cat.jpg")[1] in ("고양이", "강아지")  # the next photo is answered
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "Error" not in out + err


def test_ten_requests_at_once_are_all_answered(client, tmp_path):
    from gradio_client import handle_file

    photo = tmp_path / "dog.jpg"
    photo.write_bytes(jpeg(1, 5))
    with ThreadPoolExecutor(10) as pool:
        jobs = [pool.submit(client.predict, handle_file(str(photo)), api_name="/predict") for _ in range(10)]
        answers = [job.result(timeout=120)[:2] for job in jobs]
    assert len(set(answers)) == 1, answers  # the same photo, the same answer, ten times
