"""A run interrupted after some epochs (a Colab disconnect, Ctrl-C) continues where it stopped:
weights, optimizer, early stopping, the time budget and the history included."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

keras = pytest.importorskip("keras")

from dogcat_lib import (  # noqa: E402
    DogcatError,
    build_reference_cnn,
    fit_scaler,
    read_csv,
    split_dataset,
    train,
    training_callbacks,
)
from dogcat_lib.__main__ import main  # noqa: E402


class Disconnect(keras.callbacks.Callback):
    """Raises at the end of epoch ``after`` (0-based), as a runtime reset stops a notebook cell."""

    def __init__(self, after: int):
        super().__init__()
        self.after = after

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.after:
            raise KeyboardInterrupt("the runtime disconnected")


@pytest.fixture(scope="module")
def splits(tiny_csv):
    X, y = read_csv(tiny_csv)
    return split_dataset(X, y, seed=0)


def model_for(splits, seed=0):
    return build_reference_cnn((32, 32, 1), scaling=fit_scaler(splits.X_train).layer((32, 32, 1)), seed=seed)


def test_training_resumes_after_the_last_saved_epoch(splits, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train(model_for(splits), splits, epochs=5, batch_size=16, out_dir=tmp_path, verbose=0,
              callbacks=[Disconnect(after=2)])  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "backup.keras", "checkpoint.keras", "history.csv", "progress.json"
    ]  # fmt: skip
    assert len(pd.read_csv(tmp_path / "history.csv")) == 3  # readable during training

    epochs_run = []

    class Count(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epochs_run.append(epoch)

    fresh = model_for(splits)  # a new session: the same code builds the same model again
    history = train(fresh, splits, epochs=5, batch_size=16, out_dir=tmp_path, verbose=0, callbacks=[Count()])
    assert epochs_run == [3, 4]  # only the two epochs left
    keras_history = fresh.history  # what model.fit returned, as the course plots it
    assert keras_history.epoch == [0, 1, 2, 3, 4] and len(keras_history.history["accuracy"]) == 5
    assert history.resumed_from == 3 and history.epochs_run == 5 and history.epoch == [0, 1, 2, 3, 4]
    assert len(history.history["val_loss"]) == 5 and len(history.seconds) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv", "model.keras"]
    saved = pd.read_csv(tmp_path / "history.csv")
    np.testing.assert_allclose(saved["val_loss"], history.history["val_loss"])


def test_the_optimizer_state_and_the_weights_come_back(splits, tmp_path):
    model = model_for(splits)
    with pytest.raises(KeyboardInterrupt):
        train(model, splits, epochs=3, batch_size=16, out_dir=tmp_path, verbose=0, callbacks=[Disconnect(0)])
    steps = int(model.optimizer.iterations.numpy())
    saved = [w.copy() for w in model.get_weights()]
    fresh = model_for(splits, seed=7)  # other initial weights: they must be replaced by the backup's

    class Peek(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if not hasattr(self, "weights"):  # the first epoch run after the restart
                self.iterations = int(self.model.optimizer.iterations.numpy())
                self.weights = self.model.get_weights()

    peek = Peek()
    train(fresh, splits, epochs=3, batch_size=16, out_dir=tmp_path, verbose=0, callbacks=[peek], seed=0)
    assert peek.iterations == steps > 0  # the optimizer's state, not a fresh optimizer
    assert all(np.array_equal(a, b) for a, b in zip(peek.weights, saved, strict=True))


def test_early_stopping_and_the_time_budget_carry_over(splits, tmp_path):
    callbacks = training_callbacks(tmp_path, patience=2, max_minutes=10)
    stopper, run = callbacks[0], callbacks[-1]
    model = model_for(splits)
    progress = {"settings": {}, "epochs": []}
    for epoch, val_loss in enumerate([0.70, 0.60, 0.65]):  # best at epoch 1 (0-based), then 1 epoch waited
        progress["epochs"].append({"loss": 0.7, "accuracy": 0.5, "val_loss": val_loss, "val_accuracy": 0.5,
                                   "seconds": 30.0 + epoch})  # fmt: skip
    model.fit(np.zeros((2, 32, 32, 1)), np.zeros(2), epochs=1, verbose=0)  # builds, then the files:
    from dogcat_lib import save_model

    save_model(model, tmp_path / "backup.keras")
    save_model(model, tmp_path / "checkpoint.keras")
    for callback in callbacks:  # as model.fit does it
        callback.set_model(model)
        callback.set_params({"epochs": 10, "steps": 3, "verbose": 0})
    progress["settings"] = {**run.settings, **run._fingerprint()}
    (tmp_path / "progress.json").write_text(json.dumps(progress))
    for callback in callbacks:
        callback.on_train_begin()
    assert run.resumed_from == 3 and model._initial_epoch == 3
    assert (stopper.best, stopper.best_epoch, stopper.wait) == (0.60, 1, 1)
    assert stopper.best_weights is not None  # from checkpoint.keras: the best epoch's weights
    limit = next(c for c in callbacks if type(c).__name__ == "TimeLimit")
    assert limit.spent == pytest.approx(93.0) and limit.epochs == 3


def test_an_interrupted_run_is_not_overwritten_by_accident(splits, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train(model_for(splits), splits, epochs=3, batch_size=16, out_dir=tmp_path, verbose=0,
              callbacks=[Disconnect(0)])  # fmt: skip
    with pytest.raises(DogcatError, match="interrupted run .*1 epochs done"):
        train(model_for(splits), splits, epochs=3, batch_size=16, out_dir=tmp_path, verbose=0, resume=False)
    other = build_reference_cnn((32, 32, 1), seed=0)  # another model (no min-max layer): refused
    with pytest.raises(DogcatError, match="another model or data"):
        train(other, splits, epochs=3, batch_size=16, out_dir=tmp_path, verbose=0)


def test_cli_refuses_then_resumes_an_interrupted_run(tiny_csv, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    args = ["train", str(tiny_csv), "-o", str(out), "--epochs", "3", "--batch-size", "16", "-q"]
    from dogcat_lib.learn import callbacks

    real = callbacks.ResumableTraining.on_epoch_end

    def disconnect_after_first(self, epoch, logs=None):
        real(self, epoch, logs)
        if epoch == 0 and self.resumed_from == 0:
            raise KeyboardInterrupt

    monkeypatch.setattr(callbacks.ResumableTraining, "on_epoch_end", disconnect_after_first)
    assert main(args) == 130
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (
        f"dogcat train: error: {out} holds an interrupted run (1 epochs done): --resume to continue it, "
        "or --overwrite to start over"
    )
    assert main([*args, "--resume"]) == 0
    printed = capsys.readouterr().out
    assert "3 epochs (continued after epoch 1)" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from"] == 1 and metrics["epochs_run"] == 3
