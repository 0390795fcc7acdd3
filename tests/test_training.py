"""Training and evaluation on a tiny generated CSV (1-2 epochs): files, repeatability, figures."""

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
    build_reference_cnn,
    evaluate,
    fit_scaler,
    load_model,
    read_csv,
    split_dataset,
    train,
    train_from_csv,
)
from dogcat_lib.learn.evaluation import check_fits
from dogcat_lib.learn.pipeline import make_dataset


@pytest.fixture(scope="module")
def tiny_splits(tiny_csv):
    X, y = read_csv(tiny_csv)
    return split_dataset(X, y, seed=0)


def fresh_model(splits, seed=0):
    scaler = fit_scaler(splits.X_train)
    return build_reference_cnn((32, 32, 1), scaling=scaler.layer((32, 32, 1)), seed=seed)


def test_train_returns_the_history_and_writes_its_files_atomically(tiny_splits, tmp_path):
    history = train(
        fresh_model(tiny_splits), tiny_splits, epochs=2, batch_size=16, out_dir=tmp_path, verbose=0
    )
    assert len(history.history["accuracy"]) == 2 and history.epoch == [0, 1]  # as Keras' History
    frame = history.frame()
    assert list(frame.columns) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"]
    assert frame["epoch"].tolist() == [1, 2] and (frame["seconds"] > 0).all()
    assert history.stopped_by == "all 2 epochs" and history.best_epoch in (1, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "history.csv",
        "model.keras",
    ]  # no partial, no checkpoint
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "history.csv"), frame, check_dtype=False)


def test_training_is_repeatable_with_a_seed(tiny_splits):
    runs = [
        train(fresh_model(tiny_splits, seed=1), tiny_splits, epochs=2, batch_size=16, seed=1, verbose=0)
        for _ in range(2)
    ]
    cols = ["loss", "accuracy", "val_loss", "val_accuracy"]
    np.testing.assert_array_equal(runs[0].frame()[cols].to_numpy(), runs[1].frame()[cols].to_numpy())


class SpoilAfterFirstEpoch(keras.callbacks.Callback):
    """From epoch 2 on, push the output's bias far to "dog": the validation loss can only get worse."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch >= 1:
            kernel, bias = self.model.layers[-1].get_weights()
            self.model.layers[-1].set_weights([kernel, bias + 25.0])


def test_early_stopping_restores_the_best_weights(tiny_splits):
    model = fresh_model(tiny_splits)
    history = train(
        model, tiny_splits, epochs=6, batch_size=16, patience=1, verbose=0, callbacks=[SpoilAfterFirstEpoch()]
    )
    assert history.best_epoch == 1 and history.epochs_run == 2  # epoch 2 is worse: patience 1 stops
    assert history.stopped_by.startswith("early stopping")
    val = make_dataset(tiny_splits.X_val, tiny_splits.y_val, (32, 32, 1), 16)
    loss = model.evaluate(val, verbose=0)[0]
    assert loss == pytest.approx(history.history["val_loss"][0], rel=1e-4)  # epoch 1's weights are back
    assert loss < min(history.history["val_loss"][1:])


def test_max_minutes_stops_before_an_epoch_would_overrun(tiny_splits):
    history = train(
        fresh_model(tiny_splits), tiny_splits, epochs=50, batch_size=16, max_minutes=1e-4, verbose=0
    )
    assert history.epochs_run == 1  # 6 ms of budget: the first epoch runs, no second one is started
    assert history.stopped_by.startswith("time limit")


def test_evaluate_matches_keras_and_counts_the_confusion(tiny_splits):
    model = fresh_model(tiny_splits)
    train(model, tiny_splits, epochs=1, batch_size=16, verbose=0)
    result = evaluate(model, tiny_splits.X_test, tiny_splits.y_test)
    test = make_dataset(tiny_splits.X_test, tiny_splits.y_test, (32, 32, 1), 100)
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
    with pytest.raises(DatasetError, match=r"80x80 gray \(6,400 values\) .* takes 32x32 gray"):
        check_fits(model, wide, "big.csv")
    with pytest.raises(DatasetError, match="do not fit"):
        make_dataset(wide, None, (32, 32, 1))


def test_train_from_csv_writes_model_history_metrics_and_figures(trained_run, tiny_csv):
    out = trained_run.out_dir
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "figures",
        "figures/confusion.png",
        "figures/history.png",
        "figures/mistakes.png",
        "figures/samples.png",
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
    with pytest.raises(DogcatError, match="already holds a trained model.keras"):
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


@pytest.mark.parametrize(
    ("accuracy", "val_loss", "epochs", "verdict"),
    [
        (0.95, [0.6, 0.5, 0.55, 0.6, 0.7], 5, "diagnosis: overfitting."),
        (0.60, [0.69, 0.68], 2, "diagnosis: too few epochs to tell"),
        (0.72, [0.69, 0.65, 0.62, 0.60, 0.58], 5, "diagnosis: no clear overfitting yet."),
    ],
)
def test_overfitting_diagnosis_reads_the_gap_and_the_rising_validation_loss(
    accuracy, val_loss, epochs, verdict
):
    from dogcat_lib import overfitting_diagnosis

    history = pd.DataFrame(
        {"epoch": range(1, epochs + 1), "accuracy": [accuracy] * epochs, "val_accuracy": [0.7] * epochs,
         "val_loss": val_loss}
    )  # fmt: skip
    lines = overfitting_diagnosis(history).splitlines()
    assert len(lines) == 3 and lines[2].startswith(verdict)
    assert lines[1].startswith(
        f"validation loss: lowest {min(val_loss):.4f} at epoch {val_loss.index(min(val_loss)) + 1}"
    )
