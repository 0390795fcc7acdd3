"""Your classifier as a web page (``dogcat app MODEL``; notebook 04's last cell), with Gradio.

A photo (a file, pasted, or from the webcam) -> P(강아지), the verdict in Korean and the Grad-CAM
overlay; three generated example photos are one click away. The file box takes any file
(``gr.File``: Gradio's image box refuses a non-image in English before our code runs), so the
package's own checks speak, in Korean. ``api_name="/predict"`` serves ``gradio_client``::

    Client("http://127.0.0.1:7860/").predict(handle_file("cat.jpg"), api_name="/predict")
    # -> (0.132, "고양이", "/tmp/gradio/.../image.png")   P(강아지), the verdict, the overlay

Needs Gradio: ``pip install -e ".[app]"`` in the repository (``make setup`` does; Colab has it).
"""

from __future__ import annotations

import html
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from .data.labels import CLASS_NAMES_KO
from .data.sample import draw_animal, encode_jpeg
from .learn.explain import explain
from .learn.modelfile import load_model
from .learn.predict import predict_photo
from .plots import overlay_heatmap
from .plumbing.errors import ImageError, MissingDependency, in_korean


def _korean(name: str, error: ImageError) -> str:
    return f"{html.escape(name)}: {in_korean(error)}. JPEG, PNG, WEBP 같은 사진 파일을 올려 주세요."


def _examples(folder: Path) -> list[str]:
    """Three generated photos (a cat, a dog, a cat) written into ``folder``."""
    rng = np.random.default_rng(0)
    paths = []
    for i, label in enumerate((0, 1, 0), start=1):
        path = folder / f"{CLASS_NAMES_KO[label]} {i}.jpg"
        path.write_bytes(encode_jpeg(draw_animal(label, rng, size=(240, 200))))
        paths.append(str(path))
    return paths


def _page(gr, model, examples: list[str]):
    def answer(path: str | None):
        if not path:  # the photo was removed
            return None, "", None
        try:
            result = predict_photo(model, path)
        except ImageError as exc:
            raise gr.Error(
                _korean(Path(path).name, exc), title="사진을 읽을 수 없어요", print_exception=False
            ) from None
        overlay = overlay_heatmap(result.image, explain(model, result.pixels), alpha=0.4)
        return round(result.dog_probability, 3), CLASS_NAMES_KO[result.label], overlay

    with gr.Blocks(title="강아지일까 고양이일까") as page:
        gr.Markdown(
            "# 강아지일까, 고양이일까?\n사진을 올리거나, 붙여 넣거나, 웹캠으로 찍으면 모델이 강아지일 확률 "
            "P(강아지)를 계산하고, 어디를 근거로 판단했는지 Grad-CAM으로 보여 줍니다."
        )
        with gr.Row():
            with gr.Column():
                upload = gr.File(label="사진 파일 올리기", type="filepath")
                camera = gr.Image(
                    label="붙여넣기 또는 웹캠", sources=["clipboard", "webcam"], type="filepath"
                )
                gr.Examples(examples, inputs=upload, label="예시 사진 (누르면 판정합니다)")
            with gr.Column():
                verdict = gr.Textbox(label="판정")
                proba = gr.Number(label="P(강아지)")
                overlay = gr.Image(label="Grad-CAM: 빨간 곳일수록 판정의 근거", format="png")
        outputs = [proba, verdict, overlay]
        upload.change(answer, upload, outputs, api_name="predict")
        camera.change(answer, camera, outputs, api_name=False)
    return page


def launch_app(
    model, host: str = "127.0.0.1", port: int | None = None, share: bool | None = None, block: bool = False
):
    """Start the web page for ``model`` (a Keras model or a ``.keras`` path); returns the Gradio app.

    It listens on ``host`` (only this computer by default) and ``port`` (default: 7860 or the next
    free one); ``share`` (default: on Colab only) makes Gradio's public link. ``block=True`` waits
    until Ctrl-C (``dogcat app``); otherwise the page runs beside the notebook until ``.close()``.
    Notebook 04, last section.
    """
    model = load_model(model) if isinstance(model, str | os.PathLike) else model
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a course machine
    try:
        import gradio as gr
    except ImportError as exc:
        raise MissingDependency("the web page needs Gradio: pip install gradio") from exc
    folder = Path(tempfile.mkdtemp(prefix="dogcat-examples-"))
    page = _page(gr, model, _examples(folder))
    page.launch(
        server_name=host,
        server_port=port,
        share="google.colab" in sys.modules if share is None else share,
        show_error=True,
        allowed_paths=[str(folder)],
        prevent_thread_lock=not block,
    )
    return page
