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
    import gzip

    import numpy as np
    import pandas as pd
    import zstandard

    from dogcat_lib import build_dataset, read_csv, write_csv

    X, y, _, _ = build_dataset(args.sample, progress=False)
    # dogcat's own formats are written by write_csv; the other levels compress write_csv's plain
    # text with the same libraries (write s = the plain write + the compression).
    variants = [
        ("plain .csv", "d.csv", None),
        ("gzip level 1 (dogcat's .csv.gz)", "d.csv.gz", None),
        ("gzip level 6 (gzip's default)", "d6.csv.gz", lambda b: gzip.compress(b, 6, mtime=0)),
        ("zstd level 1", "z1.csv.zst", lambda b: zstandard.ZstdCompressor(level=1, threads=-1).compress(b)),
        ("zstd level 3 (dogcat's .csv.zst)", "z3.csv.zst", None),
        ("zstd level 9", "z9.csv.zst", lambda b: zstandard.ZstdCompressor(level=9, threads=-1).compress(b)),
    ]
    rows = []
    with tempfile.TemporaryDirectory(prefix="dogcat-bench-zst-") as tmp:
        work = Path(tmp)
        plain_s = best_of(args.repeat, lambda: write_csv(X, y, work / "d.csv"))
        text = (work / "d.csv").read_bytes()
        for label, name, compress in variants:
            path = work / name
            if name == "d.csv":
                write_s = plain_s
            elif compress is None:
                write_s = best_of(args.repeat, lambda p=path: write_csv(X, y, p))
            else:
                write_s = plain_s + best_of(args.repeat, lambda p=path, c=compress: p.write_bytes(c(text)))
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
