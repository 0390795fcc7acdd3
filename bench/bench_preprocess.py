"""Benchmark: the package's preprocessing and CSV reading vs the course's own procedure.

Run with ``make bench`` (or ``python bench/bench_preprocess.py``). Uses the real sample
``../shared/data/dogs-vs-cats-sample.zip`` (or ``$DOGCAT_SAMPLE_ZIP``), unzipped to a temp folder
for the reference; ``--scale N`` also builds an N-photo folder from it (hard links under new names)
to measure at the full Kaggle set's size. Every variant runs in a fresh subprocess so that its
peak RSS is its own; figures are ratios measured in this one run. Writes
``bench/results/preprocess.json`` and ``bench/results/preprocess.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, add_common_arguments, child_main, machine, peak_rss_mb, sample_missing
from common import run_child as _run_child

# ------------------------------------------------------------------------------ the variants


def reference_preprocess(folder: str, out: str, pixel_dtype: str = "int64") -> dict:
    """The course's procedure: a serial loop of cv2.imread + resize, lists, an int64 frame,
    merge with the labels, sklearn's shuffle, DataFrame.to_csv.

    ``pixel_dtype="uint8"`` is a leaner variant (``pd.DataFrame(list_of_uint8_rows)`` keeps
    uint8), measured too so that the memory ratio is not flattered by the int64 frame.
    """
    import cv2
    import numpy as np
    import pandas as pd
    from sklearn.utils import shuffle

    base = peak_rss_mb()
    t0 = time.perf_counter()
    pixels, labels = [], []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".jpg"):
            continue
        img = cv2.imread(os.path.join(folder, name), cv2.IMREAD_GRAYSCALE)
        img = cv2.resize(img, (80, 80))
        pixels.append(img.flatten())
        labels.append(0 if name.startswith("cat") else 1)
    t1 = time.perf_counter()
    pixel_df = pd.DataFrame(np.array(pixels, dtype=pixel_dtype))
    pixel_df.columns = [str(c) for c in pixel_df.columns]
    label_df = pd.DataFrame({"label": labels})
    df = pd.merge(label_df, pixel_df, left_index=True, right_index=True)
    df = shuffle(df, random_state=0)
    t2 = time.perf_counter()
    df.to_csv(out, index=False)
    t3 = time.perf_counter()
    return {
        "seconds": t3 - t0,
        "decode_s": t1 - t0,
        "frames_s": t2 - t1,
        "to_csv_s": t3 - t2,
        "rows": len(df),
        "import_rss_mb": base,
    }


def package_preprocess(source: str, out: str, fast: bool = False) -> dict:
    """What ``dogcat preprocess`` runs: decode and write streaming (memory flat in N)."""
    from dogcat_lib import preprocess_to_csv

    base = peak_rss_mb()
    t0 = time.perf_counter()
    result = preprocess_to_csv(source, out, progress=False, fast=fast)
    return {
        "seconds": time.perf_counter() - t0,
        "rows": result.rows,
        "skipped": len(result.skipped),
        "import_rss_mb": base,
    }


def package_in_memory(source: str, out: str) -> dict:
    """Notebook 01's route: build_dataset (all of X in memory), then write_csv."""
    from dogcat_lib import build_dataset, write_csv

    base = peak_rss_mb()
    t0 = time.perf_counter()
    X, y, _names, skipped = build_dataset(source, progress=False)
    t1 = time.perf_counter()
    write_csv(X, y, out)
    t2 = time.perf_counter()
    return {
        "seconds": t2 - t0,
        "decode_s": t1 - t0,
        "write_s": t2 - t1,
        "rows": len(y),
        "skipped": len(skipped),
        "data_mb": X.nbytes / 1e6,
        "import_rss_mb": base,
    }


def pandas_read(path: str) -> dict:
    import pandas as pd

    base = peak_rss_mb()
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    X = df.drop("label", axis=1).values
    return {
        "seconds": time.perf_counter() - t0,
        "rows": len(df),
        "dtype": str(X.dtype),
        "import_rss_mb": base,
    }


def package_read(path: str) -> dict:
    from dogcat_lib import read_csv

    base = peak_rss_mb()
    t0 = time.perf_counter()
    X, y = read_csv(path)
    return {
        "seconds": time.perf_counter() - t0,
        "rows": len(y),
        "dtype": str(X.dtype),
        "data_mb": X.nbytes / 1e6,
        "import_rss_mb": base,
    }


def fast_mode_difference(folder: str) -> dict:
    """Mean/max absolute pixel difference of --fast vs the course's pixels, and the speed ratio."""
    import numpy as np

    from dogcat_lib import build_dataset

    t0 = time.perf_counter()
    exact = build_dataset(folder, progress=False, workers=1)
    t1 = time.perf_counter()
    fast = build_dataset(folder, progress=False, workers=1, fast=True)
    t2 = time.perf_counter()
    diff = np.abs(exact.X.astype(np.int16) - fast.X.astype(np.int16))
    return {
        "mean_abs_diff": float(diff.mean()),
        "max_abs_diff": int(diff.max()),
        "exact_s": t1 - t0,
        "fast_s": t2 - t1,
    }


def same_rows(csv_a: str, csv_b: str) -> dict:
    """Both CSVs hold the same (label, pixels) rows, whatever their order."""
    import numpy as np

    from dogcat_lib import read_csv

    def sorted_rows(path):
        X, y = read_csv(path)
        rows = np.column_stack([y, X])
        return rows[np.lexsort(rows.T[::-1])]

    return {"same": bool(np.array_equal(sorted_rows(csv_a), sorted_rows(csv_b))), "seconds": 0.0}


VARIANTS = {
    "reference_preprocess": reference_preprocess,
    "reference_preprocess_uint8": lambda f, o: reference_preprocess(f, o, "uint8"),
    "package_preprocess": package_preprocess,
    "package_preprocess_fast": lambda s, o: package_preprocess(s, o, fast=True),
    "package_in_memory": package_in_memory,
    "pandas_read": pandas_read,
    "package_read": package_read,
    "fast_mode_difference": fast_mode_difference,
    "same_rows": same_rows,
}


def run_child(variant: str, *args: str) -> dict:
    """Run one variant in a fresh interpreter; returns its figures plus its peak RSS."""
    return _run_child(__file__, variant, *args)


# ------------------------------------------------------------------------------ the driver


def make_scaled_folder(src: Path, dst: Path, n: int) -> Path:
    """An n-photo folder from src's photos, hard-linked under fresh Kaggle names."""
    dst.mkdir()
    photos = sorted(p for p in src.iterdir() if p.suffix == ".jpg")
    counters = {"cat": 0, "dog": 0}
    for i in range(n):
        photo = photos[i % len(photos)]
        kind = photo.name.split(".")[0]
        target = dst / f"{kind}.{counters[kind]}.jpg"
        counters[kind] += 1
        try:
            os.link(photo, target)
        except OSError:
            shutil.copyfile(photo, target)
    return dst


def bench_scale(label: str, folder: Path, zip_path: Path | None, work: Path) -> dict:
    print(f"\n== {label}: {sum(1 for _ in folder.iterdir()):,} files", flush=True)
    ref_csv, our_csv = str(work / f"{label}-ref.csv"), str(work / f"{label}-ours.csv")
    figures = {"reference_preprocess": run_child("reference_preprocess", str(folder), ref_csv)}
    figures["reference_preprocess_uint8"] = run_child(
        "reference_preprocess_uint8", str(folder), str(work / "u.csv")
    )
    figures["package_preprocess"] = run_child("package_preprocess", str(folder), our_csv)
    figures["package_in_memory"] = run_child("package_in_memory", str(folder), str(work / "m.csv"))
    if zip_path is not None:
        figures["package_preprocess_zip"] = run_child(
            "package_preprocess", str(zip_path), str(work / "z.csv")
        )
    figures["package_preprocess_fast"] = run_child(
        "package_preprocess_fast", str(folder), str(work / "f.csv")
    )
    figures["same_rows_as_reference"] = run_child("same_rows", ref_csv, our_csv)["same"]
    figures["csv_mb"] = os.path.getsize(our_csv) / 1e6
    figures["pandas_read"] = run_child("pandas_read", ref_csv)
    figures["package_read"] = run_child("package_read", ref_csv)
    ref, ours = figures["reference_preprocess"], figures["package_preprocess"]
    figures["preprocess_speedup"] = ref["seconds"] / ours["seconds"]
    figures["preprocess_memory_ratio"] = ours["peak_rss_mb"] / ref["peak_rss_mb"]
    lean = figures["reference_preprocess_uint8"]
    figures["preprocess_speedup_vs_uint8_reference"] = lean["seconds"] / ours["seconds"]
    figures["preprocess_memory_ratio_vs_uint8_reference"] = ours["peak_rss_mb"] / lean["peak_rss_mb"]
    pr, rr = figures["pandas_read"], figures["package_read"]
    figures["read_speedup"] = pr["seconds"] / rr["seconds"]
    figures["read_memory_ratio"] = rr["peak_rss_mb"] / pr["peak_rss_mb"]
    for key in (
        "reference_preprocess",
        "reference_preprocess_uint8",
        "package_preprocess",
        "package_in_memory",
        "package_preprocess_zip",
        "package_preprocess_fast",
        "pandas_read",
        "package_read",
    ):
        if key in figures:
            f = figures[key]
            print(f"  {key:26} {f['seconds']:7.2f} s   peak {f['peak_rss_mb']:7.0f} MB", flush=True)
    print(
        f"  preprocess: {figures['preprocess_speedup']:.1f}x faster at "
        f"{figures['preprocess_memory_ratio']:.2f}x the memory; read: "
        f"{figures['read_speedup']:.2f}x faster at {figures['read_memory_ratio']:.2f}x the memory; "
        f"same rows: {figures['same_rows_as_reference']}\n"
        f"  vs the uint8-frame reference: {figures['preprocess_speedup_vs_uint8_reference']:.1f}x faster at "
        f"{figures['preprocess_memory_ratio_vs_uint8_reference']:.2f}x the memory"
    )
    return figures


def write_report(results: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "preprocess.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Preprocessing benchmark",
        "",
        f"{results['machine']}; {results['date']}. Each row a fresh process; peak = max RSS.",
        "",
        "| photos | variant | seconds | peak RSS MB | vs reference (int64 frame) "
        "| vs uint8-frame reference |",
        "|---|---|---|---|---|---|",
    ]
    for figures in results["scales"].values():
        ref, lean, pandas_read = (
            figures["reference_preprocess"],
            figures["reference_preprocess_uint8"],
            figures["pandas_read"],
        )
        for key, bases in (
            ("reference_preprocess", (ref,)),
            ("reference_preprocess_uint8", (ref, lean)),
            ("package_preprocess", (ref, lean)),
            ("package_in_memory", (ref, lean)),
            ("package_preprocess_zip", (ref, lean)),
            ("package_preprocess_fast", (ref, lean)),
            ("pandas_read", (pandas_read,)),
            ("package_read", (pandas_read,)),
        ):
            if key not in figures:
                continue
            f = figures[key]
            ratios = [
                f"{b['seconds'] / f['seconds']:.1f}x faster, "
                f"{f['peak_rss_mb'] / b['peak_rss_mb']:.2f}x memory"
                for b in bases
            ]
            ratios += [""] * (2 - len(ratios))
            cells = f"{f['rows']:,} | {key} | {f['seconds']:.2f} | {f['peak_rss_mb']:.0f}"
            lines.append(f"| {cells} | {ratios[0]} | {ratios[1]} |")
    lines += [
        "",
        "package_preprocess = `dogcat preprocess` (streaming); package_in_memory = notebook 01's "
        "build_dataset + write_csv; package_read = `read_csv` vs pandas' default `read_csv`.",
    ]
    fm = results.get("fast_mode")
    if fm:
        lines += [
            "",
            f"`--fast` vs the course's pixels on the sample: mean |diff| {fm['mean_abs_diff']:.2f}, "
            f"max {fm['max_abs_diff']} (of 255); one thread {fm['exact_s']:.2f} s -> {fm['fast_s']:.2f} s.",
        ]
    (RESULTS / "preprocess.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--scale", type=int, default=24_000, help="also run on this many photos (0: off)")
    args = parser.parse_args()
    if args.child:
        return child_main(VARIANTS, args.child)
    if sample_missing(args, "preprocessing bench"):
        return 0
    results = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "scales": {},
    }
    with tempfile.TemporaryDirectory(prefix="dogcat-bench-") as tmp:
        work = Path(tmp)
        with zipfile.ZipFile(args.sample) as zf:
            zf.extractall(work / "unzipped")
        train = work / "unzipped" / "train"
        results["scales"]["sample"] = bench_scale("sample", train, args.sample, work)
        results["fast_mode"] = run_child("fast_mode_difference", str(train))
        if args.scale:
            big = make_scaled_folder(train, work / "scaled", args.scale)
            results["scales"][f"{args.scale}"] = bench_scale(f"x{args.scale}", big, None, work)
            shutil.rmtree(big)
    write_report(results)
    print(f"\nwrote {RESULTS / 'preprocess.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
