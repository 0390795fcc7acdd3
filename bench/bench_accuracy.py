"""Benchmark: test accuracy of the course's recipe vs the improved CNN, same split, same time budget.

Run with ``make bench-accuracy`` (or ``python bench/bench_accuracy.py``); about 2 x the budget.
On the real sample ``../shared/data/dogs-vs-cats-sample.zip`` (or ``$DOGCAT_SAMPLE_ZIP``) made
into the course's CSV (80x80 gray), each model is trained by ``dogcat train --max-minutes M``
(the same seed, hence the same 1,960 / 840 / 1,200 split) in a fresh process, one after the
other, and evaluated on the test split. ``--from-runs REF IMP`` reports two finished
``dogcat train`` runs instead. Writes ``bench/results/accuracy.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, add_common_arguments, machine, sample_missing

MODELS = ("reference", "improved")


def run_figures(run_dir: Path) -> dict:
    """The figures of a finished ``dogcat train`` run (metrics.json and history.csv)."""
    import pandas as pd

    metrics = json.loads((run_dir / "metrics.json").read_text())
    history = pd.read_csv(run_dir / "history.csv")
    best = int(history["val_loss"].idxmin())
    return {
        "model": metrics["model"],
        "test_accuracy": metrics["accuracy"],
        "test_loss": metrics["loss"],
        "epochs_run": metrics["epochs_run"],
        "best_epoch": metrics["best_epoch"],
        "best_val_loss": float(history["val_loss"].iloc[best]),
        "stopped_by": metrics["stopped_by"],
        "train_seconds": metrics["train_seconds"],
        "seconds_per_epoch": metrics["seconds_per_epoch"],
        "final_train_accuracy": float(history["accuracy"].iloc[-1]),
        "splits": metrics["splits"],
        "max_minutes": metrics.get("max_minutes"),
    }


def train_one(csv: Path, model: str, minutes: float, out: Path) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "dogcat_lib", "train", str(csv), "-o", str(out), "--model", model,
               "--max-minutes", f"{minutes:g}", "-q", "--overwrite"]  # fmt: skip
    subprocess.run(command, check=True, env=env)
    return run_figures(out)


def write_report(results: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "accuracy.json").write_text(json.dumps(results, indent=2) + "\n")
    runs = results["runs"]
    lines = [
        "# Accuracy benchmark: the course's recipe vs the improved CNN",
        "",
        f"{results['machine']}; {results['date']}. Real sample at 80x80 gray, split {runs[0]['splits']} "
        f"(seed 0, stratified), the same budget for both: {results['budget_minutes']:g} min of training "
        "(`dogcat train --max-minutes`), early stopping on validation loss (patience 10).",
        "",
        "| model | test accuracy | test loss | epochs | best epoch (val loss) | s/epoch | final train acc. |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['model']} | {r['test_accuracy']:.4f} | {r['test_loss']:.4f} | {r['epochs_run']} "
            f"({r['stopped_by']}) | {r['best_epoch']} ({r['best_val_loss']:.4f}) | "
            f"{r['seconds_per_epoch']:.1f} | {r['final_train_accuracy']:.3f} |"
        )
    gain = runs[1]["test_accuracy"] - runs[0]["test_accuracy"]
    lines += ["", f"Improved minus reference: **{gain * 100:+.1f} points** of test accuracy."]
    (RESULTS / "accuracy.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--minutes", type=float, default=20.0, help="training budget per model (default 20)")
    parser.add_argument("--from-runs", nargs=2, type=Path, metavar=("REF_DIR", "IMP_DIR"), default=None)
    args = parser.parse_args()
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M"), "budget_minutes": args.minutes}
    if args.from_runs:
        results["runs"] = [run_figures(path) for path in args.from_runs]
        budgets = {r["max_minutes"] for r in results["runs"]} - {None}
        results["budget_minutes"] = budgets.pop() if len(budgets) == 1 else args.minutes
    else:
        if sample_missing(args, "accuracy bench"):
            return 0
        from dogcat_lib import preprocess_to_csv

        with tempfile.TemporaryDirectory(prefix="dogcat-bench-acc-") as tmp:
            csv = preprocess_to_csv(args.sample, Path(tmp) / "sample.csv", progress=False).path
            results["runs"] = []
            for model in MODELS:
                print(f"== {model}: {args.minutes:g} min", flush=True)
                results["runs"].append(train_one(csv, model, args.minutes, Path(tmp) / model))
    write_report(results)
    for r in results["runs"]:
        print(f"{r['model']:10} test accuracy {r['test_accuracy']:.4f} after {r['epochs_run']} epochs")
    print(f"wrote {RESULTS / 'accuracy.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
