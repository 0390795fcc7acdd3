"""Training and evaluation on a tiny generated CSV (1-2 epochs): files, repeatability, the callbacks."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tensorflow")

import keras

from dogcat_lib import (
    DatasetError,
    DogcatError,
    ImageSpec,
    build_reference_cnn,
    evaluate,
    fit_scaler,
    load_model,
    read_csv,
    split_dataset,
    train_from_csv,
)
from dogcat_lib.learn.pipeline import check_fits, make_dataset
from dogcat_lib.learn.training import TimeBudget, read_history, training_callbacks

SPEC = ImageSpec(32)


@pytest.fixture(scope="module")
def tiny_splits(tiny_csv):
    X, y = read_csv(tiny_csv)
    return split_dataset(X, y, seed=0)


def fresh_model(splits, seed=0):
    return build_reference_cnn(SPEC.shape, scaling=fit_scaler(splits.X_train, SPEC.shape), seed=seed)


def test_the_run_keeps_every_epoch_in_keras_csv_log_and_ends_with_the_model(trained_run):
    history = read_history(trained_run.out_dir)
    assert set(history.columns) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    assert history["epoch"].tolist() == [1, 2] and (history["seconds"] > 0).all()
    assert trained_run.stopped_by == "all 2 epochs" and trained_run.best_epoch in (1, 2)
    pd.testing.assert_frame_equal(history, trained_run.history)


def test_training_is_repeatable_with_a_seed(tiny_csv, tmp_path):
    runs = [train_from_csv(tiny_csv, tmp_path / f"run{i}", epochs=2, batch_size=16, seed=1, verbose=0)
            for i in range(2)]  # fmt: skip
    cols = ["loss", "accuracy", "val_loss", "val_accuracy"]
    np.testing.assert_array_equal(runs[0].history[cols].to_numpy(), runs[1].history[cols].to_numpy())


class SpoilAfterFirstEpoch(keras.callbacks.Callback):
    """From epoch 2 on, push the output's bias far to "dog": the validation loss can only get worse."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch >= 1:
            kernel, bias = self.model.layers[-1].get_weights()
            self.model.layers[-1].set_weights([kernel, bias + 25.0])


def test_early_stopping_restores_the_best_weights_and_the_checkpoint_keeps_them(tiny_splits, tmp_path):
    model = fresh_model(tiny_splits)
    train = make_dataset(tiny_splits.X_train, tiny_splits.y_train, SPEC, 16, shuffle=True)
    val = make_dataset(tiny_splits.X_val, tiny_splits.y_val, SPEC, 16)
    callbacks = training_callbacks(tmp_path, patience=1)
    fit = model.fit(
        train, validation_data=val, epochs=6, callbacks=[*callbacks, SpoilAfterFirstEpoch()], verbose=0
    )
    assert len(fit.epoch) == 2  # epoch 2 is worse: patience 1 stops
    loss = model.evaluate(val, verbose=0)[0]
    assert loss == pytest.approx(fit.history["val_loss"][0], rel=1e-4)  # epoch 1's weights are back
    assert loss < min(fit.history["val_loss"][1:])
    best = load_model(tmp_path / "best.keras")
    assert best.evaluate(val, verbose=0)[0] == pytest.approx(loss, rel=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.keras", "history.csv"]  # the backup is gone


def test_max_minutes_stops_before_an_epoch_would_overrun(tiny_csv, tmp_path):
    run = train_from_csv(tiny_csv, tmp_path / "run", epochs=50, batch_size=16, max_minutes=1e-4, verbose=0)
    assert len(run.history) == 1  # 6 ms of budget: the first epoch runs, no second one is started
    assert run.stopped_by.startswith("time limit")
    budget = TimeBudget(minutes=1.0, spent=50.0, done=2)  # an interrupted run's time counts too
    budget.set_model(run.model)
    budget.on_epoch_begin(2)
    budget.on_epoch_end(2, logs := {})
    assert logs["seconds"] < 1 and budget.stopped  # 50 s + one more 17 s epoch would pass 60 s


def test_evaluate_matches_keras_and_counts_the_confusion(trained_run, tiny_splits):
    model = trained_run.model
    result = evaluate(model, tiny_splits.X_test, tiny_splits.y_test)
    test = make_dataset(tiny_splits.X_test, tiny_splits.y_test, SPEC, 100)
    keras_loss, keras_accuracy = model.evaluate(test, verbose=0)
    assert result.loss == pytest.approx(keras_loss, rel=1e-4)
    assert result.accuracy == pytest.approx(keras_accuracy)
    assert result.confusion.sum() == result.n == len(tiny_splits.y_test)
    assert result.confusion.sum(axis=1).tolist() == np.bincount(tiny_splits.y_test, minlength=2).tolist()
    assert "accuracy" in result.report() and json.dumps(result.to_dict())


def test_evaluate_counts_the_confusion_precision_and_recall_exactly(monkeypatch):
    from dogcat_lib.learn import evaluation

    y = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    proba = np.array([0.1, 0.6, 0.4, 0.9, 0.2, 0.7, 0.8, 0.3], np.float32)  # 2 mistakes: rows 1 and 4
    monkeypatch.setattr(evaluation, "predict_proba", lambda model, X, batch_size=100: proba)
    result = evaluation.evaluate(None, np.zeros((8, 4), np.uint8), y)
    assert result.confusion.tolist() == [[3, 1], [1, 3]] and result.accuracy == 0.75
    assert result.precision == {"cat": 0.75, "dog": 0.75} and result.recall == {"cat": 0.75, "dog": 0.75}
    expected_loss = -np.mean(y * np.log(proba) + (1 - y) * np.log(1 - proba))
    assert result.loss == pytest.approx(expected_loss, rel=1e-6)
    monkeypatch.setattr(evaluation, "predict_proba", lambda model, X, batch_size=100: np.zeros(8, np.float32))
    none_dog = evaluation.evaluate(None, np.zeros((8, 4), np.uint8), y)  # never predicts a dog
    assert none_dog.precision["dog"] == 0.0 and none_dog.recall == {"cat": 1.0, "dog": 0.0}


def test_rows_that_do_not_fit_the_model_are_a_clear_error(tiny_splits):
    model = build_reference_cnn((32, 32, 1))
    wide = np.zeros((3, 80 * 80), np.uint8)
    with pytest.raises(DatasetError, match=r"^big.csv holds 80x80 gray \(6,400 values\) .* takes 32x32 gray"):
        check_fits(wide, SPEC, "big.csv")
    for X, have in ((wide, "80x80 gray"), (wide[:, :5], "5 values"), (wide.reshape(3, 80, 80), "an array")):
        with pytest.raises(DatasetError, match=f"^the CSV holds {have}.* takes 32x32 gray"):
            make_dataset(X, None, SPEC)  # every caller: training, evaluate, predict
        with pytest.raises(DatasetError, match=f"^the CSV holds {have}.* takes 32x32 gray"):
            evaluate(model, X, np.zeros(3, np.uint8))


def test_train_from_csv_writes_model_history_and_metrics(trained_run, tiny_csv):
    out = trained_run.out_dir  # figures/ is drawn by `dogcat train` (tests/test_cli_training.py)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "history.csv",
        "metrics.json",
        "model.keras",
    ]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["splits"] == {"train": 39, "val": 17, "test": 24}
    assert metrics["input_shape"] == [32, 32, 1] and metrics["epochs_run"] == 2
    assert metrics["accuracy"] == pytest.approx(trained_run.evaluation.accuracy)
    # the saved model reproduces the test figures without dogcat_lib's scaler: it is inside the model
    reloaded = evaluate(load_model(out / "model.keras"), trained_run.splits.X_test, trained_run.splits.y_test)
    assert reloaded.loss == pytest.approx(metrics["loss"], rel=1e-5)


def test_train_from_csv_refuses_to_replace_a_model(trained_run, tiny_csv):
    before = (trained_run.out_dir / "model.keras").stat().st_mtime_ns
    with pytest.raises(DogcatError, match="already holds model.keras"):
        train_from_csv(tiny_csv, trained_run.out_dir, epochs=1)
    assert (trained_run.out_dir / "model.keras").stat().st_mtime_ns == before


def test_load_model_says_what_is_wrong(tmp_path):
    with pytest.raises(DogcatError, match="does not exist"):
        load_model(tmp_path / "missing.keras")
    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    with pytest.raises(DogcatError, match="is not a Keras model"):
        load_model(text)
    import zipfile

    other = tmp_path / "photos.keras"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("cat.1.jpg", b"jpeg")
    with pytest.raises(DogcatError, match="not a loadable Keras model"):
        load_model(other)
