"""What training runs on: the setup report (device, versions, a missing GPU or a TPU runtime named, in
Korean) and mixed precision with a float32 output."""

from __future__ import annotations

import json

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from dogcat_lib import ImageSpec, build_reference_cnn, fit_scaler, read_csv, split_dataset  # noqa: E402
from dogcat_lib.learn import runtime  # noqa: E402
from dogcat_lib.learn.pipeline import make_dataset  # noqa: E402


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
    monkeypatch.setattr(runtime.tf.config, "list_physical_devices", lambda kind=None: [])
    colab = runtime.setup_report(wanted_version="0.0.1")
    assert "| Colab" in colab.splitlines()[0]
    assert "dogcat_lib 0.0.1용인데" in colab and "dogcat-0.0.1" in colab  # the wheel to upload instead
    assert "GPU가 연결되어 있지 않아" in colab and "Change runtime type" in colab
    monkeypatch.setattr(runtime, "tpu_present", lambda: True)  # Colab's TPU runtime: named, with the fix
    tpu = runtime.setup_report()
    assert "TPU 런타임은 JAX용" in tpu and "T4 GPU" in tpu and "GPU가 연결되어" not in tpu
