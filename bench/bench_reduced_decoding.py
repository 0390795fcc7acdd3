"""Benchmark: libjpeg's reduced-size decoding (``cv2.IMREAD_REDUCED_GRAYSCALE_N``) on large photos.

The option was once ``dogcat preprocess --fast``; it was removed because it changed the pixels
and saved nothing on the 200 px sample. This measures it where it could pay off: large
originals. The real sample's photos (``../shared/data/dogs-vs-cats-sample.zip`` or
``$DOGCAT_SAMPLE_ZIP``) are enlarged to ``--side`` px (bicubic, plus a little sensor-like noise
so that the JPEG holds fine detail, as a camera's does) and encoded at quality 90. Each photo is
then decoded the course's way (``IMREAD_GRAYSCALE`` + ``cv2.resize`` to 80 x 80) and with each
reduction factor that still leaves at least 80 px (+ the same resize), on one core, best of 3,
in the same process. Writes ``bench/results/reduced_decoding.json`` and ``.md`` (the README's
table); ``make bench`` runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, add_common_arguments, machine, sample_missing

FLAGS = {
    2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
    4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
    8: cv2.IMREAD_REDUCED_GRAYSCALE_8,
}
SIZE = 80  # the course's photos


def large_originals(sample: Path, n: int, side: int, seed: int = 0) -> list[bytes]:
    """``n`` JPEGs of ``side`` x ``side`` px made from the sample's photos, half cats, half dogs."""
    rng = np.random.default_rng(seed)
    with zipfile.ZipFile(sample) as zf:
        names = [f"train/{kind}.{i}.jpg" for i in range(n // 2) for kind in ("cat", "dog")]
        photos = []
        for name in names:
            small = cv2.imdecode(np.frombuffer(zf.read(name), np.uint8), cv2.IMREAD_COLOR)
            big = cv2.resize(small, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.float32)
            big += rng.normal(0, 3, big.shape).astype(np.float32)
            ok, jpeg = cv2.imencode(
                ".jpg", np.clip(big, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90]
            )
            assert ok
            photos.append(jpeg.tobytes())
    return photos


def decode_all(photos: list[bytes], flag: int) -> np.ndarray:
    """Every photo decoded with ``flag`` and resized as the course does: (n, 80, 80) uint8."""
    return np.stack([
        cv2.resize(cv2.imdecode(np.frombuffer(p, np.uint8), flag), (SIZE, SIZE)) for p in photos
    ])  # fmt: skip


def best_of(runs: int, photos: list[bytes], flag: int) -> tuple[float, np.ndarray]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        pixels = decode_all(photos, flag)
        times.append(time.perf_counter() - start)
    return min(times), pixels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--side", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if sample_missing(args, "reduced-size decoding"):
        return 0
    cv2.setNumThreads(1)
    photos = large_originals(args.sample, args.photos, args.side)
    full_s, full = best_of(3, photos, cv2.IMREAD_GRAYSCALE)
    reduced = []
    for factor, flag in FLAGS.items():
        if args.side // factor < SIZE:
            continue
        seconds, pixels = best_of(3, photos, flag)
        diff = np.abs(pixels.astype(np.int16) - full.astype(np.int16))
        reduced.append({
            "factor": factor, "seconds": seconds, "speedup": full_s / seconds,
            "mean_abs_diff": float(diff.mean()), "max_abs_diff": int(diff.max()),
        })  # fmt: skip
    results = {
        "machine": machine(), "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "photos": len(photos), "side": args.side, "mb": sum(map(len, photos)) / 1e6,
        "full": {"seconds": full_s}, "reduced": reduced,
    }  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "reduced_decoding.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        f"# Reduced-size JPEG decoding, {len(photos)} photos of {args.side} px ({results['mb']:.1f} MB)",
        "",
        f"{results['machine']}; {results['date']}; one core, best of 3, decode + resize to 80x80 gray.",
        "",
        f"- full decode (the course's `IMREAD_GRAYSCALE`): {full_s:.2f} s",
        *(
            f"- `IMREAD_REDUCED_GRAYSCALE_{r['factor']}`: {r['seconds']:.2f} s ({r['speedup']:.2f}x), "
            f"mean |diff| {r['mean_abs_diff']:.2f} of 255, max {r['max_abs_diff']}"
            for r in reduced
        ),
    ]
    (args.out / "reduced_decoding.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
