"""What training runs on: the setup report (device, versions, a missing GPU or a TPU runtime named, in
Korean)."""

from __future__ import annotations

import pytest

tf = pytest.importorskip("tensorflow")

from dogcat_lib.learn import runtime  # noqa: E402


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
