"""Benchmark: the CSV's size and write/read time, plain vs gzip vs zstd, on the real sample.

Run with ``make bench`` (or ``python bench/bench_compression.py``). The sample's photos
(``../shared/data/dogs-vs-cats-sample.zip`` or ``$DOGCAT_SAMPLE_ZIP``) become X, y once; then each
format is written by ``write_csv`` (rows formatted on all cores, compression as dogcat does it)
and read back by ``read_csv`` and by pandas. Every figure is from this one run; ``--repeat``
takes the best of N. Writes ``bench/results/compression.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, add_common_arguments, machine, sample_missing


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if sample_missing(args, "compression bench"):
        return 0
    import numpy as np
    import pandas as pd

    import dogcat_lib.csvio as csvio
    from dogcat_lib import build_dataset, read_csv, write_csv

    X, y, _, _ = build_dataset(args.sample, progress=False)
    variants = [
        ("plain .csv", "d.csv", {}),
        ("gzip level 1 (dogcat's .csv.gz)", "d.csv.gz", {"gzip": 1}),
        ("gzip level 6 (gzip's default)", "d6.csv.gz", {"gzip": 6}),
        ("zstd level 1", "z1.csv.zst", {"zstd": 1}),
        ("zstd level 3 (dogcat's .csv.zst)", "z3.csv.zst", {"zstd": 3}),
        ("zstd level 9", "z9.csv.zst", {"zstd": 9}),
    ]
    rows = []
    with tempfile.TemporaryDirectory(prefix="dogcat-bench-zst-") as tmp:
        work = Path(tmp)
        for label, name, settings in variants:
            path = work / name
            level = settings.get("zstd", csvio._ZSTD_LEVEL)
            csvio._ZSTD_LEVEL = level
            write_s = best_of(
                args.repeat, lambda p=path, s=settings: write_csv(X, y, p, compresslevel=s.get("gzip", 1))
            )
            csvio._ZSTD_LEVEL = 3
            read_s = best_of(args.repeat, lambda p=path: read_csv(p))
            pandas_s = best_of(1, lambda p=path: pd.read_csv(p))
            X2, _ = read_csv(path)
            assert np.array_equal(np.sort(X2, axis=0), np.sort(X, axis=0)), label
            figures = {
                "format": label,
                "mb": path.stat().st_size / 1e6,
                "write_s": write_s,
                "read_s": read_s,
                "pandas_read_s": pandas_s,
            }
            rows.append(figures)
            print(
                f"{label:34} {figures['mb']:7.1f} MB  write {write_s:5.2f} s  read {read_s:5.2f} s  "
                f"pandas {pandas_s:5.2f} s",
                flush=True,
            )
    plain = rows[0]["mb"]
    results = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "photos": len(y),
        "formats": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "compression.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# CSV compression benchmark",
        "",
        f"{results['machine']}; {results['date']}; the real sample's {len(y):,} photos at 80x80 gray. "
        f"Best of {args.repeat} for write (rows formatted on all cores; zstd compresses on all cores, "
        "gzip on one) and `read_csv`; pandas' `read_csv` once. x25,000/N: scaled to the full Kaggle set.",
        "",
        "| format | MB | of plain | MB at 25,000 | write s | read s | pandas read s |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in rows:
        lines.append(
            f"| {f['format']} | {f['mb']:.1f} | {f['mb'] / plain:.0%} | {f['mb'] * 25_000 / len(y):.0f} | "
            f"{f['write_s']:.2f} | {f['read_s']:.2f} | {f['pandas_read_s']:.2f} |"
        )
    (RESULTS / "compression.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS / 'compression.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
