"""Notebook 02 on a simulated Colab, offline: nothing published, the library comes from Drive.

A stand-in ``google.colab`` is imported when the kernel starts, as on Colab; its ``drive.mount(path)``
makes ``path/MyDrive/dogcat`` hold what a student uploaded: the wheel ``make colab`` builds and a
small ``.csv.zst``. The kernel's environment has TensorFlow and everything Colab ships, but NOT
dogcat_lib. The notebook must install the wheel from the fake Drive, train, keep its outputs under
``MyDrive/dogcat/runs/``, and, run again after the runtime died mid-training, continue instead of
starting over.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import cv2
import nbformat
import numpy as np
import pytest

pytestmark = pytest.mark.notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02_train_colab.ipynb"

STANDIN_INIT = '''
"""A stand-in for Colab's google.colab package (tests only)."""
import os

if os.environ.get("COLAB_SIM_DIE_AFTER_EPOCH"):  # the runtime dies after that epoch, as on a disconnect
    import keras

    class _Disconnect(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 >= int(os.environ["COLAB_SIM_DIE_AFTER_EPOCH"]):
                os._exit(1)

    _fit = keras.Model.fit

    def _fit_then_die(self, *args, callbacks=None, **kwargs):
        return _fit(self, *args, callbacks=[*(callbacks or []), _Disconnect()], **kwargs)

    keras.Model.fit = _fit_then_die
'''

STANDIN_DRIVE = '''
"""google.colab.drive: mount() shows the student's uploads under MOUNT/MyDrive (tests only)."""
import os
import shutil
from pathlib import Path


def mount(mountpoint, force_remount=False, timeout_ms=120000, readonly=False):
    folder = Path(mountpoint) / "MyDrive" / "dogcat"
    if not folder.exists():
        shutil.copytree(os.environ["COLAB_SIM_UPLOADS"], folder)
    print(f"Mounted at {mountpoint}")
'''


#: The simulated runtime is offline: pip may use no index, and every HTTP(S) request (pip's, git's)
#: goes to a closed port on this machine, so nothing can be fetched from the internet.
OFFLINE = {
    "PIP_NO_INDEX": "1",
    "PIP_CONFIG_FILE": os.devnull,
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
    "no_proxy": "",
}


FARM, STANDIN = "colab-site", "standin"  # under the test's temp folder, shared by its runtimes


#: What this environment has and Colab's image does not: left out of the simulated runtime.
NOT_ON_COLAB = ("dogcat", "__editable__", "_dogcat", "pip", "koreanize")


def package_farm(tmp: Path) -> Path:
    """This environment's packages linked one by one, those Colab lacks left out: what Colab has installed."""
    site = Path(sysconfig.get_paths()["purelib"])
    farm = tmp / FARM
    farm.mkdir()
    for entry in site.iterdir():
        if not entry.name.lower().startswith(NOT_ON_COLAB):
            (farm / entry.name).symlink_to(entry)
    standin = tmp / STANDIN / "google" / "colab"
    standin.mkdir(parents=True)
    (standin / "__init__.py").write_text(STANDIN_INIT)
    (standin / "drive.py").write_text(STANDIN_DRIVE)
    return farm


def new_runtime(tmp: Path, name: str) -> tuple[str, Path]:
    """A fresh Colab runtime: a venv that sees the farm but not dogcat_lib, and a kernelspec for it
    whose kernel imports google.colab at start, as Colab's does. Returns (kernel name, its python)."""
    env = tmp / name / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    python = env / "bin" / "python"
    env_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(env_site, "colab_sim.pth").write_text(f"{tmp / STANDIN}\n{tmp / FARM}\n")
    probe = subprocess.run([str(python), "-c", "import dogcat_lib"], capture_output=True, cwd=tmp)
    assert probe.returncode != 0, "the simulated Colab must not see this environment's dogcat_lib"
    startup = tmp / name / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab  # noqa: F401\n")
    spec = tmp / "jupyter" / "kernels" / name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"simulated Colab ({name})", "language": "python",
        "env": {"IPYTHONDIR": str(tmp / name / "ipython"), **OFFLINE},
    }))  # fmt: skip
    return name, python


def installed_dogcat(python: Path) -> list[Path]:
    """The dogcat dist-info folders pip installed into the runtime of ``python``."""
    from dogcat_lib import __version__

    return list(python.parents[1].glob(f"lib/python*/site-packages/dogcat-{__version__}.dist-info"))


def no_gpu_here() -> bool:
    import tensorflow as tf

    return not tf.config.list_physical_devices("GPU")


def outputs(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


POSIX_ONLY = pytest.mark.skipif(
    os.name != "posix", reason="the simulated kernel environment uses symlinks and bin/python"
)


@pytest.fixture
def colab(tmp_path, monkeypatch):
    """The simulated Colab's Drive and uploads folder; the kernels are made by ``new_runtime``."""
    pytest.importorskip("papermill")
    package_farm(tmp_path)
    uploads = tmp_path / "uploads"  # what the student put into My Drive/dogcat/
    uploads.mkdir()
    mount = tmp_path / "content" / "drive"
    mount.parent.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "content"))  # the runtime's own disk
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("DOGCAT_DRIVE", str(mount))
    monkeypatch.setenv("COLAB_SIM_UPLOADS", str(uploads))
    monkeypatch.delenv("DOGCAT_DATA", raising=False)
    yield tmp_path, uploads, mount
    shutil.rmtree(tmp_path / FARM)  # links into this environment: not for later cleanup to follow


def execute(notebook: Path, out: Path, kernel: str, parameters: dict) -> Path:
    import papermill

    papermill.execute_notebook(
        str(notebook), str(out), parameters=parameters, kernel_name=kernel,
        cwd=str(out.parent / "content"), progress_bar=False, execution_timeout=300,
    )  # fmt: skip
    return out


def index_wheels(folder: Path) -> None:
    """The wheels Colab would fetch from PyPI when it installs dogcat (those it does not ship), put in
    ``folder``: the simulated runtime is offline, and the setup cell installs with --find-links Drive."""
    from importlib.metadata import version

    wanted = f"koreanize-matplotlib=={version('koreanize-matplotlib')}"
    fetch = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(folder), wanted]
    if subprocess.run(fetch, capture_output=True).returncode != 0:
        pytest.skip(
            f"cannot fetch {wanted} from the package index to stand in for PyPI on the simulated Colab"
        )


@POSIX_ONLY
def test_notebook_02_installs_from_drive_keeps_its_run_there_and_resumes(colab, tiny_csv, monkeypatch):
    from dogcat_lib import __version__, read_csv, write_csv
    from dogcat_lib.colab import build_wheel

    tmp_path, uploads, mount = colab
    wheel = build_wheel(uploads)
    index_wheels(uploads)
    csv = uploads / "dogs-vs-cats.csv.zst"
    X, y = read_csv(tiny_csv)
    rows = np.resize(np.arange(len(X)), 60)  # the course's model is 80x80: the tiny photos, enlarged
    big = np.stack([cv2.resize(X[i].reshape(32, 32), (80, 80)).ravel() for i in rows])
    write_csv(big, y[rows], csv, seed=None)
    parameters = {"CSV_PATH": "MyDrive/dogcat/dogs-vs-cats.csv.zst", "EPOCHS": 4, "BATCH_SIZE": 16,
                  "OUT_DIR": "runs/simulated"}  # fmt: skip
    run_dir = mount / "MyDrive" / "dogcat" / "runs" / "simulated"

    kernel, python = new_runtime(tmp_path, "runtime-1")
    monkeypatch.setenv("COLAB_SIM_DIE_AFTER_EPOCH", "2")  # the runtime dies after epoch 2 of 4
    with pytest.raises(Exception, match="(?i)dead|died|kernel"):
        execute(NOTEBOOK, tmp_path / "first.ipynb", kernel, parameters)
    first = outputs(tmp_path / "first.ipynb")
    assert f"버전: dogcat_lib {__version__} |" in first and "Mounted at" in first and "| Colab" in first
    if no_gpu_here():
        assert "GPU가 연결되어 있지 않아" in first  # the simulated runtime has no GPU: the plain warning
    assert installed_dogcat(python), f"{wheel.name} was not installed from the fake Drive"
    assert (run_dir / "backup").is_dir() and len((run_dir / "history.csv").read_text().splitlines()) == 1 + 2

    # A runtime reset: a new machine, nothing installed; only Drive is kept. Run every cell again.
    monkeypatch.delenv("COLAB_SIM_DIE_AFTER_EPOCH")
    kernel, python = new_runtime(tmp_path, "runtime-2")
    second = outputs(execute(NOTEBOOK, tmp_path / "second.ipynb", kernel, parameters))
    assert installed_dogcat(python), "the new runtime installed the wheel from Drive again"
    assert "끊긴 학습을 이어서 합니다: 2 에포크까지 끝났습니다" in second
    assert "에포크 3:" in second and "에포크 1:" not in second  # only the epochs that were left
    assert "모두 4 에포크를 학습했습니다" in second  # the log covers epochs 1-4, not only the 2 run after
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "best.keras",
        "figures",
        "history.csv",
        "model.keras",
    ]
    assert len((run_dir / "history.csv").read_text().splitlines()) == 1 + 4
    (tmp_path / "setup-output.txt").write_text(first)  # what the setup cell printed, for the record


@POSIX_ONLY
def test_with_no_wheel_on_drive_and_no_repository_the_setup_says_the_three_ways(colab):
    from dogcat_lib import __version__

    tmp_path, _, _ = colab  # nothing uploaded; the repository is unreachable (offline)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    setup = next(i for i, c in enumerate(nb.cells) if "extra code – Colab이면 dogcat_lib" in c.source)
    nb.cells = nb.cells[: setup + 1]  # the title, the parameters and the two setup cells
    only_setup = tmp_path / "setup_only.ipynb"
    nbformat.write(nb, only_setup)
    kernel, python = new_runtime(tmp_path, "runtime-1")
    with pytest.raises(Exception, match="SystemExit"):
        execute(only_setup, tmp_path / "setup_run.ipynb", kernel, {})
    errors = [
        o for c in nbformat.read(tmp_path / "setup_run.ipynb", as_version=4).cells
        if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]  # fmt: skip
    assert len(errors) == 1 and errors[0].ename == "SystemExit"
    message = errors[0].evalue
    assert message.startswith(f"dogcat_lib {__version__}을 설치하지 못했습니다: (1) make colab")
    assert "My Drive/dogcat/" in message and "인터넷 연결" in message and "(pip: " in message
    assert "\n" not in message and not installed_dogcat(python)
