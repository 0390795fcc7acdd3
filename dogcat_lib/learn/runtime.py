"""Where and how the model runs: the device strategy (resolved once per process), the seed, and
mixed precision (notebook 02, "Setup").

``get_strategy`` looks for a TPU only where one can exist, and when one is attached but cannot be
used it says so (:class:`DogcatError`) instead of quietly training on the CPU. Several GPUs give a
``MirroredStrategy``; otherwise the default strategy runs on the one GPU or the CPU.
"""

from __future__ import annotations

import glob
import os
import platform
from contextlib import contextmanager

import keras
import tensorflow as tf

from ..colab import in_colab
from ..plumbing.errors import DogcatError
from ..plumbing.version import __version__

_strategy: tf.distribute.Strategy | None = None


def tpu_present() -> bool:
    """True where a TPU can be attached: Colab's TPU VM (``/dev/accel*`` or ``/dev/vfio``), or an old
    TPU node named by ``COLAB_TPU_ADDR`` / ``TPU_NAME``. A plain machine never waits on a TPU lookup."""
    return bool(
        os.environ.get("COLAB_TPU_ADDR")
        or os.environ.get("TPU_NAME")
        or glob.glob("/dev/accel*")
        or glob.glob("/dev/vfio/[0-9]*")
    )


def _connect_tpu() -> tf.distribute.Strategy:
    """A TPUStrategy on Colab's TPU: the local TPU VM first, then a TPU node by address."""
    errors = []
    for where in ("local", None):  # None: COLAB_TPU_ADDR / TPU_NAME (the retired TPU node runtime)
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=where)
            if where is None:
                tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            return tf.distribute.TPUStrategy(resolver)
        except (ValueError, RuntimeError, tf.errors.OpError) as exc:
            errors.append(
                f"{where or 'by address'}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            )
    raise DogcatError(
        "a TPU is attached but TensorFlow cannot use it (" + "; ".join(errors) + "). Colab's TPU "
        "runtime is made for JAX: choose Runtime -> Change runtime type -> T4 GPU (recommended), or "
        "install TensorFlow's TPU build (pip install tensorflow-tpu -f "
        "https://storage.googleapis.com/libtpu-tf-releases/index.html) and restart"
    )


def get_strategy() -> tf.distribute.Strategy:
    """The ``tf.distribute`` strategy every model is built and trained under, resolved once per process.

    A TPU when one is attached (an error if it cannot be used), ``MirroredStrategy`` over all GPUs
    when there are several, else the default (one GPU, or the CPU). :func:`use_strategy` sets it.
    """
    global _strategy
    if _strategy is None:
        if tpu_present():
            _strategy = _connect_tpu()
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            _strategy = tf.distribute.MirroredStrategy()
        else:
            _strategy = tf.distribute.get_strategy()
    return _strategy


def use_strategy(strategy: tf.distribute.Strategy | None) -> None:
    """Use ``strategy`` from now on (e.g. ``MirroredStrategy(["/cpu:0", "/cpu:1"])`` in a test);
    None makes the next :func:`get_strategy` look at the machine again."""
    global _strategy
    _strategy = strategy


def describe_devices() -> str:
    """One Korean line on where training runs: ``GPU 1개 (Tesla T4)``, ``MirroredStrategy: GPU 2개 (...)``,
    ``TPUStrategy: TPU 코어 8개`` or ``CPU (코어 2개), GPU 없음``."""
    strategy = get_strategy()
    replicas = strategy.num_replicas_in_sync
    if isinstance(strategy, tf.distribute.TPUStrategy):
        return f"TPUStrategy: TPU 코어 {replicas}개"
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = sorted({tf.config.experimental.get_device_details(g).get("device_name", "GPU") for g in gpus})
        where = f"GPU {len(gpus)}개 ({', '.join(names)})"
    else:
        where = f"CPU (코어 {os.cpu_count()}개), GPU 없음"
    return f"{type(strategy).__name__}: {where}" if replicas > 1 else where


def setup_report(wanted_version: str | None = None) -> str:
    """What the notebook runs on, in a few lines: versions, the device, and plain warnings.

    In Korean, for the course's students: warns when the installed dogcat_lib is not the version the
    notebook was written for, and when a Colab runtime has no GPU attached. Notebooks 02-04, section 0.
    """
    lines = [
        f"버전: dogcat_lib {__version__} | TensorFlow {tf.__version__} | Keras {keras.__version__} | "
        f"Python {platform.python_version()} | {'Colab' if in_colab() else platform.system()}",
        f"장치: {describe_devices()}",
    ]
    if wanted_version and wanted_version != __version__:
        lines.append(
            f"주의: 이 노트북은 dogcat_lib {wanted_version}용인데 {__version__}이 설치되어 있습니다. "
            f"MyDrive/dogcat/의 휠(wheel)을 dogcat-{wanted_version}으로 바꾸고 런타임을 다시 시작하세요 "
            "(Runtime -> Restart session)."
        )
    if in_colab() and not tf.config.list_logical_devices("GPU") and not tpu_present():
        lines.append(
            "경고: GPU가 연결되어 있지 않아 CPU로 학습합니다 (에포크당 몇 분). "
            "Runtime -> Change runtime type -> T4 GPU를 고른 뒤 처음부터 다시 실행하세요."
        )
    return "\n".join(lines)


def mixed_precision_policy() -> str:
    """The mixed policy for this machine: bfloat16 on a TPU, float16 on a GPU (and the CPU)."""
    return "mixed_bfloat16" if isinstance(get_strategy(), tf.distribute.TPUStrategy) else "mixed_float16"


@contextmanager
def precision(mixed: bool):
    """Build models inside this block with mixed precision (``mixed=True``) or float32.

    Layers compute in float16 (bfloat16 on a TPU) and keep float32 weights; the builders keep
    the output layer in float32, and Keras scales the loss so that float16 gradients do not
    underflow. The global policy is restored afterwards: only the models built inside change.
    """
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(mixed_precision_policy() if mixed else "float32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)
