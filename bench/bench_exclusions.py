"""Benchmark: does removing the photos marked in exclusions.csv change the test accuracy? (notebook 04)

Two steps on the real sample (``../shared/data/dogs-vs-cats-sample.zip`` or ``$DOGCAT_SAMPLE_ZIP``),
after ``dogcat preprocess SAMPLE -o CSV`` and ``dogcat train CSV -o BEFORE`` (the "before" model):

1. ``rank``: every CSV row gets its photo's name back (the CSV's rows are the name-sorted photos
   in ``shuffled_order``; checked label by label), the rows ``dogcat train`` used for training and
   validation are ranked by :func:`dogcat_lib.rank_suspects`, and the top N are drawn on one sheet
   (``suspects.png``) and listed (``suspects.csv``) for a person to look at and mark.
2. ``compare``: the same split as the before model, minus the marked photos in the training and
   validation rows only; the same seed, the same number of epochs as the before model ran (no
   time limit, so the machine's load cannot change the budget), the same patience. Both models
   are evaluated on the SAME test photos. ``--control`` also trains once without as many
   randomly chosen unmarked photos: how much removing photos moves the accuracy by chance.

Writes ``OUT/exclusions.json`` (``--results``: also ``bench/results/exclusions.json``, the figures
notebook 04 quotes) and prints a Markdown table. Takes as long as the training runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, add_common_arguments, machine, sample_missing


def named_rows(sample: Path, csv: Path, seed: int):
    """X, y of the CSV and the photo name of each row; the split ``dogcat train --seed`` used."""
    from dogcat_lib import list_photos, read_csv, split_dataset
    from dogcat_lib.data.csvio import shuffled_order

    X, y = read_csv(csv)
    photos = list_photos(sample)
    if len(photos) != len(y):
        raise SystemExit(
            f"{csv} has {len(y)} rows but {sample} {len(photos)} labelled photos: a photo was skipped"
        )
    order = shuffled_order(len(photos), seed)
    names = [photos[i][0] for i in order]
    labels = np.array([photos[i][1] for i in order], np.uint8)
    if not np.array_equal(labels, y):
        raise SystemExit("the CSV's labels do not follow the shuffled photo order: another seed?")
    index = split_dataset(np.arange(len(y)).reshape(-1, 1), y, seed=seed)
    parts = {part: getattr(index, f"X_{part}").ravel() for part in ("train", "val", "test")}
    return X, y, names, parts


def rank(args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dogcat_lib import load_model, rank_suspects, read_photo
    from dogcat_lib.data.photo import decode_photo

    X, y, names, parts = named_rows(args.sample, args.csv, args.seed)
    model = load_model(args.before / "model.keras")
    rows = np.sort(np.concatenate([parts["train"], parts["val"]]))
    frame = rank_suspects(model, X[rows], y[rows], [names[i] for i in rows])
    args.out.mkdir(parents=True, exist_ok=True)
    frame.head(args.top).to_csv(args.out / "suspects.csv", index=False)
    print(f"{len(rows)} training + validation photos ranked; {int(frame['wrong'].sum())} predicted wrong")
    columns = 6
    fig, axes = plt.subplots(
        int(np.ceil(args.top / columns)), columns, figsize=(2.6 * columns, 2.9 * args.top / columns)
    )
    for ax, (_, row) in zip(axes.flat, frame.head(args.top).iterrows(), strict=False):
        ax.imshow(decode_photo(read_photo(args.sample, row["name"]), max_side=200))
        ax.set_title(
            f"{Path(row['name']).name}\nlabel {row['class']}, P(dog) {row['dog_probability']:.2f}", fontsize=8
        )
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(args.out / "suspects.png", dpi=90)
    print(f"wrote {args.out / 'suspects.png'} and suspects.csv (top {args.top})")


def train_without(X, y, parts, drop: set[int], epochs: int, seed: int, out: Path):
    """The before model's recipe on its split minus the rows in ``drop`` (train/val only)."""
    from dogcat_lib import Splits, build_model, evaluate, fit_scaler, train
    from dogcat_lib.data.imagespec import ImageSpec
    from dogcat_lib.learn.models import TRAINING_DEFAULTS

    keep = {part: np.array([i for i in parts[part] if i not in drop]) for part in ("train", "val")}
    splits = Splits(X[keep["train"]], y[keep["train"]], X[keep["val"]], y[keep["val"]],
                    X[parts["test"]], y[parts["test"]])  # fmt: skip
    spec = ImageSpec.from_pixels(X.shape[1])
    model = build_model(
        "reference", spec.shape, scaling=fit_scaler(splits.X_train).layer(spec.shape), seed=seed
    )
    history = train(
        model, splits, epochs=epochs, out_dir=out, seed=seed, verbose=0, **TRAINING_DEFAULTS["reference"]
    )
    result = evaluate(model, splits.X_test, splits.y_test)
    return result, history, splits.sizes()


def compare(args) -> None:
    from dogcat_lib import evaluate, load_model, read_exclusions

    X, y, names, parts = named_rows(args.sample, args.csv, args.seed)
    marks = read_exclusions(args.exclusions).marks
    row_of = {name: i for i, name in enumerate(names)}
    marked = {row_of[name] for name in marks}
    in_test = marked & set(parts["test"].tolist())
    if in_test:
        raise SystemExit(f"{len(in_test)} marked photos are in the test split: mark training photos only")
    metrics = json.loads((args.before / "metrics.json").read_text())
    epochs = metrics["epochs_run"]
    before = evaluate(load_model(args.before / "model.keras"), X[parts["test"]], y[parts["test"]])
    runs = {"before": {"accuracy": before.accuracy, "loss": before.loss, "removed": 0, "epochs": epochs,
                       "best_epoch": metrics["best_epoch"], "splits": metrics["splits"]}}  # fmt: skip
    variants = {"after": marked}
    if args.control:
        rng = np.random.default_rng(args.seed + 1)
        pool = np.array(sorted((set(parts["train"].tolist()) | set(parts["val"].tolist())) - marked))
        variants["control"] = set(rng.choice(pool, size=len(marked), replace=False).tolist())
    for label, drop in variants.items():
        result, history, sizes = train_without(X, y, parts, drop, epochs, args.seed, args.out / label)
        runs[label] = {"accuracy": result.accuracy, "loss": result.loss, "removed": len(drop),
                       "epochs": epochs, "best_epoch": history.best_epoch, "splits": sizes}  # fmt: skip
        print(f"{label}: test accuracy {result.accuracy:.4f}, loss {result.loss:.4f}", flush=True)
    report = {"machine": machine(), "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
              "test_photos": len(parts["test"]), "seed": args.seed, "marked": len(marked),
              "marks": dict(sorted(marks.items())), "runs": runs}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "exclusions.json").write_text(json.dumps(report, indent=2) + "\n")
    if args.results:  # the figures notebook 04 quotes: committed, the models are not
        (RESULTS / "exclusions.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nsame {len(parts['test'])} test photos; {epochs} epochs each (as before), seed {args.seed}\n")
    print("| model | photos removed | train / val rows | best epoch | test accuracy | test loss |")
    print("|---|---|---|---|---|---|")
    for label, r in runs.items():
        s = r["splits"]
        print(f"| {label} | {r['removed']} | {s['train']} / {s['val']} | {r['best_epoch']} | "
              f"{r['accuracy']:.4f} | {r['loss']:.4f} |")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_arguments(parser)
    parser.add_argument("step", choices=("rank", "compare"))
    parser.add_argument("--csv", type=Path, required=True, help="the CSV the before model was trained on")
    parser.add_argument("--before", type=Path, required=True, help="the `dogcat train` run folder")
    parser.add_argument("--exclusions", type=Path, help="compare: the marks")
    parser.add_argument("--top", type=int, default=30, help="rank: how many suspects to draw")
    parser.add_argument("--control", action="store_true", help="compare: also drop as many random photos")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--results", action="store_true", help="compare: also write bench/results/")
    args = parser.parse_args()
    if sample_missing(args, "exclusions benchmark"):
        return 0
    rank(args) if args.step == "rank" else compare(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
