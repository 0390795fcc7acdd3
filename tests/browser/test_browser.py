"""make browser-test: a real Chromium (Debian's, driven by Playwright) clicks what a student clicks.

(a) JupyterLab runs notebooks 02 and 04 with their smoke parameters (Run All from the menu); in 04
the upload widget gets ``우리집 강아지.jpg`` through the file chooser and the cleaner's buttons are
pressed, the exclusions file checked after each. (b) The same widget steps in classic Notebook
6.5.7 with ipywidgets 7.7.1, Colab's frontend (from .venv-colab: JupyterLab 4 cannot show
ipywidgets 7). (c) The ``dogcat app`` page on this Gradio and on Colab's: a file, an example, a paste, the
webcam (Chromium's fake camera), and bad files answered in Korean. Screenshots go to runs/browser/.
Every wait is on something the page shows, never a bare sleep.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from conftest import header_bomb, jpeg
from notebook_tools import NOTEBOOKS, prepare_smoke_data
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "runs" / "browser"
COLAB_VENV = ROOT / os.environ.get("COLAB_VENV", ".venv-colab")
MINUTE = 60_000  # Playwright counts milliseconds
WIDGET_LINE = re.compile(r"우리집 강아지\.jpg: P\(강아지\) = [01]\.\d{3} → (강아지|고양이)")


@pytest.fixture(scope="session")
def browser():
    fonts = subprocess.run(["fc-list", ":lang=ko"], capture_output=True, text=True).stdout
    assert fonts.strip(), "no Korean font: Hangul would show as empty boxes (apt-get install fonts-nanum)"
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--use-fake-device-for-media-stream",  # a webcam that films a test pattern
        "--use-fake-ui-for-media-stream",
    ]
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=args
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        locale="ko-KR",  # as a Korean student's browser: Gradio's own words in Korean too
        viewport={"width": 1280, "height": 1000},
        permissions=["camera", "clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(MINUTE)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def smoke(browser):
    """Each notebook's smoke parameters (tests/notebook_tools.py) and the student's photo."""
    parameters = prepare_smoke_data(OUT / "smoke")
    photo = OUT / "smoke" / "우리집 강아지.jpg"
    photo.write_bytes(jpeg(1, 7, size=(320, 240)))
    return parameters, photo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(command: list[str], ready: str, log: Path, env: dict | None = None):
    """Run ``command`` until the ``ready`` URL answers; its output goes to ``log``."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                assert process.poll() is None, f"{command[0]} ended: see {log}"
                assert time.monotonic() < deadline, f"{ready} did not answer in 3 minutes: see {log}"
                try:
                    urllib.request.urlopen(ready, timeout=5)
                    break
                except OSError:
                    time.sleep(0.5)
            yield
        finally:
            process.terminate()
            process.wait(30)


def notebook_copy(name: str, folder: Path, parameters: dict, **overrides) -> Path:
    """The notebook with its smoke parameters (as `make notebooks` makes them), a figure's missing
    glyph made an error, in ``folder``."""
    nb = parameterize_notebook(load_notebook_node(str(NOTEBOOKS / name)), {**parameters[name], **overrides})
    strict = "import warnings\n\nwarnings.filterwarnings('error', 'Glyph .* missing from')  # no empty boxes"
    nb.cells.insert(0, nbformat.v4.new_code_cell(strict))
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


def jupyter(kind: str, folder: Path):
    """JupyterLab (this venv) or classic Notebook 6.5.7 (.venv-colab) on a free port, with a token."""
    port, token = free_port(), secrets.token_hex(16)
    home = folder / ".jupyter"
    env = {
        "JUPYTER_CONFIG_DIR": str(home),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "lab"),
    }
    for name, value in [
        ("notebook-extension/tracker", '{"windowingMode": "none"}'),  # every cell on the page
        ("apputils-extension/notification", '{"fetchNews": "false"}'),  # no news pop-up over the buttons
    ]:
        settings = home / "lab" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        settings.parent.mkdir(parents=True)
        settings.write_text(value)
    common = ["--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}"]
    if kind == "lab":
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            *common,
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={folder}",
        ]
    else:
        python = COLAB_VENV / "bin" / "python"
        assert python.exists(), f"no {python}: run make colab-stack first"
        command = [
            str(python),
            "-m",
            "notebook",
            *common,
            f"--NotebookApp.token={token}",
            f"--notebook-dir={folder}",
        ]
    base = f"http://127.0.0.1:{port}"
    return base, token, server(command, f"{base}/api/status?token={token}", folder / f"{kind}.log", env)


def api(base: str, token: str, path: str, method: str = "GET"):
    request = urllib.request.Request(
        f"{base}/api/{path}", method=method, headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read() or b"null")


def run_all(page, kind: str) -> None:
    """Run All Cells from the menu once the kernel is idle, and wait until no cell is queued."""
    if kind == "lab":
        idle = page.get_by_text(re.compile(r"\(ipykernel\) \| Idle"))
        choose = page.get_by_role("dialog").get_by_role("button", name="Select", exact=True)
        expect(idle.or_(choose)).to_be_visible(timeout=3 * MINUTE)
        if choose.is_visible():  # JupyterLab sometimes asks which kernel, though the notebook names one
            choose.click()
            expect(idle).to_be_visible(timeout=3 * MINUTE)
        prompts = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt")
    else:
        expect(page.locator("#kernel_indicator_icon.kernel_idle_icon")).to_be_attached(timeout=3 * MINUTE)
        prompts = page.locator(".input_prompt")
    running = prompts.filter(has_text="[*]")
    started = prompts.filter(has_text=re.compile(r"\[(\*|\d+)\]"))  # queued, running or run
    for attempt in range(3):  # a Run All sent while the kernel is still connecting is dropped: send it again
        if kind == "lab":
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
        else:
            page.locator("#celllink").click()
            page.locator("#run_all_cells").click()
        try:
            expect(started).not_to_have_count(0, timeout=MINUTE // 2)  # counted, seen or scrolled away
            break
        except AssertionError:
            if attempt == 2:
                raise
    expect(running).to_have_count(0, timeout=10 * MINUTE)
    no_traceback_on_page(page, kind)


def no_traceback_on_page(page, kind: str) -> None:
    errors = (
        ".jp-OutputArea-output[data-mime-type*=stderr]" if kind == "lab" else ".output_error, .output_stderr"
    )
    tracebacks = page.locator(errors).filter(has_text="Traceback")
    if tracebacks.count():
        raise AssertionError(tracebacks.first.inner_text()[-1500:])


def save_and_check(page, kind: str, path: Path) -> None:
    """Save from the menu and read the file: no cell may end in an error."""
    before = path.stat().st_mtime_ns
    if kind == "lab":
        page.get_by_role("menuitem", name="File", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Save Notebook")).first.click()
    else:
        page.locator("#filelink").click()
        page.locator("#save_checkpoint").click()
    deadline = time.monotonic() + 60
    while True:  # until the save has happened and is complete (the classic Notebook writes in place)
        assert time.monotonic() < deadline, f"{path.name} was not saved"
        try:
            if path.stat().st_mtime_ns != before:
                cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
                break
        except ValueError:  # half written
            pass
        time.sleep(0.2)
    errors = [f"{o.ename}: {o.evalue}" for c in cells for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors}"
    assert all(c.execution_count for c in cells), f"{path.name}: a cell did not run"


def upload_and_clean(page, kind: str, photo: Path, exclusions: Path) -> None:
    """Notebook 04's widgets as a student uses them: choose a photo, then press each cleaner button."""
    with page.expect_file_chooser() as chooser:  # ipywidgets 8 keeps its <input type=file> off the page
        page.get_by_role("button", name=re.compile("사진 올리기")).click()
    chooser.value.set_files(photo)
    line = page.get_by_text(WIDGET_LINE)
    expect(line).to_be_visible(timeout=2 * MINUTE)
    figure = page.locator(".jp-Cell, .cell").filter(has=line).locator("img").first  # the photo's figure
    expect(figure).to_be_visible()
    figure.scroll_into_view_if_needed()
    # The button stays, ready for the next photo, in both frontends: notebook 04 answers in Label and Image
    # widgets, not an Output widget (which Colab's ipywidgets 7.7.1 frontend in classic Notebook 6.5.7
    # cannot create: "_deserialize_state is not a function", and clear_output() then emptied the cell).
    expect(page.get_by_role("button", name=re.compile("사진 올리기"))).to_be_visible()
    page.screenshot(path=OUT / f"{kind}-04-upload.png")

    caption = page.locator(".widget-html", has_text="레이블")
    status = page.get_by_text(re.compile(r"\d+장 표시함: "))
    marks: dict[str, str] = {}

    def press(button: str, shown: int, marked: int) -> None:
        page.get_by_role("button", name=button, exact=True).click()
        expect(caption).to_contain_text(re.compile(rf"^\s*{shown}/5"))
        expect(status).to_contain_text(f"{marked}장 표시함: {exclusions}")
        expected = "name,reason\n" + "".join(f"{n},{r}\n" for n, r in sorted(marks.items()))
        deadline = time.monotonic() + 30
        while (exclusions.read_text() if exclusions.exists() else "name,reason\n") != expected:
            assert time.monotonic() < deadline, f"after {button}: {exclusions} is not {expected!r}"
            time.sleep(0.2)

    def name() -> str:
        return caption.locator("code").inner_text()

    caption.evaluate("e => e.scrollIntoView({block: 'start'})")  # the cleaner at the top of the window
    expect(caption).to_contain_text(re.compile(r"^\s*1/5"))
    for label in ("◀ 이전", "레이블이 틀림", "고양이도 강아지도 아님", "괜찮음", "다음 ▶"):
        button = page.get_by_role("button", name=label, exact=True)
        expect(button).to_be_in_viewport()  # with the caption and the photo: no scrolling between clicks
        assert button.evaluate("b => b.scrollWidth <= b.clientWidth"), f"{label!r} is cut short"
    marks[name()] = "wrong label"
    press("레이블이 틀림", shown=2, marked=1)
    second = name()
    marks[second] = "not a cat or dog"
    press("고양이도 강아지도 아님", shown=3, marked=2)
    press("◀ 이전", shown=2, marked=2)
    expect(caption.locator("code")).to_have_text(second)
    del marks[second]
    press("괜찮음", shown=3, marked=1)
    press("다음 ▶", shown=4, marked=1)
    page.screenshot(path=OUT / f"{kind}-04-cleaner.png")
    no_traceback_on_page(page, kind)  # none in a widget either

    web_page = page.frame_locator("iframe").first  # the last cell's launch_app(model), shown in the notebook
    page.locator("iframe").first.scroll_into_view_if_needed()
    expect(web_page.get_by_role("heading", name="강아지일까, 고양이일까?")).to_be_visible()
    expect(web_page.get_by_text("클릭하여 업로드")).to_be_visible()
    page.screenshot(path=OUT / f"{kind}-04-app.png")


def test_jupyterlab_runs_notebooks_02_and_04_and_their_widgets_answer_clicks(page, smoke):
    parameters, photo = smoke
    folder = OUT / "lab"
    paths = {
        name: notebook_copy(name, folder, parameters, PHOTO="", APP=True)  # APP: 02 ignores it
        for name in ("02_train_colab.ipynb", "04_inside_the_cnn.ipynb")
    }
    base, token, running = jupyter("lab", folder)
    with running:
        for name, path in paths.items():
            page.goto(f"{base}/lab/tree/{name}?token={token}&reset")  # reset: only this notebook's tab
            run_all(page, "lab")
            page.screenshot(path=OUT / f"lab-{name[:2]}.png")
            if name.startswith("04"):
                upload_and_clean(page, "lab", photo, Path(parameters[name]["EXCLUSIONS_PATH"]))
            save_and_check(page, "lab", path)
            for session in api(base, token, "sessions"):  # its kernel's memory back before the next one
                api(base, token, f"sessions/{session['id']}", method="DELETE")


def test_classic_notebook_with_colabs_ipywidgets_7_answers_the_same_clicks(page, smoke):
    _, photo = smoke
    folder = OUT / "classic"
    code = (  # the smoke model saved by Colab's Keras, which may not read a newer Keras' file
        "import json, sys; from pathlib import Path; sys.path.insert(0, 'tests')\n"
        "from notebook_tools import prepare_smoke_data\n"
        "Path(sys.argv[1], 'smoke.json').write_text(json.dumps(prepare_smoke_data(Path(sys.argv[1]))))"
    )
    subprocess.run(
        [COLAB_VENV / "bin" / "python", "-c", code, folder], cwd=ROOT, check=True, capture_output=True
    )
    parameters = json.loads((folder / "smoke.json").read_text())
    name = "04_inside_the_cnn.ipynb"
    exclusions = folder / "exclusions.csv"
    path = notebook_copy(name, folder, parameters, PHOTO="", EXCLUSIONS_PATH=str(exclusions), APP=True)
    base, token, running = jupyter("classic", folder)
    with running:
        page.goto(f"{base}/notebooks/{name}?token={token}")
        run_all(page, "classic")
        upload_and_clean(page, "classic", photo, exclusions)
        save_and_check(page, "classic", path)


PUT_A_PHOTO_ON_THE_CLIPBOARD = """async () => {
    const canvas = Object.assign(document.createElement("canvas"), {width: 160, height: 120});
    const draw = canvas.getContext("2d");
    draw.fillStyle = "#345"; draw.fillRect(0, 0, 160, 120);
    draw.fillStyle = "#fc9"; draw.beginPath(); draw.arc(80, 60, 35, 0, 7); draw.fill();
    const png = await new Promise(done => canvas.toBlob(done, "image/png"));
    await navigator.clipboard.write([new ClipboardItem({"image/png": png})]);
}"""


@pytest.mark.parametrize("venv", [Path(sys.prefix), COLAB_VENV], ids=lambda v: v.name)
def test_the_web_page_answers_a_file_an_example_a_paste_and_the_webcam_and_bad_files_in_korean(
    page, smoke, tmp_path, venv
):
    _, photo = smoke
    bad = {
        "notes.txt": b"not a photo\n",
        "empty.jpg": b"",
        "bomb.png": header_bomb("png"),
        "IMG_0001.HEIC": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(256),
    }
    for file, data in bad.items():
        (tmp_path / file).write_bytes(data)
    port = free_port()
    model = tmp_path / "model.keras"  # saved by that venv's Keras: an older one may not read a newer's file
    code = (
        "import sys, gradio\nfrom dogcat_lib import build_reference_cnn\n"
        "build_reference_cnn((32, 32, 1)).save(sys.argv[1])\nprint(gradio.__version__)"
    )
    python = venv / "bin" / "python"
    version = subprocess.run(
        [python, "-c", code, model], capture_output=True, text=True, check=True
    ).stdout.strip()
    log = OUT / f"gradio-{version}.log"
    with server(
        [str(venv / "bin" / "dogcat"), "app", str(model), "--port", str(port)],
        f"http://127.0.0.1:{port}/",
        log,
    ):
        page.goto(f"http://127.0.0.1:{port}/")
        verdict, proba = page.get_by_label("판정"), page.get_by_label("P(강아지)")
        overlay = page.locator(".block", has_text="Grad-CAM").locator("img")

        box = page.locator(".block").filter(has=page.get_by_text("사진 파일 올리기", exact=True))
        clear = box.get_by_role("button", name="지우기")

        def upload(file: Path) -> None:
            if clear.count():  # the last file is still there
                clear.click()
            with page.expect_file_chooser() as chooser:
                box.get_by_text("클릭하여 업로드").click()
            chooser.value.set_files(file)

        upload(photo)
        expect(verdict).to_have_value(re.compile("^(강아지|고양이)$"), timeout=2 * MINUTE)
        expect(proba).to_have_value(re.compile(r"^[01](\.\d+)?$"))
        expect(overlay).to_have_count(1)
        assert overlay.evaluate("img => img.naturalWidth") == 320
        page.screenshot(path=OUT / f"gradio-{version}.png", full_page=True)

        for file, says in [
            ("notes.txt", "사진이 아니라 글자로 된 파일입니다"),
            ("empty.jpg", "빈 파일입니다"),
            ("bomb.png", "사진이 너무 커서"),
            ("IMG_0001.HEIC", "사진 형식이 아닙니다 (아이폰의 HEIC 사진은 JPEG로"),
        ]:
            upload(tmp_path / file)
            toast = page.get_by_test_id("toast-body").filter(has_text=f"{file}: {says}")
            expect(toast).to_have_css("opacity", "1")  # it flies in: visible only at the end
            if file == "notes.txt":
                page.screenshot(path=OUT / f"gradio-{version}-error.png")
        answered = re.compile("^(강아지|고양이)$")
        clear.click()  # the page empties...
        expect(verdict).to_have_value("")
        page.get_by_role("button", name="강아지 2.jpg").click()  # ...and an example photo is one click away
        expect(verdict).to_have_value(answered)
        expect(overlay).to_have_count(1)

        clear.click()
        expect(verdict).to_have_value("")
        page.evaluate(PUT_A_PHOTO_ON_THE_CLIPBOARD)
        camera = page.locator(".block").filter(has=page.get_by_text("붙여넣기 또는 웹캠", exact=True))
        camera.get_by_text("클립보드에서 붙여넣기").click()
        expect(verdict).to_have_value(answered)
        camera.get_by_role("button", name="Remove Image").click()
        expect(verdict).to_have_value("")
        camera.get_by_role("button", name="Capture from camera").click()
        camera.get_by_role("button", name="Click to Access Webcam").click()
        expect(camera.locator("video")).to_have_js_property("readyState", 4)  # the camera is filming
        camera.get_by_role("button", name="capture photo").click()
        expect(verdict).to_have_value(answered)
        expect(overlay).to_have_count(1)
        page.screenshot(path=OUT / f"gradio-{version}-webcam.png", full_page=True)
    text = log.read_text()
    assert "Traceback" not in text and "Error" not in text, text
