"""Where a notebook and the library hold the same thing, they are the same (no silent drift).

The notebooks run the course's own code (the labeling function, the split, the Sequential model,
the augmentation layers, the improved CNN, the transfer phases); the CLI and the benchmarks use
the library's functions. Each test takes the code from the committed notebook's cell, runs it,
and compares: same labels on the same names, same arrays, same layers, configs and parameter counts.
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
    label_img = run_cell("01_preprocess_local.ipynb", "def label_img(")["label_img"]
    for name in KAGGLE_NAMES:  # Kaggle's own names: train/ and test1/ as the course unzips them
        assert label_img(name) == label_from_name(name), name
    # beyond the course: the library also reads folders and any case, and never guesses
    assert (label_img("Cat/1.jpg"), label_from_name("Cat/1.jpg")) == (None, 0)
    assert (label_img("CAT.5.JPG"), label_from_name("CAT.5.JPG")) == (None, 0)
    assert (label_img("cat.jpg"), label_from_name("cat.jpg")) == (0, None)  # no id: not Kaggle's, not guessed


def test_notebook_02s_split_is_split_dataset():
    from sklearn.model_selection import train_test_split

    from dogcat_lib import split_dataset

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (200, 16), dtype=np.uint8)
    y = (np.arange(200) % 3 == 0).astype(np.uint8)
    cell = run_cell(
        "02_train_colab.ipynb",
        "train_test_split(X, y",
        X=X,
        y=y,
        SEED=4,
        train_test_split=train_test_split,
        np=np,
    )
    data = split_dataset(X, y, seed=4)
    for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        np.testing.assert_array_equal(cell[name], getattr(data, name), err_msg=name)


keras = pytest.importorskip("keras")


def architecture(model) -> list:
    """Each layer's class and config without its (auto-numbered) name, nested models unfolded."""
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):  # a nested Sequential (augmentation) or backbone
            layers.append((type(layer).__name__, architecture(layer)))
            continue
        config = {k: v for k, v in layer.get_config().items() if k != "name"}
        layers.append((type(layer).__name__, config))
    return layers


def trainable(model) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def test_notebook_02s_sequential_model_is_build_reference_cnn():
    from dogcat_lib import build_reference_cnn, fit_scaler, get_strategy

    X = np.random.default_rng(0).integers(0, 256, (20, 80 * 80), dtype=np.uint8)
    scaler = fit_scaler(X)
    from dogcat_lib import ImageSpec

    cell = run_cell("02_train_colab.ipynb", "model = keras.Sequential(", SEED=0, spec=ImageSpec(80, "gray"),
                    scaling=scaler.layer((80, 80, 1)), keras=keras, layers=keras.layers,
                    get_strategy=get_strategy)  # fmt: skip
    ours, library = cell["model"], build_reference_cnn((80, 80, 1), scaling=scaler.layer((80, 80, 1)))
    assert architecture(ours) == architecture(library)
    assert (
        trainable(ours) == trainable(library) == 2_764_417 and ours.count_params() == library.count_params()
    )
    assert ours.optimizer.get_config() | {"name": ""} == library.optimizer.get_config() | {"name": ""}
    assert ours.loss == library.loss == "binary_crossentropy"


@pytest.fixture(scope="module")
def notebook_03():
    """Notebook 03's definitions (augmentation, improved_cnn, transfer_cnn), run as the notebook runs them."""
    namespace = {"keras": keras, "layers": keras.layers, "SEED": 0, "PRETRAINED": False}
    for marker in ("def augmentation(", "def improved_cnn(", "def transfer_cnn("):
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


def test_notebook_03s_transfer_phases_are_build_transfer_cnn_and_fine_tune(notebook_03):
    from dogcat_lib import build_transfer_cnn, fine_tune, get_strategy

    ours, base = notebook_03["transfer_cnn"]((80, 80, 1), pretrained=False)
    library = build_transfer_cnn((80, 80, 1), weights=None)
    assert architecture(ours) == architecture(library)
    assert trainable(ours) == trainable(library) == 577  # phase 1: only the new head learns
    assert ours.optimizer.get_config() | {"name": ""} == library.optimizer.get_config() | {"name": ""}
    code = cell_with("03_beat_overfitting.ipynb", "base.trainable = True")
    phase_two = code.split("    print(")[0]  # unfreeze the top 30, BatchNorm frozen, recompile lower
    phase_two = phase_two.replace('if "transfer" in wanted and FINE_TUNE_EPOCHS:', "if True:")
    names = {"base": base, "layers": keras.layers, "keras": keras, "transfer": ours}
    names["get_strategy"] = get_strategy
    exec(compile(phase_two, "notebook 03, phase 2", "exec"), names)
    fine_tune(library, top_layers=30, learning_rate=1e-5)
    assert trainable(ours) == trainable(library) > 577
    assert ours.optimizer.get_config() | {"name": ""} == library.optimizer.get_config() | {"name": ""}
    assert ours.loss == library.loss == "binary_crossentropy"
    assert [layer.trainable for layer in base.layers] == [
        layer.trainable for layer in next(la for la in library.layers if isinstance(la, keras.Model)
                                          and la.name != "augmentation").layers
    ]  # fmt: skip
