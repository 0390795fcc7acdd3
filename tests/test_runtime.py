"""Where the model runs: one strategy per process, an attached TPU used or refused (never silently
the CPU), several devices under MirroredStrategy, and mixed precision with a float32 output."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from dogcat_lib import DogcatError, ImageSpec, build_reference_cnn, fit_scaler, read_csv, split_dataset  # noqa: E402
from dogcat_lib.learn import runtime  # noqa: E402
from dogcat_lib.learn.pipeline import make_dataset  # noqa: E402


@pytest.fixture
def fresh_strategy():
    runtime.use_strategy(None)
    yield
    runtime.use_strategy(None)


def test_the_strategy_is_resolved_once_per_process(fresh_strategy, monkeypatch):
    calls = []
    real = runtime.tpu_present
    monkeypatch.setattr(runtime, "tpu_present", lambda: calls.append(1) or real())
    first = runtime.get_strategy()
    assert runtime.get_strategy() is first and len(calls) == 1
    runtime.use_strategy(None)
    runtime.get_strategy()
    assert len(calls) == 2


def test_an_attached_tpu_that_cannot_be_used_is_refused_not_replaced_by_the_cpu(fresh_strategy, monkeypatch):
    tried = []

    class NoTPU:
        def __init__(self, tpu=None):
            tried.append(tpu)
            raise ValueError("Please provide a TPU Name to connect to.")

    monkeypatch.setattr(runtime, "tpu_present", lambda: True)
    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", NoTPU)
    with pytest.raises(
        DogcatError, match=r"TPU is attached but TensorFlow cannot use it .*Change runtime type"
    ):
        runtime.get_strategy()
    assert tried == ["local", None]  # the TPU VM first (Colab today), then a TPU node by address


def test_mixed_precision_computes_in_float16_and_keeps_the_output_float32(tiny_csv):
    X, y = read_csv(tiny_csv)
    data = split_dataset(X, y, seed=0)
    with runtime.precision(mixed=True):
        model = build_reference_cnn((32, 32, 1), scaling=fit_scaler(data.X_train, (32, 32, 1)))
    assert keras.mixed_precision.global_policy().name == "float32"  # restored after the block
    conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    assert conv.compute_dtype == "float16" and conv.variable_dtype == "float32"
    assert model.get_layer("p_dog").compute_dtype == "float32"
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)  # float16 gradients scaled
    train, val = (
        make_dataset(X, y, ImageSpec(32), 16)
        for X, y in ((data.X_train, data.y_train), (data.X_val, data.y_val))
    )
    history = model.fit(train, validation_data=val, epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0]) and np.isfinite(history.history["val_loss"][0])
    out = model.predict(data.X_test[:4].reshape(-1, 32, 32, 1).astype("float32"), verbose=0)
    assert out.dtype == np.float32 and ((out >= 0) & (out <= 1)).all()


MIRRORED = """
import json, math, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
from dogcat_lib.learn import training
from dogcat_lib.learn.evaluation import predict_proba
from dogcat_lib.learn.runtime import use_strategy

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
use_strategy(strategy)

class Batches(keras.callbacks.Callback):
    seen = 0
    def on_train_batch_end(self, batch, logs=None):
        Batches.seen += 1

real = training.training_callbacks
training.training_callbacks = lambda *args, **kwargs: [*real(*args, **kwargs), Batches()]
run = training.train_from_csv(sys.argv[1], sys.argv[2], epochs=1, batch_size=16, verbose=0)
print(json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "mirrored": type(run.model.trainable_variables[0].value).__name__,
    "batches": Batches.seen,
    "expected_batches": math.ceil(len(run.splits.y_train) / 16),
    "loss": float(run.history["loss"][0]),
    "predicted": len(predict_proba(run.model, run.splits.X_test[:7])),  # an odd count on 2 devices
    "evaluated": run.evaluation.n,
    "test_rows": len(run.splits.y_test),
}))
"""


def test_training_under_mirrored_strategy_on_two_logical_cpus(tiny_csv, tmp_path):
    script = tmp_path / "mirrored.py"
    script.write_text(textwrap.dedent(MIRRORED))
    run = subprocess.run(
        [sys.executable, str(script), str(tiny_csv), str(tmp_path / "run")], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["replicas"] == 2
    assert "Mirrored" in figures["mirrored"]  # the weights live on both devices
    assert figures["batches"] == figures["expected_batches"]  # batch_size is the global batch
    assert np.isfinite(figures["loss"])
    assert figures["predicted"] == 7 and figures["evaluated"] == figures["test_rows"]  # every row, once


def test_cli_trains_with_mixed_precision_and_the_saved_model_keeps_it(tiny_csv, tmp_path):
    from dogcat_lib import load_model
    from dogcat_lib.__main__ import main

    out = tmp_path / "mixed"
    args = ["train", str(tiny_csv), "-o", str(out), "--epochs", "1", "--batch-size", "16", "-q"]
    assert main([*args, "--mixed-precision"]) == 0
    assert json.loads((out / "metrics.json").read_text())["mixed_precision"] is True
    model = load_model(out / "model.keras")
    conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    assert conv.compute_dtype == "float16" and model.get_layer("p_dog").compute_dtype == "float32"
    assert keras.mixed_precision.global_policy().name == "float32"


def test_the_setup_report_names_the_device_and_warns_in_plain_words(monkeypatch):
    monkeypatch.setattr(runtime, "in_colab", lambda: False)
    local = runtime.setup_report(wanted_version=runtime.__version__)
    assert local.splitlines()[1].startswith("장치: ") and "주의" not in local and "경고" not in local

    monkeypatch.setattr(runtime, "in_colab", lambda: True)  # a Colab runtime with no GPU attached
    monkeypatch.setattr(runtime, "tpu_present", lambda: False)
    monkeypatch.setattr(runtime.tf.config, "list_logical_devices", lambda kind=None: [])
    colab = runtime.setup_report(wanted_version="0.0.1")
    assert "| Colab" in colab.splitlines()[0]
    assert "dogcat_lib 0.0.1용인데" in colab and "dogcat-0.0.1" in colab  # the wheel to upload instead
    assert "GPU가 연결되어 있지 않아" in colab and "Change runtime type" in colab
