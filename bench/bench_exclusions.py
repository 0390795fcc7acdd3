"""Benchmark: does removing the photos marked in exclusions.csv change the test accuracy? (notebook 04)

Two steps on the real sample (``../shared/data/dogs-vs-cats-sample.zip`` or ``$DOGCAT_SAMPLE_ZIP``),
after ``dogcat preprocess SAMPLE -o CSV`` and ``dogcat train CSV -o BEFORE`` (the "before" model;
the reference CNN):

1. ``rank``: every CSV row gets its photo's name back (the sample decoded again with
   :func:`dogcat_lib.build_dataset` at the CSV's size and colour, and each row matched to the
   photo with the same label and pixels, so any ``--seed``, ``--limit`` or ``--exclude`` of the
   preprocessing is followed), the rows ``dogcat train`` used for training and validation (the
   same :func:`dogcat_lib.split_dataset` with the run's seed) are ranked as notebook 04 does,
   section 4: the loss of each photo by ``keras.losses.binary_crossentropy``, highest first;
   the top N are drawn on one sheet (``suspects.png``) and listed (``suspects.csv``) for a
   person to look at and mark.
2. ``compare``: the same split as the before model, minus the marked photos in the training and
   validation rows only; the same seed, scaling (:func:`dogcat_lib.fit_scaler` on the training
   rows), model (:func:`dogcat_lib.build_reference_cnn`), batch size, patience
   (``EarlyStopping(restore_best_weights=True)``) and number of epochs as the before model ran
   (no time limit, so the machine's load cannot change the budget). All models are evaluated
   with ``model.evaluate`` on the SAME test photos. ``--control`` also trains once without as
   many randomly chosen unmarked photos: how much removing photos moves the accuracy by chance.

Writes ``OUT/exclusions.json`` and ``OUT/after/model.keras`` (``OUT/control/...``; ``--results``:
also ``bench/results/exclusions.json``, the figures notebook 04 quotes) and prints a Markdown
table. Takes as long as the training runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, add_common_arguments, machine, sample_missing


def named_rows(sample: Path, csv: Path, seed: int):
    """X, y of the CSV, the photo name of each row, and the rows of each part of the split that
    ``dogcat train --seed SEED`` made of it (``train``, ``val``, ``test``: row numbers)."""
    from dogcat_lib import CLASS_NAMES, ImageSpec, build_dataset, read_csv, split_dataset

    X, y = read_csv(csv)
    spec = ImageSpec.from_pixels(X.shape[1])
    photos = build_dataset(sample, spec.size, spec.color, progress=False)
    names_of = defaultdict(list)  # (label, the pixels' digest) -> names, in name order (duplicates)
    for row, label, name in zip(photos.X, photos.y, photos.names, strict=True):
        names_of[int(label), hashlib.blake2b(row, digest_size=16).digest()].append(name)
    names = []
    for i, (row, label) in enumerate(zip(X, y, strict=True)):
        found = names_of.get((int(label), hashlib.blake2b(row, digest_size=16).digest()))
        if not found:
            raise SystemExit(
                f"row {i + 1} of {csv} (a {CLASS_NAMES[int(label)]}) is no photo of {sample} at {spec}: "
                "give the sample the CSV was made from"
            )
        names.append(found.pop(0))
    # dogcat train splits the CSV's rows with split_dataset(X, y, seed=seed): the same call on the
    # row numbers gives the same parts (the stratified split depends on y and the seed only)
    index = split_dataset(np.arange(len(y)).reshape(-1, 1), y, seed=seed)
    parts = {part: getattr(index, f"X_{part}").ravel() for part in ("train", "val", "test")}
    return X, y, names, parts


def check_split(parts: dict, before: dict, where: Path) -> None:
    """The split must have the before run's sizes (its metrics.json): else another CSV or seed."""
    sizes = {part: len(rows) for part, rows in parts.items()}
    if before.get("splits", sizes) != sizes:
        raise SystemExit(f"the split {sizes} is not the one of {where} {before['splits']}: another CSV?")


def images(X: np.ndarray, shape) -> np.ndarray:
    """uint8 rows -> (n, H, W, C) uint8 images, as notebook 02 feeds the model (it scales them)."""
    return X.reshape(-1, *shape)


def rank(args, before: dict) -> None:
    import keras
    import matplotlib

    matplotlib.use("Agg")
    import cv2
    import matplotlib.pyplot as plt
    import pandas as pd

    from dogcat_lib import CLASS_NAMES, ImageSpec, load_model, read_photo

    X, y, names, parts = named_rows(args.sample, args.csv, args.seed)
    check_split(parts, before, args.before)
    model = load_model(args.before / "model.keras")
    spec = ImageSpec.from_model(model)
    if spec.n_pixels != X.shape[1]:
        raise SystemExit(f"{args.csv} holds photos of {ImageSpec.from_pixels(X.shape[1])}, the model {spec}")
    rows = np.sort(np.concatenate([parts["train"], parts["val"]]))
    labels = y[rows]
    # notebook 04, section 4: the loss of each photo, highest first (the confidently wrong lead)
    proba = model.predict(images(X[rows], spec.shape), batch_size=before.get("batch_size", 100), verbose=0)
    loss = keras.losses.binary_crossentropy(labels.reshape(-1, 1).astype("float32"), proba.reshape(-1, 1))
    proba = proba.ravel()
    frame = pd.DataFrame(
        {
            "name": [names[i] for i in rows],
            "label": labels,
            "class": [CLASS_NAMES[int(v)] for v in labels],
            "dog_probability": proba,
            "loss": keras.ops.convert_to_numpy(loss),
            "wrong": (proba > 0.5) != (labels == 1),
        }
    )
    frame = frame.sort_values("loss", ascending=False, kind="stable")
    top = frame.head(args.top)
    args.out.mkdir(parents=True, exist_ok=True)
    top.round(4).to_csv(args.out / "suspects.csv", index=False)
    print(f"{len(rows)} training + validation photos ranked; {int(frame['wrong'].sum())} predicted wrong")
    columns = 6
    lines = max(1, int(np.ceil(len(top) / columns)))
    fig, axes = plt.subplots(lines, columns, figsize=(2.6 * columns, 2.9 * lines), squeeze=False)
    for ax, (_, row) in zip(axes.flat, top.iterrows(), strict=False):
        data = np.frombuffer(read_photo(args.sample, row["name"]), np.uint8)
        ax.imshow(cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))
        ax.set_title(
            f"{Path(row['name']).name}\nlabel {row['class']}, P(dog) {row['dog_probability']:.2f}, "
            f"loss {row['loss']:.2f}",
            fontsize=8,
        )
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(args.out / "suspects.png", dpi=90)
    print(f"wrote {args.out / 'suspects.png'} and suspects.csv (top {len(top)})")


def train_without(X, y, parts, drop: set[int], epochs: int, patience: int, batch_size: int, seed: int):
    """The before model's recipe (``dogcat train``) on its split minus the rows in ``drop`` (train/val
    only): returns the model, its ``model.evaluate`` on the test rows, and the epochs' figures."""
    import keras

    from dogcat_lib import ImageSpec, build_reference_cnn, fit_scaler

    keep = {part: np.array([i for i in parts[part] if i not in drop], np.int64) for part in ("train", "val")}
    spec = ImageSpec.from_pixels(X.shape[1])
    X_train, y_train = X[keep["train"]], y[keep["train"]].astype("float32")
    model = build_reference_cnn(spec.shape, scaling=fit_scaler(X_train, spec.shape), seed=seed)
    keras.utils.set_random_seed(seed)
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    fit = model.fit(
        images(X_train, spec.shape), y_train, batch_size=batch_size, epochs=epochs, shuffle=True,
        validation_data=(images(X[keep["val"]], spec.shape), y[keep["val"]].astype("float32")),
        callbacks=[stopper], verbose=0,
    )  # fmt: skip
    test = test_figures(model, X, y, parts, batch_size)
    val_loss = fit.history["val_loss"]
    sizes = {"train": len(keep["train"]), "val": len(keep["val"]), "test": len(parts["test"])}
    epochs = {"epochs_run": len(val_loss), "best_epoch": int(np.argmin(val_loss)) + 1, "splits": sizes}
    return model, test, epochs


def test_figures(model, X, y, parts, batch_size: int) -> dict:
    """``model.evaluate`` on the test rows: {"loss": ..., "accuracy": ...}."""
    from dogcat_lib import ImageSpec

    rows = parts["test"]
    shape = ImageSpec.from_model(model).shape
    figures = model.evaluate(images(X[rows], shape), y[rows].astype("float32"), batch_size=batch_size,
                             verbose=0, return_dict=True)  # fmt: skip
    return {"accuracy": float(figures["accuracy"]), "loss": float(figures["loss"])}


def compare(args, before: dict) -> None:
    from dogcat_lib import load_model, read_exclusions

    if args.exclusions is None:
        raise SystemExit("compare needs --exclusions FILE (the marks, name,reason)")
    if before.get("model", "reference") != "reference":
        raise SystemExit(
            f"{args.before} is a {before['model']} model: this benchmark retrains the reference CNN"
        )
    X, y, names, parts = named_rows(args.sample, args.csv, args.seed)
    check_split(parts, before, args.before)
    marks = read_exclusions(args.exclusions).marks
    row_of = {name: i for i, name in enumerate(names)}
    unknown = sorted(set(marks) - set(row_of))
    if unknown:
        raise SystemExit(f"{len(unknown)} marked photos are no rows of {args.csv}, e.g. {unknown[0]!r}")
    marked = {row_of[name] for name in marks}
    if not marked:
        raise SystemExit(f"{args.exclusions} marks no photo: nothing to remove")
    in_test = marked & set(parts["test"].tolist())
    if in_test:
        raise SystemExit(f"{len(in_test)} marked photos are in the test split: mark training photos only")
    epochs, batch_size = before["epochs_run"], before.get("batch_size", 100)
    test = test_figures(load_model(args.before / "model.keras"), X, y, parts, batch_size)
    runs = {"before": {**test, "removed": 0, "epochs": epochs, "epochs_run": epochs,
                       "best_epoch": before["best_epoch"], "splits": before["splits"]}}  # fmt: skip
    variants = {"after": marked}
    if args.control:
        rng = np.random.default_rng(args.seed + 1)
        pool = np.array(sorted((set(parts["train"].tolist()) | set(parts["val"].tolist())) - marked))
        variants["control"] = set(rng.choice(pool, size=len(marked), replace=False).tolist())
    for label, drop in variants.items():
        model, test, fit = train_without(X, y, parts, drop, epochs, args.patience, batch_size, args.seed)
        (args.out / label).mkdir(parents=True, exist_ok=True)
        model.save(args.out / label / "model.keras")
        runs[label] = {**test, "removed": len(drop), "epochs": epochs, **fit}
        print(f"{label}: test accuracy {test['accuracy']:.4f}, loss {test['loss']:.4f}", flush=True)
    report = {"machine": machine(), "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
              "test_photos": len(parts["test"]), "seed": args.seed, "patience": args.patience,
              "marked": len(marked), "marks": dict(sorted(marks.items())), "runs": runs}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "exclusions.json").write_text(json.dumps(report, indent=2) + "\n")
    if args.results:  # the figures notebook 04 quotes: committed, the models are not
        (RESULTS / "exclusions.json").write_text(json.dumps(report, indent=2) + "\n")
    test_photos = len(parts["test"])
    print(f"\nsame {test_photos} test photos; at most {epochs} epochs each (as before), seed {args.seed}\n")
    print(
        "| model | photos removed | train / val rows | epochs run | best epoch | test accuracy | test loss |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, r in runs.items():
        s = r["splits"]
        print(f"| {label} | {r['removed']} | {s['train']} / {s['val']} | {r['epochs_run']} | "
              f"{r['best_epoch']} | {r['accuracy']:.4f} | {r['loss']:.4f} |")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_arguments(parser)
    parser.add_argument("step", choices=("rank", "compare"))
    parser.add_argument("--csv", type=Path, required=True, help="the CSV the before model was trained on")
    parser.add_argument("--before", type=Path, required=True, help="the `dogcat train` run folder")
    parser.add_argument("--exclusions", type=Path, help="compare: the marks")
    parser.add_argument("--top", type=int, default=30, help="rank: how many suspects to draw")
    parser.add_argument("--control", action="store_true", help="compare: also drop as many random photos")
    parser.add_argument(
        "--seed", type=int, help="the `dogcat train --seed` of the before run (default: its metrics.json's)"
    )
    parser.add_argument(
        "--patience", type=int, default=10, help="compare: the `dogcat train --patience` of the before run"
    )
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--results", action="store_true", help="compare: also write bench/results/")
    args = parser.parse_args()
    if sample_missing(args, "exclusions benchmark"):
        return 0
    # Keras (TensorFlow) before dogcat_lib.learn: that imports TensorFlow with stderr redirected, and
    # TensorFlow's Python logger would keep the closed stream ("Logging error" at its first warning)
    import keras  # noqa: F401

    try:
        before = json.loads((args.before / "metrics.json").read_text())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{args.before} is no finished `dogcat train` run ({exc})") from None
    if args.seed is None:
        args.seed = int(before.get("seed", 0))
    elif args.seed != before.get("seed", args.seed):
        raise SystemExit(f"--seed {args.seed}, but {args.before} was trained with --seed {before['seed']}")
    rank(args, before) if args.step == "rank" else compare(args, before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
