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

import nbformat
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


def kernel_environment(tmp: Path) -> Path:
    """A venv that sees this environment's packages except dogcat, with the stand-in on its path."""
    env = tmp / "colab-env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    site = Path(sysconfig.get_paths()["purelib"])
    farm = tmp / "colab-site"  # this environment's packages, linked one by one: dogcat left out
    farm.mkdir()
    for entry in site.iterdir():
        if not entry.name.lower().startswith(("dogcat", "__editable__", "_dogcat", "pip")):
            (farm / entry.name).symlink_to(entry)
    standin = tmp / "standin" / "google" / "colab"
    standin.mkdir(parents=True)
    (standin / "__init__.py").write_text(STANDIN_INIT)
    (standin / "drive.py").write_text(STANDIN_DRIVE)
    python = env / "bin" / "python"
    env_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(env_site, "colab_sim.pth").write_text(f"{tmp / 'standin'}\n{farm}\n")
    return python


def register_kernel(tmp: Path, python: Path) -> str:
    """A kernelspec whose kernel imports google.colab at start, as Colab's does."""
    startup = tmp / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab  # noqa: F401\n")
    spec = tmp / "jupyter" / "kernels" / "colab-sim"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "simulated Colab", "language": "python",
        "env": {"IPYTHONDIR": str(tmp / "ipython")},
    }))  # fmt: skip
    return "colab-sim"


def outputs(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.skipif(
    os.name != "posix", reason="the simulated kernel environment uses symlinks and bin/python"
)
def test_notebook_02_installs_from_drive_keeps_its_run_there_and_resumes(tmp_path, tiny_csv, monkeypatch):
    papermill = pytest.importorskip("papermill")
    from dogcat_lib import __version__, read_csv, write_csv
    from dogcat_lib.steps.colab_files import build_wheel

    uploads = tmp_path / "uploads"  # what the student put into My Drive/dogcat/
    wheel = build_wheel(uploads)
    X, y = read_csv(tiny_csv)
    write_csv(X, y, uploads / "dogs-vs-cats.csv.zst", seed=None)
    python = kernel_environment(tmp_path)
    probe = subprocess.run(
        [str(python), "-c", "import dogcat_lib"], capture_output=True, text=True, cwd=tmp_path
    )
    assert probe.returncode != 0, "the simulated Colab must not see this environment's dogcat_lib"

    mount = tmp_path / "content" / "drive"
    mount.parent.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "content"))  # the runtime's own disk
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("DOGCAT_DRIVE", str(mount))
    monkeypatch.setenv("COLAB_SIM_UPLOADS", str(uploads))
    monkeypatch.delenv("DOGCAT_DATA", raising=False)
    kernel = register_kernel(tmp_path, python)
    parameters = {"CSV_PATH": "MyDrive/dogcat/dogs-vs-cats.csv.zst", "EPOCHS": 4, "BATCH_SIZE": 16,
                  "OUT_DIR": "runs/simulated"}  # fmt: skip
    run_dir = mount / "MyDrive" / "dogcat" / "runs" / "simulated"

    def execute(name: str):
        out = tmp_path / name
        papermill.execute_notebook(
            str(NOTEBOOK), str(out), parameters=parameters, kernel_name=kernel,
            cwd=str(tmp_path / "content"), progress_bar=False, execution_timeout=300,
        )  # fmt: skip
        return out

    monkeypatch.setenv("COLAB_SIM_DIE_AFTER_EPOCH", "2")  # the runtime dies after epoch 2 of 4
    with pytest.raises(Exception, match="(?i)dead|died|kernel"):
        execute("first.ipynb")
    first = outputs(tmp_path / "first.ipynb")
    assert f"dogcat_lib {__version__} |" in first and "Mounted at" in first and "| Colab" in first
    assert "GPU가 연결되어 있지 않아" in first  # the simulated runtime has no GPU: the plain warning
    installed = list(
        Path(python).parents[1].glob(f"lib/python*/site-packages/dogcat-{__version__}.dist-info")
    )
    assert installed, f"{wheel.name} was not installed from the fake Drive"
    progress = json.loads((run_dir / "progress.json").read_text())
    assert len(progress["epochs"]) == 2 and (run_dir / "backup.keras").is_file()

    monkeypatch.delenv("COLAB_SIM_DIE_AFTER_EPOCH")  # a new runtime: run every cell again
    second = outputs(execute("second.ipynb"))
    assert f"resuming the interrupted run in {run_dir}: 2 epochs done, on with epoch 3" in second
    assert "4 에포크 학습" in second  # history covers epochs 1-4, not only the 2 run after the restart
    assert sorted(p.name for p in run_dir.iterdir()) == ["figures", "history.csv", "model.keras"]
    assert len((run_dir / "history.csv").read_text().splitlines()) == 1 + 4
    (tmp_path / "setup-output.txt").write_text(first)  # what the setup cell printed, for the record
    shutil.rmtree(tmp_path / "colab-site")  # links into this environment: not for later cleanup to follow
