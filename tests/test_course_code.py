"""Where a notebook cell and the library hold the same thing, they are the same (no silent drift).

The notebooks teach with the course's own code and Keras' and scikit-learn's tools; the CLI runs
the library's functions. Each test takes the code from the committed notebook's cell, runs it, and
compares it with the library: the same labels, splits, scaling, layers, callbacks, evaluation,
curves and Grad-CAM.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from notebook_tools import NOTEBOOKS

from dogcat_lib import label_from_name


def cell_with(notebook: str, marker: str) -> str:
    """The source of the one code cell of ``notebook`` that contains ``marker``."""
    cells = [
        c.source for c in nbformat.read(NOTEBOOKS / notebook, as_version=4).cells if c.cell_type == "code"
    ]
    found = [source for source in cells if marker in source]
    assert len(found) == 1, f"{notebook}: {len(found)} code cells contain {marker!r}"
    return found[0]


def run_cell(notebook: str, marker: str, **names) -> dict:
    namespace = dict(names)
    exec(compile(cell_with(notebook, marker), f"{notebook}:{marker}", "exec"), namespace)
    return namespace


KAGGLE_NAMES = [f"{kind}.{i}.jpg" for kind in ("cat", "dog") for i in (0, 1, 7, 42, 12499)] + [
    "1.jpg", "12500.jpg", "dog.1.png", "cats.1.jpg", "hotdog.1.jpg",
]  # fmt: skip


def test_notebook_01s_labeling_function_gives_the_librarys_labels():
    labeling = run_cell("01_preprocess_local.ipynb", "def labeling(")["labeling"]
    for name in KAGGLE_NAMES:  # Kaggle's own names: train/ and test1/ as the course unzips them
        assert labeling(name) == label_from_name(name), name
    # beyond the course: the library also reads folders and any case, and never guesses
    assert (labeling("Cat/1.jpg"), label_from_name("Cat/1.jpg")) == (None, 0)
    assert (labeling("CAT.5.JPG"), label_from_name("CAT.5.JPG")) == (None, 0)
    assert (labeling("cat.jpg"), label_from_name("cat.jpg")) == (0, None)  # no id: not Kaggle's, not guessed


def rows(n: int = 200, d: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, d), dtype=np.uint8), (np.arange(n) % 3 == 0).astype(np.uint8)


def test_notebook_02s_stratified_split_is_split_dataset():
    from sklearn.model_selection import train_test_split

    from dogcat_lib import split_dataset

    X, y = rows()
    cell = run_cell("02_train_colab.ipynb", "stratify=t_data", x_data=X, t_data=y, SEED=4, np=np,
                    train_test_split=train_test_split, print=lambda *a: None)  # fmt: skip
    data = split_dataset(X, y, seed=4)
    for ours, library in (("t_train_s", "y_train"), ("t_val_s", "y_val"), ("t_test_s", "y_test")):
        np.testing.assert_array_equal(cell[ours], getattr(data, library), err_msg=ours)


def test_notebook_02s_leak_measure_reads_the_courses_second_scaler():
    from sklearn.preprocessing import MinMaxScaler

    x_train = np.array([[0, 0], [200, 100]], np.uint8)
    x_test = np.array([[50, 50], [250, 150]], np.uint8)
    course = MinMaxScaler().fit(x_test).transform(x_test)  # the course's second fit
    printed = []
    run_cell("02_train_colab.ipynb", "leak_free = train_scaler", np=np, MinMaxScaler=MinMaxScaler,
             x_data_train=x_train, x_data_test=x_test, x_data_test_norm=course, x_data_train_norm=None,
             print=printed.append)  # fmt: skip
    # ours: (x - 0) / 200 and / 100; the course's: (x - 50) / 200 and / 100
    assert printed[0].endswith(": 100.0%") and "가장 큰 값 0.5000, 평균 0.37500" in printed[1]
    assert printed[2].endswith("50.000%")  # 250/200 and 150/100 fall outside 0..1


keras = pytest.importorskip("keras")


def architecture(model) -> list:
    """Each layer's class and config without its (auto-numbered) name, nested models unfolded."""
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):  # a nested Sequential (augmentation)
            layers.append((type(layer).__name__, architecture(layer)))
            continue
        config = {k: v for k, v in layer.get_config().items() if k not in ("name", "mean", "variance")}
        layers.append((type(layer).__name__, config))
    return layers


def trainable(model) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


@pytest.fixture(scope="module")
def scaled():
    """Training rows, and notebook 02's scaling layer (from MinMaxScaler) run as the notebook runs it."""
    from sklearn.preprocessing import MinMaxScaler

    X = np.random.default_rng(0).integers(0, 256, (30, 80 * 80), dtype=np.uint8)
    X[:, 7] = 3  # a constant pixel: MinMaxScaler scales it by 1
    cell = run_cell("02_train_colab.ipynb", "scaling = layers.Normalization(", keras=keras, np=np,
                    layers=keras.layers, train_scaler=MinMaxScaler().fit(X[:20]), x_data_test=X[20:],
                    print=lambda *a: None)  # fmt: skip
    return X, cell["scaling"]


def test_notebook_02s_scaling_layer_is_fit_scaler(scaled):
    from dogcat_lib import fit_scaler

    X, scaling = scaled
    library = fit_scaler(X[:20], (80, 80, 1))
    images = X[20:].reshape(-1, 80, 80, 1).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(scaling(images)), keras.ops.convert_to_numpy(library(images)), atol=1e-6
    )


def test_notebook_02s_sequential_model_is_build_reference_cnn(scaled):
    from dogcat_lib import build_reference_cnn, fit_scaler

    X, scaling = scaled
    cell = run_cell("02_train_colab.ipynb", "model = keras.Sequential(", SEED=0, scaling=scaling, keras=keras,
                    layers=keras.layers)  # fmt: skip
    ours, library = cell["model"], build_reference_cnn((80, 80, 1), scaling=fit_scaler(X[:20], (80, 80, 1)))
    assert architecture(ours) == architecture(library)
    assert (
        trainable(ours) == trainable(library) == 2_764_417 and ours.count_params() == library.count_params()
    )
    assert ours.optimizer.get_config() | {"name": ""} == library.optimizer.get_config() | {"name": ""}
    assert ours.loss == library.loss == "binary_crossentropy"


def callbacks_config(callbacks) -> list:
    """Each Keras callback's class and what it is set to do (its paths as strings)."""
    keep = ("monitor", "patience", "restore_best_weights", "save_best_only", "filepath", "filename",
            "append", "backup_dir", "factor", "min_lr", "minutes")  # fmt: skip
    found = []
    for callback in callbacks:
        if isinstance(callback, keras.callbacks.LambdaCallback):
            continue  # the notebook's own Korean epoch line
        settings = {k: str(v) for k, v in vars(callback).items() if k in keep}
        settings["threshold"] = getattr(callback, "best", None)  # ModelCheckpoint's initial_value_threshold
        found.append((type(callback).__name__, settings))
    return found


def test_notebook_02s_callbacks_are_the_ones_dogcat_train_uses(tmp_path):
    import pandas as pd

    from dogcat_lib import TimeBudget
    from dogcat_lib.learn.training import training_callbacks

    names = {"keras": keras, "pd": pd, "TimeBudget": TimeBudget, "MAX_MINUTES": 30, "EPOCHS": 5}
    names.update(OUT_DIR=str(tmp_path), output_folder=lambda path: tmp_path, print=lambda *a: None)
    state = run_cell("02_train_colab.ipynb", "if EPOCHS < 1:", **names)
    cell = run_cell("02_train_colab.ipynb", "callbacks = [", **state)
    library = training_callbacks(tmp_path, patience=10, best_so_far=None, budget=TimeBudget(30))
    assert callbacks_config(cell["callbacks"]) == callbacks_config(library)
    assert any(isinstance(c, keras.callbacks.BackupAndRestore) for c in library)


def test_notebook_02s_evaluation_is_the_librarys_evaluate(trained_run):
    """Keras' evaluate and scikit-learn's confusion_matrix / classification_report in the cell give
    the figures of dogcat_lib's evaluate (the CLI's metrics.json) on the same model and rows."""
    import pandas as pd
    from sklearn.metrics import ConfusionMatrixDisplay, classification_report, confusion_matrix

    from dogcat_lib import evaluate

    model, data = trained_run.model, trained_run.splits
    side = model.input_shape[1]
    X = data.X_test
    loss_cell = cell_with("02_train_colab.ipynb", "test_loss, test_accuracy = model.evaluate(")
    evaluation_cell = cell_with("02_train_colab.ipynb", "confusion = confusion_matrix(")
    names = {"model": model, "x_data_test": X, "t_data_test": data.y_test, "np": np, "pd": pd}
    names.update(confusion_matrix=confusion_matrix, classification_report=classification_report)
    names.update(ConfusionMatrixDisplay=ConfusionMatrixDisplay, plt=_quiet_pyplot(), print=lambda *a: None)
    for source in (loss_cell, evaluation_cell):
        exec(source.replace("80, 80", f"{side}, {side}"), names)  # the course's 80x80; the fixture is 32x32
    library = evaluate(model, X, data.y_test)
    assert names["test_loss"] == pytest.approx(library.loss, rel=1e-4)
    assert names["test_accuracy"] == pytest.approx(library.accuracy)
    np.testing.assert_array_equal(names["confusion"], library.confusion)
    report = names["report"]
    for label, name in ((0, "cat"), (1, "dog")):
        korean = ("고양이", "강아지")[label]
        assert report.loc[korean, "precision"] == pytest.approx(library.precision[name])
        assert report.loc[korean, "recall"] == pytest.approx(library.recall[name])


def _quiet_pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.show = lambda *a, **k: plt.close("all")
    return plt


def test_notebook_02s_curves_are_plot_history():
    from matplotlib.ticker import MaxNLocator

    from dogcat_lib import plot_history

    plt = _quiet_pyplot()

    class History:  # the shape of what model.fit returns
        def __init__(self):
            self.history = {"loss": [0.7, 0.5, 0.4], "accuracy": [0.5, 0.7, 0.8]}
            self.history |= {"val_loss": [0.69, 0.6, 0.65], "val_accuracy": [0.5, 0.66, 0.64]}
            self.epoch = [0, 1, 2]

    source = cell_with("02_train_colab.ipynb", "plt.subplot(1, 2, i)").replace("plt.show()", "")
    names = {"history": History(), "plt": plt, "MaxNLocator": MaxNLocator}
    exec(source, names)
    ours = [[list(line.get_xydata().ravel()) for line in ax.lines] for ax in plt.gcf().axes]
    library = plot_history(History())
    theirs = [[list(line.get_xydata().ravel()) for line in ax.lines[:2]] for ax in library.axes]
    assert ours == theirs  # the same epochs and values: training then validation, accuracy then loss
    plt.close("all")


@pytest.fixture(scope="module")
def notebook_03(tmp_path_factory):
    """Notebook 03's definitions (augmentation, the improved CNN, callbacks_for), run as the notebook does."""
    import pandas as pd

    from dogcat_lib import TimeBudget

    namespace = {"keras": keras, "layers": keras.layers, "SEED": 0, "pd": pd,
                 "TimeBudget": TimeBudget, "MAX_MINUTES": None}  # fmt: skip
    for marker in ("def augmentation(", "def improved_cnn(", "def callbacks_for("):
        namespace.update(run_cell("03_beat_overfitting.ipynb", marker, **namespace))
    return namespace


def test_notebook_03s_augmentation_is_the_librarys(notebook_03):
    from dogcat_lib import augmentation

    assert architecture(keras.Sequential([notebook_03["augmentation"]()])) == architecture(
        keras.Sequential([augmentation(seed=0)])
    )


def test_notebook_03s_improved_cnn_is_build_improved_cnn(notebook_03):
    from dogcat_lib import build_improved_cnn

    for shape in ((80, 80, 1), (64, 64, 3)):
        scaling = keras.layers.Rescaling(1 / 255)
        ours = notebook_03["improved_cnn"](shape, scaling)
        library = build_improved_cnn(shape, scaling=keras.layers.Rescaling(1 / 255))
        assert architecture(ours) == architecture(library)
        assert trainable(ours) == trainable(library)
        assert ours.optimizer.get_config() | {"name": ""} == library.optimizer.get_config() | {"name": ""}
    assert trainable(notebook_03["improved_cnn"]((80, 80, 1), keras.layers.Rescaling(1.0))) == 1_126_625


def test_notebook_03s_callbacks_are_dogcat_trains(notebook_03, tmp_path):
    from dogcat_lib import TimeBudget
    from dogcat_lib.learn.training import training_callbacks

    plateau = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=3, min_lr=1e-6)
    ours = notebook_03["callbacks_for"](tmp_path, extra=[plateau])
    library = training_callbacks(tmp_path, patience=10, reduce_lr_patience=3, budget=TimeBudget())
    assert callbacks_config(ours) == callbacks_config(library)


def test_notebook_04s_grad_cam_is_the_librarys_explain(trained_run, tmp_path):
    """The fifteen lines of notebook 04 (tf.GradientTape, the course's Sequential) compute the heatmap
    that `dogcat explain` and the web page draw, for a saved model loaded back too."""
    import cv2
    import tensorflow as tf

    from dogcat_lib import ImageSpec, explain, load_model

    path = tmp_path / "model.keras"
    trained_run.model.save(path)
    for model in (trained_run.model, load_model(path)):
        spec = ImageSpec.from_model(model)
        names = {"layers": keras.layers, "tf": tf, "np": np, "cv2": cv2, "spec": spec}
        grad_cam = run_cell("04_inside_the_cnn.ipynb", "def grad_cam(", **names)["grad_cam"]
        for row in trained_run.splits.X_test[:4]:
            pixels = row.reshape(spec.size, spec.size)
            np.testing.assert_allclose(grad_cam(model, pixels), explain(model, pixels), atol=1e-5)
            for target in (0, 1):
                ours, library = grad_cam(model, pixels, target), explain(model, pixels, target=target)
                np.testing.assert_allclose(ours, library, atol=1e-5)
