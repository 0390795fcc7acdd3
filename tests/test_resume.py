"""A run interrupted after some epochs (a Colab disconnect, Ctrl-C) continues where it stopped, on
Keras' own BackupAndRestore: weights and optimizer come back, every epoch stays in the log, and the
model at the end is the best epoch of the whole run, the epochs before the interruption included."""

from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dogcat_lib import DogcatError, train_from_csv  # noqa: E402
from dogcat_lib.__main__ import main  # noqa: E402
from dogcat_lib.learn import training  # noqa: E402


class Disconnect(keras.callbacks.Callback):
    """Raises at the end of epoch ``after`` (0-based, after the run's files are saved), as a runtime
    reset stops a notebook cell; records what each epoch began with."""

    def __init__(self, after: int | None = None):
        super().__init__()
        self.after, self.began = after, []

    def on_epoch_begin(self, epoch, logs=None):
        self.began.append((epoch, int(self.model.optimizer.iterations.numpy()), self.model.get_weights()))

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.after:
            raise KeyboardInterrupt("the runtime disconnected")


@pytest.fixture
def with_callback(monkeypatch):
    """Adds ``callback`` after the run's own callbacks, as a test of what a disconnect leaves."""

    def add(callback):
        real = training.training_callbacks
        monkeypatch.setattr(training, "training_callbacks", lambda *a, **k: [*real(*a, **k), callback])
        return callback

    return add


def test_training_resumes_after_the_last_saved_epoch(tiny_csv, tmp_path, with_callback):
    out = tmp_path / "run"
    first = with_callback(Disconnect(after=2))
    with pytest.raises(KeyboardInterrupt):
        train_from_csv(tiny_csv, out, epochs=5, batch_size=16, verbose=0)
    assert sorted(p.name for p in out.iterdir()) == ["backup", "best.keras", "history.csv", "run.json"]
    assert len(training.read_history(out)) == 3  # readable during training
    steps, weights = first.model.optimizer.iterations.numpy(), first.model.get_weights()

    second = with_callback(Disconnect())  # a new session: the same call continues the run
    run = train_from_csv(tiny_csv, out, epochs=5, batch_size=16, verbose=0, resume=True)
    assert [epoch for epoch, _, _ in second.began] == [3, 4]  # only the two epochs left
    _, iterations, began_with = second.began[0]
    assert iterations == steps > 0  # the optimizer's state, not a fresh optimizer
    assert all(np.array_equal(a, b) for a, b in zip(began_with, weights, strict=True))
    assert run.resumed_from == 3 and run.history["epoch"].tolist() == [1, 2, 3, 4, 5]
    assert sorted(p.name for p in out.iterdir()) == ["history.csv", "metrics.json", "model.keras"]


def test_the_best_epoch_before_the_interruption_is_the_model_at_the_end(tiny_csv, tmp_path, with_callback):
    out = tmp_path / "run"
    with_callback(Disconnect(after=1))
    with pytest.raises(KeyboardInterrupt):
        train_from_csv(tiny_csv, out, epochs=4, batch_size=16, verbose=0)

    class Spoil(keras.callbacks.Callback):  # every epoch after the resume is worse than the first two
        def on_epoch_begin(self, epoch, logs=None):
            kernel, bias = self.model.layers[-1].get_weights()
            self.model.layers[-1].set_weights([kernel, bias + 25.0])

    with_callback(Spoil())
    run = train_from_csv(tiny_csv, out, epochs=4, batch_size=16, verbose=0, resume=True)
    assert run.best_epoch in (1, 2) and len(run.history) == 4
    best_loss = run.history["val_loss"].min()
    val = training.make_dataset(run.splits.X_val, run.splits.y_val, training.ImageSpec(32), 16)
    assert run.model.evaluate(val, verbose=0)[0] == pytest.approx(best_loss, rel=1e-4)


def test_an_interrupted_run_is_not_overwritten_by_accident(tiny_csv, tmp_path, with_callback):
    out = tmp_path / "run"
    with_callback(Disconnect(after=0))
    with pytest.raises(KeyboardInterrupt):
        train_from_csv(tiny_csv, out, epochs=3, batch_size=16, verbose=0)
    with pytest.raises(DogcatError, match=r"interrupted run \(1 epochs done\): --resume"):
        train_from_csv(tiny_csv, out, epochs=3, batch_size=16, verbose=0)
    with pytest.raises(DogcatError, match=r"another model or data \(batch_size, model differ\)"):
        train_from_csv(tiny_csv, out, model_name="improved", epochs=3, batch_size=8, verbose=0, resume=True)


def test_cli_refuses_then_resumes_an_interrupted_run(tiny_csv, tmp_path, capsys, with_callback):
    out = tmp_path / "run"
    args = ["train", str(tiny_csv), "-o", str(out), "--epochs", "3", "--batch-size", "16", "-q"]
    with_callback(Disconnect(after=0))
    assert main(args) == 130
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (
        f"dogcat train: error: {out} holds an interrupted run (1 epochs done): --resume to continue it, "
        "or --overwrite to start over"
    )
    with_callback(Disconnect())
    assert main([*args, "--resume"]) == 0
    printed = capsys.readouterr().out
    assert "3 epochs (continued after epoch 1)" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from"] == 1 and metrics["epochs_run"] == 3
