"""What a notebook or ``dogcat train`` runs on: the versions and the device.

The course trains on one device: Colab's GPU, or the CPU. Keras places the model on the GPU by
itself; a runtime without a GPU, or Colab's TPU runtime (made for JAX, not for this course's
TensorFlow), is named in the setup report with the fix, in Korean.
"""

from __future__ import annotations

import glob
import os
import platform

import keras
import tensorflow as tf

from ..colab import in_colab
from ..plumbing.version import __version__


def tpu_present() -> bool:
    """True where a TPU is attached: Colab's TPU VM (``/dev/accel*`` or ``/dev/vfio``), or an old TPU
    node named by ``COLAB_TPU_ADDR`` / ``TPU_NAME``. A plain machine never waits on a TPU lookup."""
    return bool(
        os.environ.get("COLAB_TPU_ADDR")
        or os.environ.get("TPU_NAME")
        or glob.glob("/dev/accel*")
        or glob.glob("/dev/vfio/[0-9]*")
    )


def setup_report(wanted_version: str | None = None) -> str:
    """What the notebook runs on, in a few Korean lines: versions, the device, and plain warnings.

    Warns when the installed dogcat_lib is not the version the notebook was written for, and when a
    Colab runtime has no GPU attached or a TPU instead. Notebooks 02-04, section 0.
    """
    gpus = tf.config.list_physical_devices("GPU")
    names = sorted({tf.config.experimental.get_device_details(g).get("device_name", "GPU") for g in gpus})
    device = f"GPU {len(gpus)}개 ({', '.join(names)})" if gpus else f"CPU (코어 {os.cpu_count()}개), GPU 없음"
    lines = [
        f"버전: dogcat_lib {__version__} | TensorFlow {tf.__version__} | Keras {keras.__version__} | "
        f"Python {platform.python_version()} | {'Colab' if in_colab() else platform.system()}",
        f"장치: {device}",
    ]
    if wanted_version and wanted_version != __version__:
        lines.append(
            f"주의: 이 노트북은 dogcat_lib {wanted_version}용인데 {__version__}이 설치되어 있습니다. "
            f"MyDrive/dogcat/의 휠(wheel)을 dogcat-{wanted_version}으로 바꾸고 런타임을 다시 시작하세요 "
            "(Runtime -> Restart session)."
        )
    if tpu_present():
        lines.append(
            "경고: TPU 런타임은 JAX용이라 이 과정의 TensorFlow는 TPU를 쓰지 못하고 CPU로 학습합니다. "
            "Runtime -> Change runtime type -> T4 GPU를 고른 뒤 처음부터 다시 실행하세요."
        )
    elif in_colab() and not gpus:
        lines.append(
            "경고: GPU가 연결되어 있지 않아 CPU로 학습합니다 (에포크당 몇 분). "
            "Runtime -> Change runtime type -> T4 GPU를 고른 뒤 처음부터 다시 실행하세요."
        )
    return "\n".join(lines)
