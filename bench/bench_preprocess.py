"""Benchmark: the package's preprocessing and CSV reading vs the course's own procedure.

Run with ``make bench`` (or ``python bench/bench_preprocess.py``). Uses the real sample
``../shared/data/dogs-vs-cats-sample.zip`` (or ``$DOGCAT_SAMPLE_ZIP``), unzipped to a temp folder
for the reference; ``--scale N`` (default 25,000) also builds an N-photo folder from it (hard
links under new names) to measure at the full Kaggle set's size. Reading is compared four ways:
the course's pandas, pandas with ``dtype=np.uint8``, ``np.loadtxt`` (uint8) and ``read_csv``.
Every variant runs in a fresh subprocess so that its peak RSS is its own; figures are ratios
measured in this one run. Writes
``bench/results/preprocess.json`` and ``bench/results/preprocess.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def cpu_seconds() -> float:
    """User + system CPU time of this process so far, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def course_loop(folder: str) -> dict:
    """The floor: the course's own decoding loop alone, ``cv2.imread`` + ``cv2.resize`` + ``ravel``
    over the same photos, one after another (no DataFrame, no CSV)."""
    import cv2

    base, cpu, t0 = peak_rss_mb(), cpu_seconds(), time.perf_counter()
    rows = [
        cv2.resize(cv2.imread(os.path.join(folder, name), cv2.IMREAD_GRAYSCALE), (80, 80)).ravel()
        for name in sorted(os.listdir(folder))
        if name.endswith(".jpg")
    ]
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "cpu_s": cpu_seconds() - cpu, "rows": len(rows), "import_rss_mb": base}


def package_preprocess(source: str, out: str) -> dict:
    """What ``dogcat preprocess`` runs: decode and write streaming (memory flat in N), on all cores."""
    from dogcat_lib import preprocess_to_csv

    base, cpu, t0 = peak_rss_mb(), cpu_seconds(), time.perf_counter()
    result = preprocess_to_csv(source, out, progress=False)
    return {
        "seconds": time.perf_counter() - t0,
        "cpu_s": cpu_seconds() - cpu,
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


def _timed_read(read) -> dict:
    base = peak_rss_mb()
    t0 = time.perf_counter()
    X = read()
    return {"seconds": time.perf_counter() - t0, "rows": len(X), "dtype": str(X.dtype), "import_rss_mb": base}


def pandas_read(path: str) -> dict:
    """The course's ``pd.read_csv`` (int64 columns), then ``.values``."""
    import pandas as pd

    return _timed_read(lambda: pd.read_csv(path).drop("label", axis=1).values)


def pandas_read_uint8(path: str) -> dict:
    """pandas told the dtype: ``pd.read_csv(path, dtype=np.uint8).to_numpy()``."""
    import numpy as np
    import pandas as pd

    return _timed_read(lambda: pd.read_csv(path, dtype=np.uint8).to_numpy())


def numpy_loadtxt(path: str) -> dict:
    """NumPy's C reader: ``np.loadtxt(path, dtype=np.uint8, delimiter=",", skiprows=1)`` (one core)."""
    import numpy as np

    return _timed_read(lambda: np.loadtxt(path, dtype=np.uint8, delimiter=",", skiprows=1))


def package_read(path: str) -> dict:
    """``dogcat_lib.read_csv``: blocks parsed on all cores straight into uint8, every value checked."""
    from dogcat_lib import read_csv

    return _timed_read(lambda: read_csv(path)[0])


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
    "course_loop": course_loop,
    "reference_preprocess": reference_preprocess,
    "reference_preprocess_uint8": lambda f, o: reference_preprocess(f, o, "uint8"),
    "package_preprocess": package_preprocess,
    "package_in_memory": package_in_memory,
    "pandas_read": pandas_read,
    "pandas_read_uint8": pandas_read_uint8,
    "numpy_loadtxt": numpy_loadtxt,
    "package_read": package_read,
    "same_rows": same_rows,
}
PREPROCESS = ("reference_preprocess", "reference_preprocess_uint8", "package_preprocess", "package_in_memory",
              "package_preprocess_zip")  # fmt: skip
READERS = ("pandas_read", "pandas_read_uint8", "numpy_loadtxt", "package_read")


def run_child(variant: str, *args: str) -> dict:
    """Run one variant in a fresh interpreter; returns its figures plus its peak RSS."""
    return _run_child(__file__, variant, *args)


# ------------------------------------------------------------------------------ the driver


def ratio(figures: dict, ours: str, base: str) -> dict:
    """How many times faster ``ours`` is than ``base``, and at what multiple of its peak memory."""
    a, b = figures[ours], figures[base]
    return {"speedup": b["seconds"] / a["seconds"], "memory": a["peak_rss_mb"] / b["peak_rss_mb"]}


def cpu_ratio(figures: dict, ours: str) -> dict:
    """The CPU time (user + system, every thread) of ``ours`` over the course's bare decoding loop's."""
    return {"cpu": figures[ours]["cpu_s"] / figures["course_loop"]["cpu_s"], "seconds": 0.0}


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
    outputs = {"reference_preprocess": ref_csv, "reference_preprocess_uint8": work / "u.csv",
               "package_preprocess": our_csv, "package_in_memory": work / "m.csv"}  # fmt: skip
    figures = {name: run_child(name, str(folder), str(out)) for name, out in outputs.items()}
    figures["course_loop"] = run_child("course_loop", str(folder))
    figures["package_preprocess_zst"] = run_child(
        "package_preprocess", str(folder), str(work / "ours.csv.zst")
    )
    if zip_path is not None:
        zipped = str(work / "z.csv")
        figures["package_preprocess_zip"] = run_child("package_preprocess", str(zip_path), zipped)
    figures["same_rows_as_reference"] = run_child("same_rows", ref_csv, our_csv)["same"]
    figures["csv_mb"] = os.path.getsize(our_csv) / 1e6
    for reader in READERS:
        figures[reader] = run_child(reader, ref_csv)
    figures["ratios"] = {
        "preprocess_vs_reference": ratio(figures, "package_preprocess", "reference_preprocess"),
        "preprocess_vs_uint8_reference": ratio(figures, "package_preprocess", "reference_preprocess_uint8"),
        "read_csv_vs_pandas": ratio(figures, "package_read", "pandas_read"),
        "read_csv_vs_pandas_uint8": ratio(figures, "package_read", "pandas_read_uint8"),
        "read_csv_vs_loadtxt": ratio(figures, "package_read", "numpy_loadtxt"),
    }
    figures["cpu_vs_course_loop"] = {
        "csv": cpu_ratio(figures, "package_preprocess"),
        "csv_zst": cpu_ratio(figures, "package_preprocess_zst"),
    }
    if label != "sample":  # reading 10,000 rows: the bar against np.loadtxt
        from dogcat_lib import read_csv, write_csv

        X, y = read_csv(ref_csv)
        ten_k = write_csv(X[:10_000], y[:10_000], work / "10k.csv", seed=None)
        figures["reading_10k"] = {
            reader: run_child(reader, str(ten_k)) for reader in ("numpy_loadtxt", "package_read")
        }
        figures["reading_10k"]["ratio"] = ratio(figures["reading_10k"], "package_read", "numpy_loadtxt")
    for key in PREPROCESS + READERS:
        if key in figures:
            f = figures[key]
            print(f"  {key:26} {f['seconds']:7.2f} s   peak {f['peak_rss_mb']:7.0f} MB", flush=True)
    for name, r in figures["ratios"].items():
        print(f"  {name:30} {r['speedup']:5.2f}x faster at {r['memory']:.2f}x the memory")
    for name, r in figures["cpu_vs_course_loop"].items():
        print(f"  CPU time, dogcat preprocess to {name} / the course's decoding loop: {r['cpu']:.2f}x")
    if "reading_10k" in figures:
        r = figures["reading_10k"]["ratio"]
        print(
            f"  10,000 rows: read_csv {r['speedup']:.2f}x as fast as np.loadtxt,"
            f" {r['memory']:.2f}x its memory"
        )
    print(f"  same rows as the course's CSV: {figures['same_rows_as_reference']}")
    return figures


def write_report(results: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "preprocess.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Preprocessing and reading benchmark",
        "",
        f"{results['machine']}; {results['date']}. Each row a fresh process; peak = max RSS (VmHWM).",
        "",
        "| rows | variant | seconds | peak RSS MB |",
        "|---|---|---|---|",
    ]
    for figures in results["scales"].values():
        for key in PREPROCESS + READERS:
            if key in figures:
                f = figures[key]
                lines.append(f"| {f['rows']:,} | {key} | {f['seconds']:.2f} | {f['peak_rss_mb']:.0f} |")
    lines += ["", "| rows | ratio | faster | memory |", "|---|---|---|---|"]
    for figures in results["scales"].values():
        rows = figures["package_read"]["rows"]
        for name, r in figures["ratios"].items():
            lines.append(f"| {rows:,} | {name} | {r['speedup']:.2f}x | {r['memory']:.2f}x |")
    lines += [
        "",
        "package_preprocess = `dogcat preprocess` (streaming); package_in_memory = notebook 01's "
        "build_dataset + write_csv; package_read = `dogcat_lib.read_csv`; numpy_loadtxt = "
        '`np.loadtxt(path, dtype=np.uint8, delimiter=",", skiprows=1)`; pandas_read_uint8 = '
        "`pd.read_csv(path, dtype=np.uint8)`; pandas_read = the course's `pd.read_csv(path)` (int64).",
    ]
    (RESULTS / "preprocess.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--scale", type=int, default=25_000, help="also run on this many photos (0: off)")
    args = parser.parse_args()
    if args.child:
        return child_main(VARIANTS, args.child)
    if sample_missing(args, "preprocessing bench"):
        return 0
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M"), "scales": {}}
    with tempfile.TemporaryDirectory(prefix="dogcat-bench-") as tmp:
        work = Path(tmp)
        with zipfile.ZipFile(args.sample) as zf:
            zf.extractall(work / "unzipped")
        train = work / "unzipped" / "train"
        results["scales"]["sample"] = bench_scale("sample", train, args.sample, work)
        if args.scale:
            big = make_scaled_folder(train, work / "scaled", args.scale)
            results["scales"][f"{args.scale}"] = bench_scale(f"x{args.scale}", big, None, work)
            shutil.rmtree(big)
    write_report(results)
    print(f"\nwrote {RESULTS / 'preprocess.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
