"""Benchmark: what larger and RGB inputs cost: CSV size, preprocessing time, epoch time.

Run with ``make bench`` (or ``python bench/bench_input_sizes.py``). On the real sample
(``../shared/data/dogs-vs-cats-sample.zip`` or ``$DOGCAT_SAMPLE_ZIP``), for each (size, color):
``preprocess_to_csv`` into a plain and a ``.csv.zst`` CSV (seconds, MB), then the improved CNN
for ``--epochs`` epochs on that CSV's training split (best epoch's seconds), each in a fresh
process. Writes ``bench/results/input_sizes.json`` and ``.md`` (quoted by notebook 03).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, add_common_arguments, child_main, fit_timed, machine, run_child, sample_missing

INPUTS = (("80", "gray"), ("80", "rgb"), ("96", "rgb"), ("128", "rgb"))


def preprocess(sample: str, out: str, size: str, color: str) -> dict:
    from dogcat_lib import preprocess_to_csv

    start = time.perf_counter()
    result = preprocess_to_csv(sample, out, size=int(size), color=color, progress=False)
    return {"seconds": time.perf_counter() - start, "mb": Path(out).stat().st_size / 1e6, "rows": result.rows}


def epoch_time(csv: str, epochs: str) -> dict:
    from dogcat_lib import ImageSpec, build_improved_cnn, fit_scaler, read_csv, split_dataset

    X, y = read_csv(csv)
    shape = ImageSpec.from_pixels(X.shape[1]).shape
    data = split_dataset(X, y, seed=0)
    model = build_improved_cnn(shape, scaling=fit_scaler(data.X_train, shape))
    return {"best_epoch_s": min(fit_timed(model, data, int(epochs))), "train_rows": len(data.y_train)}


VARIANTS = {"preprocess": preprocess, "epoch_time": epoch_time}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    if args.child:
        return child_main(VARIANTS, args.child)
    if sample_missing(args, "input-size bench"):
        return 0
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    rows = []
    with tempfile.TemporaryDirectory(prefix="dogcat-bench-sizes-") as tmp:
        for size, color in INPUTS:
            plain = str(Path(tmp) / f"{size}{color}.csv")
            figures = {"size": int(size), "color": color}
            figures["plain"] = run_child(__file__, "preprocess", str(args.sample), plain, size, color)
            figures["zst"] = run_child(__file__, "preprocess", str(args.sample), plain + ".zst", size, color)
            figures["train"] = run_child(__file__, "epoch_time", plain, str(args.epochs), env=env)
            rows.append(figures)
            pre, zst, fit = figures["plain"], figures["zst"], figures["train"]
            print(
                f"{size}x{size} {color:4}: CSV {pre['mb']:6.1f} MB ({zst['mb']:5.1f} MB .zst), "
                f"preprocess {pre['seconds']:5.1f} s, improved CNN epoch {fit['best_epoch_s']:5.1f} s",
                flush=True,
            )
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M"), "inputs": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "input_sizes.json").write_text(json.dumps(results, indent=2) + "\n")
    base = rows[0]
    scale = 25_000 / base["plain"]["rows"]
    lines = [
        "| input | values per photo | CSV MB at 25,000 (.zst) | preprocessing s (4,000 photos) "
        "| improved CNN s per epoch (1,960 photos) | vs 80x80 gray |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        values = r["size"] * r["size"] * (1 if r["color"] == "gray" else 3)
        pre, zst, epoch = r["plain"], r["zst"], r["train"]["best_epoch_s"]
        lines.append(
            f"| {r['size']}x{r['size']} {r['color']} | {values:,} | {pre['mb'] * scale:,.0f} "
            f"({zst['mb'] * scale:,.0f}) | {pre['seconds']:.1f} | {epoch:.1f} "
            f"| {pre['mb'] / base['plain']['mb']:.1f}x CSV, "
            f"{epoch / base['train']['best_epoch_s']:.1f}x epoch |"
        )
    table = "\n".join(lines)
    header = f"# Input sizes: what they cost\n\n{results['machine']}; {results['date']}; the real sample."
    (RESULTS / "input_sizes.md").write_text(f"{header}\n\n{table}\n")
    print(f"wrote {RESULTS / 'input_sizes.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
